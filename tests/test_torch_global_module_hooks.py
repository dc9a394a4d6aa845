"""PyTorch's global module hooks (``torch.nn.modules.module.register_module_*_hook``), row by
row against torch: the order against a module's own hooks, the arguments, the values a hook
returns in place of the args, output, gradients or registered parameter/buffer/module, the
options ``with_kwargs`` and ``always_call``, removal, backward hooks (full and not, and the
error for mixing them), nested modules; and a compiled step that must see a hook registered
(or removed) after it was traced. Every hook a row registers is removed, even if it fails."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import pytest
import torch
from snippet_outcome import outcome

import chainrule as cr

# ``reg(kind, hook, ...)``: G.register_module_<kind>(hook, ...), its handle kept in H (which
# the fixture removes); ``log`` collects what the hooks see.
PRELUDE = """
import warnings
G = T.nn.modules.module
log = []
def reg(kind, *args, **kwargs):
    handle = getattr(G, "register_module_" + kind)(*args, **kwargs)
    H.append(handle)
    return handle
def name(m):
    return type(m).__name__
class Twice(T.nn.Module):
    def forward(self, x, scale=1.0):
        return x * 2 * scale
class Bad(T.nn.Module):
    def forward(self, x):
        raise ValueError("boom")
def leaf(*values):
    return T.tensor(values, requires_grad=True)
"""

ROWS = {
    "forward_pre_hook_runs_before_the_modules_own": """
        m = Twice()
        m.register_forward_pre_hook(lambda m, a: log.append("own"))
        reg("forward_pre_hook", lambda m, a: log.append(("global", name(m), len(a))))
        out = (m(T.tensor([1.0])), log)
    """,
    "forward_pre_hook_returns_new_args": """
        reg("forward_pre_hook", lambda m, a: a[0] + 1)
        m = Twice()
        m.register_forward_pre_hook(lambda m, a: log.append(a[0].tolist()))
        out = (m(T.tensor([1.0])), log)
    """,
    "forward_pre_hook_then_own_with_kwargs": """
        m = Twice()
        m.register_forward_pre_hook(lambda m, a, k: (a, {"scale": 3.0}), with_kwargs=True)
        reg("forward_pre_hook", lambda m, a: (a[0] * 10,))
        out = m(T.tensor([1.0]), scale=2.0)
    """,
    "forward_pre_hook_of_each_module_of_a_sequential": """
        reg("forward_pre_hook", lambda m, a: log.append(name(m)))
        net = T.nn.Sequential(T.nn.Linear(2, 2), T.nn.ReLU())
        net(T.ones(1, 2))
        out = log
    """,
    "forward_hook_runs_before_the_modules_own": """
        m = Twice()
        m.register_forward_hook(lambda m, a, o: log.append(("own", o.tolist())) or o + 1)
        reg("forward_hook", lambda m, a, o: log.append(("global", o.tolist())) or o * 10)
        out = (m(T.tensor([1.0])), log)
    """,
    "forward_hook_prepended_own_still_after_global": """
        m = Twice()
        m.register_forward_hook(lambda m, a, o: log.append("own"), prepend=True)
        reg("forward_hook", lambda m, a, o: log.append("global"))
        m(T.ones(1))
        out = log
    """,
    "forward_hook_with_kwargs": """
        reg("forward_hook", lambda m, a, k, o: log.append((k, o.tolist())), with_kwargs=True)
        reg("forward_hook", lambda m, a, o: log.append(len(a)))
        out = (Twice()(T.tensor([1.0]), scale=3.0), log)
    """,
    "forward_hooks_of_a_sequential_in_order": """
        reg("forward_pre_hook", lambda m, a: log.append(("pre", name(m))))
        reg("forward_hook", lambda m, a, o: log.append(("post", name(m), tuple(o.shape))))
        net = T.nn.Sequential(T.nn.Linear(2, 3), T.nn.ReLU())
        net[1].register_forward_hook(lambda m, a, o: log.append("own relu"))
        net(T.ones(1, 2))
        out = log
    """,
    "forward_hook_always_call_when_forward_raises": """
        reg("forward_hook", lambda m, a, o: log.append(("always", o)), always_call=True)
        reg("forward_hook", lambda m, a, o: log.append("not always"))
        m = Bad()
        m.register_forward_hook(lambda m, a, o: log.append("own always"), always_call=True)
        try:
            m(T.ones(1))
        except ValueError as e:
            log.append(str(e))
        out = log
    """,
    "forward_hook_always_call_with_kwargs_is_silenced": """
        reg("forward_hook", lambda m, a, k, o: log.append("kw"), with_kwargs=True, always_call=True)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            try:
                Bad()(T.ones(1))
            except ValueError as e:
                log.append(str(e))
        out = (log, [(x.category.__name__, str(x.message)) for x in w])
    """,
    "forward_hook_always_call_raising_is_silenced": """
        reg("forward_hook", lambda m, a, o: 1 / 0, always_call=True)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            try:
                Bad()(T.ones(1))
            except ValueError as e:
                log.append(str(e))
        out = (log, [(x.category.__name__, str(x.message)) for x in w])
    """,
    "forward_hook_error_goes_on": """
        reg("forward_hook", lambda m, a, o: 1 / 0)
        out = Twice()(T.ones(1))
    """,
    "handle_remove": """
        m = Twice()
        h = reg("forward_hook", lambda m, a, o: o * 10, always_call=True)
        first = m(T.ones(1))
        h.remove()
        h.remove()
        out = (first, m(T.ones(1)))
    """,
    "handle_as_context_manager": """
        m = Twice()
        with G.register_module_forward_pre_hook(lambda m, a: (a[0] + 1,)):
            inside = m(T.ones(1))
        with G.register_module_forward_hook(lambda m, a, k, o: o - 1, with_kwargs=True):
            inside_kw = m(T.ones(1))
        out = (inside, inside_kw, m(T.ones(1)))
    """,
    "full_backward_hook_runs_before_the_modules_own": """
        m = T.nn.ReLU()
        m.register_full_backward_hook(lambda m, gi, go: log.append(("own", gi[0].tolist())))
        hook = lambda m, gi, go: log.append(("g", gi[0].tolist(), go[0].tolist()))
        reg("full_backward_hook", hook)
        x = leaf(-1.0, 2.0)
        m(x * 1).sum().backward()
        out = (log, x.grad)
    """,
    "full_backward_hook_returns_new_grad_input": """
        reg("full_backward_hook", lambda m, gi, go: (gi[0] * 2,))
        m = T.nn.Tanh()
        m.register_full_backward_hook(lambda m, gi, go: log.append(gi[0].tolist()))
        x = leaf(0.0, 0.0)
        m(x).sum().backward()
        out = (log, x.grad)
    """,
    "full_backward_hooks_of_a_sequential": """
        reg("full_backward_hook", lambda m, gi, go: log.append((name(m), len(gi), len(go))))
        net = T.nn.Sequential(T.nn.Linear(2, 2), T.nn.ReLU())
        x = leaf(1.0, 2.0)
        net(x).sum().backward()
        out = log
    """,
    "full_backward_pre_hook_runs_before_the_modules_own": """
        reg("full_backward_pre_hook", lambda m, go: log.append("global") or (go[0] * 3,))
        m = T.nn.Identity()
        m.register_full_backward_pre_hook(lambda m, go: log.append(("own", go[0].tolist())))
        x = leaf(1.0, 1.0)
        m(x * 1).sum().backward()
        out = (log, x.grad)
    """,
    "full_backward_pre_hook_and_hook": """
        reg("full_backward_pre_hook", lambda m, go: log.append(("pre", name(m))))
        reg("full_backward_hook", lambda m, gi, go: log.append(("post", name(m))))
        net = T.nn.Sequential(T.nn.Tanh(), T.nn.ReLU())
        net(leaf(1.0)).sum().backward()
        out = log
    """,
    "backward_hook_non_full": """
        hook = lambda m, gi, go: log.append((name(m), gi[0].tolist(), go[0].tolist()))
        reg("backward_hook", hook)
        m = T.nn.ReLU()
        x = leaf(-1.0, 2.0)
        m(x * 1).sum().backward()
        out = (log, x.grad)
    """,
    "backward_hook_non_full_returns_new_grad_input": """
        reg("backward_hook", lambda m, gi, go: (gi[0] * 5,))
        x = leaf(-1.0, 2.0)
        T.nn.ReLU()(x * 1).sum().backward()
        out = x.grad
    """,
    "backward_hook_then_full_refused": """
        reg("backward_hook", lambda m, gi, go: None)
        reg("full_backward_hook", lambda m, gi, go: None)
    """,
    "full_backward_hook_then_non_full_refused": """
        reg("full_backward_hook", lambda m, gi, go: None)
        reg("backward_hook", lambda m, gi, go: None)
    """,
    "backward_hook_kind_kept_after_removal": """
        reg("full_backward_hook", lambda m, gi, go: None).remove()
        reg("backward_hook", lambda m, gi, go: None)
    """,
    "global_full_with_a_modules_non_full": """
        reg("full_backward_hook", lambda m, gi, go: log.append("global full"))
        m = T.nn.ReLU()
        m.register_backward_hook(lambda m, gi, go: log.append("own non-full"))
        m(leaf(1.0) * 1).sum().backward()
        out = sorted(log)
    """,
    "global_non_full_with_a_modules_full": """
        reg("backward_hook", lambda m, gi, go: log.append("global non-full"))
        m = T.nn.ReLU()
        m.register_full_backward_hook(lambda m, gi, go: log.append("own full"))
        m(leaf(1.0) * 1).sum().backward()
        out = sorted(log)
    """,
    "backward_hooks_not_run_under_no_grad": """
        reg("full_backward_hook", lambda m, gi, go: log.append("full"))
        with T.no_grad():
            y = T.nn.ReLU()(leaf(1.0))
        out = (y.requires_grad, log)
    """,
    "parameter_registration_hook_replaces": """
        def hook(m, n, p):
            log.append((name(m), n, tuple(p.shape)))
            return T.nn.Parameter(T.ones_like(p))
        reg("parameter_registration_hook", hook)
        layer = T.nn.Linear(2, 3, bias=False)
        layer.extra = T.nn.Parameter(T.zeros(1))
        layer.register_parameter("none", None)
        # (Linear initialises its weight in place after registering it)
        params = [(n, type(p).__name__, tuple(p.shape)) for n, p in layer.named_parameters()]
        out = (log, params, layer.extra)
    """,
    "parameter_registration_hook_chain": """
        reg("parameter_registration_hook", lambda m, n, p: T.nn.Parameter(p.detach() + 1))
        reg("parameter_registration_hook", lambda m, n, p: log.append(p.tolist()))
        m = T.nn.Module()
        m.p = T.nn.Parameter(T.zeros(2))
        out = (log, m.p)
    """,
    "buffer_registration_hook_replaces": """
        def hook(m, n, b):
            log.append((n, None if b is None else b.tolist()))
            return None if b is None else b + 1
        reg("buffer_registration_hook", hook)
        m = T.nn.Module()
        m.register_buffer("a", T.zeros(2))
        m.register_buffer("none", None)
        m.a = T.ones(1)
        m.b = T.nn.Buffer(T.zeros(1), persistent=False)
        out = (log, dict(m.named_buffers()), list(m.state_dict()))
    """,
    "buffer_registration_hook_of_batchnorm": """
        reg("buffer_registration_hook", lambda m, n, b: log.append(n))
        T.nn.BatchNorm1d(2)
        out = log
    """,
    "module_registration_hook_replaces": """
        def hook(m, n, sub):
            log.append((name(m), n, None if sub is None else name(sub)))
            return T.nn.Tanh() if isinstance(sub, T.nn.ReLU) else None
        reg("module_registration_hook", hook)
        net = T.nn.Sequential(T.nn.ReLU(), T.nn.Identity())
        net.add_module("x", T.nn.ReLU())
        net.register_module("y", None)
        net.x = None
        net.z = T.nn.ReLU()
        out = (log, net)
    """,
    "registration_hooks_removed": """
        h = reg("module_registration_hook", lambda m, n, sub: T.nn.Tanh())
        h.remove()
        with G.register_module_parameter_registration_hook(lambda m, n, p: log.append(n)):
            pass
        out = (T.nn.Sequential(T.nn.ReLU()), T.nn.Linear(1, 1).weight.shape, log)
    """,
    "registration_hook_error_goes_on": """
        reg("buffer_registration_hook", lambda m, n, b: 1 / 0)
        T.nn.Module().register_buffer("a", T.zeros(1))
    """,
}

LIBS = {"torch": (torch, "torch.nn.modules.module"), "chainrule": (cr, "chainrule.nn.module")}


@pytest.fixture
def handles() -> Iterator[list[Any]]:
    """The handles a row registers: removed afterwards, with the global backward hook kind
    (which PyTorch keeps once set) forgotten, in both libraries."""
    held: list[Any] = []
    try:
        yield held
    finally:
        for handle in held:
            handle.remove()
        for _, path in LIBS.values():
            importlib.import_module(path)._global_is_full_backward_hook = None


def _global_hooks_left(path: str) -> list[str]:
    state = vars(importlib.import_module(path))
    return [name for name, value in state.items() if name.startswith("_global_") and value]


@pytest.mark.parametrize("row", ROWS)
def test_a_global_module_hook_acts_as_pytorchs(row: str, handles: list[Any]) -> None:
    theirs = outcome(torch, ROWS[row], PRELUDE, H=handles)
    ours = outcome(cr, ROWS[row], PRELUDE, H=handles)
    assert ours == theirs


def test_the_rows_leave_no_global_hook() -> None:
    # (PyTorch's handle leaves the id of a with_kwargs forward hook in its with_kwargs dict)
    assert _global_hooks_left(LIBS["chainrule"][1]) == []


def _step(net: Any, x: Any) -> Any:
    loss = net(x).sum()
    loss.backward()
    return loss


# A compiled training step traced without global hooks, then called with one registered (the
# replay must not skip it) and again after its removal (the replay must not keep it).
@pytest.mark.parametrize(
    "kind",
    ["forward_hook", "forward_pre_hook", "full_backward_hook"],
)
def test_a_compiled_step_honours_a_global_hook_registered_after_tracing(
    kind: str, handles: list[Any]
) -> None:
    hook = {
        "forward_hook": lambda m, a, o: o * 2,
        "forward_pre_hook": lambda m, a: (a[0] + 1,),
        "full_backward_hook": lambda m, gi, go: tuple(g * 3 for g in gi),
    }[kind]
    register = getattr(cr.nn.modules.module, f"register_module_{kind}")

    def results(step: Any) -> list[Any]:
        cr.manual_seed(0)
        net = cr.nn.Sequential(cr.nn.Linear(3, 2), cr.nn.Tanh())
        x = cr.ones(4, 3, requires_grad=True)
        seen = []
        for hooked in (False, False, True, True, False):
            if hooked and not handles:
                handles.append(register(hook))
            if not hooked and handles:
                handles.pop().remove()
            net.zero_grad()
            x.grad = None
            loss = step(net, x)
            seen.append((loss.item(), x.grad.tolist(), net[0].weight.grad.tolist()))
        return seen

    eager = results(_step)
    compiled = results(cr.compile(_step))
    assert compiled == eager
    assert eager[2] != eager[0]  # the hook changes the step
