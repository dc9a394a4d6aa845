"""More of PyTorch's shape functions: slices (``narrow``, ``select``, ``tensor_split``),
moved and rotated dimensions, stacking helpers, diagonals and index grids.

All but the diagonals are compositions of the core ops in :mod:`chainrule.ops.shape` and
:mod:`chainrule.ops.indexing`, so their gradients, forward mode and batching come from those;
where PyTorch returns a view, so do they (the slices, permutations and reshapes they are made
of are views). ``diagonal`` is a view of its own: a strided view NumPy can express, which no
composition of the core ops gives.

    >>> import chainrule as cr
    >>> x = cr.arange(6.0).reshape(2, 3)
    >>> x.narrow(1, 1, 2)
    tensor([[1., 2.],
            [4., 5.]])
    >>> cr.movedim(x, 0, 1).shape
    chainrule.Size([3, 2])
"""

from __future__ import annotations

import math
import operator
import warnings
from collections.abc import Sequence
from typing import Any

from chainrule import dtypes, memory_formats
from chainrule._array import xp
from chainrule.arguments import int_list, integer, is_index, mistyped, no_overload, wrap_dim
from chainrule.autodiff import batching
from chainrule.dtypes import _TORCH_DTYPE_NAMES
from chainrule.op import Linear, named
from chainrule.ops import dual, indexing, shape
from chainrule.tensor import Tensor, _make

_as_strided = xp.lib.stride_tricks.as_strided


# ------------------------------------------------------------------------------- diagonals
def _diagonal_view(x: Any, offset: int, dim1: int, dim2: int) -> Any:
    """NumPy's diagonal of ``x`` as a view that can be written through (NumPy's own is
    read-only): the same shape and strides, taken from the diagonal's first element."""
    d = xp.diagonal(x, offset, dim1, dim2)
    start = [slice(None)] * x.ndim
    start[dim2 if offset >= 0 else dim1] = slice(abs(offset), None)
    return _as_strided(x[tuple(start)], d.shape, d.strides)


class Diagonal(Linear):
    """The elements ``x[..., i, ..., i + offset, ...]`` of dimensions ``dim1`` and ``dim2``,
    as a last dimension: a view."""

    notation = "diagonal(x)"
    derivatives = ("1 on the diagonal, 0 elsewhere",)
    batch_rule = staticmethod(batching.diagonal)
    saves_inputs = False
    is_view = True

    def __init__(self, offset: int, dim1: int, dim2: int) -> None:
        self.offset, self.dim1, self.dim2 = offset, dim1, dim2

    def forward(self, x):
        return _diagonal_view(x, self.offset, self.dim1, self.dim2)

    def vjp(self, g, out, x):
        return (_embed(g, self.offset, self.dim1, self.dim2, tuple(x.shape)),)


class DiagEmbed(Linear):
    """Zeros of ``shape`` with ``x`` on the diagonal of dimensions ``dim1`` and ``dim2``
    (``x``'s last dimension runs along it): ``diag_embed``, and Diagonal's vjp."""

    torch_name = "DiagEmbedBackward0"
    notation = "diag_embed(x)"
    derivatives = ("1 onto the diagonal",)
    batch_rule = staticmethod(batching.diag_embed)
    saves_inputs = False

    def __init__(self, offset: int, dim1: int, dim2: int, shape: tuple[int, ...]) -> None:
        self.offset, self.dim1, self.dim2, self.shape = offset, dim1, dim2, shape

    def forward(self, x):
        out = xp.zeros(self.shape, dtype=x.dtype)
        _diagonal_view(out, self.offset, self.dim1, self.dim2)[...] = x
        return out

    def vjp(self, gg, out, x):
        return (_diagonal(gg, self.offset, self.dim1, self.dim2),)


def _embed_array(g: Any, offset: int, dim1: int, dim2: int, shape: tuple[int, ...]) -> Any:
    return DiagEmbed(offset, dim1, dim2, shape).forward(g)


_embed = dual.both(
    _embed_array,
    lambda g, offset, dim1, dim2, shape: DiagEmbed(offset, dim1, dim2, shape)(g),
    "g, offset, dim1, dim2, shape",
)
_diagonal = dual.both(
    "_diagonal_view(x, offset, dim1, dim2).copy()",
    lambda x, offset, dim1, dim2: Diagonal(offset, dim1, dim2)(x),
    "x, offset, dim1, dim2",
    constants={"_diagonal_view": _diagonal_view},
)


def _windows_view(x: Any, dim: int, size: int, step: int) -> Any:
    """The windows of ``size`` elements, ``step`` apart, along ``dim`` of ``x``, as a new
    last dimension: strides into ``x``'s memory, written through (windows that overlap share
    elements)."""
    count = (x.shape[dim] - size) // step + 1
    shape = (*x.shape[:dim], count, *x.shape[dim + 1 :], size)
    strides = (*x.strides[:dim], x.strides[dim] * step, *x.strides[dim + 1 :], x.strides[dim])
    return _as_strided(x, shape, strides)


class Windows(Linear):
    """``x.unfold(dim, size, step)``: a view of the windows along ``dim`` as a last dimension.
    An element in several windows gets the sum of their gradients."""

    torch_name = "UnfoldBackward0"
    notation = "unfold(x)"
    derivatives = ("1 into each window's elements (overlaps add)",)
    batch_rule = staticmethod(batching.windows)
    saves_inputs = False
    is_view = True

    def __init__(self, dim: int, size: int, step: int) -> None:
        self.dim, self.size, self.step = dim, size, step

    def forward(self, x):
        return _windows_view(x, self.dim, self.size, self.step)

    def vjp(self, g, out, x):
        return (_fold_windows(g, self.dim, self.size, self.step, tuple(x.shape)),)


def _fold_windows_arrays(g: Any, dim: int, size: int, step: int, shape: tuple[int, ...]) -> Any:
    """Zeros of ``shape`` with each window of ``g`` (its last dimension) added where
    :class:`Windows` took it (PyTorch's ``unfold_backward``)."""
    out = xp.zeros(shape, dtype=g.dtype)
    windows = _windows_view(out, dim, size, step)
    if step >= size:  # no element in two windows: one write
        windows[...] = g
    else:  # offset by offset, so that overlapping windows add up
        for j in range(size):
            windows[..., j] += g[..., j]
    return out


def _fold_windows_tensors(
    g: Tensor, dim: int, size: int, step: int, shape: tuple[int, ...]
) -> Tensor:
    """The same as one ``index_add`` of every window element at its position (repeats add),
    differentiable again: for gradients of gradients."""
    count = g.shape[dim]
    positions = (xp.arange(count)[:, None] * step + xp.arange(size)).reshape(-1)
    elements = g.movedim(-1, dim + 1).reshape((*shape[:dim], -1, *shape[dim + 1 :]))
    zeros = _make(xp.zeros(shape, dtype=g.dtype.dtype))
    return indexing.index_add(zeros, dim, _make(positions), elements)


_fold_windows = dual.both(
    _fold_windows_arrays, _fold_windows_tensors, "g, dim, size, step, shape", ("g",)
)


def unfold(input: Tensor, dimension: int, size: int, step: int) -> Tensor:  # noqa: A002
    """``Tensor.unfold``: every window of ``size`` elements, ``step`` apart, along
    ``dimension``, as a new last dimension of a view.

    >>> import chainrule as cr
    >>> cr.arange(5.0).unfold(0, 2, 2)
    tensor([[0., 1.],
            [2., 3.]])
    """
    if input.ndim == 0:  # a 0-d tensor is one window of its one element, without a count
        wrap_dim(dimension, 1)
        return unfold(input.reshape(1), 0, size, step).reshape(-1)
    dim = wrap_dim(dimension, input.ndim)
    if size > input.shape[dim]:
        raise RuntimeError(
            f"maximum size for tensor at dimension {dim} is {input.shape[dim]} but size is {size}"
        )
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    return Windows(dim, operator.index(size), operator.index(step))(input)


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:  # noqa: A002
    """The diagonal of dimensions ``dim1`` and ``dim2`` (above it for ``offset > 0``, below
    for ``offset < 0``) as the last dimension: a view, which in-place changes write through.

    >>> import chainrule as cr
    >>> cr.arange(9.0).reshape(3, 3).diagonal(1)
    tensor([1., 5.])
    """
    # a bool is refused, as PyTorch's (True was read as 1)
    offset = integer(offset, "diagonal", "offset", 2)
    d1, d2 = _distinct_pair(input.ndim, dim1, dim2)
    return Diagonal(offset, d1, d2)(input)


def _distinct_pair(ndim: int, dim1: int, dim2: int) -> tuple[int, int]:
    d1, d2 = wrap_dim(dim1, ndim), wrap_dim(dim2, ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return d1, d2


def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:  # noqa: A002
    """Tensors whose diagonal (of the new dimensions ``dim1`` and ``dim2``) holds the last
    dimension of ``input``, zeros elsewhere.

    >>> import chainrule as cr
    >>> cr.diag_embed(cr.tensor([1.0, 2.0]))
    tensor([[1., 0.],
            [0., 2.]])
    """
    # a bool is refused, as PyTorch's (True was read as 1)
    offset = integer(offset, "diag_embed", "offset", 2)
    d1, d2 = _distinct_pair(input.ndim + 1, dim1, dim2)
    n = input.shape[-1] + abs(offset)  # (a 0-d input failed the dimensions' check)
    rest = iter(tuple(input.shape)[:-1])
    out = tuple(n if d in (d1, d2) else next(rest) for d in range(input.ndim + 1))
    return DiagEmbed(offset, d1, d2, out)(input)


# ------------------------------------------------------------------------------- slices
def narrow(input: Tensor, dim: int, start: Any, length: int) -> Tensor:  # noqa: A002
    """``length`` elements along ``dim`` from ``start`` (negative counts from the end): a
    view.

    >>> import chainrule as cr
    >>> cr.narrow(cr.arange(5), 0, -3, 2)
    tensor([2, 3])
    """
    if not input.ndim:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    start, length = operator.index(start), operator.index(length)
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    axis = wrap_dim(dim, input.ndim)
    size = input.shape[axis]
    if not -size <= start <= size:
        raise IndexError(
            f"start out of range (expected to be in range of [{-size}, {size}], but got {start})"
        )
    if start < 0:
        start += size
    if start > size - length:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return indexing.getitem(input, (slice(None),) * axis + (slice(start, start + length),))


def select(input: Tensor, dim: int, index: int) -> Tensor:  # noqa: A002
    """The slice at ``index`` along ``dim``, without that dimension: a view.

    >>> import chainrule as cr
    >>> cr.select(cr.arange(6).reshape(2, 3), 1, -1)
    tensor([2, 5])
    """
    if not input.ndim:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    axis = wrap_dim(dim, input.ndim)
    index = operator.index(index)
    size = input.shape[axis]
    if not -size <= index < size:
        raise IndexError(
            f"select(): index {index} out of range for tensor of size {list(input.shape)} at "
            f"dimension {axis}"
        )
    return indexing.getitem(input, (slice(None),) * axis + (index,))


def tensor_split(input: Tensor, indices_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    """Views along ``dim``: ``n`` pieces of near-equal sizes (the first ones one longer), or
    the pieces between the given indices (an int or 1-d tensor says which).

    >>> import chainrule as cr
    >>> [p.tolist() for p in cr.tensor_split(cr.arange(5), 3)]
    [[0, 1], [2, 3], [4]]
    """
    if not input.ndim:
        raise RuntimeError(
            "tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims"
        )
    axis = wrap_dim(dim, input.ndim)
    if isinstance(indices_or_sections, Tensor):
        given = indices_or_sections._data
        if given.ndim > 1:
            raise RuntimeError(
                "tensor_split expected tensor_indices_or_sections to be a zero-dimensional or "
                f"one-dimensional tensor, but got a tensor with {given.ndim} dims"
            )
        if given.dtype != xp.int64:
            raise RuntimeError(
                "tensor_split expected tensor_indices_or_sections to have dtype of long, but "
                f"got {_TORCH_DTYPE_NAMES[given.dtype.name][1]}"
            )
        indices_or_sections = int(given) if not given.ndim else given.tolist()
    lead = (slice(None),) * axis
    if is_index(indices_or_sections):
        sections = operator.index(indices_or_sections)
        if sections <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {sections}")
        size = input.shape[axis]
        small, extra = divmod(size, sections)
        bounds = [i * small + min(i, extra) for i in range(sections + 1)]
    else:
        bounds = [
            0,
            *int_list((indices_or_sections,), "tensor_split", "indices", position=2, varargs=False),
            None,
        ]
    return tuple(
        indexing.getitem(input, lead + (slice(a, b),))
        for a, b in zip(bounds[:-1], bounds[1:], strict=True)
    )


def hsplit(input: Tensor, indices_or_sections: Any) -> tuple[Tensor, ...]:  # noqa: A002
    """``tensor_split`` along dimension 1 (0 for a 1-d tensor); ``n`` pieces must be equal."""
    if not input.ndim:
        raise RuntimeError(
            "chainrule.hsplit requires a tensor with at least 1 dimension, but got a tensor with 0 "
            "dimensions!"
        )
    return _split_at(input, indices_or_sections, 1 if input.ndim > 1 else 0, "hsplit")


def vsplit(input: Tensor, indices_or_sections: Any) -> tuple[Tensor, ...]:  # noqa: A002
    """``tensor_split`` along dimension 0 of a tensor of 2 or more; ``n`` pieces equal."""
    return _split_at(input, indices_or_sections, 0, "vsplit", least=2)


def dsplit(input: Tensor, indices_or_sections: Any) -> tuple[Tensor, ...]:  # noqa: A002
    """``tensor_split`` along dimension 2 of a tensor of 3 or more; ``n`` pieces equal."""
    return _split_at(input, indices_or_sections, 2, "dsplit", least=3)


def _split_at(
    input: Tensor,  # noqa: A002
    indices_or_sections: Any,
    axis: int,
    name: str,
    least: int = 0,
) -> tuple[Tensor, ...]:
    if input.ndim < least:
        raise RuntimeError(
            f"chainrule.{name} requires a tensor with at least {least} dimension, but got a tensor "
            f"with {input.ndim} dimensions!"
        )
    if is_index(indices_or_sections):
        sections = operator.index(indices_or_sections)
        size = input.shape[axis]
        if sections and size % sections:
            raise RuntimeError(
                f"chainrule.{name} attempted to split along dimension {axis}, but the size of the "
                f"dimension {size} is not divisible by the split_size {sections}!"
            )
    return tensor_split(input, indices_or_sections, axis)


# ------------------------------------------------------------------------------- dimensions
def movedim(input: Tensor, source: Any, destination: Any) -> Tensor:  # noqa: A002
    """The dimensions ``source`` moved to the places ``destination`` (ints or sequences), the
    others in their order: a view.

    >>> import chainrule as cr
    >>> cr.movedim(cr.zeros(2, 3, 4), (0, 1), (2, 0)).shape
    chainrule.Size([3, 4, 2])
    """
    src = _dims(source, "movedim", "source", 2)
    dst = _dims(destination, "movedim", "destination", 3)
    if len(src) != len(dst):
        raise RuntimeError(
            f"movedim: Invalid source or destination dims: source ({list(src)} dims) should "
            f"contain the same number of dims as destination ({list(dst)} dims)"
        )
    ndim = input.ndim
    moved = [wrap_dim(d, ndim) for d in src]
    places = [wrap_dim(d, ndim) for d in dst]
    for name, given, dims in (("source", src, moved), ("destination", dst, places)):
        if len(set(dims)) != len(dims):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({list(given)})")
    order = [d for d in range(ndim) if d not in moved]
    for place, d in sorted(zip(places, moved, strict=True)) if ndim else ():  # 0-d: dim 0 or -1
        order.insert(place, d)
    return shape.permute(input, order)


moveaxis = movedim


def _dims(value: Any, name: str, param: str, position: int) -> tuple[int, ...]:
    """One dimension or a sequence of them."""
    if is_index(value):
        return (operator.index(value),)
    return int_list((value,), name, param, position=position, varargs=False)


def swapdims(input: Tensor, dim0: int, dim1: int) -> Tensor:  # noqa: A002
    """``transpose`` under another of PyTorch's names."""
    return shape.transpose_at(input, dim0, dim1, 2, "swapdims", ("dim0", "dim1"))


def unflatten(input: Tensor, dim: int, sizes: Sequence[int]) -> Tensor:  # noqa: A002
    """Dimension ``dim`` as several of ``sizes`` (one may be -1): a view where the memory
    allows, as ``reshape``.

    >>> import chainrule as cr
    >>> cr.unflatten(cr.zeros(2, 6), 1, (3, -1)).shape
    chainrule.Size([2, 3, 2])
    """
    sizes = int_list((sizes,), "unflatten", "sizes", position=3, varargs=False)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    axis = wrap_dim(dim, input.ndim)
    have = tuple(input.shape)
    size = have[axis] if input.ndim else 1
    known = math.prod(n for n in sizes if n != -1)
    if -1 in sizes and known and not size % known:
        sizes = tuple(size // known if n == -1 else n for n in sizes)
    elif -1 in sizes or known != size:
        raise RuntimeError(
            f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim "
            f"{axis} ({size}) in the input tensor"
        )
    return shape.reshape(input, have[:axis] + sizes + have[axis + 1 :])


def ravel(input: Tensor) -> Tensor:  # noqa: A002
    """The elements as one dimension: a view where the memory allows."""
    return shape.reshape(input, (-1,))


def numel(input: Tensor) -> int:  # noqa: A002
    """The number of elements."""
    return input.numel()


def tile(input: Tensor, dims: Sequence[int]) -> Tensor:  # noqa: A002
    """``repeat`` with ``dims`` padded with leading 1s to the tensor's dimensions.

    >>> import chainrule as cr
    >>> cr.tile(cr.tensor([[1, 2]]), (2,))
    tensor([[1, 2, 1, 2]])
    """
    reps = int_list((dims,), "tile", "dims", position=2, varargs=False)
    return shape.repeat(input, (1,) * (input.ndim - len(reps)) + reps)


def repeat_interleave(
    input: Tensor,  # noqa: A002
    repeats: Any = None,
    dim: int | None = None,
    *,
    output_size: int | None = None,
) -> Tensor:
    """Each element (or slice along ``dim``) repeated ``repeats`` times in place, a number or
    one count per element; with no ``dim``, of the flattened tensor. Given only a tensor of
    counts, the indices repeated by them.

    >>> import chainrule as cr
    >>> cr.repeat_interleave(cr.tensor([1, 2]), cr.tensor([2, 1]))
    tensor([1, 1, 2])
    """
    check_interleave((input,), repeats, dim, output_size)
    if repeats is None:  # repeat_interleave(repeats): the indices 0, 1, ... repeated
        counts = _counts(input, None)
        # in the counts' dtype (int32 or int64), as PyTorch's
        return _make(xp.repeat(xp.arange(counts.size, dtype=counts.dtype), counts))
    if dim is None:
        input, axis = shape.reshape(input, (-1,)), 0
    else:
        axis = wrap_dim(dim, input.ndim)
    size = input.shape[axis] if input.ndim else 1
    if isinstance(repeats, Tensor):
        counts = _counts(repeats, size)
        total = int(counts.sum())
        index = xp.repeat(xp.arange(size), counts)
    else:
        count = operator.index(repeats)
        if count < 0:
            raise RuntimeError("Repeats must be non-negative")
        total = count * size
    if output_size is not None and output_size != total:
        raise RuntimeError(
            f"repeat_interleave: Invalid output_size, expected {total} but got {output_size}"
        )
    if isinstance(repeats, Tensor):
        return indexing.index_select(input, axis, _make(index))
    have = tuple(input.shape)
    copies = have[: axis + 1] + (count,) + have[axis + 1 :]
    spread = shape.expand(shape.unsqueeze(input, axis + 1), copies)
    # a new tensor, as PyTorch's, copied once: a reshape of the expanded view may still be a
    # view (stride 0), and with one copy of each a view of input
    copied = spread.clone(memory_format=memory_formats.contiguous_format)
    return shape.reshape(copied, have[:axis] + (total,) + have[axis + 1 :])


def check_interleave(given: tuple[Any, ...], repeats: Any, dim: Any, output_size: Any) -> None:
    """PyTorch's error where ``repeat_interleave``'s count, ``dim`` or ``output_size`` is no
    int: a bool or a float fits none of its signatures (True repeated once; a dim True was
    read as 1). ``given``: the arguments before ``repeats`` (the tensor, or none in the
    method), named in the message."""
    if (
        (
            repeats is None
            or type(repeats) is int
            or isinstance(repeats, Tensor)
            or is_index(repeats)
        )
        and (dim is None or type(dim) is int or is_index(dim))
        and (output_size is None or type(output_size) is int or is_index(output_size))
    ):
        return
    args = (
        *given,
        *((repeats,) if repeats is not None else ()),
        *((dim,) if dim is not None else ()),
    )
    raise no_overload(
        "repeat_interleave", args, {} if output_size is None else {"output_size": output_size}
    )


_INDEX_TYPES = (xp.dtype(xp.int32), xp.dtype(xp.int64))


def _counts(repeats: Tensor, size: int | None) -> Any:
    """``repeat_interleave``'s counts, one per element of a dimension of ``size`` (a single
    count stands for all), checked as PyTorch checks them."""
    counts = repeats._data
    if counts.dtype not in _INDEX_TYPES:  # ATen's kernel has int32 and int64 versions only
        name = _TORCH_DTYPE_NAMES[counts.dtype.name][1]
        raise NotImplementedError(f"\"repeat_interleave_cpu\" not implemented for '{name}'")
    if size is None and counts.ndim != 1:  # repeat_interleave(repeats): a 0-d one gave []
        raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
    if counts.ndim > 1:
        raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
    if size is not None and counts.size == 1:
        counts = xp.broadcast_to(counts.reshape(1), (size,))
    elif size is not None and counts.size != size:
        raise RuntimeError(
            "repeats must have the same size as input along dim, but got repeats.size(0) = "
            f"{counts.size} and input.size(0) = {size}"
        )
    if counts.size and counts.min() < 0:
        raise RuntimeError("repeats can not be negative")
    return counts.reshape(-1)


def fliplr(input: Tensor) -> Tensor:  # noqa: A002
    """The columns in reverse order (dimension 1), a copy as PyTorch's."""
    if input.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return shape.flip(input, (1,))


def flipud(input: Tensor) -> Tensor:  # noqa: A002
    """The rows in reverse order (dimension 0), a copy as PyTorch's."""
    if input.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return shape.flip(input, (0,))


def rot90(input: Tensor, k: int = 1, dims: Sequence[int] = (0, 1)) -> Tensor:  # noqa: A002
    """Rotated ``k`` quarter turns in the plane of ``dims``, from the first towards the
    second (PyTorch's flips and transposes, so the same copy and gradient).

    >>> import chainrule as cr
    >>> cr.rot90(cr.tensor([[1, 2], [3, 4]]))
    tensor([[2, 4],
            [1, 3]])
    """
    k = integer(k, "rot90", "k", 2)  # a bool is refused, as PyTorch's (True was read as 1)
    dims = int_list((dims,), "rot90", "dims", position=3, varargs=False)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {input.ndim}")
    a, b = wrap_dim(dims[0], input.ndim), wrap_dim(dims[1], input.ndim)
    if a == b:
        raise RuntimeError(
            f"expected rotation dims to be different, but got dim0 = {dims[0]} and dim1 = {dims[1]}"
        )
    turns = k % 4
    if turns == 1:
        out = shape.transpose(shape.flip(input, (b,)), a, b)
    elif turns == 2:
        out = shape.flip(input, (a, b))
    elif turns == 3:
        out = shape.transpose(shape.flip(input, (a,)), a, b)
    else:  # a row-major copy, as PyTorch's
        out = input.clone(memory_format=memory_formats.contiguous_format)
    return named(out, "Rot90Backward0")


# ------------------------------------------------------------------------------- stacking
def atleast_1d(*tensors: Any) -> Any:
    """Each tensor with at least 1 dimension (a 0-d one as 1-d, a view); one tensor for one,
    else a tuple."""
    return _atleast(tensors, 1)


def atleast_2d(*tensors: Any) -> Any:
    """Each tensor with at least 2 dimensions: new ones in front."""
    return _atleast(tensors, 2)


def atleast_3d(*tensors: Any) -> Any:
    """Each tensor with at least 3 dimensions: a 1-d one of n as (1, n, 1), a 2-d one
    (m, n) as (m, n, 1)."""
    return _atleast(tensors, 3)


def _atleast(tensors: tuple[Any, ...], n: int) -> Any:
    if len(tensors) == 1 and isinstance(tensors[0], tuple | list):
        return tuple(_at_least(t, n) for t in tensors[0])
    if len(tensors) == 1:
        return _at_least(tensors[0], n)
    return tuple(_at_least(t, n) for t in tensors)


def _at_least(t: Tensor, n: int) -> Tensor:
    ndim = t.ndim
    if ndim >= n:
        return t
    if ndim == 0:
        return shape.reshape(t, (1,) * n)
    if ndim == 1 and n == 3:
        return shape.reshape(t, (1, t.shape[0], 1))
    return shape.unsqueeze(t, -1) if n == 3 else shape.unsqueeze(t, 0)


def hstack(tensors: Sequence[Tensor]) -> Tensor:
    """The tensors joined along dimension 1 (0 for 1-d tensors).

    >>> import chainrule as cr
    >>> cr.hstack([cr.tensor([1, 2]), cr.tensor([3])])
    tensor([1, 2, 3])
    """
    parts = _parts(tensors, "hstack", 1)
    return shape.cat(parts, 0 if parts[0].ndim == 1 else 1)


def vstack(tensors: Sequence[Tensor]) -> Tensor:
    """The tensors, as at least 2-d, joined along dimension 0."""
    return shape.cat(_parts(tensors, "vstack", 2), 0)


def dstack(tensors: Sequence[Tensor]) -> Tensor:
    """The tensors, as at least 3-d, joined along dimension 2."""
    return shape.cat(_parts(tensors, "dstack", 3), 2)


def column_stack(tensors: Sequence[Tensor]) -> Tensor:
    """The tensors side by side as columns: 0-d and 1-d ones as columns, the others joined
    along dimension 1."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("column_stack expects a non-empty TensorList")
    columns = [shape.reshape(t, (t.numel(), 1)) if t.ndim <= 1 else t for t in tensors]
    return hstack(columns)


def _parts(tensors: Sequence[Tensor], name: str, n: int) -> list[Tensor]:
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError(f"{name} expects a non-empty TensorList")
    return [_at_least(t, n) for t in tensors]


# ------------------------------------------------------------------------------- index grids
def meshgrid(*tensors: Any, indexing: str | None = None) -> tuple[Tensor, ...]:
    """Grids of the 1-d (or 0-d) ``tensors``' values, each a view expanded to the shape of
    all: ``indexing="ij"`` in their order, ``"xy"`` with the first two dimensions swapped
    (Cartesian, as NumPy's default). Without ``indexing``, "ij" and PyTorch's warning.

    >>> import chainrule as cr
    >>> xs, ys = cr.meshgrid(cr.tensor([1, 2]), cr.tensor([3, 4, 5]), indexing="xy")
    >>> xs.shape
    chainrule.Size([3, 2])
    """
    if len(tensors) == 1 and isinstance(tensors[0], tuple | list):
        tensors = tuple(tensors[0])
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    if not (indexing is None or isinstance(indexing, str)):  # its value is checked below
        raise mistyped("meshgrid", "indexing", None, "str", indexing)
    if indexing is None:
        warnings.warn(
            "chainrule.meshgrid: in an upcoming release, it will be required to pass the indexing "
            "argument.",
            UserWarning,
            stacklevel=2,
        )
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(
            f'chainrule.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}'
        )
    for t in tensors[1:]:
        if t.dtype != tensors[0].dtype:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    for t in tensors:
        if t.ndim > 1:
            raise RuntimeError(
                "chainrule.meshgrid: Expected 0D or 1D tensor in the tensor list but got: "
                f"{t.ndim}D tensor"
            )
    places = list(range(len(tensors)))
    if indexing == "xy" and len(tensors) > 1:
        places[0], places[1] = 1, 0
    sizes = [0] * len(tensors)
    for place, t in zip(places, tensors, strict=True):
        sizes[place] = t.numel()
    grids = []
    for place, t in zip(places, tensors, strict=True):
        lines = [1] * len(tensors)
        lines[place] = t.numel()
        grids.append(shape.expand(shape.reshape(t, tuple(lines)), tuple(sizes)))
    return tuple(grids)


def tril_indices(
    row: int,
    col: int,
    offset: int = 0,
    *,
    dtype: Any = None,
    device: Any = None,
    layout: Any = None,
) -> Tensor:
    """The (row, column) indices of the lower triangle of a ``row`` by ``col`` matrix (on and
    below the diagonal ``offset``), as a 2 x N tensor in row-major order.

    >>> import chainrule as cr
    >>> cr.tril_indices(3, 3)
    tensor([[0, 1, 1, 2, 2, 2],
            [0, 0, 1, 0, 1, 2]])
    """
    return _triangle(xp.tril_indices, row, col, offset, dtype, device, "tril_indices")


def triu_indices(
    row: int,
    col: int,
    offset: int = 0,
    *,
    dtype: Any = None,
    device: Any = None,
    layout: Any = None,
) -> Tensor:
    """The (row, column) indices of the upper triangle (on and above the diagonal
    ``offset``), as :func:`tril_indices`."""
    return _triangle(xp.triu_indices, row, col, offset, dtype, device, "triu_indices")


def _triangle(
    numpy_fn: Any, row: int, col: int, offset: int, dtype: Any, device: Any, name: str
) -> Tensor:
    from chainrule import devices

    devices.check(device)
    row, col = integer(row, name, "row", 1), integer(col, name, "col", 2)
    offset = integer(offset, name, "offset", 3)
    for param, value in (("row", row), ("col", col)):
        if value < 0:
            raise RuntimeError(f"{param} must be non-negative, got{value}")
    out = dtypes.as_dtype(dtype) if dtype is not None else xp.dtype(xp.int64)
    if out.kind not in "iu" or out in dtypes.SHELL_UINTS:
        raise NotImplementedError(
            f"\"{name}\" not implemented for '{_TORCH_DTYPE_NAMES[out.name][1]}'"
        )
    return _make(xp.stack(numpy_fn(row, offset, col)).astype(out).reshape(2, -1))
