"""PyTorch's optimizer hooks against PyTorch's, and under ``cr.compile``.

Each row of the table runs one snippet on chainrule and on torch and compares what it
records: which hooks ran, in which order, with which arguments (the optimizer first, then the
step's own), the step's result and the parameters after it, what the state-dict hooks gave,
and for a hook that returns something that is not ``(args, kwargs)`` the error's type and
message (the function's address aside). Global hooks are removed by each row.

The compiled rows run a training step eagerly and under ``cr.compile``: a step with hooks is
replayed whole, hooks included, and the hooks counted, the parameters and the ``.grad`` a post
hook reads equal the eager ones; registering a hook after tracing makes it trace again.
"""

from __future__ import annotations

import copy
import gc
import pickle
import re
import sys
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
import torch.optim.optimizer as torch_optimizer

import chainrule as cr
import chainrule.optim.optimizer as cr_optimizer

LIBS = {"chainrule": (cr, cr_optimizer), "torch": (torch, torch_optimizer)}


def _params(lib: Any, n: int = 2) -> list[Any]:
    """``n`` parameters with gradients, the same in both libraries (float64: compared to
    1e-12)."""
    params = []
    for i in range(n):
        p = lib.nn.Parameter(lib.tensor([1.0 + i, -2.0, 0.5], dtype=lib.float64))
        p.grad = lib.tensor([0.5, 1.0 - i, -1.5], dtype=lib.float64)
        params.append(p)
    return params


def _values(value: Any) -> Any:
    """Tensors as lists, the optimizer as its class name, containers gone through."""
    if isinstance(value, (cr.Tensor, torch.Tensor)):
        return np.asarray(value.detach().numpy(), dtype=np.float64).round(12).tolist()
    if isinstance(value, (cr.optim.Optimizer, torch.optim.Optimizer)):
        return f"<{type(value).__name__}>"
    if isinstance(value, dict):
        return {k: _values(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_values(v) for v in value)
    if callable(value):
        return "<function>"
    return value


def _recorder(log: list[Any], name: str) -> Callable[..., None]:
    def hook(opt: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        log.append((name, _values(args), _values(kwargs), args[0] is opt))

    return hook


# ---------------------------------------------------------------------------- the rows
def order_of_global_and_own_hooks(lib: Any, module: Any) -> Any:
    log: list[Any] = []
    params = _params(lib)
    opt = lib.optim.SGD(params, lr=0.1)
    handles = [
        opt.register_step_post_hook(_recorder(log, "post 1")),
        module.register_optimizer_step_post_hook(_recorder(log, "global post")),
        opt.register_step_pre_hook(_recorder(log, "pre 1")),
        module.register_optimizer_step_pre_hook(_recorder(log, "global pre")),
        opt.register_step_pre_hook(_recorder(log, "pre 2")),
        opt.register_step_post_hook(_recorder(log, "post 2")),
    ]
    try:
        opt.step()
        opt.step(None)
        opt.step(closure=None)
    finally:
        for handle in handles:
            handle.remove()
    return log, _values(params)


def pre_hook_replaces_args(lib: Any, module: Any) -> Any:
    log: list[Any] = []
    params = _params(lib)
    opt = lib.optim.SGD(params, lr=0.1)

    def with_closure(o: Any, args: Any, kwargs: Any) -> Any:
        log.append(("pre", _values(args), _values(kwargs)))
        return (o,), {"closure": lambda: 7.5}

    opt.register_step_pre_hook(lambda o, a, k: log.append(("before", len(a), k)))
    opt.register_step_pre_hook(with_closure)
    opt.register_step_pre_hook(lambda o, a, k: log.append(("after", len(a), sorted(k))))
    opt.register_step_post_hook(lambda o, a, k: log.append(("post", len(a), sorted(k))))
    log.append(("returned", opt.step()))
    return log, _values(params)


def pre_hook_returning_none_keeps_args(lib: Any, module: Any) -> Any:
    log: list[Any] = []
    opt = lib.optim.SGD(_params(lib), lr=0.1)
    opt.register_step_pre_hook(lambda o, a, k: None)
    opt.register_step_post_hook(_recorder(log, "post"))
    log.append(opt.step(lambda: 2.0))
    return log


def removal_and_with_block(lib: Any, module: Any) -> Any:
    log: list[Any] = []
    params = _params(lib)
    opt = lib.optim.SGD(params, lr=0.1)
    first = opt.register_step_pre_hook(lambda *a: log.append("first"))
    second = module.register_optimizer_step_post_hook(lambda *a: log.append("global"))
    opt.step()
    first.remove()
    first.remove()  # a second removal does nothing
    opt.step()
    second.remove()
    opt.step()
    with opt.register_step_post_hook(lambda *a: log.append("in block")):
        opt.step()
    opt.step()
    log.append(len(opt._optimizer_step_pre_hooks) + len(opt._optimizer_step_post_hooks))
    return log, _values(params)


def global_hooks_run_on_every_optimizer(lib: Any, module: Any) -> Any:
    log: list[Any] = []
    sgd = lib.optim.SGD(_params(lib), lr=0.1)
    adam = lib.optim.Adam(_params(lib), lr=0.1)
    handles = [
        module.register_optimizer_step_pre_hook(lambda o, a, k: log.append(("pre", _values(o)))),
        module.register_optimizer_step_post_hook(lambda o, a, k: log.append(("post", _values(o)))),
    ]
    try:
        sgd.step()
        adam.step()
        rmsprop = lib.optim.RMSprop(_params(lib), lr=0.1)  # made after the hooks
        rmsprop.step()
    finally:
        for handle in handles:
            handle.remove()
    sgd.step()
    return log, _values(adam.param_groups[0]["params"])


def _bad_return(value: Any) -> Callable[[Any, Any], Any]:
    def row(lib: Any, module: Any) -> Any:
        log: list[Any] = []
        params = _params(lib)
        opt = lib.optim.SGD(params, lr=0.1)
        opt.register_step_pre_hook(lambda *a: log.append("ran before"))
        opt.register_step_pre_hook(lambda *a: value)
        opt.register_step_post_hook(lambda *a: log.append("post"))
        try:
            opt.step()
        except Exception as e:  # noqa: BLE001 - the error is what is compared
            message = re.sub(r"0x[0-9a-f]+", "0x", str(e).splitlines()[0])
            log.append((type(e).__name__, message))
        return log, _values(params)

    return row


def subclass_with_its_own_step(lib: Any, module: Any) -> Any:
    class Halving(lib.optim.Optimizer):  # a step of its own, not the base class's
        def __init__(self, params: Any) -> None:
            super().__init__(params, {"lr": 0.5})

        def step(self, closure: Any = None) -> Any:
            with lib.no_grad():
                for p in self.param_groups[0]["params"]:
                    p.mul_(self.param_groups[0]["lr"])
            return "stepped"

    log: list[Any] = []
    params = _params(lib)
    opt = Halving(params)
    opt.register_step_pre_hook(_recorder(log, "pre"))
    handle = module.register_optimizer_step_post_hook(_recorder(log, "global post"))
    try:
        log.append(opt.step())
    finally:
        handle.remove()
    return log, _values(params)


def subclass_step_calling_a_made_sgds_step(lib: Any, module: Any) -> Any:
    # PyTorch wraps each class's step as it makes an instance: once an SGD was made, a
    # subclass's own step that calls SGD's runs the hooks twice (in both libraries)
    lib.optim.SGD(_params(lib), lr=0.1)

    class Counting(lib.optim.SGD):
        calls = 0

        def step(self, closure: Any = None) -> Any:
            type(self).calls += 1
            return super().step(closure)

    log: list[Any] = []
    params = _params(lib)
    opt = Counting(params, lr=0.1, momentum=0.9)
    opt.register_step_pre_hook(lambda *a: log.append("pre"))
    opt.register_step_post_hook(lambda *a: log.append("post"))
    opt.step()
    opt.step()
    log.append(Counting.calls)
    return log, _values(params), _values(opt.state_dict()["state"])


def subclass_without_its_own_step(lib: Any, module: Any) -> Any:
    class Plain(lib.optim.Adam):
        pass

    log: list[Any] = []
    params = _params(lib)
    opt = Plain(params, lr=0.1)
    opt.register_step_pre_hook(_recorder(log, "pre"))
    opt.register_step_post_hook(_recorder(log, "post"))
    opt.step()
    return log, _values(params)


def lbfgs_closure_reaches_the_hooks(lib: Any, module: Any) -> Any:
    log: list[Any] = []
    w = lib.nn.Parameter(lib.tensor([1.5, -0.5], dtype=lib.float64))
    opt = lib.optim.LBFGS([w], lr=0.5, max_iter=3)
    target = lib.tensor([0.25, 2.0], dtype=lib.float64)

    def closure() -> Any:
        opt.zero_grad()
        loss = ((w - target) ** 2).sum()
        loss.backward()
        return loss

    opt.register_step_pre_hook(_recorder(log, "pre"))
    opt.register_step_post_hook(_recorder(log, "post"))
    loss = opt.step(closure)
    loss = opt.step(closure=closure)
    return log, _values(loss), _values(w)


def scheduler_steps_through_the_hooks(lib: Any, module: Any) -> Any:
    log: list[Any] = []
    params = _params(lib)
    opt = lib.optim.SGD(params, lr=0.1)
    opt.register_step_pre_hook(lambda o, a, k: log.append(("lr", o.param_groups[0]["lr"])))
    sched = lib.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # neither "scheduler before optimizer" nor "overridden"
        for _ in range(3):
            opt.step()
            sched.step()
    opt.register_step_post_hook(lambda o, a, k: log.append("post, made after"))
    opt.step()
    return log, _values(params), sched.get_last_lr()


def hook_registering_a_hook_while_hooks_run(lib: Any, module: Any) -> Any:
    log: list[Any] = []
    opt = lib.optim.SGD(_params(lib), lr=0.1)

    def registering(o: Any, args: Any, kwargs: Any) -> None:
        o.register_step_pre_hook(lambda *x: log.append(len(o._optimizer_step_pre_hooks)))

    opt.register_step_pre_hook(registering)
    for _ in range(2):
        try:
            opt.step()
        except RuntimeError as e:
            log.append((type(e).__name__, str(e)))
    return log


def copies_and_pickles_have_no_hooks(lib: Any, module: Any) -> Any:
    log: list[Any] = []
    opt = lib.optim.Adam(_params(lib), lr=0.1)
    opt.register_step_pre_hook(lambda *a: log.append("pre"))
    opt.register_state_dict_pre_hook(lambda *a: log.append("state dict"))
    twins = [copy.deepcopy(opt), pickle.loads(pickle.dumps(opt)), copy.copy(opt)]
    for twin in twins:
        twin.step()
        twin.state_dict()
        log.append(sorted(name for name, hooks in vars(twin).items() if "hooks" in name and hooks))
    return log


def copies_and_pickles_after_steps(lib: Any, module: Any) -> Any:
    """An optimizer that has stepped (and so keeps scratch arrays) pickles, and its copies
    step on from the same state, each on its own parameters."""
    opt = lib.optim.Adam(_params(lib), lr=0.1)
    opt.step()
    twins = [copy.deepcopy(opt), pickle.loads(pickle.dumps(opt)), opt]
    for twin in twins:
        twin.step()
    return [
        [[p.tolist() for p in twin.param_groups[0]["params"]] for twin in twins],
        [twin.state_dict()["state"][0]["exp_avg"].tolist() for twin in twins],
    ]


def state_dict_hooks(lib: Any, module: Any) -> Any:
    log: list[Any] = []
    opt = lib.optim.SGD(_params(lib), lr=0.1, momentum=0.9)
    opt.step()
    opt.register_state_dict_pre_hook(lambda o: log.append(("pre", _values(o))))
    opt.register_state_dict_pre_hook(lambda o: log.append("pre, prepended"), prepend=True)

    def in_place(o: Any, state_dict: Any) -> None:
        log.append(("post sees", sorted(state_dict)))
        state_dict["extra"] = 1

    def replacing(o: Any, state_dict: Any) -> Any:
        return {"replaced": sorted(state_dict), "groups": len(state_dict["param_groups"])}

    opt.register_state_dict_post_hook(in_place)
    handle = opt.register_state_dict_post_hook(replacing)
    opt.register_state_dict_post_hook(lambda o, s: log.append(("last", sorted(s))), prepend=True)
    log.append(_values(opt.state_dict()))
    handle.remove()
    log.append(sorted(opt.state_dict()))
    return log


def load_state_dict_hooks(lib: Any, module: Any) -> Any:
    log: list[Any] = []
    source = lib.optim.AdamW(_params(lib), lr=0.1)
    source.step()
    saved = source.state_dict()
    params = _params(lib)
    opt = lib.optim.AdamW(params, lr=0.3)

    def shallow_copy(o: Any, state_dict: Any) -> None:
        log.append(("copy", state_dict is saved, state_dict["state"] is saved["state"]))
        state_dict["ignored key"] = 1

    def new_lr(o: Any, state_dict: Any) -> Any:
        groups = [
            dict(g, lr=0.05, decoupled_weight_decay=False) for g in state_dict["param_groups"]
        ]
        return {"state": state_dict["state"], "param_groups": groups}

    opt.register_load_state_dict_pre_hook(new_lr)
    opt.register_load_state_dict_pre_hook(shallow_copy, prepend=True)

    def loaded(o: Any) -> None:
        group = {k: v for k, v in o.param_groups[0].items() if k != "params"}
        log.append(("post", _values(group), _values(o.state[params[0]])))

    opt.register_load_state_dict_post_hook(loaded)
    opt.register_load_state_dict_post_hook(lambda o: log.append("post, prepended"), prepend=True)
    opt.load_state_dict(saved)
    log.append(sorted(saved))  # the given dict is left as it was
    opt.step()
    return log, _values(params)


ROWS = {
    "order_of_global_and_own_hooks": order_of_global_and_own_hooks,
    "pre_hook_replaces_args": pre_hook_replaces_args,
    "pre_hook_returning_none_keeps_args": pre_hook_returning_none_keeps_args,
    "removal_and_with_block": removal_and_with_block,
    "global_hooks_run_on_every_optimizer": global_hooks_run_on_every_optimizer,
    "bad_return_a_number": _bad_return(5),
    "bad_return_a_list_of_two": _bad_return([(), {}]),
    "bad_return_a_triple": _bad_return(((), {}, None)),
    "subclass_with_its_own_step": subclass_with_its_own_step,
    "subclass_step_calling_a_made_sgds_step": subclass_step_calling_a_made_sgds_step,
    "subclass_without_its_own_step": subclass_without_its_own_step,
    "lbfgs_closure_reaches_the_hooks": lbfgs_closure_reaches_the_hooks,
    "scheduler_steps_through_the_hooks": scheduler_steps_through_the_hooks,
    "hook_registering_a_hook_while_hooks_run": hook_registering_a_hook_while_hooks_run,
    "copies_and_pickles_have_no_hooks": copies_and_pickles_have_no_hooks,
    "copies_and_pickles_after_steps": copies_and_pickles_after_steps,
    "state_dict_hooks": state_dict_hooks,
    "load_state_dict_hooks": load_state_dict_hooks,
}


@pytest.mark.parametrize("row", ROWS)
def test_hooks_as_pytorch(row: str) -> None:
    results = {name: ROWS[row](lib, module) for name, (lib, module) in LIBS.items()}
    assert results["chainrule"] == results["torch"]
    assert not cr_optimizer._global_optimizer_pre_hooks
    assert not cr_optimizer._global_optimizer_post_hooks


# ---------------------------------------------------------------------------- cr.compile
def _training(hooks: str, compiled: bool, steps: int = 4, late: bool = False) -> Any:
    """A few steps of a small model with SGD (momentum), its step hooked as ``hooks`` says
    ("own", "global" or ""), eager or compiled; what the hooks saw, the parameters, and the
    compiled function (its traces). ``late``: the hooks are registered after two steps."""
    cr.manual_seed(0)
    model = cr.nn.Sequential(cr.nn.Linear(3, 4), cr.nn.Tanh(), cr.nn.Linear(4, 2))
    opt = cr.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x = cr.tensor(np.linspace(-1.0, 1.0, 15, dtype=np.float32).reshape(5, 3))
    y = cr.tensor(np.linspace(0.5, -0.5, 10, dtype=np.float32).reshape(5, 2))
    seen: list[Any] = []

    def pre(o: Any, args: Any, kwargs: Any) -> None:
        seen.append(("pre", o.param_groups[0]["lr"]))
        o.param_groups[0]["lr"] *= 0.5  # a hook may change what the step does

    def post(o: Any, args: Any, kwargs: Any) -> None:  # reads the .grad the step used
        seen.append(("post", [p.grad.numpy().copy() for p in model.parameters()]))

    def step(x: Any, y: Any) -> Any:
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        opt.zero_grad()  # the .grad a post hook read is made all the same
        return loss

    run = cr.compile(step) if compiled else step
    handles: list[Any] = []

    def register() -> None:
        if hooks == "own":
            handles.extend([opt.register_step_pre_hook(pre), opt.register_step_post_hook(post)])
        elif hooks == "global":
            handles.append(cr_optimizer.register_optimizer_step_pre_hook(pre))
            handles.append(cr_optimizer.register_optimizer_step_post_hook(post))

    if not late:
        register()
    try:
        losses = []
        for i in range(steps):
            if late and i == 2:
                register()
            losses.append(run(x, y).item())
    finally:
        for handle in handles:
            handle.remove()
    return seen, [p.detach().numpy().copy() for p in model.parameters()], losses, run


def _same(eager: Any, compiled: Any) -> None:
    assert len(eager) == len(compiled)
    for a, b in zip(eager, compiled, strict=True):
        if isinstance(a, (list, tuple)):
            _same(a, b)
        elif isinstance(a, np.ndarray):
            assert a.tobytes() == b.tobytes()
        else:
            assert a == b


@pytest.mark.parametrize("hooks", ["own", "global", ""])
def test_a_compiled_step_runs_its_hooks_as_the_eager_one(hooks: str) -> None:
    eager, compiled = _training(hooks, False), _training(hooks, True)
    assert len(eager[0]) == (8 if hooks else 0)  # a pre and a post hook per step
    _same(eager[:3], compiled[:3])
    assert compiled[3].traces == 1


@pytest.mark.parametrize("hooks", ["own", "global"])
def test_a_hook_registered_after_tracing_makes_it_trace_again(hooks: str) -> None:
    eager, compiled = _training(hooks, False, late=True), _training(hooks, True, late=True)
    assert len(eager[0]) == 4  # steps 3 and 4
    _same(eager[:3], compiled[:3])
    assert compiled[3].traces == 2


def test_a_hook_removed_after_tracing_runs_no_more() -> None:
    results = []
    for compiled in (False, True):
        w = cr.nn.Parameter(cr.tensor([1.0, -2.0]))
        opt = cr.optim.SGD([w], lr=0.1)
        calls: list[int] = []
        handle = opt.register_step_post_hook(lambda *a, calls=calls: calls.append(1))

        def step(x: Any, w: Any = w, opt: Any = opt) -> Any:
            opt.zero_grad()
            loss = (w * x).sum()
            loss.backward()
            opt.step()
            return loss

        run = cr.compile(step) if compiled else step
        x = cr.tensor([3.0, 0.5])
        run(x), run(x)
        handle.remove()
        run(x), run(x)
        results.append((calls, w.detach().numpy().tobytes()))
    assert results[0] == results[1]
    assert results[0][0] == [1, 1]


def test_a_step_without_hooks_makes_no_python_call_more_once_hooks_are_gone() -> None:
    # The wrappers that run the hooks are in place only while a step hook exists.
    params = [cr.nn.Parameter(cr.ones(3)) for _ in range(3)]
    for p in params:
        p.grad = cr.ones(3)
    opt = cr.optim.SGD(params, lr=0.1)

    def calls() -> int:
        opt.step()  # warm
        counted: list[int] = []
        # gc off: a collection inside the step runs other libraries' gc callbacks, whose calls
        # were counted (one in a lexer made the test fail where a collection fell in the step)
        gc.disable()
        sys.setprofile(lambda frame, event, arg: counted.append(1) if event == "call" else None)
        try:
            opt.step()
        finally:
            sys.setprofile(None)
            gc.enable()
        return len(counted)

    plain = calls()
    handles = [
        opt.register_step_pre_hook(lambda *a: None),
        cr_optimizer.register_optimizer_step_post_hook(lambda *a: None),
    ]
    assert "step" in vars(cr.optim.SGD)
    hooked = calls()
    for handle in handles:
        handle.remove()
    assert "step" not in vars(cr.optim.SGD)
    assert calls() == plain < hooked


def test_a_compiled_subclass_step_with_hooks_runs_whole_as_the_eager_one() -> None:
    results = []
    for compiled in (False, True):

        class Counting(cr.optim.SGD):
            calls = 0

            def step(self, closure: Any = None) -> Any:
                type(self).calls += 1
                return super().step(closure)

        w = cr.nn.Parameter(cr.tensor([1.0, -2.0]))
        opt = Counting([w], lr=0.1, momentum=0.5)
        seen: list[Any] = []
        opt.register_step_post_hook(lambda o, a, k, w=w, seen=seen: seen.append(w.grad.tolist()))

        def step(x: Any, w: Any = w, opt: Any = opt) -> None:
            opt.zero_grad()
            (w * x).sum().backward()
            opt.step()
            opt.zero_grad()

        run = cr.compile(step) if compiled else step
        for _ in range(3):
            run(cr.tensor([3.0, 0.5]))
        results.append((seen, Counting.calls, w.detach().numpy().tobytes()))
    assert results[0] == results[1]
    assert results[0][1] == 3
