"""Stateless layer functions and losses, as ``torch.nn.functional``: ``import ... as F``.

Most are composites of differentiable ops, so their gradients come from the ops' rules; the
fused ones (convolution, pooling, the log-likelihood) live in :mod:`chainrule.ops`.

    >>> import chainrule as cr
    >>> import chainrule.nn.functional as F
    >>> logits = cr.tensor([[2.0, 0.5, -1.0]], requires_grad=True)
    >>> loss = F.cross_entropy(logits, cr.tensor([0]))
    >>> round(loss.item(), 4)
    0.2413
    >>> loss.backward()
    >>> logits.grad                                  # softmax - one_hot
    tensor([[-0.2144,  0.1753,  0.0391]])
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

from chainrule import grad_mode, rng
from chainrule._array import xp
from chainrule.ops import elementwise, nn_ops, shape
from chainrule.ops.conv import avg_pool2d, conv2d, max_pool2d
from chainrule.ops.losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    check_reduction,
    check_same_shape,
    legacy_reduction,
    mse_loss,
    nll_loss,
)
from chainrule.ops.nn_ops import linear
from chainrule.tensor import Tensor, _make

__all__ = [
    "avg_pool2d",
    "batch_norm",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "conv2d",
    "cross_entropy",
    "dropout",
    "elu",
    "embedding",
    "gelu",
    "l1_loss",
    "layer_norm",
    "leaky_relu",
    "linear",
    "log_softmax",
    "max_pool2d",
    "mse_loss",
    "nll_loss",
    "one_hot",
    "pad",
    "relu",
    "sigmoid",
    "silu",
    "softmax",
    "softplus",
    "tanh",
]


# ----------------------------------------------------------------------------- layers
def dropout(
    input: Tensor,
    p: float = 0.5,
    training: bool = True,
    inplace: bool = False,  # noqa: A002
) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by 1 / (1 - p) (training
    only). ``inplace`` is accepted for PyTorch compatibility and computed out of place."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0
    # PyTorch's mask: bernoulli_(1 - p) on a tensor of the input's shape, one double each.
    keep = rng.uniform(tuple(input.shape), xp.float64) < 1.0 - p
    return input * (keep * xp.asarray(1.0 / (1.0 - p), dtype=input.dtype))


def _channel_shape(input: Tensor) -> tuple[int, ...]:
    """(1, C, 1, ...): per-channel statistics broadcast against (N, C, ...)."""
    return (1, input.shape[1]) + (1,) * (input.ndim - 2)


def batch_norm(
    input: Tensor,  # noqa: A002
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalize each channel (dimension 1) by its batch statistics (training) or by the
    running ones (evaluation), then scale and shift.

    In training the running statistics, if given, move towards the batch's by ``momentum``
    (the variance with Bessel's correction, as in PyTorch).
    """
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected at least 2-D input, got shape {tuple(input.shape)}")
    view = _channel_shape(input)
    if training:
        dims = (0, *range(2, input.ndim))
        count = input.numel() // input.shape[1]
        if count <= 1:
            raise ValueError(
                f"Expected more than 1 value per channel when training, got input size "
                f"{tuple(input.shape)}"
            )
        mean = input.mean(dims, keepdim=True)
        centered = input - mean
        var = (centered * centered).mean(dims, keepdim=True)
        if running_mean is not None and running_var is not None:
            with grad_mode.no_grad():
                batch_mean = mean.detach().reshape(-1)
                batch_var = var.detach().reshape(-1) * (count / (count - 1))
                running_mean.mul_(1 - momentum).add_(batch_mean * momentum)
                running_var.mul_(1 - momentum).add_(batch_var * momentum)
        out = centered * (var + eps).rsqrt()
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: evaluation needs running_mean and running_var")
        out = (input - running_mean.reshape(view)) * (running_var.reshape(view) + eps).rsqrt()
    if weight is not None:
        out = out * weight.reshape(view)
    if bias is not None:
        out = out + bias.reshape(view)
    return out


def layer_norm(
    input: Tensor,  # noqa: A002
    normalized_shape: Sequence[int] | int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalize over the last ``len(normalized_shape)`` dimensions of each sample."""
    normalized = (
        (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    )
    if tuple(input.shape[input.ndim - len(normalized) :]) != normalized:
        raise RuntimeError(
            f"layer_norm: normalized_shape {list(normalized)} does not match the last "
            f"dimensions of input of shape {tuple(input.shape)}"
        )
    dims = tuple(range(input.ndim - len(normalized), input.ndim))
    mean = input.mean(dims, keepdim=True)
    centered = input - mean
    var = (centered * centered).mean(dims, keepdim=True)
    out = centered * (var + eps).rsqrt()
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def embedding(
    input: Tensor,
    weight: Tensor,
    padding_idx: int | None = None,  # noqa: A002
) -> Tensor:
    """Rows of ``weight`` picked by the integer tensor ``input``; rows picked at
    ``padding_idx`` pass no gradient back."""
    if input.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be an integer tensor, got {input.dtype}")
    out = weight[input]
    if padding_idx is None:
        return out
    if padding_idx < 0:
        padding_idx += weight.shape[0]
    at_padding = (input._data == padding_idx)[..., None]
    return elementwise.where(at_padding, out.detach(), out)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 indicators: ``one_hot(t)[..., k] == (t == k)``.

    >>> import chainrule as cr
    >>> one_hot(cr.tensor([0, 2]), 3).tolist()
    [[1, 0, 0], [0, 0, 1]]
    """
    if tensor.dtype.kind not in "iu":
        raise TypeError(f"one_hot is only applicable to index tensor, got {tensor.dtype}")
    values = tensor._data
    if num_classes == -1:
        num_classes = int(values.max()) + 1 if values.size else 0
    if values.size and (values.min() < 0 or values.max() >= num_classes):
        raise RuntimeError(f"one_hot: class values must be in [0, {num_classes})")
    return _make((values[..., None] == xp.arange(num_classes)).astype(xp.int64))


def pad(
    input: Tensor,
    pad: Sequence[int],
    mode: str = "constant",
    value: float | None = None,  # noqa: A002
) -> Tensor:
    """Pad the last dimensions: ``pad = (left, right, top, bottom, ...)``."""
    return shape.pad(input, pad, mode, 0.0 if value is None else value)


# ----------------------------------------------------------------------------- activations
# ``inplace`` arguments are accepted for PyTorch compatibility; results are computed out of
# place (same values, one more buffer).
def relu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    return elementwise.relu(input)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:  # noqa: A002
    return elementwise.leaky_relu(input, negative_slope)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    return elementwise.elu(input, alpha)


def silu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    return elementwise.silu(input)


sigmoid = elementwise.sigmoid
tanh = elementwise.tanh
gelu = elementwise.gelu
softplus = elementwise.softplus


def _softmax_dim(ndim: int, name: str) -> int:
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
        "dim=X as an argument.",
        stacklevel=3,
    )
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:  # noqa: A002
    if dtype is not None:
        input = input.to(dtype)
    return nn_ops.softmax(input, _softmax_dim(input.ndim, "softmax") if dim is None else dim)


def log_softmax(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:  # noqa: A002
    if dtype is not None:
        input = input.to(dtype)
    if dim is None:
        dim = _softmax_dim(input.ndim, "log_softmax")
    return nn_ops.log_softmax(input, dim)


# ----------------------------------------------------------------------------- losses
def _reduce(loss: Tensor, reduction: str) -> Tensor:
    check_reduction(reduction)
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


def l1_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Absolute error ``|input - target|``, averaged (or summed) over all elements."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_same_shape(input, target, "l1_loss")
    return _reduce((input - target).abs(), reduction)


def cross_entropy(
    input: Tensor,  # noqa: A002
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    ignore_index: int = -100,
    reduce: bool | None = None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Softmax cross-entropy of logits ``input`` (N, C) (or (C,), or (N, C, d...)).

    ``target`` holds class indices (an integer tensor), or class probabilities of the
    input's shape. ``log_softmax`` then the log-likelihood, two fused ops, so large logits
    neither overflow nor lose precision. With ``label_smoothing`` = e the target puts
    1 - e on the class and e / C spread over all classes.
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
    class_dim = 0 if input.ndim == 1 else 1
    logp = nn_ops.log_softmax(input, class_dim)
    if not isinstance(target, Tensor):
        target = _make(xp.asarray(target))
    if target.is_floating_point():
        return _soft_cross_entropy(logp, target, weight, reduction, label_smoothing, class_dim)
    loss = nll_loss(logp, target, weight, ignore_index=ignore_index, reduction=reduction)
    if label_smoothing == 0.0:
        return loss
    # The smoothing term, -sum_c w_c logp_c / C per sample, shares the log-likelihood's
    # normalisation: PyTorch divides both by the total weight of the counted samples.
    n_classes = input.shape[class_dim]
    per_class = logp if weight is None else logp * _class_view(weight, input.ndim, class_dim)
    counted = target._data != ignore_index
    smooth = -(per_class.sum(class_dim) * counted)
    if reduction == "sum":
        smooth = smooth.sum()
    elif reduction == "mean":
        if weight is None:
            total = float(counted.sum())
        else:
            picked = weight.detach()._data[xp.where(counted, target._data, 0)]
            total = float((picked * counted).sum())
        # None counted: nan, with a zero gradient, as the log-likelihood's (see NllLoss).
        smooth = smooth.sum() / total if total else smooth.sum() * 0.0 + float("nan")
    return loss * (1 - label_smoothing) + smooth * (label_smoothing / n_classes)


def _class_view(weight: Tensor, ndim: int, class_dim: int) -> Tensor:
    """(C,) class weights shaped to broadcast along the class dimension."""
    return weight.reshape((-1,) + (1,) * (ndim - class_dim - 1))


def _soft_cross_entropy(
    logp: Tensor,
    target: Tensor,
    weight: Tensor | None,
    reduction: str,
    smoothing: float,
    class_dim: int,
) -> Tensor:
    """Cross-entropy against class probabilities; the mean is over samples."""
    check_same_shape(logp, target, "cross_entropy")
    if smoothing:
        target = target * (1 - smoothing) + smoothing / logp.shape[class_dim]
    per_class = logp * target
    if weight is not None:
        per_class = per_class * _class_view(weight, logp.ndim, class_dim)
    return _reduce(-per_class.sum(class_dim), reduction)
