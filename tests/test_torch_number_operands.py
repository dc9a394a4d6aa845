"""Python numbers where PyTorch takes only a tensor, and bounds PyTorch checks: a survey of every
function and method both libraries have, called with a number as one operand, and snippets for
the calls it found chainrule answering with a number where PyTorch raises (a probability of 2, a
dimension out of range, a float bound of randint). The error compared is the type and the first
line of the message.
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest
import torch
from snippet_outcome import outcome
from test_torch_toplevel import SHARED_FUNCTIONS

import chainrule as cr
from chainrule import _tensor_input

# the functions chainrule checks for PyTorch's exact words; elsewhere (a call of the wrong
# arity, a matrix function given a number) chainrule must raise, but its error may be its own
# (an AttributeError, a missing argument: 113 function and 31 method cases)
WORDED = {*_tensor_input.OPERANDS, *_tensor_input.TENSOR_FIRST, *_tensor_input.IN_PLACE}
WORDED |= {"kl_div", "hinge_embedding_loss"}


def _differs(ours: str, theirs: str, name: str) -> bool:
    """Whether chainrule's outcome differs from PyTorch's refusal of an argument's type."""
    return ours != theirs if name in WORDED else ours == "no error"


def _raised(call: Any) -> str:
    """What ``call()`` raises (type and first line), or "no error"."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            call()
        except Exception as e:  # noqa: BLE001 - the error is what is compared
            return f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
    return "no error"


def _refused_types(message: str) -> bool:
    """PyTorch's refusal of an argument's type (not of its value)."""
    return message.startswith("TypeError") and (
        "must be Tensor" in message or "invalid combination" in message
    )


SHARED_METHODS = sorted(
    n
    for n in dir(torch.Tensor)
    if not n.startswith("_")
    and callable(getattr(cr.Tensor, n, None))
    # those that take a number as a setting, not an operand, or change global state
    and n not in {"requires_grad_", "share_memory_", "register_hook", "backward", "apply_"}
)
# (operand order, the number): tensor first or second, an int or a float
ORDERS = [("tensor, number", 2), ("tensor, number", 0.5), ("number, tensor", 2)]
ORDERS += [("number, tensor", 0.5)]


def _function_call(lib: Any, name: str, order: str, number: Any) -> Any:
    x = lib.tensor([1.5, -0.5, 2.0])
    args = (x, number) if order == "tensor, number" else (number, x)
    return lambda: getattr(lib, name)(*args)


@pytest.mark.parametrize(("order", "number"), ORDERS)
def test_functions_refuse_a_number_operand_as_pytorch(order: str, number: Any) -> None:
    """``torch.maximum(x, 2)`` and ``torch.eq(2, x)`` raise a TypeError (no overload takes the
    number there); chainrule computed them. Wherever PyTorch refuses the type, chainrule raises
    a TypeError, for the functions of two tensors in PyTorch's words (first line)."""
    differ = {}
    for name in SHARED_FUNCTIONS:
        theirs = _raised(_function_call(torch, name, order, number))
        if _refused_types(theirs):
            ours = _raised(_function_call(cr, name, order, number))
            if _differs(ours, theirs, name):
                differ[name] = (ours, theirs)
    assert differ == {}


@pytest.mark.parametrize("number", [2, 0.5])
def test_methods_refuse_a_number_operand_as_pytorch(number: Any) -> None:
    """``x.maximum(2)``, ``x.atan2_(2)``: PyTorch names the argument at position 1. (A bool is
    not surveyed: ``x.split(True)``, ``x.masked_select(True)``, ``x.repeat_interleave(True)``
    and ``x.histogram(True)`` read it as 1 here, where PyTorch refuses a bool for an int.)"""
    differ = {}
    for name in SHARED_METHODS:

        def call(lib: Any, name: str = name) -> Any:
            return lambda: getattr(lib.tensor([1.5, -0.5, 2.0]), name)(number)

        theirs = _raised(call(torch))
        if _refused_types(theirs):
            ours = _raised(call(cr))
            if _differs(ours, theirs, name):
                differ[name] = (ours, theirs)
    assert differ == {}


def test_the_survey_covers_the_functions_it_was_written_for() -> None:
    """The surveys above are not empty comparisons: PyTorch refuses these, so they are in."""
    refused = {
        name
        for name in SHARED_FUNCTIONS
        if _refused_types(_raised(_function_call(torch, name, "tensor, number", 2)))
    }
    assert {"maximum", "atan2", "logical_and", "hypot", "kl_div", "gcd"} <= refused


SNIPPETS = {
    # by keyword PyTorch names no position
    "maximum with other= a number": "out = T.maximum(T.ones(2), other=2)",
    "sum with input= a number": "out = T.sum(input=2)",
    "eq with input= a number": "out = T.lt(T.ones(2), other=T.ones(2)), T.eq(2.0, T.ones(2))",
    "clamp of a number, min a tensor": "out = T.clamp(2, min=T.ones(2))",
    "F.kl_div of a number target": "out = T.nn.functional.kl_div(T.ones(2), 0.5)",
    "F.hinge_embedding_loss of a number target": """
        out = T.nn.functional.hinge_embedding_loss(T.ones(2), 1)
    """,
    "special.gammainc of a number": "out = T.special.gammainc(T.ones(2), 2.0)",
    # a probability outside [0, 1] drew all ones (or zeros); PyTorch refuses it
    "bernoulli with p = 2": "out = T.bernoulli(T.ones(3), 2)",
    "bernoulli with p = -0.5": "out = T.bernoulli(T.ones(3), p=-0.5)",
    "bernoulli with p = nan": "out = T.bernoulli(T.ones(3), float('nan'))",
    "bernoulli_ with p = 2": "out = T.ones(3).bernoulli_(2)",
    "bernoulli_ with p = -1.0": "out = T.ones(3).bernoulli_(-1.0)",
    "bernoulli with p = 1": "out = T.bernoulli(T.zeros(3), 1.0).tolist()",
    # slice_copy took any dimension modulo the rank
    "slice_copy along dim 2 of a vector": "out = T.slice_copy(T.arange(4.0), 2)",
    "slice_copy along dim -2 of a vector": "out = T.slice_copy(T.arange(4.0), -2)",
    "slice_copy of a 0-d tensor": "out = T.slice_copy(T.tensor(1.0), 0)",
    "slice_copy along dim -1": "out = T.slice_copy(T.arange(6.0).view(2, 3), -1, 1).tolist()",
    # a vector was read as points of one coordinate each... of its own length
    "histogramdd of a vector": "out = T.histogramdd(T.tensor([1.0, 2.0, 3.0]), 2)",
    "histogramdd of a 0-d tensor": "out = T.histogramdd(T.tensor(1.0), 2)",
    # float bounds drew outside the range (0.5: all zeros, with a NumPy division warning)
    "randint_like with a float high": "out = T.randint_like(T.ones(3), 0.5)",
    "randint_like with a float second bound": "out = T.randint_like(T.ones(3), 1, 2.0)",
    "randint_like with high= a float": "out = T.randint_like(T.ones(3), high=2.5)",
    "randint_like with a bool high": "out = T.randint_like(T.ones(3), True)",
    "randint_like with high= and low=": """
        out = T.randint_like(T.ones(50), low=3, high=5).unique().tolist()
    """,
    "randint_like with a 0-d integer tensor": """
        out = T.randint_like(T.ones(50), T.tensor(1)).unique().tolist()
    """,
    "randint with a float high": "out = T.randint(2.5, (3,))",
    "randint with high= a float": "out = T.randint(high=2.5, size=(3,))",
    "randint with a bool high": "out = T.randint(True, (3,))",
    "randint with a float low": "out = T.randint(1.0, 5, (3,))",
    "randint with low= and high=": "out = T.randint(low=4, high=5, size=(3,)).tolist()",
    "randint with a 0-d integer tensor": "out = T.randint(T.tensor(1), (3,)).tolist()",
}


@pytest.mark.parametrize("name", SNIPPETS)
def test_snippet_matches_pytorch(name: str) -> None:
    code = SNIPPETS[name]
    assert outcome(cr, code) == outcome(torch, code)
