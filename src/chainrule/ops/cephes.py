"""The special functions of ``torch.special`` beyond the gamma family, on float64 arrays:
the modified Bessel functions (``i0``, ``i1``, their scaled forms, ``k0``, ``k1``), the
Bessel functions ``j0``, ``j1``, ``y0``, ``y1``, Airy's ``ai``, ``ndtri``, ``erfcx``, the
regularized incomplete gamma functions and Hurwitz's zeta.

Most are Cephes' approximations (Moshier's Chebyshev series and rational functions; 3-clause
BSD), with the coefficients and branch points PyTorch's ``ATen/native/Math.h`` also takes from
Cephes, so that the values agree with PyTorch's to a few units in the last place. ``erfcx``
and the incomplete gammas are computed here by series and continued fractions (see each).
Every function takes float64 arrays and returns float64; the ops cast.

>>> import numpy as np
>>> float(i0e(np.array(0.0))), float(ndtri(np.array(0.5)))
(1.0, 0.0)
"""

from __future__ import annotations

import math

from chainrule._array import xp
from chainrule.ops import special


def _chbevl(x, coefficients):  # type: ignore[no-untyped-def]
    """Cephes' ``chbevl``: the Chebyshev series with ``coefficients`` (highest order first)
    at ``x``, mapped to [-2, 2], by Clenshaw's recurrence."""
    b0 = xp.full_like(x, coefficients[0])
    b1 = b2 = xp.zeros_like(x)
    for c in coefficients[1:]:
        b2, b1 = b1, b0
        b0 = x * b1 - b2 + c
    return 0.5 * (b0 - b2)


def _horner(x, coefficients):  # type: ignore[no-untyped-def]
    """Cephes' ``polevl``: the polynomial with ``coefficients`` (highest power first) at x."""
    total = xp.zeros_like(x)
    for c in coefficients:
        total = total * x + c
    return total


def _errstate():  # type: ignore[no-untyped-def]
    """Branches are computed everywhere and picked with ``where``: their overflows and 0 / 0
    off their domains are expected."""
    return xp.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore")


# ---- the modified Bessel functions of the first kind
def i0e(x):  # type: ignore[no-untyped-def]
    """``exp(-|x|) I0(x)``: Chebyshev series on [0, 8] in x / 2 - 2 and beyond in 32 / x - 2
    (times 1 / sqrt(x)), Cephes' ``i0e``."""
    a = xp.abs(x)
    with _errstate():
        far = _chbevl(32.0 / a - 2.0, _I0E_B) / xp.sqrt(a)
        return xp.where(a <= 8.0, _chbevl(a / 2.0 - 2.0, _I0E_A), far)


def i0(x):  # type: ignore[no-untyped-def]
    """``I0(x)``, the zeroth-order modified Bessel function: ``exp(|x|) i0e(x)`` (inf from
    |x| > 713)."""
    with _errstate():
        return xp.exp(xp.abs(x)) * i0e(x)


def i1e(x):  # type: ignore[no-untyped-def]
    """``exp(-|x|) I1(x)``, odd: ``x`` times a Chebyshev series on [0, 8], a series in
    32 / x - 2 over sqrt(x) beyond (Cephes' ``i1e``)."""
    a = xp.abs(x)
    with _errstate():
        far = _chbevl(32.0 / a - 2.0, _I1E_B) / xp.sqrt(a)
        near = _chbevl(a / 2.0 - 2.0, _I1E_A) * a
        out = xp.where(a <= 8.0, near, far)
    return xp.where(x < 0, -out, out)


def i1(x):  # type: ignore[no-untyped-def]
    """``I1(x)``, the first-order modified Bessel function: ``exp(|x|) i1e(x)``."""
    with _errstate():
        return xp.exp(xp.abs(x)) * i1e(x)


# ---- the modified Bessel functions of the second kind (x >= 0; nan below, inf at 0)
def _k_near(x, coefficients, order):  # type: ignore[no-untyped-def]
    """K0 or K1 on (0, 2]: a Chebyshev series in x^2 - 2 plus the log term, -log(x/2) I0(x)
    for K0, log(x/2) I1(x) + series / x for K1."""
    series = _chbevl(x * x - 2.0, coefficients)
    if order == 0:
        return series - xp.log(0.5 * x) * i0(x)
    return xp.log(0.5 * x) * i1(x) + series / x


def _k_scaled_far(x, coefficients):  # type: ignore[no-untyped-def]
    """``exp(x) K(x)`` beyond 2: a Chebyshev series in 8 / x - 2, over sqrt(x)."""
    return _chbevl(8.0 / x - 2.0, coefficients) / xp.sqrt(x)


def _k(x, order, scaled):  # type: ignore[no-untyped-def]
    a, b = (_K0_A, _K0_B) if order == 0 else (_K1_A, _K1_B)
    with _errstate():
        near = _k_near(x, a, order)
        far = _k_scaled_far(x, b)
        if scaled:
            near = near * xp.exp(x)
        else:
            far = far * xp.exp(-x)
        out = xp.where(x <= 2.0, near, far)
    return xp.where(x == 0, xp.inf, xp.where(x < 0, xp.nan, out))


def k0(x):  # type: ignore[no-untyped-def]
    """``K0(x)``, the zeroth-order modified Bessel function of the second kind."""
    return _k(x, 0, False)


def k1(x):  # type: ignore[no-untyped-def]
    """``K1(x)``, the first-order modified Bessel function of the second kind."""
    return _k(x, 1, False)


def k0e(x):  # type: ignore[no-untyped-def]
    """``exp(x) K0(x)``."""
    return _k(x, 0, True)


def k1e(x):  # type: ignore[no-untyped-def]
    """``exp(x) K1(x)``."""
    return _k(x, 1, True)


# ---- the Bessel functions of the first and second kind
# Cephes' constants as written there (3 pi / 4 and sqrt(2 / pi) rounded once, not twice).
_PI_4, _3PI_4 = math.pi / 4, 2.356194490192344928846982537459627163
_SQRT_2_PI = 0.797884560802865355879892119868763737
_TWO_OVER_PI = 2 / math.pi


def _hankel(x, order, second_kind):  # type: ignore[no-untyped-def]
    """Cephes' asymptotic form beyond 5: ``sqrt(2 / (pi x)) (P cos(x - phase) - 5 / x Q
    sin(x - phase))`` for J (sin and +Q cos for Y), P and Q rational in 25 / x^2."""
    pp, pq, qp, qq = (_J0_PP, _J0_PQ, _J0_QP, _J0_QQ) if order == 0 else (
        _J1_PP, _J1_PQ, _J1_QP, _J1_QQ)  # fmt: skip
    w = 25.0 / (x * x) if order == 0 else 5.0 / x * (5.0 / x)
    p = _horner(w, pp) / _horner(w, pq)
    q = 5.0 / x * (_horner(w, qp) / _horner(w, qq))
    shifted = x - (_PI_4 if order == 0 else _3PI_4)
    if second_kind:
        wave = p * xp.sin(shifted) + q * xp.cos(shifted)
    else:
        wave = p * xp.cos(shifted) - q * xp.sin(shifted)
    return wave * _SQRT_2_PI / xp.sqrt(x)


def j0(x):  # type: ignore[no-untyped-def]
    """``J0(x)``: up to 5, (x^2 - r1^2)(x^2 - r2^2) R(x^2) with its first two zeros r1, r2
    (so they are exact) and 1 - x^2/4 below 1e-5; beyond, the asymptotic form."""
    a = xp.abs(x)
    with _errstate():
        z = a * a
        near = (z - 5.78318596294678452118) * (z - 30.4712623436620863991)
        near = near * _horner(z, _J0_RP) / _horner(z, _J0_RQ)
        near = xp.where(a < 1e-5, 1.0 - z / 4.0, near)
        return xp.where(a <= 5.0, near, _hankel(a, 0, False))


def j1(x):  # type: ignore[no-untyped-def]
    """``J1(x)``, odd: x (x^2 - r1^2)(x^2 - r2^2) R(x^2) up to 5, the asymptotic form beyond."""
    a = xp.abs(x)
    with _errstate():
        z = x * x
        near = _horner(z, _J1_RP) / _horner(z, _J1_RQ) * x  # odd: x carries the sign
        near = near * (z - 14.6819706421238932572) * (z - 49.2184563216946036703)
        far = _hankel(a, 1, False)
        return xp.where(a <= 5.0, near, xp.where(x < 0, -far, far))


def y0(x):  # type: ignore[no-untyped-def]
    """``Y0(x)`` for x > 0 (-inf at 0, nan below): R(x^2) + 2/pi log(x) J0(x) up to 5, the
    asymptotic form beyond."""
    with _errstate():
        z = x * x
        near = _horner(z, _Y0_YP) / _horner(z, _Y0_YQ) + _TWO_OVER_PI * xp.log(x) * j0(x)
        out = xp.where(x <= 5.0, near, _hankel(x, 0, True))
    return xp.where(x == 0, -xp.inf, xp.where(x < 0, xp.nan, out))


def y1(x):  # type: ignore[no-untyped-def]
    """``Y1(x)`` for x > 0 (-inf at 0, nan below): x R(x^2) + 2/pi (J1(x) log(x) - 1/x) up
    to 5, the asymptotic form beyond."""
    with _errstate():
        z = x * x
        near = x * (_horner(z, _Y1_YP) / _horner(z, _Y1_YQ))
        near = near + _TWO_OVER_PI * (j1(x) * xp.log(x) - 1.0 / x)
        out = xp.where(x <= 5.0, near, _hankel(x, 1, True))
    return xp.where(x == 0, -xp.inf, xp.where(x < 0, xp.nan, out))


def spherical_j0(x):  # type: ignore[no-untyped-def]
    """``sin(x) / x``, by its Taylor polynomial below 0.5 (1 at 0) and 0 at ±inf."""
    with _errstate():
        z = x * x
        taylor = xp.zeros_like(x)
        for k in range(6, 0, -1):  # sum of (-x^2)^k / (2k + 1)!, Horner's order
            taylor = (taylor + (-1.0) ** k / math.factorial(2 * k + 1)) * z
        out = xp.where(xp.abs(x) < 0.5, 1.0 + taylor, xp.sin(x) / x)
    return xp.where(xp.isinf(x), 0.0, out)


def airy_ai(x):  # type: ignore[no-untyped-def]
    """Airy's ``Ai(x)`` (Cephes' ``airy``): below -2.09 the oscillating asymptotic form,
    from 2.09 the decaying one (0 beyond 103.892), between them the Maclaurin series
    ``c1 f(x) - c2 g(x)``; nan at ±inf."""
    with _errstate():
        below = xp.minimum(x, -2.09)
        t = -2.0 * below * xp.sqrt(-below) / 3.0
        z = 1.0 / t
        zz = z * z
        f = 1.0 + zz * _horner(zz, _AIRY_AFN) / _horner(zz, _AIRY_AFD)
        g = z * _horner(zz, _AIRY_AGN) / _horner(zz, _AIRY_AGD)
        phase = t + 0.25 * math.pi
        oscillating = (
            _1_SQRT_PI / xp.sqrt(xp.sqrt(-below)) * (xp.sin(phase) * f - xp.cos(phase) * g)
        )
        above = xp.maximum(x, 2.09)
        zeta = 2.0 * above * xp.sqrt(above) / 3.0
        ratio = _horner(1.0 / zeta, _AIRY_AN) / _horner(1.0 / zeta, _AIRY_AD)
        decaying = _1_SQRT_PI * ratio / (2.0 * xp.sqrt(xp.sqrt(above)) * xp.exp(zeta))
    out = xp.where(x < -2.09, oscillating, xp.where(x >= 2.09, decaying, _airy_series(x)))
    out = xp.where(x > 103.892, 0.0, out)
    return xp.where(xp.isinf(x), xp.nan, xp.where(xp.isnan(x), x, out))


_1_SQRT_PI = 5.64189583547756286948e-01  # Cephes' 1 / sqrt(pi)


def _airy_series(x):  # type: ignore[no-untyped-def]
    """Ai on (-2.09, 2.09): 0.3550... f(x) - 0.2588... g(x), f and g the Maclaurin series
    1 + x^3/3! + 1*4 x^6/6! + ... and x + 2 x^4/4! + ..., summed until the terms of f fall
    below the double epsilon (as Cephes; under 30 terms there)."""
    x = xp.where((x >= -2.09) & (x < 2.09), x, 0.0)  # the other branches' elements: harmless
    f = xp.ones_like(x)
    g = x.copy()
    m, n, k = xp.ones_like(x), x.copy(), 1.0
    cube = x * x * x
    active = xp.ones(x.shape, bool)
    while active.any():
        m = m * cube / (k + 1.0)
        n = n * cube / (k + 2.0)
        m = m / (k + 2.0)
        f = xp.where(active, f + m, f)
        n = n / (k + 3.0)
        g = xp.where(active, g + n, g)
        k += 3.0
        active &= xp.abs(m / f) > _EPSILON
    return 0.355028053887817239260 * f - 0.258819403792806798405 * g


_EPSILON = float(xp.finfo(xp.float64).eps)


# ---- the normal distribution's inverse and the scaled complementary error function
def ndtri(y):  # type: ignore[no-untyped-def]
    """The x with ``ndtr(x) = y`` (Cephes' ``ndtri``): a rational function of (y - 1/2)^2
    on [exp(-2), 1 - exp(-2)]; in the tails, with ``t = sqrt(-2 log(y))`` of the smaller tail,
    ``t - log(t) / t`` corrected by a rational function of 1 / t (one for t < 8, one beyond).
    -inf at 0, inf at 1, nan outside [0, 1]."""
    flip = y > 1.0 - _EXP_MINUS_2
    tail = xp.where(flip, 1.0 - y, y)
    with _errstate():
        c = y - 0.5
        c2 = c * c
        central = (c + c * (c2 * _horner(c2, _NDTRI_P0) / _horner(c2, _NDTRI_Q0))) * _SQRT_2PI
        t = xp.sqrt(-2.0 * xp.log(tail))
        z = 1.0 / t
        near = z * _horner(z, _NDTRI_P1) / _horner(z, _NDTRI_Q1)
        far = z * _horner(z, _NDTRI_P2) / _horner(z, _NDTRI_Q2)
        x = t - xp.log(t) / t - xp.where(t < 8.0, near, far)
    out = xp.where(tail > _EXP_MINUS_2, central, xp.where(flip, x, -x))
    out = xp.where((y < 0) | (y > 1), xp.nan, out)
    return xp.where(y == 0, -xp.inf, xp.where(y == 1, xp.inf, out))


_EXP_MINUS_2 = 0.13533528323661269189
_SQRT_2PI = 2.50662827463100050242


def erfcx(x):  # type: ignore[no-untyped-def]
    """``exp(x^2) erfc(x)`` without the overflow and underflow of its factors.

    For |x| >= 1, ``1 / (sqrt(pi) K(|x|))`` with erfc's continued fraction K (200 terms:
    within 3e-16 from 1; ~1 / (sqrt(pi) x) far out); below, ``exp(x^2) - 2/sqrt(pi) S(|x|)``
    with S(x) = exp(x^2) int_0^x exp(-t^2) dt as its series of positive terms
    sum 2^n x^(2n+1) / (1*3*...*(2n+1)), which cancels by at most e / erfcx(1) ~ 6.3.
    Negative x by ``2 exp(x^2) - erfcx(-x)``, no cancellation: inf below -26.64, where
    exp(x^2) overflows.
    """
    a = xp.abs(x)
    far = a >= 1.0
    with _errstate():
        fraction = special.erfc_continued_fraction(xp.where(far, a, 1.0), 200)
        tail = 1.0 / (math.sqrt(math.pi) * fraction)
        s = xp.where(far, 0.0, a)
        term = s.copy()
        total = s.copy()
        for n in range(1, 40):  # the terms fall as (2 x^2)^n / (2n + 1)!!: 1e-30 by 40
            term = term * (2.0 * s * s) / (2 * n + 1)
            total += term
        near = xp.exp(s * s) - (2.0 / math.sqrt(math.pi)) * total
        positive = xp.where(far, tail, near)
        return xp.where(x < 0, 2.0 * xp.exp(x * x) - positive, positive)


# ---- the regularized incomplete gamma functions
def gamma_parts(a, x):  # type: ignore[no-untyped-def]
    """The regularized incomplete gamma functions P(a, x) = gamma(a, x) / Gamma(a) and
    Q(a, x) = 1 - P(a, x), with PyTorch's (and SciPy's) edge values (:func:`_gamma_edges`).

    Each element goes through one of four methods, computed on its own elements only:

    - a > 20 and |x - a| < 0.3 a: Temme's uniform asymptotic expansion (:func:`_gamma_temme`),
      PyTorch's and SciPy's for 20 < a < 200. From a = 200 on they keep it to |x - a| <
      4.5 sqrt(a) and sum the series or the continued fraction beyond, which there take
      ~sqrt(a) steps: PyTorch's, cut at 2000, are wrong from a ~ 1e5 on (P(1e8, 1e8 - 5e4) is
      1.86e-7 there, not 2.85e-7), and these, uncut, took seconds at a = x = 1e10 (2e-5 off)
      and never ended at 1e30. The expansion only improves as a grows: here it takes the
      whole band.
    - x <= 1.1 and a small (PyTorch's region: a <= -0.4 / log(x), or from x = 0.5 on
      a <= 1.1 x): Q by the series DLMF 8.7.3, where 1 - P would lose Q's small digits.
    - x < a + 1: P by its series, x^a e^-x / Gamma(a + 1) sum x^n / ((a + 1)...(a + n)).
    - beyond: Q by Legendre's continued fraction (Lentz's method).

    The other one is 1 minus it, which there is at least ~1/3 and so keeps its precision.
    Outside the band (a <= 20, or x at least 0.3 a from a) the series takes at most ~110
    terms and the fraction ~90 steps; every loop also stops at 2000, as PyTorch's do. The
    factor x^a e^-x / Gamma(a) in front of both is :func:`_log_gamma_front`'s exp.
    """
    a, x = xp.broadcast_arrays(a, x)
    p, q = xp.full(a.shape, xp.nan), xp.full(a.shape, xp.nan)
    inner = (a > 0) & (x > 0) & xp.isfinite(a) & xp.isfinite(x)
    with _errstate():
        temme = inner & (a > 20.0) & (xp.abs(x - a) < 0.3 * a)
        small = inner & ~temme & (x <= 1.1)
        small &= a <= xp.where(x <= 0.5, -0.4 / xp.log(x), 1.1 * x)
        low = inner & ~temme & ~small & (x < a + 1.0)
        high = inner & ~(temme | small | low)
        for where, method in ((temme, _gamma_temme), (small, _small_x), (low, _low), (high, _high)):
            if where.any():
                p[where], q[where] = method(a[where], x[where])
    return _gamma_edges(a, x, p, 1.0), _gamma_edges(a, x, q, 0.0)


def _small_x(a, x):  # type: ignore[no-untyped-def]
    """P and Q for small x: Q by :func:`_upper_gamma_series`."""
    q = _upper_gamma_series(a, x)
    return 1.0 - q, q


def _low(a, x):  # type: ignore[no-untyped-def]
    """P and Q for x < a + 1: P by its series (:func:`_gamma_series`)."""
    p = xp.exp(_log_gamma_front(a, x)) / a * _gamma_series(a, x)
    return p, 1.0 - p


def _high(a, x):  # type: ignore[no-untyped-def]
    """P and Q beyond: Q by its continued fraction (:func:`_gamma_fraction`)."""
    q = xp.exp(_log_gamma_front(a, x)) * _gamma_fraction(a, x)
    return 1.0 - q, q


def _gamma_edges(a, x, value, p_side):  # type: ignore[no-untyped-def]
    """PyTorch's values on the edges, its checks in its order (the first that holds wins,
    so they are applied last to first): a < 0 or x < 0: nan; a = 0: P = 1 for x > 0, else
    nan; x = 0: P = 0; a = ±inf: P = 0 (nan if x is ±inf too); x = ±inf: P = 1. Q = 1 - P.
    ``p_side`` is 1 for P, 0 for Q."""
    one, zero = p_side, 1.0 - p_side
    value = xp.where(xp.isinf(x), one, value)
    value = xp.where(xp.isinf(a), xp.where(xp.isinf(x), xp.nan, zero), value)
    value = xp.where(x == 0, zero, value)
    value = xp.where(a == 0, xp.where(x > 0, one, xp.nan), value)
    return xp.where((a < 0) | (x < 0), xp.nan, value)


def _gamma_temme(a, x):  # type: ignore[no-untyped-def]
    """P(a, x) and Q(a, x) for a > 20 and |x - a| < 0.3 a, by Temme's uniform asymptotic
    expansion (DLMF 8.12.3, 8.12.4; SciPy's ``asymptotic_series``, its coefficients). With
    eta = sign(x - a) sqrt(-2 log1pmx((x - a) / a)) and z = eta sqrt(a / 2),

        Q = erfc(z) / 2 + exp(-z^2) S / sqrt(2 pi a),
        P = erfc(-z) / 2 - exp(-z^2) S / sqrt(2 pi a),

    S = sum_k c_k(eta) a^-k, each c_k its Taylor series in eta (``_TEMME_D``, 25 terms; |eta|
    is below 0.34 here). S is summed until its terms grow (it is asymptotic) or fall below
    the double epsilon of it, 25 at most. The smaller of P and Q (Q where x >= a) is taken as
    exp(-z^2) (erfcx(|z|) / 2 ± S / sqrt(2 pi a)): exp(-z^2) = exp(a log1pmx) straight from
    log1pmx, and the bracket does not cancel (it is ~1 / (sqrt(2 pi a) |x / a - 1|) far out).
    """
    s = (x - a) / a
    log1pmx = _log1pmx(s)  # -eta^2 / 2
    eta = xp.copysign(xp.sqrt(-2.0 * log1pmx), s)
    z = eta * xp.sqrt(a / 2.0)
    powers = xp.ones((len(_TEMME_D), eta.size))  # eta^n in row n
    powers[1:] = xp.cumprod(xp.broadcast_to(eta, (len(_TEMME_D) - 1, eta.size)), axis=0)
    coefficients = _TEMME_D @ powers  # c_k(eta) in row k
    total = xp.zeros_like(a)
    factor = xp.ones_like(a)  # a^-k
    previous = xp.full_like(a, xp.inf)
    summing = xp.ones(a.shape, bool)
    for k in range(len(_TEMME_D)):
        if not summing.any():
            break
        term = coefficients[k] * factor
        size = xp.abs(term)
        summing &= ~(size > previous)
        total = xp.where(summing, total + term, total)
        summing &= ~(size < _MACHEP * xp.abs(total))
        previous = size
        factor = factor / a
    upper = z >= 0  # the smaller one is Q
    root = math.sqrt(2.0 * math.pi) * xp.sqrt(a)
    smaller = xp.exp(a * log1pmx) * (0.5 * erfcx(xp.abs(z)) + xp.where(upper, total, -total) / root)
    return xp.where(upper, 1.0 - smaller, smaller), xp.where(upper, smaller, 1.0 - smaller)


def _log1pmx(s):  # type: ignore[no-untyped-def]
    """log(1 + s) - s for -0.5 <= s <= 1, to full relative precision (log1p(s) - s cancels
    near 0): with u = s / (2 + s), log(1 + s) = 2 atanh(u), so it is -s^2 / (2 + s) +
    2 (u^3 / 3 + u^5 / 5 + ...), two terms that do not cancel (|u| <= 1/3: 18 terms)."""
    u = s / (2.0 + s)
    v = u * u
    total = xp.zeros_like(s)
    for j in range(_LOG1PMX_TERMS - 1, -1, -1):  # Horner's order, from the last term
        total = total * v + 1.0 / (2 * j + 3)
    return 2.0 * total * v * u - s * s / (2.0 + s)


_LOG1PMX_TERMS = 18  # (1/9)^18 / 39 is 1e-19 of the first: double precision


def _log_gamma_front(a, x):  # type: ignore[no-untyped-def]
    """log(x^a e^-x / Gamma(a)) for a, x > 0 finite: the factor of P's series and of Q's
    continued fraction, and x times the derivative of P by x.

    For a >= 20 it is a log1pmx((x - a) / a) + log(a^a e^-a / Gamma(a)), the last from
    Stirling's series, 0.5 log(a / (2 pi)) - sum_k B_2k / (2k (2k - 1) a^(2k - 1)) (7 terms,
    the next below 1e-21 from 20 on), so that a log x, x and lgamma(a) never meet: their sum
    loses ~1e-16 of their size (2.5e-7 relative at a = x = 1e8, everything from ~1e15 on).
    log1pmx is :func:`_log1pmx` for x / a in [0.5, 2] and log(x / a) - (x - a) / a beyond.
    Below 20, the three terms as they are (PyTorch's formula; ~1e-13 relative at most where
    the factor is above the smallest double)."""
    s = (x - a) / a
    near = (s >= -0.5) & (s <= 1.0)
    with _errstate():
        log1pmx = xp.where(near, _log1pmx(xp.where(near, s, 0.0)), xp.log(x / a) - s)
        u = 1.0 / (a * a)
        tail = xp.zeros_like(a)
        for c in reversed(_STIRLING):
            tail = tail * u + c
        stirling = a * log1pmx + 0.5 * xp.log(a / (2.0 * math.pi)) - tail / a
        plain = a * xp.log(x) - x - special.lgamma(a)
    return xp.where(a >= 20.0, stirling, plain)


# B_2k / (2k (2k - 1)), k = 1, ..., 7: lgamma(a) - (a - 1/2) log a + a - log(2 pi) / 2 is
# sum_k B_2k / (2k (2k - 1) a^(2k - 1)) (asymptotic).
_STIRLING = (1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360, 1 / 156)


def gamma_density(a, x):  # type: ignore[no-untyped-def]
    """The derivative of P(a, x) by x, x^(a - 1) e^-x / Gamma(a) (the gamma distribution's
    density). PyTorch's formula, exp((a - 1) log x - x - lgamma(a)), with its values at the
    edges (nan at x = 0 for a = 1, inf there for a < 1, nan at x = inf for a >= 1, ...);
    for a >= 20 and x > 0 finite, exp(:func:`_log_gamma_front` - log x) instead: there
    PyTorch's formula loses ~1e-16 of a log x (2.5e-7 relative at a = x = 1e8, 1e-5 at 1e10;
    nothing is left from ~1e15 on)."""
    a, x = xp.broadcast_arrays(a, x)
    with _errstate():
        out = xp.array(xp.exp((a - 1.0) * xp.log(x) - x - special.lgamma(a)))  # 0-d: an array
        large = (a >= 20.0) & xp.isfinite(a) & (x > 0) & xp.isfinite(x)
        a, x = a[large], x[large]
        out[large] = xp.exp(_log_gamma_front(a, x) - xp.log(x))
    return out


def _upper_gamma_series(a, x):  # type: ignore[no-untyped-def]
    """Q(a, x) for small x by DLMF 8.7.3: 1 - x^a / Gamma(a + 1) (as an expm1) minus
    x^a / Gamma(a) sum_(n >= 1) (-x)^n / (n! (a + n)), summed until a term is below the double
    epsilon of the sum (~20 terms for x <= 1.1)."""
    factor = xp.ones_like(x)
    total = xp.zeros_like(x)
    active = xp.ones(x.shape, bool)
    for n in range(1, _MAXITER):
        if not active.any():
            break
        factor = factor * -x / n
        term = factor / (a + n)
        total = xp.where(active, total + term, total)
        active &= xp.abs(term) > _MACHEP * xp.abs(total)
    a_log_x = a * xp.log(x)
    lgamma_1p = _lgamma1p(a)  # lgamma(a) = lgamma(1 + a) - log(a)
    return -xp.expm1(a_log_x - lgamma_1p) - xp.exp(a_log_x - lgamma_1p + xp.log(a)) * total


def _lgamma1p(a):  # type: ignore[no-untyped-def]
    """lgamma(1 + a), to full relative precision for |a| <= 0.2 (:func:`lgamma1p_series`):
    Q's leading term above is 1 - exp(-lgamma(1 + a)) for small a, where 1 + a is rounded."""
    small = xp.abs(a) <= 0.2
    return xp.where(small, lgamma1p_series(xp.where(small, a, 0.0)), special.lgamma(1.0 + a))


def lgamma1p_series(a):  # type: ignore[no-untyped-def]
    """lgamma(1 + a) for |a| <= 0.2 by its Taylor series -gamma a + sum_(k >= 2) zeta(k)
    (-a)^k / k (30 terms: double precision), to full relative precision near lgamma's zero
    at 1, where Lanczos' lgamma is only good to ~2e-15 absolute."""
    total = xp.zeros_like(a)
    for k in range(len(_ZETA_INTEGERS) + 1, 1, -1):  # Horner's order, from the last term
        total = (total + _ZETA_INTEGERS[k - 2] * (-1.0) ** k / k) * a
    return (total - _EULER_GAMMA) * a


_EULER_GAMMA = 0.57721566490153286061


def _gamma_series(a, x):  # type: ignore[no-untyped-def]
    """sum_n x^n / ((a + 1)...(a + n)) for x < a + 1 (its terms shrink; until below 1e-17
    of the sum)."""
    term = xp.ones_like(x)
    total = xp.ones_like(x)
    active = xp.ones(x.shape, bool)
    for n in range(1, _MAXITER):
        if not active.any():
            break
        term = term * x / (a + n)
        total = xp.where(active, total + term, total)
        active &= term > 1e-17 * total
    return total


def _gamma_fraction(a, x):  # type: ignore[no-untyped-def]
    """1 / (x + 1 - a - 1 (1 - a) / (x + 3 - a - 2 (2 - a) / (x + 5 - a - ...))) by Lentz's
    method (Numerical Recipes' ``gcf``), until a step changes it by an ulp at most (a bound
    of 1e-16, under the spacing of doubles above 1, waited for a step of exactly 1, which
    rounding may never give: gammaincc(1e30, 2e30) never ended)."""
    tiny = 1e-300
    b = x + 1.0 - a
    c = xp.full_like(x, 1.0 / tiny)
    d = 1.0 / b
    h = d.copy()
    active = xp.ones(x.shape, bool)
    for n in range(1, _MAXITER):
        if not active.any():
            break
        an = -n * (n - a)
        b = b + 2.0
        d = an * d + b
        d = 1.0 / xp.where(xp.abs(d) < tiny, tiny, d)
        c = b + an / c
        c = xp.where(xp.abs(c) < tiny, tiny, c)
        step = d * c
        h = xp.where(active, h * step, h)
        active &= xp.abs(step - 1.0) > 2.0 * _MACHEP
    return h


# The iterations' bound, PyTorch's MAXITER: gamma_parts' regions keep every loop far below.
_MAXITER = 2000


# ---- Hurwitz's zeta function
_MACHEP = 1.11022302462515654042e-16


def zeta(x, q):  # type: ignore[no-untyped-def]
    """Hurwitz's ``zeta(x, q) = sum_k (k + q)^-x`` (Cephes' ``zeta``): the sum's terms until
    they fall below the double epsilon of it, at least 9 and up to k + q > 9, then the
    Euler-Maclaurin tail (up to 12 Bernoulli terms). inf at x = 1 and where q is a
    non-positive integer; nan for x < 1, and for q < 0 with x not an integer."""
    x, q = xp.broadcast_arrays(x, q)
    pole = (q <= 0) & (q == xp.floor(q))
    undefined = (x < 1) | ((q < 0) & ~pole & (x != xp.floor(x)))
    done = pole | undefined | (x == 1)
    with _errstate():
        s = q**-x
        a = q.copy()
        b = xp.zeros_like(s)
        looping = ~done
        i = 0
        while looping.any():  # the direct sum
            i += 1
            a = xp.where(looping, a + 1.0, a)
            b = xp.where(looping, a**-x, b)
            s = xp.where(looping, s + b, s)
            small = looping & (-_MACHEP * s < b) & (b < _MACHEP * s)
            done |= small
            looping &= ~small & ((i < 9) | (a <= 9.0))
        w = a  # Euler-Maclaurin from there
        tail = ~done
        s = xp.where(tail, s + b * w / (x - 1.0) - 0.5 * b, s)
        factor = xp.ones_like(s)
        k = 0.0
        for coefficient in _ZETA_A:
            factor = factor * (x + k)
            b = b / w
            t = factor * b / coefficient
            s = xp.where(tail, s + t, s)
            tail &= ~(xp.abs(t / s) < _MACHEP)
            factor = factor * (x + k + 1.0)
            b = b / w
            k += 2.0
    out = xp.where(pole | (x == 1), xp.inf, s)
    return xp.where(undefined, xp.nan, out)


# ---- Cephes' coefficients (highest order first), as in PyTorch's Math.h
_I0E_A = (
    -4.4153416464793395e-18, 3.3307945188222384e-17, -2.431279846547955e-16,
    1.715391285555133e-15, -1.1685332877993451e-14, 7.676185498604936e-14,
    -4.856446783111929e-13, 2.95505266312964e-12, -1.726826291441556e-11,
    9.675809035373237e-11, -5.189795601635263e-10, 2.6598237246823866e-09,
    -1.300025009986248e-08, 6.046995022541919e-08, -2.670793853940612e-07,
    1.1173875391201037e-06, -4.4167383584587505e-06, 1.6448448070728896e-05,
    -5.754195010082104e-05, 0.00018850288509584165, -0.0005763755745385824,
    0.0016394756169413357, -0.004324309995050576, 0.010546460394594998, -0.02373741480589947,
    0.04930528423967071, -0.09490109704804764, 0.17162090152220877, -0.3046826723431984,
    0.6767952744094761,
)  # fmt: skip
_I0E_B = (
    -7.233180487874754e-18, -4.830504485944182e-18, 4.46562142029676e-17,
    3.461222867697461e-17, -2.8276239805165836e-16, -3.425485619677219e-16,
    1.7725601330565263e-15, 3.8116806693526224e-15, -9.554846698828307e-15,
    -4.150569347287222e-14, 1.54008621752141e-14, 3.8527783827421426e-13,
    7.180124451383666e-13, -1.7941785315068062e-12, -1.3215811840447713e-11,
    -3.1499165279632416e-11, 1.1889147107846439e-11, 4.94060238822497e-10,
    3.3962320257083865e-09, 2.266668990498178e-08, 2.0489185894690638e-07,
    2.8913705208347567e-06, 6.889758346916825e-05, 0.0033691164782556943, 0.8044904110141088,
)  # fmt: skip
_I1E_A = (
    2.7779141127610464e-18, -2.111421214358166e-17, 1.5536319577362005e-16,
    -1.1055969477353862e-15, 7.600684294735408e-15, -5.042185504727912e-14,
    3.223793365945575e-13, -1.9839743977649436e-12, 1.1736186298890901e-11,
    -6.663489723502027e-11, 3.625590281552117e-10, -1.8872497517228294e-09,
    9.381537386495773e-09, -4.445059128796328e-08, 2.0032947535521353e-07,
    -8.568720264695455e-07, 3.4702513081376785e-06, -1.3273163656039436e-05,
    4.781565107550054e-05, -0.00016176081582589674, 0.0005122859561685758,
    -0.0015135724506312532, 0.004156422944312888, -0.010564084894626197, 0.024726449030626516,
    -0.05294598120809499, 0.1026436586898471, -0.17641651835783406, 0.25258718644363365,
)  # fmt: skip
_I1E_B = (
    7.517296310842105e-18, 4.414348323071708e-18, -4.6503053684893586e-17,
    -3.209525921993424e-17, 2.96262899764595e-16, 3.3082023109209285e-16,
    -1.8803547755107825e-15, -3.8144030724370075e-15, 1.0420276984128802e-14,
    4.272440016711951e-14, -2.1015418427726643e-14, -4.0835511110921974e-13,
    -7.198551776245908e-13, 2.0356285441470896e-12, 1.4125807436613782e-11,
    3.2526035830154884e-11, -1.8974958123505413e-11, -5.589743462196584e-10,
    -3.835380385964237e-09, -2.6314688468895196e-08, -2.512236237870209e-07,
    -3.882564808877691e-06, -0.00011058893876262371, -0.009761097491361469,
    0.7785762350182801,
)  # fmt: skip
_NDTRI_P0 = (
    -59.96335010141079, 98.00107541859997, -56.67628574690703, 13.931260938727968,
    -1.2391658386738125,
)  # fmt: skip
_NDTRI_Q0 = (
    1.0, 1.9544885833814176, 4.676279128988815, 86.36024213908905, -225.46268785411937,
    200.26021238006066, -82.03722561683334, 15.90562251262117, -1.1833162112133,
)  # fmt: skip
_NDTRI_P1 = (
    4.0554489230596245, 31.525109459989388, 57.16281922464213, 44.08050738932008,
    14.684956192885803, 2.1866330685079025, -0.1402560791713545, -0.03504246268278482,
    -0.0008574567851546854,
)  # fmt: skip
_NDTRI_Q1 = (
    1.0, 15.779988325646675, 45.39076351288792, 41.3172038254672, 15.04253856929075,
    2.504649462083094, -0.14218292285478779, -0.03808064076915783, -0.0009332594808954574,
)  # fmt: skip
_NDTRI_P2 = (
    3.2377489177694603, 6.915228890689842, 3.9388102529247444, 1.3330346081580755,
    0.20148538954917908, 0.012371663481782003, 0.00030158155350823543, 2.6580697468673755e-06,
    6.239745391849833e-09,
)  # fmt: skip
_NDTRI_Q2 = (
    1.0, 6.02427039364742, 3.6798356385616087, 1.3770209948908132, 0.21623699359449663,
    0.013420400608854318, 0.00032801446468212774, 2.8924786474538068e-06,
    6.790194080099813e-09,
)  # fmt: skip
_ZETA_A = (
    12.0, -720.0, 30240.0, -1209600.0, 47900160.0, -1892437580.3183792, 74724249600.0,
    -2950130727918.164, 116467828143500.67, -4597978722407473.0, 1.8152105401943546e+17,
    -7.166165256175667e+18,
)  # fmt: skip
_K0_A = (
    1.374465435613523e-16, 4.25981614279661e-14, 1.0349695257633842e-11,
    1.904516377220209e-09, 2.5347910790261494e-07, 2.286212103119452e-05,
    0.001264615411446926, 0.0359799365153615, 0.3442898999246285, -0.5353273932339028,
)  # fmt: skip
_K0_B = (
    5.300433772686263e-18, -1.6475804301524212e-17, 5.2103915050390274e-17,
    -1.678231096805412e-16, 5.512055978524319e-16, -1.848593377343779e-15,
    6.3400764774050706e-15, -2.2275133269916698e-14, 8.032890775363575e-14,
    -2.9800969231727303e-13, 1.140340588208475e-12, -4.514597883373944e-12,
    1.8559491149547177e-11, -7.957489244477107e-11, 3.577397281400301e-10,
    -1.69753450938906e-09, 8.574034017414225e-09, -4.660489897687948e-08,
    2.766813639445015e-07, -1.8317555227191195e-06, 1.39498137188765e-05,
    -0.00012849549581627802, 0.0015698838857300533, -0.0314481013119645, 2.4403030820659555,
)  # fmt: skip
_K1_A = (
    -7.023863479386288e-18, -2.427449850519366e-15, -6.666901694199329e-13,
    -1.4114883926335278e-10, -2.213387630734726e-08, -2.4334061415659684e-06,
    -0.0001730288957513052, -0.006975723859639864, -0.12261118082265715, -0.3531559607765449,
    1.5253002273389478,
)  # fmt: skip
_K1_B = (
    -5.756744483665017e-18, 1.7940508731475592e-17, -5.689462558442859e-17,
    1.838093544366639e-16, -6.057047248373319e-16, 2.038703165624334e-15,
    -7.019837090418314e-15, 2.4771544244813043e-14, -8.976705182324994e-14,
    3.3484196660784293e-13, -1.2891739609510289e-12, 5.13963967348173e-12,
    -2.1299678384275683e-11, 9.218315187605006e-11, -4.1903547593418965e-10,
    2.015049755197033e-09, -1.0345762465678097e-08, 5.7410841254500495e-08,
    -3.5019606030878126e-07, 2.406484947837217e-06, -1.936197974166083e-05,
    0.00019521551847135162, -0.002857816859622779, 0.10392373657681724, 2.7206261904844427,
)  # fmt: skip
_J0_PP = (
    0.0007969367292973471, 0.08283523921074408, 1.239533716464143, 5.447250030587687,
    8.74716500199817, 5.303240382353949, 1.0,
)  # fmt: skip
_J0_PQ = (
    0.0009244088105588637, 0.08562884743544745, 1.2535274390105895, 5.470977403304171,
    8.761908832370695, 5.306052882353947, 1.0,
)  # fmt: skip
_J0_QP = (
    -0.011366383889846916, -1.2825271867050931, -19.553954425773597, -93.20601521237683,
    -177.68116798048806, -147.07750515495118, -51.41053267665993, -6.050143506007285,
)  # fmt: skip
_J0_QQ = (
    64.3178256118178, 856.4300259769806, 3882.4018360540163, 7240.467741956525,
    5930.727011873169, 2062.0933166032783, 242.0057402402914,
)  # fmt: skip
_J0_RP = (
    -4794432209.782018, 1956174919465.5657, -249248344360967.72, 9708622510473064.0,
)  # fmt: skip
_J0_RQ = (
    499.563147152651, 173785.4016763747, 48440965.83399621, 11185553704.535683,
    2112775201154.892, 310518229857422.56, 3.1812195594320496e+16, 1.7108629408104315e+18,
)  # fmt: skip
_J1_PP = (
    0.0007621256162081731, 0.07313970569409176, 1.1271960812968493, 5.112079511468076,
    8.424045901417724, 5.214515986823615, 1.0,
)  # fmt: skip
_J1_PQ = (
    0.0005713231280725487, 0.06884559087544954, 1.105142326340617, 5.073863861286015,
    8.399855543276042, 5.209828486823619, 1.0,
)  # fmt: skip
_J1_QP = (
    0.05108625947501766, 4.982138729512334, 75.82382841325453, 366.7796093601508,
    710.8563049989261, 597.4896124006136, 211.68875710057213, 25.207020585802372,
)  # fmt: skip
_J1_QQ = (
    74.23732770356752, 1056.4488603826283, 4986.410583376536, 9562.318924047562,
    7997.041604473507, 2826.1927851763908, 336.0936078106983,
)  # fmt: skip
_J1_RP = (
    -899971225.7055594, 452228297998.19403, -72749424522181.83, 3682957328638529.0,
)  # fmt: skip
_J1_RQ = (
    620.8364781180543, 256987.25675774884, 83514679.14319493, 22151159547.97925,
    4749141220799.914, 784369607876235.9, 8.952223361846274e+16, 5.322786203326801e+18,
)  # fmt: skip
_Y0_YP = (
    15592.436785523574, -14663929.59039716, 5435264770.518765, -982136065717.9115,
    87590639439536.7, -3466283033847297.0, 4.4273326857256984e+16, -1.8495080043698668e+16,
)  # fmt: skip
_Y0_YQ = (
    1041.2835366425984, 626107.330137135, 268919633.39381415, 86400248710.3935,
    20297961275010.555, 3171577528429750.5, 2.5059625617265306e+17,
)  # fmt: skip
_Y1_YP = (
    1263204747.9017804, -647355876379.1603, 114509511541823.73, -8127702555013251.0,
    2.024394757135949e+17, -7.788771962659501e+17,
)  # fmt: skip
_Y1_YQ = (
    594.3015923461282, 235564.09294306856, 73481194.44597217, 18760131610.870617,
    3882312774962.3857, 620557727146953.8, 6.871410873553005e+16, 3.9727060811656064e+18,
)  # fmt: skip
_AIRY_AN = (
    0.346538101525629, 12.007595273964581, 76.27960536152345, 168.08922493463058,
    159.75639135016442, 70.53609068404442, 14.026469116338967, 1.0,
)  # fmt: skip
_AIRY_AD = (
    0.5675945326387702, 14.75625625848472, 84.51389701414746, 177.31808814540045,
    164.2346928715297, 71.47784008255756, 14.095913560783403, 1.0,
)  # fmt: skip
_AIRY_AFN = (
    -0.1316963234183318, -0.6264565444319123, -0.6931580360369335, -0.2797799815451191,
    -0.04919001326095003, -0.004062659235948854, -0.0001592764962392621,
    -2.776491081552329e-06, -1.6778769848911465e-08,
)  # fmt: skip
_AIRY_AFD = (
    13.356042070655324, 32.682503279522464, 26.736704094149957, 9.187074029072596,
    1.4752914677166642, 0.11568717379518804, 0.004402916416152112, 7.547203482874142e-05,
    4.5185009297058035e-07,
)  # fmt: skip
_AIRY_AGN = (
    0.01973399320916857, 0.39110302961568827, 1.0657989759959559, 0.9391692298166502,
    0.35146565610554764, 0.06338889196289255, 0.005858041130483885, 0.000282851600836737,
    6.98793669997261e-06, 8.117892395543892e-08, 3.415517847659236e-10,
)  # fmt: skip
_AIRY_AGD = (
    9.30892908077442, 19.835292871831214, 15.564662893286462, 5.476860694229755,
    0.9542936116189619, 0.08645808263523921, 0.004126565238242226, 0.00010125908511650914,
    1.1716673321441352e-06, 4.9183457006293e-09,
)  # fmt: skip


# Temme's coefficients for the incomplete gammas (SciPy's igam.c ``d``, as in PyTorch's
# Math.h): row k holds c_k(eta)'s Taylor coefficients, eta^0 first.
_TEMME_D = xp.array((
    (-0.3333333333333333, 0.08333333333333333, -0.014814814814814815, 0.0011574074074074073,
     0.0003527336860670194, -0.0001787551440329218, 3.919263178522438e-05,
     -2.1854485106799924e-06, -1.85406221071516e-06, 8.296711340953087e-07,
     -1.7665952736826078e-07, 6.707853543401498e-09, 1.0261809784240309e-08,
     -4.382036018453353e-09, 9.14769958223679e-10, -2.551419399494625e-11, -5.830772132550426e-11,
     2.4361948020667415e-11, -5.0276692801141755e-12, 1.1004392031956135e-13,
     3.3717632624009856e-13, -1.392388722418162e-13, 2.8534893807047445e-14,
     -5.139111834242572e-16, -1.9752288294349442e-15),
    (-0.001851851851851852, -0.003472222222222222, 0.0026455026455026454, -0.0009902263374485596,
     0.00020576131687242798, -4.018775720164609e-07, -1.8098550334489977e-05,
     7.64916091608111e-06, -1.6120900894563446e-06, 4.647127802807434e-09, 1.378633446915721e-07,
     -5.752545603517705e-08, 1.1951628599778148e-08, -1.7543241719747647e-11,
     -1.0091543710600413e-09, 4.162792991842583e-10, -8.56390702649298e-11, 6.067215101604758e-14,
     7.1624989648114856e-12, -2.933186643771437e-12, 5.996696365683689e-13,
     -2.1671786527323313e-16, -4.978339972369262e-14, 2.0291628823713425e-14,
     -4.13125571381061e-15),
    (0.004133597883597883, -0.0026813271604938273, 0.0007716049382716049, 2.0093878600823047e-06,
     -0.00010736653226365161, 5.2923448829120125e-05, -1.2760635188618728e-05,
     3.423578734096138e-08, 1.3721957309062932e-06, -6.298992138380055e-07,
     1.4280614206064242e-07, -2.0477098421990866e-10, -1.409252991086752e-08,
     6.228974084922022e-09, -1.3670488396617112e-09, 9.428356159014678e-13,
     1.2872252400089318e-10, -5.5645956134363323e-11, 1.197593554636698e-11,
     -4.1689782251838634e-15, -1.0940640427884595e-12, 4.662239946390136e-13,
     -9.905105763906907e-14, 1.8931876768373515e-17, 8.859221872591127e-15),
    (0.0006494341563786008, 0.00022947209362139917, -0.0004691894943952557,
     0.00026772063206283885, -7.561801671883977e-05, -2.396505113867297e-07,
     1.1082654115347302e-05, -5.6749528269915965e-06, 1.4230900732435883e-06,
     -2.7861080291528143e-11, -1.6958404091930278e-07, 8.099464905388083e-08,
     -1.9111168485973655e-08, 2.3928620439808118e-12, 2.0620131815488797e-09,
     -9.460496661855133e-10, 2.1541049775774907e-10, -1.388823336813903e-14,
     -2.1894761681963938e-11, 9.790998951171684e-12, -2.178219188018096e-12,
     6.208819573407901e-17, 2.126978363279737e-13, -9.344688791517433e-14, 2.045367122678285e-14),
    (-0.0008618882909167117, 0.0007840392217200666, -0.0002990724803031902,
     -1.4638452578843418e-06, 6.641498215465122e-05, -3.968365047179435e-05,
     1.1375726970678419e-05, 2.507497226237533e-10, -1.6954149536558305e-06,
     8.907507532205309e-07, -2.292934834000805e-07, 2.956794137544049e-11, 2.8865829742708783e-08,
     -1.4189739437803219e-08, 3.4463580499464896e-09, -2.3024517174528067e-13,
     -3.9409233028046403e-10, 1.86023389685045e-10, -4.356323005056618e-11, 1.278600101629623e-15,
     4.67927502665792e-12, -2.149246470613483e-12, 4.908815614809652e-13, -6.33859148489156e-18,
     -5.045332069080094e-14),
    (-0.00033679855336635813, -6.972813758365858e-05, 0.0002772753244959392,
     -0.00019932570516188847, 6.797780477937208e-05, 1.419062920643967e-07,
     -1.3594048189768693e-05, 8.018470256334202e-06, -2.291481176508095e-06,
     -3.252473551298454e-10, 3.4652846491085265e-07, -1.8447187191171344e-07,
     4.8240967037894184e-08, -1.7989466721743514e-14, -6.306194500013523e-09,
     3.162417628774568e-09, -7.840924253697429e-10, 5.192679165254041e-15, 9.358944242306784e-11,
     -4.513426216163278e-11, 1.0799129993116828e-11, -3.661886712685252e-17,
     -1.210902069055155e-12, 5.680743584990564e-13, -1.3249659916340829e-13),
    (0.0005313079364639922, -0.0005921664373536939, 0.0002708782096718045, 7.902353232660328e-07,
     -8.153969367561969e-05, 5.61168275310625e-05, -1.8329116582843375e-05,
     -3.0796134506033047e-09, 3.465155368803609e-06, -2.0291327396058603e-06,
     5.788792863149004e-07, 2.338630673826657e-13, -8.828600746330484e-08, 4.7435958880408125e-08,
     -1.2545415020710382e-08, 8.649648858010293e-14, 1.6846058979264062e-09,
     -8.575492823577594e-10, 2.1598224929232125e-10, -7.613230520476153e-16,
     -2.6639822008536144e-11, 1.3065700536611057e-11, -3.1799163902367977e-12,
     4.710976121367431e-18, 3.6902800842763465e-13),
    (0.00034436760689237765, 5.171790908260592e-05, -0.00033493161081142234,
     0.0002812695154763237, -0.00010976582244684731, -1.2741009095484485e-07,
     2.7744451511563645e-05, -1.8263488805711332e-05, 5.7876949497350525e-06,
     4.93875893393627e-10, -1.0595367014026043e-06, 6.166714376110408e-07,
     -1.7562973359060463e-07, -1.297447328701544e-12, 2.695423606288966e-08,
     -1.4578352908731272e-08, 3.887645959386175e-09, -3.881002251019412e-17,
     -5.327994173877286e-10, 2.7437977643314844e-10, -6.995796092070568e-11,
     2.589986387486848e-17, 8.856689099669639e-12, -4.403168815871311e-12, 1.0865561947091654e-12),
    (-0.0006526239185953094, 0.0008394987206720873, -0.000438297098541721, -6.969091458420552e-07,
     0.00016644846642067547, -0.00012783517679769218, 4.629953263691304e-05,
     4.557909867922708e-09, -1.0595271125805195e-05, 6.783342904865167e-06,
     -2.1075476666258803e-06, -1.7213731432817144e-11, 3.773587741611098e-07,
     -2.1867506700122867e-07, 6.220228804018927e-08, 6.597703826733e-16, -9.590386497425686e-09,
     5.213214492280807e-09, -1.3991589583935709e-09, 5.382058999060575e-16,
     1.9484714275467745e-10, -1.0127287556389682e-10, 2.6077347197254926e-11,
     -5.090418699993299e-18, -3.3721464474854593e-12),
    (-0.0005967612901927463, -7.204895416020011e-05, 0.0006782308837667328,
     -0.0006401475260262758, 0.00027750107634328704, 1.819700838046515e-07,
     -8.479507117068503e-05, 6.105192082501531e-05, -2.1073920183404862e-05,
     -8.858589014125599e-10, 4.5284535953805374e-06, -2.8427815022504407e-06,
     8.708234177864641e-07, 3.6886101871706966e-12, -1.534469519070206e-07, 8.862466778790695e-08,
     -2.5184812301826817e-08, -1.0225912098215092e-14, 3.896947075815478e-09,
     -2.1267304792235634e-09, 5.737013552805138e-10, -1.887749850169741e-19,
     -8.093153869465787e-11, 4.23827232834492e-11, -1.1002224534207727e-11),
    (0.0013324454494800656, -0.0019144384985654776, 0.0011089369134596636, 9.9324041226423e-07,
     -0.0005087450129309319, 0.00042735056665392886, -0.000168588537679108, -8.1301893922785e-09,
     4.5284402370562144e-05, -3.127053674781734e-05, 1.044986828530338e-05,
     4.8435226265680926e-11, -2.148256587345626e-06, 1.329369701097492e-06,
     -4.029569309210103e-07, -1.756787766632329e-13, 7.014504316366825e-08,
     -4.040787734999483e-08, 1.1474026743371962e-08, 3.9642746853563326e-18,
     -1.7804938269892715e-09, 9.748026254873165e-10, -2.6405338676507616e-10,
     5.794875163403742e-18, 3.764774955354384e-11),
    (0.001579727660730835, 0.00016251626278391583, -0.0020633421035543276, 0.00213896861856891,
     -0.0010108559391263003, -3.99127055299192e-07, 0.0003623502508476469,
     -0.00028143901463712157, 0.00010449513336495887, 2.12114184918303e-09,
     -2.5779417251947842e-05, 1.7281818956040464e-05, -5.641377387290428e-06,
     -1.1024320105776174e-11, 1.1223224418895176e-06, -6.869339637952674e-07,
     2.0653236975414888e-07, 4.6714772409838506e-14, -3.5609886164949055e-08,
     2.0470855345905963e-08, -5.809173863328336e-09, -1.332821287582869e-16,
     9.035460439133513e-10, -4.959878251733084e-10, 1.3481607129399748e-10),
    (-0.004072512119514016, 0.00640336283380807, -0.004041016108167662, -2.183732802866233e-06,
     0.002174044180125464, -0.001970044051841889, 0.0008359546974796246, 1.9445447567109655e-08,
     -0.000257793871204217, 0.00019009987368139304, -6.769649993743896e-05,
     -1.4440629666426571e-10, 1.5712512518742267e-05, -1.0304008744776892e-05,
     3.304517767401387e-06, 7.982976024232571e-13, -6.4097794149313e-07, 3.8894624761300054e-07,
     -1.161834764494887e-07, -2.816808630596451e-15, 1.9878012911297094e-08,
     -1.1407719956357511e-08, 3.2355857064185554e-09, 4.175946829345594e-20,
     -5.042311271810582e-10),
    (-0.0059475779383993, -0.0005401647678926045, 0.00879104135507679, -0.009857631558785612,
     0.005013469503102154, 1.2807521786221875e-06, -0.0020626019342754685, 0.0017109128573523059,
     -0.000676953127141338, -6.901154567656214e-09, 0.00018855128143995903,
     -0.0001339521566349197, 4.626318303352804e-05, 4.003423061332135e-11,
     -1.0255652921494033e-05, 6.612086372797651e-06, -2.0913022027253007e-06,
     -2.0951775649603836e-13, 3.975602904199325e-07, -2.395621197881589e-07,
     7.118288338214586e-08, 8.925574873053455e-16, -1.2101547235064675e-08, 6.935061824833439e-09,
     -1.96614644538561e-09),
    (0.01740202778752271, -0.029527880945699123, 0.020045875571402798, 7.0289515966903405e-06,
     -0.012375421071343148, 0.011976293444235253, -0.0054156038466518525, -6.329089339641862e-08,
     0.0018855118129005065, -0.001473473274825001, 0.0005551581009770838, 5.240683441255066e-10,
     -0.00014357913535784837, 9.91812932249433e-05, -3.346083474947831e-05,
     -3.575583729109899e-12, 7.1560851960630075e-06, -4.551680262815553e-06,
     1.4236576649271474e-06, 1.8803149082089665e-14, -2.662340389892921e-07,
     1.5950642189595716e-07, -4.71875146738411e-08, -6.510787295875518e-17, 7.979509102674624e-09),
    (0.03024912416090589, 0.0024817436002649977, -0.049939134373457025, 0.05991564300930787,
     -0.03248320760162339, -5.721296865210344e-06, 0.015085251778569354, -0.013261324005088445,
     0.0055515262632426145, 3.026318225703001e-08, -0.0017229548406756724, 0.0012893570099929638,
     -0.00046845138348319875, -1.830259937893045e-10, 0.00011449739014822654,
     -7.737856522124447e-05, 2.5625836246985202e-05, 1.0766165333192815e-12,
     -5.324680928242262e-06, 3.349634863064464e-06, -1.0381253128684019e-06,
     -5.608909920621128e-15, 1.9150821930676592e-07, -1.1418365800203487e-07,
     3.3654425209171787e-08),
    (-0.09905102088015905, 0.17954011706123485, -0.12989606383463778, -3.1478872752284355e-05,
     0.09051063527684813, -0.0928288244111844, 0.04441211283987781, 2.7779236316835886e-07,
     -0.017229543805449696, 0.014182925050891573, -0.005621416163374734, -2.39598509186381e-09,
     0.0016029634366079909, -0.0011606784674435774, 0.00041001337768153875, 1.836580075409066e-11,
     -9.58442565636559e-05, 6.364306233776471e-05, -2.076250624489065e-05,
     -1.1806020912804483e-13, 4.213180823912065e-06, -2.626224133701247e-06,
     8.077062049493066e-07, 6.012591212363273e-16, -1.472973737401884e-07),
    (-0.19994542198219728, -0.015056113040026424, 0.36470239469348487, -0.4643519231173355,
     0.26640934719197895, 3.403826602714719e-05, -0.13784338709329624, 0.1276467178337056,
     -0.056213828755200985, -1.753150885483011e-07, 0.019235592956768112, -0.015088821281095314,
     0.005740185445135012, 1.0622382710310225e-09, -0.0015335082692563998, 0.0010819320643228215,
     -0.0003737251019394566, -6.617090972903199e-12, 8.426361738090962e-05,
     -5.515070682748348e-05, 1.776953644834807e-05, 3.882792321020553e-14, -3.53513697488768e-06,
     2.186583213004527e-06, -6.68128494476256e-07),
    (0.7243860850402943, -1.3918010932653375, 1.0654143352413967, 0.0001876173868950258,
     -0.827055011761527, 0.8935243334782842, -0.44971003995291337, -1.6107401567546651e-06,
     0.1923559016527109, -0.1659770216004261, 0.06888222268181433, 1.3910091724608687e-08,
     -0.02146911561508663, 0.016228980898865892, -0.005979601617258426, -1.1287469112826745e-10,
     0.0015167451119784856, -0.00104786342935539, 0.0003553907288912642, 8.170432211180152e-13,
     -7.77730134424524e-05, 5.029141389700772e-05, -1.6035083867000518e-05,
     1.2469354315487606e-14, 3.1369106244517616e-06),
    (1.6668949727276812, 0.1165462765994632, -3.3288393225018904, 4.469232548286404,
     -2.6977693045875806, -0.0002600667859891061, 1.5389017615694538, -1.4937962361134611,
     0.6888196463323315, 1.3077482004552384e-06, -0.2576296332559629, 0.21097676102125448,
     -0.08371440835921988, -7.792042888135476e-09, 0.0242679230648336, -0.017813678334552312,
     0.006397033038890006, 4.943080709048052e-11, -0.0015554602758465635, 0.0010561196919903215,
     -0.000352771844604729, 9.300233464502246e-14, 7.528585502655717e-05, -4.818651556915635e-05,
     1.5227271505597605e-05),
    (-6.618829886137293, 13.397985455142589, -10.789350606845145, -0.0014352254537875018,
     9.23336945961898, -10.456552819547769, 5.510552602903347, 1.2024439690716742e-05,
     -2.5762961164755818, 2.320744274538718, -1.0045728797216285, -1.0207833290021913e-07,
     0.3397509217116947, -0.2672051745075747, 0.10235252851562705, 8.432973048487163e-10,
     -0.027998284958442594, 0.020066274144976814, -0.007055436891508624, 1.9402238183698188e-12,
     0.0016562888105449611, -0.0011082898580743682, 0.0003654545161310169, -5.129003202697179e-11,
     -7.634010369686903e-05),
    (-17.112706061976095, -1.1208044642899115, 37.131966511885445, -52.29827102534896,
     33.058589696624615, 0.002479129897620022, -20.61089403411526, 20.88672775145582,
     -10.045703956517752, -1.2238783449063012e-05, 4.077013427422114, -3.473667358470195,
     1.4329352617312006, 7.135991441187971e-08, -0.4479725715911561, 0.3411266608064446,
     -0.12699786326594922, -2.895367726908153e-10, 0.03312577627825986, -0.023274087021036102,
     0.008039999350364889, -1.177805216235265e-09, -0.001832162489107167, 0.0012108282933588664,
     -0.0003947994124682252),
    (73.89033153567425, -156.80141270402274, 132.2177542759164, 0.013692876877324546,
     -123.66496885920151, 146.2068939106273, -80.36558772486535, -0.00011259851148881298,
     40.77013219617994, -38.21034001327303, 17.19522294277362, 9.351970795516835e-07,
     -6.271615990774704, 5.116899907185264, -2.0319658112299095, -4.950721558276154e-09,
     0.596263972943326, -0.44220765337238094, 0.16079998700166273, -2.4733786203223403e-08,
     -0.040307574759979765, 0.02784905074709787, -0.009475185899205422, 6.419922235909132e-06,
     0.002125018077469946),
    (212.1683709838252, 13.107863022633868, -496.9828593287175, 731.215952669692,
     -482.1382172089085, -0.028817248692894887, 326.167203029471, -343.8934028008712,
     171.95193870816232, 0.00014038077378096157, -75.2594195897599, 66.51969984520935,
     -28.447519748152462, -7.613702615875392e-07, 9.540223710530437, -7.517530111331138,
     2.894399756887196, -4.66121949995382e-07, -0.8061514959879409, 0.5848300657063102,
     -0.20845408972964957, 0.00014765818959305816, 0.05100043386375302, -0.03306625214188366,
     0.015109265210467774),
    (-989.5964309832236, 2192.555536090523, -1928.3586782723355, -0.15925738122215252,
     1956.9985945919857, -2407.2514765081555, 1375.6149959336497, 0.0012920735237496668,
     -752.5941715948055, 731.7166874220871, -341.37023466220063, -9.985739026060805e-06,
     133.56313181291574, -112.76295161252794, 46.31039609820446, -7.923738713361476e-06,
     -14.510726927018647, 11.111771248100563, -4.169081794527089, 0.0031008219800117806,
     1.1220095449981469, -0.7605237992614992, 0.36262236505085255, 0.2216867741940747,
     0.48683443692930506),
))  # fmt: skip

# zeta(2), ..., zeta(31), for lgamma1p's series: computed once, by zeta above.
_ZETA_INTEGERS = tuple(float(z) for z in zeta(xp.arange(2.0, 32.0), xp.ones(30)))
