"""glibc malloc settings that let NumPy's large temporaries be reused instead of re-faulted.

By default glibc serves every allocation above 128 KiB with a fresh ``mmap`` and gives it back
to the kernel on ``free``, and returns the top of the heap once 128 KiB of it are free. An eager
training step allocates and frees the same ~1 MB temporaries (activations, gradients) dozens of
times, so each one costs a system call and a page fault per 4 KiB page on first touch. Raising
both thresholds keeps those blocks in the heap, where the next step's allocation of the same
size finds them already mapped (PyTorch's CPU allocator caches its blocks likewise). The
issue's measurement: a hand-written NumPy MLP step at batch 1,797 went from 6.3 to 4.1 ms.

Applied when this module is imported (chainrule's import does it first), on Linux with glibc
only. ``CHAINRULE_MALLOPT=0`` in
the environment leaves malloc alone. Whether it took::

    from chainrule import _malloc
    _malloc.tune()   # True where the thresholds are set
"""

from __future__ import annotations

import ctypes
import os
import sys

# mallopt's parameter numbers, from glibc's <malloc.h>.
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3

#: Blocks below this come from the heap (glibc's ceiling for the mmap threshold on 64-bit).
MMAP_THRESHOLD = 32 * 1024 * 1024
#: Free memory at the top of the heap kept for reuse instead of returned to the kernel.
TRIM_THRESHOLD = 256 * 1024 * 1024

_applied = False


def tune() -> bool:
    """Raise glibc's mmap and trim thresholds, once; return whether they are set."""
    global _applied
    if _applied:
        return True
    if os.environ.get("CHAINRULE_MALLOPT", "1") == "0" or not sys.platform.startswith("linux"):
        return False
    try:
        # The process's own symbols, libc's among them: find_library would run ldconfig in a
        # subprocess (~4 ms at every import).
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # musl and other libcs have no mallopt
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    # mallopt returns 1 on success; setting either also turns off glibc's dynamic threshold.
    _applied = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
    return _applied


tune()
