"""nn.Module's and the containers' API against PyTorch: traversal (duplicates, prefixes,
remove_duplicate), registration and its errors, attribute assignment, train/eval, casts (``to``,
``double``, ``half``, ``type``), zero_grad, deepcopy, and Sequential/ModuleList/ModuleDict/
ParameterList editing. Each snippet runs with ``T`` as torch and as chainrule; what it leaves in
``out`` (or its error: type and first line) must be the same."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import torch
from snippet_outcome import outcome

import chainrule as cr

SNIPPETS = [
    """
    m = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    out = [n for n, _ in m.named_parameters()]
    """,
    """
    l = nn.Linear(2, 2)
    m = nn.Sequential(l, l)
    out = (len(list(m.parameters())), [n for n, _ in m.named_parameters()], len(list(m.modules())))
    """,
    """
    l = nn.Linear(2, 2)
    m = nn.Sequential(l, l)
    out = [n for n, _ in m.named_parameters(remove_duplicate=False)]
    """,
    """
    l = nn.Linear(2, 2)
    m = nn.Sequential(l, l)
    out = [n for n, _ in m.named_modules(remove_duplicate=False)]
    """,
    """
    m = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.ReLU(), nn.Linear(3, 1)))
    out = [n for n, _ in m.named_modules(prefix='net')]
    """,
    """
    m = nn.Sequential(nn.Linear(2, 3))
    out = [n for n, _ in m.named_parameters(prefix='a', recurse=False)]
    """,
    """
    m = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    out = [n for n, _ in m.named_buffers()]
    """,
    """
    m = nn.Sequential(nn.Linear(2, 3), nn.Dropout())
    m.eval()
    out = [x.training for x in m.modules()]
    """,
    """
    m = nn.Sequential(nn.Linear(2, 3), nn.Dropout())
    out = m.train(False) is m
    """,
    """
    m = nn.Linear(2, 3)
    m.requires_grad_(False)
    out = [p.requires_grad for p in m.parameters()]
    """,
    """
    m = nn.Linear(2, 3)
    out = m.get_parameter('weight').shape
    """,
    """
    m = nn.Sequential(nn.Linear(2, 3))
    out = m.get_submodule('0.weight')
    """,
    """
    m = nn.Sequential(nn.Linear(2, 3))
    out = m.get_submodule('1')
    """,
    """
    m = nn.Sequential(nn.Linear(2, 3))
    out = m.get_parameter('0.bias').shape
    """,
    """
    m = nn.Sequential(nn.Linear(2, 3))
    out = m.get_parameter('0.foo')
    """,
    """
    m = nn.BatchNorm1d(3)
    out = m.get_buffer('running_mean').tolist()
    """,
    """
    m = nn.Module()
    m.add_module('a.b', nn.Linear(1, 1))
    """,
    """
    m = nn.Module()
    m.add_module('', nn.Linear(1, 1))
    """,
    """
    m = nn.Module()
    m.add_module('x', 3)
    """,
    """
    m = nn.Module()
    m.register_buffer('b', T.ones(2))
    m.register_buffer('b', None)
    out = list(m.state_dict())
    """,
    """
    m = nn.Module()
    m.register_buffer('b', T.ones(2), persistent=False)
    out = (list(m.state_dict()), [n for n, _ in m.named_buffers()])
    """,
    """
    m = nn.Module()
    m.register_buffer('b', 3)
    """,
    """
    m = nn.Module()
    m.register_parameter('p', T.ones(2))
    """,
    """
    m = nn.Module()
    m.register_parameter('p', None)
    out = (list(m.state_dict()), m.p)
    """,
    """
    m = nn.Module()
    m.w = nn.Parameter(T.ones(2))
    m.w = T.ones(2)
    """,
    """
    m = nn.Module()
    m.w = nn.Parameter(T.ones(2))
    m.w = None
    out = (m.w, list(m.named_parameters()))
    """,
    """
    m = nn.Module()
    m.w = nn.Parameter(T.ones(2))
    del m.w
    out = list(m.named_parameters())
    """,
    """
    m = nn.Linear(2, 2)
    m.weight = nn.Parameter(T.zeros(3, 3))
    out = m.weight.shape
    """,
    """
    m = nn.Linear(2, 2)
    out = m.apply(lambda x: None) is m
    """,
    """
    m = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    names = []
    m.apply(lambda x: names.append(type(x).__name__))
    out = names
    """,
    """
    m = nn.Linear(2, 2)
    (m(T.ones(1, 2)).sum()).backward()
    m.zero_grad()
    out = m.weight.grad
    """,
    """
    m = nn.Linear(2, 2)
    (m(T.ones(1, 2)).sum()).backward()
    m.zero_grad(set_to_none=False)
    out = m.weight.grad.tolist()
    """,
    """
    m = nn.Linear(2, 2).double()
    out = (m.weight.dtype, m(T.ones(1, 2, dtype=T.float64)).dtype)
    """,
    """
    m = nn.Linear(2, 2).half()
    out = m.weight.dtype
    """,
    """
    m = nn.Linear(2, 2).to(T.float64)
    out = m.bias.dtype
    """,
    """
    m = nn.Linear(2, 2)
    w = m.weight
    m.to(T.float64)
    out = (m.weight is w, w.dtype)
    """,
    """
    m = nn.Linear(2, 2)
    out = m.to(dtype=T.int64)
    """,
    """
    m = nn.BatchNorm1d(2).double()
    out = (m.running_mean.dtype, m.num_batches_tracked.dtype)
    """,
    """
    m = nn.Linear(2, 2)
    out = (str(m.type(T.float64).weight.dtype))
    """,
    """
    m = nn.Linear(2, 2)
    out = len(list(m.children()))
    """,
    """
    m = nn.Sequential(nn.Linear(2, 2))
    out = [n for n, _ in m.named_children()]
    """,
    """
    m = nn.Sequential()
    out = (len(m), repr(m))
    """,
    """
    m = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    out = (repr(m[0:1]), repr(m[-1]), len(m[::2]))
    """,
    """
    m = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    del m[0]
    out = repr(m)
    """,
    """
    m = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    m.append(nn.Tanh())
    m.insert(0, nn.Sigmoid())
    out = repr(m)
    """,
    """
    m = nn.Sequential(nn.Linear(2, 2))
    out = m[5]
    """,
    """
    m = nn.ModuleList([nn.Linear(1, 1)])
    m += [nn.ReLU()]
    out = repr(m)
    """,
    """
    m = nn.ModuleDict({'a': nn.ReLU(), 'b': nn.Tanh()})
    out = (list(m.keys()), repr(m), 'a' in m)
    """,
    """
    m = nn.ParameterList([nn.Parameter(T.ones(2)), T.zeros(3)])
    out = (repr(m), [p.requires_grad for p in m])
    """,
    """
    m = nn.Linear(2, 2)
    out = (m.extra_repr(), m._get_name())
    """,
    """
    m = nn.Linear(2, 2)
    m.foo = 3
    out = (m.foo, 'foo' in m.__dict__)
    """,
    """
    m = nn.Linear(2, 2)
    out = m.nonexistent
    """,
    """
    m = nn.Linear(2, 2)
    out = sorted(k for k in dir(m) if k in ('weight', 'bias', 'forward', 'in_features'))
    """,
    """
    m = nn.Linear(2, 2)
    out = (m.training, m.eval().training, m.train().training)
    """,
    """
    m = nn.Linear(2, 2)
    out = m.train('yes')
    """,
    """
    m = nn.Linear(2, 2)
    c = copy.deepcopy(m)
    out = (c.weight is m.weight, T.equal(c.weight, m.weight), c.weight.requires_grad)
    """,
    """
    m = nn.Linear(2, 2)
    m.weight.requires_grad_(False)
    c = copy.deepcopy(m)
    out = c.weight.requires_grad
    """,
    """
    m = nn.Linear(2, 2)
    p = list(m.parameters())
    out = [type(x).__name__ for x in p]
    """,
    """
    m = nn.Linear(2, 2, bias=False)
    out = (m.bias, list(m.state_dict()), repr(m))
    """,
    """
    m = nn.Linear(0, 2)
    out = m(T.ones(1, 0)).tolist()
    """,
    """
    m = nn.Identity(3, foo=4)
    out = m(T.ones(2)).tolist()
    """,
    """
    m = nn.Flatten()
    out = m(T.ones(2, 3, 4)).shape
    """,
    """
    m = nn.Unflatten(1, (2, 2))
    out = m(T.ones(3, 4)).shape
    """,
    """
    m = nn.Sequential(nn.Linear(1, 1))
    m.insert(5, nn.ReLU())
    """,
    """
    m = nn.Sequential(nn.Linear(1, 1))
    m.insert(-1, nn.ReLU())
    out = (repr(m.pop(0)), repr(m))
    """,
    """
    m = nn.Sequential(nn.Linear(1, 1))
    out = repr(m + nn.Sequential(nn.Tanh()))
    """,
    """
    m = nn.Sequential(nn.Linear(1, 1))
    out = m + [nn.Tanh()]
    """,
    """
    m = nn.Sequential(nn.Linear(1, 1))
    m += nn.Sequential(nn.Tanh())
    out = repr(m)
    """,
    """
    m = nn.Sequential(nn.Linear(1, 1))
    m.extend([nn.Sigmoid()])
    out = repr(m)
    """,
    """
    l = nn.ModuleList([nn.ReLU()])
    out = (repr(l.pop(0)), len(l), repr(l + [nn.ReLU()]), repr(l + nn.ModuleList([nn.Tanh()])))
    """,
    """
    out = nn.ModuleList()[0]
    """,
    """
    m = nn.BatchNorm1d(2).type(T.float64)
    out = (m.num_batches_tracked.dtype, m.weight.dtype)
    """,
    """
    m = nn.ModuleList([nn.ReLU(), nn.Tanh()])
    out = repr(m.pop(-1))
    """,
    """
    out = nn.ParameterList([nn.Parameter(T.ones(1))])[3]
    """,
    """
    m = nn.Linear(2, 2)
    m.register_forward_hook(lambda mod, i, o: o * 0)
    out = m(T.ones(1, 2)).tolist()
    """,
]


def _run(lib: Any, code: str) -> str:
    lib.manual_seed(0)
    return outcome(lib, code, nn=lib.nn, copy=copy)


@pytest.mark.parametrize("code", SNIPPETS)
def test_module_snippet_matches_pytorch(code: str) -> None:
    assert _run(cr, code) == _run(torch, code)
