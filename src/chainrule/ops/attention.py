"""Scaled dot-product attention, ``softmax(Q K^T / sqrt(d) + mask) V``, as PyTorch's
``F.scaled_dot_product_attention``: a composite of matmul, softmax and where, whose rules give
the gradients.

    >>> import chainrule as cr
    >>> q = k = v = cr.ones(1, 3, 4)
    >>> scaled_dot_product_attention(q, k, v, is_causal=True).shape
    chainrule.Size([1, 3, 4])
"""

from __future__ import annotations

import math
from typing import Any

from chainrule._array import xp
from chainrule.op import _value
from chainrule.ops import nn_ops
from chainrule.tensor import Tensor


def attention_bias(mask: Any, like: Tensor, allowed: bool) -> Tensor | Any:
    """A mask as something to add to the scores: a boolean mask becomes 0 / -inf (``True``
    marks the allowed positions when ``allowed``, the blocked ones otherwise); a float mask is
    added as it is."""
    data = xp.asarray(_value(mask))
    if data.dtype != bool:
        return mask
    blocked = ~data if allowed else data
    return xp.where(blocked, -xp.inf, 0.0).astype(like._data.dtype)


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Any = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> Tensor:
    """Attention of (..., L, E) queries over (..., S, E) keys and (..., S, Ev) values.

    ``attn_mask`` broadcasts to (..., L, S): boolean (``True`` takes part) or float (added to
    the scores). ``is_causal`` lets position i attend to positions up to i. Dropout, when
    ``dropout_p > 0``, applies to the attention weights, always (as PyTorch's function does).
    """
    if enable_gqa:
        raise NotImplementedError("scaled_dot_product_attention: enable_gqa is not supported")
    if is_causal and attn_mask is not None:
        raise RuntimeError(
            "_scaled_dot_product_attention: Explicit attn_mask should not be set when "
            "is_causal=True"
        )
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise RuntimeError(
            f"scaled_dot_product_attention: query {tuple(query.shape)}, key "
            f"{tuple(key.shape)} and value {tuple(value.shape)} do not fit: expected "
            "(..., L, E), (..., S, E) and (..., S, Ev)"
        )
    factor = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = (query @ key.transpose(-2, -1)) * factor
    if is_causal:
        length, source = query.shape[-2], key.shape[-2]
        attn_mask = xp.tril(xp.ones((length, source), dtype=bool))
    if attn_mask is not None:
        scores = scores + attention_bias(attn_mask, scores, allowed=True)
    weights = nn_ops.softmax(scores, -1)
    if dropout_p > 0.0:
        from chainrule.nn.functional import dropout

        weights = dropout(weights, dropout_p)
    return weights @ value
