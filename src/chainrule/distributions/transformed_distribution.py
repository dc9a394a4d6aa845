"""TransformedDistribution: draws of a base distribution pushed through invertible transforms.

>>> import chainrule as cr
>>> from chainrule.distributions import Normal
>>> from chainrule.distributions.transforms import ExpTransform
>>> d = TransformedDistribution(Normal(0.0, 1.0), [ExpTransform()])
>>> d.log_prob(cr.tensor(1.0))
tensor(-0.9189)
"""

from __future__ import annotations

from typing import Any

from chainrule.distributions import constraints
from chainrule.distributions.distribution import Distribution
from chainrule.distributions.independent import Independent
from chainrule.distributions.transforms import ComposeTransform, Transform, sum_rightmost
from chainrule.grad_mode import no_grad
from chainrule.tensor import Size

__all__ = ["TransformedDistribution"]


def _fitted_base(base: Distribution, transform: ComposeTransform) -> Distribution:
    """``base`` expanded to the shape the transform's parameters broadcast it to (so draws have
    the result's shape), with the batch dimensions the transform reads as one event moved into
    the event (PyTorch's)."""
    base_shape = base.batch_shape + base.event_shape
    needed = transform.domain.event_dim
    if len(base_shape) < needed:
        raise ValueError(
            f"base_distribution needs to have shape with size at least {needed}, "
            f"but got {base_shape}."
        )
    expanded_shape = transform.inverse_shape(transform.forward_shape(base_shape))
    base_event_dim = len(base.event_shape)
    if base_shape != expanded_shape:
        base = base.expand(expanded_shape[: len(expanded_shape) - base_event_dim])
    if needed > base_event_dim:
        base = Independent(base, needed - base_event_dim)
    return base


class TransformedDistribution(Distribution):
    """Draws of ``base_distribution`` mapped through ``transforms`` in order; log_prob by the
    change of variables, log p(y) = log p_base(x) - log |det dy/dx|."""

    arg_constraints: dict[str, Any] = {}

    def __init__(
        self,
        base_distribution: Distribution,
        transforms: Any,
        validate_args: bool | None = None,
    ) -> None:
        if isinstance(transforms, Transform):
            self.transforms = [transforms]
        elif isinstance(transforms, list):
            if not all(isinstance(t, Transform) for t in transforms):
                raise ValueError("transforms must be a Transform or a list of Transforms")
            self.transforms = transforms
        else:
            raise ValueError(f"transforms must be a Transform or list, but was {transforms}")
        transform = ComposeTransform(self.transforms)
        self.base_dist = _fitted_base(base_distribution, transform)
        # the event holds the transform's output event (a coupled transform) and whatever the
        # base's event became under it
        base_event_dim = len(base_distribution.event_shape)
        codomain_dim, domain_dim = transform.codomain.event_dim, transform.domain.event_dim
        event_dim = max(codomain_dim, base_event_dim + codomain_dim - domain_dim)
        shape = transform.forward_shape(
            base_distribution.batch_shape + base_distribution.event_shape
        )
        cut = len(shape) - event_dim
        super().__init__(shape[:cut], shape[cut:], validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> TransformedDistribution:
        new = self._get_checked_instance(TransformedDistribution, _instance)
        batch_shape = Size(batch_shape)
        shape = batch_shape + self.event_shape
        for t in reversed(self.transforms):
            shape = t.inverse_shape(shape)
        new.base_dist = self.base_dist.expand(shape[: len(shape) - len(self.base_dist.event_shape)])
        new.transforms = self.transforms
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def has_rsample(self) -> bool:  # type: ignore[override]
        return self.base_dist.has_rsample

    @constraints.dependent_property(is_discrete=False)
    def support(self) -> Any:
        if not self.transforms:
            return self.base_dist.support
        support = self.transforms[-1].codomain
        extra = len(self.event_shape) - support.event_dim
        return constraints.independent(support, extra) if extra > 0 else support

    def _push(self, x: Any) -> Any:
        for t in self.transforms:
            x = t(x)
        return x

    def sample(self, sample_shape: Any = ()) -> Any:
        with no_grad():
            return self._push(self.base_dist.sample(sample_shape))

    def rsample(self, sample_shape: Any = ()) -> Any:
        return self._push(self.base_dist.rsample(sample_shape))

    def log_prob(self, value: Any) -> Any:
        if self._validate_args:
            self._validate_sample(value)
        event_dim = len(self.event_shape)
        log_prob: Any = 0.0
        y = value
        for t in reversed(self.transforms):
            x = t.inv(y)
            event_dim += t.domain.event_dim - t.codomain.event_dim
            jacobian = t.log_abs_det_jacobian(x, y)
            log_prob = log_prob - sum_rightmost(jacobian, event_dim - t.domain.event_dim)
            y = x
        base = self.base_dist.log_prob(y)
        return log_prob + sum_rightmost(base, event_dim - len(self.base_dist.event_shape))

    def _monotone(self, value: Any) -> Any:
        """A cdf of the base turned into one of the result: 1 - F where the map decreases."""
        sign: Any = 1
        for t in self.transforms:
            sign = sign * t.sign
        if isinstance(sign, int) and sign == 1:
            return value
        return sign * (value - 0.5) + 0.5

    def cdf(self, value: Any) -> Any:
        for t in reversed(self.transforms):
            value = t.inv(value)
        if self._validate_args:
            self.base_dist._validate_sample(value)
        return self._monotone(self.base_dist.cdf(value))

    def icdf(self, value: Any) -> Any:
        return self._push(self.base_dist.icdf(self._monotone(value)))
