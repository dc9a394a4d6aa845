"""Gamma, Dirichlet and Beta distributions: densities through lgamma/digamma, draws from
normalized standard gamma draws, reparameterized by implicit differentiation (see
``_gamma_sampler``).

    >>> import chainrule as cr
    >>> cr.distributions.Gamma(cr.tensor(2.0), cr.tensor(1.0)).log_prob(cr.tensor(1.0))
    tensor(-1.)
"""

from __future__ import annotations

from numbers import Number
from typing import Any

from chainrule import special
from chainrule.distributions import constraints
from chainrule.distributions._gamma_sampler import standard_gamma
from chainrule.distributions.distribution import ExponentialFamily, expanded
from chainrule.distributions.utils import batch_shape_of, broadcast_all, finfo_eps, finfo_tiny
from chainrule.dtypes import float64
from chainrule.factories import as_tensor, tensor, zeros
from chainrule.ops.elementwise import log, where
from chainrule.ops.pointwise import xlogy
from chainrule.ops.shape import stack
from chainrule.ops.special_ops import digamma, lgamma
from chainrule.tensor import Size

__all__ = ["Beta", "Dirichlet", "Gamma"]


def _log_beta(concentration: Any) -> Any:
    """log B(c) = sum lgamma(c_i) - lgamma(sum c_i) over the last dimension."""
    return lgamma(concentration).sum(-1) - lgamma(concentration.sum(-1))


def _log_beta_of(a: Any, b: Any) -> Any:
    """log B(a, b) = lgamma(a) + lgamma(b) - lgamma(a + b), elementwise (a Beta's)."""
    return lgamma(a) + lgamma(b) - lgamma(a + b)


class Gamma(ExponentialFamily):
    """Density rate^c x^(c-1) e^(-rate x) / Gamma(c) on x >= 0."""

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, concentration: Any, rate: Any, validate_args: bool | None = None) -> None:
        self.concentration, self.rate = broadcast_all(concentration, rate)
        batch = batch_shape_of((concentration, rate), self.concentration)
        super().__init__(batch, validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Gamma:
        return expanded(self, Gamma, batch_shape, _instance, ["concentration", "rate"])

    @property
    def mean(self) -> Any:
        return self.concentration / self.rate

    @property
    def mode(self) -> Any:
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self) -> Any:
        return self.concentration / self.rate.pow(2)

    def rsample(self, sample_shape: Any = ()) -> Any:
        shape = self._extended_shape(sample_shape)
        x = standard_gamma(self.concentration.expand(shape)) / self.rate.expand(shape)
        # a draw that underflowed to 0 would give log_prob -inf: keep it the smallest positive
        return x.clamp(min=finfo_tiny(x.dtype))

    def log_prob(self, value: Any) -> Any:
        value = as_tensor(value, dtype=self.rate.dtype)
        if self._validate_args:
            self._validate_sample(value)
        c, r = self.concentration, self.rate
        return xlogy(c, r) + xlogy(c - 1, value) - r * value - lgamma(c)

    def cdf(self, value: Any) -> Any:
        if self._validate_args:
            self._validate_sample(value)
        return special.gammainc(self.concentration, self.rate * value)

    def entropy(self) -> Any:
        c = self.concentration
        return c - log(self.rate) + lgamma(c) + (1 - c) * digamma(c)


class Dirichlet(ExponentialFamily):
    """Density prod x_i^(c_i - 1) / B(c) on the probability simplex."""

    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration: Any, validate_args: bool | None = None) -> None:
        if concentration.dim() < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        shape = concentration.shape
        super().__init__(shape[:-1], shape[-1:], validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Dirichlet:
        return expanded(self, Dirichlet, batch_shape, _instance, ["concentration"])

    @property
    def mean(self) -> Any:
        return self.concentration / self.concentration.sum(-1, keepdim=True)

    @property
    def mode(self) -> Any:
        # (c - 1) / (sum c - K) where every c > 1; where every c < 1 each vertex of the
        # simplex is a mode (the density grows without bound there) and the first is given,
        # as PyTorch gives it
        above = (self.concentration - 1).clamp(min=0.0)
        mode = above / above.sum(-1, keepdim=True)
        below = (self.concentration < 1).all(-1, keepdim=True)
        k = self.concentration.shape[-1]
        vertex = zeros(k, dtype=mode.dtype)
        vertex[0] = 1.0
        return where(below, vertex, mode)

    @property
    def variance(self) -> Any:
        total = self.concentration.sum(-1, keepdim=True)
        return self.concentration * (total - self.concentration) / (total.pow(2) * (total + 1))

    def rsample(self, sample_shape: Any = ()) -> Any:
        shape = self._extended_shape(sample_shape)
        # ATen's _sample_dirichlet: gamma draws and their normalization in double whatever the
        # dtype (so float32 draws are PyTorch's too), then kept in [tiny, the float below 1]
        g = standard_gamma(self.concentration.expand(shape).to(float64))
        x = (g / g.sum(-1, keepdim=True)).to(self.concentration.dtype)
        return x.clamp(min=finfo_tiny(x.dtype), max=1 - finfo_eps(x.dtype) / 2)

    def log_prob(self, value: Any) -> Any:
        if self._validate_args:
            self._validate_sample(value)
        c = self.concentration
        return xlogy(c - 1.0, value).sum(-1) - _log_beta(c)

    def entropy(self) -> Any:
        c = self.concentration
        k = c.size(-1)
        total = c.sum(-1)
        return _log_beta(c) + (total - k) * digamma(total) - ((c - 1.0) * digamma(c)).sum(-1)


class Beta(ExponentialFamily):
    """Density x^(a-1) (1-x)^(b-1) / B(a, b) on [0, 1]: a Dirichlet over (x, 1 - x)."""

    arg_constraints = {
        "concentration1": constraints.positive,
        "concentration0": constraints.positive,
    }
    support = constraints.unit_interval
    has_rsample = True

    def __init__(
        self, concentration1: Any, concentration0: Any, validate_args: bool | None = None
    ) -> None:
        if isinstance(concentration1, Number) and isinstance(concentration0, Number):
            pair = tensor([float(concentration1), float(concentration0)])
        else:
            c1, c0 = broadcast_all(concentration1, concentration0)
            pair = stack([c1, c0], -1)
        self._dirichlet = Dirichlet(pair, validate_args=validate_args)
        super().__init__(self._dirichlet._batch_shape, validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Beta:
        new = self._get_checked_instance(Beta, _instance)
        batch_shape = Size(batch_shape)
        new._dirichlet = self._dirichlet.expand(batch_shape)
        ExponentialFamily.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def concentration1(self) -> Any:
        return self._dirichlet.concentration[..., 0]

    @property
    def concentration0(self) -> Any:
        return self._dirichlet.concentration[..., 1]

    @property
    def mean(self) -> Any:
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def mode(self) -> Any:
        return self._dirichlet.mode[..., 0]

    @property
    def variance(self) -> Any:
        total = self.concentration1 + self.concentration0
        return self.concentration1 * self.concentration0 / (total.pow(2) * (total + 1))

    def rsample(self, sample_shape: Any = ()) -> Any:
        return self._dirichlet.rsample(sample_shape).select(-1, 0)

    def log_prob(self, value: Any) -> Any:
        if self._validate_args:
            self._validate_sample(value)
        pair = stack([value, 1.0 - value], -1)
        return self._dirichlet.log_prob(pair)

    def entropy(self) -> Any:
        return self._dirichlet.entropy()
