"""Anomaly mode: the first NaN or Inf in forward or backward stops with the op and the user's line.

With anomaly mode on, every recorded node keeps the stack of the code that created it (the
"forward traceback" PyTorch prints), every recorded op that turns finite inputs into NaN/Inf
stops there, and so does every rule that returns a NaN/Inf gradient during backward. The
error names the op and shows the user's lines that called it; the library's own frames are
left out. Off (the default), the engine pays one flag check per op.

    >>> import chainrule as cr
    >>> x = cr.tensor(0.0, requires_grad=True)
    >>> with cr.autograd.detect_anomaly():
    ...     y = cr.sqrt(x)
    ...     try:
    ...         y.backward()
    ...     except RuntimeError as error:
    ...         print(str(error).splitlines()[0])
    Function 'SqrtBackward0' returned inf values in its 0th output.
"""

from __future__ import annotations

import functools
import os
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

from chainrule._array import xp

F = TypeVar("F", bound=Callable[..., Any])

# Read by Op.__call__ and the backward pass: the only cost of anomaly mode when it is off.
enabled = False
check_nan = True

# Frames from files under this directory are the library's, not the user's.
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def is_anomaly_enabled() -> bool:
    return enabled


def is_anomaly_check_nan_enabled() -> bool:
    return check_nan


class set_detect_anomaly:  # noqa: N801 - PyTorch's name
    """Turn anomaly mode on or off from here on, or only inside a ``with`` block.

    >>> import chainrule as cr
    >>> with cr.autograd.set_detect_anomaly(True):
    ...     cr.autograd.is_anomaly_enabled()
    True
    >>> cr.autograd.is_anomaly_enabled()
    False
    """

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.previous = (enabled, globals()["check_nan"])
        _set(mode, check_nan)

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        _set(*self.previous)


class detect_anomaly:  # noqa: N801 - PyTorch's name
    """Anomaly mode on inside a ``with`` block or a decorated function.

    >>> import chainrule as cr
    >>> @cr.autograd.detect_anomaly()
    ... def f(x):
    ...     return cr.log(x) * 0
    >>> try:
    ...     f(cr.tensor(0.0, requires_grad=True))
    ... except RuntimeError as error:
    ...     print(str(error).splitlines()[0])
    Function 'LogBackward0' returned -inf values in its forward output.
    """

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan
        self.previous: list[tuple[bool, bool]] = []

    def __enter__(self) -> None:
        self.previous.append((enabled, check_nan))
        _set(True, self.check_nan)

    def __exit__(self, *exc: object) -> None:
        _set(*self.previous.pop())

    def __call__(self, fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self:
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


def _set(mode: bool, nan: bool) -> None:
    global enabled, check_nan
    enabled, check_nan = bool(mode), bool(nan)


# ------------------------------------------------------------------ called by the engine
def on_forward(node: Any, out: Any, args: tuple[Any, ...], recorded: bool) -> None:
    """Op.__call__ with anomaly mode on: for a recorded node, keep the creation stack and stop
    if the op *produced* a NaN/Inf, i.e. from finite inputs. Values already infinite on the way
    in (a mask filled with -inf, say) are no anomaly of this op, and unrecorded ops (constants,
    ``no_grad`` code) are none of autograd's business."""
    if not recorded:
        return
    stack = _user_stack()
    node.anomaly_stack = stack
    if not check_nan:
        return
    bad = _non_finite(out)
    if bad is not None and all(_non_finite(a) is None for a in args if _is_number(a)):
        raise RuntimeError(
            f"Function '{node.name()}' returned {bad} values in its forward output.\n"
            + _describe(stack)
        )


def _is_number(value: Any) -> bool:
    return isinstance(value, xp.ndarray | float | xp.floating)


def on_backward(node: Any, grads: tuple[Any, ...]) -> None:
    """The backward pass with anomaly mode on: check what the node's rule returned."""
    if not check_nan:
        return
    for i, g in enumerate(grads):
        if g is None:
            continue
        bad = _non_finite(getattr(g, "_data", g))
        if bad is not None:
            stack = getattr(node, "anomaly_stack", None)
            raise RuntimeError(
                f"Function '{node.name()}' returned {bad} values in its {i}th output.\n"
                + _describe(stack)
            )


def _non_finite(array: Any) -> str | None:
    """'nan', 'inf' or '-inf' for the first kind present in a float array, else None."""
    array = xp.asarray(array)
    if array.dtype.kind not in "fc" or xp.isfinite(array).all():
        return None
    if xp.isnan(array).any():
        return "nan"
    return "inf" if (array == xp.inf).any() else "-inf"


def _user_stack() -> traceback.StackSummary:
    """The current stack without chainrule's own frames (or pytest's and doctest's runners'
    beyond the user's code, which they still show: only the library is left out)."""
    frames = [f for f in traceback.extract_stack()[:-1] if not f.filename.startswith(_PACKAGE)]
    return traceback.StackSummary.from_list(frames)


def _describe(stack: traceback.StackSummary | None) -> str:
    if stack is None:
        return (
            "No forward traceback: the node was created before anomaly mode was turned on. "
            "Run the forward pass inside detect_anomaly() too."
        )
    return "Traceback of forward call that caused the error:\n" + "".join(stack.format()).rstrip()
