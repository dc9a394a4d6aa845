"""The continuous Bernoulli distribution on [0, 1]: density C(p) p^x (1 - p)^(1 - x), the
Bernoulli likelihood normalized over the interval (Loaiza-Ganem and Cunningham, 2019).

The normalizer C(p) = 2 artanh(1 - 2p) / (1 - 2p) and the moments divide 0 by 0 at p = 1/2:
inside ``lims`` (an interval around 1/2) they are read from their Taylor series in p - 1/2.

>>> import chainrule as cr
>>> ContinuousBernoulli(probs=cr.tensor(0.5)).log_prob(cr.tensor(0.25))
tensor(0.)
"""

from __future__ import annotations

import math
from numbers import Number
from typing import Any

from chainrule.distributions import constraints
from chainrule.distributions.distribution import ExponentialFamily, expanded
from chainrule.distributions.utils import (
    BinaryProbsLogits,
    broadcast_all,
    clamp_probs,
    lazy_property,
    logits_to_probs,
    one_parameter,
)
from chainrule.factories import rand
from chainrule.nn import functional as F
from chainrule.ops.elementwise import where

__all__ = ["ContinuousBernoulli"]


def _log_abs_one_minus_twice(q: Any) -> Any:
    """log |1 - 2q|, through log1p below 1/2 (accurate for small q, PyTorch's split); each side
    sees a harmless stand-in where the other is taken, so neither gives nan nor a nan gradient."""
    below = q <= 0.5
    return where(below, (-2 * where(below, q, 0.0)).log1p(), (2 * where(below, 1.0, q) - 1).log())


class ContinuousBernoulli(BinaryProbsLogits, ExponentialFamily):
    """A density on [0, 1] shaped like p^x (1 - p)^(1 - x); ``probs`` is clamped an epsilon
    inside (0, 1)."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(
        self,
        probs: Any = None,
        logits: Any = None,
        lims: tuple[float, float] = (0.499, 0.501),
        validate_args: bool | None = None,
    ) -> None:
        given = one_parameter(probs, logits)
        (param,) = broadcast_all(given)
        if probs is not None:
            # checked before the clamp, which would make any value pass; PyTorch checks
            # whenever validate_args is given at all, False included
            if validate_args is not None and not bool(
                self.arg_constraints["probs"].check(param).all()
            ):
                raise ValueError("The parameter probs has invalid values")
            self.probs = clamp_probs(param)
            self._param = self.probs
        else:
            self.logits = param
            self._param = param
        self._lims = lims
        batch = () if isinstance(given, Number) else param.size()
        super().__init__(batch, validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> ContinuousBernoulli:
        new = expanded(self, ContinuousBernoulli, batch_shape, _instance, ["probs", "logits"])
        new._lims = self._lims
        return new

    @lazy_property
    def probs(self) -> Any:
        # clamped in the logits form too, so an infinite logit gives finite moments
        return clamp_probs(logits_to_probs(self.logits, is_binary=True))

    # ---- the split at p = 1/2
    def _near_half(self) -> Any:
        """Where p lies in (lims[0], lims[1]] (PyTorch's bounds): the closed forms are 0/0
        there."""
        low, high = self._lims
        return (self.probs > low) & (self.probs <= high)

    def _off_half(self) -> Any:
        """p, moved to ``lims[0]`` where it is near 1/2, so the closed forms stay finite (and
        their gradients too) in the elements whose series value is taken."""
        return where(self._near_half(), self._lims[0], self.probs)

    def _log_normalizer(self) -> Any:
        q = self._off_half()
        log_odds = q.log() - (-q).log1p()
        closed = log_odds.abs().log() - _log_abs_one_minus_twice(q)
        x2 = (self.probs - 0.5).pow(2)
        series = math.log(2.0) + x2 * (4.0 / 3.0 + 104.0 / 45.0 * x2)
        return where(self._near_half(), series, closed)

    # ---- moments
    @property
    def mean(self) -> Any:
        q = self._off_half()
        closed = q / (2 * q - 1) + 1 / ((-q).log1p() - q.log())
        x = self.probs - 0.5
        series = 0.5 + x * (1.0 / 3.0 + 16.0 / 45.0 * x.pow(2))
        return where(self._near_half(), series, closed)

    @property
    def variance(self) -> Any:
        q = self._off_half()
        closed = q * (q - 1) / (1 - 2 * q).pow(2) + ((-q).log1p() - q.log()).pow(-2)
        x2 = (self.probs - 0.5).pow(2)
        series = 1.0 / 12.0 - x2 * (1.0 / 15.0 - 128.0 / 945.0 * x2)
        return where(self._near_half(), series, closed)

    # ---- densities and draws
    def log_prob(self, value: Any) -> Any:
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        bce = F.binary_cross_entropy_with_logits(logits, value, reduction="none")
        return self._log_normalizer() - bce

    def cdf(self, value: Any) -> Any:
        if self._validate_args:
            self._validate_sample(value)
        q = self._off_half()
        closed = (q.pow(value) * (1 - q).pow(1 - value) + q - 1) / (2 * q - 1)
        inside = where(self._near_half(), value, closed)
        return where(value <= 0, 0.0, where(value >= 1, 1.0, inside))

    def icdf(self, value: Any) -> Any:
        q = self._off_half()
        log1m_q = (-q).log1p()
        closed = ((value * (2 * q - 1) - q).log1p() - log1m_q) / (q.log() - log1m_q)
        return where(self._near_half(), value, closed)

    def rsample(self, sample_shape: Any = ()) -> Any:
        shape = self._extended_shape(sample_shape)
        return self.icdf(rand(shape, dtype=self.probs.dtype))

    def entropy(self) -> Any:
        # -E[x log p + (1 - x) log(1 - p) + log C] with E[x] the mean
        log_p, log1m_p = self.probs.log(), (-self.probs).log1p()
        return self.mean * (log1m_p - log_p) - self._log_normalizer() - log1m_p
