"""Optimizers, learning-rate schedules and gradient clipping against PyTorch.

Every optimizer case runs the same parameters through the same loss in chainrule and in
``torch.optim`` for several steps; the parameters must agree to float32 rounding after every
step. State dicts are checked for PyTorch's layout and for resuming exactly, in both
directions between the two libraries.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.nn.utils import clip_grad_norm_

SHAPES = [(3, 4), (4,), (2, 3, 2)]
STEPS = 12

# (optimizer name, keyword arguments): the same call in both libraries.
OPTIMIZER_CASES: list[tuple[str, dict[str, Any]]] = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.5}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.1, "momentum": 0.8, "weight_decay": 0.05}),
    ("SGD", {"lr": 0.1, "momentum": 0.8, "nesterov": True, "weight_decay": 0.05}),
    ("SGD", {"lr": 0.05, "weight_decay": 0.1, "maximize": True}),
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.95), "eps": 1e-6}),
    ("Adam", {"lr": 0.01, "eps": 0.1}),  # an eps as large as sqrt(v) shows where it is added
    ("Adam", {"lr": 0.01, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("Adam", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1, "maximize": True}),
    ("AdamW", {"lr": 0.01}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.3}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.3, "amsgrad": True}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9}),
    ("RMSprop", {"lr": 0.01, "eps": 0.1}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9}),
    ("RMSprop", {"lr": 0.01, "centered": True}),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5, "weight_decay": 0.1}),
    ("Adagrad", {"lr": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.05, "initial_accumulator_value": 0.5}),
    ("Adagrad", {"lr": 0.1, "eps": 0.1, "weight_decay": 0.1, "maximize": True}),
]
CASE_IDS = [f"{name}-{kwargs}" for name, kwargs in OPTIMIZER_CASES]


def _initial(rng: np.random.Generator) -> list[np.ndarray]:
    return [rng.standard_normal(shape).astype(np.float32) for shape in SHAPES]


def _targets(rng: np.random.Generator) -> list[list[np.ndarray]]:
    """One target per parameter per step: the loss moves, so the state sees varied grads."""
    return [[rng.standard_normal(s).astype(np.float32) for s in SHAPES] for _ in range(STEPS)]


def _loss(params: list[Any], targets: list[np.ndarray], lib: Any) -> Any:
    """sum over params of 0.5 * sum((p - t)^2 * scale) with a cubic term, so grads depend on p."""
    total = 0
    for p, t in zip(params, targets, strict=True):
        diff = p - lib.tensor(t)
        total = total + (0.5 * diff * diff + 0.1 * diff * diff * diff).sum()
    return total


def _pair(
    name: str, kwargs: dict[str, Any], start: list[np.ndarray]
) -> tuple[list[Any], Any, list[Any], Any]:
    ours = [cr.nn.Parameter(cr.tensor(a.copy())) for a in start]
    theirs = [torch.nn.Parameter(torch.tensor(a.copy())) for a in start]
    return (
        ours,
        getattr(cr.optim, name)(ours, **kwargs),
        theirs,
        getattr(torch.optim, name)(theirs, **kwargs),
    )


def _step(opt: Any, params: list[Any], targets: list[np.ndarray], lib: Any) -> float:
    opt.zero_grad()
    loss = _loss(params, targets, lib)
    loss.backward()
    opt.step()
    return float(loss.item())


def _assert_params_close(ours: list[Any], theirs: list[Any], where: str) -> None:
    for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        np.testing.assert_allclose(
            a.detach().numpy(),
            b.detach().numpy(),
            rtol=2e-5,
            atol=2e-6,
            err_msg=f"parameter {i} {where}",
        )


@pytest.mark.parametrize(("name", "kwargs"), OPTIMIZER_CASES, ids=CASE_IDS)
def test_optimizer_steps_match_torch(
    name: str, kwargs: dict[str, Any], rng: np.random.Generator
) -> None:
    start = _initial(rng)
    ours, opt, theirs, topt = _pair(name, kwargs, start)
    for step, targets in enumerate(_targets(rng)):
        loss = _step(opt, ours, targets, cr)
        tloss = _step(topt, theirs, targets, torch)
        assert loss == pytest.approx(tloss, rel=1e-5), f"loss at step {step}"
        _assert_params_close(ours, theirs, f"after step {step}")
    # The parameters really moved: agreeing with torch must not mean both stood still.
    for p, p0 in zip(ours, start, strict=True):
        assert np.abs(p.detach().numpy() - p0).max() > 1e-3


def test_param_groups_keep_their_own_hyperparameters(rng: np.random.Generator) -> None:
    start = _initial(rng)
    ours = [cr.nn.Parameter(cr.tensor(a)) for a in start]
    theirs = [torch.nn.Parameter(torch.tensor(a)) for a in start]
    opt = cr.optim.SGD(
        [{"params": ours[:2]}, {"params": ours[2:], "lr": 0.01, "momentum": 0.5}], lr=0.2
    )
    topt = torch.optim.SGD(
        [{"params": theirs[:2]}, {"params": theirs[2:], "lr": 0.01, "momentum": 0.5}], lr=0.2
    )
    for targets in _targets(rng):
        _step(opt, ours, targets, cr)
        _step(topt, theirs, targets, torch)
    _assert_params_close(ours, theirs, "with two param groups")
    assert [g["lr"] for g in opt.param_groups] == [0.2, 0.01]


def test_parameters_without_grad_are_left_alone() -> None:
    used, unused = cr.nn.Parameter(cr.ones(2)), cr.nn.Parameter(cr.ones(2))
    opt = cr.optim.Adam([used, unused], lr=0.1)
    (used * used).sum().backward()
    opt.step()
    assert unused.tolist() == [1.0, 1.0]
    assert unused not in opt.state and used in opt.state


def test_step_with_a_closure_returns_its_loss_and_uses_its_grads() -> None:
    w = cr.nn.Parameter(cr.tensor([1.0, -2.0]))
    opt = cr.optim.SGD([w], lr=0.25)

    def closure() -> cr.Tensor:
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    assert opt.step(closure).item() == 5.0
    assert w.tolist() == [0.5, -1.0]  # w - 0.25 * 2w
    assert opt.step() is None


def test_step_changes_parameters_in_place_so_stale_graphs_refuse_backward() -> None:
    """A graph recorded before step saw the old weights; PyTorch refuses its backward."""
    w = cr.nn.Parameter(cr.ones(2))
    opt = cr.optim.SGD([w], lr=0.1)
    (w * w).sum().backward()
    stale = (w * w).sum()
    opt.step()
    assert stale.grad_fn is not None and w.grad_fn is None
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        stale.backward()


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad(set_to_none: bool) -> None:
    w = cr.nn.Parameter(cr.ones(3))
    opt = cr.optim.SGD([w], lr=0.1)
    (w * 2.0).sum().backward()
    held = w.grad
    opt.zero_grad(set_to_none=set_to_none)
    if set_to_none:
        assert w.grad is None
    else:
        assert w.grad is not None and w.grad.tolist() == [0.0, 0.0, 0.0]
        assert held.tolist() == [0.0, 0.0, 0.0]  # zeroed in place, as in PyTorch
    # The next backward starts from nothing rather than accumulating onto the old grad.
    (w * 3.0).sum().backward()
    assert w.grad.tolist() == [3.0, 3.0, 3.0]


def test_zero_grad_default_drops_grads() -> None:
    w = cr.nn.Parameter(cr.ones(1))
    (w * 2.0).sum().backward()
    cr.optim.SGD([w], lr=0.1).zero_grad()
    assert w.grad is None


# ------------------------------------------------------------------ state dicts


def _to_torch(value: Any) -> Any:
    if isinstance(value, cr.Tensor):
        return torch.tensor(value.numpy())
    if isinstance(value, dict):
        return {k: _to_torch(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_torch(v) for v in value]
    return value


@pytest.mark.parametrize(("name", "kwargs"), OPTIMIZER_CASES, ids=CASE_IDS)
def test_state_dict_has_torch_layout(
    name: str, kwargs: dict[str, Any], rng: np.random.Generator
) -> None:
    ours, opt, theirs, topt = _pair(name, kwargs, _initial(rng))
    for targets in _targets(rng)[:3]:
        _step(opt, ours, targets, cr)
        _step(topt, theirs, targets, torch)
    sd, tsd = opt.state_dict(), topt.state_dict()
    assert set(sd) == {"state", "param_groups"}
    for group, tgroup in zip(sd["param_groups"], tsd["param_groups"], strict=True):
        assert group["params"] == tgroup["params"]
        assert list(group) == list(tgroup)  # PyTorch's keys, in its order (printed as is)
        for key in set(group) - {"params"}:
            assert group[key] == tgroup[key], key
    assert sorted(sd["state"]) == sorted(tsd["state"])
    for index, state in sd["state"].items():
        tstate = tsd["state"][index]
        assert set(state) == set(tstate)
        for key, value in state.items():
            np.testing.assert_allclose(
                value.numpy(), tstate[key].numpy(), rtol=2e-5, atol=2e-6, err_msg=key
            )
            assert value.dtype == np.dtype(str(tstate[key].dtype).removeprefix("torch."))


@pytest.mark.parametrize(("name", "kwargs"), OPTIMIZER_CASES, ids=CASE_IDS)
def test_state_dict_round_trip_through_a_file_resumes_identically(
    name: str, kwargs: dict[str, Any], rng: np.random.Generator, tmp_path: Path
) -> None:
    start, targets = _initial(rng), _targets(rng)
    ours = [cr.nn.Parameter(cr.tensor(a)) for a in start]
    opt = getattr(cr.optim, name)(ours, **kwargs)
    for t in targets[:4]:
        _step(opt, ours, t, cr)
    cr.save({"params": [p.detach() for p in ours], "optimizer": opt.state_dict()}, tmp_path / "c")
    checkpoint = cr.load(tmp_path / "c")
    resumed = [cr.nn.Parameter(t) for t in checkpoint["params"]]
    fresh = getattr(cr.optim, name)(resumed, lr=123.0)  # the state dict brings the real lr
    fresh.load_state_dict(checkpoint["optimizer"])
    assert fresh.param_groups[0]["lr"] == kwargs["lr"]
    for t in targets[4:]:
        _step(opt, ours, t, cr)
        _step(fresh, resumed, t, cr)
    for a, b in zip(ours, resumed, strict=True):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


@pytest.mark.parametrize(("name", "kwargs"), OPTIMIZER_CASES, ids=CASE_IDS)
def test_state_dicts_move_between_chainrule_and_torch(
    name: str, kwargs: dict[str, Any], rng: np.random.Generator
) -> None:
    """Run 4 steps in each library, swap the optimizer states, and keep both in step."""
    start, targets = _initial(rng), _targets(rng)
    ours, opt, theirs, topt = _pair(name, kwargs, start)
    for t in targets[:4]:
        _step(opt, ours, t, cr)
        _step(topt, theirs, t, torch)
    ours_sd, theirs_sd = opt.state_dict(), topt.state_dict()
    # chainrule continues from torch's state and torch from chainrule's.
    opt.load_state_dict(theirs_sd)
    topt.load_state_dict(_to_torch(ours_sd))
    for t in targets[4:]:
        _step(opt, ours, t, cr)
        _step(topt, theirs, t, torch)
    _assert_params_close(ours, theirs, "after swapping optimizer states")
    for state in opt.state.values():
        assert all(not isinstance(v, torch.Tensor) for v in state.values())


def test_loaded_state_is_a_copy() -> None:
    w = cr.nn.Parameter(cr.ones(2))
    opt = cr.optim.SGD([w], lr=0.1, momentum=0.9)
    (w * w).sum().backward()
    opt.step()
    sd = opt.state_dict()
    other = cr.optim.SGD([cr.nn.Parameter(cr.ones(2))], lr=0.1, momentum=0.9)
    other.load_state_dict(sd)
    sd["state"][0]["momentum_buffer"].zero_()
    assert next(iter(other.state.values()))["momentum_buffer"].tolist() == [2.0, 2.0]


@pytest.mark.parametrize(
    ("groups", "message"),
    [
        ([{"params": [0]}, {"params": [1]}], "different number of parameter groups"),
        ([{"params": [0, 1, 2]}], "doesn't match the size"),
    ],
)
def test_load_state_dict_rejects_mismatched_groups(groups: list[Any], message: str) -> None:
    opt = cr.optim.SGD([cr.nn.Parameter(cr.ones(1)), cr.nn.Parameter(cr.ones(1))], lr=0.1)
    with pytest.raises(ValueError, match=message):
        opt.load_state_dict({"state": {}, "param_groups": [dict(g, lr=0.1) for g in groups]})


def test_load_state_dict_rejects_a_buffer_of_the_wrong_shape() -> None:
    opt = cr.optim.SGD([cr.nn.Parameter(cr.ones(3))], lr=0.1, momentum=0.9)
    sd = {
        "state": {0: {"momentum_buffer": cr.ones(4)}},
        "param_groups": [dict(opt.state_dict()["param_groups"][0])],
    }
    with pytest.raises(ValueError, match=r"momentum_buffer.*\(4,\).*\(3,\)"):
        opt.load_state_dict(sd)


# ------------------------------------------------------------------ learning-rate schedules

SCHEDULER_CASES: list[tuple[str, dict[str, Any]]] = [
    ("StepLR", {"step_size": 3}),
    ("StepLR", {"step_size": 1, "gamma": 0.5}),
    ("StepLR", {"step_size": 7, "gamma": 0.9}),
    ("CosineAnnealingLR", {"T_max": 10}),
    ("CosineAnnealingLR", {"T_max": 10, "eta_min": 0.01}),
    ("CosineAnnealingLR", {"T_max": 1}),
    ("CosineAnnealingLR", {"T_max": 7, "eta_min": 0.05}),
    ("OneCycleLR", {"max_lr": 1.0, "total_steps": 50}),
    ("OneCycleLR", {"max_lr": [1.0, 0.3], "epochs": 5, "steps_per_epoch": 9, "pct_start": 0.4}),
    ("OneCycleLR", {"max_lr": 0.8, "total_steps": 45, "anneal_strategy": "linear"}),
    ("OneCycleLR", {"max_lr": 0.8, "total_steps": 47, "three_phase": True, "div_factor": 5.0}),
]
SCHEDULER_IDS = [f"{name}-{kwargs}" for name, kwargs in SCHEDULER_CASES]
EPOCHS = 45  # several cosine periods: the schedule climbs back up after T_max


def _two_group_sgd(lib: Any) -> Any:
    """SGD over two parameter groups with base rates 0.5 and 0.1."""
    groups = [{"params": [lib.nn.Parameter(lib.ones(1))]} for _ in range(2)]
    opt = lib.optim.SGD(groups, lr=0.5)
    opt.param_groups[1]["lr"] = 0.1
    return opt


def _schedulers(name: str, kwargs: dict[str, Any]) -> tuple[Any, Any]:
    return (
        getattr(cr.optim.lr_scheduler, name)(_two_group_sgd(cr), **kwargs),
        getattr(torch.optim.lr_scheduler, name)(_two_group_sgd(torch), **kwargs),
    )


def _epoch(sched: Any) -> list[float]:
    sched.optimizer.step()
    sched.step()
    return sched.get_last_lr()


@pytest.mark.parametrize(("name", "kwargs"), SCHEDULER_CASES, ids=SCHEDULER_IDS)
def test_scheduler_lr_sequence_matches_torch(name: str, kwargs: dict[str, Any]) -> None:
    sched, tsched = _schedulers(name, kwargs)
    assert sched.get_last_lr() == pytest.approx(tsched.get_last_lr(), rel=1e-12)
    seen = set()
    for epoch in range(EPOCHS):
        lrs, tlrs = _epoch(sched), _epoch(tsched)
        assert lrs == pytest.approx(tlrs, rel=1e-9, abs=1e-15), f"epoch {epoch}"
        assert [g["lr"] for g in sched.optimizer.param_groups] == lrs
        if name == "OneCycleLR":  # momentum cycles against the rate
            momenta = [g["momentum"] for g in sched.optimizer.param_groups]
            expected = [g["momentum"] for g in tsched.optimizer.param_groups]
            assert momenta == pytest.approx(expected, rel=1e-9)
        seen.add(round(lrs[0], 12))
    assert len(seen) >= 2  # the schedule really changed the rate
    assert sched.last_epoch == tsched.last_epoch == EPOCHS


@pytest.mark.parametrize(("name", "kwargs"), SCHEDULER_CASES, ids=SCHEDULER_IDS)
def test_scheduler_state_dict_resumes_like_torch(name: str, kwargs: dict[str, Any]) -> None:
    sched, tsched = _schedulers(name, kwargs)
    for _ in range(13):
        _epoch(sched)
        _epoch(tsched)
    saved, opt_saved = sched.state_dict(), sched.optimizer.state_dict()
    assert "optimizer" not in saved
    assert saved["last_epoch"] == 13 and saved["base_lrs"] == tsched.base_lrs
    resumed, _ = _schedulers(name, kwargs)
    resumed.optimizer.load_state_dict(opt_saved)
    resumed.load_state_dict(saved)
    for epoch in range(20):
        lrs, tlrs = _epoch(resumed), _epoch(tsched)
        assert lrs == pytest.approx(tlrs, rel=1e-9, abs=1e-15), f"epoch {13 + epoch}"


def test_one_cycle_cycles_adams_beta1_and_refuses_a_step_past_the_end() -> None:
    def build(lib: Any) -> Any:
        opt = lib.optim.Adam([lib.nn.Parameter(lib.ones(1))], lr=0.1, betas=(0.9, 0.99))
        return lib.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.5, total_steps=6)

    sched, tsched = build(cr), build(torch)
    for _ in range(6):
        assert sched.optimizer.param_groups[0]["betas"] == pytest.approx(
            tsched.optimizer.param_groups[0]["betas"], rel=1e-12
        )
        assert _epoch(sched) == pytest.approx(_epoch(tsched), rel=1e-12)
    for s in (sched, tsched):
        with pytest.raises(ValueError, match="Tried to step 7 times"):
            _epoch(s)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"patience": 2, "factor": 0.5},
        {"mode": "max", "patience": 1, "cooldown": 2, "min_lr": [0.05, 0.02]},
        {"threshold": 0.5, "threshold_mode": "abs", "patience": 0, "eps": 0.01},
        {"mode": "max", "threshold": 0.1, "patience": 1, "factor": 0.3},
    ],
)
def test_reduce_lr_on_plateau_matches_torch(kwargs: dict[str, Any]) -> None:
    ours = cr.optim.lr_scheduler.ReduceLROnPlateau(_two_group_sgd(cr), **kwargs)
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(_two_group_sgd(torch), **kwargs)
    # A metric that improves, stalls, wiggles and improves again.
    metrics = [5.0, 4.0, 3.9, 3.9, 4.1, 3.95, 3.0, 3.0, 3.2, 2.9, 2.95, 2.94] * 3
    for epoch, metric in enumerate(metrics):
        if epoch == len(metrics) // 2:  # resume half-way through a state dict
            ours.optimizer.load_state_dict(ours.optimizer.state_dict())
            ours.load_state_dict(ours.state_dict())
        ours.step(cr.tensor(metric))
        theirs.step(torch.tensor(metric))
        assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-12), epoch
        assert (ours.best, ours.num_bad_epochs, ours.cooldown_counter) == (
            theirs.best,
            theirs.num_bad_epochs,
            theirs.cooldown_counter,
        )
    assert ours.get_last_lr() != [0.5, 0.1]  # the rate really was reduced


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda lib, o: lib.optim.lr_scheduler.ReduceLROnPlateau(o, factor=1.0), "Factor"),
        (lambda lib, o: lib.optim.lr_scheduler.ReduceLROnPlateau(o, mode="up"), "unknown"),
        (lambda lib, o: lib.optim.lr_scheduler.ReduceLROnPlateau(o, min_lr=[0.1]), "min_lrs"),
        (lambda lib, o: lib.optim.lr_scheduler.OneCycleLR(o, 1.0), "total_steps OR"),
        (lambda lib, o: lib.optim.lr_scheduler.OneCycleLR(o, [1.0], 5), "same length"),
        (lambda lib, o: lib.optim.lr_scheduler.OneCycleLR(o, 1.0, 5, pct_start=2.0), "pct_start"),
        (
            lambda lib, o: lib.optim.lr_scheduler.OneCycleLR(o, 1.0, 5, anneal_strategy="x"),
            "anneal_strategy",
        ),
        (lambda lib, o: lib.optim.Adagrad(o.param_groups[0]["params"], lr_decay=-1), "lr_decay"),
    ],
)
def test_scheduler_and_adagrad_misuse_raise_torch_errors(build: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build(torch, _two_group_sgd(torch))
    with pytest.raises(ValueError, match=message):
        build(cr, _two_group_sgd(cr))


def test_scheduler_requires_an_optimizer() -> None:
    with pytest.raises(TypeError, match="not an Optimizer"):
        cr.optim.lr_scheduler.StepLR([], step_size=1)  # type: ignore[arg-type]


def test_scheduler_resume_needs_initial_lr() -> None:
    opt = cr.optim.SGD([cr.nn.Parameter(cr.ones(1))], lr=0.1)
    with pytest.raises(KeyError, match="initial_lr"):
        cr.optim.lr_scheduler.StepLR(opt, step_size=1, last_epoch=3)


# ------------------------------------------------------------------ gradient clipping

CLIP_CASES = [
    (2.0, 0.5),  # clips
    (2.0, 1e3),  # below max_norm: unchanged
    (math.inf, 0.3),
    (math.inf, 1e3),
    (1.0, 1.0),
    (3.0, 0.7),
    ("inf", 0.3),
    (0, 0.5),  # PyTorch's "0-norm": the count of gradients with a non-zero entry
    (0.0, 1e3),
]


@pytest.mark.parametrize(("norm_type", "max_norm"), CLIP_CASES, ids=str)
def test_clip_grad_norm_matches_torch(
    norm_type: Any, max_norm: float, rng: np.random.Generator
) -> None:
    grads = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
    ours = [cr.nn.Parameter(cr.zeros(s)) for s in SHAPES]
    theirs = [torch.nn.Parameter(torch.zeros(s)) for s in SHAPES]
    for p, tp, g in zip(ours, theirs, grads, strict=True):
        p.grad, tp.grad = cr.tensor(g), torch.tensor(g)
    extra = cr.nn.Parameter(cr.ones(2))  # no grad: skipped, as in PyTorch
    total = clip_grad_norm_([*ours, extra], max_norm, norm_type=norm_type)
    ttotal = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert isinstance(total, cr.Tensor) and total.dtype == np.float32 and total.shape == ()
    assert total.item() == pytest.approx(ttotal.item(), rel=1e-6)
    for p, tp in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-6, atol=1e-7)
    assert extra.grad is None


def test_clip_grad_norm_of_a_single_tensor_and_of_nothing() -> None:
    w = cr.nn.Parameter(cr.zeros(2))
    w.grad = cr.tensor([3.0, 4.0])
    assert clip_grad_norm_(w, 1.0).item() == pytest.approx(5.0)
    assert w.grad.tolist() == pytest.approx([0.6, 0.8])
    assert clip_grad_norm_([cr.nn.Parameter(cr.zeros(1))], 1.0).item() == 0.0


def test_clip_grad_norm_rejects_non_finite_when_asked() -> None:
    w = cr.nn.Parameter(cr.zeros(2))
    w.grad = cr.tensor([math.inf, 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_([w], 1.0, error_if_nonfinite=True)


@pytest.mark.parametrize(
    ("make", "flag"),
    [
        (lambda p: cr.optim.SGD(p, lr=0.1, differentiable=True), "differentiable"),
        (lambda p: cr.optim.Adam(p, capturable=True), "capturable"),
        (lambda p: cr.optim.RMSprop(p, differentiable=True), "differentiable"),
    ],
)
def test_step_kinds_chainrule_cannot_take_are_refused_by_name(make, flag) -> None:
    with pytest.raises(RuntimeError, match=f"{flag}=True is not supported"):
        make([cr.nn.Parameter(cr.ones(2))])


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_sgd_step_is_numpys_update_bit_for_bit_as_lr_and_groups_change(dtype: type) -> None:
    # SGD keeps -lr as a 0-d array while lr is the same float (see SGD._descend): a new
    # lr each step, two groups with their own lr and a NumPy-scalar lr (not a weak scalar:
    # computed in float64) must each give what NumPy computes from the number itself.
    rng = np.random.default_rng(3)
    start = [rng.standard_normal((3, 4)).astype(dtype) for _ in range(2)]
    params = [cr.nn.Parameter(cr.tensor(a.copy())) for a in start]
    opt = cr.optim.SGD([{"params": [params[0]]}, {"params": [params[1]], "lr": 0.3}], lr=0.1)
    expected = [a.copy() for a in start]
    for i, lr in enumerate([0.1, 0.1, 0.07, np.float64(0.013), 0.5, 1 / 3]):
        opt.param_groups[0]["lr"] = lr
        grads = [rng.standard_normal((3, 4)).astype(dtype) for _ in range(2)]
        for p, g in zip(params, grads, strict=True):
            p.grad = cr.tensor(g)
        opt.step()
        rates = [lr, 0.3 + i]
        for k, g in enumerate(grads):
            expected[k] = np.add(expected[k], np.multiply(g, -rates[k]).astype(dtype))
        opt.param_groups[1]["lr"] = 0.3 + i + 1
        for p, e in zip(params, expected, strict=True):
            assert p._data.dtype == dtype
            np.testing.assert_array_equal(p._data, e)
