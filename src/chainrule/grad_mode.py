"""Gradient recording switches: ``no_grad``, ``enable_grad`` and ``set_grad_enabled``.

The flag is a module global read on every op, so it is kept as cheap as an attribute lookup.

    >>> import chainrule as cr
    >>> x = cr.ones(2, requires_grad=True)
    >>> with cr.no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

enabled = True


def is_grad_enabled() -> bool:
    return enabled


class set_grad_enabled:
    """Context manager (and decorator) that sets gradient recording on or off."""

    def __init__(self, mode: bool) -> None:
        self.mode = mode
        self.previous: list[bool] = []

    def __enter__(self) -> None:
        global enabled
        self.previous.append(enabled)
        enabled = self.mode

    def __exit__(self, *exc: object) -> None:
        global enabled
        enabled = self.previous.pop()

    def __call__(self, fn: F) -> F:
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class no_grad(set_grad_enabled):
    """Ops inside record no graph: ``with cr.no_grad(): ...`` or ``@cr.no_grad()``."""

    def __init__(self) -> None:
        super().__init__(False)


class enable_grad(set_grad_enabled):
    """Turns recording back on inside a ``no_grad`` block."""

    def __init__(self) -> None:
        super().__init__(True)
