"""``chainrule attribute``: which pixels a trained digits classifier looks at.

    $ chainrule train --model cnn --out runs
    $ chainrule attribute --checkpoint runs/cnn.safetensors --method ig --n 16 --out runs

For the first ``--n`` test images, draws each image beside its saliency map and the chosen
method's heatmap (integrated gradients from a black image, or SmoothGrad), titled with the
predicted and true labels, and prints how well integrated gradients add up to the change of
the score (completeness). The models are those ``chainrule train`` writes (MLP and CNN). Bad
input exits non-zero with a one-line message on stderr, never a traceback.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import click

from chainrule import datasets, training
from chainrule._array import xp
from chainrule.cli import one_line_command_class
from chainrule.tools import attribution, diagnostics
from chainrule.tools.diagnostics import new_figure, save_figure

METHODS = ("ig", "saliency", "smoothgrad")


def load(checkpoint: str) -> tuple[Any, str, Any, Any]:
    """The checkpoint's model, its kind, and the digits test images in the shape it reads."""
    model, config = training.load_model(checkpoint)
    _, _, x_test, y_test = datasets.digits(images=config["model"] == "cnn")
    return model, config["model"], x_test, y_test


@click.command(
    cls=one_line_command_class(), context_settings={"help_option_names": ["-h", "--help"]}
)
@click.option("--checkpoint", type=click.Path(dir_okay=False), required=True,
              help="A model written by chainrule train (MLP or CNN).")  # fmt: skip
@click.option("--method", type=click.Choice(METHODS), default="ig", show_default=True,
              help="The heatmap beside the saliency map.")  # fmt: skip
@click.option("--n", "count", type=click.IntRange(1, 64), default=16, show_default=True,
              help="How many test images.")  # fmt: skip
@click.option("--steps", type=click.IntRange(2, 1024), default=64, show_default=True,
              help="Integrated gradients' quadrature points.")  # fmt: skip
@click.option("--out", type=click.Path(file_okay=False), default="runs", show_default=True,
              metavar="DIR", help="Directory for the PNG.")  # fmt: skip
def command(checkpoint: str, method: str, count: int, steps: int, out: str) -> None:
    """Saliency and integrated-gradients heatmaps of digits test images, as a PNG grid."""
    try:
        model, kind, x_test, y_test = load(checkpoint)
        x, y = x_test[:count], y_test[:count]
        predicted = model(x).argmax(1).numpy()
        maps = {"saliency": attribution.saliency(model, x, predicted).numpy()}
        if method == "ig":
            ig = attribution.integrated_gradients(model, x, predicted, steps=steps)
            maps["integrated gradients"] = ig.attributions.numpy()
            change = (model(x) - model(x * 0)).detach().numpy()[xp.arange(count), predicted]
            relative = xp.abs(ig.completeness_error.numpy()) / xp.maximum(xp.abs(change), 1e-12)
            click.echo(
                f"integrated gradients ({steps} steps, black baseline): completeness error "
                f"at most {relative.max():.2%} of f(x) - f(baseline), median "
                f"{xp.median(relative):.2%}"
            )
        elif method == "smoothgrad":
            maps["smoothgrad"] = attribution.smoothgrad(model, x, predicted).numpy()
        Path(out).mkdir(parents=True, exist_ok=True)
        png, path = None, Path(out) / f"attribute-{kind}-{method}.png"
        if diagnostics.can_plot():  # the base install reports in text alone
            png = render(x.numpy(), y.numpy(), predicted, maps, kind, path)
    except (ValueError, RuntimeError, ImportError, OSError) as error:
        raise click.ClickException(" ".join(str(error).split())) from None
    click.echo(f"{kind}: {int((predicted == y.numpy()).sum())} of {count} predicted correctly")
    click.echo(f"heatmaps written to {png}" if png else diagnostics.NO_PLOT)


def render(
    images: xp.ndarray, labels: xp.ndarray, predicted: xp.ndarray, maps: dict[str, xp.ndarray],
    kind: str, path: Path,
) -> str:  # fmt: skip
    """A grid of (image, heatmap, heatmap...) groups, four groups to a row."""
    per_group = 1 + len(maps)
    groups_per_row = 4
    rows = math.ceil(len(images) / groups_per_row)
    fig = new_figure(1.3 * per_group * groups_per_row, 1.55 * rows + 0.6)
    axes = fig.subplots(rows, per_group * groups_per_row, squeeze=False)
    for ax in axes.flat:
        ax.set_axis_off()
    for i, image in enumerate(images):
        row, col = divmod(i, groups_per_row)
        cells = axes[row, col * per_group : (col + 1) * per_group]
        right = "ok" if predicted[i] == labels[i] else "WRONG"
        cells[0].imshow(image.reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
        cells[0].set_title(f"pred {predicted[i]} / true {labels[i]} {right}", fontsize=7)
        for ax, (name, values) in zip(cells[1:], maps.items(), strict=True):
            heat = values[i].reshape(8, 8)
            if name == "integrated gradients":  # signed: red for, blue against the class
                limit = float(xp.abs(heat).max()) or 1.0
                ax.imshow(heat, cmap="bwr", vmin=-limit, vmax=limit)
            else:
                ax.imshow(heat, cmap="hot")
            ax.set_title(name if len(name) < 12 else "IG", fontsize=7)
    title = f"{kind}: " + ", ".join(["image", *maps])
    if "integrated gradients" in maps:
        title += " (IG: red raises the predicted class's score, blue lowers it)"
    fig.suptitle(title, fontsize=9)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=1 - 0.6 / (1.55 * rows + 0.6),
                        wspace=0.1, hspace=0.35)  # fmt: skip
    return save_figure(fig, path)
