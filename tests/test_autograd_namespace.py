"""The ``torch.autograd`` and ``torch.utils.checkpoint`` names that PyTorch code reaches for,
under ``cr.autograd`` and ``cr.utils.checkpoint``: each call made the same way in both
libraries, comparing values, gradients, warnings and exception types."""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
import torch.autograd.forward_ad as tfw
import torch.utils.checkpoint as tcp

import chainrule as cr
import chainrule.autograd.forward_ad as cfw
import chainrule.utils.checkpoint as ccp
from chainrule.autodiff import open_transforms

BOTH = [(torch, tfw, tcp), (cr, cfw, ccp)]


def outcome(call: Callable[[], Any]) -> tuple[Any, list[str], type | None]:
    """The value (as a list where it is a tensor), the warnings and the exception type."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value = call()
            error = None
        except Exception as e:  # noqa: BLE001 - the type is what is compared
            value, error = None, type(e)
    return _plain(value), [str(w.message) for w in caught], error


def _plain(value: Any) -> Any:
    if isinstance(value, torch.Tensor | cr.Tensor):
        return value.detach().tolist()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


# ------------------------------------------------------------------ grad mode and anomaly mode
@pytest.mark.parametrize(
    "module, names",
    [
        ("grad_mode", ["no_grad", "enable_grad", "set_grad_enabled", "inference_mode"]),
        ("anomaly_mode", ["detect_anomaly", "set_detect_anomaly"]),
        ("function", ["Function"]),
        ("variable", ["Variable"]),
    ],
)
def test_autograd_submodules_import_as_in_pytorch_and_hold_the_same_objects(
    module: str, names: list[str]
) -> None:
    for lib in ("torch", "chainrule"):
        imported = importlib.import_module(f"{lib}.autograd.{module}")
        package = importlib.import_module(f"{lib}.autograd")
        for name in names:
            assert getattr(imported, name) is getattr(package, name), (lib, module, name)


@pytest.mark.parametrize("name", ["no_grad", "enable_grad", "set_grad_enabled", "inference_mode"])
def test_grad_mode_switches_are_the_top_level_ones(name: str) -> None:
    assert getattr(torch.autograd, name) is getattr(torch, name)
    assert getattr(cr.autograd, name) is getattr(cr, name)


def _switches(lib: Any) -> list[bool]:
    x = lib.ones(2, requires_grad=True)
    seen = []
    with lib.autograd.no_grad():
        seen.append((x * 2).requires_grad)
        with lib.autograd.enable_grad():
            seen.append((x * 2).requires_grad)
    with lib.autograd.set_grad_enabled(False):
        seen.append((x * 2).requires_grad)
    with lib.autograd.inference_mode():
        seen.append((x * 2).requires_grad)

    @lib.autograd.grad_mode.no_grad()
    def double(v: Any) -> Any:
        return v * 2

    seen.append(double(x).requires_grad)
    return seen


def test_grad_mode_switches_record_as_in_pytorch() -> None:
    assert _switches(cr) == _switches(torch) == [False, True, False, False, False]


def _anomaly(lib: Any, enabled: Callable[[], bool]) -> tuple[Any, ...]:
    x = lib.tensor(-1.0, requires_grad=True)
    with lib.autograd.anomaly_mode.set_detect_anomaly(True):
        inside = enabled()
    with lib.autograd.anomaly_mode.detect_anomaly():
        return inside, enabled(), outcome(lambda: lib.sqrt(x).backward())[2]


@pytest.mark.filterwarnings("ignore:Anomaly Detection has been enabled")  # PyTorch's notice
def test_anomaly_mode_submodule_turns_anomaly_mode_on_as_in_pytorch() -> None:
    t = _anomaly(torch, torch.is_anomaly_enabled)
    c = _anomaly(cr, cr.autograd.is_anomaly_enabled)
    assert c[:2] == t[:2] == (True, True)
    assert c[2] is t[2] is RuntimeError  # a NaN met in backward
    assert not cr.autograd.is_anomaly_enabled()


def _once(lib: Any) -> list[Any]:
    once_differentiable = importlib.import_module(
        f"{lib.__name__}.autograd.function"
    ).once_differentiable

    class Cube(lib.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any) -> Any:
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        @once_differentiable
        def backward(ctx: Any, g: Any) -> Any:
            (x,) = ctx.saved_tensors
            return g * 3 * x**2

    x = lib.tensor([2.0, -1.0], requires_grad=True)
    Cube.apply(x).sum().backward()
    found = [x.grad.tolist()]
    (g,) = lib.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
    found += [g.tolist(), g.requires_grad, outcome(lambda: g.sum().backward())[2]]
    v = lib.ones(2, requires_grad=True)  # a gradient that requires grad: the result does too
    (g,) = lib.autograd.grad(Cube.apply(x), x, grad_outputs=v, create_graph=True)
    found += [g.tolist(), g.requires_grad, outcome(lambda: g.sum().backward())]
    return found


def test_once_differentiable_allows_one_backward_and_refuses_the_second_as_pytorch() -> None:
    assert _once(cr) == _once(torch)


# ------------------------------------------------------------------ forward_ad levels
def _levels(lib: Any, fw: Any) -> list[Any]:
    level = fw.enter_dual_level()
    x = fw.make_dual(lib.tensor([1.0, 2.0]), lib.tensor([3.0, 4.0]), level=level)
    found = [_plain(fw.unpack_dual(x * x).tangent)]
    found.append(outcome(lambda: fw.exit_dual_level(level=object()))[2])  # not the current one
    fw.exit_dual_level(level=level)
    found.append(fw.unpack_dual(x * x).tangent)  # the level's tangents are gone
    found.append(outcome(fw.exit_dual_level)[2])  # none open
    level = fw.enter_dual_level()  # a new level after the last closed
    y = fw.make_dual(lib.tensor(2.0), lib.tensor(1.0))  # the default level: the current one
    found.append(_plain(fw.unpack_dual(y**3).tangent))
    fw.exit_dual_level()
    found.append(outcome(lambda: fw.make_dual(lib.ones(1), lib.ones(1)))[2])
    return found


def test_enter_and_exit_dual_level_as_pytorch() -> None:
    assert (
        _levels(cr, cfw)
        == _levels(torch, tfw)
        == [
            [6.0, 16.0],
            RuntimeError,
            None,
            RuntimeError,
            12.0,
            RuntimeError,
        ]
    )


def test_exit_dual_level_refuses_all_but_the_innermost_of_nested_levels() -> None:
    """PyTorch opens one level at a time; chainrule's nest, and close innermost first."""
    outer = cfw.enter_dual_level()
    inner = cfw.enter_dual_level()
    x = cfw.make_dual(cr.tensor(2.0), cr.tensor(1.0), level=outer)
    y = cfw.make_dual(x, cr.tensor(1.0), level=inner)
    with pytest.raises(RuntimeError, match="not the last one that was created"):
        cfw.exit_dual_level(level=outer)
    assert cfw.unpack_dual(y * y, level=inner).tangent.item() == 4.0
    cfw.exit_dual_level()
    assert cfw.unpack_dual(y * y).tangent.item() == 4.0  # the outer level's tangent
    cfw.exit_dual_level(level=outer)
    assert not open_transforms.here.dual


def test_exit_dual_level_leaves_a_dual_level_block_to_close_itself() -> None:
    with cfw.dual_level():
        with pytest.raises(RuntimeError, match="did not create"):
            cfw.exit_dual_level()
        assert len(open_transforms.here.dual) == 1
    assert not open_transforms.here.dual


# ------------------------------------------------------------------ checkpoint
def _model(lib: Any) -> Any:
    lib.manual_seed(0)
    return lib.nn.Sequential(
        lib.nn.Linear(3, 4),
        lib.nn.Tanh(),
        lib.nn.Linear(4, 4),
        lib.nn.ReLU(),
        lib.nn.Linear(4, 2),
    ).double()


X = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])


def _gradients(model: Any, x: Any, out: Any) -> list[Any]:
    """The output, the input's gradient and the parameters' of a squared-sum loss."""
    out.pow(2).sum().backward()
    return [
        out.tolist(),
        None if x.grad is None else x.grad.tolist(),
        *[p.grad.tolist() for p in model.parameters()],
    ]


def assert_same(found: list[Any], expected: list[Any]) -> None:
    assert len(found) == len(expected)
    for c, t in zip(found, expected, strict=True):
        assert (c is None) == (t is None)
        if t is not None:
            np.testing.assert_allclose(c, t, rtol=1e-12)


@pytest.mark.parametrize("reentrant", [True, False])
@pytest.mark.parametrize("input_grad", [True, False])
def test_checkpoint_of_a_module_gives_its_parameters_pytorchs_gradients(
    reentrant: bool, input_grad: bool
) -> None:
    """The parameters a checkpointed module reads get their gradients, with or without an
    input requiring grad (PyTorch's reentrant variant, with none, warns and records nothing)."""
    found = []
    for lib, _, ckpt in BOTH:
        model = _model(lib)
        x = lib.tensor(X, requires_grad=input_grad)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            y = ckpt.checkpoint(model, x, use_reentrant=reentrant)
        grads = _gradients(model, x, y) if y.requires_grad else [y.tolist()]
        found.append(([str(w.message) for w in caught], grads))
    assert found[1][0] == found[0][0]
    assert_same(found[1][1], found[0][1])


def test_checkpoint_warns_without_use_reentrant_as_pytorch() -> None:
    x = [lib.ones(2, requires_grad=True) for lib in (torch, cr)]
    t = outcome(lambda: tcp.checkpoint(lambda v: v * 2, x[0]))
    c = outcome(lambda: ccp.checkpoint(lambda v: v * 2, x[1]))
    assert c == t and len(t[1]) == 1


@pytest.mark.parametrize(
    "call",
    [
        lambda lib, ck: ck.checkpoint(lambda v, a=1: v * a, lib.ones(2), use_reentrant=True, a=2),
        lambda lib, ck: ck.checkpoint(lambda v: v, lib.ones(2), use_reentrant=True, debug=True),
        lambda lib, ck: ck.checkpoint(
            lambda v: v, lib.ones(2), use_reentrant=False, determinism_check="x"
        ),
        lambda lib, ck: ck.checkpoint_sequential([lib.exp], 1, lib.ones(2), use_reentrant=1, a=2),
        lambda lib, ck: ck.checkpoint_sequential([lib.exp] * 2, 3, lib.ones(2), use_reentrant=0),
        lambda lib, ck: ck.checkpoint_sequential([lib.exp], 0, lib.ones(2), use_reentrant=False),
        lambda lib, ck: ck.detach_variable([lib.ones(1)]),
    ],
    ids=["kwargs", "debug", "determinism", "seq-kwargs", "seq-too-many", "seq-zero", "detach"],
)
def test_checkpoint_refusals_match_pytorch(call: Callable[..., Any]) -> None:
    t = outcome(lambda: call(torch, tcp))
    c = outcome(lambda: call(cr, ccp))
    assert t[2] is not None and c[1:] == t[1:]


class Noted:
    """A context manager that notes its name in ``entered`` when entered."""

    def __init__(self, name: str, entered: list[str]) -> None:
        self.name, self.entered = name, entered

    def __enter__(self) -> None:
        self.entered.append(self.name)

    def __exit__(self, *exc: object) -> None:
        return None


def test_checkpoint_with_keyword_arguments_and_context_fn_non_reentrant() -> None:
    found = []
    for lib, _, ckpt in BOTH:
        entered: list[str] = []
        x = lib.tensor([0.5, 2.0], requires_grad=True)
        y = ckpt.checkpoint(
            lambda v, scale: (v * scale).sin().sum(),
            x,
            use_reentrant=False,
            scale=3.0,
            context_fn=lambda e=entered: (Noted("forward", e), Noted("recompute", e)),
        )
        y.backward()
        found.append((x.grad.tolist(), entered))
    np.testing.assert_allclose(found[1][0], found[0][0], rtol=1e-6)
    assert found[1][1] == found[0][1] == ["forward", "recompute"]


def test_checkpoint_recomputation_that_changes_shape_is_a_checkpoint_error() -> None:
    errors = []
    for lib, _, ckpt in BOTH:
        calls = []

        def f(v: Any, lib: Any = lib, calls: list[int] = calls) -> Any:
            calls.append(1)
            return (v[:2] if len(calls) > 1 else v).exp()

        y = ckpt.checkpoint(f, lib.ones(3, requires_grad=True), use_reentrant=False)
        errors.append(outcome(lambda y=y: y.sum().backward())[2])
    assert errors[0] is tcp.CheckpointError and errors[1] is ccp.CheckpointError
    assert issubclass(ccp.CheckpointError, RuntimeError)
    x = cr.ones(3, requires_grad=True)  # determinism_check="none": no check, no error from it
    calls = []
    y = ccp.checkpoint(
        lambda v: (calls.append(1), v.exp() if len(calls) > 1 else v.sin())[1],
        x,
        use_reentrant=False,
        determinism_check="none",
    )
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp(np.ones(3)), rtol=1e-6)


def test_checkpoint_gradient_through_autograd_grad_and_create_graph_non_reentrant() -> None:
    found = []
    for lib, _, ckpt in BOTH:
        model = _model(lib)
        x = lib.tensor(X, requires_grad=True)
        y = ckpt.checkpoint(model, x, use_reentrant=False).sum()
        (gx,) = lib.autograd.grad(y, x, create_graph=True)
        (ggx,) = lib.autograd.grad(gx.pow(2).sum(), x)
        w = model[0].weight
        (gw,) = lib.autograd.grad(ckpt.checkpoint(model, x, use_reentrant=False).sum(), w)
        found.append([gx.tolist(), ggx.tolist(), gw.tolist()])
    assert_same(found[1], found[0])


def test_checkpoint_keeps_the_inputs_and_the_output_not_the_first_runs_activations() -> None:
    import tracemalloc

    x = cr.ones(1_000_000, requires_grad=True)  # 4 MB a value

    def f(v: Any) -> Any:
        return (v.exp() * 2).sin().cos()

    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        y = f(x)
        plain = tracemalloc.get_traced_memory()[0] - before
        del y
        before = tracemalloc.get_traced_memory()[0]
        y = ccp.checkpoint(f, x, use_reentrant=False)
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert plain > 14e6 and held < 5e6  # four values recorded; the output alone
    y.sum().backward()
    np.testing.assert_allclose(
        x.grad.numpy()[:1], [-np.sin(np.sin(2 * np.e)) * np.cos(2 * np.e) * 2 * np.e], rtol=1e-5
    )


@pytest.mark.parametrize("segments", [1, 2, 3, 5])
@pytest.mark.parametrize("reentrant", [True, False])
def test_checkpoint_sequential_matches_pytorch_on_a_small_sequential(
    segments: int, reentrant: bool
) -> None:
    found = []
    for lib, _, ckpt in BOTH:
        model = _model(lib)
        x = lib.tensor(X, requires_grad=True)
        out = ckpt.checkpoint_sequential(model, segments, x, use_reentrant=reentrant)
        found.append(_gradients(model, x, out))
    assert_same(found[1], found[0])


def test_checkpoint_sequential_of_a_list_with_dropout_keeps_the_mask_and_warns_as_pytorch() -> None:
    """A list of functions; dropout's second run draws the first run's mask (the gradient is
    zero exactly where the output is), and leaving out use_reentrant warns as PyTorch."""
    warned = []
    for lib, _, ckpt in BOTH:
        lib.manual_seed(3)
        x = lib.linspace(-1.0, 1.0, 12, dtype=lib.float64).reshape(3, 4).requires_grad_()
        functions = [lib.sin, lib.nn.Dropout(0.5), lambda v, lib=lib: v * 2, lib.exp]
        out, caught, _ = outcome(lambda f=functions, x=x, c=ckpt: c.checkpoint_sequential(f, 2, x))
        warned.append(caught)
        lib.manual_seed(3)
        y = ckpt.checkpoint_sequential(functions, 2, x, use_reentrant=False)
        y.sum().backward()
        dropped = np.array(y.tolist()) == 1.0  # exp(0): a dropped element
        assert dropped.any() and not dropped.all()
        assert (np.array(x.grad.tolist())[dropped] == 0).all()
        assert (np.array(x.grad.tolist())[~dropped] != 0).all()
    assert warned[1] == warned[0] and len(warned[0]) == 1


def test_detach_variable_as_pytorch() -> None:
    found = []
    for lib, _, ckpt in BOTH:
        x = lib.ones(2, requires_grad=True) * 2
        detached = ckpt.detach_variable((x, lib.ones(1), 3))
        found.append(
            [
                (t.requires_grad, t.grad_fn is None, t.tolist()) if hasattr(t, "grad_fn") else t
                for t in detached
            ]
        )
    assert found[1] == found[0]


# ------------------------------------------------------------------ graph: nodes and edges
def _nodes(lib: Any) -> list[bool]:
    x = lib.ones(2, requires_grad=True)
    y = lib.nn.functional.linear(x.reshape(1, 2), lib.ones(3, 2, requires_grad=True))
    z = (y.exp() * 2).sum()
    Node = lib.autograd.graph.Node
    leaf = z.grad_fn.next_functions[0][0].next_functions[0][0]
    return [
        isinstance(z.grad_fn, Node),
        isinstance(leaf, Node),
        *[isinstance(n, Node) for n, _ in y.grad_fn.next_functions if n is not None],
        isinstance(lib.autograd.graph.get_gradient_edge(x).node, Node),
        isinstance(x, Node),
        isinstance(None, Node),
    ]


def test_every_node_of_the_graph_is_a_graph_node_as_in_pytorch() -> None:
    assert _nodes(cr) == _nodes(torch)


def test_a_custom_function_node_is_a_graph_node() -> None:
    for lib in (torch, cr):

        class Double(lib.autograd.Function):
            @staticmethod
            def forward(ctx: Any, x: Any) -> Any:
                return x * 2

            @staticmethod
            def backward(ctx: Any, g: Any) -> Any:
                return g * 2

        y = Double.apply(lib.ones(1, requires_grad=True))
        assert isinstance(y.grad_fn, lib.autograd.graph.Node), lib


def _edges(lib: Any) -> list[Any]:
    graph = lib.autograd.graph
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    z = (y * y).sum()
    edge = graph.get_gradient_edge(y)
    leaf = graph.get_gradient_edge(x)
    found = [
        edge.node.name(),
        edge.output_nr,
        leaf.output_nr,
        leaf.node is y.grad_fn.next_functions[0][0],
    ]
    found.append(_plain(lib.autograd.grad(z, edge, retain_graph=True)))
    found.append(_plain(lib.autograd.grad(z, [leaf, edge], retain_graph=True)))
    lib.autograd.backward(z, inputs=[leaf])
    found.append(x.grad.tolist())
    found.append(outcome(lambda: graph.get_gradient_edge(lib.ones(1)))[2])
    return found


def test_gradient_edges_stand_for_their_tensors_in_grad_and_backward_as_in_pytorch() -> None:
    assert _edges(cr) == _edges(torch)


def _versions(lib: Any) -> list[Any]:
    graph = lib.autograd.graph
    w = lib.ones(2, requires_grad=True)
    a = lib.ones(2)
    y = a * w  # w's gradient reads a
    found = [a._version]
    graph.increment_version(a)
    found.append(a._version)
    found.append(outcome(lambda: y.sum().backward())[2])
    graph.increment_version([a, w])
    found += [a._version, w._version]
    z = a * w
    graph.increment_version(w)  # a's gradient would read w, but a needs none
    z.sum().backward()
    found.append(w.grad.tolist())
    return found


def test_increment_version_makes_backward_refuse_the_changed_value_as_pytorch() -> None:
    assert _versions(cr) == _versions(torch) == [0, 1, RuntimeError, 2, 1, [1.0, 1.0]]


# ------------------------------------------------------------------ saved tensor hooks
SAVING = [
    ("mul-both", lambda lib, x, w, c: x * w),
    ("mul-one", lambda lib, x, w, c: x * c),
    ("mul-number", lambda lib, x, w, c: x * 2),
    ("square", lambda lib, x, w, c: x * x),
    ("add", lambda lib, x, w, c: x + w),
    ("div", lambda lib, x, w, c: x / w),
    ("pow", lambda lib, x, w, c: x**2),
    ("exp", lambda lib, x, w, c: x.exp()),
    ("sin", lambda lib, x, w, c: x.sin()),
    ("tanh", lambda lib, x, w, c: x.tanh()),
    ("relu", lambda lib, x, w, c: lib.relu(x)),
    ("sigmoid", lambda lib, x, w, c: lib.sigmoid(x)),
    ("matmul", lambda lib, x, w, c: x @ w),
    ("sum", lambda lib, x, w, c: x.sum()),
    ("linear", lambda lib, x, w, c: lib.nn.functional.linear(x.reshape(1, 2), lib.ones(3, 2))),
    ("chain", lambda lib, x, w, c: (x * w).exp().sin() + x.tanh()),
]


def _packs(lib: Any, f: Callable[..., Any]) -> tuple[Any, ...]:
    """How many values the op packs, how many backward unpacks (twice, the graph retained),
    which tensors were handed to pack (the input or the result itself), and the gradient."""
    x = lib.tensor([0.5, -1.5], requires_grad=True)
    w = lib.tensor([2.0, 0.25], requires_grad=True)
    c = lib.tensor([3.0, 4.0])
    packed, unpacked = [], []

    def pack(t: Any) -> Any:
        packed.append(t)
        return t

    def unpack(t: Any) -> Any:
        unpacked.append(t)
        return t

    with lib.autograd.graph.saved_tensors_hooks(pack, unpack):
        y = f(lib, x, w, c)
    # Which tensors, in no particular order (PyTorch packs mul's and div's second factor first).
    names = sorted("x" if t is x else "w" if t is w else "y" if t is y else "-" for t in packed)
    count = len(packed)
    y.sum().backward(retain_graph=True)
    y.sum().backward()
    return count, len(unpacked), names, x.grad.tolist()


@pytest.mark.parametrize("f", [f for _, f in SAVING], ids=[name for name, _ in SAVING])
def test_saved_tensors_hooks_pack_and_unpack_what_pytorch_does(f: Callable[..., Any]) -> None:
    t, c = _packs(torch, f), _packs(cr, f)
    assert c[:3] == t[:3]
    np.testing.assert_allclose(c[3], t[3], rtol=1e-6)


def _hook_order(lib: Any) -> list[str]:
    graph = lib.autograd.graph
    x = lib.ones(2, requires_grad=True)
    log: list[str] = []

    def hooks(name: str) -> Any:
        return graph.saved_tensors_hooks(
            lambda t: log.append("pack " + name) or t, lambda t: log.append("unpack " + name) or t
        )

    with hooks("outer"):
        with hooks("inner"):  # only the innermost pair applies
            y = x.exp()
        z = y.sin()
    with lib.no_grad(), hooks("unrecorded"):  # nothing is saved without recording
        x.exp()
    z.sum().backward()
    return log


def test_saved_tensors_hooks_nest_innermost_first_and_skip_unrecorded_ops_as_pytorch() -> None:
    assert _hook_order(cr) == _hook_order(torch)


def _refusals(lib: Any) -> list[Any]:
    graph = lib.autograd.graph
    x = lib.ones(2, requires_grad=True)
    found = []

    def enter_hooks() -> None:
        with graph.save_on_cpu():
            pass

    def disable_inside_hooks() -> None:
        hooks = graph.saved_tensors_hooks(lambda t: t, lambda t: t)
        with hooks, graph.disable_saved_tensors_hooks("hooks are off"):
            pass

    with graph.disable_saved_tensors_hooks("hooks are off"):
        found.append(outcome(enter_hooks))
    found.append(outcome(disable_inside_hooks))
    found.append(outcome(enter_hooks))  # enabled again after the block
    with graph.saved_tensors_hooks(lambda t: t, lambda t: 3):
        y = x.exp()
    found.append(outcome(lambda: y.sum().backward()))
    return found


def test_disabled_hooks_and_an_unpack_that_is_no_tensor_raise_as_pytorch() -> None:
    t, c = _refusals(torch), _refusals(cr)
    assert (
        [e for _, _, e in c]
        == [e for _, _, e in t]
        == [RuntimeError, RuntimeError, None, TypeError]
    )


def test_save_on_cpu_gives_pytorchs_gradients() -> None:
    found = []
    for lib in (torch, cr):
        model = _model(lib)
        x = lib.tensor(X, requires_grad=True)
        with lib.autograd.graph.save_on_cpu():
            out = model(x)
        found.append(_gradients(model, x, out))
    assert_same(found[1], found[0])


def test_an_unpack_hook_that_changes_the_values_is_refused() -> None:
    """PyTorch computes with what unpack returns; chainrule's rules read the saved values, so
    it refuses a pair of hooks that changes them rather than give another gradient."""
    x = cr.ones(2, requires_grad=True)
    with cr.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t * 2):
        y = x.exp()
    with pytest.raises(RuntimeError, match="unpack_hook returned other values"):
        y.sum().backward()
