"""User-written rules: ``autograd.Function`` with ``jvp``/``vmap``/``setup_context`` (checked
against the same Function in PyTorch), JAX-style ``custom_vjp``/``custom_jvp``, and
``utils.checkpoint``."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
import torch.func as tf

import chainrule as cr
import chainrule.func as cf
from chainrule.utils.checkpoint import checkpoint


def make_cube(lib: Any) -> Any:
    """x^3 with all three rules, setup_context style, in either library."""

    class Cube(lib.autograd.Function):
        @staticmethod
        def forward(x: Any) -> Any:
            return x**3

        @staticmethod
        def setup_context(ctx: Any, inputs: Any, output: Any) -> None:
            (x,) = inputs
            ctx.save_for_backward(x)
            ctx.save_for_forward(x)
            ctx.x = x

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            (x,) = ctx.saved_tensors
            return g * 3 * x**2

        @staticmethod
        def jvp(ctx: Any, t: Any) -> Any:
            return t * 3 * ctx.x**2

        @staticmethod
        def vmap(info: Any, in_dims: Any, x: Any) -> Any:
            ran.append(info.batch_size)
            return Cube.apply(x), in_dims[0]

    ran: list[int] = []
    Cube.ran = ran
    return Cube


X = np.array([0.5, -1.5, 2.0])


def test_function_jvp_vmap_and_setup_context_match_torch() -> None:
    cube, tcube = make_cube(cr), make_cube(torch)
    x, v = cr.tensor(X), cr.tensor([1.0, 2.0, 3.0])
    tx, tv = torch.tensor(X), torch.tensor([1.0, 2.0, 3.0])
    _, ours = cf.jvp(cube.apply, (x,), (v,))
    _, theirs = tf.jvp(tcube.apply, (tx,), (tv,))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy())
    batch = cr.tensor(np.stack([X, 2 * X]))
    out = cf.vmap(cube.apply)(batch)
    np.testing.assert_allclose(out.numpy(), tf.vmap(tcube.apply)(torch.tensor(batch.numpy())))
    assert cube.ran == [2]  # the Function's own vmap rule ran, once for the whole batch
    np.testing.assert_allclose(
        cf.jacrev(cube.apply)(x).numpy(), np.diag(3 * X**2)
    )  # reverse mode, batched over the rows through the vmap rule
    np.testing.assert_allclose(cf.jacfwd(cube.apply)(x).numpy(), np.diag(3 * X**2))


def test_function_without_jvp_says_so() -> None:
    class Plain(cr.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any) -> Any:
            return x * 2

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            return g * 2

    with pytest.raises(NotImplementedError, match="Plain defines no forward-mode rule"):
        cf.jvp(Plain.apply, (cr.tensor(1.0),), (cr.tensor(1.0),))
    with pytest.warns(UserWarning, match="no batching rule"):  # no vmap rule: a loop
        out = cf.vmap(Plain.apply)(cr.tensor([1.0, 2.0]))
    np.testing.assert_allclose(out.numpy(), [2.0, 4.0])


def test_custom_vjp_replaces_the_gradient() -> None:
    @cf.custom_vjp
    def clipped(x: Any) -> Any:
        return x * 1.0

    with pytest.raises(TypeError, match="No VJP defined"):
        clipped(cr.tensor(1.0))
    clipped.defvjp(lambda x: (x * 1.0, x), lambda res, g: (g.clamp(-1.0, 1.0) * res.sign(),))
    g = cf.grad(lambda x: (clipped(x) * 5).sum())(cr.tensor([2.0, -3.0]))
    np.testing.assert_allclose(g.numpy(), [1.0, -1.0])  # min(5, 1) * sign(x)
    per_example = cf.vmap(cf.grad(lambda x: clipped(x) * 5))(cr.tensor([2.0, -3.0]))
    np.testing.assert_allclose(per_example.numpy(), [1.0, -1.0])


def test_custom_jvp_gives_forward_and_reverse_mode() -> None:
    @cf.custom_jvp
    def softplus(x: Any) -> Any:
        return cr.log1p(cr.exp(x))

    @softplus.defjvp
    def softplus_jvp(primals: Any, tangents: Any) -> Any:
        (x,), (t,) = primals, tangents
        return softplus(x), t * cr.sigmoid(x)

    x = cr.tensor(X)
    expected = 1 / (1 + np.exp(-X))
    np.testing.assert_allclose(cf.jvp(softplus, (x,), (cr.ones(3),))[1].numpy(), expected)
    np.testing.assert_allclose(cf.grad(lambda v: softplus(v).sum())(x).numpy(), expected)
    np.testing.assert_allclose(cf.jacrev(softplus)(x).numpy(), np.diag(expected))


def test_checkpoint_recomputes_and_gives_the_same_gradients() -> None:
    calls = []

    def block(x: Any, w: Any) -> Any:
        calls.append(1)
        return cr.nn.functional.dropout(cr.tanh(x @ w), p=0.5, training=True).sum()

    rng = np.random.default_rng(0)
    xs, ws = rng.standard_normal((4, 3)), rng.standard_normal((3, 5))
    x, w = cr.tensor(xs, requires_grad=True), cr.tensor(ws, requires_grad=True)
    cr.manual_seed(7)
    checkpoint(block, x, w, use_reentrant=True).backward()
    assert len(calls) == 2  # forward, then again in backward
    x2, w2 = cr.tensor(xs, requires_grad=True), cr.tensor(ws, requires_grad=True)
    cr.manual_seed(7)  # the same dropout mask
    block(x2, w2).backward()
    np.testing.assert_allclose(x.grad.numpy(), x2.grad.numpy())
    np.testing.assert_allclose(w.grad.numpy(), w2.grad.numpy())


def test_checkpoint_under_create_graph() -> None:
    x = cr.tensor(X, requires_grad=True)
    (g,) = cr.autograd.grad(
        checkpoint(lambda v: (v**3).sum(), x, use_reentrant=False), x, create_graph=True
    )
    (gg,) = cr.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(gg.numpy(), 6 * X)
