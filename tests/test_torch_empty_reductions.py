"""Reductions without an identity (max, min, amax, argmax, median, norms of negative or
infinite order) over no elements, as PyTorch treats them, which a differential fuzz of
reductions over random shapes (empty ones among them), dims and keepdim found chainrule
getting wrong:

* an empty tensor reduced along dimensions that are not empty gives an empty result
  (``zeros(2, 0).max(0)`` was refused: chainrule refused any empty input);
* reducing all of an empty tensor, or along an empty dimension, raises PyTorch's exception
  type and message (a RuntimeError or an IndexError, not chainrule's own RuntimeError, nor
  NumPy's ValueError for argmax);
* a norm of negative or infinite order over no elements is refused (the -2 norm of an empty
  vector was inf);
* quantiles refuse any empty input (``zeros(3, 0).quantile(0.5, 0)`` gave an empty result);
* the product of a 0-d tensor has gradient 1, also at inf (it was inf / inf = nan);
* ``median()`` of all elements shares its gradient evenly among the tied ones, as ``max()``
  does (the op table's ``median_all_ties`` row checks that against PyTorch).
* the median of no integers is PyTorch's NaN cast to their dtype (it was a float NaN), and
  the checks of kthvalue, median and searchsorted come in PyTorch's order (an empty dimension
  before bools; bools refused by searchsorted and bucketize, which gave numbers).

Each case runs the same call on torch and on chainrule: the values, dtypes and shapes agree,
or both raise the same exception type with the same message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch
from test_torch_api_math import assert_same

import chainrule as cr

INF = float("inf")

CASES: dict[str, Callable[[Any], Any]] = {
    # along a dimension that is not empty: an empty result
    "max_along_a_full_dim": lambda m: m.zeros(2, 0).max(0),
    "min_along_a_full_dim_keepdim": lambda m: m.zeros(0, 3).min(1, keepdim=True),
    "amax_along_a_full_dim": lambda m: m.zeros(3, 0, 2).amax(2),
    "argmin_along_a_full_dim": lambda m: m.zeros(0, 3).argmin(1),
    "median_along_a_full_dim": lambda m: m.zeros(0, 3).median(1),
    "inf_norm_along_a_full_dim": lambda m: m.linalg.vector_norm(m.zeros(3, 3, 0), INF, dim=1),
    "negative_norm_along_a_full_dim": lambda m: m.linalg.vector_norm(m.zeros(0, 2), -2, dim=1),
    # along an empty dimension: IndexError
    "max_along_an_empty_dim": lambda m: m.zeros(2, 0).max(1),
    "max_along_an_empty_dim_negative": lambda m: m.zeros(3, 0).max(-1),
    "amin_along_an_empty_dim": lambda m: m.zeros(0, 3).amin(0),
    "amax_along_dims_one_empty": lambda m: m.zeros(2, 0).amax((0, 1)),
    "argmax_along_an_empty_dim": lambda m: m.zeros(0, 3).argmax(0),
    "median_along_an_empty_dim": lambda m: m.zeros(0, 3).median(0),
    "nanmedian_along_an_empty_dim": lambda m: m.zeros(2, 0).nanmedian(1),
    "empty_vector_max_dim_0": lambda m: m.zeros(0).max(0),
    # all of an empty tensor
    "max_of_all": lambda m: m.zeros(0, 3).max(),
    "min_of_all": lambda m: m.zeros(0).min(),
    "amax_of_all": lambda m: m.zeros(0, 3).amax(),
    "amin_of_all_dims_empty_tuple": lambda m: m.zeros(0).amin(()),
    "argmax_of_all": lambda m: m.zeros(0, 3).argmax(),
    "argmin_of_all": lambda m: m.zeros(0).argmin(),
    "median_of_all_is_nan": lambda m: m.zeros(0, 3).median(),
    # norms without an identity
    "inf_norm_along_an_empty_dim": lambda m: m.linalg.vector_norm(m.zeros(0, 3), INF, dim=0),
    "negative_norm_of_all": lambda m: m.linalg.vector_norm(m.zeros(0, 3), -1),
    "fractional_negative_norm_along_dims": lambda m: m.linalg.vector_norm(
        m.zeros(0, 3), -2.5, dim=(0, 1)
    ),
    "minus_inf_norm_of_all": lambda m: m.linalg.vector_norm(m.zeros(0), -INF),
    "tensor_norm_inf_of_all": lambda m: m.zeros(2, 0).norm(INF),
    "zero_norm_of_empty_is_zero": lambda m: m.linalg.vector_norm(m.zeros(0, 3), 0),
    "two_norm_of_empty_is_zero": lambda m: m.linalg.vector_norm(m.zeros(0, 3), 2, dim=0),
    # quantiles refuse any empty input, even along a dimension that is not empty
    "quantile_along_a_full_dim": lambda m: m.zeros(3, 0).quantile(0.5, 0),
    "nanquantile_of_all": lambda m: m.zeros(0).nanquantile(0.5),
    # the median of no integers or bools: NaN as PyTorch's C++ casts it to the dtype
    "median_of_no_int64": lambda m: m.zeros(0, 3, dtype=m.int64).median(),
    "nanmedian_of_no_int32": lambda m: m.zeros(0, dtype=m.int32).nanmedian(),
    "median_of_no_uint8": lambda m: m.zeros(2, 0, dtype=m.uint8).median(),
    "median_of_no_int16": lambda m: m.zeros(0, dtype=m.int16).median(),
    "median_of_no_bools": lambda m: m.zeros(0, dtype=m.bool).median(),
    "median_of_no_bools_along_an_empty_dim": lambda m: m.zeros(0, 3, dtype=m.bool).median(0),
    "kthvalue_of_no_bools_along_an_empty_dim": lambda m: m.zeros(0, 3, dtype=m.bool).kthvalue(1, 0),
    "kthvalue_of_one_bool": lambda m: m.tensor(True).kthvalue(1),
    "median_of_bools_along_a_full_dim": lambda m: m.zeros(3, 0, dtype=m.bool).median(0),
    # searchsorted's checks of its boundaries, in PyTorch's order
    "searchsorted_in_a_0d_sequence": lambda m: m.searchsorted(m.tensor(1.0), m.tensor([1.0])),
    "searchsorted_scalar_in_rows": lambda m: m.searchsorted(m.ones(2, 2), m.tensor(1.0)),
    "searchsorted_bools": lambda m: m.searchsorted(m.tensor([False, True]), m.tensor([True])),
    "searchsorted_bools_mismatched_rows": lambda m: m.searchsorted(
        m.zeros(3, 2, dtype=m.bool), m.zeros(2, 1, dtype=m.bool)
    ),
    "bucketize_bools": lambda m: m.bucketize(m.tensor([True]), m.tensor([False, True])),
    # amax and amin name the dimension as it was given
    "amax_along_an_empty_negative_dim": lambda m: m.zeros(0, 3).amax(-2),
    "amin_along_empty_negative_dims": lambda m: m.zeros(3, 0).amin((0, -1)),
}


@pytest.mark.parametrize("call", CASES.values(), ids=CASES.keys())
def test_empty_reductions_match_pytorch(call: Callable[[Any], Any]) -> None:
    assert_same(call)
    try:
        call(torch)
    except Exception as expected:  # noqa: BLE001 - the message is compared too
        with pytest.raises(type(expected)) as got:
            call(cr)
        assert str(got.value).splitlines()[0] == str(expected).splitlines()[0]


def test_zero_norm_is_recorded_with_no_gradient_as_pytorch() -> None:
    """The 0-"norm" counts non-zeros: PyTorch records it (it requires grad) and its backward
    gives the input no gradient at all."""
    for m in (torch, cr):
        x = m.tensor([1.0, 0.0, 3.0], requires_grad=True)
        count = m.linalg.vector_norm(x, 0)
        assert count.item() == 2.0 and count.requires_grad
        assert count.grad_fn.name() == "LinalgVectorNormBackward0"
        count.backward()
        assert x.grad is None


def test_product_of_one_element_has_gradient_one_as_pytorch() -> None:
    grads = []
    for m in (torch, cr):
        x = m.tensor([float("inf"), -float("inf"), 0.0, 2.0], requires_grad=True)
        sum(x[i].prod() for i in range(4)).backward()
        grads.append(x.grad.tolist())
    assert grads[0] == grads[1] == [1.0, 1.0, 1.0, 1.0]
