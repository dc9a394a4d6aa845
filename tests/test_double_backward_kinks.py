"""Second derivatives through piecewise-linear activations, as PyTorch gives them: the
``create_graph`` gradient of relu (hardtanh, leaky_relu, the shrinks, max_pool2d...) depends
on the input (PyTorch's backward kernels read it), so differentiating it again gives zeros and
``hessian(..., strict=True)`` does not call it independent of the input (both raised here: the
gradient was a constant). The same holds for functions PyTorch runs as one kernel whose backward
reads the input, linear as they are (average pooling, reflection padding, nll_loss), which
chainrule builds from other ops or whose rules did not read it."""

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


# An image batch (1, 2, 4, 4) in no particular order, for the functions of images below.
IMAGES = np.random.default_rng(0).permutation(np.linspace(-1.5, 1.6, 32)).reshape(1, 2, 4, 4)
CLASSES = [1, 3, 0, 2]


def _weight(m: Any, shape: tuple[int, ...]) -> Any:
    return m.tensor(np.linspace(-0.5, 0.7, int(np.prod(shape))).reshape(shape))


READING_THE_INPUT: dict[str, Callable[[Any, Any], Any]] = {
    "avg_pool1d": lambda m, x: m.nn.functional.avg_pool1d(x.reshape(2, 2, 8), 2),
    "avg_pool2d": lambda m, x: m.nn.functional.avg_pool2d(x, 2),
    "avg_pool3d": lambda m, x: m.nn.functional.avg_pool3d(x.reshape(1, 1, 2, 4, 4), 2),
    "adaptive_avg_pool1d": lambda m, x: m.nn.functional.adaptive_avg_pool1d(x.reshape(2, 16), 5),
    "adaptive_avg_pool2d": lambda m, x: m.nn.functional.adaptive_avg_pool2d(x, 3),
    "adaptive_avg_pool3d": lambda m, x: m.nn.functional.adaptive_avg_pool3d(x, 3),
    "adaptive_max_pool2d": lambda m, x: m.nn.functional.adaptive_max_pool2d(x, 3),
    "fractional_max_pool2d": lambda m, x: m.nn.functional.fractional_max_pool2d(
        x, 2, output_size=2, _random_samples=m.full((1, 2, 2), 0.5, dtype=m.float64)
    ),
    "reflect pad": lambda m, x: m.nn.functional.pad(x, (1, 2, 0, 1), mode="reflect"),
    "replicate pad": lambda m, x: m.nn.functional.pad(x, (1, 2, 0, 1), mode="replicate"),
    "prelu, constant weight": lambda m, x: m.nn.functional.prelu(x, _weight(m, (2,))),
    "nll_loss": lambda m, x: m.nn.functional.nll_loss(x.reshape(4, 8), m.tensor(CLASSES)),
    "nll_loss, no reduction": lambda m, x: m.nn.functional.nll_loss(
        x.reshape(4, 8), m.tensor(CLASSES), reduction="none"
    ),
    "multi_margin_loss": lambda m, x: m.nn.functional.multi_margin_loss(
        x.reshape(4, 8), m.tensor(CLASSES)
    ),
    "multilabel_margin_loss": lambda m, x: m.nn.functional.multilabel_margin_loss(
        x.reshape(4, 8), m.tensor([[c, -1, 0, 0, 0, 0, 0, 0] for c in CLASSES])
    ),
    # PyTorch's double backward of a convolution gives its input no gradient (refused as unused)
    "conv2d, constant weight": lambda m, x: m.nn.functional.conv2d(x, _weight(m, (3, 2, 2, 2))),
    "conv_transpose2d, constant weight": lambda m, x: m.nn.functional.conv_transpose2d(
        x, _weight(m, (2, 3, 2, 2))
    ),
    "conv_transpose1d, constant weight": lambda m, x: m.nn.functional.conv_transpose1d(
        x.reshape(2, 2, 8), _weight(m, (2, 3, 3))
    ),
    "batch_norm in eval": lambda m, x: m.nn.functional.batch_norm(
        x, _weight(m, (2,)), _weight(m, (2,)).abs() + 1
    ),
    "grid_sample": lambda m, x: m.nn.functional.grid_sample(
        x, _weight(m, (1, 3, 3, 2)), align_corners=False
    ),
    # as in PyTorch, without a graph: a circular pad copies, a slice and a sum read nothing
    "circular pad": lambda m, x: m.nn.functional.pad(x, (1, 2, 0, 1), mode="circular"),
    "slice and sum": lambda m, x: x[:, 1:].sum(1),
}
# PyTorch has no derivative of these backward kernels, and raises: chainrule's are zeros.
NOT_IMPLEMENTED_IN_PYTORCH = ("multi_margin_loss", "multilabel_margin_loss")


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


def _second_or_error(m: Any, f: Callable[[Any, Any], Any]) -> tuple[bool, Any, Any]:
    """Whether the gradient requires grad; then the second derivative of ``(g * g).sum()`` and
    the strict Hessian, each as values or as its error's first line."""
    x = m.tensor(IMAGES, requires_grad=True)
    (g,) = m.autograd.grad(f(m, x).sum(), x, create_graph=True)
    outcomes = []
    for compute in (
        lambda: m.autograd.grad((g * g).sum(), x)[0],
        lambda: m.autograd.functional.hessian(lambda v: f(m, v).sum(), x.detach(), strict=True),
    ):
        try:
            outcomes.append(compute().detach().numpy().tolist())
        except RuntimeError as error:
            outcomes.append(str(error).splitlines()[0])
    return (g.requires_grad, *outcomes)


@pytest.mark.parametrize("name", list(READING_THE_INPUT))
def test_a_gradient_whose_pytorch_backward_reads_the_input_depends_on_it(name: str) -> None:
    f = READING_THE_INPUT[name]
    expected = _second_or_error(torch, f)
    if name in NOT_IMPLEMENTED_IN_PYTORCH:  # zeros here: the derivative of a linear gradient
        assert expected[1].startswith("derivative for aten::") and "not implemented" in expected[1]
        zeros = np.zeros(IMAGES.shape).tolist()
        expected = (True, zeros, np.zeros(IMAGES.shape * 2).tolist())
    assert _second_or_error(cr, f) == expected


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


@pytest.mark.parametrize(
    "coupling",
    ["y.sum() ** 2", "(y * y.flip(0)).sum()", "y.softmax(0)[1]"],
)
def test_a_nan_second_derivative_at_atan2s_origin_stays_there_as_in_pytorch(coupling: str) -> None:
    # atan2's gradient at the origin is 0 and its second derivative there nan, in both. The
    # mask sat on g / r2, so the part of the second derivative through g, which a sum couples
    # to the other elements, was (0 selected) / 0: nan in every element (found by the fuzzer
    # with tril's zeros, whose atan2 is at the origin).
    def second(m: Any) -> list[float]:
        x = m.tensor([0.0, 1.0, -0.5], dtype=m.float64, requires_grad=True)
        y = m.atan2(x * 1, x * 2)
        (g,) = m.autograd.grad(eval(coupling, {"y": y}), x, create_graph=True)
        return m.autograd.grad((g * m.tensor([1.0, 2.0, 3.0], dtype=m.float64)).sum(), x)[
            0
        ].tolist()

    ours, theirs = second(cr), second(torch)
    assert np.isnan(ours[0]) and np.isnan(theirs[0])
    np.testing.assert_allclose(ours[1:], theirs[1:], rtol=1e-12)
