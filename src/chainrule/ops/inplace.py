"""In-place ops (``add_``, ``x[i] = v``, ...) and the version counter that keeps them honest.

Every in-place change bumps the tensor's version. A node remembers the versions of the values
its vjp reads; if one changed before backward, backward raises instead of returning a wrong
gradient (PyTorch's rule). When gradients are being recorded, the change is computed out of
place on a snapshot of the old value, written back into the same memory, and the tensor's
``grad_fn`` becomes the new node.

    >>> import chainrule as cr
    >>> x = cr.tensor([1.0, 2.0], requires_grad=True)
    >>> y = x.exp()
    >>> y.add_(1)            # exp saved its output for backward ...
    tensor([3.7183, 8.3891], grad_fn=<AddBackward0>)
    >>> y.sum().backward()   # ... so this raises  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    RuntimeError: one of the variables needed ... its output of ExpBackward0 is at version 1; ...
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chainrule import grad_mode
from chainrule._array import xp
from chainrule.autodiff import batching, forward
from chainrule.op import Linear, _value
from chainrule.ops import dual, views
from chainrule.tensor import Tensor, _make, spread_requires_grad


def _records(t: Tensor, *others: Any) -> bool:
    if not grad_mode.enabled:
        return False
    if t.requires_grad or any(isinstance(o, Tensor) and o.requires_grad for o in others):
        return True
    # A view taken with recording off, of a tensor that requires grad: recorded, so that
    # views.check_inplace refuses it as PyTorch does.
    return t._view is not None and t._view.base.requires_grad


def apply(t: Tensor, compute: Callable[..., Tensor], *others: Any) -> Tensor:
    """Replace ``t``'s values by ``compute(t, *others)`` in place, recording it if needed."""
    _check_overlap(t, others)
    view = t._view
    if _records(t, *others):
        if view is not None:
            views.check_inplace(t)  # PyTorch's refusals for views; brings t's history up to date
        elif t.requires_grad and t._grad_fn is None:
            raise RuntimeError(
                "a leaf Variable that requires grad is being used in an in-place operation."
            )
        # The node must see the old values, which are about to be overwritten.
        old = _make(t._data.copy(), t.requires_grad, t._grad_fn)
        forward.carry(t, old)
        result = compute(old, *(_itself(t, old) if o is t else o for o in others))
        _write(t, result._data)
        forward.carry(result, t)
        if getattr(result._grad_fn, "out_versions", None) is not None:  # its rules read t
            result._grad_fn.out_versions = (t._vc, t._vc[0])
        if view is not None:
            forward.write_through(t, view.base, view.ops)
            views.rebase(t, result)  # the base's history, and t's from it
            return t
        # Older users of t must still see its old history: the engine follows this link
        # back from the new node (see graph.parent).
        result._grad_fn.replaced = t._grad_fn
        t._grad_fn = result._grad_fn
        t.requires_grad = True
        spread_requires_grad(t)
        return t
    with grad_mode.no_grad():
        result = compute(t, *others)
    forward.carry(result, t)
    _write(t, result._data)
    if view is not None:
        forward.write_through(t, view.base, view.ops)
    return t


def _itself(t: Tensor, old: Tensor) -> Tensor:
    """t as its own operand (``y.mul_(y)``): its old value, not t (whose node would become
    its own input, a cycle), on t's version counter, which this very op bumps: a rule that
    saved it raises at backward, as in PyTorch (``y.add_(y)`` saves nothing and works)."""
    operand = _make(old._data, old.requires_grad, old._grad_fn)
    operand._vc = t._vc
    return operand


def _check_overlap(t: Tensor, others: tuple[Any, ...]) -> None:
    """PyTorch refuses an argument that partly overlaps the memory written to."""
    target = t._data
    for o in others:
        if not isinstance(o, Tensor) or o is t or not xp.may_share_memory(target, o._data):
            continue
        a, b = target, o._data
        same = (
            a.__array_interface__["data"][0] == b.__array_interface__["data"][0]
            and a.shape == b.shape
            and a.strides == b.strides
        )
        dense = all(x.flags.c_contiguous or x.flags.f_contiguous for x in (a, b))
        if not same and dense and xp.shares_memory(a, b):
            raise RuntimeError(
                "unsupported operation: some elements of the input tensor and the written-to "
                "tensor refer to a single memory location. Please clone() the tensor before "
                "performing the operation."
            )


def _write(t: Tensor, values: Any) -> None:
    if not t._data.flags.writeable:
        raise RuntimeError(
            "unsupported operation: this tensor is an expanded (broadcast) view whose elements "
            "share memory; clone() it before writing to it in place"
        )
    if values.shape != t._data.shape:
        raise RuntimeError(
            f"in-place operation: output with shape {t._data.shape} doesn't match the "
            f"broadcast shape {values.shape}"
        )
    if not xp.can_cast(values.dtype, t._data.dtype, "same_kind"):
        raise RuntimeError(
            f"in-place operation: result type {values.dtype} can't be cast to the desired "
            f"output type {t._data.dtype}"
        )
    xp.copyto(t._data, values)
    t._vc[0] += 1


def _update(t: Tensor, ufunc: Any, op: Callable[..., Tensor], other: Any) -> Tensor:
    """``t = op(t, other)`` in place: with no graph to record, one NumPy ufunc into ``t``."""
    if _records(t, other) or forward.levels:
        return apply(t, op, other)
    _check_overlap(t, (other,))
    if not t._data.flags.writeable:
        _write(t, t._data)  # raises the clear error
    try:
        ufunc(t._data, _value(other), out=t._data)
    except (ValueError, TypeError):
        return apply(t, op, other)  # which explains the shape or dtype problem
    t._vc[0] += 1
    return t


def add_(t: Tensor, other: Any, alpha: Any = 1) -> Tensor:
    from chainrule.ops.elementwise import add

    if alpha != 1:
        _check_overlap(t, (other,))  # before the product hides that other is t's memory
        other = other * alpha
    return _update(t, xp.add, add, other)


def mul_(t: Tensor, other: Any) -> Tensor:
    from chainrule.ops.elementwise import mul

    return _update(t, xp.multiply, mul, other)


def div_(t: Tensor, other: Any) -> Tensor:
    from chainrule.ops.elementwise import div

    return _update(t, xp.true_divide, div, other)


def clamp_(t: Tensor, lo: Any = None, hi: Any = None) -> Tensor:
    from chainrule.ops.elementwise import clamp

    return apply(t, lambda old: clamp(old, lo, hi))


def fill_(t: Tensor, value: Any) -> Tensor:
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(
                "fill_ only supports 0-dimension value tensor but got tensor with "
                f"{value.ndim} dimensions."
            )
        value = value.clone()  # read before writing: it may be one of t's own elements
    return copy_(t, value)


class Copy(Linear):
    """``t.copy_(src)``: ``src`` broadcast to ``t``'s shape and cast to its dtype."""

    notation = "copy(t, src)"
    derivatives = ("0 (the old values are overwritten)", "1 (copies summed over broadcasting)")
    batch_rule = staticmethod(batching.copy_values)
    saves_inputs = False

    def forward(self, old, src):
        return xp.broadcast_to(src, old.shape).astype(old.dtype)

    def vjp(self, g, out, old, src):
        return (dual.zeros_like(g), g)


def copy_(t: Tensor, src: Any) -> Tensor:
    """Copy ``src`` (broadcast) into ``t``; the gradient goes to ``src``."""
    return apply(t, lambda old, s: Copy()(old, s), src)


def random_fill_(t: Tensor, draw: Callable[[tuple[int, ...]], Any]) -> Tensor:
    """Fill ``t`` in place with ``draw(shape)`` (an array, cast to ``t``'s dtype). Inside
    ``vmap``, as in ``torch.func``: with ``randomness="different"`` each example of a batched
    ``t`` gets its own draw, with ``"same"`` every example the one draw.

    >>> import chainrule as cr
    >>> rows = cr.func.vmap(lambda r: r.clone().uniform_(), randomness="different")(cr.zeros(3, 2))
    >>> len({tuple(r) for r in rows.tolist()})  # three examples, three draws
    3
    """
    from chainrule import rng

    if not batching.levels:
        return copy_(t, draw(tuple(t.shape)))
    batching.check_inplace_randomness(t)
    drawn = rng.per_example(draw, tuple(t.shape))
    if type(t) is not batching.BatchedTensor:  # 'same' everywhere: one draw
        return copy_(t, drawn)
    # Written into the physical tensor: the draw's leading dimensions are those of the
    # 'different' levels (all of which batch t), size 1 at t's other levels.
    value, have = batching.unwrap(t)
    lead = [level.size if level.randomness == "different" else 1 for level in have]
    if isinstance(drawn, Tensor):
        drawn = batching.physical(drawn)
    copy_(value, drawn.reshape(*lead, *t.shape))
    return t


def normal_(t: Tensor, mean: float = 0.0, std: float = 1.0, generator: Any = None) -> Tensor:
    from chainrule import rng

    dtype = batching.physical(t).dtype
    return random_fill_(t, lambda s: rng.normal(s, dtype, mean, std, g=generator))


def uniform_(t: Tensor, a: float = 0.0, b: float = 1.0, generator: Any = None) -> Tensor:
    from chainrule import rng

    dtype = batching.physical(t).dtype
    return random_fill_(t, lambda s: rng.uniform(s, dtype, a, b, g=generator))


def bernoulli_(t: Tensor, p: float = 0.5, generator: Any = None) -> Tensor:
    """``t`` filled with 0/1 drawn with probability ``p`` (a Python number): PyTorch's draw,
    one float64 uniform per element, as :func:`chainrule.factories.bernoulli` makes it."""
    from chainrule import rng

    return random_fill_(t, lambda s: rng.uniform(s, xp.float64, g=generator) < p)


def exponential_(t: Tensor, lambd: float = 1.0, generator: Any = None) -> Tensor:
    from chainrule import rng

    return random_fill_(t, lambda s: rng.exponential(s, lambd, g=generator))
