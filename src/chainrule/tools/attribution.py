"""``cr.attribution``: which input features a prediction depends on, and how to flip it.

Every method here is one question to the chain rule, asked of the engine's own graph: the
gradient of one output (the target class's score) with respect to the input. Saliency is its
magnitude; input x gradient weights it by the input; integrated gradients averages it along the
straight path from a baseline and so adds up to the change of the score (completeness);
SmoothGrad averages it over noisy copies. FGSM and PGD step along its sign to raise the loss:
adversarial examples. All of them work on a batch at once, one target per example; the
results match Captum's and the same attacks written in PyTorch, on the same weights.

    >>> import chainrule as cr
    >>> _ = cr.manual_seed(0)
    >>> model = cr.nn.Sequential(cr.nn.Linear(3, 4), cr.nn.Tanh(), cr.nn.Linear(4, 2))
    >>> x = cr.rand(5, 3)
    >>> ig = integrated_gradients(model, x, target=1, steps=64)
    >>> ig.attributions.shape, bool(ig.completeness_error.abs().max() < 1e-4)
    (chainrule.Size([5, 3]), True)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from chainrule import grad_mode, rng
from chainrule._array import xp
from chainrule.autodiff.backward import grad
from chainrule.nn import functional as F
from chainrule.rng import Generator
from chainrule.tensor import Tensor, _make

Model = Callable[[Tensor], Tensor]
Target = int | Sequence[int] | Tensor | None

METHODS = ("riemann_trapezoid", "gausslegendre")


class IntegratedGradients(NamedTuple):
    """Attributions (the input's shape) and, per example, ``sum(attr) - (f(x) - f(baseline))``."""

    attributions: Tensor
    completeness_error: Tensor


# ----------------------------------------------------------------------------- gradients
def _targets(model: Model, x: Tensor, target: Target) -> xp.ndarray:
    """One class index per example; ``None`` takes the model's prediction."""
    n = x.shape[0]
    if target is None:
        with grad_mode.no_grad():
            return xp.asarray(model(x)._data).argmax(axis=1)
    t = xp.asarray(target._data if isinstance(target, Tensor) else target, dtype=xp.int64)
    if t.ndim == 0:
        return xp.full(n, int(t))
    if t.shape != (n,):
        raise ValueError(
            f"attribution: target must be one class index or one per example ({n}), got shape "
            f"{t.shape}"
        )
    return t


def _score_gradient(model: Model, x: xp.ndarray, targets: xp.ndarray) -> tuple[Any, Any]:
    """d score / d x for each example's target class, and the scores: one backward pass.

    The examples of a batch are independent (the model is in eval mode), so the gradient of
    the sum of the target scores gives each example its own gradient.
    """
    leaf = _make(x, True)
    with grad_mode.enable_grad():
        out = model(leaf)
        if out.ndim != 2:
            raise ValueError(
                f"attribution: the model must return (batch, classes) scores, got shape "
                f"{tuple(out.shape)}"
            )
        pick = xp.zeros(out.shape, dtype=out._data.dtype)
        pick[xp.arange(len(targets)), targets] = 1.0
        (g,) = grad(out, leaf, _make(pick))
    return g._data, out._data[xp.arange(len(targets)), targets]


def _input(x: Tensor) -> xp.ndarray:
    return xp.asarray(x._data if isinstance(x, Tensor) else x)


def saliency(model: Model, x: Tensor, target: Target = None, abs: bool = True) -> Tensor:  # noqa: A002
    """|d score / d x| (Simonyan et al.; Captum's ``Saliency``), per example and feature.

    >>> import chainrule as cr
    >>> model = cr.nn.Linear(2, 2)
    >>> bool((saliency(model, cr.ones(1, 2), target=0)[0] == model.weight[0].abs()).all())
    True
    """
    data = _input(x)
    g, _ = _score_gradient(model, data, _targets(model, x, target))
    return _make(xp.abs(g) if abs else g)


def input_x_gradient(model: Model, x: Tensor, target: Target = None) -> Tensor:
    """x * d score / d x (Captum's ``InputXGradient``): exact for a linear model without bias.

    >>> import chainrule as cr
    >>> model = cr.nn.Linear(2, 1, bias=False)
    >>> x = cr.tensor([[1.0, 2.0]])
    >>> bool(cr.allclose(input_x_gradient(model, x, 0).sum(), model(x).sum()))
    True
    """
    data = _input(x)
    g, _ = _score_gradient(model, data, _targets(model, x, target))
    return _make(data * g)


def integrated_gradients(
    model: Model,
    x: Tensor,
    target: Target = None,
    baseline: Tensor | float | None = None,
    steps: int = 50,
    method: str = "gausslegendre",
) -> IntegratedGradients:
    """(x - baseline) times the average gradient on the path from ``baseline`` to ``x``.

    The integral is a quadrature over ``steps`` points: ``"gausslegendre"`` (Captum's
    default) or ``"riemann_trapezoid"``. Our trapezoid weights are ``1/(steps-1)`` (halved at
    the ends) and sum to 1; Captum's are ``1/steps`` and sum to ``1 - 1/steps``, so its
    trapezoid attributions are ``(steps-1)/steps`` of these. ``baseline`` defaults to zeros.
    All steps of all examples go through the model as one batch.
    """
    if method not in METHODS:
        raise ValueError(f"integrated_gradients: method must be one of {METHODS}, got {method!r}")
    minimum = 2 if method == "riemann_trapezoid" else 1
    if not isinstance(steps, int) or steps < minimum:
        raise ValueError(
            f"integrated_gradients: steps must be an integer >= {minimum}, got {steps}"
        )
    data = _input(x)
    base = xp.broadcast_to(xp.asarray(0.0 if baseline is None else _input(baseline)), data.shape)
    base = base.astype(data.dtype)
    targets = _targets(model, x, target)
    alphas, weights = _quadrature(method, steps)
    n = data.shape[0]
    shape = (steps, 1) + (1,) * (data.ndim - 1)
    path = base + alphas.reshape(shape).astype(data.dtype) * (data - base)  # (steps, n, ...)
    g, _ = _score_gradient(
        model, path.reshape((steps * n,) + data.shape[1:]), xp.tile(targets, steps)
    )
    average = xp.tensordot(weights, g.reshape(path.shape), axes=1)
    attributions = (data - base) * average
    with grad_mode.no_grad():
        rows = xp.arange(n)
        change = (
            _input(model(_make(data)))[rows, targets] - _input(model(_make(base)))[rows, targets]
        )
    error = attributions.reshape(n, -1).sum(axis=1) - change
    return IntegratedGradients(_make(attributions.astype(data.dtype)), _make(error))


def _quadrature(method: str, steps: int) -> tuple[xp.ndarray, xp.ndarray]:
    """The points alpha in [0, 1] and their weights."""
    if method == "gausslegendre":
        nodes, weights = xp.polynomial.legendre.leggauss(steps)
        return 0.5 * (nodes + 1), 0.5 * weights
    weights = xp.full(steps, 1.0 / (steps - 1))
    weights[[0, -1]] /= 2
    return xp.linspace(0.0, 1.0, steps), weights


def smoothgrad(
    model: Model,
    x: Tensor,
    target: Target = None,
    stdev: float = 0.15,
    samples: int = 25,
    generator: Generator | None = None,
) -> Tensor:
    """The saliency averaged over ``samples`` copies of ``x`` with Gaussian noise of standard
    deviation ``stdev`` (Smilkov et al.; Captum's ``NoiseTunnel(Saliency)``, ``smoothgrad``).
    The target class is decided on the clean input."""
    if not isinstance(samples, int) or samples < 1:
        raise ValueError(f"smoothgrad: samples must be an integer >= 1, got {samples}")
    data = _input(x)
    targets = _targets(model, x, target)
    # PyTorch's normal stream: the same seed gives the noise torch.randn would.
    noise = rng.normal((samples,) + data.shape, data.dtype, 0.0, stdev, generator)
    noisy = (data + noise).reshape((samples * data.shape[0],) + data.shape[1:])
    g, _ = _score_gradient(model, noisy, xp.tile(targets, samples))
    return _make(xp.abs(g).reshape(noise.shape).mean(axis=0))


# ----------------------------------------------------------------------------- attacks
def _loss_gradient(model: Model, x: xp.ndarray, y: xp.ndarray) -> xp.ndarray:
    leaf = _make(x, True)
    with grad_mode.enable_grad():
        loss = F.cross_entropy(model(leaf), _make(y))
        (g,) = grad(loss, leaf)
    return g._data


def _clip(x: xp.ndarray, clamp: tuple[float, float] | None) -> xp.ndarray:
    return x if clamp is None else xp.clip(x, clamp[0], clamp[1])


def fgsm(
    model: Model, x: Tensor, y: Tensor, eps: float, clamp: tuple[float, float] | None = (0.0, 1.0)
) -> Tensor:
    """Fast gradient sign method (Goodfellow et al.): ``x + eps * sign(d loss / d x)``, kept in
    ``clamp`` (the digits' pixels lie in [0, 1]; ``None`` keeps any value).

    >>> import chainrule as cr
    >>> model = cr.nn.Linear(2, 2)
    >>> x, y = cr.full((1, 2), 0.5), cr.tensor([0])
    >>> bool(((fgsm(model, x, y, 0.1) - x).abs() <= 0.1 + 1e-7).all())
    True
    """
    data, labels = _input(x), _input(y)
    step = eps * xp.sign(_loss_gradient(model, data, labels))
    return _make(_clip(data + step.astype(data.dtype), clamp))


def pgd(
    model: Model,
    x: Tensor,
    y: Tensor,
    eps: float,
    alpha: float,
    steps: int,
    clamp: tuple[float, float] | None = (0.0, 1.0),
    random_start: bool = False,
    generator: Generator | None = None,
) -> Tensor:
    """Projected gradient descent (Madry et al.): ``steps`` FGSM steps of size ``alpha``, each
    projected back into the L-infinity ball of radius ``eps`` around ``x`` and into ``clamp``.
    ``random_start`` begins at a uniform point of the ball."""
    data, labels = _input(x), _input(y)
    adv = data.copy()
    if random_start:
        start = rng.uniform(data.shape, data.dtype, -eps, eps, generator)  # PyTorch's stream
        adv = _clip(adv + start, clamp)
    for _ in range(steps):
        adv = adv + (alpha * xp.sign(_loss_gradient(model, adv, labels))).astype(data.dtype)
        adv = _clip(xp.clip(adv, data - eps, data + eps), clamp)
    return _make(adv)


def accuracy(model: Model, x: Tensor, y: Tensor) -> float:
    """The fraction of examples the model classifies correctly."""
    with grad_mode.no_grad():
        return float((_input(model(x)).argmax(axis=1) == _input(y)).mean())


# ----------------------------------------------------------------------------- tabular
@dataclass(frozen=True)
class FeatureSensitivity:
    feature: str
    mean: float  # the average of d score / d feature over the examples
    mean_abs: float
    std: float


@dataclass(frozen=True)
class Sensitivity:
    """d score / d feature for tabular inputs, one row per feature, most sensitive first."""

    rows: list[FeatureSensitivity]

    def to_dict(self) -> dict[str, Any]:
        return {"features": [vars(r) for r in self.rows]}

    def table(self) -> str:
        """Plain text: feature, mean gradient, mean |gradient|, standard deviation."""
        width = max(len("feature"), *(len(r.feature) for r in self.rows))
        lines = [f"{'feature':<{width}}  {'mean':>10}  {'mean |.|':>10}  {'std':>10}"]
        for r in self.rows:
            lines.append(
                f"{r.feature:<{width}}  {r.mean:>10.4g}  {r.mean_abs:>10.4g}  {r.std:>10.4g}"
            )
        return "\n".join(lines)


def sensitivity(
    model: Model, x: Tensor, target: Target = None, feature_names: Sequence[str] | None = None
) -> Sensitivity:
    """The partial derivative of the target score with respect to each feature of ``(N, F)``
    inputs, summarised over the examples and sorted by mean magnitude.

    >>> import chainrule as cr
    >>> model = cr.nn.Linear(2, 1, bias=False)
    >>> with cr.no_grad():
    ...     _ = model.weight.copy_(cr.tensor([[3.0, -1.0]]))
    >>> print(sensitivity(model, cr.ones(4, 2), 0, ["age", "income"]).table())
    feature        mean    mean |.|         std
    age               3           3           0
    income           -1           1           0
    """
    data = _input(x)
    if data.ndim != 2:
        raise ValueError(f"sensitivity: expected (examples, features) inputs, got {data.shape}")
    names = (
        list(feature_names)
        if feature_names is not None
        else [f"x{i}" for i in range(data.shape[1])]
    )
    if len(names) != data.shape[1]:
        raise ValueError(f"sensitivity: {len(names)} feature names for {data.shape[1]} features")
    g, _ = _score_gradient(model, data, _targets(model, x, target))
    rows = [
        FeatureSensitivity(
            name, float(g[:, i].mean()), float(xp.abs(g[:, i]).mean()), float(g[:, i].std())
        )
        for i, name in enumerate(names)
    ]
    return Sensitivity(sorted(rows, key=lambda r: -r.mean_abs))
