"""Top-level functions where a differential survey against PyTorch 2.13 found a silent
difference (a value, dtype, shape or gradient) or a call PyTorch takes and chainrule refused.

Each row is ``(label, call, inputs)``: ``call(m, *tensors)`` runs with ``m`` the ``torch`` or
the ``chainrule`` module on tensors made from the NumPy ``inputs`` (float64 inputs require
gradients). The results must agree bit for bit (nan where nan, the sign of zeros), in dtype
and shape, or both raise the same exception type; then the gradients of the float results'
sum must agree the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr

NAN, INF = float("nan"), float("inf")
BOOLS = np.array([[True, False, True], [False, False, True]])
INTS = np.array([[-2, 0, 3], [1, -1, 5]])
SMALL_SV = np.array([[1.0, 0.0], [0.0, 1e-8]], np.float32)
SUBNORMAL = np.array([5e-324, 1e-310, -1e-310, 1e-300, -1e-300, 1e-9, 0.0, -0.0])
BIG = np.array([6e19, -6e19, 0.0])
NORMAL32 = (np.random.default_rng(0).standard_normal((20, 37)) * 3 + 1).astype(np.float32)
HALVES = np.array([-1.5, 0.0, 2.25, 0.5, -3.0, 1.0, -0.1, 7.5], np.float16)
ZEROS = np.array([-0.0, 0.0, -1e-320, 1e-320, -INF, INF])  # away from libm ulps
ZEROS = np.array([-0.0, 0.0, -1e-320, 1e-320, -INF, INF])  # away from libm ulps
LEADING_ZEROS = np.array([-0.0, -0.0, 1.5, -1.5, -0.0])
DIVIDENDS = np.array([-1.5, 0.0, -0.0, 2.25, 3.0, -3.0, 1.0, -1.0, INF, NAN, 0.5, -0.5])
DIVISORS = np.array([0.5, -2.0, 2.0, 0.75, -1.0, 1.0, INF, INF, 2.0, 1.0, -INF, INF])
VECTOR = np.array([0.5, -1.0, 0.0, 3.0])
BOUNDED = (np.array([-1.5, 0.0, 2.25, 3.0]), np.array([0.5, -1.0, 1.0, 0.5]), np.array(2.0))
X0 = np.array([0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 2.0, -0.0])
Y0 = np.array([-2.0, NAN, 0.0, 0.0, 0.5, INF, -1.0, -0.0])


def _grad_of(m: Any, y: Any, x: Any) -> Any:
    """The gradient of ``y.sum()`` by ``x``, recorded (its own gradient is the second order)."""
    return m.autograd.grad(y.sum(), x, create_graph=True)[0]


def _tensor(m: Any, x: Any) -> Any:
    if not isinstance(x, np.ndarray):
        return x
    return m.tensor(x, requires_grad=x.dtype == np.float64)


def _run(m: Any, call: Callable[..., Any], inputs: tuple[Any, ...]) -> tuple[Any, list[Any]]:
    tensors = [_tensor(m, x) for x in inputs]
    try:
        return call(m, *tensors), tensors
    except Exception as e:  # noqa: BLE001 - the exception type is what is compared
        return e, tensors


def _flat(result: Any) -> list[Any]:
    return [y for x in result for y in _flat(x)] if isinstance(result, tuple | list) else [result]


def _same_bits(expected: np.ndarray, got: np.ndarray, what: str) -> None:
    assert got.dtype == expected.dtype, (what, got.dtype, expected.dtype)
    assert got.shape == expected.shape, (what, got.shape, expected.shape)
    np.testing.assert_array_equal(got, expected, err_msg=what)  # nan where nan
    if expected.dtype.kind == "f":
        same = np.isnan(expected) | (np.signbit(got) == np.signbit(expected))
        assert same.all(), f"{what}: the sign of a zero differs: {got} vs {expected}"


def assert_same(call: Callable[..., Any], *inputs: Any) -> None:
    """``call`` gives the same on torch as on chainrule, bit for bit, with the same gradients
    of its float results' sum, or raises the same exception type."""
    expected, t_inputs = _run(torch, call, inputs)
    got, c_inputs = _run(cr, call, inputs)
    if isinstance(expected, Exception):
        assert isinstance(got, type(expected)), f"torch raised {expected!r}, chainrule {got!r}"
        return
    assert not isinstance(got, Exception), f"chainrule raised {got!r}; torch gave {expected}"
    e_flat, g_flat = _flat(expected), _flat(got)
    assert len(e_flat) == len(g_flat)
    for e, g in zip(e_flat, g_flat, strict=True):
        _same_bits(e.detach().numpy(), g.detach().numpy(), "value")
    pairs = zip(e_flat, g_flat, strict=True)
    differentiable = [(e, g) for e, g in pairs if e.requires_grad and e.is_floating_point()]
    if not differentiable:
        return
    sum(e.sum() for e, _ in differentiable).backward()
    sum(g.sum() for _, g in differentiable).backward()
    for t, c in zip(t_inputs, c_inputs, strict=True):
        if isinstance(t, torch.Tensor) and t.requires_grad:
            assert (t.grad is None) == (c.grad is None)
            if t.grad is not None:
                _same_bits(t.grad.numpy(force=True), c.grad.numpy(), "gradient")


CASES: list[tuple[str, Callable[..., Any], tuple[Any, ...]]] = [
    # A bool tensor to a Python int power is int64 (NumPy's bool ** int is int8), to a Python
    # bool power stays bool, and to a bool tensor power is refused; square is that pow.
    ("square_bool", lambda m, x: m.square(x), (BOOLS,)),
    ("square_bool_method", lambda m, x: x.square(), (BOOLS,)),
    ("square_bool_inplace", lambda m, x: x.square_(), (BOOLS,)),
    ("pow_bool_int", lambda m, x: x**2, (BOOLS,)),
    ("pow_bool_int_zero", lambda m, x: m.pow(x, 0), (BOOLS,)),
    ("pow_bool_true", lambda m, x: x**True, (BOOLS,)),
    ("pow_bool_false", lambda m, x: x**False, (BOOLS,)),
    ("pow_bool_bool_tensor", lambda m, x: m.pow(x, x), (BOOLS,)),
    ("pow_bool_number_bool_tensor", lambda m, x: m.pow(True, x), (BOOLS,)),
    ("pow_bool_float", lambda m, x: x**2.5, (BOOLS,)),
    ("pow_number_bool", lambda m, x: 2**x, (BOOLS,)),
    # xlogy's derivative by x is 0 where x is 0 and y <= 0 (log y is -inf or nan there), and
    # where the incoming gradient is 0 (unless y is nan).
    ("xlogy_grad_at_zero_x", lambda m, x, y: m.xlogy(x, y), (X0, Y0)),
    ("xlogy_grad_number_y", lambda m, x: m.xlogy(x, 0.0), (X0,)),
    ("xlogy_zero_cotangent", lambda m, x, y: m.xlogy(x, y) * 0, (X0, Y0)),
    ("xlogy_grad_float32", lambda m, x, y: m.xlogy(x.float(), y.float()), (X0, Y0)),
    ("xlogy_second_order", lambda m, x, y: _grad_of(m, m.xlogy(x, y), x), (X0, Y0)),
    ("xlogy_method", lambda m, x, y: x.xlogy(y), (X0, Y0)),
    # The gradient of the product of the whole tensor is 0 where two elements are 0, also
    # with an inf or nan among them; along a dim it is the product of the others.
    ("prod_two_zeros_and_nonfinite", lambda m, x: m.prod(x), (np.array([NAN, INF, -0.0, 0.0]),)),
    ("prod_dim_two_zeros", lambda m, x: m.prod(x, 1), (np.array([[NAN, 0, 0], [INF, 0, 2.0]]),)),
    ("prod_two_zeros_finite", lambda m, x: m.prod(x), (np.array([2.0, 0.0, -0.0, 3.0]),)),
    ("prod_one_zero_and_nan", lambda m, x: m.prod(x), (np.array([NAN, 0.0, 3.0]),)),
    ("prod_method_two_zeros", lambda m, x: x.prod(), (np.array([[NAN, 0.0], [0.0, 2.0]]),)),
    ("prod_dim_two_zeros_finite", lambda m, x: m.prod(x, 0), (np.array([2.0, 0.0, -0.0, 3.0]),)),
    # A bool tensor's sign is itself.
    ("sign_bool", lambda m, x: m.sign(x), (BOOLS,)),
    ("sgn_bool", lambda m, x: m.sgn(x), (BOOLS,)),
    ("sign_bool_method", lambda m, x: x.sign(), (BOOLS,)),
    # where with the condition alone is nonzero(condition, as_tuple=True).
    ("where_condition_alone", lambda m, x: m.where(x), (BOOLS,)),
    ("where_float_condition_alone", lambda m, x: m.where(x), (INTS.astype(np.float32),)),
    ("where_0d_condition_alone", lambda m, x: m.where(x), (np.array(0),)),
    ("where_input_without_other", lambda m, x: m.where(x, x), (BOOLS,)),
    # pinverse's rcond defaults to 1e-15 (linalg.pinv's default rtol drops a float32 matrix's
    # singular values below 1e-7 times the largest) and may be given by position.
    ("pinverse_float32_small_singular_value", lambda m, x: m.pinverse(x), (SMALL_SV,)),
    ("pinverse_method_float32", lambda m, x: x.pinverse(), (SMALL_SV,)),
    ("pinverse_rcond_by_position", lambda m, x: m.pinverse(x, 1e-5), (SMALL_SV,)),
    # lgamma at subnormal numbers is -log|x| (pi / sin(pi x) overflowed to inf).
    ("lgamma_subnormal", lambda m, x: m.lgamma(x), (SUBNORMAL,)),
    ("lgamma_subnormal_float32", lambda m, x: m.lgamma(x.float()), (SUBNORMAL * 1e270,)),
    # A float32 (float16) variance is accumulated in float64 (float32) and rounded once: the
    # std of numbers whose squares overflow is finite, and the last bits are PyTorch's.
    ("std_float32_squares_overflow", lambda m, x: m.std(x.float()), (BIG,)),
    ("std_float32_squares_overflow_grad", lambda m, x: m.std(x.float()).double(), (BIG,)),
    ("std_dim_float32_squares_overflow", lambda m, x: m.std(x.float(), 0), (BIG,)),
    ("std_mean_float32_squares_overflow", lambda m, x: m.std_mean(x.float()), (BIG,)),
    ("var_float32_overflows", lambda m, x: x.float().var(), (BIG,)),
    ("std_float16_squares_overflow", lambda m, x: x.half().std(), (BIG * 5e-18,)),
    ("var_float32_last_bits", lambda m, x: x.var(1), (NORMAL32,)),
    ("std_float32_last_bits", lambda m, x: x.std(0, correction=0), (NORMAL32,)),
    # A half's sinc, selu, celu and sigmoid are computed in float32 and rounded once.
    ("sinc_float16", lambda m, x: m.sinc(x), (HALVES,)),
    ("selu_float16", lambda m, x: m.selu(x), (HALVES,)),
    ("celu_float16", lambda m, x: m.celu(x, 0.7), (HALVES,)),
    ("sigmoid_float16", lambda m, x: m.sigmoid(x), (HALVES,)),
    (
        "sigmoid_float16_wide",
        lambda m, x: x.sigmoid(),
        (np.linspace(-12, 12, 2001, dtype=np.float16),),
    ),
    # The sign of zero: relu, erf, erfinv, selu and celu give -0 at -0 (and erf and erfinv
    # keep the sign of a result of 0).
    ("relu_signed_zeros", lambda m, x: m.relu(x), (ZEROS,)),
    ("relu_signed_zeros_float32", lambda m, x: m.relu(x.float()), (ZEROS,)),
    ("relu_inplace_signed_zeros", lambda m, x: m.relu_(x.float()), (ZEROS,)),
    ("erf_signed_zeros", lambda m, x: m.erf(x), (ZEROS,)),
    ("erf_signed_zeros_float32", lambda m, x: x.float().erf(), (ZEROS,)),
    ("erfinv_signed_zeros", lambda m, x: m.erfinv(x), (ZEROS,)),
    ("selu_signed_zeros", lambda m, x: m.selu(x), (ZEROS,)),
    ("celu_signed_zeros", lambda m, x: m.celu(x, 2.0), (ZEROS,)),
    # Running sums start at +0 (logcumsumexp at -inf): a leading -0 gives +0.
    ("cumsum_leading_negative_zeros", lambda m, x: m.cumsum(x, 0), (LEADING_ZEROS,)),
    ("cumsum_float32_dim1", lambda m, x: x.float().cumsum(1), (LEADING_ZEROS.reshape(1, -1),)),
    ("logcumsumexp_leading_negative_zero", lambda m, x: m.logcumsumexp(x, 0), (LEADING_ZEROS,)),
    ("cumulative_trapezoid_zeros", lambda m, x: m.cumulative_trapezoid(x), (LEADING_ZEROS,)),
    # A zero remainder has the sign of the dividend (C's fmod), not of the divisor.
    ("remainder_zero_signs", lambda m, a, b: m.remainder(a, b), (DIVIDENDS, DIVISORS)),
    ("remainder_zero_signs_float32", lambda m, a, b: a.float() % b.float(), (DIVIDENDS, DIVISORS)),
    ("remainder_by_number", lambda m, a: m.remainder(a, -1), (DIVIDENDS,)),
    ("remainder_of_number", lambda m, b: m.remainder(2.0, b.detach()), (DIVISORS,)),
    # diag and diagflat place the input on the diagonal (adding it to 0 lost a -0).
    ("diag_negative_zero", lambda m, x: m.diag(x), (np.array([-0.0, 1.0, NAN]),)),
    ("diagflat_negative_zero", lambda m, x: m.diagflat(x, 1), (np.array([-0.0, 1.0]),)),
    ("diag_method_below", lambda m, x: x.diag(-1), (np.array([-0.0, -2.0]),)),
    # trigamma (digamma's derivative) at -inf is nan.
    ("trigamma_at_minus_inf", lambda m, x: m.polygamma(1, x), (np.array([-INF, INF]),)),
    ("digamma_grad_at_minus_inf", lambda m, x: m.digamma(x), (np.array([-INF, INF]),)),
    # norm_except_dim of a vector along dim 0 is each element's norm (it was the whole norm).
    ("norm_except_dim_vector", lambda m, x: m.norm_except_dim(x, 2, 0), (VECTOR,)),
    ("norm_except_dim_vector_p0", lambda m, x: m.norm_except_dim(x.float(), 0, 0), (VECTOR,)),
    ("norm_except_dim_dim_out_of_range", lambda m, x: m.norm_except_dim(x, 2, 1), (VECTOR,)),
    ("norm_except_dim_matrix", lambda m, x: m.norm_except_dim(x, 3, 1), (VECTOR.reshape(2, 2),)),
    # A window's length may be a 0-d integer tensor (not a 1-element 1-D one, nor a float).
    ("hann_window_0d_length", lambda m: m.hann_window(m.tensor(4)), ()),
    (
        "bartlett_window_0d_int32_length",
        lambda m: m.bartlett_window(m.tensor(5, dtype=m.int32)),
        (),
    ),
    ("hann_window_1d_length", lambda m: m.hann_window(m.tensor([4])), ()),
    ("hann_window_float_length", lambda m: m.hann_window(m.tensor(4.0)), ()),
    # In-place ops record the tensors they read (clamp_'s bounds, divide_'s divisor): their
    # gradients were lost.
    ("clamp_inplace_tensor_bounds", lambda m, x, lo, hi: x.detach().clamp_(lo, hi), BOUNDED),
    ("clamp_inplace_function", lambda m, x, lo, hi: m.clamp_(x.detach().float(), lo), BOUNDED),
    ("clip_inplace_max_tensor", lambda m, x, lo, hi: x.detach().clip_(max=hi), BOUNDED),
    ("divide_inplace_tensor", lambda m, x, lo, hi: x.detach().divide_(lo), BOUNDED),
    ("remainder_int_by_float", lambda m: m.remainder(m.tensor([-2, 0, 4]), 2.0), ()),
]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy warns where results are nan
@pytest.mark.parametrize(("label", "call", "inputs"), CASES, ids=[c[0] for c in CASES])
def test_function_matches_torch_bit_for_bit(label: str, call: Callable[..., Any], inputs) -> None:
    assert_same(call, *inputs)
