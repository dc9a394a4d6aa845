"""``autograd.Function`` against PyTorch: saved tensors and their version checks, several
outputs, non-differentiable outputs, ``set_materialize_grads``, ``needs_input_grad``,
``setup_context``, ``once_differentiable`` and the errors for wrong returns. Each snippet runs with
``T`` as torch and as chainrule; what it leaves in ``out`` (or its error) must be the same."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from snippet_outcome import outcome

import chainrule as cr

# A function squaring its input times a constant, which the snippets share
SQUARE = """
class Sq(T.autograd.Function):
    @staticmethod
    def forward(ctx, x, k):
        ctx.save_for_backward(x); ctx.k = k
        return x * x * k
    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return 2 * x * g * ctx.k, None
"""

SNIPPETS = [
    """
    x = T.tensor([1.0, 2.0], requires_grad=True)
    Sq.apply(x, 3).sum().backward()
    out = x.grad.tolist()
    """,
    """
    x = T.tensor([1.0, 2.0], requires_grad=True)
    y = Sq.apply(x, 3)
    out = (type(y.grad_fn).__name__, y.requires_grad)
    """,
    """
    x = T.tensor([1.0, 2.0])
    y = Sq.apply(x, 3)
    out = (y.requires_grad, y.grad_fn)
    """,
    """
    x = T.tensor([1.0, 2.0], requires_grad=True)
    g, = T.autograd.grad(Sq.apply(x, 3).sum(), x, create_graph=True)
    g.sum().backward()
    out = x.grad.tolist()
    """,
    """
    class Bad(T.autograd.Function):
        @staticmethod
        def forward(ctx, x): return x * 2
        @staticmethod
        def backward(ctx, g): return g, g
    x = T.tensor([1.0], requires_grad=True)
    Bad.apply(x).sum().backward()
    """,
    """
    class Bad(T.autograd.Function):
        @staticmethod
        def forward(ctx, x): return x * 2
        @staticmethod
        def backward(ctx, g): return g[:0]
    x = T.tensor([1.0], requires_grad=True)
    Bad.apply(x).sum().backward()
    """,
    """
    class Bad(T.autograd.Function):
        @staticmethod
        def forward(ctx, x): return x * 2
        @staticmethod
        def backward(ctx, g): return 3.0
    x = T.tensor([1.0], requires_grad=True)
    Bad.apply(x).sum().backward()
    """,
    """
    class Inplace(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2); return x
        @staticmethod
        def backward(ctx, g): return g * 2
    x = T.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    z = Inplace.apply(y)
    z.sum().backward()
    out = x.grad.tolist()
    """,
    """
    class Two(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            idx = T.tensor([1, 0]); ctx.mark_non_differentiable(idx); return x * 2, idx
        @staticmethod
        def backward(ctx, g, gi): return g * 2
    x = T.tensor([1.0, 2.0], requires_grad=True)
    a, i = Two.apply(x)
    out = (a.requires_grad, i.requires_grad)
    a.sum().backward()
    out = out + (x.grad.tolist(),)
    """,
    """
    class M(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False); return x * 2, x * 3
        @staticmethod
        def backward(ctx, g1, g2):
            # PyTorch gives None for the unused first output; chainrule zeros (see its docs)
            return (0 if g1 is None else g1) + g2 * 3
    x = T.tensor([1.0, 2.0], requires_grad=True)
    a, b = M.apply(x)
    b.sum().backward()
    out = x.grad.tolist()
    """,
    """
    class M(T.autograd.Function):
        @staticmethod
        def forward(ctx, x): return x * 2, x * 3
        @staticmethod
        def backward(ctx, g1, g2): return g1 + g2 * 3
    x = T.tensor([1.0, 2.0], requires_grad=True)
    a, b = M.apply(x)
    b.sum().backward()
    out = x.grad.tolist()
    """,
    """
    class N(T.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            ctx.save_for_backward(x, y); return x * y
        @staticmethod
        def backward(ctx, g):
            x, y = ctx.saved_tensors; out.append(ctx.needs_input_grad); return g * y, g * x
    out = []
    x = T.tensor([1.0], requires_grad=True)
    y = T.tensor([2.0])
    N.apply(x, y).sum().backward()
    """,
    """
    class S(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x * 2; ctx.save_for_backward(y); return y
        @staticmethod
        def backward(ctx, g):
            y, = ctx.saved_tensors; return g * 2
    x = T.tensor([1.0], requires_grad=True)
    y = S.apply(x)
    y.add_(1)
    y.sum().backward()
    out = x.grad.tolist()
    """,
    """
    class S(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x); return x * 2
        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors; return g * 2
    x = T.tensor([1.0], requires_grad=True)
    y = x * 1
    z = S.apply(y)
    y.add_(1)
    z.sum().backward()
    out = x.grad.tolist()
    """,
    """
    class S(T.autograd.Function):
        @staticmethod
        def forward(ctx, x): return x
        @staticmethod
        def backward(ctx, g): return g * 5
    x = T.tensor([1.0], requires_grad=True)
    y = S.apply(x)
    y.sum().backward()
    out = (y is x, x.grad.tolist())
    """,
    """
    class S(T.autograd.Function):
        @staticmethod
        def forward(x, k): return x * k
        @staticmethod
        def setup_context(ctx, inputs, output): ctx.k = inputs[1]
        @staticmethod
        def backward(ctx, g): return g * ctx.k, None
    x = T.tensor([1.0], requires_grad=True)
    S.apply(x, 4.0).sum().backward()
    out = x.grad.tolist()
    """,
    """
    class S(T.autograd.Function):
        @staticmethod
        def forward(ctx, x): return x * 2
        @staticmethod
        @T.autograd.function.once_differentiable
        def backward(ctx, g): return g * 2
    x = T.tensor([1.0], requires_grad=True)
    g, = T.autograd.grad(S.apply(x).sum(), x, create_graph=True)
    out = g.requires_grad
    g.sum().backward()
    """,
    """
    class S(T.autograd.Function):
        @staticmethod
        def forward(ctx, x): return x * 2
    x = T.tensor([1.0], requires_grad=True)
    S.apply(x).sum().backward()
    """,
    """
    x = T.tensor([1.0], requires_grad=True)
    out = Sq.forward(None, x, 2).tolist()
    """,
]


def _run(lib: Any, code: str) -> str:
    return outcome(lib, code, prelude=SQUARE)


@pytest.mark.parametrize("code", SNIPPETS)
def test_function_snippet_matches_pytorch(code: str) -> None:
    assert _run(cr, code) == _run(torch, code)


def test_mark_dirty_is_refused_with_a_way_out() -> None:
    code = """
    class Doubled(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x
    Doubled.apply(T.ones(2, requires_grad=True) * 1)
    """
    assert _run(cr, code).startswith("NotImplementedError: ctx.mark_dirty: ")
