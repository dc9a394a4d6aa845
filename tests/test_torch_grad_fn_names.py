"""``grad_fn.name()`` as PyTorch's for the same code: the graph pictures and the explainer show
it, so a reader can match chainrule's graph with PyTorch's. Each row runs one lambda on float64
inputs of both libraries (``lib`` is ``torch`` or ``chainrule``) and compares the names."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr

M, V, S = (3, 4), (4,), (4, 4)
I4, I5, W4 = (1, 2, 4, 6), (1, 2, 2, 4, 6), (2, 3, 2, 2)  # images, volumes, a weight

# (id, lambda lib, *inputs, input shapes)
ROWS = [
    # a dim given is PyTorch's dim overload (Backward1), also where it reduces every dim
    ("sum_0_of_vector", lambda lib, x: x.sum(0), V),
    ("sum_all_dims", lambda lib, x: x.sum((0, 1)), M),
    ("sum_empty_dims", lambda lib, x: x.sum(()), M),
    ("mean_0_of_vector", lambda lib, x: x.mean(0), V),
    ("mean_all_dims", lambda lib, x: lib.mean(x, (0, 1)), M),
    ("prod_0", lambda lib, x: x.prod(0), M),
    ("prod_0_of_vector", lambda lib, x: x.prod(0), V),
    ("prod_keepdim", lambda lib, x: x.prod(1, keepdim=True), M),
    ("nansum", lambda lib, x: x.nansum(), M),
    ("nansum_dim", lambda lib, x: lib.nansum(x, 1), M),
    ("norm_p1", lambda lib, x: x.norm(p=1), M),
    ("norm_p1_dim", lambda lib, x: lib.norm(x, p=1, dim=1), M),
    ("norm_inf", lambda lib, x: x.norm(p=float("inf")), M),
    ("norm_minus_inf", lambda lib, x: x.norm(p=float("-inf")), M),
    ("vector_norm_1", lambda lib, x: lib.linalg.vector_norm(x, 1), M),
    ("norm_nuc", lambda lib, x: x.norm(p="nuc"), M),
    ("var_mean_var", lambda lib, x: lib.var_mean(x, 0)[0], M),
    ("var_mean_mean", lambda lib, x: lib.var_mean(x)[1], M),
    ("std_mean_std", lambda lib, x: lib.std_mean(x)[0], M),
    # elementwise
    ("log1p", lambda lib, x: x.log1p(), M),
    ("square", lambda lib, x: lib.square(x), M),
    ("clamp_min", lambda lib, x: x.clamp_min(0.5), M),
    ("clamp_max", lambda lib, x: lib.clamp_max(x, 0.5), M),
    ("clamp_min_tensor", lambda lib, x, y: x.clamp_min(y), M, M),
    ("clamp_max_tensor", lambda lib, x, y: lib.clamp_max(x, y), M, M),
    ("clamp_tensor_bound", lambda lib, x, y: x.clamp(min=y), M, M),
    ("xlogy", lambda lib, x, y: lib.xlogy(x, y), M, M),
    ("xlogy_number_x", lambda lib, y: lib.xlogy(2.0, y), M),
    ("xlogy_number_y", lambda lib, x: x.xlogy(2.0), M),
    ("nan_to_num", lambda lib, x: x.nan_to_num(), M),
    ("div_floor", lambda lib, x, y: x.div(y, rounding_mode="floor"), M, M),
    ("div_trunc_number", lambda lib, x: lib.div(x, 2.0, rounding_mode="trunc"), M),
    ("remainder_tensor", lambda lib, x, y: x % y, M, M),
    ("fmod_tensor", lambda lib, x, y: lib.fmod(x, y), M, M),
    ("copysign", lambda lib, x, y: lib.copysign(x, y), M, M),
    ("copysign_number", lambda lib, x: x.copysign(-1.0), M),
    ("logaddexp", lambda lib, x, y: lib.logaddexp(x, y), M, M),
    ("logaddexp2", lambda lib, x, y: x.logaddexp2(y), M, M),
    ("rsub_tensor", lambda lib, x, y: lib.rsub(x, y), M, M),
    ("sinc", lambda lib, x: x.sinc(), M),
    ("deg2rad", lambda lib, x: lib.deg2rad(x), M),
    ("rad2deg", lambda lib, x: x.rad2deg(), M),
    ("angle", lambda lib, x: lib.angle(x), M),
    ("fmax", lambda lib, x, y: lib.fmax(x, y), M, M),
    ("fmin", lambda lib, x, y: x.fmin(y), M, M),
    # linear algebra and nn
    ("linalg_inv", lambda lib, x: lib.linalg.inv(x + 4 * lib.eye(4, dtype=x.dtype)), S),
    ("inverse", lambda lib, x: lib.inverse(x + 4 * lib.eye(4, dtype=x.dtype)), S),
    ("det", lambda lib, x: lib.det(x), S),
    ("linalg_cross_vector", lambda lib, x, y: lib.linalg.cross(x, y), (3,), (3,)),
    ("conv1d", lambda lib, x, w: lib.nn.functional.conv1d(x, w), (1, 2, 5), (3, 2, 2)),
    ("avg_pool2d", lambda lib, x: lib.nn.functional.avg_pool2d(x, 2), (1, 2, 4, 4)),
    ("pixel_shuffle", lambda lib, x: lib.nn.functional.pixel_shuffle(x, 2), (1, 4, 2, 2)),
    ("pixel_unshuffle", lambda lib, x: lib.nn.functional.pixel_unshuffle(x, 2), (1, 1, 4, 4)),
    # kept as they were (guards: the overloads told apart correctly)
    ("sum_whole", lambda lib, x: x.sum(), M),
    ("mean_dtype", lambda lib, x: x.mean(dtype=lib.float64), M),
    ("prod_whole", lambda lib, x: x.prod(), M),
    ("sum_dim_keepdim", lambda lib, x: x.sum(1, keepdim=True), M),
    ("clamp_number", lambda lib, x: x.clamp(min=0.5), M),
    ("rsub_number", lambda lib, x: 1.0 - x, M),
    ("remainder_number", lambda lib, x: x % 2.0, M),
    ("conv1d_unbatched", lambda lib, x, w: lib.nn.functional.conv1d(x, w), (2, 5), (3, 2, 2)),
    # nn functions PyTorch runs as one kernel, built here from several ops
    ("reflect_pad_2d", lambda lib, x: lib.nn.functional.pad(x, (1, 1, 1, 1), "reflect"), I4),
    ("replicate_pad_1d", lambda lib, x: lib.nn.functional.pad(x, (1, 2), "replicate"), (2, 5)),
    ("reflect_pad_3d", lambda lib, x: lib.nn.functional.pad(x, (1,) * 6, "reflect"), (1, *I4)),
    ("conv_transpose2d", lambda lib, x, w: lib.nn.functional.conv_transpose2d(x, w), I4, W4),
    (
        "conv_transpose3d",
        lambda lib, x, w: lib.nn.functional.conv_transpose3d(x, w),
        I5,
        (2, 3, 1, 2, 2),
    ),
    ("conv3d", lambda lib, x, w: lib.nn.functional.conv3d(x, w), I5, (3, 2, 1, 2, 2)),
    ("adaptive_avg_pool2d", lambda lib, x: lib.nn.functional.adaptive_avg_pool2d(x, (2, 3)), I4),
    ("adaptive_avg_pool2d_1", lambda lib, x: lib.nn.functional.adaptive_avg_pool2d(x, 1), I4),
    ("avg_pool3d", lambda lib, x: lib.nn.functional.avg_pool3d(x, (1, 2, 2)), (1, *I4)),
    ("unfold", lambda lib, x: lib.nn.functional.unfold(x, 2), I4),
    ("fold", lambda lib, x: lib.nn.functional.fold(x, (4, 6), 2), (1, 8, 15)),
    ("nearest", lambda lib, x: lib.nn.functional.interpolate(x, scale_factor=2), I4),
    ("nearest_same_size", lambda lib, x: lib.nn.functional.interpolate(x, scale_factor=1), I4),
    (
        "nearest_exact",
        lambda lib, x: lib.nn.functional.interpolate(x, (3, 3), mode="nearest-exact"),
        I4,
    ),
    ("bilinear", lambda lib, x: lib.nn.functional.interpolate(x, (3, 8), mode="bilinear"), I4),
    (
        "bilinear_antialias",
        lambda lib, x: lib.nn.functional.interpolate(x, (2, 3), mode="bilinear", antialias=True),
        I4,
    ),
    ("bicubic", lambda lib, x: lib.nn.functional.interpolate(x, (6, 7), mode="bicubic"), I4),
    ("linear", lambda lib, x: lib.nn.functional.interpolate(x, 9, mode="linear"), (1, 2, 5)),
]


def _inputs(lib, shapes):
    rng = np.random.default_rng(0)
    return [
        lib.tensor(rng.uniform(0.1, 0.9, shape), dtype=lib.float64, requires_grad=True)
        for shape in shapes
    ]


def _names(node, depth):
    """The names along ``next_functions``, depth first, ``depth`` nodes deep."""
    if node is None or depth == 0:
        return []
    names = [node.name()]
    for child, _ in node.next_functions:
        names += _names(child, depth - 1)
    return names


def _leaf_names(names):
    """chainrule's AccumulateGrad is named in its own namespace, PyTorch's in torch's."""
    return [name.replace("torch::autograd::", "chainrule::autograd::") for name in names]


@pytest.mark.parametrize(
    ("fn", "shapes"), [row[1:2] + (row[2:],) for row in ROWS], ids=[row[0] for row in ROWS]
)
def test_grad_fn_name_is_pytorchs(fn, shapes):
    want = fn(torch, *_inputs(torch, shapes)).grad_fn.name()
    assert fn(cr, *_inputs(cr, shapes)).grad_fn.name() == want


# ops that are one node in both graphs: the walk along next_functions matches too
WALKED = ["prod_0", "log1p", "clamp_min", "xlogy", "copysign", "logaddexp", "det", "sum_all_dims"]


@pytest.mark.parametrize("row", [row for row in ROWS if row[0] in WALKED], ids=lambda row: row[0])
def test_next_functions_names_are_pytorchs(row):
    _, fn, *shapes = row
    want = _leaf_names(_names((fn(torch, *_inputs(torch, shapes)) * 2).grad_fn, 4))
    assert _names((fn(cr, *_inputs(cr, shapes)) * 2).grad_fn, 4) == want


def test_repr_shows_the_name():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    assert "grad_fn=<SumBackward1>" in repr(x.sum(0))
    assert "grad_fn=<Log1PBackward0>" in repr(x.log1p())


def test_interpolate_to_the_same_size_gives_a_new_tensor_as_pytorch():
    """Not the input itself (an alias: writing into the result changed the input, silently)."""
    for lib in (torch, cr):
        x = lib.ones(1, 1, 2, 3)
        y = lib.nn.functional.interpolate(x, scale_factor=1)
        y.add_(1)
        assert y is not x and float(x.sum()) == 6.0, lib.__name__
