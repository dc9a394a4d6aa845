"""The special functions PyTorch programs call beyond ``erf``: ``erfc``, ``erfinv``,
``lgamma``, ``digamma`` and ``polygamma``, declared as elementwise ops whose derivatives are
the next functions of the family (lgamma' = digamma, digamma' = polygamma(1, .), ...), so
that every order differentiates. Their values come from :mod:`chainrule.ops.special`, in
NumPy to double precision (no SciPy needed).

    >>> import chainrule as cr
    >>> x = cr.tensor([0.5, 3.0], requires_grad=True)
    >>> cr.lgamma(x).sum().backward()
    >>> x.grad                                       # digamma(x)
    tensor([-1.9635,  0.9228])
"""

from __future__ import annotations

import math
from typing import Any

from chainrule import dtypes, memory_formats
from chainrule._array import xp
from chainrule._tensor_input import tensor_argument
from chainrule.arguments import integer
from chainrule.autodiff import backward
from chainrule.op import Constant, Op, _value
from chainrule.ops import cephes, dual, special
from chainrule.ops.elementwise import BROADCASTS, Unary, _floating, float_result_dtype
from chainrule.ops.pointwise import _as_tensor
from chainrule.tensor import Tensor


class Erfc(Unary):
    public = "erfc"
    sympy = "erfc"
    notation = "erfc(x)"
    derivatives = ("-2 / sqrt(pi) * exp(-x**2)",)

    def forward(self, x):
        return memory_formats.like_input(special.erfc(x), x)

    def partial(self, out, x):
        return (-2 / math.sqrt(math.pi)) * dual.exp(-x * x)


class Erfinv(Unary):
    """The inverse of ``erf`` on [-1, 1]: ±inf at ±1, nan outside."""

    notation = "erfinv(x)"
    derivatives = ("sqrt(pi) / 2 * exp(erfinv(x)**2)",)

    def forward(self, x):
        return memory_formats.like_input(special.erfinv(x), x)

    def partial(self, out, x):
        # erfinv(x) again from x, not the output: PyTorch's rule reads x alone, so the output
        # may change in place before the backward
        y = dual.erfinv(x)
        return (math.sqrt(math.pi) / 2) * dual.exp(y * y)


class Lgamma(Unary):
    """``log|Gamma(x)|``: inf at 0 and the negative integers."""

    notation = "lgamma(x)"
    derivatives = ("digamma(x)",)

    def forward(self, x):
        return special.lgamma(x)

    def partial(self, out, x):
        return _polygamma(x, 0)


class Polygamma(Unary):
    """The ``n``-th derivative of digamma (``n = 0``: digamma, ``d/dx lgamma``)."""

    notation = "polygamma(n, x)"
    derivatives = ("polygamma(n + 1, x)",)

    def __init__(self, n: int = 0) -> None:
        self.n = n

    def default_name(self) -> str:
        return "DigammaBackward0" if self.n == 0 else "PolygammaBackward0"

    def forward(self, x):
        return memory_formats.like_input(special.polygamma(self.n, x), x)

    def partial(self, out, x):
        return _polygamma(x, self.n + 1)


_polygamma = dual.both(lambda x, n: special.polygamma(n, x), lambda x, n: Polygamma(n)(x), "x, n")


class Entr(Unary):
    """``-x log(x)`` (the entropy of one probability): 0 at 0, -inf below, as PyTorch's."""

    half_in_float32 = False  # PyTorch's float16 entr and its gradient run in float16

    torch_name = "SpecialEntrBackward0"
    notation = "entr(x)"
    derivatives = ("-(1 + log(x))",)

    def forward(self, x):
        x = _floating(x)  # integers: the default float dtype, as PyTorch's
        with xp.errstate(divide="ignore", invalid="ignore"):
            out = -x * xp.log(x)
        out = xp.where(x == 0, 0, out)
        return xp.where(x < 0, -xp.inf, out).astype(out.dtype, copy=False)

    def partial(self, out, x):
        return -(1 + dual.log(x))  # inf at 0, nan below (the log's): PyTorch's


class Ndtr(Unary):
    """The standard normal distribution function ``(1 + erf(x / sqrt 2)) / 2``, from erfc so
    that the left tail keeps its relative precision."""

    torch_name = "SpecialNdtrBackward0"
    notation = "ndtr(x)"
    derivatives = ("exp(-x**2 / 2) / sqrt(2 pi)",)

    def forward(self, x):
        return memory_formats.like_input(_half(special.erfc(-_floating(x) * _SQRT_HALF)), x)

    def partial(self, out, x):
        return dual.exp(x * x * -0.5) * _NORMAL_DENSITY


class LogNdtr(Unary):
    """``log(ndtr(x))`` far into both tails: the log of erfc's continued fraction on the
    left (ndtr(-40) underflows, its log is -804.6), ``log1p`` of the small upper tail on the
    right."""

    half_missing = "log_ndtr_cpu"

    torch_name = "SpecialLogNdtrBackward0"
    notation = "log_ndtr(x)"
    derivatives = ("exp(-x**2 / 2 - log_ndtr(x)) / sqrt(2 pi)",)
    saves_output = True

    def forward(self, x):
        x = _floating(x)
        z = -x * _SQRT_HALF
        left = special.log_erfc(z) - math.log(2.0)
        with xp.errstate(invalid="ignore"):  # at -inf, the branch not taken
            right = xp.log1p(_half(-special.erfc(-z)))  # 1 - erfc(x / sqrt 2) / 2
        out = xp.where(x < 0, left, right).astype(left.dtype, copy=False)
        return memory_formats.like_input(out, x)

    def partial(self, out, x):
        return dual.exp(x * x * -0.5 - out) * _NORMAL_DENSITY


_SQRT_HALF = math.sqrt(0.5)
_NORMAL_DENSITY = 1 / math.sqrt(2 * math.pi)


def _half(x):  # type: ignore[no-untyped-def]
    return x * x.dtype.type(0.5)


def entr(input: Tensor) -> Tensor:  # noqa: A002
    """``-x log(x)``, 0 at 0 and -inf for negative ``x``.

    >>> import chainrule as cr
    >>> cr.special.entr(cr.tensor([0.0, 0.5, -1.0]))
    tensor([0.0000, 0.3466,   -inf])
    """
    return Entr()(input)


def ndtr(input: Tensor) -> Tensor:  # noqa: A002
    """The standard normal distribution function: the area under the bell curve left of x."""
    return Ndtr()(input)


def log_ndtr(input: Tensor) -> Tensor:  # noqa: A002
    """The log of :func:`ndtr`, accurate in both tails (-804.6 at x = -40)."""
    return LogNdtr()(input)


def multigammaln(input: Tensor, p: int) -> Tensor:  # noqa: A002
    """The log of the multivariate gamma function of dimension ``p``:
    ``p (p - 1) / 4 log(pi) + sum_i lgamma(x - i / 2)`` for ``i`` in 0 .. p - 1.
    A dimension below 1 is refused, as PyTorch refuses it (the sum would be empty: 0)."""
    p = integer(p, "mvlgamma", "p", 2)
    if input.dtype == dtypes.bool:  # PyTorch's check, before the sum's lgamma of a bool
        raise RuntimeError("The input tensor may not be a boolean tensor.")
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    terms = sum((lgamma(input - i / 2) for i in range(1, p)), lgamma(input))
    return terms + p * (p - 1) / 4 * math.log(math.pi)


# Plain functions, not declarations (``public``): the explainer's language has no digamma or
# polygamma to print their derivatives with.
def erfinv(input: Tensor) -> Tensor:  # noqa: A002
    """The inverse error function: ±inf at ±1, nan outside [-1, 1]."""
    return Erfinv()(input)


def lgamma(input: Tensor) -> Tensor:  # noqa: A002
    """``log|Gamma(x)|``, whose derivative is :func:`digamma`."""
    return Lgamma()(input)


def digamma(input: Tensor) -> Tensor:  # noqa: A002
    """The derivative of ``lgamma``: -inf at +0 (+inf at -0), nan at the negative integers."""
    return Polygamma(0)(input)


def polygamma(n: int, input: Tensor) -> Tensor:  # noqa: A002
    """The ``n``-th derivative of :func:`digamma` (``n >= 0``), PyTorch's argument order.

    >>> import chainrule as cr
    >>> cr.polygamma(1, cr.tensor([1.0]))            # pi^2 / 6
    tensor([1.6449])
    """
    n = integer(n, "polygamma", "n")  # a bool is refused, as PyTorch's (True was read as 1)
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    return Polygamma(n)(input)


# ---- the modified Bessel functions I0 and I1, ndtri, erfcx (values: ops/cephes.py)
def _on_float64(kernel, x):  # type: ignore[no-untyped-def]
    """``kernel`` (float64 in and out) on ``x``, the result in ``x``'s float dtype (integers
    and bools: float32, as PyTorch)."""
    z, dtype = special._float_input(x)
    with xp.errstate(over="ignore"):  # float64 values beyond float32's range: inf, as PyTorch
        return memory_formats.like_input(kernel(z).astype(dtype, copy=False), xp.asarray(x))


class I0(Unary):
    """The zeroth-order modified Bessel function of the first kind; its derivative is I1."""

    notation = "i0(x)"
    derivatives = ("i1(x)",)

    def forward(self, x):
        return _on_float64(cephes.i0, x)

    def partial(self, out, x):
        return _i1(x)


class I0e(Unary):
    """``exp(-|x|) I0(x)``: finite where I0 overflows (|x| > 713)."""

    half_in_float32 = False  # PyTorch's float16 i0e gradient runs in float16

    torch_name = "SpecialI0EBackward0"
    notation = "i0e(x)"
    derivatives = ("i1e(x) - sign(x) i0e(x)",)
    saves_output = True

    def forward(self, x):
        return _on_float64(cephes.i0e, x)

    def partial(self, out, x):
        return _i1e(x) - dual.sign(x) * out


class I1(Unary):
    """The first-order modified Bessel function; its derivative ``I0(x) - I1(x) / x`` is 1/2
    where |x| is at most the dtype's epsilon (PyTorch's ``i1_backward``)."""

    torch_name = "SpecialI1Backward0"
    notation = "i1(x)"
    derivatives = ("i0(x) - i1(x) / x",)
    saves_output = True

    def forward(self, x):
        return _on_float64(cephes.i1, x)

    def partial(self, out, x):
        dtypes.refuse_half(_value(x).dtype, "i1_backward")
        tiny, safe = _tiny(x)
        return dual.where(tiny, 0.5, _i0(safe) - out / safe)


class I1e(Unary):
    """``exp(-|x|) I1(x)``; its derivative ``i0e(x) - i1e(x) (sign(x) + 1 / x)`` is 1/2 where
    |x| is at most the dtype's epsilon (PyTorch's ``i1e_backward``)."""

    torch_name = "SpecialI1EBackward0"
    notation = "i1e(x)"
    derivatives = ("i0e(x) - i1e(x) (sign(x) + 1 / x)",)
    saves_output = True

    def forward(self, x):
        return _on_float64(cephes.i1e, x)

    def partial(self, out, x):
        dtypes.refuse_half(_value(x).dtype, "i1e_backward")
        tiny, safe = _tiny(x)
        return dual.where(tiny, 0.5, _i0e(safe) - out * (dual.sign(safe) + 1 / safe))


def _tiny(x):  # type: ignore[no-untyped-def]
    """Where |x| <= epsilon (or nan), and x with epsilon there: no 1 / 0 in the branch not
    taken."""
    eps = float(xp.finfo(x.dtype.name).eps)
    tiny = ~(dual.abs(x) > eps)  # nan too: PyTorch's where(|x| > eps, ..., 1/2)
    return tiny, dual.where(tiny, eps, x)


_i0 = dual.both(lambda x: _on_float64(cephes.i0, x), lambda x: I0()(x))
_i0e = dual.both(lambda x: _on_float64(cephes.i0e, x), lambda x: I0e()(x))
_i1 = dual.both(lambda x: _on_float64(cephes.i1, x), lambda x: I1()(x))
_i1e = dual.both(lambda x: _on_float64(cephes.i1e, x), lambda x: I1e()(x))


class Ndtri(Unary):
    """The inverse of :class:`Ndtr`: the x with ``ndtr(x) = p`` (±inf at 1 and 0, nan
    outside [0, 1]); its derivative is ``sqrt(2 pi) exp(ndtri(p)^2 / 2)``."""

    half_missing = "ndtri_cpu"

    torch_name = "SpecialNdtriBackward0"
    notation = "ndtri(p)"
    derivatives = ("sqrt(2 pi) exp(ndtri(p)**2 / 2)",)
    saves_inputs = False
    saves_output = True

    def forward(self, x):
        return _on_float64(cephes.ndtri, x)

    def partial(self, out, x):
        return dual.exp(out * out * 0.5) * math.sqrt(2 * math.pi)


class Erfcx(Unary):
    """The scaled complementary error function ``exp(x^2) erfc(x)``; its derivative is
    ``2 x erfcx(x) - 2 / sqrt(pi)``, which for x >= 10 is summed from its asymptotic series
    instead: there 2 x erfcx(x) is 2 / sqrt(pi) (1 - 1 / (2 x^2) + ...), and the difference
    lost ~2 x^2 ulps (erfcx'(700) was off by 1e-10, erfcx'(1e17) was +2.2e-16, not -5.6e-35,
    and the second derivatives by more)."""

    half_missing = "erfcx_cpu"

    torch_name = "SpecialErfcxBackward0"
    notation = "erfcx(x)"
    derivatives = ("2 x erfcx(x) - 2 / sqrt(pi)",)
    saves_output = True

    def forward(self, x):
        return _on_float64(cephes.erfcx, x)

    def partial(self, out, x):
        far = (x >= _ERFCX_FAR) & (x < math.inf)  # at inf PyTorch's nan (2 inf 0), kept
        safe = dual.where(far, x, _ERFCX_FAR)  # no 1 / 0 in the branch not taken
        u = 1 / (safe * safe)
        series = dual.typed(x, _ERFCX_SLOPE_SERIES[0])
        for c in _ERFCX_SLOPE_SERIES[1:]:
            series = series * u + c
        return dual.where(far, series * u, 2.0 * x * out - 2 / math.sqrt(math.pi))


# erfcx(x) ~ sum_k (-1)^k (2k - 1)!! / 2^k x^-(2k + 1) / sqrt(pi), so erfcx'(x) ~ sum_k
# (-1)^(k + 1) (2k + 1)!! / 2^k x^-(2k + 2) / sqrt(pi): its coefficients in powers of 1 / x^2,
# highest first for Horner's rule. From x = 10 the 16 terms reach double precision (the
# last is 1e-17 of the first).
_ERFCX_FAR = 10.0
_ERFCX_SLOPE_SERIES = tuple(
    (-1) ** (k + 1) * math.prod(range(1, 2 * k + 2, 2)) / 2**k / math.sqrt(math.pi)
    for k in range(15, -1, -1)
)


# ---- two-argument functions: xlog1py, the incomplete gammas, Hurwitz's zeta
class XLog1Py(Op):
    """``x * log1p(y)``, 0 where x is 0 (unless y is nan). The derivatives are PyTorch's:
    ``log1p(y)`` by x (as ``xlog1py(g, y)``: 0 where g is 0, and 0 where x = 0 and y <= -1,
    where log1p is -inf) and ``x / (1 + y)`` by y."""

    promotes = "float"  # of integers in float32
    batch_rule = BROADCASTS
    torch_name = "SpecialXlog1PyBackward0"
    notation = "x log1p(y)"
    derivatives = ("log1p(y)", "x / (1 + y)")

    def forward(self, x, y):
        dtype = float_result_dtype(x, y)  # a number operand unrounded in it
        x, y = xp.asarray(x, dtype=dtype), xp.asarray(y, dtype=dtype)
        with xp.errstate(divide="ignore", invalid="ignore"):
            return xp.where((x == 0) & ~xp.isnan(y), dtype.type(0), x * xp.log1p(y))

    def vjp(self, g, out, x, y):
        return (
            self._by_x(g, x, y) if self.needs[0] else None,
            g * x / (y + 1) if self.needs[1] else None,
        )

    def jvp(self, tangents, out, x, y):
        tx, ty = tangents
        total = None if tx is None else self._by_x(tx, x, y)
        if ty is not None:
            term = ty * x / (y + 1)
            total = term if total is None else total + term
        return total

    @staticmethod
    def _by_x(g, x, y):  # type: ignore[no-untyped-def]
        return dual.where((x == 0) & (y <= -1), 0.0, _xlog1py(g, y))


_xlog1py = dual.both(
    lambda g, y: XLog1Py().forward(g, y), lambda g, y: XLog1Py()(g, y), "g, y", ("g", "y")
)


class Igamma(Op):
    """The regularized lower incomplete gamma function P(a, x); PyTorch has no derivative
    by a (backward and forward mode refuse it), and by x it is ``x^(a-1) e^-x / Gamma(a)``
    (:class:`IgammaDensity`). :class:`Igammac`, Q = 1 - P, is the same with the opposite
    sign."""

    promotes = True  # two integer tensors are refused, as in PyTorch
    batch_rule = BROADCASTS
    notation = "igamma(a, x)"
    derivatives = ("(none: not implemented)", "x**(a - 1) exp(-x) / Gamma(a)")
    kernel = "igamma"
    sign = 1.0

    def forward(self, a, x):
        dtype = _float_pair(a, x, f"{self.kernel}_cpu")
        p, q = cephes.gamma_parts(a.astype(xp.float64), x.astype(xp.float64))
        return memory_formats.like_input(
            (p if self.sign > 0 else q).astype(dtype, copy=False), a, x
        )

    def vjp(self, g, out, a, x):
        if self.needs[0] and backward.input_wanted(self, 0):
            _refuse_derivative(f"{self.kernel}: input")
        return (None, g * self._density(a, x))

    def jvp(self, tangents, out, a, x):
        _refuse_forward_mode(self.kernel)

    def _density(self, a, x):  # type: ignore[no-untyped-def]
        return _igamma_density(a, x) * self.sign


class Igammac(Igamma):
    """The regularized upper incomplete gamma function Q(a, x) = 1 - P(a, x)."""

    notation = "igammac(a, x)"
    derivatives = ("(none: not implemented)", "-x**(a - 1) exp(-x) / Gamma(a)")
    kernel = "igammac"
    sign = -1.0


class IgammaDensity(Op):
    """The derivative of :class:`Igamma` by x, ``x^(a-1) e^-x / Gamma(a)``, as one op:
    igamma's backward records it under ``create_graph``. PyTorch's formula,
    exp((a - 1) log(x) - x - lgamma(a)), and its values at the edges, except for a >= 20,
    where its terms cancel (2.5e-7 relative at a = x = 1e8, nothing left from ~1e15 on) and
    the value comes from log1pmx((x - a) / a) and Stirling's series instead
    (:func:`cephes.gamma_density`). Its derivatives are that formula's: the density times
    log(x) - digamma(a) by a, times (a - 1) / x - 1 by x."""

    promotes = True
    batch_rule = BROADCASTS
    notation = "x**(a - 1) exp(-x) / Gamma(a)"
    derivatives = (
        "x**(a - 1) exp(-x) / Gamma(a) (log(x) - digamma(a))",
        "x**(a - 1) exp(-x) / Gamma(a) ((a - 1) / x - 1)",
    )
    saves_output = True

    def forward(self, a, x):
        dtype = _float_pair(a, x, "igamma_density")
        out = cephes.gamma_density(a.astype(xp.float64), x.astype(xp.float64))
        return out.astype(dtype, copy=False)

    def vjp(self, g, out, a, x):
        return (
            g * out * self._by_a(a, x) if self.needs[0] else None,
            g * out * self._by_x(a, x) if self.needs[1] else None,
        )

    def jvp(self, tangents, out, a, x):
        ta, tx = tangents
        total = None if ta is None else ta * self._by_a(a, x)
        if tx is not None:
            term = tx * self._by_x(a, x)
            total = term if total is None else total + term
        return out * total

    @staticmethod
    def _by_a(a, x):  # type: ignore[no-untyped-def]
        return dual.log(x) - _polygamma(a, 0)

    @staticmethod
    def _by_x(a, x):  # type: ignore[no-untyped-def]
        return (a - x - 1) / x  # not (a - 1) / x - 1, 0 at a = x = 1e30


_igamma_density = dual.both(
    lambda a, x: IgammaDensity().forward(a, x),
    lambda a, x: IgammaDensity()(a, x),
    "a, x",
    ("a", "x"),
)


def _float_pair(a, b, kernel):  # type: ignore[no-untyped-def]
    """The float dtype of a two-argument float kernel (both promoted already); two integer
    or bool operands are refused as PyTorch refuses them."""
    dtype = xp.result_type(a, b)
    if dtype.kind != "f":
        raise dtypes.not_implemented_for(kernel, dtype)
    return dtype


def _refuse_derivative(name: str) -> None:
    """PyTorch's error for a derivative its formulas leave out (``not_implemented``)."""
    raise NotImplementedError(f"the derivative for '{name}' is not implemented.")


def _refuse_forward_mode(name: str) -> None:
    """PyTorch's error for forward mode through an op it gives no forward-mode rule (igamma,
    igammac, zeta: not even for the argument whose backward it has)."""
    raise NotImplementedError(
        f"Trying to use forward AD with {name} that does not support it because it has not "
        "been implemented yet."
    )


class Zeta(Op):
    """Hurwitz's zeta function ``zeta(x, q) = sum_k (k + q)^-x``; PyTorch has no derivative
    by x, and by q it is ``-x zeta(x + 1, q)``."""

    promotes = "float"  # of integers in float32
    batch_rule = BROADCASTS
    torch_name = "SpecialZetaBackward0"
    half_missing = "zeta_cpu"
    notation = "zeta(x, q)"
    derivatives = ("(none: not implemented)", "-x zeta(x + 1, q)")

    def forward(self, x, q):
        dtype = float_result_dtype(x, q)
        self.refuse_half(dtype)
        out = cephes.zeta(xp.asarray(x, dtype=xp.float64), xp.asarray(q, dtype=xp.float64))
        return memory_formats.like_input(out.astype(dtype, copy=False), x, q)  # a number unrounded

    def vjp(self, g, out, x, q):
        if self.needs[0] and backward.input_wanted(self, 0):
            _refuse_derivative("zeta")
        return (None, g * self._slope(x, q))

    def jvp(self, tangents, out, x, q):
        _refuse_forward_mode("special_zeta")

    @staticmethod
    def _slope(x, q):  # type: ignore[no-untyped-def]
        return -x * _zeta(x + 1, q)


_zeta = dual.both(lambda x, q: Zeta().forward(x, q), lambda x, q: Zeta()(x, q), "x, q", ("x", "q"))


# ---- float steps and integer divisors
class NextAfter(Op):
    """The next float after x towards y (x itself where they are equal). PyTorch's
    derivatives: 1 by x where x != y (0 where equal), 0 by y."""

    promotes = True
    batch_rule = BROADCASTS
    notation = "nextafter(x, y)"
    derivatives = ("1 where x != y, else 0", "0")

    def forward(self, x, y):
        _float_pair(x, y, "nextafter_cpu")
        return xp.nextafter(x, y)

    def vjp(self, g, out, x, y):
        return (
            dual.where(x != y, g, 0.0) if self.needs[0] else None,
            dual.zeros_like(g) if self.needs[1] else None,
        )

    def jvp(self, tangents, out, x, y):
        tx = tangents[0]
        return dual.zeros_like(out) if tx is None else dual.where(x != y, tx, 0.0)


class Gcd(Constant):
    """The greatest common divisor of two integer tensors (non-negative; gcd(0, 0) = 0)."""

    promotes = True
    batch_rule = BROADCASTS
    notation = "gcd(a, b)"
    derivatives = ("-", "-")

    def forward(self, a, b):
        _integer_pair(a, b, "gcd_cpu")
        return xp.gcd(a, b)


class Lcm(Constant):
    """The least common multiple of two integer tensors (non-negative; 0 with a 0)."""

    promotes = True
    batch_rule = BROADCASTS
    notation = "lcm(a, b)"
    derivatives = ("-", "-")

    def forward(self, a, b):
        _integer_pair(a, b, "lcm_cpu")
        # PyTorch's abs(a / gcd * b) in C++, where the product wraps (NumPy's
        # abs(a) / gcd * abs(b) wraps otherwise: int32 -2147483647 and 2147483646 give
        # 2147483646 there, -2147483646 here), 8- and 16-bit types in int before the cast back
        # (int8 6 and 127: abs(762) cast to -6, not abs(-6)); 0 where the gcd is
        gcd = xp.gcd(a, b)
        dividend = a.astype(xp.int32) if gcd.itemsize < 4 else a
        with xp.errstate(over="ignore"):
            out = xp.abs(dividend // xp.where(gcd == 0, 1, gcd) * b)
        return xp.where(gcd == 0, 0, out).astype(gcd.dtype, copy=False)


def _integer_pair(a, b, kernel):  # type: ignore[no-untyped-def]
    """PyTorch's refusal of gcd and lcm of floats or bools (promoted already)."""
    dtype = xp.result_type(a, b)
    if dtype.kind not in "iu":
        raise dtypes.not_implemented_for(kernel, dtype)


# ---- the public functions
def i0(input: Tensor) -> Tensor:  # noqa: A002
    """The zeroth-order modified Bessel function of the first kind, ``I0``.

    >>> import chainrule as cr
    >>> cr.i0(cr.tensor([0.0, 1.0, -2.0]))
    tensor([1.0000, 1.2661, 2.2796])
    """
    return I0()(input)


def i0e(input: Tensor) -> Tensor:  # noqa: A002
    """``exp(-|x|) I0(x)``, the exponentially scaled :func:`i0`."""
    return I0e()(input)


def i1(input: Tensor) -> Tensor:  # noqa: A002
    """The first-order modified Bessel function of the first kind, ``I1`` (odd)."""
    return I1()(input)


def i1e(input: Tensor) -> Tensor:  # noqa: A002
    """``exp(-|x|) I1(x)``, the exponentially scaled :func:`i1`."""
    return I1e()(input)


def ndtri(input: Tensor) -> Tensor:  # noqa: A002
    """The inverse of :func:`ndtr`: the standard normal quantile of ``p``.

    >>> import chainrule as cr
    >>> cr.special.ndtri(cr.tensor([0.5, 0.975, 0.0]))
    tensor([0.0000, 1.9600,   -inf])
    """
    return Ndtri()(input)


def erfcx(input: Tensor) -> Tensor:  # noqa: A002
    """The scaled complementary error function ``exp(x^2) erfc(x)``, finite far to the right
    (``~1 / (sqrt(pi) x)``) where erfc underflows."""
    return Erfcx()(input)


def xlog1py(input: Any, other: Any) -> Tensor:  # noqa: A002
    """``input * log1p(other)``, 0 where ``input`` is 0 (unless ``other`` is nan); either may
    be a number.

    >>> import chainrule as cr
    >>> cr.special.xlog1py(cr.tensor([0.0, 2.0]), cr.tensor([-1.0, 1.0]))
    tensor([0.0000, 1.3863])
    """
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        input = _as_tensor(input)  # noqa: A001 - two numbers: a 0-d tensor of the first
    return XLog1Py()(input, other)  # a number stays a weak Python number, as in PyTorch


def igamma(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """The regularized lower incomplete gamma function ``P(a, x)``, ``a = input``.

    >>> import chainrule as cr
    >>> cr.igamma(cr.tensor([1.0, 2.0]), cr.tensor([1.0, 1.0]))   # 1 - e^-1, 1 - 2 e^-1
    tensor([0.6321, 0.2642])
    """
    return _incomplete_gamma(Igamma(), "igamma", input, other)


def igammac(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """The regularized upper incomplete gamma function ``Q(a, x) = 1 - P(a, x)``."""
    return _incomplete_gamma(Igammac(), "igammac", input, other)


def gammainc(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """``torch.special.gammainc``: :func:`igamma`."""
    return _incomplete_gamma(Igamma(), "special_gammainc", input, other)


def gammaincc(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """``torch.special.gammaincc``: :func:`igammac`."""
    return _incomplete_gamma(Igammac(), "special_gammaincc", input, other)


def _incomplete_gamma(op: Igamma, name: str, a: Tensor, x: Tensor) -> Tensor:
    tensor_argument(name, a)
    tensor_argument(name, x, 2, "other")
    return op(a, x)


def zeta(input: Any, other: Any) -> Tensor:  # noqa: A002
    """Hurwitz's zeta function ``sum_k (k + q)^-x`` (``x = input``, ``q = other``; one of
    them may be a number). ``zeta(x, 1)`` is Riemann's.

    >>> import chainrule as cr
    >>> cr.special.zeta(cr.tensor([2.0, 4.0]), 1.0)      # pi^2 / 6, pi^4 / 90
    tensor([1.6449, 1.0823])
    """
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError(
            "special_zeta() received an invalid combination of arguments - got "
            f"({type(input).__name__}, {type(other).__name__}), but expected one of:\n"
            " * (Tensor input, Tensor other)\n * (Number self, Tensor other)\n"
            " * (Tensor input, Number other)"
        )
    return Zeta()(input, other)  # a number stays a weak Python number, as in PyTorch


def nextafter(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """The next float after each element of ``input`` towards ``other``.

    >>> import chainrule as cr
    >>> cr.nextafter(cr.tensor([1.0], dtype=cr.float64), cr.tensor([2.0], dtype=cr.float64)) - 1
    tensor([2.2204e-16], dtype=chainrule.float64)
    """
    return NextAfter()(input, other)


def gcd(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """The elementwise greatest common divisor of two integer tensors.

    >>> import chainrule as cr
    >>> cr.gcd(cr.tensor([4, -6, 0]), cr.tensor([6, 9, 0]))
    tensor([2, 3, 0])
    """
    return Gcd()(input, other)


def lcm(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """The elementwise least common multiple of two integer tensors (non-negative)."""
    return Lcm()(input, other)
