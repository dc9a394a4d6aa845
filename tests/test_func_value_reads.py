"""Reading a tensor's values into Python or NumPy inside ``cr.func``'s transforms: what works
and what raises (type and message) is what works and raises in ``torch.func``.

torch.func wraps the values it transforms: a wrapper has no storage, so inside ``grad``,
``vjp``, ``jacrev``, ``jvp``, ``jacfwd`` and ``hessian`` ``.numpy()`` (and ``numpy.asarray``)
of any tensor raise, after the refusal of a tensor that requires grad; ``.item()`` and
``.tolist()`` work there. Inside ``vmap`` only its batched tensors refuse: ``.numpy()`` and
``.tolist()`` for want of storage, ``.item()``, ``float()`` and ``bool()`` with vmap's own
errors. Everything works inside a plain ``forward_ad.dual_level``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr

READS: dict[str, Callable[[Any, Any], Any]] = {
    "numpy": lambda lib, y: y.numpy(),
    "numpy.asarray": lambda lib, y: np.asarray(y),
    "tolist": lambda lib, y: y.tolist(),
    "item": lambda lib, y: y[0].item(),
    "float": lambda lib, y: float(y[0]),
    "int": lambda lib, y: int(y[0]),
    "bool": lambda lib, y: bool(y[0] > 0),
    "numpy of an intermediate": lambda lib, y: (y * 2).numpy(),
    "numpy of a tensor made inside": lambda lib, y: lib.ones(2).numpy(),
}


def _transforms(lib: Any) -> dict[str, Callable[[Callable[[Any], Any], Any], Any]]:
    func = lib.func
    fwad = lib.autograd.forward_ad

    def in_dual_level(f: Any, x: Any) -> Any:
        with fwad.dual_level():
            return f(fwad.make_dual(x, lib.ones_like(x)))

    def scalar(f: Any) -> Any:
        return lambda v: f(v).sum()

    return {
        "jvp": lambda f, x: func.jvp(f, (x,), (lib.ones_like(x),)),
        "jacfwd": lambda f, x: func.jacfwd(f)(x),
        # a vmap of jvp over the directions, whose primal torch.func keeps unbatched
        "jacfwd, randomness='different'": lambda f, x: func.jacfwd(f, randomness="different")(x),
        "jacrev": lambda f, x: func.jacrev(f)(x),
        "grad": lambda f, x: func.grad(scalar(f))(x),
        "vjp": lambda f, x: func.vjp(f, x)[0],
        "hessian": lambda f, x: func.hessian(scalar(f))(x),
        "vmap": lambda f, x: func.vmap(f)(x[None]),
        "jvp of vmap": lambda f, x: func.jvp(func.vmap(f), (x[None],), (x[None],)),
        "grad of vmap": lambda f, x: func.grad(scalar(func.vmap(f)))(x[None]),
        "vmap of jvp": lambda f, x: func.vmap(lambda r: func.jvp(f, (r,), (r,))[1])(x[None]),
        "vmap of grad": lambda f, x: func.vmap(func.grad(scalar(f)))(x[None]),
        "forward_ad.dual_level": in_dual_level,
    }


# Where chainrule still differs, and how: the test fails when one of these starts to agree, so
# that it moves to the table above.
DIFFERENT = {
    # PyTorch's batched tensor over a value that requires grad does not say it requires grad,
    # so numpy() refuses it for want of storage; chainrule's says so (which vmap over grad,
    # the usual nesting, needs: there PyTorch refuses the value for requiring grad).
    **{
        ("grad of vmap", r): "Can't call numpy() on Tensor that requires grad"
        for r in ("numpy", "numpy.asarray", "numpy of an intermediate")
    },
}


def outcome(lib: Any, transform: str, read: str) -> str:
    """What running the read inside the transform gives: 'ok', or the error's type and
    message."""

    def f(y: Any) -> Any:
        READS[read](lib, y)
        return y * 2

    x = lib.tensor([1.0, 2.0, 3.0])
    try:
        _transforms(lib)[transform](f, x)
    except Exception as error:  # noqa: BLE001 - the point is which one
        return f"{type(error).__name__}: {error}"
    return "ok"


@pytest.mark.filterwarnings("ignore:Converting a tensor with requires_grad=True to a scalar")
@pytest.mark.parametrize("read", list(READS))
@pytest.mark.parametrize("transform", list(_transforms(torch)))
def test_reading_values_inside_a_transform_works_or_raises_as_in_torch(
    transform: str, read: str
) -> None:
    ours, theirs = outcome(cr, transform, read), outcome(torch, transform, read)
    known = DIFFERENT.get((transform, read))
    if known is None:
        assert ours == theirs
    else:
        assert ours != theirs and known in ours, f"now {ours!r}, PyTorch {theirs!r}"


def test_the_table_meets_both_outcomes() -> None:
    """Reads that work and reads that raise (a guard against comparing nothing)."""
    found = {outcome(cr, t, r) for t in ("jvp", "vmap", "grad") for r in ("numpy", "tolist")}
    assert "ok" in found
    assert "RuntimeError: Cannot access data pointer of Tensor that doesn't have storage" in found
