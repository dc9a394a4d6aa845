"""Cases a fuzz run of ``chainrule.optim`` and ``chainrule.optim.lr_scheduler`` against
PyTorch 2.13 found to differ (and a few of the riskiest that agree), each run the same way in
both libraries and compared as in ``test_torch_optim_fuzz_cases``: what it returns, or its
error (type and first line), and the warnings given.

Where PyTorch's lerp gives its end exactly (weight 1: Adam's ``beta1 = 0``, RMSprop's
``alpha = 0``), the state must agree bit for bit (``EXACT``); elsewhere PyTorch's CPU kernels
fuse multiply-adds, which NumPy cannot, and the values agree to a few ulp.
"""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from test_torch_optim_fuzz_cases import _assert_same, _outcome, _param, _result, _stepped

import chainrule as cr

G = [0.1, -0.3]


def _sgd(lib: Any) -> Any:
    return lib.optim.SGD([_param(lib)], lr=0.1, momentum=0.9)


# ---------------------------------------------------------------- scheduler before optimizer
def _schedule_before_step(lib: Any) -> Any:
    opt = _sgd(lib)
    sched = lib.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    sched.step()
    _stepped(lib, opt, G)
    sched.step()
    return _result(opt), sched.get_last_lr()


def _schedule_made_after_step(lib: Any) -> Any:
    """PyTorch counts the optimizer's steps from its first schedule on: one before it still
    leaves the first schedule step out of order."""
    opt = _stepped(lib, _sgd(lib), G)
    sched = lib.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
    sched.step()
    return sched.get_last_lr()


def _second_schedule_after_step(lib: Any) -> Any:
    """A second schedule of the same optimizer sees the steps noted for the first."""
    opt = _sgd(lib)
    first = lib.optim.lr_scheduler.StepLR(opt, step_size=2)
    _stepped(lib, opt, G)
    second = lib.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
    first.step()
    second.step()
    return second.get_last_lr()


def _schedule_in_order(lib: Any) -> Any:
    opt = _sgd(lib)
    sched = lib.optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=5)
    lrs = []
    for _ in range(4):
        _stepped(lib, opt, G)
        sched.step()
        lrs.append(sched.get_last_lr())
    return lrs, _result(opt)


def _chained_before_step(lib: Any) -> Any:
    opt = _sgd(lib)
    sched = lib.optim.lr_scheduler.ChainedScheduler(
        [
            lib.optim.lr_scheduler.ConstantLR(opt, factor=0.5, total_iters=2),
            lib.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9),
        ]
    )
    sched.step()
    return sched.get_last_lr()


def _plateau_before_step(lib: Any) -> Any:
    """ReduceLROnPlateau's step has no such warning."""
    opt = _sgd(lib)
    sched = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0)
    for metric in (1.0, 1.0, 1.0):
        sched.step(metric)
    return sched.get_last_lr()


def _scheduled_optimizer_copied(lib: Any) -> Any:
    """A copy (or a pickle) of an optimizer with a schedule steps its own parameters."""
    opt = _sgd(lib)
    lib.optim.lr_scheduler.StepLR(opt, step_size=1)
    copied = copy.deepcopy(opt)
    _stepped(lib, copied, G)
    unpickled = pickle.loads(pickle.dumps(opt))  # noqa: S301 - made here
    _stepped(lib, unpickled, G, G)
    return _result(opt), _result(copied), _result(unpickled)


# ---------------------------------------------------------------- resuming schedules
def _one_cycle_resumed_wrong_max_lr(lib: Any) -> Any:
    opt = _sgd(lib)
    opt.param_groups[0]["initial_lr"] = 0.1
    return lib.optim.lr_scheduler.OneCycleLR(opt, max_lr=[0.5, 0.2], total_steps=10, last_epoch=3)


def _resumed_without_initial_lr(lib: Any) -> Any:
    return lib.optim.lr_scheduler.StepLR(_sgd(lib), step_size=2, last_epoch=3)


def _warm_restarts_fractional(lib: Any) -> Any:
    opt = _sgd(lib)
    sched = lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2)
    lrs = []
    for epoch in (0.5, 1.7, 2.0, 5.25, 3.0):
        _stepped(lib, opt, G)
        sched.step(epoch)
        lrs.append(sched.get_last_lr())
    return lrs, sched.T_i, sched.T_cur


def _cyclic_adam_betas(lib: Any) -> Any:
    opt = lib.optim.Adam([_param(lib)], lr=0.1, betas=(0.9, 0.99))
    sched = lib.optim.lr_scheduler.CyclicLR(
        opt, base_lr=0.01, max_lr=0.1, step_size_up=2, mode="exp_range", gamma=0.9
    )
    for _ in range(5):
        _stepped(lib, opt, G)
        sched.step()
    return _result(opt), sched.get_last_lr()


def _plateau_nan_metric(lib: Any) -> Any:
    opt = _sgd(lib)
    sched = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0, min_lr=0.01)
    lrs = []
    for metric in (1.0, float("nan"), 0.5, float("nan"), float("nan")):
        _stepped(lib, opt, G)
        sched.step(metric)
        lrs.append(sched.get_last_lr())
    return lrs, sched.num_bad_epochs


# ---------------------------------------------------------------- optimizers
def _loaded_group_of_other_size(lib: Any) -> Any:
    opt = lib.optim.Adam([_param(lib)], lr=0.1)
    opt.load_state_dict(lib.optim.Adam([_param(lib), _param(lib)], lr=0.1).state_dict())


def _adam_zero_eps_zero_grad(lib: Any) -> Any:
    """0 / 0 is nan in both, without NumPy's RuntimeWarning."""
    return _result(_stepped(lib, lib.optim.Adam([_param(lib)], lr=0.1, eps=0.0), [0.0, 0.0]))


def _rmsprop_zero_eps_zero_grad(lib: Any) -> Any:
    opt = lib.optim.RMSprop([_param(lib)], lr=0.1, eps=0.0, centered=True)
    return _result(_stepped(lib, opt, [0.0, 0.0]))


CASES: list[tuple[str, Callable[[Any], Any]]] = [
    ("schedule-stepped-before-optimizer", _schedule_before_step),
    ("schedule-made-after-optimizer-step", _schedule_made_after_step),
    ("second-schedule-after-optimizer-step", _second_schedule_after_step),
    ("schedule-stepped-in-order", _schedule_in_order),
    ("scheduled-optimizer-copied-and-pickled", _scheduled_optimizer_copied),
    ("ChainedScheduler-stepped-before-optimizer", _chained_before_step),
    ("ReduceLROnPlateau-stepped-before-optimizer", _plateau_before_step),
    ("OneCycleLR-resumed-max_lr-wrong-length", _one_cycle_resumed_wrong_max_lr),
    ("resumed-without-initial_lr", _resumed_without_initial_lr),
    ("CosineAnnealingWarmRestarts-fractional-epochs", _warm_restarts_fractional),
    ("CyclicLR-exp_range-Adam-betas", _cyclic_adam_betas),
    ("ReduceLROnPlateau-nan-metric", _plateau_nan_metric),
    ("load_state_dict-group-of-other-size", _loaded_group_of_other_size),
    ("Adam-zero-eps-zero-grad", _adam_zero_eps_zero_grad),
    ("RMSprop-centered-zero-eps-zero-grad", _rmsprop_zero_eps_zero_grad),
]


@pytest.mark.parametrize("case", [c for _, c in CASES], ids=[name for name, _ in CASES])
def test_case_matches_torch(case: Callable[[Any], Any]) -> None:
    (ours, our_warnings), (theirs, their_warnings) = _outcome(case, cr), _outcome(case, torch)
    _assert_same(ours, theirs)
    assert our_warnings == their_warnings


# ---------------------------------------------------------------- exact lerps
# gradients whose running average by ``m + (g - m)`` is not ``g`` (it is, by PyTorch's lerp)
LERP_GRADS = ([0.6404226504432821, -0.535669373161111], [-0.625, 3.5])

EXACT: list[tuple[str, str, dict[str, Any]]] = [
    ("Adam", "exp_avg", {"betas": (0.0, 0.9)}),
    ("AdamW", "exp_avg", {"betas": (0.0, 0.0)}),
    ("RMSprop", "grad_avg", {"alpha": 0.0, "centered": True}),
]


@pytest.mark.parametrize(("name", "key", "kwargs"), EXACT, ids=[e[0] for e in EXACT])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_lerp_to_the_gradient_is_exact(
    name: str, key: str, kwargs: dict[str, Any], dtype: str
) -> None:
    """A running average with weight 1 on the gradient is the gradient, bit for bit."""
    states = []
    for lib in (cr, torch):
        p = lib.nn.Parameter(lib.tensor(np.array([1.0, 2.0], dtype=dtype)))
        opt = getattr(lib.optim, name)([p], lr=0.01, **kwargs)
        for grad in LERP_GRADS:
            p.grad = lib.tensor(np.array(grad, dtype=dtype))
            opt.step()
        states.append(np.array(opt.state[p][key].detach().numpy()))
    np.testing.assert_array_equal(*states)
    np.testing.assert_array_equal(states[1], np.array(LERP_GRADS[-1], dtype=dtype))
