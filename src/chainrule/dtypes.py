"""dtypes as PyTorch's objects (``chainrule.float32``), over NumPy dtypes, and PyTorch's rules.

``x.dtype`` returns one of these objects; inside, tensors keep NumPy dtypes and the ops compare
those (a conversion only at the public property keeps the per-op cost unchanged). Each object
equals itself and its NumPy counterpart, and NumPy accepts it wherever it takes a dtype.

>>> import chainrule as cr
>>> import numpy as np
>>> cr.tensor([1.0, 2.0]).dtype
chainrule.float32
>>> cr.float32 == np.float32, cr.float32.is_floating_point, cr.int64.itemsize
(True, True, 8)
>>> np.zeros(2, dtype=cr.float64).dtype
dtype('float64')
"""

from __future__ import annotations

import builtins
import functools
from collections.abc import Callable
from typing import Any

from chainrule._array import xp


class dtype:  # noqa: N801 - PyTorch's name
    """A tensor element type, ``chainrule.float32``; made once per NumPy dtype."""

    __slots__ = ("dtype", "itemsize", "kind", "is_floating_point", "is_complex", "is_signed")

    def __init__(self, numpy_dtype: Any) -> None:
        # ``.dtype`` is NumPy's protocol: np.zeros(2, dtype=cr.float32) reads it.
        self.dtype = xp.dtype(numpy_dtype)
        self.itemsize = self.dtype.itemsize
        # NumPy's kind letter as a slot: through __getattr__ (below) a read first fails the
        # normal lookup, ~6k instructions, and ``x.dtype.kind`` is read on hot paths
        self.kind = self.dtype.kind
        self.is_floating_point = self.dtype.kind == "f"
        self.is_complex = self.dtype.kind == "c"
        self.is_signed = self.dtype.kind in "fci"

    def __repr__(self) -> str:
        return f"chainrule.{self.dtype.name}"

    __str__ = __repr__

    def __eq__(self, other: object) -> builtins.bool:
        if isinstance(other, dtype):
            return self is other
        if isinstance(other, xp.dtype) or (
            isinstance(other, type) and issubclass(other, xp.generic)
        ):
            return self.dtype == other
        return NotImplemented

    def __hash__(self) -> builtins.int:
        return hash(self.dtype)  # as the NumPy dtype: dicts keyed by either find the other

    def __getattr__(self, name: str) -> Any:
        # NumPy's attributes (``kind``, ``type``, ``name``) for code written against them.
        return getattr(object.__getattribute__(self, "dtype"), name)

    def __reduce__(self) -> tuple[Any, ...]:
        return (public, (self.dtype,))


class unsupported_dtype:  # noqa: N801 - lower case, as the dtypes it stands beside
    """A PyTorch dtype NumPy has no type for (``chainrule.bfloat16``): a name that code can
    compare with and print, refused with a clear error wherever it is used as a dtype (NumPy
    reads an object's ``dtype`` to make one, and this one raises there).

    >>> bfloat16 == float16, bfloat16
    (False, chainrule.bfloat16)
    >>> zeros = xp.zeros(2, dtype=bfloat16)
    Traceback (most recent call last):
    ...
    TypeError: chainrule.bfloat16 is not supported: NumPy has no bfloat16 type; use \
chainrule.float32 or chainrule.float16
    """

    def __init__(self, name: str, itemsize: builtins.int) -> None:
        self.name = name
        self.itemsize = itemsize
        self.is_floating_point, self.is_complex, self.is_signed = True, False, True

    def __repr__(self) -> str:
        return f"chainrule.{self.name}"

    __str__ = __repr__

    @property
    def dtype(self) -> Any:
        raise TypeError(
            f"chainrule.{self.name} is not supported: NumPy has no {self.name} type; use "
            "chainrule.float32 or chainrule.float16"
        )


bfloat16 = unsupported_dtype("bfloat16", 2)

_PUBLIC: dict[Any, dtype] = {}


def public(numpy_dtype: Any) -> dtype:
    """The one ``dtype`` object for a NumPy dtype (what ``x.dtype`` returns)."""
    try:
        return _PUBLIC[numpy_dtype]
    except KeyError:
        result = _PUBLIC[numpy_dtype] = dtype(numpy_dtype)
        return result


float16 = half = public(xp.dtype("float16"))
float32 = float = public(xp.dtype("float32"))
float64 = double = public(xp.dtype("float64"))
complex64 = cfloat = public(xp.dtype("complex64"))
complex128 = cdouble = public(xp.dtype("complex128"))
int8 = public(xp.dtype("int8"))
int16 = short = public(xp.dtype("int16"))
int32 = int = public(xp.dtype("int32"))
int64 = long = public(xp.dtype("int64"))
uint8 = public(xp.dtype("uint8"))
# PyTorch's "shell" unsigned types: tensors of them can be made, cast, viewed, indexed and
# multiplied, but most kernels refuse them (see SHELL_UINTS and op.uint_refusal).
uint16 = public(xp.dtype("uint16"))
uint32 = public(xp.dtype("uint32"))
uint64 = public(xp.dtype("uint64"))
bool = public(xp.dtype("bool"))

# The NumPy dtypes of the shell unsigned types.
SHELL_UINTS = frozenset((uint16.dtype, uint32.dtype, uint64.dtype))

# Python floats make tensors of this NumPy dtype (float32 as in PyTorch; NumPy would make
# float64). Internal, so the factories hand NumPy its own type.
default_float = xp.dtype("float32")

DType = xp.dtype


# PyTorch's two spellings of a dtype in its messages: its C++ type, its ScalarType.
_TORCH_DTYPE_NAMES = {
    "float16": ("c10::Half", "Half"),
    "float32": ("float", "Float"),
    "float64": ("double", "Double"),
    "int8": ("signed char", "Char"),
    "int16": ("short int", "Short"),
    "int32": ("int", "Int"),
    "int64": ("long int", "Long"),
    "uint8": ("unsigned char", "Byte"),
    "uint16": ("short unsigned int", "UInt16"),
    "uint32": ("unsigned int", "UInt32"),
    "uint64": ("long unsigned int", "UInt64"),
    "bool": ("bool", "Bool"),
}


def scalar_type_name(dtype: Any) -> str:
    """PyTorch's ScalarType name of ``dtype``, as its error messages spell it.

    >>> scalar_type_name(xp.dtype("int64")), scalar_type_name(xp.dtype("bool"))
    ('Long', 'Bool')
    """
    return _TORCH_DTYPE_NAMES[xp.dtype(dtype).name][1]


def legacy_type_name(dtype: Any) -> str:
    """PyTorch's legacy tensor type of ``dtype``, as ``Tensor.type()`` reports it.

    >>> legacy_type_name(xp.dtype("float32")), legacy_type_name(xp.dtype("int64"))
    ('chainrule.FloatTensor', 'chainrule.LongTensor')
    """
    return f"chainrule.{scalar_type_name(dtype)}Tensor"


def checked_type_name(dtype: Any) -> str:
    """The type name PyTorch's argument checks print: the legacy tensor type, except a
    bool tensor's, which they print as its backend type.

    >>> checked_type_name(xp.dtype("int16")), checked_type_name(xp.dtype("bool"))
    ('chainrule.ShortTensor', 'CPUBoolType')
    """
    return "CPUBoolType" if xp.dtype(dtype) == xp.bool_ else legacy_type_name(dtype)


def from_legacy_type_name(name: str) -> Any:
    """The dtype of a legacy tensor type name (``"torch.DoubleTensor"``, or chainrule's)."""
    for numpy_name, (_, scalar) in _TORCH_DTYPE_NAMES.items():
        if name in (f"chainrule.{scalar}Tensor", f"torch.{scalar}Tensor"):
            return xp.dtype(numpy_name)
    raise ValueError(f"invalid type: '{name}'")


def check_float_kernel(dtype: Any, kernel: str) -> None:
    """PyTorch's refusal of a bool or integer NumPy ``dtype`` for ``kernel``, which has float
    versions only (gelu, elu, max_pool1d of integers compute nothing there).

    >>> check_float_kernel(xp.dtype("int64"), "elu_cpu")
    Traceback (most recent call last):
    NotImplementedError: "elu_cpu" not implemented for 'Long'
    """
    if dtype.kind in "biu":
        raise not_implemented_for(kernel, dtype)


def refuse_half(dtype: Any, kernel: str | None) -> None:
    """PyTorch's refusal of float16 (a NumPy or a chainrule ``dtype``) for ``kernel``, which
    has no float16 version; nothing for other dtypes, or where ``kernel`` is None.

    >>> refuse_half(xp.dtype("float16"), "pdist")
    Traceback (most recent call last):
    NotImplementedError: "pdist" not implemented for 'Half'
    """
    if kernel is not None and dtype == HALF:
        raise not_implemented_for(kernel, HALF)


def not_implemented_for(kernel: str, dtype: Any) -> NotImplementedError:
    """PyTorch's error for a kernel that has no version for ``dtype`` (a softmax of integers).

    >>> print(not_implemented_for("softmax_kernel_impl", xp.dtype("int64")))
    "softmax_kernel_impl" not implemented for 'Long'
    """
    return NotImplementedError(f"\"{kernel}\" not implemented for '{scalar_type_name(dtype)}'")


# PyTorch's type categories: a result takes the highest category among its operands.
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}


def torch_promote_types(a: DType, b: DType) -> DType:
    """PyTorch's ``promote_types`` of two NumPy dtypes: the higher category's dtype (bool <
    integer < float), within a category NumPy's promotion. A shell uint (uint16, uint32,
    uint64) promotes only with itself and with floats, as in PyTorch.

    >>> torch_promote_types(xp.dtype("int64"), xp.dtype("float16"))
    dtype('float16')
    >>> torch_promote_types(xp.dtype("uint32"), xp.dtype("int32"))
    Traceback (most recent call last):
    ...
    RuntimeError: Promotion for uint16, uint32, uint64 types is not supported, attempted to \
promote UInt32 and Int
    """
    if a == b:
        return a
    if (a in SHELL_UINTS or b in SHELL_UINTS) and "f" not in (a.kind, b.kind):
        raise RuntimeError(
            "Promotion for uint16, uint32, uint64 types is not supported, attempted to promote "
            f"{scalar_type_name(a)} and {scalar_type_name(b)}"
        )
    rank_a, rank_b = _CATEGORY[a.kind], _CATEGORY[b.kind]
    if rank_a != rank_b:
        return a if rank_a > rank_b else b
    return xp.promote_types(a, b)


def result_type_of_tiers(operands: Any) -> DType:
    """PyTorch's result dtype of ``operands``, pairs ``(dtype, tier)``: tier 2 a tensor with
    dimensions, 1 a 0-d tensor, 0 a Python number (as its dtype: int64, the default float,
    bool). Each tier's dtypes promote among themselves; a lower tier then counts only where
    its category is higher (a 0-d int64 leaves an int32 tensor int32, a 0-d float makes it
    float), or where the higher tier holds bools.

    >>> int32, float64 = xp.dtype("int32"), xp.dtype("float64")
    >>> result_type_of_tiers([(int32, 2), (xp.dtype("int64"), 1)])
    dtype('int32')
    >>> result_type_of_tiers([(int32, 2), (float64, 1)]), result_type_of_tiers([(float64, 0)])
    (dtype('float64'), dtype('float64'))
    """
    tiers: list[DType | None] = [None, None, None]
    for dtype, tier in operands:
        have = tiers[tier]
        tiers[tier] = dtype if have is None else torch_promote_types(have, dtype)
    numbers, zero_d, dimensioned = tiers
    result = _combine(dimensioned, _combine(zero_d, numbers))
    assert result is not None, "no operands"
    return result


def _combine(higher: DType | None, lower: DType | None) -> DType | None:
    """A higher tier's dtype after a lower tier's (either may be None: no operands there)."""
    if higher is None or lower is None:
        return lower if higher is None else higher
    if higher.kind != "f" and (higher.kind == "b" or lower.kind == "f"):
        return torch_promote_types(higher, lower)
    return higher


def torch_result_type(*arrays: Any) -> DType:
    """PyTorch's result dtype of an elementwise op on ``arrays`` (:func:`result_type_of_tiers`).
    NumPy instead promotes the dtypes themselves (int32 with float32 is float64 there, float32
    in PyTorch; a 0-d int64 widens an int32 array there, not here).

    >>> torch_result_type(xp.ones(2, xp.int32), xp.ones(2, xp.float32))
    dtype('float32')
    >>> torch_result_type(xp.ones(2, xp.int32), xp.asarray(7))
    dtype('int32')
    """
    return result_type_of_tiers([(x.dtype, 2 if x.ndim else 1) for x in arrays])


def promote_operands(a: Any, b: Any, floating: Any = False) -> tuple[Any, Any]:
    """``(a, b)``, both cast to :func:`torch_result_type` where NumPy would compute in another
    dtype (else as they are: NumPy casts a bool mask for a float product itself, with no
    copy). Cast first, not after, so the op runs in PyTorch's dtype: a 0-d -3 meets a uint8
    tensor as 253, as in PyTorch. An op that computes integers in floats (``floating``: true
    division, atan2) casts them to float32 instead, from their own dtypes (-3 stays -3).

    >>> a, b = promote_operands(xp.ones(2, xp.int32), xp.asarray(7))
    >>> a.dtype, b.dtype
    (dtype('int32'), dtype('int32'))
    """
    want = torch_result_type(a, b)
    if floating and want.kind in "biu":
        want = default_float
    if xp.result_type(a, b) == want:
        return a, b
    return a.astype(want, copy=False), b.astype(want, copy=False)


def can_cast(source: Any, target: Any) -> builtins.bool:
    """Whether PyTorch writes a result of ``source`` dtype into a tensor of ``target`` (an
    in-place op, ``out=``): anything but a float into an integer or a non-bool into a bool.
    NumPy's ``same_kind`` also refuses signed into unsigned integers, which PyTorch wraps.

    >>> can_cast(xp.dtype("int64"), xp.dtype("uint8")), can_cast(xp.dtype("float32"), xp.int64)
    (True, False)
    """
    return _CATEGORY[xp.dtype(source).kind] <= _CATEGORY[xp.dtype(target).kind]


def as_dtype(dtype: Any) -> DType | None:
    """Accept a dtype, a NumPy type or a name like ``"float32"``; None passes through."""
    if dtype is None:
        return None
    return xp.dtype(dtype)


def is_floating(dtype: DType) -> builtins.bool:
    return dtype.kind in "fc"


def refuse_complex(dtype: DType, where: str) -> None:
    """Raise for a complex dtype: chainrule's rules are written for real numbers only.

    Refused where values enter chainrule (tensor creation, casts, the constants given to an
    op), so no op ever sees complex data and none can silently drop an imaginary part.

    >>> refuse_complex(xp.dtype("complex64"), "tensor")
    Traceback (most recent call last):
    ...
    TypeError: tensor: complex dtypes are not supported (got complex64); chainrule \
differentiates real tensors only: keep the real and imaginary parts as two real tensors
    """
    if dtype.kind == "c":
        raise TypeError(
            f"{where}: complex dtypes are not supported (got {dtype}); chainrule "
            "differentiates real tensors only: keep the real and imaginary parts as two real "
            "tensors"
        )


def get_default_dtype() -> dtype:
    """The dtype of tensors made from Python floats (``chainrule.float32`` unless changed).

    >>> import chainrule as cr
    >>> cr.get_default_dtype()
    chainrule.float32
    """
    return public(default_float)


def set_default_dtype(d: Any) -> None:
    """Make Python floats (and ``zeros``, ``randn``...) give ``d``: float32 or float64."""
    global default_float
    numpy_dtype = xp.dtype(d)
    if numpy_dtype.kind != "f":
        raise TypeError("only floating-point types are supported as the default type")
    default_float = numpy_dtype


def python_number(value: Any) -> Any:
    """A NumPy scalar operand as the Python number PyTorch reads it as, or None for anything
    else. PyTorch's argument parser takes a NumPy scalar for a number, weak as one: an
    ``np.int32(-7)`` beside a uint8 tensor wraps into uint8, an ``np.float32(0.1)`` leaves a
    float16 tensor float16 (NumPy's scalars keep their own dtypes, and would widen both). It
    reads a NumPy bool as a float (only NumPy's integer types parse as integers there).

    >>> python_number(xp.int8(-3)), python_number(xp.float16(0.5)), python_number(xp.bool_(1))
    (-3, 0.5, 1.0)
    """
    if isinstance(value, xp.generic):
        kind = value.dtype.kind
        if kind in "iu":
            return builtins.int(value)
        if kind in "fb":
            return builtins.float(value)
    return None


def wrap_integer_operands(args: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """``args`` with each Python int wrapped into the integer dtype of the array beside it, as
    PyTorch casts a number to a tensor's dtype (``uint8`` + 300 adds 44: 300 mod 256), where
    NumPy raises an OverflowError; None where no int needs it.

    >>> wrap_integer_operands((xp.array([1], xp.uint8), 300))
    (array([1], dtype=uint8), 44)
    """
    arrays = [a for a in args if isinstance(a, xp.ndarray) and a.dtype.kind in "iu"]
    if not arrays:
        return None
    dtype = arrays[0].dtype
    wrapped = tuple(wrap_integer(a, dtype) if type(a) is builtins.int else a for a in args)
    return None if wrapped == args else wrapped


def wrap_integer(value: builtins.int, dtype: Any) -> builtins.int:
    """``value`` as the integer ``dtype`` holds it after a C cast: modulo 2**bits, signed for a
    signed type (200 as int8 is -56, -3 as uint8 is 253). PyTorch first makes the number an
    int64 (or a uint64): beyond those it raises an OverflowError."""
    if not -(1 << 63) <= value < 1 << 64:
        raise OverflowError("int too big to convert")
    bits = 8 * dtype.itemsize
    value %= 1 << bits
    if dtype.kind == "i" and value >= 1 << (bits - 1):
        value -= 1 << bits
    return value


# The C++ types' own names, which PyTorch's kernels print (mm's dtype mismatch, randint's
# bounds): ``long int``, not ``int64_t``.
C_TYPE_NAMES = {
    "int64": "long int",
    "int32": "int",
    "int16": "short int",
    "int8": "signed char",
    "uint8": "unsigned char",
    "uint16": "short unsigned int",
    "uint32": "unsigned int",
    "uint64": "long unsigned int",
    "bool": "bool",
    "float16": "c10::Half",
    "float32": "float",
    "float64": "double",
}

# The C names PyTorch's overflow error gives the types (c10::Scalar's accessors').
_C_NAMES = {"int8": "int8_t", "int16": "int16_t", "int32": "int", "int64": "int64_t"}
_C_NAMES.update(uint8="uint8_t", uint16="uint16_t", uint32="uint32_t", uint64="uint64_t")
_C_NAMES.update(float16="c10::Half", float32="float", float64="double")


#: The float dtypes that BLAS and chainrule's vectorized fast paths take (a bit blend, a
#: filled bound, a product with ones); others keep NumPy's general call.
SINGLE_AND_DOUBLE = (xp.dtype(xp.float32), xp.dtype(xp.float64))

#: Where PyTorch's ops on float16 compute: its "opmath" type (``at::opmath_type<Half>``).
HALF = xp.dtype(xp.float16)
HALF_OPMATH = xp.dtype(xp.float32)


def half_in_float32(forward: Callable[..., Any]) -> Callable[..., Any]:
    """An op's ``forward`` that, given a float16 first array, runs on float32 copies of its
    arrays (None passed on) and rounds the result to float16 once, as PyTorch's kernels that
    compute float16 in float32 throughout (convolutions: float16 steps summed the windows'
    products and the bias each with a rounding).

    >>> class Twice:
    ...     @half_in_float32
    ...     def forward(self, x):
    ...         return x * 2 - x
    >>> Twice().forward(xp.array([65504.0], xp.float16)).tolist()  # 2x fits float32 only
    [65504.0]
    """

    @functools.wraps(forward)
    def computed(self: Any, first: Any, *rest: Any) -> Any:
        if first.dtype is not HALF:
            return forward(self, first, *rest)
        wide = [None if a is None else a.astype(HALF_OPMATH) for a in rest]
        return forward(self, first.astype(HALF_OPMATH), *wide).astype(HALF)

    return computed


def half_opmath_operand(array: Any, other: Any) -> Any:
    """``other`` as PyTorch's multiplication and divisions read it beside a dimensioned float16
    ``array``, as their second operand: a Python number, or the value of a 0-d tensor of any real
    dtype, converted to float32 once, not rounded to float16 first. The kernel computes in
    float32 and rounds the result to float16, so ``x * 1e-8`` is not ``x * 0`` and ``x // 0.1``
    divides by float32's 0.1. None where PyTorch computes otherwise (other dtypes, a tensor
    with dimensions; a 0-d tensor beside a 0-d ``array``, which promotes as usual).

    >>> half_opmath_operand(xp.ones(2, xp.float16), 1e-8)
    array(1.e-08, dtype=float32)
    >>> half_opmath_operand(xp.ones(2, xp.float32), 1e-8) is None
    True
    """
    if array.dtype is not HALF:
        return None
    if type(other) in (builtins.float, builtins.int, builtins.bool):
        with xp.errstate(over="ignore"):  # 1e40 is float32's inf, without NumPy's warning
            return xp.array(other, HALF_OPMATH)
    if type(other) is xp.ndarray and not other.ndim and array.ndim and other.dtype.kind in "biuf":
        return other.astype(HALF_OPMATH)
    return None


def check_kernel_numbers(dtype: Any, *numbers: Any, own: builtins.bool = False) -> None:
    """Refuse, as PyTorch does, a number parameter of a float kernel (a slope, an alpha, a
    beta, a threshold, a fused op's value) past the range of the type the kernel reads it in:
    float32 for float16 and float32 tensors (their "opmath" type), or the tensor's NumPy
    ``dtype`` itself where ``own`` (hardshrink's lambda, threshold's value). float64 reads any.

    >>> check_kernel_numbers(xp.dtype("float16"), 0.01, 1e30)
    >>> check_kernel_numbers(xp.dtype("float16"), 1e40)
    Traceback (most recent call last):
    RuntimeError: value cannot be converted to type float without overflow
    """
    if dtype.kind == "f" and dtype.itemsize < 8:
        for number in numbers:
            checked_scalar(number, dtype if own else HALF_OPMATH)


def checked_scalar(value: Any, dtype: Any) -> Any:
    """The number ``value`` for a tensor of NumPy ``dtype``, where PyTorch refuses one that
    overflows it (``fill_``, ``full``, ``masked_fill``, ``where``, ``clamp``, a power's
    exponent) instead of wrapping it round as NumPy's cast would: an integer type takes its
    range, an unsigned one also minus its range for an int (-1 is a uint8's 255, as in C),
    a float dtype any finite number up to its largest (float16's 65504: even 65519, which
    would round down to it, is refused), and inf. Returns ``value`` (an int wrapped into
    ``dtype``).

    >>> checked_scalar(-1, xp.dtype("uint8")), checked_scalar(2.5, xp.dtype("float32"))
    (255, 2.5)
    >>> checked_scalar(300, xp.dtype("uint8"))
    Traceback (most recent call last):
    RuntimeError: value cannot be converted to type uint8_t without overflow
    """
    kind = dtype.kind
    if kind in "iu" and type(value) is not builtins.bool:
        if type(value) is builtins.float:
            if value != value or abs(value) == _INF:
                raise _overflow(dtype)
        elif not -(1 << 63) <= value < 1 << 64:
            raise OverflowError("int too big to convert")
        info = xp.iinfo(dtype)
        low = info.min
        if kind == "u":  # an int wraps from below as in C (-1 is 255); a float may not (-0.5)
            low = 0 if type(value) is builtins.float else -info.max
        if not low <= value <= info.max:
            raise _overflow(dtype)
        return wrap_integer(builtins.int(value), dtype)
    if kind == "f" and type(value) in (builtins.int, builtins.float) and dtype.itemsize < 8:
        past = _FLOAT_MAX[dtype.itemsize] < abs(value) < _INF  # (inf itself is taken)
        if past:
            raise _overflow(dtype)
    return value


_FLOAT_MAX = {n: builtins.float(xp.finfo(f"float{8 * n}").max) for n in (2, 4)}
_INF = builtins.float("inf")


def _overflow(dtype: Any) -> RuntimeError:
    return RuntimeError(
        f"value cannot be converted to type {_C_NAMES[dtype.name]} without overflow"
    )


def checked_number_for(number: Any, tensor_dtype: Any) -> Any:
    """:func:`checked_scalar` of a number that meets a tensor of NumPy ``tensor_dtype`` in an
    op whose result takes the tensor's dtype (an int with an integer tensor, a number with a
    float one): PyTorch converts it with the overflow check. Other pairs pass unchanged."""
    kind = tensor_dtype.kind
    if (
        type(number) is builtins.int
        and kind in "iuf"
        or type(number) is builtins.float
        and kind == "f"
    ):
        return checked_scalar(number, tensor_dtype)
    return number
