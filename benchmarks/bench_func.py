"""Function-transform benchmarks: ``chainrule.func`` vs ``torch.func``, in one run.

Workloads (float32, the time of one call of the transformed function):

1. ``hessian``: the 64x64 Hessian of ``f(x) = sum(tanh(W @ x))``, W 64x64 (forward over reverse).
2. ``jacrev`` and ``jacfwd``: the 64x64 Jacobian of a 64 -> 64 -> 64 tanh MLP.
3. ``per-example grads``: ``vmap(grad(loss), in_dims=(None, 0, 0))`` of the digits MLP
   (64-128-128-10, cross-entropy) over a batch of 256.

Target: chainrule at most 0.5x torch.func's time on each.

Run from the repository root::

    python benchmarks/bench_func.py

Exit status: 0 on success, 2 if chainrule cannot be imported or lacks a feature used here.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import _timing as tm
import numpy as np

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


def _arrays(result: Any) -> list[np.ndarray]:
    if isinstance(result, dict):
        result = list(result.values())
    if isinstance(result, tuple | list):
        return [a for r in result for a in _arrays(r)]
    return [result.detach().numpy()]


def _check_same(workload: str, fns: dict[str, Callable[[], object]]) -> None:
    """The engines must compute the same thing before their times are compared."""
    results = {name: _arrays(f()) for name, f in fns.items()}
    if "torch" in results:
        for ours, theirs in zip(results["chainrule"], results["torch"], strict=True):
            if not np.allclose(ours, theirs, rtol=1e-3, atol=1e-5):
                tm.fail_missing(f"{workload}: chainrule and torch.func disagree")


def main() -> None:
    cr = tm.load_chainrule(FEATURES)
    torch = tm.load_torch()
    tm.print_environment("chainrule.func vs torch.func", cr, torch)
    rng = np.random.default_rng(0)
    w = (rng.standard_normal((N, N)) / np.sqrt(N)).astype(np.float32)
    x = rng.standard_normal(N).astype(np.float32)
    ws = [(rng.standard_normal((N, N)) / np.sqrt(N)).astype(np.float32) for _ in range(2)]
    images = rng.random((BATCH, 64), dtype=np.float32)
    labels = rng.integers(0, 10, BATCH, dtype=np.int64)
    from chainrule.training import build_model

    mlp = build_model("mlp", nn=cr.nn)
    weights = {k: v.detach().numpy() for k, v in mlp.named_parameters()}
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
    rows = []
    for workload, fns in workloads.items():
        _check_same(workload, fns)
        times = tm.medians(tm.compare(fns, budget_s=2.0))
        r = tm.ratio(times["chainrule"], times.get("torch"))
        rows.append(
            [
                workload,
                tm.fmt_time(times["chainrule"]),
                tm.fmt_time(times.get("torch")),
                tm.fmt_ratio(r),
                tm.verdict(r, TARGET),
            ]
        )
    tm.print_table(["workload", "chainrule", "torch.func", "cr/torch", "target"], rows)


if __name__ == "__main__":
    main()
