"""The matrix products of issue 13's full-batch MLP step: NumPy's BLAS against PyTorch's.

An eager engine on NumPy runs its products on the BLAS that NumPy loaded (OpenBLAS in NumPy's
wheels); PyTorch's CPU wheels run theirs on MKL. This times the eight products of one
64-128-128-10 SGD step at batch 1,797 (three forward ``addmm``, the input and weight gradients
behind them) both ways, alone, with nothing else of the step: the sum of the NumPy column is
what chainrule's step cannot go under, set beside PyTorch's whole step (``bench_table.py
--only mlp-1797``).

    python benchmarks/bench_products.py               # the CPU count of BLAS threads
    python benchmarks/bench_products.py --threads 1
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

import _timing as tm
import bench_train as train
import numpy as np

BATCH = 1797


Product = Callable[..., Any]


def products(torch: Any) -> dict[str, tuple[list[tuple[int, ...]], Product, Product]]:
    """name -> (operand shapes, NumPy's call as chainrule makes it, PyTorch's call)."""
    from chainrule import _blas

    (n_in, h1, h2, n_out), n = train.MLP_SIZES, BATCH
    cases = {}
    for i, (fan_in, fan_out) in enumerate(((n_in, h1), (h1, h2), (h2, n_out)), start=1):
        cases[f"forward {i}: b + x @ W.T"] = (
            [(n, fan_in), (fan_out, fan_in), (fan_out,)],
            lambda x, w, b: _blas.addmm(b, x, w.T),
            lambda x, w, b: torch.addmm(b, x, w.T),
        )
        cases[f"weight grad {i}: g.T @ x"] = (
            [(n, fan_out), (n, fan_in)],
            lambda g, x: _blas.matmul(g.T, x),
            lambda g, x: g.T @ x,
        )
        if i > 1:  # the data needs no gradient
            cases[f"input grad {i}: g @ W"] = (
                [(n, fan_out), (fan_out, fan_in)],
                lambda g, w: _blas.matmul(g, w),
                lambda g, w: g @ w,
            )
    return cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, help="BLAS threads of both (default: CPU count)")
    args = parser.parse_args()
    if args.threads:
        tm.THREADS = args.threads
    cr = tm.load_chainrule((), ())
    torch = tm.load_torch()
    if torch is None:
        tm.fail_missing("PyTorch is not installed: pip install torch")
    tm.print_environment("the MLP-1797 step's products: NumPy's BLAS vs PyTorch's", cr, torch)
    rng = np.random.default_rng(0)
    rows, totals = [], {"numpy": 0.0, "torch": 0.0}
    for name, (shapes, numpy_call, torch_call) in products(torch).items():
        arrays = [rng.standard_normal(shape, dtype=np.float32) for shape in shapes]
        tensors = [torch.from_numpy(a) for a in arrays]
        fns = {
            "numpy": lambda f=numpy_call, a=arrays: f(*a),
            "torch": lambda f=torch_call, t=tensors: f(*t),
        }
        times = tm.medians(tm.compare(fns))
        for k in totals:
            totals[k] += times[k]
        rows.append([name, *_cells(times["numpy"], times["torch"])])
    rows.append(["all products", *_cells(totals["numpy"], totals["torch"])])
    tm.print_table(["product", "NumPy (chainrule)", "PyTorch", "NumPy/PyTorch"], rows)


def _cells(numpy_s: float, torch_s: float) -> list[str]:
    return [tm.fmt_time(numpy_s), tm.fmt_time(torch_s), tm.fmt_ratio(tm.ratio(numpy_s, torch_s))]


if __name__ == "__main__":
    main()
