"""``cr.autograd.forward_ad``: forward-mode AD with dual tensors, PyTorch's API.

>>> import chainrule as cr
>>> import chainrule.autograd.forward_ad as fwAD
>>> with fwAD.dual_level():
...     x = fwAD.make_dual(cr.tensor([0.0, 1.0]), cr.tensor([1.0, 1.0]))
...     fwAD.unpack_dual(x.exp()).tangent
tensor([1.0000, 2.7183])
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from chainrule.autodiff import forward
from chainrule.autodiff.forward import (
    Level,
    UnpackedDualTensor,
    make_dual,
    unpack_dual,
)
from chainrule.autodiff.open_transforms import here


@contextmanager
def dual_level() -> Iterator[Level]:
    """Open a forward-mode level; tangents made inside are dropped when it closes. Refused
    inside ``cr.func.jvp``'s ``f``, as PyTorch refuses it there.

    >>> import chainrule as cr
    >>> with dual_level():
    ...     x = make_dual(cr.tensor(3.0), cr.tensor(1.0))
    ...     unpack_dual(x ** 2).tangent
    tensor(6.)
    """
    forward.refuse_nested(by_jvp=False)
    with forward.dual_level() as level:
        yield level


# The ``dual_level`` blocks that ``enter_dual_level`` opened, by their level, for
# ``exit_dual_level`` to close.
_entered: dict[Level, AbstractContextManager[Level]] = {}


def enter_dual_level() -> Level:
    """Open a forward-mode level, the innermost from now on (the default ``level`` of
    ``make_dual`` and ``unpack_dual``), until :func:`exit_dual_level` closes it: a
    ``dual_level()`` block without the ``with``. PyTorch returns the level's number and opens one
    level at a time; chainrule's levels nest, and each is an object: pass the one returned as
    ``level=``.

    >>> import chainrule as cr
    >>> level = enter_dual_level()
    >>> x = make_dual(cr.tensor(3.0), cr.tensor(1.0), level=level)
    >>> unpack_dual(x * x).tangent
    tensor(6.)
    >>> exit_dual_level(level=level)
    >>> unpack_dual(x * x).tangent is None
    True
    """
    block = dual_level()
    level = block.__enter__()
    _entered[level] = block
    return level


def exit_dual_level(*, level: Level | None = None) -> None:
    """Close ``level`` (by default the innermost) and drop the tangents made at it. As in
    PyTorch, only the innermost level can close: another is a RuntimeError, and so is closing
    when none is open; so is closing a level that ``enter_dual_level`` did not open (a
    ``dual_level()`` block or a transform closes its own).

    >>> enter_dual_level() is not None
    True
    >>> exit_dual_level()
    >>> exit_dual_level()
    Traceback (most recent call last):
    ...
    RuntimeError: Dual level must be a positive number.
    """
    levels = here.dual  # the calling thread's
    if level is None:
        if not levels:
            raise RuntimeError("Dual level must be a positive number.")
        level = levels[-1]
    if not levels or level is not levels[-1]:
        raise RuntimeError(
            "Trying to exit a forward AD level that was not the last one that was created. "
            "This is not supported."
        )
    block = _entered.pop(level, None)
    if block is None:
        raise RuntimeError(
            "Trying to exit a forward AD level that enter_dual_level() did not create: the "
            "dual_level() block or the transform that opened it closes it."
        )
    block.__exit__(None, None, None)


__all__ = [
    "UnpackedDualTensor",
    "dual_level",
    "enter_dual_level",
    "exit_dual_level",
    "make_dual",
    "unpack_dual",
]
