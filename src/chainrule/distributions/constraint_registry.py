"""From a constraint to a transform that maps unconstrained reals into it, as PyTorch's
``torch.distributions.constraint_registry``.

``biject_to(c)`` gives a bijection onto ``c`` (its inverse maps back, its log |det J| is
defined): what HMC-style samplers need. ``transform_to(c)`` gives any map onto ``c``, which
may be cheaper or not injective (softmax for the simplex): what an optimizer needs. Both are
keyed by the constraint's class and extended with ``register``:

>>> import chainrule as cr
>>> t = biject_to(constraints.positive)
>>> t(cr.tensor(0.0))
tensor(1.)
>>> transform_to(constraints.simplex)
SoftmaxTransform()
"""

from __future__ import annotations

from collections.abc import Callable
from numbers import Number
from typing import Any

from chainrule.distributions import constraints
from chainrule.distributions import transforms as T

__all__ = ["ConstraintRegistry", "biject_to", "transform_to"]

Factory = Callable[[Any], T.Transform]


class ConstraintRegistry:
    """A table from constraint classes to functions that build a transform for an instance."""

    def __init__(self) -> None:
        self._registry: dict[type, Factory] = {}

    def register(self, constraint: Any, factory: Factory | None = None) -> Any:
        """Use ``factory(c)`` for every constraint ``c`` of ``constraint``'s class (an instance
        names its class); without a factory, a decorator that registers the function."""
        if factory is None:
            return lambda fn: self.register(constraint, fn)
        key = type(constraint) if isinstance(constraint, constraints.Constraint) else constraint
        if not (isinstance(key, type) and issubclass(key, constraints.Constraint)):
            raise TypeError(
                "Expected constraint to be either a Constraint subclass or instance, "
                f"but got {constraint}"
            )
        self._registry[key] = factory
        return factory

    def __call__(self, constraint: Any) -> T.Transform:
        factory = self._registry.get(type(constraint))
        if factory is None:
            raise NotImplementedError(f"Cannot transform {type(constraint).__name__} constraints")
        return factory(constraint)


biject_to = ConstraintRegistry()
transform_to = ConstraintRegistry()


def _both(constraint: Any) -> Callable[[Factory], Factory]:
    def register(fn: Factory) -> Factory:
        biject_to.register(constraint, fn)
        transform_to.register(constraint, fn)
        return fn

    return register


@_both(constraints.real)
def _to_real(c: Any) -> T.Transform:
    return T.identity_transform


@_both(constraints.greater_than)
@_both(constraints.greater_than_eq)
def _to_above(c: Any) -> T.Transform:
    return T.ComposeTransform([T.ExpTransform(), T.AffineTransform(c.lower_bound, 1)])


@_both(constraints.less_than)
def _to_below(c: Any) -> T.Transform:
    return T.ComposeTransform([T.ExpTransform(), T.AffineTransform(c.upper_bound, -1)])


@_both(constraints.interval)
@_both(constraints.half_open_interval)
def _to_interval(c: Any) -> T.Transform:
    low, high = c.lower_bound, c.upper_bound
    if isinstance(low, Number) and isinstance(high, Number) and low == 0 and high == 1:
        return T.SigmoidTransform()
    return T.ComposeTransform([T.SigmoidTransform(), T.AffineTransform(low, high - low)])


@_both(constraints.corr_cholesky)
def _to_corr_cholesky(c: Any) -> T.Transform:
    return T.CorrCholeskyTransform()


def _recursive(registry: ConstraintRegistry) -> None:
    """The constraints built of others: each part goes through the same registry."""

    @registry.register(constraints.independent)
    def _independent(c: Any) -> T.Transform:
        return T.IndependentTransform(registry(c.base_constraint), c.reinterpreted_batch_ndims)

    @registry.register(constraints.cat)
    def _cat(c: Any) -> T.Transform:
        return T.CatTransform([registry(part) for part in c.cseq], c.dim, c.lengths)

    @registry.register(constraints.stack)
    def _stack(c: Any) -> T.Transform:
        return T.StackTransform([registry(part) for part in c.cseq], c.dim)


_recursive(biject_to)
_recursive(transform_to)

# the simplex has a bijection and a cheaper map; the matrix constraints have only a map
biject_to.register(constraints.simplex, lambda c: T.StickBreakingTransform())
transform_to.register(constraints.simplex, lambda c: T.SoftmaxTransform())
transform_to.register(constraints.lower_cholesky, lambda c: T.LowerCholeskyTransform())
transform_to.register(constraints.positive_definite, lambda c: T.PositiveDefiniteTransform())
transform_to.register(constraints.positive_semidefinite, lambda c: T.PositiveDefiniteTransform())
