"""The geometric distribution: the number of failures before the first success,
P(k) = (1 - p)^k p.

    >>> import chainrule as cr
    >>> Geometric(probs=cr.tensor(0.5)).log_prob(cr.tensor(1.0)).exp()
    tensor(0.2500)
"""

from __future__ import annotations

from numbers import Number
from typing import Any

from chainrule import special
from chainrule.distributions import constraints
from chainrule.distributions.distribution import Distribution, expanded
from chainrule.distributions.utils import (
    BinaryProbsLogits,
    broadcast_all,
    finfo_tiny,
    one_parameter,
)
from chainrule.factories import rand, zeros_like
from chainrule.grad_mode import no_grad
from chainrule.nn import functional as F

__all__ = ["Geometric"]


class Geometric(BinaryProbsLogits, Distribution):
    """Failures before the first success in Bernoulli(``probs``) trials."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, probs: Any = None, logits: Any = None, validate_args: bool | None = None):
        given = one_parameter(probs, logits)
        (param,) = broadcast_all(given)
        if probs is not None:
            self.probs = param
        else:
            self.logits = param
        batch = () if isinstance(given, Number) else param.size()
        super().__init__(batch, validate_args=validate_args)
        # p = 0 never succeeds: there is no distribution over the counts
        positive = self.probs > 0 if probs is not None else None
        if self._validate_args and positive is not None and not bool(positive.all()):
            raise ValueError(
                f"Expected parameter probs ({type(param).__name__} of shape "
                f"{tuple(param.shape)}) of distribution {self!r} to be positive but found "
                f"invalid values:\n{param[~positive]}"
            )

    def expand(self, batch_shape: Any, _instance: Any = None) -> Geometric:
        return expanded(self, Geometric, batch_shape, _instance, ["probs", "logits"])

    @property
    def mean(self) -> Any:
        return 1.0 / self.probs - 1.0

    @property
    def mode(self) -> Any:
        return zeros_like(self.probs)

    @property
    def variance(self) -> Any:
        return (1.0 / self.probs - 1.0) / self.probs

    def sample(self, sample_shape: Any = ()) -> Any:
        # inversion: floor(log u / log(1 - p)), u kept off 0
        shape = self._extended_shape(sample_shape)
        with no_grad():
            u = rand(shape, dtype=self.probs.dtype).clamp(min=finfo_tiny(self.probs.dtype))
            return (u.log() / (-self.probs).log1p()).floor()

    def log_prob(self, value: Any) -> Any:
        if self._validate_args:
            self._validate_sample(value)
        value, probs = broadcast_all(value, self.probs)
        # xlog1py: no failures (k = 0) contribute 0 even where p = 1
        return special.xlog1py(value, -probs) + self.probs.log()

    def entropy(self) -> Any:
        bce = F.binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")
        return bce / self.probs
