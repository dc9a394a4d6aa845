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

import math
import warnings
from collections.abc import Sequence
from typing import Any

from chainrule import grad_mode
from chainrule._array import xp
from chainrule.op import named
from chainrule.ops import elementwise, nn_ops, shape
from chainrule.ops.adaptive_pool import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
)
from chainrule.ops.attention import scaled_dot_product_attention
from chainrule.ops.conv import (
    avg_pool2d,
    conv1d,
    conv2d,
    conv_transpose1d,
    conv_transpose2d,
    max_pool2d,
    max_pool2d_with_indices,
)
from chainrule.ops.dropout import dropout_mask
from chainrule.ops.fold import fold, pixel_shuffle, pixel_unshuffle, unfold
from chainrule.ops.losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    check_reduction,
    check_same_shape,
    cross_entropy_of_indices,
    legacy_reduction,
    mse_loss,
    nll_loss,
)
from chainrule.ops.nn_ops import linear
from chainrule.ops.pooling import (
    avg_pool1d,
    max_pool1d,
    max_pool1d_with_indices,
    max_unpool1d,
    max_unpool2d,
)
from chainrule.ops.upsample import interpolate, upsample, upsample_bilinear, upsample_nearest
from chainrule.tensor import Tensor, _make

__all__ = [
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
    "avg_pool1d",
    "avg_pool2d",
    "batch_norm",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "conv1d",
    "conv2d",
    "conv_transpose1d",
    "conv_transpose2d",
    "cross_entropy",
    "dropout",
    "elu",
    "embedding",
    "fold",
    "gelu",
    "group_norm",
    "instance_norm",
    "interpolate",
    "l1_loss",
    "layer_norm",
    "leaky_relu",
    "linear",
    "local_response_norm",
    "log_softmax",
    "max_pool1d",
    "max_pool1d_with_indices",
    "max_pool2d",
    "max_pool2d_with_indices",
    "max_unpool1d",
    "max_unpool2d",
    "mse_loss",
    "nll_loss",
    "one_hot",
    "pad",
    "pixel_shuffle",
    "pixel_unshuffle",
    "relu",
    "rms_norm",
    "scaled_dot_product_attention",
    "sigmoid",
    "silu",
    "softmax",
    "softplus",
    "tanh",
    "unfold",
    "upsample",
    "upsample_bilinear",
    "upsample_nearest",
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
    return input * dropout_mask(input, p)


def _channel_shape(input: Tensor) -> tuple[int, ...]:
    """(1, C, 1, ...): per-channel statistics broadcast against (N, C, ...)."""
    return (1, input.shape[1]) + (1,) * (input.ndim - 2)


def _refuse_unbatched_running_stats(input: Tensor, *stats: Tensor) -> None:  # noqa: A002
    """torch.func's refusal to update running statistics in place from a batch under vmap
    that does not batch them: one value each could not hold every example's."""
    from chainrule.autodiff import batching

    batched_at = set(batching.unwrap(input)[1]) - set(batching.lifted)  # (jvp's: unbatched)
    if any(batched_at - set(batching.unwrap(stat)[1]) for stat in stats):
        raise RuntimeError(
            "Batch norm got a batched tensor as input while the running_mean or running_var, "
            "which will be updated in place, were not batched.\nIf you are using a module and "
            "do not need eval mode, please set `track_running_stats` to be False.If you are "
            "using a prebuilt module and do not need eval mode, please see the functorch "
            "website for resources on how to patch your module to work with vmap"
        )


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
            _refuse_unbatched_running_stats(input, running_mean, running_var)
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
    return _affine(out, weight, bias, view)


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
    dims = _last_dims(input, normalized)
    if dims is None:
        raise RuntimeError(
            f"layer_norm: normalized_shape {list(normalized)} does not match the last "
            f"dimensions of input of shape {tuple(input.shape)}"
        )
    out = _normalize(input, dims, eps)
    return _affine(out, weight, bias)


def _last_dims(input: Tensor, normalized: tuple[int, ...]) -> tuple[int, ...] | None:  # noqa: A002
    """The dimensions a layer or RMS norm of ``normalized`` shape reduces over, None where the
    input's last dimensions are not that shape."""
    if tuple(input.shape[input.ndim - len(normalized) :]) != normalized:
        return None
    return tuple(range(input.ndim - len(normalized), input.ndim))


def rms_norm(
    input: Tensor,  # noqa: A002
    normalized_shape: Sequence[int],
    weight: Tensor | None = None,
    eps: float | None = None,
) -> Tensor:
    """``x / sqrt(mean(x * x) + eps) * weight`` over the last ``len(normalized_shape)``
    dimensions, PyTorch's composite; ``eps`` defaults to the dtype's machine epsilon.

    >>> import chainrule as cr
    >>> rms_norm(cr.tensor([[3.0, 4.0]]), [2])
    tensor([[0.8485, 1.1314]])
    """
    if isinstance(normalized_shape, int):
        raise TypeError(
            "rms_norm(): argument 'normalized_shape' (position 2) must be tuple of ints, not int"
        )
    normalized = tuple(normalized_shape)
    dims = _last_dims(input, normalized)
    if dims is None:
        raise RuntimeError(
            f"Given normalized_shape={list(normalized)}, expected input with shape "
            f"[*{', '.join(map(str, normalized))}], but got input of size{list(input.shape)}"
        )
    if eps is None:
        eps = float(xp.finfo(input.dtype).eps)
    out = input * (input * input).mean(dims, keepdim=True).add(eps).rsqrt()
    return out if weight is None else out * weight


def _normalize(input: Tensor, dims: tuple[int, ...], eps: float) -> Tensor:  # noqa: A002
    """``(x - mean) / sqrt(var + eps)`` with the (biased) statistics over ``dims``."""
    mean = input.mean(dims, keepdim=True)
    centered = input - mean
    var = (centered * centered).mean(dims, keepdim=True)
    return centered * (var + eps).rsqrt()


def _affine(out: Tensor, weight: Tensor | None, bias: Tensor | None, view: Any = None) -> Tensor:
    """A normalization's scale and shift, ``out * weight + bias`` (each optional); ``view``
    reshapes them to broadcast over the channel dimension."""
    if weight is not None:
        out = out * (weight if view is None else weight.reshape(view))
    if bias is not None:
        out = out + (bias if view is None else bias.reshape(view))
    return out


def instance_norm(
    input: Tensor,  # noqa: A002
    running_mean: Tensor | None = None,
    running_var: Tensor | None = None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalize each sample's each channel over its spatial dimensions, then scale and shift
    per channel: PyTorch's batch normalization of the (1, N * C, ...) reshaped input. With
    running statistics, they move towards the batch's mean of the instances' (training), or
    replace them (``use_input_stats=False``).

    >>> import chainrule as cr
    >>> instance_norm(cr.tensor([[[1.0, 3.0], [0.0, 4.0]]]))
    tensor([[[-1.0000,  1.0000],
             [-1.0000,  1.0000]]])
    """
    if use_input_stats and math.prod(input.shape[2:]) <= 1:
        raise ValueError(
            f"Expected more than 1 spatial element when training, got input size {input.shape}"
        )
    n, c = input.shape[0], input.shape[1]
    flat = input.reshape(1, n * c, *input.shape[2:])
    stacked_mean = None if running_mean is None else running_mean.repeat(n)
    stacked_var = None if running_var is None else running_var.repeat(n)
    out = batch_norm(flat, stacked_mean, stacked_var, None, None, use_input_stats, momentum, eps)
    if use_input_stats and running_mean is not None and running_var is not None:
        with grad_mode.no_grad():  # the instances' moved statistics, averaged
            running_mean.copy_(stacked_mean.reshape(n, c).mean(0))
            running_var.copy_(stacked_var.reshape(n, c).mean(0))
    return _affine(out.reshape(input.shape), weight, bias, _channel_shape(input))


def local_response_norm(
    input: Tensor,  # noqa: A002
    size: int,
    alpha: float = 1e-4,
    beta: float = 0.75,
    k: float = 1.0,
) -> Tensor:
    """Each element divided by ``(k + alpha * mean of the squares of the size neighbouring
    channels) ** beta`` (AlexNet's normalization), PyTorch's composite: the squares padded
    along the channels and averaged by a pooling window of ``size`` channels.

    >>> import chainrule as cr
    >>> local_response_norm(cr.ones(1, 3, 1), 2, alpha=1.0, beta=1.0)  # the first: one neighbour
    tensor([[[0.6667],
             [0.5000],
             [0.5000]]])
    """
    if input.ndim < 3:
        raise ValueError(
            f"Expected 3D or higher dimensionality                          input (got "
            f"{input.ndim} dimensions)"
        )
    if input.numel() == 0:
        return input
    n, c = input.shape[0], input.shape[1]
    squares = (input * input).reshape(n, 1, c, -1)
    squares = pad(squares, (0, 0, size // 2, (size - 1) // 2))
    div = avg_pool2d(squares, (size, 1), stride=1).reshape(input.shape)
    return input / (div * alpha + k).pow(beta)


def group_norm(
    input: Tensor,  # noqa: A002
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalize each sample over groups of ``num_groups`` channels (dimension 1) and the
    remaining dimensions, then scale and shift per channel.

    >>> import chainrule as cr
    >>> group_norm(cr.arange(8.0).reshape(1, 4, 2), 2).reshape(-1)[:4]
    tensor([-1.3416, -0.4472,  0.4472,  1.3416])
    """
    if input.ndim < 2 or input.shape[1] % num_groups:
        raise RuntimeError(
            f"Expected number of channels in input to be divisible by num_groups, but got "
            f"input of shape {list(input.shape)} and num_groups={num_groups}"
        )
    grouped = input.reshape(input.shape[0], num_groups, -1)
    out = _normalize(grouped, (2,), eps).reshape(tuple(input.shape))
    view = _channel_shape(input)
    return _affine(out, weight, bias, view)


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
        return named(out, "EmbeddingBackward0")
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
        raise RuntimeError(
            f"one_hot is only applicable to index tensor of type LongTensor, got {tensor.dtype}"
        )
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
    """Pad the last dimensions: ``pad = (left, right, top, bottom, ...)``. ``mode`` is
    ``"constant"`` (with ``value``), ``"reflect"``, ``"replicate"`` or ``"circular"``; the
    last three pick existing elements, so their gradients add up where an element is reused.

    >>> import chainrule as cr
    >>> pad(cr.tensor([[1.0, 2.0, 3.0]]), (2, 1), mode="reflect")
    tensor([[3., 2., 1., 2., 3., 2.]])
    """
    if mode == "constant":
        return shape.pad(input, pad, mode, 0.0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(
            f"Unsupported padding mode: {mode}; expected 'constant', 'reflect', 'replicate' or "
            "'circular'"
        )
    if value:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise RuntimeError(
            f"pad: padding of length {len(pad)} does not fit a tensor of shape {tuple(input.shape)}"
        )
    if input.ndim - len(pad) // 2 not in (1, 2) or len(pad) > 6:
        # PyTorch's kernels pad 1 to 3 dimensions of a batched or unbatched input only.
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {input.ndim}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)"
        )
    out = input
    for i in range(len(pad) // 2):
        dim = input.ndim - 1 - i
        left, right = pad[2 * i], pad[2 * i + 1]
        if left < 0 or right < 0:
            raise NotImplementedError(f"pad: negative {mode} padding (cropping) is not supported")
        n = input.shape[dim]
        # PyTorch's limits: a reflection does not repeat the edge, a wrap goes round once.
        if mode == "reflect" and max(left, right) >= n:
            raise RuntimeError(
                f"Argument #{len(pad) + 2}: Padding size should be less than the corresponding "
                f"input dimension, but got: padding ({left}, {right}) at dimension {dim} of "
                f"input {list(input.shape)}"
            )
        if mode == "circular" and max(left, right) > n:
            raise RuntimeError("Padding value causes wrapping around more than once.")
        out = out[(slice(None),) * dim + (_pad_index(mode, left, right, n),)]
    return out


def _pad_index(mode: str, left: int, right: int, n: int) -> Any:
    """The source position of every padded position along one dimension of size ``n``."""
    positions = xp.arange(-left, n + right)
    if mode == "reflect":
        return xp.where(
            positions < 0, -positions, xp.where(positions >= n, 2 * (n - 1) - positions, positions)
        )
    if mode == "replicate":
        return xp.clip(positions, 0, n - 1)
    return positions % n


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
    if not isinstance(target, Tensor):
        target = _make(xp.asarray(target))
    if label_smoothing == 0.0 and not target.is_floating_point():
        return cross_entropy_of_indices(input, target, weight, ignore_index, reduction)
    class_dim = 0 if input.ndim == 1 else 1
    logp = nn_ops.log_softmax(input, class_dim)
    if target.is_floating_point():
        return _soft_cross_entropy(logp, target, weight, reduction, label_smoothing, class_dim)
    loss = nll_loss(logp, target, weight, ignore_index=ignore_index, reduction=reduction)
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
