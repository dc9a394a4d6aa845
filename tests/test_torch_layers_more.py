"""More of ``torch.nn``'s layers and layer options against PyTorch: Softplus, LSTM with
projections, attention with its own key and value sizes, extra key/value biases and a zero
attention slot, embedding max_norm and bags, and further losses and dropouts.

Each layer case builds the layer with ``lib.nn`` for both libraries, loads PyTorch's state dict
into chainrule's (so names, order and shapes must agree; no common seeding is needed), runs the
same float64 inputs and compares outputs and gradients to inputs and parameters (the runner is
``tests/test_nn_sequence_layers.py``'s). Errors are compared by exception type and message.
The op-table rows of the new functions are ``tests/op_table_layers.py``'s.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from test_nn_sequence_layers import assert_layer_matches_pytorch

import chainrule as cr
import chainrule.nn.functional as F


def _plain(lib: Any, m: Any, *xs: Any) -> Any:
    return m(*xs)


def _lstm_state(lib: Any, m: Any, x: Any, h: Any, c: Any) -> Any:
    return m(x, (h, c))


NO_ATTEND = np.array([[False, True, False, False, False], [False, False, True, False, True]] * 2)
PADDING = np.array([[False, False, False, True, False], [False, True, False, False, False]])


def _masked(lib: Any, m: Any, q: Any, k: Any, v: Any) -> Any:
    return m(q, k, v, attn_mask=lib.tensor(NO_ATTEND), key_padding_mask=lib.tensor(PADDING))


def _float_masks_per_head(lib: Any, m: Any, q: Any, k: Any, v: Any, mask: Any, pad: Any) -> Any:
    return m(q, k, v, attn_mask=mask, key_padding_mask=pad, average_attn_weights=False)


def _functional(lib: Any, m: Any, q: Any, k: Any, v: Any, static_v: Any) -> Any:
    """F.multi_head_attention_forward called as PyTorch code calls it, with the module's
    parameters, a static value and a padding mask."""
    return lib.nn.functional.multi_head_attention_forward(
        q,
        k,
        v,
        m.embed_dim,
        m.num_heads,
        m.in_proj_weight,
        m.in_proj_bias,
        None,
        None,
        True,
        0.0,
        m.out_proj.weight,
        m.out_proj.bias,
        key_padding_mask=lib.tensor(PADDING),
        static_v=static_v,
        average_attn_weights=False,
    )


BAG_INDEX = [1, 3, 9, 3, 0, 2, 7, 7]  # repeats within and across bags
BAG_OFFSETS = [0, 2, 2, 5]  # an empty bag


def _bags(lib: Any, m: Any, *weights: Any) -> Any:
    return m(lib.tensor(BAG_INDEX), lib.tensor(BAG_OFFSETS), *weights)


def _bags_2d(lib: Any, m: Any) -> Any:
    return m(lib.tensor(BAG_INDEX).reshape(2, 4))


def _bags_last_offset(lib: Any, m: Any) -> Any:
    return m(lib.tensor(BAG_INDEX), lib.tensor(BAG_OFFSETS + [len(BAG_INDEX)]))


def _lookups(lib: Any, m: Any) -> Any:
    return m(lib.tensor([[1, 3, 1], [0, 3, 9]]))


# name: (build(nn), input shapes, call(lib, module, *inputs))
LAYERS: dict[str, tuple[Callable[[Any], Any], list[tuple[int, ...]], Callable[..., Any]]] = {
    "softplus": (lambda nn: nn.Softplus(), [(3, 4)], _plain),
    "softplus_beta_threshold": (lambda nn: nn.Softplus(2.0, 1.5), [(3, 4)], _plain),
    "lstm_proj": (lambda nn: nn.LSTM(3, 5, proj_size=2), [(4, 2, 3)], _plain),
    "lstm_proj_two_layers_bidirectional_batch_first": (
        lambda nn: nn.LSTM(3, 5, 2, batch_first=True, bidirectional=True, proj_size=3),
        [(2, 4, 3)],
        _plain,
    ),
    "lstm_proj_state_no_bias": (
        lambda nn: nn.LSTM(3, 4, 2, bias=False, proj_size=1),
        [(4, 2, 3), (2, 2, 1), (2, 2, 4)],
        _lstm_state,
    ),
    "lstm_proj_unbatched_state": (
        lambda nn: nn.LSTM(3, 4, bidirectional=True, proj_size=2),
        [(5, 3), (2, 2), (2, 4)],
        _lstm_state,
    ),
    "embedding_max_norm": (lambda nn: nn.Embedding(10, 3, max_norm=1.2), [], _lookups),
    "embedding_max_norm_p1_padding": (
        lambda nn: nn.Embedding(10, 3, padding_idx=3, max_norm=0.9, norm_type=1.0),
        [],
        _lookups,
    ),
    "embedding_bag_mean": (lambda nn: nn.EmbeddingBag(10, 3), [], _bags),
    "embedding_bag_sum_weighted": (
        lambda nn: nn.EmbeddingBag(10, 3, mode="sum"),
        [(len(BAG_INDEX),)],
        _bags,
    ),
    "embedding_bag_max_padding": (
        lambda nn: nn.EmbeddingBag(10, 3, mode="max", padding_idx=7),
        [],
        _bags,
    ),
    "embedding_bag_mean_padding_2d": (
        lambda nn: nn.EmbeddingBag(10, 3, padding_idx=-7),
        [],
        _bags_2d,
    ),
    "embedding_bag_sum_last_offset_max_norm": (
        lambda nn: nn.EmbeddingBag(10, 3, 1.0, 3.0, mode="sum", include_last_offset=True),
        [],
        _bags_last_offset,
    ),
    "multilabel_margin_loss_sum": (
        lambda nn: nn.MultiLabelMarginLoss(reduction="sum"),
        [(3, 4)],
        lambda lib, m, x: m(x, lib.tensor([[3, 0, -1, 1], [2, 2, 1, -1], [-1, 0, 1, 2]])),
    ),
    "multilabel_margin_loss_one_sample_none": (
        lambda nn: nn.MultiLabelMarginLoss(reduction="none"),
        [(4,)],
        lambda lib, m, x: m(x, lib.tensor([1, 3, -1, 0])),
    ),
    "triplet_margin_with_distance_loss": (
        lambda nn: nn.TripletMarginWithDistanceLoss(),
        [(4, 3), (4, 3), (4, 3)],
        _plain,
    ),
    "triplet_margin_with_distance_loss_module_distance_swap": (
        lambda nn: nn.TripletMarginWithDistanceLoss(
            distance_function=nn.PairwiseDistance(p=1.0), margin=0.5, swap=True, reduction="none"
        ),
        [(4, 3), (4, 3), (4, 3)],
        _plain,
    ),
    "attention_kdim_vdim": (
        lambda nn: nn.MultiheadAttention(6, 2, kdim=3, vdim=5),
        [(4, 2, 6), (5, 2, 3), (5, 2, 5)],
        _plain,
    ),
    "attention_kdim_only_batch_first_masks": (
        lambda nn: nn.MultiheadAttention(6, 3, kdim=4, batch_first=True),
        [(2, 4, 6), (2, 5, 4), (2, 5, 6)],
        _masked,
    ),
    "attention_bias_kv": (
        lambda nn: nn.MultiheadAttention(6, 2, add_bias_kv=True),
        [(4, 2, 6), (5, 2, 6), (5, 2, 6)],
        _plain,
    ),
    "attention_zero_attn_masks": (
        lambda nn: nn.MultiheadAttention(6, 2, add_zero_attn=True),
        [(4, 2, 6), (5, 2, 6), (5, 2, 6)],
        _masked,
    ),
    "attention_everything_float_masks_per_head": (
        lambda nn: nn.MultiheadAttention(
            6, 2, bias=False, add_bias_kv=True, add_zero_attn=True, kdim=2, vdim=3
        ),
        [(4, 2, 6), (5, 2, 2), (5, 2, 3), (4, 4, 5), (2, 5)],
        _float_masks_per_head,
    ),
    "attention_everything_unbatched": (
        lambda nn: nn.MultiheadAttention(
            6, 2, add_bias_kv=True, add_zero_attn=True, kdim=2, vdim=3, batch_first=True
        ),
        [(4, 6), (5, 2), (5, 3)],
        _plain,
    ),
    "multi_head_attention_forward_static_v_zero_attn": (
        lambda nn: nn.MultiheadAttention(6, 2),
        [(4, 2, 6), (5, 2, 6), (5, 2, 6), (4, 5, 3)],
        _functional,
    ),
}


@pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")
@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_with_pytorch_weights_gives_pytorch_outputs_and_gradients(
    name: str, rng: np.random.Generator
) -> None:
    assert_layer_matches_pytorch(name, *LAYERS[name], rng)


# The bases themselves have no forward in PyTorch (chainrule's RNNBase runs its mode): their
# construction is compared.
BASES = {
    **{name: case[0] for name, case in LAYERS.items()},
    "rnn_base_lstm_proj": lambda nn: nn.RNNBase("LSTM", 3, 5, 2, proj_size=2),
    "rnn_base_relu_bidirectional": lambda nn: nn.RNNBase("RNN_RELU", 3, 4, bidirectional=True),
    "rnn_base_gru_batch_first": lambda nn: nn.RNNBase("GRU", 3, 4, batch_first=True, bias=False),
    "rnn_cell_base_gru": lambda nn: nn.RNNCellBase(3, 4, True, 3),
    "rnn_cell_base_no_bias": lambda nn: nn.RNNCellBase(2, 5, False, 4),
}


@pytest.mark.parametrize("name", list(BASES))
def test_layer_repr_attributes_and_parameter_shapes_are_pytorch_ones(name: str) -> None:
    build = BASES[name]
    ours, theirs = build(cr.nn), build(torch.nn)
    assert repr(ours) == repr(theirs)
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == [
        (n, tuple(p.shape)) for n, p in theirs.named_parameters()
    ]
    for key, value in vars(theirs).items():
        if not key.startswith("_") and isinstance(value, int | float | bool | str | None):
            assert getattr(ours, key) == value, key


def test_the_recurrent_layers_are_their_bases_instances_as_in_pytorch() -> None:
    for lib in (cr, torch):
        assert all(isinstance(m(2, 3), lib.nn.RNNBase) for m in (lib.nn.RNN, lib.nn.GRU))
        assert isinstance(lib.nn.LSTMCell(2, 3), lib.nn.RNNCellBase)
        assert lib.nn.LSTM(2, 3).mode == "LSTM" and lib.nn.RNN(2, 3, 1, "relu").mode == "RNN_RELU"


def test_lstm_proj_initialises_every_weight_from_pytorchs_bound() -> None:
    lstm = cr.nn.LSTM(3, 16, proj_size=4)
    assert tuple(lstm.weight_hr_l0.shape) == (4, 16)
    for p in lstm.parameters():
        assert 0.2 < np.abs(p.detach().numpy()).max() <= 0.25


@pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")
@pytest.mark.parametrize("enforce_sorted", [False, True])
def test_lstm_proj_on_a_packed_batch_as_pytorchs(enforce_sorted: bool) -> None:
    lengths = [4, 3, 3, 1] if enforce_sorted else [3, 4, 1, 3]
    rng = np.random.default_rng(3)
    arrays = [rng.uniform(-1, 1, (n, 2)) for n in lengths]
    reference = torch.nn.LSTM(2, 4, 2, bidirectional=True, proj_size=3).double()
    ours = cr.nn.LSTM(2, 4, 2, bidirectional=True, proj_size=3).double()
    ours.load_state_dict(reference.state_dict())
    results = []
    for lib, module in ((cr, ours), (torch, reference)):
        seqs = [lib.tensor(a, requires_grad=True) for a in arrays]
        packed = lib.nn.utils.rnn.pack_sequence(seqs, enforce_sorted=enforce_sorted)
        output, (h, c) = module(packed)
        (output.data.sin().sum() + h.cos().sum() + (c * c).sum()).backward()
        results.append(
            [output.data, h, c] + [s.grad for s in seqs] + [p.grad for p in module.parameters()]
        )
    for i, (a, b) in enumerate(zip(*results, strict=True)):
        np.testing.assert_allclose(
            a.detach().numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12, err_msg=str(i)
        )


@pytest.mark.parametrize("lib", [cr, torch])
def test_embedding_max_norm_renormalises_the_looked_up_rows_in_place(lib: Any) -> None:
    rng = np.random.default_rng(5)
    table = rng.normal(size=(6, 4)) * 2
    weight = lib.tensor(table, requires_grad=True)
    before = weight._version
    out = lib.nn.functional.embedding(lib.tensor([[4, 1], [1, 0]]), weight, max_norm=1.5)
    assert weight._version == before + 1
    norms = np.linalg.norm(table, axis=1)
    expected = table.copy()
    for row in (0, 1, 4):
        if norms[row] > 1.5:
            expected[row] *= 1.5 / (norms[row] + 1e-7)
    np.testing.assert_allclose(weight.detach().numpy(), expected, rtol=1e-15)
    np.testing.assert_array_equal(out.detach().numpy(), expected[[[4, 1], [1, 0]]])
    out.sum().backward()
    np.testing.assert_array_equal(weight.grad.numpy().sum(1), [4.0, 8.0, 0, 0, 4.0, 0])


def test_embedding_max_norm_float32_rows_as_pytorchs() -> None:
    table = (np.random.default_rng(6).normal(size=(50, 8)) * 3).astype(np.float32)
    index = np.random.default_rng(7).integers(0, 50, (4, 9))
    results = []
    for lib in (cr, torch):
        weight = lib.tensor(table)
        out = lib.nn.functional.embedding(lib.tensor(index), weight, max_norm=2.0, norm_type=2.5)
        results.append((weight.numpy(), out.numpy()))
    for ours, theirs in zip(*results, strict=True):
        assert ours.dtype == theirs.dtype
        # float32 norms: NumPy's and PyTorch's sums may differ in the last bit.
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=0)


@pytest.mark.parametrize("freeze", [True, False])
def test_from_pretrained_shares_the_tensor_and_freezes_as_pytorch(freeze: bool) -> None:
    for lib in (cr, torch):
        table = lib.tensor([[1.0, 2.0], [3.0, 4.0], [0.5, 0.5]])
        for module in (
            lib.nn.Embedding.from_pretrained(table, freeze, padding_idx=2, max_norm=4.0),
            lib.nn.EmbeddingBag.from_pretrained(table, freeze, mode="max", padding_idx=-1),
        ):
            assert module.weight.requires_grad is not freeze
            assert module.padding_idx == 2 and module.weight.shape == (3, 2)
            module.weight.data[0, 0] = 7.0
            assert table[0, 0].item() == 7.0
    assert repr(cr.nn.EmbeddingBag.from_pretrained(cr.ones(3, 2), max_norm=2)) == repr(
        torch.nn.EmbeddingBag.from_pretrained(torch.ones(3, 2), max_norm=2)
    )


@pytest.mark.parametrize(
    ("scores", "target", "reduction"),
    [
        (0.5, 0, "none"),
        (0.5, -1, "mean"),
        (np.zeros((0, 2)), np.zeros((0, 2), int), "none"),
        ([0.3, float("inf"), -1.0], [2, -1, 1], "none"),
        ([[0.3, float("nan"), -1.0]], [[1, 0, -1]], "mean"),
    ],
)
def test_multilabel_margin_loss_edges_as_pytorchs(scores: Any, target: Any, reduction: str) -> None:
    # (Not an empty batch reduced: PyTorch returns uninitialised memory there; chainrule's
    # sum is 0, its mean nan, as of any empty tensor.)
    results = []
    for lib in (cr, torch):
        x = lib.tensor(scores, dtype=lib.float64, requires_grad=True)
        loss = lib.nn.functional.multilabel_margin_loss(x, lib.tensor(target), reduction=reduction)
        loss.sum().backward()
        results.append((loss.detach().numpy(), x.grad.numpy()))
    for ours, theirs in zip(*results, strict=True):
        assert ours.shape == theirs.shape
        np.testing.assert_allclose(ours, theirs, rtol=1e-15)


# name: call(lib, x) on a float32 (3, 4, 5) input, under the same seed in both libraries
RANDOM_CALLS: dict[str, Callable[[Any, Any], Any]] = {
    "alpha_dropout": lambda lib, x: lib.nn.functional.alpha_dropout(x, 0.3, True),
    "alpha_dropout_eval": lambda lib, x: lib.nn.functional.alpha_dropout(x, 0.3),
    "alpha_dropout_p1": lambda lib, x: lib.nn.functional.alpha_dropout(x, 1.0, True),
    "alpha_dropout_module": lambda lib, x: lib.nn.AlphaDropout(0.2)(x),
    "alpha_dropout_module_eval": lambda lib, x: lib.nn.AlphaDropout(0.2).eval()(x),
    "feature_alpha_dropout": lambda lib, x: lib.nn.functional.feature_alpha_dropout(x, 0.5, True),
    "feature_alpha_dropout_module": lambda lib, x: lib.nn.FeatureAlphaDropout(0.4)(x),
    "gumbel_softmax": lambda lib, x: lib.nn.functional.gumbel_softmax(x),
    "gumbel_softmax_hard_dim": lambda lib, x: lib.nn.functional.gumbel_softmax(x, 0.3, True, dim=1),
    "channel_shuffle": lambda lib, x: lib.nn.functional.channel_shuffle(x.reshape(3, 4, 5, 1), 2),
    "channel_shuffle_module": lambda lib, x: lib.nn.ChannelShuffle(4)(x),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", list(RANDOM_CALLS))
def test_seeded_draws_values_and_gradients_as_pytorchs(name: str, dtype: str) -> None:
    data = np.random.default_rng(8).normal(size=(3, 4, 5))
    results = []
    for lib in (cr, torch):
        lib.manual_seed(11)
        x = lib.tensor(data, dtype=getattr(lib, dtype), requires_grad=True)
        y = RANDOM_CALLS[name](lib, x)
        y.backward(lib.tensor(np.cos(np.arange(y.numel())), dtype=y.dtype).reshape(y.shape))
        node = None if y.grad_fn is None else y.grad_fn.name()  # eval: the input itself
        results.append((y.detach().numpy(), x.grad.numpy(), node))
    (y, g, node), (ty, tg, tnode) = results
    assert y.dtype == ty.dtype and y.shape == ty.shape and node == tnode
    exact = not name.startswith("gumbel")  # exp, log and softmax: libm's last bits
    np.testing.assert_allclose(y, ty, rtol=0 if exact else 1e-6)
    np.testing.assert_allclose(g, tg, rtol=0 if exact else 1e-5, atol=0 if exact else 1e-6)


def test_alpha_dropout_keeps_zero_mean_and_unit_variance() -> None:
    x = cr.randn(400, 500)
    for y in (F.alpha_dropout(x, 0.2, True), F.feature_alpha_dropout(x[:, :, None], 0.2, True)):
        values = y.numpy()
        assert abs(values.mean()) < 0.02 and abs(values.std() - 1) < 0.02
    dropped = F.alpha_dropout(x, 0.2, True).numpy() == np.float32(-1.7580993408473766 * 1.0)
    assert dropped.sum() == 0  # the dropped value is shifted and scaled, never alpha itself


def test_gumbel_softmax_hard_is_one_hot_with_the_soft_gradient() -> None:
    cr.manual_seed(2)
    logits = cr.randn(6, 4, requires_grad=True)
    y = F.gumbel_softmax(logits, 0.5, hard=True)
    assert sorted(set(y.detach().numpy().ravel().tolist())) == [0.0, 1.0]
    np.testing.assert_array_equal(y.detach().numpy().sum(1), np.ones(6))
    with pytest.warns(UserWarning, match="`eps` parameter is deprecated and has no effect."):
        F.gumbel_softmax(logits, eps=1e-5)


def _error_of(call: Callable[[Any], Any]) -> tuple[type, str]:
    try:
        call(torch)
    except Exception as e:  # noqa: BLE001 - whatever PyTorch raises is the reference
        return type(e), str(e).splitlines()[0]
    raise AssertionError("PyTorch raised nothing")


def _mha(lib: Any, *shapes: tuple[int, ...], **options: Any) -> Any:
    """A call of a MultiheadAttention(4, 2, **options) on ones of the given shapes."""
    return lib.nn.MultiheadAttention(4, 2, **options)(*(lib.ones(s) for s in shapes))


def _bag(lib: Any, index: Any, offsets: Any = None, **options: Any) -> Any:
    """F.embedding_bag over a (10, 3) table; lists become int64 tensors."""
    as_tensor = lambda v: lib.tensor(v) if isinstance(v, list) else v  # noqa: E731
    options = {k: as_tensor(v) for k, v in options.items()}
    return lib.nn.functional.embedding_bag(
        as_tensor(index), lib.ones(10, 3), as_tensor(offsets), **options
    )


def _multilabel(lib: Any, shape: tuple[int, ...], target: Any, dtype: Any = None) -> Any:
    target = lib.tensor(target, dtype=dtype or lib.int64)
    return lib.nn.functional.multilabel_margin_loss(lib.ones(shape), target)


def _triplet(lib: Any, *shapes: tuple[int, ...], **options: Any) -> Any:
    return lib.nn.functional.triplet_margin_with_distance_loss(
        *(lib.ones(s) for s in shapes), **options
    )


ERRORS: dict[str, Callable[[Any], Any]] = {
    "rnn_base_mode": lambda lib: lib.nn.RNNBase("LSTMX", 3, 4),
    "alpha_dropout_p": lambda lib: lib.nn.functional.alpha_dropout(lib.ones(3), 1.5, True),
    "alpha_dropout_module_p": lambda lib: lib.nn.AlphaDropout(-0.1),
    "feature_alpha_dropout_1d": lambda lib: lib.nn.functional.feature_alpha_dropout(
        lib.ones(3), 0.5, True
    ),
    "channel_shuffle_2d": lambda lib: lib.nn.functional.channel_shuffle(lib.ones(2, 4), 2),
    "channel_shuffle_groups": lambda lib: lib.nn.functional.channel_shuffle(lib.ones(2, 4, 3), 0),
    "channel_shuffle_divisible": lambda lib: lib.nn.ChannelShuffle(2)(lib.ones(2, 5, 3)),
    "multilabel_float_target": lambda lib: _multilabel(lib, (2, 2), [[0, 1]] * 2, lib.float32),
    "multilabel_int32_target": lambda lib: _multilabel(lib, (2, 2), [[0, 1]] * 2, lib.int32),
    "multilabel_target_shape": lambda lib: _multilabel(lib, (2, 3), [[0, 1]] * 2),
    "multilabel_target_range": lambda lib: _multilabel(lib, (2, 3), [[0, 5, -1], [1, -1, 0]]),
    "multilabel_target_below": lambda lib: _multilabel(lib, (2, 3), [[0, 1, -2], [1, -1, 0]]),
    "multilabel_3d": lambda lib: _multilabel(lib, (2, 3, 4), np.zeros((2, 3, 4), int).tolist()),
    "multilabel_no_classes": lambda lib: _multilabel(lib, (2, 0), [[], []]),
    "triplet_distance_margin": lambda lib: _triplet(lib, (2, 3), (2, 3), (2, 3), margin=0.0),
    "triplet_distance_reduction": lambda lib: _triplet(lib, (2, 3), (2, 3), (2, 3), reduction="x"),
    "triplet_distance_dims": lambda lib: _triplet(lib, (2, 3), (3,), (2, 3)),
    "triplet_distance_module_margin": lambda lib: lib.nn.TripletMarginWithDistanceLoss(margin=-1.0),
    "triplet_distance_positional": lambda lib: lib.nn.TripletMarginWithDistanceLoss(None),
    "embedding_padding_idx": lambda lib: lib.nn.Embedding(3, 2, padding_idx=3),
    "embedding_negative_padding_idx": lambda lib: lib.nn.Embedding(3, 2, padding_idx=-4),
    "functional_embedding_padding_idx": lambda lib: lib.nn.functional.embedding(
        lib.tensor([1]), lib.ones(3, 2), padding_idx=5
    ),
    "embedding_weight_shape": lambda lib: lib.nn.Embedding(3, 2, _weight=lib.ones(2, 3)),
    "from_pretrained_1d": lambda lib: lib.nn.Embedding.from_pretrained(lib.ones(3)),
    "bag_padding_idx": lambda lib: lib.nn.EmbeddingBag(3, 2, padding_idx=3),
    "bag_functional_padding_idx": lambda lib: _bag(lib, [1, 2], [0], padding_idx=10),
    "bag_2d_with_offsets": lambda lib: _bag(lib, [[1, 2], [3, 4]], [0, 1]),
    "bag_1d_without_offsets": lambda lib: _bag(lib, [1, 2, 3]),
    "bag_offsets_2d": lambda lib: _bag(lib, [1, 2, 3], [[0, 1]]),
    "bag_input_3d": lambda lib: _bag(lib, [[[1, 2, 3]]]),
    "bag_first_offset": lambda lib: _bag(lib, [1, 2, 3], [1, 2]),
    "bag_last_offset": lambda lib: _bag(lib, [1, 2, 3], [0, 5]),
    "bag_mode": lambda lib: _bag(lib, [1, 2, 3], [0, 1], mode="median"),
    "bag_weights_mode": lambda lib: _bag(
        lib, [1, 2, 3], [0, 1], per_sample_weights=lib.ones(3), mode="max"
    ),
    "bag_weights_mean": lambda lib: _bag(lib, [1, 2, 3], [0, 1], per_sample_weights=lib.ones(3)),
    "bag_weights_shape": lambda lib: _bag(
        lib, [1, 2, 3], [0, 1], per_sample_weights=lib.ones(2), mode="sum"
    ),
    "bag_index_range": lambda lib: _bag(lib, [1, 2, 13], [0, 1]),
    "bag_negative_index": lambda lib: _bag(lib, [1, -2, 3], [0, 1]),
    "attention_kdim_mismatch": lambda lib: _mha(lib, (3, 1, 4), (5, 1, 4), (5, 1, 4), kdim=3),
    "attention_value_shape": lambda lib: _mha(lib, (3, 1, 4), (5, 1, 4), (4, 1, 4)),
    "attention_separate_value_shape": lambda lib: _mha(
        lib, (3, 1, 4), (5, 1, 2), (4, 1, 4), kdim=2
    ),
    "attention_query_dims": lambda lib: _mha(lib, (3,), (3,), (3,)),
    "attention_key_dims": lambda lib: _mha(lib, (3, 1, 4), (5, 4), (5, 4)),
    "attention_embed_dim": lambda lib: _mha(lib, (3, 1, 5), (5, 1, 5), (5, 1, 5)),
    "attention_mask_shape": lambda lib: lib.nn.MultiheadAttention(4, 2)(
        lib.ones(3, 1, 4), lib.ones(5, 1, 4), lib.ones(5, 1, 4), attn_mask=lib.ones(3, 4)
    ),
    "attention_mask_3d_shape": lambda lib: lib.nn.MultiheadAttention(4, 2)(
        lib.ones(3, 1, 4), lib.ones(5, 1, 4), lib.ones(5, 1, 4), attn_mask=lib.ones(1, 3, 5)
    ),
    "attention_unbatched_mask_3d_shape": lambda lib: lib.nn.MultiheadAttention(4, 2)(
        lib.ones(3, 4), lib.ones(5, 4), lib.ones(5, 4), attn_mask=lib.ones(1, 3, 5)
    ),
    "attention_padding_mask_dims": lambda lib: lib.nn.MultiheadAttention(4, 2)(
        lib.ones(3, 4), lib.ones(5, 4), lib.ones(5, 4), key_padding_mask=lib.ones(1, 5)
    ),
    "attention_bias_k_alone": lambda lib: lib.nn.functional.multi_head_attention_forward(
        *(lib.ones(3, 1, 4),) * 3,
        4,
        2,
        lib.ones(12, 4),
        None,
        lib.ones(1, 1, 4),
        None,
        False,
        0.0,
        lib.ones(4, 4),
        None,
    ),
    "attention_bias_on_static_k": lambda lib: lib.nn.functional.multi_head_attention_forward(
        *(lib.ones(3, 1, 4),) * 3,
        4,
        2,
        lib.ones(12, 4),
        None,
        lib.ones(1, 1, 4),
        lib.ones(1, 1, 4),
        False,
        0.0,
        lib.ones(4, 4),
        None,
        static_k=lib.ones(2, 3, 2),
    ),
    "attention_separate_weight_missing": lambda lib: lib.nn.functional.multi_head_attention_forward(
        *(lib.ones(3, 1, 4),) * 3,
        4,
        2,
        None,
        None,
        None,
        None,
        False,
        0.0,
        lib.ones(4, 4),
        None,
        use_separate_proj_weight=True,
        q_proj_weight=lib.ones(4, 4),
    ),
    "attention_static_v_size": lambda lib: lib.nn.functional.multi_head_attention_forward(
        *(lib.ones(3, 1, 4),) * 3,
        4,
        2,
        lib.ones(12, 4),
        None,
        None,
        None,
        False,
        0.0,
        lib.ones(4, 4),
        None,
        static_v=lib.ones(2, 3, 3),
    ),
    "lstm_proj_negative": lambda lib: lib.nn.LSTM(3, 4, proj_size=-1),
    "lstm_proj_not_smaller": lambda lib: lib.nn.LSTM(3, 4, proj_size=4),
    "gru_proj": lambda lib: lib.nn.GRU(3, 4, proj_size=0),
    "rnn_proj": lambda lib: lib.nn.RNN(3, 4, proj_size=2),
    "lstm_proj_h_size": lambda lib: lib.nn.LSTM(3, 4, proj_size=2)(
        lib.ones(5, 2, 3), (lib.ones(1, 2, 4), lib.ones(1, 2, 4))
    ),
    "lstm_proj_c_size": lambda lib: lib.nn.LSTM(3, 4, proj_size=2)(
        lib.ones(5, 2, 3), (lib.ones(1, 2, 2), lib.ones(1, 2, 2))
    ),
    "lstm_unbatched_h_size": lambda lib: lib.nn.LSTM(3, 4, proj_size=2)(
        lib.ones(5, 3), (lib.ones(1, 4), lib.ones(1, 4))
    ),
    "lstm_unbatched_3d_state": lambda lib: lib.nn.LSTM(3, 4)(
        lib.ones(5, 3), (lib.ones(1, 1, 4), lib.ones(1, 4))
    ),
    "lstm_batched_2d_state": lambda lib: lib.nn.LSTM(3, 4)(
        lib.ones(5, 2, 3), (lib.ones(1, 4), lib.ones(1, 4))
    ),
    "gru_unbatched_3d_state": lambda lib: lib.nn.GRU(3, 4)(lib.ones(5, 3), lib.ones(1, 1, 4)),
    "gru_state_size": lambda lib: lib.nn.GRU(3, 4)(lib.ones(5, 3), lib.ones(2, 4)),
}


@pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")
@pytest.mark.parametrize("name", list(ERRORS))
def test_misuse_raises_pytorchs_exception_and_message(name: str) -> None:
    error, message = _error_of(ERRORS[name])
    with pytest.raises(error) as info:
        ERRORS[name](cr)
    ours = str(info.value).splitlines()[0].replace("chainrule", "torch")
    if name in OWN_MESSAGES:
        assert ours == OWN_MESSAGES[name]
    else:
        assert ours == message


# PyTorch's own message is wrong here: its kernels number the entries within a worker's
# chunk of bags ("Index 1" for entry 2), or say "Expected i < index_size".
OWN_MESSAGES = {
    "bag_index_range": "Index 2 of input takes value 13 which is not in the valid range [0, 10)",
    "bag_negative_index": "Index 1 of input takes value -2 which is not in the valid range [0, 10)",
}
