"""``nn.Module.register_backward_hook``, PyTorch's deprecated (non-full) module backward hook,
against PyTorch: each row runs the same code with ``torch`` and with ``chainrule`` (as ``M``)
and compares what it returns (the hook's grad_input and grad_output, the inputs' ``.grad``
after, the FutureWarnings the call gives) or the error it raises (type and first line)."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr


def _shown(t: Any) -> Any:
    return None if t is None else np.array(t.detach().numpy(), dtype=np.float64)


def _hooked(M: Any, module: Any, x: Any, hook: Callable[..., Any] | None = None) -> Any:
    """Calls ``module`` on ``x`` with a non-full hook that records (and, with ``hook``,
    replaces) its gradients; what it saw, the warnings of the call and the gradients after."""
    seen = []

    def record(m: Any, grad_input: Any, grad_output: Any) -> Any:
        assert m is module
        seen.append(([_shown(g) for g in grad_input], [_shown(g) for g in grad_output]))
        return None if hook is None else hook(grad_input)

    module.register_backward_hook(record)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        y = module(x)
    w = M.tensor(np.linspace(-1.0, 1.0, y.numel()).reshape(tuple(y.shape)))
    (y * w).sum().backward()
    grads = [_shown(p.grad) for p in (x, *module.parameters()) if p.requires_grad]
    messages = [str(c.message).split(".")[0] for c in caught if c.category is FutureWarning]
    return seen, messages, grads


def _input(M: Any, *shape: int, leaf: bool = True) -> Any:
    x = M.tensor(np.linspace(-2.0, 2.0, int(np.prod(shape))).reshape(shape), requires_grad=True)
    return x if leaf else x * 1  # made by a node: the module's only node reads it


def _linear(M: Any) -> Any:
    M.manual_seed(0)
    return _hooked(M, M.nn.Linear(3, 2).double(), _input(M, 4, 3))


def _linear_no_bias_3d(M: Any) -> Any:
    M.manual_seed(0)
    return _hooked(M, M.nn.Linear(3, 2, bias=False).double(), _input(M, 2, 4, 3))


def _linear_bias_3d(M: Any) -> Any:
    M.manual_seed(0)
    return _hooked(M, M.nn.Linear(3, 2).double(), _input(M, 2, 4, 3))


def _conv2d(M: Any) -> Any:
    M.manual_seed(0)
    return _hooked(M, M.nn.Conv2d(2, 3, 3, padding=1).double(), _input(M, 1, 2, 4, 4))


def _conv1d(M: Any) -> Any:
    M.manual_seed(0)
    return _hooked(M, M.nn.Conv1d(2, 3, 3, padding=1).double(), _input(M, 2, 2, 5))


def _batch_norm2d(M: Any) -> Any:
    return _hooked(M, M.nn.BatchNorm2d(2).double(), _input(M, 2, 2, 3, 3))


def _layer_norm(M: Any) -> Any:
    return _hooked(M, M.nn.LayerNorm(3).double(), _input(M, 2, 4, 3))


def _relu_of_a_leaf(M: Any) -> Any:
    return _hooked(M, M.nn.ReLU(), _input(M, 2, 3))


def _relu_of_a_made_tensor(M: Any) -> Any:
    """One node that reads the input's own node: no warning, the module's gradients."""
    return _hooked(M, M.nn.ReLU(), _input(M, 2, 3, leaf=False))


def _sequential(M: Any) -> Any:
    """Several nodes: the hook sees the last one's gradients, with PyTorch's warning."""
    M.manual_seed(0)
    model = M.nn.Sequential(M.nn.Linear(3, 4), M.nn.Tanh(), M.nn.Linear(4, 2)).double()
    return _hooked(M, model, _input(M, 5, 3))


def _hook_replaces_grad_input(M: Any) -> Any:
    """A returned tuple replaces grad_input: the bias gets 0, the input 3x, weight.T as is."""
    M.manual_seed(0)
    layer = M.nn.Linear(3, 2).double()
    return _hooked(M, layer, _input(M, 4, 3), lambda gi: (gi[0] * 0, gi[1] * 3, gi[2]))


def _hook_replaces_relu_grad(M: Any) -> Any:
    return _hooked(M, M.nn.ReLU(), _input(M, 2, 3, leaf=False), lambda gi: (gi[0] + 1,))


def _two_hooks_in_order(M: Any) -> Any:
    order = []
    layer = M.nn.Sigmoid()
    layer.register_backward_hook(lambda m, gi, go: order.append("first") or (gi[0] * 2,))
    layer.register_backward_hook(lambda m, gi, go: order.append(("second", _shown(gi[0]))))
    x = _input(M, 3, leaf=False)
    layer(x).sum().backward()
    return order, _shown(x.grad if x.is_leaf else None)


def _removed(M: Any) -> Any:
    seen = []
    layer = M.nn.Tanh()
    handle = layer.register_backward_hook(lambda m, gi, go: seen.append(1))
    x = _input(M, 3, leaf=False)
    layer(x).sum().backward()
    handle.remove()
    layer(x).sum().backward()
    return seen


def _removed_after_the_call(M: Any) -> Any:
    """The hook is on the node the call made: removing it from the module leaves it there."""
    seen = []
    layer = M.nn.Tanh()
    handle = layer.register_backward_hook(lambda m, gi, go: seen.append(1))
    y = layer(_input(M, 3, leaf=False))
    handle.remove()
    y.sum().backward()
    return seen


def _full_then_non_full(M: Any) -> Any:
    layer = M.nn.ReLU()
    layer.register_full_backward_hook(lambda m, gi, go: None)
    layer.register_backward_hook(lambda m, gi, go: None)


def _non_full_then_full(M: Any) -> Any:
    layer = M.nn.ReLU()
    layer.register_backward_hook(lambda m, gi, go: None)
    layer.register_full_backward_hook(lambda m, gi, go: None)


def _full_removed_then_non_full(M: Any) -> Any:
    """The module keeps the kind of its first backward hook, removed or not."""
    layer = M.nn.ReLU()
    layer.register_full_backward_hook(lambda m, gi, go: None).remove()
    layer.register_backward_hook(lambda m, gi, go: None)


def _pre_hook_beside_non_full(M: Any) -> Any:
    """A full backward pre-hook is not a full backward hook: the two may be mixed."""
    seen = []
    layer = M.nn.ReLU()
    layer.register_full_backward_pre_hook(lambda m, go: seen.append("pre"))
    layer.register_backward_hook(lambda m, gi, go: seen.append("non-full"))
    layer(_input(M, 3, leaf=False)).sum().backward()
    return seen


def _two_outputs(M: Any) -> Any:
    """A module returning a tuple from two nodes: PyTorch's warning about other nodes."""

    class Split(M.nn.Module):
        def forward(self, x: Any) -> Any:
            return x.exp(), x.sin()

    module, seen = Split(), []
    module.register_backward_hook(lambda m, gi, go: seen.append(len(gi)))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        a, b = module(_input(M, 3, leaf=False))
    (a.sum() + b.sum()).backward()
    return seen, [str(c.message).split(".")[0] for c in caught]


def _under_no_grad(M: Any) -> Any:
    seen = []
    layer = M.nn.ReLU()
    layer.register_backward_hook(lambda m, gi, go: seen.append(1))
    with M.no_grad():
        layer(_input(M, 3))
    return seen


CASES = {
    "linear": _linear,
    "linear_no_bias_3d": _linear_no_bias_3d,
    "linear_bias_3d": _linear_bias_3d,
    "conv2d": _conv2d,
    "conv1d": _conv1d,
    "batch_norm2d": _batch_norm2d,
    "layer_norm": _layer_norm,
    "relu_of_a_leaf": _relu_of_a_leaf,
    "relu_of_a_made_tensor": _relu_of_a_made_tensor,
    "sequential": _sequential,
    "hook_replaces_grad_input": _hook_replaces_grad_input,
    "hook_replaces_relu_grad": _hook_replaces_relu_grad,
    "two_hooks_in_order": _two_hooks_in_order,
    "removed": _removed,
    "removed_after_the_call": _removed_after_the_call,
    "full_then_non_full": _full_then_non_full,
    "non_full_then_full": _non_full_then_full,
    "full_removed_then_non_full": _full_removed_then_non_full,
    "pre_hook_beside_non_full": _pre_hook_beside_non_full,
    "two_outputs": _two_outputs,
    "under_no_grad": _under_no_grad,
}


def _outcome(case: Callable[[Any], Any], M: Any) -> Any:
    try:
        return "ok", case(M)
    except Exception as e:  # noqa: BLE001 (the error is what is compared)
        return type(e).__name__, str(e).splitlines()[0]


def _assert_same(ours: Any, theirs: Any) -> None:
    if isinstance(theirs, np.ndarray):
        assert isinstance(ours, np.ndarray) and ours.shape == theirs.shape
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
    elif isinstance(theirs, (list, tuple)):
        assert isinstance(ours, (list, tuple)) and len(ours) == len(theirs), (ours, theirs)
        for a, b in zip(ours, theirs, strict=True):
            _assert_same(a, b)
    else:
        assert ours == theirs


# Modules whose node is the last step of chainrule's own composite (conv1d's reshape of a
# conv2d, the norms' scale and shift: test_torch_node_hooks_table's SAME_NAME_OTHER_STEPS): the
# hook sees that step's gradients, not those of PyTorch's one node. The test asserts they still
# differ, so that a fix takes them out of this set.
COMPOSITE_NODES = {"conv1d", "batch_norm2d"}


@pytest.mark.parametrize("name", list(CASES))
def test_register_backward_hook_as_pytorch(name: str) -> None:
    theirs = _outcome(CASES[name], torch)
    ours = _outcome(CASES[name], cr)
    if name in COMPOSITE_NODES:
        with pytest.raises(AssertionError):
            _assert_same(ours, theirs)
        return
    _assert_same(ours, theirs)
