"""Op-table rows for scatter-style writes: index_put, put, masked_scatter, scatter_reduce,
index_reduce and the *_scatter embeddings.

The same ``OpSpec`` format as ``tests/op_table.py``: every row runs finite differences in
float64, second order, jvp, vmap, layouts, and values and gradients against PyTorch. Indices
are fixed in the rows, so that finite differences are well defined; a write without
accumulation never repeats an index (the value written last would win, and the other's
gradient would not be its finite difference).
"""

from __future__ import annotations

from typing import Any

import torch
from op_table import SAME, OpSpec

import chainrule as cr


def _lib(x: Any) -> Any:
    """The library of ``x``'s tensors: chainrule or torch."""
    return cr if isinstance(x, cr.Tensor) else torch


def _index_put_in_place_view(x: Any, v: Any) -> Any:
    lib = _lib(x)
    y = x.clone()
    y[1].index_put_((lib.tensor([0, 3, 0]),), v, accumulate=True)  # through a view
    return y


def _mask(x: Any, rows: list[list[bool]]) -> Any:
    return _lib(x).tensor(rows)


_MASK = [[True, False, True, False], [False, False, False, True], [True, True, False, False]]


def _masked_scatter_in_place_view(x: Any, s: Any) -> Any:
    y = x * 1
    y.t().masked_scatter_(_mask(x, _MASK).t(), s)  # a transposed view: its own element order
    return y


def _put_in_place(x: Any, s: Any) -> Any:
    y = x.exp()  # exp saves its output: the in-place change must not trip the version check
    return y.clone().put_(_lib(x).tensor([5, -1, 5]), s, accumulate=True)


INDEX_SPECS: list[OpSpec] = [
    # --- index_put
    OpSpec(
        "index_put",
        lambda x, v: x.index_put((_lib(x).tensor([2, 0]), _lib(x).tensor([1, -1])), v),
        SAME,
        ("IndexPut",),
        (((3, 4), (2,)), ((3, 4), ())),  # a value for each place, and one broadcast
    ),
    OpSpec(
        "index_put_rows_broadcast_values",
        lambda x, v: _lib(x).index_put(x, (_lib(x).tensor([[2], [0]]),), v),
        SAME,
        ("IndexPut",),
        (((3, 4), (4,)), ((3, 4), (2, 1, 1))),  # values broadcast over the rows' elements
    ),
    OpSpec(
        "index_put_bool_mask",
        lambda x, v: x.index_put((_mask(x, _MASK),), v),
        SAME,
        ("IndexPut",),
        (((3, 4), (5,)), ((3, 4), (1,))),
    ),
    OpSpec(
        "index_put_accumulate_repeats",
        lambda x, v: x.index_put(
            (_lib(x).tensor([0, 2, 0, -3]), _lib(x).tensor([1, 1, 1, 1])), v, accumulate=True
        ),
        SAME,
        ("ScatterAdd", "Expand", "Reshape"),
        (((3, 4), (4,)), ((3, 4), ())),  # a place written three times (0 and -3 are one)
    ),
    OpSpec(
        "index_put_accumulate_rows",
        lambda x, v: _lib(x).index_put(x, (_lib(x).tensor([1, 1]),), v, True),
        SAME,
        ("ScatterAdd", "Expand", "Reshape"),
        (((3, 4), (2, 4)), ((3, 4), (4,))),
    ),
    OpSpec(
        "index_put_in_place_view",
        _index_put_in_place_view,
        SAME,
        ("ScatterAdd", "CopySlices"),
        (((3, 4), (3,)), ((3, 4), ())),
    ),
    # --- masked_scatter
    OpSpec(
        "masked_scatter",
        lambda x, s: x.masked_scatter(_mask(x, _MASK), s),
        SAME,
        ("IndexPut", "GetItem"),
        (((3, 4), (6,)), ((3, 4), (2, 5))),  # more source than places: the rest gets zeros
    ),
    OpSpec(
        "masked_scatter_broadcast_mask",
        lambda x, s: _lib(x).masked_scatter(x, _mask(x, [[False, True, True]]), s),
        SAME,
        ("IndexPut", "Expand"),
        (((2, 3), (4,)), ((2, 1), (2, 2))),  # the input broadcast to the mask's shape
    ),
    OpSpec(
        "masked_scatter_in_place_view",
        _masked_scatter_in_place_view,
        SAME,
        ("IndexPut", "CopySlices"),
        (((3, 4), (7,)),),
    ),
    # --- put
    OpSpec(
        "put",
        lambda x, s: x.put(_lib(x).tensor([[4, -1], [0, 2]]), s),
        SAME,
        ("Scatter", "Reshape"),
        (((2, 3), (2, 2)), ((6,), (4,))),
    ),
    OpSpec(
        "put_accumulate_repeats",
        lambda x, s: _lib(x).put(x, _lib(x).tensor([1, 1, -5, 3]), s, accumulate=True),
        SAME,
        ("ScatterAdd", "Reshape"),
        (((2, 3), (4,)), ((3, 2), (2, 2))),
    ),
    OpSpec("put_in_place", _put_in_place, SAME, ("ScatterAdd",), (((2, 4), (3,)),)),
    # --- embeddings into a view's place
    OpSpec(
        "select_scatter",
        lambda x, s: _lib(x).select_scatter(x, s, 1, -1),
        SAME,
        ("Scatter", "Reshape"),
        (((2, 3, 4), (2, 4)), ((3, 2), (3,))),
    ),
    OpSpec(
        "slice_scatter",
        lambda x, s: x.slice_scatter(s, 1, 1, None, 2),
        SAME,
        ("Scatter", "Reshape"),
        (((2, 5), (2, 2)), ((3, 4, 2), (3, 2, 2))),
    ),
    OpSpec(
        "diagonal_scatter",
        lambda x, s: _lib(x).diagonal_scatter(x, s, -1, 2, 0),
        SAME,
        ("Scatter", "Reshape"),
        (((3, 2, 4), (2, 3)),),
    ),
]
