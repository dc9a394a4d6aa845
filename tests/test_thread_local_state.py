"""State that PyTorch keeps per thread is per thread here too, and shared state stays whole.

Another thread holds a block open (``saved_tensors_hooks``, ``disable_saved_tensors_hooks``,
``with device("meta")``) while this thread computes: each snippet runs in both libraries.
Before, these were process globals in chainrule: another thread's hooks packed this thread's
values (and this thread's backward ran their unpack hook), its ``disable_saved_tensors_hooks``
refused this thread's hooks, its ``device("meta")`` made this thread's tensors valueless.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
import torch
from thread_util import inside_in_another_thread, paused_in_another_thread, run_together

import chainrule as cr
from chainrule import _buffers, rng
from chainrule.autograd.profiler import FunctionEvent
from chainrule.jit import hooks as jit_hooks
from chainrule.op import Op

LIBRARIES = [pytest.param(torch, id="torch"), pytest.param(cr, id="chainrule")]


def hooks(lib: Any, seen: list[str], name: str, unpack: Callable[[Any], Any] = lambda t: t) -> Any:
    """A ``saved_tensors_hooks`` block whose pack hook notes ``name`` in ``seen``."""
    return lib.autograd.graph.saved_tensors_hooks(lambda t: seen.append(name) or t, unpack)


@pytest.mark.parametrize("lib", LIBRARIES)
def test_another_threads_saved_tensors_hooks_leave_this_threads_graph(lib: Any) -> None:
    seen: list[str] = []
    with inside_in_another_thread(lambda: hooks(lib, seen, "theirs", lambda t: t * 2)):
        a = lib.ones(2, requires_grad=True)
        (a * a).sum().backward()
    assert a.grad.tolist() == [2.0, 2.0]  # before: their unpack hook ran here, and raised
    assert seen == []


@pytest.mark.parametrize("lib", LIBRARIES)
def test_a_block_closed_here_leaves_another_threads_block_open(lib: Any) -> None:
    """This thread opens its block first and closes it while the other thread's is open: before,
    the close popped the other thread's hooks, and this thread's packed everyone's values."""
    seen: list[str] = []
    mine_open, theirs_open, mine_closed = (threading.Event() for _ in range(3))
    errors: list[BaseException] = []

    def theirs() -> None:
        try:
            mine_open.wait(10)
            with hooks(lib, seen, "theirs"):
                theirs_open.set()
                mine_closed.wait(10)
                x = lib.ones(2, requires_grad=True)
                (x * x).sum()  # their op, in their block
        except BaseException as error:  # handed to the test's thread
            errors.append(error)
            theirs_open.set()

    thread = threading.Thread(target=theirs)
    thread.start()
    with hooks(lib, seen, "mine"):
        mine_open.set()
        theirs_open.wait(10)
    x = lib.ones(2, requires_grad=True)
    (x * x).sum()  # my op, outside any block of mine
    mine_closed.set()
    thread.join()
    if errors:
        raise errors[0]
    assert seen == ["theirs", "theirs"]


@pytest.mark.parametrize("lib", LIBRARIES)
def test_another_threads_disable_saved_tensors_hooks_leaves_this_threads_hooks(lib: Any) -> None:
    disable = lib.autograd.graph.disable_saved_tensors_hooks
    seen: list[str] = []
    with (
        inside_in_another_thread(lambda: disable("disabled in the other thread")),
        hooks(lib, seen, "mine"),
    ):
        a = lib.ones(2, requires_grad=True)
        (a * a).sum().backward()
    assert a.grad.tolist() == [2.0, 2.0]
    assert seen == ["mine", "mine"]


@contextlib.contextmanager
def default_device(lib: Any, device: str) -> Iterator[None]:
    """``set_default_device(device)`` for the block, the CPU after."""
    lib.set_default_device(device)
    try:
        yield
    finally:
        lib.set_default_device("cpu")


@pytest.mark.parametrize("lib", LIBRARIES)
@pytest.mark.parametrize("how", ["with device", "set_default_device"])
def test_another_threads_default_device_leaves_this_threads_tensors_on_the_cpu(
    lib: Any, how: str
) -> None:
    block = (
        (lambda: lib.device("meta"))
        if how == "with device"
        else lambda: default_device(lib, "meta")
    )
    with inside_in_another_thread(block):
        zeros = lib.zeros(3)
        layer = lib.nn.Linear(2, 2)
        out = layer(lib.ones(1, 2))
        assert (str(zeros.device), zeros.is_meta) == ("cpu", False)
        assert out.shape == (1, 2) and not out.is_meta
        assert lib.get_default_device() == lib.device("cpu")


def test_another_threads_per_example_draw_leaves_this_threads_flag() -> None:
    """Under ``vmap(randomness="different")`` a draw is allowed only as one for every example
    (``rng.per_example``), which says so while it draws. The other thread is inside such a
    draw while this one makes its own whole: before, the flag was one per process, this
    thread's draw cleared it, and the other thread's draw was then refused ("cannot draw one
    value per example": 6 of 70,000 vmaps in two threads at once)."""

    def per_example_draw(pause: Callable[[], None]) -> None:
        def draw(shape: tuple[int, ...]) -> Any:
            pause()
            return rng.generator().random(shape)  # asks whether it is a per-example draw

        per_example = cr.func.vmap(
            lambda x: x + rng.per_example(draw, (2,)), randomness="different"
        )
        per_example(cr.zeros(3, 2))

    with paused_in_another_thread(per_example_draw):
        rows = cr.func.vmap(lambda x: x + cr.rand(2), randomness="different")(cr.zeros(3, 2))
    assert len({tuple(r) for r in rows.tolist()}) == 3


def test_the_buffer_cache_keeps_its_record_whole_under_two_threads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two threads take arrays from the cache for a second, the cache so small that it lets
    go of free arrays all the time. Its record must stay whole: every id in ``kept_ids`` an
    array it keeps (the backward pass discounts the cache's reference to such an id, so a
    stale one made a shared gradient look like its own, and it was written in place) and its
    byte count their size. Before, the threads' changes crossed: stale ids, a byte count
    off (6 of 6 runs), a KeyError from two releases at once."""
    _buffers.clear()
    monkeypatch.setattr(_buffers, "max_bytes", 3 * 256 * 1024)

    def take(seed: int) -> None:
        generator, held = np.random.default_rng(seed), []
        end = time.perf_counter() + 1.0
        while time.perf_counter() < end:
            shape = (256, 256 + 16 * int(generator.integers(0, 3)))
            held = [*held[-1:], _buffers.empty(shape, np.float32)]  # two in use at a time

    try:
        run_together(take, 0, 1)
    finally:
        kept = [array for arrays in _buffers._kept.values() for array in arrays]
        record = (set(_buffers.kept_ids), _buffers.kept_bytes())
        _buffers.clear()
    assert record == ({id(array) for array in kept}, sum(array.nbytes for array in kept))


def muls_recorded(prof: Any) -> int:
    return sum(event.name == "Mul" for event in prof.function_events)


def five_muls() -> None:
    x = cr.ones(3)
    for _ in range(5):
        x = x * 2


@pytest.mark.parametrize("mine_closes_first", [True, False])
def test_profiles_in_two_threads_closing_in_either_order_record_their_own_ops(
    mine_closes_first: bool,
) -> None:
    """Each profile wrapped the ops' calls and restored what it saw: two in two threads that
    closed in the other order took the later one's wrappers off (it recorded nothing) and
    left the earlier one's on for good. PyTorch crashes here, so chainrule alone."""
    calls = {cls: vars(cls)["__call__"] for cls in jit_hooks._with_own_call(Op)}
    theirs_open, mine_closed = threading.Event(), threading.Event()
    found: dict[str, int] = {}

    def theirs() -> None:
        with cr.autograd.profiler.profile() as prof:
            theirs_open.set()
            if mine_closes_first:
                mine_closed.wait(10)
            five_muls()
        found["theirs"] = muls_recorded(prof)

    with cr.autograd.profiler.profile() as mine:
        thread = threading.Thread(target=theirs)
        thread.start()
        theirs_open.wait(10)
        if not mine_closes_first:
            thread.join()
        five_muls()
    mine_closed.set()
    thread.join()
    assert (muls_recorded(mine), found["theirs"]) == (5, 5)
    assert all(vars(cls)["__call__"] is call for cls, call in calls.items())


@pytest.mark.parametrize("trace_first", [True, False])
def test_a_profile_and_a_compile_trace_in_two_threads_leave_the_ops_as_they_were(
    trace_first: bool,
) -> None:
    """A ``cr.compile`` trace wraps the ops' calls too. The trace and another thread's profile
    open in one order and close in the same one (not nested): the profile records its ops,
    the compiled function gives eager's value, and no wrapper stays on. Before, the trace's
    close took the profile's wrappers off (it recorded nothing), or the profile's wrappers
    stayed on every op class for good."""
    calls = {cls: vars(cls)["__call__"] for cls in jit_hooks._with_own_call(Op)}
    tracing, profile_open, trace_done, profile_closed = (threading.Event() for _ in range(4))
    found: dict[str, int] = {}

    def profiled() -> None:
        if trace_first:
            tracing.wait(10)
        with cr.autograd.profiler.profile() as prof:
            profile_open.set()
            (trace_done if trace_first else tracing).wait(10)
            five_muls()
        found["profile"] = muls_recorded(prof)
        profile_closed.set()

    def f(x: cr.Tensor) -> cr.Tensor:
        tracing.set()
        profile_open.wait(10)
        if not trace_first:
            profile_closed.wait(10)  # the profile closes while the trace runs
        return (x * 3).sum()

    thread = threading.Thread(target=profiled)
    thread.start()
    if not trace_first:
        profile_open.wait(10)
    value = cr.compile(f)(cr.ones(4))
    trace_done.set()
    thread.join()
    assert (value.item(), found["profile"]) == (12.0, 5)
    assert all(vars(cls)["__call__"] is call for cls, call in calls.items())


def test_a_chrome_trace_that_fails_to_write_leaves_the_old_file_whole(tmp_path: Any) -> None:
    path = tmp_path / "trace.json"
    with cr.autograd.profiler.profile() as prof:
        five_muls()
    prof.export_chrome_trace(str(path))
    before = path.read_bytes()
    prof.function_events.append(FunctionEvent(object(), 0.0, 1.0))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not JSON serializable"):
        prof.export_chrome_trace(str(path))
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["trace.json"]
