"""The Train page's model: a small network on a 2-d data set, trained step by step on the real
engine, as in the TensorFlow Playground, plus a gradient-norm bar per layer. Or on the 8x8
digits (64 pixels in, 10 classes, cross-entropy), where a confusion matrix on the test split
takes the decision boundary's place.

A :class:`TrainConfig` (every field bounded, so a session's memory is bounded too) makes a
:class:`Session`: the data, the network, its optimizer. ``session.step(n)`` trains ``n``
mini-batches and returns a frame: the losses, each layer's gradient norm ``||dL/dW||`` (as
``.grad`` holds it after the last step), the decision boundary and each neuron's output over a
grid. :class:`Sessions` keeps at most a few sessions, each expiring when left idle.

    >>> session = Session(TrainConfig(dataset="xor", hidden=[4], seed=1))
    >>> frame = session.step(5)
    >>> frame["step"], len(frame["grad_norms"])
    (5, 2)
"""

from __future__ import annotations

import math
import secrets
import threading
import time
from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

import chainrule as cr
from chainrule import nn
from chainrule._array import xp as np
from chainrule.data import arrays as datasets

FEATURES: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "x1": lambda a, b: a,
    "x2": lambda a, b: b,
    "x1^2": lambda a, b: a * a,
    "x2^2": lambda a, b: b * b,
    "x1*x2": lambda a, b: a * b,
    "sin(x1)": lambda a, b: np.sin(a),
    "sin(x2)": lambda a, b: np.sin(b),
}
ACTIVATIONS = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU, "gelu": nn.GELU}
#: The plane every data set lies in, and the grids the boundary and neurons are drawn on.
EXTENT = 6.0
BOUNDARY_GRID = 40
NEURON_GRID = 12
DIGIT_PIXELS, DIGIT_CLASSES = 64, 10


class TrainConfig(BaseModel):
    """Everything the Train page lets a person choose; the bounds keep a session small."""

    dataset: Literal["circle", "xor", "gaussian", "spiral", "moons", "digits"] = Field(
        "circle", description="digits: the 8x8 images (features, noise and samples unused)"
    )
    noise: float = Field(0.1, ge=0, le=0.5, description="as a fraction of the data's spread")
    test_fraction: float = Field(0.5, ge=0.1, le=0.9)
    samples: int = Field(400, ge=20, le=1000)
    features: list[Literal[tuple(FEATURES)]] = Field(  # type: ignore[valid-type]
        default_factory=lambda: ["x1", "x2"], min_length=1, max_length=len(FEATURES)
    )
    hidden: list[Annotated[int, Field(ge=1, le=16)]] = Field(
        default_factory=lambda: [4, 2], max_length=12, description="neurons per hidden layer"
    )
    activation: Literal["sigmoid", "tanh", "relu", "gelu"] = "tanh"
    residual: bool = Field(False, description="x + f(x) around each hidden layer of equal width")
    layer_norm: bool = Field(False, description="LayerNorm before each activation")
    lr: float = Field(0.03, gt=0, le=10)
    regularization: Literal["none", "l1", "l2"] = "none"
    reg_rate: float = Field(0.0, ge=0, le=1)
    batch_size: int = Field(10, ge=1, le=1000)
    seed: int = Field(0, ge=0, le=2**31 - 1)


# ----------------------------------------------------------------------------- data sets
def make_data(config: TrainConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x_train, y_train, x_test, y_test): points in [-EXTENT, EXTENT]², labels 0 or 1."""
    rng = np.random.default_rng(config.seed)
    n, noise = config.samples, config.noise
    if config.dataset == "moons":
        split = datasets.moons(
            n, noise=noise * 2, test_fraction=config.test_fraction, seed=config.seed
        )
        # moons lie in [-1, 2] x [-0.5, 1]: centred and scaled to the playground's plane
        scale = lambda x: ((x - np.array([0.5, 0.25])) * 2.5).astype(np.float64)  # noqa: E731
        return scale(split.x_train), split.y_train, scale(split.x_test), split.y_test
    if config.dataset == "circle":
        radius = np.concatenate([rng.uniform(0, 2, n // 2), rng.uniform(3.5, 5, n - n // 2)])
        angle = rng.uniform(0, 2 * np.pi, n)
        x = np.stack([radius * np.cos(angle), radius * np.sin(angle)], 1)
        y = (radius > 2.75).astype(np.int64)
    elif config.dataset == "xor":
        x = rng.uniform(-5, 5, (n, 2))
        x += np.sign(x) * 0.3  # a margin around the axes
        y = (x[:, 0] * x[:, 1] < 0).astype(np.int64)
    elif config.dataset == "gaussian":
        y = (np.arange(n) >= n // 2).astype(np.int64)
        x = rng.normal(0, 1, (n, 2)) + np.where(y[:, None] == 1, 2.0, -2.0)
    else:  # two interleaved spirals
        t = np.linspace(0.25, 1, n // 2 + 1)[: n - n // 2] * 1.75 * 2 * np.pi
        r = 5 * np.linspace(0, 1, len(t))
        arm = np.stack([r * np.sin(t), r * np.cos(t)], 1)
        x = np.concatenate([arm[: n // 2], -arm])[:n]
        y = np.concatenate([np.zeros(n // 2, np.int64), np.ones(n - n // 2, np.int64)])
    x = x + rng.normal(0, noise * EXTENT / 3, x.shape)
    order = rng.permutation(n)
    n_test = round(config.test_fraction * n)
    test, train = order[:n_test], order[n_test:]
    return x[train], y[train], x[test], y[test]


def digits_data(config: TrainConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x_train, y_train, x_test, y_test): all 1,797 images as 64 pixels in [0, 1], labels 0-9."""
    split = datasets.digits(test_fraction=config.test_fraction, seed=config.seed)
    return split.x_train, split.y_train, split.x_test, split.y_test


def features(config: TrainConfig, points: np.ndarray) -> np.ndarray:
    """The chosen input features of (N, 2) points, as float32 (N, F)."""
    a, b = points[:, 0], points[:, 1]
    return np.stack([FEATURES[name](a, b) for name in config.features], 1).astype(np.float32)


# ----------------------------------------------------------------------------- the network
class Residual(nn.Module):
    """``x + block(x)``: the identity path carries the gradient past the block unchanged."""

    def __init__(self, block: nn.Module) -> None:
        super().__init__()
        self.block = block

    def forward(self, x: cr.Tensor) -> cr.Tensor:
        return x + self.block(x)


def build_network(config: TrainConfig) -> tuple[nn.Sequential, list[nn.Linear]]:
    """The network and its Linear layers in order (the last one gives the logit)."""
    layers: list[nn.Module] = []
    linears: list[nn.Linear] = []
    digits = config.dataset == "digits"
    width = DIGIT_PIXELS if digits else len(config.features)
    for out in config.hidden:
        linear = nn.Linear(width, out)
        linears.append(linear)
        block = [linear, *([nn.LayerNorm(out)] if config.layer_norm else [])]
        block.append(ACTIVATIONS[config.activation]())
        hidden = nn.Sequential(*block)
        layers.append(Residual(hidden) if config.residual and width == out else hidden)
        width = out
    linears.append(nn.Linear(width, DIGIT_CLASSES if digits else 1))
    layers.append(linears[-1])
    return nn.Sequential(*layers), linears


class Session:
    """One training run: data, network, optimizer, and the step count."""

    def __init__(self, config: TrainConfig) -> None:
        self.config = config
        self.streaming = False  # one stream per session: set and cleared by the stream
        self.touched = time.monotonic()
        self.digits = config.dataset == "digits"
        if self.digits:  # labels stay int64 class indices, for cross-entropy
            self.x_train, self.y_train, self.x_test, self.y_test = digits_data(config)
            self.points: dict[str, list[list[float]]] = {"train": [], "test": []}
        else:
            x_train, y_train, x_test, y_test = make_data(config)
            self.points = {"train": _points(x_train, y_train), "test": _points(x_test, y_test)}
            self.x_train, self.y_train = features(config, x_train), y_train.astype(np.float32)
            self.x_test, self.y_test = features(config, x_test), y_test.astype(np.float32)
        cr.manual_seed(config.seed)
        self.model, self.linears = build_network(config)
        self.optimizer = cr.optim.SGD(self.model.parameters(), lr=config.lr)
        self.rng = np.random.default_rng(config.seed)
        self.order = np.empty(0, np.int64)
        self.steps = 0
        if not self.digits:
            axis = np.linspace(-EXTENT, EXTENT, BOUNDARY_GRID)
            self.grid = features(config, np.stack(np.meshgrid(axis, -axis), -1).reshape(-1, 2))
            axis = np.linspace(-EXTENT, EXTENT, NEURON_GRID)
            plane = np.stack(np.meshgrid(axis, -axis), -1).reshape(-1, 2)
            self.neuron_grid = features(config, plane)

    def _data_loss(self, logits: cr.Tensor, y: np.ndarray) -> cr.Tensor:
        """Cross-entropy over the 10 digits, or binary cross-entropy of the one logit."""
        if self.digits:
            return nn.functional.cross_entropy(logits, cr.tensor(y))
        return nn.functional.binary_cross_entropy_with_logits(logits.reshape(-1), cr.tensor(y))

    def _loss(self, x: np.ndarray, y: np.ndarray) -> cr.Tensor:
        loss = self._data_loss(self.model(cr.tensor(x)), y)
        if self.config.regularization != "none" and self.config.reg_rate > 0:
            weights = [linear.weight for linear in self.linears]
            if self.config.regularization == "l1":
                penalty = sum(w.abs().sum() for w in weights)
            else:
                penalty = sum((w * w).sum() for w in weights)
            loss = loss + self.config.reg_rate * penalty
        return loss

    def _batch(self) -> np.ndarray:
        size = min(self.config.batch_size, len(self.x_train))
        if len(self.order) < size:  # a new epoch: a fresh shuffle
            self.order = self.rng.permutation(len(self.x_train))
        batch, self.order = self.order[:size], self.order[size:]
        return batch

    def step(self, count: int = 1) -> dict[str, Any]:
        """Train ``count`` mini-batches (0: only compute the gradients) and return a frame."""
        for _ in range(max(count, 1)):
            batch = self._batch()
            self.optimizer.zero_grad()
            self._loss(self.x_train[batch], self.y_train[batch]).backward()
            if count > 0:
                self.optimizer.step()
                self.steps += 1
        return self.frame()

    def frame(self) -> dict[str, Any]:
        """What the page draws: losses, gradient norms, the boundary, the neurons."""
        with cr.no_grad():
            train_loss = float(self._loss(self.x_train, self.y_train).item())
            test_loss = (
                float(self._loss(self.x_test, self.y_test).item()) if len(self.x_test) else None
            )
            if self.digits:
                views = {"boundary": None, "neurons": [], "confusion": self._confusion()}
            else:
                boundary = cr.sigmoid(self.model(cr.tensor(self.grid))).numpy().reshape(-1)
                views = {
                    "boundary": {"size": BOUNDARY_GRID, "values": _rounded(boundary)},
                    "neurons": self._neurons(),
                    "confusion": None,
                }
        norms = []
        for layer, linear in zip(self.layer_names(), self.linears, strict=True):
            grad = linear.weight.grad
            norm = float(np.linalg.norm(grad.numpy())) if grad is not None else 0.0
            norms.append({"layer": layer, "norm": norm})
        return {
            "step": self.steps,
            "epoch": self.steps * self.config.batch_size / max(len(self.x_train), 1),
            "train_loss": _finite(train_loss),
            "test_loss": _finite(test_loss),
            "grad_norms": norms,
            **views,
        }

    def _confusion(self) -> dict[str, Any]:
        """The test split's confusion matrix: ``counts[true][predicted]``, and the accuracy."""
        predicted = self.model(cr.tensor(self.x_test)).numpy().argmax(1)
        counts = np.zeros((DIGIT_CLASSES, DIGIT_CLASSES), np.int64)
        np.add.at(counts, (self.y_test, predicted), 1)
        accuracy = float(np.trace(counts) / max(len(self.y_test), 1))
        return {"classes": list(range(DIGIT_CLASSES)), "counts": counts.tolist(),
                "accuracy": accuracy}  # fmt: skip

    def explain(self, index: int) -> Any:
        """The chain rule for training example ``index``'s loss (without the regularisation
        term), through every layer: :func:`chainrule.explain` of the network as it is now. It
        writes no ``.grad``, so training goes on unchanged."""
        if not 0 <= index < len(self.x_train):
            raise IndexError(f"example {index} out of range: {len(self.x_train)} training examples")
        target = self.y_train[index : index + 1]

        def loss(x: cr.Tensor) -> cr.Tensor:
            return self._data_loss(self.model(x), target)

        x = cr.tensor(self.x_train[index : index + 1])
        # No finite differences: in float32 they cannot resolve the small gradients this page
        # is about (they print 0), and they would replay the network once per weight.
        return cr.explain(loss, x, modules=self.model, symbolic=False, finite_differences=False)

    def weights(self) -> list[dict[str, Any]]:
        """Each layer's weight matrix: ``layer`` (as in the frames' ``grad_norms``), its
        ``parameter`` name in :meth:`explain`'s explanation, and its ``shape`` [out, in]."""
        names = {id(p): name for name, p in self.model.named_parameters()}
        return [
            {"layer": layer, "parameter": names[id(linear.weight)],
             "shape": list(linear.weight.shape)}
            for layer, linear in zip(self.layer_names(), self.linears, strict=True)
        ]  # fmt: skip

    def layer_names(self) -> list[str]:
        """The Linear layers' names, input side first: "layer 1" ... "output"."""
        last = len(self.linears) - 1
        return ["output" if i == last else f"layer {i + 1}" for i in range(last + 1)]

    def _neurons(self) -> list[list[list[float]]]:
        """Each hidden neuron's output over the small grid, per layer."""
        x = cr.tensor(self.neuron_grid)
        layers = []
        for module in list(self.model)[:-1]:
            x = module(x)
            layers.append([_rounded(x.numpy()[:, j]) for j in range(x.shape[1])])
        return layers


def _points(x: np.ndarray, y: np.ndarray) -> list[list[float]]:
    return [
        [round(float(a), 3), round(float(b), 3), int(c)] for (a, b), c in zip(x, y, strict=True)
    ]


def _rounded(values: np.ndarray) -> list[float | None]:
    return [round(float(v), 3) if math.isfinite(v) else None for v in values]


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


class SessionLimit(Exception):
    """No room for another session."""


class Sessions:
    """At most ``capacity`` sessions; one left idle for ``ttl_s`` seconds expires."""

    def __init__(self, capacity: int = 4, ttl_s: float = 600.0) -> None:
        self.capacity, self.ttl_s = capacity, ttl_s
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def create(self, config: TrainConfig) -> tuple[str, Session]:
        with self._lock:
            self._expire()
            if len(self._sessions) >= self.capacity:
                raise SessionLimit(
                    f"{self.capacity} training sessions are running; try again when one "
                    f"expires ({self.ttl_s:g} s after its last use) or delete one"
                )
            key = secrets.token_urlsafe(12)
            self._sessions[key] = session = Session(config)
            return key, session

    def get(self, key: str) -> Session | None:
        with self._lock:
            self._expire()
            session = self._sessions.get(key)
            if session is not None:
                session.touched = time.monotonic()
            return session

    def delete(self, key: str) -> bool:
        with self._lock:
            return self._sessions.pop(key, None) is not None

    def __len__(self) -> int:
        with self._lock:
            self._expire()
            return len(self._sessions)

    def _expire(self) -> None:
        now = time.monotonic()
        for key in [k for k, s in self._sessions.items() if now - s.touched > self.ttl_s]:
            del self._sessions[key]
