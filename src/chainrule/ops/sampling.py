"""Sampling an image at arbitrary points: ``F.affine_grid`` and ``F.grid_sample``, the two
halves of a Spatial Transformer Network.

``affine_grid(theta, size)`` maps every output pixel's normalized position ``(x, y, 1)`` (each
in [-1, 1]) through a batch of 2x3 affine matrices; ``grid_sample(input, grid)`` reads the
input at those positions, -1 and 1 being the centres of the edge pixels
(``align_corners=True``) or the outer edges of the edge pixels (``False``, the default).

Both are composites of differentiable ops, with PyTorch's formulas step for step (its
``grid_sampler_compute_source_index``): the grid is unnormalized to pixel units, then clipped
or reflected by ``padding_mode``; bilinear sampling weighs the four neighbouring pixels (read
with ``gather``, whose gradient adds each read back where it came from) by their distance,
which is the gradient with respect to the grid, and nearest reads the nearest pixel (ties to
even, as ``nearbyint``): its grid gradient is zero, as PyTorch's. PyTorch counts a position on
the border as outside when it clips (``clip_coordinates_set_grad``): its gradient is zero
there, and so it is here. Bicubic sampling weighs the 4x4 pixels around the position by Keys'
cubic convolution (``A = -0.75``), each pixel's position padded on its own. Volumes
(N, C, D, H, W) sample at (N, Do, Ho, Wo, 3) grids of ``(x, y, z)``: trilinearly (the eight
neighbours) or nearest.

    >>> import chainrule as cr
    >>> identity = cr.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
    >>> image = cr.arange(6.0).reshape(1, 1, 2, 3)
    >>> grid = affine_grid(identity, image.shape, align_corners=False)
    >>> grid_sample(image, grid, align_corners=False)
    tensor([[[[0., 1., 2.],
              [3., 4., 5.]]]])
"""

from __future__ import annotations

import functools
import itertools
import operator
import warnings
from typing import Any

from chainrule import dtypes
from chainrule._array import xp
from chainrule.arguments import boolean
from chainrule.op import Linear, own_constants
from chainrule.ops import dual
from chainrule.ops.elementwise import where
from chainrule.ops.pooling import _unpool_batch
from chainrule.ops.reads_input import reads_input
from chainrule.tensor import Tensor

_ALIGN_WARNING = (
    "Default grid_sample and affine_grid behavior has changed to align_corners=False since "
    "1.3.0. Please specify align_corners=True if the old behavior is desired. See the "
    "documentation of grid_sample for details."
)


def _aligned(align_corners: bool | None) -> bool:
    """PyTorch's default, ``False``, with its warning when none was given."""
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, UserWarning, stacklevel=3)
        return False
    return align_corners


# ----------------------------------------------------------------------------- affine_grid
def _normalized_positions(steps: int, align_corners: bool, dtype: Any) -> Any:
    """The normalized positions of ``steps`` pixels: from -1 to 1 (their centres), or the
    centres of ``steps`` pixels spanning [-1, 1]; one pixel sits at 0.

    Bit for bit PyTorch's, since a grid position on a pixel (as the identity's are) must round
    to the same side of it as PyTorch's: there bilinear sampling's grid gradient jumps. Its
    ``linspace`` counts the first half of the steps up from -1 and the rest down from 1, each
    a fused multiply-add (rounded once): here in a wider type, whose product of the step and
    a count below 2**11 is exact. Then the scaling by ``(steps - 1) / steps``, two roundings.
    """
    if steps <= 1:
        return xp.zeros(steps, dtype)
    wide = xp.longdouble if dtype == xp.float64 else xp.float64
    step = wide(dtype.type(2.0) / dtype.type(steps - 1))
    i = xp.arange(steps)
    up, down = -1 + step * i.astype(wide), 1 - step * (steps - 1 - i).astype(wide)
    positions = xp.where(i < steps // 2, up, down).astype(dtype)
    return positions if align_corners else positions * dtype.type(steps - 1) / dtype.type(steps)


@own_constants  # the base grid, made from sizes (PyTorch's node keeps those)
def affine_grid(theta: Tensor, size: Any, align_corners: bool | None = None) -> Tensor:
    """The (N, H, W, 2) sampling grid of a batch of (N, 2, 3) affine matrices ``theta`` for
    an output of ``size`` (N, C, H, W): each pixel's normalized ``(x, y)`` mapped by its
    matrix, for :func:`grid_sample`. A 5-D ``size`` (N, C, D, H, W) takes (N, 3, 4) matrices
    and gives an (N, D, H, W, 3) grid.

        >>> import chainrule as cr
        >>> theta = cr.tensor([[[2.0, 0.0, 0.0], [0.0, 1.0, 0.5]]])
        >>> affine_grid(theta, (1, 1, 1, 2), align_corners=True)
        tensor([[[[-2.0000,  0.5000],
                  [ 2.0000,  0.5000]]]])
    """
    align_corners = _aligned(align_corners)
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    dims = len(size) - 2
    if dims not in (2, 3):
        raise NotImplementedError(
            "affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
            f"respectively. Got size {size}."
        )
    if theta.ndim != 3 or tuple(theta.shape[-2:]) != (dims, dims + 1):
        raise ValueError(
            f"Expected a batch of {dims}D affine matrices of shape Nx{dims}x{dims + 1} for size "
            f"{size}. Got {theta.shape}."
        )
    spatial = tuple(size[2:])
    if align_corners and min(spatial) == 1:
        warnings.warn(
            "Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
            "align_corners=True. This is not an intended use case of affine_grid. See the "
            "documentation of affine_grid for details.",
            UserWarning,
            stacklevel=2,
        )
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    if type(align_corners) is not bool:  # (1 was read by its truth) as PyTorch's kernel's
        boolean(align_corners, "affine_grid_generator", "align_corners", 3)
    if theta.shape[0] != size[0]:
        raise RuntimeError(
            f"affine_grid: {theta.shape[0]} matrices in theta for a batch of {size[0]}"
        )
    # (..., dims + 1): x (the last dimension's position) first, then y (and z), then 1
    axes = [_normalized_positions(n, align_corners, theta.dtype) for n in spatial]
    base = xp.ones((*spatial, dims + 1), theta.dtype)
    for k, grid in enumerate(xp.meshgrid(*axes, indexing="ij")[::-1]):
        base[..., k] = grid
    rows = base.reshape(1, -1, dims + 1)
    return (rows @ theta.transpose(1, 2)).reshape(size[0], *spatial, dims)


# ----------------------------------------------------------------------------- grid_sample
def _clipped(coord: Tensor, size: int) -> Tensor:
    """``coord`` clipped to [0, size - 1]; on or past a border its gradient is zero."""
    top = float(size - 1)
    return where(coord <= 0, 0.0, where(coord >= top, top, coord))


def _reflected(coord: Tensor, twice_low: int, twice_high: int) -> Tensor:
    """``coord`` reflected by the bounds ``twice_low / 2`` and ``twice_high / 2`` until it
    lies between them (PyTorch's ``reflect_coordinates``)."""
    if twice_low == twice_high:
        return coord * 0.0
    low, span = twice_low / 2, (twice_high - twice_low) / 2
    distance = (coord - low).abs()
    extra = distance.fmod(span)
    even = (distance.detach() / span).floor().fmod(2) == 0  # how many flips: a constant
    return where(even, extra + low, span - extra + low)


def _unnormalized(coord: Tensor, size: int, align_corners: bool, volume: bool) -> Tensor:
    """Normalized coordinates as pixel positions along a dimension of ``size`` pixels, with
    the roundings of PyTorch's CPU kernels: the 2-D one (``ComputeLocationBase``) computes
    ``(c + 1) * ((size - 1) / 2)``, or ``(c + 1) * (size / 2) - 0.5``; the 3-D one
    (``grid_sampler_unnormalize``) ``(c + 1) / 2 * (size - 1)``, or ``((c + 1) * size - 1) / 2``.

    The 2-D vectorized kernel may fuse the latter's multiply and subtract (one rounding, not
    two): a point that lies on a pixel here (the identity's, with ``align_corners=False``)
    can lie an ulp before it there. The values agree (the interpolant is continuous), but the
    grid gradient there is then the derivative from the other side of the pixel."""
    if volume:
        return (coord + 1) / 2 * (size - 1) if align_corners else ((coord + 1) * size - 1) / 2
    if align_corners:
        return (coord + 1) * ((size - 1) / 2)
    return (coord + 1) * (size / 2) - 0.5


def _padded(coord: Tensor, size: int, padding_mode: str, align_corners: bool) -> Tensor:
    """Pixel positions clipped or reflected by ``padding_mode`` (PyTorch's
    ``compute_coordinates``): reflection clips too, which zeroes the gradient on the edges."""
    if padding_mode == "border":
        return _clipped(coord, size)
    if padding_mode == "reflection":
        bounds = (0, 2 * (size - 1)) if align_corners else (-1, 2 * size - 1)
        return _clipped(_reflected(coord, *bounds), size)
    return coord


def _source(
    coord: Tensor, size: int, padding_mode: str, align_corners: bool, volume: bool
) -> Tensor:
    """PyTorch's ``grid_sampler_compute_source_index``: unnormalized, then padded."""
    return _padded(
        _unnormalized(coord, size, align_corners, volume), size, padding_mode, align_corners
    )


class PlaneGather(Linear):
    """``x`` (N, C, L) read at (N, 1, P) int64 ``index``, the same positions in every channel:
    (N, C, P). Linear in ``x``; the index is an input, not a setting as ``gather``'s, since
    ops compute it from the grid: a compiled replay then reads each call's positions."""

    notation = "x read at index"
    derivatives = ("g added back at the index (repeats add up)", "-")
    batch_rule = staticmethod(_unpool_batch)  # the examples' planes join the batch

    def forward(self, x, index):
        return xp.take_along_axis(x, index, axis=2)  # the index broadcast over the channels

    def vjp(self, g, out, x, index):
        full = dual.broadcast_to(index, tuple(g.shape))
        return dual.scatter_along(g, full, 2, tuple(x.shape)), None


def _read(flat: Tensor, coords: tuple[Tensor, ...], sizes: tuple[int, ...]) -> Tensor:
    """The (N, C, *out) pixels of ``flat`` (N, C, prod(sizes)) at the integer-valued (N, *out)
    positions ``coords`` (constants; the slowest dimension first), zero where they fall
    outside the image."""
    n, c = flat.shape[0], flat.shape[1]
    inside, index = None, None
    for coord, size in zip(coords, sizes, strict=True):
        within = (coord >= 0) & (coord < size)
        inside = within if inside is None else inside & within
        index = coord if index is None else index * size + coord
    index = where(inside, index, 0).to(xp.int64).reshape(n, 1, -1)
    picked = PlaneGather()(flat, index)
    return where(inside.reshape(n, 1, -1), picked, 0.0).reshape(n, c, *coords[0].shape[1:])


def _weighted_sum(terms: Any) -> Tensor:
    """The sum of ``(values, weight)`` pairs, each (N, C, *out) values times an (N, *out)
    weight, in the order given (PyTorch's order of its kernels' sums)."""
    total = None
    for values, weight in terms:
        term = values * weight.unsqueeze(1)
        total = term if total is None else total + term
    return total


def _cubic_coefficients(t: Tensor) -> list[Tensor]:
    """The weights of the taps at -1, 0, 1 and 2 for a position ``t`` in [0, 1) past tap 0:
    Keys' cubic convolution with ``A = -0.75``, as PyTorch's vectorized kernel writes them
    (``get_cubic_coefficients``: distances ``t + 1``, ``t``, ``1 - t`` and ``2 - t``)."""
    a = -0.75

    def near(d: Tensor) -> Tensor:  # |d| <= 1
        return ((a + 2) * d - (a + 3)) * d * d + 1

    def far(d: Tensor) -> Tensor:  # 1 < |d| < 2
        return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a

    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def _bicubic(
    flat: Tensor, grid: Tensor, sizes: tuple[int, int], padding_mode: str, align_corners: bool
) -> Tensor:
    """PyTorch's bicubic ``grid_sampler_2d``: the 4x4 pixels around each unnormalized (not
    padded) position, each tap's position padded on its own (``get_value_bounded``), four
    cubic interpolations along x, then one along y. The grid's gradient is the derivative of
    the coefficients (PyTorch's does not zero it on the edges, as the bilinear one does)."""
    height, width = sizes
    x = _unnormalized(grid[..., 0], width, align_corners, volume=False)
    y = _unnormalized(grid[..., 1], height, align_corners, volume=False)
    left, top = x.detach().floor(), y.detach().floor()
    along_x, along_y = _cubic_coefficients(x - left), _cubic_coefficients(y - top)
    columns = [_padded(left + k, width, padding_mode, align_corners) for k in (-1, 0, 1, 2)]
    rows = [_padded(top + k, height, padding_mode, align_corners) for k in (-1, 0, 1, 2)]
    lines = [
        _weighted_sum(
            (_read(flat, (row, column), sizes), weight)
            for column, weight in zip(columns, along_x, strict=True)
        )
        for row in rows
    ]
    return _weighted_sum(zip(lines, along_y, strict=True))


def _check_grid(input: Tensor, grid: Tensor) -> None:  # noqa: A002
    """PyTorch's checks of ``grid_sampler``, in its order, with its messages."""
    sizes = f"input with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}"
    if input.ndim == 0 or grid.ndim == 0 or input.shape[0] != grid.shape[0]:
        raise RuntimeError(
            f"grid_sampler(): expected grid and input to have same batch size, but got {sizes}"
        )
    if grid.shape[-1] != input.ndim - 2:
        raise RuntimeError(
            f"grid_sampler(): expected grid to have size {input.ndim - 2} in last dimension, "
            f"but got grid with sizes {list(grid.shape)}"
        )
    for d in range(2, input.ndim):
        if input.shape[d] == 0:
            raise RuntimeError(
                "grid_sampler(): expected input to have non-empty spatial dimensions, but "
                f"input has sizes {list(input.shape)} with dimension {d} being empty"
            )
    if input.ndim not in (4, 5) or input.ndim != grid.ndim:
        raise RuntimeError(
            "grid_sampler(): expected 4D or 5D input and grid with same number of dimensions, "
            f"but got {sizes}"
        )
    if input.dtype != grid.dtype:
        raise RuntimeError(
            f"expected scalar type {dtypes.scalar_type_name(input.dtype)} but found "
            f"{dtypes.scalar_type_name(grid.dtype)}"
        )


def grid_sample(
    input: Tensor,  # noqa: A002
    grid: Tensor,
    mode: str = "bilinear",
    padding_mode: str = "zeros",
    align_corners: bool | None = None,
) -> Tensor:
    """``input`` (N, C, H, W) read at the (N, Ho, Wo, 2) normalized ``(x, y)`` positions of
    ``grid``: an (N, C, Ho, Wo) result; or an (N, C, D, H, W) volume at (N, Do, Ho, Wo, 3)
    ``(x, y, z)`` positions. ``mode`` "bilinear" (trilinear for volumes), "nearest" or
    "bicubic" (images only); ``padding_mode`` "zeros" (outside reads 0), "border" (the nearest
    edge pixel) or "reflection" (mirrored at the edges). Differentiable in ``input`` and
    (bilinear, bicubic) in ``grid``.

        >>> import chainrule as cr
        >>> image = cr.tensor([[[[0.0, 10.0]]]])
        >>> grid_sample(image, cr.tensor([[[[0.0, 0.0]]]]), align_corners=True)
        tensor([[[[5.]]]])
    """
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(
            "nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or "
            f"'bicubic', but got: '{mode}'"
        )
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(
            "nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
            f"'reflection', but got: '{padding_mode}'"
        )
    align_corners = _aligned(align_corners)
    if type(align_corners) is not bool:  # (1 was read by its truth) as PyTorch's kernel's
        boolean(align_corners, "grid_sampler", "align_corners", 5)
    _check_grid(input, grid)
    spatial = tuple(input.shape[2:])
    # reads_input: PyTorch's backward kernel reads the input, so its gradient depends on it
    flat = reads_input(input, zeros=False).reshape(*input.shape[:2], -1)
    if mode == "bicubic":
        if input.ndim == 5:
            raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
        return _bicubic(flat, grid, spatial, padding_mode, align_corners)
    volume = input.ndim == 5
    # x (the last dimension's position) first in the grid, the slowest dimension first here
    points = [
        _source(grid[..., k], size, padding_mode, align_corners, volume)
        for k, size in enumerate(spatial[::-1])
    ][::-1]
    if mode == "nearest":
        nearest = [p.round() for p in points]
        # Times 1 whose derivative is round's, 0: the grid's gradient is zeros, as PyTorch's.
        total = sum(nearest[1:], nearest[0])
        one = (total - total.detach() + 1).unsqueeze(1)
        return _read(flat, tuple(p.detach() for p in nearest), spatial) * one
    # The 2 ** dims neighbours weighted by their distance along each dimension, summed in
    # PyTorch's order (the fastest dimension's neighbour changing first) with its products'
    # order (x's factor first)
    below = [p.detach().floor() for p in points]
    terms = []
    for corner in itertools.product((0, 1), repeat=len(points)):
        taps = tuple(b + k for b, k in zip(below, corner, strict=True))
        factors = [
            (p - b) if k else (b + 1 - p) for p, b, k in zip(points, below, corner, strict=True)
        ][::-1]
        terms.append((_read(flat, taps, spatial), functools.reduce(operator.mul, factors)))
    return _weighted_sum(terms)
