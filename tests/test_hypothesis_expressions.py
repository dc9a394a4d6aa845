"""Random expression trees and random reductions, checked against finite differences and PyTorch.

Hypothesis draws a few leaf tensors of mutually broadcastable shapes and an expression over them
built from ops that are smooth on the whole real line (``log(1 + x*x)``, ``sqrt(exp(x))``,
``a / (1 + b*b)``, ...), so every drawn expression has a derivative everywhere. The expressions
use only operators and methods that chainrule and PyTorch share, so the same tree runs on both.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gradcheck_util import (
    Recorded,
    assert_close,
    check_vjp,
    evaluate,
    flat,
    numeric_jvp,
    random_cotangent,
    random_tangents,
    torch_recorded,
    torch_vjp,
)
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from op_table import distinct

UNARY = {
    "sin": lambda x: x.sin(),
    "tanh": lambda x: x.tanh(),
    "sigmoid": lambda x: x.sigmoid(),
    "neg": lambda x: -x,
    "square": lambda x: x * x,
    "log(1 + x*x)": lambda x: (1 + x * x).log(),
    "sqrt(exp(x))": lambda x: x.exp().sqrt(),
    "sqrt(1 + x*x)": lambda x: (1 + x * x).sqrt(),
    "exp(-x*x)": lambda x: (-x * x).exp(),
    "softmax(-1)": lambda x: x.softmax(-1),
    "sum(-1, keepdim)": lambda x: x.sum(-1, keepdim=True),
    "logsumexp(-1, keepdim)": lambda x: x.logsumexp(-1, keepdim=True),
}
BINARY = {
    "a + b": lambda a, b: a + b,
    "a - b": lambda a, b: a - b,
    "a * b": lambda a, b: a * b,
    "a / (1 + b*b)": lambda a, b: a / (1 + b * b),
    "(1 + a*a) ** tanh(b)": lambda a, b: (1 + a * a) ** b.tanh(),
    "2 - a / 2 + b": lambda a, b: 2 - a / 2 + b,
}

Tree = tuple[Any, ...]  # ("leaf", i) | ("unary", name, tree) | ("binary", name, tree, tree)


def run(tree: Tree, leaves: list[Any]) -> Any:
    """The expression's value on chainrule or torch leaves alike."""
    kind = tree[0]
    if kind == "leaf":
        return leaves[tree[1]]
    if kind == "unary":
        return UNARY[tree[1]](run(tree[2], leaves))
    return BINARY[tree[1]](run(tree[2], leaves), run(tree[3], leaves))


def show(tree: Tree) -> str:
    if tree[0] == "leaf":
        return f"x{tree[1]}"
    return f"{tree[1]}[{', '.join(show(t) for t in tree[2:])}]"


@st.composite
def expressions(draw: st.DrawFn) -> tuple[Tree, list[tuple[int, ...]], int]:
    """A tree over 1 to 3 leaves, the leaves' shapes, and a seed for their values."""
    base = draw(st.lists(st.integers(1, 3), max_size=3))
    n = draw(st.integers(1, 3))
    shapes = []
    for _ in range(n):  # a suffix of the base shape with some sizes dropped to 1
        rank = draw(st.integers(0, len(base)))
        tail = base[len(base) - rank :]
        shapes.append(tuple(d if draw(st.booleans()) else 1 for d in tail))
    leaf = st.integers(0, n - 1).map(lambda i: ("leaf", i))
    tree = draw(
        st.recursive(
            leaf,
            lambda sub: st.one_of(
                st.tuples(st.just("unary"), st.sampled_from(sorted(UNARY)), sub),
                st.tuples(st.just("binary"), st.sampled_from(sorted(BINARY)), sub, sub),
            ),
            max_leaves=6,
        )
    )
    return tree, shapes, draw(st.integers(0, 2**32 - 1))


def inputs(shapes: list[tuple[int, ...]], seed: int) -> tuple[list[np.ndarray], Any]:
    rng = np.random.default_rng(seed)
    return [rng.uniform(-1.5, 1.5, s) for s in shapes], rng


def tame(fn: Any, x: list[np.ndarray]) -> None:
    """Skip the rare draw whose values grow past where finite differences are accurate."""
    with np.errstate(over="ignore", invalid="ignore"):
        values = evaluate(fn, x)
    assume(np.all(np.isfinite(values)) and np.abs(values).max(initial=0.0) < 1e4)


SETTINGS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


@SETTINGS
@given(expressions())
def test_expression_vjp_and_jvp_match_finite_differences(example: Any) -> None:
    tree, shapes, seed = example
    x, rng = inputs(shapes, seed)
    fn = lambda *leaves: run(tree, list(leaves))  # noqa: E731
    tame(fn, x)
    what = f"{show(tree)} on shapes {shapes}"
    check_vjp(fn, x, rng, 1e-6, what)
    v = random_tangents(x, rng)
    assert_close(Recorded(fn, x).jvp(v), numeric_jvp(fn, x, v), f"{what}: J v")


@SETTINGS
@given(expressions())
def test_expression_values_and_gradients_match_torch(example: Any) -> None:
    tree, shapes, seed = example
    x, rng = inputs(shapes, seed)
    fn = lambda *leaves: run(tree, list(leaves))  # noqa: E731
    tame(fn, x)
    recorded = Recorded(fn, x)
    t_inputs, t_outputs = torch_recorded(fn, x)
    what = f"{show(tree)} on shapes {shapes}"
    assert_close(flat(recorded.outputs), flat(t_outputs), f"{what}: values", rtol=1e-12)
    u = random_cotangent(recorded, rng)
    expected = torch_vjp(t_inputs, t_outputs, u)
    assert_close(flat(recorded.vjp(u)), flat(expected), f"{what}: u^T J", rtol=1e-10)


REDUCTIONS = {
    "sum": lambda x, dims, keep: x.sum(dims, keepdim=keep),
    "mean": lambda x, dims, keep: x.mean(dims, keepdim=keep),
    "amax": lambda x, dims, keep: x.amax(dims, keepdim=keep),
    "amin": lambda x, dims, keep: x.amin(dims, keepdim=keep),
    "logsumexp": lambda x, dims, keep: x.logsumexp(dims, keepdim=keep),
    "norm": lambda x, dims, keep: x.norm(2, dims, keepdim=keep),
    "var": lambda x, dims, keep: x.var(dims, keepdim=keep, correction=0),
}


@st.composite
def reductions(draw: st.DrawFn) -> tuple[str, tuple[int, ...], tuple[int, ...], bool, int]:
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=4)))
    axes = draw(st.lists(st.integers(-len(shape), len(shape) - 1), min_size=1, max_size=3))
    first: dict[int, int] = {}  # each axis once, as the user wrote it (negative or not)
    for a in axes:
        first.setdefault(a % len(shape), a)
    dims = tuple(first.values())
    return (
        draw(st.sampled_from(sorted(REDUCTIONS))),
        shape,
        dims,
        draw(st.booleans()),
        draw(st.integers(0, 2**32 - 1)),
    )


@SETTINGS
@given(reductions())
def test_reductions_over_random_dims_match_finite_differences_and_torch(example: Any) -> None:
    name, shape, dims, keep, seed = example
    rng = np.random.default_rng(seed)
    x = [distinct(rng, shape, 0)]  # no ties: amax and amin are smooth there
    fn = lambda t: REDUCTIONS[name](t, dims, keep)  # noqa: E731
    what = f"{name} over {dims} of {shape}, keepdim={keep}"
    check_vjp(fn, x, rng, 1e-6, what)
    recorded = Recorded(fn, x)
    t_inputs, t_outputs = torch_recorded(fn, x)
    assert recorded.shapes == [tuple(y.shape) for y in t_outputs], what
    assert_close(flat(recorded.outputs), flat(t_outputs), f"{what}: values", rtol=1e-12)
    u = random_cotangent(recorded, rng)
    assert_close(flat(recorded.vjp(u)), flat(torch_vjp(t_inputs, t_outputs, u)), what, 1e-10)
