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
    shapes, the names of named tuples' fields, or an exception of the same type."""
    expected, got = _run(torch, call, inputs), _run(cr, call, inputs)
    if isinstance(expected, Exception):
        assert isinstance(got, type(expected)), f"torch raised {expected!r}, chainrule {got!r}"
        return
    assert not isinstance(got, Exception), f"chainrule raised {got!r}; torch gave {expected}"
    assert getattr(expected, "_fields", None) == getattr(got, "_fields", None)
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
    for alias, name in ALIASES.items():
        if alias not in ("subtract", "true_divide", "concat"):
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
