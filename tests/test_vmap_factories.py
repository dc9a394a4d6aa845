"""Factories that take a batched tensor inside vmap (``zeros_like(x)``, ``x.new_zeros(...)``)
give one tensor per example, batched as ``x`` is, as torch.func's batching rules do: writing an
example's values into it in place works (it raised, the result being one tensor for every
example). Each case runs under ``torch.func`` and ``chainrule.func`` and compares."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr


def lib(x: Any) -> Any:
    return torch if isinstance(x, torch.Tensor) else cr


def _set_row(out: Any, x: Any) -> Any:
    out[0] = x[1]
    return out


CASES: dict[str, Callable[[Any], Any]] = {
    "zeros_like, add_": lambda x: lib(x).zeros_like(x).add_(x),
    "ones_like, mul_": lambda x: lib(x).ones_like(x).mul_(x),
    "empty_like, copy_": lambda x: lib(x).empty_like(x).copy_(x),
    "full_like, sub_": lambda x: lib(x).full_like(x, 2.5).sub_(x),
    "zeros_like, a row set": lambda x: _set_row(lib(x).zeros_like(x), x),
    "zeros_like of another dtype": lambda x: lib(x).zeros_like(x, dtype=lib(x).float32).add_(x),
    "new_zeros of another shape, a row set": lambda x: _set_row(x.new_zeros(3, *x.shape), x),
    "new_ones, index_add_": lambda x: x.new_ones(4).index_add_(0, lib(x).tensor([0, 2]), x),
    "new_empty, copy_": lambda x: x.new_empty((3, 2)).copy_(x),
    "new_full, scatter_": lambda x: x.new_full((2,), -1.0).scatter_(0, lib(x).tensor([1]), x[:1]),
    "zeros_like, nothing written": lambda x: lib(x).zeros_like(x),
}


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("nested", [False, True], ids=["vmap", "vmap of vmap"])
def test_factories_of_a_batched_tensor_are_per_example_as_in_torch_func(
    name: str, nested: bool
) -> None:
    f = CASES[name]
    x = np.random.default_rng(3).standard_normal((2, 4, 2))  # batches of 2-vectors

    def run(m: Any) -> Any:
        inner = m.func.vmap(f)
        return (m.func.vmap(inner) if nested else inner)(m.tensor(x if nested else x[0]))

    expected, found = run(torch), run(cr)
    assert tuple(found.shape) == tuple(expected.shape)
    assert str(found.dtype) == str(expected.dtype).replace("torch", "chainrule")
    np.testing.assert_allclose(found.numpy(), expected.numpy())


def test_per_example_gradients_through_a_buffer_written_in_place() -> None:
    """vmap(grad) of a loss whose values are written into ``zeros_like(x)``."""

    def loss(w: Any, x: Any) -> Any:
        out = lib(x).zeros_like(x)
        out[1:] = x[:-1] * w
        return (out**2).sum()

    w, x = np.array(0.7), np.random.default_rng(4).standard_normal((3, 5))
    expected = torch.func.vmap(torch.func.grad(loss), (None, 0))(torch.tensor(w), torch.tensor(x))
    found = cr.func.vmap(cr.func.grad(loss), (None, 0))(cr.tensor(w), cr.tensor(x))
    np.testing.assert_allclose(found.numpy(), expected.numpy())
