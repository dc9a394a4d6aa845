"""``cr.diagnostics``: how the gradient fares on its way back through a network, layer by layer.

:func:`gradient_flow` reads a model and its loss: for each layer with a weight matrix, the
gradient's norm and mean magnitude, the size of an SGD update relative to the weight, the
fraction of dead ReLU units (read from the ReLU nodes of the recorded graph), and a flag.

:func:`depth_study` shows *why* a gradient vanishes. It builds a deep MLP, measures the
gradient at the input of every layer with one backward pass, and sets beside it what the chain
rule predicts: the product, layer after layer from the loss down, of each layer's local
derivatives (the activation's derivative read from its op's rule, times the layer's own
linear and norm rules). For sigmoid, whose derivative is at most 1/4, the mean local
derivative along the path multiplies out to about (0.25)^20 ~ 1e-12 after 20 layers.

Flags, relative to the layer nearest the loss (the gradient's starting size):

- ``vanishing``: below ``VANISHING`` (1e-3) of it: three orders of magnitude lost on the way;
- ``exploding``: above ``EXPLODING`` (1e3) of it, or not finite;
- ``healthy`` otherwise.

    >>> import chainrule as cr
    >>> study = depth_study("sigmoid", depth=20)
    >>> study.layers[0].flag, study.layers[-1].flag
    ('vanishing', 'healthy')
"""

from __future__ import annotations

import importlib.util
import io
import json
import math
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from chainrule import nn, rng
from chainrule._array import xp
from chainrule.autodiff.backward import grad
from chainrule.tensor import Tensor, _make

VANISHING = 1e-3
EXPLODING = 1e3

ACTIVATIONS = ("sigmoid", "tanh", "relu", "gelu")
NORMS = ("batch", "layer")
INITS = ("xavier", "kaiming", "normal")
# The largest value of each activation's derivative: the most a layer can pass on per unit.
STEEPEST = {"sigmoid": 0.25, "tanh": 1.0, "relu": 1.0, "gelu": 1.1289}


def _flag(norm: float, reference: float) -> str:
    if not math.isfinite(norm) or norm > EXPLODING * reference:
        return "exploding"
    if norm < VANISHING * reference:
        return "vanishing"
    return "healthy"


class _Report:
    """What the reports share: their plain data, as a dict or JSON (read by the CLI and web)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)


def _thresholds() -> dict[str, float]:
    """The flag thresholds a report was made with (kept in it, so its JSON explains its flags)."""
    return {"vanishing": VANISHING, "exploding": EXPLODING}


# ----------------------------------------------------------------------------- gradient_flow
@dataclass(frozen=True)
class LayerFlow:
    name: str
    shape: tuple[int, ...]
    grad_norm: float
    mean_abs_grad: float
    update_ratio: float  # lr * |grad| / |weight|: the relative size of one SGD step
    dead_fraction: float | None  # units whose ReLU output is 0 for every example; None: no ReLU
    flag: str


@dataclass(frozen=True)
class GradientFlow(_Report):
    """Per layer, nearest the input first; ``lr`` is the one the update ratios assume."""

    layers: list[LayerFlow]
    lr: float
    thresholds: dict[str, float] = field(default_factory=_thresholds)

    def table(self) -> Any:
        """A rich Table for the terminal."""
        table = _rich_table(
            "gradient flow (flags relative to the layer nearest the loss)",
            ["layer", "shape", "|grad|", "mean |grad|", "update/weight", "dead ReLU", "flag"],
        )
        for layer in self.layers:
            dead = "-" if layer.dead_fraction is None else f"{layer.dead_fraction:.0%}"
            table.add_row(
                layer.name, "x".join(map(str, layer.shape)), f"{layer.grad_norm:.3g}",
                f"{layer.mean_abs_grad:.3g}", f"{layer.update_ratio:.3g}", dead,
                _styled(layer.flag),
            )  # fmt: skip
        return table

    def plot(self, path: str | os.PathLike[str]) -> str:
        """Gradient norm by depth, log scale, as a PNG written atomically."""
        names = [layer.name for layer in self.layers]
        fig, ax = _figure()
        ax.semilogy(range(len(names)), [layer.grad_norm for layer in self.layers], "o-")
        ax.set_xticks(range(len(names)), names, rotation=60, ha="right", fontsize=7)
        fig.subplots_adjust(bottom=0.24)  # room for the slanted layer names
        ax.set_ylabel("weight gradient norm")
        ax.set_title("gradient norm by depth (input on the left)")
        return save_figure(fig, path)


def gradient_flow(model: nn.Module, loss: Tensor, lr: float = 1e-3) -> GradientFlow:
    """The gradient reaching each weight of ``model`` from ``loss`` (a scalar it computed).

    Runs one backward pass (``autograd.grad``: the parameters' ``.grad`` stay as they are).

    >>> import chainrule as cr
    >>> model = cr.nn.Sequential(cr.nn.Linear(4, 8), cr.nn.ReLU(), cr.nn.Linear(8, 1))
    >>> flow = gradient_flow(model, model(cr.randn(16, 4)).pow(2).mean())
    >>> [layer.name for layer in flow.layers], flow.layers[1].dead_fraction
    (['0', '2'], None)
    """
    layers = [
        (name, module.weight)
        for name, module in model.named_modules()
        if isinstance(getattr(module, "weight", None), Tensor) and module.weight.ndim >= 2
    ]
    if not layers:
        raise ValueError("gradient_flow: the model has no layer with a weight matrix")
    dead = _dead_relu_fractions(loss, [w for _, w in layers])
    grads = grad(loss, [w for _, w in layers], allow_unused=True)
    rows = []
    for (name, weight), g in zip(layers, grads, strict=True):
        g_data = xp.zeros(weight.shape) if g is None else xp.asarray(g._data, dtype=xp.float64)
        norm, w_norm = _norm(g_data), _norm(weight._data)
        rows.append((name, tuple(weight.shape), norm, float(xp.abs(g_data).mean()),
                     lr * norm / w_norm if w_norm else math.inf, dead.get(id(weight))))  # fmt: skip
    reference = rows[-1][2]
    return GradientFlow([LayerFlow(*row, _flag(row[2], reference)) for row in rows], lr)


def _dead_relu_fractions(loss: Tensor, weights: Sequence[Tensor]) -> dict[int, float]:
    """For each weight, the fraction of dead units in the ReLU its layer feeds, read from the
    graph: the ReLU node reached from the weight's node through at most a norm's few ops."""
    consumers: dict[Any, list[Any]] = {}
    by_weight: dict[int, Any] = {}
    wanted = {id(w) for w in weights}
    seen, stack = {loss.grad_fn}, [loss.grad_fn] if loss.grad_fn is not None else []
    while stack:
        node = stack.pop()
        for x in node.inputs:
            if not isinstance(x, Tensor):
                continue
            if id(x) in wanted:
                by_weight[id(x)] = node
            parent = x.grad_fn
            if parent is not None:
                consumers.setdefault(parent, []).append(node)
                if parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
    found = {}
    for key, node in by_weight.items():
        frontier = [node]
        for _ in range(8):  # a layer's output reaches its ReLU within a few ops (bias, norm)
            relu = next((n for n in frontier if type(n).__name__ == "Relu"), None)
            if relu is not None:
                out = xp.asarray(relu.out).reshape(relu.out.shape[0], relu.out.shape[1], -1)
                found[key] = float((out == 0).all(axis=(0, 2)).mean())
                break
            frontier = [c for n in frontier for c in consumers.get(n, [])]
    return found


# ----------------------------------------------------------------------------- depth_study
class _Block(nn.Module):
    """``act(norm(linear(h)))``, plus ``h`` when residual."""

    def __init__(self, width: int, activation: str, norm: str | None, residual: bool) -> None:
        super().__init__()
        self.linear = nn.Linear(width, width)
        self.norm = {None: nn.Identity, "batch": nn.BatchNorm1d, "layer": nn.LayerNorm}[norm](
            *(() if norm is None else (width,))
        )
        self.act = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU, "gelu": nn.GELU}[
            activation
        ]()
        self.residual = residual

    def pre(self, h: Tensor) -> Tensor:
        return self.norm(self.linear(h))

    def forward(self, h: Tensor) -> Tensor:
        self.activated = self.act(self.pre(h))
        return h + self.activated if self.residual else self.activated


class DeepNet(nn.Module):
    """``depth`` blocks of the same width, then a linear head: the network of a depth study."""

    def __init__(
        self, depth: int, width: int, activation: str, norm: str | None, residual: bool
    ) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(
            [_Block(width, activation, norm, residual) for _ in range(depth)]
        )
        self.head = nn.Linear(width, 1)

    def forward(self, x: Tensor) -> Tensor:
        self.hidden = [x]  # the input of every block, then the last block's output
        for block in self.blocks:
            self.hidden.append(block(self.hidden[-1]))
        return self.head(self.hidden[-1])


@dataclass(frozen=True)
class DepthLayer:
    layer: int  # 1 = nearest the input
    activations_above: int  # derivatives of activations between this layer's input and the loss
    mean_local_derivative: float  # mean of act'(z) over the batch and units of this layer
    path_product: float  # product of mean_local_derivative from the top down to this layer
    steepest_bound: float  # STEEPEST ** activations_above: e.g. 0.25^20 for sigmoid
    predicted: float  # |dL/dh| by the chain of local derivatives, layer by layer
    measured: float  # |dL/dh| by one backward pass
    flag: str


@dataclass(frozen=True)
class DepthStudy(_Report):
    activation: str
    depth: int
    residual: bool
    norm: str | None
    init: str
    layers: list[DepthLayer]
    flow: GradientFlow
    thresholds: dict[str, float] = field(default_factory=_thresholds)

    @property
    def title(self) -> str:
        parts = [f"{self.depth}-layer {self.activation} MLP", f"{self.init} init"]
        parts += ["residual"] * self.residual + [f"{self.norm} norm"] * (self.norm is not None)
        return ", ".join(parts)

    def max_relative_error(self) -> float:
        """The largest |predicted - measured| / measured over the layers."""
        return max(abs(r.predicted - r.measured) / r.measured for r in self.layers if r.measured)

    def table(self) -> Any:
        table = _rich_table(
            f"{self.title}: gradient at each layer's input",
            ["layer", "mean act'", "product of act'", "steepest^n", "predicted |dL/dh|",
             "measured |dL/dh|", "flag"],
        )  # fmt: skip
        for r in self.layers:
            table.add_row(
                str(r.layer), f"{r.mean_local_derivative:.4f}", f"{r.path_product:.3e}",
                f"{r.steepest_bound:.3e}", f"{r.predicted:.6e}", f"{r.measured:.6e}",
                _styled(r.flag),
            )  # fmt: skip
        return table

    def plot(self, path: str | os.PathLike[str]) -> str:
        """Measured and predicted gradient norms by layer, with the product of the mean local
        derivatives and the steepest-slope bound scaled to the top layer, on a log axis."""
        from matplotlib.ticker import MaxNLocator

        layers = [r.layer for r in self.layers]
        top = self.layers[-1].measured / self.layers[-1].path_product
        fig, ax = _figure()
        ax.semilogy(
            layers, [r.measured for r in self.layers], "o", ms=7, label="measured (backward)"
        )
        ax.semilogy(layers, [r.predicted for r in self.layers], "-", lw=2,
                    label="predicted: product of local derivatives")  # fmt: skip
        # With skip connections the gradient also takes the identity path, which multiplies
        # by no activation slope: the product of slopes alone predicts nothing there.
        if not self.residual:
            ax.semilogy(layers, [top * r.path_product for r in self.layers], "--",
                        label="product of mean act' (scaled to the top)")  # fmt: skip
        if self.activation == "sigmoid" and not self.residual:
            ax.semilogy(layers, [top * r.steepest_bound for r in self.layers], ":",
                        label="0.25^n: sigmoid at its steepest")  # fmt: skip
        ax.axhline(VANISHING * self.layers[-1].measured, color="grey", lw=0.8,
                   label="vanishing below this (1e-3 of the top layer)")  # fmt: skip
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("layer (1 = nearest the input)")
        ax.set_ylabel("|dL/dh| at the layer's input")
        ax.set_title(self.title)
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8)
        return save_figure(fig, path)


def depth_study(
    activation: str = "sigmoid",
    depth: int = 20,
    residual: bool = False,
    norm: str | None = None,
    init: str = "xavier",
    width: int = 32,
    batch: int = 64,
    seed: int = 0,
) -> DepthStudy:
    """Build a ``depth``-layer MLP, and measure and predict the gradient at each layer.

    The global random state is left as it was.
    """
    for name, value, allowed in (("activation", activation, ACTIVATIONS), ("init", init, INITS)):
        if value not in allowed:
            raise ValueError(f"depth_study: {name} must be one of {allowed}, got {value!r}")
    if norm is not None and norm not in NORMS:
        raise ValueError(f"depth_study: norm must be one of {NORMS} or None, got {norm!r}")
    if depth < 1 or width < 1 or batch < 2:
        raise ValueError("depth_study: depth and width must be >= 1 and batch >= 2")
    state = rng.get_rng_state()
    try:
        rng.manual_seed(seed)
        model = DeepNet(depth, width, activation, norm, residual)
        _initialise(model, init, activation)
        x = _make(
            rng.default_generator.numpy.standard_normal((batch, width)).astype(xp.float32), True
        )
        y = _make(rng.default_generator.numpy.standard_normal((batch, 1)).astype(xp.float32))
    finally:
        rng.set_rng_state(state)
    loss = ((model(x) - y) ** 2).mean()
    predicted, derivatives = _predict(model, y)
    measured = grad(loss, model.hidden[:-1], retain_graph=True)
    flow = gradient_flow(model, loss)
    top = _norm(measured[-1]._data)
    layers, product = [], 1.0
    for k in range(depth, 0, -1):
        product *= derivatives[k - 1]
        norm_k = _norm(measured[k - 1]._data)
        layers.append(DepthLayer(k, depth - k + 1, derivatives[k - 1], product,
                                 STEEPEST[activation] ** (depth - k + 1), predicted[k - 1],
                                 norm_k, _flag(norm_k, top)))  # fmt: skip
    return DepthStudy(activation, depth, residual, norm, init, layers[::-1], flow)


def _initialise(model: DeepNet, init: str, activation: str) -> None:
    for block in model.blocks:
        w = block.linear.weight
        if init == "xavier":
            nn.init.xavier_normal_(w)
        elif init == "kaiming":
            nn.init.kaiming_normal_(w, nonlinearity="relu")
        else:
            nn.init.normal_(w, 0.0, 1.0)
        nn.init.zeros_(block.linear.bias)


def _predict(model: DeepNet, y: Tensor) -> tuple[list[float], list[float]]:
    """|dL/dh| at each block's input by the chain rule, one layer at a time from the loss
    down, and each block's mean activation derivative.

    Each step multiplies by one layer's local derivatives: the activation's (``partial``, the
    rule of its op in the recorded graph) and then those of the linear and norm ops of that
    layer alone, applied to a fresh copy of the layer's input.
    """
    g = _local_vjp(lambda h: ((model.head(h) - y) ** 2).mean(), model.hidden[-1], None)
    norms, derivatives = [], []
    for block, h in zip(reversed(model.blocks), reversed(model.hidden[:-1]), strict=True):
        node = block.activated.grad_fn
        slope = node.partial(node.out, *node.args)  # act'(z), as the engine's rule gives it
        derivatives.append(float(xp.mean(slope)))
        g_z = g * slope
        g_h = _local_vjp(block.pre, h, g_z)
        g = g_h + g if block.residual else g_h
        norms.append(_norm(g))
    return norms[::-1], derivatives[::-1]


def _local_vjp(layer: Any, h: Tensor, g: xp.ndarray | None) -> xp.ndarray:
    leaf = _make(h._data.copy(), True)
    out = layer(leaf)
    (found,) = grad(out, leaf, None if g is None else _make(g.astype(out._data.dtype)))
    return found._data


# ----------------------------------------------------------------------------- output helpers
def _norm(array: Any) -> float:
    """The 2-norm in float64: exploding float32 gradients overflow a float32 sum of squares."""
    return float(xp.linalg.norm(xp.asarray(array, dtype=xp.float64)))


def _rich_table(title: str, columns: list[str]) -> Any:
    """A rich Table, or the same rows as plain text where rich is not installed."""
    try:
        from rich.table import Table
    except ImportError:
        table: Any = TextTable(title)
    else:
        table = Table(title=title)
    for i, column in enumerate(columns):
        table.add_column(column, justify="left" if i == 0 else "right")
    return table


class TextTable:
    """The part of rich's ``Table`` the diagnostics use, printed as aligned plain text (the
    base install has no rich); rich's colour markup is dropped.

    >>> table = TextTable("flow")
    >>> table.add_column("layer", justify="left"); table.add_column("|grad|")
    >>> table.add_row("fc1", "[green]0.5[/]")
    >>> print(table)
    flow
    layer  |grad|
    fc1       0.5
    """

    def __init__(self, title: str) -> None:
        self.title = title
        self._columns: list[tuple[str, str]] = []
        self._rows: list[tuple[str, ...]] = []

    def add_column(self, header: str, justify: str = "right") -> None:
        self._columns.append((header, justify))

    def add_row(self, *cells: str) -> None:
        self._rows.append(tuple(re.sub(r"\[/?[a-z ]*\]", "", cell) for cell in cells))

    def __str__(self) -> str:
        lines = [tuple(header for header, _ in self._columns), *self._rows]
        widths = [max(len(line[i]) for line in lines) for i in range(len(self._columns))]
        text = [
            "  ".join(
                cell.ljust(width) if justify == "left" else cell.rjust(width)
                for cell, width, (_, justify) in zip(line, widths, self._columns, strict=True)
            ).rstrip()
            for line in lines
        ]
        return "\n".join([self.title, *text])


def print_table(table: Any) -> None:
    """Print a diagnostics table on stdout: rich's, in colour on a terminal, or plain text."""
    if isinstance(table, TextTable):
        print(table)
        return
    from rich.console import Console

    Console(file=sys.stdout, width=None if sys.stdout.isatty() else 120).print(table)


#: What the commands print in place of a picture on an install without matplotlib.
NO_PLOT = "no plot: pip install 'chainrule[train]' for the pictures"


def can_plot() -> bool:
    """Whether matplotlib is installed (the base install reports in text alone)."""
    return importlib.util.find_spec("matplotlib") is not None


def _styled(flag: str) -> str:
    return {"vanishing": "[yellow]vanishing[/]", "exploding": "[red]exploding[/]"}.get(
        flag, "[green]healthy[/]"
    )


def new_figure(width: float = 8.0, height: float = 4.5) -> Any:
    """A matplotlib Figure (no pyplot, no display), or an error naming the extra to install."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("the plots need matplotlib: pip install 'chainrule[train]'") from None
    return Figure(figsize=(width, height))


def _figure() -> tuple[Any, Any]:
    fig = new_figure()
    fig.subplots_adjust(left=0.1, right=0.97, bottom=0.14, top=0.9)
    return fig, fig.subplots()


def save_figure(fig: Any, path: str | os.PathLike[str]) -> str:
    """Write a matplotlib Figure as a PNG, atomically (the diagnostics and attribution
    commands all save through here)."""
    from chainrule.serialization import atomic_write

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    atomic_write(path, lambda f: f.write(buffer.getvalue()))
    return os.fspath(path)
