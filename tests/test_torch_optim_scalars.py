"""Optimizers' scalars against PyTorch: the dtype of their scalar state, and hyperparameters
given as tensors.

* PyTorch keeps ``step`` (and NAdam's ``mu_product``, ASGD's ``eta`` and ``mu``) in float64
  when the default dtype is float64, in float32 otherwise and for a fused update. A float32
  ``mu_product`` moved float64 parameters by ~1e-9 from PyTorch's.
* ``lr`` may be a 1-element tensor in every optimizer (Adam's ``betas`` too). The group keeps
  the tensor; a scheduler fills it in place; a state dict's groups share it after loading.
  chainrule's steps raised a TypeError on it.
* The constructors refuse what PyTorch refuses, in its words: a nan rate (all but SGD), a
  tensor rate of several elements, mixed float and tensor betas.

Every row runs the same code on both libraries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr

STEPS = 4

# name -> keyword configuration, with the optimizer's scalar state in play
CONFIGS: list[tuple[str, dict[str, Any]]] = [
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("Adam", {"lr": 0.1, "amsgrad": True}),
    ("Adam", {"lr": 0.1, "fused": True}),
    ("AdamW", {"lr": 0.1}),
    ("Adamax", {"lr": 0.1}),
    ("NAdam", {"lr": 0.1, "momentum_decay": 0.1}),
    ("NAdam", {"lr": 0.1, "decoupled_weight_decay": True, "weight_decay": 0.1}),
    ("RAdam", {"lr": 0.1, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5}),
    ("Rprop", {"lr": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.1}),
    ("Adagrad", {"lr": 0.1, "fused": True}),
    ("Adadelta", {"lr": 1.0}),
    ("ASGD", {"lr": 0.1, "lambd": 0.1, "t0": 2.0}),
    ("Adafactor", {"lr": 0.1}),
]
IDS = [f"{name}-{'-'.join(map(str, config.values()))}" for name, config in CONFIGS]


@pytest.fixture
def float64_default() -> Iterator[None]:
    torch.set_default_dtype(torch.float64)
    cr.set_default_dtype(cr.float64)
    try:
        yield
    finally:
        torch.set_default_dtype(torch.float32)
        cr.set_default_dtype(cr.float32)


def _trajectory(
    lib: Any, name: str, config: dict[str, Any], tensor_lr: bool = False
) -> tuple[list[np.ndarray], Any]:
    """The parameters after ``STEPS`` steps on fixed gradients (two groups, the second with
    its own rate), and the optimizer."""
    rng = np.random.default_rng(0)
    params = [lib.nn.Parameter(lib.tensor(rng.standard_normal(s))) for s in ((3, 4), (5,), ())]
    config = dict(config)
    if tensor_lr:
        config["lr"] = lib.tensor(config["lr"])
    groups = [{"params": params[:2]}, {"params": params[2:], "lr": 0.05}]
    opt = getattr(lib.optim, name)(groups, **config)
    for _ in range(STEPS):
        for p in params:
            p.grad = lib.tensor(rng.standard_normal(tuple(p.shape)))
        opt.step()
    return [p.detach().numpy().copy() for p in params], opt


def _scalar_state(opt: Any) -> dict[str, str]:
    """The dtype of each 0-d entry of the first parameter's state."""
    state = opt.state_dict()["state"][0]
    return {k: str(v.dtype).split(".")[-1] for k, v in state.items() if v.dim() == 0}


@pytest.mark.parametrize(("name", "config"), CONFIGS, ids=IDS)
@pytest.mark.usefixtures("float64_default")
def test_scalar_state_follows_the_default_dtype(name: str, config: dict[str, Any]) -> None:
    (ours, ours_opt), (theirs, theirs_opt) = (_trajectory(lib, name, config) for lib in (cr, torch))
    assert _scalar_state(ours_opt) == _scalar_state(theirs_opt)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize(("name", "config"), CONFIGS, ids=IDS)
def test_scalar_state_is_float32_under_the_float32_default(
    name: str, config: dict[str, Any]
) -> None:
    assert _scalar_state(_trajectory(cr, name, config)[1]) == _scalar_state(
        _trajectory(torch, name, config)[1]
    )


@pytest.mark.parametrize(("name", "config"), CONFIGS, ids=IDS)
@pytest.mark.usefixtures("float64_default")
def test_a_tensor_learning_rate_steps_as_torchs(name: str, config: dict[str, Any]) -> None:
    (ours, ours_opt), (theirs, theirs_opt) = (
        _trajectory(lib, name, config, tensor_lr=True) for lib in (cr, torch)
    )
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)
    # the group keeps the tensor (the second group its own float)
    assert isinstance(ours_opt.param_groups[0]["lr"], cr.Tensor)
    assert isinstance(ours_opt.param_groups[1]["lr"], float)


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
@pytest.mark.usefixtures("float64_default")
def test_tensor_betas_step_as_torchs(name: str) -> None:
    results = []
    for lib in (cr, torch):
        config = {"lr": 0.1, "betas": (lib.tensor([0.8]), lib.tensor(0.99))}
        params, opt = _trajectory(lib, name, config)
        results.append(params)
        assert [b.dim() for b in opt.param_groups[0]["betas"]] == [0, 0]  # squeezed
    for a, b in zip(*results, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)


@pytest.mark.usefixtures("float64_default")
def test_lbfgs_takes_a_tensor_learning_rate() -> None:
    results = []
    for lib in (cr, torch):
        x = lib.tensor([1.5, -0.5], requires_grad=True)
        opt = lib.optim.LBFGS([x], lr=lib.tensor(0.5), max_iter=5)

        def closure(x: Any = x, opt: Any = opt) -> Any:
            opt.zero_grad()
            loss = ((x - 2) ** 2).sum() + (x**4).sum()
            loss.backward()
            return loss

        opt.step(closure)
        results.append(x.detach().numpy())
    np.testing.assert_allclose(*results, rtol=1e-12)


def _schedules(lib: Any, opt: Any) -> dict[str, Callable[[], Any]]:
    s = lib.optim.lr_scheduler
    return {
        "StepLR": lambda: s.StepLR(opt, 2, gamma=0.5),
        "MultiStepLR": lambda: s.MultiStepLR(opt, [1, 3], gamma=0.3),
        "ExponentialLR": lambda: s.ExponentialLR(opt, 0.9),
        "CosineAnnealingLR": lambda: s.CosineAnnealingLR(opt, 4, eta_min=0.01),
        "LinearLR": lambda: s.LinearLR(opt, 0.5, 1.0, 3),
        "LambdaLR": lambda: s.LambdaLR(opt, lambda e: 0.9**e),
        "PolynomialLR": lambda: s.PolynomialLR(opt, 4, 2.0),
        "CosineAnnealingWarmRestarts": lambda: s.CosineAnnealingWarmRestarts(opt, 2, 2),
        "OneCycleLR": lambda: s.OneCycleLR(opt, 0.5, total_steps=8),
        "CyclicLR": lambda: s.CyclicLR(opt, 0.01, 0.1, step_size_up=2),
        "ReduceLROnPlateau": lambda: s.ReduceLROnPlateau(opt, patience=0),
        "SequentialLR": lambda: s.SequentialLR(
            opt, [s.ConstantLR(opt, 0.5, 2), s.ExponentialLR(opt, 0.9)], [2]
        ),
    }


@pytest.mark.parametrize("schedule", list(_schedules(cr, None)))
def test_a_schedule_fills_a_tensor_rate_in_place(schedule: str) -> None:
    seen = []
    for lib in (cr, torch):
        p = lib.nn.Parameter(lib.ones(3))
        lr = lib.tensor(0.1)
        opt = lib.optim.SGD([p], lr=lr, momentum=0.9)
        sched = _schedules(lib, opt)[schedule]()
        rates = []
        for _ in range(6):
            p.grad = lib.tensor([1.0, -2.0, 3.0])
            opt.step()
            sched.step(1.0) if schedule == "ReduceLROnPlateau" else sched.step()
            assert opt.param_groups[0]["lr"] is lr  # the same tensor, filled
            rates.append([float(lr), *map(float, sched.get_last_lr())])
        seen.append((np.array(rates), p.detach().numpy()))
    np.testing.assert_allclose(seen[0][0], seen[1][0], rtol=1e-6)
    np.testing.assert_allclose(seen[0][1], seen[1][1], rtol=1e-6)


def test_loaded_groups_share_what_the_saved_groups_shared() -> None:
    """The default rate, one tensor, is every group's; after loading a state dict it is
    still one tensor (one deepcopy of all the groups), so changing it changes all."""
    rates = []
    for lib in (cr, torch):
        groups = [{"params": [lib.nn.Parameter(lib.ones(2))]} for _ in range(2)]
        opt = lib.optim.Adam(groups, lr=lib.tensor(0.01))
        fresh = lib.optim.Adam(
            [{"params": [lib.nn.Parameter(lib.ones(2))]} for _ in range(2)], lr=0.5
        )
        fresh.load_state_dict(opt.state_dict())
        fresh.param_groups[0]["lr"].mul_(0.5)
        rates.append([float(g["lr"]) for g in fresh.param_groups] + [float(opt.defaults["lr"])])
    assert rates[0] == rates[1]
    np.testing.assert_allclose(rates[0], [0.005, 0.005, 0.01], rtol=1e-7)


def _outcome(lib: Any, name: str, kwargs: Callable[[Any], dict[str, Any]]) -> str:
    try:
        getattr(lib.optim, name)([lib.nn.Parameter(lib.ones(2))], **kwargs(lib))
    except Exception as e:  # noqa: BLE001 - the error is the result compared
        return f"{type(e).__name__}: {e}".replace("torch", "T").replace("chainrule", "T")
    return "accepted"


NAN = float("nan")
ALL = [name for name, _ in CONFIGS[::-1] if name not in ("Adam",)] + ["Adam", "LBFGS"]
ERRORS: list[tuple[str, str, Callable[[Any], dict[str, Any]]]] = [
    *((name, "nan-lr", lambda lib: {"lr": NAN}) for name in sorted(set(ALL))),
    *((name, "lr-of-2", lambda lib: {"lr": lib.tensor([0.1, 0.2])}) for name in sorted(set(ALL))),
    ("Adam", "betas-mixed", lambda lib: {"betas": (lib.tensor(0.9), 0.99)}),
    ("AdamW", "betas-ints", lambda lib: {"betas": (0, 0.99)}),
    ("Adam", "betas-of-2", lambda lib: {"betas": (lib.tensor([0.9, 0.8]), lib.tensor(0.9))}),
    (
        "Adam",
        "betas-foreach",
        lambda lib: {"betas": (lib.tensor(0.9), lib.tensor(0.9)), "foreach": True},
    ),
    ("Adam", "lr-foreach", lambda lib: {"lr": lib.tensor(0.1), "foreach": True}),
    ("Adam", "betas-one", lambda lib: {"betas": (0.9,)}),
    ("NAdam", "betas-one", lambda lib: {"betas": [0.9]}),
    ("Adamax", "beta-nan", lambda lib: {"betas": (0.9, NAN)}),
    ("RMSprop", "eps-nan", lambda lib: {"eps": NAN}),
    ("SGD", "momentum-nan", lambda lib: {"lr": 0.1, "momentum": NAN}),
    ("Adagrad", "weight_decay-nan", lambda lib: {"weight_decay": NAN}),
]


@pytest.mark.parametrize(
    ("name", "case", "kwargs"), ERRORS, ids=[f"{name}-{case}" for name, case, _ in ERRORS]
)
def test_constructor_outcomes_match_torch(
    name: str, case: str, kwargs: Callable[[Any], dict[str, Any]]
) -> None:
    assert _outcome(cr, name, kwargs) == _outcome(torch, name, kwargs)
