"""``cr.autograd.variable``: the legacy ``Variable``, under PyTorch's module name."""

from __future__ import annotations

from typing import Any

from chainrule.tensor import Tensor


class _VariableMeta(type):
    def __instancecheck__(cls, instance: Any) -> bool:
        return isinstance(instance, Tensor)  # every tensor is a Variable, as in PyTorch


class Variable(metaclass=_VariableMeta):
    """The legacy wrapper: since PyTorch 0.4 ``Variable(t)`` is a tensor sharing ``t``'s storage.

    >>> import chainrule as cr
    >>> v = cr.autograd.Variable(cr.tensor([1.0]), requires_grad=True)
    >>> v, isinstance(v, cr.autograd.Variable)
    (tensor([1.], requires_grad=True), True)
    """

    def __new__(cls, data: Tensor, requires_grad: bool = False, volatile: bool = False) -> Tensor:  # type: ignore[misc]
        return data.detach().requires_grad_(requires_grad)


__all__ = ["Variable"]
