"""Rearranging image pixels and windows: ``pixel_shuffle`` and ``pixel_unshuffle`` (channels
to and from space), ``unfold`` (every window of an image as a column, im2col) and ``fold``
(columns added back into an image, col2im).

The pixel shuffles are a reshape, a permutation and a reshape, so their gradients are the
reverse rearrangement. ``unfold`` and ``fold`` are linear maps, each the other's transpose:
two ops, :class:`Unfold` and :class:`Fold`, each of whose vjp applies the other, so gradients
of gradients work to any order. The windows are read as the convolution reads them, one
strided copy (or add) per kernel offset.

    >>> import chainrule as cr
    >>> x = cr.arange(8.0).reshape(1, 4, 1, 2)
    >>> pixel_shuffle(x, 2)
    tensor([[[[0., 2., 1., 3.],
              [4., 6., 5., 7.]]]])
    >>> bool((pixel_unshuffle(pixel_shuffle(x, 2), 2) == x).all())
    True
"""

from __future__ import annotations

import operator
from typing import Any

from chainrule.tensor import Tensor


def _factor(value: Any, name: str, op: str) -> int:
    """A positive int, as PyTorch's pixel shuffles take it."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(
            f"{op}(): argument '{name}' (position 2) must be int, not {type(value).__name__}"
        )
    if value <= 0:
        raise RuntimeError(f"{op} expects a positive {name}, but got {value}")
    return operator.index(value)


def _check_image(input: Tensor, op: str) -> None:  # noqa: A002
    if input.ndim < 3:
        raise RuntimeError(
            f"{op} expects input to have at least 3 dimensions, but got input with "
            f"{input.ndim} dimension(s)"
        )


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:  # noqa: A002
    """(*, C * r * r, H, W) -> (*, C, H * r, W * r): each group of r * r channels becomes an
    r x r block of pixels (the sub-pixel convolution's upsampling)."""
    r = _factor(upscale_factor, "upscale_factor", "pixel_shuffle")
    _check_image(input, "pixel_shuffle")
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(
            "pixel_shuffle expects its input's 'channel' dimension to be divisible by the square "
            f"of upscale_factor, but input.size(-3)={c} is not divisible by {r * r}"
        )
    n = len(lead)
    blocks = input.reshape(*lead, c // (r * r), r, r, h, w)
    order = (*range(n), n, n + 3, n + 1, n + 4, n + 2)  # (C, H, r, W, r)
    return blocks.permute(*order).reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:  # noqa: A002
    """(*, C, H * r, W * r) -> (*, C * r * r, H, W): :func:`pixel_shuffle`'s inverse."""
    r = _factor(downscale_factor, "downscale_factor", "pixel_unshuffle")
    _check_image(input, "pixel_unshuffle")
    *lead, c, h, w = input.shape
    for name, size, dim in (("height", h, -2), ("width", w, -1)):
        if size % r:
            raise RuntimeError(
                f"pixel_unshuffle expects {name} to be divisible by downscale_factor, but "
                f"input.size({dim})={size} is not divisible by {r}"
            )
    n = len(lead)
    blocks = input.reshape(*lead, c, h // r, r, w // r, r)
    order = (*range(n), n, n + 2, n + 4, n + 1, n + 3)  # (C, r, r, H, W)
    return blocks.permute(*order).reshape(*lead, c * r * r, h // r, w // r)
