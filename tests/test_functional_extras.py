"""``F.one_hot``, ``F.pad``'s errors and ``nn.utils.clip_grad_value_`` against PyTorch.

(The values and gradients of every ``F.pad`` mode are rows of ``tests/op_table_nn.py``.)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr


@pytest.mark.parametrize(
    ("values", "num_classes"),
    [([0, 2, 1], -1), ([[3, 0], [1, 1]], 5), ([], 4), (5, 7)],
)
def test_one_hot_matches_torch(values: Any, num_classes: int) -> None:
    ours = cr.nn.functional.one_hot(cr.tensor(values, dtype=cr.int64), num_classes)
    theirs = torch.nn.functional.one_hot(torch.tensor(values, dtype=torch.long), num_classes)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert str(ours.dtype).rsplit(".", 1)[-1] == "int64"


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda lib: lib.nn.functional.one_hot(lib.tensor([0, 3]), 3), RuntimeError),
        (lambda lib: lib.nn.functional.one_hot(lib.tensor([-1, 0]), 3), RuntimeError),
        (lambda lib: lib.nn.functional.one_hot(lib.tensor([0.0, 1.0]), 3), RuntimeError),
        (
            lambda lib: lib.nn.functional.pad(lib.ones(1, 2, 3), (3, 0), mode="reflect"),
            RuntimeError,
        ),
        (
            lambda lib: lib.nn.functional.pad(lib.ones(1, 2, 3), (1, 1), "reflect", 1.0),
            RuntimeError,
        ),
    ],
)
def test_misuse_raises_like_torch(call: Any, error: type) -> None:
    with pytest.raises(Exception) as theirs:
        call(torch)
    assert issubclass(type(theirs.value), error)
    with pytest.raises(error):
        call(cr)


@pytest.mark.parametrize("clip", [0.05, 0.5, 10.0])
def test_clip_grad_value_matches_torch(clip: float, rng: np.random.Generator) -> None:
    grads = [rng.standard_normal(s) * 0.3 for s in ((3, 4), (5,))]
    results = []
    for lib in (cr, torch):
        params = [lib.nn.Parameter(lib.zeros(g.shape, dtype=lib.float64)) for g in grads]
        for p, g in zip(params, grads, strict=True):
            p.grad = lib.tensor(g)
        assert lib.nn.utils.clip_grad_value_(params, clip) is None
        results.append([p.grad.numpy() for p in params])
    for ours, theirs in zip(*results, strict=True):
        np.testing.assert_array_equal(ours, theirs)
