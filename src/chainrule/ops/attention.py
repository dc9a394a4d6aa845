"""Scaled dot-product attention, ``softmax(Q K^T / sqrt(d) + mask) V``, as PyTorch's
``F.scaled_dot_product_attention``, and multi-head attention with its projections, as PyTorch's
``F.multi_head_attention_forward``: composites of linear maps, matmul, softmax and where, whose
rules give the gradients.

    >>> import chainrule as cr
    >>> q = k = v = cr.ones(1, 3, 4)
    >>> scaled_dot_product_attention(q, k, v, is_causal=True).shape
    chainrule.Size([1, 3, 4])
"""

from __future__ import annotations

import math
from typing import Any

from chainrule import arguments, dtypes, factories
from chainrule._array import xp
from chainrule.backends import cuda
from chainrule.op import _value
from chainrule.ops import combinations, nn_ops, shape
from chainrule.ops.broadcast import broadcast_shape
from chainrule.ops.elementwise import where
from chainrule.tensor import Size, Tensor, _make


def attention_bias(mask: Any, like: Tensor, allowed: bool) -> Tensor | Any:
    """A mask as something to add to the scores: a boolean mask becomes 0 / -inf (``True``
    marks the allowed positions when ``allowed``, the blocked ones otherwise); a float mask is
    added as it is. A tensor mask goes through ops, not its array, so that under vmap a mask
    per example takes their batching rules."""
    if isinstance(mask, Tensor):
        if mask.dtype != dtypes.bool:
            return mask
        return where(~mask if allowed else mask, -math.inf, 0.0).to(like.dtype)
    data = xp.asarray(_value(mask))
    if data.dtype != bool:
        return mask
    blocked = ~data if allowed else data
    return xp.where(blocked, -xp.inf, 0.0).astype(like.dtype.dtype)


def check_mask_dtype(mask: Any, name: str) -> None:
    """PyTorch's refusal (its ``_canonical_mask``) of a mask that is neither boolean nor
    floating: an integer mask would otherwise be added to the scores as numbers."""
    if isinstance(mask, Tensor) and mask.dtype != dtypes.bool and not mask.is_floating_point():
        raise AssertionError(f"only bool and floating types of {name} are supported")


def _check_mask_fits(mask: Any, scores: tuple[int, ...]) -> None:
    """PyTorch's refusal of a mask that would grow the scores (..., L, S) it is added to."""
    shape = tuple(mask.shape) if isinstance(mask, Tensor) else xp.shape(mask)
    grown = broadcast_shape(scores, shape)  # (PyTorch's words for sizes that do not broadcast)
    if grown != scores:
        raise RuntimeError(
            f"output with shape {list(scores)} doesn't match the broadcast shape {list(grown)}"
        )


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
    the scores). ``is_causal`` lets position i attend to positions up to i. A query that a mask
    lets attend to nothing gets zeros (and passes no gradient), as PyTorch's does. Dropout, when
    ``dropout_p > 0``, applies to the attention weights, always (as PyTorch's function does).
    ``enable_gqa``: keys and values with fewer heads (dimension -3) than the queries serve
    each group of queries' heads in turn.

    >>> import chainrule as cr
    >>> q, k, v = cr.ones(1, 2, 3), cr.ones(1, 4, 3), cr.ones(1, 4, 5)
    >>> scaled_dot_product_attention(q, k, v, attn_mask=cr.zeros(2, 4, dtype=cr.bool))
    tensor([[[0., 0., 0., 0., 0.],
             [0., 0., 0., 0., 0.]]])
    """
    if type(is_causal) is not bool or type(enable_gqa) is not bool:  # 1 was read as True
        arguments.boolean(is_causal, "scaled_dot_product_attention", "is_causal", None)
        arguments.boolean(enable_gqa, "scaled_dot_product_attention", "enable_gqa", None)
    cuda.check_attention_allowed()  # the kernels sdpa_kernel chose
    if min(query.ndim, key.ndim, value.ndim) < 2:  # (PyTorch's words, its two spaces too)
        raise RuntimeError(
            "Expected query, key, and value to all be  at least 2 dimensional, but got "
            f"query.dim: {query.ndim} key.dim: {key.ndim} and value.dim: {value.ndim} instead."
        )
    if attn_mask is not None:
        _check_sdpa_mask_dtype(attn_mask, query)
    if enable_gqa:
        key, value = _shared_heads(query, key, value)
    if is_causal and attn_mask is not None:
        raise RuntimeError(
            "_scaled_dot_product_attention: Explicit attn_mask should not be set when "
            "is_causal=True"
        )
    # Queries and keys of different widths are refused by the product of the scores, in
    # PyTorch's words (its mm's or bmm's); keys and values of different lengths here (PyTorch's
    # kernel reads past the values).
    if key.shape[-2] != value.shape[-2]:
        raise RuntimeError(
            f"scaled_dot_product_attention: query {tuple(query.shape)}, key "
            f"{tuple(key.shape)} and value {tuple(value.shape)} do not fit: expected "
            "(..., L, E), (..., S, E) and (..., S, Ev)"
        )
    factor = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    if is_causal:
        length, source = query.shape[-2], key.shape[-2]
        attn_mask = xp.tril(xp.ones((length, source), dtype=bool))

    def attend(query: Tensor, key: Tensor, value: Tensor) -> Tensor:
        scores = (query @ key.transpose(-2, -1)) * factor
        if attn_mask is None:
            weights = nn_ops.softmax(scores, -1)
        else:
            _check_mask_fits(attn_mask, tuple(scores.shape))
            weights = _safe_softmax(scores + attention_bias(attn_mask, scores, allowed=True))
        if dropout_p > 0.0:
            from chainrule.nn.functional import dropout

            weights = dropout(weights, dropout_p)
        return weights @ value

    # float16 in float32, rounded once, as PyTorch's CPU kernels attend
    return combinations.fused(attend, query, key, value)


def _mask_dtype(mask: Any) -> Any:
    """The NumPy dtype of a mask given as a tensor or as an array."""
    return mask.dtype.dtype if isinstance(mask, Tensor) else xp.asarray(_value(mask)).dtype


def _check_sdpa_mask_dtype(mask: Any, query: Tensor) -> None:
    """PyTorch's kernels take a boolean mask, a float32 one, or one of the query's dtype: an
    integer mask would otherwise be added to the scores as numbers."""
    kind = _mask_dtype(mask)
    if kind not in (xp.dtype(bool), xp.dtype(xp.float32), query.dtype.dtype):
        raise RuntimeError(
            "Expected attn_mask dtype to be bool or float or to match query dtype, but got "
            f"attn_mask.dtype: {dtypes.C_TYPE_NAMES[kind.name]} and  query.dtype: "
            f"{dtypes.C_TYPE_NAMES[query.dtype.dtype.name]} instead."
        )


def _safe_softmax(scores: Tensor) -> Tensor:
    """Softmax over the last dimension, with rows masked throughout (all -inf) zeros, not the
    NaN of a softmax over -inf, as PyTorch's attention gives them; their scores are replaced
    first, so no NaN reaches the gradient either."""
    nothing = scores.amax(-1, keepdim=True) == -math.inf
    return where(nothing, 0.0, nn_ops.softmax(where(nothing, 0.0, scores), -1))


def _shared_heads(query: Tensor, key: Tensor, value: Tensor) -> tuple[Tensor, Tensor]:
    """Keys and values with each of their heads repeated for its group of query heads."""
    heads, shared = query.shape[-3], key.shape[-3]
    if shared == 0 or heads % shared or value.shape[-3] != shared:
        raise RuntimeError(  # PyTorch's words, cut short as they are
            "Number of heads in key and value must divide the number of heads in "
        )
    groups = heads // shared
    return key.repeat_interleave(groups, -3), value.repeat_interleave(groups, -3)


def multi_head_attention_forward(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    embed_dim_to_check: int,
    num_heads: int,
    in_proj_weight: Tensor | None,
    in_proj_bias: Tensor | None,
    bias_k: Tensor | None,
    bias_v: Tensor | None,
    add_zero_attn: bool,
    dropout_p: float,
    out_proj_weight: Tensor,
    out_proj_bias: Tensor | None,
    training: bool = True,
    key_padding_mask: Any = None,
    need_weights: bool = True,
    attn_mask: Any = None,
    use_separate_proj_weight: bool = False,
    q_proj_weight: Tensor | None = None,
    k_proj_weight: Tensor | None = None,
    v_proj_weight: Tensor | None = None,
    static_k: Tensor | None = None,
    static_v: Tensor | None = None,
    average_attn_weights: bool = True,
    is_causal: bool = False,
) -> tuple[Tensor, Tensor | None]:
    """Multi-head attention of sequence-first (L, N, E) queries over (S, N, kdim) keys and
    (S, N, vdim) values (or unbatched (L, E), (S, kdim), (S, vdim)), as
    :class:`~chainrule.nn.MultiheadAttention` computes it.

    The inputs are projected by ``in_proj_weight``'s three blocks (or ``q/k/v_proj_weight``
    with ``use_separate_proj_weight``) and ``in_proj_bias``'s; ``bias_k``/``bias_v`` (1, 1, E)
    append one key and value, ``add_zero_attn`` one zero key and value per head (neither is
    ever masked); ``static_k``/``static_v`` (N * heads, S, E / heads) replace the projected
    keys or values. Masks as the module's. Returns the (L, N, E) output and, with
    ``need_weights``, the weights (N, L, S'), per head (N, heads, L, S') unless averaged.
    """
    _check_attention_shapes(query, key, value, key_padding_mask, attn_mask, num_heads)
    check_mask_dtype(key_padding_mask, "key_padding_mask")
    if is_causal and attn_mask is None:
        raise RuntimeError(
            "Need attn_mask if specifying the is_causal hint. You may use the Transformer "
            "module method `generate_square_subsequent_mask` to create this mask."
        )
    # PyTorch then takes is_causal as the whole story: attn_mask is dropped unchecked (it is
    # meant to be the causal mask already) and the causal mask covers every key, those that
    # bias_k and add_zero_attn append too (below, once they are there).
    causal = is_causal and key_padding_mask is None and not need_weights
    if causal:
        attn_mask = None
    check_mask_dtype(attn_mask, "attn_mask")
    unbatched = query.ndim == 2
    if unbatched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    length, batch, embed = query.shape
    source = key.shape[0]
    if embed != embed_dim_to_check:
        raise AssertionError(
            f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed}"
        )
    if embed % num_heads:
        raise AssertionError(f"embed_dim {embed} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if key.shape[:2] != value.shape[:2]:
            raise AssertionError(
                f"key's sequence and batch dims {Size(key.shape[:2])} do not match value's "
                f"{Size(value.shape[:2])}"
            )
        w_q, w_k, w_v = q_proj_weight, k_proj_weight, v_proj_weight
        _check_projections(w_q, w_k, w_v, embed, key.shape[-1], value.shape[-1])
    else:
        if key.shape != value.shape:
            raise AssertionError(f"key shape {key.shape} does not match value shape {value.shape}")
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        w_q, w_k, w_v = in_proj_weight.chunk(3)
    b_q = b_k = b_v = None
    if in_proj_bias is not None:
        b_q, b_k, b_v = in_proj_bias.chunk(3)
    heads, size = num_heads, embed // num_heads

    def split(x: Tensor, n: int) -> Tensor:
        # (n, N, E) -> (N, H, n, D)
        return x.reshape(n, batch, heads, size).permute(1, 2, 0, 3)

    q = split(nn_ops.linear(query, w_q, b_q), length)
    k, v = nn_ops.linear(key, w_k, b_k), nn_ops.linear(value, w_v, b_v)
    if (bias_k is None) != (bias_v is None):
        given, missing = ("k", "v") if bias_v is None else ("v", "k")
        raise AssertionError(f"bias_{given} is set but bias_{missing} is None")
    if bias_k is not None:
        if static_k is not None or static_v is not None:
            which = "key" if static_k is not None else "value"
            raise AssertionError(f"bias cannot be added to static {which}.")
        k = shape.cat([k, bias_k.expand(1, batch, embed)])
        v = shape.cat([v, bias_v.expand(1, batch, embed)])
    k = split(k, k.shape[0]) if static_k is None else _static(static_k, "k", batch, heads, size)
    v = split(v, v.shape[0]) if static_v is None else _static(static_v, "v", batch, heads, size)
    if add_zero_attn:
        zero = factories.zeros(batch, heads, 1, size, dtype=k.dtype)
        k, v = shape.cat([k, zero], 2), shape.cat([v, zero.to(v.dtype)], 2)
    added = k.shape[2] - source  # keys no mask covers: bias_k's, the zero one
    scores = (q * (1.0 / math.sqrt(size))) @ k.transpose(-2, -1)
    # The masks are summed first and added to the scores once, as PyTorch adds them (its
    # rounding of float32 masks, its refusal of a sum of another dtype than the scores').
    bias = None
    if attn_mask is not None:
        expected = (length, source) if attn_mask.ndim == 2 else (batch * heads, length, source)
        if tuple(attn_mask.shape) != expected:
            raise RuntimeError(
                f"The shape of the {attn_mask.ndim}D attn_mask is {attn_mask.shape}, but should "
                f"be {expected}."
            )
        bias = attention_bias(attn_mask, scores, allowed=False)
        if bias.ndim == 3:  # (N * H, L, S)
            bias = bias.reshape(batch, heads, length, source)
        bias = _pad_keys(bias, added)
    if causal:
        blocked = _make(xp.triu(xp.ones((length, k.shape[2]), dtype=bool), 1))
        bias = attention_bias(blocked, scores, allowed=False)
    if key_padding_mask is not None:
        _check_key_padding_mask(key_padding_mask, batch, source, added)
        padding = attention_bias(key_padding_mask, scores, allowed=False)
        padding = _pad_keys(padding.reshape(batch, 1, 1, source), added)
        bias = padding if bias is None else bias + padding
    if bias is not None:
        if need_weights and _mask_dtype(bias) != scores.dtype.dtype:
            names = [dtypes.C_TYPE_NAMES[d.name] for d in (_mask_dtype(bias), q.dtype.dtype)]
            raise RuntimeError(  # (PyTorch's baddbmm of the mask and the scores)
                f"Input dtypes must be the same, got: input {names[0]}, batch1: {names[1]}, "
                f"batch2: {names[1]}"
            )
        if not need_weights:
            _check_sdpa_mask_dtype(bias, q)
        scores = scores + bias
    if need_weights or (attn_mask is None and key_padding_mask is None):
        weights = nn_ops.softmax(scores, -1)
    else:  # PyTorch's attention without weights: masked-out rows are zeros, not NaN
        weights = _safe_softmax(scores)
    if training and dropout_p > 0.0:
        # As in PyTorch, the weights returned are the ones applied: after dropout.
        from chainrule.nn.functional import dropout

        weights = dropout(weights, dropout_p)
    out = (weights @ v).permute(2, 0, 1, 3).reshape(length, batch, embed)
    out = nn_ops.linear(out, out_proj_weight, out_proj_bias)
    if unbatched:
        out = out.squeeze(1)
    if not need_weights:
        return out, None
    if average_attn_weights:
        weights = weights.mean(1)
    return out, (weights.squeeze(0) if unbatched else weights)


def _check_attention_shapes(
    query: Tensor, key: Tensor, value: Tensor, key_padding_mask: Any, attn_mask: Any, heads: int
) -> None:
    """PyTorch's checks of the inputs' and masks' dimensions (its AssertionErrors)."""
    if query.ndim not in (2, 3):
        raise AssertionError(
            "query should be unbatched 2D or batched 3D tensor but received "
            f"{query.ndim}-D query tensor"
        )
    kind = "batched (3-D)" if query.ndim == 3 else "unbatched (2-D)"
    if key.ndim != query.ndim or value.ndim != query.ndim:
        raise AssertionError(
            f"For {kind} `query`, expected `key` and `value` to be {query.ndim}-D but found "
            f"{key.ndim}-D and {value.ndim}-D tensors respectively"
        )
    if key_padding_mask is not None and key_padding_mask.ndim != query.ndim - 1:
        raise AssertionError(
            f"For {kind} `query`, expected `key_padding_mask` to be `None` or "
            f"{query.ndim - 1}-D but found {key_padding_mask.ndim}-D tensor instead"
        )
    if attn_mask is not None and attn_mask.ndim not in (2, 3):
        raise AssertionError(
            f"For {kind} `query`, expected `attn_mask` to be `None`, 2-D or 3-D but found "
            f"{attn_mask.ndim}-D tensor instead"
        )
    if query.ndim == 2 and attn_mask is not None and attn_mask.ndim == 3:
        expected = (heads, query.shape[0], key.shape[0])
        if tuple(attn_mask.shape) != expected:
            raise AssertionError(
                f"Expected `attn_mask` shape to be {expected} but got {attn_mask.shape}"
            )


def _check_key_padding_mask(mask: Any, batch: int, source: int, added: int) -> None:
    """PyTorch's check of a (N, S) key_padding_mask, made after it is padded for the ``added``
    keys (so its sizes count them); a mask of the right size in the wrong shape, (S, N), would
    otherwise reshape silently."""
    if mask.shape[0] != batch:
        raise AssertionError(
            f"Expected key_padded_mask.shape[0] to be {batch}, but got {mask.shape[0]}"
        )
    if mask.shape[1] != source:
        raise AssertionError(
            f"Expected key_padded_mask.shape[1] to be {source + added}, but got "
            f"{mask.shape[1] + added}"
        )


def _check_projections(
    w_q: Any, w_k: Any, w_v: Any, embed: int, key_size: int, value_size: int
) -> None:
    """PyTorch's checks of separate projection weights: given, (E, E), (E, kdim), (E, vdim)."""
    for name, weight, size in (
        ("query", w_q, embed),
        ("key", w_k, key_size),
        ("value", w_v, value_size),
    ):
        if weight is None:
            raise AssertionError(
                f"use_separate_proj_weight is True but {name[0]}_proj_weight is None"
            )
        if tuple(weight.shape) != (embed, size):
            raise AssertionError(
                f"expecting {name} weights shape of {(embed, size)}, but got {weight.shape}"
            )


def _static(given: Tensor, name: str, batch: int, heads: int, size: int) -> Tensor:
    """A static key or value, (N * heads, S, head size), as (N, heads, S, head size)."""
    if given.shape[0] != batch * heads:
        raise AssertionError(
            f"expecting static_{name}.size(0) of {batch * heads}, but got {given.shape[0]}"
        )
    if given.shape[2] != size:
        raise AssertionError(f"expecting static_{name}.size(2) of {size}, but got {given.shape[2]}")
    return given.reshape(batch, heads, given.shape[1], size)


def _pad_keys(bias: Any, added: int) -> Any:
    """A mask's bias with ``added`` zero columns: the keys appended after the given ones
    (``bias_k``'s, the zero key) are attended everywhere, as PyTorch pads its masks."""
    if not added:
        return bias
    return shape.pad(bias if isinstance(bias, Tensor) else _make(bias), (0, added))
