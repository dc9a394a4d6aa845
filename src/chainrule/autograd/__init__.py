"""``cr.autograd``: gradients as values, and user-defined functions (PyTorch's names).

>>> import chainrule as cr
>>> x = cr.tensor(2.0, requires_grad=True)
>>> cr.autograd.grad(x ** 2, x)
(tensor(4.),)
"""

from __future__ import annotations

import warnings
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
from chainrule.factories import zeros_like
from chainrule.grad_mode import enable_grad, inference_mode, no_grad, set_grad_enabled
from chainrule.tensor import Tensor, _make
from chainrule.tools.gradcheck import GradcheckError, gradcheck, gradgradcheck


def grad(
    outputs: Any,
    inputs: Any,
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    only_inputs: bool = True,
    allow_unused: bool | None = None,
    is_grads_batched: bool = False,
    materialize_grads: bool = False,
) -> Any:
    """d(outputs)/d(inputs), returned instead of accumulated into ``.grad``
    (:func:`chainrule.autodiff.backward.grad`), with PyTorch's options: an output or input may
    be given as its ``GradientEdge`` (``cr.autograd.graph.get_gradient_edge``), inputs as a
    dict (the gradients come back as one), ``materialize_grads`` gives zeros for inputs that
    the outputs do not reach, and ``is_grads_batched`` takes a batch of ``grad_outputs`` along
    their first dimension (vector-Jacobian products of every row in one call).

    >>> import chainrule as cr
    >>> x = cr.tensor(3.0, requires_grad=True)
    >>> cr.autograd.grad(x ** 2, cr.autograd.graph.get_gradient_edge(x))
    (tensor(6.),)
    >>> y = cr.tensor([1.0, 2.0], requires_grad=True)
    >>> cr.autograd.grad(y * y, {"y": y}, cr.eye(2), is_grads_batched=True)
    {'y': tensor([[2., 0.],
            [0., 4.]])}
    """
    if not only_inputs:
        warnings.warn(
            "only_inputs argument is deprecated and is ignored now (defaults to True). To "
            "accumulate gradient for other parts of the graph, please use "
            "torch.autograd.backward.",
            FutureWarning,
            stacklevel=2,
        )
    if materialize_grads and allow_unused is False:
        raise ValueError(
            "Expected allow_unused to be True or not passed when materialize_grads=True, "
            "but got: allow_unused=False."
        )
    names = list(inputs) if isinstance(inputs, dict) else None
    targets = _tensors(list(inputs.values()) if names is not None else inputs)
    if not isinstance(targets, Tensor) and not len(targets):
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    unused = bool(allow_unused or materialize_grads)
    outputs = _tensors(outputs)
    if is_grads_batched:
        found = _batched(outputs, targets, grad_outputs, retain_graph, create_graph, unused)
    else:
        found = _backward.grad(outputs, targets, grad_outputs, retain_graph, create_graph, unused)
    if materialize_grads:
        listed = [targets] if isinstance(targets, Tensor) else targets
        # (of the input's shape even with is_grads_batched, as PyTorch's)
        found = tuple(zeros_like(x) if g is None else g for x, g in zip(listed, found, strict=True))
    return dict(zip(names, found, strict=True)) if names is not None else found


def _batched(
    outputs: Any,
    inputs: Any,
    grad_outputs: Any,
    retain_graph: bool | None,
    create_graph: bool,
    allow_unused: bool,
) -> tuple[Tensor | None, ...]:
    """:func:`grad` for each row of ``grad_outputs`` (a batch along the first dimension),
    stacked: in one backward pass on arrays where every rule on the way takes a batch
    (``backward.batched_grad``), else under ``vmap``."""
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    rows = [grad_outputs] if isinstance(grad_outputs, Tensor) else list(grad_outputs)
    if not create_graph and all(x.requires_grad for x in inputs):
        found = _backward.batched_grad(outputs, [g._data for g in rows], inputs)
        if found is not None:
            missing = [i for i, g in enumerate(found) if g is None]
            if missing and not allow_unused:
                _backward.refuse_unused(missing[0])
            return tuple(None if g is None else _make(g) for g in found)
    from chainrule.func import vmap

    unreached: set[int] = set()  # vmap returns tensors only: those inputs' zeros become None

    def row(*cotangents: Tensor) -> tuple[Tensor, ...]:
        found = _backward.grad(outputs, inputs, cotangents, True, create_graph, allow_unused)
        unreached.update(i for i, g in enumerate(found) if g is None)
        return tuple(zeros_like(x) if g is None else g for x, g in zip(inputs, found, strict=True))

    found = vmap(row)(*rows)
    return tuple(None if i in unreached else g for i, g in enumerate(found))


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
    targets = _backward.checked_inputs(_tensors(inputs))
    if grad_tensors is None or isinstance(grad_tensors, Tensor):
        grad_tensors = [grad_tensors] * len(tensors)
    run_backward(
        tensors,
        list(grad_tensors),
        retain_graph,
        create_graph,
        targets=targets,
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
