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

import chainrule as cr
from chainrule.distributions.bernoulli import Bernoulli
from chainrule.distributions.categorical import Categorical, OneHotCategorical
from chainrule.distributions.distribution import ExponentialFamily
from chainrule.distributions.normal import Normal
from chainrule.distributions.simple import Exponential, Laplace, Uniform

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
    return cr.full(t.shape, math.inf, dtype=t.dtype)


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
    softplus = cr.nn.functional.softplus
    # log p = -softplus(-logit), log(1 - p) = -softplus(logit); a zero weight gives 0, and mass
    # where q has none gives inf
    one = p.probs * (softplus(-q.logits) - softplus(-p.logits))
    one = cr.where(q.probs == 0, math.inf, one)
    one = cr.where(p.probs == 0, 0.0, one)
    zero = (1 - p.probs) * (softplus(q.logits) - softplus(p.logits))
    zero = cr.where(q.probs == 1, math.inf, zero)
    zero = cr.where(p.probs == 1, 0.0, zero)
    return one + zero


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p: Categorical, q: Categorical) -> Any:
    t = p.probs * (p.logits - q.logits)
    t = cr.where((q.probs == 0).expand_as(t), math.inf, t)
    t = cr.where((p.probs == 0).expand_as(t), 0.0, t)
    return t.sum(-1)


@register_kl(OneHotCategorical, OneHotCategorical)
def _kl_onehot_onehot(p: OneHotCategorical, q: OneHotCategorical) -> Any:
    return _kl_categorical_categorical(p._categorical, q._categorical)


@register_kl(Uniform, Uniform)
def _kl_uniform_uniform(p: Uniform, q: Uniform) -> Any:
    result = ((q.high - q.low) / (p.high - p.low)).log()
    return cr.where((q.low > p.low) | (q.high < p.high), math.inf, result)


@register_kl(Exponential, Exponential)
def _kl_exponential_exponential(p: Exponential, q: Exponential) -> Any:
    ratio = q.rate / p.rate
    return ratio - 1 - ratio.log()


@register_kl(Laplace, Laplace)
def _kl_laplace_laplace(p: Laplace, q: Laplace) -> Any:
    ratio = p.scale / q.scale
    gap = (p.loc - q.loc).abs()
    return -ratio.log() + gap / q.scale + ratio * cr.exp(-gap / p.scale) - 1


@register_kl(Normal, Laplace)
def _kl_normal_laplace(p: Normal, q: Laplace) -> Any:
    # E|x - m| for x ~ N(mu, s^2): s sqrt(2/pi) exp(-d^2 / 2s^2) + d erf(d / (s sqrt 2))
    d = p.loc - q.loc
    mean_abs = p.scale * math.sqrt(2 / math.pi) * cr.exp(-(d**2) / (2 * p.scale**2))
    mean_abs = mean_abs + d * cr.erf(d / (p.scale * math.sqrt(2)))
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
    return cr.where(p.low < 0, math.inf, result)


def _infinite(p: Any, q: Any) -> Any:
    """p has mass where q has none."""
    return _inf_like(p.loc if hasattr(p, "loc") else p.rate)


for _pair in [
    (Normal, Uniform),
    (Normal, Exponential),
    (Laplace, Uniform),
    (Laplace, Exponential),
    (Exponential, Uniform),
]:
    register_kl(*_pair)(_infinite)
