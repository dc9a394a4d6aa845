"""Cases a fuzz run of the seeded random streams against PyTorch found chainrule answering
differently: each snippet runs on both libraries after the same seed and compares the values
drawn exactly (their dtypes and every bit, through ``exact``), the state of the global stream
afterwards (one more ``rand(3)``), or the error raised (its type and first line).

A snippet sets ``out``; ``T`` is the library (see :func:`snippet_outcome.outcome`).
"""

from __future__ import annotations

import pytest
import torch
from snippet_outcome import outcome

import chainrule as cr

# Values and dtypes as Python's repr writes them (exact for floats), then the stream's next
# draw.
PRELUDE = """
T.manual_seed(7)
def exact(*tensors):
    return [(str(t.dtype), t.tolist()) for t in tensors] + [T.rand(3).tolist()]
"""

CASES = {
    # ---- in-place fills of a tensor laid out otherwise: PyTorch fills it in memory order
    "uniform_ transposed": "out = exact(T.zeros(5, 3).t().uniform_())",
    "uniform_ permuted": "out = exact(T.zeros(4, 3, 2).permute(2, 0, 1).uniform_(-1, 1))",
    "random_ transposed": "out = exact(T.zeros(4, 3, dtype=T.int64).t().random_(10))",
    "random_ permuted uint8": (
        "out = exact(T.zeros(2, 1, 3, dtype=T.uint8).permute(2, 0, 1).random_(10))"
    ),
    "bernoulli_ transposed": "out = exact(T.zeros(33, 2).t().bernoulli_(0.3))",
    "exponential_ transposed": "out = exact(T.zeros(33, 16).t().exponential_(3.0))",
    "geometric_ permuted": "out = exact(T.zeros(17, 2, 3).permute(2, 0, 1).geometric_(0.1))",
    "log_normal_ transposed float64": (
        "out = exact(T.zeros(16, 31, dtype=T.float64).t().log_normal_(0.0, 1.0))"
    ),
    "cauchy_ transposed generator": (
        "g = T.Generator().manual_seed(3)\n"
        "out = exact(T.zeros(3, 16).t().cauchy_(1.0, 0.5, generator=g), T.rand(2, generator=g))"
    ),
    "normal_ transposed, few": "out = exact(T.zeros(3, 2).t().normal_(10.0, 3.0))",
    # ---- normal_ of a tensor that is not contiguous: one Box-Muller value at a time
    "normal_ sliced columns": "out = exact(T.zeros(16, 4)[:, ::2].normal_(3.7, 3.0))",
    "normal_ sliced rows": "out = exact(T.zeros(48, 31)[1::3].normal_(3.7, 0.7))",
    "normal_ sliced float64": "out = exact(T.zeros(33, 4, dtype=T.float64)[:, ::2].normal_())",
    "normal_ permuted float64": (
        "out = exact(T.zeros(16, 16, 2, dtype=T.float64).permute(2, 0, 1).normal_(1.0, 2.0))"
    ),
    # ---- float64 normals by blocks of 16: x * std + mean fused into one FMA
    "normal_ float64 blocks": (
        "T.manual_seed(0)\nout = exact(T.empty(16, dtype=T.float64).normal_(3.7, 0.02))"
    ),
    "normal_ float64 blocks and tail": (
        "out = exact(T.empty(1000, dtype=T.float64).normal_(1e-3, 3.0))"
    ),
    "normal float64 numbers": "out = exact(T.normal(0.25, 0.7, (33,), dtype=T.float64))",
    "init.normal_ float64": (
        "T.manual_seed(0)\n"
        "out = exact(T.nn.init.normal_(T.empty(16, 8, dtype=T.float64), 3.7, 0.02))"
    ),
    # ---- integers: two 32-bit draws each from a range of 2**28 on, whatever the dtype
    "randint range 2**31": "out = exact(T.randint(3, 2**31 + 3, (5,)))",
    "randint range 2**28": "out = exact(T.randint(0, 2**28, (4,)))",
    "randint generator": (
        "g = T.Generator().manual_seed(0)\n"
        "out = exact(T.randint(0, 2**31, (17,), generator=g), T.rand(2, generator=g))"
    ),
    "random_ int32 from": "out = exact(T.zeros(15, dtype=T.int32).random_(3, None))",
    "random_ int32 to": "out = exact(T.zeros(4, dtype=T.int32).random_(2**30))",
    "random_ float64 to": "out = exact(T.zeros(4, dtype=T.float64).random_(0, 2**29))",
    # ---- randint into a float dtype: random_'s bounds, moved to values the dtype holds
    "randint float32 wide": "out = exact(T.randint(-128, 2**40, (4,), dtype=T.float32))",
    "randint float32 negative": (
        "out = exact(T.randint(-(2**40), -(2**40) + 2**16, (6,), dtype=T.float32))"
    ),
    "randint_like float32 wide": "out = exact(T.randint_like(T.zeros(4), -3, 2**33 - 3))",
    "randint float64 wide": "out = exact(T.randint(2**32 - 128, (3,), dtype=T.float64))",
    "randint uint8 both ends out": "out = exact(T.randint(-5, 65531, (5,), dtype=T.uint8))",
    "randint_like uint8 both ends out": (
        "out = exact(T.randint_like(T.zeros(4, dtype=T.uint8), -3, 2**33))"
    ),
    # ---- dropout's mask drawn into empty_like(x): in x's memory order
    "dropout transposed": "out = exact(T.nn.functional.dropout(T.ones(4, 3).t(), 0.5))",
    "dropout permuted": (
        "out = exact(T.nn.Dropout(0.3)(T.ones(2, 3, 4, dtype=T.float64).permute(2, 0, 1)))"
    ),
    "alpha_dropout transposed": (
        "out = exact(T.nn.functional.alpha_dropout(T.ones(5, 4).t(), 0.2, training=True))"
    ),
    # ---- bernoulli_ with tensor probabilities draws in self's memory order; bernoulli of
    # transposed probabilities draws row-major; multinomial's noise follows its weights' layout
    "bernoulli_ tensor p transposed": (
        "p = T.arange(1.0, 13.0).reshape(4, 3) / 13\nout = exact(T.zeros(3, 4).t().bernoulli_(p))"
    ),
    "bernoulli_ tensor p permuted float64": (
        "p = T.arange(1.0, 25.0, dtype=T.float64).reshape(2, 3, 4) / 25\n"
        "out = exact(T.zeros(4, 2, 3, dtype=T.float64).permute(1, 2, 0).bernoulli_(p))"
    ),
    "bernoulli of transposed p": (
        "out = exact(T.bernoulli(T.arange(1.0, 13.0).reshape(4, 3).t() / 13))"
    ),
    "multinomial of transposed weights": (
        "w = T.arange(1.0, 13.0, dtype=T.float64).reshape(4, 3).t()\n"
        "out = exact(T.multinomial(w, 3), T.multinomial(w, 1))"
    ),
    # ---- rrelu's slopes u * (upper - lower) + lower in two roundings, not uniform_'s FMA
    "rrelu float64 in training": (
        "x = T.arange(-30, 10, dtype=T.float64) / 8\n"
        "out = exact(T.nn.functional.rrelu(x, 0.1, 0.7, training=True))"
    ),
    # ---- gumbel_softmax draws row-major (legacy_contiguous_format), whatever the layout;
    # its softmax may differ in the last bit
    "gumbel_softmax transposed": (
        "y = T.nn.functional.gumbel_softmax(T.arange(12.0).reshape(3, 4).t(), 2.0)\n"
        "out = (y * 1e4).round().tolist()"
    ),
    # ---- randperm refuses a dtype that cannot hold its values
    "randperm int8 overflow": "out = exact(T.randperm(129, dtype=T.int8))",
    "randperm uint8 overflow": "out = exact(T.randperm(257, dtype=T.uint8))",
    "randperm float16 precision": "out = exact(T.randperm(2050, dtype=T.float16))",
    "randperm bool": "out = exact(T.randperm(0, dtype=T.bool))",
    # ---- samplers and multinomial: PyTorch's refusals, in its order
    "RandomSampler empty with replacement": (
        "out = list(T.utils.data.RandomSampler(range(0), replacement=True, num_samples=3))"
    ),
    "WeightedRandomSampler too many": (
        "out = list(T.utils.data.WeightedRandomSampler([0], 20, replacement=False))"
    ),
    "multinomial too many before negative": "out = T.multinomial(T.tensor([-1.0, 1.0]), 3)",
    "multinomial negative": "out = T.multinomial(T.tensor([-1.0, 1.0]), 2)",
    "multinomial nan, one sample": "out = T.multinomial(T.tensor([float('nan'), 1.0]), 1, True)",
    "multinomial negative with replacement": (
        "out = T.multinomial(T.tensor([-1.0, 1.0]), 2, True)"
    ),
    "multinomial inf with replacement": (
        "out = T.multinomial(T.tensor([float('inf'), 1.0]), 2, True)"
    ),
}

# Next to the fixes above, what they must leave alone (these never differed): one 32-bit draw
# below a range of 2**28, and random_() of an int32 (its own kernel: one draw each).
GUARDS = {
    "randint range below 2**28": "out = exact(T.randint(0, 2**28 - 1, (4,)))",
    "random_ int32 whole range": "out = exact(T.zeros(4, dtype=T.int32).random_())",
    "normal_ float64 mean 0": (
        "T.manual_seed(0)\nout = exact(T.nn.init.xavier_normal_(T.empty(8, 3, 3, 3, "
        "dtype=T.float64)))"
    ),
}


@pytest.mark.parametrize("name", list(CASES) + list(GUARDS))
def test_seeded_random_case_as_pytorch(name: str) -> None:
    code = CASES.get(name) or GUARDS[name]
    assert outcome(cr, code, PRELUDE) == outcome(torch, code, PRELUDE)
