"""PyTorch's top-level forms of the ``nn.functional`` functions (``torch.conv2d``,
``torch.batch_norm``, ``torch.kl_div``...), with the top level's own signatures: the norms take
``weight`` and ``bias`` before the running statistics, the losses take ``reduction`` as an
integer (0 none, 1 mean, 2 sum; PyTorch's top-level bindings default it to 0, no reduction),
``embedding`` takes the table first. Each delegates to :mod:`chainrule.nn.functional`; the
``native_*`` functions return PyTorch's tuples (the statistics with the output).

    >>> import chainrule as cr
    >>> cr.hinge_embedding_loss(cr.tensor([0.5, 2.0]), cr.tensor([1.0, -1.0]))  # no reduction
    tensor([0.5000, 0.0000])
    >>> cr.layer_norm(cr.tensor([[1.0, 3.0]]), [2])
    tensor([[-1.0000,  1.0000]])
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

from chainrule import factories, grad_mode
from chainrule._array import xp
from chainrule.arguments import boolean, int_window
from chainrule.nn import functional as F
from chainrule.nn.rnn import RNNBase, _step
from chainrule.ops.dropout import dropout_mask
from chainrule.ops.torch_toplevel import tensor_argument
from chainrule.tensor import Tensor, _make

# The same signature at both levels in PyTorch too (F.conv2d is torch.conv2d).
conv1d, conv2d, conv3d = F.conv1d, F.conv2d, F.conv3d
conv_transpose1d, conv_transpose2d = F.conv_transpose1d, F.conv_transpose2d
conv_transpose3d = F.conv_transpose3d
bilinear, prelu, hardshrink, rms_norm = F.bilinear, F.prelu, F.hardshrink, F.rms_norm
pixel_shuffle, pixel_unshuffle, channel_shuffle = (
    F.pixel_shuffle,
    F.pixel_unshuffle,
    F.channel_shuffle,
)
native_channel_shuffle = F.channel_shuffle
pairwise_distance, cosine_similarity, pdist = F.pairwise_distance, F.cosine_similarity, F.pdist
adaptive_avg_pool1d = F.adaptive_avg_pool1d

_REDUCTIONS = {0: "none", 1: "mean", 2: "sum"}


def _reduction(function: str, reduction: Any, position: int) -> str:
    """The ``nn.functional`` name of an integer ``reduction``: 1 mean, 2 sum, any other
    integer none (ATen's apply_loss_reduction); anything but an integer refused as PyTorch's
    argument parser refuses it."""
    if not isinstance(reduction, int) or isinstance(reduction, bool):
        raise TypeError(
            f"{function}(): argument 'reduction' (position {position}) must be int, not "
            f"{type(reduction).__name__}"
        )
    return _REDUCTIONS.get(reduction, "none")


def _stride(stride: Any) -> Any:
    """PyTorch's top-level default stride, ``[]``: the kernel size (``None`` to F)."""
    return None if stride is None or (isinstance(stride, Sequence) and not len(stride)) else stride


# ---- convolutions
def convolution(
    input: Tensor,  # noqa: A002
    weight: Tensor,
    bias: Tensor | None,
    stride: Sequence[int],
    padding: Sequence[int],
    dilation: Sequence[int],
    transposed: bool,
    output_padding: Sequence[int],
    groups: int,
) -> Tensor:
    """``torch.convolution``: the 1-, 2- or 3-d convolution (or transposed one) that the
    weight's dimensions name.

    >>> import chainrule as cr
    >>> cr.convolution(cr.ones(1, 1, 3), cr.ones(1, 1, 2), None, [1], [0], [1], False, [0], 1)
    tensor([[[2., 2.]]])
    """
    if weight.ndim < 3:
        raise RuntimeError("weight should have at least three dimensions")
    spatial = weight.ndim - 2
    if spatial > 3:
        raise RuntimeError(
            f"Expected {weight.ndim}-dimensional input for {weight.ndim}-dimensional weight "
            f"{list(weight.shape)}, but got {input.ndim}-dimensional input of size "
            f"{list(input.shape)} instead"
        )
    if transposed:
        convolve = (F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d)[spatial - 1]
        return convolve(input, weight, bias, stride, padding, output_padding, groups, dilation)
    convolve = (F.conv1d, F.conv2d, F.conv3d)[spatial - 1]
    return convolve(input, weight, bias, stride, padding, dilation, groups)


def conv_tbc(input: Tensor, weight: Tensor, bias: Tensor, pad: int = 0) -> Tensor:  # noqa: A002
    """A 1-d convolution of (time, batch, channels) ``input`` with a (width, in, out)
    ``weight``: ``torch.conv_tbc``, the time-first layout, through conv1d.

    >>> import chainrule as cr
    >>> cr.conv_tbc(cr.ones(3, 1, 1), cr.ones(2, 1, 1), cr.zeros(1)).flatten()
    tensor([2., 2.])
    """
    if input.ndim != 3:
        raise RuntimeError("Input must have 3 dims: time, batch, in_channel")
    if weight.ndim != 3:
        raise RuntimeError(
            "Weight tensor must have 3 dims: kernel_width, in_channels, out_channels."
        )
    if bias.ndim != 1:
        raise RuntimeError("Bias must be 1-D")
    if input.shape[2] != weight.shape[1]:
        raise RuntimeError("Input dim 2 (input channels) is not == dim 1 in the weight tensor")
    out = F.conv1d(input.permute(1, 2, 0), weight.permute(2, 1, 0), bias, padding=pad)
    return out.permute(2, 0, 1)


# ---- normalization
def batch_norm(
    input: Tensor,  # noqa: A002
    weight: Tensor | None,
    bias: Tensor | None,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    training: bool,
    momentum: float,
    eps: float,
    cudnn_enabled: bool,
) -> Tensor:
    """``torch.batch_norm``: :func:`chainrule.nn.functional.batch_norm`, weight and bias first.
    ``cudnn_enabled`` changes nothing on the CPU, but is checked as PyTorch's parser checks
    it (1 was taken); ``training``, F's checks."""
    if type(cudnn_enabled) is not bool:
        boolean(cudnn_enabled, "batch_norm", "cudnn_enabled", 9)
    return F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def layer_norm(
    input: Tensor,  # noqa: A002
    normalized_shape: Sequence[int],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
    cudnn_enable: bool = True,
) -> Tensor:
    """``torch.layer_norm``: :func:`chainrule.nn.functional.layer_norm` (``cudnn_enable``
    changes nothing on the CPU, but is checked as PyTorch's parser checks it)."""
    if type(cudnn_enable) is not bool:
        boolean(cudnn_enable, "layer_norm", "cudnn_enable", 6)
    return F.layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(
    input: Tensor,  # noqa: A002
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
    cudnn_enabled: bool = True,
) -> Tensor:
    """``torch.group_norm``: :func:`chainrule.nn.functional.group_norm` (``cudnn_enabled``
    changes nothing on the CPU, but is checked as PyTorch's parser checks it)."""
    if type(cudnn_enabled) is not bool:
        boolean(cudnn_enabled, "group_norm", "cudnn_enabled", 6)
    return F.group_norm(input, num_groups, weight, bias, eps)


def instance_norm(
    input: Tensor,  # noqa: A002
    weight: Tensor | None,
    bias: Tensor | None,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    use_input_stats: bool,
    momentum: float,
    eps: float,
    cudnn_enabled: bool,
) -> Tensor:
    """``torch.instance_norm``: :func:`chainrule.nn.functional.instance_norm`, weight first
    (``cudnn_enabled`` as :func:`batch_norm`'s)."""
    if type(cudnn_enabled) is not bool:
        boolean(cudnn_enabled, "instance_norm", "cudnn_enabled", 9)
    return F.instance_norm(
        input, running_mean, running_var, weight, bias, use_input_stats, momentum, eps
    )


def native_layer_norm(
    input: Tensor,  # noqa: A002
    normalized_shape: Sequence[int],
    weight: Tensor | None,
    bias: Tensor | None,
    eps: float,
) -> tuple[Tensor, Tensor, Tensor]:
    """``(layer_norm(...), mean, rstd)``: the statistics over the normalized dimensions, kept
    as size-1 dimensions, ``rstd = 1 / sqrt(var + eps)`` (biased variance).

    >>> import chainrule as cr
    >>> out, mean, rstd = cr.native_layer_norm(cr.tensor([[1.0, 3.0]]), [2], None, None, 0.0)
    >>> mean, rstd
    (tensor([[2.]]), tensor([[1.]]))
    """
    out = F.layer_norm(input, normalized_shape, weight, bias, eps)
    dims = tuple(range(input.ndim - len(normalized_shape), input.ndim))
    return out, *_statistics(input.detach(), dims, eps)  # PyTorch's are not differentiable


def _statistics(input: Tensor, dims: tuple[int, ...], eps: float) -> tuple[Tensor, Tensor]:  # noqa: A002
    """The mean and ``1 / sqrt(var + eps)`` over ``dims`` (kept), as PyTorch's native norms
    save them (differentiable where PyTorch's are: the caller detaches the others)."""
    x = input
    mean = x.mean(dims, keepdim=True)
    return mean, (x.var(dims, correction=0, keepdim=True) + eps).rsqrt()


def native_batch_norm(
    input: Tensor,  # noqa: A002
    weight: Tensor | None,
    bias: Tensor | None,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    training: bool,
    momentum: float,
    eps: float,
) -> tuple[Tensor, Tensor, Tensor]:
    """``(batch_norm(...), save_mean, save_invstd)``: the batch's per-channel mean and
    ``1 / sqrt(var + eps)`` in training, two empty tensors in evaluation (as PyTorch's CPU
    kernel returns them)."""
    if (running_mean is None) != (running_var is None):
        raise ValueError("running_mean and running_var must either both be None or neither be None")
    if not training and running_mean is None:  # PyTorch's kernel crashes here
        raise RuntimeError("running_mean and running_var must be defined in evaluation mode")
    if training:
        dims = (0, *range(2, input.ndim))
        mean, invstd = (s.reshape(-1) for s in _statistics(input.detach(), dims, eps))
    else:
        mean = invstd = factories.empty(0, dtype=input.dtype)
    out = F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)
    return out, mean, invstd


def native_group_norm(
    input: Tensor,  # noqa: A002
    weight: Tensor | None,
    bias: Tensor | None,
    N: int,  # noqa: N803 - PyTorch's names
    C: int,  # noqa: N803
    HxW: int,  # noqa: N803
    group: int,
    eps: float,
) -> tuple[Tensor, Tensor, Tensor]:
    """``(group_norm(...), mean, rstd)``, the statistics of each sample's groups as
    (N, group) tensors (all three differentiable, as PyTorch's)."""
    out = F.group_norm(input, group, weight, bias, eps)
    mean, rstd = _statistics(input.reshape(N, group, -1), (2,), eps)
    return out, mean.reshape(N, group), rstd.reshape(N, group)


def native_dropout(input: Tensor, p: float, train: bool | None) -> tuple[Tensor, Tensor]:  # noqa: A002
    """``(dropout(input, p), mask)``: the kept elements' boolean mask with the result (the
    same draws as ``dropout``); ``train=False`` gives ``input`` and an all-true mask.

    >>> import chainrule as cr
    >>> cr.native_dropout(cr.ones(2), 0.5, False)
    (tensor([1., 1.]), tensor([True, True]))
    """
    if train is False:
        return input.clone(), factories.ones(input.shape, dtype=bool)
    if p == 1.0:
        return input * 0, factories.zeros(input.shape, dtype=bool)
    mask = dropout_mask(input, p)
    return input * mask, mask.detach() != 0


def _not_on_cpu(overload: str) -> NotImplementedError:
    """PyTorch's error for an operator with no CPU kernel (its kernels are CUDA's or sparse)."""
    return NotImplementedError(
        f"Could not run '{overload}' with arguments from the 'CPU' backend. This could be "
        "because the operator doesn't exist for this backend, or was omitted during the "
        "selective/custom build process (if using custom build)."
    )


def native_norm(input: Tensor, *args: Any) -> Tensor:  # noqa: A002
    """Refused, as PyTorch refuses it on CPU tensors (its kernel exists for sparse ones)."""
    raise _not_on_cpu("aten::native_norm" if not args else "aten::native_norm.ScalarOpt_dim_dtype")


def batch_norm_stats(input: Tensor, eps: float) -> tuple[Tensor, Tensor]:  # noqa: A002
    """Refused, as PyTorch refuses it on CPU tensors (a CUDA kernel of SyncBatchNorm)."""
    raise _not_on_cpu("aten::batch_norm_stats")


def batch_norm_elemt(input: Tensor, *args: Any) -> Tensor:  # noqa: A002
    """Refused, as PyTorch refuses it on CPU tensors (a CUDA kernel of SyncBatchNorm)."""
    raise _not_on_cpu("aten::batch_norm_elemt")


def batch_norm_gather_stats(input: Tensor, *args: Any) -> tuple[Tensor, Tensor]:  # noqa: A002
    """Refused, as PyTorch refuses it on CPU tensors (a CUDA kernel of SyncBatchNorm)."""
    raise _not_on_cpu("aten::batch_norm_gather_stats")


def batch_norm_gather_stats_with_counts(input: Tensor, *args: Any) -> tuple[Tensor, Tensor]:  # noqa: A002
    """Refused, as PyTorch refuses it on CPU tensors (a CUDA kernel of SyncBatchNorm)."""
    raise _not_on_cpu("aten::batch_norm_gather_stats_with_counts")


def batch_norm_backward_reduce(grad_out: Tensor, *args: Any) -> tuple[Tensor, ...]:
    """Refused, as PyTorch refuses it on CPU tensors (a CUDA kernel of SyncBatchNorm)."""
    raise _not_on_cpu("aten::batch_norm_backward_reduce")


def batch_norm_backward_elemt(grad_out: Tensor, *args: Any) -> Tensor:
    """Refused, as PyTorch refuses it on CPU tensors (a CUDA kernel of SyncBatchNorm)."""
    raise _not_on_cpu("aten::batch_norm_backward_elemt")


def batch_norm_update_stats(
    input: Tensor,  # noqa: A002
    running_mean: Tensor | None,
    running_var: Tensor | None,
    momentum: float,
) -> tuple[Tensor, Tensor]:
    """The batch's per-channel mean and (biased) variance, the running statistics moved
    towards them in place as a training ``batch_norm`` moves them (through it).

    >>> import chainrule as cr
    >>> mean, var = cr.batch_norm_update_stats(cr.tensor([[1.0], [3.0]]), None, None, 0.1)
    >>> mean, var
    (tensor([2.]), tensor([1.]))
    """
    dims = (0, *range(2, input.ndim))
    if running_mean is not None and running_var is not None:
        with grad_mode.no_grad():
            F.batch_norm(input, running_mean, running_var, None, None, True, momentum)
    return input.mean(dims), input.var(dims, correction=0)


def embedding(
    weight: Tensor,
    indices: Tensor,
    padding_idx: int = -1,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """``torch.embedding``: the table first, and a negative ``padding_idx`` (-1 by default)
    for none, as ATen's (``nn.functional.embedding`` counts a negative one from the end)."""
    padding = padding_idx if padding_idx >= 0 else None
    return F.embedding(indices, weight, padding, None, 2.0, scale_grad_by_freq, sparse)


_BAG_MODES = ("sum", "mean", "max")


def embedding_bag(
    weight: Tensor,
    indices: Tensor,
    offsets: Tensor,
    scale_grad_by_freq: bool = False,
    mode: int = 0,
    sparse: bool = False,
    per_sample_weights: Tensor | None = None,
    include_last_offset: bool = False,
    padding_idx: int | None = None,
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """``torch.embedding_bag``: the table first, ``mode`` an integer (0 sum, 1 mean, 2 max),
    and PyTorch's four results: the bags (:func:`chainrule.nn.functional.embedding_bag`),
    then what its CPU kernel keeps for the backward pass, as it gives them: ``offset2bag``
    (each index's bag; empty for a float32 or float16 sum without ``padding_idx``, which
    takes another path there), ``bag_size`` (each bag's
    count of indices that are not padding; zeros for a sum) and ``max_indices`` (for max,
    the row each maximum came from, 0 in an empty bag; for mean, ``bag_size`` again; zeros
    for a sum).

    >>> import chainrule as cr
    >>> w = cr.tensor([[1.0, 5.0], [3.0, 0.0]])
    >>> out, offset2bag, bag_size, max_indices = cr.embedding_bag(
    ...     w, cr.tensor([0, 1]), cr.tensor([0]), False, 2
    ... )
    >>> out, max_indices
    (tensor([[3., 5.]]), tensor([[1, 0]]))
    """
    if mode not in (0, 1, 2):
        raise RuntimeError("`mode` must be sum, mean, or max.")
    if per_sample_weights is not None and mode != 0:
        raise RuntimeError("embedding_bag: per_sample_weights only supported with mode='sum'")
    flat = indices.reshape(-1)
    out = F.embedding_bag(
        flat,
        weight,
        offsets,
        None,
        2,
        scale_grad_by_freq and mode != 2,  # ATen's max ignores it (F's refuses it)
        _BAG_MODES[mode],
        sparse,
        None if per_sample_weights is None else per_sample_weights.reshape(-1),
        include_last_offset,
        padding_idx,
    )
    return out, *_bag_bookkeeping(weight, flat, offsets, mode, include_last_offset, padding_idx)


def _bag_bookkeeping(
    weight: Tensor,
    indices: Tensor,
    offsets: Tensor,
    mode: int,
    include_last_offset: bool,
    padding_idx: int | None,
) -> tuple[Tensor, Tensor, Tensor]:
    """``(offset2bag, bag_size, max_indices)`` as PyTorch's CPU kernel returns them."""
    starts = offsets._data.astype(xp.int64)
    starts = starts[:-1] if include_last_offset else starts
    index = indices._data.astype(xp.int64)
    bags = len(starts)
    kind = indices._data.dtype
    if mode == 0:
        zeros = xp.zeros(bags, kind)
        fast = padding_idx is None and weight._data.dtype in (xp.float32, xp.float16)
        bag = xp.zeros(0, xp.int64) if fast else _bag_of(starts, len(index))
        return _make(bag.astype(kind)), _make(zeros), _make(zeros.copy())
    bag = _bag_of(starts, len(index))
    kept = xp.ones(len(index), bool)
    if padding_idx is not None:
        kept = index != padding_idx % weight.shape[0]
    size = xp.bincount(bag[kept], minlength=bags).astype(xp.int64)
    bag, size = bag.astype(kind), size.astype(kind)
    if mode == 1:
        return _make(bag), _make(size), _make(size.copy())
    rows = weight.detach()._data
    best = xp.zeros((bags, rows.shape[1]), kind)
    for b in range(bags):
        members = index[(bag == b) & kept]
        if len(members):  # the first maximum of each column, as the kernel keeps it
            best[b] = members[xp.argmax(rows[members], axis=0)]
    return _make(bag), _make(size), _make(best)


def _bag_of(starts: Any, count: int) -> Any:
    """The bag of each of ``count`` indices, bags starting at ``starts``."""
    return (xp.searchsorted(starts, xp.arange(count), side="right") - 1).astype(xp.int64)


def embedding_renorm_(
    input: Tensor,  # noqa: A002
    indices: Tensor,
    max_norm: float,
    norm_type: float,
) -> Tensor:
    """The rows of ``input`` that ``indices`` picks rescaled in place to a ``norm_type``-norm
    of at most ``max_norm`` (what ``embedding``'s ``max_norm`` does first)."""
    tensor_argument("embedding_renorm_", input)
    if input.requires_grad and input._grad_fn is None and grad_mode.is_grad_enabled():
        raise RuntimeError(
            "a leaf Variable that requires grad is being used in an in-place operation."
        )
    F._renorm_rows(input, indices, max_norm, norm_type)
    return input


# ---- dropout: torch.dropout(input, p, train) is in chainrule.ops.torch_toplevel
# ---- activations
def selu(input: Tensor) -> Tensor:  # noqa: A002
    """``torch.selu``: :func:`chainrule.nn.functional.selu`."""
    tensor_argument("selu", input)
    return F.selu(input)


def celu(input: Tensor, alpha: float = 1.0) -> Tensor:  # noqa: A002
    """``torch.celu``: :func:`chainrule.nn.functional.celu`."""
    tensor_argument("celu", input)
    return F.celu(input, alpha)


def threshold(input: Tensor, threshold: float, value: float) -> Tensor:  # noqa: A002
    """``torch.threshold``: :func:`chainrule.nn.functional.threshold`."""
    tensor_argument("threshold", input)
    return F.threshold(input, threshold, value)


def rrelu(
    input: Tensor,  # noqa: A002
    lower: float = 1.0 / 8,
    upper: float = 1.0 / 3,
    training: bool = False,
    generator: Any = None,
) -> Tensor:
    """``torch.rrelu``: :func:`chainrule.nn.functional.rrelu` (the default generator only)."""
    tensor_argument("rrelu", input)
    if generator is not None:
        raise NotImplementedError("rrelu: a generator argument is not supported")
    return F.rrelu(input, lower, upper, training)


# ---- losses: reduction an integer, none by default (PyTorch's top-level bindings)
def kl_div(
    input: Tensor,  # noqa: A002
    target: Tensor,
    reduction: int = 0,
    *,
    log_target: bool = False,
) -> Tensor:
    """``torch.kl_div``: :func:`chainrule.nn.functional.kl_div`; mean is over all elements
    (no warning, as at PyTorch's top level)."""
    mode = _reduction("kl_div", reduction, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return F.kl_div(input, target, reduction=mode, log_target=log_target)


def binary_cross_entropy_with_logits(
    input: Tensor,  # noqa: A002
    target: Tensor,
    weight: Tensor | None = None,
    pos_weight: Tensor | None = None,
    reduction: int = 0,
) -> Tensor:
    """``torch.binary_cross_entropy_with_logits``: pos_weight before reduction."""
    mode = _reduction("binary_cross_entropy_with_logits", reduction, 5)
    return F.binary_cross_entropy_with_logits(
        input, target, weight, reduction=mode, pos_weight=pos_weight
    )


def cosine_embedding_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0.0,
    reduction: int = 0,
) -> Tensor:
    """``torch.cosine_embedding_loss``: :func:`chainrule.nn.functional.cosine_embedding_loss`."""
    mode = _reduction("cosine_embedding_loss", reduction, 5)
    return F.cosine_embedding_loss(input1, input2, target, margin, reduction=mode)


def hinge_embedding_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    margin: float = 1.0,
    reduction: int = 0,
) -> Tensor:
    """``torch.hinge_embedding_loss``: :func:`chainrule.nn.functional.hinge_embedding_loss`."""
    mode = _reduction("hinge_embedding_loss", reduction, 4)
    return F.hinge_embedding_loss(input, target, margin, reduction=mode)


def margin_ranking_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0.0,
    reduction: int = 0,
) -> Tensor:
    """``torch.margin_ranking_loss``: :func:`chainrule.nn.functional.margin_ranking_loss`."""
    mode = _reduction("margin_ranking_loss", reduction, 5)
    return F.margin_ranking_loss(input1, input2, target, margin, reduction=mode)


def poisson_nll_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    log_input: bool,
    full: bool,
    eps: float,
    reduction: int,
) -> Tensor:
    """``torch.poisson_nll_loss``: every argument required, as at PyTorch's top level."""
    mode = _reduction("poisson_nll_loss", reduction, 6)
    return F.poisson_nll_loss(input, target, log_input, full, eps=eps, reduction=mode)


def triplet_margin_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    margin: float = 1.0,
    p: float = 2.0,
    eps: float = 1e-6,
    swap: bool = False,
    reduction: int = 0,
) -> Tensor:
    """``torch.triplet_margin_loss``: :func:`chainrule.nn.functional.triplet_margin_loss`."""
    mode = _reduction("triplet_margin_loss", reduction, 8)
    return F.triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap, reduction=mode)


# ---- pooling and padding
def avg_pool1d(
    input: Tensor,  # noqa: A002
    kernel_size: Any,
    stride: Any = (),
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """``torch.avg_pool1d``: an empty ``stride`` (the default) is the kernel size."""
    return F.avg_pool1d(input, kernel_size, _stride(stride), padding, ceil_mode, count_include_pad)


def max_pool1d(
    input: Tensor,  # noqa: A002
    kernel_size: Any,
    stride: Any = (),
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
) -> Tensor:
    """``torch.max_pool1d``: no ``return_indices`` (see :func:`max_pool1d_with_indices`)."""
    return F.max_pool1d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool2d(
    input: Tensor,  # noqa: A002
    kernel_size: Any,
    stride: Any = (),
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
) -> Tensor:
    """``torch.max_pool2d``: :func:`chainrule.nn.functional.max_pool2d` without indices."""
    return F.max_pool2d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool3d(
    input: Tensor,  # noqa: A002
    kernel_size: Any,
    stride: Any = (),
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
) -> Tensor:
    """``torch.max_pool3d``: :func:`chainrule.nn.functional.max_pool3d` without indices."""
    return F.max_pool3d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool1d_with_indices(
    input: Tensor,  # noqa: A002
    kernel_size: Any,
    stride: Any = (),
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
) -> tuple[Tensor, Tensor]:
    """``torch.max_pool1d_with_indices``: the maxima and where they are."""
    stride = _stride(stride)
    return F.max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def adaptive_max_pool1d(input: Tensor, output_size: Any) -> tuple[Tensor, Tensor]:  # noqa: A002
    """``torch.adaptive_max_pool1d``: the maxima and their indices, always both."""
    return F.adaptive_max_pool1d(input, output_size, True)


def constant_pad_nd(input: Tensor, pad: Sequence[int], value: float = 0) -> Tensor:  # noqa: A002
    """``torch.constant_pad_nd``: :func:`chainrule.nn.functional.pad` with a constant; a
    negative amount crops that side (a slice, then the padding of the rest).

    >>> import chainrule as cr
    >>> cr.constant_pad_nd(cr.tensor([1.0, 2.0, 3.0]), [-1, 2], 9.0)
    tensor([2., 3., 9., 9.])
    """
    pad = int_window(pad, 0, "constant_pad_nd", "pad", 2)  # PyTorch's parser: ints, no bool
    if len(pad) % 2:
        raise RuntimeError(f"Length of pad must be even but instead it equals {len(pad)}")
    if len(pad) > 2 * input.ndim:
        raise RuntimeError(
            "Length of pad should be no more than twice the number of dimensions of the input. "
            f"Pad length is {len(pad)}while the input has {input.ndim}dimensions."
        )
    key = [slice(None)] * input.ndim
    for k in range(0, len(pad), 2):
        dim, left, right = input.ndim - 1 - k // 2, pad[k], pad[k + 1]
        if input.shape[dim] + min(left, 0) + min(right, 0) < 0:
            raise RuntimeError("narrow(): length must be non-negative.")
        key[dim] = slice(max(-left, 0), input.shape[dim] - max(-right, 0))
    cropped = input[tuple(key)] if any(amount < 0 for amount in pad) else input
    return F.pad(cropped, [max(amount, 0) for amount in pad], "constant", value)


# ---- sampling grids
def affine_grid_generator(theta: Tensor, size: Sequence[int], align_corners: bool) -> Tensor:
    """``torch.affine_grid_generator``: :func:`chainrule.nn.functional.affine_grid` (whose
    checks of ``theta`` and ``size`` come first: here the parser's of ``align_corners``)."""
    if type(align_corners) is not bool:  # (None too: F's default, with a warning)
        boolean(align_corners, "affine_grid_generator", "align_corners", 3)
    return F.affine_grid(theta, size, align_corners)


_INTERPOLATION = ("bilinear", "nearest", "bicubic")
_PADDING = ("zeros", "border", "reflection")


def grid_sampler(
    input: Tensor,  # noqa: A002
    grid: Tensor,
    interpolation_mode: int,
    padding_mode: int,
    align_corners: bool,
) -> Tensor:
    """``torch.grid_sampler``: :func:`chainrule.nn.functional.grid_sample` with the modes as
    integers (0 bilinear, 1 nearest, 2 bicubic; padding 0 zeros, 1 border, 2 reflection)."""
    if type(align_corners) is not bool:  # (None too: F's default, with a warning)
        boolean(align_corners, "grid_sampler", "align_corners", 5)
    if interpolation_mode not in (0, 1, 2) or padding_mode not in (0, 1, 2):
        raise RuntimeError(
            f"grid_sampler: modes 0, 1 or 2 expected, got interpolation_mode="
            f"{interpolation_mode} and padding_mode={padding_mode}"
        )
    return F.grid_sample(
        input, grid, _INTERPOLATION[interpolation_mode], _PADDING[padding_mode], align_corners
    )


def grid_sampler_2d(
    input: Tensor,  # noqa: A002
    grid: Tensor,
    interpolation_mode: int,
    padding_mode: int,
    align_corners: bool,
) -> Tensor:
    """:func:`grid_sampler` of a 4-d (N, C, H, W) input."""
    _sampler_dims(input, grid, 4)
    return grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners)


def grid_sampler_3d(
    input: Tensor,  # noqa: A002
    grid: Tensor,
    interpolation_mode: int,
    padding_mode: int,
    align_corners: bool,
) -> Tensor:
    """:func:`grid_sampler` of a 5-d (N, C, D, H, W) input."""
    _sampler_dims(input, grid, 5)
    return grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners)


def _sampler_dims(input: Tensor, grid: Tensor, ndim: int) -> None:  # noqa: A002
    if input.ndim != ndim or grid.ndim != ndim:
        raise RuntimeError(
            f"grid_sampler(): expected {ndim}D input and grid with same number of dimensions, "
            f"but got input with sizes {list(input.shape)} and grid with sizes "
            f"{list(grid.shape)}"
        )


# ---- recurrent cells: one step, through nn.RNN's step
def rnn_tanh_cell(
    input: Tensor,  # noqa: A002
    hx: Tensor,
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor | None = None,
    b_hh: Tensor | None = None,
) -> Tensor:
    """``tanh(input W_ih^T + b_ih + hx W_hh^T + b_hh)``: one Elman step."""
    return _step("RNN_TANH", F.linear(input, w_ih, b_ih), hx, None, w_hh, b_hh)


def rnn_relu_cell(
    input: Tensor,  # noqa: A002
    hx: Tensor,
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor | None = None,
    b_hh: Tensor | None = None,
) -> Tensor:
    """``relu(input W_ih^T + b_ih + hx W_hh^T + b_hh)``: one Elman step."""
    return _step("RNN_RELU", F.linear(input, w_ih, b_ih), hx, None, w_hh, b_hh)


def gru_cell(
    input: Tensor,  # noqa: A002
    hx: Tensor,
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor | None = None,
    b_hh: Tensor | None = None,
) -> Tensor:
    """One GRU step (gates reset, update, new, as ``nn.GRUCell``)."""
    return _step("GRU", F.linear(input, w_ih, b_ih), hx, None, w_hh, b_hh)


def lstm_cell(
    input: Tensor,  # noqa: A002
    hx: Sequence[Tensor],
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor | None = None,
    b_hh: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """One LSTM step from ``hx = (h, c)``: ``(h', c')`` (gates input, forget, cell, output)."""
    if len(hx) != 2:
        raise RuntimeError("lstm_cell expects two hidden states")
    h, c = _step("LSTM", F.linear(input, w_ih, b_ih), hx[0], hx[1], w_hh, b_hh)
    return h, c


# ---- recurrent layers over a sequence, the weights given as PyTorch's flat list
class _FlatWeights:
    """What ``nn.RNNBase``'s layer loop reads, from ``torch.lstm``'s arguments: the weights
    of each layer and direction in PyTorch's order (w_ih, w_hh, then b_ih, b_hh), so that the
    sequence runs through the recurrent layers' own code."""

    _suffixes = RNNBase._suffixes
    _layers = RNNBase._layers
    _run_direction = RNNBase._run_direction

    def __init__(
        self,
        mode: str,
        params: Sequence[Tensor],
        has_biases: bool,
        num_layers: int,
        dropout: float,
        train: bool,
        bidirectional: bool,
    ) -> None:
        self.mode, self.bias, self.num_layers = mode, has_biases, num_layers
        self.dropout, self.training, self.bidirectional = float(dropout), train, bidirectional
        self.proj_size = 0
        names = ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if has_biases else [])
        suffixes = [s for layer in range(num_layers) for s in self._suffixes(layer)]
        if len(params) != len(names) * len(suffixes):
            raise NotImplementedError(
                f"{mode.lower()}: expected {len(names) * len(suffixes)} weights (projections "
                f"are not supported), got {len(params)}"
            )
        weights = iter(params)
        for suffix in suffixes:
            for name in names:
                setattr(self, name + suffix, next(weights))

    def run(self, input: Tensor, states: tuple[Tensor, ...], batch_first: bool) -> Any:  # noqa: A002
        if not isinstance(states[0], Tensor) or input.ndim != 3:
            raise NotImplementedError(
                f"{self.mode.lower()}: only a padded (L, N, H) or batch-first input is supported"
            )
        x = input.transpose(0, 1) if batch_first else input
        out, finals = self._layers(x, states)
        return (out.transpose(0, 1) if batch_first else out), *finals


def lstm(
    input: Tensor,  # noqa: A002
    hx: Sequence[Tensor],
    params: Sequence[Tensor],
    has_biases: bool,
    num_layers: int,
    dropout: float,
    train: bool,
    bidirectional: bool,
    batch_first: bool,
) -> tuple[Tensor, Tensor, Tensor]:
    """``(output, h_n, c_n)`` of a multi-layer LSTM from ``hx = (h_0, c_0)`` and the flat
    ``params``: ``torch.lstm``, what ``nn.LSTM`` calls (a packed input is not supported).

    >>> import chainrule as cr
    >>> w = [cr.ones(8, 3), cr.ones(8, 2), cr.zeros(8), cr.zeros(8)]
    >>> h = cr.zeros(1, 4, 2)
    >>> out = cr.lstm(cr.ones(5, 4, 3), (h, h), w, True, 1, 0.0, False, False, False)
    >>> [tuple(t.shape) for t in out]
    [(5, 4, 2), (1, 4, 2), (1, 4, 2)]
    """
    flat = _FlatWeights("LSTM", params, has_biases, num_layers, dropout, train, bidirectional)
    return flat.run(input, tuple(hx), batch_first)


def gru(
    input: Tensor,  # noqa: A002
    hx: Tensor,
    params: Sequence[Tensor],
    has_biases: bool,
    num_layers: int,
    dropout: float,
    train: bool,
    bidirectional: bool,
    batch_first: bool,
) -> tuple[Tensor, Tensor]:
    """``(output, h_n)`` of a multi-layer GRU: ``torch.gru``, as :func:`lstm`."""
    flat = _FlatWeights("GRU", params, has_biases, num_layers, dropout, train, bidirectional)
    return flat.run(input, (hx,), batch_first)


def rnn_tanh(
    input: Tensor,  # noqa: A002
    hx: Tensor,
    params: Sequence[Tensor],
    has_biases: bool,
    num_layers: int,
    dropout: float,
    train: bool,
    bidirectional: bool,
    batch_first: bool,
) -> tuple[Tensor, Tensor]:
    """``(output, h_n)`` of a multi-layer tanh RNN: ``torch.rnn_tanh``, as :func:`lstm`."""
    flat = _FlatWeights("RNN_TANH", params, has_biases, num_layers, dropout, train, bidirectional)
    return flat.run(input, (hx,), batch_first)


def rnn_relu(
    input: Tensor,  # noqa: A002
    hx: Tensor,
    params: Sequence[Tensor],
    has_biases: bool,
    num_layers: int,
    dropout: float,
    train: bool,
    bidirectional: bool,
    batch_first: bool,
) -> tuple[Tensor, Tensor]:
    """``(output, h_n)`` of a multi-layer relu RNN: ``torch.rnn_relu``, as :func:`lstm`."""
    flat = _FlatWeights("RNN_RELU", params, has_biases, num_layers, dropout, train, bidirectional)
    return flat.run(input, (hx,), batch_first)
