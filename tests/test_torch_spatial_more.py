"""Dilated convolutions, pooling with ``ceil_mode`` and dilation, ``affine_grid`` and
``grid_sample`` against PyTorch: output shapes, indices, unpooling, errors and module reprs
(the values and gradients are the op table's, ``tests/op_table_spatial.py``), and snippets
written for PyTorch (the Spatial Transformer Networks tutorial's ``stn()``, a dilated
convolution stack) that print the same text under both libraries.
"""

from __future__ import annotations

import itertools
import warnings
from typing import Any

import numpy as np
import pytest
import torch
from test_torch_snippets import run

import chainrule as cr


def _both(call: Any, x: np.ndarray) -> tuple[Any, Any]:
    """``call(library, input)`` under PyTorch and chainrule, warnings silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return call(torch, torch.tensor(x)), call(cr, cr.tensor(x))


def _same(ours: Any, theirs: Any) -> None:
    """Equal shapes, dtypes and values (indices exactly)."""
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12, atol=1e-12)


# Every (size, kernel, stride, padding, dilation, ceil_mode) of a 1-D pooling on sizes 1..9:
# PyTorch's output length (its ceil_mode rule included), values and indices, and the
# unpooling of those indices, whatever the geometry.
POOLS = [
    (n, k, s, p, d, ceil)
    for n, k, s, p, d, ceil in itertools.product(
        range(1, 10), (1, 2, 3), (1, 2, 3), (0, 1), (1, 2, 3), (False, True)
    )
    if p <= k // 2
    and n + 2 * p >= d * (k - 1) + 1
    and any(0 <= j * d - p < n for j in range(k))  # see below
]
# Left out: a window with no element of the input (all its taps in the padding, spaced by the
# dilation), whose maximum is -inf at an index PyTorch takes past its window.


@pytest.mark.parametrize(("n", "k", "s", "p", "d", "ceil"), POOLS)
def test_max_pool_ceil_mode_dilation_values_indices_and_unpool_match_torch(
    n: int, k: int, s: int, p: int, d: int, ceil: bool
) -> None:
    x = np.random.default_rng(n * 100 + k * 10 + s).permutation(3 * n * 2).reshape(3, 2, n) * 1.0
    for dims in (1, 2):
        shape = (3, 2, n) if dims == 1 else (3, 2, 2, n)
        values = np.resize(x, shape)

        def pool(lib: Any, t: Any, dims: int = dims) -> Any:
            if dims == 1:
                return lib.nn.functional.max_pool1d(t, k, s, p, d, ceil, True)
            return lib.nn.functional.max_pool2d(t, (1, k), (1, s), (0, p), (1, d), ceil, True)

        (tv, ti), (cv, ci) = _both(pool, values)
        _same(cv, tv)
        _same(ci, ti)
    # The unpooling of the indices into the input's size: the same planes, or (where that
    # size is more than a stride from the unpooling's default) the same refusal.
    back = (*x.shape[:2], n)
    try:
        expected = torch.nn.functional.max_unpool1d(tv[:, :, 0], ti[:, :, 0], k, s, p, back)
    except ValueError:
        with pytest.raises(ValueError, match="invalid output_size"):
            cr.nn.functional.max_unpool1d(cv[:, :, 0], ci[:, :, 0], k, s, p, back)
        return
    _same(cr.nn.functional.max_unpool1d(cv[:, :, 0], ci[:, :, 0], k, s, p, back), expected)


AVG_POOLS = [
    (n, k, s, p, ceil, include)
    for n, k, s, p, ceil, include in itertools.product(
        range(1, 10), (1, 2, 3, 4), (1, 2, 3), (0, 1, 2), (False, True), (False, True)
    )
    if p <= k // 2 and n + 2 * p >= k
]


@pytest.mark.parametrize(("n", "k", "s", "p", "ceil", "include"), AVG_POOLS)
def test_avg_pool_ceil_mode_divisors_match_torch(
    n: int, k: int, s: int, p: int, ceil: bool, include: bool
) -> None:
    """A ``ceil_mode`` window past the padded edge: PyTorch divides by the padded elements it
    covers (``count_include_pad``) or by the real ones, never by those past the padding."""
    x = np.random.default_rng(n).standard_normal((2, 3, n + 1, n))
    (t2, c2) = _both(lambda lib, t: lib.nn.functional.avg_pool2d(t, k, s, p, ceil, include), x)
    _same(c2, t2)
    (t1, c1) = _both(
        lambda lib, t: lib.nn.functional.avg_pool1d(t[:, :, 0], k, s, p, ceil, include), x
    )
    _same(c1, t1)


CONVS = [  # padding="same" with a stride: in the error table
    case
    for case in itertools.product((5, 8), (1, 2, 3), (1, 2), (0, 1, "same"), (1, 2, 3), (1, 3))
    if case[3] != "same" or case[2] == 1
]


@pytest.mark.parametrize(("n", "k", "s", "p", "d", "g"), CONVS)
def test_dilated_conv_shapes_and_values_match_torch(
    n: int, k: int, s: int, p: Any, d: int, g: int
) -> None:
    rng = np.random.default_rng(n * k)
    x, w = rng.standard_normal((2, 3, n, n + 2)), rng.standard_normal((6, 3 // g, k, k))

    def conv(lib: Any, t: Any) -> Any:
        return lib.nn.functional.conv2d(t, lib.tensor(w), None, s, p, (d, 1), g)

    try:
        expected = conv(torch, torch.tensor(x))
    except RuntimeError:
        with pytest.raises(RuntimeError):
            conv(cr, cr.tensor(x))
        return
    _same(conv(cr, cr.tensor(x)), expected)


ERRORS = {
    "max_pool_padding_over_half_the_kernel": lambda lib, x: lib.nn.functional.max_pool2d(
        x, 2, padding=2, dilation=3
    ),
    "max_pool_dilation_zero": lambda lib, x: lib.nn.functional.max_pool2d(x, 2, dilation=0),
    "max_pool_dilated_window_past_the_input": lambda lib, x: lib.nn.functional.max_pool2d(
        x, 3, dilation=3
    ),
    "max_pool1d_ceil_mode_too_small": lambda lib, x: lib.nn.functional.max_pool1d(
        x[0, :, 0], 3, dilation=4, ceil_mode=True
    ),
    "avg_pool_ceil_mode_padding_over_half": lambda lib, x: lib.nn.functional.avg_pool2d(
        x, 2, padding=2, ceil_mode=True
    ),
    "conv_dilated_kernel_past_the_input": lambda lib, x: lib.nn.functional.conv2d(
        x, lib.ones(1, 2, 3, 3, dtype=x.dtype), dilation=3
    ),
    "conv_dilation_zero": lambda lib, x: lib.nn.functional.conv2d(
        x, lib.ones(1, 2, 3, 3, dtype=x.dtype), dilation=0
    ),
    "conv_same_with_stride_and_dilation": lambda lib, x: lib.nn.functional.conv2d(
        x, lib.ones(1, 2, 3, 3, dtype=x.dtype), stride=2, padding="same", dilation=2
    ),
    "grid_sample_mode": lambda lib, x: lib.nn.functional.grid_sample(
        x, lib.zeros(1, 2, 2, 2, dtype=x.dtype), mode="cubic", align_corners=False
    ),
    "grid_sample_padding_mode": lambda lib, x: lib.nn.functional.grid_sample(
        x, lib.zeros(1, 2, 2, 2, dtype=x.dtype), padding_mode="wrap", align_corners=False
    ),
    "grid_sample_batch": lambda lib, x: lib.nn.functional.grid_sample(
        x, lib.zeros(2, 2, 2, 2, dtype=x.dtype), align_corners=False
    ),
    "grid_sample_last_dimension": lambda lib, x: lib.nn.functional.grid_sample(
        x, lib.zeros(1, 2, 2, 3, dtype=x.dtype), align_corners=False
    ),
    "grid_sample_dimensions": lambda lib, x: lib.nn.functional.grid_sample(
        x[0], lib.zeros(1, 2, 2, dtype=x.dtype), align_corners=False
    ),
    "grid_sample_empty_plane": lambda lib, x: lib.nn.functional.grid_sample(
        x[:, :, :0], lib.zeros(1, 2, 2, 2, dtype=x.dtype), align_corners=False
    ),
    "affine_grid_matrix_shape": lambda lib, x: lib.nn.functional.affine_grid(
        lib.zeros(1, 3, 3, dtype=x.dtype), (1, 2, 4, 5), align_corners=False
    ),
    "affine_grid_3d_size": lambda lib, x: lib.nn.functional.affine_grid(
        lib.zeros(1, 2, 3, dtype=x.dtype), (1, 2, 4), align_corners=False
    ),
    "affine_grid_integer_theta": lambda lib, x: lib.nn.functional.affine_grid(
        lib.zeros(1, 2, 3, dtype=lib.int64), (1, 2, 4, 5), align_corners=False
    ),
    "affine_grid_empty_size": lambda lib, x: lib.nn.functional.affine_grid(
        lib.zeros(1, 2, 3, dtype=x.dtype), (1, 2, 0, 5), align_corners=False
    ),
    "interpolate_bicubic_3d": lambda lib, x: lib.nn.functional.interpolate(
        x[0], size=3, mode="bicubic"
    ),
    "interpolate_bicubic_integer": lambda lib, x: lib.nn.functional.interpolate(
        x.long(), size=3, mode="bicubic"
    ),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_are_pytorchs(name: str) -> None:
    x = np.ones((1, 2, 5, 5))
    kinds = []
    for lib in (torch, cr):
        with pytest.raises(Exception) as caught:  # noqa: PT011 - the type is what is compared
            ERRORS[name](lib, lib.tensor(x))
        kinds.append(type(caught.value))
    assert kinds[0] is kinds[1]


REPRS = [
    "torch.nn.Conv2d(3, 8, 3, padding=2, dilation=2)",
    "torch.nn.Conv2d(4, 8, (3, 2), stride=2, dilation=(2, 3), groups=2, bias=False)",
    "torch.nn.Conv2d(3, 3, 3, padding='same', dilation=3, padding_mode='reflect')",
    "torch.nn.Conv1d(2, 4, 3, dilation=4)",
    "torch.nn.MaxPool2d(3, stride=2, padding=1, dilation=2, ceil_mode=True)",
    "torch.nn.MaxPool1d(2, dilation=3, return_indices=True, ceil_mode=True)",
    "torch.nn.AvgPool2d(3, stride=2, ceil_mode=True, count_include_pad=False)",
    "torch.nn.AvgPool1d(3, ceil_mode=True)",
]


@pytest.mark.parametrize("source", REPRS)
def test_module_reprs_are_pytorchs(source: str) -> None:
    theirs = repr(eval(source))  # noqa: S307 - our own sources
    ours = repr(eval(source.replace("torch", "cr")))  # noqa: S307
    assert ours == theirs


def test_dilated_padding_same_modes_match_torch() -> None:
    """nn.Conv2d's padding='same' with a dilation pads by the window's extent, in every
    padding mode; values and gradients as PyTorch's."""
    x = np.random.default_rng(0).standard_normal((2, 2, 7, 6))
    for mode in ("zeros", "reflect", "replicate", "circular"):
        torch.manual_seed(0)
        theirs = torch.nn.Conv2d(2, 3, (2, 3), padding="same", dilation=(3, 2), padding_mode=mode)
        ours = cr.nn.Conv2d(2, 3, (2, 3), padding="same", dilation=(3, 2), padding_mode=mode)
        ours.load_state_dict(
            {k: cr.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()}
        )
        tx, cx = torch.tensor(x, requires_grad=True), cr.tensor(x, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PyTorch: "same" with an even extent copies
            ty, cy = theirs.double()(tx), ours.double()(cx)
        _same(cy.detach(), ty.detach())
        ty.sum().backward()
        cy.sum().backward()
        _same(cx.grad, tx.grad)


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("size", [(1, 1), (2, 9), (7, 3), (12, 12)])
def test_bicubic_values_and_gradients_match_torch(
    size: tuple[int, int], align_corners: bool
) -> None:
    """Keys' cubic convolution (A = -0.75), taps clamped at the edges, in float32 and float64,
    downsampling and upsampling."""
    for dtype in ("float32", "float64"):
        x = np.random.default_rng(sum(size)).standard_normal((2, 3, 5, 4)).astype(dtype)
        u = np.random.default_rng(1).standard_normal((2, 3, *size)).astype(dtype)
        tx, cx = torch.tensor(x, requires_grad=True), cr.tensor(x, requires_grad=True)
        ty = torch.nn.functional.interpolate(tx, size, mode="bicubic", align_corners=align_corners)
        cy = cr.nn.functional.interpolate(cx, size, mode="bicubic", align_corners=align_corners)
        (ty * torch.tensor(u)).sum().backward()
        (cy * cr.tensor(u)).sum().backward()
        tol = 1e-12 if dtype == "float64" else 1e-5
        np.testing.assert_allclose(cy.detach().numpy(), ty.detach().numpy(), atol=tol)
        np.testing.assert_allclose(cx.grad.numpy(), tx.grad.numpy(), atol=10 * tol)


SNIPPETS = {
    # The Spatial Transformer Networks tutorial's localization network and stn(), on fixed
    # weights (each library draws its own initial ones) and random-looking data. In float64:
    # in float32 the two libraries' affine grids differ in the last bit (their products add
    # up in another order), enough to put a position that lies within a bit of a pixel on the
    # other side of it, where bilinear sampling's grid gradient jumps.
    "stn_tutorial": """
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        torch.set_default_dtype(torch.float64)

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.localization = nn.Sequential(
                    nn.Conv2d(1, 8, kernel_size=7),
                    nn.MaxPool2d(2, stride=2),
                    nn.ReLU(True),
                    nn.Conv2d(8, 10, kernel_size=5),
                    nn.MaxPool2d(2, stride=2),
                    nn.ReLU(True),
                )
                self.fc_loc = nn.Sequential(
                    nn.Linear(10 * 3 * 3, 32), nn.ReLU(True), nn.Linear(32, 3 * 2)
                )
                self.fc_loc[2].weight.data.zero_()
                self.fc_loc[2].bias.data.copy_(torch.tensor([1.0, 0, 0, 0, 1, 0]))

            def stn(self, x):
                xs = self.localization(x)
                xs = xs.view(-1, 10 * 3 * 3)
                theta = self.fc_loc(xs)
                theta = theta.view(-1, 2, 3)
                grid = F.affine_grid(theta, x.size(), align_corners=False)
                x = F.grid_sample(x, grid, align_corners=False)
                return x

        net = Net()
        with torch.no_grad():
            for name, p in net.named_parameters():
                if not name.startswith("fc_loc.2"):
                    p.copy_(torch.linspace(-0.2, 0.2, p.numel()).reshape(p.shape).cos() * 0.1)
            # Away from the identity, whose grid points sit on pixels: there bilinear
            # sampling's grid gradient jumps, and which side a point lands on rests on the
            # last bit of PyTorch's vectorized kernel's arithmetic.
            w = net.fc_loc[2].weight
            w.copy_(torch.linspace(-0.013, 0.017, w.numel()).reshape(w.shape).sin())
        print(net.localization)
        x = torch.linspace(0, 40, 2 * 28 * 28).reshape(2, 1, 28, 28).sin()
        x.requires_grad_(True)
        out = net.stn(x)
        print(out.shape, round(float(out.sum()), 3), round(float(out.abs().max()), 4))
        out.square().mean().backward()
        print(round(float(x.grad.abs().sum()), 4))
        print(round(float(net.fc_loc[2].bias.grad.abs().sum()), 4))
        theta = torch.tensor([[[0.8, 0.1, 0.05], [-0.1, 0.9, 0.0]]])
        grid = F.affine_grid(theta, (1, 1, 3, 4), align_corners=True)
        print(grid)
        for mode in ("bilinear", "nearest"):
            for padding in ("zeros", "border", "reflection"):
                y = F.grid_sample(x[:1].detach(), grid * 1.3, mode, padding, align_corners=True)
                print(mode, padding, y.shape, round(float(y.sum()), 4))
    """,
    # A dilated convolution stack (an "atrous" block: growing dilations, same padding) and a
    # pooling with ceil_mode whose indices unpool.
    "dilated_conv_stack": """
        import torch
        import torch.nn as nn

        block = nn.Sequential(
            nn.Conv2d(2, 4, 3, padding=1, dilation=1),
            nn.ReLU(),
            nn.Conv2d(4, 4, 3, padding=2, dilation=2),
            nn.ReLU(),
            nn.Conv2d(4, 4, 3, padding="same", dilation=4, padding_mode="replicate"),
            nn.Conv1d(4, 4, 1) if False else nn.Identity(),
        )
        print(block)
        with torch.no_grad():
            for p in block.parameters():
                p.copy_(torch.linspace(-0.3, 0.3, p.numel()).reshape(p.shape))
        x = torch.linspace(-1, 1, 2 * 2 * 9 * 11).reshape(2, 2, 9, 11).cos()
        y = block(x)
        print(y.shape, round(float(y.sum()), 4))
        pool = nn.MaxPool2d(3, stride=2, ceil_mode=True, return_indices=True)
        values, indices = pool(y)
        print(values.shape, indices[0, 0])
        back = nn.MaxUnpool2d(3, stride=2)(values, indices, output_size=y.shape)
        print(back.shape, round(float(back.sum()), 2))  # float32 sums of 269.43 differ at 1e-4
        seq = torch.linspace(0, 3, 2 * 3 * 13).reshape(2, 3, 13).sin()
        conv = nn.Conv1d(3, 2, 3, stride=2, dilation=3)
        with torch.no_grad():
            conv.weight.fill_(0.5)
            conv.bias.zero_()
        print(conv, conv(seq).shape, round(float(conv(seq).sum()), 4))
        print(nn.AvgPool1d(4, stride=3, ceil_mode=True)(seq)[0, 0])
    """,
}


@pytest.fixture
def _float32_after():
    """The STN snippet computes in float64: the default dtype is put back after it."""
    yield
    for module in (torch, cr):
        module.set_default_dtype(module.float32)


@pytest.mark.usefixtures("_float32_after")
@pytest.mark.parametrize("name", SNIPPETS)
def test_snippet_prints_what_pytorch_prints(name: str) -> None:
    source = SNIPPETS[name]
    expected = run(source).replace("torch", "chainrule")
    assert run(source.replace("torch", "chainrule")) == expected


# Negative widths crop (PyTorch's ``F.pad`` takes them in every mode): crops alone, a crop on
# one side and padding on the other, crops to nothing, and PyTorch's refusals of crops past the
# input (1-D: nothing left; 2-D and 3-D: nothing left in every padded dimension).
CROPS = [
    *itertools.product(
        ("constant", "reflect", "replicate", "circular"),
        [(-1, 2), (2, -1), (-2, -2), (-1, -1, 1, 0), (1, -2, -1, 1), (-4, 0), (0, -5), (-5, 1)],
        [(1, 2, 3, 4)],
    ),
    *itertools.product(("constant", "circular"), [(-3, 0, -2, 1, 0, -1)], [(1, 1, 2, 3, 4)]),
    *itertools.product(("reflect", "replicate"), [(-1, 1, 0, -1, -1, 0)], [(1, 1, 2, 3, 4)]),
    *itertools.product(
        ("reflect", "replicate"),
        [(-2, -2, -3, 0), (-4, 0, -1, -2), (-4, -1, -1, -1, -2, 0)],
        [(1, 2, 3, 4), (1, 1, 2, 3, 4)],
    ),
    *itertools.product(("reflect", "replicate"), [(-3, -2), (-5, 0)], [(1, 1, 5)]),
    *itertools.product(("circular",), [(-6, 0), (-3, -3), (-6, 1), (-3, -2)], [(1, 1, 5)]),
    ("constant", (-2, -3), (3, 4)),
]


@pytest.mark.parametrize(("mode", "widths", "shape"), CROPS)
def test_negative_padding_crops_as_torch(mode: str, widths: tuple, shape: tuple) -> None:
    def call(lib: Any, x: Any) -> Any:
        x.requires_grad_()
        try:
            y = lib.nn.functional.pad(x, widths, mode=mode)
        except RuntimeError as error:
            return str(error)
        y.backward(lib.tensor(np.cos(np.arange(y.numel()).reshape(tuple(y.shape)))))
        return y.detach(), x.grad

    x = np.arange(np.prod(shape), dtype=float).reshape(shape) / 7
    theirs, ours = _both(call, x)
    if isinstance(theirs, str):
        assert ours == theirs
    else:
        _same(ours[0], theirs[0])
        _same(ours[1], theirs[1])
