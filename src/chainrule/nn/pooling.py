"""Pooling layers over (N, C, L) sequences and (N, C, D, H, W) volumes, max unpooling and
power-average pooling: PyTorch's ``nn.MaxPool1d``, ``nn.AvgPool1d``, ``nn.AdaptiveAvgPool1d``,
``nn.AdaptiveMaxPool1d``, ``nn.MaxUnpool1d``, ``nn.MaxUnpool2d``, their 3-D kin and
``nn.LPPool1d``/``2d``/``3d``. Each derives from PyTorch's shared base (``_MaxPoolNd``...),
naming its functional form.

    >>> import chainrule as cr
    >>> pool = cr.nn.MaxPool2d(2, return_indices=True)
    >>> values, indices = pool(cr.arange(16.0).reshape(1, 1, 4, 4))
    >>> cr.nn.MaxUnpool2d(2)(values, indices).shape
    chainrule.Size([1, 1, 4, 4])
"""

from __future__ import annotations

from typing import Any

from chainrule.nn import functional as F
from chainrule.nn.conv import (
    _AdaptiveAvgPoolNd,
    _AdaptiveMaxPoolNd,
    _AvgPoolNd,
    _MaxPoolNd,
)
from chainrule.nn.module import Module
from chainrule.ops.conv import reword_for_layer
from chainrule.ops.fold import as_tuple
from chainrule.tensor import Tensor


class MaxPool1d(_MaxPoolNd):
    """The maximum of each ``kernel_size`` window along L; ``stride`` defaults to
    ``kernel_size``.

    >>> import chainrule as cr
    >>> cr.nn.MaxPool1d(2)(cr.tensor([[[1.0, 3.0, 2.0, 0.0]]]))
    tensor([[[3., 2.]]])
    """

    _pool = staticmethod(F.max_pool1d)


class AvgPool1d(_AvgPoolNd):
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
        Module.__init__(self)  # not _AvgPoolNd's: this one has no divisor_override
        # PyTorch keeps (and prints) 1-tuples.
        self.kernel_size = as_tuple(kernel_size, 1)  # checked by avg_pool1d, as PyTorch's
        self.stride = as_tuple(kernel_size if stride is None else stride, 1)
        self.padding = as_tuple(padding, 1)
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        settings = (
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
        )
        try:
            return F.avg_pool1d(input, *settings)
        except TypeError:  # settings the op refuses: in the words of PyTorch's layer
            reword_for_layer("avg_pool1d", 1, (input,), settings)
            raise


class AdaptiveAvgPool1d(_AdaptiveAvgPoolNd):
    """The mean over windows chosen so the output has length ``output_size``;
    ``AdaptiveAvgPool1d(1)`` is global average pooling over L."""

    _pool = staticmethod(F.adaptive_avg_pool1d)


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """The maximum over windows chosen so the output has length ``output_size``; with
    ``return_indices`` also each maximum's position along L."""

    _pool = staticmethod(F.adaptive_max_pool1d)


class _MaxUnpoolNd(Module):
    """What MaxUnpool1d, 2d and 3d share; a subclass names its spatial dimensions and its
    functional form."""

    _dims: int  # the layer's spatial dimensions
    _unpool: Any  # the functional form, F.max_unpool1d, 2d or 3d

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        # kept as PyTorch's layer keeps them (``_ntuple``), checked by the unpooling
        self.kernel_size = as_tuple(kernel_size, self._dims)
        self.stride = as_tuple(kernel_size if stride is None else stride, self._dims)
        self.padding = as_tuple(padding, self._dims)

    def forward(self, input: Tensor, indices: Tensor, output_size: Any = None) -> Tensor:  # noqa: A002
        return self._unpool(
            input, indices, self.kernel_size, self.stride, self.padding, output_size
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool2d(_MaxUnpoolNd):
    """MaxPool2d's partial inverse: each value at its index, zeros elsewhere. The forward
    takes the pooling's values and indices, and ``output_size`` where the pooling's input
    size is not the default ``(in - 1) * stride + kernel - 2 * padding``."""

    _dims = 2
    _unpool = staticmethod(F.max_unpool2d)


class MaxUnpool1d(_MaxUnpoolNd):
    """MaxPool1d's partial inverse, over (N, C, L) or (C, L) sequences."""

    _dims = 1
    _unpool = staticmethod(F.max_unpool1d)


class MaxPool3d(_MaxPoolNd):
    """The maximum of each ``kernel_size`` window of (N, C, D, H, W) volumes; ``stride``
    defaults to ``kernel_size``; ``return_indices`` as MaxPool2d's (flat in the volume).

    >>> import chainrule as cr
    >>> cr.nn.MaxPool3d(2)(cr.ones(1, 2, 4, 4, 6)).shape
    chainrule.Size([1, 2, 2, 2, 3])
    """

    _pool = staticmethod(F.max_pool3d)


class AvgPool3d(_AvgPoolNd):
    """The mean of each ``kernel_size`` window of (N, C, D, H, W) volumes; ``stride`` defaults
    to ``kernel_size``."""

    _pool = staticmethod(F.avg_pool3d)


class AdaptiveAvgPool3d(_AdaptiveAvgPoolNd):
    """The mean over windows chosen so the output is ``output_size`` (an int, or a triple whose
    None keeps the input's size)."""

    _pool = staticmethod(F.adaptive_avg_pool3d)


class AdaptiveMaxPool3d(_AdaptiveMaxPoolNd):
    """The maximum over windows chosen so the output is ``output_size``; with
    ``return_indices`` also each maximum's position in the flattened volume."""

    _pool = staticmethod(F.adaptive_max_pool3d)


class MaxUnpool3d(_MaxUnpoolNd):
    """MaxPool3d's partial inverse, over (N, C, D, H, W) or (C, D, H, W) volumes."""

    _dims = 3
    _unpool = staticmethod(F.max_unpool3d)


class _LPPoolNd(Module):
    """The ``norm_type``-norm of each ``kernel_size`` window (PyTorch's power-average
    pooling); ``stride`` defaults to ``kernel_size``."""

    _pool: Any  # the functional form, F.lp_pool1d, 2d or 3d

    def __init__(
        self, norm_type: float, kernel_size: Any, stride: Any = None, ceil_mode: bool = False
    ) -> None:
        super().__init__()
        self.norm_type = norm_type
        self.kernel_size = kernel_size
        self.stride = stride
        self.ceil_mode = ceil_mode

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return self._pool(input, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)

    def extra_repr(self) -> str:
        return (
            f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, stride={self.stride}, "
            f"ceil_mode={self.ceil_mode}"
        )


class LPPool1d(_LPPoolNd):
    """Power-average pooling along L of (N, C, L) or (C, L) inputs.

    >>> import chainrule as cr
    >>> cr.nn.LPPool1d(2, 2)(cr.tensor([[3.0, 4.0]]))
    tensor([[5.]])
    """

    _pool = staticmethod(F.lp_pool1d)


class LPPool2d(_LPPoolNd):
    """Power-average pooling over the (H, W) windows of (N, C, H, W) or (C, H, W) inputs."""

    _pool = staticmethod(F.lp_pool2d)


class LPPool3d(_LPPoolNd):
    """Power-average pooling over the (D, H, W) windows of (N, C, D, H, W) or (C, D, H, W)
    inputs."""

    _pool = staticmethod(F.lp_pool3d)
