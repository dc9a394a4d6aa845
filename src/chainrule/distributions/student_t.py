"""Student's t distribution with ``df`` degrees of freedom, location and scale.

>>> import chainrule as cr
>>> StudentT(1.0).log_prob(cr.tensor(0.0)).exp()  # df = 1 is the Cauchy
tensor(0.3183)
"""

from __future__ import annotations

import math
from typing import Any

from chainrule.distributions import constraints
from chainrule.distributions._gamma_sampler import standard_gamma
from chainrule.distributions.distribution import Distribution, expanded
from chainrule.distributions.utils import broadcast_all, finfo_tiny
from chainrule.factories import normal, ones, zeros
from chainrule.ops.elementwise import where
from chainrule.ops.special_ops import digamma, lgamma

__all__ = ["StudentT"]


class StudentT(Distribution):
    """loc + scale * Z / sqrt(V / df) for Z standard normal and V chi-squared with df."""

    arg_constraints = {
        "df": constraints.positive,
        "loc": constraints.real,
        "scale": constraints.positive,
    }
    support = constraints.real
    has_rsample = True

    def __init__(
        self, df: Any, loc: Any = 0.0, scale: Any = 1.0, validate_args: bool | None = None
    ) -> None:
        self.df, self.loc, self.scale = broadcast_all(df, loc, scale)
        super().__init__(self.df.size(), validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> StudentT:
        return expanded(self, StudentT, batch_shape, _instance, ["df", "loc", "scale"])

    @property
    def mean(self) -> Any:
        return where(self.df > 1, self.loc, math.nan).expand(self.batch_shape)

    @property
    def mode(self) -> Any:
        return self.loc

    @property
    def variance(self) -> Any:
        finite = self.scale.pow(2) * self.df / (self.df - 2)
        var = where(self.df > 2, finite, math.inf)
        return where(self.df <= 1, math.nan, var).expand(self.batch_shape)

    def rsample(self, sample_shape: Any = ()) -> Any:
        shape = self._extended_shape(sample_shape)
        z = normal(zeros(shape, dtype=self.df.dtype), ones(shape, dtype=self.df.dtype))
        # V / df with V ~ chi2(df) = Gamma(df / 2, rate 1/2): 2 G / df with G ~ Gamma(df / 2, 1)
        v = (2 * standard_gamma(0.5 * self.df.expand(shape)) / self.df).clamp(
            min=finfo_tiny(self.df.dtype)
        )
        return self.loc + self.scale * z * v.rsqrt()

    def log_prob(self, value: Any) -> Any:
        if self._validate_args:
            self._validate_sample(value)
        df = self.df
        y = (value - self.loc) / self.scale
        norm = (
            self.scale.log()
            + 0.5 * df.log()
            + 0.5 * math.log(math.pi)
            + lgamma(0.5 * df)
            - lgamma(0.5 * (df + 1.0))
        )
        return -0.5 * (df + 1.0) * (y.pow(2) / df).log1p() - norm

    def entropy(self) -> Any:
        df = self.df
        log_beta = lgamma(0.5 * df) + math.lgamma(0.5) - lgamma(0.5 * (df + 1))
        return (
            self.scale.log()
            + 0.5 * (df + 1) * (digamma(0.5 * (df + 1)) - digamma(0.5 * df))
            + 0.5 * df.log()
            + log_beta
        )
