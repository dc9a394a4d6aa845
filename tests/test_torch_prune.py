"""``torch.nn.utils.prune`` against PyTorch: the pruning methods and functions, iterative pruning
(a PruningContainer), global pruning, ``remove`` and the validation errors.

Each snippet runs with ``prune`` as ``torch.nn.utils.prune`` and ``T`` as torch, then as
chainrule's; what it leaves in ``out`` (masks, pruned tensors, the original's gradients, state
dict keys and values, parameter and buffer names, the pruning hooks, or the error: type and
first line) must be the same. The weights are tie-free (distinct magnitudes, distinct channel
norms): where entries tie, which of them ``topk`` prunes is the kernel's choice, not PyTorch's
contract. Random pruning draws from the seeded generator, which gives PyTorch's numbers.
"""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest
import torch
import torch.nn.utils.prune
from snippet_outcome import outcome

import chainrule as cr

PRELUDE = """
inf = float("inf")
T.manual_seed(0)

def fill(*tensors):
    # tie-free values: distinct magnitudes k/100 (k = 1..101), alternating signs
    with T.no_grad():
        for t in tensors:
            n = t.numel()
            vals = [((k * 37) % 101 + 1) * (-1) ** k / 100 for k in range(n)]
            t.copy_(T.tensor(vals, dtype=t.dtype).reshape(t.shape))

def linear(i=4, o=3, bias=True):
    m = T.nn.Linear(i, o, bias=bias).double()
    fill(*m.parameters())
    return m

def conv():
    m = T.nn.Conv2d(2, 3, 2).double()
    fill(m.weight, m.bias)
    return m

def vals(t):
    # rounded: a forward's sums may differ in their last bits
    return None if t is None else [round(v, 9) for v in t.detach().reshape(-1).tolist()]

def hooks(m):
    return [type(x).__name__ for x in m._forward_pre_hooks.values()]

def names(m):
    return ([n for n, _ in m.named_parameters()], [n for n, _ in m.named_buffers()])

def state(m):
    return {k: vals(v) for k, v in m.state_dict().items()}

def seen(m):
    return (names(m), hooks(m), state(m), vals(getattr(m, "weight", None)))

def backward(m, x):
    y = m(x)
    (y * T.arange(1.0, y.numel() + 1, dtype=y.dtype).reshape(y.shape)).sum().backward()
    return {n: vals(p.grad) for n, p in m.named_parameters()}

def x_linear(i=4):
    return T.arange(-3.0, 2 * i - 3, dtype=T.float64).reshape(2, i)

def x_conv():
    return T.arange(-9.0, 9.0, dtype=T.float64).reshape(1, 2, 3, 3) / 4
"""

SNIPPETS = {
    # ---------------------------------------------------------------- l1_unstructured
    "l1_unstructured int amount: names, hook, state dict": """
        m = prune.l1_unstructured(linear(), "weight", amount=3)
        out = (seen(m), type(m.weight).__name__, type(m.weight_orig).__name__)
    """,
    "l1_unstructured float amount rounds with round()": """
        out = [vals(prune.l1_unstructured(linear(), "weight", amount=a).weight_mask)
               for a in (0.3, 0.5, 0.125, 0.375, 0.625)]
    """,
    "l1_unstructured half-way amounts round to even": """
        out = [vals(prune.l1_unstructured(linear(2, 3), "weight", amount=a).weight_mask)
               for a in (0.25, 0.75, 1 / 12)]
    """,
    "amount 0, 0.0, 1.0, the whole size": """
        out = [seen(prune.l1_unstructured(linear(), "weight", amount=a))
               for a in (0, 0.0, 1.0, 12)]
    """,
    "amount an int larger than the tensor": """
        out = prune.l1_unstructured(linear(), "weight", amount=13)
    """,
    "a refused amount leaves the parameter (moved last)": """
        m = linear()
        try:
            prune.l1_unstructured(m, "weight", amount=13)
        except ValueError as e:
            out = (str(e), seen(m), type(m.weight).__name__)
    """,
    "negative int amount": """
        prune.l1_unstructured(linear(), "weight", amount=-1)
    """,
    "negative float amount": """
        prune.l1_unstructured(linear(), "weight", amount=-0.1)
    """,
    "float amount above 1": """
        prune.l1_unstructured(linear(), "weight", amount=1.5)
    """,
    "amount of a wrong type": """
        prune.l1_unstructured(linear(), "weight", amount="half")
    """,
    "amount a tensor": """
        prune.L1Unstructured(T.tensor(0.5))
    """,
    "l1_unstructured with importance_scores": """
        scores = T.arange(12.0, dtype=T.float64).reshape(3, 4).flip(0)
        m = prune.l1_unstructured(linear(), "weight", amount=5, importance_scores=scores)
        out = seen(m)
    """,
    "importance_scores of another shape": """
        prune.l1_unstructured(linear(), "weight", 2, importance_scores=T.ones(4, 3))
    """,
    "pruning a name the module lacks": """
        prune.l1_unstructured(linear(), "weights", amount=2)
    """,
    "an amount error comes before a missing name": """
        prune.l1_unstructured(linear(), "weights", amount=-2)
    """,
    "pruning a buffer": """
        m = T.nn.BatchNorm1d(3)
        prune.l1_unstructured(m, "running_mean", amount=1)
    """,
    # ---------------------------------------------------------------- the forward pre-hook
    "gradients reach weight_orig masked": """
        m = prune.l1_unstructured(linear(), "weight", amount=0.5)
        out = (backward(m, x_linear()), vals(m.weight_mask), m.weight_mask.requires_grad)
    """,
    "the pruned weight is recomputed before each forward": """
        m = prune.l1_unstructured(linear(), "weight", amount=4)
        stale = m.weight
        with T.no_grad():
            m.weight_orig.mul_(2)
        before = vals(m.weight)
        y = m(x_linear())
        out = (before, vals(m.weight), m.weight is stale, vals(y))
    """,
    "the hook object and its attributes": """
        m = linear()
        method = prune.L1Unstructured.apply(m, "weight", amount=2)
        h = m._forward_pre_hooks
        hook = list(h.values() if hasattr(h, "values") else h)[0]
        out = (hook is method, method._tensor_name, method.amount, method.PRUNING_TYPE,
               len(h), prune.is_pruned(m))
    """,
    "the pruned weight's autograd": """
        m = prune.l1_unstructured(linear(), "weight", amount=2)
        out = (m.weight.requires_grad, m.weight.is_leaf, m.weight_orig.is_leaf,
               m.weight.grad_fn.name())
    """,
    "parameters() gives weight_orig to an optimizer": """
        m = prune.l1_unstructured(linear(), "weight", amount=5)
        out = [tuple(p.shape) for p in m.parameters()]
        out += [p is m.weight_orig for p in m.parameters()]
    """,
    # ---------------------------------------------------------------- remove
    "remove makes the pruned tensor the parameter": """
        m = prune.l1_unstructured(linear(), "weight", amount=5)
        orig = m.weight_orig
        prune.remove(m, "weight")
        out = (seen(m), m.weight is orig, type(m.weight).__name__, prune.is_pruned(m),
               m.weight.requires_grad, hasattr(m, "weight_mask"))
    """,
    "remove after pruning twice": """
        m = prune.l1_unstructured(linear(), "weight", amount=3)
        prune.random_unstructured(m, "weight", amount=0.5)
        out = seen(prune.remove(m, "weight"))
    """,
    "remove of one of two pruned tensors": """
        m = prune.l1_unstructured(linear(), "weight", amount=3)
        prune.l1_unstructured(m, "bias", amount=1)
        prune.remove(m, "bias")
        out = (seen(m), prune.is_pruned(m))
    """,
    "remove of an unpruned parameter": """
        prune.remove(linear(), "weight")
    """,
    "remove twice": """
        m = prune.remove(prune.l1_unstructured(linear(), "weight", 1), "weight")
        prune.remove(m, "weight")
    """,
    "the method's own remove keeps its hook": """
        m = linear()
        method = prune.L1Unstructured.apply(m, "weight", amount=2)
        method.remove(m)
        out = (seen(m), prune.is_pruned(m))
    """,
    "apply_mask of a method never applied": """
        prune.L1Unstructured(0.5).apply_mask(linear())
    """,
    # ---------------------------------------------------------------- iterative pruning
    "two l1_unstructured in a row": """
        m = prune.l1_unstructured(linear(), "weight", amount=3)
        first = vals(m.weight_mask)
        prune.l1_unstructured(m, "weight", amount=0.5)
        h = m._forward_pre_hooks
        container = list(h.values() if hasattr(h, "values") else h)[0]
        out = (first, seen(m), len(container), [type(p).__name__ for p in container],
               container._tensor_name, backward(m, x_linear()))
    """,
    "random_structured then l1_unstructured": """
        m = prune.random_structured(linear(), "weight", amount=1, dim=1)
        first = vals(m.weight_mask)
        prune.l1_unstructured(m, "weight", amount=4)
        out = (first, seen(m))
    """,
    "l1_unstructured then ln_structured: channels still kept": """
        m = prune.l1_unstructured(linear(), "weight", amount=4)
        prune.ln_structured(m, "weight", amount=1, n=2, dim=0)
        first = vals(m.weight_mask)
        prune.ln_structured(m, "weight", amount=1, n=1, dim=-1)
        out = (first, seen(m))
    """,
    "ln_structured twice along dim 0": """
        m = prune.ln_structured(linear(4, 5), "weight", amount=2, n=2, dim=0)
        prune.ln_structured(m, "weight", amount=0.5, n=1, dim=0)
        out = seen(m)
    """,
    "three prunings grow one container": """
        m = prune.l1_unstructured(linear(), "weight", amount=2)
        prune.random_unstructured(m, "weight", amount=2)
        prune.custom_from_mask(m, "weight", T.eye(3, 4))
        h = m._forward_pre_hooks
        container = list(h.values() if hasattr(h, "values") else h)[0]
        out = (seen(m), [type(p).__name__ for p in container], container[-1].PRUNING_TYPE)
    """,
    "a second pruning with a refused amount drops the first hook": """
        m = prune.l1_unstructured(linear(), "weight", amount=2)
        try:
            prune.l1_unstructured(m, "weight", amount=-2)
        except ValueError:
            pass
        out = (seen(m), prune.is_pruned(m))
    """,
    "a second pruning of too many entries": """
        m = prune.l1_unstructured(linear(), "weight", amount=8)
        prune.l1_unstructured(m, "weight", amount=5)
    """,
    # ---------------------------------------------------------------- random pruning
    "random_unstructured": """
        out = [seen(prune.random_unstructured(linear(), "weight", amount=a))
               for a in (0.5, 5, 0, 1.0)]
    """,
    "random_structured along dims": """
        out = [seen(prune.random_structured(linear(), "weight", amount=a, dim=d))
               for a, d in ((1, 0), (2, 1), (0.5, -1), (0, 0), (1.0, 1))]
    """,
    "random_structured of a 1-d tensor": """
        prune.random_structured(linear(), "bias", amount=1, dim=0)
    """,
    "random_structured along a dim too large": """
        prune.random_structured(linear(), "weight", amount=1, dim=2)
    """,
    # ---------------------------------------------------------------- ln_structured
    "ln_structured n=1, 2, inf, -inf, fro along dims": """
        out = [vals(prune.ln_structured(linear(5, 4), "weight", amount=a, n=n, dim=d).weight_mask)
               for n in (1, 2, inf, -inf, "fro") for a, d in ((2, 0), (0.4, 1), (3, -1))]
    """,
    "ln_structured of a Conv2d weight over dims": """
        out = [vals(prune.ln_structured(conv(), "weight", amount=1, n=n, dim=d).weight_mask)
               for n in (1, 2, inf, -inf) for d in (0, 1, 3, -2)]
    """,
    "ln_structured n=nuc of a 3-d tensor": """
        m = T.nn.Module()
        m.weight = T.nn.Parameter(T.zeros(3, 2, 4, dtype=T.float64))
        fill(m.weight)
        out = seen(prune.ln_structured(m, "weight", amount=1, n="nuc", dim=0))
    """,
    "ln_structured fro over three dims": """
        prune.ln_structured(conv(), "weight", amount=1, n="fro", dim=0)
    """,
    "ln_structured amount 0 and 1.0": """
        out = [seen(prune.ln_structured(linear(), "weight", amount=a, n=2, dim=0))
               for a in (0, 0.0, 1.0, 3)]
    """,
    "ln_structured too many channels": """
        prune.ln_structured(linear(), "weight", amount=4, n=2, dim=0)
    """,
    "ln_structured of a 1-d tensor": """
        prune.ln_structured(linear(), "bias", amount=1, n=2, dim=0)
    """,
    "ln_structured along a dim too large": """
        prune.ln_structured(linear(), "weight", amount=1, n=2, dim=2)
    """,
    "ln_structured along a dim too negative": """
        prune.ln_structured(linear(), "weight", amount=1, n=2, dim=-3)
    """,
    "ln_structured with importance_scores": """
        scores = T.arange(12.0, dtype=T.float64).reshape(3, 4).flip(1)
        m = prune.ln_structured(linear(), "weight", 2, n=1, dim=1, importance_scores=scores)
        out = seen(m)
    """,
    # ---------------------------------------------------------------- Conv2d and bias
    "Conv2d weight and bias pruned, forward and backward": """
        m = prune.l1_unstructured(conv(), "weight", amount=0.4)
        prune.l1_unstructured(m, "bias", amount=1)
        out = (seen(m), vals(m.bias), backward(m, x_conv()))
    """,
    # ---------------------------------------------------------------- custom_from_mask, identity
    "custom_from_mask": """
        mask = T.tensor([[1.0, 0, 1, 0], [0, 0, 1, 1], [1, 1, 1, 0]])
        m = prune.custom_from_mask(linear(), "weight", mask)
        out = (seen(m), backward(m, x_linear()))
    """,
    "custom_from_mask of a bool mask": """
        m = prune.custom_from_mask(linear(), "bias", T.tensor([True, False, True]))
        out = (seen(m), vals(m.bias), str(m.bias_mask.dtype))
    """,
    "custom_from_mask of another shape": """
        prune.custom_from_mask(linear(), "weight", T.ones(4, 3))
    """,
    "identity": """
        out = (seen(prune.identity(linear(), "weight")), str(linear().weight.dtype))
    """,
    # ---------------------------------------------------------------- global_unstructured
    "global_unstructured over two layers": """
        a, b = linear(), linear(3, 2)
        with T.no_grad():
            b.weight.mul_(1.1)
        prune.global_unstructured([(a, "weight"), (b, "weight")], prune.L1Unstructured,
                                  amount=0.5)
        out = (seen(a), seen(b))
    """,
    "global_unstructured with importance_scores": """
        a, b = linear(), linear(3, 2)
        scores = {(a, "weight"): T.arange(12.0, dtype=T.float64).reshape(3, 4),
                  (b, "bias"): T.tensor([100.0, -100.0], dtype=T.float64)}
        params = [(a, "weight"), (b, "weight"), (b, "bias")]
        prune.global_unstructured(params, prune.L1Unstructured, importance_scores=scores,
                                  amount=9)
        out = (seen(a), seen(b), vals(b.bias_mask))
    """,
    "global_unstructured after a pruning": """
        a, b = linear(), linear(3, 2)
        prune.l1_unstructured(a, "weight", amount=6)
        prune.global_unstructured([(a, "weight"), (b, "weight")], prune.L1Unstructured,
                                  amount=4)
        h = a._forward_pre_hooks
        container = list(h.values() if hasattr(h, "values") else h)[0]
        out = (seen(a), seen(b), [type(p).__name__ for p in container])
    """,
    "global_unstructured at random": """
        a, b = linear(), linear(3, 2)
        prune.global_unstructured([(a, "weight"), (b, "bias")], prune.RandomUnstructured,
                                  amount=0.5)
        out = (seen(a), vals(b.bias_mask))
    """,
    "global_unstructured of a structured method": """
        prune.global_unstructured([(linear(), "weight")], prune.RandomStructured, amount=1)
    """,
    "global_unstructured of a non-iterable": """
        prune.global_unstructured(linear(), prune.L1Unstructured, amount=1)
    """,
    "global_unstructured with importance_scores a list": """
        m = linear()
        prune.global_unstructured([(m, "weight")], prune.L1Unstructured,
                                  importance_scores=[T.ones(3, 4)], amount=1)
    """,
    "global_unstructured of too many": """
        prune.global_unstructured([(linear(), "weight")], prune.L1Unstructured, amount=20)
    """,
    # ---------------------------------------------------------------- the classes directly
    "prune() of a tensor with default_mask and importance_scores": """
        t = T.tensor([3.0, -1.0, 2.0, 0.5, -4.0])
        method = prune.L1Unstructured(amount=2)
        out = (vals(method.prune(t)),
               vals(method.prune(t, default_mask=T.tensor([1.0, 1, 0, 1, 1]))),
               vals(method.prune(t, importance_scores=T.tensor([5.0, 4, 3, 2, 1]))))
    """,
    "prune() with importance_scores of another shape": """
        prune.L1Unstructured(amount=2).prune(T.ones(4), importance_scores=T.ones(2, 2))
    """,
    "PruningContainer compute_mask by PRUNING_TYPE": """
        t = T.tensor([[3.0, -1.0, 2.0], [0.5, -4.0, 1.5]])
        mask = T.tensor([[1.0, 0, 1], [1, 0, 1]])
        out = []
        for method in (prune.L1Unstructured(2), prune.LnStructured(1, 2, dim=1),
                       prune.LnStructured(1, 1, dim=-2), prune.CustomFromMask(T.eye(2, 3))):
            method._tensor_name = "w"
            out.append(vals(prune.PruningContainer(method).compute_mask(t, mask)))
    """,
    "PruningContainer of a structured method without dim": """
        class NoDim(prune.BasePruningMethod):
            PRUNING_TYPE = "structured"
            def compute_mask(self, t, default_mask):
                return default_mask
        method = NoDim()
        method._tensor_name = "w"
        prune.PruningContainer(method).compute_mask(T.ones(2, 2), T.ones(2, 2))
    """,
    "PruningContainer of an unknown PRUNING_TYPE": """
        class Odd(prune.BasePruningMethod):
            PRUNING_TYPE = "sideways"
            def compute_mask(self, t, default_mask):
                return default_mask
        method = Odd()
        method._tensor_name = "w"
        prune.PruningContainer(method).compute_mask(T.ones(2), T.ones(2))
    """,
    "PruningContainer adding a non-method": """
        method = prune.Identity()
        method._tensor_name = "w"
        prune.PruningContainer(method).add_pruning_method(3)
    """,
    "PruningContainer adding a method of another tensor": """
        a, b = prune.Identity(), prune.Identity()
        a._tensor_name, b._tensor_name = "w", "b"
        prune.PruningContainer(a).add_pruning_method(b)
    """,
    "PruningContainer of two methods": """
        a, b = prune.Identity(), prune.Identity()
        a._tensor_name = b._tensor_name = "w"
        prune.PruningContainer(a, b)
    """,
    "BasePruningMethod is abstract": """
        prune.BasePruningMethod()
    """,
    "a custom pruning method, as the tutorial's": """
        class EveryOther(prune.BasePruningMethod):
            PRUNING_TYPE = "unstructured"
            def compute_mask(self, t, default_mask):
                mask = default_mask.clone()
                mask.view(-1)[::2] = 0
                return mask
        m = prune.l1_unstructured(linear(), "bias", amount=1)
        EveryOther.apply(m, "bias")
        out = (seen(m), vals(m.bias_mask), hooks(m))
    """,
    "is_pruned of nested modules": """
        net = T.nn.Sequential(linear(), T.nn.Sequential(T.nn.ReLU(), linear(3, 2)))
        before = prune.is_pruned(net)
        prune.identity(net[1][1], "bias")
        out = (before, prune.is_pruned(net), prune.is_pruned(net[0]), names(net))
    """,
    "load_state_dict into a pruned module": """
        a = prune.l1_unstructured(linear(), "weight", amount=5)
        b = prune.identity(T.nn.Linear(4, 3).double(), "weight")
        b.load_state_dict(a.state_dict())
        out = (vals(b(x_linear())), state(b))
    """,
    # ---------------------------------------------------------------- the tutorial's flow
    "the tutorial: prune, an SGD step, remove, state_dict": """
        class LeNet(T.nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = T.nn.Conv2d(1, 3, 3)
                self.fc1 = T.nn.Linear(3 * 2 * 2, 4)

            def forward(self, x):
                x = T.nn.functional.max_pool2d(T.nn.functional.relu(self.conv1(x)), 2)
                return self.fc1(x.view(-1, 12))

        model = LeNet().double()
        module = model.conv1
        prune.random_unstructured(module, name="weight", amount=0.3)
        prune.l1_unstructured(module, name="bias", amount=1)
        prune.ln_structured(module, name="weight", amount=0.5, n=2, dim=0)
        prune.global_unstructured([(model.fc1, "weight"), (model.fc1, "bias")],
                                  pruning_method=prune.L1Unstructured, amount=0.2)
        keys = list(model.state_dict().keys())
        opt = T.optim.SGD(model.parameters(), lr=0.1)
        x = T.arange(72.0, dtype=T.float64).reshape(2, 1, 6, 6).cos()
        loss = (model(x) ** 2).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        grads = {n: vals(p.grad) for n, p in model.named_parameters()}
        y = model(x)
        for m, name in ((module, "weight"), (module, "bias"), (model.fc1, "weight")):
            prune.remove(m, name)
        out = (keys, round(loss.item(), 9), grads, vals(y), hooks(module), hooks(model.fc1),
               names(model), state(model))
    """,
}


@pytest.mark.parametrize("name", SNIPPETS)
def test_prune_case_matches_pytorch(name: str) -> None:
    code = SNIPPETS[name]
    ours = outcome(cr, code, PRELUDE, prune=importlib.import_module("chainrule.nn.utils.prune"))
    theirs = outcome(torch, code, PRELUDE, prune=torch.nn.utils.prune)
    assert ours == theirs


def test_prune_is_an_attribute_of_nn_utils_loaded_on_first_use() -> None:
    # ``import chainrule`` does not load it (its import time stays), ``nn.utils.prune`` does
    code = (
        "import sys, chainrule; "
        "print('chainrule.nn.utils.prune' in sys.modules, 'prune' in dir(chainrule.nn.utils), "
        "chainrule.nn.utils.prune is sys.modules['chainrule.nn.utils.prune'])"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.split() == ["False", "True", "True"]
