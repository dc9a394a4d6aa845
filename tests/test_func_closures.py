"""Transforms of functions that close over tensors requiring grad, against ``torch.func``.

A parameter ``w`` that ``f`` reads without being given it stays part of the caller's graph:
``grad(f)(x)`` (and every other transform's result that depends on ``w``) records, so that
``.backward()`` on it fills ``w.grad``, as in PyTorch. Results that do not depend on ``w``
record nothing. Each row runs the same snippet on both libraries and compares the values,
whether each result records, and ``w.grad`` after a backward through the results.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
import torch.func as tf

import chainrule as cr
import chainrule.func as cf

X = np.array([0.3, -1.2, 2.0])
W = np.array([0.5, -1.0, 1.5])
ROWS = 4


def _sum_sin(m: Any, w: Any) -> Any:
    return lambda x: m.sin(x * w).sum()


SNIPPETS = {
    "grad": lambda m, fn, w, x: fn.grad(_sum_sin(m, w))(x),
    "grad_and_value": lambda m, fn, w, x: fn.grad_and_value(_sum_sin(m, w))(x),
    "grad, closure not read": lambda m, fn, w, x: fn.grad(lambda v: (v**3).sum())(x),
    "vjp": lambda m, fn, w, x: (lambda out, pull: (out, *pull(m.ones(3, dtype=m.float64))))(
        *fn.vjp(lambda v: m.tanh(v * w), x)
    ),
    "jvp": lambda m, fn, w, x: fn.jvp(lambda v: m.exp(v * w), (x,), (m.ones(3, dtype=m.float64),)),
    "jacrev": lambda m, fn, w, x: fn.jacrev(lambda v: m.tanh(v * w))(x),
    "jacfwd": lambda m, fn, w, x: fn.jacfwd(lambda v: m.tanh(v * w))(x),
    "hessian": lambda m, fn, w, x: fn.hessian(_sum_sin(m, w))(x),
    "hessian, closure not read": lambda m, fn, w, x: fn.hessian(lambda v: (v**3).sum())(x),
    "grad of grad": lambda m, fn, w, x: fn.grad(lambda v: fn.grad(_sum_sin(m, w))(v).sum())(x),
    "vmap of grad": lambda m, fn, w, x: fn.vmap(fn.grad(_sum_sin(m, w)))(
        x.unsqueeze(0).expand(ROWS, 3) * m.arange(1, ROWS + 1, dtype=m.float64).unsqueeze(1)
    ),
    "closure over a non-leaf": lambda m, fn, w, x: fn.grad(_sum_sin(m, (w * 2).exp()))(x),
}


def _leaves(result: Any) -> list[Any]:
    if isinstance(result, tuple | list):
        return [leaf for r in result for leaf in _leaves(r)]
    return [result]


def _run(m: Any, fn: Any, snippet: Any) -> tuple[list[np.ndarray], list[bool], Any]:
    w = m.tensor(W, requires_grad=True)
    x = m.tensor(X)
    results = _leaves(snippet(m, fn, w, x))
    records = [r.requires_grad for r in results]
    live = [r for r in results if r.requires_grad]
    if live:
        sum(((r * r).sum() for r in live), m.tensor(0.0, dtype=m.float64)).backward()
    values = [r.detach().numpy() for r in results]
    return values, records, None if w.grad is None else w.grad.numpy()


@pytest.mark.parametrize("snippet", list(SNIPPETS.values()), ids=list(SNIPPETS))
def test_closed_over_parameters_stay_in_the_callers_graph(snippet: Any) -> None:
    ours = _run(cr, cf, snippet)
    theirs = _run(torch, tf, snippet)
    for a, b in zip(ours[0], theirs[0], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    assert ours[1] == theirs[1]  # which results record
    if theirs[2] is None:
        assert ours[2] is None
    else:
        np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-9, atol=1e-12)


def test_the_brief_example() -> None:
    """``g = grad(lambda x: (x * w).sum())(x); g.sum().backward()`` gives ``w.grad``."""
    w = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x = cr.tensor([4.0, 5.0, 6.0])
    g = cf.grad(lambda v: (v * w).sum())(x)
    g.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), np.ones(3, dtype=np.float32))


PRUNED = {  # f of one tensor v, and whether its vjp's backward pass must prune its walk
    "reads its input alone": (lambda m, fn, w: lambda v: m.sin(v).sum(), False),
    "closes over a parameter": (lambda m, fn, w: lambda v: m.sin(v * w).sum(), True),
    "reads a leaf a nested grad made": (
        lambda m, fn, w: (
            lambda v: fn.grad(lambda u: (u**3).sum())(m.tensor(X)).sum() * (v * v).sum()
        ),
        True,
    ),
}


@pytest.mark.parametrize("case", list(PRUNED.values()), ids=list(PRUNED))
def test_vjp_walks_to_the_inputs_only_where_its_graph_reads_more_than_them(case: Any) -> None:
    """A graph that reads no leaf but vjp's inputs has every node lead to one: its backward
    pass skips the walk that prunes nodes (``prune`` False); one that reads a closed-over
    parameter or a nested transform's leaf keeps it. The gradients match torch.func's."""
    make, prunes = case
    results = {}
    for m, fn in ((cr, cf), (torch, tf)):
        out, pullback = fn.vjp(make(m, fn, m.tensor(W, requires_grad=True)), m.tensor(X))
        (results[m],) = pullback(m.ones((), dtype=m.float64))
        if m is cr:
            assert pullback.prune is prunes
    np.testing.assert_allclose(
        results[cr].detach().numpy(), results[torch].detach().numpy(), rtol=1e-12
    )
