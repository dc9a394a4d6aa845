"""Padding, pooling, upsampling, transposed-convolution and fold layers, and the parameter
containers, against PyTorch's.

Each layer case builds the layer with ``lib.nn`` for both libraries, loads PyTorch's weights
into chainrule's through ``load_state_dict`` (so state dict names and shapes must agree), runs
the same float64 inputs, and compares every output, the gradient of a fixed weighted sum of the
outputs with respect to each input, and the gradient of every parameter. Then the reprs, the
default initialisation from the same seed, and misuse: the exception type PyTorch raises.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from test_nn_sequence_layers import _plain, assert_layer_matches_pytorch

import chainrule as cr

# name: (build(nn), input shapes, call(lib, module, *inputs))
CASES: dict[str, tuple[Callable[[Any], Any], list[tuple[int, ...]], Callable[..., Any]]] = {
    "unflatten": (lambda nn: nn.Unflatten(1, (2, 3)), [(4, 6, 2)], _plain),
    "unflatten_inferred_negative_dim": (lambda nn: nn.Unflatten(-1, (3, -1)), [(2, 6)], _plain),
    "zero_pad2d": (lambda nn: nn.ZeroPad2d((1, 2, 0, 3)), [(2, 3, 4, 5)], _plain),
    "zero_pad1d": (lambda nn: nn.ZeroPad1d(2), [(2, 3, 4)], _plain),
    "constant_pad1d": (lambda nn: nn.ConstantPad1d((2, 1), 3.5), [(2, 3, 4)], _plain),
    "constant_pad2d_unbatched": (lambda nn: nn.ConstantPad2d(1, -1.0), [(3, 4, 5)], _plain),
    "reflection_pad1d": (lambda nn: nn.ReflectionPad1d((3, 1)), [(2, 3, 5)], _plain),
    "reflection_pad2d": (lambda nn: nn.ReflectionPad2d((1, 2, 2, 0)), [(2, 2, 4, 5)], _plain),
    "replication_pad1d_unbatched": (lambda nn: nn.ReplicationPad1d(3), [(3, 4)], _plain),
    "replication_pad1d_wider_than_input": (
        lambda nn: nn.ReplicationPad1d((5, 2)),
        [(1, 2, 3)],
        _plain,
    ),
    "circular_pad1d_whole_input": (lambda nn: nn.CircularPad1d(3), [(1, 2, 3)], _plain),
    "replication_pad2d": (lambda nn: nn.ReplicationPad2d((0, 3, 1, 2)), [(2, 2, 3, 4)], _plain),
    "circular_pad2d": (lambda nn: nn.CircularPad2d(1), [(1, 2, 3, 4)], _plain),
    "max_pool1d": (lambda nn: nn.MaxPool1d(3, stride=2, padding=1), [(2, 3, 8)], _plain),
    "max_pool1d_indices_unbatched": (
        lambda nn: nn.MaxPool1d(2, return_indices=True),
        [(3, 7)],
        _plain,
    ),
    "max_pool2d_indices": (
        lambda nn: nn.MaxPool2d(3, stride=2, padding=1, return_indices=True),
        [(2, 2, 5, 6)],
        _plain,
    ),
    "avg_pool1d": (lambda nn: nn.AvgPool1d(3, 2, 1, count_include_pad=False), [(2, 3, 8)], _plain),
    "avg_pool1d_unbatched": (lambda nn: nn.AvgPool1d(2), [(3, 5)], _plain),
    "adaptive_avg_pool1d": (lambda nn: nn.AdaptiveAvgPool1d(3), [(2, 3, 7)], _plain),
    "adaptive_max_pool1d_indices": (
        lambda nn: nn.AdaptiveMaxPool1d(3, return_indices=True),
        [(2, 3, 8)],
        _plain,
    ),
    "max_unpool2d_after_max_pool2d": (
        lambda nn: _PoolUnpool(nn, 2),
        [(2, 3, 5, 6)],
        _plain,
    ),
    "max_unpool1d_after_max_pool1d": (
        lambda nn: _PoolUnpool(nn, 1),
        [(2, 3, 9)],
        _plain,
    ),
    "upsample_nearest": (lambda nn: nn.Upsample(scale_factor=2), [(2, 3, 3, 4)], _plain),
    "upsample_bilinear_size": (
        lambda nn: nn.Upsample(size=(5, 7), mode="bilinear"),
        [(2, 2, 3, 4)],
        _plain,
    ),
    "upsample_bilinear_align_corners_factors": (
        lambda nn: nn.Upsample(scale_factor=(1.5, 2.5), mode="bilinear", align_corners=True),
        [(1, 2, 4, 3)],
        _plain,
    ),
    "upsample_linear_recomputed_scale": (
        lambda nn: nn.Upsample(scale_factor=1.7, mode="linear", recompute_scale_factor=True),
        [(2, 3, 5)],
        _plain,
    ),
    "upsample_nearest_exact": (
        lambda nn: nn.Upsample(size=(6, 5), mode="nearest-exact"),
        [(1, 2, 4, 3)],
        _plain,
    ),
    "upsample_area": (
        lambda nn: nn.Upsample(scale_factor=0.5, mode="area"),
        [(1, 2, 6, 4)],
        _plain,
    ),
    "upsampling_nearest2d": (
        lambda nn: nn.UpsamplingNearest2d(size=(4, 6)),
        [(1, 2, 2, 3)],
        _plain,
    ),
    "upsampling_bilinear2d": (
        lambda nn: nn.UpsamplingBilinear2d(scale_factor=2),
        [(2, 2, 3, 3)],
        _plain,
    ),
    "pixel_shuffle": (lambda nn: nn.PixelShuffle(2), [(2, 8, 3, 2)], _plain),
    "pixel_unshuffle_unbatched": (lambda nn: nn.PixelUnshuffle(3), [(2, 6, 3)], _plain),
    "conv_transpose2d": (lambda nn: nn.ConvTranspose2d(3, 4, 3), [(2, 3, 4, 5)], _plain),
    "conv_transpose2d_decoder_step": (
        lambda nn: nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1),
        [(2, 4, 3, 3)],
        _plain,
    ),
    "conv_transpose2d_groups_dilation_no_bias": (
        lambda nn: nn.ConvTranspose2d(4, 6, (2, 3), groups=2, dilation=(2, 1), bias=False),
        [(1, 4, 3, 3)],
        _plain,
    ),
    "conv_transpose2d_output_size": (
        lambda nn: nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1),
        [(2, 2, 3, 4)],
        lambda lib, m, x: m(x, output_size=(6, 7)),
    ),
    "conv_transpose1d": (
        lambda nn: nn.ConvTranspose1d(3, 2, 4, stride=2, padding=1),
        [(2, 3, 5)],
        _plain,
    ),
    "conv_transpose1d_unbatched_output_size": (
        lambda nn: nn.ConvTranspose1d(3, 2, 3, stride=3),
        [(3, 4)],
        lambda lib, m, x: m(x, output_size=[2, 14]),
    ),
    "unfold": (lambda nn: nn.Unfold(3, padding=1), [(2, 3, 4, 5)], _plain),
    "unfold_dilation_stride_unbatched": (
        lambda nn: nn.Unfold((2, 3), dilation=2, stride=(2, 1)),
        [(2, 6, 7)],
        _plain,
    ),
    "fold": (lambda nn: nn.Fold((4, 5), 2), [(2, 12, 12)], _plain),
    "fold_padding_stride_unbatched": (
        lambda nn: nn.Fold((5, 4), (3, 2), padding=1, stride=2),
        [(6, 9)],
        _plain,
    ),
    "rms_norm": (lambda nn: nn.RMSNorm(4), [(2, 3, 4)], _plain),
    "rms_norm_two_dims_no_affine": (
        lambda nn: nn.RMSNorm([3, 4], eps=1e-3, elementwise_affine=False),
        [(2, 3, 4)],
        _plain,
    ),
    "instance_norm1d": (lambda nn: nn.InstanceNorm1d(3), [(2, 3, 5)], _plain),
    "instance_norm1d_unbatched_affine": (
        lambda nn: nn.InstanceNorm1d(3, affine=True),
        [(3, 5)],
        _plain,
    ),
    "instance_norm2d_affine_running_stats": (
        lambda nn: nn.InstanceNorm2d(3, affine=True, track_running_stats=True),
        [(2, 3, 3, 4)],
        _plain,
    ),
    "instance_norm2d_running_stats_eval": (
        lambda nn: nn.InstanceNorm2d(3, track_running_stats=True).eval(),
        [(2, 3, 3, 4)],
        _plain,
    ),
    "local_response_norm": (lambda nn: nn.LocalResponseNorm(3), [(2, 5, 4)], _plain),
    "local_response_norm_images": (
        lambda nn: nn.LocalResponseNorm(2, alpha=0.1, beta=0.5, k=2.0),
        [(2, 4, 2, 3)],
        _plain,
    ),
    "conv2d_groups_reflect_padding": (
        lambda nn: nn.Conv2d(4, 6, 3, padding=(1, 2), groups=2, padding_mode="reflect"),
        [(2, 4, 5, 5)],
        _plain,
    ),
    "conv2d_depthwise_same_circular": (
        lambda nn: nn.Conv2d(3, 3, (2, 3), padding="same", groups=3, padding_mode="circular"),
        [(2, 3, 4, 5)],
        _plain,
    ),
    "conv1d_groups_replicate_no_bias": (
        lambda nn: nn.Conv1d(
            4, 2, 3, stride=2, padding=2, groups=2, bias=False, padding_mode="replicate"
        ),
        [(2, 4, 7)],
        _plain,
    ),
    "parameter_list": (
        lambda nn: _ParameterListNet(nn),
        [(2, 3)],
        _plain,
    ),
    "parameter_dict": (
        lambda nn: _ParameterDictNet(nn),
        [(2, 3)],
        lambda lib, m, x: m(x, "right"),
    ),
}


class _PoolUnpool:
    """MaxPool then MaxUnpool (``dims``-D) back to the input's size, SegNet's pattern."""

    def __new__(cls, nn: Any, dims: int) -> Any:
        pool = getattr(nn, f"MaxPool{dims}d")
        unpool = getattr(nn, f"MaxUnpool{dims}d")

        class Net(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.pool = pool(2, return_indices=True)
                self.unpool = unpool(2)

            def forward(self, x: Any) -> Any:
                values, indices = self.pool(x)
                return self.unpool(values, indices, output_size=x.size())

        return Net()


class _ParameterListNet:
    """A module holding a ParameterList, built over either library's ``nn``."""

    def __new__(cls, nn: Any) -> Any:
        lib = torch if nn is torch.nn else cr

        class Net(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.weights = nn.ParameterList([nn.Parameter(lib.randn(3, 3)) for _ in range(2)])
                self.weights.append(lib.randn(3))  # a Tensor becomes a Parameter

            def forward(self, x: Any) -> Any:
                for w in self.weights[:2]:
                    x = (x @ w).tanh()
                return x + self.weights[-1]

        return Net()


class _ParameterDictNet:
    """A module holding a ParameterDict, built over either library's ``nn``."""

    def __new__(cls, nn: Any) -> Any:
        lib = torch if nn is torch.nn else cr

        class Net(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.params = nn.ParameterDict(
                    {"right": nn.Parameter(lib.randn(3, 4)), "left": lib.randn(3, 4)}
                )

            def forward(self, x: Any, choice: str) -> Any:
                return x @ self.params[choice]

        return Net()


@pytest.mark.parametrize("name", list(CASES))
def test_layer_with_pytorch_weights_gives_pytorch_outputs_and_gradients(
    name: str, rng: np.random.Generator
) -> None:
    assert_layer_matches_pytorch(name, *CASES[name], rng)


@pytest.mark.parametrize("name", list(CASES))
def test_layer_repr_and_parameter_shapes_are_pytorch_ones(name: str) -> None:
    build = CASES[name][0]
    ours, theirs = build(cr.nn), build(torch.nn)
    assert repr(ours) == repr(theirs).replace("torch", "chainrule")
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == [
        (n, tuple(p.shape)) for n, p in theirs.named_parameters()
    ]


@pytest.mark.parametrize("momentum", [0.3, None])
def test_instance_norm_running_statistics_move_as_pytorch_ones(
    momentum: float | None, rng: np.random.Generator
) -> None:
    layers = [
        lib.nn.InstanceNorm1d(3, momentum=momentum, track_running_stats=True) for lib in (torch, cr)
    ]
    for _ in range(3):
        x = rng.uniform(-1.0, 2.0, (4, 3, 5))
        for layer, lib in zip(layers, (torch, cr), strict=True):
            layer(lib.tensor(x))
    theirs, ours = layers
    for name, buffer in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[name].numpy(), buffer.numpy(), rtol=1e-6)


def test_instance_norm_warns_as_pytorch_of_channels_it_does_not_use() -> None:
    messages = []
    for lib in (torch, cr):
        with pytest.warns(UserWarning) as caught:
            out = lib.nn.InstanceNorm1d(3)(lib.ones(2, 3))  # unbatched: 2 channels, not 3
        messages.append([str(w.message) for w in caught])
        assert tuple(out.shape) == (2, 3)
    assert messages[0] == messages[1]
    assert "dim=0 does not match num_features" in messages[1][0]


# Layers built with their defaults from the same seed: the same weights as PyTorch's.
SEEDED = {
    "conv2d_groups": lambda lib: lib.nn.Conv2d(4, 6, 3, groups=2),
    "conv_transpose2d": lambda lib: lib.nn.ConvTranspose2d(3, 4, 3, stride=2),
    "conv_transpose2d_groups": lambda lib: lib.nn.ConvTranspose2d(4, 6, 2, groups=2),
    "conv_transpose1d_no_bias": lambda lib: lib.nn.ConvTranspose1d(2, 5, 3, bias=False),
    "parameter_list": lambda lib: lib.nn.ParameterList([lib.randn(2, 3), lib.randn(4)]),
}


@pytest.mark.parametrize("name", list(SEEDED))
def test_default_initialisation_from_the_same_seed_gives_pytorch_weights(name: str) -> None:
    torch.manual_seed(5)
    cr.manual_seed(5)
    theirs, ours = SEEDED[name](torch), SEEDED[name](cr)
    for (n, a), (m, b) in zip(theirs.named_parameters(), ours.named_parameters(), strict=True):
        assert n == m
        np.testing.assert_array_equal(b.detach().numpy(), a.detach().numpy())


def _containers(lib: Any) -> list[Any]:
    """What the containers' list and dict methods give, as plain values."""
    P = lib.nn.Parameter
    plist = lib.nn.ParameterList([P(lib.ones(2)), lib.zeros(3, 2)])
    plist += [P(lib.ones(1))]
    plist[0] = lib.full((4,), 2.0)
    d = lib.nn.ParameterDict(OrderedDict([("b", P(lib.ones(2))), ("a", lib.zeros(1))]))
    d.update([("c", lib.ones(3))])
    d.update({"z": lib.ones(1), "y": lib.ones(2)})  # a plain dict: sorted keys
    popped = d.pop("a")
    key, last = d.popitem()
    return [
        len(plist),
        [type(p).__name__ for p in plist],
        [tuple(p.shape) for p in plist[1:]],
        plist[-3].tolist(),
        list(d),
        list(reversed(d)),
        "b" in d,
        tuple(popped.shape),
        key,
        tuple(last.shape),
        d.get("q", 7),
        d.setdefault("c").tolist(),
        list(d.copy()),
        list(d.fromkeys(["u", "v"])),
        [n for n, _ in d.named_parameters()],
        repr(lib.nn.ParameterList()),
        repr(lib.nn.ParameterDict()),
        repr(lib.nn.ParameterList([lib.ones(2, 3)])),
    ]


def test_parameter_containers_behave_as_pytorch_ones() -> None:
    ours = _containers(cr)
    theirs = _containers(torch)
    assert ours == [t.replace("torch", "chainrule") if isinstance(t, str) else t for t in theirs]


# Misuse: chainrule raises the exception type PyTorch raises.
ERRORS: dict[str, Callable[[Any], Any]] = {
    "unflatten_sizes_not_ints": lambda lib: lib.nn.Unflatten(1, (2.0, 3)),
    "unflatten_sizes_not_a_tuple": lambda lib: lib.nn.Unflatten(1, 6),
    "unflatten_product_differs": lambda lib: lib.nn.Unflatten(1, (2, 2))(lib.ones(2, 6)),
    "unflatten_two_inferred": lambda lib: lib.nn.Unflatten(1, (-1, -1))(lib.ones(2, 6)),
    "unflatten_dim_out_of_range": lambda lib: lib.nn.Unflatten(2, (2, 3))(lib.ones(2, 6)),
    "constant_pad_needs_value": lambda lib: lib.nn.ConstantPad1d(1),
    "reflection_pad_too_wide": lambda lib: lib.nn.ReflectionPad1d(3)(lib.ones(1, 2, 3)),
    "circular_pad_past_one_wrap": lambda lib: lib.nn.CircularPad1d(4)(lib.ones(1, 2, 3)),
    "reflection_pad1d_of_a_vector": lambda lib: lib.nn.ReflectionPad1d(1)(lib.ones(3)),
    "replication_pad2d_of_a_matrix": lambda lib: lib.nn.ReplicationPad2d(1)(lib.ones(3, 3)),
    "parameter_list_called": lambda lib: lib.nn.ParameterList()(lib.ones(1)),
    "parameter_list_index_out_of_range": lambda lib: lib.nn.ParameterList([lib.ones(1)])[1],
    "parameter_list_extend_with_a_tensor": lambda lib: lib.nn.ParameterList().extend(lib.ones(2)),
    "parameter_dict_int_key": lambda lib: lib.nn.ParameterDict()[0],
    "parameter_dict_missing_key": lambda lib: lib.nn.ParameterDict()["a"],
    "parameter_dict_update_not_iterable": lambda lib: lib.nn.ParameterDict().update(3),
    "parameter_dict_update_bad_pair": lambda lib: lib.nn.ParameterDict([("a", 1, 2)]),
    "parameter_dict_called": lambda lib: lib.nn.ParameterDict()(lib.ones(1)),
    "max_pool1d_of_a_vector": lambda lib: lib.nn.MaxPool1d(2)(lib.ones(4)),
    "max_pool1d_of_images": lambda lib: lib.nn.MaxPool1d(2)(lib.ones(1, 1, 2, 4)),
    "max_pool1d_pair_kernel": lambda lib: lib.nn.functional.max_pool1d(lib.ones(1, 4), (2, 2)),
    "max_pool1d_padding_past_half": lambda lib: lib.nn.MaxPool1d(2, padding=2)(lib.ones(1, 4)),
    "max_pool1d_kernel_past_input": lambda lib: lib.nn.MaxPool1d(5)(lib.ones(1, 4)),
    "avg_pool1d_of_a_vector": lambda lib: lib.nn.AvgPool1d(2)(lib.ones(4)),
    "adaptive_avg_pool1d_of_a_vector": lambda lib: lib.nn.AdaptiveAvgPool1d(2)(lib.ones(4)),
    "adaptive_max_pool1d_of_images": lambda lib: lib.nn.AdaptiveMaxPool1d(2)(lib.ones(1, 1, 2, 4)),
    "adaptive_avg_pool1d_none_size": lambda lib: lib.nn.functional.adaptive_avg_pool1d(
        lib.ones(2, 4), None
    ),
    "max_unpool2d_index_past_output": lambda lib: lib.nn.functional.max_unpool2d(
        lib.ones(1, 1, 2, 2), lib.full((1, 1, 2, 2), 16, dtype=lib.int64), 2
    ),
    "max_unpool2d_negative_index": lambda lib: lib.nn.functional.max_unpool2d(
        lib.ones(1, 1, 2, 2), lib.full((1, 1, 2, 2), -1, dtype=lib.int64), 2
    ),
    "max_unpool2d_float_indices": lambda lib: lib.nn.functional.max_unpool2d(
        lib.ones(1, 1, 2, 2), lib.ones(1, 1, 2, 2), 2
    ),
    "max_unpool2d_indices_of_another_shape": lambda lib: lib.nn.functional.max_unpool2d(
        lib.ones(1, 1, 2, 2), lib.zeros(1, 1, 2, 1, dtype=lib.int64), 2
    ),
    "max_unpool2d_of_a_matrix": lambda lib: lib.nn.MaxUnpool2d(2)(
        lib.ones(2, 2), lib.zeros(2, 2, dtype=lib.int64)
    ),
    "max_unpool2d_output_size_too_big": lambda lib: lib.nn.MaxUnpool2d(2)(
        lib.ones(1, 1, 2, 2), lib.zeros(1, 1, 2, 2, dtype=lib.int64), output_size=(6, 6)
    ),
    "interpolate_size_and_scale_factor": lambda lib: _interpolate(lib, size=3, scale_factor=2),
    "interpolate_neither_size_nor_factor": lambda lib: _interpolate(lib),
    "interpolate_align_corners_with_nearest": lambda lib: _interpolate(
        lib, size=3, align_corners=True
    ),
    "interpolate_size_of_other_length": lambda lib: _interpolate(lib, size=(3, 4, 5)),
    "interpolate_float_size": lambda lib: _interpolate(lib, size=(3, 4.0)),
    "interpolate_factors_of_other_length": lambda lib: _interpolate(lib, scale_factor=(2,)),
    "interpolate_recompute_with_size": lambda lib: _interpolate(
        lib, size=3, recompute_scale_factor=True
    ),
    "interpolate_unknown_mode": lambda lib: _interpolate(lib, size=3, mode="cubic"),
    "interpolate_linear_of_images": lambda lib: _interpolate(lib, size=3, mode="linear"),
    "interpolate_bilinear_of_sequences": lambda lib: lib.nn.functional.interpolate(
        lib.ones(1, 2, 3), size=3, mode="bilinear"
    ),
    "interpolate_matrix": lambda lib: lib.nn.functional.interpolate(lib.ones(2, 3), size=3),
    "interpolate_to_nothing": lambda lib: _interpolate(lib, scale_factor=0.2),
    "interpolate_empty_sequence": lambda lib: lib.nn.functional.interpolate(
        lib.ones(1, 1, 0), size=3
    ),
    "interpolate_no_channels": lambda lib: lib.nn.functional.interpolate(lib.ones(1, 0, 2), size=3),
    "interpolate_integers": lambda lib: lib.nn.functional.interpolate(
        lib.ones(1, 1, 2, 2, dtype=lib.int64), size=3
    ),
    "interpolate_antialias_nearest": lambda lib: _interpolate(lib, size=3, antialias=True),
    "pixel_shuffle_channels_not_divisible": lambda lib: lib.nn.PixelShuffle(2)(
        lib.ones(1, 6, 2, 2)
    ),
    "pixel_shuffle_matrix": lambda lib: lib.nn.PixelShuffle(2)(lib.ones(4, 2)),
    "pixel_shuffle_zero_factor": lambda lib: lib.nn.PixelShuffle(0)(lib.ones(1, 4, 2, 2)),
    "pixel_shuffle_float_factor": lambda lib: lib.nn.functional.pixel_shuffle(
        lib.ones(1, 4, 2, 2), 2.0
    ),
    "pixel_unshuffle_height_not_divisible": lambda lib: lib.nn.PixelUnshuffle(2)(
        lib.ones(1, 1, 3, 4)
    ),
    "pixel_unshuffle_width_not_divisible": lambda lib: lib.nn.PixelUnshuffle(2)(
        lib.ones(1, 1, 4, 3)
    ),
    "conv_transpose2d_channels_differ": lambda lib: lib.nn.ConvTranspose2d(3, 2, 2)(
        lib.ones(1, 2, 3, 3)
    ),
    "conv_transpose2d_output_padding_too_big": lambda lib: lib.nn.ConvTranspose2d(
        2, 2, 3, stride=2, output_padding=2
    )(lib.ones(1, 2, 3, 3)),
    "conv_transpose2d_output_too_small": lambda lib: lib.nn.ConvTranspose2d(2, 2, 1, padding=2)(
        lib.ones(1, 2, 2, 2)
    ),
    "conv_transpose2d_output_size_unreachable": lambda lib: lib.nn.ConvTranspose2d(
        2, 2, 3, stride=2
    )(lib.ones(1, 2, 3, 3), output_size=(9, 9)),
    "conv_transpose2d_output_size_of_three": lambda lib: lib.nn.ConvTranspose2d(2, 2, 3)(
        lib.ones(1, 2, 3, 3), output_size=(1, 5, 5)
    ),
    "conv_transpose2d_groups_not_dividing": lambda lib: lib.nn.ConvTranspose2d(3, 4, 2, groups=2),
    "conv_transpose2d_zero_groups": lambda lib: lib.nn.ConvTranspose2d(2, 4, 2, groups=0),
    "conv_transpose2d_reflect_padding": lambda lib: lib.nn.ConvTranspose2d(
        2, 2, 2, padding_mode="reflect"
    ),
    "conv_transpose2d_bias_of_wrong_size": lambda lib: lib.nn.functional.conv_transpose2d(
        lib.ones(1, 2, 3, 3), lib.ones(2, 3, 2, 2), lib.ones(2)
    ),
    "unfold_matrix": lambda lib: lib.nn.Unfold(2)(lib.ones(3, 3)),
    "unfold_kernel_past_input": lambda lib: lib.nn.Unfold(4)(lib.ones(1, 1, 3, 3)),
    "unfold_zero_stride": lambda lib: lib.nn.Unfold(2, stride=0)(lib.ones(1, 1, 3, 3)),
    "unfold_negative_padding": lambda lib: lib.nn.Unfold(2, padding=-1)(lib.ones(1, 1, 3, 3)),
    "unfold_zero_kernel": lambda lib: lib.nn.Unfold(0)(lib.ones(1, 1, 3, 3)),
    "unfold_three_kernel_sizes": lambda lib: lib.nn.Unfold((2, 2, 2))(lib.ones(1, 1, 3, 3)),
    "unfold_no_channels": lambda lib: lib.nn.Unfold(2)(lib.ones(1, 0, 3, 3)),
    "unfold_integers": lambda lib: lib.nn.Unfold(2)(lib.ones(1, 1, 3, 3, dtype=lib.int64)),
    "fold_blocks_miscounted": lambda lib: lib.nn.Fold((4, 5), 2)(lib.ones(2, 12, 10)),
    "fold_columns_not_divisible": lambda lib: lib.nn.Fold((4, 5), 2)(lib.ones(2, 10, 12)),
    "fold_images": lambda lib: lib.nn.Fold((4, 5), 2)(lib.ones(2, 3, 10, 12)),
    "fold_integers": lambda lib: lib.nn.Fold(3, 2)(lib.ones(1, 4, 4, dtype=lib.int64)),
    "rms_norm_shape_differs": lambda lib: lib.nn.RMSNorm(3)(lib.ones(2, 4)),
    "rms_norm_int_shape": lambda lib: lib.nn.functional.rms_norm(lib.ones(2, 3), 3),
    "instance_norm_one_spatial_element": lambda lib: lib.nn.functional.instance_norm(
        lib.ones(2, 3, 1)
    ),
    "instance_norm1d_of_images": lambda lib: lib.nn.InstanceNorm1d(3)(lib.ones(2, 3, 4, 5)),
    "instance_norm1d_affine_channels_differ": lambda lib: lib.nn.InstanceNorm1d(3, affine=True)(
        lib.ones(2, 4, 5)
    ),
    "local_response_norm_of_a_matrix": lambda lib: lib.nn.LocalResponseNorm(2)(lib.ones(2, 3)),
    "conv2d_groups_channels_differ": lambda lib: lib.nn.functional.conv2d(
        lib.ones(1, 4, 5, 5), lib.ones(4, 3, 3, 3), groups=2
    ),
    "conv2d_groups_not_dividing_outputs": lambda lib: lib.nn.functional.conv2d(
        lib.ones(1, 4, 5, 5), lib.ones(3, 2, 3, 3), groups=2
    ),
    "conv2d_zero_groups": lambda lib: lib.nn.functional.conv2d(
        lib.ones(1, 4, 5, 5), lib.ones(4, 2, 3, 3), groups=0
    ),
    "conv2d_layer_groups_not_dividing": lambda lib: lib.nn.Conv2d(3, 6, 3, groups=2),
    "conv2d_layer_outputs_not_dividing": lambda lib: lib.nn.Conv2d(4, 6, 3, groups=4),
    "conv2d_layer_zero_groups": lambda lib: lib.nn.Conv2d(4, 6, 3, groups=0),
    "conv2d_unknown_padding_mode": lambda lib: lib.nn.Conv2d(4, 6, 3, padding_mode="bogus"),
    "max_unpool2d_output_size_of_three": lambda lib: lib.nn.MaxUnpool2d(2)(
        lib.ones(1, 1, 2, 2), lib.zeros(1, 1, 2, 2, dtype=lib.int64), output_size=(1, 5, 5)
    ),
}


def _interpolate(lib: Any, **kwargs: Any) -> Any:
    return lib.nn.functional.interpolate(lib.ones(1, 2, 3, 4), **kwargs)


def test_interpolate_of_an_empty_batch_and_of_uint8_is_pytorch_one() -> None:
    x = np.arange(12, dtype=np.uint8).reshape(1, 1, 3, 4)
    for lib in (torch, cr):
        assert tuple(lib.nn.functional.interpolate(lib.ones(0, 2, 3), size=5).shape) == (0, 2, 5)
    theirs = torch.nn.functional.interpolate(torch.tensor(x), scale_factor=1.5)
    ours = cr.nn.functional.interpolate(cr.tensor(x), scale_factor=1.5)
    assert ours.dtype == cr.uint8
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


DEPRECATED = {
    "upsample": lambda F, x: F.upsample(x, size=5, mode="bilinear"),
    "upsample_nearest": lambda F, x: F.upsample_nearest(x, size=(4, 5)),
    "upsample_bilinear": lambda F, x: F.upsample_bilinear(x, scale_factor=2),
}


@pytest.mark.parametrize("name", list(DEPRECATED))
def test_deprecated_resizing_names_warn_and_interpolate(name: str) -> None:
    x = np.random.default_rng(0).standard_normal((1, 2, 3, 4))
    message = f"nn.functional.{name}` is deprecated"
    with pytest.warns(UserWarning, match=message):
        theirs = DEPRECATED[name](torch.nn.functional, torch.tensor(x))
    with pytest.warns(UserWarning, match=message):
        ours = DEPRECATED[name](cr.nn.functional, cr.tensor(x))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


@pytest.mark.parametrize("name", list(ERRORS))
def test_misuse_raises_the_exception_pytorch_raises(name: str) -> None:
    with pytest.raises(Exception) as theirs:
        ERRORS[name](torch)
    with pytest.raises(type(theirs.value)):
        ERRORS[name](cr)
