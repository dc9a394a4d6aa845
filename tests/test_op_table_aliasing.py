"""Over the whole op table: an output that shares memory with an input is that input's view,
with its version counter. An output that shared the memory and not the counter let an in-place
change through one reach the other unseen, and a backward then read the changed value: the
einsum of one operand whose subscripts it reorders was such an op (NumPy returns a view), and
``softmax(x).T``'s change through it gave softmax's backward a changed output (a wrong
gradient, where PyTorch refuses; see test_inplace_and_versions.py's EINSUM_VIEWS).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from gradcheck_util import outputs_of
from op_table import OpSpec, all_specs

import chainrule as cr

ROWS = [pytest.param(spec, id=spec.name) for spec in all_specs()]


@pytest.mark.parametrize("spec", ROWS)
def test_an_output_sharing_an_inputs_memory_shares_its_version_counter(spec: OpSpec) -> None:
    for shapes in spec.shapes:
        arrays = spec.sample(np.random.default_rng(0), shapes)
        # not leaves, which refuse changes in place through their views
        inputs = [
            cr.tensor(a, requires_grad=True) * 1 if a.dtype.kind == "f" else cr.tensor(a)
            for a in arrays
        ]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            outputs = [o for o in outputs_of(spec.fn(*inputs)) if isinstance(o, cr.Tensor)]
        for out in outputs:
            for i, x in enumerate(inputs):
                if out._data.size and np.shares_memory(out._data, x._data):
                    assert out._vc is x._vc, f"output shares input {i}'s memory, not its version"
