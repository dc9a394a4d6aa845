"""``_blas.addmm``: a linear layer's product and bias in one gemm call (``beta = 1``).

The call must give the numbers of ``a @ b + bias`` for every dtype and memory layout it takes
(transposed and strided operands read in place, the rest copied or sent to the fallback), the
fallback (no OpenBLAS gemm found) must give the same, and a large ``F.linear`` must match
PyTorch's values and gradients. Timings are in benchmarks/bench_table.py, never here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from rounding import assert_product_close

import chainrule as cr
from chainrule import _blas


def _layouts(rng: np.random.Generator, rows: int, cols: int, dtype: Any) -> dict[str, Any]:
    """A ``rows x cols`` matrix laid out in each way a caller may hand one over."""
    wide = rng.standard_normal((rows, cols + 5)).astype(dtype)
    return {
        "c": rng.standard_normal((rows, cols)).astype(dtype),
        "transposed": np.ascontiguousarray(rng.standard_normal((cols, rows)).astype(dtype)).T,
        "row stride": wide[:, 2 : cols + 2],  # rows apart by more than their length
        "every other column": rng.standard_normal((rows, 2 * cols)).astype(dtype)[:, ::2],
    }


@pytest.fixture
def gemm_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the calls of OpenBLAS's gemm (NumPy's wheels bundle OpenBLAS: it is found)."""
    assert _blas._GEMMS, "no cblas gemm found in the OpenBLAS that NumPy loaded"
    calls: list[int] = []

    def counted(gemm: Any) -> Any:
        def call(*args: Any) -> None:
            calls.append(args[5])  # k
            gemm(*args)

        return call

    spied = {dtype: (counted(gemm), largest) for dtype, (gemm, largest) in _blas._GEMMS.items()}
    monkeypatch.setattr(_blas, "_GEMMS", spied)
    # idle cores (pytest-xdist's other worker): on busy ones a layout's first product is also
    # tried twice, to see whether one thread keeps its bits
    monkeypatch.setattr(_blas, "others_busy", lambda: False)
    return calls


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("a_layout", ["c", "transposed", "row stride", "every other column"])
@pytest.mark.parametrize("b_layout", ["c", "transposed", "row stride", "every other column"])
def test_addmm_equals_matmul_plus_bias(dtype, a_layout, b_layout, gemm_calls) -> None:
    rng = np.random.default_rng(0)
    a = _layouts(rng, 300, 64, dtype)[a_layout]
    b = _layouts(rng, 64, 128, dtype)[b_layout]
    bias = rng.standard_normal(128).astype(dtype)
    got = _blas.addmm(bias, a, b)
    assert got.dtype == dtype and got.shape == (300, 128)
    assert_product_close(got, a, b, bias)
    # In place where BLAS can read both operands; a column step goes to matmul + add.
    in_place = "every other column" not in (a_layout, b_layout)
    assert gemm_calls == ([64] if in_place else [])


@pytest.mark.parametrize("bias_shape", [(), (1,), (128,), (1, 128), (300, 1), (300, 128)])
def test_addmm_broadcasts_the_bias(bias_shape, gemm_calls) -> None:
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((300, 64)), rng.standard_normal((64, 128))
    bias = rng.standard_normal(bias_shape)
    assert_product_close(_blas.addmm(bias, a, b), a, b, bias)
    assert gemm_calls == [64]


def test_addmm_fallback_gives_the_same_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((300, 64)), rng.standard_normal((64, 128))
    bias = rng.standard_normal(128)
    fast = _blas.addmm(bias, a, b).copy()
    monkeypatch.setattr(_blas, "_GEMMS", {})  # as where no OpenBLAS is loaded
    np.testing.assert_array_equal(_blas.addmm(bias, a, b), fast)


@pytest.mark.parametrize(
    "a_shape, b_shape, bias_dtype",
    [
        ((8, 3), (3, 4), np.float32),  # small: matmul + add, no call
        ((300, 0), (0, 128), np.float32),  # nothing summed: the bias alone
        ((300, 64), (64, 128), np.float64),  # a float64 bias promotes the float32 product
        ((2, 300, 64), (64, 128), np.float32),  # batched: matmul broadcasts
    ],
)
def test_addmm_shapes_and_dtypes_the_gemm_does_not_take(
    a_shape, b_shape, bias_dtype, gemm_calls
) -> None:
    rng = np.random.default_rng(3)
    a = rng.standard_normal(a_shape).astype(np.float32)
    b = rng.standard_normal(b_shape).astype(np.float32)
    bias = rng.standard_normal(b_shape[-1]).astype(bias_dtype)
    got = _blas.addmm(bias, a, b)
    assert got.dtype == (a @ b + bias).dtype
    assert_product_close(got, a, b, bias)
    assert gemm_calls == []


def test_addmm_restores_the_blas_thread_count() -> None:
    rng = np.random.default_rng(4)
    a, b = rng.standard_normal((300, 64)), rng.standard_normal((64, 128))  # runs on one thread
    before = _blas._THREADS[0]() if _blas._THREADS else None
    _blas.addmm(np.zeros(128), a, b)
    if _blas._THREADS:
        assert _blas._THREADS[0]() == before


def assert_linear_matches_pytorch(batch: int, dtype: str, rtol: float, atol: float) -> None:
    """``F.linear``'s output and gradients (of the sum of its squares) on ``batch`` rows of 64
    features into 128, as PyTorch's."""
    rng = np.random.default_rng(5)
    arrays = [rng.standard_normal(s).astype(dtype) for s in ((batch, 64), (128, 64), (128,))]
    results = []
    for m in (cr, torch):
        x, w, b = (m.tensor(a, requires_grad=True) for a in arrays)
        out = m.nn.functional.linear(x, w, b)
        (out * out).sum().backward()
        results.append([t.detach().numpy() for t in (out, x.grad, w.grad, b.grad)])
    for ours, theirs in zip(*results, strict=True):
        assert ours.dtype == theirs.dtype
        np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_large_linear_matches_pytorch(dtype: str, gemm_calls) -> None:
    tol = 1e-4 if dtype == "float32" else 1e-10
    assert_linear_matches_pytorch(512, dtype, tol, tol)
    assert gemm_calls == [64]  # chainrule's forward ran the one call
