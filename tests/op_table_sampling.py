"""Op-table rows for bicubic and volumetric ``grid_sample`` and antialiased ``interpolate``.

The same ``OpSpec`` format as ``tests/op_table.py``: every row runs finite differences in
float64, second order, jvp, vmap, layouts, and values and gradients against PyTorch. The grids'
positions keep away from whole and half pixels, where the interpolants' derivatives jump.

    >>> spec = next(s for s in SAMPLING_SPECS if s.name == "grid_sample_bicubic_zeros_centred")
    >>> spec.shapes
    (((2, 3, 4, 5), (2, 3, 2, 2)),)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch.nn.functional as TF
from op_table import REAL, OpSpec

import chainrule.nn.functional as F


def _grid_points(sizes: tuple[int, ...], align_corners: bool) -> Any:
    """A sampler of grids whose last axis holds normalized ``(x, y[, z])`` positions in
    images of ``sizes`` (W, H[, D]) pixels: between two pixels before the first and one past
    the last, a tenth to four tenths away from every whole and half pixel."""

    def draw(rng: np.random.Generator, shape: Any, index: int) -> np.ndarray:
        extent = np.array(sizes)
        pixels = (
            rng.integers(-2, extent + 1, shape)
            + rng.uniform(0.1, 0.4, shape)
            + 0.5 * rng.integers(0, 2, shape)
        )
        if align_corners:
            return pixels / (extent - 1) * 2 - 1
        return (2 * pixels + 1) / extent - 1

    return draw


# PyTorch's grid samplers have no forward mode (torch.func.jvp raises NotImplementedError):
# the rows against PyTorch leave the J v checks to the forward-mode rows, which have no
# PyTorch twin for that reason.
_NO_TORCH_JVP = {"jvp": "PyTorch's grid samplers have no forward-mode rule to compare with"}
_FORWARD_ONLY = {"torch": "PyTorch's grid samplers have no forward mode; the rows above compare"}


def _grid_row(mode: str, padding: str, aligned: bool, volume: bool, torch: bool) -> OpSpec:
    """grid_sample of a (2, 3, 4, 5) image at a (2, 3, 2) grid, or of a (1, 2, 3, 4, 5)
    volume at a (1, 2, 2, 3) grid."""
    kind = "volume_" if volume else ""
    name = f"grid_sample_{kind}{mode}_{padding}_{'aligned' if aligned else 'centred'}"

    def build(F_: Any, x: Any, g: Any) -> Any:
        return F_.grid_sample(x, g, mode, padding, aligned)

    shapes = ((1, 2, 3, 4, 5), (1, 2, 2, 3, 3)) if volume else ((2, 3, 4, 5), (2, 3, 2, 2))
    return OpSpec(
        name if torch else f"{name}_forward_mode",
        lambda *xs: build(F, *xs),
        (lambda *xs: build(TF, *xs)) if torch else None,
        ("PlaneGather", "Where"),
        (shapes,),
        domain=(REAL, _grid_points((5, 4, 3) if volume else (5, 4), aligned)),
        jvp=not torch,
        why_off=_NO_TORCH_JVP if torch else _FORWARD_ONLY,
    )


_PADDINGS = ("zeros", "border", "reflection")
SAMPLING_SPECS: list[OpSpec] = [
    *(
        _grid_row("bicubic", padding, aligned, False, True)
        for padding in _PADDINGS
        for aligned in (False, True)
    ),
    *(
        _grid_row(mode, padding, aligned, True, True)
        for mode in ("bilinear", "nearest")
        for padding in _PADDINGS
        for aligned in (False, True)
    ),
    _grid_row("bicubic", "reflection", False, False, False),
    _grid_row("bicubic", "zeros", True, False, False),
    _grid_row("bilinear", "border", False, True, False),
    _grid_row("nearest", "reflection", True, True, False),
]


def _antialias_row(mode: str, name: str, shape: Any, **kw: Any) -> OpSpec:
    """interpolate with ``antialias=True`` (the same code over ``F``/``TF``)."""

    def build(F_: Any, x: Any) -> Any:
        return F_.interpolate(x, mode=mode, antialias=True, **kw)

    return OpSpec(
        f"interpolate_{mode}_antialias_{name}",
        lambda x: build(F, x),
        lambda x: build(TF, x),
        ("MatMul",),
        ((shape,),),
    )


SAMPLING_SPECS += [
    # shrinking: the filter widens by the scale
    _antialias_row("bilinear", "shrink", (2, 3, 9, 7), size=(4, 3), align_corners=False),
    _antialias_row("bicubic", "shrink", (1, 2, 8, 11), size=(3, 5), align_corners=False),
    # one dimension grows, the other shrinks by a scale factor; the corners aligned
    _antialias_row("bilinear", "mixed", (1, 2, 4, 9), scale_factor=(1.5, 0.4), align_corners=True),
    _antialias_row("bicubic", "mixed", (2, 1, 5, 10), scale_factor=(2.0, 0.3), align_corners=True),
]
