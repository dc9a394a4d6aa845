"""Run one benchmark workload in a loop, for a sampling profiler to watch.

    py-spy record --native --format raw -o mlp.txt -- \
        python benchmarks/profile_workload.py mlp-1797 --seconds 10
    python benchmarks/profile_workload.py --top mlp.txt     # self time by function

Workloads are the rows of ``bench_table.py`` (chainrule's side only): ``per-op``, ``mlp-64``,
``mlp-1797``, ``cnn-32``, ``matmul-2048``. ``--top FILE`` reads py-spy's raw (collapsed stack)
output and prints the functions most often on top of the main thread's stack inside the timed
step (imports, set-up and BLAS worker threads left out).
"""

from __future__ import annotations

import argparse
import collections
import time
from collections.abc import Callable
from pathlib import Path

import _timing as tm
import bench_core
import bench_train
import numpy as np

WORKLOADS = ("per-op", "mlp-64", "mlp-1797", "cnn-32", "matmul-2048")


def workload(name: str) -> Callable[[], object]:
    """chainrule's side of one row of the table, ready to call repeatedly."""
    cr = tm.load_chainrule(bench_train.FEATURES["cnn"], bench_train.TENSOR_METHODS)
    cr.manual_seed(0)
    rng = np.random.default_rng(0)
    if name == "per-op":
        x = cr.tensor(rng.standard_normal(bench_core.VECTOR_SIZE, dtype=np.float32))
        x.requires_grad_(True)
        return lambda: bench_core.chain_step(cr, x, bench_core.PER_OP_CHAIN, bench_core.mixed_chain)
    if name == "matmul-2048":
        a = cr.tensor(rng.standard_normal((2048, 2048), dtype=np.float32), requires_grad=True)
        b = cr.tensor(rng.standard_normal((2048, 2048), dtype=np.float32), requires_grad=True)
        return lambda: bench_core.matmul_step(a, b)
    kind, batch = name.split("-")
    model = bench_train.make_mlp(cr) if kind == "mlp" else bench_train.make_cnn(cr)
    opt = cr.optim.SGD(model.parameters(), lr=bench_train.LR)
    shape = (int(batch), 64) if kind == "mlp" else (int(batch), 1, 8, 8)
    x = cr.tensor(rng.standard_normal(shape, dtype=np.float32))
    y = cr.tensor(rng.integers(0, 10, int(batch)))
    return lambda: bench_train.train_step(cr, model, opt, x, y)


def top(path: Path, count: int = 15) -> None:
    """Print the functions most often on top of py-spy's sampled stacks, with their share."""
    self_samples: collections.Counter[str] = collections.Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, samples = line.rpartition(" ")
        if "_step (" not in stack:
            continue  # imports and set-up, or a BLAS worker thread's spin
        leaf = stack.rsplit(";", 1)[-1]
        self_samples[leaf] += int(samples)
        total += int(samples)
    for leaf, samples in self_samples.most_common(count):
        print(f"{samples / total:6.1%}  {leaf}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workload", nargs="?", choices=WORKLOADS)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--top", type=Path, help="summarize a py-spy raw profile instead")
    args = parser.parse_args()
    if args.top is not None:
        top(args.top)
        return
    if args.workload is None:
        parser.error("name a workload or give --top FILE")
    tm.pin_numpy_threads()
    step = workload(args.workload)
    end = time.perf_counter() + args.seconds
    calls = 0
    while time.perf_counter() < end:
        step()
        calls += 1
    print(f"{args.workload}: {calls} calls, {args.seconds / calls * 1e3:.3f} ms each")


if __name__ == "__main__":
    main()
