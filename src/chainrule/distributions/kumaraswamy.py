"""The Kumaraswamy distribution: (1 - U^(1/c0))^(1/c1) for U ~ Uniform(0, 1), a Beta-like
law on [0, 1] with a closed-form distribution function.

>>> import chainrule as cr
>>> Kumaraswamy(1.0, 1.0).cdf(cr.tensor(0.25))
tensor(0.2500)
"""

from __future__ import annotations

import math
from typing import Any

from chainrule.distributions import constraints
from chainrule.distributions.gamma import _log_beta_of
from chainrule.distributions.gumbel import EULER
from chainrule.distributions.simple import Uniform
from chainrule.distributions.transformed_distribution import TransformedDistribution
from chainrule.distributions.transforms import AffineTransform, PowerTransform
from chainrule.distributions.utils import broadcast_all
from chainrule.factories import ones_like, zeros_like
from chainrule.ops.special_ops import digamma
from chainrule.tensor import Size

__all__ = ["Kumaraswamy"]


class Kumaraswamy(TransformedDistribution):
    """Density a b x^(a-1) (1 - x^a)^(b-1) on [0, 1], a = concentration1 and
    b = concentration0."""

    arg_constraints = {
        "concentration1": constraints.positive,
        "concentration0": constraints.positive,
    }
    support = constraints.unit_interval
    has_rsample = True

    def __init__(
        self, concentration1: Any, concentration0: Any, validate_args: bool | None = None
    ) -> None:
        self.concentration1, self.concentration0 = broadcast_all(concentration1, concentration0)
        c1 = self.concentration1
        base = Uniform(zeros_like(c1), ones_like(c1), validate_args=validate_args)
        transforms = [
            PowerTransform(self.concentration0.reciprocal()),
            AffineTransform(loc=1.0, scale=-1.0),
            PowerTransform(c1.reciprocal()),
        ]
        super().__init__(base, transforms, validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Kumaraswamy:
        new = self._get_checked_instance(Kumaraswamy, _instance)
        shape = Size(batch_shape)
        new.concentration1 = self.concentration1.expand(shape)
        new.concentration0 = self.concentration0.expand(shape)
        return super().expand(shape, _instance=new)  # type: ignore[return-value]

    def _moment(self, n: int) -> Any:
        """E[X^n] = b B(1 + n / a, b)."""
        a, b = self.concentration1, self.concentration0
        return b * _log_beta_of(1 + n / a, b).exp()

    @property
    def mean(self) -> Any:
        return self._moment(1)

    @property
    def mode(self) -> Any:
        # PyTorch 2.13 gives nan for every parameter (its mode is not the density's maximum);
        # kept alike, still a function of the parameters as there
        return math.nan * (self.concentration1 + self.concentration0)

    @property
    def variance(self) -> Any:
        return self._moment(2) - self._moment(1).pow(2)

    def entropy(self) -> Any:
        a, b = self.concentration1, self.concentration0
        harmonic_b = digamma(b + 1) + EULER
        return (1 - b.reciprocal()) + (1 - a.reciprocal()) * harmonic_b - (a * b).log()
