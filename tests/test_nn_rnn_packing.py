"""``nn.utils.rnn`` (padding and packing sequences of different lengths) and the recurrent
layers on packed batches, against PyTorch: the same calls on both, values, dtypes, the packed
fields, and the gradients back to the sequences and to the weights (PyTorch's weights loaded
into chainrule's layers)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr

LENGTHS = [3, 5, 1, 5, 2]  # unsorted, with a tie


def _sequences(lib: Any, lengths: list[int], features: int = 2) -> list[Any]:
    rng = np.random.default_rng(sum(lengths))
    return [lib.tensor(rng.uniform(-1, 1, (n, features)), requires_grad=True) for n in lengths]


def _fields(value: Any) -> list[np.ndarray]:
    """Every tensor of a result (a PackedSequence's four fields, a tuple's items) as arrays,
    None as an empty marker."""
    if value is None:
        return [np.array(["None"])]
    if isinstance(value, tuple | list):
        return [a for v in value for a in _fields(v)]
    return [np.asarray(value.detach().tolist()), np.array([str(value.dtype).split(".")[-1]])]


# name -> call(lib, sequences) -> result; the sequences' gradients come from the result's
# first tensor.
CALLS: dict[str, Callable[[Any, list[Any]], Any]] = {
    "pad_sequence": lambda lib, s: lib.nn.utils.rnn.pad_sequence(s),
    "pad_sequence_batch_first_value": lambda lib, s: lib.nn.utils.rnn.pad_sequence(
        s, batch_first=True, padding_value=-1.5
    ),
    "pad_sequence_left": lambda lib, s: lib.nn.utils.rnn.pad_sequence(
        s, batch_first=True, padding_side="left"
    ),
    "pack_sequence_unsorted": lambda lib, s: lib.nn.utils.rnn.pack_sequence(
        s, enforce_sorted=False
    ),
    "pack_padded_sorted": lambda lib, s: lib.nn.utils.rnn.pack_padded_sequence(
        lib.nn.utils.rnn.pad_sequence(sorted(s, key=len, reverse=True)),
        sorted(LENGTHS, reverse=True),
    ),
    "pack_padded_batch_first_tensor_lengths": lambda lib, s: lib.nn.utils.rnn.pack_padded_sequence(
        lib.nn.utils.rnn.pad_sequence(s, batch_first=True),
        lib.tensor(LENGTHS),
        batch_first=True,
        enforce_sorted=False,
    ),
    "pad_packed_round_trip": lambda lib, s: lib.nn.utils.rnn.pad_packed_sequence(
        lib.nn.utils.rnn.pack_sequence(s, enforce_sorted=False), batch_first=True
    ),
    "pad_packed_total_length": lambda lib, s: lib.nn.utils.rnn.pad_packed_sequence(
        lib.nn.utils.rnn.pack_sequence(s, enforce_sorted=False),
        padding_value=9.0,
        total_length=7,
    ),
    "unpack_sequence": lambda lib, s: lib.cat(
        lib.nn.utils.rnn.unpack_sequence(lib.nn.utils.rnn.pack_sequence(s, enforce_sorted=False))
    ),
}


@pytest.mark.parametrize("name", list(CALLS))
def test_packing_as_pytorchs(name: str) -> None:
    results = []
    for lib in (cr, torch):
        seqs = _sequences(lib, LENGTHS)
        result = CALLS[name](lib, seqs)
        first = result[0] if isinstance(result, tuple) else result
        weights = lib.tensor(np.sin(np.arange(first.numel())).reshape(tuple(first.shape)))
        (first * weights).sum().backward()
        results.append(_fields(result) + [np.asarray(s.grad.tolist()) for s in seqs])
    ours, theirs = results
    assert len(ours) == len(theirs)
    for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        np.testing.assert_array_equal(a, b, err_msg=f"{name}: field {i}")


# name -> (module builder, hx builder or None)
LAYERS: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any] | None]] = {
    "rnn": (lambda nn: nn.RNN(2, 3), None),
    "rnn_relu_two_layers_hx": (
        lambda nn: nn.RNN(2, 3, num_layers=2, nonlinearity="relu"),
        lambda lib: lib.tensor(np.linspace(-1, 1, 2 * 5 * 3).reshape(2, 5, 3)),
    ),
    "lstm_bidirectional_two_layers": (
        lambda nn: nn.LSTM(2, 3, num_layers=2, bidirectional=True),
        None,
    ),
    "lstm_hx": (
        lambda nn: nn.LSTM(2, 4),
        lambda lib: (
            lib.tensor(np.linspace(-1, 1, 20).reshape(1, 5, 4)),
            lib.tensor(np.linspace(1, -1, 20).reshape(1, 5, 4)),
        ),
    ),
    "gru_bidirectional_batch_first": (
        lambda nn: nn.GRU(2, 3, batch_first=True, bidirectional=True),
        None,
    ),
}


@pytest.mark.parametrize("enforce_sorted", [False, True])
@pytest.mark.parametrize("name", list(LAYERS))
def test_recurrent_layers_on_packed_batches_as_pytorchs(name: str, enforce_sorted: bool) -> None:
    build, make_hx = LAYERS[name]
    lengths = sorted(LENGTHS, reverse=True) if enforce_sorted else LENGTHS
    reference = build(torch.nn).double()
    ours = build(cr.nn).double()
    ours.load_state_dict(reference.state_dict())
    results = []
    for lib, module in ((cr, ours), (torch, reference)):
        seqs = _sequences(lib, lengths)
        packed = lib.nn.utils.rnn.pack_sequence(seqs, enforce_sorted=enforce_sorted)
        hx = None if make_hx is None else make_hx(lib)
        output, h_n = module(packed, hx)
        assert isinstance(output, lib.nn.utils.rnn.PackedSequence)
        finals = list(h_n) if isinstance(h_n, tuple) else [h_n]
        total = sum((t * lib.cos(t)).sum() for t in [output.data, *finals])
        total.backward()
        results.append(
            _fields(output)
            + _fields(finals)
            + [np.asarray(s.grad.tolist()) for s in seqs]
            + [np.asarray(p.grad.tolist()) for p in module.parameters()]
        )
    for i, (a, b) in enumerate(zip(*results, strict=True)):
        if a.dtype.kind == "f":
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=f"{name}: {i}")
        else:
            np.testing.assert_array_equal(a, b, err_msg=f"{name}: {i}")


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda lib, x: lib.nn.utils.rnn.pack_padded_sequence(x, [1, 3]), RuntimeError),
        (
            lambda lib, x: lib.nn.utils.rnn.pack_padded_sequence(x, [3, 0], enforce_sorted=False),
            RuntimeError,
        ),
        (
            lambda lib, x: lib.nn.utils.rnn.pad_packed_sequence(
                lib.nn.utils.rnn.pack_padded_sequence(x, [3, 2]), total_length=2
            ),
            ValueError,
        ),
        (lambda lib, x: lib.nn.utils.rnn.pad_sequence([x[0]], padding_side="middle"), RuntimeError),
    ],
    ids=["unsorted_lengths", "zero_length", "total_length_too_short", "padding_side"],
)
def test_misuse_raises_pytorchs_error(call: Callable[..., Any], error: type) -> None:
    messages = []
    for lib in (cr, torch):
        with pytest.raises(error) as info:
            call(lib, lib.zeros(3, 2, 1))
        messages.append(str(info.value).splitlines()[0])
    assert messages[0] == messages[1]


def test_a_length_beyond_the_padded_steps_is_refused() -> None:
    # PyTorch reads past the padded steps here without a word; chainrule says so.
    with pytest.raises(RuntimeError, match="a length of 5 is longer than the input's 3 steps"):
        cr.nn.utils.rnn.pack_padded_sequence(cr.zeros(3, 2, 1), [5, 2])


def test_sort_topk_and_cdist_have_pytorchs_node_names() -> None:
    for lib in (cr, torch):
        x = lib.tensor([3.0, 1.0, 2.0], requires_grad=True)
        assert lib.sort(x).values.grad_fn.name() == "SortBackward0"
        assert x.topk(2).values.grad_fn.name() == "TopkBackward0"
        points = lib.tensor([[0.0, 1.0], [2.0, 3.0]], requires_grad=True)
        assert lib.cdist(points, points).grad_fn.name() == "CdistBackward0"
