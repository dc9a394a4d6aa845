"""``chainrule.special`` is ``torch.special``: the special functions under PyTorch's names
(``expit`` is ``sigmoid``, ``gammaln`` is ``lgamma``, ``psi`` is ``digamma``, ``gammainc``
is ``igamma``), and those only this namespace has: ``entr``, ``ndtr``, ``log_ndtr``,
``ndtri``, ``erfcx``, ``xlog1py``, ``zeta``, the scaled Bessel functions ``i0e`` and
``i1e``, ``multigammaln``, and the functions PyTorch gives no derivative: the Bessel
functions (:mod:`chainrule.ops.bessel`) and the orthogonal polynomials
(:mod:`chainrule.ops.polynomials`).

    >>> import chainrule as cr
    >>> cr.special.expit(cr.tensor([0.0])), cr.special.ndtr(cr.tensor([0.0]))
    (tensor([0.5000]), tensor([0.5000]))
"""

from __future__ import annotations

from typing import Any

from chainrule.ops import elementwise, nn_ops, pointwise, reduce
from chainrule.ops.bessel import (
    airy_ai,
    bessel_j0,
    bessel_j1,
    bessel_y0,
    bessel_y1,
    modified_bessel_i0,
    modified_bessel_i1,
    modified_bessel_k0,
    modified_bessel_k1,
    scaled_modified_bessel_k0,
    scaled_modified_bessel_k1,
    spherical_bessel_j0,
)
from chainrule.ops.polynomials import (
    chebyshev_polynomial_t,
    chebyshev_polynomial_u,
    chebyshev_polynomial_v,
    chebyshev_polynomial_w,
    hermite_polynomial_h,
    hermite_polynomial_he,
    laguerre_polynomial_l,
    legendre_polynomial_p,
    shifted_chebyshev_polynomial_t,
    shifted_chebyshev_polynomial_u,
    shifted_chebyshev_polynomial_v,
    shifted_chebyshev_polynomial_w,
)
from chainrule.ops.special_ops import (  # (erfc: installed there by its declaration)
    digamma,
    entr,
    erfc,
    erfcx,
    erfinv,
    gammainc,
    gammaincc,
    i0,
    i0e,
    i1,
    i1e,
    lgamma,
    log_ndtr,
    multigammaln,
    ndtr,
    ndtri,
    polygamma,
    xlog1py,
    zeta,
)
from chainrule.out import give_out
from chainrule.tensor import Tensor

expit = elementwise.sigmoid
erf, exp2, expm1, log1p = elementwise.erf, elementwise.exp2, elementwise.expm1, elementwise.log1p
gammaln, psi = lgamma, digamma
logit, sinc, xlogy = pointwise.logit, pointwise.sinc, pointwise.xlogy
logsumexp = reduce.logsumexp


def round(input: Tensor, *, decimals: int = 0) -> Tensor:  # noqa: A001, A002
    """``torch.round``: halves to even, at ``decimals`` places."""
    return elementwise.round(input, decimals=decimals)


def softmax(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:  # noqa: A002
    """``torch.softmax`` (``dtype``: the input is cast to it first)."""
    return nn_ops.softmax(input if dtype is None else input.to(dtype), dim)


def log_softmax(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:  # noqa: A002
    """``torch.log_softmax`` (``dtype``: the input is cast to it first)."""
    return nn_ops.log_softmax(input if dtype is None else input.to(dtype), dim)


__all__ = [
    "airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "chebyshev_polynomial_t",
    "chebyshev_polynomial_u", "chebyshev_polynomial_v", "chebyshev_polynomial_w", "digamma",
    "entr", "erf", "erfc", "erfcx", "erfinv", "exp2", "expit", "expm1", "gammainc",
    "gammaincc", "gammaln", "hermite_polynomial_h", "hermite_polynomial_he", "i0", "i0e",
    "i1", "i1e", "laguerre_polynomial_l", "legendre_polynomial_p", "log1p", "log_ndtr",
    "log_softmax", "logit", "logsumexp", "modified_bessel_i0", "modified_bessel_i1",
    "modified_bessel_k0", "modified_bessel_k1", "multigammaln", "ndtr", "ndtri", "polygamma",
    "psi", "round", "scaled_modified_bessel_k0", "scaled_modified_bessel_k1",
    "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u",
    "shifted_chebyshev_polynomial_v", "shifted_chebyshev_polynomial_w", "sinc", "softmax",
    "spherical_bessel_j0", "xlog1py", "xlogy", "zeta",
]  # fmt: skip

# PyTorch's out= (chainrule.out), on the functions that do not take it from their declaration
# (erf, erfc, exp2, expit, expm1, log1p do); tests/test_out_every_function.py checks them.
give_out(
    globals(),
    "airy_ai bessel_j0 bessel_j1 bessel_y0 bessel_y1 chebyshev_polynomial_t "
    "chebyshev_polynomial_u chebyshev_polynomial_v chebyshev_polynomial_w digamma entr erfcx "
    "erfinv gammainc gammaincc gammaln hermite_polynomial_h hermite_polynomial_he i0 i0e i1 "
    "i1e laguerre_polynomial_l legendre_polynomial_p log_ndtr logit logsumexp "
    "modified_bessel_i0 modified_bessel_i1 modified_bessel_k0 modified_bessel_k1 multigammaln "
    "ndtr ndtri polygamma psi scaled_modified_bessel_k0 scaled_modified_bessel_k1 "
    "shifted_chebyshev_polynomial_t shifted_chebyshev_polynomial_u "
    "shifted_chebyshev_polynomial_v shifted_chebyshev_polynomial_w sinc spherical_bessel_j0 "
    "xlog1py xlogy zeta",
)
give_out(globals(), "round", exact=True)
