"""The LKJ distribution over lower Cholesky factors L of correlation matrices: the matrix
L L^T has density proportional to det(L L^T)^(concentration - 1); concentration 1 makes it
uniform over correlation matrices. Draws by the onion method of Lewandowski, Kurowicka and
Joe (2009), from Beta and normal draws as PyTorch makes them (so a seed gives its values).

    >>> import chainrule as cr
    >>> d = LKJCholesky(2, cr.tensor(1.0))
    >>> d.log_prob(cr.eye(2))
    tensor(-0.6931)
"""

from __future__ import annotations

import math
from typing import Any

from chainrule.distributions import constraints
from chainrule.distributions.distribution import Distribution
from chainrule.distributions.gamma import Beta
from chainrule.distributions.utils import broadcast_all, finfo_tiny
from chainrule.factories import arange, randn
from chainrule.ops.shape import cat
from chainrule.ops.special_ops import lgamma
from chainrule.tensor import Size

__all__ = ["LKJCholesky"]


class LKJCholesky(Distribution):
    """Cholesky factors of ``dim`` x ``dim`` correlation matrices with density proportional to
    det(L L^T)^(concentration - 1)."""

    arg_constraints = {"concentration": constraints.positive}
    support = constraints.corr_cholesky

    def __init__(
        self, dim: int, concentration: Any = 1.0, validate_args: bool | None = None
    ) -> None:
        if dim < 2:
            raise ValueError(
                f"Expected dim to be an integer greater than or equal to 2. Found dim={dim}."
            )
        self.dim = dim
        (self.concentration,) = broadcast_all(concentration)
        # row i > 0 of L is sqrt(y_i) times a uniform direction in its first i coordinates,
        # with y_i ~ Beta(i / 2, concentration + (dim - 2) / 2 - (i - 1) / 2); row 0 draws a
        # y it does not use, as PyTorch's does (so that the stream is consumed alike)
        offset = arange(dim - 1, dtype=self.concentration.dtype)
        offset = cat([offset.new_zeros((1,)), offset])
        marginal = self.concentration + 0.5 * (dim - 2)
        self._beta = Beta(offset + 0.5, marginal.unsqueeze(-1) - 0.5 * offset)
        super().__init__(self.concentration.size(), Size((dim, dim)), validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> LKJCholesky:
        new = self._get_checked_instance(LKJCholesky, _instance)
        batch_shape = Size(batch_shape)
        new.dim = self.dim
        new.concentration = self.concentration.expand(batch_shape)
        new._beta = self._beta.expand((*batch_shape, self.dim))
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def sample(self, sample_shape: Any = ()) -> Any:
        y = self._beta.sample(sample_shape).unsqueeze(-1)
        u_normal = randn(self._extended_shape(sample_shape), dtype=y.dtype).tril(-1)
        u_hypersphere = u_normal / u_normal.norm(dim=-1, keepdim=True)
        u_hypersphere[..., 0, :].fill_(0.0)  # row 0 is 0/0 above: its direction is empty
        w = y.sqrt() * u_hypersphere
        diag = (1 - (w**2).sum(-1)).clamp(min=finfo_tiny(w.dtype)).sqrt()
        return w + diag.diag_embed()

    def log_prob(self, value: Any) -> Any:
        if self._validate_args:
            self._validate_sample(value)
        diag = value.diagonal(dim1=-1, dim2=-2)[..., 1:]
        order = arange(2, self.dim + 1)
        order = 2 * (self.concentration - 1).unsqueeze(-1) + self.dim - order
        unnormalized = (order * diag.log()).sum(-1)
        dm1 = self.dim - 1
        alpha = self.concentration + 0.5 * dm1
        normalizer = 0.5 * dm1 * math.log(math.pi) + (alpha - 0.5).mvlgamma(dm1)
        return unnormalized - (normalizer - lgamma(alpha) * dm1)
