"""Over the whole op table: a value changed in place between the forward and the backward
(the output, or one input) either makes the backward raise or leaves every gradient as it
was. Never a third outcome: a gradient computed from the changed value, silently.

A rule that reads a value its op does not guard gives the third one. ``copysign`` read its
output and did not guard it (``y = copysign(a, b); y.add_(1)`` moved ``a``'s gradient), and
the decompositions' parts read the factors that their outputs hold (see also
test_inplace_and_versions.py's DECOMPOSED_THEN_CHANGED). Which of the two allowed outcomes
each row gives is PyTorch's choice, compared for some rows in test_inplace_and_versions.py.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from fuzz_programs import weights
from gradcheck_util import outputs_of
from op_table import OpSpec, all_specs

import chainrule as cr

CHANGES = ("output", 0, 1, 2, 3)  # the output, or the input at that position

ROWS = [pytest.param(spec, id=spec.name) for spec in all_specs()]


def _gradients(spec: OpSpec, arrays: list[np.ndarray], change: Any, step: float | None) -> Any:
    """The inputs' gradients of a weighted sum of the float outputs, after ``change`` was
    moved by ``step`` in place between the forward and the backward (None: left alone);
    None where there is nothing to change."""
    leaves = [cr.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    inputs = [x * 1 if x.requires_grad else x for x in leaves]  # not leaves: may change
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        outputs = [o for o in outputs_of(spec.fn(*inputs)) if o.requires_grad]
    if not outputs or not all(o.is_floating_point() for o in outputs):
        return None
    loss = sum((o * cr.tensor(weights(tuple(o.shape)), dtype=o.dtype)).sum() for o in outputs)
    if change == "output":
        if any(o._base is not None for o in outputs):  # a view: another row's question
            return None
        changed = outputs
    elif change < len(inputs) and inputs[change].requires_grad:
        changed = [inputs[change]]
    else:
        return None
    if step is not None:
        for x in changed:
            x.add_(step)
    loss.backward()
    return [None if x.grad is None else x.grad.numpy().copy() for x in leaves]


@pytest.mark.parametrize("spec", ROWS)
def test_a_value_changed_after_the_forward_raises_or_changes_nothing(spec: OpSpec) -> None:
    arrays = spec.sample(np.random.default_rng(0), spec.shapes[0])
    for change in CHANGES:
        unchanged = _gradients(spec, arrays, change, None)
        if unchanged is None:
            continue
        try:
            moved = _gradients(spec, arrays, change, 0.37)
        except RuntimeError as error:
            assert "modified by an inplace operation" in str(error), change
            continue
        for before, after in zip(unchanged, moved, strict=True):
            assert (before is None) == (after is None), change
            if before is not None:
                np.testing.assert_array_equal(after, before, err_msg=f"{change} changed")
