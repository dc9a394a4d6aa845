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
        "index_add",
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
]
