"""What the rules' vocabulary (``chainrule.ops.dual``) adds to the plain backward's array math.

Each entry is one generated function that tests its operands for being Tensors and calls its
array side; this times ``dual.<entry>(arrays)`` against the array side called directly (the
NumPy limit), on small arrays, where the dispatch is the largest share. Run from anywhere::

    python benchmarks/bench_dual.py     # ~10 s on 2 cores

Exit status: 0 on success, 2 if chainrule cannot be imported.
"""

from __future__ import annotations

import _timing as tm
import numpy as np


def main() -> None:
    tm.load_chainrule(("ops.dual",))
    from chainrule.ops import dual

    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 8, 16))
    m = rng.standard_normal((16, 8))
    condition = a > 0
    cases = {
        "exp(a)": (dual.exp, (a,)),
        "where(c, a, b)": (dual.where, (condition, a, b)),
        "swap_last(a)": (dual.swap_last, (a,)),
        "sum(a, (0,), True)": (dual.sum, (a, (0,), True)),
        "sigmoid(a)": (dual.sigmoid, (a,)),
        "matmul(a, m)": (dual.matmul, (a, m)),
    }
    print("== dual: vocabulary entry vs its array side (best of the repeats) ==")
    rows = []
    for label, (entry, args) in cases.items():
        timings = tm.compare(
            {
                "entry": lambda e=entry, x=args: e(*x),
                "side": lambda e=entry, x=args: e.on_arrays(*x),
            }
        )
        # The best repeat: the dispatch is a few dozen ns, below a loaded machine's drift.
        entry_s, side_s = timings["entry"].best, timings["side"].best
        overhead_ns = f"{(entry_s - side_s) * 1e9:+.0f} ns"
        rows.append([f"dual.{label}", tm.fmt_time(entry_s), tm.fmt_time(side_s), overhead_ns])
    tm.print_table(["8x16 float64", "entry", "array side", "dispatch"], rows)


if __name__ == "__main__":
    main()
