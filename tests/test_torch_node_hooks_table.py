"""A node's post-hook (``y.grad_fn.register_hook``), over every op-table row with a PyTorch
twin: ``hook(grad_inputs, grad_outputs)`` must see what PyTorch's sees (one gradient per input
of PyTorch's node, in its order, None where none), and a hook that returns its grad_inputs
doubled must change the inputs' ``.grad`` as PyTorch's does.

A hook goes on each float output's ``grad_fn`` (each node once), in both libraries; the outputs
get the same weights as their gradients. Where the nodes differ (another name, or as many
nodes as outputs where PyTorch's one node makes them all), chainrule's node is another
decomposition of the function, and there is nothing to compare: those rows are named below,
and the test asserts they still differ, so the lists cannot go stale.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from gradcheck_util import outputs_of, weighted_outputs
from op_table import OpSpec, all_specs, torch_twin

import chainrule as cr

ROWS = [pytest.param(spec, id=spec.name) for spec in all_specs() if torch_twin(spec)]

# Rows whose hooked nodes differ from PyTorch's (another name, or as many nodes as outputs where
# PyTorch's one node makes them all: split, chunk, unbind, var_mean, qr): chainrule builds the
# function from other nodes (its own composite, a decomposition of its own), whose gradients
# are not those of PyTorch's node. The test asserts that the nodes still differ.
DIFFERENT_NODES = {
    # one node per output, where PyTorch's one node makes them all
    "var_mean", "std_mean_keepdim_correction0", "split", "split_sections", "chunk", "unbind",
    "linalg_slogdet", "linalg_qr", "linalg_qr_complete_wide", "linalg_lu",
    "triangular_solve_transpose", "triangular_solve_transpose_forward_mode",
    # another name
    "adaptive_avg_pool3d", "adaptive_max_pool2d_overlapping_bins", "adaptive_max_pool2d_tiles",
    "adaptive_max_pool3d", "affine_grid", "affine_grid_aligned_3d", "aminmax", "as_strided_",
    "atleast_3d", "autograd_function_two_outputs", "block_diag", "cdist", "cdist_p",
    "cholesky_inverse", "cholesky_inverse_forward_mode", "cholesky_solve",
    "cholesky_solve_upper", "combinations", "conv2d_depthwise", "conv2d_dilation_stride_groups",
    "conv2d_groups", "conv2d_input_gradient", "conv2d_input_gradient_small",
    "conv2d_weight_gradient", "conv2d_weight_gradient_small", "conv_transpose1d",
    "convolution_gradient_marked_by_its_input", "cov_corrcoef", "cov_weights",
    "cross_entropy_probabilities", "cumulative_trapezoid", "diag_of_matrix",
    "diag_of_matrix_offset", "diag_of_vector", "diag_of_vector_offset", "diagflat",
    "diagonal_in_place", "einsum_batched", "einsum_dot", "einsum_ellipsis",
    "einsum_ellipsis_broadcast", "einsum_implicit_ellipsis", "einsum_implicit_output",
    "einsum_matmul", "einsum_outer", "einsum_private_sums", "einsum_reduce",
    "einsum_three_operands", "einsum_transpose", "einsum_diagonal", "frexp_mantissa",
    "frobenius_norm",
    "grid_sample_bicubic_border_aligned", "grid_sample_bicubic_border_centred",
    "grid_sample_bicubic_reflection_aligned", "grid_sample_bicubic_reflection_centred",
    "grid_sample_bicubic_reflection_centred_forward_mode", "grid_sample_bicubic_zeros_aligned",
    "grid_sample_bicubic_zeros_aligned_forward_mode", "grid_sample_bicubic_zeros_centred",
    "grid_sample_bilinear_border_aligned", "grid_sample_bilinear_border_centred",
    "grid_sample_bilinear_reflection_aligned", "grid_sample_bilinear_reflection_centred",
    "grid_sample_bilinear_reflection_centred_forward_mode",
    "grid_sample_bilinear_zeros_aligned", "grid_sample_bilinear_zeros_aligned_forward_mode",
    "grid_sample_bilinear_zeros_centred", "grid_sample_nearest_border_aligned",
    "grid_sample_nearest_border_centred", "grid_sample_nearest_border_centred_forward_mode",
    "grid_sample_nearest_reflection_aligned", "grid_sample_nearest_reflection_centred",
    "grid_sample_nearest_zeros_aligned", "grid_sample_nearest_zeros_centred",
    "grid_sample_volume_bilinear_border_aligned", "grid_sample_volume_bilinear_border_centred",
    "grid_sample_volume_bilinear_border_centred_forward_mode",
    "grid_sample_volume_bilinear_reflection_aligned",
    "grid_sample_volume_bilinear_reflection_centred",
    "grid_sample_volume_bilinear_zeros_aligned", "grid_sample_volume_bilinear_zeros_centred",
    "grid_sample_volume_nearest_border_aligned", "grid_sample_volume_nearest_border_centred",
    "grid_sample_volume_nearest_reflection_aligned",
    "grid_sample_volume_nearest_reflection_aligned_forward_mode",
    "grid_sample_volume_nearest_reflection_centred", "grid_sample_volume_nearest_zeros_aligned",
    "grid_sample_volume_nearest_zeros_centred", "gru_layer", "igamma_density",
    "igamma_density_large_a",
    "index_add", "index_fill_in_place_transposed", "index_put_in_place_view",
    "index_reduce_amax", "index_reduce_amax_without_self", "index_reduce_amin",
    "index_reduce_amin_without_self", "index_reduce_in_place", "index_reduce_mean",
    "index_reduce_mean_without_self", "index_reduce_prod", "index_reduce_prod_without_self",
    "interpolate_area_5d", "kron", "layer_norm_bias_alone",
    "linalg_cholesky", "linalg_cholesky_ex", "linalg_cond",
    "linalg_lu_solve",
    "linalg_lu_solve_adjoint_right", "linalg_lu_tall", "linalg_lu_wide", "linalg_matrix_exp",
    "linalg_matrix_norm_inf", "linalg_matrix_norm_spectral", "linalg_matrix_power_0",
    "linalg_multi_dot_vector_ends", "linalg_norm_1", "linalg_pinv", "linalg_solve_ex",
    "linalg_solve_matrix", "linalg_solve_right", "linalg_solve_triangular_lower",
    "linalg_solve_vector", "linalg_tensorinv", "lstm_layer",
    "margin_ranking_loss_none",
    "masked_fill_in_place_view", "masked_scatter_in_place_view",
    "masked_select", "masked_select_broadcast", "matrix_exp_scaled", "max_pool2d_unbatched",
    "max_pool3d", "max_pool3d_overlap_padding_dilation_ceil_mode", "max_unpool3d",
    "mul_through_transposed_slice", "multi_margin_loss_mean", "multi_margin_loss_none",
    "multi_margin_loss_one_sample", "multi_margin_loss_p2_weight", "multi_margin_loss_sum",
    "nll_loss_spatial", "ormqr_right_transpose",
    "ormqr_right_transpose_forward_mode", "pad_circular_3d", "pdist", "pdist_p1", "quantile",
    "renorm", "round_decimals", "rrelu_eval", "scatter_reduce_in_place_view",
    "scatter_reduce_multiply_value", "scatter_reduce_prod", "scatter_reduce_prod_without_self",
    "scatter_reduce_prod_zeros", "setitem_broadcast_columns", "setitem_row_through_clone",
    "soft_margin_loss_mean", "soft_margin_loss_none", "soft_margin_loss_sum", "sort_of_scalar",
    "special_multigammaln", "special_ndtr", "t__view_then_write", "trapezoid_dx",
    "trapezoid_x", "trapezoid_x_dim", "triplet_margin_loss_none",
    "triplet_margin_with_distance_loss_l1_swap_none", "unfold_of_a_scalar",
    "unsqueeze__view_then_write", "view_after_base_changed",
    "view_of_transposed_view_after_base_write"
}  # fmt: skip

# Rows whose hooked node has PyTorch's name but is the last step of chainrule's own composite
# (avg_pool2d's reshape, addmm's add, interpolate's add or index, conv1d's reshape of a conv2d,
# stack's cat, the paddings' index, the norms' sum), or a fused node that takes other inputs
# than PyTorch's (cross_entropy's NllLossBackward0 takes the logits, PyTorch's the
# log-probabilities; batch_norm's no weight and bias; glu's, cross's and embedding_bag's
# the halves or pieces), or one of the nodes a decomposition makes per output
# (svd, eigh: named as PyTorch's one node), which sees its own output's gradient alone, or
# lu_factor's packing of L and U, or the column-major copy that lays out the result of a
# function chainrule composes of ops (upper cholesky, lstsq, householder_product, ormqr,
# solve_triangular from the right), or the states that a recurrent layer's one node (LSTMLayer,
# GRULayer) makes, joined by cat as PyTorch joins its composite's (float64; float32 is one
# mkldnn node there): its gradients are those of chainrule's own step. Left
# as they are: each needs a presentation of its own (op.HookInputs) or PyTorch's node. The test
# asserts that they still differ.
SAME_NAME_OTHER_STEPS = {
    "linalg_cholesky_upper", "linalg_solve_triangular_upper_right_unit", "linalg_lstsq_tall",
    "linalg_lstsq_wide_gelsd", "linalg_householder_product", "ormqr", "ormqr_forward_mode",
    "linalg_lu_factor", "linalg_svd", "linalg_svdvals", "svd_legacy", "linalg_eigh",
    "linalg_eigvalsh", "lstm_layer_bidirectional_no_bias", "gru_layer_bidirectional_no_bias",
    "adaptive_avg_pool2d_keep_width_and_upsample", "adaptive_avg_pool2d_overlapping_bins",
    "adaptive_avg_pool2d_tiles", "add_alpha", "addbmm", "addcdiv", "addcmul",
    "addcmul_method_value_one", "addmm", "addmm_method_beta_zero", "addmv", "addr",
    "avg_pool2d", "avg_pool2d_ceil_mode_divisor_override", "avg_pool2d_ceil_mode_exclude_pad",
    "avg_pool2d_ceil_mode_include_pad", "avg_pool2d_divisor_override",
    "avg_pool2d_padding_exclude_pad", "avg_pool2d_padding_include_pad", "avg_pool2d_unbatched",
    "avg_pool3d", "avg_pool3d_ceil_mode_divisor_override", "avg_pool3d_ceil_mode_exclude_pad",
    "baddbmm", "batch_norm_3d", "batch_norm_eval", "batch_norm_training_1d",
    "batch_norm_training_2d", "batch_norm_training_updates_running_stats_no_affine",
    "cartesian_prod", "channel_shuffle", "conv1d", "conv1d_dilation", "conv1d_groups",
    "conv2d_dilation_padding_same_even_kernel", "conv2d_padding_same_even_kernel", "conv3d",
    "conv3d_padding_same_even_kernel", "conv3d_stride_padding_dilation_groups",
    "conv_transpose2d", "conv_transpose2d_groups_dilation_pairs",
    "conv_transpose2d_output_padding_beyond_stride",
    "conv_transpose2d_output_padding_beyond_stride_within_padding",
    "conv_transpose2d_stride_padding_output_padding", "conv_transpose3d",
    "conv_transpose3d_output_padding_past_stride",
    "conv_transpose3d_output_padding_past_stride_within_padding",
    "conv_transpose3d_stride_padding_output_padding_groups_dilation", "cross",
    "cross_entropy_single_sample",
    "diagonal_scatter", "dist_3", "embedding_bag_2d_mean", "embedding_bag_2d_mean_forward_mode",
    "embedding_bag_max_last_offset", "embedding_bag_max_last_offset_forward_mode",
    "embedding_bag_mean_padding", "embedding_bag_mean_padding_forward_mode",
    "embedding_bag_sum_per_sample_weights", "embedding_bag_sum_per_sample_weights_forward_mode",
    "getitem_negative_and_slice", "getitem_none_ellipsis", "getitem_step", "glu", "glu_dim0",
    "group_norm", "index_add_in_place",
    "index_put_accumulate_repeats", "index_put_accumulate_rows", "interpolate_area",
    "interpolate_bicubic_aligned_scale_factor", "interpolate_bicubic_antialias_mixed",
    "interpolate_bicubic_antialias_shrink", "interpolate_bicubic_centred",
    "interpolate_bilinear", "interpolate_bilinear_align_corners_downsample",
    "interpolate_bilinear_antialias_mixed", "interpolate_bilinear_antialias_shrink",
    "interpolate_bilinear_fractional_factors", "interpolate_linear",
    "interpolate_linear_align_corners_scale_factor", "interpolate_nearest_5d",
    "interpolate_nearest_downsample", "interpolate_nearest_exact",
    "interpolate_nearest_exact_5d", "interpolate_nearest_size", "interpolate_trilinear",
    "interpolate_trilinear_align_corners_scale",
    "lerp_number_weight", "lerp_number_weight_near_end", "lerp_tensor_weight", "linalg_cross",
    "linalg_matrix_power_3", "linalg_vander", "logdet", "masked_scatter",
    "multilabel_margin_loss_mean", "multilabel_margin_loss_mean_forward_mode",
    "multilabel_margin_loss_none", "multilabel_margin_loss_none_forward_mode",
    "multilabel_margin_loss_one_sample", "multilabel_margin_loss_one_sample_forward_mode",
    "multilabel_margin_loss_sum", "multilabel_margin_loss_sum_forward_mode", "norm_inf",
    "norm_p1", "pad_reflect_3d", "pad_reflect_two_dims", "pad_replicate_3d",
    "pairwise_distance_p1_keepdim", "pixel_shuffle", "pixel_unshuffle", "prelu", "put",
    "put_accumulate_repeats", "put_in_place", "roll_flat", "rot90", "rot90_back",
    "select_scatter", "slice_scatter", "square", "square_function", "stack", "stack_last_dim",
    "sub_alpha", "take", "tensordot", "trace", "vander"
}  # fmt: skip


def _given(g: Any) -> np.ndarray | None:
    return None if g is None else np.array(g.detach().numpy(force=True), dtype=np.float64)


def _run(lib: Any, fn: Any, arrays: list[np.ndarray], weights: list[np.ndarray], double: bool):
    """The hooked nodes' names, what each hook saw, and the inputs' gradients after."""
    inputs, pairs = weighted_outputs(lib, fn, arrays, weights)
    if not pairs:
        return None
    nodes: list[Any] = []
    seen: list[list[Any]] = []
    for y, _ in pairs:
        node = y.grad_fn
        if node is None or any(node is n for n in nodes):
            continue
        nodes.append(node)
        calls: list[Any] = []
        seen.append(calls)

        def hook(grad_inputs: Any, grad_outputs: Any, calls: list[Any] = calls) -> Any:
            calls.append(([_given(g) for g in grad_inputs], [_given(g) for g in grad_outputs]))
            return tuple(None if g is None else g * 2 for g in grad_inputs) if double else None

        node.register_hook(hook)
    outputs, cotangents = zip(*pairs, strict=True)
    lib.autograd.backward(outputs, cotangents)
    return [n.name() for n in nodes], seen, [_given(x.grad) for x in inputs]


def _differences(ours: list[Any], theirs: list[Any]) -> list[str]:
    found = []
    for what, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        if len(a) != len(b):
            return [f"{len(a)} gradients, PyTorch's {len(b)}"]
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if (x is None) != (y is None) or (x is not None and x.shape != y.shape):
                shapes = [None if x is None else x.shape for x in (x, y)]
                found.append(f"{('grad_inputs', 'grad_outputs')[what]}[{i}]: {shapes}")
            elif x is not None and not np.allclose(x, y, rtol=1e-7, atol=1e-10):
                found.append(f"{('grad_inputs', 'grad_outputs')[what]}[{i}]: values")
    return found


@pytest.mark.parametrize("spec", ROWS)
def test_node_post_hooks_see_and_change_what_pytorchs_do(
    spec: OpSpec, rng: np.random.Generator
) -> None:
    arrays = spec.sample(rng, spec.shapes[0])
    probe = outputs_of(spec.fn(*[cr.tensor(a) for a in arrays]))
    weights = [rng.standard_normal(tuple(y.shape)) for y in probe]
    twin = torch_twin(spec)
    ours, theirs = (
        _run(cr, spec.fn, arrays, weights, False),
        _run(torch, twin, arrays, weights, False),
    )
    assert (ours is None) == (theirs is None)
    if ours is None:  # nothing differentiable comes out (an integer result): nothing hooked
        return
    if spec.name in DIFFERENT_NODES:
        assert ours[0] != theirs[0], "the nodes are PyTorch's now: compare this row"
        return
    assert ours[0] == theirs[0]
    found = [
        f"{name}: {d}"
        for name, a, b in zip(ours[0], ours[1], theirs[1], strict=True)
        for call_a, call_b in zip(a, b, strict=True)
        for d in _differences(list(call_a), list(call_b))
    ]
    assert [len(a) for a in ours[1]] == [len(b) for b in theirs[1]]  # each hook called as often
    doubled = _run(cr, spec.fn, arrays, weights, True)[2]
    torch_doubled = _run(torch, twin, arrays, weights, True)[2]
    found += [
        f"input {i}'s .grad after a doubling hook"
        for i, (a, b) in enumerate(zip(doubled, torch_doubled, strict=True))
        if (a is None) != (b is None)
        or (a is not None and (a.shape != b.shape or not np.allclose(a, b, rtol=1e-7, atol=1e-10)))
    ]
    if spec.name in SAME_NAME_OTHER_STEPS:
        assert found, "the hooks see PyTorch's gradients now: take the row off the list"
        return
    assert not found, found
