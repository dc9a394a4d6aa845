"""PyTorch's dtype rules, which a differential fuzz of reductions and binary ops over random
dtypes (bool, uint8, int32, int64, float32, float64; 0-d and dimensioned; numbers) found
chainrule breaking, quietly:

* integer and bool inputs that PyTorch refuses (``mean``, ``var``, ``softmax``, norms of
  integers; ``argmax``, ``topk``, ``median`` of bools) are refused with its error;
* type promotion is PyTorch's, not NumPy's: the higher category wins and a tensor with
  dimensions outranks a 0-d one (an int32 tensor plus a 0-d int64 is int32, a float32 tensor
  equals a 0-d float64 0.1 as float32), and float functions of small integers compute in
  float32 (NumPy's ``arctan2`` of uint8 is float16);
* ``&``, ``|``, ``^``, ``<<``, ``>>`` and ``~`` are bitwise on integers (``12 & 6`` was True),
  and ``logical_not`` of an integer is a bool (it was the bitwise not);
* an in-place op or ``out=`` writes an int64 result into a uint8 tensor, wrapping, as
  PyTorch's ``canCast`` allows (NumPy's ``same_kind`` refused it);
* a narrow integer ``dtype=`` of a sum, product or running sum is kept (NumPy's are 64-bit);
* a Python int that an integer tensor's dtype cannot hold is wrapped into it in arithmetic and
  comparisons (``uint8 < -3`` is True, ``uint8 + 300`` adds 44), and refused where PyTorch
  checks the conversion (``fill_``, ``full``, ``where``, ``clamp``, a power), which NumPy had
  wrapped quietly (``fill_(300)`` wrote 44) or made a float32 inf of;
* bools are neither subtracted nor negated, and integer tensor exponents may be negative.

Each case runs the same call on torch and on chainrule (``call(m)`` with ``m`` either module):
the values, dtypes and shapes agree, or both raise the same exception type with the same
message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from test_torch_api_math import assert_same

import chainrule as cr

INTS, BOOLS, FLOATS = [3, 1, 2], [True, False, True], [3.0, 1.0, 2.0]

CASES: dict[str, Callable[[Any], Any]] = {
    # mean guesses no float type for integers; dtype= casts first
    "mean_of_ints": lambda m: m.tensor(INTS).mean(),
    "mean_of_bools_along_a_dim": lambda m: m.tensor([BOOLS]).mean(1),
    "mean_of_ints_bad_dim_dtype_first": lambda m: m.tensor(INTS).mean(3),
    "mean_of_ints_with_dtype": lambda m: m.mean(m.tensor(INTS), dtype=m.float64),
    "nanmean_of_ints": lambda m: m.tensor(INTS).nanmean(),
    # variances of integers
    "var_of_ints": lambda m: m.tensor(INTS).var(),
    "std_of_bools": lambda m: m.tensor(BOOLS).std(0),
    "var_mean_of_ints": lambda m: m.var_mean(m.tensor(INTS)),
    "std_mean_of_ints": lambda m: m.std_mean(m.tensor(INTS)),
    "var_of_floats": lambda m: m.tensor(FLOATS).var(correction=0),
    # softmax kernels: the last dimension's and the others'
    "softmax_of_ints_last_dim": lambda m: m.softmax(m.tensor([INTS]), 1),
    "softmax_of_ints_first_dim": lambda m: m.softmax(m.tensor([INTS]), 0),
    "log_softmax_of_bools": lambda m: m.log_softmax(m.tensor(BOOLS), -1),
    "functional_softmax_of_ints_with_dtype": lambda m: m.nn.functional.softmax(
        m.tensor([INTS]), 1, dtype=m.float64
    ),
    "functional_log_softmax_of_int32": lambda m: m.nn.functional.log_softmax(
        m.tensor([INTS], dtype=m.int32), 0
    ),
    "cross_entropy_of_int_logits": lambda m: m.nn.functional.cross_entropy(
        m.tensor([INTS]), m.tensor([0])
    ),
    "cross_entropy_of_int_logits_with_extra_dims": lambda m: m.nn.functional.cross_entropy(
        m.tensor([[INTS]]).transpose(1, 2), m.tensor([[0]])
    ),
    # argmax/argmin of bools
    "argmax_of_bools": lambda m: m.tensor(BOOLS).argmax(),
    "argmin_of_bools_along_a_dim": lambda m: m.tensor(BOOLS).argmin(0),
    "argmax_of_ints": lambda m: m.tensor(INTS).argmax(),
    "max_of_bools": lambda m: m.tensor(BOOLS).max(),
    # norms run linalg.vector_norm, which takes floats only
    "norm_of_ints": lambda m: m.tensor(INTS).norm(),
    "norm_1_of_ints": lambda m: m.norm(m.tensor(INTS), p=1),
    "norm_inf_of_bools": lambda m: m.linalg.vector_norm(m.tensor(BOOLS), float("inf")),
    "vector_norm_0_of_ints": lambda m: m.linalg.vector_norm(m.tensor(INTS), 0),
    "linalg_norm_of_int_matrix": lambda m: m.linalg.norm(m.tensor([INTS])),
    "vector_norm_of_ints_with_dtype": lambda m: m.linalg.vector_norm(
        m.tensor(INTS), dtype=m.float64
    ),
    # selection kernels of bools
    "topk_of_bools": lambda m: m.tensor(BOOLS).topk(1),
    "kthvalue_of_bools": lambda m: m.tensor(BOOLS).kthvalue(1),
    "median_of_bools": lambda m: m.tensor(BOOLS).median(),
    "median_of_bools_along_a_dim": lambda m: m.tensor(BOOLS).median(0),
    "nanmedian_of_bools": lambda m: m.tensor(BOOLS).nanmedian(),
    "nanmedian_of_bools_along_a_dim": lambda m: m.tensor(BOOLS).nanmedian(0),
    "topk_of_ints": lambda m: m.tensor(INTS).topk(2),
    # cumsum's dtype: integers and bools sum as int64, 0-d too
    "cumsum_of_a_0d_bool": lambda m: m.tensor(True).cumsum(0),
    "cumsum_of_a_0d_int32": lambda m: m.tensor(5, dtype=m.int32).cumsum(0),
    "cumsum_of_bools": lambda m: m.tensor(BOOLS).cumsum(0),
    "cumsum_of_a_0d_float": lambda m: m.tensor(2.5).cumsum(0),
    # promotion: categories, then dimensioned tensors over 0-d ones
    "int32_plus_0d_int64": lambda m: m.tensor(INTS, dtype=m.int32) + m.tensor(7),
    "uint8_times_0d_int64": lambda m: m.tensor(INTS, dtype=m.uint8) * m.tensor(100),
    "uint8_minus_0d_int64_wraps": lambda m: m.tensor(INTS, dtype=m.uint8) - m.tensor(5),
    "float32_times_0d_float64": lambda m: m.tensor(FLOATS) * m.tensor(0.1, dtype=m.float64),
    "int32_plus_float32": lambda m: m.tensor(INTS, dtype=m.int32) + m.tensor(FLOATS),
    "int64_times_float32": lambda m: m.tensor(INTS) * m.tensor(FLOATS),
    "0d_float64_minimum_float32": lambda m: m.minimum(
        m.tensor(1.5, dtype=m.float64), m.tensor(FLOATS)
    ),
    "maximum_uint8_and_0d_negative": lambda m: m.maximum(
        m.tensor(INTS, dtype=m.uint8), m.tensor(-2)
    ),
    "float32_equals_0d_float64": lambda m: m.tensor([0.1, 0.2]) == m.tensor(0.1, dtype=m.float64),
    "uint8_below_0d_negative": lambda m: m.tensor(INTS, dtype=m.uint8) < m.tensor(-2),
    "0d_float64_plus_float32_stays_float32": lambda m: (
        m.tensor(2.5, dtype=m.float64) + m.tensor(FLOATS)
    ),
    "int32_plus_0d_float64": lambda m: (
        m.tensor(INTS, dtype=m.int32) + m.tensor(0.5, dtype=m.float64)
    ),
    # float functions of integers: float32, from the integers' own values
    "uint8_divided_by_0d_negative": lambda m: m.tensor(INTS, dtype=m.uint8) / m.tensor(-2),
    "uint8_floor_divided_by_0d_negative": lambda m: m.tensor(INTS, dtype=m.uint8) // m.tensor(-2),
    "atan2_of_uint8": lambda m: m.atan2(
        m.tensor(INTS, dtype=m.uint8), m.tensor([1, 2, 3], dtype=m.uint8)
    ),
    "copysign_of_bools": lambda m: m.copysign(m.tensor(BOOLS), m.tensor([False, True, False])),
    "hypot_of_uint8_refused": lambda m: m.hypot(
        m.tensor(INTS, dtype=m.uint8), m.tensor(INTS, dtype=m.uint8)
    ),
    "logaddexp_of_int32_and_0d_int64_refused": lambda m: m.logaddexp(
        m.tensor(INTS, dtype=m.int32), m.tensor(2)
    ),
    "bool_to_the_minus_half": lambda m: m.pow(m.tensor(BOOLS), -0.5),
    "uint8_to_a_0d_float64_power": lambda m: m.pow(
        m.tensor(INTS, dtype=m.uint8), m.tensor(0.5, dtype=m.float64)
    ),
    "xlogy_of_bools": lambda m: m.xlogy(m.tensor(BOOLS), m.tensor([True, True, False])),
    "where_int32_or_0d_int64": lambda m: m.where(
        m.tensor(BOOLS), m.tensor(INTS, dtype=m.int32), m.tensor(9)
    ),
    "fmax_of_uint8_and_0d_int64": lambda m: m.fmax(m.tensor(INTS, dtype=m.uint8), m.tensor(2)),
    "clamp_uint8_by_a_float": lambda m: m.clamp(m.tensor(INTS, dtype=m.uint8), 2.0),
    "clamp_uint8_below_by_0d_negative": lambda m: m.clamp(
        m.tensor(INTS, dtype=m.uint8), m.tensor(-1)
    ),
    "clamp_float32_above_by_0d_int32": lambda m: m.clamp(
        m.tensor(FLOATS), max=m.tensor(2, dtype=m.int32)
    ),
    # bitwise on integers, logical on bools
    "and_of_ints": lambda m: m.tensor([12, 10]) & 6,
    "or_of_int32_and_0d_int64": lambda m: m.tensor([12, 10], dtype=m.int32) | m.tensor(3),
    "xor_method_broadcast": lambda m: m.tensor([5]).bitwise_xor(m.tensor([[1], [2]])),
    "reflected_and": lambda m: 3 & m.tensor([5, 6]),
    "uint8_or_0d_negative": lambda m: m.tensor([3], dtype=m.uint8) | m.tensor(-2),
    "and_of_masks": lambda m: (m.tensor(FLOATS) > 1) & (m.tensor(FLOATS) < 3),
    "xor_of_bool_and_true": lambda m: m.tensor(BOOLS) ^ True,
    "left_shift": lambda m: m.tensor([5, -5]) << 2,
    "reflected_left_shift": lambda m: 2 << m.tensor([1, 3]),
    "right_shift_keeps_sign": lambda m: m.tensor([5, -5]) >> 1,
    "shift_of_a_bool_by_one": lambda m: m.tensor(BOOLS) << 1,
    "invert_of_ints": lambda m: ~m.tensor([5, 0]),
    "invert_of_bools": lambda m: ~m.tensor(BOOLS),
    "logical_not_of_ints": lambda m: m.logical_not(m.tensor([5, 0])),
    "bitwise_not_method": lambda m: m.tensor([5], dtype=m.int32).bitwise_not(),
    "and_of_floats_refused": lambda m: m.tensor(FLOATS) & m.tensor(INTS),
    "shift_by_a_float_refused": lambda m: m.tensor(INTS) << 1.5,
    "shift_of_bools_by_bools_refused": lambda m: m.tensor(BOOLS) << m.tensor(BOOLS),
    "invert_of_floats_refused": lambda m: ~m.tensor(FLOATS),
    "bitwise_not_of_floats_refused": lambda m: m.bitwise_not(m.tensor(FLOATS)),
    # in place and out=: PyTorch's canCast (integers into integers wrap; floats stay out)
    "uint8_add_int64_in_place_wraps": lambda m: m.tensor(INTS, dtype=m.uint8).add_(
        m.tensor([-4, 1, 0])
    ),
    "uint8_sub_int32_in_place": lambda m: m.tensor(INTS, dtype=m.uint8).sub_(
        m.tensor(INTS, dtype=m.int32) * 2
    ),
    "int_mul_float_in_place_refused": lambda m: m.tensor(INTS).mul_(1.5),
    "bool_add_int_in_place_refused": lambda m: m.tensor(BOOLS).add_(m.tensor(INTS)),
    "out_uint8_of_an_int64_sum": lambda m: m.add(
        m.tensor(INTS), m.tensor(-4), out=m.empty(3, dtype=m.uint8)
    ),
    "out_int_of_a_float_sum_refused": lambda m: m.add(
        m.tensor(FLOATS), 1, out=m.empty(3, dtype=m.int64)
    ),
    # msort: sort's values along the first dimension
    "msort_function": lambda m: m.msort(m.tensor([[3.0, 1.0], [2.0, 4.0]])),
    "msort_method_of_bools": lambda m: m.tensor(BOOLS).msort(),
    # sums and products in a narrow integer dtype= stay in it (NumPy's are 64-bit), wrapping
    "sum_of_uint8_with_dtype_uint8_wraps": lambda m: m.tensor([200, 100], dtype=m.uint8).sum(
        dtype=m.uint8
    ),
    "sum_along_a_dim_with_dtype_int16": lambda m: m.tensor([INTS]).sum(1, dtype=m.int16),
    "sum_with_dtype_bool": lambda m: m.tensor(INTS).sum(dtype=m.bool),
    "prod_of_uint8_is_int64": lambda m: m.tensor([200, 100], dtype=m.uint8).prod(),
    "prod_with_dtype_int8_wraps": lambda m: m.tensor([20, 10]).prod(dtype=m.int8),
    "cumsum_of_uint8_is_int64": lambda m: m.tensor([200, 100], dtype=m.uint8).cumsum(0),
    "cumsum_with_dtype_uint8_wraps": lambda m: m.cumsum(m.tensor([200, 100]), 0, dtype=m.uint8),
    "cumsum_with_dtype_float64": lambda m: m.tensor(INTS).cumsum(0, dtype=m.float64),
    "cumsum_with_dtype_bool_refused": lambda m: m.tensor(INTS).cumsum(0, dtype=m.bool),
    "cumprod_with_dtype_int8_wraps": lambda m: m.tensor([20, 10]).cumprod(0, dtype=m.int8),
    "cumprod_with_dtype_bool_refused": lambda m: m.tensor(INTS).cumprod(0, dtype=m.bool),
    "mean_with_an_integer_dtype_refused": lambda m: m.tensor(FLOATS).mean(dtype=m.int64),
    # a Python int meets an integer tensor: wrapped into its dtype in arithmetic and
    # comparisons (NumPy raised, or compared the exact numbers) ...
    "uint8_plus_300_wraps": lambda m: m.tensor(INTS, dtype=m.uint8) + 300,
    "300_plus_uint8_wraps": lambda m: 300 + m.tensor(INTS, dtype=m.uint8),
    "int8_times_200_wraps": lambda m: m.tensor(INTS, dtype=m.int8) * 200,
    "uint8_and_257": lambda m: m.tensor(INTS, dtype=m.uint8) & 257,
    "uint8_below_minus_3": lambda m: m.tensor(INTS, dtype=m.uint8) < -3,
    "uint8_not_equal_to_257": lambda m: m.tensor(INTS, dtype=m.uint8) != 257,
    "uint8_add_300_in_place_wraps": lambda m: m.tensor(INTS, dtype=m.uint8).add_(300),
    "uint8_plus_2_to_the_64_refused": lambda m: m.tensor(INTS, dtype=m.uint8) + 2**64,
    "uint8_equal_to_2_to_the_70_refused": lambda m: m.tensor(INTS, dtype=m.uint8) == 2**70,
    # ... and refused where PyTorch converts it with an overflow check (NumPy wrapped it
    # round, or made a float32 inf, quietly)
    "uint8_fill_300_refused": lambda m: m.tensor(INTS, dtype=m.uint8).fill_(300),
    "uint8_fill_minus_1_is_255": lambda m: m.tensor(INTS, dtype=m.uint8).fill_(-1),
    "int32_fill_2_to_the_40_refused": lambda m: m.tensor(INTS, dtype=m.int32).fill_(2**40),
    "float32_fill_1e300_refused": lambda m: m.tensor(FLOATS).fill_(1e300),
    "float32_fill_inf": lambda m: m.tensor(FLOATS).fill_(float("inf")),
    "full_uint8_300_refused": lambda m: m.full((2,), 300, dtype=m.uint8),
    "full_float32_1e300_refused": lambda m: m.full((2,), 1e300),
    "masked_fill_float32_1e300_refused": lambda m: m.tensor(FLOATS).masked_fill(
        m.tensor(BOOLS), 1e300
    ),
    "masked_fill_uint8_minus_1": lambda m: m.tensor(INTS, dtype=m.uint8).masked_fill(
        m.tensor(BOOLS), -1
    ),
    "where_uint8_or_300_refused": lambda m: m.where(
        m.tensor(BOOLS), m.tensor(INTS, dtype=m.uint8), 300
    ),
    "where_uint8_or_minus_1": lambda m: m.where(m.tensor(BOOLS), m.tensor(INTS, dtype=m.uint8), -1),
    "clamp_uint8_below_by_minus_1": lambda m: m.tensor(INTS, dtype=m.uint8).clamp(-1),
    "clamp_uint8_above_by_256_refused": lambda m: m.tensor(INTS, dtype=m.uint8).clamp(max=256),
    "scatter_uint8_value_300_refused": lambda m: m.tensor(INTS, dtype=m.uint8).scatter(
        0, m.tensor([0]), 300
    ),
    "uint8_to_the_300_refused": lambda m: m.tensor(INTS, dtype=m.uint8).pow(300),
    "uint8_add_with_alpha_300_refused": lambda m: m.tensor(INTS, dtype=m.uint8).add(1, alpha=300),
    # bools are not subtracted or negated; integers to negative integer powers
    "bool_minus_bool_refused": lambda m: m.tensor(BOOLS) - m.tensor(BOOLS),
    "bool_minus_true_refused": lambda m: m.tensor(BOOLS) - True,
    "float_minus_true_refused": lambda m: m.tensor(FLOATS) - True,
    "one_minus_bool_refused": lambda m: 1 - m.tensor(BOOLS),
    "negated_bool_refused": lambda m: -m.tensor(BOOLS),
    "ints_to_a_negative_int_refused": lambda m: m.tensor(INTS) ** -1,
    "ints_to_negative_int_tensor_powers": lambda m: (
        m.tensor([0, 1, -1, 2, -1, 5]) ** m.tensor([-1, -3, -3, -2, -2, 0])
    ),
    "int_to_negative_int_tensor_powers": lambda m: 2 ** m.tensor([-1, 2]),
    # promote_types of the two, as PyTorch's cosine_similarity (not NumPy's float64)
    "cosine_similarity_of_int64_and_float32": lambda m: m.nn.functional.cosine_similarity(
        m.tensor([[1, 2, 3]]), m.tensor([[1.0, 0.5, 2.0]])
    ),
    "cosine_similarity_of_float32_and_0d_float64": lambda m: m.nn.functional.cosine_similarity(
        m.tensor([[1.0, 2.0, 3.0]]), m.tensor(2.0, dtype=m.float64)
    ),
}


@pytest.mark.parametrize("call", CASES.values(), ids=CASES.keys())
def test_dtype_rules_match_pytorch(call: Callable[[Any], Any]) -> None:
    assert_same(call)
    try:
        call(torch)
    except Exception as expected:  # noqa: BLE001 - the message is compared too
        with pytest.raises(type(expected)) as got:
            call(cr)
        assert str(got.value).splitlines()[0] == str(expected).splitlines()[0]


# Differentiable ops on operands of two dtypes: the op runs in the common dtype, and each
# gradient comes back in its own input's dtype.
GRADIENT_CASES: dict[str, Callable[[Any, Any, Any], Any]] = {
    "float32_times_0d_float64": lambda m, x, s: x * s,
    "where_float32_or_0d_float64": lambda m, x, s: m.where(x > 1, x, s),
    "clamp_float32_below_by_0d_float64": lambda m, x, s: m.clamp(x, min=s),
    "maximum_of_float32_and_0d_float64": lambda m, x, s: m.maximum(x, s),
    "minimum_of_a_bool_mask_and_float32": lambda m, x, s: m.minimum(x > 2, x),
    "atan2_of_float32_and_0d_float64": lambda m, x, s: m.atan2(x, s),
    # d/ds 5**s = 5**s log 5: the log of the uint8 base in float64, not NumPy's float16
    "uint8_base_to_a_float64_power": lambda m, x, s: m.tensor([5, 2, 7], dtype=m.uint8) ** s,
    "xlogy_of_float32_and_uint8": lambda m, x, s: m.xlogy(x, m.tensor([5, 2, 7], dtype=m.uint8)),
}


@pytest.mark.parametrize("call", GRADIENT_CASES.values(), ids=GRADIENT_CASES.keys())
def test_gradients_of_mixed_dtypes_match_pytorch(call: Callable[[Any, Any, Any], Any]) -> None:
    results = []
    for m in (torch, cr):
        x = m.tensor(FLOATS, requires_grad=True)
        s = m.tensor(1.5, dtype=m.float64, requires_grad=True)
        out = call(m, x, s)
        out.sum().backward()
        results.append([out, x.grad, s.grad])
    for expected, got in zip(*results, strict=True):
        assert (got is None) == (expected is None)
        if expected is not None:
            assert str(got.dtype).split(".")[-1] == str(expected.dtype).split(".")[-1]
            np.testing.assert_allclose(got.detach().numpy(), expected.detach().numpy(), rtol=1e-6)


@pytest.mark.parametrize("name", ["xlogy", "special.xlog1py", "special.zeta"])
def test_a_number_operand_is_not_rounded_to_float32(name: str) -> None:
    """A number operand is PyTorch's weak scalar: it takes the tensor's float64 unrounded
    (it was a float32 0-d tensor, so ``xlogy(x, 0.1)`` read 0.10000000149: 1e-7 off)."""
    x = [1.5, 2.0, 0.0, 7.25]
    for y in (3.0, 0.1, 1 / 3, 7.3):
        for first in (True, False):
            results = []
            for m in (torch, cr):
                f = m.special if name.startswith("special.") else m
                fn = getattr(f, name.split(".")[-1])
                t = m.tensor(x, dtype=m.float64)
                results.append((fn(t, y) if first else fn(y, t + 2)).numpy())
            np.testing.assert_allclose(results[1], results[0], rtol=1e-15, atol=1e-300)


# An integer tensor with a Python float: PyTorch computes in the default float dtype, reading
# the integers as float32 first (16777217 is 16777216 there); NumPy would compute in float64.
# Values past 2**24 show the difference; the results must agree bit for bit.
BIG_INTS = [2147483647, 16777217, 123456789, -987654321, 3]
INT_WITH_FLOAT = {
    "times": lambda x: x * 1.1,
    "plus": lambda x: x + 0.1,
    "number_minus": lambda x: 0.5 - x,
    "add_with_alpha": lambda x: x.add(1.0, alpha=2),
    "true_divide": lambda x: x.true_divide(2.5),
    "floor_divide": lambda x: x // 2.5,
    "remainder": lambda x: x % 2.5,
    "remainder_negative": lambda x: x.remainder(-2.5),
    "fmod": lambda x: x.fmod(2.5),
    "power": lambda x: x**1.5,
    "number_to_int_powers": lambda x: 2.5 ** (x % 5),
    "equal": lambda x: x == 16777216.0,
    "greater": lambda x: x > 16777216.5,
    "not_equal_int32": lambda x: x.int().ne(16777216.0),
    "uint8_less": lambda x: x.to(torch.uint8 if isinstance(x, torch.Tensor) else cr.uint8) < 2.5,
}


@pytest.mark.parametrize("call", INT_WITH_FLOAT.values(), ids=INT_WITH_FLOAT.keys())
def test_integer_tensor_with_a_python_float_computes_in_float32(call: Callable[[Any], Any]) -> None:
    ours, theirs = call(cr.tensor(BIG_INTS)), call(torch.tensor(BIG_INTS))
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    assert np.asarray(ours).tobytes() == theirs.numpy().tobytes()
