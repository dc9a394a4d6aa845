"""The connectionist temporal classification (CTC) loss, PyTorch's ``F.ctc_loss``.

The loss of one sequence is ``-log p(target | log_probs)``, summed over every alignment of the
target (with blanks between and around its labels) to the input's time steps. The forward
pass is the alpha recursion of Graves et al. (2006) in log space, vectorised over the batch
and the extended label positions, with a Python loop over time only; the backward pass runs
the beta recursion and gives PyTorch's gradient (see :class:`CtcLoss`).

    >>> import chainrule as cr
    >>> log_probs = cr.tensor([[[-0.5, -1.0]], [[-1.0, -0.5]]], requires_grad=True)
    >>> loss = ctc_loss(log_probs, cr.tensor([[1]]), (2,), (1,), reduction="sum")
    >>> round(loss.item(), 4)
    0.3197
"""

from __future__ import annotations

from typing import Any

from chainrule import dtypes
from chainrule._array import xp
from chainrule.arguments import no_overload
from chainrule.autodiff import batching
from chainrule.op import Op
from chainrule.ops import dual
from chainrule.ops.losses import check_reduction
from chainrule.tensor import Tensor, _make

_new_op = object.__new__

_CHECKING = " (while checking arguments for ctc_loss_allocate_outputs)"
_NEG_INF = -xp.inf


def _logsumexp(*terms: Any) -> Any:
    """log(sum(exp(terms))) elementwise, -inf where every term is -inf (no nan). As in
    PyTorch's kernel only a -inf maximum is replaced: a +inf log-probability gives nan (inf -
    inf), not an infinite likelihood (a loss of -inf, which zero_infinity would zero)."""
    top = terms[0]
    for term in terms[1:]:
        top = xp.maximum(top, term)
    safe = xp.where(top == _NEG_INF, 0.0, top)
    with xp.errstate(divide="ignore", invalid="ignore"):
        total = sum(xp.exp(term - safe) for term in terms)
        return xp.log(total) + safe


def _shifted(values: Any, by: int) -> Any:
    """``values`` moved ``by`` places to the right along the last axis, -inf filled in (a
    negative ``by`` moves them left)."""
    out = xp.full_like(values, _NEG_INF)
    if by > 0:
        out[..., by:] = values[..., :-by]
    else:
        out[..., :by] = values[..., -by:]
    return out


def _batched(op: CtcLoss, values: list[Any], batched: list[bool], size: int) -> Tensor:
    """CTC's vmap rule: the examples' sequences as one batch of ``size * N`` sequences (the
    targets and lengths repeated), one loss op over all of them."""
    if op.of is not None:  # the gradient role: (g, log_probs), its loss recomputed tiled
        g, log_probs = values
        g = g if batched[0] else g.unsqueeze(0).expand((size, *g.shape))
    else:
        (log_probs,) = values
    if not (batched[-1]):
        log_probs = log_probs.unsqueeze(0).expand((size, *log_probs.shape))
    _, time, n, classes = log_probs.shape
    sequences = log_probs.permute(1, 0, 2, 3).reshape(time, size * n, classes)
    loss = op.of if op.of is not None else op
    tiled = CtcLoss(
        xp.tile(loss.targets, (size, 1)),
        xp.tile(loss.input_lengths, size),
        xp.tile(loss.target_lengths, size),
        loss.blank,
        loss.zero_infinity,
    )
    if op.of is None:
        return tiled(sequences).reshape(size, n)
    tiled.forward(sequences._data)  # the recursion the gradient reads
    gradient = CtcLoss.gradient_of(tiled)(g.reshape(size * n), sequences)
    return gradient.reshape(time, size, n, classes).permute(1, 0, 2, 3)


class CtcLoss(Op):
    """The per-sequence CTC losses (N,) of log-probabilities (T, N, C); the targets, lengths
    and blank are settings.

    The gradient is PyTorch's: ``grad_out * (exp(lp) - exp(log(sum_s alpha beta) + nll - lp))``
    at the time steps within each input length, 0 after. The second term alone is the
    derivative of the loss with respect to ``log_probs``; the first, ``exp(lp)``, is what
    makes the sum the derivative with respect to the logits before a log-softmax. PyTorch adds
    it on the assumption that ``log_probs`` are normalised, and so does chainrule, so for
    unnormalised inputs both give that same (not the mathematical) gradient. With
    ``zero_infinity`` an impossible alignment (an infinite loss) gives loss 0 and gradient 0.

    Under ``create_graph`` the gradient is recorded as a node of this class in its gradient
    role (``of`` the loss node, inputs ``g`` and ``log_probs``), which, as PyTorch's
    ``NotImplemented`` node, has no derivative: reaching it raises PyTorch's error. Forward
    mode is refused with PyTorch's error too.
    """

    notation = "-log sum_alignments prod_t exp(lp[t, l'(t)])"
    derivatives = ("exp(lp) - exp(log(sum_s alpha beta) + nll - lp), as PyTorch's",)
    batch_rule = staticmethod(_batched)

    def __init__(self, targets: Any, input_lengths: Any, target_lengths: Any, blank: int,
                 zero_infinity: bool) -> None:  # fmt: skip
        self.targets = targets  # (N, S) padded, int64
        self.input_lengths = input_lengths
        self.target_lengths = target_lengths
        self.blank = blank
        self.zero_infinity = zero_infinity
        self.of: CtcLoss | None = None

    @classmethod
    def gradient_of(cls, loss: CtcLoss) -> CtcLoss:
        """The node of ``loss``'s gradient (the gradient role)."""
        node = _new_op(cls)
        node.of = loss
        return node

    def default_name(self) -> str:
        return (
            "chainrule::autograd::NotImplemented" if self.of is not None else super().default_name()
        )

    def __repr__(self) -> str:
        if self.of is not None:
            return f"<NotImplemented object at {hex(id(self))}>"
        return super().__repr__()

    def _extended(self, classes: int) -> tuple[Any, Any, Any]:
        """The extended labels l' (N, 2S + 1) (blanks at the even places), which places each
        sequence uses, and where the skip over a blank (s - 2 -> s) is allowed."""
        n, s = self.targets.shape
        labels = xp.full((n, 2 * s + 1), self.blank, dtype=xp.int64)
        labels[:, 1::2] = self.targets
        places = xp.arange(2 * s + 1)
        used = places[None, :] < 2 * self.target_lengths[:, None] + 1
        skip = xp.zeros_like(used)
        skip[:, 2:] = (labels[:, 2:] != self.blank) & (labels[:, 2:] != labels[:, :-2])
        return labels, used, skip

    def forward(self, *args):
        if self.of is not None:  # the gradient role: (g, log_probs)
            return self.of._gradient(*args)
        (log_probs,) = args
        time, n, classes = log_probs.shape
        lp = log_probs.astype(xp.float64)  # the recursion sums many terms: in double
        labels, used, skip = self._extended(classes)
        rows = xp.arange(n)[:, None]
        picked = xp.where(used[None], lp[:, rows, labels], _NEG_INF)  # (T, N, 2S + 1)
        alpha = xp.full(picked.shape, _NEG_INF)
        alpha[0, :, :2] = picked[0, :, :2]
        for t in range(1, time):
            prev = alpha[t - 1]
            two_back = xp.where(skip, _shifted(prev, 2), _NEG_INF)
            alpha[t] = _logsumexp(prev, _shifted(prev, 1), two_back) + picked[t]
        last = xp.maximum(self.input_lengths - 1, 0)
        ends = 2 * self.target_lengths
        at_end = alpha[last, xp.arange(n)]
        final = at_end[xp.arange(n), ends]
        before = xp.where(ends > 0, at_end[xp.arange(n), xp.maximum(ends - 1, 0)], _NEG_INF)
        nll = -_logsumexp(final, before)
        # No time step: the empty target has probability 1, any other 0.
        nll = xp.where(self.input_lengths == 0, xp.where(ends == 0, -0.0, xp.inf), nll)
        self.alpha, self.picked, self.labels, self.skip, self.nll = alpha, picked, labels, skip, nll
        if self.zero_infinity:
            nll = xp.where(xp.isinf(nll), 0.0, nll)
        return nll.astype(log_probs.dtype)

    def _gradient(self, g, log_probs):
        """PyTorch's gradient of the losses with respect to ``log_probs``, given ``g`` (N,)."""
        time, n, classes = log_probs.shape
        lp = log_probs.astype(xp.float64)
        alpha, picked, skip, nll = self.alpha, self.picked, self.skip, self.nll
        steps = xp.arange(time)[:, None]
        beta = xp.full(alpha.shape, _NEG_INF)
        rows = xp.arange(n)
        ends = 2 * self.target_lengths
        start = xp.full(alpha.shape[1:], _NEG_INF)
        start[rows, ends] = 0.0
        start[rows, xp.maximum(ends - 1, 0)] = xp.where(ends > 0, 0.0, start[rows, 0])
        skip_from = xp.zeros_like(skip)  # s -> s + 2 is allowed where s + 2 -> s... is skip
        skip_from[:, :-2] = skip[:, 2:]
        following = xp.full(alpha.shape[1:], _NEG_INF)
        for t in range(time - 1, -1, -1):
            two_ahead = xp.where(skip_from, _shifted(following, -2), _NEG_INF)
            carried = _logsumexp(following, _shifted(following, -1), two_ahead)
            here = xp.where((t == self.input_lengths - 1)[:, None], start, carried)
            beta[t] = xp.where((t < self.input_lengths)[:, None], here + picked[t], _NEG_INF)
            following = beta[t]
        both = alpha + beta  # (T, N, 2S + 1): log of the paths through (t, s)
        top = both.max(axis=2, keepdims=True)
        top = xp.where(xp.isfinite(top), top, 0.0)
        summed = xp.zeros((time, n, classes))
        index = (steps[:, :, None], rows[None, :, None], self.labels[None])
        xp.add.at(summed, index, xp.exp(both - top))
        with xp.errstate(divide="ignore", invalid="ignore", over="ignore"):
            log_paths = xp.log(summed) + top
            grad = xp.exp(lp) - xp.exp(log_paths + nll[None, :, None] - lp)
        grad = xp.where((steps < self.input_lengths[None, :])[:, :, None], grad, 0.0)
        if self.zero_infinity:
            grad = xp.where(xp.isinf(nll)[None, :, None], 0.0, grad)
        return (grad * g[None, :, None]).astype(log_probs.dtype)

    def vjp(self, g, out, *args):
        if self.of is not None:
            raise RuntimeError("derivative for aten::_ctc_loss_backward is not implemented")
        return (_loss_gradient(self, g, args[0]),)

    def jvp(self, tangents, out, *args):
        name = "_ctc_loss_backward" if self.of is not None else "_ctc_loss"
        raise NotImplementedError(
            f"Trying to use forward AD with {name} that does not support it because it has "
            "not been implemented yet.\nPlease file an issue to PyTorch at "
            "https://github.com/pytorch/pytorch/issues/new?template=feature-request.yml so "
            "that we can prioritize its implementation or submit a PR adding the "
            "implementation to derivatives.yaml"
        )


# The gradient on arrays; under create_graph, a node with no derivative of its own, as PyTorch's.
_loss_gradient = dual.both(
    lambda op, g, log_probs: op._gradient(g, log_probs),
    lambda op, g, log_probs: CtcLoss.gradient_of(op)(g, log_probs),
    "op, g, log_probs",
    ("g",),
)


def _values(t: Tensor, name: str) -> Any:
    """The array of a tensor of labels or lengths: constants of the loss, also inside a
    transform (where ``numpy()`` is refused); a vmap that batches them is refused."""
    if type(t) is batching.BatchedTensor:
        raise NotImplementedError(f"ctc_loss: vmap over the {name} is not supported")
    return t._data


def _lengths(lengths: Any, name: str) -> Any:
    """Input or target lengths (a tensor, tuple or list of integers) as an int64 array."""
    if isinstance(lengths, Tensor):
        if lengths.dtype.dtype.kind not in "iu":
            raise RuntimeError(f"{name} must be integral")
        return xp.asarray(_values(lengths, name), dtype=xp.int64).reshape(-1)
    if isinstance(lengths, (tuple, list)):
        return xp.asarray(lengths, dtype=xp.int64).reshape(-1)
    raise TypeError(
        f"ctc_loss(): {name} must be a tuple of ints or a Tensor, not {type(lengths).__name__}"
    )


def _check_lengths(lengths: Any, name: str, most: int | None = None) -> None:
    for value in lengths:
        if value < 0:
            raise RuntimeError(
                f"Expected {name} to have value at least 0, but got value {value}{_CHECKING}"
            )
        if most is not None and value > most:
            raise RuntimeError(
                f"Expected {name} to have value at most {most}, but got value {value}{_CHECKING}"
            )


def _padded_targets(targets: Any, target_lengths: Any, n: int) -> Any:
    """The targets as an (N, S) array, S the longest target length: padded targets are cut,
    concatenated ones split at the lengths."""
    longest = int(target_lengths.max(initial=0))
    if targets.ndim == 1:
        total = int(target_lengths.sum())
        if targets.shape[0] != total:
            raise RuntimeError(
                f"Expected tensor to have size {total} at dimension 0, but got size "
                f"{targets.shape[0]} for argument #2 'targets'{_CHECKING}"
            )
        padded = xp.zeros((n, longest), dtype=xp.int64)
        starts = xp.concatenate(([0], xp.cumsum(target_lengths)[:-1]))
        for i, (start, length) in enumerate(zip(starts, target_lengths, strict=True)):
            padded[i, :length] = targets[start : start + length]
        return padded
    if targets.shape[1] < longest:
        raise RuntimeError(
            f"Expected tensor to have size at least {longest} at dimension 1, but got size "
            f"{targets.shape[1]} for argument #2 'targets'{_CHECKING}"
        )
    return targets[:, :longest].astype(xp.int64)


def ctc_loss(
    log_probs: Tensor,
    targets: Tensor,
    input_lengths: Any,
    target_lengths: Any,
    blank: int = 0,
    reduction: str = "mean",
    zero_infinity: bool = False,
) -> Tensor:
    """The CTC loss of log-probabilities ``log_probs`` (T, N, C), or (T, C) unbatched,
    against ``targets``, padded (N, S) or concatenated (sum(target_lengths),).
    ``input_lengths`` and ``target_lengths`` are tensors or tuples of N integers.
    ``reduction='mean'`` divides each loss by its target length (at least 1) and averages.

    >>> import chainrule as cr
    >>> log_probs = cr.zeros(3, 1, 2).log_softmax(2)
    >>> round(ctc_loss(log_probs, cr.tensor([1]), (3,), (1,), reduction="none").item(), 4)
    0.2877
    """
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    check_reduction(reduction)
    if type(zero_infinity) is not bool:  # (1 was read by its truth)
        # PyTorch's F passes all on to torch.ctc_loss, the reduction as its number, and no
        # signature of that takes the flag: it lists the arguments
        mode = ("none", "mean", "sum").index(reduction)
        given = (log_probs, targets, input_lengths, target_lengths, blank, mode, zero_infinity)
        raise no_overload("ctc_loss", given, {})
    batched = log_probs.ndim == 3
    if not batched:
        log_probs = log_probs.unsqueeze(1)  # the targets stay: 1-D ones are concatenated
    if log_probs.ndim != 3:
        raise RuntimeError(
            f"Expected 3-dimensional tensor, but got {log_probs.ndim}-dimensional tensor for "
            f"argument #1 'log_probs'{_CHECKING}"
        )
    if log_probs.dtype.dtype.kind != "f" or log_probs.dtype == dtypes.float16:
        raise dtypes.not_implemented_for("ctc_loss_cpu", log_probs.dtype.dtype)
    time, n, classes = log_probs.shape
    if not 0 <= blank < classes:
        raise RuntimeError("blank must be in label range")
    if isinstance(input_lengths, Tensor) != isinstance(target_lengths, Tensor):
        raise TypeError(
            "ctc_loss(): input_lengths and target_lengths must be both tuples of ints or both "
            "Tensors"
        )
    inputs = _lengths(input_lengths, "input_lengths")
    wanted = _lengths(target_lengths, "target_lengths")
    if inputs.shape[0] != n:
        raise RuntimeError("input_lengths must be of size batch_size")
    if wanted.shape[0] != n:
        raise RuntimeError("target_lengths must be of size batch_size")
    labels = xp.asarray(_values(targets, "targets") if isinstance(targets, Tensor) else targets)
    if labels.ndim not in (1, 2):
        raise RuntimeError(
            f"Expected 1 to 2 dimensions, but got {labels.ndim}-dimensional tensor for "
            f"argument #2 'targets'{_CHECKING}"
        )
    _check_lengths(wanted, "target_lengths")
    _check_lengths(inputs, "input_lengths", time)
    padded = _padded_targets(labels.astype(xp.int64), wanted, n)
    in_use = padded[xp.arange(padded.shape[1])[None, :] < wanted[:, None]]
    if in_use.size and (in_use.min() < 0 or in_use.max() >= classes):
        # PyTorch reads past its buffer here; chainrule refuses
        bad = in_use[(in_use < 0) | (in_use >= classes)][0]
        raise IndexError(f"ctc_loss: target {bad} is out of bounds for {classes} classes")
    losses = CtcLoss(padded, inputs, wanted, blank, zero_infinity)(log_probs)
    if reduction == "mean":
        divisor = _make(xp.maximum(wanted, 1).astype(losses.dtype.dtype))
        return (losses / divisor).mean()
    if reduction == "sum":
        return losses.sum()
    return losses if batched else losses.squeeze(0)
