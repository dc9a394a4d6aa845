"""PyTorch's assorted tensor math that course code calls: ``block_diag``, the trapezoid rule
(``trapezoid``, ``trapz``, ``cumulative_trapezoid``), ``ldexp`` and ``frexp``, ``vander``,
``renorm`` and ``unravel_index``. Each differentiable one is a composition of differentiable
ops in the order of PyTorch's kernel (``aten/src/ATen/native``), so values, vjp, jvp, second
derivatives and batching are theirs; ``unravel_index``'s indices carry no gradient.

    >>> import chainrule as cr
    >>> cr.trapezoid(cr.tensor([1.0, 5.0, 10.0]), dx=2)
    tensor(21.)
    >>> cr.block_diag(cr.tensor([[1, 2]]), cr.tensor(3))
    tensor([[1, 2, 0],
            [0, 0, 3]])
"""

from __future__ import annotations

import itertools
import math
import operator
from collections.abc import Sequence
from typing import Any

from chainrule import arguments, dtypes, linalg, return_types
from chainrule._array import xp
from chainrule.op import Constant, Op, own_constants
from chainrule.ops import elementwise, reduce, scans
from chainrule.ops.shape import cat, flip, pad
from chainrule.tensor import Tensor, _make


def block_diag(*tensors: Tensor) -> Tensor:
    """The tensors (0-d, 1-d as one row, or 2-d) as the blocks of a block-diagonal matrix,
    in their common dtype.

    >>> import chainrule as cr
    >>> cr.block_diag(cr.ones(1, 2), cr.tensor([3.0, 4.0]))
    tensor([[1., 1., 0., 0.],
            [0., 0., 3., 4.]])
    """
    if not tensors:
        return _make(xp.empty((1, 0), dtypes.default_float))
    for i, t in enumerate(tensors):
        if t.ndim > 2:
            raise RuntimeError(
                "torch.block_diag: Input tensors must have 2 or fewer dimensions. Input "
                f"{i} has {t.ndim} dimensions"
            )
    common = dtypes.torch_result_type(*tensors)  # reads dtypes and dimensions, not values
    blocks = [
        t.to(common).reshape(t.shape[0] if t.ndim == 2 else 1, t.shape[-1] if t.ndim else 1)
        for t in tensors
    ]
    width = sum(b.shape[1] for b in blocks)
    rows, left = [], 0
    for b in blocks:
        rows.append(pad(b, (left, width - left - b.shape[1])))
        left += b.shape[1]
    return cat(rows, 0)


# ---- the trapezoid rule
@own_constants  # dx and the halves: numbers PyTorch's composite keeps (sample points are saved)
def trapezoid(y: Tensor, x: Tensor | None = None, *, dx: Any = None, dim: int = -1) -> Tensor:
    """The trapezoid rule's integral of ``y`` along ``dim``: at sample points ``x`` (a 1-D
    tensor along ``dim``, or one that broadcasts with ``y``), or spaced ``dx`` apart (1 by
    default). No samples integrate to 0.

    >>> import chainrule as cr
    >>> cr.trapezoid(cr.tensor([1.0, 5.0, 10.0]), cr.tensor([1.0, 3.0, 6.0]))
    tensor(28.5000)
    """
    axis = _axis(y, x, dx, dim, "trapezoid")
    if y.shape[axis] == 0:
        return _make(xp.zeros(y.shape[:axis] + y.shape[axis + 1 :], y._data.dtype))
    if x is None:
        first, last = _along(y, axis, 0), _along(y, axis, -1)
        return (reduce.sum(y, axis) - (first + last) * 0.5) * _spacing(dx)
    return reduce.sum(_sides(y, axis) * _steps(y, x, axis, "trapezoid"), axis) / 2.0


def trapz(y: Tensor, x: Tensor | None = None, *, dx: Any = None, dim: int = -1) -> Tensor:
    """:func:`trapezoid` under its older name."""
    return trapezoid(y, x, dx=dx, dim=dim)


@own_constants  # as trapezoid
def cumulative_trapezoid(
    y: Tensor, x: Tensor | None = None, *, dx: Any = None, dim: int = -1
) -> Tensor:
    """The running integral of :func:`trapezoid`: one value per interval along ``dim``.

    >>> import chainrule as cr
    >>> cr.cumulative_trapezoid(cr.tensor([1.0, 5.0, 10.0]))
    tensor([ 3.0000, 10.5000])
    """
    axis = _axis(y, x, dx, dim, "cumulative_trapezoid")
    if x is None:
        return reduce.cumsum(_spacing(dx) / 2.0 * _sides(y, axis), axis)
    return reduce.cumsum(_sides(y, axis) * _steps(y, x, axis, "cumulative_trapezoid"), axis) / 2.0


def _axis(y: Tensor, x: Any, dx: Any, dim: int, op: str) -> int:
    """``dim`` as an axis of ``y``, once the arguments are checked as PyTorch checks them."""
    if x is not None and dx is not None:
        raise TypeError(f"{op}() received an invalid combination of arguments - got both x and dx")
    if isinstance(dx, bool):
        raise RuntimeError(f"{op}: Currently, we only support dx as a real number.")
    if y.ndim == 0:  # PyTorch first reads the size along dim (trapezoid) or slices along it
        if op == "trapezoid":
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        raise IndexError("slice() cannot be applied to a 0-dim tensor.")
    (axis,) = reduce.normalize_dims(dim, y.ndim, op)
    if y.dtype == dtypes.bool or (x is not None and x.dtype == dtypes.bool):
        which = "`y`" if x is None else "`x` or `y`"
        raise RuntimeError(f"{op}: received a bool input for {which}, but bool is not supported")
    return axis


def _spacing(dx: Any) -> float:
    return 1.0 if dx is None else float(dx)  # PyTorch's Scalar dx, read as a double


def _sides(y: Tensor, axis: int) -> Tensor:
    """``left + right``: each interval's two sample values, summed."""
    return _along(y, axis, slice(None, -1)) + _along(y, axis, slice(1, None))


def _along(t: Tensor, axis: int, index: Any) -> Tensor:
    return t[(slice(None),) * axis + (index,)]


def _steps(y: Tensor, x: Tensor, axis: int, op: str) -> Tensor:
    """The widths of the intervals: ``x``'s differences along ``axis``, where ``x`` is 1-D
    (one point per sample) or padded with leading 1s to ``y``'s dimensions."""
    if x.ndim == 1:
        if x.shape[0] != y.shape[axis]:
            raise RuntimeError(f"{op}: There must be one `x` value for each sample point")
        x = x.reshape([x.shape[0] if d == axis else 1 for d in range(y.ndim)])
    elif x.ndim < y.ndim:
        x = x.reshape((1,) * (y.ndim - x.ndim) + tuple(x.shape))
    return _along(x, axis, slice(1, None)) - _along(x, axis, slice(None, -1))


# ---- powers of two and of x
def ldexp(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """``input * 2 ** other``, as PyTorch computes it (so integer inputs give floats).

    >>> import chainrule as cr
    >>> cr.ldexp(cr.tensor([1.0, 3.0]), cr.tensor([3, -1]))
    tensor([8.0000, 1.5000])
    """
    if not isinstance(other, Tensor):
        raise TypeError(
            f"ldexp(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}"
        )
    from chainrule.settings import result_type

    out = result_type(input, other)
    if not out.is_floating_point:
        out = dtypes.public(dtypes.default_float)
    # 2 ** other in the result's dtype (float64's 2 ** 200 is no float32 inf), float16's in
    # float32 as PyTorch's kernels compute it (2 ** -30 is no float16 zero: inf * 0 was nan)
    compute = dtypes.float32 if out == dtypes.float16 else out
    return Ldexp()(input.to(compute), other.to(compute)).to(out)


class Ldexp(Op):
    """``a * 2 ** b``, ``a`` and ``b`` of one float dtype (:func:`ldexp` casts them). As
    PyTorch's node, it saves ``b`` and the output: ``a``'s gradient is ``g * 2 ** b``,
    ``b``'s ``g * out * log(2)``, so ``a`` may change in place after the forward and the
    output may not (as a product by ``2 ** b`` it was the other way round)."""

    batch_rule = elementwise.BROADCASTS
    vjp_broadcasts = True
    torch_name = "LdexpBackward0"
    notation = "a * 2**b"
    derivatives = ("2**b", "a * 2**b * log(2)")
    saves_output = True
    output_read_by = (False, True)
    reads = ((1,), ())

    def forward(self, a, b):
        return a * 2.0**b

    def vjp(self, g, out, a, b):
        return (
            g * 2.0**b if self.needs[0] else None,
            g * out * _LOG_2 if self.needs[1] else None,
        )

    def jvp(self, tangents, out, a, b):
        ta, tb = tangents
        da = None if ta is None else ta * 2.0**b
        db = None if tb is None else tb * out * _LOG_2
        return da if db is None else db if da is None else da + db


_LOG_2 = math.log(2.0)


def frexp(input: Tensor) -> Any:  # noqa: A002
    """``(mantissa, exponent)`` with ``input = mantissa * 2 ** exponent``, ``|mantissa|`` in
    [0.5, 1) (0, inf and NaN are their own mantissas, exponent 0); the exponent is int32.
    The mantissa's gradient is ``2 ** -exponent``, as PyTorch's.

    >>> import chainrule as cr
    >>> cr.frexp(cr.tensor([8.0, -0.75]))
    chainrule.return_types.frexp(
    mantissa=tensor([ 0.5000, -0.7500]),
    exponent=tensor([4, 0], dtype=chainrule.int32))
    """
    if not dtypes.is_floating(input.dtype):
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    exponent = Exponent()(input)
    # 2 ** -exponent in two exact halves: one power overflows float32 at both ends (the
    # smallest subnormal needs 2 ** 149, the largest floats 2 ** -128)
    half = (exponent // -2).to(input.dtype)
    rest = (-exponent).to(input.dtype) - half
    mantissa = input * elementwise.exp2(half) * elementwise.exp2(rest)
    return return_types.named("frexp", (mantissa, exponent))


class Exponent(Constant):
    """The binary exponent ``e`` of each element, ``x = m * 2 ** e`` with ``|m|`` in
    [0.5, 1) (0 for 0, inf and NaN), as int32: a step function, with no gradient."""

    notation = "exponent(x)"
    derivatives = ("-",)
    batch_rule = elementwise.BROADCASTS

    def forward(self, x):
        return xp.frexp(x)[1].astype(xp.int32)


def vander(x: Tensor, N: int | None = None, increasing: bool = False) -> Tensor:  # noqa: N803
    """The Vandermonde matrix of the 1-D ``x``: columns ``x ** (N - 1)`` down to ``x ** 0``
    (up, with ``increasing``), ``N`` columns (``len(x)`` by default); integer and bool ``x``
    give int64, as PyTorch's running product does.

    >>> import chainrule as cr
    >>> cr.vander(cr.tensor([1, 2, 3]), N=3)
    tensor([[1, 1, 1],
            [4, 2, 1],
            [9, 3, 1]])
    """
    if type(increasing) is not bool:  # (1 was read by its truth)
        arguments.boolean(increasing, "vander", "increasing", None)
    if x.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x.shape[0] if N is None else N
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    out_dtype = xp.dtype(x.dtype.name if dtypes.is_floating(x.dtype) else "int64")
    ones = _make(xp.ones((x.shape[0], min(n, 1)), out_dtype))
    if n <= 1:
        result = ones
    else:
        powers = scans.cumprod(x.to(out_dtype).unsqueeze(1).expand(x.shape[0], n - 1), 1)
        result = cat([ones, powers], 1)
    return result if increasing else flip(result, (1,))


def renorm(input: Tensor, p: float, dim: int, maxnorm: float) -> Tensor:  # noqa: A002
    """``input`` with each slice along ``dim`` whose ``p``-norm exceeds ``maxnorm`` scaled
    to norm ``maxnorm`` (by ``maxnorm / (norm + 1e-7)``, as PyTorch), the others as they are.

    >>> import chainrule as cr
    >>> cr.renorm(cr.tensor([[3.0, 4.0], [0.3, 0.4]]), 2, 0, 1.0)
    tensor([[0.6000, 0.8000],
            [0.3000, 0.4000]])
    """
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm:g}")
    if input.ndim <= 1:
        raise RuntimeError(
            f"renorm: input needs at least 2 dimensions, got {input.ndim} dimensions"
        )
    (axis,) = reduce.normalize_dims(dim, input.ndim, "renorm")
    others = tuple(d for d in range(input.ndim) if d != axis)
    # float16's norm and factor in float32, the factor rounded to float16, as PyTorch's (in
    # float16 the unused branch's derivative overflowed at a tiny norm: 0 * inf, a NaN)
    wide = input.float() if input.dtype == dtypes.float16 else input
    norm = linalg.vector_norm(wide, p, others, keepdim=True)
    factor = elementwise.where(norm > maxnorm, maxnorm / (norm + 1e-7), 1.0)
    return (input * factor.to(input.dtype)).contiguous()  # row-major, as PyTorch's kernel


def unravel_index(indices: Tensor, shape: int | Sequence[int]) -> tuple[Tensor, ...]:  # noqa: A002
    """The coordinates, one tensor per dimension of ``shape``, of the flat ``indices`` into a
    tensor of that shape (taken modulo its size, as PyTorch's arithmetic does).

    >>> import chainrule as cr
    >>> cr.unravel_index(cr.tensor([4, 1]), (2, 3))
    (tensor([1, 0]), tensor([1, 1]))
    """
    if dtypes.is_floating(indices.dtype) or indices.dtype == dtypes.bool:
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    sizes = (shape,) if isinstance(shape, int) else tuple(shape)
    for s in sizes:
        if not isinstance(s, int):
            raise TypeError(f"expected 'shape' sequence to only contain ints, but got {type(s)}")
    if any(s < 0 for s in sizes):
        raise ValueError(f"'shape' cannot have negative values, but got {sizes}")
    if 0 in sizes and indices.numel():
        raise RuntimeError("ZeroDivisionError")  # PyTorch's integer division by a size of 0
    strides = list(itertools.accumulate(reversed((*sizes[1:], 1)), operator.mul))[::-1]
    flat = indices._data.astype(xp.int64)[..., None]
    coordinates = flat // xp.asarray(strides, xp.int64) % xp.asarray(sizes, xp.int64)
    return tuple(_make(coordinates[..., i].copy()) for i in range(len(sizes)))
