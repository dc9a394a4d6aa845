"""``nn.LinearCrossEntropyLoss``: a linear layer to class logits and the cross-entropy loss in
one module (PyTorch's, its reference path).

    >>> import chainrule as cr
    >>> loss = cr.nn.LinearCrossEntropyLoss(5, 10, out_features=(4, 3))
    >>> loss.linear.weight.shape, loss(cr.randn(2, 5), cr.randint(0, 10, (2, 4, 3))).shape
    (chainrule.Size([120, 5]), chainrule.Size([]))
"""

from __future__ import annotations

import math
from typing import Any

from chainrule.nn import functional as F
from chainrule.nn.layers import Linear
from chainrule.nn.losses import _WeightedLoss
from chainrule.tensor import Tensor


class LinearCrossEntropyLoss(_WeightedLoss):
    """Cross entropy of ``input`` (N, in_features) projected by its own ``linear`` layer to
    (N, num_classes, *out_features) logits. The layer's weight is stored flat, (num_classes *
    prod(out_features), in_features), and reshaped in ``forward``, as in PyTorch."""

    def __init__(
        self,
        in_features: int,
        num_classes: int,
        *,
        out_features: tuple[int, ...] = (),
        bias: bool = False,
        device: Any = None,
        dtype: Any = None,
        reduction: str = "mean",
        weight: Tensor | None = None,
        ignore_index: int | None = None,
        label_smoothing: float = 0.0,
        options: Any = None,
    ) -> None:
        if weight is not None and tuple(weight.shape) != (num_classes,):
            raise RuntimeError(
                f"expected weight shape to be {(num_classes,)}, got {tuple(weight.shape)}"
            )
        if label_smoothing < 0 or label_smoothing > 1.0:
            raise RuntimeError(
                f"expected label_smoothing to be in range [0, 1], got {label_smoothing}"
            )
        super().__init__(weight=weight, reduction=reduction)
        self.num_classes = num_classes
        self.out_features = out_features
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing
        flat = math.prod(out_features, start=num_classes)
        self.linear = Linear(in_features, flat, bias=bias, device=device, dtype=dtype)
        self.options = options

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        shape = (self.num_classes, *self.out_features)
        bias = self.linear.bias
        return F.linear_cross_entropy(
            input,
            self.linear.weight.reshape((*shape, self.linear.in_features)),
            target,
            linear_bias=None if bias is None else bias.reshape(shape),
            weight=self.weight,
            reduction=self.reduction,
            ignore_index=self.ignore_index,
            label_smoothing=self.label_smoothing,
            options=self.options,
        )

    def extra_repr(self) -> str:
        return (
            f"in_features={self.linear.in_features}, num_classes={self.num_classes}, "
            f"out_features={self.out_features}, bias={self.linear.bias is not None}, "
            f"reduction={self.reduction}, ignore_index={self.ignore_index}, "
            f"label_smoothing={self.label_smoothing}, options={self.options}"
        )
