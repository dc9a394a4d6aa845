"""Elementwise ops: the value, the local derivative and the two chain-rule rules of each.

For an elementwise op the Jacobian is diagonal, so both rules multiply by the same local
derivative: reverse mode ``g * d(out)/d(x)``, forward mode ``d(out)/d(x) * t``. One-input ops
state just that derivative (``partial``) and inherit both rules from :class:`Unary`.

    >>> import chainrule as cr
    >>> x = cr.tensor([0.0, 1.0], requires_grad=True)
    >>> cr.sin(x).sum().backward()
    >>> x.grad                               # cos(x)
    tensor([1.0000, 0.5403])
"""

from __future__ import annotations

import math
from typing import Any

from chainrule import arguments, dtypes, memory_formats, shell_uints
from chainrule._array import xp
from chainrule.autodiff import batching
from chainrule.autodiff.batching import BatchedTensor
from chainrule.op import (
    TENSOR_INPUTS,
    Bilinear,
    Linear,
    Op,
    Picked,
    _value,
    named,
    numbers_last,
    own_constants,
    tensor_inputs,
    without_derivative,
)
from chainrule.ops import dual
from chainrule.ops.special import erf as _erf_array
from chainrule.ops.special import normal_cdf_float32
from chainrule.tensor import Tensor

_F64 = xp.dtype("float64")
_ndarray = xp.ndarray
_F32 = xp.dtype("float32")
_F16 = xp.dtype("float16")
_F32_F64 = (_F32, _F64)
_PY_REALS = (int, float)
# NumPy's where, or two float arrays blended bit by bit where that is faster (dual.where)
_where = dual.where.on_arrays


def _torch_float(out: Any, a: Any, b: Any) -> Any:
    """Give a float64 result PyTorch's dtype: where NumPy promotes to float64 (an int array
    with a Python float, a float32 array with a float64 scalar or 0-d tensor), PyTorch lets
    tensors with dimensions decide, then 0-d tensors, and numbers only lift ints to the
    default float dtype."""
    out = xp.asarray(out)
    if out.dtype is not _F64 or (type(a) is _ndarray and a.ndim and a.dtype is _F64):
        return out  # the common float64 case first: it is decided by the first operand
    arrays = [x for x in (a, b) if type(x) is _ndarray]
    for rank in ([x for x in arrays if x.ndim], [x for x in arrays if not x.ndim]):
        floats = [x.dtype for x in rank if x.dtype.kind == "f"]
        if floats:
            return out.astype(xp.result_type(*floats), copy=False)
    return out.astype(dtypes.default_float)


def float_result_dtype(a: Any, b: Any) -> Any:
    """PyTorch's result dtype of a float function of two operands (arrays, or Python numbers,
    weak as in PyTorch): :func:`_torch_float`'s, the default float dtype where that is an
    integer or bool.
    Computing in it keeps a number unrounded (``xlogy(float64, 0.1)`` reads 0.1, not
    float32's 0.10000000149).

    >>> float_result_dtype(xp.ones(2), 0.1), float_result_dtype(xp.ones(2, xp.int64), 0.1)
    (dtype('float64'), dtype('float32'))
    """
    dtype = _torch_float(xp.empty(0, xp.result_type(a, b)), a, b).dtype
    return dtype if dtype.kind == "f" else dtypes.default_float


def _opmath(x: Any) -> Any:
    """``x`` where PyTorch's float kernels compute it: float16 in float32 (a formula of several
    steps rounds once, at its end, not at each step), other dtypes as they are."""
    return x.astype(_F32) if x.dtype is dtypes.HALF else x


def _floating(x: Any) -> Any:
    """Integer and bool inputs of float functions (exp, sin, ...) compute in the default float
    dtype (float32 unless :func:`chainrule.set_default_dtype` changed it), as in PyTorch."""
    # The usual dtypes by identity first: reading ``.kind`` is a generic lookup (~200).
    if (dtype := x.dtype) is _F32 or dtype is _F64 or dtype.kind == "f":
        return x
    return x.astype(dtypes.default_float)


def _number_floating(x: Any) -> Any:
    """:func:`_floating` of an array or a Python number (an int operand of a float kernel)."""
    return _floating(x) if type(x) is _ndarray else dtypes.default_float.type(x)


def _small_ints_as_float(x: Any, beside: Any) -> Any:
    """``x``, a bool or 8-bit integer array, in PyTorch's float dtype of a float function of
    it and ``beside``: ``beside``'s where that is a float array (int8 with float16 gives
    float16), else the default; NumPy's float functions of those compute in float16
    (``arctan2``, ``hypot``, a power with a float exponent) whatever they meet. Numbers and
    other arrays pass unchanged."""
    if type(x) is _ndarray and x.itemsize == 1 and x.dtype.kind in "biu":
        floats = type(beside) is _ndarray and beside.dtype.kind == "f"
        return x.astype(beside.dtype if floats else dtypes.default_float)
    return x


def _with_float_number(a: Any, b: Any) -> tuple[Any, Any]:
    """``(a, b)``, where an integer array meets a Python float, with the array's values
    rounded to the default float dtype, as PyTorch computes there (``int_tensor ** 2.5`` reads
    16777217 as float32's 16777216), and a float first operand too (``-0.7 ** int_tensor``
    reads float32's -0.699999988; an exponent stays a double in PyTorch's kernel), but held in
    float64: NumPy's float32 ``power`` is less exact than PyTorch's, and the result is cast to
    PyTorch's dtype after (``_torch_float``). Anything else passes unchanged."""
    if type(b) is float and type(a) is _ndarray and a.dtype.kind in "iu":
        return a.astype(dtypes.default_float).astype(_F64, copy=False), b
    if type(a) is float and type(b) is _ndarray and b.dtype.kind in "iu":
        return _rounded(a), b.astype(dtypes.default_float).astype(_F64, copy=False)
    return a, b


def _rounded(number: float) -> float:
    """A Python float rounded to the default float dtype (1e40 is float32's inf)."""
    with xp.errstate(over="ignore"):
        return float(dtypes.default_float.type(number))


def float_like(x: Any, like: Any) -> Any:
    """``x`` (an array or a Tensor) in ``like``'s float dtype where ``x`` holds integers or
    bools: a derivative's ``log(x)`` of an integer operand then has the gradient's precision
    (NumPy takes the log of a uint8 or bool array in float16)."""
    if getattr(x, "dtype", like.dtype).kind == "f":
        return x
    return dual.astype(x, like.dtype)


def _refuse_bool(x: Any, kernel: str) -> None:
    """PyTorch has no bool kernel for ``kernel`` (NumPy's floor of a bool array is float16)."""
    if x.dtype == _BOOL:
        raise dtypes.not_implemented_for(kernel, x.dtype)


def refuse_integer_pair(a: Any, b: Any, kernel: str) -> None:
    """PyTorch's refusal of a float function (hypot, logaddexp) of two integer or bool
    operands: it has no integer kernel. One float operand (array or number) is enough."""
    kinds = [getattr(x, "dtype", xp.asarray(x).dtype).kind for x in (a, b)]
    if "f" not in kinds:
        raise dtypes.not_implemented_for(kernel, xp.result_type(a, b))


def _chain(tangents: tuple[Any, ...], *partials: Any) -> Any:
    """Forward mode for elementwise ops: sum over inputs of partial_i * tangent_i."""
    total = None
    for t, p in zip(tangents, partials, strict=True):
        if t is not None:
            term = t * p
            total = term if total is None else total + term
    return total


# The batching rule of every elementwise op (JAX's ``defbroadcasting``): under vmap the
# examples' dimensions line up from the right. Each class declares it rather than inheriting it
# from one more base class: every class between an op and ``Op`` makes each access to the
# node's slots dearer (CPython finds the slot's owner by walking the MRO), on the hot path.
BROADCASTS = staticmethod(batching.elementwise)


class Unary(Op, abstract=True):
    """A one-input elementwise op: subclasses give ``forward`` and ``partial`` = dy/dx."""

    batch_rule = BROADCASTS
    one_shape = True
    # The vjp broadcasts over extra leading dimensions of g: a batch of cotangents runs as one
    # call on arrays (see batching.vjp_on_arrays).
    vjp_broadcasts = True
    half_in_float32 = True  # f(x) of float16 in float32, rounded once
    half_rules_in_float32 = False  # most of PyTorch's derivatives: float16 formulas

    def partial(self, out: Any, x: Any) -> Any:
        raise NotImplementedError

    def vjp(self, g: Any, out: Any, x: Any) -> tuple[Any]:
        return (g * self.partial(out, x),)

    def jvp(self, tangents: tuple[Any, ...], out: Any, x: Any) -> Any:
        return tangents[0] * self.partial(out, x)


# ------------------------------------------------------------------------- arithmetic
def _operands(node: Op) -> tuple[int, ...]:
    """PyTorch's node for ``x + 2`` or ``2 * x`` takes (x, 2), the number's slot empty; one
    named for another function (``2 - x``'s RsubBackward1, deg2rad's Mul) takes x alone."""
    if node.name() in ("AddBackward0", "SubBackward0", "MulBackward0"):
        return numbers_last(node)
    return tensor_inputs(node)


# The inputs of PyTorch's node for an arithmetic op with a number (see op.HookInputs).
_OPERANDS = Picked(_operands)


class Add(Op):
    promotes = True
    batch_rule = BROADCASTS
    vjp_broadcasts = True
    float_operands = True
    hook_inputs = _OPERANDS
    notation = "a + b"
    derivatives = ("1", "1")
    saves_inputs = False

    def forward(self, a, b):
        out = a + b
        return out if out.dtype is not _F64 else _torch_float(out, a, b)

    def vjp(self, g, out, a, b):
        return (g, g)

    def jvp(self, tangents, out, a, b):
        return _chain(tangents, 1, 1)


class Sub(Op):
    promotes = True
    batch_rule = BROADCASTS
    vjp_broadcasts = True
    float_operands = True
    hook_inputs = _OPERANDS

    def default_name(self) -> str:
        return "SubBackward0" if isinstance(self.inputs[0], Tensor) else "RsubBackward1"

    notation = "a - b"
    derivatives = ("1", "-1")
    saves_inputs = False

    def forward(self, a, b):
        if _is_bool(a) or _is_bool(b):
            raise bool_subtraction(a, b)
        out = a - b
        return out if out.dtype is not _F64 else _torch_float(out, a, b)

    def vjp(self, g, out, a, b):
        return (g, -g if self.needs[1] else None)

    def jvp(self, tangents, out, a, b):
        return _chain(tangents, 1, -1)


class Mul(Bilinear):
    promotes = True
    batch_rule = BROADCASTS
    vjp_broadcasts = True
    float_operands = True
    half_opmath = True  # a float16 tensor times a number: computed in float32
    notation = "a * b"
    derivatives = ("b", "a")
    reads = ((1,), (0,))
    hook_inputs = _OPERANDS

    def forward(self, a, b):
        out = a * b
        return out if out.dtype is not _F64 else _torch_float(out, a, b)

    def vjp(self, g, out, a, b):
        return (g * b if self.needs[0] else None, g * a if self.needs[1] else None)


class Div(Op):
    promotes = "float"  # integers divide in float32
    batch_rule = BROADCASTS
    vjp_broadcasts = True
    float_operands = True
    half_opmath = True
    notation = "a / b"
    derivatives = ("1 / b", "-a / b**2")
    # d/db is computed from the inputs, not the output, as PyTorch does: changing the
    # quotient in place afterwards is allowed there, and so here.
    reads = ((1,), (0, 1))

    def forward(self, a, b):
        if _integer(a) and _integer(b):
            # True division of integers is float32 in PyTorch, float64 in NumPy, and PyTorch
            # rounds each operand to float32 first (int32 -817778272 / 255 is -3206973.75 there;
            # the float64 quotient rounds to -3206973.5)
            a, b = _number_floating(a), _number_floating(b)
        return _torch_float(a / b, a, b)

    def vjp(self, g, out, a, b):
        return (g / b if self.needs[0] else None, -g * (a / b) / b if self.needs[1] else None)

    def jvp(self, tangents, out, a, b):
        # (ta - tb a/b) / b, PyTorch's form: no 1 / b (a Python 0 would raise), and at
        # 1 / 0 the two infinite terms do not meet as inf - inf. Not ``out``, which may have
        # been changed in place since.
        ta, tb = tangents
        if tb is None:
            return ta / b
        quotient = a / b
        return (-tb * quotient if ta is None else ta - tb * quotient) / b


def _is_bool(x: Any) -> bool:
    """Whether an operand is a bool array or a Python bool (which PyTorch wraps as one)."""
    return x is True or x is False or getattr(x, "dtype", None) is _BOOL


def bool_subtraction(a: Any, b: Any) -> RuntimeError:
    """PyTorch's refusal of ``-`` with a bool operand."""
    if _is_bool(a) and _is_bool(b):
        return RuntimeError(
            "Subtraction, the `-` operator, with two bool tensors is not supported. Use the "
            "`^` or `logical_xor()` operator instead."
        )
    return RuntimeError(
        "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying "
        "to invert a mask, use the `~` or `logical_not()` operator instead."
    )


class Pow(Op):
    promotes = True
    batch_rule = BROADCASTS
    notation = "a ** b"
    derivatives = ("b * a**(b - 1)", "a**b * log(a)")
    saves_output = True
    output_read_by = (False, True)  # d/da = b a**(b-1); d/db = out log(a)
    tensor_inputs_only = True
    hook_inputs = TENSOR_INPUTS

    def default_name(self) -> str:
        a, b = (isinstance(x, Tensor) for x in self.inputs)
        return "PowBackward1" if a and b else ("PowBackward0" if a else "PowBackward2")

    def forward(self, a, b):
        if type(b) in (float, int) and getattr(a, "dtype", None) is dtypes.HALF:
            dtypes.checked_scalar(b, a.dtype)  # PyTorch refuses an exponent past float16's range
        if getattr(a, "dtype", None) is _BOOL or type(a) is bool:
            if type(b) is bool and type(a) is _ndarray:  # PyTorch keeps bool here
                return a.copy() if b else xp.ones_like(a)
            a = _bool_base(a, b)
        base, power = _with_float_number(a, b)
        if type(power) is float or getattr(power, "dtype", _BOOL).kind == "f":  # a float power
            base = _small_ints_as_float(base, power)
        return _torch_float(_power_arrays(base, power), a, b)

    def _terms(self, ga, gb, out, a, b):
        """``ga * d/da`` and ``gb * d/db`` (None where not wanted), ``ga``, ``gb`` being the
        output gradient (reverse mode) or the tangents (forward mode).

        PyTorch's conventions: d/da a**0 is 0 everywhere (also at a = 0, inf or nan, where
        b * a**(b-1) is not a number), applied after the multiplication by ``ga``, so an inf
        or nan there does not leak through; d/db is 0 where a == 0 and b >= 0 (the limit of
        a**b log a), applied before the multiplication by ``gb``, as PyTorch does.
        """
        da = db = None
        if ga is not None:
            if isinstance(b, (int, float)):
                da = dual.zeros_like(ga * a) if b == 0 else ga * (b * _power(a, b - 1))
            else:
                da = dual.where(b == 0, dual.zeros_like(a), ga * (b * _power(a, b - 1)))
        if gb is not None:
            zero = (a == 0) & (b >= 0)
            log_a = dual.log(float_like(a, out))  # an integer base's log in out's precision
            db = gb * dual.where(zero, dual.zeros_like(out), out * log_a)
        return da, db

    def vjp(self, g, out, a, b):
        return self._terms(g if self.needs[0] else None, g if self.needs[1] else None, out, a, b)

    def jvp(self, tangents, out, a, b):
        da, db = self._terms(*tangents, out, a, b)
        return da if db is None else db if da is None else da + db


def _bool_base(a: Any, b: Any) -> Any:
    """A bool base ``a`` as PyTorch raises it to ``b``: to a Python int power in int64 (NumPy
    computes bool ** int in int8), and not at all to a bool tensor power."""
    if getattr(b, "dtype", None) is _BOOL:
        raise dtypes.not_implemented_for("pow", _BOOL)
    return a.astype(xp.int64) if type(b) is int and type(a) is _ndarray else a


def _power_arrays(a: Any, b: Any) -> Any:
    """``a ** b`` as PyTorch computes it: a Python exponent of -0.5 is ``1 / sqrt(a)`` (which
    differs from C's ``pow`` at -0 and -inf), as is the derivative of ``a ** 0.5``. An integer
    base to a negative Python int is refused whatever the values (even empty, or 1 ** -1),
    before the exponent is converted to the base's dtype: NumPy would wrap -1 into a uint8's
    255 and compute."""
    if type(b) is float and b == -0.5:
        if a.dtype == dtypes.HALF:  # in float32, rounded once, as PyTorch's
            return (1 / xp.sqrt(a.astype(dtypes.HALF_OPMATH))).astype(a.dtype)
        return 1 / xp.sqrt(a)
    if type(b) is int and b < 0 and type(a) is _ndarray and a.dtype.kind in "iu":
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    if (
        type(b) in _PY_REALS
        and type(a) is _ndarray
        and a.dtype in _F32_F64
        and b not in _NUMPY_FAST_POWERS
        and float(b).is_integer()
    ):
        return _integer_power(a, b)
    try:
        return a**b
    except OverflowError:  # a Python int that the integer array beside it cannot hold
        if type(a) is _ndarray:  # the exponent: PyTorch's error
            dtypes.checked_scalar(b, a.dtype)
        raise  # a base, which Op.__call__ wraps into the exponent's dtype, as PyTorch's
    except ValueError:  # NumPy's refusal of integers to negative integer tensor powers
        return _negative_integer_powers(a, b)


# The exponents of ``ndarray ** b`` that NumPy computes without C's pow (ones, a copy, a
# square, a reciprocal): PyTorch's kernel computes them the same way.
_NUMPY_FAST_POWERS = (0, 1, 2, -1)


def _integer_power(a: Any, b: int | float) -> Any:
    """``a ** b`` of a float array and an integer-valued Python exponent. PyTorch's kernel
    multiplies out 3 and -2 (``x * x * x``, ``1 / (x * x)``), and so does this, to the bit.
    Any other goes to NumPy's pow on ``|a|``, the sign put back where ``b`` is odd: NumPy
    sends a negative base to C's pow, which takes 40x longer (float32, 1,797 x 128 of both
    signs, ``x ** 4``: 11 ms, 0.25 ms on ``|x|``), and rounds within the same last bit
    (either is within one of PyTorch's, whose pow is a third vectorized one).

        >>> _integer_power(xp.array([-2.0, 3.0]), 5)
        array([-32., 243.])
    """
    if b == 3:
        return a * a * a
    if b == -2:
        return 1 / (a * a)
    out = xp.power(xp.abs(a), b)
    return xp.copysign(out, a) if b % 2 else out


def _negative_integer_powers(a: Any, b: Any) -> Any:
    """``a ** b`` of integers where some ``b`` are negative, as PyTorch's integer kernel
    computes it (a tensor exponent; a Python one is refused): 1 to any power is 1, -1 to an
    odd negative power -1 and to an even one 1, any other base to a negative power 0."""
    out = a ** xp.maximum(b, 0)
    sign = 1 - 2 * (b & 1)  # (-1) ** b
    reciprocal = xp.where(a == 1, 1, xp.where(a == -1, sign, 0))  # 1 / a ** -b, truncated
    return xp.where(b < 0, reciprocal, out).astype(out.dtype, copy=False)


_power = dual.both(_power_arrays, lambda a, b: Pow()(a, b), "a, b", ("a", "b"))


class Neg(Linear, Unary):
    public = "neg"
    out_rule = "exact"
    aliases = ("negative",)  # NumPy's name, which PyTorch also takes

    @staticmethod
    def sympy(sp, x):
        return -x

    notation = "-x"
    derivatives = ("-1",)
    saves_inputs = False

    def forward(self, x):
        if getattr(x, "dtype", None) is _BOOL:
            raise RuntimeError(
                "Negation, the `-` operator, on a bool tensor is not supported. If you are "
                "trying to invert a mask, use the `~` or `logical_not()` operator instead."
            )
        return -x

    def vjp(self, g, out, x):
        return (-g,)


class Step(Op, abstract=True):
    """A piecewise-constant op (floor, round, floor division): its derivative is 0 wherever it
    exists, and PyTorch uses 0 at the jumps as well, so every gradient is zero."""

    saves_inputs = False
    batch_rule = BROADCASTS

    def vjp(self, g, out, *args):
        return tuple(dual.zeros_like(g) if need else None for need in self.needs)

    def jvp(self, tangents, out, *args):
        return dual.zeros_like(out)


class FloorDivide(Step):
    # PyTorch's div.Tensor_mode saves ``other`` for the gradient of ``self``, and both for that
    # of ``other`` (each zero): a change in place, or a second backward, is refused there too.
    saves_inputs = True
    reads = ((1,), (0, 1))
    promotes = True
    float_operands = True
    half_opmath = True
    notation = "floor(a / b)"
    derivatives = ("0", "0")

    def forward(self, a, b):
        _check_divisor(a, b, "floor_divide", "div_floor_cpu")
        out = xp.floor_divide(a, b)  # NumPy's and PyTorch's division-exact floor, not floor(a/b)
        return _torch_float(out, a, b)


class TruncDivide(Step):
    # PyTorch's div.Tensor_mode saves ``other`` for the gradient of ``self``, and both for that
    # of ``other`` (each zero): a change in place, or a second backward, is refused there too.
    saves_inputs = True
    reads = ((1,), (0, 1))
    promotes = True
    float_operands = True
    half_opmath = True
    notation = "trunc(a / b)"
    derivatives = ("0", "0")

    def forward(self, a, b):
        _check_divisor(a, b, "div", "div_trunc_cpu")
        out = xp.floor_divide(a, b)
        if out.dtype.kind in "iu":
            # Exact for integers: floor is one below trunc where the quotient is negative and
            # inexact.
            return out + ((out < 0) & (out * b != a))
        return _torch_float(xp.trunc(xp.true_divide(a, b)), a, b)


def _check_divisor(a: Any, b: Any, op: str, kernel: str) -> None:
    """PyTorch's refusals of an integer division (``op``, by its CPU ``kernel``), where NumPy
    computes: of two bools (NumPy divides them as int8), and by zero (NumPy returns 0 with a
    warning) where something is divided (an empty result divides nothing). Both after the
    check that the shapes broadcast, as PyTorch's order is."""
    if _integer(a) and _integer(b):
        # NumPy's error for shapes that do not broadcast, which Op.__call__ words as PyTorch's
        shape = xp.broadcast_shapes(xp.shape(a), xp.shape(b))
        if _is_bool(a) and _is_bool(b):
            raise dtypes.not_implemented_for(kernel, _BOOL)
        if not xp.all(b) and math.prod(shape):
            raise RuntimeError(f"ZeroDivisionError\n{op}: integer division by zero")


def _integer(x: Any) -> bool:
    """Whether ``x`` is an integer or bool array or number (a float array, the usual
    operand, is told first)."""
    if type(x) is _ndarray:  # float32 and float64 by identity: ``.kind`` is a generic lookup
        return (dtype := x.dtype) is not _F32 and dtype is not _F64 and dtype.kind in "biu"
    return isinstance(x, int | xp.integer | xp.bool_)


def _named_by_divisor(self: Op) -> str:
    """PyTorch's name of a remainder (``Remainder``, ``Fmod``): overload 1 by a tensor, 0 by
    a number."""
    return f"{type(self).__name__}Backward{int(isinstance(self.inputs[1], Tensor))}"


class Remainder(Op):
    promotes = True
    batch_rule = BROADCASTS
    # A Python float as an array of the float dtype PyTorch computes in (an integer tensor's:
    # float32), so that it is rounded there first: 1 % 0.1 reads float32's 0.100000001
    float_operands = True
    tensor_inputs_only = True
    default_name = _named_by_divisor
    notation = "a mod b"  # a - b floor(a / b), with the sign of b (Python's %)
    derivatives = ("1", "-floor(a / b)")
    reads = ((), (0, 1))

    def forward(self, a, b):
        _check_divisor(a, b, "remainder", "remainder_cpu")
        dividend, divisor = _with_float_number(a, b)
        out = xp.remainder(dividend, divisor)
        if out.dtype.kind == "f":  # a zero has the sign of a (C's fmod: PyTorch's), not of b
            out = xp.where(out == 0, xp.copysign(out, dividend), out)
        return _torch_float(out, a, b)

    def vjp(self, g, out, a, b):
        return (g if self.needs[0] else None, -g * _floor_divide(a, b) if self.needs[1] else None)

    def jvp(self, tangents, out, a, b):
        return _chain(tangents, 1, -_floor_divide(a, b))


class Fmod(Op):
    promotes = True
    batch_rule = BROADCASTS
    float_operands = True  # as Remainder's
    tensor_inputs_only = True
    hook_inputs = TENSOR_INPUTS
    default_name = _named_by_divisor
    notation = "fmod(a, b)"  # a - b trunc(a / b), with the sign of a (C's fmod)
    derivatives = ("1", "-trunc(a / b)")
    reads = ((), (0, 1))

    def forward(self, a, b):
        _check_divisor(a, b, "fmod", "fmod_cpu")
        out = xp.fmod(*_with_float_number(a, b))
        return _torch_float(out, a, b)

    def vjp(self, g, out, a, b):
        return (g if self.needs[0] else None, -g * _trunc_divide(a, b) if self.needs[1] else None)

    def jvp(self, tangents, out, a, b):
        return _chain(tangents, 1, -_trunc_divide(a, b))


# floor(a / b), as PyTorch's remainder backward takes it: div(rounding_mode="floor"), whose
# gradient is zero, so the rule differentiates again (``//`` has no derivative on Tensors).
_floor_divide = dual.both(lambda a, b: a // b, lambda a, b: FloorDivide()(a, b), "a, b", ("a", "b"))

# trunc(a / b); on Tensors one step op, so nothing differentiates through a / b.
_trunc_divide = dual.both(
    lambda a, b: xp.trunc(a / b), lambda a, b: TruncDivide()(a, b), "a, b", ("a", "b")
)


class Floor(Step):
    public = "floor"
    out_rule = "exact"
    notation = "floor(x)"
    derivatives = ("0",)

    def forward(self, x):
        _refuse_bool(x, "floor_vml_cpu")
        return xp.floor(x)  # integers stay integers, as in PyTorch


class Ceil(Step):
    public = "ceil"
    out_rule = "exact"
    notation = "ceil(x)"
    derivatives = ("0",)

    def forward(self, x):
        _refuse_bool(x, "ceil_vml_cpu")
        return xp.ceil(x)


class Trunc(Step):
    public = "trunc"
    out_rule = "exact"
    aliases = ("fix",)
    notation = "trunc(x)"
    derivatives = ("0",)

    def forward(self, x):
        _refuse_bool(x, "trunc_vml_cpu")
        return xp.trunc(x)


class Round(Step):
    """Round half to even (``round(2.5)`` is 2), to ``decimals`` places."""

    public = "round"
    out_rule = "exact"
    notation = "round(x)"
    derivatives = ("0",)
    # float16 in float32, as PyTorch's: x * 10**decimals rounded to float16 first moved
    # -0.005 * 100 = -0.5001 to -0.5, whose rounding is -0, not -0.01
    half_in_float32 = True

    def __init__(self, *, decimals: int = 0) -> None:
        self.decimals = decimals

    def forward(self, x):
        if self.decimals and x.dtype.kind != "f":
            raise RuntimeError(
                f"round: decimals={self.decimals} needs a floating-point tensor, got {x.dtype}"
            )
        _refuse_bool(x, "round_vml_cpu")
        return xp.round(x, self.decimals)  # halves to even, as PyTorch


class Frac(Unary):
    """``input - trunc(input)``: the fractional part, with the sign of the input."""

    public = "frac"
    out_rule = "exact"
    notation = "x - trunc(x)"
    derivatives = ("1",)
    saves_inputs = False

    def forward(self, x):
        if x.dtype.kind != "f":  # PyTorch has no kernel for integers or bools
            raise dtypes.not_implemented_for("frac_cpu", x.dtype)
        return x - xp.trunc(x)

    def vjp(self, g, out, x):
        return (g,)

    def jvp(self, tangents, out, x):
        return tangents[0]


# ------------------------------------------------------------------------- exp and log
class Exp(Unary):
    half_rules_in_float32 = True  # PyTorch's backward is one kernel
    public = "exp"
    sympy = "exp"
    notation = "exp(x)"
    derivatives = ("exp(x)",)
    saves_inputs = False
    saves_output = True

    def forward(self, x):
        return xp.exp(_floating(x))

    def partial(self, out, x):
        return out


class Log(Unary):
    half_rules_in_float32 = True  # PyTorch's backward is one kernel
    public = "log"
    sympy = "log"
    notation = "log(x)"
    derivatives = ("1 / x",)

    def forward(self, x):
        return xp.log(_floating(x))

    def partial(self, out, x):
        return 1 / x


class Log1p(Unary):
    public = "log1p"
    torch_name = "Log1PBackward0"  # PyTorch's spelling of the name

    @staticmethod
    def sympy(sp, x):
        return sp.log(1 + x)

    notation = "log(1 + x)"
    derivatives = ("1 / (1 + x)",)

    def forward(self, x):
        return xp.log1p(_floating(x))

    def partial(self, out, x):
        return 1 / (1 + x)


class Expm1(Unary):
    public = "expm1"

    @staticmethod
    def sympy(sp, x):
        return sp.exp(x) - 1

    notation = "exp(x) - 1"
    derivatives = ("exp(x)",)
    saves_inputs = False
    saves_output = True

    def forward(self, x):
        return xp.expm1(_floating(x))

    def partial(self, out, x):
        return out + 1


class Sqrt(Unary):
    public = "sqrt"
    sympy = "sqrt"
    notation = "sqrt(x)"
    derivatives = ("1 / (2 * sqrt(x))",)
    saves_inputs = False
    saves_output = True

    def forward(self, x):
        return xp.sqrt(_floating(x))

    def partial(self, out, x):
        return 0.5 / out


class Rsqrt(Unary):
    half_in_float32 = False  # PyTorch's float16 rsqrt rounds sqrt(x) to float16 first
    public = "rsqrt"

    @staticmethod
    def sympy(sp, x):
        return 1 / sp.sqrt(x)

    notation = "1 / sqrt(x)"
    derivatives = ("-1 / (2 * x * sqrt(x))",)
    saves_output = True
    saves_inputs = False  # the rule reads the output alone, as PyTorch's

    def forward(self, x):
        return 1 / xp.sqrt(_floating(x))

    def partial(self, out, x):
        return -0.5 * out * out * out  # PyTorch's form: at x = -0, out = -inf gives +inf


class Reciprocal(Unary):
    public = "reciprocal"

    @staticmethod
    def sympy(sp, x):
        return 1 / x

    notation = "1 / x"
    derivatives = ("-1 / (x * x)",)
    saves_inputs = False
    saves_output = True

    def forward(self, x):
        return 1 / _floating(x)

    def partial(self, out, x):
        return -(out * out)  # PyTorch's form, -grad * (result * result): its rounding


class Log2(Unary):
    half_rules_in_float32 = True  # 1 / x of a tiny float16 overflowed; PyTorch divides g
    public = "log2"

    @staticmethod
    def sympy(sp, x):
        return sp.log(x, 2)

    notation = "log2(x)"
    derivatives = ("1 / (x * log(2))",)

    def forward(self, x):
        return xp.log2(_floating(x))

    def partial(self, out, x):
        return (1 / math.log(2)) / x


class Log10(Unary):
    half_rules_in_float32 = True  # 1 / x of a tiny float16 overflowed; PyTorch divides g
    public = "log10"

    @staticmethod
    def sympy(sp, x):
        return sp.log(x, 10)

    notation = "log10(x)"
    derivatives = ("1 / (x * log(10))",)

    def forward(self, x):
        return xp.log10(_floating(x))

    def partial(self, out, x):
        return (1 / math.log(10)) / x


class Exp2(Unary):
    public = "exp2"

    @staticmethod
    def sympy(sp, x):
        return 2**x

    notation = "2**x"
    derivatives = ("2**x * log(2)",)
    saves_inputs = False
    saves_output = True

    def forward(self, x):
        return xp.exp2(_floating(x))

    def partial(self, out, x):
        return out * math.log(2)


# ------------------------------------------------------------------------- piecewise
class Abs(Unary):
    public = "abs"
    out_rule = "exact"
    aliases = ("absolute",)
    sympy = "Abs"
    notation = "|x|"
    derivatives = ("sign(x)",)

    def forward(self, x):
        _refuse_bool(x, "abs_cpu")
        return xp.abs(x)

    def partial(self, out, x):
        return dual.sign(x)


class Sign(Step):
    public = "sign"
    out_rule = "exact"
    aliases = ("sgn",)  # PyTorch's sign of complex numbers; of real ones, sign
    sympy = "sign"
    notation = "sign(x)"
    derivatives = ("0",)

    def forward(self, x):
        return x.copy() if x.dtype is _BOOL else dual.sign(x)  # a bool is its own sign


_BOOL = xp.dtype(bool)  # NumPy's one bool dtype: an identity test, not an equality


class Relu(Unary):
    public = "relu"
    out_rule = None

    @staticmethod
    def sympy(sp, x):
        return sp.Piecewise((x, x > 0), (0, True))

    notation = "max(x, 0)"
    derivatives = ("1 if x > 0 else 0",)
    # PyTorch's relu saves its output, not its input: changing the output in place before
    # backward is an error there, and so here.
    saves_inputs = False
    saves_output = True

    def forward(self, x):
        if x.dtype is _BOOL:  # NumPy would give int64
            raise RuntimeError("Boolean inputs not supported for relu")
        # relu(-0) is -0, as PyTorch's (positive_part keeps it); float16's maximum keeps no -0
        if x.dtype is _F16:
            return xp.where(x < 0, x.dtype.type(0), x)
        return dual.positive_part(x)  # against zeros: NumPy's max with 0 is 3-4x slower

    def partial(self, out, x):
        return ~(out <= 0)  # PyTorch passes the gradient at nan (only out <= 0 blocks it)

    # PyTorch's threshold_backward: the gradient where the output is not <= 0, else 0 (a zero,
    # not g * 0: a nan or inf gradient of a dead unit gives 0, a negative one +0.0).
    def vjp(self, g, out, x):
        return (dual.attached(dual.passed(g, self.partial(out, x)), out),)

    def jvp(self, tangents, out, x):
        return dual.passed(tangents[0], self.partial(out, x))

    def vjp_inplace(self, g, out, x):
        """The vjp into ``g`` (which the engine owns): no new array. ``out`` is 0, positive or
        nan, so ``out != 0`` is :meth:`partial`'s mask in one pass; g's bits times it, an
        integer product, are g or +0.0 (as :func:`dual.passed`)."""
        bits = dual.as_bits(g)
        xp.multiply(bits, out != 0, out=bits)
        return (g,)


class LeakyRelu(Unary):
    half_rules_in_float32 = True  # PyTorch's backward is one kernel
    public = "leaky_relu"
    method = False  # torch.nn.functional only, not a Tensor method

    @staticmethod
    def sympy(sp, x, negative_slope=0.01):
        return sp.Piecewise((x, x > 0), (negative_slope * x, True))

    notation = "x if x > 0 else slope * x"
    derivatives = ("1 if x > 0 else slope",)

    def __init__(self, negative_slope: float = 0.01) -> None:
        self.negative_slope = negative_slope

    def forward(self, x):
        dtypes.check_float_kernel(x.dtype, "leaky_relu_cpu")
        dtypes.check_kernel_numbers(x.dtype, self.negative_slope)
        slope = self.negative_slope
        if x.dtype in _F32_F64 and x.ndim and type(slope) in _PY_REALS and 0 < slope <= 1:
            # max(slope * x, x) is x where x > 0, else slope * x, at -0, nan and -inf too
            # (not at inf for a slope of 0): one product and a maximum of two arrays, where
            # NumPy's where takes 10-60x longer (float32, 1,797 x 128: 980 us, 60 us so)
            out = x * slope
            return xp.maximum(out, x, out=out)
        negative = _opmath(x) * slope
        return xp.where(x > 0, x, negative.astype(x.dtype, copy=False))

    def partial(self, out, x):
        slope = dual.typed(x, self.negative_slope)
        # The mask cast to x's dtype first: a bool tensor times a number would be float32.
        return dual.astype(x > 0, x.dtype) * (1 - slope) + slope

    def vjp(self, g, out, x):  # PyTorch's leaky_relu_backward reads x (see dual.attached)
        return (dual.attached(g * self.partial(out, x), x),)


def positive_and_finite(*factors: float) -> bool:
    """Whether every factor is a positive finite number (:func:`elu_arrays` is exact then)."""
    return all(0 < f < math.inf for f in factors)


def elu_arrays(x: Any, negative: float, scale: float = 1.0, input_scale: float = 1.0) -> Any:
    """``scale x`` where x > 0, else ``negative (exp(input_scale x) - 1)``, of a float array:
    the two branches summed, each on its own part of x (``max(x, -0)``, ``min(x, 0)``), where
    the other gives 0, instead of a choice per element (elu forward, float32 1797 x 128:
    305 -> 178 us). The same numbers as the choice for positive finite factors, which the
    callers check: the positive part is -0 where x < 0, and a sum with -0 changes nothing (a
    negative branch that underflows to -0 stays -0); nan stays nan.

        >>> elu_arrays(xp.array([-1.0, -0.0, 2.0]), 1.0)
        array([-0.63212056, -0.        ,  2.        ])
    """
    out = dual.negative_part(x)
    if input_scale != 1.0:
        out *= input_scale
    xp.expm1(out, out=out)
    out *= negative
    positive = xp.full_like(x, -0.0)
    xp.maximum(positive, x, out=positive)  # a tie gives x: -0 for -0, +0 for +0
    if scale != 1.0:
        positive *= scale
    out += positive
    return out


def elu_slope_arrays(
    x: Any, coefficient: float, exponent_scale: float = 1.0, positive: float = 1.0
) -> Any:
    """PyTorch's elu_backward on a float array: ``coefficient exp(exponent_scale x)`` where
    x <= 0, else ``positive`` (nan too). The exponent is ``fmin(x, 0)``, which is 0 for x > 0
    and nan, so with both factors 1 (elu's default) that part is exp(0) = 1 and needs no choice
    per element (float32 1797 x 128: 475 -> 162 us).

        >>> elu_slope_arrays(xp.array([-1.0, 0.0, 3.0, xp.nan]), 1.0)
        array([0.36787944, 1.        , 1.        , 1.        ])
    """
    slope = xp.zeros_like(x)
    xp.fmin(slope, x, out=slope)
    if exponent_scale != 1.0:
        slope *= exponent_scale
    xp.exp(slope, out=slope)
    if coefficient == 1.0 and positive == 1.0:
        return slope
    slope *= coefficient
    return _where(x <= 0, slope, x.dtype.type(positive))


class Elu(Unary):
    half_rules_in_float32 = True  # PyTorch's backward is one kernel
    public = "elu"
    method = False  # torch.nn.functional only, not a Tensor method

    @staticmethod
    def sympy(sp, x, alpha=1.0):
        return sp.Piecewise((x, x > 0), (alpha * (sp.exp(x) - 1), True))

    notation = "x if x > 0 else alpha (exp(x) - 1)"
    derivatives = ("1 if x > 0 else alpha exp(x)",)

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = alpha

    def forward(self, x):
        dtypes.check_float_kernel(x.dtype, "elu_cpu")
        dtypes.check_kernel_numbers(x.dtype, self.alpha)
        wide = _opmath(x)
        if positive_and_finite(self.alpha):
            return elu_arrays(wide, self.alpha).astype(x.dtype, copy=False)
        negative = self.alpha * xp.expm1(dual.negative_part(wide))
        return _where(x > 0, x, negative.astype(x.dtype, copy=False))  # -0 stays -0

    def partial(self, out, x):
        if type(x) is _ndarray:
            return elu_slope_arrays(x, self.alpha)
        # PyTorch's branches: alpha exp(x) where x <= 0 (so not at nan), whose own derivative
        # counts only where x < 0; the exponent is 0 elsewhere, never exp(inf).
        one = dual.typed(x, 1.0)
        negative = dual.where(x < 0, x, dual.zeros_like(x))
        return dual.where(x <= 0, self.alpha * dual.exp(negative), one)


class Clamp(Unary):
    """Limit values to [min, max]; tensor bounds broadcast with the input."""

    half_in_float32 = False  # PyTorch compares float16 with its bounds in float16

    public = "clamp"
    out_rule = "exact"
    aliases = ("clip",)

    @staticmethod
    def sympy(sp, x, min=None, max=None):  # noqa: A002
        # Strict comparisons: at a bound the derivative is 1, as in PyTorch.
        pieces = [(min, x < min)] if min is not None else []
        pieces += [(max, x > max)] if max is not None else []
        return sp.Piecewise(*pieces, (x, True))

    torch_name = "ClampBackward1"

    notation = "min(max(x, lo), hi)"
    derivatives = ("1 if lo <= x <= hi else 0",)

    def __init__(self, lo: float | None, hi: float | None) -> None:
        self.lo = lo
        self.hi = hi

    @classmethod
    def apply(cls, input: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
        if min is None and max is None:
            raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
        # a NumPy scalar bound is a number to PyTorch: weak (an int32 tensor stays int32)
        min, max = (b if (n := dtypes.python_number(b)) is None else n for b in (min, max))
        if isinstance(min, Tensor) or isinstance(max, Tensor):
            return ClampTensor()(input, min, max)
        # -1 is a uint8's 255; a bound past float16's (or float32's) range is refused
        if isinstance(input, Tensor) and input.dtype.kind in "iuf":
            dtype = input.dtype.dtype  # (the public dtype's: a batched tensor's _data is not)
            min, max = (
                None if b is None else dtypes.checked_number_for(b, dtype) for b in (min, max)
            )
        return cls(min, max)(input)

    def forward(self, x):
        # x kept unless beyond a bound (-0 clamped below at 0 is -0, as in PyTorch; np.clip
        # gave +0, and NumPy's float16 minimum gives its first operand on a tie, its float32
        # one the second); a nan stays nan, and a nan bound gives nan everywhere, as PyTorch's
        # (where comparisons with it would keep x)
        if self.lo != self.lo or self.hi != self.hi:  # (None == None)
            return _torch_float(xp.full(x.shape, xp.nan), x, None)
        return _torch_float(dual.clamp_arrays(x, self.lo, self.hi), x, None)  # int, float bound

    def partial(self, out, x):
        # PyTorch passes the gradient where lo <= x <= hi, bounds included.
        inside = x == x
        if self.lo is not None:
            inside = inside & (x >= self.lo)
        if self.hi is not None:
            inside = inside & (x <= self.hi)
        return inside

    # PyTorch selects rather than multiplies: a clamped element gets 0 even where the
    # gradient or tangent is nan or infinite (as relu's threshold_backward).
    def vjp(self, g, out, x):
        return (dual.passed(g, self.partial(out, x)),)

    def jvp(self, tangents, out, x):
        return dual.passed(tangents[0], self.partial(out, x))


def _in_common(a: Any, b: Any) -> tuple[Any, Any]:
    """Two arrays in PyTorch's common dtype (:func:`dtypes.promote_operands`); a number or an
    absent bound (None) passes with the other as it is."""
    if type(a) is _ndarray and type(b) is _ndarray:
        return dtypes.promote_operands(a, b)
    return a, b


class ClampTensor(Op):
    """``clamp`` with tensor bounds (either may be None): ``min(max(x, lo), hi)``."""

    batch_rule = BROADCASTS
    torch_name = "ClampBackward0"  # PyTorch's clamp.Tensor overload
    notation = "min(max(x, lo), hi)"
    derivatives = (
        "1 if lo <= x <= hi else 0",
        "1 if x < lo < hi else 0",
        "1 if x > hi or hi < lo else 0",
    )

    def forward(self, x, lo, hi):
        arrays = [a for a in (x, lo, hi) if type(a) is _ndarray]
        want = dtypes.torch_result_type(*arrays)  # computed in PyTorch's dtype, as Op's
        x, lo, hi = (a.astype(want, copy=False) if type(a) is _ndarray else a for a in (x, lo, hi))
        # maximum and minimum: a nan anywhere gives nan, as in PyTorch; the bound first, as
        # NumPy gives the second operand on a tie: x itself, -0 against a bound of 0
        out = x if lo is None else xp.maximum(lo, x)
        return out if hi is None else xp.minimum(hi, out)

    @staticmethod
    def _masks(x, lo, hi):
        """Which of x, lo, hi receives the gradient: PyTorch's rule. Ties go to x, a nan
        blocks every gradient but hi's, and lo >= hi sends it to hi. Each comparison is
        PyTorch's, in the pair's common dtype: a float64 0-d bound of 1e-310 is float16's 0
        beside a float16 x, so x = 0 ties with it."""
        x, lo, hi = (_value(v) for v in (x, lo, hi))
        if hi is None:
            x, lo = _in_common(x, lo)
            return x >= lo, x < lo, None
        if lo is None:
            x, hi = _in_common(x, hi)
            return x <= hi, None, x > hi
        (x_lo, lo_x), (x_hi, hi_x) = _in_common(x, lo), _in_common(x, hi)
        lo, hi = _in_common(lo, hi)
        return (x_lo >= lo_x) & (x_hi <= hi_x), (x_lo < lo_x) & (lo < hi), (x_hi > hi_x) | (hi < lo)

    def vjp(self, g, out, x, lo, hi):
        zero = dual.zeros_like(g)
        return tuple(
            dual.where(mask, g, zero) if need else None
            for mask, need in zip(self._masks(x, lo, hi), self.needs, strict=True)
        )

    def jvp(self, tangents, out, x, lo, hi):
        # PyTorch's forward rule picks one tangent by comparing values, not by the masks
        # of the reverse rule: with one bound, ties and nans take the bound's tangent; with
        # two, they take x's.
        zero = dual.zeros_like(out)
        tx, tlo, thi = (zero if t is None else t for t in tangents)
        raw = [_value(v) for v in (x, lo, hi)]
        if hi is None:
            return dual.where(raw[0] > raw[1], tx, tlo)
        if lo is None:
            return dual.where(raw[0] < raw[2], tx, thi)
        x, lo, hi = raw
        return dual.where(lo > hi, thi, dual.where(x < lo, tlo, dual.where(x > hi, thi, tx)))


# ------------------------------------------------------------------------- trigonometry
class Sin(Unary):
    public = "sin"
    sympy = "sin"
    notation = "sin(x)"
    derivatives = ("cos(x)",)

    def forward(self, x):
        return xp.sin(_floating(x))

    def partial(self, out, x):
        return dual.cos(x)


class Cos(Unary):
    public = "cos"
    sympy = "cos"
    notation = "cos(x)"
    derivatives = ("-sin(x)",)

    def forward(self, x):
        return xp.cos(_floating(x))

    def partial(self, out, x):
        return -dual.sin(x)


class Tan(Unary):
    public = "tan"
    sympy = "tan"
    notation = "tan(x)"
    derivatives = ("1 + tan(x)**2",)
    saves_inputs = False
    saves_output = True

    def forward(self, x):
        return xp.tan(_floating(x))

    def partial(self, out, x):
        return 1 + out * out


class Asin(Unary):
    public = "asin"
    aliases = ("arcsin",)
    sympy = "asin"
    notation = "asin(x)"
    derivatives = ("1 / sqrt(1 - x**2)",)

    def forward(self, x):
        return xp.arcsin(_floating(x))

    def partial(self, out, x):
        return 1 / dual.sqrt(1 - x * x)


class Acos(Unary):
    public = "acos"
    aliases = ("arccos",)
    sympy = "acos"
    notation = "acos(x)"
    derivatives = ("-1 / sqrt(1 - x**2)",)

    def forward(self, x):
        return xp.arccos(_floating(x))

    def partial(self, out, x):
        return -1 / dual.sqrt(1 - x * x)


class Atan(Unary):
    public = "atan"
    aliases = ("arctan",)
    sympy = "atan"
    notation = "atan(x)"
    derivatives = ("1 / (1 + x**2)",)

    def forward(self, x):
        return xp.arctan(_floating(x))

    def partial(self, out, x):
        return 1 / (1 + x * x)


class Sinh(Unary):
    public = "sinh"
    sympy = "sinh"
    notation = "sinh(x)"
    derivatives = ("cosh(x)",)

    def forward(self, x):
        return xp.sinh(_floating(x))

    def partial(self, out, x):
        # cosh itself: (exp(x) + exp(-x)) / 2 overflowed at 710 (cosh(710) is 1.1e308), and
        # its derivative, the second derivative of sinh, cancelled to 0 at a tiny x
        return dual.cosh(x)


class Cosh(Unary):
    public = "cosh"
    sympy = "cosh"
    notation = "cosh(x)"
    derivatives = ("sinh(x)",)

    def forward(self, x):
        return xp.cosh(_floating(x))

    def partial(self, out, x):
        return dual.sinh(x)  # not the output, which may change in place (as in PyTorch)


class Asinh(Unary):
    public = "asinh"
    aliases = ("arcsinh",)
    sympy = "asinh"
    notation = "asinh(x)"
    derivatives = ("1 / sqrt(x**2 + 1)",)

    def forward(self, x):
        return xp.arcsinh(_floating(x))

    def partial(self, out, x):
        return 1 / dual.sqrt(x * x + 1)


class Acosh(Unary):
    public = "acosh"
    aliases = ("arccosh",)
    sympy = "acosh"
    notation = "acosh(x)"
    derivatives = ("1 / sqrt(x**2 - 1)",)

    def forward(self, x):
        return xp.arccosh(_floating(x))

    def partial(self, out, x):
        return 1 / dual.sqrt(x * x - 1)


class Atanh(Unary):
    public = "atanh"
    aliases = ("arctanh",)
    sympy = "atanh"
    notation = "atanh(x)"
    derivatives = ("1 / (1 - x**2)",)

    def forward(self, x):
        return xp.arctanh(_floating(x))

    def partial(self, out, x):
        return 1 / (1 - x * x)


# ------------------------------------------------------------------------- activations
class Tanh(Unary):
    half_rules_in_float32 = True  # PyTorch's backward is one kernel
    public = "tanh"
    sympy = "tanh"
    notation = "tanh(x)"
    derivatives = ("1 - tanh(x)**2",)
    saves_inputs = False
    saves_output = True

    def forward(self, x):
        # float32, an activation's usual input, told here: a call to _floating is one Python
        # frame more (the per-op chain of benchmarks/bench_instructions.py: -130 per op).
        return xp.tanh(x if x.dtype is _F32 else _floating(x))

    def partial(self, out, x):
        return dual.one_minus(out * out)


class Sigmoid(Unary):
    half_rules_in_float32 = True  # PyTorch's backward is one kernel
    public = "sigmoid"

    @staticmethod
    def sympy(sp, x):
        return 1 / (1 + sp.exp(-x))

    notation = "sigmoid(x)"
    derivatives = ("sigmoid(x) * (1 - sigmoid(x))",)
    saves_inputs = False
    saves_output = True

    def forward(self, x):
        # exp(-log(1 + exp(-x))) never overflows, and keeps full precision in both tails.
        return dual.sigmoid(_floating(x))

    def partial(self, out, x):
        return out * dual.one_minus(out)


class Silu(Unary):
    half_rules_in_float32 = True  # PyTorch's backward is one kernel
    public = "silu"
    method = False  # torch.nn.functional only, not a Tensor method

    @staticmethod
    def sympy(sp, x):
        return x / (1 + sp.exp(-x))

    notation = "x sigmoid(x)"
    derivatives = ("sigmoid(x) * (1 + x * (1 - sigmoid(x)))",)

    def forward(self, x):
        dtypes.check_float_kernel(x.dtype, "silu_cpu")
        return x * dual.sigmoid(x)

    def partial(self, out, x):
        s = dual.sigmoid(x)
        return s * (1 + x * (1 - s))


class Softplus(Unary):
    half_rules_in_float32 = True  # PyTorch's backward is one kernel
    public = "softplus"
    method = False  # torch.nn.functional only, not a Tensor method

    @staticmethod
    def sympy(sp, x, beta=1.0, threshold=20.0):
        return sp.log(1 + sp.exp(beta * x)) / beta

    notation = "log(1 + exp(beta x)) / beta"
    derivatives = ("sigmoid(beta * x)",)

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        # numbers, or 0-d tensors read as them (a tensor failed in NumPy, or was broadcast)
        self.beta = arguments.number(beta, "softplus", "beta")
        self.threshold = arguments.number(threshold, "softplus", "threshold", 3)

    def forward(self, x):
        dtypes.check_float_kernel(x.dtype, "softplus_cpu")
        dtypes.check_kernel_numbers(x.dtype, self.beta, self.threshold)
        wide = _opmath(x)
        if self._branch_rounds_away(wide):
            return dual.softplus(wide).astype(x.dtype, copy=False)
        bx = self.beta * wide
        # log(1 + exp(bx)) without overflow; PyTorch returns x itself above the threshold
        soft = dual.softplus(bx) / self.beta
        return _where(bx > self.threshold, x, soft.astype(x.dtype, copy=False))

    def _branch_rounds_away(self, x: Any) -> bool:
        """Whether PyTorch's branch above the threshold gives what the formula gives there,
        so that no choice per element is needed (float32 1797 x 128: forward 516 -> 289 us,
        derivative 521 -> 196 us): on a float32 array with beta 1 and a threshold from 18 up,
        where log1p(exp(-x)) < e^-18 = 1.5e-8 is below half an ulp of x, softplus(x) rounds
        to x, and sigmoid(x) = 1 / (1 + e^-x) to 1 (half an ulp below 1 is 3e-8)."""
        return type(x) is _ndarray and x.dtype is _F32 and self.beta == 1 and self.threshold >= 18

    def partial(self, out, x):
        if self._branch_rounds_away(x):
            return dual.sigmoid(x)
        bx = self.beta * x
        one = dual.typed(x, 1.0)
        # At beta x = threshold the slope is sigmoid's, but (as in PyTorch) its own
        # derivative is 0 there: the point is held constant.
        at = dual.where(bx == self.threshold, dual.typed(x, self.threshold), bx)
        return dual.where(bx > self.threshold, one, dual.sigmoid(at))


class Erf(Unary):
    public = "erf"
    sympy = "erf"
    notation = "erf(x)"
    derivatives = ("2 / sqrt(pi) * exp(-x**2)",)

    def forward(self, x):
        return memory_formats.like_input(_erf_array(_floating(x)), x)

    def partial(self, out, x):
        return (2 / math.sqrt(math.pi)) * dual.exp(-x * x)


class Gelu(Unary):
    half_rules_in_float32 = True  # PyTorch's backward is one kernel
    public = "gelu"
    method = False  # torch.nn.functional only, not a Tensor method

    @staticmethod
    def sympy(sp, x, approximate="none"):
        return x * (1 + sp.erf(x / sp.sqrt(2))) / 2

    notation = "x Phi(x)"
    derivatives = ("(1 + erf(x / sqrt(2))) / 2 + x * exp(-x**2 / 2) / sqrt(2 * pi)",)

    def __init__(self, approximate: str = "none") -> None:
        if approximate not in ("none", "tanh"):  # PyTorch's words (its parser's, for no str)
            if not isinstance(approximate, str):
                raise arguments.mistyped("gelu", "approximate", None, "str", approximate)
            raise RuntimeError("approximate argument must be either none or tanh.")
        self.approximate = approximate

    _K = math.sqrt(2 / math.pi)

    def forward(self, x):
        dtypes.check_float_kernel(x.dtype, "GeluKernelImpl")
        if self.approximate == "tanh":
            # x * x * x: PyTorch's cube (NumPy's x ** 3 is C's pow, 200x slower)
            return 0.5 * x * (1 + xp.tanh(self._K * (x + 0.044715 * (x * x * x))))
        if x.dtype is _F32:  # Phi in float32 arithmetic: a third of erf's time, tails kept
            out = normal_cdf_float32(x)
            out *= x
            return memory_formats.like_input(out, x)
        return memory_formats.like_input(0.5 * x * (1 + _erf_array(x / math.sqrt(2))), x)

    def partial(self, out, x):
        if self.approximate == "tanh":
            t = dual.tanh(self._K * (x + 0.044715 * (x * x * x)))
            return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * self._K * (1 + 3 * 0.044715 * x * x)
        if type(x) is _ndarray and x.dtype is _F32:  # as forward: see normal_cdf_float32
            cdf, pdf = normal_cdf_float32(x, with_pdf=True)
        else:
            cdf = 0.5 * (1 + dual.erf(x * (1 / math.sqrt(2))))
            pdf = dual.exp(-0.5 * x * x) * (1 / math.sqrt(2 * math.pi))
        return cdf + x * pdf


# ------------------------------------------------------------------------- two inputs
class Maximum(Op):
    promotes = True
    batch_rule = BROADCASTS
    public = "maximum"

    @staticmethod
    def sympy(sp, a, b):
        return sp.Piecewise((a, a > b), (b, True))

    notation = "max(a, b)"
    derivatives = ("1 if a > b, 1/2 if a == b, else 0", "1 if b > a, 1/2 if a == b, else 0")

    def forward(self, a, b):
        return xp.maximum(b, a)  # a tie gives the first operand, as PyTorch's (-0 against 0)

    def _above(self, a, b):
        return a > b

    def _constants(self, a, b):
        # the float operand's dtype: the other may be a number or a bool (maximum(mask, x))
        like = a if getattr(a, "dtype", _BOOL).kind == "f" else b
        return dual.typed(like, 1.0), (a == b) * dual.typed(like, 0.5)

    def vjp(self, g, out, a, b):
        # PyTorch splits the gradient evenly between tied inputs, and blocks it only where
        # the other input wins (with a 0, even where g is nan or infinite): at a nan both
        # inputs get all of it.
        one, tie = self._constants(a, b)
        shared = g * (one - tie)
        return (
            dual.passed(shared, ~self._above(b, a)) if self.needs[0] else None,
            dual.passed(shared, ~self._above(a, b)) if self.needs[1] else None,
        )

    def jvp(self, tangents, out, a, b):
        # PyTorch's forward mode: b's tangent plus a's share of the difference, so at a nan
        # the tangent is b's (not the sum the reverse rule would give).
        one, tie = self._constants(a, b)
        share = self._above(a, b) + tie
        return _chain(tangents, share, one - share)


class Minimum(Maximum):
    public = "minimum"

    @staticmethod
    def sympy(sp, a, b):
        return sp.Piecewise((a, a < b), (b, True))

    notation = "min(a, b)"
    derivatives = ("1 if a < b, 1/2 if a == b, else 0", "1 if b < a, 1/2 if a == b, else 0")

    def forward(self, a, b):
        return xp.minimum(b, a)  # a tie gives the first operand, as PyTorch's

    def _above(self, a, b):
        return a < b


class Atan2(Op):
    """The angle of the point (other, input): ``atan(input / other)`` in the right quadrant."""

    promotes = "float"  # of integers in float32

    batch_rule = BROADCASTS
    public = "atan2"
    aliases = ("arctan2",)
    sympy = "atan2"
    notation = "atan2(a, b)"
    derivatives = ("b / (a**2 + b**2)", "-a / (a**2 + b**2)")

    def forward(self, a, b):
        return _torch_float(
            xp.arctan2(_small_ints_as_float(a, b), _small_ints_as_float(b, a)), a, b
        )

    def vjp(self, g, out, a, b):
        r2 = a * a + b * b
        # PyTorch's gradient at the origin is 0, and its second derivative there nan. The mask
        # is on 1 / r2, not on g / r2: the second derivative's part through g (of another
        # element summed with this one) is then 0 * 0, where it was (0 selected) / 0 = nan.
        recip = dual.where(r2 == 0, dual.zeros_like(r2), 1 / r2)
        scale = g * recip
        return (scale * b if self.needs[0] else None, -scale * a if self.needs[1] else None)

    def jvp(self, tangents, out, a, b):
        r2 = a * a + b * b
        return _chain(tangents, b / r2, -a / r2)


class Hypot(Op):
    """``sqrt(input**2 + other**2)`` without overflow in the squares."""

    promotes = True  # integers are refused, in their common dtype

    batch_rule = BROADCASTS
    public = "hypot"

    @staticmethod
    def sympy(sp, a, b):
        return sp.sqrt(a**2 + b**2)

    notation = "sqrt(a**2 + b**2)"
    derivatives = ("a / hypot(a, b)", "b / hypot(a, b)")
    saves_output = True
    reads = ((0,), (1,))  # each gradient its own input (and the output)

    def forward(self, a, b):
        refuse_integer_pair(a, b, "hypot_cpu")
        return _torch_float(xp.hypot(_small_ints_as_float(a, b), _small_ints_as_float(b, a)), a, b)

    def vjp(self, g, out, a, b):
        # g x / out in PyTorch's order: g / out first overflowed float16 where out is tiny
        return (g * a / out if self.needs[0] else None, g * b / out if self.needs[1] else None)

    def jvp(self, tangents, out, a, b):
        return _chain(tangents, a / out, b / out)


# The inputs of PyTorch's node, by name, for a where that some function names (see Where)
_WHERE_INPUTS = {
    "WhereBackward0": (1, 2),
    "MaskedFillBackward0": (2,),
    "MaskedFillBackward1": (2, 1),
    "IndexFillBackward0": (2,),
    "IndexFillBackward1": (2, 1),
}


class Where(Linear):
    """Linear in ``a`` and ``b`` together, the condition a setting (no tangent)."""

    batch_rule = BROADCASTS

    notation = "a if condition else b"
    derivatives = ("-", "1 where condition", "1 where not condition")
    reads = ((0,), (0,), (0,))  # only the condition: a and b may change in place afterwards
    # PyTorch's WhereBackward0 takes (a, b), the condition no input; a fill's, where(mask,
    # value, input), the input, then a tensor value (a number is none); a where named for
    # another function (tril, nan_to_num) takes its tensors alone
    hook_inputs = Picked(lambda node: _WHERE_INPUTS.get(node.name()) or tensor_inputs(node, (1, 2)))

    def forward(self, condition, a, b):
        if type(a) is _ndarray and type(b) is _ndarray and a.dtype is not b.dtype:
            out = _where(condition, *dtypes.promote_operands(a, b))  # as Op.__call__'s
        else:
            out = _where(condition, a, b)
        return _torch_float(out, a, b)

    def vjp(self, g, out, condition, a, b):
        zero = dual.zeros_like(g)  # not 0 * g: the branch not taken gets 0 even if g is inf
        return (
            None,
            dual.where(condition, g, zero) if self.needs[1] else None,
            dual.where(condition, zero, g) if self.needs[2] else None,
        )


# ------------------------------------------------------------------------- copies and casts
class Clone(Linear, Unary):
    public = "clone"
    notation = "x"
    derivatives = ("1",)
    saves_inputs = False
    half_in_float32 = False  # a copy: no arithmetic to widen

    def __init__(self, memory_format: Any = memory_formats.preserve_format) -> None:
        self.memory_format = memory_format

    @classmethod
    def apply(cls, input: Any, *, memory_format: Any = memory_formats.preserve_format) -> Any:  # noqa: A002
        """A copy, laid out in ``memory_format`` (by default as ``input`` is, see
        :mod:`chainrule.memory_formats`); its gradient is the output's."""
        if memory_format is not memory_formats.preserve_format:  # checked only then (no cost)
            memory_formats.checked(memory_format, "clone")
            memory_formats.refuse_copy_in_vmap(input, memory_format, "clone")
            memory_formats.check_rank(memory_format, input.ndim)
        return cls(memory_format)(input)

    def forward(self, x):
        return memory_formats.copied(x, self.memory_format)

    def vjp(self, g, out, x):
        return (g,)


class Cast(Linear, Unary):
    torch_name = "ToCopyBackward0"
    notation = "x"
    derivatives = ("1",)
    saves_inputs = False
    half_in_float32 = False  # the target dtype is the result's
    # Its gradient keeps the output's dtype, which the backward pass casts to the input's: it
    # does not take the Unary family's word that the gradient has the input's (see Op).
    one_shape = False

    def __init__(self, dtype: Any, memory_format: Any = memory_formats.preserve_format) -> None:
        self.dtype = dtype
        self.memory_format = memory_format

    def forward(self, x):
        return memory_formats.copied(x, self.memory_format, self.dtype)

    def vjp(self, g, out, x):
        return (g,)  # the backward pass casts gradients back to each input's dtype


# ------------------------------------------------------------------------- public functions
def add(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:  # noqa: A002
    """``input + alpha * other``, broadcasting."""
    plain = alpha == 1 and not isinstance(alpha, bool)  # True == 1, but PyTorch checks it
    if plain:
        return Add()(input, other)
    return _with_alpha(Add()(input, _scaled(input, other, alpha)), alpha)


def sub(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:  # noqa: A002
    """``input - alpha * other``, broadcasting."""
    plain = alpha == 1 and not isinstance(alpha, bool)  # True == 1, but PyTorch checks it
    if plain:
        return Sub()(input, other)
    return _with_alpha(Sub()(input, _scaled(input, other, alpha)), alpha)


def _with_alpha(result: Tensor, alpha: Any) -> Tensor:
    """``result``, its node noting ``alpha`` (which an earlier node applied), as PyTorch's
    node keeps it (``grad_fn._saved_alpha``)."""
    if result._grad_fn is not None:
        result._grad_fn.alpha = alpha
    return result


def _scaled(input: Any, other: Any, alpha: Any) -> Any:  # noqa: A002
    """``alpha * other`` for :func:`add` and :func:`sub`, ``alpha`` checked against an integer
    ``input``'s dtype as PyTorch converts it (300 overflows a uint8), and refused as PyTorch
    refuses it: a float alpha for an integer or bool result (it would make the result a float),
    a bool alpha for a result that is not bool."""
    refuse_alpha(input, other, alpha)
    return alpha_times(input, other, alpha)


@own_constants  # alpha: PyTorch's add keeps it as a number, not a saved tensor
def alpha_times(input: Any, other: Any, alpha: Any) -> Any:  # noqa: A002
    """``alpha * other`` for ``input + alpha * other``, ``alpha`` converted as PyTorch converts
    it for ``input``'s dtype: checked (300 overflows a uint8, 70000.0 a float16) and, beside
    float16, rounded to it (1e-8 is 0)."""
    if isinstance(input, Tensor):
        alpha = dtypes.checked_number_for(alpha, input.dtype.dtype)
        if input.dtype.dtype is dtypes.HALF:
            alpha = float(xp.float16(alpha))
            if not isinstance(other, Tensor):  # PyTorch's product of the two, in float16
                with xp.errstate(over="ignore"):  # 70000 is float16's inf, as PyTorch's
                    return float(xp.float16(other) * xp.float16(alpha))
    if not isinstance(other, Tensor):
        return other * alpha
    if isinstance(input, Tensor) and other.dtype is not input.dtype:
        # in the dtype of the sum, as PyTorch's: a uint8 200 times 2 beside an int64 is 400
        other = other.to(dtypes.torch_result_type(input._data, other._data))
    return mul(other, alpha)


def refuse_alpha(input: Any, other: Any, alpha: Any) -> None:  # noqa: A002
    """PyTorch's refusals of an ``alpha`` for ``input + alpha * other`` (add, sub and their
    in-place forms): a float one where the result is integer or bool, a bool one where it is
    not bool."""
    kinds = {_number_kind(v) for v in (input, other)}
    result = "f" if kinds & {"f", "c"} else "i" if "i" in kinds else "b"
    if isinstance(alpha, bool) and result != "b":
        raise RuntimeError("Boolean alpha only supported for Boolean results.")
    if result != "f" and not isinstance(alpha, (int, xp.integer, xp.bool_)):
        raise RuntimeError(
            "For integral input tensors, argument alpha must not be a floating point number."
        )


def _number_kind(value: Any) -> str:
    """``f`` (floating), ``c`` (complex), ``i`` (integer) or ``b`` (bool): the kind of a
    tensor's elements, or of a Python or NumPy number."""
    kind = value.dtype.kind if isinstance(value, Tensor) else xp.asarray(value).dtype.kind
    return "i" if kind == "u" else kind


def mul(input: Any, other: Any) -> Tensor:  # noqa: A002
    return Mul()(input, other)


def div(input: Any, other: Any, *, rounding_mode: str | None = None) -> Tensor:  # noqa: A002
    """``input / other``; ``rounding_mode="floor"`` or ``"trunc"`` rounds the quotient (whose
    gradient is then zero), keeping integer dtypes as PyTorch does."""
    if rounding_mode is None:
        return Div()(input, other)
    if not isinstance(rounding_mode, str):  # no signature takes it (the words of div's)
        raise arguments.no_overload("div", (input, other), {"rounding_mode": rounding_mode})
    # PyTorch's div.Tensor_mode node (a number is wrapped as a tensor), where floor_divide's
    # own node is another
    if rounding_mode == "floor":
        return named(FloorDivide()(input, other), "DivBackward2")
    if rounding_mode == "trunc":
        return named(TruncDivide()(input, other), "DivBackward2")
    raise RuntimeError(
        f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
        f"{rounding_mode!r}"
    )


# PyTorch's longer names of the four operations (NumPy's spelling).
multiply = mul
divide = div


def subtract(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:  # noqa: A002
    """``input - alpha * other``: :func:`sub` by its longer name."""
    return sub(input, other, alpha=alpha)


def true_divide(input: Any, other: Any) -> Tensor:  # noqa: A002
    """``input / other`` in floating point: :func:`div` with no rounding."""
    return Div()(input, other)


def clamp_min(input: Any, min: Any) -> Tensor:  # noqa: A002
    """``max(input, min)``: :func:`clamp` with a lower bound only (a number or a tensor).

    >>> import chainrule as cr
    >>> cr.clamp_min(cr.tensor([-1.0, 2.0]), 0.5)
    tensor([0.5000, 2.0000])
    """
    bound = "1" if isinstance(min, Tensor) else "0"  # PyTorch's overload for a tensor bound
    return named(Clamp.apply(input, min=min), f"ClampMinBackward{bound}")


def clamp_max(input: Any, max: Any) -> Tensor:  # noqa: A002
    """``min(input, max)``: :func:`clamp` with an upper bound only (a number or a tensor)."""
    bound = "1" if isinstance(max, Tensor) else "0"  # as clamp_min's
    return named(Clamp.apply(input, max=max), f"ClampMaxBackward{bound}")


def floor_divide(input: Any, other: Any) -> Tensor:  # noqa: A002
    """``input // other``: the floor of the quotient. PyTorch has no derivative for it: the
    result requires grad, and backward through it raises (``div(rounding_mode="floor")``,
    the same value, has a zero gradient)."""
    return without_derivative("floor_divide", FloorDivide(), input, other)


def remainder(input: Any, other: Any) -> Tensor:  # noqa: A002
    """``input % other``, with the sign of ``other`` (Python's modulo).

    >>> import chainrule as cr
    >>> cr.remainder(cr.tensor([-3.0, 3.0]), 2)
    tensor([1., 1.])
    """
    return Remainder()(input, other)


def fmod(input: Any, other: Any) -> Tensor:  # noqa: A002
    """The remainder with the sign of ``input`` (C's fmod): ``fmod(-3, 2)`` is -1."""
    return Fmod()(input, other)


def square(input: Tensor) -> Tensor:  # noqa: A002
    if isinstance(input, Tensor):
        shell_uints.check_function("square", input.dtype)  # PyTorch's square is its pow
        if input.dtype.dtype is _BOOL:  # so a bool tensor's square is int64 (pow's), not bool
            return pow(input, 2)
    return named(mul(input, input), "PowBackward0")  # one node in PyTorch's graph, x ** 2


def pow(input: Any, exponent: Any) -> Tensor:  # noqa: A001, A002
    return Pow()(input, exponent)


_ABSENT: Any = object()  # where's input and other when not given (None is refused, as in PyTorch)


def _where_number(number: Any, dtype: Any) -> Any:
    """A number beside a tensor of NumPy ``dtype`` in :func:`where`, checked as PyTorch checks
    it (1e40 beside float32 is refused), but for a float beside float16, which PyTorch rounds
    (70000.0 to inf)."""
    if dtype is dtypes.HALF and type(number) is float:
        return number
    return dtypes.checked_number_for(number, dtype)


def where(condition: Any, input: Any = _ABSENT, other: Any = _ABSENT) -> Any:  # noqa: A002
    """Pick ``input`` where ``condition`` holds, else ``other`` (both broadcast). With the
    condition alone, where it is non-zero: ``nonzero(condition, as_tuple=True)``.

    >>> import chainrule as cr
    >>> cr.where(cr.tensor([[0.0, 1.0], [2.0, 0.0]]))
    (tensor([0, 1]), tensor([1, 0]))
    """
    if input is _ABSENT or other is _ABSENT:
        if input is _ABSENT and other is _ABSENT and isinstance(condition, Tensor):
            from chainrule.ops.indexing import nonzero  # indexing imports this module

            return nonzero(condition, as_tuple=True)
        raise TypeError("where() takes a condition tensor alone, or with input and other")
    if isinstance(input, Tensor) and not isinstance(other, Tensor):
        other = _where_number(other, input.dtype.dtype)
    elif isinstance(other, Tensor) and not isinstance(input, Tensor):
        input = _where_number(input, other.dtype.dtype)
    if isinstance(condition, BatchedTensor):  # inside vmap: Where's batching rule takes it
        return Where()(condition, input, other)
    if isinstance(condition, Tensor):
        if condition._data.dtype == bool:  # an input: the step behind it stays in the graph
            return Where()(condition, input, other)
        if condition._data.dtype != xp.uint8:  # (uint8: PyTorch's deprecated condition)
            raise RuntimeError(
                "where expected condition to be a boolean tensor, but got a tensor with dtype "
                f"{dtypes._TORCH_DTYPE_NAMES[condition._data.dtype.name][1]}"
            )
        condition = condition._data
    return Where()(xp.asarray(condition, dtype=bool), input, other)


def cast(
    input: Tensor,  # noqa: A002
    dtype: Any,
    memory_format: Any = memory_formats.preserve_format,
) -> Tensor:
    """``input.to(dtype)``: differentiable between float dtypes; the copy is laid out in
    ``memory_format`` (checked by the caller)."""
    dtype = dtypes.as_dtype(dtype)
    dtypes.refuse_complex(dtype, "to")
    result = Cast(dtype, memory_format)(input)
    if not dtypes.is_floating(dtype) and result.requires_grad:
        result.grad_fn = None
        result.requires_grad = False
    return result
