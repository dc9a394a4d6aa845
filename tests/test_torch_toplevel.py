"""PyTorch's top-level functions (``torch.abs_``, ``torch.conv2d``, ``torch.dropout``,
``torch.hann_window``, ``torch.is_tensor``...): each call runs on torch and on chainrule, and
the values, dtypes and shapes agree, or both raise the same exception type with the same first
line; the differentiable ones also give the same gradients with respect to their inputs.
"""

from __future__ import annotations

import array
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import _tensor_input

RNG = np.random.default_rng(21)


def _data(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape)


X = _data(2, 3)
IMG = _data(2, 4, 5, 5)
SEQ = _data(2, 4, 6)


def _flat(result: Any) -> list[Any]:
    if isinstance(result, tuple | list):
        return [y for x in result for y in _flat(x)]
    return [result]


def _same(expected: Any, got: Any) -> None:
    """Values (nan where nan), dtypes and shapes, or plain Python values, agree; a list stays
    a list and a tuple a tuple."""
    if isinstance(expected, tuple | list):
        assert isinstance(got, type(expected)) or (
            isinstance(got, tuple) and isinstance(expected, tuple)
        ), (type(expected), type(got))
    e_flat, g_flat = _flat(expected), _flat(got)
    assert len(e_flat) == len(g_flat)
    for e, g in zip(e_flat, g_flat, strict=True):
        if not isinstance(e, torch.Tensor):
            assert isinstance(g, type(e)) and e == g, (e, g)
            continue
        assert isinstance(g, cr.Tensor), type(g)
        assert str(g.dtype).split(".")[-1] == str(e.dtype).split(".")[-1], (g.dtype, e.dtype)
        assert tuple(g.shape) == tuple(e.shape), (tuple(g.shape), tuple(e.shape))
        atol = 1e-5 if e.dtype == torch.float32 else 1e-10
        np.testing.assert_allclose(
            np.asarray(g.detach()), e.detach().numpy(), rtol=1e-5, atol=atol, equal_nan=True
        )


def _check(call: Callable[[Any], Any]) -> None:
    try:
        expected = call(torch)
    except Exception as error:  # noqa: BLE001 - the type and message are compared
        with pytest.raises(type(error)) as got:
            call(cr)
        assert str(got.value).splitlines()[0] == str(error).splitlines()[0]
        return
    _same(expected, call(cr))


def _in_place(name: str, *args: Any) -> Callable[[Any], Any]:
    """``torch.<name>(x, *args)`` returns ``x`` itself, changed as the method changes it."""

    def call(m: Any) -> Any:
        x = m.tensor([[0.25, -0.5, 0.75], [1.5, -2.0, 0.1]], dtype=m.float64)
        out = getattr(m, name)(x, *args)
        return out is x, x

    return call


UNARY_IN_PLACE = [
    "abs_",
    "ceil_",
    "cos_",
    "cosh_",
    "deg2rad_",
    "erf_",
    "erfc_",
    "exp2_",
    "exp_",
    "expm1_",
    "fix_",
    "floor_",
    "frac_",
    "i0_",
    "neg_",
    "negative_",
    "rad2deg_",
    "reciprocal_",
    "relu_",
    "round_",
    "sigmoid_",
    "sin_",
    "sinc_",
    "sinh_",
    "square_",
    "tan_",
    "tanh_",
    "trunc_",
    "zero_",
    "arctan_",
    "atan_",
    "asinh_",
    "arcsinh_",
    "selu_",
    "celu_",
    "detach_",
]
DOMAIN_IN_PLACE = (
    "acos_ arccos_ asin_ arcsin_ atanh_ arctanh_ log_ log10_ log1p_ log2_ rsqrt_ sqrt_"
)

CASES: dict[str, Callable[[Any], Any]] = {
    **{name: _in_place(name) for name in UNARY_IN_PLACE},
    # outside the domain: nan, as the method gives
    **{name: _in_place(name) for name in DOMAIN_IN_PLACE.split()},
    "acosh_": lambda m: m.acosh_(m.tensor([1.0, 2.5, 0.5])),
    "arccosh_": lambda m: m.arccosh_(m.tensor([1.0, 2.5])),
    "clamp_": _in_place("clamp_", -0.5, 0.5),
    "clamp_keyword_max": lambda m: m.clamp_(m.tensor([1.0, -3.0]), max=0.0),
    "clamp_no_bounds_refused": lambda m: m.clamp_(m.tensor([1.0])),
    "clamp_max_": _in_place("clamp_max_", 0.3),
    "clamp_min_": _in_place("clamp_min_", 0.3),
    "clip_": _in_place("clip_", -1, 1),
    "fill_": _in_place("fill_", 2.5),
    "fill_tensor_value": lambda m: m.fill_(m.zeros(3), m.tensor(1.5)),
    "fill_matrix_value_refused": lambda m: m.fill_(m.zeros(3), m.ones(2)),
    "fill": lambda m: m.fill(m.zeros(2, 2, dtype=m.int64), 3),
    "gcd_": lambda m: m.gcd_(m.tensor([12, 18]), m.tensor([8, 27])),
    "lcm_": lambda m: m.lcm_(m.tensor([4, 6]), m.tensor([6, 4])),
    "ldexp_": lambda m: m.ldexp_(m.tensor([1.0, 3.0]), m.tensor([2, -1])),
    "logit_": lambda m: m.logit_(m.tensor([0.0, 0.25, 1.0]), 0.1),
    "nan_to_num_": lambda m: m.nan_to_num_(m.tensor([float("nan"), float("inf")]), 1.0, 2.0),
    "xlogy_": lambda m: m.xlogy_(m.tensor([0.0, 2.0]), m.tensor([0.0, 3.0])),
    "xlogy_scalar": lambda m: m.xlogy_(m.tensor([0.0, 2.0]), 3),
    "addmv_": lambda m: m.addmv_(m.ones(2), m.ones(2, 3), m.arange(3.0), beta=2, alpha=0.5),
    "resize_as_": lambda m: m.resize_as_(m.zeros(2, 3), m.zeros(6)).shape,
    "in_place_of_an_integer_refused": lambda m: m.sqrt_(m.tensor([4])),
    "in_place_of_a_number_refused": lambda m: m.abs_(1.0),
    "detach": lambda m: m.detach(m.ones(2, requires_grad=True)).requires_grad,
    "threshold_": lambda m: m.threshold_(m.tensor([0.1, 0.5, 2.0]), 0.5, -1.0),
    "rrelu_eval": lambda m: m.rrelu_(m.tensor([-1.0, 2.0])),
    "conj_physical_is_itself": lambda m: (lambda x: m.conj_physical(x) is x)(m.ones(2)),
    "conj_physical_": lambda m: (lambda x: m.conj_physical_(x) is x)(m.ones(2)),
    "get_device": lambda m: m.get_device(m.ones(2)),
    "is_distributed": lambda m: m.is_distributed(m.ones(2)),
    "row_stack": lambda m: m.row_stack([m.ones(2), m.zeros(2)]),
    # rsub and angle
    "rsub_tensor": lambda m: m.rsub(m.tensor([1.0, 2.0]), m.tensor([5.0, 5.0])),
    "rsub_scalar_alpha": lambda m: m.rsub(m.tensor([1, 2]), 5, 2),
    "rsub_float_scalar_of_integers": lambda m: m.rsub(m.tensor([1, 2]), 2.5),
    "rsub_keyword_alpha": lambda m: m.rsub(m.tensor([1.0, 2.0]), m.ones(2), alpha=3),
    "rsub_of_bools_refused": lambda m: m.rsub(m.tensor([True]), m.tensor([False])),
    "angle_of_floats": lambda m: m.angle(
        m.tensor([-2.0, -0.0, 0.0, 3.0, float("nan"), float("inf"), float("-inf")])
    ),
    "angle_of_integers": lambda m: m.angle(m.tensor([-2, 0, 3])),
    "angle_of_bools": lambda m: m.angle(m.tensor([True, False])),
    "angle_float64": lambda m: m.angle(m.tensor([-1.0], dtype=m.float64)),
    # dropout: the probability checked, evaluation gives the input
    "dropout_eval_is_input": lambda m: (lambda x: m.dropout(x, 0.5, False) is x)(m.ones(2)),
    "dropout_p_above_one_refused": lambda m: m.dropout(m.ones(3), 1.5, True),
    "dropout_p_negative_refused": lambda m: m.dropout(m.ones(3), -0.1, False),
    "dropout_p_one": lambda m: m.dropout(m.ones(3), 1.0, True),
    "dropout_in_place_p_one": lambda m: (lambda x: (m.dropout_(x, 1.0, True) is x, x))(m.ones(3)),
    "alpha_dropout_p_one": lambda m: m.alpha_dropout(m.ones(3), 1.0, True),
    "alpha_dropout_eval": lambda m: m.alpha_dropout(m.ones(3), 0.5, False),
    "feature_dropout_of_a_vector_refused": lambda m: m.feature_dropout(m.ones(3), 0.5, True),
    "feature_dropout_of_a_vector_eval_refused": lambda m: m.feature_dropout(m.ones(3), 0.5, False),
    "feature_dropout_eval": lambda m: m.feature_dropout(m.ones(2, 3), 0.5, False),
    "feature_dropout_of_a_vector_p_one": lambda m: m.feature_dropout(m.ones(3), 1.0, True),
    "feature_dropout_of_a_vector_p_zero": lambda m: m.feature_dropout(m.ones(3), 0.0, True),
    "feature_alpha_dropout_of_a_vector_p_one": lambda m: m.feature_alpha_dropout(
        m.ones(3), 1.0, True
    ),
    "feature_alpha_dropout_of_a_vector": lambda m: m.feature_alpha_dropout(m.ones(3), 0.5, True),
    "feature_alpha_dropout_eval": lambda m: m.feature_alpha_dropout(m.ones(3), 0.5, False),
    "native_dropout_eval": lambda m: m.native_dropout(m.ones(3), 0.5, False),
    "native_dropout_p_one": lambda m: m.native_dropout(m.ones(3), 1.0, True),
    # *_copy: a copy, not a view
    "view_copy": lambda m: (lambda x: (m.view_copy(x, (3, 2)).fill_(7), x))(m.ones(2, 3)),
    "view_copy_bad_size_refused": lambda m: m.view_copy(m.ones(2, 3), (4,)),
    "permute_copy": lambda m: m.permute_copy(m.arange(6).reshape(1, 2, 3), (2, 0, 1)),
    "transpose_copy": lambda m: m.transpose_copy(m.arange(6).reshape(2, 3), 0, 1),
    "t_copy": lambda m: m.t_copy(m.arange(6).reshape(2, 3)),
    "t_copy_of_3d_refused": lambda m: m.t_copy(m.ones(1, 2, 3)),
    "expand_copy": lambda m: m.expand_copy(m.arange(3), (2, 3)).stride(),
    "squeeze_copy": lambda m: m.squeeze_copy(m.ones(1, 2, 1)),
    "squeeze_copy_dim": lambda m: m.squeeze_copy(m.ones(1, 2, 1), 0),
    "squeeze_copy_dims": lambda m: m.squeeze_copy(m.ones(1, 2, 1), (0, 2)),
    "unsqueeze_copy": lambda m: m.unsqueeze_copy(m.arange(3), -1),
    "select_copy": lambda m: m.select_copy(m.arange(6).reshape(2, 3), 1, -1),
    "select_copy_out_of_range_refused": lambda m: m.select_copy(m.ones(2, 3), 1, 3),
    "slice_copy": lambda m: m.slice_copy(m.arange(12).reshape(3, 4), 1, 1, None, 2),
    "slice_copy_defaults": lambda m: m.slice_copy(m.arange(5)),
    "slice_copy_negative_dim": lambda m: m.slice_copy(m.arange(12).reshape(3, 4), -1, -3, -1),
    "diagonal_copy": lambda m: m.diagonal_copy(m.arange(9).reshape(3, 3), 1),
    "split_copy": lambda m: m.split_copy(m.arange(5), 2),
    "split_with_sizes_copy": lambda m: m.split_with_sizes_copy(
        m.arange(6).reshape(2, 3), [1, 2], 1
    ),
    "unbind_copy": lambda m: m.unbind_copy(m.arange(6).reshape(2, 3), 1),
    "alias_copy": lambda m: (lambda x: m.alias_copy(x) is x)(m.ones(2)),
    "detach_copy": lambda m: m.detach_copy(m.ones(2, requires_grad=True)).detach(),
    "native_channel_shuffle": lambda m: m.native_channel_shuffle(m.arange(8.0).reshape(1, 4, 2), 2),
    "as_strided_copy": lambda m: m.as_strided_copy(m.arange(6), (2, 2), (1, 2), 1),
    "unfold_copy": lambda m: m.unfold_copy(m.arange(7.0), 0, 3, 2),
    "as_strided_scatter": lambda m: m.as_strided_scatter(
        m.zeros(3, 3), m.tensor([1.0, 2.0, 3.0]), (3,), (4,)
    ),
    "as_strided_scatter_offset": lambda m: m.as_strided_scatter(
        m.zeros(2, 3), m.ones(2, 2), (2, 2), (3, 1), 1
    ),
    "batch_norm_update_stats": lambda m: (
        lambda x, rm, rv: (m.batch_norm_update_stats(x, rm, rv, 0.1), rm, rv)
    )(
        m.tensor(SEQ),
        m.zeros(4, dtype=m.float64),
        m.ones(4, dtype=m.float64),
    ),
    "batch_norm_update_stats_without_running": lambda m: m.batch_norm_update_stats(
        m.tensor(IMG), None, None, 0.3
    ),
    "embedding_renorm_": lambda m: (
        lambda w: (m.embedding_renorm_(w, m.tensor([0, 2]), 1.0, 2.0) is w, w)
    )(m.tensor([[1.0, 1.0], [2.0, 0.0], [0.3, 0.4]])),
    "embedding_renorm_of_a_leaf_refused": lambda m: m.embedding_renorm_(
        m.ones(3, 2, requires_grad=True), m.tensor([0, 2]), 1.0, 2.0
    ),
    "abs_of_a_leaf_refused": lambda m: m.abs_(m.ones(2, requires_grad=True)),
    "dropout_in_place_eval_of_a_leaf": lambda m: (
        lambda x: (m.dropout_(x, 0.5, False) is x, x.grad_fn is None)
    )(m.ones(2, requires_grad=True)),
    "dropout_in_place_p_zero_of_a_leaf": lambda m: (
        lambda x: (m.dropout_(x, 0.0, True) is x, x.grad_fn is None)
    )(m.ones(2, requires_grad=True)),
    "feature_dropout_in_place_eval_of_a_vector": lambda m: (
        lambda x: m.feature_dropout_(x, 0.5, False) is x
    )(m.ones(2)),
    "alpha_dropout_in_place_eval_keeps_history": lambda m: (
        lambda y, node: (m.alpha_dropout_(y, 0.5, False) is y, y.grad_fn is node)
    )(*(lambda y: (y, y.grad_fn))(m.ones(2, requires_grad=True) * 2)),
    "dropout_of_a_leaf_refused": lambda m: m.dropout_(m.ones(2, requires_grad=True), 0.5, True),
    "selu_of_a_leaf_refused": lambda m: m.selu_(m.ones(2, requires_grad=True)),
    "threshold_of_a_leaf_refused": lambda m: m.threshold_(m.ones(2, requires_grad=True), 0, 1),
    "embedding_bag_mode_3_refused": lambda m: m.embedding_bag(
        m.ones(3, 2), m.tensor([0, 1]), m.tensor([0, 1]), False, 3
    ),
    "embedding_bag_weights_with_mean_refused": lambda m: m.embedding_bag(
        m.ones(3, 2), m.tensor([0, 1]), m.tensor([0, 1]), False, 1, False, m.ones(2)
    ),
    "embedding_bag_2d_indices_flattened": lambda m: m.embedding_bag(
        m.arange(8.0).reshape(4, 2), m.tensor([[0, 1], [2, 3]]), m.tensor([0]), False, 0
    ),
    **{
        f"embedding_bag_float32_{mode}_int32_{padding}": lambda m, mode=mode, padding=padding: (
            m.embedding_bag(
                m.tensor([[1.0, 5.0], [3.0, 5.0], [3.0, 0.0]]),
                m.tensor([0, 2, 1, 2], dtype=m.int32),
                m.tensor([0, 1, 1], dtype=m.int32),
                False,
                mode,
                False,
                None,
                False,
                padding,
            )
        )
        for mode in (0, 1, 2)
        for padding in (None, 2)
    },
    "convolution_of_a_matrix_weight_refused": lambda m: m.convolution(
        m.ones(1, 1, 3), m.ones(1, 1), None, [1], [0], [1], False, [0], 1
    ),
    "convolution_of_a_6d_weight_refused": lambda m: m.convolution(
        m.ones(2, 3), m.ones(1, 1, 1, 1, 1, 1), None, [1], [0], [1], False, [0], 1
    ),
    "conv_tbc_2d_input_refused": lambda m: m.conv_tbc(m.ones(3, 1), m.ones(2, 1, 1), m.zeros(1)),
    "conv_tbc_2d_weight_refused": lambda m: m.conv_tbc(m.ones(3, 1, 1), m.ones(2, 1), m.zeros(1)),
    "conv_tbc_2d_bias_refused": lambda m: m.conv_tbc(
        m.ones(3, 1, 1), m.ones(2, 1, 1), m.zeros(1, 1)
    ),
    "conv_tbc_channels_refused": lambda m: m.conv_tbc(m.ones(3, 1, 2), m.ones(2, 1, 1), m.zeros(1)),
    "grid_sampler_2d_of_5d_refused": lambda m: m.grid_sampler_2d(
        m.ones(1, 1, 2, 2, 2), m.zeros(1, 1, 1, 1, 3), 0, 0, False
    ),
    "grid_sampler_3d_of_4d_refused": lambda m: m.grid_sampler_3d(
        m.ones(1, 1, 2, 2), m.zeros(1, 1, 1, 2), 0, 0, False
    ),
    "lstm_of_no_steps_refused": lambda m: m.lstm(
        m.ones(0, 2, 3),
        (m.zeros(1, 2, 2),) * 2,
        [m.ones(8, 3), m.ones(8, 2)],
        False,
        1,
        0.0,
        False,
        False,
        False,
    ),
    "gru_of_no_steps_refused": lambda m: m.gru(
        m.ones(0, 2, 3),
        m.zeros(1, 2, 2),
        [m.ones(6, 3), m.ones(6, 2)],
        False,
        1,
        0.0,
        False,
        False,
        False,
    ),
    "lstm_cell_one_state_refused": lambda m: m.lstm_cell(
        m.ones(1, 2), [m.ones(1, 3)], m.ones(12, 2), m.ones(12, 3)
    ),
    "native_batch_norm_one_running_stat_refused": lambda m: m.native_batch_norm(
        m.ones(2, 3), None, None, None, m.ones(3), False, 0.1, 1e-5
    ),
    **{
        f"constant_pad_nd_{'_'.join(map(str, pad)).replace('-', 'minus')}": lambda m, pad=pad: (
            m.constant_pad_nd(m.arange(6.0).reshape(2, 3), pad, 7.0)
        )
        for pad in (
            [-5, 0],
            [-3, 0],
            [-2, -1],
            [1, -4],
            [-1, 2, 1, -1],
            [0, 0, 0, 0, 0, 0],
            [1],
            [2, -3],
        )
    },
    "segment_reduce_bad_reduction_refused": lambda m: m.segment_reduce(
        m.ones(4), "bad", lengths=m.tensor([2, 2])
    ),
    "segment_reduce_no_lengths_refused": lambda m: m.segment_reduce(m.ones(4), "sum"),
    "segment_reduce_indices_refused": lambda m: m.segment_reduce(
        m.ones(4), "sum", indices=m.tensor([0, 0, 1, 1])
    ),
    "segment_reduce_lengths_total_refused": lambda m: m.segment_reduce(
        m.ones(4), "sum", lengths=m.tensor([2, 1])
    ),
    "segment_reduce_axis_refused": lambda m: m.segment_reduce(
        m.ones(2, 3), "sum", lengths=m.tensor([1, 2]), axis=1
    ),
    "segment_reduce_integers_refused": lambda m: m.segment_reduce(
        m.arange(4), "sum", lengths=m.tensor([2, 2])
    ),
    "segment_reduce_unsafe": lambda m: m.segment_reduce(
        m.arange(6.0), "max", lengths=m.tensor([2, 2]), unsafe=True
    ),
    "view_as_real_refused": lambda m: m.view_as_real(m.ones(2)),
    "view_as_real_copy_refused": lambda m: m.view_as_real_copy(m.ones(2)),
    "nonzero_static_filled": lambda m: m.nonzero_static(m.tensor([0, 1, 0, 2]), size=3),
    "nonzero_static_cut": lambda m: m.nonzero_static(
        m.tensor([[0, 1], [3, 0]]), size=1, fill_value=9
    ),
    "nonzero_static_2d_filled": lambda m: m.nonzero_static(m.tensor([[0, 1], [3, 0]]), size=4),
    "nonzero_static_of_a_scalar": lambda m: m.nonzero_static(m.tensor(5), size=2),
    "nonzero_static_negative_size_refused": lambda m: m.nonzero_static(m.tensor([0, 1]), size=-1),
    "as_strided_scatter_bad_src_refused": lambda m: m.as_strided_scatter(
        m.zeros(3, 3), m.ones(2), (3,), (4,)
    ),
}


@pytest.mark.parametrize("call", CASES.values(), ids=CASES.keys())
def test_top_level_call_matches_pytorch(call: Callable[[Any], Any]) -> None:
    _check(call)


def _t(m: Any, x: np.ndarray) -> Any:
    return m.tensor(x, requires_grad=True)


NOT_ON_CPU: dict[str, Callable[[Any], Any]] = {
    "batch_norm_stats": lambda m: m.batch_norm_stats(m.ones(2, 3), 1e-5),
    "batch_norm_elemt": lambda m: m.batch_norm_elemt(
        m.ones(2, 3), None, None, m.zeros(3), m.ones(3), 1e-5
    ),
    "batch_norm_gather_stats": lambda m: m.batch_norm_gather_stats(
        m.ones(2, 3), m.zeros(2, 3), m.ones(2, 3), None, None, 0.1, 1e-5, 4
    ),
    "native_norm": lambda m: m.native_norm(m.ones(3)),
    "native_norm_dims": lambda m: m.native_norm(m.ones(2, 3), 2, [1], False, None),
}


@pytest.mark.parametrize("call", NOT_ON_CPU.values(), ids=NOT_ON_CPU.keys())
def test_operators_without_a_cpu_kernel_are_refused_as_pytorch(call: Callable[[Any], Any]) -> None:
    """PyTorch's message goes on with its dispatch keys: the sentences before them agree."""
    with pytest.raises(NotImplementedError) as expected:
        call(torch)
    with pytest.raises(NotImplementedError) as got:
        call(cr)
    assert str(expected.value).startswith(str(got.value))


# (call, inputs): call(m, *tensors), tensors made from the float64 ``inputs`` with
# requires_grad; the outputs and the gradient of a random weighting of them agree.
GRADIENTS: dict[str, tuple[Callable[..., Any], tuple[np.ndarray, ...]]] = {
    "conv1d": (lambda m, x, w: m.conv1d(x, w, None, 2, 1), (SEQ, _data(3, 4, 3))),
    "conv2d": (
        lambda m, x, w, b: m.conv2d(x, w, b, 1, 1, 1, 2),
        (IMG, _data(6, 2, 3, 3), _data(6)),
    ),
    "conv2d_padding_same": (
        lambda m, x, w: m.conv2d(x, w, padding="same"),
        (IMG, _data(3, 4, 3, 3)),
    ),
    "conv3d": (lambda m, x, w: m.conv3d(x, w), (_data(1, 2, 3, 4, 4), _data(2, 2, 2, 2, 2))),
    "conv_transpose1d": (
        lambda m, x, w: m.conv_transpose1d(x, w, None, 2, 1, 1),
        (SEQ, _data(4, 3, 3)),
    ),
    "conv_transpose2d": (
        lambda m, x, w: m.conv_transpose2d(x, w, None, 2),
        (IMG, _data(4, 2, 2, 2)),
    ),
    "conv_transpose3d": (
        lambda m, x, w: m.conv_transpose3d(x, w),
        (_data(1, 2, 2, 3, 3), _data(2, 1, 2, 2, 2)),
    ),
    "convolution": (
        lambda m, x, w, b: m.convolution(x, w, b, [1, 2], [1, 0], [1, 1], False, [0, 0], 1),
        (IMG, _data(3, 4, 3, 3), _data(3)),
    ),
    "convolution_transposed": (
        lambda m, x, w: m.convolution(x, w, None, [2], [1], [1], True, [1], 2),
        (SEQ, _data(4, 2, 3)),
    ),
    "conv_tbc": (
        lambda m, x, w, b: m.conv_tbc(x, w, b, 1),
        (_data(6, 2, 4), _data(3, 4, 5), _data(5)),
    ),
    "batch_norm_training": (
        lambda m, x, w, b: m.batch_norm(x, w, b, None, None, True, 0.1, 1e-5, False),
        (IMG, _data(4), _data(4)),
    ),
    "batch_norm_eval": (
        lambda m, x, w: m.batch_norm(
            x,
            w,
            None,
            m.zeros(4, dtype=m.float64),
            m.ones(4, dtype=m.float64) * 2,
            False,
            0.1,
            1e-3,
            True,
        ),
        (IMG, _data(4)),
    ),
    "layer_norm": (
        lambda m, x, w, b: m.layer_norm(x, [5, 5], w, b),
        (IMG, _data(5, 5), _data(5, 5)),
    ),
    "layer_norm_defaults": (lambda m, x: m.layer_norm(x, (3,)), (X,)),
    "group_norm": (lambda m, x, w: m.group_norm(x, 2, w, None, 1e-3), (IMG, _data(4))),
    "instance_norm": (
        lambda m, x, w, b: m.instance_norm(x, w, b, None, None, True, 0.1, 1e-5, False),
        (IMG, _data(4), _data(4)),
    ),
    "rms_norm": (lambda m, x, w: m.rms_norm(x, [6], w), (SEQ, _data(6))),
    "native_layer_norm": (
        lambda m, x, w, b: m.native_layer_norm(x, [4, 6], w, b, 1e-5),
        (SEQ, _data(4, 6), _data(4, 6)),
    ),
    "native_batch_norm_training": (
        lambda m, x, w, b: m.native_batch_norm(x, w, b, None, None, True, 0.1, 1e-5),
        (IMG, _data(4), _data(4)),
    ),
    "native_batch_norm_eval": (
        lambda m, x: m.native_batch_norm(
            x, None, None, m.zeros(4, dtype=m.float64), m.ones(4, dtype=m.float64), False, 0.1, 1e-5
        ),
        (IMG,),
    ),
    "native_group_norm": (
        lambda m, x, w, b: m.native_group_norm(x, w, b, 2, 4, 25, 2, 1e-5),
        (IMG, _data(4), _data(4)),
    ),
    "embedding": (lambda m, w: m.embedding(w, m.tensor([[0, 2], [2, 3]])), (_data(4, 3),)),
    "embedding_padding_idx": (lambda m, w: m.embedding(w, m.tensor([0, 2, 2]), 2), (_data(4, 3),)),
    "embedding_negative_padding_idx_is_none": (
        lambda m, w: m.embedding(w, m.tensor([0, 3]), -1),
        (_data(4, 3),),
    ),
    **{
        f"embedding_bag_{name}": (
            lambda m, w, mode=mode, padding=padding: m.embedding_bag(
                w,
                m.tensor([0, 1, 4, 1, 3, 3]),
                m.tensor([0, 2, 2, 5]),
                False,
                mode,
                False,
                None,
                False,
                padding,
            ),
            (np.array([[1.0, 5.0], [3.0, 5.0], [3.0, 0.0], [0.0, 9.0], [2.0, 2.0]]),),
        )
        for name, mode, padding in [
            ("sum", 0, None),
            ("sum_padding", 0, 1),
            ("mean", 1, None),
            ("mean_padding", 1, 3),
            ("max", 2, None),
            ("max_padding_from_the_end", 2, -2),
        ]
    },
    "embedding_bag_weighted_last_offset": (
        lambda m, w, p: m.embedding_bag(
            w, m.tensor([0, 2, 1, 2]), m.tensor([0, 1, 4]), False, 0, False, p, True
        ),
        (_data(3, 2), _data(4)),
    ),
    "bilinear": (
        lambda m, a, b, w, c: m.bilinear(a, b, w, c),
        (_data(2, 3), _data(2, 4), _data(5, 3, 4), _data(5)),
    ),
    "selu": (lambda m, x: m.selu(x), (X,)),
    "celu": (lambda m, x: m.celu(x, 0.5), (X,)),
    "prelu": (lambda m, x, w: m.prelu(x, w), (IMG, _data(4))),
    "rrelu_eval": (lambda m, x: m.rrelu(x, 0.1, 0.3), (X,)),
    "threshold": (lambda m, x: m.threshold(x, 0.1, 20.0), (X,)),
    "hardshrink": (lambda m, x: m.hardshrink(x, 0.3), (X,)),
    "pixel_shuffle": (lambda m, x: m.pixel_shuffle(x, 2), (IMG,)),
    "pixel_unshuffle": (lambda m, x: m.pixel_unshuffle(x, 2), (_data(1, 2, 4, 6),)),
    "channel_shuffle": (lambda m, x: m.channel_shuffle(x, 2), (IMG,)),
    "pairwise_distance": (lambda m, a, b: m.pairwise_distance(a, b, 3.0), (X, _data(2, 3))),
    "cosine_similarity": (lambda m, a, b: m.cosine_similarity(a, b, 0), (X, _data(2, 3))),
    "pdist": (lambda m, x: m.pdist(x, 1.5), (_data(4, 3),)),
    "kl_div_default_none": (lambda m, a, b: m.kl_div(a, b), (X, np.abs(X))),
    "kl_div_mean": (lambda m, a, b: m.kl_div(a, b, 1), (X, np.abs(X))),
    "kl_div_sum_log_target": (
        lambda m, a, b: m.kl_div(a, b, 2, log_target=True),
        (X, X[::-1].copy()),
    ),
    "kl_div_reduction_3_is_none": (lambda m, a, b: m.kl_div(a, b, 3), (X, np.abs(X))),
    "bce_with_logits_default_none": (
        lambda m, x, y: m.binary_cross_entropy_with_logits(x, y),
        (X, RNG.uniform(0, 1, (2, 3))),
    ),
    "bce_with_logits_weights": (
        lambda m, x, y: m.binary_cross_entropy_with_logits(
            x, y, m.tensor([0.5, 1.0, 2.0], dtype=m.float64), m.tensor([1.0, 3.0, 0.5]), 2
        ),
        (X, RNG.uniform(0, 1, (2, 3))),
    ),
    "cosine_embedding_loss": (
        lambda m, a, b: m.cosine_embedding_loss(a, b, m.tensor([1.0, -1.0]), 0.1),
        (X, _data(2, 3)),
    ),
    "cosine_embedding_loss_mean": (
        lambda m, a, b: m.cosine_embedding_loss(a, b, m.tensor([1.0, -1.0]), 0.1, 1),
        (X, _data(2, 3)),
    ),
    "hinge_embedding_loss": (
        lambda m, x: m.hinge_embedding_loss(x, m.tensor([[1.0, -1.0, 1.0], [-1.0, -1.0, 1.0]])),
        (X,),
    ),
    "margin_ranking_loss_sum": (
        lambda m, a, b: m.margin_ranking_loss(a, b, m.tensor([1.0, -1.0, 1.0]), 0.2, 2),
        (_data(3), _data(3)),
    ),
    "poisson_nll_loss": (
        lambda m, x, y: m.poisson_nll_loss(x, y, True, True, 1e-8, 1),
        (X, np.abs(X) * 3),
    ),
    "poisson_nll_loss_none": (
        lambda m, x, y: m.poisson_nll_loss(x, y, False, False, 1e-3, 0),
        (np.abs(X), np.abs(X)),
    ),
    "triplet_margin_loss": (
        lambda m, a, p, n: m.triplet_margin_loss(a, p, n, 0.5, 1.0, 1e-6, True),
        (X, _data(2, 3), _data(2, 3)),
    ),
    "avg_pool1d": (lambda m, x: m.avg_pool1d(x, 3), (SEQ,)),
    "avg_pool1d_options": (lambda m, x: m.avg_pool1d(x, 3, 2, 1, True, False), (SEQ,)),
    "max_pool1d": (lambda m, x: m.max_pool1d(x, 2), (SEQ,)),
    "max_pool1d_dilated": (lambda m, x: m.max_pool1d(x, 2, 1, 1, 2, True), (SEQ,)),
    "max_pool2d": (lambda m, x: m.max_pool2d(x, 2), (IMG,)),
    "max_pool2d_empty_stride": (lambda m, x: m.max_pool2d(x, [2, 3], [], 1), (IMG,)),
    "max_pool3d": (lambda m, x: m.max_pool3d(x, 2, 1), (_data(1, 2, 3, 4, 4),)),
    "max_pool1d_with_indices": (lambda m, x: m.max_pool1d_with_indices(x, 3, 2), (SEQ,)),
    "adaptive_avg_pool1d": (lambda m, x: m.adaptive_avg_pool1d(x, 4), (SEQ,)),
    "adaptive_max_pool1d": (lambda m, x: m.adaptive_max_pool1d(x, 4), (SEQ,)),
    "constant_pad_nd": (lambda m, x: m.constant_pad_nd(x, [1, 2, 0, 1], 0.5), (X,)),
    "constant_pad_nd_crop": (lambda m, x: m.constant_pad_nd(x, [-1, 1]), (X,)),
    "affine_grid_generator": (
        lambda m, t: m.affine_grid_generator(t, [2, 1, 3, 4], False),
        (_data(2, 2, 3),),
    ),
    "grid_sampler": (
        lambda m, x, g: m.grid_sampler(x, g, 0, 0, False),
        (IMG, RNG.uniform(-1.2, 1.2, (2, 3, 3, 2))),
    ),
    "grid_sampler_2d_nearest_border": (
        lambda m, x, g: m.grid_sampler_2d(x, g, 1, 1, True),
        (IMG, RNG.uniform(-1.2, 1.2, (2, 3, 3, 2))),
    ),
    "rnn_tanh_cell": (
        lambda m, x, h, a, b, c, d: m.rnn_tanh_cell(x, h, a, b, c, d),
        (_data(2, 3), _data(2, 4), _data(4, 3), _data(4, 4), _data(4), _data(4)),
    ),
    "rnn_relu_cell_no_bias": (
        lambda m, x, h, a, b: m.rnn_relu_cell(x, h, a, b),
        (_data(2, 3), _data(2, 4), _data(4, 3), _data(4, 4)),
    ),
    "gru_cell": (
        lambda m, x, h, a, b, c, d: m.gru_cell(x, h, a, b, c, d),
        (_data(2, 3), _data(2, 4), _data(12, 3), _data(12, 4), _data(12), _data(12)),
    ),
    "lstm_cell": (
        lambda m, x, h, c, a, b: m.lstm_cell(x, (h, c), a, b),
        (_data(2, 3), _data(2, 4), _data(2, 4), _data(16, 3), _data(16, 4)),
    ),
    # in-place forms and copies carry the gradient as PyTorch's
    "clamp_in_place_of_a_result": (lambda m, x: m.clamp_(x * 1, -0.5, 0.5), (X,)),
    "sin_in_place_of_a_result": (lambda m, x: m.sin_(x * 2), (X,)),
    "fill_with_a_tensor_value": (lambda m, x, v: m.fill(x, v), (X, np.array(1.5))),
    "rsub": (lambda m, a, b: m.rsub(a, b, alpha=2.5), (X, _data(3))),
    "angle_gradient_is_zero": (lambda m, x: m.angle(x), (X,)),
    "permute_copy": (lambda m, x: m.permute_copy(x, (1, 0)), (X,)),
    "expand_copy": (lambda m, x: m.expand_copy(x, (4, 2, 3)), (X,)),
    "slice_copy": (lambda m, x: m.slice_copy(x, 1, 0, 3, 2), (X,)),
    "diagonal_copy": (lambda m, x: m.diagonal_copy(x, 0, 1, 2), (IMG,)),
    "split_copy": (lambda m, x: m.split_copy(x, 2, 1), (X,)),
    "unbind_copy": (lambda m, x: m.unbind_copy(x), (X,)),
    "as_strided_copy": (lambda m, x: m.as_strided_copy(x, (2, 2), (1, 3)), (X,)),
    **{
        f"segment_reduce_{reduce}": (
            lambda m, x, reduce=reduce: m.segment_reduce(x, reduce, lengths=m.tensor([2, 0, 4])),
            # a tie of the maxima where the gradient is positive: PyTorch shares only those
            (np.array([2.0, 1.5, 1.0, 3.0, 3.0, 0.5]),),
        )
        for reduce in ("sum", "prod", "mean", "max", "min", "amax", "amin")
    },
    **{
        f"segment_reduce_{reduce}_initial": (
            lambda m, x, reduce=reduce: m.segment_reduce(
                x, reduce, offsets=m.tensor([0, 2, 2, 6]), initial=2.5
            ),
            (np.array([2.0, 0.0, 1.0, 3.0, 3.5, 0.5]),),
        )
        for reduce in ("sum", "prod", "mean", "max", "min")
    },
    "segment_reduce_rows": (
        lambda m, x: m.segment_reduce(x, "mean", lengths=m.tensor([1, 2])),
        (_data(3, 2),),
    ),
    "norm_except_dim": (lambda m, x: m.norm_except_dim(x), (IMG,)),
    "norm_except_dim_last": (lambda m, x: m.norm_except_dim(x, 3, 3), (IMG,)),
    "norm_except_dim_middle": (lambda m, x: m.norm_except_dim(x, 1, 1), (IMG,)),
    "norm_except_dim_all": (lambda m, x: m.norm_except_dim(x, 2, -1), (IMG,)),
    "unfold_copy": (lambda m, x: m.unfold_copy(x, 1, 2, 1), (X,)),
}


@pytest.mark.parametrize("case", GRADIENTS.values(), ids=GRADIENTS.keys())
def test_top_level_gradients_match_pytorch(case: tuple[Callable[..., Any], Any]) -> None:
    call, inputs = case
    results = []
    for m in (torch, cr):
        tensors = [_t(m, x) for x in inputs]
        out = call(m, *tensors)
        weighted = sum(
            (o * m.tensor(np.linspace(-1, 1, o.numel()).reshape(tuple(o.shape)))).sum()
            for o in _flat(out)
            if o.dtype == m.float64 and o.requires_grad
        )
        grads = m.autograd.grad(weighted, tensors, allow_unused=True)
        grads = [m.zeros_like(t) if g is None else g for t, g in zip(tensors, grads, strict=True)]
        results.append((out, grads))
    _same(results[0][0], results[1][0])
    _same(results[0][1], results[1][1])


def test_as_strided_scatter_gradient_leaves_out_the_overwritten_elements() -> None:
    """The source's gradient is PyTorch's; the input's is the output's gradient except where
    the source overwrote it. (PyTorch 2.13 gives the input the opposite: the gradient on the
    overwritten elements only, zero elsewhere, which finite differences contradict.)"""
    x, src = _t(cr, X), _t(cr, _data(2))
    weights = cr.linspace(-1, 1, 6, dtype=cr.float64).reshape(2, 3)
    out = cr.as_strided_scatter(x, src, (2,), (4,), 1)
    grad_x, grad_src = cr.autograd.grad((out * weights).sum(), [x, src])
    np.testing.assert_allclose(grad_src.numpy(), [-0.6, 1.0])
    np.testing.assert_allclose(grad_x.numpy(), [[-1.0, 0.0, -0.2], [0.2, 0.6, 0.0]])
    assert (
        out.tolist()
        == torch.as_strided_scatter(
            torch.tensor(X), torch.tensor(src.tolist(), dtype=torch.float64), (2,), (4,), 1
        ).tolist()
    )


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.grid_sampler(m.ones(1, 1, 2, 2), m.zeros(1, 1, 1, 2) + 0.3, 2, 0, False),
        lambda m: m.grid_sampler_3d(
            m.arange(8.0).reshape(1, 1, 2, 2, 2), m.zeros(1, 1, 1, 1, 3) + 0.3, 0, 0, True
        ),
    ],
    ids=["bicubic", "volumetric"],
)
def test_grid_samplers_bicubic_and_volumetric_match_torch(call: Callable[[Any], Any]) -> None:
    assert np.allclose(call(cr).numpy(), call(torch).numpy(), rtol=1e-6)


SEEDED: dict[str, Callable[[Any], Any]] = {
    "dropout": lambda m: m.dropout(m.ones(4, 5), 0.3, True),
    "dropout_in_place": lambda m: (lambda x: (m.dropout_(x, 0.6, True) is x, x))(m.ones(8)),
    "native_dropout": lambda m: m.native_dropout(m.ones(3, 4), 0.5, True),
    "native_dropout_train_none": lambda m: m.native_dropout(m.ones(6), 0.5, None),
    "feature_dropout_2d": lambda m: m.feature_dropout(m.ones(4, 6), 0.5, True),
    "feature_dropout_4d": lambda m: m.feature_dropout(m.ones(2, 5, 2, 3), 0.5, True),
    "alpha_dropout": lambda m: m.alpha_dropout(m.ones(10), 0.4, True),
    "feature_alpha_dropout": lambda m: m.feature_alpha_dropout(m.ones(3, 4, 2), 0.4, True),
    "rrelu_training": lambda m: m.rrelu(m.tensor([-1.0, 2.0, -3.0]), 0.1, 0.3, True),
    "rrelu_in_place_training": lambda m: m.rrelu_(m.tensor([-1.0, 2.0, -3.0]), 0.1, 0.3, True),
    "dropout_in_place_gradient": lambda m: (
        lambda x: m.autograd.grad(m.dropout_(x * 1, 0.5, True).sum(), x)
    )(m.ones(6, requires_grad=True)),
    "feature_dropout_in_place_gradient": lambda m: (
        lambda x: m.autograd.grad((m.feature_dropout_(x * 2, 0.5, True) ** 2).sum(), x)
    )(m.ones(3, 4, 2, requires_grad=True)),
}


@pytest.mark.parametrize("call", SEEDED.values(), ids=SEEDED.keys())
def test_top_level_random_calls_draw_as_pytorch(call: Callable[[Any], Any]) -> None:
    """The same seed gives the same masks and slopes as PyTorch's."""
    torch.manual_seed(5)
    expected = call(torch)
    cr.manual_seed(5)
    _same(expected, call(cr))


WINDOWS: dict[str, Callable[[Any, int, bool, Any], Any]] = {
    "hann": lambda m, n, periodic, dtype: m.hann_window(n, periodic, dtype=dtype),
    "hamming": lambda m, n, periodic, dtype: m.hamming_window(n, periodic, dtype=dtype),
    "hamming_alpha": lambda m, n, periodic, dtype: m.hamming_window(n, periodic, 0.3, dtype=dtype),
    "hamming_alpha_beta": lambda m, n, p, dtype: m.hamming_window(n, p, 0.6, 0.2, dtype=dtype),
    "blackman": lambda m, n, periodic, dtype: m.blackman_window(n, periodic, dtype=dtype),
    "bartlett": lambda m, n, periodic, dtype: m.bartlett_window(n, periodic, dtype=dtype),
    "kaiser": lambda m, n, periodic, dtype: m.kaiser_window(n, periodic, dtype=dtype),
    "kaiser_beta": lambda m, n, periodic, dtype: m.kaiser_window(n, periodic, 3.5, dtype=dtype),
}


@pytest.mark.parametrize("name", WINDOWS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_windows_give_pytorchs_values(name: str, dtype: str) -> None:
    """Every length from 0 to 40, periodic and symmetric, within two ulps of PyTorch's
    (Kaiser's within a few relative ulps: I0 near beta = 12 multiplies its argument's
    rounding by about beta)."""
    window = WINDOWS[name]
    rtol = 16 * np.finfo(dtype).eps if name.startswith("kaiser") else 0
    for n in range(41):
        for periodic in (True, False):
            expected = window(torch, n, periodic, getattr(torch, dtype)).numpy()
            got = window(cr, n, periodic, getattr(cr, dtype)).numpy()
            assert got.dtype == expected.dtype and got.shape == expected.shape
            np.testing.assert_allclose(got, expected, rtol=rtol, atol=2 * np.finfo(dtype).eps)


WINDOW_CALLS: dict[str, Callable[[Any], Any]] = {
    "hann_default_dtype": lambda m: m.hann_window(5),
    "hann_keyword_periodic": lambda m: m.hann_window(6, periodic=False),
    "hann_requires_grad": lambda m: m.hann_window(4, requires_grad=True).requires_grad,
    "hann_float16": lambda m: m.hann_window(2, dtype=m.float16),
    "kaiser_keywords": lambda m: m.kaiser_window(7, periodic=True, beta=2.0, dtype=m.float64),
    "bartlett_one": lambda m: m.bartlett_window(1, dtype=m.float64),
    "blackman_empty": lambda m: m.blackman_window(0),
    "negative_length_refused": lambda m: m.hann_window(-1),
    "integer_dtype_refused": lambda m: m.hamming_window(3, dtype=m.int64),
    "float_length_refused": lambda m: m.blackman_window(3.0),
}


@pytest.mark.parametrize("call", WINDOW_CALLS.values(), ids=WINDOW_CALLS.keys())
def test_window_arguments_match_pytorch(call: Callable[[Any], Any]) -> None:
    _check(call)


QUERIES: dict[str, Callable[[Any], Any]] = {
    "is_tensor": lambda m: (m.is_tensor(m.ones(1)), m.is_tensor(3), m.is_tensor([1.0])),
    "is_tensor_parameter": lambda m: m.is_tensor(m.nn.Parameter(m.ones(1))),
    "is_storage_of_a_tensor": lambda m: m.is_storage(m.ones(2)),
    "is_floating_point": lambda m: (
        m.is_floating_point(m.ones(1)),
        m.is_floating_point(m.ones(1, dtype=m.int32)),
    ),
    "is_floating_point_of_a_number_refused": lambda m: m.is_floating_point(3),
    "is_complex": lambda m: m.is_complex(m.ones(1)),
    "is_complex_of_a_list_refused": lambda m: m.is_complex([1.0]),
    "is_signed": lambda m: tuple(
        m.is_signed(m.ones(1, dtype=d)) for d in (m.uint8, m.int8, m.bool, m.float16)
    ),
    "is_inference": lambda m: m.is_inference(m.ones(1)),
    "is_inference_mode_enabled": lambda m: m.is_inference_mode_enabled(),
    "promote_types": lambda m: tuple(
        m.promote_types(a, b)
        for a, b in [
            (m.int32, m.float16),
            (m.uint8, m.int8),
            (m.bool, m.uint8),
            (m.int64, m.float32),
            (m.float16, m.float64),
            (m.bool, m.bool),
            (m.uint8, m.int64),
        ]
    ),
    "promote_types_of_a_number_refused": lambda m: m.promote_types(m.int32, 3),
    "result_type": lambda m: tuple(
        m.result_type(a, b)
        for a, b in [
            (m.ones(2, dtype=m.int32), 2.5),
            (2, 2.5),
            (m.tensor(1.0, dtype=m.float16), 2.5),
            (m.tensor(1, dtype=m.int32), m.tensor([1], dtype=m.uint8)),
            (True, 3),
            (m.tensor([True]), 3),
            (m.tensor(1, dtype=m.int64), m.ones(2, dtype=m.int8)),
            (m.tensor(1.0, dtype=m.float64), m.ones(2, dtype=m.int8)),
            (m.ones(2, dtype=m.float16), m.tensor(1.0, dtype=m.float64)),
            (3, m.tensor([1], dtype=m.uint8)),
        ]
    ),
    "result_type_of_a_string_refused": lambda m: m.result_type(m.ones(2), "a"),
    "can_cast": lambda m: tuple(
        m.can_cast(a, b)
        for a, b in [
            (m.float32, m.int32),
            (m.int64, m.uint8),
            (m.int32, m.bool),
            (m.bool, m.float16),
            (m.float64, m.float16),
        ]
    ),
    "can_cast_of_a_number_refused": lambda m: m.can_cast(1, m.bool),
    "typename": lambda m: (m.typename(m.ones(2)), m.typename(m.ones(2, dtype=m.int64))),
    "typename_of_others": lambda m: (m.typename(3), m.typename("s"), m.typename(len)),
    "typename_of_a_parameter": lambda m: m.typename(m.nn.Parameter(m.ones(2))),
    "compiled_with_cxx11_abi": lambda m: m.compiled_with_cxx11_abi(),
    "is_vulkan_available": lambda m: m.is_vulkan_available(),
    "is_autocast_enabled": lambda m: m.is_autocast_enabled(),
    "init_num_threads": lambda m: m.init_num_threads(),
    "set_num_threads_zero_refused": lambda m: m.set_num_threads(0),
    "set_num_threads_float_refused": lambda m: m.set_num_threads(2.0),
    "set_num_interop_threads_negative_refused": lambda m: m.set_num_interop_threads(-1),
    "use_deterministic_algorithms_int_refused": lambda m: m.use_deterministic_algorithms(1),
    "set_deterministic_debug_mode_bad_name_refused": lambda m: m.set_deterministic_debug_mode(
        "bad"
    ),
    "set_deterministic_debug_mode_bad_number_refused": lambda m: m.set_deterministic_debug_mode(5),
    "set_default_tensor_type_long_refused": lambda m: m.set_default_tensor_type("torch.LongTensor"),
    "set_default_tensor_type_unknown_refused": lambda m: m.set_default_tensor_type("torch.Foo"),
    "set_default_tensor_type_number_refused": lambda m: m.set_default_tensor_type(3),
}


def _names(result: Any) -> Any:
    """dtypes and legacy type names by their last word, so torch's and chainrule's compare."""
    if isinstance(result, tuple):
        return tuple(_names(r) for r in result)
    if isinstance(result, torch.dtype | cr.dtype):
        return str(result).split(".")[-1]
    if isinstance(result, str):
        return result.replace("torch.", "").replace("chainrule.", "")
    return result


@pytest.mark.parametrize("call", QUERIES.values(), ids=QUERIES.keys())
def test_queries_match_pytorch(call: Callable[[Any], Any]) -> None:
    try:
        expected = call(torch)
    except Exception as error:  # noqa: BLE001 - the type and message are compared
        with pytest.raises(type(error)) as got:
            call(cr)
        first = str(got.value).splitlines()[0].replace("chainrule.", "torch.")
        assert first == str(error).splitlines()[0]
        return
    assert _names(call(cr)) == _names(expected)


# A setting, then what the queries report: (set, read), run on both libraries and undone.
SETTINGS: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
    "deterministic_on": (
        lambda m: m.use_deterministic_algorithms(True),
        lambda m: (
            m.are_deterministic_algorithms_enabled(),
            m.is_deterministic_algorithms_warn_only_enabled(),
            m.get_deterministic_debug_mode(),
        ),
    ),
    "deterministic_warn_only": (
        lambda m: m.use_deterministic_algorithms(True, warn_only=True),
        lambda m: (
            m.are_deterministic_algorithms_enabled(),
            m.is_deterministic_algorithms_warn_only_enabled(),
            m.get_deterministic_debug_mode(),
        ),
    ),
    "debug_mode_warn": (
        lambda m: m.set_deterministic_debug_mode("warn"),
        lambda m: (m.are_deterministic_algorithms_enabled(), m.get_deterministic_debug_mode()),
    ),
    "debug_mode_error_number": (
        lambda m: m.set_deterministic_debug_mode(2),
        lambda m: (
            m.is_deterministic_algorithms_warn_only_enabled(),
            m.get_deterministic_debug_mode(),
        ),
    ),
    "matmul_precision_high": (
        lambda m: m.set_float32_matmul_precision("high"),
        lambda m: m.get_float32_matmul_precision(),
    ),
    "warn_always": (lambda m: m.set_warn_always(True), lambda m: m.is_warn_always_enabled()),
    "anomaly_on": (
        lambda m: m.set_anomaly_enabled(True),
        lambda m: (m.is_anomaly_enabled(), m.is_anomaly_check_nan_enabled()),
    ),
    "anomaly_without_nan_check": (
        lambda m: m.set_anomaly_enabled(True, False),
        lambda m: (m.is_anomaly_enabled(), m.is_anomaly_check_nan_enabled()),
    ),
    "default_tensor_type_double": (  # warn_always: PyTorch warns once a process otherwise
        lambda m: (m.set_warn_always(True), m.set_default_tensor_type("torch.DoubleTensor")),
        lambda m: (m.get_default_dtype(), m.ones(1).dtype, m.tensor([1.5]).dtype),
    ),
    "inference_mode_block": (
        lambda m: None,
        lambda m: (
            lambda c: (c.__enter__(), m.is_inference_mode_enabled(), c.__exit__(None, None, None))
        )(m.inference_mode())[1],
    ),
}


def _undo(m: Any) -> None:
    m.set_warn_always(False)
    m.use_deterministic_algorithms(False)
    m.set_float32_matmul_precision("highest")
    m.set_warn_always(False)
    m.set_anomaly_enabled(False)
    m.set_default_dtype(m.float32)


@pytest.mark.parametrize("case", SETTINGS.values(), ids=SETTINGS.keys())
def test_settings_read_back_as_pytorchs(case: tuple[Callable[..., Any], Any]) -> None:
    change, read = case
    results = []
    for m in (torch, cr):
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                change(m)
            results.append(
                (_names(read(m)), [str(w.message).split(" (Triggered")[0] for w in caught])
            )
        finally:
            _undo(m)
    assert results[1] == results[0]
    assert read(cr) == read(cr)  # undone: a second read sees the defaults again


def test_settings_defaults_match_pytorchs() -> None:
    def read(m: Any) -> Any:
        return (
            m.are_deterministic_algorithms_enabled(),
            m.is_deterministic_algorithms_warn_only_enabled(),
            m.get_deterministic_debug_mode(),
            m.get_float32_matmul_precision(),
            m.is_warn_always_enabled(),
            m.is_anomaly_enabled(),
            m.is_anomaly_check_nan_enabled(),
            m.is_inference_mode_enabled(),
        )

    assert read(cr) == read(torch)


def test_anomaly_mode_set_at_the_top_level_is_autograds() -> None:
    try:
        cr.set_anomaly_enabled(True)
        assert cr.autograd.is_anomaly_enabled()
        with pytest.raises(RuntimeError, match="returned nan values in its forward output"):
            cr.log(cr.tensor(-1.0, requires_grad=True))
    finally:
        cr.set_anomaly_enabled(False)
    assert not cr.autograd.is_anomaly_enabled()


def test_thread_counts_read_back() -> None:
    before, interop = cr.get_num_threads(), cr.get_num_interop_threads()
    try:
        cr.set_num_threads(1)
        cr.set_num_interop_threads(3)
        assert (cr.get_num_threads(), cr.get_num_interop_threads()) == (1, 3)
        assert (cr.ones(200, 300) @ cr.ones(300, 200)).sum().item() == 300 * 200 * 200
    finally:
        cr.set_num_threads(before)
        cr.set_num_interop_threads(interop)
    assert cr.get_num_threads() == before


def test_inference_mode_flag_follows_blocks_and_decorators() -> None:
    @cr.inference_mode()
    def inside() -> bool:
        return cr.is_inference_mode_enabled()

    @cr.inference_mode
    def bare() -> bool:
        with cr.inference_mode(False):
            inner = cr.is_inference_mode_enabled()
        return cr.is_inference_mode_enabled() and not inner

    assert inside() and bare() and not cr.is_inference_mode_enabled()


def test_flush_denormal_is_not_available() -> None:
    """NumPy cannot flush denormals: False, the answer PyTorch gives where it cannot."""
    assert cr.set_flush_denormal(True) is False
    assert cr.tensor([1e-40]).item() != 0


CONSTRUCTORS: dict[str, Callable[[Any], Any]] = {
    "asarray_of_a_tensor_is_itself": lambda m: (lambda x: m.asarray(x) is x)(m.ones(3)),
    "asarray_of_a_tensor_converted": lambda m: m.asarray(m.ones(3), dtype=m.float64),
    "asarray_of_a_tensor_copied": lambda m: (lambda x: m.asarray(x, copy=True) is x)(m.ones(3)),
    "asarray_no_copy_of_another_dtype_refused": lambda m: m.asarray(
        m.ones(3), copy=False, dtype=m.float64
    ),
    "asarray_of_numpy_keeps_its_dtype": lambda m: m.asarray(np.arange(3.0)),
    "asarray_of_numpy_converted": lambda m: m.asarray(np.arange(3.0), dtype=m.float32),
    "asarray_of_numpy_no_copy_refused": lambda m: m.asarray(
        np.arange(3.0), dtype=m.float32, copy=False
    ),
    "asarray_of_numpy_integers_requiring_grad_refused": lambda m: m.asarray(
        np.arange(3), requires_grad=True
    ),
    "asarray_of_a_numpy_scalar": lambda m: m.asarray(np.float64(2.5)),
    "asarray_of_a_numpy_float32_scalar": lambda m: m.asarray(np.float32(2.5)),
    "asarray_of_a_list": lambda m: m.asarray([1, 2.5]),
    "asarray_of_integers": lambda m: m.asarray([1, 2]),
    "asarray_of_a_bool": lambda m: m.asarray(True),
    "asarray_of_a_number_with_dtype": lambda m: m.asarray(3.5, dtype=m.float64),
    "asarray_of_a_list_requiring_grad": lambda m: m.asarray([1.0, 2.0], requires_grad=True),
    "asarray_of_a_list_no_copy_refused": lambda m: m.asarray([1, 2], copy=False),
    "asarray_of_bytes_refused": lambda m: m.asarray(bytearray(b"ab")),
    "asarray_of_an_array_array": lambda m: m.asarray(array.array("f", [1.0, 2.0])),
    "asarray_of_an_array_array_reinterpreted": lambda m: m.asarray(
        array.array("f", [1.0, 2.0]), dtype=m.int32
    ),
    "asarray_of_a_string_refused": lambda m: m.asarray("s"),
    "frombuffer": lambda m: m.frombuffer(bytearray(b"abcd"), dtype=m.uint8),
    "frombuffer_floats": lambda m: m.frombuffer(array.array("d", [1.5, -2.0]), dtype=m.float64),
    "frombuffer_count_offset": lambda m: m.frombuffer(
        array.array("f", [1.0, 2.0, 3.0]), dtype=m.float32, count=1, offset=4
    ),
    "frombuffer_requires_grad": lambda m: (
        m.frombuffer(bytearray(8), dtype=m.float32, requires_grad=True).requires_grad
    ),
    "frombuffer_ragged_refused": lambda m: m.frombuffer(bytearray(7), dtype=m.float32),
    "frombuffer_empty_refused": lambda m: m.frombuffer(bytearray(0), dtype=m.float32),
    "frombuffer_count_too_large_refused": lambda m: m.frombuffer(
        bytearray(8), dtype=m.float32, count=3
    ),
    "frombuffer_offset_too_large_refused": lambda m: m.frombuffer(
        bytearray(8), dtype=m.float32, offset=9
    ),
    "frombuffer_negative_offset_refused": lambda m: m.frombuffer(
        bytearray(8), dtype=m.float32, offset=-1
    ),
    "frombuffer_of_a_list_refused": lambda m: m.frombuffer([1, 2], dtype=m.uint8),
    "empty_strided": lambda m: (lambda t: (t.shape, t.stride(), t.dtype))(
        m.empty_strided((2, 3), (1, 2))
    ),
    "empty_strided_dtype": lambda m: (m.empty_strided((2, 3), (3, 1), dtype=m.int64).dtype,),
    "empty_strided_requires_grad": lambda m: (
        m.empty_strided((2,), (1,), requires_grad=True).requires_grad
    ),
    "empty_strided_dims_refused": lambda m: m.empty_strided((2, 3), (1,)),
    "empty_strided_negative_refused": lambda m: m.empty_strided((2, 3), (-1, 2)),
    "empty_permuted": lambda m: (lambda t: (t.shape, t.stride()))(
        m.empty_permuted((2, 3, 4), (0, 2, 1))
    ),
    "empty_permuted_channels_last": lambda m: m.empty_permuted((2, 3, 4, 5), (0, 2, 3, 1)).stride(),
    "empty_permuted_length_refused": lambda m: m.empty_permuted((2, 3, 4), (0, 2)),
    "empty_permuted_duplicate_refused": lambda m: m.empty_permuted((2, 3, 4), (0, 2, 2)),
    "scalar_tensor_of_an_int": lambda m: m.scalar_tensor(3),
    "scalar_tensor_of_a_bool": lambda m: m.scalar_tensor(True),
    "scalar_tensor_cut_to_an_int": lambda m: m.scalar_tensor(2.5, dtype=m.int64),
    "scalar_tensor_negative_cut": lambda m: m.scalar_tensor(-2.5, dtype=m.int32),
    "scalar_tensor_requires_grad": lambda m: m.scalar_tensor(2.5, requires_grad=True),
    "range": lambda m: m.range(1, 4),
    "range_tenths": lambda m: m.range(0, 1, 0.1),
    "range_float64": lambda m: m.range(0, 1, 0.3, dtype=m.float64),
    "range_integers": lambda m: m.range(1, 4, dtype=m.int64),
    "range_integers_cut": lambda m: m.range(0.5, 4.9, 1.5, dtype=m.int64),
    "range_down": lambda m: m.range(4, 1, -1),
    "range_one_value": lambda m: m.range(2, 2),
    "range_step_zero_refused": lambda m: m.range(1, 4, 0),
    "range_wrong_sign_refused": lambda m: m.range(4, 1),
    "range_requires_grad": lambda m: m.range(0, 2, requires_grad=True),
}


@pytest.mark.parametrize("call", CONSTRUCTORS.values(), ids=CONSTRUCTORS.keys())
def test_constructors_match_pytorch(call: Callable[[Any], Any]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # range's deprecation: checked below
        try:
            expected = call(torch)
        except Exception as error:  # noqa: BLE001 - the type and message are compared
            with pytest.raises(type(error)) as got:
                call(cr)
            assert str(got.value).splitlines()[0] == str(error).splitlines()[0]
            return
        got = call(cr)
    if isinstance(expected, tuple):
        expected, got = _names(tuple(expected)), _names(tuple(got))
        assert str(got).replace("chainrule.", "") == str(expected).replace("torch.", "")
        return
    _same(expected, got)
    if isinstance(expected, torch.Tensor):
        assert got.requires_grad == expected.requires_grad


def test_asarray_shares_memory_as_pytorch() -> None:
    a = np.arange(3.0)
    shared, copied = cr.asarray(a), cr.asarray(a, copy=True)
    a[0] = 7.0
    assert shared[0].item() == 7.0 and copied[0].item() == 0.0
    buffer = bytearray(8)
    view = cr.asarray(buffer, dtype=cr.uint8)
    buffer[1] = 5
    assert view.tolist()[:2] == [0, 5]
    x = cr.ones(2)
    assert cr.asarray(x, requires_grad=True) is x and x.requires_grad


def test_asarray_copies_of_a_tensor_keep_the_gradient() -> None:
    grads = []
    for m in (torch, cr):
        x = m.tensor([1.0, 2.0], requires_grad=True)
        y = m.asarray(x, dtype=m.float64) * m.asarray(x, copy=True)
        grads.append(m.autograd.grad(y.sum(), x)[0].tolist())
    assert grads[0] == grads[1] == [2.0, 4.0]


def test_frombuffer_shares_and_bytes_warn_as_pytorch() -> None:
    data = array.array("f", [1.0, 2.0])
    t = cr.frombuffer(data, dtype=cr.float32)
    data[0] = 9.0
    assert t.tolist() == [9.0, 2.0]
    with pytest.warns(UserWarning, match="The given buffer is not writable"):
        # a fresh module state: the warning is given once a process, as PyTorch's
        import chainrule.constructors as constructors

        constructors._warned_not_writable = False
        cr.frombuffer(b"ab", dtype=cr.uint8)


def test_range_warns_deprecation_and_includes_the_end() -> None:
    with pytest.warns(UserWarning, match="torch.range is deprecated") as caught:
        assert cr.range(0, 2).tolist() == [0.0, 1.0, 2.0]
        assert cr.range(0, 2, out=cr.empty(0)).tolist() == [0.0, 1.0, 2.0]
    # at the caller's line, as PyTorch's, also through out='s wrapper
    assert [w.filename for w in caught] == [__file__] * 2


def test_empty_strided_writes_land_where_its_strides_say() -> None:
    for m in (torch, cr):
        t = m.empty_strided((2, 3), (1, 2))
        t.copy_(m.arange(6.0).reshape(2, 3))
        assert t.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
        assert t.t().is_contiguous()


def _rnn_weights(
    gates: int, sizes: tuple[int, int], layers: int, directions: int, bias: bool
) -> list[np.ndarray]:
    """PyTorch's flat weight list: per layer and direction w_ih, w_hh (then b_ih, b_hh)."""
    n_in, hidden = sizes
    weights = []
    for layer in range(layers):
        width = n_in if layer == 0 else hidden * directions
        for _ in range(directions):
            weights += [_data(gates * hidden, width), _data(gates * hidden, hidden)]
            weights += [_data(gates * hidden), _data(gates * hidden)] if bias else []
    return weights


RNNS: dict[str, tuple[str, int, int, bool, bool, bool]] = {
    # name: (function, gates, layers, bidirectional, biases, batch_first)
    "lstm": ("lstm", 4, 1, False, True, False),
    "lstm_two_layers_bidirectional": ("lstm", 4, 2, True, True, True),
    "gru_no_bias": ("gru", 3, 2, False, False, False),
    "gru_bidirectional": ("gru", 3, 1, True, True, True),
    "rnn_tanh": ("rnn_tanh", 1, 2, True, True, False),
    "rnn_relu": ("rnn_relu", 1, 1, False, False, True),
}


@pytest.mark.parametrize("case", RNNS.values(), ids=RNNS.keys())
def test_recurrent_sequences_match_pytorch(case: tuple[Any, ...]) -> None:
    """Outputs, final states and the gradients of the input, the states and every weight."""
    name, gates, layers, bidirectional, bias, batch_first = case
    directions = 2 if bidirectional else 1
    weights = _rnn_weights(gates, (3, 4), layers, directions, bias)
    x = _data(5, 2, 3)
    states = [_data(layers * directions, 5 if batch_first else 2, 4)]
    states += [_data(*states[0].shape)] if name == "lstm" else []
    results = []
    for m in (torch, cr):
        tensors = [_t(m, a) for a in (x, *states, *weights)]
        inputs, hx, params = tensors[0], tensors[1 : 1 + len(states)], tensors[1 + len(states) :]
        hx = tuple(hx) if name == "lstm" else hx[0]
        out = getattr(m, name)(
            inputs, hx, params, bias, layers, 0.0, False, bidirectional, batch_first
        )
        total = sum(
            (o * m.tensor(np.linspace(-1, 1, o.numel())).reshape(o.shape)).sum() for o in out
        )
        results.append((out, list(m.autograd.grad(total, tensors))))
    _same(results[0][0], results[1][0])
    _same(results[0][1], results[1][1])


def test_recurrent_dropout_between_layers_draws_as_pytorch() -> None:
    weights, x = _rnn_weights(4, (3, 4), 2, 1, True), _data(5, 2, 3)
    outs = []
    for m in (torch, cr):
        m.manual_seed(3)
        params = [m.tensor(w) for w in weights]
        h = m.zeros(2, 2, 4, dtype=m.float64)
        outs.append(m.lstm(m.tensor(x), (h, h), params, True, 2, 0.5, True, False, False))
    _same(outs[0], outs[1])


def test_to_dlpack_capsule_is_read_by_pytorch() -> None:
    x = cr.arange(3.0)
    shared = torch.from_dlpack(cr.to_dlpack(x))
    x.add_(1)
    assert shared.tolist() == [1.0, 2.0, 3.0]


# ---------------------------------------------------------------- a Python number as the tensor
def _refusal(lib: Any, name: str, value: Any) -> str:
    """What ``lib.<name>(value)`` raises (type and first line), or ``"no error"``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            getattr(lib, name)(value)
        except Exception as e:  # noqa: BLE001 - the error is what is compared
            return f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
    return "no error"


# every function both libraries export, but those that change the process's state (a number
# may be a valid setting: torch.set_printoptions(0.5) changes how later tests print)
SHARED_FUNCTIONS = sorted(
    n
    for n in dir(cr)
    if not n.startswith(("_", "set_", "use_", "manual_seed", "seed", "save", "load", "compile"))
    and callable(getattr(cr, n))
    and callable(getattr(torch, n, None))
    and not isinstance(getattr(torch, n), type)
)


# PyTorch's internal batch-norm kernels and native_norm: chainrule refuses them whatever they
# are given, with PyTorch's error for a tensor (no CPU kernel)
NO_CPU_KERNEL = {"native_norm"} | {n for n in SHARED_FUNCTIONS if n.startswith("batch_norm_")}


@pytest.mark.parametrize("value", [0.5, 3, True])
def test_a_python_number_is_refused_where_pytorch_wants_a_tensor(value: Any) -> None:
    """``torch.sum(0.5)`` raises ``TypeError: sum(): argument 'input' (position 1) must be
    Tensor, not float``; chainrule's functions raised an AttributeError ('float' object has no
    attribute 'dtype') or gave a number back. Wherever PyTorch refuses a number as the first
    argument, chainrule raises a TypeError too: in PyTorch's words where it says the argument
    must be a tensor (the declared ops, chainrule._tensor_input's functions), and otherwise
    its own (called with one argument, chainrule says what else is missing; PyTorch checks
    types first)."""
    differ = {}
    for name in SHARED_FUNCTIONS:
        theirs = _refusal(torch, name, value)
        if "must be Tensor, not" not in theirs or name in NO_CPU_KERNEL:
            continue
        ours = _refusal(cr, name, value)
        if name in _tensor_input.NAMES or "must be Tensor" in ours:
            if _named_elsewhere(ours, theirs) != theirs:
                differ[name] = (ours, theirs)
        elif not ours.startswith("TypeError"):
            differ[name] = (ours, theirs)
    assert not differ


def _named_elsewhere(ours: str, theirs: str) -> str:
    """``ours`` with PyTorch's function name, where chainrule's names the op an alias stands
    for (``neg()`` for ``negative``, ``acosh()`` for ``arccosh``): PyTorch names the alias."""
    mine, _, rest = ours.partition("(): ")
    name = mine.removeprefix("TypeError: ")
    if rest and callable(getattr(cr, name, None)):
        return f"{theirs.partition('(): ')[0]}(): {rest}"
    return ours


def test_every_public_function_pickles_as_itself() -> None:
    """A model that keeps ``torch.mean`` or ``torch.matmul`` as an attribute pickles (torch.save
    of the whole module); chainrule's wrappers made for the top-level names (``out=``, the
    number check) were not found by pickle under their copied names."""
    import pickle

    public = [getattr(cr, n) for n in dir(cr) if not n.startswith("_")]
    functions = [f for f in public if callable(f) and not isinstance(f, type)]
    assert len(functions) > 500
    assert [f for f in functions if pickle.loads(pickle.dumps(f)) is not f] == []
