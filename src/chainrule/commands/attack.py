"""``chainrule attack``: how a trained digits classifier fares under adversarial perturbations.

    $ chainrule train --out runs
    $ chainrule attack --checkpoint runs/mlp.safetensors --eps 0.05,0.1,0.2 --out runs

For each epsilon (the largest change allowed per pixel, pixels in [0, 1]), the test accuracy
under FGSM (one step along the sign of the loss gradient) and under PGD (``--steps`` steps of
``--alpha`` times epsilon, projected back into the epsilon box): a table, and a PNG with the
accuracy curves and example adversarial images. Bad input exits non-zero with a one-line
message on stderr, never a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from chainrule import grad_mode
from chainrule.cli import one_line_command_class
from chainrule.commands.attribute import load
from chainrule.tools import attribution, diagnostics
from chainrule.tools.diagnostics import new_figure, save_figure

EXAMPLES = 6  # adversarial examples drawn in the PNG


def _epsilons(ctx: Any, param: Any, text: str) -> list[float]:
    try:
        values = [float(part) for part in text.split(",")]
    except ValueError:
        raise click.BadParameter(f"expected numbers separated by commas, got {text!r}") from None
    if not values or any(not 0 < v <= 1 for v in values):
        raise click.BadParameter("each epsilon must be in (0, 1]")
    return sorted(set(values))


@click.command(
    cls=one_line_command_class(), context_settings={"help_option_names": ["-h", "--help"]}
)
@click.option("--checkpoint", type=click.Path(dir_okay=False), required=True,
              help="A model written by chainrule train (MLP or CNN).")  # fmt: skip
@click.option("--eps", "epsilons", default="0.05,0.1,0.2", show_default=True, callback=_epsilons,
              help="Perturbation budgets per pixel, comma-separated.")  # fmt: skip
@click.option("--steps", type=click.IntRange(1, 1000), default=10, show_default=True,
              help="PGD steps.")  # fmt: skip
@click.option("--alpha", type=click.FloatRange(0, 1, min_open=True), default=0.25,
              show_default=True, help="PGD step size, as a fraction of epsilon.")  # fmt: skip
@click.option("--out", type=click.Path(file_okay=False), default="runs", show_default=True,
              metavar="DIR", help="Directory for the PNG.")  # fmt: skip
def command(checkpoint: str, epsilons: list[float], steps: int, alpha: float, out: str) -> None:
    """Test accuracy under FGSM and PGD by epsilon, as a table and a PNG."""
    try:
        model, kind, x, y = load(checkpoint)
        clean = attribution.accuracy(model, x, y)
        rows, adversarial = [], {}
        for eps in epsilons:
            fgsm = attribution.fgsm(model, x, y, eps)
            pgd = attribution.pgd(model, x, y, eps, alpha * eps, steps)
            rows.append((eps, attribution.accuracy(model, fgsm, y),
                         attribution.accuracy(model, pgd, y)))  # fmt: skip
            adversarial[eps] = (fgsm, pgd)
        Path(out).mkdir(parents=True, exist_ok=True)
        png = None
        if diagnostics.can_plot():  # the base install reports in text alone
            png = render(
                model, kind, x, y, clean, rows, adversarial, steps, Path(out) / f"attack-{kind}.png"
            )
    except (ValueError, RuntimeError, ImportError, OSError) as error:
        raise click.ClickException(" ".join(str(error).split())) from None
    click.echo(f"{kind} on {len(y)} digits test images: clean accuracy {clean:.2%}")
    click.echo(f"{'epsilon':>8}  {'FGSM':>7}  {'PGD-' + str(steps):>7}")
    for eps, fgsm_acc, pgd_acc in rows:
        click.echo(f"{eps:>8g}  {fgsm_acc:>7.2%}  {pgd_acc:>7.2%}")
    click.echo(f"plot written to {png}" if png else diagnostics.NO_PLOT)


def render(
    model: Any, kind: str, x: Any, y: Any, clean: float, rows: list[tuple[float, float, float]],
    adversarial: dict[float, tuple[Any, Any]], steps: int, path: Path,
) -> str:  # fmt: skip
    """Left: accuracy by epsilon. Right: clean, FGSM and PGD images at the largest epsilon."""
    fig = new_figure(12, 5)
    grid = fig.add_gridspec(3, 1 + EXAMPLES, width_ratios=[3.2] + [1] * EXAMPLES,
                            left=0.06, right=0.99, bottom=0.1, top=0.85, wspace=0.15)  # fmt: skip
    curve = fig.add_subplot(grid[:, 0])
    eps = [0.0] + [r[0] for r in rows]
    curve.plot(eps, [clean] + [r[1] for r in rows], "o-", label="FGSM")
    curve.plot(eps, [clean] + [r[2] for r in rows], "s-", label=f"PGD ({steps} steps)")
    curve.set_xlabel("epsilon (max change per pixel)")
    curve.set_ylabel("test accuracy")
    curve.set_ylim(0, 1.02)
    curve.grid(alpha=0.3)
    curve.legend()
    largest = eps[-1]
    fgsm, pgd = adversarial[largest]
    labels = y.numpy()
    for row, (name, images) in enumerate((("clean", x), ("FGSM", fgsm), ("PGD", pgd))):
        with grad_mode.no_grad():
            predicted = model(images).argmax(1).numpy()
        for i in range(min(EXAMPLES, len(labels))):
            ax = fig.add_subplot(grid[row, 1 + i])
            ax.imshow(images.numpy()[i].reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
            ax.set_axis_off()
            ax.set_title(f"{name}: {predicted[i]}", fontsize=8,
                         color="black" if predicted[i] == labels[i] else "red")  # fmt: skip
    fig.suptitle(
        f"{kind}: accuracy under attack; right, examples at epsilon {largest:g} "
        "(title: the model's prediction, red when wrong)",
        fontsize=10,
    )
    return save_figure(fig, path)
