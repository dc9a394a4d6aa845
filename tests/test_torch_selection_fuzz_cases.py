"""Cases a fuzz of selection, sorting and reduction ops against PyTorch found chainrule
answering differently, on edge values (NaN, infinities, -0.0, ties, zeros, integers): each
snippet runs with ``T`` as torch and as chainrule, and what it leaves in ``out`` (values, their
dtypes, the gradients of float64 inputs, or the error: type and first line) must be the same.

A snippet sets ``out``; ``T`` is the library (see :func:`snippet_outcome.outcome`).
"""

from __future__ import annotations

import pytest
import torch
from snippet_outcome import GRADIENTS, outcome

import chainrule as cr

PRELUDE = GRADIENTS  # grads(y, x) and leaf(*values)

CASES = {
    # ---- isclose of integers: the error in the default float dtype (uint8's 3 - 4 wrapped
    # to 255, int64's 2**62 - -2**62 to a negative error, both "close" or not wrongly)
    "isclose uint8 below": (
        "out = T.isclose(T.tensor([3, 0, 10], dtype=T.uint8), "
        "T.tensor([4, 255, 13], dtype=T.uint8), atol=1.0).tolist()"
    ),
    "isclose uint8 rtol": (
        "out = T.isclose(T.tensor([3, 2], dtype=T.uint8), T.tensor([4, 3], dtype=T.uint8), "
        "rtol=0.5).tolist()"
    ),
    "isclose int8 wrapping": (
        "out = T.isclose(T.tensor([-128, 127], dtype=T.int8), "
        "T.tensor([127, -128], dtype=T.int8), atol=1.0).tolist()"
    ),
    "isclose int64 overflow": (
        "out = T.isclose(T.tensor([2**62]), T.tensor([-(2**62)]), rtol=0, atol=2).tolist()"
    ),
    "isclose int64 in float32": (
        "out = T.isclose(T.tensor([2**40 + 1]), T.tensor([2**40]), rtol=0, atol=0.5).tolist()"
    ),
    "allclose uint8": (
        "out = T.allclose(T.tensor([3, 2], dtype=T.uint8), T.tensor([4, 3], dtype=T.uint8), "
        "atol=1.0)"
    ),
    # ---- clamp with a NaN bound: NaN everywhere (comparisons with it kept x)
    "clamp nan min": "x = leaf(-inf, 1.0, 2.0)\nout = grads(T.clamp(x, nan, 1.5), x)",
    "clamp nan max": "x = leaf(0.0, nan, 2.0)\nout = grads(T.clamp(x, max=nan), x)",
    "clamp nan bound of uint8": (
        "y = T.clamp(T.tensor([4, 0], dtype=T.uint8), nan)\nout = (y.dtype, y.tolist())"
    ),
    "clamp_min nan float32": "out = T.tensor([1.0, -1.0]).clamp_min(nan).tolist()",
    "clip nan max 0-d": "out = T.clip(T.tensor(1.0, dtype=T.float64), 0.0, nan).item()",
    # ---- quantile's lower, higher and nearest pick a value (no lerp: -inf + 0 * inf was NaN,
    # -0.0 became 0.0)
    "quantile lower at -inf": (
        "x = leaf([1.0, -inf], [0.0, 3.0])\n"
        "out = grads(T.quantile(x, 0.0, dim=0, interpolation='lower'), x)"
    ),
    "quantile nearest at -inf": (
        "x = leaf([1.0, -inf], [0.0, 3.0], [1.0, 0.0])\n"
        "out = grads(T.quantile(x, 0.0, keepdim=True, interpolation='nearest'), x)"
    ),
    "nanquantile nearest at inf": (
        "x = leaf([1.0, -0.0], [nan, 0.0], [nan, inf])\n"
        "q = T.tensor([0.1, 0.5, 0.9], dtype=T.float64)\n"
        "out = grads(T.nanquantile(x, q, interpolation='nearest'), x)"
    ),
    "quantile higher at inf": (
        "x = leaf(inf, 1.0, 2.0)\nout = grads(T.quantile(x, 1.0, interpolation='higher'), x)"
    ),
    "quantile lower -0.0": (
        "x = leaf(-0.0, 0.0, 1.0)\nout = grads(T.quantile(x, 0.2, interpolation='lower'), x)"
    ),
    # ---- nanquantile of NaNs alone: its gradient reaches the first NaN, as PyTorch's
    "nanquantile all nan gradient": (
        "x = leaf(nan, nan)\nq = T.tensor([0.1, 0.9], dtype=T.float64)\n"
        "out = grads(T.nanquantile(x, q, interpolation='lower'), x)"
    ),
    "nanquantile all-nan row gradient": (
        "x = leaf([nan, nan], [1.0, 2.0])\nout = grads(T.nanquantile(x, 0.5, dim=1), x)"
    ),
    # ---- quantile's refusals in PyTorch's order, naming quantile() for nanquantile too
    "nanquantile number q out of range": "out = T.nanquantile(T.ones(3), 1.5)",
    "quantile number q out of range on empty": "out = T.quantile(T.empty(2, 0), -0.25)",
    "quantile bad interpolation": (
        "out = T.quantile(T.ones(3), T.tensor(0.5), interpolation='bad')"
    ),
    "quantile empty integer": (
        "out = T.nanquantile(T.empty(2, 0, dtype=T.int64), T.tensor(1.0), dim=None)"
    ),
    "quantile empty, dim out of range": "out = T.quantile(T.empty(2, 0), 1.0, dim=3)",
    "quantile q of two dims before dtype": (
        "out = T.quantile(T.ones(3, dtype=T.int64), T.tensor([[0.5]]))"
    ),
    "nanquantile tensor q out of range": "out = T.nanquantile(T.ones(3), T.tensor([1.5]))",
    # ---- vector_norm at +-inf: a NaN norm sends its gradient to the NaNs, where abs's sign is
    # 0 (amax's rule gave NaN everywhere)
    "vector_norm inf with nan": (
        "x = leaf(nan, 1.0, -2.0, nan, 0.0)\nout = grads(T.linalg.vector_norm(x, inf), x)"
    ),
    "vector_norm -inf with nan": (
        "x = leaf(nan, 1.0, -2.0, 0.0)\nout = grads(T.linalg.vector_norm(x, -inf), x)"
    ),
    "norm inf along a dim with nan": (
        "x = leaf([1.0, nan], [-1.0, -3.0])\nout = grads(T.norm(x, inf, dim=1), x)"
    ),
    "norm -inf method with nan": (
        "x = leaf([1.0, -1.0, 1.0], [-0.0, nan, -inf])\nout = grads(x.norm(-inf, 1), x)"
    ),
    # ---- cumprod's gradient: g itself along a dimension of one (out / x was NaN at an inf),
    # and with zeros PyTorch's sums, which leave out the outputs after a zero
    "cumprod along a dim of one at -inf": (
        "x = leaf([1.0], [-inf], [1.0])\nout = grads(T.cumprod(x, -1), x)"
    ),
    "cumprod one element inf": "x = leaf(inf)\nout = grads(T.cumprod(x, 0), x)",
    "cumprod zeros then -inf": (
        "x = leaf(1.0, 0.5, 0.0, 0.0, -inf)\nout = grads(T.cumprod(x, 0), x)"
    ),
    "cumprod -inf after the second zero": (
        "x = leaf(1.0, 0.5, 0.0, 2.0, 0.0, -inf)\nout = grads(T.cumprod(x, 0), x)"
    ),
    "cumprod inf before the second zero": (
        "x = leaf(1.0, 0.5, 0.0, 2.0, inf, 0.0)\nout = grads(T.cumprod(x, 0), x)"
    ),
    "cumprod rows with zeros and nan": (
        "x = leaf([nan, 0.0, 2.0, 0.0, nan], [0.0, 1.0, 0.0, inf, 3.0])\n"
        "out = grads(T.cumprod(x, 1), x)"
    ),
    # ---- nansum and nanmean multiply their gradient by "not NaN", as PyTorch's: over NaNs
    # alone nanmean divides by 0, and inf * 0 is NaN
    "nanmean all-nan column": (
        "x = leaf([nan, 1.0, 2.0], [nan, nan, 3.0])\nout = grads(T.nanmean(x, 0), x)"
    ),
    "nanmean all nan": "x = leaf(nan, nan)\nout = grads(T.nanmean(x), x)",
    "nansum times inf": "x = leaf(nan, 1.0)\nout = grads(T.nansum(x) * inf, x)",
    # ---- var and std send back PyTorch's var_backward, 2 / (n - correction) * g * (x - mean):
    # an infinite element made every gradient of its group NaN through the mean's backward,
    # no degrees of freedom left gave NaN for inf, -0.0 lost its sign, float32 a last bit and
    # float16 a step (PyTorch's formula rounds each step to float16)
    "var with inf": "x = leaf(1.0, 2.0, inf, 4.0)\nout = grads(x.var(), x)",
    "var along dim with inf, keepdim": (
        "x = leaf([1.0, 2.0, inf], [4.0, 5.0, 6.0])\nout = grads(T.var(x, 1, keepdim=True), x)"
    ),
    "var unbiased=False with -inf": (
        "x = leaf([1.0, -inf], [3.0, 0.5])\nout = grads(T.var(x, 0, unbiased=False), x)"
    ),
    "var correction 2 along dim of 2 with inf": (
        "x = leaf([1.0, 2.0, inf], [4.0, 5.0, 6.0])\nout = grads(x.var(0, correction=2), x)"
    ),
    "var correction past n along dim": (
        "x = leaf(1.0, 2.0, 4.0)\nout = grads(T.var(x, 0, correction=5), x)"
    ),
    "var no degrees of freedom": "x = leaf(1.0, 2.0, 3.0)\nout = grads(x.var(correction=3), x)",
    "var_mean with -inf": "x = leaf(1.0, -inf, 2.0, 4.0)\nout = grads(T.var_mean(x)[0], x)",
    "var_mean with inf, both outputs": (
        "x = leaf([1.0, 3.0], [2.0, 4.0], [3.0, 0.5], [4.0, inf])\n"
        "v, m = T.var_mean(x, 0, correction=0)\n"
        "out = grads(T.stack([v, m]), x)"
    ),
    "std of -0.0": "x = leaf(-0.0, 0.0)\nout = grads(x.std(), x)",
    "std_mean of -0.0 along dim": (
        "x = leaf([-0.0, 1.0], [0.0, 1.0])\nout = grads(T.std_mean(x, 0, keepdim=True)[0], x)"
    ),
    "std float32 last bits": (
        "x = T.tensor([0.1, 0.7, 1.3, 2.9, 7.1], requires_grad=True)\nx.std().backward()\n"
        "out = x.grad.tolist()"
    ),
    "var float32 last bits": (
        "x = T.tensor([0.1, 0.7, 1.3, 2.9, 7.1], requires_grad=True)\nx.var().backward()\n"
        "out = x.grad.tolist()"
    ),
    "std float16 in float16 steps": (
        "x = T.tensor([0.1, 0.7, 1.3, 2.9, 7.1], dtype=T.float16, requires_grad=True)\n"
        "T.std_mean(x, 0)[0].backward()\nout = x.grad.tolist()"
    ),
    # ---- the inf-norm's gradient multiplies the mask of its extremes, as amax's (a nan or
    # infinite gradient is nan everywhere); max() writes its shares into zeros (chainrule's
    # norm wrote them, found by a fuzz of programs)
    "inf-norm of a nan gradient": (
        "x = leaf(1.0, -3.0, 2.0)\n(T.linalg.vector_norm(x, ord=inf) * nan).backward()\n"
        "out = x.grad.tolist()"
    ),
    "inf-norm of an infinite gradient": (
        "x = leaf(1.0, -3.0, 3.0)\n(x.norm(p=inf) * inf).backward()\nout = x.grad.tolist()"
    ),
    "-inf-norm of a nan gradient": (
        "x = leaf(0.0, -3.0, 3.0)\n(T.linalg.vector_norm(x, ord=-inf) * nan).backward()\n"
        "out = x.grad.tolist()"
    ),
    "inf-norm along a dim, infinite gradient": (
        "x = leaf([1.0, -3.0], [0.0, 2.0])\n"
        "(T.linalg.norm(x, ord=inf, dim=1) * inf).sum().backward()\nout = x.grad.tolist()"
    ),
    "inf-norm of a nan, its gradient to the nan": (
        "x = leaf(1.0, -3.0, nan)\n(T.linalg.vector_norm(x, ord=inf) * 2).backward()\n"
        "out = x.grad.tolist()"
    ),
    "max() of a nan gradient": "x = leaf(1.0, -3.0, 3.0)\n(x.max() * nan).backward()\nout = x.grad",
    # ---- nan_to_num's gradient is multiplied by isfinite(x): an infinite or nan gradient at a
    # replaced element is nan there (chainrule's three selections gave 0)
    "nan_to_num of an infinite gradient": (
        "x = leaf(-1.0, 2.0)\nz = x / T.nan_to_num(x.log())\nz.sum().backward()\n"
        "out = x.grad.tolist()"
    ),
    "nan_to_num of a nan gradient": (
        "x = leaf(nan, inf, -inf, 1.0)\n(T.nan_to_num(x, posinf=5.0) * nan).sum().backward()\n"
        "out = x.grad.tolist()"
    ),
    "nan_to_num": "x = leaf(nan, inf, -inf, 1.0)\nout = grads(T.nan_to_num(x, 0.5, 9.0), x)",
}

# Next to the fixes above, what they must leave alone (these never differed)
GUARDS = {
    "isclose float16": (
        "out = T.isclose(T.tensor([3.0, 1.0], dtype=T.float16), "
        "T.tensor([3.001, 1.01], dtype=T.float16), rtol=1e-3).tolist()"
    ),
    "isclose bool": (
        "out = T.isclose(T.tensor([True, False]), T.tensor([True, True]), atol=0.5).tolist()"
    ),
    "clamp finite bounds": "x = leaf(-0.0, 1.0, 2.0, nan)\nout = grads(T.clamp(x, 0.0, 1.5), x)",
    "quantile linear": (
        "x = leaf(0.0, 1.0, 2.0, 10.0)\n"
        "out = grads(T.quantile(x, T.tensor([0.5, 0.9], dtype=T.float64)), x)"
    ),
    "quantile midpoint with nan": (
        "x = leaf([0.0, 1.0, 2.0], [nan, 1.0, 2.0])\n"
        "out = grads(T.quantile(x, 0.3, dim=1, interpolation='midpoint'), x)"
    ),
    "vector_norm inf ties": "x = leaf(1.0, -2.0, 2.0, 0.0)\nout = grads(x.norm(inf), x)",
    "cumprod one zero": "x = leaf(2.0, 0.0, 3.0)\nout = grads(T.cumprod(x, 0), x)",
    "cumprod double backward with a zero": (
        "x = leaf(2.0, 0.0, 3.0, 0.5)\n"
        "(g,) = T.autograd.grad((x.cumprod(0) * T.arange(1.0, 5, dtype=T.float64)).sum(), x,"
        " create_graph=True)\n"
        "(h,) = T.autograd.grad((g * T.arange(1.0, 5, dtype=T.float64)).sum(), x)\n"
        "out = (g.tolist(), h.tolist())"
    ),
    "nanmean with some nan": "x = leaf([nan, 1.0], [2.0, 3.0])\nout = grads(T.nanmean(x, 1), x)",
    "var with nan": "x = leaf(1.0, nan, 3.0)\nout = grads(x.var(), x)",
    "std with inf": "x = leaf([1.0, inf, 2.0], [0.5, 1.0, 3.0])\nout = grads(x.std(1), x)",
    "std_mean of constants": "x = leaf(0.5, 0.5, 0.5)\nout = grads(T.stack(T.std_mean(x)), x)",
    "var of one element": "x = leaf(3.0)\nout = grads(x.var(), x)",
    # ---- kthvalue at ties: the element PyTorch's quickselect leaves at k, not the stable
    # sort's first (the index, and so where the gradient goes)
    "kthvalue ties along rows": (
        "r = T.kthvalue(T.tensor([[2.0, 2.0, 0.0, 2.0], [5.0, 5.0, 5.0, 5.0]]), 2, 1)\n"
        "out = (r.values.tolist(), r.indices.tolist())"
    ),
    "kthvalue ties gradient": "x = leaf(2.0, 2.0, 0.0, 2.0)\nout = grads(T.kthvalue(x, 2)[0], x)",
    "kthvalue nan ties": (
        "r = T.kthvalue(T.tensor([nan, 1.0, nan, nan, 0.5]), 4)\nout = r.indices.tolist()"
    ),
    "kthvalue signed zeros": (
        "r = T.kthvalue(T.tensor([0.0, -0.0, 0.0, -0.0, 0.0]), 2)\n"
        "out = (str(r.values.item()), r.indices.item())"
    ),
    "kthvalue integer ties along dim 0, kept": (
        "r = T.tensor([[1, 3], [1, 3], [0, 3], [1, 2]]).kthvalue(3, 0, True)\n"
        "out = (r.values.tolist(), r.indices.tolist())"
    ),
    "kthvalue without ties": (
        "r = T.kthvalue(T.tensor([[3.0, 1.0, 2.0], [0.5, -1.0, 4.0]]), 2)\n"
        "out = (r.values.tolist(), r.indices.tolist())"
    ),
    "std double backward": (
        "x = leaf(1.0, 2.0, 4.0, 8.0)\n"
        "(g,) = T.autograd.grad(x.std(), x, create_graph=True)\n"
        "(h,) = T.autograd.grad((g * T.arange(1.0, 5, dtype=T.float64)).sum(), x)\n"
        "out = [round(v, 12) for v in g.tolist() + h.tolist()]"
    ),
}


@pytest.mark.parametrize("name", list(CASES) + list(GUARDS))
def test_selection_case_as_pytorch(name: str) -> None:
    code = CASES.get(name) or GUARDS[name]
    assert outcome(cr, code, PRELUDE) == outcome(torch, code, PRELUDE)
