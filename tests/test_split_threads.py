"""``_split.in_parts``: one large kernel's output written in parts by several threads.

A split output must hold exactly the numbers of the kernel run once (every element is written
by one part, the same product), whether an operand carries the split axis or broadcasts over
it; small outputs and single-core machines stay on the calling thread; a part that fails
raises in the caller; a forked child starts its own threads. The outer products of
per-example gradients (``dual.matmul`` with a summed dimension of size 1) go through it.
Timings are in benchmarks/bench_func.py, never here.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import numpy as np
import pytest

from chainrule import _split
from chainrule.ops import dual


def _outer(out: Any, a: Any, b: Any) -> None:
    np.einsum("...ik,...kj->...ij", a, b, out=out)


@pytest.fixture
def always_split(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every output is split, into 3 parts (more than this machine may have cores)."""
    monkeypatch.setattr(_split, "serial_below", 0)
    monkeypatch.setattr(_split, "parts", 3)
    monkeypatch.setattr(_split, "_pool", None)
    monkeypatch.setattr(_split, "others_busy", lambda: False)  # (pytest-xdist's other worker)


@pytest.mark.parametrize(
    ("a_shape", "b_shape"),
    [
        ((7, 5, 1), (7, 1, 4)),  # both carry the split axis
        ((1, 5, 1), (7, 1, 4)),  # a broadcasts over it (size 1)
        ((7, 5, 1), (1, 4)),  # b has no such axis
        ((2, 7, 3, 1), (7, 1, 6)),  # the split axis is a's alone
    ],
)
def test_split_output_equals_the_kernel_run_once(
    always_split: None, a_shape: tuple[int, ...], b_shape: tuple[int, ...]
) -> None:
    rng = np.random.default_rng(0)
    a = rng.standard_normal(a_shape).astype(np.float32)
    b = rng.standard_normal(b_shape).astype(np.float32)
    expected = np.einsum("...ik,...kj->...ij", a, b)
    out = np.full(expected.shape, np.nan, np.float32)
    assert _split.in_parts(_outer, out, a, b) is out
    np.testing.assert_array_equal(out, expected)


def test_parts_run_on_other_threads_when_the_output_is_large(always_split: None) -> None:
    seen: set[int] = set()

    def write(out: Any, a: Any) -> None:
        seen.add(threading.get_ident())
        out[...] = a

    _split.in_parts(write, np.empty((6, 2)), np.ones((6, 2)))
    assert threading.get_ident() in seen  # the caller writes a part itself
    assert len(seen) > 1


@pytest.mark.parametrize(
    ("parts", "serial_below", "rows", "busy"),
    [(4, 2**40, 8, False), (1, 0, 8, False), (4, 0, 1, False), (4, 0, 8, True)],
    ids=["small", "one core", "one row", "cores busy with other processes"],
)
def test_one_call_on_the_calling_thread(
    monkeypatch: pytest.MonkeyPatch, parts: int, serial_below: int, rows: int, busy: bool
) -> None:
    monkeypatch.setattr(_split, "parts", parts)
    monkeypatch.setattr(_split, "serial_below", serial_below)
    monkeypatch.setattr(_split, "others_busy", lambda: busy)
    calls: list[tuple[int, int]] = []

    def write(out: Any, a: Any) -> None:
        calls.append((threading.get_ident(), len(out)))
        out[...] = a

    out = _split.in_parts(write, np.empty((rows, 3)), np.arange(3.0))
    assert calls == [(threading.get_ident(), rows)]
    np.testing.assert_array_equal(out, np.broadcast_to(np.arange(3.0), (rows, 3)))


@pytest.mark.parametrize(
    ("rows", "parts", "sizes"),
    [(256, 2, [141, 115]), (256, 3, [102, 77, 77]), (7, 3, [3, 2, 2]), (6, 6, [1] * 6)],
)
def test_the_caller_writes_the_larger_part(
    monkeypatch: pytest.MonkeyPatch, rows: int, parts: int, sizes: list[int]
) -> None:
    """A helper starts once woken, the caller at once: the caller's part is larger (55% of
    two), the helpers' equal, none empty, and together every row."""
    monkeypatch.setattr(_split, "serial_below", 0)
    monkeypatch.setattr(_split, "parts", parts)
    monkeypatch.setattr(_split, "_pool", None)
    monkeypatch.setattr(_split, "others_busy", lambda: False)
    written: dict[int, int] = {}  # first row -> rows, by part
    callers: list[int] = []

    def write(out: Any, a: Any) -> None:
        written[int(a[0, 0])] = len(out)
        if threading.get_ident() == caller:
            callers.append(int(a[0, 0]))
        out[...] = a

    caller = threading.get_ident()
    out = _split.in_parts(write, np.empty((rows, 1)), np.arange(float(rows)).reshape(rows, 1))
    assert [written[k] for k in sorted(written)] == sizes and callers == [0]
    np.testing.assert_array_equal(out[:, 0], np.arange(rows))


@pytest.mark.parametrize(
    ("rows", "parts", "sizes"),
    [(256, 2, [140, 116]), (256, 3, [102, 76, 78]), (9, 3, [4, 2, 3]), (2, 2, [2])],
)
def test_parts_start_at_multiples_of_align(
    monkeypatch: pytest.MonkeyPatch, rows: int, parts: int, sizes: list[int]
) -> None:
    """Each part starts at an even row when ``align`` is 2; where the rows are too few for
    that, one part writes them all."""
    monkeypatch.setattr(_split, "serial_below", 0)
    monkeypatch.setattr(_split, "parts", parts)
    monkeypatch.setattr(_split, "_pool", None)
    monkeypatch.setattr(_split, "others_busy", lambda: False)
    written: list[int] = []

    def write(out: Any, a: Any) -> None:
        written.append(len(out))
        out[...] = a

    values = np.arange(float(rows)).reshape(rows, 1)
    out = _split.in_parts(write, np.empty((rows, 1)), values, align=2)
    assert sorted(written, reverse=True) == sorted(sizes, reverse=True)
    np.testing.assert_array_equal(out, values)


def test_a_failing_part_raises_in_the_caller_after_every_part_ends(always_split: None) -> None:
    finished: list[int] = []

    def write(out: Any, a: Any) -> None:
        if a[0, 0] == 2.0:  # the second part, on a helper thread
            raise ValueError("part failed")
        out[...] = a
        finished.append(len(out))

    with pytest.raises(ValueError, match="part failed"):
        _split.in_parts(write, np.empty((6, 1)), np.arange(6.0).reshape(6, 1))
    assert sorted(finished) == [2, 2]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX only")
def test_a_forked_child_splits_on_threads_of_its_own(always_split: None) -> None:
    a = np.arange(12.0).reshape(6, 2, 1)
    _split.in_parts(_outer, np.empty((6, 2, 2)), a, np.ones((6, 1, 2)))  # the parent's pool
    pid = os.fork()
    if pid == 0:  # the child: it must not queue parts for the parent's threads, which it lacks
        out = _split.in_parts(_outer, np.empty((6, 2, 2)), a, np.ones((6, 1, 2)))
        os._exit(0 if np.array_equal(out, np.broadcast_to(a, (6, 2, 2))) else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.bool_])
@pytest.mark.parametrize("split", [False, True])
def test_outer_products_of_dual_matmul_equal_numpy(
    monkeypatch: pytest.MonkeyPatch, dtype: Any, split: bool
) -> None:
    """Per-example gradients' weight products (summed dimension of size 1), split or not,
    fewer or more rows than columns (then written transposed): NumPy's own numbers and dtype,
    the batch broadcast where one operand lacks it."""
    monkeypatch.setattr(_split, "serial_below", 0 if split else 2**40)
    monkeypatch.setattr(_split, "_pool", None)
    monkeypatch.setattr(_split, "others_busy", lambda: False)
    rng = np.random.default_rng(1)
    shapes = [((9, 3, 1), (9, 1, 4)), ((9, 4, 1), (9, 1, 3)), ((4, 1), (9, 1, 3)), ((3, 1), (1, 4))]
    for a_shape, b_shape in [*shapes, ((2, 9, 4, 1), (1, 3)), ((2, 9, 3, 1), (1, 4))]:
        a = (rng.standard_normal(a_shape) * 4).astype(dtype)
        b = (rng.standard_normal(b_shape) * 4).astype(dtype)
        found = dual.matmul(a, b)
        expected = np.matmul(a, b)
        assert found.dtype == expected.dtype
        np.testing.assert_array_equal(found, expected)
