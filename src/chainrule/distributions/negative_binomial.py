"""The negative binomial distribution: the successes seen before ``total_count`` failures in
Bernoulli(``probs``) trials, P(k) = C(k + r - 1, k) p^k (1 - p)^r.

>>> import chainrule as cr
>>> NegativeBinomial(1.0, probs=cr.tensor(0.5)).log_prob(cr.tensor(1.0)).exp()
tensor(0.2500)
"""

from __future__ import annotations

from typing import Any

from chainrule.distributions import constraints
from chainrule.distributions.distribution import Distribution, expanded
from chainrule.distributions.gamma import Gamma
from chainrule.distributions.utils import BinaryProbsLogits, broadcast_all, one_parameter
from chainrule.factories import poisson
from chainrule.grad_mode import no_grad
from chainrule.nn import functional as F
from chainrule.ops.elementwise import sigmoid, where
from chainrule.ops.special_ops import lgamma

__all__ = ["NegativeBinomial"]


class NegativeBinomial(BinaryProbsLogits, Distribution):
    """Successes before the ``total_count``-th failure; ``total_count`` may be fractional
    (a Poisson whose rate is Gamma distributed)."""

    arg_constraints = {
        "total_count": constraints.greater_than_eq(0),
        "probs": constraints.half_open_interval(0.0, 1.0),
        "logits": constraints.real,
    }
    support = constraints.nonnegative_integer

    def __init__(
        self,
        total_count: Any,
        probs: Any = None,
        logits: Any = None,
        validate_args: bool | None = None,
    ) -> None:
        given = one_parameter(probs, logits)
        name = "probs" if probs is not None else "logits"
        total, param = broadcast_all(total_count, given)
        self.total_count = total.type_as(param)
        setattr(self, name, param)
        self._param = param
        super().__init__(param.size(), validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> NegativeBinomial:
        return expanded(
            self, NegativeBinomial, batch_shape, _instance, ["total_count", "probs", "logits"]
        )

    @property
    def mean(self) -> Any:
        # r p / (1 - p), with p / (1 - p) = exp(logits)
        return self.total_count * self.logits.exp()

    @property
    def mode(self) -> Any:
        return ((self.total_count - 1) * self.logits.exp()).floor().clamp(min=0.0)

    @property
    def variance(self) -> Any:
        return self.mean / sigmoid(-self.logits)

    def sample(self, sample_shape: Any = ()) -> Any:
        # a Poisson count whose rate is Gamma(r, scale p / (1 - p)) distributed
        with no_grad():
            r = self.total_count
            # a count of zero failures ends at once: the Gamma has no shape-0 member
            gamma = Gamma(where(r > 0, r, 1.0), (-self.logits).exp(), validate_args=False)
            rate = gamma.sample(sample_shape) * (r > 0).to(r.dtype)
            return poisson(rate)

    def log_prob(self, value: Any) -> Any:
        if self._validate_args:
            self._validate_sample(value)
        r, logits = self.total_count, self.logits
        weighted = r * F.logsigmoid(-logits) + value * F.logsigmoid(logits)
        # log C(k + r - 1, k); where k = r = 0 (the one certain outcome) it is 0: r = 1 there
        # gives that 0 without an inf - inf on the way
        r = where((r + value) == 0, 1.0, r)
        return weighted + lgamma(r + value) - lgamma(value + 1) - lgamma(r)
