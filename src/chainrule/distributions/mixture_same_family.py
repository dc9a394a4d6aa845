"""A mixture of K distributions of one family: pick a component by a Categorical draw, then draw
from it.

>>> import chainrule as cr
>>> D = cr.distributions
>>> mix = D.MixtureSameFamily(
...     D.Categorical(probs=cr.tensor([0.5, 0.5])), D.Normal(cr.tensor([-1.0, 1.0]), 1.0)
... )
>>> mix.mean
tensor(0.)
"""

from __future__ import annotations

from typing import Any

from chainrule.distributions import constraints
from chainrule.distributions.categorical import Categorical
from chainrule.distributions.distribution import Distribution
from chainrule.grad_mode import no_grad
from chainrule.tensor import Size

__all__ = ["MixtureSameFamily"]


class MixtureSameFamily(Distribution):
    """``component_distribution``'s rightmost batch dimension holds the K components, weighted
    by ``mixture_distribution`` (a Categorical over K)."""

    arg_constraints: dict[str, constraints.Constraint] = {}
    has_rsample = False

    def __init__(
        self,
        mixture_distribution: Any,
        component_distribution: Any,
        validate_args: bool | None = None,
    ) -> None:
        self._mixture_distribution = mixture_distribution
        self._component_distribution = component_distribution
        if not isinstance(mixture_distribution, Categorical):
            raise ValueError(
                " The Mixture distribution needs to be an  instance of "
                "chainrule.distributions.Categorical"
            )
        if not isinstance(component_distribution, Distribution):
            raise ValueError(
                "The Component distribution needs to be an instance of "
                "chainrule.distributions.Distribution"
            )
        mixture_batch = mixture_distribution.batch_shape
        batch = Size(component_distribution.batch_shape[:-1])
        # right-aligned, a size 1 on either side is allowed to broadcast
        for m, c in zip(reversed(mixture_batch), reversed(batch), strict=False):
            if m != 1 and c != 1 and m != c:
                raise ValueError(
                    f"`mixture_distribution.batch_shape` ({mixture_batch}) is not compatible "
                    f"with `component_distribution.batch_shape`({batch})"
                )
        k_mixture = mixture_distribution.logits.shape[-1]
        k_components = component_distribution.batch_shape[-1]
        if k_mixture != k_components:
            raise ValueError(
                f"`mixture_distribution component` ({k_mixture}) does not equal "
                f"`component_distribution.batch_shape[-1]` ({k_components})"
            )
        self._event_ndims = len(component_distribution.event_shape)
        super().__init__(batch, component_distribution.event_shape, validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> MixtureSameFamily:
        new = self._get_checked_instance(MixtureSameFamily, _instance)
        batch_shape = Size(batch_shape)
        k = self._component_distribution.batch_shape[-1]
        new._component_distribution = self._component_distribution.expand((*batch_shape, k))
        new._mixture_distribution = self._mixture_distribution.expand(batch_shape)
        new._event_ndims = self._event_ndims
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @constraints.dependent_property
    def support(self) -> Any:
        return constraints.MixtureSameFamilyConstraint(self._component_distribution.support)

    @property
    def mixture_distribution(self) -> Any:
        return self._mixture_distribution

    @property
    def component_distribution(self) -> Any:
        return self._component_distribution

    def _weights(self) -> Any:
        """The mixture probabilities with a dimension of 1 per event dimension, so that they
        broadcast against the components' per-component quantities."""
        probs = self._mixture_distribution.probs
        return probs.reshape(*probs.shape, *(1,) * self._event_ndims)

    def _over_components(self, x: Any) -> Any:
        """A value placed before the component dimension, to be read by every component."""
        return x.unsqueeze(-1 - self._event_ndims)

    @property
    def mean(self) -> Any:
        component_dim = -1 - self._event_ndims
        return (self._weights() * self._component_distribution.mean).sum(component_dim)

    @property
    def variance(self) -> Any:
        # the law of total variance: E[Var(x | k)] + Var(E[x | k])
        component_dim = -1 - self._event_ndims
        w, c = self._weights(), self._component_distribution
        spread = (c.mean - self._over_components(self.mean)).pow(2)
        return (w * c.variance).sum(component_dim) + (w * spread).sum(component_dim)

    def cdf(self, x: Any) -> Any:
        if self._validate_args:
            self._validate_sample(x)
        cdf = self._component_distribution.cdf(self._over_components(x))
        return (cdf * self._mixture_distribution.probs).sum(-1)

    def log_prob(self, x: Any) -> Any:
        if self._validate_args:
            self._validate_sample(x)
        log_prob = self._component_distribution.log_prob(self._over_components(x))
        log_weights = self._mixture_distribution.logits.log_softmax(-1)
        return (log_prob + log_weights).logsumexp(-1)

    def sample(self, sample_shape: Any = ()) -> Any:
        with no_grad():
            sample_shape = Size(sample_shape)
            # one choice per element, where the weights may be shared along the batch
            mixture = self._mixture_distribution
            if mixture.batch_shape != self.batch_shape:
                mixture = mixture.expand(self.batch_shape)
            which = mixture.sample(sample_shape)
            draws = self._component_distribution.sample(sample_shape)
            # each element's chosen component, broadcast over its event dimensions
            component_dim = len(sample_shape) + len(self.batch_shape)
            index = which.reshape(*which.shape, *(1,) * (self._event_ndims + 1))
            index = index.expand(*draws.shape[:component_dim], 1, *self.event_shape)
            return draws.gather(component_dim, index).squeeze(component_dim)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(\n  {self._mixture_distribution!r},\n  "
            f"{self._component_distribution!r})"
        )
