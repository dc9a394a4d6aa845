"""Recurrent, attention, transformer, Conv1d and GroupNorm layers against PyTorch's.

Each case builds the layer with ``lib.nn`` for both libraries, loads PyTorch's weights into
chainrule's through ``load_state_dict`` (so state dict names and shapes must agree), runs the
same float64 inputs, and compares every output, the gradient of a fixed weighted sum of the
outputs with respect to each input, and the gradient of every parameter. Dropout is 0 in these
cases: the masks are random, and ``test_nn_modules.py`` checks dropout's statistics.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr

NO_ATTEND = np.array([[False, True, False, False], [False, False, True, False]] + [[False] * 4] * 2)
PADDING = np.array([[False, False, False, True], [False, True, False, False]])


def _flat(result: Any) -> list[Any]:
    """Every tensor in a (nested) tuple of outputs, None dropped."""
    if isinstance(result, tuple | list):
        return [t for part in result for t in _flat(part)]
    return [] if result is None else [result]


def _run(lib: Any, module: Any, call: Callable[..., Any], arrays: list[np.ndarray]) -> list[Any]:
    inputs = [lib.tensor(a, requires_grad=True) for a in arrays]
    outputs = _flat(call(lib, module, *inputs))
    total = sum(
        (y * lib.tensor(np.cos(np.arange(y.numel())).reshape(tuple(y.shape)))).sum()
        for y in outputs
    )
    total.backward()
    grads = [x.grad for x in inputs] + [p.grad for _, p in module.named_parameters()]
    return [y.detach().numpy() for y in outputs] + [
        np.zeros(0) if g is None else g.numpy() for g in grads
    ]


def _plain(lib: Any, m: Any, *xs: Any) -> Any:
    return m(*xs)


def _mask(lib: Any, values: np.ndarray) -> Any:
    return lib.tensor(values)


# name: (build(nn), input shapes, call(lib, module, *inputs))
CASES: dict[str, tuple[Callable[[Any], Any], list[tuple[int, ...]], Callable[..., Any]]] = {
    "rnn": (lambda nn: nn.RNN(3, 4), [(5, 2, 3)], _plain),
    "rnn_relu_two_layers_h0": (
        lambda nn: nn.RNN(3, 4, 2, "relu"),
        [(5, 2, 3), (2, 2, 4)],
        _plain,
    ),
    "rnn_batch_first_bidirectional": (
        lambda nn: nn.RNN(3, 4, batch_first=True, bidirectional=True),
        [(2, 5, 3)],
        _plain,
    ),
    "rnn_unbatched_no_bias": (lambda nn: nn.RNN(3, 4, bias=False), [(5, 3)], _plain),
    "lstm": (lambda nn: nn.LSTM(3, 4), [(5, 2, 3)], _plain),
    "lstm_two_layers_bidirectional_batch_first": (
        lambda nn: nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True),
        [(2, 5, 3)],
        _plain,
    ),
    "lstm_initial_state": (
        lambda nn: nn.LSTM(3, 4, num_layers=2),
        [(5, 2, 3), (2, 2, 4), (2, 2, 4)],
        lambda lib, m, x, h, c: m(x, (h, c)),
    ),
    "lstm_unbatched": (lambda nn: nn.LSTM(3, 4, bidirectional=True), [(5, 3)], _plain),
    "gru": (lambda nn: nn.GRU(3, 4), [(5, 2, 3)], _plain),
    "gru_three_layers_bidirectional_h0": (
        lambda nn: nn.GRU(3, 4, num_layers=3, bidirectional=True),
        [(5, 2, 3), (6, 2, 4)],
        _plain,
    ),
    "gru_batch_first_no_bias": (
        lambda nn: nn.GRU(3, 4, batch_first=True, bias=False),
        [(2, 5, 3)],
        _plain,
    ),
    "rnn_cell": (lambda nn: nn.RNNCell(3, 4), [(2, 3), (2, 4)], _plain),
    "rnn_cell_relu_no_state": (lambda nn: nn.RNNCell(3, 4, nonlinearity="relu"), [(2, 3)], _plain),
    "lstm_cell": (
        lambda nn: nn.LSTMCell(3, 4),
        [(2, 3), (2, 4), (2, 4)],
        lambda lib, m, x, h, c: m(x, (h, c)),
    ),
    "lstm_cell_unbatched": (lambda nn: nn.LSTMCell(3, 4), [(3,)], _plain),
    "gru_cell": (lambda nn: nn.GRUCell(3, 4), [(2, 3), (2, 4)], _plain),
    "gru_cell_unbatched_no_bias": (lambda nn: nn.GRUCell(3, 4, bias=False), [(3,), (4,)], _plain),
    "conv1d": (lambda nn: nn.Conv1d(3, 4, 3, stride=2, padding=1), [(2, 3, 9)], _plain),
    "conv1d_same_no_bias": (
        lambda nn: nn.Conv1d(3, 2, 4, padding="same", bias=False),
        [(3, 7)],
        _plain,
    ),
    "group_norm": (lambda nn: nn.GroupNorm(2, 4), [(3, 4, 5)], _plain),
    "group_norm_no_affine_image": (
        lambda nn: nn.GroupNorm(3, 6, affine=False),
        [(2, 6, 2, 3)],
        _plain,
    ),
    "multihead_attention": (
        lambda nn: nn.MultiheadAttention(6, 2),
        [(4, 2, 6), (5, 2, 6), (5, 2, 6)],
        _plain,
    ),
    "multihead_attention_batch_first_per_head_weights": (
        lambda nn: nn.MultiheadAttention(6, 3, batch_first=True),
        [(2, 4, 6), (2, 4, 6), (2, 4, 6)],
        lambda lib, m, q, k, v: m(q, k, v, average_attn_weights=False),
    ),
    "multihead_attention_masks": (
        lambda nn: nn.MultiheadAttention(6, 2, batch_first=True),
        [(2, 4, 6)],
        lambda lib, m, x: m(
            x, x, x, attn_mask=_mask(lib, NO_ATTEND), key_padding_mask=_mask(lib, PADDING)
        ),
    ),
    "multihead_attention_float_mask_no_weights": (
        lambda nn: nn.MultiheadAttention(6, 2, bias=False),
        [(4, 2, 6), (4, 4)],
        lambda lib, m, x, mask: m(x, x, x, attn_mask=mask, need_weights=False),
    ),
    "multihead_attention_causal_unbatched": (
        lambda nn: nn.MultiheadAttention(6, 2),
        [(4, 6)],
        lambda lib, m, x: m(
            x, x, x, attn_mask=_mask(lib, np.triu(np.ones((4, 4), bool), 1)), is_causal=True
        ),
    ),
    "transformer_encoder_layer": (
        lambda nn: nn.TransformerEncoderLayer(6, 2, 8, dropout=0.0),
        [(4, 2, 6)],
        _plain,
    ),
    "transformer_encoder_layer_norm_first_gelu_masks": (
        lambda nn: nn.TransformerEncoderLayer(
            6, 3, 10, dropout=0.0, activation="gelu", batch_first=True, norm_first=True
        ),
        [(2, 4, 6)],
        lambda lib, m, x: m(
            x, src_mask=_mask(lib, NO_ATTEND), src_key_padding_mask=_mask(lib, PADDING)
        ),
    ),
    "transformer_encoder": (
        lambda nn: nn.TransformerEncoder(
            nn.TransformerEncoderLayer(6, 2, 8, dropout=0.0, batch_first=True),
            2,
            norm=nn.LayerNorm(6),
            enable_nested_tensor=False,
        ),
        [(2, 4, 6)],
        _plain,
    ),
    "transformer_decoder_layer": (
        lambda nn: nn.TransformerDecoderLayer(6, 2, 8, dropout=0.0),
        [(4, 2, 6), (3, 2, 6)],
        _plain,
    ),
    "transformer_decoder_layer_norm_first_masks": (
        lambda nn: nn.TransformerDecoderLayer(
            6, 3, 10, dropout=0.0, activation="gelu", batch_first=True, norm_first=True
        ),
        [(2, 4, 6), (2, 4, 6)],
        lambda lib, m, x, mem: m(
            x,
            mem,
            tgt_mask=lib.nn.Transformer.generate_square_subsequent_mask(4, dtype=lib.float64),
            memory_key_padding_mask=_mask(lib, PADDING),
        ),
    ),
    "transformer_decoder_causal_guess": (
        lambda nn: nn.TransformerDecoder(
            nn.TransformerDecoderLayer(6, 2, 8, dropout=0.0, batch_first=True), 2, nn.LayerNorm(6)
        ),
        [(2, 4, 6), (2, 3, 6)],
        lambda lib, m, x, mem: m(
            x, mem, tgt_mask=lib.nn.Transformer.generate_square_subsequent_mask(4)
        ),
    ),
    "transformer": (
        lambda nn: nn.Transformer(6, 2, 1, 2, 8, dropout=0.0, batch_first=True),
        [(2, 5, 6), (2, 4, 6)],
        lambda lib, m, src, tgt: m(
            src,
            tgt,
            tgt_mask=m.generate_square_subsequent_mask(4, dtype=lib.float64),
            src_key_padding_mask=_mask(lib, np.c_[PADDING, [False, False]]),
        ),
    ),
}


@pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")  # PyTorch's, harmless
@pytest.mark.parametrize("name", list(CASES))
def test_layer_with_pytorch_weights_gives_pytorch_outputs_and_gradients(
    name: str, rng: np.random.Generator
) -> None:
    assert_layer_matches_pytorch(name, *CASES[name], rng)


def assert_layer_matches_pytorch(
    name: str,
    build: Callable[[Any], Any],
    shapes: list[tuple[int, ...]],
    call: Callable[..., Any],
    rng: np.random.Generator,
) -> None:
    """The layer ``build`` makes, with PyTorch's weights loaded, gives PyTorch's outputs and
    gradients (to inputs and parameters) on the same float64 inputs."""
    arrays = [rng.uniform(-1.0, 1.0, shape) for shape in shapes]
    reference = build(torch.nn).double()
    ours = build(cr.nn).double()
    assert list(ours.state_dict()) == list(reference.state_dict())
    ours.load_state_dict(reference.state_dict())
    theirs = _run(torch, reference, call, arrays)
    mine = _run(cr, ours, call, arrays)
    assert len(mine) == len(theirs)
    for i, (a, b) in enumerate(zip(mine, theirs, strict=True)):
        assert a.shape == b.shape, f"{name}: result {i}"
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=f"{name}: result {i}")


@pytest.mark.parametrize("name", list(CASES))
def test_layer_repr_and_parameter_shapes_are_pytorch_ones(name: str) -> None:
    build = CASES[name][0]
    ours, theirs = build(cr.nn), build(torch.nn)
    assert repr(ours) == repr(theirs)
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == [
        (n, tuple(p.shape)) for n, p in theirs.named_parameters()
    ]


def test_default_initialisation_bounds_are_pytorch_ones() -> None:
    # Recurrent weights: U(-1/sqrt(hidden), 1/sqrt(hidden)); attention: xavier, zero biases.
    lstm = cr.nn.LSTM(3, 16)
    for p in lstm.parameters():
        assert np.abs(p.detach().numpy()).max() <= 0.25
        assert np.abs(p.detach().numpy()).max() > 0.2
    mha = cr.nn.MultiheadAttention(8, 2)
    bound = np.sqrt(6 / (8 + 24))
    assert np.abs(mha.in_proj_weight.detach().numpy()).max() <= bound
    assert not mha.in_proj_bias.detach().numpy().any()
    assert not mha.out_proj.bias.detach().numpy().any()


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda lib: lib.nn.RNN(3, 4)(lib.ones(2, 5, 2)), "input_size"),
        (lambda lib: lib.nn.GRU(3, 4)(lib.ones(5, 2, 3), lib.ones(2, 2, 4)), "hidden size"),
        (lambda lib: lib.nn.LSTM(3, 4)(lib.ones(0, 2, 3)), "sequence length to be larger than 0"),
        (
            lambda lib: lib.nn.GRU(3, 4, batch_first=True)(lib.ones(2, 0, 3)),
            "sequence length to be larger than 0",
        ),
        (lambda lib: lib.nn.RNN(3, 4)(lib.ones(0, 3)), "sequence length to be larger than 0"),
        (lambda lib: lib.nn.RNN(3, 4, nonlinearity="gelu"), "nonlinearity"),
        (lambda lib: lib.nn.MultiheadAttention(6, 4), "divisible"),
        (lambda lib: lib.nn.GroupNorm(4, 6), "divisible"),
        (lambda lib: lib.nn.functional.group_norm(lib.ones(2, 6, 3), 4), "divisible"),
        (
            lambda lib: lib.nn.functional.scaled_dot_product_attention(
                lib.ones(2, 3), lib.ones(2, 3), lib.ones(2, 3), lib.ones(2, 2), is_causal=True
            ),
            "is_causal",
        ),
        (
            lambda lib: lib.nn.MultiheadAttention(4, 2)(
                lib.ones(3, 4), lib.ones(3, 4), lib.ones(3, 4), is_causal=True
            ),
            "attn_mask",
        ),
        (
            lambda lib: lib.nn.Transformer(4, 2, 1, 1, 8)(lib.ones(3, 2, 4), lib.ones(3, 1, 4)),
            "the batch number of src and tgt must be equal",
        ),
        (
            lambda lib: lib.nn.Transformer(4, 2, 1, 1, 8)(lib.ones(3, 2, 4), lib.ones(3, 2, 5)),
            "the feature number of src and tgt must be equal to d_model",
        ),
        (lambda lib: lib.nn.TransformerDecoderLayer(4, 2, activation="tanh"), "relu/gelu"),
    ],
)
def test_misuse_raises_the_exception_pytorch_raises(build: Callable[[Any], Any], message: str):
    with pytest.raises(Exception) as theirs:
        build(torch)
    with pytest.raises(type(theirs.value), match=message):
        build(cr)


def test_float32_recurrence_stays_float32() -> None:
    out, (h, c) = cr.nn.LSTM(2, 3)(cr.ones(4, 1, 2))
    assert out.dtype == h.dtype == c.dtype == cr.float32


def _is_dropout_of(dropped: np.ndarray, kept: np.ndarray, p: float) -> None:
    """Every element of ``dropped`` is 0 or ``kept / (1 - p)``, and both kinds occur."""
    zero = dropped == 0
    np.testing.assert_allclose(dropped[~zero], kept[~zero] / (1 - p), rtol=1e-6)
    assert zero.any() and not zero.all()


def test_attention_dropout_drops_weights_and_rescales_the_rest() -> None:
    cr.manual_seed(3)
    q, k = cr.randn(2, 6, 3), cr.randn(2, 6, 3)
    identity = cr.eye(6).expand(2, 6, 6)  # values = identity: the output is the weights
    kept = cr.nn.functional.scaled_dot_product_attention(q, k, identity).numpy()
    dropped = cr.nn.functional.scaled_dot_product_attention(q, k, identity, dropout_p=0.5)
    _is_dropout_of(dropped.numpy(), kept, 0.5)


def test_multihead_attention_dropout_applies_in_training_only() -> None:
    cr.manual_seed(4)
    mha = cr.nn.MultiheadAttention(4, 2, dropout=0.4)
    x = cr.randn(5, 2, 4)
    mha.eval()
    _, kept = mha(x, x, x, average_attn_weights=False)
    mha.train()
    _, dropped = mha(x, x, x, average_attn_weights=False)
    _is_dropout_of(dropped.detach().numpy(), kept.detach().numpy(), 0.4)


@pytest.mark.parametrize("seed", [0, 3])
def test_transformer_initialises_as_pytorch_from_the_same_seed(seed: int) -> None:
    """Every layer draws in PyTorch's order, then every matrix is drawn again (Xavier)."""
    weights = []
    for lib in (cr, torch):
        lib.manual_seed(seed)
        model = lib.nn.Transformer(6, 2, 2, 1, 8, dropout=0.0)
        weights.append([p.detach().numpy() for p in model.parameters()])
    for ours, theirs in zip(*weights, strict=True):
        np.testing.assert_array_equal(ours, theirs)


def test_square_subsequent_mask_as_pytorchs() -> None:
    for size, dtype in ((1, None), (4, "float64")):
        ours = cr.nn.Transformer.generate_square_subsequent_mask(size, dtype=dtype and cr.float64)
        theirs = torch.nn.Transformer.generate_square_subsequent_mask(
            size, dtype=dtype and torch.float64
        )
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
