"""Elementwise functions keep a dense input's layout, as PyTorch's kernels (and NumPy's ufuncs)
do: ``erf(x.t())`` is transposed, so its ``view(-1)`` is refused in both libraries. The
special functions computed by chainrule's own code (a series, ``where``, a float64 kernel)
made row-major results, which viewed where PyTorch's refuse. Each row runs on a transposed
input and on a strided one (not dense: row-major in both) and compares the strides.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr

UNARY = [
    "airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "digamma", "entr", "erf", "erfc", "erfcx",
    "erfinv", "exp2", "expit", "expm1", "gammaln", "i0", "i0e", "i1", "i1e", "log1p", "log_ndtr",
    "logit", "modified_bessel_i0", "modified_bessel_k0", "ndtr", "ndtri", "psi", "round",
    "scaled_modified_bessel_k0", "sinc", "spherical_bessel_j0", "lgamma", "sigmoid",
]  # fmt: skip
BINARY = ["zeta", "gammainc", "gammaincc", "xlogy", "xlog1py", "igamma", "igammac", "atan2"]
SPECIAL = set(dir(torch.special))
VALUES = np.random.default_rng(0).uniform(0.1, 0.9, (2, 3))
INPUTS = {
    "transposed": lambda lib: lib.tensor(VALUES).t(),
    "strided": lambda lib: lib.tensor(np.repeat(VALUES, 2, 1))[:, ::2],
}


def _strides(lib: Any, name: str, layout: str) -> tuple[int, ...]:
    x = INPUTS[layout](lib)
    f = getattr(lib.special if name in SPECIAL else lib, name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = f(x, x + 1) if name in BINARY else f(x)
    return tuple(y.stride())


@pytest.mark.parametrize("layout", INPUTS)
@pytest.mark.parametrize("name", UNARY + BINARY)
def test_an_elementwise_result_is_laid_out_as_pytorchs(name: str, layout: str) -> None:
    assert _strides(cr, name, layout) == _strides(torch, name, layout)


def test_a_view_of_erf_of_a_transpose_is_refused_in_both() -> None:
    for lib in (torch, cr):
        with pytest.raises(RuntimeError, match="view size is not compatible"):
            lib.erf(INPUTS["transposed"](lib)).view(-1)
