"""``cr.compile`` benchmarks: the replayed schedule vs eager chainrule, PyTorch, hand-written
NumPy and JAX's ``jit``.

Three sections, each a whole training step (forward, backward, update) per call:

1. ``small-mlp``: one SGD step of a 64-16-10 MLP (Linear-ReLU-Linear, cross-entropy) at batch 8,
   where per-call overhead is everything. Target: compiled at most 2x JAX ``jit`` (JAX column
   "JAX not installed" without it: ``pip install "jax[cpu]"``).
2. ``per-op``: ``bench_core``'s 200-op elementwise chain on float32[16], forward and backward,
   per op. Compared with PyTorch eager.
3. ``mlp``: ``bench_train``'s 64-128-128-10 SGD step at batch 64, against PyTorch and the
   preallocated NumPy limit.

The whole comparison runs ``--runs`` times (default 3); each cell is the median over runs of
the per-run medians, and the ratio columns give the range over runs.

Run from the repository root::

    python benchmarks/bench_compile.py                     # everything
    python benchmarks/bench_compile.py --only small-mlp    # one section

Exit status: 0 on success, 2 if chainrule cannot be imported or lacks a feature used here.
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Callable
from types import ModuleType
from typing import Any

import _timing as tm
import bench_core
import bench_train
import numpy as np

SECTIONS = ("small-mlp", "per-op", "mlp")
FEATURES = ("compile", "tensor", "manual_seed", "nn.Linear", "nn.functional.cross_entropy")
SMALL_SIZES = (64, 16, 10)
SMALL_BATCH = 8
LR = 0.1
SMALL_TARGET = 2.0  # compiled / JAX jit

Engine = ModuleType


# --------------------------------------------------------------------------------------------
# The small MLP step in each engine, from the same weights and data.
# --------------------------------------------------------------------------------------------


def small_weights() -> list[np.ndarray]:
    """w1 (16, 64), b1 (16,), w2 (10, 16), b2 (10,): PyTorch's Linear init, fixed seed."""
    rng = np.random.default_rng(0)
    sizes = list(zip(SMALL_SIZES[:-1], SMALL_SIZES[1:], strict=True))
    out = []
    for fan_in, fan_out in sizes:
        bound = fan_in**-0.5
        out += [
            rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32),
            rng.uniform(-bound, bound, fan_out).astype(np.float32),
        ]
    return out


def small_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((SMALL_BATCH, SMALL_SIZES[0])).astype(np.float32)
    return x, rng.integers(0, SMALL_SIZES[-1], SMALL_BATCH)


def engine_small_step(m: Engine) -> Callable[[Any, Any], Any]:
    """The step in chainrule or PyTorch: ``zero_grad``, forward, ``backward``, ``step``."""
    w1, b1, w2, b2 = small_weights()
    model = m.nn.Sequential(
        m.nn.Linear(SMALL_SIZES[0], SMALL_SIZES[1]), m.nn.ReLU(), m.nn.Linear(*SMALL_SIZES[1:])
    )
    with m.no_grad():
        for p, value in zip(model.parameters(), (w1, b1, w2, b2), strict=True):
            p.copy_(m.tensor(value))
    opt = m.optim.SGD(model.parameters(), lr=LR)

    def step(x: Any, y: Any) -> Any:
        opt.zero_grad()
        loss = m.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return step


class NumpySmallMLP:
    """The same step written by hand in NumPy, as one would without an engine."""

    def __init__(self) -> None:
        self.params = small_weights()

    def step(self, x: np.ndarray, y: np.ndarray) -> float:
        w1, b1, w2, b2 = self.params
        n = x.shape[0]
        z1 = x @ w1.T + b1
        h = np.maximum(z1, 0)
        logits = h @ w2.T + b2
        shifted = logits - logits.max(1, keepdims=True)
        e = np.exp(shifted)
        total = e.sum(1, keepdims=True)
        rows = np.arange(n)
        loss = float(np.mean(np.log(total[:, 0]) - shifted[rows, y]))
        g = e / total
        g[rows, y] -= 1
        g /= n
        gh = (g @ w2) * (z1 > 0)
        grads = (gh.T @ x, gh.sum(0), g.T @ h, g.sum(0))
        for p, gp in zip(self.params, grads, strict=True):
            p -= np.float32(LR) * gp
        return loss


def jax_small_step() -> Callable[[Any, Any], Any] | None:
    """The same step under ``jax.jit`` (the parameters carried from call to call). Give it
    JAX arrays, as PyTorch gets its tensors: NumPy arrays would be copied in at each call
    (72 against 99 us a step here)."""
    try:
        import jax
        import jax.numpy as jnp
    except ModuleNotFoundError:
        return None

    def loss_fn(params: Any, x: Any, y: Any) -> Any:
        w1, b1, w2, b2 = params
        h = jnp.maximum(x @ w1.T + b1, 0)
        logp = jax.nn.log_softmax(h @ w2.T + b2)
        return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))

    @jax.jit
    def step(params: Any, x: Any, y: Any) -> Any:
        loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
        return tuple(p - LR * g for p, g in zip(params, grads, strict=True)), loss

    state = [tuple(jnp.asarray(w) for w in small_weights())]

    def run(x: Any, y: Any) -> Any:
        state[0], loss = step(state[0], x, y)
        return loss.block_until_ready()

    return run


def check_small(fns: dict[str, tuple[Callable[..., Any], tuple[Any, ...]]]) -> None:
    """Every column computes the same first loss (compiled: bit for bit with eager)."""
    first = {name: float(_detached(fn(*args))) for name, (fn, args) in fns.items()}
    reference = first["chainrule"]
    for name, value in first.items():
        if abs(value - reference) > 1e-4:
            print(f"WARNING [small-mlp] {name}'s first loss {value} differs from {reference}")


def _detached(value: Any) -> Any:
    return value.detach() if hasattr(value, "detach") else value


# --------------------------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------------------------


def runs_of(make: Callable[[], dict[str, Callable[[], object]]], runs: int) -> list[dict]:
    """Per-run medians: ``make`` builds fresh workloads each run."""
    return [tm.medians(tm.compare(make(), isolate=("torch", "jax"))) for _ in range(runs)]


def summary(results: list[dict], name: str) -> float | None:
    values = [r[name] for r in results if r.get(name) is not None]
    return statistics.median(values) if values else None


def ratio_range(results: list[dict], a: str, b: str) -> str:
    ratios = [tm.ratio(r.get(a), r.get(b)) for r in results]
    ratios = [q for q in ratios if q is not None]
    if not ratios:
        return "-"
    mid = statistics.median(ratios)
    return f"{mid:.2f}x ({min(ratios):.2f}-{max(ratios):.2f})"


def print_results(results: list[dict], unit: str) -> None:
    """One row per engine: the median time, and compiled's ratio to it with its range."""
    tm.print_table(
        ["engine", unit, "compiled / engine (range)"],
        [
            [name, tm.fmt_time(summary(results, name)), ratio_range(results, "compiled", name)]
            for name in ("compiled", "chainrule", "numpy", "jax", "torch")
            if summary(results, name) is not None
        ],
    )


def bench_small_mlp(cr: Engine, torch: Engine | None, runs: int) -> None:
    x_np, y_np = small_data()
    jax_run = jax_small_step()

    def make() -> dict[str, Callable[[], object]]:
        eager, compiled = engine_small_step(cr), cr.compile(engine_small_step(cr))
        x, y = cr.tensor(x_np), cr.tensor(y_np)
        fns: dict[str, tuple[Callable[..., Any], tuple[Any, ...]]] = {
            "chainrule": (eager, (x, y)),
            "compiled": (compiled, (x, y)),
            "numpy": (NumpySmallMLP().step, (x_np, y_np)),
        }
        if jax_run is not None:
            import jax.numpy as jnp

            fns["jax"] = (jax_small_step(), (jnp.asarray(x_np), jnp.asarray(y_np)))
        if torch is not None:
            fns["torch"] = (engine_small_step(torch), (torch.tensor(x_np), torch.tensor(y_np)))
        check_small(fns)
        return {name: (lambda fn=fn, args=args: fn(*args)) for name, (fn, args) in fns.items()}

    results = runs_of(make, runs)
    print(
        f"[1] MLP {'-'.join(map(str, SMALL_SIZES))}, one SGD step at batch {SMALL_BATCH} "
        f"(zero_grad, forward, cross_entropy, backward, step); {runs} runs"
    )
    if jax_run is None:
        print('JAX not installed: its column is skipped (pip install "jax[cpu]").')
    c, j = summary(results, "compiled"), summary(results, "jax")
    print_results(results, "time per step")
    print(f"target: compiled / JAX jit {tm.verdict(tm.ratio(c, j), SMALL_TARGET)}")


def bench_per_op(cr: Engine, torch: Engine | None, runs: int) -> None:
    n = bench_core.PER_OP_CHAIN
    data = np.random.default_rng(0).standard_normal(bench_core.VECTOR_SIZE).astype(np.float32)

    def make() -> dict[str, Callable[[], object]]:
        def step(x: Any) -> None:
            bench_core.chain_step(cr, x, n, bench_core.mixed_chain)

        compiled = cr.compile(step)
        fns: dict[str, Callable[[], object]] = {}
        for name, fn, m in (("chainrule", step, cr), ("compiled", compiled, cr)):
            x = bench_core.vector(m, data)
            fns[name] = lambda fn=fn, x=x: fn(x)
        if torch is not None:
            xt = bench_core.vector(torch, data)
            fns["torch"] = lambda: bench_core.chain_step(torch, xt, n, bench_core.mixed_chain)
        fns["numpy"] = lambda: bench_core.numpy_mixed_chain(data.copy(), n)
        return fns

    results = [{k: v / n for k, v in r.items() if v is not None} for r in runs_of(make, runs)]
    print(f"\n[2] per-op: {n}-op chain on float32[{bench_core.VECTOR_SIZE}], fwd+bwd, per op")
    print_results(results, "time per op")


def bench_mlp(cr: Engine, torch: Engine | None, runs: int) -> None:
    batch = 64
    rng = np.random.default_rng(batch)
    x_np = rng.standard_normal((batch, bench_train.MLP_SIZES[0]), dtype=np.float32)
    y_np = rng.integers(0, bench_train.MLP_SIZES[-1], batch, dtype=np.int64)

    def make() -> dict[str, Callable[[], object]]:
        fns: dict[str, Callable[[], object]] = {}
        engines = [("chainrule", cr, False), ("compiled", cr, True)]
        if torch is not None:
            engines.append(("torch", torch, False))
        for name, m, compiled in engines:
            m.manual_seed(0)
            model = bench_train.make_mlp(m)
            opt = m.optim.SGD(model.parameters(), lr=bench_train.LR)

            def step(x: Any, y: Any, m: Any = m, model: Any = model, opt: Any = opt) -> None:
                bench_train.train_step(m, model, opt, x, y)

            fn = cr.compile(step) if compiled else step
            x, y = m.tensor(x_np), m.tensor(y_np)
            fns[name] = lambda fn=fn, x=x, y=y: fn(x, y)
        limit = bench_train.NumpyMLP(batch, np.random.default_rng(0))
        fns["numpy"] = lambda: limit.step(x_np, y_np, bench_train.LR)
        return fns

    results = runs_of(make, runs)
    sizes = "-".join(map(str, bench_train.MLP_SIZES))
    print(f"\n[3] MLP {sizes}, one SGD step at batch {batch}")
    print_results(results, "time per step")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=SECTIONS, action="append", help="run only this section")
    parser.add_argument("--runs", type=int, default=3, help="repeat the comparison (default 3)")
    args = parser.parse_args()
    cr = tm.load_chainrule(FEATURES, ("backward",))
    torch = tm.load_torch()
    tm.print_environment("chainrule compile benchmarks", cr, torch)
    sections = args.only or SECTIONS
    if "small-mlp" in sections:
        bench_small_mlp(cr, torch, args.runs)
    if "per-op" in sections:
        bench_per_op(cr, torch, args.runs)
    if "mlp" in sections:
        bench_mlp(cr, torch, args.runs)


if __name__ == "__main__":
    main()
