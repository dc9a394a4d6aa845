"""PyTorch's set-like and counting functions that chainrule added for issue 11 (``unique``,
``unique_consecutive``, ``isin``, ``argwhere``, ``mode``, ``aminmax``, ``cartesian_prod``,
``combinations`` and the others of ``ops/sets.py`` and ``ops/more_math.py``): the same call on
torch and on chainrule gives the same values (exactly: these pick, count and index), dtypes,
shapes and named-tuple fields, or an exception of the same type; and PyTorch-doc snippets
print the same under both.

Each case is ``(label, call, inputs)``: ``call(m, *tensors)`` runs with ``m`` the ``torch`` or
the ``chainrule`` module on tensors made from the NumPy ``inputs``. The differentiable functions
have their gradient rows in ``tests/op_table_sets.py``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from test_torch_snippets import run

import chainrule as cr

RNG = np.random.default_rng(19)
NAN, INF = float("nan"), float("inf")
EDGES = np.array([3.0, NAN, 1.0, NAN, 3.0, -0.0, 0.0, INF, -INF, 1.0], dtype=np.float32)


def _tensor(m: Any, x: Any) -> Any:
    return m.tensor(x) if isinstance(x, np.ndarray) else x


def _run(m: Any, call: Callable[..., Any], inputs: tuple[Any, ...]) -> Any:
    try:
        return call(m, *(_tensor(m, x) for x in inputs))
    except Exception as e:  # noqa: BLE001 - the exception type is what is compared
        return e


def _flat(result: Any) -> list[Any]:
    return [y for x in result for y in _flat(x)] if isinstance(result, tuple | list) else [result]


def assert_same(call: Callable[..., Any], *inputs: Any, rtol: float = 0.0) -> None:
    """``call`` gives the same on torch as on chainrule: the same values (exactly, unless
    ``rtol``; NaN where NaN, the sign of a zero), dtypes, shapes, the kind of tuple and a named
    tuple's fields, or an exception of the same type."""
    expected, got = _run(torch, call, inputs), _run(cr, call, inputs)
    if isinstance(expected, Exception):
        assert isinstance(got, type(expected)), f"torch raised {expected!r}, chainrule {got!r}"
        return
    assert not isinstance(got, Exception), f"chainrule raised {got!r}; torch gave {expected}"
    assert type(got).__name__ == type(expected).__name__
    if type(expected).__module__ == "torch.return_types":
        assert all(getattr(expected, f) is expected[i] for i, f in enumerate(got._fields))
    for e, g in zip(_flat(expected), _flat(got), strict=True):
        if not isinstance(e, torch.Tensor):
            assert e == g
            continue
        assert str(g.dtype).split(".")[-1] == str(e.dtype).split(".")[-1], (g.dtype, e.dtype)
        assert tuple(g.shape) == tuple(e.shape)
        want, have = e.detach().numpy(), np.asarray(g.detach())
        np.testing.assert_allclose(have, want, rtol=rtol, atol=0, equal_nan=True)
        signs = np.isnan(want) if want.dtype.kind == "f" else np.zeros(want.shape, bool)
        np.testing.assert_array_equal(np.signbit(have) | signs, np.signbit(want) | signs)


def small_integers(*shape: int, high: int = 4, dtype: Any = np.int64) -> np.ndarray:
    return RNG.integers(0, high, shape).astype(dtype)


def _unique_flags(m: Any, x: Any) -> Any:
    return [
        m.unique(x, return_inverse=i, return_counts=c) for i in (False, True) for c in (False, True)
    ] + [m.unique_consecutive(x, return_inverse=True, return_counts=True)]


def _unique_dims(m: Any, x: Any) -> Any:
    return [
        f(x, return_inverse=True, return_counts=True, dim=d)
        for f in (m.unique, m.unique_consecutive)
        for d in range(-x.ndim, x.ndim)
    ]


# ----------------------------------------------------------------------------- unique
UNIQUE_INPUTS = [
    small_integers(12),
    small_integers(3, 4, dtype=np.int32),
    small_integers(2, 3, 2, high=3, dtype=np.uint8),
    small_integers(4, 3, dtype=np.float64),
    small_integers(20).astype(bool),
    EDGES,
    EDGES.reshape(2, 5),
    np.array(2.5, dtype=np.float32),
    np.zeros((0,), np.float32),
    np.zeros((0, 3), np.int64),
    np.zeros((2, 0), np.float32),
    np.array([-0.0, 0.0, 0.0, -0.0], dtype=np.float32),
    np.array([0.0, -0.0], dtype=np.float32),
]
UNIQUE_SLICES = [
    small_integers(6, 2, high=2),
    small_integers(5, 3, 2, high=2, dtype=np.float32),
    np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 2.0], [1.0, 2.0], [-0.0, 1.0]], dtype=np.float32),
    np.array([[True, False], [True, False], [False, False]]),
    np.zeros((0, 2), np.float32),
    np.zeros((2, 0), np.float32),
    np.zeros((0, 0), np.int64),
    np.zeros((1, 0, 2), np.int64),
]

CASES: list[tuple[str, Callable[..., Any], tuple[Any, ...]]] = [
    (f"unique_{i}", _unique_flags, (x,)) for i, x in enumerate(UNIQUE_INPUTS)
]
CASES += [(f"unique_dim_{i}", _unique_dims, (x,)) for i, x in enumerate(UNIQUE_SLICES)]
CASES += [
    ("unique_method", lambda m, x: x.unique(False, True, dim=1), (small_integers(3, 4),)),
    ("unique_consecutive_method", lambda m, x: x.unique_consecutive(True), (small_integers(9),)),
    ("unique_sorted_false", lambda m, x: m.unique(x, sorted=False), (small_integers(9, high=9),)),
    # PyTorch sorts slices with NaNs by a comparator that is no order (NaN is neither less nor
    # greater), so only the unsorted runs are compared there
    (
        "unique_consecutive_dim_nan",
        lambda m, x: m.unique_consecutive(x, return_inverse=True, return_counts=True, dim=0),
        (np.array([[1.0, NAN], [1.0, NAN], [0.0, 2.0], [0.0, 2.0], [NAN, 0.0]]),),
    ),
    ("unique_dim_of_0d", lambda m, x: m.unique(x, dim=0), (np.array(1.0),)),
    ("unique_consecutive_dim_of_0d", lambda m, x: m.unique_consecutive(x, dim=-1), (np.array(1),)),
    ("unique_dim_out_of_range", lambda m, x: m.unique(x, dim=2), (small_integers(2, 2),)),
    ("unique_dim_negative_out", lambda m, x: m.unique(x, dim=-3), (small_integers(2, 2),)),
]

# ----------------------------------------------------------------------------- isin, argwhere
CASES += [
    ("isin", lambda m, a, b: m.isin(a, b), (small_integers(3, 4, high=6), small_integers(3))),
    (
        "isin_invert",
        lambda m, a, b: m.isin(a, b, invert=True),
        (small_integers(5), small_integers(2)),
    ),
    (
        "isin_assume_unique",
        lambda m, a, b: m.isin(a, b, assume_unique=True),
        (np.array([4, 1, 7]), np.array([7, 2])),
    ),
    ("isin_int_float", lambda m, a, b: m.isin(a, b), (np.array([1, 2, 3]), np.array([1.5, 2.0]))),
    ("isin_nan", lambda m, a, b: m.isin(a, b), (EDGES, EDGES[::-1].copy())),
    ("isin_number_test", lambda m, a: m.isin(a, 2), (small_integers(6),)),
    ("isin_float_number", lambda m, a: m.isin(a, 2.0), (small_integers(6),)),
    ("isin_number_element", lambda m, b: m.isin(2, b), (small_integers(6),)),
    ("isin_empty_elements", lambda m, a, b: m.isin(a, b), (np.zeros(0), np.array([1.0]))),
    ("isin_empty_test", lambda m, a, b: m.isin(a, b), (np.array([1.0, 2.0]), np.zeros(0))),
    ("isin_0d", lambda m, a, b: m.isin(a, b), (np.array(2), np.array([[2, 3]]))),
    ("isin_two_numbers", lambda m: m.isin(2, 3), ()),
    ("isin_bool", lambda m, a: m.isin(a, m.tensor([1])), (np.array([True, False]),)),
    ("isin_bool_number", lambda m, a: m.isin(a, True), (np.array([1, 2]),)),
    ("argwhere", lambda m, x: m.argwhere(x), (small_integers(3, 4, high=2),)),
    ("argwhere_method", lambda m, x: x.argwhere(), (EDGES,)),
    ("argwhere_0d", lambda m, x: (m.argwhere(x), m.argwhere(x * 0)), (np.array(3.0),)),
    ("argwhere_empty", lambda m, x: m.argwhere(x), (np.zeros((0, 3)),)),
    ("argwhere_bool", lambda m, x: m.argwhere(x), (small_integers(2, 5).astype(bool),)),
]


# ----------------------------------------------------------------------------- mode, aminmax
def _mode_all_dims(m: Any, x: Any) -> Any:
    return [m.mode(x, d, keepdim=k) for d in range(-x.ndim, max(x.ndim, 1)) for k in (False, True)]


CASES += [
    # PyTorch's index among equal values is the last one's wherever its (unstable) sort keeps
    # them in order: 16 elements or fewer per row
    *[
        (f"mode_{i}", _mode_all_dims, (small_integers(*shape, high=h, dtype=t),))
        for i, (shape, h, t) in enumerate(
            [
                ((16,), 3, np.int64),
                ((5, 7), 3, np.float32),
                ((3, 4, 6), 4, np.int32),
                ((2, 9), 2, bool),
                ((12, 16), 5, np.float64),
                ((1,), 2, np.uint8),
            ]
        )
    ],
    ("mode_0d", _mode_all_dims, (np.array(4.0),)),
    ("mode_empty_dim", lambda m, x: m.mode(x, 0), (np.zeros((0, 2)),)),
    ("mode_empty_other", lambda m, x: m.mode(x, 0), (np.zeros((2, 0)),)),
    ("mode_all_nan", lambda m, x: m.mode(x), (np.array([NAN, NAN, NAN]),)),
    ("mode_nan_last", lambda m, x: m.mode(x), (np.array([1.0, NAN, 2.0, 2.0, NAN]),)),
    ("mode_zeros", lambda m, x: m.mode(x), (np.array([-0.0, 0.0, 0.0, -0.0, -0.0]),)),
    ("mode_method", lambda m, x: x.mode(0, True), (small_integers(6, 3),)),
    ("mode_tuple_dim", lambda m, x: m.mode(x, (0, 1)), (small_integers(2, 3),)),
    ("mode_dim_out_of_range", lambda m, x: m.mode(x, 2), (small_integers(2, 3),)),
    ("aminmax", lambda m, x: m.aminmax(x), (small_integers(3, 5, high=9),)),
    (
        "aminmax_dims",
        lambda m, x: [m.aminmax(x, dim=d, keepdim=k) for d in (0, -1) for k in (False, True)],
        (small_integers(3, 5, high=9, dtype=np.float32),),
    ),
    ("aminmax_keepdim_all", lambda m, x: x.aminmax(keepdim=True), (small_integers(2, 3),)),
    ("aminmax_nan", lambda m, x: (m.aminmax(x), m.aminmax(x.reshape(2, 5), dim=1)), (EDGES,)),
    ("aminmax_bool", lambda m, x: m.aminmax(x), (np.array([True, False]),)),
    ("aminmax_0d", lambda m, x: (m.aminmax(x), m.aminmax(x, dim=0, keepdim=True)), (np.array(3),)),
    ("aminmax_empty", lambda m, x: m.aminmax(x), (np.zeros(0),)),
    ("aminmax_empty_dim", lambda m, x: m.aminmax(x, dim=0), (np.zeros((0, 3)),)),
    ("aminmax_empty_other", lambda m, x: m.aminmax(x, dim=1), (np.zeros((0, 3)),)),
    ("aminmax_tuple_dim", lambda m, x: m.aminmax(x, dim=(0, 1)), (small_integers(2, 3),)),
    ("aminmax_dim_out_of_range", lambda m, x: m.aminmax(x, dim=2), (small_integers(2, 3),)),
]

# ----------------------------------------------------------------------------- products of sets
CASES += [
    (
        "cartesian_prod",
        lambda m, a, b: m.cartesian_prod(a, b),
        (small_integers(2), small_integers(3)),
    ),
    ("cartesian_prod_three", lambda m, a: m.cartesian_prod(a, a, a), (np.array([True, False]),)),
    ("cartesian_prod_empty", lambda m, a, b: m.cartesian_prod(a, b), (np.zeros(2), np.zeros(0))),
    (
        "cartesian_prod_dtypes",
        lambda m, a, b: m.cartesian_prod(a, b),
        (np.zeros(2), np.zeros(2, int)),
    ),
    ("cartesian_prod_0d", lambda m, a, b: m.cartesian_prod(a, b), (np.zeros(2), np.array(1.0))),
    ("cartesian_prod_none", lambda m: m.cartesian_prod(), ()),
    ("combinations", lambda m, x: [m.combinations(x, r) for r in range(5)], (small_integers(4),)),
    (
        "combinations_with_replacement",
        lambda m, x: [m.combinations(x, r, with_replacement=True) for r in range(4)],
        (small_integers(3, dtype=np.float32),),
    ),
    ("combinations_empty", lambda m, x: m.combinations(x, 2), (np.zeros(0),)),
    ("combinations_2d", lambda m, x: m.combinations(x), (np.zeros((2, 2)),)),
    ("combinations_negative_r", lambda m, x: m.combinations(x, -1), (np.zeros(2),)),
]


# ----------------------------------------------------------------------------- ops/more_math.py
Y = small_integers(2, 3, high=9, dtype=np.float32)  # small integers: exact sums either way
CASES += [
    ("block_diag", lambda m, *t: m.block_diag(*t), (Y, np.array(3.0), np.array([4, 5]))),
    ("block_diag_none", lambda m: m.block_diag(), ()),
    ("block_diag_empty", lambda m, a, b: m.block_diag(a, b), (np.zeros((2, 0)), np.ones((0, 2)))),
    ("block_diag_3d", lambda m, a: m.block_diag(a), (np.zeros((2, 2, 2)),)),
    ("block_diag_bool", lambda m, a, b: m.block_diag(a, b), (np.array([True]), np.array([False]))),
    (
        "block_diag_0d_promotion",
        lambda m, a, b: m.block_diag(a, b),
        (np.array([1], np.int32), np.array(2)),
    ),
    ("trapezoid", lambda m, y: (m.trapezoid(y), m.trapezoid(y, dx=2), m.trapz(y, dim=0)), (Y,)),
    ("trapezoid_x", lambda m, y, x: (m.trapezoid(y, x), m.trapz(y, x)), (Y, np.array([1.0, 3, 6]))),
    ("trapezoid_x_2d", lambda m, y, x: m.trapezoid(y, x), (Y, np.array([[1.0, 3, 6]]))),
    ("trapezoid_x_dim", lambda m, y, x: m.trapezoid(y, x, dim=0), (Y, np.array([1.0, 3]))),
    ("trapezoid_x_count", lambda m, y, x: m.trapezoid(y, x), (Y, np.array([1.0, 3]))),
    ("trapezoid_int", lambda m, y, x: (m.trapezoid(y), m.trapezoid(y, x)), (Y.astype(int),) * 2),
    ("trapezoid_bool", lambda m, y: m.trapezoid(y), (np.array([True, False]),)),
    ("trapezoid_bool_dx", lambda m, y: m.trapezoid(y, dx=True), (Y,)),
    ("trapezoid_x_and_dx", lambda m, y: m.trapezoid(y, y, dx=2), (Y,)),
    ("trapezoid_empty", lambda m, y: (m.trapezoid(y), m.trapezoid(y, dim=0)), (np.zeros((2, 0)),)),
    ("trapezoid_one", lambda m, y: m.trapezoid(y), (np.array([3.0]),)),
    ("trapezoid_0d", lambda m, y: m.trapezoid(y), (np.array(3.0),)),
    ("trapezoid_dim_out_of_range", lambda m, y: m.trapezoid(y, dim=2), (Y,)),
    (
        "cumulative_trapezoid",
        lambda m, y, x: (
            m.cumulative_trapezoid(y),
            m.cumulative_trapezoid(y, dx=3, dim=0),
            m.cumulative_trapezoid(y, x),
        ),
        (Y, np.array([1.0, 3, 6])),
    ),
    ("cumulative_trapezoid_int", lambda m, y: m.cumulative_trapezoid(y), (np.array([1, 2, 4]),)),
    ("cumulative_trapezoid_empty", lambda m, y: m.cumulative_trapezoid(y), (np.zeros((2, 0)),)),
    ("cumulative_trapezoid_0d", lambda m, y: m.cumulative_trapezoid(y), (np.array(3.0),)),
    ("ldexp", lambda m, a, b: (m.ldexp(a, b), a.ldexp(b)), (Y, np.array([3, -1, 0]))),
    ("ldexp_int", lambda m, a, b: m.ldexp(a, b), (np.array([1, 2]), np.array([3, -1]))),
    ("ldexp_float_exponent", lambda m, a, b: m.ldexp(a, b), (Y, np.array([0.5, -1.5, 2.0]))),
    ("ldexp_double", lambda m, a, b: m.ldexp(a, b), (Y.astype(np.float64), np.array([3, -1, 0]))),
    ("ldexp_number", lambda m, a: m.ldexp(a, 2), (Y,)),
    (
        "frexp",
        lambda m, x: (m.frexp(x), x.frexp()),
        (
            np.array(
                [0.0, -0.0, -3.5, NAN, INF, -INF, 1e-40, 1e-45, 3e38, 0.75, 1.0, 2.0**-126],
                np.float32,
            ),
        ),
    ),
    ("frexp_double", lambda m, x: m.frexp(x), (np.array([0.0, -3.5, 5e-324, 1.7e308, 1 / 3]),)),
    ("frexp_0d", lambda m, x: m.frexp(x), (np.array(6.0),)),
    ("frexp_int", lambda m, x: m.frexp(x), (np.array([1, 2]),)),
    ("vander", lambda m, x: [m.vander(x, n) for n in (None, 0, 1, 2, 4)], (np.array([1, 2, 3]),)),
    (
        "vander_increasing",
        lambda m, x: (m.vander(x, increasing=True), m.vander(x, N=2, increasing=True)),
        (np.array([1.0, -2.0, 0.5], np.float32),),
    ),
    ("vander_bool", lambda m, x: m.vander(x, N=3), (np.array([True, False]),)),
    ("vander_int8", lambda m, x: m.vander(x), (np.array([1, 2], np.int8),)),
    ("vander_empty", lambda m, x: m.vander(x), (np.zeros(0),)),
    ("vander_2d", lambda m, x: m.vander(x), (np.ones((1, 1)),)),
    ("vander_negative_n", lambda m, x: m.vander(x, N=-1), (np.ones(1),)),
    ("renorm_errors_p", lambda m, x: m.renorm(x, 0, 0, 1.0), (Y,)),
    ("renorm_errors_maxnorm", lambda m, x: m.renorm(x, 2, 0, -1.0), (Y,)),
    ("renorm_errors_1d", lambda m, x: m.renorm(x, 2, 0, 1.0), (np.ones(2),)),
    ("renorm_errors_dim", lambda m, x: m.renorm(x, 2, 2, 1.0), (Y,)),
    ("renorm_int", lambda m, x: m.renorm(x, 2, 0, 1.0), (Y.astype(int),)),
    ("unravel_index", lambda m, i: m.unravel_index(i, (2, 3)), (np.array([4, 1, 7, -1]),)),
    ("unravel_index_0d", lambda m, i: m.unravel_index(i, (2, 3)), (np.array(4),)),
    ("unravel_index_int", lambda m, i: m.unravel_index(i, 5), (np.array([3, 9]),)),
    ("unravel_index_size", lambda m, i: m.unravel_index(i, m.Size([2, 3])), (np.array([[5, 0]]),)),
    ("unravel_index_int32", lambda m, i: m.unravel_index(i, [5, 1]), (np.array([3], np.int32),)),
    ("unravel_index_empty_shape", lambda m, i: m.unravel_index(i, ()), (np.array([1]),)),
    ("unravel_index_zero_size", lambda m, i: m.unravel_index(i, (2, 0)), (np.array([3]),)),
    ("unravel_index_float", lambda m, i: m.unravel_index(i, (2, 3)), (np.array([1.0]),)),
    ("unravel_index_bool", lambda m, i: m.unravel_index(i, 5), (np.array([True]),)),
    ("unravel_index_negative", lambda m, i: m.unravel_index(i, (2, -3)), (np.array([1]),)),
    ("unravel_index_float_size", lambda m, i: m.unravel_index(i, (2.0, 3)), (np.array([1]),)),
]


def _in_place(m: Any, x: Any, e: Any) -> Any:
    y, z = x.clone(), x.clone()
    results = (y.ldexp_(e), z.renorm_(2, 0, 5.0))
    return results[0] is y, results[1] is z, y, z, y._version, z._version


CASES += [
    ("ldexp_in_place_int", lambda m, x, e: x.ldexp_(e), (np.array([1, 2]), np.array([1, 2]))),
]
# Norms: a square root apart, so to a float's rounding
CLOSE_CASES: list[tuple[str, Callable[..., Any], tuple[Any, ...]]] = [
    (
        "renorm",
        lambda m, x: (m.renorm(x, 2, 0, 5.0), x.renorm(1, 1, 4.0), m.renorm(x, INF, 0, 4.0)),
        (Y,),
    ),
    ("renorm_zero_maxnorm", lambda m, x: m.renorm(x, 2, 0, 0.0), (Y.astype(np.float64),)),
    ("in_place", _in_place, (Y, np.array([1, 0, -2]))),
]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy warns where results are nan
@pytest.mark.parametrize(("label", "call", "inputs"), CASES, ids=[c[0] for c in CASES])
def test_set_function_gives_what_pytorch_gives(label: str, call: Any, inputs: Any) -> None:
    assert_same(call, *inputs)


@pytest.mark.parametrize(("label", "call", "inputs"), CLOSE_CASES, ids=[c[0] for c in CLOSE_CASES])
def test_norm_function_gives_what_pytorch_gives(label: str, call: Any, inputs: Any) -> None:
    assert_same(call, *inputs, rtol=1e-6)


def test_vander_is_differentiable_where_pytorch_backward_fails() -> None:
    """PyTorch's vander writes its running product in place and its backward then fails;
    chainrule's gradient is the derivative of the same values: d/dx sum(x**k) = sum(k x**(k-1))."""
    x = cr.tensor([1.5, -2.0], requires_grad=True)
    cr.vander(x, N=4).sum().backward()
    np.testing.assert_allclose(np.asarray(x.grad), [1 + 2 * 1.5 + 3 * 1.5**2, 1 - 4 + 12])
    leaf = torch.tensor([1.5, -2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        torch.vander(leaf, N=4).sum().backward()


@pytest.mark.parametrize("n", [17, 200, 2000])
def test_unique_of_long_inputs_gives_what_pytorch_gives(n: int) -> None:
    """Exactly PyTorch's results past the 16 elements where its sort turns unstable, but for
    which of -0.0 and 0.0 stands for both and how NaNs are numbered (values and counts the
    same)."""
    inputs = [
        RNG.integers(-5, 5, n),
        RNG.integers(0, 2, n).astype(bool),
        RNG.standard_normal(n),
        RNG.choice(np.array([0.0, 1.0, 2.0, -1.5, INF], np.float32), n),
    ]
    for x in inputs:
        assert_same(_unique_flags, x)
    x = RNG.choice(np.array([0.0, 1.0, NAN, -INF], np.float32), n)
    for f in ("unique", "unique_consecutive"):
        expected = getattr(torch, f)(torch.tensor(x), return_counts=True)
        got = getattr(cr, f)(cr.tensor(x), return_counts=True)
        for e, g in zip(expected, got, strict=True):
            np.testing.assert_array_equal(np.asarray(g), e.numpy())


def test_mode_picks_pytorch_value_and_a_tied_element_on_long_rows() -> None:
    """Beyond 16 elements PyTorch's unstable sort picks any of the mode's equal elements:
    the values are the same, and the index points at one of them."""
    x = small_integers(6, 40, high=4, dtype=np.float32)
    expected, got = torch.mode(torch.tensor(x)), cr.mode(cr.tensor(x))
    np.testing.assert_array_equal(got.values.numpy(), expected.values.numpy())
    picked = np.take_along_axis(x, got.indices.numpy()[:, None], 1)[:, 0]
    np.testing.assert_array_equal(picked, expected.values.numpy())


def test_mode_and_aminmax_send_the_gradient_as_pytorch() -> None:
    x = np.array([[3.0, 1.0, 3.0, 3.0], [2.0, 2.0, 5.0, 5.0]])
    grads = []
    for m in (torch, cr):
        leaf = m.tensor(x, requires_grad=True)
        low, high = m.aminmax(leaf)
        (
            low + 2 * high + 3 * leaf.mode().values.sum() + m.aminmax(leaf, dim=1).max.sum()
        ).backward()
        grads.append(np.asarray(leaf.grad))
    np.testing.assert_array_equal(grads[1], grads[0])


def test_the_picked_values_carry_pytorch_node_names() -> None:
    x = cr.tensor([[1.0, 2.0]], requires_grad=True)
    assert x.mode().values.grad_fn.name() == "ModeBackward0"
    assert [y.grad_fn.name() for y in x.aminmax()] == ["AminmaxBackward0"] * 2


def test_unique_isin_argwhere_give_results_without_gradient() -> None:
    x = cr.tensor([2.0, 1.0, 2.0], requires_grad=True)
    results = [*cr.unique(x, return_inverse=True, return_counts=True), cr.isin(x, x)]
    assert not any(y.requires_grad for y in [*results, cr.argwhere(x)])


@pytest.mark.filterwarnings("ignore:There is a performance drop")  # PyTorch's own loops
@pytest.mark.filterwarnings("error::UserWarning")  # chainrule batches them: no loop
def test_vmap_batches_the_compositions_as_pytorch() -> None:
    y = small_integers(3, 2, 4, dtype=np.float64)

    def step(m: Any, r: Any) -> Any:
        mantissa, exponent = m.frexp(r + 1)
        integrals = (m.trapezoid(r), m.cumulative_trapezoid(r, dim=0), m.trapz(r, r[0]))
        products = (m.block_diag(r, r[0]), m.vander(r[0]), m.combinations(r[1]))
        return (*integrals, *products, m.ldexp(r, exponent), mantissa, r.renorm(2, 1, 3.0))

    expected = torch.func.vmap(lambda r: step(torch, r))(torch.tensor(y))
    got = cr.func.vmap(lambda r: step(cr, r))(cr.tensor(y))
    for e, g in zip(expected, got, strict=True):
        np.testing.assert_allclose(np.asarray(g), e.numpy(), rtol=1e-12)


def test_vmap_runs_the_picking_functions_per_example() -> None:
    x = small_integers(3, 5, high=3, dtype=np.float32)
    expected = torch.func.vmap(lambda r: (*torch.mode(r), *torch.aminmax(r)))(torch.tensor(x))
    got = cr.func.vmap(lambda r: (*cr.mode(r), *cr.aminmax(r)))(cr.tensor(x))
    for e, g in zip(expected, got, strict=True):
        np.testing.assert_array_equal(np.asarray(g), e.numpy())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = cr.func.vmap(lambda r: cr.isin(r, cr.tensor([1.0])))(cr.tensor(x))
    np.testing.assert_array_equal(np.asarray(got), np.isin(x, [1.0]))
    assert not any("once per example" in str(w.message) for w in caught)  # isin is batched


# ----------------------------------------------------------------------------- snippets
SNIPPETS: dict[str, str] = {
    "unique_docs": """
        import torch
        output = torch.unique(torch.tensor([1, 3, 2, 3], dtype=torch.long))
        print(output)
        output, inverse_indices = torch.unique(
            torch.tensor([1, 3, 2, 3], dtype=torch.long), sorted=True, return_inverse=True)
        print(output, inverse_indices)
        output, inverse_indices = torch.unique(
            torch.tensor([[1, 3], [2, 3]], dtype=torch.long), sorted=True, return_inverse=True)
        print(output, inverse_indices)
        a = torch.tensor([
            [[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1]],
            [[0, 0, 1, 1], [0, 0, 1, 1], [1, 1, 1, 1]],
            [[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1]],
        ])
        print(torch.unique(a, dim=0))
        print(torch.unique(a, dim=1))
        print(torch.unique(a, dim=2))
    """,
    "unique_consecutive_docs": """
        import torch
        x = torch.tensor([1, 1, 2, 2, 3, 1, 1, 2])
        output = torch.unique_consecutive(x)
        print(output)
        output, inverse_indices = torch.unique_consecutive(x, return_inverse=True)
        print(output, inverse_indices)
        output, counts = torch.unique_consecutive(x, return_counts=True)
        print(output, counts)
    """,
    "class_counts_of_labels": """
        import torch
        labels = torch.tensor([2, 0, 1, 2, 2, 0, 1, 1, 2])
        classes, counts = labels.unique(return_counts=True)
        weights = counts.sum() / (len(classes) * counts.float())
        print(classes, counts, weights)
        print(torch.isin(labels, torch.tensor([0, 2])), torch.argwhere(labels == 1).squeeze(1))
        print(torch.isin(torch.tensor([[1, 2], [3, 4]]), torch.tensor([2, 3])))
    """,
    "mode_and_aminmax_docs": """
        import torch
        b = torch.tensor([[0, 0, 0, 2, 0, 0, 2],
                          [0, 3, 0, 0, 2, 0, 1],
                          [2, 2, 2, 0, 0, 0, 3],
                          [2, 2, 3, 0, 1, 1, 0],
                          [1, 1, 0, 0, 2, 0, 2]])
        print(torch.mode(b, 0))
        print(torch.aminmax(torch.tensor([1, -3, 5])))
        print(torch.aminmax(torch.tensor([])) if False else "empty refused")
        print(torch.aminmax(torch.arange(10).view(2, 5), dim=0, keepdim=True))
        votes = torch.tensor([[1, 2, 2], [0, 0, 1]])
        print(votes.mode(dim=1).values)
        error(lambda: torch.aminmax(torch.tensor([])))
    """,
    "integrals_docs": """
        import torch
        y = torch.tensor([1, 5, 10])
        print(torch.trapezoid(y), torch.trapezoid(y, dx=2), torch.trapz(y))
        x = torch.tensor([1, 3, 6])
        print(torch.trapezoid(y, x), torch.cumulative_trapezoid(y, x))
        y = torch.arange(9).reshape(3, 3)
        print(torch.trapezoid(y), torch.trapezoid(y, dim=0), torch.cumulative_trapezoid(y))
        x = torch.tensor([1, 3, 6])
        print(torch.trapezoid(y, x), torch.trapezoid(y, x.reshape(3, 1), dim=0))
        t = torch.linspace(0, 3.14159, 101, requires_grad=True)
        area = torch.trapezoid(torch.sin(t), t)
        area.backward()
        print(round(area.item(), 4), t.grad[:3])
    """,
    "powers_docs": """
        import torch
        print(torch.ldexp(torch.tensor([1.]), torch.tensor([1])))
        print(torch.ldexp(torch.tensor([1.0]), torch.tensor([1, 2, 3, 4])))
        x = torch.arange(9.)
        mantissa, exponent = torch.frexp(x)
        print(mantissa, exponent, torch.ldexp(mantissa, exponent))
        print(torch.frexp(torch.tensor([0.5, -6.0])))
        x = torch.tensor([1, 2, 3, 5])
        print(torch.vander(x), torch.vander(x, N=3), torch.vander(x, N=3, increasing=True))
    """,
    "blocks_renorm_unravel_docs": """
        import torch
        A = torch.tensor([[0, 1], [1, 0]])
        B = torch.tensor([[3, 4, 5], [6, 7, 8]])
        C = torch.tensor(7)
        D = torch.tensor([1, 2, 3])
        E = torch.tensor([[4], [5], [6]])
        print(torch.block_diag(A, B, C, D, E))
        x = torch.ones(3, 3)
        x[1].fill_(2)
        x[2].fill_(3)
        print(torch.renorm(x, 1, 0, 5))
        print(torch.unravel_index(torch.tensor(4), (3, 2)))
        print(torch.unravel_index(torch.tensor([4, 1]), (2, 3)))
        print(torch.unravel_index(torch.tensor([[1234], [67890]]), (10, 10, 10, 10)))
        scores = torch.tensor([[0.1, 0.9, 0.3], [0.8, 0.2, 0.4]])
        print(torch.unravel_index(scores.argmax(), scores.shape))
        emb = torch.tensor([[3.0, 4.0], [0.1, 0.2]])
        print(emb.renorm_(2, 0, 1.0), emb.renorm(2, 0, 0.1))
    """,
    "combinations_docs": """
        import torch
        a = [1, 2, 3]
        tensor_a = torch.tensor(a)
        print(torch.combinations(tensor_a))
        print(torch.combinations(tensor_a, r=3))
        print(torch.combinations(tensor_a, with_replacement=True))
        print(torch.cartesian_prod(torch.tensor([1, 2, 3]), torch.tensor([4, 5])))
        x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
        pairs = torch.combinations(x)
        (pairs[:, 0] * pairs[:, 1]).sum().backward()
        print(x.grad)
    """,
}


@pytest.mark.filterwarnings("ignore:An output with one or more elements was resized")  # torch's
@pytest.mark.parametrize("name", SNIPPETS)
def test_set_snippet_prints_what_pytorch_prints(name: str) -> None:
    source = SNIPPETS[name]
    expected = run(source).replace("torch", "chainrule")
    assert run(source.replace("torch", "chainrule")) == expected
