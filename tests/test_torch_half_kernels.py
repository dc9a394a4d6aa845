"""float16 ops as PyTorch's CPU kernels compute them: in float32, rounded once.

A formula of several NumPy steps on float16 rounds at each step: the norm of [300, 1]
overflowed to inf (300 * 300 > 65504), a layer norm of [600, 0] gave [0, 0], a float16
cumsum lost its small terms, gelu(-3.67) was -0. Each case runs the same code with ``torch``
and with ``chainrule`` (as ``M``) on float16 inputs and compares the result bit for bit (nan
equal to nan), and the gradient to a few float16 steps of its largest element (the order of
a formula's float32 steps differs; a cancellation near 0 shows it). The gradients check
that the rules read what PyTorch's backward reads: float32 values in its fused backward
kernels (tanh, softmax, log's g / x, which overflowed as g * (1 / x)), float16 ones where its
derivative is a formula of float16 ops (reciprocal's -g * out * out).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr

ROWS = [1000.0, 1.0, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3]  # a big term and small ones, 4 x 2
CASES: dict[str, tuple[Callable[[Any, Any], Any], list[float]]] = {
    "vector_norm": (lambda M, x: M.linalg.vector_norm(x), [300.0, 1.0]),
    "norm of p=3 along a dim": (
        lambda M, x: M.norm(x.reshape(2, 2), p=3, dim=1),
        [30.0, 1.0, 2.0, 0.5],
    ),
    "normalize": (lambda M, x: M.nn.functional.normalize(x, dim=0), [300.0, 1.0]),
    "cosine_similarity": (
        lambda M, x: M.nn.functional.cosine_similarity(
            x.reshape(1, 2), M.ones(1, 2, dtype=M.float16)
        ),
        [300.0, 1.0],
    ),
    "layer_norm": (lambda M, x: M.nn.functional.layer_norm(x, (2,)), [600.0, 0.0]),
    "layer_norm with weight and bias": (
        lambda M, x: M.nn.functional.layer_norm(
            x, (4,), M.tensor([0.3, 3.0, 1.0, -2.0], dtype=M.float16), x * 0.1
        ),
        [600.0, 0.0, 1.5, -0.7],
    ),
    "group_norm": (lambda M, x: M.nn.functional.group_norm(x.reshape(1, 2, 1), 1), [600.0, 0.0]),
    "rms_norm": (lambda M, x: M.nn.functional.rms_norm(x, (2,)), [300.0, 1.0]),
    "cumsum": (lambda M, x: M.cumsum(x, 0), [2048.0, 1.0, 1.0, 1.0]),
    "sum over dim 0": (lambda M, x: x.reshape(4, 2).sum(0), ROWS),
    "mean over dim 0": (lambda M, x: x.reshape(4, 2).mean(0), ROWS),
    "gelu": (lambda M, x: M.nn.functional.gelu(x), [-3.67, 1.5, 699.0]),
    "silu": (lambda M, x: M.nn.functional.silu(x), [-17.34, -1.28, 2.0]),
    "mish": (lambda M, x: M.nn.functional.mish(x), [-17.34, -1.28, 2.0]),
    "hardswish": (lambda M, x: M.nn.functional.hardswish(x), [10920.0, 1.0, -1.0]),
    "log, its gradient g / x": (lambda M, x: M.log(x) * -1.087e-4, [1.24e-5, 2.0]),
    "tanh": (lambda M, x: M.tanh(x) * 1.953, [-2.426, 0.5]),
    "sigmoid": (lambda M, x: M.sigmoid(x), [-2.426, 0.5, 7.0]),
    "softmax": (lambda M, x: M.softmax(x, 0), [0.0, 1.0, 2.0, 3.3]),
    "log_softmax": (lambda M, x: M.log_softmax(x, 0), [0.0, 1.0, 2.0, 3.3]),
    "logsumexp": (lambda M, x: M.logsumexp(x.reshape(2, 2), 0), [10.0, 1.0, 10.0, 3.0]),
    "reciprocal, its gradient in float16": (lambda M, x: M.reciprocal(x), [1e-3, 0.01, 3.0]),
    "rsqrt": (lambda M, x: M.rsqrt(x), [1e-3, 0.25, 3.0]),
    "clamp to bounds float16 rounds": (lambda M, x: M.clamp(x, -0.3, 0.6), [-0.2998, 0.6, 0.1]),
    "a float16 reshape is still a view": (lambda M, x: x.view(2, 2).exp()[0], [0.5, 1.0, 2.0, 3.0]),
}
# PyTorch's own last bit differs here between its kernels: 1 + erf(-2.595) cancels, and its
# vectorized erf (AVX2, AVX512, or the scalar loop for a 1-element tensor) gives -28853 or
# -28852 as the float16 bits of gelu(-3.67). Before the float32 kernel, ours was -0.
ULPS = {"gelu": 1}


def _outcome(M: Any, name: str) -> tuple[np.ndarray, np.ndarray]:
    compute, values = CASES[name]
    x = M.tensor(values, dtype=M.float16, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # NumPy's overflow warnings: compared are values
        y = compute(M, x)
        y.backward(M.full_like(y, 0.75))
    assert y.dtype == M.float16 and x.grad.dtype == M.float16
    return _bits(y.detach().numpy()), x.grad.numpy().astype(np.float64)


def _bits(values: np.ndarray) -> np.ndarray:
    """A float16 array's bits (each nan the same), to tell -0.0 from 0.0 and count ulps."""
    return np.where(np.isnan(values), np.nan, values).astype(np.float16).view(np.uint16)


@pytest.mark.parametrize("name", list(CASES))
def test_float16_op_as_pytorch(name: str) -> None:
    (out, grad), (want_out, want_grad) = _outcome(cr, name), _outcome(torch, name)
    ulps = np.abs(out.astype(np.int64) - want_out.astype(np.int64))
    assert ulps.max(initial=0) <= ULPS.get(name, 0), (name, out, want_out)
    scale = np.abs(want_grad[np.isfinite(want_grad)]).max(initial=0.0)
    np.testing.assert_allclose(grad, want_grad, rtol=2**-9, atol=2**-9 * scale)


def test_a_float16_reshape_shares_memory() -> None:
    """Ops computed in float32 are elementwise math, never views: a view stays a view."""
    x = cr.ones(4, dtype=cr.float16)
    v = x.view(2, 2)
    v[0, 0] = 5.0
    assert x[0].item() == 5.0 and v.dtype == cr.float16
