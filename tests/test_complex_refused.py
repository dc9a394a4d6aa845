"""Complex numbers are refused with one clear error, never computed on the real part silently.

chainrule's rules are written for real numbers (no conjugation, no Wirtinger calculus), so a
complex value is stopped where it enters: when a tensor is made or cast, and when an op is given
a complex constant. The first table tries every way in; the second calls every registered
``Op`` (as the op table reaches them) with complex operands.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from op_table import all_specs

import chainrule as cr
from chainrule import graph
from chainrule.op import REGISTRY, Op

MESSAGE = r"complex dtypes are not supported \(got complex(64|128)\); chainrule differentiates"


def _leaf() -> cr.Tensor:
    return cr.tensor([1.0, 2.0], requires_grad=True)


def _computed() -> cr.Tensor:
    return _leaf() * 1.0


def _set_data(x: cr.Tensor) -> None:
    x.data = np.array([1j, 2j])


def _setitem(x: cr.Tensor) -> None:
    x[0] = 1j


# (name, the call, the place named in the message)
ENTRIES = [
    ("tensor_requires_grad", lambda: cr.tensor([1 + 2j], requires_grad=True), "tensor"),
    ("tensor_of_numpy", lambda: cr.tensor(np.array([1j])), "tensor"),
    ("tensor_cast_to_real", lambda: cr.tensor(np.array([1j]), dtype=cr.float32), "tensor"),
    ("tensor_complex_dtype", lambda: cr.tensor([1.0], dtype=np.complex64), "tensor"),
    ("zeros_complex_dtype", lambda: cr.zeros(2, dtype=np.complex128), "tensor"),
    ("full_complex_value", lambda: cr.full((2,), 1j), "tensor"),
    ("as_tensor", lambda: cr.as_tensor(np.zeros(2, complex)), "tensor"),
    ("from_numpy", lambda: cr.from_numpy(np.zeros(2, np.complex64)), "from_numpy"),
    ("from_dlpack", lambda: cr.from_dlpack(torch.zeros(2, dtype=torch.cfloat)), "from_dlpack"),
    ("Tensor", lambda: cr.Tensor(np.zeros(2, complex), requires_grad=True), "tensor"),
    ("Parameter", lambda: cr.nn.Parameter(np.zeros(2, complex)), "Parameter"),
    ("to_complex", lambda: _leaf().to(np.complex64), "to"),
    ("type_complex", lambda: _leaf().type(np.complex128), "to"),
    ("set_data", lambda: _set_data(_leaf()), "data"),
    ("mul_constant", lambda: _leaf() * 1j, "mul"),
    ("rmul_constant", lambda: 1j * _leaf(), "mul"),
    ("add_numpy_scalar", lambda: _leaf() + np.complex64(1), "add"),
    ("pow_complex_exponent", lambda: _leaf() ** (0.5 + 1j), "pow"),
    ("where_constant", lambda: cr.where(cr.tensor([True, False]), _leaf(), 1j), "where"),
    ("add_inplace", lambda: _computed().add_(1j), "add"),
    ("setitem", lambda: _setitem(_computed()), "copy"),
]


@pytest.mark.parametrize(("name", "call", "where"), ENTRIES, ids=[e[0] for e in ENTRIES])
def test_complex_values_are_refused_where_they_enter(name: str, call: Any, where: str) -> None:
    with pytest.raises(TypeError, match=f"^{where}: {MESSAGE}"):
        call()


def _nodes(outputs: tuple[Any, ...]) -> list[Op]:
    """Every node of the graphs behind ``outputs``, the steps without gradient included."""
    return graph.steps(y.grad_fn for y in outputs if isinstance(y, cr.Tensor))


def _complex(arg: Any, also_exact: bool = False) -> Any:
    """A float array operand made complex (with ``also_exact``, a bool or integer one too)."""
    kinds = "fbiu" if also_exact else "f"
    return arg + 0.5j if isinstance(arg, np.ndarray) and arg.dtype.kind in kinds else arg


def _graph_nodes(spec: Any) -> list[Op]:
    rng = np.random.default_rng(0)
    x = [cr.tensor(a, requires_grad=True) for a in spec.sample(rng, spec.shapes[0])]
    result = spec.fn(*x)
    return _nodes(tuple(result) if isinstance(result, tuple | list) else (result,))


@pytest.mark.parametrize("spec", all_specs(), ids=lambda spec: spec.name)
def test_every_op_refuses_complex_operands(spec: Any) -> None:
    """Each node of the row's graph, applied again with its float operands made complex."""
    nodes = _graph_nodes(spec)
    assert nodes, f"{spec.name}: no op recorded"
    for node in nodes:
        operands = [_complex(a) for a in node.args]
        if not any(np.iscomplexobj(a) for a in operands):  # bool or integer operands only
            operands = [_complex(a, also_exact=True) for a in node.args]  # (``mask & mask``)
        assert any(np.iscomplexobj(a) for a in operands), f"{spec.name}: {node} has no array"
        with pytest.raises(TypeError, match=f"^{type(node).__name__.lower()}: {MESSAGE}"):
            node(*operands)


def test_the_op_table_reaches_every_registered_op() -> None:
    """So the test above covers every ``Op`` in the registry."""
    reached = {type(node).__name__ for spec in all_specs() for node in _graph_nodes(spec)}
    assert set(REGISTRY) - reached == set()
