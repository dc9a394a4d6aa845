"""Gradient buffers written in place, and the cache of large temporaries, never change a number.

The backward pass lets relu mask its incoming gradient in place when the pass holds the only
reference to it (``autodiff/backward.py``); :mod:`chainrule._buffers` hands a large array out
again once nothing refers to it. Each aliasing case below (a gradient with two consumers, a
hook that keeps it, ``retain_grad``, ``autograd.grad`` of the relu's output, ``create_graph``,
a caller's ``gradient=``) runs the same code on chainrule and on PyTorch, in float64, and
compares every value and gradient; with the ownership test defeated, the cases that share a
gradient come out wrong, which shows that they exercise it.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import _buffers
from chainrule.autodiff import backward as engine
from chainrule.ops.elementwise import Relu

INF, NAN = float("inf"), float("nan")


def _inputs(lib: Any, *shapes: tuple[int, ...]) -> list[Any]:
    """The same float64 values for both libraries, as leaves that require grad."""
    rng = np.random.default_rng(len(shapes))
    return [
        lib.tensor(rng.standard_normal(shape), dtype=lib.float64, requires_grad=True)
        for shape in shapes
    ]


def _grads(*tensors: Any) -> list[Any]:
    return [t.grad for t in tensors]


# Each case returns the tensors to compare; the gradient reaching relu is fresh from a matrix
# product, so only the sharing in the case keeps it from being masked in place.
def relu_after_linear(lib: Any) -> list[Any]:
    x, w1, w2 = _inputs(lib, (5, 4), (4, 6), (6, 3))
    (lib.relu(x @ w1) @ w2).square().sum().backward()
    return _grads(x, w1, w2)


def relu_at_zero_nan_and_inf(lib: Any) -> list[Any]:
    # the gradient passes at nan and inf and stops at 0 and -0 (the sum keeps it finite)
    (w,) = _inputs(lib, (6, 3))
    values = [[0.0, -0.0, NAN, INF, -INF, 1.0], [-1.0, 2.0, NAN, 0.0, 3.0, -2.0]]
    x = lib.tensor(values, dtype=lib.float64, requires_grad=True)
    (lib.relu(x) @ w).sum().backward()
    return _grads(x, w)


def gradient_shared_by_two_relus(lib: Any) -> list[Any]:
    x, w1, w2 = _inputs(lib, (5, 4), (4, 6), (6, 3))
    h = x @ w1
    ((lib.relu(h) + lib.relu(-h)) @ w2).square().sum().backward()  # add gives both the same g
    return _grads(x, w1, w2)


def gradient_shared_by_a_leaf_and_a_relu(lib: Any) -> list[Any]:
    x, w = _inputs(lib, (5, 6), (6, 3))
    ((x + lib.relu(x)) @ w).square().sum().backward()
    return _grads(x, w)


def hook_keeps_the_gradient(lib: Any) -> list[Any]:
    x, w1, w2 = _inputs(lib, (5, 4), (4, 6), (6, 3))
    r = lib.relu(x @ w1)
    kept: list[Any] = []
    r.register_hook(kept.append)
    (r @ w2).square().sum().backward()
    return [*kept, *_grads(x, w1, w2)]


def retain_grad_of_the_relu_output(lib: Any) -> list[Any]:
    x, w1, w2 = _inputs(lib, (5, 4), (4, 6), (6, 3))
    h = x @ w1
    r = lib.relu(h)
    r.retain_grad()
    h.retain_grad()
    (r @ w2).square().sum().backward()
    return [r.grad, h.grad, *_grads(x, w1, w2)]


def autograd_grad_of_relu_output_and_input(lib: Any) -> list[Any]:
    x, w1, w2 = _inputs(lib, (5, 4), (4, 6), (6, 3))
    h = x @ w1
    r = lib.relu(h)
    return list(lib.autograd.grad((r @ w2).square().sum(), [r, h, w1]))


def create_graph_through_relu(lib: Any) -> list[Any]:
    x, w1, w2 = _inputs(lib, (5, 4), (4, 6), (6, 3))
    (gw1,) = lib.autograd.grad((lib.relu(x @ w1) @ w2).square().sum(), [w1], create_graph=True)
    (gw1 * gw1).sum().backward()
    return [gw1, *_grads(x, w1, w2)]


def callers_gradient_argument(lib: Any) -> list[Any]:
    x, w1 = _inputs(lib, (5, 4), (4, 6))
    given = lib.tensor(np.linspace(-1, 1, 30).reshape(5, 6), dtype=lib.float64)
    lib.relu(x @ w1).backward(given)
    return [given, *_grads(x, w1)]


def gradient_used_twice_after_relu(lib: Any) -> list[Any]:
    x, w1, w2, w3 = _inputs(lib, (5, 4), (4, 6), (6, 3), (6, 2))
    r = lib.relu(x @ w1)
    ((r @ w2).square().sum() + (r @ w3).exp().sum()).backward()  # r's gradient is a sum
    return _grads(x, w1, w2, w3)


CASES: dict[str, Callable[[Any], list[Any]]] = {
    f.__name__: f
    for f in (
        relu_after_linear,
        relu_at_zero_nan_and_inf,
        gradient_shared_by_two_relus,
        gradient_shared_by_a_leaf_and_a_relu,
        hook_keeps_the_gradient,
        retain_grad_of_the_relu_output,
        autograd_grad_of_relu_output_and_input,
        create_graph_through_relu,
        callers_gradient_argument,
        gradient_used_twice_after_relu,
    )
}
# The cases where a gradient reaching relu is also held elsewhere: masking it in place there
# would change a number the case compares.
SHARED = (
    "gradient_shared_by_two_relus",
    "gradient_shared_by_a_leaf_and_a_relu",
    "hook_keeps_the_gradient",
    "autograd_grad_of_relu_output_and_input",
    "callers_gradient_argument",
)


def _numpy(values: list[Any]) -> list[np.ndarray]:
    return [np.array(v.detach().numpy()) for v in values]


def _matches_torch(name: str) -> bool:
    ours, theirs = _numpy(CASES[name](cr)), _numpy(CASES[name](torch))
    return len(ours) == len(theirs) and all(
        a.shape == b.shape and np.allclose(a, b, rtol=1e-12, atol=1e-12)
        for a, b in zip(ours, theirs, strict=True)
    )


@pytest.fixture(params=[True, False], ids=["cache_on", "cache_off"])
def buffer_cache(request: pytest.FixtureRequest) -> Iterator[bool]:
    enabled = _buffers.is_enabled()
    _buffers.set_enabled(request.param)
    yield request.param
    _buffers.set_enabled(enabled)


@pytest.mark.parametrize("name", CASES)
def test_in_place_gradients_give_pytorchs_numbers(name: str, buffer_cache: bool) -> None:
    ours, theirs = _numpy(CASES[name](cr)), _numpy(CASES[name](torch))
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", SHARED)
def test_without_the_ownership_test_the_shared_cases_go_wrong(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cases above can fail: a pass that took every gradient as its own breaks them."""
    monkeypatch.setattr(engine, "_getrefcount", lambda g: engine._SOLE)
    assert not _matches_torch(name)


def _count_in_place(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls = [0]
    rule = Relu.vjp_inplace

    def counted(self: Relu, *args: Any) -> Any:
        calls[0] += 1
        return rule(self, *args)

    monkeypatch.setattr(Relu, "vjp_inplace", counted)
    return calls


@pytest.mark.parametrize("case", [relu_after_linear, relu_at_zero_nan_and_inf])
@pytest.mark.parametrize("cache", [True, False], ids=["cache_on", "cache_off"])
def test_relu_masks_a_gradient_only_the_pass_holds_in_place(
    case: Callable[[Any], list[Any]], cache: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_buffers, "_enabled", cache)
    calls = _count_in_place(monkeypatch)
    case(cr)
    assert calls == [1]


@pytest.mark.parametrize("name", SHARED)
def test_relu_leaves_a_shared_gradient_alone(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _count_in_place(monkeypatch)
    CASES[name](cr)
    # Of two relus given the same gradient, the second may take it: the first is done with it.
    assert calls == [1 if name == "gradient_shared_by_two_relus" else 0]


def test_an_observer_sees_the_gradient_relu_received() -> None:
    x, w = _inputs(cr, (3, 4), (4, 5))
    r = cr.relu(x @ w)
    seen: list[np.ndarray] = []
    loss = (r @ cr.ones(5, 2, dtype=cr.float64)).sum()

    def observer(node: Any, g: Any, grads: tuple[Any, ...]) -> None:
        if isinstance(node, Relu):
            seen.append(g.copy())
            seen.append(g)  # the array itself: it must not change after the rule ran

    engine.run_backward([loss], [None], None, False, observer=observer)
    np.testing.assert_array_equal(seen[0], seen[1])
    np.testing.assert_array_equal(seen[0], np.full((3, 5), 2.0))


# ----------------------------------------------------------------------------- the cache


def test_a_free_array_is_handed_out_again() -> None:
    a = _buffers.empty((128, 256), np.float32)
    address = a.ctypes.data
    del a
    assert _buffers.empty((128, 256), np.float32).ctypes.data == address


def test_an_array_in_use_is_never_handed_out() -> None:
    held = _buffers.empty((128, 256), np.float32)
    view = _buffers.empty((128, 256), np.float32)[::2]  # a view holds its base
    other = _buffers.empty((128, 256), np.float32)
    addresses = {held.ctypes.data, view.base.ctypes.data, other.ctypes.data}
    assert len(addresses) == 3


def test_small_arrays_and_a_disabled_cache_are_plain_arrays() -> None:
    small = _buffers.empty((4, 4), np.float32)
    assert id(small) not in _buffers.kept_ids
    enabled = _buffers.is_enabled()
    try:
        _buffers.set_enabled(False)
        assert _buffers.kept_bytes() == 0
        big = _buffers.empty((256, 256), np.float32)
        assert id(big) not in _buffers.kept_ids and _buffers.kept_bytes() == 0
    finally:
        _buffers.set_enabled(enabled)


def test_the_cache_keeps_no_more_than_its_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    _buffers.clear()
    size = 256 * 256 * 4
    monkeypatch.setattr(_buffers, "max_bytes", 3 * size)
    held = [_buffers.empty((256, 256), np.float32) for _ in range(5)]  # all in use
    assert _buffers.kept_bytes() == 3 * size
    del held
    _buffers.empty((512, 256), np.float32)  # new shape: the unused ones make room for it
    assert _buffers.kept_bytes() == 2 * size
    _buffers.clear()


def test_products_of_a_training_step_reuse_the_previous_steps_memory() -> None:
    _buffers.clear()
    x, w = cr.randn(256, 64), cr.randn(128, 64, requires_grad=True)
    addresses, taken = [], []
    for _ in range(3):
        product = cr.nn.functional.linear(x, w)  # 256 x 128 float32: 128 KiB, cached
        addresses.append(product.data_ptr())
        cr.relu(product).sum().backward()
        w.grad = product = None  # now only the cache holds the product's memory
        # Memory of that size that malloc alone would hand back first: without the cache the
        # next product could not land on the freed block.
        taken.append(np.empty((256, 128), np.float32))
    assert addresses[0] == addresses[1] == addresses[2]


def _mlp_step() -> Callable[[], float]:
    """One SGD step of a 64-128-128-10 MLP at batch 128 (products of 64 KiB: cached)."""
    cr.manual_seed(0)
    model = cr.nn.Sequential(
        cr.nn.Linear(64, 128), cr.nn.ReLU(), cr.nn.Linear(128, 128), cr.nn.ReLU(),
        cr.nn.Linear(128, 10),
    )  # fmt: skip
    opt = cr.optim.SGD(model.parameters(), lr=0.01)
    x, y = cr.randn(128, 64), cr.randint(0, 10, (128,))

    def step() -> float:
        loss = cr.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        opt.zero_grad()
        return loss.item()

    return step


def test_peak_memory_of_training_steps_does_not_grow(buffer_cache: bool) -> None:
    _buffers.clear()
    step = _mlp_step()
    # Warm-up, untraced: NumPy's cache of small shape blocks and Python's free lists fill
    # once, over the first ~200 steps (measured), as in test_memory_and_depth.
    for _ in range(300):
        step()
    tracemalloc.start()
    try:
        for n in range(1, 1001):
            step()
            if n == 10:
                _, peak_10 = tracemalloc.get_traced_memory()
        _, peak_1000 = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (_buffers.kept_bytes() > 0) == buffer_cache  # the products went through the cache
    # A step's arrays weigh ~0.5 MB; keeping even 20 bytes a step would exceed the slack.
    assert peak_1000 <= peak_10 + 16 * 1024


def test_the_cache_changes_no_loss() -> None:
    enabled = _buffers.is_enabled()
    try:
        _buffers.set_enabled(True)
        step = _mlp_step()
        on = [step() for _ in range(20)]
        _buffers.set_enabled(False)
        step = _mlp_step()
        off = [step() for _ in range(20)]
    finally:
        _buffers.set_enabled(enabled)
    assert on == off
