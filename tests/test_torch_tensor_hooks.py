"""Tensor and node hooks, retain_grad, .grad accumulation and autograd.grad's arguments against
PyTorch: each snippet runs with ``T`` as torch and as chainrule, and what it leaves in ``out``
(or the error it raises: type and first line) must be the same. PyTorch runs ``retain_grad``'s
hook after every other hook of the tensor, checks what a hook returns (a tensor of the same
dtype and size), and has hooks on graph nodes (``grad_fn.register_prehook``/``register_hook``).
"""

from __future__ import annotations

from typing import Any

import pytest
import torch
from snippet_outcome import outcome

import chainrule as cr

SNIPPETS = {
    "hook_sees_gradient_until_removed": """
        x = T.tensor([1.0, 2.0], requires_grad=True)
        log = []
        h = x.register_hook(lambda g: log.append(g.tolist()))
        (x * 3).sum().backward()
        h.remove()
        (x * 3).sum().backward()
        out = (log, x.grad.tolist())
    """,
    "hooks_chain_in_order": """
        x = T.tensor([1.0, 2.0], requires_grad=True)
        x.register_hook(lambda g: g * 2)
        x.register_hook(lambda g: g + 1)
        (x * 3).sum().backward()
        out = x.grad.tolist()
    """,
    "hook_then_retain_grad": """
        x = T.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        y.register_hook(lambda g: g * 10)
        y.retain_grad()
        (y * y).sum().backward()
        out = (x.grad.tolist(), y.grad.tolist())
    """,
    "retain_grad_then_hook_still_last": """
        x = T.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        y.retain_grad()
        y.register_hook(lambda g: g * 10)
        (y * y).sum().backward()
        out = (x.grad.tolist(), y.grad.tolist())
    """,
    "post_accumulate_hook_per_backward": """
        x = T.tensor([1.0, 2.0], requires_grad=True)
        log = []
        x.register_post_accumulate_grad_hook(lambda p: log.append(p.grad.tolist()))
        (x * 3).sum().backward()
        (x * 3).sum().backward()
        out = (log, x.grad.tolist())
    """,
    "post_accumulate_on_non_leaf_refused": """
        x = T.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        y.register_post_accumulate_grad_hook(lambda p: None)
    """,
    "hook_on_tensor_without_grad_refused": """
        x = T.tensor([1.0, 2.0])
        x.register_hook(lambda g: g)
    """,
    "hook_changing_size_refused": """
        x = T.tensor([1.0, 2.0], requires_grad=True)
        x.register_hook(lambda g: g[:1])
        (x * 3).sum().backward()
    """,
    "hook_changing_dtype_refused": """
        x = T.tensor([1.0, 2.0], requires_grad=True)
        x.register_hook(lambda g: g.double())
        (x * 3).sum().backward()
        out = (x.grad.dtype, x.grad.tolist())
    """,
    "hook_returning_a_number_refused": """
        x = T.tensor([1.0, 2.0], requires_grad=True)
        x.register_hook(lambda g: 5)
        (x * 3).sum().backward()
    """,
    "grad_of_an_intermediate": """
        x = T.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        g, = T.autograd.grad(y.sum(), y)
        out = g.tolist()
    """,
    "retain_grad_twice": """
        x = T.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        y.retain_grad()
        y.retain_grad()
        y.sum().backward()
        y.sum() if False else None
        out = (y.grad.tolist(), y.retains_grad, x.retains_grad)
    """,
    "retains_grad_of_a_leaf": """
        x = T.tensor([1.0, 2.0], requires_grad=True)
        x.retain_grad()
        out = x.retains_grad
    """,
    "retained_grad_and_detach": """
        x = T.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        y.retain_grad()
        y.sum().backward()
        z = y.detach()
        out = (y.grad is not None, z.grad)
    """,
    "node_post_hook_sees_input_and_output_gradients": """
        x = T.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        log = []
        listed = lambda ts: [None if t is None else t.tolist() for t in ts]
        y.grad_fn.register_hook(lambda gi, go: log.append((len(gi), listed(gi), listed(go))))
        (y * 3).sum().backward()
        out = log
    """,
    "node_pre_hook_sees_output_gradient": """
        x = T.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        log = []
        y.grad_fn.register_prehook(lambda go: log.append([t.tolist() for t in go]))
        (y * 3).sum().backward()
        out = log
    """,
    "node_pre_hook_replaces_gradient": """
        x = T.tensor([1.0, 2.0], requires_grad=True)
        y = x * x
        y.grad_fn.register_prehook(lambda go: (go[0] * 0,))
        y.sum().backward()
        out = x.grad.tolist()
    """,
    "node_post_hook_replaces_input_gradients": """
        x = T.tensor([1.0, 2.0], requires_grad=True)
        y = x * x
        y.grad_fn.register_hook(lambda gi, go: (gi[0] * 5, gi[1]))
        y.sum().backward()
        out = x.grad.tolist()
    """,
    "node_post_hook_changing_dtype_refused": """
        x = T.tensor([1.0, 2.0], requires_grad=True)
        y = x * x
        y.grad_fn.register_hook(lambda gi, go: (gi[0].double(), None))
        y.sum().backward()
    """,
    "saved_tensors_hooks": """
        x = T.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        with T.autograd.graph.saved_tensors_hooks(lambda t: t * 1, lambda t: t): z = y * y
        z.sum().backward()
        out = x.grad.tolist()
    """,
    "grad_accumulates_into_assigned_grad": """
        x = T.tensor([1.0, 2.0], requires_grad=True)
        x.grad = T.tensor([1.0, 1.0])
        (x * 3).sum().backward()
        out = x.grad.tolist()
    """,
    "assigned_grad_of_wrong_shape_refused": """
        x = T.tensor([1.0, 2.0], requires_grad=True)
        x.grad = T.tensor([1.0])
    """,
    "assigned_grad_of_wrong_dtype_refused": """
        x = T.tensor([1.0, 2.0], requires_grad=True)
        x.grad = T.tensor([1, 2])
    """,
    "assigned_grad_is_accumulated_in_place": """
        x = T.tensor([1.0, 2.0], requires_grad=True)
        g0 = T.zeros(2)
        x.grad = g0
        (x * 3).sum().backward()
        out = (x.grad is g0, g0.tolist())
    """,
    "accumulated_grad_keeps_its_tensor": """
        x = T.tensor([1.0, 2.0], requires_grad=True)
        (x * 3).sum().backward()
        g0 = x.grad
        (x * 3).sum().backward()
        out = (x.grad is g0, g0.tolist())
    """,
    "create_graph_grad_requires_grad": """
        x = T.tensor([1.0, 2.0], requires_grad=True)
        (x * 3).sum().backward(create_graph=True)
        out = (x.grad.requires_grad, x.grad.grad_fn is not None)
    """,
    "grad_after_create_graph_is_replaced": """
        x = T.tensor([1.0, 2.0], requires_grad=True)
        (x * x).sum().backward(create_graph=True)
        g = x.grad
        (x * 3).sum().backward()
        out = (x.grad is g, x.grad.tolist(), x.grad.requires_grad)
    """,
}


def _run(lib: Any, code: str) -> str:
    return outcome(lib, code)


@pytest.mark.parametrize("name", SNIPPETS)
def test_hook_snippet_matches_pytorch(name: str) -> None:
    assert _run(cr, SNIPPETS[name]) == _run(torch, SNIPPETS[name])


# autograd.grad's and backward's arguments: unused inputs, materialized and batched gradients,
# grad_outputs of other shapes, a freed graph, backward(inputs=...) into a non-leaf's .grad
GRAD_API = [
    """
    x = T.tensor([1.0, 2.0], requires_grad=True)
    z = T.tensor([3.0], requires_grad=True)
    out = T.autograd.grad((x * 2).sum(), [x, z], allow_unused=True)
    """,
    """
    x = T.tensor([1.0, 2.0], requires_grad=True)
    z = T.tensor([3.0], requires_grad=True)
    out = T.autograd.grad((x * 2).sum(), [x, z], allow_unused=True, materialize_grads=True)
    """,
    """
    x = T.tensor([1.0, 2.0], requires_grad=True)
    z = T.tensor([3.0], requires_grad=True)
    out = T.autograd.grad((x * 2).sum(), [x, z])
    """,
    """
    x = T.tensor([1.0, 2.0], requires_grad=True)
    z = T.tensor([3.0], requires_grad=True)
    out = T.autograd.grad((x * 2).sum(), [x, z], materialize_grads=True)
    """,
    """
    x = T.tensor([1.0, 2.0], requires_grad=True)
    z = T.tensor([3.0], requires_grad=True)
    out = T.autograd.grad((x * 2).sum(), [x, z], allow_unused=False, materialize_grads=True)
    """,
    """
    x = T.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    out = T.autograd.grad(y, x, T.eye(2), is_grads_batched=True)
    """,
    """
    x = T.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    out = T.autograd.grad(y, x, T.ones(3, 2), is_grads_batched=True)
    """,
    """
    x = T.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    out = T.autograd.grad(y, x)
    """,
    """
    x = T.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    out = T.autograd.grad(y, x, T.ones(3))
    """,
    """
    x = T.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    out = T.autograd.grad(y.sum(), x, T.ones(1))
    """,
    """
    x = T.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    out = T.autograd.grad(y.sum(), x, T.tensor(2.0))
    """,
    """
    x = T.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    out = T.autograd.grad(y.sum(), x, T.tensor(2.0, dtype=T.float64))
    """,
    """
    x = T.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    out = T.autograd.grad([y.sum(), y[0]], [x])
    """,
    """
    x = T.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    out = T.autograd.grad([y.sum(), y[0]], [x], [None, T.tensor(3.0)])
    """,
    """
    x = T.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    out = T.autograd.grad([y.sum(), y], [x], [None, None])
    """,
    """
    x = T.tensor([1.0, 2.0], requires_grad=True)
    out = T.autograd.grad(x.sum(), x)
    """,
    """
    x = T.tensor([1.0, 2.0], requires_grad=True)
    out = T.autograd.grad(x, x, T.ones(2))
    """,
    """
    x = T.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    out = T.autograd.grad(y.sum(), y)
    """,
    """
    x = T.tensor([1.0, 2.0], requires_grad=True)
    w = T.tensor([1.0, 2.0])
    out = T.autograd.grad((x * 2).sum(), w)
    """,
    """
    x = T.tensor([1.0, 2.0], requires_grad=True)
    out = T.autograd.grad(T.tensor(1.0), x)
    """,
    """
    x = T.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    T.autograd.grad(y, x)
    out = T.autograd.grad(y, x)
    """,
    """
    x = T.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    T.autograd.grad(y, x, retain_graph=True)
    out = T.autograd.grad(y, x)
    """,
    """
    x = T.tensor([1.0, 2.0], requires_grad=True)
    z = T.tensor([3.0], requires_grad=True)
    l = (x * 2).sum() + (z * 3).sum()
    l.backward(inputs=[z])
    out = (x.grad, z.grad)
    """,
    """
    x = T.tensor([1.0, 2.0], requires_grad=True)
    l = (x * 2).sum()
    l.backward(inputs=[])
    """,
    """
    x = T.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    l = (y * y).sum()
    l.backward(inputs=[y])
    out = (x.grad, y.grad)
    """,
    """
    x = T.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    l = (y * y).sum()
    l.backward(inputs=y)
    out = (x.grad, y.grad)
    """,
    """
    x = T.tensor([1.0, 2.0], requires_grad=True)
    out = T.autograd.backward([(x * 2).sum(), (x * 3).sum()]) or x.grad
    """,
    """
    x = T.tensor([1.0, 2.0], requires_grad=True)
    out = T.autograd.backward((x * 2), T.ones(2)) or x.grad
    """,
    """
    x = T.tensor([1.0, 2.0], requires_grad=True)
    out = T.autograd.backward((x * 2)) or x.grad
    """,
    """
    x = T.tensor([1.0, 2.0], requires_grad=True)
    out = T.autograd.backward((x * 2), grad_tensors=T.ones(2), inputs=[x]) or x.grad
    """,
    """
    x = T.tensor([1.0, 2.0], requires_grad=True)
    out = T.autograd.grad(outputs=(x * 2).sum(), inputs=x, create_graph=True)[0].requires_grad
    """,
    """
    x = T.tensor([1.0, 2.0], requires_grad=True)
    (g,) = T.autograd.grad(outputs=(x * x).sum(), inputs=(x,), create_graph=True)
    out = g.grad_fn is not None
    """,
    """
    x = T.tensor([1, 2])
    out = x.requires_grad_()
    """,
    """
    x = T.tensor([1.0, 2.0], requires_grad=True)
    out = T.autograd.grad((x * 2).sum(), x, grad_outputs=T.ones(2))
    """,
    """
    x = T.tensor([1.0, 2.0], requires_grad=True)
    y = x.detach().requires_grad_()
    out = T.autograd.grad((x * 2).sum() + (y*3).sum(), [x, y])
    """,
    """
    x = T.tensor([1.0, 2.0], requires_grad=True)
    out = T.autograd.functional.jacobian(lambda a: a * a, x)
    """,
    """
    x = T.tensor([1.0, 2.0], requires_grad=True)
    out = T.autograd.grad([], [x])
    """,
    """
    x = T.tensor([1.0, 2.0], requires_grad=True)
    out = T.autograd.grad((x*2).sum(), [])
    """,
]


@pytest.mark.filterwarnings("ignore::UserWarning")  # PyTorch's on a non-leaf's .grad
@pytest.mark.parametrize("code", GRAD_API)
def test_grad_api_snippet_matches_pytorch(code: str) -> None:
    assert _run(cr, code) == _run(torch, code)
