"""Loss ops fused where PyTorch's numerics demand it: negative log-likelihood and binary
cross-entropy.

``nll_loss`` picks one log-probability per sample: built from indexing it would take five
nodes, fused it is one, and its vjp is a single scatter of ``-weight / total_weight``.
``binary_cross_entropy`` clamps its logarithms at -100 and its derivative's denominator at
1e-12, as PyTorch does, so that p = 0 or 1 gives large but finite values, never inf or nan.

    >>> import chainrule as cr
    >>> logp = cr.tensor([[-0.5, -1.0], [-2.0, -0.1]], requires_grad=True)
    >>> nll_loss(logp, cr.tensor([0, 1])).backward()
    >>> logp.grad
    tensor([[-0.5000,  0.0000],
            [ 0.0000, -0.5000]])
"""

from __future__ import annotations

import math
import warnings
from typing import Any

from chainrule import _buffers, dtypes, grad_mode
from chainrule._array import xp
from chainrule.autodiff import batching, open_transforms
from chainrule.op import HookInputs, Op, Presented, inputs
from chainrule.ops import dual, elementwise, inplace
from chainrule.ops.broadcast import broadcast_shape
from chainrule.ops.indexing import guard_indices
from chainrule.ops.nn_ops import LogSoftmax, log_softmax
from chainrule.tensor import Tensor, _make

REDUCTIONS = ("mean", "sum", "none")


def check_reduction(reduction: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def legacy_reduction(size_average: bool | None, reduce: bool | None, reduction: str) -> str:
    """``reduction`` from the deprecated ``size_average``/``reduce`` when either is given
    (they win, with PyTorch's warning), else ``reduction`` itself.

    >>> legacy_reduction(None, None, "sum")
    'sum'
    """
    if size_average is None and reduce is None:
        return reduction
    # PyTorch's legacy_get_enum: each flag read by its truth (0 is false; a tensor of many
    # values is refused as ambiguous), a missing one true
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    result = "mean" if size_average and reduce else "sum" if reduce else "none"
    warnings.warn(
        f"size_average and reduce args will be deprecated, please use reduction='{result}' "
        "instead.",
        UserWarning,
        stacklevel=3,
    )
    return result


# Each signed integer dtype's unsigned twin, for the bounds check of class indices.
_UNSIGNED = {xp.dtype(f"i{n}"): xp.dtype(f"u{n}") for n in (1, 2, 4, 8)}


def _picked(x: Any, rows: Any, picks: Any, valid: Any) -> Any:
    """``x`` at each row's target, 0 for an ignored row: its class-0 stand-in may be nan or
    infinite, and PyTorch skips the row rather than multiplying it by 0."""
    return xp.where(valid, x[rows, picks], xp.zeros((), x.dtype))


class NllLoss(Op):
    """``-weight[t_i] * x[i, t_i]`` per sample, summed or averaged by the picked weights."""

    notation = "-w[t] x[t]"
    derivatives = ("-w[t] / sum(w[t]) at the target class, else 0", "-")
    batch_rule = staticmethod(batching.nll_loss)
    saves_inputs = False

    @property
    def next_functions(self) -> tuple[tuple[Any, int], ...]:
        return super().next_functions[:1]  # the class indices are no input of the graph

    hook_inputs = inputs(0)  # (see op.HookInputs)

    def __init__(self, weight: Any, ignore_index: int, reduction: str) -> None:
        self.weight = weight
        self.ignore_index = ignore_index
        self.reduction = reduction

    def forward(self, x, target):
        n, classes = x.shape
        # Unweighted, and no index can be the ignored one: unless some index is out of range
        # (then the general path says which), every sample counts once.
        unweighted = self.weight is None and n and not 0 <= self.ignore_index < classes
        if unweighted and not _out_of_range(target, classes):
            return self._counting_all(x, target)
        valid = target != self.ignore_index
        # Ignored samples point at class 0 with coefficient 0, so no branch is needed later.
        picks = xp.where(valid, target, 0)
        self.picks = picks[:, None]
        # One pick per row: plain fancy indexing (take_along_axis builds index grids first).
        self.rows = _buffers.constant(xp.arange, n)
        if _out_of_range(picks, classes):
            bad = target[valid & ((target < 0) | (target >= classes))][0]
            raise IndexError(f"Target {bad} is out of bounds.")
        coeff = valid.astype(x.dtype)
        if self.weight is not None:
            coeff *= self.weight[picks]
        if self.reduction != "mean":
            scale = -coeff
        else:  # divided by the total weight of the counted samples
            total = coeff.sum()
            if not total:
                return self._over_zero_weight(x, picks, valid, coeff, total)
            scale = coeff / -total  # -(coeff / total) exactly, in one pass
        # an ignored row's loss and gradient are +0.0, as PyTorch's (-0 * x gives -0.0)
        self.scale = xp.where(valid, scale, xp.zeros((), x.dtype))
        self.counted = None if valid.all() else valid
        losses = self.scale * _picked(x, self.rows, picks, valid)
        return losses if self.reduction == "none" else losses.sum()

    def _over_zero_weight(self, x, picks, valid, coeff, total):
        """The mean when the counted samples' weights add up to 0. None counted: 0/0 = nan,
        but, as in PyTorch, the gradient is zero, not nan (a batch of padding must not poison
        the weights). Some counted (with weights of 0, or cancelling): PyTorch divides by the
        0, and so the gradient at their targets is nan or infinite, as is the mean."""
        self.counted = valid
        if not valid.any():
            self.scale = xp.zeros_like(coeff)
            return xp.asarray(xp.nan, dtype=x.dtype)
        with xp.errstate(divide="ignore", invalid="ignore"):
            self.scale = xp.where(valid, coeff / -total, 0).astype(x.dtype)
            picked = _picked(x, self.rows, picks, valid)
            return xp.asarray(-(coeff * picked).sum() / total, dtype=x.dtype)

    def _counting_all(self, x, target):
        """The forward where every target is a class index and no weight is given: the scale
        is a constant of the batch size (no mask, no weights, no total to sum)."""
        n = x.shape[0]
        self.counted = None  # every sample
        self.picks = target[:, None].copy()  # the target may change in place before backward
        self.rows = _buffers.constant(xp.arange, n)
        self.scale = _buffers.constant(_uniform_scale, n, x.dtype, self.reduction)
        losses = self.scale * x[self.rows, self.picks[:, 0]]
        # add.reduce is ndarray.sum without its Python wrapper (numpy's _methods._sum)
        return losses if self.reduction == "none" else xp.add.reduce(losses)

    def vjp(self, g, out, x, target):  # PyTorch's nll_loss backward reads x (dual.attached)
        return (dual.attached(self._at_picks(self._scaled(g)[:, None], x), x), None)

    def _scaled(self, g):
        """Each sample's gradient, ``g`` times its scale: +0.0 for an ignored sample whatever
        ``g`` is (nan, inf), as PyTorch skips it."""
        v = g * self.scale
        return v if self.counted is None else dual.passed(v, self.counted)

    def _at_picks_arrays(self, values, x):
        grad = xp.zeros(x.shape, dtype=x.dtype)
        grad[self.rows, self.picks[:, 0]] = values[:, 0]  # one target per row: no repeats
        return grad

    def _at_picks_tensors(self, values, x):
        return dual.scatter_along(values, self.picks, 1, tuple(x.shape))

    # Zeros of x's shape with each row's value at its target class.
    _at_picks = dual.both(_at_picks_arrays, _at_picks_tensors, "self, values, x", ("values",))

    def jvp(self, tangents, out, x, target):
        picked = self.scale * dual.gather_along(tangents[0], self.picks, 1)[:, 0]
        return picked if self.reduction == "none" else dual.sum(picked)


class CrossEntropy(NllLoss):
    """``nll_loss(log_softmax(x, 1), target)`` of (N, C) logits as one node, fused for speed:
    PyTorch fuses the pair's backward the same way, into ``(softmax - onehot)`` scaled.

    The forward runs the two ops' own forwards; the vjp on arrays is theirs composed in five
    NumPy calls rather than ten (a training step of a small network pays ~1 us a call),
    giving the same numbers. Shown as PyTorch shows the pair: ``NllLossBackward0`` over a
    ``LogSoftmaxBackward0``. Under ``create_graph`` the rules run on Tensors, the two ops' own
    composed, over a log-softmax recomputed from the recorded logits.

        >>> import chainrule as cr
        >>> x = cr.zeros(2, 3, requires_grad=True)
        >>> loss = CrossEntropy(None, -100, "mean")(x, cr.tensor([0, 2]))
        >>> loss.grad_fn.name(), loss.grad_fn.next_functions[0][0].name()
        ('NllLossBackward0', 'LogSoftmaxBackward0')
    """

    notation = "-w[t] log_softmax(x)[t]"
    derivatives = ("w[t] / sum(w[t]) (softmax(x) - onehot(t))", "-")
    torch_name = "NllLossBackward0"
    batch_rule = None  # never made under vmap: see cross_entropy_of_indices
    logits_version = None  # the logits' version when recorded (set by the function)

    @property
    def next_functions(self) -> tuple[tuple[Any, int], ...]:
        raw = super().next_functions  # the edge to the logits
        cached = getattr(self, "_presented", None)
        if cached is None or cached[0] != raw:  # kept: the shown node keeps its identity
            self._presented = (raw, ((Presented("LogSoftmaxBackward0", raw), 0),))
        return self._presented[1]

    def forward(self, x, target):
        self.logp = _LOG_SOFTMAX.forward(x)
        return super().forward(self.logp, target)

    def _vjp_arrays(self, g, out, x, target):
        # NllLoss's vjp puts v = g * scale at each row's target, zeros elsewhere; LogSoftmax's
        # then subtracts softmax times the row's sum, which is v itself.
        v = self._scaled(g)
        grad = xp.exp(self.logp)
        grad *= 0.0 - v[:, None]  # (not -v: an ignored row's v is +0, its gradient +0.0 too)
        grad[self.rows, self.picks[:, 0]] += v
        return (grad, None)

    def _vjp_tensors(self, g, out, x, target):
        if x._vc[0] != self.logits_version:
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an "
                "inplace operation: the logits of cross_entropy, read again under create_graph"
            )
        logp = _LOG_SOFTMAX.fresh()(x)
        return (_LOG_SOFTMAX._vjp(super().vjp(g, None, logp, None)[0], logp), None)

    vjp = dual.both(_vjp_arrays, _vjp_tensors, "self, g, out, x, target", ("g",))

    def jvp(self, tangents, out, x, target):
        t = _LOG_SOFTMAX.jvp(tangents[:1], self.logp, x)
        return super().jvp((t, None), out, self.logp, target)


class _CrossEntropyHookInputs(HookInputs):
    """PyTorch's NllLossBackward0 takes the log-probabilities, which the fused node makes
    inside (``next_functions`` shows their LogSoftmaxBackward0): a hook sees their gradient,
    NllLoss's rule's, and what it returns in its place goes on through log-softmax's rule."""

    def present(self, node: Op, grads: tuple[Any, ...], g: Any) -> tuple[Any, ...]:
        if grads[0] is None:
            return (None,)
        return (node._at_picks(node._scaled(g)[:, None], node.logp),)

    def absorb(self, node: Op, given: tuple[Any, ...], grads: Any, rule: Any) -> tuple[Any, ...]:
        (g,) = given
        if g is None:
            return (None, None)
        # under create_graph, over log-probabilities recomputed from the logits (as the vjp)
        logp = _LOG_SOFTMAX.fresh()(node.inputs[0]) if isinstance(g, Tensor) else node.logp
        return (_LOG_SOFTMAX._vjp(g, logp), None)


CrossEntropy.hook_inputs = _CrossEntropyHookInputs()


# Log-softmax along the classes, for CrossEntropy's rules (its forward and rules keep no state).
_LOG_SOFTMAX = LogSoftmax(1)


def cross_entropy_of_indices(
    input: Tensor,  # noqa: A002
    target: Tensor,
    weight: Any,
    ignore_index: int,
    reduction: str,
) -> Tensor:
    """``nll_loss(log_softmax(input, 1), target, ...)`` for (N, C) logits and class indices:
    one fused node where nothing needs the two apart (forward mode and vmap run each op's
    own rules). ``target`` is a Tensor and ``reduction`` checked (by ``cross_entropy``).

        >>> import chainrule as cr
        >>> round(cross_entropy_of_indices(cr.zeros(1, 2), cr.tensor([0]), None, -100,
        ...     "mean").item(), 4)
        0.6931
    """
    if input.ndim != 2 or open_transforms.here.vmap or open_transforms.here.dual:
        logp = log_softmax(input, 0 if input.ndim == 1 else 1)
        return nll_loss(logp, target, weight, None, ignore_index, None, reduction)
    _check_class_indices(input, target)
    w = None if weight is None else _class_weights(weight, input.shape[1])
    loss = CrossEntropy(w, ignore_index, reduction)(input, target)
    if loss._grad_fn is not None:
        loss._grad_fn.logits_version = input._vc[0]
    return loss


def _out_of_range(picks: Any, classes: int) -> bool:
    """Whether an index of ``picks`` is below 0 or at least ``classes``: both bounds in one
    comparison (read as unsigned, a negative index is beyond any class count), one NumPy call
    fewer per bound on a step of a few microseconds."""
    return bool(xp.count_nonzero(picks.view(_UNSIGNED.get(picks.dtype, picks.dtype)) >= classes))


def _uniform_scale(n: int, dtype: Any, reduction: str) -> Any:
    """NllLoss's per-sample scale where all ``n`` samples count with weight 1: the same
    numbers as its general path (``coeff / -total``, or ``-coeff``) computes."""
    coeff = xp.ones(n, dtype)
    return coeff / -coeff.sum() if reduction == "mean" else -coeff


# PyTorch's floor for p (1 - p) in the gradient: 1e-12 as a float32, as its kernel has it.
_EPSILON = float(xp.float32(1e-12))


class _PointwiseLoss(Op, abstract=True):
    """A loss of two same-shaped inputs, elementwise and then reduced: an op states its
    ``_partials`` (weighted) and gets its vjp and jvp, the chain rule through the reduction."""

    batch_rule = staticmethod(batching.pointwise_loss)

    def _weighted(self, values: Any) -> Any:
        return values if self.weight is None else values * self.weight

    def vjp(self, g, out, x, y):
        scale = _spread(g, x.shape, self.reduction)
        dx, dy = self._partials(x, y, self.needs[0], self.needs[1])
        return (None if dx is None else scale * dx, None if dy is None else scale * dy)

    def jvp(self, tangents, out, x, y):
        tx, ty = tangents
        dx, dy = self._partials(x, y, tx is not None, ty is not None)
        total = 0 if dx is None else dx * tx
        if dy is not None:
            total = total + dy * ty
        return _reduced(total, self.reduction)


class BinaryCrossEntropy(_PointwiseLoss):
    """``-w (y log p + (1 - y) log(1 - p))`` with PyTorch's clamps, reduced, in its kernel's
    order: ``(y - 1) max(log1p(-p), -100) - y max(log(p), -100)``."""

    notation = "-w (y log(p) + (1 - y) log(1 - p))"
    derivatives = ("w (p - y) / (p (1 - p))", "-w logit(p)")

    def __init__(self, weight: Any, reduction: str) -> None:
        self.weight = weight
        self.reduction = reduction

    def forward(self, p, y):
        if not ((p >= 0) & (p <= 1)).all():  # as PyTorch's kernel checks: a nan is refused too
            raise RuntimeError("all elements of input should be between 0 and 1")
        log_p = dual.clamp_min(dual.log(p), -100.0)
        log_1mp = dual.clamp_min(dual.log1p(-p), -100.0)
        losses = (y - 1) * log_1mp - y * log_p
        if self.weight is not None:
            losses = losses * self.weight
        return _reduced(losses, self.reduction)

    def _partials(self, p, y, need_p, need_y):
        dp = dy = None
        if need_p:
            dp = self._weighted((p - y) / dual.clamp_min((1 - p) * p, _EPSILON))
        if need_y:
            # -logit(p), unclamped as in PyTorch: infinite at 0 and 1.
            dy = self._weighted(-dual.logit(p))
        return dp, dy

    def vjp(self, g, out, p, y):
        # p's in PyTorch's order: g (p - y), then / max(p (1 - p), eps), * w, / N (the
        # derivative alone overflowed float16 at a tiny p, and rounded otherwise in float32)
        dp = dy = None
        if self.needs[0]:
            dp = self._weighted(g * (p - y) / dual.clamp_min((1 - p) * p, _EPSILON))
            dp = _spread(dp, p.shape, self.reduction)
        if self.needs[1]:
            dy = _spread(g, p.shape, self.reduction) * self._partials(p, y, False, True)[1]
        return dp, dy


def _reduced(losses: Any, reduction: str) -> Any:
    if reduction == "none":
        return losses
    return losses.mean() if reduction == "mean" else losses.sum()


def _norm(scale: float, shape: tuple[int, ...], reduction: str) -> float:
    """``scale``, divided by the element count for a mean: the factor PyTorch's backward
    kernels multiply first (a Python float, so it takes the arrays' dtype)."""
    if reduction != "mean":
        return scale
    n = math.prod(shape)
    return scale / n if n else math.inf  # the mean of nothing: C++'s double division, not 0


def _spread(g: Any, shape: tuple[int, ...], reduction: str) -> Any:
    """The output gradient per element: the chain rule through the mean (or sum)."""
    if reduction == "mean":
        n = 1
        for d in shape:
            n *= d
        return g / n
    return g


class MseLoss(Op):
    """``(x - y)**2``, reduced: one node, as PyTorch's ``MseLossBackward0``."""

    notation = "(x - y)^2"
    derivatives = ("2 (x - y)", "-2 (x - y)")
    batch_rule = staticmethod(batching.pointwise_loss)

    def __init__(self, reduction: str) -> None:
        self.reduction = reduction

    def forward(self, x, y):
        d = x - y
        return _reduced(d * d, self.reduction)

    def vjp(self, g, out, x, y):
        # PyTorch's order: (norm (x - y)) g, norm = 2 / N for a mean, in x's dtype
        dx = _norm(2.0, x.shape, self.reduction) * (x - y) * g
        return (dx if self.needs[0] else None, -dx if self.needs[1] else None)

    def jvp(self, tangents, out, x, y):
        tx, ty = tangents
        t = tx if ty is None else (-ty if tx is None else tx - ty)
        return _reduced(2 * (x - y) * t, self.reduction)


class BinaryCrossEntropyWithLogits(_PointwiseLoss):
    """``w [(1 - y) x + l softplus(-x)]`` with ``l = 1 + (pos_weight - 1) y``, reduced: the
    binary cross-entropy of ``sigmoid(x)``, computed from the logits without overflow."""

    notation = "w ((1 - y) x + l softplus(-x))"
    derivatives = ("w ((1 - y) - l sigmoid(-x))", "w (-x + (pos_weight - 1) softplus(-x))")

    def __init__(self, weight: Any, pos_weight: Any, reduction: str) -> None:
        self.weight = weight
        self.pos_weight = pos_weight
        self.reduction = reduction

    def forward(self, x, y):
        log_term = dual.softplus(-x)  # = -log sigmoid(x)
        if self.pos_weight is not None:
            log_term = log_term * ((self.pos_weight - 1) * y + 1)
        return _reduced(self._weighted((1 - y) * x + log_term), self.reduction)

    def _partials(self, x, y, need_x, need_y):
        dx = dy = None
        if need_x:
            scale = 1 if self.pos_weight is None else (self.pos_weight - 1) * y + 1
            dx = self._weighted((1 - y) - scale * dual.sigmoid(-x))
        if need_y:
            dy = -x
            if self.pos_weight is not None:
                dy = dy + (self.pos_weight - 1) * dual.softplus(-x)
            dy = self._weighted(dy)
        return dx, dy


class SmoothL1Loss(_PointwiseLoss):
    """``(x - y)**2 / (2 beta)`` where ``|x - y| < beta``, else ``|x - y| - beta / 2``, reduced."""

    notation = "(x - y)^2 / (2 beta) if |x - y| < beta else |x - y| - beta / 2"
    derivatives = ("clamp((x - y) / beta, -1, 1)", "-clamp((x - y) / beta, -1, 1)")
    weight = None

    def __init__(self, beta: float, reduction: str) -> None:
        self.beta = beta
        self.reduction = reduction

    def forward(self, x, y):
        z = xp.abs(x - y)
        return _reduced(
            dual.where(z < self.beta, 0.5 * z * z / self.beta, z - 0.5 * self.beta), self.reduction
        )

    def _slope(self, d: Any) -> Any:
        """The derivative in ``d = x - y``: ``d / beta`` inside (-beta, beta), else its sign."""
        one = dual.typed(d, 1.0)
        inside = dual.where(d > self.beta, one, d / self.beta)
        return dual.where(d < -self.beta, -one, inside)

    def _partials(self, x, y, need_x, need_y):
        slope = self._slope(x - y)
        return (slope if need_x else None), (-slope if need_y else None)


class HuberLoss(SmoothL1Loss):
    """``(x - y)**2 / 2`` where ``|x - y| < delta``, else ``delta (|x - y| - delta / 2)``:
    smooth L1 times ``delta``, with ``beta = delta``."""

    notation = "(x - y)^2 / 2 if |x - y| < delta else delta (|x - y| - delta / 2)"
    derivatives = ("clamp(x - y, -delta, delta)", "-clamp(x - y, -delta, delta)")

    def forward(self, x, y):
        return _reduced(self._losses(x, y), self.reduction)

    @dtypes.half_in_float32  # PyTorch's kernel: each loss in float32, rounded once
    def _losses(self, x, y):
        z = xp.abs(x - y)
        delta = self.beta
        return dual.where(z < delta, 0.5 * z * z, delta * (z - 0.5 * delta))

    def _slope(self, d: Any) -> Any:
        """``d`` clamped to [-delta, delta], as PyTorch's huber_loss_backward."""
        delta = dual.typed(d, self.beta)
        return dual.where(d < -delta, -delta, dual.where(d > delta, delta, d))

    def vjp(self, g, out, x, y):
        # PyTorch's order: norm g delta at the ends, norm d g inside (norm 1 / N for a mean)
        d = x - y
        norm = _norm(1.0, d.shape, self.reduction)
        delta = dual.typed(d, self.beta)
        end = norm * g * delta
        dx = dual.where(d <= -delta, -end, dual.where(d >= delta, end, norm * d * g))
        return (dx if self.needs[0] else None, -dx if self.needs[1] else None)


def _as_array(weight: Tensor | None, op: str) -> Any:
    """The class weights as a constant array. They carry no gradient: rather than a silent
    zero, a weight that asks for one is an error, as in PyTorch."""
    if weight is None:
        return None
    if not isinstance(weight, Tensor):
        return xp.asarray(weight)
    if weight.requires_grad and grad_mode.is_grad_enabled():
        raise RuntimeError(
            f"{op}: not differentiable with respect to weight, which requires grad; "
            "pass weight.detach()"
        )
    return weight._data


def nll_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    ignore_index: int = -100,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """The negative log-likelihood of class indices ``target`` under log-probabilities ``input``.

    ``input`` is (N, C), (C,) or (N, C, d1, ...) with matching ``target`` (N,), () or
    (N, d1, ...); ``weight`` (C,) rescales each class; samples whose target is
    ``ignore_index`` count for nothing.

        >>> import chainrule as cr
        >>> nll_loss(cr.tensor([[-1.0, -2.0]]), cr.tensor([1])).item()
        2.0
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(reduction)
    target = target if isinstance(target, Tensor) else _make(xp.asarray(target))
    expected = _check_class_indices(input, target)
    if input.ndim == 1:  # one sample: add the batch dimension and take it away again
        loss = nll_loss(
            input.unsqueeze(0), target.reshape(1), weight, None, ignore_index, None, reduction
        )
        return loss.reshape(()) if reduction == "none" else loss
    if input.ndim > 2:  # (N, C, d...) -> (N * d..., C): every position is a sample
        n_classes = input.shape[1]
        moved = input.permute(0, *range(2, input.ndim), 1).reshape(-1, n_classes)
        loss = nll_loss(moved, target.reshape(-1), weight, None, ignore_index, None, reduction)
        return loss.reshape(expected) if reduction == "none" else loss
    return NllLoss(_class_weights(weight, input.shape[1]), ignore_index, reduction)(input, target)


_INT64, _UINT8 = xp.dtype("int64"), xp.dtype("uint8")


def _check_class_indices(input: Tensor, target: Tensor) -> tuple[int, ...]:  # noqa: A002
    """The target shape nll_loss needs for ``input`` ((N, d1, ...), or () for one sample),
    or PyTorch's error, in the order PyTorch checks: dimensions, batch size, target size,
    then the target's dtype (int64 or uint8 class indices)."""
    # plain tuples: indexing a Size is a Python call (its slices are Sizes), on every step
    shape, got = tuple(input.shape), tuple(target.shape)
    if not shape:
        raise ValueError("Expected 1 or more dimensions (got 0)")
    if len(shape) == 1:
        if got not in ((), (1,)):
            raise ValueError(
                f"For 1D input, 1D target must have size 1, but got target size: {got[0]}"
            )
        expected: tuple[int, ...] = ()
    else:
        if shape[0] != (got[0] if got else 0):
            raise ValueError(
                f"Expected input batch_size ({shape[0]}) to match target batch_size "
                f"({got[0] if got else 0})."
            )
        expected = (shape[0], *shape[2:])
        if len(shape) == 2 and len(got) > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if got != expected:
            raise RuntimeError(f"Expected target size {list(expected)}, got {list(got)}")
    # The NumPy dtype inside chainrule's (its ``dtype`` slot): chainrule's passes ``kind`` on
    # only through ``__getattr__``, after a failed lookup and its AttributeError (~5k
    # instructions a training step). Not ``target._data``: under vmap that reads the values
    # of a batched tensor, and vmap then runs the loss once per example.
    dtype = target.dtype.dtype
    if dtype is not _INT64 and dtype != _INT64 and dtype != _UINT8:  # (int64 by identity first)
        raise RuntimeError(
            f"expected target dtype to be Long or Byte, but got {dtypes.scalar_type_name(dtype)}"
        )
    return expected


def _class_weights(weight: Tensor | None, classes: int) -> Any:
    """nll_loss's ``weight`` as an array of one weight per class, or None."""
    w = _as_array(weight, "nll_loss")
    if w is not None and w.shape != (classes,):
        raise RuntimeError(weight_shape_error(classes, w))
    return w


def weight_shape_error(classes: int, weight: Any) -> str:
    """PyTorch's words for class weights that are not one per class."""
    return (
        f"weight tensor should be defined either for all {classes} classes or no classes but "
        f"got weight tensor of shape: {list(weight.shape)}"
    )


def binary_cross_entropy(
    input: Tensor,  # noqa: A002
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Binary cross-entropy between probabilities ``input`` and targets in [0, 1].

    >>> import chainrule as cr
    >>> round(binary_cross_entropy(cr.tensor([0.5]), cr.tensor([1.0])).item(), 4)
    0.6931
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}) is deprecated. Please ensure they have the same size."
        )
    # ATen's kernel takes the target in the input's dtype only (an integer or bool target
    # would else be read as probabilities)
    if target.dtype != input.dtype:
        raise RuntimeError(
            f"Found dtype {dtypes.scalar_type_name(target.dtype.dtype)} but expected "
            f"{dtypes.scalar_type_name(input.dtype.dtype)}"
        )
    dtypes.check_float_kernel(input.dtype.dtype, "binary_cross_entropy")
    weights = _as_array(weight, "binary_cross_entropy")
    if weights is not None:  # ATen's kernel reads them in the input's dtype (int64: float32)
        weights = weights.astype(input.dtype.dtype, copy=False)
    # the node keeps the weights' array: guarded against a change before the backward
    return guard_indices(BinaryCrossEntropy(weights, reduction)(input, target), weight)


def mse_loss(
    input: Tensor,  # noqa: A002
    target: Any,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    weight: Tensor | None = None,
) -> Tensor:
    """Squared error ``(input - target)**2``, averaged (or summed) over all elements; with
    ``weight`` (the input's shape), see :func:`weighted_errors`.

    >>> import chainrule as cr
    >>> mse_loss(cr.tensor([1.0, 3.0]), cr.tensor([0.0, 0.0])).item()
    5.0
    >>> mse_loss(cr.tensor([1.0, 3.0]), cr.tensor([0.0, 0.0]), weight=cr.tensor([3.0, 1.0]))
    tensor(3.)
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    if weight is not None:
        shape = tuple(input.shape)
        input, target = broadcast_target(input, target)
        return weighted_errors((input - target) ** 2, weight, shape, reduction)
    check_reduction(reduction)
    input, target = broadcast_target(input, target)
    return MseLoss(reduction)(input, target)


def weighted_errors(
    errors: Tensor, weight: Tensor, shape: tuple[int, ...], reduction: str
) -> Tensor:
    """PyTorch's weighted ``mse_loss`` and ``l1_loss``: each element's error times its weight
    (``weight`` of the input's ``shape``); their ``"mean"`` is the weighted mean, divided by
    the weights' sum rather than by the count."""
    if tuple(weight.shape) != shape:
        raise ValueError("Weights and input must have the same size.")
    weighted = errors * weight
    if reduction == "none":
        return weighted
    if reduction == "sum":
        return weighted.sum()
    if reduction == "mean":
        return weighted.sum() / weight.sum()
    raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'.")


def _check_logits_dtypes(input: Tensor, target: Tensor) -> None:  # noqa: A002
    """ATen's refusals, in its order: ``log_sigmoid(input)`` has no bool or integer kernel,
    and ``(1 - target).mul_(input)`` can't subtract a bool target or write a float into an
    integer one (which would else be read as a probability)."""
    dtypes.check_float_kernel(input.dtype.dtype, "log_sigmoid_cpu")
    kind = target.dtype.dtype.kind
    if kind == "b":
        raise elementwise.bool_subtraction(True, True)
    if kind in "iu":
        raise inplace.cast_error(input.dtype.dtype, dtypes.scalar_type_name(target.dtype.dtype))


def binary_cross_entropy_with_logits(
    input: Tensor,  # noqa: A002
    target: Any,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    """Binary cross-entropy of ``sigmoid(input)`` against targets in [0, 1], from the logits.

    >>> import chainrule as cr
    >>> round(binary_cross_entropy_with_logits(cr.tensor([0.0]), cr.tensor([1.0])).item(), 4)
    0.6931
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(reduction)
    name = "binary_cross_entropy_with_logits"
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(
            f"Target size ({target.shape}) must be the same as input size ({input.shape})"
        )
    # PyTorch's words where a weight does not broadcast (inside the op NumPy would refuse,
    # without naming the weight)
    if pos_weight is not None:
        broadcast_shape(tuple(pos_weight.shape), tuple(target.shape))
    if weight is not None:
        broadcast_shape(tuple(input.shape), tuple(weight.shape))
    _check_logits_dtypes(input, target)
    loss = BinaryCrossEntropyWithLogits(
        _as_array(weight, name), _as_array(pos_weight, name), reduction
    )(input, target)
    guard_indices(loss, (weight, pos_weight))  # the node keeps their arrays
    # ATen's formula works in place on ``1 - target``: the loss has the target's dtype (a
    # float16 target gives float16, beside a float32 input)
    return loss if loss.dtype == target.dtype else loss.to(target.dtype)


def broadcast_target(input: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:  # noqa: A002
    """``input`` and ``target`` broadcast to one shape, with PyTorch's warning when their
    shapes differ (the l1, mse, smooth l1 and huber losses)."""
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}). This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.",
            stacklevel=3,
        )
        shape = broadcast_shape(tuple(input.shape), tuple(target.shape))
        return input.expand(shape), target.expand(shape)
    return input, target


def smooth_l1_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    beta: float = 1.0,
) -> Tensor:
    """Squared error below ``beta`` (halved, over ``beta``), absolute error above it.

    >>> import chainrule as cr
    >>> smooth_l1_loss(cr.tensor([0.5, 3.0]), cr.tensor([0.0, 0.0]), reduction="none")
    tensor([0.1250, 2.5000])
    """
    input, target = broadcast_target(input, target)
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0:  # PyTorch's l1_loss
        return _reduced((input - target).abs(), reduction)
    return SmoothL1Loss(beta, reduction)(input, target)


def huber_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    reduction: str = "mean",
    delta: float = 1.0,
    weight: Tensor | None = None,
) -> Tensor:
    """Squared error (halved) below ``delta``, ``delta`` times the absolute error above it;
    ``weight`` (the input's shape) scales each element's loss before the reduction.

    >>> import chainrule as cr
    >>> huber_loss(cr.tensor([0.5, 3.0]), cr.tensor([0.0, 0.0]), reduction="none")
    tensor([0.1250, 2.5000])
    """
    input, target = broadcast_target(input, target)
    check_reduction(reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    if weight is None:
        return HuberLoss(delta, reduction)(input, target)
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError("Weights and input must have the same size.")
    return _reduced(HuberLoss(delta, "none")(input, target) * weight, reduction)
