"""NegativeBinomial, Multinomial, MixtureSameFamily and ContinuousBernoulli against PyTorch.

Each row builds one distribution from the same float64 parameters (broadcasting shapes) under
both libraries. The tests compare shapes, ``log_prob`` at PyTorch's own draws, ``mean``,
``mode``, ``variance`` and ``entropy`` (a value, or the exception's type and message where
PyTorch refuses), gradients of ``log_prob`` with respect to every parameter, ``expand``, sample
shapes and dtypes, and the sample mean and variance of many seeded draws against the
distribution's own; then a table of bad parameters and values compares the errors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import torch
from test_torch_distributions import LIBS, assert_same, outcome, plain, tensors, text

import chainrule as cr


def real(rng: Any, *shape: int) -> Any:
    return rng.normal(size=shape)


def pos(rng: Any, *shape: int) -> Any:
    return rng.uniform(0.5, 2.5, shape)


def prob(rng: Any, *shape: int) -> Any:
    return rng.uniform(0.1, 0.9, shape)


def simplex(rng: Any, *shape: int) -> Any:
    p = rng.uniform(0.1, 1.0, shape)
    return p / p.sum(-1, keepdims=True)


@dataclass
class Row:
    """One distribution: ``build(lib, params)`` makes it from the parameter tensors that
    ``params(rng)`` gives as float64 arrays (every one is differentiated)."""

    name: str
    build: Callable[[Any, dict[str, Any]], Any]
    params: Callable[[Any], dict[str, Any]]
    loose: tuple[str, ...] = ()  # quantities PyTorch rounds through float32 (see LOOSE_RTOL)
    torch_samples: bool = True  # False where PyTorch's sampler fails (chainrule's is checked)


def D(lib: Any) -> Any:
    return lib.distributions


ROWS = [
    Row(
        "NegativeBinomial_probs",
        lambda lib, p: D(lib).NegativeBinomial(p["total_count"], probs=p["probs"]),
        lambda r: {"total_count": pos(r, 2, 1) * 2, "probs": prob(r, 3)},
    ),
    Row(
        "NegativeBinomial_logits",
        lambda lib, p: D(lib).NegativeBinomial(p["total_count"], logits=p["logits"]),
        lambda r: {"total_count": pos(r, 3), "logits": real(r, 2, 1)},
    ),
    Row(
        "NegativeBinomial_number_count",
        lambda lib, p: D(lib).NegativeBinomial(4.0, probs=p["probs"]),
        lambda r: {"probs": prob(r, 2, 3)},
    ),
    Row(
        "Multinomial_probs",
        lambda lib, p: D(lib).Multinomial(5, probs=p["probs"]),
        lambda r: {"probs": simplex(r, 2, 3, 4)},
        loose=("entropy",),
    ),
    Row(
        "Multinomial_logits",
        lambda lib, p: D(lib).Multinomial(3, logits=p["logits"]),
        lambda r: {"logits": real(r, 2, 3)},
        loose=("entropy",),
    ),
    Row(
        "Multinomial_one_draw",
        lambda lib, p: D(lib).Multinomial(probs=p["probs"]),
        lambda r: {"probs": simplex(r, 5)},
        loose=("entropy",),
    ),
    Row(
        "MixtureSameFamily_normal",
        lambda lib, p: D(lib).MixtureSameFamily(
            D(lib).Categorical(logits=p["logits"]), D(lib).Normal(p["loc"], p["scale"])
        ),
        lambda r: {"logits": real(r, 2, 3), "loc": real(r, 2, 3) * 2, "scale": pos(r, 3)},
    ),
    Row(
        "MixtureSameFamily_shared_weights",
        lambda lib, p: D(lib).MixtureSameFamily(
            D(lib).Categorical(probs=p["probs"]), D(lib).Gamma(p["concentration"], p["rate"])
        ),
        lambda r: {"probs": simplex(r, 3), "concentration": pos(r, 2, 3), "rate": pos(r, 1, 3)},
        # PyTorch gathers its components' draws with an index lacking the batch dimension
        torch_samples=False,
    ),
    Row(
        "MixtureSameFamily_independent_normal",
        lambda lib, p: D(lib).MixtureSameFamily(
            D(lib).Categorical(logits=p["logits"]),
            D(lib).Independent(D(lib).Normal(p["loc"], p["scale"]), 1),
        ),
        lambda r: {"logits": real(r, 2, 3), "loc": real(r, 2, 3, 4), "scale": pos(r, 4)},
    ),
    Row(
        "MixtureSameFamily_poisson",
        lambda lib, p: D(lib).MixtureSameFamily(
            D(lib).Categorical(probs=p["probs"]), D(lib).Poisson(p["rate"])
        ),
        lambda r: {"probs": simplex(r, 2, 2), "rate": pos(r, 2, 2) * 3},
    ),
]
ROW_IDS = [row.name for row in ROWS]
SEEDS = (0, 1)
# PyTorch's Multinomial entropy takes log(total_count!) in float32 even for float64 parameters
# (an error near 1e-8); chainrule's is exact in the parameters' dtype
LOOSE_RTOL = 1e-7
QUANTITIES = ("batch_shape", "event_shape", "log_prob", "mean", "mode", "variance", "entropy")


def sample_points(row: Row, arrays: dict[str, Any]) -> Any:
    """Draws of the distribution (PyTorch's where it can): values in its support for log_prob."""
    lib = torch if row.torch_samples else cr
    lib.manual_seed(123)
    return plain(row.build(lib, tensors(lib, arrays)).sample((3,)))


def quantity(d: Any, value: Any, name: str) -> Any:
    if name == "log_prob":
        return d.log_prob(value)
    if name == "entropy":
        return d.entropy()
    return getattr(d, name)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_values_shapes_and_errors_match_torch(row: Row, seed: int) -> None:
    arrays = row.params(np.random.default_rng(seed))
    value = sample_points(row, arrays)
    results = []
    for lib in LIBS:
        d = row.build(lib, tensors(lib, arrays))
        v = lib.tensor(value, dtype=lib.float64)
        results.append({q: outcome(lambda d=d, v=v, q=q: quantity(d, v, q)) for q in QUANTITIES})
    ours, theirs = results
    for q in QUANTITIES:
        rtol = LOOSE_RTOL if q in row.loose else 1e-10
        assert_same(ours[q], theirs[q], f"{row.name}.{q}", rtol=rtol)


def log_prob_grads(lib: Any, row: Row, arrays: dict[str, Any], value: Any) -> Any:
    params = tensors(lib, arrays)
    row.build(lib, params).log_prob(lib.tensor(value, dtype=lib.float64)).sum().backward()
    return {k: plain(t.grad) for k, t in params.items()}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_log_prob_gradients_match_torch(row: Row, seed: int) -> None:
    arrays = row.params(np.random.default_rng(seed))
    value = sample_points(row, arrays)
    ours, theirs = (log_prob_grads(lib, row, arrays, value) for lib in LIBS)
    assert ours.keys() == theirs.keys()
    for k in ours:
        assert ours[k].shape == theirs[k].shape, k
        np.testing.assert_allclose(ours[k], theirs[k], rtol=1e-9, atol=1e-12, err_msg=k)


@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_expand_matches_torch(row: Row) -> None:
    arrays = row.params(np.random.default_rng(0))
    value = sample_points(row, arrays)[0]
    results = []
    for lib in LIBS:
        d = row.build(lib, tensors(lib, arrays))
        e = d.expand((4, *d.batch_shape))
        v = lib.tensor(value, dtype=lib.float64)
        results.append(
            [
                outcome(lambda e=e: tuple(e.batch_shape)),
                outcome(lambda e=e: tuple(e.event_shape)),
                outcome(lambda e=e, v=v: e.log_prob(v)),
                outcome(lambda e=e: e.mean),
            ]
        )
    for i, (a, b) in enumerate(zip(*results, strict=True)):
        assert_same(a, b, f"{row.name} expanded, item {i}")
    e = row.build(cr, tensors(cr, arrays))
    e = e.expand((4, *e.batch_shape))
    assert tuple(e.sample((2,)).shape) == (2, *e.batch_shape, *e.event_shape)


@pytest.mark.parametrize("sample_shape", [(), (5,), (2, 3)])
@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_sample_shapes_and_dtypes_match_torch(row: Row, sample_shape: Any) -> None:
    arrays = row.params(np.random.default_rng(0))
    shapes = []
    for lib in LIBS if row.torch_samples else (cr,):
        d = row.build(lib, tensors(lib, arrays))
        s = d.sample(sample_shape)
        shapes.append((tuple(s.shape), str(s.dtype).split(".")[-1], s.requires_grad))
        assert bool(d.support.check(s).all())
    expected = (*sample_shape, *d.batch_shape, *d.event_shape)
    assert shapes[0] == (expected, "float64", False)
    assert all(s == shapes[0] for s in shapes)


N = 40000


@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_sample_mean_and_variance_are_the_distributions(row: Row) -> None:
    arrays = row.params(np.random.default_rng(0))
    d = row.build(cr, tensors(cr, arrays))
    cr.manual_seed(0)
    s = plain(d.sample((N,)))
    mean, var = plain(d.mean), plain(d.variance)
    # the sample mean within 5 standard errors; the sample variance within 10%
    np.testing.assert_array_less(np.abs(s.mean(0) - mean), 5 * np.sqrt(var / N) + 1e-12)
    np.testing.assert_allclose(s.var(0), var, rtol=0.1, atol=1e-3)


def t(lib: Any, v: Any) -> Any:
    return lib.tensor(v, dtype=lib.float64)


ERRORS: dict[str, Callable[[Any], Any]] = {
    "nb_probs_and_logits": lambda lib: D(lib).NegativeBinomial(2.0, t(lib, 0.5), t(lib, 0.1)),
    "nb_neither": lambda lib: D(lib).NegativeBinomial(2.0),
    "nb_negative_count": lambda lib: D(lib).NegativeBinomial(t(lib, [-1.0, 2.0]), probs=0.5),
    "nb_probs_one": lambda lib: D(lib).NegativeBinomial(2.0, probs=t(lib, [0.5, 1.0])),
    "nb_probs_negative": lambda lib: D(lib).NegativeBinomial(2.0, probs=t(lib, -0.1)),
    "nb_not_a_tensor": lambda lib: D(lib).NegativeBinomial(2.0, probs=[0.5]),
    "nb_value_not_integer": lambda lib: (
        D(lib).NegativeBinomial(2.0, probs=t(lib, 0.5)).log_prob(t(lib, 1.5))
    ),
    "nb_value_negative": lambda lib: (
        D(lib).NegativeBinomial(t(lib, [2.0, 3.0]), probs=0.5).log_prob(t(lib, -1.0))
    ),
    "nb_value_not_broadcastable": lambda lib: (
        D(lib).NegativeBinomial(t(lib, [2.0, 3.0]), probs=0.5).log_prob(t(lib, [1.0, 2, 3]))
    ),
    "nb_value_list": lambda lib: D(lib).NegativeBinomial(2.0, probs=0.5).log_prob([1.0]),
    "nb_zero_count_zero_value": lambda lib: (
        D(lib).NegativeBinomial(t(lib, [0.0, 0.0]), probs=0.5).log_prob(t(lib, [0.0, 1.0]))
    ),
    "nb_probs_zero": lambda lib: (
        D(lib).NegativeBinomial(2.0, probs=t(lib, 0.0)).log_prob(t(lib, [0.0, 2.0]))
    ),
    "nb_entropy": lambda lib: D(lib).NegativeBinomial(2.0, probs=t(lib, 0.5)).entropy(),
    "nb_no_validation": lambda lib: (
        D(lib).NegativeBinomial(2.0, probs=t(lib, 0.5), validate_args=False).log_prob(t(lib, 1.5))
    ),
    "nb_repr": lambda lib: repr(D(lib).NegativeBinomial(t(lib, [2.0, 3.0]), logits=0.5)),
    "nb_constraints": lambda lib: repr(
        (D(lib).NegativeBinomial.arg_constraints, D(lib).NegativeBinomial.support)
    ),
    "mn_float_count": lambda lib: D(lib).Multinomial(5.0, probs=t(lib, [0.2, 0.8])),
    "mn_tensor_count": lambda lib: D(lib).Multinomial(lib.tensor(5), probs=t(lib, [0.2, 0.8])),
    "mn_negative_count": lambda lib: D(lib).Multinomial(-1, probs=t(lib, [0.2, 0.8])),
    "mn_negative_count_unvalidated": lambda lib: D(lib).Multinomial(
        -1, logits=t(lib, [0.2, 0.8]), validate_args=False
    ),
    "mn_probs_negative": lambda lib: D(lib).Multinomial(5, probs=t(lib, [0.2, -0.8])),
    "mn_probs_0d": lambda lib: D(lib).Multinomial(5, probs=t(lib, 0.2)),
    "mn_logits_0d": lambda lib: D(lib).Multinomial(5, logits=t(lib, 0.2)),
    "mn_neither": lambda lib: D(lib).Multinomial(5),
    "mn_wrong_total": lambda lib: (
        D(lib).Multinomial(3, probs=t(lib, [0.2, 0.8])).log_prob(t(lib, [3.0, 1.0]))
    ),
    "mn_negative_count_value": lambda lib: (
        D(lib).Multinomial(3, probs=t(lib, [0.2, 0.8])).log_prob(t(lib, [-1.0, 1.0]))
    ),
    "mn_wrong_event": lambda lib: (
        D(lib).Multinomial(3, probs=t(lib, [0.2, 0.3, 0.5])).log_prob(t(lib, [1.0, 2.0]))
    ),
    "mn_value_not_broadcastable": lambda lib: (
        D(lib)
        .Multinomial(3, probs=t(lib, [[0.2, 0.8], [0.5, 0.5]]))
        .log_prob(t(lib, [[1.0, 2.0]] * 3))
    ),
    "mn_integer_value": lambda lib: (
        D(lib).Multinomial(3, probs=t(lib, [0.2, 0.8])).log_prob(lib.tensor([1, 2]))
    ),
    "mn_zero_probability": lambda lib: (
        D(lib).Multinomial(3, logits=t(lib, [-float("inf"), 1.0])).log_prob(t(lib, [0.0, 3.0]))
    ),
    "mn_zero_count_entropy": lambda lib: D(lib).Multinomial(0, probs=t(lib, [0.2, 0.8])).entropy(),
    "mn_mode": lambda lib: D(lib).Multinomial(3, probs=t(lib, [0.2, 0.8])).mode,
    "mn_support_check": lambda lib: (
        D(lib)
        .Multinomial(3, probs=t(lib, [0.2, 0.8]))
        .support.check(t(lib, [[1.0, 1.0], [-1, 2], [1.5, 1.5], [2, 2]]))
    ),
    "mn_repr": lambda lib: repr(D(lib).Multinomial(3, probs=t(lib, [0.2, 0.8]))),
    "mn_support": lambda lib: repr(D(lib).Multinomial(3, probs=t(lib, [0.2, 0.8])).support),
    "mn_bool_count": lambda lib: D(lib).Multinomial(True, probs=t(lib, [0.2, 0.8])).mean,
    "mn_default_dtype_sample": lambda lib: (
        D(lib).Multinomial(4, probs=lib.tensor([0.2, 0.8])).sample((2,)).dtype
    ),
    "mix_not_categorical": lambda lib: D(lib).MixtureSameFamily(
        D(lib).Normal(0.0, 1.0), D(lib).Normal(t(lib, [0.0, 1.0]), 1.0)
    ),
    "mix_not_distribution": lambda lib: D(lib).MixtureSameFamily(
        D(lib).Categorical(t(lib, [0.5, 0.5])), 5
    ),
    "mix_batch_mismatch": lambda lib: D(lib).MixtureSameFamily(
        D(lib).Categorical(t(lib, np.ones((2, 3)))), D(lib).Normal(t(lib, np.zeros((4, 3))), 1.0)
    ),
    "mix_k_mismatch": lambda lib: D(lib).MixtureSameFamily(
        D(lib).Categorical(t(lib, np.ones(3))), D(lib).Normal(t(lib, np.zeros(4)), 1.0)
    ),
    "mix_size_one_batch": lambda lib: (
        D(lib)
        .MixtureSameFamily(
            D(lib).Categorical(t(lib, np.ones((1, 3)))),
            D(lib).Normal(t(lib, np.zeros((2, 3))), 1.0),
        )
        .batch_shape
    ),
    "mix_value_out_of_support": lambda lib: (
        D(lib)
        .MixtureSameFamily(
            D(lib).Categorical(t(lib, np.ones((2, 3)))), D(lib).Gamma(t(lib, np.ones((2, 3))), 1.0)
        )
        .log_prob(t(lib, [-1.0, 1.0]))
    ),
    "mix_value_not_broadcastable": lambda lib: (
        D(lib)
        .MixtureSameFamily(
            D(lib).Categorical(t(lib, np.ones((2, 3)))),
            D(lib).Normal(t(lib, np.zeros((2, 3))), 1.0),
        )
        .log_prob(t(lib, [0.0, 1.0, 2.0]))
    ),
    "mix_cdf": lambda lib: (
        D(lib)
        .MixtureSameFamily(
            D(lib).Categorical(t(lib, [[1.0, 2.0, 3.0]])),
            D(lib).Normal(t(lib, [[-1.0, 0.0, 2.0]]), t(lib, [1.0, 0.5, 2.0])),
        )
        .cdf(t(lib, [[-0.5], [0.3]]))
    ),
    "mix_cdf_of_independent": lambda lib: (
        D(lib)
        .MixtureSameFamily(
            D(lib).Categorical(t(lib, np.ones(3))),
            D(lib).Independent(D(lib).Normal(t(lib, np.zeros((3, 2))), 1.0), 1),
        )
        .cdf(t(lib, [0.0, 1.0]))
    ),
    "mix_rsample": lambda lib: (
        D(lib)
        .MixtureSameFamily(
            D(lib).Categorical(t(lib, np.ones(3))), D(lib).Normal(t(lib, np.zeros(3)), 1.0)
        )
        .rsample()
    ),
    "mix_repr": lambda lib: repr(
        D(lib).MixtureSameFamily(
            D(lib).Categorical(t(lib, np.ones((2, 3)))),
            D(lib).Normal(t(lib, np.zeros((2, 3))), 1.0),
        )
    ),
    "mix_support": lambda lib: repr(
        D(lib)
        .MixtureSameFamily(
            D(lib).Categorical(t(lib, np.ones(3))),
            D(lib).Independent(D(lib).Normal(t(lib, np.zeros((3, 2))), 1.0), 1),
        )
        .support
    ),
    "mix_support_check": lambda lib: (
        D(lib)
        .MixtureSameFamily(
            D(lib).Categorical(t(lib, np.ones(3))),
            D(lib).Independent(D(lib).Gamma(t(lib, np.ones((3, 2))), 1.0), 1),
        )
        .support.check(t(lib, [[1.0, 2.0], [-1.0, 2.0], [1.0, 0.0]]))
    ),
    "mix_arg_constraints": lambda lib: repr(D(lib).MixtureSameFamily.arg_constraints),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_and_edges_match_torch(name: str) -> None:
    ours, theirs = (outcome(lambda lib=lib: ERRORS[name](lib)) for lib in LIBS)
    if ours[0] == "other":  # a repr or a dtype: compared as text
        ours, theirs = ("other", text(str(ours[1]))), ("other", text(str(theirs[1])))
    assert_same(ours, theirs, name)
