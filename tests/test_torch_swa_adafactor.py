"""``torch.optim``'s Adafactor, Muon and ``swa_utils`` against PyTorch.

Each optimizer runs random hyperparameter configurations (every constructor argument PyTorch
has) on random gradients in both libraries, several steps, with parameters of several shapes;
parameters and state are compared after every step in float64 (to 1e-9) and float32.
Averaged models are compared by their parameters, buffers and ``n_averaged`` after each update,
SWALR by its learning rates over the annealing and after, update_bn by the batch-norm buffers.
Errors are compared by type and message. Cases are compared as
``tests/test_torch_nn_utils_more.py``'s (float32 values to 1e-6: the batch norms' statistics,
which the averaged models copy, are sums in another order).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from test_torch_nn_utils_more import assert_same_result, plain_result

import chainrule as cr

STEPS = 6


def _run_optimizer(
    name: str,
    shapes: list[tuple[int, ...]],
    kwargs: dict[str, Any],
    seed: int,
    dtype: str = "float64",
    groups: list[dict[str, Any]] | None = None,
) -> None:
    rng = np.random.default_rng(seed)
    starts = [rng.standard_normal(s).astype(dtype) for s in shapes]
    grads = [[rng.standard_normal(s).astype(dtype) for s in shapes] for _ in range(STEPS)]
    pairs = []
    for lib in (cr, torch):
        params = [lib.nn.Parameter(lib.tensor(a.copy())) for a in starts]
        if groups is None:
            opt = getattr(lib.optim, name)(params, **kwargs)
        else:  # one parameter per group, each with its own overrides
            opt = getattr(lib.optim, name)(
                [dict(g, params=[p]) for g, p in zip(groups, params, strict=True)], **kwargs
            )
        pairs.append((params, opt))
    (ours, our_opt), (theirs, their_opt) = pairs
    tol = 1e-9 if dtype == "float64" else 2e-5
    for step in range(STEPS):
        for lib_params, lib in ((ours, cr), (theirs, torch)):
            for p, g in zip(lib_params, grads[step], strict=True):
                p.grad = lib.tensor(g.copy())
        our_opt.step()
        their_opt.step()
        for a, b in zip(ours, theirs, strict=True):
            np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=tol, atol=tol)
    ours_state, theirs_state = our_opt.state_dict(), their_opt.state_dict()
    assert ours_state["param_groups"] == theirs_state["param_groups"]
    for key, entry in theirs_state["state"].items():
        assert list(ours_state["state"][key]) == list(entry)
        for name_, value in entry.items():
            ours_value = ours_state["state"][key][name_]
            assert tuple(ours_value.shape) == tuple(value.shape)
            assert str(ours_value.dtype).split(".")[-1] == str(value.dtype).split(".")[-1]
            np.testing.assert_allclose(ours_value.numpy(), value.numpy(), rtol=tol, atol=tol)


def _adafactor_config(rng: np.random.Generator) -> dict[str, Any]:
    return {
        "lr": float(rng.choice([1e-2, 0.3, 0.05])),
        "beta2_decay": float(rng.uniform(-1.0, -0.3)),
        "eps": (None if rng.random() < 0.5 else float(rng.uniform(1e-8, 1e-3)),
                float(rng.choice([1e-3, 0.5, 1e-6]))),
        "d": float(rng.uniform(1.0, 3.0)),
        "weight_decay": float(rng.choice([0.0, 0.1, 0.01])),
        "foreach": bool(rng.random() < 0.5),
        "maximize": bool(rng.random() < 0.5),
    }  # fmt: skip


def _muon_config(rng: np.random.Generator) -> dict[str, Any]:
    return {
        "lr": float(rng.choice([1e-3, 0.02, 0.1])),
        "weight_decay": float(rng.choice([0.0, 0.1, 0.01])),
        "momentum": float(rng.choice([0.0, 0.3, 0.95, 0.6])),
        "nesterov": bool(rng.random() < 0.5),
        "ns_coefficients": tuple(
            [(3.4445, -4.7750, 2.0315), (2.0, -1.5, 0.5), (3.0, -3.2, 1.2)][rng.integers(3)]
        ),
        "eps": float(rng.choice([1e-7, 1e-3])),
        "ns_steps": int(rng.integers(1, 7)),
        "adjust_lr_fn": [None, "original", "match_rms_adamw"][rng.integers(3)],
    }


ADAFACTOR_SHAPES = [(4, 3), (5,), (2, 3, 4), (1, 6), ()]
MUON_SHAPES = [(4, 3), (3, 7), (8, 8), (1, 5)]


@pytest.mark.parametrize("seed", range(12))
def test_adafactor_random_configurations_match_pytorch(seed: int) -> None:
    config = _adafactor_config(np.random.default_rng(seed))
    _run_optimizer("Adafactor", ADAFACTOR_SHAPES, config, seed)


@pytest.mark.parametrize("seed", range(12))
def test_muon_random_configurations_match_pytorch(seed: int) -> None:
    _run_optimizer("Muon", MUON_SHAPES, _muon_config(np.random.default_rng(seed)), seed)


@pytest.mark.parametrize("name", ["Adafactor", "Muon"])
def test_float32_steps_match_pytorch(name: str) -> None:
    shapes = ADAFACTOR_SHAPES if name == "Adafactor" else MUON_SHAPES
    _run_optimizer(name, shapes, {"lr": 0.05}, seed=3, dtype="float32")


def test_defaults_and_groups_match_pytorch() -> None:
    _run_optimizer("Adafactor", [(3, 2), (4,)], {}, seed=1)
    _run_optimizer("Muon", [(3, 2), (4, 6)], {}, seed=1)
    groups = [{"lr": 0.2, "maximize": True}, {"weight_decay": 0.3, "eps": (1e-5, 1e-2)}]
    _run_optimizer("Adafactor", [(3, 2), (4,)], {"lr": 0.05}, seed=2, groups=groups)
    groups = [{"lr": 0.2, "nesterov": False}, {"momentum": 0.5, "adjust_lr_fn": "match_rms_adamw"}]
    _run_optimizer("Muon", [(3, 2), (4, 6)], {"lr": 0.05}, seed=2, groups=groups)


def _outcome(case: Callable[[Any], Any], lib: Any) -> Any:
    try:
        return plain_result(["ok", case(lib)])
    except Exception as e:  # noqa: BLE001 - the exception is the result compared
        # chainrule names its own types where PyTorch's messages say torch.Size
        return plain_result(["error", type(e).__name__, str(e)])


def _param(lib: Any, shape: tuple[int, ...] = (2, 2)) -> list[Any]:
    return [lib.nn.Parameter(lib.zeros(shape, dtype=lib.float64))]


OPTIMIZER_ERRORS: dict[str, Callable[[Any], Any]] = {
    "adafactor_lr": lambda lib: lib.optim.Adafactor(_param(lib), lr=-1.0),
    "adafactor_beta2_decay": lambda lib: lib.optim.Adafactor(_param(lib), beta2_decay=0.5),
    "adafactor_eps1": lambda lib: lib.optim.Adafactor(_param(lib), eps=(-1.0, 1e-3)),
    "adafactor_eps2": lambda lib: lib.optim.Adafactor(_param(lib), eps=(None, -1e-3)),
    "adafactor_d": lambda lib: lib.optim.Adafactor(_param(lib), d=0.5),
    "adafactor_weight_decay": lambda lib: lib.optim.Adafactor(_param(lib), weight_decay=-0.1),
    "adafactor_repr_keys": lambda lib: sorted(
        lib.optim.Adafactor(_param(lib)).state_dict()["param_groups"][0]
    ),
    "muon_lr": lambda lib: lib.optim.Muon(_param(lib), lr=-1.0),
    "muon_momentum": lambda lib: lib.optim.Muon(_param(lib), momentum=-0.5),
    "muon_weight_decay": lambda lib: lib.optim.Muon(_param(lib), weight_decay=-0.5),
    "muon_adjust_lr_fn": lambda lib: lib.optim.Muon(_param(lib), adjust_lr_fn="other"),
    "muon_not_2d": lambda lib: lib.optim.Muon(_param(lib, (3,))),
    "muon_3d": lambda lib: lib.optim.Muon(_param(lib, (2, 2, 2))),
    "muon_keys": lambda lib: sorted(lib.optim.Muon(_param(lib)).state_dict()["param_groups"][0]),
}


# ---------------------------------------------------------------- swa_utils
def _model(lib: Any, dtype: str = "float64") -> Any:
    lib.manual_seed(0)
    return lib.nn.Sequential(
        lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4), lib.nn.ReLU(), lib.nn.Linear(4, 2)
    ).to(getattr(lib, dtype))


def _perturb_and_update(
    lib: Any, model: Any, averaged: Any, rounds: int = 4, dtype: str = "float64"
) -> list[Any]:
    """Change the model's parameters and buffers (a training-mode forward) between updates;
    the averaged model's state dict after each update."""
    out = []
    gen = np.random.default_rng(5)
    for _ in range(rounds):
        with lib.no_grad():
            for p in model.parameters():
                p.add_(lib.tensor(gen.standard_normal(tuple(p.shape)).astype(dtype)))
        model.train()
        model(lib.tensor(gen.standard_normal((5, 3)).astype(dtype)))
        averaged.update_parameters(model)
        out.append(dict(averaged.state_dict()))
    return out


def _averaged(dtype: str = "float64", **kwargs: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def case(lib: Any) -> Any:
        model = _model(lib, dtype)
        options = {k: make(lib) for k, make in kwargs.items()}
        averaged = lib.optim.swa_utils.AveragedModel(model, **options)
        states = _perturb_and_update(lib, model, averaged, dtype=dtype)
        x = lib.tensor(np.linspace(-1, 1, 6).reshape(2, 3).astype(dtype))
        averaged.eval()
        return [states, averaged(x), [k for k, _ in averaged.named_buffers()]]

    return case


def _float_flag(value: Any) -> Callable[[Any], Any]:
    return lambda lib: value


def _swalr(strategy: str, epochs: int, swa_lr: Any, last: int = -1) -> Callable[[Any], Any]:
    def case(lib: Any) -> Any:
        groups = [{"params": _param(lib), "lr": lr} for lr in (0.5, 0.1)]
        opt = lib.optim.SGD(groups, lr=0.3)
        sched = lib.optim.swa_utils.SWALR(
            opt, swa_lr=swa_lr, anneal_epochs=epochs, anneal_strategy=strategy
        )
        lrs = [[g["lr"] for g in opt.param_groups]]
        for _ in range(epochs + 3):
            opt.step()
            sched.step()
            lrs.append(sched.get_last_lr())
        state = sched.state_dict()
        kept = ["anneal_func" in state, state["_anneal_strategy"], state["anneal_epochs"]]
        return [lrs, kept, [g["swa_lr"] for g in opt.param_groups]]

    return case


def _swalr_resume(lib: Any) -> Any:
    opt = lib.optim.SGD(_param(lib), lr=0.3)
    sched = lib.optim.swa_utils.SWALR(opt, swa_lr=0.05, anneal_epochs=5, anneal_strategy="linear")
    for _ in range(2):
        opt.step()
        sched.step()
    state = sched.state_dict()
    opt2 = lib.optim.SGD(_param(lib), lr=opt.param_groups[0]["lr"])
    opt2.param_groups[0]["initial_lr"] = 0.3
    sched2 = lib.optim.swa_utils.SWALR(opt2, swa_lr=0.05, anneal_epochs=5)
    sched2.load_state_dict(state)
    opt2.param_groups[0]["lr"] = opt.param_groups[0]["lr"]
    out = []
    for _ in range(5):
        opt.step()
        opt2.step()
        sched.step()
        sched2.step()
        out.append([sched.get_last_lr(), sched2.get_last_lr()])
    return out


def _update_bn(lib: Any) -> Any:
    model = _model(lib)
    model.eval()
    model[1].momentum = 0.3
    data = lib.utils.data.TensorDataset(lib.tensor(np.arange(30.0).reshape(10, 3) ** 0.5))
    loader = lib.utils.data.DataLoader(data, batch_size=4)
    lib.optim.swa_utils.update_bn(loader, model)
    plain_batches = [lib.tensor(np.cos(np.arange(12.0)).reshape(4, 3))] * 2
    lib.optim.swa_utils.update_bn(plain_batches, model[:2])
    return [dict(model.state_dict()), model.training, model[1].momentum]


def _avg_fns(lib: Any) -> Any:
    swa = lib.optim.swa_utils
    a = lib.tensor([1.0, 2.0, -3.0], dtype=lib.float64)
    b = lib.tensor([0.5, 4.0, 1.0], dtype=lib.float64)
    n = lib.tensor(2)
    out = [swa.get_ema_avg_fn(0.9)(a, b, n), swa.get_swa_avg_fn()(a, b, n)]
    for make in (lambda: swa.get_ema_multi_avg_fn(0.7), swa.get_swa_multi_avg_fn):
        xs, ys = [a.clone(), b.clone()], [b.clone(), a.clone()]
        make()(xs, ys, n)
        out.append(xs)
    ints = [lib.tensor([4, 9])]
    swa.get_ema_multi_avg_fn(0.5)(ints, [lib.tensor([1, 2])], n)
    out.append(ints)
    return out


SWA_CASES: dict[str, Callable[[Any], Any]] = {
    "averaged_default_swa": _averaged(),
    "averaged_use_buffers": _averaged(use_buffers=_float_flag(True)),
    "averaged_float32": _averaged("float32"),
    "averaged_float32_swa_multi_avg_fn_buffers": _averaged(
        "float32",
        multi_avg_fn=lambda lib: lib.optim.swa_utils.get_swa_multi_avg_fn(),
        use_buffers=_float_flag(True),
    ),
    "averaged_ema_avg_fn": _averaged(avg_fn=lambda lib: lib.optim.swa_utils.get_ema_avg_fn(0.8)),
    "averaged_swa_avg_fn": _averaged(avg_fn=lambda lib: lib.optim.swa_utils.get_swa_avg_fn()),
    "averaged_ema_multi_avg_fn_buffers": _averaged(
        multi_avg_fn=lambda lib: lib.optim.swa_utils.get_ema_multi_avg_fn(0.6),
        use_buffers=_float_flag(True),
    ),
    "averaged_swa_multi_avg_fn": _averaged(
        multi_avg_fn=lambda lib: lib.optim.swa_utils.get_swa_multi_avg_fn()
    ),
    "averaged_both_fns": _averaged(
        avg_fn=lambda lib: lib.optim.swa_utils.get_swa_avg_fn(),
        multi_avg_fn=lambda lib: lib.optim.swa_utils.get_swa_multi_avg_fn(),
    ),
    "ema_decay_too_big": lambda lib: lib.optim.swa_utils.get_ema_avg_fn(1.5),
    "ema_multi_decay_negative": lambda lib: lib.optim.swa_utils.get_ema_multi_avg_fn(-0.1),
    "avg_fns": _avg_fns,
    "swalr_cos": _swalr("cos", 5, 0.05),
    "swalr_linear_per_group": _swalr("linear", 4, [0.05, 0.2]),
    "swalr_zero_epochs": _swalr("cos", 0, 0.01),
    "swalr_one_epoch": _swalr("linear", 1, 0.01),
    "swalr_bad_strategy": _swalr("exp", 3, 0.1),
    "swalr_bad_epochs": _swalr("cos", -1, 0.1),
    "swalr_wrong_number_of_lrs": _swalr("cos", 3, [0.1, 0.2, 0.3]),
    "swalr_resume": _swalr_resume,
    "update_bn": _update_bn,
    "update_bn_without_batch_norm": lambda lib: lib.optim.swa_utils.update_bn(
        [lib.ones(2, 3)], lib.nn.Linear(3, 1)
    ),
}


@pytest.mark.parametrize("name", list(OPTIMIZER_ERRORS) + list(SWA_CASES))
def test_case_matches_pytorch(name: str) -> None:
    case = OPTIMIZER_ERRORS.get(name) or SWA_CASES[name]
    expected = _outcome(case, torch)
    assert_same_result(_outcome(case, cr), expected)


def test_optim_lists_what_pytorch_lists() -> None:
    assert set(torch.optim.swa_utils.__all__) <= set(cr.optim.swa_utils.__all__)
    # SparseAdam needs sparse gradients; swap_in_optimizer_params_and_state is yet to come
    missing = {"SparseAdam", "swap_in_optimizer_params_and_state"}
    assert set(torch.optim.__all__) - missing <= set(cr.optim.__all__) | {
        "Optimizer",
        "lr_scheduler",
    }


def test_muon_on_large_matrices_agrees_to_bfloat16_precision() -> None:
    """Past about 100 on a side the bfloat16 products' float32 sums run in another order than
    PyTorch's kernels (see chainrule.optim.muon): one step agrees to bfloat16's precision."""
    rng = np.random.default_rng(7)
    start, grad = rng.standard_normal((2, 160, 300))
    lr = 0.02
    params = []
    for lib in (cr, torch):
        p = lib.nn.Parameter(lib.tensor(start.copy()))
        p.grad = lib.tensor(grad.copy())
        lib.optim.Muon([p], lr=lr).step()
        params.append(p.detach().numpy())
    step = np.abs(params[1] - start).max()
    np.testing.assert_allclose(params[0], params[1], rtol=0, atol=0.02 * step)


@pytest.mark.parametrize("name", ["Adafactor", "Muon"])
def test_pytorch_optimizer_state_resumes_in_chainrule(name: str) -> None:
    """Three PyTorch steps, then PyTorch's state dict loaded into chainrule's optimizer: the
    next steps agree (the state's names, shapes and dtypes are PyTorch's)."""
    rng = np.random.default_rng(11)
    shapes = MUON_SHAPES if name == "Muon" else ADAFACTOR_SHAPES
    starts = [rng.standard_normal(s) for s in shapes]
    grads = [[rng.standard_normal(s) for s in shapes] for _ in range(6)]
    theirs = [torch.nn.Parameter(torch.tensor(a.copy())) for a in starts]
    their_opt = getattr(torch.optim, name)(theirs, lr=0.05, weight_decay=0.01)
    for step in range(6):
        if step == 3:
            ours = [cr.nn.Parameter(cr.tensor(p.detach().numpy().copy())) for p in theirs]
            our_opt = getattr(cr.optim, name)(ours, lr=0.05, weight_decay=0.01)
            our_opt.load_state_dict(their_opt.state_dict())
        for i, g in enumerate(grads[step]):
            theirs[i].grad = torch.tensor(g.copy())
            if step >= 3:
                ours[i].grad = cr.tensor(g.copy())
        their_opt.step()
        if step >= 3:
            our_opt.step()
            for a, b in zip(ours, theirs, strict=True):
                np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-9)
