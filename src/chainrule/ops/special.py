"""Special functions NumPy lacks, computed to double precision on arrays.

>>> import math, numpy as np
>>> abs(float(erf(np.array(0.5))) - math.erf(0.5)) < 1e-15
True
"""

from __future__ import annotations

import math

from chainrule._array import xp

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def erf(x):  # type: ignore[no-untyped-def]
    """The error function, elementwise, in the dtype of ``x`` (integers give float32).

    |x| < 3: the series 2/sqrt(pi) e^(-x^2) sum 2^n x^(2n+1) / (1*3*...*(2n+1)), whose terms are
    all positive (no cancellation); |x| >= 3: 1 - erfc(x) with erfc's continued fraction, which
    converges fast there. Both reach double precision with a fixed number of terms.
    """
    x = xp.asarray(x)
    dtype = x.dtype if x.dtype.kind == "f" else xp.dtype("float32")
    z = x.astype(xp.float64)
    a = xp.abs(z)
    small = a < 3.0
    # Series part.
    s = xp.where(small, a, 0.0)
    term = s.copy()
    total = s.copy()
    for n in range(1, 60):
        term = term * (2.0 * s * s) / (2 * n + 1)
        total += term
    series = _TWO_OVER_SQRT_PI * xp.exp(-s * s) * total
    tail = 1.0 - _erfc_tail(xp.where(small, 3.0, a))
    result = xp.copysign(xp.where(small, series, tail), z)  # erf(-0) is -0
    return result.astype(dtype)


def _erfc_tail(b):  # type: ignore[no-untyped-def]
    """erfc(b) for float64 ``b >= 2`` by the continued fraction: e^(-b^2)/sqrt(pi) / K."""
    return xp.exp(-b * b) / math.sqrt(math.pi) / erfc_continued_fraction(b)


def erfc_continued_fraction(b, terms: int = 60):  # type: ignore[no-untyped-def]
    """K(b) = b + (1/2)/(b + 1/(b + (3/2)/(b + 2/(b + ...)))), evaluated from the tail (60
    terms: double precision from b = 2; 200 from b = 1), with
    erfc(b) = e^(-b^2) / (sqrt(pi) K(b))."""
    k = b.copy()
    for n in range(terms, 0, -1):
        k = b + (n / 2.0) / k
    return k


def log_erfc(x):  # type: ignore[no-untyped-def]
    """``log(erfc(x))`` without erfc's underflow: for x >= 2 from the continued fraction's
    own logarithm, ``-x^2 - log(sqrt(pi)) - log(K)`` (erfc(27) is below the smallest double,
    its log -733.6 is not); below, the log of :func:`erfc`.

    >>> import math, numpy as np
    >>> abs(float(log_erfc(np.array(40.0))) - (-1600 - math.log(40 * math.sqrt(math.pi)))) < 1e-3
    True
    """
    z, dtype = _float_input(x)
    far = z >= 2.0
    b = xp.where(far, z, 2.0)
    tail = -b * b - 0.5 * math.log(math.pi) - xp.log(erfc_continued_fraction(b))
    with xp.errstate(divide="ignore"):
        near = xp.log(erfc(xp.where(far, 0.0, z)))
    return xp.where(far, tail, near).astype(dtype)


def _float_input(x):  # type: ignore[no-untyped-def]
    """``x`` as float64 and the dtype of the result (``x``'s float dtype; integers float32)."""
    x = xp.asarray(x)
    return x.astype(xp.float64), (x.dtype if x.dtype.kind == "f" else xp.dtype("float32"))


# ---- math: erfc, erfinv, lgamma and the polygamma functions
def erfc(x):  # type: ignore[no-untyped-def]
    """The complementary error function ``1 - erf(x)``, elementwise.

    For |x| >= 2 from erfc's continued fraction (full relative precision far into the tail,
    where 1 - erf(x) would be all rounding; 60 terms reach double precision from 2 on);
    below, 1 - erf(x), whose relative error stays under 3e-13 there (erfc(2) is 4.7e-3: from
    3, as before, it reached 3e-11 near 3).

    >>> import math, numpy as np
    >>> abs(float(erfc(np.array(5.0))) / math.erfc(5.0) - 1) < 1e-14
    True
    """
    z, dtype = _float_input(x)
    far = xp.abs(z) >= 2.0
    tail = _erfc_tail(xp.where(far, xp.abs(z), 2.0))
    near = 1.0 - erf(xp.where(far, 0.0, z))
    result = xp.where(far, xp.where(z > 0, tail, 2.0 - tail), near)
    return result.astype(dtype)


def erfinv(y):  # type: ignore[no-untyped-def]
    """The inverse error function on [-1, 1] (±inf at ±1, nan outside), elementwise.

    Giles' single-precision approximation, then four Newton steps on erf(x) = y, or for
    |y| > 0.9 on log(erfc(x)) = log(1 - |y|) (1 - |y| is exact there), whose small values
    keep their precision and whose curve is nearly straight.

    >>> import numpy as np
    >>> x = erfinv(np.array([-0.5, 0.3, 0.999999]))
    >>> bool(np.allclose(erf(x), [-0.5, 0.3, 0.999999], rtol=1e-15, atol=0))
    True
    """
    y, dtype = _float_input(y)
    a = xp.abs(y)
    inside = a < 1.0
    a = xp.where(inside, a, 0.5)  # the edges are set at the end
    with xp.errstate(divide="ignore", invalid="ignore"):
        w = -xp.log((1.0 - a) * (1.0 + a))
        x = xp.where(w < 5.0, _giles_central(w - 2.5), _giles_tail(xp.sqrt(w) - 3.0)) * a
        q = 1.0 - a  # exact for a > 0.5 (Sterbenz)
        for _ in range(4):
            slope = _TWO_OVER_SQRT_PI * xp.exp(-x * x)
            tail = erfc(x)  # Newton on log(erfc(x)) = log(q): nearly linear out there
            step = xp.where(a > 0.9, xp.log(q / tail) * tail / slope, (erf(x) - a) / slope)
            x = x - step
    x = xp.copysign(xp.where(inside, x, xp.where(xp.abs(y) == 1.0, xp.inf, xp.nan)), y)
    return x.astype(dtype)


def _giles_central(w):  # type: ignore[no-untyped-def]
    p = 2.81022636e-08
    for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503,
              -0.00417768164, 0.246640727, 1.50140941):  # fmt: skip
        p = c + p * w
    return p


def _giles_tail(w):  # type: ignore[no-untyped-def]
    p = -0.000200214257
    for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613,
              0.00943887047, 1.00167406, 2.83297682):  # fmt: skip
        p = c + p * w
    return p


# Bernoulli numbers B_2, B_4, ..., B_20: the asymptotic series of the polygamma functions.
_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510,
              43867 / 798, -174611 / 330)  # fmt: skip
_LANCZOS = (0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
            -176.61502916214059, 12.507343278686905, -0.13857109526572012,
            9.9843695780195716e-6, 1.5056327351493116e-7)  # fmt: skip


def lgamma(x):  # type: ignore[no-untyped-def]
    """``log|Gamma(x)|``, elementwise: inf at 0 and the negative integers.

    Lanczos' approximation (g = 7, nine terms: relative error ~1e-15) for x >= 0.5, and the
    reflection log(pi / |sin(pi x)|) - lgamma(1 - x) below. Near the zeros at 1 and 2, where
    Lanczos' absolute error of ~1e-15 was a relative error of up to 1e-8 (lgamma(0.9999999)),
    the Taylor series of lgamma(1 + a) in a = x - 1, or log1p(a) + lgamma(1 + a) in a = x - 2
    (both differences exact there).

    >>> import math, numpy as np
    >>> abs(float(lgamma(np.array(-2.5))) - math.lgamma(-2.5)) < 1e-14
    True
    """
    z, dtype = _float_input(x)
    low = z < 0.5
    t = xp.where(low, 1.0 - z, z) - 1.0
    total = xp.full_like(t, _LANCZOS[0])
    for i, c in enumerate(_LANCZOS[1:], start=1):
        total += c / (t + i)
    s = t + 7.5
    with xp.errstate(divide="ignore", invalid="ignore", over="ignore"):
        upper = 0.5 * math.log(2 * math.pi) + (t + 0.5) * xp.log(s) - s + xp.log(total)
        # log(pi / |sin(pi z)|) is -log|z| + O(z^2) near 0, where the quotient overflows
        # at a subnormal z (lgamma(5e-324) is 744.44, not inf) and pi z is rounded
        log_pi_over_sin = xp.where(
            xp.abs(z) < 1e-8, -xp.log(xp.abs(z)), xp.log(math.pi / xp.abs(_sin_pi(z)))
        )
        reflected = log_pi_over_sin - upper
    result = xp.where(xp.isinf(z), xp.inf, xp.where(low, reflected, upper))  # -inf too
    from chainrule.ops import cephes  # a cycle: cephes builds on this module

    near_one, near_two = xp.abs(z - 1.0) <= 0.2, xp.abs(z - 2.0) <= 0.2
    a = xp.where(near_one, z - 1.0, xp.where(near_two, z - 2.0, 0.0))
    series = cephes.lgamma1p_series(a)
    result = xp.where(near_one, series, xp.where(near_two, xp.log1p(a) + series, result))
    result = xp.where((z == 1.0) | (z == 2.0), 0.0, result)  # exactly, not +-1e-15
    return result.astype(dtype)


def _sin_pi(z):  # type: ignore[no-untyped-def]
    """sin(pi z), exactly 0 at the integers (sin(pi * 3.0) is 3.7e-16 in floating point)."""
    return _sin_cos_pi(z)[0]


def _sin_cos_pi(z):  # type: ignore[no-untyped-def]
    """sin(pi z) and cos(pi z) with the argument reduced exactly to [-1/2, 1/2] first (both
    have period 2; z - 2 round(z / 2) and 1 - r are exact), so that near the integers the
    small sines keep their relative precision. The cosine is the sine of pi (1/2 - |r|), so
    that near the half-integers it keeps its precision too (cos(pi / 2) is 6e-17, not 0:
    polygamma(4, -3.5) was off by 1e-11 through cot(pi x))."""
    r = z - 2.0 * xp.round(z / 2.0)  # in [-1, 1]
    flip = xp.abs(r) > 0.5
    near = xp.where(flip, xp.copysign(1.0, r) - r, r)  # sin(pi r) = sin(pi (±1 - r))
    cosine = xp.sin(math.pi * (0.5 - xp.abs(near)))
    return xp.sin(math.pi * near), xp.where(flip, -1.0, 1.0) * cosine


def polygamma(n: int, x):  # type: ignore[no-untyped-def]
    """The ``n``-th derivative of the digamma function (``n = 0``: digamma itself).

    For x >= 0: the recurrence psi_n(x) = psi_n(x + 1) - (-1)^n n! / x^(n+1) up to
    x >= 10 + n, then the asymptotic series in the Bernoulli numbers; below 0, the reflection
    psi_n(x) = (-1)^n psi_n(1 - x) - pi d^n/dx^n cot(pi x). At the poles: as PyTorch, digamma
    gives -inf at +0 (+inf at -0) and nan at the negative integers, the others inf of their
    series' sign.

    >>> import numpy as np
    >>> import math
    >>> abs(float(polygamma(0, np.array(1.0))) + 0.5772156649015329) < 1e-15  # -Euler's
    True
    >>> abs(float(polygamma(1, np.array(1.0))) - math.pi**2 / 6) < 1e-15
    True
    """
    z, dtype = _float_input(x)
    if n > _SERIES_UP_TO:
        return _polygamma_as_pytorch(n, z).astype(dtype)
    negative = z < 0
    with xp.errstate(divide="ignore", invalid="ignore", over="ignore"):
        w = xp.where(negative, 1.0 - z, z)
        result = _polygamma_positive(n, w)
        # where the series' powers a^(n + 2K + 2), a = max(w, 10 + n), overflow
        # (polygamma(103, 1000.0) was 0), PyTorch's formula, whose n! and zeta are exact
        # enough there (2 <= n <= _SERIES_UP_TO; digamma and trigamma are its own functions)
        a = xp.maximum(w, 10.0 + n)
        far = (n + 2 + 2 * len(_BERNOULLI)) * xp.log(a) > _LOG_DOUBLE_MAX
        if n >= 2 and far.any():
            result = xp.where(far, _polygamma_as_pytorch(n, w), result)
        reflected = (-1.0) ** n * result - math.pi * _cot_pi_derivative(n, z)
        result = xp.where(negative, reflected, result)
        pole = z == xp.floor(z)
        if n == 0:
            at_pole = xp.where(z == 0, xp.copysign(xp.inf, -z), xp.nan)
        else:
            at_pole = xp.full_like(z, xp.inf * (-1.0) ** (n + 1))
        result = xp.where(pole & (z <= 0), at_pole, result)
        if n == 1:  # PyTorch's trigamma reflects through sin(pi x): nan at -inf
            result = xp.where(z == -xp.inf, xp.nan, result)
    return result.astype(dtype)


# The largest n for which the asymptotic series' largest term, (n + 2K - 1)! times the K-th
# Bernoulli number (-529), fits a double (170! does, 171! does not): above it the series gave
# nan, then Python's int to float conversion raised, and at n = 1e6 its n steps hung.
_SERIES_UP_TO = 170 - 2 * len(_BERNOULLI)
_LOG_DOUBLE_MAX = 709.0  # log of the largest double, rounded down


def _polygamma_as_pytorch(n: int, z):  # type: ignore[no-untyped-def]
    """PyTorch's formula, ``(-1)^(n+1) exp(lgamma(n + 1)) zeta(n + 1, z)``, for n above
    :data:`_SERIES_UP_TO`: PyTorch's values (from n = 171, where n! is inf, an inf of the
    sign of the terms, or nan where the zeta underflows to 0)."""
    from chainrule.ops import cephes  # a cycle: cephes builds on this module

    with xp.errstate(invalid="ignore", over="ignore"):
        factorial = xp.exp(lgamma(xp.array(n + 1.0)))
        return (-1.0) ** (n + 1) * factorial * cephes.zeta(xp.array(n + 1.0), z)


def _polygamma_positive(n: int, z):  # type: ignore[no-untyped-def]
    factorial = math.factorial(n)
    sign = (-1.0) ** n
    shift = xp.zeros_like(z)
    a = z.copy()
    for _ in range(10 + n):
        below = a < 10 + n
        if not below.any():
            break
        term = (1.0 / a) if n == 0 else (sign * factorial / a ** (n + 1))
        shift = shift + xp.where(below, term, 0.0)
        a = xp.where(below, a + 1.0, a)
    # The asymptotic series at a (>= 10 + n), then back down: psi_n(z) = psi_n(a) - shift.
    if n == 0:
        series = xp.log(a) - 0.5 / a
        power = a * a
        for k, b in enumerate(_BERNOULLI, start=1):
            series = series - b / (2 * k * power)
            power = power * a * a
    else:
        series = math.factorial(n - 1) / a**n + factorial / (2 * a ** (n + 1))
        power = a ** (n + 2)
        for k, b in enumerate(_BERNOULLI, start=1):
            series = series + b * math.factorial(2 * k + n - 1) / math.factorial(2 * k) / power
            power = power * a * a
        series = (-1.0) ** (n + 1) * series
    # At inf: digamma inf, trigamma 0, the higher ones nan (PyTorch's values).
    return xp.where(xp.isinf(z), (xp.inf, 0.0)[n] if n < 2 else xp.nan, series - shift)


def _cot_pi_derivative(n: int, z):  # type: ignore[no-untyped-def]
    """d^n/dz^n cot(pi z): a polynomial in c = cot(pi z), P_0 = c, P_(k+1) = -pi (1 + c^2) P_k'."""
    poly = xp.polynomial.Polynomial([0.0, 1.0])
    for _ in range(n):
        poly = poly.deriv() * xp.polynomial.Polynomial([-math.pi, 0.0, -math.pi])
    sine, cosine = _sin_cos_pi(z)
    c = cosine / sine
    # Horner's rule by hand: NumPy's evaluation adds ``c * 0``, nan where c overflowed to
    # inf (at a subnormal z), where the value is an inf
    total = xp.full_like(c, poly.coef[-1])
    for coefficient in poly.coef[-2::-1]:
        total = total * c + coefficient
    return total
