"""erf and erfc by Cephes' rational functions (chainrule.ops.special) against mpmath and PyTorch.

They replaced a 60-term series and a 60-term continued fraction (~360 passes over the array:
gelu on a float32 1797 x 128 tensor took 22 ms); the timings are in the commit, not here.
What must not move is the accuracy: float64 erf within 4 ulp of mpmath, erfc within 1e-14
relative up to its underflow (26.55, where results turn subnormal) and one subnormal step
more beyond, the special values (-0 keeps its sign, nan, the infinities), float32 rounded once
from float64, and gelu, the busiest caller, as PyTorch's.
"""

from __future__ import annotations

import math

import mpmath  # SymPy's, in the test extra
import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.nn import functional as F
from chainrule.ops import special

SMALLEST_NORMAL = np.finfo(np.float64).tiny
SUBNORMAL_STEP = 2.0**-1074


def _points(rng: np.random.Generator) -> np.ndarray:
    """A dense grid of [-30, 30], random points there and around 0, and each branch's edges
    (1 and 8, where the rational functions change; 6, where erf becomes 1; 26.55, where erfc
    turns subnormal) with their neighbours one ulp away."""
    edges = np.array([0.5, 1.0, 6.0, 8.0, 26.55, 27.0, 27.2, 27.25])
    near = [np.nextafter(edges, np.inf), np.nextafter(edges, -np.inf), edges]
    points = np.concatenate(
        [np.linspace(-30.0, 30.0, 6001), rng.uniform(-30.0, 30.0, 2000),
         rng.uniform(-1.5, 1.5, 2000), *near, np.array([1e-300, 1e-310, 5e-324, 1e-8])]
    )  # fmt: skip
    return np.concatenate([points, -points])


def _reference(function, x: np.ndarray) -> np.ndarray:  # type: ignore[no-untyped-def]
    """``function`` by mpmath at 100 bits, each value rounded once to float64."""
    with mpmath.workprec(100):
        return np.array([float(function(mpmath.mpf(float(v)))) for v in x])


def _ulps(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    """|got - want| in units of the last place of ``want`` (one subnormal step at 0)."""
    return np.abs(got - want) / np.where(want == 0, SUBNORMAL_STEP, np.spacing(np.abs(want)))


def test_erf_float64_within_4_ulp_of_mpmath(rng: np.random.Generator) -> None:
    x = _points(rng)
    got = special.erf(x)
    assert got.dtype == np.float64
    worst = _ulps(got, _reference(mpmath.erf, x))
    assert worst.max() <= 4, (x[worst.argmax()], worst.max())


def test_erfc_float64_relative_error_below_1e_14_up_to_its_underflow(
    rng: np.random.Generator,
) -> None:
    x = _points(rng)
    got, want = special.erfc(x), _reference(mpmath.erfc, x)
    assert got.dtype == np.float64
    normal = want >= SMALLEST_NORMAL
    relative = np.abs(got[normal] - want[normal]) / want[normal]
    assert relative.max() <= 1e-14, (x[normal][relative.argmax()], relative.max())
    # subnormal from x = 26.55: the same relative error, or one step of the rounding
    error = np.abs(got[~normal] - want[~normal])
    assert (error <= 1e-14 * want[~normal] + SUBNORMAL_STEP).all()
    assert (got[x >= 27.25] == 0).all() and (got[x <= -6] == 2).all()


def test_special_values() -> None:
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, -5e-324, 1e-300])
    erf, erfc = special.erf(x), special.erfc(x)
    assert np.signbit(erf[:2]).tolist() == [False, True]  # erf(-0) is -0
    assert erf[2:4].tolist() == [1.0, -1.0] and math.isnan(erf[4])
    assert erf[5:7].tolist() == [5e-324, -5e-324]  # 2 / sqrt(pi) x rounds back to x
    assert erfc[:4].tolist() == [1.0, 1.0, 0.0, 2.0] and math.isnan(erfc[4])
    assert erfc[5:].tolist() == [1.0, 1.0, 1.0]
    # -0 and nan in float32 too (computed in float64, rounded once)
    erf32 = special.erf(x.astype(np.float32))
    assert erf32.dtype == np.float32 and np.signbit(erf32[1]) and math.isnan(erf32[4])


def test_dtypes_and_shapes() -> None:
    assert special.erf(np.array([1, 2])).dtype == np.float32  # integers: float32
    assert special.erfc(np.array([1, 2])).dtype == np.float32
    assert isinstance(special.erf(np.array(0.5)), np.float64)  # 0-d: a number, as before
    assert special.erfc(np.array(0.5)).shape == ()
    x = np.linspace(-3.0, 3.0, 24).reshape(4, 6).T  # not contiguous
    assert special.erf(x).shape == (6, 4) and special.erfc(x).shape == (6, 4)
    assert np.array_equal(special.erf(x), special.erf(np.ascontiguousarray(x)))
    assert special.erf(np.zeros((0, 3))).shape == (0, 3)
    # a float32 result is the float64 one rounded once
    x32 = np.linspace(-7.0, 7.0, 1001, dtype=np.float32)
    assert np.array_equal(special.erf(x32), special.erf(x32.astype(np.float64)).astype(np.float32))
    assert np.array_equal(
        special.erfc(x32), special.erfc(x32.astype(np.float64)).astype(np.float32)
    )


def _torch_points(rng: np.random.Generator, dtype: type) -> np.ndarray:
    x = np.concatenate([rng.standard_normal(20000), 6.0 * rng.standard_normal(20000),
                        np.linspace(-30.0, 30.0, 4001)])  # fmt: skip
    return x.astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_erf_and_erfc_as_pytorch(rng: np.random.Generator, dtype: type) -> None:
    x = _torch_points(rng, dtype)
    erf, erfc = special.erf(x), special.erfc(x)
    torch_erf = torch.special.erf(torch.from_numpy(x)).numpy()
    torch_erfc = torch.special.erfc(torch.from_numpy(x)).numpy()
    assert erf.dtype == erfc.dtype == np.dtype(dtype)
    if dtype is np.float32:  # both within an ulp of the truth: 2 ulp apart at most
        for ours, theirs in ((erf, torch_erf), (erfc, torch_erfc)):
            ulps = np.abs(ours - theirs) / np.spacing(np.maximum(np.abs(ours), np.abs(theirs)))
            assert ulps.max() <= 2, (x[ulps.argmax()], ours[ulps.argmax()], theirs[ulps.argmax()])
    else:  # PyTorch's (the C library's) are within 1 ulp
        assert _ulps(erf, torch_erf).max() <= 4
        normal = torch_erfc >= SMALLEST_NORMAL
        relative = np.abs(erfc - torch_erfc)[normal] / torch_erfc[normal]
        assert relative.max() <= 1e-14
        error = np.abs(erfc - torch_erfc)[~normal]
        assert (error <= 1e-14 * torch_erfc[~normal] + 2 * SUBNORMAL_STEP).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gelu_as_pytorch(rng: np.random.Generator, dtype: type) -> None:
    """gelu = x (1 + erf(x / sqrt 2)) / 2 in the input's dtype, as PyTorch's kernel: for
    x < 0, 1 + erf cancels, and both are off by erf's rounding times |x| / 2 there."""
    x = np.concatenate([_torch_points(rng, dtype), np.array([0.0, -0.0, 1e-30, -40.0], dtype)])
    ours = F.gelu(cr.from_numpy(x)).numpy()
    theirs = torch.nn.functional.gelu(torch.from_numpy(x)).numpy()
    assert ours.dtype == np.dtype(dtype)
    eps = np.finfo(dtype).eps
    bound = 4 * eps * np.abs(x) + 2 * np.spacing(np.abs(theirs))
    excess = np.abs(ours - theirs) / bound
    assert excess.max() <= 1, (x[excess.argmax()], ours[excess.argmax()], theirs[excess.argmax()])
