"""``_blas._in_parts``: a large product with a long sum, as one part of the sum per BLAS thread.

The parts are run by OpenBLAS's batched gemm and added up after. The result must be the
product's numbers for every dtype and layout the call takes, through ``matmul`` and ``addmm``
(``beta = 1``, the bias added once); products it does not take must be left to the other
paths; and no part may be small enough for OpenBLAS's small-matrix kernels, which crash in
NumPy's wheels (a segmentation fault, not an error). Timings are in benchmarks/, never here.
"""

from __future__ import annotations

import ctypes
from typing import Any

import numpy as np
import pytest
from rounding import assert_product_close
from test_blas_addmm import assert_linear_matches_pytorch

from chainrule import _blas

# A product _in_parts takes: at least _blas.serial_below multiply-adds, the sum (1,797, the
# digits data set) longer than both sides of the output (128 x 96).
LONG_SUM = (128, 1797, 96)


def _read(address: int, count: int, ctype: Any) -> list[Any]:
    return list((ctype * count).from_address(address))


@pytest.fixture
def parts_sent(monkeypatch: pytest.MonkeyPatch) -> list[list[tuple[int, int, int]]]:
    """Two BLAS threads (restored after), and the (m, n, k) of every part of every batched
    call, read from the arrays the call is given, before OpenBLAS runs it."""
    assert _blas._BATCHED, "no cblas gemm_batch found in the OpenBLAS that NumPy loaded"
    get, set_ = _blas._THREADS
    before = get()
    set_(2)
    calls: list[list[tuple[int, int, int]]] = []
    integer = ctypes.c_int64 if _blas._INTEGER is np.int64 else ctypes.c_int32

    def counted(gemm: Any) -> Any:
        def call(*args: Any) -> None:
            groups = args[14]
            sizes = [_read(args[i], groups, integer) for i in (3, 4, 5)]
            assert _read(args[15], groups, integer) == [1] * groups  # one product a group
            calls.append(list(zip(*sizes, strict=True)))
            # checked before the call: a smaller part would crash the process, not fail here
            assert all(m * n * k > 100**3 for m, n, k in calls[-1]), calls[-1]
            gemm(*args)

        return call

    monkeypatch.setattr(_blas, "_BATCHED", {d: counted(g) for d, g in _blas._BATCHED.items()})
    monkeypatch.setattr(_blas, "others_busy", lambda: False)  # (pytest-xdist's other worker)
    yield calls
    set_(before)


def _matrix(rng: np.random.Generator, rows: int, cols: int, dtype: Any, layout: str) -> Any:
    if layout == "transposed":
        return np.ascontiguousarray(rng.standard_normal((cols, rows)).astype(dtype)).T
    if layout == "row stride":  # rows apart by more than their length
        return rng.standard_normal((rows, cols + 3)).astype(dtype)[:, 1 : cols + 1]
    return rng.standard_normal((rows, cols)).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("a_layout", ["c", "transposed", "row stride"])
@pytest.mark.parametrize("b_layout", ["c", "transposed", "row stride"])
def test_matmul_and_addmm_of_a_long_sum_in_parts(dtype, a_layout, b_layout, parts_sent) -> None:
    rng = np.random.default_rng(0)
    m, k, n = LONG_SUM
    a, b = _matrix(rng, m, k, dtype, a_layout), _matrix(rng, k, n, dtype, b_layout)
    bias = rng.standard_normal(n).astype(dtype)
    product = _blas.matmul(a, b)
    assert product.dtype == dtype
    assert_product_close(product, a, b)
    assert_product_close(_blas.addmm(bias, a, b), a, b, bias)  # the bias added once
    halves = [(m, n, k // 2), (m, n, k - k // 2)]
    assert parts_sent == [halves, halves]


@pytest.mark.parametrize(
    "m, k, n, why",
    [
        (1797, 128, 96, "the sum is shorter than a side of the output"),
        (96, 1797, 1797, "the sum no longer than a side"),
        (600, 1000, 600, "half the sum is shorter than a side: OpenBLAS splits the output"),
    ],
)
def test_products_left_to_openblas(m, k, n, why, parts_sent) -> None:
    rng = np.random.default_rng(1)
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    assert m * k * n >= _blas.serial_below
    assert_product_close(_blas.matmul(a, b), a, b)
    assert parts_sent == [], why


def test_a_column_step_is_left_to_numpy(parts_sent) -> None:
    rng = np.random.default_rng(2)
    m, k, n = LONG_SUM
    a = rng.standard_normal((m, 2 * k)).astype(np.float32)[:, ::2]  # BLAS cannot read it
    b = rng.standard_normal((k, n)).astype(np.float32)
    out = np.empty((m, n), np.float32)
    assert not _blas._in_parts(a, b, out, 0.0)
    assert_product_close(_blas.matmul(a, b), a, b)
    assert parts_sent == []


@pytest.mark.parametrize(
    "m, k, n, threads, parts",
    [
        # a 10 x 10 output of a 200,001-long sum: 20 parts of 10,000 terms would be 100**3
        # multiply-adds each, which OpenBLAS sends to its small kernels; 19 parts are larger
        (10, 200_001, 10, 4, 4),
        (10, 200_001, 10, 20, 19),
        # 1,797 // 16 = 112 terms would be shorter than the 128 x 128 output's sides; 14 parts
        # of at least 128 terms keep the 13 extra outputs (0.8 MiB) below an operand (0.9 MiB)
        (128, 1797, 128, 8, 8),
        (128, 1797, 128, 16, 14),
    ],
)
def test_parts_on_many_threads(m, k, n, threads, parts, parts_sent) -> None:
    """Never a part for the small-matrix kernels, and each part sums as long as the output
    is wide; together the parts sum every term."""
    rng = np.random.default_rng(3)
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    _blas._THREADS[1](threads)
    assert_product_close(_blas.matmul(a, b), a, b)
    (sent,) = parts_sent
    assert len(sent) == parts
    assert all(pm * pn * pk > 100**3 for pm, pn, pk in sent)
    assert min(pk for _, _, pk in sent) >= max(m, n)
    assert sum(pk for _, _, pk in sent) == k


def test_the_blas_thread_count_is_unchanged(parts_sent) -> None:
    rng = np.random.default_rng(4)
    m, k, n = LONG_SUM
    a, b = (rng.standard_normal(s).astype(np.float32) for s in ((m, k), (k, n)))
    _blas.matmul(a, b)
    assert _blas._THREADS[0]() == 2 and len(parts_sent) == 1


def test_full_batch_linear_gradients_match_pytorch(parts_sent) -> None:
    """The weight gradient of a linear layer over the 1,797 digits is such a product."""
    # float32 sums of 1,797 terms: within their rounding, not to 1e-4 where they cancel
    assert_linear_matches_pytorch(1797, "float32", rtol=1e-4, atol=1e-3)
    assert [(128, 64, 898), (128, 64, 899)] in parts_sent  # chainrule's weight gradient


def test_what_the_outputs_held_before_is_ignored(parts_sent, monkeypatch) -> None:
    """The reused buffers may hold anything: nan everywhere must not reach the product."""
    monkeypatch.setattr(_blas._buffers, "empty", lambda shape, dtype: np.full(shape, np.nan, dtype))
    rng = np.random.default_rng(6)
    m, k, n = LONG_SUM
    a, b = (rng.standard_normal(s).astype(np.float32) for s in ((m, k), (k, n)))
    bias = rng.standard_normal(n).astype(np.float32)
    assert_product_close(_blas.matmul(a, b), a, b)
    assert_product_close(_blas.addmm(bias, a, b), a, b, bias)
    assert len(parts_sent) == 2
