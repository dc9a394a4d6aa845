"""The relaxed Bernoulli (binary Concrete) distribution: a value in (0, 1) that approaches a
Bernoulli draw as its temperature goes to 0, the sigmoid of (logits + logistic noise) /
temperature, differentiable in the logits.

>>> import chainrule as cr
>>> d = cr.distributions.RelaxedBernoulli(cr.tensor(0.5), probs=cr.tensor(0.5))
>>> d.log_prob(cr.tensor(0.5))
tensor(-0.6931)
"""

from __future__ import annotations

from typing import Any

from chainrule.distributions import constraints
from chainrule.distributions.distribution import Distribution, expanded
from chainrule.distributions.transformed_distribution import TransformedDistribution
from chainrule.distributions.transforms import SigmoidTransform
from chainrule.distributions.utils import (
    BinaryProbsLogits,
    batch_shape_of,
    broadcast_all,
    clamp_probs,
    one_parameter,
    probs_to_logits,
)
from chainrule.factories import rand
from chainrule.nn import functional as F
from chainrule.ops.shape import broadcast_tensors

__all__ = ["LogitRelaxedBernoulli", "RelaxedBernoulli"]


def _uniforms(shape: Any, dtype: Any) -> Any:
    """Uniform draws kept an epsilon inside (0, 1), so that their logs stay finite."""
    return clamp_probs(rand(shape, dtype=dtype))


class LogitRelaxedBernoulli(BinaryProbsLogits, Distribution):
    """The logit of a relaxed Bernoulli draw: (logits + logistic noise) / temperature."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.real

    def __init__(
        self,
        temperature: Any,
        probs: Any = None,
        logits: Any = None,
        validate_args: bool | None = None,
    ) -> None:
        self.temperature = temperature
        given = one_parameter(probs, logits)
        (param,) = broadcast_all(given)
        if probs is not None:
            self.probs = param
        else:
            self.logits = param
        self._param = param
        super().__init__(batch_shape_of((given,), param), validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> LogitRelaxedBernoulli:
        new = expanded(self, LogitRelaxedBernoulli, batch_shape, _instance, ["probs", "logits"])
        new.temperature = self.temperature
        return new

    def rsample(self, sample_shape: Any = ()) -> Any:
        shape = self._extended_shape(sample_shape)
        # the logits of the clamped probabilities plus the logit of a uniform draw (logistic
        # noise); the probabilities are clamped first so that logits of +-inf stay finite
        noise = probs_to_logits(_uniforms(shape, self.probs.dtype), is_binary=True)
        logits = probs_to_logits(self.probs.expand(shape), is_binary=True)
        return (noise + logits) / self.temperature

    def log_prob(self, value: Any) -> Any:
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_tensors(self.logits, value)
        # the logistic density of temperature * value around the logits, times temperature:
        # log T + z - 2 log(1 + e^z) with z = logits - T value (softplus for log(1 + e^z): it
        # stays finite where e^z overflows, beyond z ~ 709 in float64)
        z = logits - value * self.temperature
        return self.temperature.log() + z - 2 * F.softplus(z)


class RelaxedParameters:
    """``temperature``, ``logits`` and ``probs`` of a relaxed family: its base distribution's
    (the relaxed draw before the sigmoid or the exp)."""

    base_dist: Any

    @property
    def temperature(self) -> Any:
        return self.base_dist.temperature

    @property
    def logits(self) -> Any:
        return self.base_dist.logits

    @property
    def probs(self) -> Any:
        return self.base_dist.probs


class RelaxedBernoulli(RelaxedParameters, TransformedDistribution):
    """A value in (0, 1): the sigmoid of a LogitRelaxedBernoulli draw."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(
        self,
        temperature: Any,
        probs: Any = None,
        logits: Any = None,
        validate_args: bool | None = None,
    ) -> None:
        base = LogitRelaxedBernoulli(temperature, probs, logits)
        super().__init__(base, SigmoidTransform(), validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> RelaxedBernoulli:
        new = self._get_checked_instance(RelaxedBernoulli, _instance)
        return super().expand(batch_shape, _instance=new)  # type: ignore[return-value]
