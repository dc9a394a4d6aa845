"""Normalization layers: ``BatchNorm1d``, ``BatchNorm2d`` (running statistics), ``LayerNorm``,
``GroupNorm``, ``InstanceNorm1d``, ``InstanceNorm2d``, ``RMSNorm`` and ``LocalResponseNorm``.

>>> import chainrule as cr
>>> bn = cr.nn.BatchNorm1d(3)
>>> y = bn(cr.randn(8, 3) * 5 + 2)
>>> bool(y.mean(0).abs().max() < 1e-5)       # normalized by the batch statistics
True
>>> [name for name, _ in bn.named_buffers()]
['running_mean', 'running_var', 'num_batches_tracked']
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

from chainrule import dtypes, factories
from chainrule.nn import functional as F
from chainrule.nn import init
from chainrule.nn.module import Module
from chainrule.nn.parameter import Parameter
from chainrule.tensor import Tensor


def _add_affine(
    module: Module, shape: tuple[int, ...], affine: bool, bias: bool, dtype: Any, device: Any
) -> None:
    """A normalization's learned scale ``weight`` (ones) and shift ``bias`` (zeros) of
    ``shape``; None where ``affine`` is off, and ``bias`` None where ``bias`` is off."""
    if affine:
        module.weight = Parameter(factories.ones(*shape, dtype=dtype, device=device))
    else:
        module.register_parameter("weight", None)
    if affine and bias:
        module.bias = Parameter(factories.zeros(*shape, dtype=dtype, device=device))
    else:
        module.register_parameter("bias", None)


class _NormBase(Module):
    """PyTorch's base of the batch and instance norms: their constructor, parameters, running
    statistics buffers, state-dict versions, resets and repr."""

    _dims: tuple[int, ...] = ()  # the input dimensions allowed
    _version = 2  # version 2 added num_batches_tracked to the state dict

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device: Any = None,
        dtype: Any = None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        _add_affine(self, (num_features,), affine, bias, dtype, device)
        if track_running_stats:
            self.register_buffer(
                "running_mean", factories.zeros(num_features, dtype=dtype, device=device)
            )
            self.register_buffer(
                "running_var", factories.ones(num_features, dtype=dtype, device=device)
            )
            self.register_buffer("num_batches_tracked", factories.tensor(0, dtype=dtypes.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def _load_from_state_dict(
        self,
        state_dict: dict[str, Any],
        prefix: str,
        local_metadata: dict[str, Any],
        strict: bool,
        missing_keys: list[str],
        unexpected_keys: list[str],
        error_msgs: list[str],
    ) -> None:
        # A checkpoint older than version 2 (or a plain dict, which has no versions) may lack
        # the batch count: the module keeps its own, as PyTorch's does.
        version = local_metadata.get("version")
        key = prefix + "num_batches_tracked"
        old = version is None or version < 2
        if old and self.num_batches_tracked is not None and key not in state_dict:
            state_dict[key] = self.num_batches_tracked
        super()._load_from_state_dict(
            state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
            error_msgs,
        )  # fmt: skip

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            init.zeros_(self.running_mean)
            init.ones_(self.running_var)
            self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self.bias is not None}, "
            f"track_running_stats={self.track_running_stats}"
        )


class _BatchNorm(_NormBase):
    """Shared by BatchNorm1d, 2d and 3d, which differ only in the input shapes allowed."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        if input.ndim not in self._dims:
            raise ValueError(
                f"{type(self).__name__}: expected {' or '.join(f'{d}D' for d in self._dims)} "
                f"input, got shape {tuple(input.shape)}"
            )
        if input.shape[1] != self.num_features:
            raise RuntimeError(
                f"{type(self).__name__}({self.num_features}) got input with "
                f"{input.shape[1]} channels (shape {tuple(input.shape)})"
            )
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:  # a cumulative moving average
                momentum = 1.0 / self.num_batches_tracked.item()
        use_batch_stats = self.training or self.running_mean is None
        return F.batch_norm(
            input,
            self.running_mean if not self.training or self.track_running_stats else None,
            self.running_var if not self.training or self.track_running_stats else None,
            self.weight,
            self.bias,
            use_batch_stats,
            momentum,
            self.eps,
        )


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) or (N, C, L) inputs over the batch (and length)."""

    _dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalization of (N, C, H, W) inputs over the batch and the pixels."""

    _dims = (4,)


class BatchNorm3d(_BatchNorm):
    """Batch normalization of (N, C, D, H, W) inputs over the batch and the voxels."""

    _dims = (5,)


class LayerNorm(Module):
    """Normalizes each sample over its last dimensions, then scales and shifts elementwise."""

    def __init__(
        self,
        normalized_shape: Sequence[int] | int,
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else normalized_shape
        self.normalized_shape = tuple(shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        _add_affine(self, self.normalized_shape, elementwise_affine, bias, dtype, device)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, "
            f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}"
        )


class GroupNorm(Module):
    """Normalizes each sample over groups of channels (see ``F.group_norm``), then scales and
    shifts per channel."""

    def __init__(
        self,
        num_groups: int,
        num_channels: int,
        eps: float = 1e-5,
        affine: bool = True,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        if num_channels % num_groups:
            raise ValueError(
                f"num_channels ({num_channels}) must be divisible by num_groups ({num_groups})"
            )
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        _add_affine(self, (num_channels,), affine, bias, dtype, device)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
            f"bias={self.bias is not None}"
        )


class _InstanceNorm(_NormBase):
    """Shared by InstanceNorm1d, 2d and 3d: the batch norms' parameters, buffers and repr,
    PyTorch's defaults (no affine, no running statistics), per-instance statistics."""

    _spatial: int  # the spatial dimensions: an unbatched input has 1 + _spatial

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = False,
        track_running_stats: bool = False,
        device: Any = None,
        dtype: Any = None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__(
            num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias
        )

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        if input.ndim not in self._dims:
            raise ValueError(
                f"expected {' or '.join(f'{d}D' for d in self._dims)} input (got {input.ndim}D "
                "input)"
            )
        channel = input.ndim - 1 - self._spatial
        if input.shape[channel] != self.num_features:
            if self.affine:
                raise ValueError(
                    f"expected input's size at dim={channel} to match num_features "
                    f"({self.num_features}), but got: {input.shape[channel]}."
                )
            warnings.warn(
                f"input's size at dim={channel} does not match num_features. You can silence "
                "this warning by not passing in num_features, which is not used because "
                "affine=False",
                stacklevel=2,
            )
        if channel == 0:  # one unbatched sample
            return self._normalize(input.unsqueeze(0)).squeeze(0)
        return self._normalize(input)

    def _load_from_state_dict(
        self,
        state_dict: dict[str, Any],
        prefix: str,
        local_metadata: dict[str, Any],
        strict: bool,
        missing_keys: list[str],
        unexpected_keys: list[str],
        error_msgs: list[str],
    ) -> None:
        # Instance norms tracked running statistics by default before PyTorch 0.4: a plain dict
        # (no versions) holding them is refused with that explanation, even when not strict.
        kind = type(self).__name__
        names = ("running_mean", "running_var")
        stale = [prefix + name for name in names if prefix + name in state_dict]
        if local_metadata.get("version") is None and not self.track_running_stats and stale:
            for key in stale:
                del state_dict[key]
            error_msgs.append(
                "Unexpected running stats buffer(s) "
                + " and ".join(f'"{key}"' for key in stale)
                + f" for {kind} with track_running_stats=False. If state_dict is a checkpoint "
                f"saved before 0.4.0, this may be expected because {kind} does not track "
                "running stats by default since 0.4.0. Please remove these keys from "
                "state_dict. If the running stats are actually needed, instead set "
                f"track_running_stats=True in {kind} to enable them. See the documentation "
                f"of {kind} for details."
            )
        super()._load_from_state_dict(
            state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
            error_msgs,
        )  # fmt: skip

    def _normalize(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.instance_norm(
            input,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            self.training or not self.track_running_stats,
            0.0 if self.momentum is None else self.momentum,
            self.eps,
        )


class InstanceNorm1d(_InstanceNorm):
    """Instance normalization of (N, C, L) or (C, L) inputs: each sample's each channel over
    its length.

    >>> import chainrule as cr
    >>> cr.nn.InstanceNorm1d(2)
    InstanceNorm1d(2, eps=1e-05, momentum=0.1, affine=False, bias=False, track_running_stats=False)
    """

    _dims, _spatial = (2, 3), 1


class InstanceNorm2d(_InstanceNorm):
    """Instance normalization of (N, C, H, W) or (C, H, W) inputs: each sample's each channel
    over its pixels (style transfer's normalization)."""

    _dims, _spatial = (3, 4), 2


class InstanceNorm3d(_InstanceNorm):
    """Instance normalization of (N, C, D, H, W) or (C, D, H, W) inputs: each sample's each
    channel over its voxels."""

    _dims, _spatial = (4, 5), 3


class RMSNorm(Module):
    """Root-mean-square normalization over the last dimensions, then an elementwise scale
    ``weight`` (ones): ``F.rms_norm``; ``eps`` None is the dtype's machine epsilon."""

    def __init__(
        self,
        normalized_shape: Sequence[int] | int,
        eps: float | None = None,
        elementwise_affine: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else normalized_shape
        self.normalized_shape = tuple(shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:  # a scale only: PyTorch's RMSNorm has no bias, not even None
            self.weight = Parameter(
                factories.ones(*self.normalized_shape, dtype=dtype, device=device)
            )
        else:
            self.register_parameter("weight", None)

    def forward(self, x: Tensor) -> Tensor:  # (PyTorch's name of the argument)
        return F.rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
        )


class LocalResponseNorm(Module):
    """Each element divided by ``(k + alpha * mean of the squares of the size neighbouring
    channels) ** beta``: ``F.local_response_norm``."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> None:
        super().__init__()
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
