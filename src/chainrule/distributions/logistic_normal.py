"""LogisticNormal: a normal vector pushed onto the simplex by stick-breaking.

>>> import chainrule as cr
>>> d = LogisticNormal(cr.zeros(2), cr.ones(2))
>>> d.event_shape
chainrule.Size([3])
>>> d.log_prob(cr.tensor([0.2, 0.3, 0.5]))
tensor(1.2980)
"""

from __future__ import annotations

from typing import Any

from chainrule.distributions import constraints
from chainrule.distributions.independent import Independent
from chainrule.distributions.normal import Normal
from chainrule.distributions.transformed_distribution import TransformedDistribution
from chainrule.distributions.transforms import StickBreakingTransform

__all__ = ["LogisticNormal"]


class LogisticNormal(TransformedDistribution):
    """StickBreakingTransform of X ~ Normal(loc, scale) over the last dimension: K normal
    coordinates give a point of the (K + 1)-simplex."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, loc: Any, scale: Any, validate_args: bool | None = None) -> None:
        normal = Normal(loc, scale, validate_args=validate_args)
        if not normal.batch_shape:  # numbers: one coordinate, a point of the 2-simplex
            normal = normal.expand([1])
        base = Independent(normal, 1)
        super().__init__(base, StickBreakingTransform(), validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> LogisticNormal:
        new = self._get_checked_instance(LogisticNormal, _instance)
        return super().expand(batch_shape, _instance=new)  # type: ignore[return-value]

    @property
    def loc(self) -> Any:
        return self.base_dist.base_dist.loc

    @property
    def scale(self) -> Any:
        return self.base_dist.base_dist.scale
