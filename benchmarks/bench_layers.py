"""Layer benchmarks: forward + backward of the sequence layers and linalg, chainrule vs PyTorch.

Sections (each one forward and backward pass of a float32 workload, weights shared through
``load_state_dict``; no NumPy column, no target: they show where chainrule stands):

1. ``rnn``: ``nn.LSTM(32, 64, num_layers=2)`` and ``nn.GRU(32, 64, bidirectional=True)`` over
   a (50, 16, 32) sequence: the Python loop over time steps is the cost being shown (one
   node per layer and direction loops over them in NumPy, as PyTorch's one mkldnn node).
2. ``attention``: ``nn.TransformerEncoderLayer(64, 4, 128, dropout=0)`` on (16, 32, 64),
   batch first.
3. ``linalg``: ``det``, ``inv``, ``svd`` and ``eigh`` of a batch of 64 (16, 16) matrices, the
   backward of a sum of their outputs included.
4. ``activations``: elementwise activations and pointwise losses (sigmoid, gelu, elu, where,
   smooth L1, ...) on float32 (64, 128) and (1797, 128), forward and backward: where NumPy's
   own slow paths (a branch per element in ``where``, no vector loop for ``maximum`` against
   a number, C's ``pow`` of a negative base, scalar ``logaddexp``) would show.

Run from the repository root::

    python benchmarks/bench_layers.py               # everything (~30 s on 2 cores)
    python benchmarks/bench_layers.py --only rnn    # one section

Exit status: 0 on success, 2 if chainrule cannot be imported or lacks a feature used here.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

import _timing as tm
import numpy as np

SECTIONS = ("rnn", "attention", "linalg", "activations")
FEATURES: dict[str, tuple[str, ...]] = {
    "rnn": ("tensor", "nn.LSTM", "nn.GRU"),
    "attention": ("tensor", "nn.TransformerEncoderLayer"),
    "linalg": ("tensor", "linalg.det", "linalg.inv", "linalg.svd", "linalg.eigh"),
    "activations": ("tensor", "where", "nn.functional.gelu", "nn.functional.elu"),
}
TENSOR_METHODS = ("backward",)


def _layer_step(m: Any, layer: Any, x: np.ndarray) -> Callable[[], object]:
    inp = m.tensor(x, requires_grad=True)

    def step() -> object:
        out = layer(inp)
        out = out[0] if isinstance(out, tuple) else out
        out.sum().backward()
        return out

    return step


def _layers(cr: Any, torch: Any, build: Callable[[Any], Any]) -> dict[str, Any]:
    """The layer built by each engine, with PyTorch's weights in chainrule's."""
    built = {m.__name__: build(m.nn) for m in (cr, torch) if m is not None}
    if cr is not None and torch is not None:
        built["chainrule"].load_state_dict(
            {k: v.numpy() for k, v in built["torch"].state_dict().items()}
        )
    return built


def bench_layers(cr: Any, torch: Any, title: str, cases: dict[str, tuple[Any, tuple]]) -> None:
    rng = np.random.default_rng(0)
    rows = []
    for name, (build, shape) in cases.items():
        x = rng.standard_normal(shape).astype(np.float32)
        layers = _layers(cr, torch, build)
        fns = {
            m.__name__: _layer_step(m, layers[m.__name__], x) for m in (cr, torch) if m is not None
        }
        with tm.feature_guard(cr):
            times = tm.medians(tm.compare(fns, repeats=5, warmup=1, budget_s=6.0))
        c, t = times.get("chainrule"), times.get("torch")
        rows.append([name, tm.fmt_time(c), tm.fmt_time(t), tm.fmt_ratio(tm.ratio(c, t))])
    print(title)
    tm.print_table(["workload", "chainrule", "PyTorch", "cr/PyTorch"], rows)


def bench_linalg(cr: Any, torch: Any) -> None:
    rng = np.random.default_rng(0)
    a = (rng.standard_normal((64, 16, 16)) + 4 * np.eye(16)).astype(np.float32)
    calls: dict[str, Callable[[Any, Any], Any]] = {
        "det": lambda m, x: m.linalg.det(x),
        "inv": lambda m, x: m.linalg.inv(x),
        "svd (S and U)": lambda m, x: m.linalg.svd(x)[1].sum() + m.linalg.svd(x)[0].sum(),
        "eigh": lambda m, x: m.linalg.eigh(x + x.mT)[0],
    }
    print("[3] linalg: forward + backward on a (64, 16, 16) float32 batch")
    _bench_calls(cr, torch, calls, a, budget_s=4.0)


def _bench_calls(
    cr: Any,
    torch: Any,
    calls: dict[str, Callable[[Any, Any], Any]],
    values: np.ndarray,
    budget_s: float,
) -> None:
    """Time ``call(m, x).sum().backward()`` of each call on ``values`` (as a leaf requiring
    grad) in each engine, and print the table."""
    rows = []
    for name, call in calls.items():
        fns = {}
        for m in (e for e in (cr, torch) if e is not None):
            x = m.tensor(values, requires_grad=True)
            fns[m.__name__] = lambda m=m, x=x, call=call: call(m, x).sum().backward()
        with tm.feature_guard(cr):
            times = tm.medians(tm.compare(fns, repeats=5, warmup=1, budget_s=budget_s))
        c, t = times.get("chainrule"), times.get("torch")
        rows.append([name, tm.fmt_time(c), tm.fmt_time(t), tm.fmt_ratio(tm.ratio(c, t))])
    tm.print_table(["workload", "chainrule", "PyTorch", "cr/PyTorch"], rows)


def _functional(m: Any) -> Any:
    return m.nn.functional


ACTIVATIONS: dict[str, Callable[[Any, Any], Any]] = {
    "relu": lambda m, x: x.relu(),
    "sigmoid": lambda m, x: x.sigmoid(),
    "tanh": lambda m, x: x.tanh(),
    "gelu": lambda m, x: _functional(m).gelu(x),
    "gelu(tanh)": lambda m, x: _functional(m).gelu(x, approximate="tanh"),
    "silu": lambda m, x: _functional(m).silu(x),
    "elu": lambda m, x: _functional(m).elu(x),
    "leaky_relu": lambda m, x: _functional(m).leaky_relu(x, 0.1),
    "softplus": lambda m, x: _functional(m).softplus(x),
    "mish": lambda m, x: _functional(m).mish(x),
    "hardswish": lambda m, x: _functional(m).hardswish(x),
    "clamp(-1, 1)": lambda m, x: x.clamp(-1, 1),
    "x ** 3": lambda m, x: x**3,
    "where(x > 0, x, -2x)": lambda m, x: m.where(x > 0, x, -2 * x),
    "smooth_l1 (none)": lambda m, x: _functional(m).smooth_l1_loss(
        x, x.detach() * 0.5, reduction="none"
    ),
    "bce_with_logits (none)": lambda m, x: _functional(m).binary_cross_entropy_with_logits(
        x, (x.detach() > 0).float(), reduction="none"
    ),
    "softmax": lambda m, x: x.softmax(-1),
    "layer_norm": lambda m, x: _functional(m).layer_norm(x, (x.shape[-1],)),
}


def bench_activations(cr: Any, torch: Any) -> None:
    rng = np.random.default_rng(0)
    for shape in ((64, 128), (1797, 128)):
        values = rng.standard_normal(shape).astype(np.float32)
        print(f"[4] activations: forward + backward of a float32 {shape}")
        _bench_calls(cr, torch, ACTIVATIONS, values, budget_s=1.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=SECTIONS, action="append", help="run only this section")
    args = parser.parse_args()
    sections = args.only or SECTIONS
    needed = tuple(dict.fromkeys(f for s in sections for f in FEATURES[s]))
    cr = tm.load_chainrule(needed, TENSOR_METHODS)
    torch = tm.load_torch()
    tm.print_environment("chainrule layer benchmarks", cr, torch)
    if "rnn" in sections:
        bench_layers(
            cr,
            torch,
            "[1] recurrent layers: forward + backward over (50, 16, 32), float32",
            {
                "LSTM(32, 64, num_layers=2)": (
                    lambda nn: nn.LSTM(32, 64, num_layers=2),
                    (50, 16, 32),
                ),
                "GRU(32, 64, bidirectional)": (
                    lambda nn: nn.GRU(32, 64, bidirectional=True),
                    (50, 16, 32),
                ),
            },
        )
    if "attention" in sections:
        bench_layers(
            cr,
            torch,
            "[2] attention: forward + backward over (16, 32, 64), batch first, float32",
            {
                "TransformerEncoderLayer(64, 4, 128)": (
                    lambda nn: nn.TransformerEncoderLayer(64, 4, 128, 0.0, batch_first=True),
                    (16, 32, 64),
                ),
            },
        )
    if "linalg" in sections:
        bench_linalg(cr, torch)
    if "activations" in sections:
        bench_activations(cr, torch)


if __name__ == "__main__":
    main()
