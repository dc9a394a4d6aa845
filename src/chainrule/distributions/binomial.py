"""The binomial distribution: successes in ``total_count`` Bernoulli(``probs``) trials.

>>> import chainrule as cr
>>> Binomial(2, probs=cr.tensor(0.5)).log_prob(cr.tensor(1.0)).exp()
tensor(0.5000)
"""

from __future__ import annotations

from typing import Any

from chainrule.distributions import constraints
from chainrule.distributions.distribution import Distribution, expanded
from chainrule.distributions.utils import (
    BinaryProbsLogits,
    broadcast_all,
    one_parameter,
)
from chainrule.factories import arange
from chainrule.grad_mode import no_grad
from chainrule.nn import functional as F
from chainrule.ops.binomial import binomial
from chainrule.ops.special_ops import lgamma

__all__ = ["Binomial"]


class Binomial(BinaryProbsLogits, Distribution):
    """P(k) = C(n, k) p^k (1 - p)^(n - k) for k = 0..n."""

    arg_constraints = {
        "total_count": constraints.nonnegative_integer,
        "probs": constraints.unit_interval,
        "logits": constraints.real,
    }
    has_enumerate_support = True

    def __init__(
        self,
        total_count: Any = 1,
        probs: Any = None,
        logits: Any = None,
        validate_args: bool | None = None,
    ) -> None:
        one_parameter(probs, logits)
        if probs is not None:
            self.total_count, self.probs = broadcast_all(total_count, probs)
            self.total_count = self.total_count.type_as(self.probs)
            self._param = self.probs
        else:
            self.total_count, self.logits = broadcast_all(total_count, logits)
            self.total_count = self.total_count.type_as(self.logits)
            self._param = self.logits
        super().__init__(self._param.size(), validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Binomial:
        return expanded(self, Binomial, batch_shape, _instance, ["total_count", "probs", "logits"])

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self) -> Any:
        return constraints.integer_interval(0, self.total_count)

    @property
    def mean(self) -> Any:
        return self.total_count * self.probs

    @property
    def mode(self) -> Any:
        return ((self.total_count + 1) * self.probs).floor().clamp(max=self.total_count)

    @property
    def variance(self) -> Any:
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape: Any = ()) -> Any:
        shape = self._extended_shape(sample_shape)
        with no_grad():  # PyTorch's draws: its binomial kernel (inversion or BTRS rejection)
            return binomial(self.total_count.expand(shape), self.probs.expand(shape))

    def log_prob(self, value: Any) -> Any:
        if self._validate_args:
            self._validate_sample(value)
        n = self.total_count
        log_choose = lgamma(n + 1) - lgamma(value + 1) - lgamma(n - value + 1)
        # k log p + (n - k) log(1 - p) = k logits - n softplus(logits)
        return log_choose + value * self.logits - n * F.softplus(self.logits)

    def entropy(self) -> Any:
        n = int(self.total_count.max())
        if not bool((self.total_count == n).all()):
            raise NotImplementedError("Inhomogeneous total count not supported by `entropy`.")
        log_prob = self.log_prob(self.enumerate_support(False))
        return -(log_prob.exp() * log_prob).sum(0)

    def enumerate_support(self, expand: bool = True) -> Any:
        n = int(self.total_count.max())
        if not bool((self.total_count == n).all()):
            raise NotImplementedError(
                "Inhomogeneous total count not supported by `enumerate_support`."
            )
        values = arange(1 + n, dtype=self._param.dtype)
        values = values.view((-1,) + (1,) * len(self.batch_shape))
        return values.expand((-1, *self.batch_shape)) if expand else values
