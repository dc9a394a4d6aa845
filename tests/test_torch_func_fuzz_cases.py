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
fw = T.autograd.forward_ad
t = T.tensor([1.0, 2.0], dtype=T.float64)
B = T.tensor([[0.5, -1.0], [2.0, 3.0]], dtype=T.float64)
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
    # Forward over reverse through the dual API: a gradient taken of a dual tensor is dual
    # (the transforms detached their results, tangents and all)
    "grad of a dual tensor carries a tangent": """
        with fw.dual_level():
            g = T.func.grad(lambda a: (a ** 3).sum())(fw.make_dual(x, t))
            tangent = fw.unpack_dual(g).tangent
            out = (g.requires_grad, tangent.tolist(), tangent.requires_grad)
    """,
    "grad_and_value with aux of a dual tensor": """
        with fw.dual_level():
            (g, (v, aux)) = T.func.grad_and_value(
                lambda a: ((a ** 3).sum(), a.sin()), has_aux=True
            )(fw.make_dual(x, t))
            out = [fw.unpack_dual(y).tangent.tolist() for y in (g, v, aux)]
    """,
    "vjp of a dual tensor: output and gradient carry tangents": """
        with fw.dual_level():
            o, f = T.func.vjp(lambda a: a.sin() * a, fw.make_dual(x, t))
            out = [fw.unpack_dual(y).tangent.tolist() for y in (o, f(T.ones(2).double())[0])]
    """,
    "vjp_fn of a dual cotangent carries its tangent": """
        with fw.dual_level():
            _, f = T.func.vjp(lambda a: a.sin(), x)
            out = fw.unpack_dual(f(fw.make_dual(x, t))[0]).tangent.tolist()
    """,
    "jacrev of a dual tensor carries a tangent": """
        with fw.dual_level():
            j = T.func.jacrev(lambda a: a.sin() * a[0])(fw.make_dual(x, t))
            out = fw.unpack_dual(j).tangent.tolist()
    """,
    "grad of f closing over a dual tensor carries a tangent": """
        with fw.dual_level():
            d = fw.make_dual(x, t)
            out = fw.unpack_dual(T.func.grad(lambda a: (a ** 2 * d).sum())(x)).tangent.tolist()
    """,
    "vmap of grad of a dual tensor carries a tangent": """
        with fw.dual_level():
            d = fw.make_dual(x, t).reshape(2, 1)
            g = T.func.vmap(T.func.grad(lambda a: (a ** 3).sum()))(d)
            out = fw.unpack_dual(g).tangent.tolist()
    """,
    "autograd.grad without create_graph of a dual tensor carries a tangent": """
        with fw.dual_level():
            p = x.clone().requires_grad_()
            (g,) = T.autograd.grad((fw.make_dual(p, t) ** 3).sum(), p)
            out = (g.requires_grad, fw.unpack_dual(g).tangent.tolist())
    """,
    # controls: what PyTorch leaves without a tangent
    "backward inside dual_level: .grad carries no tangent": """
        with fw.dual_level():
            p = x.clone().requires_grad_()
            (fw.make_dual(p, t) ** 3).sum().backward()
            out = (p.grad.tolist(), fw.unpack_dual(p.grad).tangent)
    """,
    "autograd.functional.vjp of a dual tensor: no tangent (detached)": """
        with fw.dual_level():
            out = fw.unpack_dual(A.vjp(lambda a: a.sin(), fw.make_dual(x, t), t)[1]).tangent
    """,
    # torch.func.jvp opens the dual API's one level: nesting it with a dual_level() is refused
    "jvp inside dual_level is refused": """
        with fw.dual_level():
            out = T.func.jvp(lambda a: a.sin(), (x,), (t,))
    """,
    "jacfwd inside dual_level is refused": """
        with fw.dual_level():
            out = T.func.jacfwd(lambda a: a.sin())(x)
    """,
    "hessian of a dual tensor is refused": """
        with fw.dual_level():
            out = T.func.hessian(lambda a: (a ** 3).sum())(fw.make_dual(x, t))
    """,
    "dual_level inside jvp's f is refused": """
        def f(a):
            with fw.dual_level():
                return fw.unpack_dual(fw.make_dual(a, t).sin()).tangent
        out = T.func.jvp(f, (x,), (t,))
    """,
    "autograd.functional.jacobian forward-mode inside dual_level is refused": """
        with fw.dual_level():
            out = A.jacobian(lambda a: a.sin(), x, strategy="forward-mode", vectorize=True)
    """,
    # controls: reverse mode twice (autograd.functional), or one level at a time, is no nesting
    "autograd.functional.jvp, hvp and vhp inside dual_level": """
        f = lambda a: (a ** 3).sum()
        with fw.dual_level():
            out = [A.jvp(lambda a: a.sin(), x, t)[1].tolist(), A.hvp(f, x, t)[1].tolist(),
                   A.vhp(f, x, t)[1].tolist(), A.hessian(f, x).tolist()]
    """,
    "dual_level inside grad's f, jvp after a dual_level": """
        def f(a):
            with fw.dual_level():
                return fw.unpack_dual(fw.make_dual(a, t).sin()).tangent.sum()
        out = T.func.grad(f)(x).tolist()
        with fw.dual_level():
            pass
        out = (out, T.func.jvp(lambda a: a.sin(), (x,), (t,))[1].tolist())
    """,
    # vjp_fn's keywords: retain_graph (True) and create_graph (whether grad mode is on)
    "vjp_fn(retain_graph=False) frees the graph": """
        _, f = T.func.vjp(lambda a: a.sin() * a, x)
        f(t, retain_graph=False)
        out = f(t)
    """,
    "vjp_fn(create_graph=False) records no graph": """
        _, f = T.func.vjp(lambda a: a.sin() * a, x.clone().requires_grad_())
        out = [(g.tolist(), g.requires_grad) for g in (f(t, create_graph=False)[0], f(t)[0])]
    """,
    "vjp_fn under no_grad records no graph": """
        _, f = T.func.vjp(lambda a: a.sin() * a, x.clone().requires_grad_())
        with T.no_grad():
            g = f(t)[0]
        out = (g.tolist(), g.requires_grad)
    """,
    "vjp_fn(create_graph=True, retain_graph=True)": """
        _, f = T.func.vjp(lambda a: a.sin() * a, x)
        g = f(t, create_graph=True, retain_graph=True)[0]
        out = (g.tolist(), g.requires_grad, f(t)[0].tolist())
    """,
    # a tangent keeps its own floating dtype (make_dual's), the rules' arithmetic promotes it
    "jvp of a float32 primal with a float64 tangent": """
        r = T.func.jvp(lambda a: (a * 2, a.sum(), a.exp()), (x.float(),), (t,))
        out = ([y.dtype for y in r[0]], [(y.dtype, y.tolist()) for y in r[1][:2]], r[1][2].dtype)
    """,
    "make_dual keeps its tangent's dtype": """
        with fw.dual_level():
            out = fw.unpack_dual(fw.make_dual(x, t.float())).tangent.dtype
    """,
    "jvp refuses an integer tangent": """
        out = T.func.jvp(lambda a: a.sin(), (x,), (T.tensor([1, 2]),))
    """,
    # control: autograd.functional computes by reverse mode, in the input's dtype
    "autograd.functional.jvp and hvp of a float32 input with a float64 v": """
        out = [A.jvp(lambda a: a * 2, x.float(), t)[1].dtype,
               A.hvp(lambda a: (a ** 3).sum(), x.float(), t)[1].dtype]
    """,
    # vmap: no room for a batch in an unbatched tensor, and no batching rule for out=
    "vmap: detach_ of a batched tensor is refused": """
        out = T.func.vmap(lambda a: a.clone().detach_() * 2)(B)
    """,
    "vmap: out= with a batched operand is refused": """
        y = T.empty(2, dtype=T.float64)
        out = T.func.vmap(lambda a: T.add(a, a, out=y))(B)
    """,
    "vmap: out= into a batched tensor is refused": """
        out = T.func.vmap(lambda a: T.sin(x, out=a))(B.clone())
    """,
    "vmap: masked_fill_ of an unbatched tensor by a batched mask is refused": """
        y = x.clone()
        out = T.func.vmap(lambda a: y.masked_fill_(a > 0, 1.0))(B)
    """,
    # controls: unbatched tensors stay free inside vmap
    "vmap: detach_, out= and masked_fill_ of unbatched tensors": """
        y = x.clone()
        f = lambda a: T.add(x, x, out=T.empty(2).double()) + x.clone().detach_() * a + (
            y.masked_fill_(x > 0, 1.0) + a.clone().masked_fill_(a > 0, 7.0))
        out = (T.func.vmap(f)(B).tolist(), y.tolist())
    """,
    # requires_grad_() inside a transform's f is refused (the tensor became a leaf of the
    # caller's graph: its gradient was silently zero), also through autograd.functional
    "requires_grad_ inside grad": """
        out = T.func.grad(lambda a: a.requires_grad_(False).sum())(x)
    """,
    "requires_grad_ of a new tensor inside grad": """
        out = T.func.grad(lambda a: (a * T.ones(2, dtype=a.dtype).requires_grad_()).sum())(x)
    """,
    "requires_grad_ inside vmap": "out = T.func.vmap(lambda a: a.requires_grad_())(x)",
    "requires_grad_ inside jvp": "out = T.func.jvp(lambda a: a.requires_grad_(), (x,), (x,))",
    "autograd.functional.jacobian inside grad": """
        out = T.func.grad(lambda a: A.jacobian(T.sin, a).sum())(x)
    """,
    "autograd.functional.vjp inside vmap": "out = T.func.vmap(lambda a: A.vjp(T.sin, a)[1])(x)",
    # ... while requires_grad= of a factory, or the attribute, stays allowed
    "requires_grad= of a factory inside grad": """
        out = T.func.grad(lambda a: (a * T.ones(2, dtype=a.dtype, requires_grad=True)).sum())(x)
        out = out.tolist()
    """,
    "requires_grad_ outside any transform": "out = T.ones(2).requires_grad_().requires_grad",
    # An in-place change through a view, under two forward levels: the inner tangent's write
    # lost the outer level's tangent of it (jvp of jvp gave zeros)
    "jvp of jvp through a setitem": """
        def f(a):
            v = (a * a).clone()
            v[1] *= 3
            return v
        inner = lambda a: T.func.jvp(f, (a,), (t,))[1]
        out = T.func.jvp(inner, (x,), (t,))[1].tolist()
    """,
    "jvp of jvp through an in-place view op": """
        def f(a):
            v = a * 1
            v.unsqueeze(0).sin_()
            return v * v
        inner = lambda a: T.func.jvp(f, (a,), (t,))[1]
        out = T.func.jvp(inner, (x,), (t,))[1].round(decimals=12).tolist()
    """,
    # vmap's out_dims is a pytree prefix of the outputs, as in_dims of the inputs (chainrule
    # matched it against the flattened outputs: refused (1, 0) for ((a, b), c), took (0, 0) for
    # a dict of two leaves)
    "vmap out_dims a prefix of nested outputs": """
        r = T.func.vmap(lambda a: ((a, a * 2), a * 3), out_dims=(1, 0))(B)
        out = [tuple(r[0][0].shape), tuple(r[0][1].shape), r[1].tolist()]
    """,
    "vmap out_dims a one-element tuple for one output": """
        out = T.func.vmap(lambda a: a * 2, out_dims=(1,))(B).tolist()
    """,
    "vmap out_dims a tuple for a dict": """
        try:  # (PyTorch's message goes on with its pytree's spec)
            out = T.func.vmap(lambda a: {"a": a, "b": [a]}, out_dims=(0, 0))(B)
        except ValueError as e:
            out = str(e)[: str(e).index("`outputs`")]
    """,
    "vmap out_dims a list for a tuple": """
        try:
            out = T.func.vmap(lambda a: (a, a), out_dims=[1, 0])(B)
        except ValueError as e:
            out = str(e)[: str(e).index("`outputs`")]
    """,
    "vmap out_dims a prefix, in chunks": """
        r = T.func.vmap(lambda a: ((a, a * 2), a * 3), out_dims=(1, 0), chunk_size=1)(B)
        out = [r[0][1].tolist(), r[1].tolist()]
    """,
    # prod's derivatives where two or more of a group are 0: x0 x1 x2's third derivative at 0
    # is 1 (chainrule held the product of two zeros constant: 0 from the third on)
    "third derivative of prod at zeros": """
        out = T.func.jacrev(T.func.jacrev(T.func.jacrev(T.prod)))(T.zeros(3, dtype=T.float64))
        out = out.tolist()
    """,
    "hessian-vector product's jacobian of prod at two zeros": """
        z = T.tensor([0.0, 0.0, -0.5], dtype=T.float64)
        u = T.tensor([0.3, -1.1, 0.8], dtype=T.float64)
        hu = lambda a: T.func.grad(lambda a: (T.func.grad(T.prod)(a) * u).sum())(a)
        out = T.func.jacrev(hu)(z).tolist()
    """,
    # ... and the whole product's create_graph gradient with an inf beside two zeros: the
    # products of the others, nan where they meet inf * 0, as PyTorch's (chainrule gave a
    # constant 0 from aaa117f on, which a backward then refused)
    "create_graph gradient of prod at two zeros and an inf": """
        z = T.tensor([0.0, float("inf"), 0.0], dtype=T.float64, requires_grad=True)
        (g,) = T.autograd.grad(z.prod(), z, create_graph=True)
        (h,) = T.autograd.grad(g.sum(), z)
        out = g.tolist(), g.requires_grad, h.tolist()
    """,
    "third derivative of prod along a dim at zeros": """
        m = T.tensor([[0.0, 0.0, 2.0, 0.0], [1.5, 0.0, 0.0, -1.0]], dtype=T.float64)
        g3 = T.func.jacfwd(T.func.jacrev(T.func.grad(lambda a: a.prod(1).sum())))(m)
        out = g3.round(decimals=12).tolist()
    """,
    "jacfwd of hessian through a setitem": """
        def h(a, b):
            v = T.cat([b * a, b * a])
            v[1] *= 3
            return (v ** 3).sum()
        hess = lambda b: T.func.hessian(h, argnums=0)(x[:1] + 0.8, b)
        out = T.func.jacfwd(hess)(x[0] + 0.5).reshape(-1).round(decimals=10).tolist()
    """,
}


@pytest.mark.parametrize("name", SNIPPETS)
def test_func_case_matches_pytorch(name: str) -> None:
    code = SNIPPETS[name]
    assert outcome(cr, code, PRELUDE) == outcome(torch, code, PRELUDE)
