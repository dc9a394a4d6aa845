"""``nn.SyncBatchNorm``: batch normalization whose statistics PyTorch gathers across the
processes of a distributed run. chainrule runs in one process, where PyTorch's SyncBatchNorm
is a BatchNorm over inputs of any rank from 2 up; ``convert_sync_batchnorm`` swaps a model's
batch norms for it, keeping their parameters and buffers (the same tensors).

    >>> import chainrule as cr
    >>> model = cr.nn.Sequential(cr.nn.Conv2d(3, 4, 1), cr.nn.BatchNorm2d(4))
    >>> cr.nn.SyncBatchNorm.convert_sync_batchnorm(model)[1]
    SyncBatchNorm(4, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
"""

from __future__ import annotations

from typing import Any

from chainrule.nn.module import Module
from chainrule.nn.norm import _BatchNorm
from chainrule.tensor import Tensor


class SyncBatchNorm(_BatchNorm):
    """BatchNorm over (N, C, ...) inputs; ``process_group`` is kept, for PyTorch's API."""

    # any rank from 2 up (the shared forward checks membership; NumPy allows 64 dimensions)
    _dims = tuple(range(2, 65))

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        process_group: Any = None,
        device: Any = None,
        dtype: Any = None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__(
            num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias
        )
        self.process_group = process_group

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        if input.ndim < 2:
            raise ValueError(f"expected at least 2D input (got {input.ndim}D input)")
        if input.shape[1] == 0:
            raise ValueError("SyncBatchNorm number of input channels should be non-zero")
        return super().forward(input)

    @classmethod
    def convert_sync_batchnorm(cls, module: Module, process_group: Any = None) -> Module:
        """``module`` with each batch norm in it (itself included) replaced by a
        SyncBatchNorm holding the same parameters and buffers."""
        output = module
        if isinstance(module, _BatchNorm):
            output = cls(
                module.num_features,
                module.eps,
                module.momentum,
                module.affine,
                module.track_running_stats,
                process_group,
                bias=module.bias is not None,
            )
            if module.affine:
                output.weight = module.weight
                output.bias = module.bias
            output.running_mean = module.running_mean
            output.running_var = module.running_var
            output.num_batches_tracked = module.num_batches_tracked
            output.training = module.training
            if hasattr(module, "qconfig"):
                output.qconfig = module.qconfig
        for name, child in module.named_children():
            output.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return output
