"""Distributions of |X| for X of a family symmetric about 0 with a ``scale`` parameter: the
half-normal and the half-Cauchy. On x >= 0 the density is twice X's, the cdf is 2 F(x) - 1,
the quantile of p is X's at (p + 1) / 2, and the entropy is X's less log 2.

>>> import chainrule as cr
>>> from chainrule.distributions import HalfNormal
>>> HalfNormal(1.0).cdf(cr.tensor(0.0))
tensor(0.)
"""

from __future__ import annotations

import math
from typing import Any

from chainrule.distributions import constraints
from chainrule.distributions.transformed_distribution import TransformedDistribution
from chainrule.distributions.transforms import AbsTransform
from chainrule.factories import as_tensor, zeros_like
from chainrule.ops.elementwise import where


class FoldedAtZero(TransformedDistribution):
    """|X| for X ~ ``family(0, scale)``; a subclass names the family and gives the moments."""

    family: Any  # the distribution folded (Normal, Cauchy)
    #: Whether log_prob reads its value in the scale's dtype first (PyTorch's half-Cauchy
    #: does, its half-normal does not: a float64 value then gives a float64 result).
    casts_value = False
    arg_constraints = {"scale": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, scale: Any, validate_args: bool | None = None) -> None:
        base = self.family(0, scale, validate_args=False)
        super().__init__(base, AbsTransform(), validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> FoldedAtZero:
        new = self._get_checked_instance(type(self), _instance)
        return super().expand(batch_shape, _instance=new)  # type: ignore[return-value]

    @property
    def scale(self) -> Any:
        return self.base_dist.scale

    @property
    def mode(self) -> Any:
        return zeros_like(self.scale)

    def log_prob(self, value: Any) -> Any:
        if self._validate_args:
            self._validate_sample(value)
        if self.casts_value:
            value = as_tensor(value, dtype=self.scale.dtype)
        lp = self.base_dist.log_prob(value) + math.log(2)
        return where(value >= 0, lp, -math.inf)

    def cdf(self, value: Any) -> Any:
        if self._validate_args:
            self._validate_sample(value)
        return 2 * self.base_dist.cdf(value) - 1

    def icdf(self, prob: Any) -> Any:
        return self.base_dist.icdf((prob + 1) / 2)

    def entropy(self) -> Any:
        return self.base_dist.entropy() - math.log(2)
