"""``chainrule.distributions`` against ``torch.distributions``, family by family.

Each row builds one distribution from the same float64 parameters under both libraries (the
builder receives the library module, so the code is the same text for both). For several random
parameter sets with broadcasting batch shapes, the tests compare with PyTorch: batch and event
shapes, ``mean``/``mode``/``variance``/``stddev``/``entropy``/``perplexity``, ``log_prob`` and
``cdf`` at PyTorch's own samples, ``icdf``, sample shapes, gradients of those quantities with
respect to every parameter, and, for the families whose sampler is a transform of the shared
random stream, the samples themselves under the same seed. An outcome is a value (shape, dtype
and numbers compared) or an exception (type and message compared, with ``torch`` read as
``chainrule``), so a quantity PyTorch refuses must be refused alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr

LIBS = (cr, torch)


# ---- parameter makers: float64 arrays of a given shape in a family's domain
def real(rng: Any, *shape: int) -> Any:
    return rng.normal(size=shape)


def pos(rng: Any, *shape: int) -> Any:
    return rng.uniform(0.5, 2.5, shape)


def prob(rng: Any, *shape: int) -> Any:
    return rng.uniform(0.1, 0.9, shape)


def simplex(rng: Any, *shape: int) -> Any:
    p = rng.uniform(0.1, 1.0, shape)
    return p / p.sum(-1, keepdims=True)


def spd(rng: Any, *shape: int) -> Any:
    a = rng.normal(size=shape)
    return a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])


def lower(rng: Any, *shape: int) -> Any:
    return np.linalg.cholesky(spd(rng, *shape))


@dataclass
class Row:
    """One distribution: ``build(lib, params)`` makes it from the parameter tensors that
    ``params(rng)`` describes as float64 arrays (every one is differentiated)."""

    name: str
    build: Callable[[Any, dict[str, Any]], Any]
    params: Callable[[Any], dict[str, Any]]
    exact_sampling: bool = False  # samples equal PyTorch's under the same seed
    moments: bool = False  # own sampler: checked by its sample mean and variance
    extra: dict[str, Any] = field(default_factory=dict)


def D(lib: Any) -> Any:
    return lib.distributions


def _t(lib: Any, name: str) -> Any:
    return getattr(D(lib).transforms, name)


ROWS = [
    Row(
        "Normal",
        lambda lib, p: D(lib).Normal(p["loc"], p["scale"]),
        lambda r: {"loc": real(r, 2, 1), "scale": pos(r, 3)},
        exact_sampling=True,
    ),
    Row(
        "Normal_number_scale",
        lambda lib, p: D(lib).Normal(p["loc"], 2.0),
        lambda r: {"loc": real(r, 2, 3)},
        exact_sampling=True,
    ),
    Row(
        "Bernoulli_probs",
        lambda lib, p: D(lib).Bernoulli(probs=p["probs"]),
        lambda r: {"probs": prob(r, 2, 3)},
        exact_sampling=True,
    ),
    Row(
        "Bernoulli_logits",
        lambda lib, p: D(lib).Bernoulli(logits=p["logits"]),
        lambda r: {"logits": real(r, 2, 3)},
        exact_sampling=True,
    ),
    Row(
        "Categorical_probs",
        lambda lib, p: D(lib).Categorical(probs=p["probs"]),
        lambda r: {"probs": simplex(r, 2, 3, 4)},
        exact_sampling=True,
    ),
    Row(
        "Categorical_logits",
        lambda lib, p: D(lib).Categorical(logits=p["logits"]),
        lambda r: {"logits": real(r, 2, 3, 4)},
        exact_sampling=True,
    ),
    Row(
        "OneHotCategorical_probs",
        lambda lib, p: D(lib).OneHotCategorical(probs=p["probs"]),
        lambda r: {"probs": simplex(r, 2, 3, 4)},
        exact_sampling=True,
    ),
    Row(
        "OneHotCategorical_logits",
        lambda lib, p: D(lib).OneHotCategorical(logits=p["logits"]),
        lambda r: {"logits": real(r, 2, 3, 4)},
        exact_sampling=True,
    ),
    Row(
        "Uniform",
        lambda lib, p: D(lib).Uniform(p["low"], p["low"] + p["width"]),
        lambda r: {"low": real(r, 2, 1), "width": pos(r, 3)},
        exact_sampling=True,
    ),
    Row(
        "Exponential",
        lambda lib, p: D(lib).Exponential(p["rate"]),
        lambda r: {"rate": pos(r, 2, 3)},
        exact_sampling=True,
    ),
    Row(
        "Laplace",
        lambda lib, p: D(lib).Laplace(p["loc"], p["scale"]),
        lambda r: {"loc": real(r, 2, 1), "scale": pos(r, 3)},
        exact_sampling=True,
    ),
    Row(
        "LogNormal",
        lambda lib, p: D(lib).LogNormal(p["loc"], p["scale"]),
        lambda r: {"loc": real(r, 2, 1), "scale": pos(r, 3)},
        exact_sampling=True,
    ),
    Row(
        "Beta",
        lambda lib, p: D(lib).Beta(p["c1"], p["c0"]),
        lambda r: {"c1": pos(r, 2, 3), "c0": pos(r, 3)},
        moments=True,  # our own sampler: its moments are tested, not its numbers
    ),
    Row(
        "Gamma",
        lambda lib, p: D(lib).Gamma(p["concentration"], p["rate"]),
        lambda r: {"concentration": pos(r, 2, 3), "rate": pos(r, 3)},
        moments=True,  # our own sampler: its moments are tested, not its numbers
    ),
    Row(
        "Dirichlet",
        lambda lib, p: D(lib).Dirichlet(p["concentration"]),
        lambda r: {"concentration": pos(r, 2, 3, 4)},
        moments=True,  # our own sampler: its moments are tested, not its numbers
    ),
    Row(
        "Poisson",
        lambda lib, p: D(lib).Poisson(p["rate"]),
        lambda r: {"rate": 3 * pos(r, 2, 3)},
        exact_sampling=True,
    ),
    Row(
        "MultivariateNormal_covariance",
        lambda lib, p: D(lib).MultivariateNormal(p["loc"], covariance_matrix=p["cov"]),
        lambda r: {"loc": real(r, 3, 4), "cov": spd(r, 2, 1, 4, 4)},
        exact_sampling=True,
    ),
    Row(
        "MultivariateNormal_precision",
        lambda lib, p: D(lib).MultivariateNormal(p["loc"], precision_matrix=p["prec"]),
        lambda r: {"loc": real(r, 2, 3, 4), "prec": spd(r, 4, 4)},
        exact_sampling=True,
    ),
    Row(
        "MultivariateNormal_scale_tril",
        lambda lib, p: D(lib).MultivariateNormal(p["loc"], scale_tril=p["tril"]),
        lambda r: {"loc": real(r, 4), "tril": lower(r, 2, 3, 4, 4)},
        exact_sampling=True,
    ),
    Row(
        "Independent_Normal",
        lambda lib, p: D(lib).Independent(D(lib).Normal(p["loc"], p["scale"]), 1),
        lambda r: {"loc": real(r, 2, 3, 4), "scale": pos(r, 4)},
        exact_sampling=True,
    ),
    Row(
        "Transformed_Exp",
        lambda lib, p: D(lib).TransformedDistribution(
            D(lib).Normal(p["loc"], p["scale"]), [_t(lib, "ExpTransform")()]
        ),
        lambda r: {"loc": real(r, 2, 1), "scale": pos(r, 3)},
        exact_sampling=True,
    ),
    Row(
        "Transformed_Affine_Sigmoid",
        lambda lib, p: D(lib).TransformedDistribution(
            D(lib).Normal(p["loc"], 1.0),
            [_t(lib, "AffineTransform")(0.5, p["scale"]), _t(lib, "SigmoidTransform")()],
        ),
        lambda r: {"loc": real(r, 2, 3), "scale": pos(r, 3)},
        exact_sampling=True,
    ),
    Row(
        "Transformed_Tanh",
        lambda lib, p: D(lib).TransformedDistribution(
            D(lib).Normal(p["loc"], p["scale"]), _t(lib, "TanhTransform")()
        ),
        lambda r: {"loc": real(r, 2, 3), "scale": pos(r, 3)},
        exact_sampling=True,
    ),
    Row(
        "Transformed_Compose_Power",
        lambda lib, p: D(lib).TransformedDistribution(
            D(lib).Uniform(p["low"], p["low"] + 1.0),
            _t(lib, "ComposeTransform")(
                [_t(lib, "ExpTransform")(), _t(lib, "PowerTransform")(p["exponent"])]
            ),
        ),
        lambda r: {"low": real(r, 2, 3), "exponent": pos(r, 3)},
        exact_sampling=True,
    ),
    Row(
        "Cauchy",
        lambda lib, p: D(lib).Cauchy(p["loc"], p["scale"]),
        lambda r: {"loc": real(r, 2, 1), "scale": pos(r, 3)},
        exact_sampling=True,
    ),
    Row(
        "Gumbel",
        lambda lib, p: D(lib).Gumbel(p["loc"], p["scale"]),
        lambda r: {"loc": real(r, 2, 1), "scale": pos(r, 3)},
        exact_sampling=True,
    ),
    Row(
        "Binomial_probs",
        lambda lib, p: D(lib).Binomial(10, probs=p["probs"]),
        lambda r: {"probs": prob(r, 2, 3)},
        moments=True,  # our own sampler: its moments are tested, not its numbers
    ),
    Row(
        "Binomial_logits_counts",
        lambda lib, p: D(lib).Binomial(lib.tensor([[3.0], [12.0]]).double(), logits=p["logits"]),
        lambda r: {"logits": real(r, 2, 3)},
        moments=True,  # our own sampler: its moments are tested, not its numbers
    ),
    Row(
        "Geometric_probs",
        lambda lib, p: D(lib).Geometric(probs=p["probs"]),
        lambda r: {"probs": prob(r, 2, 3)},
        exact_sampling=True,
    ),
    Row(
        "Geometric_logits",
        lambda lib, p: D(lib).Geometric(logits=p["logits"]),
        lambda r: {"logits": real(r, 2, 3)},
        exact_sampling=True,
    ),
    Row(
        "StudentT",
        lambda lib, p: D(lib).StudentT(p["df"] + 2.0, p["loc"], p["scale"]),
        lambda r: {"df": pos(r, 2, 3), "loc": real(r, 3), "scale": pos(r, 3)},
        moments=True,  # our own sampler: its moments are tested, not its numbers
    ),
    Row(
        "Chi2",
        lambda lib, p: D(lib).Chi2(p["df"]),
        lambda r: {"df": 2 * pos(r, 2, 3)},
        moments=True,  # our own sampler: its moments are tested, not its numbers
    ),
    Row(
        "HalfNormal",
        lambda lib, p: D(lib).HalfNormal(p["scale"]),
        lambda r: {"scale": pos(r, 2, 3)},
        exact_sampling=True,
    ),
]
ROW_IDS = [row.name for row in ROWS]
SEEDS = (0, 1, 2)


# ---- running the same code under both libraries
def tensors(lib: Any, arrays: dict[str, Any], dtype: str = "float64") -> dict[str, Any]:
    kind = getattr(lib, dtype)
    return {k: lib.tensor(v, dtype=kind, requires_grad=True) for k, v in arrays.items()}


def outcome(f: Callable[[], Any]) -> Any:
    try:
        value = f()
    except Exception as e:  # the exception itself is what is compared
        return ("raises", type(e).__name__, text(str(e)))
    if isinstance(value, (cr.Tensor, torch.Tensor)):
        return ("tensor", tuple(value.shape), str(value.dtype).split(".")[-1], plain(value))
    if isinstance(value, tuple):
        return ("tuple", tuple(value))
    return ("other", value)


def text(s: str) -> str:
    """A message or repr, with ``torch`` read as ``chainrule`` and line breaks as spaces (a
    tensor's repr wraps at a width the longer name reaches sooner)."""
    return " ".join(s.replace("torch", "chainrule").split())


def plain(t: Any) -> Any:
    return np.asarray(t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else t.detach())


def assert_same(ours: Any, theirs: Any, what: str, rtol: float = 1e-9, atol: float = 1e-11) -> None:
    if ours[0] != "tensor" or theirs[0] != "tensor":
        assert ours == theirs, what
        return
    assert ours[1:3] == theirs[1:3], f"{what}: shape/dtype {ours[1:3]} vs {theirs[1:3]}"
    np.testing.assert_allclose(ours[3], theirs[3], rtol=rtol, atol=atol, err_msg=what)


def sample_points(row: Row, arrays: dict[str, Any]) -> Any:
    """PyTorch's draws of the distribution: valid points for log_prob and cdf."""
    torch.manual_seed(123)
    return plain(row.build(torch, tensors(torch, arrays)).sample((2,)))


def quantities(lib: Any, d: Any, value: Any, q: Any) -> dict[str, Callable[[], Any]]:
    return {
        "mean": lambda: d.mean,
        "mode": lambda: d.mode,
        "variance": lambda: d.variance,
        "stddev": lambda: d.stddev,
        "entropy": lambda: d.entropy(),
        "perplexity": lambda: d.perplexity(),
        "log_prob": lambda: d.log_prob(value),
        "cdf": lambda: d.cdf(value),
        "icdf": lambda: d.icdf(q),
    }


def inputs(lib: Any, value: Any, q: Any) -> tuple[Any, Any]:
    return lib.tensor(value, dtype=lib.float64), lib.tensor(q, dtype=lib.float64)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_values_shapes_and_errors_match_torch(row: Row, seed: int) -> None:
    arrays = row.params(np.random.default_rng(seed))
    value = sample_points(row, arrays)
    q = np.random.default_rng(seed + 10).uniform(0.05, 0.95, value.shape[1:])
    results = []
    for lib in LIBS:
        d = row.build(lib, tensors(lib, arrays))
        v, qq = inputs(lib, value, q)
        found = {k: outcome(f) for k, f in quantities(lib, d, v, qq).items()}
        found["shapes"] = (tuple(d.batch_shape), tuple(d.event_shape))
        found["has_rsample"] = (d.has_rsample, d.has_enumerate_support)
        found["support"] = text(str(d.support))
        found["repr"] = text(repr(d))
        results.append(found)
    ours, theirs = results
    assert ours.keys() == theirs.keys()
    for key in ours:
        if isinstance(ours[key], tuple) and ours[key] and ours[key][0] in ("tensor", "raises"):
            assert_same(ours[key], theirs[key], f"{row.name}.{key}")
        else:
            assert ours[key] == theirs[key], f"{row.name}.{key}"


def grads(lib: Any, row: Row, arrays: dict[str, Any], name: str, value: Any, q: Any) -> Any:
    params = tensors(lib, arrays)
    d = row.build(lib, params)
    v, qq = inputs(lib, value, q)
    try:
        out = quantities(lib, d, v, qq)[name]()
    except Exception:  # compared by the value test
        return "raises"
    if not out.requires_grad:
        return "constant"
    # a derivative PyTorch does not have must be refused alike
    found = outcome(lambda: lib.autograd.grad(out.sum(), list(params.values()), allow_unused=True))
    if found[0] == "raises":
        return found
    return [None if g is None else plain(g) for g in found[1]]


GRAD_QUANTITIES = ("log_prob", "entropy", "cdf", "icdf", "mean", "variance", "mode")


@pytest.mark.parametrize("seed", SEEDS[:2])
@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_gradients_to_parameters_match_torch(row: Row, seed: int) -> None:
    arrays = row.params(np.random.default_rng(seed))
    value = sample_points(row, arrays)
    q = np.random.default_rng(seed + 10).uniform(0.05, 0.95, value.shape[1:])
    for name in GRAD_QUANTITIES:
        ours, theirs = (grads(lib, row, arrays, name, value, q) for lib in LIBS)
        what = f"{row.name}: d {name}"
        if not isinstance(theirs, list) or not isinstance(ours, list):
            assert ours == theirs, what
            continue
        for a, b in zip(ours, theirs, strict=True):
            assert (a is None) == (b is None), what
            if a is not None:
                np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-10, err_msg=what)


def draws(lib: Any, row: Row, arrays: dict[str, Any], sample_shape: tuple[int, ...]) -> Any:
    d = row.build(lib, tensors(lib, arrays))
    lib.manual_seed(7)
    sample = d.sample(sample_shape)
    if not d.has_rsample:
        return [outcome(lambda: sample)]
    lib.manual_seed(7)
    r = d.rsample(sample_shape)
    return [outcome(lambda: sample), outcome(lambda: r), r.requires_grad]


@pytest.mark.parametrize("sample_shape", [(), (3,), (2, 1)])
@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_sample_shapes_and_seeded_samples_match_torch(row: Row, sample_shape: Any) -> None:
    arrays = row.params(np.random.default_rng(0))
    ours, theirs = (draws(lib, row, arrays, sample_shape) for lib in LIBS)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        if not row.exact_sampling and isinstance(a, tuple):
            assert a[:3] == b[:3]  # shapes and dtypes only: these draws are NumPy's
        elif isinstance(a, tuple):
            assert_same(a, b, f"{row.name} sample", rtol=1e-12)
        else:
            assert a == b


def _reparameterized(row: Row) -> bool:
    return row.build(torch, tensors(torch, row.params(np.random.default_rng(0)))).has_rsample


# PyTorch's Wishart.rsample cannot be differentiated: its singular-sample loop writes in place
# into the mask its own index_put saved (RuntimeError); chainrule's gradient flows
NOT_DIFFERENTIABLE_IN_TORCH = {"Wishart"}


@pytest.mark.parametrize(
    "row",
    [
        r
        for r in ROWS
        if r.exact_sampling and _reparameterized(r) and r.name not in NOT_DIFFERENTIABLE_IN_TORCH
    ],
    ids=lambda r: r.name,
)
def test_rsample_gradients_match_torch_under_the_same_seed(row: Row) -> None:
    arrays = row.params(np.random.default_rng(3))
    found = []
    for lib in LIBS:
        params = tensors(lib, arrays)
        d = row.build(lib, params)
        lib.manual_seed(11)
        z = d.rsample((2,))
        loss = (z * z).sum()
        got = lib.autograd.grad(loss, list(params.values()), allow_unused=True)
        found.append([None if g is None else plain(g) for g in got])
    for a, b in zip(*found, strict=True):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-11, err_msg=row.name)


@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_float32_parameters_give_torchs_dtypes_and_values(row: Row) -> None:
    # The default dtype's path: float32 parameters and points, float32 results (to float32's
    # precision; a quantity computed in float64 by one library would show in the dtype).
    arrays = row.params(np.random.default_rng(4))
    value = sample_points(row, arrays)
    q = np.random.default_rng(14).uniform(0.05, 0.95, value.shape[1:])
    results = []
    for lib in LIBS:
        d = row.build(lib, tensors(lib, arrays, "float32"))
        v, qq = lib.tensor(value, dtype=lib.float32), lib.tensor(q, dtype=lib.float32)
        results.append({k: outcome(f) for k, f in quantities(lib, d, v, qq).items()})
    ours, theirs = results
    for key in ours:
        if ours[key][0] == "tensor" and theirs[key][0] == "tensor":
            assert ours[key][1:3] == theirs[key][1:3], f"{row.name}.{key}"
            np.testing.assert_allclose(
                ours[key][3], theirs[key][3], rtol=2e-4, atol=2e-5, err_msg=f"{row.name}.{key}"
            )
        else:
            assert ours[key] == theirs[key], f"{row.name}.{key}"


def second_order(lib: Any, row: Row, arrays: dict[str, Any], value: Any) -> Any:
    params = tensors(lib, arrays)
    wrt = list(params.values())
    d = row.build(lib, params)
    found = outcome(lambda: d.log_prob(lib.tensor(value, dtype=lib.float64)))
    if found[0] == "raises":
        return found
    out = d.log_prob(lib.tensor(value, dtype=lib.float64))
    first = lib.autograd.grad(out.sum(), wrt, create_graph=True, allow_unused=True)
    rng = np.random.default_rng(0)
    total = sum(
        (g * lib.tensor(rng.normal(size=tuple(g.shape)))).sum()
        for g in first
        if g is not None and g.requires_grad
    )
    if not isinstance(total, (cr.Tensor, torch.Tensor)):
        return "linear"
    found = outcome(lambda: lib.autograd.grad(total, wrt, allow_unused=True))
    if found[0] == "raises":
        return found
    return [None if g is None else plain(g) for g in found[1]]


@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_second_order_gradients_of_log_prob_match_torch(row: Row) -> None:
    # Hessian-vector products: log_prob is built from chainrule ops, so it differentiates twice
    arrays = row.params(np.random.default_rng(5))
    value = sample_points(row, arrays)
    ours, theirs = (second_order(lib, row, arrays, value) for lib in LIBS)
    if not isinstance(theirs, list) or not isinstance(ours, list):
        assert ours == theirs, row.name
        return
    for a, b in zip(ours, theirs, strict=True):
        assert (a is None) == (b is None), row.name
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9, err_msg=row.name)
