"""Small PyTorch APIs that ported code calls, against PyTorch: ``torch.jit``'s TorchScript
entry points (script, trace, freeze, fork, ...), ``torch.amp.custom_fwd``/``custom_bwd``,
``nn.utils.rnn.invert_permutation`` and ``autograd.graph.register_multi_grad_hook``.

Each snippet runs with ``T`` as torch and as chainrule; what it leaves in ``out`` (or the error
it raises: type and first line) must be the same. Rows named ``..._refused`` must raise (in
PyTorch, so in chainrule); the others must not. Where chainrule differs on purpose (it cannot
serialize programs; its trace follows each input's control flow) the difference is named in
``DIFFERENCES``: chainrule's outcome is asserted, and PyTorch's must differ from it.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import torch
from snippet_outcome import outcome

import chainrule as cr

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning")


def mlp_function(x, w1, b1, w2):  # noqa: ANN001, ANN201
    # Tensor methods only, in a file, no annotations: TorchScript reads the source (every
    # argument a Tensor) and knows no ``T``.
    return (x.matmul(w1) + b1).tanh().matmul(w2).sum(dim=1)


def scaler_module(T: Any) -> Any:  # noqa: N803 - the snippets' name for the library
    class Scaler(T.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.scale = T.nn.Parameter(T.tensor([2.0, 3.0]))

        def forward(self, x):  # noqa: ANN001, ANN202 - TorchScript reads these
            return self.shift(x) * self.scale

        @T.jit.ignore
        def shift(self, x):  # noqa: ANN001, ANN202
            return x + 1

        @T.jit.export
        def double(self, x):  # noqa: ANN001, ANN202
            return x * 2

    return Scaler()


PRELUDE = """
def linear(i, o):
    m = T.nn.Linear(i, o)
    with T.no_grad():
        m.weight.copy_(T.linspace(-1.0, 1.0, i * o).reshape(o, i))
        m.bias.copy_(T.linspace(-0.5, 0.5, o))
    return m
def mlp():
    return T.nn.Sequential(linear(3, 4), T.nn.Tanh(), linear(4, 2))
def r(t):
    return [round(v, 5) for v in t.flatten().tolist()]
def weights():
    w1 = T.linspace(-1.0, 1.0, 12).reshape(3, 4).requires_grad_()
    return w1, T.linspace(0.0, 0.3, 4), T.linspace(1.0, -1.0, 8).reshape(4, 2)
x = T.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
x2 = T.tensor([[-2.0, 0.5, 1.0], [0.0, 3.0, -1.0], [1.0, 1.0, 1.0]])
class Double(T.autograd.Function):
    @staticmethod
    @T.amp.custom_fwd(device_type="cpu", cast_inputs=T.float16)
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return a * a * 2
    @staticmethod
    @T.amp.custom_bwd(device_type="cpu")
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * a * 4
"""

JIT = {
    "script_linear_values_grads_shared": """
        m = linear(3, 2)
        s = T.jit.script(m)
        y = s(x2)
        y.sum().backward()
        out = (r(y), r(m.weight.grad), r(s.bias.grad), s.weight is m.weight,
               isinstance(s, T.jit.ScriptModule), isinstance(s, T.nn.Module))
    """,
    "script_mlp_own_training_flag_shared_parameters": """
        m = mlp()
        s = T.jit.script(m)
        s.eval()
        with T.no_grad():
            m[0].weight.mul_(2)
        # (getattr: PyTorch's s[0] gives the original's module, not the scripted one)
        out = (m.training, m[0].training, s.training, getattr(s, "0").training, r(s(x)),
               [n for n, _ in s.named_parameters()], getattr(s, "2").bias is m[2].bias)
    """,
    "script_function_values_grads": """
        f = T.jit.script(mlp_function)
        w1, b1, w2 = weights()
        y = f(x2, w1, b1, w2)
        y.sum().backward()
        out = (r(y), r(w1.grad), isinstance(f, T.jit.ScriptFunction))
    """,
    "script_module_with_ignored_and_exported_methods": """
        s = T.jit.script(scaler_module(T))
        out = (r(s(T.tensor([1.0, 2.0]))), r(s.double(T.tensor([1.0, 2.0]))))
    """,
    "trace_linear_new_inputs_values_grads": """
        m = linear(3, 2)
        t = T.jit.trace(m, x)
        y = t(x2)
        (y * y).sum().backward()
        out = (r(y), r(m.weight.grad), t.weight is m.weight, isinstance(t, T.jit.ScriptModule))
    """,
    "trace_mlp_function_new_inputs_values_grads": """
        w1, b1, w2 = weights()
        f = T.jit.trace(mlp_function, (x, w1, b1, w2))
        w1, b1, w2 = weights()
        y = f(x2, w1, b1, w2)
        y.sum().backward()
        out = (r(y), r(w1.grad), isinstance(f, T.jit.ScriptFunction))
    """,
    "trace_module_forward_and_method": """
        m = mlp()
        t = T.jit.trace_module(m, {"forward": x})
        out = (r(t(x2)), getattr(t, "0").weight is m[0].weight)
    """,
    "trace_module_kwarg_inputs": """
        m = linear(3, 2)
        t = T.jit.trace(m, example_kwarg_inputs={"input": x})
        out = r(t(x2))
    """,
    "trace_module_forward_method": """
        m = linear(3, 2)
        t = T.jit.trace(m.forward, x)
        out = (r(t(x2)), t.bias is m.bias)
    """,
    "trace_module_without_inputs_refused": """
        T.jit.trace(linear(3, 2))
    """,
    "trace_module_other_method_refused": """
        m = linear(3, 2)
        T.jit.trace(m.extra_repr, ())
    """,
    "trace_module_inputs_not_dict_refused": """
        T.jit.trace_module(linear(3, 2), x)
    """,
    "trace_module_of_a_function_refused": """
        T.jit.trace_module(mlp_function, {"forward": x})
    """,
    "freeze_values_constants_memory_shared": """
        m = mlp()
        f = T.jit.freeze(T.jit.script(m).eval())
        y = f(x)
        before = r(y)
        with T.no_grad():
            m[2].bias.add_(1.0)
        out = (before, y.requires_grad, list(f.parameters()), list(f.state_dict()), r(f(x)),
               m.training)
    """,
    "freeze_preserved_attrs": """
        f = T.jit.freeze(T.jit.script(mlp()).eval(), preserved_attrs=["0.bias"])
        out = r(f(x2))
    """,
    "freeze_training_mode_refused": """
        T.jit.freeze(T.jit.script(mlp()))
    """,
    "freeze_plain_module_refused": """
        T.jit.freeze(mlp().eval())
    """,
    "optimize_for_inference_values": """
        m = mlp()
        o = T.jit.optimize_for_inference(T.jit.script(m))
        out = (r(o(x2)), list(o.parameters()), m.training)
    """,
    "optimize_for_inference_plain_module_refused": """
        T.jit.optimize_for_inference(mlp())
    """,
    "fork_wait": """
        w1, b1, w2 = weights()
        fut = T.jit.fork(mlp_function, x, w1, b1, w2)
        out = (r(T.jit.wait(fut)), r(fut.wait()))
    """,
    "fork_raises_at_once_refused": """
        T.jit.fork(mlp_function, x)
    """,
    "annotate_final_scripting_tracing": """
        import typing
        out = (T.jit.annotate(list[int], [1, 2]), T.jit.is_scripting(), T.jit.is_tracing(),
               T.jit.Final is typing.Final)
    """,
    "decorators_return_the_function": """
        def f(a):
            return a * 2
        out = (T.jit.ignore(f)(3), T.jit.ignore(drop=True)(f)(4), T.jit.ignore()(f)(5),
               T.jit.unused(f)(6), T.jit.export(f)(7))
    """,
    "ignore_bad_argument_refused": """
        T.jit.ignore(3)
    """,
}

AMP = {
    "custom_fwd_bwd_function_values_grads": """
        a = T.tensor([1.0, -2.0, 3.0], requires_grad=True)
        y = Double.apply(a)
        y.sum().backward()
        out = (y.dtype, r(y), r(a.grad))
    """,
    "custom_fwd_plain_and_factory_forms": """
        import types
        def f(ctx, a):
            return a + 1
        plain = T.amp.custom_fwd(f, device_type="cpu")
        made = T.amp.custom_fwd(device_type="cuda")(f)
        back = T.amp.custom_bwd(f, device_type="cpu")
        ctx = types.SimpleNamespace()
        out = (r(plain(ctx, T.ones(2))), r(made(ctx, T.ones(2))), r(back(ctx, T.ones(2))))
    """,
    "custom_fwd_device_type_not_str_refused": """
        T.amp.custom_fwd(device_type=1)
    """,
    "custom_bwd_device_type_not_str_refused": """
        T.amp.custom_bwd(device_type=None)
    """,
    "custom_fwd_without_device_type_refused": """
        T.amp.custom_fwd(lambda ctx, a: a)
    """,
    "cuda_amp_custom_fwd_bwd_deprecated": """
        import warnings
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            class Cube(T.autograd.Function):
                @staticmethod
                @T.cuda.amp.custom_fwd(cast_inputs=T.float64)
                def forward(ctx, a):
                    ctx.save_for_backward(a)
                    return a ** 3
                @staticmethod
                @T.cuda.amp.custom_bwd
                def backward(ctx, g):
                    (a,) = ctx.saved_tensors
                    return g * 3 * a * a
        a = T.tensor([1.0, 2.0], requires_grad=True)
        y = Cube.apply(a)
        y.sum().backward()
        out = (y.dtype, r(y), r(a.grad),
               [(w.category.__name__, str(w.message)) for w in caught])
    """,
    "is_autocast_available_unknown_device_refused": """
        T.amp.is_autocast_available("foo")
    """,
}

INVERT_PERMUTATION = {
    "invert_permutation_values": """
        p = T.tensor([2, 0, 3, 1])
        q = T.nn.utils.rnn.invert_permutation(p)
        out = (q, p[q], T.nn.utils.rnn.invert_permutation(None))
    """,
    "invert_permutation_empty": """
        out = T.nn.utils.rnn.invert_permutation(T.tensor([], dtype=T.int64))
    """,
    "invert_permutation_of_packed_sorted_indices": """
        seqs = [T.ones(2), T.ones(4), T.ones(1), T.ones(3)]
        packed = T.nn.utils.rnn.pack_sequence(seqs, enforce_sorted=False)
        inverse = T.nn.utils.rnn.invert_permutation(packed.sorted_indices)
        out = (packed.sorted_indices, packed.unsorted_indices, inverse)
    """,
    "invert_permutation_2d_refused": """
        T.nn.utils.rnn.invert_permutation(T.tensor([[1, 0], [0, 1]]))
    """,
    "invert_permutation_float_refused": """
        T.nn.utils.rnn.invert_permutation(T.tensor([1.0, 0.0]))
    """,
    "invert_permutation_int32_refused": """
        T.nn.utils.rnn.invert_permutation(T.tensor([1, 0], dtype=T.int32))
    """,
    "invert_permutation_out_of_range_refused": """
        T.nn.utils.rnn.invert_permutation(T.tensor([3, 0, 1]))
    """,
}

MULTI_GRAD_HOOKS = {
    "all_backward_then_backward_inputs": """
        a = T.tensor([1.0, 2.0], requires_grad=True)
        b = T.tensor([3.0, 4.0], requires_grad=True)
        c, d = a * b, a * b
        log = []
        T.autograd.graph.register_multi_grad_hook(
            (a, b, c, d), lambda gs: log.append([None if g is None else g.tolist() for g in gs]))
        c.sum().backward(retain_graph=True)
        (c * c).sum().backward(inputs=(a,), retain_graph=True)
        out = log
    """,
    "all_partial_reach_over_two_graphs": """
        a = T.tensor([1.0, 2.0], requires_grad=True)
        z = T.tensor([5.0], requires_grad=True)
        y, w = a.exp(), z * 3
        log = []
        T.autograd.graph.register_multi_grad_hook(
            [a, y, z, w], lambda gs: log.append([None if g is None else r(g) for g in gs]))
        y.sum().backward()
        (w * w).sum().backward()
        out = log
    """,
    "all_both_graphs_in_one_pass": """
        a = T.tensor([1.0, 2.0], requires_grad=True)
        z = T.tensor([5.0], requires_grad=True)
        y, w = a.exp(), z * 3
        log = []
        T.autograd.graph.register_multi_grad_hook(
            [a, y, z, w], lambda gs: log.append([None if g is None else r(g) for g in gs]))
        (y.sum() + (w * w).sum()).backward()
        out = log
    """,
    "all_retain_graph_twice": """
        a = T.tensor([1.0, -1.0], requires_grad=True)
        h = a.tanh()
        loss = (h * h).sum()
        log = []
        T.autograd.graph.register_multi_grad_hook(
            (a, h), lambda gs: log.append([r(g) for g in gs]))
        loss.backward(retain_graph=True)
        loss.backward()
        out = (log, r(a.grad))
    """,
    "all_autograd_grad_inputs_subset": """
        a = T.tensor([1.0, 2.0], requires_grad=True)
        b = T.tensor([3.0, 4.0], requires_grad=True)
        c = a * 2
        e = c * b
        d = a * b
        log = []
        T.autograd.graph.register_multi_grad_hook(
            (c, e, d), lambda gs: log.append([None if g is None else g.tolist() for g in gs]))
        first = T.autograd.grad(e.sum(), (c,), retain_graph=True)
        second = T.autograd.grad((e * e).sum() + d.sum(), (a,))
        out = (log, first, second, a.grad)
    """,
    "all_fn_runs_before_the_leaf_grad_is_accumulated": """
        a = T.tensor([1.0, 2.0], requires_grad=True)
        c = a * 3
        log = []
        T.autograd.graph.register_multi_grad_hook(
            (c, a), lambda gs: log.append((len(gs), a.grad)))
        c.sum().backward()
        out = (log, a.grad)
    """,
    "all_leaf_roots": """
        a = T.tensor([1.0, 2.0], requires_grad=True)
        b = T.tensor([3.0, 4.0], requires_grad=True)
        log = []
        T.autograd.graph.register_multi_grad_hook([a], lambda gs: log.append(gs))
        T.autograd.graph.register_multi_grad_hook([a, b], lambda gs: log.append(gs))
        T.autograd.backward([a, (b * 2).sum()], [T.tensor([1.0, 5.0]), None])
        out = log
    """,
    "all_same_tensor_twice": """
        a = T.tensor([1.0, 2.0], requires_grad=True)
        log = []
        T.autograd.graph.register_multi_grad_hook([a, a], lambda gs: log.append(gs))
        (a * 2).sum().backward()
        out = log
    """,
    "all_handle_remove": """
        a = T.tensor([1.0, 2.0], requires_grad=True)
        y = a * a
        log = []
        handle = T.autograd.graph.register_multi_grad_hook((a, y), lambda gs: log.append(len(gs)))
        y.sum().backward(retain_graph=True)
        handle.remove()
        y.sum().backward()
        out = (log, a.grad)
    """,
    "all_hook_return_leaves_gradients": """
        a = T.tensor([1.0, 2.0], requires_grad=True)
        y = a * a
        T.autograd.graph.register_multi_grad_hook((a, y), lambda gs: [g * 0 for g in gs])
        y.sum().backward()
        out = a.grad
    """,
    "all_tensor_without_grad_refused": """
        a = T.tensor([1.0, 2.0], requires_grad=True)
        T.autograd.graph.register_multi_grad_hook((a, T.ones(2)), print)
    """,
    "bad_mode_refused": """
        a = T.tensor([1.0, 2.0], requires_grad=True)
        T.autograd.graph.register_multi_grad_hook((a,), print, mode="some")
    """,
    "any_first_gradient_once_per_pass": """
        a = T.tensor([1.0, 2.0], requires_grad=True)
        b = T.tensor([3.0, 4.0], requires_grad=True)
        c = a * b
        log = []
        T.autograd.graph.register_multi_grad_hook(
            (a, b, c, T.ones(2)), lambda g: log.append(g.tolist()), mode="any")
        (c * c).sum().backward(retain_graph=True)
        (c * 2).sum().backward(inputs=[b])
        out = log
    """,
    "any_leaves_only_and_autograd_grad": """
        a = T.tensor([1.0, 2.0], requires_grad=True)
        b = T.tensor([3.0, 4.0], requires_grad=True)
        log = []
        T.autograd.graph.register_multi_grad_hook(
            (a, b), lambda g: log.append(g.tolist()), mode="any")
        (a * 2 + b).sum().backward()
        T.autograd.grad((a * 5).sum(), a)
        out = log
    """,
    "any_handle_remove": """
        a = T.tensor([1.0, 2.0], requires_grad=True)
        log = []
        handle = T.autograd.graph.register_multi_grad_hook(
            (a,), lambda g: log.append(g.tolist()), mode="any")
        (a * 2).sum().backward()
        handle.remove()
        (a * 2).sum().backward()
        out = (log, a.grad)
    """,
}

SNIPPETS = {**JIT, **AMP, **INVERT_PERMUTATION, **MULTI_GRAD_HOOKS}
NAMES = {"mlp_function": mlp_function, "scaler_module": scaler_module}


def _raised(text: str) -> bool:
    return re.match(r"\w+(Error|Exception): ", text) is not None


@pytest.mark.parametrize("name", SNIPPETS)
def test_snippet_matches_pytorch(name: str) -> None:
    expected = outcome(torch, SNIPPETS[name], PRELUDE, **NAMES)
    assert _raised(expected) == name.endswith("_refused"), expected  # the row tests its claim
    assert outcome(cr, SNIPPETS[name], PRELUDE, **NAMES) == expected


_NO_PROGRAMS = (
    "NotImplementedError: T cannot serialize a TorchScript program: a scripted module runs its "
    "Python code. Keep the weights with T.save(model.state_dict(), path) and load them into a "
    "model built in Python with model.load_state_dict(T.load(path))"
)

# Where chainrule differs from PyTorch on purpose: (snippet, chainrule's outcome).
DIFFERENCES = {
    # chainrule has no programs to serialize: its error names the way to keep the weights
    "jit_save": ("T.jit.save(T.jit.script(linear(3, 2)), path)", _NO_PROGRAMS),
    "script_module_save": ("T.jit.script(linear(3, 2)).save(path)", _NO_PROGRAMS),
    "script_function_save": ("T.jit.script(mlp_function).save(path)", _NO_PROGRAMS),
    "jit_load": (
        "torch.jit.save(torch.jit.script(torch.nn.Linear(3, 2)), path)\nout = T.jit.load(path)",
        _NO_PROGRAMS,
    ),
    # PyTorch's trace replays the example's branch; chainrule's follows each input
    "trace_follows_control_flow": (
        """
        def f(a):
            return a * 2 if bool(a.sum() > 0) else -a
        out = T.jit.trace(f, T.ones(2))(T.tensor([-1.0, -2.0]))
        """,
        "tensor([1., 2.])",
    ),
    # chainrule's autocast always disables itself, so it is available on no device
    "is_autocast_available_cpu": ("out = T.amp.is_autocast_available('cpu')", "False"),
}


@pytest.mark.filterwarnings("ignore::torch.jit.TracerWarning")
@pytest.mark.parametrize("name", DIFFERENCES)
def test_named_difference_from_pytorch(name: str, tmp_path: Any) -> None:
    code, chainrule_outcome = DIFFERENCES[name]
    names = {**NAMES, "path": str(tmp_path / "model.pt"), "torch": torch}
    assert outcome(cr, code, PRELUDE, **names) == chainrule_outcome
    assert outcome(torch, code, PRELUDE, **names) != chainrule_outcome
