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
from test_torch_distributions import (
    LIBS,
    assert_same,
    outcome,
    plain,
    pos,
    prob,
    real,
    simplex,
    tensors,
    text,
)

import chainrule as cr


def near_half(rng: Any, *shape: int) -> Any:
    """Probabilities within 1e-3 of 1/2, where the continuous Bernoulli uses its series."""
    return 0.5 + rng.uniform(-9e-4, 9e-4, shape)


@dataclass
class Row:
    """One distribution: ``build(lib, params)`` makes it from the parameter tensors that
    ``params(rng)`` gives as float64 arrays (every one is differentiated)."""

    name: str
    build: Callable[[Any, dict[str, Any]], Any]
    params: Callable[[Any], dict[str, Any]]
    loose: tuple[str, ...] = ()  # quantities PyTorch rounds through float32 (see LOOSE_RTOL)
    torch_samples: bool = True  # False where PyTorch's sampler fails (chainrule's is checked)
    moments: bool = True  # False where, as in PyTorch, mean/variance are series, not the draws'


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
    Row(
        "ContinuousBernoulli_probs",
        lambda lib, p: D(lib).ContinuousBernoulli(probs=p["probs"]),
        lambda r: {"probs": np.concatenate([prob(r, 2, 3), near_half(r, 2, 2)], -1)},
    ),
    Row(
        "ContinuousBernoulli_logits",
        lambda lib, p: D(lib).ContinuousBernoulli(logits=p["logits"]),
        lambda r: {"logits": np.concatenate([real(r, 3) * 3, near_half(r, 2) - 0.5])},
    ),
    Row(
        "ContinuousBernoulli_wide_lims",
        lambda lib, p: D(lib).ContinuousBernoulli(probs=p["probs"], lims=(0.4, 0.6)),
        lambda r: {"probs": prob(r, 2, 4)},
        # within lims the draws are uniform and the moments a short series, both approximations
        moments=False,
    ),
]
ROW_IDS = [row.name for row in ROWS]
SEEDS = (0, 1)
# PyTorch's Multinomial entropy takes log(total_count!) in float32 even for float64 parameters
# (an error near 1e-8); chainrule's is exact in the parameters' dtype
LOOSE_RTOL = 1e-7
QUANTITIES = (
    "batch_shape",
    "event_shape",
    "log_prob",
    "cdf",
    "icdf",
    "mean",
    "mode",
    "variance",
    "stddev",
    "entropy",
)


def sample_points(row: Row, arrays: dict[str, Any]) -> Any:
    """Draws of the distribution (PyTorch's where it can): values in its support for log_prob."""
    lib = torch if row.torch_samples else cr
    lib.manual_seed(123)
    return plain(row.build(lib, tensors(lib, arrays)).sample((3,)))


def quantity(d: Any, value: Any, q: Any, name: str) -> Any:
    if name in ("log_prob", "cdf"):
        return getattr(d, name)(value)
    if name == "icdf":
        return d.icdf(q)
    if name == "entropy":
        return d.entropy()
    return getattr(d, name)


def levels(value: Any) -> Any:
    """Probabilities of the shape of one draw, for icdf."""
    return np.random.default_rng(7).uniform(0.05, 0.95, value.shape[1:])


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_values_shapes_and_errors_match_torch(row: Row, seed: int) -> None:
    arrays = row.params(np.random.default_rng(seed))
    value = sample_points(row, arrays)
    results = []
    for lib in LIBS:
        d = row.build(lib, tensors(lib, arrays))
        v, u = (lib.tensor(a, dtype=lib.float64) for a in (value, levels(value)))
        run = {n: (lambda d=d, v=v, u=u, n=n: quantity(d, v, u, n)) for n in QUANTITIES}
        results.append({n: outcome(f) for n, f in run.items()})
    ours, theirs = results
    for q in QUANTITIES:
        rtol = LOOSE_RTOL if q in row.loose else 1e-10
        assert_same(ours[q], theirs[q], f"{row.name}.{q}", rtol=rtol)


def grads(lib: Any, row: Row, arrays: dict[str, Any], value: Any, name: str) -> Any:
    """Gradients of the sum of one quantity to every parameter, or the refusal's message."""
    params = tensors(lib, arrays)
    d = row.build(lib, params)
    v, u = (lib.tensor(a, dtype=lib.float64) for a in (value, levels(value)))
    try:
        out = quantity(d, v, u, name)
        found = lib.autograd.grad(out.sum(), list(params.values()), allow_unused=True)
    except NotImplementedError as e:  # refused alike, in the same words
        return text(str(e))
    return {k: None if g is None else plain(g) for k, g in zip(params, found, strict=True)}


@pytest.mark.parametrize("name", ["log_prob", "mean", "variance", "entropy", "cdf", "icdf"])
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_gradients_to_parameters_match_torch(row: Row, seed: int, name: str) -> None:
    arrays = row.params(np.random.default_rng(seed))
    value = sample_points(row, arrays)
    ours, theirs = (grads(lib, row, arrays, value, name) for lib in LIBS)
    if name == "log_prob":
        assert isinstance(theirs, dict)
    if isinstance(ours, str) or isinstance(theirs, str):
        assert ours == theirs
        return
    rtol = LOOSE_RTOL if name in row.loose else 1e-9
    assert ours.keys() == theirs.keys()
    for k in ours:
        if ours[k] is None or theirs[k] is None:
            assert ours[k] is theirs[k], k
            continue
        assert ours[k].shape == theirs[k].shape, k
        np.testing.assert_allclose(ours[k], theirs[k], rtol=rtol, atol=1e-12, err_msg=k)


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


@pytest.mark.parametrize("row", [r for r in ROWS if r.moments], ids=lambda r: r.name)
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
    "cb_probs_and_logits": lambda lib: D(lib).ContinuousBernoulli(t(lib, 0.5), t(lib, 0.1)),
    "cb_neither": lambda lib: D(lib).ContinuousBernoulli(),
    "cb_list": lambda lib: D(lib).ContinuousBernoulli(probs=[0.3]),
    "cb_probs_clamped_before_checking": lambda lib: repr(
        D(lib).ContinuousBernoulli(probs=t(lib, [0.0, 1.3]))
    ),
    "cb_probs_clamped": lambda lib: D(lib).ContinuousBernoulli(probs=t(lib, [0.0, 1.0])).probs,
    "cb_probs_nan": lambda lib: D(lib).ContinuousBernoulli(probs=t(lib, [0.3, float("nan")])),
    "cb_logits_nan": lambda lib: D(lib).ContinuousBernoulli(logits=t(lib, [float("nan")])),
    "cb_value_out_of_support": lambda lib: (
        D(lib).ContinuousBernoulli(logits=t(lib, 1.3)).log_prob(t(lib, 1.3))
    ),
    "cb_cdf_out_of_support": lambda lib: (
        D(lib).ContinuousBernoulli(probs=t(lib, 0.3)).cdf(t(lib, [-0.1, 0.5]))
    ),
    "cb_cdf_at_ends": lambda lib: (
        D(lib).ContinuousBernoulli(probs=t(lib, [0.3, 0.5])).cdf(t(lib, [[0.0], [1.0]]))
    ),
    "cb_icdf_unchecked": lambda lib: (
        D(lib).ContinuousBernoulli(probs=t(lib, 0.3)).icdf(t(lib, 1.3))
    ),
    "cb_unvalidated_log_prob": lambda lib: (
        D(lib).ContinuousBernoulli(probs=t(lib, 0.3), validate_args=False).log_prob(t(lib, 1.5))
    ),
    "cb_number_probs": lambda lib: D(lib).ContinuousBernoulli(0.3).mean,
    "cb_repr": lambda lib: repr(D(lib).ContinuousBernoulli(logits=t(lib, [0.3, 0.1]))),
    "cb_constraints": lambda lib: repr(
        (D(lib).ContinuousBernoulli.arg_constraints, D(lib).ContinuousBernoulli.support)
    ),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_and_edges_match_torch(name: str) -> None:
    ours, theirs = (outcome(lambda lib=lib: ERRORS[name](lib)) for lib in LIBS)
    if ours[0] == "other":  # a repr or a dtype: compared as text
        ours, theirs = ("other", text(str(ours[1]))), ("other", text(str(theirs[1])))
    assert_same(ours, theirs, name)


CB_ROWS = [r for r in ROWS if r.name.startswith("ContinuousBernoulli")]


@pytest.mark.parametrize("row", CB_ROWS, ids=lambda r: r.name)
def test_continuous_bernoulli_rsample_and_its_gradients_match_torch(row: Row) -> None:
    # both invert the cdf at the same uniform stream: equal draws under one seed
    arrays = row.params(np.random.default_rng(0))
    found = []
    for lib in LIBS:
        params = tensors(lib, arrays)
        lib.manual_seed(5)
        x = row.build(lib, params).rsample((3,))
        grad = lib.autograd.grad((x * x).sum(), list(params.values()))
        found.append((plain(x), [plain(g) for g in grad], str(x.dtype).split(".")[-1]))
    (x, grad, dtype), (tx, tgrad, tdtype) = found
    assert dtype == tdtype
    np.testing.assert_allclose(x, tx, rtol=1e-10)
    for g, tg in zip(grad, tgrad, strict=True):
        np.testing.assert_allclose(g, tg, rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_float32_parameters_give_torchs_dtypes_and_values(row: Row) -> None:
    arrays = row.params(np.random.default_rng(0))
    value = sample_points(row, arrays)
    results = []
    for lib in LIBS:
        d = row.build(lib, tensors(lib, arrays, "float32"))
        v, u = (lib.tensor(a, dtype=lib.float32) for a in (value, levels(value)))
        run = {n: (lambda d=d, v=v, u=u, n=n: quantity(d, v, u, n)) for n in QUANTITIES}
        if row.torch_samples:
            run["sample"] = lambda d=d: str(d.sample((2,)).dtype)
        results.append({n: outcome(f) for n, f in run.items()})
    ours, theirs = results
    for n in ours:
        if ours[n][0] == "other":
            assert text(ours[n][1]) == text(theirs[n][1]), n
        else:
            # the continuous Bernoulli's variance near lims subtracts nearly equal terms: float32
            # roundings differ by a few 1e-5 (relative) with the order of operations; its
            # log_prob near 0 (3e-4) is a sum of terms near 1, each rounded to 6e-8: both
            # libraries are 2.4e-7 from the float64 value at most, apart by 6e-8 at such a point
            assert_same(ours[n], theirs[n], f"{row.name}.{n} in float32", rtol=1e-4, atol=3e-7)


def second_order(lib: Any, row: Row, arrays: dict[str, Any], value: Any) -> Any:
    """Gradients of the summed squared first gradients of log_prob (grad of grad)."""
    params = tensors(lib, arrays)
    out = row.build(lib, params).log_prob(lib.tensor(value, dtype=lib.float64)).sum()
    first = lib.autograd.grad(out, list(params.values()), create_graph=True)
    total = sum((g * g).sum() for g in first)
    second = lib.autograd.grad(total, list(params.values()), allow_unused=True)
    return [None if g is None else plain(g) for g in second]


@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_second_order_gradients_of_log_prob_match_torch(row: Row) -> None:
    arrays = row.params(np.random.default_rng(0))
    value = sample_points(row, arrays)
    ours, theirs = (second_order(lib, row, arrays, value) for lib in LIBS)
    for name, g, tg in zip(arrays, ours, theirs, strict=True):
        if g is None or tg is None:
            assert g is tg, name
            continue
        np.testing.assert_allclose(g, tg, rtol=1e-8, atol=1e-11, err_msg=name)


def cb(lib: Any, params: dict[str, Any], name: str = "p") -> Any:
    return D(lib).ContinuousBernoulli(probs=params[name])


# KL pairs with a continuous Bernoulli, each built from its parameters: p's probabilities lie on
# both sides of lims and inside them, and the other side broadcasts against them
KL_PAIRS: dict[str, Callable[[Any, dict[str, Any]], Any]] = {
    "cb_cb": lambda lib, a: (cb(lib, a), D(lib).ContinuousBernoulli(logits=a["x"])),
    "cb_normal": lambda lib, a: (cb(lib, a), D(lib).Normal(a["x"], a["y"])),
    "cb_exponential": lambda lib, a: (cb(lib, a), D(lib).Exponential(a["y"])),
    "beta_cb": lambda lib, a: (D(lib).Beta(a["y"], a["y"] + 0.5), cb(lib, a)),
    "normal_cb": lambda lib, a: (D(lib).Normal(a["x"], a["y"]), cb(lib, a)),
    "exponential_cb": lambda lib, a: (D(lib).Exponential(a["y"]), cb(lib, a)),
    "gamma_cb": lambda lib, a: (D(lib).Gamma(a["y"], a["y"]), cb(lib, a)),
    "gumbel_cb": lambda lib, a: (D(lib).Gumbel(a["x"], a["y"]), cb(lib, a)),
    "laplace_cb": lambda lib, a: (D(lib).Laplace(a["x"], a["y"]), cb(lib, a)),
    # refused alike: no rule between these exponential families
    "cb_gamma": lambda lib, a: (cb(lib, a), D(lib).Gamma(a["y"], a["y"])),
}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("pair", sorted(KL_PAIRS))
def test_continuous_bernoulli_kl_divergences_and_gradients_match_torch(
    pair: str, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    arrays = {
        "p": np.concatenate([prob(rng, 2, 3), near_half(rng, 2, 1)], -1),
        "x": real(rng, 4),
        "y": pos(rng, 4),
    }
    found = []
    for lib in LIBS:
        params = tensors(lib, arrays)
        kl = outcome(
            lambda lib=lib, params=params: D(lib).kl_divergence(*KL_PAIRS[pair](lib, params))
        )
        grad = None
        if kl[0] == "tensor" and np.isfinite(kl[3]).all():
            out = D(lib).kl_divergence(*KL_PAIRS[pair](lib, params)).sum()
            grad = lib.autograd.grad(out, list(params.values()), allow_unused=True)
            grad = [None if g is None else plain(g) for g in grad]
        found.append((kl, grad))
    (ours, grads), (theirs, their_grads) = found
    assert_same(ours, theirs, pair, rtol=1e-9)
    assert (grads is None) == (their_grads is None)
    for g, tg in zip(grads or [], their_grads or [], strict=True):
        if g is None or tg is None:
            assert g is tg
            continue
        # a sum of terms ~1 that nearly cancel (Beta's entropy): 1e-9 absolute
        np.testing.assert_allclose(g, tg, rtol=1e-8, atol=1e-9)
