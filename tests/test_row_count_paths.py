"""Ops that switch kernels by row count agree with PyTorch on both sides of the switch.

Softmax and log-softmax reduce short rows by columns once there are enough rows
(``nn_ops._reduce``); ``linear``'s bias gradient is a product with ones from ``_BLAS_ROWS`` rows
(``nn_ops.column_sums``). The op table's small shapes see only one side of each switch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.ops import nn_ops

ROWS = (3, nn_ops._MANY_ROWS - 1, nn_ops._MANY_ROWS, nn_ops._BLAS_ROWS, 300)


def _softmax(lib: Any, x: Any, w: Any, b: Any, y: Any) -> Any:
    return (lib.softmax(x, dim=1) * lib.arange(10, dtype=x.dtype)).sum()


def _log_softmax(lib: Any, x: Any, w: Any, b: Any, y: Any) -> Any:
    return (lib.log_softmax(x, dim=-1) * lib.arange(10, dtype=x.dtype)).sum()


def _linear_cross_entropy(lib: Any, x: Any, w: Any, b: Any, y: Any) -> Any:
    functional = cr.nn.functional if lib is cr else torch.nn.functional
    return functional.cross_entropy(functional.linear(x, w, b), y)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("rows", ROWS)
@pytest.mark.parametrize("loss", [_softmax, _log_softmax, _linear_cross_entropy])
def test_both_sides_of_each_row_count_switch_match_torch(
    loss: Callable[..., Any], rows: int, dtype: str
) -> None:
    rng = np.random.default_rng(rows)
    x = rng.normal(size=(rows, 10)) * 3
    w = rng.normal(size=(10, 10))
    b = rng.normal(size=10)
    y = rng.integers(0, 10, rows)
    results = []
    for lib in (cr, torch):
        tensors = [lib.tensor(v, dtype=getattr(lib, dtype), requires_grad=True) for v in (x, w, b)]
        out = loss(lib, *tensors, lib.tensor(y))
        out.backward()
        results.append([out.detach().numpy()] + [_numpy(t.grad) for t in tensors])
    tol = 1e-4 if dtype == "float32" else 1e-10
    for ours, theirs in zip(*results, strict=True):
        assert (ours is None) == (theirs is None)
        if ours is not None:
            np.testing.assert_allclose(ours, theirs, rtol=tol, atol=tol)


def _numpy(grad: Any) -> Any:
    return None if grad is None else grad.numpy()
