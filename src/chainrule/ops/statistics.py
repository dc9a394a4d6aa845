"""Reductions that skip NaNs or count: ``nansum``, ``nanmean``, ``count_nonzero``. They are
compositions of :mod:`chainrule.ops.reduce` and ``where``, so a NaN gets a zero gradient (it
did not contribute), as in PyTorch.

    >>> import chainrule as cr
    >>> x = cr.tensor([1.0, float("nan"), 3.0])
    >>> cr.nansum(x), cr.nanmean(x), cr.count_nonzero(x)
    (tensor(4.), tensor(2.), tensor(3))
"""

from __future__ import annotations

from typing import Any

from chainrule import dtypes
from chainrule._array import xp
from chainrule.dtypes import _TORCH_DTYPE_NAMES
from chainrule.ops import compare, linalg, reduce
from chainrule.ops.elementwise import where
from chainrule.tensor import Tensor


def _nan_as_zero(input: Tensor) -> Tensor:  # noqa: A002
    if not dtypes.is_floating(input.dtype):
        return input
    return where(compare.isnan(input), xp.zeros((), xp.dtype(input.dtype.name)), input)


def nansum(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:  # noqa: A002
    """The sum with NaNs taken as zero."""
    return reduce.sum(_nan_as_zero(input), dim, keepdim, dtype=dtype)


def nanmean(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:  # noqa: A002
    """The mean of the elements that are not NaN (NaN where there are none)."""
    if not dtypes.is_floating(input.dtype):
        name = _TORCH_DTYPE_NAMES[input.dtype.name][1]
        raise RuntimeError(
            f"nanmean(): expected input to have floating point or complex dtype but got {name}"
        )
    counted = reduce.sum(~compare.isnan(input), dim, keepdim)
    return nansum(input, dim, keepdim, dtype=dtype) / counted


def count_nonzero(input: Tensor, dim: Any = None) -> Tensor:  # noqa: A002
    """How many elements are not zero, over ``dim`` (an int or a tuple; all by default)."""
    return reduce.sum(input != 0, dim)


def cov(
    input: Tensor,  # noqa: A002
    *,
    correction: int = 1,
    fweights: Tensor | None = None,
    aweights: Tensor | None = None,
) -> Tensor:
    """The covariance matrix of the variables in ``input``'s rows (observations in its
    columns; a 1-D input is one variable, giving a 0-d result), with PyTorch's frequency and
    observation weights and ``correction`` (1: Bessel's); a divisor below 0 is 0.

    >>> import chainrule as cr
    >>> cr.cov(cr.tensor([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]]))
    tensor([[ 1., -1.],
            [-1.,  1.]])
    """
    if input.ndim > 2:
        raise ValueError(
            "cov(): expected input to have two or fewer dimensions but got an input with "
            f"{input.ndim} dimensions"
        )
    x = input if input.ndim == 2 else input.reshape(1, -1)
    if not dtypes.is_floating(x.dtype):
        x = x.to(dtypes.get_default_dtype())
    if fweights is not None and dtypes.is_floating(fweights.dtype):
        raise RuntimeError(
            f"cov(): expected fweights to have integral dtype but got fweights with "
            f"{_TORCH_DTYPE_NAMES[fweights.dtype.name][1]} dtype"
        )
    weights = [w for w in (fweights, aweights) if w is not None]
    if not weights:
        mean = x.mean(1, keepdim=True)
        divisor: Any = max(x.shape[1] - correction, 0)
        weighted = centred = x - mean
    else:
        w = weights[0] if len(weights) == 1 else weights[0] * weights[1]
        total = w.sum()
        mean = (x * w).sum(1, keepdim=True) / total
        divisor = total - correction * ((w * aweights).sum() / total if aweights is not None else 1)
        divisor = divisor.clamp(min=0)
        centred = x - mean
        weighted = centred * w
    c = linalg.matmul(weighted, centred.transpose(0, 1)) / divisor
    return c.reshape(()) if input.ndim < 2 else c


def corrcoef(input: Tensor) -> Tensor:  # noqa: A002
    """Pearson's correlation coefficients of the rows (see :func:`cov`), clipped to
    [-1, 1] as PyTorch clips them."""
    c = cov(input)
    if c.ndim == 0:
        return c / c
    std = linalg.diag(c).sqrt()
    return (c / std.reshape(-1, 1) / std.reshape(1, -1)).clamp(-1, 1)
