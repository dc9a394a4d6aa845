"""Cases a fuzz of integer and bool arithmetic against PyTorch found chainrule answering
differently: each snippet runs on both libraries and compares the values and dtypes (through
``exact``, which writes floats as Python's repr, every bit) or the error raised (its type and
first line).

A snippet sets ``out``; ``T`` is the library (see :func:`snippet_outcome.outcome`).
"""

from __future__ import annotations

import pytest
import torch
from snippet_outcome import outcome

import chainrule as cr

PRELUDE = """
def exact(*tensors):
    return [(str(t.dtype), t.tolist()) for t in tensors]
"""

CASES = {
    # ---- subtraction in place: a subtraction in the common dtype, not the addition of -other
    "sub_ of a 0-d uint8 from int64": (
        "a = T.tensor([5, 0])\na.sub_(T.tensor(3, dtype=T.uint8))\nout = exact(a)"
    ),
    "sub_ of a bool from int64": "out = exact(T.tensor([1, 2]).sub_(T.tensor([True, False])))",
    "sub_ of a bool, shapes differ": "out = exact(T.tensor([[4], [0]]).sub_(T.tensor([True] * 3)))",
    "isub of two bools": "a = T.tensor([True, False])\na -= True\nout = exact(a)",
    # ---- alpha times other in the sum's dtype: uint8 200 * 2 beside an int64 is 400
    "add with alpha, uint8 beside int64": (
        "out = exact(T.tensor([0]).add(T.tensor([200], dtype=T.uint8), alpha=2))"
    ),
    "sub with alpha, uint8 beside int64": (
        "out = exact(T.tensor([0]).sub(T.tensor([200], dtype=T.uint8), alpha=2))"
    ),
    "add with alpha, int64 beside float32": (
        "out = exact(T.tensor([0.0]).add(T.tensor([16777217]), alpha=3))"
    ),
    # ---- in place without a graph: other in t's common dtype first, as out of place
    "add_ of int64 into float32": (
        "a = T.tensor([1.0, 1.0])\na.add_(T.tensor([16777217, 3]))\nout = exact(a)"
    ),
    "div_ of float32 by int64": (
        "a = T.tensor([1.0, 1.0])\na /= T.tensor([16777217, 3])\nout = exact(a)"
    ),
    # ---- integer powers: a negative Python int exponent is refused, whatever the values
    "uint8 to the power -1": "out = exact(T.tensor([0, 255], dtype=T.uint8) ** -1)",
    "pow of uint8 by -1": "out = exact(T.pow(T.tensor([2], dtype=T.uint8), -1))",
    "int8 to the power -300": "out = exact(T.tensor([2], dtype=T.int8) ** -300)",
    "empty bool to the power -1": "out = exact(T.tensor([], dtype=T.bool).pow(-1))",
    # ---- a Python int base wraps into the exponent's dtype
    "negative int to uint8 powers": "out = exact((-3) ** T.tensor([0, 2, 255], dtype=T.uint8))",
    "large int to int32 powers": "out = exact((2**62 + 3) ** T.tensor([0, 1, 3], dtype=T.int32))",
    # ---- true division of integers: each operand rounded to float32, then divided
    "int32 divided by an int": (
        "out = exact(T.tensor([-817778272, 1572526977], dtype=T.int32) / 255)"
    ),
    "int32 by int32": (
        "a = T.tensor([255, 255], dtype=T.int32)\n"
        "out = exact(a / T.tensor([1505919583, 7], dtype=T.int32))"
    ),
    "int64 by int64": "out = exact(T.tensor([1, -3]) / T.tensor([-5, 5990534301482831614]))",
    "int64 true_divide int64": (
        "a = T.tensor([740800456584741383])\n"
        "out = exact(T.true_divide(a, T.tensor([3719371858859921006])))"
    ),
    "int64 div, rounding None": (
        "out = exact(T.div(T.tensor([-3]), T.tensor([5990534301482831614]), rounding_mode=None))"
    ),
    # ---- lcm wraps as PyTorch's abs(a / gcd * b), 8-bit types in C++'s int
    "lcm int32 overflow": (
        "out = exact(T.lcm(T.tensor(-2147483647, dtype=T.int32), T.tensor(2147483646, "
        "dtype=T.int32)))"
    ),
    # ---- integer divisions of two bools: no kernel
    "bool floor divide bool": "out = exact(T.tensor([True, False]) // T.tensor([True, True]))",
    "bool remainder Python bool": "out = exact(T.tensor([True, False]) % True)",
    "bool fmod bool": "out = exact(T.fmod(T.tensor([True, False]), T.tensor([True, True])))",
    "bool div trunc by a 0-d false": (
        "out = exact(T.div(T.tensor([True]), T.tensor(False), rounding_mode='trunc'))"
    ),
    "Python bool floor divide bool": "out = exact(True // T.tensor([True, False]))",
    "bool floor_divide": "out = exact(T.floor_divide(T.tensor([True]), T.tensor([True])))",
    # ---- PyTorch checks the shapes before it divides (and finds a zero)
    "floor divide by zero, shapes differ": "out = exact(T.tensor([1, 2]) // T.tensor([0, 2, 3]))",
    "fmod by zero, shapes differ": (
        "out = exact(T.fmod(T.tensor([0, 0, 0], dtype=T.uint8), T.tensor([-8, 0, -3, 5])))"
    ),
    "floor_divide_ by zero into a smaller t": (
        "out = exact(T.tensor([1, 2]).floor_divide_(T.tensor([[0], [2]])))"
    ),
    "remainder_ of a 0-d by zero": "out = exact(T.tensor(3).remainder_(T.tensor([[0, 1]])))",
    "bool floor_divide_ by uint8 zero": (
        "out = exact(T.tensor([True]).floor_divide_(T.tensor([0], dtype=T.uint8)))"
    ),
    # ---- bitwise ops and shifts of floats: the shapes first, then the float result refused
    # into an integer t, then the kernel refused for the common float dtype
    "and of float and int, shapes differ": "out = exact(T.tensor([1.0, 2]) & T.tensor([1, 2, 3]))",
    "xor into float, shapes differ": (
        "a = T.tensor([], dtype=T.float32)\na ^= T.tensor([-1, 0, 1])\nout = exact(a)"
    ),
    "or of an empty row and a float column": (
        "out = exact(T.tensor([[0.5, 1.0]]) | T.zeros(0, 3, dtype=T.int64))"
    ),
    "bitwise_and_ of a float into int": "out = exact(T.tensor([1, 2]).bitwise_and_(0.5))",
    "iand of a float tensor into int16": (
        "a = T.tensor([1, 2], dtype=T.int16)\na &= T.tensor([0.5, 2.0])\nout = exact(a)"
    ),
    "ilshift of a float into int8": "a = T.tensor([1], dtype=T.int8)\na <<= 2.5\nout = exact(a)",
    "bitwise_left_shift_ into a 0-d": (
        "out = exact(T.tensor(2.0).bitwise_left_shift_(T.tensor([1, 2], dtype=T.int8)))"
    ),
    "shift of float32 by float64": (
        "out = exact(T.tensor(2.0) << T.tensor([1.0, 2.0], dtype=T.float64))"
    ),
    # ---- products of bools: no kernel, unless mv, mm or bmm has an empty operand
    "bool dot": "out = exact(T.tensor([True, False]) @ T.tensor([True, True]))",
    "bool dot, empty": "out = exact(T.dot(T.tensor([], dtype=T.bool), T.tensor([], dtype=T.bool)))",
    "bool mm": "out = exact(T.ones(2, 2, dtype=T.bool) @ T.ones(2, 2, dtype=T.bool))",
    "bool matmul folded into mm": "out = exact(T.ones(4, 2, 3).bool() @ T.ones(3, 2).bool())",
    "bool matmul into bmm": "out = exact(T.ones(2, 3, dtype=T.bool) @ T.ones(4, 3, 2).bool())",
    "bool bmm": "out = exact(T.bmm(T.ones(2, 1, 3, dtype=T.bool), T.ones(2, 3, 1).bool()))",
    "bool mv, empty": "out = exact(T.mv(T.ones(2, 0, dtype=T.bool), T.ones(0, dtype=T.bool)))",
    # ---- clamp_ with a number bound names t's dtype as C++ does
    "clamp_ of int8 by a float": "out = exact(T.tensor([1, 2], dtype=T.int8).clamp_(0.5))",
    "clamp_ of bool by ints": "out = exact(T.tensor([True]).clamp_(-1, 1))",
    "clamp_ of int64 by a 0-d float and an int": (
        "out = exact(T.tensor([1]).clamp_(T.tensor(0.5), 2))"
    ),
    "clamp_min_ of bool": "out = exact(T.tensor([True]).clamp_min_(2))",
    "clip_ of int16": "out = exact(T.tensor([1], dtype=T.int16).clip_(None, 2.5))",
}

# Next to the fixes above, what they must leave alone (these never differed).
GUARDS = {
    "int to an int tensor's negative powers": (
        "out = exact(T.tensor([2, 1, -1, -1]) ** T.tensor([-1, -3, -3, -2]))"
    ),
    "integer division by zero": "out = exact(T.tensor([1, 2]) // T.tensor([0, 1]))",
    "integer division by zero, empty": "out = exact(T.zeros(0, 2).long() // T.tensor([0, 1]))",
    "bool tensor floor divide int": "out = exact(T.tensor([True, False]) // 2)",
    "bool minus int": "out = exact(T.tensor([True]) - 1)",
    "wraparound": (
        "out = exact(T.tensor([127], dtype=T.int8) + 1, T.tensor([0], dtype=T.uint8) - 1, "
        "abs(T.tensor([-128], dtype=T.int8)), -T.tensor([1], dtype=T.uint8))"
    ),
    "bool to the power -1": "out = exact(T.tensor([True]) ** -1)",
    "lcm int8 overflow": (
        "out = exact(T.lcm(T.tensor([6, -4, 127], dtype=T.int8), T.tensor([127, 127, 12], "
        "dtype=T.int8)))"
    ),
    "int8 to the power 0": "out = exact(T.tensor([3], dtype=T.int8) ** 0)",
    "float exponent of an int": "out = exact(T.tensor([4]) ** -0.5)",
    "float32 by a 0-d int64": "out = exact(T.tensor([1.0]) / T.tensor(16777217))",
    "sub_ of float32": "a = T.tensor([1.5])\na -= T.tensor([0.25])\nout = exact(a)",
    "int matmul": "out = exact(T.tensor([[1, 2]], dtype=T.int8) @ T.tensor([[100], [20]]).char())",
    "bool mm, empty": "out = exact(T.ones(0, 3, dtype=T.bool) @ T.ones(3, 2, dtype=T.bool))",
    "clamp_ of int8 by ints": "out = exact(T.tensor([-5, 5], dtype=T.int8).clamp_(-1, 1))",
    "bitwise_and_ of int8 by int": "out = exact(T.tensor([7], dtype=T.int8).bitwise_and_(300))",
}


@pytest.mark.parametrize("name", list(CASES) + list(GUARDS))
def test_integer_case_as_pytorch(name: str) -> None:
    code = CASES.get(name) or GUARDS[name]
    assert outcome(cr, code, PRELUDE) == outcome(torch, code, PRELUDE)
