"""Indexing: reading and writing parts of a tensor.

Reading ``x[key]`` picks elements; its vjp puts the gradient back where they came from (and
adds it up where an index repeats, since that element was used more than once). Writing
``x[key] = v`` replaces elements; its vjp sends the gradient of the replaced part to ``v`` and
nothing to the old values.

    >>> import chainrule as cr
    >>> x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> x[cr.tensor([0, 0, 2])].sum().backward()
    >>> x.grad
    tensor([2., 0., 1.])
"""

from __future__ import annotations

import warnings
from typing import Any

from chainrule import return_types
from chainrule._array import add_at, xp
from chainrule.arguments import type_name
from chainrule.autodiff import batching
from chainrule.op import Linear, _value, named
from chainrule.ops import dual, inplace
from chainrule.ops.reduce import normalize_dims, values_indices
from chainrule.tensor import Tensor, _make

_BASIC = (int, slice, type(None), type(Ellipsis))
_INDEX_TYPES = (xp.dtype("int64"), xp.dtype("int32"))
_BYTE = xp.dtype("uint8")
_BYTE_MASK = (
    "indexing with dtype chainrule.uint8 is now deprecated, please use a dtype chainrule.bool "
    "instead."
)


def normalize_key(key: Any) -> tuple[Any, bool]:
    """The key with tensors and lists as arrays (bool masks as they are: ``checked_key``
    checks their shapes and turns them into integer arrays).

    Returns the key and whether it is basic (ints, slices, None, ...), which makes a view.
    """
    parts = key if isinstance(key, tuple) else (key,)
    out = []
    basic = True
    for part in parts:
        if isinstance(part, Tensor):
            part = part._data
        elif isinstance(part, list | range):  # x[range(n), y] picks one element per row
            part = xp.asarray(part) if len(part) else xp.zeros(0, xp.int64)
        elif isinstance(part, xp.integer):
            part = int(part)
        if isinstance(part, xp.ndarray):
            basic = False
            if part.dtype == _BYTE:  # PyTorch's mask of old: a mask still, with its warning
                warnings.warn(_BYTE_MASK, UserWarning, stacklevel=3)
                part = part.astype(bool)
            elif part.dtype.kind != "b" and part.dtype not in _INDEX_TYPES:
                raise IndexError(
                    "tensors used as indices must be long, int, byte or bool tensors\n"
                    f"indexing: a tensor of {part.dtype} as an index"
                )
        elif isinstance(part, bool) or not isinstance(part, _BASIC):
            raise IndexError(
                "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables "
                f"are valid indices (got {type_name(part)})\nindexing: unsupported index "
                f"{part!r} of type {type(part).__name__}"
            )
        out.append(part)
    return tuple(out), basic


class GetItem(Linear):
    notation = "x[index]"
    derivatives = ("1 at the picked positions (repeats add up), else 0",)
    batch_rule = staticmethod(batching.getitem)
    saves_inputs = False
    is_view = True  # may be: each instance says (basic indexing gives a view)

    def __init__(self, key: tuple[Any, ...], basic: bool) -> None:
        self.key = key
        self.basic = basic
        self.is_view = basic  # basic indexing returns a view of the input

    def default_name(self) -> str:
        # PyTorch applies a basic key part by part; its node is the last step that does
        # something (a full ``:`` or ``...`` does nothing).
        if not self.basic:
            return "IndexBackward0"
        steps = [p for p in self.key if p is not Ellipsis and p != slice(None)]
        if not steps:
            return "AliasBackward0"
        last = steps[-1]
        return (
            "UnsqueezeBackward0"
            if last is None
            else ("SliceBackward0" if isinstance(last, slice) else "SelectBackward0")
        )

    def forward(self, x):
        out = x[self.key]
        if self.basic and type(out) is not xp.ndarray:
            out = x[self.key + (Ellipsis,)]  # a 0-d view of the element, not a copied scalar
        return out

    def vjp(self, g, out, x):
        return (_index_add(g, self.key, tuple(x.shape), self.basic),)


class IndexAdd(Linear):
    """Zeros of ``shape`` with ``g`` added at ``key``: GetItem's vjp, as an op of its own so
    that second derivatives of indexing work."""

    notation = "scatter(g)"
    derivatives = ("1 at the indexed positions",)
    batch_rule = staticmethod(batching.index_add)
    saves_inputs = False

    def __init__(self, key: tuple[Any, ...], shape: tuple[int, ...]) -> None:
        self.key = key
        self.shape = shape

    def forward(self, g):
        return _index_add_array(g, self.key, self.shape, basic=False)

    def vjp(self, gg, out, g):
        return (gg[self.key],)


def _index_add_array(g: Any, key: tuple[Any, ...], shape: tuple[int, ...], basic: bool) -> Any:
    out = xp.zeros(shape, dtype=g.dtype)
    if basic:
        out[key] = g  # a basic key reaches each element at most once
    else:
        add_at(out, key, g)
    return out


# Zeros of ``shape`` with ``g`` added at ``key``; on Tensors an op of its own, so that it too
# is differentiable.
_index_add = dual.both(
    _index_add_array,
    lambda g, key, shape, basic: IndexAdd(key, shape)(g),
    "g, key, shape, basic",
)


class IndexPut(Linear):
    notation = "x with x[index] = v"
    derivatives = ("1 outside the index, 0 inside", "1 at the index (summed over broadcast)")
    batch_rule = staticmethod(batching.index_put)
    saves_inputs = False

    def __init__(self, key: tuple[Any, ...]) -> None:
        self.key = key

    def forward(self, x, v):
        out = x.copy()
        out[self.key] = v
        return out

    def vjp(self, g, out, x, v):
        gx = None
        if self.needs[0]:
            mask = xp.ones(tuple(g.shape), dtype=bool)
            mask[self.key] = False
            gx = g * mask
        gv = g[self.key] if self.needs[1] else None
        return (gx, gv)


class Gather(Linear):
    notation = "gather(x, dim, index)"
    derivatives = ("1 at the gathered positions (repeats add up)",)
    batch_rule = staticmethod(batching.gather)
    saves_inputs = False

    def __init__(self, dim: int, index: Any) -> None:
        self.dim = dim
        self.index = index

    def forward(self, x):
        return xp.take_along_axis(_crop(x, self.index, self.dim), self.index, self.dim)

    def vjp(self, g, out, x):
        return (dual.scatter_along(g, self.index, self.dim, tuple(x.shape)),)


class ScatterAdd(Linear):
    notation = "x + scatter(src)"
    derivatives = ("1", "1 at each source's target")
    batch_rule = staticmethod(batching.scatter_add)
    saves_inputs = False

    def __init__(self, dim: int, index: Any) -> None:
        self.dim = dim
        self.index = index

    def forward(self, x, src):
        out = x.copy()
        add_at(out, dual._along_axis_index(self.index, self.dim), src)
        return out

    def vjp(self, g, out, x, src):
        return (
            g if self.needs[0] else None,
            dual.gather_along(g, self.index, self.dim) if self.needs[1] else None,
        )


def _crop(x: Any, index: Any, dim: int) -> Any:
    """PyTorch's gather allows an index smaller than the input outside ``dim``."""
    if tuple(x.shape) == index.shape:
        return x
    return x[tuple(slice(None) if d == dim else slice(0, n) for d, n in enumerate(index.shape))]


# ------------------------------------------------------------------------- public functions
def getitem(input: Tensor, key: Any) -> Tensor:  # noqa: A002
    key, basic = normalize_key(key)
    return GetItem(checked_key(input, key), basic)(input)


def setitem(input: Tensor, key: Any, value: Any) -> None:  # noqa: A002
    """``input[key] = value``, in place; differentiable for the new values."""
    key, basic = normalize_key(key)
    key = checked_key(input, key)
    if basic:  # PyTorch's ``input[key].copy_(value)``: an in-place change through a view
        inplace.copy_(GetItem(key, basic)(input), value)
    else:
        inplace.apply(input, lambda old, v: IndexPut(key)(old, v), value)


def checked_key(input: Tensor, key: tuple[Any, ...]) -> tuple[Any, ...]:  # noqa: A002
    """``key`` checked against the tensor's shape as PyTorch checks it, each bool mask then
    as the lists of its True positions (a mask takes as many dimensions as it has)."""
    shape = tuple(input.shape)
    dim = 0
    seen: list[int] = []  # the shape PyTorch's advanced indexing sees: after ints, slices, None
    out = []
    for part in key:
        out.append(part)
        if part is None:
            seen.append(1)
            continue
        if part is Ellipsis:
            rest = len(shape) - sum(_width(p) for p in key if p is not None and p is not Ellipsis)
            seen += shape[dim:rest]
            dim = rest
            continue
        width = _width(part)
        if dim + width > len(shape):
            raise IndexError(
                f"too many indices for tensor of dimension {len(shape)}\nindexing: more "
                f"indices than the dimensions of shape {shape}"
            )
        size = shape[dim]
        if isinstance(part, xp.ndarray) and part.dtype == bool:
            for i, n in enumerate(part.shape):
                if shape[dim + i] != n:
                    raise IndexError(
                        f"The shape of the mask {list(part.shape)} at index {i} does not match "
                        f"the shape of the indexed tensor {seen + list(shape[dim:])} at index "
                        f"{len(seen) + i}"
                    )
            out[-1:] = part.nonzero()
            seen += part.shape
        elif isinstance(part, int):
            if not -size <= part < size:
                raise IndexError(
                    f"index {part} is out of bounds for dimension {dim} with size {size}"
                )
        elif isinstance(part, slice):
            seen.append(len(range(*part.indices(size))))
        else:
            if part.size and (part.max() >= size or part.min() < -size):
                bad = int(part.max()) if part.max() >= size else int(part.min())
                raise IndexError(
                    f"index {bad} is out of bounds for dimension {dim} with size {size}"
                )
            seen.append(size)
        dim += width
    return tuple(out)


def _width(part: Any) -> int:
    """How many of the tensor's dimensions a part of a normalized key takes."""
    return part.ndim if isinstance(part, xp.ndarray) and part.dtype == bool else 1


def gather(input: Tensor, dim: int, index: Tensor) -> Tensor:  # noqa: A002
    """``out[i][j] = input[i][index[i][j]]`` along ``dim`` (here dim=1)."""
    (axis,) = normalize_dims(dim, input.ndim, "gather")
    idx = _index_array(index, "gather")
    if idx.ndim != input.ndim or any(
        n > m for d, (n, m) in enumerate(zip(idx.shape, input.shape, strict=True)) if d != axis
    ):
        raise RuntimeError(
            f"gather: index of shape {idx.shape} does not fit input of shape "
            f"{tuple(input.shape)} outside dimension {axis}"
        )
    _check_range(idx, input.shape[axis], axis)
    return Gather(axis, idx)(input)


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:  # noqa: A002
    """A copy of ``input`` with ``src`` added at ``index`` along ``dim`` (repeats add up)."""
    (axis,) = normalize_dims(dim, input.ndim, "scatter_add")
    idx = _index_array(index, "scatter_add")
    if tuple(src.shape) != idx.shape:
        raise RuntimeError(
            f"scatter_add: src of shape {tuple(src.shape)} must match index of shape {idx.shape}"
        )
    _check_range(idx, input.shape[axis], axis)
    return ScatterAdd(axis, idx)(input, src)


def _check_range(idx: Any, size: int, axis: int) -> None:
    """PyTorch's refusal of an index outside ``[0, size)`` in ``gather`` and ``scatter_add``
    (NumPy would read a negative one from the end), naming the first."""
    if idx.size and (idx.min() < 0 or idx.max() >= size):
        bad = idx[(idx < 0) | (idx >= size)][0]
        raise RuntimeError(f"index {bad} is out of bounds for dimension {axis} with size {size}")


def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:  # noqa: A002
    """The slices at ``index`` (a vector, or one integer) along ``dim``, PyTorch's checks."""
    (axis,) = normalize_dims(dim, input.ndim, "index_select")
    idx = _index_array(index, "index_select")
    if idx.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if idx.size and (idx.min() < 0 or idx.max() >= input.shape[axis]):
        raise IndexError("index out of range in self")  # NumPy would read -1 from the end
    key = (slice(None),) * axis + (idx.reshape(-1),)  # one integer keeps its dimension
    return named(getitem(input, key), "IndexSelectBackward0")


def masked_select(input: Tensor, mask: Any) -> Tensor:  # noqa: A002
    """The elements where ``mask`` (a bool tensor broadcasting with ``input``) is True, as 1-D."""
    mask = xp.asarray(_value(mask))
    if mask.dtype != bool:
        raise RuntimeError(f"masked_select: expected a bool mask, got {mask.dtype}")
    shape = xp.broadcast_shapes(tuple(input.shape), mask.shape) or (1,)  # 0-d: 1 element
    if tuple(input.shape) != shape:
        input = input.expand(shape)
    return getitem(input, xp.broadcast_to(mask, shape))


def nonzero(input: Tensor, *, as_tuple: bool = False) -> Any:  # noqa: A002
    """The indices of the non-zero elements: an (n, ndim) int64 tensor, or with ``as_tuple``
    one 1-D tensor per dimension (what ``x[...]`` accepts). Indices carry no gradient."""
    if as_tuple:
        return tuple(_make(i) for i in xp.nonzero(xp.atleast_1d(input._data)))
    return _make(xp.argwhere(input._data))


def sort(
    input: Tensor,  # noqa: A002
    dim: int = -1,
    descending: bool = False,
    stable: bool = False,
) -> values_indices:
    """``(values, indices)`` sorted along ``dim``; NaN counts as largest. The sort is always
    stable (ties keep their order), so ``stable`` changes nothing.

    The values are ``gather(input, dim, indices)``, so the gradient goes back to where each
    value came from.

        >>> import chainrule as cr
        >>> cr.sort(cr.tensor([3.0, 1.0, 2.0])).indices
        tensor([1, 2, 0])
    """
    indices = _sort_indices(input, dim, descending, "sort")
    return return_types.named("sort", _pick(input, dim, indices, "sort"))


def argsort(
    input: Tensor,  # noqa: A002
    dim: int = -1,
    descending: bool = False,
    stable: bool = False,
) -> Tensor:
    """The indices that sort ``input`` along ``dim`` (see :func:`sort`)."""
    return _make(_sort_indices(input, dim, descending, "argsort"))


def topk(
    input: Tensor,  # noqa: A002
    k: int,
    dim: int = -1,
    largest: bool = True,
    sorted: bool = True,  # noqa: A002
) -> values_indices:
    """``(values, indices)`` of the ``k`` largest (or smallest) elements along ``dim``."""
    (axis,) = normalize_dims(dim, input.ndim, "topk") or (0,)
    size = input.shape[axis] if input.ndim else 1
    if not 0 <= k <= size:
        raise RuntimeError(f"topk: k={k} is out of range for dimension {axis} of size {size}")
    indices = _sort_indices(input, dim, largest, "topk")
    if input.ndim:
        indices = indices[(slice(None),) * axis + (slice(0, k),)]
    return return_types.named("topk", _pick(input, dim, indices, "topk"))


def _sort_indices(input: Tensor, dim: int, descending: bool, op: str) -> Any:  # noqa: A002
    """Stable argsort along ``dim``; descending keeps ties in order and puts NaN first."""
    data = input._data
    (axis,) = normalize_dims(dim, input.ndim, op) or (0,)
    if data.ndim == 0:
        return xp.zeros((), dtype=xp.int64)
    if not descending:
        return xp.argsort(data, axis=axis, kind="stable")
    # Sort the reversed array and reverse the result: ties come out in their original order.
    flipped = xp.argsort(xp.flip(data, axis), axis=axis, kind="stable")
    return data.shape[axis] - 1 - xp.flip(flipped, axis)


def _pick(input: Tensor, dim: int, indices: Any, op: str) -> values_indices:  # noqa: A002
    if input.ndim == 0:
        return values_indices(input.clone(), _make(indices))
    (axis,) = normalize_dims(dim, input.ndim, op)
    return values_indices(Gather(axis, indices)(input), _make(indices))


def _index_array(index: Any, op: str) -> Any:
    array = xp.asarray(_value(index))
    if array.dtype.kind not in "iu":
        raise RuntimeError(f"{op}: expected an integer index tensor, got {array.dtype}")
    return array
