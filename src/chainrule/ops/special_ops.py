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
