"""``chainrule.return_types``: the named ``(values, indices)`` tuples that ``max``, ``min``,
``sort`` and ``topk`` return, one class per function, printed as PyTorch prints its own
(the ops build a plain pair; their public functions hand it out through :func:`named`).

    >>> import chainrule as cr
    >>> result = cr.tensor([[1.0, 3.0]]).max(dim=1)
    >>> result
    chainrule.return_types.max(
    values=tensor([3.]),
    indices=tensor([1]))
    >>> values, indices = result
    >>> isinstance(result, tuple), result.indices is indices
    (True, True)
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any


def _values_indices(name: str) -> Any:
    """A ``(values, indices)`` named tuple class called ``name``, with PyTorch's repr."""
    return _pair(name, "values", "indices")


def _pair(name: str, first: str, second: str) -> Any:
    """A named pair ``(first, second)`` called ``name``, with PyTorch's repr."""

    def __repr__(self: Any) -> str:  # noqa: N807
        return f"chainrule.return_types.{name}(\n{first}={self[0]!r},\n{second}={self[1]!r})"

    base = namedtuple(name, [first, second])  # noqa: PYI024
    return type(name, (base,), {"__slots__": (), "__repr__": __repr__, "__module__": __name__})


max = _values_indices("max")  # noqa: A001
min = _values_indices("min")  # noqa: A001
sort = _values_indices("sort")
topk = _values_indices("topk")
cummax = _values_indices("cummax")
cummin = _values_indices("cummin")
median = _values_indices("median")
nanmedian = _values_indices("nanmedian")
kthvalue = _values_indices("kthvalue")
mode = _values_indices("mode")
aminmax = _pair("aminmax", "min", "max")
frexp = _pair("frexp", "mantissa", "exponent")
_CLASSES = {
    "max": max,
    "min": min,
    "sort": sort,
    "topk": topk,
    "cummax": cummax,
    "cummin": cummin,
    "median": median,
    "nanmedian": nanmedian,
    "kthvalue": kthvalue,
    "mode": mode,
    "aminmax": aminmax,
    "frexp": frexp,
}


def named(function: str, result: Any) -> Any:
    """``result`` as ``return_types.<function>`` where it is a ``(values, indices)`` pair;
    a single tensor (``max`` over every element) as it is."""
    return _CLASSES[function](*result) if isinstance(result, tuple) else result
