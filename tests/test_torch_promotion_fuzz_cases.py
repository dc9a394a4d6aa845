"""Cases a fuzz of dtype promotion and mixed operands against PyTorch found chainrule answering
differently (tensors of every dtype, 0-d and dimensioned, beside Python and NumPy numbers,
through arithmetic, comparisons, in-place forms, clamp, addcmul and addcdiv): each snippet
runs on both libraries and compares the values and dtypes (through ``exact``, which writes
floats as Python's repr, every bit) or the error raised (its type and first line).

A snippet sets ``out``; ``T`` is the library (see :func:`snippet_outcome.outcome`).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from snippet_outcome import outcome

import chainrule as cr

PRELUDE = """
def exact(*tensors):
    return [(str(t.dtype), t.tolist()) for t in tensors]
"""

CASES = {
    # ---- a NumPy scalar is a number to PyTorch: weak beside a tensor (NumPy's own dtype
    # widened the result, or NumPy wrapped nothing)
    "uint8 times an np.int32": ("out = exact(T.tensor([0, 200, 3], dtype=T.uint8) * np.int32(-7))"),
    "np.int8 remainder by uint8": "out = exact(np.int8(-3) % T.tensor([255, 1, 7], dtype=T.uint8))",
    "int16 shifted by an np.int32": (
        "out = exact(T.tensor([-3, 7], dtype=T.int16) << np.int32(2))"
    ),
    "uint8 minus an np.float16": (
        "out = exact(T.tensor([0, 200, 3], dtype=T.uint8) - np.float16(0.1))"
    ),
    "float16 floor divided by an np.float32": (
        "out = exact(T.tensor([7.0], dtype=T.float16) // np.float32(0.1))"
    ),
    "uint8 below an np.int64": "out = exact(T.tensor([1, 200], dtype=T.uint8) < np.int64(-1))",
    "an np.bool_ reads as a float": "out = exact(T.tensor([1, 2]) + np.bool_(True))",
    "result_type of uint8 and an np.uint8": (
        "out = T.result_type(T.tensor([1], dtype=T.uint8), np.uint8(200))"
    ),
    "result_type of float16 and an np.float32": (
        "out = T.result_type(T.tensor([1.0], dtype=T.float16), np.float32(0.1))"
    ),
    "bitwise_or_ of uint8 by an np.int32": (
        "a = T.tensor([255, 1], dtype=T.uint8)\na.bitwise_or_(np.int32(-7))\nout = exact(a)"
    ),
    "imod of float32 by an np.float16": (
        "a = T.tensor([-2.5, 7.0])\na %= np.float16(0.1)\nout = exact(a)"
    ),
    "clamp of int32 by an np.int64": (
        "out = exact(T.clamp(T.tensor([0, 9], dtype=T.int32), max=np.int64(5)))"
    ),
    "clamp of bool by an np.int8": (
        "out = exact(T.clamp(T.tensor([False, True]), max=np.int8(-3)))"
    ),
    # ---- addcmul and addcdiv read their operands in the common dtype: value scales an int8
    # -128 as -128.0 (it wrapped to -128 again), and a float32 0-d beside float16 tensors runs
    # in float32 (2 * 65504 was float16's inf, times 0 nan)
    "addcmul of an int8 tensor by value -1": (
        "out = exact(T.addcmul(T.tensor([-2.5], dtype=T.float16), T.tensor([-128], "
        "dtype=T.int8), T.tensor([0.1], dtype=T.float16), value=-1))"
    ),
    "addcdiv of an int8 tensor by value -1": (
        "out = exact(T.addcdiv(T.tensor([0.1], dtype=T.float16), T.tensor([-128], "
        "dtype=T.int8), T.tensor([-2.5]), value=-1))"
    ),
    "addcmul of float16 by a float32 0-d": (
        "b = T.tensor([65504.0, 1e-4], dtype=T.float16, requires_grad=True)\n"
        "z = T.tensor(0.0, requires_grad=True)\n"
        "y = T.addcmul(b, b, z, value=2)\n"
        "y.float().sum().backward()\n"
        "out = exact(y, b.grad)"
    ),
    # ---- clamp's gradient compares x with a tensor bound in their common dtype: a float64
    # 0-d 1e-310 is float16's 0 beside a float16 x, so x = 0 ties and keeps the gradient
    "clamp gradient at a float64 bound beside float16": (
        "x = T.tensor([-2.5, 0.0], dtype=T.float16, requires_grad=True)\n"
        "lo = T.tensor(1e-310, dtype=T.float64, requires_grad=True)\n"
        "T.clamp(x, min=lo).float().sum().backward()\n"
        "out = exact(x.grad, lo.grad)"
    ),
    # ---- an integer tensor beside a Python float computes in float32, the float rounded
    # there first, and the second time too (a cached float32 operand was passed raw)
    "int64 times the same float twice": (
        "t = T.tensor([16777217, 3])\nb = 0.1\nfirst = t * b\nout = exact(first, t * b)"
    ),
    "int64 remainder after a product by the same float": (
        "t = T.tensor([16777217, 3])\nb = 0.1\n_ = t * b\nout = exact(t % b)"
    ),
    "int8 fmod by 0.1": "out = exact(T.fmod(T.tensor([1, 5, -26, 100], dtype=T.int8), 0.1))",
    "int8 remainder by 1e-8": (
        "out = exact(T.remainder(T.tensor([-128, 5, 127], dtype=T.int8), 1e-8))"
    ),
    "float to int32 powers, the base in float32": (
        "out = exact((-0.7) ** T.tensor([127, 1], dtype=T.int32))"
    ),
}

# Next to the fixes above, what they must leave alone (these never differed).
GUARDS = {
    "float32 times an np.float64": "out = exact(T.tensor([1.5, 2.0]) * np.float64(0.1))",
    "int to a float power, the exponent a double": (
        "out = exact(T.tensor([127, 16777217], dtype=T.int32) ** (1 / 3))"
    ),
    "int64 times 1.1": "out = exact(T.tensor([16777217, 3]) * 1.1)",
    "float32 remainder by 1e-8": "out = exact(T.remainder(T.tensor([-128.0, 5.0]), 1e-8))",
    "addcmul of float16 tensors": (
        "x = T.tensor([1000.0, 65504.0], dtype=T.float16)\n"
        "out = exact(T.addcmul(x, x, x, value=1e-8))"
    ),
    "addcmul of int64 by a float value": (
        "out = exact(T.addcmul(T.tensor([1]), T.tensor([3]), T.tensor([5]), value=2.5))"
    ),
    "clamp by float bounds of a 0-d float64": (
        "out = exact(T.clamp(T.tensor([0.5, 3.0]), T.tensor(1.0, dtype=T.float64), 2))"
    ),
}


@pytest.mark.parametrize("name", list(CASES) + list(GUARDS))
def test_promotion_case_as_pytorch(name: str) -> None:
    code = CASES.get(name) or GUARDS[name]
    assert outcome(cr, code, PRELUDE, np=np) == outcome(torch, code, PRELUDE, np=np)
