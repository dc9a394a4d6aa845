"""``chainrule.special`` is ``torch.special``: the special functions under PyTorch's names
(``expit`` is ``sigmoid``, ``gammaln`` is ``lgamma``, ``psi`` is ``digamma``), and those
only this namespace has: ``entr``, ``ndtr``, ``log_ndtr`` and ``multigammaln``.

    >>> import chainrule as cr
    >>> cr.special.expit(cr.tensor([0.0])), cr.special.ndtr(cr.tensor([0.0]))
    (tensor([0.5000]), tensor([0.5000]))
"""

from __future__ import annotations

from typing import Any

from chainrule.ops import elementwise, nn_ops, pointwise, reduce
from chainrule.ops.special_ops import (  # (erfc: installed there by its declaration)
    digamma,
    entr,
    erfc,
    erfinv,
    lgamma,
    log_ndtr,
    multigammaln,
    ndtr,
    polygamma,
)
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
    "digamma", "entr", "erf", "erfc", "erfinv", "exp2", "expit", "expm1", "gammaln",
    "log1p", "log_ndtr", "log_softmax", "logit", "logsumexp", "multigammaln",
    "ndtr", "polygamma", "psi", "round", "sinc", "softmax", "xlogy",
]  # fmt: skip
