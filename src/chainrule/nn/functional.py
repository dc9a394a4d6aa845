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
import numbers
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from chainrule import arguments, dtypes, factories, grad_mode, memory_formats
from chainrule._array import xp
from chainrule._tensor_input import tensor_argument
from chainrule.autodiff import batching, open_transforms
from chainrule.op import named
from chainrule.ops import activations, combinations, elementwise, nn_ops, pointwise, shape
from chainrule.ops import embedding as embedding_ops
from chainrule.ops import inplace as inplace_ops
from chainrule.ops.adaptive_pool import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_avg_pool3d,
    adaptive_max_pool1d,
    adaptive_max_pool1d_with_indices,
    adaptive_max_pool2d,
    adaptive_max_pool2d_with_indices,
    adaptive_max_pool3d,
    adaptive_max_pool3d_with_indices,
)
from chainrule.ops.attention import multi_head_attention_forward, scaled_dot_product_attention
from chainrule.ops.conv import (
    avg_pool2d,
    conv1d,
    conv2d,
    conv3d,
    conv_transpose1d,
    conv_transpose2d,
    conv_transpose3d,
    max_pool2d,
    max_pool2d_with_indices,
)
from chainrule.ops.distances import (
    RaisedTo,
    cosine_similarity,
    normalize,
    pairwise_distance,
    pdist,
)
from chainrule.ops.dropout import dropout_mask
from chainrule.ops.fold import fold, pixel_shuffle, pixel_unshuffle, rearranged, unfold
from chainrule.ops.indexing import guard_indices
from chainrule.ops.layer_norm import layer_norm_node
from chainrule.ops.losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    broadcast_target,
    check_reduction,
    cross_entropy_of_indices,
    huber_loss,
    legacy_reduction,
    mse_loss,
    nll_loss,
    smooth_l1_loss,
    weight_shape_error,
    weighted_errors,
)
from chainrule.ops.nn_ops import bilinear, linear
from chainrule.ops.pooling import (
    avg_pool1d,
    avg_pool3d,
    lp_pool1d,
    lp_pool2d,
    lp_pool3d,
    max_pool1d,
    max_pool1d_with_indices,
    max_pool3d,
    max_pool3d_with_indices,
    max_unpool1d,
    max_unpool2d,
    max_unpool3d,
)
from chainrule.ops.reads_input import reads_input
from chainrule.ops.sampling import affine_grid, grid_sample
from chainrule.ops.upsample import interpolate, upsample, upsample_bilinear, upsample_nearest
from chainrule.tensor import Tensor, _make

__all__ = [
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_avg_pool3d",
    "adaptive_max_pool1d",
    "adaptive_max_pool1d_with_indices",
    "adaptive_max_pool2d",
    "adaptive_max_pool2d_with_indices",
    "adaptive_max_pool3d",
    "adaptive_max_pool3d_with_indices",
    "affine_grid",
    "alpha_dropout",
    "avg_pool1d",
    "avg_pool2d",
    "avg_pool3d",
    "batch_norm",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "celu",
    "celu_",
    "channel_shuffle",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "cosine_embedding_loss",
    "cosine_similarity",
    "cross_entropy",
    "dropout",
    "dropout1d",
    "dropout2d",
    "dropout3d",
    "elu",
    "elu_",
    "embedding",
    "embedding_bag",
    "feature_alpha_dropout",
    "fold",
    "gaussian_nll_loss",
    "gelu",
    "glu",
    "grid_sample",
    "group_norm",
    "gumbel_softmax",
    "hardshrink",
    "hardsigmoid",
    "hardswish",
    "hardtanh",
    "hardtanh_",
    "hinge_embedding_loss",
    "huber_loss",
    "instance_norm",
    "interpolate",
    "kl_div",
    "l1_loss",
    "layer_norm",
    "leaky_relu",
    "leaky_relu_",
    "linear",
    "bilinear",
    "local_response_norm",
    "log_softmax",
    "lp_pool1d",
    "lp_pool2d",
    "lp_pool3d",
    "logsigmoid",
    "margin_ranking_loss",
    "max_pool1d",
    "max_pool1d_with_indices",
    "max_pool2d",
    "max_pool2d_with_indices",
    "max_pool3d",
    "max_pool3d_with_indices",
    "max_unpool1d",
    "max_unpool2d",
    "max_unpool3d",
    "mish",
    "mse_loss",
    "multi_head_attention_forward",
    "multi_margin_loss",
    "multilabel_margin_loss",
    "multilabel_soft_margin_loss",
    "nll_loss",
    "normalize",
    "one_hot",
    "pad",
    "pairwise_distance",
    "pdist",
    "pixel_shuffle",
    "pixel_unshuffle",
    "poisson_nll_loss",
    "prelu",
    "relu",
    "relu6",
    "relu_",
    "rms_norm",
    "rrelu",
    "rrelu_",
    "scaled_dot_product_attention",
    "selu",
    "selu_",
    "sigmoid",
    "silu",
    "smooth_l1_loss",
    "soft_margin_loss",
    "softmax",
    "softmin",
    "softplus",
    "softshrink",
    "softsign",
    "tanh",
    "tanhshrink",
    "threshold",
    "threshold_",
    "triplet_margin_loss",
    "triplet_margin_with_distance_loss",
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
    only); in place given ``inplace=True``, as PyTorch's.

    >>> import chainrule as cr
    >>> x = cr.ones(3)
    >>> dropout(x, 1.0, inplace=True) is x, x
    (True, tensor([0., 0., 0.]))
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    _train_flag(training, "dropout_" if inplace else "dropout")
    if not training or p == 0.0 or input.numel() == 0:
        return input
    if p == 1.0:
        return _maybe_in_place(input, inplace, _zeroed, "dropout_")
    return _maybe_in_place(input, inplace, lambda x: x * dropout_mask(x, p), "dropout_")


def _train_flag(training: Any, name: str) -> None:
    """PyTorch's check of ``training``, which its functional forms hand to ATen's ``name``
    as its third argument, ``train``: a tensor or ``1`` is refused, not read as true."""
    arguments.boolean(training, name, "train", 3)


def _zeroed(x: Tensor) -> Tensor:
    """``x`` times a zero of its own dtype, as ATen drops everything (``x * 0`` would make a
    bool ``x`` int64)."""
    return x * x.new_zeros(())


def _maybe_in_place(input: Tensor, inplace: bool, compute: Any, name: str) -> Tensor:  # noqa: A002
    """``compute(input)``, written into ``input`` given PyTorch's ``inplace=True`` (its
    version moves; a leaf that requires grad is refused)."""
    return _in_place(input, compute, name) if inplace else compute(input)


def _feature_dropout(
    input: Tensor,  # noqa: A002
    p: float,
    training: bool,
    unbatched: bool,
    inplace: bool = False,
) -> Tensor:
    """Zero each (sample, channel) map with probability ``p`` and scale the rest by
    1 / (1 - p): one draw per map (PyTorch's mask, shape (N, C, 1, ...), so a seed gives its
    maps), an ``unbatched`` input one sample. In place given ``inplace``, as :func:`dropout`."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    _train_flag(training, "feature_dropout_" if inplace else "feature_dropout")
    # PyTorch's order: only a draw of the mask needs the channels
    if not training or p == 0.0 or input.numel() == 0:
        return input
    if p == 1.0:
        return _maybe_in_place(input, inplace, _zeroed, "feature_dropout_")
    if input.ndim + unbatched < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")

    def dropped(x: Tensor) -> Tensor:
        batch = x.unsqueeze(0) if unbatched else x
        out = batch * dropout_mask(batch, p, feature=True)
        return out.squeeze(0) if unbatched else out

    return _maybe_in_place(input, inplace, dropped, "feature_dropout_")


def dropout1d(
    input: Tensor,
    p: float = 0.5,
    training: bool = True,
    inplace: bool = False,  # noqa: A002
) -> Tensor:
    """Zero whole channels of an (N, C, L) or (C, L) ``input``, each with probability ``p``,
    and scale the rest by 1 / (1 - p) (training only; in place given ``inplace``).

    >>> import chainrule as cr
    >>> dropout1d(cr.ones(2, 3), 0.5, training=False).shape
    chainrule.Size([2, 3])
    """
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D input. Note that "
            "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial "
            "dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D "
            "inputs)."
        )
    return _feature_dropout(input, p, training, input.ndim == 2, inplace)


def dropout2d(
    input: Tensor,
    p: float = 0.5,
    training: bool = True,
    inplace: bool = False,  # noqa: A002
) -> Tensor:
    """Zero whole channels of an (N, C, H, W) ``input``, each with probability ``p``, and
    scale the rest by 1 / (1 - p). As in PyTorch a 3-D input is (N, C, L), with a warning."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if input.ndim not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is deprecated and "
            "will result in an error in a future release. To retain the behavior and silence "
            "this warning, please use dropout instead. Note that dropout2d exists to provide "
            "channel-wise dropout on inputs with 2 spatial dimensions, a channel dimension, and "
            "an optional batch dimension (i.e. 3D or 4D inputs).",
            stacklevel=2,
        )
    if input.ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C is "
            "the channel dim. This behavior will change in a future release to interpret the "
            "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
            "channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2,
        )
    return _feature_dropout(input, p, training, False, inplace)


def dropout3d(
    input: Tensor,
    p: float = 0.5,
    training: bool = True,
    inplace: bool = False,  # noqa: A002
) -> Tensor:
    """Zero whole channels of an (N, C, D, H, W) or (C, D, H, W) ``input``, each with
    probability ``p``, and scale the rest by 1 / (1 - p)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if input.ndim not in (4, 5):
        warnings.warn(
            f"dropout3d: Received a {input.ndim}-D input to dropout3d, which is deprecated and "
            "will result in an error in a future release. To retain the behavior and silence "
            "this warning, please use dropout instead. Note that dropout3d exists to provide "
            "channel-wise dropout on inputs with 3 spatial dimensions, a channel dimension, and "
            "an optional batch dimension (i.e. 4D or 5D inputs).",
            stacklevel=2,
        )
    return _feature_dropout(input, p, training, input.ndim != 5, inplace)


# SELU's alpha, with which alpha dropout keeps a zero-mean, unit-variance input so
_SELU_ALPHA = 1.7580993408473766


def alpha_dropout(
    input: Tensor,  # noqa: A002
    p: float = 0.5,
    training: bool = False,
    inplace: bool = False,
) -> Tensor:
    """Dropout for SELU networks: each element is set, with probability ``p``, to SELU's
    negative saturation value, and the result scaled and shifted to keep the input's mean
    and variance (training only; in place given ``inplace``).

    >>> import chainrule as cr
    >>> alpha_dropout(cr.ones(3), 0.2)  # training=False: the input itself
    tensor([1., 1., 1.])
    """
    if _alpha_keeps_input(input, p, training, "alpha_dropout_" if inplace else "alpha_dropout"):
        return input  # PyTorch writes nothing, so a leaf is fine
    return _maybe_in_place(
        input, inplace, lambda x: _alpha_dropout(x, p, feature=False), "alpha_dropout_"
    )


def feature_alpha_dropout(
    input: Tensor,  # noqa: A002
    p: float = 0.5,
    training: bool = False,
    inplace: bool = False,
) -> Tensor:
    """:func:`alpha_dropout` of whole channels: one draw per sample and channel of (N, C, ...)
    input."""
    name = "feature_alpha_dropout_" if inplace else "feature_alpha_dropout"
    if _alpha_keeps_input(input, p, training, name):
        return input
    return _maybe_in_place(
        input,
        inplace,
        lambda x: _alpha_dropout(x, p, feature=True),
        "feature_alpha_dropout_",
    )


def _alpha_keeps_input(input: Tensor, p: float, training: bool, name: str) -> bool:  # noqa: A002
    """Whether alpha dropout returns ``input`` itself (a valid ``p`` of 0, evaluation, or an
    empty input); ``name``: the ATen function PyTorch hands ``training`` to."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    _train_flag(training, name)
    return p == 0.0 or not training or input.numel() == 0


def _alpha_dropout(input: Tensor, p: float, feature: bool) -> Tensor:  # noqa: A002
    """PyTorch's alpha dropout: ``input * (keep * a) + b`` with a 0/1 ``keep`` mask,
    ``a = 1 / sqrt((alpha**2 p + 1)(1 - p))`` and ``b = (keep - 1) alpha a + alpha a p``,
    in PyTorch's order of operations (the scalars applied in the input's dtype). The callers
    have returned ``input`` itself where :func:`_alpha_keeps_input` says so."""
    if p == 1.0:
        return _zeroed(input)
    if feature and input.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    keep = dropout_mask(input, p, scale=1.0, feature=feature)
    a = 1.0 / math.sqrt((_SELU_ALPHA * _SELU_ALPHA * p + 1) * (1 - p))
    shift = (keep - 1) * (_SELU_ALPHA * a) + _SELU_ALPHA * a * p
    return input * (keep * a) + shift


def channel_shuffle(input: Tensor, groups: int) -> Tensor:  # noqa: A002
    """The channels (dimension 1) of (N, C, ...) input regrouped: channel ``g * (C / groups)
    + k`` moves to ``k * groups + g`` (ShuffleNet's shuffle).

    >>> import chainrule as cr
    >>> channel_shuffle(cr.arange(6.0).reshape(1, 6, 1), 2).flatten()
    tensor([0., 3., 1., 4., 2., 5.])
    """
    if type(groups) is not int:  # PyTorch's parser: an int, not a bool (True was 1 group)
        groups = arguments.integer(groups, "channel_shuffle", "groups", 2)
    if input.ndim <= 2:
        raise RuntimeError(
            f"channel_shuffle expects input with > 2 dims, but got input with sizes "
            f"{list(input.shape)}"
        )
    if groups <= 0:
        raise RuntimeError(
            f"Number of groups to divide channels in must be positive. Value of groups:{groups}"
        )
    channels = input.shape[1]
    if channels % groups:
        raise RuntimeError(
            f"Number of channels must be divisible by groups. Got {channels} channels and "
            f"{groups} groups."
        )
    n, rest = input.shape[0], tuple(input.shape[2:])
    grouped = input.reshape(n, groups, channels // groups, *rest)
    shuffled = rearranged(grouped.transpose(1, 2), tuple(input.shape), input)  # always a copy
    return named(shuffled, "ChannelShuffleBackward0")


def gumbel_softmax(
    logits: Tensor,
    tau: float = 1,
    hard: bool = False,
    eps: float = 1e-10,
    dim: int = -1,
) -> Tensor:
    """A sample of the Gumbel-softmax distribution: ``softmax((logits + g) / tau)`` along
    ``dim`` with Gumbel noise ``g = -log(Exp(1))`` drawn as PyTorch draws it; with ``hard``,
    the one-hot of its largest entry, whose gradient is the soft sample's (straight through).

    >>> import chainrule as cr
    >>> _ = cr.manual_seed(0)
    >>> gumbel_softmax(cr.zeros(2, 3), hard=True).sum(-1)
    tensor([1., 1.])
    """
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    # drawn row-major whatever the logits' layout, as PyTorch's (legacy_contiguous_format)
    noise = factories.empty_like(logits, memory_format=memory_formats.contiguous_format)
    gumbels = -noise.exponential_().log()
    y_soft = softmax((logits + gumbels) / tau, dim)
    if not hard:
        return y_soft
    index = y_soft.max(dim, keepdim=True)[1]
    y_hard = factories.zeros_like(logits).scatter_(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft


def _channel_shape(input: Tensor) -> tuple[int, ...]:
    """(1, C, 1, ...): per-channel statistics broadcast against (N, C, ...)."""
    return (1, input.shape[1]) + (1,) * (input.ndim - 2)


def _refuse_unbatched_running_stats(input: Tensor, *stats: Tensor) -> None:  # noqa: A002
    """torch.func's refusal to update running statistics in place from a batch under vmap
    that does not batch them: one value each could not hold every example's."""
    from chainrule.autodiff import batching

    lifted = open_transforms.here.lifted  # (jvp's: unbatched)
    batched_at = set(batching.unwrap(input)[1]) - set(lifted)
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
    if type(training) is not bool:  # PyTorch passes it on by position; 1 was read as True
        arguments.boolean(training, "batch_norm", "training", 6)
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected at least 2-D input, got shape {tuple(input.shape)}")
    if training:
        _refuse_one_value_per_channel(input.shape)
    _check_batch_norm("batch_norm", input, running_mean, running_var, weight, bias, momentum)
    view = _channel_shape(input)
    if training:
        dims = (0, *range(2, input.ndim))
        count = input.numel() // input.shape[1]
        track = running_mean is not None and running_var is not None
        if track:
            _refuse_unbatched_running_stats(input, running_mean, running_var)

        def update_running(mean: Tensor, var: Tensor) -> None:
            # in the statistics' dtype (float32 for float16), stored once, as PyTorch's
            with grad_mode.no_grad():
                batch_var = var.reshape(-1) * (count / (count - 1))
                for running, batch in ((running_mean, mean.reshape(-1)), (running_var, batch_var)):
                    running.copy_(running.to(batch.dtype) * (1 - momentum) + batch * momentum)

        # PyTorch's kernel computes float16 in float32, the statistics, the scale and shift,
        # but keeps the mean and 1/std in the parameters' dtype: float16 unless they are float32
        given = [t for t in (weight, bias, running_mean) if t is not None]
        kept = given[0].dtype.dtype if given else input.dtype.dtype

        def normalized(x: Tensor, w: Tensor | None, b: Tensor | None) -> Tensor:
            observe = update_running if track else None
            return _affine(_normalize(x, dims, eps, observe, kept), w, b, view)

        out = combinations.fused(
            normalized, input, weight, bias, name="NativeBatchNormBackward0", mixed=True
        )
        return guard_indices(out, (input, weight))  # what PyTorch's one node saves
    if running_mean is None or running_var is None:
        which = "running_mean" if running_mean is None else "running_var"
        raise RuntimeError(f"{which} must be defined in evaluation mode")

    def by_running(
        x: Tensor, mean: Tensor, var: Tensor, w: Tensor | None, b: Tensor | None
    ) -> Tensor:
        x = reads_input(x, zeros=False)  # as PyTorch's batch norm backward, which reads it
        return _affine((x - mean.reshape(view)) * (var.reshape(view) + eps).rsqrt(), w, b, view)

    return combinations.fused(
        by_running,
        input,
        running_mean,
        running_var,
        weight,
        bias,
        name="NativeBatchNormBackward0",
        mixed=True,
    )


def _check_batch_norm(
    name: str,
    input: Tensor,  # noqa: A002
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None,
    bias: Tensor | None,
    momentum: Any,
) -> None:
    """PyTorch's checks of a batch norm's arguments, in its order: ``momentum`` a number, each
    given tensor one value per channel, the dtypes, the running statistics 1-D."""
    if not isinstance(momentum, numbers.Real):
        raise arguments.mistyped(name, "momentum", 7, "float", momentum)
    channels = input.shape[1]
    given = {"running_mean": running_mean, "running_var": running_var, "weight": weight}
    for label, t in {**given, "bias": bias}.items():
        if t is not None and t.numel() != channels:
            raise RuntimeError(f"{label} should contain {channels} elements not {t.numel()}")
    if not input.dtype.is_floating_point:  # before the dtypes of the rest, unlike layer_norm's
        raise dtypes.not_implemented_for("batch_norm", input.dtype)
    _check_norm_dtypes(input, "batch_norm", weight, bias, running_mean, running_var)
    for t in (running_mean, running_var):
        if t is not None and t.ndim != 1:
            raise RuntimeError(f"TensorAccessor expected 1 dims but tensor has {t.ndim}")


def _check_norm_dtypes(input: Tensor, kernel: str, *params: Tensor | None) -> None:  # noqa: A002
    """PyTorch's dtype rules of a normalization's CPU kernel ``kernel``, where NumPy would
    promote: the parameters (weight, bias, running statistics) in the input's dtype, or all
    float32 beside a float16 input (its "mixed" kernels); floating inputs only."""
    given = [p for p in params if p is not None]
    dtype = input.dtype
    if given and given[0].dtype != dtype:
        if any(p.dtype != dtypes.float32 for p in given):
            raise RuntimeError("mixed dtype (CPU): expect parameter to have scalar type of Float")
        if dtype != dtypes.float16:
            raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")
        return
    if not dtype.is_floating_point:
        raise dtypes.not_implemented_for(kernel, dtype)
    for p in given:
        if p.dtype != dtype:
            raise nn_ops.unexpected_dtype(dtype, p.dtype)


def _check_normalized_shape(
    normalized: tuple[int, ...],
    input: Tensor,
    **params: Tensor | None,  # noqa: A002
) -> tuple[int, ...]:
    """The dimensions a layer or RMS norm of ``normalized`` shape reduces over, after
    PyTorch's checks: each given parameter of that shape, the input's last dimensions too."""
    if not normalized:  # else a mean over no dimensions: every value its own normalization
        raise RuntimeError(
            "Expected normalized_shape to be at least 1-dimensional, i.e., containing at least "
            "one element, but got normalized_shape = []"
        )
    for label, t in params.items():
        if t is not None and tuple(t.shape) != normalized:
            raise RuntimeError(
                f"Expected {label} to be of same shape as normalized_shape, but got {label} of "
                f"shape {list(t.shape)} and normalized_shape = {list(normalized)}"
            )
    if tuple(input.shape[input.ndim - len(normalized) :]) != normalized:
        raise RuntimeError(
            f"Given normalized_shape={list(normalized)}, expected input with shape "
            f"[{', '.join(['*', *map(str, normalized)])}], but got input of size"
            f"{list(input.shape)}"
        )
    return tuple(range(input.ndim - len(normalized), input.ndim))


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
    dims = _check_normalized_shape(normalized, input, weight=weight, bias=bias)
    _check_norm_dtypes(input, "LayerNormKernelImpl", weight, bias)
    input = input.contiguous()  # noqa: A001 (PyTorch's kernel's, so its result is row-major)
    if _one_layer_norm_node(input, weight, bias):  # (it guards what PyTorch's node saves)
        return layer_norm_node(input, weight, bias, len(dims), eps)
    # Each op with its own rules: under vmap and forward mode, and for float16, where
    # PyTorch's kernel normalizes, scales and shifts in float32 (and rounds once).
    out = combinations.fused(
        lambda x, w, b: _affine(_normalize(x, dims, eps), w, b),
        input,
        weight,
        bias,
        name="NativeLayerNormBackward0",
        mixed=True,
    )
    return guard_indices(out, (input, weight, bias))  # what PyTorch's one node saves


def _one_layer_norm_node(input: Tensor, weight: Tensor | None, bias: Tensor | None) -> bool:  # noqa: A002
    """Whether layer_norm records one :class:`~chainrule.ops.layer_norm.LayerNorm` node: a
    float32 or float64 input with a weight and bias of its dtype (or none, or a weight
    alone), outside vmap and forward mode (whose rules the composite's ops have)."""
    if open_transforms.here.vmap or open_transforms.here.dual or not input._data.size:
        return False
    dtype = input._data.dtype
    if dtype not in dtypes.SINGLE_AND_DOUBLE or (weight is None and bias is not None):
        return False
    return all(t is None or t._data.dtype is dtype for t in (weight, bias))


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
    dims = _check_normalized_shape(tuple(normalized_shape), input, weight=weight)
    if not input.dtype.is_floating_point:
        raise dtypes.not_implemented_for("rms_norm", input.dtype)
    if eps is None:
        eps = float(xp.finfo(input.dtype).eps)
    input = input.contiguous()  # noqa: A001 (so its result is row-major, as PyTorch's)
    out = combinations.fused(lambda x: x * (x * x).mean(dims, keepdim=True).add(eps).rsqrt(), input)
    if weight is None:
        return out
    # PyTorch's composite gives the input's dtype whatever the weight's
    return (out * weight).to(input.dtype)


def _normalize(
    input: Tensor,  # noqa: A002
    dims: tuple[int, ...],
    eps: float,
    observe: Callable[[Tensor, Tensor], None] | None = None,
    kept: Any = None,
) -> Tensor:
    """``(x - mean) / sqrt(var + eps)`` with the (biased) statistics over ``dims``, handed to
    ``observe`` where given (batch norm's running statistics); float16 in float32, as
    PyTorch's kernels (a square past 65504 would overflow). With ``kept`` float16, the mean
    and 1/std are rounded to it before use, as PyTorch's batch norm keeps them."""

    def normalized(x: Tensor) -> Tensor:
        mean = x.mean(dims, keepdim=True)
        centered = x - mean
        var = (centered * centered).mean(dims, keepdim=True)
        if observe is not None:
            observe(mean, var)
        scale = (var + eps).rsqrt()
        if kept is dtypes.HALF and x.dtype.dtype is not dtypes.HALF:
            # the values rounded, the gradients not: PyTorch's backward kernel reads the kept
            # values in float32 (a gradient through a float16 cast would round where it cancels)
            mean = mean + (mean.half().float() - mean).detach()
            scale = scale + (scale.half().float() - scale).detach()
            centered = x - mean
        return centered * scale

    return combinations.fused(normalized, input)


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
    if type(use_input_stats) is not bool:  # passed on by position
        arguments.boolean(use_input_stats, "instance_norm", "use_input_stats", 6)
    if use_input_stats and math.prod(input.shape[2:]) <= 1:
        raise ValueError(
            f"Expected more than 1 spatial element when training, got input size {input.shape}"
        )
    if not isinstance(momentum, numbers.Real):
        raise arguments.mistyped("instance_norm", "momentum", 7, "float", momentum)
    n, c = input.shape[0], input.shape[1]
    flat = input.reshape(1, n * c, *input.shape[2:])
    # Every per-channel tensor repeated per instance, as PyTorch's (so its checks and
    # messages are batch_norm's, of the repeated sizes); the running statistics in the
    # input's dtype, which PyTorch's instance_norm accepts in float64 beside float32, or in
    # float32 beside a float16 input and a float32 weight (batch norm's mixed kernel)
    kept = input.dtype
    affine_dtypes = [t.dtype for t in (weight, bias) if t is not None]
    if kept == dtypes.float16 and dtypes.float32 in affine_dtypes:
        kept = dtypes.float32
    stacked = [None if t is None else t.repeat(n).to(kept) for t in (running_mean, running_var)]
    affine = [None if t is None else t.repeat(n) for t in (weight, bias)]
    out = batch_norm(flat, *stacked, *affine, use_input_stats, momentum, eps)
    if use_input_stats and running_mean is not None and running_var is not None:
        with grad_mode.no_grad():  # the instances' moved statistics, averaged
            running_mean.copy_(stacked[0].reshape(n, c).mean(0))
            running_var.copy_(stacked[1].reshape(n, c).mean(0))
    return out.reshape(input.shape)


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
    if input.ndim > 3:  # PyTorch pools those by avg_pool3d, which has no float16 kernel
        dtypes.refuse_half(input.dtype, "avg_pool3d_out_frame")
    n, c = input.shape[0], input.shape[1]
    squares = (input * input).reshape(n, 1, c, -1)
    squares = pad(squares, (0, 0, size // 2, (size - 1) // 2))
    div = avg_pool2d(squares, (size, 1), stride=1).reshape(input.shape)
    return input / (div * alpha + k).pow(beta)


def _refuse_one_value_per_channel(size: Any) -> None:
    """PyTorch's check that a normalization in training sees more than one value per channel
    (the batch times the spatial sizes), its message printing ``size`` as given."""
    if size[0] * math.prod(size[2:]) == 1:
        raise ValueError(
            f"Expected more than 1 value per channel when training, got input size {size}"
        )


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
    # a bool is refused, as PyTorch's (True was read as 1)
    num_groups = arguments.integer(num_groups, "group_norm", "num_groups", 2)
    if input.ndim < 2:
        raise RuntimeError(
            f"Expected at least 2 dimensions for input tensor but received {input.ndim}"
        )
    _refuse_one_value_per_channel(
        [input.shape[0] * input.shape[1] // num_groups, num_groups, *input.shape[2:]]
    )
    if input.shape[1] % num_groups:
        raise RuntimeError(
            f"Expected number of channels in input to be divisible by num_groups, but got "
            f"input of shape {list(input.shape)} and num_groups={num_groups}"
        )
    for label, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t.ndim != 1 or t.numel() != input.shape[1]):
            # PyTorch prints the weight's shape for either, an absent weight's as [0]
            shown = [0] if weight is None else list(weight.shape)
            raise RuntimeError(
                f"Expected {label} to be a vector of size equal to the number of channels in "
                f"input, but got {label} of shape {shown} and input of shape {list(input.shape)}"
            )
    _check_norm_dtypes(input, "GroupNormKernelImpl", weight, bias)
    grouped = (input.shape[0], num_groups, -1)
    view = _channel_shape(input)

    def normalized(x: Tensor, w: Tensor | None, b: Tensor | None) -> Tensor:
        out = _normalize(x.reshape(grouped), (2,), eps).reshape(tuple(input.shape))
        return _affine(out, w, b, view)

    out = combinations.fused(
        normalized, input, weight, bias, name="NativeGroupNormBackward0", mixed=True
    )
    return guard_indices(out, (input, weight))  # what PyTorch's one node saves


def embedding(
    input: Tensor,  # noqa: A002
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """Rows of ``weight`` picked by the integer tensor ``input``; rows picked at
    ``padding_idx`` pass no gradient back. With ``max_norm``, each picked row whose
    ``norm_type``-norm exceeds it is first scaled down to that norm *in* ``weight``, in place
    and without gradient, as PyTorch does. With ``scale_grad_by_freq``, the gradient a row
    gets is divided by the number of times ``input`` picks it (in the backward pass only:
    forward mode gives the plain lookup of the tangent, as PyTorch's).

    >>> import chainrule as cr
    >>> weight = cr.tensor([[3.0, 4.0], [0.3, 0.4]])
    >>> embedding(cr.tensor([0, 1]), weight, max_norm=1.0)
    tensor([[0.6000, 0.8000],
            [0.3000, 0.4000]])
    >>> weight[0]
    tensor([0.6000, 0.8000])
    >>> weight.requires_grad_()
    tensor([[0.6000, 0.8000],
            [0.3000, 0.4000]], requires_grad=True)
    >>> embedding(cr.tensor([1, 1, 1]), weight, scale_grad_by_freq=True).sum().backward()
    >>> weight.grad
    tensor([[0., 0.],
            [1., 1.]])
    """
    if type(scale_grad_by_freq) is not bool or type(sparse) is not bool:  # by position
        arguments.boolean(scale_grad_by_freq, "embedding", "scale_grad_by_freq", 4)
        arguments.boolean(sparse, "embedding", "sparse", 5)
    _check_index_type(input, "indices", "embedding")
    if weight.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    _refuse_sparse(sparse)
    indices = batching.physical(input)  # under vmap, every example's
    if type(input) is batching.BatchedTensor and max_norm is not None:
        # each example renormalises the rows it picks, in place in the one table
        raise batching.NotBatchable("vmap: embedding's max_norm over batched indices")
    if indices.size and (indices.min() < 0 or indices.max() >= weight.shape[0]):
        # (NumPy would read a negative index from the end: a row the caller never meant)
        raise IndexError("index out of range in self")
    if padding_idx is not None:
        padding_idx = _padding_row(padding_idx, weight.shape[0])
    if max_norm is not None:
        _renorm_rows(weight, input, max_norm, norm_type)
    if padding_idx is None and not scale_grad_by_freq:
        return named(weight[input], "EmbeddingBackward0")
    return embedding_ops.lookup(weight, input, padding_idx, scale_grad_by_freq)


def _padding_row(padding_idx: int, rows: int, name: str = "Padding_idx") -> int:
    """``padding_idx`` as a row of a table of ``rows`` (from the end if negative), checked
    as PyTorch checks it (``name`` starts its message: EmbeddingBag's is lower case)."""
    if not -rows <= padding_idx < max(rows, 1):
        raise AssertionError(f"{name} must be within num_embeddings")
    return padding_idx % rows if rows else padding_idx


def _check_index_type(indices: Tensor, argument: str, op: str) -> None:
    """PyTorch's check that an embedding's indices (or offsets) are int64 or int32."""
    if indices.dtype not in (xp.int32, xp.int64):
        raise RuntimeError(
            f"Expected tensor for argument #1 '{argument}' to have one of the following scalar "
            f"types: Long, Int; but got {dtypes.checked_type_name(indices.dtype)} instead "
            f"(while checking arguments for {op})"
        )


def _refuse_sparse(sparse: bool) -> None:
    """PyTorch's sparse gradient of an embedding table: chainrule has no sparse tensors."""
    if sparse:
        raise NotImplementedError("embedding: sparse=True is not supported")


def _renorm_rows(weight: Tensor, input: Tensor, max_norm: float, norm_type: float) -> None:  # noqa: A002
    """PyTorch's ``embedding_renorm_``: every row of ``weight`` that ``input`` picks, with a
    ``norm_type``-norm above ``max_norm``, multiplied in place (under no_grad, one write, as
    PyTorch's one in-place call) by ``max_norm / (norm + 1e-7)``, computed in float64 from the
    norm and applied in ``weight``'s dtype, as PyTorch's double scale on a row."""
    rows = _make(xp.unique(input._data))
    with grad_mode.no_grad():
        picked = weight[rows]
        norms = picked.norm(norm_type, 1)._data.astype(xp.float64)
        scale = xp.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
        weight[rows] = picked * _make(scale.astype(weight._data.dtype)[:, None])


def embedding_bag(
    input: Tensor,  # noqa: A002
    weight: Tensor,
    offsets: Tensor | None = None,
    max_norm: float | None = None,
    norm_type: float = 2,
    scale_grad_by_freq: bool = False,
    mode: str = "mean",
    sparse: bool = False,
    per_sample_weights: Tensor | None = None,
    include_last_offset: bool = False,
    padding_idx: int | None = None,
) -> Tensor:
    """The sums, means or maxima of bags of ``weight``'s rows: a 2-D ``input`` holds one bag
    per row; a 1-D one is cut into bags where ``offsets`` start them (with
    ``include_last_offset`` its last entry ends the last bag). Entries equal to
    ``padding_idx`` are left out (of the count of a mean, too); an empty bag gives zeros.
    ``per_sample_weights`` (``mode='sum'`` only) scale each row first. With
    ``scale_grad_by_freq`` (not for ``mode='max'``), the gradient each entry sends to its row
    is divided by the row's count in the whole ``input``: the documented rule, which
    PyTorch's GPU kernels follow; its CPU kernel (2.13) divides by another index's count where
    a repeated index sorts before one seen fewer times (pytorch/pytorch#190063).

    >>> import chainrule as cr
    >>> weight = cr.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    >>> embedding_bag(cr.tensor([0, 2, 1]), weight, cr.tensor([0, 2]), mode="sum")
    tensor([[6., 8.],
            [3., 4.]])
    """
    if not (type(scale_grad_by_freq) is type(sparse) is type(include_last_offset) is bool):
        # PyTorch passes them on by position
        arguments.boolean(scale_grad_by_freq, "embedding_bag", "scale_grad_by_freq", 4)
        arguments.boolean(sparse, "embedding_bag", "sparse", 6)
        arguments.boolean(include_last_offset, "embedding_bag", "include_last_offset", 8)
    include_last_offset &= input.ndim == 1  # a 2-D input's bags are its rows, as PyTorch's
    ids, bounds, per_sample_weights, levels = _bags_checked(
        input, weight, offsets, per_sample_weights, include_last_offset, scale_grad_by_freq, mode
    )
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    _refuse_sparse(sparse)
    if max_norm is not None:
        _renorm_rows(weight, input, max_norm, norm_type)
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(
            "embedding_bag: per_sample_weights was not None. per_sample_weights is only "
            f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
            "GitHub."
        )
    if padding_idx is not None:
        rows = weight.shape[0]
        if not -rows <= padding_idx < rows:
            raise RuntimeError(
                "padding_idx must be within the number of embeddings, "
                f"-{rows} through {rows - 1}, but got {padding_idx}"
            )
        padding_idx %= rows
    # The bags side by side, (B, longest bag): entry j of bag b is input[starts[b] + j], kept
    # where j is inside the bag and the index is not padding_idx. Under vmap every example's
    # (the levels' dims lead ids and bounds), then seen batched as one example's.
    lead, length = ids.shape[:-1], ids.shape[-1]
    if not include_last_offset:  # the last bag ends at the input's end
        bounds = xp.concatenate([bounds, xp.full((*lead, 1), length, dtype=bounds.dtype)], -1)
    starts, ends = bounds[..., :-1], bounds[..., 1:]
    lengths = xp.maximum(ends - starts, 0)
    places = starts[..., None] + xp.arange(int(lengths.max(initial=0)))
    inside = places < ends[..., None]
    places = xp.where(inside, places, 0)
    picked = xp.take_along_axis(ids, places.reshape((*lead, -1)), -1) if length else places
    indices = xp.where(inside, picked.reshape(places.shape), 0)
    kept = inside if padding_idx is None else inside & (indices != padding_idx)

    def seen(array: Any) -> Tensor:  # one example's array, batched as the input
        return batching.wrap(_make(array), levels)

    if scale_grad_by_freq:  # each row's count in the whole input, not in its bag
        rows = embedding_ops.lookup(weight, seen(indices), None, True, among=ids)
    else:
        rows = weight[seen(indices)]  # (B, longest, D)
    kept_rows = seen(kept[..., None])
    if mode == "max":
        # Maxima as max(dim)'s: the gradient goes to one row per feature, the first maximum,
        # as PyTorch's; an empty bag gives 0.
        filled = elementwise.where(kept_rows, rows, float("-inf"))
        out = filled.max(1).values if rows.shape[1] else filled.sum(1)
        return named(
            elementwise.where(seen(kept.any(-1)[..., None]), out, 0.0), "EmbeddingBagBackward0"
        )
    rows = elementwise.where(kept_rows, rows, 0.0)
    if per_sample_weights is not None:
        # (the mask through an op: a second array on kept's memory would stop cr.compile)
        scales = elementwise.where(kept_rows.squeeze(-1), per_sample_weights[seen(places)], 0.0)
        # float16 scaled and summed in float32, rounded once, as PyTorch's kernel
        out = combinations.fused(lambda r, w: (r * w[..., None]).sum(1), rows, scales)
    else:
        out = rows.sum(1)  # in each bag's order, as PyTorch adds its rows
    if mode == "mean":
        counts = xp.maximum(kept.sum(-1), 1).astype(xp.dtype(weight.dtype.name))
        out = out / seen(counts[..., None])
    return named(out, "EmbeddingBagBackward0")


def _bags_checked(
    input: Tensor,  # noqa: A002
    weight: Tensor,
    offsets: Tensor | None,
    per_sample_weights: Tensor | None,
    include_last_offset: bool,
    scale_grad_by_freq: bool,
    mode: str,
) -> tuple[Any, Any, Tensor | None, list[Any]]:
    """embedding_bag's arguments checked as PyTorch checks them (its errors, in its order):
    ``(ids, bounds, per_sample_weights, levels)``, the indices and the offsets as arrays of
    one dim, a 2-D input flattened with one bag per row. Under vmap, ``levels`` are those
    that batch the input or the offsets, whose dims lead both arrays: each example is
    checked, in one example's words."""
    if per_sample_weights is not None and input.shape != per_sample_weights.shape:
        raise ValueError(
            f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is not None, "
            f"then it must have the same shape as the input ({input.shape})"
        )
    if weight.ndim != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.ndim}")
    if input.ndim == 2:
        if offsets is not None:
            found = "<class 'chainrule.Tensor'>" if isinstance(offsets, Tensor) else type(offsets)
            raise ValueError(
                "if input is 2D, then offsets has to be None, as input is treated is a mini-batch "
                f"of fixed length sequences. However, found offsets of type {found}"
            )
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif input.ndim == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.ndim != 1:
            raise ValueError("offsets has to be a 1D Tensor")
    else:
        raise ValueError(
            f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.ndim}"
        )
    if scale_grad_by_freq and mode == "max":
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    for name, tensor in (("indices", input), ("offsets", offsets)):
        if tensor is not None:  # (a 2-D input's: its rows')
            _check_index_type(tensor, name, "embedding_bag")
    if per_sample_weights is not None and per_sample_weights.dtype != weight.dtype:
        raise RuntimeError(
            "Expected tensor for argument #1 'weight' to have the same type as tensor for "
            f"argument #1 'per_sample_weights'; but type {dtypes.checked_type_name(weight.dtype)}"
            f" does not equal {dtypes.checked_type_name(per_sample_weights.dtype)} (while "
            "checking arguments for embedding_bag)"
        )
    levels = batching.levels_of((input, offsets))
    ids, _ = batching.lift_array(*batching.array_and_levels(input), levels)
    lead = ids.shape[: len(levels)]
    if input.ndim == 2:  # indices: no op, no gradient
        bags, width = ids.shape[-2:]
        if not width:  # PyTorch's offsets, arange(0, numel, width), then fail
            raise RuntimeError("step must be nonzero")
        ids = ids.reshape((*lead, bags * width))
        bounds = xp.broadcast_to(xp.arange(bags, dtype=xp.int64) * width, (*lead, bags))
    else:
        bounds, _ = batching.lift_array(*batching.array_and_levels(offsets), levels)
    length = ids.shape[-1]
    if bounds.shape[-1]:
        first, last = bounds[..., 0], bounds[..., -1]
        if (first != 0).any():
            raise RuntimeError(
                "offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start "
                f"from position 0. However, got {int(first[first != 0][0])}"
            )
        if (last > length).any():
            raise RuntimeError(
                f"offsets[-1] can not be greater than input's length {length} but got "
                f"offsets[-1] of {int(last[last > length][0])}"
            )
        decreasing = (xp.diff(bounds, axis=-1) < 0).any(-1)
        if decreasing.any():
            raise RuntimeError(
                f"embedding_bag: offsets must not decrease, got {bounds[decreasing][0].tolist()}"
            )
        if include_last_offset and (last != length).any():
            # PyTorch's kernels read a last bag short of the input's end each their own way
            # (uninitialised gradients in one): a mistake, refused rather than read one way
            raise RuntimeError(
                "embedding_bag: with include_last_offset=True the last offset ends the last "
                f"bag, so it must equal the input's length {length}, but got "
                f"{int(last[last != length][0])}"
            )
    # one row per example, counted (a -1 would be ambiguous for an empty input)
    examples = ids.reshape((math.prod(lead), length))
    outside = (examples < 0) | (examples >= weight.shape[0])
    if outside.any():  # (PyTorch's words on float32 tables; others reach other kernels)
        example = int(xp.argmax(outside.any(-1)))
        at = int(xp.argmax(outside[example]))
        raise RuntimeError(
            f"Index {at} of input takes value {int(examples[example, at])} "
            f"which is not in the valid range [0, {weight.shape[0]})"
        )
    return ids, bounds, per_sample_weights, levels


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 indicators: ``one_hot(t)[..., k] == (t == k)``.

    >>> import chainrule as cr
    >>> one_hot(cr.tensor([0, 2]), 3).tolist()
    [[1, 0, 0], [0, 0, 1]]
    """
    if tensor.dtype != xp.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    values, levels = batching.array_and_levels(tensor)  # under vmap, every example's
    if levels and num_classes < 1:  # its shape would depend on each example's values
        raise RuntimeError(
            "When vmap-ing torch.nn.functional.one_hot, please provide an explicit positive "
            "num_classes argument."
        )
    if not values.size:
        if num_classes <= 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
    elif values.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    elif num_classes == -1:
        num_classes = int(values.max()) + 1
    elif values.max() >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    return batching.wrap(
        _make((values[..., None] == xp.arange(num_classes)).astype(xp.int64)), levels
    )


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
    # PyTorch's op reads ``pad`` as a list of ints: (True, 1) or (1.0, 1) is refused
    pad = arguments.int_window(pad, 0, "pad", "pad", 2)
    if type(mode) is not str:
        raise arguments.mistyped("pad", "mode", 3, "str", mode)
    if value is not None and type(value) is not float:  # a float?: a real number, no complex
        value = arguments.number(value, "pad", "value", 4, "float")
        if isinstance(value, complex):
            raise arguments.mistyped("pad", "value", 4, "float", value)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if mode == "constant":
        return shape.pad(input, pad, mode, 0.0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
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
    for i in range(len(pad) // 2 if mode == "reflect" else 0):
        # PyTorch's kernels check that a reflection does not repeat the edge first (width,
        # height, depth: arguments #4, #6, #8), before the size padded
        n, left, right = input.shape[input.ndim - 1 - i], pad[2 * i], pad[2 * i + 1]
        if max(left, right) >= n:
            raise RuntimeError(
                f"Argument #{4 + 2 * i}: Padding size should be less than the corresponding "
                f"input dimension, but got: padding ({left}, {right}) at dimension "
                f"{input.ndim - 1 - i} of input {list(input.shape)}"
            )
    _refuse_negative_padded_size(input, pad, mode)
    # PyTorch's reflect and replicate backward kernels read the input (circular's is a copy)
    out = input if mode == "circular" else reads_input(input)
    for i in range(len(pad) // 2):
        dim = input.ndim - 1 - i
        left, right = pad[2 * i], pad[2 * i + 1]
        n = input.shape[dim]
        if mode == "circular" and min(left, right) < 0:
            if n + left + right == 0:  # PyTorch's result is empty, whatever the crop
                out = out[(slice(None),) * dim + (slice(0, 0),)]
                continue
            # PyTorch wraps round what is left after cropping: crop first, then pad.
            out = out[(slice(None),) * dim + (slice(-min(left, 0), n - max(-right, 0)),)]
            n, left, right = out.shape[dim], max(left, 0), max(right, 0)
            if n == 0 and left + right:
                raise RuntimeError("Padding value causes wrapping around more than once.")
        out = out[(slice(None),) * dim + (_pad_index(mode, left, right, n),)]
    if mode == "circular":  # (PyTorch's is a copy into slices: CopySlices)
        return out
    kind = "Reflection" if mode == "reflect" else "Replication"
    return named(out, f"{kind}Pad{len(pad) // 2}DBackward0")  # PyTorch's one kernel's name


def _refuse_negative_padded_size(input: Tensor, pad: Sequence[int], mode: str) -> None:  # noqa: A002
    """PyTorch's refusals of padding that crops too much: a wrap below nothing, a reflection
    or replication to nothing in every padded dimension, or below nothing in one."""
    dims = len(pad) // 2
    sizes = [input.shape[-1 - i] + pad[2 * i] + pad[2 * i + 1] for i in range(dims)][::-1]
    if mode == "circular":
        # PyTorch's order: dimension by dimension from the first padded one, a wrap round more
        # than once (of the size before any crop) before a crop below nothing
        for i in reversed(range(dims)):
            if max(pad[2 * i], pad[2 * i + 1]) > input.shape[-1 - i]:
                raise RuntimeError("Padding value causes wrapping around more than once.")
            if sizes[dims - 1 - i] < 0:
                raise RuntimeError("Negative padding value is resulting in an empty dimension")
        return
    if max(sizes) < 1:
        given = dict(zip("DHW"[-dims:], input.shape[-dims:], strict=True))
        # PyTorch's wording: no comma after the depth
        inside = ", ".join(f"{k}: {v}" for k, v in given.items()).replace(",", "", dims == 3)
        space = " " if mode == "replicate" and dims == 2 else ""
        calculated = " ".join(f"{k}: {v}" for k, v in zip(given, sizes, strict=True))
        raise RuntimeError(f"input ({inside}{space}) is too small. Calculated output {calculated}")
    if min(sizes) < 0:
        shape = list(input.shape[: input.ndim - dims]) + sizes
        first = next(size for size in shape if size < 0)  # (PyTorch's: the first, not the least)
        raise RuntimeError(f"Trying to create tensor with negative dimension {first}: {shape}")


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
# Given ``inplace=True`` the activations change their input in place, as the functions ending
# in ``_`` do, as PyTorch's (a leaf that requires grad is refused, the version counter moves,
# code that reads the input afterwards sees the result); most of PyTorch's nodes for them are
# the ``...Backward1`` overloads, named so here.
def relu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    return relu_(input) if inplace else elementwise.relu(input)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:  # noqa: A002
    # a number, or a 0-d tensor read as one: a tensor of slopes is PyTorch's TypeError
    negative_slope = arguments.number(negative_slope, "leaky_relu", "negative_slope")
    if inplace:
        return leaky_relu_(input, negative_slope)
    return elementwise.leaky_relu(input, negative_slope)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    alpha = arguments.number(alpha, "elu", "alpha")  # a 0-d tensor is a number, no more
    return elu_(input, alpha) if inplace else elementwise.elu(input, alpha)


def silu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """``x * sigmoid(x)``, in place given ``inplace=True``.

    >>> import chainrule as cr
    >>> x = cr.tensor([-1.0, 2.0])
    >>> silu(x, inplace=True) is x
    True
    """
    if inplace:
        return named(_in_place(input, elementwise.silu), "SiluBackward0")
    return elementwise.silu(input)


sigmoid = elementwise.sigmoid
tanh = elementwise.tanh
gelu = elementwise.gelu
softplus = elementwise.softplus


# ---- more activations (api17b): PyTorch's derivative at each kink (ops/activations.py)
def relu_(input: Tensor) -> Tensor:  # noqa: A002
    """:func:`relu` in place.

    >>> import chainrule as cr
    >>> x = cr.tensor([-1.0, 2.0])
    >>> relu_(x) is x, x
    (True, tensor([0., 2.]))
    """
    return inplace_ops.apply(input, elementwise.relu, name="relu_")


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:  # noqa: A002
    """:func:`leaky_relu` in place."""
    changed = inplace_ops.apply(
        input, lambda old: leaky_relu(old, negative_slope), name="leaky_relu_"
    )
    return named(changed, "LeakyReluBackward1")


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:  # noqa: A002
    """:func:`elu` in place."""
    return named(inplace_ops.apply(input, lambda old: elu(old, alpha), name="elu_"), "EluBackward1")


def _in_place(input: Tensor, function: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """``input`` replaced by ``function(input)``: an activation's (or a dropout's)
    ``inplace=True``; ``name`` (the function's, with ``_``, by default) is the in-place op's."""
    return inplace_ops.apply(input, function, name=name or function.__name__ + "_")


def hardtanh(
    input: Tensor,  # noqa: A002
    min_val: float = -1.0,
    max_val: float = 1.0,
    inplace: bool = False,
) -> Tensor:
    """``input`` clipped to [min_val, max_val]; the gradient is 0 at both kinks, as PyTorch's.

    >>> import chainrule as cr
    >>> hardtanh(cr.tensor([-3.0, 0.5, 2.0]))
    tensor([-1.0000,  0.5000,  1.0000])
    """
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return hardtanh_(input, min_val, max_val) if inplace else _clipped(input, min_val, max_val)


def _clipped(input: Tensor, min_val: Any, max_val: Any) -> Tensor:  # noqa: A002
    """:func:`hardtanh` without its check of the limits' order, which PyTorch's in-place
    form does not make: it clamps (a ``min_val`` above ``max_val`` gives ``max_val``)."""
    if isinstance(input, Tensor):  # a bound past the dtype's range is refused, as by clamp
        dtype = input.dtype.dtype
        if dtype.kind in "biu":
            min_val, max_val = _integer_hardtanh_limits(dtype, min_val, max_val)
        min_val, max_val = (dtypes.checked_number_for(v, dtype) for v in (min_val, max_val))
    return activations.Hardtanh(min_val, max_val)(input)


def _integer_hardtanh_limits(dtype: Any, min_val: Any, max_val: Any) -> tuple[int, int]:
    """ATen's ``hardtanh_out`` for a bool or integer NumPy ``dtype``: bool refused; the limits
    read as int64, truncated (nan and inf refused), and a uint8 input's not negative (-1
    would else wrap to 255 and clip everything to the top)."""
    if dtype.kind == "b":
        raise RuntimeError("Bool inputs not supported for hardtanh")
    long = xp.dtype(xp.int64)
    low, high = (dtypes.checked_scalar(v, long) for v in (min_val, max_val))
    if dtype == xp.uint8 and (low < 0 or high < 0):
        raise RuntimeError("cannot do hardtanh on an unsigned type with negative limits")
    return low, high


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:  # noqa: A002
    """:func:`hardtanh` in place."""
    return inplace_ops.apply(input, lambda old: _clipped(old, min_val, max_val), name="hardtanh_")


def relu6(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """``min(max(input, 0), 6)``: PyTorch's hardtanh(0, 6), with its gradient (0 at 0 and 6)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def selu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """``scale * elu(input, alpha)`` with the self-normalizing constants of Klambauer et al."""
    return selu_(input) if inplace else activations.Selu()(input)


def selu_(input: Tensor) -> Tensor:  # noqa: A002
    """:func:`selu` in place."""
    return named(inplace_ops.apply(input, selu, name="selu_"), "EluBackward1")


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``."""
    alpha = arguments.number(alpha, "celu", "alpha")  # a 0-d tensor is a number, no more
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return celu_(input, alpha) if inplace else activations.Celu(alpha)(input)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:  # noqa: A002
    """:func:`celu` in place."""
    return named(
        inplace_ops.apply(input, lambda old: celu(old, alpha), name="celu_"), "CeluBackward1"
    )


def threshold(
    input: Tensor,  # noqa: A002
    threshold: float,
    value: float,
    inplace: bool = False,
) -> Tensor:
    """``value`` where ``input <= threshold``, else ``input``.

    >>> import chainrule as cr
    >>> threshold(cr.tensor([0.1, 0.5, 2.0]), 0.5, -1.0)
    tensor([-1., -1.,  2.])
    """
    # numbers, or 0-d tensors read as them: a tensor of values was broadcast silently
    threshold = arguments.number(threshold, "threshold", "threshold")
    value = arguments.number(value, "threshold", "value", 3)
    if isinstance(input, Tensor):  # PyTorch reads threshold in float32, value in the dtype
        dtypes.check_kernel_numbers(input.dtype.dtype, threshold)
        dtypes.check_kernel_numbers(input.dtype.dtype, value, own=True)
    if inplace:
        return threshold_(input, threshold, value)
    return activations.Threshold(threshold, value)(input)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:  # noqa: A002
    """:func:`threshold` in place."""
    changed = inplace_ops.apply(input, lambda old: activations.Threshold(threshold, value)(old))
    return named(changed, "ThresholdBackward1")


def logsigmoid(input: Tensor) -> Tensor:  # noqa: A002
    """``log(sigmoid(input))``, finite for large negative inputs."""
    return activations.LogSigmoid()(input)


def softsign(input: Tensor) -> Tensor:  # noqa: A002
    """``input / (1 + |input|)`` (PyTorch's composition)."""
    return input / (input.abs() + 1)


def tanhshrink(input: Tensor) -> Tensor:  # noqa: A002
    """``input - tanh(input)`` (PyTorch's composition)."""
    return input - input.tanh()


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:  # noqa: A002
    """``input - lambd`` above ``lambd``, ``input + lambd`` below ``-lambd``, else 0."""
    # ATen's bounds (nan outside them): an infinite lambda would shrink every value to nan
    top = float(xp.finfo(input.dtype.dtype).max) if input.is_floating_point() else math.inf
    if not 0 <= lambd <= top:
        limit = lambd if top == math.inf else top  # (an integer input's message shows lambd)
        raise RuntimeError(
            f"lambda must be in range [0, {limit:g}] for input dtype "
            f"{inplace_ops._torch_name(input.dtype.dtype, 1)}, but found {lambd:g}"
        )
    return activations.Softshrink(lambd)(input)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:  # noqa: A002
    """0 where ``|input| <= lambd``, else ``input``."""
    lambd = arguments.number(lambd, "hardshrink", "lambd")  # not a tensor of them, as PyTorch
    return activations.Hardshrink(lambd)(input)


def mish(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """``input * tanh(softplus(input))``."""
    return _in_place(input, mish) if inplace else activations.Mish()(input)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """``input * relu6(input + 3) / 6``; its gradient at -3 is 0 and at 3 is 1, as PyTorch's."""
    return _in_place(input, hardswish) if inplace else activations.Hardswish()(input)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """``relu6(input + 3) / 6``; its gradient at -3 and 3 is 0, as PyTorch's."""
    return _in_place(input, hardsigmoid) if inplace else activations.Hardsigmoid()(input)


def glu(input: Tensor, dim: int = -1) -> Tensor:  # noqa: A002
    """``a * sigmoid(b)`` where ``a`` and ``b`` are the two halves of ``input`` along ``dim``.

    >>> import chainrule as cr
    >>> glu(cr.tensor([[1.0, 2.0, 0.0, 0.0]]))
    tensor([[0.5000, 1.0000]])
    """
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    size = input.shape[dim]
    if size % 2:
        raise RuntimeError(
            f"Halving dimension must be even, but dimension {dim % input.ndim} is size {size}"
        )
    dtypes.check_float_kernel(input.dtype.dtype, "glu_cpu")

    def gated(x: Tensor) -> Tensor:
        # narrow, not split: split(0) of an empty dimension gives one piece, not two
        a, b = x.narrow(dim, 0, size // 2), x.narrow(dim, size // 2, size // 2)
        return a * elementwise.sigmoid(b)

    # one kernel in PyTorch: float16 in float32, rounded once
    return combinations.fused(gated, input, name="GluBackward0")


def prelu(input: Tensor, weight: Tensor) -> Tensor:  # noqa: A002
    """``input`` where positive, else ``weight * input``, with one learnable slope per channel
    (dimension 1) or one for all.

    >>> import chainrule as cr
    >>> prelu(cr.tensor([[-1.0, 2.0]]), cr.tensor([0.25]))
    tensor([[-0.2500,  2.0000]])
    """
    if weight.ndim > 1:
        raise RuntimeError(
            f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {weight.ndim}"
        )
    if input.dtype != weight.dtype:
        raise RuntimeError(
            "prelu: Type promoting not supported. Got "
            f"{inplace_ops._torch_name(input.dtype.dtype, 1)} and "
            f"{inplace_ops._torch_name(weight.dtype.dtype, 1)}"
        )
    channels = input.shape[1] if input.ndim >= 2 else 1
    if weight.numel() != 1 and weight.numel() != channels:
        raise RuntimeError(
            "Mismatch of parameter numbers and input channel size. Found parameter numbers = "
            f"{weight.numel()} and channel size = {channels}."
        )
    if weight.numel() != 1:  # one slope per channel: along dimension 1
        weight = weight.reshape(_channel_shape(input)[1:])
    elif input.ndim == 0:  # a 0-d input keeps its shape, as PyTorch's (weight (1,) would not)
        weight = weight.reshape(())
    # the slope multiplies the non-positive part only, so that the slope's gradient is 0 (as
    # PyTorch's) where the input is positive, also at +inf (0 * inf would make it nan)
    input = reads_input(input)  # noqa: A001 (PyTorch's prelu backward kernel reads it)
    negative = weight * elementwise.where(input > 0, 0.0, input)
    return named(elementwise.where(input > 0, input, negative), "PreluKernelBackward0")


def rrelu(
    input: Tensor,  # noqa: A002
    lower: float = 1.0 / 8,
    upper: float = 1.0 / 3,
    training: bool = False,
    inplace: bool = False,
) -> Tensor:
    """Leaky relu with a random slope per non-positive element, drawn uniformly from
    [lower, upper] in training (PyTorch's draws: one float64 uniform per element <= 0, in
    order, from the default generator), the middle of that range in evaluation."""
    if type(training) is not bool:  # PyTorch passes it on by position; 1 was read as True
        arguments.boolean(training, "rrelu", "training", 4)
    if inplace:
        return rrelu_(input, lower, upper, training)
    # ATen's out-of-place rrelu, not its in-place one, refuses an infinite or nan bound
    # (its slopes would be inf or nan)
    for side, bound in (("lower", lower), ("upper", upper)):
        if not math.isfinite(bound):
            raise RuntimeError(f"rrelu: {side} bound must be finite, got {bound:g}")
    return _rrelu(input, lower, upper, training)


def _rrelu(input: Tensor, lower: float, upper: float, training: bool) -> Tensor:  # noqa: A002
    """:func:`rrelu` of bounds checked as both of ATen's rrelus check them."""
    if not lower <= upper:  # nan too
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    if not training:
        slope = (lower + upper) / 2
        return named(elementwise.leaky_relu(input, slope), "RreluWithNoiseBackward0")
    return named(input * _rrelu_noise(input, lower, upper), "RreluWithNoiseBackward0")


def _rrelu_noise(input: Tensor, lower: float, upper: float) -> Tensor:  # noqa: A002
    """rrelu's slopes: 1 where ``input > 0``, else a draw from [lower, upper] (the bounds
    rounded to the input's precision first, as ATen's kernel holds them in it)."""
    from chainrule import rng

    values = input.detach()._data
    dtype = values.dtype
    dtypes.refuse_half(dtype, "rrelu_with_noise_out_cpu")
    if not math.isfinite(upper - lower):  # uniform_'s check, in float64: no inf slopes
        raise RuntimeError(
            "Expected to - from <= std::numeric_limits<T>::max() to be true, but got false.  "
            "(Could this error message be improved?  If so, please report an enhancement "
            "request to PyTorch.)"
        )
    lo, hi = (float(xp.asarray(v, dtype)) for v in (lower, upper))
    noise = xp.ones(values.shape, dtype)
    negative = values <= 0
    # u * (hi - lo) + lo in two roundings: ATen's rrelu kernel is not fused (uniform_'s is)
    u = rng.uniform((int(negative.sum()),), xp.float64)
    noise[negative] = (u * (hi - lo) + lo).astype(dtype)
    return _make(noise)


def rrelu_(
    input: Tensor,  # noqa: A002
    lower: float = 1.0 / 8,
    upper: float = 1.0 / 3,
    training: bool = False,
) -> Tensor:
    """:func:`rrelu` in place."""
    changed = inplace_ops.apply(
        input, lambda old: _rrelu(old, lower, upper, training), name="rrelu_"
    )
    return named(changed, "RreluWithNoiseBackward1")


def _softmax_dim(ndim: int, name: str) -> int:
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
        "dim=X as an argument.",
        stacklevel=3,
    )
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:  # noqa: A002
    if dim is None:
        dim = _softmax_dim(input.ndim, "softmax")
    return nn_ops.softmax(input, dim, dtype)


def log_softmax(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:  # noqa: A002
    if dim is None:
        dim = _softmax_dim(input.ndim, "log_softmax")
    return nn_ops.log_softmax(input, dim, dtype)


def softmin(
    input: Tensor,  # noqa: A002
    dim: int | None = None,
    _stacklevel: int = 3,
    dtype: Any = None,
) -> Tensor:
    """``softmax(-input, dim)``: weights that favour the smallest values."""
    if dim is None:
        dim = _softmax_dim(input.ndim, "softmin")
    return softmax(-input, dim, dtype)


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
    weight: Tensor | None = None,
) -> Tensor:
    """Absolute error ``|input - target|``, averaged (or summed) over all elements; with
    ``weight`` (the input's shape), see :func:`chainrule.ops.losses.weighted_errors`."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    shape = tuple(input.shape)
    input, target = broadcast_target(input, target)
    if weight is not None:
        return weighted_errors((input - target).abs(), weight, shape, reduction)
    return _reduce((input - target).abs(), reduction)


# ---- more losses (api17b): PyTorch's compositions (smooth_l1 and huber are ops/losses.py's)
def _not_differentiable(function: str, argument: str, value: Any) -> None:
    """PyTorch's refusal of an argument its backward has no formula for (a target, a weight)
    that requires grad."""
    if isinstance(value, Tensor) and value.requires_grad and grad_mode.is_grad_enabled():
        raise RuntimeError(
            f"The function '{function}' is not differentiable with respect to argument "
            f"'{argument}'. This input cannot have requires_grad True."
        )


def kl_div(
    input: Tensor,  # noqa: A002
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    log_target: bool = False,
) -> Tensor:
    """The Kullback-Leibler divergence ``target * (log(target) - input)`` of log-probabilities
    ``input`` (of probabilities ``target``, or log-probabilities with ``log_target``).
    ``reduction="batchmean"`` divides the sum by the batch size, the mathematical KL; "mean"
    divides by every element, with PyTorch's warning.

    >>> import chainrule as cr
    >>> kl_div(cr.tensor([[-1.0, -0.5]]), cr.tensor([[0.5, 0.5]]), reduction="batchmean")
    tensor(0.0569)
    """
    if type(log_target) is not bool:
        arguments.boolean(log_target, "kl_div", "log_target", None)
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce, reduction)
    elif reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support "
            "size.'batchmean' divides only by the batch size, and aligns with the KL div math "
            "definition.'mean' will be changed to behave the same as 'batchmean' in the next "
            "major release.",
            stacklevel=2,
        )
    if reduction != "batchmean":
        check_reduction(reduction)
    tensor_argument("kl_div", input)  # after the warning, as PyTorch's torch.kl_div call
    tensor_argument("kl_div", target, 2, "target")
    if not (input.is_floating_point() and target.is_floating_point()):
        # ATen's check: an integer (or bool) target would be taken as probabilities
        raise RuntimeError("kl_div: Integral inputs not supported.")
    if log_target:
        loss = target.exp() * (target - input)
    else:
        # xlogy(target, target): 0 where target is 0, and PyTorch's gradient there (nan, from
        # target / target), not the finite number of a log guarded by where
        loss = pointwise.xlogy(target, target) - target * input
    if reduction == "batchmean":
        total = loss.sum()
        return total / input.shape[0] if input.ndim else total
    return _reduce(loss, reduction)


def margin_ranking_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """``max(0, -target * (input1 - input2) + margin)``: input1 should rank above input2 where
    target is 1, below where it is -1."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    if not input1.ndim == input2.ndim == target.ndim:
        raise RuntimeError(
            "margin_ranking_loss : All input tensors should have same dimension but got sizes: "
            f"input1: {input1.shape}, input2: {input2.shape}, target: {target.shape} "
        )
    return _reduce((-target * (input1 - input2) + margin).clamp(min=0), reduction)


def hinge_embedding_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    margin: float = 1.0,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """``input`` where target is 1, ``max(0, margin - input)`` where it is -1."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    tensor_argument("hinge_embedding_loss", input)
    tensor_argument("hinge_embedding_loss", target, 2, "target")
    # ATen's margin is a float: a tensor only of no dimensions and without a gradient
    if isinstance(margin, Tensor) and (margin.ndim or margin.requires_grad):
        raise arguments.mistyped("hinge_embedding_loss", "margin", 3, "float", margin)
    # ATen's margin - input is taken in the input's dtype: a bool's is refused, an integer
    # input's margin truncated (so the loss stays an integer, as PyTorch's)
    kind = input.dtype.dtype.kind
    if kind == "b":
        raise elementwise.bool_subtraction(True, True)
    if kind in "iu":
        margin = int(margin)
    # zeros, not input * 0: an infinite input's unused branch must add 0, not nan
    zeros = factories.zeros_like(input.detach())
    below = elementwise.where(target != 1, (margin - input).clamp(min=0), zeros)
    return _reduce(below + elementwise.where(target != -1, input, zeros), reduction)


def soft_margin_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """The logistic loss ``log(1 + exp(-target * input))`` of targets 1 or -1."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    tensor_argument("soft_margin_loss", target, 2, "target")  # a number was broadcast
    _not_differentiable("soft_margin_loss", "target", target)
    if input.dtype.kind in "iu":
        # ATen writes -input * target, then its exp, into a tensor of input's dtype: an
        # integer one refuses the float (the target's, or exp's float32)
        given = target.dtype.dtype
        result = given if given.kind in "fc" else xp.dtype(xp.float32)
        raise inplace_ops.cast_error(result, dtypes.scalar_type_name(input.dtype.dtype))
    loss = _reduce((-input * target).exp().log1p(), reduction)
    return named(loss, "SoftMarginLossBackward0")


def cosine_embedding_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """``1 - cos(input1, input2)`` where target is 1, ``max(0, cos - margin)`` where it is -1
    (rows of (N, D) inputs with an (N,) target, or one pair of vectors with a 0-d one)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    dim = target.ndim
    if dim > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if input1.ndim != dim + 1 or input2.ndim != dim + 1:
        raise RuntimeError(
            f"{dim}D target tensor expects {dim + 1}D input tensors, but found inputs with sizes "
            f"{list(input1.shape)} and {list(input2.shape)}."
        )
    epsilon = 1e-12  # ATen's, added to each squared magnitude
    product = (input1 * input2).sum(dim)
    magnitudes = ((input1 * input1).sum(dim) + epsilon) * ((input2 * input2).sum(dim) + epsilon)
    cos = product / magnitudes.sqrt()
    zeros = cos.detach() * 0
    positive = elementwise.where(target == 1, 1 - cos, zeros)
    negative = elementwise.where(target == -1, (cos - margin).clamp(min=0), zeros)
    return _reduce(positive + negative, reduction)


def triplet_margin_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    margin: float = 1.0,
    p: float = 2,
    eps: float = 1e-6,
    swap: bool = False,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """``max(0, margin + d(anchor, positive) - d(anchor, negative))`` with the
    :func:`pairwise_distance` d; ``swap`` takes the smaller of d(a, n) and d(p, n)."""
    if type(swap) is not bool:  # passed on by position
        arguments.boolean(swap, "triplet_margin_loss", "swap", 7)
    reduction = legacy_reduction(size_average, reduce, reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    dims = (anchor.ndim, positive.ndim, negative.ndim)
    if len(set(dims)) != 1:
        raise RuntimeError(
            "The anchor, positive, and negative tensors are expected to have the same number of "
            f"dimensions, but got: anchor {dims[0]}D, positive {dims[1]}D, and negative "
            f"{dims[2]}D inputs"
        )
    to_positive = pairwise_distance(anchor, positive, p, eps)
    to_negative = pairwise_distance(anchor, negative, p, eps)
    if swap:
        to_negative = elementwise.minimum(
            to_negative, pairwise_distance(positive, negative, p, eps)
        )
    return _reduce((margin + to_positive - to_negative).clamp(min=0), reduction)


def poisson_nll_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    log_input: bool = True,
    full: bool = False,
    size_average: bool | None = None,
    eps: float = 1e-8,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """The negative log-likelihood of counts ``target`` under a Poisson of rate ``exp(input)``
    (or ``input`` itself without ``log_input``); ``full`` adds Stirling's term for the
    ``log(target!)`` of targets above 1."""
    if type(log_input) is not bool or type(full) is not bool:  # passed on by position
        arguments.boolean(log_input, "poisson_nll_loss", "log_input", 3)
        arguments.boolean(full, "poisson_nll_loss", "full", 4)
    reduction = legacy_reduction(size_average, reduce, reduction)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not a valid value for reduction")
    rate_term = input.exp() if log_input else input
    log_rate = input if log_input else (input + eps).log()
    loss = rate_term - target * log_rate
    if full:
        # Stirling's term of the target itself, masked where target <= 1, as PyTorch computes
        # it: its gradient there is 0 times log(target), nan at a target of 0 (the log of 0
        # no warning: it is masked)
        with xp.errstate(divide="ignore", invalid="ignore"):
            stirling = target * target.log() - target + 0.5 * (2 * math.pi * target).log()
        loss = loss + elementwise.where(target <= 1, 0.0, stirling)
    return _reduce(loss, reduction)


def gaussian_nll_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    var: Tensor | float,
    full: bool = False,
    eps: float = 1e-6,
    reduction: str = "mean",
) -> Tensor:
    """The negative log-likelihood of ``target`` under normals of mean ``input`` and variance
    ``var`` (the input's shape, one dimension less, or one dimension of size 1), the variance
    raised to ``eps`` without cutting its gradient (as PyTorch clamps a copy under no_grad)."""
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = var * input.detach().new_ones(input.shape)
    elif (batching.physical(var) < 0).any():  # under vmap, every example's
        raise ValueError("var has negative entry/entries")
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif not (
            input.ndim == var.ndim
            and sum(v for i, v in zip(input.shape, var.shape, strict=True) if i != v) == 1
        ):
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    if var.dtype.dtype.kind in "biu":  # PyTorch's var.clone().clamp_(min=eps) takes no float
        kept = dtypes.C_TYPE_NAMES[var.dtype.dtype.name]
        raise inplace_ops.cast_error(xp.dtype(xp.float32), kept)
    var = RaisedTo(eps)(var)  # PyTorch's clamp of a clone under no_grad: the gradient passes
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def multilabel_soft_margin_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Binary cross-entropy of ``sigmoid(input)`` against 0/1 ``target`` per class, averaged
    over the classes (the last dimension): one loss per sample."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.ndim - 1
    loss = loss.sum(class_dim) / input.shape[class_dim]
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    return _reduce(loss, reduction)


def multi_margin_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    p: int = 1,
    margin: float = 1.0,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """The multi-class hinge loss: per sample, ``sum over i != y of max(0, margin - x[y] +
    x[i])**p / C`` (times ``weight[y]``) for (N, C) scores (or (C,)) and class indices y."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None:
        if weight.ndim != 1:
            raise ValueError("weight must be one-dimensional")
        _not_differentiable("multi_margin_loss", "weight", weight)
    if input.ndim > 2 or (input.numel() == 0 and not (input.ndim == 2 and input.shape[1])):
        raise RuntimeError(
            "Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
            f"{list(input.shape)}"
        )
    rows = input.shape[0] if input.ndim == 2 else 1
    classes = input.shape[-1] if input.ndim else 1
    if target.ndim > 1 or target.numel() != rows:
        raise RuntimeError(
            "multi_margin_loss: target tensor should be 1-D with size equal to the number of "
            f"input samples (batch size). Expected target size [{rows}], but got "
            f"{list(target.shape)}. Input has shape {list(input.shape)}."
        )
    if target.dtype.dtype != xp.int64:
        raise RuntimeError(
            f"expected scalar type Long but found {inplace_ops._torch_name(target.dtype.dtype, 1)}"
        )
    if weight is not None and weight.numel() != classes:
        raise RuntimeError(
            f"inconsistent weight size, expected {classes} but got {list(weight.shape)}"
        )
    dtypes.refuse_half(input.dtype, "multi_margin_loss_cpu_kernel")
    scores = reads_input(input).reshape(rows, classes)  # as PyTorch's backward kernel
    picks = target.reshape(rows, 1)
    picked = batching.physical(picks)  # under vmap, every example's
    if ((picked < 0) | (picked >= classes)).any():
        raise RuntimeError("target out of range")
    z = margin - scores.gather(1, picks) + scores
    # PyTorch counts a class only where the margin is violated strictly (z > 0: not a nan) and
    # never the target's own: a where, as a product with a 0/1 mask would turn the z of an
    # infinite score (nan, inf - inf) into a nan loss
    others = picks != _make(xp.arange(classes))
    hinge = elementwise.where((z.detach() > 0) & others, z, 0.0)
    if p == 2:
        hinge = hinge * hinge
    if weight is not None:
        hinge = hinge * weight[picks]
    loss = hinge.sum(1) / classes
    if reduction == "none" and input.ndim < 2 and target.ndim == 0:
        loss = loss.reshape(())
    return named(_reduce(loss, reduction), "MultiMarginLossBackward0")


def multilabel_margin_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """The multi-label hinge loss: per sample, ``sum over j, i of max(0, 1 - (x[y_j] - x[i]))
    / C`` over its targets y_j (the class indices in ``target`` before its first -1, a repeat
    counted again) and the classes i that are no target, for (N, C) scores (or (C,)).

    >>> import chainrule as cr
    >>> multilabel_margin_loss(cr.tensor([[0.1, 0.2, 0.4, 0.8]]), cr.tensor([[3, 0, -1, 1]]))
    tensor(0.8500)
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(reduction)
    if input.ndim > 2 or (input.numel() == 0 and not (input.ndim == 2 and input.shape[1])):
        raise RuntimeError(
            "Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
            f"{list(input.shape)}"
        )
    if target.dtype.dtype != xp.int64:
        raise RuntimeError(
            f"expected scalar type Long but found {inplace_ops._torch_name(target.dtype.dtype, 1)}"
        )
    if target.shape != input.shape:
        raise RuntimeError(
            f"inconsistent target size: {list(target.shape)} for input of size: {list(input.shape)}"
        )
    rows = input.shape[0] if input.ndim == 2 else 1
    classes = input.shape[-1] if input.ndim else 1
    dtypes.refuse_half(input.dtype, "multilabel_margin_loss_forward_out_frame")
    labels = target._data.reshape(rows, classes)
    if labels.size and (labels.min() < -1 or labels.max() >= classes):
        raise RuntimeError("argument #2 'target' is out of range")
    listed = xp.cumprod(labels != -1, axis=1).astype(bool)  # the entries before the first -1
    picks = xp.where(listed, labels, 0)
    is_target = ((picks[:, :, None] == xp.arange(classes)) & listed[:, :, None]).any(1)
    scores = reads_input(input).reshape(rows, classes)  # as PyTorch's backward kernel
    # z over (N, targets, classes), counted as PyTorch counts it: only where z > 0 (so a nan
    # counts nothing) for a listed target and a class that is no target
    z = 1 - scores.gather(1, _make(picks)).unsqueeze(2) + scores.unsqueeze(1)
    counted = (z > 0) & _make(listed[:, :, None] & ~is_target[:, None, :])
    loss = elementwise.where(counted, z, 0.0).sum((1, 2)) / classes
    if input.ndim < 2:
        loss = loss.reshape(())
    return named(_reduce(loss, reduction), "MultilabelMarginLossBackward0")


def triplet_margin_with_distance_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    *,
    distance_function: Any = None,
    margin: float = 1.0,
    swap: bool = False,
    reduction: str = "mean",
) -> Tensor:
    """``max(0, margin + d(anchor, positive) - d(anchor, negative))`` with any distance
    ``d`` (:func:`pairwise_distance` by default); ``swap`` takes the smaller of d(a, n) and
    d(p, n).

    >>> import chainrule as cr
    >>> a, p, n = cr.tensor([[0.0, 0.0]]), cr.tensor([[3.0, 4.0]]), cr.tensor([[1.0, 0.0]])
    >>> l1 = lambda x, y: (x - y).abs().sum(-1)
    >>> triplet_margin_with_distance_loss(a, p, n, distance_function=l1)
    tensor(7.)
    """
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    dims = (anchor.ndim, positive.ndim, negative.ndim)
    if len(set(dims)) != 1:
        raise RuntimeError(
            "The anchor, positive, and negative tensors are expected to have the same number of "
            f"dimensions, but got: anchor {dims[0]}D, positive {dims[1]}D, and negative "
            f"{dims[2]}D inputs"
        )
    distance = pairwise_distance if distance_function is None else distance_function
    to_positive = distance(anchor, positive)
    to_negative = distance(anchor, negative)
    if swap:
        to_negative = elementwise.minimum(to_negative, distance(positive, negative))
    return _reduce((margin + to_positive - to_negative).clamp(min=0), reduction)


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
    class_dim = 0 if input.ndim == 1 else 1
    nn_ops.refuse_integers(input, class_dim, "log_softmax")  # its log_softmax's refusal
    # Class probabilities are a target of the input's shape; any other is class indices
    # (checked as such: a float one is refused by its dtype, as PyTorch refuses it)
    soft = target.is_floating_point() and target.shape == input.shape
    if label_smoothing == 0.0 and not soft:
        return cross_entropy_of_indices(input, target, weight, ignore_index, reduction)
    logp = nn_ops.log_softmax(input, class_dim)
    if soft:
        return _soft_cross_entropy(logp, target, weight, reduction, label_smoothing, class_dim)
    loss = nll_loss(logp, target, weight, ignore_index=ignore_index, reduction=reduction)
    # The smoothing term, -sum_c w_c logp_c / C per sample, shares the log-likelihood's
    # normalisation: PyTorch divides both by the total weight of the counted samples.
    n_classes = input.shape[class_dim]
    per_class = logp if weight is None else logp * _class_view(weight, input.ndim, class_dim)
    counted = target != ignore_index  # tensors, not arrays: vmap batches them
    # a where, not a product with the mask: an ignored row's nan or inf logits add nothing
    smooth = -elementwise.where(counted, per_class.sum(class_dim), 0.0)
    if reduction == "sum":
        smooth = smooth.sum()
    elif reduction == "mean":
        counts = counted.to(smooth.dtype)
        if weight is not None:
            counts = counts * weight.detach()[elementwise.where(counted, target, 0)]
        total = counts.sum()
        # None counted: nan, with a zero gradient, as the log-likelihood's (see NllLoss).
        some = total > 0
        divided = smooth.sum() / elementwise.where(some, total, 1.0)
        smooth = elementwise.where(some, divided, float("nan"))
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
    if weight is not None and tuple(weight.shape) != (logp.shape[class_dim],):
        raise RuntimeError(f"cross_entropy: {weight_shape_error(logp.shape[class_dim], weight)}")
    if smoothing:
        target = target * (1 - smoothing) + smoothing / logp.shape[class_dim]
    per_class = logp * target
    if weight is not None:
        per_class = per_class * _class_view(weight, logp.ndim, class_dim)
    return _reduce(-per_class.sum(class_dim), reduction)


# ---- CTC loss and fractional max pooling
from chainrule.ops.ctc import ctc_loss  # noqa: E402
from chainrule.ops.fractional_pool import (  # noqa: E402
    fractional_max_pool2d,
    fractional_max_pool2d_with_indices,
    fractional_max_pool3d,
    fractional_max_pool3d_with_indices,
)

__all__ += [
    "ctc_loss",
    "fractional_max_pool2d",
    "fractional_max_pool2d_with_indices",
    "fractional_max_pool3d",
    "fractional_max_pool3d_with_indices",
]


def linear_cross_entropy(
    input: Tensor,  # noqa: A002
    linear_weight: Tensor,
    target: Tensor,
    *,
    linear_bias: Tensor | None = None,
    weight: Tensor | None = None,
    reduction: str = "mean",
    ignore_index: int | None = None,
    label_smoothing: float = 0.0,
    options: Any = None,
) -> Tensor:
    """``cross_entropy(linear(input, linear_weight, linear_bias), target, ...)``, PyTorch's
    reference path; a ``linear_weight`` of shape (C, d1, ..., dK, in) gives K-dimensional
    logits (N, C, d1, ..., dK). PyTorch's chunked path (``options``) is not implemented.

    >>> import chainrule as cr
    >>> x, w = cr.ones(2, 3), cr.zeros(4, 3)
    >>> linear_cross_entropy(x, w, cr.tensor([0, 3]))  # uniform logits: log(4)
    tensor(1.3863)
    """
    if options is not None:
        raise NotImplementedError(
            "linear_cross_entropy: chainrule has PyTorch's reference path only (options=None)"
        )
    if input.dim() < 1 or input.dim() > 2:
        raise RuntimeError(f"expected input with dimensionality 1 or 2, got {input.dim()}")
    if linear_weight.dim() < 2:
        raise RuntimeError(
            f"expected linear_weight with dimensionality at least 2, got {linear_weight.dim()}"
        )
    batches, in_features = tuple(input.shape[:-1]), input.shape[-1]
    if in_features != linear_weight.shape[-1]:
        raise RuntimeError(
            "expected equal input and linear_weight last dimensions (in_features), "
            f"got {input.shape[-1]} and {linear_weight.shape[-1]}, respectively"
        )
    classes, out_features = linear_weight.shape[0], tuple(linear_weight.shape[1:-1])
    if linear_bias is not None and tuple(linear_bias.shape) != (classes, *out_features):
        raise RuntimeError(
            f"expected linear_bias shape {(classes, *out_features)}, got {tuple(linear_bias.shape)}"
        )
    if out_features and not batches:
        raise RuntimeError(
            f"K-dimensional loss defined by linear_weight shape {tuple(linear_weight.shape)} "
            f"requires batched input, (N, {in_features}), got unbatched input with shape "
            f"{tuple(input.shape)}"
        )
    logits_shape = (*batches, classes, *out_features)
    if tuple(target.shape) == logits_shape and ignore_index is not None:
        raise RuntimeError("ignore_index cannot be specified when target contains probabilities")
    if out_features:
        flat = math.prod(out_features, start=classes)
        linear_weight = linear_weight.reshape(flat, in_features)
        linear_bias = None if linear_bias is None else linear_bias.reshape(flat)
    logits = linear(input, linear_weight, linear_bias).reshape(logits_shape)
    return cross_entropy(
        logits,
        target,
        weight=weight,
        reduction=reduction,
        ignore_index=-100 if ignore_index is None else ignore_index,
        label_smoothing=label_smoothing,
    )


__all__ += ["linear_cross_entropy"]
