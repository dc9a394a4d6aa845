"""1-D and 3-D pooling, over (N, C, L) sequences and (N, C, D, H, W) volumes, max unpooling
and power-average (LP) pooling.

A 1-D pooling is the 2-D one of height-1 images: ``max_pool1d`` and ``avg_pool1d`` call
:func:`max_pool2d` and :func:`avg_pool2d` on ``input.unsqueeze(-2)``, so they share those
ops' rules, values and index conventions (a flat index in an (1, L) plane is the position).

``max_unpool2d`` is max pooling's partial inverse: each value back at its index in a zero
plane. Its own op, :class:`MaxUnpool2D`, since it is linear in the values with the indices as a
setting: the gradient is the output gradient read at the indices (PyTorch's, a gather).

    >>> import chainrule as cr
    >>> x = cr.tensor([[[1.0, 3.0, 2.0, 5.0, 4.0]]])
    >>> values, indices = max_pool1d(x, 2, return_indices=True)
    >>> values, indices
    (tensor([[[3., 5.]]]), tensor([[[1, 3]]]))
    >>> max_unpool1d(values, indices, 2)
    tensor([[[0., 3., 0., 5.]]])
"""

from __future__ import annotations

import math
from typing import Any

from chainrule import dtypes
from chainrule._array import xp
from chainrule.arguments import boolean, int_window, mistyped
from chainrule.op import Linear, inputs, named
from chainrule.ops import dual
from chainrule.ops.conv import (
    avg_pool2d,
    check_average_flags,
    check_windows_reach_input,
    integer_average,
    max_pool2d,
    pool_windows,
    pooled_length,
)
from chainrule.ops.fold import as_tuple
from chainrule.tensor import Tensor


def _check_sequence(input: Tensor, op: str) -> None:  # noqa: A002
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"{op}: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for "
            f"input, but got:{list(input.shape)}"
        )


def max_pool1d(
    input: Tensor,  # noqa: A002
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """The maximum of each ``kernel_size`` window of an (N, C, L) or (C, L) ``input``;
    ``stride`` defaults to the kernel size. With ``return_indices`` also each maximum's
    position along L.

    >>> import chainrule as cr
    >>> max_pool1d(cr.tensor([[1.0, 4.0, 2.0, 3.0]]), 2, stride=1)
    tensor([[4., 4., 3.]])
    """
    # PyTorch's F.max_pool1d passes its arguments on by position, to the op of indices too
    op = "max_pool1d_with_indices" if return_indices else "max_pool1d"
    windows = pool_windows(op, 1, kernel_size, stride, padding, dilation)
    if type(ceil_mode) is not bool:
        boolean(ceil_mode, op, "ceil_mode", 6)
    _check_sequence(input, "max_pool1d")
    dtypes.check_float_kernel(input.dtype.dtype, "max_pool1d_impl")
    kernel, step, pad, spread = ((1, n) for (n,) in windows)  # as 2-D windows one high
    if not return_indices:  # PyTorch's max_pool1d checks; with indices, max_pool2d's
        _check_max_pool1d(input.shape[-1], kernel[1], step[1], pad[1], spread[1], ceil_mode)
    length = pooled_length(input.shape[-1], kernel[1], pad[1], step[1], spread[1], ceil_mode)
    if length > 0:  # else max_pool2d refuses it as PyTorch does
        (n,), k, s, p, d = input.shape[-1:], kernel[1:], step[1:], pad[1:], spread[1:]
        check_windows_reach_input("max_pool1d", (n,), k, s, p, d, (length,))
    out = max_pool2d(
        input.unsqueeze(-2), kernel, step, (0, pad[1]), spread, ceil_mode, return_indices
    )
    if return_indices:
        return out[0].squeeze(-2), out[1].squeeze(-2)
    return out.squeeze(-2)


def _check_max_pool1d(n: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> None:
    """PyTorch's ``check_max_pool1d``, its order and messages."""
    if k < 1:
        raise RuntimeError(f"max_pool1d() kernel_size must be greater than zero, but got {k}")
    if s < 1:
        raise RuntimeError(f"max_pool1d() stride must be greater than zero, but got {s}")
    if p < 0:
        raise RuntimeError(f"max_pool1d() padding must be non-negative, but got {p}")
    if p > k // 2:
        raise RuntimeError(
            "max_pool1d() padding should be at most half of kernel size, but got "
            f"padding={p} and kernel_size={k}"
        )
    if d < 1:
        raise RuntimeError(f"max_pool1d() dilation must be greater than zero, but got {d}")
    length = pooled_length(n, k, p, s, d, ceil_mode)
    if length < 1:
        raise RuntimeError(f"max_pool1d() Invalid computed output size: {length}")


def max_pool1d_with_indices(
    input: Tensor,  # noqa: A002
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> tuple[Tensor, Tensor]:
    """:func:`max_pool1d`'s values and indices, whatever ``return_indices`` says."""
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def avg_pool1d(
    input: Tensor,  # noqa: A002
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """The mean of each ``kernel_size`` window of an (N, C, L) or (C, L) ``input``.

    >>> import chainrule as cr
    >>> avg_pool1d(cr.tensor([[1.0, 2.0, 3.0, 5.0]]), 2)
    tensor([[1.5000, 4.0000]])
    """
    windows = pool_windows("avg_pool1d", 1, kernel_size, stride, padding)
    check_average_flags("avg_pool1d", ceil_mode, count_include_pad)
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"Expected 2 to 3 dimensions, but got {input.ndim}-dimensional tensor for argument "
            "#1 'self' (while checking arguments for avg_pool1d)"
        )
    kernel, step, pad = ((1, n) for (n,) in windows[:3])
    pad = (0, pad[1])
    out = avg_pool2d(input.unsqueeze(-2), kernel, step, pad, ceil_mode, count_include_pad)
    return out.squeeze(-2)


# ----------------------------------------------------------------------------- unpooling
def _unpool_batch(op: Any, values: list[Any], batched: list[bool], size: int) -> Tensor:
    """vmap's rule: the examples' planes join the op's own batch, values and indices alike
    (either one unbatched is the same for every example)."""
    x, indices = (
        v if b else v.unsqueeze(0).expand((size, *v.shape))
        for v, b in zip(values, batched, strict=True)
    )
    n = x.shape[1]
    out = op(x.reshape((size * n, *x.shape[2:])), indices.reshape((size * n, *indices.shape[2:])))
    return out.reshape((size, n, *out.shape[1:]))


class MaxUnpool2D(Linear):
    """Each (N, C, h, w) value put at its index (flat, in its plane) in (N, C, H, W) zeros:
    linear in the values; the indices, int64, are a setting with no gradient. A ``size`` of
    three, (D, H, W), unpools volumes alike (the index flat in the volume)."""

    notation = "zeros with x placed at indices"
    derivatives = ("g read at the indices", "-")
    batch_rule = staticmethod(_unpool_batch)
    hook_inputs = inputs(0)  # PyTorch's node takes x alone (see op.HookInputs)
    # x's gradient reads the indices, not x (its shape only): x may change in place after
    # the forward, as in PyTorch, whose node keeps the indices alone
    reads = ((1,), ())

    def __init__(self, size: tuple[int, ...]) -> None:
        self.size = size

    def forward(self, x, indices):
        # Checked here, not before the op: a compiled replay checks each call's indices too.
        bad = (indices < 0) | (indices >= math.prod(self.size))
        if bad.any():
            raise RuntimeError(
                f"Found an invalid max index: {indices[bad].ravel()[0]} (output volumes are of "
                f"size {'x'.join(map(str, self.size))})"
            )
        flat = (*x.shape[:2], math.prod(x.shape[2:]))  # (not -1: an empty batch has no -1)
        out = xp.zeros((*x.shape[:2], math.prod(self.size)), dtype=x.dtype)
        xp.put_along_axis(out, indices.reshape(flat), x.reshape(flat), axis=2)
        return out.reshape(*x.shape[:2], *self.size)

    def vjp(self, g, out, x, indices):
        flat = indices.reshape(*x.shape[:2], math.prod(x.shape[2:]))  # (not -1: n may be 0)
        g = g.reshape(*g.shape[:2], math.prod(self.size))
        return dual.gather_along(g, flat, 2).reshape(x.shape), None


def _unpool_size(
    input: Tensor,  # noqa: A002
    kernel_size: Any,
    stride: Any,
    padding: Any,
    output_size: Any,
    dims: int,
    op: str,
) -> tuple[int, ...]:
    """PyTorch's output size: ``(in - 1) * stride + kernel - 2 * padding`` per dimension, or
    ``output_size`` (its last dimensions), which must lie strictly within a stride of that.
    PyTorch computes it in Python from the settings as given, then passes it to ``op``,
    which reads it as a list of ints (a float kernel makes a float size, refused there)."""
    planes = op == "max_unpool2d" and dims == 1  # PyTorch unpools (L, 1) planes
    kernel = as_tuple(kernel_size, dims)
    stride = kernel if stride is None else as_tuple(stride, dims)
    padding = as_tuple(padding, dims)
    dims = len(kernel)  # (PyTorch's loops run over the kernel's length, whatever it is)
    default = tuple(
        (input.shape[input.ndim - dims + d] - 1) * stride[d] + kernel[d] - 2 * padding[d]
        for d in range(dims)
    )
    asked = default if output_size is None else _asked_size(output_size, default, stride, dims)
    for d in range(dims):
        if asked[d] < 0:
            raise ValueError(
                "max_unpooling: output_size must contain non-negative spatial dimensions, but "
                f"got output_size[{d}]={asked[d]}"
            )
    # PyTorch's 1-D unpooling is its 2-D one of (L, 1) planes: it passes the size with a 1
    sizes = int_window(asked + (1,) * planes, 0, op, "output_size", 3)
    if op == "max_unpool2d" and len(sizes) != 2:
        raise RuntimeError(
            "There should be exactly two elements (height, width) in output_size, but got "
            f"{len(sizes)} elements."
        )
    if op == "max_unpool3d" and len(sizes) != 3:
        raise RuntimeError(
            "There should be exactly three elements (depth, height, width) in output_size, but "
            f"got {len(sizes)} elements."
        )
    return sizes[:dims]


def _asked_size(
    output_size: Any, default: tuple[Any, ...], stride: tuple[Any, ...], dims: int
) -> tuple[Any, ...]:
    """``output_size`` checked against the default size, PyTorch's checks and messages."""
    asked = tuple(output_size)
    if len(asked) == dims + 2:
        asked = asked[2:]
    if len(asked) != dims:
        raise ValueError(
            f"output_size should be a sequence containing {dims} or {dims + 2} elements, but it "
            f"has a length of '{len(asked)}'"
        )
    for d in range(dims):
        low, high = default[d] - stride[d], default[d] + stride[d]
        if not low < asked[d] < high:
            raise ValueError(
                f'invalid output_size "{output_size}" (dim {d} must be between {low} and {high})'
            )
    return asked


def _check_indices(input: Tensor, indices: Tensor, named: bool = True) -> None:  # noqa: A002
    """PyTorch's checks of unpooling indices: int64 (the 2-D message names the dtype given,
    the 3-D one does not) and the values' shape."""
    if indices.dtype != xp.int64:
        name = f" but got: {dtypes.scalar_type_name(indices.dtype)}" if named else ""
        raise RuntimeError(f"elements in indices should be type int64{name}")
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(
            "Expected shape of indices to be same as that of the input tensor "
            f"({list(input.shape)}) but got indices tensor with shape: {list(indices.shape)}"
        )


def _unpool(input: Tensor, indices: Tensor, size: tuple[int, int]) -> Tensor:  # noqa: A002
    """PyTorch's checks, then :class:`MaxUnpool2D` of a (C, h, w) or (N, C, h, w) input."""
    if input.ndim not in (3, 4):
        raise RuntimeError(
            "Input to max_unpooling2d should be a 3d or 4d Tensor, but got a tensor with "
            f"{input.ndim} dimensions."
        )
    _check_indices(input, indices)
    if input.ndim == 3:
        return MaxUnpool2D(size)(input.unsqueeze(0), indices.unsqueeze(0)).squeeze(0)
    return MaxUnpool2D(size)(input, indices)


def max_unpool2d(
    input: Tensor,  # noqa: A002
    indices: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    output_size: Any = None,
) -> Tensor:
    """:func:`max_pool2d`'s partial inverse: each value at its ``indices`` (from
    ``return_indices=True``), zeros elsewhere, in planes of the pooling's input size (or
    ``output_size``, which tells apart the sizes that pool alike).

    >>> import chainrule as cr
    >>> values, indices = max_pool2d(cr.arange(16.0).reshape(1, 1, 4, 4), 2, return_indices=True)
    >>> max_unpool2d(values, indices, 2)[0, 0]
    tensor([[ 0.,  0.,  0.,  0.],
            [ 0.,  5.,  0.,  7.],
            [ 0.,  0.,  0.,  0.],
            [ 0., 13.,  0., 15.]])
    """
    size = _unpool_size(input, kernel_size, stride, padding, output_size, 2, "max_unpool2d")
    return _unpool(input, indices, size)  # type: ignore[arg-type]


def max_unpool1d(
    input: Tensor,  # noqa: A002
    indices: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    output_size: Any = None,
) -> Tensor:
    """:func:`max_pool1d`'s partial inverse, over (N, C, L) or (C, L) sequences: PyTorch
    unpools (L, 1) planes, as here."""
    (length,) = _unpool_size(input, kernel_size, stride, padding, output_size, 1, "max_unpool2d")
    return _unpool(input.unsqueeze(-1), indices.unsqueeze(-1), (length, 1)).squeeze(-1)


# ----------------------------------------------------------------------------- three dimensions
# A window over (D, H, W) is a window over (H, W) of each depth slice, then a window over the
# depth of those: the maximum and the sum are separable. So the 3-D poolings are two 2-D ones,
# over the (H, W) planes and then over depth (the (D, Ho * Wo) plane with windows one wide),
# and share their rules. Ties and nans pick what PyTorch's row-major scan picks: the first
# maximum of the first depth that has it, the last nan of the last depth that has one. The
# divisor of a 3-D window, a product of its extents (or of its real elements'), is the product
# of the two poolings' divisors.
Triple = tuple[int, int, int]


def _pooled_volume(input: Tensor) -> tuple[Tensor, bool]:  # noqa: A002
    """``input`` as (N, C, D, H, W), and whether it came as one unbatched (C, D, H, W)."""
    if input.ndim not in (4, 5) or 0 in input.shape[-4:]:
        raise RuntimeError("non-empty 4D or 5D (batch mode) tensor expected for input")
    return (input.unsqueeze(0), True) if input.ndim == 4 else (input, False)


def _volume_windows(
    input: Tensor,  # noqa: A002
    kernel_size: Any,
    stride: Any,
    padding: Any,
    dilation: Any,
    ceil_mode: bool,
    op: str,
    name: str = "",
) -> tuple[Triple, Triple, Triple, Triple]:
    """A 3-D pooling's kernel, stride (the kernel when omitted or empty), padding and
    dilation, with PyTorch's checks and messages, in PyTorch's order."""
    # read under the name of the op PyTorch calls: max_pool3d's of indices has its own
    kernel, step, pad, spread = pool_windows(name or op, 3, kernel_size, stride, padding, dilation)
    if min(step) == 0 or min(kernel) == 0:
        raise RuntimeError("stride should not be zero")
    if min(kernel) < 0:
        raise RuntimeError(
            "kernel size should be greater than zero, but got kT: {} kH: {} kW: {}".format(*kernel)
        )
    if min(step) < 0:
        raise RuntimeError(
            "stride should be greater than zero, but got dT: {} dH: {} dW: {}".format(*step)
        )
    if min(spread) < 1:
        raise RuntimeError(
            "dilation should be greater than zero, but got dilationT: {} dilationH: {} "
            "dilationW: {}".format(*spread)
        )
    if min(pad) < 0:
        raise RuntimeError(f"pad must be non-negative, but got pad: {min(pad)}")
    for p, k, d in zip(pad, kernel, spread, strict=True):
        if p > (d * (k - 1) + 1) // 2:
            raise RuntimeError(
                "pad should be at most half of effective kernel size, but got "
                f"pad={p}, kernel_size={k} and dilation={d}"
            )
    if any(p > k // 2 for p, k in zip(pad, kernel, strict=True)):
        (kt, kh, kw), (pt, ph, pw) = kernel, pad
        raise RuntimeError(
            "pad should be smaller than or equal to half of kernel size, but got "
            f"kT: {kt} kW: {kw} kH: {kh} padT: {pt} padW: {pw} padH: {ph}"
        )
    sizes = tuple(input.shape[-3:])
    out = []
    for n, k, s, p, d in zip(sizes, kernel, step, pad, spread, strict=True):
        length = (n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
        if ceil_mode and (length - 1) * s >= n + p:  # the last window would start in padding
            length -= 1
        out.append(length)
    if min(out) < 1:
        if op == "avg_pool3d":
            raise RuntimeError(
                "input image (T: {} H: {} W: {}) smaller than kernel size (kT: {} kH: {} "
                "kW: {})".format(*sizes, *kernel)
            )
        raise RuntimeError(
            f"Given input size: ({input.shape[-4]}x{'x'.join(map(str, sizes))}). Calculated "
            f"output size: ({input.shape[-4]}x{'x'.join(map(str, out))}). Output size is too small"
        )
    if op == "max_pool3d":
        check_windows_reach_input(op, sizes, kernel, step, pad, spread, out)
    return kernel, step, pad, spread


def max_pool3d(
    input: Tensor,  # noqa: A002
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """The maximum of each ``kernel_size`` window of an (N, C, D, H, W) or (C, D, H, W)
    ``input``; ``stride`` defaults to the kernel size. With ``return_indices`` also each
    maximum's flat position in its input's (D, H, W) volume (what :func:`max_unpool3d` takes).

    >>> import chainrule as cr
    >>> max_pool3d(cr.arange(8.0).reshape(1, 2, 2, 2), 2, return_indices=True)
    (tensor([[[[7.]]]]), tensor([[[[7]]]]))
    """
    name = "max_pool3d_with_indices" if return_indices else "max_pool3d"
    if type(ceil_mode) is not bool:
        boolean(ceil_mode, name, "ceil_mode", 6)
    volume, unbatched = _pooled_volume(input)
    kernel, step, pad, spread = _volume_windows(
        volume, kernel_size, stride, padding, dilation, ceil_mode, "max_pool3d", name
    )
    n, c, d, h, w = volume.shape
    planes = max_pool2d(
        volume.reshape(n, c * d, h, w),
        kernel[1:],
        step[1:],
        pad[1:],
        spread[1:],
        ceil_mode,
        return_indices,
    )
    planes, at = planes if return_indices else (planes, None)
    ho, wo = planes.shape[2:]
    depth = max_pool2d(
        planes.reshape(n, c, d, ho * wo),
        (kernel[0], 1),
        (step[0], 1),
        (pad[0], 0),
        (spread[0], 1),
        ceil_mode,
        return_indices,
    )
    depth, where = depth if return_indices else (depth, None)
    out = depth.reshape(n, c, depth.shape[2], ho, wo)
    if not return_indices:
        return out.squeeze(0) if unbatched else out
    depths = [
        range(o * step[0] - pad[0], o * step[0] - pad[0] + kernel[0] * spread[0], spread[0])
        for o in range(out.shape[2])
    ]
    at, where = at.reshape(n * c, d, ho * wo), where.reshape(n * c, out.shape[2], ho * wo)
    indices = volume_indices(at, where, depths, h * w)
    indices = indices.reshape(out.shape)
    return (out.squeeze(0), indices.squeeze(0)) if unbatched else (out, indices)


def volume_indices(at: Tensor, where: Tensor, depths: list[range], plane: int) -> Tensor:
    """The flat (D, H, W) index of each 3-D window's maximum, from the planes' maxima ``at``
    (M, D, cells), their plane index, and the depth pooling's ``where`` (M, Do, cells), each
    ``z * cells + cell`` for the winning depth ``z``; ``depths[o]``: the depths window ``o``
    reads. ``at`` is read at z as a sum over the window's depths of ``at`` where z is that
    depth, not as a gather: a gather reads the index's values, which a compiled step could
    not replay."""
    z = where // where.shape[-1]
    picked = None
    for j in range(max(len(r) for r in depths)):
        # The j-th depth of every window; -1 where it has none or it lies in the padding
        column = [r[j] if j < len(r) and 0 <= r[j] < at.shape[1] else -1 for r in depths]
        term = (z == Tensor(column).long().reshape(-1, 1)) * at[:, [max(i, 0) for i in column]]
        picked = term if picked is None else picked + term
    return z * plane + picked


def max_pool3d_with_indices(
    input: Tensor,  # noqa: A002
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> tuple[Tensor, Tensor]:
    """:func:`max_pool3d`'s values and indices, whatever ``return_indices`` says."""
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def avg_pool3d(
    input: Tensor,  # noqa: A002
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """The mean of each ``kernel_size`` window of an (N, C, D, H, W) or (C, D, H, W)
    ``input`` (the sum over ``divisor_override``, when given).

    >>> import chainrule as cr
    >>> avg_pool3d(cr.arange(8.0).reshape(1, 2, 2, 2), 2)
    tensor([[[[3.5000]]]])
    """
    divisor_override = check_average_flags(
        "avg_pool3d", ceil_mode, count_include_pad, divisor_override
    )
    volume, unbatched = _pooled_volume(input)
    kernel, step, pad, _ = _volume_windows(
        volume, kernel_size, stride, padding, 1, ceil_mode, "avg_pool3d"
    )
    dtypes.refuse_half(input.dtype, "avg_pool3d_out_frame")
    if input.dtype.kind in "biu":
        return integer_average(
            input,
            "avg_pool3d_out_frame",
            lambda x: avg_pool3d(
                x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
            ),
        )
    n, c, d, h, w = volume.shape
    if d < kernel[0] or h < kernel[1] or w < kernel[2]:  # PyTorch's check, padding aside
        raise RuntimeError(
            f"input image (T: {d} H: {h} W: {w}) smaller than kernel size (kT: {kernel[0]} "
            f"kH: {kernel[1]} kW: {kernel[2]})"
        )
    # With divisor_override, the planes' sums (divided by 1), then the volume's by it.
    planes = avg_pool2d(
        volume.reshape(n, c * d, h, w),
        kernel[1:],
        step[1:],
        pad[1:],
        ceil_mode,
        count_include_pad,
        None if divisor_override is None else 1,
    )
    ho, wo = planes.shape[2:]
    depth = avg_pool2d(
        planes.reshape(n, c, d, ho * wo),
        (kernel[0], 1),
        (step[0], 1),
        (pad[0], 0),
        ceil_mode,
        count_include_pad,
        divisor_override,
    )
    out = named(depth.reshape(n, c, depth.shape[2], ho, wo), "AvgPool3DBackward0")
    return out.squeeze(0) if unbatched else out


def max_unpool3d(
    input: Tensor,  # noqa: A002
    indices: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    output_size: Any = None,
) -> Tensor:
    """:func:`max_pool3d`'s partial inverse: each value at its ``indices`` (flat in the
    (D, H, W) volume), zeros elsewhere, in volumes of the pooling's input size (or
    ``output_size``).

    >>> import chainrule as cr
    >>> values, indices = max_pool3d(cr.arange(8.0).reshape(1, 2, 2, 2), 2, return_indices=True)
    >>> max_unpool3d(values, indices, 2).flatten().tolist()
    [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 7.0]
    """
    size = _unpool_size(input, kernel_size, stride, padding, output_size, 3, "max_unpool3d")
    # PyTorch's max_unpool3d op takes the stride and padding too, and reads them as its own
    for position, (name, value) in enumerate((("stride", stride), ("padding", padding)), 4):
        given = as_tuple(kernel_size if value is None else value, 3)
        values = int_window(given, 3, "max_unpool3d", name, position)
        if len(values) != 3:
            raise RuntimeError(
                f"There should be exactly three elements (depth, height, width) in {name}, but "
                f"got: {len(values)} elements."
            )
    if input.ndim not in (4, 5):
        raise RuntimeError(
            "Input to max_unpooling3d should be a 4d or 5d Tensor, but got a tensor with "
            f"{input.ndim} dimensions."
        )
    _check_indices(input, indices, named=False)
    if input.ndim == 4:
        return MaxUnpool2D(size)(input.unsqueeze(0), indices.unsqueeze(0)).squeeze(0)
    return MaxUnpool2D(size)(input, indices)


# ----------------------------------------------------------------------------- power-average
def lp_pool1d(
    input: Tensor,  # noqa: A002
    norm_type: float,
    kernel_size: int,
    stride: Any = None,
    ceil_mode: bool = False,
) -> Tensor:
    """The ``norm_type``-norm of each window, PyTorch's formula: ``(sum of x ** p) ** (1 / p)``,
    the sum the window's mean times its size, a negative sum taken as 0 (so an odd ``p``
    over negative inputs gives 0, not nan); a ``norm_type`` of infinity (minus infinity) the
    largest (smallest) ``|x|``.

    >>> import chainrule as cr
    >>> lp_pool1d(cr.tensor([[3.0, 4.0, 1.0, 1.0]]), 2, 2)
    tensor([[5.0000, 1.4142]])
    """
    if abs(norm_type) == math.inf:
        return _extreme_norm(max_pool1d, input, norm_type, kernel_size, stride, ceil_mode)
    out = avg_pool1d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    if isinstance(kernel_size, (tuple, list)):  # PyTorch multiplies by it: a number only
        raise mistyped("mul", "other", 1, "Tensor", kernel_size)
    return _root(out, kernel_size, norm_type)


def lp_pool2d(
    input: Tensor,  # noqa: A002
    norm_type: float,
    kernel_size: Any,
    stride: Any = None,
    ceil_mode: bool = False,
) -> Tensor:
    """:func:`lp_pool1d` over the (H, W) windows of an (N, C, H, W) or (C, H, W) ``input``."""
    kh, kw = as_tuple(kernel_size, 2)  # PyTorch's unpacking (a 1-list, a 0-d tensor fail)
    if abs(norm_type) == math.inf:
        return _extreme_norm(max_pool2d, input, norm_type, kernel_size, stride, ceil_mode)
    out = avg_pool2d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return _root(out, kh * kw, norm_type)


def lp_pool3d(
    input: Tensor,  # noqa: A002
    norm_type: float,
    kernel_size: Any,
    stride: Any = None,
    ceil_mode: bool = False,
) -> Tensor:
    """:func:`lp_pool1d` over the (D, H, W) windows of an (N, C, D, H, W) or (C, D, H, W)
    ``input``."""
    kd, kh, kw = as_tuple(kernel_size, 3)  # PyTorch's unpacking (a 1-list, a 0-d tensor fail)
    if abs(norm_type) == math.inf:
        return _extreme_norm(max_pool3d, input, norm_type, kernel_size, stride, ceil_mode)
    out = avg_pool3d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return _root(out, kd * kh * kw, norm_type)


def _extreme_norm(
    pool: Any,
    input: Tensor,  # noqa: A002
    norm_type: float,
    kernel_size: Any,
    stride: Any,
    ceil_mode: bool,
) -> Tensor:
    """PyTorch's ``norm_type`` of plus or minus infinity: the largest (smallest) ``|x|`` of
    each window, a max pooling."""
    if norm_type > 0:
        return pool(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    return -pool(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)


def _root(mean: Tensor, size: int, norm_type: float) -> Tensor:
    """PyTorch's ``(sign(mean) * relu(|mean|) * size) ** (1 / p)``, in its order."""
    return (mean.sign() * mean.abs().relu()).mul(size).pow(1.0 / norm_type)
