"""Pooling layers over (N, C, L) sequences, and max unpooling: PyTorch's ``nn.MaxPool1d``,
``nn.AvgPool1d``, ``nn.AdaptiveAvgPool1d``, ``nn.AdaptiveMaxPool1d``, ``nn.MaxUnpool1d`` and
``nn.MaxUnpool2d``. The 1-D ones are their 2-D neighbours with the 1-D functional form.

    >>> import chainrule as cr
    >>> pool = cr.nn.MaxPool2d(2, return_indices=True)
    >>> values, indices = pool(cr.arange(16.0).reshape(1, 1, 4, 4))
    >>> cr.nn.MaxUnpool2d(2)(values, indices).shape
    chainrule.Size([1, 1, 4, 4])
"""

from __future__ import annotations

from typing import Any

from chainrule.nn import functional as F
from chainrule.nn.conv import AdaptiveAvgPool2d, AdaptiveMaxPool2d, MaxPool2d
from chainrule.nn.module import Module
from chainrule.ops.conv import _pair, _single
from chainrule.tensor import Tensor


class MaxPool1d(MaxPool2d):
    """The maximum of each ``kernel_size`` window along L; ``stride`` defaults to
    ``kernel_size``.

    >>> import chainrule as cr
    >>> cr.nn.MaxPool1d(2)(cr.tensor([[[1.0, 3.0, 2.0, 0.0]]]))
    tensor([[[3., 2.]]])
    """

    _pool = staticmethod(F.max_pool1d)


class AvgPool1d(Module):
    """The mean of each ``kernel_size`` window along L; ``stride`` defaults to
    ``kernel_size``."""

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
    ) -> None:
        super().__init__()
        # PyTorch keeps (and prints) 1-tuples.
        self.kernel_size = _single(kernel_size, "kernel_size")
        self.stride = _single(kernel_size if stride is None else stride, "stride")
        self.padding = _single(padding, "padding")
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.avg_pool1d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool1d(AdaptiveAvgPool2d):
    """The mean over windows chosen so the output has length ``output_size``;
    ``AdaptiveAvgPool1d(1)`` is global average pooling over L."""

    _pool = staticmethod(F.adaptive_avg_pool1d)


class AdaptiveMaxPool1d(AdaptiveMaxPool2d):
    """The maximum over windows chosen so the output has length ``output_size``; with
    ``return_indices`` also each maximum's position along L."""

    _pool = staticmethod(F.adaptive_max_pool1d)


class MaxUnpool2d(Module):
    """MaxPool2d's partial inverse: each value at its index, zeros elsewhere. The forward
    takes the pooling's values and indices, and ``output_size`` where the pooling's input
    size is not the default ``(in - 1) * stride + kernel - 2 * padding``."""

    _expand: Any = staticmethod(_pair)  # MaxUnpool1d's: _single
    _unpool: Any = staticmethod(F.max_unpool2d)

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        self.kernel_size = self._expand(kernel_size, "kernel_size")
        self.stride = self._expand(kernel_size if stride is None else stride, "stride")
        self.padding = self._expand(padding, "padding")

    def forward(self, input: Tensor, indices: Tensor, output_size: Any = None) -> Tensor:  # noqa: A002
        return self._unpool(
            input, indices, self.kernel_size, self.stride, self.padding, output_size
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(MaxUnpool2d):
    """MaxPool1d's partial inverse, over (N, C, L) or (C, L) sequences."""

    _expand = staticmethod(_single)
    _unpool = staticmethod(F.max_unpool1d)
