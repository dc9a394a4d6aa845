"""The half-normal distribution: |X| for X ~ Normal(0, scale).

>>> import chainrule as cr
>>> HalfNormal(1.0).cdf(cr.tensor(0.0))
tensor(0.)
"""

from __future__ import annotations

import math
from typing import Any

from chainrule.distributions.folded import FoldedAtZero
from chainrule.distributions.normal import Normal

__all__ = ["HalfNormal"]


class HalfNormal(FoldedAtZero):
    """Density 2 N(x; 0, scale) on x >= 0."""

    family = Normal

    @property
    def mean(self) -> Any:
        return self.scale * math.sqrt(2 / math.pi)

    @property
    def variance(self) -> Any:
        return self.scale.pow(2) * (1 - 2 / math.pi)
