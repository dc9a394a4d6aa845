"""Factories given numbers at the edges, as PyTorch's kernels treat them, which a differential
fuzz of factory calls (random starts, ends, steps, dtypes and data) found chainrule getting
wrong:

* ``arange`` with an integer dtype truncates ``start`` and ``step`` to integers before
  stepping (``arange(0, 4, 1.5, dtype=int32)`` is ``[0, 1, 2]``, not ``[0, 1, 3]``); its
  length comes from the numbers as given (for int64, from the truncated ones); half precision
  steps in float32; a zero step, a step of the wrong sign, an infinite or NaN bound and a bool
  dtype are refused with PyTorch's exceptions; 0-d tensors are read as numbers;
* ``tensor`` of Python numbers refuses one that an integer dtype cannot hold (NumPy's cast
  wrapped ``300`` into a uint8's ``44``), taking -1 as a uint8's 255 as PyTorch does; and
  data that is not a grid of numbers with PyTorch's words (``tensor("a")`` was a tensor of
  strings);
* ``rand`` and ``randn`` refuse integer dtypes (they truncated the draws), ``randint`` an
  empty range or one its dtype cannot hold (``randint(0, 300, dtype=uint8)`` wrapped),
  ``randperm`` and ``eye`` negative sizes;
* the factories take ``out=``, making their values in ``out``'s dtype, and ``layout=`` and
  ``pin_memory=`` (strided only, and not pinned: refused as on a machine without an
  accelerator), which PyTorch's own code passes (a survey of PyTorch's signatures found them).

Each case runs the same call on torch and on chainrule: the values, dtypes and shapes agree,
or both raise the same exception type with the same message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from test_torch_api_math import assert_same

import chainrule as cr

CASES: dict[str, Callable[[Any], Any]] = {
    # arange with an integer dtype: start and step truncated
    "arange_int32_fractional_step": lambda m: m.arange(0, 4, 1.5, dtype=m.int32),
    "arange_int64_fractional_step": lambda m: m.arange(0, 4, 1.5, dtype=m.int64),
    "arange_uint8_negative_start_wraps": lambda m: m.arange(-2.5, 3, 1.5, dtype=m.uint8),
    "arange_int16_downwards": lambda m: m.arange(3.7, -2, -1.2, dtype=m.int16),
    "arange_int64_downwards": lambda m: m.arange(3.7, -2, -1.2, dtype=m.int64),
    "arange_int32_step_truncated_to_zero": lambda m: m.arange(0, 4, 0.9, dtype=m.int32),
    "arange_int64_step_truncated_to_zero": lambda m: m.arange(0, 4, 0.9, dtype=m.int64),
    "arange_uint8_past_its_range": lambda m: m.arange(250, 260, dtype=m.uint8),
    # arange in floats
    "arange_float16_steps_in_float32": lambda m: m.arange(0, 1, 0.1, dtype=m.float16),
    "arange_float64": lambda m: m.arange(-0.7, 0.3, 0.3, dtype=m.float64),
    "arange_of_0d_tensors": lambda m: m.arange(m.tensor(3.5), m.tensor(5)),
    "arange_of_an_int_0d_tensor": lambda m: m.arange(m.tensor(3)),
    "arange_empty": lambda m: m.arange(0.5, 0.5, -1),
    # arange refusals
    "arange_zero_step": lambda m: m.arange(0, 5, 0),
    "arange_zero_float_step": lambda m: m.arange(0, 5, 0.0),
    "arange_step_against_the_bounds": lambda m: m.arange(0, 5, -1),
    "arange_step_against_the_bounds_before_truncation": lambda m: m.arange(
        5, 0, 0.5, dtype=m.int64
    ),
    "arange_to_nan": lambda m: m.arange(0, float("nan")),
    "arange_to_inf": lambda m: m.arange(0, float("inf")),
    "arange_bool": lambda m: m.arange(0, 5, dtype=m.bool),
    # tensor of Python numbers into an integer dtype
    "tensor_uint8_takes_minus_one": lambda m: m.tensor([-1, 255], dtype=m.uint8),
    "tensor_uint8_refuses_300": lambda m: m.tensor([-1, 300], dtype=m.uint8),
    "tensor_uint8_refuses_a_number": lambda m: m.tensor(300, dtype=m.uint8),
    "tensor_int8_refuses_minus_129": lambda m: m.tensor([-129], dtype=m.int8),
    "tensor_int32_refuses_2_to_40": lambda m: m.tensor([[1, 2**40]], dtype=m.int32),
    "tensor_int64_refuses_1e40": lambda m: m.tensor([1e40], dtype=m.int64),
    "tensor_int64_refuses_nan": lambda m: m.tensor([float("nan")], dtype=m.int64),
    "tensor_int32_refuses_inf": lambda m: m.tensor([float("inf")], dtype=m.int32),
    "tensor_uint8_refuses_minus_half": lambda m: m.tensor([-0.5], dtype=m.uint8),
    "tensor_uint8_refuses_255_9": lambda m: m.tensor([255.9], dtype=m.uint8),
    "tensor_uint8_truncates_254_9": lambda m: m.tensor([254.9, True], dtype=m.uint8),
    "tensor_float16_overflows_to_inf": lambda m: m.tensor([1e10, 1.0], dtype=m.float16),
    # tensor of what is not a grid of numbers
    "tensor_of_a_string": lambda m: m.tensor("a"),
    "tensor_of_strings": lambda m: m.tensor(["a"]),
    "tensor_of_a_number_and_a_string": lambda m: m.tensor([1, "a"]),
    "tensor_of_none": lambda m: m.tensor([1, None]),
    "tensor_of_an_object": lambda m: m.tensor(object()),
    "tensor_of_ragged_lists": lambda m: m.tensor([[1, 2], [3]]),
    "tensor_of_a_list_and_a_number": lambda m: m.tensor([[1, 2], 3]),
    # random draws: integers refused where PyTorch has no kernel, ranges checked
    "rand_of_integers": lambda m: m.rand(2, dtype=m.int32),
    "rand_of_bools": lambda m: m.rand(2, dtype=m.bool),
    "randn_of_integers": lambda m: m.randn(2, dtype=m.int64),
    "randn_like_integers": lambda m: m.randn_like(m.ones(2, dtype=m.int64)),
    "randint_empty_range": lambda m: m.randint(0, (2,)),
    "randint_reversed_range": lambda m: m.randint(5, 3, (2,)),
    "randint_past_uint8": lambda m: m.randint(0, 300, (1,), dtype=m.uint8),
    "randint_below_uint8": lambda m: m.randint(-3, 1, (1,), dtype=m.uint8),
    "randint_past_int16": lambda m: m.randint(0, 2**40, (1,), dtype=m.int16),
    "randint_past_bool": lambda m: m.randint(0, 3, (1,), dtype=m.bool),
    "randperm_negative": lambda m: m.randperm(-1),
    "eye_negative_rows": lambda m: m.eye(-1),
    "eye_negative_columns": lambda m: m.eye(2, -1),
    # out=: the values are made in out's dtype and written into it
    "zeros_into_int64": lambda m: m.zeros(2, out=m.empty(0, dtype=m.int64)),
    "arange_into_float": lambda m: m.arange(3, out=m.empty(0)),
    "arange_of_floats_into_int64": lambda m: m.arange(0.5, 3, out=m.empty(0, dtype=m.int64)),
    "full_into_int64_truncates": lambda m: m.full((2,), 1.5, out=m.empty(0, dtype=m.int64)),
    "linspace_into_float": lambda m: m.linspace(0, 1, 3, out=m.empty(5)),
    "eye_into_int64": lambda m: m.eye(2, out=m.empty(0, dtype=m.int64)),
    "ones_dtype_against_out": lambda m: m.ones(2, out=m.empty(2, dtype=m.float64), dtype=m.float32),
    "zeros_into_a_tensor_requiring_grad": lambda m: m.zeros(2, out=m.ones(2, requires_grad=True)),
}

# Each factory called as PyTorch's own code calls them, with layout= and pin_memory= (seeded:
# the random ones draw the same numbers in both), then with pin_memory=True, which PyTorch
# refuses on a machine without an accelerator.
FACTORIES: dict[str, Callable[..., Any]] = {
    "zeros": lambda m, **k: m.zeros(2, 3, **k),
    "ones": lambda m, **k: m.ones(2, **k),
    "empty": lambda m, **k: m.empty(0, **k),
    "full": lambda m, **k: m.full((2,), 1.5, **k),
    "arange": lambda m, **k: m.arange(3, **k),
    "linspace": lambda m, **k: m.linspace(0, 1, 3, **k),
    "logspace": lambda m, **k: m.logspace(0, 1, 3, **k),
    "eye": lambda m, **k: m.eye(2, **k),
    "rand": lambda m, **k: m.rand(2, **k),
    "randn": lambda m, **k: m.randn(2, **k),
    "randint": lambda m, **k: m.randint(0, 5, (3,), **k),
    "randperm": lambda m, **k: m.randperm(4, **k),
    "zeros_like": lambda m, **k: m.zeros_like(m.ones(2), **k),
    "ones_like": lambda m, **k: m.ones_like(m.ones(2, dtype=m.int32), **k),
    "empty_like": lambda m, **k: m.empty_like(m.ones(0), **k),
    "full_like": lambda m, **k: m.full_like(m.ones(2), 3.0, **k),
    "rand_like": lambda m, **k: m.rand_like(m.ones(2), **k),
    "randn_like": lambda m, **k: m.randn_like(m.ones(2), **k),
    "randint_like": lambda m, **k: m.randint_like(m.ones(2), 7, **k),
    "normal": lambda m, **k: m.normal(0.0, 1.0, (2,), **k),
    "new_zeros": lambda m, **k: m.ones(2).new_zeros(3, **k),
    "new_ones": lambda m, **k: m.ones(2).new_ones(3, **k),
    "new_empty": lambda m, **k: m.ones(2).new_empty(0, **k),
    "new_full": lambda m, **k: m.ones(2).new_full((2,), 4.0, **k),
}
for _name, _call in FACTORIES.items():
    CASES[f"{_name}_with_layout_and_pin_memory"] = lambda m, _c=_call: (
        m.manual_seed(0),
        _c(m, layout=m.strided, pin_memory=False),
    )[1]
    CASES[f"{_name}_pinned_refused"] = lambda m, _c=_call: _c(m, pin_memory=True)
CASES |= {
    "tensor_pin_memory": lambda m: m.tensor([1.0], pin_memory=False),
    "tensor_pinned_refused": lambda m: m.tensor([1.0], pin_memory=True),
    "tril_indices_pin_memory": lambda m: m.tril_indices(3, 3, pin_memory=False),
    "zeros_layout_by_name_refused": lambda m: m.zeros(2, layout="strided"),
}


@pytest.mark.parametrize("call", CASES.values(), ids=CASES.keys())
def test_factory_edges_match_pytorch(call: Callable[[Any], Any]) -> None:
    assert_same(call)
    try:
        call(torch)
    except Exception as expected:  # noqa: BLE001 - the message is compared too
        with pytest.raises(type(expected)) as got:
            call(cr)
        assert str(got.value).splitlines()[0] == str(expected).splitlines()[0]


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16", "int64", "int32"])
def test_linspace_values_are_pytorch_bit_for_bit(dtype: str) -> None:
    """PyTorch's kernel steps up from start and down from end, each step one FMA: without
    it, 16% of float32 values and a fifth of float64's (two in ten of linspace(-3, 1, 40))
    were an ulp off, and integer ones truncated to the integer below."""
    rng = np.random.default_rng(0)
    for _ in range(200):
        start, end = rng.normal(0, 10 ** rng.uniform(-2, 3), 2)
        if dtype.startswith("int"):
            start, end = float(int(start)), float(int(end))
        steps = int(rng.integers(2, 120))
        expected = torch.linspace(start, end, steps, dtype=getattr(torch, dtype)).numpy()
        got = cr.linspace(start, end, steps, dtype=getattr(cr, dtype)).numpy()
        assert got.tobytes() == expected.tobytes(), (start, end, steps)
