"""``nn.AdaptiveLogSoftmaxWithLoss``: the adaptive softmax of Grave et al. (2017), "Efficient
softmax approximation for GPUs".

Classes are split by ``cutoffs`` into a shortlist (the frequent ones) and clusters of rarer ones.
A head scores the shortlist and one logit per cluster; each cluster scores its own classes
through a bottleneck of ``in_features // div_value ** (i + 1)`` features. A class in a cluster
has log-probability ``log p(cluster) + log p(class | cluster)``.

    >>> import chainrule as cr
    >>> _ = cr.manual_seed(0)
    >>> asm = cr.nn.AdaptiveLogSoftmaxWithLoss(4, 6, cutoffs=[2, 4])
    >>> x = cr.randn(3, 4)
    >>> out = asm(x, cr.tensor([0, 3, 5]))
    >>> out.output.shape, out.loss.shape
    (chainrule.Size([3]), chainrule.Size([]))
    >>> asm.log_prob(x).exp().sum(1).allclose(cr.ones(3))
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from chainrule._array import xp
from chainrule.factories import zeros
from chainrule.grad_mode import no_grad
from chainrule.nn.container import ModuleList, Sequential
from chainrule.nn.functional import log_softmax
from chainrule.nn.layers import Linear
from chainrule.nn.module import Module
from chainrule.ops.shape import cat
from chainrule.tensor import Tensor


class _ASMoutput(NamedTuple):
    """``forward``'s result: each row's log-probability of its target, and the mean loss."""

    output: Tensor
    loss: Tensor


class AdaptiveLogSoftmaxWithLoss(Module):
    """The adaptive softmax: log-probabilities over ``n_classes`` through a head over the first
    ``cutoffs[0]`` classes and one small two-layer projection per further cluster.

    ``forward(input, target)`` gives each row's log-probability of its target and the negative
    log-likelihood averaged over rows; ``log_prob`` gives every class's; ``predict`` the most
    probable class of each row.
    """

    def __init__(
        self,
        in_features: int,
        n_classes: int,
        cutoffs: Sequence[int],
        div_value: float = 4.0,
        head_bias: bool = False,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        cutoffs = list(cutoffs)
        if len(cutoffs) == 0:
            raise ValueError("cutoffs should be a sequence of length larger than 0")
        if (
            cutoffs != sorted(cutoffs)
            or len(set(cutoffs)) != len(cutoffs)
            or cutoffs[0] <= 0
            or cutoffs[-1] > n_classes - 1
            or any(int(c) != c for c in cutoffs)
        ):
            raise ValueError(
                "cutoffs should be a sequence of unique, positive integers sorted in an "
                "increasing order, where each value is between 1 and n_classes-1"
            )
        self.in_features = in_features
        self.n_classes = n_classes
        self.cutoffs = [*cutoffs, n_classes]  # each cluster ends where the next begins
        self.div_value = div_value
        self.head_bias = head_bias
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        factory = {"device": device, "dtype": dtype}
        # created in this order (head, then each cluster's two layers) so that a seed draws
        # the same initial weights as PyTorch's
        self.head = Linear(in_features, self.head_size, bias=head_bias, **factory)
        self.tail = ModuleList()
        for i in range(self.n_clusters):
            hidden = int(in_features // div_value ** (i + 1))
            size = self.cutoffs[i + 1] - self.cutoffs[i]
            self.tail.append(
                Sequential(
                    Linear(in_features, hidden, bias=False, **factory),
                    Linear(hidden, size, bias=False, **factory),
                )
            )

    def reset_parameters(self) -> None:
        self.head.reset_parameters()
        for cluster in self.tail:
            for layer in cluster:
                layer.reset_parameters()

    def forward(self, input: Tensor, target: Tensor) -> _ASMoutput:  # noqa: A002
        batched = _check_shapes(input, target)
        if not batched:
            input, target = input.unsqueeze(0), target.unsqueeze(0)
        labels = target.detach().numpy()
        if labels.size and (labels.min() < 0 or labels.max() >= self.n_classes):
            raise RuntimeError(
                f"Target values should be in [0, {self.n_classes - 1}], but values in range "
                f"[{labels.min()}, {labels.max()}] were found. "
            )
        # which cluster each row's target falls in: 0 for the shortlist, i + 1 for cluster i
        cluster = xp.searchsorted(self.cutoffs[:-1], labels, side="right")
        in_head = xp.where(cluster == 0, labels, self.shortlist_size + cluster - 1)
        head_log_prob = log_softmax(self.head(input), dim=1)
        index = target.new_tensor(in_head).unsqueeze(1)
        output = head_log_prob.gather(1, index).squeeze(1)
        # each cluster is evaluated only on the rows whose target it holds: the point of the
        # method, since clusters of rare classes are rarely needed
        within = zeros(len(labels), dtype=output.dtype)
        for i, layers in enumerate(self.tail):
            rows = xp.flatnonzero(cluster == i + 1)
            if rows.size == 0:
                continue
            picked = target.new_tensor(rows)
            tail_log_prob = log_softmax(layers(input[picked]), dim=1)
            offsets = target.new_tensor(labels[rows] - self.cutoffs[i]).unsqueeze(1)
            within = within.index_add(0, picked, tail_log_prob.gather(1, offsets).squeeze(1))
        output = output + within
        loss = (-output).mean()
        return _ASMoutput(output if batched else output.squeeze(0), loss)

    def log_prob(self, input: Tensor) -> Tensor:  # noqa: A002
        """Every class's log-probability for each row of a (batch, in_features) ``input``."""
        _check_matrix(input)
        head_log_prob = log_softmax(self.head(input), dim=1)
        parts = [head_log_prob[:, : self.shortlist_size]]
        for i, layers in enumerate(self.tail):
            cluster = self.shortlist_size + i
            parts.append(
                head_log_prob[:, cluster : cluster + 1] + log_softmax(layers(input), dim=1)
            )
        return cat(parts, dim=1)

    def predict(self, input: Tensor) -> Tensor:  # noqa: A002
        """The most probable class of each row.

        A row whose best head entry is a shortlist class needs no cluster: every class in a
        cluster is at most as probable as the cluster itself. Only the other rows pay for the
        full ``log_prob``.
        """
        _check_matrix(input)
        with no_grad():
            best = self.head(input).argmax(dim=1)
            rows = xp.flatnonzero(best.numpy() >= self.shortlist_size)
            if rows.size:
                picked = best.new_tensor(rows)
                best[picked] = self.log_prob(input[picked]).argmax(dim=1)
        return best


def _check_shapes(input: Tensor, target: Tensor) -> bool:  # noqa: A002
    """PyTorch's checks of the input and target shapes, in its order; whether batched."""
    if target.dim() == 1:
        if input.size(0) != target.size(0):
            raise RuntimeError("Input and target should have the same size in the batch dimension.")
        if input.dim() != 2:
            raise RuntimeError(
                "1D target tensor expects 2D input tensors, but found inputs with size "
                f"{input.size()}"
            )
        return True
    if target.dim() == 0:
        if input.dim() != 1:
            raise RuntimeError(
                "0D target tensor expects 1D input tensors, but found inputs with size "
                f"{input.size()}"
            )
        return False
    raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")


def _check_matrix(input: Tensor) -> None:  # noqa: A002
    # a 1-D input fails in the head as PyTorch's does; more dimensions would be sliced on the
    # wrong axis below, so they are refused rather than answered wrongly
    if input.dim() > 2:
        raise RuntimeError(
            f"expected a 2D input (batch, in_features), but found inputs with size {input.size()}"
        )
