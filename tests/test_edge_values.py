"""Ops at their kinks, ties, jumps, poles and non-finite inputs, against PyTorch 2.13.

The op table keeps its random inputs away from such points, where a derivative is a convention
(PyTorch's) rather than a limit. Here each row puts an op exactly on them, in float64, and
compares with PyTorch: the value, the gradient (``u^T J``), the forward-mode derivative
(``J v``, against ``torch.func.jvp``) and the second derivative (the gradient of
``<w, u^T J>``, recorded with ``create_graph=True``). NaN must be NaN where PyTorch's is, and a
number where PyTorch's is a number.

Each row is written once against the shared API: ``fn(m, *xs)`` with ``m`` either ``chainrule``
or ``torch``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr

INF, NAN = float("inf"), float("nan")
# Every special point of the real line, for elementwise ops.
SPECIAL = [-INF, -2.0, -1.0, -0.5, -0.0, 0.0, 0.5, 1.0, 2.0, INF, NAN]


@dataclass(frozen=True)
class Edge:
    """One row: ``fn(m, *xs)`` at the float64 ``inputs`` (one list per differentiable input)."""

    name: str
    fn: Callable[..., Any]
    inputs: tuple[Any, ...]
    rtol: float = 1e-12
    # Why float32 values and gradients are not compared (empty: they are).
    no_float32: str = ""


def unary(name: str, fn: Callable[..., Any], points: list[float] = SPECIAL, **kw: Any) -> Edge:
    return Edge(name, fn, (points,), **kw)


# PyTorch's vectorized float32 kernel returns gelu(inf) = nan (its float64 one, inf).
_GELU_FLOAT32 = "PyTorch's float32 gelu(inf) is nan, its float64 gelu(inf) is inf"


def F(m: Any) -> Any:  # noqa: N802 - the usual name of the functional module
    return m.nn.functional


ROWS = [
    # --- arithmetic
    unary("neg", lambda m, x: -x),
    unary("square", lambda m, x: x * x),
    unary("reciprocal", lambda m, x: x.reciprocal()),
    unary("div_by_zero_scalar", lambda m, x: x / 0.0),
    Edge("div_zero_over_zero", lambda m, a, b: a / b, ([0.0, 1.0, 0.0, NAN], [0.0, 0.0, INF, 0.0])),
    unary("pow_0", lambda m, x: x**0),
    unary("pow_0_float", lambda m, x: x**0.0),
    unary("pow_1", lambda m, x: x**1),
    unary("pow_2", lambda m, x: x**2),
    unary("pow_3", lambda m, x: x**3),
    unary("pow_half", lambda m, x: x**0.5),
    unary("pow_minus_1", lambda m, x: x**-1),
    unary("pow_minus_half", lambda m, x: x**-0.5),
    unary("pow_one_and_half", lambda m, x: x**1.5),
    # integer exponents NumPy has no fast case for: PyTorch multiplies out 3 and -2, and
    # chainrule takes the others' pow of |x| with the sign put back (see _integer_power)
    unary("pow_minus_2", lambda m, x: x**-2),
    unary("pow_4", lambda m, x: x**4),
    unary("pow_5_float", lambda m, x: x**5.0),
    unary("pow_minus_3", lambda m, x: x**-3),
    unary("rpow_2", lambda m, x: 2.0**x),
    unary("rpow_0", lambda m, x: 0.0**x),
    unary("rpow_1", lambda m, x: 1.0**x),
    Edge(
        "pow_tensor_exponent_at_zero_base",
        lambda m, a, b: a**b,
        ([0.0, 0.0, 0.0, 0.0, 0.0, -0.0, 2.0], [0.0, 1.0, 2.0, 0.5, -1.0, 2.0, 0.0]),
    ),
    Edge(
        "pow_tensor_exponent_zero",
        lambda m, a, b: a**b,
        ([INF, -INF, NAN, 0.0, -1.0, 2.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0]),
    ),
    # --- logit: nan outside [0, 1], value and gradient (the chain rule through log and / would
    # give finite gradients there), infinite at 0 and 1
    unary(
        "logit",
        lambda m, x: x.logit(),
        SPECIAL + [0.25, 3.0],
        no_float32="PyTorch's float32 logit has a slope of +inf at -0.0, its float64 one -inf",
    ),
    # --- rounding: zero gradients, also at the jumps
    unary("floor", lambda m, x: x.floor(), SPECIAL + [1.5, 2.5]),
    unary("ceil", lambda m, x: x.ceil(), SPECIAL + [1.5, 2.5]),
    unary("trunc", lambda m, x: x.trunc(), SPECIAL + [1.5, 2.5]),
    unary("round", lambda m, x: x.round(), SPECIAL + [1.5, 2.5]),
    unary("frac", lambda m, x: x.frac(), SPECIAL + [1.5, 2.5]),
    unary("sign", lambda m, x: x.sign()),
    Edge(
        "floor_divide",
        lambda m, a, b: m.div(a, b, rounding_mode="floor"),
        ([1.0, -1.0, 0.0, 3.0, NAN, INF], [0.0, 0.0, 0.0, 1.5, 1.0, 2.0]),
    ),
    Edge(
        "remainder",
        lambda m, a, b: m.remainder(a, b),
        ([1.0, -1.0, 0.0, 3.0, NAN, INF, 2.0], [0.0, 0.5, 2.0, 1.5, 1.0, 2.0, INF]),
    ),
    Edge(
        "fmod",
        lambda m, a, b: m.fmod(a, b),
        ([1.0, -1.0, 0.0, 3.0, NAN, INF, 2.0], [0.0, 0.5, 2.0, 1.5, 1.0, 2.0, INF]),
    ),
    # --- exp and log
    unary("exp", lambda m, x: x.exp()),
    unary("expm1", lambda m, x: x.expm1()),
    unary("exp2", lambda m, x: m.exp2(x)),
    unary("log", lambda m, x: x.log()),
    unary("log1p", lambda m, x: x.log1p(), SPECIAL + [-1.0 + 0.0]),
    unary("log2", lambda m, x: x.log2()),
    unary("log10", lambda m, x: x.log10()),
    unary("sqrt", lambda m, x: x.sqrt()),
    unary("rsqrt", lambda m, x: x.rsqrt()),
    # --- piecewise
    unary("abs", lambda m, x: x.abs()),
    unary("relu", lambda m, x: x.relu()),
    unary("leaky_relu", lambda m, x: F(m).leaky_relu(x, 0.2)),
    unary("elu", lambda m, x: F(m).elu(x)),
    unary("clamp", lambda m, x: x.clamp(-1.0, 1.0)),
    unary("clamp_min", lambda m, x: x.clamp(min=0.0)),
    unary("clamp_max", lambda m, x: x.clamp(max=0.5)),
    Edge(
        "clamp_tensor_bounds",
        lambda m, x, lo, hi: m.clamp(x, lo, hi),
        (
            [0.0, 1.0, 2.0, NAN, -1.0, 0.5],
            [0.0, 0.0, 0.0, 0.0, NAN, 1.0],
            [1.0, 1.0, 1.0, 1.0, 1.0, 0.0],
        ),
    ),
    Edge(
        "clamp_tensor_min_only",
        lambda m, x, lo: m.clamp(x, min=lo),
        ([0.0, 1.0, 2.0, NAN, -1.0], [0.0, 0.0, 3.0, 0.0, NAN]),
    ),
    Edge(
        "clamp_tensor_max_only",
        lambda m, x, hi: m.clamp(x, max=hi),
        ([0.0, 1.0, 2.0, NAN, -1.0], [0.0, 0.0, 3.0, 0.0, NAN]),
    ),
    Edge(
        "clamp_tensor_equal_bounds",
        lambda m, x, lo, hi: m.clamp(x, lo, hi),
        ([-2.0, 1.0, 2.0], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]),
    ),
    Edge(
        "clamp_tensor_bounds_broadcast",
        lambda m, x, lo, hi: m.clamp(x, lo, hi),
        ([[0.0, 1.0, 2.0], [1.0, 1.0, 3.0]], [0.0, 0.5, 2.0], [[2.0], [1.0]]),
    ),
    # --- trigonometry and activations
    unary("sin", lambda m, x: x.sin()),
    unary("cos", lambda m, x: x.cos()),
    unary("tan", lambda m, x: x.tan()),
    unary("asin", lambda m, x: x.asin()),
    unary("acos", lambda m, x: x.acos()),
    unary("atan", lambda m, x: x.atan()),
    unary("sinh", lambda m, x: x.sinh()),
    unary("cosh", lambda m, x: x.cosh()),
    unary("asinh", lambda m, x: x.asinh()),
    unary("acosh", lambda m, x: x.acosh()),
    unary("atanh", lambda m, x: x.atanh()),
    unary("tanh", lambda m, x: x.tanh()),
    unary("sigmoid", lambda m, x: x.sigmoid()),
    # far left exp(-x) overflows: PyTorch's 1 / (1 + exp(-x)) is 0 there, and chainrule's
    unary("sigmoid_far_out", lambda m, x: x.sigmoid(), [-1000.0, -750.0, -100.0, 40.0, 800.0]),
    unary("silu", lambda m, x: F(m).silu(x)),
    unary("softplus", lambda m, x: F(m).softplus(x)),
    unary("softplus_threshold", lambda m, x: F(m).softplus(x, beta=2.0, threshold=1.0)),
    unary("erf", lambda m, x: x.erf()),
    unary("gelu", lambda m, x: F(m).gelu(x), no_float32=_GELU_FLOAT32),
    unary("gelu_tanh", lambda m, x: F(m).gelu(x, approximate="tanh")),
    Edge(
        "atan2",
        lambda m, a, b: m.atan2(a, b),
        ([0.0, -0.0, 0.0, 1.0, INF, NAN, 0.0], [0.0, 0.0, -0.0, 1.0, INF, 1.0, INF]),
    ),
    Edge("atan2_same_tensor", lambda m, a: m.atan2(a, a), ([0.0, 1.0, -1.0, INF, NAN],)),
    Edge(
        "hypot",
        lambda m, a, b: m.hypot(a, b),
        ([0.0, -0.0, 3.0, INF, NAN, INF], [0.0, 0.0, 4.0, 1.0, INF, NAN]),
    ),
    # --- two inputs, selections
    Edge(
        "maximum",
        lambda m, a, b: m.maximum(a, b),
        ([1.0, 2.0, NAN, 1.0, NAN, INF, -INF], [1.0, 0.0, 1.0, NAN, NAN, INF, -INF]),
    ),
    Edge(
        "minimum",
        lambda m, a, b: m.minimum(a, b),
        ([1.0, 2.0, NAN, 1.0, NAN, INF, -INF], [1.0, 0.0, 1.0, NAN, NAN, INF, -INF]),
    ),
    Edge(
        "where_nan_in_the_branch_not_taken",
        lambda m, a, b: m.where(m.tensor([True, False, True, False]), a, b),
        ([1.0, NAN, INF, 2.0], [NAN, 3.0, 1.0, -INF]),
    ),
    Edge(
        "masked_fill_nan",
        lambda m, x: x.masked_fill(m.tensor([True, False, True]), 0.0),
        ([NAN, NAN, 1.0],),
    ),
    # --- reductions
    Edge("sum", lambda m, x: x.sum(), ([1.0, INF, NAN],)),
    Edge("mean", lambda m, x: x.mean(), ([1.0, -INF, 2.0],)),
    Edge("prod_nan", lambda m, x: x.prod(), ([2.0, NAN, 3.0],)),
    Edge("prod_one_zero", lambda m, x: x.prod(), ([2.0, 0.0, 3.0],)),
    Edge("prod_two_zeros", lambda m, x: x.prod(), ([0.0, 2.0, 0.0, 3.0],)),
    Edge("prod_three_zeros", lambda m, x: x.prod(), ([0.0, 2.0, 0.0, 0.0],)),
    Edge(
        "prod_dim_zeros",
        lambda m, x: x.prod(1),
        ([[0.0, 2.0, 3.0], [0.0, 0.0, 1.0], [1.0, 2.0, 3.0]],),
    ),
    Edge(
        "prod_dim_keepdim_zeros",
        lambda m, x: x.prod(2, keepdim=True),
        ([[[0.0, 2.0], [3.0, 1.0]], [[0.5, 0.0], [2.0, 2.0]]],),
    ),
    Edge("max_nan", lambda m, x: x.max(), ([1.0, NAN, 3.0, NAN],)),
    Edge("min_nan", lambda m, x: x.min(), ([1.0, NAN, -3.0],)),
    Edge("max_ties", lambda m, x: x.max(), ([3.0, 1.0, 3.0],)),
    Edge("amax_dim_nan", lambda m, x: x.amax(1), ([[1.0, NAN, 2.0], [4.0, 4.0, 0.0]],)),
    Edge("amin_dim_nan", lambda m, x: x.amin(0), ([[1.0, NAN], [0.0, 2.0], [-1.0, -1.0]],)),
    Edge("max_dim_nan", lambda m, x: x.max(1).values, ([[1.0, NAN, 2.0], [4.0, 4.0, 0.0]],)),
    Edge("min_dim_nan", lambda m, x: x.min(0).values, ([[1.0, NAN], [0.0, 2.0], [-1.0, -1.0]],)),
    Edge("max_inf", lambda m, x: x.max(), ([1.0, INF, -INF],)),
    Edge("std_constant", lambda m, x: x.std(), ([2.0, 2.0, 2.0],)),
    Edge("std_constant_dim", lambda m, x: x.std(1), ([[2.0, 2.0], [1.0, 3.0]],)),
    Edge("std_correction_0", lambda m, x: x.std(correction=0), ([-1.0, -1.0],)),
    Edge("std_single_element", lambda m, x: x.std(), ([2.0],)),
    Edge("std_mean_constant", lambda m, x: m.std_mean(x)[0], ([0.5, 0.5, 0.5],)),
    Edge("var_constant", lambda m, x: x.var(), ([2.0, 2.0, 2.0],)),
    # Equal values whose mean rounds (3 * -1.8359 / 3 misses by an ulp). PyTorch's Welford
    # reduction (several outputs, and std_mean) gives a std of exactly 0 and the masked 0
    # gradient; its all-reduce (one output) subtracts its mean in the input's dtype, rounding
    # and all (in float32, 7 * -1.8359 / 7 misses too: a std of 1.2e-7, gradients of +-1/7)
    Edge(
        "std_dim_of_equal_values",
        lambda m, x: x.std(0, correction=0),
        ([[0.7, -1.8359], [0.7, -1.8359], [0.7, -1.8359]],),
    ),
    Edge("std_mean_of_equal_values", lambda m, x: m.std_mean(x)[0], ([-1.8359] * 3,)),
    Edge("std_of_seven_equal_values", lambda m, x: x.std(), ([-1.8359] * 7,)),
    Edge("norm_zero", lambda m, x: x.norm(), ([0.0, 0.0, 0.0],)),
    Edge("norm_zero_dim", lambda m, x: x.norm(dim=1), ([[0.0, 0.0], [3.0, 4.0]],)),
    Edge("norm_nan", lambda m, x: x.norm(), ([1.0, NAN],)),
    Edge("norm_inf", lambda m, x: x.norm(), ([1.0, INF],)),
    Edge("norm_p1_zero", lambda m, x: x.norm(p=1), ([0.0, -0.0, 2.0],)),
    Edge("norm_pinf_ties", lambda m, x: x.norm(p=INF), ([2.0, -2.0, 1.0],)),
    Edge("norm_pinf_zero", lambda m, x: x.norm(p=INF), ([0.0, 0.0],)),
    Edge("logsumexp_all_minus_inf", lambda m, x: x.logsumexp(0), ([-INF, -INF],)),
    Edge("logsumexp_inf", lambda m, x: x.logsumexp(0), ([INF, 1.0],)),
    Edge("logsumexp_nan", lambda m, x: x.logsumexp(0), ([NAN, 1.0],)),
    Edge("cumsum_inf", lambda m, x: x.cumsum(0), ([1.0, INF, -INF, 2.0],)),
    # --- softmax and losses
    Edge("softmax_minus_inf", lambda m, x: x.softmax(0), ([-INF, 0.0, 1.0],)),
    Edge("softmax_inf", lambda m, x: x.softmax(0), ([INF, 0.0, 1.0],)),
    Edge("log_softmax_minus_inf", lambda m, x: x.log_softmax(0), ([-INF, 0.0, 1.0],)),
    Edge(
        "l1_loss",
        lambda m, a, b: F(m).l1_loss(a, b),
        ([1.0, NAN, 2.0, INF, 0.0], [1.0, 0.0, NAN, 0.0, 0.0]),
    ),
    Edge(
        "l1_loss_sum",
        lambda m, a, b: F(m).l1_loss(a, b, reduction="sum"),
        ([1.0, NAN, 2.0], [1.0, 0.0, 3.0]),
    ),
    Edge(
        "mse_loss",
        lambda m, a, b: F(m).mse_loss(a, b),
        ([1.0, NAN, 2.0, INF], [1.0, 0.0, NAN, 0.0]),
    ),
    # PyTorch's first derivative floors p (1 - p) at 1e-12 in float32, its second adds 1e-12
    # (a float64) to p and 1 - p: its own rules differ by that much, so ours are within it.
    Edge(
        "binary_cross_entropy_at_bounds",
        lambda m, p, y: F(m).binary_cross_entropy(p, y),
        ([0.0, 1.0, 0.0, 1.0, 0.5], [0.0, 1.0, 1.0, 0.0, 0.5]),
        rtol=1e-8,
    ),
    Edge(
        "binary_cross_entropy_with_logits_inf",
        lambda m, x, y: F(m).binary_cross_entropy_with_logits(x, y),
        ([INF, -INF, 0.0, 800.0], [1.0, 0.0, 0.5, 0.0]),
    ),
    Edge(
        "cross_entropy_minus_inf_logit",
        lambda m, x: F(m).cross_entropy(x, m.tensor([1, 0])),
        ([[-INF, 0.0, 1.0], [0.0, -INF, 2.0]],),
    ),
    Edge(
        "layer_norm_constant",
        lambda m, x: F(m).layer_norm(x, (3,)),
        ([[1.0, 1.0, 1.0], [0.0, 1.0, 2.0]],),
    ),
    Edge(
        "batch_norm_constant_channel",
        lambda m, x: F(m).batch_norm(x, None, None, training=True),
        ([[1.0, 0.0], [1.0, 2.0], [1.0, 4.0]],),
    ),
    Edge(
        "cross_entropy_label_smoothing_minus_inf",
        lambda m, x: F(m).cross_entropy(x, m.tensor([1, 0]), label_smoothing=0.1),
        ([[-INF, 0.0, 1.0], [0.0, 2.0, 2.0]],),
    ),
    Edge(
        "nll_loss_minus_inf",
        lambda m, x: F(m).nll_loss(x, m.tensor([1, 0])),
        ([[-INF, 0.0], [0.0, -INF]],),
    ),
    Edge(
        # Windows apart (3x3 kernel, stride 3): ReLU's zeros tie whole windows, and a nan
        # first, last or twice in a window.
        "max_pool2d_windows_apart_ties_and_nans",
        lambda m, x: F(m).max_pool2d(F(m).relu(x), 3),
        (
            [
                [
                    [
                        [-1.0, -2.0, -3.0, NAN, 1.0, 1.0],
                        [-1.0, -1.0, -1.0, 1.0, 1.0, 1.0],
                        [-5.0, -1.0, -2.0, 1.0, 1.0, NAN],
                        [0.0, 2.0, 0.0, NAN, 0.0, 0.0],
                        [2.0, 0.0, 2.0, 0.0, 0.0, 0.0],
                        [0.0, 0.0, 0.0, 0.0, NAN, 0.0],
                    ]
                ]
            ],
        ),
    ),
    Edge(
        "max_pool2d_ties_and_nan",
        lambda m, x: F(m).max_pool2d(x, 2),
        (
            [
                [
                    [
                        [1.0, 1.0, NAN, 0.0],
                        [1.0, 0.0, 2.0, NAN],
                        [-INF, -INF, 3.0, 3.0],
                        [-INF, -INF, 3.0, 3.0],
                    ]
                ]
            ],
        ),
    ),
    Edge(
        "avg_pool2d_inf",
        lambda m, x: F(m).avg_pool2d(x, 2),
        ([[[[1.0, INF, 0.0, 0.0], [1.0, 0.0, NAN, 0.0]]]],),
    ),
    Edge("amax_all_nan", lambda m, x: x.amax(), ([1.0, NAN, 3.0],)),
    Edge("amin_all_ties", lambda m, x: x.amin(), ([1.0, 1.0, 3.0, 1.0],)),
    Edge("max_dim_ties", lambda m, x: x.max(0).values, ([[1.0, 2.0], [1.0, 2.0], [0.0, 2.0]],)),
    Edge("matmul_inf", lambda m, a, b: a @ b, ([[INF, 0.0], [1.0, 2.0]], [[0.0, 1.0], [NAN, 1.0]])),
    Edge(
        "linear_zero_weight_inf_input",
        lambda m, x, w: F(m).linear(x, w),
        ([[INF, 1.0]], [[0.0, 1.0]]),
    ),
    Edge("sum_dim_inf", lambda m, x: x.sum(0), ([[INF, 1.0], [-INF, NAN]],)),
    Edge("softmax_all_minus_inf", lambda m, x: x.softmax(0), ([-INF, -INF],)),
    Edge("log_softmax_inf", lambda m, x: x.log_softmax(0), ([INF, 0.0],)),
    Edge("sort_ties", lambda m, x: x.sort().values, ([1.0, 0.0, 1.0, 1.0, 0.0],)),
    Edge(
        "sort_descending_ties", lambda m, x: x.sort(descending=True).values, ([1.0, 0.0, 1.0, 0.0],)
    ),
    Edge("argmax_ties_gather", lambda m, x: x[x.argmax()], ([1.0, 3.0, 3.0],)),
    Edge("cumsum_nan", lambda m, x: x.cumsum(0), ([1.0, NAN, 2.0],)),
    Edge("var_nan", lambda m, x: x.var(), ([1.0, NAN, 2.0],)),
    Edge("std_inf", lambda m, x: x.std(), ([1.0, INF, 2.0],)),
    # var's gradient is PyTorch's 2 / (n - correction) * g * (x - mean): +-inf beside an inf
    Edge("var_inf", lambda m, x: x.var(), ([1.0, INF, 2.0, 4.0],)),
    Edge(
        "var_dim_inf", lambda m, x: x.var(1, keepdim=True), ([[1.0, -INF, 2.0], [0.5, 1.0, 3.0]],)
    ),
    Edge(
        "var_mean_dim_inf",
        lambda m, x: m.stack(m.var_mean(x, 0, correction=0)),
        ([[1.0, 3.0], [2.0, 0.5], [4.0, INF]],),
    ),
    Edge("var_no_degrees_of_freedom", lambda m, x: x.var(correction=3), ([1.0, 2.0, 4.0],)),
    Edge("var_dim_correction_past_n", lambda m, x: x.var(0, correction=4), ([1.0, 2.0, 4.0],)),
    Edge("mean_dim_nan", lambda m, x: x.mean(1), ([[1.0, NAN], [2.0, 4.0]],)),
    Edge("expand_then_max_ties", lambda m, x: x.expand(3, 2).max(), ([[1.0, 1.0]],)),
    unary("leaky_relu_zero_slope", lambda m, x: F(m).leaky_relu(x, 0.0)),
    unary("leaky_relu_slope_1", lambda m, x: F(m).leaky_relu(x, 1.0)),
    unary("hardtanh", lambda m, x: F(m).hardtanh(x)),
    unary("hardtanh_bounds_at_zero", lambda m, x: F(m).hardtanh(x, -0.0, 0.0)),
    unary("relu6", lambda m, x: F(m).relu6(x)),
    unary("clamp_min_minus_zero", lambda m, x: x.clamp(min=-0.0)),
    unary("elu_alpha_half", lambda m, x: F(m).elu(x, 0.5)),
    Edge(
        "where_of_sqrt_at_zero", lambda m, x: m.where(x > 0, x.sqrt(), x * 0), ([0.0, 4.0, -1.0],)
    ),
    Edge(
        "where_constant_branch_inf_gradient",
        lambda m, x: m.where(x > 0, x, 0.0).sqrt(),
        ([0.0, 4.0, -1.0],),
    ),
    Edge("gather_nan", lambda m, x: x.gather(0, m.tensor([1, 1, 0])), ([NAN, 2.0],)),
    Edge("index_repeats_inf", lambda m, x: x[m.tensor([0, 0, 1])], ([INF, NAN],)),
    # --- sorting with ties and NaN
    Edge("sort_nan", lambda m, x: x.sort().values, ([2.0, NAN, 1.0, -INF],)),
    Edge("topk_nan", lambda m, x: x.topk(2).values, ([2.0, NAN, 1.0, 3.0],)),
]

# p-norms (PyTorch's branches: p < 1, 1 < p < 2, p > 2, and p = 0) at and around zero.
ROWS += [
    Edge(f"norm_p{p}_{where}", lambda m, x, p=p: x.norm(p=p), (values,))
    for p in (0, 0.5, 1.5, 2.5, 3, 4)
    for where, values in (
        ("zero", [0.0, 0.0, 0.0]),
        ("partly_zero", [0.0, 1.0, -2.0]),
        ("nan", [1.0, NAN, 0.0]),
        ("inf", [0.0, INF, 1.0]),
    )
]
ROWS.append(
    Edge("norm_p3_dim_zero_row", lambda m, x: x.norm(p=3, dim=1), ([[0.0, 0.0], [1.0, -2.0]],))
)


# ----------------------------------------------------------------------------- the checks
def _cotangent(shape: tuple[int, ...]) -> np.ndarray:
    """Distinct weights per output element, so a gradient sent to the wrong place shows."""
    n = int(np.prod(shape, dtype=int))
    return (1.0 + np.arange(n, dtype=np.float64)).reshape(shape)


def _tangents(inputs: tuple[Any, ...]) -> list[np.ndarray]:
    return [
        0.5 + 0.25 * i + np.arange(np.size(x), dtype=np.float64).reshape(np.shape(x))
        for i, x in enumerate(inputs)
    ]


def _numpy(x: Any, like: Any) -> np.ndarray:
    if x is None:
        return np.zeros(np.shape(like))
    return np.asarray(x.detach().numpy(force=True) if hasattr(x, "detach") else x, dtype=np.float64)


def _results(m: Any, row: Edge) -> dict[str, list[np.ndarray]]:
    """Value, u^T J, J v and H w of the row in chainrule (``m = cr``) or PyTorch."""
    arrays = [np.array(x, dtype=np.float64) for x in row.inputs]
    xs = [m.tensor(a, requires_grad=True) for a in arrays]
    out = row.fn(m, *xs)
    u = m.tensor(_cotangent(tuple(out.shape)))
    v = _tangents(row.inputs)
    if m is torch:
        primals = tuple(torch.tensor(a) for a in arrays)
        jv = torch.func.jvp(lambda *a: row.fn(torch, *a), primals, tuple(map(torch.tensor, v)))[1]
    else:
        jv = cr.func.jvp(
            lambda *a: row.fn(cr, *a), tuple(cr.tensor(a) for a in arrays), tuple(map(cr.tensor, v))
        )[1]
    first = m.autograd.grad(out, xs, grad_outputs=u, create_graph=True, allow_unused=True)
    w = [1.0 - 0.5 * t for t in v]  # the direction of the second derivative
    terms = [(g * m.tensor(wi)).sum() for g, wi in zip(first, w, strict=True) if g is not None]
    live = [t for t in terms if t.requires_grad]
    if live:
        second = m.autograd.grad(sum(live[1:], live[0]), xs, allow_unused=True)
    else:
        second = [None] * len(xs)
    return {
        "value": [_numpy(out, out)],
        "u^T J": [_numpy(g, a) for g, a in zip(first, arrays, strict=True)],
        "J v": [_numpy(jv, out)],
        "H w": [_numpy(g, a) for g, a in zip(second, arrays, strict=True)],
    }


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy warns on inf - inf, 0 / 0, ...
@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_edge_values_match_torch(row: Edge) -> None:
    got, expected = _results(cr, row), _results(torch, row)
    for what, parts in expected.items():
        for i, (a, e) in enumerate(zip(got[what], parts, strict=True)):
            np.testing.assert_allclose(
                a,
                e,
                rtol=row.rtol,
                atol=1e-12,
                equal_nan=True,
                err_msg=f"{row.name}: {what} (input {i}) at {row.inputs}",
            )


def _float32_results(m: Any, row: Edge) -> list[Any]:
    """The value and u^T J of the row with float32 inputs (dtype kept), as tensors."""
    xs = [m.tensor(np.array(x, dtype=np.float32), requires_grad=True) for x in row.inputs]
    out = row.fn(m, *xs)
    u = m.tensor(_cotangent(tuple(out.shape)).astype(np.float32))
    return [out, *m.autograd.grad(out, xs, grad_outputs=u, allow_unused=True)]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("row", [r for r in ROWS if not r.no_float32], ids=lambda row: row.name)
def test_edge_values_in_float32_match_torch(row: Edge) -> None:
    pairs = zip(_float32_results(cr, row), _float32_results(torch, row), strict=True)
    for i, (a, e) in enumerate(pairs):
        if a is None or e is None:  # an unused input: a gradient of zeros either way
            assert not np.any(_numpy(a if e is None else e, 0.0)), f"{row.name}: output {i}"
            continue
        assert a.dtype.name == str(e.dtype).removeprefix("torch."), f"{row.name}: dtype {i}"
        np.testing.assert_allclose(
            a.detach().numpy(),
            e.detach().numpy(force=True),
            rtol=1e-5,
            atol=1e-6,
            equal_nan=True,
            err_msg=f"{row.name}: float32 {'value' if i == 0 else 'u^T J'} ({i})",
        )


def test_float32_is_compared_for_all_rows_but_the_ones_with_a_reason() -> None:
    assert [r.name for r in ROWS if r.no_float32] == ["logit", "gelu"]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_powers_three_and_minus_two_are_pytorchs_to_the_bit(dtype: str) -> None:
    """PyTorch's pow kernel multiplies out 3 and -2 (``x * x * x``, ``1 / (x * x)``); C's pow
    rounds once, a last bit apart on about a third of float32 values. chainrule takes
    PyTorch's products; other integer exponents go to pow of ``|x|``, the sign put back (a
    last bit apart from pow of a negative x, which is 40x slower)."""
    x = np.random.default_rng(3).standard_normal(4096).astype(dtype) * 3
    for exponent in (3, 3.0, -2, -2.0):
        ours = (cr.tensor(x) ** exponent).numpy()
        assert np.array_equal(ours, (torch.tensor(x) ** exponent).numpy()), exponent
    bits = np.int32 if dtype == "float32" else np.int64
    for exponent in (4, 5.0, -3, 7):  # the sign put back: NumPy's pow of x within a last bit
        ours, numpy_pow = (cr.tensor(x) ** exponent).numpy(), x**exponent
        apart = np.abs(ours.view(bits).astype(np.int64) - numpy_pow.view(bits))
        assert apart.max() <= 1 and not apart[x > 0].any(), exponent
        assert np.array_equal(np.signbit(ours), np.signbit(numpy_pow)), exponent


def test_sigmoid_far_out_gives_zero_and_one_without_an_overflow_warning() -> None:
    import warnings

    x = cr.tensor([-1000.0, -100.0, 0.0, 100.0, 1000.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = x.sigmoid()
        y.sum().backward()
    assert y.tolist() == torch.tensor([-1000.0, -100.0, 0.0, 100.0, 1000.0]).sigmoid().tolist()
    assert x.grad.tolist() == [0.0, 0.0, 0.25, 0.0, 0.0]


# Rows with paths that depend on the input's size or layout: dual.where blends bits from 8,192
# elements up, positive_part and clamp_arrays write into arrays of a dense input's layout. The
# rows above compare the small paths with PyTorch; here each op on a 96 x 100 input holding every
# special point, C-ordered and transposed, gives what it gives row by row (100 elements: the
# small paths), to the bit. (Against PyTorch itself large inputs would not do: its vectorized
# kernels and their scalar tails disagree at nan, as elu's gradient at nan, 1 below 16
# elements and nan from 16 on.)
LARGE_ROWS = {
    "where": lambda m, x: m.where(x > 0, x, -x * 2),
    "where_0d_branch": lambda m, x: m.where(x > 0.5, x, m.tensor(-0.0, dtype=x.dtype)),
    "elu": lambda m, x: F(m).elu(x),
    "celu": lambda m, x: F(m).celu(x, 0.5),
    "selu": lambda m, x: F(m).selu(x),
    "softplus": lambda m, x: F(m).softplus(x),
    "softplus_beta": lambda m, x: F(m).softplus(x, 2.0, 5.0),
    "mish": lambda m, x: F(m).mish(x),
    "threshold": lambda m, x: F(m).threshold(x, 0.5, -3.0),
    "hardshrink": lambda m, x: F(m).hardshrink(x),
    "softshrink": lambda m, x: F(m).softshrink(x),
    "hardsigmoid": lambda m, x: F(m).hardsigmoid(x),
    "hardswish": lambda m, x: F(m).hardswish(x),
    "logsigmoid": lambda m, x: F(m).logsigmoid(x),
    "leaky_relu": lambda m, x: F(m).leaky_relu(x, 0.3),
    "clamp": lambda m, x: x.clamp(-0.5, 1.0),
    "hardtanh": lambda m, x: F(m).hardtanh(x),
    "relu": lambda m, x: x.relu(),
    "sigmoid": lambda m, x: x.sigmoid(),
    "silu": lambda m, x: F(m).silu(x),
    "gelu_tanh": lambda m, x: F(m).gelu(x, approximate="tanh"),
    "smooth_l1": lambda m, x: F(m).smooth_l1_loss(x, x.detach() * 0.5, reduction="none"),
    "huber": lambda m, x: F(m).huber_loss(x, x.detach() * 0.5, reduction="none", delta=0.7),
    "bce_with_logits": lambda m, x: F(m).binary_cross_entropy_with_logits(
        x, (x.detach() > 0).to(x.dtype), reduction="none"
    ),
    "bce": lambda m, x: F(m).binary_cross_entropy(
        x.sigmoid().nan_to_num(0.5), (x.detach() > 1).to(x.dtype), reduction="none"
    ),
}


ELU_FAMILY = {
    "elu": lambda m, x: F(m).elu(x),
    "elu_alpha_half": lambda m, x: F(m).elu(x, 0.5),
    "celu": lambda m, x: F(m).celu(x, 2.5),
    "selu": lambda m, x: F(m).selu(x),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(ELU_FAMILY))
def test_elu_family_zeros_keep_pytorchs_signs(name: str, dtype: type) -> None:
    """On arrays elu, celu and selu add their two branches, each computed on its own part of x
    (elementwise.elu_arrays), instead of choosing per element: each zero keeps PyTorch's sign,
    -0 in, and -0 where the negative branch underflows (x at the smallest subnormals, times a
    factor below 1), which a sum with the positive branch's +0 would turn into +0."""
    tiny = np.finfo(dtype).smallest_subnormal
    x = np.array([-tiny, -2 * tiny, -3 * tiny, tiny, -0.0, 0.0, NAN, INF, -INF, -1.0, 2.0], dtype)
    ours, theirs = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = ELU_FAMILY[name](cr, ours), ELU_FAMILY[name](torch, theirs)
    out.sum().backward()
    expected.sum().backward()
    for a, e in ((out, expected), (ours.grad, theirs.grad)):
        a, e = a.detach().numpy(), e.detach().numpy()
        np.testing.assert_allclose(a, e, rtol=1e-6, atol=0, equal_nan=True, err_msg=name)
        zeros = e == 0
        assert np.array_equal(np.signbit(a[zeros]), np.signbit(e[zeros])), (x[zeros], a[zeros])


CLAMPS = {
    "clamp": lambda m, x: x.clamp(0.0, 1.0),
    "clamp_zeros": lambda m, x: x.clamp(-0.0, 0.0),
    "clamp_crossed": lambda m, x: x.clamp(2.0, -1.0),
    "clamp_nan_bound": lambda m, x: x.clamp(float("nan"), 1.0),
    "clamp_ints": lambda m, x: x.clamp(-1, 2),
    "hardtanh": lambda m, x: F(m).hardtanh(x),
    "relu6": lambda m, x: F(m).relu6(x),
    "hardswish": lambda m, x: F(m).hardswish(x),
    "hardsigmoid": lambda m, x: F(m).hardsigmoid(x),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(CLAMPS))
def test_clamps_keep_pytorchs_bits_at_special_values(name: str, dtype: type) -> None:
    """A clamp between two Python numbers is NumPy's clip on arrays (dual.clamp_arrays): each
    value, and each zero's sign (-0 against a bound of 0), nan, crossed and nan bounds, as
    PyTorch's, in both its vector loop and its scalar tail (51 elements), and so are the
    gradients. (At x = nan PyTorch's gradient depends on where the element lies: hardtanh's
    is 0 in its vector loop and 1 in its tail, hardswish's nan and 1; chainrule's is the
    tail's, so those are not compared.)"""
    tiny = np.finfo(dtype).smallest_subnormal
    points = [-0.0, 0.0, NAN, INF, -INF, -tiny, tiny, -1.0, 1.0, -3.0, 3.0, 6.0, -6.0, 0.5, 2.0]
    x = np.tile(np.array([*points, -2.0, 7.0], dtype), 3)
    ours, theirs = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = CLAMPS[name](cr, ours), CLAMPS[name](torch, theirs)
    out.sum().backward()
    expected.sum().backward()
    compared = ~np.isnan(x)
    for a, e, where in ((out, expected, ...), (ours.grad, theirs.grad, compared)):
        a, e = a.detach().numpy()[where], e.detach().numpy()[where]
        assert a.dtype == e.dtype
        assert np.array_equal(a, e, equal_nan=True), (name, a, e)
        zeros = e == 0
        assert np.array_equal(np.signbit(a[zeros]), np.signbit(e[zeros])), (name, a, e)


@pytest.mark.parametrize("threshold", [1.0, 5.0, 17.0, 18.0, 20.0, 30.0])
def test_softplus_float32_above_its_threshold_is_x_as_pytorchs(threshold: float) -> None:
    """PyTorch's softplus is x above the threshold, with slope 1. In float32 with beta 1 and a
    threshold from 18 up chainrule computes the formula everywhere (its value rounds to x and
    its slope to 1 there); below 18 it must still choose per element."""
    x = np.concatenate([np.linspace(threshold - 4, threshold + 8, 2001), [threshold]])
    x = x.astype(np.float32)
    ours, theirs = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out = F(cr).softplus(ours, threshold=threshold)
    expected = F(torch).softplus(theirs, threshold=threshold)
    out.sum().backward()
    expected.sum().backward()
    above = x > threshold
    assert np.array_equal(out.detach().numpy()[above], x[above])
    assert (ours.grad.numpy()[above] == 1).all()
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-6)


@pytest.mark.parametrize("rows", [8, 64])
def test_log_softmax_of_one_element_rows_leaves_its_input_as_it_is(rows: int) -> None:
    """Found by the transform fuzzer (an unused log_softmax changed a hessian): on many short
    rows log_softmax works on a transposed copy, and for rows of one element the transpose
    was x itself, which it overwrote with zeros."""
    values = np.arange(float(rows)).reshape(rows, 1)
    x = cr.tensor(values, requires_grad=True)
    y = x.log_softmax(-1)
    assert np.array_equal(x.detach().numpy(), values)
    y.sum().backward()
    expected = torch.tensor(values, requires_grad=True)
    expected.log_softmax(-1).sum().backward()
    assert np.array_equal(y.detach().numpy(), expected.detach().log_softmax(-1).numpy())
    assert np.array_equal(x.grad.numpy(), expected.grad.numpy())


def _value_and_gradient(name: str, values: np.ndarray) -> list[np.ndarray]:
    x = cr.tensor(values, requires_grad=True)
    out = LARGE_ROWS[name](cr, x)
    (grad,) = cr.autograd.grad(out, x, grad_outputs=cr.tensor(np.cos(values) + 2))
    return [out.detach().numpy(), grad.numpy()]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", list(LARGE_ROWS))
def test_large_inputs_give_what_the_small_paths_give(name: str, dtype: str) -> None:
    values = np.random.default_rng(7).standard_normal((96, 100)) * 4
    values.ravel()[::7][: 11 * 40] = np.tile(SPECIAL, 40)  # each special point, spread out
    values = values.astype(dtype)
    by_rows = [_value_and_gradient(name, row) for row in values]
    expected = [np.stack([r[i] for r in by_rows]) for i in range(2)]
    transposed = np.ascontiguousarray(values.T).T
    for layout, given in (("C", values), ("transposed", transposed)):
        for what, ours, theirs in zip(
            ("value", "gradient"), _value_and_gradient(name, given), expected, strict=True
        ):
            assert ours.dtype == theirs.dtype, (name, layout, what)
            assert np.array_equal(ours, theirs, equal_nan=True), (name, layout, what)
            numbers = ~np.isnan(theirs)  # (a nan's sign bit is no answer)
            assert np.array_equal(np.signbit(ours[numbers]), np.signbit(theirs[numbers])), (
                name,
                layout,
                what,
            )
