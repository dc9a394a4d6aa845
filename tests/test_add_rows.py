"""``chainrule._array.add_rows``: the scatter-add behind an embedding's and ``x[indices]``'s
gradient, in one step per repeat of a row instead of NumPy's ``add.at`` (7 ns an element).
It must give add.at's numbers to the bit (each row's values summed in their order, as
PyTorch's index_add), and the gradients it makes must be PyTorch's, on inputs large enough
to take it (64 picks and more)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule._array import add_rows

CASES = {
    # name: (table shape, number of picks, how rows are drawn)
    "embedding": ((1000, 64), 4096, "uniform"),
    "many_repeats": ((50, 128), 1797, "uniform"),
    "a_padding_row": ((100, 32), 4096, "padding"),  # one row half the picks: add.at
    "short_rows": ((100, 4), 4096, "uniform"),  # few values a step: add.at
    "three_dims": ((40, 8, 16), 500, "uniform"),
    "negative_rows": ((300, 64), 2000, "negative"),  # -1 and 299 are one row: add.at
    "few_picks": ((10, 8), 20, "uniform"),
}


def _rows(shape: tuple[int, ...], n: int, how: str, rng: np.random.Generator) -> np.ndarray:
    rows = rng.integers(0, shape[0], n)
    if how == "padding":
        rows[::2] = 0
    if how == "negative":
        rows[::3] -= shape[0]
    return rows


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", list(CASES))
def test_add_rows_gives_add_ats_numbers(name: str, dtype: str) -> None:
    shape, n, how = CASES[name]
    rng = np.random.default_rng(len(name))
    rows = _rows(shape, n, how, rng)
    values = (
        rng.standard_normal((n, *shape[1:]))
        * 10.0 ** rng.integers(-3, 4, n).reshape(-1, *[1] * (len(shape) - 1))
    ).astype(dtype)  # magnitudes apart: a sum in another order rounds otherwise
    expected, ours = np.zeros(shape, dtype), np.zeros(shape, dtype)
    np.add.at(expected, rows, values)
    add_rows(ours, rows, values)
    assert np.array_equal(ours, expected)
    assert np.array_equal(np.signbit(ours), np.signbit(expected))


@pytest.mark.parametrize(
    "options", [{}, {"padding_idx": 3}, {"scale_grad_by_freq": True}], ids=["plain", "pad", "freq"]
)
def test_large_embedding_and_index_gradients_take_add_rows(options: dict) -> None:
    """Each row's sum in the picks' order: add.at's bits (the plain lookup's and x[indices]'s
    gradient), and PyTorch's values (its CPU kernel sums in its own order past some size:
    a last bit apart on a sum of 6 picks)."""
    rng = np.random.default_rng(1)
    table = rng.standard_normal((500, 64)).astype(np.float32)
    picks = rng.integers(0, 500, (32, 96))
    weights = rng.standard_normal((32, 96, 64)).astype(np.float32) * 100
    grads = []
    for m in (cr, torch):
        w = m.tensor(table, requires_grad=True)
        i, u = m.tensor(picks), m.tensor(weights)
        out = m.nn.functional.embedding(i, w, **options) * u
        (lookup,) = m.autograd.grad(out.sum(), w)
        rows = w[i.reshape(-1)] * u.reshape(-1, 64)  # x[indices]: GetItem's gradient
        (indexed,) = m.autograd.grad(rows.sum(), w)
        grads.append([lookup.numpy(), indexed.numpy()])
    expected = np.zeros_like(table)
    np.add.at(expected, picks.reshape(-1), weights.reshape(-1, 64))
    assert np.array_equal(grads[0][1], expected)
    if not options:
        assert np.array_equal(grads[0][0], expected)
    for ours, theirs in zip(*grads, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-3)
