"""PyTorch's "build on meta, then materialize" pattern: factories on the meta device (given
``device="meta"``, or by default inside ``with device("meta")``), Parameters and buffers of meta
tensors, in-place initialisers that compute nothing, every standard layer built on meta, then
``to_empty`` and ``load_state_dict`` or ``reset_parameters``. Each snippet runs with ``T`` as
torch and as chainrule; what it leaves in ``out`` (values, or the error's type and first line)
must be the same.

chainrule's meta tensors are of its classes ``MetaTensor`` and ``MetaParameter``, subclasses of
``Tensor`` and ``nn.Parameter``: the rows compare what ``isinstance`` says.
"""

from __future__ import annotations

import pytest
import torch
from snippet_outcome import outcome

import chainrule as cr

# ``desc(t)``: what a meta tensor has; ``descs(m)``: that of a module's parameters and buffers.
PRELUDE = """
import warnings
warnings.simplefilter("ignore")
def desc(t):
    kind = "Parameter" if isinstance(t, T.nn.Parameter) else "Tensor" * isinstance(t, T.Tensor)
    return [kind, t.is_meta, str(t.device), tuple(t.shape), t.dtype, t.requires_grad]
def descs(m):
    named = [*m.named_parameters(), *m.named_buffers()]
    return [(name, *desc(t)) for name, t in named]
w = T.empty(3, 4, device="meta")
"""

FACTORIES = {
    "zeros": "out = desc(T.zeros(2, 3, device='meta'))",
    "zeros, a tuple": "out = desc(T.zeros((2, 3), device=T.device('meta')))",
    "ones requires_grad": "out = desc(T.ones(2, device='meta', requires_grad=True))",
    "empty int32": "out = desc(T.empty(2, device='meta', dtype=T.int32))",
    "empty channels_last": (
        "out = desc(T.empty(1, 2, 3, 4, device='meta', memory_format=T.channels_last))"
    ),
    "full int": "out = desc(T.full((2,), 3, device='meta'))",
    "full float": "out = desc(T.full((2,), 3.0, device='meta'))",
    "full bool": "out = desc(T.full((2, 2), True, device='meta'))",
    "rand": "out = desc(T.rand(2, device='meta'))",
    "randn": "out = desc(T.randn(2, 3, device='meta', dtype=T.float64))",
    "randn requires_grad": "out = desc(T.randn(2, device='meta', requires_grad=True))",
    "randint": "out = desc(T.randint(5, (3,), device='meta'))",
    "randint float": "out = desc(T.randint(1, 5, (3,), device='meta', dtype=T.float32))",
    "randperm": "out = desc(T.randperm(5, device='meta'))",
    "arange int": "out = desc(T.arange(5, device='meta'))",
    "arange float": "out = desc(T.arange(0, 1, 0.25, device='meta'))",
    "arange int32 step": "out = desc(T.arange(0, 10, 3, device='meta', dtype=T.int32))",
    "eye": "out = desc(T.eye(3, device='meta'))",
    "eye n, m": "out = desc(T.eye(3, 4, device='meta'))",
    "linspace": "out = desc(T.linspace(0, 1, 5, device='meta'))",
    "logspace": "out = desc(T.logspace(0, 1, 5, device='meta', dtype=T.float64))",
    "normal, a size": "out = desc(T.normal(0.0, 1.0, (3,), device='meta'))",
    "tensor": "out = desc(T.tensor([1, 2], device='meta'))",
    "tensor float requires_grad": (
        "out = desc(T.tensor([[1.0], [2.0]], device='meta', requires_grad=True))"
    ),
    "as_tensor": "out = desc(T.as_tensor([1.0, 2.0], device='meta'))",
    "scalar_tensor": "out = desc(T.scalar_tensor(3, device='meta'))",
    # ---- the *_like ones: the input's device unless given
    "zeros_like of meta": "out = desc(T.zeros_like(w))",
    "ones_like of meta, int": "out = desc(T.ones_like(w, dtype=T.int64))",
    "empty_like of meta": "out = desc(T.empty_like(w))",
    "rand_like of meta": "out = desc(T.rand_like(w))",
    "randn_like of meta": "out = desc(T.randn_like(w, requires_grad=True))",
    "full_like of meta": "out = desc(T.full_like(w, 3))",
    "randint_like of meta": "out = desc(T.randint_like(w, 5))",
    "zeros_like of cpu to meta": "out = desc(T.zeros_like(T.ones(2), device='meta'))",
    "ones_like of meta to cpu": "out = T.ones_like(w, device='cpu')",
    # ---- the new_* methods: the tensor's device unless given
    "new_zeros": "out = desc(w.new_zeros(2))",
    "new_ones int": "out = desc(w.new_ones(2, dtype=T.int64))",
    "new_empty": "out = desc(w.new_empty((2,)))",
    "new_full": "out = desc(w.new_full((2,), 3))",
    "new_tensor": "out = desc(w.new_tensor([1, 2]))",
    "new_zeros to cpu": "out = w.new_zeros(2, device='cpu')",
    # ---- PyTorch's checks come first
    "empty negative": "T.empty(2, -1, device='meta')",
    "zeros int requires_grad": "T.zeros(2, device='meta', dtype=T.long, requires_grad=True)",
    "arange bounds": "T.arange(0, 5, -1, device='meta')",
    "linspace negative steps": "T.linspace(0, 1, -1, device='meta')",
    "randint empty range": "T.randint(3, 3, (2,), device='meta')",
    "cuda": "T.zeros(2, device='cuda')",
}

DEFAULT_DEVICE = {
    "with device: factories": (
        "with T.device('meta'):\n"
        "    made = [T.zeros(2), T.ones(2, 3), T.empty(1), T.full((2,), 1.5), T.rand(2),\n"
        "            T.randn(2), T.randint(3, (2,)), T.arange(4), T.eye(2), T.linspace(0, 1, 3),\n"
        "            T.tensor([1, 2]), T.as_tensor([1.0]), T.randperm(3)]\n"
        "out = [desc(t) for t in made]"
    ),
    "with device: given cpu": "with T.device('meta'):\n    out = T.zeros(2, device='cpu')",
    "with device: get_default_device": (
        "with T.device('meta'):\n    inside = T.get_default_device()\n"
        "out = [inside, T.get_default_device()]"
    ),
    "with device: normal is not a factory of it": (
        "T.manual_seed(0)\nwith T.device('meta'):\n    out = T.normal(0.0, 1.0, (2,)).is_meta"
    ),
    "with device: zeros_like of cpu": (
        "x = T.ones(2)\nwith T.device('meta'):\n    out = T.zeros_like(x)"
    ),
    "with device: from_numpy": (
        "import numpy as np\nwith T.device('meta'):\n    out = T.from_numpy(np.ones(2))"
    ),
    "with device: Parameter()": "with T.device('meta'):\n    out = desc(T.nn.Parameter())",
    "with device: nested cpu": (
        "with T.device('meta'):\n    with T.device('cpu'):\n        a = T.zeros(1)\n"
        "    b = T.zeros(1)\nout = [a.is_meta, b.is_meta, T.zeros(1).is_meta]"
    ),
    "set_default_device meta": (
        "T.set_default_device('meta')\ntry:\n    out = [desc(T.zeros(2)), T.get_default_device()]\n"
        "finally:\n    T.set_default_device(None)"  # (torch's 'cpu' leaves its mode on)
    ),
}

PARAMETERS = {
    "Parameter of meta": "out = desc(T.nn.Parameter(T.zeros(2, device='meta')))",
    "Parameter of meta, no grad": (
        "out = desc(T.nn.Parameter(T.zeros(2, device='meta'), requires_grad=False))"
    ),
    "Parameter of meta int": "T.nn.Parameter(T.zeros(2, device='meta', dtype=T.long))",
    "Parameter of meta int, no grad": (
        "out = desc(T.nn.Parameter(T.zeros(2, device='meta', dtype=T.long), False))"
    ),
    "Parameter repr": "out = T.nn.Parameter(T.zeros(2, device='meta', dtype=T.float64))",
    "register_buffer of meta": (
        "m = T.nn.Module()\nm.register_buffer('b', T.zeros(3, device='meta'))\n"
        "out = [desc(m.b), desc(m.state_dict()['b'])]"
    ),
    "module attribute of a meta Parameter": (
        "m = T.nn.Module()\nm.p = T.nn.Parameter(T.empty(2, device='meta'))\nout = descs(m)"
    ),
}

INPLACE = {
    "uniform_": "out = desc(w.uniform_(-1, 1))",
    "normal_": "out = desc(w.normal_())",
    "fill_": "out = desc(w.fill_(2))",
    "fill_ a meta 0-d": "out = desc(w.fill_(T.tensor(2.0, device='meta')))",
    "zero_": "out = desc(w.zero_())",
    "copy_ from cpu": "out = desc(w.copy_(T.ones(3, 4)))",
    "copy_ broadcasts": "out = desc(w.copy_(T.ones(4)))",
    "copy_ mismatch": "w.copy_(T.ones(2, 4))",
    "random_": "out = desc(w.random_(0, 10))",
    "bernoulli_": "out = desc(w.bernoulli_(0.5))",
    "exponential_": "out = desc(w.exponential_())",
    "geometric_": "out = desc(w.geometric_(0.5))",
    "log_normal_": "out = desc(w.log_normal_())",
    "cauchy_": "out = desc(w.cauchy_())",
    "fill_diagonal_": "out = desc(w.fill_diagonal_(1))",
    "returns itself": "out = [w.uniform_() is w, w.zero_() is w, w.copy_(T.ones(4)) is w]",
    "leaf requiring grad": "T.empty(2, device='meta', requires_grad=True).uniform_()",
    "leaf requiring grad, no_grad": (
        "p = T.empty(2, device='meta', requires_grad=True)\n"
        "with T.no_grad():\n    out = desc(p.uniform_())"
    ),
    "data": "out = desc(T.nn.Parameter(T.empty(2, device='meta')).data)",
    "data.normal_": "out = desc(w.data.normal_())",
    "setitem": "w[0] = 1\nout = desc(w)",
    "getitem int": "out = desc(w[0])",
    "getitem slice and None": "out = desc(w[1:, None])",
    "getitem index tensor": "out = desc(w[T.tensor([0, 2])])",
    "getitem out of range": "w[5]",
    # ---- what needs no values
    "stride": "out = [w.stride(), T.empty(2, 0, 3, device='meta').stride(), w.stride(1)]",
    "element_size": (
        "out = [w.element_size(), T.empty(1, dtype=T.int16, device='meta').element_size()]"
    ),
    "len": "out = len(w)",
    "len 0-d": "len(T.empty((), device='meta'))",
    "repr": "out = [w, T.ones(2, device='meta', dtype=T.int64, requires_grad=False)]",
    # ---- no values to read
    "numpy": "w.numpy()",
    "tolist": "w.tolist()",
    "to cpu": "w.to('cpu')",
    "cpu": "w.cpu()",
    "to float64 stays meta": "out = desc(w.to(T.float64))",
    "detach": "out = desc(w.detach())",
}

INITS = {
    "uniform_": "uniform_(w)",
    "normal_": "normal_(w, 1, 2)",
    "constant_": "constant_(w, 3)",
    "zeros_": "zeros_(w)",
    "ones_": "ones_(w)",
    "xavier_uniform_": "xavier_uniform_(w)",
    "xavier_normal_": "xavier_normal_(w, gain=2)",
    "kaiming_uniform_": "kaiming_uniform_(w, a=5**0.5)",
    "kaiming_normal_": "kaiming_normal_(w, mode='fan_out')",
    "kaiming_uniform_ 1-d": "kaiming_uniform_(T.empty(3, device='meta'))",
    "kaiming_normal_ empty": "kaiming_normal_(T.empty(0, 3, device='meta'))",
    "trunc_normal_": "trunc_normal_(w)",
    "trunc_normal_ narrow": "trunc_normal_(w, std=5, a=-0.1, b=0.1)",
    "orthogonal_": "orthogonal_(w)",
    "orthogonal_ 1-d": "orthogonal_(T.empty(3, device='meta'))",
    "sparse_": "sparse_(w, 0.5)",
    "eye_ 3-d": "eye_(T.empty(2, 2, 2, device='meta'))",
    "dirac_": "dirac_(T.empty(4, 2, 3, device='meta'))",
    "dirac_ 2-d": "dirac_(w)",
    "uniform_ with a generator": "uniform_(w, generator=T.Generator())",
}

LAYERS = {
    "Linear": "nn.Linear(3, 4)",
    "Linear no bias, float64": "nn.Linear(3, 4, bias=False, dtype=T.float64)",
    "Bilinear": "nn.Bilinear(2, 3, 4)",
    "Conv1d": "nn.Conv1d(2, 4, 3)",
    "Conv2d groups": "nn.Conv2d(2, 4, 3, groups=2)",
    "Conv3d": "nn.Conv3d(2, 4, 3, bias=False)",
    "ConvTranspose1d": "nn.ConvTranspose1d(2, 4, 3)",
    "ConvTranspose2d": "nn.ConvTranspose2d(2, 4, 3)",
    "ConvTranspose3d": "nn.ConvTranspose3d(2, 4, 3)",
    "BatchNorm1d": "nn.BatchNorm1d(3)",
    "BatchNorm2d": "nn.BatchNorm2d(3)",
    "BatchNorm3d no affine": "nn.BatchNorm3d(3, affine=False)",
    "SyncBatchNorm": "nn.SyncBatchNorm(3)",
    "InstanceNorm1d tracked": "nn.InstanceNorm1d(3, affine=True, track_running_stats=True)",
    "LayerNorm": "nn.LayerNorm(4)",
    "LayerNorm no bias": "nn.LayerNorm([2, 4], bias=False)",
    "GroupNorm": "nn.GroupNorm(2, 4)",
    "RMSNorm": "nn.RMSNorm(4)",
    "Embedding": "nn.Embedding(5, 3)",
    "Embedding padding_idx": "nn.Embedding(5, 3, padding_idx=1)",
    "EmbeddingBag padding_idx": "nn.EmbeddingBag(5, 3, padding_idx=0)",
    "RNN": "nn.RNN(3, 4, 2)",
    "LSTM bidirectional proj": "nn.LSTM(3, 4, 2, bidirectional=True, proj_size=2)",
    "GRU": "nn.GRU(3, 4)",
    "RNNCell": "nn.RNNCell(3, 4)",
    "LSTMCell": "nn.LSTMCell(3, 4)",
    "GRUCell": "nn.GRUCell(3, 4)",
    "MultiheadAttention": "nn.MultiheadAttention(4, 2)",
    "MultiheadAttention kdim vdim bias_kv": (
        "nn.MultiheadAttention(4, 2, kdim=3, vdim=5, bias=False, add_bias_kv=True)"
    ),
    "TransformerEncoderLayer": "nn.TransformerEncoderLayer(8, 2, 16)",
    "TransformerDecoderLayer": "nn.TransformerDecoderLayer(8, 2, 16)",
    "Transformer": "nn.Transformer(8, 2, 1, 1, 16)",
    "PReLU": "nn.PReLU()",
    "PReLU channels": "nn.PReLU(3)",
    "AdaptiveLogSoftmaxWithLoss": "nn.AdaptiveLogSoftmaxWithLoss(8, 10, [4])",
    "Sequential": "nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Dropout())",
}

# A model built on meta, made real and loaded: the same outputs as the model it loaded.
MATERIALIZED = {
    "MLP with norms": (
        "nn.Sequential(nn.Linear(4, 8), nn.LayerNorm(8), nn.ReLU(), nn.Linear(8, 4),"
        " nn.BatchNorm1d(4))",
        "T.randn(5, 4)",
    ),
    "Conv": ("nn.Sequential(nn.Conv2d(4, 3, 3), nn.GroupNorm(1, 3))", "T.randn(2, 4, 5, 5)"),
    "Embedding": ("nn.Embedding(10, 4, padding_idx=0)", "T.tensor([[0, 3], [4, 9]])"),
    "GRU": ("nn.GRU(4, 3, batch_first=True)", "T.randn(2, 5, 4)"),
    "TransformerEncoderLayer": (
        "nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0, batch_first=True)",
        "T.randn(2, 3, 4)",
    ),
}

FLOWS = {
    "to_empty then reset_parameters, trains": (
        "with T.device('meta'):\n    m = T.nn.Linear(3, 2)\n"
        "m.to_empty(device='cpu')\nT.manual_seed(0)\nm.reset_parameters()\n"
        "opt = T.optim.SGD(m.parameters(), lr=0.1)\nlosses = []\nfor _ in range(3):\n"
        "    loss = (m(T.ones(4, 3)) ** 2).mean()\n    opt.zero_grad()\n    loss.backward()\n"
        "    opt.step()\n    losses.append(round(loss.item(), 5))\nout = losses"
    ),
    "to_empty then apply(init)": (
        "with T.device('meta'):\n    m = T.nn.Sequential(T.nn.Linear(2, 2), T.nn.Linear(2, 1))\n"
        "m.to_empty(device='cpu')\n"
        "m.apply(lambda c: T.nn.init.ones_(c.weight) if isinstance(c, T.nn.Linear) else None)\n"
        "out = m[1].weight"
    ),
    "to_empty kinds": (
        "with T.device('meta'):\n    m = T.nn.BatchNorm1d(2)\nm.to_empty(device='cpu')\n"
        "out = [(n, type(t).__name__, t.is_meta, t.dtype, t.requires_grad)\n"
        "       for n, t in [*m.named_parameters(), *m.named_buffers()]]"
    ),
    "state_dict of meta": (
        "with T.device('meta'):\n    m = T.nn.BatchNorm1d(2)\n"
        "out = [(k, *desc(v)) for k, v in m.state_dict().items()]"
    ),
    "print": "with T.device('meta'):\n    m = T.nn.Linear(2, 3)\nout = [m, m.weight, m.bias]",
    "to meta": ("m = T.nn.Linear(2, 3)\nm.to('meta')\nout = descs(m)"),
    "load_state_dict into meta keeps meta": (
        "with T.device('meta'):\n    m = T.nn.Linear(2, 3)\n"
        "m.load_state_dict(T.nn.Linear(2, 3).state_dict())\nout = m.weight.is_meta"
    ),
    "forward on meta parameters": (
        "with T.device('meta'):\n    m = T.nn.Linear(2, 3)\nout = m(T.ones(1, 2))"
    ),
}

# The random generator: meta draws take nothing from it.
RNG = {
    "factories": "T.randn(3); T.rand(2, 2); T.randint(5, (3,)); T.randperm(4)",
    "*_like and in place": (
        "x = T.empty(3)\nT.rand_like(x); T.randn_like(x); x.normal_(); x.uniform_()"
    ),
    "init": "T.nn.init.trunc_normal_(T.empty(3, 4)); T.nn.init.orthogonal_(T.empty(3, 4))",
    "layers": (
        "T.nn.Linear(3, 4); T.nn.Embedding(5, 3); T.nn.LSTM(3, 4); T.nn.Conv2d(2, 3, 3)\n"
        "T.nn.TransformerEncoderLayer(8, 2, 16)"
    ),
}

# Ops on meta tensors, which PyTorch computes shapes of: chainrule keeps its error, naming
# the meta device (rather than a wrong number).
OPS = {
    "add": "w + 1",
    "sum": "w.sum()",
    "matmul": "w @ T.ones(4, 2, device='meta')",
    "view": "w.view(12)",
    "transpose": "w.t()",
    "clone": "w.clone()",
    "relu": "w.relu()",
    "cat": "T.cat([w, w])",
    "item": "w.item()",
    "bool": "bool(w)",
}


def _check(code: str, prelude: str = PRELUDE) -> None:
    assert outcome(cr, code, prelude) == outcome(torch, code, prelude)


@pytest.mark.parametrize("name", list(FACTORIES))
def test_factories_on_meta_as_pytorch(name: str) -> None:
    _check(FACTORIES[name])


@pytest.mark.parametrize("name", list(DEFAULT_DEVICE))
def test_meta_as_the_default_device_as_pytorch(name: str) -> None:
    _check(DEFAULT_DEVICE[name])


@pytest.mark.parametrize("name", list(PARAMETERS))
def test_meta_parameters_and_buffers_as_pytorch(name: str) -> None:
    _check(PARAMETERS[name])


@pytest.mark.parametrize("name", list(INPLACE))
def test_meta_tensor_methods_as_pytorch(name: str) -> None:
    _check(INPLACE[name])


@pytest.mark.parametrize("name", list(INITS))
def test_nn_init_on_meta_as_pytorch(name: str) -> None:
    _check(f"out = desc(T.nn.init.{INITS[name]})")


@pytest.mark.parametrize("name", list(LAYERS))
def test_layers_built_on_meta_as_pytorch(name: str) -> None:
    _check(f"nn = T.nn\nwith T.device('meta'):\n    m = {LAYERS[name]}\nout = descs(m)")


@pytest.mark.parametrize("name", list(MATERIALIZED))
def test_to_empty_then_load_state_dict_gives_the_outputs(name: str) -> None:
    model, data = MATERIALIZED[name]
    code = (
        f"nn = T.nn\nT.manual_seed(0)\nsrc = {model}.eval()\nwith T.device('meta'):\n"
        f"    m = {model}.eval()\nmeta_free = T.randn(1)\nT.manual_seed(0)\n{model}\n"
        f"kept = T.equal(meta_free, T.randn(1))\nm.to_empty(device='cpu')\n"
        f"keys = m.load_state_dict(src.state_dict())\nx = {data}\ny, want = m(x), src(x)\n"
        "y, want = (y[0], want[0]) if isinstance(y, tuple) else (y, want)\n"
        "out = [kept, keys, y.is_meta, T.equal(y, want), y.detach().abs().sum().item() > 0]"
    )
    _check(code)


@pytest.mark.parametrize("name", list(FLOWS))
def test_meta_model_flows_as_pytorch(name: str) -> None:
    _check(FLOWS[name])


@pytest.mark.parametrize("name", list(RNG))
def test_meta_draws_leave_the_generator_as_pytorch(name: str) -> None:
    body = RNG[name].replace("\n", "\n    ")
    _check(
        f"T.manual_seed(0)\nwith T.device('meta'):\n    {body}\nafter = T.randn(4)\n"
        "T.manual_seed(0)\nout = T.equal(after, T.randn(4))"
    )


@pytest.mark.parametrize("name", list(OPS))
def test_ops_on_meta_raise_naming_the_meta_device(name: str) -> None:
    code = f"out = {OPS[name]}"
    got = outcome(cr, code, PRELUDE)
    assert got.startswith(("RuntimeError", "NotImplementedError")) and "meta" in got, got
    assert "meta" in outcome(torch, f"out = str(({OPS[name]}).device)", PRELUDE) or "Error" in (
        outcome(torch, code, PRELUDE)
    )
