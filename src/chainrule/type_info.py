"""``chainrule.finfo`` and ``chainrule.iinfo``: the limits of a floating or integer dtype, with
PyTorch's attributes (Python floats and ints), printing and errors.

>>> import chainrule as cr
>>> cr.finfo(cr.float16)
finfo(resolution=0.001, min=-65504, max=65504, eps=0.000976562, smallest_normal=6.10352e-05, \
tiny=6.10352e-05, dtype=float16)
>>> cr.finfo().eps, cr.iinfo(cr.uint8).max
(1.1920928955078125e-07, 255)
"""

from __future__ import annotations

import builtins
from typing import Any

from chainrule import dtypes
from chainrule._array import xp

# What PyTorch reads a Python type as, where it takes one for a dtype.
_PYTHON_TYPES = {
    builtins.float: dtypes.float64,
    builtins.int: dtypes.int64,
    builtins.bool: dtypes.bool,
    builtins.complex: dtypes.complex128,
}

# bfloat16 has no NumPy type to ask: its limits, from its 8 exponent and 7 fraction bits.
_BFLOAT16 = {
    "bits": 16,
    "eps": 2.0**-7,
    "max": (2.0 - 2.0**-7) * 2.0**127,
    "tiny": 2.0**-126,
    "precision": 2,
}

_MISSING = object()  # no type given (None is refused as a wrong type, as in PyTorch)


def _dtype_argument(function: str, value: Any) -> Any:
    """The dtype ``value`` names: a chainrule dtype, or a Python number type."""
    if isinstance(value, (dtypes.dtype, dtypes.unsupported_dtype)):
        return value
    if isinstance(value, type) and value in _PYTHON_TYPES:
        return _PYTHON_TYPES[value]
    raise TypeError(
        f"{function}(): argument 'type' (position 1) must be chainrule.dtype, "
        f"not {type(value).__name__}"
    )


class _Limits:
    """Read-only attributes compared by value, as PyTorch's info objects (which are unhashable
    since they compare by value)."""

    __slots__ = ()

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(
            f"attribute '{name}' of 'chainrule.{type(self).__name__}' objects is not writable"
        )

    def _fields(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> builtins.bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._fields() == other._fields()  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]

    def _set(self, **values: Any) -> None:
        for name, value in values.items():
            object.__setattr__(self, name, value)


class finfo(_Limits):  # noqa: N801 - PyTorch's name
    """The limits of a floating dtype (the default dtype when none is given); a complex dtype
    gives those of its real and imaginary parts.

    >>> import chainrule as cr
    >>> info = cr.finfo(cr.float64)
    >>> info.bits, info.max, info.tiny, info.resolution, info.dtype
    (64, 1.7976931348623157e+308, 2.2250738585072014e-308, 1e-15, 'float64')
    """

    __slots__ = ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype")

    def __init__(self, type: Any = _MISSING) -> None:  # noqa: A002 - PyTorch's keyword
        given = type is not _MISSING
        dtype = _dtype_argument("finfo", type) if given else dtypes.get_default_dtype()
        if dtype is dtypes.bfloat16:
            limits, name = _BFLOAT16, "bfloat16"
        elif dtype.kind in "fc":
            info = xp.finfo(dtype.dtype)  # a complex dtype's finfo is its parts' float dtype
            limits = {
                "bits": info.bits,
                "eps": builtins.float(info.eps),
                "max": builtins.float(info.max),
                "tiny": builtins.float(info.smallest_normal),
                "precision": info.precision,
            }
            name = info.dtype.name
        else:
            raise TypeError(
                "chainrule.finfo() requires a floating point input type. Use chainrule.iinfo to "
                "handle 'chainrule.finfo'"
            )
        self._set(
            bits=limits["bits"],
            eps=limits["eps"],
            max=limits["max"],
            min=-limits["max"],
            tiny=limits["tiny"],
            smallest_normal=limits["tiny"],
            # the power of ten of the decimal digits the type holds, written exactly (a float
            # power of ten such as 10.0**-6 need not print as 1e-06)
            resolution=builtins.float(f"1e-{limits['precision']}"),
            dtype=name,
        )

    def __repr__(self) -> str:
        return (
            f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
            f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, "
            f"dtype={self.dtype})"
        )

    __str__ = __repr__


class iinfo(_Limits):  # noqa: N801 - PyTorch's name
    """The limits of an integer dtype (``chainrule.bool`` is refused, as in PyTorch).

    >>> import chainrule as cr
    >>> info = cr.iinfo(cr.int32)
    >>> info.bits, info.min, info.max, info.dtype
    (32, -2147483648, 2147483647, 'int32')
    >>> info
    iinfo(min=-2.14748e+09, max=2.14748e+09, dtype=int32)
    """

    __slots__ = ("bits", "min", "max", "dtype")

    def __init__(self, type: Any = _MISSING) -> None:  # noqa: A002 - PyTorch's keyword
        if type is _MISSING:
            raise TypeError('iinfo() missing 1 required positional arguments: "type"')
        dtype = _dtype_argument("iinfo", type)
        if dtype is dtypes.bool:
            raise TypeError("chainrule.bool is not supported by chainrule.iinfo")
        if dtype is dtypes.bfloat16 or dtype.kind not in "iu":
            raise TypeError(
                "chainrule.iinfo() requires an integer input type. Use chainrule.finfo to "
                "handle 'chainrule.iinfo'"
            )
        info = xp.iinfo(dtype.dtype)
        self._set(
            bits=info.bits,
            min=builtins.int(info.min),
            max=builtins.int(info.max),
            dtype=info.dtype.name,
        )

    def __repr__(self) -> str:
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"

    __str__ = __repr__
