"""``chainrule gradflow``: watch a gradient vanish (or not) through a deep MLP, and see why.

    $ chainrule gradflow --activation sigmoid --depth 20
    $ chainrule gradflow --activation relu --init kaiming --out runs
    $ chainrule gradflow --activation sigmoid --residual --norm layer --format json

Prints, per layer, the gradient measured by one backward pass next to the chain rule's product
of local derivatives (and the mean activation slope whose product makes the difference), then
the per-layer weight gradients; writes both plots (PNG) and the numbers (JSON) into --out. Bad
input exits non-zero with a one-line message on stderr, never a traceback.
"""

from __future__ import annotations

from pathlib import Path

import click

from chainrule.cli import one_line_command_class
from chainrule.serialization import atomic_write
from chainrule.tools import diagnostics


@click.command(
    cls=one_line_command_class(), context_settings={"help_option_names": ["-h", "--help"]}
)
@click.option("--activation", type=click.Choice(diagnostics.ACTIVATIONS), default="sigmoid",
              show_default=True, help="The nonlinearity of every layer.")  # fmt: skip
@click.option("--depth", type=click.IntRange(1, 200), default=20, show_default=True,
              help="Number of hidden layers.")  # fmt: skip
@click.option("--residual", is_flag=True, help="Add each layer's input to its output.")
@click.option("--norm", type=click.Choice(diagnostics.NORMS), default=None,
              help="A normalization layer before each activation.")  # fmt: skip
@click.option("--init", type=click.Choice(diagnostics.INITS), default="xavier", show_default=True,
              help="Weight initialization (normal: standard deviation 1).")  # fmt: skip
@click.option("--width", type=click.IntRange(1, 4096), default=32, show_default=True)
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--out", type=click.Path(file_okay=False), default="runs", show_default=True,
              metavar="DIR", help="Directory for the plot (PNG) and numbers (JSON).")  # fmt: skip
@click.option("--format", "output_format", type=click.Choice(("text", "json")), default="text",
              show_default=True, help="text: tables; json: the numbers on stdout.")  # fmt: skip
def command(
    activation: str, depth: int, residual: bool, norm: str | None, init: str, width: int,
    seed: int, out: str, output_format: str,
) -> None:  # fmt: skip
    """Measure the gradient at every layer of a deep MLP beside the chain rule's prediction."""
    try:
        study = diagnostics.depth_study(activation, depth, residual, norm, init, width, seed=seed)
        directory = Path(out)
        directory.mkdir(parents=True, exist_ok=True)
        stem = "-".join(
            ["gradflow", activation, str(depth), init]
            + ["residual"] * residual
            + ([f"{norm}norm"] if norm else [])
        )
        plotted = diagnostics.can_plot()
        png = study.plot(directory / f"{stem}.png") if plotted else None
        weights_png = study.flow.plot(directory / f"{stem}-weights.png") if plotted else None
        json_path = directory / f"{stem}.json"
        atomic_write(json_path, lambda f: f.write((study.to_json() + "\n").encode()))
    except (ValueError, ImportError, OSError) as error:
        raise click.ClickException(" ".join(str(error).split())) from None
    if output_format == "json":
        click.echo(study.to_json())
        return
    diagnostics.print_table(study.table())
    first, last = study.layers[0], study.layers[-1]
    click.echo(
        f"layer 1 receives {first.measured / last.measured:.3g} of the gradient at layer "
        f"{last.layer}; the mean {activation}' along the path multiplies to "
        f"{first.path_product:.3g} (steepest possible: {first.steepest_bound:.3g})"
    )
    click.echo(
        f"chain-rule prediction vs backward: largest relative difference "
        f"{study.max_relative_error():.2g}"
    )
    diagnostics.print_table(study.flow.table())
    click.echo(f"plots written to {png} and {weights_png}" if plotted else diagnostics.NO_PLOT)
    click.echo(f"numbers written to {json_path}")
