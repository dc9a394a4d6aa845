"""``chainrule train`` against the same training written in PyTorch: wall time and accuracy.

Each side runs as a fresh process, imports included, as a user would run it:

* chainrule: ``python -m chainrule train --model M --epochs E --out TMP`` (its defaults: Adam
  lr 3e-3, cosine schedule, batch 32, shuffled, a test evaluation and an atomic checkpoint
  every epoch, a plot at the end);
* PyTorch: this script's :func:`torch_train`, the same loop written with ``torch``: the same
  network (``chainrule.training.build_model`` given ``torch.nn``), data split, optimizer,
  schedule, batch size, per-epoch evaluation and checkpoint (``torch.save``), and the same plot
  (``chainrule.training.save_plot``), at PyTorch's default thread count.

chainrule's random generator reproduces PyTorch's, so with the same seed both start from the
same weights and draw the same batches: their accuracies agree (to rounding), and any change
to chainrule's numbers shows as a difference. ``--torch-threads 1`` runs PyTorch on one
thread (``chainrule train`` uses one BLAS thread).

    python benchmarks/bench_cli_train.py                      # mlp and cnn, default epochs
    python benchmarks/bench_cli_train.py --model cnn --epochs 3 --runs 2
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _timing as tm

SRC = Path(__file__).resolve().parent.parent / "src"
ACCURACY = re.compile(r"test loss \S+ acc\s+([\d.]+)%")
EPOCH_SECONDS = re.compile(r"\(([\d.]+)s\)$", re.MULTILINE)


def torch_train(model_kind: str, epochs: int, out: Path) -> float:
    """``chainrule train``'s run written in PyTorch; returns the last test accuracy."""
    import numpy as np
    import torch

    from chainrule import training
    from chainrule.data.arrays import digits

    torch.manual_seed(training.DEFAULT_SEED)
    split = digits(images=model_kind == "cnn")
    x_train, y_train = torch.from_numpy(split.x_train), torch.from_numpy(split.y_train)
    x_test, y_test = torch.from_numpy(split.x_test), torch.from_numpy(split.y_test)
    model = training.build_model(model_kind, nn=torch.nn)
    opt = torch.optim.Adam(model.parameters(), lr=training.DEFAULT_LR["adam"])
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(x_train, y_train),
        batch_size=training.DEFAULT_BATCH_SIZE,
        shuffle=True,
        generator=torch.Generator().manual_seed(training.DEFAULT_SEED),
    )
    history = []
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        model.train()
        total = correct = seen = 0.0
        for x, y in loader:
            logits = model(x)
            loss = torch.nn.functional.cross_entropy(logits, y)
            value = loss.item()
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += value * len(y)
            correct += int((logits.argmax(1) == y).sum())
            seen += len(y)
        schedule.step()
        model.eval()
        with torch.no_grad():
            logits = model(x_test)
            test_loss = torch.nn.functional.cross_entropy(logits, y_test).item()
        accuracy = float((logits.argmax(1) == y_test).float().mean())
        seconds = time.perf_counter() - start  # as chainrule's: before the checkpoint
        torch.save({"model": model.state_dict(), "optimizer": opt.state_dict()}, out / "m.pt")
        history.append(
            training.EpochStats(
                epoch,
                total / seen,
                correct / seen,
                test_loss,
                accuracy,
                seconds,
            )
        )
        print(
            f"epoch {epoch} test loss {test_loss:.4f} acc {accuracy * 100:6.2f}%  ({seconds:.3f}s)"
        )
    training.save_plot(history, out / f"{model_kind}.png", model_kind)
    return float(np.float64(accuracy))


def run(command: list[str], **env_vars: str) -> tuple[float, float, float]:
    """Run a training process; return its wall time (s), the sum of its epochs' times (s,
    imports and start-up left out) and its last test accuracy (%)."""
    path = os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])
    env = dict(os.environ, PYTHONPATH=path, **env_vars)
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{done.stderr}")
    found = ACCURACY.findall(done.stdout)
    if not found:
        sys.exit(f"no accuracy in the output of {' '.join(command)}:\n{done.stdout}")
    epochs = sum(float(s) for s in EPOCH_SECONDS.findall(done.stdout))
    return wall, epochs, float(found[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=("mlp", "cnn"), action="append")
    parser.add_argument("--epochs", type=int, help="default: chainrule train's for the model")
    parser.add_argument("--runs", type=int, default=3, help="runs of each side (default 3)")
    parser.add_argument("--torch-threads", type=int, help="torch.set_num_threads for PyTorch")
    parser.add_argument(
        "--torch-child", nargs=3, metavar=("MODEL", "EPOCHS", "OUT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.torch_child:
        model, epochs, out = args.torch_child
        if args.torch_threads:
            import torch

            torch.set_num_threads(args.torch_threads)
        torch_train(model, int(epochs), Path(out))
        return
    sys.path.insert(0, str(SRC))
    from chainrule import training

    tm.print_environment("chainrule train vs the same training in PyTorch", None, tm.load_torch())
    rows = []
    for model in args.model or ("mlp", "cnn"):
        epochs = args.epochs or training.DEFAULT_EPOCHS[model]
        results: dict[str, list[tuple[float, float, float]]] = {"chainrule": [], "torch": []}
        for _ in range(args.runs):  # alternate the two, so that drift reaches both
            with tempfile.TemporaryDirectory() as out:
                results["chainrule"].append(
                    run(
                        [
                            sys.executable,
                            "-m",
                            "chainrule",
                            "train",
                            "--model",
                            model,
                            "--epochs",
                            str(epochs),
                            "--out",
                            out,
                        ]
                    )
                )
            with tempfile.TemporaryDirectory() as out:
                results["torch"].append(
                    # It imports chainrule for the model and data: leave malloc as PyTorch has it.
                    run(
                        [sys.executable, __file__, "--torch-child", model, str(epochs), out]
                        + ([f"--torch-threads={args.torch_threads}"] if args.torch_threads else []),
                        CHAINRULE_MALLOPT="0",
                    )
                )
        walls = {k: [w for w, _, _ in v] for k, v in results.items()}
        trains = {k: [e for _, e, _ in v] for k, v in results.items()}
        accs = {k: [a for _, _, a in v] for k, v in results.items()}
        rows.append(
            [
                f"{model}, {epochs} epochs",
                f"{statistics.median(walls['chainrule']):.1f} s",
                f"{statistics.median(walls['torch']):.1f} s",
                _ratios(walls["chainrule"], walls["torch"]),
                f"{statistics.median(trains['chainrule']):.1f} s",
                f"{statistics.median(trains['torch']):.1f} s",
                _ratios(trains["chainrule"], trains["torch"]),
                "/".join(f"{a:.2f}" for a in accs["chainrule"]),
                "/".join(f"{a:.2f}" for a in accs["torch"]),
            ]
        )
        print(json.dumps({"model": model, "wall": walls, "epochs": trains, "accuracy": accs}))
    print(
        f"\nMedian of {args.runs} alternating runs: wall time per process (imports included), "
        "then the sum of the epochs' times (training, evaluation)."
    )
    headers = ["training", "cr wall", "PyTorch wall", "cr/PyTorch", "cr epochs"]
    headers += ["PyTorch epochs", "cr/PyTorch", "cr test acc %", "PyTorch acc %"]
    tm.print_table(headers, rows)


def _ratios(ours: list[float], theirs: list[float]) -> str:
    """Median ratio of paired runs, with its lowest and highest."""
    ratios = [a / b for a, b in zip(ours, theirs, strict=True)]
    return f"{statistics.median(ratios):.2f}x [{min(ratios):.2f}-{max(ratios):.2f}]"


if __name__ == "__main__":
    main()
