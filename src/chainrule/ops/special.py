"""Special functions NumPy lacks, computed to double precision on arrays.

>>> import math, numpy as np
>>> abs(float(erf(np.array(0.5))) - math.erf(0.5)) < 1e-15
True
"""

from __future__ import annotations

import math

from chainrule._array import xp

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)

# W. J. Cody's rational approximations as Cephes publishes them (Stephen L. Moshier, ndtr.c,
# Cephes Math Library 2.2, 1992; the same numbers are in scipy/special/cephes/ndtr.c), highest
# power first. erf(x) = x T(x^2) / U(x^2) for |x| < 1; erfc(x) = e^(-x^2) P(x) / Q(x) for
# 1 <= x < 8 and e^(-x^2) R(x) / S(x) from 8 on. U, Q and S lead with a 1 that is left out.
# fmt: off
_ERF_T = (9.60497373987051638749e0, 9.00260197203842689217e1, 2.23200534594684319226e3,
          7.00332514112805075473e3, 5.55923013010394962768e4)
_ERF_U = (3.35617141647503099647e1, 5.21357949780152679795e2, 4.59432382970980127987e3,
          2.26290000613890934246e4, 4.92673942608635921086e4)
_ERFC_P = (2.46196981473530512524e-10, 5.64189564831068821977e-1, 7.46321056442269912687e0,
           4.86371970985681366614e1, 1.96520832956077098242e2, 5.26445194995477358631e2,
           9.34528527171957607540e2, 1.02755188689515710272e3, 5.57535335369399327526e2)
_ERFC_Q = (1.32281951154744992508e1, 8.67072140885989742329e1, 3.54937778887819891062e2,
           9.75708501743205489753e2, 1.82390916687909736289e3, 2.24633760818710981792e3,
           1.65666309194161350182e3, 5.57535340817727675546e2)
_ERFC_R = (5.64189583547755073984e-1, 1.27536670759978104416e0, 5.01905042251180477414e0,
           6.16021097993053585195e0, 7.40974269950448939160e0, 2.97886665372100240670e0)
_ERFC_S = (2.26052863220117276590e0, 9.39603524938001434673e0, 1.20489539808096656605e1,
           1.70814450747565897222e1, 9.60896809063285878198e0, 3.36907645100081516050e0)
# fmt: on


def erf(x):  # type: ignore[no-untyped-def]
    """The error function, elementwise, in the dtype of ``x`` (integers give float32).

    Cephes' rational functions in float64, rounded once to ``x``'s dtype: x T(x^2) / U(x^2)
    below |x| = 1 (within 3 ulp of the true value), 1 - erfc(|x|) with its sign above (within
    1 ulp). Each is evaluated only where it is needed: the near one on every element (|x| is
    clipped to 1, the elements past it are written over), erfc's on the indices past 1 alone
    (a normal sample has 16% of its x / sqrt(2) there: gelu). The series and continued
    fraction this replaces took ~360 passes over the array (float32 1797 x 128: 21 -> 1.5 ms).

    >>> import numpy as np
    >>> erf(np.array([-0.0, 0.5, 7.0, np.inf, np.nan]))  # -0 keeps its sign; from 6 on, 1
    array([-0.        ,  0.52049988,  1.        ,  1.        ,         nan])
    """
    z, shape, dtype = _flat_float64(x)
    a = xp.abs(z)
    out = _erf_near_zero(xp.clip(z, -1.0, 1.0))  # nan stays nan
    far = xp.flatnonzero(a >= 1.0)
    if far.size:
        # erfc(6) = 2e-17 is below half an ulp of 1: 1 - erfc(x) is 1 from there (inf too).
        # Below, e^(-a^2) with a^2 rounded moves 1 - erfc by 2e-17 at most, a fifth of an ulp
        tail = _erfc_from_one(xp.minimum(xp.take(a, far), 6.0), exact_square=False)
        out[far] = xp.copysign(1.0 - tail, xp.take(z, far))
    out = out.reshape(shape).astype(dtype, copy=False)
    return out[()] if out.ndim == 0 else out  # a number for a number, as NumPy's ufuncs


def _flat_float64(x):  # type: ignore[no-untyped-def]
    """``x`` as a flat float64 array (no copy where it is one), its shape and the result's
    dtype (``x``'s float dtype; integers float32)."""
    x = xp.asarray(x)
    dtype = x.dtype if x.dtype.kind == "f" else xp.dtype("float32")
    return x.astype(xp.float64, copy=False).reshape(-1), x.shape, dtype


def _horner(t, coefficients, leading_one=False):  # type: ignore[no-untyped-def]
    """The polynomial with ``coefficients`` (highest power first, after a 1 where
    ``leading_one``) at the float64 array ``t`` by Horner's rule, in place in one new array."""
    if leading_one:
        p, rest = t + coefficients[0], coefficients[1:]
    else:
        p, rest = t * coefficients[0], coefficients[2:]
        p += coefficients[1]
    for c in rest:
        p *= t  # in place: each step is two passes over p, ~35 + 17 us on 230,000 elements
        p += c
    return p


def _erf_near_zero(z):  # type: ignore[no-untyped-def]
    """erf(z) = z T(z^2) / U(z^2) for float64 ``|z| <= 1`` (-0 gives -0, nan nan)."""
    t = z * z
    out = _horner(t, _ERF_T)
    out *= z
    out /= _horner(t, _ERF_U, leading_one=True)
    return out


def _erfc_from_one(a, exact_square=True):  # type: ignore[no-untyped-def]
    """erfc(a) for float64 ``a`` in [1, 28], to 1e-15 relative (erfc(28) is 0 in float64).

    e^(-a^2) rounds a^2 first, and that rounding is its relative error: up to 5.7e-14 at
    a = 26 (a^2 = 676, whose ulp is 1.1e-13). With ``exact_square``, as Cephes' expx2,
    a^2 = m^2 + (a - m)(a + m) for the nearest multiple m of 1/128: m^2 is exact and the
    small rest is off by ~1e-17. e^(-m^2) multiplies last, so that the results below the
    smallest normal number (from a = 26.55) are rounded once, not after a subnormal factor.
    """
    ratio = _horner(a, _ERFC_P)
    ratio /= _horner(a, _ERFC_Q, leading_one=True)
    far = xp.flatnonzero(a >= 8.0)
    if far.size:
        b = xp.take(a, far)
        ratio[far] = _horner(b, _ERFC_R) / _horner(b, _ERFC_S, leading_one=True)
    if not exact_square:
        return ratio * xp.exp(-(a * a))
    m = xp.rint(a * 128.0) * (1.0 / 128.0)
    rest = a - m  # exact: m is within 1/256 of a
    rest *= a + m
    ratio *= xp.exp(-rest)
    ratio *= xp.exp(-(m * m))
    return ratio


# erfc(a) = t e^(-a^2) P(t) for a >= 0, with t = 1 / (1 + 0.38 a): P of degree 8, highest power
# first, fitted to erfc(a) e^(a^2) / t on 0 <= a <= 10 (erfc(10) = 2e-45, next to float32's
# smallest subnormal number) by least squares weighted toward the minimax (Lawson's iteration),
# on a grid of 4,000 points in t. Its relative error is 2e-8 there (in float64), a third of a
# float32 rounding.
# Stored negated: normal_cdf_float32 wants -erfc.
_ERFC_T_SCALE = 0.38 / math.sqrt(2)  # t's factor of |x|, for a = |x| / sqrt(2)
# fmt: off
_MINUS_ERFC_P = tuple(-c for c in (
    0.058964363080331386, -0.26226791587017034, 0.36383163868451046, -0.16142156073139022,
    0.2299962289601223, 0.1386636324460528, 0.20390279879076073, 0.21391990534566452,
    0.21441092905612932,
))
# fmt: on
_ONE_OVER_SQRT_TWO_PI = 1.0 / math.sqrt(2.0 * math.pi)


def normal_cdf_float32(x, with_pdf=False):  # type: ignore[no-untyped-def]
    """The standard normal distribution's ``Phi(x) = (1 + erf(x / sqrt 2)) / 2`` of a float32
    array, in float32 arithmetic; with ``with_pdf``, also its density ``e^(-x^2/2) / sqrt(2 pi)``
    (gelu's derivative reads both).

    One formula over the whole line, ``Phi(-|x|) = erfc(|x| / sqrt 2) / 2`` from the fitted
    ``t e^(-a^2) P(t)``, and ``1 - Phi(-|x|)`` for x > 0: about 30 float32 passes over the
    array and one ``exp``, where :func:`erf` makes about 60 float64 passes and gathers its far
    branch (float32 gelu forward and backward, 1797 x 128: 4.9 -> 1.5 ms). The lower tail keeps
    its relative precision, where ``1 + erf`` cancels: measured against float64, within 4 ulp
    for x in [0, 3], 8 in [-3, 0], 18 in [-6, -3], 4e-6 relative down to -13 (e^(-x^2/2) of
    x^2 rounded to float32 is most of it). PyTorch's float32 kernel (Abramowitz and Stegun's
    7.1.26 for erf, absolute error 1.5e-7, then 1 + erf) is off by up to 0.6% near x = -4.

        >>> import numpy as np
        >>> normal_cdf_float32(np.array([-5.0, 0.0, 1.0], np.float32))
        array([2.8665156e-07, 5.0000000e-01, 8.4134477e-01], dtype=float32)
    """
    if x.ndim == 0:  # (ufuncs give a 0-d array back as a scalar, which has no in-place ops)
        values = normal_cdf_float32(x.reshape(1), with_pdf)
        return tuple(v.reshape(()) for v in values) if with_pdf else values.reshape(())
    t = xp.abs(x)
    t *= _ERFC_T_SCALE
    t += 1.0
    xp.reciprocal(t, out=t)
    lower = _horner(t, _MINUS_ERFC_P)  # -erfc(|x| / sqrt 2) from here on
    lower *= t
    density = x * x
    density *= -0.5
    xp.exp(density, out=density)
    lower *= density
    # Phi = h + q (-erfc) with q = copysign(1/2, x) and h = 1/2 + q: erfc / 2 exactly for
    # x < 0 (h = 0), 1 - erfc / 2 rounded once for x > 0, with no branch on each element
    # (np.where on a random sign: 1 ms, this 60 us); -0.0 and +0.0 both give 1/2, nan nan.
    half = xp.copysign(xp.float32(0.5), x)
    lower *= half
    half += 0.5
    lower += half
    if not with_pdf:
        return lower
    density *= _ONE_OVER_SQRT_TWO_PI
    return lower, density


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

    For |x| >= 1 from Cephes' e^(-x^2) P(x) / Q(x) (R / S from 8), with full relative
    precision far into the tail, where 1 - erf(x) would be all rounding: within 1.2e-15 of
    the true value up to x = 26.55, then subnormal numbers rounded once, 0 from 27.226;
    2 - erfc(-x) below -1. Between, 1 - erf(x) (erfc(1) = 0.16: within 1.7e-15).

    >>> import math, numpy as np
    >>> abs(float(erfc(np.array(5.0))) / math.erfc(5.0) - 1) < 1e-15
    True
    >>> erfc(np.array([-np.inf, -3.0, 0.0, 27.0, np.inf]))  # 27: a subnormal number
    array([2.00000000e+000, 1.99997791e+000, 1.00000000e+000, 5.23704644e-319,
           0.00000000e+000])
    """
    z, shape, dtype = _flat_float64(x)
    a = xp.abs(z)
    out = 1.0 - _erf_near_zero(xp.clip(z, -1.0, 1.0))
    far = xp.flatnonzero(a >= 1.0)
    if far.size:
        signed = xp.take(z, far)
        tail = _erfc_from_one(xp.minimum(xp.take(a, far), 28.0))  # inf: 0
        # 2 - tail below 0, tail above, without np.where's masked loop (~2.5 ns an element
        # on a random mask, 8x a multiplication)
        out[far] = xp.copysign(tail, signed) + 2.0 * (signed < 0)
    return out.reshape(shape).astype(dtype, copy=False)


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
