"""Dropout benchmark: what recording the mask as a graph step costs, and what compiling gains.

Workloads (float32; the model is 64-128-ReLU-Dropout(0.5)-128-ReLU-Dropout(0.5)-10, one SGD
step: forward, cross-entropy, backward, ``step``, ``zero_grad``):

1. ``F.dropout`` on a (64, 128) tensor that requires grad: the mask's draw and its step;
2. the training step at batch 64, eager;
3. the same step through ``cr.compile``, which replays the mask's draw afresh at each call.

PyTorch runs the same workloads (its dropout and an eager step) for scale. No targets: the
numbers show the per-step cost of dropout. Run from the repository root::

    python benchmarks/bench_dropout.py

Exit status: 0 on success, 2 if chainrule cannot be imported or lacks a feature used here.
"""

from __future__ import annotations

import warnings
from typing import Any

import _timing as tm
import numpy as np

FEATURES = (
    "tensor",
    "manual_seed",
    "compile",
    "nn.Sequential",
    "nn.Linear",
    "nn.ReLU",
    "nn.Dropout",
    "nn.functional.dropout",
    "nn.functional.cross_entropy",
    "optim.SGD",
)
BATCH = 64


def make_step(m: Any) -> Any:
    """One SGD step of the dropout MLP, from either engine's layers."""
    m.manual_seed(0)
    nn = m.nn
    model = nn.Sequential(
        nn.Linear(64, 128), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(128, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, 10),
    )  # fmt: skip
    opt = m.optim.SGD(model.parameters(), lr=0.01)

    def step(x: Any, y: Any) -> Any:
        loss = m.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        opt.zero_grad()
        return loss

    return step


def main() -> None:
    cr = tm.load_chainrule(FEATURES, ("backward",))
    torch = tm.load_torch()
    tm.print_environment("chainrule dropout benchmark", cr, torch)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, 64), dtype=np.float32)
    y = rng.integers(0, 10, BATCH)
    hidden = rng.standard_normal((BATCH, 128), dtype=np.float32)
    engines = {"chainrule": cr} | ({"torch": torch} if torch is not None else {})
    fns = {}
    for name, m in engines.items():
        h = m.tensor(hidden, requires_grad=True)
        fns[f"{name} dropout"] = lambda m=m, h=h: m.nn.functional.dropout(h, 0.5)
        step, xs, ys = make_step(m), m.tensor(x), m.tensor(y)
        fns[f"{name} step"] = lambda step=step, xs=xs, ys=ys: step(xs, ys)
    compiled, xs, ys = cr.compile(make_step(cr)), cr.tensor(x), cr.tensor(y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a fallback to eager would be reported, not timed
        compiled(xs, ys)
        compiled(xs, ys)
    fns["chainrule compiled step"] = lambda: compiled(xs, ys)
    with tm.feature_guard(cr):
        timings = tm.compare(fns, isolate=[n for n in fns if n.startswith("torch")])
    rows = [
        ("F.dropout (64, 128), requires grad", "chainrule dropout", "torch dropout"),
        ("training step, eager", "chainrule step", "torch step"),
        ("training step, cr.compile", "chainrule compiled step", "torch step"),
    ]
    print(f"\n[1] dropout MLP 64-128-128-10, batch {BATCH}, float32")
    tm.print_table(
        ["workload", "chainrule", "PyTorch", "chainrule/PyTorch"],
        [
            (
                label,
                tm.fmt_time(timings[ours].median),
                tm.fmt_time(timings[theirs].median if theirs in timings else None),
                tm.fmt_ratio(
                    tm.ratio(timings[ours].median, timings.get(theirs) and timings[theirs].median)
                ),
            )
            for label, ours, theirs in rows
        ],
    )


if __name__ == "__main__":
    main()
