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


@pytest.mark.parametrize("randomness", ["different", "same"])
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
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype).rsplit(".", 1)[-1] == str(theirs.dtype).rsplit(".", 1)[-1]
    mine = _groups(ours.numpy())
    if randomness == "same":
        assert mine == _groups(theirs.numpy()) == 1
    else:  # every example its own draw (a collision of whole draws has negligible odds)
        assert mine == _groups(theirs.numpy()) == BATCH


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


@pytest.mark.parametrize("modes", list(NESTED), ids=["-".join(k) for k in NESTED])
def test_nested_levels_draw_along_their_own_dimension(modes: tuple[str, str]) -> None:
    """(inner, outer): the values vary along the dimension of each 'different' level only."""
    results = []
    for m, fn in ((cr, cf), (torch, tf)):
        out = NESTED[modes](fn, lambda r, m=m: r + m.rand(2))(m.zeros(4, 5, 2)).numpy()
        varies_outer = _groups(out) > 1
        varies_inner = _groups(np.swapaxes(out, 0, 1)) > 1 and any(
            _groups(out[i]) > 1 for i in range(out.shape[0])
        )
        results.append((out.shape, varies_inner, varies_outer))
    assert results[0] == results[1]
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


def test_operations_that_cannot_draw_per_example_refuse() -> None:
    with pytest.raises(RuntimeError, match="randomness='different' asks for"):
        cf.vmap(lambda r: cr.multinomial(cr.ones(3), 1) + r, randomness="different")(cr.ones(3))
    with pytest.raises(RuntimeError, match="randomness error mode"):
        cf.vmap(lambda r: r + cr.rand(2))(cr.zeros(3, 2))
