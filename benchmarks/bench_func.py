"""Function-transform benchmarks: ``chainrule.func`` vs ``torch.func``, in one run.

Workloads (float32, the time of one call of the transformed function):

1. ``hessian``: the 64x64 Hessian of ``f(x) = sum(tanh(W @ x))``, W 64x64 (forward over reverse).
2. ``jacrev`` and ``jacfwd``: the 64x64 Jacobian of a 64 -> 64 -> 64 tanh MLP.
3. ``per-example grads``: ``vmap(grad(loss), in_dims=(None, 0, 0))`` of the digits MLP
   (64-128-128-10, cross-entropy) over a batch of 256.

Target: chainrule at most 0.5x torch.func's time on each. The NumPy column is the floor: the
same derivatives written by hand in NumPy (the closed-form Hessian and Jacobians; for the
per-example gradients, one forward and backward of the whole batch with each weight gradient
an outer product per example), timed interleaved with chainrule. Each workload is timed
``--runs`` times; the table shows the median and the lowest-highest of the runs.

Run from the repository root::

    python benchmarks/bench_func.py [--runs 3]

chainrule writes the per-example gradients' outer products two examples at a time as one BLAS
product, the large ones with several threads (``chainrule._blas.outer``), and so does the
NumPy floor, with the same call.

Every product here is below ``chainrule._blas.serial_below`` (2**23 multiply-adds),
so under vmap each runs on one BLAS thread, and so do the NumPy floor's: OpenBLAS's threads
spin for ~0.1 s after a threaded product and take the core of the split's second thread. On
cores that other processes keep busy, chainrule (``chainrule._busy``) and the floor keep every
product and outer product on one thread.

Exit status: 0 on success, 2 if chainrule cannot be imported or lacks a feature used here.
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Callable
from types import ModuleType
from typing import Any

import _timing as tm
import numpy as np
from bench_table import spread

FEATURES = (
    "func.hessian",
    "func.jacrev",
    "func.jacfwd",
    "func.vmap",
    "func.grad",
    "func.functional_call",
    "nn.functional.cross_entropy",
)
N = 64
BATCH = 256
TARGET = 0.5
Engine = ModuleType


def hessian_workload(m: Engine, fn: Any, w: np.ndarray, x: np.ndarray) -> Callable[[], object]:
    W, X = m.tensor(w), m.tensor(x)
    h = fn.hessian(lambda v: m.tanh(W @ v).sum())
    return lambda: h(X)


def mlp_jacobians(m: Engine, fn: Any, ws: list[np.ndarray], x: np.ndarray) -> dict[str, Any]:
    W1, W2 = (m.tensor(w) for w in ws)
    X = m.tensor(x)

    def mlp(v: Any) -> Any:
        return m.tanh(W2 @ m.tanh(W1 @ v))

    rev, fwd = fn.jacrev(mlp), fn.jacfwd(mlp)
    return {"jacrev": lambda: rev(X), "jacfwd": lambda: fwd(X)}


def per_example_workload(
    m: Engine, fn: Any, weights: dict[str, np.ndarray], images: np.ndarray, labels: np.ndarray
) -> Any:
    from chainrule.training import build_model

    model = build_model("mlp", nn=m.nn)
    params = {k: m.tensor(v) for k, v in weights.items()}  # the same weights in both engines
    X, Y = m.tensor(images), m.tensor(labels)

    def loss(p: dict[str, Any], x: Any, y: Any) -> Any:
        out = fn.functional_call(model, p, (x.unsqueeze(0),))
        return m.nn.functional.cross_entropy(out, y.unsqueeze(0))

    per_example = fn.vmap(fn.grad(loss), in_dims=(None, 0, 0))
    return lambda: per_example(params, X, Y)


def per_example_data(
    cr: Engine, rng: np.random.Generator
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """The per-example workload's inputs: the digits MLP's initial weights (by name), a batch
    of ``BATCH`` images and their labels."""
    from chainrule.training import build_model

    images = rng.random((BATCH, 64), dtype=np.float32)
    labels = rng.integers(0, 10, BATCH, dtype=np.int64)
    mlp = build_model("mlp", nn=cr.nn)
    weights = {k: v.detach().numpy() for k, v in mlp.named_parameters()}
    return weights, images, labels


# ----------------------------------------------------------------------------- the NumPy floor
# Products go through chainrule._blas.matmul, NumPy's matmul run on one BLAS thread when small,
# as chainrule runs them: on a loaded 2-core machine OpenBLAS's second thread made these small
# products several times slower (the per-example floor 20 ms on one thread, 110 ms on two),
# which would have measured the thread switch rather than the floor. (Imported in each
# function: chainrule is importable only once _timing.load_chainrule has found it.)
def numpy_hessian(w: np.ndarray, x: np.ndarray) -> Callable[[], object]:
    """d2/dx2 sum(tanh(W x)) = W^T diag(tanh''(W x)) W, with tanh'' = -2 t (1 - t^2)."""
    from chainrule._blas import matmul

    def hessian() -> np.ndarray:
        t = np.tanh(w @ x)
        return matmul(w.T * (-2 * t * (1 - t * t)), w)

    return hessian


def numpy_mlp_jacobian(ws: list[np.ndarray], x: np.ndarray) -> Callable[[], object]:
    """J of tanh(W2 tanh(W1 x)) = diag(1 - y^2) W2 diag(1 - h^2) W1 (jacrev's and jacfwd's)."""
    from chainrule._blas import matmul

    w1, w2 = ws

    def jacobian() -> np.ndarray:
        h = np.tanh(w1 @ x)
        y = np.tanh(w2 @ h)
        return matmul((1 - y * y)[:, None] * w2, (1 - h * h)[:, None] * w1)

    return jacobian


def numpy_per_example(
    weights: dict[str, np.ndarray], images: np.ndarray, labels: np.ndarray
) -> Callable[[], object]:
    """Per-example gradients of the digits MLP's cross-entropy: the batch's forward and
    backward at once, each example's weight gradient the outer product of its output
    gradient and its input, its bias gradient the output gradient itself. The outer products
    are written as chainrule writes them (``chainrule._blas.outer``: pairs of examples as
    one BLAS product, split over threads), and the products run on the BLAS threads chainrule
    gives them under vmap."""
    from chainrule._blas import matmul, outer
    from chainrule.autodiff import batching

    layers = [(weights[f"{i}.weight"], weights[f"{i}.bias"]) for i in (0, 2, 4)]
    onehot = np.eye(layers[-1][0].shape[0], dtype=images.dtype)[labels]

    def per_example() -> list[np.ndarray]:
        level = batching.push_level(len(images))  # as vmap: its products' BLAS threads
        try:
            return gradients()
        finally:
            batching.pop_level(level)

    def gradients() -> list[np.ndarray]:
        acts = [images]
        for k, (w, b) in enumerate(layers):
            z = matmul(acts[-1], w.T) + b
            acts.append(np.maximum(z, 0) if k < len(layers) - 1 else z)
        logits = acts.pop()
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        delta = p / p.sum(axis=1, keepdims=True) - onehot  # each example's dloss/dlogits
        grads: list[np.ndarray] = []
        for k in range(len(layers) - 1, -1, -1):
            grads[:0] = [outer(delta[:, :, None], acts[k][:, None, :]), delta]
            if k:
                delta = matmul(delta, layers[k][0]) * (acts[k] > 0)
        return grads

    return per_example


def _arrays(result: Any) -> list[np.ndarray]:
    if isinstance(result, dict):
        result = list(result.values())
    if isinstance(result, tuple | list):
        return [a for r in result for a in _arrays(r)]
    return [result if isinstance(result, np.ndarray) else result.detach().numpy()]


def _check_same(workload: str, fns: dict[str, Callable[[], object]]) -> None:
    """The engines must compute the same thing before their times are compared."""
    results = {name: _arrays(f()) for name, f in fns.items()}
    for other in ("torch", "numpy"):
        if other in results:
            for ours, theirs in zip(results["chainrule"], results[other], strict=True):
                if not np.allclose(ours, theirs, rtol=1e-3, atol=1e-5):
                    tm.fail_missing(f"{workload}: chainrule and {other} disagree")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs per workload (default 3)")
    args = parser.parse_args()
    cr = tm.load_chainrule(FEATURES)
    torch = tm.load_torch()
    tm.print_environment("chainrule.func vs torch.func", cr, torch)
    from chainrule import _split

    print(
        f"Outer products of {_split.serial_below:,} bytes or more (per-example grads): "
        f"{_split.parts} threads, in chainrule and in the NumPy floor (CHAINRULE_SPLIT_BELOW)"
    )
    rng = np.random.default_rng(0)
    w = (rng.standard_normal((N, N)) / np.sqrt(N)).astype(np.float32)
    x = rng.standard_normal(N).astype(np.float32)
    ws = [(rng.standard_normal((N, N)) / np.sqrt(N)).astype(np.float32) for _ in range(2)]
    weights, images, labels = per_example_data(cr, rng)
    engines = {"chainrule": (cr, cr.func)}
    if torch is not None:
        import torch.func

        engines["torch"] = (torch, torch.func)
    workloads: dict[str, dict[str, Callable[[], object]]] = {}
    for name, (m, fn) in engines.items():
        with tm.feature_guard(m if name == "chainrule" else None):
            jacs = mlp_jacobians(m, fn, ws, x)
            mine = {
                "hessian, sum(tanh(W @ x)), W 64x64": hessian_workload(m, fn, w, x),
                "jacrev, 64->64 tanh MLP": jacs["jacrev"],
                "jacfwd, 64->64 tanh MLP": jacs["jacfwd"],
                f"per-example grads, digits MLP, batch {BATCH}": per_example_workload(
                    m, fn, weights, images, labels
                ),
            }
        for workload, f in mine.items():
            workloads.setdefault(workload, {})[name] = f
    floors = [
        numpy_hessian(w, x),
        numpy_mlp_jacobian(ws, x),
        numpy_mlp_jacobian(ws, x),
        numpy_per_example(weights, images, labels),
    ]
    for fns, floor in zip(workloads.values(), floors, strict=True):
        fns["numpy"] = floor
    rows = []
    for workload, fns in workloads.items():
        _check_same(workload, fns)
        runs: dict[str, list[float]] = {name: [] for name in fns}
        ratios: dict[str, list[float]] = {"torch": [], "numpy": []}
        for _ in range(args.runs):
            times = tm.medians(tm.compare(fns, budget_s=2.0))
            for name, t in times.items():
                runs[name].append(t)
            for name, found in ratios.items():
                if name in times:
                    found.append(times["chainrule"] / times[name])
        r = statistics.median(ratios["torch"]) if ratios["torch"] else None
        rows.append(
            [
                workload,
                spread(runs["chainrule"], tm.fmt_time),
                spread(runs["torch"], tm.fmt_time) if "torch" in runs else "-",
                spread(runs["numpy"], tm.fmt_time),
                spread(ratios["torch"], tm.fmt_ratio) if ratios["torch"] else "-",
                spread(ratios["numpy"], tm.fmt_ratio),
                tm.verdict(r, TARGET),
            ]
        )
        print("  ".join(rows[-1]), flush=True)  # each row as it is done, the table at the end
    print(f"\nMedian [lowest-highest] over {args.runs} runs.")
    tm.print_table(
        ["workload", "chainrule", "torch.func", "NumPy", "cr/torch", "cr/NumPy", "target"], rows
    )


if __name__ == "__main__":
    main()
