"""Fractional max pooling layers, as PyTorch's ``nn.FractionalMaxPool2d`` and ``3d``: the
windows of :mod:`chainrule.ops.fractional_pool`, drawn anew at each call unless
``_random_samples`` (kept as a buffer) fixes them.

    >>> import chainrule as cr
    >>> pool = cr.nn.FractionalMaxPool2d(2, output_ratio=0.5)
    >>> pool(cr.randn(1, 3, 8, 8)).shape
    chainrule.Size([1, 3, 4, 4])
"""

from __future__ import annotations

from typing import Any

from chainrule.nn.module import Module
from chainrule.ops.fractional_pool import fractional_max_pool2d, fractional_max_pool3d
from chainrule.tensor import Tensor


class _FractionalMaxPoolNd(Module):
    _dims: int

    def __init__(
        self,
        kernel_size: Any,
        output_size: Any = None,
        output_ratio: Any = None,
        return_indices: bool = False,
        _random_samples: Tensor | None = None,
    ) -> None:
        super().__init__()
        self.kernel_size = self._expand(kernel_size)
        self.return_indices = return_indices
        self.register_buffer("_random_samples", _random_samples)
        self.output_size = self._expand(output_size) if output_size is not None else None
        self.output_ratio = self._expand(output_ratio) if output_ratio is not None else None
        if output_size is None and output_ratio is None:
            raise ValueError(
                f"{type(self).__name__} requires specifying either an output size, or a "
                "pooling ratio"
            )
        if output_size is not None and output_ratio is not None:
            raise ValueError("only one of output_size and output_ratio may be specified")
        if self.output_ratio is not None and not all(0 < r < 1 for r in self.output_ratio):
            raise ValueError(f"output_ratio must be between 0 and 1 (got {output_ratio})")

    def _expand(self, value: Any) -> tuple[Any, ...]:
        return tuple(value) if isinstance(value, (tuple, list)) else (value,) * self._dims


class FractionalMaxPool2d(_FractionalMaxPoolNd):
    """Fractional max pooling over (N, C, H, W) or (C, H, W) inputs."""

    _dims = 2

    def forward(self, input: Tensor) -> Any:  # noqa: A002
        return fractional_max_pool2d(input, self.kernel_size, self.output_size,
                                     self.output_ratio, self.return_indices,
                                     _random_samples=self._random_samples)  # fmt: skip


class FractionalMaxPool3d(_FractionalMaxPoolNd):
    """Fractional max pooling over (N, C, T, H, W) or (C, T, H, W) inputs."""

    _dims = 3

    def forward(self, input: Tensor) -> Any:  # noqa: A002
        return fractional_max_pool3d(input, self.kernel_size, self.output_size,
                                     self.output_ratio, self.return_indices,
                                     _random_samples=self._random_samples)  # fmt: skip
