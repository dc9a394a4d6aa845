"""Deep graphs backpropagate without recursion, training loops do not leak, and backward
frees what the graph saved unless asked to keep it."""

import tracemalloc
import weakref
from typing import Any

import pytest

import chainrule as cr

DEPTH = 100_000


def _chain(x, step, depth=DEPTH):
    h = x
    for _ in range(depth):
        h = step(h)
    return h


def test_chain_of_100k_additions_backpropagates_without_recursion_error():
    x = cr.tensor([1.0], dtype=cr.float64, requires_grad=True)
    y = _chain(x, lambda h: h + 1e-5)
    y.backward()
    assert y.item() == pytest.approx(1.0 + DEPTH * 1e-5, rel=1e-9)
    assert x.grad.tolist() == [1.0]


def test_chain_of_100k_products_multiplies_100k_local_derivatives():
    x = cr.tensor([1.0], dtype=cr.float64, requires_grad=True)
    y = _chain(x, lambda h: h * 1.00001)
    (g,) = cr.autograd.grad(y, x)
    assert g.item() == pytest.approx(1.00001**DEPTH, rel=1e-9)  # about e


def test_dropping_a_deep_graph_without_backward_frees_it():
    x = cr.tensor([1.0], requires_grad=True)
    y = _chain(x, lambda h: h + 1e-5)
    node = weakref.ref(y.grad_fn)
    del y  # deallocating 100k nested nodes must not overflow the stack either
    assert node() is None


def _train_step(w, xs):
    loss = (xs @ w).tanh().sum()
    loss.backward()
    with cr.no_grad():
        w -= 0.01 * w.grad
    w.grad = None


def test_memory_stays_flat_over_10k_training_steps():
    cr.manual_seed(0)
    w = cr.randn(4, 8, requires_grad=True)
    xs = cr.randn(16, 4)
    for _ in range(1_000):  # warm-up: Python's and NumPy's caches fill once, untraced
        _train_step(w, xs)
    tracemalloc.start()
    try:
        for step in range(10_000):
            _train_step(w, xs)
            if step == 999:
                current_1k, peak_1k = tracemalloc.get_traced_memory()
        current_10k, peak_10k = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Each step's graph holds several KB; a leak of even 2 bytes a step exceeds the slack.
    slack = 16 * 1024
    assert current_10k <= current_1k + slack
    assert peak_10k <= peak_1k + slack


def _nodes(root):
    """Every node of the graph behind ``root``."""
    seen, stack = [], [root.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or not hasattr(node, "args") or node in seen:
            continue
        seen.append(node)
        stack.extend(parent for parent, _ in node.next_functions)
    return seen


def test_backward_frees_saved_arrays_of_every_node():
    x = cr.tensor([0.5, 1.5], requires_grad=True)
    y = (x.exp() * x).sin().sum()
    nodes = _nodes(y)
    assert len(nodes) == 4 and all(node.args is not None for node in nodes)
    y.backward()
    assert all(node.freed for node in nodes)
    # The sum reads only sizes: it keeps its small arrays and runs again, as PyTorch's node
    # that saved no tensor does; the others let go of the values their rules read.
    kept = [node.name() for node in nodes if node.args is not None or node.out is not None]
    assert kept == ["SumBackward0"]


def test_backward_with_retain_graph_keeps_saved_arrays():
    x = cr.tensor([0.5, 1.5], requires_grad=True)
    y = (x.exp() * x).sin().sum()
    y.backward(retain_graph=True)
    assert all(node.args is not None for node in _nodes(y))


def test_saved_intermediate_array_is_released_after_backward():
    # Above 1024 elements: a freed node keeps only smaller arrays, which weigh little more
    # than the node itself.
    x = cr.rand(2000, requires_grad=True)
    a = x.exp()
    y = (a * a).sum()
    saved = weakref.ref(y.grad_fn.next_functions[0][0].args[0])  # the array of a, saved by mul
    del a
    assert saved() is not None
    y.backward()
    assert saved() is None


def test_a_freed_nodes_name_and_edges_are_pytorchs_after_backward():
    """A freed node lets go of its large inputs' arrays, but not of their shapes: a linear
    map's name (AddmmBackward0, of a matrix) and its edges read the input's, after the
    backward as before (they raised, on the released input)."""
    layer = cr.nn.Linear(30, 20)
    x = cr.ones(40, 30, requires_grad=True) * 2  # not a leaf: its array is let go
    y = layer(x)
    y.sum().backward()
    edges = [node.name() for node, _ in y.grad_fn.next_functions]
    accumulate = "chainrule::autograd::AccumulateGrad"  # PyTorch's torch::autograd::...
    assert (y.grad_fn.name(), edges) == (
        "AddmmBackward0",
        [accumulate, "MulBackward0", "TBackward0"],
    )
    assert y.grad_fn.inputs[0]._data.strides == (0, 0)  # a stand-in of one element


def test_stand_ins_are_shared_by_shape_and_dtype_and_bounded(monkeypatch: Any) -> None:
    """Freed nodes share one read-only stand-in per shape and dtype (made once), and the
    cache of them is cleared when it is full rather than grow with every shape met."""
    from chainrule.autodiff import backward as engine

    monkeypatch.setattr(engine, "_STAND_INS", {})
    monkeypatch.setattr(engine, "_STAND_INS_KEPT", 3)
    ys = []
    for rows in (40, 40, 41, 42, 43):  # four shapes: the fourth clears the cache
        x = cr.ones(rows, 30, requires_grad=True) * 2
        ys.append(cr.nn.functional.linear(x, cr.ones(20, 30, requires_grad=True)))
        ys[-1].sum().backward()
    first, second = (y.grad_fn.inputs[0]._data for y in ys[:2])
    assert first is second and not first.flags.writeable and first.strides == (0, 0)
    assert [y.grad_fn.inputs[0].shape[0] for y in ys] == [40, 40, 41, 42, 43]
    assert len(engine._STAND_INS) == 1  # cleared at 3, then the 43-row one
    wide = cr.ones(40, 30, dtype=cr.float64, requires_grad=True) * 2
    y = cr.nn.functional.linear(wide, cr.ones(20, 30, dtype=cr.float64, requires_grad=True))
    y.sum().backward()
    own = y.grad_fn.inputs[0]._data  # the same shape in another dtype: a stand-in of its own
    assert own is not first and str(own.dtype) == "float64" and own.shape == first.shape


def test_a_kept_loss_does_not_keep_its_graph_arrays_alive():
    """``losses.append(loss)`` in a training loop must not hold every step's activations."""
    w = cr.randn(64, 64, requires_grad=True)
    x = cr.randn(256, 64)
    _, growth = _kept_losses_growth(lambda: (x @ w).tanh().square().mean(), 60)
    # Each step's activations are 3 arrays of 256x64 float32 (192 KiB); 50 more kept losses
    # that held them would add about 10 MB.
    assert growth < 500 * 1024


def test_a_kept_loss_does_not_keep_a_recurrent_layers_activations_alive():
    """The LSTM layer's node keeps its gates' activations for the backward (ops/recurrent.py)
    and lets go of them with its saved inputs."""
    layer = cr.nn.LSTM(64, 64)
    x = cr.randn(20, 32, 64)
    _, growth = _kept_losses_growth(lambda: layer(x)[0].square().mean(), 40)
    # Each step keeps 7 arrays of 20 x 32 x 64 float32 (1.1 MiB): 30 kept losses that held
    # them would add 34 MB.
    assert growth < 1024 * 1024


def _kept_losses_growth(loss_of_a_step: Any, steps: int) -> tuple[list[Any], int]:
    """The losses of ``steps`` steps, each backwarded and kept, and how much the memory held
    grew from the 10th step to the last."""
    tracemalloc.start()
    try:
        kept = []
        for step in range(steps):
            loss = loss_of_a_step()
            loss.backward()
            kept.append(loss)
            if step == 9:
                at_10, _ = tracemalloc.get_traced_memory()
        at_end, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return kept, at_end - at_10


@pytest.mark.parametrize(
    "loss_of",
    [
        lambda a, b: (a[:, None] + b).sum(),  # broadcast: the output larger than the inputs
        lambda a, b: (-(a + 2.0)).sum(),  # with a number: the output has the input's shape
    ],
    ids=["broadcast-add", "number-operands"],
)
def test_kept_losses_of_nodes_that_saved_nothing_keep_no_large_array(loss_of: Any) -> None:
    """A node whose rules read nothing runs again after a backward (as PyTorch's): it keeps
    its small arrays, never a large one, input or output (stand-ins of their shapes)."""
    a, b = cr.randn(4096, requires_grad=True), cr.randn(512, requires_grad=True)
    # (fresh inputs at each step, as a layer's activations are)
    kept, growth = _kept_losses_growth(lambda: loss_of(a + 0.0, b + 0.0), 30)
    kept[-1].backward()  # and it does run again
    # one step's large arrays: 16 KiB (a's), 8 MiB for the broadcast sum
    assert growth < 20 * 16 * 1024


def test_autograd_grad_also_frees_the_graph():
    x = cr.tensor(0.5, requires_grad=True)
    y = x.exp() * 2
    cr.autograd.grad(y, x)
    assert y.grad_fn.freed and y.grad_fn.inputs[0].grad_fn.args is None  # exp's output: gone
    # the product reads the number 2 (PyTorch saves it as a tensor): a second pass is refused
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        cr.autograd.grad(y, x)


def test_a_nodes_attributes_read_and_write_the_record_the_engine_reads():
    """``node.args``, ``node.inputs``, ... are the fields of one record (op._RECORD): what is
    written through them is what backward sees, and what backward frees they show."""
    x = cr.tensor([0.5, 1.5], requires_grad=True)
    y = x * 3.0
    node = y.grad_fn
    assert node.inputs[0] is x and node.args[0] is x._data and node.out is y._data
    assert node.needs == (True, False) and node.versions == ()
    assert (y * 2.0).grad_fn.seq > node.seq
    node.args = None  # as a freed node holds it
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.sum().backward()
    z = (x * 3.0).exp().sum()
    z.backward()
    exp = z.grad_fn.inputs[0].grad_fn
    assert z.grad_fn.freed and exp.args is None and exp.out is None
    z = (x * 3.0).sum()
    z.backward()
    assert z.grad_fn.inputs[0].grad_fn.inputs[0] is x  # the edges are kept for graph readers
