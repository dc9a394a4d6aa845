"""``cr.diagnostics``: gradient flow per layer, and the depth study whose measured gradients
match the chain rule's product of local derivatives."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

import chainrule as cr
from chainrule.tools.diagnostics import STEEPEST, depth_study


def test_sigmoid_depth_20_vanishes_and_the_measurement_matches_the_chain_rule() -> None:
    study = depth_study("sigmoid", depth=20)
    measured = np.array([r.measured for r in study.layers])
    predicted = np.array([r.predicted for r in study.layers])
    np.testing.assert_allclose(measured, predicted, rtol=1e-5)  # float32 rounding at most
    assert study.max_relative_error() < 1e-5
    # The first layers vanish, the last ones do not; the loss is at the top.
    assert [r.flag for r in study.layers[:5]] == ["vanishing"] * 5
    assert study.layers[-1].flag == "healthy"
    assert measured[0] / measured[-1] < 1e-9
    # Every mean sigmoid slope is below the steepest 1/4, so the path product lies under
    # 0.25^n, and after 20 layers both are about 1e-12 (the seed's (0.25)^20).
    assert all(0 < r.mean_local_derivative <= 0.25 for r in study.layers)
    first = study.layers[0]
    assert first.activations_above == 20
    assert first.steepest_bound == pytest.approx(0.25**20)
    assert first.path_product <= first.steepest_bound
    assert 1e-14 < first.path_product < 1e-11


@pytest.mark.parametrize(
    "options",
    [
        {"activation": "relu", "init": "kaiming"},
        {"activation": "sigmoid", "residual": True},
        {"activation": "tanh", "residual": True, "norm": "layer"},
        {"activation": "gelu", "norm": "batch", "init": "kaiming"},
    ],
    ids=["relu-kaiming", "sigmoid-residual", "tanh-residual-layernorm", "gelu-batchnorm"],
)
def test_kaiming_relu_and_residual_networks_do_not_vanish(options: dict) -> None:
    study = depth_study(depth=20, **options)
    assert all(r.flag == "healthy" for r in study.layers), [r.flag for r in study.layers]
    assert study.max_relative_error() < 1e-5
    assert all(layer.flag == "healthy" for layer in study.flow.layers)


def test_normal_init_with_relu_explodes() -> None:
    study = depth_study("relu", depth=20, init="normal")
    assert study.layers[0].flag == "exploding"
    assert study.layers[0].measured > 1e3 * study.layers[-1].measured


def test_steepest_slopes_are_the_activations_maxima() -> None:
    z = cr.linspace(-6, 6, 120001, dtype=cr.float64, requires_grad=True)
    for name in ("sigmoid", "tanh", "relu", "gelu"):
        fn = getattr(cr.nn.functional, name)
        (slope,) = cr.autograd.grad(fn(z).sum(), z)
        assert slope.max().item() == pytest.approx(STEEPEST[name], abs=1e-4)


def test_gradient_flow_reports_each_layer_and_dead_relus() -> None:
    cr.manual_seed(0)
    model = cr.nn.Sequential(
        cr.nn.Linear(4, 8), cr.nn.ReLU(), cr.nn.Linear(8, 6), cr.nn.ReLU(), cr.nn.Linear(6, 1)
    )
    with cr.no_grad():  # kill three units of the first layer: they never fire
        model[0].bias[:3] = -100.0
    x = cr.randn(32, 4)
    loss = model(x).pow(2).mean()
    flow = cr.diagnostics.gradient_flow(model, loss, lr=0.1)
    assert [layer.name for layer in flow.layers] == ["0", "2", "4"]
    assert flow.layers[0].dead_fraction == pytest.approx(3 / 8)
    assert flow.layers[2].dead_fraction is None  # no ReLU after the head
    # The numbers are those of the gradients themselves.
    x2 = model(x).pow(2).mean()
    grads = cr.autograd.grad(x2, [model[0].weight, model[2].weight, model[4].weight])
    for layer, g, w in zip(
        flow.layers, grads, [model[0].weight, model[2].weight, model[4].weight], strict=True
    ):
        assert layer.grad_norm == pytest.approx(float(g.norm()), rel=1e-6)
        assert layer.mean_abs_grad == pytest.approx(float(g.abs().mean()), rel=1e-6)
        assert layer.update_ratio == pytest.approx(
            0.1 * float(g.norm()) / float(w.norm()), rel=1e-6
        )
    assert model[0].weight.grad is None  # autograd.grad: .grad untouched
    assert json.loads(flow.to_json())["layers"][0]["dead_fraction"] == pytest.approx(0.375)


def test_outputs_table_json_and_png(tmp_path) -> None:
    study = depth_study("sigmoid", depth=6)
    console = Console(width=160, record=True)
    console.print(study.table())
    console.print(study.flow.table())
    text = console.export_text()
    assert "6-layer sigmoid MLP, xavier init" in text and "healthy" in text
    data = json.loads(study.to_json())
    assert len(data["layers"]) == 6 and data["thresholds"] == {"vanishing": 1e-3, "exploding": 1e3}
    for png in (study.plot(tmp_path / "study.png"), study.flow.plot(tmp_path / "flow.png")):
        assert Path(png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bad_options_are_named() -> None:
    with pytest.raises(ValueError, match="activation must be one of"):
        depth_study("softsign")
    with pytest.raises(ValueError, match="norm must be one of"):
        depth_study(norm="group")
    with pytest.raises(ValueError, match="no layer with a weight matrix"):
        cr.diagnostics.gradient_flow(cr.nn.ReLU(), cr.ones(1, requires_grad=True).sum())


@pytest.mark.parametrize(
    "module",
    [
        "chainrule.autodiff.anomaly",
        "chainrule.tools.gradcheck",
        "chainrule.tools.attribution",
        "chainrule.tools.diagnostics",
    ],
)
def test_docstring_examples_run(module: str) -> None:
    import doctest
    import importlib
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's notes on log(0), 1/0
        result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0
