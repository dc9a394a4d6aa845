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

from chainrule._array import xp
from chainrule.ops import dual, special
from chainrule.ops.elementwise import Unary
from chainrule.tensor import Tensor


class Erfc(Unary):
    public = "erfc"
    sympy = "erfc"
    notation = "erfc(x)"
    derivatives = ("-2 / sqrt(pi) * exp(-x**2)",)

    def forward(self, x):
        return special.erfc(x)

    def partial(self, out, x):
        return (-2 / math.sqrt(math.pi)) * dual.exp(-x * x)


class Erfinv(Unary):
    """The inverse of ``erf`` on [-1, 1]: ±inf at ±1, nan outside."""

    notation = "erfinv(x)"
    derivatives = ("sqrt(pi) / 2 * exp(erfinv(x)**2)",)
    saves_inputs = False
    saves_output = True

    def forward(self, x):
        return special.erfinv(x)

    def partial(self, out, x):
        return (math.sqrt(math.pi) / 2) * dual.exp(out * out)


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
        return special.polygamma(self.n, x)

    def partial(self, out, x):
        return _polygamma(x, self.n + 1)


_polygamma = dual.both(lambda x, n: special.polygamma(n, x), lambda x, n: Polygamma(n)(x), "x, n")


class Entr(Unary):
    """``-x log(x)`` (the entropy of one probability): 0 at 0, -inf below, as PyTorch's."""

    torch_name = "SpecialEntrBackward0"
    notation = "entr(x)"
    derivatives = ("-(1 + log(x))",)

    def forward(self, x):
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
        return _half(special.erfc(-x * _SQRT_HALF))

    def partial(self, out, x):
        return dual.exp(x * x * -0.5) * _NORMAL_DENSITY


class LogNdtr(Unary):
    """``log(ndtr(x))`` far into both tails: the log of erfc's continued fraction on the
    left (ndtr(-40) underflows, its log is -804.6), ``log1p`` of the small upper tail on the
    right."""

    torch_name = "SpecialLogNdtrBackward0"
    notation = "log_ndtr(x)"
    derivatives = ("exp(-x**2 / 2 - log_ndtr(x)) / sqrt(2 pi)",)
    saves_output = True

    def forward(self, x):
        z = -x * _SQRT_HALF
        left = special.log_erfc(z) - math.log(2.0)
        with xp.errstate(invalid="ignore"):  # at -inf, the branch not taken
            right = xp.log1p(_half(-special.erfc(-z)))  # 1 - erfc(x / sqrt 2) / 2
        return xp.where(x < 0, left, right).astype(left.dtype, copy=False)

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
    ``p (p - 1) / 4 log(pi) + sum_i lgamma(x - i / 2)`` for ``i`` in 0 .. p - 1."""
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
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    return Polygamma(n)(input)
