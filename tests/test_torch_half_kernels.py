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

Where PyTorch's kernel keeps float16 steps, so do ours: a product rounds each step (300 *
300 * 0.001 is inf), batch norm keeps its mean and 1/std in float16. Float32 weights, biases
or running statistics beside a float16 input (PyTorch's "mixed" normalization kernels) give
a float16 result, computed in float32.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr


def _params(M: Any, dtype: Any, size: int = 2) -> tuple[Any, Any]:
    """A normalization's weight and bias of ``size`` channels (2 or 3) in ``dtype``. (Two
    values normalized are -1 and 1 whatever they are: their gradient is rounding noise.)"""
    weight, bias = [1.5, -2.0, 0.7][:size], [0.1, 0.2, -0.3][:size]
    return M.tensor(weight, dtype=dtype), M.tensor(bias, dtype=dtype)


# 24 values of a normal distribution times 3, rounded
NOISE = [0.0, 0.9, -0.82, -2.67, -1.36, -2.97, 0.18, 4.02, -1.48, -1.86, 1.47, 1.07]
NOISE += [0.32, -2.79, -0.09, 2.09, -4.03, -1.37, -5.7, -3.87, -5.53, -0.71, -3.8, 0.81]
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
    "batch_norm in training": (
        lambda M, x: M.nn.functional.batch_norm(x.reshape(2, 1), None, None, training=True),
        [600.0, 0.0],
    ),
    "batch_norm keeps its mean and 1/std in float16": (
        lambda M, x: M.nn.functional.batch_norm(
            x.reshape(3, 2), None, None, *_params(M, M.float16), training=True
        ),
        [600.0, 1.0, 0.0, 3.0, 2.5, -7.0],
    ),
    "batch_norm with float32 weight and bias gives float16": (
        lambda M, x: M.nn.functional.batch_norm(
            x.reshape(3, 2), None, None, *_params(M, M.float32), training=True
        ),
        [600.0, 1.0, 0.0, 3.0, 2.5, -7.0],
    ),
    "batch_norm evaluation with float32 statistics": (
        lambda M, x: M.nn.functional.batch_norm(
            x.reshape(3, 2), M.tensor([0.5, 2.0]), M.tensor([300.0, 1e-3]), *_params(M, M.float32)
        ),
        [600.0, 1.0, 0.0, 3.0, 2.5, -7.0],
    ),
    "instance_norm": (
        lambda M, x: M.nn.functional.instance_norm(x.reshape(1, 2, 3), None, None),
        [600.0, 1.0, 0.0, 3.0, 2.5, -7.0],
    ),
    "instance_norm with float32 statistics and weight gives float16": (
        lambda M, x: M.nn.functional.instance_norm(
            x.reshape(1, 2, 3), M.zeros(2), M.ones(2), *_params(M, M.float32)
        ),
        [600.0, 1.0, 0.0, 3.0, 2.5, -7.0],
    ),
    "group_norm with float32 weight and bias gives float16": (
        lambda M, x: M.nn.functional.group_norm(x.reshape(2, 3, 1), 1, *_params(M, M.float32, 3)),
        [600.0, 1.0, 0.0, 3.0, 2.5, -7.0],
    ),
    "layer_norm with float32 weight and bias gives float16": (
        lambda M, x: M.nn.functional.layer_norm(x.reshape(2, 3), (3,), *_params(M, M.float32, 3)),
        [600.0, 1.0, 0.0, 3.0, 2.5, -7.0],
    ),
    "scaled_dot_product_attention": (
        lambda M, x: M.nn.functional.scaled_dot_product_attention(
            x.reshape(1, 2, 2), x.reshape(1, 2, 2) * 2, x.reshape(1, 2, 2)
        ),
        [1.0, 3.0, 7.0, 0.1],
    ),
    "linear adds its bias to the float32 product": (
        lambda M, x: M.nn.functional.linear(x.reshape(4, 6), x.reshape(6, 4).T * 0.7, x[:4]),
        NOISE,
    ),
    "addmm": (
        lambda M, x: M.addmm(x[:4], x.reshape(4, 6), x.reshape(6, 4), beta=0.5, alpha=3.0),
        NOISE,
    ),
    "addr rounds each step, as its Half kernel": (
        lambda M, x: M.addr(x[:12].reshape(3, 4), x[12:15], x[15:19], beta=0.7, alpha=1.3),
        NOISE,
    ),
    "baddbmm": (
        lambda M, x: M.baddbmm(x[:8].reshape(2, 2, 2), x.reshape(2, 2, 6), x.reshape(2, 6, 2)),
        NOISE,
    ),
    "multi_dot in PyTorch's order, A(BC) where it costs less": (
        lambda M, x: M.linalg.multi_dot(
            [x[:6].reshape(2, 3) * 40, x[6:15].reshape(3, 3) * 40, x[15:18].reshape(3, 1)]
        ),
        NOISE,
    ),
    "einsum": (lambda M, x: M.einsum("ij,jk->ik", x.reshape(4, 6), x.reshape(6, 4)), NOISE),
    "conv2d with a bias": (
        lambda M, x: M.nn.functional.conv2d(
            x.reshape(1, 2, 3, 4), x[:18].reshape(3, 2, 1, 3), x[3:6], padding=1
        ),
        NOISE,
    ),
    "conv_transpose2d": (
        lambda M, x: M.nn.functional.conv_transpose2d(
            x.reshape(1, 2, 3, 4), x[6:24].reshape(2, 1, 3, 3)
        ),
        NOISE,
    ),
    "conv_transpose1d adds its bias in float32": (
        lambda M, x: M.nn.functional.conv_transpose1d(
            x[:10].reshape(1, 2, 5), x[10:16].reshape(2, 1, 3), x[16:17], stride=2
        ),
        NOISE,
    ),
    "conv3d": (
        lambda M, x: M.nn.functional.conv3d(
            x[:16].reshape(1, 2, 2, 2, 2) * 30, x[8:24].reshape(2, 2, 2, 2, 1), x[:2], padding=1
        ),
        NOISE,
    ),
    "avg_pool1d of 20000s: summed in float32": (
        lambda M, x: M.nn.functional.avg_pool1d(x.reshape(1, 1, 4), 4),
        [20000.0, 20000.0, 20000.0, 20000.0],
    ),
    "renorm's factor in float32, rounded": (
        lambda M, x: M.renorm(x[:6].reshape(2, 3), 2, 0, 1.0),
        NOISE,
    ),
    "renorm of tiny rows: a gradient, not NaN": (
        lambda M, x: M.renorm(x.reshape(2, 3), 2, 0, 1.0),
        [1e-5, -2e-5, 3e-5, 2e-5, 1e-5, -1e-5],
    ),
    "huber_loss, each loss in float32": (
        lambda M, x: M.nn.functional.huber_loss(
            x[:12], (x[12:] * 0.5).detach(), reduction="none", delta=1.3
        ),
        NOISE,
    ),
    "scatter_add sums in float32": (
        lambda M, x: x[:2].scatter_add(0, M.tensor([0, 0, 0, 1, 1, 0]), x[2:8] * 40),
        NOISE,
    ),
    "index_add sums in float32": (
        lambda M, x: (
            x[:6].reshape(2, 3).index_add(0, M.tensor([0, 0, 1, 0]), x[6:18].reshape(4, 3) * 40)
        ),
        NOISE,
    ),
    "embedding_bag with per_sample_weights": (
        lambda M, x: M.nn.functional.embedding_bag(
            M.tensor([0, 2, 1, 2]),
            x[:12].reshape(3, 4) * 40,
            M.tensor([0, 2]),
            mode="sum",
            per_sample_weights=x[12:16],
        ),
        NOISE,
    ),
    "bilinear resize": (
        lambda M, x: M.nn.functional.interpolate(
            x.reshape(1, 2, 3, 4) * 30, scale_factor=2, mode="bilinear"
        ),
        NOISE,
    ),
    "bicubic resize": (
        lambda M, x: M.nn.functional.interpolate(
            x.reshape(1, 2, 3, 4) * 30, scale_factor=2, mode="bicubic"
        ),
        NOISE,
    ),
    "glu": (lambda M, x: M.nn.functional.glu(x.reshape(4, 6)), NOISE),
    "cumprod": (lambda M, x: M.cumprod(x[1:12], 0), NOISE),
    "logcumsumexp": (lambda M, x: M.logcumsumexp(x, 0), NOISE),
    "binary_cross_entropy, PyTorch's log1p(-p)": (
        lambda M, x: M.nn.functional.binary_cross_entropy(
            x.sigmoid(), (x * 0.7).sigmoid().detach(), reduction="none"
        ),
        NOISE,
    ),
    "binary_cross_entropy of a tiny p: g (p - y) first": (
        lambda M, x: M.nn.functional.binary_cross_entropy(
            x,
            M.tensor([0.25806, 0.3], dtype=M.float16),
            weight=M.tensor([4.5896e-6, 0.5], dtype=M.float16),
            reduction="sum",
        ),
        [3.5167e-6, 0.4],
    ),
    "rms_norm": (lambda M, x: M.nn.functional.rms_norm(x, (2,)), [300.0, 1.0]),
    "cumsum": (lambda M, x: M.cumsum(x, 0), [2048.0, 1.0, 1.0, 1.0]),
    "cumsum, its gradient summed in float32 too": (  # in float16, each 1536 + 0.75 gained 1
        lambda M, x: M.cumsum(x, 0) * M.tensor([1.0] * 39 + [2048.0], dtype=M.float16),
        [0.5] * 40,
    ),
    "prod rounds each product": (lambda M, x: M.prod(x), [300.0, 300.0, 0.001]),
    "prod along a dim": (
        lambda M, x: M.prod(x.reshape(2, 2), 1, keepdim=True),
        [300.0, 300.0, 0.5, 3.0],
    ),
    "round to 2 decimals": (lambda M, x: M.round(x, decimals=2), [-0.005, 1.2345, 300.127]),
    "sum over dim 0": (lambda M, x: x.reshape(4, 2).sum(0), ROWS),
    "mean over dim 0": (lambda M, x: x.reshape(4, 2).mean(0), ROWS),
    "gelu": (lambda M, x: M.nn.functional.gelu(x), [-3.67, 1.5, 699.0]),
    "silu": (lambda M, x: M.nn.functional.silu(x), [-17.34, -1.28, 2.0]),
    "mish": (lambda M, x: M.nn.functional.mish(x), [-17.34, -1.28, 2.0]),
    "hardswish": (lambda M, x: M.nn.functional.hardswish(x), [10920.0, 1.0, -1.0]),
    "log, its gradient g / x": (lambda M, x: M.log(x) * -1.087e-4, [1.24e-5, 2.0]),
    "log10 of a tiny x: g / (x ln 10), finite": (lambda M, x: M.log10(x), [6.2585e-6, 0.3]),
    "logit of a tiny x: g / (x (1 - x)), finite": (lambda M, x: M.logit(x), [1.5e-5, 0.3]),
    "hypot of tiny values: g x / out, finite": (
        lambda M, x: M.hypot(x[:2], x[2:]),
        [1e-5, -2e-5, 3e-6, 1e-5],
    ),
    "sub of a number times alpha, their float16 product": (
        lambda M, x: M.sub(x, 0.1, alpha=3),
        NOISE,
    ),
    "sub_ in place, the same product": (lambda M, x: (x * 1).sub_(0.1, alpha=3), NOISE),
    "pow(-0.5), 1 / sqrt rounded once": (lambda M, x: (x.abs() + 0.1).pow(-0.5), NOISE),
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


# PyTorch's float16 transposed convolutions round on the way on some CPUs: on an AMD EPYC
# its values lie up to 5 ulps from the float64 sum rounded once, on the machine these rows were
# written on they were that sum. There chainrule's values are compared with that sum's bits.
ROUNDED_ONCE = {"conv_transpose2d", "conv_transpose1d adds its bias in float32"}


def _rounded_once(name: str) -> np.ndarray:
    """The bits of ``name``'s value computed in float64 from the float16 inputs, rounded once."""
    compute, values = CASES[name]
    x = torch.tensor(np.asarray(values, dtype=np.float16).astype(np.float64))
    return _bits(compute(torch, x).detach().numpy())


@pytest.mark.parametrize("name", list(CASES))
def test_float16_op_as_pytorch(name: str) -> None:
    (out, grad), (want_out, want_grad) = _outcome(cr, name), _outcome(torch, name)
    if name in ROUNDED_ONCE:
        want_out = _rounded_once(name)
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


@pytest.mark.parametrize("stats", ["float16", "float32"])
def test_batch_norm_moves_running_statistics_as_pytorch(stats: str) -> None:
    """The running statistics move in float32 and are stored once: a float16 one rounded twice
    (``mul_`` then ``add_``) drifted from PyTorch's in its last bit."""

    def moved(M: Any) -> list[np.ndarray]:
        x = M.tensor([[600.0, 1.0], [0.0, 3.0], [2.5, -7.0]], dtype=M.float16)
        mean = M.tensor([0.5, 2.0], dtype=getattr(M, stats))
        var = M.tensor([300.0, 1e-3], dtype=getattr(M, stats))
        M.nn.functional.batch_norm(x, mean, var, training=True, momentum=0.3)
        return [mean.numpy(), var.numpy()]

    for ours, theirs in zip(moved(cr), moved(torch), strict=True):
        assert ours.dtype == theirs.dtype
        np.testing.assert_array_equal(ours, theirs)


def _half(M: Any, rows: int, columns: int = 4) -> Any:
    return M.arange(rows * columns, dtype=M.float16).reshape(rows, columns) / 8


# PyTorch has no float16 kernel for most of these (its matrix-product cdist, for large
# Euclidean inputs, an empty input, a 3-D local response norm, vander and a matrix power run):
# chainrule computed them, or NumPy's TypeError came through. (An antialiased resize
# computed in float32 would skip the refusal: it reads the float16 dtype.)
CALLS: dict[str, Callable[[Any], Any]] = {
    "cdist, p=1": lambda M: M.cdist(_half(M, 3), _half(M, 2), p=1.0),
    "cdist, small": lambda M: M.cdist(_half(M, 25), _half(M, 25)),
    "cdist, large Euclidean: the product": lambda M: M.cdist(_half(M, 26), _half(M, 2)),
    "cdist, large, p=1": lambda M: M.cdist(_half(M, 26), _half(M, 2), p=1.0),
    "cdist, by product asked": lambda M: M.cdist(
        _half(M, 2), _half(M, 2), compute_mode="use_mm_for_euclid_dist"
    ),
    "cdist, product refused": lambda M: M.cdist(
        _half(M, 30), _half(M, 2), compute_mode="donot_use_mm_for_euclid_dist"
    ),
    "cdist, empty": lambda M: M.cdist(_half(M, 0), _half(M, 2), p=1.0),
    "cdist, compute_mode None": lambda M: M.cdist(
        _half(M, 2).float(), _half(M, 2).float(), 2.0, None
    ),
    "cdist, unknown compute_mode": lambda M: M.cdist(_half(M, 2), _half(M, 2), 2.0, "fast"),
    "pdist": lambda M: M.nn.functional.pdist(_half(M, 2)),
    "quantile": lambda M: M.quantile(_half(M, 1), 0.5),
    "nanquantile": lambda M: M.nanquantile(_half(M, 1), 0.5),
    "erfcx": lambda M: M.special.erfcx(_half(M, 1)),
    "log_ndtr": lambda M: M.special.log_ndtr(_half(M, 1)),
    "ndtri": lambda M: M.special.ndtri(_half(M, 1)),
    "zeta": lambda M: M.special.zeta(_half(M, 1) + 2, _half(M, 1)),
    "bessel_j0": lambda M: M.special.bessel_j0(_half(M, 1)),
    "modified_bessel_k1": lambda M: M.special.modified_bessel_k1(_half(M, 1)),
    "airy_ai": lambda M: M.special.airy_ai(_half(M, 1)),
    "chebyshev_polynomial_t": lambda M: M.special.chebyshev_polynomial_t(_half(M, 1), 2),
    "hermite_polynomial_h of a float16 n": lambda M: M.special.hermite_polynomial_h(
        _half(M, 1).float(), _half(M, 1)
    ),
    "i1's gradient": lambda M: M.special.i1(_half(M, 1).requires_grad_()).sum().backward(),
    "i1e's gradient": lambda M: M.special.i1e(_half(M, 1).requires_grad_()).sum().backward(),
    "multi_margin_loss": lambda M: M.nn.functional.multi_margin_loss(_half(M, 2), M.tensor([0, 1])),
    "multilabel_margin_loss": lambda M: M.nn.functional.multilabel_margin_loss(
        _half(M, 2), M.tensor([[0, 1, -1, 2], [1, -1, 0, 0]])
    ),
    "rrelu in training": lambda M: M.nn.functional.rrelu(_half(M, 1) - 1, training=True),
    "avg_pool3d": lambda M: M.nn.functional.avg_pool3d(_half(M, 2).reshape(1, 1, 2, 2, 2), 2),
    "lp_pool3d": lambda M: M.nn.functional.lp_pool3d(_half(M, 2).reshape(1, 1, 2, 2, 2), 2, 2),
    "local_response_norm of 4-D": lambda M: M.nn.functional.local_response_norm(
        _half(M, 3).reshape(1, 3, 2, 2), 2
    ),
    "local_response_norm of 3-D": lambda M: M.nn.functional.local_response_norm(
        _half(M, 3).reshape(1, 3, 4), 2
    ),
    "histogram": lambda M: M.histogram(_half(M, 1), 4),
    "histogram's 100 bins": lambda M: M.histogram(_half(M, 1).float()).hist,
    "linalg.vander": lambda M: M.linalg.vander(_half(M, 1)),
    "vander": lambda M: M.vander(_half(M, 1)),
    "linalg.det": lambda M: M.linalg.det(_half(M, 2, 2)),
    "linalg.slogdet": lambda M: M.linalg.slogdet(_half(M, 2, 2)),
    "logdet": lambda M: M.logdet(_half(M, 2, 2)),
    "linalg.inv": lambda M: M.linalg.inv(_half(M, 2, 2)),
    "linalg.inv_ex": lambda M: M.linalg.inv_ex(_half(M, 2, 2)),
    "linalg.tensorinv": lambda M: M.linalg.tensorinv(_half(M, 2, 2), 1),
    "matrix_power -1": lambda M: M.linalg.matrix_power(_half(M, 2, 2), -1),
    "matrix_power 2": lambda M: M.linalg.matrix_power(_half(M, 2, 2), 2),
    "linalg.solve": lambda M: M.linalg.solve(_half(M, 2, 2), _half(M, 1, 2)[0]),
    "linalg.cholesky": lambda M: M.linalg.cholesky(_half(M, 2, 2)),
    "linalg.cholesky_ex": lambda M: M.linalg.cholesky_ex(_half(M, 2, 2)),
    "cholesky_inverse": lambda M: M.cholesky_inverse(_half(M, 2, 2)),
    "linalg.qr": lambda M: M.linalg.qr(_half(M, 2, 2)),
    "linalg.eigh": lambda M: M.linalg.eigh(_half(M, 2, 2)),
    "linalg.svd": lambda M: M.linalg.svd(_half(M, 2, 2)),
    "linalg.svdvals": lambda M: M.linalg.svdvals(_half(M, 2, 2)),
    "linalg.cond": lambda M: M.linalg.cond(_half(M, 2, 2)),
    "linalg.pinv": lambda M: M.linalg.pinv(_half(M, 2, 2)),
    "linalg.lstsq": lambda M: M.linalg.lstsq(_half(M, 2, 2), _half(M, 2, 1)),
    "linalg.matrix_rank": lambda M: M.linalg.matrix_rank(_half(M, 2, 2)),
    "linalg.matrix_norm nuc": lambda M: M.linalg.matrix_norm(_half(M, 2, 2), "nuc"),
    "linalg.matrix_norm fro": lambda M: M.linalg.matrix_norm(_half(M, 2, 2)),
    "linalg.lu": lambda M: M.linalg.lu(_half(M, 2, 2)),
    "linalg.lu_factor": lambda M: M.linalg.lu_factor(_half(M, 2, 2)),
    "linalg.solve_triangular": lambda M: M.linalg.solve_triangular(
        _half(M, 2, 2), _half(M, 2, 1), upper=True
    ),
    "linalg.ldl_factor": lambda M: M.linalg.ldl_factor(_half(M, 2, 2)),
    "linalg.householder_product": lambda M: M.linalg.householder_product(
        _half(M, 2, 2), _half(M, 1, 1)[0]
    ),
    "pdist of one row": lambda M: M.nn.functional.pdist(_half(M, 1)),
    "antialiased bilinear": lambda M: M.nn.functional.interpolate(
        _half(M, 4).reshape(1, 1, 4, 4), size=(2, 2), mode="bilinear", antialias=True
    ),
    "antialiased bilinear to the same size": lambda M: M.nn.functional.interpolate(
        _half(M, 4).reshape(1, 1, 4, 4), size=(4, 4), mode="bilinear", antialias=True
    ),
}


@pytest.mark.parametrize("name", list(CALLS))
def test_float16_call_as_pytorch(name: str) -> None:
    """The same call on both: the same error (type and message), or results of one dtype and
    shape (their values by the kernels' own rounding: a product's cdist is not exact)."""
    outcomes = []
    for M in (cr, torch):
        try:
            out = CALLS[name](M)
        except Exception as error:  # noqa: BLE001 - the type is what is compared
            outcomes.append((type(error).__name__, str(error).splitlines()[0]))
        else:
            first = out[0] if isinstance(out, tuple) else out
            outcomes.append((str(first.dtype).split(".")[-1], tuple(first.shape)))
    assert outcomes[0] == outcomes[1]
