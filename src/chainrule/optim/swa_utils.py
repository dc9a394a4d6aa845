"""Weight averaging, PyTorch's ``torch.optim.swa_utils``.

Stochastic weight averaging (Izmailov et al., 2018) keeps the equally weighted mean of the
weights a run visits late in training; an exponential moving average (EMA) weights recent ones
more. :class:`AveragedModel` holds the averaged copy of a model, :class:`SWALR` anneals the
learning rate to a constant for the averaging phase, and :func:`update_bn` recomputes the batch
norms' statistics for the averaged weights, which no forward pass has seen.

    >>> import chainrule as cr
    >>> from chainrule.optim.swa_utils import AveragedModel
    >>> model = cr.nn.Linear(1, 1, bias=False)
    >>> swa = AveragedModel(model)
    >>> for w in (1.0, 2.0, 6.0):
    ...     with cr.no_grad():
    ...         _ = model.weight.fill_(w)
    ...     swa.update_parameters(model)
    >>> swa.module.weight.item(), swa.n_averaged.item()
    (3.0, 3)
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterable
from typing import Any

from chainrule import dtypes
from chainrule.factories import tensor
from chainrule.grad_mode import no_grad
from chainrule.nn.module import Module
from chainrule.nn.norm import _BatchNorm
from chainrule.optim.lr_scheduler import LRScheduler
from chainrule.optim.optimizer import Optimizer
from chainrule.tensor import Tensor

__all__ = [
    "SWALR",
    "AveragedModel",
    "get_ema_avg_fn",
    "get_ema_multi_avg_fn",
    "get_swa_avg_fn",
    "get_swa_multi_avg_fn",
    "update_bn",
]

Count = Tensor | int
AvgFn = Callable[[Tensor, Tensor, Count], Tensor]
MultiAvgFn = Callable[[list[Tensor], list[Tensor], Count], None]


def _check_decay(decay: float) -> None:
    # written as two comparisons, not a chained range, so that NaN passes as in PyTorch
    if decay < 0.0 or decay > 1.0:
        raise ValueError(
            f"Invalid decay value {decay} provided. Please provide a value in [0,1] range."
        )


def get_ema_avg_fn(decay: float = 0.999) -> AvgFn:
    """``avg_fn`` for an exponential moving average: ``decay * averaged + (1 - decay) * current``.

    >>> import chainrule as cr
    >>> get_ema_avg_fn(0.75)(cr.tensor([4.0]), cr.tensor([8.0]), 1).tolist()
    [5.0]
    """
    _check_decay(decay)

    def ema(averaged: Tensor, current: Tensor, num_averaged: Count) -> Tensor:
        return decay * averaged + (1 - decay) * current

    return ema


def get_swa_avg_fn() -> AvgFn:
    """``avg_fn`` for the running mean of ``num_averaged`` models and one more.

    >>> import chainrule as cr
    >>> get_swa_avg_fn()(cr.tensor([2.0]), cr.tensor([6.0]), 3).tolist()
    [3.0]
    """

    def swa(averaged: Tensor, current: Tensor, num_averaged: Count) -> Tensor:
        return averaged + (current - averaged) / (num_averaged + 1)

    return swa


def get_ema_multi_avg_fn(decay: float = 0.999) -> MultiAvgFn:
    """``multi_avg_fn`` for an exponential moving average: updates the averaged tensors in place.

    >>> import chainrule as cr
    >>> averaged, counts = [cr.tensor([4.0, 0.0])], [cr.tensor([3, 8])]
    >>> get_ema_multi_avg_fn(0.5)(averaged, [cr.tensor([8.0, 1.0])], 1)
    >>> get_ema_multi_avg_fn(0.5)(counts, [cr.tensor([0, 1])], 1)  # integers: truncated
    >>> averaged[0].tolist(), counts[0].tolist()
    ([6.0, 0.5], [1, 4])
    """
    _check_decay(decay)

    def ema(averaged: list[Tensor], current: list[Tensor], num_averaged: Count) -> None:
        with no_grad():
            # the first tensor decides the path for the whole list, as PyTorch's does
            if averaged[0].is_floating_point():
                for a, c in zip(averaged, current, strict=True):
                    a.lerp_(c, 1 - decay)
            else:  # integers cannot lerp: the mix is computed in floats and truncated back
                for a, c in zip(averaged, current, strict=True):
                    a.copy_(a * decay + c * (1 - decay))

    return ema


def get_swa_multi_avg_fn() -> MultiAvgFn:
    """``multi_avg_fn`` for the running mean: moves each averaged tensor ``1 / (n + 1)`` of the
    way to the current one, in place.

    >>> import chainrule as cr
    >>> averaged = [cr.tensor([2.0])]
    >>> get_swa_multi_avg_fn()(averaged, [cr.tensor([6.0])], 3)
    >>> averaged[0].tolist()
    [3.0]
    """

    def swa(averaged: list[Tensor], current: list[Tensor], num_averaged: Count) -> None:
        with no_grad():
            if averaged[0].is_floating_point():
                # a count held in a tensor divides in the default float dtype, so the weight
                # is that (float32) number, which is what PyTorch's lerp receives too
                weight = 1 / (num_averaged + 1)
                if isinstance(weight, Tensor):
                    weight = weight.item()
                for a, c in zip(averaged, current, strict=True):
                    a.lerp_(c, weight)
                return
            # a mean does not fit in integers: the in-place steps PyTorch takes here refuse
            # them, and ours refuse with the same messages
            for a, c in zip(averaged, current, strict=True):
                if isinstance(num_averaged, Tensor):
                    a.addcdiv_(c - a, num_averaged + 1)
                else:
                    a.add_(c - a, alpha=1 / (num_averaged + 1))

    return swa


class AveragedModel(Module):
    """A copy of ``model`` whose weights are the average of those passed to
    :meth:`update_parameters` (equal weights unless ``avg_fn`` or ``multi_avg_fn`` says otherwise).

    Parameters are averaged, and buffers too with ``use_buffers``; without it the buffers
    (batch-norm running statistics) are copied from the model at each update. ``n_averaged``
    counts the updates.

    >>> import chainrule as cr
    >>> ema = AveragedModel(cr.nn.Linear(2, 1), multi_avg_fn=get_ema_multi_avg_fn(0.9))
    >>> [name for name, _ in ema.named_buffers()]
    ['n_averaged']
    """

    def __init__(
        self,
        model: Module,
        device: Any = None,
        avg_fn: AvgFn | None = None,
        multi_avg_fn: MultiAvgFn | None = None,
        use_buffers: bool = False,
    ) -> None:
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = copy.deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", tensor(0, dtype=dtypes.int64, device=device))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.module(*args, **kwargs)

    def _averaged_tensors(self, model: Module) -> list[Tensor]:
        tensors = list(model.parameters())
        if self.use_buffers:
            tensors += list(model.buffers())
        return tensors

    def _update_group(self, averaged: list[Tensor], current: list[Tensor]) -> None:
        if self.multi_avg_fn is not None:
            self.multi_avg_fn(averaged, current, self.n_averaged)
        elif averaged[0].is_floating_point():
            get_swa_multi_avg_fn()(averaged, current, self.n_averaged)
        else:
            # the default mean does not refuse integer buffers (batch counts) as
            # get_swa_multi_avg_fn does: their mean is truncated back to integers
            mean = get_swa_avg_fn()
            for a, c in zip(averaged, current, strict=True):
                a.copy_(mean(a, c, self.n_averaged))

    def update_parameters(self, model: Module) -> None:
        """Fold ``model``'s current weights into the average (the first call copies them)."""
        averaged = [t.detach() for t in self._averaged_tensors(self.module)]
        current = [
            t.detach().to(a.device)
            for a, t in zip(averaged, self._averaged_tensors(model), strict=False)
        ]
        with no_grad():
            if self.n_averaged.item() == 0:
                for a, c in zip(averaged, current, strict=False):
                    a.copy_(c)
            elif self.avg_fn is not None:
                for a, c in zip(averaged, current, strict=False):
                    a.copy_(self.avg_fn(a, c, self.n_averaged))
            else:
                # an in-place update over a list wants one dtype and device per call
                groups: dict[tuple[str, Any], tuple[list[Tensor], list[Tensor]]] = {}
                for a, c in zip(averaged, current, strict=False):
                    into = groups.setdefault((str(a.device), a.dtype), ([], []))
                    into[0].append(a)
                    into[1].append(c)
                for group_averaged, group_current in groups.values():
                    self._update_group(group_averaged, group_current)
            if not self.use_buffers:
                # buffers are not averaged: they follow the model, so that the averaged one
                # runs with statistics that exist (update_bn can recompute them after)
                for a, c in zip(self.module.buffers(), model.buffers(), strict=False):
                    a.copy_(c.detach().to(a.device))
            self.n_averaged.add_(1)


class SWALR(LRScheduler):
    """Anneal each group's learning rate to ``swa_lr`` (one value, or one per group) over
    ``anneal_epochs`` steps, along half a cosine (``"cos"``) or a straight line (``"linear"``),
    then hold it there.

    Each step recovers the rate the annealing started from out of the group's current rate, so
    another scheduler may have changed it in between.

    >>> import chainrule as cr
    >>> opt = cr.optim.SGD(cr.nn.Linear(1, 1).parameters(), lr=1.0)
    >>> sched = SWALR(opt, swa_lr=0.2, anneal_epochs=4, anneal_strategy="linear")
    >>> for _ in range(5):
    ...     opt.step()
    ...     sched.step()
    ...     print(round(opt.param_groups[0]["lr"], 6))
    0.8
    0.6
    0.4
    0.2
    0.2
    """

    def __init__(
        self,
        optimizer: Optimizer,
        swa_lr: float | list[float] | tuple[float, ...],
        anneal_epochs: int = 10,
        anneal_strategy: str = "cos",
        last_epoch: int = -1,
    ) -> None:
        groups = optimizer.param_groups
        targets = list(swa_lr) if isinstance(swa_lr, list | tuple) else [swa_lr] * len(groups)
        if len(targets) != len(groups):
            raise ValueError(
                "swa_lr must have the same length as optimizer.param_groups. "
                f"swa_lr has {len(targets)} values, param_groups has {len(groups)}."
            )
        for group, target in zip(groups, targets, strict=True):
            group["swa_lr"] = target
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(
                f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}"
            )
        self._use_strategy(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    def _use_strategy(self, strategy: str) -> None:
        self._anneal_strategy = strategy
        self.anneal_func: Callable[[float], float] = (
            _cosine_fraction if strategy == "cos" else _linear_fraction
        )

    def get_lr(self) -> list[float]:
        # counted by steps taken, not last_epoch, as PyTorch's is
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)  # nothing to anneal: the very first rate is swa_lr
        span = max(1, self.anneal_epochs)
        before = self.anneal_func(max(0.0, min(1.0, (step - 1) / span)))
        now = self.anneal_func(max(0.0, min(1.0, step / span)))
        rates = []
        for group in self.optimizer.param_groups:
            target = group["swa_lr"]
            # the lr annealing started from, undone from lr = before * target + (1 - before) * start
            start = target if before == 1 else (group["lr"] - before * target) / (1 - before)
            rates.append(target * now + start * (1 - now))
        return rates

    def state_dict(self) -> dict[str, Any]:
        """The base class's state less the annealing function, which the strategy names."""
        state = super().state_dict()
        del state["anneal_func"]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        super().load_state_dict(state_dict)
        self._use_strategy(self._anneal_strategy)


def _cosine_fraction(t: float) -> float:
    """How far along the cosine annealing is at ``t`` in [0, 1] of its epochs."""
    return (1 - math.cos(math.pi * t)) / 2


def _linear_fraction(t: float) -> float:
    return t


def update_bn(loader: Iterable[Any], model: Module, device: Any = None) -> None:
    """Recompute the running statistics of ``model``'s batch norms by one pass over ``loader``.

    The statistics are reset and then averaged over all batches with equal weights (momentum
    ``None`` meanwhile); each batch is a tensor, or a list or tuple whose first item is the input.
    The model's training mode and the momenta are restored after.

    >>> import chainrule as cr
    >>> model = cr.nn.BatchNorm1d(1)
    >>> update_bn([cr.tensor([[1.0], [3.0]]), cr.tensor([[5.0], [7.0]])], model)
    >>> model.running_mean.tolist(), model.num_batches_tracked.item()
    ([4.0], 2)
    """
    norms = [m for m in model.modules() if isinstance(m, _BatchNorm)]
    if not norms:
        return
    momenta = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None
    was_training = model.training
    model.train()
    with no_grad():
        for batch in loader:
            if isinstance(batch, list | tuple):
                batch = batch[0]
            if device is not None:
                batch = batch.to(device)
            model(batch)
    for m, momentum in zip(norms, momenta, strict=True):
        m.momentum = momentum
    model.train(was_training)
