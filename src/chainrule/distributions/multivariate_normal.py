"""The multivariate normal distribution N(loc, Sigma), parameterized by the covariance, the
precision or the lower Cholesky factor L of the covariance (Sigma = L L^T).

    >>> import chainrule as cr
    >>> d = MultivariateNormal(cr.zeros(2), scale_tril=cr.eye(2))
    >>> d.log_prob(cr.zeros(2))
    tensor(-1.8379)
"""

from __future__ import annotations

import math
from typing import Any

from chainrule import linalg
from chainrule.distributions import constraints
from chainrule.distributions.distribution import Distribution
from chainrule.distributions.utils import lazy_property
from chainrule.factories import eye, normal, ones, zeros
from chainrule.ops.linalg_more import cholesky_inverse
from chainrule.ops.shape import broadcast_shapes, flip
from chainrule.tensor import Size

__all__ = ["MultivariateNormal"]


def _solve_lower(L: Any, b: Any) -> Any:  # noqa: N803
    """L^-1 b for lower-triangular L (batch shapes broadcast)."""
    return linalg.solve_triangular(L, b, upper=False)


def _precision_to_scale_tril(P: Any) -> Any:  # noqa: N803
    """The Cholesky factor of P^-1 without inverting P: with J the order-reversing permutation,
    J P J = Lf Lf^T gives P = U U^T for the upper-triangular U = J Lf J, so
    P^-1 = U^-T U^-1 and the lower factor is U^-T, the inverse of the lower J Lf^T J."""
    flipped = flip(P, (-2, -1))
    lower = flip(linalg.cholesky(flipped), (-2, -1)).mT
    identity = eye(P.shape[-1], dtype=P.dtype).expand(P.shape)
    return linalg.solve_triangular(lower, identity, upper=False)


def _half_log_det(L: Any) -> Any:  # noqa: N803
    return L.diagonal(dim1=-2, dim2=-1).log().sum(-1)


class MultivariateNormal(Distribution):
    """Normal vectors with mean ``loc`` and exactly one of ``covariance_matrix``,
    ``precision_matrix`` or ``scale_tril``."""

    arg_constraints = {
        "loc": constraints.real_vector,
        "covariance_matrix": constraints.positive_definite,
        "precision_matrix": constraints.positive_definite,
        "scale_tril": constraints.lower_cholesky,
    }
    support = constraints.real_vector
    has_rsample = True

    def __init__(
        self,
        loc: Any,
        covariance_matrix: Any = None,
        precision_matrix: Any = None,
        scale_tril: Any = None,
        validate_args: bool | None = None,
    ) -> None:
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        given = [
            (n, m)
            for n, m in (
                ("scale_tril", scale_tril),
                ("covariance_matrix", covariance_matrix),
                ("precision_matrix", precision_matrix),
            )
            if m is not None
        ]
        if len(given) != 1:
            raise ValueError(
                "Exactly one of covariance_matrix or precision_matrix or scale_tril may be "
                "specified."
            )
        name, matrix = given[0]
        if matrix.dim() < 2:
            what = "scale_tril matrix" if name == "scale_tril" else name
            raise ValueError(
                f"{what} must be at least two-dimensional, with optional leading batch dimensions"
            )
        batch = broadcast_shapes(matrix.shape[:-2], loc.shape[:-1])
        setattr(self, name, matrix.expand(*batch, -1, -1))
        self.loc = loc.expand(*batch, -1)
        # validated before factorizing, so a matrix that is not positive definite gets the
        # constraint's message
        super().__init__(batch, self.loc.shape[-1:], validate_args=validate_args)
        if name == "scale_tril":
            self._unbroadcasted_scale_tril = matrix
        elif name == "covariance_matrix":
            self._unbroadcasted_scale_tril = linalg.cholesky(matrix)
        else:
            self._unbroadcasted_scale_tril = _precision_to_scale_tril(matrix)

    def expand(self, batch_shape: Any, _instance: Any = None) -> MultivariateNormal:
        new = self._get_checked_instance(MultivariateNormal, _instance)
        batch_shape = Size(batch_shape)
        new.loc = self.loc.expand(*batch_shape, *self.event_shape)
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril
        for name in ("covariance_matrix", "scale_tril", "precision_matrix"):
            if name in self.__dict__:
                new.__dict__[name] = self.__dict__[name].expand(*batch_shape, -1, -1)
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @lazy_property
    def scale_tril(self) -> Any:
        L = self._unbroadcasted_scale_tril  # noqa: N806
        return L.expand(*self._batch_shape, *self._event_shape, *self._event_shape)

    @lazy_property
    def covariance_matrix(self) -> Any:
        L = self._unbroadcasted_scale_tril  # noqa: N806
        return (L @ L.mT).expand(*self._batch_shape, *self._event_shape, *self._event_shape)

    @lazy_property
    def precision_matrix(self) -> Any:
        L = self._unbroadcasted_scale_tril  # noqa: N806
        shape = (*self._batch_shape, *self._event_shape, *self._event_shape)
        return cholesky_inverse(L).expand(shape)

    @property
    def mean(self) -> Any:
        return self.loc

    @property
    def mode(self) -> Any:
        return self.loc

    @property
    def variance(self) -> Any:
        L = self._unbroadcasted_scale_tril  # noqa: N806
        return L.pow(2).sum(-1).expand(self._batch_shape + self._event_shape)

    def rsample(self, sample_shape: Any = ()) -> Any:
        shape = self._extended_shape(sample_shape)
        eps = normal(zeros(shape, dtype=self.loc.dtype), ones(shape, dtype=self.loc.dtype))
        return self.loc + (self._unbroadcasted_scale_tril @ eps.unsqueeze(-1)).squeeze(-1)

    def log_prob(self, value: Any) -> Any:
        if self._validate_args:
            self._validate_sample(value)
        diff = (value - self.loc).unsqueeze(-1)
        L = self._unbroadcasted_scale_tril  # noqa: N806
        shape = broadcast_shapes(L.shape[:-2], diff.shape[:-2])
        z = _solve_lower(L.expand(*shape, -1, -1), diff.expand(*shape, -1, 1))
        maha = z.squeeze(-1).pow(2).sum(-1)
        k = self._event_shape[0]
        return -0.5 * (k * math.log(2 * math.pi) + maha) - _half_log_det(L)

    def entropy(self) -> Any:
        k = self._event_shape[0]
        h = 0.5 * k * (1.0 + math.log(2 * math.pi)) + _half_log_det(self._unbroadcasted_scale_tril)
        return h.expand(self._batch_shape) if len(self._batch_shape) else h
