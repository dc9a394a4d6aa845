"""Run something in another thread and hold it at a chosen point while this thread works."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def paused_in_another_thread(run: Callable[[Callable[[], None]], Any]) -> Iterator[None]:
    """Another thread calls ``run(pause)``; where ``run`` calls ``pause()``, it waits while the
    ``with`` body runs here, then goes on. An error in the other thread is raised here, after
    the body, and so is a ``run`` that never paused."""
    paused, go_on = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def pause() -> None:
        paused.set()
        go_on.wait()

    def target() -> None:
        try:
            run(pause)
        except BaseException as error:  # handed to the test's thread
            errors.append(error)
        finally:
            paused.set()  # (if run raised before it paused)

    thread = threading.Thread(target=target)
    thread.start()
    paused.wait()
    try:
        if errors:
            raise errors[0]
        yield
    finally:
        go_on.set()
        thread.join()
    if errors:
        raise errors[0]


@contextmanager
def inside_in_another_thread(block: Callable[[], Any]) -> Iterator[None]:
    """Another thread holds ``block()`` open while the ``with`` body runs here."""

    def hold(pause: Callable[[], None]) -> None:
        with block():
            pause()

    with paused_in_another_thread(hold):
        yield


def run_together(work: Callable[..., Any], *arguments: Any) -> None:
    """``work(argument)`` for each argument, each in a thread of its own, all at once, with
    Python switching threads every microsecond (not every 5 ms) to provoke interleavings. The
    first error in any thread is raised here, after all of them end."""
    errors: list[BaseException] = []

    def target(argument: Any) -> None:
        try:
            work(argument)
        except BaseException as error:  # handed to the test's thread
            errors.append(error)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=target, args=(a,)) for a in arguments]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    if errors:
        raise errors[0]
