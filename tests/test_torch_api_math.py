"""PyTorch's math functions and methods that chainrule added for issue 11 (aliases, one-sided
clamps, in-place forms, compositions, scans, statistics): the same call on torch and on
chainrule gives the same values, dtypes and shapes, and the same exception type.

Each case is ``(label, call, inputs)``: ``call(m, *tensors)`` runs with ``m`` the ``torch`` or
the ``chainrule`` module on tensors made from the NumPy ``inputs``. The differentiable functions
have their gradient rows in ``tests/op_table_api.py``; this file checks values and errors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import mpmath
import numpy as np
import pytest
import torch

import chainrule as cr

RNG = np.random.default_rng(17)
NAN, INF = float("nan"), float("inf")
EDGES = np.array([0.0, -0.0, 1.5, -2.25, NAN, INF, -INF])


def _tensor(m: Any, x: Any) -> Any:
    return m.tensor(x) if isinstance(x, np.ndarray) else x


def _run(m: Any, call: Callable[..., Any], inputs: tuple[Any, ...]) -> Any:
    try:
        return call(m, *(_tensor(m, x) for x in inputs))
    except Exception as e:  # noqa: BLE001 - the exception type is what is compared
        return e


def _flat(result: Any) -> list[Any]:
    return [y for x in result for y in _flat(x)] if isinstance(result, tuple | list) else [result]


def assert_same(call: Callable[..., Any], *inputs: Any) -> None:
    """``call`` gives the same on torch as on chainrule: values (nan where nan), dtypes,
    shapes, the named tuple's name, or an exception of the same type."""
    expected, got = _run(torch, call, inputs), _run(cr, call, inputs)
    if isinstance(expected, Exception):
        assert isinstance(got, type(expected)), f"torch raised {expected!r}, chainrule {got!r}"
        return
    assert not isinstance(got, Exception), f"chainrule raised {got!r}; torch gave {expected}"
    if isinstance(expected, tuple) and hasattr(expected, "indices"):  # torch.return_types
        assert type(got).__name__ == type(expected).__name__
        assert got.values is got[0] and got.indices is got[1]
    for e, g in zip(_flat(expected), _flat(got), strict=True):
        if not isinstance(e, torch.Tensor):
            assert e == g
            continue
        assert str(g.dtype).split(".")[-1] == str(e.dtype).split(".")[-1], (g.dtype, e.dtype)
        assert tuple(g.shape) == tuple(e.shape)
        atol = 1e-6 if e.dtype == torch.float32 else 1e-12  # float32 cancellation (1 - y*y)
        np.testing.assert_allclose(
            np.asarray(g.detach()), e.detach().numpy(), rtol=1e-6, atol=atol, equal_nan=True
        )


def normal(*shape: int, dtype: Any = np.float32) -> np.ndarray:
    return RNG.standard_normal(shape).astype(dtype)


# ----------------------------------------------------------------------------- aliases
ALIASES = {
    "absolute": "abs",
    "negative": "neg",
    "arcsin": "asin",
    "arccos": "acos",
    "arctan": "atan",
    "arcsinh": "asinh",
    "arccosh": "acosh",
    "arctanh": "atanh",
    "multiply": "mul",
    "divide": "div",
    "true_divide": "div",
    "subtract": "sub",
    "arctan2": "atan2",
    "concat": "cat",
}


@pytest.mark.parametrize("alias", ALIASES)
def test_alias_gives_what_torch_gives(alias: str) -> None:
    x = RNG.uniform(1.1, 1.9, (2, 3)).astype(np.float32)
    y = normal(3)
    binary = alias in ("multiply", "divide", "true_divide", "subtract", "arctan2")
    if alias == "concat":
        assert_same(lambda m, a, b: m.concat([a, b[None].expand(1, 3)], dim=0), x, y)
        return
    if binary:
        assert_same(lambda m, a, b: getattr(m, alias)(a, b), x, y)
        assert_same(lambda m, a, b: getattr(a, alias)(b), x, y)
        assert_same(lambda m, a, b: getattr(m, alias)(a, b), np.arange(6).reshape(2, 3), y)
    else:
        x = x - 1.5 if alias in ("arcsin", "arccos", "arctanh") else x
        assert_same(lambda m, a: getattr(m, alias)(a), x)
        assert_same(lambda m, a: getattr(a, alias)(), x)


def test_aliases_are_the_same_functions() -> None:
    # arctan2 refuses a number operand under its own name (arctan2(): argument 'other' ...)
    for alias, name in ALIASES.items():
        if alias not in ("subtract", "true_divide", "concat", "arctan2"):
            assert getattr(cr, alias) is getattr(cr, name), alias
    assert cr.concat is cr.cat


@pytest.mark.parametrize("alias", ["subtract", "divide"])
def test_subtract_alpha_and_divide_rounding_modes_match_torch(alias: str) -> None:
    x, y = normal(2, 3) * 4, normal(3) + 0.1
    if alias == "subtract":
        assert_same(lambda m, a, b: m.subtract(a, b, alpha=2.5), x, y)
        assert_same(lambda m, a, b: a.subtract(b, alpha=-1), x, y)
        return
    for mode in (None, "floor", "trunc"):
        assert_same(lambda m, a, b, r=mode: m.divide(a, b, rounding_mode=r), x, y)
        assert_same(lambda m, a, b, r=mode: a.divide(b, rounding_mode=r), np.arange(-3, 3), 2)
    assert_same(lambda m, a, b: m.divide(a, b, rounding_mode="round"), x, y)


def test_true_divide_of_integers_is_float() -> None:
    assert_same(lambda m, a, b: m.true_divide(a, b), np.arange(6), np.array([4]))
    assert_same(lambda m, a: m.true_divide(input=a, other=3), np.arange(6))


# ----------------------------------------------------------------------------- clamp_min/max
@pytest.mark.parametrize("side", ["clamp_min", "clamp_max"])
def test_one_sided_clamps_match_torch(side: str) -> None:
    x = np.concatenate([normal(5), EDGES.astype(np.float32)])
    assert_same(lambda m, a: getattr(m, side)(a, 0.25), x)
    assert_same(lambda m, a: getattr(a, side)(-0.5), x)
    assert_same(lambda m, a, b: getattr(m, side)(a, b), normal(2, 3), normal(3))
    assert_same(lambda m, a: getattr(m, side)(a, 2), np.arange(5))
    assert_same(lambda m, a: getattr(m, side)(a, 0.5), np.array([], np.float32))
    assert_same(lambda m, a: getattr(a, side + "_")(0.25), x)


def test_one_sided_clamps_pass_gradients_as_torch() -> None:
    x = np.array([-1.0, 0.25, 0.5, 2.0])
    for side in ("clamp_min", "clamp_max"):

        def call(m: Any, a: Any, side: str = side) -> Any:
            a = a.requires_grad_()
            getattr(m, side)(a, 0.25).sum().backward()
            return a.grad

        assert_same(call, x)


# ----------------------------------------------------------------------------- in place
UNARY_INPLACE = [
    "abs",
    "absolute",
    "neg",
    "negative",
    "sign",
    "square",
    "sqrt",
    "rsqrt",
    "reciprocal",
    "exp",
    "exp2",
    "expm1",
    "log",
    "log1p",
    "log2",
    "log10",
    "sigmoid",
    "tanh",
    "relu",
    "erf",
    "sin",
    "cos",
    "tan",
    "asin",
    "acos",
    "atan",
    "sinh",
    "cosh",
    "asinh",
    "acosh",
    "atanh",
    "floor",
    "ceil",
    "trunc",
    "frac",
    "round",
]


def _domain(name: str) -> np.ndarray:
    if name in ("asin", "acos", "atanh"):
        return RNG.uniform(-0.9, 0.9, (2, 3)).astype(np.float32)
    if name == "acosh":
        return RNG.uniform(1.1, 3.0, (2, 3)).astype(np.float32)
    if name in ("sqrt", "rsqrt", "log", "log1p", "log2", "log10"):
        return RNG.uniform(0.1, 3.0, (2, 3)).astype(np.float32)
    return normal(2, 3) * 2


@pytest.mark.parametrize("name", UNARY_INPLACE)
def test_inplace_unary_method_matches_its_function_and_torch(name: str) -> None:
    x = _domain(name)

    def call(m: Any, a: Any) -> Any:
        version = a._version
        out = getattr(a, name + "_")()
        assert out is a and a._version == version + 1
        return a

    assert_same(call, x)
    if name in ("asinh", "acosh", "atanh"):
        return  # PyTorch has no derivative for these three in place; chainrule uses the function's

    def recorded(m: Any, a: Any) -> Any:
        leaf = a.requires_grad_()
        b = leaf * 1.0
        getattr(b, name + "_")()
        b.sum().backward()
        return b, leaf.grad

    assert_same(recorded, x)


def test_inplace_unary_method_of_an_integer_tensor_keeps_or_refuses_the_dtype() -> None:
    for name in ("abs", "neg", "sign", "square", "floor"):
        assert_same(lambda m, a, n=name: getattr(a, n + "_")(), np.arange(-3, 3))
    for name in ("exp", "sqrt", "sigmoid"):
        assert_same(lambda m, a, n=name: getattr(a, n + "_")(), np.arange(-3, 3))


def test_inplace_on_a_leaf_that_requires_grad_is_refused_as_in_torch() -> None:
    assert_same(lambda m, a: a.requires_grad_().exp_(), normal(3))


def test_inplace_binary_methods_match_torch() -> None:
    x, y = normal(2, 3), normal(3) + 3.0
    assert_same(lambda m, a, b: a.pow_(b), np.abs(x), y)
    assert_same(lambda m, a: a.pow_(2), x)
    assert_same(lambda m, a, b: a.multiply_(b), x, y)
    assert_same(lambda m, a, b: a.divide_(b, rounding_mode="floor"), x, y)
    assert_same(lambda m, a, b: a.subtract_(b, alpha=2), x, y)
    assert_same(lambda m, a, b: a.true_divide_(b), x, y)
    assert_same(lambda m, a: a.clip_(-0.5, 0.5), x)
    assert_same(lambda m, a: a.round_(decimals=1), x)
    assert_same(lambda m, a, b: a.clamp_min_(b), x, y - 3)


# ----------------------------------------------------------------------------- combinations
def test_lerp_matches_torch_at_the_ends_edges_and_dtype_errors() -> None:
    a, b = np.array([1e8, -3.0, 0.0, NAN], np.float32), np.array([1.0, 2.0, INF, 1.0], np.float32)
    for w in (0.0, 0.25, 0.5, 1.0, -0.75, 2.0):
        assert_same(lambda m, x, y, w=w: m.lerp(x, y, w), a, b)
    assert_same(lambda m, x, y, w: x.lerp(y, w), a, b, np.array([0.0, 0.5, 1.0, -0.5], np.float32))
    assert_same(lambda m, x, y, w: m.lerp(x, y, w), a, b, np.array(0.7))  # 0-d float64 weight
    assert_same(lambda m, x, y, w: m.lerp(x, y, w), a, b, np.ones(4))  # float64 weight: refused
    assert_same(lambda m, x, y: m.lerp(x, y, 0.5), a, b.astype(np.float64))
    assert_same(lambda m, x, y: m.lerp(x, y, 0.5), np.arange(3), np.arange(3))
    assert_same(lambda m, x, y: m.lerp(x, y, 0.5), np.zeros((0, 2)), np.zeros(2))


def test_addcmul_and_addcdiv_match_torch_across_dtypes_and_values() -> None:
    x, a, b = normal(2, 3), normal(3), normal(2, 1) + 3
    integers = np.arange(3)
    for value in (1, 2, -0.5):
        for name in ("addcmul", "addcdiv"):
            assert_same(
                lambda m, x, a, b, n=name, v=value: getattr(m, n)(x, a, b, value=v), x, a, b
            )
        assert_same(lambda m, i, v=value: m.addcmul(i, i, i, value=v), integers)
        assert_same(lambda m, f, i, v=value: m.addcmul(f, i, i, value=v), x[0], integers)
    assert_same(lambda m, i: m.addcdiv(i, i, i), integers)  # integer division: refused
    assert_same(lambda m, f, i: m.addcdiv(f, i, i), x[0], integers)
    assert_same(lambda m, x, a, b: m.addcdiv(x, a, b), x, a, np.zeros(3, np.float32))


def test_inplace_combinations_match_torch_and_record_gradients() -> None:
    x, a, b = normal(2, 3), normal(3), normal(2, 1) + 3

    def optimizer_step(m: Any, p: Any, g: Any, v: Any) -> Any:
        avg, sq = m.zeros_like(p), m.zeros_like(p)
        avg.lerp_(g, 0.1)
        sq.mul_(0.999).addcmul_(g, g, value=0.001)
        return p.addcdiv_(avg, sq.sqrt().add_(1e-8), value=-0.01), avg, sq

    assert_same(optimizer_step, x, a + np.zeros((2, 3), np.float32), b)

    def recorded(m: Any, x: Any, a: Any, b: Any) -> Any:
        leaves = [t.requires_grad_() for t in (x, a, b)]
        y = leaves[0] * 1.0
        y.addcmul_(leaves[1], leaves[2], value=2).lerp_(leaves[1], leaves[2] - 3)
        y.addcdiv_(leaves[1], leaves[2]).sum().backward()
        return y, *(t.grad for t in leaves)

    assert_same(recorded, x, a, b)


ADD_PRODUCTS = [
    ("addmm", (2, 4), (2, 3), (3, 4)),
    ("addmm", (4,), (2, 3), (3, 4)),
    ("addmv", (2,), (2, 3), (3,)),
    ("addr", (2, 3), (2,), (3,)),
    ("baddbmm", (1, 3, 4), (2, 3, 2), (2, 2, 4)),
    ("addbmm", (3, 4), (2, 3, 2), (2, 2, 4)),
]


@pytest.mark.parametrize(("name", "x", "a", "b"), ADD_PRODUCTS)
def test_add_products_match_torch_with_scalars_nan_and_methods(name: str, x, a, b) -> None:
    inputs = normal(*x), normal(*a), normal(*b)
    for beta, alpha in ((1, 1), (0.5, -2), (0, 1), (2, 0)):
        call = lambda m, x, a, b, be=beta, al=alpha: getattr(m, name)(x, a, b, beta=be, alpha=al)  # noqa: E731
        assert_same(call, *inputs)
        assert_same(call, np.full(x, NAN, np.float32), *inputs[1:])  # beta = 0 drops the nan
        assert_same(lambda m, x, a, b, be=beta: getattr(x, name)(a, b, beta=be), *inputs)
        assert_same(lambda m, x, a, b, be=beta: getattr(x, name + "_")(a, b, beta=be), *inputs)
    integers = [np.arange(int(np.prod(s))).reshape(s) for s in (x, a, b)]
    assert_same(lambda m, x, a, b: getattr(m, name)(x, a, b, beta=0.5, alpha=2), *integers)
    assert_same(lambda m, x, a, b: getattr(m, name)(x, a, b), inputs[0].astype(float), *inputs[1:])
    assert_same(lambda m, x, a, b: getattr(m, name)(x, a, b), np.ones((5, 1, 1, 7)), *inputs[1:])


def test_add_products_beta_zero_gives_input_a_zero_gradient_as_torch() -> None:
    def call(m: Any, x: Any, a: Any, b: Any) -> Any:
        x.requires_grad_()
        m.addmm(x, a, b, beta=0).sum().backward()
        return x.grad

    assert_same(call, np.full((2, 1), NAN), normal(2, 3).astype(float), normal(3, 4).astype(float))


# ----------------------------------------------------------------------------- scans
def test_cumprod_matches_torch_in_values_dtypes_and_errors() -> None:
    x = np.array([[2.0, 0.0, 3.0], [NAN, 1.0, INF], [0.0, -0.0, 2.0]], np.float32)
    for dim in (0, 1, -1):
        assert_same(lambda m, a, d=dim: m.cumprod(a, d), x)
        assert_same(lambda m, a, d=dim: a.cumprod(dim=d), x)
    for integers in (np.arange(1, 6, dtype=np.int32), np.array([True, False, True])):
        assert_same(lambda m, a: m.cumprod(a, 0), integers)
    assert_same(lambda m, a: m.cumprod(a, 0, dtype=m.float64), np.arange(1, 5))
    assert_same(lambda m, a: m.cumprod(a, 0), np.array(2.5, np.float32))
    assert_same(lambda m, a: m.cumprod(a, 1), np.zeros((2, 0), np.float32))
    assert_same(lambda m, a: m.cumprod(a, 2), x)


def test_cumprod_gradients_with_zeros_match_torch_to_second_order() -> None:
    x = np.array([[2.0, 0.0, 3.0, 0.0, 5.0], [0.0, 2.0, 3.0, 4.0, 1.5], [1.0, 2.0, -1.0, 0.5, 0.0]])
    g = normal(3, 5).astype(float)

    def second(m: Any, a: Any, g: Any) -> Any:
        a.requires_grad_()
        (grad,) = m.autograd.grad((a.cumprod(1) * g).sum(), a, create_graph=True)
        (hessian_g,) = m.autograd.grad((grad * g).sum(), a)
        return grad, hessian_g

    assert_same(second, x, g)

    def forward_over_reverse(m: Any, a: Any, g: Any) -> Any:
        grad = lambda a: m.func.vjp(lambda a: a.cumprod(1), a)[1](g)[0]  # noqa: E731
        return m.func.jvp(grad, (a,), (g,))

    assert_same(forward_over_reverse, x, g)


RUNNING = [
    np.array([1.0, 3.0, 2.0, 3.0, 0.5, 3.0], np.float32),  # ties: the later index
    np.array([1.0, NAN, 2.0, NAN, 5.0], np.float32),  # from a nan on: the latest nan
    np.array([[2, 1, 2], [0, 5, 5]], np.int64),
    np.array([True, False, True, True]),
    np.array([-0.0, 0.0, -0.0], np.float32),
    np.array([-INF, INF, 1.0], np.float32),
    np.zeros((0, 3), np.float32),
    np.array(1.5, np.float32),
]


@pytest.mark.parametrize("name", ["cummax", "cummin"])
@pytest.mark.parametrize("x", RUNNING, ids=range(len(RUNNING)))
def test_cummax_and_cummin_match_torch_with_ties_nans_and_dtypes(name: str, x: Any) -> None:
    assert_same(lambda m, a: getattr(m, name)(a, 0), x)
    assert_same(lambda m, a: getattr(a, name)(dim=-1), x)
    if x.size:  # (PyTorch returns an empty tensor's empty results before checking dim)
        assert_same(lambda m, a: getattr(m, name)(a, 3), x)  # out of range


def test_cummax_prints_as_torch_and_sends_the_gradient_to_the_picked_elements() -> None:
    assert repr(cr.cummin(cr.tensor([2.0, 1.0]), 0)) == repr(
        torch.cummin(torch.tensor([2.0, 1.0]), 0)
    ).replace("torch", "chainrule")

    def call(m: Any, a: Any) -> Any:
        a.requires_grad_()
        values, _ = m.cummax(a, 1)
        (values * m.arange(1.0, 5.0)).sum().backward()
        return a.grad

    assert_same(call, np.array([[1.0, 3.0, 2.0, 5.0], [4.0, 1.0, 2.0, 3.0]]))


def test_logcumsumexp_matches_torch_over_a_wide_range_and_for_edges() -> None:
    x = np.array([-1000.0, 0.0, -INF, 50.0, 1000.0], np.float32)
    assert_same(lambda m, a: m.logcumsumexp(a, 0), x)
    assert_same(lambda m, a: a.logcumsumexp(0), np.array([-INF, -INF, 1.0, NAN, 2.0]))
    assert_same(lambda m, a: m.logcumsumexp(a, 1), np.zeros((2, 0)))
    assert_same(lambda m, a: m.logcumsumexp(a, 0), np.array(3.0))
    assert_same(lambda m, a: m.logcumsumexp(a, 0), np.arange(4))  # refused

    def gradient(m: Any, a: Any) -> Any:
        a.requires_grad_()
        (m.logcumsumexp(a, 0) * m.tensor([1.0, -2.0, 0.0, 3.0])).sum().backward()
        return a.grad

    assert_same(gradient, np.array([-300.0, 0.0, 20.0, 300.0]))


def test_logcumsumexp_forward_mode_is_right_where_pytorchs_loses_the_early_outputs() -> None:
    x = np.array([-30.0, 35.0, -20.0, 38.0])
    t = np.array([1.0, 2.0, -1.0, 0.5])
    _, tangent = cr.func.jvp(lambda a: a.logcumsumexp(0), (cr.tensor(x),), (cr.tensor(t),))
    step = 1e-6
    plus, minus = (np.logaddexp.accumulate(x + s * t) for s in (step, -step))
    np.testing.assert_allclose(tangent.numpy(), (plus - minus) / (2 * step), rtol=1e-6)


# ----------------------------------------------------------------------------- pointwise
F32 = np.concatenate([normal(6), EDGES]).astype(np.float32)
UNIT = np.array([0.0, 0.25, 0.5, 1.0, -0.5, 1.5, NAN], np.float32)
INTS = np.arange(-3, 4)
POINTWISE = [
    ("logaddexp", lambda m, a, b: m.logaddexp(a, b), (F32, F32[::-1].copy())),
    ("logaddexp2", lambda m, a, b: a.logaddexp2(b), (F32, F32[::-1].copy())),
    ("logaddexp_ints", lambda m, a, b: m.logaddexp(a, b), (INTS, INTS)),
    ("copysign", lambda m, a, b: m.copysign(a, b), (F32, F32[::-1].copy())),
    ("copysign_number", lambda m, a: a.copysign(-1), (F32,)),
    ("copysign_ints", lambda m, a, b: m.copysign(a, b), (INTS, -INTS)),
    ("xlogy", lambda m, a, b: m.xlogy(a, b), (F32, np.abs(F32[::-1]))),
    ("xlogy_numbers", lambda m, a: (m.xlogy(a, 3), m.xlogy(0, a), m.xlogy(2.0, a)), (F32,)),
    ("xlogy_ints", lambda m, a, b: m.xlogy(a, b), (INTS, np.abs(INTS))),
    ("logit", lambda m, a: (m.logit(a), a.logit(0.1), m.logit(a, eps=0.6)), (UNIT,)),
    ("logit_ints", lambda m, a: m.logit(a), (np.array([0, 1]),)),
    ("sinc", lambda m, a: (m.sinc(a), a.sinc()), (np.concatenate([F32, [1.0, -2.0]]),)),
    ("sinc_ints", lambda m, a: m.sinc(a), (INTS,)),
    ("deg2rad", lambda m, a: (m.deg2rad(a), a.rad2deg()), (F32 * 90,)),
    ("deg2rad_ints", lambda m, a: (m.deg2rad(a), m.rad2deg(a)), (INTS,)),
    ("deg2rad_float64", lambda m, a: (m.deg2rad(a), m.rad2deg(a)), (np.arange(5.0) * 45,)),
    ("sgn", lambda m, a: (m.sgn(a), a.sgn()), (F32,)),
    ("signbit", lambda m, a: (m.signbit(a), a.signbit()), (F32,)),
    ("signbit_ints", lambda m, a: m.signbit(a), (INTS,)),
    ("heaviside", lambda m, a, v: m.heaviside(a, v), (F32, np.float32([0.5]))),
    ("heaviside_dtypes", lambda m, a, v: a.heaviside(v), (F32, np.array([0.5]))),
    ("heaviside_ints", lambda m, a, v: m.heaviside(a, v), (INTS, np.array([7]))),
    ("fmax", lambda m, a, b: (m.fmax(a, b), a.fmin(b)), (F32, F32[::-1].copy())),
    ("fmax_ints", lambda m, a, b: (m.fmax(a, b), m.fmin(a, b)), (INTS, -INTS)),
    ("float_power", lambda m, a, b: m.float_power(a, b), (np.abs(F32), F32[::-1].copy())),
    ("float_power_ints", lambda m, a: (m.float_power(a, 2), a.float_power(-1)), (INTS,)),
    ("float_power_base", lambda m, a: m.float_power(2, a), (F32,)),
    ("nan_to_num", lambda m, a: (m.nan_to_num(a), a.nan_to_num(1.0, 2.0, -2.0)), (F32,)),
    ("nan_to_num_float64", lambda m, a: m.nan_to_num(a, posinf=1e300), (EDGES,)),
    ("nan_to_num_f32_overflow", lambda m, a: m.nan_to_num(a, posinf=1e300), (F32,)),
    ("nan_to_num_ints", lambda m, a: m.nan_to_num(a), (INTS,)),
    ("nan_to_num_", lambda m, a: a.nan_to_num_(neginf=0.0), (F32,)),
    ("empty", lambda m, a: (m.logaddexp(a, a), m.sinc(a), m.nan_to_num(a)), (F32[:0],)),
    ("zero_dim", lambda m, a: (m.xlogy(a, a), m.logit(a), m.copysign(a, a)), (np.array(0.5),)),
]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy warns where results are nan
@pytest.mark.parametrize(
    ("call", "inputs"), [p[1:] for p in POINTWISE], ids=[p[0] for p in POINTWISE]
)
def test_pointwise_functions_match_torch(call: Callable[..., Any], inputs: tuple[Any, ...]) -> None:
    assert_same(call, *inputs)


def test_pointwise_gradients_at_edges_match_torch() -> None:
    def grads(m: Any, a: Any, b: Any) -> Any:
        a.requires_grad_(), b.requires_grad_()
        out = m.logaddexp(a, b) + m.copysign(a, b) + m.xlogy(a, b.abs() + 1) + m.fmax(a, b)
        out = out + m.fmin(b, a) + m.nan_to_num(a) + m.sinc(a) + m.logit(a, 0.25)
        out.sum().backward()
        return a.grad, b.grad

    a = np.array([0.0, -0.0, 1.0, -2.0, 0.5, 3.0, NAN, 0.25])
    b = np.array([0.0, 1.0, 1.0, NAN, -0.5, -3.0, 2.0, 0.25])
    assert_same(grads, a, b)


# ----------------------------------------------------------------------------- reductions
REDUCTIONS = [
    ("nansum", lambda m, a: (m.nansum(a), a.nansum(1), m.nansum(a, (0, 1), keepdim=True))),
    ("nansum_dtype", lambda m, a: m.nansum(a, dtype=m.float64)),
    ("nanmean", lambda m, a: (m.nanmean(a), a.nanmean(0), m.nanmean(a, 1, True))),
    (
        "count_nonzero",
        lambda m, a: (m.count_nonzero(a), a.count_nonzero(0), m.count_nonzero(a, (0, 1))),
    ),
]
MATRICES = {
    "nans": np.array([[1.0, NAN, 3.0], [NAN, NAN, NAN], [0.0, -0.0, INF]], np.float32),
    "ints": np.array([[1, 0, 3], [0, 0, 2]]),
    "bools": np.array([[True, False], [False, False]]),
    "empty": np.zeros((0, 3), np.float32),
}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize(("call"), [r[1] for r in REDUCTIONS], ids=[r[0] for r in REDUCTIONS])
@pytest.mark.parametrize("x", MATRICES.values(), ids=MATRICES)
def test_nan_reductions_and_counts_match_torch(call: Callable[..., Any], x: np.ndarray) -> None:
    assert_same(call, x)


def test_nan_reductions_give_nans_a_zero_gradient_as_torch() -> None:
    def call(m: Any, a: Any) -> Any:
        a.requires_grad_()
        (m.nansum(a, 0) + m.nanmean(a, 0)).sum().backward()
        return a.grad

    assert_same(call, MATRICES["nans"].astype(float))


# ----------------------------------------------------------------------------- diff
DIFFS = [
    ("default", lambda m, a: (m.diff(a), a.diff(dim=0))),
    ("orders", lambda m, a: (m.diff(a, 0), m.diff(a, 2, 0), a.diff(n=3), m.diff(a, 9))),
    ("prepend_append", lambda m, a: m.diff(a, 1, -1, prepend=a[:, :1], append=a)),
    ("negative_order", lambda m, a: m.diff(a, -1)),
    ("bad_dim", lambda m, a: m.diff(a, dim=2)),
    ("zero_dim", lambda m, a: m.diff(a[0, 0])),
]
DIFF_INPUTS = {
    "floats": np.array([[1.0, 4.0, NAN, 16.0], [INF, 2.0, 2.0, -1.0]], np.float32),
    "ints": np.array([[1, 4, 9, 16], [0, 2, 2, -1]]),
    "bools": np.array([[True, True, False, True], [False, True, True, True]]),
}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("call", [d[1] for d in DIFFS], ids=[d[0] for d in DIFFS])
@pytest.mark.parametrize("x", DIFF_INPUTS.values(), ids=DIFF_INPUTS)
def test_diff_matches_torch(call: Callable[..., Any], x: np.ndarray) -> None:
    assert_same(call, x)


# ----------------------------------------------------------------------------- special
SPECIAL_INPUTS = np.concatenate(
    [np.linspace(-7.7, 30.0, 97), [0.0, -0.0, -1.0, -2.0, 1.0, 2.0, 1e-8, -1e-8, 1e10]]
)
SPECIAL_EDGES = np.array([INF, -INF, NAN, 0.5])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("name", ["erfc", "lgamma", "digamma"])
def test_special_functions_match_torch_with_poles_and_edges(name: str) -> None:
    for x in (SPECIAL_INPUTS, SPECIAL_EDGES, SPECIAL_INPUTS.astype(np.float32), np.arange(-2, 4)):
        assert_same(lambda m, a: (getattr(m, name)(a), getattr(a, name)()), x)
    assert_same(lambda m, a: getattr(a, name + "_")(), SPECIAL_EDGES)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_erfinv_matches_torch_to_the_ends_of_its_domain() -> None:
    y = np.concatenate([np.linspace(-1, 1, 101), [1 - 1e-12, -1 + 1e-15, 1.5, -2, NAN, 1e-20]])
    assert_same(lambda m, a: (m.erfinv(a), a.erfinv()), y)
    assert_same(lambda m, a: m.erfinv(a), y.astype(np.float32))
    assert_same(lambda m, a: m.erfinv(a), np.array([-1, 0, 1]))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_polygamma_matches_torch_off_its_poles_and_refuses_negative_orders() -> None:
    x = SPECIAL_INPUTS[(np.floor(SPECIAL_INPUTS) != SPECIAL_INPUTS) | (SPECIAL_INPUTS > 0)]
    for n in (1, 2, 3):
        assert_same(lambda m, a, n=n: (m.polygamma(n, a), a.polygamma(n)), x)
    assert_same(lambda m, a: m.polygamma(-1, a), x)


def test_special_functions_are_accurate_to_double_precision() -> None:
    """Against mpmath (SymPy's, in the test extras): chainrule's are within a few ulps where
    PyTorch's trigamma is off by ~1e-10."""
    x = np.array([-7.25, -3.5, -0.5, 1e-3, 0.3, 1.5, 2.5, 9.9, 11.7, 25.0, 1e5])
    cases = {
        "lgamma": (cr.lgamma, lambda v: mpmath.loggamma(v).real, 2e-13),
        "digamma": (cr.digamma, lambda v: mpmath.digamma(v), 2e-13),
        "trigamma": (lambda t: cr.polygamma(1, t), lambda v: mpmath.polygamma(1, v), 2e-13),
        "polygamma3": (lambda t: cr.polygamma(3, t), lambda v: mpmath.polygamma(3, v), 2e-13),
        "erfc": (cr.erfc, lambda v: mpmath.erfc(v), 1e-10),  # 1 - erf(x) for 0.5 < x < 3
    }
    for name, (ours, exact, rtol) in cases.items():
        expected = np.array([float(exact(mpmath.mpf(float(v)))) for v in x])
        np.testing.assert_allclose(ours(cr.tensor(x)).numpy(), expected, rtol=rtol, err_msg=name)
    y = np.array([-0.999999, -0.5, 1e-10, 0.3, 0.9, 0.999, 1 - 1e-12])
    expected = np.array([float(mpmath.erfinv(mpmath.mpf(float(v)))) for v in y])
    np.testing.assert_allclose(cr.erfinv(cr.tensor(y)).numpy(), expected, rtol=1e-13)


# ----------------------------------------------------------------------------- products
PRODUCTS = [
    ("vdot", lambda m, a, b: m.vdot(a[0], b[0]), (normal(2, 3), normal(2, 3))),
    ("vdot_2d", lambda m, a, b: m.vdot(a, b), (normal(2, 3), normal(2, 3))),
    (
        "inner",
        lambda m, a, b: (m.inner(a, b), a.inner(b[0]), m.inner(a[0, 0], b)),
        (normal(2, 3), normal(4, 3)),
    ),
    ("inner_mismatch", lambda m, a, b: m.inner(a, b), (normal(2, 3), normal(3, 2))),
    (
        "tensordot",
        lambda m, a, b: (m.tensordot(a, b, 1), m.tensordot(a, b, dims=0).shape),
        (normal(2, 3), normal(3, 4)),
    ),
    (
        "tensordot_lists",
        lambda m, a, b: m.tensordot(a, b, ([0, 1], [1, 0])),
        (normal(2, 3), normal(3, 2)),
    ),
    ("tensordot_mismatch", lambda m, a, b: m.tensordot(a, b, 1), (normal(2, 3), normal(4, 3))),
    (
        "tensordot_dtypes",
        lambda m, a, b: m.tensordot(a, b, 1),
        (normal(2, 3), normal(3, 2).astype(float)),
    ),
    ("kron", lambda m, a, b: (m.kron(a, b), a.kron(b[0])), (normal(2, 3), normal(2, 2))),
    ("kron_ints", lambda m, a, b: m.kron(a, b), (np.arange(4).reshape(2, 2), np.arange(3))),
    ("cross", lambda m, a, b: (m.cross(a, b, dim=1), a.cross(b, -1)), (normal(4, 3), normal(1, 3))),
    ("cross_size", lambda m, a, b: m.cross(a, b, dim=0), (normal(4, 3), normal(4, 3))),
    ("cross_ndim", lambda m, a, b: m.cross(a, b, dim=-1), (normal(4, 3), normal(3))),
    (
        "cdist",
        lambda m, a, b: (m.cdist(a, b), m.cdist(a, b, p=1), m.cdist(a, b, 0.5)),
        (normal(3, 2), normal(5, 2)),
    ),
    (
        "cdist_inf_zero",
        lambda m, a, b: (m.cdist(a, b, float("inf")), m.cdist(a, a, 0)),
        (normal(2, 4, 2), normal(1, 3, 2)),
    ),
    ("cdist_columns", lambda m, a, b: m.cdist(a, b), (normal(3, 2), normal(3, 3))),
    ("cdist_negative_p", lambda m, a, b: m.cdist(a, b, -1), (normal(3, 2), normal(3, 2))),
    (
        "cov",
        lambda m, a: (m.cov(a), a.cov(correction=0), m.cov(a[0]), m.corrcoef(a)),
        (normal(3, 6),),
    ),
    ("cov_one_observation", lambda m, a: (m.cov(a[:, :1]), m.corrcoef(a[0])), (normal(3, 6),)),
    ("cov_ints", lambda m, a: (m.cov(a), m.corrcoef(a)), (np.array([[1, 2, 4], [3, 1, 0]]),)),
    (
        "cov_weights",
        lambda m, a, f, w: (
            m.cov(a, fweights=f),
            m.cov(a, aweights=w),
            m.cov(a, correction=2, fweights=f, aweights=w),
        ),
        (normal(2, 4), np.array([1, 2, 0, 3]), np.float32([0.5, 1, 2, 1])),
    ),
    (
        "cov_float_fweights",
        lambda m, a, f: m.cov(a, fweights=f),
        (normal(2, 4), np.float32([1, 2, 0, 3])),
    ),
]


@pytest.mark.filterwarnings("ignore::RuntimeWarning", "ignore::UserWarning")
@pytest.mark.parametrize(
    ("call", "inputs"), [p[1:] for p in PRODUCTS], ids=[p[0] for p in PRODUCTS]
)
def test_products_and_statistics_match_torch(
    call: Callable[..., Any], inputs: tuple[Any, ...]
) -> None:
    assert_same(call, *inputs)


def test_cross_without_dim_takes_the_first_dimension_of_size_three_and_warns() -> None:
    a, b = normal(3, 2), normal(3, 2)
    with pytest.warns(UserWarning, match="without specifying the dim arg is deprecated"):
        assert_same(lambda m, x, y: m.cross(x, y), a, b)
    with pytest.warns(UserWarning):
        assert_same(lambda m, x, y: m.cross(x, y), normal(2, 4), normal(2, 4))


def test_cdist_gradient_at_a_zero_distance_is_zero_as_in_torch() -> None:
    def call(m: Any, a: Any, b: Any) -> Any:
        a.requires_grad_(), b.requires_grad_()
        m.cdist(a, b).sum().backward()
        return a.grad, b.grad

    x = normal(3, 2).astype(float)
    assert_same(call, x, x[:2].copy())


# ----------------------------------------------------------------------------- order statistics
ORDERED = {
    # (not a row of NaNs only: which of them PyTorch's partial sort picks is unspecified)
    "nans": np.array([[3.0, NAN, 1.0, NAN], [4.0, 1.0, 2.0, 3.0], [NAN, 5.0, NAN, NAN]]),
    "ties": np.array([[5.0, 1.0, 5.0, 1.0, 3.0], [2.0, 2.0, 2.0, 1.0, 1.0]], np.float32),
    "ints": np.array([[1, 2, 9], [3, 4, 4]]),
    "inf": np.array([[-INF, 0.0, -0.0, INF]], np.float32),
    "zero_dim": np.array(3.5),
    "empty_rows": np.zeros((0, 3), np.float32),
}
ORDER_CALLS = [
    ("median_dim", lambda m, a: (m.median(a, -1), a.median(0, keepdim=True))),
    ("nanmedian_dim", lambda m, a: (m.nanmedian(a, -1), a.nanmedian(dim=0))),
    ("median_all", lambda m, a: (m.median(a), a.nanmedian())),
    ("kthvalue", lambda m, a: (m.kthvalue(a, 1), a.kthvalue(1, 0, True))),
    ("kthvalue_out_of_range", lambda m, a: m.kthvalue(a, 99)),
]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("call", [c[1] for c in ORDER_CALLS], ids=[c[0] for c in ORDER_CALLS])
@pytest.mark.parametrize("x", ORDERED.values(), ids=ORDERED)
def test_order_statistics_match_torch_with_nans_ties_and_dtypes(
    call: Callable[..., Any], x: Any
) -> None:
    assert_same(call, x)


def test_median_along_a_dim_sends_the_gradient_to_the_picked_element_as_torch() -> None:
    def call(m: Any, a: Any) -> Any:
        a.requires_grad_()
        (m.median(a, 1).values.sum() + m.kthvalue(a, 2, 0).values.sum()).backward()
        return a.grad

    assert_same(call, np.array([[1.0, 2.0, 2.0, 3.0, 2.0], [4.0, 0.0, 1.0, 7.0, 5.0]]))


# ----------------------------------------------------------------------------- searching
SEQUENCE = np.array([1.0, 3.0, 3.0, 5.0, INF], np.float32)
SEARCHES = [
    (
        "searchsorted",
        lambda m, s, v: (m.searchsorted(s, v), m.searchsorted(s, v, right=True)),
        (SEQUENCE, np.float32([[0, 3, 4], [5, 9, -INF]])),
    ),
    (
        "searchsorted_side",
        lambda m, s, v: (m.searchsorted(s, v, side="right"), m.searchsorted(s, v, out_int32=True)),
        (SEQUENCE, np.float32([3, 6])),
    ),
    ("searchsorted_number", lambda m, s: m.searchsorted(s, 3), (SEQUENCE,)),
    (
        "searchsorted_rows",
        lambda m, s, v: m.searchsorted(s, v),
        (np.float32([[1, 3, 5], [2, 4, 6]]), np.float32([[3, 6], [0, 4]])),
    ),
    (
        "searchsorted_bad_rows",
        lambda m, s, v: m.searchsorted(s, v),
        (np.float32([[1, 3, 5], [2, 4, 6]]), np.float32([3, 6])),
    ),
    (
        "searchsorted_opposites",
        lambda m, s, v: m.searchsorted(s, v, side="left", right=True),
        (SEQUENCE, np.float32([3])),
    ),
    (
        "searchsorted_sorter",
        lambda m, s, o, v: m.searchsorted(s, v, sorter=o),
        (np.float32([5, 1, 3]), np.array([1, 2, 0]), np.float32([2, 5])),
    ),
    (
        "searchsorted_ints",
        lambda m, s, v: m.searchsorted(s, v),
        (np.arange(0, 10, 2), np.array([3, 4, 11])),
    ),
    (
        "bucketize",
        lambda m, v, b: (m.bucketize(v, b), m.bucketize(v, b, right=True, out_int32=True)),
        (np.float32([[0, 3], [4, 9]]), SEQUENCE),
    ),
    ("bucketize_number", lambda m, b: m.bucketize(3, b), (SEQUENCE,)),
    ("bucketize_2d", lambda m, v, b: m.bucketize(v, b), (np.float32([3]), np.float32([[1, 3, 5]]))),
    ("bincount", lambda m, x: (m.bincount(x), x.bincount(minlength=8)), (np.array([0, 2, 2, 5]),)),
    (
        "bincount_weights",
        lambda m, x, w: (m.bincount(x, w), m.bincount(x, w.double()), m.bincount(x, x)),
        (np.array([0, 2, 2]), np.float32([0.5, 1, 2])),
    ),
    ("bincount_empty", lambda m, x: m.bincount(x, minlength=3), (np.array([], np.int64),)),
    ("bincount_negative", lambda m, x: m.bincount(x), (np.array([-1, 2]),)),
    ("bincount_float", lambda m, x: m.bincount(x), (np.float32([1, 2]),)),
    ("bincount_2d", lambda m, x: m.bincount(x), (np.array([[1, 2]]),)),
    (
        "bincount_weights_length",
        lambda m, x, w: m.bincount(x, w),
        (np.array([1, 2]), np.float32([1])),
    ),
    ("histc", lambda m, x: (m.histc(x, 4), x.histc(bins=3, min=-1, max=1)), (normal(20),)),
    ("histc_point", lambda m, x: m.histc(x, bins=4), (np.float32([2, 2]),)),
    (
        "histc_range_nan",
        lambda m, x: (m.histc(x, 3, 0, 4), m.histc(x, 3)),
        (np.float32([1, 2, 3, NAN]),),
    ),
    ("histc_inf", lambda m, x: m.histc(x, 3), (np.float32([1, 2, INF]),)),
    ("histc_reversed", lambda m, x: m.histc(x, 3, min=3, max=1), (np.float32([1, 2, 3]),)),
    ("histc_ints", lambda m, x: m.histc(x, 3), (np.array([1, 2, 3]),)),
    (
        "histc_float64_edges",
        lambda m, x: m.histc(x, 5, 0, 1),
        (np.array([0.0, 0.2, 0.4, 1.0, 1.5, -0.1]),),
    ),
]


@pytest.mark.parametrize(
    ("call", "inputs"), [s[1:] for s in SEARCHES], ids=[s[0] for s in SEARCHES]
)
def test_searching_and_counting_match_torch(
    call: Callable[..., Any], inputs: tuple[Any, ...]
) -> None:
    assert_same(call, *inputs)


QUANTILE_INPUT = np.array([[0.3, -1.2, 2.5, NAN, 0.0], [1.0, 4.0, -2.0, 0.5, 3.0]], np.float32)


@pytest.mark.parametrize("interpolation", ["linear", "lower", "higher", "midpoint", "nearest"])
@pytest.mark.parametrize("dim", [None, 0, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_quantile_and_nanquantile_match_torch(interpolation: str, dim: Any, keepdim: bool) -> None:
    for name in ("quantile", "nanquantile"):
        for q in (0.3, np.float32([0.0, 0.5, 0.75, 1.0])):

            def call(m: Any, a: Any, n: str = name, q: Any = q) -> Any:
                qs = m.tensor(q) if isinstance(q, np.ndarray) else q
                return getattr(m, n)(a, qs, dim, keepdim, interpolation=interpolation)

            assert_same(call, QUANTILE_INPUT)


QUANTILE_ERRORS = [
    ("q_range", lambda m, a: m.quantile(a, 1.5)),
    ("q_dtype", lambda m, a: m.quantile(a, m.tensor([0.5], dtype=m.float64))),
    ("q_2d", lambda m, a: m.quantile(a, m.tensor([[0.5]]))),
    ("interpolation", lambda m, a: m.quantile(a, 0.5, interpolation="cubic")),
    ("ints", lambda m, a: m.quantile(a.long(), 0.5)),
    ("empty", lambda m, a: m.quantile(a[:, :0], 0.5, 1)),
    ("all_nan_row", lambda m, a: m.nanquantile(a * NAN, 0.5, 1)),
    ("zero_dim", lambda m, a: (m.quantile(a[0, 0], 0.5), m.quantile(a[0, 0], 0.5, 0, True))),
]


@pytest.mark.parametrize(
    "call", [e[1] for e in QUANTILE_ERRORS], ids=[e[0] for e in QUANTILE_ERRORS]
)
def test_quantile_edges_and_errors_match_torch(call: Callable[..., Any]) -> None:
    assert_same(call, QUANTILE_INPUT[1:])


def test_math_constants_are_pythons_floats_as_in_torch() -> None:
    for name in ("e", "inf", "nan", "pi"):
        ours, theirs = getattr(cr, name), getattr(torch, name)
        assert type(ours) is type(theirs) is float
        assert ours == theirs or (ours != ours and theirs != theirs), name


# (equation, operand shapes): einsum calls PyTorch refuses or takes at the edges of its
# equation syntax; each must give PyTorch's shape, or its error type and message.
EINSUM_EDGES = [
    ("ij,jk->il", [(2, 3), (3, 4)]),  # an output subscript no operand has
    ("ij,jk", [(2, 3), (4, 4)]),  # sizes that do not broadcast
    ("ij->ii", [(2, 2)]),  # an output subscript twice
    ("i...,i...->i", [(2, 3), (2, 4)]),  # ellipsis dimensions that do not broadcast
    ("ij", [(2, 3, 4)]),  # too few subscripts, no ellipsis
    ("ijk...", [(2, 3)]),  # more subscripts than dimensions
    ("ab,ab->", [(2, 3)]),  # fewer operands than the equation names
    ("ab", [(2, 3), (2, 3)]),  # more
    ("a->A", [(2,)]),
    ("a1", [(2, 2)]),  # not a letter
    ("a-b", [(2, 2)]),
    ("a->a->a", [(2,)]),  # the second arrow is two bad subscripts
    ("aé", [(2, 2)]),
    ("a......", [(2,)]),  # a second ellipsis
    ("...a...", [(2,)]),
    ("a.b", [(2, 2)]),  # a dot outside an ellipsis
    ("..i", [(2,)]),
    ("ab->a.", [(2, 2)]),
    ("ab->...a...", [(2, 3)]),
    ("ii->i", [(2, 3)]),  # a repeated subscript over two sizes
    ("a->...", [(2,)]),  # taken: an ellipsis of no dimensions
    ("i,i->", [(2,), (1,)]),  # taken: size 1 broadcasts
    ("a b->b", [(2, 3)]),  # taken: spaces
    ("...ij,...jk", [(2, 3), (5, 3, 4)]),
]


@pytest.mark.parametrize(("equation", "shapes"), EINSUM_EDGES, ids=[e for e, _ in EINSUM_EDGES])
def test_einsum_takes_and_refuses_equations_as_torch(equation: str, shapes: list) -> None:
    def outcome(lib: Any) -> Any:
        try:
            return tuple(lib.einsum(equation, *[lib.ones(s) for s in shapes]).shape)
        except Exception as error:  # noqa: BLE001 - compared with PyTorch's
            return type(error).__name__, str(error)

    assert outcome(cr) == outcome(torch)
