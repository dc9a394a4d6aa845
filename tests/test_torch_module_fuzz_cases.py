"""Cases a fuzz of nn.Module's API and state against PyTorch found chainrule answering
differently: re-registering a name, casts, deepcopy, train() of overriding children, the
errors of attribute assignment and registration, and the order of an optimizer's state. Each
snippet runs with ``T`` as torch and as chainrule; what it leaves in ``out`` (or its error:
type and first line) must be the same."""

from __future__ import annotations

import pytest
import torch
from snippet_outcome import outcome

import chainrule as cr

PRELUDE = """
import copy
nn = T.nn
"""

SNIPPETS = {
    # a Parameter assigned over one keeps its place: it moved to the end, reordering
    # parameters() (an optimizer's order) and the state dict
    "parameter assigned again keeps its place": """
        m = nn.Linear(2, 2)
        m.weight = nn.Parameter(T.ones(2, 2))
        out = ([n for n, _ in m.named_parameters()], list(m.state_dict()))
    """,
    "tied weight keeps its place": """
        m = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
        m[1].weight = m[0].weight
        out = ([n for n, _ in m.named_parameters(remove_duplicate=False)], list(m.state_dict()))
    """,
    "child module assigned again keeps its place": """
        m = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
        setattr(m, "0", nn.Tanh())
        out = ([n for n, _ in m.named_children()], m)
    """,
    # Module.bfloat16 was missing (a module with nothing floating casts without error)
    "bfloat16 of a module without floating tensors": """
        m = nn.Module()
        m.register_buffer("n", T.tensor(3))
        out = (m.bfloat16() is m, m.n.dtype)
    """,
    # deepcopy of a Parameter copied its .grad: PyTorch's copies values and requires_grad
    "deepcopy of a module leaves out the gradients": """
        m = nn.Linear(2, 2)
        m.weight.grad = T.ones(2, 2)
        c = copy.deepcopy(m)
        out = (c.weight.grad, c.weight.requires_grad, m.weight.grad is not None)
    """,
    # train() calls each child's train(): an override (keeping a part frozen) was skipped
    "train() calls a child's own train()": """
        class Frozen(nn.Linear):
            def train(self, mode=True):
                return super().train(False)
        m = nn.Sequential(Frozen(2, 2), nn.Dropout())
        m.train()
        out = [x.training for x in m.modules()]
    """,
    # the errors name the value's type as torch.typename does
    "tensor assigned to a child module's name": """
        m = nn.Sequential(nn.ReLU())
        setattr(m, "0", T.ones(1))
    """,
    "number assigned to a buffer's name": """
        m = nn.BatchNorm1d(2)
        m.running_mean = 3
    """,
    "add_module of a tensor": """
        nn.Module().add_module("a", T.ones(1))
    """,
    # add_module looks for an existing attribute before it checks the name's form
    "add_module over an attribute whose name has a dot": """
        m = nn.Module()
        setattr(m, "a.b", 1)
        m.add_module("a.b", nn.ReLU())
    """,
    # "step" leads each parameter's optimizer state, as PyTorch's
    "Adam's state starts with step": """
        p = nn.Parameter(T.ones(2))
        o = T.optim.Adam([p], amsgrad=True)
        p.grad = T.ones(2)
        o.step()
        out = list(o.state_dict()["state"][0])
    """,
    "RMSprop's state starts with step": """
        p = nn.Parameter(T.ones(2))
        o = T.optim.RMSprop([p], momentum=0.5, centered=True)
        p.grad = T.ones(2)
        o.step()
        out = list(o.state_dict()["state"][0])
    """,
}


@pytest.mark.parametrize("name", SNIPPETS)
def test_module_case_matches_pytorch(name: str) -> None:
    code = SNIPPETS[name]
    assert outcome(cr, code, PRELUDE) == outcome(torch, code, PRELUDE)
