"""Inference tensors, as PyTorch's: what ``inference_mode()`` makes, and PyTorch's rules for
using it afterwards. Each row runs the same code with ``torch`` and with ``chainrule`` (as
``M``) and compares what it returns (values, ``is_inference()``, ``requires_grad``, gradients)
or the error it raises (type and first line). A row may catch an error itself
(:func:`_attempt`) to go on and show what the failed call left behind (PyTorch changes an
inference tensor in place, then refuses).

Not matched (no row): PyTorch's ``clone()`` of an inference tensor starts at version 1,
chainrule's at 0; assigning ``t.requires_grad = True`` to an inference tensor outside
inference mode, which PyTorch refuses and chainrule (a plain attribute, read on every op) lets
through; ``requires_grad_()`` is refused as PyTorch's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr


def _attempt(call: Callable[[], Any]) -> Any:
    """``call()``'s result as plain data, or its error (type and first line)."""
    try:
        result = call()
    except Exception as error:  # noqa: BLE001 - the error is the outcome compared
        return _raised(error)
    return _plain(result)


def _raised(error: Exception) -> tuple[str, str, str]:
    first_line = str(error).split("\n")[0].replace("torch.", "chainrule.")
    return ("raised", type(error).__name__, first_line)


def _plain(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return type(value)(_plain(v) for v in value)
    if isinstance(value, torch.Tensor | cr.Tensor):
        array = np.asarray(value.detach().numpy())
        if array.dtype.kind == "f":  # float32's last bits differ between libms
            array = array.astype(np.float64).round(5)
        return ("tensor", array.tolist())
    return value


def _made(M: Any, make: Callable[[], Any]) -> Any:
    """``make()`` inside inference mode."""
    with M.inference_mode():
        return make()


def _flags(t: Any) -> tuple[Any, ...]:
    """A tensor's values, whether it is an inference tensor, whether it requires grad."""
    return _plain(t), t.is_inference(), t.requires_grad


# ----------------------------------------------------------------------------- what is made
def _factories_and_ops(M: Any) -> Any:
    n = M.ones(3)
    x = M.ones(3, requires_grad=True)
    with M.inference_mode():
        made = [
            M.ones(2),
            M.zeros(2, requires_grad=True),
            M.tensor([1.0, 2.0]),
            M.arange(3),
            M.zeros_like(n),
            M.full((2,), 7.0),
            M.eye(2),
            M.from_numpy(np.ones(2)),
            M.as_tensor(np.ones(2)),
            M.Tensor([1.0, 2.0]),
            n.new_ones(2),
            n * 2,
            x * 2,
            x.sum(),
            n.double(),
            n.clone(),
            M.cat([n, n]),
            x > 0,
            n.argmax(),
        ]
    return [_flags(t) for t in made]


def _normal_outside(M: Any) -> Any:
    x = M.ones(3, requires_grad=True)
    with M.no_grad():
        a = x * 2
    return _flags(M.ones(2)), _flags(x * 2), _flags(a), M.is_inference(M.ones(1))


def _views(M: Any) -> Any:
    """A view of a normal tensor taken inside is normal; a view of an inference tensor is one,
    inside and out."""
    n = M.ones(4)
    x = M.ones(4, requires_grad=True)
    with M.inference_mode():
        i = M.ones(4)
        inside = [n[:2], n.view(2, 2), x[1:], n.t(), n.detach(), x.detach(), i[:2], i.view(2, 2)]
        same = [n.contiguous() is n, n.float() is n]
    outside = [i[1:], i.reshape(2, 2), i.detach(), i.unsqueeze(0)]
    return [_flags(t) for t in inside + outside], same


def _data_of(M: Any) -> Any:
    n = M.ones(2)
    with M.inference_mode():
        i = M.ones(2)
        inside = [n.data, i.data]
    return [t.is_inference() for t in [*inside, i.data]]


def _nested_modes(M: Any) -> Any:
    x = M.ones(2, requires_grad=True)
    seen = []
    with M.inference_mode():
        with M.inference_mode(False):
            a = M.ones(2)
            b = x * 2
            seen.append((M.is_inference_mode_enabled(), M.is_grad_enabled()))
        with M.no_grad():
            c = M.ones(2)
            seen.append((M.is_inference_mode_enabled(), M.is_grad_enabled()))
        with M.enable_grad():
            d = x * 2
            seen.append((M.is_inference_mode_enabled(), M.is_grad_enabled()))
        with M.set_grad_enabled(True):
            e = x * 3
            seen.append(M.is_grad_enabled())
        seen.append((M.is_inference_mode_enabled(), M.is_grad_enabled()))
    with M.no_grad(), M.inference_mode(False):
        f = x * 2
        seen.append((M.is_inference_mode_enabled(), M.is_grad_enabled()))
    seen.append((M.is_inference_mode_enabled(), M.is_grad_enabled()))
    return [_flags(t) for t in (a, b, c, d, e, f)], seen, b.grad_fn is not None


def _decorators(M: Any) -> Any:
    x = M.ones(2, requires_grad=True)

    @M.inference_mode
    def bare(t: Any) -> Any:
        return t * 2

    @M.inference_mode()
    def called(t: Any) -> Any:
        return t * 2, M.is_inference_mode_enabled()

    @M.inference_mode(mode=False)
    def off(t: Any) -> Any:
        return t * 2

    @M.no_grad()
    def inner_no_grad(t: Any) -> Any:
        return t * 2

    @M.inference_mode()
    def around(t: Any) -> Any:
        return inner_no_grad(t), M.is_inference_mode_enabled()

    y, flag = called(x)
    z, flag2 = around(x)
    return (
        _flags(bare(x)),
        _flags(y),
        flag,
        _flags(off(x)),
        _flags(z),
        flag2,
        M.is_inference_mode_enabled(),
        M.is_grad_enabled(),
    )


def _is_inference_of_a_number(M: Any) -> Any:
    return M.is_inference(3)


# ------------------------------------------------------------- used in a graph, outside
def _inference_operand(M: Any, use: Callable[[Any, Any], Any]) -> Any:
    x = M.tensor([1.0, 2.0, 3.0], requires_grad=True)
    i = _made(M, lambda: M.tensor([2.0, 3.0, 4.0]))
    y = use(x, i)
    y.sum().backward()
    return _flags(y), x.grad


def _saved(use: Callable[[Any, Any], Any]) -> Callable[[Any], Any]:
    return lambda M: _inference_operand(M, use)


def _clone_is_normal(M: Any) -> Any:
    x = M.tensor([1.0, 2.0], requires_grad=True)
    i = _made(M, lambda: M.tensor([3.0, 4.0]))
    c = i.clone()
    inside = _made(M, lambda: i.clone())
    y = x * c
    y.sum().backward()
    return _flags(c), _flags(inside), x.grad


def _no_grad_use(M: Any) -> Any:
    x = M.ones(2, requires_grad=True)
    i = _made(M, lambda: M.tensor([3.0, 4.0]))
    with M.no_grad():
        a = x * i
    return _flags(a), _flags(i.sin()), _flags(i == 3.0)


def _saved_in_inference_mode_false(M: Any) -> Any:
    x = M.ones(2, requires_grad=True)
    i = _made(M, lambda: M.ones(2))
    with M.inference_mode(False):
        return x * i


def _saved_hooks_still_pack(M: Any) -> Any:
    """saved_tensors_hooks keep working once inference tensors are about."""
    _made(M, lambda: M.ones(1))
    seen = []
    x = M.tensor([1.0, 2.0], requires_grad=True)
    with M.autograd.graph.saved_tensors_hooks(
        lambda t: seen.append("pack") or t, lambda t: seen.append("unpack") or t
    ):
        y = (x * 2).exp()
    y.sum().backward()
    return seen, x.grad


# ------------------------------------------------------------------- in place, outside
def _changed_in_place(change: Callable[[Any, Any], Any]) -> Callable[[Any], Any]:
    def case(M: Any) -> Any:
        i = _made(M, lambda: M.tensor([1.0, 2.0, 3.0]))
        n = M.tensor([5.0, 6.0, 7.0])
        outcome = _attempt(lambda: change(i, n))
        return outcome, _plain(i), i.is_inference(), n._version

    return case


def _set_item(i: Any, n: Any) -> Any:
    i[0] = 9.0


def _in_place_under_no_grad(M: Any) -> Any:
    i = _made(M, lambda: M.ones(2))
    with M.no_grad():
        outcome = _attempt(lambda: i.add_(1))
    return outcome, _plain(i)


def _in_place_inside(M: Any) -> Any:
    """Inside inference mode, inference and normal tensors both change in place; a normal
    one's version is bumped."""
    n = M.ones(3)
    with M.inference_mode():
        i = M.ones(3)
        i.add_(1)
        i[0] = 5.0
        i[1:].mul_(3)
        n.add_(1)
        n[:2].mul_(2)
    return _flags(i), _flags(n), n._version


def _in_place_of_a_normal_tensor_by_an_inference_one(M: Any) -> Any:
    n = M.ones(3)
    i = _made(M, lambda: M.tensor([1.0, 2.0, 3.0]))
    n.add_(i)
    n.copy_(n * i)
    return _flags(n), n._version


def _recorded_in_place_saving_it(M: Any) -> Any:
    """``y.mul_(i)`` saves ``i``: refused before ``y`` changes."""
    x = M.ones(3, requires_grad=True)
    y = x.clone()
    i = _made(M, lambda: M.tensor([1.0, 2.0, 3.0]))
    outcome = _attempt(lambda: y.mul_(i))
    return outcome, _plain(y), y._version


def _recorded_in_place_of_it(M: Any) -> Any:
    """``i.add_(x)`` with ``x`` requiring grad: changed, then refused."""
    x = M.ones(3, requires_grad=True)
    i = _made(M, lambda: M.tensor([1.0, 2.0, 3.0]))
    outcome = _attempt(lambda: i.add_(x))
    return outcome, _plain(i)


def _recorded_in_place_reading_nothing(M: Any) -> Any:
    x = M.ones(3, requires_grad=True)
    y = x.clone()
    i = _made(M, lambda: M.tensor([1.0, 2.0, 3.0]))
    y.add_(i)
    y.sum().backward()
    return _flags(y), x.grad


# ------------------------------------------------------------------ requires_grad, version
def _requires_grad_outside(M: Any) -> Any:
    i = _made(M, lambda: M.ones(2))
    return _attempt(lambda: i.requires_grad_()), _flags(i.requires_grad_(False))


def _requires_grad_inside(M: Any) -> Any:
    i = _made(M, lambda: M.ones(2))
    with M.inference_mode():
        i.requires_grad_()
        w = M.ones(2).requires_grad_()
    return _flags(i), _flags(w)


def _requires_grad_of_an_integer_one(M: Any) -> Any:
    i = _made(M, lambda: M.ones(2, dtype=M.int64))
    return i.requires_grad_()


def _parameter_of_it(M: Any) -> Any:
    n = M.ones(2)
    i = _made(M, lambda: M.ones(2))
    outside = _attempt(lambda: M.nn.Parameter(i))
    kept = M.nn.Parameter(i, requires_grad=False)
    with M.inference_mode():
        p = M.nn.Parameter(i)
        q = M.nn.Parameter(n)
    return outside, _flags(kept), _flags(p), _flags(q)


def _linear_made_inside(M: Any) -> Any:
    with M.inference_mode():
        layer = M.nn.Linear(2, 2)
    return [(p.is_inference(), p.requires_grad) for p in layer.parameters()]


def _version_of_it(M: Any) -> Any:
    i = _made(M, lambda: M.ones(2))
    n = M.ones(2)
    inside = _made(M, lambda: _attempt(lambda: i._version))
    return _attempt(lambda: i._version), inside, n._version


# ----------------------------------------------------- views of normal tensors taken inside
def _view_taken_inside(M: Any) -> tuple[Any, Any]:
    x = M.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x.clone()
    with M.inference_mode():
        v = y[:2]
    return y, v


def _view_changed_outside(M: Any) -> Any:
    y, v = _view_taken_inside(M)
    return _flags(v), v.grad_fn is None, _attempt(lambda: v.add_(1)), _plain(y)


def _view_read_outside(M: Any) -> Any:
    y, v = _view_taken_inside(M)
    return _flags(v * 2), _flags(v.sin())


def _view_changed_under_no_grad_then_used(M: Any) -> Any:
    y, v = _view_taken_inside(M)
    with M.no_grad():
        v.add_(1)
    return _plain(y), _attempt(lambda: v * 2), _attempt(lambda: v.grad_fn)


def _view_changed_inside_then_used(M: Any) -> Any:
    y, v = _view_taken_inside(M)
    with M.inference_mode():
        v.add_(1)
        y.add_(1)
    return _plain(y), y._version, _attempt(lambda: v * 2), _flags(y * 2)


def _base_changed_outside_then_view_used(M: Any) -> Any:
    y, v = _view_taken_inside(M)
    y.add_(1)
    return _attempt(lambda: v * 2)


def _view_of_the_view_changed_outside(M: Any) -> Any:
    y, v = _view_taken_inside(M)
    w = v[:1]
    return _flags(w), _attempt(lambda: w.add_(1))


def _view_of_a_leaf_taken_inside(M: Any) -> Any:
    x = M.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with M.inference_mode():
        v = x[:2]
    (v * 2).sum().backward()
    return _flags(v), x.grad, _attempt(lambda: v.add_(1))


def _view_of_a_plain_tensor_taken_inside(M: Any) -> Any:
    n = M.ones(3)
    with M.inference_mode():
        v = n[:2]
    v.add_(1)
    return _flags(v), _plain(n), n._version, v._version, _flags(v.requires_grad_())


# ------------------------------------------------ an inference tensor that requires grad
def _requiring_grad_inside(use: Callable[[Any, Any], Any]) -> Callable[[Any], Any]:
    """``w`` made inside with ``requires_grad=True``, used outside: PyTorch's autograd sees an
    op only where a normal tensor is among its operands (a number added, multiplied, ...
    counts as one)."""

    def case(M: Any) -> Any:
        w = _made(M, lambda: M.tensor([1.0, 2.0], requires_grad=True))
        result = use(M, w)
        return _flags(result)

    return case


def _requiring_grad_backward(M: Any) -> Any:
    w = _made(M, lambda: M.tensor([1.0, 2.0], requires_grad=True))
    (w * 2 + w).sum().backward()
    return w.grad, w.is_inference()


CASES: dict[str, Callable[[Any], Any]] = {
    # what is made
    "factories and ops inside make inference tensors": _factories_and_ops,
    "outside, tensors are normal": _normal_outside,
    "views inside and out": _views,
    "data of normal and inference tensors": _data_of,
    "inference_mode nested with inference_mode(False), no_grad, enable_grad": _nested_modes,
    "decorators": _decorators,
    "is_inference of a number": _is_inference_of_a_number,
    # saved for backward, outside
    "x * i saves i: refused": _saved(lambda x, i: x * i),
    "i * x saves i: refused": _saved(lambda x, i: i * x),
    "x / i: refused": _saved(lambda x, i: x / i),
    "i / x: refused": _saved(lambda x, i: i / x),
    "x + i saves nothing": _saved(lambda x, i: x + i),
    "i + x saves nothing": _saved(lambda x, i: i + x),
    "x - i saves nothing": _saved(lambda x, i: x - i),
    "x.sin() + i": _saved(lambda x, i: x.sin() + i),
    "x * 2 + i": _saved(lambda x, i: x * 2 + i),
    "x.exp() * i: refused": _saved(lambda x, i: x.exp() * i),
    "x.sum() * i: refused": _saved(lambda x, i: x.sum() * i),
    "x ** i: refused": _saved(lambda x, i: x**i),
    "i ** x: refused": _saved(lambda x, i: i**x),
    "matmul: refused": _saved(lambda x, i: x[None] @ i[:, None]),
    "maximum: refused": _saved(lambda x, i: x.maximum(i)),
    "cat": _saved(lambda x, i: _cat(x, i)),
    "where with an inference mask": _saved(lambda x, i: _where(x, i)),
    "x * i.clone()": _saved(lambda x, i: x * i.clone()),
    "clone of an inference tensor is normal": _clone_is_normal,
    "used under no_grad": _no_grad_use,
    "saved inside inference_mode(False): refused": _saved_in_inference_mode_false,
    "saved_tensors_hooks still pack": _saved_hooks_still_pack,
    # in place, outside
    "add_ outside: changed, then refused": _changed_in_place(lambda i, n: i.add_(1)),
    "setitem outside: changed, then refused": _changed_in_place(_set_item),
    "zero_ outside": _changed_in_place(lambda i, n: i.zero_()),
    "copy_ outside": _changed_in_place(lambda i, n: i.copy_(n)),
    "mul_ by a normal tensor outside": _changed_in_place(lambda i, n: i.mul_(n)),
    "add_ of a view of it outside": _changed_in_place(lambda i, n: i[1:].add_(1)),
    "clamp_ outside": _changed_in_place(lambda i, n: i.clamp_(0, 2)),
    "in place under no_grad: refused": _in_place_under_no_grad,
    "in place inside": _in_place_inside,
    "a normal tensor changed by an inference one": _in_place_of_a_normal_tensor_by_an_inference_one,
    "recorded mul_ saving it: refused before the change": _recorded_in_place_saving_it,
    "recorded add_ into it: changed, then refused": _recorded_in_place_of_it,
    "recorded add_ of it": _recorded_in_place_reading_nothing,
    # requires_grad, version
    "requires_grad_ outside: refused": _requires_grad_outside,
    "requires_grad_ inside": _requires_grad_inside,
    "requires_grad_ of an integer one": _requires_grad_of_an_integer_one,
    "Parameter of it": _parameter_of_it,
    "a layer made inside": _linear_made_inside,
    "_version of it: refused": _version_of_it,
    # views of normal tensors taken inside
    "a view taken inside, changed outside: refused": _view_changed_outside,
    "a view taken inside, read outside": _view_read_outside,
    "a view taken inside, changed under no_grad, used": _view_changed_under_no_grad_then_used,
    "a view taken inside, changed inside, used": _view_changed_inside_then_used,
    "a view taken inside, its base changed outside": _base_changed_outside_then_view_used,
    "a view of a view taken inside, changed outside": _view_of_the_view_changed_outside,
    "a view of a leaf taken inside": _view_of_a_leaf_taken_inside,
    "a view of a plain tensor taken inside": _view_of_a_plain_tensor_taken_inside,
    # an inference tensor that requires grad, used outside
    "w + 1 is recorded": _requiring_grad_inside(lambda M, w: w + 1),
    "1 - w is recorded": _requiring_grad_inside(lambda M, w: 1 - w),
    "w * 2 is recorded": _requiring_grad_inside(lambda M, w: w * 2),
    "w / 2 is recorded": _requiring_grad_inside(lambda M, w: w / 2),
    "w * 2.5 is recorded": _requiring_grad_inside(lambda M, w: w * 2.5),
    "w ** 2 is not": _requiring_grad_inside(lambda M, w: w**2),
    "w * w is not": _requiring_grad_inside(lambda M, w: w * w),
    "w + w is not": _requiring_grad_inside(lambda M, w: w + w),
    "w.exp() is not": _requiring_grad_inside(lambda M, w: w.exp()),
    "-w is not": _requiring_grad_inside(lambda M, w: -w),
    "w.sum() is not": _requiring_grad_inside(lambda M, w: w.sum()),
    "a view of w is not": _requiring_grad_inside(lambda M, w: w.view(2)),
    "w * n is recorded": _requiring_grad_inside(lambda M, w: w * M.ones(2)),
    "w * x: refused": _requiring_grad_inside(lambda M, w: w * M.ones(2, requires_grad=True)),
    "w + x is recorded": _requiring_grad_inside(lambda M, w: w + M.ones(2, requires_grad=True)),
    "w.detach()": _requiring_grad_inside(lambda M, w: w.detach()),
    "backward through w * 2 + w": _requiring_grad_backward,
}


def _cat(x: Any, i: Any) -> Any:
    M = torch if isinstance(x, torch.Tensor) else cr
    return M.cat([x, i])


def _where(x: Any, i: Any) -> Any:
    M = torch if isinstance(x, torch.Tensor) else cr
    return M.where(i > 2.5, x, i)


def _outcome(case: Callable[[Any], Any], M: Any) -> Any:
    return _attempt(lambda: case(M))


@pytest.mark.parametrize("name", list(CASES))
def test_chainrule_does_what_pytorch_does(name: str) -> None:
    expected = _outcome(CASES[name], torch)
    found = _outcome(CASES[name], cr)
    assert found == expected
