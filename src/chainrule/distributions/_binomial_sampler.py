"""Binomial draws as ATen's CPU ``binomial`` makes them, one element after another on the
random stream (so the same seed gives PyTorch's values and leaves the generator where
PyTorch leaves it).

ATen's ``sample_binomial``: 0 where count <= 0 or prob <= 0, count where prob >= 1; for
prob <= 1/2 the inversion of geometric waiting times while count * prob < 10, else Hormann's
BTRS transformed rejection; for prob > 1/2 count minus the draw for 1 - prob. The arithmetic
ATen does in the tensor's dtype (``scalar_t``) is rounded to float32 here for float32 tensors.

    >>> import chainrule as cr
    >>> _ = cr.manual_seed(0)
    >>> binomial_draws(cr.tensor([10.0, 100.0]).numpy(), cr.tensor([0.5, 0.5]).numpy())
    array([ 7., 51.], dtype=float32)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from chainrule import rng
from chainrule._array import xp
from chainrule.distributions._gamma_sampler import _Stream

__all__ = ["binomial_draws"]

# Stirling's series remainder log k! - (k + 1/2) log(k + 1) + (k + 1) - log(2 pi)/2 for k < 10
_TAIL = (
    0.0810614667953272,
    0.0413406959554092,
    0.0276779256849983,
    0.02079067210376509,
    0.0166446911898211,
    0.0138761288230707,
    0.0118967099458917,
    0.0104112652619720,
    0.00925546218271273,
    0.00833056343336287,
)

Narrow = Callable[[float], float]


def _log(x: float) -> float:
    """C's log: -inf at 0 (a uniform of exactly 0 comes once in 2^53), nan below, no error."""
    return math.log(x) if x > 0 else -math.inf if x == 0 else math.nan


def _floor(x: float) -> float:
    """C's floor, which keeps an infinite or nan value (an infinite count's BTRS meets them)."""
    return math.floor(x) if math.isfinite(x) else x


def _stirling_tail(k: float) -> float:
    if k <= 9:
        return _TAIL[int(k)]
    kp1sq = (k + 1) * (k + 1)
    return (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / kp1sq) / kp1sq) / (k + 1)


def _inversion(count: float, prob: float, narrow: Narrow, draws: _Stream) -> float:
    """Successes counted as geometric waiting times (in trials) that fit into ``count``."""
    log_q = narrow(math.log1p(-prob))
    total, successes = 0.0, 0.0
    while True:
        gap = _log(draws.uniform()) / log_q
        total += math.ceil(gap) if gap < math.inf else gap
        if total > count:
            return successes
        successes += 1


def _btrs(count: float, prob: float, narrow: Narrow, draws: _Stream) -> float:
    """Hormann's BTRS, with ATen's constants and its acceptance test."""
    stddev = narrow(math.sqrt(narrow(narrow(count * prob) * narrow(1 - prob))))
    b = 1.15 + 2.53 * stddev
    a = -0.0873 + 0.0248 * b + 0.01 * prob
    c = narrow(count * prob) + 0.5
    v_r = 0.92 - 4.2 / b
    r = narrow(prob / narrow(1 - prob))
    alpha = (2.83 + 5.1 / b) * stddev
    m = _floor(narrow(narrow(count + 1) * prob))
    while True:
        u = draws.uniform() - 0.5
        v = draws.uniform()
        us = 0.5 - abs(u)
        if us == 0:
            continue  # (u = -1/2: C's k is -inf, rejected below)
        k = narrow(_floor((2 * a / us + b) * u + c))
        if k < 0 or k > count:
            continue
        if us >= 0.07 and v <= v_r:
            return k
        rest = narrow(narrow(count - k) + 1)  # count - k + 1 in the dtype, m's terms in double
        v = _log(v * alpha / (a / (us * us) + b))
        upper = (
            (m + 0.5) * _log((m + 1) / (r * (count - m + 1)))
            + narrow(count + 1) * _log((count - m + 1) / rest)
            + (k + 0.5) * _log(r * rest / narrow(k + 1))
            + _stirling_tail(m)
            + _stirling_tail(count - m)
            - _stirling_tail(k)
            - _stirling_tail(narrow(count - k))
        )
        if v <= upper:
            return k


def _sample(count: float, prob: float, narrow: Narrow, draws: _Stream) -> float:
    if count <= 0 or prob <= 0:
        return 0.0
    if prob >= 1:
        return count
    if math.isnan(prob):
        return math.nan
    if math.isnan(count):
        return math.nan  # (ATen's inversion never ends there; validation refuses it)
    if prob <= 0.5:
        sampler = _btrs if narrow(count * prob) >= 10 else _inversion
        return sampler(count, prob, narrow, draws)
    q = narrow(1 - prob)
    sampler = _btrs if narrow(count * q) >= 10 else _inversion
    return narrow(count - sampler(count, q, narrow, draws))


def binomial_draws(count: Any, prob: Any, g: rng.Generator | None = None) -> Any:
    """Binomial(count, prob) draws for float32 or float64 arrays of one shape, in their dtype,
    drawn in C order from ``g`` (or the global generator) as ATen's serial kernel draws them."""
    single = count.dtype == xp.float32
    narrow: Narrow = (lambda v: float(xp.float32(v))) if single else float
    counts, probs = count.ravel().tolist(), prob.ravel().tolist()
    draws = _Stream(len(counts), g)
    out = [_sample(n, p, narrow, draws) for n, p in zip(counts, probs, strict=True)]
    draws.close()
    return xp.array(out, dtype=count.dtype).reshape(count.shape)
