"""vmap over convolutions with a weight per example (per-example gradients give each example
its own parameters), over their input gradients (``conv_transpose2d``) and over their weight
gradients (jacrev with respect to a weight): one batched computation, no loop over the
examples (a loop warns, and warnings are errors here), with torch.func's numbers."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import torch
import torch.func as tf

import chainrule as cr
import chainrule.func as cf
from chainrule.autodiff import batching
from chainrule.training import build_model


def lib(x: Any) -> Any:
    return torch if isinstance(x, torch.Tensor) else cr


def func(x: Any) -> Any:
    return tf if isinstance(x, torch.Tensor) else cf


rng = np.random.default_rng(3)
B = 5  # examples


def no_loop(fn: Any, *args: Any) -> Any:
    batching._warned.clear()  # the loop warns once per op: here, every time
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fn(*args)


def assert_close(found: Any, expected: Any) -> None:
    if isinstance(expected, dict):
        assert found.keys() == expected.keys()
        for key in expected:
            assert_close(found[key], expected[key])
        return
    if isinstance(expected, tuple | list):
        for a, b in zip(found, expected, strict=True):
            assert_close(a, b)
        return
    assert tuple(found.shape) == tuple(expected.shape)
    np.testing.assert_allclose(found.numpy(), expected.detach().numpy(), rtol=1e-10, atol=1e-12)


# name: (forward(x, w, b) for one example, shape of x, of w, of b)
CONVS: dict[str, tuple[Any, tuple[int, ...], tuple[int, ...], tuple[int, ...] | None]] = {
    "conv2d": (
        lambda x, w, b: lib(x).nn.functional.conv2d(x, w, b),
        (2, 3, 6, 6),
        (4, 3, 3, 3),
        (4,),
    ),
    "stride 2, padding 1": (
        lambda x, w, b: lib(x).nn.functional.conv2d(x, w, b, stride=2, padding=1),
        (2, 3, 7, 6),
        (4, 3, 3, 3),
        (4,),
    ),
    "padding (0, 2), dilation 2, no bias": (
        lambda x, w, b: lib(x).nn.functional.conv2d(x, w, None, padding=(0, 2), dilation=2),
        (1, 2, 7, 7),
        (3, 2, 2, 3),
        None,
    ),
    "padding 'same' with an even kernel (uneven padding)": (
        lambda x, w, b: lib(x).nn.functional.conv2d(x, w, b, padding="same"),
        (2, 2, 5, 5),
        (3, 2, 2, 4),
        (3,),
    ),
    "groups 2": (
        lambda x, w, b: lib(x).nn.functional.conv2d(x, w, b, groups=2),
        (2, 4, 5, 5),
        (6, 2, 3, 3),
        (6,),
    ),
    "an unbatched image": (
        lambda x, w, b: lib(x).nn.functional.conv2d(x, w, b),
        (3, 5, 5),
        (2, 3, 3, 3),
        (2,),
    ),
    "conv1d": (
        lambda x, w, b: lib(x).nn.functional.conv1d(x, w, b, padding=1),
        (2, 3, 7),
        (4, 3, 3),
        (4,),
    ),
    "conv_transpose2d": (
        lambda x, w, b: lib(x).nn.functional.conv_transpose2d(x, w, b, stride=2, padding=1),
        (2, 3, 4, 4),
        (3, 2, 3, 3),
        (2,),
    ),
    "conv_transpose2d with output_padding": (
        lambda x, w, b: lib(x).nn.functional.conv_transpose2d(x, w, b, stride=2, output_padding=1),
        (1, 2, 3, 3),
        (2, 3, 2, 2),
        (3,),
    ),
}


def _arrays(name: str) -> list[Any]:
    _, xs, ws, bs = CONVS[name]
    return [
        rng.standard_normal((B, *xs)),
        rng.standard_normal(ws),
        None if bs is None else rng.standard_normal(bs),
    ]


def _per_example_grads(make: Any, fn: Any, x: Any, w: Any, b: Any) -> Any:
    def loss(w: Any, b: Any, x: Any) -> Any:
        return (fn(x, w, b) ** 2).sum()

    f = func(make(x))
    return f.vmap(f.grad(loss, argnums=(0, 1) if b is not None else 0), in_dims=(None, None, 0))(
        make(w), None if b is None else make(b), make(x)
    )


@pytest.mark.parametrize("name", list(CONVS))
def test_per_example_gradients_of_a_convolution_are_torch_funcs_without_a_loop(name: str) -> None:
    fn = CONVS[name][0]
    x, w, b = _arrays(name)
    expected = _per_example_grads(torch.tensor, fn, x, w, b)
    found = no_loop(_per_example_grads, cr.tensor, fn, x, w, b)
    assert_close(found, expected)


@pytest.mark.parametrize(
    "name", ["conv2d", "padding 'same' with an even kernel (uneven padding)", "conv_transpose2d"]
)
def test_per_example_jacobians_and_tangents_with_weights_per_example(name: str) -> None:
    """jacrev of each example's output with respect to its own weight (the weight gradient's
    rule, over a batch of cotangents), and jvp along a tangent per example."""
    fn = CONVS[name][0]
    x, w, b = _arrays(name)
    tangent = rng.standard_normal((B, *w.shape))

    def both(make: Any) -> Any:
        f = func(make(x))
        jac = f.vmap(f.jacrev(lambda w, x: fn(x, w, make(b))), in_dims=(None, 0))(make(w), make(x))
        tan = f.vmap(
            lambda x, t: f.jvp(lambda w: fn(x, w, make(b)).tanh(), (make(w),), (t,)), in_dims=(0, 0)
        )(make(x), make(tangent))
        return jac, tan

    assert_close(no_loop(both, cr.tensor), both(torch.tensor))


def test_per_example_hessians_of_a_convolution_through_its_weights() -> None:
    """Second derivatives, each example its own: through the unfolded columns' product."""
    x, w, b = _arrays("stride 2, padding 1")
    fn = CONVS["stride 2, padding 1"][0]

    def hess(make: Any) -> Any:
        f = func(make(x))
        small = make(w[:2, :1])  # (2, 1, 3, 3): a Hessian of 18 x 18 per example
        return f.vmap(f.hessian(lambda w, x: fn(x[:, :1], w, None).sin().sum()), in_dims=(None, 0))(
            small, make(x)
        )

    assert_close(no_loop(hess, cr.tensor), hess(torch.tensor))


def test_per_example_gradients_of_the_digits_cnn_are_torch_funcs_and_the_loops() -> None:
    images = rng.standard_normal((8, 1, 8, 8))
    labels = rng.integers(0, 10, 8)
    found, expected = [], None
    for m, f in ((torch, tf), (cr, cf)):
        m.manual_seed(0)
        model = build_model("cnn", nn=m.nn).double()
        params = {k: v.detach() for k, v in model.named_parameters()}

        def loss(p: Any, x: Any, y: Any, m: Any = m, f: Any = f, model: Any = model) -> Any:
            return m.nn.functional.cross_entropy(f.functional_call(model, p, (x[None],)), y[None])

        grads = no_loop(
            f.vmap(f.grad(loss), in_dims=(None, 0, 0)), params, m.tensor(images), m.tensor(labels)
        )
        if m is torch:
            expected = grads
        else:
            found = grads
            looped = [
                f.grad(loss)(params, m.tensor(images[k]), m.tensor(labels[k])) for k in range(8)
            ]
    assert_close(found, expected)
    for key in found:
        np.testing.assert_allclose(
            found[key].numpy(), np.stack([g[key].numpy() for g in looped]), rtol=1e-10, atol=1e-12
        )
