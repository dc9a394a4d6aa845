"""The grad and inference modes belong to the thread that sets them, as PyTorch's do.

Each snippet runs in both libraries. Another thread opens a block (``no_grad``,
``inference_mode``) and waits inside it while this thread computes; or this thread is inside
one while a new thread starts. Before, the modes were process globals: another thread's
``no_grad`` cut this thread's graph, and its gradients were silently lost.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
import torch
from thread_util import inside_in_another_thread

import chainrule as cr

LIBRARIES = [pytest.param(torch, id="torch"), pytest.param(cr, id="chainrule")]


@pytest.mark.parametrize("lib", LIBRARIES)
def test_another_threads_no_grad_leaves_this_threads_graph_whole(lib: Any) -> None:
    a, b, c, d = (lib.tensor([float(v)], requires_grad=True) for v in (2, 3, 5, 7))
    p = a * b
    with inside_in_another_thread(lib.no_grad):
        q = c * d  # recorded: the no_grad block is the other thread's
        assert lib.is_grad_enabled() and q.requires_grad
    (p + q).sum().backward()
    assert [t.grad.item() for t in (a, b, c, d)] == [3.0, 2.0, 7.0, 5.0]


@pytest.mark.parametrize("lib", LIBRARIES)
def test_another_threads_inference_mode_makes_no_inference_tensor_here(lib: Any) -> None:
    x = lib.ones(2, requires_grad=True)
    with inside_in_another_thread(lib.inference_mode):
        y = x * 2
        assert not lib.is_inference_mode_enabled()
    assert not y.is_inference() and y.requires_grad


@pytest.mark.parametrize("lib", LIBRARIES)
def test_a_new_thread_starts_recording_whatever_this_thread_does(lib: Any) -> None:
    seen: dict[str, Any] = {}

    def run() -> None:
        x = lib.ones(2, requires_grad=True)
        seen["enabled"], seen["recorded"] = lib.is_grad_enabled(), (x * 2).requires_grad

    with lib.no_grad():
        thread = threading.Thread(target=run)
        thread.start()
        thread.join()
        assert not lib.is_grad_enabled()
    assert seen == {"enabled": True, "recorded": True}


def test_one_switch_open_in_two_threads_restores_each_threads_mode() -> None:
    """The optimizers step under one shared no_grad switch: the modes it restores are kept
    per thread, so two threads leaving it in the other order each get their own back."""
    switch = cr.no_grad()
    second_inside, first_left = threading.Event(), threading.Event()
    after: dict[str, bool] = {}

    def second() -> None:
        cr.set_grad_enabled(False)  # this thread's mode before the switch: off
        with switch:
            second_inside.set()
            first_left.wait()
        after["second"] = cr.is_grad_enabled()

    thread = threading.Thread(target=second)
    with switch:
        thread.start()
        second_inside.wait()
    after["first"] = cr.is_grad_enabled()
    first_left.set()
    thread.join()
    assert after == {"first": True, "second": False}
