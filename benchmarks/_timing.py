"""Shared helpers for the benchmark scripts: engine loading, timing, and table printing.

The scripts in this folder compare chainrule with PyTorch and with hand-written NumPy in one
process. Everything they share lives here so that every script measures and reports the same way:

* :func:`load_chainrule` imports the working tree's chainrule and checks that it has the features
  a script needs, exiting with a clear message (status 2) when it does not.
* :func:`load_torch` imports PyTorch if installed and pins its thread count.
* :func:`compare` / :func:`measure` are timeit-style median-of-repeats timers; ``compare``
  schedules several engines so that machine drift and thread contention do not bias ratios.
* :func:`feature_guard` turns a chainrule ``NotImplementedError`` into the same clean exit.
* :func:`print_table` prints an aligned text table.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn

import numpy as np

#: Exit status for "chainrule is missing or lacks a feature" (distinct from a crash's 1).
EXIT_MISSING_FEATURE = 2

#: Threads every engine is given; equal counts keep the comparison fair.
THREADS: int = os.cpu_count() or 1

_REPO_SRC = Path(__file__).resolve().parent.parent / "src"


class MissingFeature(Exception):
    """Raised when chainrule lacks something a benchmark needs (not a bug in chainrule)."""


def fail_missing(message: str) -> NoReturn:
    """Print why chainrule cannot be benchmarked and exit with :data:`EXIT_MISSING_FEATURE`."""
    print(f"\nchainrule cannot be benchmarked: {message}", file=sys.stderr)
    print(
        "(Run with --no-chainrule to time only the PyTorch and NumPy columns.)",
        file=sys.stderr,
    )
    sys.exit(EXIT_MISSING_FEATURE)


def _resolve(root: ModuleType, dotted: str) -> Any:
    """Look up ``dotted`` (e.g. ``"nn.functional.cross_entropy"``) below ``root``.

    Submodules are imported on demand, as ``torch.nn.functional`` would be. Only the submodule
    itself being absent counts as missing; an import that fails *inside* an existing submodule is
    a genuine error and propagates.
    """
    obj: Any = root
    for part in dotted.split("."):
        if hasattr(obj, part):
            obj = getattr(obj, part)
            continue
        if isinstance(obj, ModuleType):
            name = f"{obj.__name__}.{part}"
            try:
                obj = importlib.import_module(name)
                continue
            except ModuleNotFoundError as exc:
                if exc.name != name:
                    raise
        raise MissingFeature(f"{root.__name__}.{dotted}")
    return obj


def load_chainrule(features: Sequence[str], tensor_methods: Sequence[str] = ()) -> ModuleType:
    """Import chainrule from this checkout's ``src/`` and check it has ``features``.

    ``features`` are dotted names below the package (``"tanh"``, ``"nn.Linear"``);
    ``tensor_methods`` are attributes the tensor type must have (``"backward"``). Exits with a
    message listing everything missing, so one run shows the whole gap rather than the first
    hole. An exception raised while chainrule itself is imported is a bug, not a missing feature,
    so it is reported and re-raised with its traceback.
    """
    # Benchmark the working tree, not whatever version happens to be installed.
    if _REPO_SRC.is_dir() and str(_REPO_SRC) not in sys.path:
        sys.path.insert(0, str(_REPO_SRC))
    try:
        cr = importlib.import_module("chainrule")
    except ModuleNotFoundError as exc:
        if exc.name != "chainrule":
            print("chainrule failed to import (traceback below).", file=sys.stderr)
            raise
        fail_missing(f"the package cannot be imported (looked in {_REPO_SRC} and sys.path).")
    except Exception:
        print("chainrule failed to import (traceback below).", file=sys.stderr)
        raise

    missing: list[str] = []
    for feature in features:
        try:
            _resolve(cr, feature)
        except MissingFeature as exc:
            missing.append(str(exc))
    if tensor_methods and f"{cr.__name__}.tensor" not in missing:
        tensor_type = type(cr.tensor(np.zeros(1, dtype=np.float32)))
        missing += [
            f"{tensor_type.__name__}.{name}"
            for name in tensor_methods
            if not hasattr(tensor_type, name)
        ]
    if missing:
        fail_missing("it lacks " + ", ".join(missing) + ".")
    return cr


@contextlib.contextmanager
def feature_guard(engine: ModuleType | None) -> Iterator[None]:
    """Turn a ``NotImplementedError`` from chainrule into the "lacks a feature" exit.

    A chainrule stub that raises ``NotImplementedError`` is an unfinished feature, not a bug;
    every other exception, and anything PyTorch raises, is left to surface with its traceback.
    """
    if engine is None or engine.__name__ != "chainrule":
        yield
        return
    try:
        yield
    except NotImplementedError as exc:
        fail_missing(f"a feature is not implemented yet: {exc!r}")


def load_torch() -> ModuleType | None:
    """Import PyTorch with :data:`THREADS` intra-op threads, or return None if not installed."""
    try:
        import torch
    except ModuleNotFoundError as exc:
        if exc.name != "torch":
            raise
        return None
    torch.set_num_threads(THREADS)
    return torch


def pin_numpy_threads() -> str:
    """Give NumPy's BLAS :data:`THREADS` threads when threadpoolctl can, and describe it."""
    try:
        import threadpoolctl
    except ModuleNotFoundError:
        return "BLAS threads not controlled (threadpoolctl not installed)"
    # Kept alive on the module so the limit is not undone when the controller is collected.
    global _BLAS_LIMITER
    _BLAS_LIMITER = threadpoolctl.threadpool_limits(limits=THREADS, user_api="blas")
    pools = [
        f"{p['internal_api']} {p.get('version') or ''} x{p['num_threads']}".replace("  ", " ")
        for p in threadpoolctl.threadpool_info()
        if p["user_api"] == "blas"
    ]
    return ", ".join(pools) or "no BLAS pool found"


_BLAS_LIMITER: Any = None


def print_environment(title: str, cr: ModuleType | None, torch: ModuleType | None) -> None:
    """Print what is being compared and under which conditions."""
    blas = pin_numpy_threads()
    print(f"== {title} ==")
    print(f"Python {platform.python_version()} on {platform.machine()}, {THREADS} CPU(s)")
    print(f"NumPy {np.__version__} (BLAS: {blas})")
    if torch is None:
        print("PyTorch not installed: its column is skipped.")
    else:
        print(
            f"PyTorch {torch.__version__}: torch.set_num_threads({THREADS}) "
            f"(the same count as NumPy's BLAS), get_num_threads()="
            f"{torch.get_num_threads()}"
        )
    if cr is None:
        print("chainrule: skipped (--no-chainrule)")
    else:
        version = getattr(cr, "__version__", "unknown version")
        print(f"chainrule {version} from {Path(cr.__file__ or '?').parent}")
    print(
        "Each time is the median of several repeats after warm-up; gc stays enabled because "
        "freeing graphs is part of an engine's cost."
    )
    print()


@dataclass(frozen=True)
class Timing:
    """Result of :func:`measure`: seconds per call (median and spread) and how it was taken."""

    median: float
    best: float
    worst: float
    repeats: int
    number: int


def compare(
    fns: Mapping[str, Callable[[], object]],
    *,
    isolate: Sequence[str] = ("torch",),
    repeats: int = 7,
    rounds: int = 3,
    min_repeat_s: float = 0.05,
    budget_s: float = 4.0,
    warmup: int = 2,
    settle_s: float = 0.2,
) -> dict[str, Timing]:
    """Time several workloads like :mod:`timeit`, spreading machine drift over all of them.

    Each workload is warmed up, then one call calibrates ``number``, the calls per repeat, so
    that a repeat lasts at least ``min_repeat_s`` (as ``timeit.autorange`` does): this keeps
    timer resolution and one-off hiccups out of micro-benchmarks. ``repeats`` is cut (to no fewer
    than 3) when the slowest workload would exceed ``budget_s``, bounding each script's runtime.

    Why the schedule below: a shared or virtual machine's speed drifts by tens of percent over
    seconds, so timing engine A entirely before engine B biases the ratio. Repeats of workloads
    that share a thread pool (chainrule and the NumPy limit both run on NumPy's OpenBLAS) are
    therefore interleaved round-robin. Workloads named in ``isolate`` (PyTorch, with its own
    OpenMP pool) cannot be: OpenBLAS workers busy-wait for up to ~0.1 s after each call and on a
    2-core machine steal the cores PyTorch's threads need (measured: its MLP step ran 2x slower
    interleaved). They run in separate blocks, each after ``settle_s`` of idle time, and the
    blocks alternate over ``rounds`` rounds so that drift still reaches every column.
    """
    groups = [{n: f for n, f in fns.items() if n not in isolate}]
    groups += [{n: f} for n, f in fns.items() if n in isolate]
    groups = [g for g in groups if g]
    pause = settle_s if len(groups) > 1 else 0.0

    numbers: dict[str, int] = {}
    slowest = 0.0
    for group in groups:
        time.sleep(pause)
        for name, fn in group.items():
            for _ in range(warmup):
                fn()
            start = time.perf_counter()
            fn()  # calibration call: how slow is fn?
            single = time.perf_counter() - start
            number = 1
            while single * number < min_repeat_s and number < 1_000_000:
                number *= 2
            numbers[name] = number
            slowest = max(slowest, single * number)
    repeats = max(3, min(repeats, int(budget_s / max(slowest, 1e-9))))
    rounds = max(1, min(rounds, repeats))

    samples: dict[str, list[float]] = {name: [] for name in fns}
    for r in range(rounds):
        # Spread the repeats over the rounds as evenly as possible.
        in_round = repeats // rounds + (1 if r < repeats % rounds else 0)
        for group in groups:
            time.sleep(pause)
            gc.collect()  # start each block from a collected heap
            for _ in range(in_round):
                for name, fn in group.items():
                    number = numbers[name]
                    start = time.perf_counter()
                    for _ in range(number):
                        fn()
                    samples[name].append((time.perf_counter() - start) / number)
    return {
        name: Timing(
            median=statistics.median(times),
            best=min(times),
            worst=max(times),
            repeats=repeats,
            number=numbers[name],
        )
        for name, times in samples.items()
    }


def measure(fn: Callable[[], object], **kwargs: Any) -> Timing:
    """Time one workload; see :func:`compare` for the method and the keyword arguments."""
    return compare({"fn": fn}, **kwargs)["fn"]


def medians(timings: Mapping[str, Timing]) -> dict[str, float | None]:
    """The median seconds per call of each timing, keyed like ``timings``."""
    return {name: t.median for name, t in timings.items()}


def fmt_time(seconds: float | None) -> str:
    """Format a duration with a unit that keeps three significant digits readable."""
    if seconds is None:
        return "-"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.2f} us"
    if seconds < 1.0:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.3f} s"


def fmt_bytes(n: float | None) -> str:
    """Format a byte count in binary units."""
    if n is None:
        return "-"
    for unit in ("B", "KiB", "MiB"):
        if abs(n) < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.2f} GiB"


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """Return ``numerator / denominator``, or None when either side was not measured."""
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def fmt_ratio(value: float | None) -> str:
    """Format a ratio as ``1.23x``."""
    return "-" if value is None else f"{value:.2f}x"


def verdict(value: float | None, limit: float) -> str:
    """Compare a measured ratio with its target, e.g. ``<=0.75x: ok``."""
    if value is None:
        return f"<={limit:g}x: n/a"
    return f"<={limit:g}x: {'ok' if value <= limit else 'MISSED'}"


def print_table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """Print ``rows`` under ``headers``: first column left-aligned, the rest right-aligned."""
    body = [list(map(str, row)) for row in rows]
    widths = [len(h) for h in headers]
    for row in body:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]

    def line(cells: Sequence[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = (cell.rjust(w) for cell, w in zip(cells[1:], widths[1:], strict=True))
        return "  ".join([first, *rest]).rstrip()

    print(line(headers))
    print("  ".join("-" * w for w in widths))
    for row in body:
        print(line(row))
    print()
