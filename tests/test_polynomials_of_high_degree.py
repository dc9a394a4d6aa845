"""The orthogonal polynomials of ``torch.special`` at high degree: where PyTorch answers at
once (Chebyshev's T, U, V, W and their shifted forms inside (-1, 1) by their trigonometric
forms, at ±1 by their edge values; Hermite's H and He above their degree limit, nan), so does
chainrule. Its three-term recurrence takes one NumPy step per degree, which ran for hours at
n = 1e9 even for the elements that did not use its result.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

import chainrule as cr

QUICK = [
    "chebyshev_polynomial_t",
    "chebyshev_polynomial_u",
    "chebyshev_polynomial_v",
    "chebyshev_polynomial_w",
    "shifted_chebyshev_polynomial_t",
    "shifted_chebyshev_polynomial_u",
    "shifted_chebyshev_polynomial_v",
    "shifted_chebyshev_polynomial_w",
    "hermite_polynomial_h",
    "hermite_polynomial_he",
]
# inside (-1, 1) for both the plain and the shifted forms, the edges, and outside
POINTS = [0.3, 0.7, 0.999, 1.0, -1.0, 0.0, 1.5, -2.0]


@pytest.mark.parametrize("name", QUICK)
@pytest.mark.parametrize("degree", [9, 100, 10_000])
def test_values_as_pytorch(name: str, degree: int) -> None:
    ours = getattr(cr.special, name)(cr.tensor(POINTS, dtype=cr.float64), degree).numpy()
    theirs = getattr(torch.special, name)(torch.tensor(POINTS, dtype=torch.float64), degree)
    # (at degree 1e4 the trigonometric forms' arguments are 1e4 radians: libm's last bits)
    np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-9, atol=1e-9, equal_nan=True)


def test_high_degrees_answer_at_once() -> None:
    """Degrees up to 1e300 at points where PyTorch needs no recurrence: well under the
    subprocess's 60 s, where each call took hours (one recurrence step per degree)."""
    code = f"""
import chainrule as cr
points = cr.tensor([0.3, -0.7, 0.999, 1.0, -1.0], dtype=cr.float64)
for name in {QUICK!r}:
    for degree in (1e6, 1e9, 1e15, 1e300):
        getattr(cr.special, name)(points if "shifted" not in name else (points + 1) / 2, degree)
"""
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
