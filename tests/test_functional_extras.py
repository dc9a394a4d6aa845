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


@pytest.mark.parametrize(
    ("shape", "output_size"),
    [((2, 3, 8, 6), 2), ((2, 2, 7, 5), (3, 2)), ((3, 5, 6), (4, None)), ((1, 1, 3, 3), 5)],
)
def test_adaptive_max_pool2d_indices_match_torch(shape: tuple[int, ...], output_size: Any) -> None:
    """The positions of the maxima in the flattened (H, W) plane, ties to the first as in
    PyTorch (a repeated value in every window makes ties certain)."""
    x = np.random.default_rng(len(shape)).integers(0, 3, shape).astype(np.float64)
    values, indices = cr.nn.functional.adaptive_max_pool2d(
        cr.tensor(x), output_size, return_indices=True
    )
    want_values, want_indices = torch.nn.AdaptiveMaxPool2d(output_size, return_indices=True)(
        torch.tensor(x)
    )
    np.testing.assert_array_equal(values.numpy(), want_values.numpy())
    np.testing.assert_array_equal(indices.numpy(), want_indices.numpy())
    assert indices.dtype == cr.int64


@pytest.mark.parametrize("name", ["AdaptiveAvgPool2d", "AdaptiveMaxPool2d"])
def test_adaptive_pool_modules_print_and_refuse_as_torch(name: str) -> None:
    layer, twin = getattr(cr.nn, name)((2, None)), getattr(torch.nn, name)((2, None))
    assert repr(layer) == repr(twin)
    for shape in [(4, 4), (1, 1, 1, 4, 4)]:
        with pytest.raises(Exception) as want:  # noqa: PT011 - its type is compared below
            twin(torch.ones(*shape))
        with pytest.raises(type(want.value)) as got:
            layer(cr.ones(*shape))
        assert str(got.value) == str(want.value)
