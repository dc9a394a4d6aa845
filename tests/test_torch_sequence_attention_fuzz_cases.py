"""Cases a fuzz of the sequence and attention layers against PyTorch found chainrule answering
differently: recurrent layers and their packing helpers, ``MultiheadAttention``,
``scaled_dot_product_attention`` and the Transformer layers. Each snippet runs with ``T`` as
torch and as chainrule, its weights set from the same NumPy arrays; what it leaves in ``out``
(values and gradients rounded to 10 decimals, or the error: type and first line) must be the
same. The last rows are controls: combinations the fuzz found agreeing, kept as guards."""

from __future__ import annotations

import pytest
import torch
from snippet_outcome import outcome

import chainrule as cr

# ``seeded`` sets a module's parameters from NumPy (float64); ``x`` makes a float64 leaf;
# ``r`` rounds a tensor's values to 10 decimals, last-bit differences of the BLAS aside.
PRELUDE = """
import numpy as np
F = T.nn.functional
def seeded(mod, seed=0):
    mod.double()
    rng = np.random.default_rng(seed)
    with T.no_grad():
        for p in mod.parameters():
            p.copy_(T.tensor(rng.standard_normal(tuple(p.shape)) * 0.5))
    return mod
def x(*shape, seed=1):
    data = np.random.default_rng(seed).standard_normal(shape)
    return T.tensor(data, dtype=T.float64, requires_grad=True)
def r(t):
    return np.round(t.detach().numpy(), 10).tolist()
"""

SNIPPETS = {
    # ----------------------------------------------------------------- attention
    # the causal mask that replaces attn_mask covers the keys bias_k and add_zero_attn append
    # too (they were attended everywhere): a wrong value and gradient
    "MHA is_causal with add_bias_kv and add_zero_attn": """
        mha = seeded(T.nn.MultiheadAttention(2, 1, add_bias_kv=True, add_zero_attn=True))
        q = x(3, 1, 2)
        mask = T.nn.Transformer.generate_square_subsequent_mask(3, dtype=T.float64)
        o = mha(q, q, q, attn_mask=mask, is_causal=True, need_weights=False)[0]
        o.pow(2).sum().backward()
        out = (r(o), r(q.grad), r(mha.bias_k.grad))
    """,
    # a (S, N) key_padding_mask of the right size was reshaped to (N, S) silently
    "MHA key_padding_mask given (S, N)": """
        mha = seeded(T.nn.MultiheadAttention(2, 1))
        q = x(3, 2, 2)
        out = mha(q, q, q, key_padding_mask=T.zeros(3, 2, dtype=T.bool))
    """,
    "MHA key_padding_mask one key short, with bias_k": """
        mha = seeded(T.nn.MultiheadAttention(2, 1, add_bias_kv=True))
        q = x(3, 2, 2)
        out = mha(q, q, q, key_padding_mask=T.zeros(2, 2, dtype=T.bool))
    """,
    # an integer mask was added to the scores as numbers
    "MHA integer attn_mask": """
        mha = seeded(T.nn.MultiheadAttention(2, 1))
        q = x(3, 2, 2)
        out = mha(q, q, q, attn_mask=T.zeros(3, 3, dtype=T.int64))
    """,
    "F.multi_head_attention_forward uint8 key_padding_mask": """
        mha = seeded(T.nn.MultiheadAttention(2, 1))
        q = x(3, 2, 2)
        out = F.multi_head_attention_forward(
            q, q, q, 2, 1, mha.in_proj_weight, mha.in_proj_bias, None, None, False, 0.0,
            mha.out_proj.weight, mha.out_proj.bias, key_padding_mask=T.zeros(2, 3, dtype=T.uint8))
    """,
    "TransformerEncoderLayer integer src_mask": """
        layer = seeded(T.nn.TransformerEncoderLayer(2, 1, 4, dropout=0.0))
        out = layer(x(3, 2, 2), src_mask=T.zeros(3, 3, dtype=T.int64))
    """,
    "TransformerEncoder integer key padding mask": """
        layer = T.nn.TransformerEncoderLayer(2, 1, 4, dropout=0.0)
        enc = seeded(T.nn.TransformerEncoder(layer, 2, enable_nested_tensor=False))
        out = enc(x(3, 2, 2), src_key_padding_mask=T.zeros(2, 3, dtype=T.int32))
    """,
    # PyTorch sums the masks before adding them to the scores: float32 masks round as float32
    "MHA float32 masks summed first in a float64 model": """
        mha = seeded(T.nn.MultiheadAttention(2, 2))
        q = x(2, 3, 2)
        kpm = T.tensor(np.random.default_rng(5).standard_normal((3, 2)), dtype=T.float32)
        am = T.tensor(np.random.default_rng(6).standard_normal((6, 2, 2)), dtype=T.float32)
        o = mha(q, q, q, key_padding_mask=kpm, attn_mask=am, need_weights=False)[0]
        out = r(o)
    """,
    # the weights' product refuses a mask of another dtype than the scores'
    "MHA float32 mask in a float64 model with weights": """
        mha = seeded(T.nn.MultiheadAttention(2, 1))
        q = x(3, 2, 2)
        out = mha(q, q, q, attn_mask=T.zeros(3, 3, dtype=T.float32))
    """,
    "MHA float64 mask in a float32 model without weights": """
        mha = seeded(T.nn.MultiheadAttention(2, 1)).float()
        q = x(3, 2, 2).float()
        out = mha(q, q, q, key_padding_mask=T.zeros(2, 3, dtype=T.float64), need_weights=False)
    """,
    "sdpa uint8 mask": """
        q = x(2, 3, 2)
        out = F.scaled_dot_product_attention(q, q, q, attn_mask=T.ones(3, 3, dtype=T.uint8))
    """,
    "sdpa int64 mask": """
        q = x(2, 3, 2)
        out = F.scaled_dot_product_attention(q, q, q, attn_mask=T.ones(3, 3, dtype=T.int64))
    """,
    "sdpa float16 mask on float32 queries": """
        q = x(2, 3, 2).float()
        out = F.scaled_dot_product_attention(q, q, q, attn_mask=T.ones(3, 3, dtype=T.float16))
    """,
    "sdpa mask that does not broadcast": """
        q = x(2, 3, 2)
        out = F.scaled_dot_product_attention(q, q, q, attn_mask=T.ones(3, 4, dtype=T.bool))
    """,
    "sdpa keys of another width, batched": """
        out = F.scaled_dot_product_attention(x(2, 3, 2), x(2, 3, 3), x(2, 3, 3))
    """,
    "sdpa keys of another width, 2-d": """
        out = F.scaled_dot_product_attention(x(3, 2), x(3, 3), x(3, 3))
    """,
    # ----------------------------------------------------------------- recurrent layers
    "RNN 1-d input": """
        out = seeded(T.nn.RNN(2, 3))(x(2))
    """,
    # an LSTM reads hx[0] and hx[1]: a tensor is taken apart, a 1-tuple refused by indexing
    "LSTM hx a tensor of 2-d rows, batched input": """
        lstm = seeded(T.nn.LSTM(3, 3, num_layers=2, bidirectional=True))
        out = lstm(x(1, 3, 3), x(4, 3, 3))
    """,
    "LSTM hx a 1-tuple": """
        lstm = seeded(T.nn.LSTM(2, 2))
        out = lstm(x(2, 2), (x(1, 2),))
    """,
    "LSTM hx a one-row tensor": """
        lstm = seeded(T.nn.LSTM(3, 3))
        out = lstm(x(3, 3), x(1, 3))
    """,
    "GRU hx a list": """
        gru = seeded(T.nn.GRU(1, 4))
        out = gru(x(2, 1), [x(1, 4)])
    """,
    "pack_padded_sequence lengths one short": """
        out = T.nn.utils.rnn.pack_padded_sequence(x(3, 2, 2), [3])
    """,
    "pack_padded_sequence 2-d lengths": """
        out = T.nn.utils.rnn.pack_padded_sequence(x(1, 1, 2), T.tensor([[1]]), batch_first=True)
    """,
    # PyTorch checks only the last length for 0 when the lengths must come sorted
    "pack_padded_sequence a first length 0, unsorted": """
        out = T.nn.utils.rnn.pack_padded_sequence(x(3, 2, 2), [0, 3])
    """,
    # PyTorch's unpad_sequence transposes the padded batch it is given in place
    "unpad_sequence sequence-first transposes its input": """
        padded = x(3, 2, 2) * 1
        seqs = T.nn.utils.rnn.unpad_sequence(padded, T.tensor([3, 1]))
        out = (tuple(padded.shape), [r(s) for s in seqs])
    """,
    # ----------------------------------------------------------------- controls
    "control: packed bidirectional LSTM with projections, unsorted": """
        lstm = seeded(T.nn.LSTM(2, 4, num_layers=2, bidirectional=True, proj_size=2,
                                batch_first=True))
        inp = x(3, 4, 2)
        packed = T.nn.utils.rnn.pack_padded_sequence(inp, [2, 4, 1], batch_first=True,
                                                     enforce_sorted=False)
        o, (h, c) = lstm(packed, (x(4, 3, 2, seed=2), x(4, 3, 4, seed=3)))
        padded, lengths = T.nn.utils.rnn.pad_packed_sequence(o, batch_first=True)
        (padded.sum() + h.pow(2).sum() + c.sum()).backward()
        out = (r(padded), lengths.tolist(), r(h), r(inp.grad), r(lstm.weight_hr_l1_reverse.grad))
    """,
    "control: MHA kdim/vdim, bias_kv, zero attn, masks, per-head weights": """
        mha = seeded(T.nn.MultiheadAttention(4, 2, kdim=3, vdim=5, add_bias_kv=True,
                                             add_zero_attn=True, batch_first=True))
        q, k, v = x(2, 3, 4), x(2, 2, 3, seed=2), x(2, 2, 5, seed=3)
        kpm = T.tensor([[False, True], [False, False]])
        am = T.tensor(np.random.default_rng(4).standard_normal((4, 3, 2)))
        o, w = mha(q, k, v, key_padding_mask=kpm, attn_mask=am, average_attn_weights=False)
        (o.pow(2).sum() + w.sum()).backward()
        out = (r(o), r(w), r(q.grad), r(v.grad), r(mha.k_proj_weight.grad))
    """,
    "control: Transformer norm_first gelu with masks": """
        tr = seeded(T.nn.Transformer(4, 2, 1, 2, 6, dropout=0.0, activation="gelu",
                                     norm_first=True, batch_first=True))
        src, tgt = x(2, 3, 4), x(2, 2, 4, seed=2)
        o = tr(src, tgt, tgt_mask=T.nn.Transformer.generate_square_subsequent_mask(2),
               src_key_padding_mask=T.tensor([[False, False, True], [False, False, False]]))
        o.pow(2).sum().backward()
        out = (r(o), r(src.grad), r(tr.decoder.layers[1].multihead_attn.in_proj_weight.grad))
    """,
    "control: sdpa grouped heads with a broadcast boolean mask and a scale": """
        q, k, v = x(2, 4, 3, 2), x(2, 2, 3, 2, seed=2), x(2, 2, 3, 3, seed=3)
        mask = T.tensor([[True, False, True]])
        o = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=0.7, enable_gqa=True)
        o.pow(2).sum().backward()
        out = (r(o), r(q.grad), r(k.grad))
    """,
    "control: GRUCell unbatched over steps": """
        cell = seeded(T.nn.GRUCell(2, 3))
        inp, h = x(2), x(3, seed=2)
        h1 = cell(inp, h)
        h2 = cell(inp * 2, h1)
        h2.sum().backward()
        out = (r(h2), r(inp.grad), r(cell.weight_hh.grad))
    """,
}


@pytest.mark.filterwarnings("ignore::UserWarning")  # PyTorch's on mismatched mask dtypes
@pytest.mark.parametrize("name", SNIPPETS)
def test_sequence_attention_case_matches_pytorch(name: str) -> None:
    code = SNIPPETS[name]
    assert outcome(cr, code, PRELUDE) == outcome(torch, code, PRELUDE)
