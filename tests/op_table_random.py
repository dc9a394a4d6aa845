"""Op-table rows for random draws from tensor parameters (``normal``, ``poisson``, ``bernoulli``)
and in-place random fills of recorded tensors (``normal_``, ``random_``).

Each row draws from a seeded generator (the same seed in chainrule and in PyTorch, whose draws
chainrule repeats), so every call of the row is the same function of its parameters, and the
values are compared with PyTorch's. PyTorch defines each draw's derivative as zero: the
gradients and tangents are checked to be PyTorch's zeros, in the parameters' shapes.

Finite differences agree with zero for ``poisson`` and ``bernoulli`` (a seeded draw is a step
function of its parameters, flat almost everywhere), but not for ``normal``: a seeded draw is
``mean + std * z``, whose finite differences are 1 and ``z``. PyTorch does not reparametrize
(its ``NormalBackward`` passes zeros), so those rows switch the finite-difference checks off,
with that reason, and keep every check against PyTorch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from op_table import POSITIVE, UNARY, OpSpec, uniform

import chainrule as cr

SEED = 2024


def seeded(draw: Callable[..., Any]) -> Callable[..., Any]:
    """``draw`` run with chainrule's generator seeded (its state restored after)."""

    def fn(*args: Any) -> Any:
        saved = cr.get_rng_state()
        cr.manual_seed(SEED)
        try:
            return draw(*args)
        finally:
            cr.set_rng_state(saved)

    return fn


def torch_seeded(draw: Callable[..., Any]) -> Callable[..., Any]:
    """``draw`` run with PyTorch's generator seeded alike (its state restored after)."""

    def fn(*args: Any) -> Any:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(SEED)
            return draw(*args)

    return fn


def _row(name: str, draw: Any, covers: tuple[str, ...], shapes: Any, **kw: Any) -> OpSpec:
    """``draw(lib, *tensors)`` seeded in each library (vmap's randomness 'different' unless
    ``kw`` says otherwise)."""
    return OpSpec(
        name,
        seeded(lambda *args: draw(cr, *args)),
        torch_seeded(lambda *args: draw(torch, *args)),
        covers,
        shapes,
        **{"randomness": "different", **kw},
    )


NOT_REPARAMETRIZED = {
    "finite_differences": "PyTorch's derivative of a normal draw is zero (NormalBackward), "
    "while the finite differences of a seeded draw, mean + std * z, are 1 and z; the zeros "
    "are checked against PyTorch's"
}
STD = uniform(0.5, 2.0)  # standard deviations and rates: positive
# BINARY's cases where the mean has the output's shape: PyTorch's forward mode gives a
# broadcast mean the mean's own shape of zeros and then refuses it (the reverse mode's
# broadcasting is checked in tests/test_torch_snippets.py).
MEAN_FULL = (((2, 3), (2, 3)), ((2, 3), (3,)), ((2, 1, 3), ()), ((6, 20), (20,)))
PROBABILITIES = uniform(0.05, 0.95)

RANDOM_SPECS: list[OpSpec] = [
    _row(
        "normal_tensor_mean_and_std",
        lambda lib, mean, std: lib.normal(mean, std),
        ("Normal",),
        MEAN_FULL,
        domain=(uniform(-2.0, 2.0), STD),
        finite_differences=False,
        why_off=NOT_REPARAMETRIZED,
    ),
    _row(
        "normal_tensor_mean",
        lambda lib, mean: lib.normal(mean, 0.5),
        ("Normal",),
        UNARY,
        finite_differences=False,
        why_off=NOT_REPARAMETRIZED,
    ),
    _row(
        "normal_tensor_std",
        lambda lib, std: lib.normal(1.5, std),
        ("Normal",),
        UNARY,
        domain=STD,
        finite_differences=False,
        why_off=NOT_REPARAMETRIZED,
    ),
    _row(
        "poisson", lambda lib, rates: lib.poisson(rates * 4), ("Poisson",), UNARY, domain=POSITIVE
    ),
    _row("bernoulli", lambda lib, p: lib.bernoulli(p), ("Bernoulli",), UNARY, domain=PROBABILITIES),
    _row(
        "bernoulli_method_beside_its_probabilities",  # zeros through the draw, 1 beside it
        lambda lib, p: (p * 0.5).bernoulli() + p,
        ("Bernoulli", "Mul", "Add"),
        UNARY,
        domain=PROBABILITIES,
    ),
    # In-place fills of a recorded tensor: the fill's node (NormalBackward0, ...) passes zeros
    # back to the overwritten values, and the input still gets its gradient beside the fill.
    # PyTorch's jacfwd refuses 'different' randomness here (the filled primal is unbatched),
    # so these rows ask for 'same' (one draw for every example, a seeded call's).
    _row(
        "normal_in_place_beside_its_input",
        lambda lib, x: (x * 2).normal_(0.5, 2.0) + x,
        ("Overwrite", "Mul", "Add"),
        UNARY,
        randomness="same",
        layouts=False,
        why_off={
            "layouts": "x * 2 keeps x's layout, which normal_ fills in memory order, as PyTorch's"
        },
    ),
    _row(
        "random_in_place_times_its_input",
        lambda lib, x: (x + 1).random_(2, 9) * x,
        ("Overwrite", "Add", "Mul"),
        UNARY,
        randomness="same",
        layouts=False,
        why_off={
            "layouts": "x + 1 keeps x's layout, which random_ fills in memory order, as PyTorch's"
        },
    ),
]
