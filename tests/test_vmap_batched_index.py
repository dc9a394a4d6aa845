"""vmap over indexing by batched integer tensors (``weight[ids]``, ``F.embedding``,
``index_select``, ``gather``, ``take_along_dim``, ``one_hot``), and over index arrays that do
not stand together: one batched computation, no loop over the examples (a loop warns, and
warnings are errors here), with torch.func's values, per-example gradients and tangents."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import torch
import torch.func as tf

import chainrule as cr
import chainrule.func as cf
from chainrule.autodiff import batching


def lib(x: Any) -> Any:
    return torch if isinstance(x, torch.Tensor) else cr


rng = np.random.default_rng(7)
X = rng.standard_normal((4, 5, 6))  # a batch of 4 examples of shape (5, 6)
W = rng.standard_normal((5, 6))  # a table the examples share
IDS = rng.integers(-5, 5, (4, 3))  # each example's indices into dim 0 (negative from the end)
J = rng.integers(0, 6, (4, 3))  # into dim 1
V = rng.standard_normal((4, 3))
CLASS_WEIGHTS = [1.0, 2.0, 0.5, 1.5, 1.0, 3.0]

# name: (f(x, i, j), in_dims): x is X (batched) or W (in_dims None)
CASES: dict[str, tuple[Any, tuple[Any, ...]]] = {
    "table[i]": (lambda w, i, j: w[i], (None, 0, None)),
    "x[i]": (lambda x, i, j: x[i], (0, 0, None)),
    "x[:, j]": (lambda x, i, j: x[:, j], (0, None, 0)),
    "table[:, j]": (lambda w, i, j: w[:, j], (None, None, 0)),
    "x[i, j]": (lambda x, i, j: x[i, j], (0, 0, 0)),
    "x[i, j] with j unbatched": (lambda x, i, j: x[i, j], (0, 0, None)),
    "x[i, :2]": (lambda x, i, j: x[i, :2], (0, 0, None)),
    "x[..., j]": (lambda x, i, j: x[..., j], (0, None, 0)),
    "x[None, i]": (lambda x, i, j: x[None, i], (0, 0, None)),
    "x[i, None, j]": (lambda x, i, j: x[i, None, j], (0, 0, 0)),
    "x[i[:, None], j] (2-d broadcast)": (lambda x, i, j: x[i[:, None], j], (0, 0, 0)),
    "x[i, 1]": (lambda x, i, j: x[i, 1], (0, 0, None)),
    "x[1, j]": (lambda x, i, j: x[1, j], (0, None, 0)),
    "x[i[0]] (a 0-d index)": (lambda x, i, j: x[i[0]], (0, 0, None)),
    "x[[0, 2], :, None][i]": (lambda x, i, j: x[[0, 2, 4]][i % 3], (0, 0, None)),
    "index_select": (lambda x, i, j: x.index_select(1, j), (0, None, 0)),
    "index_select of the table": (lambda w, i, j: w.index_select(0, i % 5), (None, 0, None)),
    "gather": (lambda x, i, j: x.gather(1, j.reshape(1, 3).expand(5, 3)), (0, None, 0)),
    "gather of the table": (lambda w, i, j: w.gather(0, i.reshape(3, 1) % 5), (None, 0, None)),
    "take_along_dim": (lambda x, i, j: lib(x).take_along_dim(x, j.reshape(1, 3), 1), (0, None, 0)),
    "take_along_dim, no dim": (lambda x, i, j: lib(x).take_along_dim(x, j), (0, None, 0)),
    "embedding": (lambda w, i, j: lib(w).nn.functional.embedding(i % 5, w), (None, 0, None)),
    "one_hot": (lambda x, i, j: lib(x).nn.functional.one_hot(i % 5, 5), (0, 0, None)),
    # writes along a dim at per-example places (scatter's and index_add's families)
    "scatter of a number": (
        lambda x, i, j: x.scatter(1, j.reshape(1, 3).expand(5, 3), 1.5),
        (0, None, 0),
    ),
    "scatter": (lambda x, i, j: x.scatter(0, i.reshape(1, 3) % 5, x[:1, :3] * 2), (0, 0, None)),
    "scatter into the table": (
        lambda w, i, j: w.scatter(0, i.reshape(1, 3) % 5, w[:1, :3] * 2),
        (None, 0, None),
    ),
    "scatter_add": (
        lambda x, i, j: x.scatter_add(1, j.reshape(1, 3).expand(5, 3), x[:, 3:]),
        (0, None, 0),
    ),
    "scatter_reduce amax": (
        lambda x, i, j: x.scatter_reduce(1, j.reshape(1, 3).expand(5, 3), x[:, :3], "amax"),
        (0, None, 0),
    ),
    "scatter_reduce mean": (
        lambda x, i, j: x.scatter_reduce(
            1, j.reshape(1, 3).expand(5, 3), x[:, :3], "mean", include_self=False
        ),
        (0, None, 0),
    ),
    "index_add": (lambda x, i, j: x.index_add(1, j, x[:, :3], alpha=2.0), (0, None, 0)),
    "index_add of the table": (lambda w, i, j: w.index_add(0, i % 5, w[:3]), (None, 0, None)),
    "index_copy": (lambda x, i, j: x.index_copy(1, j, x[:, :3] * 3), (0, None, 0)),
    "index_fill": (lambda x, i, j: x.index_fill(0, i % 5, -2.0), (0, 0, None)),
    "index_reduce prod": (lambda x, i, j: x.index_reduce(1, j, x[:, :3], "prod"), (0, None, 0)),
    "take": (lambda x, i, j: lib(x).take(x, i.reshape(3, 1) * 6 + j), (0, 0, 0)),
    "cross_entropy with label_smoothing": (
        lambda x, i, j: lib(x).nn.functional.cross_entropy(x[:3], j, label_smoothing=0.2),
        (0, None, 0),
    ),
    "multi_margin_loss": (
        lambda x, i, j: lib(x).nn.functional.multi_margin_loss(x[:3], j),
        (0, None, 0),
    ),
    # index arrays apart: NumPy puts their dims first, after the examples' (no loop either)
    "x[[1, 2], :, [0, 2]] apart": (
        lambda x, i, j: x.reshape(5, 2, 3)[[1, 2], :, [0, 2]],
        (0, None, None),
    ),
    "x[i, :, j] apart": (lambda x, i, j: x.reshape(5, 2, 3)[i, :, j % 3], (0, 0, 0)),
    "x[i, :, j] apart, j unbatched": (lambda x, i, j: x.reshape(5, 2, 3)[i, :, [2]], (0, 0, None)),
}


def _inputs(name: str, make: Any) -> list[Any]:
    first = W if "table" in name or name.startswith("embedding") else X
    return [make(first), make(IDS), make(J)]


@pytest.mark.parametrize("name", list(CASES))
def test_vmap_of_indexing_by_batched_indices_is_torch_funcs_without_a_loop(name: str) -> None:
    f, in_dims = CASES[name]
    expected = tf.vmap(f, in_dims=in_dims)(*_inputs(name, torch.tensor))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        batching._warned.clear()  # the loop warns once per op: here, every time
        found = cf.vmap(f, in_dims=in_dims)(*_inputs(name, cr.tensor))
    assert tuple(found.shape) == tuple(expected.shape)
    assert found.dtype == getattr(cr, str(expected.dtype).split(".")[1])
    np.testing.assert_array_equal(found.numpy(), expected.numpy())


def _loss(w: Any, ids: Any, target: Any) -> Any:
    """An embedding model's loss for one example: rows picked, mixed, compared."""
    m = lib(w)
    rows = m.nn.functional.embedding(ids, w)  # (3, 6)
    picked = rows.gather(1, (ids % 6).reshape(3, 1)).reshape(3)
    return ((m.tanh(rows).sum(1) * picked - target) ** 2).mean() + w[ids[:2], ids[1:] % 6].sum()


def test_per_example_gradients_of_an_embedding_model_are_torch_funcs_and_the_loops() -> None:
    ids = rng.integers(0, 5, (4, 3))
    args = (W, ids, V)
    expected = tf.vmap(tf.grad(_loss), in_dims=(None, 0, 0))(*map(torch.tensor, args))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        batching._warned.clear()  # the loop warns once per op: here, every time
        found = cf.vmap(cf.grad(_loss), in_dims=(None, 0, 0))(*map(cr.tensor, args))
    looped = [cf.grad(_loss)(cr.tensor(W), cr.tensor(ids[k]), cr.tensor(V[k])) for k in range(4)]
    np.testing.assert_allclose(found.numpy(), expected.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(found.numpy(), np.stack([g.numpy() for g in looped]), rtol=1e-12)


def test_the_shared_table_gets_the_sum_of_the_examples_gradients_by_backward() -> None:
    weight = cr.tensor(W, requires_grad=True)
    reference = torch.tensor(W, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        batching._warned.clear()  # the loop warns once per op: here, every time
        cf.vmap(lambda ids: weight[ids[:, None], ids].sin().sum())(
            cr.tensor(IDS % 5)
        ).sum().backward()
    tf.vmap(lambda ids: reference[ids[:, None], ids].sin().sum())(
        torch.tensor(IDS % 5)
    ).sum().backward()
    np.testing.assert_allclose(weight.grad.numpy(), reference.grad.numpy(), rtol=1e-12)


def test_jvp_inside_vmap_carries_tangents_through_a_batched_index() -> None:
    def f(w: Any, t: Any, ids: Any) -> Any:
        transform = tf.jvp if isinstance(w, torch.Tensor) else cf.jvp
        return transform(lambda v: lib(v).nn.functional.embedding(ids, v).cos(), (w,), (t,))

    args = (W, rng.standard_normal((5, 6)), rng.integers(0, 5, (4, 3)))
    expected = tf.vmap(f, in_dims=(None, None, 0))(*map(torch.tensor, args))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        batching._warned.clear()  # the loop warns once per op: here, every time
        found = cf.vmap(f, in_dims=(None, None, 0))(*map(cr.tensor, args))
    for a, b in zip(found, expected, strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)


def test_nested_vmap_with_the_index_and_the_tensor_batched_at_different_levels() -> None:
    ids = rng.integers(0, 5, (3, 2))  # the outer level: 3 examples of 2 indices

    def inner(x: Any, i: Any) -> Any:
        return x[i] * x[i, -1:]

    expected = tf.vmap(tf.vmap(inner, in_dims=(0, None)), in_dims=(None, 0))(
        torch.tensor(X), torch.tensor(ids)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        batching._warned.clear()  # the loop warns once per op: here, every time
        found = cf.vmap(cf.vmap(inner, in_dims=(0, None)), in_dims=(None, 0))(
            cr.tensor(X), cr.tensor(ids)
        )
    assert tuple(found.shape) == tuple(expected.shape) == (3, 4, 2, 6)
    np.testing.assert_allclose(found.numpy(), expected.numpy(), rtol=1e-12)


EMBEDDING_OPTIONS = {
    "padding_idx": {"padding_idx": 2},
    "padding_idx from the end": {"padding_idx": -1},
    "scale_grad_by_freq": {"scale_grad_by_freq": True},
    "both": {"padding_idx": 3, "scale_grad_by_freq": True},
}


# 4 examples of 5 indices into W's 5 rows: repeats and padding rows in some examples only
PADDED_IDS = rng.integers(0, 5, (4, 5))
PADDED_IDS[0, :3], PADDED_IDS[1] = 2, 3


@pytest.mark.parametrize("options", list(EMBEDDING_OPTIONS))
@pytest.mark.parametrize("ids_dim", [0, 1])
def test_embedding_options_over_batched_indices_per_example_without_a_loop(
    options: str, ids_dim: int
) -> None:
    """padding_idx and scale_grad_by_freq under vmap: each example's picks masked and
    counted apart, in one lookup: values, per-example gradients, the tangents of a jvp inside
    vmap and a jacrev of the gradients (double backward), as torch.func's and the loop's."""
    kwargs = EMBEDDING_OPTIONS[options]
    ids = np.moveaxis(PADDED_IDS, 0, ids_dim).copy()
    in_dims = (None, ids_dim)

    def rows(w: Any, i: Any) -> Any:
        return lib(w).nn.functional.embedding(i, w, **kwargs)

    def loss(w: Any, i: Any) -> Any:
        return (rows(w, i) ** 3 * lib(w).arange(6.0, dtype=w.dtype)).sum()

    def tangent(w: Any, i: Any) -> Any:
        jvp = tf.jvp if isinstance(w, torch.Tensor) else cf.jvp
        return jvp(lambda v: rows(v, i).sin(), (w,), (w.cos(),))[1]

    def run(m: Any, fn: Any) -> list[Any]:
        args = (m.tensor(W), m.tensor(ids))
        return [
            fn.vmap(f, in_dims=in_dims)(*args)
            for f in (rows, fn.grad(loss), tangent, fn.jacrev(fn.grad(loss)))
        ]

    expected = run(torch, tf)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        batching._warned.clear()  # the loop warns once per op: here, every time
        found = run(cr, cf)
    looped = [cf.grad(loss)(cr.tensor(W), cr.tensor(example)) for example in PADDED_IDS]
    for a, b in zip(found, expected, strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(found[1].numpy(), np.stack([g.numpy() for g in looped]))


def test_embedding_options_with_tables_and_indices_at_different_levels() -> None:
    tables = rng.standard_normal((2, 5, 6))  # the outer level's: 2 tables

    def loss(w: Any, i: Any) -> Any:
        picked = lib(w).nn.functional.embedding(i, w, padding_idx=1, scale_grad_by_freq=True)
        return (picked**2).sum()

    def run(fn: Any, m: Any) -> Any:
        per_example = fn.vmap(fn.grad(loss), in_dims=(None, 0))
        return fn.vmap(per_example, in_dims=(0, None))(m.tensor(tables), m.tensor(PADDED_IDS))

    expected = run(tf, torch)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        batching._warned.clear()  # the loop warns once per op: here, every time
        found = run(cf, cr)
    assert tuple(found.shape) == tuple(expected.shape) == (2, 4, 5, 6)
    np.testing.assert_allclose(found.numpy(), expected.numpy(), rtol=1e-12)


def test_gradients_of_indices_apart_and_their_writes_are_the_loops() -> None:
    """Batched x, unbatched index arrays apart (NumPy moves their dims first): reading,
    its gradient, and writing, each as the loop over the examples computes them (torch.func's
    vmap refuses this write: "value tensor of shape [4, 2, 3] cannot be broadcast to
    indexing result of shape [2, 4, 3]", so its jacrev runs once per example here)."""

    def f(x: Any) -> Any:
        y = x.clone()
        y[[1, 2], :, [0, 3]] = y[[4, 0], :, [5, 5]] * 2
        return y[[0, 1], :, [3, 0]].sum(0)

    x = rng.standard_normal((4, 5, 3, 6))
    expected = torch.stack([tf.jacrev(f)(torch.tensor(example)) for example in x])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        batching._warned.clear()  # the loop warns once per op: here, every time
        found = cf.vmap(cf.jacrev(f))(cr.tensor(x))
    np.testing.assert_allclose(found.numpy(), expected.numpy(), rtol=1e-12)


@pytest.mark.parametrize(
    "f",
    [
        lambda x, i: x[i >= 3],  # a mask: each example's result may differ in shape
        # a mask beside a batched index (the mask's 5 places pair with the 5 indices)
        lambda x, i: x[i, cr.tensor([True, True, False, True, True, True])],
    ],
    ids=["mask", "mask beside a batched index"],
)
def test_what_has_no_batched_rule_runs_once_per_example_with_a_warning(f: Any) -> None:
    ids = cr.tensor(rng.random((4, 5)).argsort(1))  # the mask picks 2 rows of each example
    with pytest.warns(UserWarning, match="once per example"):
        found = cf.vmap(f, in_dims=(None, 0))(cr.tensor(W), ids)
    expected = cr.stack([f(cr.tensor(W), ids[k]) for k in range(4)])
    np.testing.assert_array_equal(found.numpy(), expected.numpy())


def test_vmap_refuses_what_torch_func_refuses() -> None:
    """one_hot must know its number of classes; an index out of range in any example."""
    with pytest.raises(RuntimeError, match="provide an explicit positive num_classes"):
        cf.vmap(lambda i: cr.nn.functional.one_hot(i))(cr.tensor(IDS % 5))
    # the dimension named is one example's, as without vmap
    with pytest.raises(IndexError, match="out of bounds for dimension 0 with size 5"):
        cf.vmap(lambda i: cr.tensor(W)[i])(cr.tensor(IDS + 5))
    with pytest.raises(IndexError, match="out of bounds for dimension 1 with size 6"):
        cf.vmap(lambda i: cr.tensor(W)[:, i])(cr.tensor(IDS + 5))
    with pytest.raises(IndexError, match="too many indices for tensor of dimension 2"):
        cf.vmap(lambda i: cr.tensor(W)[i, i, i])(cr.tensor(IDS % 5))
    with pytest.raises(IndexError, match=r"broadcast together with shapes \[3\], \[2\]"):
        cf.vmap(lambda i: cr.tensor(W)[i, cr.tensor([0, 1])])(cr.tensor(IDS % 5))
    with pytest.raises(IndexError, match="index out of range in self"):
        cf.vmap(lambda i: cr.tensor(W).index_select(0, i))(cr.tensor(IDS + 5))
    with pytest.raises(RuntimeError, match="out of bounds for dimension"):
        cf.vmap(lambda i: cr.tensor(W).gather(0, i[:, None]))(cr.tensor(IDS + 5))
    with pytest.raises(IndexError, match="tensors used as indices must be long"):
        cf.vmap(lambda i: cr.tensor(W)[i])(cr.tensor(IDS * 1.0))


def test_per_example_gradients_of_message_passing_by_index_add_are_torch_funcs() -> None:
    """A graph per example: each node sums its neighbours' messages (index_add at the edges'
    targets), as a GNN's layer does; the gradients of the shared weight, per example."""
    weight = rng.standard_normal((6, 6))
    nodes = rng.standard_normal((4, 5, 6))
    sources, targets = rng.integers(0, 5, (2, 4, 7))

    def loss(w: Any, x: Any, src: Any, dst: Any) -> Any:
        messages = (x[src] @ w).tanh()
        summed = lib(w).zeros_like(x).index_add(0, dst, messages)
        return (summed.scatter_reduce(0, dst[:, None].expand(7, 6), messages, "amax") ** 2).sum()

    args = (weight, nodes, sources, targets)
    dims = (None, 0, 0, 0)
    expected = tf.vmap(tf.grad(loss), in_dims=dims)(*map(torch.tensor, args))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        batching._warned.clear()  # the loop warns once per op: here, every time
        found = cf.vmap(cf.grad(loss), in_dims=dims)(*map(cr.tensor, args))
    np.testing.assert_allclose(found.numpy(), expected.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    "f",
    [
        lambda x, i: x.index_fill(0, i, -2.0),
        lambda x, i: cr.nn.functional.cross_entropy(
            x[:3], i % 6, cr.tensor(CLASS_WEIGHTS), ignore_index=2, label_smoothing=0.2
        ),
    ],
    ids=["index_fill at negative indices", "cross_entropy, label_smoothing and ignore_index"],
)
def test_what_torch_func_computes_otherwise_or_refuses_is_the_loops(f: Any) -> None:
    """torch.func's vmap fills other rows than each example alone does at negative indices
    and several examples (torch 2.13: with two, [1, -2, 2] of 5 rows fills rows 1, 2 and 4);
    and it refuses the smoothed cross-entropy with class weights (its masked_select). The
    loop is the reference."""
    x = cr.tensor(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        batching._warned.clear()  # the loop warns once per op: here, every time
        found = cf.vmap(f)(x, cr.tensor(IDS))
    looped = [f(x[k], cr.tensor(IDS[k])) for k in range(4)]
    np.testing.assert_allclose(found.numpy(), cr.stack(looped).numpy(), rtol=1e-12)


def _put(key: Any, value: Any) -> Any:
    """``y[key(i, j)] = value(v, w, y)`` into a copy of ``x``, returned."""

    def f(x: Any, i: Any, j: Any, v: Any, w: Any) -> Any:
        y = x * 1.0
        y[key(i, j)] = value(v, w, y)
        return y

    return f


V6 = rng.standard_normal((4, 6))
# name: (f, whether torch.func computes it: it refuses values of writes whose index arrays
# stand together after a slice, "value tensor of shape [4, 1, 3] cannot be broadcast")
WRITES: dict[str, tuple[Any, bool]] = {
    "y[i] = 0": (_put(lambda i, j: i, lambda v, w, y: 0.0), True),
    "y[i] = a row per example": (_put(lambda i, j: i, lambda v, w, y: w), True),
    "y[i] = rows": (_put(lambda i, j: i, lambda v, w, y: v[:, None] * w), True),
    "y[i, j] = v": (_put(lambda i, j: (i, j), lambda v, w, y: v), True),
    "y[i, 2] = v": (_put(lambda i, j: (i, 2), lambda v, w, y: v), True),
    "y[1, j] = v": (_put(lambda i, j: (1, j), lambda v, w, y: v), True),
    "y[i[:, None], j] = 1": (_put(lambda i, j: (i[:, None], j), lambda v, w, y: 1.0), True),
    "y[i, :2] = 5": (_put(lambda i, j: (i, slice(0, 2)), lambda v, w, y: 5.0), True),
    "index_put": (lambda x, i, j, v, w: x.index_put((i, j), v), True),
    "index_put_ of a number": (
        lambda x, i, j, v, w: (x * 1.0).index_put_((i,), lib(x).tensor(2.0, dtype=x.dtype)),
        True,
    ),
    "index_put, accumulating": (
        lambda x, i, j, v, w: x.index_put((i, j), v, accumulate=True),
        True,
    ),
    "put at each example's flat places": (
        lambda x, i, j, v, w: x.put(lib(x).arange(3) * 7 + j, v),
        True,
    ),
    "put_, accumulating, from the end too": (
        lambda x, i, j, v, w: (x * 1.0).put_(i * 6, v.sin(), accumulate=True),
        True,
    ),
    "masked_scatter at each example's places": (
        lambda x, i, j, v, w: x.masked_scatter(lib(x).arange(6) < j[0], x * 2 + 1),
        True,
    ),
    "masked_scatter_ of its rows": (
        lambda x, i, j, v, w: (x * 1.0).masked_scatter_(w > 0, w.expand(5, 6)),
        True,
    ),
    "index_put_ of rows, accumulating": (
        lambda x, i, j, v, w: (x * 1.0).index_put_((i,), v[:, None] * w, accumulate=True),
        True,
    ),
    "y[:, j] = v": (_put(lambda i, j: (slice(None), j), lambda v, w, y: v), False),
    "y[..., j] = y[..., :3] * 2": (
        _put(lambda i, j: (..., j), lambda v, w, y: y[..., :3] * 2),
        False,
    ),
}


@pytest.mark.parametrize("name", list(WRITES))
def test_writes_at_batched_indices_are_the_loops_and_torch_funcs(name: str) -> None:
    f, torch_computes = WRITES[name]
    args = (X, IDS, J, V, V6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        batching._warned.clear()  # the loop warns once per op: here, every time
        found = cf.vmap(f)(*map(cr.tensor, args))
    looped = cr.stack([f(*(cr.tensor(a[k]) for a in args)) for k in range(4)])
    np.testing.assert_array_equal(found.numpy(), looped.numpy())
    if torch_computes:
        expected = tf.vmap(f)(*map(torch.tensor, args))
        np.testing.assert_array_equal(found.numpy(), expected.numpy())


@pytest.mark.parametrize("accumulate", [False, True])
def test_gradients_through_a_write_at_batched_indices_are_torch_funcs(accumulate: bool) -> None:
    def f(x: Any, i: Any, v: Any) -> Any:
        y = x * 1.0
        if accumulate:
            y.index_put_((i,), v.sin()[:, None] * x[0], accumulate=True)
        else:
            y[i] = v.sin()[:, None] * x[0]
        return (y**2).sum()

    args = (X, IDS, V)
    expected = tf.vmap(tf.grad(f, argnums=(0, 2)))(*map(torch.tensor, args))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        batching._warned.clear()  # the loop warns once per op: here, every time
        found = cf.vmap(cf.grad(f, argnums=(0, 2)))(*map(cr.tensor, args))
    for a, b in zip(found, expected, strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)


@pytest.mark.parametrize("accumulate", [False, True])
def test_index_put_values_of_another_shape_are_refused_in_one_examples_shapes(
    accumulate: bool,
) -> None:
    """As without vmap: PyTorch's message names one example's shapes (torch.func's names
    the batch's, "[4, 7] ... [4, 3]")."""
    with pytest.raises(
        RuntimeError,
        match=r"value tensor of shape \[7\] cannot be broadcast to "
        r"indexing result of shape \[3\]",
    ):
        cf.vmap(lambda x, i: x.index_put((i,), cr.ones(7), accumulate=accumulate))(
            cr.zeros(4, 5), cr.tensor(IDS)
        )


def _loss_functions(loss: Any, m: Any, fn: Any, w: Any) -> list[Any]:
    """``loss`` of one example (logits, targets), its gradient and a tangent, in ``m``."""

    def f(a: Any, b: Any) -> Any:
        return loss(m.nn.functional, a, b, m.tensor(w))

    def tangent(a: Any, b: Any) -> Any:
        return fn.jvp(lambda v: f(v, b), (a,), (a.cos(),))[1]

    return [f, fn.grad(f), tangent]


@pytest.mark.parametrize(
    ("loss", "torch_computes"),
    [
        (lambda F, x, t, w: F.cross_entropy(x, t, ignore_index=0), True),
        (lambda F, x, t, w: F.nll_loss(x.log_softmax(-1), t, weight=w, ignore_index=0), True),
        (lambda F, x, t, w: F.cross_entropy(x, t, ignore_index=0, label_smoothing=0.2), True),
        # (torch.func refuses: "vmap: Attempted to vmap over `mask` in torch.masked_select")
        (
            lambda F, x, t, w: F.cross_entropy(x, t, weight=w, ignore_index=0, label_smoothing=0.2),
            False,
        ),
    ],
    ids=["cross_entropy", "nll_loss weighted", "cross_entropy smoothed", "smoothed, weighted"],
)
def test_a_mean_loss_of_an_example_that_ignores_every_target_is_nan_with_zero_gradient(
    loss: Any, torch_computes: bool
) -> None:
    """As without vmap (and torch.func): its value 0/0, its gradient and tangent 0, not nan;
    the other examples' as the loop's."""
    x = rng.standard_normal((3, 4, 3))
    t = np.array([[0, 0, 0, 0], [0, 1, 2, 1], [2, 2, 0, 1]])  # example 0: every target ignored
    w = np.array([1.0, 2.0, 0.5])
    mine = _loss_functions(loss, cr, cf, w)
    found = [cf.vmap(g)(cr.tensor(x), cr.tensor(t)) for g in mine]
    looped = [cr.stack([g(cr.tensor(x[k]), cr.tensor(t[k])) for k in range(3)]) for g in mine]
    for a, b in zip(found, looped, strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12, atol=1e-15)
    assert np.isnan(found[0][0].item())
    np.testing.assert_array_equal(found[1][0].numpy(), np.zeros((4, 3)))
    # (torch.func's tangent of the ignored example is nan: its value and gradient agree)
    theirs = _loss_functions(loss, torch, tf, w)[:2] if torch_computes else []
    for a, g in zip(found, theirs, strict=False):
        b = tf.vmap(g)(torch.tensor(x), torch.tensor(t))
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12, atol=1e-15)
