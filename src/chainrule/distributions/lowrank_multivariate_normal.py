"""LowRankMultivariateNormal: a normal vector whose covariance is a low-rank part plus a
diagonal, Sigma = W W^T + diag(d), evaluated through the m x m "capacitance"
C = I + W^T diag(d)^-1 W so that nothing of size k x k is factorized.

>>> import chainrule as cr
>>> d = LowRankMultivariateNormal(cr.zeros(3), cr.ones(3, 1), cr.ones(3))
>>> d.log_prob(cr.zeros(3))
tensor(-3.4500)
"""

from __future__ import annotations

import math
from typing import Any

from chainrule import linalg
from chainrule.distributions import constraints
from chainrule.distributions.distribution import Distribution
from chainrule.distributions.utils import lazy_property
from chainrule.factories import eye, normal, ones, zeros
from chainrule.ops.shape import broadcast_shapes, broadcast_tensors
from chainrule.tensor import Size

__all__ = ["LowRankMultivariateNormal"]


def _capacitance_tril(W: Any, d: Any) -> Any:  # noqa: N803
    """The Cholesky factor of I + W^T diag(d)^-1 W (formed without sqrt(d), so that a d of the
    wrong sign fails the factorization as in PyTorch rather than giving nan)."""
    m = W.shape[-1]
    return linalg.cholesky(W.mT @ (W / d.unsqueeze(-1)) + eye(m, dtype=W.dtype))


def _matvec(M: Any, v: Any) -> Any:  # noqa: N803
    return (M @ v.unsqueeze(-1)).squeeze(-1)


class LowRankMultivariateNormal(Distribution):
    """Normal vectors with mean ``loc`` and covariance cov_factor cov_factor^T +
    diag(cov_diag); ``cov_factor`` is k x m for events of size k."""

    arg_constraints = {
        "loc": constraints.real_vector,
        "cov_factor": constraints.independent(constraints.real, 2),
        "cov_diag": constraints.independent(constraints.positive, 1),
    }
    support = constraints.real_vector
    has_rsample = True

    def __init__(
        self, loc: Any, cov_factor: Any, cov_diag: Any, validate_args: bool | None = None
    ) -> None:
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        event_shape = Size(loc.shape[-1:])
        if cov_factor.dim() < 2:
            raise ValueError(
                "cov_factor must be at least two-dimensional, with optional leading batch "
                "dimensions"
            )
        if tuple(cov_factor.shape[-2:-1]) != tuple(event_shape):
            raise ValueError(
                f"cov_factor must be a batch of matrices with shape {event_shape[0]} x m"
            )
        if tuple(cov_diag.shape[-1:]) != tuple(event_shape):
            raise ValueError(f"cov_diag must be a batch of vectors with shape {event_shape}")
        try:
            # loc and cov_diag as k x 1 columns next to the k x m factor
            loc_col, self.cov_factor, diag_col = broadcast_tensors(
                loc.unsqueeze(-1), cov_factor, cov_diag.unsqueeze(-1)
            )
        except RuntimeError as e:
            raise ValueError(
                f"Incompatible batch shapes: loc {loc.shape}, cov_factor {cov_factor.shape}, "
                f"cov_diag {cov_diag.shape}"
            ) from e
        self.loc, self.cov_diag = loc_col[..., 0], diag_col[..., 0]
        self._unbroadcasted_cov_factor = cov_factor
        self._unbroadcasted_cov_diag = cov_diag
        self._capacitance_tril = _capacitance_tril(cov_factor, cov_diag)
        super().__init__(self.loc.shape[:-1], event_shape, validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> LowRankMultivariateNormal:
        new = self._get_checked_instance(LowRankMultivariateNormal, _instance)
        batch_shape = Size(batch_shape)
        new.loc = self.loc.expand(*batch_shape, *self.event_shape)
        new.cov_diag = self.cov_diag.expand(*batch_shape, *self.event_shape)
        new.cov_factor = self.cov_factor.expand(*batch_shape, *self.cov_factor.shape[-2:])
        new._unbroadcasted_cov_factor = self._unbroadcasted_cov_factor
        new._unbroadcasted_cov_diag = self._unbroadcasted_cov_diag
        new._capacitance_tril = self._capacitance_tril
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _full(self, value: Any, *event: int) -> Any:
        return value.expand(*self._batch_shape, *event)

    @property
    def mean(self) -> Any:
        return self.loc

    @property
    def mode(self) -> Any:
        return self.loc

    @lazy_property
    def variance(self) -> Any:
        W, d = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag  # noqa: N806
        return self._full(W.pow(2).sum(-1) + d, *self._event_shape)

    @lazy_property
    def scale_tril(self) -> Any:
        # Sigma = D^1/2 (D^-1/2 W W^T D^-1/2 + I) D^1/2: the factor of the well-conditioned
        # middle, scaled back by D^1/2
        W, d = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag  # noqa: N806
        root = d.sqrt().unsqueeze(-1)
        scaled = W / root
        k = self._event_shape[0]
        middle = scaled @ scaled.mT + eye(k, dtype=W.dtype)
        return self._full(root * linalg.cholesky(middle), k, k)

    @lazy_property
    def covariance_matrix(self) -> Any:
        W, d = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag  # noqa: N806
        k = self._event_shape[0]
        return self._full(W @ W.mT + d.diag_embed(), k, k)

    @lazy_property
    def precision_matrix(self) -> Any:
        # Woodbury: Sigma^-1 = D^-1 - A^T A with A = Lc^-1 W^T D^-1
        W, d = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag  # noqa: N806
        A = linalg.solve_triangular(self._capacitance_tril, (W / d.unsqueeze(-1)).mT, upper=False)  # noqa: N806
        k = self._event_shape[0]
        return self._full(d.reciprocal().diag_embed() - A.mT @ A, k, k)

    def rsample(self, sample_shape: Any = ()) -> Any:
        shape = self._extended_shape(sample_shape)
        W, d = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag  # noqa: N806
        dtype = self.loc.dtype
        low_shape = (*shape[:-1], W.shape[-1])
        eps_low = normal(zeros(low_shape, dtype=dtype), ones(low_shape, dtype=dtype))
        eps_diag = normal(zeros(shape, dtype=dtype), ones(shape, dtype=dtype))
        return self.loc + _matvec(W, eps_low) + d.sqrt() * eps_diag

    def _half_log_det(self) -> Any:
        """log det Sigma / 2 = log det Lc + sum(log d) / 2 (matrix determinant lemma)."""
        lc_diag = self._capacitance_tril.diagonal(dim1=-2, dim2=-1)
        return lc_diag.log().sum(-1) + 0.5 * self._unbroadcasted_cov_diag.log().sum(-1)

    def log_prob(self, value: Any) -> Any:
        if self._validate_args:
            self._validate_sample(value)
        W, d = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag  # noqa: N806
        diff = value - self.loc
        # Woodbury: x^T Sigma^-1 x = x^T D^-1 x - |Lc^-1 W^T D^-1 x|^2
        projected = _matvec(W.mT, diff / d)
        L = self._capacitance_tril  # noqa: N806
        shape = broadcast_shapes(L.shape[:-2], projected.shape[:-1])
        z = linalg.solve_triangular(
            L.expand(*shape, -1, -1), projected.expand(*shape, -1).unsqueeze(-1), upper=False
        )
        maha = (diff.pow(2) / d).sum(-1) - z.squeeze(-1).pow(2).sum(-1)
        k = self._event_shape[0]
        return -0.5 * (k * math.log(2 * math.pi) + maha) - self._half_log_det()

    def entropy(self) -> Any:
        k = self._event_shape[0]
        h = 0.5 * k * (1.0 + math.log(2 * math.pi)) + self._half_log_det()
        return h.expand(self._batch_shape) if len(self._batch_shape) else h
