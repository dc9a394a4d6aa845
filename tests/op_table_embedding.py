"""Op-table rows for embedding lookups with PyTorch's backward conventions: ``padding_idx`` and
``scale_grad_by_freq`` (``chainrule.ops.embedding``).

The same ``OpSpec`` format as ``tests/op_table.py``. Where an index repeats, or a pick is at
``padding_idx``, the vjp is PyTorch's convention and not the derivative: those rows keep the
comparisons with PyTorch (values and gradients, float64 and float32) and switch off what
checks a derivative. A row of distinct indices, where the convention is the derivative,
keeps every check (jvp, second order, vmap against PyTorch's). ``tests/test_embedding_freq.py``
compares forward mode, second order and vmap with PyTorch's where indices repeat.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as TF
from op_table import OpSpec

import chainrule as cr
import chainrule.nn.functional as F
from chainrule.ops.embedding import Embedding, EmbeddingDenseBackward, inverse_counts

REPEATS = [[0, 2, 2], [4, 2, 0]]  # row 2 three times, row 0 twice
DISTINCT = [[3, 0], [1, 4]]
TABLE = (5, 3)

_NOT_DERIVATIVE = (
    "with repeated indices (or picks at padding_idx) the gradient is PyTorch's convention, "
    "each pick's gradient divided by its row's count, not the derivative"
)
_WHY_OFF = {
    "finite_differences": _NOT_DERIVATIVE,
    "second_order": f"{_NOT_DERIVATIVE}; tests/test_embedding_freq.py compares second order "
    "(create_graph, hessian) with PyTorch's",
    "jvp": "forward mode is the plain lookup (PyTorch's jvp), so <u, J v> by jvp and by the "
    "scaled vjp differ by design; tests/test_embedding_freq.py compares the jvp with "
    "torch.func.jvp",
}


def _lookup_row(name: str, index: Any, padding_idx: int | None, **kw: Any) -> OpSpec:
    """F.embedding(index, table, padding_idx, scale_grad_by_freq=True), in both libraries."""

    def build(F_: Any, lib: Any, w: Any) -> Any:
        return F_.embedding(lib.tensor(index), w, padding_idx, scale_grad_by_freq=True)

    return OpSpec(
        name,
        lambda w: build(F, cr, w),
        lambda w: build(TF, torch, w),
        ("Embedding",),
        ((TABLE,),),
        **kw,
    )


def _dense_backward(g: Any) -> Any:
    """Embedding's vjp applied directly (as under create_graph), so that its own rules run."""
    index = np.array(REPEATS)
    scales = inverse_counts(index, index, TABLE[0], g.dtype)
    kept = (index != 2)[..., None]
    return EmbeddingDenseBackward(Embedding((index,), scales, kept), TABLE)(g)


def _torch_dense_backward(g: Any) -> Any:
    return torch.ops.aten.embedding_dense_backward(g, torch.tensor(REPEATS), TABLE[0], 2, True)


_CONVENTION = {"finite_differences": False, "second_order": False, "jvp": False}

EMBEDDING_SPECS = [
    _lookup_row("embedding_scale_grad_by_freq", REPEATS, None, **_CONVENTION, why_off=_WHY_OFF),
    _lookup_row(
        "embedding_scale_grad_by_freq_padding", REPEATS, -3, **_CONVENTION, why_off=_WHY_OFF
    ),
    _lookup_row("embedding_scale_grad_by_freq_distinct", DISTINCT, None),
    OpSpec(
        "embedding_dense_backward_scale_grad_by_freq",
        _dense_backward,
        _torch_dense_backward,
        ("EmbeddingDenseBackward",),
        (((2, 3, 3),),),
        finite_differences=False,
        jvp=False,
        why_off={
            "finite_differences": "its vjp is PyTorch's double backward of embedding, the "
            "unscaled lookup, not the transpose of this scaled scatter",
            "jvp": "forward mode is the scaled scatter itself and the vjp the unscaled lookup: "
            "<u, J v> by each differs by design; tests/test_embedding_freq.py compares "
            "forward over reverse with PyTorch's",
        },
    ),
]
