"""Second derivatives through piecewise-linear activations, as PyTorch gives them: the
``create_graph`` gradient of relu (hardtanh, leaky_relu, the shrinks, max_pool2d...) depends
on the input (PyTorch's backward kernels read it), so differentiating it again gives zeros and
``hessian(..., strict=True)`` does not call it independent of the input (both raised here: the
gradient was a constant)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr

X = np.array([0.5, -1.0, 2.0, 0.3])

ACTIVATIONS: dict[str, Callable[[Any, Any], Any]] = {
    "relu": lambda m, x: m.nn.functional.relu(x),
    "relu method": lambda m, x: x.relu(),
    "relu6": lambda m, x: m.nn.functional.relu6(x),
    "hardtanh": lambda m, x: m.nn.functional.hardtanh(x, -0.4, 0.4),
    "leaky_relu": lambda m, x: m.nn.functional.leaky_relu(x, 0.2),
    "rrelu in eval": lambda m, x: m.nn.functional.rrelu(x, training=False),
    "threshold": lambda m, x: m.nn.functional.threshold(x, 0.1, 2.0),
    "softshrink": lambda m, x: m.nn.functional.softshrink(x, 0.4),
    "hardshrink": lambda m, x: m.nn.functional.hardshrink(x, 0.4),
    # (hardsigmoid's gradient depends on x too, but PyTorch has no derivative of its kernel)
    "max_pool2d": lambda m, x: m.nn.functional.max_pool2d(x.reshape(1, 1, 2, 2), 2),
    # not kinks: a product by a constant stays without a graph in both
    "x * 2": lambda m, x: x * 2,
}


def _second(m: Any, f: Callable[[Any, Any], Any]) -> Any:
    x = m.tensor(X, requires_grad=True)
    (g,) = m.autograd.grad(f(m, x).sum(), x, create_graph=True)
    if not g.requires_grad:
        return g.requires_grad, None
    (gg,) = m.autograd.grad((g * g).sum(), x)
    return g.requires_grad, gg.numpy().tolist()


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_the_gradient_of_a_kink_depends_on_the_input_as_in_pytorch(name: str) -> None:
    f = ACTIVATIONS[name]
    assert _second(cr, f) == _second(torch, f)


def test_hessian_of_a_relu_network_in_the_input_is_zero_under_strict() -> None:
    def f(x: Any) -> Any:
        return (x.relu() * 3).sum()

    found = cr.autograd.functional.hessian(f, cr.tensor(X), strict=True)
    expected = torch.autograd.functional.hessian(f, torch.tensor(X), strict=True)
    np.testing.assert_array_equal(found.numpy(), expected.numpy())


def test_a_gradient_penalty_through_relu_matches_pytorch() -> None:
    """WGAN-GP's penalty: the norm of the critic's input gradient, differentiated in the
    weights."""

    def penalty(m: Any) -> list[Any]:
        w1 = m.tensor(np.linspace(-1, 1, 12).reshape(3, 4), requires_grad=True)
        w2 = m.tensor(np.linspace(0.5, -0.5, 3), requires_grad=True)
        x = m.tensor(np.linspace(-2, 2, 8).reshape(2, 4), requires_grad=True)
        critic = (m.nn.functional.relu(x @ w1.T) @ w2).sum()
        (g,) = m.autograd.grad(critic, x, create_graph=True)
        ((g.norm(dim=1) - 1) ** 2).mean().backward()
        return [w1.grad.numpy(), w2.grad.numpy()]

    for found, expected in zip(penalty(cr), penalty(torch), strict=True):
        np.testing.assert_allclose(found, expected)
