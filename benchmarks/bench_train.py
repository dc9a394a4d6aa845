"""Training-step benchmarks: chainrule vs PyTorch vs hand-written NumPy backprop.

Two sections:

1. ``mlp``: one SGD step (forward, softmax cross-entropy, backward, ``step``, ``zero_grad``) of a
   64-128-128-10 MLP (Linear-ReLU-Linear-ReLU-Linear), at batch 64 and at batch 1797.
   Targets: chainrule at most 1.0x PyTorch at batch 64 and at most 1.5x PyTorch at batch 1797.
   The NumPy column is a hand-written, preallocated, in-place forward/backward/update: the
   limit for any engine built on NumPy.
2. ``cnn``: one epoch (batch 32) of the CNN that ``chainrule train --model cnn`` trains, on the
   1,797 8x8 digits images: Conv2d(1,32,3,p=1)-ReLU-MaxPool2d(2)-Conv2d(32,64,3,p=1)-ReLU-
   MaxPool2d(2)-Flatten-Linear(256,128)-ReLU-Linear(128,10). Compared with PyTorch only.

Run from the repository root::

    python benchmarks/bench_train.py                # everything
    python benchmarks/bench_train.py --only mlp     # one section
    python benchmarks/bench_train.py --no-chainrule # only the PyTorch and NumPy columns

Exit status: 0 on success, 2 if chainrule cannot be imported or lacks a feature used here.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from types import ModuleType
from typing import Any

import _timing as tm
import numpy as np

SECTIONS = ("mlp", "cnn")
#: chainrule features each section needs; only the selected sections' are required.
FEATURES: dict[str, tuple[str, ...]] = {
    "mlp": (
        "tensor",
        "manual_seed",
        "nn.Sequential",
        "nn.Linear",
        "nn.ReLU",
        "nn.functional.cross_entropy",
        "optim.SGD",
    ),
    "cnn": (
        "tensor",
        "manual_seed",
        "nn.Sequential",
        "nn.Conv2d",
        "nn.MaxPool2d",
        "nn.Flatten",
        "nn.Linear",
        "nn.ReLU",
        "nn.functional.cross_entropy",
        "optim.SGD",
    ),
}
TENSOR_METHODS = ("backward",)

LR = 0.1
MLP_SIZES = (64, 128, 128, 10)
MLP_BATCHES = (64, 1797)
MLP_TARGETS = {64: 1.0, 1797: 1.5}  # max chainrule/PyTorch ratio
N_DIGITS = 1797
CNN_BATCH = 32  # chainrule train's default batch size

Engine = ModuleType  # ``torch`` or ``chainrule``: the workloads only use their shared API.


# --------------------------------------------------------------------------------------------
# Workloads, written once against the shared PyTorch-style API.
# --------------------------------------------------------------------------------------------


def make_mlp(m: Engine) -> Any:
    """The 64-128-128-10 MLP of ``chainrule train``, from either engine's layers."""
    from chainrule.training import build_model

    return build_model("mlp", nn=m.nn)


def make_cnn(m: Engine) -> Any:
    """The digits CNN of ``chainrule train --model cnn``, built by chainrule's own
    ``build_model`` from either engine's layers: 1x8x8 -> 32x4x4 -> 64x2x2 -> 128 -> 10."""
    from chainrule.training import build_model

    return build_model("cnn", nn=m.nn)


def train_step(m: Engine, model: Any, opt: Any, x: Any, y: Any) -> None:
    """One SGD step: forward, cross-entropy, backward, update, clear gradients."""
    loss = m.nn.functional.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    opt.zero_grad()


def train_epoch(m: Engine, model: Any, opt: Any, batches: list[tuple[Any, Any]]) -> None:
    """One pass over pre-built batches (built outside the timing, like a prefetching loader)."""
    for x, y in batches:
        train_step(m, model, opt, x, y)


# --------------------------------------------------------------------------------------------
# Hand-written NumPy MLP: the limit for an engine built on NumPy.
# --------------------------------------------------------------------------------------------


class NumpyMLP:
    """Linear-ReLU-Linear-ReLU-Linear + softmax cross-entropy + SGD, all with preallocated buffers.

    Weights are stored as (in, out) so the forward pass is ``x @ W`` with no transpose; the
    backward matmuls use transposed *views*, which NumPy hands to BLAS as transpose flags rather
    than copies. Every array a step needs is allocated once in ``__init__`` and written with
    ``out=``, so a step allocates only a handful of tiny temporaries.
    """

    def __init__(self, batch: int, rng: np.random.Generator) -> None:
        f32 = np.float32
        self.batch = batch
        pairs = list(zip(MLP_SIZES[:-1], MLP_SIZES[1:], strict=True))
        # PyTorch's default Linear init, U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
        self.weights = [rng.uniform(-(i**-0.5), i**-0.5, (i, o)).astype(f32) for i, o in pairs]
        self.biases = [rng.uniform(-(i**-0.5), i**-0.5, o).astype(f32) for i, o in pairs]
        self.grad_w = [np.empty_like(w) for w in self.weights]
        self.grad_b = [np.empty_like(b) for b in self.biases]
        # acts[k] is layer k's output; ReLU runs in place, so each hidden buffer holds relu(z).
        self.acts = [np.empty((batch, o), f32) for _, o in pairs]
        # deltas[k] is dLoss/d(pre-activation of layer k); deltas[-1] doubles as softmax probs.
        self.deltas = [np.empty((batch, o), f32) for _, o in pairs]
        self.masks = [np.empty((batch, o), bool) for _, o in pairs[:-1]]
        self.row_max = np.empty((batch, 1), f32)
        self.row_sum = np.empty((batch, 1), f32)
        self.picked = np.empty(batch, f32)
        self.flat_index = np.empty(batch, np.intp)
        self.row_offsets = np.arange(batch, dtype=np.intp) * MLP_SIZES[-1]

    def step(self, x: np.ndarray, y: np.ndarray, lr: float) -> float:
        """One SGD step on ``(x, y)``; returns the mean cross-entropy loss before the update."""
        n_layers = len(self.weights)
        # Forward.
        inp = x
        for k in range(n_layers):
            out = self.acts[k]
            np.matmul(inp, self.weights[k], out=out)
            out += self.biases[k]
            if k < n_layers - 1:
                np.maximum(out, 0.0, out=out)
            inp = out
        logits = self.acts[-1]

        # Softmax cross-entropy, shifted by the row max for stability.
        np.max(logits, axis=1, keepdims=True, out=self.row_max)
        logits -= self.row_max
        probs = self.deltas[-1]
        np.exp(logits, out=probs)
        np.sum(probs, axis=1, keepdims=True, out=self.row_sum)
        np.add(self.row_offsets, y, out=self.flat_index)
        np.take(logits.reshape(-1), self.flat_index, out=self.picked)
        loss = float(np.log(self.row_sum).sum() - self.picked.sum()) / self.batch
        # dLoss/dlogits = (softmax - onehot) / batch.
        probs /= self.row_sum
        probs.reshape(-1)[self.flat_index] -= 1.0
        probs *= np.float32(1.0 / self.batch)

        # Backward: all gradients first, since the update overwrites the weights they use.
        for k in range(n_layers - 1, -1, -1):
            delta = self.deltas[k]
            prev = x if k == 0 else self.acts[k - 1]
            np.matmul(prev.T, delta, out=self.grad_w[k])
            np.sum(delta, axis=0, out=self.grad_b[k])
            if k > 0:
                below = self.deltas[k - 1]
                np.matmul(delta, self.weights[k].T, out=below)
                # ReLU backward: the saved activations are > 0 exactly where the input was.
                np.greater(self.acts[k - 1], 0.0, out=self.masks[k - 1])
                np.multiply(below, self.masks[k - 1], out=below)

        # SGD update in place (the gradient buffers are scratch from here on).
        for params, grads in ((self.weights, self.grad_w), (self.biases, self.grad_b)):
            for p, g in zip(params, grads, strict=True):
                g *= np.float32(lr)
                p -= g
        return loss


def verify_numpy_mlp(torch: Engine, batch: int = 32) -> float:
    """Check the hand-written backprop against PyTorch on identical weights; return max error.

    A fast but wrong limit would be worthless, so this runs before anything is timed.
    """
    rng = np.random.default_rng(123)
    ref = NumpyMLP(batch, rng)
    x = rng.standard_normal((batch, MLP_SIZES[0]), dtype=np.float32)
    y = rng.integers(0, MLP_SIZES[-1], batch)
    model = make_mlp(torch)
    linears = [layer for layer in model if isinstance(layer, torch.nn.Linear)]
    with torch.no_grad():
        for layer, w, b in zip(linears, ref.weights, ref.biases, strict=True):
            layer.weight.copy_(torch.from_numpy(w.T))
            layer.bias.copy_(torch.from_numpy(b))
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    loss_t = torch.nn.functional.cross_entropy(model(torch.from_numpy(x)), torch.from_numpy(y))
    loss_t.backward()
    opt.step()
    loss_n = ref.step(x, y, LR)
    errors = [abs(loss_n - loss_t.item())]
    for layer, w, b in zip(linears, ref.weights, ref.biases, strict=True):
        errors.append(float(np.abs(layer.weight.detach().numpy().T - w).max()))
        errors.append(float(np.abs(layer.bias.detach().numpy() - b).max()))
    error = max(errors)
    if error > 1e-4:
        raise AssertionError(f"hand-written NumPy backprop disagrees with PyTorch by {error:g}")
    return error


# --------------------------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------------------------


def check_float32(m: Engine, model: Any) -> None:
    """Warn if an engine's parameters are not float32: such timings are not comparable."""
    dtypes = {str(p.dtype) for p in model.parameters()}
    if any("float32" not in d for d in dtypes):
        print(f"WARNING {m.__name__} parameters are {sorted(dtypes)}, not float32.")


def bench_mlp(cr: Engine | None, torch: Engine | None) -> None:
    """Section 1: MLP training step at two batch sizes."""
    if torch is not None:
        error = verify_numpy_mlp(torch)
        print(
            f"NumPy limit verified against PyTorch (max |difference| after one step: {error:.1e})"
        )
    rows = []
    for batch in MLP_BATCHES:
        rng = np.random.default_rng(batch)
        x_np = rng.standard_normal((batch, MLP_SIZES[0]), dtype=np.float32)
        y_np = rng.integers(0, MLP_SIZES[-1], batch, dtype=np.int64)
        fns: dict[str, Callable[[], object]] = {}
        for m in (e for e in (cr, torch) if e is not None):
            with tm.feature_guard(m):
                m.manual_seed(0)
                model = make_mlp(m)
                check_float32(m, model)
                opt = m.optim.SGD(model.parameters(), lr=LR)
                x, y = m.tensor(x_np), m.tensor(y_np)
            fns[m.__name__] = lambda m=m, model=model, opt=opt, x=x, y=y: train_step(
                m, model, opt, x, y
            )
        limit = NumpyMLP(batch, np.random.default_rng(0))
        fns["numpy"] = lambda limit=limit, x=x_np, y=y_np: limit.step(x, y, LR)
        with tm.feature_guard(cr):
            times = tm.medians(tm.compare(fns))
        c, t, n = times.get("chainrule"), times.get("torch"), times["numpy"]
        rows.append(
            [
                f"batch {batch}",
                tm.fmt_time(c),
                tm.fmt_time(t),
                tm.fmt_time(n),
                tm.fmt_ratio(tm.ratio(c, t)),
                tm.fmt_ratio(tm.ratio(c, n)),
                tm.fmt_ratio(tm.ratio(t, n)),
                "cr/PyTorch " + tm.verdict(tm.ratio(c, t), MLP_TARGETS[batch]),
            ]
        )
    print(
        f"[1] MLP {'-'.join(map(str, MLP_SIZES))} (Linear-ReLU-Linear-ReLU-Linear), one SGD step "
        f"(lr={LR}): forward + cross_entropy + backward + step + zero_grad; time per step"
    )
    tm.print_table(
        [
            "workload",
            "chainrule",
            "PyTorch",
            "NumPy limit",
            "cr/PyTorch",
            "cr/NumPy",
            "PyTorch/NumPy",
            "target",
        ],
        rows,
    )


def load_digit_images() -> tuple[np.ndarray, np.ndarray, str]:
    """1,797 8x8 images as (N, 1, 8, 8) float32 and int64 labels: scikit-learn's digits if
    installed, random data of the same shape otherwise (the timing does not depend on values)."""
    try:
        from sklearn.datasets import load_digits
    except ModuleNotFoundError:
        rng = np.random.default_rng(0)
        images = rng.random((N_DIGITS, 1, 8, 8), dtype=np.float32)
        return images, rng.integers(0, 10, N_DIGITS, dtype=np.int64), "random data"
    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)
    return images, digits.target.astype(np.int64), "sklearn digits"


def bench_cnn(cr: Engine | None, torch: Engine | None) -> None:
    """Section 2: one epoch of chainrule train's CNN, chainrule vs PyTorch."""
    if cr is None and torch is None:
        print("[2] CNN: skipped, no engine to time (it has no NumPy column).\n")
        return
    images, labels, source = load_digit_images()
    fns: dict[str, Callable[[], object]] = {}
    n_batches = 0
    for m in (e for e in (cr, torch) if e is not None):
        with tm.feature_guard(m):
            m.manual_seed(0)
            model = make_cnn(m)
            check_float32(m, model)
            opt = m.optim.SGD(model.parameters(), lr=LR)
            batches = [
                (m.tensor(images[i : i + CNN_BATCH]), m.tensor(labels[i : i + CNN_BATCH]))
                for i in range(0, len(images), CNN_BATCH)
            ]
        n_batches = len(batches)
        fns[m.__name__] = lambda m=m, model=model, opt=opt, b=batches: train_epoch(m, model, opt, b)
    with tm.feature_guard(cr):
        times = tm.medians(tm.compare(fns, repeats=5, warmup=1, budget_s=8.0))
    c, t = times.get("chainrule"), times.get("torch")
    print(
        f"[2] CNN, one epoch of {len(images)} images ({source}, shape (N,1,8,8)) in "
        f"{n_batches} batches of {CNN_BATCH}, SGD lr={LR}: chainrule train's CNN, "
        "Conv2d(1,32,3,p=1)-ReLU-MaxPool2d(2)-Conv2d(32,64,3,p=1)-ReLU-MaxPool2d(2)-Flatten-"
        "Linear(256,128)-ReLU-Linear(128,10). No NumPy column."
    )
    tm.print_table(
        ["workload", "chainrule", "PyTorch", "cr/PyTorch", "per step (cr)", "per step (PyTorch)"],
        [
            [
                "epoch",
                tm.fmt_time(c),
                tm.fmt_time(t),
                tm.fmt_ratio(tm.ratio(c, t)),
                tm.fmt_time(None if c is None else c / n_batches),
                tm.fmt_time(None if t is None else t / n_batches),
            ]
        ],
    )


def main() -> None:
    """Parse arguments, load the engines, and run the selected sections."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=SECTIONS, action="append", help="run only this section")
    parser.add_argument(
        "--no-chainrule", action="store_true", help="time only the PyTorch and NumPy columns"
    )
    args = parser.parse_args()
    sections = args.only or SECTIONS

    needed = tuple(dict.fromkeys(f for s in sections for f in FEATURES[s]))
    cr = None if args.no_chainrule else tm.load_chainrule(needed, TENSOR_METHODS)
    torch = tm.load_torch()
    tm.print_environment("chainrule training benchmarks", cr, torch)
    if "mlp" in sections:
        bench_mlp(cr, torch)
    if "cnn" in sections:
        bench_cnn(cr, torch)


if __name__ == "__main__":
    main()
