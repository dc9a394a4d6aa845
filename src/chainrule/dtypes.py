"""dtypes with PyTorch's names, as NumPy dtype objects, and PyTorch's inference rules.

>>> import chainrule as cr
>>> cr.tensor([1.0, 2.0]).dtype == cr.float32
True
"""

from __future__ import annotations

from typing import Any

from chainrule._array import xp

float16 = half = xp.dtype("float16")
float32 = float = xp.dtype("float32")
float64 = double = xp.dtype("float64")
int8 = xp.dtype("int8")
int16 = short = xp.dtype("int16")
int32 = int = xp.dtype("int32")
int64 = long = xp.dtype("int64")
uint8 = xp.dtype("uint8")
bool = xp.dtype("bool")

# Python floats make float32 tensors, as in PyTorch (NumPy would make float64).
default_float = float32

DType = xp.dtype


def as_dtype(dtype: Any) -> DType | None:
    """Accept a dtype, a NumPy type or a name like ``"float32"``; None passes through."""
    if dtype is None:
        return None
    return xp.dtype(dtype)


def is_floating(dtype: DType) -> bool:
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
