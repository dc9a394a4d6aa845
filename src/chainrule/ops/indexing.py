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

from chainrule import dtypes, memory_formats, return_types, shell_uints
from chainrule._array import add_at, add_rows, xp
from chainrule.arguments import (
    Signature,
    boolean,
    integer,
    invalid_combination,
    mistyped,
    no_overload,
    type_name,
    wrap_dim,
)
from chainrule.autodiff import batching, open_transforms
from chainrule.dtypes import _TORCH_DTYPE_NAMES
from chainrule.op import Constant, Linear, Picked, _value, named
from chainrule.ops import dual, inplace, stl_select
from chainrule.ops.broadcast import broadcast_shape
from chainrule.ops.elementwise import where
from chainrule.ops.reduce import MaxAlong, normalize_dims, values_indices
from chainrule.tensor import Tensor, _make

_ndarray = xp.ndarray

_BASIC = (int, slice, type(None), type(Ellipsis))
_INDEX_TYPES = (xp.dtype("int64"), xp.dtype("int32"))
_BYTE = xp.dtype("uint8")
_BYTE_MASK = (
    "indexing with dtype chainrule.uint8 is now deprecated, please use a dtype chainrule.bool "
    "instead."
)


def normalize_key(key: Any, batched: bool = False) -> tuple[Any, bool]:
    """The key with tensors and lists as arrays (bool masks as they are: ``checked_key``
    checks their shapes and turns them into integer arrays). With ``batched``, an integer
    tensor that vmap batches stays as it is (``batching.index_by_batched`` reads it); else
    reading its values raises vmap's ``NotBatchable``.

    Returns the key and whether it is basic (ints, slices, None, ...), which makes a view.
    """
    if type(key) is list and _reads_as_tuple(key):
        key = tuple(key)
    parts = key if isinstance(key, tuple) else (key,)
    out = []
    basic = True
    for part in parts:
        if batched and type(part) is batching.BatchedTensor:
            dtype = batching.physical(part).dtype
            if dtype not in _INDEX_TYPES:  # a mask: its examples' results differ in shape
                _check_index_dtype(dtype)
                raise batching.NotBatchable("vmap: indexing by a batched mask")
            out.append(part)
            basic = False
            continue
        if isinstance(part, Tensor):
            part = part._data
            if part.ndim == 0 and part.dtype.kind in "iu":  # PyTorch selects by it, as an int
                part = int(part)
        elif isinstance(part, bool):  # PyTorch's x[True]: a new axis, kept (True) or empty
            part = xp.asarray(part)
        elif isinstance(part, list | range):  # x[range(n), y] picks one element per row
            part = xp.asarray(part) if len(part) else xp.zeros(0, xp.int64)
        elif isinstance(part, xp.integer):
            part = int(part)
        elif type(part) is slice and part.step is not None and part.step <= 0:
            # PyTorch has no negative strides: no reversed slices (NumPy's x[::-1])
            raise ValueError(
                "slice step cannot be zero" if part.step == 0 else "step must be greater than zero"
            )
        if isinstance(part, xp.ndarray):
            basic = False
            if part.dtype == _BYTE:  # PyTorch's mask of old: a mask still, with its warning
                warnings.warn(_BYTE_MASK, UserWarning, stacklevel=3)
                part = part.astype(bool)
            else:
                _check_index_dtype(part.dtype)
        elif isinstance(part, bool) or not isinstance(part, _BASIC):
            raise IndexError(
                "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables "
                f"are valid indices (got {type_name(part)})\nindexing: unsupported index "
                f"{part!r} of type {type(part).__name__}"
            )
        out.append(part)
    return tuple(out), basic


def _check_index_dtype(dtype: Any) -> None:
    """PyTorch's refusal of an index tensor that is neither integers nor a mask."""
    if dtype.kind != "b" and dtype not in _INDEX_TYPES and dtype != _BYTE:
        raise IndexError(
            "tensors used as indices must be long, int, byte or bool tensors\n"
            f"indexing: a tensor of {dtype} as an index"
        )


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
        if self.basic:
            if type(out) is not xp.ndarray:
                out = x[self.key + (Ellipsis,)]  # a 0-d view of the element, not a copied scalar
        elif not out.flags.c_contiguous:
            # NumPy lays an index along a later axis out as it walked it (x[:, [0, 3]] has
            # strides (1, 4)); PyTorch's result is a new contiguous tensor, which .view() takes
            out = xp.ascontiguousarray(out)
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

    def __init__(self, key: tuple[Any, ...], shape: tuple[int, ...], unique: bool = False) -> None:
        self.key = key
        self.shape = shape
        # A key that reaches each element at most once (a diagonal) places g instead of adding
        # it to 0, which keeps a -0 (PyTorch's diag of [-0.0] has -0 on the diagonal).
        self.unique = unique

    def forward(self, g):
        return _index_add_array(g, self.key, self.shape, basic=self.unique)

    def vjp(self, gg, out, g):
        return (gg[self.key],)


def _reads_as_tuple(key: list[Any]) -> bool:
    """Whether PyTorch reads the list ``key`` as a tuple of indices, as NumPy did before 1.23:
    when it has fewer than 32 entries and one is a sequence, a tensor, a slice, ``...`` or
    None (``x[[[0, 1], [1, 2]]]`` is ``x[[0, 1], [1, 2]]``, two elements, not four rows).

    >>> _reads_as_tuple([[0, 1], [1, 2]]), _reads_as_tuple([0, 1]), _reads_as_tuple([0, None])
    (True, False, True)
    """
    return len(key) < 32 and any(
        p is None or p is Ellipsis or isinstance(p, Tensor | slice | list | tuple | range)
        for p in key
    )


def _index_add_array(g: Any, key: tuple[Any, ...], shape: tuple[int, ...], basic: bool) -> Any:
    out = xp.zeros(shape, dtype=g.dtype)
    if basic:
        out[key] = g  # a basic (or unique) key reaches each element at most once
    elif len(key) == 1 and type(rows := key[0]) is _ndarray and rows.dtype.kind in "iu":
        # rows of the first axis (an embedding's, x[indices]): add_rows, add_at's numbers
        add_rows(out, rows.reshape(-1), g.reshape(-1, *shape[1:]))
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

    def _mismatch(self, args: tuple[Any, ...]) -> RuntimeError:
        """PyTorch's words for values that do not broadcast to the indexed part."""
        x, v = args
        picked = xp.broadcast_to(xp.zeros((), bool), xp.shape(x))[self.key].shape
        return RuntimeError(
            f"shape mismatch: value tensor of shape {list(xp.shape(v))} cannot be broadcast to "
            f"indexing result of shape {list(picked)}"
        )

    def vjp(self, g, out, x, v):
        gx = None
        if self.needs[0]:
            written = xp.zeros(tuple(g.shape), dtype=bool)
            written[self.key] = True
            # zeros where the values were overwritten, not g * mask: a nan or inf there must
            # not reach x (PyTorch's index_put backward fills those positions with 0)
            gx = dual.where(written, dual.zeros_like(g), g)
        gv = g[self.key] if self.needs[1] else None
        return (gx, gv)


class Gather(Linear):
    notation = "gather(x, dim, index)"
    derivatives = ("1 at the gathered positions (repeats add up)",)
    batch_rule = staticmethod(batching.gather)
    # The rule reads x's shape alone; x is guarded all the same, as PyTorch's node saves it
    # (and refuses an in-place change of it before the backward).

    def __init__(self, dim: int, index: Any) -> None:
        self.dim = dim
        self.index = index

    def forward(self, x):
        # row-major whatever the index's layout, as PyTorch's (NumPy's takes the index's:
        # a column-major one from LAPACK's results made .view(-1) of the result refuse)
        out = xp.take_along_axis(_crop(x, self.index, self.dim), self.index, self.dim)
        return xp.asarray(out, order="C")

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

    @dtypes.half_in_float32  # PyTorch's kernel sums float16 in float32, rounds once
    def forward(self, x, src):
        out = x.copy()
        add_at(out, dual._along_axis_index(self.index, self.dim), src)
        return out

    def vjp(self, g, out, x, src):
        return (
            g if self.needs[0] else None,
            dual.gather_along(_crop(g, self.index, self.dim), self.index, self.dim)
            if self.needs[1]
            else None,
        )


def _crop(x: Any, index: Any, dim: int) -> Any:
    """PyTorch's gather and scatter allow an index smaller than the input outside ``dim``:
    the part of ``x`` (an array or a Tensor) it reaches."""
    if tuple(x.shape) == index.shape:
        return x
    return x[tuple(slice(None) if d == dim else slice(0, n) for d, n in enumerate(index.shape))]


# ------------------------------------------------------------------------- public functions
def getitem(input: Tensor, key: Any) -> Tensor:  # noqa: A002
    given = key
    key, basic = normalize_key(key, batched=bool(open_transforms.here.vmap))
    if basic:
        return GetItem(checked_key(input, key), basic)(input)
    if int in map(type, key):
        input, key = _selected_view(input, key)  # noqa: A001
    if open_transforms.here.vmap and batching.BatchedTensor in map(type, key):
        return batching.index_by_batched(input, key)
    return guard_indices(GetItem(checked_key(input, key), basic)(input), given)


def guard_indices(result: Tensor, held: Any) -> Tensor:
    """``result``, with the tensors in ``held`` (a tensor, or a key or tuple holding some)
    guarded as PyTorch's node guards a saved tensor: one changed in place before the backward
    makes it raise. For index tensors (or weights) whose arrays the node keeps, the node would
    else read the new values and give a wrong gradient; a composite also guards what PyTorch's
    one node saves and chainrule's last node does not read (masked_select's input, a
    normalization's input, weight and bias), to refuse what PyTorch refuses.

    >>> import chainrule as cr
    >>> x, i = cr.ones(3, requires_grad=True), cr.tensor([0, 2])
    >>> y = x[i]
    >>> i[0] = 1
    >>> y.sum().backward()  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    RuntimeError: one of the variables needed for gradient computation has been modified ...
    """
    node = result._grad_fn
    if node is None or held is None:
        return result
    held = (held,) if isinstance(held, Tensor) else held if isinstance(held, tuple | list) else ()
    tensors = tuple(t for t in held if isinstance(t, Tensor) and t._vc is not None)
    if tensors:
        node.versions = (*node.versions, *[(t._vc, t._vc[0]) for t in tensors])
        node.index_tensors = tensors
    return result


def _selected_view(input: Tensor, key: tuple[Any, ...]) -> tuple[Tensor, tuple[Any, ...]]:  # noqa: A002
    """The view that the integers of a key mixing them with index arrays select, and the
    rest of the key for it (:func:`_selects_first`): reads and writes index it the same way."""
    view_key, rest = _selects_first(key)
    return GetItem(checked_key(input, view_key), True)(input), rest


def _selects_first(key: tuple[Any, ...]) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """A key that mixes integers with index arrays, split as PyTorch applies it: the
    integers, slices and None make a view first, and the arrays then index the view, so an
    integer never joins the arrays' broadcast. (NumPy counts it among them: its
    ``x[0, :, [1, 2]]`` of a (2, 3, 4) array is (2, 3), PyTorch's (3, 2).)

    >>> view_key, rest = _selects_first((0, slice(None), xp.array([1, 2])))
    >>> view_key == (0, slice(None), slice(None)), rest[0] == slice(None), rest[1].tolist()
    (True, True, [1, 2])
    """
    view_key: list[Any] = []
    rest: list[Any] = []
    for part in key:
        if type(part) is batching.BatchedTensor:  # a batched index of integers
            view_key.append(slice(None))
            rest.append(part)
        elif isinstance(part, xp.ndarray):  # a mask takes as many dimensions as it has
            view_key += [slice(None)] * (part.ndim if part.dtype == bool else 1)
            rest.append(part)
        else:
            view_key.append(part)
            if type(part) is not int:  # the view's axis, whole, or all that ... stands for
                rest.append(part if part is Ellipsis else slice(None))
    return tuple(view_key), tuple(rest)


def setitem(input: Tensor, key: Any, value: Any) -> None:  # noqa: A002
    """``input[key] = value``, in place; differentiable for the new values. As PyTorch's,
    the value's leading dims of size 1 are dropped first (``x[0] = ones(1, 2)`` writes a
    row of 2)."""
    if isinstance(value, Tensor) and value.ndim and value.shape[0] == 1:
        shape = tuple(value.shape)
        ones = next((i for i, n in enumerate(shape) if n != 1), len(shape))
        value = value.reshape(shape[ones:])
    given = key
    key, basic = normalize_key(key, batched=bool(open_transforms.here.vmap))
    if not basic and open_transforms.here.vmap and batching.BatchedTensor in map(type, key):
        if int in map(type, key):  # the arrays write into the integers' view, as below
            input, key = _selected_view(input, key)  # noqa: A001
        inplace.apply(input, lambda old, v: batching.put_by_batched(old, key, v), value)
        return
    key = checked_key(input, key)
    if basic:  # PyTorch's ``input[key].copy_(value)``: an in-place change through a view
        view = input if _whole(input, key) else GetItem(key, basic)(input)
        if isinstance(value, Tensor) and value.shape != view.shape:
            value = value.expand(view.shape)  # as PyTorch's setitem: its checks, its node
        inplace.copy_(view, value)
        return
    if int in map(type, key):  # the arrays write into the integers' view, as in getitem
        input, key = _selected_view(input, key)  # noqa: A001
        key = checked_key(input, key)
    put = lambda old, v: guard_indices(IndexPut(key)(old, v), given)  # noqa: E731
    inplace.apply(input, put, value, distinct=True)


def _whole(input: Tensor, key: tuple[Any, ...]) -> bool:  # noqa: A002
    """Whether the basic ``key`` is only ``...`` and slices from 0 by 1 to the end, which
    PyTorch's setitem does not make a view of: it writes into ``input`` itself (a leaf's own
    refusal, no CopySlices, and ``x[...] = x`` is a copy onto itself)."""
    if not all(part is Ellipsis or type(part) is slice for part in key):
        return False
    dots = next((i for i, part in enumerate(key) if part is Ellipsis), len(key))
    shape = tuple(input.shape)
    after = key[dots + 1 :][::-1]  # (the parts after ... take the last dims)
    sized = [*zip(key[:dots], shape, strict=False), *zip(after, shape[::-1], strict=False)]
    return all(
        part.start in (None, 0)
        and part.step in (None, 1)
        and (size if part.stop is None else part.stop) >= size
        for part, size in sized
    )


def checked_key(input: Tensor, key: tuple[Any, ...], examples: int = 0) -> tuple[Any, ...]:  # noqa: A002
    """``key`` checked against the tensor's shape as PyTorch checks it, each bool mask then
    as the lists of its True positions (a mask takes as many dimensions as it has). An index
    array out of bounds is refused only where the result has elements: PyTorch checks each
    index as it reads it, so an empty result reads none (``x[:0, [5]]``); there the array is
    clipped, for NumPy to give the empty result. ``examples``: how many leading dims of
    ``input`` (and parts of ``key``) are vmap's examples (``batching.index_by_batched``'s
    key), which the messages do not count."""
    shape = tuple(input.shape)
    dim = 0
    seen: list[int] = []  # the shape PyTorch's advanced indexing sees: after ints, slices, None
    out = []
    out_of_bounds: IndexError | None = None
    index_arrays = 0  # how many (a mask's nonzero arrays count)
    for part in key:
        out.append(part)
        if part is None:
            seen.append(1)
            continue
        if part is Ellipsis:  # up to the dimensions that the parts after it take
            rest = dim + len(shape) - sum(_width(p) for p in key if p is not None and p is not ...)
            if rest == dim and any(isinstance(p, xp.ndarray) for p in key):
                # PyTorch drops a ... that stands for no dimension: index arrays on either
                # side of it stay adjacent (NumPy's would go first)
                out.pop()
            seen += shape[dim:rest]
            dim = rest
            continue
        width = _width(part)
        if dim + width > len(shape) or (width > 1 and _too_many(key, shape)):
            # (with a mask of several dimensions counted first, before its shape is checked)
            raise IndexError(
                f"too many indices for tensor of dimension {len(shape) - examples}\nindexing: "
                f"more indices than the dimensions of shape {shape[examples:]}"
            )
        size = shape[dim] if dim < len(shape) else 0  # a 0-d mask takes no dimension
        if isinstance(part, xp.ndarray) and part.dtype == bool:
            for i, n in enumerate(part.shape):
                if shape[dim + i] != n:
                    raise IndexError(
                        f"The shape of the mask {list(part.shape)} at index {i} does not match "
                        f"the shape of the indexed tensor {seen + list(shape[dim:])} at index "
                        f"{len(seen) + i}"
                    )
            if part.ndim:  # a 0-d mask (x[True]) stays: NumPy reads it as PyTorch does
                out[-1:] = part.nonzero()
                index_arrays += part.ndim
            seen += part.shape if part.ndim else (int(part),)
        elif isinstance(part, int):
            if not -size <= part < size:
                raise IndexError(
                    f"index {part} is out of bounds for dimension {dim - examples} with size {size}"
                )
        elif isinstance(part, slice):
            seen.append(len(range(*part.indices(size))))
        else:
            if part.size and (part.max() >= size or part.min() < -size):
                bad = int(part.max()) if part.max() >= size else int(part.min())
                error = IndexError(
                    f"index {bad} is out of bounds for dimension {dim - examples} with size {size}"
                )
                if not size:  # no index fits, whatever the result (PyTorch's words)
                    raise IndexError("index is out of bounds for dimension with size 0")
                out_of_bounds = out_of_bounds or error
                out[-1] = xp.clip(part, -size, size - 1)
            seen.append(size)
            index_arrays += 1
        dim += width
    if index_arrays > 1 or out_of_bounds is not None:
        arrays = [p.shape for p in out if type(p) is xp.ndarray]
        if index_arrays > 1:
            check_broadcast(arrays)
        # an index out of bounds is refused where the result has elements: no dimension it
        # takes from the key or the tensor is empty (seen: slices, new axes, masks and the
        # dimensions indexed; then those left whole), nor do the index arrays broadcast to none
        if out_of_bounds is not None and 0 not in (
            *seen,
            *shape[dim:],
            *xp.broadcast_shapes(*arrays),
        ):
            raise out_of_bounds
    return tuple(out)


def check_broadcast(shapes: list[tuple[int, ...]]) -> None:
    """Index arrays' shapes that do not broadcast together refused in PyTorch's words (NumPy's
    name them as tuples)."""
    if len(set(shapes)) > 1:
        try:
            xp.broadcast_shapes(*shapes)
        except ValueError:
            raise IndexError(
                "shape mismatch: indexing tensors could not be broadcast together with shapes "
                + ", ".join(str(list(s)) for s in shapes)
            ) from None


def _too_many(key: tuple[Any, ...], shape: tuple[int, ...]) -> bool:
    """Whether the key's parts take more dimensions than the tensor has."""
    return sum(_width(p) for p in key if p is not None and p is not Ellipsis) > len(shape)


def _width(part: Any) -> int:
    """How many of the tensor's dimensions a part of a normalized key takes."""
    return part.ndim if isinstance(part, xp.ndarray) and part.dtype == bool else 1


def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:  # noqa: A002
    """``out[i][j] = input[i][index[i][j]]`` along ``dim`` (here dim=1). PyTorch's
    ``sparse_grad=True`` (a sparse gradient of ``input``) is refused: chainrule has no sparse
    tensors."""
    if sparse_grad:
        raise NotImplementedError("gather: sparse_grad=True is not supported")
    shell_uints.check_function("gather", input.dtype)
    (axis,) = normalize_dims(dim, input.ndim, "gather") or (0,)
    idx, shape = _index_array(index, "gather")
    if not input.ndim and not shape:  # PyTorch gathers a 0-d input as a vector of one value
        return gather(input.reshape(1), 0, index.reshape(1)).reshape(())
    if len(shape) != input.ndim or any(
        n > m for d, (n, m) in enumerate(zip(shape, input.shape, strict=True)) if d != axis
    ):
        raise RuntimeError(
            f"gather: index of shape {shape} does not fit input of shape "
            f"{tuple(input.shape)} outside dimension {axis}"
        )
    _check_range(idx, input.shape[axis], axis)
    return along(Gather, axis, _batched_or(index, idx), input, held=index)


def along(make: Any, axis: int, index: Any, *inputs: Tensor, held: Any = None) -> Tensor:
    """``make(axis, index)(*inputs)``: an op along ``axis`` that reads the index array
    ``index`` (``Gather``, ``Scatter``, ``ScatterAdd``, ``ScatterReduce``) of the tensor
    ``held``, guarded (:func:`guard_indices`); for an index that vmap batches, which stays a
    tensor (:func:`_batched_or`), every example's at once."""
    if type(index) is batching.BatchedTensor:
        return batching.by_batched_index(make, axis, index, *inputs)
    return guard_indices(make(axis, index)(*inputs), held)


def _batched_or(index: Any, array: Any) -> Any:
    """``index`` itself where vmap batches it, else its checked ``array``."""
    return index if type(index) is batching.BatchedTensor else array


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:  # noqa: A002
    """A copy of ``input`` with ``src`` added at ``index`` along ``dim`` (repeats add up);
    ``src`` may be larger than the index, whose part of it is added."""
    if not isinstance(src, Tensor):
        raise mistyped("scatter_add", "src", 4, "Tensor", src)
    if not input.ndim:  # as a tensor of one element
        return scatter_add(input.reshape(1), dim, _one_element(index), _one_element(src)).reshape(
            ()
        )
    axis, idx, src = _scatter_operands(input, dim, index, src, "scatter_add")
    return along(ScatterAdd, axis, idx, input, src, held=index)


def _check_range(idx: Any, size: int, axis: int) -> None:
    """PyTorch's refusal of an index outside ``[0, size)`` in ``gather`` and ``scatter_add``
    (NumPy would read a negative one from the end), naming the first."""
    if idx.size and (idx.min() < 0 or idx.max() >= size):
        bad = idx[(idx < 0) | (idx >= size)][0]
        raise RuntimeError(f"index {bad} is out of bounds for dimension {axis} with size {size}")


def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:  # noqa: A002
    """The slices at ``index`` (a vector, or one integer) along ``dim``, PyTorch's checks."""
    if input.ndim <= 1:  # (PyTorch's kernel for a vector; it indexes the others)
        shell_uints.check_function("index_select", input.dtype)
    (axis,) = normalize_dims(dim, input.ndim, "index_select") or (0,)
    idx, shape = _index_array(index, "index_select")
    if len(shape) > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if input.ndim == 0 and shape not in ((), (1,)):
        raise RuntimeError(
            f"index_select(): Index to scalar can have only 1 value, got {shape[0]} value(s)"
        )
    if idx.size and (idx.min() < 0 or idx.max() >= (input.shape[axis] if input.ndim else 1)):
        raise IndexError("index out of range in self")  # NumPy would read -1 from the end
    # one integer keeps its dimension; a batched index stays a tensor (getitem batches it)
    picks = _batched_or(index, idx).reshape(-1)
    if input.ndim == 0:  # its one element, as a new 0-d tensor
        picked = getitem(input.reshape(1), (picks,)).reshape(())
        return named(picked, "IndexSelectBackward0")
    key = (slice(None),) * axis + (picks,)
    return named(guard_indices(getitem(input, key), index), "IndexSelectBackward0")


def masked_select(input: Tensor, mask: Any) -> Tensor:  # noqa: A002
    """The elements where ``mask`` (a bool tensor broadcasting with ``input``) is True, as 1-D."""
    mask = xp.asarray(_value(mask))
    if mask.dtype != bool:
        raise RuntimeError(f"masked_select: expected a bool mask, got {mask.dtype}")
    shell_uints.check_function("masked_select", input.dtype)
    shape = xp.broadcast_shapes(tuple(input.shape), mask.shape) or (1,)  # 0-d: 1 element
    if tuple(input.shape) != shape:
        input = input.expand(shape)
    # input guarded, as PyTorch's node saves it (an indexing by the mask does not)
    return guard_indices(getitem(input, xp.broadcast_to(mask, shape)), input)


def nonzero(input: Tensor, *, as_tuple: bool = False) -> Any:  # noqa: A002
    """The indices of the non-zero elements: an (n, ndim) int64 tensor, or with ``as_tuple``
    one 1-D tensor per dimension (what ``x[...]`` accepts). Indices carry no gradient."""
    if type(as_tuple) is not bool:  # 1 was read as True
        boolean(as_tuple, "nonzero", "as_tuple", None)
    shell_uints.check_function("nonzero", input.dtype)
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
    if type(descending) is not bool or not (type(stable) is bool or stable is None):
        raise _sort_flags("sort", input, dim, descending, stable)
    indices = _sort_indices(input, dim, descending, "sort")
    return return_types.named("sort", _pick(input, dim, indices, "sort"))


def msort(input: Tensor) -> Tensor:  # noqa: A002
    """The values of :func:`sort` along the first dimension.

    >>> import chainrule as cr
    >>> cr.msort(cr.tensor([[3.0, 1.0], [2.0, 4.0]]))
    tensor([[2., 1.],
            [3., 4.]])
    """
    return sort(input, 0).values


def argsort(
    input: Tensor,  # noqa: A002
    dim: int = -1,
    descending: bool = False,
    stable: bool = False,
) -> Tensor:
    """The indices that sort ``input`` along ``dim`` (see :func:`sort`)."""
    if type(descending) is not bool or type(stable) is not bool:  # (None too: not sort's)
        raise _sort_flags("argsort", input, dim, descending, stable)
    return _sort_indices(input, dim, descending, "argsort")


def _sort_flags(op: str, input: Tensor, dim: Any, descending: Any, stable: Any) -> TypeError:  # noqa: A002
    """PyTorch's error for a sort whose flags are no bools (1 was read as True): the call
    fits neither of its signatures. How the arguments were passed cannot be told here: they
    are written as usually passed, ``dim`` by position where it is not the default and the
    flags that are not theirs by keyword."""
    given = (input,) if dim == -1 and type(dim) is int else (input, dim)
    flags = {"descending": descending, "stable": stable}
    return no_overload(op, given, {k: v for k, v in flags.items() if v is not False})


def topk(
    input: Tensor,  # noqa: A002
    k: int,
    dim: int = -1,
    largest: bool = True,
    sorted: bool = True,  # noqa: A002
) -> values_indices:
    """``(values, indices)`` of the ``k`` largest (or smallest) elements along ``dim``."""
    k = integer(k, "topk", "k", 2)  # a bool is refused, as PyTorch's (True was read as 1)
    if type(largest) is not bool or type(sorted) is not bool:  # (an int was read as a bool)
        boolean(largest, "topk", "largest", None)
        boolean(sorted, "topk", "sorted", None)
    shell_uints.check_function("topk", input.dtype)
    if input.dtype.kind == "b":
        raise RuntimeError("topk does not support bool dtypes on CPU")
    (axis,) = normalize_dims(dim, input.ndim, "topk") or (0,)
    size = input.shape[axis] if input.ndim else 1
    if not 0 <= k <= size:
        raise RuntimeError(f"topk: k={k} is out of range for dimension {axis} of size {size}")
    if input.ndim == 0:
        indices = _make(xp.zeros((), dtype=xp.int64))
    else:
        indices = TopkOrder(axis, k, largest, sorted)(input)
    return return_types.named("topk", _pick(input, dim, indices, "topk"))


class TopkOrder(Constant):
    """The indices of ``topk``'s ``k`` elements along ``dim``, as PyTorch's CPU kernel returns
    them: libstdc++'s partial_sort (``k * 64 <= n``) or nth_element, then sort if ``sorted``.
    Where their order is sorted and the first ``k + 1`` sorted values have no ties, those are
    the stable sort's first ``k`` (:class:`SortOrder`, of a partition's first ``k + 1`` where
    that is cheaper); the other lines (ties, whose order the swaps decide, or nth_element's
    unsorted order) run :func:`stl_select.topk_indices`.

        >>> import chainrule as cr
        >>> cr.tensor([1.0, 1.0, 1.0, 0.0, 1.0]).topk(2).indices
        tensor([2, 4])
    """

    notation = "argsort(x)[:k]"
    derivatives = ("-",)
    batch_rule = staticmethod(batching.along_dim)

    def __init__(self, dim: int, k: int, largest: bool, sorted: bool) -> None:  # noqa: A002
        self.dim = dim
        self.k = k
        self.largest = largest
        self.sorted = sorted

    def forward(self, x):
        # the dim last (swapaxes: a view, its own inverse), lines along it
        k, largest, lines = self.k, self.largest, x.swapaxes(self.dim, -1)
        n = lines.shape[-1]
        # the stable order's first k + 1, through a partition where it is cheaper than a sort
        # (measured: for k up to n / 8, and a thousand elements to pay for its extra steps)
        if 0 < 8 * k <= n and x.size > 1000:
            near = xp.argpartition(lines, n - k - 1 if largest else k, -1)  # NaN largest
            near = xp.sort(near[..., n - k - 1 :] if largest else near[..., : k + 1], -1)
            by_value = SortOrder(-1, largest).forward(xp.take_along_axis(lines, near, -1))
            order = xp.take_along_axis(near, by_value, -1)
        else:
            order = SortOrder(-1, largest).forward(lines)[..., : k + 1]
        top = order[..., :k]
        if k * 64 > n and not self.sorted:
            swapped = xp.ones(top.shape[:-1], bool)  # nth_element's order is its own
        else:  # the same as the stable order unless two of the first k + 1 values tie
            head = xp.take_along_axis(lines, order, -1)
            swapped = (head[..., 1:] == head[..., :-1]).any(-1)
            if head.shape[-1] > 1 and x.dtype.kind == "f":  # two NaNs: the first or last two
                swapped |= xp.isnan(head[..., 1 if largest else -2])
        if swapped.any():
            picked = lines[swapped]
            order = SortOrder(-1, largest).forward(picked)
            ordered = xp.take_along_axis(picked, order, -1)
            # a key for each element: its place among the distinct values, first by topk's order
            steps = ~_tied(ordered[:, 1:], ordered[:, :-1])
            ranks = xp.concatenate([xp.zeros_like(order[:, :1]), xp.cumsum(steps, 1)], 1)
            keys = xp.empty_like(order)
            xp.put_along_axis(keys, order, ranks, -1)
            top[swapped] = [stl_select.topk_indices(line, k, self.sorted) for line in keys.tolist()]
        # row-major, as PyTorch's topk returns them (top is a slice, swapped back: a view
        # that view(-1) would refuse)
        return xp.ascontiguousarray(top.swapaxes(self.dim, -1))


def _tied(a: Any, b: Any) -> Any:
    """Where ``a`` and ``b`` are equal for PyTorch's topk: equal (-0.0 and 0.0 too), or both NaN."""
    return (a == b) | ((a != a) & (b != b))


def _sort_indices(input: Tensor, dim: int, descending: bool, op: str) -> Tensor:  # noqa: A002
    """The indices that sort ``input`` along ``dim`` (a tensor; see :class:`SortOrder`)."""
    (axis,) = normalize_dims(dim, input.ndim, op) or (0,)
    if input.ndim == 0:
        return _make(xp.zeros((), dtype=xp.int64))
    return SortOrder(axis, descending)(input)


class SortOrder(Constant):
    """The indices that stably sort ``x`` along ``dim`` (NaN counts as largest); descending
    keeps ties in their order and puts NaN first, as PyTorch's. No gradient; an op of its own
    so that vmap sorts the whole batch at once (its dim moves past the batch axis)."""

    notation = "argsort(x)"
    derivatives = ("-",)
    batch_rule = staticmethod(batching.along_dim)

    def __init__(self, dim: int, descending: bool) -> None:
        self.dim = dim
        self.descending = descending

    def forward(self, x):
        if not self.descending:
            order = xp.argsort(x, axis=self.dim, kind="stable")
        else:  # sort the reversed array and reverse the result: ties keep their order
            flipped = xp.argsort(xp.flip(x, self.dim), axis=self.dim, kind="stable")
            order = x.shape[self.dim] - 1 - xp.flip(flipped, self.dim)
        return memory_formats.like_input(order, x)  # in x's layout, as PyTorch's


class Sorted(MaxAlong):
    """``x`` taken at ``indices`` along ``dim`` (from :class:`SortOrder`, all of them for
    ``sort``, the first k for ``topk``): the gradient of each value goes back to the place it
    came from. :class:`MaxAlong`'s rules, with the sorted dimension kept.

        >>> import chainrule as cr
        >>> x = cr.tensor([3.0, 1.0, 2.0], requires_grad=True)
        >>> x.sort().values.backward(cr.tensor([1.0, 2.0, 3.0]))
        >>> x.grad
        tensor([3., 1., 2.])
    """

    notation = "x[argsort(x)] along dim"
    derivatives = ("1 at each value's place before sorting", "-")

    def __init__(self, dim: int) -> None:
        super().__init__(dim, keepdim=True)

    def forward(self, x, indices):
        # all of x sorted (not topk's first k) is laid out as x, as PyTorch's
        return memory_formats.like_input(super().forward(x, indices), x)


def _pick(input: Tensor, dim: int, indices: Tensor, op: str) -> values_indices:  # noqa: A002
    if input.ndim == 0:
        return values_indices(input.clone(), indices)
    (axis,) = normalize_dims(dim, input.ndim, op)
    # PyTorch's node for the values: SortBackward0, TopkBackward0
    values = named(Sorted(axis)(input, indices), f"{op.capitalize()}Backward0")
    return values_indices(values, indices)


def _index_array(index: Any, op: str) -> tuple[Any, tuple[int, ...]]:
    """:func:`_index_and_shape` of an index that must hold integers."""
    array, shape = _index_and_shape(index)
    if array.dtype.kind not in "iu":
        raise RuntimeError(f"{op}: expected an integer index tensor, got {array.dtype}")
    return array, shape


# ------------------------------------------------ filling, scattering and copying along a dim
class Scatter(Linear):
    """``x`` with ``src``'s values written at ``index`` along ``dim`` (PyTorch's ``scatter``);
    where an index repeats, the last write wins, as on PyTorch's CPU. ``src`` has the index's
    shape (the public functions crop a larger one)."""

    torch_name = "ScatterBackward0"
    notation = "x with x[index] = src along dim"
    # PyTorch's node takes (x, src); scatter of a number (ScatterBackward1) x alone
    hook_inputs = Picked(lambda node: (0,) if node.name() == "ScatterBackward1" else (0, 1))
    derivatives = ("1 outside the written positions, 0 at them", "1 at each source's target")
    batch_rule = staticmethod(batching.scatter_add)  # the same shape of op as ScatterAdd's
    saves_inputs = False

    def __init__(self, dim: int, index: Any) -> None:
        self.dim = dim
        self.index = index

    def forward(self, x, src):
        out = x.copy()
        out[dual._along_axis_index(self.index, self.dim)] = src
        return out

    def vjp(self, g, out, x, src):
        gx = None
        if self.needs[0]:
            written = xp.zeros(tuple(g.shape), dtype=bool)
            written[dual._along_axis_index(self.index, self.dim)] = True
            gx = dual.where(written, dual.zeros_like(g), g)
        gsrc = None
        if self.needs[1]:
            gsrc = dual.gather_along(_crop(g, self.index, self.dim), self.index, self.dim)
        return (gx, gsrc)


def scatter(
    input: Tensor,  # noqa: A002
    dim: int,
    index: Tensor,
    src: Any = None,
    *,
    value: Any = None,
    reduce: str | None = None,
) -> Tensor:
    """A copy of ``input`` with ``src[i][j]`` written at ``[i][index[i][j]]`` (here dim=1),
    or the number ``value`` there (given as ``src`` or by keyword); with ``reduce`` ("add" or
    "multiply") added or multiplied in instead (``scatter_reduce``'s sum or product). The
    gradient of the written positions goes to ``src``, the rest to ``input``.

    >>> import chainrule as cr
    >>> cr.zeros(2, 3).scatter(1, cr.tensor([[2], [0]]), 1.0)
    tensor([[0., 0., 1.],
            [1., 0., 0.]])
    """
    if src is None:
        src = value
    written = "scatter" if isinstance(src, Tensor) else "scatter_value"
    shell_uints.check_function(written, input.dtype)
    if reduce is not None:
        from chainrule.ops.index_writes import scatter_reducing  # (it imports this module)

        return scatter_reducing(input, dim, index, src, reduce)
    if not input.ndim:  # as a tensor of one element
        return scatter(input.reshape(1), dim, _one_element(index), _one_element(src)).reshape(())
    if isinstance(src, Tensor):
        axis, idx, src = _scatter_operands(input, dim, index, src, "scatter")
        return along(Scatter, axis, idx, input, src, held=index)
    axis, idx, _ = _scatter_operands(input, dim, index, None, "scatter")
    values = _make(xp.full(tuple(idx.shape), _scalar_of(src, input.dtype.dtype)))
    return named(along(Scatter, axis, idx, input, values, held=index), "ScatterBackward1")


def _scatter_operands(
    input: Tensor,  # noqa: A002
    dim: int,
    index: Any,
    src: Tensor | None,
    op: str,
) -> tuple[int, Any, Tensor | None]:
    """The axis, index array and ``src`` (cropped to the index's shape) of ``scatter`` or
    ``scatter_add``, under PyTorch's checks in its order and words."""
    (axis,) = normalize_dims(dim, input.ndim, op)
    idx, shape = _index_and_shape(index)
    if idx.dtype not in _INDEX_TYPES:
        raise RuntimeError("scatter(): Expected dtype int32/int64 for index")
    if src is not None and src.dtype != input.dtype:  # (the public dtype: vmap's too)
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    if len(shape) != input.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    if idx.size and src is not None:
        if src.ndim:  # PyTorch reads src's size in each of the index's dimensions first
            for d in range(len(shape)):
                wrap_dim(d, src.ndim)
        if max(src.ndim, 1) != max(len(shape), 1):
            raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    if idx.size:
        outside = any(
            n > m for d, (n, m) in enumerate(zip(shape, input.shape, strict=True)) if d != axis
        )
        if src is None and outside:
            raise RuntimeError(
                f"Expected index {list(shape)} to be no larger than self "
                f"{list(input.shape)} apart from dimension {axis}"
            )
        if src is not None and (
            outside or any(n > m for n, m in zip(shape, src.shape or (1,), strict=True))
        ):
            raise RuntimeError(
                f"Expected index {list(shape)} to be no larger than self "
                f"{list(input.shape)} apart from dimension {axis} and to be no larger size than "
                f"src {list(src.shape)}"
            )
    _check_range(idx, input.shape[axis] if input.ndim else 1, axis)
    if src is not None and tuple(src.shape) != shape:
        if idx.size:
            src = getitem(src, tuple(slice(0, n) for n in shape))
        else:  # PyTorch writes nothing, whatever the shape of src: its part is empty
            src = src.reshape(-1)[:0].reshape(shape)
    return axis, _batched_or(index, idx), src


def _index_and_shape(index: Any) -> tuple[Any, tuple[int, ...]]:
    """The integers of ``index`` (a tensor, or a sequence) and its shape; for a tensor that
    vmap batches, every example's (for checks of their values) and one example's shape."""
    if type(index) is batching.BatchedTensor:
        return batching.physical(index), tuple(index.shape)
    idx = xp.asarray(_value(index))
    return idx, idx.shape


def masked_fill(input: Tensor, mask: Tensor, value: Any) -> Tensor:  # noqa: A002
    """``input`` with ``value`` (a number, or a 0-d tensor that gets the gradient of the
    filled places) where the bool ``mask`` (broadcast) is True; the dtype stays ``input``'s.

    >>> import chainrule as cr
    >>> cr.masked_fill(cr.tensor([1, 2, 3]), cr.tensor([True, False, True]), 0.5)
    tensor([0, 2, 0])
    """
    if not isinstance(mask, Tensor):
        raise invalid_combination((input, mask, value), "masked_fill", _MASKED_FILL)
    shell_uints.check_function("masked_fill", input.dtype)
    # the dtype, not the values (``_data``): under vmap a batched mask has no array to read
    if (dtype := mask.dtype.dtype).kind != "b":
        raise RuntimeError(
            "masked_fill_ only supports boolean masks, but got mask with dtype "
            f"{_TORCH_DTYPE_NAMES[dtype.name][0]}"
        )
    name = "MaskedFillBackward1" if isinstance(value, Tensor) else "MaskedFillBackward0"
    return named(_fill_where(input, mask, value, "masked_fill_"), name)


# PyTorch's signatures of masked_fill, which it lists when a call fits none.
_MASKED_FILL = (
    Signature("(Tensor input, Tensor mask, Tensor value)", 3, 3),
    Signature("(Tensor input, Tensor mask, Number value)", 3, 3),
)


def _fill_where(input: Tensor, mask: Any, value: Any, op: str) -> Tensor:  # noqa: A002
    """``where(mask, value, input)`` with ``value`` cast to ``input``'s dtype: the filling of
    ``masked_fill`` and ``index_fill``."""
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(
                f"{op} only supports a 0-dimensional value tensor, but got tensor with "
                f"{value.ndim} dimension(s)."
            )
        value = value.to(input.dtype)
    else:
        value = _make(_scalar_of(value, input.dtype.dtype))
    return where(mask, value, input)


def _scalar_of(value: Any, dtype: Any) -> Any:
    """The number ``value`` as a 0-d array of ``dtype``, refused where it does not fit as
    PyTorch refuses it (NumPy would wrap it round or make it the integer's smallest)."""
    return xp.asarray(dtypes.checked_scalar(value, dtype)).astype(dtype)


# The ops that add (or reduce) slices into slices: their checks and words are index_add_'s.
_ADDING = ("index_add_", "index_reduce_")


def _slices_operands(
    input: Tensor,  # noqa: A002
    dim: int,
    index: Any,
    op: str,
) -> tuple[int, Any]:
    """The axis and the 1-d index array of ``index_add``, ``index_copy`` or ``index_fill``,
    the index's dtype and dimensions checked in ``op``'s words; an index that vmap batches
    stays a tensor, batched as it is (see :func:`_batched_or`)."""
    (axis,) = normalize_dims(dim, input.ndim, op) or (0,)
    idx, shape = _index_and_shape(index)
    if op in _ADDING:
        if idx.dtype not in _INDEX_TYPES:
            raise RuntimeError(
                f"{op}(): Expected dtype int32/int64 for index but got: "
                f"{_TORCH_DTYPE_NAMES[idx.dtype.name][1]}"
            )
        if len(shape) > 1:
            raise IndexError(
                f"{op}(): Index is supposed to be a vector, but got dim: "
                f"{len(shape)} with type: {_TORCH_DTYPE_NAMES[idx.dtype.name][1]} and size: "
                f"{list(shape)}"
            )
    elif op == "index_copy_":
        if len(shape) > 1:
            raise IndexError(
                f"index_copy_(): Index should have dimension 1 or 0 (got {len(shape)})"
            )
        if idx.dtype != xp.int64:
            raise RuntimeError(
                "index_copy_(): Expected a long tensor for index, but got "
                f"{_TORCH_DTYPE_NAMES[idx.dtype.name][1]}"
            )
    else:
        if idx.dtype != xp.int64:
            raise IndexError("index_fill_(): Expected dtype int64 for index.")
        if len(shape) > 1:
            raise RuntimeError("Index has to be a vector/scalar")
    return axis, _batched_or(index, idx).reshape(-1)


def _source_along(
    input: Tensor,  # noqa: A002
    axis: int,
    idx: Any,
    source: Tensor,
    op: str,
) -> Any:
    """``index_add``'s or ``index_copy``'s source checked against ``input`` (PyTorch's
    words), and the index of each of its elements along ``axis``: the slices' targets as
    ``scatter`` takes them."""
    if source.dtype != input.dtype:  # (the public dtype: vmap's too)
        a, b = (_TORCH_DTYPE_NAMES[t.dtype.name][1] for t in (input, source))
        raise RuntimeError(
            f"{op}(): self ({a}) and source ({b}) must have the same scalar type"
            if op in _ADDING
            else f"index_copy_(): self and source expected to have the same dtype, but got "
            f"(self) {a} and (source) {b}"
        )
    shape, have = tuple(input.shape), tuple(source.shape)
    if op in _ADDING and len(have) <= axis:
        raise RuntimeError(
            f"{op}(): Indexing dim {axis} is out of bounds of the source tensor with dim "
            f"{source.ndim}"
        )
    if op == "index_copy_" and len(have) != len(shape) and have:  # (0-d: slices compared)
        raise IndexError(
            "index_copy_(): When source and destination are not scalars, their dimensionality "
            f"must match. Source dimensionality ({len(have)}), destination dimensionality "
            f"({len(shape)})"
        )
    if len(have) != len(shape) or any(
        n != m for d, (n, m) in enumerate(zip(have, shape, strict=True)) if d != axis
    ):
        if op in _ADDING:
            raise RuntimeError(
                "source tensor shape must match self tensor shape, excluding the specified "
                f"dimension. Got self.shape = {list(input.shape)} source.shape = "
                f"{list(source.shape)}"
            )
        mine, its = (" ".join(str(n) for d, n in enumerate(s) if d != axis) for s in (shape, have))
        raise RuntimeError(
            "index_copy_(): Source/destination tensor must have same slice shapes. Destination "
            f"slice shape: {mine} at dimension {axis} and source slice shape: {its} at dimension 0."
        )
    idx, levels = _examples(idx)
    count = idx.shape[-1]
    if have[axis] != count:
        raise (RuntimeError if op in _ADDING else IndexError)(
            f"{op}(): Number of indices ({count}) should be equal to source.size(dim): "
            f"({have[axis]}), for dim: {axis}"
            if op in _ADDING
            else f"{op}(): Number of indices ({count}) should be equal to source.size(dim) "
            f"({have[axis]})"
        )
    size = shape[axis]
    if idx.size and (idx.min() < 0 or idx.max() >= size):
        bad = idx[(idx < 0) | (idx >= size)][0]
        if op == "index_reduce_":
            raise IndexError("index out of range in self")
        words = f"index {bad} is out of bounds for dimension {axis} with size {size}"
        if op in _ADDING:
            raise RuntimeError(words)
        raise IndexError(f"{op}(): {words}")
    lead = idx.shape[:-1]  # under vmap, the levels' dims, then one example's
    along_axis = (*lead, *(1,) * axis, -1, *(1,) * (len(shape) - axis - 1))
    targets = xp.broadcast_to(idx.reshape(along_axis), lead + have)
    return batching.wrap(_make(targets), levels) if levels else targets


def _examples(index: Any) -> tuple[Any, list[Any]]:
    """The array of ``index`` (an array, or a tensor that vmap batches: every example's) and
    the vmap levels its leading dims are."""
    if type(index) is batching.BatchedTensor:
        return batching.array_and_levels(index)
    return index, []


def index_add(
    input: Tensor,  # noqa: A002
    dim: int,
    index: Tensor,
    source: Tensor,
    *,
    alpha: Any = 1,
) -> Tensor:
    """A copy of ``input`` with ``alpha * source``'s slices along ``dim`` added to the slices
    at ``index`` (repeats add up, in order).

    >>> import chainrule as cr
    >>> cr.index_add(cr.zeros(3), 0, cr.tensor([0, 2, 0]), cr.tensor([1.0, 2.0, 3.0]))
    tensor([4., 0., 2.])
    """
    axis, idx = _slices_operands(input, dim, index, "index_add_")
    if not input.ndim:  # as a tensor of one element, given a source of none
        if isinstance(source, Tensor) and source.ndim:
            raise RuntimeError(
                "source tensor shape must match self tensor shape, excluding the specified "
                f"dimension. Got self.shape = [] source.shape = {list(source.shape)}"
            )
        return index_add(input.reshape(1), 0, index, _one_element(source), alpha=alpha).reshape(())
    targets = _source_along(input, axis, idx, source, "index_add_")
    if alpha != 1:
        if isinstance(alpha, float) and source.dtype == dtypes.float16:
            alpha = float(xp.float16(alpha))  # PyTorch's kernel holds it as a float16 scalar
        source = source * alpha
    return named(along(ScatterAdd, axis, targets, input, source, held=index), "IndexAddBackward0")


def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:  # noqa: A002
    """A copy of ``input`` whose slices along ``dim`` at ``index`` are ``source``'s.

    >>> import chainrule as cr
    >>> cr.index_copy(cr.zeros(2, 3), 1, cr.tensor([2, 0]), cr.ones(2, 2))
    tensor([[1., 0., 1.],
            [1., 0., 1.]])
    """
    shell_uints.check_function("index_copy", input.dtype)
    axis, idx = _slices_operands(input, dim, index, "index_copy_")
    if not input.ndim:  # as a tensor of one element
        return index_copy(input.reshape(1), 0, index, _one_element(source)).reshape(())
    if input.ndim == 1 and isinstance(source, Tensor) and not source.ndim:
        # one slice of no dims, as a 1-d tensor's are
        if index.numel() != 1:
            raise IndexError(
                "index_copy_(): When source is scalar, index should have one element (got "
                f"{index.numel()})"
            )
        source = source.reshape(1)
    targets = _source_along(input, axis, idx, source, "index_copy_")
    return named(along(Scatter, axis, targets, input, source, held=index), "IndexCopyBackward0")


def _one_element(source: Any) -> Any:
    """A 0-d ``source`` as 1-d, for the slices of a 0-d tensor (one element)."""
    return source.reshape(1) if isinstance(source, Tensor) and not source.ndim else source


def index_fill(input: Tensor, dim: int, index: Tensor, value: Any) -> Tensor:  # noqa: A002
    """A copy of ``input`` with ``value`` (a number or a 0-d tensor) in its slices along
    ``dim`` at ``index`` (negative indices count from the end).

    >>> import chainrule as cr
    >>> cr.index_fill(cr.zeros(2, 3), 1, cr.tensor([2, -3]), 7.0)
    tensor([[7., 0., 7.],
            [7., 0., 7.]])
    """
    shell_uints.check_function("index_fill", input.dtype)
    axis, idx = _slices_operands(input, dim, index, "index_fill_")
    idx, levels = _examples(idx)
    size = input.shape[axis] if input.ndim else 1
    if idx.size and (idx.min() < -size or idx.max() >= size):
        bad = idx[(idx < -size) | (idx >= size)][0]
        raise IndexError(f"index {bad} is out of bounds for dimension {axis} with size {size}")
    lead = idx.shape[:-1]  # under vmap, the levels' dims: each example's own mask
    mask = xp.zeros((*lead, size), dtype=bool)
    xp.put_along_axis(mask, idx % max(size, 1), True, -1)
    mask = mask.reshape(lead + tuple(size if d == axis else 1 for d in range(input.ndim)))
    name = "IndexFillBackward1" if isinstance(value, Tensor) else "IndexFillBackward0"
    return named(_fill_where(input, batching.wrap(_make(mask), levels), value, "index_fill_"), name)


def take(input: Tensor, index: Tensor) -> Tensor:  # noqa: A002
    """The elements of the flattened ``input`` at ``index`` (negatives count from the end),
    in the index's shape.

    >>> import chainrule as cr
    >>> cr.take(cr.tensor([[1.0, 2.0], [3.0, 4.0]]), cr.tensor([[0, -1]]))
    tensor([[1., 4.]])
    """
    if not isinstance(index, Tensor):
        raise mistyped("take", "index", 2, "Tensor", index)
    idx, _ = _index_and_shape(index)  # under vmap, every example's
    if idx.dtype != xp.int64:
        raise RuntimeError(
            "take(): Expected a long tensor for index, but got "
            f"{_TORCH_DTYPE_NAMES[idx.dtype.name][1]}"
        )
    shell_uints.check_function("take", input.dtype)
    n = input.numel()
    if idx.size:
        if not n:
            raise IndexError("take(): tried to take from an empty tensor")
        if idx.min() < -n or idx.max() >= n:
            bad = idx[(idx < -n) | (idx >= n)].flat[0]
            raise IndexError(
                f"out of range: tried to access index {bad} on a tensor of {n} elements."
            )
    flat = input.reshape(-1)
    if type(index) is batching.BatchedTensor:
        return named(batching.index_by_batched(flat, (index,)), "TakeBackward0")
    return named(guard_indices(GetItem((idx,), False)(flat), index), "TakeBackward0")


def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:  # noqa: A002
    """``gather`` along ``dim`` with ``input`` and ``indices`` broadcast to each other outside
    it (negative indices count from the end); with no ``dim``, along the flattened tensors.

    >>> import chainrule as cr
    >>> x = cr.tensor([[10.0, 30.0, 20.0], [60.0, 40.0, 50.0]])
    >>> cr.take_along_dim(x, x.argmax(1, keepdim=True), 1)
    tensor([[30.],
            [60.]])
    """
    if not isinstance(indices, Tensor):
        raise mistyped("take_along_dim", "indices", 2, "Tensor", indices)
    idx, levels = batching.array_and_levels(indices)  # under vmap, every example's
    lead = idx.shape[: len(levels)]
    if idx.dtype != xp.int64:
        raise RuntimeError(
            "chainrule.take_along_dim(): dtype of indices should be Long but got "
            f"{_TORCH_DTYPE_NAMES[idx.dtype.name][1]}"
        )
    if dim is None:
        input, idx, dim = input.reshape(-1), idx.reshape((*lead, -1)), 0
        if idx.size and idx.min() < 0:  # PyTorch gathers from the flattened input as they are
            raise RuntimeError(
                f"index {idx[idx < 0][0]} is out of bounds for dimension 0 with size "
                f"{input.shape[0]}"
            )
    elif input.ndim != idx.ndim - len(lead):
        raise RuntimeError(
            "chainrule.take_along_dim(): input and indices should have the same number of "
            f"dimensions, but got {input.ndim} dimensions for input, and {idx.ndim - len(lead)} "
            "dimensions for indices"
        )
    if not input.ndim:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    (axis,) = normalize_dims(dim, input.ndim, "take_along_dim")
    size = input.shape[axis] if input.ndim else 1
    idx = xp.where(idx < 0, idx + size, idx)
    have, want = list(input.shape), list(idx.shape[len(lead) :])
    have[axis] = want[axis] = 1
    common = list(broadcast_shape(tuple(have), tuple(want)))
    common[axis] = size
    if list(input.shape) != common:
        input = input.expand(common)
    common[axis] = idx.shape[len(lead) + axis]
    picks = batching.wrap(_make(xp.broadcast_to(idx, (*lead, *common))), levels)
    return gather(input, axis, picks)


# ------------------------------------------------------------------------- in place
# Each is its function's result written into ``t`` (inplace.apply: the version counter, the
# checks of autograd and the history of views, as every in-place op). A tensor operand is
# passed on to apply, which records it and refuses one that overlaps ``t``.
def masked_fill_(t: Tensor, mask: Tensor, value: Any) -> Tensor:
    """``masked_fill`` in place: ``mask`` must broadcast to ``t``'s shape."""
    if open_transforms.here.vmap and type(mask) is batching.BatchedTensor:
        # an operand of apply, so that vmap refuses a batched mask for an unbatched t in
        # PyTorch's words
        return inplace.apply(t, lambda old, m, v: masked_fill(old, m, v), mask, value)
    return _filled(t, lambda old, v: masked_fill(old, mask, v), value)


def index_fill_(t: Tensor, dim: int, index: Tensor, value: Any) -> Tensor:
    """``index_fill`` in place."""
    return _filled(t, lambda old, v: index_fill(old, dim, index, v), value)


def _filled(t: Tensor, fill: Any, value: Any) -> Tensor:
    """``fill(t, value)`` written into ``t``; a 0-d tensor ``value`` (which may be one of
    ``t``'s elements, as PyTorch allows) is read before the write."""
    if isinstance(value, Tensor):
        return inplace.apply(t, fill, value, reads_first=True)
    return inplace.apply(t, lambda old: fill(old, value))


def scatter_(
    t: Tensor,
    dim: int,
    index: Tensor,
    src: Any = None,
    *,
    value: Any = None,
    reduce: str | None = None,
) -> Tensor:
    """``scatter`` in place."""
    if src is None:
        src = value
    if isinstance(src, Tensor):
        return inplace.apply(
            t, lambda old, s: scatter(old, dim, index, s, reduce=reduce), src, distinct=True
        )
    return inplace.apply(t, lambda old: scatter(old, dim, index, src, reduce=reduce))


def scatter_add_(t: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """``scatter_add`` in place."""
    return inplace.apply(t, lambda old, s: scatter_add(old, dim, index, s), src, distinct=True)


def index_add_(t: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha: Any = 1) -> Tensor:
    """``index_add`` in place."""
    add = lambda old, s: index_add(old, dim, index, s, alpha=alpha)  # noqa: E731
    return inplace.apply(t, add, source, distinct=True)


def index_copy_(t: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """``index_copy`` in place."""
    return inplace.apply(t, lambda old, s: index_copy(old, dim, index, s), source, distinct=True)
