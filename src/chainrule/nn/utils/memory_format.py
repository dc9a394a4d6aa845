"""``torch.nn.utils.memory_format``: the weights of a model's convolutions laid out in another
memory format (``channels_last``), the values and shapes unchanged.

    >>> import chainrule as cr
    >>> net = cr.nn.Sequential(cr.nn.Conv2d(2, 3, 3), cr.nn.ReLU())
    >>> net = convert_conv2d_weight_memory_format(net, cr.channels_last)
    >>> net[0].weight.is_contiguous(memory_format=cr.channels_last)
    True
"""

from __future__ import annotations

from typing import Any, TypeVar

from chainrule.nn.conv import Conv2d, Conv3d, ConvTranspose2d, ConvTranspose3d
from chainrule.nn.module import Module

__all__ = ["convert_conv2d_weight_memory_format", "convert_conv3d_weight_memory_format"]

_M = TypeVar("_M", bound=Module)


def _convert(module: _M, kinds: tuple[type, ...], memory_format: Any) -> _M:
    """Each ``kinds`` layer's weight, in ``module`` and below, copied into ``memory_format``
    (its ``.data`` replaced, so the Parameter and its optimizer entry stay)."""
    for layer in module.modules():
        if isinstance(layer, kinds):
            layer.weight.data = layer.weight.detach().clone(memory_format=memory_format)
    return module


def convert_conv2d_weight_memory_format(module: _M, memory_format: Any) -> _M:
    """The weights of every ``Conv2d`` and ``ConvTranspose2d`` in ``module`` (itself included)
    in ``memory_format``; returns ``module``."""
    return _convert(module, (Conv2d, ConvTranspose2d), memory_format)


def convert_conv3d_weight_memory_format(module: _M, memory_format: Any) -> _M:
    """The weights of every ``Conv3d`` and ``ConvTranspose3d`` in ``module`` (itself included)
    in ``memory_format``; returns ``module``."""
    return _convert(module, (Conv3d, ConvTranspose3d), memory_format)
