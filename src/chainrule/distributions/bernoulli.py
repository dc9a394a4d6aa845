"""The Bernoulli distribution over {0, 1}, from probabilities or logits.

>>> import chainrule as cr
>>> cr.distributions.Bernoulli(probs=cr.tensor(0.25)).log_prob(cr.tensor(1.0))
tensor(-1.3863)
"""

from __future__ import annotations

from numbers import Number
from typing import Any

from chainrule.distributions import constraints
from chainrule.distributions.distribution import ExponentialFamily, expanded
from chainrule.distributions.utils import (
    BinaryProbsLogits,
    broadcast_all,
    one_parameter,
)
from chainrule.factories import arange, bernoulli, full_like
from chainrule.grad_mode import no_grad
from chainrule.nn import functional as F
from chainrule.ops.elementwise import where
from chainrule.ops.shape import broadcast_tensors

__all__ = ["Bernoulli"]


def _bce_with_logits(logits: Any, target: Any) -> Any:
    return F.binary_cross_entropy_with_logits(logits, target, reduction="none")


class Bernoulli(BinaryProbsLogits, ExponentialFamily):
    """1 with probability ``probs`` (or ``sigmoid(logits)``), else 0."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True

    def __init__(self, probs: Any = None, logits: Any = None, validate_args: bool | None = None):
        given = one_parameter(probs, logits)
        (param,) = broadcast_all(given)
        if probs is not None:
            self.probs = param
        else:
            self.logits = param
        self._param = param
        super().__init__(
            () if isinstance(given, Number) else param.size(), validate_args=validate_args
        )

    def expand(self, batch_shape: Any, _instance: Any = None) -> Bernoulli:
        return expanded(self, Bernoulli, batch_shape, _instance, ["probs", "logits"])

    @property
    def mean(self) -> Any:
        return self.probs

    @property
    def mode(self) -> Any:
        mode = (self.probs >= 0.5).to(self.probs.dtype)
        return where(self.probs == 0.5, full_like(mode, float("nan")), mode)

    @property
    def variance(self) -> Any:
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape: Any = ()) -> Any:
        shape = self._extended_shape(sample_shape)
        with no_grad():
            return bernoulli(self.probs.expand(shape))

    def log_prob(self, value: Any) -> Any:
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_tensors(self.logits, value)
        return -_bce_with_logits(logits, value)

    def entropy(self) -> Any:
        return _bce_with_logits(self.logits, self.probs)

    def enumerate_support(self, expand: bool = True) -> Any:
        n = len(self.batch_shape)
        values = arange(2, dtype=self._param.dtype).view((-1,) + (1,) * n)
        return values.expand((-1, *self.batch_shape)) if expand else values
