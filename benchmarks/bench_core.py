"""Core-engine benchmarks: chainrule vs PyTorch vs hand-written NumPy, side by side.

Three sections, each timed forward+backward:

1. ``per-op``: per-operation overhead of a 200-op elementwise chain on a tiny vector, where the
   arithmetic is negligible and the engine's bookkeeping is all that is measured.
   Target: chainrule at most 0.75x PyTorch.
2. ``matmul``: ``sum(A @ B)`` for 1024x1024 and 2048x2048 float32, where BLAS should dominate.
   Target: chainrule within 1.1x of NumPy doing the same three matmuls by hand.
3. ``deep``: a 10,000-op chain, for time and peak memory (does the engine scale to deep graphs
   without recursion limits or per-node bloat?).

Run from the repository root::

    python benchmarks/bench_core.py                  # everything
    python benchmarks/bench_core.py --only matmul    # one section
    python benchmarks/bench_core.py --no-chainrule   # only the PyTorch and NumPy columns

Exit status: 0 on success, 2 if chainrule cannot be imported or lacks a feature used here.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import gc
import json
import os
import resource
import subprocess
import sys
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import _timing as tm
import numpy as np

#: Everything below the chainrule package this script touches, checked before timing anything.
FEATURES = ("tensor", "tanh")
TENSOR_METHODS = ("backward", "sum", "__matmul__", "__mul__", "__add__")

PER_OP_CHAIN = 200
DEEP_CHAIN = 10_000
VECTOR_SIZE = 16
MATMUL_SIZES = (1024, 2048)
SECTIONS = ("per-op", "matmul", "deep")

MUL = np.float32(1.0001)
ADD = np.float32(0.001)

Engine = ModuleType  # ``torch`` or ``chainrule``: the workloads only use their shared API.


# --------------------------------------------------------------------------------------------
# Workloads, written once against the shared PyTorch-style API.
# --------------------------------------------------------------------------------------------


def mixed_chain(m: Engine, x: Any, n_ops: int) -> Any:
    """Apply ``n_ops`` ops cycling ``*1.0001``, ``+0.001``, ``tanh`` (keeps values bounded)."""
    y = x
    for i in range(n_ops):
        phase = i % 3
        if phase == 0:
            y = y * 1.0001
        elif phase == 1:
            y = y + 0.001
        else:
            y = m.tanh(y)
    return y


def affine_chain(m: Engine, x: Any, n_ops: int) -> Any:
    """Apply ``n_ops`` ops alternating ``*1.0001`` and ``+0.001``: the deep-graph workload."""
    y = x
    for i in range(n_ops):
        y = y * 1.0001 if i % 2 == 0 else y + 0.001
    return y


def chain_step(m: Engine, x: Any, n_ops: int, chain: Callable[[Engine, Any, int], Any]) -> None:
    """One forward+backward of ``chain(...).sum()``, starting from a cleared gradient."""
    # Clearing rather than accumulating keeps every repeat identical (no growing grad add).
    x.grad = None
    chain(m, x, n_ops).sum().backward()


def matmul_step(A: Any, B: Any) -> None:
    """One forward+backward of ``sum(A @ B)``."""
    A.grad = None
    B.grad = None
    (A @ B).sum().backward()


# --------------------------------------------------------------------------------------------
# Hand-written NumPy: the limit for an engine built on NumPy.
# --------------------------------------------------------------------------------------------


def numpy_mixed_chain(x: np.ndarray, n_ops: int) -> np.ndarray:
    """Forward+backward of :func:`mixed_chain` by hand; returns d(sum)/dx."""
    saved: list[np.ndarray] = []  # tanh outputs: the only values the backward pass needs
    y = x
    for i in range(n_ops):
        phase = i % 3
        if phase == 0:
            y = y * MUL
        elif phase == 1:
            y = y + ADD
        else:
            y = np.tanh(y)
            saved.append(y)
    y.sum()
    g = np.ones_like(y)
    for i in reversed(range(n_ops)):
        phase = i % 3
        if phase == 0:
            np.multiply(g, MUL, out=g)
        elif phase == 2:
            t = saved.pop()
            # d tanh = 1 - t^2, computed in place: t is dead after this step.
            np.multiply(t, t, out=t)
            np.subtract(1.0, t, out=t)
            np.multiply(g, t, out=g)
    return g


def numpy_affine_chain(x: np.ndarray, n_ops: int) -> np.ndarray:
    """Forward+backward of :func:`affine_chain` by hand; returns d(sum)/dx."""
    y = x
    for i in range(n_ops):
        y = y * MUL if i % 2 == 0 else y + ADD
    y.sum()
    g = np.ones_like(y)
    for i in reversed(range(n_ops)):
        if i % 2 == 0:  # the adds pass the gradient through unchanged
            np.multiply(g, MUL, out=g)
    return g


def numpy_matmul(A: np.ndarray, B: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``sum(A @ B)`` forward+backward by hand: the three matmuls any engine must do."""
    C = A @ B
    C.sum()
    G = np.ones_like(C)
    return G @ B.T, A.T @ G


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def to_numpy(t: Any) -> np.ndarray:
    """Convert an engine tensor (or gradient) to a NumPy array for sanity checks."""
    if hasattr(t, "detach"):
        t = t.detach()
    return t.numpy() if hasattr(t, "numpy") else np.asarray(t)


def sanity_check(name: str, m: Engine, result: Any, grad: Any, expected: np.ndarray) -> None:
    """Warn if an engine computes in float64 or gets a different gradient than NumPy.

    Timings of a wrong or float64 computation are not comparable, so say so next to them.
    """
    dtype = str(getattr(result, "dtype", "?"))
    if "float32" not in dtype:
        print(f"WARNING [{name}] {m.__name__} computed in {dtype}, not float32.")
    got = to_numpy(grad)
    if got.shape != expected.shape or not np.allclose(got, expected, rtol=1e-3, atol=1e-3):
        print(f"WARNING [{name}] {m.__name__} gradient differs from the NumPy reference.")


def engines(cr: Engine | None, torch: Engine | None) -> list[Engine]:
    """The engines being compared, chainrule first."""
    return [e for e in (cr, torch) if e is not None]


def vector(m: Engine, data: np.ndarray) -> Any:
    """A float32 leaf tensor that requires grad, built from the same data for every engine."""
    return m.tensor(data.copy(), requires_grad=True)


def timed(
    cr: Engine | None, fns: dict[str, Callable[[], object]], **kwargs: Any
) -> dict[str, float | None]:
    """Median seconds per call of each workload, timed interleaved (see ``_timing.compare``)."""
    with tm.feature_guard(cr):
        return tm.medians(tm.compare(fns, **kwargs))


# --------------------------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------------------------


def bench_per_op(cr: Engine | None, torch: Engine | None) -> None:
    """Section 1: per-op overhead on a 200-op chain."""
    data = np.random.default_rng(0).standard_normal(VECTOR_SIZE).astype(np.float32)
    expected = numpy_mixed_chain(data.copy(), PER_OP_CHAIN)
    fns: dict[str, Callable[[], object]] = {}
    for m in engines(cr, torch):
        x = vector(m, data)
        with tm.feature_guard(m):
            y = mixed_chain(m, x, PER_OP_CHAIN)
            y.sum().backward()
        sanity_check("per-op", m, y, x.grad, expected)
        fns[m.__name__] = lambda m=m, x=x: chain_step(m, x, PER_OP_CHAIN, mixed_chain)
    fns["numpy"] = lambda: numpy_mixed_chain(data.copy(), PER_OP_CHAIN)
    times = timed(cr, fns)

    per_op = {k: (None if v is None else v / PER_OP_CHAIN) for k, v in times.items()}
    c, t, n = per_op.get("chainrule"), per_op.get("torch"), per_op["numpy"]
    print(
        f"[1] per-op overhead: {PER_OP_CHAIN}-op chain (x*1.0001, x+0.001, tanh) on "
        f"float32[{VECTOR_SIZE}], then .sum().backward(); time per op = (forward+backward)/"
        f"{PER_OP_CHAIN}"
    )
    tm.print_table(
        ["workload", "chainrule", "PyTorch", "NumPy limit", "cr/PyTorch", "cr/NumPy", "target"],
        [
            [
                "per op (fwd+bwd)",
                tm.fmt_time(c),
                tm.fmt_time(t),
                tm.fmt_time(n),
                tm.fmt_ratio(tm.ratio(c, t)),
                tm.fmt_ratio(tm.ratio(c, n)),
                "cr/PyTorch " + tm.verdict(tm.ratio(c, t), 0.75),
            ]
        ],
    )


def bench_matmul(cr: Engine | None, torch: Engine | None) -> None:
    """Section 2: ``sum(A @ B)`` forward+backward against the three hand-written matmuls."""
    rows = []
    for size in MATMUL_SIZES:
        rng = np.random.default_rng(size)
        a = rng.standard_normal((size, size), dtype=np.float32)
        b = rng.standard_normal((size, size), dtype=np.float32)
        expected_a, _ = numpy_matmul(a, b)
        # Big matmuls take ~0.1-1 s each, so fewer repeats keep the script near a minute.
        opts: dict[str, Any] = {"repeats": 7, "warmup": 1, "budget_s": 3.0}
        fns: dict[str, Callable[[], object]] = {}
        for m in engines(cr, torch):
            A, B = m.tensor(a, requires_grad=True), m.tensor(b, requires_grad=True)
            with tm.feature_guard(m):
                out = (A @ B).sum()
                out.backward()
            sanity_check(f"matmul {size}", m, out, A.grad, expected_a)
            fns[m.__name__] = lambda A=A, B=B: matmul_step(A, B)
        fns["numpy"] = lambda a=a, b=b: numpy_matmul(a, b)
        times = timed(cr, fns, **opts)
        del fns  # free every engine's buffers before the next size
        c, t, n = times.get("chainrule"), times.get("torch"), times["numpy"]
        rows.append(
            [
                f"{size}x{size}",
                tm.fmt_time(c),
                tm.fmt_time(t),
                tm.fmt_time(n),
                tm.fmt_ratio(tm.ratio(c, t)),
                tm.fmt_ratio(tm.ratio(c, n)),
                "cr/NumPy " + tm.verdict(tm.ratio(c, n), 1.1),
            ]
        )
    print(
        "[2] sum(A @ B) forward+backward, float32, A and B require grad. NumPy limit = "
        "A@B, sum, G=ones, G@B.T, A.T@G."
    )
    tm.print_table(
        ["size", "chainrule", "PyTorch", "NumPy limit", "cr/PyTorch", "cr/NumPy", "target"],
        rows,
    )


def bench_deep(cr: Engine | None, torch: Engine | None) -> None:
    """Section 3: a 10,000-op chain: time in this process, memory in fresh subprocesses."""
    data = np.random.default_rng(1).standard_normal(VECTOR_SIZE).astype(np.float32)
    expected = numpy_affine_chain(data.copy(), DEEP_CHAIN)
    fns: dict[str, Callable[[], object]] = {}
    for m in engines(cr, torch):
        x = vector(m, data)
        with tm.feature_guard(m):
            y = affine_chain(m, x, DEEP_CHAIN)
            y.sum().backward()
        sanity_check("deep", m, y, x.grad, expected)
        del y
        fns[m.__name__] = lambda m=m, x=x: chain_step(m, x, DEEP_CHAIN, affine_chain)
    fns["numpy"] = lambda: numpy_affine_chain(data.copy(), DEEP_CHAIN)
    times = timed(cr, fns, repeats=5, budget_s=3.0)

    memory = {name: measure_memory(name) for name in times}
    c, t, n = times.get("chainrule"), times.get("torch"), times["numpy"]
    print(
        f"[3] deep chain: {DEEP_CHAIN} ops alternating x*1.0001, x+0.001 on "
        f"float32[{VECTOR_SIZE}], then .sum().backward()"
    )
    tm.print_table(
        ["measure", "chainrule", "PyTorch", "NumPy limit", "cr/PyTorch", "cr/NumPy"],
        [
            [
                "time (fwd+bwd)",
                tm.fmt_time(c),
                tm.fmt_time(t),
                tm.fmt_time(n),
                tm.fmt_ratio(tm.ratio(c, t)),
                tm.fmt_ratio(tm.ratio(c, n)),
            ],
            memory_row("peak RSS growth", memory, "rss_peak_delta"),
            memory_row("tracemalloc peak", memory, "tracemalloc_peak"),
        ],
    )
    methods = {m.get("rss_method") for m in memory.values()}
    print(
        "Memory is measured in a fresh subprocess per engine, after imports and a 100-op "
        "warm-up, for one forward+backward:\n"
        "  peak RSS growth  = peak RSS during the run minus the RSS before it, where peak = "
        f"{'; '.join(sorted(m for m in methods if m))}\n"
        "                     (not getrusage's ru_maxrss: on Linux it keeps the forking "
        "parent's peak across exec);\n"
        "                     covers everything (Python objects, NumPy buffers, PyTorch's C++ "
        "graph), but includes allocator slack.\n"
        "  tracemalloc peak = peak bytes allocated through Python's allocators during the run "
        "(NumPy reports its buffers too);\n"
        "                     exact for chainrule and NumPy, n/a for PyTorch, whose tensors and "
        "autograd nodes live in C++."
    )
    print()


def memory_row(label: str, memory: dict[str, dict[str, Any]], key: str) -> list[str]:
    """One table row of a memory measure for every engine, plus chainrule's ratios."""
    c, t, n = (memory.get(name, {}).get(key) for name in ("chainrule", "torch", "numpy"))
    # A near-zero NumPy baseline would make the ratio meaningless noise.
    cr_numpy = tm.ratio(c, n) if n is not None and n >= 64 * 1024 else None
    return [
        label,
        tm.fmt_bytes(c),
        "n/a" if key == "tracemalloc_peak" and "torch" in memory else tm.fmt_bytes(t),
        tm.fmt_bytes(n),
        tm.fmt_ratio(tm.ratio(c, t)),
        tm.fmt_ratio(cr_numpy),
    ]


# --------------------------------------------------------------------------------------------
# Memory measurement (runs in a child process so engines do not share a heap)
# --------------------------------------------------------------------------------------------


def measure_memory(engine: str) -> dict[str, Any]:
    """Run this script as a child that measures one engine's deep-chain memory; return its JSON."""
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--memory-child", engine],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise RuntimeError(f"memory measurement for {engine} failed (status {proc.returncode})")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _reset_peak_rss() -> str:
    """Reset the kernel's RSS high-water mark if possible; describe how peak RSS is measured."""
    try:
        # Linux >= 4.0: writing 5 to clear_refs resets this process's VmHWM.
        Path("/proc/self/clear_refs").write_text("5")
        _vm_hwm()
        return "VmHWM after /proc/self/clear_refs reset"
    except (OSError, ValueError):
        return "getrusage ru_maxrss delta: a lower bound (high-water mark not resettable)"


def _vm_hwm() -> int:
    """This process's RSS high-water mark in bytes, from /proc/self/status (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise ValueError("no VmHWM in /proc/self/status")


def _current_rss() -> int:
    """Resident set size in bytes now (falls back to the max-RSS so far)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return _max_rss()


def _peak_rss() -> int:
    """Peak resident set size in bytes since the last reset, or since the process started."""
    try:
        return _vm_hwm()
    except (OSError, ValueError):
        return _max_rss()


def _max_rss() -> int:
    """getrusage's peak RSS in bytes (ru_maxrss is KiB on Linux, bytes on macOS).

    Not preferred: on Linux it also counts the peak of the pre-exec process, i.e. the forking
    parent's footprint, and clear_refs does not reset it.
    """
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def _trim_heap() -> None:
    """Return freed heap to the OS so the baseline RSS holds no reusable slack (glibc only)."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def memory_child(engine: str) -> None:
    """Measure one deep forward+backward of ``engine`` and print the result as JSON."""
    data = np.random.default_rng(1).standard_normal(VECTOR_SIZE).astype(np.float32)
    step: Callable[[int], object]
    if engine == "numpy":

        def step(n_ops: int) -> object:
            return numpy_affine_chain(data.copy(), n_ops)

    else:
        m = tm.load_chainrule(FEATURES, TENSOR_METHODS) if engine == "chainrule" else None
        m = m or tm.load_torch()
        assert m is not None
        x = vector(m, data)

        def step(n_ops: int) -> object:
            return chain_step(m, x, n_ops, affine_chain)

    # A short warm-up does lazy initialisation without growing the heap to the deep chain's
    # size (which would let the measured run reuse pages and hide its footprint).
    step(100)
    _trim_heap()
    method = _reset_peak_rss()
    before = _current_rss()
    step(DEEP_CHAIN)
    result: dict[str, Any] = {"rss_peak_delta": max(0, _peak_rss() - before), "rss_method": method}
    if engine != "torch":
        # tracemalloc slows allocation a lot, so it gets its own run, never a timed one.
        _trim_heap()
        tracemalloc.start()
        step(DEEP_CHAIN)
        result["tracemalloc_peak"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    print(json.dumps(result))


# --------------------------------------------------------------------------------------------


def main() -> None:
    """Parse arguments, load the engines, and run the selected sections."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=SECTIONS, action="append", help="run only this section")
    parser.add_argument(
        "--no-chainrule", action="store_true", help="time only the PyTorch and NumPy columns"
    )
    parser.add_argument(
        "--memory-child", choices=("chainrule", "torch", "numpy"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.memory_child)
        return

    cr = None if args.no_chainrule else tm.load_chainrule(FEATURES, TENSOR_METHODS)
    torch = tm.load_torch()
    tm.print_environment("chainrule core benchmarks", cr, torch)
    sections = args.only or SECTIONS
    if "per-op" in sections:
        bench_per_op(cr, torch)
    if "matmul" in sections:
        bench_matmul(cr, torch)
    if "deep" in sections:
        bench_deep(cr, torch)


if __name__ == "__main__":
    main()
