"""PyTorch's indexing, shape, comparison and metadata functions, run on torch and chainrule.

Each case is one call written once for both libraries (``L`` is ``torch`` or ``chainrule``,
``T`` makes one of its tensors from a NumPy array); the results must agree: values (NaN where
NaN), dtypes and shapes of tensors, plain values as they are, and errors by type and first
line (PyTorch's ``torch`` read as ``chainrule``). The gradients of the differentiable ones are
checked by their rows in ``tests/op_table_api.py``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import chainrule

RNG = np.random.default_rng(0)
NAN, INF = float("nan"), float("inf")


def _with_edges(shape: tuple[int, ...]) -> np.ndarray:
    """Random float32 values with a NaN, an infinity of each sign and a zero among them."""
    a = RNG.standard_normal(shape).astype(np.float32)
    a.flat[:4] = [NAN, INF, -INF, 0.0]
    return a


A = _with_edges((3, 4))
B = A.copy()
B.flat[4:8] += np.float32(1e-6)  # close, not equal
B.flat[8] = NAN
C = RNG.standard_normal((4,)).astype(np.float32)
INTS = RNG.integers(-3, 4, (3, 4))
MASK = RNG.random((3, 4)) < 0.5
CUBE = np.arange(24.0, dtype=np.float32).reshape(2, 3, 4)
EMPTY = np.zeros((0, 3), np.float32)

Case = Callable[[Any, Callable[[Any], Any]], Any]


def _compared(op: str) -> Case:
    """``A.op(B)`` through the method of that name."""
    return lambda L, T: getattr(T(A), op)(T(B))


CASES: dict[str, Case] = {
    # ---- comparisons as methods: broadcasting, scalars, NaN, mixed dtypes
    **{f"{op}_method": _compared(op) for op in ("eq", "ne", "gt", "ge", "lt", "le")},
    "gt_broadcast_row": lambda L, T: T(A).gt(T(C)),
    "le_scalar": lambda L, T: T(A).le(0.5),
    "eq_int_against_float": lambda L, T: T(INTS).eq(T(np.float32(1.0))),
    "ne_empty": lambda L, T: T(EMPTY).ne(T(EMPTY)),
    # ---- isclose, allclose, equal
    "isclose_default": lambda L, T: L.isclose(T(A), T(B)),
    "isclose_method_equal_nan": lambda L, T: T(A).isclose(T(B), equal_nan=True),
    "isclose_tolerances": lambda L, T: L.isclose(T(A), T(B), rtol=0.0, atol=1e-7),
    "isclose_zero_tolerance": lambda L, T: L.isclose(T(A), T(B), rtol=0, atol=0),
    "isclose_broadcast": lambda L, T: L.isclose(T(A), T(C)),
    "isclose_integers": lambda L, T: L.isclose(T(INTS), T(INTS + 1), rtol=0.5),
    "isclose_bools": lambda L, T: L.isclose(T(MASK), T(~MASK)),
    "isclose_dtypes_differ": lambda L, T: L.isclose(T(INTS), T(A)),
    "isclose_number_refused": lambda L, T: L.isclose(T(A), 1.0),
    "isclose_negative_rtol": lambda L, T: L.isclose(T(A), T(B), rtol=-1.0),
    "allclose_default": lambda L, T: L.allclose(T(A[1:]), T(B[1:2])),
    "allclose_nan": lambda L, T: T(A).allclose(T(A)),
    "allclose_equal_nan": lambda L, T: T(A).allclose(T(A), equal_nan=True),
    "allclose_broadcast": lambda L, T: L.allclose(T(C), T(np.tile(C, (2, 1)))),
    "allclose_shapes_do_not_broadcast": lambda L, T: L.allclose(T(A), T(C[:3])),
    "allclose_dtypes_differ": lambda L, T: L.allclose(T(A), T(A.astype(np.float64))),
    "equal_same": lambda L, T: L.equal(T(INTS), T(INTS.copy())),
    "equal_nan": lambda L, T: T(A).equal(T(A)),
    "equal_shapes_differ": lambda L, T: L.equal(T(C), T(C[None])),
    "equal_dtypes_differ": lambda L, T: L.equal(T(INTS), T(INTS.astype(np.float32))),
    "equal_empty": lambda L, T: L.equal(T(EMPTY), T(EMPTY)),
    # ---- masked_fill and in-place fills
    "masked_fill_function": lambda L, T: L.masked_fill(T(A), T(MASK), -1.5),
    "masked_fill_keeps_int_dtype": lambda L, T: T(INTS).masked_fill(T(MASK), 2.7),
    "masked_fill_broadcast_mask": lambda L, T: T(C).masked_fill(T(MASK), 0.0),
    "masked_fill_tensor_value": lambda L, T: T(A).masked_fill(T(MASK), T(np.float64(3.0))),
    "masked_fill_int_mask": lambda L, T: T(A).masked_fill(T(INTS), 0.0),
    "masked_fill_value_of_one_dimension": lambda L, T: T(A).masked_fill(T(MASK), T(C[:1])),
    "masked_fill_overflow": lambda L, T: T(INTS).masked_fill(T(MASK), INF),
    "masked_fill_list_mask": lambda L, T: L.masked_fill(T(A), [True], 0.0),
    "masked_fill_in_place": lambda L, T: _after(T(A), lambda t: t.masked_fill_(T(MASK), NAN)),
    "masked_fill_in_place_broadcasts_out": lambda L, T: T(C).masked_fill_(T(MASK), 0.0),
    "masked_fill_in_place_own_element": lambda L, T: _after(
        T(A), lambda t: t.masked_fill_(T(MASK), t[2, 2])
    ),
    # ---- scatter
    "scatter_src": lambda L, T: T(A).scatter(1, T(np.array([[1, 0], [3, 2]])), T(CUBE[0, :2, :2])),
    "scatter_value": lambda L, T: L.scatter(T(A), 0, T(np.array([[2, 0, 1]])), 7.0),
    "scatter_value_keyword": lambda L, T: L.scatter(T(A), 0, T(np.array([[2]])), value=-1),
    "scatter_int32_index": lambda L, T: T(A).scatter(1, T(np.array([[3]], np.int32)), 1.0),
    "scatter_in_place": lambda L, T: _after(
        T(A), lambda t: t.scatter_(0, T(np.array([[1, 2, 0, 1]])), T(C[None]))
    ),
    "scatter_0d": lambda L, T: L.scatter(T(np.float32(1)), 0, T(np.int64(0)), T(np.float32(5))),
    "scatter_empty_index": lambda L, T: T(A).scatter(1, T(np.zeros((0, 1), np.int64)), T(C)),
    "scatter_float_index": lambda L, T: T(A).scatter(1, T(np.array([[0.0]])), 1.0),
    "scatter_src_dtype": lambda L, T: T(A).scatter(1, T(np.array([[0]])), T(np.ones((1, 1)))),
    "scatter_index_dims": lambda L, T: T(A).scatter(1, T(np.array([0])), 1.0),
    "scatter_index_too_big": lambda L, T: T(A).scatter(1, T(np.zeros((4, 1), np.int64)), 1.0),
    "scatter_src_too_small": lambda L, T: T(A).scatter(
        1, T(np.zeros((2, 2), np.int64)), T(np.ones((1, 2), np.float32))
    ),
    "scatter_src_0d": lambda L, T: T(A).scatter(1, T(np.array([[0]])), T(np.float32(5))),
    "scatter_src_more_dims": lambda L, T: T(A).scatter(1, T(np.array([[0]])), T(CUBE)),
    "scatter_src_fewer_dims": lambda L, T: T(A).scatter(0, T(np.array([[0], [1]])), T(C)),
    "scatter_add_src_0d": lambda L, T: T(A).scatter_add(1, T(np.array([[0]])), T(np.float32(5))),
    "scatter_out_of_range": lambda L, T: T(A).scatter(1, T(np.array([[4]])), 1.0),
    "scatter_negative": lambda L, T: T(A).scatter(1, T(np.array([[-1]])), 1.0),
    "scatter_add_in_place": lambda L, T: _after(
        T(A), lambda t: t.scatter_add_(1, T(np.array([[0, 0, 1]])), T(CUBE[0, :1, :3]))
    ),
    "scatter_add_src_larger": lambda L, T: T(A).scatter_add(0, T(np.array([[0, 2]])), T(CUBE[0])),
    # ---- index_add, index_copy, index_fill
    "index_add_repeats": lambda L, T: L.index_add(
        T(A), 0, T(np.array([2, 0, 2, 2])), T(CUBE[0].T.copy())
    ),
    "index_add_alpha": lambda L, T: T(A).index_add(1, T(np.array([3, 1])), T(A[:, :2]), alpha=2),
    "index_add_in_place": lambda L, T: _after(
        T(INTS), lambda t: t.index_add_(0, T(np.array([1], np.int32)), T(INTS[:1]))
    ),
    "index_add_0d": lambda L, T: L.index_add(T(np.float32(1)), 0, T(np.array([0])), T(C[:1])),
    "index_add_count": lambda L, T: T(A).index_add(1, T(np.array([0, 2])), T(A[:, :3])),
    "index_add_dtype": lambda L, T: T(A).index_add(1, T(np.array([0])), T(INTS[:, :1])),
    "index_add_index_dims": lambda L, T: T(A).index_add(1, T(np.array([[0]])), T(A[:, :1])),
    "index_add_float_index": lambda L, T: T(A).index_add(1, T(np.array([0.0])), T(A[:, :1])),
    "index_add_out_of_range": lambda L, T: T(A).index_add(1, T(np.array([4])), T(A[:, :1])),
    "index_add_source_shape": lambda L, T: T(A).index_add(1, T(np.array([0])), T(A[:2, :1])),
    "index_add_source_dims": lambda L, T: T(A).index_add(1, T(np.array(1)), T(A[:, 0])),
    "index_copy": lambda L, T: L.index_copy(T(A), 1, T(np.array([3, 0])), T(CUBE[0, :, :2])),
    "index_copy_in_place": lambda L, T: _after(
        T(A), lambda t: t.index_copy_(0, T(np.array([2])), T(C[None]))
    ),
    "index_copy_int32_index": lambda L, T: T(A).index_copy(
        1, T(np.array([0], np.int32)), T(A[:, :1])
    ),
    "index_copy_negative": lambda L, T: T(A).index_copy(1, T(np.array([-1])), T(A[:, :1])),
    "index_copy_slice_shapes": lambda L, T: T(CUBE).index_copy(
        1, T(np.array([0, 1])), T(CUBE[:, :2, :3].copy())
    ),
    "index_copy_dims": lambda L, T: T(A).index_copy(1, T(np.array([0])), T(C)),
    "index_fill": lambda L, T: L.index_fill(T(A), 1, T(np.array([3, -4])), NAN),
    "index_fill_tensor_value": lambda L, T: T(INTS).index_fill(0, T(np.array([1])), T(np.int64(9))),
    "index_fill_in_place": lambda L, T: _after(
        T(A), lambda t: t.index_fill_(0, T(np.array([0, 0])), -INF)
    ),
    "index_fill_0d": lambda L, T: L.index_fill(T(np.float32(1)), 0, T(np.array([0, 0])), 2.0),
    "index_fill_out_of_range": lambda L, T: T(A).index_fill(1, T(np.array([4])), 0.0),
    "index_fill_int32_index": lambda L, T: T(A).index_fill(1, T(np.array([0], np.int32)), 0.0),
    "index_fill_value_dims": lambda L, T: T(A).index_fill(1, T(np.array([0])), T(C)),
    # ---- take, take_along_dim
    "take": lambda L, T: L.take(T(A), T(np.array([[0, -1], [11, 5]]))),
    "take_out_of_range": lambda L, T: T(A).take(T(np.array([12]))),
    "take_int32": lambda L, T: T(A).take(T(np.array([1], np.int32))),
    "take_from_empty": lambda L, T: T(EMPTY).take(T(np.array([0]))),
    "take_along_dim": lambda L, T: L.take_along_dim(T(A), T(np.argsort(A, 1)), 1),
    "take_along_dim_broadcast": lambda L, T: L.take_along_dim(T(A), T(np.array([[0, -1]])), 1),
    "take_along_dim_flat": lambda L, T: T(A).take_along_dim(T(np.array([[5, 0]]))),
    "take_along_dim_dims": lambda L, T: L.take_along_dim(T(A), T(np.array([0])), 1),
    "take_along_dim_int32": lambda L, T: L.take_along_dim(T(A), T(np.array([[0]], np.int32)), 1),
    # ---- slices and dimensions
    "narrow": lambda L, T: L.narrow(T(CUBE), 2, -3, 2),
    "narrow_tensor_start": lambda L, T: T(CUBE).narrow(1, T(np.int64(1)), 2),
    "narrow_empty_at_end": lambda L, T: T(CUBE).narrow(1, 3, 0),
    "narrow_start_out_of_range": lambda L, T: T(CUBE).narrow(1, 4, 0),
    "narrow_too_long": lambda L, T: T(CUBE).narrow(1, 2, 2),
    "narrow_negative_length": lambda L, T: T(CUBE).narrow(1, 0, -1),
    "narrow_0d": lambda L, T: L.narrow(T(np.float32(1)), 0, 0, 1),
    "select": lambda L, T: L.select(T(CUBE), -1, -4),
    "select_out_of_range": lambda L, T: T(CUBE).select(2, 4),
    "select_0d": lambda L, T: L.select(T(np.float32(1)), 0, 0),
    "movedim": lambda L, T: L.movedim(T(CUBE), (0, -1), (-1, 0)),
    "moveaxis_method": lambda L, T: T(CUBE).moveaxis(1, 0),
    "movedim_counts": lambda L, T: T(CUBE).movedim([0, 1], [0]),
    "movedim_repeated": lambda L, T: T(CUBE).movedim([0, -3], [1, 2]),
    "movedim_out_of_range": lambda L, T: T(CUBE).movedim(3, 0),
    "swapdims": lambda L, T: L.swapdims(T(CUBE), 0, -1),
    "swapdims_method": lambda L, T: T(CUBE).swapdims(1, 2),
    "unflatten": lambda L, T: L.unflatten(T(CUBE), 2, (2, -1)),
    "unflatten_transposed": lambda L, T: T(A).t().unflatten(0, (2, 2)),
    "unflatten_sizes": lambda L, T: T(CUBE).unflatten(1, (2, 2)),
    "unflatten_empty_sizes": lambda L, T: T(CUBE).unflatten(1, ()),
    "ravel": lambda L, T: L.ravel(T(A).t()),
    "ravel_0d": lambda L, T: L.ravel(T(np.float32(2))),
    "numel": lambda L, T: (L.numel(T(CUBE)), L.numel(T(EMPTY))),
    "tile": lambda L, T: L.tile(T(A), (2,)),
    "tile_more": lambda L, T: T(C).tile(2, 1, 2),
    "tile_0d": lambda L, T: L.tile(T(np.float32(1)), ()),
    "repeat_interleave_int": lambda L, T: T(CUBE).repeat_interleave(2, dim=-2),
    "repeat_interleave_flat": lambda L, T: L.repeat_interleave(T(A), 2),
    "repeat_interleave_counts": lambda L, T: T(C).repeat_interleave(T(np.array([1, 0, 2, 1]))),
    "repeat_interleave_one_count": lambda L, T: T(C).repeat_interleave(T(np.array([2]))),
    "repeat_interleave_0d": lambda L, T: T(np.float32(3)).repeat_interleave(2),
    "repeat_interleave_indices": lambda L, T: L.repeat_interleave(T(np.array([2, 0, 3]))),
    "repeat_interleave_output_size": lambda L, T: T(C).repeat_interleave(2, output_size=8),
    "repeat_interleave_bad_output_size": lambda L, T: T(C).repeat_interleave(2, output_size=5),
    "repeat_interleave_count_size": lambda L, T: T(C).repeat_interleave(T(np.array([1, 2]))),
    "repeat_interleave_negative": lambda L, T: T(C).repeat_interleave(-1),
    "repeat_interleave_negative_count": lambda L, T: T(C).repeat_interleave(
        T(np.array([1, -1, 1, 1]))
    ),
    "repeat_interleave_float_counts": lambda L, T: T(C).repeat_interleave(T(C)),
    # ---- diagonals
    "diagonal": lambda L, T: T(CUBE).diagonal(),
    "diagonal_offset_dims": lambda L, T: L.diagonal(T(CUBE), -1, -1, 0),
    "diagonal_past_the_end": lambda L, T: T(CUBE).diagonal(5),
    "diagonal_same_dims": lambda L, T: T(CUBE).diagonal(0, 1, 1),
    "diagonal_0d": lambda L, T: L.diagonal(T(np.float32(1))),
    "diagonal_strides": lambda L, T: (
        T(CUBE).diagonal(1, 1, 2).stride(),
        T(A).diagonal(-1).storage_offset(),
    ),
    "diagonal_written_through": lambda L, T: _after(T(A), lambda t: t.diagonal().fill_(7.0)),
    "diag_embed": lambda L, T: L.diag_embed(T(C)),
    "diag_embed_offset_dims": lambda L, T: T(A).diag_embed(-1, 0, 2),
    "diag_embed_same_dims": lambda L, T: L.diag_embed(T(A), 0, 1, 1),
    "diag_embed_0d": lambda L, T: L.diag_embed(T(np.float32(1))),
    # ---- stacking
    "hstack_1d": lambda L, T: L.hstack([T(C), T(np.float32(1)), T(C)]),
    "hstack_2d": lambda L, T: L.hstack((T(A), T(A[:, :1]))),
    "vstack": lambda L, T: L.vstack([T(C), T(A)]),
    "vstack_0d": lambda L, T: L.vstack([T(np.float32(1)), T(np.float32(2))]),
    "dstack": lambda L, T: L.dstack([T(C), T(C)]),
    "dstack_2d": lambda L, T: L.dstack([T(A), T(A)]),
    "column_stack": lambda L, T: L.column_stack([T(np.arange(3.0)), T(A[:, :2])]),
    "hstack_empty_list": lambda L, T: L.hstack([]),
    "vstack_mismatch": lambda L, T: L.vstack([T(C), T(C[:3])]),
    "atleast_1d": lambda L, T: L.atleast_1d(T(np.float32(1))),
    "atleast_2d_many": lambda L, T: L.atleast_2d(T(C), T(np.float32(2)), T(CUBE)),
    "atleast_3d_list": lambda L, T: L.atleast_3d([T(C), T(A)]),
    # ---- splits
    "tensor_split_sections": lambda L, T: L.tensor_split(T(np.arange(7)), 3),
    "tensor_split_indices": lambda L, T: L.tensor_split(T(CUBE), (1, 9, 3, -1), dim=2),
    "tensor_split_tensor_indices": lambda L, T: T(C).tensor_split(T(np.array([1, 3]))),
    "tensor_split_tensor_sections": lambda L, T: T(C).tensor_split(T(np.int64(3))),
    "tensor_split_zero_sections": lambda L, T: T(C).tensor_split(0),
    "tensor_split_float_tensor": lambda L, T: T(C).tensor_split(T(np.array([1.0]))),
    "tensor_split_0d": lambda L, T: L.tensor_split(T(np.float32(1)), 1),
    "hsplit": lambda L, T: L.hsplit(T(A), 2),
    "hsplit_1d": lambda L, T: T(C).hsplit([1]),
    "hsplit_uneven": lambda L, T: L.hsplit(T(CUBE), 2),
    "vsplit": lambda L, T: L.vsplit(T(CUBE), [1]),
    "vsplit_1d": lambda L, T: L.vsplit(T(C), 2),
    "dsplit": lambda L, T: T(CUBE).dsplit(2),
    "dsplit_2d": lambda L, T: L.dsplit(T(A), 2),
    # ---- flips and rotations
    "fliplr": lambda L, T: L.fliplr(T(A)),
    "fliplr_1d": lambda L, T: L.fliplr(T(C)),
    "flipud": lambda L, T: T(C).flipud(),
    "flipud_0d": lambda L, T: L.flipud(T(np.float32(1))),
    "rot90": lambda L, T: L.rot90(T(A)),
    "rot90_k": lambda L, T: [L.rot90(T(CUBE), k, (1, 2)) for k in (-3, -1, 2, 4)],
    "rot90_dims_count": lambda L, T: L.rot90(T(CUBE), 1, [0]),
    "rot90_1d": lambda L, T: L.rot90(T(C)),
    "rot90_same_dims": lambda L, T: L.rot90(T(CUBE), 1, [1, 1]),
    "rot90_out_of_range": lambda L, T: T(CUBE).rot90(1, [0, 3]),
    # ---- index grids
    "meshgrid_ij": lambda L, T: L.meshgrid(T(np.arange(2)), T(np.arange(3)), indexing="ij"),
    "meshgrid_xy_three": lambda L, T: L.meshgrid(
        [T(np.arange(2.0)), T(np.arange(3.0)), T(np.float64(5))], indexing="xy"
    ),
    "meshgrid_bad_indexing": lambda L, T: L.meshgrid(T(C), indexing="yx"),
    "meshgrid_dtypes": lambda L, T: L.meshgrid(T(C), T(np.arange(2)), indexing="ij"),
    "meshgrid_none": lambda L, T: L.meshgrid(indexing="ij"),
    "tril_indices": lambda L, T: [L.tril_indices(3, 4, k) for k in (-1, 0, 2)],
    "triu_indices": lambda L, T: [L.triu_indices(4, 3, k) for k in (-2, 0, 1)],
    "triu_indices_int32": lambda L, T: L.triu_indices(3, 3, dtype=L.int32),
    "tril_indices_empty": lambda L, T: L.tril_indices(0, 3),
    "tril_indices_negative": lambda L, T: L.tril_indices(-1, 3),
    "tril_indices_float": lambda L, T: L.tril_indices(3, 3, dtype=L.float32),
    # ---- metadata
    "stride": lambda L, T: [
        t.stride()
        for t in (T(CUBE), T(CUBE).transpose(0, 2), T(CUBE)[:, 1:, ::2], L.zeros(0, 3), T(A).t())
    ],
    "stride_dim": lambda L, T: (T(CUBE).stride(1), T(CUBE).stride(-1)),
    "stride_dim_out_of_range": lambda L, T: T(CUBE).stride(3),
    "stride_expanded_unsqueezed": lambda L, T: (
        T(C).expand(2, 4).stride(),
        T(CUBE).unsqueeze(1).stride(),
        T(np.float32(1)).stride(),
    ),
    "storage_offset": lambda L, T: [
        t.storage_offset() for t in (T(CUBE), T(CUBE)[1], T(CUBE)[:, 1:, ::2], T(CUBE)[1].t())
    ],
    "nbytes_itemsize": lambda L, T: [
        (t.nbytes, t.itemsize) for t in (T(CUBE), T(CUBE)[0], T(INTS), T(MASK), T(EMPTY))
    ],
    "is_complex": lambda L, T: (T(A).is_complex(), T(INTS).is_complex()),
    # a slice of a Size is a Size (``x.shape[-2:].numel()``), as are sums and repetitions
    "size_slices_are_sizes": lambda L, T: [
        (type(s).__name__, str(s).split(".")[-1], s.numel())
        for shape in (T(CUBE).shape,)
        for s in (shape[1:], shape[-2:], shape[::-1], shape[:0], shape[1:] + (5,), (5,) + shape)
    ],
    "size_items_are_ints": lambda L, T: [type(d).__name__ for d in T(CUBE).shape[-1:]],
}


def _after(t: Any, change: Callable[[Any], Any]) -> tuple[Any, Any, int]:
    """What an in-place call returns (itself), the tensor after it, and its version."""
    out = change(t)
    return out is t, t, t._version


def run(case: Case, lib: Any) -> Any:
    """The case's result under ``lib``, or its error as (type, first line)."""
    convert = lib.tensor
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return case(lib, lambda a: convert(np.array(a)))
    except Exception as e:  # noqa: BLE001 - errors are compared
        message = str(e).split("\n")[0]
        return ("error", type(e).__name__, message.replace("torch", "chainrule"))


def plain(value: Any) -> Any:
    """A result as plain Python values: a tensor as (dtype name, shape, values)."""
    if isinstance(value, torch.Tensor | chainrule.Tensor):
        data = value.detach().numpy() if isinstance(value, torch.Tensor) else value.numpy()
        return (str(value.dtype).split(".")[-1], tuple(value.shape), _values(data))
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    return value


def _values(data: np.ndarray) -> list[Any]:
    """The values, NaN as the string "nan" so that equal results compare equal."""
    return [("nan" if isinstance(v, float) and v != v else v) for v in data.ravel().tolist()]


@pytest.mark.parametrize("name", CASES)
def test_same_result_as_torch(name: str) -> None:
    expected = plain(run(CASES[name], torch))
    assert plain(run(CASES[name], chainrule)) == expected


def test_in_place_fills_keep_views_and_versions() -> None:
    """masked_fill_ through a view changes the base, and both see the new version."""
    base = chainrule.zeros(3, 4)
    row = base[1]
    row.masked_fill_(chainrule.tensor([True, False, True, False]), 5.0)
    assert base.tolist()[1] == [5.0, 0.0, 5.0, 0.0]
    assert base._version == row._version == 1


def test_in_place_fill_of_a_saved_tensor_is_caught_at_backward() -> None:
    """A value that a rule saved, changed by index_fill_ before backward: PyTorch's error."""
    x = chainrule.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    y.index_fill_(0, chainrule.tensor([0]), 0.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_diagonal_is_a_view_that_autograd_follows() -> None:
    """A change through ``diagonal()`` rewrites the base's history, as PyTorch's."""
    results = []
    for lib in (torch, chainrule):
        x = lib.arange(9.0).reshape(3, 3).requires_grad_()
        y = x * 1
        y.diagonal(1).mul_(3)
        (y * y).sum().backward()
        results.append((y.tolist(), x.grad.tolist(), y.diagonal().data_ptr() == y.data_ptr()))
    assert results[0] == results[1]


def test_meshgrid_without_indexing_warns_as_pytorch() -> None:
    with pytest.warns(UserWarning, match="it will be required to pass the indexing argument"):
        grids = chainrule.meshgrid(chainrule.arange(2), chainrule.arange(3))
    assert [tuple(g.shape) for g in grids] == [(2, 3), (2, 3)]
