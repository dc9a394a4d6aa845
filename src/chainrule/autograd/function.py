"""``cr.autograd.function``: user-defined functions under PyTorch's module name, the same
classes as ``cr.autograd.Function`` and ``FunctionCtx`` (:mod:`chainrule.autodiff.function`),
and ``once_differentiable``.

>>> import chainrule as cr
>>> from chainrule.autograd.function import Function
>>> Function is cr.autograd.Function
True
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from chainrule import grad_mode
from chainrule.autodiff.function import Function, FunctionCtx
from chainrule.tensor import Tensor


class _DelayedError(Function):
    """Passes a value through; differentiating it raises (PyTorch's ``DelayedError``)."""

    @staticmethod
    def forward(ctx: Any, x: Tensor) -> Tensor:
        return x

    @staticmethod
    def backward(ctx: Any, g: Tensor) -> Tensor:
        raise RuntimeError(
            "trying to differentiate twice a function that was marked with @once_differentiable"
        )


def once_differentiable(backward: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a ``Function.backward`` as differentiable once: it runs without recording, and
    where the gradients it is given require grad (a gradient of a gradient is asked for), its
    results do too, but differentiating them raises, as in PyTorch.

    >>> import chainrule as cr
    >>> class Cube(cr.autograd.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x ** 3
    ...     @staticmethod
    ...     @once_differentiable
    ...     def backward(ctx, g):
    ...         (x,) = ctx.saved_tensors
    ...         return g * 3 * x ** 2
    >>> x = cr.tensor([2.0], requires_grad=True)
    >>> cr.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
    (tensor([12.]),)
    """

    @functools.wraps(backward)
    def wrapper(ctx: Any, *args: Any) -> Any:
        with grad_mode.no_grad():
            outputs = backward(ctx, *args)
        if not grad_mode.modes.enabled or not any(
            isinstance(a, Tensor) and a.requires_grad for a in args
        ):
            return outputs
        if not isinstance(outputs, tuple):
            return _delayed(outputs)
        return tuple(_delayed(o) for o in outputs)

    return wrapper


def _delayed(value: Any) -> Any:
    if not isinstance(value, Tensor) or not value.is_floating_point():
        return value
    return _DelayedError.apply(value.detach().requires_grad_())


__all__ = ["Function", "FunctionCtx", "once_differentiable"]
