"""Cases a fuzz of the spatial and embedding layers' edge parameters against PyTorch found
chainrule answering differently: pooling and unpooling an empty batch, the 2-D nearest resize
of a size that doubles, and the errors of convolutions, padding, fractional pooling and group
norm. Each snippet runs with ``T`` as torch and as chainrule; what it leaves in ``out``
(values, gradients, shapes, or the error: type and first line) must be the same."""

from __future__ import annotations

import pytest
import torch
from snippet_outcome import outcome

import chainrule as cr

PRELUDE = """
F = T.nn.functional
def ramp(*shape):
    n = 1
    for s in shape:
        n *= s
    return T.arange(float(n), dtype=T.float64).reshape(shape).requires_grad_()
"""

SNIPPETS = {
    # the backward of max pooling an empty batch (with padding: no fast path) raised
    # NumPy's "cannot reshape array of size 0"
    "max_pool1d of an empty batch, backward": """
        x = T.zeros(0, 1, 4, dtype=T.float64, requires_grad=True)
        y = F.max_pool1d(x, 2, 2, 1)
        y.sum().backward()
        out = (y.shape, x.grad.shape)
    """,
    "max_pool2d then max_unpool2d of an empty batch": """
        x = T.zeros(0, 2, 4, 4, dtype=T.float64, requires_grad=True)
        y, i = F.max_pool2d(x, 2, return_indices=True)
        u = F.max_unpool2d(y, i, 2)
        u.sum().backward()
        out = (u.shape, x.grad.shape)
    """,
    "max_unpool3d of an empty batch": """
        x = T.zeros(0, 1, 4, 4, 4, dtype=T.float64, requires_grad=True)
        y, i = F.max_pool3d(x, 2, 2, 1, return_indices=True)
        u = F.max_unpool3d(y, i, 2, 2, 1)
        u.sum().backward()
        out = (u.shape, x.grad.shape)
    """,
    # PyTorch's 2-D nearest kernel reads i // 2 where a size doubles, whatever the scale
    # factor (3 -> 6 at 2.3 read floor(i / 2.3): rows 0, 0, 0, 1, 1, 2)
    "interpolate nearest 2-D, a size doubled at scale 2.3": """
        x = ramp(1, 1, 3, 2)
        y = F.interpolate(x, scale_factor=(2.3, 1.0), mode="nearest")
        (y * ramp(*y.shape).detach()).sum().backward()
        out = (y.tolist(), x.grad.tolist())
    """,
    "nn.Upsample nearest, scale 2.3 on 3 x 3": """
        x = ramp(1, 1, 3, 3)
        out = T.nn.Upsample(scale_factor=2.3)(x).tolist()
    """,
    # errors: PyTorch's words for an input whose channels do not fit the weight
    "conv2d channels mismatch": """
        out = T.nn.Conv2d(2, 1, 3)(T.zeros(2, 3, 4, 9))
    """,
    "conv2d channels mismatch, unbatched": """
        out = T.nn.Conv2d(2, 1, 3)(T.zeros(3, 4, 9))
    """,
    "conv1d channels mismatch names 1-D shapes": """
        out = T.nn.Conv1d(2, 1, 3)(T.zeros(3, 9))
    """,
    "conv1d grouped channels mismatch names 1-D shapes": """
        out = T.nn.Conv1d(2, 4, 3, groups=2)(T.zeros(1, 3, 9))
    """,
    "conv1d circular padding, channels mismatch": """
        out = T.nn.Conv1d(2, 1, 2, padding=1, padding_mode="circular")(T.zeros(1, 3, 6))
    """,
    "conv_transpose1d channels mismatch names 1-D shapes": """
        out = T.nn.ConvTranspose1d(2, 1, 3)(T.zeros(1, 3, 9))
    """,
    # reflect pad: the argument named is the dimension's (#4 width, #6 height, #8 depth),
    # checked before the size padded
    "reflect pad too wide, width of a 3-D pad": """
        out = T.nn.Conv3d(3, 3, 1, groups=3, padding=3, padding_mode="reflect")(T.zeros(3, 6, 4, 3))
    """,
    "reflect pad too wide, height": """
        out = F.pad(T.zeros(2, 5, 4, 4), (2, 0, 2, 4, -2, 0), mode="reflect")
    """,
    "reflect pad too wide before the size padded": """
        out = F.pad(T.zeros(2, 2, 1), (2, -3), mode="reflect")
    """,
    # the first negative dimension is named, not the least
    "replicate pad to negative sizes": """
        out = F.pad(T.zeros(2, 3, 2, 1), (2, -1, -3, -2, -2, -2), mode="replicate")
    """,
    # circular: dimension by dimension from the first, a wrap round more than once first
    "circular pad: wrap in one dimension, negative size in a later one": """
        out = F.pad(T.zeros(2, 2, 3, 1, 1), (-3, -2, 2, -3, -1, 1), mode="circular")
    """,
    # PyTorch's 3-D kernel checks width before height
    "fractional_max_pool3d too large in height and width": """
        samples = T.zeros(1, 2, 3)
        out = F.fractional_max_pool3d(T.zeros(2, 4, 5, 5), 2, (1, 4, 4), _random_samples=samples)
    """,
    "GroupNorm channels not divisible": """
        out = T.nn.GroupNorm(2, 5)
    """,
}


@pytest.mark.parametrize("name", SNIPPETS)
def test_spatial_case_matches_pytorch(name: str) -> None:
    code = SNIPPETS[name]
    assert outcome(cr, code, PRELUDE) == outcome(torch, code, PRELUDE)
