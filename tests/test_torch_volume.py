"""Three-dimensional layers and functions (Conv3d, ConvTranspose3d, the 3-D and LP poolings,
3-D padding and normalization, channel dropout) against PyTorch: what the op table does not
check (indices, masks, errors, module attributes, reprs and state_dict keys), and snippets
written for PyTorch that print the same text under chainrule (the runner of
``tests/test_torch_snippets.py``)."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from test_torch_snippets import run

import chainrule as cr
import chainrule.nn.functional as F

SNIPPETS: dict[str, str] = {
    "cnn3d_training_step": """
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        torch.manual_seed(0)
        model = nn.Sequential(
            nn.Conv3d(2, 4, 3, padding=1),
            nn.BatchNorm3d(4),
            nn.ReLU(),
            nn.MaxPool3d(2),
            nn.Conv3d(4, 6, (2, 3, 3), padding="same", padding_mode="reflect", bias=False),
            nn.Dropout3d(0.25),
            nn.AdaptiveAvgPool3d(1),
            nn.Flatten(),
            nn.Linear(6, 3),
        )
        print(model)
        print(list(model.state_dict().keys()))
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        x = torch.randn(4, 2, 6, 6, 6)
        y = torch.tensor([0, 2, 1, 2])
        for step in range(3):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            print(step, round(loss.item(), 4), round(model[0].weight.grad.norm().item(), 4))
        print(model[1].running_mean, model[1].num_batches_tracked)
        model.eval()
        print(model(x[:1]).detach().round(decimals=3))
    """,
    "volume_autoencoder_transposed": """
        import torch
        import torch.nn as nn
        torch.manual_seed(1)
        down = nn.Conv3d(1, 2, 3, stride=2, padding=1)
        up = nn.ConvTranspose3d(2, 1, 3, stride=2, padding=1, output_padding=1)
        grouped = nn.ConvTranspose3d(4, 2, (1, 2, 3), stride=(1, 2, 1), groups=2,
                                     dilation=(1, 1, 2))
        print(down, up, grouped, sep="\\n")
        print(up.weight.shape, grouped.weight.shape, grouped.bias.shape)
        x = torch.randn(2, 1, 4, 6, 5)
        h = down(x)
        print(h.shape, up(h).shape, up(h, output_size=[3, 5, 5]).shape)
        out = up(h)
        out.sum().backward()
        print(round(down.weight.grad.sum().item(), 4), up.bias.grad)
        print(grouped(torch.randn(4, 3, 2, 2)).shape)
        smooth = nn.Upsample(scale_factor=2, mode="trilinear", align_corners=False)
        print(smooth, smooth(h).shape, round(smooth(h).sum().item(), 3))
        print(nn.Upsample(size=(3, 4, 5))(h)[0, 0, 0].detach())
        error(lambda: up(h, output_size=[9, 9, 9]))
        error(lambda: nn.ConvTranspose3d(2, 2, 2, padding_mode="reflect"))
    """,
    "volume_pooling_layers": """
        import torch
        import torch.nn as nn
        x = torch.arange(2 * 4 * 4 * 5, dtype=torch.float32).reshape(1, 2, 4, 4, 5) % 7
        for layer in (nn.MaxPool3d(2), nn.MaxPool3d(3, stride=2, padding=1, ceil_mode=True),
                      nn.AvgPool3d(2), nn.AvgPool3d((2, 3, 3), stride=1, padding=1,
                                                    count_include_pad=False),
                      nn.AvgPool3d(2, divisor_override=3), nn.AdaptiveAvgPool3d((1, 2, None)),
                      nn.AdaptiveMaxPool3d(2), nn.LPPool3d(2, 2), nn.LPPool2d(1, (2, 2)),
                      nn.LPPool1d(3, 2, stride=1)):
            print(layer)
            print(layer(x if "3d" in type(layer).__name__ else x[0, 0]).round(decimals=4))
        values, indices = nn.MaxPool3d(2, return_indices=True)(x)
        print(indices)
        unpool = nn.MaxUnpool3d(2)
        print(unpool, unpool(values, indices).shape, unpool(values, indices).sum())
        print(nn.AdaptiveMaxPool3d((2, 1, 3), return_indices=True)(x)[1])
        print(nn.functional.adaptive_max_pool2d_with_indices(x[0], 2)[1])
        print(nn.functional.adaptive_max_pool1d_with_indices(x[0, 0], 3)[1])
        print(nn.functional.max_pool3d_with_indices(x, 2, stride=1)[1][0, 0, 0])
    """,
    "volume_norms_and_padding": """
        import torch
        import torch.nn as nn
        torch.manual_seed(2)
        x = torch.randn(2, 3, 2, 3, 2)
        bn, inorm = nn.BatchNorm3d(3), nn.InstanceNorm3d(3, affine=True)
        print(bn, inorm, sep="\\n")
        print(list(bn.state_dict()), list(inorm.state_dict()))
        print(bool(bn(x).mean().abs() < 1e-6), bn.running_var.round(decimals=4))
        print(inorm(x)[0, 0].detach().round(decimals=4), inorm(x[0]).shape)
        for layer in (nn.ConstantPad3d(1, 2.5), nn.ZeroPad3d((1, 0, 0, 1, 1, 0)),
                      nn.ReflectionPad3d(1), nn.ReplicationPad3d((0, 1, 1, 0, 2, 0)),
                      nn.CircularPad3d(1)):
            print(layer, layer(x).shape, round(layer(x).sum().item(), 3))
        y = torch.arange(8.0).reshape(1, 1, 2, 2, 2)
        print(nn.ReflectionPad3d(1)(y)[0, 0, 0], nn.CircularPad3d((1, 0, 0, 0, 0, 1))(y)[0, 0])
    """,
    "channel_dropout": """
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        torch.manual_seed(3)
        for layer, x in ((nn.Dropout1d(0.5), torch.ones(2, 4, 3)),
                         (nn.Dropout1d(), torch.ones(4, 3)),
                         (nn.Dropout2d(0.3), torch.ones(2, 4, 2, 2)),
                         (nn.Dropout3d(0.6), torch.ones(2, 3, 1, 2, 2)),
                         (nn.Dropout3d(0.6), torch.ones(3, 1, 2, 2))):
            print(layer, layer(x).flatten().tolist())
            layer.eval()
            print(layer(x).sum())
        print(F.dropout3d(torch.ones(1, 2, 1, 1, 1), 1.0), F.dropout2d(torch.ones(2, 2, 1, 1), 0.0))
        print(F.dropout1d(torch.ones(2, 3), training=False).sum())
        error(lambda: F.dropout1d(torch.ones(2, 2, 2, 2)))
        error(lambda: nn.Dropout3d(1.5))
        error(lambda: F.dropout2d(torch.ones(2, 2, 2, 2), -0.1))
    """,
    "conv3d_padding_modes_and_errors": """
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        torch.manual_seed(4)
        x = torch.randn(1, 2, 3, 4, 3)
        for mode in ("zeros", "reflect", "replicate", "circular"):
            conv = nn.Conv3d(2, 2, (3, 2, 3), padding=(1, 1, 1), dilation=(1, 2, 1),
                             padding_mode=mode)
            print(conv, conv(x).shape, round(conv(x).sum().item(), 3))
        print(nn.Conv3d(2, 4, 1, groups=2, bias=False).weight.shape)
        w = torch.randn(4, 2, 3, 3, 3)
        error(lambda: F.conv3d(torch.randn(2, 3), w))
        error(lambda: F.conv3d(torch.randn(1, 3, 4, 4, 4), w))
        error(lambda: F.conv3d(torch.randn(1, 2, 2, 4, 4), w))
        error(lambda: F.conv3d(torch.randn(1, 2, 4, 4, 4), w, torch.randn(3)))
        error(lambda: F.conv3d(torch.randn(1, 2, 4, 4, 4), w, stride=(1, 2)))
        error(lambda: F.conv3d(torch.randn(1, 2, 4, 4, 4), w, stride=0))
        error(lambda: F.conv3d(torch.randn(1, 2, 4, 4, 4), w, padding=-1))
        error(lambda: F.conv3d(torch.randn(1, 2, 4, 4, 4), w, stride=2, padding="same"))
        error(lambda: F.conv3d(torch.randn(1, 2, 4, 4, 4), w, padding="full"))
        error(lambda: F.conv3d(torch.randn(1, 4, 4, 4, 4), torch.randn(4, 1, 3, 3, 3), groups=3))
        error(lambda: nn.Conv3d(2, 4, 3, stride=2, padding="same"))
        error(lambda: nn.Conv3d(3, 4, 3, groups=2))
        error(lambda: F.conv_transpose3d(torch.randn(1, 2, 3, 3, 3), torch.randn(3, 2, 2, 2, 2)))
        error(lambda: F.conv_transpose3d(torch.randn(1, 2, 3, 3, 3), torch.randn(2, 2, 2, 2, 2),
                                         output_padding=1))
        error(lambda: F.conv_transpose3d(torch.randn(1, 2, 3, 3, 3), torch.randn(2, 2, 2, 2, 2),
                                         torch.randn(3)))
        error(lambda: F.conv_transpose3d(torch.randn(2, 3), torch.randn(2, 2, 2, 2, 2)))
    """,
    "volume_pooling_errors": """
        import torch
        import torch.nn.functional as F
        x = torch.randn(2, 2, 5, 5, 5)
        error(lambda: F.max_pool3d(torch.randn(2, 3), 2))
        error(lambda: F.max_pool3d(x, (2, 2)))
        error(lambda: F.max_pool3d(x, 2, stride=(1, 2)))
        error(lambda: F.max_pool3d(x, 2, padding=2))
        error(lambda: F.max_pool3d(x, 2, stride=0))
        error(lambda: F.max_pool3d(x, 2, stride=-1))
        error(lambda: F.max_pool3d(x, 2, dilation=0))
        error(lambda: F.max_pool3d(x, 2, padding=-1))
        error(lambda: F.max_pool3d(x, 7))
        error(lambda: F.avg_pool3d(x, 7))
        error(lambda: F.avg_pool3d(x, 2, divisor_override=0))
        error(lambda: F.avg_pool3d(x, 2, padding=2))
        error(lambda: F.adaptive_avg_pool3d(torch.randn(2, 3), 2))
        error(lambda: F.adaptive_max_pool3d(torch.randn(2, 3), 2))
        error(lambda: F.adaptive_avg_pool3d(x, (2, 2)))
        values, indices = F.max_pool3d(x[..., :4, :4, :4], 2, return_indices=True)
        bad = torch.where(indices == indices.max(), 1000, indices)
        error(lambda: F.max_unpool3d(values, bad, 2))
        error(lambda: F.max_unpool3d(values, indices.int(), 2))
        error(lambda: F.max_unpool3d(values, indices, 2, output_size=(3, 3)))
        print(F.max_pool3d(x, (2,)).shape, F.avg_pool3d(x, (3,), stride=[]).shape)
        print(F.max_pool3d(x, 2, stride=[]).shape, F.lp_pool3d(x, 2, (1, 2, 3)).shape)
    """,
}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy warns where results are nan
@pytest.mark.filterwarnings("ignore::UserWarning")  # PyTorch's "same" with an even kernel
@pytest.mark.parametrize("name", SNIPPETS)
def test_snippet_prints_what_pytorch_prints(name: str) -> None:
    source = SNIPPETS[name]
    expected = run(source).replace("torch", "chainrule")
    assert run(source.replace("torch", "chainrule")) == expected


# ----------------------------------------------------------------------------- tables
def _pair_of(build: Any, arrays: list[np.ndarray], grad: bool = True) -> tuple[Any, Any]:
    """``build(lib, F, *tensors)`` under PyTorch and chainrule, from the same float64 arrays."""
    results = []
    for lib, functional in ((torch, TF), (cr, F)):
        leaves = [lib.tensor(a, requires_grad=grad) for a in arrays]
        results.append((build(lib, functional, *leaves), leaves))
    return results[0], results[1]


def _numpy(t: Any) -> np.ndarray:
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


def _check_same(got: Any, want: Any, exact: bool = False) -> None:
    """Same shape, dtype name and values (nan where PyTorch has nan)."""
    a, b = _numpy(got), _numpy(want)
    assert a.shape == b.shape and str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1]
    if exact:
        np.testing.assert_array_equal(a, b)
    else:
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12, equal_nan=True)


MAX_POOLS = [
    ("max_pool3d_2", lambda F_, x: F_.max_pool3d(x, 2, return_indices=True)),
    (
        "max_pool3d_overlapping_padded_ceil",
        lambda F_, x: F_.max_pool3d(x, 3, 2, 1, (2, 1, 1), True, True),
    ),
    (
        "max_pool3d_rectangular",
        lambda F_, x: F_.max_pool3d(x, (1, 3, 2), (2, 1, 2), 0, 1, True, True),
    ),
    ("adaptive_max_pool3d_overlapping", lambda F_, x: F_.adaptive_max_pool3d(x, (3, 2, 4), True)),
    ("adaptive_max_pool3d_tiles", lambda F_, x: F_.adaptive_max_pool3d(x, (2, 3, 1), True)),
]


@pytest.mark.parametrize("name, pool", MAX_POOLS, ids=[name for name, _ in MAX_POOLS])
@pytest.mark.parametrize("seed", range(4))
def test_max_pool3d_values_indices_and_gradients_match_torch_with_ties(
    name: str, pool: Any, seed: int
) -> None:
    """Small integers: many ties, which go to the first maximum in (D, H, W) order; the
    gradient goes where the index says. Unbatched inputs for odd seeds; -inf and inf too."""
    rng = np.random.default_rng(seed)
    shape = (2, 3, 7, 6, 8) if seed % 2 == 0 else (3, 6, 6, 5)
    x = rng.integers(-3, 3, shape).astype(np.float64)
    x.flat[rng.integers(0, x.size, 5)] = -np.inf
    x.flat[rng.integers(0, x.size, 2)] = np.inf
    (want, (tx,)), (got, (cx,)) = _pair_of(lambda lib, F_, t: pool(F_, t), [x])
    _check_same(got[0], want[0])
    _check_same(got[1], want[1], exact=True)
    g = rng.standard_normal(tuple(want[0].shape))
    want[0].backward(torch.tensor(g))
    got[0].backward(cr.tensor(g))
    _check_same(cx.grad, tx.grad)


@pytest.mark.parametrize("seed", range(3))
def test_max_pool3d_nans_go_to_the_last_nan_as_in_torch(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.integers(-3, 3, (2, 2, 5, 6, 4)).astype(np.float64)
    x.flat[rng.integers(0, x.size, 12)] = np.nan
    for kwargs in ({"kernel_size": 2}, {"kernel_size": 3, "stride": 2, "padding": 1}):
        want = TF.max_pool3d(torch.tensor(x), return_indices=True, **kwargs)
        got = F.max_pool3d(cr.tensor(x), return_indices=True, **kwargs)
        _check_same(got[0], want[0])
        _check_same(got[1], want[1], exact=True)


LP_POOLS = [
    ("lp_pool1d", lambda F_, x, p: F_.lp_pool1d(x[0, 0, 0], p, 2)),
    ("lp_pool2d", lambda F_, x, p: F_.lp_pool2d(x[0], p, (2, 3), stride=1, ceil_mode=True)),
    ("lp_pool3d", lambda F_, x, p: F_.lp_pool3d(x, p, 2, stride=(1, 2, 2))),
]


@pytest.mark.parametrize("name, pool", LP_POOLS, ids=[name for name, _ in LP_POOLS])
@pytest.mark.parametrize("norm_type", [1, 2, 3, 1.5, math.inf, -math.inf])
def test_lp_pool_values_and_gradients_match_torch_at_zero_and_negative(
    name: str, pool: Any, norm_type: float
) -> None:
    """Zeros (a zero sum: PyTorch's gradient there), negative inputs (an odd power's negative
    sum taken as 0; a fractional power's nan) and +-inf norms (max pooling of |x|)."""
    rng = np.random.default_rng(7)
    x = rng.integers(-2, 3, (2, 3, 4, 4, 6)).astype(np.float64)
    x[..., :2] = 0.0
    (want, (tx,)), (got, (cx,)) = _pair_of(lambda lib, F_, t: pool(F_, t, norm_type), [x])
    _check_same(got, want)
    g = rng.standard_normal(tuple(want.shape))
    want.backward(torch.tensor(g))
    got.backward(cr.tensor(g))
    _check_same(cx.grad, tx.grad)


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("padding", [1, (2, 0, 1), "same"])
def test_conv3d_module_padding_modes_match_torch(mode: str, padding: Any) -> None:
    """Conv3d's padding modes, 'same' with an even kernel (one more at the end), dilation
    and groups: PyTorch's weights copied in, values and gradients of input and weights."""
    torch.manual_seed(0)
    kernel, dilation = (3, 2, 3), (1, 2, 1)
    theirs = torch.nn.Conv3d(
        4, 6, kernel, padding=padding, dilation=dilation, groups=2, padding_mode=mode
    ).double()
    ours = cr.nn.Conv3d(
        4, 6, kernel, padding=padding, dilation=dilation, groups=2, padding_mode=mode
    ).double()
    ours.load_state_dict({k: cr.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(1).standard_normal((2, 4, 4, 5, 4))
    tx, cx = torch.tensor(x, requires_grad=True), cr.tensor(x, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's "same" with an even kernel copies
        want, got = theirs(tx), ours(cx)
    _check_same(got, want)
    (want * want).sum().backward()
    (got * got).sum().backward()
    _check_same(cx.grad, tx.grad)
    _check_same(ours.weight.grad, theirs.weight.grad)
    _check_same(ours.bias.grad, theirs.bias.grad)


@pytest.mark.parametrize("p", [0.0, 0.3, 0.5, 1.0])
@pytest.mark.parametrize(
    "name, shape",
    [
        ("dropout1d", (3, 4, 5)),
        ("dropout1d", (4, 5)),
        ("dropout2d", (3, 4, 2, 2)),
        ("dropout2d", (4, 2, 3)),  # PyTorch's (N, C, L) reading, with its warning
        ("dropout3d", (2, 3, 2, 2, 2)),
        ("dropout3d", (3, 2, 2, 2)),
        ("dropout3d", (0, 3, 2, 2, 2)),
    ],
)
def test_channel_dropout_masks_and_gradients_match_torch(name: str, p: float, shape: Any) -> None:
    """The same seed draws PyTorch's mask: one per (sample, channel) map."""
    x = np.random.default_rng(2).standard_normal(shape) + 3.0
    outs = []
    for lib, F_ in ((torch, TF), (cr, F)):
        lib.manual_seed(11)
        t = lib.tensor(x, requires_grad=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            y = getattr(F_, name)(t, p)
        y.sum().backward()
        outs.append((y, t.grad, [str(w.message)[:40] for w in caught]))
    (want, want_grad, want_warned), (got, got_grad, got_warned) = outs
    _check_same(got, want)
    _check_same(got_grad, want_grad)
    assert got_warned == want_warned


def _error_type(call: Any, lib: Any, F_: Any) -> str:
    try:
        call(lib, F_)
    except Exception as e:  # noqa: BLE001 - the type is what is compared
        return type(e).__name__
    return "no error"


ERRORS = {
    "conv3d_2d_input": lambda lib, F_: F_.conv3d(lib.ones(2, 3), lib.ones(1, 1, 1, 1, 1)),
    "conv3d_channels": lambda lib, F_: F_.conv3d(lib.ones(1, 3, 4, 4, 4), lib.ones(2, 2, 2, 2, 2)),
    "conv3d_kernel_too_big": lambda lib, F_: F_.conv3d(
        lib.ones(1, 2, 2, 4, 4), lib.ones(2, 2, 3, 3, 3)
    ),
    "conv3d_bias": lambda lib, F_: F_.conv3d(
        lib.ones(1, 2, 4, 4, 4), lib.ones(2, 2, 2, 2, 2), lib.ones(3)
    ),
    "conv3d_stride_pair": lambda lib, F_: F_.conv3d(
        lib.ones(1, 2, 4, 4, 4), lib.ones(2, 2, 2, 2, 2), stride=(1, 2)
    ),
    "conv3d_dilation_0": lambda lib, F_: F_.conv3d(
        lib.ones(1, 2, 4, 4, 4), lib.ones(2, 2, 2, 2, 2), dilation=0
    ),
    "conv3d_groups": lambda lib, F_: F_.conv3d(
        lib.ones(1, 4, 4, 4, 4), lib.ones(4, 1, 2, 2, 2), groups=3
    ),
    "conv_transpose3d_output_padding": lambda lib, F_: F_.conv_transpose3d(
        lib.ones(1, 2, 3, 3, 3), lib.ones(2, 2, 2, 2, 2), output_padding=(0, 0, 1)
    ),
    "conv_transpose3d_3d_input": lambda lib, F_: F_.conv_transpose3d(
        lib.ones(2, 3, 3), lib.ones(2, 2, 2, 2, 2)
    ),
    "max_pool3d_empty_channel": lambda lib, F_: F_.max_pool3d(lib.ones(1, 0, 4, 4, 4), 2),
    "max_pool3d_kernel_pair": lambda lib, F_: F_.max_pool3d(lib.ones(1, 1, 4, 4, 4), (2, 2)),
    "avg_pool3d_3d_input": lambda lib, F_: F_.avg_pool3d(lib.ones(1, 4, 4), 2),
    "avg_pool3d_too_small": lambda lib, F_: F_.avg_pool3d(lib.ones(1, 1, 2, 4, 4), 3),
    "avg_pool3d_smaller_than_kernel_padded": lambda lib, F_: F_.avg_pool3d(  # refused anyway
        lib.ones(1, 1, 2, 5, 5), 3, 1, 1
    ),
    "adaptive_avg_pool3d_pair": lambda lib, F_: F_.adaptive_avg_pool3d(
        lib.ones(1, 1, 4, 4, 4), (2, 2)
    ),
    "max_unpool3d_output_size": lambda lib, F_: F_.max_unpool3d(
        lib.ones(1, 1, 2, 2, 2), lib.zeros(1, 1, 2, 2, 2).long(), 2, output_size=(9, 4, 4)
    ),
    "batch_norm3d_4d_input": lambda lib, F_: lib.nn.BatchNorm3d(2)(lib.ones(2, 2, 3, 3)),
    "instance_norm3d_3d_input": lambda lib, F_: lib.nn.InstanceNorm3d(2)(lib.ones(2, 3, 3)),
    "reflection_pad3d_too_wide": lambda lib, F_: lib.nn.ReflectionPad3d(3)(lib.ones(1, 1, 2, 2, 2)),
    "dropout1d_4d_input": lambda lib, F_: F_.dropout1d(lib.ones(1, 2, 3, 4)),
    "dropout3d_bad_p": lambda lib, F_: lib.nn.Dropout3d(-0.5),
    "conv3d_bad_padding_mode": lambda lib, F_: lib.nn.Conv3d(1, 1, 2, padding_mode="wrap"),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_have_torch_types(name: str) -> None:
    assert _error_type(ERRORS[name], cr, F) == _error_type(ERRORS[name], torch, TF)


def _public_state(module: Any) -> dict[str, Any]:
    """A module's own settings (no parameters, buffers or submodules), as PyTorch keeps them."""
    skip = {"training", "_parameters", "_buffers", "_modules"}
    names = [k for k in vars(module) if not k.startswith("_") and k not in skip]
    return {k: getattr(module, k) for k in names}


MODULES = {
    "Conv3d": lambda nn: nn.Conv3d(2, 4, (1, 2, 3), stride=2, padding="valid", groups=2),
    "ConvTranspose3d": lambda nn: nn.ConvTranspose3d(2, 4, 3, output_padding=(0, 1, 0), stride=2),
    "MaxPool3d": lambda nn: nn.MaxPool3d((1, 2, 2), padding=(0, 1, 1), return_indices=True),
    "AvgPool3d": lambda nn: nn.AvgPool3d(3, 2, 1, True, False, 4),
    "AdaptiveAvgPool3d": lambda nn: nn.AdaptiveAvgPool3d((None, 2, 3)),
    "AdaptiveMaxPool3d": lambda nn: nn.AdaptiveMaxPool3d(2, return_indices=True),
    "MaxUnpool3d": lambda nn: nn.MaxUnpool3d((1, 2, 2), stride=2),
    "LPPool1d": lambda nn: nn.LPPool1d(2, 3, stride=2),
    "LPPool2d": lambda nn: nn.LPPool2d(1.5, (2, 3), ceil_mode=True),
    "LPPool3d": lambda nn: nn.LPPool3d(3, 2),
    "BatchNorm3d": lambda nn: nn.BatchNorm3d(3, momentum=None, affine=False),
    "InstanceNorm3d": lambda nn: nn.InstanceNorm3d(3, affine=True, track_running_stats=True),
    "ConstantPad3d": lambda nn: nn.ConstantPad3d((1, 2, 0, 1, 2, 0), -1.0),
    "ZeroPad3d": lambda nn: nn.ZeroPad3d(2),
    "ReflectionPad3d": lambda nn: nn.ReflectionPad3d((1, 0, 1, 0, 1, 0)),
    "ReplicationPad3d": lambda nn: nn.ReplicationPad3d(1),
    "CircularPad3d": lambda nn: nn.CircularPad3d((0, 1, 2, 0, 1, 1)),
    "Dropout1d": lambda nn: nn.Dropout1d(0.2),
    "Dropout2d": lambda nn: nn.Dropout2d(inplace=True),
    "Dropout3d": lambda nn: nn.Dropout3d(0.7),
}


@pytest.mark.parametrize("name", MODULES)
def test_module_attributes_repr_and_state_dict_keys_match_torch(name: str) -> None:
    theirs, ours = MODULES[name](torch.nn), MODULES[name](cr.nn)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    want = {k: v for k, v in _public_state(theirs).items() if k in _public_state(ours)}
    assert set(want) == set(_public_state(theirs)) - {"padding_value"}
    assert {k: _public_state(ours)[k] for k in want} == want


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "trilinear", "area"])
@pytest.mark.parametrize(
    "resize",
    [
        {"size": (5, 7, 4)},
        {"size": 6},
        {"scale_factor": 2},
        {"scale_factor": (1.5, 0.5, 1.3)},
        {"scale_factor": (1.5, 0.5, 1.3), "recompute_scale_factor": True},
        {"size": (2, 3, 3)},
    ],
)
@pytest.mark.parametrize("align_corners", [None, True, False])
def test_interpolate_5d_matches_torch(mode: str, resize: dict, align_corners: Any) -> None:
    """Values (float64 and float32) and gradients of resized volumes; align_corners only
    for trilinear, refused otherwise as PyTorch refuses it."""
    kwargs = dict(resize, mode=mode, align_corners=align_corners)
    x = np.random.default_rng(5).standard_normal((2, 3, 4, 5, 3))
    if align_corners is not None and mode != "trilinear":
        assert _error_type(lambda lib, F_: F_.interpolate(lib.tensor(x), **kwargs), cr, F) == (
            _error_type(lambda lib, F_: F_.interpolate(lib.tensor(x), **kwargs), torch, TF)
        )
        return
    (want, (tx,)), (got, (cx,)) = _pair_of(lambda lib, F_, t: F_.interpolate(t, **kwargs), [x])
    _check_same(got, want)
    g = np.random.default_rng(6).standard_normal(tuple(want.shape))
    want.backward(torch.tensor(g))
    got.backward(cr.tensor(g))
    kept = [n for n, m in zip(x.shape[2:], want.shape[2:], strict=True) if n == m]
    if not (mode == "nearest" and "scale_factor" in resize and kept):
        # (PyTorch's backward copies a dimension that keeps its size, which its forward reads
        # at floor(i * scale): see the test below; the gradient here is the forward's own.)
        _check_same(cx.grad, tx.grad)
    single = x.astype(np.float32)
    want32 = TF.interpolate(torch.tensor(single), **kwargs).numpy()
    got32 = F.interpolate(cr.tensor(single), **kwargs).numpy()
    # float32's sums of weighted neighbours may differ from PyTorch's kernels in the last bit
    np.testing.assert_allclose(got32, want32, rtol=1e-6, atol=1e-6)


def test_interpolate_5d_nearest_keeps_reading_floor_of_i_times_scale() -> None:
    """A scale factor that keeps a size (4 * 1.1 -> 4) still reads ``floor(i / 1.1)``, as
    PyTorch's 3-D nearest forward does (its 2-D one copies). PyTorch's backward copies
    instead, a gradient of another function: here the gradient is this forward's own."""
    x = np.arange(60.0).reshape(1, 1, 4, 5, 3)
    want = TF.interpolate(torch.tensor(x), scale_factor=1.1)
    got = F.interpolate(cr.tensor(x, requires_grad=True), scale_factor=1.1)
    _check_same(got, want)
    assert got.detach()[0, 0, :, 0, 0].tolist() == [0.0, 0.0, 15.0, 30.0]
