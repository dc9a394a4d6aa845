"""``cr.autograd``: gradients as values, and user-defined functions (PyTorch's names).

>>> import chainrule as cr
>>> x = cr.tensor(2.0, requires_grad=True)
>>> cr.autograd.grad(x ** 2, x)
(tensor(4.),)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chainrule.autodiff.anomaly import (
    detect_anomaly,
    is_anomaly_check_nan_enabled,
    is_anomaly_enabled,
    set_detect_anomaly,
)
from chainrule.autodiff.backward import grad, run_backward
from chainrule.autodiff.function import Function, FunctionCtx, VmapInfo
from chainrule.autograd import forward_ad, functional
from chainrule.tensor import Tensor
from chainrule.tools.gradcheck import GradcheckError, gradcheck, gradgradcheck


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


def backward(
    tensors: Tensor | Sequence[Tensor],
    grad_tensors: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs: Sequence[Tensor] | None = None,
) -> None:
    """Accumulate into the leaves' ``.grad`` the gradients of several outputs at once."""
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    if grad_tensors is None or isinstance(grad_tensors, Tensor):
        grad_tensors = [grad_tensors] * len(tensors)
    run_backward(
        tensors, list(grad_tensors), retain_graph, create_graph, targets=inputs, accumulate=True
    )


__all__ = [
    "Function",
    "FunctionCtx",
    "GradcheckError",
    "Variable",
    "VmapInfo",
    "backward",
    "detect_anomaly",
    "forward_ad",
    "functional",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "is_anomaly_check_nan_enabled",
    "is_anomaly_enabled",
    "set_detect_anomaly",
]
