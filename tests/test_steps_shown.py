"""Steps without gradient are shown: dropout's mask is a step of the graph, and the explainer
and the pictures show every step (a comparison, arg-max indices, a dropout mask) as one that
carries no gradient.

Gradients and values are PyTorch's (the same seed draws the same dropout mask); what is new is
only what a reader of the graph sees.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import graph
from chainrule.ops.dropout import DropoutMask, dropout_mask

VALUES = np.array([[0.5, -1.0, 2.0], [3.0, -0.25, 1.5]])


def _leaf(m: Any) -> Any:
    return m.tensor(VALUES, requires_grad=True)


def test_steps_list_the_dropout_mask_and_gradients_are_torchs() -> None:
    x = _leaf(cr)
    cr.manual_seed(3)
    y = (F.dropout(x, 0.4) * 2).sum()
    names = [type(node).__name__ for node in graph.steps([y.grad_fn])]
    assert names == ["DropoutMask", "Mul", "Mul", "Sum"]
    assert "DropoutMask" not in [type(n).__name__ for n in graph.ancestors([y.grad_fn])]
    y.backward()
    t = _leaf(torch)
    torch.manual_seed(3)
    expected = (torch.nn.functional.dropout(t, 0.4) * 2).sum()
    expected.backward()
    assert y.item() == expected.item()
    np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())


def test_the_mask_is_a_step_only_while_gradients_are_recorded() -> None:
    x = _leaf(cr)
    mask = dropout_mask(x, 0.5)
    assert isinstance(graph.source(mask), DropoutMask)
    assert not mask.requires_grad and mask.grad_fn is None  # no gradient, as in PyTorch
    with cr.no_grad():
        assert graph.source(dropout_mask(x, 0.5)) is None
    assert graph.source(dropout_mask(cr.tensor(VALUES), 0.5)) is None


def _where(x: Any) -> Any:
    return cr.where(x > 0, x, 0.0).sum()


def _relu_by_comparison(x: Any) -> Any:
    return (x * (x > 0)).sum()


@pytest.mark.parametrize(
    ("fn", "torch_fn"),
    [
        (_where, lambda t: torch.where(t > 0, t, 0.0).sum()),
        (_relu_by_comparison, lambda t: (t * (t > 0)).sum()),
    ],
    ids=["where", "relu-by-comparison"],
)
def test_explain_lists_the_comparison_as_a_constant_step(fn: Any, torch_fn: Any) -> None:
    e = cr.explain(fn, cr.tensor(VALUES))
    first = e.forward[0]
    assert (first.name, first.op, first.expression, first.constant) == (
        "u1",
        "Compare",
        "x > 0",
        True,
    )
    np.testing.assert_array_equal(first.value, VALUES > 0)
    assert not any(step.constant for step in e.forward[1:])
    text = e.to_text()
    assert re.search(r"^  u1 = x > 0 .*\(no gradient\)$", text, re.MULTILINE)
    mask = str((VALUES > 0).tolist())  # printed as PyTorch prints a mask: True, False
    assert re.search(rf"^  u1 = x > 0 += \(2, 3\) {re.escape(mask)} ", text, re.MULTILINE)
    said = "u1 = x > 0 is a constant for the chain rule: no gradient flows through it"
    assert text.count(said) == 1
    assert said in e.to_markdown() and html.escape(said) in e.to_html()
    # The chain rule passes the mask by: one path, the gradient PyTorch's.
    t = cr.tensor(VALUES)._data.copy()
    expected = torch.tensor(t, requires_grad=True)
    torch_fn(expected).backward()
    gradient = e.gradient_of("x")
    np.testing.assert_array_equal(gradient.gradient, expected.grad.numpy())
    assert gradient.path_count == 1 and not e.notes
    data = json.loads(e.to_json())
    assert [(s["node"], s["constant"]) for s in data["forward"]][:2] == [
        ("Compare", True),
        ("WhereBackward0" if fn is _where else "MulBackward0", False),
    ]


def test_explain_shows_the_indices_behind_max() -> None:
    e = cr.explain(lambda x: x.max(1).values.sum(), cr.tensor(VALUES))
    assert [(s.op, s.constant) for s in e.forward] == [
        ("ArgExtreme", True),
        ("MaxAlong", False),
        ("Sum", False),
    ]
    assert "u1 = argmax(x) is a constant for the chain rule" in e.to_text()


def test_explain_of_dropout_keeps_the_mask_it_drew() -> None:
    """The finite differences replay the recorded mask, not a fresh draw: they agree."""
    cr.manual_seed(0)
    model = cr.nn.Sequential(cr.nn.Linear(3, 4), cr.nn.Dropout(0.5), cr.nn.Linear(4, 1))
    model.double()  # the float64 input's dtype: a linear layer does not promote, as PyTorch's
    e = cr.explain(lambda x: model(x).sum(), cr.tensor(VALUES), modules=model)
    mask = next(step for step in e.forward if step.op == "DropoutMask")
    assert mask.constant and mask.module == "1"  # inside the Dropout module's cluster
    assert set(np.unique(mask.value)) <= {0.0, 2.0}
    assert mask.expression == "bernoulli(1 - 0.5) / (1 - 0.5) in the shape of u1"
    assert not e.notes  # finite differences agree with every gradient
    for gradient in e.gradients:
        np.testing.assert_allclose(gradient.gradient, gradient.finite_difference, rtol=1e-5)


def test_picture_draws_the_step_as_a_dashed_grey_box() -> None:
    e = cr.explain(_where, cr.tensor(VALUES))
    drawn = cr.viz.draw(e)
    source = drawn.source
    op = re.search(r'"op/u1" \[(.*)\]', source).group(1)
    assert 'label="Compare\\nx > 0 (no gradient)"' in op
    assert "style=dashed" in op and "shape=box" in op and "color=grey50" in op
    # Dashed edges: nothing flows back along them; the other edges stay solid.
    assert re.search(r'"value/u1" -> "op/u2" \[.*style=dashed', source)
    assert not re.search(r'"value/x" -> "op/u2" \[.*style=dashed', source)
    svg = drawn.pipe(format="svg").decode()
    group = re.search(r"<title>op/u1</title>(.*?)</g>", svg, re.DOTALL).group(1)
    assert "stroke-dasharray" in group and "x &gt; 0 (no gradient)" in group


def test_steps_stop_where_asked() -> None:
    x = _leaf(cr)
    h = x * 2
    y = cr.where(h > 0, h, 0.0).sum()
    names = [type(n).__name__ for n in graph.steps([y.grad_fn], stop={id(h.grad_fn)})]
    assert names == ["Compare", "Where", "Sum"]
