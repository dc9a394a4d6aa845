"""The Pareto distribution: scale * exp(E) for E ~ Exponential(alpha).

>>> import chainrule as cr
>>> Pareto(1.0, 2.0).cdf(cr.tensor(2.0))
tensor(0.7500)
"""

from __future__ import annotations

import math
from typing import Any

from chainrule.distributions import constraints
from chainrule.distributions.kl import register_kl
from chainrule.distributions.simple import Exponential
from chainrule.distributions.transformed_distribution import TransformedDistribution
from chainrule.distributions.transforms import AffineTransform, ExpTransform
from chainrule.distributions.utils import broadcast_all
from chainrule.ops.elementwise import where
from chainrule.tensor import Size

__all__ = ["Pareto"]


class Pareto(TransformedDistribution):
    """Density alpha scale^alpha / x^(alpha + 1) on x >= scale; the mean is infinite for
    alpha <= 1 and the variance for alpha <= 2."""

    arg_constraints = {"alpha": constraints.positive, "scale": constraints.positive}
    has_rsample = True

    def __init__(self, scale: Any, alpha: Any, validate_args: bool | None = None) -> None:
        self.scale, self.alpha = broadcast_all(scale, alpha)
        base = Exponential(self.alpha, validate_args=validate_args)
        transforms = [ExpTransform(), AffineTransform(loc=0, scale=self.scale)]
        super().__init__(base, transforms, validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Pareto:
        new = self._get_checked_instance(Pareto, _instance)
        shape = Size(batch_shape)
        new.scale = self.scale.expand(shape)
        new.alpha = self.alpha.expand(shape)
        return super().expand(shape, _instance=new)  # type: ignore[return-value]

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self) -> Any:
        return constraints.greater_than_eq(self.scale)

    @property
    def mean(self) -> Any:
        a = self.alpha.clamp(min=1)  # a = 1 gives inf, the mean of every alpha <= 1
        return a * self.scale / (a - 1)

    @property
    def mode(self) -> Any:
        return self.scale

    @property
    def variance(self) -> Any:
        a = self.alpha.clamp(min=2)  # a = 2 gives inf, the variance of every alpha <= 2
        return self.scale.pow(2) * a / ((a - 1).pow(2) * (a - 2))

    def entropy(self) -> Any:
        return (self.scale / self.alpha).log() + (1 + self.alpha.reciprocal())


@register_kl(Pareto, Pareto)
def _kl_pareto_pareto(p: Pareto, q: Pareto) -> Any:
    # E_p[log x] = log s_p + 1 / a_p gives log(a_p / a_q) + a_q log(s_p / s_q) + a_q / a_p - 1;
    # infinite where p puts mass below q's scale
    ratio = q.alpha / p.alpha
    result = q.alpha * (p.scale / q.scale).log() + ratio - 1 - ratio.log()
    return where(p.scale < q.scale, math.inf, result)
