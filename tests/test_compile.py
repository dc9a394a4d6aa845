"""``cr.compile``: training steps give the eager parameters bit for bit; guards retrace; what
cannot be replayed runs eagerly with a warning that says why; PyTorch's signature.

The op-table rows are checked both ways in ``test_compile_op_table.py``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as F
from chainrule.training import build_model


def training_step(model: Any, opt: Any) -> Callable[..., Any]:
    def step(x: Any, y: Any) -> Any:
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return step


def batches(shape: tuple[int, ...], n: int, seed: int = 0) -> list[tuple[Any, Any]]:
    rng = np.random.default_rng(seed)
    return [
        (
            cr.tensor(rng.standard_normal(shape).astype(np.float32)),
            cr.tensor(rng.integers(0, 10, shape[0])),
        )
        for _ in range(n)
    ]


def state(model: Any) -> list[np.ndarray]:
    return [p.detach().numpy().copy() for p in model.parameters()]


def assert_same_training(eager: tuple[Any, list[np.ndarray]], compiled: tuple[Any, Any]) -> None:
    """The compiled run's losses (or what else the step returned) and parameters are the
    eager run's, bit for bit."""
    (eager_losses, eager_params), (losses, params) = eager, compiled
    assert losses == eager_losses
    for got, want in zip(params, eager_params, strict=True):
        assert np.array_equal(got, want)


@pytest.mark.parametrize(
    ("kind", "optimizer", "shape"),
    [
        ("mlp", lambda ps: cr.optim.SGD(ps, lr=0.1), (8, 64)),
        ("mlp", lambda ps: cr.optim.SGD(ps, lr=0.05, momentum=0.9), (64, 64)),
        ("mlp", lambda ps: cr.optim.Adam(ps, lr=1e-3), (8, 64)),
        ("cnn", lambda ps: cr.optim.Adam(ps, lr=2e-3), (16, 1, 8, 8)),
    ],
    ids=["mlp-sgd", "mlp-sgd-momentum", "mlp-adam", "cnn-adam"],
)
def test_training_steps_equal_eager(kind: str, optimizer: Any, shape: tuple[int, ...]) -> None:
    runs = []
    for compiled in (False, True):
        cr.manual_seed(0)
        model = build_model(kind)
        opt = optimizer(model.parameters())
        step = training_step(model, opt)
        step = cr.compile(step) if compiled else step
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no fallback: every step replays or traces
            losses = [step(x, y).item() for x, y in batches(shape, 6)]
        runs.append((losses, state(model), step))
    (eager_losses, eager_params, _), (losses, params, compiled_step) = runs
    assert_same_training((eager_losses, eager_params), (losses, params))
    # Traced once: the step starts with zero_grad, so the .grad it finds does not matter.
    assert compiled_step.traces == 1


def test_step_returns_loss_like_eager() -> None:
    model = cr.nn.Linear(4, 10)
    step = cr.compile(training_step(model, cr.optim.SGD(model.parameters(), lr=0.1)))
    for x, y in batches((5, 4), 3):
        loss = step(x, y)
    assert loss.requires_grad and loss.grad_fn.name() == "NllLossBackward0"
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        loss.backward()


def test_forward_under_no_grad_replays() -> None:
    cr.manual_seed(0)
    model = build_model("mlp")
    forward = cr.compile(model)
    with cr.no_grad():
        for x, _ in batches((8, 64), 3):
            assert np.array_equal(forward(x).numpy(), model(x).numpy())
    assert forward.traces == 1 and forward._orig_mod is model


def test_guards_retrace_on_shape_dtype_grad_mode_and_requires_grad() -> None:
    f = cr.compile(lambda x: (x * x).sum())
    x = cr.ones(3)
    f(x), f(x)
    assert f.traces == 1
    f(cr.ones(4))
    f(cr.ones(3, dtype=cr.float64))
    with cr.no_grad():
        f(x)
    assert f.traces == 4
    y = cr.ones(3, requires_grad=True)
    with pytest.warns(RuntimeWarning, match="requires grad without calling backward"):
        out = f(y)
    assert out.requires_grad  # the eager result, with its graph
    out.backward()
    assert y.grad.tolist() == [2.0, 2.0, 2.0]


def test_grad_state_is_guarded() -> None:
    w = cr.tensor([1.0, 2.0], requires_grad=True)

    @cr.compile
    def accumulate(x: Any) -> Any:
        (w * x).sum().backward()

    x = cr.tensor([3.0, 4.0])
    accumulate(x)  # traced with w.grad None: the gradient becomes w.grad
    accumulate(x)  # w.grad exists now: traced again, adds in place
    accumulate(x)  # replayed
    assert w.grad.tolist() == [9.0, 12.0]
    w.grad = None
    accumulate(x)  # the first trace's state again: replayed
    assert w.grad.tolist() == [3.0, 4.0]
    accumulate(x)
    assert w.grad.tolist() == [6.0, 8.0]
    assert accumulate.traces == 2


def test_grad_cleared_before_any_use_needs_no_guard() -> None:
    """A function that starts by dropping ``.grad`` gives the same result whatever ``.grad``
    it finds: traced once; one that reads it first is traced per state."""
    w = cr.tensor([1.0, 2.0], requires_grad=True)

    @cr.compile
    def fresh(x: Any) -> Any:
        w.grad = None
        (w * x).sum().backward()

    @cr.compile
    def reads_first(x: Any) -> Any:
        before = w.grad
        w.grad = None
        (w * x).sum().backward()
        return before

    x = cr.tensor([3.0, 4.0])
    for _ in range(3):
        fresh(x)
        assert w.grad.tolist() == [3.0, 4.0]
    assert fresh.traces == 1
    w.grad = None
    for _ in range(3):
        reads_first(x)
    assert reads_first.traces == 2 and w.grad.tolist() == [3.0, 4.0]


def test_replay_reads_changed_parameters() -> None:
    w = cr.tensor([1.0, 2.0])
    f = cr.compile(lambda x: x * w)
    x = cr.tensor([1.0, 1.0])
    f(x)
    w.mul_(3)  # in place, outside the compiled function
    assert f(x).tolist() == [3.0, 6.0]


@pytest.mark.parametrize(
    ("fn", "why"),
    [
        (lambda x: x * 2 if x.sum().item() > 0 else x, r"reads a value into Python \(item\)"),
        (lambda x: x * 2 if x.sum() else x, r"reads a value into Python \(__bool__\)"),
        (lambda x: cr.tensor(x.numpy() * 2), r"reads a value into Python \(numpy\)"),
        (lambda x: x * cr.rand(3), "draws random numbers or sets the generator"),
        (lambda x: F.dropout(x * cr.rand(3), 0.5), "draws random numbers or sets the generator"),
        (lambda x: x.clone().add_(1), "changes a tensor in place"),
        (lambda x: x.quantile(0.5), "reads a tensor's values outside chainrule's ops"),
    ],
    ids=["item", "bool", "numpy", "rand", "rand-then-dropout", "in-place", "value-read"],
)
def test_unreplayable_runs_eagerly_with_one_warning(fn: Any, why: str) -> None:
    compiled = cr.compile(fn)
    xs = [cr.tensor([1.0, -2.0, 3.0]), cr.tensor([-1.0, -2.0, -3.0]), cr.tensor([5.0, 1.0, 0.5])]
    with pytest.warns(RuntimeWarning, match=why) as caught:
        for x in xs:
            cr.manual_seed(1)
            got = compiled(x)
            cr.manual_seed(1)
            assert np.array_equal(got.numpy(), fn(x).numpy())
    assert len([w for w in caught if "cr.compile" in str(w.message)]) == 1
    assert compiled.traces == 1


@pytest.mark.parametrize(
    "fn",
    [lambda x: x * (x > 0), lambda x: x.max(0).values, lambda x: cr.where(x > 0, x, -x)],
    ids=["comparison", "max-along-dim", "where-mask"],
)
def test_steering_steps_replay(fn: Any) -> None:
    """Comparisons and arg-max indices are traced steps (op.Constant), so they replay with
    the new values, not the traced ones."""
    compiled = cr.compile(fn)
    xs = [cr.tensor([1.0, -2.0, 3.0]), cr.tensor([-1.0, -2.0, -3.0]), cr.tensor([5.0, 1.0, 0.5])]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for x in xs:
            assert np.array_equal(compiled(x).numpy(), fn(x).numpy())
    assert compiled.traces == 1


def test_dropout_replays_with_a_fresh_mask_at_each_call() -> None:
    """Dropout's mask is a step (DropoutMask): the replay draws it again from the generator,
    so each call gets a new mask, the same one the eager function draws after the same seed."""
    fn = lambda x: F.dropout(x * 2, 0.5)  # noqa: E731
    compiled = cr.compile(fn)
    x = cr.ones(64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no fallback to eager
        masks = [compiled(x).numpy() for _ in range(3)]
        for seed in (1, 2):
            cr.manual_seed(seed)
            got = compiled(x)
            cr.manual_seed(seed)
            assert np.array_equal(got.numpy(), fn(x).numpy())
    assert compiled.traces == 1
    assert not np.array_equal(masks[0], masks[1]) and not np.array_equal(masks[1], masks[2])


def test_dropout_training_steps_equal_eager() -> None:
    """A training step with dropout, compiled: the losses and parameters of six steps are the
    eager ones bit for bit (both draw the same masks from the same seed)."""
    runs = []
    for compiled in (False, True):
        cr.manual_seed(0)
        model = cr.nn.Sequential(
            cr.nn.Linear(64, 32), cr.nn.ReLU(), cr.nn.Dropout(0.3), cr.nn.Linear(32, 10)
        )
        opt = cr.optim.SGD(model.parameters(), lr=0.1)
        step = training_step(model, opt)
        step = cr.compile(step) if compiled else step
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            losses = [step(x, y).item() for x, y in batches((8, 64), 6)]
        runs.append((losses, state(model)))
    assert_same_training(*runs)


def test_fullgraph_raises_instead_of_falling_back() -> None:
    compiled = cr.compile(lambda x: x * x.sum().item(), fullgraph=True)
    with pytest.raises(RuntimeError, match=r"runs eagerly: .*item.*\(fullgraph=True\)"):
        compiled(cr.ones(2))


def test_operands_promoted_to_pytorchs_dtype_run_eagerly() -> None:
    # Op.__call__ casts an int32 tensor and a 0-d int64 one to int32, and a float32 tensor
    # and a 0-d float64 one to float32, before the forward; the replay would not.
    a, b = cr.tensor([1, 2], dtype=cr.int32), cr.tensor(3)
    compiled = cr.compile(lambda u, v: u * v)
    with pytest.warns(RuntimeWarning, match="runs eagerly: a Mul op promotes its operands' dtypes"):
        out = compiled(a, b)
    assert out.dtype == cr.int32 and out.tolist() == [3, 6]
    equal = cr.compile(lambda u, v: u == v)
    with pytest.warns(RuntimeWarning, match="runs eagerly: a Compare op promotes"):
        assert equal(cr.tensor([0.1]), cr.tensor(0.1, dtype=cr.float64)).tolist() == [True]
    masked = cr.compile(lambda u, m: u * m)  # float32 times bool: NumPy's dtype is PyTorch's
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert masked(cr.tensor([2.0, 3.0]), cr.tensor([True, False])).tolist() == [2.0, 0.0]
    assert masked.traces == 1


def test_cache_is_bounded() -> None:
    compiled = cr.compile(lambda x: x + 1)
    with pytest.warns(RuntimeWarning, match="more than 8 traces"):
        for n in range(1, 11):
            assert compiled(cr.ones(n)).tolist() == [2.0] * n
    assert compiled.traces == 8


def test_signature_and_decorator_forms() -> None:
    def f(x: Any) -> Any:
        return x + 1

    assert cr.compile(f, disable=True) is f
    decorated = cr.compile(fullgraph=True, dynamic=False, backend="inductor", mode="default")(f)
    assert decorated(cr.ones(2)).tolist() == [2.0, 2.0]
    assert decorated.__name__ == "f" and decorated.fullgraph


def test_code_shows_the_flat_schedule() -> None:
    compiled = cr.compile(lambda x: (x * 2).exp().sum())
    code = compiled.code(cr.ones(3, requires_grad=False))
    assert code.startswith("def replay(args, kwargs):")
    assert code.count("forward") == 3 and "vjp" not in code


def test_arguments_nested_in_lists_run_eagerly() -> None:
    compiled = cr.compile(lambda xs: xs[0] + xs[1])
    with pytest.warns(RuntimeWarning, match="argument 0 holds tensors inside a list"):
        assert compiled([cr.ones(1), cr.ones(1)]).tolist() == [2.0]


def test_learning_rate_schedule_and_replaced_parameters_are_read_at_each_replay() -> None:
    runs = []
    for compiled in (False, True):
        cr.manual_seed(0)
        model = cr.nn.Linear(4, 10)
        opt = cr.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
        scheduler = cr.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
        step = training_step(model, opt)
        step = cr.compile(step) if compiled else step
        for n, (x, y) in enumerate(batches((5, 4), 6)):
            step(x, y)
            scheduler.step()
            if n == 3:  # a new array for the weight, same shape: read at the next replay
                model.weight.data = model.weight.detach().clone() * 0.5
        runs.append(state(model))
    for got, want in zip(*runs, strict=True):
        assert np.array_equal(got, want)


def test_momentum_turned_on_after_tracing_keeps_state_as_eager_does() -> None:
    """SGD without momentum keeps no state (``len(opt.state) == 0``, as PyTorch's); a replay
    reads the group's momentum at each run, as eager ``step()`` does."""
    runs = []
    for compiled in (False, True):
        cr.manual_seed(0)
        model = cr.nn.Linear(4, 10)
        opt = cr.optim.SGD(model.parameters(), lr=0.1)
        step = training_step(model, opt)
        step = cr.compile(step) if compiled else step
        sizes = []
        for n, (x, y) in enumerate(batches((5, 4), 6)):
            if n == 3:
                opt.param_groups[0]["momentum"] = 0.9
            step(x, y)
            sizes.append(len(opt.state))
        assert sizes == [0, 0, 0, 2, 2, 2]
        runs.append(state(model))
    for got, want in zip(*runs, strict=True):
        assert np.array_equal(got, want)


def test_a_result_returned_twice_is_one_tensor() -> None:
    compiled = cr.compile(lambda x: (lambda y: (y, y))(x * 2))
    for _ in range(2):
        a, b = compiled(cr.ones(2))
        assert a is b


def test_compiled_module_keeps_its_own_attributes() -> None:
    model = cr.nn.Linear(2, 2)
    compiled = cr.compile(model)
    assert compiled._orig_mod is model and not hasattr(compiled, "weight")


def test_replays_do_not_accumulate_memory() -> None:
    import tracemalloc

    cr.manual_seed(0)
    model = build_model("mlp")
    step = cr.compile(training_step(model, cr.optim.Adam(model.parameters(), lr=1e-3)))
    (x, y), *_ = batches((32, 64), 1)
    for _ in range(20):  # traces, optimizer state, warm caches
        step(x, y)
    tracemalloc.start()
    try:
        step(x, y)
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(300):
            step(x, y)
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert after - before < 10_000, f"{after - before} bytes more after 300 replays"


def test_a_compiled_function_inside_another_is_traced_into_it() -> None:
    inner = cr.compile(lambda x: x.exp() * 2)
    outer = cr.compile(lambda x: inner(x).sin())
    x = cr.tensor([0.5, 1.0])
    inner(x), inner(x)  # inner alone: traced, then replayed
    for values in ([0.5, 1.0], [2.0, -1.0], [0.0, 3.0]):
        x = cr.tensor(values)
        assert np.array_equal(outer(x).numpy(), (x.exp() * 2).sin().numpy())
    assert outer.traces == 1 and inner.traces == 1


def test_values_handed_out_are_never_overwritten_by_later_replays() -> None:
    """What a replay hands out (the loss, each new .grad) is its own memory: the next
    replay, which reuses the schedule's buffers, leaves it as it was."""
    cr.manual_seed(0)
    model = build_model("mlp")
    step = cr.compile(training_step(model, cr.optim.SGD(model.parameters(), lr=0.1)))
    (x1, y1), (x2, y2) = batches((8, 64), 2)
    step(x1, y1)  # traced: the calls below replay
    loss = step(x1, y1)
    grads = [p.grad for p in model.parameters()]
    kept = [loss.detach().numpy().copy()] + [g.numpy().copy() for g in grads]
    assert step(x2, y2).item() != kept[0]
    assert np.array_equal(loss.detach().numpy(), kept[0])
    for g, want, p in zip(grads, kept[1:], model.parameters(), strict=True):
        assert p.grad is not g and np.array_equal(g.numpy(), want)
    assert step.traces == 1


def test_replaced_parameter_of_another_shape_traces_again() -> None:
    """A parameter's array is checked by identity first; a new array of another shape fails
    the guard, and the function is traced again for it."""
    model = cr.nn.Linear(3, 2)
    step = cr.compile(training_step(model, cr.optim.SGD(model.parameters(), lr=0.1)))
    x, y = cr.ones(4, 3), cr.tensor([0, 1, 0, 1])
    step(x, y), step(x, y)
    model.weight.data = cr.zeros(2, 3, dtype=cr.float64)
    model.bias.data = model.bias.data.double()  # a linear layer's dtypes must agree, as in PyTorch
    step(x.double(), y)
    assert step.traces == 2 and model.weight.dtype == cr.float64


class _Residual(cr.nn.Module):
    """``relu(h) + h``: the sum hands one gradient array to both of its inputs, so relu's
    rule must not overwrite it in place (the other branch reads it too)."""

    def __init__(self) -> None:
        super().__init__()
        self.first, self.last = cr.nn.Linear(6, 8), cr.nn.Linear(8, 10)

    def forward(self, x: Any) -> Any:
        h = self.first(x)
        return self.last(F.relu(h) + h)


def _step_clearing_after(model: Any, opt: Any, read: bool = False) -> Callable[..., Any]:
    """PyTorch's tutorial order (step, then zero_grad); with ``read``, the gradients are
    also read between backward and the step."""

    def step(x: Any, y: Any) -> Any:
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        norms = [p.grad.norm() for p in model.parameters()] if read else None
        opt.step()
        opt.zero_grad()
        return loss, norms

    return step


@pytest.mark.parametrize("read", [False, True], ids=["step-only", "grads-read"])
@pytest.mark.parametrize("kind", ["mlp", "residual"])
def test_relu_in_place_and_unmade_grads_replay_as_eager(kind: str, read: bool) -> None:
    """The replay runs relu's backward into its gradient only where the run alone holds that
    array, and makes no ``.grad`` Tensor that only the optimizer would read before zero_grad
    drops it: the parameters, losses and read gradients are the eager ones, bit for bit, and
    each ``.grad`` is None after a step, as eagerly."""
    shape = (8, 64) if kind == "mlp" else (8, 6)
    runs = []
    for compiled in (False, True):
        cr.manual_seed(0)
        model = build_model("mlp") if kind == "mlp" else _Residual()
        step = _step_clearing_after(model, cr.optim.SGD(model.parameters(), lr=0.1), read)
        step = cr.compile(step) if compiled else step
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # every step traces or replays
            outputs = [step(x, y) for x, y in batches(shape, 5)]
        assert all(p.grad is None for p in model.parameters())
        losses = [loss.item() for loss, _ in outputs]
        norms = [[n.item() for n in ns] for _, ns in outputs] if read else None
        runs.append((losses, norms, state(model), step))
    (eager_losses, eager_norms, eager_params, _), (losses, norms, params, step) = runs
    assert_same_training(((eager_losses, eager_norms), eager_params), ((losses, norms), params))
    assert step.traces == 1
    code = step.code(*batches(shape, 1)[0])
    assert ("._grad = make(" in code) is read  # made only where the function reads it
    assert "getrefcount(" in code  # relu's rule in place where the gradient is the run's alone


def test_the_replay_nodes_print_their_eager_names() -> None:
    """The replay's copies of the nodes drop their inputs; their names, which a linear layer
    reads from its inputs (AddmmBackward0 on a matrix), are the eager ones."""
    model = cr.nn.Linear(4, 10)
    step = cr.compile(training_step(model, cr.optim.SGD(model.parameters(), lr=0.1)))
    step(*batches((5, 4), 1)[0])
    ((schedule, *_),) = step.cache.values()
    nodes = [f.__self__ for f in schedule.globals.values() if hasattr(f, "__self__")]
    names = {repr(node).split()[0] for node in nodes if isinstance(node, cr.op.Op)}
    assert "<AddmmBackward0" in names


def test_a_module_compiled_after_tracing_keeps_the_trace_and_the_values() -> None:
    """``model.compile()`` between replays changes no value a replay computes (a compiled call
    is the eager one, bit for bit), so it is not guarded: the step is not traced again."""
    runs = []
    for compiled in (False, True):
        cr.manual_seed(0)
        model = build_model("mlp")
        step = training_step(model, cr.optim.SGD(model.parameters(), lr=0.1))
        step = cr.compile(step) if compiled else step
        losses = []
        for i, (x, y) in enumerate(batches((8, 64), 4)):
            if i == 2:
                model[0].compile()
            losses.append(step(x, y).item())
        runs.append((losses, state(model), step))
    (eager_losses, eager_params, _), (losses, params, compiled_step) = runs
    assert_same_training((eager_losses, eager_params), (losses, params))
    assert compiled_step.traces == 1
