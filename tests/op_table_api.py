"""Op-table rows for PyTorch's tensor functions and methods beyond the core table: shape
helpers, combinations of elementwise ops, scans and indexing updates that PyTorch programs call
(``torch.lerp``, ``Tensor.narrow``, ``torch.cumprod``, ...). The same ``OpSpec`` rows as
``tests/op_table.py``, read by the same tests.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from op_table import (
    AWAY_FROM_ZERO,
    BINARY,
    CUBE,
    MATRIX,
    NONZERO,
    POSITIVE,
    REAL,
    SAME,
    UNARY,
    OpSpec,
    Shape,
    away_from,
    between_jumps,
    distinct,
    uniform,
)

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
    # masks combined bit by bit steer a where: the gradient only through the picked values
    OpSpec(
        "where_of_combined_masks",
        lambda x: cr.where((x > 0) & (x < 1) | (x < -1), x, 2 * x),
        lambda x: torch.where((x > 0) & (x < 1) | (x < -1), x, 2 * x),
        ("Bitwise", "Compare", "Where"),
        CUBE,
        domain=distinct,
    ),
    OpSpec(
        "msort",
        lambda x: x.msort(),
        SAME,
        ("Sorted", "SortOrder"),
        CUBE + (((5,),),),
        domain=distinct,
    ),
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


# ---- math (api17d)
# Compositions (lerp, addcmul, addcdiv, the add*mm family): their rules are their parts', so
# the rows check the order of operations and the scalars' places, against torch.
API_SPECS += [
    OpSpec(
        "lerp_number_weight",
        lambda a, b: cr.lerp(a, b, 0.3),
        lambda a, b: torch.lerp(a, b, 0.3),
        ("Add", "Mul", "Sub"),
        BINARY,
    ),
    OpSpec(
        "lerp_number_weight_near_end",
        lambda a, b: a.lerp(b, 0.8),
        SAME,
        ("Mul", "Sub"),
        BINARY,
    ),
    OpSpec(
        "lerp_tensor_weight",
        cr.lerp,
        torch.lerp,
        ("Add", "Mul", "Sub", "Where"),
        (((2, 3), (2, 3), (2, 3)), ((2, 3), (3,), (2, 1)), ((), (4,), (3, 1))),
        domain=(REAL, REAL, away_from(-0.5, 0.5)),
    ),
    OpSpec(
        "addcmul",
        lambda x, a, b: cr.addcmul(x, a, b, value=-0.5),
        lambda x, a, b: torch.addcmul(x, a, b, value=-0.5),
        ("Add", "Mul"),
        (((2, 3), (2, 3), (2, 3)), ((2, 3), (3,), (2, 1)), ((), (4,), ())),
    ),
    OpSpec(
        "addcmul_method_value_one",
        lambda x, a, b: x.addcmul(a, b),
        SAME,
        ("Add", "Mul"),
        (((2, 3), (2, 3), (3,)),),
    ),
    OpSpec(
        "addcdiv",
        lambda x, a, b: x.addcdiv(a, b, value=2.0),
        SAME,
        ("Add", "Div", "Mul"),
        (((2, 3), (2, 3), (2, 3)), ((2, 3), (3,), (2, 1)), ((), (4,), ())),
        domain=(REAL, REAL, AWAY_FROM_ZERO),
    ),
    OpSpec(
        "addmm",
        lambda x, a, b: cr.addmm(x, a, b, beta=0.5, alpha=-2.0),
        lambda x, a, b: torch.addmm(x, a, b, beta=0.5, alpha=-2.0),
        ("Add", "MatMul", "Mul"),
        (((2, 4), (2, 3), (3, 4)), ((4,), (2, 3), (3, 4)), ((), (2, 3), (3, 1))),
    ),
    OpSpec(
        "addmm_method_beta_zero",
        lambda x, a, b: x.addmm(a, b, beta=0),
        SAME,
        ("Add", "MatMul", "Where"),
        (((2, 1), (2, 3), (3, 4)),),
    ),
    OpSpec(
        "addmv",
        lambda x, a, v: x.addmv(a, v, beta=2, alpha=0.5),
        SAME,
        ("Add", "MatMul", "Mul"),
        (((2,), (2, 3), (3,)), ((), (4, 2), (2,))),
    ),
    OpSpec(
        "addr",
        lambda x, a, b: cr.addr(x, a, b),
        lambda x, a, b: torch.addr(x, a, b),
        ("Add", "Mul"),
        (((2, 3), (2,), (3,)), ((3,), (2,), (3,))),
    ),
    OpSpec(
        "baddbmm",
        lambda x, a, b: x.baddbmm(a, b, alpha=1.5),
        SAME,
        ("Add", "MatMul", "Mul"),
        (((2, 3, 4), (2, 3, 2), (2, 2, 4)), ((3, 1), (2, 3, 2), (2, 2, 1))),
    ),
    OpSpec(
        "addbmm",
        lambda x, a, b: cr.addbmm(x, a, b, beta=-1),
        lambda x, a, b: torch.addbmm(x, a, b, beta=-1),
        ("Add", "MatMul", "Mul", "Sum"),
        (((3, 4), (2, 3, 2), (2, 2, 4)), ((4,), (5, 3, 2), (5, 2, 4))),
    ),
]


def zeros_inside(rng: np.random.Generator, shape: Shape, index: int) -> np.ndarray:
    """Real values with every fourth one exactly zero: rows with no zero, one zero (first,
    inside or last) and two, so cumprod's gradient takes each of its branches."""
    x = REAL(rng, shape, index)
    x.reshape(-1)[::4] = 0.0
    return x


# Scans: cumprod's rows put zeros where PyTorch's backward takes its other branches.
API_SPECS += [
    OpSpec("cumprod", lambda x: x.cumprod(1), SAME, ("CumProd",), CUBE),
    OpSpec(
        "cumprod_negative_dim",
        lambda x: cr.cumprod(x, -1),
        lambda x: torch.cumprod(x, -1),
        ("CumProd",),
        UNARY[:3] + (((0, 3),),),
    ),
    OpSpec(
        "cumprod_with_zeros",
        lambda x: x.cumprod(1),
        SAME,
        ("CumProd",),
        (((3, 5),), ((2, 4, 3),), ((6, 9),)),
        domain=zeros_inside,
    ),
    OpSpec(
        "cumprod_with_zeros_dim0",
        lambda x: cr.cumprod(x, 0),
        lambda x: torch.cumprod(x, 0),
        ("CumProd",),
        (((5, 3),), ((9, 6),)),
        domain=zeros_inside,
    ),
    OpSpec(
        "cummax_values",
        lambda x: x.cummax(1).values,
        SAME,
        ("CumArgExtreme", "RunningExtreme"),
        CUBE,
        domain=distinct,
    ),
    OpSpec(
        "cummin_values",
        lambda x: cr.cummin(x, 0)[0],
        lambda x: torch.cummin(x, 0)[0],
        ("CumArgExtreme", "RunningExtreme"),
        UNARY,
        domain=distinct,
    ),
    OpSpec("logcumsumexp", lambda x: x.logcumsumexp(1), SAME, ("LogCumSumExp",), CUBE),
    OpSpec(
        "logcumsumexp_wide_range",
        lambda x: cr.logcumsumexp(x, -1),
        lambda x: torch.logcumsumexp(x, -1),
        ("LogCumSumExp",),
        UNARY,
        domain=uniform(-40.0, 40.0),
        jvp=False,
        why_off={
            "jvp": "PyTorch's forward rule normalises by the row's max and loses the early "
            "outputs' tangents over this range; chainrule's (in log space) is checked against "
            "finite differences on it in test_torch_api_math.py",
        },
    ),
]


# Elementwise functions and NaN-aware reductions (ops/pointwise.py, ops/statistics.py).
API_SPECS += [
    OpSpec("logaddexp", cr.logaddexp, torch.logaddexp, ("LogAddExp",), BINARY),
    OpSpec(
        "logaddexp_far_apart",
        lambda a, b: a.logaddexp(b),
        SAME,
        ("LogAddExp",),
        (((2, 3), (2, 3)),),
        domain=(uniform(-300.0, -200.0), uniform(200.0, 300.0)),
    ),
    OpSpec("logaddexp2", cr.logaddexp2, torch.logaddexp2, ("LogAddExp2",), BINARY),
    OpSpec(
        "copysign",
        cr.copysign,
        torch.copysign,
        ("CopySign",),
        BINARY,
        domain=NONZERO,
    ),
    OpSpec(
        "xlogy",
        cr.xlogy,
        torch.xlogy,
        ("XLogY",),
        BINARY,
        domain=(REAL, POSITIVE),
    ),
    OpSpec(
        "xlogy_zeros",
        lambda x, y: x.xlogy(y),
        SAME,
        ("XLogY",),
        (((3, 4), (3, 4)),),
        domain=(zeros_inside, POSITIVE),
    ),
    OpSpec(  # a number's log: its second derivative raised (a bool Tensor & a number)
        "xlogy_number_other",
        lambda x: cr.xlogy(x, 0.03),
        lambda x: torch.xlogy(x, 0.03),
        ("XLogY",),
        UNARY,
    ),
    OpSpec(
        "logit",
        lambda x: x.logit(),
        SAME,
        ("Logit",),
        UNARY,
        domain=uniform(0.05, 0.95),
    ),
    OpSpec(
        "logit_eps",
        lambda x: cr.logit(x, eps=0.2),
        lambda x: torch.logit(x, eps=0.2),
        ("Logit",),
        UNARY,
        domain=away_from(0.2, 0.8),
    ),
    OpSpec("sinc", cr.sinc, torch.sinc, ("Sinc",), UNARY, domain=NONZERO),
    OpSpec(
        "deg2rad_rad2deg",
        lambda x: (x.deg2rad(), cr.rad2deg(x)),
        lambda x: (x.deg2rad(), torch.rad2deg(x)),
        ("Mul",),
        UNARY,
    ),
    OpSpec(
        "fmax",
        cr.fmax,
        torch.fmax,
        ("Where",),
        BINARY,
        domain=distinct,
    ),
    OpSpec("fmin", lambda a, b: a.fmin(b), SAME, ("Where",), BINARY, domain=distinct),
    OpSpec(
        "float_power",
        cr.float_power,
        torch.float_power,
        ("Pow",),
        BINARY,
        domain=(POSITIVE, REAL),
    ),
    OpSpec(
        "float_power_number",
        lambda x: x.float_power(3),
        SAME,
        ("Pow",),
        UNARY,
    ),
    OpSpec(
        "nan_to_num",
        lambda x: cr.nan_to_num(x, posinf=5.0),
        lambda x: torch.nan_to_num(x, posinf=5.0),
        ("NanToNum",),
        UNARY,
    ),
    OpSpec(
        "nansum_nanmean",
        lambda x: (x.nansum(1), cr.nanmean(x, (0, 2), keepdim=True), x.nansum()),
        lambda x: (x.nansum(1), torch.nanmean(x, (0, 2), keepdim=True), x.nansum()),
        ("NanAsZero", "Sum", "Div"),
        CUBE,
    ),
    OpSpec(
        "diff",
        lambda x: x.diff(),
        SAME,
        ("GetItem", "Sub"),
        CUBE + (((5,),),),
    ),
    OpSpec(
        "diff_twice_with_prepend_and_append",
        lambda x, a, b: cr.diff(x, 2, 0, prepend=a, append=b),
        lambda x, a, b: torch.diff(x, 2, 0, prepend=a, append=b),
        ("Cat", "GetItem", "Sub"),
        (((3, 4), (1, 4), (2, 4)),),
    ),
]


# Special functions (ops/special_ops.py): their derivatives are the next of the family.
API_SPECS += [
    OpSpec("erfc", cr.erfc, torch.erfc, ("Erfc",), UNARY + (((3,),),)),
    OpSpec(
        "erfc_tail",
        lambda x: x.erfc(),
        SAME,
        ("Erfc",),
        (((2, 3),),),
        domain=uniform(3.0, 6.0),
    ),
    OpSpec("erfinv", cr.erfinv, torch.erfinv, ("Erfinv",), UNARY, domain=uniform(-0.95, 0.95)),
    OpSpec(
        "erfinv_near_one",
        lambda x: x.erfinv(),
        SAME,
        ("Erfinv",),
        (((2, 3),),),
        domain=uniform(0.95, 0.99),
    ),
    OpSpec(
        "lgamma",
        cr.lgamma,
        torch.lgamma,
        ("Lgamma",),
        UNARY,
        domain=POSITIVE,
        second_order=False,
        why_off={
            "second_order": "the second derivative is trigamma, PyTorch's accurate to ~1e-10 "
            "only; it is checked by finite differences as the digamma row's first derivative"
        },
    ),
    OpSpec(
        "lgamma_negative",
        lambda x: x.lgamma(),
        SAME,
        ("Lgamma",),
        UNARY,
        domain=between_jumps(1.0, -4.0),
    ),
    OpSpec(
        "digamma",
        lambda x: x.digamma(),
        None,
        ("Polygamma",),
        UNARY,
        domain=uniform(0.3, 12.0),
        why_off={
            "torch": "PyTorch's trigamma is accurate to ~1e-10 only; chainrule's values are "
            "checked against mpmath (and torch, loosely) in test_torch_api_math.py",
        },
    ),
    OpSpec(
        "polygamma",
        lambda x: (cr.polygamma(1, x), x.polygamma(2)),
        None,
        ("Polygamma",),
        UNARY,
        domain=uniform(0.3, 12.0),
        why_off={
            "torch": "PyTorch's trigamma is accurate to ~1e-10 only; chainrule's values are "
            "checked against mpmath (and torch, loosely) in test_torch_api_math.py",
        },
    ),
]


# More products and statistics (compositions in ops/linalg.py and ops/statistics.py).
API_SPECS += [
    OpSpec("vdot", cr.vdot, torch.vdot, ("MatMul",), (((4,), (4,)),)),
    OpSpec(
        "inner",
        lambda a, b: a.inner(b),
        SAME,
        ("MatMul",),
        (((2, 3), (4, 3)), ((3,), (2, 2, 3))),
    ),
    OpSpec(
        "tensordot",
        lambda a, b: (cr.tensordot(a, b, 1), cr.tensordot(a, b.transpose(0, 1), ([1, 0], [1, 0]))),
        lambda a, b: (torch.tensordot(a, b, 1), torch.tensordot(a, b.T, ([1, 0], [1, 0]))),
        ("MatMul",),
        (((2, 3), (3, 2)),),
    ),
    OpSpec(  # a contracted size 1 broadcasts against the other side's (it raised)
        "tensordot_size_1_contracted",
        lambda a, b: (cr.tensordot(a, b, 1), cr.tensordot(b, a, ([0], [1]))),
        lambda a, b: (torch.tensordot(a, b, 1), torch.tensordot(b, a, ([0], [1]))),
        ("MatMul", "Sum"),
        (((2, 1), (3, 4)),),
    ),
    OpSpec(
        "kron",
        cr.kron,
        torch.kron,
        ("Mul",),
        (((2, 3), (2, 2)), ((2, 1, 3), (4,)), ((), (3,))),
    ),
    OpSpec(
        "cross",
        lambda a, b: (cr.cross(a, b, dim=1), a.cross(b, -1)),
        lambda a, b: (torch.cross(a, b, dim=1), a.cross(b, -1)),
        ("Cat", "GetItem", "Mul", "Sub"),
        (((2, 3), (2, 3)), ((4, 3), (1, 3))),
    ),
    # PyTorch's cdist has no second derivative nor forward mode: the twin is its formula.
    OpSpec(
        "cdist",
        cr.cdist,
        lambda a, b: torch.linalg.vector_norm(a.unsqueeze(-2) - b.unsqueeze(-3), dim=-1),
        ("Norm2",),
        (((3, 2), (4, 2)), ((2, 3, 2), (1, 4, 2))),
    ),
    OpSpec(
        "cdist_p",
        lambda a, b: (cr.cdist(a, b, p=1.0), cr.cdist(a, b, p=3.0)),
        lambda a, b: tuple(
            torch.linalg.vector_norm(a.unsqueeze(-2) - b.unsqueeze(-3), ord=p, dim=-1)
            for p in (1.0, 3.0)
        ),
        ("Abs", "NormP", "Sum"),
        (((3, 2), (4, 2)),),
        domain=distinct,
    ),
    OpSpec(
        "cov_corrcoef",
        lambda x: (cr.cov(x), x.cov(correction=0), cr.corrcoef(x)),
        lambda x: (torch.cov(x), x.cov(correction=0), torch.corrcoef(x)),
        ("Div", "MatMul", "Mean", "Sub"),
        (((3, 5),), ((4,),)),
    ),
    OpSpec(
        "cov_weights",
        lambda x, a: cr.cov(x, fweights=cr.tensor([1, 2, 1, 3]), aweights=a),
        lambda x, a: torch.cov(x, fweights=torch.tensor([1, 2, 1, 3]), aweights=a),
        ("Div", "MatMul", "Mul", "Sum"),
        (((2, 4), (4,)),),
        domain=(REAL, POSITIVE),
    ),
]


# Order statistics (ops/statistics.py): the picked element gets the gradient.
API_SPECS += [
    OpSpec(
        "median_kthvalue",
        lambda x: (x.median(1).values, cr.nanmedian(x, 0, True)[0], x.kthvalue(2, -1).values),
        lambda x: (x.median(1).values, torch.nanmedian(x, 0, True)[0], x.kthvalue(2, -1).values),
        ("MaxAlong", "SortedPick"),
        CUBE + (((3, 5),),),
        domain=distinct,
    ),
    OpSpec(
        "median_all",
        lambda x: (cr.median(x), x.nanmedian()),
        lambda x: (torch.median(x), x.nanmedian()),
        ("MedianOfAll",),
        UNARY,
        domain=distinct,
    ),
    OpSpec(
        "median_all_ties",
        lambda x: (cr.median(x), x.nanmedian(), x.max()),
        lambda x: (torch.median(x), x.nanmedian(), x.max()),
        ("MedianOfAll", "Amax"),
        (((2, 3),), ((3, 3),), ((1, 4, 2),)),
        domain=lambda rng, shape, index: rng.integers(0, 2, shape) * 0.5,  # many ties
        finite_differences=False,
        second_order=False,
        jvp=False,
        why_off={
            reason: "at a tie the median has no derivative: PyTorch's rule shares the gradient"
            " evenly among the tied elements, checked against PyTorch's here"
            for reason in ("finite_differences", "second_order", "jvp")
        },
    ),
]
API_SPECS += [
    OpSpec(
        "quantile",
        lambda x: (
            cr.quantile(x, 0.3),
            x.quantile(cr.tensor([0.25, 0.9], dtype=x.dtype), 1, True),
            cr.nanquantile(x, 0.5, 0, interpolation="midpoint"),
        ),
        lambda x: (
            torch.quantile(x, 0.3),
            x.quantile(torch.tensor([0.25, 0.9], dtype=x.dtype), 1, True),
            torch.nanquantile(x, 0.5, 0, interpolation="midpoint"),
        ),
        ("Gather", "GetItem", "Sub", "Where"),
        ((((3, 5),),)),
        domain=distinct,
    ),
]


API_SPECS += [
    # Tensor.unfold: a view of windows; elements in several windows sum their gradients
    OpSpec(
        "unfold_overlapping_windows",
        lambda x: x.unfold(1, 3, 1),
        SAME,
        ("Windows",),
        (((2, 5),), ((3, 4, 2),)),
    ),
    OpSpec(
        "unfold_windows_apart",
        lambda x: x.unfold(-1, 2, 3),
        SAME,
        ("Windows",),
        (((2, 7),), ((6,),)),
    ),
    OpSpec(
        "unfold_of_a_scalar",
        lambda x: x.unfold(0, 1, 1),
        SAME,
        ("Windows",),
        (((),),),
    ),
]

API_SPECS += [
    # torch.special's own functions (chainrule.special)
    OpSpec("special_entr", lambda x: _lib(x).special.entr(x), SAME, ("Entr",), UNARY, POSITIVE),
    OpSpec("special_ndtr", lambda x: _lib(x).special.ndtr(x), SAME, ("Ndtr",), UNARY),
    OpSpec(
        "special_log_ndtr_both_tails",
        lambda x: _lib(x).special.log_ndtr(x),
        SAME,
        ("LogNdtr",),
        UNARY,
        uniform(-12.0, 6.0),
    ),
    OpSpec(
        "special_multigammaln",
        lambda x: _lib(x).special.multigammaln(x, 3),
        SAME,
        ("Lgamma",),
        UNARY,
        uniform(1.5, 4.0),
        second_order=False,
        why_off={
            "second_order": "the second derivative is trigamma, PyTorch's accurate to ~1e-10 "
            "only (as for the lgamma row)"
        },
    ),
]

API_SPECS += [
    # nn.Bilinear's map, one einsum: x1^T W[o] x2 + b[o]
    OpSpec(
        "bilinear",
        lambda x1, x2, w, b: _lib(x1).nn.functional.bilinear(x1, x2, w, b),
        SAME,
        ("Einsum", "Add"),
        (((2, 3), (2, 4), (5, 3, 4), (5,)), ((2, 2, 3), (2, 2, 4), (1, 3, 4), (1,))),
    ),
]


def _sin_and_square(lib: Any) -> Any:
    """An ``autograd.Function`` of two outputs, ``(sin x, x * x)``, written for ``lib``
    (chainrule or torch), with its backward, forward-mode rule and torch's vmap switch."""

    class SinAndSquare(lib.autograd.Function):
        generate_vmap_rule = True  # torch.func's: vmap runs the function's own ops

        @staticmethod
        def forward(x):
            return x.sin(), x * x

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(inputs[0])
            ctx.save_for_forward(inputs[0])

        @staticmethod
        def backward(ctx, g_sin, g_square):
            (x,) = ctx.saved_tensors
            return g_sin * x.cos() + g_square * 2 * x

        @staticmethod
        def jvp(ctx, t):
            (x,) = ctx.saved_tensors
            return t * x.cos(), t * 2 * x

    return SinAndSquare


_SIN_AND_SQUARE = {cr: _sin_and_square(cr), torch: _sin_and_square(torch)}

# A user's autograd.Function of several outputs: each is a piece of the node's packed output
# (FunctionOutput), and backward receives every output's gradient at once.
API_SPECS += [
    OpSpec(
        "autograd_function_two_outputs",
        lambda x: _SIN_AND_SQUARE[_lib(x)].apply(x),
        SAME,
        ("FunctionOutput",),
        UNARY,
    ),
]
