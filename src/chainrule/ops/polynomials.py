"""``torch.special``'s orthogonal polynomials of degree ``n`` at ``x``: Chebyshev's T, U, V,
W and their shifted forms on [0, 1], Hermite's H (physicists') and He (probabilists'),
Laguerre's L and Legendre's P. PyTorch gives them no derivative (``non_differentiable``), so
they are :class:`Constant` ops, results that never require grad.

Computed as PyTorch computes them: the degree truncated to an integer (negative, nan or inf:
the value is 0), the three-term recurrence from P_0 and P_1, and for Chebyshev's polynomials
of high degree inside (-1, 1) the trigonometric forms (T_n(cos t) = cos(n t), ...), with
PyTorch's edge values at ±1 and its thresholds.

    >>> import chainrule as cr
    >>> cr.special.chebyshev_polynomial_t(cr.tensor([0.5, 2.0]), 3)   # 4 x^3 - 3 x
    tensor([-1., 26.])
"""

from __future__ import annotations

from typing import Any, ClassVar

from chainrule._array import xp
from chainrule.op import Constant
from chainrule.ops.elementwise import BROADCASTS
from chainrule.ops.pointwise import _as_tensor
from chainrule.tensor import Tensor

_INT64_RANGE = 2.0**63


def _degrees(n):  # type: ignore[no-untyped-def]
    """The degrees as int64, PyTorch's cast: floats truncated, and nan, inf and values beyond
    int64 negative (x86's conversion gives INT64_MIN there), so that the value is 0."""
    if n.dtype.kind != "f":
        return n.astype(xp.int64)
    # compared in float64: 2^63 cast to float16 is inf, with NumPy's overflow warning
    inside = xp.isfinite(n) & (xp.abs(n.astype(xp.float64)) < _INT64_RANGE)
    return xp.where(inside, xp.trunc(xp.where(inside, n, -1.0)), -1.0).astype(xp.int64)


def _recurrence(step, p, q, n, first, stop_at_nan=True):  # type: ignore[no-untyped-def]
    """P_n from P_0 = p and P_1 = q by ``P_(k+1) = step(k, P_k, P_(k-1))`` for k = first ...;
    each element stops at its own n (and, as in PyTorch, when its P_k is nan)."""
    active = n >= 2
    with xp.errstate(invalid="ignore", over="ignore"):
        for k in range(first, first + int(n.max(initial=0)) - 1):
            if stop_at_nan:
                active &= ~xp.isnan(q)
            if not active.any():
                break
            r = step(k, q, p)
            p, q = xp.where(active, q, p), xp.where(active, r, q)
            active &= n > k - first + 2
    return q


# Above which degree PyTorch takes the trigonometric form inside (-1, 1), and the first
# polynomial of each kind (P_0 is 1).
_CLOSED_FROM = {"t": 6, "u": 8, "v": 8, "w": 8}
_SHIFTED_CLOSED_FROM = {"t": 6, "u": 6, "v": 6, "w": 4}


def chebyshev(kind: str, y, n, shifted: bool):  # type: ignore[no-untyped-def]
    """T, U, V or W of degree n at y (y = 2x - 1 for the shifted ones), as PyTorch: ±1 and
    the parity values at y = ±1; inside (-1, 1) from a degree on the trigonometric forms
    T_n = cos(n t), U_n = sin((n + 1) t) / sin(t), V_n = cos((n + 1/2) t) / cos(t / 2),
    W_n = sin((n + 1/2) t) / sin(t / 2) with y = cos(t); else the recurrence
    P_(k+1) = 2 y P_k - P_(k-1) from 1 and T_1 = y, U_1 = 2y, V_1 = 2y - 1, W_1 = 2y + 1."""
    first = {"t": y, "u": y + y, "v": y + y - 1.0, "w": y + y + 1.0}[kind]
    inside = (n > (_SHIFTED_CLOSED_FROM if shifted else _CLOSED_FROM)[kind]) & (xp.abs(y) < 1.0)
    # the recurrence only where neither the trigonometric form nor an edge value gives the
    # value: it takes n steps (T_1e9(0.3) ran for hours; PyTorch's closed form is instant)
    stepped = xp.where(inside | (xp.abs(y) == 1.0), 0, n)
    value = _recurrence(lambda k, q, p: (y + y) * q - p, xp.ones_like(y), first, stepped, 2)
    value = xp.where(n == 1, first, xp.where(n == 0, 1.0, value))
    nf = n.astype(y.dtype)
    with xp.errstate(invalid="ignore", divide="ignore"):
        closed = _trigonometric(kind, xp.arccos(y), y, n, nf, shifted)
    value = xp.where(inside, closed, value)
    at_one = {"t": 1.0, "u": nf + 1, "v": 1.0, "w": 2 * nf + 1}[kind]
    at_minus_one = _parity(n, {"t": 1.0, "u": nf + 1, "v": 2 * nf + 1, "w": 1.0}[kind])
    value = xp.where(y == 1.0, at_one, xp.where(y == -1.0, at_minus_one, value))
    return xp.where(n < 0, 0.0, value)


def _trigonometric(kind, angle, y, n, nf, shifted):  # type: ignore[no-untyped-def]
    """The trigonometric forms, with PyTorch's values where their denominators round to
    their limits (U: sin(t) = 0; V: sin(t / 2) = 1; W: cos(t / 2) = 1, where the unshifted W
    takes 2n + 1 for y > 0 and the shifted one the parity value)."""
    if kind == "t":
        return xp.cos(nf * angle)
    if kind == "u":
        sine = xp.sin(angle)
        limit = (nf + 1) * xp.cos((nf + 1) * angle) / y
        return xp.where(sine != 0, xp.sin((nf + 1) * angle) / sine, limit)
    if kind == "v":
        ratio = xp.cos((nf + 0.5) * angle) / xp.cos(angle / 2.0)
        return xp.where(xp.sin(angle / 2.0) != 1.0, ratio, _parity(n, 2 * nf + 1))
    limit = _parity(n, 1.0) if shifted else xp.where(y > 0, 2 * nf + 1, _parity(n, 1.0))
    ratio = xp.sin((nf + 0.5) * angle) / xp.sin(angle / 2.0)
    return xp.where(xp.cos(angle / 2.0) != 1.0, ratio, limit)


def _parity(n, magnitude):  # type: ignore[no-untyped-def]
    """``magnitude`` for even n, ``-magnitude`` for odd."""
    return xp.where(n % 2 == 0, magnitude, -magnitude)


def hermite(x, n, probabilists: bool, limit: int):  # type: ignore[no-untyped-def]
    """H_n (H_(k+1) = 2x H_k - 2k H_(k-1), H_1 = 2x) or He_n (He_(k+1) = x He_k - k He_(k-1),
    He_1 = x); nan above degree ``limit`` (PyTorch's: 512 in float64, 128 in float32)."""
    stepped = xp.where(n > limit, 0, n)  # nan above the limit: no steps (n = 1e9 ran for hours)
    if probabilists:
        value = _recurrence(lambda k, q, p: x * q - k * p, xp.ones_like(x), x, stepped, 1, False)
        first = x
    else:
        first = x + x
        value = _recurrence(
            lambda k, q, p: (x + x) * q - 2 * k * p, xp.ones_like(x), first, stepped, 1, False
        )
    value = xp.where(n > limit, xp.nan, value)
    value = xp.where(n == 1, first, xp.where(n == 0, 1.0, value))
    return xp.where(n < 0, 0.0, value)


def laguerre(x, n):  # type: ignore[no-untyped-def]
    """L_n: (k + 1) L_(k+1) = (2k + 1 - x) L_k - k L_(k-1), L_1 = 1 - x; 1 at x = 0."""
    value = _recurrence(
        lambda k, q, p: (((k + k) + (1.0 - x)) * q - k * p) / (k + 1),
        xp.ones_like(x),
        1.0 - x,
        n,
        1,
    )
    value = xp.where(n == 1, 1.0 - x, xp.where((n == 0) | (x == 0), 1.0, value))
    return xp.where(n < 0, 0.0, value)


def legendre(x, n):  # type: ignore[no-untyped-def]
    """P_n: (k + 1) P_(k+1) = (2k + 1) x P_k - k P_(k-1), P_1 = x; ±1 at ±1."""
    value = _recurrence(
        lambda k, q, p: ((k + k + 1) * x * q - k * p) / (k + 1), xp.ones_like(x), x, n, 1
    )
    value = xp.where(n == 1, x, xp.where(n == 0, 1.0, value))
    value = xp.where(xp.abs(x) == 1.0, xp.where((x > 0) | (n % 2 == 0), 1.0, -1.0), value)
    return xp.where(n < 0, 0.0, value)


class Polynomial(Constant, abstract=True):
    """One family's polynomial of degree ``n`` at ``x``, elementwise with broadcasting, in
    the float dtype of ``x`` and ``n`` together (integers: float32)."""

    promotes = True
    batch_rule = BROADCASTS
    derivatives = ("- (PyTorch defines none)", "- (PyTorch defines none)")

    def forward(self, x, n):
        dtype = xp.result_type(x, n)
        dtype = dtype if dtype.kind == "f" else xp.dtype("float32")
        self.refuse_half(dtype)
        # Step by step in the result's dtype, as PyTorch: in float32 the values overflow
        # (to inf, then nan) where PyTorch's do.
        x, n = xp.broadcast_arrays(x.astype(dtype, copy=False), _degrees(n))
        return self.evaluate(x, n, dtype).astype(dtype, copy=False)

    def evaluate(self, x, n, dtype):  # type: ignore[no-untyped-def]
        raise NotImplementedError


class Chebyshev(Polynomial, abstract=True):
    kind: ClassVar[str] = "t"
    shifted: ClassVar[bool] = False

    def evaluate(self, x, n, dtype):
        return chebyshev(self.kind, x + x - 1.0 if self.shifted else x, n, self.shifted)


class ChebyshevPolynomialT(Chebyshev):
    half_missing = "chebyshev_polynomial_t_cpu"
    notation = "T_n(x)"


class ChebyshevPolynomialU(Chebyshev):
    half_missing = "chebyshev_polynomial_u_cpu"
    notation = "U_n(x)"
    kind = "u"


class ChebyshevPolynomialV(Chebyshev):
    half_missing = "chebyshev_polynomial_v_cpu"
    notation = "V_n(x)"
    kind = "v"


class ChebyshevPolynomialW(Chebyshev):
    half_missing = "chebyshev_polynomial_w_cpu"
    notation = "W_n(x)"
    kind = "w"


class ShiftedChebyshevPolynomialT(Chebyshev):
    half_missing = "shifted_chebyshev_polynomial_t_cpu"
    notation = "T_n(2x - 1)"
    shifted = True


class ShiftedChebyshevPolynomialU(Chebyshev):
    half_missing = "shifted_chebyshev_polynomial_u_cpu"
    notation = "U_n(2x - 1)"
    kind = "u"
    shifted = True


class ShiftedChebyshevPolynomialV(Chebyshev):
    half_missing = "shifted_chebyshev_polynomial_v_cpu"
    notation = "V_n(2x - 1)"
    kind = "v"
    shifted = True


class ShiftedChebyshevPolynomialW(Chebyshev):
    half_missing = "shifted_chebyshev_polynomial_w_cpu"
    notation = "W_n(2x - 1)"
    kind = "w"
    shifted = True


class HermitePolynomialH(Polynomial):
    half_missing = "hermite_polynomial_h_cpu"
    notation = "H_n(x)"

    def evaluate(self, x, n, dtype):
        return hermite(x, n, False, 512 if dtype == xp.float64 else 128)


class HermitePolynomialHe(Polynomial):
    half_missing = "hermite_polynomial_he_cpu"
    notation = "He_n(x)"

    def evaluate(self, x, n, dtype):
        return hermite(x, n, True, 512 if dtype == xp.float64 else 128)


class LaguerrePolynomialL(Polynomial):
    half_missing = "laguerre_polynomial_l_cpu"
    notation = "L_n(x)"

    def evaluate(self, x, n, dtype):
        return laguerre(x, n)


class LegendrePolynomialP(Polynomial):
    half_missing = "legendre_polynomial_p_cpu"
    notation = "P_n(x)"

    def evaluate(self, x, n, dtype):
        return legendre(x, n)


def _apply(op: Polynomial, name: str, x: Any, n: Any) -> Tensor:
    """``op`` at ``x`` and ``n``, either of which may be a number (not both, as PyTorch)."""
    if not isinstance(x, Tensor) and not isinstance(n, Tensor):
        raise TypeError(
            f"{name}() received an invalid combination of arguments - got "
            f"({type(x).__name__}, {type(n).__name__}), but expected one of:\n"
            " * (Tensor x, Tensor n)\n * (Number x, Tensor n)\n * (Tensor x, Number n)"
        )
    return op(_as_tensor(x), _as_tensor(n))


def chebyshev_polynomial_t(input: Any, n: Any) -> Tensor:  # noqa: A002
    """Chebyshev's polynomial of the first kind, T_n(x) (T_n(cos t) = cos(n t))."""
    return _apply(ChebyshevPolynomialT(), "special_chebyshev_polynomial_t", input, n)


def chebyshev_polynomial_u(input: Any, n: Any) -> Tensor:  # noqa: A002
    """Chebyshev's polynomial of the second kind, U_n(x)."""
    return _apply(ChebyshevPolynomialU(), "special_chebyshev_polynomial_u", input, n)


def chebyshev_polynomial_v(input: Any, n: Any) -> Tensor:  # noqa: A002
    """Chebyshev's polynomial of the third kind, V_n(x)."""
    return _apply(ChebyshevPolynomialV(), "special_chebyshev_polynomial_v", input, n)


def chebyshev_polynomial_w(input: Any, n: Any) -> Tensor:  # noqa: A002
    """Chebyshev's polynomial of the fourth kind, W_n(x)."""
    return _apply(ChebyshevPolynomialW(), "special_chebyshev_polynomial_w", input, n)


def shifted_chebyshev_polynomial_t(input: Any, n: Any) -> Tensor:  # noqa: A002
    """T_n(2x - 1), Chebyshev's first kind on [0, 1]."""
    return _apply(ShiftedChebyshevPolynomialT(), "special_shifted_chebyshev_polynomial_t", input, n)


def shifted_chebyshev_polynomial_u(input: Any, n: Any) -> Tensor:  # noqa: A002
    """U_n(2x - 1), Chebyshev's second kind on [0, 1]."""
    return _apply(ShiftedChebyshevPolynomialU(), "special_shifted_chebyshev_polynomial_u", input, n)


def shifted_chebyshev_polynomial_v(input: Any, n: Any) -> Tensor:  # noqa: A002
    """V_n(2x - 1), Chebyshev's third kind on [0, 1]."""
    return _apply(ShiftedChebyshevPolynomialV(), "special_shifted_chebyshev_polynomial_v", input, n)


def shifted_chebyshev_polynomial_w(input: Any, n: Any) -> Tensor:  # noqa: A002
    """W_n(2x - 1), Chebyshev's fourth kind on [0, 1]."""
    return _apply(ShiftedChebyshevPolynomialW(), "special_shifted_chebyshev_polynomial_w", input, n)


def hermite_polynomial_h(input: Any, n: Any) -> Tensor:  # noqa: A002
    """The physicists' Hermite polynomial H_n(x) (nan above degree 512, 128 in float32)."""
    return _apply(HermitePolynomialH(), "special_hermite_polynomial_h", input, n)


def hermite_polynomial_he(input: Any, n: Any) -> Tensor:  # noqa: A002
    """The probabilists' Hermite polynomial He_n(x) (nan above degree 512, 128 in float32)."""
    return _apply(HermitePolynomialHe(), "special_hermite_polynomial_he", input, n)


def laguerre_polynomial_l(input: Any, n: Any) -> Tensor:  # noqa: A002
    """Laguerre's polynomial L_n(x)."""
    return _apply(LaguerrePolynomialL(), "special_laguerre_polynomial_l", input, n)


def legendre_polynomial_p(input: Any, n: Any) -> Tensor:  # noqa: A002
    """Legendre's polynomial P_n(x)."""
    return _apply(LegendrePolynomialP(), "special_legendre_polynomial_p", input, n)
