"""The function transforms and backward passes belong to the thread that runs them.

PyTorch keeps functorch's layers (vmap, grad) per thread. chainrule's were one per process:
another thread's ``vmap`` refused this thread's random draws, its ``grad`` refused this
thread's ``.numpy()``, two threads running transforms at once broke each other's, and a
backward pass ending in another thread took this thread's pass off the record its hooks read.
Each snippet that PyTorch runs the same way runs in both libraries.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from thread_util import paused_in_another_thread, run_together

import chainrule as cr
import chainrule.autograd.forward_ad as cfw
from chainrule import _blas
from chainrule.autodiff import open_transforms

LIBRARIES = [pytest.param(torch, id="torch"), pytest.param(cr, id="chainrule")]


def inside_vmap(lib: Any) -> Callable[[Callable[[], None]], Any]:
    """A run that pauses inside ``vmap``'s function (randomness 'error', the default)."""

    def run(pause: Callable[[], None]) -> Any:
        return lib.func.vmap(lambda x: pause() or x * 2)(lib.ones(4, 3))

    return run


def inside_grad(lib: Any) -> Callable[[Callable[[], None]], Any]:
    """A run that pauses inside ``grad``'s function."""

    def run(pause: Callable[[], None]) -> Any:
        return lib.func.grad(lambda x: pause() or (x * x).sum())(lib.ones(3))

    return run


@pytest.mark.parametrize("lib", LIBRARIES)
@pytest.mark.parametrize("transform", [inside_vmap, inside_grad])
def test_another_threads_transform_leaves_this_threads_ops_alone(lib: Any, transform: Any) -> None:
    with paused_in_another_thread(transform(lib)):
        lib.manual_seed(0)
        drawn = lib.randn(3)  # vmap's randomness 'error' is the other thread's
        assert drawn.shape == (3,)
        values = (lib.ones(3) * 2).numpy()  # grad's wrappers are the other thread's
        assert values.tolist() == [2.0, 2.0, 2.0]
        leaf = lib.ones(2).requires_grad_()  # refused only inside a transform's function
        assert leaf.requires_grad
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        (x * x).sum().backward()
        assert x.grad.tolist() == [2.0, 4.0]


@pytest.mark.parametrize("lib", LIBRARIES)
def test_a_vmap_here_does_not_batch_at_another_threads_level(lib: Any) -> None:
    with paused_in_another_thread(inside_vmap(lib)):
        sums = lib.func.vmap(lambda row: row.sum())(lib.arange(6.0).reshape(3, 2))
        per_example = lib.func.vmap(lib.func.grad(lambda w, x: (w * x).sum()), in_dims=(None, 0))
        grads = per_example(lib.ones(2), lib.arange(4.0).reshape(2, 2))
    assert sums.tolist() == [1.0, 5.0, 9.0]
    assert grads.tolist() == [[0.0, 1.0], [2.0, 3.0]]


def test_another_threads_dual_level_leaves_this_threads_jvp_alone() -> None:
    """chainrule's forward-mode levels are per thread too. PyTorch's dual levels are one per
    process: there this jvp raises "Nested forward mode AD is not supported", and a
    ``make_dual`` here would use the other thread's level. Here it raises: no level is open in
    this thread."""

    def hold(pause: Callable[[], None]) -> None:
        with cfw.dual_level():
            cfw.make_dual(cr.ones(3), cr.ones(3))
            pause()

    with paused_in_another_thread(hold):
        _, tangent = cr.func.jvp(lambda x: x * x, (cr.tensor([1.0, 3.0]),), (cr.ones(2),))
        assert tangent.tolist() == [2.0, 6.0]
        assert cfw.unpack_dual(cr.ones(2)).tangent is None
        with pytest.raises(RuntimeError, match="must be called inside a forward AD level"):
            cfw.make_dual(cr.ones(2), cr.ones(2))
    assert open_transforms.here.dual == open_transforms.dual_anywhere == []


def transforms_of(seed: int) -> list[np.ndarray]:
    """jvp, vmap of grad, jacrev and hessian of one function at ``seed``'s random point."""
    rng = np.random.default_rng(seed)
    x, v = (cr.tensor(rng.standard_normal(5)) for _ in range(2))

    def f(x: cr.Tensor) -> cr.Tensor:
        return (x.sin() * x).exp().sum()

    results = [
        cr.func.jvp(f, (x,), (v,))[1],
        cr.func.vmap(cr.func.grad(f))(x.reshape(5, 1)),
        cr.func.jacrev(lambda x: x.sin() * x)(x),
        cr.func.hessian(f)(x),
    ]
    return [r.numpy().copy() for r in results]


def test_transforms_in_several_threads_at_once_give_each_threads_numbers() -> None:
    """Before, the threads saw each other's levels: 171 of 900 jvps raised "Cannot access data
    pointer of Tensor that doesn't have storage" (PyTorch's jvp raises here too: its dual
    level is one per process)."""
    seeds = range(12)
    alone = {seed: transforms_of(seed) for seed in seeds}
    found: dict[int, list[np.ndarray]] = {}

    def work(part: range) -> None:
        for seed in part:
            found[seed] = transforms_of(seed)

    run_together(work, *(seeds[i::3] for i in range(3)))
    for seed in seeds:
        for got, want in zip(found[seed], alone[seed], strict=True):
            np.testing.assert_array_equal(got, want)


def test_another_threads_vmap_leaves_this_threads_product_bits() -> None:
    """Under vmap a product runs on one BLAS thread, and OpenBLAS's thread count is one per
    process: before, this thread's products that ran meanwhile got one thread too, and other
    bits (2,809 of 3,000 products)."""
    assert _blas._THREADS is not None and _blas._THREADS[0]() > 1, "needs OpenBLAS's threads"
    rng = np.random.default_rng(0)
    a, w = (cr.tensor(rng.standard_normal(s).astype(np.float32)) for s in ((64, 1000), (1000, 128)))
    threaded = (a @ w).numpy().copy()
    serial = _blas._on_one_thread(np.matmul, a.numpy(), w.numpy())
    assert (serial != threaded).any(), "one thread must round otherwise for the test to tell"
    rows, w2 = cr.tensor(rng.standard_normal((256, 128)).astype(np.float32)), cr.ones(128, 128)
    stop = threading.Event()

    def vmap_products() -> None:
        while not stop.is_set():
            cr.func.vmap(lambda r: r @ w2)(rows)

    other = threading.Thread(target=vmap_products)
    other.start()
    try:
        differing = sum(bool(((a @ w).numpy() != threaded).any()) for _ in range(300))
    finally:
        stop.set()
        other.join()
    assert differing == 0


@pytest.mark.parametrize("lib", LIBRARIES)
def test_a_backward_ending_in_another_thread_leaves_this_passes_hooks(lib: Any) -> None:
    """This thread's pass is inside a hook when another thread's pass, begun before it, ends:
    before, that one took this pass off the one record of running passes, and this pass's
    multi-grad hook then counted another pass's hooks (it never fired)."""
    theirs_inside, theirs_go_on = threading.Event(), threading.Event()

    def theirs() -> None:
        y = lib.ones(2, requires_grad=True) * 2
        y.register_hook(lambda g: theirs_inside.set() or theirs_go_on.wait() and None)
        y.sum().backward()

    other = threading.Thread(target=theirs)
    other.start()
    theirs_inside.wait()
    x = lib.ones(2, requires_grad=True)
    p = x * 2
    q = p * 3
    fired: list[Any] = []

    def let_theirs_end(grad: Any) -> None:
        theirs_go_on.set()
        other.join()

    q.register_hook(let_theirs_end)  # q's gradient comes first: their pass ends here
    lib.autograd.graph.register_multi_grad_hook((p, q), lambda grads: fired.append(grads))
    q.sum().backward()
    assert len(fired) == 1
    assert [g.tolist() for g in fired[0]] == [[3.0, 3.0], [1.0, 1.0]]
