"""``torch.gradient``: derivatives of sampled values by finite differences (central inside,
one-sided at the edges), as compositions of slicing and arithmetic, so the result is itself
differentiable in the values (and in coordinate tensors).

    >>> import chainrule as cr
    >>> cr.gradient(cr.tensor([1.0, 4.0, 9.0, 16.0, 25.0]))
    (tensor([3., 4., 6., 8., 9.]),)
"""

from __future__ import annotations

from typing import Any

from chainrule import arguments
from chainrule._array import xp
from chainrule.op import own_constants
from chainrule.ops.shape import cat
from chainrule.tensor import Tensor


def _part(x: Tensor, dim: int, start: int | None, stop: int | None) -> Tensor:
    key = (slice(None),) * dim + (slice(start, stop),)
    return x[key]


@own_constants  # the spacings and the stencils' weights: numbers (coordinates are saved)
def gradient(
    input: Tensor,  # noqa: A002
    *,
    spacing: Any = 1,
    dim: Any = None,
    edge_order: int = 1,
) -> tuple[Tensor, ...]:
    """One tensor per dimension in ``dim`` (default all): the derivative along it, with samples
    ``spacing`` apart (a number, one per dimension, or each dimension's coordinates as a 1-D
    tensor); the edges are first- or second-order (``edge_order``) one-sided differences."""
    if input.dtype.dtype == xp.uint8:  # PyTorch's first check (differences would wrap round)
        raise RuntimeError("torch.gradient does not support uint8 input.")
    if edge_order not in (1, 2):
        raise RuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    dims = _dims(input, spacing, dim, edge_order)
    # each dim once, as PyTorch's dim_list_to_bitset checks them: (0, 0) would give two
    # derivatives along 0
    dims = list(arguments.distinct_dims(tuple(dims), input.ndim))
    spacings = _spacings(input, spacing, dim, dims)
    for d in dims:
        if input.shape[d] < edge_order + 1:
            raise RuntimeError(
                "torch.gradient expected each dimension size to be at least edge_order+1"
            )
    return tuple(
        _along(input, d, h, edge_order)
        if isinstance(h, Tensor)
        else _uniform(input, d, h, edge_order)
        for d, h in zip(dims, spacings, strict=True)
    )


def _dims(input: Tensor, spacing: Any, dim: Any, edge_order: Any) -> list[int]:  # noqa: A002
    """``gradient``'s dimensions: all, one int or a list of them; a bool or float ``dim`` or
    ``edge_order`` fits none of PyTorch's signatures (a dim True was read as 1)."""
    index = arguments.is_index
    if dim is None:
        dims: list[int] | None = list(range(input.ndim))
    elif index(dim):  # an int, or an integer tensor of one element
        dims = [int(dim)]
    elif isinstance(dim, list | tuple) and all(index(d) for d in dim):
        dims = [int(d) for d in dim]
    else:
        dims = None
    if dims is None or not index(edge_order):
        # the keywords given (all of gradient's are keyword-only): those not the defaults
        given = (("spacing", spacing, 1), ("dim", dim, None), ("edge_order", edge_order, 1))
        kwargs = {k: v for k, v, default in given if v is not default}
        raise arguments.no_overload("gradient", (input,), kwargs)
    return dims


def _spacings(input: Tensor, spacing: Any, dim: Any, dims: list[int]) -> list[Any]:  # noqa: A002
    """One spacing (a number or a coordinate tensor) per dimension in ``dims``."""
    if not isinstance(spacing, list | tuple):
        return [spacing] * len(dims)
    if dim is None and len(spacing) != input.ndim:
        raise RuntimeError(
            "torch.gradient expected spacing to be unspecified, a scalar, or a list of length "
            f"equal to 'self.dim() = {input.ndim}', since dim argument was not given, but got "
            f"a list of length {len(spacing)}"
        )
    if dim is not None and len(spacing) != len(dims):
        raise RuntimeError(
            "torch.gradient expected spacing to be unspecified, a scalar or it's spacing and dim "
            f"arguments to have the same length, but got a spacing argument of length "
            f"{len(spacing)} and a dim argument of length {len(dims)}."
        )
    for d, h in zip(dims, spacing, strict=True):
        if isinstance(h, Tensor) and (h.ndim != 1 or h.shape[0] != input.shape[d]):
            raise RuntimeError(
                f"torch.gradient: the coordinates of dimension {d} must be a 1-D tensor of its "
                f"size {input.shape[d]}, got shape {tuple(h.shape)}"
            )
    return list(spacing)


def _uniform(x: Tensor, d: int, h: Any, edge_order: int) -> Tensor:
    """Samples ``h`` apart: ``(f[i+1] - f[i-1]) / 2h`` inside, PyTorch's operation order."""
    center = (_part(x, d, 2, None) - _part(x, d, None, -2)) / h
    if edge_order == 1:
        first = (_part(x, d, 1, 2) - _part(x, d, 0, 1)) / h
        last = (_part(x, d, -1, None) - _part(x, d, -2, -1)) / h
    else:
        first = (-1.5 * _part(x, d, 0, 1) + 2 * _part(x, d, 1, 2) - 0.5 * _part(x, d, 2, 3)) / h
        last = (
            0.5 * _part(x, d, -3, -2) - 2 * _part(x, d, -2, -1) + 1.5 * _part(x, d, -1, None)
        ) / h
    return cat([first, center / 2, last], d)


def _along(x: Tensor, d: int, coordinates: Tensor, edge_order: int) -> Tensor:
    """Samples at ``coordinates``: the second-order differences of unevenly spaced points."""
    shape = [1] * x.ndim
    shape[d] = -1
    dx = coordinates[1:] - coordinates[:-1]
    dx1, dx2 = dx[:-1], dx[1:]
    a = (-dx2 / (dx1 * (dx1 + dx2))).reshape(shape)
    b = ((dx2 - dx1) / (dx1 * dx2)).reshape(shape)
    c = (dx1 / (dx2 * (dx1 + dx2))).reshape(shape)
    center = a * _part(x, d, 0, -2) + b * _part(x, d, 1, -1) + c * _part(x, d, 2, None)
    if edge_order == 1:
        first = (_part(x, d, 1, 2) - _part(x, d, 0, 1)) / dx[0]
        last = (_part(x, d, -1, None) - _part(x, d, -2, -1)) / dx[-1]
    else:
        h0, h1 = dx[0], dx[1]
        first = (
            -(2.0 * h0 + h1) / (h0 * (h0 + h1)) * _part(x, d, 0, 1)
            + (h0 + h1) / (h0 * h1) * _part(x, d, 1, 2)
            + (-h0) / (h1 * (h0 + h1)) * _part(x, d, 2, 3)
        )
        hl, hp = dx[-1], dx[-2]
        last = (
            hl / (hp * (hl + hp)) * _part(x, d, -3, -2)
            - (hl + hp) / (hl * hp) * _part(x, d, -2, -1)
            + (2 * hl + hp) / (hl * (hl + hp)) * _part(x, d, -1, None)
        )
    return cat([first, center, last], d)
