"""Every row of the op table through ``cr.func``'s transforms, against PyTorch's ``torch.func``.

Per row, on its first shape case, in float64:

- ``vmap(f)`` over a batch of 3 equals stacking ``f`` per example, with the batch axis first
  and last, and with the last input not mapped (``in_dims=None``) when there are several
  (``randomness="same"``: the seeded dropout row draws one mask, as each example does);
- ``jvp`` equals finite differences and ``torch.func.jvp``; ``<u, J v>`` by ``jvp`` and by
  ``vjp`` agree;
- ``jacrev`` = ``jacfwd`` = ``torch.func.jacrev`` (small rows);
- ``hessian`` of ``<w, f>`` equals ``torch.func.hessian``'s (rows with second derivatives).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
import torch.func as tf
from func_test_util import loops_as_errors, quiet, t64
from gradcheck_util import assert_close, flat, numeric_jvp, outputs_of
from op_table import OpSpec, all_specs

import chainrule as cr
import chainrule.func as cf

SPECS = all_specs()
BATCH = 3


def rows(keep: Any = lambda spec: True) -> list[Any]:
    return [pytest.param(spec, id=spec.name) for spec in SPECS if keep(spec)]


def first_case(spec: OpSpec, rng: np.random.Generator) -> list[np.ndarray]:
    return spec.sample(rng, spec.shapes[0])


def batch_of(spec: OpSpec, rng: np.random.Generator) -> list[np.ndarray]:
    """BATCH examples of each input, stacked on axis 0."""
    examples = [first_case(spec, rng) for _ in range(BATCH)]
    return [np.stack(column) for column in zip(*examples, strict=True)]


def stacked(spec: OpSpec, columns: list[np.ndarray], mapped: list[bool]) -> Any:
    """f applied per example (unmapped inputs shared), outputs stacked: the expected answer;
    None where the examples' outputs differ in shape (data-dependent shapes)."""
    per_example = []
    for b in range(BATCH):
        args = [t64(c[b] if m else c) for c, m in zip(columns, mapped, strict=True)]
        per_example.append([y.detach().numpy() for y in outputs_of(spec.fn(*args))])
    if any(
        {p.shape for p in parts} != {parts[0].shape} for parts in zip(*per_example, strict=True)
    ):
        return None
    return [np.stack(parts) for parts in zip(*per_example, strict=True)]


# Rows whose vmap PyTorch refuses, with the start of its message.
VMAP_REFUSED = {
    "batch_norm_training_updates_running_stats_no_affine": "Batch norm got a batched tensor as "
    "input while the running_mean or running_var, which will be updated in place",
}


@pytest.mark.parametrize("spec", rows(lambda s: s.randomness != "different"))
def test_vmap_equals_stacking(spec: OpSpec, rng: np.random.Generator) -> None:
    columns = batch_of(spec, rng)
    if spec.name in VMAP_REFUSED:
        for mapped, tensor in (
            (cf.vmap(spec.fn), t64),
            (tf.vmap(spec.torch_callable()), torch.tensor),
        ):
            with pytest.raises(RuntimeError, match=VMAP_REFUSED[spec.name]):
                quiet(mapped, *[tensor(c) for c in columns])
        return
    n = len(columns)
    everything = [True] * n
    expected = stacked(spec, columns, everything)
    if expected is None:  # as in PyTorch, vmap cannot give examples outputs of their own shape
        with pytest.raises(RuntimeError, match="different shapes"):
            quiet(cf.vmap(spec.fn, randomness="same"), *[t64(c) for c in columns])
        return
    got = quiet(cf.vmap(spec.fn, randomness="same"), *[t64(c) for c in columns])
    for g, e in zip(outputs_of(got), expected, strict=True):
        assert_close(g.detach().numpy(), e, f"{spec.name}: vmap over axis 0")
    if not spec.layouts:  # the batch axis last is a layout such rows may refuse (view)
        return
    last = [np.moveaxis(c, 0, -1) for c in columns]
    got = quiet(
        cf.vmap(spec.fn, in_dims=-1, out_dims=-1, randomness="same"), *[t64(c) for c in last]
    )
    for g, e in zip(outputs_of(got), expected, strict=True):
        assert_close(np.moveaxis(g.detach().numpy(), -1, 0), e, f"{spec.name}: axis -1")
    if n > 1:  # the last input shared by every example
        mapped = [True] * (n - 1) + [False]
        shared = [*columns[:-1], columns[-1][0]]
        expected = stacked(spec, shared, mapped)
        dims = (0,) * (n - 1) + (None,)
        got = quiet(cf.vmap(spec.fn, in_dims=dims, randomness="same"), *[t64(c) for c in shared])
        for g, e in zip(outputs_of(got), expected, strict=True):
            assert_close(g.detach().numpy(), e, f"{spec.name}: in_dims={dims}")


def torch_inputs(x: list[np.ndarray]) -> tuple[Any, ...]:
    return tuple(torch.tensor(a) for a in x)


@pytest.mark.parametrize("spec", rows(lambda s: s.jvp and s.torch_callable() is not None))
def test_jvp_matches_finite_differences_and_torch(spec: OpSpec, rng: np.random.Generator):
    x = first_case(spec, rng)
    v = [rng.standard_normal(a.shape) for a in x]
    _, tangent = cf.jvp(spec.fn, tuple(t64(a) for a in x), tuple(t64(a) for a in v))
    ours = flat(outputs_of(tangent))
    if spec.finite_differences:
        assert_close(ours, numeric_jvp(spec.fn, x, v, spec.fd_step), f"{spec.name}: J v vs FD")
    try:
        _, expected = tf.jvp(spec.torch_callable(), torch_inputs(x), torch_inputs(v))
    except NotImplementedError:  # PyTorch has no forward-mode rule for some ops (attention)
        expected = None
    if expected is not None:
        assert_close(ours, flat(outputs_of(expected)), f"{spec.name}: J v vs torch.func.jvp")
    out, pullback = cf.vjp(spec.fn, *[t64(a) for a in x])
    u = [rng.standard_normal(tuple(y.shape)) for y in outputs_of(out)]
    cotangent = tuple(t64(a) for a in u) if isinstance(out, tuple) else t64(u[0])
    by_vjp = flat(pullback(cotangent)) @ flat(v)
    assert_close(flat(u) @ ours, by_vjp, f"{spec.name}: <u, J v> vs <u^T J, v>")


def small(spec: OpSpec) -> bool:
    sizes = [int(np.prod(s, dtype=int)) for s in spec.shapes[0]]
    return sum(sizes) <= 12


@pytest.mark.parametrize(
    "spec", rows(lambda s: s.jvp and s.torch_callable() is not None and small(s))
)
def test_jacrev_equals_jacfwd_equals_torch(spec: OpSpec, rng: np.random.Generator) -> None:
    x = first_case(spec, rng)
    argnums = tuple(range(len(x)))
    rev = quiet(cf.jacrev(spec.fn, argnums=argnums), *[t64(a) for a in x])
    fwd = quiet(cf.jacfwd(spec.fn, argnums, randomness=spec.randomness), *[t64(a) for a in x])
    expected = tf.jacrev(spec.torch_callable(), argnums=argnums)(*torch_inputs(x))
    assert_close(flat(_leaves(rev)), flat(_leaves(expected)), f"{spec.name}: jacrev")
    assert_close(flat(_leaves(fwd)), flat(_leaves(expected)), f"{spec.name}: jacfwd")


def _leaves(tree: Any) -> list[Any]:
    if isinstance(tree, tuple | list):
        return [leaf for t in tree for leaf in _leaves(t)]
    return [tree]


SECOND_ORDER_ROWS = rows(
    lambda s: (
        s.jvp
        and s.second_order
        and s.torch_callable() is not None
        and small(s)
        and s.randomness == "error"
    )  # hessian of a draw: refused (the snippets of tests/test_torch_snippets.py)
)


def scalar(lib: Any, fn: Any, w: Any) -> Any:
    """``<w, fn(*args)>``: each output's elements summed, weighted by its own number."""

    def h(*args: Any) -> Any:
        ys = outputs_of(fn(*args))
        return sum((y * w[i]).sum() for i, y in enumerate(ys))

    return h


@pytest.mark.parametrize("spec", SECOND_ORDER_ROWS)
def test_hessian_matches_torch(spec: OpSpec, rng: np.random.Generator) -> None:
    x = first_case(spec, rng)
    probe = cr.tensor(rng.standard_normal(len(x) + 3))
    argnums = tuple(range(len(x)))
    ours = quiet(cf.hessian(scalar(cr, spec.fn, probe), argnums=argnums), *[t64(a) for a in x])
    wt = torch.tensor(probe.numpy())
    expected = tf.hessian(scalar(torch, spec.torch_callable(), wt), argnums=argnums)(
        *torch_inputs(x)
    )
    assert_close(flat(_leaves(ours)), flat(_leaves(expected)), f"{spec.name}: hessian", 1e-5)


@pytest.mark.parametrize("spec", SECOND_ORDER_ROWS)
def test_every_pair_of_transforms_gives_the_hessian(spec: OpSpec, rng: np.random.Generator):
    """jacrev of jacfwd, jacfwd of jacfwd and jacrev of jacrev equal hessian (jacfwd of
    jacrev): a tangent rule that reads a value as a constant, where a transform outside
    differentiates it, differs here (the decompositions' factors, an autograd.Function's
    saved tensors in its jvp: 0 where the answer was not)."""
    x = first_case(spec, rng)
    h = scalar(cr, spec.fn, cr.tensor(rng.standard_normal(len(x) + 3)))
    argnums = tuple(range(len(x)))
    inputs = [t64(a) for a in x]
    expected = flat(_leaves(quiet(cf.hessian(h, argnums=argnums), *inputs)))
    for outer, inner in (("jacrev", "jacfwd"), ("jacfwd", "jacfwd"), ("jacrev", "jacrev")):
        second = getattr(cf, outer)(getattr(cf, inner)(h, argnums=argnums), argnums=argnums)
        got = flat(_leaves(quiet(second, *inputs)))
        assert_close(got, expected, f"{spec.name}: {outer} of {inner}", 1e-6)


# Rows whose transforms still run once per example (with a warning), and why.
LOOPS = {
    # each example's mask, computed from its values, picks its own number of elements:
    # torch.func refuses such a dynamic shape, chainrule's loop gives each example's
    "masked_select": "a mask from the batched values",
    # an autograd.Function without a vmap staticmethod (PyTorch asks for one)
    "autograd_function_two_outputs": "no vmap rule",
}


# A row that draws (a seeded mask): hessian's jacfwd refuses it in randomness="error" mode, as
# torch.func's does; vmap here draws one mask for the batch (randomness="same")
DRAWS = {"dropout_seeded_mask"}


@pytest.mark.parametrize(
    "spec", rows(lambda s: s.randomness == "error" and s.name not in (*VMAP_REFUSED, *LOOPS))
)
def test_transforms_run_every_rule_on_the_whole_batch(
    spec: OpSpec, rng: np.random.Generator
) -> None:
    """vmap of grad, vmap of jvp, hessian (forward over reverse) and jacrev of jacrev (vmap
    over the pullback of a pullback) of ``<w, f>`` take one batched pass through every
    forward, backward and double-backward rule: a loop over the examples warns, an error
    here. (A rule of logcumsumexp's double backward, floor_divide in the tangents of max
    pooling and frexp, and the output guards of every decomposition read arrays that vmap's
    batched tensors do not have, and looped.)"""
    x = first_case(spec, rng)
    h = scalar(cr, spec.fn, cr.tensor(rng.standard_normal(len(x) + 3)))
    rest = [t64(a) for a in x[1:]]
    examples = t64(np.stack([x[0], x[0] * 0.9]))
    with loops_as_errors():
        dims = (0, *[None] * len(rest))
        cf.vmap(cf.grad(h), in_dims=dims, randomness="same")(examples, *rest)
        if spec.jvp:
            directions = t64(np.stack([np.ones_like(x[0]), -np.cos(x[0])]))
            tangent = lambda a, t: cf.jvp(lambda u: h(u, *rest), (a,), (t,))[1]  # noqa: E731
            cf.vmap(tangent, randomness="same")(examples, directions)
            if spec.second_order and spec.name not in DRAWS:
                argnums, inputs = tuple(range(len(x))), [t64(a) for a in x]
                cf.hessian(h, argnums=argnums)(*inputs)
                cf.jacrev(cf.jacrev(h, argnums=argnums), argnums=argnums)(*inputs)
