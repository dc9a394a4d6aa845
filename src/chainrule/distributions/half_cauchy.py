"""The half-Cauchy distribution: |X| for X ~ Cauchy(0, scale).

>>> import chainrule as cr
>>> HalfCauchy(1.0).cdf(cr.tensor(1.0))
tensor(0.5000)
"""

from __future__ import annotations

import math
from typing import Any

from chainrule.distributions.cauchy import Cauchy
from chainrule.distributions.folded import FoldedAtZero
from chainrule.factories import full

__all__ = ["HalfCauchy"]


class HalfCauchy(FoldedAtZero):
    """Density 2 Cauchy(x; 0, scale) on x >= 0: heavy tailed, so its mean and variance are
    infinite."""

    family = Cauchy
    casts_value = True  # a float64 value, float32 scale: float32, as PyTorch's

    @property
    def mean(self) -> Any:
        return full(self._extended_shape(), math.inf, dtype=self.scale.dtype)

    @property
    def variance(self) -> Any:
        return full(self._extended_shape(), math.inf, dtype=self.scale.dtype)
