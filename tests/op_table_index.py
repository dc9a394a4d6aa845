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

import numpy as np
import torch
from op_table import SAME, OpSpec, Shape, distinct

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


_REDUCE_INDEX = [[0, 0, 2], [3, 1, 3]]  # repeated targets in each row, one place untouched


def _torch_scatter(x: Any, dim: int, index: Any, src: Any, reduce: str, include_self: bool) -> Any:
    """PyTorch's scatter_reduce, a product made of scatters and products instead: the same
    function, which torch.func.jvp differentiates (scatter_reduce's forward-mode rule for
    "prod" gives zeros in torch 2.13)."""
    if reduce != "prod":
        return x.scatter_reduce(dim, index, src, reduce, include_self=include_self)
    out = x if include_self else x.scatter(dim, index, 1.0)  # reached places start from 1
    for j in range(index.shape[dim]):
        factor = src.narrow(dim, j, 1)
        out = out * torch.ones_like(x).scatter(dim, index.narrow(dim, j, 1), factor)
    return out


def _scatter_reduce_row(reduce: str, include_self: bool) -> OpSpec:
    """scatter_reduce along dim 1 with repeated targets; distinct inputs draw no ties."""
    return OpSpec(
        f"scatter_reduce_{reduce}" + ("" if include_self else "_without_self"),
        lambda x, s: cr.scatter_reduce(
            x, 1, cr.tensor(_REDUCE_INDEX), s, reduce, include_self=include_self
        ),
        lambda x, s: _torch_scatter(x, 1, torch.tensor(_REDUCE_INDEX), s, reduce, include_self),
        ("ScatterAdd",) if reduce == "sum" and include_self else ("ScatterReduce",),
        (((2, 4), (2, 3)),),
        domain=distinct,
    )


def _index_reduce_row(reduce: str, include_self: bool) -> OpSpec:
    """index_reduce of slices along dim 0, two of them into one place; PyTorch's twin is
    scatter_reduce with the index spread over the slices (index_reduce has no forward-mode
    rule in PyTorch)."""

    def twin(x: Any, s: Any) -> Any:
        index = torch.tensor([2, 0, 2]).reshape((3,) + (1,) * (s.ndim - 1)).expand(s.shape)
        return _torch_scatter(x, 0, index, s, reduce, include_self)

    return OpSpec(
        f"index_reduce_{reduce}" + ("" if include_self else "_without_self"),
        lambda x, s: x.index_reduce(0, cr.tensor([2, 0, 2]), s, reduce, include_self=include_self),
        twin,
        ("ScatterReduce",),
        (((3, 2), (3, 2)), ((4,), (3,))),
        domain=distinct,
    )


def _scatter_reduce_in_place_view(x: Any, s: Any) -> Any:
    y = x * 1
    y[1:].scatter_reduce_(1, _lib(x).tensor([[2, 2, 0]]), s, "amin", include_self=False)
    return y


def _index_reduce_in_place(x: Any, s: Any) -> Any:
    y = x.exp()  # exp saves its output: the in-place change must not trip the version check
    return y.clone().index_reduce_(1, cr.tensor([1, 1]), s, "prod")


def _index_reduce_in_place_twin(x: Any, s: Any) -> Any:
    return _torch_scatter(x.exp(), 1, torch.tensor([[1, 1], [1, 1]]), s, "prod", True)


def _tied_extremes(x: Any, s: Any) -> Any:
    # Each place's own value is also scattered into it (a tie of two), and one source
    # twice into the same place: the gradient is shared evenly, as PyTorch shares it.
    lib = _lib(x)
    src = lib.cat([x[:, :2], s, s], 1)
    return x.scatter_reduce(1, lib.tensor([[0, 1, 2, 2], [0, 1, 3, 3]]), src, "amax")


def _zeros_at(*positions: tuple[int, ...]) -> Any:
    """Values in [-2, 2] with exact zeros at ``positions`` (a product's special case)."""

    def draw(rng: np.random.Generator, shape: Shape, index: int) -> np.ndarray:
        x = rng.uniform(-2.0, 2.0, shape)
        for p in positions:
            x[p] = 0.0
        return x

    return draw


# Row 0: place 0 takes one zero source, place 2 is a zero itself; row 1: place 1 takes one.
_ZERO_INDEX = [[0, 0, 2], [1, 1, 0]]


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
    # --- scatter_reduce, index_reduce, scatter(reduce=)
    *(
        _scatter_reduce_row(reduce, include_self)
        for reduce in ("sum", "prod", "mean", "amax", "amin")
        for include_self in (True, False)
    ),
    *(
        _index_reduce_row(reduce, include_self)
        for reduce in ("prod", "mean", "amax", "amin")
        for include_self in (True, False)
    ),
    OpSpec("scatter_reduce_ties", _tied_extremes, SAME, ("ScatterReduce",), (((2, 4), (2, 1)),)),
    OpSpec(
        "scatter_reduce_prod_zeros",
        lambda x, s: x.scatter_reduce(1, cr.tensor(_ZERO_INDEX), s, "prod"),
        lambda x, s: _torch_scatter(x, 1, torch.tensor(_ZERO_INDEX), s, "prod", True),
        ("ScatterReduce",),
        (((2, 4), (2, 3)),),
        domain=(_zeros_at((0, 2)), _zeros_at((0, 0), (1, 1))),
        layouts=False,
        why_off={"layouts": "its inputs' zeros are placed: a reversed layout would move them"},
    ),
    OpSpec(
        "scatter_reduce_in_place_view",
        _scatter_reduce_in_place_view,
        SAME,
        ("ScatterReduce", "CopySlices"),
        (((3, 4), (1, 3)),),
    ),
    OpSpec(
        "index_reduce_in_place",
        _index_reduce_in_place,
        _index_reduce_in_place_twin,
        ("ScatterReduce",),
        (((2, 3), (2, 2)),),
    ),
    OpSpec(
        "scatter_reduce_add",
        lambda x, s: x.scatter(1, cr.tensor(_REDUCE_INDEX), s, reduce="add"),
        # PyTorch computes no gradient of scatter's reduce: scatter_reduce's sum is the same
        lambda x, s: x.scatter_reduce(1, torch.tensor(_REDUCE_INDEX), s, "sum"),
        ("ScatterAdd",),
        (((2, 4), (2, 3)),),
    ),
    OpSpec(
        "scatter_reduce_multiply_value",
        lambda x: cr.scatter(x, 0, cr.tensor([[1, 0, 1]]), 1.5, reduce="multiply"),
        lambda x: _torch_scatter(
            x, 0, torch.tensor([[1, 0, 1]]), torch.full((1, 3), 1.5, dtype=x.dtype), "prod", True
        ),
        ("ScatterReduce",),
        (((2, 3),),),
    ),
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
