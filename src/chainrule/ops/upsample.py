"""Resizing, ``F.interpolate``: every output position reads the input at a source position
computed by PyTorch's formulas, so values and gradients are PyTorch's.

* ``nearest``: output ``i`` reads ``floor(i * scale)`` (``nearest-exact``: the nearest centre,
  ``floor((i + 0.5) * scale)``), clamped to the input;
* ``linear`` (3-D input), ``bilinear`` (4-D) and ``trilinear`` (5-D): the two neighbours of
  the source position ``(i + 0.5) * scale - 0.5`` (``i * (in - 1) / (out - 1)`` with
  ``align_corners=True``), weighted by their distance; the last dimension first, then the
  ones before, which is the order of PyTorch's sums;
* ``area``: adaptive average pooling;
* ``antialias=True`` (``bilinear`` and ``bicubic``): PyTorch's separable filters (a triangle,
  or Keys' cubic with ``A = -0.5``) centred at ``(i + 0.5) * scale``, stretched by the scale
  when shrinking so that every input pixel counts, their weights normalized: a product with a
  constant matrix along each dimension. PyTorch 2.13's forward kernel is wrong for an output
  one pixel wide that changes height (every row is its first; its gradient is right): here
  each row is its own.

``scale`` is ``1 / scale_factor`` when a scale factor is given (and not recomputed), else
``in / out``, computed in float32 for float32 input as PyTorch's kernels compute it (float64
for float64). The positions are PyTorch's; its kernels' sums of the weighted neighbours
differ from one another (small outputs and channels-last inputs take another kernel) in the
last bit, and so may these. Each mode is a composite: the reads are integer-array indexing,
whose gradient adds every read back where it came from, and the weights are constants.

    >>> import chainrule as cr
    >>> x = cr.tensor([[[1.0, 2.0, 4.0]]])
    >>> interpolate(x, scale_factor=2)
    tensor([[[1., 1., 2., 2., 4., 4.]]])
    >>> interpolate(x, size=5, mode="linear", align_corners=True)
    tensor([[[1.0000, 1.5000, 2.0000, 3.0000, 4.0000]]])
"""

from __future__ import annotations

import math
import warnings
from typing import Any

from chainrule import dtypes
from chainrule._array import xp
from chainrule.arguments import fits_int_list, int_window, no_overload
from chainrule.op import named, own_constants
from chainrule.ops import combinations
from chainrule.ops.adaptive_pool import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_avg_pool3d,
)
from chainrule.tensor import Tensor

_MODES = "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact"
_SPATIAL = {"linear": 1, "bilinear": 2, "trilinear": 3}  # the interpolating modes' dimensions


def _opmath(x: Tensor) -> Any:
    """The precision of PyTorch's index arithmetic for ``x``: float64 for float64, else
    float32."""
    return xp.float64 if x.dtype == xp.float64 else xp.float32


def _scale(size: int, out: int, factor: float | None, opmath: Any) -> Any:
    """PyTorch's ``compute_scales_value``: ``1 / scale_factor`` when one is given, else
    ``in / out``, in ``opmath``."""
    if factor is not None and factor > 0:
        return opmath(1.0 / factor)
    return opmath(size) / opmath(out)


def _nearest_index(size: int, out: int, factor: float | None, opmath: Any, exact: bool) -> Any:
    """The input position each of ``out`` positions reads: ``floor(i * scale)``, or with
    ``exact`` ``floor((i + 0.5) * scale)``, at most ``size - 1``."""
    scale = _scale(size, out, factor, opmath)
    i = xp.arange(out, dtype=opmath)
    if exact:
        source = xp.maximum(scale * (i + opmath(0.5)) - opmath(0.5), opmath(0)) + opmath(0.5)
    else:
        source = scale * i
    # PyTorch's floorf: the position rounded to float32 first, whatever the precision.
    return xp.minimum(xp.floor(source.astype(xp.float32)).astype(xp.int64), size - 1)


def _linear_weights(
    size: int, out: int, factor: float | None, align_corners: bool, opmath: Any
) -> tuple[Any, Any, Any, Any]:
    """Each output position's two neighbours in the input and their weights, ``(i0, i1, w0,
    w1)``, as PyTorch's ``compute_indices_weights_linear``."""
    i = xp.arange(out, dtype=opmath)
    if align_corners:
        scale = opmath(size - 1) / opmath(out - 1) if out > 1 else opmath(0)
        source = scale * i
    else:
        scale = _scale(size, out, factor, opmath)
        source = xp.maximum(scale * (i + opmath(0.5)) - opmath(0.5), opmath(0))
    i0 = xp.minimum(xp.floor(source.astype(xp.float32)).astype(xp.int64), size - 1)
    w1 = xp.clip(source - i0, 0, 1).astype(opmath)
    i1 = i0 + (i0 < size - 1)
    return i0, i1, opmath(1) - w1, w1


@own_constants  # the index, made from sizes (PyTorch's node keeps those)
def _read(x: Tensor, axis: int, index: Any) -> Tensor:
    """``x``'s elements at ``index`` along ``axis`` (the last, or one before it)."""
    return x[(Ellipsis, index) + (slice(None),) * (-1 - axis)]


def _along(axis: int, out: int) -> tuple[int, ...]:
    """The shape of ``out`` weights along ``axis`` that broadcast against the read."""
    return (out,) + (1,) * (-1 - axis)


@own_constants  # the weights, arrays made from sizes
def _lerp(x: Tensor, axis: int, out: int, factor: Any, align_corners: bool) -> Tensor:
    """``x`` resized to ``out`` along ``axis`` by linear interpolation:
    ``x[i0] * w0 + x[i1] * w1``, PyTorch's sum in its order."""
    i0, i1, w0, w1 = _linear_weights(x.shape[axis], out, factor, align_corners, _opmath(x))
    shape = _along(axis, out)
    near = w0.astype(x.dtype).reshape(shape)
    far = w1.astype(x.dtype).reshape(shape)
    return _read(x, axis, i0) * near + _read(x, axis, i1) * far


def _cubic_weights(
    size: int, out: int, factor: float | None, align_corners: bool, opmath: Any
) -> tuple[Any, Any]:
    """Each output position's four neighbours in the input (clamped to it) and their
    weights, ``(indices, weights)`` of shape (4, out): PyTorch's ``compute_indices_weights_
    cubic``, Keys' cubic convolution with ``A = -0.75`` at the source position ``i * scale``
    (``align_corners``) or ``(i + 0.5) * scale - 0.5``, not clamped at 0 as linear's is."""
    i = xp.arange(out, dtype=opmath)
    if align_corners:
        scale = opmath(size - 1) / opmath(out - 1) if out > 1 else opmath(0)
        source = scale * i
    else:
        source = _scale(size, out, factor, opmath) * (i + opmath(0.5)) - opmath(0.5)
    floor = xp.floor(source)
    t = (source - floor).astype(opmath)
    a, one = opmath(-0.75), opmath(1)

    def near(x: Any) -> Any:  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + one

    def far(x: Any) -> Any:  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    weights = xp.stack([far(t + one), near(t), near(one - t), far(one - t + one)])
    taps = floor.astype(xp.int64) + xp.arange(-1, 3)[:, None]
    return xp.clip(taps, 0, size - 1), weights


@own_constants  # the weights, arrays made from sizes
def _cubic(x: Tensor, axis: int, out: int, factor: Any, align_corners: bool) -> Tensor:
    """``x`` resized to ``out`` along ``axis`` by cubic convolution: four weighted reads,
    summed in PyTorch's order."""
    taps, weights = _cubic_weights(x.shape[axis], out, factor, align_corners, _opmath(x))
    shape = _along(axis, out)
    total = None
    for index, weight in zip(taps, weights, strict=True):
        term = _read(x, axis, index) * weight.astype(x.dtype).reshape(shape)
        total = term if total is None else total + term
    return total


def _triangle(d: Any) -> Any:
    """The linear filter of PyTorch's antialiased resize: ``1 - |d|`` within 1."""
    d = abs(d)
    return xp.where(d < 1, 1 - d, 0)


def _keys(d: Any) -> Any:
    """The cubic filter of PyTorch's antialiased resize: Keys' with ``A = -0.5`` (PIL's),
    not the -0.75 of its plain bicubic."""
    d, a = abs(d), d.dtype.type(-0.5)
    near = ((a + 2) * d - (a + 3)) * d * d + 1
    far = ((a * d - 5 * a) * d + 8 * a) * d - 4 * a
    return xp.where(d < 1, near, xp.where(d < 2, far, 0))


def _antialias_matrix(
    size: int, out: int, factor: float | None, align_corners: bool, cubic: bool, dtype: Any
) -> Any:
    """The (out, size) matrix of PyTorch's antialiased resize along one dimension
    (``_compute_index_ranges_weights`` with ``antialias``): output ``i`` centred at
    ``scale * (i + 0.5)`` in the input, its filter (two pixels wide, four for cubic)
    stretched by the scale when it shrinks, the weights of the pixels it covers normalized
    to sum to 1. Each step in PyTorch's precisions: the tensor's type where it stores a
    value, double where it mixes it with a double constant."""
    real = dtype.type
    if align_corners:
        scale = real(size - 1) / real(out - 1) if out > 1 else real(0)
    else:
        scale = _scale(size, out, factor, real)
    taps = 4 if cubic else 2
    support = real(taps * 0.5 * (float(scale) if scale >= 1 else 1.0))
    invscale = real(1.0 / float(scale)) if scale >= 1 else real(1)
    width = math.ceil(support) * 2 + 1
    center = (float(scale) * (xp.arange(out) + 0.5)).astype(dtype)
    # C++'s truncation of the window's ends; the sums before the 0.5 in the tensor's type
    low = xp.maximum(((center - support) + 0.5).astype(xp.int64), 0)
    high = xp.minimum(((center + support) + 0.5).astype(xp.int64), size)
    count = xp.clip(high - low, 0, width)
    j = xp.arange(width)
    offset = (j + low[:, None]).astype(dtype) - center[:, None]
    distance = ((offset.astype(xp.float64) + 0.5) * float(invscale)).astype(dtype)
    weights = xp.where(j < count[:, None], (_keys if cubic else _triangle)(distance), 0)
    total = xp.zeros(out, dtype)
    for column in weights.T:  # PyTorch's running sum, in its type
        total = (total + column).astype(dtype)
    weights = xp.where(
        total[:, None] != 0, weights / xp.where(total == 0, 1, total)[:, None], weights
    )
    matrix = xp.zeros((out, size + width), dtype)
    xp.put_along_axis(matrix, low[:, None] + j, weights.astype(dtype), axis=1)
    return matrix[:, :size]


@own_constants  # the matrix, made from sizes
def _antialiased(
    x: Tensor, axis: int, out: int, factor: Any, align_corners: bool, cubic: bool
) -> Tensor:
    """``x`` resized to ``out`` along ``axis`` (the last or the one before) by PyTorch's
    antialiased filter: a product with a constant matrix, whose gradient is its transpose."""
    if x.dtype not in (xp.float32, xp.float64):  # PyTorch's weights: float and double only
        raise dtypes.not_implemented_for("compute_index_ranges_weights", x.dtype)
    real = xp.dtype(_opmath(x))  # the tensor's own type, float or double
    matrix = _antialias_matrix(x.shape[axis], out, factor, align_corners, cubic, real)
    if axis == -1:
        return x @ xp.ascontiguousarray(matrix.T)
    return matrix @ x


def _sizes(input: Tensor, size: Any, scale_factor: Any, recompute: Any) -> tuple[Any, Any]:  # noqa: A002
    """PyTorch's reading of ``size`` and ``scale_factor``: the output's spatial sizes, and the
    scale factors the kernels use (None where the sizes alone define the scales)."""
    dims = input.ndim - 2
    spatial = list(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if recompute:
            raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
        if not isinstance(size, (list, tuple)):
            return [size] * dims, None
        if len(size) != dims:
            raise ValueError(
                "Input and output must have the same number of spatial dimensions, but got "
                f"input with spatial dimensions of {spatial} and output size of {size}. "
                "Please provide input tensor in (N, C, d1, d2, ...,dK) format and output size in "
                "(o1, o2, ...,oK) format."
            )
        if not all(_is_integer(n) for n in size):
            raise TypeError(
                "expected size to be one of int or Tuple[int] or Tuple[int, int] or "
                f"Tuple[int, int, int], but got size with types {[type(n) for n in size]}"
            )
        return list(size), None
    if scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    if not isinstance(scale_factor, (list, tuple)):
        factors = [scale_factor] * dims
    elif len(scale_factor) != dims:
        raise ValueError(
            "Input and scale_factor must have the same number of spatial dimensions, but got "
            f"input with spatial dimensions of {spatial} and scale_factor of shape "
            f"{scale_factor}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
            "scale_factor in (s1, s2, ...,sK) format."
        )
    else:
        factors = list(scale_factor)
    sizes = [int(n * f) for n, f in zip(spatial, factors, strict=True)]  # C++'s truncation
    return sizes, None if recompute else factors


def _is_integer(value: Any) -> bool:
    """PyTorch's ``_is_integer`` of F.interpolate's sizes: an int (a bool too: the kernel's
    parser refuses it), a NumPy integer, or a tensor not of floats."""
    if isinstance(value, (int, xp.integer)):
        return True
    return isinstance(value, Tensor) and not value.is_floating_point()


def _check_kernel_arguments(
    input: Tensor,  # noqa: A002
    mode: str,
    size: Any,
    sizes: list[Any],
    factors: Any,
    align_corners: Any,
) -> None:
    """The checks of PyTorch's upsampling kernel's parser, which F.interpolate calls with
    the output size (``size`` as given, or a list of it) or the scale factors: an output size
    of ints (not bools, floats), an ``align_corners`` of a bool. The kernel has two
    signatures, so PyTorch names the call that fits neither."""
    if mode == "area":  # (an adaptive average pooling, its own parser)
        return
    dims = input.ndim - 2
    kernel = (
        f"_upsample_nearest_exact{dims}d" if mode == "nearest-exact" else f"upsample_{mode}{dims}d"
    )
    given = None if size is None else (size if isinstance(size, (list, tuple)) else sizes)
    corners = (align_corners,) if mode not in ("nearest", "nearest-exact") else ()
    fits = given is None or fits_int_list(given, dims)
    if not fits or (corners and type(align_corners) is not bool):
        raise no_overload(kernel, (input, given, *corners, factors), {})
    if given is not None:
        int_window(given, dims, kernel, "output_size", 2)  # (a float past the first: refused)


def _check_sizes(input: Tensor, sizes: list[int]) -> None:  # noqa: A002
    """PyTorch's refusal of an empty plane or an empty output, naming both sizes."""
    spatial = input.shape[2:]
    if min(spatial) > 0 and min(sizes) > 0:
        if input.shape[1] == 0:
            raise RuntimeError(
                f"Non-empty {input.ndim}D data tensor expected but got a tensor with sizes "
                f"{list(input.shape)}"
            )
        return
    names = "HW"[-len(sizes) :] if len(sizes) < 3 else "DHW"
    have = ", ".join(f"{a}: {n}" for a, n in zip(names, spatial, strict=True))
    want = ", ".join(f"{a}: {n}" for a, n in zip(names, sizes, strict=True))
    joint = " and" if len(sizes) == 1 else ""
    raise RuntimeError(
        f"Input and output sizes should be greater than 0, but got input ({have}){joint} "
        f"output ({want})"
    )


def _check_dtype(input: Tensor, mode: str) -> None:  # noqa: A002
    """Floats, as PyTorch's kernels take (and uint8 for nearest, an exact read)."""
    if input.is_floating_point() or (input.dtype == xp.uint8 and "nearest" in mode):
        return
    kernel = "_upsample_nearest_exact" if mode == "nearest-exact" else f"upsample_{mode}"
    raise dtypes.not_implemented_for(f"{kernel}{input.ndim - 2}d", input.dtype)


def interpolate(
    input: Tensor,  # noqa: A002
    size: Any = None,
    scale_factor: Any = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> Tensor:
    """Resize the spatial dimensions (those after N and C) of ``input`` to ``size``, or by
    ``scale_factor``, with ``mode`` ``"nearest"``, ``"nearest-exact"``, ``"linear"``
    (3-D input), ``"bilinear"`` or ``"bicubic"`` (4-D), ``"trilinear"`` (5-D) or ``"area"``;
    ``antialias`` filters the bilinear and bicubic modes over the whole footprint of each
    output pixel when shrinking.

    >>> import chainrule as cr
    >>> interpolate(cr.tensor([[[[1.0, 2.0], [3.0, 4.0]]]]), size=3, mode="bilinear")
    tensor([[[[1.0000, 1.5000, 2.0000],
              [2.0000, 2.5000, 3.0000],
              [3.0000, 3.5000, 4.0000]]]])
    """
    interpolating = mode not in ("nearest", "area", "nearest-exact")
    if not interpolating and align_corners is not None:
        raise ValueError(
            "align_corners option can only be set with the interpolating modes: linear | "
            "bilinear | bicubic | trilinear"
        )
    # PyTorch's area mode computes its sizes from a scale factor, then pools to them.
    recompute = recompute_scale_factor or (mode == "area" and size is None)
    sizes, factors = _sizes(input, size, scale_factor, recompute)
    if interpolating and align_corners is None:
        align_corners = False  # (F.interpolate's default, passed to the kernel)
    _check_kernel_arguments(
        input, mode, size, sizes, None if factors is None else list(factors), align_corners
    )
    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and input.ndim == 4):
        raise ValueError(
            "Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and "
            "requires a 4-D tensor as input"
        )
    bicubic_not_4d = mode == "bicubic" and input.ndim != 4  # PyTorch's last resort, too
    if input.ndim not in (3, 4, 5) or mode not in _MODES.split(" | ") or bicubic_not_4d:
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for "
            f"the modes: {_MODES} (got {mode})"
        )
    if mode in _SPATIAL and _SPATIAL[mode] != input.ndim - 2:
        raise NotImplementedError(
            f"Got {input.ndim}D input, but {mode} mode needs {_SPATIAL[mode] + 2}D input"
        )
    if mode == "lanczos":
        raise NotImplementedError("interpolate: mode 'lanczos' is not supported")
    _check_dtype(input, mode)
    _check_sizes(input, sizes)
    if mode == "area":
        pool = {3: adaptive_avg_pool1d, 4: adaptive_avg_pool2d, 5: adaptive_avg_pool3d}
        return pool[input.ndim](input, sizes)
    factors = factors or [None] * len(sizes)

    def resized(out: Tensor) -> Tensor:
        # The last dimension first, then the ones before: PyTorch's order of the weighted sums
        # (trilinear's t0 * (h0 * (w0 * a + w1 * b) + h1 * (...)) + t1 * (...) too).
        for axis, n, factor in zip((-1, -2, -3), sizes[::-1], factors[::-1], strict=False):
            if n == input.shape[axis] and (interpolating or mode == "nearest" and input.ndim == 4):
                # PyTorch's kernels copy a dimension that keeps its size, whatever the scale
                # factor says (1-D nearest and nearest-exact do not: they read floor(i * scale)).
                continue
            if antialias:
                out = _antialiased(out, axis, n, factor, bool(align_corners), mode == "bicubic")
            elif mode == "bicubic":
                out = _cubic(out, axis, n, factor, bool(align_corners))
            elif interpolating:
                out = _lerp(out, axis, n, factor, bool(align_corners))
            elif mode == "nearest" and input.ndim == 4 and n == 2 * input.shape[axis]:
                # PyTorch's 2-D kernel reads i // 2 where a size doubles, whatever the scale
                # factor says (its nearest_idx; the 1-D and 3-D ones read floor(i * scale))
                out = _read(out, axis, xp.arange(n) // 2)
            else:
                exact = mode == "nearest-exact"
                index = _nearest_index(out.shape[axis], n, factor, _opmath(input), exact)
                out = _read(out, axis, index)
        return out

    # PyTorch's kernels weigh float16 in float32 over all dimensions at once: rounded once
    # (its antialiased filters refuse float16: _antialiased reads the dtype)
    fuses = interpolating and not antialias
    out = combinations.fused(resized, input) if fuses else resized(input)
    if out is input:  # the same size: a new tensor all the same, as PyTorch's (not an alias)
        out = input.clone()
    return named(out, _upsample_name(mode, input.ndim - 2, antialias))


def _upsample_name(mode: str, dims: int, antialias: bool) -> str:
    """PyTorch's node of an interpolation: its kernel's, ``UpsampleBilinear2DBackward0``."""
    kind = {"nearest-exact": "NearestExact", "bilinear": "Bilinear", "bicubic": "Bicubic"}
    name = f"Upsample{kind.get(mode, mode.capitalize())}{dims}D"
    return f"{name}AaBackward0" if antialias else f"{name}Backward0"


def _deprecated(name: str) -> None:
    warnings.warn(
        f"`nn.functional.{name}` is deprecated. Use `nn.functional.interpolate` instead.",
        stacklevel=3,
    )


def upsample(
    input: Tensor,  # noqa: A002
    size: Any = None,
    scale_factor: Any = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
) -> Tensor:
    """:func:`interpolate`'s old name, deprecated as in PyTorch (it warns)."""
    _deprecated("upsample")
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:  # noqa: A002
    """``interpolate(..., mode="nearest")``, deprecated as in PyTorch (it warns)."""
    _deprecated("upsample_nearest")
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:  # noqa: A002
    """``interpolate(..., mode="bilinear", align_corners=True)``, deprecated as in PyTorch."""
    _deprecated("upsample_bilinear")
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)
