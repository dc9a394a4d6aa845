"""Op-table rows for shape-changing in-place methods (t_, transpose_, squeeze_, unsqueeze_, ...)
and as_strided.

The same ``OpSpec`` format as ``tests/op_table.py``: every row runs finite differences in
float64, second order, jvp, vmap, layouts, and values and gradients against PyTorch.
"""

from __future__ import annotations

from typing import Any

from op_table import CUBE, MATRIX, SAME, OpSpec


def _t_(x: Any) -> Any:
    y = x * 1
    return y.t_()  # returns y itself, transposed


def _transpose_after_use(x: Any) -> Any:
    y = x * 1
    before = y.sum(0)  # read before the change: backward gives it y's old history
    y.transpose_(0, 1)
    return y * before[:, None]


def _unsqueeze_view_then_write(x: Any, v: Any) -> Any:
    y = x * 1
    row = y[1]
    row.unsqueeze_(0)  # still a view of y: the write below reaches y
    row.mul_(v)
    return y


def _t_view_then_write(x: Any, v: Any) -> Any:
    y = x * 1
    top = y[:2]
    top.t_()  # (3, 2) over y's first two rows
    top.mul_(v)
    return y


def _view_of_transposed_view_after_base_write(x: Any) -> Any:
    y = x * 1
    top = y[:2]
    top.t_()
    y.mul_(x)  # top replays its ops, the transpose too, on y's new history
    return top


# Rows that change a tensor's sizes and strides in place.
_IN_PLACE: list[OpSpec] = [
    OpSpec("t_", _t_, SAME, ("Permute",), MATRIX),
    OpSpec("t__vector", _t_, SAME, ("Permute",), (((3,),),)),
    OpSpec("transpose_", lambda x: (x * 1).transpose_(0, 2), SAME, ("Permute",), CUBE),
    OpSpec("transpose__after_use", _transpose_after_use, SAME, ("Permute",), (((3, 3),),)),
    OpSpec("swapdims_", lambda x: (x * 1).swapdims_(2, 1), SAME, ("Permute",), CUBE),
    OpSpec("swapaxes_", lambda x: (x * 1).swapaxes_(-1, 0), SAME, ("Permute",), CUBE),
    OpSpec("squeeze_", lambda x: (x * 1).squeeze_(), SAME, ("Reshape",), (((2, 1, 3, 1),),)),
    OpSpec("squeeze__dim", lambda x: (x * 1).squeeze_(1), SAME, ("Reshape",), (((2, 1, 3),),)),
    OpSpec(
        "squeeze__dims", lambda x: (x * 1).squeeze_((1, 3)), SAME, ("Reshape",), (((2, 1, 3, 1),),)
    ),
    OpSpec("unsqueeze_", lambda x: (x * 1).unsqueeze_(-1), SAME, ("Reshape",), MATRIX),
    OpSpec(
        "unsqueeze__view_then_write",
        _unsqueeze_view_then_write,
        SAME,
        ("Reshape", "CopySlices"),
        (((3, 4), (1, 4)),),
    ),
    OpSpec(
        "t__view_then_write",
        _t_view_then_write,
        SAME,
        ("Permute", "CopySlices"),
        (((3, 4), (4, 2)),),
    ),
    OpSpec(
        "view_of_transposed_view_after_base_write",
        _view_of_transposed_view_after_base_write,
        SAME,
        ("Permute",),
        (((3, 4),),),
    ),
]


def _as_strided_(x: Any) -> Any:
    y = x * 1
    return y.as_strided_((2, 2), (1, 2), 1)


def _as_strided_of_transposed_view(x: Any) -> Any:
    return (x * 1).t().as_strided((2, 2), (3, 1), 1)  # reads y's memory, not the view's order


def _as_strided_of_expanded(x: Any) -> Any:
    # The input reads each position twice: each of its elements gets half the gradient.
    return x.expand(2, 3).as_strided((3,), (1,))


# as_strided reads the memory: a transposed or strided input gives other values, by design
# (and in PyTorch).
_MEMORY = {"layouts": "as_strided reads the input's memory, so its layout changes the values"}
_AS_STRIDED: list[OpSpec] = [
    OpSpec(
        "as_strided_windows",
        lambda x: x.as_strided((3, 2), (1, 1)),
        SAME,
        ("AsStrided",),
        (((4,),),),
        layouts=False,
        why_off=_MEMORY,
    ),
    OpSpec(
        "as_strided_offset",
        lambda x: x.as_strided((2, 2), (1, 2), 1),
        SAME,
        ("AsStrided",),
        MATRIX,
        layouts=False,
        why_off=_MEMORY,
    ),
    OpSpec(
        "as_strided_stride_0",
        lambda x: x.as_strided((2, 3), (0, 1)),
        SAME,
        ("AsStrided",),
        (((3,),),),
        layouts=False,
        why_off=_MEMORY,
    ),
    OpSpec(
        "as_strided_of_transposed_view",
        _as_strided_of_transposed_view,
        SAME,
        ("AsStrided",),
        MATRIX,
        layouts=False,
        why_off=_MEMORY,
    ),
    OpSpec(
        "as_strided_of_expanded",
        _as_strided_of_expanded,
        SAME,
        ("AsStrided",),
        (((3,),),),
        layouts=False,
        why_off=_MEMORY,
    ),
]
_IN_PLACE += [
    OpSpec(
        "as_strided_",
        _as_strided_,
        # torch.func's hessian and jacfwd of as_strided_ fail in PyTorch's batching rule:
        # compared with the out-of-place view, the same values and derivatives.
        lambda x: (x * 1).as_strided((2, 2), (1, 2), 1),
        ("AsStrided",),
        MATRIX,
        layouts=False,
        why_off=_MEMORY,
    ),
]

VIEWS_SPECS: list[OpSpec] = [*_IN_PLACE, *_AS_STRIDED]
# cr.compile runs the in-place ones eagerly.
IN_PLACE_VIEW_ROWS = tuple(spec.name for spec in _IN_PLACE)
