"""Fractional max pooling (Graham, 2014), PyTorch's ``F.fractional_max_pool2d`` and ``3d``.

Each output cell is the maximum of a ``kernel_size`` window whose start along each dimension
follows a pseudo-random sequence: from one sample ``u`` in [0, 1) per (batch, channel) and
dimension, ``start[i] = int((i + u) * alpha) - int(u * alpha)`` with
``alpha = (input - kernel) / (output - 1)``, and the last window ends at the input's edge. The
arithmetic is in the input's dtype, as PyTorch's, so float32 inputs pick PyTorch's windows.
Without ``_random_samples`` the samples are drawn as PyTorch draws them,
``rand(N, C, dims, dtype=input.dtype)``, so a seed gives PyTorch's windows.

The pooling itself is composed: the windows' elements are gathered and their maximum taken,
so the gradient reaches the first maximum of each window (PyTorch's scan order; with several
NaNs in one window PyTorch picks the last one) and forward mode and second order come from
those ops.

    >>> import chainrule as cr
    >>> x = cr.arange(16.0).reshape(1, 1, 4, 4)
    >>> fractional_max_pool2d(x, 2, output_size=2, _random_samples=cr.full((1, 1, 2), 0.5))
    tensor([[[[ 5.,  7.],
              [13., 15.]]]])
"""

from __future__ import annotations

from typing import Any

from chainrule import dtypes, factories
from chainrule._array import xp
from chainrule.arguments import int_window
from chainrule.ops.adaptive_pool import window_max
from chainrule.ops.reads_input import reads_input
from chainrule.tensor import Tensor, _make

_DIMENSION_NAMES = {2: ("height", "width"), 3: ("time", "height", "width")}


def _starts(samples: Any, size: int, out: int, kernel: int) -> Any:
    """PyTorch's window starts along one dimension, (N, C, out), from samples (N, C)."""
    starts = xp.empty((*samples.shape, out), dtype=xp.int64)
    if out > 1:
        alpha = samples.dtype.type(size - kernel) / samples.dtype.type(out - 1)
        steps = xp.arange(out - 1, dtype=samples.dtype)
        moved = ((steps + samples[..., None]) * alpha).astype(xp.int64)
        starts[..., :-1] = moved - (samples * alpha).astype(xp.int64)[..., None]
    if out > 0:
        starts[..., -1] = size - kernel
    return starts


def _window_positions(samples: Any, sizes: tuple[int, ...], outs: tuple[int, ...],
                      kernel: tuple[int, ...]) -> Any:  # fmt: skip
    """Each window's flat positions in its (N, C) plane: (N, C, *outs, prod(kernel)), the
    window's elements in row-major order (PyTorch's scan order)."""
    dims = len(sizes)
    # PyTorch's sample order: (width, height) for images, (time, height, width) for volumes
    order = (1, 0) if dims == 2 else (0, 1, 2)
    strides = [int(xp.prod(sizes[d + 1 :], dtype=xp.int64)) for d in range(dims)]
    flat = 0
    for d in range(dims):
        starts = _starts(samples[..., order[d]], sizes[d], outs[d], kernel[d])
        shape = (*starts.shape[:2], *(outs[e] if e == d else 1 for e in range(dims)))
        # each dimension's offsets along its own axis of the flattened kernel grid
        grid = xp.broadcast_to(
            xp.arange(kernel[d]).reshape(tuple(kernel[e] if e == d else 1 for e in range(dims))),
            kernel,
        ).reshape(-1)
        rows = starts.reshape(shape)[..., None] + grid
        flat = flat + rows * strides[d]
    return flat


def _sizes(value: Any, dims: int, name: str, position: int) -> tuple[int, ...]:
    """A ``kernel_size`` or ``output_size`` read as PyTorch's op reads it: an ``int[dims]``
    (one int, not a bool, or a list of ``dims`` ints, not one), its messages."""
    op = f"fractional_max_pool{dims}d"
    sizes = int_window(value, dims, op, name, position)
    if len(sizes) != dims:
        three = "three " if dims == 3 else ""
        raise RuntimeError(f"{op}: {name} must either be a single Int or tuple of {three}Ints")
    return sizes


def _fractional_max_pool(
    input: Tensor,  # noqa: A002
    kernel_size: Any,
    output_size: Any,
    output_ratio: Any,
    return_indices: bool,
    samples: Tensor | None,
    dims: int,
) -> Any:
    op = f"fractional_max_pool{dims}d"
    if output_size is None and output_ratio is None:
        raise ValueError(f"{op} requires specifying either an output_size or an output_ratio")
    kernel = _sizes(kernel_size, dims, "kernel_size", 2)
    if output_size is None:
        if dims == 2 and len(output_ratio) > 2:  # a float has no len(): PyTorch's TypeError
            raise ValueError(
                "fractional_max_pool2d requires output_ratio to either be a single Int or "
                "tuple of Ints."
            )
        ratio = (output_ratio,) * dims if isinstance(output_ratio, (int, float)) else output_ratio
        spatial = input.shape[-dims:]
        output_size = [int(spatial[d] * ratio[d]) for d in range(dims)]
    outs = _sizes(output_size, dims, "output_size", 3)
    batched = input.ndim == dims + 2
    if input.ndim < dims + 1:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [-{input.ndim}, "
            f"{input.ndim - 1}], but got -{dims + 1})"
        )
    if samples is None:
        if input.dtype.dtype.kind != "f":
            raise dtypes.not_implemented_for("check_uniform_bounds", input.dtype.dtype)
        n_batch = input.shape[0] if batched else 1
        samples = factories.rand(n_batch, input.shape[-dims - 1], dims, dtype=input.dtype)
    x = input if batched else input.unsqueeze(0)
    n, channels, *sizes = x.shape
    where = f"{op}_out()" if dims == 3 else f"{op}()"
    for d in (0, 2, 1) if dims == 3 else range(dims):  # PyTorch's 3-D kernel checks W before H
        too_large = (
            outs[d] + kernel[d] - 1 >= sizes[d] if dims == 3 else outs[d] + kernel[d] - 1 > sizes[d]
        )
        if too_large:
            name = _DIMENSION_NAMES[dims][d]
            raise RuntimeError(
                f"{where}: pool {name} {kernel[d]} too large relative to input {name} {sizes[d]}"
            )
    _check_samples(samples, x, dims)
    drawn = samples.detach()._data[:n]
    positions = _make(_window_positions(drawn, tuple(sizes), outs, kernel))
    flat = reads_input(x).reshape(n, channels, -1)  # as PyTorch's backward, which reads it
    windows = flat.gather(2, positions.reshape(n, channels, -1))
    values, picked = window_max(windows.reshape(positions.shape))
    if not batched:
        values = values.squeeze(0)
    if not return_indices:
        return values
    indices = positions.gather(-1, picked.unsqueeze(-1)).squeeze(-1)
    return values, indices if batched else indices.squeeze(0)


def _check_samples(samples: Tensor, x: Tensor, dims: int) -> None:
    if samples.dtype != x.dtype:
        raise RuntimeError("Expect _random_samples to have the same dtype as input")
    if samples.ndim != 3:
        raise RuntimeError(f"Expect _random_samples to be 3-D; got {samples.ndim}-D.")
    if samples.shape[0] < x.shape[0]:
        raise RuntimeError("Expect _random_samples.size(0) no less then input batch size.")
    if samples.shape[1] != x.shape[1]:
        raise RuntimeError("Expect _random_samples.size(1) equals to input channel size.")
    if samples.shape[2] != dims:
        raise RuntimeError(
            f"Expect _random_samples.size(2) equals to {dims}; got {samples.shape[2]}."
        )


def fractional_max_pool2d(
    input: Tensor,  # noqa: A002
    kernel_size: Any,
    output_size: Any = None,
    output_ratio: Any = None,
    return_indices: bool = False,
    _random_samples: Tensor | None = None,
) -> Any:
    """Fractional max pooling of an (N, C, H, W) or (C, H, W) ``input`` to ``output_size``
    (or ``output_ratio`` of the input's size, a pair); with ``return_indices`` also each
    maximum's flat position in its H * W plane.

    >>> import chainrule as cr
    >>> fractional_max_pool2d(cr.randn(1, 2, 7, 7), 2, output_size=3).shape
    chainrule.Size([1, 2, 3, 3])
    """
    return _fractional_max_pool(
        input, kernel_size, output_size, output_ratio, return_indices, _random_samples, 2
    )


def fractional_max_pool2d_with_indices(
    input: Tensor,  # noqa: A002
    kernel_size: Any,
    output_size: Any = None,
    output_ratio: Any = None,
    return_indices: bool = False,
    _random_samples: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """:func:`fractional_max_pool2d` with its indices, whatever ``return_indices`` says."""
    return _fractional_max_pool(
        input, kernel_size, output_size, output_ratio, True, _random_samples, 2
    )


def fractional_max_pool3d(
    input: Tensor,  # noqa: A002
    kernel_size: Any,
    output_size: Any = None,
    output_ratio: Any = None,
    return_indices: bool = False,
    _random_samples: Tensor | None = None,
) -> Any:
    """Fractional max pooling of an (N, C, T, H, W) or (C, T, H, W) ``input``; with
    ``return_indices`` also each maximum's flat position in its T * H * W volume.

    >>> import chainrule as cr
    >>> fractional_max_pool3d(cr.randn(2, 5, 6, 7), 2, output_ratio=0.5).shape
    chainrule.Size([2, 2, 3, 3])
    """
    return _fractional_max_pool(
        input, kernel_size, output_size, output_ratio, return_indices, _random_samples, 3
    )


def fractional_max_pool3d_with_indices(
    input: Tensor,  # noqa: A002
    kernel_size: Any,
    output_size: Any = None,
    output_ratio: Any = None,
    return_indices: bool = False,
    _random_samples: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """:func:`fractional_max_pool3d` with its indices, whatever ``return_indices`` says."""
    return _fractional_max_pool(
        input, kernel_size, output_size, output_ratio, True, _random_samples, 3
    )
