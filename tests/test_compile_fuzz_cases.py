"""``cr.compile`` against eager on what a fuzz of training steps found replayed stale: state
that changes between calls outside the arguments (a module's ``training`` or ``p``, hooks
registered after tracing, a parameter replaced or frozen, a reassigned closure variable, one
tensor passed twice, a new list of numbers). Each row runs the same calls eagerly and
compiled on identical copies and compares results, parameters and ``.grad`` bit for bit.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as F


def linear_step(layer: Callable[[], Any] | None = None) -> dict[str, Any]:
    middle = layer() if layer is not None else cr.nn.Tanh()
    model = cr.nn.Sequential(cr.nn.Linear(4, 6), middle, cr.nn.Linear(6, 3))
    opt = cr.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

    def step(x: Any) -> Any:
        opt.zero_grad()
        loss = (model(x) ** 2).mean()
        loss.backward()
        opt.step()
        return loss

    return {"model": model, "opt": opt, "step": step}


def snapshot(out: Any, model: Any) -> list[Any]:
    values = [out.detach().numpy().copy()] if isinstance(out, cr.Tensor) else [out]
    for p in model.parameters():
        values += [p.detach().numpy().copy(), p.requires_grad]
        values.append(None if p.grad is None else p.grad.numpy().copy())
    return values


def agree(
    make: Callable[[], dict[str, Any]], between: Callable[[dict[str, Any], int], Any]
) -> None:
    """Four calls of ``make()['step']``, ``between(ctx, i)`` before each after the first."""
    runs = []
    for compiled in (False, True):
        cr.manual_seed(0)
        ctx = make()
        step = cr.compile(ctx["step"]) if compiled else ctx["step"]
        run = []
        for i in range(4):
            if i:
                between(ctx, i)
            x = cr.tensor(np.random.default_rng(i).standard_normal((5, 4)).astype(np.float32))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                run.append(snapshot(step(x), ctx["model"]))
        runs.append(run)
    for i, (want, got) in enumerate(zip(*runs, strict=True)):
        for a, b in zip(want, got, strict=True):
            if isinstance(a, np.ndarray):
                assert isinstance(b, np.ndarray) and np.array_equal(a, b), f"call {i}"
            else:
                assert a == b, f"call {i}"


def replace_weight(ctx: dict[str, Any], i: int) -> None:
    lin = ctx["model"][2]
    lin.weight = cr.nn.Parameter(lin.weight.detach() * 0.5)


def hook_once(register: Callable[[Any], Any]) -> Callable[[dict[str, Any], int], Any]:
    return lambda ctx, i: register(ctx["model"]) if i == 1 else None


@pytest.mark.parametrize(
    ("layer", "between"),
    [
        (lambda: cr.nn.Dropout(0.5).eval(), lambda ctx, i: ctx["model"].train(i % 2 == 1)),
        (lambda: cr.nn.Dropout(0.5), lambda ctx, i: setattr(ctx["model"][1], "p", 0.1 * i)),
        (
            lambda: cr.nn.LeakyReLU(0.1),
            lambda ctx, i: setattr(ctx["model"][1], "negative_slope", i),
        ),
        (None, lambda ctx, i: ctx["model"][2].bias.requires_grad_(i % 2 == 0)),
        (None, replace_weight),
        (None, hook_once(lambda m: m[0].weight.register_hook(lambda g: g * 2))),
        (None, hook_once(lambda m: m.register_forward_hook(lambda mod, a, out: out * 3))),
        (None, hook_once(lambda m: m[2].register_forward_pre_hook(lambda mod, a: (a[0] * 2,)))),
        (None, hook_once(lambda m: m.append(cr.nn.Sigmoid()))),
        (None, hook_once(lambda m: m[0].weight.register_post_accumulate_grad_hook(_halve))),
    ],
    ids=[
        "dropout-eval-then-train",
        "dropout-p-changed",
        "leaky-slope-changed",
        "bias-frozen-and-unfrozen",
        "weight-replaced-by-a-new-parameter",
        "tensor-hook-registered-after-tracing",
        "forward-hook-registered-after-tracing",
        "forward-pre-hook-registered-after-tracing",
        "layer-appended-to-sequential",
        "post-accumulate-hook-registered-after-tracing",
    ],
)
def test_module_and_parameter_state_changed_between_calls(layer: Any, between: Any) -> None:
    """Traced in one state, called in another: retraced (or eager), never the stale schedule."""
    agree(lambda: linear_step(layer), between)


def _halve(p: Any) -> None:
    with cr.no_grad():
        p.grad.data = p.grad.data * 0.5  # eager: the hook runs after each accumulation


def test_dropout_traced_in_eval_mode_draws_once_switched_to_train() -> None:
    runs = []
    for compiled in (False, True):
        cr.manual_seed(0)
        drop = cr.nn.Dropout(0.5).eval()

        def f(x: Any, drop: Any = drop) -> Any:
            return drop(x) * 1

        fn = cr.compile(f) if compiled else f
        x = cr.ones(4, 4)
        run = [fn(x).numpy().copy()]
        drop.train()
        run += [fn(x).numpy().copy(), fn(x).numpy().copy()]
        runs.append(run)
    assert all(np.array_equal(a, b) for a, b in zip(*runs, strict=True))
    assert not np.array_equal(runs[0][1], runs[0][0])  # the mask was drawn


def test_one_tensor_passed_twice_then_two_tensors() -> None:
    """Traced on f(x, x), the two arguments are one array; f(x, y) must be traced again."""
    runs = []
    for compiled in (False, True):
        x = cr.tensor([1.0, 2.0], requires_grad=True)
        y = cr.tensor([10.0, 20.0], requires_grad=True)

        def f(a: Any, b: Any) -> Any:
            loss = (a * 2 * b).sum()
            loss.backward()
            return loss

        fn = cr.compile(f) if compiled else f
        out = [fn(x, x).detach().numpy().copy()]
        x.grad = None
        out.append(fn(x, y).detach().numpy().copy())
        out += [x.grad.numpy().copy(), y.grad.numpy().copy()]
        runs.append(out)
    assert all(np.array_equal(a, b) for a, b in zip(*runs, strict=True))


def test_a_new_list_of_numbers_at_each_call_is_keyed_by_its_values() -> None:
    fn = cr.compile(lambda x, scale: x * scale[0] + scale[1])
    x = cr.tensor([1.0, 2.0])
    for scale in ([1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [3.0, 4.0]):
        assert fn(x, list(scale)).tolist() == (x * scale[0] + scale[1]).tolist()
    assert fn.traces == 3


def test_a_numpy_array_argument_is_keyed_by_its_values() -> None:
    fn = cr.compile(lambda x, a: x * cr.tensor(a))
    x = cr.tensor([1.0, 2.0])
    for a in ([1.0, 2.0], [3.0, 4.0]):
        assert fn(x, np.array(a)).tolist() == (x * cr.tensor(a)).tolist()


def test_a_reassigned_closure_number_is_traced_again() -> None:
    x = cr.tensor([1.0, 2.0])
    scale = 2.0

    def f(a: Any) -> Any:
        return a * scale

    fn = cr.compile(f)
    assert fn(x).tolist() == [2.0, 4.0]
    scale = 3.0
    assert fn(x).tolist() == [3.0, 6.0]


def test_training_step_with_optimizer_changes_between_calls_equal_eager() -> None:
    """A row for the riskiest paths that replayed correctly before: an lr schedule, a new
    param group, momentum turned on, gradient accumulation without zero_grad."""

    def make() -> dict[str, Any]:
        model = cr.nn.Sequential(cr.nn.Linear(4, 6), cr.nn.ReLU(), cr.nn.Linear(6, 3))
        params = list(model.parameters())
        opt = cr.optim.Adam([{"params": params[:2], "lr": 0.03}, {"params": params[2:]}])
        extra = cr.nn.Parameter(cr.ones(3))

        def step(x: Any) -> Any:
            loss = F.cross_entropy(model(x) + extra, cr.tensor([0, 1, 2, 0, 1]))
            loss.backward()
            opt.step()
            return loss

        return {"model": model, "opt": opt, "step": step, "extra": extra}

    def between(ctx: dict[str, Any], i: int) -> None:
        if i == 1:
            ctx["opt"].param_groups[0]["lr"] = 0.01
        if i == 2:
            ctx["opt"].add_param_group({"params": [ctx["extra"]], "lr": 0.05})
        if i == 3:
            ctx["opt"].zero_grad()

    agree(make, between)
