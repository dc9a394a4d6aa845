"""``jacfwd`` pushes all its directions in one forward pass (``func._pushed_together``: the
values computed once, each carrying a batch of tangents) where it can; everywhere it must give
what ``vmap`` over ``jvp`` gives, over every row of the op table, in float64.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
import torch.func as tf
from func_test_util import fast_path_taken, is_small, probed_hessian, quiet, t64, tree_leaves
from gradcheck_util import assert_close, flat
from op_table import OpSpec, all_specs

import chainrule as cr
import chainrule.func as cf


@pytest.mark.parametrize(
    "spec", [pytest.param(s, id=s.name) for s in all_specs() if s.jvp and is_small(s)]
)
def test_jacfwd_one_pass_equals_vmapped_jvp(
    spec: OpSpec, rng: np.random.Generator, monkeypatch: pytest.MonkeyPatch
) -> None:
    x = [t64(a) for a in spec.sample(rng, spec.shapes[0])]
    argnums = tuple(i for i, a in enumerate(x) if a.is_floating_point())
    jacfwd = cf.jacfwd(spec.fn, argnums=argnums, randomness=spec.randomness)
    fast = flat(tree_leaves(quiet(jacfwd, *x)))
    with monkeypatch.context() as m:
        m.setattr(cf, "_pushed_together", lambda *args: None)
        slow = flat(tree_leaves(quiet(jacfwd, *x)))
    assert_close(fast, slow, f"{spec.name}: jacfwd one pass vs vmapped jvp", 1e-12)


def test_the_mlp_takes_the_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    """benchmarks/bench_func.py's jacfwd and hessian (forward over reverse) run in one pass."""
    taken = fast_path_taken(monkeypatch, "_pushed_together")
    rng = np.random.default_rng(0)
    w1, w2 = (t64(rng.standard_normal((5, 5))) for _ in range(2))
    x = t64(rng.standard_normal(5))
    jac = cf.jacfwd(lambda v: cr.tanh(w2 @ cr.tanh(w1 @ v)))(x)
    hess = cf.hessian(lambda v: cr.tanh(w1 @ v).sum())(x)
    assert taken == [True, True]
    h = np.tanh(w1.numpy() @ x.numpy())
    expected = (w1.numpy().T * (-2 * h * (1 - h * h))) @ w1.numpy()
    np.testing.assert_allclose(hess.numpy(), expected, rtol=1e-10, atol=1e-12)
    assert tuple(jac.shape) == (5, 5)


def test_random_operations_meet_vmaps_rules_in_the_one_pass() -> None:
    x = t64(np.ones(3))
    with pytest.raises(RuntimeError, match="randomness error mode"):
        cf.jacfwd(lambda v: v * cr.rand(3, dtype=cr.float64))(x)
    cr.manual_seed(0)
    jac = cf.jacfwd(lambda v: v * cr.rand(3, dtype=cr.float64), randomness="same")(x)
    cr.manual_seed(0)
    np.testing.assert_array_equal(jac.numpy(), np.diag(cr.rand(3, dtype=cr.float64).numpy()))


def counted(f: Any) -> tuple[Any, list[int]]:
    """``f``, and a list that grows by one each time it runs (its side effect)."""
    calls: list[int] = []

    def g(*args: Any) -> Any:
        calls.append(1)
        return f(*args)

    return g, calls


def _scaled_through_a_view(lib: Any) -> Any:
    def f(v: Any) -> Any:
        y = v * 1.0
        y[1:].mul_(v[0])  # an in-place change through a view: the base's tangent rewritten
        return y

    return f


def test_an_in_place_change_through_a_view_takes_the_one_pass_and_runs_f_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    taken = fast_path_taken(monkeypatch, "_pushed_together")
    f, calls = counted(_scaled_through_a_view(cr))
    jac = cf.jacfwd(f)(t64(np.arange(1.0, 4.0)))
    assert taken == [True] and len(calls) == 1
    expected = tf.jacfwd(_scaled_through_a_view(torch))(torch.arange(1.0, 4.0, dtype=torch.float64))
    np.testing.assert_array_equal(jac.numpy(), expected.numpy())


class _CubeReadingItsTangent(cr.autograd.Function):
    """x ** 3 with a jvp rule that reads its tangent's values into Python: no rule for a
    batch of tangents (a batched tensor has no values to list), so the one pass runs it once
    per direction."""

    @staticmethod
    def forward(ctx: Any, x: cr.Tensor) -> cr.Tensor:
        ctx.save_for_forward(x)
        return x**3

    @staticmethod
    def backward(ctx: Any, g: cr.Tensor) -> cr.Tensor:
        raise AssertionError("forward mode only")

    @staticmethod
    def jvp(ctx: Any, t: cr.Tensor) -> cr.Tensor:
        (x,) = ctx.saved_tensors
        return cr.tensor(3 * np.array(x.tolist()) ** 2 * np.array(t.tolist()))


def test_an_op_without_a_batched_tangent_rule_runs_per_direction_and_f_once() -> None:
    printed: list[str] = []

    def f(v: cr.Tensor) -> cr.Tensor:
        printed.append("f runs")  # a side effect, as a print or a counter would be
        return _CubeReadingItsTangent.apply(v) * 2.0

    x = np.array([0.5, -1.0, 2.0])
    jac = cf.jacfwd(f)(t64(x))
    assert printed == ["f runs"]  # torch.func.jacfwd runs f once too
    np.testing.assert_allclose(jac.numpy(), np.diag(6 * x**2), rtol=1e-12)


def test_has_aux_comes_from_the_one_call_of_f() -> None:
    for lib, func in ((cr, cf), (torch, tf)):  # torch.func: the aux of the vmapped call
        f, calls = counted(lambda v, lib=lib: (v.sin(), {"cos": v.cos(), "n": v.sum()}))
        x = lib.tensor([0.5, 1.5], dtype=lib.float64)
        jac, aux = func.jacfwd(f, has_aux=True)(x)
        assert len(calls) == 1
        np.testing.assert_allclose(aux["cos"].numpy(), np.cos([0.5, 1.5]), rtol=1e-15)
        assert tuple(aux["n"].shape) == ()
        f, calls = counted(lambda v, w: (v * w, w.exp()))  # the vmapped path
        jac, aux = func.jacfwd(f, has_aux=True, randomness="different")(x, x)
        assert len(calls) == 1 and tuple(aux.shape) == (2,)


@pytest.mark.parametrize(
    "spec",
    [pytest.param(s, id=s.name) for s in all_specs() if s.jvp and s.torch_callable() is not None],
)
def test_jacfwd_equals_torch_and_runs_f_once(spec: OpSpec, rng: np.random.Generator) -> None:
    """Every row, small or not (the bias of ``linear`` spreads over the rows of its output)."""
    x = spec.sample(rng, spec.shapes[0])
    argnums = tuple(range(len(x)))
    f, calls = counted(spec.fn)
    ours = quiet(cf.jacfwd(f, argnums, randomness=spec.randomness), *[t64(a) for a in x])
    assert len(calls) == 1, spec.name
    expected = tf.jacfwd(spec.torch_callable(), argnums, randomness=spec.randomness)(
        *[torch.tensor(a) for a in x]
    )
    assert_close(flat(tree_leaves(ours)), flat(tree_leaves(expected)), f"{spec.name}: jacfwd")


@pytest.mark.parametrize(
    "spec",
    [
        pytest.param(s, id=s.name)
        for s in all_specs()
        if s.jvp and s.second_order and is_small(s) and s.randomness == "error"  # a draw: refused
    ],
)
def test_hessian_one_pass_equals_vmapped_jvp(
    spec: OpSpec, rng: np.random.Generator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Forward over reverse: the recorded backward's rules carry the batch of tangents (rules
    that read their tangents' values run once per direction)."""
    hessian, x = probed_hessian(spec, rng)
    fast = flat(tree_leaves(quiet(hessian, *x)))
    with monkeypatch.context() as m:
        m.setattr(cf, "_pushed_together", lambda *args: None)
        slow = flat(tree_leaves(quiet(hessian, *x)))
    assert_close(fast, slow, f"{spec.name}: hessian one pass vs vmapped jvp", 1e-12)


@pytest.mark.parametrize(
    "f",
    [
        pytest.param(lambda x: x * 2 if x.sum() > 0 else x, id="control-flow"),
        pytest.param(lambda x: x * x.sum().item(), id="item"),
    ],
)
def test_jacfwd_reads_its_primal_as_torch_func_does(f: Any) -> None:
    """torch.func.jacfwd batches the tangents only: f may read its unbatched input's values
    (the vmapped jvp refused these, reading a batched primal)."""
    x = np.array([0.5, -1.0, 2.0])
    found = cf.jacfwd(f)(t64(x)).numpy()
    expected = tf.jacfwd(f)(torch.tensor(x)).numpy()
    np.testing.assert_allclose(found, expected, rtol=1e-12)
