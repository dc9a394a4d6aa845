"""Cases a fuzz run of ``chainrule.optim`` (and gradient clipping) against PyTorch 2.13 found
to differ, each run the same way in both libraries.

Every case is a function of the library; what it returns (parameters, state, groups, learning
rates), or the error it raises (type and first line), and the warnings it gives must agree:
floating arrays in dtype and to 1e-12 (float64) or 1e-6 (float32) relative. A state dict
made by PyTorch, loaded into both, is checked apart (``LOADED_FROM_TORCH``).
"""

from __future__ import annotations

import copy
import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr

A = [1.0, 2.0]
G = [0.1, -0.3]


def _param(lib: Any, values: list[float] = A) -> Any:
    return lib.nn.Parameter(lib.tensor(np.array(values)))


def _stepped(lib: Any, opt: Any, *grads: list[float]) -> Any:
    """``opt`` stepped once per gradient given (the same one for each of its parameters)."""
    for grad in grads:
        for group in opt.param_groups:
            for p in group["params"]:
                p.grad = lib.tensor(np.array(grad[: p.numel()]).reshape(tuple(p.shape)))
        opt.step()
    return opt


def _groups(opt: Any) -> list[dict[str, Any]]:
    return [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups]


def _result(opt: Any) -> tuple[Any, ...]:
    """The parameters, the state and the groups (without their parameters)."""
    params = [p for g in opt.param_groups for p in g["params"]]
    return params, [opt.state.get(p, {}) for p in params], _groups(opt)


# ---------------------------------------------------------------- per-group weight decay (01)
def _adam_decoupled_group(lib: Any) -> Any:
    p = _param(lib)
    opt = lib.optim.Adam(
        [{"params": [p], "decoupled_weight_decay": True}], lr=0.1, weight_decay=0.5
    )
    return _result(_stepped(lib, opt, G, G))


def _adam_loads_adamw(lib: Any) -> Any:
    p = _param(lib)
    opt = lib.optim.Adam([p], lr=0.1, weight_decay=0.5)
    opt.load_state_dict(lib.optim.AdamW([p], lr=0.1, weight_decay=0.5).state_dict())
    return _result(_stepped(lib, opt, G))


def _adamw_loads_adam(lib: Any) -> Any:
    p = _param(lib)
    opt = lib.optim.AdamW([p], lr=0.1, weight_decay=0.5)
    opt.load_state_dict(lib.optim.Adam([p], lr=0.1, weight_decay=0.5).state_dict())
    return _result(_stepped(lib, opt, G))


def _adamw_group_without_decoupling(lib: Any) -> Any:
    p, q = _param(lib), _param(lib)
    opt = lib.optim.AdamW([p], lr=0.1, weight_decay=0.5)
    opt.add_param_group({"params": [q], "decoupled_weight_decay": False})
    return _result(_stepped(lib, opt, G))


# ---------------------------------------------------------------- Adagrad's accumulator (02, 10)
def _adagrad_group_initial_value(lib: Any) -> Any:
    p = _param(lib)
    opt = lib.optim.Adagrad(
        [{"params": [p], "initial_accumulator_value": 3.0}], lr=0.5, initial_accumulator_value=0.5
    )
    return _result(_stepped(lib, opt, G))


def _adagrad_added_group(lib: Any) -> Any:
    opt = lib.optim.Adagrad([_param(lib)], lr=0.1, initial_accumulator_value=0.5)
    opt.add_param_group({"params": [_param(lib, [3.0])], "initial_accumulator_value": 2.0})
    return _result(_stepped(lib, opt, G, G))


def _adagrad_loaded_without_state(lib: Any) -> Any:
    p = _param(lib)
    opt = lib.optim.Adagrad([p], lr=0.1, lr_decay=0.1)
    opt.load_state_dict({"state": {}, "param_groups": opt.state_dict()["param_groups"]})
    return _result(_stepped(lib, opt, G))


# ---------------------------------------------------------------- ASGD's eta with a tensor lr (21)
def _asgd_tensor_lr(dtype: str) -> Callable[[Any], Any]:
    def run(lib: Any) -> Any:
        rs = np.random.RandomState(0)
        p = lib.nn.Parameter(lib.tensor(rs.randn(4)))
        lr = lib.tensor(0.3, dtype=getattr(lib, dtype))
        opt = lib.optim.ASGD([p], lr=lr, lambd=0.1, t0=1)
        p.grad = lib.tensor(rs.randn(4))
        opt.step()
        resumed = lib.optim.ASGD([p], lr=lr, lambd=0.1, t0=1)
        resumed.load_state_dict(opt.state_dict())
        return _result(_stepped(lib, resumed, *(list(rs.randn(4)) for _ in range(3))))

    return run


# ---------------------------------------------------------------- older state dicts (11, 12)
# The flags PyTorch added to the groups over time: an older state dict has none of them.
NEWER_FLAGS = (
    "maximize",
    "foreach",
    "fused",
    "capturable",
    "differentiable",
    "decoupled_weight_decay",
    "amsgrad",
    "nesterov",
    "centered",
)


def _old_state_dict(
    name: str, kwargs: dict[str, Any], keys: tuple[str, ...], numbers: tuple[str, ...] = ()
) -> Callable[[Any], Any]:
    """Resume ``name`` from a state dict without the group ``keys``, its state ``numbers``
    saved as Python numbers."""

    def run(lib: Any) -> Any:
        p = _param(lib)
        opt = _stepped(lib, getattr(lib.optim, name)([p], **kwargs), G)
        saved = copy.deepcopy(opt.state_dict())
        for key in keys:
            saved["param_groups"][0].pop(key, None)
        for key in numbers:
            value = saved["state"][0][key]
            saved["state"][0][key] = int(value) if key == "step" else value.item()
        resumed = getattr(lib.optim, name)([p], **kwargs)
        resumed.load_state_dict(saved)
        return _result(_stepped(lib, resumed, [-0.3, 0.2]))

    return run


# ---------------------------------------------------------------- named parameters (03)
def _named(lib: Any) -> Any:
    opt = lib.optim.SGD([("w", _param(lib)), ("b", _param(lib, [3.0]))], lr=0.1, momentum=0.5)
    opt.add_param_group({"params": [("c", _param(lib))], "lr": 0.2})
    return _stepped(lib, opt, G).state_dict()


def _named_groups_resumed(lib: Any) -> Any:
    p, q = _param(lib), _param(lib)
    opt = lib.optim.Adam([{"params": [("p", p)]}, {"params": [("q", q)], "lr": 0.5}])
    saved = _stepped(lib, opt, G).state_dict()
    for group in saved["param_groups"]:
        del group["param_names"]  # names kept from the optimizer loading it
    resumed = lib.optim.Adam([{"params": [("x", p)]}, {"params": [("y", q)]}])
    resumed.load_state_dict(saved)
    return resumed.state_dict()


def _some_names_missing(lib: Any) -> Any:
    return lib.optim.SGD([("w", _param(lib)), _param(lib)], lr=0.1)


def _unnamed_group_added_to_named(lib: Any) -> Any:
    lib.optim.SGD([("w", _param(lib))], lr=0.1).add_param_group({"params": [_param(lib)]})


# ---------------------------------------------------------------- parameters accepted (05, 14)
def _duplicate_sgd(lib: Any) -> Any:
    p = _param(lib)
    return _result(_stepped(lib, lib.optim.SGD([p, p], lr=0.1), G))


def _duplicate_adam(lib: Any) -> Any:
    p = _param(lib)
    return _result(_stepped(lib, lib.optim.Adam([p, p, _param(lib)], lr=0.1), G))


def _duplicate_numbering(lib: Any) -> Any:
    a, b, c = _param(lib), _param(lib), _param(lib)
    opt = lib.optim.Adam([{"params": [a, a, b]}, {"params": [c]}], lr=0.1)
    return _stepped(lib, opt, G).state_dict()


def _retained_non_leaf(lib: Any) -> Any:
    x = lib.tensor(np.array(A), requires_grad=True)
    y = x * 2
    y.retain_grad()
    opt = lib.optim.Adam([y], lr=0.1)
    (y * y).sum().backward()
    opt.step()
    return y.detach(), x.grad, opt.state[y]


def _not_a_tensor(lib: Any) -> Any:
    return lib.optim.SGD([1.5], lr=0.1)


def _base_optimizer_step(lib: Any) -> Any:
    lib.optim.Optimizer([_param(lib)], {"lr": 0.1}).step()


def _fused_and_foreach(name: str) -> Callable[[Any], Any]:
    return lambda lib: getattr(lib.optim, name)([_param(lib)], lr=0.1, fused=True, foreach=True)


# ---------------------------------------------------------------- schedules (06, 07, 17)
def _epoch_step(name: str, **kwargs: Any) -> Callable[[Any], Any]:
    """A schedule stepped to epoch 5 by ``step(5)``, then once more without the epoch."""

    def run(lib: Any) -> Any:
        opt = lib.optim.SGD([_param(lib)], lr=1.0, momentum=0.9)
        sched = getattr(lib.optim.lr_scheduler, name)(opt, **kwargs)
        opt.step()  # before the schedule's step: PyTorch would warn otherwise
        sched.step(5)
        jumped = [float(lr) for lr in sched.get_last_lr()]
        sched.step()
        return jumped, [float(lr) for lr in sched.get_last_lr()], sched.last_epoch

    return run


def _plateau(min_lr: Any, epoch: int | None = None) -> Callable[[Any], Any]:
    """A plateau schedule over a group added after it was made."""

    def run(lib: Any) -> Any:
        opt = lib.optim.SGD([_param(lib)], lr=0.1)
        sched = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0, min_lr=min_lr)
        opt.add_param_group({"params": [_param(lib)], "lr": 0.5})
        sched.step(1.0, epoch)
        sched.step(2.0)
        return [float(lr) for lr in sched.get_last_lr()], sched.last_epoch, sched.min_lrs

    return run


def _state_dict_keys(lib: Any) -> Any:
    opt = lib.optim.SGD([_param(lib)], lr=0.1)
    keys = [
        sorted(lib.optim.lr_scheduler.StepLR(opt, 2).state_dict()),
        sorted(lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, 2).state_dict()),
    ]
    factored = lib.optim.Adafactor([_param(lib)])
    factored.load_state_dict(factored.state_dict())
    factored.add_param_group({"params": [_param(lib)]})
    return keys, sorted(factored.param_groups[1])


# ---------------------------------------------------------------- gradient clipping (13, 15)
def _clip_value_tensor(lib: Any) -> Any:
    p = _param(lib)
    p.grad = lib.tensor(np.array([3.0, -0.25]))
    lib.nn.utils.clip_grad_value_([p], lib.tensor(0.5))
    return p.grad


def _vector_too_short(lib: Any) -> Any:
    lib.nn.utils.vector_to_parameters(lib.ones(1), [_param(lib, [1.0, 2.0, 3.0])])


# (id, case) for the table below; each failed before its fix
CASES: list[tuple[str, Callable[[Any], Any]]] = [
    ("Adam-group-decoupled_weight_decay", _adam_decoupled_group),
    ("Adam-loads-AdamW", _adam_loads_adamw),
    ("AdamW-loads-Adam", _adamw_loads_adam),
    ("AdamW-group-not-decoupled", _adamw_group_without_decoupling),
    ("Adagrad-group-initial_accumulator_value", _adagrad_group_initial_value),
    ("Adagrad-add_param_group", _adagrad_added_group),
    ("Adagrad-loaded-without-state", _adagrad_loaded_without_state),
    ("ASGD-float64-tensor-lr-resumed", _asgd_tensor_lr("float64")),
    ("ASGD-float32-tensor-lr-resumed", _asgd_tensor_lr("float32")),
    ("SGD-old-groups", _old_state_dict("SGD", {"lr": 0.1, "momentum": 0.9}, NEWER_FLAGS)),
    ("Adam-old-groups", _old_state_dict("Adam", {"lr": 0.1}, NEWER_FLAGS)),
    ("Adam-amsgrad-old-groups", _old_state_dict("Adam", {"amsgrad": True}, NEWER_FLAGS)),
    ("AdamW-old-groups", _old_state_dict("AdamW", {"lr": 0.1}, NEWER_FLAGS)),
    ("NAdam-old-groups", _old_state_dict("NAdam", {"lr": 0.1}, NEWER_FLAGS)),
    ("RAdam-old-groups", _old_state_dict("RAdam", {"lr": 0.1}, NEWER_FLAGS)),
    ("RMSprop-old-groups", _old_state_dict("RMSprop", {"centered": True}, NEWER_FLAGS)),
    ("RMSprop-old-momentum", _old_state_dict("RMSprop", {}, ("momentum", "centered"))),
    ("Adagrad-old-groups", _old_state_dict("Adagrad", {"lr": 0.1}, NEWER_FLAGS)),
    ("Adadelta-old-groups", _old_state_dict("Adadelta", {}, NEWER_FLAGS)),
    ("Adamax-old-groups", _old_state_dict("Adamax", {}, NEWER_FLAGS)),
    ("ASGD-old-groups", _old_state_dict("ASGD", {"t0": 0}, NEWER_FLAGS)),
    ("Rprop-old-groups", _old_state_dict("Rprop", {}, NEWER_FLAGS)),
    ("Adafactor-old-groups", _old_state_dict("Adafactor", {}, ("foreach",))),
    ("Adam-numeric-step", _old_state_dict("Adam", {"lr": 0.1}, (), ("step",))),
    ("Adam-fused-numeric-step", _old_state_dict("Adam", {"fused": True}, (), ("step",))),
    ("Adagrad-numeric-step", _old_state_dict("Adagrad", {}, (), ("step",))),
    ("RMSprop-numeric-step", _old_state_dict("RMSprop", {}, (), ("step",))),
    ("Adafactor-numeric-step", _old_state_dict("Adafactor", {}, (), ("step",))),
    ("NAdam-numeric-scalars", _old_state_dict("NAdam", {}, (), ("step", "mu_product"))),
    ("ASGD-numeric-scalars", _old_state_dict("ASGD", {"t0": 0}, (), ("step", "eta", "mu"))),
    ("named-parameters", _named),
    ("named-groups-resumed", _named_groups_resumed),
    ("some-names-missing", _some_names_missing),
    ("unnamed-group-added-to-named", _unnamed_group_added_to_named),
    ("duplicate-parameter-SGD", _duplicate_sgd),
    ("duplicate-parameter-Adam", _duplicate_adam),
    ("duplicate-parameter-numbering", _duplicate_numbering),
    ("non-leaf-retaining-grad", _retained_non_leaf),
    ("not-a-tensor-message", _not_a_tensor),
    ("base-Optimizer-step", _base_optimizer_step),
    *(
        (f"{name}-fused-and-foreach", _fused_and_foreach(name))
        for name in ("SGD", "Adam", "AdamW", "Adagrad")
    ),
    ("StepLR-step-epoch", _epoch_step("StepLR", step_size=2, gamma=0.5)),
    ("MultiStepLR-step-epoch", _epoch_step("MultiStepLR", milestones=[2, 4, 4, 7])),
    ("ExponentialLR-step-epoch", _epoch_step("ExponentialLR", gamma=0.9)),
    ("CosineAnnealingLR-step-epoch", _epoch_step("CosineAnnealingLR", T_max=8, eta_min=0.1)),
    ("LinearLR-step-epoch", _epoch_step("LinearLR", start_factor=0.2, total_iters=7)),
    ("ConstantLR-step-epoch", _epoch_step("ConstantLR", factor=0.5, total_iters=4)),
    ("PolynomialLR-step-epoch", _epoch_step("PolynomialLR", total_iters=8, power=2.0)),
    ("LambdaLR-step-epoch", _epoch_step("LambdaLR", lr_lambda=lambda e: 1 / (e + 1))),
    ("CyclicLR-step-epoch", _epoch_step("CyclicLR", base_lr=0.1, max_lr=1.0, step_size_up=3)),
    ("OneCycleLR-step-epoch", _epoch_step("OneCycleLR", max_lr=1.0, total_steps=10)),
    ("ReduceLROnPlateau-added-group", _plateau(0.001)),
    ("ReduceLROnPlateau-added-group-min_lr-list", _plateau([0.001])),
    ("ReduceLROnPlateau-step-epoch", _plateau(0.001, epoch=4)),
    ("state-dict-keys", _state_dict_keys),
    ("clip_grad_value_-tensor", _clip_value_tensor),
    ("vector_to_parameters-too-short", _vector_too_short),
]


def _plain(value: Any) -> Any:
    """``value`` with both libraries' tensors as NumPy arrays (state dicts, groups, lists)."""
    if isinstance(value, (cr.Tensor, torch.Tensor)):
        return np.array(value.detach().numpy())
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    return value


def _outcome(case: Callable[[Any], Any], lib: Any) -> tuple[Any, list[tuple[str, str]]]:
    """What ``case`` returns, or its error's type and first line; and the warnings given."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result: Any = ("returned", _plain(case(lib)))
        except Exception as e:  # noqa: BLE001 - the error is the result compared
            result = ("raised", type(e).__name__, (str(e).splitlines() or [""])[0])
    return result, [(w.category.__name__, str(w.message)) for w in caught]


def _assert_same(ours: Any, theirs: Any, where: str = "") -> None:
    assert type(ours) is type(theirs), (where, ours, theirs)
    if isinstance(theirs, np.ndarray):
        assert ours.dtype == theirs.dtype, (where, ours.dtype, theirs.dtype)
        rtol = 1e-12 if theirs.dtype == np.float64 else 1e-6
        np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=0, err_msg=where)
    elif isinstance(theirs, dict):
        assert set(ours) == set(theirs), (where, list(ours), list(theirs))
        for key in theirs:
            _assert_same(ours[key], theirs[key], f"{where}[{key!r}]")
    elif isinstance(theirs, (list, tuple)):
        assert len(ours) == len(theirs), (where, ours, theirs)
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            _assert_same(a, b, f"{where}[{i}]")
    elif isinstance(theirs, float):
        assert math.isclose(ours, theirs, rel_tol=1e-12) or ours == theirs, (where, ours, theirs)
    else:
        assert ours == theirs, (where, ours, theirs)


@pytest.mark.parametrize("case", [c for _, c in CASES], ids=[name for name, _ in CASES])
def test_case_matches_torch(case: Callable[[Any], Any]) -> None:
    (ours, our_warnings), (theirs, their_warnings) = _outcome(case, cr), _outcome(case, torch)
    _assert_same(ours, theirs)
    assert our_warnings == their_warnings


# ---------------------------------------------------------------- PyTorch's state dicts (08)
def _f64(lib: Any, value: Any) -> Any:
    return lib.tensor(value, dtype=lib.float64)


# (optimizer, its keyword arguments with tensors as PyTorch takes them); float64 as the
# parameters: an lr tensor of less precision than they have rounds some optimizers' step
# sizes to its dtype in PyTorch, not in chainrule
LOADED_FROM_TORCH: list[tuple[str, Callable[[Any], dict[str, Any]]]] = [
    ("Adafactor", lambda lib: {"lr": _f64(lib, 0.1)}),
    ("Adam", lambda lib: {"lr": _f64(lib, 0.1), "betas": (_f64(lib, 0.8), _f64(lib, 0.9))}),
    ("AdamW", lambda lib: {"lr": _f64(lib, [0.05])}),
    ("SGD", lambda lib: {"lr": _f64(lib, 0.2), "momentum": 0.5}),
    ("RMSprop", lambda lib: {"lr": _f64(lib, 0.01)}),
    ("NAdam", lambda lib: {"lr": _f64(lib, 0.02)}),
]


@pytest.mark.parametrize(
    ("name", "kwargs"), LOADED_FROM_TORCH, ids=[name for name, _ in LOADED_FROM_TORCH]
)
def test_torch_state_dict_with_tensor_hyperparameters_resumes(
    name: str, kwargs: Callable[[Any], dict[str, Any]]
) -> None:
    """A state dict PyTorch made, its groups sharing the lr tensor, loaded into both: the
    hyperparameters become the library's own tensors, still shared (setting one group's lr
    sets the other's), and the steps after agree."""
    start = np.ones((2, 3))
    source = getattr(torch.optim, name)(
        [{"params": [torch.nn.Parameter(torch.tensor(start))]} for _ in range(2)],
        **kwargs(torch),
    )
    _stepped(torch, source, [0.5] * 6)
    results = []
    for lib in (cr, torch):
        params = [lib.nn.Parameter(lib.tensor(start)) for _ in range(2)]
        opt = getattr(lib.optim, name)([{"params": [p]} for p in params], **kwargs(lib))
        opt.load_state_dict(source.state_dict())
        _stepped(lib, opt, [-0.2] * 6)
        opt.param_groups[0]["lr"].fill_(0.03)
        _stepped(lib, opt, [0.3] * 6)
        owned = [
            isinstance(value, lib.Tensor)
            for group in opt.param_groups
            for value in (group["lr"], *group.get("betas", ()))
        ]
        results.append((_plain(_result(opt)), owned))
    _assert_same(*results)
