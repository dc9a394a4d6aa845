"""Op-table rows for spatial nn ops: dilated convolutions, pooling with ceil_mode and
dilation, grid_sample, affine_grid and bicubic interpolation.

The same ``OpSpec`` format as ``tests/op_table.py``: every row runs finite differences in
float64, second order, jvp, vmap, layouts, and values and gradients against PyTorch. The shapes
are odd on purpose: windows that skip the last rows, ``ceil_mode`` windows that run past the
padded edge, dilations that reach past the kernel's own size.

    >>> spec = next(s for s in SPATIAL_SPECS if s.name == "conv2d_dilation_stride_groups")
    >>> spec.covers
    ('Convolution', 'GetItem', 'Cat')
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch.nn.functional as TF
from op_table import REAL, OpSpec, distinct
from op_table_nn import _quietly

import chainrule.nn.functional as F


def _row(name: str, build: Any, covers: tuple[str, ...], shapes: Any, **kw: Any) -> OpSpec:
    """A row whose chainrule and PyTorch calls are the same code over ``F``/``TF``."""
    return OpSpec(name, lambda *xs: build(F, *xs), lambda *xs: build(TF, *xs), covers, shapes, **kw)


SPATIAL_SPECS: list[OpSpec] = [
    # --- dilated convolutions: the dilation a stride along the windows' axes
    _row(
        "conv2d_dilation",
        lambda F_, x, w, b: F_.conv2d(x, w, b, dilation=2),
        ("Convolution",),
        (((2, 3, 7, 8), (4, 3, 3, 3), (4,)), ((1, 1, 5, 5), (1, 1, 2, 2), (1,))),
    ),
    _row(
        "conv2d_dilation_stride_groups",  # rows 9 = 2 * 3 + 3: the last one is never read
        lambda F_, x, w, b: F_.conv2d(
            x, w, b, stride=(2, 1), padding=(1, 2), dilation=(3, 2), groups=2
        ),
        ("Convolution", "GetItem", "Cat"),
        (((2, 4, 9, 6), (6, 2, 2, 3), (6,)),),
    ),
    _row(
        "conv2d_dilation_padding_same_even_kernel",  # 3 * (2 - 1) = 3: one more at the bottom
        lambda F_, x, w: _quietly(F_.conv2d, x, w, padding="same", dilation=(3, 2)),
        ("Convolution",),
        (((2, 2, 5, 6), (3, 2, 2, 4)),),
    ),
    _row(
        "conv2d_dilation_kernel_rows_in_padding_only",  # a dilated tap that reads padding only
        lambda F_, x, w, b: F_.conv2d(x, w, b, stride=2, padding=2, dilation=2),
        ("Convolution",),
        (((1, 2, 2, 3), (2, 2, 3, 3), (2,)),),
    ),
    _row(
        "conv1d_dilation",
        lambda F_, x, w, b: F_.conv1d(x, w, b, stride=2, padding=2, dilation=3),
        ("Convolution", "Reshape"),
        (((2, 3, 13), (4, 3, 3), (4,)), ((3, 8), (2, 3, 2), (2,))),
    ),
    # --- max pooling with dilation and ceil_mode: windows past the padded edge
    _row(
        "max_pool2d_ceil_mode",  # 5 and 7 by 2: a last window of one row and one column
        lambda F_, x: F_.max_pool2d(x, 2, ceil_mode=True),
        ("MaxPool2DWithIndices",),
        (((2, 2, 5, 7),), ((3, 3, 3),)),
        domain=distinct,
    ),
    _row(
        "max_pool2d_dilation",  # windows 5 wide, 2 apart: elements in several windows
        lambda F_, x: F_.max_pool2d(x, 3, stride=2, padding=1, dilation=2),
        ("MaxPool2DWithIndices",),
        (((2, 2, 8, 9),),),
        domain=distinct,
    ),
    _row(
        "max_pool2d_dilation_apart",  # windows 3 tall, 3 apart: the sub-grids' direct path
        lambda F_, x: F_.max_pool2d(x, (2, 2), stride=(3, 4), dilation=(2, 3)),
        ("MaxPool2DWithIndices",),
        (((2, 2, 6, 9),),),
        domain=distinct,
    ),
    _row(
        "max_pool2d_dilation_ceil_mode_indices",
        lambda F_, x: F_.max_pool2d(
            x,
            (3, 2),
            stride=(2, 3),
            padding=1,
            dilation=(2, 1),
            ceil_mode=True,
            return_indices=True,
        )[0],
        ("MaxPool2DWithIndices",),
        (((2, 2, 8, 7),), ((1, 1, 4, 4),)),
        domain=distinct,
    ),
    _row(
        "max_pool1d_dilation_ceil_mode",
        lambda F_, x: F_.max_pool1d(x, 2, stride=3, padding=1, dilation=2, ceil_mode=True),
        ("MaxPool2DWithIndices",),
        (((2, 3, 10),), ((3, 6),)),
        domain=distinct,
    ),
    # --- average pooling with ceil_mode: the divisor of a window past the padded edge
    _row(
        "avg_pool2d_ceil_mode_include_pad",  # counts the padding, not what lies past it
        lambda F_, x: F_.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True),
        ("Convolution",),
        (((2, 2, 6, 8),), ((2, 4, 5),)),
    ),
    _row(
        "avg_pool2d_ceil_mode_exclude_pad",
        lambda F_, x: F_.avg_pool2d(
            x, (3, 2), stride=2, padding=1, ceil_mode=True, count_include_pad=False
        ),
        ("Convolution",),
        (((2, 2, 6, 7),),),
    ),
    _row(
        "avg_pool2d_ceil_mode_divisor_override",
        lambda F_, x: F_.avg_pool2d(x, 2, ceil_mode=True, divisor_override=3),
        ("Convolution",),
        (((1, 2, 5, 3),),),
    ),
    _row(
        "avg_pool1d_ceil_mode",
        lambda F_, x: F_.avg_pool1d(x, 3, stride=2, padding=1, ceil_mode=True),
        ("Convolution", "Reshape"),
        (((2, 3, 8),),),
    ),
]


# ----------------------------------------------------------------------------- grid_sample
def _grid_points(height: int, width: int, align_corners: bool) -> Any:
    """A sampler of (N, Ho, Wo, 2) grids whose pixel positions lie between -1.9 and the far
    edge plus one, away from whole and half pixels: bilinear weights, nearest's rounding,
    clipping and reflection all have kinks there, which finite differences must not cross."""

    def draw(rng: np.random.Generator, shape: Any, index: int) -> np.ndarray:
        sizes = np.array([width, height])
        whole = rng.integers(-2, sizes + 1, shape)
        part = rng.uniform(0.1, 0.4, shape) + 0.5 * rng.integers(0, 2, shape)
        pixels = whole + part
        if align_corners:
            return pixels / (sizes - 1) * 2 - 1
        return (2 * pixels + 1) / sizes - 1

    return draw


# PyTorch's grid_sampler_2d has no forward mode (torch.func.jvp raises NotImplementedError):
# the rows against PyTorch leave the J v checks to the forward-mode rows below, which have no
# PyTorch twin for that reason.
_NO_TORCH_JVP = {"jvp": "PyTorch's grid_sampler_2d has no forward-mode rule to compare with"}
_FORWARD_ONLY = {"torch": "PyTorch's grid_sampler_2d has no forward mode; the rows above compare"}


def _grid_row(mode: str, padding: str, aligned: bool, torch: bool) -> OpSpec:
    """grid_sample of a (2, 3, 4, 5) image at a (2, 3, 2) grid."""
    name = f"grid_sample_{mode}_{padding}_{'aligned' if aligned else 'centred'}"

    def build(F_: Any, x: Any, g: Any) -> Any:
        return F_.grid_sample(x, g, mode, padding, aligned)

    return OpSpec(
        name if torch else f"{name}_forward_mode",
        lambda *xs: build(F, *xs),
        (lambda *xs: build(TF, *xs)) if torch else None,
        ("PlaneGather", "Where"),
        (((2, 3, 4, 5), (2, 3, 2, 2)),),
        domain=(REAL, _grid_points(4, 5, aligned)),
        jvp=not torch,
        why_off=_NO_TORCH_JVP if torch else _FORWARD_ONLY,
    )


_GRID_ROWS = [
    _grid_row(mode, padding, aligned, True)
    for mode in ("bilinear", "nearest")
    for padding in ("zeros", "border", "reflection")
    for aligned in (False, True)
] + [
    _grid_row("bilinear", "zeros", True, False),
    _grid_row("bilinear", "reflection", False, False),
    _grid_row("nearest", "border", False, False),
]


SPATIAL_SPECS += [
    *_GRID_ROWS,
    _row(
        "affine_grid",
        lambda F_, theta: F_.affine_grid(theta, (2, 3, 4, 5), align_corners=False),
        ("MatMul",),
        (((2, 2, 3),),),
    ),
    _row(
        "affine_grid_aligned_3d",
        lambda F_, theta: F_.affine_grid(theta, (1, 2, 2, 3, 4), align_corners=True),
        ("MatMul",),
        (((1, 3, 4),),),
    ),
]


# ----------------------------------------------------------------------------- bicubic
SPATIAL_SPECS += [
    _row(
        "interpolate_bicubic_centred",  # taps past the edges clamped: 3 -> 7 and 5 -> 2
        lambda F_, x: F_.interpolate(x, size=(7, 2), mode="bicubic", align_corners=False),
        ("GetItem",),
        (((2, 3, 3, 5),),),
    ),
    _row(
        "interpolate_bicubic_aligned_scale_factor",
        lambda F_, x: F_.interpolate(x, scale_factor=1.7, mode="bicubic", align_corners=True),
        ("GetItem",),
        (((1, 2, 4, 3),),),
    ),
]
