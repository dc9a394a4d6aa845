"""One large NumPy kernel split over threads: parts of its output written at once.

NumPy runs ``einsum`` and elementwise kernels on one thread, and releases the GIL while they
run, so Python threads that each write one slice of the output run in parallel. This pays for
large outputs only: per-example gradients' batched outer products (a (256, 128, 128) float32
weight gradient under ``vmap(grad(f))``, 16 MiB) took 1.96 ms as one ``einsum`` and 1.18 ms in
two halves on 2 idle cores. Small outputs stay on the calling thread, where a thread's wake-up
costs more than it saves; so does everything on a machine with one core, and on cores that
other processes keep busy (:func:`chainrule._busy.others_busy`), where each part may wait for
one (measured at load 10 on 2 cores: the per-example step 5.77 ms split, 5.00 ms not).

The threads are a pool of (cores - 1) started at the first split; the calling thread writes
the first and larger part itself, so no split waits for a free thread.

    >>> import numpy as np
    >>> def outer(out, a, b):
    ...     np.einsum("...ik,...kj->...ij", a, b, out=out)
    >>> in_parts(outer, np.empty((4, 3, 2)), np.ones((4, 3, 1)), np.ones((4, 1, 2))).shape
    (4, 3, 2)

``CHAINRULE_SPLIT_BELOW`` in the environment sets :data:`serial_below`; a large value (say
``2**40``) keeps every kernel on one thread.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from chainrule._busy import others_busy

#: Outputs of fewer bytes than this are written on the calling thread alone. 4 MiB: the
#: per-example gradient of a 128 x 64 weight over a batch of 256 (8 MiB) gains from two
#: threads; one of 10 x 128 (1.3 MiB) gained nothing measurable.
serial_below: int = int(os.environ.get("CHAINRULE_SPLIT_BELOW", 2**22))


def _cores() -> int:
    """The cores this process may run on (its affinity, where the platform tells it)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


#: The most parts an output is split into: one per core.
parts: int = _cores()

#: How much more than an equal share the calling thread writes, per helper: 0.1 gives it 55%
#: of two parts. Per-example gradients' (256, 128, 128) outer products took 811 us in halves
#: and 712 us split 55:45 (757 at 60:40; 1,190 us on one thread; 2 idle cores); a whole
#: per-example call (benchmarks/bench_func.py's) 2.24-2.29 ms at 0, 2.18 at 0.1, 2.25 at 0.15.
caller_extra: float = 0.1


_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _threads() -> ThreadPoolExecutor:
    """The pool of helper threads, started on the first call."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(parts - 1, thread_name_prefix="chainrule-split")
        return _pool


def _forget_pool() -> None:
    """A forked child has none of the parent's threads: it starts its own pool when it needs
    one (a DataLoader's workers), instead of queueing work for threads that do not exist."""
    global _pool, _pool_lock
    _pool, _pool_lock = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def in_parts(write: Callable[..., None], out: Any, *operands: Any, align: int = 1) -> Any:
    """``write(out, *operands)``, which fills ``out`` (an array) from arrays that broadcast to
    it, as ``write(out[part], *operands[part])`` for parts along ``out``'s first axis written by
    several threads when ``out`` is large; returns ``out``. An operand without that axis (fewer
    dimensions, or size 1 there) is passed whole to every part. Each part starts at a multiple
    of ``align`` rows (a writer whose rows' bits depend on their neighbours', as
    :func:`chainrule._blas.outer`'s pairs, writes them so whether it is split or not)."""
    count = min(parts, out.shape[0]) if out.ndim else 1
    if count < 2 or out.nbytes < serial_below or others_busy():
        write(out, *operands)
        return out
    rows = out.shape[0]
    # The calling thread starts at once, a helper only once woken (~50 us here), so the caller
    # writes the larger part: the helpers' parts end with it rather than after it.
    first = min(round(rows * (1 + caller_extra * (count - 1)) / count), rows - count + 1)
    bounds = [0] + [first + (rows - first) * k // (count - 1) for k in range(count)]
    bounds[1:-1] = [bound - bound % align for bound in bounds[1:-1]]
    if any(start >= end for start, end in zip(bounds[:-1], bounds[1:], strict=True)):  # too few
        write(out, *operands)
        return out

    def write_part(k: int) -> None:
        part = slice(bounds[k], bounds[k + 1])
        sliced = [x[part] if x.ndim == out.ndim and x.shape[0] == rows else x for x in operands]
        write(out[part], *sliced)

    pool = _threads()
    others = [pool.submit(write_part, k) for k in range(1, count)]
    try:
        write_part(0)
    finally:
        # every part has ended before out is returned or an error raised (``exception`` waits
        # for one future; concurrent.futures.wait costs a condition and a lock more)
        errors = [other.exception() for other in others]
    for error in errors:
        if error is not None:
            raise error
    return out
