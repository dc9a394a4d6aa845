"""Whether other work keeps this machine's cores busy.

A product that OpenBLAS splits over one thread per core (and a kernel that
:mod:`chainrule._split` splits over Python threads) ends when its slowest part does. While
another process runs on one of the cores, that part waits for the kernel to schedule its
thread, a slice of milliseconds: with one of 2 cores busy, the digits CNN's training step took
3.5 ms with its products threaded and 1.1 ms with them on one thread (PyTorch's, threaded, took
3-5 ms). :mod:`chainrule._blas` asks :func:`others_busy` before it threads a product.

It is read from ``/proc``: the CPU time that all processes spent (``/proc/stat``, the virtual
machine's stolen time included) less this process's own (``/proc/self/stat``: its spinning BLAS
threads are its own), over the time since the last reading, taken at most once a second.
Where ``/proc`` cannot tell (not Linux), the cores count as free, as PyTorch takes them.

    >>> others_busy() in (True, False)
    True
"""

from __future__ import annotations

import os
from time import perf_counter

#: How often the CPU times are read, in seconds; between readings the last answer stands.
INTERVAL_S = 1.0

#: Other work of more than this many cores, on average over an interval, makes them busy: one
#: busy core stalls a product split over every core.
BUSY_CORES = 0.5

_TICKS_PER_S = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu_ticks() -> tuple[int, int] | None:
    """(the ticks that every CPU spent busy, this process's ticks), or None where ``/proc``
    cannot tell."""
    try:
        with open("/proc/stat", "rb") as stat:
            fields = stat.readline().split()
        with open("/proc/self/stat", "rb") as own_stat:
            # after the command's name, in parentheses, field 3 (the state) comes first
            own = own_stat.read().rsplit(b")", 1)[1].split()
        # cpu: user nice system idle iowait irq softirq steal (guest time is within user)
        user, nice, system, _, _, irq, softirq, steal = (int(v) for v in fields[1:9])
        return user + nice + system + irq + softirq + steal, int(own[11]) + int(own[12])
    except (OSError, ValueError, IndexError):
        return None


_read_at = perf_counter()
_ticks = _cpu_ticks()
_busy = False


def others_busy() -> bool:
    """Whether other processes kept more than :data:`BUSY_CORES` cores busy over the time
    since the last reading (one second or more; the answer of the last reading until then)."""
    global _read_at, _ticks, _busy
    now = perf_counter()
    if now - _read_at < INTERVAL_S or _ticks is None:
        return _busy
    ticks = _cpu_ticks()
    if ticks is not None:
        others = (ticks[0] - _ticks[0]) - (ticks[1] - _ticks[1])
        _busy = others > BUSY_CORES * (now - _read_at) * _TICKS_PER_S
    _read_at, _ticks = now, ticks
    return _busy


def _start_anew() -> None:
    """A forked child (a DataLoader's worker) counts from its own CPU time, not its parent's."""
    global _read_at, _ticks, _busy
    _read_at, _ticks, _busy = perf_counter(), _cpu_ticks(), False


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_start_anew)
