"""Comparisons and logic: their results are bool tensors, constant for autodiff.

Each is an op that carries no gradient (:class:`chainrule.op.Constant`): as in PyTorch its
result has no ``grad_fn``, but the step is kept for the readers of the graph, and under
``vmap`` it broadcasts as the elementwise ops do.

>>> import chainrule as cr
>>> (cr.tensor([1.0, 2.0]) > 1.5)
tensor([False,  True])
"""

from __future__ import annotations

import functools
import operator
from typing import Any

from chainrule._array import xp
from chainrule.op import Constant, _value
from chainrule.ops.elementwise import BROADCASTS
from chainrule.ops.reduce import normalize_dims, numpy_aliases
from chainrule.tensor import Tensor, _make

# The comparisons written as operators in the explainer (``x > 0``).
_SYMBOLS = {
    operator.eq: "==",
    operator.ne: "!=",
    operator.lt: "<",
    operator.le: "<=",
    operator.gt: ">",
    operator.ge: ">=",
}


class Compare(Constant):
    """``test(a, b)`` for two broadcasting values, ``test`` a comparison or logical function
    (``operator.gt``, ``numpy.logical_and``): a bool result."""

    batch_rule = BROADCASTS

    notation = "compare(a, b)"
    derivatives = ("-", "-")

    def __init__(self, test: Any) -> None:
        self.test = test
        symbol = _SYMBOLS.get(test)
        if symbol is not None:  # the explainer shows ``x > 0``, not ``compare(x, 0)``
            self.notation = f"a {symbol} b"

    def forward(self, a, b):
        return self.test(a, b)


class Predicate(Constant):
    """``test(x)`` of each element (``numpy.isnan``, logical not): a bool result."""

    batch_rule = BROADCASTS

    notation = "predicate(x)"
    derivatives = ("-",)

    def __init__(self, test: Any) -> None:
        self.test = test

    def forward(self, x):
        return self.test(x)


def _bool(value: Any) -> Tensor:
    return _make(xp.asarray(value))


def eq(input: Any, other: Any) -> Tensor:  # noqa: A002
    return Compare(operator.eq)(input, other)


def ne(input: Any, other: Any) -> Tensor:  # noqa: A002
    return Compare(operator.ne)(input, other)


def lt(input: Any, other: Any) -> Tensor:  # noqa: A002
    return Compare(operator.lt)(input, other)


def le(input: Any, other: Any) -> Tensor:  # noqa: A002
    return Compare(operator.le)(input, other)


def gt(input: Any, other: Any) -> Tensor:  # noqa: A002
    return Compare(operator.gt)(input, other)


def ge(input: Any, other: Any) -> Tensor:  # noqa: A002
    return Compare(operator.ge)(input, other)


def logical_and(input: Any, other: Any) -> Tensor:  # noqa: A002
    return Compare(xp.logical_and)(input, other)


def logical_or(input: Any, other: Any) -> Tensor:  # noqa: A002
    return Compare(xp.logical_or)(input, other)


def logical_xor(input: Any, other: Any) -> Tensor:  # noqa: A002
    return Compare(xp.logical_xor)(input, other)


def logical_not(input: Any) -> Tensor:  # noqa: A002
    return Predicate(_not)(input)


def _not(data: Any) -> Any:
    return ~data if data.dtype.kind in "biu" else xp.logical_not(data)


def isnan(input: Tensor) -> Tensor:  # noqa: A002
    return Predicate(xp.isnan)(input)


def isfinite(input: Tensor) -> Tensor:  # noqa: A002
    return Predicate(xp.isfinite)(input)


def isinf(input: Tensor) -> Tensor:  # noqa: A002
    return Predicate(xp.isinf)(input)


def isposinf(input: Tensor) -> Tensor:  # noqa: A002
    return Predicate(xp.isposinf)(input)


def isneginf(input: Tensor) -> Tensor:  # noqa: A002
    return Predicate(xp.isneginf)(input)


def all(  # noqa: A001
    input: Tensor,  # noqa: A002
    dim: int | None = None,
    keepdim: bool = False,
    **aliases: Any,
) -> Tensor:
    if aliases:
        dim, keepdim = numpy_aliases("all", dim, keepdim, aliases)
    return _bool(xp.all(input._data, axis=_axes(dim, input.ndim, "all"), keepdims=keepdim))


def any(  # noqa: A001
    input: Tensor,  # noqa: A002
    dim: int | None = None,
    keepdim: bool = False,
    **aliases: Any,
) -> Tensor:
    if aliases:
        dim, keepdim = numpy_aliases("any", dim, keepdim, aliases)
    return _bool(xp.any(input._data, axis=_axes(dim, input.ndim, "any"), keepdims=keepdim))


def _axes(dim: Any, ndim: int, op: str) -> tuple[int, ...] | None:
    """The axes ``all`` and ``any`` reduce: all for None, none for () or [] (where ``sum``
    reduces all), else ``dim``'s, checked as PyTorch checks them."""
    if dim is None:
        return None
    return () if isinstance(dim, tuple | list) and not dim else normalize_dims(dim, ndim, op)


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
    return bool(xp.allclose(input._data, _value(other), rtol=rtol, atol=atol, equal_nan=equal_nan))


def isclose(
    input: Tensor,
    other: Any,
    rtol: float = 1e-5,
    atol: float = 1e-8,
    equal_nan: bool = False,  # noqa: A002
) -> Tensor:
    test = functools.partial(xp.isclose, rtol=rtol, atol=atol, equal_nan=equal_nan)
    return Compare(test)(input, other)
