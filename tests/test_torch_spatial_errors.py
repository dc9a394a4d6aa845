"""Size and padding errors of the convolutions and poolings against PyTorch: the same
exception type and the same first line (chainrule may explain more on the lines after), with
PyTorch's order of checks where several fail.

A max pooling whose window reads only padding is refused here with a message naming the op and
the window; PyTorch reads out of bounds there, so it is not called on those.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr


def _error(lib: Any, fn: str, shapes: list[tuple[int, ...]], args: tuple, kw: dict) -> Any:
    """The (type name, first line) of the error ``F.fn`` raises, or None."""
    tensors = [lib.tensor(np.ones(s), requires_grad=True) for s in shapes]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            getattr(lib.nn.functional, fn)(*tensors, *args, **kw)
    except Exception as error:  # noqa: BLE001 - any type: it is what is compared
        return type(error).__name__, str(error).splitlines()[0]
    return None


CASES: dict[str, tuple[str, list, tuple, dict]] = {
    # pooling_output_shape: padding at most half the dilated kernel, height first
    "max_pool1d_indices_pad_over_effective_half": (
        "max_pool1d",
        [(1, 3, 3)],
        (1,),
        {"padding": 1, "ceil_mode": True, "return_indices": True},
    ),
    "max_pool2d_pad_over_effective_half_width": (
        "max_pool2d",
        [(2, 2, 7, 7)],
        ((3, 1),),
        {"stride": 2, "padding": 1, "dilation": 2},
    ),
    "max_pool2d_pad_over_effective_half_both": (
        "max_pool2d",
        [(1, 1, 5, 5)],
        (1,),
        {"padding": 1},
    ),
    "avg_pool1d_pad_over_half": ("avg_pool1d", [(2, 2, 2)], (1,), {"padding": 1}),
    # pool2d_shape_check: padding at most half the kernel itself (dilation aside)
    "max_pool2d_pad_over_kernel_half": (
        "max_pool2d",
        [(1, 1, 6, 6)],
        (2,),
        {"padding": (1, 2), "dilation": 3},
    ),
    # pool2d_shape_check: the output's size
    "max_pool2d_output_too_small": (
        "max_pool2d",
        [(1, 3, 6, 2)],
        (2,),
        {"stride": 2, "dilation": 2},
    ),
    "max_pool1d_indices_output_too_small": (
        "max_pool1d",
        [(1, 4, 1)],
        (2,),
        {"stride": 2, "return_indices": True},
    ),
    "avg_pool2d_output_too_small": ("avg_pool2d", [(2, 3, 7, 1)], ((3, 3),), {}),
    "avg_pool2d_unbatched_output_too_small": ("avg_pool2d", [(3, 2, 5)], (3,), {}),
    "avg_pool1d_output_too_small": ("avg_pool1d", [(2, 1, 2)], (3,), {"stride": 1}),
    "lp_pool1d_output_too_small": ("lp_pool1d", [(1, 3, 2)], (3.0, 3), {"stride": 2}),
    "lp_pool2d_output_too_small": ("lp_pool2d", [(1, 3, 5, 2)], (3.0, (3, 3)), {}),
    # max_pool1d without indices: its own checks
    "max_pool1d_pad_over_half": (
        "max_pool1d",
        [(2, 4, 7)],
        (1,),
        {"padding": 1, "dilation": 2, "ceil_mode": True},
    ),
    "max_pool1d_invalid_output_size": ("max_pool1d", [(2, 3, 1)], (3,), {}),
    "max_pool1d_invalid_negative_output_size": (
        "max_pool1d",
        [(2, 3, 1)],
        (3,),
        {"dilation": 2},
    ),
    # max_pool3d and avg_pool3d
    "max_pool3d_output_too_small": ("max_pool3d", [(1, 2, 1, 3, 3)], (2,), {}),
    "max_pool3d_pad_over_effective_half": (
        "max_pool3d",
        [(1, 2, 3, 3, 3)],
        ((1, 2, 2),),
        {"padding": 1},
    ),
    "avg_pool3d_kernel_over_input": ("avg_pool3d", [(1, 2, 1, 3, 3)], (2,), {}),
    # convolutions: the dilated kernel against the padded input
    "conv1d_kernel_over_input": (
        "conv1d",
        [(2, 1, 1), (1, 1, 3)],
        (),
        {"stride": 3, "dilation": 2, "padding": "valid"},
    ),
    "conv2d_kernel_over_input": ("conv2d", [(1, 3, 1, 6), (2, 3, 2, 1)], (), {}),
    "conv2d_dilated_kernel_over_padded_input": (
        "conv2d",
        [(2, 4, 2, 1), (3, 4, 3, 3)],
        (),
        {"stride": 3, "dilation": (1, 2), "padding": (0, 1)},
    ),
    "conv2d_grouped_kernel_over_input": (
        "conv2d",
        [(1, 4, 2, 2), (2, 2, 3, 1)],
        (),
        {"groups": 2},
    ),
    "conv3d_kernel_over_input": ("conv3d", [(1, 1, 2, 3, 3), (1, 1, 3, 1, 1)], (), {}),
    # the channels are checked before the kernel's size, as PyTorch does
    "conv2d_channels_before_kernel": (
        "conv2d",
        [(1, 4, 2, 2), (2, 3, 3, 3)],
        (),
        {"groups": 2},
    ),
    # adaptive poolings: PyTorch's argument parser first
    "adaptive_avg_pool1d_none": ("adaptive_avg_pool1d", [(2, 1, 4)], ((None,),), {}),
    "adaptive_max_pool1d_none_4d": ("adaptive_max_pool1d", [(2, 1, 1, 4)], ([None],), {}),
    "adaptive_max_pool1d_float": ("adaptive_max_pool1d", [(2, 4)], ((2.5,),), {}),
    "adaptive_avg_pool1d_later_none": ("adaptive_avg_pool1d", [(2, 4)], ((1, None),), {}),
    "adaptive_avg_pool1d_not_a_tuple": ("adaptive_avg_pool1d", [(2, 4)], ("a",), {}),
    "adaptive_avg_pool1d_two_ints": ("adaptive_avg_pool1d", [(1, 2, 4)], ((1, 2),), {}),
    "adaptive_avg_pool1d_bool": ("adaptive_avg_pool1d", [(1, 2, 4)], ((True,),), {}),
}


@pytest.mark.parametrize("case", CASES)
def test_spatial_error_matches_torch(case: str) -> None:
    fn, shapes, args, kw = CASES[case]
    theirs = _error(torch, fn, shapes, args, kw)
    assert theirs is not None, "the case must fail in PyTorch"
    assert _error(cr, fn, shapes, args, kw) == theirs


def _random_pool_case(rng: np.random.Generator) -> tuple[str, list, tuple, dict]:
    """A random pooling call, many of them of sizes that cannot pool."""
    fn = str(rng.choice(["max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "lp_pool1d"]))
    dims = 2 if fn.endswith("2d") else 1
    shape = (1, 2, *(int(n) for n in rng.integers(1, 6, dims)))
    kernel = tuple(int(k) for k in rng.integers(1, 4, dims))
    if fn == "lp_pool1d":
        return fn, [shape], (2.0, kernel[0]), {"ceil_mode": bool(rng.integers(2))}
    kw: dict[str, Any] = {
        "stride": None if rng.integers(2) else tuple(int(s) for s in rng.integers(1, 3, dims)),
        "padding": int(rng.integers(0, 3)),
        "ceil_mode": bool(rng.integers(2)),
    }
    if fn.startswith("max"):
        kw["dilation"] = int(rng.integers(1, 3))
        kw["return_indices"] = bool(rng.integers(2))
    return fn, [shape], (kernel,), kw


def test_random_pooling_sizes_fail_as_torch_fails() -> None:
    rng = np.random.default_rng(21)
    compared = 0
    for _ in range(400):
        fn, shapes, args, kw = _random_pool_case(rng)
        ours = _error(cr, fn, shapes, args, kw)
        if ours is not None and "reads only padding" in ours[1]:
            continue  # PyTorch reads out of bounds there (see below)
        assert ours == _error(torch, fn, shapes, args, kw), (fn, shapes, args, kw)
        compared += ours is not None
    assert compared > 100  # most of them fail


@pytest.mark.parametrize(
    ("fn", "shape", "kw", "window"),
    [
        ("max_pool3d", (1, 3, 1, 4, 7), {"kernel_size": 2, "padding": 1, "dilation": 2}, "0"),
        (
            "max_pool1d",
            (2, 3, 1),
            {"kernel_size": 2, "padding": 1, "dilation": 2, "return_indices": True},
            "0",
        ),
        ("max_pool1d", (1, 4, 1), {"kernel_size": 2, "padding": 1, "dilation": 2}, "0"),
        (
            "max_pool2d",
            (2, 3, 5, 1),
            {"kernel_size": 2, "stride": (3, 1), "padding": 1, "dilation": 2},
            "1",
        ),
        (
            "max_pool3d",
            (1, 1, 7, 7, 1),
            {"kernel_size": 3, "padding": 1, "dilation": 2, "ceil_mode": True},
            "2",
        ),
    ],
)
def test_max_pool_window_only_in_padding_is_refused(fn: str, shape: Any, kw: dict, window: str):
    with pytest.raises(
        RuntimeError, match=f"^{fn}: window 0 along spatial dimension {window} reads only padding"
    ):
        getattr(cr.nn.functional, fn)(cr.ones(*shape), **kw)


def test_max_pool_window_reaching_the_input_through_padding_still_pools() -> None:
    # Kernel 2, dilation 2, padding 1 over 3 elements: taps -1 and 1, then 1 and 3.
    x = np.array([[[3.0, 1.0, 2.0]]])
    kw = {"kernel_size": 2, "stride": 2, "padding": 1, "dilation": 2, "return_indices": True}
    ours = cr.nn.functional.max_pool1d(cr.tensor(x), **kw)
    theirs = torch.nn.functional.max_pool1d(torch.tensor(x), **kw)
    assert [t.tolist() for t in ours] == [t.tolist() for t in theirs]
