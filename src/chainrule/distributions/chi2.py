"""The chi-squared distribution with ``df`` degrees of freedom: Gamma(df / 2, rate 1/2).

>>> import chainrule as cr
>>> Chi2(cr.tensor(4.0)).mean
tensor(4.)
"""

from __future__ import annotations

from typing import Any

from chainrule.distributions import constraints
from chainrule.distributions.gamma import Gamma
from chainrule.distributions.utils import broadcast_all
from chainrule.tensor import Size

__all__ = ["Chi2"]


class Chi2(Gamma):
    """Sum of ``df`` squared standard normals."""

    arg_constraints = {"df": constraints.positive}

    def __init__(self, df: Any, validate_args: bool | None = None) -> None:
        (df,) = broadcast_all(df)
        super().__init__(0.5 * df, 0.5, validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Chi2:
        new = self._get_checked_instance(Chi2, _instance)
        return super().expand(Size(batch_shape), new)  # type: ignore[return-value]

    @property
    def df(self) -> Any:
        return self.concentration * 2
