"""The Poisson distribution: k events with probability rate^k e^(-rate) / k!.

>>> import chainrule as cr
>>> cr.distributions.Poisson(cr.tensor(2.0)).log_prob(cr.tensor(0.0))
tensor(-2.)
"""

from __future__ import annotations

from typing import Any

from chainrule.distributions import constraints
from chainrule.distributions.distribution import ExponentialFamily, expanded
from chainrule.distributions.utils import batch_shape_of, broadcast_all
from chainrule.factories import poisson
from chainrule.grad_mode import no_grad
from chainrule.ops.pointwise import xlogy
from chainrule.ops.special_ops import lgamma

__all__ = ["Poisson"]


class Poisson(ExponentialFamily):
    """Counts of events that arrive at ``rate`` per unit time."""

    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer

    def __init__(self, rate: Any, validate_args: bool | None = None) -> None:
        (self.rate,) = broadcast_all(rate)
        batch = batch_shape_of((rate,), self.rate)
        super().__init__(batch, validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Poisson:
        return expanded(self, Poisson, batch_shape, _instance, ["rate"])

    @property
    def mean(self) -> Any:
        return self.rate

    @property
    def mode(self) -> Any:
        return self.rate.floor()

    @property
    def variance(self) -> Any:
        return self.rate

    def sample(self, sample_shape: Any = ()) -> Any:
        shape = self._extended_shape(sample_shape)
        with no_grad():
            return poisson(self.rate.expand(shape))

    def log_prob(self, value: Any) -> Any:
        if self._validate_args:
            self._validate_sample(value)
        rate, value = broadcast_all(self.rate, value)
        return xlogy(value, rate) - rate - lgamma(value + 1)
