"""``strict=True`` in ``cr.autograd.functional`` against ``torch.autograd.functional``.

Each row runs the same call on both libraries: where PyTorch raises (an output independent of
an input, a constant Jacobian under ``create_graph``, ...), chainrule raises the same type with
the same message; where it does not, the values agree.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
import torch.autograd.functional as TF

import chainrule as cr
import chainrule.autograd.functional as CF

X = np.array([0.5, -1.0, 2.0])
Y = np.array([1.5, 0.25])
V = np.array([1.0, -2.0, 0.5])


def _t(m: Any, a: np.ndarray) -> Any:
    return m.tensor(a)


def _closure(m: Any) -> Any:
    """A function whose gradient is a closed-over parameter: it records, yet does not depend
    on the input."""
    w = m.tensor(V, requires_grad=True)
    return lambda x: (x * w).sum()


CALLS = {
    # vjp
    "vjp, dependent": lambda F, m: F.vjp(
        lambda x: m.tanh(x) * x.sum(), _t(m, X), _t(m, V), strict=True
    ),
    "vjp, an input unused": lambda F, m: F.vjp(
        lambda x, y: x * 2, (_t(m, X), _t(m, Y)), _t(m, V), strict=True
    ),
    "vjp, an output constant": lambda F, m: F.vjp(
        lambda x: (x.detach() * 2, x * 3), _t(m, X), (_t(m, V), _t(m, V)), strict=True
    ),
    "vjp, linear, create_graph": lambda F, m: F.vjp(
        lambda x: x * 2, _t(m, X), _t(m, V), create_graph=True, strict=True
    ),
    "vjp, nonlinear, create_graph": lambda F, m: F.vjp(
        lambda x: x**3, _t(m, X), _t(m, V), create_graph=True, strict=True
    ),
    # jvp
    "jvp, dependent": lambda F, m: F.jvp(lambda x: m.sin(x) * x, _t(m, X), _t(m, V), strict=True),
    "jvp, an input unused": lambda F, m: F.jvp(
        lambda x, y: x * 2, (_t(m, X), _t(m, Y)), (_t(m, V), _t(m, Y)), strict=True
    ),
    "jvp, an output constant": lambda F, m: F.jvp(
        lambda x: x.detach() + 1, _t(m, X), _t(m, V), strict=True
    ),
    "jvp, linear, create_graph": lambda F, m: F.jvp(
        lambda x: x * 2, _t(m, X), _t(m, V), create_graph=True, strict=True
    ),
    # jacobian
    "jacobian, dependent": lambda F, m: F.jacobian(
        lambda x, y: m.exp(x).sum() * y, (_t(m, X), _t(m, Y)), strict=True
    ),
    "jacobian, output 0 independent of input 1": lambda F, m: F.jacobian(
        lambda x, y: (x * 2, (y * x.sum()).sum()), (_t(m, X), _t(m, Y)), strict=True
    ),
    "jacobian, linear, create_graph": lambda F, m: F.jacobian(
        lambda x: x * 2, _t(m, X), create_graph=True, strict=True
    ),
    "jacobian, vectorize": lambda F, m: F.jacobian(m.sin, _t(m, X), vectorize=True, strict=True),
    "jacobian, forward-mode": lambda F, m: F.jacobian(
        m.sin, _t(m, X), vectorize=True, strategy="forward-mode", strict=True
    ),
    # hessian
    "hessian, dependent": lambda F, m: F.hessian(
        lambda x: (m.sin(x) * x**2).sum(), _t(m, X), strict=True
    ),
    "hessian, linear": lambda F, m: F.hessian(lambda x: (x * 2).sum(), _t(m, X), strict=True),
    "hessian, linear in input 1": lambda F, m: F.hessian(
        lambda x, y: (x**2).sum() + y.sum(), (_t(m, X), _t(m, Y)), strict=True
    ),
    "hessian, block diagonal": lambda F, m: F.hessian(
        lambda x, y: (x**2).sum() + (y**3).sum(), (_t(m, X), _t(m, Y)), strict=True
    ),
    "hessian, quadratic, create_graph": lambda F, m: F.hessian(
        lambda x: (x**2).sum(), _t(m, X), create_graph=True, strict=True
    ),
    "hessian, a constant output": lambda F, m: F.hessian(
        lambda x: (x**2).sum().detach(), _t(m, X), strict=True
    ),
    # vhp and hvp
    "vhp, dependent": lambda F, m: F.vhp(lambda x: (x**3).sum(), _t(m, X), _t(m, V), strict=True),
    "vhp, linear": lambda F, m: F.vhp(lambda x: (x * 2).sum(), _t(m, X), _t(m, V), strict=True),
    "vhp, gradient a closed-over parameter": lambda F, m: F.vhp(
        _closure(m), _t(m, X), _t(m, V), strict=True
    ),
    "vhp, quadratic, create_graph": lambda F, m: F.vhp(
        lambda x: (x**2).sum(), _t(m, X), _t(m, V), create_graph=True, strict=True
    ),
    "hvp, dependent": lambda F, m: F.hvp(
        lambda x: (m.exp(x) * x).sum(), _t(m, X), _t(m, V), strict=True
    ),
    "hvp, linear in input 1": lambda F, m: F.hvp(
        lambda x, y: (x**2).sum() + y.sum(), (_t(m, X), _t(m, Y)), (_t(m, V), _t(m, Y)), strict=True
    ),
    "hvp, gradient a closed-over parameter": lambda F, m: F.hvp(
        _closure(m), _t(m, X), _t(m, V), strict=True
    ),
    "hvp, quadratic, create_graph": lambda F, m: F.hvp(
        lambda x: (x**2).sum(), _t(m, X), _t(m, V), create_graph=True, strict=True
    ),
}


def _outcome(call: Any, F: Any, m: Any) -> Any:
    try:
        return call(F, m)
    except Exception as error:  # the error itself is the outcome compared
        return error


def _arrays(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_arrays(v) for v in value]
    return value.detach().numpy()


def _assert_close(ours: Any, theirs: Any) -> None:
    if isinstance(theirs, list):
        assert isinstance(ours, list) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs, strict=True):
            _assert_close(a, b)
        return
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("call", list(CALLS.values()), ids=list(CALLS))
def test_strict_matches_torch(call: Any) -> None:
    theirs = _outcome(call, TF, torch)
    ours = _outcome(call, CF, cr)
    if isinstance(theirs, Exception):
        assert isinstance(ours, Exception), f"torch raised {theirs!r}; chainrule returned"
        assert type(ours) is type(theirs)
        assert str(ours) == str(theirs)
        return
    assert not isinstance(ours, Exception), f"chainrule raised {ours!r}"
    _assert_close(_arrays(ours), _arrays(theirs))


def test_strict_runs_raise_in_every_api() -> None:
    """Every function with ``strict`` raises for an unused input (none is a no-op)."""
    unused = (cr.tensor(X), cr.tensor(Y))
    calls = [
        lambda: CF.vjp(lambda x, y: x.sum(), unused, strict=True),
        lambda: CF.jvp(lambda x, y: x.sum(), unused, (cr.tensor(V), cr.tensor(Y)), strict=True),
        lambda: CF.jacobian(lambda x, y: x.sum(), unused, strict=True),
        lambda: CF.hessian(lambda x, y: (x**2).sum(), unused, strict=True),
        lambda: CF.vhp(lambda x, y: (x**2).sum(), unused, unused, strict=True),
        lambda: CF.hvp(lambda x, y: (x**2).sum(), unused, unused, strict=True),
    ]
    for call in calls:
        with pytest.raises(RuntimeError, match="input 1"):
            call()
