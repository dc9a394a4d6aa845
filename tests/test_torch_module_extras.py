"""``nn.Module`` methods and ``device`` uses that PyTorch code calls and chainrule lacked:
``set_submodule``, ``to_empty`` (a model built on the meta device made real), ``share_memory``,
``compile``, ``call_super_init``, ``is_meta``, and ``with device(...)`` as the default device of
the factories inside. Each snippet runs with ``T`` as torch and as chainrule; what it leaves in
``out`` (values, or the error's type and first line) must be the same.
"""

from __future__ import annotations

import pytest
import torch
from snippet_outcome import outcome

import chainrule as cr

PRELUDE = """
net = T.nn.Sequential(T.nn.Linear(2, 3), T.nn.ReLU(), T.nn.Sequential(T.nn.Linear(3, 1)))
"""

CASES = {
    # ---- set_submodule
    "set_submodule replaces": "net.set_submodule('0', T.nn.Tanh())\nout = net",
    "set_submodule nested": "net.set_submodule('2.0', T.nn.Identity())\nout = net[2]",
    "set_submodule adds to a parent": "net.set_submodule('2.extra', T.nn.ReLU())\nout = net[2]",
    "set_submodule strict, missing": "net.set_submodule('3', T.nn.ReLU(), strict=True)",
    "set_submodule strict, present": (
        "net.set_submodule('1', T.nn.Tanh(), strict=True)\nout = net[1]"
    ),
    "set_submodule empty target": "net.set_submodule('', T.nn.ReLU())",
    "set_submodule not a module": "net.set_submodule('0', 3)",
    "set_submodule over a parameter": "net.set_submodule('0.weight', T.nn.ReLU())",
    "set_submodule missing parent": "net.set_submodule('x.y', T.nn.ReLU())",
    "set_submodule through a non-module": "net.set_submodule('0.weight.y', T.nn.ReLU())",
    # ---- the hook dicts: PyTorch's {handle id: hook}, the options in dicts of their own
    # (the Pruning Tutorial iterates module._forward_pre_hooks.values())
    "forward hook dicts": (
        "m = T.nn.ReLU()\n"
        "def pre(mod, args): return None\n"
        "def pre_kw(mod, args, kwargs): return None\n"
        "def post(mod, args, output): return None\n"
        "h1 = m.register_forward_pre_hook(pre)\n"
        "h2 = m.register_forward_pre_hook(pre_kw, with_kwargs=True, prepend=True)\n"
        "h3 = m.register_forward_hook(post, with_kwargs=False, always_call=True)\n"
        "ids = list(m._forward_pre_hooks)\n"
        "out = [type(m._forward_pre_hooks).__name__, [f.__name__ for f in "
        "m._forward_pre_hooks.values()], ids == sorted(ids, reverse=True),\n"
        "       list(m._forward_pre_hooks_with_kwargs.values()),\n"
        "       list(m._forward_hooks_always_called.values()), len(m._forward_hooks_with_kwargs)]\n"
        "h2.remove(); h3.remove()\n"
        "out += [len(m._forward_pre_hooks), len(m._forward_pre_hooks_with_kwargs),\n"
        "        len(m._forward_hooks), len(m._forward_hooks_always_called)]"
    ),
    "backward hook dicts": (
        "m = T.nn.ReLU()\n"
        "flags = [m._is_full_backward_hook]\n"
        "h = m.register_full_backward_pre_hook(lambda mod, go: None)\n"
        "flags.append(m._is_full_backward_hook)\n"
        "m.register_full_backward_hook(lambda mod, gi, go: None).remove()\n"
        "out = [flags, m._is_full_backward_hook, len(m._backward_pre_hooks),\n"
        "       len(m._backward_hooks)]\n"
        "m.register_backward_hook(lambda mod, gi, go: None)"
    ),
    "a hook dict replaced": (
        "import collections\n"
        "m = T.nn.Identity()\n"
        "m.register_forward_hook(lambda mod, args, out: out * 10)\n"
        "m._forward_hooks = collections.OrderedDict()\n"
        "out = [m(T.tensor([1.0]))]\n"
        "m._forward_hooks[7] = lambda mod, args, out: out + 1\n"
        "out.append(m(T.tensor([1.0])))"
    ),
    "a backward pre-hook alone runs": (
        "m = T.nn.Tanh()\n"
        "seen = []\n"
        "m.register_full_backward_pre_hook(lambda mod, go: seen.append(go[0].tolist()))\n"
        "x = T.tensor([0.5, -1.0], requires_grad=True)\n"
        "(m(x) * T.tensor([2.0, 3.0])).sum().backward()\n"
        "out = [seen, x.grad]"
    ),
    # ---- to_empty: from the meta device, and of real tensors (same objects, new values)
    "to_empty from meta": (
        "m = T.nn.Linear(2, 3).to('meta')\nw = m.weight\nm.to_empty(device='cpu')\n"
        "out = [m.weight is w, type(m.weight).__name__, m.weight.shape, m.weight.dtype,\n"
        "       m.weight.requires_grad, m.weight.is_leaf, m.weight.is_meta, m.bias.device]"
    ),
    "to_empty then load_state_dict": (
        "src = T.nn.Linear(2, 3)\nm = T.nn.Linear(2, 3).to('meta')\nm.to_empty(device='cpu')\n"
        "m.load_state_dict(src.state_dict())\nout = T.equal(m(T.ones(1, 2)), src(T.ones(1, 2)))"
    ),
    "to_empty then reset_parameters, trains": (
        "m = T.nn.Linear(2, 1).to('meta').to_empty(device='cpu')\nm.reset_parameters()\n"
        "m(T.ones(4, 2)).sum().backward()\nout = [m.weight.grad, m.bias.grad]"
    ),
    "to_empty of real tensors keeps the objects": (
        "m = T.nn.BatchNorm1d(2)\nw, rm = m.weight, m.running_mean\n"
        "m.to_empty(device='cpu')\nout = [m.weight is w, m.running_mean is rm, m.weight.shape,\n"
        "       m.num_batches_tracked.dtype, m.weight.requires_grad]"
    ),
    "to_empty, recurse=False": (
        "m = T.nn.Sequential(T.nn.Linear(2, 2)).to('meta')\n"
        "m.to_empty(device='cpu', recurse=False)\nout = m[0].weight.is_meta"
    ),
    "to_empty to meta": (
        "m = T.nn.Linear(2, 3).to_empty(device='meta')\nout = [m.weight.is_meta, m.weight.shape]"
    ),
    "to_empty needs device": "T.nn.Linear(2, 3).to_empty()",
    "to_empty to cuda": "T.nn.Linear(2, 3).to_empty(device='cuda')",
    "to_empty returns the module": "m = T.nn.ReLU()\nout = m.to_empty(device='cpu') is m",
    "is_meta": "out = [T.nn.Linear(1, 1).to('meta').weight.is_meta, T.ones(1).is_meta]",
    # ---- share_memory
    "share_memory": (
        "m = T.nn.Linear(2, 3)\nm(T.ones(1, 2)).sum().backward()\n"
        "out = [m.share_memory() is m, m.weight.is_shared(), m.bias.is_shared(),\n"
        "       m.weight.grad.is_shared()]"
    ),
    # ---- compile: the same values, eagerly where a graph is needed
    "compile, no_grad": (
        "m = T.nn.Linear(2, 3)\nx = T.ones(4, 2)\nwith T.no_grad():\n    y = m(x)\n"
        "m.compile()\nwith T.no_grad():\n    out = [T.allclose(m(x), y), T.allclose(m(x), y)]"
    ),
    "compile, training": (
        "m = T.nn.Linear(2, 1)\nm.compile()\nm(T.ones(4, 2)).sum().backward()\n"
        "out = [m.weight.grad, m.bias.grad]"
    ),
    "compile keeps hooks": (
        "seen = []\nm = T.nn.Linear(2, 1)\nm.register_forward_hook(lambda *a: seen.append(1))\n"
        "m.compile()\nm(T.ones(1, 2))\nout = len(seen)"
    ),
    "compile returns None": "out = T.nn.ReLU().compile()",
    "compiled module deep-copies": (
        "import copy\nm = T.nn.Linear(2, 1)\nm.compile()\nc = copy.deepcopy(m)\n"
        "out = [c._compiled_call_impl, T.equal(c.weight, m.weight)]"
    ),
    # ---- __init__'s arguments and call_super_init
    "Module() takes no arguments": "T.nn.Module(3)",
    "Module() takes no keywords": "T.nn.Module(k=3)",
    "subclass passes arguments": (
        "class A(T.nn.Module):\n    def __init__(self):\n        super().__init__(1, 2)\nA()"
    ),
    "subclass passes keywords": (
        "class A(T.nn.Module):\n    def __init__(self):\n        super().__init__(k=3)\nA()"
    ),
    "call_super_init default": "out = T.nn.Module.call_super_init",
    "call_super_init passes on": (
        "class Mixin:\n    def __init__(self, *args, **kwargs):\n"
        "        self.seen = (args, kwargs)\n        super().__init__()\n"
        "class A(T.nn.Module, Mixin):\n    call_super_init = True\n"
        "    def __init__(self):\n        super().__init__(k=3)\n"
        "a = A()\nout = [a.seen, a.training, list(a.state_dict())]"
    ),
    # ---- with device(...): the factories' default device inside
    "with device cpu": (
        "with T.device('cpu') as d:\n    out = [T.zeros(2).device, T.get_default_device(), d]\n"
        "out.append(T.get_default_device())"
    ),
    "with device cuda, no factory": "with T.device('cuda'):\n    out = 1",
    "with device cuda, a factory": "with T.device('cuda'):\n    T.zeros(2)",
    "with device cuda, restored after an error": (
        "try:\n    with T.device('cuda'):\n        T.zeros(2)\nexcept AssertionError:\n    pass\n"
        "out = T.zeros(1).device"
    ),
    "with device nested": (
        "d = T.device('cpu')\nwith d:\n    with T.device('cuda'):\n        pass\n"
        "    out = [T.ones(1).device]\nout.append(T.get_default_device())"
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_module_extras_as_pytorch(name: str) -> None:
    code = CASES[name]
    assert outcome(cr, code, PRELUDE) == outcome(torch, code, PRELUDE)
