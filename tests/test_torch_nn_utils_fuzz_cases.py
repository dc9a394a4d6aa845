"""Cases a fuzz of ``nn.utils`` and ``nn.init`` against PyTorch found chainrule answering
differently: gradient clipping, the initialisers, the hook-based spectral norm,
parametrizations, padding and packing sequences, parameters as a vector, ``functional_call`` and
``skip_init``. Each snippet runs with ``T`` as torch and as chainrule, and what it leaves in
``out`` (values rounded, dtypes, version counters, warnings, or the error: type and first line)
must be the same. ``GUARDS`` are valid calls that already agreed, kept beside them.

A snippet sets ``out``; ``T`` is the library (see :func:`snippet_outcome.outcome`).
"""

from __future__ import annotations

import pytest
import torch
from snippet_outcome import outcome

import chainrule as cr

# ``r(x)``: a tensor as its dtype, shape and values rounded (float32 sums in another order
# differ in the last bits); ``st(x)``: a tensor's state; ``warns(f)``: f's result and warnings;
# ``grads(p, q)``: two parameters with gradients to clip
PRELUDE = """
import warnings
nan, inf = float("nan"), float("inf")
nn, U, I = T.nn, T.nn.utils, T.nn.init
def r(x, n=4):
    if isinstance(x, T.Tensor):
        return (str(x.dtype), tuple(x.shape), r(x.detach().tolist(), n))
    if isinstance(x, (list, tuple)):
        return [r(e, n) for e in x]
    return round(x, n) if isinstance(x, float) else x
def st(x):
    return (str(x.dtype), tuple(x.shape), x.requires_grad, x.grad_fn is not None, x._version)
def warns(f):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = f()
    return result, [(w.category.__name__, str(w.message)) for w in caught]
def grads():
    p, q = nn.Parameter(T.zeros(2)), nn.Parameter(T.zeros(2, 2))
    p.grad, q.grad = T.tensor([3.0, -4.0]), T.tensor([[1.0, 0.5], [-2.0, 0.0]])
    return p, q
"""

CASES = {
    # ---- clip_grad_value_ clamps from below then above (foreach, the default): two in-place
    # changes of each gradient; one with foreach=False (the versions stayed 0)
    "clip_grad_value_ versions": (
        "p, q = grads()\nU.clip_grad_value_([p, q], 1.0)\n"
        "out = (r(p.grad), r(q.grad), p.grad._version, q.grad._version)"
    ),
    "clip_grad_value_ foreach=False version": (
        "p, q = grads()\nU.clip_grad_value_(p, 1.0, foreach=False)\nout = (r(p.grad), st(p.grad))"
    ),
    "clip_grad_value_ of integer gradients": (
        "p = T.zeros(2, dtype=T.int64)\np.grad = T.tensor([3, -4])\n"
        "U.clip_grad_value_(p, 1.5)\nout = r(p.grad)"
    ),
    # ---- clip_grads_with_norm_: a vector of norms is refused (it was broadcast over the
    # gradients, each element scaled by another norm), a float norm too
    "clip_grads_with_norm_ of a vector norm": (
        "p, q = grads()\nU.clip_grads_with_norm_([p, q], 1.0, T.tensor([5.0, 1.0]))\n"
        "out = (r(p.grad), r(q.grad))"
    ),
    "clip_grads_with_norm_ of a 1-element norm": (
        "p, q = grads()\nU.clip_grads_with_norm_(p, 1.0, T.tensor([5.0]))\nout = r(p.grad)"
    ),
    "clip_grads_with_norm_ of a float norm": (
        "p, q = grads()\nU.clip_grads_with_norm_([p, q], 1.0, 5.0)\nout = r(p.grad)"
    ),
    "clip_grad_norm_ inf of an empty gradient": (
        "p = nn.Parameter(T.ones(0))\np.grad = T.ones(0)\n"
        "out = r(U.clip_grad_norm_(p, 1.0, norm_type=inf))"
    ),
    # ---- kaiming_*: the mode in any case, the fan checked before the gain, and a tensor
    # without elements left as it is (with PyTorch's warning, no version change)
    "kaiming_uniform_ mode in capitals": (
        "T.manual_seed(0)\nw = T.empty(2, 3)\nres = I.kaiming_uniform_(w, mode='FAN_OUT')\n"
        "out = (res is w, r(w), w._version)"
    ),
    "kaiming_normal_ bad mode before bad nonlinearity": (
        "out = I.kaiming_normal_(T.empty(2, 3), mode='bad', nonlinearity='bogus')"
    ),
    "kaiming_uniform_ of a vector before bad nonlinearity": (
        "out = I.kaiming_uniform_(T.empty(3), nonlinearity='bogus')"
    ),
    "kaiming_normal_ of no elements": (
        "T.manual_seed(0)\nw = T.empty(0, 3)\n"
        "res, ws = warns(lambda: I.kaiming_normal_(w, mode='bad'))\n"
        "out = (res is w, ws, w._version, r(T.rand(2)))"
    ),
    # ---- trunc_normal_ copies into the tensor only after a redraw (the version shows it), and
    # draws its redraws in buffers of the tensor's strides (a transposed tensor's values)
    "trunc_normal_ without a redraw": (
        "T.manual_seed(0)\nw = T.empty(1, 1)\nres = I.trunc_normal_(w)\n"
        "out = (res is w, r(w), w._version)"
    ),
    "trunc_normal_ of a transposed tensor": (
        "T.manual_seed(0)\nb = T.zeros(4, 3)\nI.trunc_normal_(b.t())\nout = (r(b), b._version)"
    ),
    "trunc_normal_ narrow interval of a transposed tensor": (
        "T.manual_seed(0)\nb = T.zeros(4, 3)\nI.trunc_normal_(b.t(), a=-0.1, b=0.1)\n"
        "out = (r(b), b._version)"
    ),
    # ---- the hook-based spectral_norm permutes as PyTorch does: a negative dim is refused
    # (it was taken), and a vector is a one-column matrix (it raised an IndexError)
    "spectral_norm hook dim=-1": "out = U.spectral_norm(nn.Linear(4, 3), dim=-1)",
    "spectral_norm hook of a bias": (
        "T.manual_seed(0)\nm = U.spectral_norm(nn.Linear(3, 2), 'bias')\nm(T.ones(1, 3))\n"
        "out = (r(m.bias), [(k, tuple(v.shape)) for k, v in m.state_dict().items()])"
    ),
    # ---- parametrize
    "remove_parametrizations of a dtype-changing parametrization": (
        "class ToF64(nn.Module):\n"
        "    def forward(self, X):\n"
        "        return X.double()\n"
        "m = nn.Linear(3, 3)\n"
        "T.nn.utils.parametrize.register_parametrization(m, 'weight', ToF64(), unsafe=True)\n"
        "T.nn.utils.parametrize.remove_parametrizations(m, 'weight')\nout = st(m.weight)"
    ),
    # a Parameter made of a tensor is an alias of it, with one version counter: a backward
    # that saved it sees a change through the tensor (the gradient was silently wrong)
    "Parameter shares the tensor's version": (
        "t = T.ones(2)\np = nn.Parameter(t)\ny = (p * p).sum()\n"
        "with T.no_grad():\n    t.mul_(3)\ny.backward()\nout = r(p.grad)"
    ),
    "parametrization with two originals: versions": (
        "class Split(nn.Module):\n"
        "    def forward(self, A, B):\n"
        "        return A + B\n"
        "    def right_inverse(self, W):\n"
        "        return W, T.zeros_like(W)\n"
        "m = nn.Linear(3, 3)\n"
        "T.nn.utils.parametrize.register_parametrization(m, 'weight', Split())\n"
        "out = [(k, st(v)) for k, v in m.named_parameters()]"
    ),
    # ---- pad_sequence as PyTorch's kernel: a fill then a copy per sequence (the version), the
    # first sequence's dtype (a later float was promoted to), its errors
    "pad_sequence version": (
        "y = U.rnn.pad_sequence([T.tensor([1.0, 2.0, 3.0]), T.tensor([4.0]), T.tensor([5.0])])\n"
        "out = (r(y), st(y))"
    ),
    "pad_sequence left of requires_grad": (
        "a = T.tensor([1.0, 2.0], requires_grad=True)\nb = T.tensor([3.0], requires_grad=True)\n"
        "y = U.rnn.pad_sequence([a, b], padding_side='left')\n"
        "(y * T.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()\n"
        "out = (r(a.grad), r(b.grad), st(y))"
    ),
    "pad_sequence dtype of the first": (
        "y = U.rnn.pad_sequence([T.tensor([1, 2, 3]), T.tensor([1.5])], batch_first=True)\n"
        "out = (r(y), st(y))"
    ),
    "pad_sequence other trailing size": "out = U.rnn.pad_sequence([T.ones(2, 3), T.ones(1, 2)])",
    "pad_sequence empty list": "out = U.rnn.pad_sequence([], padding_side='middle')",
    "pad_sequence of 0-d tensors": "out = U.rnn.pad_sequence([T.tensor(1.0), T.tensor(2.0)])",
    "pad_sequence not iterable": "out = U.rnn.pad_sequence(3)",
    "pack_sequence of empty sequences": (
        "out = U.rnn.pack_sequence([T.zeros(0), T.zeros(0)], enforce_sorted=False)"
    ),
    # ---- parameters as a vector: a non-contiguous parameter is refused by view (it was copied),
    # vector_to_parameters leaves the version counters, refuses integers for a parameter
    "parameters_to_vector of a transposed parameter": (
        "out = U.parameters_to_vector([T.arange(6.0).reshape(2, 3).t()])"
    ),
    "vector_to_parameters versions": (
        "ps = [nn.Parameter(T.ones(2, 2)), nn.Parameter(T.zeros(3))]\n"
        "U.vector_to_parameters(T.arange(7.0), ps)\nout = [(r(p), st(p)) for p in ps]"
    ),
    "vector_to_parameters of integers": (
        "ps = [nn.Parameter(T.ones(2))]\nU.vector_to_parameters(T.arange(2), ps)\nout = st(ps[0])"
    ),
    # ---- stateless.functional_call takes one mapping (func.functional_call takes several)
    "stateless functional_call of a tuple": (
        "import importlib\n"
        "SL = importlib.import_module(T.__name__ + '.nn.utils.stateless')\n"
        "warnings.simplefilter('ignore')\n"
        "out = SL.functional_call(nn.Linear(2, 1), ({'weight': T.ones(1, 2)},), T.ones(2))"
    ),
    # ---- skip_init: new tensors, as PyTorch's to_empty gives (versions 0, not 2)
    "skip_init versions": (
        "T.manual_seed(0)\nm = U.skip_init(nn.Linear, 2, 1)\n"
        "out = ([st(p) for p in m.parameters()], r(T.rand(2)))"
    ),
}

GUARDS = {
    "clip_grad_norm_ norm types": (
        "out = []\n"
        "for norm_type in (2, 1, inf, -inf, 0, 0.5, 3):\n"
        "    p, q = grads()\n"
        "    n = U.clip_grad_norm_([p, q], 1.0, norm_type=norm_type)\n"
        "    out.append((r(n), r(p.grad), r(q.grad), p.grad._version))"
    ),
    "clip_grad_norm_ mixed dtypes and a missing grad": (
        "p = nn.Parameter(T.zeros(2, dtype=T.float64))\np.grad = T.tensor([3.0, 4.0], "
        "dtype=T.float64)\nq = nn.Parameter(T.zeros(1))\n"
        "n = U.clip_grad_norm_((x for x in [p, q]), 1.0)\nout = (st(n), r(p.grad), q.grad)"
    ),
    "clip_grad_norm_ nonfinite error": (
        "p, q = grads()\np.grad[0] = inf\n"
        "out = U.clip_grad_norm_([p, q], 1.0, error_if_nonfinite=True)"
    ),
    "clip_grad_norm_ empty generator": "out = warns(lambda: r(U.clip_grad_norm_(iter(()), 1.0)))",
    "calculate_gain": (
        "out = [I.calculate_gain(n, 0.2) for n in ('linear', 'conv2d', 'sigmoid', 'tanh', "
        "'relu', 'leaky_relu', 'selu')]"
    ),
    "calculate_gain bad param": "out = I.calculate_gain('leaky_relu', True)",
    "fan of a vector": "out = I._calculate_fan_in_and_fan_out(T.empty(3))",
    "init functions seeded": (
        "out = []\n"
        "for f, shape in [(I.xavier_uniform_, (3, 4)), (I.xavier_normal_, (2, 3, 2)),\n"
        "                 (I.kaiming_uniform_, (4, 2)), (I.orthogonal_, (2, 5)),\n"
        "                 (I.orthogonal_, (5, 2)), (lambda w: I.sparse_(w, 0.5), (4, 3)),\n"
        "                 (lambda w: I.dirac_(w, 2), (4, 2, 3)), (I.eye_, (2, 3))]:\n"
        "    T.manual_seed(0)\n"
        "    w = nn.Parameter(T.empty(shape))\n"
        "    out.append((f(w) is w, r(w), st(w)))"
    ),
    "init generator": (
        "g = T.Generator().manual_seed(5)\nT.manual_seed(0)\nw = T.empty(3, 4)\n"
        "I.kaiming_normal_(w, generator=g)\nout = (r(w), r(T.rand(2)))"
    ),
    "init integer constant, uniform a > b": (
        "w = T.zeros(2, dtype=T.int64)\nT.manual_seed(0)\nv = I.uniform_(T.empty(3), 2.0, 1.0)\n"
        "out = (r(I.constant_(w, 2.7)), r(v))"
    ),
    "dirac_ groups not dividing": "out = I.dirac_(T.empty(3, 2, 3), groups=2)",
    "eye_ of 3 dimensions": "out = I.eye_(T.empty(2, 2, 2))",
    "weight_norm dim=None": (
        "T.manual_seed(0)\nm = U.parametrizations.weight_norm(nn.Linear(3, 2), dim=None)\n"
        "m(T.ones(1, 3)).sum().backward()\n"
        "out = [(k, r(v.grad)) for k, v in m.named_parameters()]"
    ),
    "spectral_norm parametrization eval": (
        "T.manual_seed(0)\nm = U.parametrizations.spectral_norm(nn.Linear(4, 3))\n"
        "m(T.randn(2, 4))\nm.eval()\nout = (r(m.weight), list(m.state_dict()))"
    ),
    "parametrize cached and removed": (
        "class Double(nn.Module):\n"
        "    def forward(self, X):\n"
        "        return 2 * X\n"
        "    def right_inverse(self, W):\n"
        "        return W / 2\n"
        "P = T.nn.utils.parametrize\nT.manual_seed(0)\nm = nn.Linear(2, 2)\n"
        "P.register_parametrization(m, 'weight', Double())\n"
        "with P.cached():\n    same = m.weight is m.weight\n"
        "P.remove_parametrizations(m, 'weight', leave_parametrized=False)\n"
        "out = (same, r(m.weight), st(m.weight), type(m).__name__)"
    ),
    "pack_sequence not sorted": (
        "p = U.rnn.pack_sequence([T.tensor([1.0]), T.tensor([2.0, 3.0])], enforce_sorted=False)\n"
        "out = [r(t) for t in p]"
    ),
    "fuse_conv_bn_eval": (
        "T.manual_seed(0)\nc, b = nn.Conv2d(2, 3, 3).eval(), nn.BatchNorm2d(3).eval()\n"
        "b.running_var.fill_(2.0)\nx = T.randn(1, 2, 4, 4)\n"
        "out = r((U.fuse_conv_bn_eval(c, b)(x) - b(c(x))).abs().max() < 1e-5)"
    ),
}


@pytest.mark.parametrize("name", list(CASES) + list(GUARDS))
def test_nn_utils_case_as_pytorch(name: str) -> None:
    code = CASES.get(name) or GUARDS[name]
    assert outcome(cr, code, PRELUDE) == outcome(torch, code, PRELUDE)
