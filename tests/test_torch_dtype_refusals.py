"""Integer and bool inputs that PyTorch refuses are refused by chainrule with the same error,
and those it accepts give its dtype: a differential fuzz of reductions over random dtypes
against torch found chainrule quietly computing where PyTorch stops (``mean``, ``var``,
``softmax``, norms of integers; ``argmax``, ``topk``, ``median`` of bools) and one wrong dtype
(``cumsum`` of a 0-d bool gave a bool, PyTorch an int64).

Each case runs the same call on torch and on chainrule (``call(m)`` with ``m`` either module):
the values, dtypes and shapes agree, or both raise the same exception type with the same
message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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
    # msort: sort's values along the first dimension
    "msort_function": lambda m: m.msort(m.tensor([[3.0, 1.0], [2.0, 4.0]])),
    "msort_method_of_bools": lambda m: m.tensor(BOOLS).msort(),
}


@pytest.mark.parametrize("call", CASES.values(), ids=CASES.keys())
def test_dtype_handling_matches_pytorch(call: Callable[[Any], Any]) -> None:
    assert_same(call)
    try:
        call(torch)
    except Exception as expected:  # noqa: BLE001 - the message is compared too
        with pytest.raises(type(expected)) as got:
            call(cr)
        assert str(got.value).splitlines()[0] == str(expected).splitlines()[0]
