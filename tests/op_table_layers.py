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
from op_table_random import seeded, torch_seeded

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


def _twin_rows(
    name: str, build: Any, covers: tuple[str, ...], shapes: Any, torch_op: str, second: bool
) -> list[OpSpec]:
    """A row against PyTorch, whose ``torch_op`` has no forward-mode rule (nor, unless
    ``second``, a second derivative), and its twin without PyTorch, which checks what the
    first cannot against finite differences."""
    off = {"jvp": f"PyTorch's {torch_op} has no forward-mode rule to compare with"}
    if not second:
        off["second_order"] = f"PyTorch has no derivative of {torch_op}'s backward"
    return [
        _row(name, build, covers, shapes, jvp=False, second_order=second, why_off=off),
        OpSpec(
            f"{name}_forward_mode",
            lambda *xs: build(F, cr, *xs),
            None,
            covers,
            shapes,
            why_off={"torch": f"PyTorch's {torch_op} has no forward mode; the row above compares"},
        ),
    ]


MULTILABEL_TARGET = [[3, 0, -1, 1], [2, 2, 1, -1], [-1, 0, 1, 2]]  # a repeat, an empty list


def _l1(x: Any, y: Any) -> Any:
    return (x - y).abs().sum(-1)


def _random_row(
    name: str, draw: Any, covers: tuple[str, ...], shapes: Any, twin: bool = True, **kw: Any
) -> OpSpec:
    """``draw(F, lib, *tensors)`` with each library's generator seeded alike: chainrule draws
    PyTorch's masks and noise, so the row is one function of its inputs, compared with
    PyTorch's unless ``twin`` is False (vmap draws per example)."""
    return OpSpec(
        name,
        seeded(lambda *xs: draw(F, cr, *xs)),
        torch_seeded(lambda *xs: draw(TF, torch, *xs)) if twin else None,
        covers,
        shapes,
        randomness="different",
        **kw,
    )


# PyTorch's gumbel_softmax draws its noise in place into empty_like(logits): under jacfwd the
# primal is unbatched, and vmap(randomness="different") refuses an in-place draw there.
_GUMBEL_NO_TORCH_JVP = {
    "jvp": "torch.func.jacfwd refuses gumbel_softmax's in-place draw on the unbatched primal"
}
_GUMBEL_FORWARD_ONLY = {
    "torch": "torch.func.jacfwd refuses gumbel_softmax's draw; the rows above compare"
}
# The hard sample's gradient is the soft sample's (straight through), not the derivative of
# the one-hot it returns, which is zero: finite differences have nothing to compare.
_STRAIGHT_THROUGH = {
    "finite_differences": "the straight-through gradient is by definition not the derivative "
    "of the one-hot value; PyTorch's gradients are compared"
}


def _gumbel_rows(name: str, draw: Any, shapes: Any, hard: bool) -> list[OpSpec]:
    off = _STRAIGHT_THROUGH if hard else {}
    return [
        _random_row(
            name,
            draw,
            ("Softmax", "Div"),
            shapes,
            jvp=False,
            finite_differences=not hard,
            why_off={**_GUMBEL_NO_TORCH_JVP, **off},
        ),
        _random_row(
            f"{name}_forward_mode",
            draw,
            ("Softmax", "Div"),
            shapes,
            twin=False,
            finite_differences=not hard,
            why_off={**_GUMBEL_FORWARD_ONLY, **off},
        ),
    ]


def _recurrent(name: str, bias: bool, bidirectional: bool) -> Any:
    """``lib.lstm`` or ``lib.gru`` (PyTorch's functional layers, whose weights are given) over
    a (steps, batch, features) input from the given first state: one layer, whose pass in
    each direction is one node in chainrule (LSTMLayer, GRULayer)."""

    def build(F_: Any, lib: Any, x: Any, *states_and_weights: Any) -> Any:
        states = states_and_weights[: 2 if name == "lstm" else 1]
        weights = list(states_and_weights[len(states) :])
        hx = states if name == "lstm" else states[0]
        return getattr(lib, name)(x, hx, weights, bias, 1, 0.0, False, bidirectional, False)

    return build


def _recurrent_shapes(name: str, bias: bool, directions: int) -> Any:
    """Shapes for :func:`_recurrent` with 3 hidden units: 4 steps of a batch of 2 features
    of 2, the first states, then per direction w_ih, w_hh (and b_ih, b_hh)."""
    gates, states = (4, 2) if name == "lstm" else (3, 1)
    weights = [(gates * 3, 2), (gates * 3, 3)] + ([(gates * 3,)] * 2 if bias else [])
    return (((4, 2, 2), *[(directions, 2, 3)] * states, *weights * directions),)


LAYERS_SPECS: list[OpSpec] = [
    # --- recurrent layers, each direction's pass one node
    *[
        _row(
            f"{name}_layer{suffix}",
            _recurrent(name, bias, directions == 2),
            (node,),
            _recurrent_shapes(name, bias, directions),
        )
        for name, node in (("lstm", "LSTMLayer"), ("gru", "GRULayer"))
        for suffix, bias, directions in (("", True, 1), ("_bidirectional_no_bias", False, 2))
    ],
    _row(
        "channel_shuffle",
        lambda F_, lib, x: F_.channel_shuffle(x, 3),
        ("Reshape", "Permute"),
        (((2, 6, 3),), ((1, 3, 2, 2),)),
    ),
    _random_row(
        "alpha_dropout",
        lambda F_, lib, x: F_.alpha_dropout(x, 0.3, training=True),
        ("Mul", "Add"),
        (((4, 5),), ((30, 10),)),
        layouts=False,
        why_off={"layouts": "the mask is drawn in x's memory order, as PyTorch's"},
    ),
    _random_row(
        "feature_alpha_dropout",
        lambda F_, lib, x: F_.feature_alpha_dropout(x, 0.4, training=True),
        ("Mul", "Add"),
        (((4, 5, 3),), ((6, 2),)),
    ),
    *_gumbel_rows(
        "gumbel_softmax",
        lambda F_, lib, x: F_.gumbel_softmax(x, tau=0.7, dim=0),
        (((4, 5),), ((3,),)),
        hard=False,
    ),
    *_gumbel_rows(
        "gumbel_softmax_hard",
        lambda F_, lib, x: F_.gumbel_softmax(x, hard=True),
        (((4, 5),),),
        hard=True,
    ),
    *[
        row
        for reduction in ("mean", "sum", "none")
        for row in _twin_rows(
            f"multilabel_margin_loss_{reduction}",
            lambda F_, lib, x, reduction=reduction: F_.multilabel_margin_loss(
                x, lib.tensor(MULTILABEL_TARGET), reduction=reduction
            ),
            ("Gather", "Where", "Sum"),
            (((3, 4),),),
            "multilabel_margin_loss",
            second=False,
        )
    ],
    *_twin_rows(
        "multilabel_margin_loss_one_sample",
        lambda F_, lib, x: F_.multilabel_margin_loss(x, lib.tensor([1, 3, -1, 0])),
        ("Gather", "Where"),
        (((4,),),),
        "multilabel_margin_loss",
        second=False,
    ),
    _row(
        "triplet_margin_with_distance_loss",
        lambda F_, lib, a, p, n: F_.triplet_margin_with_distance_loss(a, p, n, margin=2.0),
        ("Sub", "Clamp"),
        (((4, 3), (4, 3), (4, 3)), ((3,), (3,), (3,))),
    ),
    _row(
        "triplet_margin_with_distance_loss_l1_swap_none",
        lambda F_, lib, a, p, n: F_.triplet_margin_with_distance_loss(
            a, p, n, distance_function=_l1, margin=1.5, swap=True, reduction="none"
        ),
        ("Abs", "Minimum"),
        (((4, 3), (4, 3), (4, 3)),),
    ),
    *_twin_rows(
        "embedding_bag_sum_per_sample_weights",
        _bags("sum"),
        ("GetItem", "Where", "Mul", "Sum"),
        (((10, 3), (8,)),),
        "embedding_bag",
        second=False,  # in the per-sample weights
    ),
    *_twin_rows(
        "embedding_bag_mean_padding",
        _bags("mean", padding_idx=3),
        ("Div",),
        (((10, 3),),),
        "embedding_bag",
        second=True,
    ),
    *_twin_rows(
        "embedding_bag_max_last_offset",
        _bags("max", include_last_offset=True),
        ("MaxAlong",),
        (((10, 3),),),
        "embedding_bag",
        second=True,
    ),
    *_twin_rows(
        "embedding_bag_2d_mean",
        lambda F_, lib, w: F_.embedding_bag(lib.tensor([[4, 2, 4], [0, 1, 9]]), w),
        ("GetItem", "Sum", "Div"),
        (((10, 2),),),
        "embedding_bag",
        second=True,
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
