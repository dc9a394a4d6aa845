"""The normal (Gaussian) distribution N(loc, scale^2).

>>> import chainrule as cr
>>> cr.distributions.Normal(0.0, 1.0).log_prob(cr.tensor(0.0))
tensor(-0.9189)
"""

from __future__ import annotations

import math
from numbers import Number
from typing import Any

from chainrule.distributions import constraints
from chainrule.distributions.distribution import ExponentialFamily, expanded
from chainrule.distributions.utils import batch_shape_of, broadcast_all
from chainrule.factories import normal, ones, zeros
from chainrule.grad_mode import no_grad
from chainrule.ops.elementwise import erf, log
from chainrule.ops.special_ops import erfinv

__all__ = ["Normal"]


def _log(x: Any) -> Any:
    return math.log(x) if isinstance(x, Number) else x.log()


class Normal(ExponentialFamily):
    """Normal distribution with mean ``loc`` and standard deviation ``scale``."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc: Any, scale: Any, validate_args: bool | None = None) -> None:
        self.loc, self.scale = broadcast_all(loc, scale)
        batch = batch_shape_of((loc, scale), self.loc)
        super().__init__(batch, validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Normal:
        return expanded(self, Normal, batch_shape, _instance, ["loc", "scale"])

    @property
    def mean(self) -> Any:
        return self.loc

    @property
    def mode(self) -> Any:
        return self.loc

    @property
    def stddev(self) -> Any:
        return self.scale

    @property
    def variance(self) -> Any:
        return self.stddev.pow(2)

    def sample(self, sample_shape: Any = ()) -> Any:
        shape = self._extended_shape(sample_shape)
        with no_grad():
            return normal(self.loc.expand(shape), self.scale.expand(shape))

    def rsample(self, sample_shape: Any = ()) -> Any:
        shape = self._extended_shape(sample_shape)
        eps = normal(zeros(shape, dtype=self.loc.dtype), ones(shape, dtype=self.loc.dtype))
        return self.loc + eps * self.scale

    def log_prob(self, value: Any) -> Any:
        if self._validate_args:
            self._validate_sample(value)
        z2 = (value - self.loc) ** 2 / (2 * self.scale**2)
        return -z2 - _log(self.scale) - 0.5 * math.log(2 * math.pi)

    def cdf(self, value: Any) -> Any:
        if self._validate_args:
            self._validate_sample(value)
        # 1 / scale in the parameters' dtype, then the standardized value in the value's: the
        # rounding PyTorch's gives a float64 value with float32 parameters
        return 0.5 * (1 + erf((value - self.loc) * (1 / self.scale) / math.sqrt(2)))

    def icdf(self, value: Any) -> Any:
        return self.loc + self.scale * erfinv(2 * value - 1) * math.sqrt(2)

    def entropy(self) -> Any:
        return 0.5 + 0.5 * math.log(2 * math.pi) + log(self.scale)
