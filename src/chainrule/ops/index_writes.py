"""Writes at indices beyond ``x[key] = v``: PyTorch's ``index_put``, ``masked_scatter``,
``put``, ``scatter_reduce``, ``index_reduce`` and the ``*_scatter`` embeddings.

Most are the indexing ops of :mod:`chainrule.ops.indexing` given other arguments: a write at
flat positions is ``scatter`` along the flattened tensor, a masked write is ``x[mask] = v``, an
embedding is a write through a view of a copy. Their gradients, batching rules and
second derivatives are those ops'. Only the reductions other than a sum (products, means,
extremes) have rules of their own (:class:`ScatterReduce`).

    >>> import chainrule as cr
    >>> x = cr.zeros(3)
    >>> x.index_put((cr.tensor([0, 0, 2]),), cr.tensor([1.0, 2.0, 3.0]), accumulate=True)
    tensor([3., 0., 3.])
"""

from __future__ import annotations

from typing import Any

from chainrule._array import xp
from chainrule.arguments import mistyped, type_name, wrap_dim
from chainrule.dtypes import _TORCH_DTYPE_NAMES
from chainrule.op import named
from chainrule.ops import inplace
from chainrule.ops.broadcast import broadcast_shape
from chainrule.ops.indexing import IndexPut, Scatter, ScatterAdd, checked_key, normalize_key
from chainrule.tensor import Tensor, _make


def _torch_dtype(t: Tensor) -> str:
    """PyTorch's short name of ``t``'s dtype (``Float``), as its errors print it."""
    return _TORCH_DTYPE_NAMES[t._data.dtype.name][1]


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
        return named(IndexPut(key)(input, values), "IndexPutBackward0")
    shape = tuple(input.shape)
    # Each value's flat position: the additions are scatter_add's along the flattened tensor,
    # in the index's order, as PyTorch adds them.
    at = xp.arange(input.numel()).reshape(shape)[key]
    flat = ScatterAdd(0, at.reshape(-1))(input.reshape(-1), values.expand(at.shape).reshape(-1))
    return named(flat.reshape(shape), "IndexPutBackward0")


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
            raise TypeError(
                f"expected Tensor as element {i} in argument 1, but got {type_name(index)}"
            )
    if not isinstance(values, Tensor):
        raise mistyped("index_put", "values", 3, "Tensor", values)
    if values.dtype != input.dtype:
        raise RuntimeError(
            "Index put requires the source and destination dtypes match, got "
            f"{_torch_dtype(input)} for the destination and {_torch_dtype(values)} for the "
            "source."
        )
    key, _ = normalize_key(tuple(indices))
    if len(key) > input.ndim:  # (a bool mask may take more: checked_key counts them)
        raise IndexError(f"too many indices for tensor of dimension {input.ndim} (got {len(key)})")
    key = checked_key(input, key)
    try:
        picked = xp.broadcast_shapes(*(k.shape for k in key))
    except ValueError:
        shapes = ", ".join(str(list(k.shape)) for k in key)
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
    return inplace.apply(t, lambda old, v: index_put(old, indices, v, accumulate), values)


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
    shape = broadcast_shape(tuple(input.shape), tuple(mask.shape))
    if not shape:  # a 0-d tensor as a tensor of one element
        return masked_scatter(input.reshape(1), mask.reshape(1), source).reshape(())
    if tuple(input.shape) != shape:
        input = input.expand(shape)
    where = xp.broadcast_to(mask._data, shape)
    count = int(xp.count_nonzero(where))
    if source.numel() < count:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    taken = source.reshape(-1)[:count]
    return named(IndexPut(where.nonzero())(input, taken), "MaskedScatterBackward0")


def _check_masked_scatter(input: Tensor, mask: Any, source: Any) -> None:  # noqa: A002
    """PyTorch's refusals of the operands of ``masked_scatter``, in its words."""
    if not isinstance(mask, Tensor):
        raise mistyped("masked_scatter", "mask", 1, "Tensor", mask)
    if not isinstance(source, Tensor):
        raise mistyped("masked_scatter", "source", 2, "Tensor", source)
    if mask._data.dtype != bool:
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
    at = _flat_index(input, index, source)
    op = ScatterAdd(0, at) if accumulate else Scatter(0, at)
    flat = op(input.reshape(-1), source.reshape(-1))
    return named(flat.reshape(tuple(input.shape)), "PutBackward0")


def _flat_index(input: Tensor, index: Any, source: Any) -> Any:  # noqa: A002
    """``put``'s index as 1-D non-negative positions, after PyTorch's checks in its words."""
    if not isinstance(index, Tensor):
        raise mistyped("put", "index", 1, "Tensor", index)
    if not isinstance(source, Tensor):
        raise mistyped("put", "source", 2, "Tensor", source)
    idx = index._data.reshape(-1)
    if idx.dtype != xp.int64:
        raise RuntimeError(
            f"put_(): Expected a long tensor for index, but got {_torch_dtype(index)}"
        )
    if source.dtype != input.dtype:
        raise RuntimeError(
            "put_(): self and source expected to have the same dtype, but got self.dtype = "
            f"{_torch_dtype(input)} and source.dtype = {_torch_dtype(source)}"
        )
    if source.numel() != idx.size:
        raise IndexError(
            "put_(): Expected source and index to have the same number of elements, but got "
            f"source.numel() = {source.numel()}, index.numel() = {idx.size}"
        )
    n = input.numel()
    if idx.size and not n:
        raise IndexError("put_(): Tried to put elements into an empty tensor")
    if idx.size and (idx.min() < -n or idx.max() >= n):
        bad = idx[(idx < -n) | (idx >= n)][0]
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} elements.")
    return xp.where(idx < 0, idx + n, idx)


def put_(t: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:
    """``put`` in place."""
    _flat_index(t, index, source)
    return inplace.apply(t, lambda old, s: put(old, index, s, accumulate), source)


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
