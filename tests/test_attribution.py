"""``cr.attribution`` on trained digits models: Captum's saliency, input x gradient and
integrated gradients on the same weights and inputs; completeness of integrated gradients;
FGSM and PGD equal to the same attacks written in PyTorch."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from captum.attr import InputXGradient, IntegratedGradients, Saliency
from trained_digits import models

import chainrule as cr
from chainrule import datasets

N = 16  # test images per check
# Captum notes that it turned on requires_grad for the inputs it was given: expected here.
pytestmark = pytest.mark.filterwarnings("ignore:Input Tensor 0 did not already require gradients")


def _batch(kind: str) -> tuple[cr.Tensor, cr.Tensor]:
    _, _, x_test, y_test = datasets.digits(images=kind == "cnn")
    return x_test[:N], y_test[:N]


def _close(ours: cr.Tensor, theirs: torch.Tensor, rtol: float = 1e-4) -> None:
    """Agreement relative to the largest magnitude (sums run in different orders)."""
    expected = theirs.detach().numpy()
    scale = float(np.abs(expected).max())
    np.testing.assert_allclose(ours.numpy(), expected, rtol=0, atol=rtol * scale)


@pytest.fixture(params=["mlp", "cnn"])
def setup(request: Any) -> tuple[Any, Any, cr.Tensor, cr.Tensor, np.ndarray]:
    """The trained model and its torch twin in float64: in float32 the engines' different
    summation orders (BLAS kernels differ by CPU) can flip a ReLU or a max-pool choice whose
    inputs are within rounding of each other, and an attribution then differs by far more than
    rounding (seen on an AMD EPYC: one image's integrated gradients 0.3 apart, relative)."""
    model, twin = models(request.param)
    model, twin = model.double(), twin.double()
    x, y = _batch(request.param)
    x = x.double()
    predicted = model(x).argmax(1).numpy()
    return model, twin, x, y, predicted


def test_saliency_and_input_x_gradient_equal_captum(setup: Any) -> None:
    model, twin, x, _, target = setup
    xt, tt = torch.tensor(x.numpy()), torch.tensor(target)
    _close(cr.attribution.saliency(model, x, target), Saliency(twin).attribute(xt, target=tt))
    _close(
        cr.attribution.saliency(model, x, target, abs=False),
        Saliency(twin).attribute(xt, target=tt, abs=False),
    )
    _close(
        cr.attribution.input_x_gradient(model, x, target),
        InputXGradient(twin).attribute(xt, target=tt),
    )


@pytest.mark.parametrize("method", ["gausslegendre", "riemann_trapezoid"])
def test_integrated_gradients_equal_captum(setup: Any, method: str) -> None:
    model, twin, x, _, target = setup
    baseline = 0.1 * np.ones(x.shape)
    ours = cr.attribution.integrated_gradients(
        model, x, target, cr.tensor(baseline), steps=64, method=method
    )
    theirs, delta = IntegratedGradients(twin).attribute(
        torch.tensor(x.numpy()), torch.tensor(baseline), target=torch.tensor(target),
        n_steps=64, method=method, return_convergence_delta=True,
    )  # fmt: skip
    if method == "riemann_trapezoid":  # Captum's weights sum to 1 - 1/steps (see the docstring)
        theirs = theirs * 64 / 63
    _close(ours.attributions, theirs)
    if method == "gausslegendre":
        np.testing.assert_allclose(ours.completeness_error.numpy(), delta.numpy(), atol=1e-4)


@pytest.mark.parametrize("method", ["gausslegendre", "riemann_trapezoid"])
def test_integrated_gradients_complete_within_one_percent_at_64_steps(
    setup: Any, method: str
) -> None:
    model, _, x, _, target = setup
    ig = cr.attribution.integrated_gradients(model, x, target, steps=64, method=method)
    with cr.no_grad():
        change = (model(x) - model(cr.zeros_like(x)))[cr.arange(N), cr.tensor(target)]
    total = ig.attributions.reshape(N, -1).sum(1)
    np.testing.assert_allclose(ig.completeness_error.numpy(), (total - change).numpy(), atol=1e-5)
    assert (ig.completeness_error.abs() <= 0.01 * change.abs()).all(), ig.completeness_error


def test_smoothgrad_averages_saliency_over_the_same_noise(setup: Any) -> None:
    model, _, x, _, target = setup
    ours = cr.attribution.smoothgrad(
        model, x, target, stdev=0.2, samples=4, generator=cr.Generator().manual_seed(7)
    )
    noise = cr.randn(4, *x.shape, dtype=x.dtype, generator=cr.Generator().manual_seed(7)) * 0.2
    by_hand = np.mean(
        [cr.attribution.saliency(model, x + n, target).numpy() for n in noise], axis=0
    )
    # one batch of all samples against one per sample: BLAS may block them differently
    np.testing.assert_allclose(ours.numpy(), by_hand, rtol=1e-10, atol=1e-12)
    still = cr.attribution.smoothgrad(model, x, target, stdev=0.0, samples=2)
    saliency = cr.attribution.saliency(model, x, target).numpy()
    np.testing.assert_allclose(still.numpy(), saliency, rtol=1e-10, atol=1e-12)


# ----------------------------------------------------------------------------- attacks
def _torch_fgsm(twin: Any, x: torch.Tensor, y: torch.Tensor, eps: float) -> torch.Tensor:
    x = x.clone().requires_grad_()
    torch.nn.functional.cross_entropy(twin(x), y).backward()
    return (x + eps * x.grad.sign()).clamp(0, 1).detach()


def _torch_pgd(twin: Any, x: torch.Tensor, y: torch.Tensor, eps: float, alpha: float,
               steps: int) -> torch.Tensor:  # fmt: skip
    adv = x.clone()
    for _ in range(steps):
        adv.requires_grad_()
        torch.nn.functional.cross_entropy(twin(adv), y).backward()
        adv = adv.detach() + alpha * adv.grad.sign()
        adv = torch.min(torch.max(adv, x - eps), x + eps).clamp(0, 1)
    return adv


def _same_images(ours: cr.Tensor, theirs: torch.Tensor) -> None:
    """Equal, except where a gradient is so near zero that float32 rounding flips its sign."""
    agree = np.isclose(ours.numpy(), theirs.numpy(), atol=1e-6)
    assert agree.mean() >= 0.999, f"{(~agree).sum()} of {agree.size} pixels differ"


@pytest.mark.parametrize("eps", [0.05, 0.2])
def test_fgsm_and_pgd_equal_the_same_attacks_in_torch(setup: Any, eps: float) -> None:
    model, twin, x, y, _ = setup
    xt, yt = torch.tensor(x.numpy()), torch.tensor(y.numpy())
    fgsm = cr.attribution.fgsm(model, x, y, eps)
    _same_images(fgsm, _torch_fgsm(twin, xt, yt, eps))
    pgd = cr.attribution.pgd(model, x, y, eps, alpha=eps / 4, steps=5)
    _same_images(pgd, _torch_pgd(twin, xt, yt, eps, eps / 4, 5))
    assert float((pgd - x).abs().max()) <= eps + 1e-6
    with cr.no_grad():
        clean, after_fgsm, after_pgd = (
            cr.nn.functional.cross_entropy(model(images), y).item() for images in (x, fgsm, pgd)
        )
    assert clean < after_fgsm <= after_pgd * 1.0001  # PGD's steps only raise the loss further


def test_sensitivity_of_a_linear_model_is_its_weights() -> None:
    model = cr.nn.Linear(3, 2)
    x = cr.randn(5, 3)
    table = cr.attribution.sensitivity(model, x, target=1, feature_names=["a", "b", "c"])
    weights = dict(zip("abc", model.weight[1].tolist(), strict=True))
    for row in table.rows:
        assert row.mean == pytest.approx(weights[row.feature], rel=1e-6)
        assert row.std == pytest.approx(0.0, abs=1e-6)
    magnitudes = [r.mean_abs for r in table.rows]
    assert magnitudes == sorted(magnitudes, reverse=True)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda m, x: cr.attribution.integrated_gradients(m, x, 0, method="midpoint"),
         "method must be one of"),
        (lambda m, x: cr.attribution.integrated_gradients(m, x, 0, steps=0), "steps must be"),
        (lambda m, x: cr.attribution.saliency(m, x, [0, 1, 2]), "one per example"),
        (lambda m, x: cr.attribution.sensitivity(m, x, 0, ["a"]), "1 feature names for 3"),
    ],
)  # fmt: skip
def test_bad_arguments_are_named(call: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call(cr.nn.Linear(3, 2), cr.randn(4, 3))
