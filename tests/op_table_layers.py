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


BAG_INDEX = [1, 3, 9, 3, 0, 2, 7, 7]  # repeats within and across bags
BAG_OFFSETS = [0, 2, 2, 5]  # an empty bag
# PyTorch's embedding_bag has no forward-mode rule, nor a second derivative in its
# per-sample weights: its rows leave those checks to the rows without a PyTorch twin.
_NO_TORCH_JVP = {"jvp": "PyTorch's embedding_bag has no forward-mode rule to compare with"}
_NO_TORCH_SECOND = {
    "second_order": "PyTorch has no derivative of embedding_bag's per_sample_weights backward"
}
_CHAINRULE_ONLY = {"torch": "PyTorch's embedding_bag has no forward mode; the rows above compare"}


def _bags(mode: str, **options: Any) -> Any:
    """F.embedding_bag over BAG_INDEX cut at BAG_OFFSETS, of (table, *per-sample weights)."""
    offsets = BAG_OFFSETS + [len(BAG_INDEX)] if options.get("include_last_offset") else BAG_OFFSETS

    def build(F_: Any, lib: Any, weight: Any, *scales: Any) -> Any:
        return F_.embedding_bag(
            lib.tensor(BAG_INDEX),
            weight,
            lib.tensor(offsets),
            mode=mode,
            per_sample_weights=scales[0] if scales else None,
            **options,
        )

    return build


def _bag_rows(name: str, build: Any, covers: tuple[str, ...], shapes: Any) -> list[OpSpec]:
    """An embedding_bag row against PyTorch (no jvp, nor second order in per-sample weights)
    and its twin without PyTorch, which checks both against finite differences."""
    weighted = len(shapes[0]) > 1
    return [
        _row(
            name,
            build,
            covers,
            shapes,
            jvp=False,
            second_order=not weighted,
            why_off={**_NO_TORCH_JVP, **(_NO_TORCH_SECOND if weighted else {})},
        ),
        OpSpec(
            f"{name}_forward_mode",
            lambda *xs: build(F, cr, *xs),
            None,
            covers,
            shapes,
            why_off=_CHAINRULE_ONLY,
        ),
    ]


LAYERS_SPECS: list[OpSpec] = [
    *_bag_rows(
        "embedding_bag_sum_per_sample_weights",
        _bags("sum"),
        ("GetItem", "Where", "Mul", "Sum"),
        (((10, 3), (8,)),),
    ),
    *_bag_rows("embedding_bag_mean_padding", _bags("mean", padding_idx=3), ("Div",), (((10, 3),),)),
    *_bag_rows(
        "embedding_bag_max_last_offset",
        _bags("max", include_last_offset=True),
        ("MaxAlong",),
        (((10, 3),),),
    ),
    *_bag_rows(
        "embedding_bag_2d_mean",
        lambda F_, lib, w: F_.embedding_bag(lib.tensor([[4, 2, 4], [0, 1, 9]]), w),
        ("GetItem", "Sum", "Div"),
        (((10, 2),),),
    ),
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
