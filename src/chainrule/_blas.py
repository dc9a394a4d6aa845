"""Matrix products on a BLAS thread count that suits their size.

NumPy's OpenBLAS splits every product above 2**18 multiply-adds over all its threads. On idle
cores that pays for the products of eager training (a 64-128-128-10 MLP, a digits CNN), and
chainrule leaves it so, with two exceptions. While other processes keep the cores busy
(:func:`chainrule._busy.others_busy`), a threaded product waits a whole scheduler slice for a
thread that is not running (measured on 2 busy cores: a (64, 128) @ (128, 128) product took
36 us on one thread and up to 46 ms on two), so a product runs on one thread then where that
gives it the same bits (:func:`_same_bits_on_one_thread`: a program's numbers must not change
with the load), and a long sum's parts one after the other (:func:`_in_parts`). And
after a threaded product OpenBLAS's idle threads spin for ~0.1 s, taking the cores where
:mod:`chainrule._split` writes vmap's per-example outer products, so under vmap a product of
fewer than :data:`serial_below` multiply-adds runs on one thread.

The thread count is set through OpenBLAS's own C functions (found by ctypes in the loaded
library, the way threadpoolctl finds them), which cost well under a microsecond; when no
OpenBLAS is loaded (another BLAS, another platform) products run unchanged.

    >>> import numpy as np
    >>> matmul(np.ones((2, 3)), np.ones((3, 4))).shape
    (2, 4)

Setting ``CHAINRULE_BLAS_SERIAL_BELOW=0`` in the environment turns every switch off.

:func:`addmm` (a linear layer's ``bias + x @ W.T``) calls OpenBLAS's ``cblas_?gemm``, found the
same way, with ``beta = 1`` into the broadcast bias, as PyTorch's ``addmm`` does.

A large product whose sum is longer than its output's sides (a weight gradient, summed over the
batch) runs as one part of the sum per thread through OpenBLAS's batched gemm
(``cblas_?gemm_batch``, where the loaded OpenBLAS has it: NumPy 2.4's 0.3.31 does), the parts
added after: see :func:`_in_parts`.
"""

from __future__ import annotations

import ctypes
import math
import os
import threading
from typing import Any

from chainrule import _buffers, _split
from chainrule._array import xp as np
from chainrule._busy import others_busy
from chainrule.autodiff.open_transforms import here, vmap_anywhere

_SET = os.environ.get("CHAINRULE_BLAS_SERIAL_BELOW")

#: Under vmap, products with fewer multiply-adds than this run on one BLAS thread. There
#: :mod:`chainrule._split` writes per-example gradients' outer products on two Python threads,
#: and after a threaded product OpenBLAS's idle thread spins on the second core for ~0.1 s
#: (measured: 100 ms of CPU time after one product), taking the split's core: the digits MLP's
#: per-example step took 2.47-2.85 ms with its products threaded, 1.93-2.09 ms with those below
#: 2**23 on one thread (its (256, 128) @ (128, 128) is 2**22), its 16 MiB of outer products
#: 1.02 ms against 0.59-0.62 ms. Larger products keep the pool's count, and so does every
#: product outside vmap: on 2 idle cores OpenBLAS's threads pay off from 2**19 multiply-adds
#: up (a (64, 128) @ (128, 128) product: 20 us on one thread, 12-13 us on two; eager training
#: steps with their products below 2**23 on one thread took 9% longer for the batch-64 MLP,
#: 12% for the digits CNN at batch 32, 4% for the full-batch MLP, alternated in one process).
#: ``CHAINRULE_BLAS_SERIAL_BELOW`` in the environment sets this, and keeps the products below
#: it on one thread outside vmap too. (On cores that other processes keep busy every product
#: runs on one thread: see :func:`_on_threads_for`.)
serial_below: int = int(_SET) if _SET else 2**23

#: Whether products below :data:`serial_below` run on one thread outside vmap too: when the
#: environment sets it.
serial_everywhere: bool = _SET is not None

# OpenBLAS runs a product of at most 65536 * 4 multiply-adds on one thread by itself
# (interface/gemm.c, GEMM_MULTITHREAD_THRESHOLD 4): no need to switch for those.
_OPENBLAS_SERIAL = 2**18

# (OpenBLAS's prefix, its CBLAS prefix, the suffix, BLAS's integer). NumPy's wheels bundle
# scipy-openblas with prefixed names, 64-bit integers suffixed ``64_``; a system OpenBLAS has the
# plain ones.
_NAMES = (
    ("scipy_openblas_", "scipy_cblas_", "64_", ctypes.c_int64),
    ("scipy_openblas_", "scipy_cblas_", "", ctypes.c_int),
    ("openblas_", "cblas_", "64_", ctypes.c_int64),
    ("openblas_", "cblas_", "", ctypes.c_int),
)


def _openblas() -> tuple[Any, tuple[str, str, str, Any]] | None:
    """The loaded OpenBLAS library and its entry of :data:`_NAMES`, if any."""
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
        for names in _NAMES:
            prefix, _, suffix, _ = names
            if hasattr(lib, f"{prefix}set_num_threads{suffix}"):
                return lib, names
    return None


def _openblas_threads(found: tuple[Any, tuple[str, str, str, Any]]) -> tuple[Any, Any] | None:
    """OpenBLAS's ``(get_num_threads, set_num_threads)``."""
    lib, (prefix, _, suffix, _) = found
    getter = getattr(lib, f"{prefix}get_num_threads{suffix}", None)
    setter = getattr(lib, f"{prefix}set_num_threads{suffix}")
    if getter is None:
        return None
    getter.restype = ctypes.c_int
    setter.argtypes = [ctypes.c_int]
    return getter, setter


_GEMM_TYPES = (("s", ctypes.c_float, "float32"), ("d", ctypes.c_double, "float64"))


def _cblas(found: tuple[Any, tuple[str, str, str, Any]], name: str, argtypes: Any) -> dict:
    """``{dtype: cblas_?<name>}`` for float32 and float64, where the library has them, with
    the argument types ``argtypes(float type, integer type)``."""
    lib, (_, cblas, suffix, integer) = found
    functions = {}
    for letter, scalar, dtype in _GEMM_TYPES:
        function = getattr(lib, f"{cblas}{letter}{name}{suffix}", None)
        if function is not None:
            function.argtypes = argtypes(scalar, integer)
            function.restype = None
            functions[np.dtype(dtype)] = function
    return functions


def _gemm_arguments(scalar: Any, integer: Any) -> list[Any]:
    # order, transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc
    p = ctypes.c_void_p
    return [ctypes.c_int] * 3 + [integer] * 3 + [scalar, p, integer, p, integer, scalar, p, integer]


def _gemm_batch_arguments(scalar: Any, integer: Any) -> list[Any]:
    # order, transa[], transb[], m[], n[], k[], alpha[], a[], lda[], b[], ldb[], beta[], c[],
    # ldc[], group count, group sizes[]: every argument but two is an array's address
    return [ctypes.c_int] + [ctypes.c_void_p] * 13 + [integer, ctypes.c_void_p]


np.ones((2, 2)) @ np.ones((2, 2))  # loads NumPy's BLAS, so that it is in the maps
_FOUND = _openblas()
_THREADS = _openblas_threads(_FOUND) if _FOUND is not None and serial_below > 0 else None
_INTEGER = np.int64 if _FOUND is not None and _FOUND[1][3] is ctypes.c_int64 else np.int32
#: OpenBLAS's gemm by dtype with the largest integer it takes, for :func:`addmm`; empty where
#: none is found (then matmul + add).
_GEMMS = {
    dtype: (gemm, np.iinfo(_INTEGER).max)
    for dtype, gemm in (_cblas(_FOUND, "gemm", _gemm_arguments) if _FOUND else {}).items()
}
#: OpenBLAS's batched gemm by dtype, for :func:`_in_parts`; empty where it has none.
_BATCHED = _cblas(_FOUND, "gemm_batch", _gemm_batch_arguments) if _THREADS is not None else {}


def _on_threads_for(macs: int, product: Any, *args: Any) -> Any:
    """``product(*args)``, on one BLAS thread when a product of ``macs`` multiply-adds is
    better kept there: OpenBLAS would split it, and it is below :data:`serial_below` while
    the calling thread has a vmap open (or :data:`serial_everywhere`), or other processes
    keep the cores busy (:func:`chainrule._busy.others_busy`) and one thread gives it the same
    bits (:func:`_same_bits_on_one_thread`; ``args`` are the product's ``(a, b, out)``). The
    pool's count is restored after; a product OpenBLAS may thread waits for no switch of
    another thread's to be open (:data:`_turns`). One function, not a test and a switch in
    two: it runs for every product of a training step."""
    if _THREADS is None or macs <= _OPENBLAS_SERIAL:
        return product(*args)
    if macs < serial_below and (serial_everywhere or (vmap_anywhere and here.vmap)):
        return _on_one_thread(product, *args)
    if others_busy() and _same_bits_on_one_thread(product, *args):
        return _on_one_thread(product, *args)
    with _turns:
        return product(*args)


#: OpenBLAS's thread count is one per process: a threaded product that another thread starts
#: while :func:`_on_one_thread` has set it to one runs on one thread too, and rounds otherwise
#: (3,000 products of a 64 x 1,000 -> 128 layer beside a thread running vmap: 2,809 had other
#: bits). So the products that OpenBLAS may thread and the one-thread switches take turns.
#: It costs no overlap: OpenBLAS's threaded gemm runs one call at a time anyway (its driver
#: holds a lock, ``level3_lock``, in builds on pthreads, as NumPy's).
_turns = threading.RLock()


def _on_one_thread(product: Any, *args: Any) -> Any:
    """``product(*args)`` with OpenBLAS's pool set to one thread, its count restored after
    (no other thread's product runs meanwhile: :data:`_turns`)."""
    get, set_ = _THREADS
    with _turns:
        threads = get()
        if threads == 1:
            return product(*args)
        set_(1)
        try:
            return product(*args)
        finally:
            set_(threads)


#: Products whose bits on one thread :func:`_same_bits_on_one_thread` has found, by layout.
_SAME_BITS: dict[tuple[Any, ...], bool] = {}

#: Products of more multiply-adds than this are not tried twice: they keep the pool's threads.
_PROBED_MACS = 2**26

#: The most layouts :data:`_SAME_BITS` keeps.
_LAYOUTS_KEPT = 1024


def _same_bits_on_one_thread(product: Any, a: Any, b: Any, out: Any = None) -> bool:
    """Whether ``product(a, b, out)`` (NumPy's matmul, or :func:`_add_product`'s gemm) has the
    same bits on one OpenBLAS thread as on the pool's.

    Not always: OpenBLAS's threaded driver blocks a long sum otherwise than its serial one,
    and rounds otherwise then (here float32 sums from 456 terms on, float64 ones sooner), so
    a product that switched to one thread while other processes kept the cores busy had other
    last bits than on idle cores: the same program gave other numbers under load (a 1,797 x
    784 linear layer: 80% of its outputs). Whether it does is a property of the call and of
    the product's shapes, strides and dtypes, so it is found once per layout (at most
    :data:`_LAYOUTS_KEPT` kept: shapes that keep changing start the record again), by the same
    call on a random matrix of each operand, stored as it is, run both ways (the same call:
    NumPy sends a product with one row or column to gemv, whose bits do not change, where
    :func:`_add_product` calls gemm, whose bits do). Operands that share memory (NumPy may
    call another BLAS routine for ``x @ x.T``) and very large products are not tried: they
    keep the threads."""
    key = (
        product, a.shape, a.strides, a.dtype, b.shape, b.strides, b.dtype,
        None if out is None else (out.shape, out.strides, out.dtype),
    )  # fmt: skip
    same = _SAME_BITS.get(key)
    if same is None:
        if len(_SAME_BITS) >= _LAYOUTS_KEPT:
            _SAME_BITS.clear()
        same = _SAME_BITS[key] = _tried_both_ways(product, a, b, out)
    return same


def _tried_both_ways(product: Any, a: Any, b: Any, out: Any) -> bool:
    """:func:`_same_bits_on_one_thread` of a layout not seen before, tried on one matrix of
    each operand (NumPy's matmul runs a stack matrix by matrix)."""
    if not {a.dtype.kind, b.dtype.kind} & {"f", "c"}:
        return True  # integers: NumPy's own loop, not BLAS
    (m, k), n = a.shape[-2:], b.shape[-1]
    if np.may_share_memory(a, b) or m * k * n > _PROBED_MACS:
        return False
    rng = np.random.default_rng(0)  # its own generator: the user's stream is not drawn from
    a, b, out = (None if x is None else _random_like(x, rng) for x in (a, b, out))
    results = []
    for serial in (False, True):
        written = None if out is None else out.copy(order="K")  # (gemm adds to it)
        with _turns:  # (the threaded run too: see _turns)
            found = _on_one_thread(product, a, b, written) if serial else product(a, b, written)
        results.append(np.array(written if found is None else found))
    return bool(np.array_equal(*results, equal_nan=True))


def _random_like(x: Any, rng: Any) -> Any:
    """A matrix of random numbers shaped as ``x``'s last two dimensions and, as they are,
    stored by rows or by columns: what decides NumPy's call to BLAS (not the padding of rows,
    nor a stack's strides)."""
    rows, columns = x.shape[-2:]
    by_columns = x.strides[-2] == x.itemsize and x.strides[-1] != x.itemsize
    stored = (columns, rows) if by_columns else (rows, columns)
    matrix = rng.standard_normal(stored).astype(x.dtype)
    return matrix.T if by_columns else matrix


#: OpenBLAS hands a batch entry of at most 100**3 multiply-adds to its small-matrix kernels,
#: which crash (a segmentation fault) in its builds for several CPUs, as NumPy's wheels' 0.3.31:
#: every part :func:`_in_parts` sends stays above.
_SMALL_KERNEL_MACS = 100**3


def _in_parts(a: Any, b: Any, out: Any, beta: float) -> bool:
    """``out = a @ b + beta * out`` for float matrices of one dtype whose sum is longer than
    both sides of the output (a weight gradient's sum over the batch), split along the sum into
    one part per BLAS thread, run by one batched gemm call (each part a whole product on its
    own thread) and added up after.

    OpenBLAS's threaded gemm splits only the output, and its threads wait for each other's
    packed blocks again and again. For the full-batch MLP's 128 x 1,797 by 1,797 x 128 weight
    gradient on 2 idle cores that took 320-330 us, the halves of the sum 220-230 us (one
    thread: 400 us), and the training step 5% less time. A product split by rows took as long
    as OpenBLAS's alone, and longer inside a training step, so other products keep OpenBLAS's
    threads. On cores busy with other work both wait for a thread the kernel has not
    scheduled, the parts once per call: with two other processes on the 2 cores, the halves
    took 0.23-8 ms a call, OpenBLAS's threads 0.33-48 ms (medians of 6 runs of 100 calls).
    There (``others_busy()``) the same parts run one after the other on one thread: no wait,
    and the bits of idle cores, as the product must not change with the load.

    Returns False, having done nothing, where the sum is not longer than the output's sides on
    at least two threads, or where the call does not take the arrays."""
    gemm = _BATCHED.get(a.dtype)
    (m, k), n = a.shape, b.shape[1]
    if gemm is None or k <= max(m, n) or b.dtype is not a.dtype or out.dtype is not a.dtype:
        return False
    with _turns:  # the pool's own count, not one another thread's switch set for a moment
        parts = _THREADS[0]()
    # Each part keeps a sum as long as the output's sides (so the parts' outputs, added after,
    # are never larger than an operand: no memory blow-up on many threads) and more
    # multiply-adds than OpenBLAS's small-matrix kernels take.
    while parts > 1 and (k // parts < max(m, n) or (k // parts) * m * n <= _SMALL_KERNEL_MACS):
        parts -= 1
    if parts < 2:
        return False
    bounds = [k * i // parts for i in range(parts + 1)]
    scratch = _buffers.empty((parts - 1, m, n), a.dtype)
    ints = np.empty((9, parts), _INTEGER)  # transa, transb, m, n, k, lda, ldb, ldc, 1 a group
    addresses = np.empty((3, parts), np.uintp)  # a, b and the output of each part
    for i in range(parts):
        part = slice(bounds[i], bounds[i + 1])
        pa, pb, pc = a[:, part], b[part], out if i == 0 else scratch[i - 1]
        layout_a, layout_b = _gemm_layout(pa), _gemm_layout(pb)
        if layout_a is None or layout_b is None:
            return False
        ints[:, i] = layout_a[0], layout_b[0], m, n, pa.shape[1], layout_a[1], layout_b[1], n, 1
        addresses[:, i] = pa.ctypes.data, pb.ctypes.data, pc.ctypes.data
    flags = ints[:2].astype(np.intc)  # the transpose flags are C enums
    scalars = np.zeros((2, parts), a.dtype)  # alpha, beta: only the first part adds to out
    scalars[0], scalars[1, 0] = 1.0, beta
    i_row, p_row, s_row = ints.strides[0], addresses.strides[0], scalars.strides[0]
    i_at, p_at, s_at = ints.ctypes.data, addresses.ctypes.data, scalars.ctypes.data
    arguments = (
        *(_ROW_MAJOR, flags.ctypes.data, flags.ctypes.data + flags.strides[0]),
        *(i_at + 2 * i_row, i_at + 3 * i_row, i_at + 4 * i_row),  # m, n, k
        *(s_at, p_at, i_at + 5 * i_row, p_at + p_row, i_at + 6 * i_row),  # alpha, a, lda, b, ldb
        *(s_at + s_row, p_at + 2 * p_row, i_at + 7 * i_row),  # beta, c, ldc
        *(parts, i_at + 8 * i_row),  # groups of one product each
    )
    if others_busy():  # the same parts one after the other, on one thread: the same bits
        _on_one_thread(gemm, *arguments)
    else:
        gemm(*arguments)
    for piece in scratch:
        out += piece
    return True


def matmul(a: Any, b: Any, out: Any = None) -> Any:
    """``a @ b`` (NumPy arrays, any batch dimensions), on one BLAS thread when it is small.

    A large product of two float matrices is written into an array of
    :mod:`chainrule._buffers`: a training step's products reuse the previous step's memory.
    """
    if a.ndim == 2 and b.ndim == 2:  # two matrices (every product of a linear layer): first
        rows, columns, dtype = a.shape[0], b.shape[1], a.dtype
        macs = rows * a.shape[1] * columns
        if out is None and dtype is b.dtype and dtype.kind == "f":
            if macs >= serial_below:  # large: in parts where it can be (buffers knows sizes)
                out = _buffers.empty((rows, columns), dtype)
                if _in_parts(a, b, out, 0.0):
                    return out
            elif rows * columns * dtype.itemsize >= _buffers.MIN_BYTES:  # small: no call
                out = _buffers.empty((rows, columns), dtype)
        return _on_threads_for(macs, np.matmul, a, b, out)
    if (
        out is None
        and a.ndim > 2
        and (b.ndim == 2 or (a.shape[:-2] == b.shape[:-2] and not any(b.strides[:-2])))
        and a.size  # (an empty one has no entry 0 to take, nor rows to flatten)
        and b.size
    ):
        # One matrix for every matrix of a's stack (a linear layer on batched rows, a weight
        # expanded over vmap's batch with stride 0): one product of all of a's rows, as
        # PyTorch's matmul folds them, not NumPy's one small product per matrix (per-example
        # gradients' (256, 1, 128) @ (128, 128): 247 us so; with the weight expanded,
        # (256, 1, 128) @ (256, 128, 128): 0.58 ms so, 0.13 ms at once).
        rows = a.reshape((-1, a.shape[-1]))
        out = np.empty((len(rows), b.shape[-1]), np.result_type(a, b))
        matrix = b if b.ndim == 2 else b[(0,) * (b.ndim - 2)]
        return matmul(rows, matrix, out).reshape((*a.shape[:-1], b.shape[-1]))
    if (
        out is None
        and (a.ndim > 2 or b.ndim > 2)  # (a vector's product is one: no flags read)
        and not (a.flags.c_contiguous and b.flags.c_contiguous)
    ):
        out = _contiguous_out(a, b)  # (else NumPy's result is C-contiguous: no call)
    if _THREADS is None or a.ndim < 2 or b.ndim < 2:
        return np.matmul(a, b, out)  # out by position: NumPy parses no keywords
    # batch x rows x inner x columns, whichever operand carries the batch dimensions
    macs = max(a.size * b.shape[-1], b.size * a.shape[-2])
    return _on_threads_for(macs, np.matmul, a, b, out)


#: :func:`outer` writes stacks of outer products of at least this many bytes, both sides at
#: least :data:`_PAIRS_MIN_SIDE` long, as products of pairs; smaller ones (a (256, 4, 4) stack:
#: 7 us by einsum, 9 us so) keep einsum.
_PAIRS_MIN_BYTES = 2**16
_PAIRS_MIN_SIDE = 8


def outer(a: Any, b: Any, transposed: bool | None = None) -> Any:
    """``a @ b`` where the summed dimension has size 1: a stack of outer products of a
    ``(..., m, 1)`` and a ``(..., 1, n)`` array, the weight gradients of per-example gradients
    under vmap. ``transposed``: whether the result is laid out transposed (a transposed view
    of the outer products of b^T and a^T), or, where None, as its writer writes fastest
    (below). A large stack is written by several threads (:func:`chainrule._split.in_parts`).

    NumPy writes them slowly: ``einsum`` at a third of memory's speed, a broadcast multiply
    slower still (one call of its loop per row of the output), and its matmul, for a sum of
    one, slower again (4.7 ms for a (256, 128, 128) float32 stack, einsum 0.89 ms). BLAS
    writes a product at full speed once something is summed, so each two consecutive outer
    products are written as one product summing two terms, the pair's columns side by side
    in a block-diagonal matrix::

        [a0  0]   [b0]   [a0 b0]
        [ 0 a1] @ [b1] = [a1 b1]

    Each entry is ``a0[i] * b0[j] + 0 * b1[j]``, the bits einsum writes wherever b is finite
    (``0 * inf`` is nan: an inf or nan in the side the zeros meet keeps einsum). The sign of a
    zero is einsum's too, but for a product that underflows to zero: BLAS's fused multiply-add
    rounds it to a zero of its own sign and adds the partner's ``0 * b``, so its sign may be
    either (einsum adds the rounded product to +0; a multiply keeps its sign).

    Each writer has its layout, and where the other suits it better the stack is written
    transposed, as the outer products of b^T and a^T, and returned as a transposed view.
    BLAS writes long rows of memory not yet in cache slowly, so pairs write the shorter side
    last; einsum's loop runs along the last axis, so it writes the longer side last. Measured
    float32 on one thread, a batch of 256, the output's memory out of cache, einsum then
    pairs: 128 x 64, 609 -> 352 us (its transpose by pairs 501 us); 128 x 128, 1,182 -> 1,045
    us; 64 x 256 written as 256 x 64, 1,036 -> 650 us. The digits MLP's per-example gradients
    (benchmarks/bench_func.py): 2,229 -> 1,973 us (medians of 8 alternated runs). A stack
    whose operands broadcast, of another dtype, or small keeps einsum; so does one whose pairs
    OpenBLAS would split over its own threads (more than 2**16 entries a matrix), as the
    split's threads call it at once.

        >>> float(outer(np.ones((3, 2, 1)), np.full((3, 1, 8), 2.0)).sum())
        96.0
    """
    batch = a.shape[:-2]
    if batch != b.shape[:-2]:
        batch = np.broadcast_shapes(batch, b.shape[:-2])
    rows, columns = a.shape[-2], b.shape[-1]
    dtype = np.result_type(a, b)
    pairs_fit = (
        a.shape[:-2] == b.shape[:-2]
        and a.size >= 2 * rows  # a pair at least (a stack, not one outer product)
        and a.dtype == b.dtype == dtype
        and dtype in (np.float32, np.float64)
        and min(rows, columns) >= _PAIRS_MIN_SIDE
        and 4 * rows * columns <= _OPENBLAS_SERIAL
        and a.size * columns * dtype.itemsize >= _PAIRS_MIN_BYTES
    )
    if transposed is None:  # pairs write the shorter side last, einsum the longer
        transposed = rows < columns if pairs_fit else rows > columns
    # the side the partner's zeros meet: b, or a where the stack is written as b^T a^T
    by_pairs = pairs_fit and np.isfinite(a if transposed else b).all()
    write = _pairs_into if by_pairs else _einsum_outer_into
    # Parts start at an even example, so that the pairs are the same however the stack is
    # split (a pair's zeros may take their signs from the partner: see above).
    align = 2 if by_pairs and math.prod(batch[1:]) % 2 else 1
    if transposed:
        out = np.empty((*batch, columns, rows), dtype)
        b_t, a_t = b.swapaxes(-1, -2), a.swapaxes(-1, -2)
        return _split.in_parts(write, out, b_t, a_t, align=align).swapaxes(-1, -2)
    return _split.in_parts(write, np.empty((*batch, rows, columns), dtype), a, b, align=align)


def _einsum_outer_into(out: Any, a: Any, b: Any) -> None:
    np.einsum("...ik,...kj->...ij", a, b, out=out)


def _pairs_into(out: Any, a: Any, b: Any) -> None:
    """:func:`outer`'s products of pairs, for operands it has checked."""
    rows, columns = out.shape[-2:]
    count = out.size // (rows * columns)
    column, row = a.reshape(count, rows), b.reshape(count, columns)
    flat = out.reshape(count, rows, columns)
    pairs = count // 2
    blocks = np.zeros((pairs, 2, rows, 2), out.dtype)  # [a0 0; 0 a1] for each pair
    blocks[:, 0, :, 0] = column[0 : 2 * pairs : 2]
    blocks[:, 1, :, 1] = column[1 : 2 * pairs : 2]
    # No warnings, as einsum gives none: an overflow of a product is inf as einsum's, and an
    # inf among the blocks raises the invalid flag inside OpenBLAS's kernel, though every
    # entry it writes is einsum's (tests/test_blas_outer_pairs.py).
    with np.errstate(all="ignore"):
        np.matmul(
            blocks.reshape(pairs, 2 * rows, 2),
            row[: 2 * pairs].reshape(pairs, 2, columns),
            flat[: 2 * pairs].reshape(pairs, 2 * rows, columns),
        )
    if count % 2:  # the last one has no pair
        _einsum_outer_into(flat[-1], column[-1:].T, row[-1:])


def _contiguous_out(a: Any, b: Any) -> Any:
    """A C-contiguous array for ``a @ b`` (stacks of matrices, or vectors), or None where
    their shapes do not fit (NumPy's matmul then says so). NumPy lays out the stack dims of
    the result it allocates in its operands' memory order (a permuted stack gives a permuted
    result); PyTorch's matmul result is contiguous, and code views it (``.view(-1)``)."""
    (*stack_a, n, k), (*stack_b, k2, m) = (
        a.shape if a.ndim > 1 else (1, *a.shape),
        b.shape if b.ndim > 1 else (*b.shape, 1),
    )
    if k != k2:
        return None
    if stack_a == stack_b or not stack_b:
        stack = stack_a
    elif not stack_a:
        stack = stack_b
    else:
        try:
            stack = np.broadcast_shapes(tuple(stack_a), tuple(stack_b))
        except ValueError:
            return None
    shape = (*stack, *((n,) if a.ndim > 1 else ()), *((m,) if b.ndim > 1 else ()))
    return np.empty(shape, np.result_type(a, b))


# CBLAS's enums (cblas.h).
_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112


def _gemm_layout(m: Any) -> tuple[int, int] | None:
    """``(transpose flag, leading dimension)`` under which row-major BLAS reads the 2-d array
    ``m`` where it lies, or None where it must be copied first (a stride-0 broadcast, a step
    along both axes)."""
    if not m.flags.aligned:
        return None
    item = m.itemsize
    s0, s1 = m.strides
    rows, cols = m.shape
    if s1 == item and s0 % item == 0 and s0 >= cols * item:  # rows lie contiguous
        return _NO_TRANS, s0 // item
    if s0 == item and s1 % item == 0 and s1 >= rows * item:  # columns do: read m.T's rows
        return _TRANS, s1 // item
    return None


def addmm(bias: Any, a: Any, b: Any) -> Any:
    """``bias + a @ b`` (NumPy arrays; ``bias`` broadcasts to the product's shape), as PyTorch's
    ``addmm``: for a large float product of matrices, one gemm call with ``beta = 1`` into an
    output that holds the broadcast bias, so that no second pass adds it (and BLAS does not
    zero the output first). NumPy has no such call; OpenBLAS's ``cblas_?gemm`` is found in the
    library NumPy loaded. Elsewhere, or for other dtypes and shapes, :func:`matmul` then an
    in-place add.

        >>> addmm(np.ones(4), np.ones((2, 3)), np.ones((3, 4)))
        array([[4., 4., 4., 4.],
               [4., 4., 4., 4.]])
    """
    # small products (a batch-64 MLP's) skip the checks: matmul's call costs them less
    if a.ndim == b.ndim == 2 and a.shape[0] * b.shape[1] * a.itemsize >= _buffers.MIN_BYTES:
        out = _addmm_in_one_call(bias, a, b)
        if out is not None:
            return out
    out = matmul(a, b)
    if bias.dtype == out.dtype:
        out += bias  # out is a fresh array: no second temporary for the sum
        return out
    return out + bias


def _addmm_in_one_call(bias: Any, a: Any, b: Any) -> Any:
    """``bias + a @ b`` of matrices by one gemm call, or None where the call does not take
    the arrays."""
    found = _GEMMS.get(a.dtype)
    if found is None or b.dtype is not a.dtype or bias.dtype is not a.dtype:
        return None
    largest = found[1]
    (m, k), n = a.shape, b.shape[1]
    if not 0 < k <= largest or max(m, n) > largest:  # nothing summed; too large for BLAS ints
        return None
    a_layout, b_layout = _gemm_layout(a), _gemm_layout(b)
    if a_layout is None or b_layout is None:
        return None
    out = _buffers.empty((m, n), a.dtype)
    np.copyto(out, bias)  # beta = 1: the product is added to what out holds
    if m * n * k >= serial_below and _in_parts(a, b, out, 1.0):
        return out
    _on_threads_for(m * n * k, _add_product, a, b, out)
    return out


def _add_product(a: Any, b: Any, out: Any) -> None:
    """``out += a @ b`` by one gemm call (``beta = 1``), for matrices it takes (see
    :func:`_addmm_in_one_call`)."""
    (m, k), n = a.shape, b.shape[1]
    (a_flag, lda), (b_flag, ldb) = _gemm_layout(a), _gemm_layout(b)
    # a, b and out are bound here, so their memory lives through the call
    operands = (a.ctypes.data, lda, b.ctypes.data, ldb, 1.0, out.ctypes.data, out.shape[1])
    _GEMMS[a.dtype][0](_ROW_MAJOR, a_flag, b_flag, m, n, k, 1.0, *operands)
