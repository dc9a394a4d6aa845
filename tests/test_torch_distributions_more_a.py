"""HalfCauchy, Pareto, Weibull, InverseGamma and Kumaraswamy against ``torch.distributions``.

The rows run through the checks of ``test_torch_distributions`` (the same code on both libraries
with float64 parameters of broadcasting shapes): shapes, support, repr, ``mean``/``mode``/
``variance``/``entropy``, ``log_prob``/``cdf``/``icdf`` (or PyTorch's refusal of them), their
gradients to every parameter, second-order gradients of ``log_prob``, float32 results, and sample
shapes. The samplers built on the shared random stream (Cauchy, exponential and uniform draws)
give PyTorch's numbers and rsample gradients under the same seed; InverseGamma draws through
chainrule's gamma sampler, so its moments and its finite reparameterized gradients are checked.
A table of bad parameters and out-of-support values compares the error types and messages;
the KL divergences with Pareto on either side and a few everyday snippets (numbers as
parameters, the support's edges) are compared with PyTorch too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import test_torch_distributions as common
import torch
from test_torch_distributions import (
    LIBS,
    SEEDS,
    D,
    Row,
    assert_same,
    outcome,
    plain,
    pos,
    prob,
    tensors,
    text,
)
from test_torch_distributions import (
    test_float32_parameters_give_torchs_dtypes_and_values as check_float32,
)
from test_torch_distributions import (
    test_gradients_to_parameters_match_torch as check_gradients,
)
from test_torch_distributions import (
    test_rsample_gradients_match_torch_under_the_same_seed as check_rsample_gradients,
)
from test_torch_distributions import (
    test_sample_shapes_and_seeded_samples_match_torch as check_samples,
)
from test_torch_distributions import (
    test_second_order_gradients_of_log_prob_match_torch as check_second_order,
)
from test_torch_distributions import (
    test_values_shapes_and_errors_match_torch as check_values,
)
from test_torch_distributions_sampling import (
    test_own_samplers_have_the_distributions_moments as check_moments,
)

import chainrule as cr


def above(low: float, high: float) -> Callable[..., Any]:
    return lambda rng, *shape: rng.uniform(low, high, shape)


ROWS = [
    Row(
        "HalfCauchy",
        lambda lib, p: D(lib).HalfCauchy(p["scale"]),
        lambda r: {"scale": pos(r, 2, 3)},
        exact_sampling=True,
    ),
    Row(
        "HalfCauchy_number",
        lambda lib, p: D(lib).HalfCauchy(1.5).expand((2, 3)),
        lambda r: {},
        exact_sampling=True,
    ),
    Row(
        "Pareto",
        lambda lib, p: D(lib).Pareto(p["scale"], p["alpha"]),
        lambda r: {"scale": pos(r, 2, 1), "alpha": pos(r, 3)},
        exact_sampling=True,
    ),
    Row(
        "Pareto_expanded",
        lambda lib, p: D(lib).Pareto(p["scale"], p["alpha"]).expand((4, 3)),
        lambda r: {"scale": pos(r, 1), "alpha": above(2.5, 4.0)(r, 3)},
        exact_sampling=True,
    ),
    Row(
        "Weibull",
        lambda lib, p: D(lib).Weibull(p["scale"], p["concentration"]),
        lambda r: {"scale": pos(r, 2, 1), "concentration": pos(r, 3)},
        exact_sampling=True,
    ),
    Row(
        "Weibull_expanded",
        lambda lib, p: D(lib).Weibull(p["scale"], p["concentration"]).expand((4, 3)),
        lambda r: {"scale": pos(r, 3), "concentration": above(1.2, 3.0)(r, 1)},
        exact_sampling=True,
    ),
    Row(
        "InverseGamma",
        lambda lib, p: D(lib).InverseGamma(p["concentration"], p["rate"]),
        lambda r: {"concentration": above(0.5, 4.0)(r, 2, 1), "rate": pos(r, 3)},
    ),
    Row(
        "InverseGamma_expanded",
        lambda lib, p: D(lib).InverseGamma(p["concentration"], p["rate"]).expand((2, 3)),
        lambda r: {"concentration": above(2.5, 4.0)(r, 3), "rate": pos(r, 1)},
    ),
]
ROWS += [
    Row(
        "Kumaraswamy",
        lambda lib, p: D(lib).Kumaraswamy(p["concentration1"], p["concentration0"]),
        lambda r: {"concentration1": pos(r, 2, 1), "concentration0": pos(r, 3)},
        exact_sampling=True,
    ),
    Row(
        "Kumaraswamy_expanded",
        lambda lib, p: D(lib).Kumaraswamy(p["concentration1"], 2.0).expand((4, 3)),
        lambda r: {"concentration1": pos(r, 3)},
        exact_sampling=True,
    ),
]
ROW_IDS = [row.name for row in ROWS]
# rows with parameter tensors to differentiate
GRAD_ROWS = [r for r in ROWS if r.params(np.random.default_rng(0))]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_values_shapes_support_and_refusals_match_torch(row: Row, seed: int) -> None:
    check_values(row, seed)


@pytest.mark.parametrize("seed", SEEDS[:2])
@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_parameter_gradients_match_torch(row: Row, seed: int, monkeypatch: Any) -> None:
    if row.name.startswith("Kumaraswamy"):
        # its mode is nan for every parameter in both libraries (compared as a value); the
        # derivative of nan is left uncompared (PyTorch's is 0 where its formula is masked)
        kept = tuple(q for q in common.GRAD_QUANTITIES if q != "mode")
        monkeypatch.setattr(common, "GRAD_QUANTITIES", kept)
    check_gradients(row, seed)


@pytest.mark.parametrize("row", GRAD_ROWS, ids=lambda r: r.name)
def test_log_prob_second_order_gradients_match_torch(row: Row) -> None:
    check_second_order(row)


@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_float32_parameters_match_torch(row: Row) -> None:
    check_float32(row)


@pytest.mark.parametrize("sample_shape", [(), (3,), (2, 1)])
@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_sample_shapes_and_seeded_draws_match_torch(row: Row, sample_shape: Any) -> None:
    check_samples(row, sample_shape)


@pytest.mark.parametrize("row", [r for r in GRAD_ROWS if r.exact_sampling], ids=lambda r: r.name)
def test_rsample_gradients_match_torch(row: Row) -> None:
    check_rsample_gradients(row)


# InverseGamma draws are reciprocals of chainrule's gamma draws: its sample mean and variance are
# checked (a concentration above 4 keeps the variance of the sample variance finite)
INVERSE_GAMMA_MOMENTS = Row(
    "InverseGamma_moments",
    lambda lib, p: D(lib).InverseGamma(p["concentration"], p["rate"]),
    lambda r: {"concentration": above(5.0, 8.0)(r, 2, 1), "rate": pos(r, 3)},
)


def test_inverse_gamma_draws_have_its_moments() -> None:
    check_moments(INVERSE_GAMMA_MOMENTS)


@pytest.mark.parametrize("row", [r for r in ROWS if not r.exact_sampling], ids=lambda r: r.name)
def test_inverse_gamma_rsample_is_differentiable_and_finite(row: Row) -> None:
    arrays = row.params(np.random.default_rng(3))
    params = tensors(cr, arrays)
    cr.manual_seed(11)
    z = row.build(cr, params).rsample((5,))
    grads = cr.autograd.grad((z * z).sum(), list(params.values()))
    for g, (name, v) in zip(grads, arrays.items(), strict=True):
        assert tuple(g.shape) == v.shape, name
        assert np.isfinite(plain(g)).all(), name
        assert (plain(g) != 0).any(), name


def _t(lib: Any, *v: float) -> Any:
    return lib.tensor(v, dtype=lib.float64)


# ---- refusals: bad parameters (which distribution's check speaks first, and its words) and
# values outside the support, under the default validation; and the unvalidated values
ERRORS: dict[str, Callable[[Any], Any]] = {
    "HalfCauchy_scale": lambda lib: D(lib).HalfCauchy(_t(lib, -1.0, 1.0)),
    "HalfCauchy_zero_scale": lambda lib: D(lib).HalfCauchy(_t(lib, 0.0)),
    "Pareto_scale": lambda lib: D(lib).Pareto(_t(lib, -1.0), _t(lib, 1.0)),
    "Pareto_alpha": lambda lib: D(lib).Pareto(_t(lib, 1.0), _t(lib, -1.0)),
    "Pareto_both": lambda lib: D(lib).Pareto(_t(lib, -1.0), _t(lib, -1.0)),
    "Weibull_scale": lambda lib: D(lib).Weibull(_t(lib, -1.0), _t(lib, 1.0)),
    "Weibull_concentration": lambda lib: D(lib).Weibull(_t(lib, 1.0), _t(lib, -1.0)),
    "InverseGamma_concentration": lambda lib: D(lib).InverseGamma(_t(lib, -1.0), _t(lib, 1.0)),
    "InverseGamma_rate": lambda lib: D(lib).InverseGamma(_t(lib, 1.0), _t(lib, -1.0)),
    "Kumaraswamy_concentration1": lambda lib: D(lib).Kumaraswamy(_t(lib, -1.0), _t(lib, 1.0)),
    "Kumaraswamy_concentration0": lambda lib: D(lib).Kumaraswamy(_t(lib, 1.0), _t(lib, 0.0)),
    "Kumaraswamy_log_prob": lambda lib: (
        D(lib).Kumaraswamy(_t(lib, 1.0), _t(lib, 1.0)).log_prob(_t(lib, 1.5))
    ),
    "Kumaraswamy_cdf": lambda lib: (
        D(lib).Kumaraswamy(_t(lib, 2.0), _t(lib, 3.0)).cdf(_t(lib, -0.5))
    ),
    "Kumaraswamy_ends": lambda lib: (
        D(lib).Kumaraswamy(_t(lib, 2.0), _t(lib, 3.0)).cdf(_t(lib, 0.0, 1.0))
    ),
    "HalfCauchy_log_prob": lambda lib: D(lib).HalfCauchy(_t(lib, 1.0)).log_prob(_t(lib, -1.0)),
    "HalfCauchy_cdf": lambda lib: D(lib).HalfCauchy(_t(lib, 1.0)).cdf(_t(lib, -1.0)),
    "HalfCauchy_number_value": lambda lib: D(lib).HalfCauchy(_t(lib, 1.0)).log_prob(0.5),
    "Pareto_log_prob": lambda lib: D(lib).Pareto(_t(lib, 1.0), _t(lib, 1.0)).log_prob(_t(lib, 0.5)),
    "Pareto_cdf": lambda lib: D(lib).Pareto(_t(lib, 1.0), _t(lib, 1.0)).cdf(_t(lib, 0.5)),
    "Weibull_log_prob": lambda lib: (
        D(lib).Weibull(_t(lib, 1.0), _t(lib, 1.0)).log_prob(_t(lib, -1.0))
    ),
    "Weibull_log_prob_zero": lambda lib: (
        D(lib).Weibull(_t(lib, 1.0), _t(lib, 1.0)).log_prob(_t(lib, 0.0))
    ),
    "InverseGamma_log_prob": lambda lib: (
        D(lib).InverseGamma(_t(lib, 1.0), _t(lib, 1.0)).log_prob(_t(lib, -1.0))
    ),
    "InverseGamma_icdf": lambda lib: (
        D(lib).InverseGamma(_t(lib, 2.0), _t(lib, 1.0)).icdf(_t(lib, 0.5))
    ),
    "shape_mismatch": lambda lib: (
        D(lib).Weibull(_t(lib, 1.0, 2.0), _t(lib, 1.0)).log_prob(_t(lib, 1.0, 2.0, 3.0))
    ),
    "not_a_number": lambda lib: D(lib).Pareto("a", 1.0),
    "HalfCauchy_unvalidated": lambda lib: (
        D(lib).HalfCauchy(_t(lib, 1.0), validate_args=False).log_prob(_t(lib, -1.0))
    ),
    "Pareto_unvalidated": lambda lib: (
        D(lib).Pareto(_t(lib, 1.0), _t(lib, 1.0), validate_args=False).log_prob(_t(lib, 0.5))
    ),
    "Weibull_numbers": lambda lib: D(lib).Weibull(1.0, 2.0).log_prob(lib.tensor(0.5)),
    "InverseGamma_numbers": lambda lib: D(lib).InverseGamma(2.0, 1.0).cdf(lib.tensor(0.5)),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_refusals_and_unvalidated_values_match_torch(name: str) -> None:
    ours, theirs = (outcome(lambda lib=lib: ERRORS[name](lib)) for lib in LIBS)
    assert_same(ours, theirs, name, rtol=1e-6)  # the rows of numbers are float32


def test_repr_support_and_constraints_match_torch() -> None:
    for lib in LIBS:
        lib.manual_seed(0)
    found = []
    for lib in LIBS:
        s, c = _t(lib, 1.0, 2.0), _t(lib, 3.0)
        ds = [
            D(lib).HalfCauchy(s),
            D(lib).Pareto(s, c),
            D(lib).Weibull(s, c),
            D(lib).InverseGamma(c, s),
            D(lib).Kumaraswamy(s, c),
        ]
        found.append(
            [(repr(d), repr(d.support), repr(d.arg_constraints), d.has_rsample) for d in ds]
        )
    ours, theirs = found
    assert [tuple(x.replace("torch", "chainrule") for x in row[:3]) for row in theirs] == [
        row[:3] for row in ours
    ]
    assert [row[3] for row in ours] == [row[3] for row in theirs]


def test_expanded_parameters_keep_their_shapes() -> None:
    for lib in LIBS:
        s = _t(lib, 1.0, 2.0)
        w = D(lib).Weibull(s, _t(lib, 3.0)).expand((4, 2))
        assert tuple(w.concentration.shape) == (4, 2)
        assert tuple(w.concentration_reciprocal.shape) == (4, 2)
        assert tuple(D(lib).Pareto(s, 1.0).expand((3, 2)).alpha.shape) == (3, 2)
        assert tuple(D(lib).InverseGamma(s, 1.0).expand((3, 2)).rate.shape) == (3, 2)
        k = D(lib).Kumaraswamy(s, 1.0).expand((3, 2))
        assert tuple(k.concentration0.shape) == (3, 2)


# ---- KL divergences with Pareto on either side: closed forms, infinite where p puts mass
# outside q's support or the needed moment of p diverges (alpha <= 1 or 2); parameters drawn so
# that both branches are reached
def _pareto(lib: Any, t: dict[str, Any]) -> Any:
    return D(lib).Pareto(t["scale"], t["alpha"])


def _alphas(rng: Any, *shape: int) -> Any:
    # one alpha below 1, one in (1, 2], two above 2: each moment's branch is reached
    return np.array([0.7, 1.5, 2.5, 3.5]).reshape(shape) + rng.uniform(0.0, 0.3, shape)


PARETO_ARGS = {"scale": above(0.5, 2.5), "alpha": _alphas}
KL_PAIRS: dict[str, tuple[Callable[..., Any], Callable[..., Any], dict[str, Any]]] = {
    "Pareto-Pareto": (
        _pareto,
        lambda lib, t: D(lib).Pareto(t["scale_q"], t["alpha_q"]),
        {"scale_q": above(0.5, 2.5), "alpha_q": above(0.5, 4.0)},
    ),
    "Pareto-Exponential": (_pareto, lambda lib, t: D(lib).Exponential(t["rate"]), {"rate": pos}),
    "Pareto-Gamma": (
        _pareto,
        lambda lib, t: D(lib).Gamma(t["concentration"], t["rate"]),
        {"concentration": pos, "rate": pos},
    ),
    "Pareto-Normal": (
        _pareto,
        lambda lib, t: D(lib).Normal(t["loc"], t["sd"]),
        {"loc": above(-1.0, 1.0), "sd": pos},
    ),
    "Pareto-Beta": (
        _pareto,
        lambda lib, t: D(lib).Beta(t["c1"], t["c0"]),
        {"c1": pos, "c0": pos},
    ),
    "Pareto-Uniform": (
        _pareto,
        lambda lib, t: D(lib).Uniform(t["low"], t["low"] + 5.0),
        {"low": above(0.0, 1.0)},
    ),
    "Uniform-Pareto": (
        lambda lib, t: D(lib).Uniform(t["low"], t["low"] + t["width"]),
        _pareto,
        {"low": above(0.5, 3.0), "width": pos},
    ),
    "Beta-Pareto": (lambda lib, t: D(lib).Beta(t["c1"], t["c0"]), _pareto, {"c1": pos, "c0": pos}),
    "Pareto-ContinuousBernoulli": (
        _pareto,
        lambda lib, t: D(lib).ContinuousBernoulli(t["p"]),
        {"p": prob},
    ),
    "ContinuousBernoulli-Pareto": (
        lambda lib, t: D(lib).ContinuousBernoulli(t["p"]),
        _pareto,
        {"p": prob},
    ),
    "Exponential-Pareto": (lambda lib, t: D(lib).Exponential(t["rate"]), _pareto, {"rate": pos}),
    "Gamma-Pareto": (
        lambda lib, t: D(lib).Gamma(t["concentration"], t["rate"]),
        _pareto,
        {"concentration": pos, "rate": pos},
    ),
    "Gumbel-Pareto": (
        lambda lib, t: D(lib).Gumbel(t["loc"], t["sd"]),
        _pareto,
        {"loc": above(-1.0, 1.0), "sd": pos},
    ),
    "Laplace-Pareto": (
        lambda lib, t: D(lib).Laplace(t["loc"], t["sd"]),
        _pareto,
        {"loc": above(-1.0, 1.0), "sd": pos},
    ),
    "Normal-Pareto": (
        lambda lib, t: D(lib).Normal(t["loc"], t["sd"]),
        _pareto,
        {"loc": above(-1.0, 1.0), "sd": pos},
    ),
}


def kl_arrays(others: dict[str, Any], seed: int) -> dict[str, Any]:
    # Pareto's parameters broadcast as (4, 1) against the other's (6,)
    rng = np.random.default_rng(seed)
    arrays = {k: make(rng, 4, 1) for k, make in PARETO_ARGS.items()}
    arrays.update({k: make(rng, 6) for k, make in others.items()})
    return arrays


def kl_run(lib: Any, pair: str, arrays: dict[str, Any]) -> tuple[Any, Any]:
    build_p, build_q, _ = KL_PAIRS[pair]
    t = tensors(lib, arrays)
    found = outcome(lambda: D(lib).kl_divergence(build_p(lib, t), build_q(lib, t)))
    if found[0] != "tensor":
        return found, None
    kl = D(lib).kl_divergence(build_p(lib, t), build_q(lib, t))
    if not kl.requires_grad:
        return found, "constant"
    grads = lib.autograd.grad(kl.sum(), list(t.values()), allow_unused=True)
    return found, [None if g is None else plain(g) for g in grads]


# PyTorch writes inf through a mask of p's parameters into the broadcast result, which fails
# when q's parameters broadcast p's (IndexError); chainrule gives the values, compared with
# PyTorch's on parameters broadcast beforehand (its gradients summed back to each shape)
TORCH_MASK_FAILS = {"Pareto-Exponential", "Pareto-Gamma", "Pareto-Normal"}


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("pair", list(KL_PAIRS))
def test_pareto_kl_divergences_and_gradients_match_torch(pair: str, seed: int) -> None:
    arrays = kl_arrays(KL_PAIRS[pair][2], seed)
    ours, our_grads = kl_run(cr, pair, arrays)
    theirs, their_grads = kl_run(torch, pair, arrays)
    if pair in TORCH_MASK_FAILS:
        assert theirs[:2] == ("raises", "IndexError"), pair
        shape = np.broadcast_shapes(*(v.shape for v in arrays.values()))
        full = {k: np.broadcast_to(v, shape).copy() for k, v in arrays.items()}
        theirs, their_grads = kl_run(torch, pair, full)
        their_grads = [
            g.sum(axis=tuple(i for i, n in enumerate(v.shape) if n == 1), keepdims=True).reshape(
                v.shape
            )
            if v.ndim == 2
            else g.sum(0)
            for g, v in zip(their_grads, arrays.values(), strict=True)
        ]
    assert_same(ours, theirs, pair, rtol=1e-10)
    if not isinstance(their_grads, list):
        assert our_grads == their_grads, pair
        return
    for a, b in zip(our_grads, their_grads, strict=True):
        assert (a is None) == (b is None), pair
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12, err_msg=pair)


def test_pareto_kl_pairs_reach_both_branches_and_cover_torchs_registry() -> None:
    from torch.distributions.kl import _KL_REGISTRY

    built = {d.__name__ for d in vars(cr.distributions).values() if isinstance(d, type)}
    theirs = {
        f"{p.__name__}-{q.__name__}"
        for p, q in _KL_REGISTRY
        if "Pareto" in (p.__name__, q.__name__) and {p.__name__, q.__name__} <= built
    }
    assert theirs == set(KL_PAIRS)
    finite = []
    for pair, (build_p, build_q, others) in KL_PAIRS.items():
        t = tensors(cr, kl_arrays(others, 0))
        kl = plain(cr.distributions.kl_divergence(build_p(cr, t), build_q(cr, t)))
        finite.append(np.isfinite(kl).any())
        if pair in ("Pareto-Pareto", "Pareto-Exponential", "Pareto-Normal", "Uniform-Pareto"):
            assert np.isfinite(kl).any() and np.isinf(kl).any(), pair
    assert sum(finite) == 5


# ---- everyday snippets: numbers (ints too) as parameters, default dtypes, the edges of the
# support and of the unit interval, far tails; compared by repr or by exception
def _edges(lib: Any, d: Any, points: list[float]) -> Any:
    x = lib.tensor(points, dtype=lib.float64)
    return [outcome(lambda f=f: f(x)) for f in (d.log_prob, d.cdf, d.icdf)]


SNIPPETS: dict[str, Callable[[Any], Any]] = {
    "pareto_of_ints": lambda lib: D(lib).Pareto(1, 2).sample((2,)).dtype,
    "weibull_of_ints_mean": lambda lib: D(lib).Weibull(1, 2).mean,
    "inverse_gamma_of_ints": lambda lib: D(lib).InverseGamma(3, 2).variance,
    "half_cauchy_of_an_int": lambda lib: D(lib).HalfCauchy(1).entropy(),
    "kumaraswamy_of_numbers": lambda lib: D(lib).Kumaraswamy(2.0, 3.0).stddev,
    "pareto_expanded_support": lambda lib: D(lib).Pareto(1.0, 2.0).expand((2,)).support,
    "weibull_expanded_repr": lambda lib: D(lib).Weibull(1.0, 2.0).expand((2, 1)),
    "half_cauchy_edges": lambda lib: _edges(
        lib, D(lib).HalfCauchy(lib.tensor(2.0, dtype=lib.float64)), [0.0, 1.0, 1e300]
    ),
    "pareto_edges": lambda lib: _edges(
        lib, D(lib).Pareto(lib.tensor(1.5, dtype=lib.float64), 3.0), [1.5, 1e10, 1e300]
    ),
    "weibull_tails": lambda lib: _edges(
        lib, D(lib).Weibull(lib.tensor(1.5, dtype=lib.float64), 3.0), [1e-300, 1e-3, 50.0]
    ),
    "weibull_unit_edges": lambda lib: (
        D(lib)
        .Weibull(lib.tensor(1.5, dtype=lib.float64), 3.0)
        .icdf(lib.tensor([0.0, 1.0], dtype=lib.float64))
    ),
    "kumaraswamy_edges": lambda lib: _edges(
        lib, D(lib).Kumaraswamy(lib.tensor(2.0, dtype=lib.float64), 3.0), [0.0, 0.5, 1.0]
    ),
    "inverse_gamma_tails": lambda lib: (
        D(lib)
        .InverseGamma(lib.tensor(2.0, dtype=lib.float64), 3.0)
        .log_prob(lib.tensor([1e-3, 1.0, 1e6], dtype=lib.float64))
    ),
    "pareto_unvalidated_mean_of_small_alpha": lambda lib: (
        D(lib).Pareto(1.0, lib.tensor([0.5, 1.0, 1.5, 2.5])).mean
    ),
}


def _flat(found: Any) -> list[Any]:
    return found[1] if found[0] == "other" and isinstance(found[1], list) else [found]


@pytest.mark.parametrize("name", list(SNIPPETS))
def test_everyday_snippets_match_torch(name: str) -> None:
    ours, theirs = (outcome(lambda lib=lib: SNIPPETS[name](lib)) for lib in LIBS)
    if ours[0] == "other" and not isinstance(ours[1], list):
        assert text(str(ours[1])) == text(str(theirs[1])), name
        return
    for a, b in zip(_flat(ours), _flat(theirs), strict=True):
        assert_same(a, b, name, rtol=1e-6)  # numbers give float32
