"""``nn.Buffer``: a tensor that a Module registers as a buffer when it is assigned as an
attribute (PyTorch 2.x), with ``persistent`` saying whether the state dict holds it.

    >>> import chainrule as cr
    >>> m = cr.nn.Module()
    >>> m.steps = cr.nn.Buffer(cr.zeros(2))
    >>> m.cache = cr.nn.Buffer(cr.ones(1), persistent=False)
    >>> [name for name, _ in m.named_buffers()], list(m.state_dict())
    (['steps', 'cache'], ['steps'])
"""

from __future__ import annotations

from typing import Any

from chainrule._array import xp
from chainrule.tensor import Tensor


class Buffer(Tensor):
    """A tensor marked as a module's buffer: it shares ``data``'s values (detached, with its
    ``requires_grad``). PyTorch's ``Buffer(t)`` is a plain ``torch.Tensor`` carrying the
    mark; chainrule's tensors take no new attributes, so here the mark is the class (printed
    as a tensor all the same)."""

    __slots__ = ("persistent",)

    def __init__(self, data: Tensor | None = None, *, persistent: bool = True) -> None:
        if data is None:
            self._wrap(xp.empty(0, dtype="float32"), False)
        else:
            self._wrap(data.detach(), data.requires_grad)
        self.persistent = persistent

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (_rebuild, (self._data, self.requires_grad, self.persistent))


def _rebuild(data: Any, requires_grad: bool, persistent: bool) -> Buffer:
    """A pickled Buffer back (``Tensor._wrap`` shares the array)."""
    buffer = Buffer(persistent=persistent)
    buffer._wrap(data, requires_grad)
    return buffer
