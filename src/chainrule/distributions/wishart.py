"""The Wishart distribution W(df, Sigma) over positive definite matrices: the scatter matrix
sum x_i x_i^T of df draws x_i ~ N(0, Sigma) (any real df > dim - 1), parameterized by the
covariance Sigma, its inverse or its lower Cholesky factor L.

Draws use the Bartlett decomposition, L A A^T L^T with A lower triangular, sqrt(chi2(df - i))
on its diagonal and standard normals below it, drawn as PyTorch draws them (so a seed gives
its values), and reparameterized: gradients flow to df and the scale.

    >>> import chainrule as cr
    >>> d = Wishart(cr.tensor(3.0), covariance_matrix=cr.eye(2))
    >>> d.mean
    tensor([[3., 0.],
            [0., 3.]])
"""

from __future__ import annotations

import math
import warnings
from typing import Any

from chainrule import linalg
from chainrule.distributions import constraints
from chainrule.distributions.chi2 import Chi2
from chainrule.distributions.distribution import ExponentialFamily
from chainrule.distributions.multivariate_normal import _precision_to_scale_tril
from chainrule.distributions.utils import finfo_eps, lazy_property
from chainrule.factories import arange, eye, randn, tensor
from chainrule.ops.linalg_more import cholesky_solve
from chainrule.ops.shape import broadcast_shapes
from chainrule.ops.shape_more import tril_indices
from chainrule.ops.special_ops import digamma
from chainrule.tensor import Size

__all__ = ["Wishart"]

_LOG_2 = math.log(2)


def _mvdigamma(x: Any, p: int) -> Any:
    """The multivariate digamma sum_i digamma(x - i/2), i < p (the derivative of mvlgamma)."""
    if not x.gt((p - 1) / 2).all():
        raise AssertionError("Wrong domain for multivariate digamma function.")
    halves = arange(p, dtype=x.dtype).div(2).expand((*x.shape, -1))
    return digamma(x.unsqueeze(-1) - halves).sum(-1)


class Wishart(ExponentialFamily):
    """Positive definite matrices with ``df`` degrees of freedom and exactly one of
    ``covariance_matrix``, ``precision_matrix`` or ``scale_tril``."""

    support = constraints.positive_definite
    has_rsample = True

    @property
    def arg_constraints(self) -> dict[str, Any]:
        return {
            "covariance_matrix": constraints.positive_definite,
            "precision_matrix": constraints.positive_definite,
            "scale_tril": constraints.lower_cholesky,
            "df": constraints.greater_than(self.event_shape[-1] - 1),
        }

    def __init__(
        self,
        df: Any,
        covariance_matrix: Any = None,
        precision_matrix: Any = None,
        scale_tril: Any = None,
        validate_args: bool | None = None,
    ) -> None:
        given = [p for p in (covariance_matrix, precision_matrix, scale_tril) if p is not None]
        if len(given) != 1:
            raise AssertionError(
                "Exactly one of covariance_matrix or precision_matrix or scale_tril may be "
                "specified."
            )
        param = given[0]
        if param.dim() < 2:
            raise ValueError(
                "scale_tril must be at least two-dimensional, with optional leading batch "
                "dimensions"
            )
        if isinstance(df, int | float):
            batch_shape = Size(param.shape[:-2])
            self.df = tensor(df, dtype=param.dtype)
        else:
            batch_shape = broadcast_shapes(param.shape[:-2], df.shape)
            self.df = df.expand(batch_shape)
        event_shape = param.shape[-2:]
        if self.df.le(event_shape[-1] - 1).any():
            raise ValueError(
                f"Value of df={df} expected to be greater than ndim - 1 = {event_shape[-1] - 1}."
            )
        if scale_tril is not None:
            self.scale_tril = param.expand((*batch_shape, -1, -1))
        elif covariance_matrix is not None:
            self.covariance_matrix = param.expand((*batch_shape, -1, -1))
        else:
            self.precision_matrix = param.expand((*batch_shape, -1, -1))
        if self.df.lt(event_shape[-1]).any():
            warnings.warn(
                "Low df values detected. Singular samples are highly likely to occur for "
                "ndim - 1 < df < ndim.",
                stacklevel=2,
            )
        super().__init__(batch_shape, event_shape, validate_args=validate_args)
        # the factor after the validation, which refuses a matrix it could not factor
        if scale_tril is not None:
            self._unbroadcasted_scale_tril = scale_tril
        elif covariance_matrix is not None:
            self._unbroadcasted_scale_tril = linalg.cholesky(covariance_matrix)
        else:
            self._unbroadcasted_scale_tril = _precision_to_scale_tril(precision_matrix)
        self._set_chi2()

    def _set_chi2(self) -> None:
        # the Bartlett factor's squared diagonal: chi2(df - i) for i < dim
        p = self._event_shape[-1]
        dims = arange(p, dtype=self._unbroadcasted_scale_tril.dtype)
        self._batch_dims = [-(x + 1) for x in range(len(self._batch_shape))]
        self._dist_chi2 = Chi2(self.df.unsqueeze(-1) - dims.expand((*self._batch_shape, -1)))

    def expand(self, batch_shape: Any, _instance: Any = None) -> Wishart:
        new = self._get_checked_instance(Wishart, _instance)
        batch_shape = Size(batch_shape)
        cov_shape = batch_shape + self.event_shape
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril.expand(cov_shape)
        new.df = self.df.expand(batch_shape)
        for name in ("covariance_matrix", "scale_tril", "precision_matrix"):
            if name in self.__dict__:
                new.__dict__[name] = self.__dict__[name].expand(cov_shape)
        ExponentialFamily.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._set_chi2()
        new._validate_args = self._validate_args
        return new

    @lazy_property
    def scale_tril(self) -> Any:
        return self._unbroadcasted_scale_tril.expand(self._batch_shape + self._event_shape)

    @lazy_property
    def covariance_matrix(self) -> Any:
        lower = self._unbroadcasted_scale_tril
        return (lower @ lower.mT).expand(self._batch_shape + self._event_shape)

    @lazy_property
    def precision_matrix(self) -> Any:
        lower = self._unbroadcasted_scale_tril
        identity = eye(self._event_shape[-1], dtype=lower.dtype)
        return cholesky_solve(identity, lower).expand(self._batch_shape + self._event_shape)

    @property
    def mean(self) -> Any:
        return self.df.view(self._batch_shape + (1, 1)) * self.covariance_matrix

    @property
    def mode(self) -> Any:
        factor = self.df - self.covariance_matrix.shape[-1] - 1
        factor[factor <= 0] = math.nan  # no mode for df <= dim + 1
        return factor.view(self._batch_shape + (1, 1)) * self.covariance_matrix

    @property
    def variance(self) -> Any:
        cov = self.covariance_matrix
        diag = cov.diagonal(dim1=-2, dim2=-1)
        outer = diag.unsqueeze(-1) * diag.unsqueeze(-2)
        return self.df.view(self._batch_shape + (1, 1)) * (cov.pow(2) + outer)

    def _bartlett_sampling(self, sample_shape: Any = ()) -> Any:
        p = self._event_shape[-1]
        root = self._dist_chi2.rsample(sample_shape).sqrt()
        noise = root.clamp(min=finfo_eps(root.dtype)).diag_embed(dim1=-2, dim2=-1)
        i, j = tril_indices(p, p, offset=-1)
        below = Size(sample_shape) + self._batch_shape + (p * (p - 1) // 2,)
        noise[..., i, j] = randn(below, dtype=noise.dtype)
        chol = self._unbroadcasted_scale_tril @ noise
        return chol @ chol.mT

    def rsample(self, sample_shape: Any = (), max_try_correction: int | None = None) -> Any:
        """Bartlett draws; as PyTorch's, a draw the check finds positive definite is flagged
        (PyTorch's check is inverted), warned of and drawn again, up to
        ``max_try_correction`` (10) times, so that the draws are PyTorch's."""
        if max_try_correction is None:
            max_try_correction = 10
        sample_shape = Size(sample_shape)
        sample = self._bartlett_sampling(sample_shape)
        flagged = self._flagged(sample)
        if flagged.any():
            warnings.warn("Singular sample detected.", stacklevel=2)
            for _ in range(max_try_correction):
                redrawn = self._bartlett_sampling(flagged[flagged].shape)
                sample[flagged] = redrawn
                # a new mask: the index above keeps ``flagged`` for its gradient
                again = flagged.clone()
                again[flagged] = self._flagged(redrawn, negate=True)
                flagged = again
                if not flagged.any():
                    break
        return sample

    def _flagged(self, sample: Any, negate: bool = False) -> Any:
        """Per draw, whether any batch member's matrix passes (``negate``: fails) the
        positive definite check."""
        check = self.support.check(sample)
        check = ~check if negate else check
        return check.amax(self._batch_dims) if self._batch_shape else check

    def log_prob(self, value: Any) -> Any:
        if self._validate_args:
            self._validate_sample(value)
        nu, p = self.df, self._event_shape[-1]
        lower = self._unbroadcasted_scale_tril
        half_log_det = lower.diagonal(dim1=-2, dim2=-1).log().sum(-1)
        trace = cholesky_solve(value, lower).diagonal(dim1=-2, dim2=-1).sum(dim=-1)
        return (
            -nu * (p * _LOG_2 / 2 + half_log_det)
            - (nu / 2).mvlgamma(p=p)
            + (nu - p - 1) / 2 * linalg.slogdet(value).logabsdet
            - trace / 2
        )

    def entropy(self) -> Any:
        nu, p = self.df, self._event_shape[-1]
        half_log_det = self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
        return (
            (p + 1) * (p * _LOG_2 / 2 + half_log_det)
            + (nu / 2).mvlgamma(p=p)
            - (nu - p - 1) / 2 * _mvdigamma(nu / 2, p=p)
            + nu * p / 2
        )
