"""topk at ties as PyTorch's CPU kernel: which of equal elements it returns, in which order, and
so where the gradient goes. PyTorch runs libstdc++'s partial_sort (``k * 64 <= n``) or
nth_element (then sort, if ``sorted``) on one line's (value, index) pairs, comparing values
only; chainrule replays those algorithms on the lines where ties (or nth_element's unsorted
order) make the stable sort's answer differ. Each snippet runs with ``T`` as torch and as
chainrule, and what it leaves in ``out`` must be the same (see
:func:`snippet_outcome.outcome`); then a seeded table of tie-heavy tensors compares indices.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from snippet_outcome import GRADIENTS, outcome

import chainrule as cr

PRELUDE = (
    GRADIENTS
    + """
def pair(r):
    return (r.values.tolist(), r.indices.tolist())
def line(*values, dtype=T.float64):  # a leaf (float64) or a tensor of the values
    return T.tensor(values, dtype=dtype, requires_grad=dtype == T.float64)
"""
)

CASES = {
    # ---- partial_sort (k * 64 <= n): the heap's swaps order the tied values
    "partial_sort ties gradient": (
        "x = line(*[float(i % 3) for i in range(130)])\nout = grads(T.topk(x, 2).values, x)"
    ),
    "partial_sort ties smallest": (
        "x = line(*[float(i % 4 > 0) for i in range(200)])\nout = pair(T.topk(x, 3, largest=False))"
    ),
    "partial_sort ties unsorted": (
        "x = line(*[float(i % 5 == 2) for i in range(128)])\n"
        "out = grads(T.topk(x, 2, sorted=False).values, x)"
    ),
    # ---- nth_element (k * 64 > n), then sort of the first k - 1 if sorted
    "nth_element ties gradient": "x = line(1.0, 1.0, 1.0, 0.0, 1.0)\nout = grads(x.topk(2)[0], x)",
    "nth_element ties smallest": (
        "x = line(2.0, 0.0, 2.0, 0.0, 0.0, 1.0, 0.0)\n"
        "out = grads(T.topk(x, 3, largest=False).values, x)"
    ),
    "nth_element ties unsorted": (
        "x = line(1.0, 2.0, 2.0, 0.0, 2.0, 2.0, 1.0)\n"
        "out = grads(T.topk(x, 3, sorted=False).values, x)"
    ),
    "nth_element unsorted order without ties": (
        "x = line(3.0, 1.0, 4.0, 1.5, 5.0, 9.0, 2.0, 6.0)\n"
        "out = grads(T.topk(x, 5, sorted=False).values, x)"
    ),
    "nth_element unsorted smallest without ties": (
        "out = pair(T.topk(T.tensor([5, 3, 8, 1, 9, 2, 7]), 4, largest=False, sorted=False))"
    ),
    "k = n ties": "out = pair(T.zeros(6).topk(6))",
    "k = n ties unsorted": "out = pair(T.ones(6).topk(6, sorted=False))",
    "long line ties sorted": (
        "x = line(*[float(i % 7 // 3) for i in range(60)])\nout = grads(x.topk(20).values, x)"
    ),
    # ---- NaN: the largest (first when largest, last when not); NaNs tie among themselves
    "nan ties largest": (
        "x = line(nan, 1.0, nan, nan, 1.0, nan)\nout = grads(T.topk(x, 3).values, x)"
    ),
    "nan ties smallest k = n": (
        "out = pair(T.topk(T.tensor([nan, 0.0, nan, 0.0, nan]), 5, largest=False))"
    ),
    "nan ties partial_sort": (
        "x = line(*[nan if i % 9 == 4 else 0.0 for i in range(140)])\n"
        "out = grads(T.topk(x, 2).values, x)"
    ),
    # ---- -0.0 and 0.0 compare equal: they tie, and which sign comes back is the pick's
    "signed zeros largest": (
        "r = T.topk(T.tensor([0.0, -0.0, 0.0, -0.0, -0.0, -1.0]), 3)\n"
        "out = ([str(v) for v in r.values.tolist()], r.indices.tolist())"
    ),
    "signed zeros smallest gradient": (
        "x = line(-0.0, 0.0, 1.0, 0.0, -0.0)\nout = grads(T.topk(x, 2, largest=False).values, x)"
    ),
    # ---- N-D along a dim: each line on its own
    "rows of ties along dim 1": (
        "x = T.tensor([[1.0, 1.0, 0.0, 1.0], [2.0, 2.0, 2.0, 2.0]], dtype=T.float64,"
        " requires_grad=True)\nout = grads(T.topk(x, 2, 1).values, x)"
    ),
    "columns of ties along dim 0": (
        "x = T.tensor([[1.0, 3.0], [1.0, 3.0], [0.0, 3.0], [1.0, 2.0], [1.0, 3.0]],"
        " dtype=T.float64, requires_grad=True)\nout = grads(T.topk(x, 3, 0).values, x)"
    ),
    "3-D along the middle dim, unsorted": (
        "x = (T.arange(60.0, dtype=T.float64).reshape(3, 5, 4) % 3).requires_grad_()\n"
        "out = grads(x.topk(3, 1, sorted=False).values, x)"
    ),
    "3-D along dim 0, smallest": (
        "out = pair(T.topk((T.arange(24).reshape(4, 3, 2) % 2), 2, 0, largest=False))"
    ),
    "integer ties": "out = pair(T.tensor([4, 7, 7, 1, 7, 4, 7]).topk(3))",
    "float32 ties along dim 1, partial_sort": (
        "x = (T.arange(400.0).reshape(2, 200) % 4).requires_grad_()\n"
        "out = grads(x.topk(3, 1).values, x)"
    ),
    "infinities tie": "out = pair(T.tensor([inf, 1.0, inf, -inf, inf]).topk(2))",
}

# Rows that already passed: no ties in the first k + 1 sorted values, k = 0, a 0-d tensor
GUARDS = {
    "no ties sorted": (
        "x = line(3.0, 1.0, 4.0, 1.5, 5.0, 9.0, 2.0, 6.0)\nout = grads(x.topk(5).values, x)"
    ),
    "ties past k + 1": "out = pair(T.tensor([9.0, 1.0, 8.0, 1.0, 1.0, 7.0]).topk(2))",
    "k = 0": "out = pair(T.topk(T.ones(3, 4), 0, 1, sorted=False))",
    "0-d": "x = T.tensor(2.0, dtype=T.float64, requires_grad=True)\nout = grads(x.topk(1)[0], x)",
    "partial_sort without ties": (
        "x = line(*[float(i * 37 % 101) for i in range(101)])\nout = grads(x.topk(1).values, x)"
    ),
}


@pytest.mark.parametrize("name", list(CASES) + list(GUARDS))
def test_topk_case_as_pytorch(name: str) -> None:
    code = CASES.get(name) or GUARDS[name]
    assert outcome(cr, code, PRELUDE) == outcome(torch, code, PRELUDE)


def _tie_heavy(seed: int) -> tuple[np.ndarray, int, int, bool, bool]:
    """A tensor of few distinct values (some NaN, signed zeros), with k, dim, largest, sorted;
    lines up to 300 long, so that both sides of ``k * 64 <= n`` come up."""
    rng = np.random.default_rng(seed)
    ndim = int(rng.integers(1, 4))
    shape = [int(rng.integers(1, 6)) for _ in range(ndim)]
    dim = int(rng.integers(-ndim, ndim))
    shape[dim] = int(rng.integers(1, 300))
    x = rng.integers(0, rng.integers(1, 6), shape).astype(np.float64)
    x[rng.random(shape) < rng.choice([0.0, 0.1])] = np.nan
    x[x == 0] *= rng.choice([1.0, -1.0], (x == 0).sum())
    n = shape[dim]
    k = int(rng.integers(0, n + 1) if rng.random() < 0.6 else rng.integers(0, n // 64 + 1))
    return x, k, dim, bool(rng.random() < 0.5), bool(rng.random() < 0.5)


@pytest.mark.parametrize("seed", range(200))
def test_topk_of_tie_heavy_tensors_as_pytorch(seed: int) -> None:
    x, k, dim, largest, sorted_ = _tie_heavy(seed)
    want = torch.topk(torch.tensor(x), k, dim, largest, sorted_)
    got = cr.topk(cr.tensor(x), k, dim, largest, sorted_)
    np.testing.assert_array_equal(got.indices.numpy(), want.indices.numpy())
    np.testing.assert_array_equal(got.values.numpy(), want.values.numpy())
