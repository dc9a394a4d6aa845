"""Issue 13's table in one run: every eager row, chainrule against PyTorch and NumPy, repeated.

Each row is timed ``--runs`` times (default 3) with ``_timing.compare`` (engines interleaved,
median of repeats), and the ratio of each run is kept, so the table shows the median ratio and
its run-to-run spread (lowest-highest) next to the issue's target:

* ``per-op``: 200-op chain (``*1.0001``, ``+0.001``, ``tanh``) on float32[16], fwd+bwd, per
  op; chainrule / PyTorch <= 0.5.
* ``mlp-64``: 64-128-128-10 MLP SGD step (cross-entropy, backward, step, zero_grad), batch 64;
  chainrule / PyTorch <= 0.67.
* ``mlp-1797``: the same at batch 1,797 (the whole digits set); chainrule / PyTorch <= 1.0.
* ``cnn-32``: one SGD step of ``chainrule train --model cnn``'s network at batch 32;
  chainrule / PyTorch <= 1.0.
* ``matmul-2048``: ``sum(A @ B)`` fwd+bwd, float32 2048x2048; chainrule / (3 x NumPy's
  ``A @ B``) <= 1.05.

The NumPy column is the hand-written limit of ``bench_core``/``bench_train`` (for the CNN
there is none; for the matmul row it is three times one ``A @ B``). The compiled row of the
issue (``cr.compile`` against JAX's ``jit``) is not here.

    python benchmarks/bench_table.py                 # all rows, 3 runs each
    python benchmarks/bench_table.py --only mlp-64 --runs 5
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import _timing as tm
import bench_core as core
import bench_train as train
import numpy as np

ROWS = ("per-op", "mlp-64", "mlp-1797", "cnn-32", "matmul-2048")
TARGETS = {"per-op": 0.5, "mlp-64": 0.67, "mlp-1797": 1.0, "cnn-32": 1.0, "matmul-2048": 1.05}
Engine = Any


@dataclass
class Row:
    """One row's workloads (name -> zero-argument call), its reference and its unit scale."""

    fns: dict[str, Callable[[], object]]
    reference: str  # the column the target ratio divides by
    per: float = 1.0  # times are divided by this (the per-op row reports per operation)
    scale_numpy: float = 1.0  # the NumPy column's multiple (3 matmuls for the matmul row)


def per_op_row(cr: Engine, torch: Engine | None) -> Row:
    data = np.random.default_rng(0).standard_normal(core.VECTOR_SIZE).astype(np.float32)
    fns: dict[str, Callable[[], object]] = {}
    for m in core.engines(cr, torch):
        x = core.vector(m, data)
        fns[m.__name__] = lambda m=m, x=x: core.chain_step(
            m, x, core.PER_OP_CHAIN, core.mixed_chain
        )
    fns["numpy"] = lambda: core.numpy_mixed_chain(data.copy(), core.PER_OP_CHAIN)
    return Row(fns, "torch", per=core.PER_OP_CHAIN)


def _training_steps(
    cr: Engine, torch: Engine | None, make_model: Callable[[Engine], Any], x_np: Any, y_np: Any
) -> dict[str, Callable[[], object]]:
    """One SGD step of ``make_model``'s network per engine, from the same seed and data."""
    fns: dict[str, Callable[[], object]] = {}
    for m in core.engines(cr, torch):
        m.manual_seed(0)
        model = make_model(m)
        opt = m.optim.SGD(model.parameters(), lr=train.LR)
        x, y = m.tensor(x_np), m.tensor(y_np)
        fns[m.__name__] = lambda m=m, model=model, opt=opt, x=x, y=y: train.train_step(
            m, model, opt, x, y
        )
    return fns


def mlp_row(cr: Engine, torch: Engine | None, batch: int) -> Row:
    rng = np.random.default_rng(batch)
    x_np = rng.standard_normal((batch, train.MLP_SIZES[0]), dtype=np.float32)
    y_np = rng.integers(0, train.MLP_SIZES[-1], batch, dtype=np.int64)
    fns = _training_steps(cr, torch, train.make_mlp, x_np, y_np)
    limit = train.NumpyMLP(batch, np.random.default_rng(0))
    fns["numpy"] = lambda: limit.step(x_np, y_np, train.LR)
    return Row(fns, "torch")


def cnn_row(cr: Engine, torch: Engine | None) -> Row:
    images, labels, _ = train.load_digit_images()
    x_np, y_np = images[: train.CNN_BATCH], labels[: train.CNN_BATCH]
    return Row(_training_steps(cr, torch, train.make_cnn, x_np, y_np), "torch")


def matmul_row(cr: Engine, torch: Engine | None, size: int = 2048) -> Row:
    rng = np.random.default_rng(size)
    a = rng.standard_normal((size, size), dtype=np.float32)
    b = rng.standard_normal((size, size), dtype=np.float32)
    fns: dict[str, Callable[[], object]] = {}
    for m in core.engines(cr, torch):
        A, B = m.tensor(a, requires_grad=True), m.tensor(b, requires_grad=True)
        fns[m.__name__] = lambda A=A, B=B: core.matmul_step(A, B)
    fns["numpy"] = lambda: a @ b
    return Row(fns, "numpy", scale_numpy=3.0)


def build(name: str, cr: Engine, torch: Engine | None) -> Row:
    if name == "per-op":
        return per_op_row(cr, torch)
    if name.startswith("mlp-"):
        return mlp_row(cr, torch, int(name.split("-")[1]))
    if name == "cnn-32":
        return cnn_row(cr, torch)
    return matmul_row(cr, torch)


def spread(values: list[float], fmt: Callable[[float | None], str]) -> str:
    """``median [lowest-highest]`` of one row's runs."""
    return f"{fmt(statistics.median(values))} [{fmt(min(values))}-{fmt(max(values))}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=ROWS, action="append", help="run only this row")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per row (default 3)")
    parser.add_argument(
        "--threads",
        type=int,
        help="threads for PyTorch and NumPy's BLAS (default: the CPU count); 1 compares the "
        "engines without thread contention",
    )
    args = parser.parse_args()
    if args.threads:
        tm.THREADS = args.threads
    cr = tm.load_chainrule(train.FEATURES["cnn"] + ("tanh",), train.TENSOR_METHODS)
    torch = tm.load_torch()
    tm.print_environment("issue 13's table: chainrule eager vs PyTorch and NumPy", cr, torch)
    table = []
    for name in args.only or ROWS:
        row = build(name, cr, torch)
        slow = name in ("matmul-2048", "mlp-1797", "cnn-32")
        opts = {"repeats": 5, "warmup": 1, "budget_s": 3.0} if slow else {}
        runs: dict[str, list[float]] = {k: [] for k in row.fns}
        ratios: dict[str, list[float]] = {"torch": [], "numpy": []}
        for _ in range(args.runs):
            with tm.feature_guard(cr):
                times = tm.medians(tm.compare(row.fns, **opts))
            if "numpy" in times:
                times["numpy"] *= row.scale_numpy
            for k, v in times.items():
                runs[k].append(v / row.per)
            for k in ratios:
                if k in times:
                    ratios[k].append(times["chainrule"] / times[k])
        target = TARGETS[name]
        ref = ratios[row.reference]
        verdict = "ok" if statistics.median(ref) <= target else "MISSED"
        table.append(
            [
                name,
                spread(runs["chainrule"], tm.fmt_time),
                spread(runs["torch"], tm.fmt_time) if "torch" in runs else "-",
                spread(runs["numpy"], tm.fmt_time) if "numpy" in runs else "-",
                spread(ratios["torch"], tm.fmt_ratio) if ratios["torch"] else "-",
                spread(ratios["numpy"], tm.fmt_ratio) if ratios["numpy"] else "-",
                f"cr/{'PyTorch' if row.reference == 'torch' else '3xNumPy'} <={target:g}x: "
                + verdict,
            ]
        )
        print("  ".join(table[-1]), flush=True)  # each row as it is done, the table at the end
    print(
        f"\nMedian [lowest-highest] over {args.runs} runs; per-op times are per operation, "
        "the matmul row's NumPy column is 3 x one A @ B."
    )
    tm.print_table(
        ["row", "chainrule", "PyTorch", "NumPy", "cr/PyTorch", "cr/NumPy", "target (median)"],
        table,
    )


if __name__ == "__main__":
    main()
