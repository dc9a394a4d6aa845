"""Shape ops: they move values around without changing them.

Their vjp moves the gradient back the same way: a reshape's gradient is reshaped back, a
permutation's is permuted by the inverse, a concatenation's is split, an expansion's is summed
over the expanded axes (a value used many times gets the sum of its gradients).

    >>> import chainrule as cr
    >>> x = cr.arange(6.0, requires_grad=True)
    >>> (x.reshape(2, 3) * cr.tensor([1.0, 2.0, 3.0])).sum().backward()
    >>> x.grad
    tensor([1., 2., 3., 1., 2., 3.])
"""

from __future__ import annotations

import itertools
import math
import operator
from collections.abc import Sequence
from typing import Any

from chainrule import arguments, dtypes, memory_formats
from chainrule._array import xp
from chainrule._lazy import import_later
from chainrule.arguments import (
    OMITTED,
    Signature,
    distinct_dims,
    int_list,
    integer,
    invalid_combination,
    is_index,
    type_name,
    wrap_dim,
)
from chainrule.autodiff import batching
from chainrule.dtypes import _TORCH_DTYPE_NAMES
from chainrule.op import Linear, Op, named
from chainrule.ops import dual, views
from chainrule.ops.broadcast import broadcast_shape, unbroadcast
from chainrule.tensor import Size, Tensor, _make

indexing = import_later(globals(), "chainrule.ops.indexing")  # (which imports this module)


class Reshape(Linear):
    torch_name = "ViewBackward0"
    notation = "reshape(x)"
    derivatives = ("1 (the gradient is reshaped back)",)
    batch_rule = staticmethod(batching.reshape)
    saves_inputs = False
    is_view = True

    def __init__(self, shape: tuple[int, ...], strict: bool = False) -> None:
        self.shape = shape
        self.strict = strict  # ``view``: refuse what would need a copy, as PyTorch does

    def forward(self, x):
        out = x.reshape(self.shape)
        if self.strict and out.size > 1 and not xp.may_share_memory(out, x):
            raise RuntimeError(
                "view size is not compatible with input tensor's size and stride (at least one "
                "dimension spans across two contiguous subspaces). Use .reshape(...) instead."
            )
        return out

    def vjp(self, g, out, x):
        return (g.reshape(tuple(x.shape)),)

    def fresh(self) -> Reshape:
        # A tangent (``jvp``) need not share the value's memory layout: never strict.
        return Reshape(self.shape)


class Permute(Linear):
    notation = "permute(x)"
    derivatives = ("1 (the gradient is permuted back)",)
    batch_rule = staticmethod(batching.permute)
    saves_inputs = False
    is_view = True

    def __init__(self, dims: tuple[int, ...]) -> None:
        self.dims = dims

    def forward(self, x):
        return x.transpose(self.dims)

    def vjp(self, g, out, x):
        inverse = tuple(sorted(range(len(self.dims)), key=self.dims.__getitem__))
        return (dual.permute(g, inverse),)


class Expand(Linear):
    notation = "expand(x)"
    derivatives = ("1 per copy (copies are summed)",)
    batch_rule = staticmethod(batching.expand)
    saves_inputs = False
    is_view = True

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape

    def forward(self, x):
        return xp.broadcast_to(x, self.shape)

    def vjp(self, g, out, x):
        return (unbroadcast(g, tuple(x.shape)),)


class Repeat(Linear):
    notation = "repeat(x)"
    derivatives = ("1 per copy (copies are summed)",)
    batch_rule = staticmethod(batching.repeat)
    saves_inputs = False

    def __init__(self, repeats: tuple[int, ...]) -> None:
        self.repeats = repeats

    def forward(self, x):
        return xp.tile(x, self.repeats)

    def vjp(self, g, out, x):
        shape = (1,) * (len(self.repeats) - x.ndim) + tuple(x.shape)
        # View each output axis as (copies, size) and sum the copies away.
        split = []
        for r, n in zip(self.repeats, shape, strict=True):
            split += [r, n]
        summed = dual.sum(g.reshape(tuple(split)), tuple(range(0, len(split), 2)))
        return (summed.reshape(tuple(x.shape)),)


class Cat(Linear):
    notation = "cat(x1, x2, ...)"
    derivatives = ("1 on each input's own slice",)
    batch_rule = staticmethod(batching.cat)
    saves_inputs = False

    def __init__(self, dim: int, skip: tuple[int, ...] = ()) -> None:
        self.dim = dim
        self.skip = skip  # the inputs PyTorch leaves out: 1-d tensors of no elements (``cat``)

    def forward(self, *xs):
        dtype = first = xs[0].dtype
        for x in xs:
            if x.dtype is not first:  # PyTorch's promotion: a float's dtype over any int's
                floats = [x.dtype for x in xs if x.dtype.kind == "f"]
                dtype = xp.result_type(*(floats or xs))
                break
        kept = self._kept(xs)
        if all(x.flags.c_contiguous for x in kept) or memory_formats.keeps_layout(*xs):
            return xp.concatenate(kept, axis=self.dim, dtype=dtype)
        # row-major, as PyTorch's result (NumPy's would follow transposed inputs' order)
        shape = list(kept[0].shape)
        shape[self.dim] = sum(x.shape[self.dim] for x in kept)
        return xp.concatenate(kept, axis=self.dim, out=xp.empty(shape, dtype))

    def _kept(self, xs: tuple[Any, ...]) -> Any:
        return [x for i, x in enumerate(xs) if i not in self.skip] if self.skip else xs

    def vjp(self, g, out, *xs):
        grads = []
        start = 0
        lead = (slice(None),) * self.dim
        for i, (x, need) in enumerate(zip(xs, self.needs, strict=True)):
            if i in self.skip:  # no elements, and none of the output's
                grads.append(dual.zeros_like(x) if need else None)
                continue
            size = x.shape[self.dim] if hasattr(x, "shape") and len(x.shape) else 1
            grads.append(g[lead + (slice(start, start + size),)] if need else None)
            start += size
        return tuple(grads)


class Flip(Linear):
    notation = "flip(x)"
    derivatives = ("1 (the gradient is flipped back)",)
    batch_rule = staticmethod(batching.flip)
    saves_inputs = False

    def __init__(self, dims: tuple[int, ...]) -> None:
        self.dims = dims

    def forward(self, x):
        # a copy (NumPy's flip is a view), in x's layout as PyTorch's
        return memory_formats.like_input(xp.flip(x, self.dims).copy(), x)

    def vjp(self, g, out, x):
        return (dual.flip(g, self.dims),)


class Roll(Linear):
    notation = "roll(x)"
    derivatives = ("1 (the gradient is rolled back)",)
    batch_rule = staticmethod(batching.roll)
    saves_inputs = False

    def __init__(self, shifts: Any, dims: Any) -> None:
        self.shifts = shifts
        self.dims = dims

    def forward(self, x):
        # row-major, as PyTorch's (NumPy's keeps x's layout)
        return xp.asarray(xp.roll(x, self.shifts, self.dims), order="C")

    def vjp(self, g, out, x):
        back = tuple(-s for s in self.shifts) if isinstance(self.shifts, tuple) else -self.shifts
        return (dual.roll(g, back, self.dims),)


class Pad(Op):
    torch_name = "ConstantPadNdBackward0"
    notation = "pad(x)"
    derivatives = ("1 inside, the padding gets nothing back",)
    batch_rule = staticmethod(batching.pad)
    saves_inputs = False

    def __init__(self, widths: tuple[tuple[int, int], ...], value: float) -> None:
        self.widths = widths
        self.value = value

    def forward(self, x):
        return xp.pad(x, self.widths, constant_values=self.value)

    def vjp(self, g, out, x):
        inner = tuple(slice(lo, n - hi) for (lo, hi), n in zip(self.widths, g.shape, strict=True))
        return (g[inner],)

    def jvp(self, tangents, out, x):
        # Affine, not linear (the padding is ``value``): the tangent is padded with zeros.
        return dual.pad(tangents[0], self.widths)


# ------------------------------------------------------------------------- public functions
def reshape(input: Tensor, shape: Sequence[int]) -> Tensor:  # noqa: A002
    """The same values in a new shape; one size may be -1 (``Tensor.reshape`` also takes the
    sizes one by one).

    >>> import chainrule as cr
    >>> cr.reshape(cr.arange(6), (3, -1)).shape
    chainrule.Size([3, 2])
    """
    size = int_list((shape,), "reshape", "shape", position=2, varargs=False)
    return Reshape(_inferred_shape(size, tuple(input.shape), "reshape"))(input)


def view(input: Tensor, size: Sequence[int]) -> Tensor:  # noqa: A002
    """The same memory in a new shape, as PyTorch's ``view``: where that needs a copy (the
    strides cannot express it), an error, not a silent copy that in-place changes miss.
    ``size``: the sizes ``Tensor.view`` read."""
    return Reshape(_inferred_shape(tuple(size), tuple(input.shape), "view"), strict=True)(input)


def view_dtype(input: Tensor, dtype: Any) -> Tensor:  # noqa: A002
    """``Tensor.view(dtype)``: the same bytes read as ``dtype``. Where the element sizes differ,
    the last dimension grows or shrinks by their ratio, under PyTorch's checks in its order.
    Not differentiable, as PyTorch's: like ``detach``, the result shares the memory and the
    version counter, and no graph.

    >>> import chainrule as cr
    >>> cr.tensor([1.0, -2.0]).view(cr.int32)
    tensor([ 1065353216, -1073741824], dtype=chainrule.int32)
    """
    data = input._data
    new = dtypes.as_dtype(dtype)
    if new.itemsize != data.itemsize:
        _check_view_dtype(data, new)
    t = _make(data.view(new))
    t._vc = input._vc
    return t


def _check_view_dtype(data: Any, new: Any) -> None:
    """PyTorch's checks of a view as a dtype of another element size (``view_dtype``): the
    last dimension contiguous; for larger elements, whole ones in it, and the other strides
    and the offset in the memory counted in whole ones too."""
    old = data.itemsize
    what = (
        f"to view {_TORCH_DTYPE_NAMES[data.dtype.name][1]} as "
        f"{_TORCH_DTYPE_NAMES[new.name][1]} (different element sizes)"
    )
    if data.ndim == 0:
        raise RuntimeError(f"self.dim() cannot be 0 {what}")
    strides = element_strides(data)
    checks = [("stride(-1)", strides[-1], "must be 1", strides[-1] == 1)]
    if new.itemsize > old:
        ratio = new.itemsize // old
        offset = storage_offset(data)
        checks[:0] = [
            (
                "size(-1)",
                data.shape[-1],
                f"must be divisible by {ratio}",
                not data.shape[-1] % ratio,
            ),
            ("storage_offset()", offset, f"must be divisible by {ratio}", not offset % ratio),
        ]
        checks += [
            (f"stride({i})", s, f"must be divisible by {ratio}", not s % ratio)
            for i, s in enumerate(strides[:-1])
        ]
    for name, value, rule, holds in checks:
        if not holds:
            raise RuntimeError(f"self.{name} {rule} {what}, but got {value}")


def element_strides(data: Any) -> list[int]:
    """An array's strides in elements, as PyTorch reports them (``Tensor.stride()``)."""
    strides = [s // data.itemsize for s in data.strides]
    if not data.size and not any(strides):
        # NumPy gives a new empty array no strides; PyTorch gives it the contiguous ones (each
        # dimension counted as 1 at least), which views keep: a view of one is taken as new
        sizes = [max(n, 1) for n in data.shape[:0:-1]]
        strides = list(itertools.accumulate(sizes, operator.mul, initial=1))
        strides.reverse()
    return strides


def storage_offset(data: Any) -> int:
    """How many elements into its memory an array's first element is (PyTorch's
    ``storage_offset``): its address against that of the array that owns the memory (through
    NumPy's views and ``as_strided``'s wrappers, which hold their array as ``base`` too)."""
    root = data
    while hasattr(root.base, "__array_interface__"):
        root = root.base
    start = root.__array_interface__["data"][0]
    return (data.__array_interface__["data"][0] - start) // data.itemsize


def _inferred_shape(size: tuple[int, ...], have: tuple[int, ...], op: str) -> tuple[int, ...]:
    """``size`` with its -1 (if any) worked out for a tensor of shape ``have``, checked as
    PyTorch's ``infer_size`` checks it, in its order and with its words (then the op's and the
    tensor's shape, on a line of their own)."""
    numel = math.prod(have)
    if math.prod(size) == numel and min(size, default=0) >= 0:
        return size  # the common call: nothing to infer, nothing wrong
    inferred = None
    known = 1
    for i, n in enumerate(size):
        if n == -1:
            if inferred is not None:
                raise RuntimeError("only one dimension can be inferred")
            inferred = i
        elif n < 0:
            raise RuntimeError(f"invalid shape dimension {n} at index {i} of shape {list(size)}")
        else:
            known *= n
    if inferred is None:
        if known == numel:
            return size
    elif known == 0 and numel == 0:
        raise RuntimeError(
            f"cannot reshape tensor of 0 elements into shape {list(size)} because the "
            "unspecified dimension size -1 can be any value and is ambiguous"
        )
    elif known and numel % known == 0:
        return size[:inferred] + (numel // known,) + size[inferred + 1 :]
    raise RuntimeError(
        f"shape '{list(size)}' is invalid for input of size {numel}\n{op}: shape {list(size)} "
        f"does not fit the {numel} elements of a tensor of shape {have}"
    )


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:  # noqa: A002
    """The dimensions ``start_dim`` to ``end_dim`` as one (the tensor itself where that is
    one already, as in PyTorch; a 0-d tensor becomes 1-d)."""
    return flatten_at(input, start_dim, end_dim, 2)


def flatten_at(input: Tensor, start_dim: Any, end_dim: Any, at: int) -> Tensor:  # noqa: A002
    """``flatten``, its dimensions read as PyTorch reads them, from argument position ``at``
    on (``Tensor.flatten`` has no ``input`` before them): both types first, then the range."""
    start, end = _two_ints(start_dim, end_dim, "flatten", ("start_dim", "end_dim"), at)
    ndim = input.ndim
    start, end = wrap_dim(start, ndim), wrap_dim(end, ndim)
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if ndim == 0:
        return reshape(input, (1,))
    if start == end:
        return input
    shape = tuple(input.shape)
    # the product, not -1: with a 0 among the other sizes, -1 would be ambiguous
    return reshape(input, shape[:start] + (math.prod(shape[start : end + 1]),) + shape[end + 1 :])


def _two_ints(a: Any, b: Any, name: str, params: tuple[str, str], at: int) -> tuple[int, int]:
    """Two ``int`` arguments, checked in order (a dimension out of range is the next check)."""
    if type(a) is int and type(b) is int:
        return a, b
    return integer(a, name, params[0], at), integer(b, name, params[1], at + 1)


def squeeze(input: Tensor, dim: Any = OMITTED) -> Tensor:  # noqa: A002
    """Drop size-1 dimensions (all of them, or those in ``dim`` that have size 1)."""
    return squeeze_at(input, dim, 2)


# PyTorch's signatures of squeeze, which it lists when a call fits none (Tensor.squeeze's and
# torch.squeeze's, whose arguments begin with the tensor).
SQUEEZE = {
    1: (
        Signature("()", 0, 0),
        Signature("(int dim)", 1, 1),
        Signature("(tuple of ints dim)", 1, 1),
    ),
    2: (
        Signature("(Tensor input)", 1, 1),
        Signature("(Tensor input, int dim)", 2, 2),
        Signature("(Tensor input, tuple of ints dim)", 2, 2),
    ),
}


def squeeze_at(input: Tensor, dim: Any, at: int) -> Tensor:  # noqa: A002
    """``squeeze``, ``dim`` read as PyTorch reads it at argument position ``at``: one
    dimension (``SqueezeBackward1``), a sequence of them (``SqueezeBackward2``), or all
    (``SqueezeBackward0``) where the call gave none: PyTorch's squeeze of all is the one given
    no ``dim``, and none of its signatures takes None."""
    ndim = input.ndim
    if dim is OMITTED:
        dims, node = range(ndim), "SqueezeBackward0"
    elif type(dim) is int:
        dims, node = (wrap_dim(dim, ndim),), "SqueezeBackward1"
    elif isinstance(dim, (tuple, list)) and (not dim or is_index(dim[0])):
        given = int_list((dim,), "squeeze", "dim", position=at, varargs=False)
        dims, node = distinct_dims(given, ndim), "SqueezeBackward2"
    else:
        try:
            dims, node = (wrap_dim(integer(dim, "squeeze", "dim", at), ndim),), "SqueezeBackward1"
        except TypeError:  # no signature takes it (nor a sequence that starts with no int)
            if at == 1 and is_index(dim):
                # Tensor.squeeze's list of dimensions may come one by one, as PyTorch reads
                # ``x.squeeze(0, 2)``: a tensor of one integer is one (PyTorch takes it by
                # position only; a Python function cannot tell, so by keyword is taken too)
                return squeeze_at(input, (operator.index(dim),), at)
            given = (input, dim) if at == 2 else (dim,)
            raise invalid_combination(given, "squeeze", SQUEEZE[at]) from None
    shape = tuple(n for i, n in enumerate(input.shape) if not (i in dims and n == 1))
    return named(reshape(input, shape), node)


def unsqueeze(input: Tensor, dim: int) -> Tensor:  # noqa: A002
    """Insert a size-1 dimension at ``dim``."""
    return unsqueeze_at(input, dim, 2)


def unsqueeze_at(input: Tensor, dim: Any, at: int) -> Tensor:  # noqa: A002
    """``unsqueeze``, ``dim`` read as PyTorch reads it at argument position ``at``."""
    dim = arguments.dim(dim, input.ndim + 1, "unsqueeze", "dim", at)
    shape = tuple(input.shape)
    return named(reshape(input, shape[:dim] + (1,) + shape[dim:]), "UnsqueezeBackward0")


def permute(input: Tensor, dims: Sequence[int]) -> Tensor:  # noqa: A002
    """The dimensions in the order ``dims`` (``Tensor.permute`` also takes them one by one)."""
    order = int_list((dims,), "permute", "dims", position=2, varargs=False)
    ndim = input.ndim
    if len(order) != ndim:  # PyTorch's words, though the tensor is no sparse one
        raise RuntimeError(
            "permute(sparse_coo): number of dimensions in the tensor input does not match the "
            "length of the desired ordering of dimensions i.e. input.dim() = "
            f"{ndim} is not equal to len(dims) = {len(order)}"
        )
    wrapped: list[int] = []
    for d in order:  # each wrapped, then checked, as PyTorch meets them
        axis = wrap_dim(d, ndim)
        if axis in wrapped:
            raise RuntimeError("permute(): duplicate dims are not allowed.")
        wrapped.append(axis)
    return Permute(tuple(wrapped))(input)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:  # noqa: A002
    """Swap dimensions ``dim0`` and ``dim1``: a view (a node, as in PyTorch, even where they
    are one dimension)."""
    return transpose_at(input, dim0, dim1, 2)


def swapaxes(input: Tensor, axis0: int, axis1: int) -> Tensor:  # noqa: A002
    """``transpose`` under NumPy's name (and its parameters' names, which errors print)."""
    return transpose_at(input, axis0, axis1, 2, "swapaxes", ("axis0", "axis1"))


def transpose_at(
    input: Tensor,  # noqa: A002
    dim0: Any,
    dim1: Any,
    at: int,
    name: str = "transpose",
    params: tuple[str, str] = ("dim0", "dim1"),
) -> Tensor:
    """``transpose``, its dimensions read as PyTorch reads them from argument position ``at``
    on, under the function's ``name`` and ``params``."""
    a, b = _two_ints(dim0, dim1, name, params, at)
    ndim = input.ndim
    a, b = wrap_dim(a, ndim), wrap_dim(b, ndim)
    order = list(range(ndim))
    if ndim:
        order[a], order[b] = order[b], order[a]
    return named(Permute(tuple(order))(input), "TransposeBackward0")


def t(input: Tensor) -> Tensor:  # noqa: A002
    """Transpose a matrix (0-d and 1-d tensors keep their shape, through a node)."""
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D")
    return named(transpose(input, 0, -1), "TBackward0")


def expand(input: Tensor, *sizes: Any) -> Tensor:  # noqa: A002
    """Broadcast to ``sizes`` without copying (-1 keeps a dimension).

    >>> import chainrule as cr
    >>> cr.tensor([1.0, 2.0]).expand(3, -1).shape
    chainrule.Size([3, 2])
    """
    size = int_list(sizes, "expand", "size")
    if len(size) < input.ndim:
        raise RuntimeError(
            f"expand({dtypes.checked_type_name(input.dtype)}{{{list(input.shape)}}}, "
            f"size={list(size)}): "
            f"the number of sizes provided ({len(size)}) must be greater or equal to the number "
            f"of dimensions in the tensor ({input.ndim})"
        )
    return Expand(_expanded_shape(tuple(input.shape), size))(input)


def _expanded_shape(have: tuple[int, ...], size: tuple[int, ...]) -> tuple[int, ...]:
    """The shape ``expand(size)`` gives a tensor of shape ``have``, checked as PyTorch checks
    it: from the last dimension to the first, so the error named is the one PyTorch names."""
    lead = len(size) - len(have)
    shape = list(size)
    for i in reversed(range(len(size))):
        existing = have[i - lead] if i >= lead else 1
        target = size[i]
        if target == -1 and have:  # PyTorch leaves a 0-d tensor's -1 to the check below
            if i < lead:
                raise RuntimeError(
                    "The expanded size of the tensor (-1) isn't allowed in a leading, "
                    f"non-existing dimension {i}"
                )
            target = existing
        if target != existing and existing != 1:
            raise RuntimeError(
                f"The expanded size of the tensor ({target}) must match the existing size "
                f"({existing}) at non-singleton dimension {i}.  Target sizes: {list(size)}.  "
                f"Tensor sizes: {list(have)}"
            )
        shape[i] = target
    if any(n < 0 for n in shape):  # PyTorch's words; beside a 0 it makes a negative shape
        raise RuntimeError("numel: integer multiplication overflow")
    return tuple(shape)


def broadcast_to(input: Tensor, size: Sequence[int]) -> Tensor:  # noqa: A002
    """``expand`` with the sizes as one sequence, as ``torch.broadcast_to`` takes them."""
    return expand(input, int_list((size,), "broadcast_to", "size", position=2, varargs=False))


def not_tensor(element: int, value: Any, argument: int = 0) -> TypeError:
    """PyTorch's error for an element of a list of tensors (its ``argument``, counted from 0)
    that is none: ``stack([x, 1])`` (a NumPy scalar is none either, though it has a shape).

    >>> not_tensor(1, 2.0)
    TypeError('expected Tensor as element 1 in argument 0, but got float')
    """
    return TypeError(
        f"expected Tensor as element {element} in argument {argument}, but got {type_name(value)}"
    )


def broadcast_tensors(*tensors: Tensor) -> tuple[Tensor, ...]:
    """The tensors expanded to their common shape: views, whose gradients are summed back.

    A tensor that already has the common shape is returned as it is, as PyTorch returns it.

    >>> import chainrule as cr
    >>> x, y = cr.broadcast_tensors(cr.ones(3), cr.zeros(2, 1))
    >>> x.shape, y.shape
    (chainrule.Size([2, 3]), chainrule.Size([2, 3]))
    """
    for i, x in enumerate(tensors):
        if not isinstance(x, Tensor):
            raise not_tensor(i, x)
    common = broadcast_shape(*(tuple(x.shape) for x in tensors))
    return tuple(x if tuple(x.shape) == common else expand(x, common) for x in tensors)


def broadcast_shapes(*shapes: Any) -> Size:
    """The shape that tensors of ``shapes`` broadcast to, without making them.

    >>> import chainrule as cr
    >>> cr.broadcast_shapes((2,), (3, 1), (1, 1, 1))
    chainrule.Size([1, 3, 2])
    """
    # PyTorch's rules and words (torch._refs._broadcast_shapes), which differ from those of
    # broadcast_tensors: a number is a 1-d shape, None is skipped, a negative size fails only
    # where it would be broadcast, and the error names the shape's index among the arguments.
    given = [(s,) if isinstance(s, int) else s for s in shapes if s is not None]
    for s in given:
        if not isinstance(s, Sequence):
            raise RuntimeError(
                f"Input shapes should be of type ints, a tuple of ints, or a list of ints, got {s}"
            )
    common = [1] * max((len(s) for s in given), default=0)
    for index, s in enumerate(given):
        for d in range(-1, -1 - len(s), -1):
            if s[d] == common[d]:
                continue
            if common[d] == 1:
                if s[d] < 0:
                    raise ValueError("Attempting to broadcast a dimension with negative length!")
                common[d] = s[d]
            elif s[d] != 1:
                raise RuntimeError(
                    f"Attempting to broadcast a dimension of length {s[d]} at {d}! Mismatching "
                    f"argument at index {index} had {s}; but expected shape should be "
                    f"broadcastable to {common}"
                )
    return Size(common)


def repeat(input: Tensor, *sizes: Any) -> Tensor:  # noqa: A002
    """Tile the tensor ``sizes[i]`` times along each dimension."""
    repeats = int_list(sizes, "repeat", "repeats")
    if len(repeats) < input.ndim:
        raise RuntimeError(
            "Number of dimensions of repeat dims can not be smaller than number of dimensions of "
            "tensor"
        )
    shape = (1,) * (len(repeats) - input.ndim) + tuple(input.shape)
    tiled = [r * n for r, n in zip(repeats, shape, strict=True)]
    for n in tiled:
        if n < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {n}: {tiled}")
    return Repeat(repeats)(input)


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors along an existing dimension (PyTorch's checks in its order and words)."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("chainrule.cat(): expected a non-empty list of Tensors")
    if type(dim) is not int:
        dim = integer(dim, "cat", "dim", 2)
    # PyTorch leaves out 1-d tensors of no elements, its legacy "empty" that joins any tensor
    # (they count in the result's dtype only), unless all are such: then they join along 0.
    skip = []
    for i, x in enumerate(tensors):
        if not isinstance(x, Tensor):
            raise not_tensor(i, x)
        ndim = x.ndim
        if ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
        if ndim == 1 and not x.shape[0]:
            skip.append(i)
    if len(skip) == len(tensors):
        skip, dim = [], 0
    start = next(i for i in range(len(tensors)) if i not in skip) if skip else 0
    shape = tensors[start].shape
    axis = wrap_dim(dim, len(shape))
    for i in range(start + 1, len(tensors)):
        if i not in skip and (other := tensors[i].shape) != shape:
            _check_cat_shapes(shape, other, axis, i)
    return Cat(axis, tuple(skip))(*tensors)


def _check_cat_shapes(shape: Size, other: Size, axis: int, i: int) -> None:
    """PyTorch's check of tensor ``i``'s shape in ``cat`` against the first's: the same but for
    dimension ``axis`` (its words, then the shapes on a line of their own)."""
    if len(other) != len(shape):
        message = f"Tensors must have same number of dimensions: got {len(shape)} and {len(other)}"
    else:
        for d, (a, b) in enumerate(zip(shape, other, strict=True)):
            if a != b and d != axis:
                message = (
                    f"Sizes of tensors must match except in dimension {axis}. Expected size {a} "
                    f"but got size {b} for tensor number {i} in the list."
                )
                break
        else:
            return
    raise RuntimeError(
        f"{message}\ncat: tensors must have the same shape except in dimension {axis}, got "
        f"{tuple(shape)} and {tuple(other)}"
    )


concatenate = cat


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors along a new dimension."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    for i, x in enumerate(tensors):
        if not isinstance(x, Tensor):
            raise not_tensor(i, x)
    dim = arguments.dim(dim, tensors[0].ndim + 1, "stack", "dim", 2)
    for i, other in enumerate(tensors[1:], 1):
        if other.shape != tensors[0].shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(tensors[0].shape)} at "
                f"entry 0 and {list(other.shape)} at entry {i}\nstack: shapes "
                f"{tuple(tensors[0].shape)} and {tuple(other.shape)} differ"
            )
    return named(cat([unsqueeze(x, dim) for x in tensors], dim), "StackBackward0")


def flip(input: Tensor, dims: Sequence[int]) -> Tensor:  # noqa: A002
    """The values in reverse order along each of ``dims`` (``Tensor.flip`` also takes them
    one by one)."""
    order = int_list((dims,), "flip", "dims", position=2, varargs=False)
    axes = distinct_dims(order, input.ndim)
    return Flip(axes if input.ndim else ())(input)  # a 0-d tensor's dim 0 or -1: nothing to flip


def roll(input: Tensor, shifts: Any, dims: Any = None) -> Tensor:  # noqa: A002
    """The values moved ``shifts`` places along each of ``dims`` (an int or a list of them,
    each as often as given), round the end; along the flattened tensor where ``dims`` is None
    or empty. PyTorch's checks, in its order and words."""
    shifts = _ints_or_int(shifts, "shifts", 2)
    dims = () if dims is None else _ints_or_int(dims, "dims", 3)
    if not shifts:
        raise RuntimeError("`shifts` required")
    if len(shifts) != len(dims) and (dims or len(shifts) != 1):
        raise RuntimeError(
            f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}"
        )
    if not dims:
        rolled = reshape(Roll(shifts[0], None)(flatten(input)), tuple(input.shape))
        return named(rolled, "RollBackward0")  # PyTorch's one node, flat or not
    ndim = input.ndim
    for d in dims if not ndim else ():
        raise IndexError(f"Dimension specified as {d} but tensor has no dimensions")
    return Roll(shifts, tuple(wrap_dim(d, ndim) for d in dims))(input)


def _ints_or_int(value: Any, param: str, position: int) -> tuple[int, ...]:
    """``roll``'s ``int[1]`` arguments: a list of ints, or one int (PyTorch's checks)."""
    if is_index(value):
        return (operator.index(value),)
    return int_list((value,), "roll", param, position=position, varargs=False)


# PyTorch's signatures of split, which it lists when a call fits none.
SPLIT = (
    Signature("(Tensor input, int split_size, int dim = 0)", 2, 3),
    Signature("(Tensor input, tuple of ints split_size, int dim = 0)", 2, 3),
)


def split(input: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or of given sizes."""
    if input.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    if isinstance(split_size_or_sections, Tensor) and split_size_or_sections.ndim == 0:
        split_size_or_sections = int(split_size_or_sections)  # one size, as PyTorch reads it
    whole = isinstance(split_size_or_sections, int)
    if type(dim) is not int:
        try:
            dim = integer(dim, "split_with_sizes", "dim", 3)
        except TypeError:
            if not whole:
                raise
            raise invalid_combination(
                (input, split_size_or_sections, dim), "split", SPLIT
            ) from None
    axis = wrap_dim(dim, input.ndim)
    length = input.shape[axis]
    if whole:
        step = split_size_or_sections
        if step < 0 or step == 0 and length:
            raise RuntimeError(
                f"split expects split_size be non-negative, but got split_size={step}"
                if step < 0
                else "split_size can only be 0 if dimension size is 0, but got dimension size of "
                f"{length}"
            )
        sizes = [min(step, length - s) for s in range(0, length, step)] if step else [0]
        sizes = sizes or [0]
    else:
        sizes = list(
            int_list((split_size_or_sections,), "split_with_sizes", "split_sizes", position=2)
        )
        if any(size < 0 for size in sizes):
            raise RuntimeError(
                "split_with_sizes expects split_sizes have only non-negative entries, but got "
                f"split_sizes={sizes}"
            )
        if sum(sizes) != length:  # (the dimension as given, as PyTorch names it)
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {length} (input "
                f"tensor's size at dimension {dim}), but got split_sizes={sizes}"
            )
    pieces = []
    start = 0
    name = "SplitBackward0" if whole else "SplitWithSizesBackward0"
    for size in sizes:
        pieces.append(named(_view_along(input, axis, slice(start, start + size)), name))
        start += size
    return views.multiple(tuple(pieces), "Split")


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    """``chunks`` pieces of equal size along ``dim`` (the last may be smaller, fewer where
    they would be empty)."""
    return chunk_at(input, chunks, dim, 2)


def chunk_at(input: Tensor, chunks: Any, dim: Any, at: int) -> tuple[Tensor, ...]:  # noqa: A002
    """``chunk``, its arguments read as PyTorch reads them from argument position ``at`` on."""
    chunks, dim = _two_ints(chunks, dim, "chunk", ("chunks", "dim"), at)
    if input.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    axis = wrap_dim(dim, input.ndim)
    return split(input, max(1, -(-input.shape[axis] // chunks)), axis)


def unbind(input: Tensor, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    """The slices along ``dim``, each without it."""
    return unbind_at(input, dim, 2)


def unbind_at(input: Tensor, dim: Any, at: int) -> tuple[Tensor, ...]:  # noqa: A002
    """``unbind``, ``dim`` read as PyTorch reads it at argument position ``at``."""
    axis = arguments.dim(dim, input.ndim, "unbind", "dim", at)
    if input.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    pieces = tuple(
        named(_view_along(input, axis, i), "UnbindBackward0") for i in range(input.shape[axis])
    )
    return views.multiple(pieces, "Unbind")


def _view_along(input: Tensor, axis: int, part: slice | int) -> Tensor:  # noqa: A002
    """``input[..., part]`` at ``axis``, a view, for a ``part`` made within the shape by the
    caller: the view op itself, without indexing's reading and checks of a key (~4 us a
    piece of split, chunk or unbind)."""
    return indexing.GetItem((slice(None),) * axis + (part,), True)(input)


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant", value: float = 0.0) -> Tensor:  # noqa: A002
    """Pad the last dimensions: ``pad = (left, right, top, bottom, ...)`` as in PyTorch."""
    if mode != "constant":
        raise NotImplementedError(f"pad: mode {mode!r} is not supported; use 'constant'")
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise RuntimeError(
            f"pad: padding of length {len(pad)} does not fit a tensor of shape {tuple(input.shape)}"
        )
    widths = [(0, 0)] * input.ndim
    for i in range(len(pad) // 2):
        widths[input.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    if any(lo < 0 or hi < 0 for lo, hi in widths):
        # A negative width crops, as in PyTorch: a slice first, then the padding left over.
        if any(
            size + min(lo, 0) + min(hi, 0) < 0
            for (lo, hi), size in zip(widths, input.shape, strict=True)
        ):
            raise RuntimeError("narrow(): length must be non-negative.")
        input = input[  # noqa: A001
            tuple(
                slice(-min(lo, 0), size - max(-hi, 0))
                for (lo, hi), size in zip(widths, input.shape, strict=True)
            )
        ]
        widths = [(max(lo, 0), max(hi, 0)) for lo, hi in widths]
    return Pad(tuple(widths), value)(input)
