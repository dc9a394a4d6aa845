"""Op-table rows for PyTorch's tensor functions and methods beyond the core table: shape
helpers, combinations of elementwise ops, scans and indexing updates that PyTorch programs call
(``torch.lerp``, ``Tensor.narrow``, ``torch.cumprod``, ...). The same ``OpSpec`` rows as
``tests/op_table.py``, read by the same tests.
"""

from __future__ import annotations

from typing import Any

import torch
from op_table import CUBE, MATRIX, SAME, OpSpec

import chainrule as cr


# ---- shape, indexing, comparison (api17a)
def _lib(x: Any) -> Any:
    """The library of ``x``'s tensors: chainrule or torch."""
    return cr if isinstance(x, cr.Tensor) else torch


_SCATTER = [[2, 0], [1, 3]]  # each row's targets distinct: a repeat's last write would win


def _scatter_in_place(x: Any, src: Any) -> Any:
    y = x * 1
    y.scatter_(1, _lib(x).tensor(_SCATTER), src)
    return y


def _masked_fill_in_place(x: Any, v: Any) -> Any:
    y = x * 1
    y[1:].masked_fill_(_lib(x).tensor([[True, False, True, False]]), v.reshape(()))  # a view
    return y


def _index_add_in_place(x: Any, s: Any) -> Any:
    y = x.exp()  # exp saves its output: the in-place change must not trip the version check
    return y.clone().index_add_(1, _lib(x).tensor([3, 0, 3]), s, alpha=0.5)


def _index_fill_in_place(x: Any, v: Any) -> Any:
    y = x * 1
    y.t().index_fill_(0, _lib(x).tensor([1, 3]), v.reshape(()))
    return y


def _index_copy_in_place(x: Any, s: Any) -> Any:
    y = x * 1
    y.index_copy_(0, _lib(x).tensor([2, 0]), s)
    return y


def _diagonal_in_place(x: Any, v: Any) -> Any:
    y = x * 1
    y.diagonal(1, 1, 2).mul_(v)  # a strided view, written through
    return y


API_SPECS: list[OpSpec] = [
    OpSpec(
        "scatter_src",
        lambda x, src: x.scatter(1, _lib(x).tensor(_SCATTER), src),
        # PyTorch's gradient of a src larger than the index has the index's shape, which its
        # engine refuses: the part of src that is read, given to it
        lambda x, src: x.scatter(1, torch.tensor(_SCATTER), src[:2, :2]),
        ("Scatter",),
        (((2, 4), (2, 2)), ((3, 4), (2, 3))),  # a src larger than the index: its part is read
    ),
    OpSpec(
        "scatter_value",
        lambda x: _lib(x).scatter(x, 0, _lib(x).tensor([[1, 0, 2]]), value=-1.5),
        SAME,
        ("Scatter",),
        (((3, 3),),),
    ),
    OpSpec("scatter_in_place", _scatter_in_place, SAME, ("Scatter",), (((2, 4), (2, 2)),)),
    OpSpec(
        "scatter_add_larger_src",
        lambda x, src: x.scatter_add(1, _lib(x).tensor([[0, 0], [2, 1]]), src),
        lambda x, src: x.scatter_add(1, torch.tensor([[0, 0], [2, 1]]), src[:, :2]),  # as above
        ("ScatterAdd",),
        (((2, 3), (2, 4)),),
    ),
    OpSpec(
        "masked_fill_tensor_value",
        # v.reshape(()): the layouts check gives a 0-d input as 1-d (np.ascontiguousarray)
        lambda x, v: _lib(x).masked_fill(x, _lib(x).tensor([[True], [False]]), v.reshape(())),
        SAME,
        ("Where",),
        (((2, 3), ()), ((3,), ())),  # a mask that broadcasts the input to (2, 3)
    ),
    OpSpec(
        "masked_fill_in_place_view",
        _masked_fill_in_place,
        SAME,
        ("Where", "CopySlices"),
        (((3, 4), ()),),
    ),
    OpSpec(
        "index_add_function",
        lambda x, s: _lib(x).index_add(x, 0, _lib(x).tensor([2, 0, 2]), s),
        SAME,
        ("ScatterAdd",),
        (((3, 2), (3, 2)), ((4,), (3,))),
    ),
    OpSpec("index_add_in_place", _index_add_in_place, SAME, ("ScatterAdd",), (((2, 4), (2, 3)),)),
    OpSpec(
        "index_copy",
        lambda x, s: x.index_copy(1, _lib(x).tensor([3, 1]), s),
        SAME,
        ("Scatter",),
        (((2, 4), (2, 2)),),
    ),
    OpSpec("index_copy_in_place", _index_copy_in_place, SAME, ("Scatter",), (((3, 2), (2, 2)),)),
    OpSpec(
        "index_fill_tensor_value",
        lambda x, v: x.index_fill(1, _lib(x).tensor([0, 2]), v.reshape(())),
        SAME,
        ("Where",),
        (((2, 3), ()),),
    ),
    OpSpec(
        "index_fill_in_place_transposed",
        _index_fill_in_place,
        SAME,
        ("Where", "CopySlices"),
        (((3, 4), ()),),
    ),
    OpSpec(
        "take",
        lambda x: x.take(_lib(x).tensor([[5, 0], [-1, 5]])),
        SAME,
        ("GetItem",),
        MATRIX + CUBE,
    ),
    OpSpec(
        "take_along_dim",
        lambda x: _lib(x).take_along_dim(x, _lib(x).tensor([[0, -1, 0]]), 1),
        SAME,
        ("Gather",),
        (((2, 3),),),  # the indices broadcast over the rows
    ),
    OpSpec(
        "take_along_dim_flat",
        lambda x: x.take_along_dim(_lib(x).tensor([4, 1, 4])),
        SAME,
        ("Gather",),
        MATRIX,
    ),
    OpSpec("narrow", lambda x: x.narrow(-1, -3, 2), SAME, ("GetItem",), CUBE),
    OpSpec(
        "narrow_function",
        lambda x: _lib(x).narrow(x, 0, 1, 1),
        SAME,
        ("GetItem",),
        MATRIX,
    ),
    OpSpec("select", lambda x: _lib(x).select(x, 1, -1), SAME, ("GetItem",), CUBE),
    OpSpec("select_method", lambda x: x.select(0, 1), SAME, ("GetItem",), MATRIX),
    OpSpec(
        "movedim_pairs",
        lambda x: _lib(x).movedim(x, (0, 1), (2, 0)),
        SAME,
        ("Permute",),
        CUBE,
    ),
    OpSpec("moveaxis_method", lambda x: x.moveaxis(-1, 0), SAME, ("Permute",), CUBE),
    OpSpec("swapdims", lambda x: _lib(x).swapdims(x, 0, 2), SAME, ("Permute",), CUBE),
    OpSpec("unflatten", lambda x: x.unflatten(-1, (2, -1)), SAME, ("Reshape",), CUBE),
    OpSpec("ravel_transposed", lambda x: _lib(x).ravel(x.t()), SAME, ("Reshape",), MATRIX),
    OpSpec("tile", lambda x: _lib(x).tile(x, (2, 1, 3)), SAME, ("Repeat",), MATRIX),
    OpSpec(
        "repeat_interleave_int",
        lambda x: x.repeat_interleave(3, dim=1),
        SAME,
        ("Expand", "Reshape"),
        MATRIX,
    ),
    OpSpec(
        "repeat_interleave_flat",
        lambda x: _lib(x).repeat_interleave(x, 2),
        SAME,
        ("Expand", "Reshape"),
        MATRIX + (((),),),
    ),
    OpSpec(
        "repeat_interleave_counts",
        lambda x: x.repeat_interleave(_lib(x).tensor([2, 0, 1]), dim=-1),
        SAME,
        ("GetItem",),
        MATRIX,
    ),
    OpSpec("diagonal", lambda x: x.diagonal(), SAME, ("Diagonal",), MATRIX + CUBE),
    OpSpec(
        "diagonal_offset_dims",
        lambda x: _lib(x).diagonal(x, -1, 2, 0),
        SAME,
        ("Diagonal",),
        CUBE,
    ),
    OpSpec(
        "diagonal_in_place",
        _diagonal_in_place,
        SAME,
        ("Diagonal", "CopySlices"),
        ((CUBE[0][0], ()),),
    ),
    OpSpec("diag_embed", lambda x: _lib(x).diag_embed(x), SAME, ("DiagEmbed",), MATRIX),
    OpSpec(
        "diag_embed_offset_dims",
        lambda x: x.diag_embed(1, 0, 2),
        SAME,
        ("DiagEmbed",),
        MATRIX,
    ),
    OpSpec(
        "hstack",
        lambda a, b: _lib(a).hstack([a, b]),
        SAME,
        ("Cat",),
        (((2, 3), (2, 1)), ((3,), (2,)), ((), (2,))),
    ),
    OpSpec(
        "vstack", lambda a, b: _lib(a).vstack((a, b)), SAME, ("Cat",), (((3,), (2, 3)), ((), ()))
    ),
    OpSpec("dstack", lambda a, b: _lib(a).dstack([a, b]), SAME, ("Cat",), (((2, 3), (2, 3)),)),
    OpSpec(
        "column_stack",
        lambda a, b: _lib(a).column_stack([a, b]),
        SAME,
        ("Cat",),
        (((3,), (3, 2)), ((), (1, 2))),
    ),
    OpSpec(
        "atleast_3d",
        lambda a, b: _lib(a).atleast_3d(a, b),
        SAME,
        ("Reshape",),
        (((3,), (2, 3)),),
    ),
    OpSpec(
        "tensor_split_sections",
        lambda x: _lib(x).tensor_split(x, 3, dim=1),
        SAME,
        ("GetItem",),
        (((2, 5),),),
    ),
    OpSpec(
        "tensor_split_indices", lambda x: x.tensor_split([1, 6, 3]), SAME, ("GetItem",), (((5,),),)
    ),
    OpSpec("hsplit", lambda x: _lib(x).hsplit(x, 2), SAME, ("GetItem",), (((3, 4),),)),
    OpSpec("fliplr", lambda x: _lib(x).fliplr(x), SAME, ("Flip",), CUBE),
    OpSpec("flipud", lambda x: x.flipud(), SAME, ("Flip",), MATRIX),
    OpSpec("rot90", lambda x: _lib(x).rot90(x), SAME, ("Flip", "Permute"), CUBE),
    OpSpec("rot90_back", lambda x: x.rot90(-1, (2, 0)), SAME, ("Flip", "Permute"), CUBE),
    OpSpec(
        "meshgrid_xy",
        lambda a, b: _lib(a).meshgrid(a, b, indexing="xy"),
        SAME,
        ("Expand",),
        (((2,), (3,)), ((), (3,))),
    ),
]
