"""Seeded random streams equal PyTorch's CPU values, bit for bit, over seeds, sizes and dtypes.

Each row draws with chainrule and with PyTorch after the same ``manual_seed`` (or from a
``Generator`` seeded alike) and compares every value exactly, then draws once more to check
that both streams advanced by the same amount. Float32 normals from 16 values on go through
PyTorch's AVX2 polynomials (see ``chainrule._normal_avx2``), the path of x86 CPUs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from snippet_outcome import outcome

import chainrule as cr

SEEDS = (0, 1, 42, 2**40 + 3)
SIZES = (1, 5, 15, 16, 17, 100, 1000)


def _both(draw: Callable[[Any], Any], seed: int) -> tuple[np.ndarray, np.ndarray]:
    results = []
    for lib in (cr, torch):
        lib.manual_seed(seed)
        out = draw(lib)
        after = lib.rand(3)  # the stream must have advanced alike
        results.append((np.asarray(out.tolist()), np.asarray(after.tolist())))
    (ours, ours_after), (theirs, theirs_after) = results
    np.testing.assert_array_equal(ours_after, theirs_after)
    return ours, theirs


DRAWS: dict[str, Callable[[Any, int], Any]] = {
    "rand": lambda lib, n: lib.rand(n),
    "rand_float64": lambda lib, n: lib.rand(n, dtype=lib.float64),
    "rand_2d": lambda lib, n: lib.rand(n, 3),
    "randn": lambda lib, n: lib.randn(n),
    "randn_2d": lambda lib, n: lib.randn(3, n),
    "randn_float64": lambda lib, n: lib.randn(n, dtype=lib.float64),
    "normal_": lambda lib, n: lib.empty(n).normal_(-1.5, 0.25),
    "normal_float64": lambda lib, n: lib.empty(n, dtype=lib.float64).normal_(3.0, 2.0),
    "randn_small": lambda lib, n: lib.randn(min(n, 15)),
    "randn_small_twice": lambda lib, n: lib.cat([lib.randn(min(n, 7)), lib.randn(3)]),
    "normal_small": lambda lib, n: lib.empty(min(n, 15)).normal_(2.0, 0.5),
    "normal_numbers": lambda lib, n: lib.normal(2.0, 3.0, size=(n,)),
    "normal_mean_tensor": lambda lib, n: lib.normal(lib.arange(float(n)), 0.5),
    "normal_std_tensor": lambda lib, n: lib.normal(1.5, lib.rand(n)),
    "normal_tensors": lambda lib, n: lib.normal(lib.rand(n, 1), lib.rand(1, 3)),
    "normal_tensors_float64": lambda lib, n: lib.normal(
        lib.zeros(n, dtype=lib.float64), lib.rand(n, dtype=lib.float64)
    ),
    "uniform_": lambda lib, n: lib.empty(n).uniform_(-0.3, 0.7),
    "uniform_float64": lambda lib, n: lib.empty(n, dtype=lib.float64).uniform_(-2, 5),
    "randint": lambda lib, n: lib.randint(-5, 7, (n,)),
    "randint_high_only": lambda lib, n: lib.randint(1000, (n, 2)),
    "randint_wide": lambda lib, n: lib.randint(0, 2**40, (n,)),
    "randperm": lambda lib, n: lib.randperm(n),
    "bernoulli_tensor": lambda lib, n: lib.bernoulli(lib.rand(n)),
    "bernoulli_float64": lambda lib, n: lib.bernoulli(lib.rand(n, dtype=lib.float64)),
    "bernoulli_scalar": lambda lib, n: lib.empty(n).bernoulli_(0.3),
    "exponential": lambda lib, n: lib.empty(n, dtype=lib.float64).exponential_(),
    "multinomial_replacement": lambda lib, n: lib.multinomial(lib.rand(4, 9), n, True),
    "multinomial_no_replacement": lambda lib, n: lib.multinomial(lib.rand(3, 40), min(n, 40)),
    "multinomial_one": lambda lib, n: lib.multinomial(lib.rand(n + 1), 1),
    "dropout": lambda lib, n: lib.nn.functional.dropout(lib.ones(n, 2), 0.3),
    "rand_float16": lambda lib, n: lib.rand(n, dtype=lib.float16),
    "uniform_float16": lambda lib, n: lib.empty(n * 9, dtype=lib.float16).uniform_(2, 3),
    "randn_float16_up_to_16": lambda lib, n: lib.randn(min(n, 16), dtype=lib.float16),
    "rand_like": lambda lib, n: lib.rand_like(lib.zeros(n, 2, dtype=lib.float64)),
    "randn_like": lambda lib, n: lib.randn_like(lib.zeros(2, n)),
    "randint_like": lambda lib, n: lib.randint_like(lib.zeros(n), 3, 9),
    "randint_int32": lambda lib, n: lib.randint(0, 10, (n,), dtype=lib.int32),
    "dropout_module": lambda lib, n: lib.nn.Dropout(0.2)(lib.ones(n, 3)),
    "dropout_float64": lambda lib, n: lib.nn.functional.dropout(lib.ones(n, dtype=lib.float64)),
    "init_normal": lambda lib, n: lib.nn.init.normal_(lib.empty(n, 3), 0.0, 0.02),
    "init_uniform": lambda lib, n: lib.nn.init.uniform_(lib.empty(3, n), -1.0, 1.0),
    "init_xavier_uniform": lambda lib, n: lib.nn.init.xavier_uniform_(lib.empty(n, 7)),
    "init_xavier_normal": lambda lib, n: lib.nn.init.xavier_normal_(lib.empty(5, n), gain=2.0),
    "init_kaiming_uniform": lambda lib, n: lib.nn.init.kaiming_uniform_(lib.empty(n, 4), a=0.1),
    "init_kaiming_normal": lambda lib, n: lib.nn.init.kaiming_normal_(
        lib.empty(n, 6), mode="fan_out", nonlinearity="relu"
    ),
    "randint_generator": lambda lib, n: lib.randint(
        0, 27, (n,), generator=lib.Generator().manual_seed(2147483647)
    ),
    "randn_generator_float64": lambda lib, n: lib.randn(
        n, 2, dtype=lib.float64, generator=lib.Generator().manual_seed(5)
    ),
    "generator": lambda lib, n: lib.rand(n, generator=lib.Generator().manual_seed(n)),
    "generator_randperm": lambda lib, n: lib.randperm(n, generator=lib.Generator().manual_seed(7)),
    "generator_multinomial": lambda lib, n: lib.multinomial(
        lib.tensor([0.2, 0.0, 0.5, 0.3]), n, True, generator=lib.Generator().manual_seed(3)
    ),
    # ATen fuses x * std + mean into one FMA: visible in float64 with a std like 0.7.
    "normal_small_float64": lambda lib, n: lib.empty(min(n, 15), dtype=lib.float64).normal_(
        0.5, 0.7
    ),
    "random_": lambda lib, n: lib.empty(n).random_(),
    "random_float64": lambda lib, n: lib.empty(n, dtype=lib.float64).random_(),
    "random_float16": lambda lib, n: lib.empty(n, dtype=lib.float16).random_(),
    "random_int64": lambda lib, n: lib.empty(n, dtype=lib.int64).random_(),
    "random_int32": lambda lib, n: lib.empty(n, dtype=lib.int32).random_(),
    "random_int8": lambda lib, n: lib.empty(n, dtype=lib.int8).random_(),
    "random_uint8": lambda lib, n: lib.empty(n, dtype=lib.uint8).random_(),
    "random_bool": lambda lib, n: lib.empty(n, dtype=lib.bool).random_(),
    "random_to": lambda lib, n: lib.empty(n).random_(10),
    "random_to_keyword": lambda lib, n: lib.empty(n, dtype=lib.int16).random_(to=300),
    "random_from_to": lambda lib, n: lib.empty(n, dtype=lib.int64).random_(-7, 7),
    "random_wide": lambda lib, n: lib.empty(n, dtype=lib.float64).random_(0, 2**40),
    "random_from_none": lambda lib, n: lib.empty(n, dtype=lib.int8).random_(3, None),
    "random_whole_int64": lambda lib, n: lib.empty(n, dtype=lib.int64).random_(-(2**63), None),
    "random_whole_int32": lambda lib, n: lib.empty(n, dtype=lib.int32).random_(-(2**31), None),
    "geometric_": lambda lib, n: lib.empty(n).geometric_(0.3),
    "geometric_float64_small_p": lambda lib, n: lib.empty(n, dtype=lib.float64).geometric_(1e-3),
    "geometric_int64": lambda lib, n: lib.empty(n, dtype=lib.int64).geometric_(0.2),
    "log_normal_": lambda lib, n: lib.empty(n).log_normal_(),
    "log_normal_float64": lambda lib, n: lib.empty(n, dtype=lib.float64).log_normal_(-1, 0.3),
    "log_normal_after_randn": lambda lib, n: lib.cat(  # the cached Box-Muller value, both ways
        [lib.randn(3, dtype=lib.float64), lib.empty(n, dtype=lib.float64).log_normal_(0.5, 0.7)]
        + [lib.randn(1, dtype=lib.float64)]
    ),
    "cauchy_": lambda lib, n: lib.empty(n).cauchy_(),
    "cauchy_float64": lambda lib, n: lib.empty(n, dtype=lib.float64).cauchy_(1.0, 2.0),
    "cauchy_float16": lambda lib, n: lib.empty(n, dtype=lib.float16).cauchy_(-1.0, 0.5),
    "generator_fills": lambda lib, n: _fills_from(lib, lib.Generator().manual_seed(n), n),
    "poisson": lambda lib, n: lib.poisson(lib.linspace(0.0, 40.0, n)),
    "poisson_float64_large_rates": lambda lib, n: lib.poisson(
        lib.full((n,), 1e4, dtype=lib.float64)
    ),
    "poisson_generator": lambda lib, n: lib.poisson(
        lib.rand(n, 2) * 20, generator=lib.Generator().manual_seed(n)
    ),
}


def _fills_from(lib: Any, g: Any, n: int) -> Any:
    """Each new fill from one generator in turn (the global stream must not move)."""
    return lib.cat(
        [
            lib.empty(n).random_(100, generator=g),
            lib.empty(n).geometric_(0.5, generator=g),
            lib.empty(n).log_normal_(generator=g),
            lib.empty(n).cauchy_(generator=g),
        ]
    )


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("name", DRAWS)
def test_seeded_draws_equal_pytorchs_bit_for_bit(name: str, n: int, seed: int) -> None:
    ours, theirs = _both(lambda lib: DRAWS[name](lib, n), seed)
    np.testing.assert_array_equal(ours, theirs)


LAYERS: dict[str, Callable[[Any], Any]] = {
    "Linear": lambda lib: lib.nn.Linear(7, 5),
    "Linear_no_bias": lambda lib: lib.nn.Linear(16, 3, bias=False),
    "Conv2d": lambda lib: lib.nn.Conv2d(3, 4, 3),
    "BatchNorm1d": lambda lib: lib.nn.BatchNorm1d(4),
    "LayerNorm": lambda lib: lib.nn.LayerNorm(6),
    "Embedding_small": lambda lib: lib.nn.Embedding(5, 3),
    "Embedding": lambda lib: lib.nn.Embedding(100, 7),
    "Conv1d": lambda lib: lib.nn.Conv1d(3, 5, 4),
    "Embedding_padding": lambda lib: lib.nn.Embedding(10, 4, padding_idx=0),
    "GroupNorm": lambda lib: lib.nn.GroupNorm(2, 4),
    "RNN": lambda lib: lib.nn.RNN(5, 7, num_layers=2),
    "LSTM_bidirectional": lambda lib: lib.nn.LSTM(5, 7, batch_first=True, bidirectional=True),
    "GRU": lambda lib: lib.nn.GRU(3, 17),
    "LSTMCell": lambda lib: lib.nn.LSTMCell(5, 7),
    "MultiheadAttention": lambda lib: lib.nn.MultiheadAttention(8, 2),
    "TransformerEncoderLayer": lambda lib: lib.nn.TransformerEncoderLayer(
        8, 2, dim_feedforward=16, batch_first=True
    ),
    "Sequential": lambda lib: lib.nn.Sequential(
        lib.nn.Linear(4, 8), lib.nn.ReLU(), lib.nn.Linear(8, 2)
    ),
}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", LAYERS)
def test_default_layer_initialisation_equals_pytorchs(name: str, seed: int) -> None:
    ours, theirs = _both(
        lambda lib: lib.cat([p.reshape(-1) for p in LAYERS[name](lib).parameters()]), seed
    )
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("with_generator", [False, True])
def test_dataloader_shuffle_equals_pytorchs(seed: int, with_generator: bool) -> None:
    def epochs(lib: Any) -> Any:
        data = lib.utils.data.TensorDataset(lib.arange(23))
        generator = lib.Generator().manual_seed(seed + 1) if with_generator else None
        loader = lib.utils.data.DataLoader(data, batch_size=5, shuffle=True, generator=generator)
        return lib.cat([batch for _ in range(3) for (batch,) in loader])

    ours, theirs = _both(epochs, seed)
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("with_generator", [False, True])
def test_dataloader_passes_leave_the_global_stream_as_pytorchs(
    seed: int, shuffle: bool, with_generator: bool
) -> None:
    """Every pass draws the workers' base seed when its iterator is made (before the
    sampler's first draw), shuffled or not: the global draws around the passes match."""

    def draws(lib: Any) -> Any:
        data = lib.utils.data.TensorDataset(lib.arange(7))
        generator = lib.Generator().manual_seed(seed + 1) if with_generator else None
        loader = lib.utils.data.DataLoader(data, batch_size=3, shuffle=shuffle, generator=generator)
        batches = iter(loader)
        between = lib.rand(2)  # after the iterator is made, before its first batch
        first = next(batches)[0]
        after_one_pass = [b for (b,) in loader]
        return lib.cat([between, first, *after_one_pass, lib.rand(3)])

    ours, theirs = _both(draws, seed)
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(
    "lengths", [[7, 3], [0.8, 0.2], [0.3, 0.3, 0.4], [0.34, 0.33, 0.33]], ids=str
)
@pytest.mark.parametrize("with_generator", [False, True])
def test_random_split_holds_pytorchs_items(
    seed: int, lengths: list[float], with_generator: bool
) -> None:
    def split(lib: Any) -> Any:
        data = lib.utils.data.TensorDataset(lib.arange(10))
        generator = lib.Generator().manual_seed(seed + 1) if with_generator else None
        parts = lib.utils.data.random_split(data, lengths, generator=generator)
        sizes = lib.tensor([len(p) for p in parts])
        items = [part[i][0].reshape(1) for part in parts for i in range(len(part))]
        return lib.cat([sizes, *items])

    ours, theirs = _both(split, seed)
    np.testing.assert_array_equal(ours, theirs)


def test_random_split_and_concat_refuse_and_warn_as_pytorch() -> None:
    for lib in (cr, torch):
        data = lib.utils.data.TensorDataset(lib.arange(4))
        with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
            lib.utils.data.random_split(data, [2, 1])
        with pytest.raises(ValueError, match="Fraction at index 0 is not between 0 and 1"):
            lib.utils.data.random_split(data, [1.5, -0.5])
        with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
            lib.utils.data.random_split(data, [1.0, 0.0])
        both = data + lib.utils.data.TensorDataset(lib.arange(10, 13))
        assert isinstance(both, lib.utils.data.ConcatDataset)
        assert [int(both[i][0]) for i in (0, 3, 4, 6, -1, -7)] == [0, 3, 10, 12, 12, 0]
        assert both.cumulative_sizes == [4, 7]
        with pytest.raises(ValueError, match="absolute value of index should not exceed"):
            both[-8]
        with pytest.raises(IndexError):
            both[7]
        with pytest.raises(AssertionError, match="datasets should not be an empty iterable"):
            lib.utils.data.ConcatDataset([])


def test_generator_state_round_trips_and_initial_seed() -> None:
    g = cr.Generator().manual_seed(11)
    cr.randn(3, generator=g)  # leaves a cached Box-Muller value behind
    state = g.get_state()
    first = cr.randn(5, generator=g)
    g.set_state(state)
    assert cr.equal(cr.randn(5, generator=g), first)
    assert g.initial_seed() == 11
    assert cr.Generator().initial_seed() == torch.Generator().initial_seed()


# multinomial of no draws, and the samplers built on it, refuse as PyTorch's kernel does
NO_DRAWS = {
    "multinomial_zero": "out = T.multinomial(T.tensor([0.3, 0.7]), 0, True)",
    "multinomial_negative": "out = T.multinomial(T.tensor([0.3, 0.7]), -1)",
    "multinomial_zero_before_weights": "out = T.multinomial(T.tensor([-1.0, 1.0]), 0)",
    "categorical_empty_sample": (
        "out = T.distributions.Categorical(probs=T.tensor([0.3, 0.7])).sample((2, 0))"
    ),
    "one_hot_empty_sample": (
        "out = T.distributions.OneHotCategorical(probs=T.tensor([0.3, 0.7])).sample((0,))"
    ),
    "multinomial_of_no_trials": (
        "out = T.distributions.Multinomial(0, probs=T.tensor([0.3, 0.7])).sample()"
    ),
}


@pytest.mark.parametrize("name", sorted(NO_DRAWS))
def test_sampling_no_draws_is_refused_as_pytorch(name: str) -> None:
    assert outcome(cr, NO_DRAWS[name]) == outcome(torch, NO_DRAWS[name])
