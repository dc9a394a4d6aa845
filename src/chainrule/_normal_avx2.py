"""PyTorch's float32 Box-Muller from 16 values on, value for value.

On x86 CPUs PyTorch fills float32 normals with AVX2 code that evaluates log, sin and cos with
the Cephes polynomials of ``avx_mathfun.h`` (after Julien Pommier's sse_mathfun), and its
compiler fuses each multiply feeding an add into one FMA. The same operations, in the same
order, in NumPy float32 give the same bits. An FMA is a float64 multiply-add (exact products
of float32 values) rounded to float32; it differs from a true FMA only if that sum lands
exactly halfway between two float32 values, about once in 2**29.

    >>> import numpy as np
    >>> float(log(np.array([np.e], np.float32))[0])
    1.0
"""

from __future__ import annotations

import math
from typing import Any

from chainrule._array import xp

_F = xp.float32
_LOG_P = (
    7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1,
    -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1,
)  # fmt: skip
_SIN_P = (-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1)
_COS_P = (2.443315711809948e-005, -1.388731625493765e-003, 4.166664568298827e-002)


def _fma(a: Any, b: Any, c: Any) -> Any:
    """``a * b + c`` rounded once to float32 (see the module's note)."""
    return (
        xp.asarray(a, xp.float64) * xp.asarray(b, xp.float64) + xp.asarray(c, xp.float64)
    ).astype(_F)


def log(x: Any) -> Any:
    """Natural log of positive float32 values, as ``log256_ps``."""
    x = xp.maximum(x, xp.array(0x00800000, xp.int32).view(_F))  # no denormals
    bits = x.view(xp.int32)
    e = ((bits.view(xp.uint32) >> 23).astype(xp.int32) - 0x7F).astype(_F) + _F(1)
    x = ((bits & ~0x7F800000) | xp.array(0.5, _F).view(xp.int32)).view(_F)  # in [0.5, 1)
    small = x < _F(0.707106781186547524)
    x = x - _F(1) + xp.where(small, x, _F(0))
    e = e - xp.where(small, _F(1), _F(0))
    z = x * x
    y = xp.full_like(x, _F(_LOG_P[0]))
    for p in _LOG_P[1:]:
        y = _fma(y, x, _F(p))
    y = y * x
    y = _fma(y, z, e * _F(-2.12194440e-4))
    y = _fma(z, _F(-0.5), y)
    return _fma(e, _F(0.693359375), x + y)


def sincos(x: Any) -> tuple[Any, Any]:
    """Sine and cosine of float32 values, as ``sincos256_ps``."""
    negative = xp.signbit(x)
    x = xp.abs(x)
    j = (x * _F(1.27323954473516)).astype(xp.int32)  # 4 / pi
    j = (j + 1) & ~1
    y = j.astype(_F)
    sin_flip = negative ^ ((j & 4) != 0)
    cos_flip = (~(j - 2) & 4) != 0
    first = (j & 2) == 0  # which polynomial gives the sine
    # Extended-precision reduction: x - y * pi/4 in three parts.
    for part in (-0.78515625, -2.4187564849853515625e-4, -3.77489497744594108e-8):
        x = _fma(y, _F(part), x)
    z = x * x
    cos_poly = xp.full_like(x, _F(_COS_P[0]))
    for p in _COS_P[1:]:
        cos_poly = _fma(cos_poly, z, _F(p))
    cos_poly = _fma(cos_poly * z, z, -(z * _F(0.5))) + _F(1)
    sin_poly = xp.full_like(x, _F(_SIN_P[0]))
    for p in _SIN_P[1:]:
        sin_poly = _fma(sin_poly, z, _F(p))
    sin_poly = _fma(sin_poly * z, x, x)
    sine = xp.where(first, sin_poly, cos_poly)
    cosine = xp.where(first, cos_poly, sin_poly)
    return xp.where(sin_flip, -sine, sine), xp.where(cos_flip, -cosine, cosine)


def fill(data: Any, mean: float, std: float) -> None:
    """``normal_fill_16_AVX2`` over consecutive blocks of 16 float32 uniforms, in place."""
    blocks = data.reshape(-1, 16)
    radius = xp.sqrt(_F(-2) * log(_F(1) - blocks[:, :8]))
    sine, cosine = sincos(_F(2.0 * math.pi) * blocks[:, 8:])
    blocks[:, :8] = _fma(radius * cosine, _F(std), _F(mean))
    blocks[:, 8:] = _fma(radius * sine, _F(std), _F(mean))
