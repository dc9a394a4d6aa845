"""``chainrule.random``, laid out like ``torch.random``: the global generator's functions (the
same objects as ``chainrule.manual_seed`` and the others) and :func:`fork_rng`.

chainrule's modules import Python's own ``random`` by absolute import, so this module shadows
it for none of them.

>>> import chainrule as cr
>>> _ = cr.random.manual_seed(0)
>>> with cr.random.fork_rng():
...     inside = cr.rand(2)
>>> bool((cr.rand(2) == inside).all())
True
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import Any

from chainrule import devices as _devices
from chainrule.rng import (
    Generator,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)

__all__ = [
    "Generator",
    "default_generator",
    "fork_rng",
    "get_rng_state",
    "initial_seed",
    "manual_seed",
    "seed",
    "set_rng_state",
]


@contextlib.contextmanager
def fork_rng(
    devices: Iterable[Any] | None = None, enabled: bool = True, device_type: str | None = None
) -> Iterator[None]:
    """Draws inside the block leave the global generator as it was before it (its state is
    restored on the way out, an exception included); ``enabled=False`` forks nothing.

    chainrule has only the CPU generator: naming accelerator ``devices`` fails as on PyTorch's
    CPU builds. Usable as a decorator too.
    """
    if not enabled:
        yield
        return
    if devices is not None and list(devices):
        _devices.check(device_type or "cuda")
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)
