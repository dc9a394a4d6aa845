"""``polygamma(n, x)`` of high order against PyTorch: its asymptotic series' factorials
overflowed from n = 151 (nan, then Python's OverflowError from n = 152), its powers of x
from n ~ 100 at large x (polygamma(103, 1000.0) was 0), and n = 1e6 took n steps (hung).
PyTorch's formula, (-1)^(n+1) exp(lgamma(n + 1)) zeta(n + 1, x), now serves there.
"""

from __future__ import annotations

import math
import subprocess
import sys

import mpmath  # SymPy's, in the test extra
import pytest
import torch

import chainrule as cr

POINTS = [2.0, 0.5, 30.0, 100.0, 1000.0, 5e4, 1e300, 1e-300, 0.0, math.inf, math.nan]


# (not n = 1: PyTorch's trigamma is good to ~1e-10 only, 0.64493406709 at 2 for pi^2/6 - 1)
@pytest.mark.parametrize("n", [0, 2, 99, 103, 120, 150, 151, 152, 171, 1000, 10**6])
def test_values_as_pytorch(n: int) -> None:
    ours = cr.polygamma(n, cr.tensor(POINTS, dtype=cr.float64)).tolist()
    theirs = torch.polygamma(n, torch.tensor(POINTS, dtype=torch.float64)).tolist()
    for x, a, b in zip(POINTS, ours, theirs, strict=True):
        assert a == b or (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-11), (
            x,
            a,
            b,
        )


@pytest.mark.parametrize(("n", "x"), [(150, 100.0), (100, 1000.0), (130, 30.0), (120, 2.0)])
def test_values_as_mpmath(n: int, x: float) -> None:
    mpmath.mp.dps = 40
    value = cr.polygamma(n, cr.tensor(x, dtype=cr.float64)).item()
    assert math.isclose(value, float(mpmath.polygamma(n, x)), rel_tol=1e-11)


def test_huge_orders_answer_at_once() -> None:
    code = """
import chainrule as cr
points = cr.tensor([2.0, -1.5, 1000.0, 0.5], dtype=cr.float64)
for n in (10**6, 10**9, 10**15):
    cr.polygamma(n, points)
"""
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
