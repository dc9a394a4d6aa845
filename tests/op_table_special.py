"""Op-table rows for ``torch.special``'s Bessel functions, orthogonal polynomials, incomplete
gammas, zeta and friends.

The same ``OpSpec`` format as ``tests/op_table.py``: every row runs finite differences in
float64, second order, jvp, vmap, layouts, and values and gradients against PyTorch.

The functions PyTorch gives no derivative (the Bessel functions, the polynomials, gcd and
lcm) are ``Constant`` ops: their rows feed them a piecewise-constant function of the input
(``_steps``: x rounded down to eighths, whose gradient is 0; or argmax indices), so that the
op is recorded, its values are compared with PyTorch's, and finite differences see the same
zero derivative as the rules.
"""

from __future__ import annotations

from typing import Any

import torch
from op_table import (
    BINARY,
    MATRIX,
    NONZERO,
    POSITIVE,
    REAL,
    SAME,
    UNARY,
    OpSpec,
    between_jumps,
    uniform,
)

import chainrule as cr
from chainrule.ops.special_ops import IgammaDensity


def _lib(x: Any) -> Any:
    """The library of ``x``'s tensors: chainrule or torch."""
    return cr if isinstance(x, cr.Tensor) else torch


def _special(x: Any) -> Any:
    return _lib(x).special


def _steps(x: Any) -> Any:
    """x rounded down to a multiple of 1/8: piecewise constant (the domain keeps x off the
    jumps), so a function of it has the derivative 0 that a Constant op's rule gives."""
    return (x * 8).floor() / 8


EIGHTHS = between_jumps(0.125)  # in [-2, 2], at least 1/40 from every jump of _steps


def _number(x: Any, value: float) -> Any:
    """``value`` as a 0-d tensor of ``x``'s dtype and library (a parameter, not an input)."""
    return _lib(x).tensor(value, dtype=x.dtype)


_NO_FORWARD_MODE = (
    "PyTorch has no forward-mode rule for igamma, igammac and zeta (it raises "
    "NotImplementedError, as chainrule does: test_torch_special_more.py)"
)


def _torch_igamma_density(a: Any, x: Any) -> Any:
    """PyTorch's derivative of igamma by x, as its backward formula writes it."""
    return torch.exp((a - 1) * torch.log(x) - x - torch.lgamma(a))


_TRIGAMMA = (
    "the second derivative by a is trigamma, PyTorch's accurate to ~1e-10 only; "
    "igamma_density_second_order checks it by finite differences"
)

SPECIAL_SPECS: list[OpSpec] = [
    # the modified Bessel functions with derivatives: both branches (|x| <= 8 and beyond)
    OpSpec("i0", lambda x: _lib(x).i0(x * 5), SAME, ("I0",), UNARY),
    OpSpec("i0_method", lambda x: (x * 5).i0(), SAME, ("I0",), MATRIX),
    OpSpec("special_i0e", lambda x: _special(x).i0e(x * 5), SAME, ("I0e",), UNARY, NONZERO),
    OpSpec("special_i1", lambda x: _special(x).i1(x * 5), SAME, ("I1",), UNARY),
    OpSpec("special_i1e", lambda x: _special(x).i1e(x * 5), SAME, ("I1e",), UNARY, NONZERO),
    OpSpec(
        "special_ndtri_both_regions",
        lambda p: _special(p).ndtri(p),
        SAME,
        ("Ndtri",),
        UNARY,
        uniform(0.01, 0.99),
    ),
    OpSpec(
        "special_erfcx_both_regions",
        lambda x: _special(x).erfcx(x * 2),
        SAME,
        ("Erfcx",),
        UNARY,
        uniform(-1.5, 3.0),
    ),
    OpSpec(  # from 10 on the derivative is summed from its asymptotic series
        "special_erfcx_far",
        lambda x: _special(x).erfcx(x),
        SAME,
        ("Erfcx",),
        UNARY,
        uniform(8.0, 14.0),
    ),
    OpSpec(
        "special_xlog1py",
        lambda x, y: _special(x).xlog1py(x, y),
        SAME,
        ("XLog1Py",),
        BINARY,
        domain=(REAL, uniform(-0.5, 2.0)),
    ),
    OpSpec(
        "special_xlog1py_numbers",
        lambda x: _special(x).xlog1py(x, 2.0) + _special(x).xlog1py(3.0, x),
        SAME,
        ("XLog1Py",),
        UNARY,
        POSITIVE,
    ),
    # the incomplete gammas: derivatives by x only (PyTorch refuses the one by a)
    OpSpec(
        "igamma_by_x",
        lambda x: _lib(x).igamma(_number(x, 0.7), x) + _number(x, 3.5).igamma(x),
        SAME,
        ("Igamma",),
        UNARY,
        uniform(0.2, 6.0),
        jvp=False,
        why_off={"jvp": _NO_FORWARD_MODE},
    ),
    OpSpec(
        "special_gammaincc_by_x",
        lambda x: _special(x).gammaincc(_number(x, 2.5), x) + _number(x, 0.4).igammac(x),
        SAME,
        ("Igammac",),
        UNARY,
        uniform(0.2, 6.0),
        jvp=False,
        why_off={"jvp": _NO_FORWARD_MODE},
    ),
    # igamma's derivative by x, the op its backward records under create_graph, applied
    # directly so that its own rules run (by a too: PyTorch's formula is differentiable in
    # a); below a = 20 PyTorch's formula, from 20 on log1pmx and Stirling's series
    OpSpec(
        "igamma_density",
        lambda a, x: IgammaDensity()(a, x),
        _torch_igamma_density,
        ("IgammaDensity",),
        BINARY,
        (uniform(0.5, 4.0), uniform(0.3, 5.0)),
        second_order=False,
        why_off={"second_order": _TRIGAMMA},
    ),
    OpSpec(
        "igamma_density_large_a",
        lambda a, x: IgammaDensity()(a, x),
        _torch_igamma_density,
        ("IgammaDensity",),
        BINARY,
        (uniform(20.0, 40.0), uniform(15.0, 50.0)),
        second_order=False,
        float32=False,
        why_off={
            "second_order": _TRIGAMMA,
            "float32": "PyTorch's float32 formula rounds terms of up to ~150 (1e-5 relative); "
            "the float64 values agree to 1e-12",
        },
    ),
    OpSpec(
        "igamma_density_second_order",
        lambda a, x: IgammaDensity()(a, x) + IgammaDensity()(a + 20, x + 20),
        None,
        ("IgammaDensity",),
        BINARY,
        (uniform(0.5, 4.0), uniform(0.3, 5.0)),
        why_off={
            "torch": "the two rows above compare with PyTorch (not its second derivatives: "
            "trigamma, accurate to ~1e-10 only)"
        },
    ),
    OpSpec(
        "special_zeta_by_q",
        lambda q: _special(q).zeta(_number(q, 3.0), q) + _special(q).zeta(2.5, q),
        SAME,
        ("Zeta",),
        UNARY,
        uniform(0.5, 12.0),
        jvp=False,
        why_off={"jvp": _NO_FORWARD_MODE},
    ),
    OpSpec(
        "nextafter",
        lambda x, y: _lib(x).nextafter(x, y) * 2 + x.nextafter(y),
        SAME,
        ("NextAfter",),
        BINARY,
        domain=(REAL, REAL),
    ),
    # gcd and lcm: of argmax indices, so that the graph records them
    OpSpec(
        "gcd_lcm_of_indices",
        lambda x: (
            x * _lib(x).gcd(x.argmax(-1, keepdim=True), _lib(x).tensor(6))
            + x * x.argmax(-1, keepdim=True).lcm(_lib(x).tensor(4))
        ),
        SAME,
        ("Gcd", "Lcm"),
        (((2, 3),), ((4, 5),)),
    ),
]


def _constant_row(name: str, fn: Any, covers: str, scale: float, shift: float) -> OpSpec:
    """A row for a function without a derivative: x times it at _steps(x) * scale + shift."""
    return OpSpec(
        name,
        lambda x: x * fn(x)(_steps(x) * scale + shift),
        SAME,
        (covers,),
        UNARY,
        EIGHTHS,
    )


SPECIAL_SPECS += [
    _constant_row("special_bessel_j0", lambda x: _special(x).bessel_j0, "BesselJ0", 4.0, 0.0),
    _constant_row("special_bessel_j1", lambda x: _special(x).bessel_j1, "BesselJ1", 4.0, 0.0),
    _constant_row("special_bessel_y0", lambda x: _special(x).bessel_y0, "BesselY0", 2.0, 4.5),
    _constant_row("special_bessel_y1", lambda x: _special(x).bessel_y1, "BesselY1", 2.0, 4.5),
    _constant_row(
        "special_modified_bessel_i0",
        lambda x: _special(x).modified_bessel_i0,
        "ModifiedBesselI0",
        5.0,
        0.0,
    ),
    _constant_row(
        "special_modified_bessel_i1",
        lambda x: _special(x).modified_bessel_i1,
        "ModifiedBesselI1",
        5.0,
        0.0,
    ),
    _constant_row(
        "special_modified_bessel_k0",
        lambda x: _special(x).modified_bessel_k0,
        "ModifiedBesselK0",
        1.0,
        2.2,
    ),
    _constant_row(
        "special_modified_bessel_k1",
        lambda x: _special(x).modified_bessel_k1,
        "ModifiedBesselK1",
        1.0,
        2.2,
    ),
    _constant_row(
        "special_scaled_modified_bessel_k0",
        lambda x: _special(x).scaled_modified_bessel_k0,
        "ScaledModifiedBesselK0",
        1.0,
        2.2,
    ),
    _constant_row(
        "special_scaled_modified_bessel_k1",
        lambda x: _special(x).scaled_modified_bessel_k1,
        "ScaledModifiedBesselK1",
        1.0,
        2.2,
    ),
    _constant_row(
        "special_spherical_bessel_j0",
        lambda x: _special(x).spherical_bessel_j0,
        "SphericalBesselJ0",
        2.0,
        0.0,
    ),
    _constant_row("special_airy_ai", lambda x: _special(x).airy_ai, "AiryAi", 2.0, 0.0),
]

# The polynomials at degrees below and above PyTorch's switch to the trigonometric forms.
_POLYNOMIALS = (
    ("chebyshev_polynomial_t", "ChebyshevPolynomialT", 0.5),
    ("chebyshev_polynomial_u", "ChebyshevPolynomialU", 0.5),
    ("chebyshev_polynomial_v", "ChebyshevPolynomialV", 0.5),
    ("chebyshev_polynomial_w", "ChebyshevPolynomialW", 0.5),
    ("shifted_chebyshev_polynomial_t", "ShiftedChebyshevPolynomialT", 0.25),
    ("shifted_chebyshev_polynomial_u", "ShiftedChebyshevPolynomialU", 0.25),
    ("shifted_chebyshev_polynomial_v", "ShiftedChebyshevPolynomialV", 0.25),
    ("shifted_chebyshev_polynomial_w", "ShiftedChebyshevPolynomialW", 0.25),
    ("hermite_polynomial_h", "HermitePolynomialH", 1.0),
    ("hermite_polynomial_he", "HermitePolynomialHe", 1.0),
    ("laguerre_polynomial_l", "LaguerrePolynomialL", 2.0),
    ("legendre_polynomial_p", "LegendrePolynomialP", 0.5),
)


def _polynomial_row(name: str, covers: str, scale: float) -> OpSpec:
    def fn(x: Any) -> Any:
        at = _steps(x) * scale + (0.5 if name.startswith("shifted") else 0.0)
        poly = getattr(_special(x), name)
        return x * poly(at, 3) + poly(at, 9) + x * poly(at, _number(x, 12.0))

    if covers not in _FLOAT32_APART:
        return OpSpec(f"special_{name}", fn, SAME, (covers,), UNARY, EIGHTHS)
    return OpSpec(
        f"special_{name}",
        fn,
        SAME,
        (covers,),
        UNARY,
        EIGHTHS,
        float32=False,
        why_off={"float32": _FLOAT32_APART[covers]},
    )


_FLOAT32_STEPS = (
    "both compute in float32 step by step, but PyTorch's compiler fuses multiply-adds: at "
    "degree 12 the roundings differ by up to ~4e-6 relative (float32 is compared at rtol "
    "2e-3 in test_torch_special_more.py)"
)
_FLOAT32_APART = {
    "LaguerrePolynomialL": _FLOAT32_STEPS,
    "ChebyshevPolynomialV": "V_12 = cos(12.5 t) / cos(t / 2) amplifies PyTorch's float32 "
    "arccos rounding near t = pi; " + _FLOAT32_STEPS,
    "ShiftedChebyshevPolynomialV": "as for chebyshev_polynomial_v",
}


SPECIAL_SPECS += [_polynomial_row(name, covers, scale) for name, covers, scale in _POLYNOMIALS]
