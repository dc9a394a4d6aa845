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
    RuntimeError: one of the variables needed ... which is output 0 of Exp, is at version 1; ...
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from chainrule import dtypes, grad_mode
from chainrule._array import xp
from chainrule.autodiff import batching, forward, open_transforms
from chainrule.dtypes import _TORCH_DTYPE_NAMES
from chainrule.memory_formats import is_dense, outermost_first
from chainrule.op import (
    Linear,
    NotImplementedDerivative,
    _value,
    named,
    no_forward_derivative,
    own_constants,
)
from chainrule.ops import broadcast, dual, views
from chainrule.ops.draws import Overwrite
from chainrule.ops.shape import element_strides
from chainrule.tensor import Tensor, _make, move_retained_grad, spread_requires_grad


def _records(t: Tensor, *others: Any) -> bool:
    if not grad_mode.modes.enabled:
        return False
    if t.requires_grad or any(isinstance(o, Tensor) and o.requires_grad for o in others):
        return True
    # A view taken with recording off, of a tensor that requires grad: recorded, so that
    # views.check_inplace refuses it as PyTorch does.
    return t._view is not None and t._view.base.requires_grad


def apply(
    t: Tensor,
    compute: Callable[..., Tensor],
    *others: Any,
    reads_first: bool = False,
    name: str = "inplace arithmetic",
    one_value: bool = False,
    distinct: bool = False,
) -> Tensor:
    """Replace ``t``'s values by ``compute(t, *others)`` in place, recording it if needed.
    ``reads_first``: the values were computed from ``others`` before, so they may overlap
    ``t`` (``x.bernoulli_(x[0])``, which PyTorch allows). ``name``: the op in vmap's refusal
    of a batched value for an unbatched ``t``. ``one_value``: every element gets the same
    value (fill_, zero_), so that, unrecorded, ``t``'s elements may share memory (an
    expanded view), as PyTorch's fill_ allows. ``distinct``: no operand may share memory
    with ``t``, not even all of it (see :func:`check_overlap`)."""
    if open_transforms.here.vmap and _batched(t, *others):
        if not reads_first:
            _check_example_overlap(t, others, distinct)
        return _apply_batched(t, compute, others, name)
    try:
        return _apply(t, compute, others, reads_first, one_value, distinct)
    except NotImplementedError as e:
        aten = getattr(e, "aten", None)  # forward mode through an op with no derivative:
        if aten is None:
            raise
        raise no_forward_derivative(aten + "_") from None  # PyTorch names the in-place kernel


def _apply(
    t: Tensor,
    compute: Callable[..., Tensor],
    others: tuple[Any, ...],
    reads_first: bool,
    one_value: bool = False,
    distinct: bool = False,
) -> Tensor:
    """:func:`apply` of an unbatched ``t`` (outside vmap, or ``t``'s physical tensor)."""
    view = t._view
    records = _records(t, *others)
    if records:  # autograd's refusals come first, as PyTorch's come before its kernel's
        _check_recordable(t)
        for o in others:  # then its operands': a view whose history cannot be replayed
            if isinstance(o, Tensor) and not _batched(o) and o._view is not None:
                views.sync(o)
    if not reads_first:
        check_overlap(t, others, distinct)
    if records:
        # The node must see the old values, which are about to be overwritten.
        history = t._grad_fn
        if view is not None and history is not None and history._hooks:
            # PyTorch's CopySlices passes the gradient to the base without the view's node:
            # its hooks see only the gradients of what read the view before (a node alike)
            history = views.replay(t._view)._grad_fn
        old = _make(t._data.copy(), t.requires_grad, history)
        forward.carry(t, old)
        result = compute(old, *(_itself(t, old) if o is t else o for o in others))
        if result._grad_fn is None:  # a value with no derivative (``y.eq_(1)``)
            result = zero_derivative(result, old)
        if result._grad_fn is None:  # t needs no gradient, only a compared operand did
            _write(t, result._data)  # (x.eq_(b) with b requiring grad: PyTorch records a
            return t  # zero derivative to b there; here x stays without a gradient)
        kept = _write(t, result._data)
        forward.carry(result, t)
        node = result._grad_fn
        if type(node) is NotImplementedDerivative:  # PyTorch names the in-place kernel
            node.aten += "_"
        if (stale := getattr(node, "out_versions", None)) is not None:  # its rules read t
            guard = node.out_versions = (t._vc, t._vc[0])
            node.versions = (*[v for v in node.versions if v is not stale], guard)
        if view is not None:
            view = t._view  # (check_inplace brought it up to date)
            forward.write_through(t, view, kept)
            views.rebase(t, result, kept)  # the base's history, and t's from it
            return t
        # Older users of t must still see its old history: the engine follows this link
        # back from the new node (see graph.parent).
        result._grad_fn.replaced = previous = t._grad_fn
        t._grad_fn = result._grad_fn
        t.requires_grad = True
        move_retained_grad(t, previous)
        spread_requires_grad(t)
        return t
    with grad_mode.no_grad():
        result = compute(t, *others)
    forward.carry(result, t)
    kept = _write(t, result._data, one_value)
    if view is not None and open_transforms.here.dual:
        forward.write_through(t, views.current(t), kept)
    return t


def _check_recordable(t: Tensor) -> None:
    """PyTorch's refusals of a recorded in-place change of ``t``: a leaf's, a view's."""
    if t._view is not None:
        views.check_inplace(t)  # PyTorch's refusals for views; brings t's history up to date
    elif t.requires_grad and t._grad_fn is None:
        raise RuntimeError(
            "a leaf Variable that requires grad is being used in an in-place operation."
        )


@own_constants  # the condition, always true
def zero_derivative(result: Tensor, old: Tensor) -> Tensor:
    """``result``'s values recorded as a function of ``old`` whose derivative is zero, as
    PyTorch records a comparison in place on a tensor that requires grad (``y.eq_(1)`` leaves
    ``y`` requiring grad, and passes zeros back to ``y``'s history) and ``matrix_power(A, 0)``.
    Not ``result + 0 * old``: an inf in ``old`` would make it nan."""
    from chainrule.ops.elementwise import where

    return where(xp.ones((), bool), result, old)


def _batched(*values: Any) -> bool:
    return any(type(v) is batching.BatchedTensor for v in values)


def _apply_batched(
    t: Tensor,
    compute: Callable[..., Tensor],
    others: tuple[Any, ...],
    name: str,
    by_shapes: bool = False,
) -> Tensor:
    """:func:`apply` inside vmap, where ``t`` or an operand is batched: ``compute`` runs on the
    batch (its ops' batching rules), and the result is written into ``t``'s physical tensor,
    recorded there as any in-place change. As in torch.func, the result may not be batched
    at a level that does not batch ``t``: ``t`` has no room for more than one value (refused
    as PyTorch's batching rule of ``add_`` refuses it, ``by_shapes``, or its fallback, naming
    the op ``name``)."""
    value, have = batching.unwrap(t)

    def on_physical(old: Tensor, *_: Any) -> Tensor:
        before = batching.wrap(old, have)  # t's old values, seen batched as t
        result = compute(before, *(before if o is t else o for o in others))
        data, its = batching.unwrap(result)
        if not set(its) <= set(have):
            extra = [i for i, level in enumerate(its) if level not in have]
            if all(its[i] in open_transforms.here.lifted for i in extra) and batching.alike_along(
                data._data, extra
            ):
                # A primal that jvp lifted to its tangents' levels (torch.func's is unbatched
                # there), its tangents batched: vmap's last resort, f once per example.
                raise batching.NotBatchable(
                    "vmap: an in-place change of an unbatched tensor by a batched one"
                )
            if by_shapes:
                raise _shape_mismatch(old.shape, data.shape)
            raise RuntimeError(_MORE_ELEMENTS.format(name=name))
        return batching.lift(data, its, have)[0]

    _apply(value, on_physical, others, reads_first=True)
    layer = t
    while type(layer) is batching.BatchedTensor:  # the wrappers say what the value says
        layer.requires_grad = value.requires_grad
        layer = layer._value
    return t


_MORE_ELEMENTS = (
    "vmap: {name}(self, *extra_args) is not possible because there exists a Tensor `other` in "
    "extra_args that has more elements than `self`. This happened due to `other` being vmapped "
    "over but `self` not being vmapped over in a vmap. Please try to use out-of-place "
    "operators instead of {name}. If said operator is being called inside the PyTorch "
    "framework, please file a bug report instead."
)


def _itself(t: Tensor, old: Tensor) -> Tensor:
    """t as its own operand (``y.mul_(y)``): its old value, not t (whose node would become
    its own input, a cycle), on t's version counter, which this very op bumps: a rule that
    saved it raises at backward, as in PyTorch (``y.add_(y)`` saves nothing and works)."""
    operand = _make(old._data, old.requires_grad, old._grad_fn)
    operand._vc = t._vc
    return operand


def check_overlap(t: Tensor, others: tuple[Any, ...], distinct: bool = False) -> None:
    """PyTorch refuses an argument that partly overlaps the memory written to (by an in-place
    op, or into ``out=``); with ``distinct``, one that overlaps it at all, wholly too
    (``x.scatter_(0, i, x)``, ``cat([x, y], out=x)``: the indexed writes of scatter,
    index_add, index_copy, put and index_put, and the copies of cat, would read what they have
    written, PyTorch's ``assert_no_overlap``)."""
    _check_overlap(t._data, others, distinct, t, _data_of)


def _data_of(x: Tensor) -> Any:
    return x._data


def _check_example_overlap(t: Tensor, others: tuple[Any, ...], distinct: bool = False) -> None:
    """:func:`check_overlap` under vmap: of one example's memory, as f alone would see it (the
    physical arrays' examples lie apart, so their batch dims are never dense)."""
    if (first := _first_example(t)) is not None:
        _check_overlap(first, others, distinct, t, _first_example)


def _first_example(x: Tensor) -> Any:
    """The part of ``x``'s physical array that its first example holds (under vmap), or None
    for an empty batch."""
    value, levels = batching.unwrap(x)
    data = value._data
    if 0 in data.shape[: len(levels)]:
        return None
    return data[(0,) * len(levels)]


def _check_overlap(
    a: Any, others: tuple[Any, ...], distinct: bool, t: Tensor, array: Callable[..., Any]
) -> None:
    """:func:`check_overlap` of the array ``a``, written as ``t``, with the arrays that
    ``array`` finds behind the Tensors among ``others`` (under vmap: their first examples')."""
    for o in others:
        if not isinstance(o, Tensor) or (b := array(o)) is None:
            continue
        if not xp.may_share_memory(a, b):
            continue
        if o is t and not distinct:
            continue
        same = not distinct and (
            a.__array_interface__["data"][0] == b.__array_interface__["data"][0]
            and (a.ndim, a.size) == (b.ndim, b.size)
            and _same_strides(a, b)
        )
        # PyTorch checks the overlap of dense tensors only (a transpose of a contiguous
        # one is dense), and a tensor with itself
        dense = all(is_dense(x.shape, element_strides(x)) for x in (a, b))
        if (o is t) or (not same and dense and xp.shares_memory(a, b)):
            raise RuntimeError(
                "unsupported operation: some elements of the input tensor and the written-to "
                "tensor refer to a single memory location. Please clone() the tensor before "
                "performing the operation."
            )


def _same_strides(a: Any, b: Any) -> bool:
    """Whether ``a`` and ``b`` (dense, from one place, as many dims) have PyTorch's strides of
    one tensor: the same, dim by dim, those of dims of size 1 too (a (2, 1) ``y`` and
    ``y[..., ::2]`` overlap partly there, and ``y.add_(y[..., ::2])`` is refused; their shapes
    may differ: ``y.sub_(y.t())`` is refused for its shapes). A stride of 0 on a dim of size 1
    is NumPy's alone (``x[:, None]``, ``broadcast_to``), where PyTorch's is another, so it
    matches any (``x[...] = x`` of a (1, 1) ``x`` expands the value)."""
    return all(
        step == other or (step == 0 and n == 1) or (other == 0 and m == 1)
        for step, other, n, m in zip(a.strides, b.strides, a.shape, b.shape, strict=True)
    )


def _write(t: Tensor, values: Any, one_value: bool = False) -> Any:
    """``values`` into ``t``'s memory; where ``t``'s elements share memory, the bool mask of
    those written (:func:`chainrule.ops.views.kept_places`), else None."""
    target = t._data
    if values.shape != target.shape:
        raise _shape_mismatch(target.shape, values.shape)
    if not target.flags.writeable:  # an expanded view (read-only, as NumPy's broadcasts are)
        if one_value:  # (see apply) each place once: the first along each dim that repeats
            once = tuple(slice(0, 1) if step == 0 else slice(None) for step in target.strides)
            target, values = target[once], values[once]
        target = _writeable(target)
    if not dtypes.can_cast(values.dtype, t._data.dtype):
        raise cast_error(values.dtype, dtypes.scalar_type_name(t._data.dtype))
    contiguous = target.flags.c_contiguous or target.flags.f_contiguous
    kept = None if contiguous else views.kept_places(target, values)
    if kept is None:
        xp.copyto(target, values, casting="unsafe")  # a signed result wraps into unsigned
    else:  # elements that share memory (an unfold of overlapping windows): one write a place
        xp.copyto(target, values, casting="unsafe", where=kept)
    bump(t)
    return kept


def same_dtype(result: Tensor, t: Tensor) -> Tensor:
    """``result``, computed in place of ``t`` with a ``dtype=`` (``cumsum_``, ``cumprod_``),
    refused as PyTorch refuses a dtype other than ``t``'s (the write would cast it back)."""
    if result.dtype != t.dtype:
        have, asked = (dtypes.C_TYPE_NAMES[x._data.dtype.name] for x in (t, result))
        raise RuntimeError(
            f"Bad in-place call: input tensor dtype {have} and output tensor dtype {asked} "
            "should match"
        )
    return result


def cast_error(result: Any, target: str) -> RuntimeError:
    """PyTorch's refusal to write a result of NumPy dtype ``result`` into a tensor of the
    dtype named ``target``."""
    return RuntimeError(
        f"result type {dtypes.scalar_type_name(result)} can't be cast to the desired output "
        f"type {target}"
    )


def binary_(t: Tensor, op: Callable[..., Tensor], other: Any) -> Tensor:
    """``t = op(t, other)`` in place, for an elementwise ``op`` whose result has the operands'
    common dtype (floor_divide_, remainder_, the bitwise ones), with PyTorch's checks of the
    output before ``op`` reads its operands, in its order: the broadcast shape must be ``t``'s,
    then the common dtype one that ``t`` takes. Else an integer ``t``'s division by zero, or
    a float's missing bitwise kernel, would be what is said."""
    from chainrule.settings import result_type

    if isinstance(other, Tensor) and other.shape != t.shape:
        shapes = [tuple(t.shape), tuple(other.shape)]
        try:
            shape = xp.broadcast_shapes(*shapes)
        except ValueError:
            raise broadcast.mismatch(op.__name__, shapes) from None
        if shape != shapes[0]:
            raise _shape_mismatch(shapes[0], shape)
    result, target = result_type(t, other).dtype, t.dtype.dtype
    if not dtypes.can_cast(result, target):
        raise cast_error(result, dtypes.scalar_type_name(target))
    return apply(t, op, other)


def _writeable(view: Any) -> Any:
    """``view``, a read-only expanded view, as a writeable array over the same memory, where
    no two of its elements share one place (it only added dims of size 1, as PyTorch then
    writes); else PyTorch's refusal."""
    if any(step == 0 and n > 1 for step, n in zip(view.strides, view.shape, strict=True)):
        raise RuntimeError(  # an expanded view, or an as_strided one with a stride of 0
            "unsupported operation: more than one element of the written-to tensor refers to a "
            "single memory location. Please clone() the tensor before performing the operation."
        )
    owner = view
    # the memory's own array, which may be written, and is one block (NumPy makes an array
    # over a buffer of one block only: a writeable diagonal view is not)
    while (
        not owner.flags.writeable or not (owner.flags.c_contiguous or owner.flags.f_contiguous)
    ) and (below := _below(owner)) is not None:
        owner = below
    if not owner.flags.writeable:
        raise ValueError("assignment destination is read-only")
    start = view.__array_interface__["data"][0] - owner.__array_interface__["data"][0]
    return xp.ndarray(view.shape, view.dtype, owner, start, view.strides)


def _below(a: Any) -> Any:
    """The array that ``a`` views, or None: past the stand-in NumPy's ``as_strided`` keeps
    between them (an unfold of an expanded view is read-only, its memory not)."""
    base = a.base
    if base is not None and not isinstance(base, xp.ndarray):
        base = getattr(base, "base", None)
    return base if isinstance(base, xp.ndarray) else None


def bump(t: Tensor) -> None:
    """Count an in-place change of ``t`` in its version (what the checks of saved tensors
    read); under vmap, tell the open levels, which then may not run their functions again,
    and the runs of vmap's fallback (see :func:`chainrule.autodiff.batching.note_change`)."""
    t._vc[0] += 1
    if open_transforms.here.watches:
        batching.note_change(t._vc)


def _shape_mismatch(shape: tuple[int, ...], broadcast: tuple[int, ...]) -> RuntimeError:
    return RuntimeError(
        f"output with shape {list(shape)} doesn't match the broadcast shape {list(broadcast)}"
    )


def _update(t: Tensor, ufunc: Any, op: Callable[..., Tensor], other: Any) -> Tensor:
    """``t = op(t, other)`` in place: with no graph to record, one NumPy ufunc into ``t``."""
    if open_transforms.here.vmap and _batched(t, other):
        # PyTorch's add_ alone has a batching rule, which finds the physical shapes differ.
        # (It also reads the physical arrays' overlap, never dense: it computes where each
        # example refuses; chainrule refuses, as f alone does.)
        _check_example_overlap(t, (other,))
        return _apply_batched(t, op, (other,), "inplace arithmetic", ufunc is xp.add)
    # (a shell uint takes the op, whose dispatch refuses the kernels PyTorch lacks for it)
    if _records(t, other) or open_transforms.here.dual or t._data.dtype in dtypes.SHELL_UINTS:
        return apply(t, op, other)
    check_overlap(t, (other,))
    if not t._data.flags.writeable:  # an expanded view: refused, or written through _write
        return apply(t, op, other)
    value = _value(other)
    # mul_ and div_ of a float16 t read a number in float32, as Op.__call__ does (_half_opmath)
    if ufunc is not xp.add and (wide := dtypes.half_opmath_operand(t._data, value)) is not None:
        value = wide
    elif type(value) is xp.ndarray and value.dtype is not t._data.dtype:
        # in the operands' common dtype, as Op.__call__ computes: an int64 beside a float32 t
        # is rounded to float32 first (NumPy would add in float64 and round the sum)
        value = dtypes.promote_operands(t._data, value)[1]
    try:
        ufunc(t._data, value, out=t._data)
    except (ValueError, TypeError, OverflowError):
        return apply(t, op, other)  # which explains the shape or dtype problem
    bump(t)
    return t


def add_(t: Tensor, other: Any, alpha: Any = 1) -> Tensor:
    from chainrule.ops.elementwise import add

    return _update(t, xp.add, add, _scaled(t, other, alpha))


def sub_(t: Tensor, other: Any, alpha: Any = 1) -> Tensor:
    """``t -= alpha * other``: a subtraction, not the addition of ``-alpha * other``, which
    would take bools that PyTorch refuses to subtract and negate a uint8 ``other`` in its own
    dtype (an int64 minus a 0-d uint8 3 added 253)."""
    from chainrule.ops.elementwise import sub

    other = _scaled(t, other, alpha)
    bools = t.dtype is dtypes.bool or getattr(other, "dtype", None) is dtypes.bool
    if bools or type(other) is bool:  # NumPy subtracts a bool from an int
        return apply(t, sub, other)  # Sub refuses it in PyTorch's words
    return _update(t, xp.subtract, sub, other)


def _scaled(t: Tensor, other: Any, alpha: Any) -> Any:
    """``alpha * other`` for :func:`add_` and :func:`sub_` (``other`` itself for an alpha of
    1), refused as PyTorch refuses it."""
    if alpha == 1 and not isinstance(alpha, bool):  # True == 1, but PyTorch checks it
        return other  # (before the import: it costs a plain add_ a third of its time)
    from chainrule.ops.elementwise import alpha_times, refuse_alpha

    refuse_alpha(t, other, alpha)
    if not open_transforms.here.vmap:  # (under vmap, t's batch is written physically)
        if _records(t, other):  # autograd's refusals first, as in apply
            _check_recordable(t)
        check_overlap(t, (other,))  # before the product hides that other is t's memory
    return alpha_times(t, other, alpha)


def mul_(t: Tensor, other: Any) -> Tensor:
    from chainrule.ops.elementwise import mul

    return _update(t, xp.multiply, mul, other)


def div_(t: Tensor, other: Any, rounding_mode: str | None = None) -> Tensor:
    from chainrule.ops import elementwise

    if rounding_mode is None:
        return _update(t, xp.true_divide, elementwise.div, other)

    def div(a: Any, b: Any) -> Tensor:  # (binary_ names the op by its __name__)
        return elementwise.div(a, b, rounding_mode=rounding_mode)

    # a rounded quotient keeps an integer dtype: PyTorch's checks of binary_ (floor_divide_)
    return binary_(t, div, other)


def clamp_(t: Tensor, lo: Any = None, hi: Any = None) -> Tensor:
    from chainrule.ops.elementwise import clamp

    # lo and hi go to apply as operands: a bound that requires grad is then recorded
    return bounded_(t, lambda old, low, high: clamp(old, low, high), lo, hi)


def bounded_(t: Tensor, clamp: Callable[..., Tensor], *bounds: Any) -> Tensor:
    """``t = clamp(t, *bounds)`` in place (clamp_, clamp_min_, clamp_max_). Where a bound is a
    number, PyTorch's clamp_ checks first that ``t`` takes the result's dtype, and names
    ``t``'s dtype as C++ does ("signed char", "bool"), not as other in-place ops do."""
    from chainrule.settings import result_type

    given = [bound for bound in bounds if bound is not None]
    if any(not isinstance(bound, Tensor) for bound in given):
        results = [result_type(t, bound).dtype for bound in given]
        result, target = functools.reduce(dtypes.torch_promote_types, results), t.dtype.dtype
        if not dtypes.can_cast(result, target):
            raise cast_error(result, dtypes.C_TYPE_NAMES[target.name])
    return apply(t, clamp, *bounds)


def fill_(t: Tensor, value: Any) -> Tensor:
    """Every element of ``t`` set to ``value``, a number (PyTorch's ``FillBackward2``: no
    gradient flows through it) or a 0-d tensor (``FillBackward3``: its gradient is the sum
    of ``t``'s)."""
    if not isinstance(value, Tensor):
        value = dtypes.checked_scalar(value, batching.physical(t).dtype)
        return overwrite_(t, value, "FillBackward2")
    if value.ndim:
        raise RuntimeError(
            "fill_ only supports 0-dimension value tensor but got tensor with "
            f"{value.ndim} dimensions."
        )
    if xp.may_share_memory(batching.physical(value), batching.physical(t)):
        value = value.clone()  # read before writing: it is one of t's own elements
    fill = lambda old, v: named(Copy()(old, v), "FillBackward3")  # noqa: E731
    return apply(t, fill, _as_source(t, value), name="fill_")


def zero_(t: Tensor) -> Tensor:
    """Every element of ``t`` set to zero (PyTorch's ``ZeroBackward0``)."""
    return overwrite_(t, 0, "ZeroBackward0")


def overwrite_(t: Tensor, values: Any, name: str, *parameters: Tensor) -> Tensor:
    """``t``'s values replaced by ``values`` (broadcast and cast), which were computed from
    ``parameters`` (if any) but not from ``t``: recorded as a zero-derivative node of PyTorch's
    ``name`` for the fill (see :class:`chainrule.ops.draws.Overwrite`)."""
    one_value = not parameters and not getattr(values, "ndim", 0)  # fill_, zero_
    overwrite = lambda old, *p: Overwrite(name)(old, *p, values)  # noqa: E731
    return apply(t, overwrite, *parameters, reads_first=True, one_value=one_value)


class Copy(Linear):
    """``t.copy_(src)``: ``src`` broadcast to ``t``'s shape and cast to its dtype."""

    notation = "copy(t, src)"
    derivatives = ("0 (the old values are overwritten)", "1 (copies summed over broadcasting)")
    batch_rule = staticmethod(batching.copy_values)
    saves_inputs = False
    torch_name = "chainrule::autograd::CopyBackwards"  # PyTorch names it in its namespace

    def forward(self, old, src):
        if xp.ndim(src) > old.ndim:  # (NumPy's refusal names no shape: see _mismatch)
            raise ValueError("src does not broadcast to the output")
        return xp.broadcast_to(src, old.shape).astype(old.dtype)

    def _mismatch(self, args: tuple[Any, ...]) -> RuntimeError:
        """PyTorch's words where ``src`` broadcasts with ``t`` only to a larger shape."""
        old, src = (xp.shape(a) for a in args)
        try:
            shape = xp.broadcast_shapes(old, src)
        except ValueError:  # sizes that differ: the op's general message
            return super()._mismatch(args)
        return RuntimeError(
            f"output with shape {list(old)} doesn't match the broadcast shape {list(shape)}"
        )

    def vjp(self, g, out, old, src):
        return (dual.zeros_like(g), g)


def copy_(t: Tensor, src: Any) -> Tensor:
    """Copy ``src`` (broadcast) into ``t``; the gradient goes to ``src``."""
    return apply(t, lambda old, s: Copy()(old, s), _as_source(t, src))


def _as_source(t: Tensor, src: Any) -> Any:
    """``src`` for :class:`Copy` into ``t``: an integer or bool tensor has no tangent, so it
    is given as a float of ``t``'s dtype, for which the linear family's forward rule gives
    zeros (an integer input would pass on unchanged, as a setting of the map)."""
    if isinstance(src, Tensor) and t.is_floating_point() and not src.is_floating_point():
        return src.to(t.dtype)
    return src


def random_fill_(t: Tensor, draw: Callable[[tuple[int, ...]], Any], name: str) -> Tensor:
    """Fill ``t`` in place with ``draw(shape)`` (an array, cast to ``t``'s dtype), recorded
    under PyTorch's ``name`` for the fill. Inside ``vmap``, as in ``torch.func``: with
    ``randomness="different"`` each example of a batched ``t`` gets its own draw, with
    ``"same"`` every example the one draw. Each fill's ``draw`` checks its arguments and
    ``t``'s dtype first: after vmap's refusals, as PyTorch orders them. A ``t`` laid out
    otherwise than row-major is filled in PyTorch's order (:func:`rng.in_memory_order`).

    >>> import chainrule as cr
    >>> rows = cr.func.vmap(lambda r: r.clone().uniform_(), randomness="different")(cr.zeros(3, 2))
    >>> len({tuple(r) for r in rows.tolist()})  # three examples, three draws
    3
    """
    from chainrule import rng

    if not open_transforms.here.vmap:
        shape = tuple(t.shape)
        values = draw(shape) if t.is_contiguous() else rng.in_memory_order(draw, shape, t.stride())
        return overwrite_(t, values, name)
    batching.check_inplace_randomness(t)
    return _fill(t, rng.per_example(draw, tuple(t.shape)), name)


def _fill(t: Tensor, values: Any, name: str) -> Tensor:
    """:func:`overwrite_` inside vmap, where ``values`` (an array or a tensor) may be batched
    at some of the vmap levels that batch ``t`` (a draw of the 'different' levels): written
    into ``t``'s physical tensor, size 1 at its levels that ``values`` is not batched at."""
    if type(t) is not batching.BatchedTensor:  # unbatched: one value for every example
        return overwrite_(t, values, name)
    value, have = batching.unwrap(t)
    data, its = batching.unwrap(values) if isinstance(values, Tensor) else (values, [])
    lead = [level.size if level in its else 1 for level in have]
    overwrite_(value, data.reshape(*lead, *t.shape), name)
    return t


def normal_(t: Tensor, mean: float = 0.0, std: float = 1.0, generator: Any = None) -> Tensor:
    from chainrule import rng

    physical = batching.physical(t)
    dtype, blocks = physical.dtype, physical.flags.c_contiguous

    def draw(shape: tuple[int, ...]) -> Any:
        if not std >= 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
        check_kernel_dtype(dtype, "normal_kernel_cpu", floating=True)
        return rng.normal(shape, dtype, mean, std, g=generator, blocks=blocks)

    return random_fill_(t, draw, "NormalBackward0")


def uniform_(t: Tensor, a: float = 0.0, b: float = 1.0, generator: Any = None) -> Tensor:
    from chainrule import rng

    dtype = batching.physical(t).dtype

    def draw(shape: tuple[int, ...]) -> Any:
        check_kernel_dtype(dtype, "check_uniform_bounds", floating=True)
        _check_uniform_bounds(a, b, dtype)
        return rng.uniform(shape, dtype, a, b, g=generator)

    return random_fill_(t, draw, "UniformBackward0")


def _check_uniform_bounds(a: float, b: float, dtype: Any) -> None:
    """PyTorch's checks of ``uniform_``'s ends, in its order: each a finite value of the
    dtype, ``a <= b``, and a span ``b - a`` the dtype can hold (past it every draw would be
    infinite)."""
    limit = float(xp.finfo(dtype).max)
    for value, end in ((a, "from"), (b, "to")):
        if not -limit <= value <= limit:
            raise RuntimeError(f"{end} is out of bounds for {dtypes.C_TYPE_NAMES[dtype.name]}")
    if not a <= b:
        raise RuntimeError(
            f"uniform_ expects to return a [from, to) range, but found from={a:g} > to={b:g}"
        )
    if b - a > limit:
        raise RuntimeError(
            f"uniform_ expects to-from <= std::numeric_limits<{dtypes.scalar_type_name(dtype)}>"
            f"::max(), but found to={b:g} and from={a:g} which result in to-from to exceed the "
            "limit"
        )


def bernoulli_(t: Tensor, p: Any = 0.5, generator: Any = None) -> Tensor:
    """``t`` filled with 0/1 drawn with probability ``p``: a Python number (PyTorch's draw,
    one float64 uniform per element, as :func:`chainrule.factories.bernoulli` makes it) or a
    tensor of probabilities broadcast to ``t``."""
    from chainrule import rng

    if isinstance(p, Tensor):
        return _bernoulli_tensor_(t, p, generator)
    rng.bernoulli_probability(p)
    draw = lambda s: rng.uniform(s, xp.float64, g=generator) < p  # noqa: E731
    return random_fill_(t, draw, "BernoulliBackward2")


def _bernoulli_tensor_(t: Tensor, p: Tensor, generator: Any) -> Tensor:
    """``t.bernoulli_(p)`` for a tensor ``p``; inside vmap, torch.func's refusals: a ``p``
    batched where ``t`` is not would give ``t`` one value per example, which it cannot hold."""
    from chainrule import factories

    if open_transforms.here.vmap:
        batching.check_randomness(per_example=True)
        batching.refuse_same_randomness(p)
        if not set(batching.unwrap(p)[1]) <= set(batching.unwrap(t)[1]):
            raise RuntimeError(
                "vmap: inplace bernoulli(self, *extra_args) is not possible because there "
                "exists a Tensor `other` in extra_args that has more elements than `self`. This "
                "happened due to `other` being vmapped over but `self` not being vmapped over in "
                "a vmap. Please try to use out-of-place operators instead of inplace bernoulli. "
                "If said operator is being called inside the PyTorch framework, please file a "
                "bug report instead."
            )
        batching.check_inplace_randomness(t)
    probabilities = p if tuple(p.shape) == tuple(t.shape) else p.expand(*t.shape)
    # PyTorch draws in t's memory order: the probabilities permuted to it, drawn row-major,
    # permuted back (as rng.in_memory_order does with arrays)
    order = None
    if not open_transforms.here.vmap and not t.is_contiguous():
        order = outermost_first(tuple(t.shape), t.stride())
    if order is not None:
        probabilities = probabilities.permute(*order)
    with grad_mode.no_grad():  # the node made here is the fill's, which takes p
        values = factories.bernoulli(probabilities, generator=generator)
    if order is not None:
        values = values.permute(*(int(d) for d in xp.argsort(order)))
    if open_transforms.here.vmap:
        return _fill(t, values, "BernoulliBackward1")
    return overwrite_(t, values, "BernoulliBackward1", p)


def exponential_(t: Tensor, lambd: float = 1.0, generator: Any = None) -> Tensor:
    from chainrule import rng

    dtype = batching.physical(t).dtype

    def draw(shape: tuple[int, ...]) -> Any:
        if not lambd > 0:
            raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd:g}")
        _continuous(dtype, "Exponential", 1)
        return rng.exponential(shape, lambd, g=generator)

    return random_fill_(t, draw, "ExponentialBackward0")


def random_(t: Tensor, *args: Any, generator: Any = None, **kwargs: Any) -> Tensor:
    """``t`` filled with integers drawn uniformly: ``random_()`` from 0 up to the largest
    integer ``t``'s dtype holds exactly, ``random_(to)`` from [0, to), ``random_(from, to)``
    from [from, to) (``to`` None: up to the dtype's largest), PyTorch's draws.

    >>> import chainrule as cr
    >>> _ = cr.manual_seed(0)
    >>> cr.zeros(4).random_(10)  # PyTorch's values
    tensor([4., 9., 3., 0.])
    """
    from chainrule import rng

    low, high = _random_bounds(args, kwargs)
    dtype = batching.physical(t).dtype
    wide = 2**28 if args or kwargs else 2**32  # random_()'s kernel is another (rng.integers)

    def draw(shape: tuple[int, ...]) -> Any:
        return rng.integers(*rng.random_range(dtype, low, high), shape, g=generator, wide=wide)

    # PyTorch's overloads: 0 random_(from, to), 1 random_(to), 2 random_().
    overload = 2 - len(args) - len(kwargs)
    return random_fill_(t, draw, f"RandomBackward{overload}")


def _random_bounds(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[int, int | None]:
    """``(from, to)`` of ``random_()``, ``random_(to)`` or ``random_(from, to)``, refusing
    other arguments in the words of PyTorch's argument parser."""
    values = (*args, *kwargs.values())
    if not values:
        return 0, None  # random_(0, None)'s range, drawn otherwise (see rng.integers)
    if (not kwargs or list(kwargs) == ["to"]) and len(values) <= 2:
        low, high = (0, *values) if len(values) == 1 else values
        # Only random_(from, to) takes a None: random_(to) needs a number.
        if _integer(low) and (_integer(high) or (high is None and len(values) == 2)):
            return low, high
    given = [type(v).__name__ for v in args] + [
        f"{k}={type(v).__name__}" for k, v in kwargs.items()
    ]
    raise TypeError(
        f"random_() received an invalid combination of arguments - got ({', '.join(given)}), "
        "but expected one of:\n * (*, Generator generator = None)\n"
        " * (int from, int to, *, Generator generator = None)\n"
        " * (int to, *, Generator generator = None)"
    )


def _integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def geometric_(t: Tensor, p: float, generator: Any = None) -> Tensor:
    """``t`` filled with the number of Bernoulli(``p``) trials up to the first success
    (1, 2, ...), PyTorch's draws.

    >>> import chainrule as cr
    >>> _ = cr.manual_seed(0)
    >>> cr.zeros(5).geometric_(0.3)  # PyTorch's values
    tensor([1., 1., 3., 1., 2.])
    """
    from chainrule import rng

    dtype = batching.physical(t).dtype

    def draw(shape: tuple[int, ...]) -> Any:
        if not 0 < p < 1:
            raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p:g}")
        check_kernel_dtype(dtype, "geometric_cpu", floating=False)
        return rng.geometric(shape, p, g=generator)

    return random_fill_(t, draw, "GeometricBackward0")


def log_normal_(t: Tensor, mean: float = 1.0, std: float = 2.0, generator: Any = None) -> Tensor:
    """``t`` filled with ``exp`` of normal values of mean ``mean`` and standard deviation
    ``std``, PyTorch's draws.

    >>> import chainrule as cr
    >>> _ = cr.manual_seed(0)
    >>> cr.zeros(3, dtype=cr.float64).log_normal_(0.0, 0.5)  # PyTorch's values
    tensor([2.1608, 0.8635, 0.3364], dtype=chainrule.float64)
    """
    from chainrule import rng

    dtype = batching.physical(t).dtype

    def draw(shape: tuple[int, ...]) -> Any:
        if not std > 0:
            raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std:g}")
        check_kernel_dtype(dtype, "log_normal_cpu", floating=True)
        return rng.log_normal(shape, mean, std, g=generator)

    return random_fill_(t, draw, "LogNormalBackward0")


def cauchy_(t: Tensor, median: float = 0.0, sigma: float = 1.0, generator: Any = None) -> Tensor:
    """``t`` filled with Cauchy values of location ``median`` and scale ``sigma``, PyTorch's
    draws.

    >>> import chainrule as cr
    >>> _ = cr.manual_seed(0)
    >>> cr.zeros(3).cauchy_()  # PyTorch's values
    tensor([10.5977,  0.7648, -0.1283])
    """
    from chainrule import rng

    dtype = batching.physical(t).dtype

    def draw(shape: tuple[int, ...]) -> Any:
        if not sigma > 0:
            raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma:g}")
        _continuous(dtype, "Cauchy", 0)
        return rng.cauchy(shape, median, sigma, g=generator)

    return random_fill_(t, draw, "CauchyBackward0")


def _torch_name(dtype: Any, spelling: int) -> str:
    """PyTorch's name of ``dtype`` in its messages: 0 its C++ type, 1 its ScalarType."""
    return _TORCH_DTYPE_NAMES[xp.dtype(dtype).name][spelling]


def check_kernel_dtype(dtype: Any, kernel: str, floating: bool) -> None:
    """PyTorch's refusal of a dtype its random kernel has no version for: only floats, or
    anything but bool."""
    if (dtype.kind != "f") if floating else (dtype == xp.bool_):
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_torch_name(dtype, 1)}'")


def _continuous(dtype: Any, distribution: str, spelling: int) -> None:
    """PyTorch's refusal to fill an integer tensor from a continuous distribution (which
    names the dtype one way for Exponential, the other for Cauchy)."""
    if dtype.kind != "f":
        raise RuntimeError(
            f"{distribution} distribution is a continuous probability distribution. dtype must "
            f"be a floating point but you specified {_torch_name(dtype, spelling)}"
        )


# ----------------------------------------------------------------------------- in-place views
# PyTorch's names for the nodes of the in-place view methods: their own overloads, numbered
# after the out-of-place ones (``x.t_()`` is ``TBackward1``, ``x.squeeze_(0)``
# ``SqueezeBackward4``).
_IN_PLACE_NAMES = {
    "TBackward0": "TBackward1",
    "TransposeBackward0": "TransposeBackward1",
    "SqueezeBackward0": "SqueezeBackward3",
    "SqueezeBackward1": "SqueezeBackward4",
    "SqueezeBackward2": "SqueezeBackward5",
    "UnsqueezeBackward0": "UnsqueezeBackward1",
    "AsStridedBackward0": "AsStridedBackward1",
}


def restride_(t: Tensor, make: Callable[[Tensor], Tensor]) -> Tensor:
    """``t`` becomes the view ``make(t)`` of its own memory (``t_``, ``squeeze_``, ...): the
    same tensor object and data pointer, other sizes and strides, its version bumped. As in
    PyTorch: refused on a leaf that requires grad (and on the views that refuse any in-place
    change); on a tensor with history, its ``grad_fn`` becomes the view's node over the old
    one, which earlier users of ``t`` keep reading; a view stays a view of its base, the new
    op added to the ones its history is replayed from.

    >>> import chainrule as cr
    >>> x = cr.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    >>> y = x * 2
    >>> y.t_() is y, y.shape, y.grad_fn.name(), y._version
    (True, chainrule.Size([3, 1]), 'TBackward1', 1)
    """
    if open_transforms.here.vmap and _batched(t):
        return _restride_batched(t, make)
    view = t._view
    records = _records(t)
    if records:
        if view is not None:
            views.check_inplace(t)
        elif t.requires_grad and t._grad_fn is None:
            raise RuntimeError(
                "a leaf Variable that requires grad is being used in an in-place operation."
            )
    source = _make(t._data, t.requires_grad and records, t._grad_fn if records else None)
    result = make(source)
    t._data = result._data
    bump(t)
    forward.carry(result, t)
    if records:
        name = result._grad_fn.name()
        node = named(result, _IN_PLACE_NAMES.get(name, name))._grad_fn
        node.replaced = t._grad_fn
        t._grad_fn = node
        t.requires_grad = True
    if view is not None:
        t._view = views.extended(view, result._view, t._vc[0])
    else:  # the views of t taken before cannot replay their ops on its new sizes
        views.restrided(t)
    return t


def _restride_batched(t: Tensor, make: Callable[[Tensor], Tensor]) -> Tensor:
    """:func:`restride_` inside vmap, of a batched ``t``: its physical tensor takes the view
    that ``make`` gives the batch (the batch dimensions stay in front)."""
    value, have = batching.unwrap(t)

    def on_physical(physical: Tensor) -> Tensor:
        return batching.unwrap(make(batching.wrap(physical, have)))[0]

    restride_(value, on_physical)
    layer = t
    while type(layer) is batching.BatchedTensor:  # the wrappers say what the value says
        layer.requires_grad = value.requires_grad
        layer = layer._value
    return t


def t_(t: Tensor) -> Tensor:
    """``t.t()`` in place: a matrix transposed (0-d and 1-d tensors keep their shape)."""
    from chainrule.ops import shape

    if t.ndim > 2:
        raise RuntimeError(f"t_() expects a tensor with <= 2 dimensions, but self is {t.ndim}D")
    return restride_(t, shape.t)


def transpose_(t: Tensor, dim0: int, dim1: int, name: str = "transpose_") -> Tensor:
    """``t.transpose(dim0, dim1)`` in place (``swapdims_``: the same under its ``name``)."""
    from chainrule.ops import shape

    return restride_(t, lambda x: shape.transpose_at(x, dim0, dim1, 1, name))


def swapaxes_(t: Tensor, axis0: int, axis1: int) -> Tensor:
    """``transpose_`` under NumPy's name (and its parameters' names, which errors print)."""
    from chainrule.ops import shape

    return restride_(
        t, lambda x: shape.transpose_at(x, axis0, axis1, 1, "swapaxes_", ("axis0", "axis1"))
    )


def squeeze_(t: Tensor, dim: Any) -> Tensor:
    """``t.squeeze(dim)`` in place: every size-1 dimension dropped, or those of ``dim`` (one
    or a sequence) that have size 1."""
    from chainrule.ops import shape

    return restride_(t, lambda x: shape.squeeze_at(x, dim, 1))


def unsqueeze_(t: Tensor, dim: int) -> Tensor:
    """``t.unsqueeze(dim)`` in place: a size-1 dimension inserted at ``dim``."""
    from chainrule.ops import shape

    return restride_(t, lambda x: shape.unsqueeze_at(x, dim, 1))


def resize_(t: Tensor, sizes: tuple[int, ...]) -> Tensor:
    """``t`` in place with sizes ``sizes``, row-major over its memory from its offset on (its
    strides kept where the sizes are its own), as PyTorch's ``resize_``: memory that is too
    small is replaced by a larger copy (the new elements uninitialized), the version bumped.
    Refused for a tensor that requires grad, as PyTorch refuses it. (A view resized is no
    longer followed as one: its base's changes in place no longer give it history.)

    >>> import chainrule as cr
    >>> a = cr.arange(6.0)
    >>> a.resize_(2, 2), a._version
    (tensor([[0., 1.],
            [2., 3.]]), 1)
    """
    from chainrule.ops import strided

    if t.requires_grad:
        raise RuntimeError("cannot resize variables that require grad")
    data = t._data
    if tuple(data.shape) != sizes:
        flat = strided.memory(data)
        start = strided.storage_offset(data)
        end = start + int(xp.prod(sizes, dtype=xp.int64))
        if end > flat.size:
            grown = xp.empty(end, dtype=data.dtype)
            grown[: flat.size] = flat
            flat = grown
        t._data = flat[start:end].reshape(sizes)
        t._view = None
    bump(t)
    return t
