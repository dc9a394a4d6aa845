"""The von Mises distribution: a circular analogue of the normal, density
exp(concentration cos(x - loc)) / (2 pi I0(concentration)).

The normalizer uses the exactly scaled Bessel functions (log I0(k) = log i0e(k) + k); PyTorch
uses a polynomial approximation of them, which differs from the exact values by up to ~5e-7 in
log_prob and ~5e-4 (relative) in the variance for a concentration of 1e4. Draws are made by Best
and Fisher's rejection sampler on the shared uniform stream, in float64, so they are PyTorch's
under the same seed.

>>> import chainrule as cr
>>> VonMises(cr.tensor(0.0), cr.tensor(1.0)).log_prob(cr.tensor(0.0))
tensor(-1.0738)
"""

from __future__ import annotations

import math
from typing import Any

from chainrule.distributions import constraints
from chainrule.distributions.distribution import Distribution, expanded
from chainrule.distributions.utils import broadcast_all
from chainrule.dtypes import bool as bool_dtype
from chainrule.dtypes import float64
from chainrule.factories import ones, rand, zeros
from chainrule.grad_mode import no_grad
from chainrule.ops.elementwise import log, where
from chainrule.ops.special_ops import i0e, i1e

__all__ = ["VonMises"]


def _proposal_r(k: Any) -> Any:
    """The parameter r of Best and Fisher's wrapped Cauchy envelope for concentration k: with
    tau = 1 + sqrt(1 + 4 k^2) and rho = (tau - sqrt(2 tau)) / (2 k), r = (1 + rho^2) / (2 rho).
    For k below 1e-5 that form loses every digit (tau - sqrt(2 tau) cancels) and its series,
    r = 1 / k + k, is used."""
    tau = 1 + (1 + 4 * k * k).sqrt()
    rho = (tau - (2 * tau).sqrt()) / (2 * k)
    return where(k < 1e-5, 1 / k + k, (1 + rho * rho) / (2 * rho))


def _best_fisher(loc: Any, k: Any, r: Any) -> Any:
    """Angles in [-pi, pi) drawn by Best and Fisher's rejection sampler (all float64): each
    round draws three uniforms per element (u1 proposes cos(pi u1) through the envelope, u2
    accepts it, u3 picks the sign), and rounds go on until every element has accepted once. An
    element takes every proposal it accepts, the last one staying (as PyTorch's sampler does;
    each accepted proposal is a draw of the distribution whatever the round)."""
    angle = zeros(loc.shape, dtype=float64)
    pending = ones(loc.shape, dtype=bool_dtype)
    while bool(pending.any()):
        u1, u2, u3 = rand((3, *loc.shape), dtype=float64).unbind(0)
        f = (1 + r * (math.pi * u1).cos()) / (r + (math.pi * u1).cos())
        c = k * (r - f)
        accept = ((c * (2 - c) - u2) > 0) | ((c / u2).log() + 1 - c >= 0)
        angle = where(accept, (u3 - 0.5).sign() * f.acos(), angle)
        pending = pending & ~accept
    # the angle about loc, wrapped into [-pi, pi)
    return (angle + math.pi + loc) % (2 * math.pi) - math.pi


class VonMises(Distribution):
    """An angle with mean direction ``loc`` and concentration ``concentration`` (the larger,
    the narrower; 0 would be uniform on the circle)."""

    arg_constraints = {"loc": constraints.real, "concentration": constraints.positive}
    support = constraints.real
    has_rsample = False

    def __init__(self, loc: Any, concentration: Any, validate_args: bool | None = None) -> None:
        self.loc, self.concentration = broadcast_all(loc, concentration)
        super().__init__(self.loc.shape, validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> VonMises:
        return expanded(self, VonMises, batch_shape, _instance, ["loc", "concentration"])

    def log_prob(self, value: Any) -> Any:
        if self._validate_args:
            self._validate_sample(value)
        k = self.concentration
        log_i0 = log(i0e(k)) + k
        return k * (value - self.loc).cos() - math.log(2 * math.pi) - log_i0

    def sample(self, sample_shape: Any = ()) -> Any:
        shape = self._extended_shape(sample_shape)
        with no_grad():
            loc = self.loc.to(float64).expand(shape)
            k = self.concentration.to(float64).expand(shape)
            return _best_fisher(loc, k, _proposal_r(k)).to(self.loc.dtype)

    @property
    def mean(self) -> Any:
        return self.loc

    @property
    def mode(self) -> Any:
        return self.loc

    @property
    def variance(self) -> Any:
        """The circular variance 1 - I1(k) / I0(k) (the ratio of the scaled functions)."""
        k = self.concentration
        return 1 - i1e(k) / i0e(k)
