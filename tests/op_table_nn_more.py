"""Op-table rows for ``torch.nn.functional``'s activations, losses, distances, pooling,
upsampling and layout functions beyond ``tests/op_table_nn.py``. The same ``OpSpec`` rows as
``tests/op_table.py``, read by the same tests.
"""

from __future__ import annotations

import warnings
from typing import Any

import torch
from op_table import NONZERO, POSITIVE, REAL, OpSpec, away_from, distinct, uniform
from op_table_nn import _per_reduction, _row

import chainrule as cr
import chainrule.nn.functional as F

# Constants of the loss rows (targets are not inputs: PyTorch differentiates few of them).
SIGNS = [1.0, -1.0, -1.0, 1.0]  # +-1 targets of the margin and embedding losses
LABELS = [[1.0, 0.0, 0.0, 1.0], [0.0, 1.0, 1.0, 1.0], [0.0, 0.0, 1.0, 0.0]]  # multi-label
CLASS_WEIGHT = [0.5, 2.0, 1.0, 1.5]
CLASSES = [2, 0, 3, 3]  # 4 samples over 5 classes (a repeat)
MARGIN_WEIGHT = [0.5, 2.0, 1.0, 1.5, 0.25]
VECTOR_PAIR = ((3, 4), (3, 4))
UNARY_SHAPES = (((2, 3),), ((),), ((1, 4, 2),), ((6, 20),))


def _quiet(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` without warnings (kl_div's note on reduction="mean")."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def _torch_pdist(p: float) -> Any:
    """torch's pdist composed from indexing and a norm (PyTorch's own has no forward mode)."""

    def pdist(x: Any) -> Any:
        rows, others = torch.triu_indices(x.shape[0], x.shape[0], 1)
        return torch.linalg.vector_norm(x[rows] - x[others], p, dim=1)

    return pdist


def _torch_multi_margin(
    x: Any, target: list[int], p: int, margin: float, weight: Any, reduction: str
) -> Any:
    """multi_margin_loss's definition in torch: sum over i != y of max(0, margin - x[y] +
    x[i])**p * w[y] / C per sample (PyTorch's own has no forward mode)."""
    y = torch.tensor(target)[:, None]
    hinge = torch.relu(margin - x.gather(1, y) + x) ** p
    if weight is not None:
        hinge = hinge * torch.tensor(weight, dtype=x.dtype)[y]
    others = torch.arange(x.shape[1]) != y
    return _torch_reduced((hinge * others).sum(1) / x.shape[1], reduction)


def _torch_reduced(loss: Any, reduction: str) -> Any:
    return {"mean": loss.mean(), "sum": loss.sum(), "none": loss}[reduction]


def _unary(name: str, build: Any, covers: tuple[str, ...], **kw: Any) -> OpSpec:
    """An activation row over the usual one-input shapes; ``build(F, x)``."""
    shapes = kw.pop("shapes", UNARY_SHAPES)
    return _row(name, lambda F_, t_, x: build(F_, x), covers, shapes, **kw)


NN_MORE_SPECS: list[OpSpec] = [
    # ---- activations, losses, distances (api17b)
    # --- distances and normalisation
    _row(
        "normalize",
        lambda F_, t_, x: F_.normalize(x),
        ("Norm2", "Clamp", "Div"),
        (((3, 4),), ((2, 3, 2),)),
    ),
    _row(
        "normalize_p1_dim0",
        lambda F_, t_, x: F_.normalize(x, p=1.0, dim=0, eps=1e-3),
        ("Abs", "Clamp", "Div"),
        (((3, 4),),),
        domain=NONZERO,
    ),
    _row(
        "cosine_similarity",
        lambda F_, t_, a, b: F_.cosine_similarity(a, b),
        ("Norm2", "RaisedTo", "Div", "Mul", "Sum"),
        (VECTOR_PAIR, ((2, 3, 4), (3, 1))),
    ),
    _row(
        "cosine_similarity_last_dim",
        lambda F_, t_, a, b: F_.cosine_similarity(a, b, dim=-1, eps=1e-4),
        ("Norm2", "Div"),
        (VECTOR_PAIR,),
    ),
    _row(
        "pairwise_distance",
        lambda F_, t_, a, b: F_.pairwise_distance(a, b),
        ("Norm2", "Sub"),
        (VECTOR_PAIR, ((3, 4), (4,))),
    ),
    _row(
        "pairwise_distance_p1_keepdim",
        lambda F_, t_, a, b: F_.pairwise_distance(a, b, p=1.0, keepdim=True),
        ("Abs", "Sum"),
        (VECTOR_PAIR,),
        domain=distinct,
    ),
    # PyTorch's pdist has neither forward mode nor a second derivative: the rows compare with
    # its composition (test_nn_activations_losses.py compares with torch's pdist itself).
    OpSpec("pdist", F.pdist, _torch_pdist(2), ("Norm2", "GetItem"), (((4, 3),), ((2, 5),))),
    OpSpec(
        "pdist_p1",
        lambda x: F.pdist(x, 1),
        _torch_pdist(1),
        ("Abs", "GetItem"),
        (((4, 3),),),
        domain=distinct,
    ),
    # --- activations: inputs kept away from the kinks (tests at the kinks are separate)
    _unary("hardtanh", lambda F_, x: F_.hardtanh(x), ("Hardtanh",), domain=away_from(-1.0, 1.0)),
    _unary(
        "hardtanh_bounds",
        lambda F_, x: F_.hardtanh(x, -0.5, 1.5),
        ("Hardtanh",),
        domain=away_from(-0.5, 1.5),
    ),
    _unary(
        "relu6", lambda F_, x: F_.relu6(x * 4), ("Hardtanh",), domain=away_from(0.0, 1.5)
    ),  # kinks at 0 and 6
    _unary("selu", lambda F_, x: F_.selu(x), ("Selu",), domain=NONZERO),
    _unary("celu", lambda F_, x: F_.celu(x, 0.7), ("Celu",), domain=NONZERO),
    _unary(
        "threshold",
        lambda F_, x: F_.threshold(x, 0.5, -1.5),
        ("Threshold",),
        domain=away_from(0.5),
    ),
    _unary("logsigmoid", lambda F_, x: F_.logsigmoid(x * 4), ("LogSigmoid",)),
    _unary("softsign", lambda F_, x: F_.softsign(x), ("Abs", "Div"), domain=NONZERO),
    _unary("tanhshrink", lambda F_, x: F_.tanhshrink(x), ("Tanh", "Sub")),
    _unary(
        "softshrink",
        lambda F_, x: F_.softshrink(x, 0.4),
        ("Softshrink",),
        domain=away_from(-0.4, 0.4),
    ),
    _unary(
        "hardshrink",
        lambda F_, x: F_.hardshrink(x),
        ("Hardshrink",),
        domain=away_from(-0.5, 0.5),
    ),
    _unary("mish", lambda F_, x: F_.mish(x * 3), ("Mish",)),
    _unary(
        "hardswish",
        lambda F_, x: F_.hardswish(x * 2),
        ("Hardswish",),
        domain=away_from(-1.5, 1.5),
    ),  # kinks at -3 and 3
    _unary(
        "hardsigmoid",
        lambda F_, x: F_.hardsigmoid(x * 2),
        ("Hardsigmoid",),
        domain=away_from(-1.5, 1.5),
        second_order=False,
        why_off={
            "second_order": "PyTorch has no derivative of hardsigmoid_backward to compare with "
            "(the second derivative is 0 off the kinks)"
        },
    ),
    OpSpec(  # torch.func has no batching rule for PyTorch's rrelu: its eval slope instead
        "rrelu_eval",
        lambda x: F.rrelu(x, 0.1, 0.3),
        lambda x: torch.nn.functional.leaky_relu(x, 0.2),
        ("LeakyRelu",),
        UNARY_SHAPES,
        domain=NONZERO,
    ),
    _row("glu", lambda F_, t_, x: F_.glu(x), ("Sigmoid", "Mul"), (((2, 4),), ((3, 2, 6),))),
    _row("glu_dim0", lambda F_, t_, x: F_.glu(x, 0), ("Sigmoid", "Mul"), (((4, 3),),)),
    _row(
        "softmin",
        lambda F_, t_, x: F_.softmin(x, dim=1),
        ("Softmax", "Neg"),
        (((2, 3, 4),), ((3, 5),)),
    ),
    _row(
        "prelu",
        lambda F_, t_, x, w: F_.prelu(x, w),
        ("Where", "Mul"),
        (((2, 3, 4), (3,)), ((2, 3), (1,)), ((4,), (1,))),
        domain=(NONZERO, REAL),
    ),
    # --- regression losses
    *_per_reduction(
        "smooth_l1_loss",
        lambda F_, t_, r, a, b: F_.smooth_l1_loss(a, b, reduction=r, beta=0.5),
        ("SmoothL1Loss",),
        (VECTOR_PAIR,),
    ),
    _row(
        "smooth_l1_loss_beta0",  # PyTorch's l1_loss
        lambda F_, t_, a, b: F_.smooth_l1_loss(a, b, beta=0.0),
        ("Abs",),
        (VECTOR_PAIR,),
        domain=distinct,
    ),
    *_per_reduction(
        "huber_loss",
        lambda F_, t_, r, a, b: F_.huber_loss(a, b, reduction=r, delta=0.7),
        ("HuberLoss",),
        (VECTOR_PAIR,),
    ),
    _row(
        "huber_loss_weight",
        lambda F_, t_, a, b, w: F_.huber_loss(a, b, weight=w),
        ("HuberLoss", "Mul"),
        (((3, 4), (3, 4), (3, 4)),),
    ),
    # --- distribution losses
    *[
        _row(
            f"kl_div_{reduction}",
            lambda F_, t_, x, y, r=reduction: _quiet(F_.kl_div, x, y, reduction=r),
            ("XLogY", "Mul", "Sub"),
            (VECTOR_PAIR,),
            domain=(REAL, POSITIVE),
        )
        for reduction in ("mean", "sum", "none", "batchmean")
    ],
    _row(
        "kl_div_log_target",
        lambda F_, t_, x, y: F_.kl_div(x, y, reduction="batchmean", log_target=True),
        ("Exp", "Mul", "Sub"),
        (VECTOR_PAIR,),
    ),
    *_per_reduction(
        "poisson_nll_loss",
        lambda F_, t_, r, x, y: F_.poisson_nll_loss(x, y, reduction=r),
        ("Exp", "Mul", "Sub"),
        (VECTOR_PAIR,),
        domain=(REAL, POSITIVE),
    ),
    _row(
        "poisson_nll_loss_rates_full",  # Stirling's term where target > 1
        lambda F_, t_, x, y: F_.poisson_nll_loss(x, y, log_input=False, full=True),
        ("Log", "Where"),
        (VECTOR_PAIR,),
        domain=(POSITIVE, uniform(0.2, 3.0)),
    ),
    *_per_reduction(
        "gaussian_nll_loss",
        lambda F_, t_, r, x, y, v: F_.gaussian_nll_loss(x, y, v, reduction=r),
        ("Log", "Div", "RaisedTo"),
        (((3, 4), (3, 4), (3, 4)), ((3, 4), (3, 4), (3,)), ((3, 4), (3, 4), (3, 1))),
        domain=(REAL, REAL, POSITIVE),
    ),
    _row(
        "gaussian_nll_loss_full",
        lambda F_, t_, x, y, v: F_.gaussian_nll_loss(x, y, v, full=True),
        ("Log", "Div"),
        (((3, 4), (3, 4), (3, 4)),),
        domain=(REAL, REAL, POSITIVE),
    ),
    # --- margin and embedding losses: targets of +-1 (constants)
    *_per_reduction(
        "margin_ranking_loss",
        lambda F_, t_, r, a, b: F_.margin_ranking_loss(
            a, b, t_(SIGNS).to(a.dtype), margin=0.3, reduction=r
        ),
        ("Clamp",),
        (((4,), (4,)),),
        domain=distinct,  # a - b never equals the margin: no kink
    ),
    *_per_reduction(
        "hinge_embedding_loss",
        lambda F_, t_, r, x: F_.hinge_embedding_loss(x, t_(SIGNS).to(x.dtype), reduction=r),
        ("Clamp", "Where"),
        (((4,),), ((3, 4),)),
        domain=away_from(1.0),
    ),
    # PyTorch's soft_margin_loss has no forward mode of its backward (which torch.func.hessian
    # needs): the rows compare with its definition composed in torch (test_nn_activations_
    # losses.py compares with torch's function itself).
    *[
        OpSpec(
            f"soft_margin_loss_{reduction}",
            lambda x, r=reduction: F.soft_margin_loss(
                x, cr.tensor(SIGNS, dtype=x.dtype), reduction=r
            ),
            lambda x, r=reduction: _torch_reduced(
                torch.log1p(torch.exp(-x * torch.tensor(SIGNS, dtype=x.dtype))), r
            ),
            ("Exp", "Log1p"),
            (((4,),), ((3, 4),)),
        )
        for reduction in ("mean", "sum", "none")
    ],
    *_per_reduction(
        "cosine_embedding_loss",
        lambda F_, t_, r, a, b: F_.cosine_embedding_loss(
            a, b, t_(SIGNS).to(a.dtype), margin=0.2, reduction=r
        ),
        ("Sqrt", "Div", "Where"),
        (((4, 3), (4, 3)),),
    ),
    _row(
        "cosine_embedding_loss_one_pair",
        lambda F_, t_, a, b: F_.cosine_embedding_loss(a, b, t_(-1.0).to(a.dtype)),
        ("Sqrt", "Div"),
        (((5,), (5,)),),
    ),
    *_per_reduction(
        "triplet_margin_loss",
        lambda F_, t_, r, a, p, n: F_.triplet_margin_loss(a, p, n, margin=2.0, reduction=r),
        ("Norm2", "Clamp"),
        (((4, 3), (4, 3), (4, 3)),),
    ),
    _row(
        "triplet_margin_loss_p1_swap",
        lambda F_, t_, a, p, n: F_.triplet_margin_loss(a, p, n, margin=2.0, p=1, swap=True),
        ("Abs", "Minimum", "Clamp"),
        (((4, 3), (4, 3), (4, 3)),),
        domain=distinct,
    ),
    *_per_reduction(
        "multilabel_soft_margin_loss",
        lambda F_, t_, r, x: F_.multilabel_soft_margin_loss(x, t_(LABELS).to(x.dtype), reduction=r),
        ("LogSigmoid",),
        (((3, 4),),),
    ),
    _row(
        "multilabel_soft_margin_loss_weight",
        lambda F_, t_, x: F_.multilabel_soft_margin_loss(
            x, t_(LABELS).to(x.dtype), t_(CLASS_WEIGHT).to(x.dtype)
        ),
        ("LogSigmoid", "Mul"),
        (((3, 4),),),
    ),
    # PyTorch's multi_margin_loss has neither forward mode nor a second derivative: the rows
    # compare with its definition composed in torch (test_nn_activations_losses.py compares
    # with torch's function itself). No score ties the target's by the margin: no kink.
    *[
        OpSpec(
            f"multi_margin_loss_{reduction}",
            lambda x, r=reduction: F.multi_margin_loss(
                x, cr.tensor(CLASSES), margin=0.9, reduction=r
            ),
            lambda x, r=reduction: _torch_multi_margin(x, CLASSES, 1, 0.9, None, r),
            ("Where", "Gather"),
            (((4, 5),),),
            domain=distinct,
        )
        for reduction in ("mean", "sum", "none")
    ],
    OpSpec(
        "multi_margin_loss_p2_weight",
        lambda x: F.multi_margin_loss(
            x, cr.tensor(CLASSES), p=2, weight=cr.tensor(MARGIN_WEIGHT, dtype=x.dtype)
        ),
        lambda x: _torch_multi_margin(x, CLASSES, 2, 1.0, MARGIN_WEIGHT, "mean"),
        ("Where", "Gather"),
        (((4, 5),),),
        domain=distinct,
    ),
    OpSpec(
        "multi_margin_loss_one_sample",
        lambda x: F.multi_margin_loss(x, cr.tensor(1), reduction="none"),
        lambda x: _torch_multi_margin(x[None], [1], 1, 1.0, None, "none")[0],
        ("Where", "Gather"),
        (((5,),),),
        domain=distinct,
    ),
]

# ---- pooling, upsampling, conv transpose, folds (api17c)
# Rows over the functional forms, the same code for chainrule's F and PyTorch's (op_table_nn's
# ``_row``); inputs without ties where a maximum is taken, so each window's winner is unique.

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
        ("Reshape", "Permute", "Where"),
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
    _row(  # the output padding reaches rows the padding crops (1 of 2) and past the end (2 of 1)
        "conv_transpose2d_output_padding_beyond_stride_within_padding",
        lambda F_, t_, x, w: F_.conv_transpose2d(
            x, w, padding=(2, 1), output_padding=(1, 2), dilation=3
        ),
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
