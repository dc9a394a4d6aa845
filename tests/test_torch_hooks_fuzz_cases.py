"""Cases a fuzz of autograd's hooks against PyTorch found chainrule answering differently: tensor
and node hooks, retain_grad, ``backward(inputs=...)``, ``autograd.Function`` outputs read again
by a double backward, and nn.Module backward hooks. Each snippet runs with ``T`` as torch and as
chainrule; what it leaves in ``out`` (values, gradients, what the hooks saw, or the error: type
and first line) must be the same."""

from __future__ import annotations

import pytest
import torch
from snippet_outcome import outcome

import chainrule as cr

# ``seen`` logs what each hook is given, as plain lists (None where a gradient is None)
PRELUDE = """
seen = []
def listed(ts):
    return [None if t is None else t.tolist() for t in ts]
"""

SNIPPETS = {
    # retain_grad follows the tensor through an in-place change made through its view: .grad is
    # its new value's gradient (chainrule kept it on the old node: zeros where a slice was set)
    **{
        f"retain_grad, then {change}": f"""
            x = T.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=T.float64, requires_grad=True)
            y = x * 2
            y.retain_grad()
            {change}
            w = T.arange(1.0, 7.0, dtype=T.float64).reshape(y.shape)
            (y * w).sum().backward()
            out = y.grad.tolist(), x.grad.tolist()
        """
        for change in ("y[:, :2] = 0.5", "y[0].mul_(2)", "y.mul_(3)", "y.t_()", "y[:, 1:].t_()")
    },
    # .grad was doubled: retain_grad's hook and the pass's own accumulation both added it
    "backward(inputs=) into a non-leaf that retains grad": """
        x = T.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        y.retain_grad()
        (y * y).sum().backward(inputs=[y])
        out = y.grad.tolist()
    """,
    # PyTorch's engine calls retain_grad() on each input: later backwards add to .grad too
    "backward(inputs=) makes a non-leaf retain grad": """
        x = T.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        (y * y).sum().backward(inputs=[y], retain_graph=True)
        first = (y.retains_grad, y.grad.tolist())
        (y * y).sum().backward()
        out = (first, y.grad.tolist(), x.grad.tolist())
    """,
    # retain_grad under create_graph: .grad keeps its graph (it was a constant: backward
    # through it raised)
    "retain_grad under create_graph keeps the graph": """
        x = T.tensor([1.0, 2.0], requires_grad=True)
        y = x * x
        y.retain_grad()
        (y * y).sum().backward(create_graph=True)
        flags = (y.grad.requires_grad, y.grad.grad_fn is not None)
        y.grad.sum().backward()
        out = (flags, x.grad.tolist())
    """,
    # a .grad with a graph is replaced by the sum in a later backward, not added to in place
    "retained grad with a graph, then a plain backward": """
        x = T.tensor([1.0, 2.0], requires_grad=True)
        y = x * x
        y.retain_grad()
        (y * y).sum().backward(create_graph=True, retain_graph=True)
        g = y.grad
        (y * 3).sum().backward()
        out = (y.grad is g, y.grad.requires_grad, y.grad.tolist(), g.tolist())
    """,
    # a node's pre-hook changes what its rule receives, not the tensor's gradient: retain_grad
    # stores the gradient before it, and autograd.grad returns that (it returned the change)
    "node pre-hook runs after retain_grad": """
        x = T.tensor([1.0, 2.0], requires_grad=True)
        y = x * x
        y.grad_fn.register_prehook(lambda go: (go[0] * 10,))
        y.retain_grad()
        (y * 3).sum().backward()
        out = (y.grad.tolist(), x.grad.tolist())
    """,
    "autograd.grad of an output whose node has a pre-hook": """
        x = T.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        y.grad_fn.register_prehook(lambda go: seen.append(listed(go)) or (go[0] * 10,))
        out = (T.autograd.grad((y * y).sum(), [y], retain_graph=True), seen)
        out += (T.autograd.grad((y * y).sum(), [y, x]), seen)
    """,
    # PyTorch's engine takes the gradient of an output asked for before the tensor's hooks
    # where its node's rule runs (another input lies behind it), after them where it does not
    "autograd.grad of an output with a tensor hook": """
        x = T.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        y.register_hook(lambda g: g * 10)
        out = (
            T.autograd.grad((y * y).sum(), [y], retain_graph=True),
            T.autograd.grad((y * y).sum(), [y, x]),
        )
    """,
    # backward(inputs=) runs the input's node hooks (its rule computing nothing)
    "backward(inputs=) runs the input's node hooks": """
        x = T.tensor([1.0, 2.0], requires_grad=True)
        y = x * x
        y.grad_fn.register_prehook(lambda go: seen.append(("pre", listed(go))))
        y.grad_fn.register_hook(lambda gi, go: seen.append(("post", listed(gi), listed(go))))
        (y * y).sum().backward(inputs=[y])
        out = (seen, x.grad)
    """,
    # a node's post-hook sees the input gradients in the inputs' shapes (summed back over
    # broadcast axes), and what it returns is taken in them (a broadcast shape was refused)
    "node post-hook sees gradients summed back": """
        a = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
        b = T.tensor([[1.0], [2.0]], requires_grad=True)
        y = a * b
        y.grad_fn.register_hook(lambda gi, go: seen.append(listed(gi)) or (gi[0] * 2, gi[1]))
        (y * y).sum().backward()
        out = (seen, a.grad.tolist(), b.grad.tolist())
    """,
    # ... and None for an input whose gradient the pass does not want
    "node post-hook sees None for an input not wanted": """
        a = T.tensor([1.0, 2.0], requires_grad=True)
        b = T.tensor([3.0, 4.0], requires_grad=True)
        y = a * b
        y.grad_fn.register_hook(lambda gi, go: seen.append(listed(gi)))
        out = (T.autograd.grad(y.sum(), [a]), seen)
    """,
    # an autograd.Function's saved output, read again by a double backward, passes the
    # output tensor's hooks (they were skipped: half the second-order gradient)
    "Function output saved and hooked, double backward": """
        class F(T.autograd.Function):
            @staticmethod
            def forward(ctx, x, y):
                outs = (x * y, x * x + y)
                ctx.save_for_backward(*outs)
                return outs
            @staticmethod
            def backward(ctx, g0, g1):
                seen.append(listed([g0, g1]))
                o0, o1 = ctx.saved_tensors
                return g0 * o0 + g1, None
        a = T.tensor([1.0, 2.0], requires_grad=True)
        b = T.tensor([3.0, 4.0], requires_grad=True)
        r = F.apply(a, b)
        r[0].register_hook(lambda g: g * 2)
        (g,) = T.autograd.grad((r[0] * 1.5).sum(), [a], create_graph=True)
        g.sum().backward()
        out = (g.tolist(), a.grad.tolist(), b.grad, seen)
    """,
    # a module's full backward hook gets zeros for a tensor input that requires no grad, where
    # another one does (PyTorch passes all of them through one node)
    "module backward hook: zeros for an input without grad": """
        class Two(T.nn.Module):
            def forward(self, a, b):
                return a * b
        m = Two()
        m.register_full_backward_hook(lambda mod, gi, go: seen.append(listed(gi)))
        x = T.tensor([1.0, 2.0], requires_grad=True)
        m(x, T.tensor([3.0, 4.0])).sum().backward()
        m(x, 3.0).sum().backward()
        out = seen
    """,
    # a module returns an alias of its output: an enclosing module's backward hooks see the
    # gradient of its output before the inner module's pre-hook changes it
    "nested module backward hooks see the outer output first": """
        inner = T.nn.Identity()
        outer = T.nn.Sequential(T.nn.Identity(), inner)
        inner.register_full_backward_pre_hook(lambda mod, go: (go[0] * 7,))
        outer.register_full_backward_hook(lambda mod, gi, go: seen.append(("outer", listed(go))))
        x = T.tensor([0.5, -1.0], requires_grad=True)
        y = outer(x)
        (y * y).sum().backward()
        out = (seen, x.grad.tolist())
    """,
    # A gradient a hook was given (or returned) became the leaf's .grad without a copy: a later
    # backward's accumulation, or x.grad.zero_(), changed the tensor the hook kept
    "a leaf's hook keeps its gradient through a second backward": """
        x = T.tensor([1.0, 2.0], requires_grad=True)
        kept = []
        x.register_hook(lambda g: kept.append(g))
        (x * 3).sum().backward()
        (x * 5).sum().backward()
        out = (kept[0].tolist(), x.grad.tolist())
    """,
    "a non-leaf's hook keeps its gradient through grad.zero_()": """
        x = T.tensor([1.0, 2.0], requires_grad=True)
        kept = []
        z = x + 1
        z.register_hook(lambda g: kept.append(g))
        (z * 3).sum().backward()
        x.grad.zero_()
        out = (kept[0].tolist(), x.grad.tolist())
    """,
    "a hook keeps the tensor it returns": """
        x = T.tensor([1.0, 2.0], requires_grad=True)
        kept = []
        def hook(g):
            kept.append(g * 2)
            return kept[-1]
        x.register_hook(hook)
        (x * 3).sum().backward()
        x.grad.add_(1)
        out = (kept[0].tolist(), x.grad.tolist())
    """,
    "a node post-hook keeps the gradients it is given": """
        x = T.tensor([1.0, 2.0], requires_grad=True)
        z = x + 1
        kept = []
        z.grad_fn.register_hook(lambda gi, go: kept.append((gi[0], go[0])))
        (z * 3).sum().backward()
        x.grad.zero_()
        out = ([t.tolist() for t in kept[0]], x.grad.tolist())
    """,
    "a node post-hook keeps the gradients it returns": """
        x = T.tensor([1.0, 2.0], requires_grad=True)
        z = x * 1
        kept = []
        def hook(gi, go):
            kept.append(gi[0] + 1)
            return (kept[-1], None)
        z.grad_fn.register_hook(hook)
        (z * 3).sum().backward()
        x.grad.zero_()
        out = (kept[0].tolist(), x.grad.tolist())
    """,
    # x and y get one array from the sum: x took it over as its .grad before y's hook kept
    # it, so the second backward's accumulation into x.grad changed the kept gradient
    "a leaf's hook keeps the gradient a sum gave another leaf first": """
        x = T.tensor([1.0, -2.0], requires_grad=True)
        y = T.tensor([3.0, 0.5], requires_grad=True)
        kept = []
        z = (x + y) * T.tensor([3.0, 4.0])
        y.register_hook(lambda g: kept.append(g))
        loss = (z * T.tensor([1.5, -0.5])).sum()
        loss.backward(retain_graph=True)
        loss.backward()
        out = (x.grad.tolist(), y.grad.tolist(), [k.tolist() for k in kept])
    """,
    # Under create_graph a leaf's first .grad was the gradient tensor itself, which a rule
    # passes to several inputs (x + y) and a hook may keep: x.grad.zero_() zeroed y.grad, and
    # clip_grad_norm_ scaled the shared tensor once per leaf. PyTorch's is a (recorded) copy.
    "under create_graph the leaves of a sum keep their own .grad": """
        x = T.tensor([1.0, 2.0], requires_grad=True)
        y = T.tensor([3.0, 4.0], requires_grad=True)
        (x + y).sum().backward(create_graph=True)
        shared = x.grad is y.grad
        x.grad.zero_()
        out = (shared, x.grad.tolist(), y.grad.tolist())
    """,
    "under create_graph clip_grad_norm_ scales each leaf's .grad once": """
        x = T.tensor([1.0, 2.0], requires_grad=True)
        y = T.tensor([3.0, 4.0], requires_grad=True)
        ((x + y) * T.tensor([3.0, 4.0])).sum().backward(create_graph=True)
        T.nn.utils.clip_grad_norm_([x, y], 1.0)
        out = (x.grad.tolist(), y.grad.tolist())
    """,
    "under create_graph a leaf's .grad is a recorded copy": """
        x = T.tensor([1.0, 2.0], requires_grad=True)
        y = T.tensor([3.0, 4.0], requires_grad=True)
        (x * y).sum().backward(create_graph=True)
        name = x.grad.grad_fn.name()
        x.grad.sum().backward()
        out = (name, x.grad.tolist(), y.grad.tolist())
    """,
    "under create_graph a non-leaf's hook keeps its gradient through grad.zero_()": """
        x = T.tensor([1.0, 2.0], requires_grad=True)
        kept = []
        z = x + 1
        z.register_hook(lambda g: kept.append(g))
        (z * 3).sum().backward(create_graph=True)
        x.grad.zero_()
        out = (kept[0].tolist(), x.grad.tolist())
    """,
    # A node post-hook's result was taken as it came: too few values were used, a list taken
    # for a tuple, a value where the gradient was None ignored
    **{
        f"a node post-hook returns {what}": f"""
            x = T.tensor([1.0, 2.0], requires_grad=True)
            z = x * 1
            z.grad_fn.register_hook(lambda gi, go: {result})
            (z * 3).sum().backward()
            out = None if x.grad is None else x.grad.tolist()
        """
        for what, result in {
            "one value of two": "(gi[0] + 1,)",
            "three values of two": "(gi[0] + 1, None, None)",
            "no values": "()",
            "a tensor": "gi[0] + 1",
            "a list": "[gi[0] + 1, None]",
            "a value for a None gradient": "(gi[0] + 1, T.ones(2))",
            "a number for a None gradient": "(gi[0] + 1, 5)",
            "a number for a gradient": "(5, None)",
            "None for every gradient": "(None, None)",
        }.items()
    },
}


@pytest.mark.filterwarnings("ignore::UserWarning")  # PyTorch's on a non-leaf's .grad
@pytest.mark.parametrize("name", SNIPPETS)
def test_hook_case_matches_pytorch(name: str) -> None:
    code = SNIPPETS[name]
    assert outcome(cr, code, PRELUDE) == outcome(torch, code, PRELUDE)
