"""The generalized Pareto distribution: the law of excesses over a high threshold, with
survival function (1 + c z)^(-1/c) for z = (x - loc) / scale and concentration c (exp(-z) at
c = 0). Its support is [loc, inf) for c >= 0 and [loc, loc - scale / c] for c < 0.

Every formula is written through log1p(c z) / c and expm1(c w) / c, which stay accurate as c
goes to 0; at c = 0 exactly they take their limits and the first-order term in c, so the
derivatives to the concentration are right there too.

>>> import chainrule as cr
>>> GeneralizedPareto(cr.tensor(0.0), cr.tensor(1.0), cr.tensor(0.0)).cdf(cr.tensor(1.0))
tensor(0.6321)
"""

from __future__ import annotations

import math
from typing import Any

from chainrule.distributions import constraints
from chainrule.distributions.distribution import Distribution, expanded
from chainrule.distributions.utils import batch_shape_of, broadcast_all
from chainrule.factories import rand
from chainrule.ops.elementwise import expm1, log, log1p, where

__all__ = ["GeneralizedPareto"]


def _half_square_times(c: Any, t: Any) -> Any:
    """c t^2 / 2: zero in value where c is 0, but with its derivative t^2 / 2 to c (and 0, not
    nan, at an infinite t)."""
    return c * where(t.isfinite(), t * t / 2, 0.0)


def _log1p_over(c: Any, z: Any) -> Any:
    """log1p(c z) / c, and z - c z^2 / 2 (its value and slope in c) where c is 0."""
    zero = c == 0
    safe = where(zero, 1.0, c)
    return where(zero, z - _half_square_times(c, z), log1p(safe * z) / safe)


def _expm1_over(c: Any, w: Any) -> Any:
    """expm1(c w) / c, and w + c w^2 / 2 (its value and slope in c) where c is 0."""
    zero = c == 0
    safe = where(zero, 1.0, c)
    return where(zero, w + _half_square_times(c, w), expm1(safe * w) / safe)


class GeneralizedPareto(Distribution):
    """Location ``loc``, scale ``scale`` and shape ``concentration`` (the tail index: heavy
    tails above 0, exponential at 0, a bounded support below 0)."""

    arg_constraints = {
        "loc": constraints.real,
        "scale": constraints.positive,
        "concentration": constraints.real,
    }
    has_rsample = True

    def __init__(
        self, loc: Any, scale: Any, concentration: Any, validate_args: bool | None = None
    ) -> None:
        self.loc, self.scale, self.concentration = broadcast_all(loc, scale, concentration)
        given = (loc, scale, concentration)
        super().__init__(batch_shape_of(given, self.loc), validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> GeneralizedPareto:
        names = ["loc", "scale", "concentration"]
        return expanded(self, GeneralizedPareto, batch_shape, _instance, names)

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self) -> Any:
        c = self.concentration
        negative = c < 0
        upper = where(negative, self.loc - self.scale / where(negative, c, -1.0), math.inf)
        lower = self.loc
        if self.loc.dim() == 0:  # a single distribution's bounds are numbers, as PyTorch's
            lower, upper = float(lower), float(upper)
        return constraints.interval(lower, upper)

    def _z(self, value: Any) -> Any:
        return (value - self.loc) / self.scale

    def log_prob(self, value: Any) -> Any:
        if self._validate_args:
            self._validate_sample(value)
        c = self.concentration
        # log of (1 / scale) (1 + c z)^(-1/c - 1)
        return -log(self.scale) - (1 + c) * _log1p_over(c, self._z(value))

    def cdf(self, value: Any) -> Any:
        if self._validate_args:
            self._validate_sample(value)
        return -expm1(-_log1p_over(self.concentration, self._z(value)))

    def icdf(self, value: Any) -> Any:
        # z = ((1 - q)^(-c) - 1) / c = expm1(c w) / c with w = -log(1 - q)
        return self.loc + self.scale * _expm1_over(self.concentration, -log1p(-value))

    def rsample(self, sample_shape: Any = ()) -> Any:
        shape = self._extended_shape(sample_shape)
        return self.icdf(rand(shape, dtype=self.loc.dtype))

    # The mean exists for c < 1, the variance for c < 1/2; elsewhere they are nan (with no
    # gradient), as PyTorch's
    @property
    def mean(self) -> Any:
        c = self.concentration
        finite = c < 1
        return where(finite, self.loc + self.scale / (1 - where(finite, c, 0.0)), math.nan)

    @property
    def variance(self) -> Any:
        c = self.concentration
        finite = c < 0.5
        c = where(finite, c, 0.0)
        return where(finite, self.scale.pow(2) / ((1 - c).pow(2) * (1 - 2 * c)), math.nan)

    @property
    def mode(self) -> Any:
        return self.loc

    def entropy(self) -> Any:
        return log(self.scale) + self.concentration + 1
