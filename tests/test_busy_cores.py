"""``chainrule._busy``: whether other processes keep the cores busy, read from ``/proc``, and
what ``chainrule._blas`` does then: a product on one BLAS thread where that keeps its bits, a
long sum's parts one after the other (a threaded product waits there for a thread the kernel
has not scheduled), and the same numbers as on idle cores.
Timings are in benchmarks/, never here."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import pytest

import chainrule as cr
from chainrule import _blas, _busy


def test_the_cpu_times_are_read_from_proc() -> None:
    ticks = _busy._cpu_ticks()
    if not sys.platform.startswith("linux"):
        assert ticks is None  # no /proc: the cores count as free
        return
    assert ticks is not None
    every_cpu, own = ticks
    assert every_cpu >= own >= 0


@pytest.mark.parametrize(
    ("every_cpu", "own", "busy"),
    [
        (100, 0, True),  # another process ran one core for the second
        (200, 200, False),  # this process's own threads on two cores
        (40, 0, False),  # other work of less than half a core
        (170, 100, True),
    ],
    ids=["other process", "own threads", "little other work", "both"],
)
def test_busy_when_other_processes_took_half_a_core_over_the_interval(
    monkeypatch: pytest.MonkeyPatch, every_cpu: int, own: int, busy: bool
) -> None:
    clock = [10.0]
    readings = iter([(1000 + every_cpu, 500 + own)])  # one reading: a second would raise
    monkeypatch.setattr(_busy, "perf_counter", lambda: clock[0])
    monkeypatch.setattr(_busy, "_cpu_ticks", lambda: next(readings))
    monkeypatch.setattr(_busy, "_TICKS_PER_S", 100)
    monkeypatch.setattr(_busy, "_read_at", 9.0)  # the last reading, a second ago
    monkeypatch.setattr(_busy, "_ticks", (1000, 500))
    monkeypatch.setattr(_busy, "_busy", not busy)
    assert _busy.others_busy() is busy
    clock[0] = 10.5  # within the interval: the last answer, no reading
    assert _busy.others_busy() is busy


@pytest.fixture
def counts_set() -> Any:
    """OpenBLAS's own thread count (two while the test runs, restored after), with the counts
    that chainrule sets from here on recorded, and no product's bits on one thread known yet."""
    assert _blas._THREADS is not None, "no OpenBLAS found in the library NumPy loaded"
    get, set_ = _blas._THREADS
    before = get()
    set_(2)
    counts: list[int] = []

    def recorded(n: int) -> None:
        counts.append(n)
        set_(n)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_blas, "_THREADS", (get, recorded))
        patch.setattr(_blas, "_SAME_BITS", {})
        yield counts
    set_(before)


def _on_cores(monkeypatch: pytest.MonkeyPatch, busy: bool) -> None:
    monkeypatch.setattr(_blas, "others_busy", lambda: busy)


@pytest.mark.parametrize(
    ("m", "k", "n"),
    [(256, 128, 128), (1797, 784, 128), (128, 1797, 96), (16384, 1000, 1)],
    ids=["short sum", "long sum", "long sum in parts", "one output"],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_product_has_the_same_bits_on_busy_cores_as_on_idle_ones(
    monkeypatch: pytest.MonkeyPatch, counts_set: list[int], m: int, k: int, n: int, dtype: Any
) -> None:
    """On busy cores a product runs on one thread only where that keeps its bits: OpenBLAS's
    threaded driver blocks a long sum otherwise than its serial one (here from 456 float32
    terms on), so a linear layer of 784 inputs gave other numbers under load. A long sum's
    parts run one after the other (the same bits). ``a`` is transposed where the sum is long,
    as a weight gradient's ``g^T``; ``b`` is transposed as a linear layer's weight."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((k, m) if m < k else (m, k)).astype(dtype)
    a = a.T if m < k else a  # g^T of a weight gradient; a layer's rows otherwise
    b = rng.standard_normal((n, k)).astype(dtype).T
    bias = rng.standard_normal(n).astype(dtype)
    _on_cores(monkeypatch, busy=False)
    idle = [np.array(_blas.matmul(a, b)), np.array(_blas.addmm(bias, a, b))]
    assert counts_set == []
    _on_cores(monkeypatch, busy=True)
    for _ in range(2):  # (the first time, each layout is tried both ways)
        counts_set.clear()
        busy = [np.array(_blas.matmul(a, b)), np.array(_blas.addmm(bias, a, b))]
        for on_idle, on_busy in zip(idle, busy, strict=True):
            np.testing.assert_array_equal(on_busy, on_idle)
    kept_bits = sum(_blas._SAME_BITS.values())  # the products found to keep them, of 2
    assert counts_set == [1, 2] * (2 if m < k else kept_bits)  # (m < k: in parts)
    if (m, k, dtype) == (256, 128, np.float32):
        assert kept_bits == 2  # a short sum: the same blocks on any thread count


def test_operands_that_share_memory_keep_the_threads(counts_set: list[int], monkeypatch) -> None:
    """``x @ x.T``: NumPy may take another BLAS routine for it than the one tried."""
    _on_cores(monkeypatch, busy=True)
    x = np.random.default_rng(1).standard_normal((256, 128)).astype(np.float32)
    assert not _blas._same_bits_on_one_thread(np.matmul, x, x.T)
    _blas.matmul(x, x.T)
    assert counts_set == []


def test_trying_a_product_both_ways_draws_no_random_number_of_the_user() -> None:
    draws = []
    for tried in (False, True):
        cr.manual_seed(5)
        np.random.seed(5)
        if tried:
            ones = np.ones((64, 128), np.float32)
            _blas._tried_both_ways(np.matmul, ones, np.ones((128, 64)), None)
        draws.append((cr.rand(3).tolist(), np.random.rand(3).tolist()))
    assert draws[0] == draws[1]


def test_a_training_step_has_the_same_numbers_on_busy_cores(monkeypatch) -> None:
    """The same program, the same numbers, whatever else runs: before, a step of an MLP with
    784 inputs on busy cores gave other parameters than on idle ones."""
    monkeypatch.setattr(_blas, "_SAME_BITS", {})
    rng = np.random.default_rng(0)
    x = cr.tensor(rng.standard_normal((1797, 784)).astype(np.float32))
    y = cr.tensor(rng.integers(0, 10, 1797))
    stepped = []
    for busy in (False, True):
        _on_cores(monkeypatch, busy)
        cr.manual_seed(0)
        model = cr.nn.Sequential(cr.nn.Linear(784, 128), cr.nn.ReLU(), cr.nn.Linear(128, 10))
        opt = cr.optim.SGD(model.parameters(), lr=0.1)
        for _ in range(2):
            cr.nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
            opt.zero_grad()
        stepped.append([p.detach().numpy().copy() for p in model.parameters()])
    for idle, busy in zip(*stepped, strict=True):
        np.testing.assert_array_equal(busy, idle)


def test_a_layout_is_tried_on_one_matrix_stored_as_it_is() -> None:
    """By rows or by columns, as NumPy passes it to BLAS: not the rows' padding (a view of
    wide rows would have taken their whole span), nor the stack (a weight expanded over
    vmap's batch would have taken the batch's)."""
    rng = np.random.default_rng(0)
    padded = np.lib.stride_tricks.as_strided(np.zeros(1, np.float32), (64, 128), (2**30, 4))
    stack = np.broadcast_to(np.zeros((128, 32), np.float32).T, (256, 32, 128))
    for x, by_columns in ((padded, False), (padded.T, True), (stack, True)):
        probe = _blas._random_like(x, rng)
        assert probe.shape == x.shape[-2:] and probe.dtype == x.dtype
        assert probe.flags.f_contiguous if by_columns else probe.flags.c_contiguous


def test_the_record_of_layouts_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shapes that keep changing (a sequence's length) must not grow it without end."""
    monkeypatch.setattr(_blas, "_SAME_BITS", {})
    monkeypatch.setattr(_blas, "_LAYOUTS_KEPT", 2)
    for rows in (3, 4, 5, 6, 7):
        _blas._same_bits_on_one_thread(np.matmul, np.ones((rows, 8)), np.ones((8, 2)))
        assert 1 <= len(_blas._SAME_BITS) <= 2
    assert next(reversed(_blas._SAME_BITS))[:3] == (np.matmul, (7, 8), (64, 8))
