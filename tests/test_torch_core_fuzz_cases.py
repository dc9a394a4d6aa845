"""Edges of the core tensor API that a fuzz against PyTorch found: each case runs the same code
with ``torch`` and with ``chainrule`` (as ``M``) and compares what it returns (values and
dtypes) or the error it raises (type and first line)."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr

NAN, INF = float("nan"), float("inf")


def _searchsorted_past_nans(M: Any) -> Any:
    """PyTorch's binary search passes a nan in the sorted rows (NumPy's sorts it last)."""
    rows = M.tensor([[1.0, 2.0, NAN], [NAN, 0.0, 1.0]])
    values = M.tensor([[NAN, 3.0, 1.5], [0.5, NAN, -1.0]])
    return [
        M.searchsorted(rows, values),
        M.searchsorted(rows, values, right=True),
        M.searchsorted(rows[0], M.tensor([3.0, NAN])),
        M.bucketize(M.tensor([3.0, NAN, 1.5]), rows[0]),
    ]


def _empty_products(M: Any) -> Any:
    """Batched products with an empty dimension, and their gradients (a shortcut for a weight
    shared across the batch took entry 0 of none)."""
    f64 = M.float64
    a = M.ones(1, 1, 3, dtype=f64, requires_grad=True)
    b = M.ones(1, 3, 0, dtype=f64, requires_grad=True)
    M.bmm(a, b).sum().backward()
    c = M.ones(0, 2, 4, 3, dtype=f64, requires_grad=True)
    d = M.ones(1, 1, 3, 3, dtype=f64, requires_grad=True)
    M.matmul(c, d).sum().backward()
    empty_batch = M.bmm(M.zeros(0, 4, 2, dtype=f64), M.zeros(0, 2, 4, dtype=f64))
    return [empty_batch, M.linalg.matrix_power(M.zeros(3, 0, 0, dtype=f64), 5), a.grad, d.grad]


def _first_line_only(f: Callable[[], Any]) -> Any:
    """``f()``'s error type and words up to the library's name, which the words hold."""
    try:
        return f()
    except Exception as error:  # noqa: BLE001 - compared
        return type(error).__name__, str(error).split("(")[0]


CASES: dict[str, Callable[[Any], Any]] = {
    "products with an empty dimension": _empty_products,
    "searchsorted past nans": _searchsorted_past_nans,
    "bincount of uint8 up to 255": lambda M: M.bincount(M.tensor([5, 255, 5], dtype=M.uint8)),
    "bincount of int8": lambda M: M.bincount(M.tensor([3, 127], dtype=M.int8), minlength=2),
    "arange to a bool": lambda M: [M.arange(True), M.arange(0, True), M.arange(False, 3, True)],
    "linspace from a negative float into uint8": lambda M: M.linspace(-0.3, 5, 7, dtype=M.uint8),
    "linspace of no steps from a negative into uint8": lambda M: M.linspace(
        -2, 0.5, 0, dtype=M.uint8
    ),
    "linspace from a negative int into uint8 wraps": lambda M: M.linspace(-2, 5, 3, dtype=M.uint8),
    "linspace past uint8": lambda M: M.linspace(0, 300, 3, dtype=M.uint8),
    "full of an int past float16": lambda M: M.full((2,), 2**40, dtype=M.float16),
    "full of an int within float16": lambda M: M.full((2,), 65504, dtype=M.float16),
    "float of two elements": lambda M: float(M.ones(2)),
    "int of two elements": lambda M: int(M.ones(2, dtype=M.int64)),
    "item of two elements": lambda M: M.ones(2).item(),
    "index of a bool tensor": lambda M: [operator.index(M.tensor(True)), [7, 8][M.tensor(True)]],
    "index of a float tensor": lambda M: operator.index(M.tensor(1.0)),
    "small integers beside float16": lambda M: [
        f(M.tensor([1, -2], dtype=M.int8), M.tensor([0.5, 3.0], dtype=M.float16))
        for f in (M.atan2, M.hypot, M.copysign, M.pow)
    ],
    "ldexp in the result's dtype": lambda M: [
        M.ldexp(M.tensor([1.0, 3.0], dtype=M.float64), M.tensor([200, -3])),
        M.ldexp(M.tensor([INF, 60000.0], dtype=M.float16), M.tensor(-30, dtype=M.int8)),
        M.ldexp(M.tensor([0.5, 2.0], dtype=M.float16), M.tensor([1, -2], dtype=M.int8)),
        M.ldexp(M.tensor([3, 1]), M.tensor([2, 0])),
    ],
    "softmax and log_softmax with a dtype": lambda M: [
        t.round(decimals=6)  # the dtypes compared, values to the last ulp or so
        for t in (
            M.softmax(M.tensor([[1, 2, 3]]), 1, dtype=M.float64),
            M.log_softmax(M.tensor([[1, 2, 3]]), -1, dtype=M.float32),
            M.tensor([1.0, 2.0]).softmax(0, dtype=M.float64),
            M.tensor([1.0, 2.0]).log_softmax(dim=0, dtype=M.float64),
        )
    ],
}

CASES.update(
    {
        "attention of a 1-d query": lambda M: M.nn.functional.scaled_dot_product_attention(
            M.zeros(2), M.zeros(3, 2), M.zeros(3, 3)
        ),
        "attention with a mask that grows the scores": lambda M: (
            M.nn.functional.scaled_dot_product_attention(
                M.zeros(2, 3), M.zeros(4, 3), M.zeros(4, 5), attn_mask=M.zeros(3, 2, 4)
            )
        ),
        "cosine_similarity of shapes that do not broadcast": lambda M: (
            M.nn.functional.cosine_similarity(M.ones(2, 3), M.ones(4, 3))
        ),
        "an RNN fed another dtype": lambda M: _first_line_only(
            lambda: M.nn.LSTM(3, 4)(M.ones(2, 1, 3, dtype=M.float64))
        ),
        "a bool tensor times a number past float32": lambda M: [  # inf, and 0 * inf is nan
            (str(t.dtype).split(".")[1], t.isnan(), t.isinf())
            for t in (
                M.tensor([True, False]) * 1e40,
                1e40 * M.tensor([True, False]),
                M.tensor([True, False]) / 1e-40,
            )
        ],
        "attention with a mask that broadcasts": lambda M: (
            M.nn.functional.scaled_dot_product_attention(
                M.ones(2, 3), M.ones(4, 3), M.ones(4, 5), attn_mask=M.ones(4, dtype=M.bool)
            )
        ),
    }
)

# Float-only kernels refuse integers and bools in PyTorch's words (they computed, in float32 or
# float64 as it came, or in int64 for the pools).
FLOAT_KERNELS: dict[str, Callable[[Any, Any], Any]] = {
    "gelu": lambda F, x: F.gelu(x),
    "gelu tanh": lambda F, x: F.gelu(x, approximate="tanh"),
    "elu": lambda F, x: F.elu(x),
    "selu": lambda F, x: F.selu(x),
    "softplus": lambda F, x: F.softplus(x),
    "silu": lambda F, x: F.silu(x),
    "leaky_relu": lambda F, x: F.leaky_relu(x),
    "rrelu in eval": lambda F, x: F.rrelu(x, training=False),
    "glu": lambda F, x: F.glu(x, -1),
    "max_pool1d": lambda F, x: F.max_pool1d(x, 2),
    "adaptive_max_pool1d": lambda F, x: F.adaptive_max_pool1d(x, 2),
    "adaptive_avg_pool1d": lambda F, x: F.adaptive_avg_pool1d(x, 2),
}
for _name, _op in FLOAT_KERNELS.items():
    for _values in ([[[1, 2, 3, 4]]], [[[True, False, True, True]]]):
        _key = f"{_name} of {type(_values[0][0][0]).__name__}s"
        CASES[_key] = lambda M, op=_op, values=_values: op(M.nn.functional, M.tensor(values))


def _outcome(case: Callable[[Any], Any], M: Any) -> Any:
    try:
        result = case(M)
    except Exception as error:  # noqa: BLE001 - the error is the outcome compared
        return ("raised", type(error).__name__, str(error).split("\n")[0])
    return _plain(result)


def _plain(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, torch.Tensor | cr.Tensor):
        array = np.asarray(value.numpy())
        return ("tensor", str(value.dtype).split(".")[-1], array.shape, array.tolist())
    return value


@pytest.mark.parametrize("name", list(CASES))
def test_chainrule_does_what_pytorch_does(name: str) -> None:
    assert _outcome(CASES[name], cr) == _outcome(CASES[name], torch)
