"""Gradient recording switches: ``no_grad``, ``enable_grad``, ``set_grad_enabled`` and
``inference_mode``.

The modes are the calling thread's, as PyTorch's are: a ``no_grad`` block in one thread leaves
the ops of another recorded (a graph cut there would silently lose that thread's gradients),
and a new thread starts with recording on. They are read on every op that may record, from
:data:`modes` (a ``threading.local``: ~30 ns more than a module global).

    >>> import chainrule as cr
    >>> x = cr.ones(2, requires_grad=True)
    >>> with cr.no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from chainrule._lazy import import_later

F = TypeVar("F", bound=Callable[..., Any])


class _Modes(threading.local):
    """The calling thread's modes (class attributes: a new thread's are the defaults)."""

    #: Whether ops record a graph: the grad mode is on and inference mode off.
    enabled = True
    #: The grad mode itself (``is_grad_enabled``): ``enable_grad`` inside ``inference_mode``
    #: turns it on, as PyTorch's does, yet nothing is recorded there.
    grad = True
    #: Inside inference_mode(True): tensors made are inference tensors (chainrule.tensor's
    #: InferenceCounter); forward mode is off (chainrule.autodiff.forward).
    inference = False

    def __init__(self) -> None:
        #: The (grad, inference) modes that the open switches restore, innermost last.
        self.previous: list[tuple[bool, bool]] = []


modes = _Modes()

#: Whether any thread has entered inference mode: until then no tensor made is an inference
#: tensor, told by this global without asking the thread.
inference_seen = False


def _set(grad_mode: bool, inference_mode: bool) -> None:
    """Both modes at once, in the calling thread."""
    m = modes
    m.grad, m.inference = grad_mode, inference_mode
    m.enabled = grad_mode and not inference_mode


def is_grad_enabled() -> bool:
    return modes.grad


def is_inference_mode_enabled() -> bool:
    """Whether an ``inference_mode()`` block (or decorated function) is running.

    >>> import chainrule as cr
    >>> with cr.inference_mode():
    ...     cr.is_inference_mode_enabled()
    True
    """
    return modes.inference


class _Switch:
    """Sets the grad mode to ``mode`` inside a ``with`` block or a decorated function, in the
    calling thread (the modes to restore are kept per thread: one switch object may be open
    in several threads, as the optimizers' step switch)."""

    def __init__(self, mode: bool) -> None:
        self.mode = mode

    def __enter__(self) -> None:
        m = modes
        m.previous.append((m.grad, m.inference))
        m.grad = self.mode
        m.enabled = self.mode and not m.inference

    def __exit__(self, *exc: object) -> None:
        m = modes  # (_set inline: the backward and the optimizers' step leave a switch)
        m.grad, m.inference = m.previous.pop()
        m.enabled = m.grad and not m.inference

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
        super().__init__(mode)
        m = modes
        self.before = m.grad
        m.grad = mode
        m.enabled = mode and not m.inference

    def __enter__(self) -> None:
        # ``__init__`` already switched: leaving the block restores what was before it, as
        # PyTorch's (which restores the mode of its construction at every exit)
        m = modes
        m.previous.append((self.before, m.inference))
        m.grad = self.mode
        m.enabled = self.mode and not m.inference

    def __call__(self, fn: F) -> F:
        _set(self.before, modes.inference)  # as a decorator it only applies inside the function
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
    """PyTorch's ``inference_mode``: with ``mode`` true, no graph is recorded, as under
    ``no_grad`` (also where ``enable_grad`` turns the grad mode back on inside), and the
    tensors made are inference tensors (``t.is_inference()``; a view of a normal tensor stays
    normal), which PyTorch's rules keep out of graphs recorded later: one that a recorded op
    would save for backward, an in-place change outside inference mode and
    ``requires_grad_()`` there are refused. With ``mode`` false, inference mode is off and
    recording on, as PyTorch's ``InferenceMode(false)`` turns its grad mode on. A context
    manager, ``@cr.inference_mode()`` or bare ``@cr.inference_mode``.

        >>> import chainrule as cr
        >>> x = cr.ones(2, requires_grad=True)
        >>> with cr.inference_mode():
        ...     y = x * 2
        >>> y.requires_grad, y.is_inference()
        (False, True)
    """

    def __new__(cls, mode: bool | Callable[..., Any] = True) -> Any:
        if callable(mode):  # bare ``@inference_mode``: the class receives the function
            return cls()(mode)
        return super().__new__(cls)

    def __init__(self, mode: bool = True) -> None:
        super().__init__(not mode)
        self.inference = bool(mode)

    def __enter__(self) -> None:
        global inference_seen
        if self.inference and not inference_seen:
            inference_seen = True
            _op.repack()  # recorded ops look for inference tensors from now on
        m = modes
        m.previous.append((m.grad, m.inference))
        _set(self.mode, self.inference)

    def __call__(self, fn: F) -> F:
        mode = self.inference

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with inference_mode(mode):
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


# The op module imports this one: bound on first use (see chainrule._lazy).
_op = import_later(globals(), "chainrule.op")
