"""``cr.autograd.functional`` against ``torch.autograd.functional``: one table of calls, run
on both, values and structure compared."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
import torch.autograd.functional as TF

import chainrule as cr
import chainrule.autograd.functional as CF

X = np.array([0.5, -1.0, 2.0])
Y = np.array([[1.0, 2.0], [0.5, -0.5]])
V = np.array([1.0, -2.0, 0.5])


def f(lib: Any) -> Any:
    return lambda x: lib.tanh(x) * x.sum()


def scalar(lib: Any) -> Any:
    return lambda x: (lib.sin(x) * x**2).sum()


def pair(lib: Any) -> Any:
    return lambda x, y: (x[:2] @ y).exp().sum() * x[2]


def two_out(lib: Any) -> Any:
    return lambda x, y: (x * 2, (y**2).sum())


CALLS = {
    "jacobian": lambda F, m: F.jacobian(f(m), m.tensor(X)),
    "jacobian tuple inputs": lambda F, m: F.jacobian(pair(m), (m.tensor(X), m.tensor(Y))),
    "jacobian tuple in and out": lambda F, m: F.jacobian(two_out(m), (m.tensor(X), m.tensor(Y))),
    "jacobian forward-mode": lambda F, m: F.jacobian(
        f(m), m.tensor(X), vectorize=True, strategy="forward-mode"
    ),
    "hessian": lambda F, m: F.hessian(scalar(m), m.tensor(X)),
    "hessian tuple inputs": lambda F, m: F.hessian(pair(m), (m.tensor(X), m.tensor(Y))),
    "vjp": lambda F, m: F.vjp(f(m), m.tensor(X), m.tensor(V)),
    "vjp of a scalar, v=None": lambda F, m: F.vjp(scalar(m), m.tensor(X)),
    "jvp": lambda F, m: F.jvp(f(m), m.tensor(X), m.tensor(V)),
    "hvp": lambda F, m: F.hvp(scalar(m), m.tensor(X), m.tensor(V)),
    "vhp": lambda F, m: F.vhp(scalar(m), m.tensor(X), m.tensor(V)),
    "hvp tuple inputs": lambda F, m: F.hvp(
        pair(m), (m.tensor(X), m.tensor(Y)), (m.tensor(V), m.tensor(Y))
    ),
    # A nan in one row of a batched backward reached the other rows (0 * nan); PyTorch takes
    # each row by a backward of its own unless ``vectorize`` (then the nan spreads in both).
    "jacobian, a nan beside another output": lambda F, m: F.jacobian(var_and_x(m), m.tensor(Z)),
    "jacobian vectorized, the nan spreads": lambda F, m: F.jacobian(
        var_and_x(m), m.tensor(Z), vectorize=True
    ),
    "jacobian, a nan within one output": lambda F, m: F.jacobian(
        lambda x: m.cat([x.var(-1, keepdim=True), x, x * 2]), m.tensor(Z)
    ),
    "jacobian tuple in and out, nan rows": lambda F, m: F.jacobian(
        lambda a, b: ((b - b).norm(), a.sum() / (b - b).norm() + b[0]), (m.tensor(X), m.tensor(V))
    ),
    "hessian tuple inputs, a nan row": lambda F, m: F.hessian(
        lambda x, y: (x * y).sum() + x.std(), (m.tensor(Z), m.tensor(Z * 2))
    ),
}
Z = np.array([-1.66])  # one element: its variance's gradient is nan


def var_and_x(lib: Any) -> Any:
    return lambda x: (x.var(-1), x)


def structure(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return tuple(structure(v) for v in value)
    return np.asarray(value.detach().numpy())


def assert_same(ours: Any, theirs: Any) -> None:
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs, strict=True):
            assert_same(a, b)
        return
    assert not isinstance(ours, tuple)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("call", list(CALLS.values()), ids=list(CALLS))
def test_matches_torch(call: Any) -> None:
    ours = call(CF, cr)
    assert_same(structure(ours), structure(call(TF, torch)))
    for leaf in _leaves(ours):
        assert not leaf.requires_grad  # create_graph=False: detached


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, tuple | list):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]


def test_create_graph_keeps_the_graph() -> None:
    x = cr.tensor(X, requires_grad=True)
    jac = CF.jacobian(f(cr), x, create_graph=True)
    (g,) = cr.autograd.grad(jac.sum(), x)
    tx = torch.tensor(X, requires_grad=True)
    (tg,) = torch.autograd.grad(TF.jacobian(f(torch), tx, create_graph=True).sum(), tx)
    np.testing.assert_allclose(g.numpy(), tg.numpy(), rtol=1e-10)


def test_create_graph_through_rows_taken_apart() -> None:
    """A row taken again by its own backward keeps the graph (the nan row beside it too)."""
    grads = []
    for lib, F in ((cr, CF), (torch, TF)):
        x = lib.tensor(Z, requires_grad=True)
        jac = F.jacobian(lambda x, lib=lib: (x.var(-1), x**2), x, create_graph=True)
        jac[1].sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda F, m: F.vjp(f(m), m.tensor(X)), "can only be None if the user-provided"),
        (lambda F, m: F.jacobian(f(m), m.tensor(X), strategy="sideways"), "Expected strategy"),
        (lambda F, m: F.jacobian(f(m), [X]), "must be either a Tensor or a tuple of Tensors"),
    ],
)
def test_errors_match_torch(call: Any, message: str) -> None:
    with pytest.raises(
        (RuntimeError, ValueError, TypeError, AssertionError), match=message
    ) as theirs:
        call(TF, torch)
    with pytest.raises(theirs.type, match=message):
        call(CF, cr)
