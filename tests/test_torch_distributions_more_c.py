"""RelaxedBernoulli, RelaxedOneHotCategorical, OneHotCategoricalStraightThrough,
FisherSnedecor, VonMises and GeneralizedPareto against ``torch.distributions``.

The rows run through the checks of ``test_torch_distributions`` (the same code on both libraries
with float64 parameters of broadcasting shapes): shapes, support, repr, ``mean``/``mode``/
``variance``/``entropy``, ``log_prob``/``cdf``/``icdf`` (or PyTorch's refusal of them, in its
words), their gradients to every parameter, second-order gradients of ``log_prob``, float32
results, and sample shapes. The samplers built on the shared random stream (uniform draws, the
categorical sampler) give PyTorch's numbers and rsample gradients under the same seed;
FisherSnedecor draws through chainrule's gamma sampler, so its moments and its reparameterized
gradients (on average, the derivative of the mean) are checked instead. A table of bad
parameters, out-of-support values and edge cases compares the errors and values.
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
    real,
    simplex,
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
        "RelaxedBernoulli_probs",
        lambda lib, p: D(lib).RelaxedBernoulli(p["temperature"], probs=p["probs"]),
        lambda r: {"temperature": pos(r, 3), "probs": prob(r, 2, 3)},
        exact_sampling=True,
    ),
    Row(
        "RelaxedBernoulli_logits",
        lambda lib, p: D(lib).RelaxedBernoulli(p["temperature"], logits=p["logits"]),
        lambda r: {"temperature": pos(r), "logits": real(r, 2, 3)},
        exact_sampling=True,
    ),
    Row(
        "RelaxedBernoulli_expanded",
        lambda lib, p: D(lib).RelaxedBernoulli(p["temperature"], probs=p["probs"]).expand((4, 3)),
        lambda r: {"temperature": pos(r), "probs": prob(r, 3)},
        exact_sampling=True,
    ),
    Row(
        "RelaxedOneHotCategorical_probs",
        lambda lib, p: D(lib).RelaxedOneHotCategorical(p["temperature"], probs=p["probs"]),
        lambda r: {"temperature": pos(r), "probs": simplex(r, 2, 3, 4)},
        exact_sampling=True,
    ),
    Row(
        "RelaxedOneHotCategorical_logits",
        lambda lib, p: D(lib).RelaxedOneHotCategorical(p["temperature"], logits=p["logits"]),
        lambda r: {"temperature": pos(r, 2, 1), "logits": real(r, 2, 4)},
        exact_sampling=True,
    ),
    Row(
        "RelaxedOneHotCategorical_expanded",
        lambda lib, p: (
            D(lib).RelaxedOneHotCategorical(p["temperature"], logits=p["logits"]).expand((2, 3))
        ),
        lambda r: {"temperature": pos(r), "logits": real(r, 3, 5)},
        exact_sampling=True,
    ),
    Row(
        "OneHotCategoricalStraightThrough_probs",
        lambda lib, p: D(lib).OneHotCategoricalStraightThrough(probs=p["probs"]),
        lambda r: {"probs": simplex(r, 2, 3, 4)},
        exact_sampling=True,
    ),
    Row(
        "OneHotCategoricalStraightThrough_logits",
        lambda lib, p: D(lib).OneHotCategoricalStraightThrough(logits=p["logits"]).expand((2, 3)),
        lambda r: {"logits": real(r, 3, 4)},
        exact_sampling=True,
    ),
]
ROWS += [
    Row(
        "FisherSnedecor",
        # degrees of freedom on both sides of 2 and 4, where the mode, mean and variance end
        lambda lib, p: D(lib).FisherSnedecor(p["df1"], p["df2"]),
        lambda r: {"df1": 3 * pos(r, 2, 1), "df2": 3 * pos(r, 3)},
    ),
    Row(
        "FisherSnedecor_expanded",
        lambda lib, p: D(lib).FisherSnedecor(p["df1"], p["df2"]).expand((4, 3)),
        lambda r: {"df1": above(2.5, 9.0)(r, 1), "df2": above(4.5, 12.0)(r, 3)},
    ),
    Row(
        "FisherSnedecor_numbers",
        lambda lib, p: D(lib).FisherSnedecor(3.0, 6.5).expand((2, 3)),
        lambda r: {},
    ),
]
ROW_IDS = [row.name for row in ROWS]
GRAD_ROWS = [r for r in ROWS if r.params(np.random.default_rng(0))]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_values_shapes_support_and_refusals_match_torch(row: Row, seed: int) -> None:
    check_values(row, seed)


@pytest.mark.parametrize("seed", SEEDS[:2])
@pytest.mark.parametrize("row", GRAD_ROWS, ids=lambda r: r.name)
def test_parameter_gradients_match_torch(row: Row, seed: int) -> None:
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


# FisherSnedecor draws are ratios of chainrule's gamma draws (not PyTorch's numbers): the sample
# mean within 5 standard errors and the sample variance within 15% (degrees of freedom above 20
# keep the fourth moment, and so the spread of the sample variance, small: its relative standard
# error is a few percent at 20,000 draws)
F_MOMENTS = Row(
    "FisherSnedecor_moments",
    lambda lib, p: D(lib).FisherSnedecor(p["df1"], p["df2"]),
    lambda r: {"df1": above(3.0, 8.0)(r, 2, 1), "df2": above(20.0, 30.0)(r, 3)},
)


def test_fisher_snedecor_draws_have_its_moments() -> None:
    check_moments(F_MOMENTS)


def test_fisher_snedecor_rsample_gradients_average_to_the_mean_s_derivative() -> None:
    # The pathwise gradient is unbiased: over many draws, each with its own copy of the
    # parameters, the mean gradient is d mean / d df2 = -2 / (df2 - 2)^2, and 0 for df1 (the
    # mean does not depend on it); compared within 4 standard errors of the mean gradient (the
    # draws are seeded; a gradient 10% too large is 5 standard errors away)
    n, df1, df2 = 40000, np.array([3.0, 6.0, 9.0]), np.array([7.0, 10.0, 25.0])
    p1 = cr.tensor(np.tile(df1, (n, 1)), requires_grad=True)
    p2 = cr.tensor(np.tile(df2, (n, 1)), requires_grad=True)
    cr.manual_seed(0)
    x = D(cr).FisherSnedecor(p1, p2).rsample()
    g1, g2 = (plain(g) for g in cr.autograd.grad(x.sum(), [p1, p2]))
    for g, expected in ((g1, 0 * df1), (g2, -2 / (df2 - 2) ** 2)):
        assert np.isfinite(g).all()
        error = np.abs(g.mean(0) - expected) / (g.std(0) / np.sqrt(n))
        assert error.max() < 4, error


# ---- VonMises: PyTorch normalizes its density with a polynomial approximation of log I0 and
# log I1 (Abramowitz and Stegun's), chainrule with the exact scaled Bessel functions; for these
# concentrations (0.05 to 10) the two differ by at most ~5e-8 relative in log_prob and variance,
# and their derivatives by up to ~1e-5 absolute next to 3.75, where the approximation changes
# form: values are compared to 1e-6 relative, derivatives to 2e-5 absolute (a wrong formula is
# off by far more); the exactness itself is checked by quadrature below
VM_ROWS = [
    Row(
        "VonMises",
        lambda lib, p: D(lib).VonMises(p["loc"], p["concentration"]),
        lambda r: {
            "loc": 2 * real(r, 2, 1),
            "concentration": np.array([0.05, 1.0, 3.7, 3.8, 10.0]),
        },
        exact_sampling=True,
    ),
    Row(
        "VonMises_broadcast",
        lambda lib, p: D(lib).VonMises(p["loc"], p["concentration"]),
        lambda r: {"loc": real(r, 3), "concentration": pos(r, 2, 1)},
        exact_sampling=True,
    ),
    Row(
        "VonMises_expanded",
        lambda lib, p: D(lib).VonMises(p["loc"], p["concentration"]).expand((4, 3)),
        lambda r: {"loc": real(r, 3), "concentration": 4 * pos(r, 1)},
        exact_sampling=True,
    ),
    Row(
        "VonMises_numbers",
        lambda lib, p: D(lib).VonMises(1.0, 2.0).expand((2, 3)),
        lambda r: {},
        exact_sampling=True,
    ),
]
VM_GRAD_ROWS = [r for r in VM_ROWS if r.params(np.random.default_rng(0))]


def _loose(rtol: float) -> Callable[..., Any]:
    def compare(ours: Any, theirs: Any, what: str, rtol: float = rtol) -> None:
        assert_same(ours, theirs, what, rtol=max(rtol, 1e-6))

    return compare


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("row", VM_ROWS, ids=lambda r: r.name)
def test_von_mises_values_shapes_and_refusals_match_torch(
    row: Row, seed: int, monkeypatch: Any
) -> None:
    monkeypatch.setattr(common, "assert_same", _loose(1e-6))
    check_values(row, seed)


@pytest.mark.parametrize("row", VM_ROWS, ids=lambda r: r.name)
def test_von_mises_float32_matches_torch(row: Row) -> None:
    check_float32(row)


@pytest.mark.parametrize("sample_shape", [(), (3,), (2, 1)])
@pytest.mark.parametrize("row", VM_ROWS, ids=lambda r: r.name)
def test_von_mises_draws_are_torchs_under_the_same_seed(row: Row, sample_shape: Any) -> None:
    check_samples(row, sample_shape)


@pytest.mark.parametrize("seed", SEEDS[:2])
@pytest.mark.parametrize("row", VM_GRAD_ROWS, ids=lambda r: r.name)
def test_von_mises_gradients_match_torch(row: Row, seed: int) -> None:
    arrays = row.params(np.random.default_rng(seed))
    value = common.sample_points(row, arrays)
    q = np.random.default_rng(seed + 10).uniform(0.05, 0.95, value.shape[1:])
    for name in common.GRAD_QUANTITIES:
        ours, theirs = (common.grads(lib, row, arrays, name, value, q) for lib in LIBS)
        if not isinstance(theirs, list) or not isinstance(ours, list):
            assert ours == theirs, name
            continue
        for a, b in zip(ours, theirs, strict=True):
            assert (a is None) == (b is None), name
            if a is not None:
                np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-5, err_msg=name)


@pytest.mark.parametrize("row", VM_GRAD_ROWS, ids=lambda r: r.name)
def test_von_mises_second_order_gradients_match_torch(row: Row) -> None:
    arrays = row.params(np.random.default_rng(5))
    value = common.sample_points(row, arrays)
    ours, theirs = (common.second_order(lib, row, arrays, value) for lib in LIBS)
    for a, b in zip(ours, theirs, strict=True):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-5)


@pytest.mark.parametrize("k", [1e-4, 0.5, 3.75, 20.0, 300.0])
def test_von_mises_density_integrates_to_one_and_has_its_variance(k: float) -> None:
    # the trapezoid rule on a smooth periodic integrand converges geometrically: with 4000
    # points it is exact to rounding for these concentrations. d log_prob(x) / dk is
    # cos(x - loc) - E[cos(x - loc)], and the variance 1 - E[cos(x - loc)]
    x = np.linspace(-np.pi, np.pi, 4001)[:-1]
    concentration = cr.tensor(k, dtype=cr.float64, requires_grad=True)
    d = D(cr).VonMises(cr.tensor(0.7, dtype=cr.float64), concentration)
    log_prob = d.log_prob(cr.tensor(x))
    density = np.exp(plain(log_prob))
    step = 2 * np.pi / len(x)
    np.testing.assert_allclose(density.sum() * step, 1.0, rtol=1e-12)
    mean_cos = (np.cos(x - 0.7) * density).sum() * step
    np.testing.assert_allclose(plain(d.variance), 1 - mean_cos, rtol=1e-10, atol=1e-15)
    (dk,) = cr.autograd.grad(log_prob[:5].sum(), [concentration])
    expected = (np.cos(x[:5] - 0.7) - mean_cos).sum()
    np.testing.assert_allclose(plain(dk), expected, rtol=1e-10, atol=1e-13)


def _t(lib: Any, *v: Any) -> Any:
    return lib.tensor(v[0] if len(v) == 1 else v, dtype=lib.float64)


def _rb(lib: Any, temperature: Any = 0.5, **kw: Any) -> Any:
    return D(lib).RelaxedBernoulli(_t(lib, temperature), **kw)


def _rc(lib: Any, temperature: Any = 0.5, **kw: Any) -> Any:
    return D(lib).RelaxedOneHotCategorical(_t(lib, temperature), **kw)


# ---- refusals (which check speaks first, and its words), values outside the support, and
# edge cases: numbers as parameters, extreme probabilities, unvalidated values, reprs
ERRORS: dict[str, Callable[[Any], Any]] = {
    "rb_both": lambda lib: _rb(lib, probs=_t(lib, 0.3), logits=_t(lib, 0.1)),
    "rb_neither": lambda lib: _rb(lib),
    "rb_probs_above_one": lambda lib: _rb(lib, probs=_t(lib, 0.3, 1.3)),
    "rb_probs_nan": lambda lib: _rb(lib, logits=_t(lib, float("nan"))),
    "rb_value_outside": lambda lib: _rb(lib, probs=_t(lib, 0.3)).log_prob(_t(lib, 1.5)),
    "rb_value_not_broadcastable": lambda lib: _rb(lib, probs=_t(lib, 0.3, 0.4)).log_prob(
        _t(lib, 0.1, 0.2, 0.3)
    ),
    "rb_value_ends": lambda lib: _rb(lib, probs=_t(lib, 0.3)).log_prob(_t(lib, 0.0, 1.0)),
    "rb_unvalidated": lambda lib: _rb(lib, probs=_t(lib, 0.3), validate_args=False).log_prob(
        _t(lib, 1.5)
    ),
    "rb_number_temperature_log_prob": lambda lib: (
        D(lib).RelaxedBernoulli(0.5, probs=_t(lib, 0.3)).log_prob(_t(lib, 0.5))
    ),
    "rb_number_probs": lambda lib: D(lib).RelaxedBernoulli(_t(lib, 0.5), 0.3).batch_shape,
    "rb_probs_zero_one_draws_finite": lambda lib: (
        lib.manual_seed(0),
        _rb(lib, probs=_t(lib, 0.0, 1.0)).rsample((4,)),
    )[1],
    "rb_low_temperature": lambda lib: (
        lib.manual_seed(1),
        _rb(lib, 0.01, logits=_t(lib, -2.0, 0.0, 3.0)).rsample((2,)),
    )[1],
    "rb_repr": lambda lib: repr(_rb(lib, logits=_t(lib, 0.3, 0.4))),
    "rb_base_repr": lambda lib: repr(_rb(lib, logits=_t(lib, 0.3, 0.4)).base_dist),
    "rb_parameters": lambda lib: (lambda d: (d.temperature, d.probs, d.logits))(
        _rb(lib, logits=_t(lib, 0.3, 0.4))
    ),
    "rb_constraints": lambda lib: repr(
        (D(lib).RelaxedBernoulli.arg_constraints, D(lib).RelaxedBernoulli.support)
    ),
    "rb_unvalidated_bad_probs": lambda lib: _rb(lib, probs=_t(lib, [1.3]), validate_args=False),
    "rb_base_validates_alone": lambda lib: (
        _rb(lib, probs=_t(lib, 0.3), validate_args=False).base_dist._validate_args
    ),
    "rc_unvalidated_bad_probs": lambda lib: (
        _rc(lib, probs=_t(lib, [-0.3, 1.3]), validate_args=False).probs
    ),
    "rc_base_unvalidated": lambda lib: (
        _rc(lib, probs=_t(lib, [0.3, 0.7]), validate_args=False).base_dist._validate_args
    ),
    "rc_both": lambda lib: _rc(lib, probs=_t(lib, [0.3, 0.7]), logits=_t(lib, [0.1, 0.2])),
    "rc_neither": lambda lib: _rc(lib),
    "rc_probs_0d": lambda lib: _rc(lib, probs=_t(lib, 0.3)),
    "rc_probs_negative": lambda lib: _rc(lib, probs=_t(lib, [-0.3, 1.3])),
    "rc_value_not_simplex": lambda lib: _rc(lib, probs=_t(lib, [0.3, 0.7])).log_prob(
        _t(lib, [0.5, 0.6])
    ),
    "rc_value_wrong_event": lambda lib: _rc(lib, probs=_t(lib, [0.3, 0.7])).log_prob(
        _t(lib, [0.2, 0.3, 0.5])
    ),
    "rc_unvalidated": lambda lib: _rc(lib, probs=_t(lib, [0.3, 0.7]), validate_args=False).log_prob(
        _t(lib, [0.5, 0.6])
    ),
    "rc_number_temperature_log_prob": lambda lib: (
        D(lib)
        .RelaxedOneHotCategorical(0.5, probs=_t(lib, [0.3, 0.7]))
        .log_prob(_t(lib, [0.2, 0.8]))
    ),
    "rc_number_temperature_draw": lambda lib: (
        lib.manual_seed(2),
        D(lib).RelaxedOneHotCategorical(0.5, probs=_t(lib, [0.3, 0.7])).rsample((3,)),
    )[1],
    "rc_zero_probability_draws": lambda lib: (
        lib.manual_seed(3),
        _rc(lib, probs=_t(lib, [0.0, 0.3, 0.7])).rsample((3,)),
    )[1],
    "rc_repr": lambda lib: repr(_rc(lib, logits=_t(lib, [0.3, 0.4]))),
    "rc_base": lambda lib: (lambda b: (repr(b), repr(b.support), tuple(b.event_shape)))(
        _rc(lib, logits=_t(lib, [0.3, 0.4])).base_dist
    ),
    "rc_parameters": lambda lib: (lambda d: (d.temperature, d.probs, d.logits))(
        _rc(lib, logits=_t(lib, [0.3, 0.4]))
    ),
    "rc_constraints": lambda lib: repr(
        (D(lib).RelaxedOneHotCategorical.arg_constraints, D(lib).RelaxedOneHotCategorical.support)
    ),
    "st_value_one_hot": lambda lib: (
        lib.manual_seed(4),
        D(lib).OneHotCategoricalStraightThrough(probs=_t(lib, [0.2, 0.3, 0.5])).rsample((4,)),
    )[1],
    "st_not_one_hot": lambda lib: (
        D(lib).OneHotCategoricalStraightThrough(probs=_t(lib, [0.2, 0.8])).log_prob(_t(lib, [1, 1]))
    ),
    "st_constraints": lambda lib: repr(
        (
            D(lib).OneHotCategoricalStraightThrough.arg_constraints,
            D(lib).OneHotCategoricalStraightThrough.support,
            D(lib).OneHotCategoricalStraightThrough.has_rsample,
        )
    ),
    "fs_df1": lambda lib: D(lib).FisherSnedecor(_t(lib, -1.0, 2.0), _t(lib, 1.0)),
    "fs_df2": lambda lib: D(lib).FisherSnedecor(_t(lib, 1.0), _t(lib, 0.0)),
    "fs_value_negative": lambda lib: (
        D(lib).FisherSnedecor(_t(lib, 3.0), _t(lib, 5.0)).log_prob(_t(lib, -1.0))
    ),
    "fs_value_zero": lambda lib: (
        D(lib).FisherSnedecor(_t(lib, 3.0), _t(lib, 5.0)).log_prob(_t(lib, 0.0))
    ),
    "fs_value_zero_unvalidated": lambda lib: (
        D(lib)
        .FisherSnedecor(_t(lib, 1.0, 2.0, 3.0), _t(lib, 5.0), validate_args=False)
        .log_prob(_t(lib, 0.0))
    ),
    "fs_df1_unvalidated": lambda lib: (
        D(lib).FisherSnedecor(_t(lib, -1.0), _t(lib, 1.0), validate_args=False).mean
    ),
    "fs_not_a_number": lambda lib: D(lib).FisherSnedecor("a", 1.0),
    "fs_numbers": lambda lib: D(lib).FisherSnedecor(3.0, 5.0).log_prob(lib.tensor(0.5)),
    "fs_number_batch": lambda lib: tuple(D(lib).FisherSnedecor(3.0, 5.0).batch_shape),
    "fs_entropy": lambda lib: D(lib).FisherSnedecor(_t(lib, 3.0), _t(lib, 5.0)).entropy(),
    "fs_cdf": lambda lib: D(lib).FisherSnedecor(_t(lib, 3.0), _t(lib, 5.0)).cdf(_t(lib, 1.0)),
    "fs_moment_edges": lambda lib: (lambda d: (d.mean, d.mode, d.variance))(
        D(lib).FisherSnedecor(_t(lib, 2.0, 2.5, 1.0), _t(lib, 2.0, 4.0, 4.5))
    ),
    "fs_repr": lambda lib: repr(D(lib).FisherSnedecor(_t(lib, 3.0, 4.0), _t(lib, 5.0))),
    "fs_constraints": lambda lib: repr(
        (D(lib).FisherSnedecor.arg_constraints, D(lib).FisherSnedecor.support)
    ),
    "fs_expand_refused": lambda lib: (
        D(lib).FisherSnedecor(_t(lib, 3.0, 4.0), _t(lib, 5.0)).expand((3,))
    ),
    "vm_concentration": lambda lib: D(lib).VonMises(_t(lib, 0.0), _t(lib, 0.0, 1.0)),
    "vm_loc_nan": lambda lib: D(lib).VonMises(_t(lib, float("nan")), _t(lib, 1.0)),
    "vm_value_nan": lambda lib: (
        D(lib).VonMises(_t(lib, 0.0), _t(lib, 1.0)).log_prob(_t(lib, float("nan")))
    ),
    "vm_value_far": lambda lib: D(lib).VonMises(_t(lib, 0.0), _t(lib, 1.0)).log_prob(_t(lib, 20.0)),
    "vm_rsample": lambda lib: D(lib).VonMises(_t(lib, 0.0), _t(lib, 1.0)).rsample(),
    "vm_entropy": lambda lib: D(lib).VonMises(_t(lib, 0.0), _t(lib, 1.0)).entropy(),
    "vm_cdf": lambda lib: D(lib).VonMises(_t(lib, 0.0), _t(lib, 1.0)).cdf(_t(lib, 1.0)),
    "vm_tiny_concentration_draws": lambda lib: (
        lib.manual_seed(5),
        D(lib).VonMises(_t(lib, 0.5, -1.0), _t(lib, 1e-8, 2e-6)).sample((50,)),
    )[1],
    "vm_large_concentration_draws": lambda lib: (
        lib.manual_seed(6),
        D(lib).VonMises(_t(lib, 3.0, -3.1), _t(lib, 1e3, 40.0)).sample((50,)),
    )[1],
    "vm_float32_draws": lambda lib: (
        lib.manual_seed(7),
        D(lib).VonMises(lib.tensor([3.1, 0.0]), lib.tensor([0.5, 8.0])).sample((50,)),
    )[1],
    "vm_repr": lambda lib: repr(D(lib).VonMises(_t(lib, 0.0, 1.0), _t(lib, 1.0))),
    "vm_constraints": lambda lib: repr(
        (D(lib).VonMises.arg_constraints, D(lib).VonMises.support, D(lib).VonMises.has_rsample)
    ),
    # PyTorch registers no KL divergence for these families: the straight-through one takes
    # OneHotCategorical's (a subclass), the relaxed ones reach their bases' (none) through the
    # transformed-distribution rule, the others are refused
    "kl_st_st": lambda lib: D(lib).kl_divergence(
        D(lib).OneHotCategoricalStraightThrough(probs=_t(lib, [0.2, 0.8])),
        D(lib).OneHotCategoricalStraightThrough(logits=_t(lib, [[0.5, 0.1], [0.0, 2.0]])),
    ),
    "kl_st_onehot": lambda lib: D(lib).kl_divergence(
        D(lib).OneHotCategorical(probs=_t(lib, [0.2, 0.8])),
        D(lib).OneHotCategoricalStraightThrough(probs=_t(lib, [0.6, 0.4])),
    ),
    "kl_rb_rb": lambda lib: D(lib).kl_divergence(
        _rb(lib, probs=_t(lib, 0.3)), _rb(lib, probs=_t(lib, 0.6))
    ),
    "kl_rc_rc": lambda lib: D(lib).kl_divergence(
        _rc(lib, probs=_t(lib, [0.3, 0.7])), _rc(lib, logits=_t(lib, [0.3, 0.7]))
    ),
    "kl_fs_fs": lambda lib: D(lib).kl_divergence(
        D(lib).FisherSnedecor(_t(lib, 3.0), _t(lib, 5.0)),
        D(lib).FisherSnedecor(_t(lib, 3.0), _t(lib, 6.0)),
    ),
    "kl_vm_vm": lambda lib: D(lib).kl_divergence(
        D(lib).VonMises(_t(lib, 0.0), _t(lib, 1.0)), D(lib).VonMises(_t(lib, 1.0), _t(lib, 1.0))
    ),
    "kl_gp_gp": lambda lib: D(lib).kl_divergence(
        D(lib).GeneralizedPareto(_t(lib, 0.0), _t(lib, 1.0), _t(lib, 0.5)),
        D(lib).GeneralizedPareto(_t(lib, 0.0), _t(lib, 2.0), _t(lib, 0.5)),
    ),
    "kl_gp_exponential": lambda lib: D(lib).kl_divergence(
        D(lib).GeneralizedPareto(_t(lib, 0.0), _t(lib, 1.0), _t(lib, 0.0)),
        D(lib).Exponential(_t(lib, 1.0)),
    ),
}


def _outcome(f: Callable[[], Any]) -> Any:
    """An outcome; a tuple of tensors (several parameters) compared element by element."""
    found = outcome(f)
    if found[0] == "tuple":
        return ("tuple", tuple(outcome(lambda v=v: v) for v in found[1]))
    return found


@pytest.mark.parametrize("name", list(ERRORS))
def test_refusals_edges_and_reprs_match_torch(name: str) -> None:
    ours, theirs = (_outcome(lambda lib=lib: ERRORS[name](lib)) for lib in LIBS)
    # the von Mises log_prob: PyTorch's approximate normalizer (see VM_ROWS)
    rtol = 1e-6 if name.startswith("vm_") else 1e-12
    if ours[0] == "other":
        ours, theirs = ("other", text(str(ours[1]))), ("other", text(str(theirs[1])))
    if ours[0] == "tuple" and theirs[0] == "tuple":
        assert len(ours[1]) == len(theirs[1]), name
        for a, b in zip(ours[1], theirs[1], strict=True):
            assert_same(a, b, name, rtol=rtol)
        return
    assert_same(ours, theirs, name, rtol=rtol)


# ---- GeneralizedPareto. PyTorch 2.13 compares the concentration with a tensor of the default
# dtype (torch.isclose), so its log_prob, cdf and icdf raise "Double did not match Float" for
# float64 parameters unless the default dtype is float64: the float64 rows run with both
# libraries' default dtype set to float64 (chainrule computes them under either default)
GP_ROWS = [
    Row(
        "GeneralizedPareto",
        lambda lib, p: D(lib).GeneralizedPareto(p["loc"], p["scale"], p["concentration"]),
        # bounded (c < 0) and heavy-tailed supports, a variance (c < 1/2) and a mean (c < 1)
        # that exist or not
        lambda r: {
            "loc": real(r, 2, 1),
            "scale": pos(r, 5),
            "concentration": np.array([-0.6, -0.2, 0.3, 0.6, 1.2]),
        },
        exact_sampling=True,
    ),
    Row(
        "GeneralizedPareto_expanded",
        lambda lib, p: (
            D(lib).GeneralizedPareto(p["loc"], p["scale"], p["concentration"]).expand((4, 3))
        ),
        lambda r: {"loc": real(r, 3), "scale": pos(r, 1), "concentration": real(r, 3) / 3},
        exact_sampling=True,
    ),
    Row(
        "GeneralizedPareto_numbers",
        lambda lib, p: D(lib).GeneralizedPareto(0.5, 2.0, -0.25).expand((2, 3)),
        lambda r: {},
        exact_sampling=True,
    ),
]
GP_GRAD_ROWS = [r for r in GP_ROWS if r.params(np.random.default_rng(0))]


@pytest.fixture
def float64_default() -> Any:
    kept = torch.get_default_dtype()
    for lib in LIBS:
        lib.set_default_dtype(lib.float64)
    yield
    torch.set_default_dtype(kept)
    cr.set_default_dtype(getattr(cr, str(kept).split(".")[-1]))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("row", GP_ROWS, ids=lambda r: r.name)
def test_generalized_pareto_values_match_torch(row: Row, seed: int, float64_default: Any) -> None:
    check_values(row, seed)


@pytest.mark.parametrize("seed", SEEDS[:2])
@pytest.mark.parametrize("row", GP_GRAD_ROWS, ids=lambda r: r.name)
def test_generalized_pareto_gradients_match_torch(
    row: Row, seed: int, float64_default: Any
) -> None:
    check_gradients(row, seed)


@pytest.mark.parametrize("row", GP_GRAD_ROWS, ids=lambda r: r.name)
def test_generalized_pareto_second_order_gradients_match_torch(
    row: Row, float64_default: Any
) -> None:
    check_second_order(row)


@pytest.mark.parametrize("sample_shape", [(), (3,), (2, 1)])
@pytest.mark.parametrize("row", GP_ROWS, ids=lambda r: r.name)
def test_generalized_pareto_draws_match_torch(
    row: Row, sample_shape: Any, float64_default: Any
) -> None:
    check_samples(row, sample_shape)


@pytest.mark.parametrize("row", GP_GRAD_ROWS, ids=lambda r: r.name)
def test_generalized_pareto_rsample_gradients_match_torch(row: Row, float64_default: Any) -> None:
    check_rsample_gradients(row)


@pytest.mark.parametrize("row", GP_ROWS, ids=lambda r: r.name)
def test_generalized_pareto_float32_matches_torch(row: Row) -> None:
    check_float32(row)


def test_generalized_pareto_at_zero_concentration_is_the_limit_with_its_derivative() -> None:
    # At c = 0 the density is the exponential's, and the derivatives to c are those of the
    # general formula at c -> 0 (central differences at c = +-1e-5 agree to ~1e-10); PyTorch
    # switches to the exponential for |c| <= 1e-8 and gives a zero derivative there
    x, q = _t(cr, 1.3, 2.5, 4.0), _t(cr, 0.1, 0.5, 0.9)
    h = 1e-5

    def at(c: float, requires_grad: bool = False) -> Any:
        concentration = cr.tensor(c, dtype=cr.float64, requires_grad=requires_grad)
        d = D(cr).GeneralizedPareto(_t(cr, 1.0), _t(cr, 2.0), concentration)
        return concentration, d

    c, d = at(0.0, True)
    z = (plain(x) - 1.0) / 2.0
    np.testing.assert_allclose(plain(d.log_prob(x)), -np.log(2.0) - z, rtol=1e-15)
    np.testing.assert_allclose(plain(d.cdf(x)), -np.expm1(-z), rtol=1e-15)
    np.testing.assert_allclose(plain(d.icdf(q)), 1.0 - 2.0 * np.log1p(-plain(q)), rtol=1e-15)
    for name, arg in (("log_prob", x), ("cdf", x), ("icdf", q)):
        (grad,) = cr.autograd.grad(getattr(d, name)(arg).sum(), [c])
        up, down = (plain(getattr(at(s)[1], name)(arg)).sum() for s in (h, -h))
        np.testing.assert_allclose(plain(grad), (up - down) / (2 * h), rtol=1e-8, err_msg=name)


def _gp(lib: Any, c: Any, loc: Any = 0.0, scale: Any = 1.0, **kw: Any) -> Any:
    return D(lib).GeneralizedPareto(_t(lib, loc), _t(lib, scale), _t(lib, c), **kw)


GP_CASES: dict[str, Callable[[Any], Any]] = {
    "scale_negative": lambda lib: _gp(lib, [0.5], scale=[-1.0]),
    "scale_zero": lambda lib: _gp(lib, 0.5, scale=0.0),
    "loc_nan": lambda lib: _gp(lib, 0.5, loc=float("nan")),
    "below_loc": lambda lib: _gp(lib, [0.5, -0.5]).log_prob(_t(lib, -0.5)),
    "above_bounded_support": lambda lib: _gp(lib, [-0.5]).log_prob(_t(lib, 2.5)),
    "cdf_outside": lambda lib: _gp(lib, [-0.5]).cdf(_t(lib, 2.5)),
    "at_the_ends": lambda lib: (
        lambda d: (d.log_prob(_t(lib, 0.0, 2.0)), d.cdf(_t(lib, 0.0, 2.0)))
    )(_gp(lib, -0.5)),
    "icdf_ends": lambda lib: _gp(lib, [-0.5, 0.0, 0.5]).icdf(_t(lib, [[0.0], [1.0]])),
    "icdf_unchecked": lambda lib: _gp(lib, [-0.5, 0.0, 0.5]).icdf(_t(lib, [[1.5], [-0.5]])),
    "unvalidated_below_loc": lambda lib: _gp(lib, [-0.5, 0.0, 0.5], validate_args=False).log_prob(
        _t(lib, -1.0)
    ),
    "moments_at_their_ends": lambda lib: (lambda d: (d.mean, d.variance, d.mode, d.entropy()))(
        _gp(lib, [0.49, 0.5, 0.99, 1.0, -3.0], loc=[1.0], scale=[2.0])
    ),
    "support": lambda lib: repr(_gp(lib, [-0.5, 0.5], loc=[1.0, 2.0]).support),
    "support_expanded": lambda lib: repr(_gp(lib, [-0.5, 0.5]).expand((2, 2)).support),
    "support_one": lambda lib: repr(_gp(lib, -0.5).support),
    "support_numbers": lambda lib: repr(D(lib).GeneralizedPareto(0.0, 1.0, 0.5).support),
    "numbers": lambda lib: D(lib).GeneralizedPareto(0.0, 1.0, 0.5).log_prob(lib.tensor(0.7)),
    "repr": lambda lib: repr(_gp(lib, [-0.5, 0.5])),
    "constraints": lambda lib: repr(
        (D(lib).GeneralizedPareto.arg_constraints, D(lib).GeneralizedPareto.support)
    ),
    "not_a_number": lambda lib: D(lib).GeneralizedPareto("a", 1.0, 0.5),
}


@pytest.mark.parametrize("name", list(GP_CASES))
def test_generalized_pareto_refusals_and_edges_match_torch(name: str, float64_default: Any) -> None:
    ours, theirs = (_outcome(lambda lib=lib: GP_CASES[name](lib)) for lib in LIBS)
    if ours[0] == "other":
        ours, theirs = ("other", text(str(ours[1]))), ("other", text(str(theirs[1])))
    if ours[0] == "tuple" and theirs[0] == "tuple":
        for a, b in zip(ours[1], theirs[1], strict=True):
            assert_same(a, b, name, rtol=1e-12)
        return
    assert_same(ours, theirs, name, rtol=1e-12)


def test_generalized_pareto_float64_under_a_float32_default() -> None:
    # PyTorch raises here (see GP_ROWS); chainrule gives the value PyTorch gives under a
    # float64 default
    d = _gp(cr, [-0.5, 0.5])
    torch_d = _gp(torch, [-0.5, 0.5])
    found = outcome(lambda: torch_d.log_prob(_t(torch, 0.5)))
    assert found[:2] == ("raises", "RuntimeError")
    kept = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        expected = plain(torch_d.log_prob(_t(torch, 0.5)))
    finally:
        torch.set_default_dtype(kept)
    np.testing.assert_allclose(plain(d.log_prob(_t(cr, 0.5))), expected, rtol=1e-14)
