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

from chainrule import dtypes
from chainrule._array import xp
from chainrule.arguments import boolean, mistyped, no_overload
from chainrule.autodiff import batching
from chainrule.dtypes import _TORCH_DTYPE_NAMES
from chainrule.op import Constant
from chainrule.ops.elementwise import BROADCASTS
from chainrule.ops.reduce import normalize_dims, numpy_aliases
from chainrule.tensor import Tensor, _make

_FLOAT = xp.dtype(float)  # the kind of a number that is not an integer array

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

    promotes = True

    batch_rule = BROADCASTS

    notation = "compare(a, b)"
    derivatives = ("-", "-")

    def __init__(self, test: Any) -> None:
        self.test = test
        symbol = _SYMBOLS.get(test)
        if symbol is not None:  # the explainer shows ``x > 0``, not ``compare(x, 0)``
            self.notation = f"a {symbol} b"

    def forward(self, a, b):
        # A number is the second operand (``3 < x`` is ``x > 3``); PyTorch compares an int
        # cast into an integer tensor's dtype: a uint8 is below -3, which it reads as 253.
        if type(b) is int and getattr(a, "dtype", _FLOAT).kind in "iu":
            b = dtypes.wrap_integer(b, a.dtype)
        return self.test(a, b)


class Bitwise(Compare):
    """``op(a, b)`` bit by bit on integers and bools (``&``, ``|``, ``^``, ``<<``, ``>>``), in
    the operands' common dtype (two bools give a bool): no gradient, as in PyTorch. Floats
    are refused with PyTorch's error, which names its kernel (``bitwise_and_cpu``)."""

    notation = "bitwise(a, b)"

    def __init__(self, op: Any, kernel: str) -> None:
        super().__init__(op)
        self.kernel = kernel

    def forward(self, a, b):
        kinds = xp.asarray(a).dtype.kind + xp.asarray(b).dtype.kind
        if "f" in kinds:  # the floats' common dtype named; a Python float is PyTorch's float32
            xp.broadcast_shapes(xp.shape(a), xp.shape(b))  # PyTorch's check of shapes comes first
            arrays = [x.dtype for x in (a, b) if type(x) is xp.ndarray and x.dtype.kind == "f"]
            raise dtypes.not_implemented_for(
                self.kernel, xp.result_type(*arrays) if arrays else xp.float32
            )
        if kinds == "bb" and self.kernel.endswith("shift_cpu"):  # no shifts of bools
            raise dtypes.not_implemented_for(self.kernel, xp.bool_)
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
    """True where ``input`` is zero (False, 0, 0.0), for every dtype.

    >>> import chainrule as cr
    >>> cr.logical_not(cr.tensor([5, 0]))
    tensor([False,  True])
    """
    return Predicate(xp.logical_not)(input)


def bitwise_and(input: Any, other: Any) -> Tensor:  # noqa: A002
    """``input & other`` bit by bit (a logical and of bools).

    >>> import chainrule as cr
    >>> cr.bitwise_and(cr.tensor([12, 10]), 6), cr.tensor([True, False]) & True
    (tensor([4, 2]), tensor([ True, False]))
    """
    return Bitwise(xp.bitwise_and, "bitwise_and_cpu")(input, other)


def bitwise_or(input: Any, other: Any) -> Tensor:  # noqa: A002
    """``input | other`` bit by bit (a logical or of bools)."""
    return Bitwise(xp.bitwise_or, "bitwise_or_cpu")(input, other)


def bitwise_xor(input: Any, other: Any) -> Tensor:  # noqa: A002
    """``input ^ other`` bit by bit (a logical xor of bools)."""
    return Bitwise(xp.bitwise_xor, "bitwise_xor_cpu")(input, other)


def bitwise_left_shift(input: Any, other: Any) -> Tensor:  # noqa: A002
    """``input << other``: shifted out bits are lost, a shift past the width gives 0.

    >>> import chainrule as cr
    >>> cr.tensor([5, -5]) << 2
    tensor([ 20, -20])
    """
    return Bitwise(xp.left_shift, "lshift_cpu")(input, other)


def bitwise_right_shift(input: Any, other: Any) -> Tensor:  # noqa: A002
    """``input >> other``, keeping the sign (-5 >> 1 is -3)."""
    return Bitwise(xp.right_shift, "rshift_cpu")(input, other)


def bitwise_not(input: Tensor) -> Tensor:  # noqa: A002
    """``~input`` bit by bit (a logical not of bools): -6 for 5."""
    if input.is_floating_point():
        raise dtypes.not_implemented_for("bitwise_not_cpu", input.dtype)
    return Predicate(xp.invert)(input)


def invert(input: Tensor) -> Tensor:  # noqa: A002
    """``~input``, :func:`bitwise_not`; refused for floats with Python's TypeError, as
    PyTorch's operator refuses them."""
    if input.is_floating_point():
        raise TypeError(
            "~ (operator.invert) is only implemented on integer and Boolean-type tensors"
        )
    return bitwise_not(input)


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
    if type(keepdim) is not bool:
        raise _mistyped_keepdim("all", input, dim, keepdim)
    return _logical_reduction(xp.all, input, dim, keepdim, "all")


def any(  # noqa: A001
    input: Tensor,  # noqa: A002
    dim: int | None = None,
    keepdim: bool = False,
    **aliases: Any,
) -> Tensor:
    if aliases:
        dim, keepdim = numpy_aliases("any", dim, keepdim, aliases)
    if type(keepdim) is not bool:
        raise _mistyped_keepdim("any", input, dim, keepdim)
    return _logical_reduction(xp.any, input, dim, keepdim, "any")


def _mistyped_keepdim(op: str, input: Tensor, dim: Any, keepdim: Any) -> TypeError:  # noqa: A002
    """PyTorch's error for ``all``/``any`` given a ``keepdim`` that is no bool (``keepdim=1``
    was read by its truth): its signatures (one dim, several, none) all fail, so it lists the
    call, ``keepdim`` as usually given, by keyword."""
    return no_overload(op, (input,) if dim is None else (input, dim), {"keepdim": keepdim})


def _logical_reduction(reduce: Any, input: Tensor, dim: Any, keepdim: bool, op: str) -> Tensor:  # noqa: A002
    """``reduce`` (NumPy's ``all`` or ``any``) of ``input`` over ``dim``, as bools (uint8 for
    uint8, PyTorch's rule). Under vmap, over every example's values at once: the dims past
    the levels' (bools carry no gradient, so the array is reduced directly)."""
    values, levels = batching.array_and_levels(input)
    axes = _axes(dim, input.ndim, op)
    if levels:
        lead = len(levels)
        axes = tuple(range(lead, values.ndim)) if axes is None else tuple(a + lead for a in axes)
    found = batching.wrap(_bool(reduce(values, axis=axes, keepdims=keepdim)), levels)
    return found.to(dtypes.uint8) if input.dtype == dtypes.uint8 else found


def _axes(dim: Any, ndim: int, op: str) -> tuple[int, ...] | None:
    """The axes ``all`` and ``any`` reduce: all for None, none for () or [] (where ``sum``
    reduces all), else ``dim``'s, checked as PyTorch checks them."""
    if dim is None:
        return None
    return () if isinstance(dim, tuple | list) and not dim else normalize_dims(dim, ndim, op)


def equal(input: Tensor, other: Tensor) -> bool:  # noqa: A002
    """True when both have the same shape and values (NaN equals nothing)."""
    _both_tensors(input, other, "equal")
    return input.shape == other.shape and bool(xp.array_equal(input._data, other._data))


def allclose(
    input: Tensor,  # noqa: A002
    other: Tensor,
    rtol: float = 1e-5,
    atol: float = 1e-8,
    equal_nan: bool = False,
) -> bool:
    """Whether every element of ``input`` is close to ``other``'s (broadcast): ``isclose``
    everywhere.

    >>> import chainrule as cr
    >>> cr.allclose(cr.tensor([1.0, 2.0]), cr.tensor([1.0, 2.0 + 1e-6]))
    True
    """
    if type(equal_nan) is not bool:  # (1 was read by its truth)
        boolean(equal_nan, "allclose", "equal_nan", None)
    _close_checks(input, other, rtol, atol, "allclose")
    return bool(xp.all(_isclose(input, other, rtol, atol, equal_nan)._data))


def isclose(
    input: Tensor,  # noqa: A002
    other: Tensor,
    rtol: float = 1e-5,
    atol: float = 1e-8,
    equal_nan: bool = False,
) -> Tensor:
    """Where ``|input - other| <= atol + rtol * |other|`` (broadcast), or the two are equal
    (infinities of one sign included); NaNs are close to each other only with ``equal_nan``.
    Both must be tensors of one dtype, as PyTorch requires.

    >>> import chainrule as cr
    >>> cr.isclose(cr.tensor([1.0, float("inf"), 1.0]), cr.tensor([1.0 + 1e-7, float("inf"), 1.1]))
    tensor([ True,  True, False])
    """
    if type(equal_nan) is not bool:  # (1 was read by its truth)
        boolean(equal_nan, "isclose", "equal_nan", None)
    _close_checks(input, other, rtol, atol, "isclose")
    return _isclose(input, other, rtol, atol, equal_nan)


def _isclose(input: Tensor, other: Tensor, rtol: float, atol: float, equal_nan: bool) -> Tensor:  # noqa: A002
    test = functools.partial(_close_arrays, rtol=rtol, atol=atol, equal_nan=equal_nan)
    return Compare(test)(input, other)  # (which broadcasts, or refuses as PyTorch does)


def _both_tensors(input: Any, other: Any, op: str) -> None:  # noqa: A002
    """PyTorch's refusal of an argument that is no tensor (a number, a list)."""
    for position, (param, value) in enumerate((("input", input), ("other", other)), 1):
        if not isinstance(value, Tensor):
            raise mistyped(op, param, position, "Tensor", value)


def _close_checks(input: Any, other: Any, rtol: float, atol: float, op: str) -> None:  # noqa: A002
    """PyTorch's refusals for ``isclose`` and ``allclose``, in its order."""
    _both_tensors(input, other, op)
    a, b = input.dtype.dtype, other.dtype.dtype  # (NumPy's: under vmap, no values read)
    if a != b:
        names = _TORCH_DTYPE_NAMES
        raise RuntimeError(f"{names[a.name][1]} did not match {names[b.name][1]}")
    for name, value in (("rtol", rtol), ("atol", atol)):
        if not value >= 0:
            raise RuntimeError(f"{name} must be greater than or equal to zero, but got {value:g}")


def _close_arrays(a: Any, b: Any, rtol: float, atol: float, equal_nan: bool) -> Any:
    """PyTorch's closeness, step for step (its rounding; bools and integers counted as default
    floats, as it does: their error is never taken in the integer dtype, where 3 - 4 wraps
    to 255 in uint8): equal, or a finite error within the tolerance."""
    close = a == b
    if equal_nan and a.dtype.kind == "f":
        close |= xp.isnan(a) & xp.isnan(b)
    if rtol == 0 and atol == 0:
        return close
    if a.dtype.kind in "biu":
        a, b = a.astype(dtypes.default_float), b.astype(dtypes.default_float)
    allowed = atol + xp.abs(rtol * b)
    with xp.errstate(invalid="ignore", over="ignore"):
        error = xp.abs(a - b)
        return close | (xp.isfinite(error) & (error <= allowed))
