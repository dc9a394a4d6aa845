"""The explainer: every worked example of the seed documents (/work/shared/seeds) comes out of
``cr.explain`` with the documents' numbers, and the explanation is the engine's own backward pass
(its gradient is exactly what ``.backward()`` gives)."""

import math
import sys

import numpy as np
import pytest
import sympy
import torch

import chainrule as cr
from chainrule import expr, nn
from chainrule.ops import elementwise
from chainrule.ops.broadcast import unbroadcast
from chainrule.tools.explain import MAX_PATHS, Explanation, expression_functions

CAKE = "f(x) = x**2; g(u) = 2*u; h(v) = v + 3; h(g(f(x)))"
SMOOTHIE = "g(x) = x**2; f(g) = 2*g + 3; f(g(x))"
NEURON_LAYERS = "z(w, x, b) = w*x + b; a(z) = sigmoid(z); L(a, y) = (a - y)**2; L(a(z(w, x, b)), y)"
MULTIVARIABLE = "g(t) = t**2; h(t) = sin(t); f(x, y) = x*y; f(g(t), h(t))"
SIGMOID_CHAIN = "sigmoid(" * 20 + "x" + ")" * 20


def _sigmoid(v):
    return 1.0 / (1.0 + math.exp(-v))


def _floats(values):
    return [float(v) for v in values]


def _backward_gradients(source, point):
    """The same expression on fresh tensors, differentiated by ``.backward()``."""
    leaves = {k: cr.tensor(np.asarray(v, dtype=np.float64), requires_grad=True)
              for k, v in point.items()}  # fmt: skip
    expr.evaluate(expr.parse(source), leaves, expression_functions()).backward()
    return {k: leaf.grad.numpy() for k, leaf in leaves.items()}


# ============================================================================ the seeds
def test_cake_example_forward_values_and_labels():  # seed 001
    e = cr.explain(CAKE, x=5)
    assert [(s.name, s.expression, float(s.value)) for s in e.forward] == [
        ("f", "x ** 2", 25.0), ("g", "2 * f", 50.0), ("h", "g + 3", 53.0),
    ]  # fmt: skip
    assert [s.labels for s in e.forward] == [("f(x)",), ("g(f)",), ("h(g)",)]
    assert [s.layer for s in e.forward] == ["f", "g", "h"]


def test_cake_example_derivative_is_one_times_two_times_two_x():  # seed 001
    e = cr.explain(CAKE, x=5)
    (path,) = e.gradient_of("x").paths
    assert [(layer.of, layer.wrt, float(layer.value)) for layer in path.layers] == [
        ("h", "g", 1.0), ("g", "f", 2.0), ("f", "x", 10.0),
    ]  # fmt: skip
    assert [edge.formula for edge in path.edges] == ["1", "2", "2 * x**(2 - 1)"]
    assert float(path.value) == float(e.grad("x")) == 20.0


@pytest.mark.parametrize("x", [-1.5, 0.0, 3.0, 7.0])
def test_smoothie_example_dy_dx_is_four_x(x):  # seed 000
    e = cr.explain(SMOOTHIE, x=x)
    (path,) = e.gradient_of("x").paths
    assert [(layer.of, layer.wrt) for layer in path.layers] == [("f", "g"), ("g", "x")]
    assert _floats(layer.value for layer in path.layers) == [2.0, 2 * x]
    assert float(e.grad("x")) == 4 * x


def test_smoothie_example_symbolic_derivative_is_four_x():  # seed 000
    assert cr.explain(SMOOTHIE, x=3).gradient_of("x").symbolic == "4*x"


def test_simple_example_x_plus_two_squared_at_three():  # seed 002
    e = cr.explain("(x + 2)**2", x=3)
    assert _floats(s.value for s in e.forward) == [5.0, 25.0]  # g, y
    (path,) = e.gradient_of("x").paths
    assert _floats(path.factors) == [10.0, 1.0]  # dy/dg = 2g = 10, dg/dx = 1
    assert float(e.grad("x")) == 10.0


def test_complex_example_matches_pytorch():  # seed 002
    e = cr.explain("((x**2 + 3) * sin(x))**3", x=2)
    t = torch.tensor([2.0], dtype=torch.float64, requires_grad=True)
    (((t**2 + 3) * torch.sin(t)) ** 3).backward()
    assert float(e.grad("x")) == pytest.approx(t.grad.item(), rel=1e-12)
    assert float(e.grad("x")) == pytest.approx(88.01663, rel=1e-6)  # PyTorch's printed number
    assert [s.op for s in e.forward] == ["Pow", "Add", "Sin", "Mul", "Pow"]


@pytest.mark.parametrize("x", [-2.0, 0.0, 1.0, 4.5])
def test_three_x_plus_one_squared_gives_six_times_three_x_plus_one(x):  # seed 004, section 3
    e = cr.explain("(3*x + 1)**2", x=x)
    (path,) = e.gradient_of("x").paths
    u = 3 * x + 1
    assert _floats(path.factors) == [1.0 * 2 * u, 1.0 * 1, 3.0]  # dy/du = 2u, (Add: 1), du/dx
    assert [edge.formula for edge in path.edges] == ["2 * u2**(2 - 1)", "1", "3"]
    assert float(e.grad("x")) == 6 * (3 * x + 1)


def test_three_x_plus_one_symbolic_derivative_equals_six_times_three_x_plus_one():
    symbolic = cr.explain("(3*x + 1)**2", x=1).gradient_of("x").symbolic
    x = sympy.Symbol("x", real=True)
    # The string is SymPy's own printing of its derivative; rebuilt here only to compare.
    assert sympy.simplify(sympy.sympify(symbolic, locals={"x": x}) - 6 * (3 * x + 1)) == 0


def test_single_neuron_gradient_is_the_product_of_three_factors():  # seed 004, section 7
    w, x, b, y = 0.8, 1.5, -0.3, 1.0
    e = cr.explain(NEURON_LAYERS, w=w, x=x, b=b, y=y)
    z = w * x + b
    y_hat = _sigmoid(z)
    (path,) = e.gradient_of("w").paths
    assert [(layer.of, layer.wrt) for layer in path.layers] == [("L", "a"), ("a", "z"), ("z", "w")]
    expected = [2 * (y_hat - y), y_hat * (1 - y_hat), x]  # dL/dŷ, dŷ/dz, dz/dw
    assert _floats(layer.value for layer in path.layers) == pytest.approx(expected, rel=1e-12)
    assert float(e.grad("w")) == pytest.approx(math.prod(expected), rel=1e-12)


def test_single_neuron_plain_expression_matches_pytorch():  # seed 004, section 7
    point = {"w": 0.8, "x": 1.5, "b": -0.3, "y": 1.0}
    e = cr.explain("(sigmoid(w*x + b) - y)**2", **point)
    t = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in point.items()}
    ((torch.sigmoid(t["w"] * t["x"] + t["b"]) - t["y"]) ** 2).backward()
    for name in point:
        assert float(e.grad(name)) == pytest.approx(t[name].grad.item(), rel=1e-12)


def test_multivariable_chain_rule_adds_both_paths():  # seed 004, section 4
    t = 1.3
    e = cr.explain(MULTIVARIABLE, t=t)
    gradient = e.gradient_of("t")
    assert gradient.path_count == 2
    through_x, through_y = gradient.paths
    assert [(layer.of, layer.wrt) for layer in through_x.layers] == [("f", "g"), ("g", "t")]
    assert [(layer.of, layer.wrt) for layer in through_y.layers] == [("f", "h"), ("h", "t")]
    # dz/dx dx/dt = sin(t) 2t and dz/dy dy/dt = t² cos(t)
    assert float(through_x.value) == pytest.approx(math.sin(t) * 2 * t, rel=1e-14)
    assert float(through_y.value) == pytest.approx(t**2 * math.cos(t), rel=1e-14)
    assert float(e.grad("t")) == pytest.approx(float(through_x.value + through_y.value), rel=1e-14)


def test_twenty_layer_sigmoid_chain_vanishes_like_a_quarter_to_the_twentieth():  # seed 004, 10
    e = cr.explain(SIGMOID_CHAIN, x=0, symbolic=False)
    (path,) = e.gradient_of("x").paths
    factors = _floats(path.factors)
    assert len(factors) == 20
    assert factors[-1] == 0.25  # sigmoid'(0), the largest a sigmoid derivative gets
    assert all(0 < f <= 0.25 for f in factors)
    gradient = float(e.grad("x"))
    assert gradient == pytest.approx(math.prod(factors), rel=1e-12)
    # About 1e-12, as the seed says: the later factors sit near σ'(0.66) ≈ 0.224, so the
    # product is 0.14 of the bound 0.25^20 = 9.1e-13.
    assert 0.1 * 0.25**20 < gradient < 0.25**20
    assert "∂u20/∂u19 · " in e.to_text() and "= 1.27178e-13" in e.to_text()


def test_seed_sequential_network_is_explained_through_both_layers():  # seed 002
    model = nn.Sequential(nn.Linear(1, 1), nn.ReLU(), nn.Linear(1, 1))
    with cr.no_grad():  # the weights of test_seeds_nn.py: h = relu(0.5·2 + 0.25) = 1.25
        for param, value in zip(model.parameters(), [0.5, 0.25, 2.0, 0.5], strict=True):
            param.fill_(value)
    x, y_true = cr.tensor([[2.0]]), cr.tensor([[10.0]])
    e = cr.explain(lambda x: ((model(x) - y_true) ** 2).sum(), x, modules=model)
    # loss = (3 - 10)² = 49, dL/dy = -14; each gradient is a chain of the layers' factors.
    expected = {"0.weight": -14 * 2.0 * 2.0, "0.bias": -14 * 2.0, "2.weight": -14 * 1.25,
                "2.bias": -14.0}  # fmt: skip
    assert {g.name: float(g.gradient.sum()) for g in e.gradients if g.kind == "parameter"} == (
        expected
    )
    assert {s.module for s in e.forward} >= {"0", "1", "2"}
    assert [p.value.item() for p in e.gradient_of("0.weight").paths] == [-56.0]
    for param in model.parameters():
        assert param.grad is None  # explaining wrote no .grad


# ============================================================================ the engine's pass
GRADIENT_CASES = [
    (CAKE, {"x": 5.0}),
    (NEURON_LAYERS, {"w": 0.8, "x": 1.5, "b": -0.3, "y": 1.0}),
    (MULTIVARIABLE, {"t": 0.7}),
    ("x*x + x", {"x": 3.0}),
    ("exp(x) / (1 + x**2) - tanh(y) * x", {"x": 0.4, "y": -1.2}),
    ("sum(x * w)", {"x": [1.0, 2.0, 3.0], "w": 2.0}),
    ("mean(relu(x - 1) * y)", {"x": [0.5, 1.5, 3.0], "y": [2.0, -1.0, 4.0]}),
    ("clamp(x * y, -1, 1) + maximum(x, y) * minimum(x, 2)", {"x": 0.3, "y": 1.7}),
]


@pytest.mark.parametrize(("source", "point"), GRADIENT_CASES)
def test_gradient_is_exactly_what_backward_gives(source, point):
    e = cr.explain(source, at=point)
    for name, expected in _backward_gradients(source, point).items():
        np.testing.assert_array_equal(e.grad(name), expected)


@pytest.mark.parametrize(("source", "point"), GRADIENT_CASES)
def test_paths_add_up_to_the_gradient(source, point):
    e = cr.explain(source, at=point)
    for gradient in e.gradients:
        np.testing.assert_allclose(sum(p.value for p in gradient.paths), gradient.gradient,
                                   rtol=1e-12)  # fmt: skip


@pytest.mark.parametrize(("source", "point"), GRADIENT_CASES)
def test_each_contribution_is_upstream_times_local_derivative(source, point):
    e = cr.explain(source, at=point)
    for step in e.backward:
        for c in step.contributions:
            np.testing.assert_allclose(c.raw, step.upstream * c.local.value, rtol=1e-12)
            np.testing.assert_array_equal(c.value, unbroadcast(c.raw, c.value.shape))


@pytest.mark.parametrize(("source", "point"), GRADIENT_CASES)
def test_finite_differences_agree_with_the_gradient(source, point):
    e = cr.explain(source, at=point)
    for gradient in e.gradients:
        np.testing.assert_allclose(gradient.finite_difference, gradient.gradient, rtol=1e-6,
                                   atol=1e-8)  # fmt: skip
    assert e.notes == ()


def test_explanation_replays_the_engines_rule_rather_than_deriving_its_own(monkeypatch):
    # With Sin's rule and formula changed, the explanation follows: it shows what the engine
    # computed with the op's own strings, and has no derivative of its own to fall back on.
    monkeypatch.setattr(elementwise.Sin, "partial", lambda self, out, x: 3.0 * x)
    monkeypatch.setattr(elementwise.Sin, "derivatives", ("3 x (a planted rule)",))
    e = cr.explain("sin(x) * 2", x=0.5, symbolic=False)
    (local,) = [c.local for s in e.backward for c in s.contributions if c.local.node == "u1"]
    assert local.formula == "3 x (a planted rule)" and float(local.value) == 1.5
    assert float(e.grad("x")) == 3.0  # 2 × 1.5, the planted rule's answer ...
    assert float(e.gradient_of("x").finite_difference) == pytest.approx(2 * math.cos(0.5))
    assert any("finite differences for x" in note for note in e.notes)  # ... which FD catches


# ============================================================================ the user's names
def test_values_are_named_after_the_users_assignments():
    e = cr.explain("f = x*y; g = sin(f) + f", x=1.0, y=2.0)
    assert [(s.name, s.expression) for s in e.forward] == [
        ("f", "x * y"), ("u1", "sin(f)"), ("g", "u1 + f"),
    ]  # fmt: skip
    assert e.output == "g"
    symbols = [c.local.symbol for step in e.backward for c in step.contributions]
    assert symbols == ["∂g/∂u1", "∂g/∂f", "∂u1/∂f", "∂f/∂x", "∂f/∂y"]
    assert [p.nodes for p in e.gradient_of("x").paths] == [("g", "u1", "f", "x"), ("g", "f", "x")]
    assert "∂g/∂x = " in e.to_text() and "u3" not in e.to_text()
    # The names change nothing else: PyTorch's gradients of the same computation.
    x, y = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (1.0, 2.0))
    f = x * y
    (torch.sin(f) + f).backward()
    assert float(e.grad("x")) == pytest.approx(x.grad.item(), rel=1e-15)
    assert float(e.grad("y")) == pytest.approx(y.grad.item(), rel=1e-15)


@pytest.mark.parametrize(
    ("source", "names"),
    [
        # f returns two different values: neither is named f.
        ("f(u) = 2*u; f(x) + f(x*x)", ["u1", "u2", "u3", "u4"]),
        # A name that is an input's stays the input's.
        ("x(u) = u*u; x(x) + 1", ["u1", "u2"]),
        # g(u) = f(u) returns f's value: named after the outermost function.
        ("f(u) = u*u; g(u) = f(u); g(x) + 1", ["g", "u1"]),
        # The user's own u1 is kept; unnamed values then count with another letter.
        ("u1 = x*x; u1 + 1", ["u1", "v1"]),
        # Assigned twice under two names (an alias): the first name.
        ("a = x*x; b = a; b + 1", ["a", "u1"]),
    ],
)
def test_user_names_where_unambiguous_and_u_names_elsewhere(source, names):
    e = cr.explain(source, x=1.5)
    assert [s.name for s in e.forward] == names
    assert len(set(names)) == len(names)


def test_backward_steps_follow_the_engines_order_and_start_at_one():
    e = cr.explain(CAKE, x=5)
    assert [step.node for step in e.backward] == ["h", "g", "f"]
    assert _floats(step.upstream for step in e.backward) == [1.0, 1.0, 2.0]


def test_a_value_used_several_times_sums_its_contributions():
    e = cr.explain("f(u) = u*u + u; f(2*x)", x=1.5)  # u1 = 2x feeds three uses
    (step,) = [s for s in e.backward if s.node == "u1"]
    assert [t.source for t in step.upstream_terms] == ["f", "u2", "u2"]
    assert _floats(t.value for t in step.upstream_terms) == [1.0, 3.0, 3.0]
    assert float(step.upstream) == 7.0
    assert float(e.grad("x")) == 14.0


def test_an_input_used_twice_by_one_op_gives_two_paths():
    gradient = cr.explain("x*x", x=3).gradient_of("x")
    assert [p.edges[0].symbol for p in gradient.paths] == ["∂u1/∂x[a]", "∂u1/∂x[b]"]
    assert float(gradient.gradient) == 6.0


def test_paths_beyond_the_limit_are_counted_not_listed():
    doublings = ["f1(x) = x + x"] + [f"f{i}(x) = f{i - 1}(x) + f{i - 1}(x)" for i in range(2, 11)]
    gradient = cr.explain("; ".join([*doublings, "f10(x)"]), x=1).gradient_of("x")
    assert gradient.path_count == 1024
    assert len(gradient.paths) == MAX_PATHS and gradient.paths_truncated
    assert float(gradient.gradient) == 1024.0


# ============================================================================ tensors
def test_broadcast_input_gradient_is_summed_back_by_unbroadcast():
    x = np.arange(6.0).reshape(2, 3)
    b = np.array([1.0, -1.0, 0.5])
    e = cr.explain(lambda x, b: ((x + b) ** 2).sum(), x, b)
    (add,) = [s for s in e.backward if s.op == "Add"]
    to_b = next(c for c in add.contributions if c.target == "b")
    assert to_b.broadcast and to_b.raw.shape == (2, 3) and to_b.value.shape == (3,)
    np.testing.assert_array_equal(to_b.value, to_b.raw.sum(axis=0))
    np.testing.assert_allclose(e.grad("b"), (2 * (x + b)).sum(axis=0))


def test_matmul_is_explained_as_a_vector_jacobian_product():
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    v = np.array([1.0, -1.0])
    e = cr.explain(lambda A, v: cr.tanh(A @ v).sum(), a, v)
    (matmul,) = [s for s in e.backward if s.op == "MatMul"]
    assert not matmul.elementwise
    assert [(c.local.formula, c.local.value) for c in matmul.contributions] == [
        ("g @ v^T", None), ("A^T @ g", None),
    ]  # fmt: skip
    upstream = 1 - np.tanh(a @ v) ** 2
    np.testing.assert_allclose(e.grad("A"), np.outer(upstream, v))
    np.testing.assert_allclose(e.grad("v"), a.T @ upstream)


def test_forward_steps_report_shapes():
    e = cr.explain("sum(x * w)", x=[1.0, 2.0, 3.0], w=2.0)
    assert [s.shape for s in e.forward] == [(3,), ()]
    assert [v.shape for v in e.values] == [(3,), ()]


# ============================================================================ functions and graphs
def test_function_inputs_are_named_after_its_parameters():
    e = cr.explain(lambda height, width: height * width + height, 2.0, 3.0)
    assert [g.name for g in e.gradients] == ["height", "width"]
    assert _floats(e.grad(n) for n in ("height", "width")) == [4.0, 2.0]


def test_explaining_does_not_touch_the_callers_tensors():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    before = x.numpy(force=True).copy()
    e = cr.explain(lambda x: (x**3).sum(), x)
    assert x.grad is None
    np.testing.assert_array_equal(x.numpy(force=True), before)
    np.testing.assert_allclose(e.grad("x"), 3 * before**2)


def test_leaves_the_function_closes_over_are_explained_as_parameters():
    w = cr.tensor([0.5, -1.0], requires_grad=True)
    e = cr.explain(lambda x: (w * x).sum(), [2.0, 3.0])
    assert [(g.name, g.kind) for g in e.gradients] == [("x", "input"), ("p1", "parameter")]
    np.testing.assert_allclose(e.grad("p1"), [2.0, 3.0])
    np.testing.assert_allclose(e.gradient_of("p1").finite_difference, [2.0, 3.0], rtol=1e-6)
    assert w.grad is None


def test_explaining_a_recorded_tensor_leaves_its_graph_usable():
    x = cr.tensor(2.0, requires_grad=True)
    y = cr.sin(x) * x
    e = cr.explain(y)
    assert float(e.grad("p1")) == pytest.approx(math.cos(2.0) * 2.0 + math.sin(2.0))
    y.backward()  # the explainer retained the graph and wrote no .grad
    assert x.grad.item() == pytest.approx(float(e.grad("p1")))


def test_finite_differences_replay_the_recorded_ops_without_running_the_model_again():
    # Finite differences recompute the output from the recorded graph: a model in training
    # mode draws its dropout mask once and updates its batch-norm statistics once, and the
    # check differentiates the same function the engine did (a new mask would not match).
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Dropout(0.5), nn.Tanh(),
                          nn.Linear(4, 1)).to(cr.float64)  # fmt: skip
    x = np.random.default_rng(0).normal(size=(5, 3))
    e = cr.explain(lambda x: model(x).sum(), x, modules=model)
    assert model[1].num_batches_tracked.item() == 1
    assert e.notes == ()
    for gradient in e.gradients:
        np.testing.assert_allclose(gradient.finite_difference, gradient.gradient, rtol=1e-6,
                                   atol=1e-8)  # fmt: skip


def test_a_recorded_tensor_is_checked_by_finite_differences_too():
    x = cr.tensor(2.0, dtype=cr.float64, requires_grad=True)
    e = cr.explain(cr.sin(x) * x)
    expected = math.cos(2.0) * 2.0 + math.sin(2.0)
    assert float(e.gradient_of("p1").finite_difference) == pytest.approx(expected, rel=1e-8)
    assert x.item() == 2.0  # nudged and restored exactly


class Cube(cr.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x**2


def test_a_user_function_is_explained_by_its_name_and_left_intact():
    def compute():
        x = cr.tensor(2.0, dtype=cr.float64, requires_grad=True)
        return x, Cube.apply(cr.sin(x)) * 2

    x, y = compute()
    e = cr.explain(y)
    assert [s.op for s in e.forward] == ["Sin", "Cube", "Mul"]
    assert e.forward[1].expression == "cube(u1)"
    (local,) = [c.local for s in e.backward for c in s.contributions if c.local.node == "u2"]
    assert local.formula == "Cube.backward (user-defined)"
    assert float(local.value) == pytest.approx(3 * math.sin(2.0) ** 2, rel=1e-12)
    # Finite differences ran the Function's forward again on nudged values; its saved
    # tensors are its own again afterwards, so a backward gives exactly a fresh graph's result.
    y.backward()
    fresh_x, fresh_y = compute()
    fresh_y.backward()
    assert x.grad.item() == fresh_x.grad.item() == float(e.grad("p1"))


def test_explaining_an_input_itself_gives_a_gradient_of_one():
    e = cr.explain("x", x=4)
    assert e.forward == () and float(e.grad("x")) == 1.0


# ============================================================================ checks and notes
def test_symbolic_check_is_skipped_without_sympy(monkeypatch):
    monkeypatch.setitem(sys.modules, "sympy", None)
    gradient = cr.explain(CAKE, x=5).gradient_of("x")
    assert gradient.symbolic is None and float(gradient.gradient) == 20.0


def test_symbolic_check_can_be_turned_off():
    assert cr.explain(CAKE, x=5, symbolic=False).gradient_of("x").symbolic is None


def test_non_finite_values_are_reported_as_notes():
    e = cr.explain("log(x)", x=-1)
    assert any("not finite" in note for note in e.notes)


# ============================================================================ errors
@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: cr.explain("x**2"), expr.ExprError, "unknown variable 'x'"),
        (lambda: cr.explain("x**2", x=1, z=2), expr.ExprError, "'z' is not used"),
        (lambda: cr.explain("sin(2)"), ValueError, "does not depend on any input"),
        (lambda: cr.explain("x * 2", x=[1.0, 2.0]), ValueError, "needs a scalar output"),
        (lambda: cr.explain("x", 3), TypeError, "by name"),
        (lambda: cr.explain(42), TypeError, "expected an expression"),
        (lambda: cr.explain("x", x="two"), TypeError, "must be numeric"),
        (
            lambda: cr.explain("x * 2", at={"x": 1}, x=2),
            TypeError,
            "explain: x is given both in at= and as a keyword argument; give it once",
        ),
        (
            lambda: cr.explain("(-8)**(1/3)*x", x=2),
            expr.ExprError,
            "math error at column 5: -8 to the power 0.333333 is not a real number (a negative "
            "base needs a whole exponent)",
        ),
        (
            lambda: cr.explain("leaky_relu(x, x)", x=2),
            expr.ExprError,
            "type error at column 1: leaky_relu(): negative_slope must be a constant number, "
            "not a value computed from the variables",
        ),
        (
            lambda: cr.explain("2 + elu(x, 0.5 * x)", x=2),
            expr.ExprError,
            "type error at column 5: elu(): alpha must be a constant number, not a value "
            "computed from the variables",
        ),
        (
            lambda: cr.explain("softplus(1, x)", x=2),
            expr.ExprError,
            "type error at column 1: softplus(): beta must be a constant number",
        ),
        (
            lambda: cr.explain("gelu(x, x)", x=2),
            expr.ExprError,
            "type error at column 1: gelu(): approximate must be a constant, not a value",
        ),
        (
            lambda: cr.explain("sum(x * x)", x=np.ones(50_001)),
            ValueError,
            "explain: the computation holds 100,003 numbers (inputs and every op's result), "
            "more than the 100,000 an explanation can show; explain it on a smaller example",
        ),
        (
            lambda: cr.explain(lambda x: (x * x).sum(), np.ones(1_000_000)),
            ValueError,
            "explain: the computation holds 2,000,001 numbers",
        ),
    ],
)
def test_bad_calls_raise_clear_errors(call, error, message):
    with pytest.raises(error) as info:
        call()
    assert message in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize(
    "source",
    ["leaky_relu(x, 0.2)", "elu(x, 2 * 0.5)", "clamp(x, -1, 3)", "maximum(x, 2 * x)", "(-8)**2*x"],
)
def test_settings_given_as_constants_and_tensor_arguments_still_work(source):
    import torch

    namespace = {name: getattr(torch, name, None) for name in ("clamp", "maximum")}
    namespace["leaky_relu"] = torch.nn.functional.leaky_relu
    namespace["elu"] = torch.nn.functional.elu
    x = torch.tensor(-2.0, dtype=torch.float64, requires_grad=True)
    eval(source, namespace, {"x": x}).backward()  # noqa: S307 - our own fixed snippets
    assert float(cr.explain(source, x=-2.0).grad("x")) == pytest.approx(float(x.grad))


def test_the_size_bound_admits_what_the_command_line_can_give():
    from chainrule.commands.explain import MAX_VALUES

    e = cr.explain("sum(x * w)", x=np.ones(MAX_VALUES), w=np.ones(MAX_VALUES), symbolic=False)
    assert e.grad("x").shape == (MAX_VALUES,)


@pytest.mark.parametrize("control", ["\r", "\v", "\f"])
def test_control_characters_in_the_source_are_escaped_in_every_title(control):
    from chainrule.tools import viz

    e = cr.explain(f"x *{control}2", x=3)
    shown = repr(control)[1:-1]  # the Python escape: \\r, \\x0b, ...
    titles = [e.to_text().splitlines()[0], e.to_markdown().splitlines()[0]]
    titles.append(e.to_html().split("</h4>")[0])
    for title in titles:
        assert f"x *{shown}2" in title and control not in title, title
    dot = viz.draw(e).source  # dot reads a backslash as an escape: the label doubles it
    assert f"x *{shown}2".replace("\\", "\\\\") in dot and control not in dot
    assert e.to_dict()["source"] == f"x *{control}2"  # the data keeps what was given


HOSTILE = [
    ("__import__('os')", "strings are not part of the language"),
    ("x.__class__", "attribute access"),
    ("9**9**9", "out of range"),
    ("(" * 10_000 + "x" + ")" * 10_000, "limit error"),
    ("(" * 100 + "x" + ")" * 100, "nested too deeply"),
    ("x + " * 250_000 + "x", "input is too long"),  # a megabyte
    ("os.system('ls')", "attribute access"),
    ("unknown_function(x)", "unknown function 'unknown_function'"),
    ("x + nope", "unknown variable 'nope'"),
    ("lambda: x", "unexpected character ':'"),
    ("x[0]", "indexing"),
    ("exp(exp(x)) ** 1001", "out of range"),
    ("(" * 4_999 + "x" + ")" * 4_999, "nested too deeply"),  # short enough to be read
    ("clamp(x).__globals__", "attribute access"),
]


@pytest.mark.timeout(5)  # a hang guard, not a speed test: each takes milliseconds
@pytest.mark.parametrize(("source", "message"), HOSTILE, ids=[m for _, m in HOSTILE])
def test_hostile_expressions_fail_quickly_with_an_expression_error(source, message):
    with pytest.raises(expr.ExprError, match=message):
        cr.explain(source, x=1.0)


def test_explanation_is_the_type_returned():
    assert isinstance(cr.explain(CAKE, x=5), Explanation)
