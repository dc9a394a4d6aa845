"""Kullback-Leibler divergences KL(p || q) between two distributions, looked up by their types.

Each rule is a closed form derived from the two densities; a pair whose supports do not nest
(p puts mass where q has none) gives inf. ``register_kl`` adds rules; the most specific
registered pair of base classes wins.

    >>> import chainrule as cr
    >>> N = cr.distributions.Normal
    >>> kl_divergence(N(0.0, 1.0), N(1.0, 1.0))
    tensor(0.5000)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from chainrule import linalg
from chainrule.distributions.bernoulli import Bernoulli
from chainrule.distributions.binomial import Binomial
from chainrule.distributions.categorical import Categorical, OneHotCategorical
from chainrule.distributions.cauchy import Cauchy
from chainrule.distributions.continuous_bernoulli import ContinuousBernoulli
from chainrule.distributions.distribution import ExponentialFamily
from chainrule.distributions.gamma import Beta, Dirichlet, Gamma, _log_beta, _log_beta_of
from chainrule.distributions.geometric import Geometric
from chainrule.distributions.gumbel import Gumbel
from chainrule.distributions.half_normal import HalfNormal
from chainrule.distributions.independent import Independent
from chainrule.distributions.lowrank_multivariate_normal import LowRankMultivariateNormal
from chainrule.distributions.multivariate_normal import MultivariateNormal
from chainrule.distributions.normal import Normal
from chainrule.distributions.poisson import Poisson
from chainrule.distributions.simple import Exponential, Laplace, Uniform
from chainrule.distributions.transformed_distribution import TransformedDistribution
from chainrule.distributions.transforms import sum_rightmost
from chainrule.factories import full
from chainrule.nn import functional as F
from chainrule.ops.elementwise import erf, exp, where
from chainrule.ops.pointwise import xlogy
from chainrule.ops.shape import broadcast_shapes
from chainrule.ops.special_ops import digamma, lgamma

__all__ = ["kl_divergence", "register_kl"]

_KL_REGISTRY: dict[tuple[type, type], Callable[[Any, Any], Any]] = {}


def register_kl(type_p: type, type_q: type) -> Callable[[Callable], Callable]:
    """Decorator: ``fn(p, q)`` computes KL(p || q) for instances of these types."""
    if not isinstance(type_p, type) or not isinstance(type_q, type):
        raise TypeError(f"Expected type_p and type_q to be types, got {type_p}, {type_q}")

    def decorator(fn: Callable) -> Callable:
        _KL_REGISTRY[type_p, type_q] = fn
        return fn

    return decorator


def _lookup(type_p: type, type_q: type) -> Callable | None:
    matches = [
        (type_p.__mro__.index(p), type_q.__mro__.index(q), fn)
        for (p, q), fn in _KL_REGISTRY.items()
        if issubclass(type_p, p) and issubclass(type_q, q)
    ]
    return min(matches, key=lambda m: m[:2])[2] if matches else None


def kl_divergence(p: Any, q: Any) -> Any:
    """KL(p || q) = E_p[log p(x) - log q(x)], one value per batch element."""
    fn = _lookup(type(p), type(q))
    if fn is None:
        raise NotImplementedError(
            f"No KL(p || q) is implemented for p type {type(p).__name__} and q type "
            f"{type(q).__name__}"
        )
    return fn(p, q)


def _inf_like(t: Any) -> Any:
    return full(t.shape, math.inf, dtype=t.dtype)


def _normal_entropy(scale: Any) -> Any:
    return 0.5 * math.log(2 * math.pi * math.e) + scale.log()


def _normal_cross_entropy(q: Normal, second_moment: Any) -> Any:
    """-E_p[log q(x)] for a normal q, given E_p[(x - q.loc)^2]."""
    return math.log(math.sqrt(2 * math.pi)) + q.scale.log() + second_moment / (2 * q.scale**2)


@register_kl(ExponentialFamily, ExponentialFamily)
def _kl_exponential_families(p: Any, q: Any) -> Any:
    if type(p) is not type(q):
        raise NotImplementedError(
            "The cross KL-divergence between different exponential families cannot "
            "                            be computed using Bregman divergences"
        )
    raise NotImplementedError(
        f"No KL(p || q) is implemented for p type {type(p).__name__} and q type {type(q).__name__}"
    )


@register_kl(Normal, Normal)
def _kl_normal_normal(p: Normal, q: Normal) -> Any:
    ratio = (p.scale / q.scale).pow(2)
    shift = ((p.loc - q.loc) / q.scale).pow(2)
    return 0.5 * (ratio + shift - 1 - ratio.log())


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(p: Bernoulli, q: Bernoulli) -> Any:
    return _binary_kl(p.probs, p.logits, q.probs, q.logits)


@register_kl(ContinuousBernoulli, ContinuousBernoulli)
def _kl_continuous_bernoulli_continuous_bernoulli(
    p: ContinuousBernoulli, q: ContinuousBernoulli
) -> Any:
    # log p(x) = log C(p) + log(1 - p) + x logit(p): the difference is linear in x
    def constant(d: ContinuousBernoulli) -> Any:
        return d._log_normalizer() + (-d.probs).log1p()

    return constant(p) - constant(q) + p.mean * (p.logits - q.logits)


def _continuous_bernoulli_cross_entropy(p: Any, q: ContinuousBernoulli) -> Any:
    """-E_p[log q(x)] for a continuous Bernoulli q: log q(x) is linear in x."""
    return -(q._log_normalizer() + (-q.probs).log1p() + p.mean * q.logits)


@register_kl(Beta, ContinuousBernoulli)
def _kl_beta_continuous_bernoulli(p: Beta, q: ContinuousBernoulli) -> Any:
    return _continuous_bernoulli_cross_entropy(p, q) - p.entropy()


@register_kl(ContinuousBernoulli, Normal)
def _kl_continuous_bernoulli_normal(p: ContinuousBernoulli, q: Normal) -> Any:
    second_moment = p.variance + (p.mean - q.loc).pow(2)
    return _normal_cross_entropy(q, second_moment) - p.entropy()


@register_kl(ContinuousBernoulli, Exponential)
def _kl_continuous_bernoulli_exponential(p: ContinuousBernoulli, q: Exponential) -> Any:
    return q.rate * p.mean - q.rate.log() - p.entropy()


@register_kl(ContinuousBernoulli, Uniform)
def _kl_continuous_bernoulli_uniform(p: ContinuousBernoulli, q: Uniform) -> Any:
    result = -p.entropy() + (q.high - q.low).log()
    # PyTorch's condition, kept as it is: inf wherever q.low >= 0 or q.high <= 1, so a uniform
    # whose edge touches [0, 1]'s (low = 0 or high = 1) gives inf though the true KL is finite
    return where((q.low >= 0) | (q.high <= 1), math.inf, result)


@register_kl(Uniform, ContinuousBernoulli)
def _kl_uniform_continuous_bernoulli(p: Uniform, q: ContinuousBernoulli) -> Any:
    result = _continuous_bernoulli_cross_entropy(p, q) - p.entropy()
    # PyTorch's condition, kept as it is: inf unless [low, high] lies strictly inside (0, 1),
    # so low = 0 or high = 1 gives inf though the true KL is finite
    return where((p.high >= 1) | (p.low <= 0), math.inf, result)


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p: Categorical, q: Categorical) -> Any:
    t = p.probs * (p.logits - q.logits)
    t = where((q.probs == 0).expand_as(t), math.inf, t)
    t = where((p.probs == 0).expand_as(t), 0.0, t)
    return t.sum(-1)


@register_kl(OneHotCategorical, OneHotCategorical)
def _kl_onehot_onehot(p: OneHotCategorical, q: OneHotCategorical) -> Any:
    return _kl_categorical_categorical(p._categorical, q._categorical)


@register_kl(Uniform, Uniform)
def _kl_uniform_uniform(p: Uniform, q: Uniform) -> Any:
    result = ((q.high - q.low) / (p.high - p.low)).log()
    return where((q.low > p.low) | (q.high < p.high), math.inf, result)


@register_kl(Exponential, Exponential)
def _kl_exponential_exponential(p: Exponential, q: Exponential) -> Any:
    ratio = q.rate / p.rate
    return ratio - 1 - ratio.log()


@register_kl(Laplace, Laplace)
def _kl_laplace_laplace(p: Laplace, q: Laplace) -> Any:
    ratio = p.scale / q.scale
    gap = (p.loc - q.loc).abs()
    return -ratio.log() + gap / q.scale + ratio * exp(-gap / p.scale) - 1


@register_kl(Normal, Laplace)
def _kl_normal_laplace(p: Normal, q: Laplace) -> Any:
    # E|x - m| for x ~ N(mu, s^2): s sqrt(2/pi) exp(-d^2 / 2s^2) + d erf(d / (s sqrt 2))
    d = p.loc - q.loc
    mean_abs = p.scale * math.sqrt(2 / math.pi) * exp(-(d**2) / (2 * p.scale**2))
    mean_abs = mean_abs + d * erf(d / (p.scale * math.sqrt(2)))
    return -_normal_entropy(p.scale) + (2 * q.scale).log() + mean_abs / q.scale


@register_kl(Laplace, Normal)
def _kl_laplace_normal(p: Laplace, q: Normal) -> Any:
    second = 2 * p.scale**2 + (p.loc - q.loc) ** 2
    return -(1 + (2 * p.scale).log()) + _normal_cross_entropy(q, second)


@register_kl(Exponential, Normal)
def _kl_exponential_normal(p: Exponential, q: Normal) -> Any:
    second = 2 / p.rate**2 - 2 * q.loc / p.rate + q.loc**2
    return -(1 - p.rate.log()) + _normal_cross_entropy(q, second)


@register_kl(Uniform, Normal)
def _kl_uniform_normal(p: Uniform, q: Normal) -> Any:
    width = p.high - p.low
    second = ((p.high - q.loc) ** 3 - (p.low - q.loc) ** 3) / (3 * width)
    return -width.log() + _normal_cross_entropy(q, second)


@register_kl(Uniform, Exponential)
def _kl_uniform_exponential(p: Uniform, q: Exponential) -> Any:
    result = -(p.high - p.low).log() - q.rate.log() + q.rate * (p.high + p.low) / 2
    return where(p.low < 0, math.inf, result)


# ---- the gamma family and its neighbours
def _gamma_log_density_mean(q: Gamma, mean: Any, mean_log: Any) -> Any:
    """E_p[log q(x)] for a gamma q, given E_p[x] and E_p[log x]."""
    c, r = q.concentration, q.rate
    return c * r.log() - lgamma(c) + (c - 1) * mean_log - r * mean


def _beta_mean_log(p: Beta) -> Any:
    return digamma(p.concentration1) - digamma(p.concentration1 + p.concentration0)


@register_kl(Gamma, Gamma)
def _kl_gamma_gamma(p: Gamma, q: Gamma) -> Any:
    cp, rp, cq, rq = p.concentration, p.rate, q.concentration, q.rate
    return (
        (cp - cq) * digamma(cp)
        - lgamma(cp)
        + lgamma(cq)
        + cq * (rp.log() - rq.log())
        + cp * (rq - rp) / rp
    )


@register_kl(Beta, Beta)
def _kl_beta_beta(p: Beta, q: Beta) -> Any:
    a, b = p.concentration1, p.concentration0
    aq, bq = q.concentration1, q.concentration0
    lbeta = _log_beta_of(a, b)
    lbeta_q = _log_beta_of(aq, bq)
    return (
        lbeta_q
        - lbeta
        + (a - aq) * digamma(a)
        + (b - bq) * digamma(b)
        + (aq - a + bq - b) * digamma(a + b)
    )


@register_kl(Dirichlet, Dirichlet)
def _kl_dirichlet_dirichlet(p: Dirichlet, q: Dirichlet) -> Any:
    cp, cq = p.concentration, q.concentration
    total = cp.sum(-1, keepdim=True)
    return _log_beta(cq) - _log_beta(cp) + ((cp - cq) * (digamma(cp) - digamma(total))).sum(-1)


@register_kl(Poisson, Poisson)
def _kl_poisson_poisson(p: Poisson, q: Poisson) -> Any:
    return p.rate * (p.rate.log() - q.rate.log()) - (p.rate - q.rate)


@register_kl(Bernoulli, Poisson)
def _kl_bernoulli_poisson(p: Bernoulli, q: Poisson) -> Any:
    # log q(0) = -rate, log q(1) = log rate - rate
    return -p.entropy() + q.rate - p.probs * q.rate.log()


@register_kl(Exponential, Gamma)
def _kl_exponential_gamma(p: Exponential, q: Gamma) -> Any:
    mean_log = -0.5772156649015329 - p.rate.log()  # E log x = -(Euler's gamma) - log rate
    return -p.entropy() - _gamma_log_density_mean(q, p.rate.reciprocal(), mean_log)


@register_kl(Gamma, Exponential)
def _kl_gamma_exponential(p: Gamma, q: Exponential) -> Any:
    return -p.entropy() - q.rate.log() + q.rate * p.mean


@register_kl(Gamma, Normal)
def _kl_gamma_normal(p: Gamma, q: Normal) -> Any:
    second = p.variance + (p.mean - q.loc) ** 2
    return -p.entropy() + _normal_cross_entropy(q, second)


@register_kl(Beta, Normal)
def _kl_beta_normal(p: Beta, q: Normal) -> Any:
    second = p.variance + (p.mean - q.loc) ** 2
    return -p.entropy() + _normal_cross_entropy(q, second)


@register_kl(Beta, Exponential)
def _kl_beta_exponential(p: Beta, q: Exponential) -> Any:
    return -p.entropy() - q.rate.log() + q.rate * p.mean


@register_kl(Beta, Gamma)
def _kl_beta_gamma(p: Beta, q: Gamma) -> Any:
    return -p.entropy() - _gamma_log_density_mean(q, p.mean, _beta_mean_log(p))


@register_kl(Beta, Uniform)
def _kl_beta_uniform(p: Beta, q: Uniform) -> Any:
    result = -p.entropy() + (q.high - q.low).log()
    return where((q.low > 0) | (q.high < 1), math.inf, result)


def _uniform_mean_log(low: Any, high: Any) -> Any:
    """E log x for x uniform on [low, high] inside the positive reals: [x log x - x] / width."""
    return (xlogy(high, high) - high - xlogy(low, low) + low) / (high - low)


@register_kl(Uniform, Gamma)
def _kl_uniform_gamma(p: Uniform, q: Gamma) -> Any:
    mean_log = _uniform_mean_log(p.low, p.high)
    result = -p.entropy() - _gamma_log_density_mean(q, p.mean, mean_log)
    return where(p.low < 0, math.inf, result)


@register_kl(Uniform, Beta)
def _kl_uniform_beta(p: Uniform, q: Beta) -> Any:
    a, b = q.concentration1, q.concentration0
    mean_log = _uniform_mean_log(p.low, p.high)
    mean_log1m = _uniform_mean_log(1 - p.high, 1 - p.low)
    lbeta = _log_beta_of(a, b)
    result = -p.entropy() - ((a - 1) * mean_log + (b - 1) * mean_log1m - lbeta)
    return where((p.low < 0) | (p.high > 1), math.inf, result)


@register_kl(MultivariateNormal, MultivariateNormal)
def _kl_mvn_mvn(p: MultivariateNormal, q: MultivariateNormal) -> Any:
    if p.event_shape != q.event_shape:
        raise ValueError(
            "KL-divergence between two Multivariate Normals with different event shapes "
            "cannot be computed"
        )
    # 0.5 (tr(Sq^-1 Sp) + |Lq^-1 (mq - mp)|^2 - k + log det Sq - log det Sp)
    lp, lq = p._unbroadcasted_scale_tril, q._unbroadcasted_scale_tril
    shape = broadcast_shapes(lp.shape[:-2], lq.shape[:-2], p.batch_shape, q.batch_shape)
    k = p.event_shape[0]
    lp, lq = lp.expand(*shape, k, k), lq.expand(*shape, k, k)
    diff = (q.loc - p.loc).expand(*shape, k).unsqueeze(-1)
    trace = linalg.solve_triangular(lq, lp, upper=False).pow(2).sum((-2, -1))
    maha = linalg.solve_triangular(lq, diff, upper=False).pow(2).sum((-2, -1))
    log_det = 2 * (
        lq.diagonal(dim1=-2, dim2=-1).log().sum(-1) - lp.diagonal(dim1=-2, dim2=-1).log().sum(-1)
    )
    return 0.5 * (trace + maha - k + log_det)


def _full_rank(d: Any) -> MultivariateNormal:
    """A low-rank-plus-diagonal normal as the same normal with its dense covariance."""
    return MultivariateNormal(d.loc, covariance_matrix=d.covariance_matrix)


def _same_events(p: Any, q: Any, which: str) -> None:
    if p.event_shape != q.event_shape:  # PyTorch's words, with its line continuation's spaces
        raise ValueError(
            f"KL-divergence between two {which} Multivariate Normals with{' ' * 26}different "
            "event shapes cannot be computed"
        )


@register_kl(LowRankMultivariateNormal, LowRankMultivariateNormal)
def _kl_lowrank_lowrank(p: LowRankMultivariateNormal, q: LowRankMultivariateNormal) -> Any:
    _same_events(p, q, "Low Rank")
    return _kl_mvn_mvn(_full_rank(p), _full_rank(q))


@register_kl(LowRankMultivariateNormal, MultivariateNormal)
def _kl_lowrank_mvn(p: LowRankMultivariateNormal, q: MultivariateNormal) -> Any:
    _same_events(p, q, "(Low Rank)")
    return _kl_mvn_mvn(_full_rank(p), q)


@register_kl(MultivariateNormal, LowRankMultivariateNormal)
def _kl_mvn_lowrank(p: MultivariateNormal, q: LowRankMultivariateNormal) -> Any:
    _same_events(p, q, "(Low Rank)")
    return _kl_mvn_mvn(p, _full_rank(q))


@register_kl(Independent, Independent)
def _kl_independent_independent(p: Independent, q: Independent) -> Any:
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise NotImplementedError
    return sum_rightmost(kl_divergence(p.base_dist, q.base_dist), p.reinterpreted_batch_ndims)


@register_kl(TransformedDistribution, TransformedDistribution)
def _kl_transformed_transformed(p: TransformedDistribution, q: TransformedDistribution) -> Any:
    # an invertible map leaves the divergence unchanged
    if p.transforms != q.transforms or p.event_shape != q.event_shape:
        raise NotImplementedError
    extra = len(p.event_shape) - len(p.base_dist.event_shape)
    return sum_rightmost(kl_divergence(p.base_dist, q.base_dist), extra)


# ---- the third tier
def _binary_kl(p_probs: Any, p_logits: Any, q_probs: Any, q_logits: Any) -> Any:
    """KL between Bernoulli(p) and Bernoulli(q): log p = -softplus(-logit) and
    log(1 - p) = -softplus(logit); a zero weight gives 0, mass where q has none gives inf."""
    softplus = F.softplus
    one = p_probs * (softplus(-q_logits) - softplus(-p_logits))
    one = where(q_probs == 0, math.inf, one)
    one = where(p_probs == 0, 0.0, one)
    zero = (1 - p_probs) * (softplus(q_logits) - softplus(p_logits))
    zero = where(q_probs == 1, math.inf, zero)
    zero = where(p_probs == 1, 0.0, zero)
    return one + zero


@register_kl(Binomial, Binomial)
def _kl_binomial_binomial(p: Binomial, q: Binomial) -> Any:
    # n trials of one Bernoulli against n of another; more trials in p than q: mass outside
    if bool((p.total_count < q.total_count).any()):
        raise NotImplementedError(
            "KL between Binomials where q.total_count > p.total_count is not implemented"
        )
    kl = p.total_count * _binary_kl(p.probs, p.logits, q.probs, q.logits)
    return where(p.total_count > q.total_count, math.inf, kl)


@register_kl(Geometric, Geometric)
def _kl_geometric_geometric(p: Geometric, q: Geometric) -> Any:
    # E_p[k] = 1/p - 1 failures, each log(1 - q) under q, plus the success log q
    return -p.entropy() - (q.probs.log() + (1 / p.probs - 1) * (-q.probs).log1p())


@register_kl(Cauchy, Cauchy)
def _kl_cauchy_cauchy(p: Cauchy, q: Cauchy) -> Any:
    top = (p.scale + q.scale).pow(2) + (p.loc - q.loc).pow(2)
    return (top / (4 * p.scale * q.scale)).log()


@register_kl(HalfNormal, HalfNormal)
def _kl_halfnormal_halfnormal(p: HalfNormal, q: HalfNormal) -> Any:
    return _kl_normal_normal(p.base_dist, q.base_dist)


def _gumbel_cross_entropy(q: Gumbel, mean: Any, mean_exp: Any) -> Any:
    """-E_p[log q(x)] for a Gumbel q, given E_p[x] and E_p[exp(-x / q.scale)]."""
    return q.scale.log() + (mean - q.loc) / q.scale + (q.loc / q.scale).exp() * mean_exp


@register_kl(Gumbel, Gumbel)
def _kl_gumbel_gumbel(p: Gumbel, q: Gumbel) -> Any:
    # p's draws are loc + scale G with E exp(-t G) = Gamma(1 + t)
    t = p.scale / q.scale
    mean_exp = (-p.loc / q.scale).exp() * lgamma(1 + t).exp()
    return -p.entropy() + _gumbel_cross_entropy(q, p.mean, mean_exp)


@register_kl(Exponential, Gumbel)
def _kl_exponential_gumbel(p: Exponential, q: Gumbel) -> Any:
    mean_exp = p.rate / (p.rate + 1 / q.scale)
    return -p.entropy() + _gumbel_cross_entropy(q, p.mean, mean_exp)


@register_kl(Gamma, Gumbel)
def _kl_gamma_gumbel(p: Gamma, q: Gumbel) -> Any:
    mean_exp = (p.rate / (p.rate + 1 / q.scale)).pow(p.concentration)
    return -p.entropy() + _gumbel_cross_entropy(q, p.mean, mean_exp)


@register_kl(Normal, Gumbel)
def _kl_normal_gumbel(p: Normal, q: Gumbel) -> Any:
    mean_exp = (-p.loc / q.scale + p.scale.pow(2) / (2 * q.scale.pow(2))).exp()
    return -p.entropy() + _gumbel_cross_entropy(q, p.mean, mean_exp)


@register_kl(Uniform, Gumbel)
def _kl_uniform_gumbel(p: Uniform, q: Gumbel) -> Any:
    width = p.high - p.low
    mean_exp = q.scale * ((-p.low / q.scale).exp() - (-p.high / q.scale).exp()) / width
    return -p.entropy() + _gumbel_cross_entropy(q, p.mean, mean_exp)


@register_kl(Gumbel, Normal)
def _kl_gumbel_normal(p: Gumbel, q: Normal) -> Any:
    second = p.variance + (p.mean - q.loc) ** 2
    return -p.entropy() + _normal_cross_entropy(q, second)


def _infinite(p: Any, q: Any) -> Any:
    """p has mass where q has none."""
    for name in ("loc", "rate", "concentration"):
        if hasattr(p, name):
            return _inf_like(getattr(p, name))
    return _inf_like(p.mean)


for _pair in [
    (Normal, Uniform),
    (Normal, Exponential),
    (Normal, Gamma),
    (Normal, Beta),
    (Laplace, Uniform),
    (Laplace, Exponential),
    (Laplace, Gamma),
    (Laplace, Beta),
    (Exponential, Uniform),
    (Exponential, Beta),
    (Gamma, Uniform),
    (Gamma, Beta),
    (Poisson, Bernoulli),
    (Poisson, Binomial),
    (Gumbel, Beta),
    (Gumbel, Exponential),
    (Gumbel, Gamma),
    (Gumbel, Uniform),
    (Normal, ContinuousBernoulli),
    (Exponential, ContinuousBernoulli),
    (Gamma, ContinuousBernoulli),
    (Gumbel, ContinuousBernoulli),
    (Laplace, ContinuousBernoulli),
]:
    register_kl(*_pair)(_infinite)
