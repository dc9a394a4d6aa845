"""``chainrule._busy``: whether other processes keep the cores busy, read from ``/proc``, and
what ``chainrule._blas`` does then: every product on one BLAS thread, and no long sum split
into parts (a threaded product waits there for a thread the kernel has not scheduled).
Timings are in benchmarks/, never here."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from test_engine_speed import thread_counts_set

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


def test_on_busy_cores_every_product_runs_on_one_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    counts = thread_counts_set(monkeypatch, busy=True)

    def in_parts(*args: object) -> bool:
        raise AssertionError("a long sum split over threads on busy cores")

    monkeypatch.setattr(_blas, "_in_parts", in_parts)
    rng = np.random.default_rng(0)
    for m, k, n in [(256, 128, 128), (128, 1797, 96)]:  # 2**22 multiply-adds; 2**24.4, a long sum
        a, b = (rng.standard_normal(s).astype(np.float32) for s in ((m, k), (k, n)))
        bias = rng.standard_normal(n).astype(np.float32)
        counts.clear()
        np.testing.assert_allclose(_blas.matmul(a, b), a @ b, rtol=1e-4, atol=1e-4)
        assert counts == [1, 2]
        counts.clear()
        np.testing.assert_allclose(_blas.addmm(bias, a, b), a @ b + bias, rtol=1e-4, atol=1e-4)
        assert counts == [1, 2]
