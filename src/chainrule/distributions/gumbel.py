"""The Gumbel (type-I extreme value) distribution: cdf exp(-exp(-(x - loc) / scale)).

Draws are loc - scale log(-log u) for u uniform on [tiny, 1 - eps], as a transformed uniform.

    >>> import chainrule as cr
    >>> Gumbel(0.0, 1.0).cdf(cr.tensor(0.0))
    tensor(0.3679)
"""

from __future__ import annotations

import math
from numbers import Number
from typing import Any

from chainrule.distributions import constraints
from chainrule.distributions.simple import Uniform
from chainrule.distributions.transformed_distribution import TransformedDistribution
from chainrule.distributions.transforms import AffineTransform, ExpTransform
from chainrule.distributions.utils import broadcast_all, finfo_eps, finfo_tiny
from chainrule.factories import full_like, ones_like
from chainrule.ops.elementwise import exp, log
from chainrule.tensor import Size

__all__ = ["Gumbel"]

EULER = 0.5772156649015329


class Gumbel(TransformedDistribution):
    """Maxima of many draws: location ``loc``, scale ``scale``."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real

    def __init__(self, loc: Any, scale: Any, validate_args: bool | None = None) -> None:
        self.loc, self.scale = broadcast_all(loc, scale)
        dtype = self.loc.dtype
        low = full_like(self.loc, finfo_tiny(dtype))
        high = full_like(self.loc, 1 - finfo_eps(dtype))
        if isinstance(loc, Number) and isinstance(scale, Number):
            low, high = float(low), float(high)
        base = Uniform(low, high, validate_args=validate_args)
        # u -> -log u -> log(-log u) negated -> loc - scale log(-log u)
        maps = [
            ExpTransform().inv,
            AffineTransform(loc=0, scale=-ones_like(self.scale)),
            ExpTransform().inv,
            AffineTransform(loc=self.loc, scale=-self.scale),
        ]
        super().__init__(base, maps, validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Gumbel:
        new = self._get_checked_instance(Gumbel, _instance)
        batch_shape = Size(batch_shape)
        Gumbel.__init__(
            new,
            self.loc.expand(batch_shape),
            self.scale.expand(batch_shape),
            validate_args=False,
        )
        new._validate_args = self._validate_args
        return new

    def log_prob(self, value: Any) -> Any:
        if self._validate_args:
            self._validate_sample(value)
        z = (value - self.loc) / self.scale
        return -self.scale.log() - z - exp(-z)

    def cdf(self, value: Any) -> Any:
        if self._validate_args:
            self._validate_sample(value)
        return exp(-exp(-(value - self.loc) / self.scale))

    def icdf(self, value: Any) -> Any:
        return self.loc - self.scale * log(-log(value))

    @property
    def mean(self) -> Any:
        return self.loc + self.scale * EULER

    @property
    def mode(self) -> Any:
        return self.loc

    @property
    def stddev(self) -> Any:
        return (math.pi / math.sqrt(6)) * self.scale

    @property
    def variance(self) -> Any:
        return self.stddev.pow(2)

    def entropy(self) -> Any:
        return self.scale.log() + (1 + EULER)
