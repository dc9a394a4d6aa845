"""Forward mode as a transform: dual tensors (``cr.autograd.forward_ad``) against PyTorch's,
nested levels, and forward mode mixed with reverse mode both ways."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.autograd.forward_ad as tfw

import chainrule as cr
import chainrule.autograd.forward_ad as fw

X = np.array([0.3, -1.2, 2.0])
V = np.array([1.0, 0.5, -2.0])


def f(lib, x):
    return (lib.sin(x * x) * x.exp()).sum() + (x.tanh() ** 2).mean()


def test_tangent_matches_torch() -> None:
    with fw.dual_level():
        y = f(cr, fw.make_dual(cr.tensor(X), cr.tensor(V)))
        primal, tangent = fw.unpack_dual(y)
    with tfw.dual_level():
        ty = f(torch, tfw.make_dual(torch.tensor(X), torch.tensor(V)))
        tp, tt = tfw.unpack_dual(ty)
    np.testing.assert_allclose(primal.numpy(), tp.numpy(), rtol=1e-12)
    np.testing.assert_allclose(tangent.numpy(), tt.numpy(), rtol=1e-12)
    assert fw.unpack_dual(cr.tensor(1.0)).tangent is None  # outside any level


def test_reverse_over_forward_and_forward_over_reverse_match_torch() -> None:
    """d/dx <grad f, v> both ways equals PyTorch's Hessian-vector product."""
    tx = torch.tensor(X, requires_grad=True)
    (g,) = torch.autograd.grad(f(torch, tx), tx, create_graph=True)
    (hv,) = torch.autograd.grad(g, tx, torch.tensor(V))
    x = cr.tensor(X, requires_grad=True)
    with fw.dual_level():  # reverse over forward: differentiate the tangent
        tangent = fw.unpack_dual(f(cr, fw.make_dual(x, cr.tensor(V)))).tangent
    (rof,) = cr.autograd.grad(tangent, x)
    with fw.dual_level():  # forward over reverse: the tangent of the gradient
        xd = fw.make_dual(cr.tensor(X, requires_grad=True), cr.tensor(V))
        (gd,) = cr.autograd.grad(f(cr, xd), xd, create_graph=True)
        for_ = fw.unpack_dual(gd).tangent
    np.testing.assert_allclose(rof.numpy(), hv.numpy(), rtol=1e-10)
    np.testing.assert_allclose(for_.detach().numpy(), hv.numpy(), rtol=1e-10)


def test_nested_levels_give_the_mixed_second_derivative() -> None:
    """x * sin(x) differentiated along two independent levels: (2 cos x - x sin x) u v."""
    with fw.dual_level() as outer:
        x = fw.make_dual(cr.tensor(0.7), cr.tensor(2.0), level=outer)
        with fw.dual_level() as inner:
            xi = fw.make_dual(x, cr.tensor(3.0), level=inner)
            y = xi * xi.sin()
            t_inner = fw.unpack_dual(y, level=inner).tangent
        second = fw.unpack_dual(t_inner, level=outer).tangent
    expected = (2 * np.cos(0.7) - 0.7 * np.sin(0.7)) * 2.0 * 3.0
    assert second.item() == pytest.approx(expected, rel=1e-6)


def test_in_place_ops_carry_tangents() -> None:
    with fw.dual_level():
        x = fw.make_dual(cr.tensor([1.0, 2.0]), cr.tensor([1.0, 1.0]))
        y = x.clone()
        y.mul_(x)
        y[0] = 5.0
        tangent = fw.unpack_dual(y).tangent
    np.testing.assert_allclose(tangent.numpy(), [0.0, 4.0])
    with fw.dual_level():  # through a view: the base's tangent changes too
        x = fw.make_dual(cr.tensor([1.0, 2.0]), cr.tensor([1.0, 1.0]))
        y = x.clone()
        row = y[1:]
        y[0:1].mul_(3.0)
        y.mul_(x)  # the view taken before sees it too
        np.testing.assert_allclose(fw.unpack_dual(y).tangent.numpy(), [6.0, 4.0])
        np.testing.assert_allclose(fw.unpack_dual(row * 1).tangent.numpy(), [4.0])


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: fw.make_dual(cr.zeros(2), cr.zeros(3)), "different size"),
        (lambda: fw.make_dual(cr.zeros(2, dtype=cr.int64), cr.zeros(2)), "floating point"),
    ],
)
def test_errors_match_torch(make, message) -> None:
    with fw.dual_level(), pytest.raises((RuntimeError, ValueError), match=message):
        make()


def test_make_dual_needs_a_level() -> None:
    with pytest.raises(RuntimeError, match="dual_level"):
        fw.make_dual(cr.zeros(2), cr.zeros(2))


@pytest.mark.parametrize("lib, ad", [(cr, fw), (torch, tfw)], ids=["chainrule", "torch"])
def test_detach_drops_the_tangent(lib, ad) -> None:
    """``x.detach() * x`` moves only through its second factor: J v = x * v, not 2 x v."""
    with ad.dual_level():
        x = ad.make_dual(lib.tensor([1.0, 2.0]), lib.tensor([1.0, 1.0]))
        tangent = ad.unpack_dual(x.detach() * x).tangent
    np.testing.assert_allclose(np.asarray(tangent.tolist()), [1.0, 2.0])
