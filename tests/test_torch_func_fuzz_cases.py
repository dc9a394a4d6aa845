"""Cases a fuzz of the function transforms against PyTorch's (``torch.func``,
``torch.autograd.functional``) found chainrule answering differently: tangents of integer
outputs, the structure vjp_fn's cotangents must have, argnums and has_aux refused in PyTorch's
words, primals that are no Tensors, and autograd.functional's inputs, outputs, create_graph and
strategies. Each snippet runs with ``T`` as torch and as chainrule; what it leaves in ``out``
(values, or the error: type and first line) must be the same."""

from __future__ import annotations

import pytest
import torch
from snippet_outcome import outcome

import chainrule as cr

PRELUDE = """
x = T.tensor([0.5, -1.0], dtype=T.float64)
A = T.autograd.functional
"""

SNIPPETS = {
    # an integer output carries no tangent: the rule's tangent was cast to int and kept
    "jvp of an integer output is zero": """
        out = T.func.jvp(lambda x: (x * 3).long(), (x,), (x,))[1].tolist()
    """,
    "jacfwd of an integer output is zero": """
        out = T.func.jacfwd(lambda x: x.long())(x).tolist()
    """,
    # vjp_fn compares the cotangents' tree with the output's (it counted the leaves only)
    "vjp_fn refuses a list for a tuple output": """
        _, f = T.func.vjp(lambda a: (a * 2, a.sin()), x)
        out = f([x, x])
    """,
    "vjp_fn refuses cotangents nested differently": """
        _, f = T.func.vjp(lambda a: (a * 2, [a.sin()]), x)
        out = f((x, x))
    """,
    "grad refuses argnums given as a list": """
        out = T.func.grad(lambda a, b: (a * b).sum(), argnums=[0, 1])(x, x)
    """,
    "jacrev: argnum out of range": """
        out = T.func.jacrev(lambda a, b: a * b, argnums=2)(x, x)
    """,
    "grad: has_aux without an (output, aux) pair": """
        out = T.func.grad(lambda a: (a.sum(), 1, 2), has_aux=True)(x)
    """,
    "jvp: has_aux without an (output, aux) pair": """
        out = T.func.jvp(lambda a: a.sum(), (x,), (x,), has_aux=True)
    """,
    # a primal that is no Tensor was passed to f as it was (and got no gradient)
    "vjp refuses a primal that is no Tensor": """
        out = T.func.vjp(lambda a, b: a.sum() * b, x, 3.0)
    """,
    "grad refuses a number at argnums": """
        out = T.func.grad(lambda a, b: a.sum() * b, argnums=1)(x, 3.0)
    """,
    # create_graph: inputs that require no grad are taken as leaves that do (PyTorch's
    # _grad_preprocess), so the results require grad
    "autograd.functional.vjp with create_graph": """
        r = A.vjp(lambda a: a.sin(), x, x, create_graph=True)
        out = [(t.tolist(), t.requires_grad) for t in r]
    """,
    "autograd.functional.hessian with create_graph": """
        h = A.hessian(lambda a: (a ** 3).sum(), x, create_graph=True)
        out = (h.tolist(), h.requires_grad)
    """,
    "autograd.functional.jacobian refuses a list of inputs": """
        out = A.jacobian(lambda a, b: a * b, [x, x])
    """,
    "autograd.functional.jacobian refuses a list output": """
        out = A.jacobian(lambda a: [a.sin()], x)
    """,
    # hessian's function must give one element, squeezed (a (1, 1) output kept its dims)
    "autograd.functional.hessian of a non-scalar": """
        out = A.hessian(lambda a: a * 2, x)
    """,
    "autograd.functional.hessian of a (1, 1) output": """
        out = A.hessian(lambda a: (a ** 3).sum().reshape(1, 1), x).tolist()
    """,
    "autograd.functional.hessian checks its outer strategy": """
        out = A.hessian(lambda a: a.sum(), x, outer_jacobian_strategy="sideways")
    """,
    "autograd.functional.jacobian forward-mode needs vectorize": """
        out = A.jacobian(lambda a: a.sin(), x, strategy="forward-mode")
    """,
    "autograd.functional.jacobian forward-mode keeps no graph": """
        out = A.jacobian(lambda a: a.sin(), x, strategy="forward-mode", vectorize=True,
                         create_graph=True)
    """,
}


@pytest.mark.parametrize("name", SNIPPETS)
def test_func_case_matches_pytorch(name: str) -> None:
    code = SNIPPETS[name]
    assert outcome(cr, code, PRELUDE) == outcome(torch, code, PRELUDE)
