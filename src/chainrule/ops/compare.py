"""Comparisons and logic: their results are bool tensors, constant for autodiff.

>>> import chainrule as cr
>>> (cr.tensor([1.0, 2.0]) > 1.5)
tensor([False,  True])
"""

from __future__ import annotations

from typing import Any

from chainrule._array import xp
from chainrule.autodiff.batching import broadcasting
from chainrule.ops.reduce import numpy_aliases
from chainrule.tensor import Tensor, _make


def _raw(value: Any) -> Any:
    return value._data if isinstance(value, Tensor) else value


def _bool(value: Any) -> Tensor:
    return _make(xp.asarray(value))


@broadcasting
def eq(input: Any, other: Any) -> Tensor:  # noqa: A002
    return _bool(_raw(input) == _raw(other))


@broadcasting
def ne(input: Any, other: Any) -> Tensor:  # noqa: A002
    return _bool(_raw(input) != _raw(other))


@broadcasting
def lt(input: Any, other: Any) -> Tensor:  # noqa: A002
    return _bool(_raw(input) < _raw(other))


@broadcasting
def le(input: Any, other: Any) -> Tensor:  # noqa: A002
    return _bool(_raw(input) <= _raw(other))


@broadcasting
def gt(input: Any, other: Any) -> Tensor:  # noqa: A002
    return _bool(_raw(input) > _raw(other))


@broadcasting
def ge(input: Any, other: Any) -> Tensor:  # noqa: A002
    return _bool(_raw(input) >= _raw(other))


@broadcasting
def logical_and(input: Any, other: Any) -> Tensor:  # noqa: A002
    return _bool(xp.logical_and(_raw(input), _raw(other)))


@broadcasting
def logical_or(input: Any, other: Any) -> Tensor:  # noqa: A002
    return _bool(xp.logical_or(_raw(input), _raw(other)))


@broadcasting
def logical_xor(input: Any, other: Any) -> Tensor:  # noqa: A002
    return _bool(xp.logical_xor(_raw(input), _raw(other)))


@broadcasting
def logical_not(input: Any) -> Tensor:  # noqa: A002
    data = _raw(input)
    return _bool(~data if data.dtype.kind in "biu" else xp.logical_not(data))


@broadcasting
def isnan(input: Tensor) -> Tensor:  # noqa: A002
    return _bool(xp.isnan(input._data))


@broadcasting
def isfinite(input: Tensor) -> Tensor:  # noqa: A002
    return _bool(xp.isfinite(input._data))


@broadcasting
def isinf(input: Tensor) -> Tensor:  # noqa: A002
    return _bool(xp.isinf(input._data))


@broadcasting
def isposinf(input: Tensor) -> Tensor:  # noqa: A002
    return _bool(xp.isposinf(input._data))


@broadcasting
def isneginf(input: Tensor) -> Tensor:  # noqa: A002
    return _bool(xp.isneginf(input._data))


def all(  # noqa: A001
    input: Tensor,  # noqa: A002
    dim: int | None = None,
    keepdim: bool = False,
    **aliases: Any,
) -> Tensor:
    if aliases:
        dim, keepdim = numpy_aliases("all", dim, keepdim, aliases)
    return _bool(xp.all(input._data, axis=dim, keepdims=keepdim))


def any(  # noqa: A001
    input: Tensor,  # noqa: A002
    dim: int | None = None,
    keepdim: bool = False,
    **aliases: Any,
) -> Tensor:
    if aliases:
        dim, keepdim = numpy_aliases("any", dim, keepdim, aliases)
    return _bool(xp.any(input._data, axis=dim, keepdims=keepdim))


def equal(input: Tensor, other: Tensor) -> bool:  # noqa: A002
    """True when both have the same shape and values."""
    return input.shape == other.shape and bool(xp.array_equal(input._data, other._data))


def allclose(
    input: Tensor,
    other: Tensor,
    rtol: float = 1e-5,
    atol: float = 1e-8,
    equal_nan: bool = False,  # noqa: A002
) -> bool:
    return bool(xp.allclose(input._data, _raw(other), rtol=rtol, atol=atol, equal_nan=equal_nan))


@broadcasting
def isclose(
    input: Tensor,
    other: Any,
    rtol: float = 1e-5,
    atol: float = 1e-8,
    equal_nan: bool = False,  # noqa: A002
) -> Tensor:
    return _bool(xp.isclose(input._data, _raw(other), rtol=rtol, atol=atol, equal_nan=equal_nan))
