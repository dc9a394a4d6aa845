"""Every op-table row run eagerly and through ``cr.compile``: the same values and gradients.

For each row and shape case, a step ``y = fn(*xs); sum(y * w).backward()`` is compiled, traced
on one draw of the inputs and replayed on two others; each result (values, and the gradients
left in the inputs' ``.grad``) must equal the eager run's on the same inputs, bit for bit: the
replay calls the same NumPy functions on the same arrays. Rows that cannot be replayed (they read
values into Python or draw random numbers) run eagerly, with a warning naming why; the list of
them is pinned, so a row that stops replaying is noticed.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from op_table import OpSpec, all_specs
from op_table_views import IN_PLACE_VIEW_ROWS

import chainrule as cr

SPECS = all_specs()

# Rows that run eagerly under cr.compile, by the reason the warning gives. In-place ops have
# no replay rule; the others compute a value outside the ops from a traced tensor (argmax
# indices, a decomposition) or read a captured tensor's values (class weights), which a
# replay would not recompute.
IN_PLACE_ROWS = (
    "setitem_row_through_clone",
    "setitem_broadcast_columns",
    "mul_through_transposed_slice",
    "div_through_view_of_view",
    "view_after_base_changed",
    "setitem_int_array",
    "setitem_bool_mask",
    "batch_norm_training_updates_running_stats_no_affine",
    # ---- shape, indexing, comparison (api17a)
    "scatter_in_place",
    "masked_fill_in_place_view",
    "index_add_in_place",
    "index_copy_in_place",
    "index_fill_in_place_transposed",
    "diagonal_in_place",
    # ---- scatter-style writes
    "index_put_in_place_view",
    "masked_scatter_in_place_view",
    "put_in_place",
    "scatter_reduce_in_place_view",
    "index_reduce_in_place",
)
VALUE_READ_ROWS = (
    "masked_select",
    "quantile",  # a sort, and the NaN count of the sorted values
    "cross_entropy_weight_ignore_index_mean",
    "cross_entropy_weight_ignore_index_sum",
    "cross_entropy_weight_ignore_index_none",
    "cross_entropy_label_smoothing_weight_ignore_index_mean",
    "cross_entropy_label_smoothing_weight_ignore_index_sum",
    "cross_entropy_label_smoothing_weight_ignore_index_none",
    "nll_loss_weight_ignore_index_mean",
    "nll_loss_weight_ignore_index_sum",
    "nll_loss_weight_ignore_index_none",
    "binary_cross_entropy_weight_mean",
    "binary_cross_entropy_weight_sum",
    "binary_cross_entropy_weight_none",
    "binary_cross_entropy_with_logits_weight_pos_weight",
    "linalg_slogdet",
    "linalg_qr",
    "linalg_qr_complete_wide",
    "linalg_eigh",
    "linalg_svd",
    "linalg_svdvals",
    "linalg_norm_nuc",
    "linalg_matrix_norm_spectral",
    "linalg_eigvalsh",
    "logdet",  # a slogdet
    # ---- linear algebra (more): an LU, an SVD or an info check computed from the values
    "linalg_lu",
    "linalg_lu_tall",
    "linalg_lu_wide",
    "linalg_lu_factor",
    "linalg_lu_solve",
    "linalg_lu_solve_adjoint_right",
    "linalg_lstsq_tall",
    "linalg_lstsq_wide_gelsd",
    "linalg_cond",
    "linalg_cond_fro",  # inv_ex's info
    "svd_legacy",
    "nuclear_norm",
    "linalg_inv_ex",
    "linalg_solve_ex",
    "linalg_cholesky_ex",
    # A draw from tensor parameters reads them outside the ops (normal's check that no std is
    # negative, poisson's dtype check, the bernoulli draw itself).
    "normal_tensor_mean_and_std",
    "normal_tensor_std",
    "poisson",
    "bernoulli",
    "bernoulli_method_beside_its_probabilities",
    # An in-place fill reads its tensor's dtype before drawing.
    "normal_in_place_beside_its_input",
    "random_in_place_times_its_input",
    # PyTorch's checks of values: no variance is negative, every class index is in range.
    "gaussian_nll_loss_mean",
    "gaussian_nll_loss_sum",
    "gaussian_nll_loss_none",
    "gaussian_nll_loss_full",
    "multi_margin_loss_mean",
    "multi_margin_loss_sum",
    "multi_margin_loss_none",
    "multi_margin_loss_p2_weight",
    "multi_margin_loss_one_sample",
)
EAGER_ROWS = {
    **dict.fromkeys(IN_PLACE_ROWS, "it changes a tensor in place"),
    # It sets the generator's state before the mask is drawn: a replay would not (the replay
    # of dropout itself, drawing afresh, is tested in test_compile.py).
    "dropout_seeded_mask": "it draws random numbers or sets the generator outside",
    **dict.fromkeys(VALUE_READ_ROWS, "it reads a tensor's values outside chainrule's ops"),
    # An in-place view op (t_, squeeze_, ...) views its tensor's array anew outside the ops.
    **dict.fromkeys(IN_PLACE_VIEW_ROWS, "it reads a tensor's values outside chainrule's ops"),
    # Seeded as PyTorch inside the row; gumbel noise, as PyTorch's, is drawn by
    # an in-place fill
    **dict.fromkeys(
        ("alpha_dropout", "feature_alpha_dropout"),
        "it draws random numbers or sets the generator outside",
    ),
    **dict.fromkeys(
        (
            "gumbel_softmax",
            "gumbel_softmax_forward_mode",
            "gumbel_softmax_hard",
            "gumbel_softmax_hard_forward_mode",
        ),
        "it changes a tensor in place",
    ),
}


def outputs_of(result: Any) -> list[Any]:
    return list(result) if isinstance(result, tuple | list) else [result]


def make_step(spec: OpSpec) -> Any:
    """The row's op followed by backward of <w, y> (outputs that require grad only), with
    fixed weights w of each output's shape."""

    def step(*xs: Any) -> Any:
        result = spec.fn(*xs)
        terms = [
            (y * cr.tensor(np.cos(np.arange(y.numel())).reshape(tuple(y.shape)))).sum()
            for y in outputs_of(result)
            if isinstance(y, cr.Tensor) and y.requires_grad
        ]
        if terms:
            sum(terms[1:], terms[0]).backward()
        return result

    return step


def run(step: Any, arrays: list[np.ndarray]) -> tuple[list[Any], list[Any]]:
    xs = [cr.tensor(a, requires_grad=True) for a in arrays]
    result = step(*xs)
    values = [y.detach().numpy().copy() for y in outputs_of(result) if isinstance(y, cr.Tensor)]
    grads = [None if x.grad is None else x.grad.numpy().copy() for x in xs]
    return values, grads


def assert_identical(got: list[Any], want: list[Any], what: str) -> None:
    assert len(got) == len(want), what
    for i, (a, b) in enumerate(zip(got, want, strict=True)):
        if b is None:
            assert a is None, f"{what} [{i}]: compiled has a value, eager None"
            continue
        assert a is not None, f"{what} [{i}]: compiled None, eager has a value"
        assert a.dtype == b.dtype and a.shape == b.shape, f"{what} [{i}]: {a.dtype}{a.shape}"
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), f"{what} [{i}] differs"


@pytest.mark.parametrize("spec", [pytest.param(s, id=s.name) for s in SPECS])
def test_compiled_equals_eager(spec: OpSpec) -> None:
    rng = np.random.default_rng(sum(map(ord, spec.name)))
    for shapes in spec.shapes:
        draws = [spec.sample(rng, shapes) for _ in range(3)]
        step = make_step(spec)
        compiled = cr.compile(step)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for n, arrays in enumerate(draws):
                cr.manual_seed(n)  # the same random draws for both (rows that use them)
                want = run(step, arrays)
                cr.manual_seed(n)
                got = run(compiled, arrays)
                case = f"{spec.name} {list(shapes)} call {n}"
                assert_identical(got[0], want[0], f"{case}: values")
                assert_identical(got[1], want[1], f"{case}: gradients")
        reasons = [str(w.message) for w in caught if "cr.compile" in str(w.message)]
        if spec.name in EAGER_ROWS:
            assert reasons and EAGER_ROWS[spec.name] in reasons[0], reasons
        else:
            assert not reasons, reasons
            assert compiled.traces == 1, f"{spec.name}: traced {compiled.traces} times"
