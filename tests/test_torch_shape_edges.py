"""Shape functions at the edges a random fuzz of their arguments found (3,000 calls of
reshape, view, permute, expand, split, unflatten, index_select, mT and the rest on tensors of
0 to 3 dimensions, against torch 2.13): each snippet runs on both libraries and must leave
the same result, or raise the same error type and first line.

Where PyTorch itself answers with an internal error (``unflatten`` of a 0-d tensor, two -1
sizes: "unflatten got an unexpected error" and a C++ traceback) chainrule keeps its own
message, and no row asserts it.
"""

from __future__ import annotations

import subprocess
import sys
import warnings

import pytest
import torch
from snippet_outcome import outcome

import chainrule as cr

SNIPPETS = {
    # mT, mH, H, adjoint of fewer than two dimensions: a 0-d tensor is its own (the same
    # object, with a deprecation warning), a vector is refused
    "mT_of_a_scalar": "x = T.tensor(2.0, requires_grad=True); out = (x.mT is x, x.mT.grad_fn)",
    "mH_of_a_scalar": "x = T.tensor(2.0); out = x.mH is x",
    "H_of_a_scalar": "x = T.tensor(2.0); out = x.H is x",
    "adjoint_of_a_scalar": "x = T.tensor(2.0); out = x.adjoint() is x",
    "mT_of_a_vector": "out = T.zeros(3).mT",
    "mH_of_a_vector": "out = T.zeros(3).mH",
    "H_of_a_vector": "out = T.zeros(3).H",
    "H_of_a_batch": "out = T.zeros(2, 3, 4).H",
    "mT_of_a_batch": "out = T.zeros(2, 3, 4).mT.shape",
    # split with sizes: negative sizes refused first; the dimension named as given
    "split_negative_size": "out = T.zeros(4, 2, 2).split([2, 6, 4, -1], 1)",
    "split_sizes_not_summing": "out = T.zeros(4, 1).split([3], -2)",
    "split_sizes_summing": "out = [p.shape for p in T.zeros(4, 1).split([3, 0, 1], -2)]",
    # flatten of a range beside a size 0: the product, where a -1 would be ambiguous (raised)
    "flatten_beside_size_0": "out = T.zeros(0, 3, 4).flatten(1, 2).shape",
    "flatten_of_sizes_with_0": "out = T.zeros(3, 4, 1, 0).flatten(1, 2).shape",
    "flatten_grad_beside_size_0": (
        "x = T.zeros(0, 3, 4, requires_grad=True); x.flatten(1).sum().backward(); "
        "out = x.grad.shape"
    ),
    # tensordot's refusal numbers the dims of an int ``dims`` from the end, as PyTorch's
    "tensordot_mismatch_of_int_dims": "out = T.tensordot(T.ones(2, 3, 4), T.ones(3, 5, 6), 2)",
    # unflatten: empty sizes refused before the dimension is read
    "unflatten_empty_sizes_bad_dim": "out = T.zeros(2, 3).unflatten(5, [])",
    "unflatten_sizes_not_multiplying": "out = T.zeros(4).unflatten(0, [3, 2])",
    # permute: each dimension wrapped, then checked against those before it
    "permute_duplicate_before_out_of_range": "out = T.zeros(1, 4, 4).permute([0, 0, 5])",
    "permute_out_of_range_first": "out = T.zeros(1, 4, 4).permute([4, 0, 0])",
    "permute_negative_duplicate": "out = T.zeros(1, 4, 4).permute([-1, 2, 4])",
    # index_select of a 0-d tensor: one index, 0
    "index_select_scalar": (
        "x = T.tensor(2.5, requires_grad=True); y = x.index_select(0, T.tensor([0])); "
        "y.backward(); out = (y, x.grad, type(y.grad_fn).__name__ if T.__name__ == 'torch' "
        "else y.grad_fn.name())"
    ),
    "index_select_scalar_two_indices": "out = T.tensor(2.5).index_select(0, T.tensor([0, 1]))",
    "index_select_scalar_no_index": (
        "out = T.tensor(2.5).index_select(0, T.tensor([], dtype=T.int64))"
    ),
    "index_select_scalar_index_one": "out = T.tensor(2.5).index_select(0, T.tensor([1]))",
    "index_select_scalar_matrix_index": "out = T.tensor(2.5).index_select(0, T.tensor([[0]]))",
}


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_snippet_gives_what_pytorch_gives(name: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch warns once a process: compared apart below
        assert outcome(cr, SNIPPETS[name]) == outcome(torch, SNIPPETS[name])


@pytest.mark.parametrize(
    ("name", "advice"),
    [
        ("mT", "This function is the identity in these cases."),
        ("mH", "Consider using x.conj()."),
        ("H", "Consider using x.conj()."),
    ],
)
def test_a_matrix_transpose_of_a_scalar_warns_in_pytorchs_words(name: str, advice: str) -> None:
    with pytest.warns(UserWarning, match=f"^Tensor.{name} is deprecated on 0-D tensors. {advice}"):
        getattr(cr.tensor(2.0), name)


REVERSING_T = """
import warnings, {lib} as T
warnings.simplefilter("always")
with warnings.catch_warnings(record=True) as seen:
    for shape in [(3,), (2, 3, 4), (), (), (2, 2), (5,)]:
        T.zeros(shape).T
print([str(w.message).split(" (Triggered")[0].replace("torch.", "chainrule.") for w in seen])
"""


def test_t_beyond_matrices_warns_once_a_process_in_pytorchs_words() -> None:
    """``x.T`` of a vector or a batch, and of a 0-d tensor: PyTorch's two deprecation
    warnings, each once a process (so each library runs in a fresh one)."""
    said = [
        subprocess.run(
            [sys.executable, "-c", REVERSING_T.format(lib=lib)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for lib in ("torch", "chainrule")
    ]
    assert said[0] == said[1]
    assert said[1].count("deprecated") == 2
