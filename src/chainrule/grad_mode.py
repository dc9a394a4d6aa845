"""Gradient recording switches: ``no_grad``, ``enable_grad``, ``set_grad_enabled`` and
``inference_mode``.

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
inference = False  # inside inference_mode(True): read by is_inference_mode_enabled only


def is_grad_enabled() -> bool:
    return enabled


def is_inference_mode_enabled() -> bool:
    """Whether an ``inference_mode()`` block (or decorated function) is running.

    >>> import chainrule as cr
    >>> with cr.inference_mode():
    ...     cr.is_inference_mode_enabled()
    True
    """
    return inference


class _Switch:
    """Sets gradient recording to ``mode`` inside a ``with`` block or a decorated function."""

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
            with _Switch(mode):
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class set_grad_enabled(_Switch):
    """Sets recording on or off: at once when called (``cr.set_grad_enabled(False)``), or
    until the end of a ``with`` block, or inside a decorated function (PyTorch's semantics).

        >>> import chainrule as cr
        >>> _ = cr.set_grad_enabled(False)
        >>> cr.is_grad_enabled()
        False
        >>> _ = cr.set_grad_enabled(True)
    """

    def __init__(self, mode: bool) -> None:
        global enabled
        super().__init__(mode)
        self.before = enabled
        enabled = mode

    def __enter__(self) -> None:
        # ``__init__`` already switched: leaving the outermost block restores what was before.
        global enabled
        self.previous.append(self.before if not self.previous else enabled)
        enabled = self.mode

    def __call__(self, fn: F) -> F:
        global enabled
        enabled = self.before  # as a decorator it only applies inside the function
        return super().__call__(fn)


class _FixedSwitch(_Switch):
    """A switch with a fixed mode, usable as ``@switch()`` or bare ``@switch``."""

    def __new__(cls, fn: F | None = None) -> Any:
        # Used bare as a decorator, the class receives the function itself.
        return super().__new__(cls) if fn is None else cls()(fn)


class no_grad(_FixedSwitch):
    """Ops inside record no graph: ``with cr.no_grad():``, ``@cr.no_grad()`` or ``@cr.no_grad``."""

    def __init__(self) -> None:
        super().__init__(False)


class enable_grad(_FixedSwitch):
    """Turns recording back on inside a ``no_grad`` block (also a decorator)."""

    def __init__(self) -> None:
        super().__init__(True)


class inference_mode(_Switch):
    """PyTorch's ``inference_mode`` as far as values and gradients go: with ``mode`` true, no
    graph is recorded, as under ``no_grad``; with ``mode`` false, recording is on, as PyTorch's
    ``InferenceMode(false)`` turns its grad mode on. A context manager, ``@cr.inference_mode()``
    or bare ``@cr.inference_mode``. chainrule has no separate inference tensors: PyTorch refuses
    to record a graph through the tensors made inside later, chainrule takes them in as
    constants.

        >>> import chainrule as cr
        >>> x = cr.ones(2, requires_grad=True)
        >>> with cr.inference_mode():
        ...     y = x * 2
        >>> y.requires_grad
        False
    """

    def __new__(cls, mode: bool | Callable[..., Any] = True) -> Any:
        if callable(mode):  # bare ``@inference_mode``: the class receives the function
            return cls()(mode)
        return super().__new__(cls)

    def __init__(self, mode: bool = True) -> None:
        super().__init__(not mode)
        self.inference = bool(mode)
        self.previous_inference: list[bool] = []

    def __enter__(self) -> None:
        global inference
        super().__enter__()
        self.previous_inference.append(inference)
        inference = self.inference

    def __exit__(self, *exc: object) -> None:
        global inference
        inference = self.previous_inference.pop()
        super().__exit__(*exc)

    def __call__(self, fn: F) -> F:
        mode = self.inference

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with inference_mode(mode):
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]
