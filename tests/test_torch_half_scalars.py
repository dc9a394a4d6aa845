"""float16 (and float32) tensors beside Python numbers and 0-d tensors, as PyTorch computes.

PyTorch's float16 kernels for multiplication, the divisions, leaky_relu and the fused ops
(addcmul, addcdiv, lerp) read the number in float32 and round the result once; add and sub
round it to float16 first, and an alpha too; a fill value, a bound or an exponent past
float16's range is refused, and a kernel's parameter (a slope, alpha, beta, threshold, value)
past float32's. Each case runs the same code with ``torch`` and with ``chainrule`` (as ``M``)
over numbers that tell the roundings apart, on float16 and on float32 tensors, and compares the
dtypes, the errors' types and words, and the values: float16's bit for bit (nan equal to nan),
float32's within two units in the last place (PyTorch fuses some steps with FMA, and computes
a float32 power of a number in float64).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr

VALUES = [0.0, 1000.0, 3.0, 6e-8, -2.5, 65504.0, 1e-4, 0.1, 2.0, float("inf")]
# tiny (below float16's smallest), huge (past its largest), and ones float16 rounds
NUMBERS = [1e-8, 3e-8, -1e-8, 1e-5, 0.1, 1 / 3, 2049.0, 65519.0, 70000.0, 1e8, 1e40]
DTYPES = ["float16", "float32"]

CASES: dict[str, Callable[[Any, Any, Any], Any]] = {
    "x * s": lambda M, x, s: x * s,
    "s * x": lambda M, x, s: s * x,
    "x / s": lambda M, x, s: x / s,
    "s / x": lambda M, x, s: s / x,
    "x // s": lambda M, x, s: x // s,
    "div trunc": lambda M, x, s: M.div(x, s, rounding_mode="trunc"),
    "x * 0-d float32 tensor": lambda M, x, s: x * M.tensor(s),
    "x / 0-d float64 tensor": lambda M, x, s: x / M.tensor(s, dtype=M.float64),
    "0-d float32 tensor * x": lambda M, x, s: M.tensor(s) * x,
    "mul_": lambda M, x, s: x.clone().mul_(s),
    "div_": lambda M, x, s: x.clone().div_(s),
    "mul_ by a 0-d tensor": lambda M, x, s: x.clone().mul_(M.tensor(s)),
    "x * int": lambda M, x, s: x * int(min(s, 2**62)),
    "x + s": lambda M, x, s: x + s,
    "x - s": lambda M, x, s: x - s,
    "add with alpha": lambda M, x, s: M.add(x, x, alpha=s),
    "sub with alpha": lambda M, x, s: M.sub(x, 1.0, alpha=s),
    "addcmul": lambda M, x, s: M.addcmul(x, x, x, value=s),
    "addcdiv": lambda M, x, s: M.addcdiv(x, x, x + 1, value=s),
    "lerp": lambda M, x, s: M.lerp(x, x * 0 + 1, s),
    "leaky_relu": lambda M, x, s: M.nn.functional.leaky_relu(-x, s),
    "pow": lambda M, x, s: x**s,
    "clamp": lambda M, x, s: M.clamp(x, max=s),
    "hardtanh": lambda M, x, s: M.nn.functional.hardtanh(x, -abs(s), abs(s)),
    "fill_": lambda M, x, s: x.clone().fill_(s),
    "full": lambda M, x, s: M.full((2,), s, dtype=M.float16),
    "masked_fill": lambda M, x, s: x.masked_fill(x > 1, s),
    "where": lambda M, x, s: M.where(x > 1, x, s),
    "add_ with alpha": lambda M, x, s: x.clone().add_(x, alpha=s),
    "elu": lambda M, x, s: M.nn.functional.elu(-x, s),
    "celu": lambda M, x, s: M.nn.functional.celu(-x, s),
    "softplus beta": lambda M, x, s: M.nn.functional.softplus(x, beta=s),
    "softplus threshold": lambda M, x, s: M.nn.functional.softplus(x, threshold=s),
    "threshold": lambda M, x, s: M.nn.functional.threshold(x, s, 2.0),
    "threshold value": lambda M, x, s: M.nn.functional.threshold(x, 1.0, s),
    "hardshrink": lambda M, x, s: M.nn.functional.hardshrink(x, s),
}
# Not compared: elu with a negative alpha (PyTorch's sign of a zero there comes from its
# exp(x) - 1), and softplus above a threshold where PyTorch's log1p(exp(x)) overflows to inf
# (chainrule's log1p(exp(-|x|)) + max(x, 0) gives x).
NOT_COMPARED = {
    ("elu", -1e-8),
    *(("softplus threshold", t) for t in (2049.0, 65519.0, 70000.0, 1e8)),
}
PAIRS = [
    (name, number, dtype)
    for name in CASES
    for number in NUMBERS
    for dtype in DTYPES
    if (name, number) not in NOT_COMPARED
]


def _outcome(case: Callable[[Any, Any, Any], Any], M: Any, number: float, dtype: str) -> Any:
    x = M.tensor(VALUES, dtype=getattr(M, dtype))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # NumPy's overflow warnings: compared are values
            result = case(M, x, number)
    except Exception as error:  # noqa: BLE001 - the error is the outcome compared
        return ("raised", type(error).__name__, str(error).split("\n")[0])
    return (str(result.dtype).split(".")[-1], np.asarray(result.detach().numpy()))


def _assert_same(got: Any, want: Any) -> None:
    if got[0] == "raised" or want[0] == "raised":
        assert got == want
        return
    assert got[0] == want[0]  # the dtype
    values, expected = got[1], want[1]
    if values.dtype == np.float32:
        np.testing.assert_array_max_ulp(values, expected, maxulp=2)
    else:
        np.testing.assert_array_equal(_bits(values), _bits(expected))


def _bits(values: np.ndarray) -> np.ndarray:
    """A float array's bits (each nan the same), to tell -0.0 from 0.0; others as they are."""
    if values.dtype.kind != "f":
        return values
    return np.where(np.isnan(values), np.nan, values).view(f"u{values.itemsize}")


@pytest.mark.parametrize(
    ("name", "number", "dtype"), PAIRS, ids=[f"{n}-{s!r}-{d}" for n, s, d in PAIRS]
)
def test_a_float_tensor_with_a_number_as_pytorch(name: str, number: float, dtype: str) -> None:
    _assert_same(
        _outcome(CASES[name], cr, number, dtype), _outcome(CASES[name], torch, number, dtype)
    )


GRADIENTS: dict[str, Callable[[Any, Any], Any]] = {
    "x * s": lambda M, x: x * 3e-8,
    "x / s": lambda M, x: x / 0.1,
    "s / x": lambda M, x: 0.1 / x,
    "x * 0-d tensor": lambda M, x: x * M.tensor(1e-5),
    "addcmul": lambda M, x: M.addcmul(x, x, x, value=1e-4),
    "lerp": lambda M, x: M.lerp(x, x * x, 1 / 3),
    "leaky_relu": lambda M, x: M.nn.functional.leaky_relu(-x, 3e-8),
}


@pytest.mark.parametrize("name", list(GRADIENTS))
def test_float16_gradients_with_a_number_as_pytorch(name: str) -> None:
    values = [1000.0, 3.0, -2.5, 0.5, 12.0]
    grads = []
    for M in (cr, torch):
        x = M.tensor(values, dtype=M.float16, requires_grad=True)
        out = GRADIENTS[name](M, x)
        out.backward(M.ones_like(out) * 1.5)
        assert x.grad.dtype == M.float16
        grads.append((out.detach().numpy().astype(np.float64), x.grad.numpy().astype(np.float64)))
    (out, grad), (want_out, want_grad) = grads
    np.testing.assert_array_equal(out, want_out)
    # the gradient rounds once or twice to float16: within one float16 step
    np.testing.assert_allclose(grad, want_grad, rtol=2**-10, atol=2**-24)


@pytest.mark.parametrize("name", list(GRADIENTS))
def test_float16_tangents_with_a_number_as_pytorch(name: str) -> None:
    values, direction = [1000.0, 3.0, -2.5, 0.5, 12.0], [1.0, -2.0, 0.5, 3.0, 1e-3]
    tangents = []
    for M in (cr, torch):
        x, v = (M.tensor(a, dtype=M.float16) for a in (values, direction))
        _, tangent = M.func.jvp(lambda x, M=M: GRADIENTS[name](M, x), (x,), (v,))
        assert tangent.dtype == M.float16
        tangents.append(tangent.numpy().astype(np.float64))
    np.testing.assert_allclose(tangents[0], tangents[1], rtol=2**-10, atol=2**-24)
