"""Op-table rows for ``torch.nn.functional``'s activations, losses, distances, pooling,
upsampling and layout functions beyond ``tests/op_table_nn.py``. The same ``OpSpec`` rows as
``tests/op_table.py``, read by the same tests.
"""

from __future__ import annotations

from op_table import OpSpec

NN_MORE_SPECS: list[OpSpec] = []


# ---- pooling, upsampling, conv transpose, folds (api17c)
# Rows over the functional forms, the same code for chainrule's F and PyTorch's (op_table_nn's
# ``_row``); inputs without ties where a maximum is taken, so each window's winner is unique.
from op_table import distinct  # noqa: E402
from op_table_nn import _row  # noqa: E402

# max_pool2d(x, 2)'s indices for a (1, 2, 2, 2) input of 4x4 planes (constants of the rows).
UNPOOL_INDICES = [[[[0, 3], [9, 14]], [[5, 6], [8, 15]]]]

NN_MORE_SPECS += [
    _row(
        "max_pool1d",
        lambda F_, t_, x: F_.max_pool1d(x, 3, stride=2, padding=1),
        ("MaxPool2DWithIndices",),
        (((2, 3, 7),), ((3, 6),)),
        domain=distinct,
    ),
    _row(
        "max_pool1d_values_of_with_indices",
        lambda F_, t_, x: F_.max_pool1d(x, 2, return_indices=True)[0],
        ("MaxPool2DWithIndices",),
        (((2, 2, 6),),),
        domain=distinct,
    ),
    _row(
        "avg_pool1d",
        lambda F_, t_, x: F_.avg_pool1d(x, 3, stride=2, padding=1, count_include_pad=False),
        ("Convolution",),
        (((2, 3, 7),), ((3, 6),)),
    ),
    _row(
        "adaptive_avg_pool1d_overlapping_bins",
        lambda F_, t_, x: F_.adaptive_avg_pool1d(x, 3),
        ("GetItem", "Mean", "Cat"),
        (((2, 3, 7),), ((3, 5),)),
    ),
    _row(
        "adaptive_max_pool1d",
        lambda F_, t_, x: F_.adaptive_max_pool1d(x, 2),
        ("Reshape", "Permute", "MaxAlong"),
        (((2, 3, 6),),),
        domain=distinct,
    ),
    _row(
        "max_pool2d_indices_unpooled",  # values and indices of a pooling back in place
        lambda F_, t_, x: F_.max_unpool2d(*F_.max_pool2d(x, 2, return_indices=True), 2),
        ("MaxPool2DWithIndices", "MaxPool2DIndices", "MaxUnpool2D"),
        (((2, 3, 4, 6),), ((3, 4, 4),)),
        domain=distinct,
    ),
    _row(
        "max_pool2d_padded_indices_unpooled",  # odd sizes: output_size tells them apart
        lambda F_, t_, x: F_.max_unpool2d(
            *F_.max_pool2d(x, 2, padding=1, return_indices=True),
            2,
            padding=1,
            output_size=x.shape[-2:],
        ),
        ("MaxPool2DWithIndices", "MaxPool2DIndices", "MaxUnpool2D"),
        (((1, 2, 5, 6),),),
        domain=distinct,
    ),
    _row(
        "max_unpool2d_given_indices",
        lambda F_, t_, x: F_.max_unpool2d(x, t_(UNPOOL_INDICES), 2),
        ("MaxUnpool2D",),
        (((1, 2, 2, 2),),),
    ),
    _row(
        "max_unpool1d_of_max_pool1d",
        lambda F_, t_, x: F_.max_unpool1d(*F_.max_pool1d(x, 2, return_indices=True), 2),
        ("MaxPool2DWithIndices", "MaxUnpool2D"),  # (the indices reach it reshaped)
        (((2, 3, 6),), ((2, 5),)),
        domain=distinct,
    ),
]

# Resizing: each mode's reads and weights (scales from sizes and from factors, corners aligned
# or not, factors that are not whole numbers); values and gradients against PyTorch's.
NN_MORE_SPECS += [
    _row(
        "interpolate_nearest_size",
        lambda F_, t_, x: F_.interpolate(x, size=(5, 7)),
        ("GetItem",),
        (((2, 3, 3, 4),), ((1, 1, 1, 2),)),
    ),
    _row(
        "interpolate_nearest_scale_factor_1d",
        lambda F_, t_, x: F_.interpolate(x, scale_factor=2.5),
        ("GetItem",),
        (((2, 3, 4),),),
    ),
    _row(
        "interpolate_nearest_downsample",
        lambda F_, t_, x: F_.interpolate(x, scale_factor=(0.5, 0.7)),
        ("GetItem",),
        (((1, 2, 6, 7),),),
    ),
    _row(
        "interpolate_nearest_exact",
        lambda F_, t_, x: F_.interpolate(x, size=(4, 7), mode="nearest-exact"),
        ("GetItem",),
        (((2, 2, 3, 5),),),
    ),
    _row(
        "interpolate_linear",
        lambda F_, t_, x: F_.interpolate(x, size=7, mode="linear"),
        ("GetItem", "Mul", "Add"),
        (((2, 3, 4),), ((1, 1, 2),)),
    ),
    _row(
        "interpolate_linear_align_corners_scale_factor",
        lambda F_, t_, x: F_.interpolate(x, scale_factor=1.7, mode="linear", align_corners=True),
        ("GetItem", "Mul", "Add"),
        (((2, 3, 5),),),
    ),
    _row(
        "interpolate_bilinear",
        lambda F_, t_, x: F_.interpolate(x, scale_factor=2, mode="bilinear"),
        ("GetItem", "Mul", "Add"),
        (((2, 3, 3, 4),),),
    ),
    _row(
        "interpolate_bilinear_align_corners_downsample",
        lambda F_, t_, x: F_.interpolate(x, size=(3, 2), mode="bilinear", align_corners=True),
        ("GetItem", "Mul", "Add"),
        (((1, 2, 5, 6),),),
    ),
    _row(
        "interpolate_bilinear_fractional_factors",  # the kernels use 1 / factor, not in / out
        lambda F_, t_, x: F_.interpolate(x, scale_factor=(1.3, 2.6), mode="bilinear"),
        ("GetItem", "Mul", "Add"),
        (((1, 2, 5, 4),),),
    ),
    _row(
        "interpolate_area",
        lambda F_, t_, x: F_.interpolate(x, size=(2, 3), mode="area"),
        ("Reshape", "Permute", "Mean"),
        (((2, 3, 4, 6),),),
    ),
]

# Pixel shuffles and transposed convolutions (the convolution's input-gradient op, its
# rules shared): strides, paddings, output padding below and beyond the stride, groups,
# dilation (a spread kernel), unbatched input.
NN_MORE_SPECS += [
    _row(
        "pixel_shuffle",
        lambda F_, t_, x: F_.pixel_shuffle(x, 2),
        ("Reshape", "Permute"),
        (((2, 8, 2, 3),), ((12, 1, 2),), ((2, 1, 4, 2, 2),)),
    ),
    _row(
        "pixel_unshuffle",
        lambda F_, t_, x: F_.pixel_unshuffle(x, 2),
        ("Reshape", "Permute"),
        (((2, 3, 4, 6),), ((1, 2, 2),)),
    ),
    _row(
        "conv_transpose2d",
        lambda F_, t_, x, w, b: F_.conv_transpose2d(x, w, b),
        ("ConvolutionBackwardInput", "Add"),
        (((2, 3, 3, 4), (3, 2, 3, 3), (2,)), ((1, 1, 2, 2), (1, 1, 2, 2), (1,))),
    ),
    _row(
        "conv_transpose2d_stride_padding_output_padding",
        lambda F_, t_, x, w: F_.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1),
        ("ConvolutionBackwardInput",),
        (((2, 3, 3, 4), (3, 2, 3, 3)),),
    ),
    _row(
        "conv_transpose2d_groups_dilation_pairs",
        lambda F_, t_, x, w, b: F_.conv_transpose2d(
            x, w, b, stride=(2, 1), padding=(0, 1), groups=2, dilation=(1, 2)
        ),
        ("ConvolutionBackwardInput", "Pad", "Cat"),
        (((2, 4, 3, 3), (4, 1, 2, 3), (2,)),),
    ),
    _row(
        "conv_transpose2d_output_padding_beyond_stride",  # allowed below the dilation
        lambda F_, t_, x, w: F_.conv_transpose2d(x, w, output_padding=(0, 2), dilation=3),
        ("ConvolutionBackwardInput", "Pad"),
        (((1, 2, 3, 3), (2, 2, 2, 2)),),
    ),
    _row(
        "conv_transpose2d_unbatched",
        lambda F_, t_, x, w, b: F_.conv_transpose2d(x, w, b, stride=2),
        ("ConvolutionBackwardInput", "Add"),
        (((3, 2, 3), (3, 2, 2, 2), (2,)),),
    ),
    _row(
        "conv_transpose1d",
        lambda F_, t_, x, w, b: F_.conv_transpose1d(x, w, b, stride=3, padding=1, output_padding=2),
        ("ConvolutionBackwardInput", "Add"),
        (((2, 3, 4), (3, 2, 3), (2,)), ((3, 4), (3, 1, 2), (1,))),
    ),
]

# Unfold and fold: each the other's transpose and vjp; overlapping, dilated, padded and
# strided blocks.
NN_MORE_SPECS += [
    _row(
        "unfold",
        lambda F_, t_, x: F_.unfold(x, 2),
        ("Unfold",),
        (((2, 3, 3, 4),), ((2, 3, 3),)),
    ),
    _row(
        "unfold_dilation_padding_stride",
        lambda F_, t_, x: F_.unfold(x, (2, 3), dilation=(2, 1), padding=1, stride=(1, 2)),
        ("Unfold",),
        (((1, 2, 4, 5),),),
    ),
    _row(
        "fold",
        lambda F_, t_, x: F_.fold(x, (3, 4), 2),
        ("Fold",),
        (((2, 12, 6),), ((4, 6),)),
    ),
    _row(
        "fold_dilation_padding_stride",
        lambda F_, t_, x: F_.fold(x, (4, 5), (2, 3), dilation=(2, 1), padding=1, stride=(1, 2)),
        ("Fold",),
        (((1, 12, 12),),),
    ),
]

# Normalizations: RMS (its default eps the dtype's), instance (per sample and channel, with
# an affine and with running statistics in evaluation), local response (across channels).
INSTANCE_MEAN = [0.2, -0.1, 0.4]
INSTANCE_VAR = [1.5, 0.5, 2.0]

NN_MORE_SPECS += [
    _row(
        "rms_norm",
        lambda F_, t_, x, w: F_.rms_norm(x, [4], w, eps=1e-6),
        ("Mul", "Mean", "Rsqrt"),
        (((3, 4), (4,)), ((2, 3, 4), (4,))),
    ),
    _row(
        "rms_norm_two_dims_default_eps",
        lambda F_, t_, x: F_.rms_norm(x, (3, 4)),
        ("Mul", "Mean", "Rsqrt"),
        (((2, 3, 4),),),
    ),
    _row(
        "instance_norm",
        lambda F_, t_, x: F_.instance_norm(x),
        ("Mean", "Rsqrt"),
        (((2, 3, 5),), ((2, 3, 2, 3),)),
    ),
    _row(
        "instance_norm_affine",
        lambda F_, t_, x, w, b: F_.instance_norm(x, weight=w, bias=b, eps=1e-3),
        ("Mean", "Rsqrt", "Mul", "Add"),
        (((2, 3, 4), (3,), (3,)),),
    ),
    _row(
        "instance_norm_running_stats_eval",
        lambda F_, t_, x: F_.instance_norm(
            x,
            t_(INSTANCE_MEAN).to(x.dtype),
            t_(INSTANCE_VAR).to(x.dtype),
            use_input_stats=False,
        ),
        ("Sub", "Mul"),
        (((2, 3, 4),),),
    ),
    _row(
        "local_response_norm",
        lambda F_, t_, x: F_.local_response_norm(x, 3, alpha=0.5, beta=0.75, k=2.0),
        ("Convolution", "Pow", "Div"),
        (((2, 5, 3),), ((1, 4, 2, 3),)),
    ),
]

# Grouped convolutions (each group of channels its own convolution, the results joined).
NN_MORE_SPECS += [
    _row(
        "conv2d_groups",
        lambda F_, t_, x, w, b: F_.conv2d(x, w, b, padding=1, groups=2),
        ("Convolution", "Cat"),
        (((2, 4, 3, 4), (6, 2, 3, 3), (6,)), ((4, 3, 3), (2, 2, 2, 2), (2,))),
    ),
    _row(
        "conv2d_depthwise",
        lambda F_, t_, x, w: F_.conv2d(x, w, stride=2, groups=3),
        ("Convolution", "Cat"),
        (((2, 3, 5, 5), (3, 1, 3, 3)),),
    ),
    _row(
        "conv1d_groups",
        lambda F_, t_, x, w, b: F_.conv1d(x, w, b, groups=2),
        ("Convolution", "Cat"),
        (((2, 4, 6), (4, 2, 3), (4,)),),
    ),
]
