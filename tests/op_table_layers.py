"""Op-table rows for layer options and layers: LSTM proj_size, attention kdim/vdim, embedding
max_norm and bags, losses and dropouts.

The same ``OpSpec`` format as ``tests/op_table.py``: every row runs finite differences in
float64, second order, jvp, vmap, layouts, and values and gradients against PyTorch.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as TF
from op_table import OpSpec

import chainrule as cr
import chainrule.nn.functional as F


def _row(name: str, build: Any, covers: tuple[str, ...], shapes: Any, **kw: Any) -> OpSpec:
    """A row whose chainrule and PyTorch calls are the same code over ``F``/``TF`` (and the
    library, for constants)."""
    return OpSpec(
        name,
        lambda *xs: build(F, cr, *xs),
        lambda *xs: build(TF, torch, *xs),
        covers,
        shapes,
        **kw,
    )


def _attention(
    F_: Any, lib: Any, q: Any, k: Any, v: Any, w: Any, b: Any, bk: Any, bv: Any, wo: Any, bo: Any
) -> Any:
    """Two heads, packed projections, an extra key and value and a padding mask."""
    padding = lib.tensor([[False, True, False, False], [False, False, False, True]])
    out, weights = F_.multi_head_attention_forward(
        q, k, v, 4, 2, w, b, bk, bv, False, 0.0, wo, bo, key_padding_mask=padding
    )
    return out, weights


def _attention_separate(
    F_: Any, lib: Any, q: Any, k: Any, v: Any, wq: Any, wk: Any, wv: Any, wo: Any
) -> Any:
    """Keys and values of their own sizes, a zero key, per-head weights, unbatched."""
    return F_.multi_head_attention_forward(
        q,
        k,
        v,
        4,
        2,
        None,
        None,
        None,
        None,
        True,
        0.0,
        wo,
        None,
        use_separate_proj_weight=True,
        q_proj_weight=wq,
        k_proj_weight=wk,
        v_proj_weight=wv,
        average_attn_weights=False,
    )


LAYERS_SPECS: list[OpSpec] = [
    _row(
        "multi_head_attention_forward_bias_kv",
        _attention,
        ("MatMul", "Softmax", "Cat"),
        (((3, 2, 4), (4, 2, 4), (4, 2, 4), (12, 4), (12,), (1, 1, 4), (1, 1, 4), (4, 4), (4,)),),
    ),
    _row(
        "multi_head_attention_forward_separate_zero_attn",
        _attention_separate,
        ("MatMul", "Softmax", "Cat"),
        (((3, 4), (5, 3), (5, 2), (4, 4), (4, 3), (4, 2), (4, 4)),),
    ),
]
