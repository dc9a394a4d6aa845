"""PyTorch's window functions (``hann_window``, ``hamming_window``, ``blackman_window``,
``bartlett_window``, ``kaiser_window``), computed as ATen computes them: in the requested
dtype (float32 by default), step by step in its order, so the values agree to the last bit or
two. A periodic window of length N is the symmetric window of length N + 1 without its last
value.

    >>> import chainrule as cr
    >>> cr.hann_window(4)
    tensor([0.0000, 0.5000, 1.0000, 0.5000])
    >>> cr.bartlett_window(5, periodic=False)
    tensor([0.0000, 0.5000, 1.0000, 0.5000, 0.0000])
"""

from __future__ import annotations

import math
import operator
from typing import Any

from chainrule import devices, dtypes
from chainrule._array import xp
from chainrule.arguments import is_index, no_overload
from chainrule.ops.special_ops import i0
from chainrule.tensor import Tensor, _make


def _positions(
    name: str, window_length: Any, periodic: bool, dtype: Any, device: Any, requires_grad: Any
) -> tuple[Any, Any]:
    """The window's dtype and positions ``0, 1, ..., n - 1`` in it, ``n`` one more than
    ``window_length`` for a periodic window; None for the lengths 0 and 1 (empty, [1])."""
    if type(periodic) is not bool or (
        type(requires_grad) is not bool and requires_grad is not None
    ):
        # 1 was read by its truth. PyTorch's signatures (with and without ``periodic``) all
        # fail: it lists the call, the flags as usually given, by keyword, and the options
        # left at their defaults as not given.
        given = {"periodic": periodic} if periodic is not True else {}
        given.update((k, v) for k, v in (("dtype", dtype), ("device", device)) if v is not None)
        if requires_grad is not False:
            given["requires_grad"] = requires_grad
        raise no_overload(name, (window_length,), given)
    if is_index(window_length) and getattr(window_length, "ndim", 0) == 0:
        window_length = operator.index(window_length)  # an int, or a 0-d integer tensor
    else:
        raise TypeError(
            f"{name}(): argument 'window_length' (position 1) must be int, not "
            f"{type(window_length).__name__}"
        )
    devices.check(device)
    if window_length < 0:
        raise RuntimeError(
            f"{name} requires non-negative window_length, got window_length={window_length}"
        )
    kind = xp.dtype(dtypes.as_dtype(dtype) or dtypes.get_default_dtype().dtype)
    if kind.kind != "f":
        raise RuntimeError(f"{name} expects floating point dtypes, got: {_options(kind)}")
    if window_length <= 1:
        return kind, None
    return kind, xp.arange(window_length + 1 if periodic else window_length, dtype=kind)


def _options(kind: Any) -> str:
    """PyTorch's print of the TensorOptions its dtype check quotes."""
    c_name = {"i": "long int", "u": "unsigned char", "b": "bool"}.get(kind.kind, kind.name)
    if kind.name in ("int8", "int16", "int32"):
        c_name = {"int8": "signed char", "int16": "short int", "int32": "int"}[kind.name]
    return (
        f"TensorOptions(dtype={c_name}, device=cpu, layout=Strided (default), "
        "requires_grad=false (default), pinned_memory=false, memory_format=(nullopt))"
    )


def _window(
    kind: Any, positions: Any, values: Any, periodic: bool, requires_grad: bool, length: int
) -> Tensor:
    if positions is None:  # lengths 0 and 1
        values = xp.ones(length, kind)
    elif periodic:
        values = values[:-1]
    out = _make(xp.ascontiguousarray(values.astype(kind, copy=False)))
    if requires_grad:
        out._created_requiring_grad()
    return out


def hamming_window(
    window_length: int,
    periodic: bool = True,
    alpha: float = 0.54,
    beta: float = 0.46,
    *,
    dtype: Any = None,
    layout: Any = None,
    device: Any = None,
    pin_memory: bool = False,
    requires_grad: bool = False,
) -> Tensor:
    """``alpha - beta * cos(2 pi k / (N - 1))``, ``k = 0 .. N - 1``.

    >>> import chainrule as cr
    >>> cr.hamming_window(3, periodic=False)
    tensor([0.0800, 1.0000, 0.0800])
    """
    return _hamming(
        "hamming_window", window_length, periodic, alpha, beta, dtype, device, requires_grad
    )


def hann_window(
    window_length: int,
    periodic: bool = True,
    *,
    dtype: Any = None,
    layout: Any = None,
    device: Any = None,
    pin_memory: bool = False,
    requires_grad: bool = False,
) -> Tensor:
    """``0.5 - 0.5 cos(2 pi k / (N - 1))``: the Hamming window with alpha = beta = 1/2."""
    return _hamming("hann_window", window_length, periodic, 0.5, 0.5, dtype, device, requires_grad)


def _hamming(
    name: str,
    window_length: int,
    periodic: bool,
    alpha: float,
    beta: float,
    dtype: Any,
    device: Any,
    requires_grad: bool,
) -> Tensor:
    kind, k = _positions(name, window_length, periodic, dtype, device, requires_grad)
    values = None
    if k is not None:
        scale = kind.type(math.pi * 2.0 / (len(k) - 1))
        values = xp.cos(k * scale) * kind.type(-beta) + kind.type(alpha)
    return _window(kind, k, values, periodic, requires_grad, window_length)


def blackman_window(
    window_length: int,
    periodic: bool = True,
    *,
    dtype: Any = None,
    layout: Any = None,
    device: Any = None,
    pin_memory: bool = False,
    requires_grad: bool = False,
) -> Tensor:
    """``0.42 - 0.5 cos(2 pi k / (N - 1)) + 0.08 cos(4 pi k / (N - 1))``."""
    kind, k = _positions("blackman_window", window_length, periodic, dtype, device, requires_grad)
    values = None
    if k is not None:
        w = k * kind.type(math.pi / (len(k) - 1))
        one = kind.type
        values = xp.cos(w * one(4)) * one(0.08) - xp.cos(w * one(2)) * one(0.5) + one(0.42)
    return _window(kind, k, values, periodic, requires_grad, window_length)


def bartlett_window(
    window_length: int,
    periodic: bool = True,
    *,
    dtype: Any = None,
    layout: Any = None,
    device: Any = None,
    pin_memory: bool = False,
    requires_grad: bool = False,
) -> Tensor:
    """The triangle ``1 - |2k / (N - 1) - 1|``: rising as ``2k / (N - 1)`` to the middle,
    falling as ``2 - 2k / (N - 1)`` after it."""
    kind, k = _positions("bartlett_window", window_length, periodic, dtype, device, requires_grad)
    values = None
    if k is not None:
        values = k * kind.type(2.0 / (len(k) - 1))
        half = ((len(k) - 1) >> 1) + 1
        values[half:] = values[half:] * kind.type(-1) + kind.type(2)
    return _window(kind, k, values, periodic, requires_grad, window_length)


def kaiser_window(
    window_length: int,
    periodic: bool = True,
    beta: float = 12.0,
    *,
    dtype: Any = None,
    layout: Any = None,
    device: Any = None,
    pin_memory: bool = False,
    requires_grad: bool = False,
) -> Tensor:
    """``I0(beta sqrt(1 - ((k - a) / a)^2)) / I0(beta)`` with ``a = (N - 1) / 2`` and I0
    the modified Bessel function of order zero.

    >>> import chainrule as cr
    >>> cr.kaiser_window(3, False, 5.0)
    tensor([0.0367, 1.0000, 0.0367])
    """
    kind, k = _positions("kaiser_window", window_length, periodic, dtype, device, requires_grad)
    values = None
    if k is not None:
        half = kind.type((len(k) - 1) / 2.0)
        b = kind.type(beta)
        inside = b * xp.sqrt(xp.abs(kind.type(1) - ((k - half) / half) ** kind.type(2)))
        values = (i0(_make(inside)) / i0(_make(xp.asarray(b))))._data
    return _window(kind, k, values, periodic, requires_grad, window_length)
