"""``torch.histogram`` and ``torch.histogramdd``: counts (or summed weights, or densities) of
values in bins, with the bin edges. Values only: a count has no derivative.

A value falls in bin ``i`` when ``edges[i] <= value < edges[i + 1]``, the last bin holding its
right edge too; values outside the edges are not counted (PyTorch's rule, which its linear
interpolation followed by a local search against the edges gives).

    >>> import chainrule as cr
    >>> cr.histogram(cr.tensor([1.0, 2.0, 1.0, 4.0]), 3)
    chainrule.return_types.histogram(
    hist=tensor([2., 1., 1.]),
    bin_edges=tensor([1., 2., 3., 4.]))
"""

from __future__ import annotations

import builtins
from typing import Any

from chainrule import arguments, dtypes, return_types
from chainrule._array import add_at, xp
from chainrule.factories import linspace
from chainrule.op import without_derivative
from chainrule.tensor import Tensor, _make


def histogram(
    input: Tensor,  # noqa: A002
    bins: Any = 100,
    *,
    range: Any = None,  # noqa: A002 - PyTorch's name
    weight: Tensor | None = None,
    density: bool = False,
) -> return_types.histogram:
    """The histogram of all of ``input``'s values: ``bins`` equal bins over ``range`` (default
    the values' extent) or the edges given as a 1-D tensor. PyTorch has no derivative for it:
    the results require grad where an input does, and backward raises."""
    if type(density) is not bool:  # 1 was read as True: fits none of the signatures
        raise _no_signature("histogram", input, bins, density)
    return without_derivative("histogram", _histogram, input, bins, range, weight, density)


def _histogram(
    input: Tensor,  # noqa: A002
    bins: Any,
    range: Any,  # noqa: A002 - PyTorch's name
    weight: Tensor | None,
    density: bool,
) -> return_types.histogram:
    points = input.reshape(-1, 1)
    flat_weight = None if weight is None else weight.reshape(-1)
    if weight is not None and tuple(weight.shape) != tuple(input.shape):
        _refuse_weight(points, flat_weight)
    hist, (edges,) = histogramdd(
        points,
        bins if isinstance(bins, int) else [bins],
        range=range,
        weight=flat_weight,
        density=density,
    )
    return return_types.histogram(hist, edges)


def _no_signature(op: str, input: Tensor, bins: Any, density: Any) -> TypeError:  # noqa: A002
    """PyTorch's error for a ``density`` that is no bool: the call fits none of ``op``'s
    signatures. How ``bins`` was passed cannot be told: it is written by position, and
    ``density`` by keyword (both as usually passed)."""
    return arguments.no_overload(op, (input, bins), {"density": density})


def histogramdd(
    input: Tensor,  # noqa: A002
    bins: Any,
    *,
    range: Any = None,  # noqa: A002
    weight: Tensor | None = None,
    density: bool = False,
) -> return_types.histogramdd:
    """The D-dimensional histogram of the points in ``input``'s last dimension (of size D):
    ``bins`` one count for every dimension, a count each, or each dimension's edges; ``range``
    the flat ``[min0, max0, min1, max1, ...]``."""
    if type(density) is not bool:
        raise _no_signature("histogramdd", input, bins, density)
    if not dtypes.is_floating(input.dtype) or input.dtype == dtypes.float16:  # as PyTorch's
        raise dtypes.not_implemented_for("histogramdd", input.dtype)
    if input.ndim < 2:  # (a 0-d one reads its last dimension first, as PyTorch's)
        if not input.ndim:
            raise IndexError("Dimension specified as -1 but tensor has no dimensions")
        raise RuntimeError("torch.histogramdd: input tensor should have at least 2 dimensions")
    data = input._data
    d = data.shape[-1]
    points = data.reshape(-1, d)
    if weight is not None and tuple(weight.shape) != tuple(input.shape[:-1]):
        _refuse_weight(input, weight)
    counts = [bins] * d if isinstance(bins, int) else list(bins)
    if len(counts) != d:
        raise RuntimeError(
            "histogramdd: The size of bins must be equal to the innermost dimension of the input."
        )
    if range is not None and len(range) != 2 * d:
        raise RuntimeError(
            f"torch.histogramdd: for a {d}-dimensional histogram range should have {2 * d} "
            f"elements, but got {len(range)}"
        )
    edges = [_edges(points[:, i], counts[i], range, i, input) for i in builtins.range(d)]
    sizes = tuple(len(e) - 1 for e in edges)
    inside = xp.ones(len(points), dtype=bool)
    index = []
    for i, e in enumerate(edges):
        column = points[:, i]
        inside &= (column >= e[0]) & (column <= e[-1])
        index.append(xp.minimum(xp.searchsorted(e, column, side="right") - 1, len(e) - 2))
    hist = xp.zeros(sizes, dtype=data.dtype)
    values = xp.ones(len(points), data.dtype) if weight is None else weight._data.reshape(-1)
    add_at(hist, tuple(i[inside] for i in index), values[inside].astype(data.dtype))
    if density:
        hist = hist / hist.sum()
        for i, e in enumerate(edges):
            shape = [1] * d
            shape[i] = -1
            hist = hist / xp.diff(e).reshape(shape)
    return return_types.histogramdd(_make(hist), tuple(_make(e) for e in edges))


def _edges(column: Any, bins: Any, limits: Any, i: int, input: Tensor) -> Any:  # noqa: A002
    """Dimension ``i``'s bin edges: ``bins`` given as a tensor, or ``bins`` equal bins over
    the range (the values' extent, widened by 0.5 on each side where it is one point)."""
    if isinstance(bins, Tensor):
        edges = bins._data.astype(column.dtype)
        if len(edges) < 2:
            raise RuntimeError(
                f"torch.histogram(): bins must be > 0, but got {len(edges) - 1} for dimension {i}"
            )
        return edges
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension {i}")
    if limits is not None:
        low, high = float(limits[2 * i]), float(limits[2 * i + 1])
    elif len(column):
        low, high = float(column.min()), float(column.max())
    else:
        low, high = 0.0, 1.0
    if not (xp.isfinite(low) and xp.isfinite(high)):
        raise RuntimeError(
            f"torch.histogramdd: dimension {i}'s range [{_number(low)}, {_number(high)}] is not "
            "finite"
        )
    if low > high:
        raise RuntimeError(
            f"torch.histogramdd: min should not exceed max, but got min {_number(low)} max "
            f"{_number(high)} for dimension {i}"
        )
    if low == high:
        low, high = low - 0.5, high + 0.5
    return linspace(low, high, bins + 1, dtype=input.dtype)._data


def _number(x: float) -> str:
    """A float as PyTorch's messages print it (``3``, ``2.5``, ``nan``, ``inf``)."""
    return str(int(x)) if xp.isfinite(x) and x == int(x) else str(x)


def _refuse_weight(points: Tensor, weight: Tensor) -> None:
    raise RuntimeError(
        "torch.histogramdd: if weight tensor is provided it should have the same shape as the "
        "input tensor excluding its innermost dimension, but got input with shape "
        f"{list(points.shape)} and weight with shape {list(weight.shape)}"
    )
