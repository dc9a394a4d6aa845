"""The rules' math vocabulary (``chainrule.ops.dual``): one type test, in ``dual.both``.

Each entry gives the same numbers on arrays (the plain backward) and on Tensors (``create_graph``),
and on Tensors it is recorded; the derivative rules of the op modules test no argument for being
a Tensor themselves (they call the vocabulary, whose rows say what to do on each).
"""

from __future__ import annotations

import ast
import pathlib
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import chainrule as cr
from chainrule.ops import dual

OPS_DIR = pathlib.Path(dual.__file__).parent
RULES = {"vjp", "jvp", "partial", "batch_rule", "backward"}

_rng = np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _same_values_in_any_order() -> None:
    """Each test draws the same values whichever tests ran before it in its worker."""
    _rng.bit_generator.state = np.random.default_rng(0).bit_generator.state


def _values(*shape: int, low: float = -2.0, high: float = 2.0) -> np.ndarray:
    return _rng.uniform(low, high, shape)


def _matrices() -> np.ndarray:
    return _values(2, 3, 3) + 4 * np.eye(3)  # well conditioned


# Entry name -> its arguments. Float64 arrays are the values (Tensors on the Tensor side);
# everything else (axes, shapes, dtypes, bool conditions, integer indices) passes as it is.
ROWS: dict[str, Callable[[], tuple[Any, ...]]] = {
    "one_minus": lambda: (_values(3, 4),),
    "exp": lambda: (_values(3, 4),),
    "log": lambda: (_values(3, 4, low=0.5),),
    "log1p": lambda: (_values(3, 4, low=-0.5),),
    "logit": lambda: (_values(3, 4, low=0.05, high=0.95),),
    "sin": lambda: (_values(3, 4),),
    "cos": lambda: (_values(3, 4),),
    "sinh": lambda: (_values(3, 4),),
    "cosh": lambda: (_values(3, 4),),
    "tanh": lambda: (_values(3, 4),),
    "sqrt": lambda: (_values(3, 4, low=0.5),),
    "sigmoid": lambda: (_values(3, 4, low=-40.0, high=40.0),),
    "erf": lambda: (_values(3, 4),),
    "erfinv": lambda: (_values(3, 4, low=-0.95, high=0.95),),
    "abs": lambda: (_values(3, 4),),
    "sign": lambda: (np.array([-1.5, 0.0, 2.0, np.nan]),),
    "softplus": lambda: (_values(3, 4, low=-40.0, high=40.0),),
    "clamp_min": lambda: (_values(3, 4), 0.25),
    "where": lambda: (_values(3, 4) > 0, _values(3, 4), _values(3, 4)),
    "passed": lambda: (  # a nan, an inf and a negative gradient stopped: +0.0, not g * 0
        np.array([np.nan, np.inf, -1.5, -0.5, 2.0, np.nan]),
        np.array([False, False, False, True, True, True]),
    ),
    # a gradient tied to its source with derivative zero (see dual.attached)
    "attached": lambda: (_values(3, 4), _values(3, 4)),
    "zeros_like": lambda: (_values(3, 4),),
    "sum": lambda: (_values(3, 4, 2), (0, 2), True),
    "broadcast_to": lambda: (_values(1, 4), (3, 4)),
    "unsqueeze_dims": lambda: (_values(3, 4), (0, 3)),
    "matmul": lambda: (_values(2, 3, 4), _values(2, 4, 5)),
    "swap_last": lambda: (_values(2, 3, 4),),
    "contiguous": lambda: (_values(4, 3).T,),
    "astype": lambda: (_values(3, 4), np.float32),
    "flip": lambda: (_values(3, 4), 1),
    "cumsum": lambda: (_values(3, 4), 0),
    "permute": lambda: (_values(2, 3, 4), (2, 0, 1)),
    "roll": lambda: (_values(3, 4), (1, -1), (0, 1)),
    "tril": lambda: (_values(2, 4, 4), -1),
    "inv": lambda: (_matrices(),),
    "solve": lambda: (_matrices(), _values(2, 3, 2)),
    "concatenate": lambda: ([_values(2, 3), _values(2, 1)], 1),
    "pad": lambda: (_values(2, 3), ((1, 0), (2, 1))),
    "einsum": lambda: ("bij,bjk->bik", _values(2, 3, 4), _values(2, 4, 2)),
    "scatter_along": lambda: (_values(2, 3), np.array([[0, 3, 0], [1, 1, 2]]), 1, (2, 4)),
    "gather_along": lambda: (_values(2, 4), np.array([[0, 3, 0], [1, 1, 2]]), 1),
}
CONSTANT = {"zeros_like"}  # no gradient flows through it: not recorded


def _entries() -> dict[str, Any]:
    return {name: f for name, f in vars(dual).items() if hasattr(f, "on_arrays")}


def test_every_entry_has_a_row() -> None:
    entries = set(_entries())
    assert len(entries) >= 30  # the scan finds the rows
    assert entries == set(ROWS), (
        f"entries without a row: {sorted(entries - set(ROWS))}; "
        f"rows without an entry: {sorted(set(ROWS) - entries)}"
    )


def _as_tensor(arg: Any, leaves: list[Any]) -> Any:
    if isinstance(arg, list):
        return [_as_tensor(a, leaves) for a in arg]
    if isinstance(arg, np.ndarray) and arg.dtype == np.float64:
        leaves.append(cr.tensor(arg, requires_grad=True))
        return leaves[-1]
    return arg


@pytest.mark.parametrize("name", sorted(ROWS))
def test_an_entry_gives_the_same_numbers_on_arrays_and_on_tensors(name: str) -> None:
    entry = getattr(dual, name)
    args = ROWS[name]()
    on_arrays = entry(*args)
    assert isinstance(on_arrays, np.ndarray | np.generic), type(on_arrays)
    leaves: list[Any] = []
    on_tensors = entry(*(_as_tensor(a, leaves) for a in args))
    assert isinstance(on_tensors, cr.Tensor), type(on_tensors)
    assert on_tensors.dtype == on_arrays.dtype
    np.testing.assert_allclose(on_tensors.detach().numpy(), on_arrays, rtol=1e-12, atol=0)
    if name in CONSTANT:
        assert on_tensors.grad_fn is None
        return
    # Recorded: a node of its own, and a gradient back to each value it was given.
    assert on_tensors.grad_fn is not None or on_tensors is leaves[0]
    grads = cr.autograd.grad(on_tensors.sum(), leaves, allow_unused=True)
    assert all(g is not None for g in grads), name


def test_the_tensor_side_is_taken_when_any_operand_is_a_tensor() -> None:
    a, b = _values(3), _values(3)
    condition = cr.tensor(a > 0)
    assert isinstance(dual.where(condition, a, b), cr.Tensor)  # the condition alone
    assert isinstance(dual.where(a > 0, a, cr.tensor(b)), cr.Tensor)  # the last operand
    mixed = dual.concatenate([a, cr.tensor(b, requires_grad=True)], 0)  # one in a sequence
    assert isinstance(mixed, cr.Tensor) and mixed.grad_fn is not None
    assert isinstance(dual.einsum("i,i->", a, cr.tensor(b)), cr.Tensor)  # one of *operands
    assert isinstance(dual.where(a > 0, a, b), np.ndarray)


def test_both_passes_arguments_through_by_position_and_by_keyword() -> None:
    calls = []
    entry = dual.both(
        lambda x, axis=0, *, flag=False: calls.append(("arrays", axis, flag)),
        lambda x, axis=0, *, flag=False: calls.append(("tensors", axis, flag)),
        "x, axis=0, *, flag=False",
    )
    entry(np.zeros(1))
    entry(cr.zeros(1), 2, flag=True)
    entry(x=np.zeros(1), axis=1)
    assert calls == [("arrays", 0, False), ("tensors", 2, True), ("arrays", 1, False)]


def test_both_refuses_an_operand_that_is_no_parameter() -> None:
    with pytest.raises(ValueError, match=r"both: operands \['y'\] are not parameters of \(x\)"):
        dual.both(np.exp, np.exp, "x", ("y",))


# ------------------------------------------------------------ no type tests in the rules
def _tests_for_tensor(node: ast.AST) -> list[int]:
    """Lines in ``node`` that call ``isinstance(..., <something naming Tensor>)``."""
    return [
        call.lineno
        for call in ast.walk(node)
        if isinstance(call, ast.Call)
        and isinstance(call.func, ast.Name)
        and call.func.id == "isinstance"
        and len(call.args) == 2
        and any(isinstance(n, ast.Name) and n.id == "Tensor" for n in ast.walk(call.args[1]))
    ]


def _called_names(node: ast.AST) -> tuple[set[str], set[str]]:
    """Names called as ``f(...)``, and as ``self.f(...)``."""
    functions, methods = set(), set()
    for call in ast.walk(node):
        if isinstance(call, ast.Call):
            if isinstance(call.func, ast.Name):
                functions.add(call.func.id)
            elif isinstance(call.func, ast.Attribute) and ast.unparse(call.func.value) == "self":
                methods.add(call.func.attr)
    return functions, methods


def _rule_functions(tree: ast.Module) -> list[ast.FunctionDef]:
    """The derivative rules (methods named vjp, jvp, partial, batch_rule, backward) of the
    module's classes, and what they call of the module, transitively: methods (``self.f``) and
    private functions (public ones are the API, whose argument normalization may test types)."""
    functions: dict[str, list[ast.FunctionDef]] = {}
    methods: dict[str, list[ast.FunctionDef]] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("_"):
            functions.setdefault(node.name, []).append(node)
        elif isinstance(node, ast.ClassDef):
            for m in node.body:
                if isinstance(m, ast.FunctionDef):
                    methods.setdefault(m.name, []).append(m)
    found = {id(m): m for name in RULES for m in methods.get(name, [])}
    work = list(found.values())
    while work:
        called_functions, called_methods = _called_names(work.pop())
        for helper in [f for name in called_functions for f in functions.get(name, [])] + [
            m for name in called_methods for m in methods.get(name, [])
        ]:
            if id(helper) not in found:
                found[id(helper)] = helper
                work.append(helper)
    return list(found.values())


def _offenders(source: str, label: str) -> list[str]:
    return [
        f"{label}:{line} (in {f.name})"
        for f in _rule_functions(ast.parse(source))
        for line in _tests_for_tensor(f)
    ]


def test_derivative_rules_test_no_argument_for_being_a_tensor() -> None:
    offenders = []
    scanned = 0
    for path in sorted(OPS_DIR.glob("*.py")):
        if path.name == "dual.py":  # the vocabulary: the one place that may
            continue
        source = path.read_text()
        scanned += len(_rule_functions(ast.parse(source)))
        offenders += _offenders(source, path.name)
    assert scanned > 150  # the scan sees the rules
    assert not offenders, (
        "isinstance(..., Tensor) in derivative rules: "
        + ", ".join(offenders)
        + "; add a row to chainrule.ops.dual (dual.both(on_arrays, on_tensors)) and call it"
    )


def test_the_rule_scan_finds_a_type_test_in_a_rule_and_in_a_helper_it_calls() -> None:
    source = (
        "class Op:\n"
        "    def vjp(self, g, out, x):\n"
        "        return (self._spread(g), _helper(g))\n"
        "    def _spread(self, g):\n"
        "        return g if isinstance(g, (int, Tensor)) else g\n"
        "    def forward(self, x):\n"
        "        return isinstance(x, Tensor)\n"  # not a rule: not reported
        "def _helper(g):\n"
        "    return isinstance(g, Tensor)\n"
    )
    assert sorted(_offenders(source, "m.py")) == ["m.py:5 (in _spread)", "m.py:9 (in _helper)"]


@pytest.mark.parametrize(
    "value",
    [np.array(2.5, np.float32), np.ones((1,)), np.arange(10.0)[3:4].reshape(1, 1)],
    ids=["0-d", "1", "1x1 slice"],
)
@pytest.mark.parametrize("shape", [(), (3,), (2, 0), (2, 3, 4)])
def test_broadcasting_a_single_value_is_numpys_read_only_view(value, shape) -> None:
    """A single value (a whole sum's gradient) takes a shortcut past NumPy's broadcast_to."""
    if value.ndim > len(shape):
        shape = (2, *shape, *value.shape)
    view, expected = dual.broadcast_to(value, shape), np.broadcast_to(value, shape)
    assert (view.shape, view.strides, view.dtype) == (expected.shape, expected.strides, value.dtype)
    np.testing.assert_array_equal(view, expected)
    assert not view.flags.writeable
    assert np.shares_memory(view, value) or view.size == 0


def test_broadcasting_a_single_value_to_fewer_dimensions_raises_numpys_error() -> None:
    with pytest.raises(ValueError) as expected:
        np.broadcast_to(np.ones((1, 1)), (3,))
    with pytest.raises(ValueError, match=re.escape(str(expected.value))):
        dual.broadcast_to(np.ones((1, 1)), (3,))
