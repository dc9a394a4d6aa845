"""The eager engine's fast paths give the answers of the plain math and of PyTorch.

Each speed-up (in-place gradient sums, the in-place log-softmax rule behind cross-entropy, the
direct max-pool rule for windows apart, small products on one BLAS thread, malloc's
thresholds) is checked here against the unfused composition and against PyTorch on the same
snippet; the op table checks each op against finite differences. Timings are in benchmarks/,
never here. A training step's peak memory stays flat over 1,000 steps.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from rounding import assert_product_close

import chainrule as cr
from chainrule import _blas, _malloc
from chainrule.autodiff import open_transforms
from chainrule.nn import functional as F


def _run(m: Any, snippet: Callable[..., Any], arrays: list[np.ndarray]) -> tuple[Any, list[Any]]:
    """``snippet`` on leaves made from ``arrays`` by engine ``m``: its value and the grads."""
    leaves = [m.tensor(a, requires_grad=True) for a in arrays]
    out = snippet(m, *leaves)
    out.backward()
    return out.detach().numpy(), [leaf.grad.numpy() for leaf in leaves]


def _fan_out(m, x):
    y = x * 2.0
    return (y + y + y + y.sin() + y * y).sum()  # y's gradient sums five uses


def _fan_out_leaf(m, x):
    return (x + x + x * 3.0 + x.exp()).sum()  # the leaf's gradient sums four uses


def _fan_out_broadcast(m, x, b):
    y = x + b  # b's gradient is summed over the broadcast rows, from three uses
    return (y * b + y + b * 2.0).sum()


def _elementwise_with_numbers(m, x, s):
    # Nodes of one input or with a number skip the shape comparison; x * s (s 0-d) and the
    # broadcast add still sum s's gradient down.
    y = (1.5 - x * 1.5 + 0.25).tanh()
    z = 2.0 - (y * s).sigmoid() + (s * 3.0).tanh()
    return (z / 2.0).exp().sum()


def _cross_entropy(m, x, w, b):
    logits = m.nn.functional.linear(x, w, b)
    target = m.tensor(np.array([0, 2, 1, 2, 0], dtype=np.int64))
    return m.nn.functional.cross_entropy(logits, target)


def _cnn(m, x, w):
    h = m.nn.functional.relu(m.nn.functional.conv2d(x, w, padding=1))
    return m.nn.functional.max_pool2d(h, 2).square().sum()


CASES = {
    "fan-out of a node (in-place sums)": (_fan_out, [(3, 4)]),
    "fan-out of a leaf": (_fan_out_leaf, [(5,)]),
    "fan-out through broadcasting": (_fan_out_broadcast, [(3, 4), (4,)]),
    "elementwise ops with numbers (no shape comparison)": (_elementwise_with_numbers, [(3, 4), ()]),
    "linear + cross-entropy (in-place log-softmax rule)": (_cross_entropy, [(5, 4), (3, 4), (3,)]),
    "conv + relu + max-pool (windows apart)": (_cnn, [(2, 2, 6, 6), (3, 2, 3, 3)]),
}


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fast_paths_match_pytorch(name: str, dtype: Any) -> None:
    snippet, shapes = CASES[name]
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(dtype) for s in shapes]
    ours, our_grads = _run(cr, snippet, arrays)
    theirs, their_grads = _run(torch, snippet, arrays)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(ours, theirs, rtol=tol, atol=tol)
    for mine, ref in zip(our_grads, their_grads, strict=True):
        assert mine.dtype == ref.dtype
        np.testing.assert_allclose(mine, ref, rtol=tol, atol=tol)


def test_in_place_sums_leave_gradients_seen_by_hooks_alone() -> None:
    """A gradient handed to a hook (or to two inputs by ``a + b``) is never added into later."""
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3.0
    seen = []
    y.register_hook(lambda g: seen.append(g.clone()) or None)
    z = y + y  # Add gives both uses the same array
    (z + y + y).sum().backward()
    assert seen[0].tolist() == [4.0, 4.0]
    assert x.grad.tolist() == [12.0, 12.0]


def test_applying_an_op_makes_no_closure_cells() -> None:
    """``Op.__call__`` (and each class's copy of it) runs once per operation: a comprehension
    in it that read one of its locals would make that local a cell, allocated on every call."""
    from chainrule.op import Op
    from chainrule.ops.elementwise import Mul

    assert Op.__call__.__code__.co_cellvars == ()
    assert Mul.__call__.__code__.co_cellvars == ()
    assert Mul.__call__.__wrapped__ is Op.__call__  # the class's own copy, checked above


def test_applying_an_op_reads_its_class_settings_from_a_cell_not_a_keyword() -> None:
    """Each class's ``__call__`` takes the inputs alone (a keyword-only default costs every call
    its binding) and finds the class's ``_saving`` in its closure."""
    from chainrule.ops.elementwise import Mul, Tanh

    for cls in (Mul, Tanh):
        code = cls.__call__.__code__
        assert code.co_kwonlyargcount == 0 and code.co_freevars == ("saving",)
        assert cls.__call__.__closure__[0].cell_contents is cls._saving


def _one_shape_ops() -> list[Any]:
    """An instance of every op that says its gradient has its input's shape and dtype."""
    from chainrule.op import REGISTRY

    made = {"Clamp": lambda cls: cls(0.2, 0.5), "NanToNum": lambda cls: cls(0.0, 1.0, -1.0)}
    return [
        made.get(name, lambda cls: cls())(cls) for name, cls in REGISTRY.items() if cls.one_shape
    ]


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_every_one_shape_rule_gives_its_inputs_dtype(dtype: Any) -> None:
    """The backward pass takes these ops' word for it and casts nothing (see ``Op.one_shape``),
    where a node gives it: a float16 op computed in float32 (``Op.half_in_float32``) does not,
    and its gradient is rounded where it lands. (Ops PyTorch has no float16 kernel for,
    ``Op.half_missing``, refuse float16.)"""
    ops = _one_shape_ops()
    assert len(ops) > 30
    for op in ops:
        if dtype is np.float16 and type(op).half_missing is not None:
            with pytest.raises(NotImplementedError, match=type(op).half_missing):
                op(cr.ones(2, dtype=cr.float16))
            continue
        x = cr.tensor(np.linspace(0.1, 0.9, 6, dtype=dtype), requires_grad=True)
        with np.errstate(all="ignore"):
            y = op(x)
            node = y.grad_fn
            try:
                (g,) = node.vjp(np.ones_like(node.out), node.out, *node.args)
            except NotImplementedError as error:  # i1's, i1e's: no float16 backward kernel
                assert dtype is np.float16 and "_backward" in str(error), type(op).__name__
                continue
        shaped = node._record[4]
        assert shaped or (dtype is np.float16 and type(op).half_in_float32), type(op).__name__
        if shaped:
            assert node.out.dtype == dtype and g.dtype == dtype, type(op).__name__
        assert y.dtype == dtype


def test_a_gradient_of_another_dtype_still_lands_in_each_input_as_its_dtype() -> None:
    """A float64 gradient given for a float32 root is cast where it lands: the pass stops
    taking the ops' word for dtypes (``_Pass.output_dtypes``). (A hook may not change the
    dtype: PyTorch's error, see test_torch_tensor_hooks.)"""
    results = []
    for m in (cr, torch):
        x = m.tensor([0.5, -1.5, 2.0], requires_grad=True)
        y = m.tanh(x * 2.0 + 1.0) - 0.5
        y.backward(m.tensor([1.0, 2.0, 3.0], dtype=m.float64))
        assert str(x.grad.dtype).endswith("float32")
        results.append(np.asarray(x.grad.detach()))
    np.testing.assert_allclose(*results, rtol=1e-4)  # PyTorch casts first


def test_cross_entropy_gradient_is_softmax_minus_onehot_over_n() -> None:
    """The fused rule against its closed form, and against the unfused composition."""
    rng = np.random.default_rng(1)
    logits = rng.standard_normal((6, 4))
    target = np.array([3, 0, 1, 1, 2, 0])
    x = cr.tensor(logits, requires_grad=True)
    F.cross_entropy(x, cr.tensor(target)).backward()
    softmax = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    np.testing.assert_allclose(x.grad.numpy(), (softmax - np.eye(4)[target]) / 6, atol=1e-15)

    plain = cr.tensor(logits, requires_grad=True)
    logp = plain - plain.exp().sum(1, keepdim=True).log()
    (-(logp * cr.tensor(np.eye(4)[target])).sum() / 6).backward()
    np.testing.assert_allclose(x.grad.numpy(), plain.grad.numpy(), atol=1e-15)


# Softmax's family over rows of 33 to 8,191 float32 values sums each row by one BLAS product
# (nn_ops.row_sums); a broadcast gradient's rows, float64 and longer rows keep NumPy's sum.
ROW_SUM_CASES = {
    "softmax": lambda m, x: m.softmax(x, -1),
    "log_softmax": lambda m, x: m.log_softmax(x, -1),
    "cross_entropy": lambda m, x: m.nn.functional.cross_entropy(x, m.tensor(np.arange(len(x)) % 7)),
}


@pytest.mark.parametrize("name", list(ROW_SUM_CASES))
@pytest.mark.parametrize("shape", [(200, 130), (3, 9000)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("given", [True, False], ids=["given-gradient", "broadcast-gradient"])
def test_row_sums_of_the_softmax_family_match_pytorch(
    name: str, shape: tuple[int, int], dtype: str, given: bool
) -> None:
    rng = np.random.default_rng(5)
    x = (rng.standard_normal(shape) * 4).astype(dtype)
    weights = rng.standard_normal(shape).astype(dtype)
    results = []
    for m in (cr, torch):
        leaf = m.tensor(x, requires_grad=True)
        y = ROW_SUM_CASES[name](m, leaf)
        (y * m.tensor(weights) if given and y.ndim else y).sum().backward()
        results.append([y.detach().numpy(), leaf.grad.numpy()])
    tolerance = 2e-6 if dtype == "float32" else 1e-13
    for ours, theirs in zip(*results, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=tolerance, atol=tolerance)


def test_max_pool_rules_agree_for_windows_apart_and_overlapping() -> None:
    """Stride >= kernel takes the direct rule; the overlapping rule (a bincount) must agree."""
    rng = np.random.default_rng(2)
    data = rng.permutation(2 * 3 * 6 * 6).reshape(2, 3, 6, 6).astype(np.float32)
    fast = cr.tensor(data, requires_grad=True)
    F.max_pool2d(fast, 2).square().sum().backward()
    slow = cr.tensor(data, requires_grad=True)
    # A 3x3 kernel of stride 2 padded by 1 overlaps: same maxima only where a 2x2 window's
    # maximum is also its 3x3 window's, so compare each against the values it picked.
    pooled = F.max_pool2d(slow, 3, stride=2, padding=1)
    pooled.sum().backward()
    assert fast.grad.dtype == cr.float32
    expected = np.zeros_like(data)
    windows = data.reshape(2, 3, 3, 2, 3, 2).transpose(0, 1, 2, 4, 3, 5).reshape(2, 3, 3, 3, 4)
    picks = windows.argmax(-1)
    for idx in np.ndindex(2, 3, 3, 3):
        n, c, i, j = idx
        r, s = divmod(picks[idx], 2)
        expected[n, c, 2 * i + r, 2 * j + s] = 2 * data[n, c, 2 * i + r, 2 * j + s]
    np.testing.assert_array_equal(fast.grad.numpy(), expected)
    assert slow.grad.sum().item() == pooled.numel()  # each window passed its 1 somewhere


@pytest.mark.parametrize(
    "shapes",
    [((64, 128), (128, 128)), ((3, 5, 7), (7, 2)), ((4, 6), (2, 6, 3)), ((512, 512), (512, 64))],
)
def test_blas_matmul_equals_numpy_and_restores_the_thread_count(shapes) -> None:
    rng = np.random.default_rng(3)
    a, b = (rng.standard_normal(s).astype(np.float32) for s in shapes)
    before = _blas._THREADS[0]() if _blas._THREADS else None
    assert_product_close(_blas.matmul(a, b), a, b)  # another thread count: another order
    if _blas._THREADS:
        assert _blas._THREADS[0]() == before


def thread_counts_set(monkeypatch: pytest.MonkeyPatch, busy: bool = False) -> list[int]:
    """Two BLAS threads, as a stand-in for OpenBLAS's getter and setter, and the list of the
    counts that chainrule sets from here on; other processes keep the cores ``busy`` or not
    (not by default, whatever pytest-xdist's other worker does)."""
    counts: list[int] = []
    monkeypatch.setattr(_blas, "_THREADS", (lambda: 2, counts.append))
    monkeypatch.setattr(_blas, "others_busy", lambda: busy)
    return counts


def test_products_below_serial_below_run_on_one_thread_only_under_vmap(monkeypatch) -> None:
    # (256, 128) @ (128, 128): 2**22 multiply-adds, which OpenBLAS would thread. Outside vmap
    # it keeps OpenBLAS's threads; under vmap (the examples' rows folded into one product)
    # it runs on one, so that no spinning BLAS thread takes the core of _split's outer
    # products; the count is restored after, and the open levels are closed.
    counts = thread_counts_set(monkeypatch)
    rows, w = np.ones((256, 128), np.float32), cr.ones(128, 128)
    _blas.matmul(rows, w.numpy())
    assert counts == []
    out = cr.func.vmap(lambda r: r @ w)(cr.tensor(rows))
    np.testing.assert_array_equal(out.numpy(), np.full((256, 128), 128.0, np.float32))
    assert counts == [1, 2]
    assert open_transforms.here.vmap == open_transforms.vmap_anywhere == []

    def fails(r: cr.Tensor) -> cr.Tensor:
        raise ValueError("f failed")

    with pytest.raises(ValueError, match="f failed"):
        cr.func.vmap(fails)(cr.tensor(rows))
    assert open_transforms.here.vmap == open_transforms.vmap_anywhere == []


def test_serial_below_set_in_the_environment_keeps_products_on_one_thread_outside_vmap(
    monkeypatch,
) -> None:
    monkeypatch.setattr(_blas, "serial_everywhere", True)  # CHAINRULE_BLAS_SERIAL_BELOW set
    counts = thread_counts_set(monkeypatch)
    a, b = np.ones((256, 128), np.float32), np.ones((128, 128), np.float32)
    np.testing.assert_array_equal(_blas.matmul(a, b), a @ b)
    assert counts == [1, 2]
    _blas.matmul(a[:, :1], b[:1])  # 32,768 multiply-adds: OpenBLAS keeps those on one thread
    assert counts == [1, 2]


@pytest.mark.parametrize(
    ("environment", "expected"), [(None, (2**23, False)), ("134217728", (2**27, True))]
)
def test_blas_serial_below_from_the_environment(environment: str | None, expected) -> None:
    env = {k: v for k, v in os.environ.items() if k != "CHAINRULE_BLAS_SERIAL_BELOW"}
    if environment is not None:
        env["CHAINRULE_BLAS_SERIAL_BELOW"] = environment
    code = "from chainrule import _blas; print(_blas.serial_below, _blas.serial_everywhere)"
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == [str(expected[0]), str(expected[1])]


@pytest.mark.parametrize(
    "a_shape, b_shape",
    [((256, 1, 128), (256, 128, 64)), ((2, 3, 4, 5), (2, 3, 5, 6)), ((7, 3, 5), (7, 5, 2))],
)
def test_blas_matmul_of_one_matrix_expanded_over_a_batch_equals_numpy(a_shape, b_shape) -> None:
    """A batch whose second operands are one matrix (stride 0: a weight under vmap) runs as
    one product of every row of a: the same numbers, a fresh array of the same shape."""
    rng = np.random.default_rng(4)
    a = rng.standard_normal(a_shape).astype(np.float32)
    w = rng.standard_normal(b_shape[-2:]).astype(np.float32)
    shared = np.broadcast_to(w, b_shape)
    transposed = np.broadcast_to(w.T.copy(), (*b_shape[:-2], *w.T.shape)).swapaxes(-1, -2)
    for b in (shared, transposed, shared.copy()):  # the last one: the general path
        found = _blas.matmul(a, b)
        assert found.shape == np.matmul(a, b).shape and found.flags.writeable
        np.testing.assert_allclose(found, np.matmul(a, b), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "a, b",
    [
        (np.ones((256, 1, 128)), np.ones((128, 64))),  # vmap's rows through a linear layer
        (np.ones((4, 8, 16)), np.ones((64, 16)).T),  # x @ W.T on (batch, time, features)
        (np.ones((2, 3, 5, 7)).swapaxes(0, 1), np.ones((7, 4))),  # rows that must be copied
        (np.ones((3, 0, 7)), np.ones((7, 4))),  # no rows
    ],
    ids=["vmap rows", "transposed weight", "strided stack", "empty"],
)
def test_a_stack_of_matrices_times_one_matrix_is_one_product(monkeypatch, a, b) -> None:
    """NumPy's matmul runs one small product per matrix of the stack; PyTorch's matmul, and
    chainrule's, fold the stack into the rows of one product: NumPy's numbers and shape."""
    rng = np.random.default_rng(5)
    a = a * rng.standard_normal(a.shape).astype(np.float32)
    b = (b * rng.standard_normal(b.shape)).astype(np.float32)
    products: list[tuple[int, ...]] = []
    matmul = np.matmul

    def counted(x: Any, y: Any, out: Any = None) -> Any:
        products.append(x.shape)
        return matmul(x, y, out)

    monkeypatch.setattr(_blas.np, "matmul", counted)
    monkeypatch.setattr(_blas, "others_busy", lambda: False)  # (no product tried both ways)
    found = _blas.matmul(a, b)
    assert found.shape == matmul(a, b).shape
    np.testing.assert_allclose(found, matmul(a, b), rtol=1e-5, atol=1e-5)
    if a.size:  # (no rows: NumPy's call, which has nothing to multiply)
        assert [len(shape) for shape in products] == [2]


def test_malloc_thresholds_are_set_on_linux_glibc() -> None:
    import platform

    if platform.system() == "Linux" and platform.libc_ver()[0] == "glibc":
        assert _malloc.tune()


def _train_step(model, opt, x, y) -> None:
    loss = F.cross_entropy(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_peak_memory_of_a_training_step_stays_flat_over_1000_steps(kind: str) -> None:
    cr.manual_seed(0)
    if kind == "mlp":
        model = cr.nn.Sequential(cr.nn.Linear(8, 16), cr.nn.ReLU(), cr.nn.Linear(16, 4))
        x = cr.randn(8, 8)
    else:
        model = cr.nn.Sequential(
            cr.nn.Conv2d(1, 4, 3, padding=1),
            cr.nn.ReLU(),
            cr.nn.MaxPool2d(2),
            cr.nn.Flatten(),
            cr.nn.Linear(16, 4),
        )
        x = cr.randn(8, 1, 4, 4)
    y = cr.tensor(np.arange(8) % 4)
    opt = cr.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    # Warm-up, untraced: Python's free lists of small objects fill over the first ~1,000
    # steps (measured), then stay put.
    for _ in range(1_000):
        _train_step(model, opt, x, y)
    tracemalloc.start()
    try:
        # Then 1,500 steps in three blocks; each block's peak includes garbage cycles awaiting
        # the collector, so the blocks are compared with each other, not with a single step.
        # The full collection in _traced_by_owner empties Python's free lists, and the first
        # block refills them (up to 2,000 tuples of each size, ~112 KB of pairs, at a pace set
        # by how many the step frees): the last two blocks are compared.
        numpy_early, python_early = _traced_by_owner()
        peaks = []
        for _ in range(3):
            tracemalloc.reset_peak()
            for _ in range(500):
                _train_step(model, opt, x, y)
            peaks.append(tracemalloc.get_traced_memory()[1])
        numpy_late, python_late = _traced_by_owner()
    finally:
        tracemalloc.stop()
    slack = 16 * 1024  # an array leaked every 10 steps, or 20 bytes every step, exceeds it
    assert numpy_late <= numpy_early + slack
    # Python's allocator may grow its own tables once (an arena list, ~1 MB, was seen); that
    # growth is the interpreter's, and counted out of the peak, not the arrays' or the graph's.
    interpreter = max(0, python_late - python_early)
    assert peaks[2] <= peaks[1] + slack + interpreter


def _traced_by_owner() -> tuple[int, int]:
    """Bytes traced now, after a collection: (NumPy's array buffers, everything else)."""
    gc.collect()
    traces = tracemalloc.take_snapshot().traces
    arrays = sum(t.size for t in traces if t.domain == np.lib.tracemalloc_domain)
    return arrays, sum(t.size for t in traces) - arrays
