"""Padding layers, PyTorch's ``nn.ZeroPad2d``, ``nn.ConstantPad1d`` ... over :func:`F.pad`.

A layer for ``d`` dimensions pads the last ``d`` dimensions of its input; ``padding`` is one int
for every side or ``(left, right)``, ``(left, right, top, bottom)`` as ``F.pad`` takes it.

    >>> import chainrule as cr
    >>> cr.nn.ReflectionPad1d(2)(cr.tensor([[[1.0, 2.0, 3.0]]]))
    tensor([[[3., 2., 1., 2., 3., 2., 1.]]])
    >>> cr.nn.ZeroPad2d((1, 0, 0, 1))
    ZeroPad2d((1, 0, 0, 1))
"""

from __future__ import annotations

from typing import Any, ClassVar

from chainrule.nn import functional as F
from chainrule.nn.module import Module
from chainrule.ops.fold import as_tuple
from chainrule.tensor import Tensor


class _PadNd(Module):
    """What every padding layer shares: ``padding`` as a ``2 * dims`` tuple, and a forward
    that is ``F.pad`` with the layer's mode."""

    dims: ClassVar[int]
    mode: ClassVar[str]

    def __init__(self, padding: Any) -> None:
        super().__init__()
        # An int pads every side; a tuple is kept as given, unchecked, as PyTorch keeps it
        # (``_ntuple``): F.pad refuses what does not fit, at the forward
        self.padding = as_tuple(padding, 2 * self.dims)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.pad(input, self.padding, self.mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    mode = "constant"

    def __init__(self, padding: Any, value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class _ReflectionPadNd(_PadNd):
    mode = "reflect"


class _ReplicationPadNd(_PadNd):
    mode = "replicate"


class _CircularPadNd(_PadNd):
    mode = "circular"


class ConstantPad1d(_ConstantPadNd):
    """Pads the last dimension with ``value``."""

    dims = 1


class ConstantPad2d(_ConstantPadNd):
    """Pads the last two dimensions with ``value``."""

    dims = 2


class ConstantPad3d(_ConstantPadNd):
    """Pads the last three dimensions with ``value``."""

    dims = 3


class ZeroPad1d(ConstantPad1d):
    """Pads the last dimension with zeros."""

    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    """Pads the last two dimensions with zeros.

    >>> import chainrule as cr
    >>> cr.nn.ZeroPad2d(1)(cr.ones(1, 1, 2)).tolist()
    [[[0.0, 0.0, 0.0, 0.0], [0.0, 1.0, 1.0, 0.0], [0.0, 0.0, 0.0, 0.0]]]
    """

    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad3d(ConstantPad3d):
    """Pads the last three dimensions with zeros."""

    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ReflectionPad1d(_ReflectionPadNd):
    """Pads the last dimension with its reflection about the edge (the edge not repeated) of a
    (C, L) or (N, C, L) input."""

    dims = 1


class ReflectionPad2d(_ReflectionPadNd):
    """Pads the last two dimensions with their reflection of a (C, H, W) or (N, C, H, W)
    input."""

    dims = 2


class ReplicationPad1d(_ReplicationPadNd):
    """Pads the last dimension by repeating its edge values, of a (C, L) or (N, C, L) input."""

    dims = 1


class ReplicationPad2d(_ReplicationPadNd):
    """Pads the last two dimensions by repeating their edge values, of a (C, H, W) or
    (N, C, H, W) input."""

    dims = 2


class CircularPad1d(_CircularPadNd):
    """Pads the last dimension by wrapping around, of a (C, L) or (N, C, L) input."""

    dims = 1


class CircularPad2d(_CircularPadNd):
    """Pads the last two dimensions by wrapping around, of a (C, H, W) or (N, C, H, W)
    input."""

    dims = 2


class ReflectionPad3d(_ReflectionPadNd):
    """Pads the last three dimensions with their reflection of a (C, D, H, W) or
    (N, C, D, H, W) input."""

    dims = 3


class ReplicationPad3d(_ReplicationPadNd):
    """Pads the last three dimensions by repeating their edge values, of a (C, D, H, W) or
    (N, C, D, H, W) input."""

    dims = 3


class CircularPad3d(_CircularPadNd):
    """Pads the last three dimensions by wrapping around, of a (C, D, H, W) or
    (N, C, D, H, W) input."""

    dims = 3
