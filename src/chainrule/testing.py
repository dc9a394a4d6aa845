"""``chainrule.testing``, laid out like ``torch.testing``: :func:`assert_close` with PyTorch's
default tolerances and failure messages, :func:`make_tensor` and the deprecated
:func:`assert_allclose`.

>>> import chainrule as cr
>>> cr.testing.assert_close(cr.tensor([1.0, 2.0]), cr.tensor([1.0, 2.0000001]))
>>> cr.testing.assert_close(cr.tensor([1.0, 2.0, 3.0]), cr.tensor([1.0, 2.5, 3.0]))
Traceback (most recent call last):
...
AssertionError: Tensor-likes are not close!
<BLANKLINE>
Mismatched elements: 1 / 3 (33.3%)
Greatest absolute difference: 0.5 at index (1,) (up to 1e-05 allowed)
Greatest relative difference: 0.20000000298023224 at index (1,) (up to 1.3e-06 allowed)
"""

from __future__ import annotations

import builtins
import cmath
import math
import numbers
import warnings
from collections.abc import Callable, Mapping, Sequence
from types import SimpleNamespace
from typing import Any

from chainrule import devices, dtypes, rng
from chainrule._array import xp
from chainrule.factories import as_tensor, full, randint
from chainrule.ops.compare import isclose
from chainrule.settings import promote_types
from chainrule.tensor import Tensor, _make
from chainrule.type_info import finfo, iinfo

__all__ = ["assert_allclose", "assert_close", "make_tensor"]

# PyTorch's default (rtol, atol) per dtype; exact comparison for the others.
_DEFAULT_TOLERANCES = {
    "float16": (1e-3, 1e-5),
    "bfloat16": (1.6e-2, 1e-5),
    "float32": (1.3e-6, 1e-5),
    "float64": (1e-7, 1e-7),
    "complex64": (1.3e-6, 1e-5),
    "complex128": (1e-7, 1e-7),
}

# assert_allclose's older, looser defaults.
_ALLCLOSE_TOLERANCES = {"float16": (1e-3, 1e-3), "float32": (1e-4, 1e-5), "float64": (1e-5, 1e-8)}

# The dtype a Python number stands for, in tolerances and in check_dtype's message (a
# number that is neither stands for a complex128).
_NUMBER_TYPES = (
    (numbers.Integral, builtins.int, "int64"),
    (numbers.Real, builtins.float, "float64"),
)


class _Failure(Exception):
    """One input pair failed: the exception type to raise and its message; ``custom`` says
    whether the user's ``msg`` replaces it (for value comparisons only, as in PyTorch)."""

    def __init__(self, kind: type[Exception], message: str, custom: bool = False) -> None:
        super().__init__(message)
        self.kind, self.message, self.custom = kind, message, custom


def _tolerances(
    rtol: Any, atol: Any, *dtype_names: str, table: dict[str, Any] = _DEFAULT_TOLERANCES
) -> tuple[Any, Any]:
    """The given tolerances, else the loosest default of the dtypes compared."""
    if (rtol is None) != (atol is None):
        missing = "atol" if atol is None else "rtol"
        raise _Failure(
            ValueError,
            f"Both 'rtol' and 'atol' must be either specified or omitted, but got no {missing}.",
        )
    if rtol is not None:
        return rtol, atol
    defaults = [table.get(name, (0.0, 0.0)) for name in dtype_names]
    return max(r for r, _ in defaults), max(a for _, a in defaults)


def _allowed(tolerance: Any, exact: builtins.bool) -> str:
    return "" if exact else f" (up to {tolerance} allowed)"


def _scalar_report(actual: Any, expected: Any, rtol: Any, atol: Any) -> str:
    """The message for two numbers (or 0-d tensors' values) that are not close."""
    exact = rtol == 0 and atol == 0
    difference = abs(actual - expected)
    relative = difference / abs(expected) if expected != 0 else math.inf
    return (
        f"Scalars are not {'equal' if exact else 'close'}!\n\n"
        f"Expected {expected} but got {actual}.\n"
        f"Absolute difference: {difference}{_allowed(atol, exact)}\n"
        f"Relative difference: {relative}{_allowed(rtol, exact)}"
    )


def _tensor_report(actual: Tensor, expected: Tensor, mismatch: Any, rtol: Any, atol: Any) -> str:
    """The message for tensors that are not close: how many elements differ and the greatest
    differences among them, computed in the compared dtype (integers and bools in int64)."""
    exact = rtol == 0 and atol == 0
    if not actual.is_floating_point():
        actual, expected = actual.long(), expected.long()
    with xp.errstate(invalid="ignore", divide="ignore"):  # inf - inf and x / 0 are reported
        difference = (actual - expected).abs()
        relative = difference / expected.abs()
    count, total = int(mismatch.sum()), mismatch.size
    lines = [
        f"Tensor-likes are not {'equal' if exact else 'close'}!\n",
        f"Mismatched elements: {count} / {total} ({count / total:.1%})",
    ]
    for name, values, tolerance in (
        ("absolute", difference, atol),
        ("relative", relative, rtol),
    ):
        shown = values.numpy().copy()
        shown[~mismatch] = 0  # the elements within tolerance do not count
        at = int(xp.argmax(shown))  # the first nan, if any, as PyTorch's argmax
        index = tuple(int(i) for i in xp.unravel_index(at, shown.shape))
        lines.append(
            f"Greatest {name} difference: {shown.flat[at].item()} at index {index}"
            f"{_allowed(tolerance, exact)}"
        )
    return "\n".join(lines)


def _numbers_close(actual: Any, expected: Any, rtol: Any, atol: Any, equal_nan: Any) -> bool:
    if actual == expected:
        return True
    if equal_nan and cmath.isnan(actual) and cmath.isnan(expected):
        return True
    if not (cmath.isfinite(actual) and cmath.isfinite(expected)):
        return False
    return abs(actual - expected) <= atol + rtol * abs(expected)


def _number_type(value: Any) -> tuple[type, str]:
    for abstract, python_type, dtype_name in _NUMBER_TYPES:
        if isinstance(value, abstract):
            return python_type, dtype_name
    return builtins.complex, "complex128"


def _number_pair(actual: Any, expected: Any, options: SimpleNamespace) -> Callable[[], str | None]:
    # NumPy's scalars compared as the Python numbers they hold (in float64, as PyTorch)
    actual, expected = (x.item() if isinstance(x, xp.generic) else x for x in (actual, expected))
    (actual_type, actual_name), (expected_type, expected_name) = map(
        _number_type, (actual, expected)
    )
    rtol, atol = _tolerances(options.rtol, options.atol, actual_name, expected_name)

    def compare() -> str | None:
        if options.check_dtype and actual_type is not expected_type:
            return f"The (d)types do not match: {actual_type} != {expected_type}."
        if _numbers_close(actual, expected, rtol, atol, options.equal_nan):
            return None
        return _scalar_report(actual, expected, rtol, atol)

    return compare


def _attribute_mismatch(actual: Tensor, expected: Tensor, options: SimpleNamespace) -> str | None:
    """The first attribute that differs, in PyTorch's order of checks."""
    checks = (
        ("shape", lambda t: t.shape, True),
        ("device", lambda t: t.device, options.check_device),
        ("layout", lambda t: t.layout, options.check_layout),
        ("stride()", lambda t: t.stride(), options.check_stride),
        ("dtype", lambda t: t.dtype, options.check_dtype),
    )
    for name, read, enabled in checks:
        if enabled and read(actual) != read(expected):
            return (
                f"The values for attribute '{name}' do not match: {read(actual)} != "
                f"{read(expected)}."
            )
    return None


def _tensor_pair(actual: Any, expected: Any, options: SimpleNamespace) -> Callable[[], str | None]:
    actual, expected = (as_tensor(x).detach() for x in (actual, expected))
    names = (actual.dtype.dtype.name, expected.dtype.dtype.name)
    rtol, atol = _tolerances(options.rtol, options.atol, *names)

    def compare() -> str | None:
        mismatch = _attribute_mismatch(actual, expected, options)
        if mismatch:
            return mismatch
        a, e = actual, expected
        if a.dtype != e.dtype:  # check_dtype=False: compared in the promoted dtype
            common = promote_types(a.dtype, e.dtype)
            a, e = a.to(common), e.to(common)
        different = ~isclose(a, e, rtol=rtol, atol=atol, equal_nan=options.equal_nan).numpy()
        if not different.any():
            return None
        if a.dim() == 0:
            return _scalar_report(a.item(), e.item(), rtol, atol)
        return _tensor_report(a, e, different, rtol, atol)

    return compare


def _identity_pair(kind: str, actual: Any, expected: Any) -> Callable[[], str | None]:
    """None with None, bool with bool: equal or not, no tolerance."""
    return lambda: None if actual == expected else f"{kind} mismatch: {actual} is not {expected}"


def _pair(actual: Any, expected: Any, options: SimpleNamespace) -> Callable[[], str | None]:
    """The comparison of two leaves, or the TypeError for leaves no comparison takes."""
    if actual is None or expected is None:
        return _identity_pair("None", actual, expected)
    booleans = [isinstance(x, (builtins.bool, xp.bool_)) for x in (actual, expected)]
    if all(booleans):
        return _identity_pair("Booleans", actual, expected)
    is_number = [isinstance(x, numbers.Complex) for x in (actual, expected)]
    if any(booleans) and all(is_number):
        raise _Failure(
            TypeError,
            f"A bool is not compared with a number ({type(actual)} and {type(expected)}): "
            "give two bools or two numbers",
        )
    if all(is_number):
        return _number_pair(actual, expected, options)
    tensors = isinstance(actual, Tensor) and isinstance(expected, Tensor)
    if tensors and not options.allow_subclasses and type(actual) is not type(expected):
        tensors = False
    if tensors or (isinstance(actual, xp.ndarray) and isinstance(expected, xp.ndarray)):
        return _tensor_pair(actual, expected, options)
    raise _Failure(
        TypeError,
        f"No comparison pair was able to handle inputs of type {_type_name(actual)} and "
        f"{_type_name(expected)}.",
    )


def _type_name(value: Any) -> str:
    """``value``'s type as Python prints it, a tensor's by its public name."""
    return "<class 'chainrule.Tensor'>" if type(value) is Tensor else str(type(value))


def _is_sequence(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str)


def _collect(
    actual: Any,
    expected: Any,
    options: SimpleNamespace,
    path: tuple[Any, ...] = (),
) -> list[tuple[tuple[Any, ...], Callable[[], str | None]]]:
    """The leaves of two nested sequences and mappings, each with its path and comparison
    (all taken before any is compared, so a structure or type error comes first)."""
    try:
        if _is_sequence(actual) and _is_sequence(expected):
            if len(actual) != len(expected):
                raise _Failure(
                    AssertionError,
                    f"The length of the sequences mismatch: {len(actual)} != {len(expected)}",
                )
            children = [(index, actual[index], expected[index]) for index in range(len(actual))]
        elif isinstance(actual, Mapping) and isinstance(expected, Mapping):
            if set(actual) != set(expected):
                missing = sorted(set(expected) - set(actual))
                extra = sorted(set(actual) - set(expected))
                raise _Failure(
                    AssertionError,
                    "The keys of the mappings do not match:\n"
                    f"Missing keys in the actual mapping: {missing}\n"
                    f"Additional keys in the actual mapping: {extra}",
                )
            children = [(key, actual[key], expected[key]) for key in sorted(actual)]
        else:
            return [(path, _pair(actual, expected, options))]
    except _Failure as failure:
        raise _located(failure, path) from None
    leaves = []
    for key, a, e in children:
        leaves.extend(_collect(a, e, options, (*path, key)))
    return leaves


def _located(failure: _Failure, path: tuple[Any, ...]) -> _Failure:
    """``failure`` with the item it occurred for, as PyTorch appends it."""
    if not path:
        return failure
    where = "".join(f"[{key!r}]" for key in path)
    message = f"{failure.message}\n\nThe failure occurred for item {where}"
    return _Failure(failure.kind, message, failure.custom)


def assert_close(
    actual: Any,
    expected: Any,
    *,
    allow_subclasses: bool = True,
    rtol: float | None = None,
    atol: float | None = None,
    equal_nan: bool = False,
    check_device: bool = True,
    check_dtype: bool = True,
    check_layout: bool = True,
    check_stride: bool = False,
    msg: str | Callable[[str], str] | None = None,
) -> None:
    """Raise ``AssertionError`` unless ``actual`` and ``expected`` are close, as
    ``torch.testing.assert_close``: tensors (or NumPy arrays, with each other), Python numbers,
    and sequences and mappings of them, compared elementwise as
    ``|actual - expected| <= atol + rtol * |expected|``. Without ``rtol`` and ``atol`` the
    dtype's defaults apply (float32: 1.3e-6 and 1e-5, float64: 1e-7 and 1e-7, float16: 1e-3
    and 1e-5, exact for integers and bools), the loosest of the two dtypes where
    ``check_dtype=False`` lets them differ. ``msg`` replaces the message of a value mismatch,
    or (a callable) is given it and returns the new one.

    >>> import chainrule as cr
    >>> cr.testing.assert_close({"a": [1, 2.0]}, {"a": [1, 2.5]})
    Traceback (most recent call last):
    ...
    AssertionError: Scalars are not close!
    <BLANKLINE>
    Expected 2.5 but got 2.0.
    Absolute difference: 0.5 (up to 1e-07 allowed)
    Relative difference: 0.2 (up to 1e-07 allowed)
    <BLANKLINE>
    The failure occurred for item ['a'][1]
    """
    options = SimpleNamespace(
        allow_subclasses=allow_subclasses,
        rtol=rtol,
        atol=atol,
        equal_nan=equal_nan,
        check_device=check_device,
        check_dtype=check_dtype,
        check_layout=check_layout,
        check_stride=check_stride,
    )
    try:
        for path, compare in _collect(actual, expected, options):
            problem = compare()
            if problem is not None:
                raise _located(_Failure(AssertionError, problem, custom=True), path)
    except _Failure as failure:
        message = failure.message
        if failure.custom and isinstance(msg, str):
            message = msg
        elif failure.custom and callable(msg):
            message = msg(message)
        raise failure.kind(message) from None


def assert_allclose(
    actual: Any,
    expected: Any,
    rtol: float | None = None,
    atol: float | None = None,
    equal_nan: bool = True,
    msg: str = "",
) -> None:
    """Deprecated by PyTorch for :func:`assert_close` (and warns so): ``expected`` is made a
    tensor of ``actual``'s dtype, and neither dtypes nor strides are checked."""
    warnings.warn(
        "`chainrule.testing.assert_allclose()` is deprecated since 1.12 and will be removed in "
        "a future release. Please use `chainrule.testing.assert_close()` instead. You can find "
        "detailed upgrade instructions in https://github.com/pytorch/pytorch/issues/61844.",
        FutureWarning,
        stacklevel=2,
    )
    if not isinstance(actual, Tensor):
        actual = as_tensor(actual)
    if not isinstance(expected, Tensor):
        expected = as_tensor(expected, dtype=actual.dtype)
    if rtol is None and atol is None:
        names = (actual.dtype.dtype.name, expected.dtype.dtype.name)
        rtol, atol = _tolerances(None, None, *names, table=_ALLCLOSE_TOLERANCES)
    assert_close(
        actual,
        expected,
        rtol=rtol,
        atol=atol,
        equal_nan=equal_nan,
        check_device=True,
        check_dtype=False,
        check_stride=False,
        msg=msg or None,
    )


def _value_range(dtype: Any) -> tuple[Any, Any]:
    """The ``[low, high)`` interval ``dtype`` holds, as make_tensor's checks state it."""
    if dtype is dtypes.bool:
        return 0, 2
    if dtype.is_floating_point:
        info = finfo(dtype)
        return info.min, info.max
    info = iinfo(dtype)
    # int64's end stays its largest value: one more is no int64 (PyTorch says so too)
    return info.min, info.max if info.bits == 64 and info.min < 0 else info.max + 1


def _bounds(dtype: Any, low: Any, high: Any) -> tuple[Any, Any]:
    """make_tensor's ``[low, high)``: the dtype's default where not given, checked, clipped to
    the values the dtype holds, rounded up to integers for integer dtypes."""
    if dtype is dtypes.bool:
        default = (0, 2)
    elif dtype.kind == "u":
        default = (0, 10)
    else:
        default = (-9, 10) if dtype.kind == "i" else (-9, 9)
    low = default[0] if low is None else low
    high = default[1] if high is None else high
    if any(isinstance(x, builtins.float) and math.isnan(x) for x in (low, high)):
        raise ValueError(f"`low` and `high` cannot be NaN, but got low={low} and high={high}")
    if low >= high and not (low == high and dtype.is_floating_point):
        raise ValueError(f"`low` must be less than `high`, but got {low} >= {high}")
    lowest, end = _value_range(dtype)
    # (a float interval of one value is filled with it, clipped, whatever it is)
    if low < high and (low >= end or high <= lowest):
        raise ValueError(
            f"The value interval specified by `low` and `high` is [{low}, {high}), but {dtype} "
            f"only supports [{lowest}, {end})"
        )
    low, high = (min(max(x, lowest), end) for x in (low, high))
    if not dtype.is_floating_point:
        low, high = math.ceil(low), math.ceil(high)
    return low, high


def _uniform(shape: tuple[int, ...], dtype: Any, low: Any, high: Any) -> Tensor:
    """Floats in ``[low, high)``: PyTorch's ``uniform_`` stream where the interval's width is
    finite (in float32 for float16 and float32, which draw in it), else a float64 mix of the
    two ends, which cannot overflow where ``high - low`` does."""
    wide = dtypes.float64 if dtype is dtypes.float64 else dtypes.float32
    if high - low <= finfo(wide).max:
        return _make(rng.uniform(shape, dtype.dtype, low, high))
    u = rng.uniform(shape, xp.float64)
    values = (low * (1.0 - u) + high * u).astype(dtype.dtype)
    values[values == xp.asarray(high, dtype.dtype)] = low  # rounded up to the open end
    return _make(values)


def make_tensor(
    *shape: Any,
    dtype: Any,
    device: Any,
    low: float | None = None,
    high: float | None = None,
    requires_grad: bool = False,
    noncontiguous: bool = False,
    exclude_zero: bool = False,
) -> Tensor:
    """A tensor of ``shape`` filled with values drawn uniformly from ``[low, high)``, as
    ``torch.testing.make_tensor``: by default [0, 2) for bools, [0, 10) for unsigned and
    [-9, 10) for signed integers, [-9, 9) for floats; bounds outside the dtype's range are
    clipped to it. ``noncontiguous`` gives a strided view (of two or more elements),
    ``exclude_zero`` replaces zeros by one (integers, bools) or the dtype's smallest normal
    number. Drawn from the global generator (the same values as PyTorch's for floats).

    >>> import chainrule as cr
    >>> x = cr.testing.make_tensor(2, 3, dtype=cr.int64, device="cpu", low=0, high=5)
    >>> x.shape, x.dtype, bool(((0 <= x) & (x < 5)).all())
    (chainrule.Size([2, 3]), chainrule.int64, True)
    """
    if len(shape) == 1 and isinstance(shape[0], Sequence):
        shape = tuple(shape[0])
    if not isinstance(dtype, dtypes.dtype) or dtype.kind not in "biuf":
        raise TypeError(
            f"The requested dtype '{dtype}' is not supported by chainrule.testing.make_tensor()"
        )
    devices.check(device)
    if requires_grad and not dtype.is_floating_point:
        raise ValueError(
            "`requires_grad=True` is not supported for boolean and integral dtypes, but got "
            f"dtype={dtype}"
        )
    low, high = _bounds(dtype, low, high)
    # a noncontiguous tensor is every second element of one twice as long in its last dimension
    strided = noncontiguous and math.prod(shape) > 1
    drawn = (*shape[:-1], 2 * shape[-1]) if strided else shape
    if dtype.is_floating_point and low == high:
        warnings.warn(
            "Passing `low==high` to `chainrule.testing.make_tensor` for floating or complex "
            "types is deprecated since 2.1 and will be removed in 2.3. Use "
            "`chainrule.full(...)` instead.",
            FutureWarning,
            stacklevel=2,
        )
        result = full(drawn, low, dtype=dtype)
    elif dtype.is_floating_point:
        result = _uniform(drawn, dtype, low, high)
    else:
        result = randint(low, high, drawn, dtype=dtype)
    if strided:
        result = result[..., 1::2]
    if exclude_zero:
        replacement = finfo(dtype).tiny if dtype.is_floating_point else 1
        result = result.masked_fill(result == 0, replacement)
    return result.requires_grad_(requires_grad)
