"""Cases a fuzz of views, in-place changes and grad modes against PyTorch found chainrule answering
differently: which refusal comes first (autograd's, then the kernel's overlap checks), setitem
with a key that takes the whole tensor, views taken or changed with recording off, and the
roots and inputs that ``autograd.grad`` refuses. Each snippet runs with ``T`` as torch and as
chainrule; what it leaves in ``out`` (values, gradients, flags, or the error: type and first
line) must be the same."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from fuzz_programs import UndefinedOrder, differences, run
from snippet_outcome import outcome

import chainrule as cr

# ``tried`` runs each snippet line and lists what it gave: "ok", or the error's first words
PRELUDE = """
def tried(*lines, **names):
    said = []
    for line in lines:
        try:
            exec(line, globals(), dict(names))
            said.append("ok")
        except Exception as e:
            said.append(f"{type(e).__name__}: {str(e)[:60]}")
    return said
"""

SNIPPETS = {
    # PyTorch's engine refuses an output without grad before an input without grad
    "autograd.grad: the output is refused first": """
        x = T.tensor([1.0, 2.0], requires_grad=True)
        with T.no_grad():
            y = (x * 2).sum()
        out = T.autograd.grad(y, [T.ones(2)])
    """,
    # ... naming which of the outputs (it was always "element 0")
    "backward of several roots names the one without grad": """
        x = T.tensor([1.0, 2.0], requires_grad=True)
        T.autograd.backward([x.sum(), T.ones(2).sum()])
    """,
    # setitem with ... or whole slices writes into the tensor itself, not through a view
    "setitem of a leaf by a key that takes all of it": """
        x = T.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        keys = ["...", ":", "0:5", "()", ":, :", "..., 0:2", "0:2:1, ...", "-2:", ":, 0:0"]
        out = tried(*[f"x[{key}] = 1.0" for key in keys], x=x)
    """,
    "setitem of a whole tensor onto itself": """
        x = T.tensor([[-0.98]], dtype=T.float64)
        x[...] = x
        y = T.tensor([1.0, 2.0])
        y[:] = y
        out = (x, y, x._version, y._version)
    """,
    "setitem of a whole non-leaf: its own history, no CopySlices": """
        x = T.tensor([1.0, 2.0], requires_grad=True)
        y = x * 1
        y[:] = x * 3
        name = y.grad_fn.name()
        (y * y).sum().backward()
        out = (name, y, x.grad)
    """,
    # autograd's refusal of the leaf comes before the kernel's overlap check
    "a leaf written with itself through a view": """
        x = T.tensor([[1.41]], dtype=T.float64, requires_grad=True)
        x[0] = x
    """,
    "sub_ with alpha of a leaf and its own transpose": """
        x = T.tensor([[1.04], [-0.15]], dtype=T.float64, requires_grad=True)
        x.sub_(x.t(), alpha=2)
    """,
    # a (2, 1) and its transpose lie on the same memory with the same strides: PyTorch's
    # overlap check lets them pass, to the check of the shapes
    "sub_ of a column by its own transpose": """
        x = T.tensor([[1.04], [-0.15]], dtype=T.float64, requires_grad=True)
        y = x * 1
        out = tried("y.sub_(y.t(), alpha=2)", "y.t().mul_(y)", "y.add_(y.t())", y=y)
    """,
    # the strides of a dim of size 1 count too: a (2, 1) and its [..., ::2] lie on the same
    # memory with other strides there, a partial overlap; NumPy's stride 0 of x[:, None] (and
    # of broadcast_to) does not, where PyTorch's unsqueeze has another
    "in-place ops with an operand whose dim of size 1 steps otherwise": """
        y = T.tensor([[1.0], [2.0]])
        r = T.zeros(1, 3)
        v = T.tensor([1.0, 2.0])
        out = tried(
            "y.add_(y[..., ::2])",
            "y.copy_(y[..., ::2])",
            "y.mul_(y.as_strided((2, 1), (1, 3)))",
            "r.add_(r[::2])",
            "r.T.add_(r.T[:, ::5])",
            "T.zeros(2, 1, 3).add_(T.zeros(2, 1, 3)[:, ::2])",
            "y.add_(y[:, :])",
            "v.unsqueeze(1).add_(v[:, None])",
            "v.view(2, 1).add_(v.unsqueeze(1))",
            "q = T.ones(1, 1); q[...] = q",
            y=y, r=r, v=v, T=T,
        )
        out.append(y)
    """,
    # a transpose of a contiguous tensor is dense too: its overlap with the tensor is refused
    "mul_ of a transpose by the tensor it views": """
        a = T.ones(2, 4, 2)
        a.transpose(1, 0).mul_(a)
    """,
    # split and unbind with recording off make no_grad views, not multi-output ones
    "unbind's output taken with recording off, changed with it on": """
        x = T.tensor([1.0, 2.0], requires_grad=True)
        with T.no_grad():
            a = x.unbind(0)[0]
            b = x.split(1)[1]
        out = tried("a.mul_(2)", "b.unsqueeze(0)[0] = 0.5", a=a, b=b)
    """,
    # a view of a no_grad view is named by its node only where it has one (its base requires
    # grad); else it is "A view" as its base
    "views of no_grad views changed with recording on": """
        x = T.tensor([0.92, 0.5])
        with T.no_grad():
            v = x.view(-1)
        w = T.tensor([1.0, 2.0], requires_grad=True)
        y = w * 1
        with T.no_grad():
            u = y[:]
        out = tried("v.expand(3, 2).mul_(w)", "v[0:1].mul_(w[0])", "u[0:1].mul_(2)", v=v, w=w, u=u)
    """,
    # PyTorch makes a view's grad_fn anew when it is read, in any grad mode
    "grad_fn of an unbind output read after a change under no_grad": """
        x = T.tensor([1.0, 2.0], requires_grad=True)
        y = x * 1
        a, b = y.unbind(0)
        with T.no_grad():
            y.mul_(2)
            out = a.grad_fn
    """,
    "is_leaf of a no_grad view read after its base changed": """
        x = T.tensor([[1.0, 2.0]], requires_grad=True)
        with T.no_grad():
            v = x.mT
            v.sigmoid_()
            out = v.is_leaf
    """,
    "a view of an unbind output changed under no_grad": """
        x = T.tensor([[[-0.23, 1.56, 0.22]], [[0.65, 1.5, -1.46]]], requires_grad=True)
        d = x.unbind(1)[0].diagonal(1, 1, 0)
        with T.no_grad():
            d[0] = -0.17
            out = d.grad_fn
    """,
    # an in-place op's operand that is a view its base's change left behind is refused before
    # the overlap check of the kernel
    "mul_ by an unbind output after its base changed": """
        x = T.tensor([0.7, 1.5], requires_grad=True)
        y = x * 2
        b = y.unbind(0)[1]
        y[1:].mul_(2)
        y.mul_(b)
    """,
    # an unfold of an expanded view is read-only in NumPy; its memory is writeable
    "index_put_ into an unfold of an expand": """
        x = T.tensor([[1.0, 2.0, 3.0]], dtype=T.float64, requires_grad=True)
        y = x * 1
        w = y.expand(1, 3).unfold(1, 2, 1)
        w[0, 0] = T.tensor([5.0, 6.0], dtype=T.float64)
        w.index_put_((T.tensor([0]),), T.tensor(-0.5, dtype=T.float64))
        (y * y).sum().backward()
        out = (y, x.grad)
    """,
    # a view with history of a leaf that no longer requires grad: refused (it was changed, and
    # the leaf got a history)
    "a view of a leaf that stopped requiring grad": """
        x = T.tensor([1.0, 2.0], requires_grad=True)
        v = x[:1]
        x.requires_grad_(False)
        v.mul_(2)
    """,
    "a view made to require grad, of a leaf": """
        x = T.tensor([1.0, 2.0])
        v = x[:1]
        v.requires_grad_()
        v.fill_(1.0)
    """,
}


@pytest.mark.parametrize("name", SNIPPETS)
def test_view_inplace_case_matches_pytorch(name: str) -> None:
    code = SNIPPETS[name]
    assert outcome(cr, code, PRELUDE) == outcome(torch, code, PRELUDE)


def test_an_operand_overlapping_its_target_where_pytorch_cannot_tell() -> None:
    """A named difference: ``y.add_(y[..., ::2])`` of a (2, 2) ``y``, whose operand is not
    dense, passes PyTorch's overlap check, and PyTorch's kernel then adds the new ``y[:, 0]``
    to ``y[:, 1]`` (its loop order); chainrule reads the operand before it writes, as NumPy
    buffers an overlap. The fuzzer leaves such programs out (``fuzz_programs.UndefinedOrder``),
    not those whose overlap PyTorch can tell (a (2, 1) ``y``: both refuse it)."""
    lines = ["v1 = v0 * 1", "v2 = v1[..., ::2]", "v1.add_(v2)"]
    square = [np.array([[1.0, 10.0], [100.0, 1000.0]])]
    read_first = [[2.0, 11.0], [200.0, 1100.0]]
    assert run(lines, square, (True,), cr).values["v1"].tolist() == read_first
    with pytest.raises(UndefinedOrder):
        run(lines, square, (True,), torch)
    y = torch.tensor(square[0])
    y.add_(y[..., ::2])
    assert y.tolist() != read_first  # [[2, 12], [200, 1200]] with torch 2.13
    assert differences(lines, [np.array([[1.0], [2.0]])], (True,)) == []


@pytest.mark.parametrize(
    "line",
    ["v1.lerp_(v2, 0.25)", "v1.addcmul_(v0, v2)", "v1.lerp_(v0, v2)"],
)
def test_any_operand_overlapping_its_target_is_left_out(line: str) -> None:
    """The same for an in-place op with any tensor operand, in any position (the fuzzer met
    ``v3.lerp_(v3.select(-1, 0), 0.25)``: PyTorch's kernel read the new ``v3[1, 0]`` for
    ``v3[1, 1]``, 0.80425 where reading first gives 1.09525): chainrule reads first, and the
    program is not compared."""
    lines = ["v1 = v0 * 1", "v2 = v1.select(-1, 0)", line]
    square = [np.array([[1.0, 10.0], [100.0, 1000.0]])]
    assert run(lines, square, (True,), cr).error_line is None
    with pytest.raises(UndefinedOrder):
        run(lines, square, (True,), torch)
