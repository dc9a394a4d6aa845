"""``vmap(randomness=...)`` against ``torch.func.vmap``: which draws each example gets.

The values cannot match PyTorch's (its batched draws consume its stream differently), so each
row compares what must agree: the output's shape and dtype, and which examples share their
values ("same": all of them; "different": none), over nested vmaps too. The draws themselves
are checked for their distribution.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
import torch.func as tf

import chainrule as cr
import chainrule.func as cf

BATCH = 6
W = 16  # values per example: two examples' whole draws collide with negligible odds

SNIPPETS = {
    "rand": lambda m, r: r + m.rand(W),
    "randn, 2-d": lambda m, r: m.randn(2, W) + r.sum(),
    "randint": lambda m, r: m.randint(0, 1000, (W,)),
    "randint, low and high": lambda m, r: m.randint(-50, 50, (4, W)),
    "randperm": lambda m, r: m.randperm(W),
    "rand_like": lambda m, r: m.rand_like(r),
    "randn_like, float64": lambda m, r: m.randn_like(r.double()),
    "randint_like": lambda m, r: m.randint_like(r, 1000),
    "bernoulli with p": lambda m, r: m.bernoulli(r + 0.5, 0.5) + 10 * m.bernoulli(r, 0.5),
    "bernoulli, probabilities": lambda m, r: m.bernoulli(r + 0.5),
    "bernoulli, unbatched probabilities": lambda m, r: m.bernoulli(m.full((W,), 0.5)),
    "dropout": lambda m, r: m.nn.functional.dropout(r + 1.0, 0.5),
    "dropout, unbatched input": lambda m, r: m.nn.functional.dropout(m.ones(W), 0.5),
    "a scalar draw": lambda m, r: (r + 1) * m.rand(()),
    "rand with requires_grad": lambda m, r: r + m.rand(W, requires_grad=True),
    "randn with requires_grad, alone": lambda m, r: m.randn(W, requires_grad=True),
    "uniform_ of a batched tensor": lambda m, r: r.clone().uniform_(),
    "normal_ of a batched tensor": lambda m, r: r.double().normal_(2.0, 3.0),
    "bernoulli_ of a batched tensor": lambda m, r: r.clone().bernoulli_(0.5),
    "exponential_ of a batched tensor": lambda m, r: r.clone().exponential_(),
    "uniform_ of a 2-d view of a batched tensor": lambda m, r: r.reshape(2, 8).uniform_(-1, 1),
    "uniform_ of an unbatched tensor": lambda m, r: r + m.zeros(W).uniform_(),
    "normal_ of an unbatched tensor": lambda m, r: r + m.zeros(W).normal_(),
    "exponential_ of an unbatched tensor": lambda m, r: r + m.zeros(W).exponential_(),
    "bernoulli_ of an unbatched tensor": lambda m, r: r + m.zeros(W).bernoulli_(0.5),
    "multinomial": lambda m, r: m.multinomial(r + 1, 4),
    "nn.init.normal_ of a batched tensor": lambda m, r: m.nn.init.normal_(r.clone()) * 1.0,
    "nn.init.uniform_ of an unbatched tensor": lambda m, r: r + m.nn.init.uniform_(m.zeros(W)),
    "nn.init.kaiming_uniform_ of a batched tensor": lambda m, r: (
        m.nn.init.kaiming_uniform_(r.reshape(4, 4).clone()) * 1.0
    ),
    "multinomial with replacement": lambda m, r: m.multinomial(r + 1, 6, replacement=True),
    "multinomial, 2-d": lambda m, r: m.multinomial(r.reshape(2, 8) + 1, 3),
    "multinomial, unbatched weights": lambda m, r: m.multinomial(m.ones(W), 4),
    "normal, batched mean": lambda m, r: m.normal(r, 1.0),
    "normal, batched std": lambda m, r: m.normal(1.0, r + 1),
    "normal, batched mean and std": lambda m, r: m.normal(r, r + 1),
    "normal, batched mean, unbatched std": lambda m, r: m.normal(r, m.ones(W)),
    "normal, unbatched mean, batched std": lambda m, r: m.normal(m.zeros(W), r + 1),
    "normal, broadcast mean and std": lambda m, r: m.normal(r.reshape(2, 8), m.ones(2, 1)),
    "normal, float64 mean": lambda m, r: m.normal(r.double(), 0.5),
    "normal, unbatched mean": lambda m, r: r + m.normal(m.zeros(W), 1.0),
    "normal, unbatched mean and std": lambda m, r: r + m.normal(m.zeros(W), m.ones(W)),
    "normal, numbers": lambda m, r: r + m.normal(1.0, 2.0, size=(W,)),
    "bernoulli_ of a batched p into an unbatched tensor": lambda m, r: m.zeros(W).bernoulli_(
        r + 0.5
    ),
    "bernoulli_ of a batched p": lambda m, r: r.clone().bernoulli_(r + 0.5),
    "bernoulli_ of a batched 0-d p": lambda m, r: r.clone().bernoulli_(r.sum() + 0.5),
    "bernoulli_ of an unbatched p": lambda m, r: r.clone().bernoulli_(m.full((W,), 0.5)),
    "bernoulli_ of an unbatched p into an unbatched tensor": lambda m, r: (
        r + m.zeros(W).bernoulli_(m.full((W,), 0.5))
    ),
    "random_ of a batched tensor": lambda m, r: r.clone().random_(),
    "random_(to) of a batched tensor": lambda m, r: r.clone().random_(1000),
    "random_(from, to) of a batched int tensor": lambda m, r: r.long().random_(-500, 500),
    "geometric_ of a batched tensor": lambda m, r: r.clone().geometric_(0.05),
    "log_normal_ of a batched tensor": lambda m, r: r.clone().log_normal_(),
    "cauchy_ of a batched float64 tensor": lambda m, r: r.double().cauchy_(1.0, 2.0),
    "random_ of an unbatched tensor": lambda m, r: r + m.zeros(W).random_(1000),
    "geometric_ of an unbatched tensor": lambda m, r: r + m.zeros(W).geometric_(0.05),
    "log_normal_ of an unbatched tensor": lambda m, r: r + m.zeros(W).log_normal_(),
    "cauchy_ of an unbatched tensor": lambda m, r: r + m.zeros(W).cauchy_(),
    "cauchy_ of a batched int tensor": lambda m, r: r.long().cauchy_(),
    "poisson": lambda m, r: m.poisson(r + 3.0),
    "poisson, large rates": lambda m, r: m.poisson(r.double() + 50.0),
    "poisson, unbatched rates": lambda m, r: r + m.poisson(m.full((W,), 3.0)),
    "poisson, negative rate": lambda m, r: m.poisson(r - 1.0),
    "geometric_ with a bad p": lambda m, r: r.clone().geometric_(1.5),
    "random_ with from >= to": lambda m, r: r.clone().random_(5, 3),
}


def _groups(values: np.ndarray) -> int:
    """How many distinct examples there are (rows along dimension 0)."""
    return len({row.tobytes() for row in values.reshape(values.shape[0], -1)})


def _run(m: Any, fn: Any, snippet: Any, randomness: str) -> np.ndarray:
    x = m.zeros(BATCH, W)
    if m is cr:
        cr.manual_seed(0)
    else:
        torch.manual_seed(0)
    return fn.vmap(lambda r: snippet(m, r), randomness=randomness)(x)


@pytest.mark.parametrize("randomness", ["different", "same", "error"])
@pytest.mark.parametrize("snippet", list(SNIPPETS.values()), ids=list(SNIPPETS))
def test_draws_per_example_as_torch(snippet: Any, randomness: str) -> None:
    try:
        theirs = _run(torch, tf, snippet, randomness)
    except RuntimeError as error:  # PyTorch refuses some: so must chainrule, in its words
        with pytest.raises(RuntimeError) as ours_error:
            _run(cr, cf, snippet, randomness)
        assert str(ours_error.value) == str(error)
        return
    ours = _run(cr, cf, snippet, randomness)
    assert randomness != "error"  # PyTorch refuses every draw then: the branch above
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert ours.requires_grad == theirs.requires_grad
    assert str(ours.dtype).rsplit(".", 1)[-1] == str(theirs.dtype).rsplit(".", 1)[-1]
    mine, their_groups = _groups(ours.detach().numpy()), _groups(theirs.detach().numpy())
    if randomness == "same":
        assert mine == their_groups == 1
    else:  # every example its own draw (a collision of whole draws has negligible odds)
        assert mine == their_groups == BATCH


NESTED = {
    ("different", "same"): lambda fn, f: fn.vmap(
        fn.vmap(f, randomness="different"), randomness="same"
    ),
    ("same", "different"): lambda fn, f: fn.vmap(
        fn.vmap(f, randomness="same"), randomness="different"
    ),
    ("different", "different"): lambda fn, f: fn.vmap(
        fn.vmap(f, randomness="different"), randomness="different"
    ),
}


NESTED_DRAWS = {
    "rand": lambda m, r: r + m.rand(8),
    "uniform_": lambda m, r: r.clone().uniform_(),
    "multinomial": lambda m, r: m.multinomial(r + 1, 3),
    "normal of batched means": lambda m, r: m.normal(r, 1.0),
    "normal of unbatched means": lambda m, r: r + m.normal(m.zeros(8), m.ones(8)),
    "cauchy_": lambda m, r: r.clone().cauchy_(),
    "random_": lambda m, r: r.clone().random_(1000),
    "bernoulli_ of batched probabilities": lambda m, r: r.clone().bernoulli_(r + 0.5),
    "poisson": lambda m, r: m.poisson(r + 5.0),
}


@pytest.mark.parametrize("draw", list(NESTED_DRAWS.values()), ids=list(NESTED_DRAWS))
@pytest.mark.parametrize("modes", list(NESTED), ids=["-".join(k) for k in NESTED])
def test_nested_levels_draw_along_their_own_dimension(modes: tuple[str, str], draw: Any) -> None:
    """(inner, outer): the values vary along the dimension of each 'different' level only."""
    results = []
    for m, fn in ((torch, tf), (cr, cf)):
        try:
            out = NESTED[modes](fn, lambda r, m=m: draw(m, r))(m.zeros(4, 5, 8)).numpy()
        except RuntimeError as error:  # PyTorch refuses some: so must chainrule, in its words
            results.append(str(error))
            continue
        varies_outer = _groups(out) > 1
        varies_inner = _groups(np.swapaxes(out, 0, 1)) > 1 and any(
            _groups(out[i]) > 1 for i in range(out.shape[0])
        )
        results.append((out.shape, varies_inner, varies_outer))
    assert results[1] == results[0]
    if isinstance(results[0], tuple):
        inner, outer = modes
        assert results[0][1:] == (inner == "different", outer == "different")


def test_per_example_draws_have_the_right_distribution() -> None:
    cr.manual_seed(1)
    x = cr.zeros(500, 40)
    normal = cf.vmap(lambda r: r + cr.randn(40), randomness="different")(x).numpy()
    uniform = cf.vmap(lambda r: r + cr.rand(40), randomness="different")(x).numpy()
    assert abs(normal.mean()) < 0.02 and abs(normal.std() - 1) < 0.02
    assert uniform.min() >= 0 and uniform.max() < 1 and abs(uniform.mean() - 0.5) < 0.01
    # Examples are uncorrelated: the correlation of two examples' draws is near zero.
    assert abs(np.corrcoef(normal[:, :20].ravel(), normal[:, 20:].ravel())[0, 1]) < 0.03
    kept = cf.vmap(lambda r: cr.nn.functional.dropout(r + 1, 0.25), randomness="different")(x)
    assert abs((kept.numpy() == 0).mean() - 0.25) < 0.01
    filled = cf.vmap(lambda r: r.clone().normal_(2.0, 3.0), randomness="different")(x).numpy()
    assert abs(filled.mean() - 2) < 0.06 and abs(filled.std() - 3) < 0.06
    assert abs(np.corrcoef(filled[:, :20].ravel(), filled[:, 20:].ravel())[0, 1]) < 0.03


@pytest.mark.parametrize("replacement", [False, True])
def test_multinomial_draws_from_each_examples_own_weights(replacement: bool) -> None:
    """Example i puts all its weight on category i: its draws can only be i."""
    n = 3 if replacement else 1
    picks = cf.vmap(lambda w: cr.multinomial(w, n, replacement), randomness="different")(cr.eye(5))
    assert picks.tolist() == [[i] * n for i in range(5)]


def test_gradients_through_per_example_noise() -> None:
    """grad inside vmap with a per-example draw: each example's gradient uses its own noise,
    the same noise its output was computed with."""
    cr.manual_seed(2)
    xs = cr.tensor(np.linspace(-1.0, 1.0, 8), dtype=cr.float64)

    def noisy(x: Any) -> Any:
        noise = cr.randn((), dtype=cr.float64)
        return (x * noise) ** 2, noise

    grads, noise = cf.vmap(cf.grad(noisy, has_aux=True), randomness="different")(xs)
    assert _groups(noise.numpy()) == 8
    np.testing.assert_allclose(grads.numpy(), 2 * xs.numpy() * noise.numpy() ** 2, rtol=1e-12)


def test_error_mode_refuses_every_draw() -> None:
    draws = [
        lambda r: r + cr.rand(2),
        lambda r: cr.normal(r, 1.0),
        lambda r: r.clone().cauchy_(),
        lambda r: cr.zeros(2).random_(5),
    ]
    for draw in draws:
        with pytest.raises(RuntimeError, match="randomness error mode"):
            cf.vmap(draw)(cr.zeros(3, 2))


@pytest.mark.filterwarnings("ignore:vmap. an operation reads the values")
@pytest.mark.parametrize("draw_first", [True, False])
def test_the_once_per_example_fallback_keeps_the_randomness_mode(draw_first: bool) -> None:
    """Code without a batching rule makes vmap run the function once per example: its draws
    still follow ``randomness`` ('same' used to give every example its own)."""

    def f(r: Any) -> Any:
        noise = cr.rand(W) if draw_first else None
        r = cr.tensor(r._data)  # reads the values: no batching rule, so a loop over examples
        return r + (noise if draw_first else cr.rand(W))

    x = cr.zeros(BATCH, W)
    assert _groups(cf.vmap(f, randomness="same")(x).numpy()) == 1
    assert _groups(cf.vmap(f, randomness="different")(x).numpy()) == BATCH
    with pytest.raises(RuntimeError, match="randomness error mode"):
        cf.vmap(f)(x)
