"""Instruction counts of issue 13's small workloads, under callgrind: stable where time is not.

On a machine shared with other jobs, wall times of microsecond workloads drift by tens of
percent from run to run; the number of instructions a workload executes does not. Each row
runs in a fresh ``valgrind --tool=callgrind`` process that counts only inside the
``functools.reduce`` loop repeating the workload (``--toggle-collect=functools_reduce``), so
imports, tracing and warm-up are left out, and prints the count per unit:

* ``per-op``: ``bench_core``'s 200-op chain (``*1.0001``, ``+0.001``, ``tanh``) on float32[16],
  forward and backward, per op;
* ``compiled``: ``bench_compile``'s batch-8 64-16-10 MLP SGD step under ``cr.compile``, per step;
* ``mlp-64``: ``bench_train``'s 64-128-128-10 MLP SGD step at batch 64, eager, per step;
* ``mlp-64-compiled``: the same step under ``cr.compile``, per step;
* ``cnn-32``: ``bench_table``'s ``cnn-32`` row, one SGD step of ``chainrule train --model cnn``'s
  network at batch 32, eager, per step (its products, threaded by OpenBLAS in a plain run,
  run on the one BLAS thread here);
* ``per-example``: ``bench_func``'s per-example gradients, ``vmap(grad(loss))`` over the digits
  MLP at batch 256, per call, with ``CHAINRULE_SPLIT_BELOW=1099511627776`` (the outer products
  on one thread, so the count is all of the work).

``--src`` counts another checkout's chainrule (its ``src`` folder), e.g. main before a change::

    python benchmarks/bench_instructions.py                           # this checkout
    python benchmarks/bench_instructions.py --src ../main/src --only per-op

Requires valgrind (``apt-get install valgrind``). NumPy's BLAS runs on one thread.
"""

from __future__ import annotations

import argparse
import functools
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
# row -> (repeats counted, units per repeat, unit)
ROWS = {
    "per-op": (20, 200, "op"),
    "compiled": (200, 1, "step"),
    "mlp-64": (50, 1, "step"),
    "mlp-64-compiled": (50, 1, "step"),
    "cnn-32": (20, 1, "step"),
    "per-example": (3, 1, "call"),
}
# row -> environment of its counted process, beside one BLAS thread: callgrind counts only the
# main thread's instructions, so a row whose work chainrule may split over threads keeps it on one.
ONE_THREAD = {"per-example": {"CHAINRULE_SPLIT_BELOW": str(2**40)}}


def workload(row: str) -> Callable[[], object]:
    """The row's workload, built and warmed up (chainrule is imported from ``sys.path``)."""
    import bench_compile
    import bench_core
    import bench_func
    import bench_table
    import bench_train
    import numpy as np

    import chainrule as cr

    if row == "per-op":
        data = np.random.default_rng(0).standard_normal(bench_core.VECTOR_SIZE)
        x = bench_core.vector(cr, data.astype(np.float32))
        chain = bench_core.PER_OP_CHAIN

        def step() -> object:
            return bench_core.chain_step(cr, x, chain, bench_core.mixed_chain)

    elif row == "compiled":
        x_np, y_np = bench_compile.small_data()
        compiled = cr.compile(bench_compile.engine_small_step(cr))
        x, y = cr.tensor(x_np), cr.tensor(y_np)

        def step() -> object:
            return compiled(x, y)

    elif row == "cnn-32":
        step = bench_table.cnn_row(cr, None).fns["chainrule"]

    elif row == "per-example":
        weights, images, labels = bench_func.per_example_data(cr, np.random.default_rng(0))
        step = bench_func.per_example_workload(cr, cr.func, weights, images, labels)

    else:
        rng = np.random.default_rng(64)
        x = cr.tensor(rng.standard_normal((64, bench_train.MLP_SIZES[0]), dtype=np.float32))
        y = cr.tensor(rng.integers(0, bench_train.MLP_SIZES[-1], 64, dtype=np.int64))
        cr.manual_seed(0)
        model = bench_train.make_mlp(cr)
        opt = cr.optim.SGD(model.parameters(), lr=bench_train.LR)

        def train_step(x: object, y: object) -> object:
            return bench_train.train_step(cr, model, opt, x, y)

        run = cr.compile(train_step) if row == "mlp-64-compiled" else train_step

        def step() -> object:
            return run(x, y)

    for _ in range(5):  # traced (compiled) and warm
        step()
    return step


def count(row: str, src: Path) -> float:
    """Instructions per unit of ``row`` with chainrule from ``src``."""
    repeats, per, _ = ROWS[row]
    command = [
        "valgrind",
        "--tool=callgrind",
        "--collect-atstart=no",
        "--toggle-collect=functools_reduce",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        str(Path(__file__).resolve()),
        "--inner",
        row,
        "--src",
        str(src),
    ]
    env = dict(os.environ, PYTHONHASHSEED="0", OPENBLAS_NUM_THREADS="1", **ONE_THREAD.get(row, {}))
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode or found is None:
        raise SystemExit(f"{row}: callgrind run failed:\n{done.stderr[-2000:]}")
    return int(found.group(1)) / repeats / per


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=ROWS, action="append", help="count only this row")
    parser.add_argument("--src", type=Path, default=HERE.parent / "src", help="chainrule's src")
    parser.add_argument("--inner", choices=ROWS, help=argparse.SUPPRESS)  # the counted process
    args = parser.parse_args()
    src = args.src.resolve()
    if args.inner:
        sys.path[:0] = [str(src), str(HERE)]  # this chainrule before any other
        step = workload(args.inner)
        functools.reduce(lambda _, __: step(), range(ROWS[args.inner][0]), None)
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed: apt-get install valgrind")
    print(f"chainrule from {src}")
    for row in args.only or ROWS:
        print(f"{row:10s} {count(row, src):12,.0f} instructions per {ROWS[row][2]}", flush=True)


if __name__ == "__main__":
    main()
