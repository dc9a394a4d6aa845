"""``nn.CTCLoss``: the connectionist temporal classification loss as a module (the
computation is :func:`chainrule.ops.ctc.ctc_loss`).

    >>> import chainrule as cr
    >>> loss = cr.nn.CTCLoss()
    >>> log_probs = cr.zeros(3, 1, 2).log_softmax(2)
    >>> round(loss(log_probs, cr.tensor([[1]]), (3,), (1,)).item(), 4)
    0.2877
"""

from __future__ import annotations

from typing import Any

from chainrule.nn.losses import _Loss
from chainrule.ops.ctc import ctc_loss
from chainrule.tensor import Tensor


class CTCLoss(_Loss):
    """The CTC loss of (T, N, C) log-probabilities against padded or concatenated targets."""

    def __init__(
        self, blank: int = 0, reduction: str = "mean", zero_infinity: bool = False
    ) -> None:
        super().__init__(reduction=reduction)
        self.blank = blank
        self.zero_infinity = zero_infinity

    def forward(self, log_probs: Tensor, targets: Tensor, input_lengths: Any,
                target_lengths: Any) -> Tensor:  # fmt: skip
        return ctc_loss(log_probs, targets, input_lengths, target_lengths, self.blank,
                        self.reduction, self.zero_infinity)  # fmt: skip
