"""HalfCauchy, Pareto, Weibull, InverseGamma and Kumaraswamy against ``torch.distributions``.

The rows run through the checks of ``test_torch_distributions`` (the same code on both libraries
with float64 parameters of broadcasting shapes): shapes, support, repr, ``mean``/``mode``/
``variance``/``entropy``, ``log_prob``/``cdf``/``icdf`` (or PyTorch's refusal of them), their
gradients to every parameter, second-order gradients of ``log_prob``, float32 results, and sample
shapes. The samplers built on the shared random stream (Cauchy, exponential and uniform draws)
give PyTorch's numbers and rsample gradients under the same seed; InverseGamma draws through
chainrule's gamma sampler, so its moments and its finite reparameterized gradients are checked.
A table of bad parameters and out-of-support values compares the error types and messages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import test_torch_distributions as common
from test_torch_distributions import (
    LIBS,
    SEEDS,
    D,
    Row,
    assert_same,
    outcome,
    plain,
    pos,
    tensors,
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


# ---- KL(Pareto || Pareto): infinite where p's scale is below q's, else closed form
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pareto_kl_divergence_and_gradients_match_torch(seed: int) -> None:
    rng = np.random.default_rng(seed)
    arrays = {"sp": pos(rng, 2, 1), "ap": pos(rng, 3), "sq": pos(rng, 3), "aq": pos(rng, 2, 1)}
    found = []
    for lib in LIBS:
        t = tensors(lib, arrays)
        p = D(lib).Pareto(t["sp"], t["ap"])
        q = D(lib).Pareto(t["sq"], t["aq"])
        kl = D(lib).kl_divergence(p, q)
        grads = lib.autograd.grad(kl[kl.isfinite()].sum(), list(t.values()))
        found.append((outcome(lambda kl=kl: kl), [plain(g) for g in grads]))
    (ours, our_grads), (theirs, their_grads) = found
    assert_same(ours, theirs, "KL(Pareto || Pareto)", rtol=1e-10)
    assert np.isinf(ours[3]).any() or seed != 0  # the infinite branch is reached
    for a, b in zip(our_grads, their_grads, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_pareto_kl_to_other_families_is_refused() -> None:
    # PyTorch has closed forms for Pareto against Exponential, Gamma, Normal, Beta, Uniform
    # and the reverse pairs; chainrule refuses them rather than guess
    p = cr.distributions.Pareto(cr.tensor(1.0), cr.tensor(3.0))
    with pytest.raises(NotImplementedError, match="Pareto and q type Exponential"):
        cr.distributions.kl_divergence(p, cr.distributions.Exponential(cr.tensor(1.0)))
