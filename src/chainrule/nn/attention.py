"""``nn.MultiheadAttention``: PyTorch's parameters (``in_proj_weight``, ``in_proj_bias``,
``out_proj``), masks and returned weights, built from linear layers and scaled dot-product
attention, so the gradients come from those ops' rules.

    >>> import chainrule as cr
    >>> mha = cr.nn.MultiheadAttention(8, 2, batch_first=True)
    >>> out, weights = mha(cr.ones(3, 5, 8), cr.ones(3, 5, 8), cr.ones(3, 5, 8))
    >>> tuple(out.shape), tuple(weights.shape)
    ((3, 5, 8), (3, 5, 5))
"""

from __future__ import annotations

import math
from typing import Any

from chainrule import factories
from chainrule.nn import functional as F
from chainrule.nn import init
from chainrule.nn.layers import Linear
from chainrule.nn.module import Module
from chainrule.nn.parameter import Parameter
from chainrule.ops.attention import attention_bias
from chainrule.tensor import Tensor


class NonDynamicallyQuantizableLinear(Linear):
    """PyTorch's name for the output projection (it prints in the module's repr)."""


class MultiheadAttention(Module):
    """Attention with ``num_heads`` heads over ``embed_dim`` features; key and value have the
    query's size (``kdim``/``vdim`` other than ``embed_dim``, ``add_bias_kv`` and
    ``add_zero_attn`` are not supported)."""

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        add_bias_kv: bool = False,
        add_zero_attn: bool = False,
        kdim: int | None = None,
        vdim: int | None = None,
        batch_first: bool = False,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(
                f"embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} "
                f"and num_heads={num_heads} instead"
            )
        if embed_dim % num_heads:
            raise AssertionError("embed_dim must be divisible by num_heads")
        if (
            add_bias_kv
            or add_zero_attn
            or kdim not in (None, embed_dim)
            or vdim
            not in (
                None,
                embed_dim,
            )
        ):
            raise NotImplementedError(
                "MultiheadAttention: kdim/vdim other than embed_dim, add_bias_kv and "
                "add_zero_attn are not supported"
            )
        self.embed_dim = embed_dim
        self.kdim = self.vdim = embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        self.in_proj_weight = Parameter(factories.empty(3 * embed_dim, embed_dim, dtype=dtype))
        if bias:
            self.in_proj_bias = Parameter(factories.empty(3 * embed_dim, dtype=dtype))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias, dtype=dtype)
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        init.xavier_uniform_(self.in_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)

    def forward(
        self,
        query: Tensor,
        key: Tensor,
        value: Tensor,
        key_padding_mask: Any = None,
        need_weights: bool = True,
        attn_mask: Any = None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ) -> tuple[Tensor, Tensor | None]:
        """Inputs are (L, N, E), or (N, L, E) with ``batch_first``, or unbatched (L, E).

        ``attn_mask`` is (L, S) or (N * num_heads, L, S), ``key_padding_mask`` is (N, S); in
        boolean masks ``True`` marks a position that may *not* be attended, float masks are
        added to the scores. Returns the output and, with ``need_weights``, the attention
        weights (averaged over heads unless ``average_attn_weights=False``).
        """
        if is_causal and attn_mask is None:
            raise RuntimeError("Need attn_mask if specifying the is_causal hint")
        unbatched = query.ndim == 2
        if unbatched:
            query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        elif self.batch_first:
            query, key, value = (x.transpose(0, 1) for x in (query, key, value))
        out, weights = self._attend(query, key, value, key_padding_mask, attn_mask)
        out = out.squeeze(1) if unbatched else (out.transpose(0, 1) if self.batch_first else out)
        if not need_weights:
            return out, None
        if average_attn_weights:
            weights = weights.mean(1)
        return out, (weights.squeeze(0) if unbatched else weights)

    def _attend(
        self, query: Tensor, key: Tensor, value: Tensor, key_padding_mask: Any, attn_mask: Any
    ) -> tuple[Tensor, Tensor]:
        """Sequence-first (L, N, E) inputs to the sequence-first output and the per-head
        weights (N, H, L, S)."""
        length, batch, embed = query.shape
        source = key.shape[0]
        w_q, w_k, w_v = self.in_proj_weight.chunk(3)
        b_q = b_k = b_v = None
        if self.in_proj_bias is not None:
            b_q, b_k, b_v = self.in_proj_bias.chunk(3)
        heads, size = self.num_heads, self.head_dim

        def split(x: Tensor, w: Tensor, b: Tensor | None, n: int) -> Tensor:
            # (n, N, E) -> (N, H, n, D)
            return F.linear(x, w, b).reshape(n, batch, heads, size).permute(1, 2, 0, 3)

        q = split(query, w_q, b_q, length)
        k = split(key, w_k, b_k, source)
        v = split(value, w_v, b_v, source)
        scores = (q * (1.0 / math.sqrt(size))) @ k.transpose(-2, -1)
        if attn_mask is not None:
            bias = attention_bias(attn_mask, scores, allowed=False)
            if bias.ndim == 3:  # (N * H, L, S)
                bias = bias.reshape(batch, heads, length, source)
            scores = scores + bias
        if key_padding_mask is not None:
            bias = attention_bias(key_padding_mask, scores, allowed=False)
            scores = scores + bias.reshape(batch, 1, 1, source)
        # As in PyTorch, the weights returned are the ones applied: after dropout.
        weights = F.dropout(F.softmax(scores, -1), self.dropout, self.training)
        out = (weights @ v).permute(2, 0, 1, 3).reshape(length, batch, embed)
        return self.out_proj(out), weights
