"""Bicubic and volumetric ``grid_sample`` and antialiased ``interpolate`` against PyTorch:
values, the input's gradient and the grid's, in float64 and float32, on random grids and on
grids that sit on pixels and edges (where clipping and reflection zero PyTorch's gradient).

The op-table rows (``tests/op_table_sampling.py``) check the derivatives by finite
differences, second order, jvp and vmap; these compare many more configurations with torch.
"""

from __future__ import annotations

import itertools
import warnings
from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr

_PADDINGS = ("zeros", "border", "reflection")
# Positions on whole and half pixels, on the edges and far outside them
_SPECIAL = (-1.0, 0.0, 1.0, -0.5, 0.5, 1 / 3, -1.5, 2.0, 1.0000001, 5.0, -7.25)


def _run(lib: Any, dtype: str, arrays: list[np.ndarray], call: Any) -> list[np.ndarray]:
    """``call``'s output and the gradients of each array, as NumPy arrays, of a fixed
    weighting of the output."""
    tensors = [lib.tensor(a, dtype=getattr(lib, dtype), requires_grad=True) for a in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = call(lib, *tensors)
    weights = np.cos(np.arange(out.numel())).reshape(tuple(out.shape))
    (out * lib.tensor(weights, dtype=getattr(lib, dtype))).sum().backward()
    return [out.detach().numpy(), *(t.grad.numpy() for t in tensors)]


def _assert_match(arrays: list[np.ndarray], call: Any, dtype: str = "float64") -> None:
    ours, theirs = (_run(lib, dtype, arrays, call) for lib in (cr, torch))
    tol = {"rtol": 1e-9, "atol": 1e-11} if dtype == "float64" else {"rtol": 2e-5, "atol": 2e-5}
    for name, a, b in zip(("value", "input grad", "grid grad"), ours, theirs, strict=False):
        assert a.shape == b.shape, name
        np.testing.assert_allclose(a, b, err_msg=name, **tol)


def _sampler(mode: str, padding: str, aligned: bool) -> Any:
    return lambda lib, x, g: lib.nn.functional.grid_sample(x, g, mode, padding, aligned)


_IMAGE_CASES = list(itertools.product(("bicubic", "bilinear", "nearest"), _PADDINGS, (False, True)))


@pytest.mark.parametrize(("mode", "padding", "aligned"), _IMAGE_CASES)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_grid_sample_image_matches_torch(mode: str, padding: str, aligned: bool, dtype: str):
    rng = np.random.default_rng(len(mode) + 7 * len(padding) + aligned)
    for size in ((3, 4), (1, 5), (4, 1), (2, 2)):
        x = rng.standard_normal((2, 2, *size))
        _assert_match(
            [x, rng.standard_normal((2, 3, 4, 2)) * 1.2], _sampler(mode, padding, aligned), dtype
        )
        special = rng.choice(_SPECIAL, (2, 5, 3, 2))
        _assert_match([x, special], _sampler(mode, padding, aligned), dtype)


@pytest.mark.parametrize(
    ("mode", "padding", "aligned"), [c for c in _IMAGE_CASES if c[0] != "bicubic"]
)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_grid_sample_volume_matches_torch(mode: str, padding: str, aligned: bool, dtype: str):
    rng = np.random.default_rng(3 + len(mode) + 7 * len(padding) + aligned)
    for size in ((2, 3, 4), (1, 2, 3), (3, 1, 1)):
        x = rng.standard_normal((2, 2, *size))
        grid = rng.standard_normal((2, 2, 3, 2, 3)) * 1.2
        _assert_match([x, grid], _sampler(mode, padding, aligned), dtype)
        special = rng.choice(_SPECIAL, (2, 4, 2, 2, 3))
        _assert_match([x, special], _sampler(mode, padding, aligned), dtype)


def test_grid_sample_bicubic_of_a_volume_is_refused_as_torch_refuses_it():
    messages = []
    for lib in (torch, cr):
        with pytest.raises(RuntimeError) as caught:
            lib.nn.functional.grid_sample(
                lib.zeros(1, 1, 2, 2, 2), lib.zeros(1, 1, 1, 1, 3), "bicubic", "zeros", False
            )
        messages.append(str(caught.value))
    assert messages[0] == messages[1]


def test_grid_sample_bicubic_weighs_by_keys_kernel_with_a_of_minus_three_quarters():
    # Half-way between pixels 1 and 2 of four: weights -3/32, 19/32, 19/32, -3/32.
    image = cr.tensor([[[[1.0, 10.0, 100.0, 1000.0]]]], dtype=cr.float64)
    out = cr.nn.functional.grid_sample(
        image, cr.zeros(1, 1, 1, 2, dtype=cr.float64), "bicubic", "zeros", True
    )
    assert out.item() == pytest.approx((-3 * 1 + 19 * 10 + 19 * 100 - 3 * 1000) / 32, rel=1e-14)


# ----------------------------------------------------------------------------- antialias
def _resize(mode: str, **kw: Any) -> Any:
    return lambda lib, x: lib.nn.functional.interpolate(x, mode=mode, antialias=True, **kw)


_RESIZES = [
    {"size": (4, 3)},
    {"size": (2, 9)},
    {"size": (11, 5)},
    {"size": (1, 1)},
    {"size": (7, 7)},  # the input's size: a copy
    {"scale_factor": 0.3},
    {"scale_factor": (0.5, 2.7)},
    {"scale_factor": (1.5, 0.4), "recompute_scale_factor": True},
    {"scale_factor": (0.7, 1.0)},
]


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("aligned", [False, True])
@pytest.mark.parametrize("kw", _RESIZES, ids=[str(sorted(k.items())) for k in _RESIZES])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_interpolate_antialias_matches_torch(mode: str, aligned: bool, kw: dict, dtype: str):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3, 7, 7))
    _assert_match([x], _resize(mode, align_corners=aligned, **kw), dtype)


def test_interpolate_antialias_one_pixel_wide_output_reads_every_row():
    # PyTorch 2.13's forward kernel gives every row of an output one pixel wide the first
    # row's value (its gradient is right); each row here is its own: the resize of a column
    # equals the first column of the resize of that column doubled.
    column = np.arange(6.0).reshape(1, 1, 6, 1) ** 2
    ours = _resize("bilinear", size=(3, 1))(cr, cr.tensor(column)).numpy()
    wide = _resize("bilinear", size=(3, 2))(torch, torch.tensor(np.repeat(column, 2, 3))).numpy()
    np.testing.assert_allclose(ours[..., 0], wide[..., 0], rtol=1e-12)
    ours_grad, torch_grad = (
        _run(lib, "float64", [column], _resize("bilinear", size=(3, 1)))[1] for lib in (cr, torch)
    )
    np.testing.assert_allclose(ours_grad, torch_grad, rtol=1e-12)


def test_interpolate_antialias_keeps_the_refusals_of_torch():
    for lib in (torch, cr):
        with pytest.raises(ValueError, match="Anti-alias option is restricted"):
            lib.nn.functional.interpolate(lib.zeros(1, 1, 4), size=2, mode="linear", antialias=True)


@pytest.mark.parametrize("size", [(3, 3), (6, 3), (6, 6)])
def test_interpolate_antialias_of_half_floats_is_refused_where_torch_refuses_it(size: Any):
    outcomes = []
    for lib in (torch, cr):
        x = lib.ones(1, 1, 6, 6, dtype=lib.float16)
        try:
            out = lib.nn.functional.interpolate(x, size=size, mode="bicubic", antialias=True)
            outcomes.append(tuple(out.shape))
        except NotImplementedError as error:
            outcomes.append(str(error))
    assert outcomes[0] == outcomes[1]
