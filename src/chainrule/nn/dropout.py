"""Channel-wise dropout layers, PyTorch's ``nn.Dropout1d``, ``nn.Dropout2d`` and
``nn.Dropout3d``: each zeroes whole channels (feature maps) in training mode, the identity in
eval mode.

    >>> import chainrule as cr
    >>> cr.nn.Dropout2d(0.3)
    Dropout2d(p=0.3, inplace=False)
"""

from __future__ import annotations

from typing import Any

from chainrule.nn import functional as F
from chainrule.nn.layers import _DropoutNd
from chainrule.tensor import Tensor


class _ChannelDropout(_DropoutNd):
    """PyTorch's dropout base (``p``, ``inplace``, the repr) with a forward; a subclass names
    its functional form."""

    _dropout: Any

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return self._dropout(input, self.p, self.training, self.inplace)


class Dropout1d(_ChannelDropout):
    """Zeroes whole channels of (N, C, L) or (C, L) inputs with probability ``p``."""

    _dropout = staticmethod(F.dropout1d)


class Dropout2d(_ChannelDropout):
    """Zeroes whole channels of (N, C, H, W) inputs with probability ``p``."""

    _dropout = staticmethod(F.dropout2d)


class Dropout3d(_ChannelDropout):
    """Zeroes whole channels of (N, C, D, H, W) or (C, D, H, W) inputs with probability
    ``p``."""

    _dropout = staticmethod(F.dropout3d)
