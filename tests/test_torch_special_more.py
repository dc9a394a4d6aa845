"""``torch.special``'s Bessel functions, ``ndtri``, ``erfcx``, ``xlog1py``, the incomplete
gammas, ``zeta``, the orthogonal polynomials, and ``gcd``, ``lcm`` and ``nextafter``, against
PyTorch: values over random inputs with nan, ±inf, ±0, negative and large arguments, in
float64 and float32 and from integer and bool tensors (PyTorch's dtype promotion), gradients
at the edges, the errors (derivatives PyTorch does not implement, refused dtypes and
arguments), in-place methods, and snippets run under both libraries.

The tolerances are per function (``TOLERANCES``): chainrule computes in float64 with the
coefficients PyTorch takes from Cephes, so most agree to a few units in the last place; the
rest say why they differ more. Gradients of the differentiable ones are op-table rows
(``tests/op_table_special.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from test_torch_snippets import run

import chainrule as cr

RNG = np.random.default_rng(20)

# Edge values every function meets, and random ones at several scales.
EDGES = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, 5.0, 8.0, -8.0, 2.09, -2.09, 26.7, -26.7, 50.0,
         1e-5, 1e-20, 700.0, 750.0, -750.0, 1e8, -1e8, 1e300, np.inf, -np.inf, np.nan]  # fmt: skip
VALUES = np.concatenate([
    EDGES, RNG.uniform(-3, 3, 300), RNG.uniform(-30, 30, 300), RNG.uniform(-1000, 1000, 100),
    np.logspace(-30, 30, 61), -np.logspace(-30, 30, 61),
])  # fmt: skip
PROBABILITIES = np.concatenate([
    [0.0, 1.0, -0.1, 1.1, 0.5, np.nan, np.inf, 5e-324, 1 - 2**-53, np.exp(-2), 1 - np.exp(-2)],
    RNG.uniform(0, 1, 400), np.logspace(-300, -1, 100), 1 - np.logspace(-16, -1, 50),
])  # fmt: skip

# (float64 rtol, atol; float32 rtol, atol): how close to PyTorch, and why where it is loose.
TOLERANCES: dict[str, tuple[float, float, float, float]] = {
    "i0": (2e-15, 0, 2e-6, 0),
    "i0e": (2e-15, 0, 2e-6, 0),
    "i1": (4e-15, 0, 2e-6, 0),
    "i1e": (4e-15, 0, 2e-6, 0),
    "modified_bessel_i0": (2e-15, 0, 2e-6, 0),
    "modified_bessel_i1": (4e-15, 0, 2e-6, 0),
    "modified_bessel_k0": (4e-15, 0, 2e-6, 0),
    "modified_bessel_k1": (4e-15, 0, 2e-6, 0),
    "scaled_modified_bessel_k0": (4e-15, 0, 2e-6, 0),
    "scaled_modified_bessel_k1": (4e-15, 0, 2e-6, 0),
    # J and Y: the same rational functions, but near their zeros only an absolute tolerance
    # holds (1e-16 next to values ~1: PyTorch's sin/cos and log differ by an ulp); float32:
    # PyTorch computes in float32, where x - phase alone is off by ~6e-8 x (1e-4 at 1000).
    "bessel_j0": (1e-13, 2e-16, 1e-5, 2e-4),
    "bessel_j1": (1e-13, 2e-16, 1e-5, 2e-4),
    "bessel_y0": (1e-13, 2e-16, 1e-5, 2e-4),
    "bessel_y1": (1e-13, 2e-16, 1e-5, 2e-4),
    "spherical_bessel_j0": (1e-15, 1e-16, 2e-6, 1e-7),
    "airy_ai": (1e-14, 1e-16, 1e-4, 1e-6),
    # erfcx: chainrule's own series below 1 and continued fraction beyond, PyTorch's
    # Faddeeva-package Chebyshev fits: both within 2e-15 of mpmath on [-5, 60].
    "erfcx": (4e-15, 0, 1e-5, 0),
    "ndtri": (2e-15, 0, 2e-6, 0),
}
UNARY = {
    "i0": (lambda m: m.i0, lambda m: m.special.i0),
    "i0e": (lambda m: m.special.i0e,),
    "i1": (lambda m: m.special.i1,),
    "i1e": (lambda m: m.special.i1e,),
    "modified_bessel_i0": (lambda m: m.special.modified_bessel_i0,),
    "modified_bessel_i1": (lambda m: m.special.modified_bessel_i1,),
    "modified_bessel_k0": (lambda m: m.special.modified_bessel_k0,),
    "modified_bessel_k1": (lambda m: m.special.modified_bessel_k1,),
    "scaled_modified_bessel_k0": (lambda m: m.special.scaled_modified_bessel_k0,),
    "scaled_modified_bessel_k1": (lambda m: m.special.scaled_modified_bessel_k1,),
    "bessel_j0": (lambda m: m.special.bessel_j0,),
    "bessel_j1": (lambda m: m.special.bessel_j1,),
    "bessel_y0": (lambda m: m.special.bessel_y0,),
    "bessel_y1": (lambda m: m.special.bessel_y1,),
    "spherical_bessel_j0": (lambda m: m.special.spherical_bessel_j0,),
    "airy_ai": (lambda m: m.special.airy_ai,),
    "erfcx": (lambda m: m.special.erfcx,),
    "ndtri": (lambda m: m.special.ndtri,),
}


def _compare(ours: Any, theirs: Any, rtol: float, atol: float, what: str) -> None:
    """Same dtype and shape, and the values within the tolerance (nan where nan, and the
    infinities equal)."""
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1], what
    assert tuple(ours.shape) == tuple(theirs.shape), what
    np.testing.assert_allclose(
        np.asarray(ours.detach()).astype(np.float64),
        theirs.detach().numpy().astype(np.float64),
        rtol=rtol,
        atol=atol,
        equal_nan=True,
        err_msg=what,
    )


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("name", UNARY)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_unary_values_match_pytorch(name: str, dtype: str) -> None:
    rtol, atol = TOLERANCES[name][:2] if dtype == "float64" else TOLERANCES[name][2:]
    values = (PROBABILITIES if name == "ndtri" else VALUES).astype(dtype)
    if name == "airy_ai" and dtype == "float32":  # PyTorch's float32 phase (2/3 (-x)^1.5)
        values = values[~(values < -30)]  # loses its digits below -30 (nan from -1e26)
    for get in UNARY[name]:
        theirs = get(torch)(torch.from_numpy(values))
        ours = get(cr)(cr.tensor(values))
        _compare(ours, theirs, rtol, atol, f"{name} {dtype}")


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("name", UNARY)
@pytest.mark.parametrize("values", [[0, 1, 2, 7, -3, 100], [True, False], []], ids=str)
def test_integer_bool_and_empty_inputs_give_float32(name: str, values: list[Any]) -> None:
    rtol, atol = TOLERANCES[name][2:]
    for get in UNARY[name]:
        _compare(get(cr)(cr.tensor(values)), get(torch)(torch.tensor(values)), rtol, atol, name)


@pytest.mark.parametrize("name", ["i0", "i0e", "i1", "i1e", "erfcx", "ndtri"])
def test_gradients_match_pytorch_at_the_edges(name: str) -> None:
    """i1 and i1e: 1/2 at 0 (and within the dtype's epsilon of it); i0e: sign(0) = 0; the
    infinities and nan where the formulas give them."""
    edges = [0.0, -0.0, 1e-17, -1e-17, 3e-16, 1.0, -2.5, 9.0, -20.0, 800.0, np.inf, np.nan]
    values = [0.5, 0.25, 0.999, 1e-300, 0.0, 1.0] if name == "ndtri" else edges
    if name == "erfcx":  # PyTorch's 2 x erfcx(x) - 2 / sqrt(pi) cancels at 800 (7e-11 off in
        values = [v for v in values if v != 800.0]  # float64, 8% in float32): against
        # mpmath in test_torch_special_edge_cases.py
    for dtype in ("float64", "float32"):
        grads = []
        for m in (torch, cr):
            x = m.tensor(values, dtype=getattr(m, dtype), requires_grad=True)
            (g,) = m.autograd.grad(UNARY[name][0](m)(x).sum(), x)
            grads.append(g)
        # float32: PyTorch's float32 i1e(x) - i0e(x) cancels (3e-6 relative at x = 9)
        _compare(grads[1], grads[0], 1e-5 if dtype == "float32" else 1e-12, 0, name)


def test_the_functions_without_derivatives_give_results_that_do_not_require_grad() -> None:
    for m in (torch, cr):
        x = m.tensor([1.0, 2.0], requires_grad=True)
        y = m.special.bessel_y1(x)
        p = m.special.legendre_polynomial_p(x, 3)
        g = m.gcd(m.tensor([4, 6]), m.tensor([6, 9]))
        assert (y.requires_grad, y.grad_fn, p.requires_grad, g.requires_grad) == (
            False,
            None,
            False,
            False,
        )


# ---- two arguments
def _pairs(a_values: np.ndarray, b_values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every a with every b, as a (len(a), 1) column against a (len(b),) row: broadcasting."""
    return a_values[:, None], b_values


GAMMA_A = np.concatenate([[0.0, -1.0, 1.0, 0.5, 1e-3, 3e-4, 20.0, 25.0, 200.0, 1e4, np.inf, np.nan],
                          RNG.uniform(0, 5, 12), RNG.uniform(0, 50, 8)])  # fmt: skip
GAMMA_X = np.concatenate([[0.0, -1.0, 1e-300, 1e-3, 0.5, 1.1, 1.0, 2.0, 30.0, 1e3, np.inf, np.nan],
                          RNG.uniform(0, 5, 12), RNG.uniform(0, 60, 8)])  # fmt: skip
ZETA_X = np.concatenate([[1.0, 0.5, 2.0, 3.0, 1.5, 20.0, 100.0, np.inf, np.nan, -2.0],
                         RNG.uniform(1, 10, 10)])  # fmt: skip
ZETA_Q = np.concatenate([[1.0, 0.0, -1.0, -2.5, 0.5, 1e-3, 1e5, np.inf, np.nan, -3.0],
                         RNG.uniform(-10, 10, 10)])  # fmt: skip
# (function, a values, b values, float64 rtol, atol): xlog1py and nextafter agree to the
# last place; zeta is PyTorch's Cephes algorithm. The incomplete gammas are within ~1e-14 of
# mpmath: PyTorch's Temme expansion for a > 20 near x = a, which chainrule also takes, is off
# by up to ~2e-9 (its sqrt(2 pi a) takes pi in float32).
BINARY = {
    "xlog1py": (lambda m: m.special.xlog1py, VALUES[:80], VALUES[::7], 4e-16, 0),
    "gammainc": (lambda m: m.special.gammainc, GAMMA_A, GAMMA_X, 3e-9, 1e-300),
    "gammaincc": (lambda m: m.special.gammaincc, GAMMA_A, GAMMA_X, 3e-9, 1e-300),
    "igamma": (lambda m: m.igamma, GAMMA_A, GAMMA_X, 3e-9, 1e-300),
    "igammac_method": (lambda m: m.Tensor.igammac, GAMMA_A, GAMMA_X, 3e-9, 1e-300),
    "zeta": (lambda m: m.special.zeta, ZETA_X, ZETA_Q, 1e-15, 0),
    "nextafter": (lambda m: m.nextafter, VALUES[:60], VALUES[::11], 0, 0),
}


DTYPE_PAIRS = [("float64", "float64"), ("float32", "float32"), ("float32", "float64"),
               ("int64", "float32")]  # fmt: skip


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("dtypes", DTYPE_PAIRS, ids=str)
def test_binary_values_match_pytorch(name: str, dtypes: tuple[str, str]) -> None:
    get, a_values, b_values, rtol, atol = BINARY[name]
    a, b = _pairs(a_values, b_values)
    if dtypes[0] == "int64":
        a = np.nan_to_num(a, posinf=7, neginf=-7).clip(-1e6, 1e6).round()
    a, b = a.astype(dtypes[0]), b.astype(dtypes[1])
    if "float32" in dtypes:
        rtol, atol = max(rtol, 2e-5), max(atol, 1e-7)  # PyTorch's float32 1 - P: ~3e-8
    theirs = get(torch)(torch.from_numpy(a), torch.from_numpy(b))
    ours = get(cr)(cr.tensor(a), cr.tensor(b))
    _compare(ours, theirs, rtol, atol, f"{name} {dtypes}")


def test_the_incomplete_gammas_are_accurate_where_pytorch_is_not() -> None:
    """a > 20 with x near a, where PyTorch's expansion is off by ~1e-9, and Q for tiny a
    (PyTorch: 4e-12): mpmath's values."""
    a = cr.tensor([23.524600657413004, 202.24569297412273], dtype=cr.float64)
    x = cr.tensor([16.522116226319966, 139.4534134785563], dtype=cr.float64)
    exact = [0.06082527706698006432976451860098, 3.626625168231827242340427211463586e-07]
    np.testing.assert_allclose(cr.special.gammainc(a, x).numpy(), exact, rtol=1e-13)
    a = cr.tensor([1.020799623161731e-06], dtype=cr.float64)
    x = cr.tensor([5.135575952557824e-07], dtype=cr.float64)
    q = cr.special.gammaincc(a, x)
    np.testing.assert_allclose(q.numpy(), [1.41938009054695438292537478343e-05], rtol=1e-14)


NUMBERS = {
    "xlog1py_number_other": lambda m, t: m.special.xlog1py(t, 2.0),
    "xlog1py_number_input": lambda m, t: m.special.xlog1py(3, t),
    "zeta_number_x": lambda m, t: m.special.zeta(2, t.abs() + 1),
    "zeta_number_q": lambda m, t: m.special.zeta(t.abs() + 1, 2.0),
    "zeta_two_numbers_refused": lambda m, t: m.special.zeta(2, 3),
    "gammainc_number_refused": lambda m, t: m.special.gammainc(t, 2),
    "igamma_integers_refused": lambda m, t: m.igamma(m.tensor([1, 2]), m.tensor([1, 2])),
    "igamma_int_float": lambda m, t: m.igamma(m.tensor([1, 2]), m.tensor([1.0, 2.0])),
    "nextafter_integers_refused": lambda m, t: m.nextafter(m.tensor([1]), m.tensor([2])),
    "nextafter_number_refused": lambda m, t: m.nextafter(t, 3.0),
    "nextafter_steps": lambda m, t: m.nextafter(t, m.tensor(np.inf, dtype=t.dtype)) - t,
    "gcd": lambda m, t: m.gcd(m.tensor([4, -6, 0, 0, 7, -12]), m.tensor([6, 9, 5, 0, 13, -18])),
    "lcm": lambda m, t: m.lcm(m.tensor([4, -6, 0, 0, 7, -12]), m.tensor([6, 9, 5, 0, 13, -18])),
    "gcd_broadcast_int32": lambda m, t: m.gcd(
        m.tensor([[12], [18]], dtype=m.int32), m.tensor([8, 27, 0], dtype=m.int32)
    ),
    "gcd_int32_int64": lambda m, t: m.gcd(m.tensor([12], dtype=m.int32), m.tensor([8])),
    "lcm_uint8": lambda m, t: m.lcm(
        m.tensor([4, 6], dtype=m.uint8), m.tensor([6, 10], dtype=m.uint8)
    ),
    "gcd_floats_refused": lambda m, t: m.gcd(t, t),
    "gcd_bools_refused": lambda m, t: m.gcd(t > 0, t > 0),
    "lcm_number_refused": lambda m, t: m.lcm(m.tensor([4]), 6),
    "gcd_method_in_place": lambda m, t: m.tensor([4, 6]).gcd_(m.tensor([6, 4])),
    "lcm_method_in_place": lambda m, t: m.tensor([4, 6]).lcm_(m.tensor([6, 4])),
    "igamma_in_place": lambda m, t: (t.abs() + 0.5).igamma_(t.abs()),
    "igammac_in_place": lambda m, t: (t.abs() + 0.5).igammac_(t.abs()),
    "igamma_in_place_integers_refused": lambda m, t: m.tensor([1, 2]).igamma_(m.tensor([1.0, 1.0])),
    "i0_in_place": lambda m, t: t.clone().i0_(),
    "i0_in_place_integers_refused": lambda m, t: m.tensor([1, 2]).i0_(),
    "nextafter_in_place": lambda m, t: t.clone().nextafter_(m.zeros(4, dtype=t.dtype)),
    "mvlgamma_in_place": lambda m, t: (t.abs() + 2).mvlgamma_(3),
    "empty": lambda m, t: (m.special.i1e(m.tensor([])), m.special.zeta(m.tensor([]), 1.0)),
    "zero_dim": lambda m, t: m.special.erfcx(m.tensor(0.5, dtype=m.float64)),
}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("call", NUMBERS.values(), ids=NUMBERS.keys())
def test_numbers_integers_in_place_and_refusals_match_pytorch(call: Callable[..., Any]) -> None:
    values = [0.5, -1.25, 3.0, 1e-3]
    try:
        expected = call(torch, torch.tensor(values, dtype=torch.float64))
    except Exception as error:  # noqa: BLE001 - the type and message are compared
        with pytest.raises(type(error)) as got:
            call(cr, cr.tensor(values, dtype=cr.float64))
        assert str(got.value).splitlines()[0] == str(error).splitlines()[0]
        return
    got = call(cr, cr.tensor(values, dtype=cr.float64))
    pairs = zip(got, expected, strict=True) if isinstance(expected, tuple) else [(got, expected)]
    for ours, theirs in pairs:
        _compare(ours, theirs, 1e-6 if theirs.dtype == torch.float32 else 1e-13, 0, "")


# ---- the polynomials
POLYNOMIALS = [
    "chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
    "chebyshev_polynomial_w", "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u",
    "shifted_chebyshev_polynomial_v", "shifted_chebyshev_polynomial_w", "hermite_polynomial_h",
    "hermite_polynomial_he", "laguerre_polynomial_l", "legendre_polynomial_p",
]  # fmt: skip
POLY_X = np.concatenate([[0.0, 1.0, -1.0, 0.5, 1e-20, 1 - 2**-53, -1 + 2**-53, 2.0, -3.0, 10.0,
                          np.inf, -np.inf], RNG.uniform(-1.2, 1.2, 60)])  # fmt: skip
POLY_N = np.array([-3, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 13, 25, 60, 128, 129, 512, 513])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("name", POLYNOMIALS)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_polynomial_values_match_pytorch(name: str, dtype: str) -> None:
    """Over x in and around [-1, 1] (and the edges ±1, 0) and degrees from negative through
    the trigonometric forms to past Hermite's limit. Tolerances: the recurrences agree to
    rounding (float64 1e-11 relative, growing with the degree); PyTorch's trigonometric
    forms use its own vectorized arccos and cos, whose last-place differences scale with
    the degree: 1e-12 absolute per degree. float32: PyTorch steps in float32 (1e-3 relative
    at degree 60)."""
    x, n = POLY_X[:, None].astype(dtype), POLY_N
    theirs = getattr(torch.special, name)(torch.from_numpy(x), torch.from_numpy(n))
    ours = getattr(cr.special, name)(cr.tensor(x), cr.tensor(n))
    rtol, atol = (1e-9, 6e-13 * n.max()) if dtype == "float64" else (2e-3, 1e-3)
    if dtype == "float32":  # a recurrence overflowing: fused multiply-adds decide inf or nan
        overflowed = theirs.isinf() & torch.from_numpy(ours.isnan().numpy())
        theirs = torch.where(overflowed, torch.nan, theirs)
    _compare(ours, theirs, rtol, atol, name)


@pytest.mark.parametrize("name", POLYNOMIALS)
def test_polynomial_degrees_numbers_and_dtypes_match_pytorch(name: str) -> None:
    """Degrees as numbers and float tensors (truncated; nan and inf give 0), x as a number,
    integer x and n (float32), and both numbers refused."""
    calls = [
        lambda m, f: f(m.tensor([0.3, -0.7, 1.5]), 4),
        lambda m, f: f(m.tensor([0.3, -0.7, 1.5], dtype=m.float64), 9.7),
        lambda m, f: f(0.25, m.tensor([0, 1, 5, 11])),
        lambda m, f: f(m.tensor([1, 2, 0]), m.tensor([3, 2, 5])),
        lambda m, f: f(m.tensor([0.3, 0.6]), m.tensor([-2.5, 7.9])),
        lambda m, f: f(m.tensor([0.3, 0.6]), m.tensor([float("nan"), float("inf")])),
        lambda m, f: f(m.tensor([[0.3], [0.6]], dtype=m.float64), m.tensor([2, 3, 4])),
        lambda m, f: f(m.tensor([]), 3),
        lambda m, f: f(0.5, 3),
    ]
    for call in calls:
        try:
            theirs = call(torch, getattr(torch.special, name))
        except TypeError:
            with pytest.raises(TypeError):
                call(cr, getattr(cr.special, name))
            continue
        rtol = 1e-4 if theirs.dtype == torch.float32 else 1e-12  # float32 sin and arccos
        _compare(call(cr, getattr(cr.special, name)), theirs, rtol, 1e-5, name)


# ---- gradients and their refusals
def test_xlog1py_and_nextafter_gradients_match_pytorch_at_their_edges() -> None:
    """xlog1py by x: 0 where x = 0 and y <= -1 (PyTorch's masked_fill), -inf at y = -1 else;
    nextafter: 1 by x except where x == y, 0 by y."""
    x_values, y_values = [0.0, 0.0, 2.0, 0.0, 1.5, 3.0], [-1.0, -2.0, -1.0, 0.5, 1.0, np.nan]
    for dtype in ("float64", "float32"):
        grads = []
        for m in (torch, cr):
            x = m.tensor(x_values, dtype=getattr(m, dtype), requires_grad=True)
            y = m.tensor(y_values, dtype=getattr(m, dtype), requires_grad=True)
            grads += m.autograd.grad(m.special.xlog1py(x, y).sum(), (x, y))
            z = m.tensor([1.0, 2.0, 3.0], dtype=getattr(m, dtype), requires_grad=True)
            w = m.tensor([1.0, 0.0, 3.5], dtype=getattr(m, dtype), requires_grad=True)
            grads += m.autograd.grad(m.nextafter(z, w).sum(), (z, w))
        for ours, theirs in zip(grads[4:], grads[:4], strict=True):
            _compare(ours, theirs, 1e-6, 0, dtype)


REFUSED = {
    "igamma_by_a": lambda m, a, x: m.autograd.grad(m.igamma(a, x).sum(), a),
    "igammac_by_a": lambda m, a, x: m.autograd.grad(m.special.gammaincc(a, x).sum(), a),
    "zeta_by_x": lambda m, a, x: m.autograd.grad(m.special.zeta(a + 1, x).sum(), a),
    "igamma_forward_mode": lambda m, a, x: m.func.jvp(
        lambda x: m.igamma(a.detach(), x), (x.detach(),), (m.ones_like(x),)
    ),
    "igammac_forward_mode": lambda m, a, x: m.func.jvp(
        lambda x: m.igammac(a.detach(), x), (x.detach(),), (m.ones_like(x),)
    ),
    "zeta_forward_mode": lambda m, a, x: m.func.jvp(
        lambda q: m.special.zeta(a.detach() + 1, q), (x.detach(),), (m.ones_like(x),)
    ),
    "bessel_backward": lambda m, a, x: m.autograd.grad(m.special.bessel_j0(x).sum(), x),
}


@pytest.mark.parametrize("call", REFUSED.values(), ids=REFUSED.keys())
def test_derivatives_pytorch_does_not_implement_are_refused_alike(call: Callable) -> None:
    args = [np.array([1.5, 2.0]), np.array([0.7, 3.0])]
    with pytest.raises(Exception) as theirs:  # noqa: PT011 - the type is compared below
        call(torch, *[torch.tensor(v, requires_grad=True) for v in args])
    with pytest.raises(type(theirs.value)) as ours:
        call(cr, *[cr.tensor(v, requires_grad=True) for v in args])
    assert str(ours.value).splitlines()[0] == str(theirs.value).splitlines()[0]


def test_the_gradient_by_the_argument_pytorch_has_is_given_alone() -> None:
    """With only x (igamma) or q (zeta) requiring grad, backward runs; PyTorch's values."""
    grads = []
    for m in (torch, cr):
        a = m.tensor([0.5, 2.0, 30.0], dtype=m.float64)
        x = m.tensor([0.3, 2.5, 28.0], dtype=m.float64, requires_grad=True)
        grads += m.autograd.grad((m.igamma(a, x) - 2 * m.igammac(a, x)).sum(), x)
        grads += m.autograd.grad(m.special.zeta(a + 1, x).sum(), x)
    for ours, theirs in zip(grads[2:], grads[:2], strict=True):
        _compare(ours, theirs, 1e-12, 0, "")


def test_in_place_methods_bump_the_version_and_guard_saved_values() -> None:
    x = cr.tensor([0.5, 1.5], requires_grad=True)
    y = x * 1
    before = y._version
    y.i0_()
    assert y._version == before + 1
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), torch.special.i1(torch.tensor([0.5, 1.5])), 1e-6)
    z = x * 1
    w = cr.special.i0e(z)
    z.igamma_(cr.tensor([1.0, 1.0]))
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        w.sum().backward()


SNIPPETS = {
    "von_mises_density_and_its_gradient": """
        import torch
        kappa = torch.tensor([0.5, 2.0, 40.0], dtype=torch.float64, requires_grad=True)
        theta = torch.tensor([0.1, -1.0, 0.05], dtype=torch.float64)
        # log of exp(k cos t) / (2 pi I0(k)), stable for large k through i0e
        log_p = kappa * (theta.cos() - 1) - torch.log(2 * torch.pi * torch.special.i0e(kappa))
        log_p.sum().backward()
        print(log_p, kappa.grad)
    """,
    "gamma_cdf_and_normal_quantiles": """
        import torch
        shape = torch.tensor([0.5, 2.0, 9.0])
        x = torch.tensor([0.2, 2.0, 7.5], requires_grad=True)
        cdf = torch.special.gammainc(shape, x)
        cdf.sum().backward()
        print(cdf, x.grad)
        print(torch.special.ndtri(torch.tensor([0.025, 0.5, 0.975])))
        print(torch.special.erfcx(torch.tensor([-1.0, 0.0, 10.0, 1e4])))
        error(lambda: torch.autograd.grad(torch.igamma(x, x).sum(), x))
    """,
    "bessel_and_polynomial_tables": """
        import torch
        x = torch.linspace(0.5, 4.0, 4, dtype=torch.float64)
        print(torch.special.bessel_j0(x), torch.special.bessel_y1(x))
        print(torch.special.modified_bessel_k0(x), torch.special.airy_ai(-x))
        n = torch.arange(5)
        print(torch.special.legendre_polynomial_p(0.5, n))
        print(torch.special.hermite_polynomial_h(torch.tensor([[0.0], [1.0]]), n))
        print(torch.special.chebyshev_polynomial_t(torch.tensor([0.3]), 9))
        print(torch.special.zeta(torch.tensor([2.0, 4.0]), 1.0), torch.gcd(n, torch.tensor(4)))
    """,
}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("name", SNIPPETS)
def test_special_snippet_prints_what_pytorch_prints(name: str) -> None:
    source = SNIPPETS[name]
    expected = run(source).replace("torch", "chainrule")
    assert run(source.replace("torch", "chainrule")) == expected
