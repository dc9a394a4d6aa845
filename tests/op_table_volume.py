"""Op-table rows for three-dimensional convolution, pooling, padding and normalization (Conv3d,
MaxPool3d, ...).

The same ``OpSpec`` format as ``tests/op_table.py``: every row runs finite differences in
float64, second order, jvp, vmap, layouts, and values and gradients against PyTorch.

The 3-D functions compose the 2-D ops (a 3-D window is a 2-D one over each depth slice, then
one over depth), so the rows cover those ops; what they check is the composition: the depth
taps' order, the placement of a transposed convolution's depth taps, the divisors and
windows of the two poolings, and the padding and dilation along depth.

    >>> spec = next(s for s in VOLUME_SPECS if s.name == "conv3d")
    >>> spec.covers
    ('Convolution', 'Cat')
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as TF
from op_table import POSITIVE, REAL, OpSpec, distinct
from op_table_nn import _quietly

import chainrule as cr
import chainrule.nn.functional as F


def _row(name: str, build: Any, covers: tuple[str, ...], shapes: Any, **kw: Any) -> OpSpec:
    """A row whose chainrule and PyTorch calls are the same code over ``F``/``TF``."""
    return OpSpec(name, lambda *xs: build(F, *xs), lambda *xs: build(TF, *xs), covers, shapes, **kw)


# Indices of a (2, 2, 4, 4, 6) max pooling by 2 (as max_pool3d returns them), for the unpooling
# row: a constant of the row, not an input.
_UNPOOL_INDICES = TF.max_pool3d(
    torch.tensor(np.random.default_rng(3).permutation(384).reshape(2, 2, 4, 4, 6) * 1.0),
    2,
    return_indices=True,
)[1].numpy()


def _unpool(F_: Any, x: Any) -> Any:
    indices = cr.tensor(_UNPOOL_INDICES) if F_ is F else torch.tensor(_UNPOOL_INDICES)
    return F_.max_unpool3d(x, indices, 2, output_size=(5, 4, 7))


VOLUME_SPECS: list[OpSpec] = [
    # --- convolution: the depth taps stacked as channels, conv2d over each output depth
    _row(
        "conv3d",
        lambda F_, x, w, b: F_.conv3d(x, w, b),
        ("Convolution", "Cat"),
        (((1, 2, 3, 4, 3), (3, 2, 2, 2, 2), (3,)), ((2, 3, 5, 4, 4), (4, 3, 3, 3, 3), (4,))),
    ),
    _row(
        "conv3d_stride_padding_dilation_groups",  # depth 6 + 2 - 3 = 5 by 2: the last unread
        lambda F_, x, w, b: F_.conv3d(
            x, w, b, stride=(2, 1, 2), padding=(1, 0, 1), dilation=(2, 1, 1), groups=2
        ),
        ("Convolution", "Cat", "Pad"),
        (((2, 4, 6, 4, 5), (4, 2, 2, 3, 2), (4,)),),
    ),
    _row(
        "conv3d_padding_same_even_kernel",  # depth: one more at the end, as PyTorch pads
        lambda F_, x, w: _quietly(F_.conv3d, x, w, padding="same", dilation=(1, 2, 1)),
        ("Convolution", "Cat", "Pad"),
        (((1, 2, 4, 5, 4), (2, 2, 2, 2, 3)),),
    ),
    _row(
        "conv3d_unbatched_valid",  # one (C, D, H, W) volume
        lambda F_, x, w, b: F_.conv3d(x, w, b, padding="valid"),
        ("Convolution", "Cat"),
        (((2, 4, 3, 3), (3, 2, 2, 2, 2), (3,)),),
    ),
    _row(
        "conv_transpose3d",
        lambda F_, x, w, b: F_.conv_transpose3d(x, w, b),
        ("ConvolutionBackwardInput", "Pad"),
        (((1, 2, 2, 3, 2), (2, 3, 2, 2, 2), (3,)),),
    ),
    _row(
        "conv_transpose3d_stride_padding_output_padding_groups_dilation",
        lambda F_, x, w, b: F_.conv_transpose3d(
            x,
            w,
            b,
            stride=(2, 1, 2),
            padding=(1, 0, 1),
            output_padding=(1, 0, 1),
            groups=2,
            dilation=(1, 2, 1),
        ),
        ("ConvolutionBackwardInput", "Pad", "Cat"),
        (((2, 4, 3, 3, 3), (4, 1, 3, 2, 2), (2,)),),
    ),
    _row(
        "conv_transpose3d_output_padding_past_stride",  # allowed below the dilation
        lambda F_, x, w: F_.conv_transpose3d(x, w, dilation=3, output_padding=2),
        ("ConvolutionBackwardInput", "Pad"),
        (((1, 2, 2, 2, 2), (2, 2, 2, 2, 2)), ((2, 2, 2, 2), (2, 1, 2, 2, 2))),
    ),
    _row(  # past the stride, within the padding cropped at the end (depth, height) or not
        "conv_transpose3d_output_padding_past_stride_within_padding",
        lambda F_, x, w: F_.conv_transpose3d(x, w, padding=(2, 1, 1), dilation=3, output_padding=2),
        ("ConvolutionBackwardInput", "Pad"),
        (((1, 2, 2, 3, 2), (2, 2, 2, 2, 2)),),
    ),
    # --- max pooling: over each (H, W) plane, then over depth
    _row(
        "max_pool3d",
        lambda F_, x: F_.max_pool3d(x, 2),
        ("MaxPool2DWithIndices",),
        (((2, 2, 4, 4, 6),), ((2, 3, 5, 4),)),
        domain=distinct,
    ),
    _row(
        "max_pool3d_overlap_padding_dilation_ceil_mode",
        lambda F_, x: F_.max_pool3d(
            x, 3, stride=2, padding=1, dilation=(2, 1, 1), ceil_mode=True, return_indices=True
        )[0],
        ("MaxPool2DWithIndices",),
        (((1, 2, 7, 5, 6),),),
        domain=distinct,
    ),
    # --- average pooling: the divisor the product of the two poolings'
    _row(
        "avg_pool3d",
        lambda F_, x: F_.avg_pool3d(x, 2),
        ("Convolution",),
        (((2, 2, 4, 4, 6),), ((2, 3, 5, 4),)),
    ),
    _row(
        "avg_pool3d_ceil_mode_exclude_pad",
        lambda F_, x: F_.avg_pool3d(
            x, (3, 2, 3), stride=2, padding=1, ceil_mode=True, count_include_pad=False
        ),
        ("Convolution",),
        (((1, 2, 6, 5, 6),),),
    ),
    _row(
        "avg_pool3d_ceil_mode_divisor_override",
        lambda F_, x: F_.avg_pool3d(x, 3, stride=2, padding=1, ceil_mode=True, divisor_override=7),
        ("Convolution",),
        (((1, 2, 6, 5, 4),),),
    ),
    # --- adaptive pooling: bins that overlap (7 to 3, 5 to 2)
    _row(
        "adaptive_avg_pool3d",
        lambda F_, x: F_.adaptive_avg_pool3d(x, (3, 2, None)),
        ("Mean",),
        (((2, 2, 7, 5, 3),),),
    ),
    _row(
        "adaptive_max_pool3d",
        lambda F_, x: F_.adaptive_max_pool3d(x, (3, 2, 2)),
        ("Where",),
        (((2, 2, 7, 5, 4),), ((2, 4, 4, 4),)),
        domain=distinct,
    ),
    _row(
        "max_unpool3d",  # output_size one past the default along depth and width
        _unpool,
        ("MaxUnpool2D",),
        (((2, 2, 2, 2, 3),),),
    ),
    # --- power-average pooling: PyTorch's (sign(s) relu(|s|) k) ** (1 / p) of the mean s
    _row(
        "lp_pool3d_p2",
        lambda F_, x: F_.lp_pool3d(x, 2, (2, 2, 3), stride=(1, 2, 2), ceil_mode=True),
        ("Convolution", "Sign", "Relu"),
        (((1, 2, 3, 4, 6),), ((2, 3, 4, 3),)),
    ),
    _row(
        "lp_pool2d_p3",  # an odd power of positive inputs: the sums stay away from 0
        lambda F_, x: F_.lp_pool2d(x, 3, (2, 3), stride=1),
        ("Convolution", "Sign", "Relu"),
        (((2, 2, 4, 5),), ((2, 3, 4),)),
        domain=POSITIVE,
    ),
    _row(
        "lp_pool1d_fractional_power",
        lambda F_, x: F_.lp_pool1d(x, 1.5, 3, stride=2, ceil_mode=True),
        ("Convolution", "Sign", "Relu"),
        (((2, 3, 8),), ((3, 7),)),
        domain=POSITIVE,
    ),
    # --- padding and normalization of volumes (F.pad's and the norms' 5-D cases)
    _row(
        "pad_reflect_3d",
        lambda F_, x: F_.pad(x, (1, 2, 0, 1, 2, 1), mode="reflect"),
        ("GetItem",),
        (((1, 2, 3, 3, 4),), ((2, 4, 3, 3),)),
    ),
    _row(
        "pad_replicate_3d",
        lambda F_, x: F_.pad(x, (2, 0, 1, 1, 0, 3), mode="replicate"),
        ("GetItem",),
        (((1, 2, 2, 3, 2),),),
    ),
    _row(
        "pad_circular_3d",
        lambda F_, x: F_.pad(x, (1, 1, 2, 0, 1, 2), mode="circular"),
        ("GetItem",),
        (((1, 2, 3, 3, 2),),),
    ),
    _row(
        "batch_norm_3d",
        lambda F_, x, w, b: F_.batch_norm(x, None, None, w, b, training=True),
        ("Mean",),
        (((3, 2, 2, 3, 2), (2,), (2,)),),
        domain=(REAL, REAL, REAL),
    ),
    _row(
        "instance_norm_3d",
        lambda F_, x, w, b: F_.instance_norm(x, weight=w, bias=b),
        ("Mean",),
        (((2, 3, 2, 3, 2), (3,), (3,)),),
    ),
    # --- resizing volumes: each axis in turn, the last first (trilinear's order of sums)
    _row(
        "interpolate_trilinear",
        lambda F_, x: F_.interpolate(x, size=(3, 5, 4), mode="trilinear"),
        ("GetItem", "Mul", "Add"),
        (((1, 2, 2, 3, 5),),),
    ),
    _row(
        "interpolate_trilinear_align_corners_scale",
        lambda F_, x: F_.interpolate(
            x, scale_factor=(1.5, 2, 0.5), mode="trilinear", align_corners=True
        ),
        ("GetItem", "Mul", "Add"),
        (((2, 1, 2, 3, 4),),),
    ),
    _row(
        "interpolate_nearest_5d",  # reads repeat (their gradients add) and some are skipped
        lambda F_, x: F_.interpolate(x, size=(4, 2, 5)),
        ("GetItem",),
        (((1, 2, 2, 3, 3),),),
    ),
    _row(
        "interpolate_nearest_exact_5d",
        lambda F_, x: F_.interpolate(x, scale_factor=(2, 1.5, 0.7), mode="nearest-exact"),
        ("GetItem",),
        (((1, 2, 2, 3, 4),),),
    ),
    _row(
        "interpolate_area_5d",  # adaptive average pooling over overlapping bins
        lambda F_, x: F_.interpolate(x, size=(2, 2, 3), mode="area"),
        ("Mean",),
        (((1, 2, 3, 5, 4),),),
    ),
]
