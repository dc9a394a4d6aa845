"""Cases a survey of the window arguments of the convolutions, poolings, fold and unfold,
padding, pixel shuffles and interpolation (kernel size, stride, padding, dilation, output
size, flags) against PyTorch found chainrule answering differently: a bool read as 1, a float
or a NumPy integer refused in chainrule's own words, a tuple led by a bool or a float taken.
Each snippet runs with ``T`` as torch and as chainrule, and what it leaves in ``out`` (the
result's shape and values, or the error: type and first line) must be the same.

A snippet sets ``out``; ``T`` is the library (see :func:`snippet_outcome.outcome`).
"""

from __future__ import annotations

import pytest
import torch
from snippet_outcome import outcome

import chainrule as cr

# Inputs of 1, 2 and 3 spatial dimensions, float64, of small integers (exact sums), and
# ``show(y)``: the shape and values of a result, or of each of several.
PRELUDE = """
import numpy as np
F = T.nn.functional
def ar(*shape):
    n = 1
    for s in shape:
        n *= s
    return (T.arange(1.0, n + 1, dtype=T.float64) % 7 - 3).reshape(*shape)
x1, x2, x3 = ar(1, 2, 6), ar(1, 2, 6, 6), ar(1, 2, 4, 4, 4)
w1, w2 = ar(2, 2, 2) / 5, ar(2, 2, 2, 2) / 5
def show(y):
    if isinstance(y, (tuple, list)):
        return [show(v) for v in y]
    return (tuple(y.shape), [round(v, 6) for v in y.double().flatten().tolist()])
"""

CASES = {
    # ---- pooling windows: a bool is no int (True was read as 1), a float no int list, a
    # NumPy integer or an integer tensor is one
    "max_pool1d kernel True": "out = show(F.max_pool1d(x1, True))",
    "max_pool1d kernel (True,)": "out = show(F.max_pool1d(x1, (True,)))",
    "max_pool1d kernel 1.0": "out = show(F.max_pool1d(x1, 1.0))",
    "max_pool1d kernel numpy": "out = show(F.max_pool1d(x1, np.int64(2)))",
    "max_pool1d kernel tensor": "out = show(F.max_pool1d(x1, T.tensor(2)))",
    "max_pool1d stride True": "out = show(F.max_pool1d(x1, 2, stride=True))",
    "max_pool1d stride empty": "out = show(F.max_pool1d(x1, 2, stride=()))",
    "max_pool1d stride of two": "out = show(F.max_pool1d(x1, 2, stride=(1, 1)))",
    "max_pool1d padding False": "out = show(F.max_pool1d(x1, 2, padding=False))",
    "max_pool1d dilation (1.0,)": "out = show(F.max_pool1d(x1, 2, dilation=(1.0,)))",
    "max_pool1d ceil_mode 1": "out = show(F.max_pool1d(x1, 2, ceil_mode=1))",
    "max_pool1d_with_indices kernel True": "out = show(F.max_pool1d_with_indices(x1, True))",
    "max_pool2d kernel True": "out = show(F.max_pool2d(x2, True))",
    "max_pool2d kernel (2, 1.0)": "out = show(F.max_pool2d(x2, (2, 1.0)))",
    "max_pool2d padding numpy": "out = show(F.max_pool2d(x2, 2, padding=np.int64(1)))",
    "max_pool2d kernel of one": "out = show(F.max_pool2d(x2, [2]))",
    "max_pool2d kernel of three": "out = show(F.max_pool2d(x2, (2, 2, 2)))",
    "max_pool2d ceil_mode None": "out = show(F.max_pool2d(x2, 2, ceil_mode=None))",
    "max_pool3d dilation True": "out = show(F.max_pool3d(x3, 2, dilation=True))",
    "max_pool3d kernel -1": "out = show(F.max_pool3d(x3, -1))",
    "max_pool3d_with_indices kernel 1.0": "out = show(F.max_pool3d_with_indices(x3, 1.0))",
    "avg_pool1d kernel True": "out = show(F.avg_pool1d(x1, True))",
    "avg_pool1d stride (True,) by keyword": "out = show(F.avg_pool1d(x1, 2, stride=(True,)))",
    "avg_pool1d kernel of two": "out = show(F.avg_pool1d(x1, (2, 2)))",
    "avg_pool1d count_include_pad 0": (
        "out = show(F.avg_pool1d(x1, 2, padding=1, count_include_pad=0))"
    ),
    "avg_pool2d kernel True": "out = show(F.avg_pool2d(x2, True))",
    "avg_pool2d ceil_mode numpy bool": "out = show(F.avg_pool2d(x2, 2, ceil_mode=np.bool_(True)))",
    "avg_pool2d divisor_override 1.0": "out = show(F.avg_pool2d(x2, 2, divisor_override=1.0))",
    "avg_pool2d divisor_override 0": "out = show(F.avg_pool2d(x2, 2, divisor_override=0))",
    "avg_pool3d padding of two": "out = show(F.avg_pool3d(x3, 2, padding=(1, 1)))",
    "avg_pool3d count_include_pad 1": "out = show(F.avg_pool3d(x3, 2, count_include_pad=1))",
    "lp_pool1d kernel True": "out = show(F.lp_pool1d(x1, 2, True))",
    "lp_pool1d kernel list": "out = show(F.lp_pool1d(x1, 2, [2]))",
    "lp_pool2d kernel list of one": "out = show(F.lp_pool2d(x2, 2, [2]))",
    "lp_pool1d ceil_mode 1": "out = show(F.lp_pool1d(x1, 2, 2, ceil_mode=1))",
    "MaxPool1d True": "out = show(T.nn.MaxPool1d(True)(x1))",
    "AvgPool2d stride 1.5": "out = show(T.nn.AvgPool2d(2, 1.5)(x2))",
    # ---- convolutions: two signatures (a padding of ints or a string), so a setting of the
    # wrong type fits neither
    "conv1d stride True": "out = show(F.conv1d(x1, w1, stride=True))",
    "conv1d padding (True,)": "out = show(F.conv1d(x1, w1, padding=(True,)))",
    "conv1d groups 1.0": "out = show(F.conv1d(x1, w1, groups=1.0))",
    "conv1d stride numpy": "out = show(F.conv1d(x1, w1, stride=np.int64(2)))",
    "conv1d dilation tensor": "out = show(F.conv1d(x1, w1, dilation=T.tensor(2)))",
    "conv1d stride of two": "out = show(F.conv1d(x1, w1, stride=(1, 1)))",
    "conv1d padding 'foo'": "out = show(F.conv1d(x1, w1, padding='foo'))",
    "conv1d stride 0": "out = show(F.conv1d(x1, w1, stride=0))",
    "conv1d groups 3": "out = show(F.conv1d(x1, w1, groups=3))",
    "conv2d dilation (1, 'a')": "out = show(F.conv2d(x2, w2, dilation=(1, 'a')))",
    "conv2d padding -1": "out = show(F.conv2d(x2, w2, padding=-1))",
    "conv2d stride list of one": "out = show(F.conv2d(x2, w2, stride=[2]))",
    "conv3d stride 1.0": "out = show(F.conv3d(x3, ar(2, 2, 2, 2, 2) / 5, stride=1.0))",
    "torch.conv2d stride True": "out = show(T.conv2d(x2, w2, stride=True))",
    "conv_transpose1d stride True": "out = show(F.conv_transpose1d(x1, w1, stride=True))",
    "conv_transpose1d output_padding 1.0": (
        "out = show(F.conv_transpose1d(x1, w1, stride=2, output_padding=1.0))"
    ),
    "conv_transpose1d padding 'same'": "out = show(F.conv_transpose1d(x1, w1, padding='same'))",
    "conv_transpose2d groups True": "out = show(F.conv_transpose2d(x2, w2, groups=True))",
    "conv_transpose2d output_padding -1": (
        "out = show(F.conv_transpose2d(x2, w2, output_padding=-1))"
    ),
    "conv_transpose2d dilation 0": "out = show(F.conv_transpose2d(x2, w2, dilation=0))",
    "conv_transpose3d stride numpy": (
        "out = show(F.conv_transpose3d(x3, ar(2, 2, 2, 2, 2) / 5, stride=np.int64(2)))"
    ),
    "Conv1d stride True": "out = show(T.nn.Conv1d(2, 2, 2, stride=True).double()(x1)[0])",
    "Conv2d no bias dilation 1.0": (
        "out = show(T.nn.Conv2d(2, 2, 2, dilation=1.0, bias=False).double()(x2)[0])"
    ),
    "ConvTranspose1d padding True": (
        "out = show(T.nn.ConvTranspose1d(2, 2, 2, padding=True).double()(x1)[0])"
    ),
    "AvgPool1d ceil_mode 1": "out = show(T.nn.AvgPool1d(2, ceil_mode=1)(x1))",
    "Conv2d padding of three": (
        "out = tuple(T.nn.Conv2d(2, 2, 2, padding=(1, 1, 1)).double()(x2).shape)"
    ),
    # ---- unpooling: PyTorch computes the size from the settings as given, then its op
    # reads that size as a list of ints
    "max_unpool1d kernel 1.0": (
        "v, i = F.max_pool1d(x1, 2, return_indices=True)\nout = show(F.max_unpool1d(v, i, 1.0))"
    ),
    "max_unpool1d stride (1.0,)": (
        "v, i = F.max_pool1d(x1, 2, return_indices=True)\n"
        "out = show(F.max_unpool1d(v, i, 2, stride=(1.0,)))"
    ),
    "max_unpool2d kernel list of one": (
        "v, i = F.max_pool2d(x2, 2, return_indices=True)\nout = show(F.max_unpool2d(v, i, [2]))"
    ),
    "max_unpool3d padding False": (
        "v, i = F.max_pool3d(x3, 2, return_indices=True)\n"
        "out = show(F.max_unpool3d(v, i, 2, padding=False))"
    ),
    "max_unpool3d stride of four": (
        "v, i = F.max_pool3d(x3, 2, return_indices=True)\n"
        "out = show(F.max_unpool3d(v, i, 2, stride=(2, 2, 2, 2)))"
    ),
    "max_unpool1d negative size": (
        "v, i = F.max_pool1d(x1, 2, return_indices=True)\nout = show(F.max_unpool1d(v, i, -1))"
    ),
    # ---- adaptive and fractional poolings' output sizes
    "adaptive_avg_pool1d numpy": "out = show(F.adaptive_avg_pool1d(x1, np.int64(2)))",
    "adaptive_avg_pool2d True": "out = show(F.adaptive_avg_pool2d(x2, True))",
    "adaptive_max_pool2d (True, True)": "out = show(F.adaptive_max_pool2d(x2, (True, True)))",
    "adaptive_avg_pool2d of three": "out = show(F.adaptive_avg_pool2d(x2, (2, 2, 2)))",
    "adaptive_avg_pool2d negative": "out = show(F.adaptive_avg_pool2d(x2, (2, -1)))",
    "adaptive_max_pool1d negative": "out = show(F.adaptive_max_pool1d(x1, -1))",
    "adaptive_avg_pool3d (2, 2, 2.0)": "out = show(F.adaptive_avg_pool3d(x3, (2, 2, 2.0)))",
    "adaptive_avg_pool2d numpy": "out = show(F.adaptive_avg_pool2d(x2, np.int64(2)))",
    "fractional_max_pool2d kernel True": (
        "out = show(F.fractional_max_pool2d(x2, True, output_size=2, "
        "_random_samples=T.full((1, 2, 2), 0.5, dtype=T.float64)))"
    ),
    "fractional_max_pool2d output (2, 1.0)": (
        "out = show(F.fractional_max_pool2d(x2, 2, output_size=(2, 1.0), "
        "_random_samples=T.full((1, 2, 2), 0.5, dtype=T.float64)))"
    ),
    "fractional_max_pool3d kernel numpy": (
        "out = show(F.fractional_max_pool3d(x3, np.int64(2), output_size=2, "
        "_random_samples=T.full((1, 2, 3), 0.5, dtype=T.float64)))"
    ),
    # ---- unfold and fold: their settings made pairs, then read as lists of ints
    "unfold kernel True": "out = show(F.unfold(x2, True))",
    "unfold kernel numpy": "out = show(F.unfold(x2, np.int64(2)))",
    "unfold stride (1, 1.0)": "out = show(F.unfold(x2, 2, stride=(1, 1.0)))",
    "fold kernel 1.5": "out = show(F.fold(F.unfold(x2, 2), 6, 1.5))",
    "fold output_size (True, 6)": "out = show(F.fold(F.unfold(x2, 2), (True, 6), 2))",
    "Unfold padding True": "out = show(T.nn.Unfold(2, padding=True)(x2))",
    # ---- padding: the pad's items are ints, the value a real number
    "pad (True, 1)": "out = show(F.pad(x1, (True, 1)))",
    "pad (1, 1.0)": "out = show(F.pad(x1, (1, 1.0)))",
    "pad one int": "out = show(F.pad(x1, 1))",
    "pad odd length": "out = show(F.pad(x1, (1, 1, 1)))",
    "pad value tuple": "out = show(F.pad(x1, (1, 1), value=(1,)))",
    "pad value complex": "out = show(F.pad(x1, (1, 1), value=1j))",
    "pad mode None": "out = show(F.pad(x1, (1, 1), mode=None))",
    "pad mode 'foo'": "out = show(F.pad(x1, (1, 1), mode='foo'))",
    "constant_pad_nd (True, 1)": "out = show(T.constant_pad_nd(x1, (True, 1)))",
    "ConstantPad1d 1.0": "out = show(T.nn.ConstantPad1d(1.0, 2.0)(x1))",
    "ReflectionPad1d numpy": "out = show(T.nn.ReflectionPad1d(np.int64(1))(x1))",
    # ---- shuffles and interpolation
    "pixel_shuffle numpy": "out = show(F.pixel_shuffle(ar(1, 4, 2, 2), np.int64(2)))",
    "pixel_unshuffle tensor": "out = show(F.pixel_unshuffle(ar(1, 1, 4, 4), T.tensor(2)))",
    "channel_shuffle True": "out = show(F.channel_shuffle(ar(1, 4, 2, 2), True))",
    "interpolate size True": "out = show(F.interpolate(x1, size=True))",
    "interpolate size 3.0": "out = show(F.interpolate(x2, size=3.0))",
    "interpolate size numpy": "out = show(F.interpolate(x2, size=(np.int64(3),) * 2))",
    "interpolate align_corners 1": (
        "out = show(F.interpolate(x1, scale_factor=2, mode='linear', align_corners=1))"
    ),
}

# Calls that both libraries answer alike, before and after (the fast path of plain ints).
CONTROLS = {
    "max_pool2d plain": "out = show(F.max_pool2d(x2, 2, 1, 1, 1, True))",
    "avg_pool1d plain": "out = show(F.avg_pool1d(x1, 3, 2, 1, False, False))",
    "conv2d plain": "out = show(F.conv2d(x2, w2, None, 2, 1, 1, 1))",
    "conv1d 'same'": "out = show(F.conv1d(x1, w1, padding='same', dilation=2))",
    "conv_transpose2d plain": "out = show(F.conv_transpose2d(x2, w2, None, 2, 1, 1))",
    "unfold plain": "out = show(F.unfold(x2, (2, 3), dilation=1, padding=1, stride=2))",
    "pad plain": "out = show(F.pad(x2, [1, 0, 2, 1], mode='reflect'))",
    "adaptive_max_pool2d plain": "out = show(F.adaptive_max_pool2d(x2, (3, 2), True))",
    "max_unpool2d stride pair": (
        "v, i = F.max_pool2d(x2, 2, return_indices=True)\n"
        "out = show(F.max_unpool2d(v, i, 2, stride=(2, 2)))"
    ),
    "adaptive_avg_pool2d (2, None)": "out = show(F.adaptive_avg_pool2d(x2, (2, None)))",
    "pad numpy items": "out = show(F.pad(x1, (np.int64(1), 2)))",
}


@pytest.mark.parametrize("name", list(CASES) + list(CONTROLS))
def test_window_argument_case_as_pytorch(name: str) -> None:
    code = CASES.get(name) or CONTROLS[name]
    assert outcome(cr, code, PRELUDE) == outcome(torch, code, PRELUDE)
