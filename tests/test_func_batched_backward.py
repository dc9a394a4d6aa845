"""A batch of cotangents (``vmap(vjp_fn)``, jacrev's rows) run on arrays equals the batched
Tensor path, over every row of the op table.

When nothing differentiates the result again, rules whose op sets ``vjp_broadcasts`` take the
whole batch of cotangents in one call on arrays (``batching.vjp_on_arrays``); the others run
op by op through the batching rules. Both must give the same numbers: each row's batched
pullback is computed with the array path and with it switched off, in float64, and compared
with the examples' pullbacks stacked. ``jacrev`` goes further where it can: all its rows in
one backward pass on arrays (``backward.batched_grad``), compared here with the vmapped
pullback over the op table too.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from func_test_util import fast_path_taken, is_small, probed_hessian, quiet, t64, tree_leaves
from gradcheck_util import assert_close, flat, outputs_of
from op_table import OpSpec, all_specs

import chainrule as cr
import chainrule.func as cf
from chainrule.autodiff import batching, open_transforms

BATCH = 4


def _cotangents(out: Any, rng: np.random.Generator) -> Any:
    """A batch of BATCH random cotangents for ``out``, shaped as ``out`` is (tuple or not)."""
    batch = tuple(t64(rng.standard_normal((BATCH, *y.shape))) for y in outputs_of(out))
    return batch if isinstance(out, tuple | list) else batch[0]


def _pick(cts: Any, i: int) -> Any:
    return tuple(c[i] for c in cts) if isinstance(cts, tuple) else cts[i]


SPECS = [s for s in all_specs() if s.jvp]


@pytest.mark.parametrize("spec", [pytest.param(s, id=s.name) for s in SPECS])
def test_batched_pullback_on_arrays_equals_tensor_path(
    spec: OpSpec, rng: np.random.Generator, monkeypatch: pytest.MonkeyPatch
) -> None:
    x = [t64(a) for a in spec.sample(rng, spec.shapes[0])]
    out, pullback = quiet(cf.vjp, spec.fn, *x)
    cts = _cotangents(out, rng)
    fast = tree_leaves(quiet(cf.vmap(pullback), cts))
    per_example = [tree_leaves(pullback(_pick(cts, i))) for i in range(BATCH)]
    with monkeypatch.context() as m:
        m.setattr(batching, "vjp_on_arrays", lambda node, g: None)
        slow = tree_leaves(quiet(cf.vmap(pullback), cts))
    for j, (f, s) in enumerate(zip(fast, slow, strict=True)):
        assert tuple(f.shape) == tuple(s.shape) == (BATCH, *x[j].shape)
        assert_close(f.numpy(), s.numpy(), f"{spec.name}: input {j}, arrays vs Tensors", 1e-12)
        stacked = np.stack([flat([g[j]]).reshape(tuple(x[j].shape)) for g in per_example])
        assert_close(f.numpy(), stacked, f"{spec.name}: input {j}, vs per example", 1e-12)


def test_jacrev_takes_the_one_pass_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """The MLP of benchmarks/bench_func.py: jacrev's rows run as one backward pass on arrays
    (``backward.batched_grad``), with no rule run through vmap's batched Tensors."""
    taken = fast_path_taken(monkeypatch, "batched_grad")
    monkeypatch.setattr(batching, "vjp_on_arrays", lambda node, g: pytest.fail("vmapped"))
    rng = np.random.default_rng(0)
    w1, w2 = (t64(rng.standard_normal((5, 5))) for _ in range(2))
    jac = cf.jacrev(lambda v: cr.tanh(w2 @ cr.tanh(w1 @ v)))(t64(rng.standard_normal(5)))
    assert taken == [True]
    assert tuple(jac.shape) == (5, 5)


@pytest.mark.parametrize("spec", [pytest.param(s, id=s.name) for s in SPECS if is_small(s)])
def test_jacrev_one_pass_equals_vmapped_pullback(
    spec: OpSpec, rng: np.random.Generator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """jacrev's one backward pass on arrays (where every rule on the way broadcasts) gives
    the Jacobian that vmapping the pullback gives, in every row of the op table."""
    x = [t64(a) for a in spec.sample(rng, spec.shapes[0])]
    argnums = tuple(range(len(x)))
    fast = flat(tree_leaves(quiet(cf.jacrev(spec.fn, argnums=argnums), *x)))
    with monkeypatch.context() as m:
        m.setattr(cf, "batched_grad", lambda *args: None)
        slow = flat(tree_leaves(quiet(cf.jacrev(spec.fn, argnums=argnums), *x)))
    assert_close(fast, slow, f"{spec.name}: jacrev one pass vs vmapped", 1e-12)


@pytest.mark.parametrize(
    "spec",
    [
        pytest.param(s, id=s.name)
        for s in SPECS
        if s.second_order and is_small(s) and s.randomness == "error"  # a draw: refused
    ],
)
def test_hessian_unrecorded_equals_recorded(
    spec: OpSpec, rng: np.random.Generator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """jvp over vjp (``hessian``) runs the inner backward unrecorded, tangents riding along;
    recording it (as inside a reverse-mode transform) must give the same second derivatives."""
    hessian, x = probed_hessian(spec, rng)
    unrecorded = flat(tree_leaves(quiet(hessian, *x)))
    with monkeypatch.context() as m:
        m.setattr(open_transforms.here, "reverse_depth", 1)  # as if inside grad: every vjp records
        recorded = flat(tree_leaves(quiet(hessian, *x)))
    assert_close(unrecorded, recorded, f"{spec.name}: hessian unrecorded vs recorded", 1e-12)
