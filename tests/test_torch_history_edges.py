"""Edges of autograd's history that a fuzz of views and in-place changes against PyTorch found:
each case runs the same code with ``torch`` and with ``chainrule`` (as ``M``) and compares
what it returns (values, gradients, flags) or the error it raises (type and first line)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr


def _detach_keeps_earlier_history(M: Any) -> Any:
    """y.detach_() cuts y from its history; what read or viewed y before keeps it."""
    a = M.tensor([1.0, 2.0, 3.0, 4.0], dtype=M.float64, requires_grad=True)
    y = a * a
    w = y * 1
    v = y.view(2, 2)
    y.detach_()
    (g,) = M.autograd.grad(w.sum() + v.sum() + a.sum(), [a])
    return g, y.requires_grad, y.grad_fn is None, (y * 2).requires_grad


def _detach_of_a_view(M: Any) -> Any:
    return (M.ones(3)[:2]).detach_()


def _leaf_turned_off_after_the_graph(M: Any) -> Any:
    """A leaf whose requires_grad is turned off after it was read gets no .grad."""
    a = M.tensor([1.0, 2.0], dtype=M.float64, requires_grad=True)
    b = M.tensor([3.0, 4.0], dtype=M.float64, requires_grad=True)
    loss = (a * b).sum()
    a.requires_grad_(False)
    b.detach_()
    c = M.tensor([5.0, 6.0], dtype=M.float64, requires_grad=True)
    (loss + c.sum()).backward()
    return a.grad, b.grad, c.grad


def _hook_on_a_0d_float64_gradient(M: Any) -> Any:
    """The gradient a hook gets on a 0-d tensor is a 0-d tensor of its dtype (not a NumPy
    scalar, whose arithmetic gave float32 and was refused as a change of type)."""
    seen = []
    a = M.tensor(0.13, dtype=M.float64, requires_grad=True)
    y = a * 3
    y.register_hook(lambda g: seen.append(str((g * 2).dtype).split(".")[1]) or g * 2)
    y.retain_grad()
    (y.sin() * a).backward()
    return seen, a.grad, str((y.grad * 2).dtype).split(".")[1]


def _write_into_an_expand_of_new_size_one_dims(M: Any) -> Any:
    """An expand that only adds dims of size 1 shares no element: it may be written."""
    x = M.tensor([1.0, 2.0], dtype=M.float64)
    x.expand(1, 2).mul_(2)
    x[None].expand(1, 1, 2).add_(M.ones(2, dtype=M.float64))
    y = M.tensor([1.0, 2.0], dtype=M.float64, requires_grad=True)
    z = y * 1
    z.expand(1, 2).mul_(3)
    z.sum().backward()
    return x, y.grad


def _write_into_an_expand_that_repeats(M: Any) -> Any:
    return M.tensor([1.0, 2.0]).expand(3, 2).mul_(2)


def _view_of_a_base_detached_then_written(M: Any) -> Any:
    a = M.tensor([[1.0], [2.0], [3.0]], dtype=M.float64, requires_grad=True)
    v = a.squeeze()
    a.detach_()
    a[0] = 0.25
    flags = (v.requires_grad, v.grad_fn is None, v.is_leaf)
    (v * 2).sum().backward()
    return flags, a.grad


def _retain_grad_follows_an_in_place_change(M: Any) -> Any:
    """.grad of a tensor that retains it is of its value after an in-place change of it, or
    of its base; so for a view changed in place itself."""
    x = M.tensor([1.0, 2.0], dtype=M.float64, requires_grad=True)
    y = x * 2
    y.retain_grad()
    y.mul_(3)
    (y * M.tensor([1.0, 5.0], dtype=M.float64)).sum().backward()
    z = x * 2
    v = z[0]
    v.retain_grad()
    z.mul_(3)
    (v * 7).backward()
    w = x * 2
    u = w[1]
    u.retain_grad()
    u.mul_(3)
    (u * 7).backward()
    return (y.retains_grad, y.grad), (v.retains_grad, v.grad), (u.retains_grad, u.grad), x.grad


def _hook_on_a_view_changed_in_place(M: Any) -> Any:
    """A hook on a view sees the gradients of what read the view before an in-place change
    of it, not the one its base passes back through the change."""
    calls = []
    x = M.tensor([1.0, 2.0, 3.0], dtype=M.float64, requires_grad=True)
    y = x * 1
    v = y[:2]
    v.register_hook(lambda g: calls.append(g.tolist()) or g * 10)
    w = v * 5
    v.mul_(3)
    (y * M.tensor([1.0, 2.0, 3.0], dtype=M.float64)).sum().backward(retain_graph=True)
    first = (list(calls), x.grad.clone())
    (y.sum() + w.sum()).backward()
    return first, calls, x.grad


def _in_place_view_op_after_a_read(M: Any) -> Any:
    """a.t_() after ops read a: their gradients are of a's shape then (refused as 'cannot be
    summed back' before), to first and second order, and through a write into a's view."""
    x = M.tensor([[1.0, 2.0, 3.0]], dtype=M.float64, requires_grad=True)
    a = x * 1
    y = a * M.tensor([[1.0, 2.0, 3.0]], dtype=M.float64)
    z = a.exp()  # saves its output, not a
    a.t_()
    (y.sum() + (a * 2).sum()).backward(retain_graph=True)
    first = x.grad.clone()
    (g,) = M.autograd.grad(z.sum(), [x], create_graph=True)
    (h,) = M.autograd.grad(g.sum(), [x])
    b = x.clone()
    v = b[0]
    v.mul_(2)
    b.t_()
    (k,) = M.autograd.grad((b * M.tensor([[1.0], [2.0], [3.0]], dtype=M.float64)).sum(), [x])
    return first, g, h, k


def _jacrev_through_a_write_then_t_(M: Any) -> Any:
    """The Jacobian was all ones (silently) before."""

    def f(x: Any) -> Any:
        a = x.clone()
        v = a.squeeze(0)
        v.sub_(0.73)
        a.t_()
        return M.cat([v.reshape(-1), a.reshape(-1) * 2])

    return M.func.jacrev(f)(M.tensor([[-0.96, -1.84, -0.24, -0.84]], dtype=M.float64))


def _a_saved_tensor_changed_by_an_in_place_view_op(M: Any) -> Any:
    """PyTorch's refusal names the node that last made it as it does: "output 0 of T1"."""
    x = M.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    a = x * 1
    z = a**2
    a.t_()
    return z.sum().backward()


def _forward_mode_in_inference_mode(M: Any) -> Any:
    """inference_mode turns forward mode off: no tangent for what it computes, and a tensor
    changed in place there keeps its tangent (no_grad leaves forward mode on)."""
    fw = M.autograd.forward_ad
    with fw.dual_level():
        a = fw.make_dual(
            M.tensor([1.2, 1.5], dtype=M.float64), M.tensor([2.0, 3.0], dtype=M.float64)
        )
        b = a * 1
        with M.inference_mode():
            y = a * 2
            b.neg_()
        with M.no_grad():
            z = a * 2
        return [fw.unpack_dual(t).tangent for t in (y, b, z)], b


def _forward_mode_write_into_a_view_after_its_base_squeeze_(M: Any) -> Any:
    fw = M.autograd.forward_ad
    with fw.dual_level():
        x = fw.make_dual(
            M.tensor([[1.0, 2.0, 3.0]], dtype=M.float64),
            M.tensor([[1.0, 1.0, 1.0]], dtype=M.float64),
        )
        a = x * 1
        v = a.mT
        a.squeeze_(0)
        v.copy_(M.tensor(-0.1, dtype=M.float64))
        return fw.unpack_dual(a).tangent, a


def _tangents(fw: Any, *tensors: Any) -> list[Any]:
    """Each tensor's tangent now, copied: PyTorch's is a view of the tangent's memory, which
    a later in-place change would change."""
    return [None if t is None else t.clone() for t in (fw.unpack_dual(x).tangent for x in tensors)]


def _forward_mode_writes_through_views_of_a_dual(M: Any) -> Any:
    """A view of make_dual's result writes into the dual's tangent, not into its primal's:
    the untouched elements keep their tangent (they lost it, silently: [0, 2, 2])."""
    fw, f64 = M.autograd.forward_ad, M.float64
    with fw.dual_level():
        p = M.tensor([1.0, 2.0, 3.0], dtype=f64)
        d = fw.make_dual(p, M.ones(3, dtype=f64))
        d[1:].mul_(2)
        e = fw.make_dual(M.zeros(2, 3, dtype=f64), M.ones(2, 3, dtype=f64))
        e[0][1:].mul_(5)
        e.t()[2].add_(fw.make_dual(M.zeros(2, dtype=f64), M.tensor([3.0, 4.0], dtype=f64)))
        h = fw.make_dual(M.zeros(4, dtype=f64), M.ones(4, dtype=f64))
        h[1:3] = 7.0
        return _tangents(fw, d, p, e, h)


def _forward_mode_a_dual_keeps_its_tangent_when_its_primal_changes(M: Any) -> Any:
    """A dual's tangent is its own: its primal changed in place (even to a dual) leaves it,
    and views of the dual take theirs from the dual (they lost theirs: None)."""
    fw, f64 = M.autograd.forward_ad, M.float64
    with fw.dual_level():
        p = M.tensor([1.0, 2.0, 3.0], dtype=f64)
        d = fw.make_dual(p, M.ones(3, dtype=f64))
        p.mul_(2)
        v = d[1:]
        p.add_(1)
        found = _tangents(fw, d, v)
        d.mul_(3)
        found += _tangents(fw, v, p)
        p.copy_(fw.make_dual(M.zeros(3, dtype=f64), M.tensor([5.0, 6.0, 7.0], dtype=f64)))
        r = M.tensor([1.0, 2.0, 3.0, 4.0], dtype=f64)
        rd = fw.make_dual(r[1:3], M.tensor([7.0, 8.0], dtype=f64))
        rd.mul_(2)
        return found + _tangents(fw, p, d, v, r, rd), d


def _jvp_of_a_write_into_a_view_of_the_input(M: Any) -> Any:
    def f(x: Any) -> Any:
        x.view(3)[1:].mul_(2)
        return x * 1

    primal, tangent = M.tensor([1.0, 2.0, 3.0], dtype=M.float64), M.ones(3, dtype=M.float64)
    return M.func.jvp(f, (primal,), (tangent,))


def _hessian_through_writes_into_views(M: Any) -> Any:
    """Forward over reverse through in-place changes of views: the tangents' write is
    recorded for the reverse pass (it was refused as not supported)."""

    def f(x: Any) -> Any:
        x = x * 1
        x.view(3)[1:].mul_(x[:2].clone())
        x[0] = x[2] * 3
        return x.sin()

    x = M.tensor([1.0, 2.0, 3.0], dtype=M.float64)
    return M.func.hessian(lambda x: f(x).sum())(x), M.func.jacfwd(f)(x)


CASES: dict[str, Callable[[Any], Any]] = {
    "hessian through writes into views": _hessian_through_writes_into_views,
    "forward mode: views of a dual write into its tangent": (
        _forward_mode_writes_through_views_of_a_dual
    ),
    "forward mode: a dual keeps its tangent when its primal changes": (
        _forward_mode_a_dual_keeps_its_tangent_when_its_primal_changes
    ),
    "jvp of a write into a view of the input": _jvp_of_a_write_into_a_view_of_the_input,
    "forward mode in inference mode": _forward_mode_in_inference_mode,
    "forward mode: a view written after base.squeeze_": (
        _forward_mode_write_into_a_view_after_its_base_squeeze_
    ),
    "a saved tensor changed by t_": _a_saved_tensor_changed_by_an_in_place_view_op,
    "an in-place view op after a read": _in_place_view_op_after_a_read,
    "jacrev through a write, then t_": _jacrev_through_a_write_then_t_,
    "a hook on a view changed in place": _hook_on_a_view_changed_in_place,
    "retain_grad follows an in-place change": _retain_grad_follows_an_in_place_change,
    "detach_ keeps the history read before": _detach_keeps_earlier_history,
    "detach_ of a view is refused": _detach_of_a_view,
    "a leaf turned off after the graph gets no grad": _leaf_turned_off_after_the_graph,
    "a hook on a 0-d float64 gradient": _hook_on_a_0d_float64_gradient,
    "writing into an expand of new dims of size 1": _write_into_an_expand_of_new_size_one_dims,
    "writing into an expand that repeats is refused": _write_into_an_expand_that_repeats,
    "a view of a base detached, then written": _view_of_a_base_detached_then_written,
}


def _outcome(case: Callable[[Any], Any], M: Any) -> Any:
    """What the case returns, as plain data (tensors as arrays), or its error."""
    try:
        result = case(M)
    except Exception as error:  # noqa: BLE001 - the error is the outcome compared
        first_line = str(error).split("\n")[0].replace("torch.", "chainrule.")
        return ("raised", type(error).__name__, first_line)
    return _plain(result)


def _plain(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return type(value)(_plain(v) for v in value)
    if isinstance(value, torch.Tensor | cr.Tensor):
        return ("tensor", np.asarray(value.detach().numpy()).tolist())
    return value


@pytest.mark.parametrize("name", list(CASES))
def test_chainrule_does_what_pytorch_does(name: str) -> None:
    expected = _outcome(CASES[name], torch)
    found = _outcome(CASES[name], cr)
    assert found == expected
