"""Comparisons and arg-max indices are steps of the graph that carry no gradient.

As in PyTorch their results have ``requires_grad=False`` and ``grad_fn`` None (backward never
visits them); chainrule also keeps the step (``graph.source``), so ``graph.steps`` lists every
step of a computation, the mask behind a ``where`` and the indices behind a ``max`` included.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
import torch.func as tf

import chainrule as cr
import chainrule.func as cf
from chainrule import graph

VALUES = np.array([[0.5, -1.0, 2.0], [3.0, -0.25, 1.5]])

SNIPPETS = {
    "greater": lambda m, x: x > 0,
    "equal to a tensor": lambda m, x: x == x.flip(1),
    "logical not": lambda m, x: ~(x > 0),
    "isnan": lambda m, x: m.isnan(x.log()),
    "isclose": lambda m, x: m.isclose(x, x * 1.0000001),
    "argmax": lambda m, x: x.argmax(),
    "argmin along a dim": lambda m, x: m.argmin(x, 1, keepdim=True),
    "max's indices": lambda m, x: x.max(0).indices,
}


@pytest.mark.parametrize("snippet", SNIPPETS.values(), ids=SNIPPETS.keys())
def test_no_gradient_as_in_torch(snippet: Any) -> None:
    ours = snippet(cr, cr.tensor(VALUES, requires_grad=True))
    theirs = snippet(torch, torch.tensor(VALUES, requires_grad=True))
    assert (ours.requires_grad, ours.grad_fn) == (theirs.requires_grad, theirs.grad_fn)
    assert not ours.requires_grad and ours.grad_fn is None
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert graph.source(ours) is not None  # the step is kept for readers


def test_nothing_is_kept_when_nothing_requires_grad() -> None:
    x = cr.tensor(VALUES)
    assert graph.source(x > 0) is None and graph.source(x.argmax()) is None


def test_steps_show_the_mask_and_the_indices() -> None:
    x = cr.tensor(VALUES, requires_grad=True)
    y = cr.where(~(x > 0), x * 2, x).max(1).values.sum()
    names = [type(node).__name__ for node in graph.steps([y.grad_fn])]
    assert names == ["Compare", "Predicate", "Mul", "Where", "ArgExtreme", "MaxAlong", "Sum"]
    # backward walks only the differentiable nodes
    assert "Compare" not in [type(n).__name__ for n in graph.ancestors([y.grad_fn])]
    y.backward()
    t = torch.tensor(VALUES, requires_grad=True)
    torch.where(~(t > 0), t * 2, t).max(1).values.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy())


@pytest.mark.parametrize(
    "fn",
    [
        lambda m, r: r.argmax(),
        lambda m, r: r.argmax(keepdim=True),
        lambda m, r: m.argmin(r, 1),
        lambda m, r: r.max(0).values,
        lambda m, r: r.max(-1, keepdim=True).indices,
        lambda m, r: m.where(r > 0.5, r, -r),
    ],
    ids=["argmax", "argmax_keepdim", "argmin_dim", "max_dim", "max_indices", "where_mask"],
)
@pytest.mark.parametrize("axis", [0, -1])
def test_vmap_equals_torch_per_example(fn: Any, axis: int) -> None:
    """Against torch on each example, stacked: torch.func.vmap gives ``argmax(keepdim=True)``
    of a matrix shape (1,), where torch itself (and chainrule) give (1, 1)."""
    examples = np.random.default_rng(0).random((4, 2, 3))
    ours = cf.vmap(lambda r: fn(cr, r), in_dims=axis)(cr.tensor(np.moveaxis(examples, 0, axis)))
    theirs = torch.stack([fn(torch, torch.tensor(example)) for example in examples])
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_per_example_gradients_through_max() -> None:
    batch = np.random.default_rng(1).random((4, 2, 3))
    f_cr = cf.vmap(cf.grad(lambda r: r.max(1).values.sum()))
    f_torch = tf.vmap(tf.grad(lambda r: r.max(1).values.sum()))
    np.testing.assert_array_equal(
        f_cr(cr.tensor(batch)).numpy(), f_torch(torch.tensor(batch)).numpy()
    )
