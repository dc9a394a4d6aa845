"""``as_strided``: a view with any sizes, strides and storage offset over a tensor's memory.

A geometry is ``(sizes, strides, offset)`` in elements of the memory (PyTorch's storage).
The view reads the memory at ``offset + sum(i_k * strides_k)``; elements of the tensor it was
taken from may be read several times, or not at all.

Its derivative follows PyTorch's ``as_strided_backward``: the gradient is added into zeros of
the memory at the positions the view reads (several reads of one position add up), then read
back through the input's own geometry (where the input itself reads a position several times,
each of its elements gets an equal share). As a matrix: the view is ``R_out N R_in^T`` (``R``:
reading a geometry from memory, its transpose adding into it, ``N`` dividing by the input's
count of readers), and the gradient its transpose ``R_in N R_out^T``.

    >>> import chainrule as cr
    >>> x = cr.arange(4.0, requires_grad=True)
    >>> y = x.as_strided((3, 2), (1, 1))    # overlapping windows [0, 1], [1, 2], [2, 3]
    >>> y
    tensor([[0., 1.],
            [1., 2.],
            [2., 3.]], grad_fn=<AsStridedBackward0>)
    >>> y.sum().backward()
    >>> x.grad                              # how often each element is read
    tensor([1., 2., 2., 1.])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chainrule import dtypes
from chainrule._array import xp
from chainrule.arguments import int_list, integer
from chainrule.op import Linear
from chainrule.ops import dual
from chainrule.ops.shape import element_strides, storage_offset
from chainrule.tensor import Tensor, _make, set_requires_grad

Geometry = tuple[tuple[int, ...], tuple[int, ...], int]
_as_strided = xp.lib.stride_tricks.as_strided


def extent(sizes: Sequence[int], strides: Sequence[int], offset: int) -> int:
    """How many elements of memory a geometry needs (0 where it has no elements)."""
    if 0 in sizes:
        return 0
    return offset + 1 + sum((n - 1) * s for n, s in zip(sizes, strides, strict=True))


def geometry(data: Any) -> Geometry:
    """An array's geometry in its memory, as PyTorch reports it."""
    return tuple(data.shape), tuple(element_strides(data)), storage_offset(data)


def memory(data: Any) -> Any:
    """The whole memory ``data`` lies in, as a 1-d array of its dtype (PyTorch's storage):
    the array that owns it, seen flat (NumPy's views and ``as_strided``'s wrappers hold their
    array as ``base``)."""
    root = data
    while hasattr(root.base, "__array_interface__"):
        root = root.base
    size = extent(root.shape, element_strides(root), 0)  # not nbytes: it may be broadcast
    flat = _as_strided(root, (size,), (root.itemsize,))
    return flat if flat.dtype == data.dtype else flat.view(data.dtype)


def positions(sizes: Sequence[int], strides: Sequence[int], offset: int) -> Any:
    """The memory position each element of a geometry reads, an int64 array of its sizes."""
    where = xp.full(tuple(sizes), offset, dtype=xp.int64)
    for axis, (n, s) in enumerate(zip(sizes, strides, strict=True)):
        shape = [1] * len(sizes)
        shape[axis] = n
        where += xp.arange(n, dtype=xp.int64).reshape(shape) * s
    return where


def _transfer_arrays(values: Any, source: Geometry, target: Geometry, shared: Geometry) -> Any:
    """``R_target N R_source^T values``: ``values`` (of ``source``'s sizes) added into zeros
    of memory at ``source``'s positions, divided by how often ``shared`` reads each position
    (where it reads one more than once), read at ``target``'s."""
    size = max(extent(*source), extent(*target), extent(*shared))
    into = positions(*source).ravel()
    buffer = xp.zeros(size, dtype=values.dtype)
    xp.add.at(buffer, into, xp.asarray(values).ravel())
    counts = _counts(shared, size)
    if counts is not None:
        buffer = buffer / counts
    return buffer[positions(*target)]


def _transfer_tensors(values: Any, source: Geometry, target: Geometry, shared: Geometry) -> Any:
    """:func:`_transfer_arrays` recorded, for a gradient of a gradient: a scatter-add and a
    gather, whose own rules are each other's transpose."""
    from chainrule.factories import zeros

    size = max(extent(*source), extent(*target), extent(*shared))
    into = _make(positions(*source).ravel())
    buffer = zeros(size, dtype=values.dtype).scatter_add(0, into, values.reshape(-1))
    counts = _counts(shared, size)
    if counts is not None:
        buffer = buffer / _make(counts.astype(values._data.dtype))
    return buffer.gather(0, _make(positions(*target).ravel())).reshape(target[0])


def _counts(shared: Geometry, size: int) -> Any:
    """How often ``shared`` reads each of ``size`` memory positions (at least 1, so that the
    ones it does not read divide by 1), or None where it reads none twice."""
    counts = xp.bincount(positions(*shared).ravel(), minlength=size)
    if counts.size and counts.max() > 1:
        return xp.maximum(counts, 1)
    return None


transfer = dual.both(
    _transfer_arrays, _transfer_tensors, "values, source, target, shared", ("values",)
)


class AsStrided(Linear):
    """The view of geometry ``(sizes, strides, offset)`` over the memory of its input, whose
    own geometry (and the array itself) the first call notes. On another array (a gradient,
    a tangent, which have the input's sizes but memory of their own) it is the same linear
    map, from the ``input`` geometry to the ``output`` one, computed by :func:`transfer`."""

    notation = "as_strided(x)"
    derivatives = ("1 per read (the gradient added back into memory, read as x)",)
    saves_inputs = False
    is_view = True

    def __init__(self, sizes: tuple[int, ...], strides: tuple[int, ...], offset: int | None):
        self.sizes = sizes
        self.strides = strides
        self.offset = offset
        self.source: Any = None  # the array the view is of, noted by the first call
        self.input: Geometry | None = None
        self.output: Geometry | None = None

    def forward(self, x):
        if self.source is None:
            if self.offset is None:
                self.offset = storage_offset(x)
            _check_bounds(x, self.sizes, self.strides, self.offset)
            self.source, self.input = x, geometry(x)
            self.output = self.sizes, self.strides, self.offset
        if x is self.source:
            return _view(x, self.sizes, self.strides, self.offset)
        if self._laid_out_alike(x):
            return _view(x, *self.output)
        return _transfer_arrays(x, self.input, self.output, self.input)

    def _laid_out_alike(self, x: Any) -> bool:
        """Whether ``x`` (a gradient, a tangent) lies in memory as the input did, and its
        memory holds its elements only (a fresh array of a row-major input): the view over it
        is then the same map, and one that can be written through (forward mode's tangent of
        a base changed through the view)."""
        return memory(x).size == x.size and geometry(x) == self.input

    def vjp(self, g, out, x):
        return (transfer(g, self.output, self.input, self.input),)


def _view(data: Any, sizes: tuple[int, ...], strides: tuple[int, ...], offset: int) -> Any:
    """The NumPy view of a geometry over ``data``'s memory; read-only where two of its
    elements are one (a stride of 0 over more than one), which PyTorch refuses to write."""
    flat = memory(data)
    itemsize = data.itemsize
    out = _as_strided(flat[offset:], sizes, tuple(s * itemsize for s in strides))
    if any(s == 0 and n > 1 for n, s in zip(sizes, strides, strict=True)):
        out.flags.writeable = False
    return out


def _check_bounds(data: Any, sizes: Sequence[int], strides: Sequence[int], offset: int) -> None:
    """PyTorch's refusal of a geometry that reaches past the memory."""
    needed = extent(sizes, strides, offset)
    have = memory(data).size
    if needed > have:
        itemsize = data.itemsize
        raise RuntimeError(
            f"setStorage: sizes {list(sizes)}, strides {list(strides)}, storage offset "
            f"{offset}, and itemsize {itemsize} requiring a storage size of "
            f"{needed * itemsize} are out of bounds for storage of size {have * itemsize}"
        )


def _batched(op: AsStrided, values: list[Any], batched: list[bool], size: int) -> Tensor:
    """vmap's rule. On the value itself, as torch.func's: each example's view over its own
    memory, which lies at the batch's stride from the one before (the offset counted from the
    first's). As a linear map (on gradients and tangents, and on the value, whose batch may
    be one example's memory seen several times), each example in memory of its own."""
    (x,) = values
    if op.input is not None:
        source, target = _stacked(size, op.input, op.output)
        return transfer(x, source, target, source)
    data = x._data
    offset = storage_offset(data) if op.offset is None else op.offset
    sizes, strides = (size, *op.sizes), (element_strides(data)[0], *op.strides)
    _check_bounds(data, sizes, strides, offset)
    inner = AsStrided(sizes, strides, offset)
    example = geometry(data)
    example = example[0][1:], example[1][1:], example[2]
    # Noted before the call, whose forward mode reads them.
    inner.source = data
    inner.input, inner.output = _stacked(size, example, (op.sizes, op.strides, offset))
    return inner(x)


def _stacked(size: int, source: Geometry, target: Geometry) -> tuple[Geometry, Geometry]:
    """``size`` examples of the map from ``source`` to ``target``, each in a block of memory
    of its own, one after the other."""
    block = max(extent(*source), extent(*target))
    return tuple(((size, *g[0]), (block, *g[1]), g[2]) for g in (source, target))


AsStrided.batch_rule = staticmethod(_batched)


def arguments(
    sizes: Any, strides: Any, offset: Any
) -> tuple[tuple[int, ...], tuple[int, ...], int | None]:
    """``as_strided``'s sizes, strides and offset, checked as PyTorch checks them."""
    name = "as_strided"
    sizes = int_list((sizes,), name, "size", position=2, varargs=False)
    strides = int_list((strides,), name, "stride", position=3, varargs=False)
    if len(sizes) != len(strides):
        raise RuntimeError("mismatch in length of strides and shape")
    if any(s < 0 for s in strides):
        raise RuntimeError(
            f"as_strided: Negative strides are not supported at the moment, got strides: "
            f"{list(strides)}"
        )
    if any(n < 0 for n in sizes):
        raise RuntimeError(
            f"Storage size calculation overflowed with sizes={list(sizes)} and "
            f"strides={list(strides)}"
        )
    if offset is not None:
        offset = integer(offset, name, "storage_offset", 4)
        if offset < 0:
            raise RuntimeError(f"Tensor: invalid storage offset {offset}")
    return sizes, strides, offset


def as_strided(
    input: Tensor,  # noqa: A002
    size: Sequence[int],
    stride: Sequence[int],
    storage_offset: int | None = None,
) -> Tensor:
    """The view of ``input``'s memory with sizes ``size``, strides ``stride`` (in elements)
    and first element at ``storage_offset`` (``input``'s own by default), as PyTorch's.

    >>> import chainrule as cr
    >>> cr.as_strided(cr.arange(6), (2, 2), (2, 1), 1)
    tensor([[1, 2],
            [3, 4]])
    """
    return AsStrided(*arguments(size, stride, storage_offset))(input)


def new_empty_strided(
    t: Tensor,
    size: Sequence[int],
    stride: Sequence[int],
    dtype: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """An uninitialized tensor of ``t``'s dtype (or ``dtype``) with the given sizes and
    strides, over memory of just the size they need, as PyTorch's ``new_empty_strided``."""
    from chainrule.factories import size_argument

    sizes = size_argument((size,), "new_empty_strided", varargs=False)
    strides = int_list((stride,), "new_empty_strided", "stride", position=2, varargs=False)
    if len(sizes) != len(strides):
        raise RuntimeError(
            f"dimensionality of sizes ({len(sizes)}) must match dimensionality of strides "
            f"({len(strides)})"
        )
    dtype = dtypes.as_dtype(dtype) if dtype is not None else t._data.dtype
    flat = xp.empty(max(extent(sizes, strides, 0), 1), dtype=dtype)
    result = _make(_view(flat, sizes, strides, 0))
    return set_requires_grad(result, requires_grad)


def as_strided_(
    t: Tensor, size: Sequence[int], stride: Sequence[int], storage_offset: Any = None
) -> Tensor:
    """``as_strided`` in place: ``t`` itself becomes the view."""
    from chainrule.ops import inplace

    checked = arguments(size, stride, storage_offset)
    return inplace.restride_(t, AsStrided(*checked))
