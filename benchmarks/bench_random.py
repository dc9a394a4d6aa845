"""Random draws benchmark: what PyTorch's exact streams cost in chainrule, and vmap's draws.

Workloads (each draws PyTorch's values, checked by tests/test_torch_random.py):

1. ``randn`` of 3 and of 10,000 float32 values, ``normal_(0.5, 0.7)`` of 8 float64 values
   (the fused ``x * std + mean`` path);
2. the in-place fills ``random_(100)``, ``geometric_(0.3)``, ``log_normal_()``, ``cauchy_()``
   of 10,000 float32 values, and ``poisson`` of 1,000 rates 0 ... 40;
3. under ``vmap(randomness="different")`` over 64 examples of 16 values: ``x + rand``,
   ``normal(x, 1.0)`` and ``x.clone().cauchy_()``.

PyTorch runs the same workloads for scale. ``log_normal_`` and ``poisson`` draw one value after
another as ATen's serial kernels do (a Python loop here), so they are the slow rows. No targets.
Run from the repository root::

    python benchmarks/bench_random.py

Exit status: 0 on success, 2 if chainrule cannot be imported or lacks a feature used here.
"""

from __future__ import annotations

from typing import Any

import _timing as tm

FEATURES = ("manual_seed", "empty", "randn", "rand", "normal", "poisson", "func.vmap")
METHODS = ("random_", "geometric_", "log_normal_", "cauchy_", "normal_")
N = 10_000


def workloads(m: Any, vmap: Any) -> dict[str, Any]:
    """The benchmark's draws on one engine (``m`` is chainrule or torch)."""
    rates = m.linspace(0.0, 40.0, 1000)
    return {
        "randn(3)": lambda: m.randn(3),
        f"randn({N})": lambda: m.randn(N),
        "normal_(0.5, 0.7), 8 float64": lambda: m.empty(8, dtype=m.float64).normal_(0.5, 0.7),
        f"random_(100), {N}": lambda: m.empty(N).random_(100),
        f"geometric_(0.3), {N}": lambda: m.empty(N).geometric_(0.3),
        f"log_normal_(), {N}": lambda: m.empty(N).log_normal_(),
        f"cauchy_(), {N}": lambda: m.empty(N).cauchy_(),
        "poisson, 1000 rates": lambda: m.poisson(rates),
        "vmap: x + rand": vmap(lambda r: r + m.rand(16), randomness="different"),
        "vmap: normal(x, 1.0)": vmap(lambda r: m.normal(r, 1.0), randomness="different"),
        "vmap: cauchy_": vmap(lambda r: r.clone().cauchy_(), randomness="different"),
    }


def main() -> None:
    cr = tm.load_chainrule(FEATURES, METHODS)
    torch = tm.load_torch()
    tm.print_environment("chainrule random draws benchmark", cr, torch)
    engines = {"chainrule": (cr, cr.func.vmap)}
    if torch is not None:
        import torch.func

        engines["torch"] = (torch, torch.func.vmap)
    fns = {}
    labels = []
    for name, (m, vmap) in engines.items():
        m.manual_seed(0)
        x = m.zeros(64, 16)
        for label, fn in workloads(m, vmap).items():
            call = (lambda fn=fn, x=x: fn(x)) if label.startswith("vmap") else fn
            fns[f"{name} {label}"] = call
            if name == "chainrule":
                labels.append(label)
    with tm.feature_guard(cr):
        timings = tm.compare(fns, isolate=[n for n in fns if n.startswith("torch")])
    tm.print_table(
        ["workload", "chainrule", "PyTorch", "chainrule/PyTorch"],
        [
            (
                label,
                tm.fmt_time(timings[f"chainrule {label}"].median),
                tm.fmt_time(timings[f"torch {label}"].median if torch is not None else None),
                tm.fmt_ratio(
                    tm.ratio(
                        timings[f"chainrule {label}"].median,
                        timings.get(f"torch {label}") and timings[f"torch {label}"].median,
                    )
                ),
            )
            for label in labels
        ],
    )


if __name__ == "__main__":
    main()
