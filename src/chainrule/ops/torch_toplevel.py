"""PyTorch's top-level functions that are Tensor methods or compositions there: the in-place
forms (``torch.abs_(x)`` is ``x.abs_()``), the ``*_copy`` forms of the view functions (a copy
that carries the gradient, as PyTorch's), ``rsub``, ``angle`` of real tensors, ``fill`` and a
few queries, so that code calling them at the top level runs.

    >>> import chainrule as cr
    >>> x = cr.tensor([-1.0, 2.0])
    >>> cr.abs_(x) is x, x
    (True, tensor([1., 2.]))
    >>> cr.rsub(cr.tensor([1.0, 2.0]), 5)
    tensor([4., 3.])
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any

from chainrule import arguments, dtypes, memory_formats
from chainrule._tensor_input import tensor_argument
from chainrule.factories import full
from chainrule.linalg import vector_norm
from chainrule.nn import functional as F
from chainrule.op import named
from chainrule.ops import compare, elementwise, shape, shape_more
from chainrule.ops import inplace as inplace_ops
from chainrule.ops.indexing import nonzero
from chainrule.ops.reduce import one_dim
from chainrule.ops.strided import as_strided
from chainrule.tensor import Tensor


def _method(name: str) -> Callable[..., Any]:
    """``torch.<name>(input, ...)``: the Tensor method ``input.<name>(...)`` at the top level."""

    def call(input: Tensor, *args: Any, **kwargs: Any) -> Any:  # noqa: A002
        tensor_argument(name, input)
        return getattr(input, name)(*args, **kwargs)

    call.__name__ = call.__qualname__ = name
    call.__doc__ = f"``input.{name}(...)``: the Tensor method under PyTorch's top-level name."
    return call


# ---- in-place forms: each is the Tensor method of the same name
abs_ = _method("abs_")
acos_ = _method("acos_")
acosh_ = _method("acosh_")
addmv_ = _method("addmv_")
arccos_ = _method("arccos_")
arccosh_ = _method("arccosh_")
arcsin_ = _method("arcsin_")
arcsinh_ = _method("arcsinh_")
arctan_ = _method("arctan_")
arctanh_ = _method("arctanh_")
asin_ = _method("asin_")
asinh_ = _method("asinh_")
atan_ = _method("atan_")
atanh_ = _method("atanh_")
ceil_ = _method("ceil_")
clamp_ = _method("clamp_")
clamp_max_ = _method("clamp_max_")
clamp_min_ = _method("clamp_min_")
clip_ = _method("clip_")
cos_ = _method("cos_")
cosh_ = _method("cosh_")
deg2rad_ = _method("deg2rad_")
detach_ = _method("detach_")
erf_ = _method("erf_")
erfc_ = _method("erfc_")
exp2_ = _method("exp2_")
exp_ = _method("exp_")
expm1_ = _method("expm1_")
fill_ = _method("fill_")
fix_ = _method("fix_")
floor_ = _method("floor_")
frac_ = _method("frac_")
gcd_ = _method("gcd_")
i0_ = _method("i0_")
lcm_ = _method("lcm_")
ldexp_ = _method("ldexp_")
log10_ = _method("log10_")
log1p_ = _method("log1p_")
log2_ = _method("log2_")
log_ = _method("log_")
logit_ = _method("logit_")
nan_to_num_ = _method("nan_to_num_")
neg_ = _method("neg_")
negative_ = _method("negative_")
rad2deg_ = _method("rad2deg_")
reciprocal_ = _method("reciprocal_")
relu_ = _method("relu_")
resize_as_ = _method("resize_as_")
round_ = _method("round_")
rsqrt_ = _method("rsqrt_")
sigmoid_ = _method("sigmoid_")
sin_ = _method("sin_")
sinc_ = _method("sinc_")
sinh_ = _method("sinh_")
sqrt_ = _method("sqrt_")
square_ = _method("square_")
tan_ = _method("tan_")
tanh_ = _method("tanh_")
trunc_ = _method("trunc_")
xlogy_ = _method("xlogy_")
zero_ = _method("zero_")
detach = _method("detach")


def selu_(input: Tensor) -> Tensor:  # noqa: A002
    """``torch.selu_``: :func:`chainrule.nn.functional.selu_`."""
    tensor_argument("selu_", input)
    return F.selu_(input)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:  # noqa: A002
    """``torch.celu_``: :func:`chainrule.nn.functional.celu_`."""
    tensor_argument("celu_", input)
    return F.celu_(input, alpha)


def rrelu_(
    input: Tensor,  # noqa: A002
    lower: float = 1.0 / 8,
    upper: float = 1.0 / 3,
    training: bool = False,
    generator: Any = None,
) -> Tensor:
    """``torch.rrelu_``: :func:`chainrule.nn.functional.rrelu_` (the default generator only)."""
    tensor_argument("rrelu_", input)
    _default_generator_only("rrelu_", generator)
    return F.rrelu_(input, lower, upper, training)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:  # noqa: A002
    """``torch.threshold_``: :func:`chainrule.nn.functional.threshold_`."""
    tensor_argument("threshold_", input)
    return F.threshold_(input, threshold, value)


def _default_generator_only(function: str, generator: Any) -> None:
    if generator is not None:
        raise NotImplementedError(f"{function}: a generator argument is not supported")


def _dropout_probability(p: float) -> None:
    """ATen's check (a RuntimeError, where ``nn.functional``'s own check raises ValueError)."""
    if not 0.0 <= p <= 1.0:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {p}")


def dropout(input: Tensor, p: float, train: bool) -> Tensor:  # noqa: A002
    """``torch.dropout(input, p, train)``: :func:`chainrule.nn.functional.dropout`.

    >>> import chainrule as cr
    >>> x = cr.ones(3)
    >>> cr.dropout(x, 0.5, False) is x
    True
    """
    tensor_argument("dropout", input)
    _dropout_probability(p)
    return F.dropout(input, p, train)


def alpha_dropout(input: Tensor, p: float, train: bool) -> Tensor:  # noqa: A002
    """``torch.alpha_dropout(input, p, train)``: :func:`chainrule.nn.functional.alpha_dropout`."""
    tensor_argument("alpha_dropout", input)
    _dropout_probability(p)
    return F.alpha_dropout(input, p, train)


def feature_dropout(input: Tensor, p: float, train: bool) -> Tensor:  # noqa: A002
    """``torch.feature_dropout(input, p, train)``: whole (sample, channel) maps of an
    (N, C, ...) input zeroed, one draw each, as :func:`chainrule.nn.functional.dropout2d`
    (the dimensions checked only when something is drawn, as ATen checks them)."""
    tensor_argument("feature_dropout", input)
    _dropout_probability(p)
    return F._feature_dropout(input, p, train, unbatched=False)


def feature_alpha_dropout(input: Tensor, p: float, train: bool) -> Tensor:  # noqa: A002
    """``torch.feature_alpha_dropout(input, p, train)``:
    :func:`chainrule.nn.functional.feature_alpha_dropout`."""
    tensor_argument("feature_alpha_dropout", input)
    _dropout_probability(p)
    return F.feature_alpha_dropout(input, p, train)


def _dropped_in_place(name: str, function: Callable[..., Tensor]) -> Callable[..., Tensor]:
    """``torch.<name>(input, p, train)``: ``function``'s result written into ``input``; with
    nothing to draw (evaluation, ``p = 0``, no elements) ``input`` itself, untouched and
    unrecorded, as PyTorch returns it (a leaf requiring grad is then no error)."""

    def call(input: Tensor, p: float, train: bool) -> Tensor:  # noqa: A002
        tensor_argument(name, input)
        _dropout_probability(p)
        arguments.boolean(train, name, "train", 3)
        if not train or p == 0.0 or input.numel() == 0:
            return input
        return inplace_ops.apply(input, lambda old: function(old, p, train), name=name)

    call.__name__ = call.__qualname__ = name
    call.__doc__ = f"``torch.{name}(input, p, train)``: :func:`{name[:-1]}` in place."
    return call


dropout_ = _dropped_in_place("dropout_", dropout)
alpha_dropout_ = _dropped_in_place("alpha_dropout_", alpha_dropout)
feature_dropout_ = _dropped_in_place("feature_dropout_", feature_dropout)
feature_alpha_dropout_ = _dropped_in_place("feature_alpha_dropout_", feature_alpha_dropout)


def fill(input: Tensor, value: Any) -> Tensor:  # noqa: A002
    """A new tensor shaped as ``input``, every element ``value`` (a number or a 0-d tensor,
    whose gradient is the sum of the result's): ``torch.fill``.

    >>> import chainrule as cr
    >>> cr.fill(cr.zeros(2), 3)
    tensor([3., 3.])
    """
    tensor_argument("fill", input)
    return input.clone().fill_(value)


def conj_physical(input: Tensor) -> Tensor:  # noqa: A002
    """``input`` itself: a real tensor is its own conjugate (PyTorch returns it too)."""
    tensor_argument("conj_physical", input)
    return input


def conj_physical_(input: Tensor) -> Tensor:  # noqa: A002
    """``input`` itself, unchanged: conjugating a real tensor in place changes nothing."""
    tensor_argument("conj_physical_", input)
    return input


def rsub(input: Tensor, other: Any, alpha: Any = 1) -> Tensor:  # noqa: A002
    """``other - alpha * input``: ``torch.rsub``, subtraction with the operands swapped.

    >>> import chainrule as cr
    >>> cr.rsub(cr.tensor([1, 2]), cr.tensor([10, 10]), alpha=2)
    tensor([8, 6])
    """
    tensor_argument("rsub", input)
    difference = elementwise.sub(other, input, alpha=alpha)
    # PyTorch names its own node, where sub(other, input) is SubBackward0 (of a number other,
    # Sub already names it RsubBackward1)
    return named(difference, "RsubBackward0") if isinstance(other, Tensor) else difference


def angle(input: Tensor) -> Tensor:  # noqa: A002
    """The argument of each (real) element: pi where it is negative, 0 where it is not, nan
    where it is nan, in a floating dtype (integers and bools give the default one); its
    gradient is zero, as PyTorch's for real input.

    >>> import chainrule as cr
    >>> cr.angle(cr.tensor([-2.0, 0.0, 3.0]))
    tensor([3.1416, 0.0000, 0.0000])
    """
    tensor_argument("angle", input)
    x = input if input.dtype.is_floating_point else input.to(dtypes.get_default_dtype())
    # sign(x) * 0: zero, and sign's derivative (zero) for the gradient
    angles = elementwise.where(compare.lt(x, 0), math.pi, elementwise.sign(x) * 0)
    return named(elementwise.where(compare.isnan(x), x.detach(), angles), "AngleBackward0")


# ---- the *_copy forms of the view functions: the view, cloned (gradient flows through)
# into row-major memory, as PyTorch's *_copy give it (a plain clone keeps a view's layout)
_ROW_MAJOR = memory_formats.contiguous_format


def view_copy(input: Tensor, size: Any) -> Tensor:  # noqa: A002
    """``input.view(size)``, copied."""
    tensor_argument("view_copy", input)
    return input.view(size).clone(memory_format=_ROW_MAJOR)


def permute_copy(input: Tensor, dims: Sequence[int]) -> Tensor:  # noqa: A002
    """``input.permute(dims)``, copied."""
    tensor_argument("permute_copy", input)
    return shape.permute(input, dims).clone(memory_format=_ROW_MAJOR)


def transpose_copy(input: Tensor, dim0: int, dim1: int) -> Tensor:  # noqa: A002
    """``input.transpose(dim0, dim1)``, copied."""
    tensor_argument("transpose_copy", input)
    return shape.transpose(input, dim0, dim1).clone(memory_format=_ROW_MAJOR)


def t_copy(input: Tensor) -> Tensor:  # noqa: A002
    """``input.t()``, copied."""
    tensor_argument("t_copy", input)
    return shape.t(input).clone(memory_format=_ROW_MAJOR)


def expand_copy(input: Tensor, size: Sequence[int], *, implicit: bool = False) -> Tensor:  # noqa: A002
    """``input.expand(size)``, copied (``implicit`` as PyTorch's: no effect on the values)."""
    tensor_argument("expand_copy", input)
    if type(implicit) is not bool:  # no effect on the values, but a bool only, as PyTorch's
        arguments.boolean(implicit, "expand_copy", "implicit", None)
    return input.expand(*size).clone(memory_format=_ROW_MAJOR)


def squeeze_copy(input: Tensor, dim: Any = None) -> Tensor:  # noqa: A002
    """``input.squeeze(dim)``, copied."""
    tensor_argument("squeeze_copy", input)
    return (input.squeeze() if dim is None else input.squeeze(dim)).clone(memory_format=_ROW_MAJOR)


def unsqueeze_copy(input: Tensor, dim: int) -> Tensor:  # noqa: A002
    """``input.unsqueeze(dim)``, copied."""
    tensor_argument("unsqueeze_copy", input)
    return input.unsqueeze(dim).clone(memory_format=_ROW_MAJOR)


def select_copy(input: Tensor, dim: int, index: int) -> Tensor:  # noqa: A002
    """``input.select(dim, index)``, copied."""
    tensor_argument("select_copy", input)
    return input.select(dim, index).clone(memory_format=_ROW_MAJOR)


def slice_copy(
    input: Tensor,  # noqa: A002
    dim: int = 0,
    start: int | None = None,
    end: int | None = None,
    step: int = 1,
) -> Tensor:
    """``input[start:end:step]`` along ``dim``, copied."""
    tensor_argument("slice_copy", input)
    if step <= 0:
        raise RuntimeError("slice step must be positive")
    if not input.ndim:
        raise IndexError("slice() cannot be applied to a 0-dim tensor.")
    dim = arguments.wrap_dim(dim, input.ndim)
    return input[(slice(None),) * dim + (slice(start, end, step),)].clone(memory_format=_ROW_MAJOR)


def diagonal_copy(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:  # noqa: A002
    """``input.diagonal(offset, dim1, dim2)``, copied."""
    tensor_argument("diagonal_copy", input)
    return shape_more.diagonal(input, offset, dim1, dim2).clone(memory_format=_ROW_MAJOR)


def split_copy(input: Tensor, split_size: Any, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    """``input.split(split_size, dim)``, each piece copied."""
    tensor_argument("split_copy", input)
    pieces = shape.split(input, split_size, dim)
    return tuple(piece.clone(memory_format=_ROW_MAJOR) for piece in pieces)


def split_with_sizes_copy(
    input: Tensor, split_sizes: Sequence[int], dim: int = 0
) -> tuple[Tensor, ...]:  # noqa: A002
    """``input.split_with_sizes(split_sizes, dim)``, each piece copied."""
    tensor_argument("split_with_sizes_copy", input)
    pieces = input.split_with_sizes(split_sizes, dim)
    return tuple(piece.clone(memory_format=_ROW_MAJOR) for piece in pieces)


def unbind_copy(input: Tensor, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    """``input.unbind(dim)``, each piece copied."""
    tensor_argument("unbind_copy", input)
    return tuple(piece.clone(memory_format=_ROW_MAJOR) for piece in shape.unbind(input, dim))


def alias_copy(input: Tensor) -> Tensor:  # noqa: A002
    """A copy of ``input`` (the copy form of an alias)."""
    tensor_argument("alias_copy", input)
    return input.clone(memory_format=_ROW_MAJOR)


def detach_copy(input: Tensor) -> Tensor:  # noqa: A002
    """``input.detach()``, copied: no gradient (PyTorch's result claims ``requires_grad`` and
    refuses a backward pass through it; this one records nothing)."""
    tensor_argument("detach_copy", input)
    return input.detach().clone(memory_format=_ROW_MAJOR)


def as_strided_copy(
    input: Tensor,  # noqa: A002
    size: Sequence[int],
    stride: Sequence[int],
    storage_offset: int | None = None,
) -> Tensor:
    """``input.as_strided(size, stride, storage_offset)``, copied."""
    tensor_argument("as_strided_copy", input)
    return as_strided(input, size, stride, storage_offset).clone(memory_format=_ROW_MAJOR)


def unfold_copy(input: Tensor, dimension: int, size: int, step: int) -> Tensor:  # noqa: A002
    """``input.unfold(dimension, size, step)``, copied."""
    tensor_argument("unfold_copy", input)
    return input.unfold(dimension, size, step).clone(memory_format=_ROW_MAJOR)


def as_strided_scatter(
    input: Tensor,  # noqa: A002
    src: Tensor,
    size: Sequence[int],
    stride: Sequence[int],
    storage_offset: int | None = None,
) -> Tensor:
    """A copy of ``input`` with ``src`` written through ``as_strided(size, stride,
    storage_offset)`` of that copy (gradients to both, as PyTorch's).

    >>> import chainrule as cr
    >>> cr.as_strided_scatter(cr.zeros(2, 2), cr.ones(2), (2,), (3,))
    tensor([[1., 0.],
            [0., 1.]])
    """
    tensor_argument("as_strided_scatter", input)
    out = input.clone()
    view = as_strided(out, size, stride, storage_offset)
    if tuple(view.shape) != tuple(src.shape):
        raise RuntimeError(
            f"expected src to have a size equal to the slice of self. src size = "
            f"{list(src.shape)}, slice size = {list(view.shape)}"
        )
    view.copy_(src)
    return out


def row_stack(tensors: Sequence[Tensor]) -> Tensor:
    """``torch.row_stack``: :func:`chainrule.vstack` under its NumPy name."""
    return shape_more.vstack(tensors)


def get_device(input: Tensor) -> int:  # noqa: A002
    """-1: the device index PyTorch gives a CPU tensor."""
    tensor_argument("get_device", input)
    return -1


def is_distributed(input: Tensor) -> bool:  # noqa: A002
    """False: no tensor is distributed."""
    tensor_argument("is_distributed", input)
    return False


def view_as_real(input: Tensor) -> Tensor:  # noqa: A002
    """Refused, as PyTorch refuses it for real tensors (chainrule's are all real)."""
    tensor_argument("view_as_real", input)
    raise RuntimeError("view_as_real is only supported for complex tensors")


def view_as_real_copy(input: Tensor) -> Tensor:  # noqa: A002
    """Refused, as :func:`view_as_real`."""
    tensor_argument("view_as_real_copy", input)
    raise RuntimeError("view_as_real is only supported for complex tensors")


def nonzero_static(input: Tensor, *, size: int, fill_value: int = -1) -> Tensor:  # noqa: A002
    """:func:`chainrule.nonzero`'s (n, ndim) indices cut or filled to ``size`` rows, the
    rows added all ``fill_value``.

    >>> import chainrule as cr
    >>> cr.nonzero_static(cr.tensor([0, 1, 0, 2]), size=3).flatten()
    tensor([ 1,  3, -1])
    """
    tensor_argument("nonzero_static", input)
    if size < 0:
        raise RuntimeError("nonzero_static: 'size' must be an non-negative integer")
    found = nonzero(input)[:size]
    missing = size - found.shape[0]
    if not missing:
        return found
    filler = full((missing, input.ndim), fill_value, dtype=found.dtype)
    return shape.cat([found, filler])


def norm_except_dim(v: Tensor, pow: float = 2, dim: int = 0) -> Tensor:  # noqa: A002
    """The ``pow``-norm over every dimension but ``dim``, kept as size-1 dimensions (the
    norm of all of ``v`` for ``dim=-1``): weight normalization's norm.

    >>> import chainrule as cr
    >>> cr.norm_except_dim(cr.tensor([[3.0, 0.0], [0.0, 4.0]]), 2, 1)
    tensor([[3., 4.]])
    """
    pow = arguments.integer(pow, "norm_except_dim", "pow", 2)  # noqa: A001 - ATen's int pow
    if dim == -1:
        return vector_norm(v, pow)
    if v.ndim == 0 and dim == 0:  # ATen reads v.size(0)
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    dim = one_dim(dim, v.ndim, "norm_except_dim")  # out of range: PyTorch's IndexError
    if v.shape[dim] == 0:
        # ATen views the other dims as one (-1), which no size fits: its error, from reshape
        v.reshape((-1, 0) if dim and dim == v.ndim - 1 else (0, -1))
    others = [d for d in range(v.ndim) if d != dim]
    if not others:  # a vector along dim: each element's norm (an empty dim list means all)
        return vector_norm(v.unsqueeze(-1), pow, -1)
    return vector_norm(v, pow, others, keepdim=True)


def to_dlpack(tensor: Tensor) -> Any:
    """A DLPack capsule over ``tensor``'s memory (for another library's ``from_dlpack``)."""
    tensor_argument("_to_dlpack", tensor, name="data")  # PyTorch names its inner function
    return tensor._data.__dlpack__()


# the value of an empty segment, for each reduction (PyTorch's identities; mean's is nan)
_EMPTY_SEGMENT = {"sum": 0.0, "prod": 1.0, "mean": math.nan, "max": -math.inf, "min": math.inf}


def segment_reduce(
    data: Tensor,
    reduce: str,
    *,
    lengths: Tensor | None = None,
    indices: Tensor | None = None,
    offsets: Tensor | None = None,
    axis: int = 0,
    unsafe: bool = False,
    initial: float | None = None,
) -> Tensor:
    """Each segment of ``data`` along ``axis`` (given by 1-d ``lengths`` or ``offsets``)
    reduced by ``reduce`` ("sum", "prod", "mean", "max"/"amax", "min"/"amin"), ``initial``
    taking part in each reduction (an empty segment gives ``initial``, or the reduction's
    identity: 0, 1, nan, -inf, inf). Tied maxima (minima) share their segment's gradient
    evenly, as ``amax``'s; PyTorch 2.13's kernel shares a positive gradient so but gives a
    negative one whole to every tied element.

    >>> import chainrule as cr
    >>> data = cr.tensor([1.0, 2.0, 3.0, 4.0])
    >>> cr.segment_reduce(data, "sum", lengths=cr.tensor([1, 0, 3]))
    tensor([1., 0., 9.])
    """
    name = {"amax": "max", "amin": "min"}.get(reduce, reduce)
    if name not in _EMPTY_SEGMENT:
        raise RuntimeError(
            f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}"
        )
    if indices is not None:
        raise RuntimeError("segment_reduce(): indices based reduction is not supported yet.")
    if lengths is None and offsets is None:
        raise RuntimeError("segment_reduce(): Either lengths or offsets must be defined.")
    given = lengths if lengths is not None else offsets
    if axis % max(data.ndim, 1) != given.ndim - 1:
        raise RuntimeError(
            f"segment_reduce(): Expected axis to be the last dimension of lengths but got {axis}."
        )
    if given.ndim != 1:
        raise NotImplementedError("segment_reduce: only 1-d lengths or offsets are supported")
    if not data.dtype.is_floating_point:
        raise dtypes.not_implemented_for("_segment_reduce_cpu", data.dtype.dtype)
    bounds = [int(v) for v in given.tolist()]
    if lengths is not None:
        bounds = [0, *itertools.accumulate(bounds)]
    if not unsafe and bounds[-1] - bounds[0] != data.shape[axis]:
        raise RuntimeError(
            "segment_reduce(): Expected all rows of lengths along axis to sum to "
            "data.size(lengths.dim()-1) when !unsafe."
        )
    pieces = [
        _segment(data.narrow(axis, start, stop - start), name, axis, initial)
        for start, stop in itertools.pairwise(bounds)
    ]
    return shape.stack(pieces, axis)


def _segment(piece: Tensor, name: str, axis: int, initial: float | None) -> Tensor:
    """One segment reduced along ``axis``, with ``initial`` taking part."""
    if piece.shape[axis] == 0:
        value = _EMPTY_SEGMENT[name] if initial is None else initial
        dims = piece.shape[:axis] + piece.shape[axis + 1 :]
        return full(dims, value, dtype=piece.dtype)
    if name == "sum":
        out = piece.sum(axis)
        return out if initial is None else out + initial
    if name == "prod":
        out = piece.prod(axis)
        return out if initial is None else out * initial
    if name == "mean":
        total = piece.sum(axis) if initial is None else piece.sum(axis) + initial
        return total / piece.shape[axis]
    if name == "max":
        out = piece.amax(axis)
        return out if initial is None else elementwise.clamp_min(out, initial)
    out = piece.amin(axis)
    return out if initial is None else elementwise.clamp_max(out, initial)
