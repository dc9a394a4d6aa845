"""A small, bounded cache of the engine's large temporary arrays, reused from step to step.

An eager training step allocates the same large arrays every step (each layer's product, each
product in its backward) and frees them again. Where glibc's malloc is tuned (see
:mod:`chainrule._malloc`) it hands the same memory back at once; elsewhere (another libc,
``CHAINRULE_MALLOPT=0``) every such array is fresh memory from the kernel, paid for with a page
fault per 4 KiB on first touch: there the cache made the batch-1,797 MLP step 25% faster.

An array the cache gave out is free again when nothing but the cache refers to it: no tensor,
node, gradient or view (a view refers to its base). ``sys.getrefcount`` tells, as NumPy's
own temporary elision and PyTorch's gradient accumulation (``use_count() == 1``) decide
whether a buffer is shared. The cache keeps at most :data:`max_bytes`; past that it lets go
of the arrays nobody uses and starts again.

    >>> import numpy as np
    >>> a = empty((256, 256), np.float32)
    >>> address = a.ctypes.data
    >>> del a                                   # nobody holds it any more
    >>> empty((256, 256), np.float32).ctypes.data == address
    True

``CHAINRULE_BUFFER_CACHE=0`` in the environment, or :func:`set_enabled` ``(False)``, turns it
off: every request is then a plain ``numpy.empty``.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import Any

from chainrule._array import xp

#: Arrays smaller than this are not kept: malloc serves them from its bins without page faults.
MIN_BYTES = 64 * 1024
#: The most memory the kept arrays may hold, in use or not.
max_bytes: int = int(os.environ.get("CHAINRULE_BUFFER_CACHE_BYTES", 256 * 1024 * 1024))

_enabled = os.environ.get("CHAINRULE_BUFFER_CACHE", "1") != "0"
_kept: dict[tuple[tuple[int, ...], Any], list[Any]] = {}  # (shape, dtype) -> arrays
_kept_bytes = 0
#: ``id`` of every kept array: the backward pass discounts the cache's own reference to one
#: when it asks whether it holds the only reference to a gradient.
kept_ids: set[int] = set()
_getrefcount = sys.getrefcount


def _first_free(kept: list[Any]) -> Any:
    for array in kept:
        if _getrefcount(array) == _FREE:
            return array
    return None


def _references_when_free() -> int:
    """What ``getrefcount`` says, in :func:`_first_free`'s loop, of an array only the cache
    holds (measured, not assumed: interpreters differ in the references a call adds)."""
    kept = [xp.empty(0)]
    for array in kept:
        return _getrefcount(array)
    raise AssertionError  # unreachable: the list has one array


_FREE = _references_when_free()


def empty(shape: tuple[int, ...], dtype: Any) -> Any:
    """An uninitialized array like ``numpy.empty(shape, dtype)``, reused when one is free."""
    dtype = xp.dtype(dtype)
    nbytes = dtype.itemsize
    for n in shape:
        nbytes *= n
    if not _enabled or nbytes < MIN_BYTES:
        return xp.empty(shape, dtype)
    key = (shape, dtype)
    kept = _kept.get(key)
    if kept is not None:
        array = _first_free(kept)
        if array is not None:
            return array
    global _kept_bytes
    with _changing:
        if _kept_bytes + nbytes > max_bytes:
            _release_free()
            if _kept_bytes + nbytes > max_bytes:  # all in use: hand out an array not kept
                return xp.empty(shape, dtype)
        array = xp.empty(shape, dtype)
        _kept.setdefault(key, []).append(array)
        kept_ids.add(id(array))
        _kept_bytes += nbytes
    return array


#: Held while the record of kept arrays changes. Threads share the cache: an array appended to
#: a list that another thread's _release_free was replacing left its id in ``kept_ids`` with
#: the array no longer kept, and the backward pass then took a shared gradient for its own
#: and wrote into it (silently wrong gradients); two releases at once raised KeyError. An
#: array found free needs no lock: the finder's own reference marks it in use at once.
_changing = threading.Lock()


def _release_free() -> None:
    """Let go of every kept array that nobody uses (the workload's shapes have changed); under
    :data:`_changing`."""
    global _kept_bytes
    for key, kept in list(_kept.items()):
        in_use = []
        for array in kept:  # the same loop as _first_free's, so _FREE holds here too
            if _getrefcount(array) == _FREE:
                kept_ids.discard(id(array))
                _kept_bytes -= array.nbytes
            else:
                in_use.append(array)
        if in_use:
            _kept[key] = in_use
        else:
            del _kept[key]


def clear() -> None:
    """Forget every kept array (those in use stay valid: their holders keep them alive)."""
    global _kept_bytes
    with _changing:
        _kept.clear()
        kept_ids.clear()
        _kept_bytes = 0


def set_enabled(enabled: bool) -> None:
    """Turn the cache on or off; turning it off also forgets the kept arrays."""
    global _enabled
    _enabled = enabled
    if not enabled:
        clear()


def is_enabled() -> bool:
    """Whether :func:`empty` reuses arrays."""
    return _enabled


def kept_bytes() -> int:
    """The memory of the kept arrays, in use or not."""
    return _kept_bytes


# Small read-only arrays that depend only on their arguments (a vector of ones, a row index),
# by maker and arguments: a training step asks for the same few at every step, and making one
# anew costs as much as the NumPy call it serves.
_constants: dict[tuple[Any, ...], Any] = {}
_CONSTANTS_MAX = 32  # a few makers at a few batch sizes (an epoch's last batch is shorter)


def constant(make: Any, *args: Any) -> Any:
    """``make(*args)``, made read-only and kept for the next call with the same arguments
    (hashable); ``make`` must return the same values for the same arguments.

    >>> import numpy as np
    >>> constant(np.ones, 3) is constant(np.ones, 3)
    True
    """
    key = (make, *args)
    array = _constants.get(key)
    if array is None:
        if len(_constants) >= _CONSTANTS_MAX:
            _constants.clear()
        array = _constants[key] = make(*args)
        array.flags.writeable = False
    return array
