"""The Weibull distribution: scale * E^(1/concentration) for E ~ Exponential(1).

>>> import chainrule as cr
>>> Weibull(2.0, 1.0).mean
tensor(2.)
"""

from __future__ import annotations

from typing import Any

from chainrule.distributions import constraints
from chainrule.distributions.gumbel import EULER
from chainrule.distributions.simple import Exponential
from chainrule.distributions.transformed_distribution import TransformedDistribution
from chainrule.distributions.transforms import AffineTransform, PowerTransform
from chainrule.distributions.utils import broadcast_all
from chainrule.factories import ones_like
from chainrule.ops.special_ops import lgamma
from chainrule.tensor import Size

__all__ = ["Weibull"]


def _transforms(scale: Any, concentration_reciprocal: Any) -> list[Any]:
    return [PowerTransform(concentration_reciprocal), AffineTransform(loc=0, scale=scale)]


class Weibull(TransformedDistribution):
    """Density (k / scale) (x / scale)^(k - 1) exp(-(x / scale)^k) on x > 0, k the
    concentration."""

    arg_constraints = {"scale": constraints.positive, "concentration": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, scale: Any, concentration: Any, validate_args: bool | None = None) -> None:
        self.scale, self.concentration = broadcast_all(scale, concentration)
        self.concentration_reciprocal = self.concentration.reciprocal()
        base = Exponential(ones_like(self.scale), validate_args=validate_args)
        transforms = _transforms(self.scale, self.concentration_reciprocal)
        super().__init__(base, transforms, validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Weibull:
        new = self._get_checked_instance(Weibull, _instance)
        shape = Size(batch_shape)
        new.scale = self.scale.expand(shape)
        new.concentration = self.concentration.expand(shape)
        new.concentration_reciprocal = new.concentration.reciprocal()
        new = super().expand(shape, _instance=new)
        new.transforms = _transforms(new.scale, new.concentration_reciprocal)
        return new  # type: ignore[return-value]

    @property
    def mean(self) -> Any:
        return self.scale * lgamma(1 + self.concentration_reciprocal).exp()

    @property
    def mode(self) -> Any:
        # nan where the concentration is below 1 (a negative base to a fractional power):
        # the density then grows without bound at 0
        k = self.concentration
        return self.scale * ((k - 1) / k).pow(self.concentration_reciprocal)

    @property
    def variance(self) -> Any:
        r = self.concentration_reciprocal
        second = lgamma(1 + 2 * r).exp()
        first_squared = (2 * lgamma(1 + r)).exp()
        return self.scale.pow(2) * (second - first_squared)

    def entropy(self) -> Any:
        r = self.concentration_reciprocal
        return EULER * (1 - r) + (self.scale * r).log() + 1
