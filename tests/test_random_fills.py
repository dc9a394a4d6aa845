"""The in-place random fills draw from their distributions: seeded large samples, outside vmap
and per example under ``vmap(randomness="different")`` (whose values PyTorch's cannot match,
so only their distribution is checked; outside vmap ``test_torch_random`` checks the values).

Each check compares a sample statistic with its exact value within five standard errors:
with the fixed seeds the sample is fixed, so the test is deterministic, and the margin is wide
enough for any seed while a wrong scale, shift or distribution is many errors away.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import chainrule as cr
import chainrule.func as cf

N = 40_000
EXAMPLES, PER_EXAMPLE = 400, 100  # under vmap: N values in all


def _close(sample: np.ndarray, expected: float, variance: float) -> None:
    """The sample mean within five standard errors of ``expected``."""
    error = math.sqrt(variance / sample.size)
    assert abs(sample.mean() - expected) < 5 * error, (sample.mean(), expected, error)


def _per_example(fill: Callable[[Any], Any], dtype: Any = cr.float32) -> np.ndarray:
    """``fill`` applied to every example's own tensor under vmap(randomness="different")."""
    cr.manual_seed(7)
    x = cr.zeros(EXAMPLES, PER_EXAMPLE, dtype=dtype)
    out = cf.vmap(lambda r: fill(r.clone()), randomness="different")(x).numpy()
    # Examples draw independently: neighbouring examples' values are uncorrelated.
    flat = out.astype(np.float64)
    ranks = np.searchsorted(np.sort(flat, axis=None), flat)  # robust to heavy tails and ties
    assert abs(np.corrcoef(ranks[:-1].ravel(), ranks[1:].ravel())[0, 1]) < 5 / math.sqrt(N)
    return out.ravel()


def _whole(fill: Callable[[Any], Any], dtype: Any = cr.float32) -> np.ndarray:
    cr.manual_seed(3)
    return fill(cr.zeros(N, dtype=dtype)).numpy()


WAYS = {"one tensor": _whole, "per example under vmap": _per_example}


@pytest.mark.parametrize("draw", list(WAYS.values()), ids=list(WAYS))
def test_random_is_uniform_over_its_integers(draw: Callable[..., np.ndarray]) -> None:
    ten = draw(lambda t: t.random_(10))
    assert set(np.unique(ten)) == set(range(10))
    _close(ten, 4.5, (10**2 - 1) / 12)
    shifted = draw(lambda t: t.random_(-500, 500), cr.int64)
    assert shifted.min() >= -500 and shifted.max() < 500 and shifted.dtype == np.int64
    _close(shifted, -0.5, (1000**2 - 1) / 12)
    everything = draw(lambda t: t.random_())  # float32: 0 ... 2**24
    assert everything.min() >= 0 and everything.max() <= 2**24
    _close(everything, 2**23, ((2**24 + 1) ** 2 - 1) / 12)
    bits = draw(lambda t: t.random_(), cr.bool)
    _close(bits, 0.5, 0.25)


@pytest.mark.parametrize("draw", list(WAYS.values()), ids=list(WAYS))
@pytest.mark.parametrize("p", [0.05, 0.5, 0.9])
def test_geometric_counts_trials_to_the_first_success(
    draw: Callable[..., np.ndarray], p: float
) -> None:
    trials = draw(lambda t: t.geometric_(p), cr.float64)
    assert trials.min() == 1 and (trials == np.round(trials)).all()
    _close(trials, 1 / p, (1 - p) / p**2)
    _close(trials == 1, p, p * (1 - p))  # the first trial succeeds with probability p


@pytest.mark.parametrize("draw", list(WAYS.values()), ids=list(WAYS))
@pytest.mark.parametrize(("mean", "std"), [(1.0, 2.0), (-0.5, 0.3)])
def test_log_normal_is_exp_of_a_normal(
    draw: Callable[..., np.ndarray], mean: float, std: float
) -> None:
    values = draw(lambda t: t.log_normal_(mean, std), cr.float64)
    assert values.min() > 0
    logs = np.log(values)
    _close(logs, mean, std**2)
    _close((logs - mean) ** 2, std**2, 2 * std**4)  # the variance of the normal


@pytest.mark.parametrize("draw", list(WAYS.values()), ids=list(WAYS))
@pytest.mark.parametrize(("median", "sigma"), [(0.0, 1.0), (3.0, 0.5)])
def test_cauchy_has_its_median_and_quartiles(
    draw: Callable[..., np.ndarray], median: float, sigma: float
) -> None:
    values = draw(lambda t: t.cauchy_(median, sigma), cr.float64)
    # No mean to check: the quartiles of a Cauchy are median -+ sigma, its CDF an arctangent.
    _close(values < median, 0.5, 0.25)
    _close(abs(values - median) < sigma, 0.5, 0.25)
    within = abs(values - median) < 3 * sigma
    share = 2 / math.pi * math.atan(3)
    _close(within, share, share * (1 - share))


def test_same_randomness_fills_every_example_alike() -> None:
    x = cr.zeros(5, 8)
    fills = [
        lambda r: r.random_(100),
        lambda r: r.geometric_(0.3),
        lambda r: r.log_normal_(),
        lambda r: r.cauchy_(),
    ]
    for fill in fills:
        out = cf.vmap(lambda r, fill=fill: fill(r.clone()), randomness="same")(x).numpy()
        assert (out == out[0]).all() and len(set(out[0].tolist())) > 1


def test_normal_of_batched_means_and_stds_draws_each_examples_own() -> None:
    """Example i has mean i and std i + 1: its draws are spread around its own mean."""
    cr.manual_seed(11)
    means = cr.arange(8.0)[:, None].expand(8, 5000)
    out = cf.vmap(lambda m: cr.normal(m, m + 1), randomness="different")(means).numpy()
    for i, row in enumerate(out.astype(np.float64)):
        _close(row, i, (i + 1) ** 2)
        _close((row - i) ** 2, (i + 1) ** 2, 2 * (i + 1) ** 4)


def test_bernoulli_of_batched_probabilities_into_each_example() -> None:
    cr.manual_seed(12)
    p = cr.tensor([0.1, 0.5, 0.9])[:, None].expand(3, 20000)
    out = cf.vmap(lambda q: q.clone().bernoulli_(q), randomness="different")(p).numpy()
    for row, q in zip(out, (0.1, 0.5, 0.9), strict=True):
        _close(row, q, q * (1 - q))


@pytest.mark.parametrize("rate", [0.7, 4.0, 25.0, 400.0])
def test_poisson_counts_have_the_rates_mean_and_variance(rate: float) -> None:
    """Both of PyTorch's samplers (a product of uniforms below 10, rejection from 10 on)."""
    cr.manual_seed(5)
    counts = cr.poisson(cr.full((N // 4,), rate, dtype=cr.float64)).numpy()
    assert (counts >= 0).all() and (counts == np.round(counts)).all()
    _close(counts, rate, rate)
    _close((counts - rate) ** 2, rate, rate + 2 * rate**2)  # variance = mean; 4th moment
    rates = cr.tensor([0.5, 30.0])[:, None].expand(2, N // 4)
    per_example = cf.vmap(cr.poisson, randomness="different")(rates).numpy()
    for row, r in zip(per_example, (0.5, 30.0), strict=True):
        _close(row, r, r)


def test_the_emulated_fma_rounds_once_as_exact_rationals_do() -> None:
    """rng's x * a + b with one rounding (ATen's FMA) equals the exactly rounded value, over
    magnitudes from tiny to huge (where it falls back to exact rationals itself)."""
    from fractions import Fraction

    from chainrule.rng import fma

    gen = np.random.default_rng(0)
    for scale in (1e-200, 1e-20, 1.0, 1e20, 1e200):
        x = gen.standard_normal(500) * scale
        for a, b in ((0.7, 0.5), (-3.1e-5, 2.0), (1e150, -1e-3), (0.3, 0.0)):
            if abs(a) * scale > 1e300:  # the exact value itself is past float64
                continue
            exact = [float(Fraction(v) * Fraction(a) + Fraction(b)) for v in x.tolist()]
            np.testing.assert_array_equal(fma(x, a, b), exact)
