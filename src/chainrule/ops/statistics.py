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
from chainrule.ops import compare, reduce
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
