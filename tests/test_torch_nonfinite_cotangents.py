"""Gradients and tangents that are nan or infinite reach each op as they reach PyTorch's.

A nan from an earlier step (the log of a negative number, say) flows back through the rest of
the graph. Where PyTorch's rule *selects* (clamp, maximum, max(), max pooling, relu), the
elements it does not select get 0, nan or not; where it multiplies, they get nan. The table
runs each op on chainrule and on PyTorch with cotangents (and tangents) of nan, +inf and -inf
and compares the results bit for bit, nans included.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr

POINTS = [-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0, 7.0]
# name: the op, written once for both libraries (T is the library, F its functional)
OPS = {
    "clamp": "x.clamp(-0.5, 0.7)",
    "clamp_min": "x.clamp(min=0.2)",
    "clamp_max": "x.clamp(max=0.2)",
    "clamp_tensor_bounds": "x.clamp(T.full_like(x, -0.5), T.full_like(x, 0.7))",
    "relu": "x.relu()",
    "relu6": "F.relu6(x)",
    "hardtanh": "F.hardtanh(x)",
    "leaky_relu": "F.leaky_relu(x, 0.1)",
    "elu": "F.elu(x)",
    "threshold": "F.threshold(x, 0.2, -1.0)",
    "hardsigmoid": "F.hardsigmoid(x)",
    "abs": "x.abs()",
    "maximum": "T.maximum(x, T.zeros_like(x))",
    "minimum": "T.minimum(x, T.zeros_like(x))",
    "maximum_ties": "T.maximum(x, x.detach().round())",
    "fmax": "T.fmax(x, T.zeros_like(x))",
    "where": "T.where(x > 0, x, T.zeros_like(x))",
    "masked_fill": "x.masked_fill(x < 0, 0.0)",
    "max": "x.max()",
    "amax": "x.amax()",
    "max_dim": "x.reshape(2, 4).max(1).values",
    "median": "x.median()",
    "kthvalue": "x.kthvalue(3).values",
    "sort": "x.sort().values",
    "topk": "x.topk(3).values",
    "index": "x[[0, 2, 2]]",
    "max_pool1d": "F.max_pool1d(x.reshape(1, 1, 8), 2)",
    "max_pool1d_overlapping": "F.max_pool1d(x.reshape(1, 1, 8), 3, stride=1)",
    "adaptive_max_pool1d": "F.adaptive_max_pool1d(x.reshape(1, 1, 8), 3)",
    "cummax": "x.cummax(0).values",
    "softmax": "x.softmax(0)",
    "norm": "x.norm()",
    "pow0": "x.pow(0)",
    "times_zero": "x * 0",
    "huber": "F.huber_loss(x, T.zeros_like(x), reduction='none', delta=0.7)",
    "smooth_l1": "F.smooth_l1_loss(x, T.zeros_like(x), reduction='none', beta=0.7)",
}
COTANGENTS = {"nan": [np.nan], "inf": [np.inf], "-inf": [-np.inf], "nan_and_one": [np.nan, 1.0]}


def _run(lib: Any, code: str, fill: list[float], forward: bool) -> np.ndarray:
    x = lib.tensor(POINTS, dtype=lib.float64)
    f = eval(f"lambda x: {code}", {"T": lib, "F": lib.nn.functional})  # noqa: S307 - ours
    if forward:
        tangent = lib.tensor(np.resize(fill, x.numel()), dtype=lib.float64)
        return np.asarray(lib.func.jvp(f, (x,), (tangent,))[1].detach())
    x.requires_grad_()
    y = f(x)
    cotangent = lib.tensor(np.resize(fill, y.numel()).reshape(tuple(y.shape)), dtype=lib.float64)
    return np.asarray(lib.autograd.grad(y, x, cotangent)[0].detach())


# fmax is chainrule's where() over a comparison, whose forward mode selects the tangents;
# PyTorch's multiplies them by the mask (nan where a nan tangent is not taken): its reverse
# mode is in the table, its forward mode is not.
CASES = [
    pytest.param(name, forward, id=f"{name}-{'jvp' if forward else 'vjp'}")
    for name in OPS
    for forward in (False, True)
    if not (forward and name == "fmax")
]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("fill", COTANGENTS.values(), ids=COTANGENTS.keys())
@pytest.mark.parametrize(("name", "forward"), CASES)
def test_nonfinite_cotangent_reaches_the_inputs_as_in_pytorch(
    name: str, forward: bool, fill: list[float]
) -> None:
    ours, theirs = (_run(lib, OPS[name], fill, forward) for lib in (cr, torch))
    np.testing.assert_array_equal(ours, theirs)
