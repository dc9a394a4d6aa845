"""The recurrent layers' one node per layer and direction (``ops/recurrent.py``: LSTMLayer,
GRULayer) against PyTorch and against the recorded steps it replaced, its jvp, its second
derivative, and where the steps still run.

The op table's rows (``lstm_layer``, ``gru_layer``...) check the node against finite
differences, PyTorch and second order on a few steps; here it runs longer sequences, more
layers and directions, float32, and backwards twice.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.ops import recurrent
from chainrule.ops.recurrent import GRULayer, LSTMLayer

# name: (layer arguments after (input_size, hidden_size), call with first states)
LAYERS = {
    "lstm": ("LSTM", {}, False),
    "lstm_two_layers_bidirectional_states": (
        "LSTM",
        {"num_layers": 2, "bidirectional": True},
        True,
    ),
    "lstm_batch_first_no_bias": ("LSTM", {"batch_first": True, "bias": False}, False),
    "gru": ("GRU", {}, False),
    "gru_two_layers_bidirectional_states": ("GRU", {"num_layers": 2, "bidirectional": True}, True),
    "gru_batch_first_no_bias": ("GRU", {"batch_first": True, "bias": False}, True),
}
STEPS, BATCH, FEATURES, HIDDEN = 30, 5, 4, 7


def _nodes(tensors: list[Any]) -> set[str]:
    """The names of every node behind ``tensors`` (either library)."""
    seen, names = set(), set()
    todo = [t.grad_fn for t in tensors if t.grad_fn is not None]
    while todo:
        node = todo.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        names.add(node.name())
        todo += [edge[0] for edge in node.next_functions]
    return names


def _run(lib: Any, name: str, dtype: Any, arrays: dict[str, np.ndarray], state: Any = None) -> Any:
    """Outputs, input and parameter gradients of a weighted sum of every output, and the
    graph's node names, for the layer ``name`` with ``state``'s weights (PyTorch's)."""
    mode, options, with_states = LAYERS[name]
    layer = getattr(lib.nn, mode)(FEATURES, HIDDEN, **options).to(dtype)
    if state is not None:
        layer.load_state_dict(state)
    x = lib.tensor(arrays["x"], dtype=dtype, requires_grad=True)
    given = [lib.tensor(arrays[k], dtype=dtype, requires_grad=True) for k in ("h0", "c0")]
    given = given[:1] if mode == "GRU" else given
    states = (given[0] if mode == "GRU" else tuple(given)) if with_states else None
    out, final = layer(x, states)
    outputs = [out, *(final if mode == "LSTM" else (final,))]
    total = sum(
        (y * lib.tensor(np.cos(np.arange(y.numel())).reshape(y.shape))).sum() for y in outputs
    )
    total.backward()
    leaves = [x, *given] if with_states else [x]
    grads = [t.grad for t in leaves] + [p.grad for p in layer.parameters()]
    return [t.detach().numpy() for t in outputs + grads], _nodes(outputs), layer.state_dict()


def _arrays(name: str, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    _, options, _ = LAYERS[name]
    count = options.get("num_layers", 1) * (2 if options.get("bidirectional") else 1)
    shape = (BATCH, STEPS) if options.get("batch_first") else (STEPS, BATCH)
    return {
        "x": rng.uniform(-1, 1, (*shape, FEATURES)),
        "h0": rng.uniform(-1, 1, (count, BATCH, HIDDEN)),
        "c0": rng.uniform(-2, 2, (count, BATCH, HIDDEN)),
    }


def _node_of(name: str) -> str:
    return "LSTMLayerBackward0" if LAYERS[name][0] == "LSTM" else "GRULayerBackward0"


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", LAYERS)
def test_layer_node_gives_pytorchs_outputs_and_gradients(name: str, dtype: str) -> None:
    arrays = _arrays(name)
    theirs, _, state = _run(torch, name, getattr(torch, dtype), arrays)
    ours, nodes, _ = _run(cr, name, getattr(cr, dtype), arrays, state)
    assert _node_of(name) in nodes
    tolerance = 1e-11 if dtype == "float64" else 2e-5  # PyTorch's float32 layer is mkldnn's
    for a, b in zip(ours, theirs, strict=True):
        assert a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=0, atol=tolerance * max(1.0, np.abs(b).max()))


@pytest.mark.parametrize("name", LAYERS)
def test_layer_node_is_the_recorded_steps_function(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Steps of ops (what vmap and forward mode record, and the cells) and the node give the
    same values and gradients: the node's backward is the chain rule of its steps."""
    arrays = _arrays(name, seed=1)
    ours, nodes, state = _run(cr, name, cr.float64, arrays)
    monkeypatch.setattr(recurrent, "one_layer_node", lambda *args: False)
    steps, step_nodes, _ = _run(cr, name, cr.float64, arrays, state)
    assert _node_of(name) in nodes and _node_of(name) not in step_nodes
    assert "SigmoidBackward0" in step_nodes
    for a, b in zip(ours, steps, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize(
    "make",
    [
        lambda: (cr.nn.LSTM(3, 4).half(), cr.ones(5, 2, 3, dtype=cr.float16)),
        lambda: (cr.nn.LSTM(3, 4, proj_size=2), cr.ones(5, 2, 3)),
        lambda: (cr.nn.GRU(3, 4), cr.ones(3, 0, 3)),
    ],
    ids=["float16", "projection", "empty_batch"],
)
def test_layers_the_node_does_not_take_run_their_steps(make: Any) -> None:
    layer, x = make()
    out, _ = layer(x.requires_grad_())
    assert not {"LSTMLayerBackward0", "GRULayerBackward0"} & _nodes([out])


@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
def test_vmap_and_forward_mode_record_the_steps(mode: str) -> None:
    """Inside vmap and forward mode the layer runs its steps (their ops have batching and
    tangent rules), and gives the same result as the node outside."""
    cr.manual_seed(0)
    layer = getattr(cr.nn, mode)(3, 4, dtype=cr.float64)
    xs = cr.randn(6, 5, 2, 3, dtype=cr.float64)
    seen: list[set[str]] = []

    def last_output(x: cr.Tensor) -> cr.Tensor:
        out = layer(x)[0]
        seen.append(_nodes([out]))
        return out[-1]

    batched = cr.func.vmap(last_output)(xs)
    looped = cr.stack([layer(x)[0][-1] for x in xs])
    np.testing.assert_allclose(batched.detach().numpy(), looped.detach().numpy(), atol=1e-14)
    tangent = cr.randn(5, 2, 3, dtype=cr.float64)
    _, jvp = cr.func.jvp(last_output, (xs[0],), (tangent,))
    step = 1e-6
    central = (last_output(xs[0] + step * tangent) - last_output(xs[0] - step * tangent)) / (
        2 * step
    )
    np.testing.assert_allclose(jvp.detach().numpy(), central.detach().numpy(), atol=1e-8)
    in_vmap, in_forward_mode, outside = seen[:3]  # (the central differences' calls last)
    layer_nodes = {"LSTMLayerBackward0", "GRULayerBackward0"}
    assert not layer_nodes & (in_vmap | in_forward_mode) and layer_nodes & outside


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("cls", [LSTMLayer, GRULayer])
def test_node_jvp_matches_central_differences(cls: Any, reverse: bool) -> None:
    """The node's own jvp (forward mode records the steps, so nothing else reaches it): the
    directional derivative of its output along random tangents of every input."""
    rng = np.random.default_rng(3)
    gates = 4 if cls is LSTMLayer else 3
    shapes = [(6, 2, gates * 3), (2, 3)] + ([(2, 3)] if cls is LSTMLayer else [])
    shapes += [(gates * 3, 3), (gates * 3,)]
    inputs = [rng.uniform(-1, 1, s) for s in shapes]
    tangents = [rng.uniform(-1, 1, s) for s in shapes]
    tangents[1] = None  # an input without a tangent

    def forward(values: list[np.ndarray]) -> np.ndarray:
        return cls(reverse).forward(*values)

    node = cls(reverse)
    out = node.forward(*inputs)
    found = node.jvp(tuple(tangents), out, *inputs)
    step = 1e-6
    moved = [
        [x + sign * step * (0 if t is None else t) for x, t in zip(inputs, tangents, strict=True)]
        for sign in (1, -1)
    ]
    central = (forward(moved[0]) - forward(moved[1])) / (2 * step)
    np.testing.assert_allclose(found, central, rtol=0, atol=1e-8)


@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
def test_second_derivative_through_the_node_is_pytorchs(mode: str) -> None:
    """Under create_graph the node's rule differentiates its recorded steps: the gradient of
    a function of the first gradients is PyTorch's."""
    arrays = _arrays("lstm", seed=4)
    results = []
    state = None
    for lib in (torch, cr):
        layer = getattr(lib.nn, mode)(FEATURES, HIDDEN, num_layers=2, bidirectional=True).double()
        if state is None:
            state = layer.state_dict()
        else:
            layer.load_state_dict(state)
        x = lib.tensor(arrays["x"][:8], requires_grad=True)
        out = layer(x)[0]
        (gx,) = lib.autograd.grad((out * out).sum(), x, create_graph=True)
        (gx * gx).sum().backward()
        results.append([x.grad.numpy()] + [p.grad.numpy() for p in layer.parameters()])
    for a, b in zip(*results, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-11)


def test_long_sequence_and_a_retained_graph() -> None:
    """2,000 steps in one node: no recursion anywhere; with retain_graph the node's kept
    activations serve a second backward, which gives the same gradients."""
    cr.manual_seed(1)
    layer = cr.nn.LSTM(2, 3)
    x = cr.randn(2000, 1, 2, requires_grad=True)
    out, _ = layer(x)
    out.sum().backward(retain_graph=True)
    first = [x.grad.clone()] + [p.grad.clone() for p in layer.parameters()]
    x.grad = None
    layer.zero_grad()
    out.sum().backward()
    second = [x.grad] + [p.grad for p in layer.parameters()]
    for a, b in zip(first, second, strict=True):
        assert cr.equal(a, b)
