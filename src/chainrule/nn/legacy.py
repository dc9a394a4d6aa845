"""PyTorch's legacy and deprecated layers, kept for old code: ``nn.NLLLoss2d`` (NLLLoss under
its old name), ``nn.Container`` (a Module built from keyword arguments) and
``nn.CrossMapLRN2d`` (the Lua Torch local response normalization across channels, with that
implementation's window quirks, which PyTorch keeps).

    >>> import warnings
    >>> import chainrule as cr
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     cr.nn.Container(act=cr.nn.ReLU())
    Container(
      (act): ReLU()
    )
"""

from __future__ import annotations

import warnings
from typing import Any

from chainrule import grad_mode
from chainrule._array import xp
from chainrule.autodiff.function import Function
from chainrule.nn.losses import NLLLoss
from chainrule.nn.module import Module
from chainrule.ops.linalg import einsum
from chainrule.tensor import Tensor, _make


class NLLLoss2d(NLLLoss):
    """``NLLLoss`` under its deprecated name (NLLLoss takes (N, C, H, W) inputs itself)."""

    def __init__(
        self,
        weight: Tensor | None = None,
        size_average: bool | None = None,
        ignore_index: int = -100,
        reduce: bool | None = None,
        reduction: str = "mean",
    ) -> None:
        warnings.warn(
            "`NLLLoss2d` has been deprecated. Please use `NLLLoss` instead as a drop-in "
            "replacement and see https://pytorch.org/docs/main/nn.html#torch.nn.NLLLoss for "
            "more details.",
            FutureWarning,
            stacklevel=2,
        )
        super().__init__(weight, size_average, ignore_index, reduce, reduction)


class Container(Module):
    """A Module whose children are its keyword arguments (deprecated: subclass Module)."""

    def __init__(self, **kwargs: Any) -> None:
        warnings.warn(
            "`nn.Container` is deprecated. All of its functionality is now implemented in "
            "`nn.Module`. Subclass that instead.",
            FutureWarning,
            stacklevel=2,
        )
        super().__init__()
        for key, value in kwargs.items():
            self.add_module(key, value)


def _forward_window(channels: int, size: int) -> Any:
    """Which channels' squares the Lua implementation sums into channel c's scale (row c):
    from c - pre + 1 to c + pre - 1, pre = (size - 1) // 2 + 1, but channel 0 always, as its
    running sum never subtracts it."""
    pre = int((size - 1) / 2 + 1)
    c, j = xp.ogrid[:channels, :channels]
    return ((j <= c + pre - 1) & ((j == 0) | (j >= c - pre + 1))).astype(xp.float64)


def _backward_window(channels: int, size: int) -> Any:
    """The window of its backward, which differs: entry (a, b) says whether channel a's
    ratio reaches channel b's gradient, for a from b - after to b + size - 1 - after,
    after = int(size - (size - 1) / 2)."""
    after = int(size - (size - 1) / 2)
    c, j = xp.ogrid[:channels, :channels]
    return ((c >= j - after) & (c <= j + size - 1 - after)).astype(xp.float64)


class _CrossMapLRN2d(Function):
    """PyTorch's ``CrossMapLRN2d`` function: its forward and its own backward (which is not
    the derivative of that forward: its window has no channel-0 quirk and is shifted), with
    its refusal of a gradient that is to be differentiated again."""

    @staticmethod
    def forward(ctx: Any, input: Tensor, size: int, alpha: float, beta: float, k: float) -> Tensor:  # noqa: A002
        channels = input.shape[1]
        window = _make(_forward_window(channels, size).astype(input.dtype.dtype))
        scale = einsum("cj,njhw->nchw", window, input * input) * (alpha / size) + k
        output = scale ** (-beta) * input
        ctx.save_for_backward(input, output, scale)
        ctx.settings = (size, alpha, beta)
        return output

    @staticmethod
    def backward(ctx: Any, grad_output: Tensor) -> tuple[Any, ...]:
        input, output, scale = ctx.saved_tensors  # noqa: A001
        size, alpha, beta = ctx.settings
        channels = input.shape[1]
        if size == 1:  # its padded ratios are too short for the centre it cuts
            raise RuntimeError(
                f"start (1) + length ({channels}) exceeds dimension size ({channels})."
            )
        if grad_mode.modes.enabled:  # create_graph: its out= operations cannot be recorded
            raise RuntimeError(
                "mul(): functions with out=... arguments don't support automatic "
                "differentiation, but one of the arguments requires grad."
            )
        window = _make(_backward_window(channels, size).astype(input.dtype.dtype))
        ratio = grad_output * output / scale
        reached = einsum("cj,nchw->njhw", window, ratio)
        grad = scale ** (-beta) * grad_output - input * reached * (2 * alpha * beta / size)
        return grad, None, None, None, None


class CrossMapLRN2d(Module):
    """Local response normalization across channels of (N, C, H, W) inputs:
    ``x / (k + alpha / size * sum of x^2 over nearby channels) ** beta``, PyTorch's legacy
    (Lua Torch) version, its values and gradients (see :class:`_CrossMapLRN2d`)."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1) -> None:
        super().__init__()
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        if input.ndim != 4:
            raise ValueError(f"CrossMapLRN2d: Expected input to be 4D, got {input.ndim}D instead.")
        return _CrossMapLRN2d.apply(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
