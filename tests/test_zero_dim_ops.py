"""Ops along a dimension of a 0-d tensor, which PyTorch lets ``dim=0`` and ``dim=-1`` name, on
a plain 0-d tensor and under vmap over 0-d examples: values and gradients against PyTorch's
(they raised NumPy's AxisError, or an unpacking error, here)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr


def lib(x: Any) -> Any:
    return torch if isinstance(x, torch.Tensor) else cr


OPS: dict[str, Callable[[Any], Any]] = {
    "softmax over -1": lambda x: lib(x).softmax(x, -1),
    "log_softmax over 0": lambda x: lib(x).log_softmax(x, 0),
    "softmin over -1": lambda x: lib(x).nn.functional.softmin(x, -1),
    "argmax over -1": lambda x: x.argmax(-1),
    "argmin over 0, keepdim": lambda x: x.argmin(0, keepdim=True),
    "cumsum over 0": lambda x: x.cumsum(0),
    "logcumsumexp over 0": lambda x: x.logcumsumexp(0),
    "gather over -1": lambda x: x.gather(-1, lib(x).tensor(0)),
    "movedim -1 to 0": lambda x: lib(x).movedim(x, -1, 0),
    "max over -1, keepdim": lambda x: x.max(-1, keepdim=True)[0],
}
# PyTorch's vmap refuses flip over a 0-d example's dim, a bug of its batching rule (its
# plain flip takes it): compared without vmap only.
PLAIN_ONLY = {"flip over -1": lambda x: x.flip(-1)}

X = np.array([0.5, -1.0, 2.0])


def _value_and_grad(m: Any, f: Callable[[Any], Any], vmapped: bool) -> list[Any]:
    x = m.tensor(X if vmapped else X[0], requires_grad=True)
    out = m.func.vmap(f)(x) if vmapped else f(x)
    found = [out.detach().numpy()]
    if out.is_floating_point():
        ((out * 1.5).sum() + x.sum() * 0).backward()
        found.append(x.grad.numpy())
    return found


CASES = [(name, False) for name in {**OPS, **PLAIN_ONLY}] + [(name, True) for name in OPS]


@pytest.mark.parametrize("name, vmapped", CASES)
def test_ops_along_a_dim_of_a_0d_tensor_are_torchs(name: str, vmapped: bool) -> None:
    f = {**OPS, **PLAIN_ONLY}[name]
    expected, found = _value_and_grad(torch, f, vmapped), _value_and_grad(cr, f, vmapped)
    assert len(found) == len(expected)
    for a, b in zip(found, expected, strict=True):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b)


def test_take_along_dim_of_a_0d_tensor_is_refused_in_torchs_words() -> None:
    for m in (torch, cr):
        with pytest.raises(IndexError, match="Dimension specified as 0 but tensor has no dim"):
            m.take_along_dim(m.tensor(0.5), m.tensor(0), 0)
