"""The Fisher-Snedecor (F) distribution: the ratio (X1 / df1) / (X2 / df2) of two independent
chi-squared draws with df1 and df2 degrees of freedom.

>>> import chainrule as cr
>>> FisherSnedecor(cr.tensor(3.0), cr.tensor(5.0)).mean
tensor(1.6667)
"""

from __future__ import annotations

import math
from typing import Any

from chainrule.distributions import constraints
from chainrule.distributions.distribution import Distribution, expanded
from chainrule.distributions.gamma import Gamma
from chainrule.distributions.utils import batch_shape_of, broadcast_all, finfo_tiny
from chainrule.ops.elementwise import log, log1p, where
from chainrule.ops.special_ops import lgamma

__all__ = ["FisherSnedecor"]


def _where_above(x: Any, bound: float) -> Any:
    """x where it exceeds ``bound``, else nan (a moment that does not exist there); the
    gradient to the dropped entries is 0."""
    return where(x > bound, x, math.nan)


class FisherSnedecor(Distribution):
    """Density of the F distribution with ``df1`` and ``df2`` degrees of freedom on x > 0."""

    arg_constraints = {"df1": constraints.positive, "df2": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, df1: Any, df2: Any, validate_args: bool | None = None) -> None:
        self.df1, self.df2 = broadcast_all(df1, df2)
        self._scaled_chi2()
        super().__init__(batch_shape_of((df1, df2), self.df1), validate_args=validate_args)

    def _scaled_chi2(self) -> None:
        """The two gamma laws of chi2(d) / d, Gamma(d / 2, rate d), drawn from by rsample. They
        are made (and check their parameters, whatever ``validate_args`` says) when the
        distribution is, as PyTorch's are: a bad df is refused in the Gamma's words."""
        self._chi2_1 = Gamma(self.df1 * 0.5, self.df1)
        self._chi2_2 = Gamma(self.df2 * 0.5, self.df2)

    def expand(self, batch_shape: Any, _instance: Any = None) -> FisherSnedecor:
        new = expanded(self, FisherSnedecor, batch_shape, _instance, ["df1", "df2"])
        new._scaled_chi2()
        return new

    # The moments exist only for enough degrees of freedom (the mean for df2 > 2, the variance
    # for df2 > 4, an interior mode for df1 > 2); elsewhere they are nan
    @property
    def mean(self) -> Any:
        df2 = _where_above(self.df2, 2)
        return df2 / (df2 - 2)

    @property
    def mode(self) -> Any:
        df1 = _where_above(self.df1, 2)
        return (df1 - 2) / df1 * self.df2 / (self.df2 + 2)

    @property
    def variance(self) -> Any:
        df1, df2 = self.df1, _where_above(self.df2, 4)
        return 2 * df2.pow(2) * (df1 + df2 - 2) / (df1 * (df2 - 2).pow(2) * (df2 - 4))

    def rsample(self, sample_shape: Any = ()) -> Any:
        shape = self._extended_shape(sample_shape)
        # chi2(d) / d is Gamma(d / 2, rate d); draws kept positive (a ratio of 0 or inf would
        # give log_prob -inf)
        tiny = finfo_tiny(self.df1.dtype)
        x1 = self._chi2_1.rsample(sample_shape).expand(shape)
        x2 = self._chi2_2.rsample(sample_shape).expand(shape)
        return (x1 / x2.clamp(min=tiny)).clamp(min=tiny)

    def log_prob(self, value: Any) -> Any:
        if self._validate_args:
            self._validate_sample(value)
        a, b = self.df1 * 0.5, self.df2 * 0.5
        ratio = self.df1 / self.df2
        # log of x^(a - 1) (df1 / df2)^a (1 + x df1 / df2)^-(a + b) / B(a, b)
        log_norm = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(ratio)
        return log_norm + (a - 1) * log(value) - (a + b) * log1p(ratio * value)
