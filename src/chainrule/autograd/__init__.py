"""``cr.autograd``: gradients as values, and user-defined functions (PyTorch's names).

>>> import chainrule as cr
>>> x = cr.tensor(2.0, requires_grad=True)
>>> cr.autograd.grad(x ** 2, x)
(tensor(4.),)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chainrule.autodiff import backward as _backward
from chainrule.autodiff.anomaly import (
    detect_anomaly,
    is_anomaly_check_nan_enabled,
    is_anomaly_enabled,
    set_detect_anomaly,
)
from chainrule.autodiff.backward import run_backward
from chainrule.autodiff.function import Function, FunctionCtx, VmapInfo
from chainrule.autograd import (
    anomaly_mode,
    forward_ad,
    function,
    functional,
    grad_mode,
    graph,
    variable,
)
from chainrule.autograd.variable import Variable
from chainrule.grad_mode import enable_grad, inference_mode, no_grad, set_grad_enabled
from chainrule.tensor import Tensor
from chainrule.tools.gradcheck import GradcheckError, gradcheck, gradgradcheck


def grad(
    outputs: Any,
    inputs: Any,
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Tensor | None, ...]:
    """d(outputs)/d(inputs), returned instead of accumulated into ``.grad``
    (:func:`chainrule.autodiff.backward.grad`); as in PyTorch, an output or input may be given
    as its ``GradientEdge`` (``cr.autograd.graph.get_gradient_edge``).

    >>> import chainrule as cr
    >>> x = cr.tensor(3.0, requires_grad=True)
    >>> cr.autograd.grad(x ** 2, cr.autograd.graph.get_gradient_edge(x))
    (tensor(6.),)
    """
    return _backward.grad(
        _tensors(outputs),
        _tensors(inputs),
        grad_outputs,
        retain_graph,
        create_graph,
        allow_unused,
    )


def _tensors(values: Any) -> Any:
    """``values`` with each ``GradientEdge`` replaced by the tensor it stands for."""
    if isinstance(values, graph.GradientEdge):
        return graph.edge_tensor(values)
    if values is None or isinstance(values, Tensor):
        return values
    return [graph.edge_tensor(v) if isinstance(v, graph.GradientEdge) else v for v in values]


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
        tensors,
        list(grad_tensors),
        retain_graph,
        create_graph,
        targets=_tensors(inputs),
        accumulate=True,
    )


__all__ = [
    "Function",
    "FunctionCtx",
    "GradcheckError",
    "Variable",
    "VmapInfo",
    "anomaly_mode",
    "backward",
    "detect_anomaly",
    "enable_grad",
    "forward_ad",
    "function",
    "functional",
    "grad",
    "grad_mode",
    "graph",
    "gradcheck",
    "gradgradcheck",
    "inference_mode",
    "is_anomaly_check_nan_enabled",
    "is_anomaly_enabled",
    "no_grad",
    "set_detect_anomaly",
    "set_grad_enabled",
    "variable",
]
