"""Matrix products on a BLAS thread count that suits their size.

NumPy's OpenBLAS splits every product above a tiny size over all its threads. For the small
matrices of eager training (a 64-128-128-10 MLP, a digits CNN) the threads spend longer waking
and waiting for each other than multiplying, and on a busy machine a product can wait a whole
scheduler slice for a thread that is not running (measured on 2 busy cores: a (64, 128) @
(128, 128) product took 36 us on one thread and up to 46 ms on two). So a product of fewer than
:data:`serial_below` multiply-adds runs on one thread; larger ones keep the pool's count.

The thread count is set through OpenBLAS's own C functions (found by ctypes in the loaded
library, the way threadpoolctl finds them), which cost well under a microsecond; when no
OpenBLAS is loaded (another BLAS, another platform) products run unchanged.

    >>> import numpy as np
    >>> matmul(np.ones((2, 3)), np.ones((3, 4))).shape
    (2, 4)

Setting ``CHAINRULE_BLAS_SERIAL_BELOW=0`` in the environment turns the switch off.
"""

from __future__ import annotations

import ctypes
import os
from typing import Any

from chainrule import _buffers
from chainrule._array import xp as np

#: Products with fewer multiply-adds than this run on one BLAS thread: below ~2**22 waking a
#: second thread costs more than it saves. On idle cores threads pay off above it (the full
#: batch MLP step, 1,797 x 64 x 128 products: 4.1 ms with 2**22 against 6.2 ms with 2**27 on
#: 2 idle cores, measured with benchmarks/bench_table.py). On cores busy with other work every
#: threaded product waits for a thread the kernel has not scheduled (the digits CNN's step ran
#: 10x slower): there, ``CHAINRULE_BLAS_SERIAL_BELOW=134217728`` (2**27) keeps them serial.
serial_below: int = int(os.environ.get("CHAINRULE_BLAS_SERIAL_BELOW", 2**22))


# OpenBLAS runs a product of at most 65536 * 4 multiply-adds on one thread by itself
# (interface/gemm.c, GEMM_MULTITHREAD_THRESHOLD 4): no need to switch for those.
_OPENBLAS_SERIAL = 2**18

_NAMES = (("scipy_openblas_", "64_"), ("scipy_openblas_", ""), ("openblas_", ""))


def _openblas_threads() -> tuple[Any, Any] | None:
    """OpenBLAS's ``(get_num_threads, set_num_threads)`` from the loaded library, if any."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line.lower()}
    except OSError:  # not Linux: leave the thread count alone
        return None
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        # NumPy's wheels bundle scipy-openblas with prefixed, suffixed names; a system
        # OpenBLAS has the plain ones.
        for prefix, suffix in _NAMES:
            getter = getattr(lib, f"{prefix}get_num_threads{suffix}", None)
            setter = getattr(lib, f"{prefix}set_num_threads{suffix}", None)
            if getter is not None and setter is not None:
                getter.restype = ctypes.c_int
                setter.argtypes = [ctypes.c_int]
                return getter, setter
    return None


np.ones((2, 2)) @ np.ones((2, 2))  # loads NumPy's BLAS, so that it is in the maps
_THREADS = _openblas_threads() if serial_below > 0 else None


def matmul(a: Any, b: Any, out: Any = None) -> Any:
    """``a @ b`` (NumPy arrays, any batch dimensions), on one BLAS thread when it is small.

    A large product of two float matrices is written into an array of
    :mod:`chainrule._buffers`: a training step's products reuse the previous step's memory.
    """
    if out is None and b.ndim > 2 and a.shape[:-2] == b.shape[:-2] and not any(b.strides[:-2]):
        # One matrix for every batch entry (a weight expanded over vmap's batch, stride 0):
        # one product of all of a's rows, not one small product per entry (per-example
        # gradients' (256, 1, 128) @ (256, 128, 128): 0.58 ms per entry, 0.13 ms at once).
        rows = a.reshape((-1, a.shape[-1]))
        out = np.empty((len(rows), b.shape[-1]), np.result_type(a, b))
        return matmul(rows, b[(0,) * (b.ndim - 2)], out).reshape((*a.shape[:-1], b.shape[-1]))
    if (
        out is None
        and a.ndim == 2
        and b.ndim == 2
        and a.dtype is b.dtype
        and a.dtype.kind == "f"
        and a.shape[0] * b.shape[1] * a.dtype.itemsize >= _buffers.MIN_BYTES  # small: no call
    ):
        out = _buffers.empty((a.shape[0], b.shape[1]), a.dtype)
    if _THREADS is None or a.ndim < 2 or b.ndim < 2:
        return np.matmul(a, b, out=out)
    # batch x rows x inner x columns, whichever operand carries the batch dimensions
    macs = max(a.size * b.shape[-1], b.size * a.shape[-2])
    if macs >= serial_below or macs <= _OPENBLAS_SERIAL:
        return np.matmul(a, b, out=out)
    get, set_ = _THREADS
    threads = get()
    if threads == 1:
        return np.matmul(a, b, out=out)
    set_(1)
    try:
        return np.matmul(a, b, out=out)
    finally:
        set_(threads)
