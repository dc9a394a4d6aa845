"""The relaxed one-hot categorical (Concrete, or Gumbel-softmax) distribution: a point of the
simplex that approaches a one-hot draw as its temperature goes to 0, the softmax of (logits +
Gumbel noise) / temperature; and the one-hot categorical whose rsample is the straight-through
estimator.

>>> import chainrule as cr
>>> d = cr.distributions.RelaxedOneHotCategorical(cr.tensor(1.0), probs=cr.tensor([0.5, 0.5]))
>>> d.log_prob(cr.tensor([0.5, 0.5]))
tensor(0.)
"""

from __future__ import annotations

from typing import Any

from chainrule.distributions import constraints
from chainrule.distributions.categorical import Categorical, OneHotCategorical
from chainrule.distributions.distribution import Distribution
from chainrule.distributions.relaxed_bernoulli import RelaxedParameters, _uniforms
from chainrule.distributions.transformed_distribution import TransformedDistribution
from chainrule.distributions.transforms import ExpTransform
from chainrule.ops.elementwise import log
from chainrule.tensor import Size, Tensor

__all__ = ["ExpRelaxedCategorical", "OneHotCategoricalStraightThrough", "RelaxedOneHotCategorical"]


class ExpRelaxedCategorical(Distribution):
    """The log of a relaxed one-hot categorical draw: log_softmax((logits + Gumbel noise) /
    temperature), a vector of K log-weights."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.real_vector
    has_rsample = True

    def __init__(
        self,
        temperature: Any,
        probs: Any = None,
        logits: Any = None,
        validate_args: bool | None = None,
    ) -> None:
        self._categorical = Categorical(probs, logits)
        self.temperature = temperature
        shape = self._categorical.param_shape
        super().__init__(self._categorical.batch_shape, shape[-1:], validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> ExpRelaxedCategorical:
        new = self._get_checked_instance(ExpRelaxedCategorical, _instance)
        batch_shape = Size(batch_shape)
        new.temperature = self.temperature
        new._categorical = self._categorical.expand(batch_shape)
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def param_shape(self) -> Any:
        return self._categorical.param_shape

    @property
    def logits(self) -> Any:
        return self._categorical.logits

    @property
    def probs(self) -> Any:
        return self._categorical.probs

    def rsample(self, sample_shape: Any = ()) -> Any:
        shape = self._extended_shape(sample_shape)
        gumbel = -log(-log(_uniforms(shape, self.logits.dtype)))
        scores = (self.logits + gumbel) / self.temperature
        return scores - scores.logsumexp(dim=-1, keepdim=True)

    def log_prob(self, value: Any) -> Any:
        if self._validate_args:
            self._validate_sample(value)
        if not isinstance(self.temperature, Tensor):  # a number: refused as PyTorch refuses it
            raise TypeError(
                "full_like(): argument 'input' (position 1) must be Tensor, not "
                f"{type(self.temperature).__name__}"
            )
        k = self._categorical._num_events
        # the density of the log-weights: (K - 1)! T^(K - 1) prod_i softmax(logits - T x)_i
        # (the normalizer as lgamma(K), in the temperature's dtype)
        normalizer = self.temperature.new_full(self.temperature.shape, float(k)).lgamma()
        normalizer = normalizer + (k - 1) * self.temperature.log()
        scores = self.logits - value * self.temperature
        return (scores - scores.logsumexp(dim=-1, keepdim=True)).sum(-1) + normalizer


class RelaxedOneHotCategorical(RelaxedParameters, TransformedDistribution):
    """A point of the probability simplex: the exp of an ExpRelaxedCategorical draw."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.simplex
    has_rsample = True

    def __init__(
        self,
        temperature: Any,
        probs: Any = None,
        logits: Any = None,
        validate_args: bool | None = None,
    ) -> None:
        base = ExpRelaxedCategorical(temperature, probs, logits, validate_args=validate_args)
        super().__init__(base, ExpTransform(), validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> RelaxedOneHotCategorical:
        new = self._get_checked_instance(RelaxedOneHotCategorical, _instance)
        return super().expand(batch_shape, _instance=new)  # type: ignore[return-value]


class OneHotCategoricalStraightThrough(OneHotCategorical):
    """A one-hot categorical whose rsample is the straight-through estimator: the value is a
    one-hot draw, the gradient that of the probabilities (as if the draw were its mean)."""

    has_rsample = True

    def rsample(self, sample_shape: Any = ()) -> Any:
        draw = self.sample(sample_shape)
        probs = self.probs
        # probs - probs.detach() is exactly 0 in value and the identity in gradient
        return draw + (probs - probs.detach())
