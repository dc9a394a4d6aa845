"""``cr.profiler``: PyTorch's ``torch.profiler`` names over :mod:`chainrule.autograd.profiler`.

>>> import chainrule as cr
>>> with cr.profiler.profile(activities=[cr.profiler.ProfilerActivity.CPU]) as prof:
...     _ = cr.ones(2).exp()
>>> [(e.key, e.count) for e in prof.key_averages()]
[('Exp', 1)]
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from typing import Any

from chainrule.autograd import profiler as autograd_profiler
from chainrule.autograd.profiler import record_function

__all__ = [
    "ProfilerAction",
    "ProfilerActivity",
    "kineto_available",
    "profile",
    "record_function",
    "schedule",
    "supported_activities",
]


class ProfilerActivity(enum.Enum):
    CPU = "CPU"
    CUDA = "CUDA"
    XPU = "XPU"
    MTIA = "MTIA"


class profile(autograd_profiler.profile):  # noqa: N801 - PyTorch's name
    """``torch.profiler.profile``: records chainrule's ops on the CPU (a ``CUDA`` activity
    has nothing to record here). ``schedule`` and ``on_trace_ready`` are accepted; ``step()``
    counts steps and calls ``on_trace_ready`` when the block ends."""

    def __init__(
        self,
        *,
        activities: Iterable[ProfilerActivity] | None = None,
        schedule: Callable[[int], Any] | None = None,
        on_trace_ready: Callable[[Any], Any] | None = None,
        **options: Any,
    ) -> None:
        super().__init__(enabled=True, **options)
        self.activities = set(activities or [ProfilerActivity.CPU])
        self.on_trace_ready = on_trace_ready
        self.step_num = 0

    def start(self) -> None:
        self.__enter__()

    def stop(self) -> None:
        self.__exit__(None, None, None)

    def step(self) -> None:
        self.step_num += 1

    def __exit__(self, *exc: Any) -> None:
        super().__exit__(*exc)
        if self.on_trace_ready is not None:
            self.on_trace_ready(self)


class ProfilerAction(enum.Enum):
    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3


def supported_activities() -> set[ProfilerActivity]:
    """What can be recorded here: the CPU only."""
    return {ProfilerActivity.CPU}


def kineto_available() -> bool:
    return False  # PyTorch's Kineto tracer: chainrule records with its own wrappers


def schedule(
    *, wait: int, warmup: int, active: int, repeat: int = 0, skip_first: int = 0, **kwargs: Any
) -> Callable[[int], ProfilerAction]:
    """PyTorch's schedule object (accepted; chainrule records every step)."""
    return lambda step: ProfilerAction.RECORD
