"""The op table's rows for layers and losses, called through their functional forms.

Same ``OpSpec`` format as ``tests/op_table.py`` (which adds ``NN_SPECS`` to its rows), so every
row gets the same checks: vjp and jvp against float64 finite differences, values and gradients
against PyTorch's ``torch.nn.functional``, second derivatives, and float32 values.

Constants (class indices, running statistics, class weights, the dropout mask's seed) live in
the callables; every tensor argument of a row is differentiable. Class weights are constants,
as PyTorch refuses to differentiate with respect to them. Embedding's ``padding_idx`` and
dropout's statistics are conventions, not derivatives: ``test_nn_modules.py`` checks them.

The gradients of a convolution are ops of their own (``ConvolutionBackwardInput`` and
``ConvolutionBackwardWeight``); the second-order checks of the ``conv2d`` rows run them, and
rows below apply them directly so that their own rules (jvp, vjp) are checked against
PyTorch's ``torch.nn.grad`` too.

    >>> spec = next(s for s in NN_SPECS if s.name == "conv2d_stride_padding")
    >>> spec.covers
    ('Convolution',)
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import torch
import torch.nn.functional as TF
from op_table import REAL, OpSpec, distinct, uniform

import chainrule as cr
import chainrule.nn.functional as F
from chainrule.ops.conv import ConvolutionBackwardInput, ConvolutionBackwardWeight, Geometry
from chainrule.ops.reads_input import Marked

PROBABILITY = uniform(0.05, 0.95)  # BCE's input: away from the clamps at 0 and 1


# ----------------------------------------------------------------------------- helpers
def _both(build: Any) -> tuple[Any, Any]:
    """``build(F, tensor)`` for chainrule and for PyTorch: one lambda states a call for both."""
    return (
        lambda *xs: build(F, cr.tensor, *xs),
        lambda *xs: build(TF, torch.tensor, *xs),
    )


def _row(name: str, build: Any, covers: tuple[str, ...], shapes: Any, **kw: Any) -> OpSpec:
    """A row whose chainrule and PyTorch calls are the same code over ``F``/``TF``."""
    fn, torch_fn = _both(build)
    return OpSpec(name, fn, torch_fn, covers, shapes, **kw)


def _geometry(kernel: tuple[int, int], stride: int, padding: int) -> Geometry:
    return Geometry(kernel, (stride, stride), ((padding, padding), (padding, padding)))


def _conv_input_grad(x_shape: Any, kernel: Any, stride: int, padding: int) -> tuple[Any, Any]:
    """conv2d's input gradient as a function of (output gradient, weight)."""
    op = lambda: ConvolutionBackwardInput(_geometry(kernel, stride, padding), x_shape)  # noqa: E731

    def torch_fn(g: Any, w: Any) -> Any:
        return torch.nn.grad.conv2d_input(x_shape, w, g, stride, padding)

    return (lambda g, w: op()(g, w)), torch_fn


def _conv_weight_grad(w_shape: Any, stride: int, padding: int) -> tuple[Any, Any]:
    """conv2d's weight gradient as a function of (input, output gradient)."""
    kernel = tuple(w_shape[2:])
    op = lambda: ConvolutionBackwardWeight(_geometry(kernel, stride, padding), w_shape)  # noqa: E731

    def torch_fn(x: Any, g: Any) -> Any:
        return torch.nn.grad.conv2d_weight(x, w_shape, g, stride, padding)

    return (lambda x, g: op()(x, g)), torch_fn


def _quietly(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` without warnings (PyTorch warns that padding="same" with an
    even kernel copies the input)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


# A fixed generator state: the seeded dropout draws the same mask on every call, so it is a
# fixed linear map that finite differences can check.
_DROPOUT_STATE = cr.Generator(2024).get_state()


def _seeded_dropout(x: cr.Tensor) -> cr.Tensor:
    saved = cr.get_rng_state()
    cr.set_rng_state(_DROPOUT_STATE)
    try:
        return F.dropout(x, 0.4, training=True)
    finally:
        cr.set_rng_state(saved)


# Targets and tables used by the rows (constants, not inputs).
TARGET = [2, 0, 3, 3]  # classes of 4 samples over 5 classes (a repeat)
IGNORED = [2, -100, 3, 0]
WEIGHT = [0.5, 2.0, 1.0, 1.5, 0.25]
SPATIAL_TARGET = [[[0, 2], [1, 1], [2, 0]], [[1, 0], [0, 2], [2, 2]]]  # (2, 3, 2) over 3 classes
EMBED_INDEX = [[1, 3, 1], [0, 3, 4]]  # repeats: their gradients add up
BCE_WEIGHT = [0.5, 1.5, 1.0, 2.0]
POS_WEIGHT = [3.0, 0.5, 1.0, 2.0]
RUNNING_MEAN = [0.3, -0.2, 0.1]
RUNNING_VAR = [0.5, 2.0, 1.2]

IMAGES = ((2, 3, 5, 5), (4, 3, 3, 3), (4,))  # checked by <u, J v>
SMALL_IMAGE = ((1, 1, 3, 3), (1, 1, 2, 2), (1,))  # checked by the full Jacobian
REDUCTIONS = ("mean", "sum", "none")
LOGITS = ((4, 5),)
PAIR = ((3, 4), (3, 4))


def _per_reduction(name: str, build: Any, covers: tuple[str, ...], shapes: Any, **kw: Any):
    """One row per reduction; ``build(F, tensor, reduction, *inputs)``."""
    return [
        _row(
            f"{name}_{reduction}",
            lambda F_, t_, *xs, r=reduction: build(F_, t_, r, *xs),
            covers,
            shapes,
            **kw,
        )
        for reduction in REDUCTIONS
    ]


# ----------------------------------------------------------------------------- the table
NN_SPECS: list[OpSpec] = [
    # --- convolution: bias or not, strides, paddings, kernels that do not fit evenly
    _row(
        "conv2d",
        lambda F_, t_, x, w, b: F_.conv2d(x, w, b),
        ("Convolution",),
        (SMALL_IMAGE, IMAGES),
    ),
    _row(
        "conv2d_no_bias_rectangular_kernel",
        lambda F_, t_, x, w: F_.conv2d(x, w),
        ("Convolution",),
        (((2, 2, 4, 5), (3, 2, 2, 3)), ((1, 1, 2, 2), (1, 1, 2, 2))),
    ),
    _row(
        "conv2d_stride_padding",
        lambda F_, t_, x, w, b: F_.conv2d(x, w, b, stride=2, padding=1),
        ("Convolution",),
        (((2, 2, 6, 5), (3, 2, 3, 3), (3,)), ((1, 2, 7, 7), (2, 2, 3, 3), (2,))),
    ),
    _row(
        "conv2d_pair_stride_padding",
        lambda F_, t_, x, w, b: F_.conv2d(x, w, b, stride=(2, 1), padding=(0, 2)),
        ("Convolution",),
        (((2, 2, 5, 4), (2, 2, 3, 2), (2,)),),
    ),
    _row(
        "conv2d_stride_skips_pixels",  # 7 = 3 * 2 + 1: the last row and column are never read
        lambda F_, t_, x, w: F_.conv2d(x, w, stride=3),
        ("Convolution",),
        (((1, 2, 7, 7), (2, 2, 2, 2)),),
    ),
    _row(
        "conv2d_padding_same_even_kernel",  # pads one more at the bottom and right
        lambda F_, t_, x, w, b: _quietly(F_.conv2d, x, w, b, padding="same"),
        ("Convolution",),
        (((1, 2, 5, 4), (2, 2, 2, 4), (2,)),),
    ),
    _row(
        "conv2d_kernel_rows_in_padding_only",  # one input row: kernel rows 0 and 2 read padding
        lambda F_, t_, x, w, b: F_.conv2d(x, w, b, stride=2, padding=1),
        ("Convolution",),
        (((2, 2, 1, 3), (3, 2, 3, 3), (3,)),),
    ),
    _row(
        "conv2d_padding_valid",
        lambda F_, t_, x, w: F_.conv2d(x, w, padding="valid"),
        ("Convolution",),
        (((1, 1, 4, 4), (2, 1, 3, 3)),),
    ),
    _row(
        "conv2d_unbatched",  # one (C, H, W) image
        lambda F_, t_, x, w, b: F_.conv2d(x, w, b, padding=1),
        ("Convolution", "Reshape"),
        (((2, 4, 3), (3, 2, 3, 3), (3,)),),
    ),
    OpSpec(
        "conv2d_input_gradient",
        *_conv_input_grad((2, 2, 6, 5), (3, 3), 2, 1),
        ("ConvolutionBackwardInput",),
        (((2, 3, 3, 3), (3, 2, 3, 3)),),
    ),
    OpSpec(
        "conv2d_input_gradient_small",
        *_conv_input_grad((1, 1, 3, 3), (2, 2), 1, 0),
        ("ConvolutionBackwardInput",),
        (((1, 2, 2, 2), (2, 1, 2, 2)),),
    ),
    OpSpec(  # the record of a convolution's input gradient under create_graph
        "convolution_gradient_marked_by_its_input",
        lambda g, x: Marked()(g, x),
        lambda g, x: g * 1,  # the same values and gradients: none for x
        ("Marked",),
        (((2, 3), (2, 3)), ((2, 3), (3,))),
    ),
    OpSpec(
        "conv2d_weight_gradient",
        *_conv_weight_grad((3, 2, 3, 3), 2, 1),
        ("ConvolutionBackwardWeight",),
        (((2, 2, 6, 5), (2, 3, 3, 3)),),
    ),
    OpSpec(
        "conv2d_weight_gradient_small",
        *_conv_weight_grad((2, 1, 2, 2), 1, 0),
        ("ConvolutionBackwardWeight",),
        (((1, 1, 3, 3), (1, 2, 2, 2)),),
    ),
    # --- pooling: inputs without ties, so each window's arg-max is unique
    _row(
        "max_pool2d",
        lambda F_, t_, x: F_.max_pool2d(x, 2),
        ("MaxPool2DWithIndices",),
        (((2, 3, 4, 4),), ((1, 2, 5, 5),)),
        domain=distinct,
    ),
    _row(
        "max_pool2d_overlapping_windows_padding",  # an element can win two windows
        lambda F_, t_, x: F_.max_pool2d(x, 3, stride=2, padding=1),
        ("MaxPool2DWithIndices",),
        (((2, 2, 5, 5),), ((1, 1, 4, 6),)),
        domain=distinct,
    ),
    _row(
        "max_pool2d_rectangular",
        lambda F_, t_, x: F_.max_pool2d(x, (2, 3), stride=(1, 2)),
        ("MaxPool2DWithIndices",),
        (((2, 2, 4, 7),),),
        domain=distinct,
    ),
    _row(
        "max_pool2d_stride_beyond_kernel",  # windows apart: rows and columns no window reads
        lambda F_, t_, x: F_.max_pool2d(x, 2, stride=3, padding=1),
        ("MaxPool2DWithIndices",),
        (((2, 2, 7, 8),),),
        domain=distinct,
    ),
    _row(
        "max_pool2d_windows_apart_leave_pixels",  # 3x3 windows 4 apart, unpadded: 7 = 4 + 3
        lambda F_, t_, x: F_.max_pool2d(x, 3, stride=(4, 3)),
        ("MaxPool2DWithIndices",),
        (((2, 2, 7, 8),), ((1, 3, 3, 3),)),
        domain=distinct,
    ),
    _row(
        "max_pool2d_rectangular_tiles",  # kernel (1, 3) = stride: the windows tile the input
        lambda F_, t_, x: F_.max_pool2d(x, (1, 3)),
        ("MaxPool2DWithIndices",),
        (((2, 3, 2, 6),),),
        domain=distinct,
    ),
    _row(
        "max_pool2d_window_beyond_a_byte",  # 17x17 = 289 offsets: the arg-max path, not the grids'
        lambda F_, t_, x: F_.max_pool2d(x, 17),
        ("MaxPool2DWithIndices",),
        (((2, 1, 17, 18),),),
        domain=distinct,
    ),
    _row(
        "max_pool2d_one_by_one",  # one sub-grid: every window's only element wins
        lambda F_, t_, x: F_.max_pool2d(x, 1, stride=2),
        ("MaxPool2DWithIndices",),
        (((2, 2, 3, 4),),),
        domain=distinct,
    ),
    _row(
        "max_pool2d_unbatched",
        lambda F_, t_, x: F_.max_pool2d(x, 2),
        ("MaxPool2DWithIndices", "Reshape"),
        (((2, 4, 5),),),
        domain=distinct,
    ),
    _row(
        "adaptive_avg_pool2d_tiles",  # the windows tile the input: one reshape
        lambda F_, t_, x: F_.adaptive_avg_pool2d(x, (2, 3)),
        ("ReadsInput", "Reshape", "Permute", "Mean"),
        (((2, 3, 4, 6),),),
    ),
    _row(
        "adaptive_avg_pool2d_overlapping_bins",  # 7 -> 3 and 5 -> 2: windows overlap by one
        lambda F_, t_, x: F_.adaptive_avg_pool2d(x, (3, 2)),
        ("GetItem", "Mean", "Cat"),
        (((2, 3, 7, 5),), ((3, 7, 5),)),
    ),
    _row(
        "adaptive_avg_pool2d_keep_width_and_upsample",
        lambda F_, t_, x: F_.adaptive_avg_pool2d(x, (5, None)),
        ("GetItem", "Mean", "Cat"),
        (((1, 2, 3, 4),),),
    ),
    _row(
        "adaptive_max_pool2d_tiles",
        lambda F_, t_, x: F_.adaptive_max_pool2d(x, 2),
        ("Reshape", "Permute", "Where"),
        (((2, 3, 4, 6),),),
        domain=distinct,
    ),
    _row(
        "adaptive_max_pool2d_overlapping_bins",
        lambda F_, t_, x: F_.adaptive_max_pool2d(x, (3, 2)),
        ("GetItem", "Where", "Cat"),
        (((2, 3, 7, 5),), ((3, 7, 5),)),
        domain=distinct,
    ),
    _row(
        "avg_pool2d",
        lambda F_, t_, x: F_.avg_pool2d(x, 2),
        ("Convolution",),
        (((2, 3, 4, 4),), ((1, 2, 5, 5),)),
    ),
    _row(
        "avg_pool2d_unbatched",
        lambda F_, t_, x: F_.avg_pool2d(x, 2, stride=1, padding=1),
        ("Convolution",),
        (((2, 3, 4),),),
    ),
    _row(
        "avg_pool2d_padding_include_pad",
        lambda F_, t_, x: F_.avg_pool2d(x, 3, stride=2, padding=1),
        ("Convolution",),
        (((2, 2, 5, 6),),),
    ),
    _row(
        "avg_pool2d_padding_exclude_pad",
        lambda F_, t_, x: F_.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False),
        ("Convolution",),
        (((2, 2, 5, 6),),),
    ),
    _row(
        "avg_pool2d_divisor_override",
        lambda F_, t_, x: F_.avg_pool2d(x, (2, 3), stride=1, divisor_override=4),
        ("Convolution",),
        (((1, 2, 3, 4),),),
    ),
    # --- dense layers
    _row(
        "linear",
        lambda F_, t_, x, w, b: F_.linear(x, w, b),
        ("Linear",),
        (((3, 4), (2, 4), (2,)), ((2, 3, 4), (5, 4), (5,)), ((4,), (3, 4), (3,))),
    ),
    _row(
        "linear_no_bias",
        lambda F_, t_, x, w: F_.linear(x, w),
        ("Linear",),
        (((3, 4), (2, 4)), ((8, 10), (9, 10))),
    ),
    _row(
        "embedding",
        lambda F_, t_, w: F_.embedding(t_(EMBED_INDEX), w),
        ("GetItem",),
        (((5, 3),),),
    ),
    OpSpec(
        "dropout_seeded_mask",
        _seeded_dropout,
        None,
        ("DropoutMask", "Mul"),
        (((4, 5),), ((30, 10),)),
        layouts=False,
        why_off={
            "torch": "PyTorch draws its own mask from its own generator; test_nn_modules.py "
            "checks dropout's statistics against PyTorch's",
            "layouts": "the mask is drawn in the input's memory order, as PyTorch's "
            "(test_torch_random_fuzz_cases compares it with PyTorch's on a transposed input)",
        },
    ),
    # --- normalization
    _row(
        "batch_norm_training_1d",
        lambda F_, t_, x, w, b: F_.batch_norm(x, None, None, w, b, training=True),
        ("Mean", "Rsqrt"),
        (((4, 3), (3,), (3,)), ((2, 3, 5), (3,), (3,))),
    ),
    _row(
        "batch_norm_training_2d",
        lambda F_, t_, x, w, b: F_.batch_norm(x, None, None, w, b, training=True, eps=1e-3),
        ("Mean", "Rsqrt"),
        (((2, 3, 2, 3), (3,), (3,)),),
    ),
    _row(
        "batch_norm_training_updates_running_stats_no_affine",
        lambda F_, t_, x: F_.batch_norm(
            x,
            t_(RUNNING_MEAN).to(x.dtype),
            t_(RUNNING_VAR).to(x.dtype),
            training=True,
            momentum=0.3,
        ),
        ("Mean", "Rsqrt"),
        (((5, 3),),),
    ),
    _row(
        "batch_norm_eval",
        lambda F_, t_, x, w, b: F_.batch_norm(
            x, t_(RUNNING_MEAN).to(x.dtype), t_(RUNNING_VAR).to(x.dtype), w, b, training=False
        ),
        ("Sub", "Mul", "Add"),
        (((4, 3), (3,), (3,)), ((2, 3, 2, 2), (3,), (3,))),
    ),
    _row(
        "layer_norm",
        lambda F_, t_, x, w, b: F_.layer_norm(x, (4,), w, b),
        ("LayerNorm",),
        (((3, 4), (4,), (4,)), ((2, 3, 4), (4,), (4,))),
    ),
    _row(
        "layer_norm_weight_alone",
        lambda F_, t_, x, w: F_.layer_norm(x, (2, 4), w),
        ("LayerNorm",),
        (((3, 2, 4), (2, 4)), ((2, 4), (2, 4))),
    ),
    # A bias without a weight: the composite (the node takes a bias after a weight). PyTorch's
    # double backward of this call raises (it reads the absent weight), so its twin adds the
    # bias after the normalization, the same function.
    OpSpec(
        "layer_norm_bias_alone",
        lambda x, b: F.layer_norm(x, (4,), None, b),
        lambda x, b: TF.layer_norm(x, (4,)) + b,
        ("Mean", "Rsqrt"),
        (((3, 4), (4,)),),
    ),
    _row(
        "layer_norm_two_dims_no_affine",
        lambda F_, t_, x: F_.layer_norm(x, (3, 4), eps=1e-2),
        ("LayerNorm",),
        (((2, 3, 4),),),
    ),
    # --- softmax through the functional forms
    _row(
        "functional_softmax",
        lambda F_, t_, x: F_.softmax(x, dim=1),
        ("Softmax",),
        ((((2, 3, 4),),)),
    ),
    _row(
        "functional_log_softmax",
        lambda F_, t_, x: F_.log_softmax(x, dim=-1),
        ("LogSoftmax",),
        ((((2, 3, 4),),)),
    ),
    # --- regression losses; l1's inputs never tie (|a - b| has a kink there)
    *_per_reduction(
        "mse_loss", lambda F_, t_, r, a, b: F_.mse_loss(a, b, reduction=r), ("MseLoss",), (PAIR,)
    ),
    *_per_reduction(
        "l1_loss",
        lambda F_, t_, r, a, b: F_.l1_loss(a, b, reduction=r),
        ("Abs",),
        (PAIR,),
        domain=distinct,
    ),
    # --- classification losses over class indices
    *_per_reduction(
        "cross_entropy",
        lambda F_, t_, r, x: F_.cross_entropy(x, t_(TARGET), reduction=r),
        ("CrossEntropy",),
        (LOGITS,),
    ),
    *_per_reduction(
        "cross_entropy_weight_ignore_index",
        lambda F_, t_, r, x: F_.cross_entropy(
            x, t_(IGNORED), t_(WEIGHT).to(x.dtype), ignore_index=-100, reduction=r
        ),
        ("CrossEntropy",),
        (LOGITS,),
    ),
    *_per_reduction(
        "cross_entropy_label_smoothing",
        lambda F_, t_, r, x: F_.cross_entropy(x, t_(TARGET), reduction=r, label_smoothing=0.2),
        ("LogSoftmax", "NllLoss"),
        (LOGITS,),
    ),
    *_per_reduction(
        "cross_entropy_label_smoothing_weight_ignore_index",
        lambda F_, t_, r, x: F_.cross_entropy(
            x, t_(IGNORED), t_(WEIGHT).to(x.dtype), reduction=r, label_smoothing=0.3
        ),
        ("LogSoftmax", "NllLoss"),
        (LOGITS,),
    ),
    _row(
        "cross_entropy_spatial",  # (N, C, d): every position is a sample
        lambda F_, t_, x: F_.cross_entropy(x, t_(SPATIAL_TARGET), label_smoothing=0.1),
        ("LogSoftmax", "NllLoss"),
        (((2, 3, 3, 2),),),
    ),
    _row(
        "cross_entropy_single_sample",
        lambda F_, t_, x: F_.cross_entropy(x, t_(3)),
        ("LogSoftmax", "NllLoss"),
        (((5,),),),
    ),
    _row(
        "cross_entropy_probabilities",  # soft targets, differentiable too
        lambda F_, t_, x, p: F_.cross_entropy(x, p, label_smoothing=0.1),
        ("LogSoftmax",),
        (((4, 5), (4, 5)),),
        domain=(REAL, PROBABILITY),
    ),
    *_per_reduction(
        "nll_loss",
        lambda F_, t_, r, x: F_.nll_loss(x, t_(TARGET), reduction=r),
        ("NllLoss",),
        (LOGITS,),
    ),
    *_per_reduction(
        "nll_loss_weight_ignore_index",
        lambda F_, t_, r, x: F_.nll_loss(x, t_(IGNORED), t_(WEIGHT).to(x.dtype), reduction=r),
        ("NllLoss",),
        (LOGITS,),
    ),
    _row(
        "nll_loss_spatial",
        lambda F_, t_, x: F_.nll_loss(x, t_(SPATIAL_TARGET), reduction="none"),
        ("NllLoss",),
        (((2, 3, 3, 2),),),
    ),
    # --- binary losses: the probability and the target are both differentiable
    *_per_reduction(
        "binary_cross_entropy",
        lambda F_, t_, r, p, y: F_.binary_cross_entropy(p, y, reduction=r),
        ("BinaryCrossEntropy",),
        (PAIR, ((), ())),
        domain=PROBABILITY,
    ),
    *_per_reduction(
        "binary_cross_entropy_weight",  # a (4,) weight broadcast over the rows
        lambda F_, t_, r, p, y: F_.binary_cross_entropy(
            p, y, t_(BCE_WEIGHT).to(p.dtype), reduction=r
        ),
        ("BinaryCrossEntropy",),
        (PAIR,),
        domain=PROBABILITY,
    ),
    *_per_reduction(
        "binary_cross_entropy_with_logits",
        lambda F_, t_, r, x, y: F_.binary_cross_entropy_with_logits(x, y, reduction=r),
        ("BinaryCrossEntropyWithLogits",),
        (PAIR,),
        domain=(REAL, PROBABILITY),
    ),
    _row(
        "binary_cross_entropy_with_logits_weight_pos_weight",
        lambda F_, t_, x, y: F_.binary_cross_entropy_with_logits(
            x, y, t_(BCE_WEIGHT).to(x.dtype), pos_weight=t_(POS_WEIGHT).to(x.dtype)
        ),
        ("BinaryCrossEntropyWithLogits",),
        (PAIR,),
        domain=(REAL, PROBABILITY),
    ),
    # --- layers that courses reach for next (composites of the ops above)
    _row(
        "conv1d",
        lambda F_, t_, x, w, b: F_.conv1d(x, w, b, stride=2, padding=1),
        ("Convolution", "Reshape"),
        (((2, 3, 7), (4, 3, 3), (4,)), ((3, 5), (2, 3, 2), (2,))),
    ),
    _row(
        "group_norm",
        lambda F_, t_, x, w, b: F_.group_norm(x, 2, w, b),
        ("Mean", "Rsqrt", "Reshape"),
        (((2, 4, 3), (4,), (4,)), ((3, 6, 2, 2), (6,), (6,))),
    ),
    *[
        _row(
            f"pad_{mode}",
            lambda F_, t_, x, mode=mode: (
                F_.pad(x, (2, 1), mode=mode) + F_.pad(x, (1, 2), mode=mode).flip(-1)
            ),
            ("GetItem", "Add", "Flip"),
            (((2, 4),), ((2, 3, 4),)),
        )
        for mode in ("reflect", "replicate", "circular")
    ],
    _row(
        "pad_reflect_two_dims",
        lambda F_, t_, x: F_.pad(x, (1, 2, 2, 0), mode="reflect"),
        ("GetItem",),
        (((1, 2, 3, 4),),),
    ),
    _row(
        "scaled_dot_product_attention",
        lambda F_, t_, q, k, v: F_.scaled_dot_product_attention(q, k, v),
        ("MatMul", "Softmax"),
        (((2, 3, 4), (2, 5, 4), (2, 5, 3)),),
    ),
    _row(
        "scaled_dot_product_attention_causal_scale",
        lambda F_, t_, q, k, v: F_.scaled_dot_product_attention(q, k, v, is_causal=True, scale=0.3),
        ("MatMul", "Softmax"),
        # 3-D: PyTorch runs 4-D inputs through its fused CPU kernel, which has neither
        # forward mode nor a double backward to compare with.
        (((2, 4, 3), (2, 4, 3), (2, 4, 3)),),
    ),
    _row(
        "scaled_dot_product_attention_masks",
        lambda F_, t_, q, k, v, m: (
            F_.scaled_dot_product_attention(q, k, v, attn_mask=m)
            + F_.scaled_dot_product_attention(q, k, v, attn_mask=t_(ATTENTION_MASK))
        ),
        ("MatMul", "Softmax", "Add"),
        (((3, 4), (5, 4), (5, 2), (3, 5)),),
    ),
    _row(  # two query heads per key head; the first query may see no key: zeros, no NaN
        "scaled_dot_product_attention_shared_heads_masked_row",
        lambda F_, t_, q, k, v: F_.scaled_dot_product_attention(
            q, k, v, attn_mask=t_(MASKED_ROW), enable_gqa=True
        ),
        ("MatMul", "Softmax", "Where"),
        (((4, 3, 2), (2, 5, 2), (2, 5, 3)),),
    ),
]

# The boolean mask of the shared-heads attention row: its first query may see no key.
MASKED_ROW = np.array([[False] * 5, [True, False, True, True, False], [True] * 5])

# Which keys each query may see (True) in the boolean-mask attention row; none is all False.
ATTENTION_MASK = np.array(
    [[True, False, True, True, False], [False, True, True, False, True], [True] * 5]
)
