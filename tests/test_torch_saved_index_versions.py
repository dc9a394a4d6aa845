"""An index tensor changed in place after an op read it, then the backward: PyTorch's node
saved the index and refuses ("one of the variables needed for gradient computation has been
modified by an inplace operation"); chainrule's node keeps the index's array, which the
change rewrote, so it read the new indices and gave a wrong gradient without a word (and so
with binary cross-entropy's weights). Now its node guards the tensor as it guards an input
(``ops.indexing.guard_indices``).

Each row runs with ``T`` as torch and as chainrule; what it leaves in ``out`` (the gradient, or
the error's type and first line) must be the same. The named rows at the end are ops whose
node keeps its own copy of the indices (a target, a mask made anew): chainrule's gradient is
that of the indices as they were, where PyTorch refuses.
"""

from __future__ import annotations

import pytest
import torch
from snippet_outcome import outcome

import chainrule as cr

GUARDED = {
    "setitem with a mask": """
        x = T.ones(3, requires_grad=True); y = x * 1
        m = T.tensor([True, False, True]); y[m] = 5.0; m[1] = True
        y.sum().backward(); out = x.grad
    """,
    "setitem into a view": """
        x = T.ones(4, requires_grad=True); y = x * 1; v = y[1:]
        m = T.tensor([True, False, True]); v[m] = 5.0; m[1] = True
        y.sum().backward(); out = x.grad
    """,
    "getitem with a mask": """
        x = T.ones(3, requires_grad=True)
        m = T.tensor([True, False, True]); z = x[m]; m[1] = True
        (z * T.tensor([1.0, 2.0])).sum().backward(); out = x.grad
    """,
    "getitem with an index tensor": """
        x = T.ones(3, requires_grad=True)
        i = T.tensor([0, 2]); z = x[i]; i[0] = 1
        (z * T.tensor([1.0, 2.0])).sum().backward(); out = x.grad
    """,
    "getitem with two index tensors": """
        x = T.ones(3, 3, requires_grad=True)
        i = T.tensor([0, 2]); j = T.tensor([1, 1]); z = x[i, j]; j[0] = 2
        (z * T.tensor([1.0, 2.0])).sum().backward(); out = x.grad
    """,
    "index changed under no_grad": """
        x = T.ones(3, requires_grad=True); i = T.tensor([0, 2]); z = x[i]
        with T.no_grad():
            i[0] = 1
        z.sum().backward(); out = x.grad
    """,
    "autograd.grad": """
        x = T.ones(3, requires_grad=True); i = T.tensor([0, 2]); z = x[i]; i.add_(0)
        out = T.autograd.grad(z.sum(), x)
    """,
    "changed after the backward": """
        x = T.ones(3, requires_grad=True); i = T.tensor([0, 2]); z = x[i]
        z.sum().backward(); i[0] = 1; out = x.grad
    """,
    "index_select": """
        x = T.ones(3, requires_grad=True)
        i = T.tensor([0, 2]); z = x.index_select(0, i); i[0] = 1
        (z * T.tensor([1.0, 2.0])).sum().backward(); out = x.grad
    """,
    "gather": """
        x = T.ones(3, requires_grad=True)
        i = T.tensor([0, 2]); z = x.gather(0, i); i[0] = 1
        (z * T.tensor([1.0, 2.0])).sum().backward(); out = x.grad
    """,
    "take": """
        x = T.ones(3, requires_grad=True)
        i = T.tensor([0, 2]); z = T.take(x, i); i[0] = 1
        (z * T.tensor([1.0, 2.0])).sum().backward(); out = x.grad
    """,
    "index_put_": """
        x = T.ones(3, requires_grad=True); y = x * 1
        i = T.tensor([0, 2]); y.index_put_((i,), T.tensor([5.0, 6.0])); i[0] = 1
        y.sum().backward(); out = x.grad
    """,
    "index_put_ into a view": """
        x = T.ones(4, requires_grad=True); y = x * 1; v = y[1:]
        i = T.tensor([0, 2]); v.index_put_((i,), T.tensor([5.0, 6.0])); i[0] = 1
        y.sum().backward(); out = x.grad
    """,
    "scatter": """
        x = T.ones(3, requires_grad=True)
        i = T.tensor([0, 2]); z = T.zeros(3).scatter(0, i, x[:2]); i[0] = 1
        (z * T.tensor([1.0, 2.0, 3.0])).sum().backward(); out = x.grad
    """,
    "scatter_add": """
        x = T.ones(3, requires_grad=True)
        i = T.tensor([0, 2]); z = T.zeros(3).scatter_add(0, i, x[:2]); i[0] = 1
        (z * T.tensor([1.0, 2.0, 3.0])).sum().backward(); out = x.grad
    """,
    "scatter_reduce": """
        x = T.ones(3, requires_grad=True)
        i = T.tensor([0, 2]); z = T.zeros(3).scatter_reduce(0, i, x[:2], "sum"); i[0] = 1
        (z * T.tensor([1.0, 2.0, 3.0])).sum().backward(); out = x.grad
    """,
    "index_add": """
        x = T.ones(3, requires_grad=True)
        i = T.tensor([0, 2]); z = T.zeros(3).index_add(0, i, x[:2]); i[0] = 1
        (z * T.tensor([1.0, 2.0, 3.0])).sum().backward(); out = x.grad
    """,
    "index_copy": """
        x = T.ones(3, requires_grad=True)
        i = T.tensor([0, 2]); z = T.zeros(3).index_copy(0, i, x[:2]); i[0] = 1
        (z * T.tensor([1.0, 2.0, 3.0])).sum().backward(); out = x.grad
    """,
    "embedding": """
        w = T.ones(4, 2, requires_grad=True)
        i = T.tensor([0, 2]); z = T.nn.functional.embedding(i, w); i[0] = 1
        z.sum().backward(); out = w.grad
    """,
    "binary_cross_entropy's weight": """
        x = T.full((3,), 0.5, requires_grad=True); w = T.tensor([1.0, 2.0, 3.0])
        loss = T.nn.functional.binary_cross_entropy(x, T.tensor([0.0, 1.0, 1.0]), weight=w)
        w[0] = 5.0; loss.backward(); out = x.grad
    """,
    "binary_cross_entropy_with_logits' pos_weight": """
        x = T.zeros(3, requires_grad=True); w = T.tensor([1.0, 2.0, 3.0]); t = T.ones(3)
        loss = T.nn.functional.binary_cross_entropy_with_logits(x, t, pos_weight=w)
        w[1] = 5.0; loss.backward(); out = x.grad
    """,
    "unchanged index": """
        x = T.ones(3, requires_grad=True); i = T.tensor([0, 2]); z = x[i] * x.gather(0, i)
        i.clone().add_(1)
        z.sum().backward(); out = x.grad
    """,
}


@pytest.mark.parametrize("name", GUARDED)
def test_an_index_changed_in_place_is_refused_as_in_pytorch(name: str) -> None:
    assert outcome(cr, GUARDED[name]) == outcome(torch, GUARDED[name])


# ops whose node keeps its own copy of the indices: the gradient of the indices as they were
KEPT = {
    "cross_entropy target": (
        "x = T.zeros(2, 3, requires_grad=True); t = T.tensor([0, 2])\n"
        "loss = T.nn.functional.cross_entropy(x, t); t[0] = 1; loss.backward(); out = x.grad",
        [[-1 / 3, 1 / 6, 1 / 6], [1 / 6, 1 / 6, -1 / 3]],
    ),
    "nll_loss class weights": (
        "x = T.zeros(2, 3, requires_grad=True); w = T.tensor([1.0, 2.0, 3.0])\n"
        "loss = T.nn.functional.nll_loss(x, T.tensor([0, 2]), weight=w); w[0] = 5.0\n"
        "loss.backward(); out = x.grad",
        [[-0.25, 0.0, 0.0], [0.0, 0.0, -0.75]],
    ),
    "masked_select": (
        "x = T.ones(3, requires_grad=True); m = T.tensor([True, False, True])\n"
        "z = T.masked_select(x, m); m[1] = True\n"
        "(z * T.tensor([1.0, 2.0])).sum().backward(); out = x.grad",
        [1.0, 0.0, 2.0],
    ),
    "index_fill": (
        "x = T.ones(3, requires_grad=True); i = T.tensor([0, 2])\n"
        "z = x.index_fill(0, i, 0.0); i[0] = 1\n"
        "(z * T.tensor([1.0, 2.0, 3.0])).sum().backward(); out = x.grad",
        [0.0, 2.0, 0.0],
    ),
}


@pytest.mark.parametrize("name", KEPT)
def test_a_node_with_its_own_copy_of_the_indices_differs_by_a_right_gradient(name: str) -> None:
    code, expected = KEPT[name]
    assert outcome(torch, code).startswith("RuntimeError: one of the variables needed")
    env = {"T": cr}
    exec(code, env)  # noqa: S102 - the snippets are ours
    assert env["out"].reshape(-1).tolist() == pytest.approx(
        sum(expected, []) if isinstance(expected[0], list) else expected
    )
