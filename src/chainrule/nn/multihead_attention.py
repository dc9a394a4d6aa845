"""``nn.MultiheadAttention``: PyTorch's parameters (``in_proj_weight``, or ``q/k/v_proj_weight``
when keys or values have their own sizes, ``in_proj_bias``, ``bias_k``/``bias_v``, ``out_proj``),
masks and returned weights; the computation is
:func:`~chainrule.ops.attention.multi_head_attention_forward`'s, so the gradients come from its
ops' rules.

    >>> import chainrule as cr
    >>> mha = cr.nn.MultiheadAttention(8, 2, batch_first=True)
    >>> out, weights = mha(cr.ones(3, 5, 8), cr.ones(3, 5, 8), cr.ones(3, 5, 8))
    >>> tuple(out.shape), tuple(weights.shape)
    ((3, 5, 8), (3, 5, 5))
"""

from __future__ import annotations

from typing import Any

from chainrule import factories
from chainrule.nn import init
from chainrule.nn.layers import Linear
from chainrule.nn.module import Module
from chainrule.nn.parameter import Parameter
from chainrule.ops.attention import check_mask_dtype, multi_head_attention_forward
from chainrule.tensor import Tensor


class NonDynamicallyQuantizableLinear(Linear):
    """PyTorch's name for the output projection (it prints in the module's repr)."""


class MultiheadAttention(Module):
    """Attention with ``num_heads`` heads over ``embed_dim`` features. Keys of ``kdim`` and
    values of ``vdim`` features other than ``embed_dim`` get their own projections
    (``q_proj_weight``, ``k_proj_weight``, ``v_proj_weight``); ``add_bias_kv`` appends a
    learnt key and value (``bias_k``, ``bias_v``), ``add_zero_attn`` a zero key and value.

    >>> import chainrule as cr
    >>> mha = cr.nn.MultiheadAttention(4, 2, kdim=3, vdim=5, add_bias_kv=True)
    >>> [name for name, p in mha.named_parameters()]  # doctest: +NORMALIZE_WHITESPACE
    ['q_proj_weight', 'k_proj_weight', 'v_proj_weight', 'in_proj_bias', 'bias_k', 'bias_v',
     'out_proj.weight', 'out_proj.bias']
    >>> out, weights = mha(cr.ones(2, 4), cr.ones(6, 3), cr.ones(6, 5))
    >>> tuple(out.shape), tuple(weights.shape)
    ((2, 4), (2, 7))
    """

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
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        # Registered in PyTorch's order: the projections' weights, their bias, out_proj,
        # bias_k and bias_v (which state dicts list before out_proj's, as parameters of the
        # module itself).
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(factories.empty(3 * embed_dim, embed_dim, dtype=dtype))
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight = Parameter(factories.empty(embed_dim, embed_dim, dtype=dtype))
            self.k_proj_weight = Parameter(factories.empty(embed_dim, self.kdim, dtype=dtype))
            self.v_proj_weight = Parameter(factories.empty(embed_dim, self.vdim, dtype=dtype))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(factories.empty(3 * embed_dim, dtype=dtype))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias, dtype=dtype)
        if add_bias_kv:
            self.bias_k = Parameter(factories.empty(1, 1, embed_dim, dtype=dtype))
            self.bias_v = Parameter(factories.empty(1, 1, embed_dim, dtype=dtype))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            for weight in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

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
        """Inputs are (L, N, E), or (N, L, E) with ``batch_first``, or unbatched (L, E) (keys
        of ``kdim``, values of ``vdim`` features).

        ``attn_mask`` is (L, S) or (N * num_heads, L, S), ``key_padding_mask`` is (N, S); in
        boolean masks ``True`` marks a position that may *not* be attended, float masks are
        added to the scores. Returns the output and, with ``need_weights``, the attention
        weights (averaged over heads unless ``average_attn_weights=False``).
        """
        # PyTorch's module checks the masks' dtypes before anything else
        check_mask_dtype(key_padding_mask, "key_padding_mask")
        check_mask_dtype(attn_mask, "attn_mask")
        batched = query.ndim == 3
        if self.batch_first and batched:
            query, key, value = (x.transpose(0, 1) for x in (query, key, value))
        separate = not self._qkv_same_embed_dim
        out, weights = multi_head_attention_forward(
            query,
            key,
            value,
            self.embed_dim,
            self.num_heads,
            self.in_proj_weight,
            self.in_proj_bias,
            self.bias_k,
            self.bias_v,
            self.add_zero_attn,
            self.dropout,
            self.out_proj.weight,
            self.out_proj.bias,
            training=self.training,
            key_padding_mask=key_padding_mask,
            need_weights=need_weights,
            attn_mask=attn_mask,
            use_separate_proj_weight=separate,
            q_proj_weight=self.q_proj_weight,
            k_proj_weight=self.k_proj_weight,
            v_proj_weight=self.v_proj_weight,
            average_attn_weights=average_attn_weights,
            is_causal=is_causal,
        )
        return (out.transpose(0, 1) if self.batch_first and batched else out), weights
