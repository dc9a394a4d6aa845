"""Writes at indices beyond ``x[key] = v``: PyTorch's ``index_put``, ``masked_scatter``,
``put``, ``scatter_reduce``, ``index_reduce`` and the ``*_scatter`` embeddings.

Most are the indexing ops of :mod:`chainrule.ops.indexing` given other arguments: a write at
flat positions (``put``, an accumulating ``index_put``, an embedding at a view's elements) is
``scatter`` or ``scatter_add`` along the flattened tensor, a masked write is ``x[mask] = v``.
Their gradients, batching rules and second derivatives are those ops'. Only the reductions
other than a sum (products, means, extremes) have rules of their own (:class:`ScatterReduce`).

    >>> import chainrule as cr
    >>> x = cr.zeros(3)
    >>> x.index_put((cr.tensor([0, 0, 2]),), cr.tensor([1.0, 2.0, 3.0]), accumulate=True)
    tensor([3., 0., 3.])
"""

from __future__ import annotations

import math
import warnings
from typing import Any

from chainrule import shell_uints
from chainrule._array import xp
from chainrule.arguments import boolean, mistyped, type_name, wrap_dim
from chainrule.autodiff import batching, open_transforms
from chainrule.dtypes import _TORCH_DTYPE_NAMES
from chainrule.op import Op, _value, named, own_constants
from chainrule.ops import dual, elementwise, inplace
from chainrule.ops.broadcast import broadcast_shape
from chainrule.ops.dual import _along_axis_index
from chainrule.ops.indexing import (
    IndexPut,
    Scatter,
    ScatterAdd,
    _crop,
    _one_element,
    _scatter_operands,
    _slices_operands,
    _source_along,
    along,
    checked_key,
    guard_indices,
    normalize_key,
)
from chainrule.ops.shape import not_tensor
from chainrule.tensor import Tensor, _make


def _torch_dtype(t: Tensor) -> str:
    """PyTorch's short name of ``t``'s dtype (``Float``), as its errors print it."""
    return _TORCH_DTYPE_NAMES[t.dtype.name][1]


# ------------------------------------------------------------------------- index_put
def index_put(
    input: Tensor,  # noqa: A002
    indices: tuple[Tensor, ...],
    values: Tensor,
    accumulate: bool = False,
) -> Tensor:
    """A copy of ``input`` with ``values`` (broadcast) at ``input[indices]``: ``indices`` is
    a tuple of index tensors (integer, or bool masks), one per leading dimension. With
    ``accumulate`` the values are added, and where an index repeats each adds; without it the
    written places take no gradient, and ``values`` gets the gradient of where it went.

    >>> import chainrule as cr
    >>> cr.index_put(cr.zeros(2, 3), (cr.tensor([1, 0]), cr.tensor([2, -1])), cr.tensor(5.0))
    tensor([[0., 0., 5.],
            [0., 0., 5.]])
    """
    key = _index_put_key(input, indices, values)
    if not accumulate:
        if batching.BatchedTensor in map(type, key):  # under vmap, per-example indices
            return named(batching.put_by_batched(input, key, values), "IndexPutBackward0")
        return named(guard_indices(IndexPut(key)(input, values), indices), "IndexPutBackward0")
    if batching.BatchedTensor in map(type, key):  # under vmap, per-example indices
        return named(batching.put_by_batched(input, key, values, _added), "IndexPutBackward0")
    return named(_added(input, key, values), "IndexPutBackward0")


def _added(input: Tensor, key: tuple[Any, ...], values: Tensor) -> Tensor:  # noqa: A002
    """``input`` with ``values`` added at ``input[key]`` (``key``: integer arrays for the
    leading dimensions), each repeat adding: scatter_add's along the flattened tensor, in
    the index's order, as PyTorch adds them."""
    shape = tuple(input.shape)
    at = _flat_positions(shape, key)
    flat = ScatterAdd(0, at.reshape(-1))(input.reshape(-1), values.expand(at.shape).reshape(-1))
    return flat.reshape(shape)


def _flat_positions(shape: tuple[int, ...], key: tuple[Any, ...]) -> Any:
    """The flat position of each element of ``x[key]`` for x of ``shape`` (``key``: integer
    arrays for the leading dimensions), in the shape of ``x[key]``, made from the indices
    alone (not from a range of all of x's positions: a few rows of a large tensor are few)."""
    lead = len(key)
    rows = xp.broadcast_arrays(*key)
    rows = [xp.where(i < 0, i + n, i) for i, n in zip(rows, shape, strict=False)]
    first = xp.ravel_multi_index(rows, shape[:lead]) if lead else xp.zeros((), xp.int64)
    inner = math.prod(shape[lead:])
    return (first[..., None] * inner + xp.arange(inner)).reshape(first.shape + shape[lead:])


def _index_put_key(input: Tensor, indices: Any, values: Any) -> tuple[Any, ...]:  # noqa: A002
    """``indices`` as a checked key of ``input``, after PyTorch's checks of the arguments,
    the dtypes and the shapes, in its words."""
    if not isinstance(indices, tuple | list):
        raise TypeError(
            "index_put(): argument 'indices' (position 2) must be tuple of Tensors, not "
            f"{type_name(indices)}"
        )
    for i, index in enumerate(indices):
        if not isinstance(index, Tensor):
            raise not_tensor(i, index, 1)
    if not isinstance(values, Tensor):
        raise mistyped("index_put", "values", 3, "Tensor", values)
    if values.dtype != input.dtype:
        raise RuntimeError(
            "Index put requires the source and destination dtypes match, got "
            f"{_torch_dtype(input)} for the destination and {_torch_dtype(values)} for the "
            "source."
        )
    key, _ = normalize_key(tuple(indices), batched=bool(open_transforms.here.vmap))
    if len(key) > input.ndim:  # (a bool mask may take more: checked_key counts them)
        raise IndexError(f"too many indices for tensor of dimension {input.ndim} (got {len(key)})")
    if batching.BatchedTensor not in map(type, key):
        key = checked_key(input, key)
    else:  # put_by_batched checks each example's indices; their shapes are checked here, in
        batching.refuse_masks(key)  # one example's, as PyTorch checks them without vmap
    try:
        picked = xp.broadcast_shapes(*(tuple(getattr(k, "shape", ())) for k in key))
    except ValueError:
        shapes = ", ".join(str(list(getattr(k, "shape", ()))) for k in key)
        raise IndexError(
            f"shape mismatch: indexing tensors could not be broadcast together with shapes {shapes}"
        ) from None
    picked += tuple(input.shape)[len(key) :]
    try:
        fits = xp.broadcast_shapes(tuple(values.shape), picked) == picked
    except ValueError:
        fits = False
    if not fits:
        raise RuntimeError(
            f"shape mismatch: value tensor of shape {list(values.shape)} cannot be broadcast to "
            f"indexing result of shape {list(picked)}"
        )
    return key


def index_put_(
    t: Tensor,
    indices: tuple[Tensor, ...],
    values: Tensor,
    accumulate: bool = False,
) -> Tensor:
    """``index_put`` in place."""
    _index_put_key(t, indices, values)  # the checks before anything is recorded
    put = lambda old, v: index_put(old, indices, v, accumulate)  # noqa: E731
    return inplace.apply(t, put, values, distinct=True)


# ------------------------------------------------------------------------- masked_scatter
def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:  # noqa: A002
    """A copy of ``input`` (broadcast with the bool ``mask``) whose places where ``mask`` is
    True take ``source``'s elements in order (row-major); the rest of ``source`` is unused
    and gets a zero gradient.

    >>> import chainrule as cr
    >>> mask = cr.tensor([[False, True, True], [True, False, False]])
    >>> cr.zeros(2, 3).masked_scatter(mask, cr.tensor([[1.0, 2.0], [3.0, 4.0]]))
    tensor([[0., 1., 2.],
            [3., 0., 0.]])
    """
    _check_masked_scatter(input, mask, source)
    shape = broadcast_shape(tuple(mask.shape), tuple(input.shape))  # PyTorch's order
    if not shape:  # a 0-d tensor as a tensor of one element
        return masked_scatter(input.reshape(1), mask.reshape(1), source).reshape(())
    if tuple(input.shape) != shape:
        input = input.expand(shape)
    if type(mask) is batching.BatchedTensor:  # under vmap, each example's own places
        return named(_scattered_per_example(input, mask, source), "MaskedScatterBackward0")
    where = xp.broadcast_to(mask._data, shape)
    count = int(xp.count_nonzero(where))
    if source.numel() < count:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    taken = source.reshape(-1)[:count]
    return named(IndexPut(where.nonzero())(input, taken), "MaskedScatterBackward0")


def _scattered_per_example(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:  # noqa: A002
    """:func:`masked_scatter` where ``mask`` (broadcast to ``input``'s shape) is batched:
    every example at once on the physical values, lifted to the levels of all three. Each
    example's True places, counted in order, pick its source's elements by a gather."""
    levels = batching.levels_of((input, mask, source))
    value, _ = batching.lift(*batching.unwrap(input), levels)
    where, _ = batching.lift_array(*batching.array_and_levels(mask), levels)
    lead = tuple(value.shape[: len(levels)])
    missing = (1,) * (input.ndim - mask.ndim)  # one example's dims line up from the right
    where = where.reshape((*lead, *missing, *where.shape[len(lead) :]))
    where = xp.broadcast_to(where, tuple(value.shape)).reshape((*lead, -1))
    if (where.sum(-1) > source.numel()).any():
        raise RuntimeError("Number of elements of source < number of ones in mask")
    order = xp.where(where, xp.cumsum(where, -1) - 1, 0)  # the source element each place takes
    elements, _ = batching.lift(*batching.unwrap(source), levels)
    taken = elements.reshape((*lead, -1)).gather(-1, _make(order)).reshape(tuple(value.shape))
    out = elementwise.where(_make(where.reshape(tuple(value.shape))), taken, value)
    return batching.wrap(out, levels)


def _check_masked_scatter(input: Tensor, mask: Any, source: Any) -> None:  # noqa: A002
    """PyTorch's refusals of the operands of ``masked_scatter``, in its words."""
    if not isinstance(mask, Tensor):
        raise mistyped("masked_scatter", "mask", 2, "Tensor", mask)
    if not isinstance(source, Tensor):
        raise mistyped("masked_scatter", "source", 3, "Tensor", source)
    if mask.dtype.kind != "b":
        raise RuntimeError(
            "masked_scatter_ only supports boolean masks, but got mask with dtype "
            f"{_torch_dtype(mask)}"
        )
    if source.dtype != input.dtype:
        raise RuntimeError(  # (PyTorch's message lacks the space before the first dtype)
            "masked_scatter: expected self and source to have same dtypes but got"
            f"{_torch_dtype(input)} and {_torch_dtype(source)}"
        )


def masked_scatter_(t: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """``masked_scatter`` in place: ``mask`` must broadcast to ``t``'s shape."""
    _check_masked_scatter(t, mask, source)
    mask = mask.expand(tuple(t.shape))  # PyTorch's error for a mask that does not fit
    return inplace.apply(t, lambda old, s: masked_scatter(old, mask, s), source)


# ------------------------------------------------------------------------- put
def put(input: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:  # noqa: A002
    """A copy of ``input`` with ``source``'s elements written (or, with ``accumulate``, added)
    at the flat positions ``index`` (as if ``input`` were 1-D; negatives count from the end).

    >>> import chainrule as cr
    >>> cr.zeros(2, 2).put(cr.tensor([-1, 0]), cr.tensor([1.0, 2.0]))
    tensor([[2., 0.],
            [0., 1.]])
    """
    if type(accumulate) is not bool:  # (1 was read by its truth)
        boolean(accumulate, "put", "accumulate", None)
    shell_uints.check_function("put", input.dtype)
    at = _flat_index(input, index, source)
    write = ScatterAdd if accumulate else Scatter
    flat = along(write, 0, at, input.reshape(-1), source.reshape(-1))
    return named(flat.reshape(tuple(input.shape)), "PutBackward0")


def _flat_index(input: Tensor, index: Any, source: Any) -> Any:  # noqa: A002
    """``put``'s index as 1-D non-negative positions, after PyTorch's checks in its words:
    an array, or under vmap, where the index is batched, a batched tensor of every
    example's (each checked in one example's words)."""
    if not isinstance(index, Tensor):
        raise mistyped("put", "index", 2, "Tensor", index)
    if not isinstance(source, Tensor):
        raise mistyped("put", "source", 3, "Tensor", source)
    idx, levels = batching.array_and_levels(index)
    idx = idx.reshape((*idx.shape[: len(levels)], -1))
    if idx.dtype != xp.int64:
        raise RuntimeError(
            f"put_(): Expected a long tensor for index, but got {_torch_dtype(index)}"
        )
    if source.dtype != input.dtype:
        raise RuntimeError(
            "put_(): self and source expected to have the same dtype, but got self.dtype = "
            f"{_torch_dtype(input)} and source.dtype = {_torch_dtype(source)}"
        )
    if source.numel() != index.numel():
        raise IndexError(
            "put_(): Expected source and index to have the same number of elements, but got "
            f"source.numel() = {source.numel()}, index.numel() = {index.numel()}"
        )
    n = input.numel()
    if idx.size and not n:
        raise IndexError("put_(): Tried to put elements into an empty tensor")
    if idx.size and (idx.min() < -n or idx.max() >= n):
        bad = idx[(idx < -n) | (idx >= n)][0]
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} elements.")
    at = xp.where(idx < 0, idx + n, idx)
    return batching.wrap(_make(at), levels) if levels else at


def put_(t: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:
    """``put`` in place."""
    if type(accumulate) is not bool:
        boolean(accumulate, "put_", "accumulate", None)
    _flat_index(t, index, source)
    return inplace.apply(t, lambda old, s: put(old, index, s, accumulate), source, distinct=True)


# ------------------------------------------------------------------------- *_scatter
# Each embeds ``src`` in a copy of ``input`` at a view's place: the same view of the elements'
# flat positions says where each element of ``src`` goes. The input's gradient is the output's
# with that place zeroed, ``src``'s that view of it.
def select_scatter(input: Tensor, src: Tensor, dim: int, index: int) -> Tensor:  # noqa: A002
    """A copy of ``input`` with ``src`` at ``input.select(dim, index)``.

    >>> import chainrule as cr
    >>> cr.select_scatter(cr.zeros(2, 2), cr.ones(2), 0, -1)
    tensor([[0., 0.],
            [1., 1.]])
    """
    probe = _probe(input).select(dim, index)  # PyTorch's checks of dim and index
    key = (slice(None),) * wrap_dim(dim, input.ndim) + (index,)
    return _embedded(input, src, probe, lambda at: at[key], "select_scatter")


def slice_scatter(
    input: Tensor,  # noqa: A002
    src: Tensor,
    dim: int = 0,
    start: int | None = None,
    end: int | None = None,
    step: int = 1,
) -> Tensor:
    """A copy of ``input`` with ``src`` at ``input[start:end:step]`` along ``dim``.

    >>> import chainrule as cr
    >>> cr.slice_scatter(cr.zeros(2, 4), cr.ones(2, 2), 1, start=0, step=2)
    tensor([[1., 0., 1., 0.],
            [1., 0., 1., 0.]])
    """
    if step <= 0:
        raise RuntimeError("slice step must be positive")
    key = (slice(None),) * wrap_dim(dim, max(input.ndim, 1)) + (slice(start, end, step),)
    return _embedded(input, src, _probe(input)[key], lambda at: at[key], "slice_scatter")


def diagonal_scatter(
    input: Tensor,  # noqa: A002
    src: Tensor,
    offset: int = 0,
    dim1: int = 0,
    dim2: int = 1,
) -> Tensor:
    """A copy of ``input`` with ``src`` on ``input.diagonal(offset, dim1, dim2)``.

    >>> import chainrule as cr
    >>> cr.diagonal_scatter(cr.zeros(2, 3), cr.ones(2), 1)
    tensor([[0., 1., 0.],
            [0., 0., 1.]])
    """
    probe = _probe(input).diagonal(offset, dim1, dim2)  # PyTorch's checks of the dims
    return _embedded(
        input,
        src,
        probe,
        lambda at: xp.diagonal(at, offset, dim1, dim2),  # NumPy's diagonal is PyTorch's
        "diagonal_scatter",
    )


def _probe(input: Tensor) -> Tensor:  # noqa: A002
    """A stand-in of ``input``'s shape, without its values or history, for a view function
    to check its arguments on as PyTorch does (and to say the view's shape)."""
    return _make(xp.broadcast_to(xp.zeros((), dtype=bool), tuple(input.shape)))


@own_constants  # the positions, made from sizes (PyTorch's node keeps those)
def _embedded(input: Tensor, src: Any, probe: Tensor, view: Any, op: str) -> Tensor:  # noqa: A002
    """A copy of ``input`` whose part ``view`` (on arrays; ``probe`` is that view of a
    stand-in) is ``src``: of exactly that shape, cast to ``input``'s dtype as PyTorch's copy
    casts it."""
    if not isinstance(src, Tensor):
        raise mistyped(op, "src", 2, "Tensor", src)
    if probe.shape != src.shape:
        raise RuntimeError(
            "expected src to have a size equal to the slice of self. src size = "
            f"{list(src.shape)}, slice size = {list(probe.shape)}"
        )
    if src.dtype != input.dtype:
        src = src.to(input.dtype)
    shape = tuple(input.shape)
    at = view(xp.arange(input.numel()).reshape(shape)).reshape(-1)
    flat = Scatter(0, at)(input.reshape(-1), src.reshape(-1))
    return named(flat.reshape(shape), f"{op.title().replace('_', '')}Backward0")


# ------------------------------------------------------------------------- scatter_reduce
# Each reduction's NumPy ufunc (applied with .at, so that repeated targets all take part, in
# the index's order) and, for ``include_self=False``, the value that the targets start from.
_UFUNCS = {
    "sum": xp.add,
    "mean": xp.add,
    "prod": xp.multiply,
    "amax": xp.maximum,
    "amin": xp.minimum,
}


def _identity(reduce: str, dtype: Any) -> Any:
    """The value a reduction starts from: ``x`` op it is ``x``."""
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    if dtype.kind == "b":
        return reduce == "amin"
    if dtype.kind == "f":
        return -xp.inf if reduce == "amax" else xp.inf
    info = xp.iinfo(dtype)
    return info.min if reduce == "amax" else info.max


class ScatterReduce(Op):
    """``x`` with ``src``'s values reduced into the places ``index`` names along ``dim``
    (PyTorch's ``scatter_reduce``): a product, a mean, a maximum or a minimum, of the place's
    own value too with ``include_self``. Where an extreme is tied, the gradient is shared
    evenly among the tied values; a product's gradient with a zero among the factors is the
    product of the others, as PyTorch computes them."""

    torch_name = "ScatterReduceBackward0"
    notation = "scatter_reduce(x, dim, index, src, reduce)"
    derivatives = (
        "d reduce / d x at each place (0 where excluded)",
        "d reduce / d src at each source's target",
    )
    batch_rule = staticmethod(batching.scatter_add)  # the same shape of op as ScatterAdd's
    saves_output = True

    def __init__(self, dim: int, index: Any, reduce: str, include_self: bool) -> None:
        self.dim = dim
        self.index = index
        self.reduce = reduce
        self.include_self = include_self

    def forward(self, x, src):
        at = _along_axis_index(self.index, self.dim)
        out = x.copy()
        if not self.include_self:
            out[at] = _identity(self.reduce, x.dtype)
        _UFUNCS[self.reduce].at(out, at, src)
        if self.reduce == "mean":
            count = self.count(x.shape).astype(x.dtype)
            out = out // count if x.dtype.kind in "iu" else out / count
        return out

    def count(self, shape: tuple[int, ...]) -> Any:
        """How many values each place's reduction takes (at least 1: a place that takes none
        keeps its own value)."""
        count = xp.full(shape, int(self.include_self))
        xp.add.at(count, _along_axis_index(self.index, self.dim), 1)
        return xp.maximum(count, 1)

    def reached(self, shape: tuple[int, ...]) -> Any:
        """The places that ``index`` names."""
        mask = xp.zeros(shape, dtype=bool)
        mask[_along_axis_index(self.index, self.dim)] = True
        return mask

    def shares(self, out: Any, x: Any, src: Any) -> tuple[Any, Any, Any]:
        """For all but a product: the divisor of the gradient at each place and which of
        the place's own value and of the sources take a part of it (None: all), arrays of
        the output's dtype: PyTorch's ``grad / N``, masked."""
        out, x, src = _value(out), _value(x), _value(src)
        dtype = out.dtype
        if self.reduce == "sum":
            return None, None, None
        if self.reduce == "mean":
            return self.count(out.shape).astype(dtype), None, None
        # amax, amin: the values equal to the result share its gradient (PyTorch counts the
        # place's own value among them even where it is excluded, then gives it nothing)
        own = x == out
        tied = src == self.take(out)
        n = own.astype(dtype)
        xp.add.at(n, _along_axis_index(self.index, self.dim), tied)
        return n, own.astype(dtype), tied.astype(dtype)

    def vjp(self, g, out, x, src):
        if self.reduce == "prod":
            own, by_own, lone, others, divisor = self.prod_factors(out, x, src)
            gx = g * by_own / own
            gsrc = dual.where(lone, self.take(g * others), self.take(g * out) / divisor)
        else:
            n, own, tied = self.shares(out, x, src)
            g = g if n is None else g / n
            gx = g if own is None else g * own
            gsrc = self.take(g) if tied is None else self.take(g) * tied
        if not self.include_self:
            gx = dual.passed(gx, ~self.reached(tuple(gx.shape)))
        return (gx if self.needs[0] else None, gsrc if self.needs[1] else None)

    def jvp(self, tangents, out, x, src):
        tx, tsrc = (
            dual.zeros_like(a) if t is None else t for t, a in zip(tangents, (x, src), strict=True)
        )
        if self.reduce in ("sum", "mean"):  # linear in (x, src) together
            return self.reapply(tx, tsrc)
        if not self.include_self:
            tx = dual.passed(tx, ~self.reached(tuple(tx.shape)))
        shape = tuple(out.shape)
        if self.reduce == "prod":
            own, by_own, lone, others, divisor = self.prod_factors(out, x, src)
            per_src = dual.where(lone, self.take(others), self.take(out) / divisor)
            return tx * by_own / own + self.spread(tsrc * per_src, shape)
        n, own, tied = self.shares(out, x, src)
        return (tx * own + self.spread(tsrc * tied, shape)) / n

    def prod_factors(self, out, x, src):
        """A product's parts of its derivatives, as PyTorch computes them: with ``own`` the
        place's own value (1 where it is 0), the product ``by_own`` of ``own`` and the
        sources, so that d/dx = by_own / own; for the sources, d/dsrc = out / src, or where
        a source is its target's only zero (``lone``) the product of the ``others``."""
        one = dual.typed(x, 1.0)
        own = dual.where(_value(x) == 0, one, x)
        by_own = self.reapply(own, src)
        src_zero = _value(src) == 0
        zeros = xp.zeros(tuple(out.shape), dtype=xp.int64)  # how many zero sources each place has
        xp.add.at(zeros, _along_axis_index(self.index, self.dim), src_zero)
        lone = src_zero & (
            xp.take_along_axis(_crop(zeros, self.index, self.dim), self.index, self.dim) == 1
        )
        others = self.reapply(x, dual.where(lone, one, src))
        return own, by_own, lone, others, dual.where(src_zero, one, src)

    def take(self, v):
        """``v`` at each source's target."""
        return dual.gather_along(_crop(v, self.index, self.dim), self.index, self.dim)

    def spread(self, v, shape):
        """Zeros of ``shape`` with ``v`` added at each source's target."""
        return dual.scatter_along(v, self.index, self.dim, shape)


def scatter_reduce(
    input: Tensor,  # noqa: A002
    dim: int,
    index: Tensor,
    src: Tensor,
    reduce: str,
    *,
    include_self: bool = True,
) -> Tensor:
    """A copy of ``input`` with each ``src[i][j]`` reduced into ``[i][index[i][j]]`` (here
    dim=1) by ``reduce``: "sum", "prod", "mean", "amax" or "amin"; with ``include_self``
    the place's own value takes part. Integer means round down, as PyTorch's do.

    >>> import chainrule as cr
    >>> x = cr.tensor([1.0, 2.0, 3.0])
    >>> x.scatter_reduce(0, cr.tensor([0, 0, 2]), cr.tensor([5.0, 7.0, 1.0]), "amax")
    tensor([7., 2., 3.])
    >>> x.scatter_reduce(0, cr.tensor([0, 0, 2]), cr.tensor([5.0, 7.0, 1.0]), "mean",
    ...                  include_self=False)
    tensor([6., 2., 1.])
    """
    if not isinstance(src, Tensor):
        raise mistyped("scatter_reduce", "src", 3, "Tensor", src)
    _check_flags("scatter_reduce", 5, reduce, include_self)
    reduce = _reduction(
        reduce,
        _SCATTER_REDUCTIONS,
        "reduce argument must be either sum, prod, mean, amax or amin, got {}",
    )
    if not input.ndim:  # as a tensor of one element
        return scatter_reduce(
            input.reshape(1),
            dim,
            _one_element(index),
            _one_element(src),
            reduce,
            include_self=include_self,
        ).reshape(())
    axis, idx, src = _scatter_operands(input, dim, index, src, "scatter")
    reduced = _reduced(input, axis, idx, src, reduce, include_self, "ScatterReduceBackward0")
    return guard_indices(reduced, index)


_SCATTER_REDUCTIONS = {"sum": "sum", "prod": "prod", "mean": "mean", "amax": "amax", "amin": "amin"}
_SCATTER_REDUCTIONS.update(max="amax", min="amin")  # PyTorch's older names, still taken


def _check_flags(op: str, position: int, reduce: Any, include_self: Any) -> None:
    """PyTorch's refusals of a ``reduce`` that is no string (its own words, not the unknown
    reduction's RuntimeError) and of an ``include_self`` that is no bool (1 was read by its
    truth), checked in its order: ``reduce`` at its ``position`` in ``op``, ``include_self``
    keyword-only."""
    if not isinstance(reduce, str):
        raise mistyped(op, "reduce", position, "str", reduce)
    if type(include_self) is not bool:
        boolean(include_self, op, "include_self", None)


def _reduction(reduce: Any, names: dict[str, str], refusal: str) -> str:
    """The reduction ``reduce`` names, or PyTorch's refusal (``refusal`` with the name)."""
    if reduce not in names:
        raise RuntimeError(refusal.format(reduce))
    return names[reduce]


_MEAN_KERNEL = "scatter_gather_tensor_cpu_reduce_mean"


def _reduced(
    input: Tensor,  # noqa: A002
    axis: int,
    index: Any,
    src: Tensor,
    reduce: str,
    include_self: bool,
    name: str,
) -> Tensor:
    """``input`` with ``src`` reduced into it at ``index`` (an index array of ``src``'s
    shape, or a tensor that vmap batches: see :func:`~chainrule.ops.indexing.along`)."""
    if reduce == "mean" and input.dtype.kind == "b":  # PyTorch's kernels refuse it
        kernel = "div_floor_cpu" if name == "IndexReduceBackward0" else _MEAN_KERNEL
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")
    if reduce == "sum" and include_self:
        return named(along(ScatterAdd, axis, index, input, src), name)

    def make(dim: int, at: Any) -> ScatterReduce:
        return ScatterReduce(dim, at, reduce, include_self)

    return named(along(make, axis, index, input, src), name)


def scatter_reduce_(
    t: Tensor,
    dim: int,
    index: Tensor,
    src: Tensor,
    reduce: str,
    *,
    include_self: bool = True,
) -> Tensor:
    """``scatter_reduce`` in place."""
    _check_flags("scatter_reduce_", 4, reduce, include_self)  # a method: no ``input``
    return inplace.apply(
        t,
        lambda old, s: scatter_reduce(old, dim, index, s, reduce, include_self=include_self),
        src,
        distinct=True,
    )


_SCATTER_NAMES = {"add": "sum", "multiply": "prod"}  # scatter's reduce, scatter_reduce's


def scatter_reducing(
    input: Tensor,  # noqa: A002
    dim: int,
    index: Tensor,
    src: Any,
    reduce: str,
) -> Tensor:
    """``scatter(input, dim, index, src, reduce=reduce)``: ``src`` (a tensor, with PyTorch's
    warning that this is deprecated, or a number) added ("add") or multiplied ("multiply")
    in, as ``scatter_reduce`` does. (PyTorch computes no gradient of it; this one's is
    ``scatter_reduce``'s.)"""
    reduce = _reduction(reduce, _SCATTER_NAMES, "reduce argument must be either add or multiply.")
    if isinstance(src, Tensor):
        warnings.warn(
            "The reduce argument of chainrule.scatter with Tensor src is deprecated and will be "
            "removed in a future PyTorch release. Use chainrule.scatter_reduce instead for more "
            "reduction options.",
            UserWarning,
            stacklevel=3,
        )
    else:  # the number as a tensor of the index's shape
        if not isinstance(index, Tensor):
            index = _make(xp.asarray(_value(index)))
        src = _make(xp.full(tuple(index.shape), src, dtype=xp.dtype(input.dtype)))
    return scatter_reduce(input, dim, index, src, reduce)


# ------------------------------------------------------------------------- index_reduce
_INDEX_REDUCTIONS = {"prod": "prod", "mean": "mean", "amax": "amax", "amin": "amin"}


def index_reduce(
    input: Tensor,  # noqa: A002
    dim: int,
    index: Tensor,
    source: Tensor,
    reduce: str,
    *,
    include_self: bool = True,
) -> Tensor:
    """A copy of ``input`` with ``source``'s slices along ``dim`` reduced by ``reduce``
    ("prod", "mean", "amax" or "amin") into the slices at ``index``; with ``include_self``
    the slice's own values take part.

    >>> import chainrule as cr
    >>> x = cr.ones(2, 3)
    >>> x.index_reduce(1, cr.tensor([0, 0]), cr.tensor([[2.0, 3.0], [4.0, 5.0]]), "prod")
    tensor([[ 6.,  1.,  1.],
            [20.,  1.,  1.]])
    """
    _check_flags("index_reduce", 5, reduce, include_self)
    reduce = _reduction(
        reduce,
        _INDEX_REDUCTIONS,
        "index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got {}.",
    )
    axis, idx = _slices_operands(input, dim, index, "index_reduce_")
    if not input.ndim:  # as a tensor of one element, given a source of none
        if isinstance(source, Tensor) and source.ndim:
            raise RuntimeError(
                "source tensor shape must match self tensor shape, excluding the specified "
                f"dimension. Got self.shape = [] source.shape = {list(source.shape)}"
            )
        one = index_reduce(
            input.reshape(1), 0, index, _one_element(source), reduce, include_self=include_self
        )
        return one.reshape(())
    targets = _source_along(input, axis, idx, source, "index_reduce_")
    return _reduced(input, axis, targets, source, reduce, include_self, "IndexReduceBackward0")


def index_reduce_(
    t: Tensor,
    dim: int,
    index: Tensor,
    source: Tensor,
    reduce: str,
    *,
    include_self: bool = True,
) -> Tensor:
    """``index_reduce`` in place."""
    _check_flags("index_reduce_", 4, reduce, include_self)  # a method: no ``input``
    return inplace.apply(
        t,
        lambda old, s: index_reduce(old, dim, index, s, reduce, include_self=include_self),
        source,
        distinct=True,
    )
