"""``torch.nn.functional`` cases a differential survey of chainrule against PyTorch found
different: each runs the same code on both libraries and compares every returned tensor (value
with nans equal and the sign of zeros, dtype, shape), gradients included.

The rows cover edge values and options the layer tables do not: the slope gradient of prelu at
+inf and a 0-d prelu input, kl_div's target gradient where the target is 0, a linear bias that
broadcasts without being (out_features,), glu of an empty dimension, and alpha dropout asked for
``inplace`` on a leaf when it changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn.functional as F

NAN, INF = float("nan"), float("inf")


def _prelu_edges(lib: Any) -> tuple[Any, ...]:
    x = lib.tensor([[INF, -INF, NAN, -1.0], [2.0, INF, -0.5, 0.0]], requires_grad=True)
    w = lib.tensor([0.25], requires_grad=True)
    out = lib.nn.functional.prelu(x, w)
    out.sum().backward()
    return out, x.grad, w.grad


def _prelu_per_channel_edges(lib: Any) -> tuple[Any, ...]:
    x = lib.tensor([[[INF, -2.0], [3.0, -INF]], [[1.0, INF], [NAN, 0.5]]], requires_grad=True)
    w = lib.tensor([0.25, -0.5], requires_grad=True)
    out = lib.nn.functional.prelu(x, w)
    (out * lib.tensor([[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]])).sum().backward()
    return out, x.grad, w.grad


def _prelu_zero_dim(lib: Any) -> tuple[Any, ...]:
    x = lib.tensor(-1.5, requires_grad=True)
    w = lib.tensor([0.25], requires_grad=True)
    out = lib.nn.functional.prelu(x, w)
    out.backward()
    return out, x.grad, w.grad


def _kl_div_zero_target(reduction: str, log_target: bool = False) -> Callable[[Any], Any]:
    def run(lib: Any) -> tuple[Any, ...]:
        x = lib.tensor([[-1.0, 0.5, -2.0], [0.3, -0.1, 1.0]], dtype=lib.float64)
        t = lib.tensor([[0.0, 0.3, 0.0], [0.7, 0.0, 0.2]], dtype=lib.float64)
        x.requires_grad_()
        t.requires_grad_()
        out = lib.nn.functional.kl_div(x, t, reduction=reduction, log_target=log_target)
        (out * 1.5).sum().backward()
        return out, x.grad, t.grad

    return run


def _linear_bias(x_shape: tuple[int, ...], bias_shape: tuple[int, ...]) -> Callable[[Any], Any]:
    def run(lib: Any) -> tuple[Any, ...]:
        x = lib.linspace(-1.0, 1.3, int(np.prod(x_shape)), dtype=lib.float64).reshape(x_shape)
        w = lib.linspace(0.5, -0.5, 12, dtype=lib.float64).reshape(4, 3)
        b = lib.linspace(-2.0, 2.0, int(np.prod(bias_shape)), dtype=lib.float64)
        b = b.reshape(bias_shape)
        x, w, b = (t.requires_grad_() for t in (x, w, b))
        out = lib.nn.functional.linear(x, w, b)
        (out * out).sum().backward()
        return out, x.grad, w.grad, b.grad

    return run


def _glu_empty(dim: int) -> Callable[[Any], Any]:
    def run(lib: Any) -> tuple[Any, ...]:
        x = lib.ones(0, 4, dtype=lib.float64, requires_grad=True)
        out = lib.nn.functional.glu(x, dim)
        out.sum().backward()
        return out, x.grad

    return run


def _alpha_dropout_in_place(name: str, p: float, training: bool) -> Callable[[Any], Any]:
    def run(lib: Any) -> tuple[Any, ...]:
        x = lib.ones(2, 3, 2, requires_grad=True)
        out = getattr(lib.nn.functional, name)(x, p, training=training, inplace=True)
        return out, lib.tensor(out is x)

    return run


def _grads(fn: Callable[..., Any], data: Any, *args: Any, **kwargs: Any) -> Callable[[Any], Any]:
    """``fn(lib, x, ...)`` of a float64 ``x`` made from ``data``, its outputs and the gradient
    of their first one's sum (times 1, 2, 3, ... so each element's share shows)."""

    def run(lib: Any) -> tuple[Any, ...]:
        x = lib.tensor(data, dtype=lib.float64, requires_grad=True)
        out = fn(lib, x, *args, **kwargs)
        outs = out if isinstance(out, tuple) else (out,)
        first = outs[0]
        scale = lib.arange(1.0, first.numel() + 1, dtype=lib.float64).reshape(first.shape)
        (first * scale).sum().backward()
        return (*outs, x.grad)

    return run


def _margin(lib: Any, x: Any, p: int) -> Any:
    weight = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64)
    target = lib.tensor([0, 0, 1, 1, 2])
    return lib.nn.functional.multi_margin_loss(x, target, p=p, weight=weight, reduction="none")


def _hinge(lib: Any, x: Any) -> Any:
    target = lib.tensor([1.0, 1, 1, -1, -1, -1, -1, -1, -1], dtype=lib.float64)
    return lib.nn.functional.hinge_embedding_loss(x, target, reduction="none")


def _functional(name: str) -> Callable[..., Any]:
    return lambda lib, x, *args, **kwargs: getattr(lib.nn.functional, name)(x, *args, **kwargs)


MARGIN_EDGES = [[1.0, NAN, 3.0], [INF, 0.0, 1.0], [-INF, 1.0, 2.0], [0.0, INF, 0.0], [2.0, -1, NAN]]
HINGE_EDGES = [NAN, INF, -INF, NAN, INF, -INF, 0.5, 2.0, 1.0]
TIES = [[0.0, 1.0, 1.0], [1.0, 0.0, 0.0], [1.0, 2.0, 0.0], [0.5, 0.5, 0.5]]
# windows with two nans or more, whose last one PyTorch's adaptive and fractional pools pick
NANS = [[[[NAN, 1.0, NAN, 2.0], [2.0, NAN, 0.0, NAN], [NAN, 3.0, NAN, 1.0]]]]
SAMPLES = [[[0.3, 0.6]]]


def _fractional(lib: Any, x: Any, size: Any) -> Any:
    samples = lib.tensor(SAMPLES, dtype=lib.float64)
    if x.ndim == 5:
        samples = lib.tensor([[[0.3, 0.6, 0.2]]], dtype=lib.float64)
        return lib.nn.functional.fractional_max_pool3d(
            x, (1, 2, 2), output_size=size, return_indices=True, _random_samples=samples
        )
    return lib.nn.functional.fractional_max_pool2d(
        x, 2, output_size=size, return_indices=True, _random_samples=samples
    )


# row 0 is ignored (target -100) and has a nan logit, row 1 an infinite one
IGNORED_NAN = [[NAN, 1.0, 2.0], [INF, 0.0, 1.0], [1.0, 2.0, 3.0], [NAN, 1.0, 0.0]]


def _ignoring(
    name: str, reduction: str, weighted: bool, smoothing: float = 0.0
) -> Callable[..., Any]:
    def loss(lib: Any, x: Any) -> Any:
        kwargs: dict[str, Any] = {"label_smoothing": smoothing} if smoothing else {}
        if weighted:
            kwargs["weight"] = lib.tensor([1.0, 0.0, 2.0], dtype=lib.float64)
        target = lib.tensor([-100, 1, 2, 1])
        return getattr(lib.nn.functional, name)(x, target, reduction=reduction, **kwargs)

    return loss


# windows of -inf only at the padded border, where the padding (-inf too) must not win
NEG_INF = [-INF, -INF, 1.0, -INF, -INF, 2.0, -INF, -INF]


def _pool_of_neg_inf(shape: tuple[int, ...], **kwargs: Any) -> Callable[..., Any]:
    name = f"max_pool{len(shape) - 2}d"

    def pool(lib: Any, x: Any) -> Any:
        return getattr(lib.nn.functional, name)(x.reshape(shape), return_indices=True, **kwargs)

    return pool


INTEGERS = np.random.default_rng(0).integers(-9, 9, (2, 3, 5, 6, 4)).tolist()


def _integer_pool(name: str, dims: int, **kwargs: Any) -> Callable[[Any], Any]:
    """Average pooling of int64: PyTorch's means truncated toward zero, in int64."""

    def run(lib: Any) -> tuple[Any, ...]:
        x = lib.tensor(INTEGERS)
        x = x[0, :, 0] if dims == 1 else x[0] if dims == 2 else x
        return (getattr(lib.nn.functional, name)(x, **kwargs),)

    return run


CASES: dict[str, Callable[[Any], Any]] = {
    "prelu_slope_gradient_at_inf": _prelu_edges,
    "prelu_per_channel_slope_gradient_at_inf": _prelu_per_channel_edges,
    "prelu_zero_dim_input": _prelu_zero_dim,
    "kl_div_zero_target_sum": _kl_div_zero_target("sum"),
    "kl_div_zero_target_none": _kl_div_zero_target("none"),
    "kl_div_zero_target_batchmean": _kl_div_zero_target("batchmean"),
    "kl_div_log_target": _kl_div_zero_target("sum", log_target=True),
    "linear_bias_of_one": _linear_bias((2, 3), (1,)),
    "linear_bias_per_row": _linear_bias((2, 3), (2, 4)),
    "linear_bias_column": _linear_bias((2, 3), (2, 1)),
    "linear_bias_row_of_batch": _linear_bias((5, 2, 3), (2, 4)),
    "linear_bias_of_one_batched": _linear_bias((5, 2, 3), (1,)),
    "linear_bias_per_batch": _linear_bias((5, 2, 3), (5, 1, 4)),
    "linear_bias_of_one_unbatched": _linear_bias((3,), (1,)),
    "glu_empty_dimension": _glu_empty(0),
    "glu_empty_dimension_negative": _glu_empty(-2),
    "alpha_dropout_in_place_evaluation": _alpha_dropout_in_place("alpha_dropout", 0.3, False),
    "alpha_dropout_in_place_p_zero": _alpha_dropout_in_place("alpha_dropout", 0.0, True),
    "feature_alpha_dropout_in_place_evaluation": _alpha_dropout_in_place(
        "feature_alpha_dropout", 0.3, False
    ),
    "feature_alpha_dropout_in_place_p_zero": _alpha_dropout_in_place(
        "feature_alpha_dropout", 0.0, True
    ),
    "multi_margin_loss_nan_and_inf_scores": _grads(_margin, MARGIN_EDGES, 1),
    "multi_margin_loss_squared_nan_and_inf_scores": _grads(_margin, MARGIN_EDGES, 2),
    "hinge_embedding_loss_infinite_inputs": _grads(_hinge, HINGE_EDGES),
    "pdist_inf_norm_ties": _grads(_functional("pdist"), TIES, p=INF),
    "pdist_two_norm_control": _grads(_functional("pdist"), TIES),
    "pdist_inf_norm_nan": _grads(
        _functional("pdist"), [[1.0, NAN], [1.0, -3.0], [2.0, 0.5]], p=INF
    ),
    "adaptive_max_pool2d_nans": _grads(
        _functional("adaptive_max_pool2d"), NANS, 2, return_indices=True
    ),
    "adaptive_max_pool2d_nans_uneven_windows": _grads(
        _functional("adaptive_max_pool2d"), NANS, (2, 3), return_indices=True
    ),
    "adaptive_max_pool1d_nans": _grads(
        _functional("adaptive_max_pool1d"), NANS[0], 2, return_indices=True
    ),
    "adaptive_max_pool3d_nans": _grads(
        _functional("adaptive_max_pool3d"), [NANS], (1, 2, 2), return_indices=True
    ),
    "max_pool2d_nans_control": _grads(_functional("max_pool2d"), NANS, 2, return_indices=True),
    **{
        f"{name}_ignored_nan_row_{reduction}{'_weighted' * weighted}": _grads(
            _ignoring(name, reduction, weighted), IGNORED_NAN
        )
        for name in ("cross_entropy", "nll_loss")
        for reduction in ("none", "sum", "mean")
        for weighted in (False, True)
    },
    **{
        f"cross_entropy_smoothed_ignored_nan_row_{reduction}{'_weighted' * weighted}": _grads(
            _ignoring("cross_entropy", reduction, weighted, 0.3), IGNORED_NAN
        )
        for reduction in ("none", "sum", "mean")
        for weighted in (False, True)
    },
    "max_pool1d_padded_neg_inf": _grads(
        _pool_of_neg_inf((1, 2, 4), kernel_size=2, padding=1), NEG_INF
    ),
    "max_pool2d_padded_neg_inf": _grads(
        _pool_of_neg_inf((1, 2, 2, 2), kernel_size=2, padding=1, stride=1), NEG_INF
    ),
    "max_pool2d_padded_neg_inf_ceil_dilated": _grads(
        _pool_of_neg_inf((1, 1, 2, 4), kernel_size=2, padding=1, dilation=2, ceil_mode=True),
        NEG_INF,
    ),
    "max_pool3d_padded_neg_inf": _grads(
        _pool_of_neg_inf((1, 1, 2, 2, 2), kernel_size=2, padding=1, stride=2), NEG_INF
    ),
    "avg_pool1d_int64": _integer_pool("avg_pool1d", 1, kernel_size=3, stride=2, padding=1),
    "avg_pool1d_int64_real_count": _integer_pool(
        "avg_pool1d", 1, kernel_size=3, padding=1, count_include_pad=False, ceil_mode=True
    ),
    "avg_pool2d_int64": _integer_pool("avg_pool2d", 2, kernel_size=2),
    "avg_pool2d_int64_real_count": _integer_pool(
        "avg_pool2d", 2, kernel_size=3, stride=2, padding=1, count_include_pad=False
    ),
    "avg_pool2d_int64_divisor": _integer_pool(
        "avg_pool2d", 2, kernel_size=3, padding=1, divisor_override=4, ceil_mode=True, stride=2
    ),
    "avg_pool3d_int64": _integer_pool("avg_pool3d", 3, kernel_size=2),
    "avg_pool3d_int64_real_count": _integer_pool(
        "avg_pool3d", 3, kernel_size=3, stride=2, padding=1, count_include_pad=False
    ),
    "avg_pool3d_int64_divisor": _integer_pool(
        "avg_pool3d", 3, kernel_size=3, padding=1, divisor_override=5, ceil_mode=True, stride=2
    ),
    "fractional_max_pool2d_nans": _grads(_fractional, NANS, 2),
    "fractional_max_pool3d_nans": _grads(_fractional, [[[NANS[0][0], NANS[0][0]]]], (1, 1, 2)),
}


def _described(t: Any) -> tuple[str, tuple[int, ...], np.ndarray]:
    return str(t.dtype).split(".")[-1], tuple(t.shape), t.detach().numpy()


@pytest.mark.parametrize("name", CASES)
def test_functional_case_matches_pytorch(name: str) -> None:
    expected = CASES[name](torch)
    got = CASES[name](cr)
    assert len(got) == len(expected)
    for i, (e, g) in enumerate(zip(expected, got, strict=True)):
        assert (g is None) == (e is None), f"result {i}: {g} vs PyTorch's {e}"
        if e is None:
            continue
        e_dtype, e_shape, e_value = _described(e)
        g_dtype, g_shape, g_value = _described(g)
        assert (g_dtype, g_shape) == (e_dtype, e_shape), f"result {i}"
        np.testing.assert_allclose(g_value, e_value, rtol=1e-12, atol=0, err_msg=f"result {i}")
        zeros = e_value == 0  # the sign of each zero too (a nan's is meaningless)
        assert np.array_equal(np.signbit(g_value[zeros]), np.signbit(e_value[zeros])), (
            f"result {i} zeros"
        )


@pytest.mark.parametrize("dtype", ["int32", "uint8", "bool"])
@pytest.mark.parametrize("name", ["avg_pool1d", "avg_pool2d", "avg_pool3d"])
def test_average_pooling_refuses_other_integers_as_pytorch(name: str, dtype: str) -> None:
    shape = {"avg_pool1d": (2, 4), "avg_pool2d": (1, 2, 4), "avg_pool3d": (1, 2, 2, 4)}[name]
    with pytest.raises(NotImplementedError) as expected:
        getattr(torch.nn.functional, name)(torch.zeros(shape, dtype=getattr(torch, dtype)), 2)
    with pytest.raises(NotImplementedError) as got:
        getattr(F, name)(cr.zeros(shape, dtype=getattr(cr, dtype)), 2)
    assert str(got.value) == str(expected.value)
