"""The Pareto distribution: scale * exp(E) for E ~ Exponential(alpha).

>>> import chainrule as cr
>>> Pareto(1.0, 2.0).cdf(cr.tensor(2.0))
tensor(0.7500)
"""

from __future__ import annotations

import math
from typing import Any

from chainrule.distributions import constraints
from chainrule.distributions.continuous_bernoulli import ContinuousBernoulli
from chainrule.distributions.gamma import Beta, Gamma
from chainrule.distributions.gumbel import Gumbel
from chainrule.distributions.kl import (
    _gamma_log_density_mean,
    _infinite,
    _normal_cross_entropy,
    _uniform_mean_log,
    register_kl,
)
from chainrule.distributions.normal import Normal
from chainrule.distributions.simple import Exponential, Laplace, Uniform
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

    # The moments diverge for alpha at or below 1 (the mean) and 2 (the variance): alpha is
    # held at that bound there, where each formula divides by zero and gives inf (as
    # PyTorch's do, with a zero gradient to alpha below the bound).
    @property
    def mean(self) -> Any:
        shape = self.alpha.clamp(min=1)
        return self.scale / (1 - 1 / shape)

    @property
    def mode(self) -> Any:
        return self.scale

    @property
    def variance(self) -> Any:
        shape = self.alpha.clamp(min=2)
        return (self.scale / (shape - 1)) ** 2 * shape / (shape - 2)

    def entropy(self) -> Any:
        """h = log(scale / alpha) + 1 + 1 / alpha."""
        return self.scale.log() - self.alpha.log() + 1 + 1 / self.alpha


# ---- KL divergences with Pareto on either side
def _mean_log(p: Pareto) -> Any:
    """E_p[log x] = log scale + 1 / alpha (log(x / scale) is exponential with rate alpha)."""
    return p.scale.log() + p.alpha.reciprocal()


@register_kl(Pareto, Pareto)
def _kl_pareto_pareto(p: Pareto, q: Pareto) -> Any:
    # log(a_p / a_q) + a_q log(s_p / s_q) + a_q / a_p - 1; infinite where p puts mass below
    # q's scale
    ratio = q.alpha / p.alpha
    result = q.alpha * (p.scale / q.scale).log() + ratio - 1 - ratio.log()
    return where(p.scale < q.scale, math.inf, result)


def _moments_where_finite(p: Pareto, bound: float) -> Pareto:
    """p with alpha <= bound (where a moment diverges and the result is inf) replaced by a
    larger value: the finite stand-in keeps inf * 0 out of the derivative of the masked result."""
    alpha = where(p.alpha > bound, p.alpha, bound + 1.0)
    return Pareto(p.scale, alpha, validate_args=False)


@register_kl(Pareto, Exponential)
def _kl_pareto_exponential(p: Pareto, q: Exponential) -> Any:
    mean = _moments_where_finite(p, 1.0).mean
    result = -p.entropy() - q.rate.log() + q.rate * mean
    return where(p.alpha <= 1, math.inf, result)


@register_kl(Pareto, Gamma)
def _kl_pareto_gamma(p: Pareto, q: Gamma) -> Any:
    mean = _moments_where_finite(p, 1.0).mean
    result = -p.entropy() - _gamma_log_density_mean(q, mean, _mean_log(p))
    return where(p.alpha <= 1, math.inf, result)


@register_kl(Pareto, Normal)
def _kl_pareto_normal(p: Pareto, q: Normal) -> Any:
    finite = _moments_where_finite(p, 2.0)
    second = finite.variance + (finite.mean - q.loc).pow(2)
    result = -p.entropy() + _normal_cross_entropy(q, second)
    return where(p.alpha <= 2, math.inf, result)


@register_kl(Uniform, Pareto)
def _kl_uniform_pareto(p: Uniform, q: Pareto) -> Any:
    # -E_p[log q] = -log(a s^a) + (a + 1) E_p[log x]; infinite where p starts below q's scale
    log_q_norm = q.alpha.log() + q.alpha * q.scale.log()
    result = -p.entropy() - log_q_norm + (q.alpha + 1) * _uniform_mean_log(p.low, p.high)
    return where(p.low < q.scale, math.inf, result)


for _pair in [
    (Pareto, Beta),
    (Pareto, ContinuousBernoulli),
    (Pareto, Uniform),
    (Beta, Pareto),
    (ContinuousBernoulli, Pareto),
    (Exponential, Pareto),
    (Gamma, Pareto),
    (Gumbel, Pareto),
    (Laplace, Pareto),
    (Normal, Pareto),
]:
    register_kl(*_pair)(_infinite)
