"""``chainrule.distributions`` against ``torch.distributions``: every registered KL pair (values
and gradients), argument and support validation errors, densities at the edges of the support
with validation off, and ``enumerate_support``/``expand``.

The distributions are the rows of ``test_torch_distributions.py``; outcomes (values or
exceptions) are compared as there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from test_torch_distributions import LIBS, ROWS, assert_same, outcome, plain, tensors
from torch.distributions.kl import _KL_REGISTRY

import chainrule as cr


# ---- kl_divergence: every pair PyTorch registers, from the first row of each class
def _class_rows() -> dict[str, Any]:
    rows: dict[str, Any] = {}
    for row in ROWS:
        d = row.build(torch, tensors(torch, row.params(np.random.default_rng(0))))
        rows.setdefault(type(d).__name__, row)
    return rows


CLASS_ROWS = _class_rows()
KL_PAIRS = sorted(
    (p.__name__, q.__name__)
    for p, q in _KL_REGISTRY
    if p.__name__ in CLASS_ROWS and q.__name__ in CLASS_ROWS
)
# A pair of two different exponential families reaches the abstract rule (refused)
KL_PAIRS += [("Normal", "Bernoulli"), ("Dirichlet", "Gamma")]


def test_the_kl_registry_holds_pytorchs_pairs_among_the_families_built() -> None:
    built = set(CLASS_ROWS)
    ours = {(p.__name__, q.__name__) for p, q in cr.distributions.kl._KL_REGISTRY}
    theirs = {(p.__name__, q.__name__) for p, q in _KL_REGISTRY}
    assert {pq for pq in ours if set(pq) <= built} == {pq for pq in theirs if set(pq) <= built}
    assert ours <= theirs
    assert len(KL_PAIRS) > 40


def kl_run(lib: Any, pair: tuple[str, str]) -> tuple[Any, Any]:
    p_row, q_row = CLASS_ROWS[pair[0]], CLASS_ROWS[pair[1]]
    p_params = tensors(lib, p_row.params(np.random.default_rng(0)))
    q_params = tensors(lib, q_row.params(np.random.default_rng(1)))
    p, q = p_row.build(lib, p_params), q_row.build(lib, q_params)
    found = outcome(lambda: lib.distributions.kl_divergence(p, q))
    if found[0] != "tensor":
        return found, None
    kl = lib.distributions.kl_divergence(p, q)
    if not kl.requires_grad:
        return found, None
    wrt = [*p_params.values(), *q_params.values()]
    got = outcome(lambda: lib.autograd.grad(kl.sum(), wrt, allow_unused=True))
    if got[0] != "tuple":
        return found, got
    return found, [None if g is None else plain(g) for g in got[1]]


@pytest.mark.parametrize("pair", KL_PAIRS, ids=lambda p: f"{p[0]}-{p[1]}")
def test_kl_divergence_and_its_gradients_match_torch(pair: tuple[str, str]) -> None:
    (ours, our_grads), (theirs, their_grads) = (kl_run(lib, pair) for lib in LIBS)
    assert_same(ours, theirs, f"KL{pair}", rtol=1e-8)
    if not isinstance(their_grads, list) or not isinstance(our_grads, list):
        assert our_grads == their_grads
        return
    for a, b in zip(our_grads, their_grads, strict=True):
        assert (a is None) == (b is None), pair
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9, err_msg=str(pair))


# ---- errors: the same code under both libraries, the exception's type and message compared
def t(lib: Any, v: Any) -> Any:
    return lib.tensor(v, dtype=lib.float64)


ERRORS: dict[str, Callable[[Any], Any]] = {
    "normal_negative_scale": lambda lib: lib.distributions.Normal(
        t(lib, [0.0, 1.0]), t(lib, [1.0, -1.0]), validate_args=True
    ),
    "normal_nan_loc": lambda lib: lib.distributions.Normal(t(lib, float("nan")), 1.0),
    "normal_not_a_number": lambda lib: lib.distributions.Normal("a", 1.0),
    "normal_value_not_broadcastable": lambda lib: lib.distributions.Normal(
        t(lib, [0.0, 1.0, 2.0]), 1.0
    ).log_prob(t(lib, [0.0, 1.0])),
    "normal_value_not_a_tensor": lambda lib: lib.distributions.Normal(0.0, 1.0).log_prob(0.5),
    "normal_enumerate_support": lambda lib: lib.distributions.Normal(0.0, 1.0).enumerate_support(),
    "exponential_negative_value": lambda lib: lib.distributions.Exponential(
        t(lib, 1.0), validate_args=True
    ).log_prob(t(lib, -1.0)),
    "bernoulli_probs_and_logits": lambda lib: lib.distributions.Bernoulli(probs=0.3, logits=0.1),
    "bernoulli_neither": lambda lib: lib.distributions.Bernoulli(),
    "bernoulli_probs_above_one": lambda lib: lib.distributions.Bernoulli(probs=t(lib, 1.5)),
    "bernoulli_value_not_binary": lambda lib: lib.distributions.Bernoulli(t(lib, 0.3)).log_prob(
        t(lib, 0.5)
    ),
    "categorical_neither": lambda lib: lib.distributions.Categorical(),
    "categorical_scalar_probs": lambda lib: lib.distributions.Categorical(probs=t(lib, 0.5)),
    "categorical_negative_probs": lambda lib: lib.distributions.Categorical(
        probs=t(lib, [0.5, -0.1])
    ),
    "categorical_value_out_of_range": lambda lib: lib.distributions.Categorical(
        probs=t(lib, [0.2, 0.8])
    ).log_prob(lib.tensor(2)),
    "one_hot_value_not_one_hot": lambda lib: lib.distributions.OneHotCategorical(
        probs=t(lib, [0.2, 0.8])
    ).log_prob(t(lib, [1.0, 1.0])),
    "uniform_low_above_high": lambda lib: lib.distributions.Uniform(t(lib, 1.0), t(lib, 0.0)),
    "uniform_value_outside": lambda lib: lib.distributions.Uniform(
        t(lib, 0.0), t(lib, 1.0)
    ).log_prob(t(lib, 1.5)),
    "gamma_negative_value": lambda lib: lib.distributions.Gamma(t(lib, 2.0), t(lib, 1.0)).log_prob(
        t(lib, -1.0)
    ),
    "gamma_zero_rate": lambda lib: lib.distributions.Gamma(t(lib, 2.0), t(lib, 0.0)),
    "beta_value_outside": lambda lib: lib.distributions.Beta(t(lib, 2.0), t(lib, 2.0)).log_prob(
        t(lib, 1.5)
    ),
    "dirichlet_negative_concentration": lambda lib: lib.distributions.Dirichlet(
        t(lib, [1.0, -1.0])
    ),
    "dirichlet_scalar": lambda lib: lib.distributions.Dirichlet(t(lib, 1.0)),
    "dirichlet_value_not_simplex": lambda lib: lib.distributions.Dirichlet(
        t(lib, [1.0, 1.0, 1.0])
    ).log_prob(t(lib, [0.5, 0.6, 0.1])),
    "poisson_negative_rate": lambda lib: lib.distributions.Poisson(t(lib, -1.0)),
    "poisson_fractional_value": lambda lib: lib.distributions.Poisson(t(lib, 2.0)).log_prob(
        t(lib, 1.5)
    ),
    "binomial_fractional_count": lambda lib: lib.distributions.Binomial(t(lib, 2.5), t(lib, 0.5)),
    "binomial_value_above_count": lambda lib: lib.distributions.Binomial(5, t(lib, 0.5)).log_prob(
        t(lib, 6.0)
    ),
    "geometric_zero_probs": lambda lib: lib.distributions.Geometric(probs=t(lib, 0.0)),
    "mvn_no_matrix": lambda lib: lib.distributions.MultivariateNormal(lib.zeros(2)),
    "mvn_two_matrices": lambda lib: lib.distributions.MultivariateNormal(
        lib.zeros(2), covariance_matrix=lib.eye(2), scale_tril=lib.eye(2)
    ),
    "mvn_not_positive_definite": lambda lib: lib.distributions.MultivariateNormal(
        lib.zeros(2), covariance_matrix=lib.tensor([[1.0, 2.0], [2.0, 1.0]])
    ),
    "mvn_scalar_loc": lambda lib: lib.distributions.MultivariateNormal(
        lib.tensor(0.0), covariance_matrix=lib.eye(2)
    ),
    "mvn_vector_covariance": lambda lib: lib.distributions.MultivariateNormal(
        lib.zeros(2), covariance_matrix=lib.ones(2)
    ),
    "mvn_scale_tril_upper": lambda lib: lib.distributions.MultivariateNormal(
        lib.zeros(2), scale_tril=lib.tensor([[1.0, 1.0], [0.0, 1.0]])
    ),
    "independent_too_many_dims": lambda lib: lib.distributions.Independent(
        lib.distributions.Normal(lib.zeros(3), lib.ones(3)), 2
    ),
    "transformed_not_a_transform": lambda lib: lib.distributions.TransformedDistribution(
        lib.distributions.Normal(0.0, 1.0), [1]
    ),
    "kl_not_implemented": lambda lib: lib.distributions.kl_divergence(
        lib.distributions.Normal(0.0, 1.0), lib.distributions.Bernoulli(0.5)
    ),
    "expand_incompatible": lambda lib: lib.distributions.Normal(lib.zeros(2), lib.ones(2)).expand(
        (3,)
    ),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_match_torch(name: str) -> None:
    ours, theirs = (outcome(lambda lib=lib: ERRORS[name](lib)) for lib in LIBS)
    if theirs[0] == "other":  # no error: a distribution, compared by its repr
        ours, theirs = ("other", repr(ours[1])), ("other", repr(theirs[1]))
        theirs = ("other", theirs[1].replace("torch", "chainrule"))
    assert theirs[0] in ("raises", "other")
    assert_same(ours, theirs, name)


# ---- densities at the edges of the support, with validation off
def off(lib: Any) -> Any:
    return lib.distributions


EDGES: dict[str, tuple[Callable[[Any], Any], list[Any]]] = {
    "exponential": (lambda lib: off(lib).Exponential(t(lib, 1.5), validate_args=False), [0, -1]),
    "uniform": (
        lambda lib: off(lib).Uniform(t(lib, 0.0), t(lib, 1.0), validate_args=False),
        [-0.5, 0.0, 1.0, 2.0],
    ),
    "gamma_shape_2": (lambda lib: off(lib).Gamma(t(lib, 2.0), 1.0, validate_args=False), [0, -1]),
    "gamma_shape_1": (lambda lib: off(lib).Gamma(t(lib, 1.0), 1.0, validate_args=False), [0]),
    "gamma_shape_half": (lambda lib: off(lib).Gamma(t(lib, 0.5), 1.0, validate_args=False), [0]),
    "beta": (lambda lib: off(lib).Beta(t(lib, 1.0), t(lib, 2.0), validate_args=False), [0, 1]),
    "beta_half": (
        lambda lib: off(lib).Beta(t(lib, 0.5), t(lib, 0.5), validate_args=False),
        [0, 1, 1.5],
    ),
    "bernoulli": (lambda lib: off(lib).Bernoulli(t(lib, 0.3), validate_args=False), [0.5, 2]),
    "bernoulli_zero": (lambda lib: off(lib).Bernoulli(t(lib, 0.0), validate_args=False), [0, 1]),
    "poisson": (lambda lib: off(lib).Poisson(t(lib, 2.0), validate_args=False), [0, 2.5, -1]),
    "poisson_zero_rate": (
        lambda lib: off(lib).Poisson(t(lib, 0.0), validate_args=False),
        [0, 1],
    ),
    "geometric": (lambda lib: off(lib).Geometric(t(lib, 0.3), validate_args=False), [0, -1]),
    "geometric_one": (lambda lib: off(lib).Geometric(t(lib, 1.0), validate_args=False), [0, 1]),
    "binomial_zero_probs": (
        lambda lib: off(lib).Binomial(5, t(lib, 0.0), validate_args=False),
        [0, 1],
    ),
    "binomial_one_probs": (
        lambda lib: off(lib).Binomial(5, t(lib, 1.0), validate_args=False),
        [5, 4],
    ),
    "categorical_zero_prob": (
        lambda lib: off(lib).Categorical(probs=t(lib, [0.0, 1.0]), validate_args=False),
        [0, 1],
    ),
    "normal": (
        lambda lib: off(lib).Normal(t(lib, 0.0), 1.0, validate_args=False),
        [float("inf"), -float("inf"), 40.0],
    ),
    "laplace": (lambda lib: off(lib).Laplace(t(lib, 0.0), 1.0, validate_args=False), [0.0]),
    "lognormal": (
        lambda lib: off(lib).LogNormal(t(lib, 0.0), 1.0, validate_args=False),
        [0.0, -1.0],
    ),
    "half_normal": (
        lambda lib: off(lib).HalfNormal(t(lib, 1.0), validate_args=False),
        [0.0, -1.0],
    ),
    "dirichlet_corner": (
        lambda lib: off(lib).Dirichlet(t(lib, [1.0, 2.0, 3.0]), validate_args=False),
        [[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]],
    ),
}


@pytest.mark.parametrize("name", sorted(EDGES))
def test_densities_at_support_edges_match_torch(name: str) -> None:
    build, points = EDGES[name]
    for method in ("log_prob", "cdf", "icdf"):
        found = []
        for lib in LIBS:
            d = build(lib)
            v = t(lib, [0.0, 1.0]) if method == "icdf" else t(lib, points)
            f = getattr(d, method)
            found.append(outcome(lambda f=f, v=v: f(v)))
        assert_same(*found, f"{name}.{method}")


# ---- enumerate_support and expand
ENUMERABLE = [r for r in ROWS if r.name.split("_")[0] in {"Bernoulli", "Categorical", "Binomial"}]
ENUMERABLE += [r for r in ROWS if r.name.startswith("OneHotCategorical")]


@pytest.mark.parametrize("expand", [True, False])
@pytest.mark.parametrize("row", ENUMERABLE, ids=lambda r: r.name)
def test_enumerate_support_matches_torch(row: Any, expand: bool) -> None:
    arrays = row.params(np.random.default_rng(0))
    ours, theirs = (
        outcome(lambda lib=lib: row.build(lib, tensors(lib, arrays)).enumerate_support(expand))
        for lib in LIBS
    )
    assert_same(ours, theirs, row.name)


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.name)
def test_expand_matches_torch(row: Any) -> None:
    arrays = row.params(np.random.default_rng(0))
    found = []
    for lib in LIBS:
        d = row.build(lib, tensors(lib, arrays))
        e = d.expand((4, *d.batch_shape))
        lib.manual_seed(5)
        draws = e.sample() if row.exact_sampling else e.sample().shape
        found.append((type(e).__name__, tuple(e.batch_shape), tuple(e.event_shape), draws))
        found.append(outcome(lambda e=e: e.mean))
    (a_name, *a_shapes, a_draws), a_mean, (b_name, *b_shapes, b_draws), b_mean = found
    assert (a_name, a_shapes) == (b_name, b_shapes)
    assert_same(a_mean, b_mean, row.name)
    if row.exact_sampling:
        np.testing.assert_allclose(plain(a_draws), plain(b_draws), rtol=1e-12)
    else:
        assert tuple(a_draws) == tuple(b_draws)
