"""Differences a fuzz run of ``torch.distributions`` against chainrule found, one row each.

Every row runs the same code on both libraries: ``fn(lib, x)`` with ``x`` a float64 leaf tensor
(or None), under the same seed. The result is compared as a value (shape, dtype, numbers), a
plain Python value, or an exception (type and first line of the message, ``torch`` read as
``chainrule``); where it is a tensor that depends on ``x``, so is the gradient of its sum.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from test_torch_distributions import LIBS, assert_same, plain, text

import chainrule as cr


def D(lib: Any) -> Any:
    return lib.distributions


def T(lib: Any) -> Any:
    return lib.distributions.transforms


def f64(lib: Any, value: Any) -> Any:
    return lib.tensor(value, dtype=lib.float64)


def power_td(lib: Any, exponent: float) -> Any:
    base = D(lib).Exponential(f64(lib, 1.0))
    return D(lib).TransformedDistribution(base, [T(lib).PowerTransform(exponent)])


def broadcast_affine_td(lib: Any, loc: Any) -> Any:
    """A scalar Normal pushed through an affine map whose loc has two elements."""
    return D(lib).TransformedDistribution(
        D(lib).Normal(f64(lib, 0.0), 1.0), [T(lib).AffineTransform(loc, 3.0)]
    )


def affine_event_logdet(lib: Any, scale: Any, x: Any) -> Any:
    t = T(lib).AffineTransform(f64(lib, 0.0), scale, event_dim=1)
    return t.log_abs_det_jacobian(x, t(x))


def stick_breaking_logdet(lib: Any, x: Any) -> Any:
    t = T(lib).StickBreakingTransform()
    return t.log_abs_det_jacobian(x, t(x))


def kl(lib: Any, p: Any, q: Any) -> Any:
    return D(lib).kl_divergence(p, q)


def uniform(lib: Any, low: list[float], high: list[float]) -> Any:
    return D(lib).Uniform(f64(lib, low), f64(lib, high))


def seeded_draws_then_stream(lib: Any, d: Any) -> list[Any]:
    """Draws under the test's seed, and the normals and uniforms the stream gives after them
    (the draws must use up exactly PyTorch's share of it, the cached normal included)."""
    lib.randn(1, dtype=lib.float64)  # leaves the second normal of a pair cached
    return [d.sample((3,)), lib.randn(3, dtype=lib.float64), lib.rand(2, dtype=lib.float64)]


# name -> (fn(lib, x), x as a list of floats or None)
Fn = Callable[[Any, Any], Any]
ROWS: dict[str, tuple[Fn, list[float] | None]] = {
    # PowerTransform: a number exponent becomes a tensor whose sign is the exponent's
    "power_float_exponent_sign": (lambda lib, x: T(lib).PowerTransform(-2.0).sign, None),
    "power_int_exponent_sign": (lambda lib, x: T(lib).PowerTransform(3).sign, None),
    "power_float_exponent_cdf": (lambda lib, x: power_td(lib, -2.0).cdf(x), [0.5, 2.0]),
    "power_float_exponent_icdf": (lambda lib, x: power_td(lib, -2.0).icdf(x), [0.3, 0.7]),
    "power_float_exponent_tensor": (lambda lib, x: T(lib).PowerTransform(-0.5).exponent, None),
    # StickBreakingTransform: a clipped sigmoid, so no piece of the stick is exactly 0
    "stick_breaking_large_input_round_trip": (
        lambda lib, x: T(lib).StickBreakingTransform().inv(T(lib).StickBreakingTransform()(x)),
        [40.0, -0.5],
    ),
    "stick_breaking_large_input_logdet": (stick_breaking_logdet, [40.0, -0.5]),
    "stick_breaking_very_negative_logdet": (stick_breaking_logdet, [-800.0, 1.0, 2.0]),
    # Multinomial.log_prob: d/dk_i keeps log p_i + digamma terms at k_i = 0
    "multinomial_value_gradient_at_zero_counts": (
        lambda lib, x: D(lib).Multinomial(3, f64(lib, [0.1, 0.2, 0.3, 0.4])).log_prob(x),
        [2.0, 0.0, 0.0, 1.0],
    ),
    "multinomial_value_gradient_zero_probability": (
        lambda lib, x: D(lib).Multinomial(3, f64(lib, [0.5, 0.0, 0.5])).log_prob(x),
        [2.0, 0.0, 1.0],
    ),
    # TransformedDistribution: the base expanded to the transform's broadcast shape
    "transformed_broadcast_rsample": (
        lambda lib, x: broadcast_affine_td(lib, x).rsample((4,)),
        [1.0, 2.0],
    ),
    "transformed_broadcast_base_shape": (
        lambda lib, x: tuple(broadcast_affine_td(lib, x).base_dist.batch_shape),
        [1.0, 2.0],
    ),
    "transformed_scalar_base_event_transform": (
        lambda lib, x: D(lib).TransformedDistribution(
            D(lib).Normal(f64(lib, 0.0), 1.0), [T(lib).AffineTransform(0.0, 2.0, event_dim=1)]
        ),
        None,
    ),
    "transformed_base_reinterpreted_as_independent": (
        lambda lib, x: (
            type(
                D(lib)
                .TransformedDistribution(
                    D(lib).Normal(f64(lib, [0.0, 1.0, 2.0]), 1.0),
                    [T(lib).AffineTransform(0.0, 2.0, event_dim=1)],
                )
                .base_dist
            ).__name__
        ),
        None,
    ),
    "transformed_expand_base_shape": (
        lambda lib, x: tuple(
            D(lib)
            .TransformedDistribution(
                D(lib).Normal(f64(lib, [0.0, 1.0, 2.0]), 1.0), [T(lib).StickBreakingTransform()]
            )
            .expand((2,))
            .base_dist.batch_shape
        ),
        None,
    ),
    "transformed_transforms_not_a_list": (
        lambda lib, x: D(lib).TransformedDistribution(
            D(lib).Normal(f64(lib, 0.0), 1.0), (T(lib).ExpTransform(),)
        ),
        None,
    ),
    # ContinuousBernoulli: probs validated before the clamp; logits' probs clamped too
    "continuous_bernoulli_invalid_probs_validated": (
        lambda lib, x: D(lib).ContinuousBernoulli(probs=f64(lib, [1.5, -0.2]), validate_args=True),
        None,
    ),
    "continuous_bernoulli_invalid_probs_validate_false": (
        lambda lib, x: D(lib).ContinuousBernoulli(probs=f64(lib, [0.5, 2.0]), validate_args=False),
        None,
    ),
    "continuous_bernoulli_infinite_logits_mean": (
        lambda lib, x: D(lib).ContinuousBernoulli(logits=x).mean,
        [math.inf, -math.inf, 3.0],
    ),
    "continuous_bernoulli_infinite_logits_entropy": (
        lambda lib, x: D(lib).ContinuousBernoulli(logits=x).entropy(),
        [math.inf, -math.inf, 3.0],
    ),
    "continuous_bernoulli_infinite_logits_log_prob": (
        lambda lib, x: D(lib).ContinuousBernoulli(logits=x).log_prob(f64(lib, 0.25)),
        [math.inf, -math.inf, 3.0],
    ),
    # AffineTransform(event_dim=1).log_abs_det_jacobian: PyTorch's sum over the scale's own
    # elements, whatever x's event
    "affine_event_logdet_scalar_scale": (
        lambda lib, x: affine_event_logdet(lib, x[0], f64(lib, [1.0, 2.0, 3.0])),
        [2.0],
    ),
    "affine_event_logdet_column_scale": (
        lambda lib, x: affine_event_logdet(lib, x.reshape(2, 1), f64(lib, np.ones((2, 3)))),
        [2.0, 0.5],
    ),
    # Distribution.expand(()) keeps a scalar distribution
    "normal_expand_empty": (
        lambda lib, x: D(lib).Normal(x[0], 1.0).expand(()).log_prob(f64(lib, 0.3)),
        [0.1],
    ),
    "bernoulli_expand_empty_size": (
        lambda lib, x: D(lib).Bernoulli(x[0]).expand(lib.Size([])).log_prob(f64(lib, 1.0)),
        [0.3],
    ),
    "continuous_bernoulli_expand_empty": (
        lambda lib, x: D(lib).ContinuousBernoulli(x[0]).expand(()).entropy(),
        [0.3],
    ),
    # the KL pairs PyTorch registers between ContinuousBernoulli and Uniform (with its bounds)
    "kl_continuous_bernoulli_uniform": (
        lambda lib, x: kl(
            lib,
            D(lib).ContinuousBernoulli(x.reshape(2, 1)),
            uniform(lib, [-1.0, -0.5, 0.0, -1.0], [2.0, 0.5, 1.5, 1.0]),
        ),
        [0.3, 0.9],
    ),
    "kl_uniform_continuous_bernoulli": (
        lambda lib, x: kl(
            lib,
            uniform(lib, [0.1, 0.2, 0.0, 0.3], [0.7, 1.0, 0.4, 0.9]),
            D(lib).ContinuousBernoulli(x.reshape(2, 1)),
        ),
        [0.3, 0.9],
    ),
    # the gamma sampler on PyTorch's stream: concentrations below and above 1, both dtypes,
    # and the families drawn through it
    "gamma_seeded_draws": (
        lambda lib, x: seeded_draws_then_stream(
            lib, D(lib).Gamma(f64(lib, [0.5, 2.0, 0.05, 30.0]), f64(lib, 1.5))
        ),
        None,
    ),
    "gamma_float32_seeded_draws": (
        lambda lib, x: seeded_draws_then_stream(
            lib, D(lib).Gamma(lib.tensor([0.3, 1.0, 4.0]), lib.tensor(1.0))
        ),
        None,
    ),
    "dirichlet_float32_seeded_draws": (
        lambda lib, x: seeded_draws_then_stream(lib, D(lib).Dirichlet(lib.tensor([0.5, 2.0, 1.0]))),
        None,
    ),
    "beta_seeded_draws": (
        lambda lib, x: seeded_draws_then_stream(
            lib, D(lib).Beta(f64(lib, [0.5, 2.0]), f64(lib, [1.5, 0.3]))
        ),
        None,
    ),
    "student_t_seeded_draws": (
        lambda lib, x: seeded_draws_then_stream(
            lib, D(lib).StudentT(f64(lib, [0.7, 5.0]), f64(lib, 1.0), f64(lib, 2.0))
        ),
        None,
    ),
    "chi2_seeded_draws": (
        lambda lib, x: seeded_draws_then_stream(lib, D(lib).Chi2(f64(lib, [0.7, 3.0]))),
        None,
    ),
}


def described(value: Any) -> Any:
    """A result as plain data: tensors by shape, dtype and numbers; lists and tuples by item."""
    if isinstance(value, (cr.Tensor, torch.Tensor)):
        return ("tensor", tuple(value.shape), str(value.dtype).split(".")[-1], plain(value))
    if isinstance(value, (list, tuple)):
        return ("sequence", [described(v) for v in value])
    if isinstance(value, cr.distributions.Distribution | torch.distributions.Distribution):
        return ("distribution", type(value).__name__)
    return ("other", value)


def run(lib: Any, fn: Fn, x: list[float] | None) -> tuple[Any, Any]:
    """The row's outcome on ``lib`` and the gradient of its sum to x (None where there is
    none)."""
    leaf = None if x is None else lib.tensor(x, dtype=lib.float64, requires_grad=True)
    lib.manual_seed(0)
    try:
        value = fn(lib, leaf)
    except Exception as e:  # the exception itself is what is compared
        return ("raises", type(e).__name__, text(str(e).splitlines()[0])), None
    if leaf is None or not isinstance(value, (cr.Tensor, torch.Tensor)):
        return described(value), None
    if not value.requires_grad:
        return described(value), None
    (grad,) = lib.autograd.grad(value.sum(), leaf)
    return described(value), plain(grad)


def assert_same_description(ours: Any, theirs: Any, what: str) -> None:
    if ours[0] == "sequence" and theirs[0] == "sequence":
        assert len(ours[1]) == len(theirs[1]), what
        for i, (a, b) in enumerate(zip(ours[1], theirs[1], strict=True)):
            assert_same_description(a, b, f"{what}[{i}]")
        return
    assert_same(ours, theirs, what)


@pytest.mark.parametrize("name", ROWS)
def test_fuzz_case_matches_torch(name: str) -> None:
    fn, x = ROWS[name]
    (ours, our_grad), (theirs, their_grad) = (run(lib, fn, x) for lib in LIBS)
    assert_same_description(ours, theirs, name)
    assert (our_grad is None) == (their_grad is None), f"{name}: gradient"
    if our_grad is not None:
        np.testing.assert_allclose(our_grad, their_grad, rtol=1e-9, atol=1e-11, err_msg=name)
