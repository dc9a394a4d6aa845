"""A second ``backward()`` without ``retain_graph``, over every op-table row.

PyTorch frees a node's saved tensors after a backward, not the node: a graph whose nodes saved
nothing (``(x + 1).sum()``) backwards again, and one that saved a tensor says it was freed.
chainrule's freed node keeps only stand-ins of its large arrays (their shape and dtype; see
backward._unguarded_record), so a rule that read one would give a wrong gradient, silently.
Here every array counts as large, so every row runs through the stand-ins: where chainrule
backwards twice, its gradient must be the first one doubled (accumulated), and PyTorch's;
where PyTorch refuses, chainrule must refuse too, with its words; where PyTorch runs, so must
chainrule (rows with no PyTorch twin: a forward-mode row takes the twin of the row it repeats;
the others, the doubling alone, or their refusal named below).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from gradcheck_util import outputs_of, weighted_outputs
from op_table import OpSpec, all_specs, torch_twin

import chainrule as cr
from chainrule.autodiff import backward as engine

FREED = "Trying to backward through the graph a second time"


def _twice(lib: Any, fn: Any, arrays: list[np.ndarray], weights: list[np.ndarray]) -> Any:
    """The gradients after one backward, then after a second (or the second's error)."""
    inputs, pairs = weighted_outputs(lib, fn, arrays, weights)
    if not pairs:
        return None
    outputs, cotangents = zip(*pairs, strict=True)
    lib.autograd.backward(outputs, cotangents)
    first = [None if x.grad is None else x.grad.numpy().copy() for x in inputs]
    try:
        lib.autograd.backward(outputs, cotangents)
    except RuntimeError as e:
        return first, str(e).splitlines()[0]
    return first, [None if x.grad is None else x.grad.numpy().copy() for x in inputs]


# Rows whose second backward runs in chainrule where PyTorch's refuses: PyTorch's node saved a
# tensor its formula does not need there (max/min/sort of a 0-d tensor keep their index, a
# convolution marked by its input and embedding's backward with scale_grad_by_freq keep the
# input or the indices); chainrule's rules read nothing, and so give the right gradient twice.
RUNS_WHERE_PYTORCH_REFUSES = {
    "max_dim_of_scalar",
    "min_dim_of_scalar",
    "sort_of_scalar",
    "convolution_gradient_marked_by_its_input",
    "embedding_dense_backward_scale_grad_by_freq",
}
# No row is refused where PyTorch's second backward runs (43 were): a composite marks the
# constants it makes (add's alpha, lerp's number weight, tril's mask, diag's and interpolate's
# indices and weights, affine_grid's base grid: ``op.own_constants``), and einsum of one
# operand reads nothing (``op.OTHER_FACTORS``). The test below asserts it for every row.
# Rows with no PyTorch twin whose second backward chainrule refuses, as PyTorch's would.
REFUSED_WITHOUT_A_TWIN = {
    # PyTorch's DigammaBackward0 and PolygammaBackward0 save the input (no twin: trigamma's
    # accuracy)
    "digamma",
    "polygamma",
    # chainrule's own op (no PyTorch one), whose rules read both inputs
    "igamma_density_second_order",
    # PyTorch's NativeDropoutBackward0 saves the mask (no twin: chainrule draws its own)
    "dropout_seeded_mask",
    # the inverse's and the norms' rules read their values (no twin: PyTorch's backward fails)
    "linalg_cond_fro",
}
ROWS = [pytest.param(spec, id=spec.name) for spec in all_specs()]


@pytest.mark.parametrize("spec", ROWS)
def test_second_backward_as_pytorch(
    spec: OpSpec, rng: np.random.Generator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "_SMALL_ARRAY", 0)  # every freed node through its stand-ins
    arrays = spec.sample(rng, spec.shapes[0])
    probe = outputs_of(spec.fn(*[cr.tensor(a) for a in arrays]))
    weights = [rng.standard_normal(tuple(y.shape)) for y in probe]
    ours = _twice(cr, spec.fn, arrays, weights)
    if ours is None:
        return  # nothing differentiable comes out (an integer result): nothing to backward
    first, second = ours
    twin = torch_twin(spec)  # (None: no PyTorch twin, only the doubling is checked)
    theirs = None if twin is None else _twice(torch, twin, arrays, weights)
    torch_second = None if theirs is None else theirs[1]
    # each set names rows of its kind only: none stays listed once it is not
    assert spec.name not in RUNS_WHERE_PYTORCH_REFUSES or isinstance(torch_second, str)
    assert spec.name not in REFUSED_WITHOUT_A_TWIN or torch_second is None
    if isinstance(torch_second, str):  # PyTorch refuses: so must chainrule, in its words
        assert torch_second.startswith(FREED), torch_second
        if spec.name not in RUNS_WHERE_PYTORCH_REFUSES:
            assert isinstance(second, str) and second.startswith(FREED), second
            return
    if spec.name in REFUSED_WITHOUT_A_TWIN:
        assert isinstance(second, str) and second.startswith(FREED), second
        return
    # PyTorch's runs (or, with no twin, nothing says it would not): so must chainrule's
    assert not isinstance(second, str), f"refused where PyTorch's runs: {second}"
    for i, (g1, g2) in enumerate(zip(first, second, strict=True)):
        if g1 is None:
            assert g2 is None
            continue
        np.testing.assert_allclose(g2, 2 * g1, rtol=1e-12, atol=0)  # the same rules, again
        if isinstance(torch_second, list):
            np.testing.assert_allclose(g2, torch_second[i], rtol=1e-7, atol=1e-10)
