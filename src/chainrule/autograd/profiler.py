"""``cr.autograd.profiler``: PyTorch's profiler context managers over chainrule's own ops.

While a :class:`profile` is active, each op's forward (``Op.__call__``, wrapped while any
profile is open, as :mod:`chainrule.jit.hooks` wraps it for a trace) and each
:class:`record_function` range of its thread is recorded with its wall time;
``key_averages().table()`` sums them by name.

    >>> import chainrule as cr
    >>> with cr.autograd.profiler.profile() as prof:
    ...     with cr.autograd.profiler.record_function("step"):
    ...         y = (cr.ones(3) * 2).sum()
    >>> sorted((e.key, e.count) for e in prof.key_averages())
    [('Mul', 1), ('Sum', 1), ('step', 1)]
"""

from __future__ import annotations

import contextlib
import functools
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from chainrule._lazy import import_later
from chainrule.op import Op
from chainrule.serialization import atomic_write

hooks = import_later(globals(), "chainrule.jit.hooks")  # (it imports the ops' modules)

# The profiles recording now, in every thread (innermost last); each records its own thread's
# calls only.
_active: list[profile] = []


@dataclass
class FunctionEvent:
    """One recorded op call or ``record_function`` range (times in microseconds)."""

    name: str
    start_us: float
    duration_us: float

    @property
    def key(self) -> str:
        return self.name

    @property
    def cpu_time_total(self) -> float:
        return self.duration_us


@dataclass
class FunctionEventAvg:
    """The events of one name, summed (PyTorch's ``key_averages()`` rows)."""

    key: str
    count: int = 0
    cpu_time_total: float = 0.0

    @property
    def cpu_time(self) -> float:
        return self.cpu_time_total / self.count if self.count else 0.0


class EventList(list):
    """The recorded events, in order of their start."""

    def key_averages(self, group_by_input_shape: bool = False) -> EventList:
        rows: dict[str, FunctionEventAvg] = {}
        for event in self:
            row = rows.setdefault(event.key, FunctionEventAvg(event.key))
            row.count += 1
            row.cpu_time_total += event.duration_us
        return EventList(rows.values())

    def table(self, sort_by: str | None = None, row_limit: int = 100, **kwargs: Any) -> str:
        """A text table: name, calls, total and average time (as PyTorch's, fewer columns)."""
        rows = list(self if self and isinstance(self[0], FunctionEventAvg) else self.key_averages())
        if sort_by is not None:
            field = "count" if "count" in sort_by else "cpu_time_total"
            rows.sort(key=lambda r: getattr(r, field), reverse=True)
        rows = rows[:row_limit] if row_limit >= 0 else rows
        total = sum(r.cpu_time_total for r in rows) or 1.0
        width = max([len("Name"), *(len(r.key) for r in rows)]) + 2
        header = f"{'Name':<{width}}{'CPU total %':>13}{'CPU total':>13}{'CPU time avg':>14}"
        header += f"{'# of Calls':>12}"
        line = "-" * len(header)
        body = [
            f"{r.key:<{width}}{100 * r.cpu_time_total / total:>12.2f}%"
            f"{_us(r.cpu_time_total):>13}{_us(r.cpu_time):>14}{r.count:>12}"
            for r in rows
        ]
        return "\n".join(
            [
                line,
                header,
                line,
                *body,
                line,
                f"Sum of the rows (a range includes its ops): {_us(total)}",
            ]
        )

    def total_average(self) -> FunctionEventAvg:
        total = FunctionEventAvg("Total")
        for event in self:
            total.count += 1
            total.cpu_time_total += event.duration_us
        return total


def _us(value: float) -> str:
    return f"{value / 1000:.3f}ms" if value >= 1000 else f"{value:.3f}us"


class profile:  # noqa: N801 - PyTorch's name
    """Record chainrule's ops and ``record_function`` ranges run inside the block.

    The arguments of PyTorch's profiler that choose devices or extra detail (``use_cuda``,
    ``record_shapes``, ``profile_memory``, ``with_stack``, ...) are accepted; chainrule runs
    on the CPU and records names and times only."""

    def __init__(self, enabled: bool = True, **options: Any) -> None:
        self.enabled = enabled
        self.options = options
        self.function_events = EventList()
        self._thread = threading.get_ident()
        self._depth = 0

    def __enter__(self) -> profile:
        if self.enabled:
            self._start = time.perf_counter()
            with _switching:
                if not _active:
                    _install()
                _active.append(self)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.enabled:
            with _switching:
                _active.remove(self)
                if not _active:
                    _uninstall()

    def _record(self, name: str, start: float) -> None:
        now = time.perf_counter()
        offset = (start - self._start) * 1e6
        self.function_events.append(FunctionEvent(name, offset, (now - start) * 1e6))

    def key_averages(self, group_by_input_shape: bool = False, **kwargs: Any) -> EventList:
        return self.function_events.key_averages()

    def events(self) -> EventList:
        return self.function_events

    def table(self, **kwargs: Any) -> str:
        return self.key_averages().table(**kwargs)

    def total_average(self) -> FunctionEventAvg:
        return self.function_events.total_average()

    def export_chrome_trace(self, path: str) -> None:
        """The events as a Chrome trace (``chrome://tracing``, Perfetto) JSON file."""
        events = [
            {"name": e.name, "ph": "X", "ts": e.start_us, "dur": e.duration_us, "pid": 0, "tid": 0}
            for e in sorted(self.function_events, key=lambda e: e.start_us)
        ]
        data = json.dumps({"traceEvents": events}).encode()
        atomic_write(path, lambda f: f.write(data))  # never half a file

    def __str__(self) -> str:
        return self.table()


# The ops' own ``__call__`` under the wrappers of the installation live now, by class. One
# installation serves every profile, made by the first to open and taken off by the last to
# close: with one per profile, two profiles in two threads that closed in the other order
# restored each other's wrappers (the later profile recorded nothing, and a closed one's
# wrappers stayed on for good).
_wrapped: list[tuple[type, Any, Any]] = []  # (class, its own __call__, the wrapper)
_installation = [0]  # the live installation's number: a wrapper of another passes through
_switching = threading.Lock()


def _install() -> None:
    """Wrap ``Op.__call__`` and subclasses' own: the outermost op call is one event."""
    _installation[0] += 1
    for cls in hooks._with_own_call(Op):
        original = vars(cls)["__call__"]
        cls.__call__ = wrapper = _timed(original, _installation[0])
        _wrapped.append((cls, original, wrapper))


def _uninstall() -> None:
    """Put the ops' own ``__call__`` back, where the wrapper is still on top: where something
    else (a ``cr.compile`` trace in another thread) has wrapped it since, it stays under that
    one, passing through, and that one takes it off as it closes (``hooks.live``)."""
    _installation[0] += 1  # its wrappers are closed: those left under another pass through
    for cls, original, wrapper in reversed(_wrapped):
        if vars(cls).get("__call__") is wrapper:
            cls.__call__ = hooks.live(original)
    _wrapped.clear()


def _timed(original: Callable[..., Any], installation: int) -> Callable[..., Any]:
    @functools.wraps(original)
    def call(op: Op, *inputs: Any) -> Any:
        if installation != _installation[0] or not _active:
            return original(op, *inputs)
        me = threading.get_ident()
        recording = [p for p in _active if p._thread == me and not p._depth]
        if not recording:
            return original(op, *inputs)
        for prof in recording:
            prof._depth += 1
        start = time.perf_counter()
        try:
            return original(op, *inputs)
        finally:
            for prof in recording:
                prof._depth -= 1
                prof._record(type(op).__name__, start)

    call.closed = lambda: installation != _installation[0]  # type: ignore[attr-defined]
    return call


class record_function(contextlib.ContextDecorator):  # noqa: N801 - PyTorch's name
    """A named range in the profiles running now (a context manager or a decorator)."""

    def __init__(self, name: str, args: str | None = None) -> None:
        self.name = name
        self.args = args

    def __enter__(self) -> record_function:
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc: Any) -> None:
        for prof in _active:
            if threading.get_ident() == prof._thread:
                prof._record(self.name, self._start)


@contextlib.contextmanager
def emit_nvtx(enabled: bool = True, record_shapes: bool = False) -> Iterator[None]:
    """PyTorch's NVTX ranges for CUDA tools: there is no CUDA here, so nothing is emitted."""
    yield
