"""One declaration per op: the class is all there is to write.

An op class with ``public = "name"`` gives ``cr.name``, ``Tensor.name``, the explainer's
expression function and the SymPy counterpart (chainrule.declare). Here a new op is declared
inside the test and found working everywhere; then every declared op of the package is checked
for the same, its SymPy twin against its forward, and its printed derivative against its rule.
"""

from __future__ import annotations

import inspect
import math
import sys
from collections.abc import Iterator

import numpy as np
import pytest
import sympy
from gradcheck_util import assert_close, numeric_jvp

import chainrule as cr
from chainrule import declare, expr
from chainrule.op import REGISTRY
from chainrule.ops import dual
from chainrule.ops.elementwise import Unary
from chainrule.tools.explain import expression_functions


@pytest.fixture
def sinc() -> Iterator[type]:
    """``Sinc`` declared in one class, as a contributor would add it, and removed afterwards
    (it has no row in the op table, which the completeness test would otherwise miss); the
    real ``cr.sinc``, ``Tensor.sinc`` and their ``Sinc`` op (chainrule.ops.pointwise) are put
    back."""
    namespaces = (cr, sys.modules[__name__], cr.Tensor)
    before = [vars(namespace).get("sinc") for namespace in namespaces]
    registered = REGISTRY["Sinc"]

    class Sinc(Unary):
        public = "sinc"
        sympy = "sinc"
        notation = "sin(x) / x"
        derivatives = ("(cos(x) - sin(x) / x) / x",)

        def forward(self, x):
            return np.sin(x) / x

        def partial(self, out, x):
            return (dual.cos(x) - out) / x

    yield Sinc
    REGISTRY["Sinc"] = registered
    del declare.DECLARED["sinc"]
    for namespace, original in zip(namespaces, before, strict=True):
        if original is None:
            delattr(namespace, "sinc")
        else:
            namespace.sinc = original


def test_a_new_op_is_one_class(sinc: type) -> None:
    x = cr.tensor([0.5, 1.5], dtype=cr.float64, requires_grad=True)
    expected = np.sin([0.5, 1.5]) / np.array([0.5, 1.5])
    np.testing.assert_allclose(cr.sinc(x).detach().numpy(), expected)
    np.testing.assert_allclose(x.sinc().detach().numpy(), expected)
    # first and second derivative, by the engine and by hand
    (d,) = cr.autograd.grad(cr.sinc(x).sum(), x, create_graph=True)
    (dd,) = cr.autograd.grad(d.sum(), x)
    v = np.array([0.5, 1.5])
    np.testing.assert_allclose(d.detach().numpy(), (np.cos(v) - np.sin(v) / v) / v)
    second = -np.sin(v) / v - 2 * np.cos(v) / v**2 + 2 * np.sin(v) / v**3
    np.testing.assert_allclose(dd.numpy(), second, rtol=1e-10)
    # forward mode
    _, t = cr.func.jvp(cr.sinc, (x.detach(),), (cr.ones_like(x),))
    np.testing.assert_allclose(t.numpy(), d.detach().numpy())
    # the explainer: its expression language, and SymPy's derivative agreeing with the engine
    e = cr.explain("sinc(x) * 2", x=1.5)
    assert math.isclose(float(e.grad("x")), 2 * (math.cos(1.5) - math.sin(1.5) / 1.5) / 1.5)
    gradient = e.gradient_of("x")
    assert gradient.symbolic is not None and "sin" in gradient.symbolic
    assert math.isclose(gradient.symbolic_value, float(e.grad("x")), rel_tol=1e-9)


DECLARED = sorted(declare.DECLARED.items())


@pytest.mark.parametrize(("name", "cls"), DECLARED, ids=[n for n, _ in DECLARED])
def test_every_declared_op_is_public_everywhere(name: str, cls: type) -> None:
    # cr.<name> is the op's function, or wraps it (chainrule._tensor_input's refusals of a
    # number where PyTorch takes only a tensor, each under the name the user called)
    declared = getattr(sys.modules[cls.__module__], name)
    function = getattr(cr, name)
    assert declared in (function, getattr(function, "__wrapped__", None))
    assert (getattr(cr.Tensor, name, None) is not None) == cls.method
    for alias in cls.aliases:
        assert declared in (getattr(cr, alias), getattr(getattr(cr, alias), "__wrapped__", None))
    assert function.__doc__.startswith(cls.notation)
    assert (name in expr.builtin_names()) == (cls.sympy is not None)


def _sample(name: str, count: int, rng: np.random.Generator) -> list[float]:
    """Points inside every declared op's domain (acosh needs x > 1, atanh |x| < 1, ...)."""
    low, high = {
        "acosh": (1.2, 3.0),
        "atanh": (-0.8, 0.8),
        "asin": (-0.8, 0.8),
        "log1p": (-0.5, 2.0),
    }.get(
        name, (0.3, 0.9) if name in ("acos", "log", "log2", "log10", "sqrt", "rsqrt") else (-2, 2)
    )
    return list(rng.uniform(low, high, count))


PARAMETERS = {"clamp": (-0.5, 0.5), "leaky_relu": (0.2,), "elu": (0.7,), "softplus": (2.0,)}
WITH_SYMPY = [(n, c) for n, c in DECLARED if c.sympy is not None]


@pytest.mark.parametrize(("name", "cls"), WITH_SYMPY, ids=[n for n, _ in WITH_SYMPY])
def test_the_sympy_counterpart_computes_what_the_op_computes(
    name: str, cls: type, rng: np.random.Generator
) -> None:
    twin = declare.sympy_functions(sympy)[name]
    inputs = len(inspect.signature(cls.forward).parameters) - 1
    parameters = PARAMETERS.get(name, ())
    for _ in range(5):
        point = _sample(name, inputs, rng)
        tensors = [cr.tensor(p, dtype=cr.float64) for p in point]
        value = getattr(cr, name)(*tensors, *parameters).item()
        symbolic = float(twin(*[sympy.Float(p) for p in point], *parameters))
        assert math.isclose(value, symbolic, rel_tol=1e-9, abs_tol=1e-12), (name, point)


# Derivatives written as cases ("1 if x > 0 else 0"): the expression language has no
# conditionals, and these read better as cases than as a formula built from sign().
CASES = {"relu", "leaky_relu", "elu", "clamp", "sign", "floor", "ceil", "trunc", "round", "frac"}
UNARY = [(n, c) for n, c in DECLARED if issubclass(c, Unary) and n not in CASES]


@pytest.mark.parametrize(("name", "cls"), UNARY, ids=[n for n, _ in UNARY])
def test_the_printed_derivative_is_the_rule(name: str, cls: type, rng: np.random.Generator) -> None:
    """The derivative the explainer prints, evaluated by the expression language, equals the
    op's rule (its vjp of 1) on random inputs: the text is not a second copy nobody checks.
    The op's parameters (``beta``, ...) and ``pi`` are the text's other variables."""
    (text,) = cls.derivatives
    program = expr.parse(text)
    op = cls()
    constants = {"pi": math.pi, **{k: v for k, v in vars(op).items() if isinstance(v, float)}}
    for x in _sample(name, 3, rng):
        array = np.asarray(np.float64(x))
        (rule,) = op.vjp(np.float64(1.0), op.forward(array), array)
        variables = {"x": cr.tensor(x, dtype=cr.float64), **constants}
        printed = float(expr.evaluate(program, variables, expression_functions()))
        assert_close(printed, float(rule), f"{name}: d/dx {cls.notation} = {text} at x = {x}")


def test_the_cases_list_names_declared_ops_only() -> None:
    assert set(CASES) <= set(declare.DECLARED)


def test_jvp_of_a_declared_op_matches_finite_differences(sinc: type) -> None:
    x = np.array([0.3, 1.1])
    _, t = cr.func.jvp(cr.sinc, (cr.tensor(x),), (cr.ones(2, dtype=cr.float64),))
    assert_close(t.numpy(), numeric_jvp(lambda a: cr.sinc(a), [x], [np.ones(2)], 1e-6), "sinc J v")
