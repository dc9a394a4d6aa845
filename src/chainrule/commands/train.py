"""``chainrule train``: train a digits classifier, with curves and a resumable checkpoint.

    $ chainrule train                          # MLP 64-128-128-10, Adam, 20 epochs
    $ chainrule train --model cnn --out runs/cnn
    $ chainrule train --optimizer sgd --lr 0.05 --epochs 30 --seed 3
    $ chainrule train --resume runs/mlp.safetensors --epochs 30

The checkpoint is written at the end of every epoch. Ctrl-C, SIGTERM and SIGHUP save the last
completed epoch and exit with status 128 + the signal's number (130, 143, 129), as a shell
reports a program those signals stopped; ``--resume`` continues the run to the same weights an
uninterrupted run reaches, after ``kill -9`` too. A loss that is not finite stops the run
(status 1) and keeps the last finite checkpoint. Bad input (an option value, a missing or
corrupt checkpoint, an --out that cannot be written) exits non-zero with a one-line message on
stderr, never a traceback.
"""

from __future__ import annotations

import signal

import click

from chainrule import training
from chainrule.cli import one_line_command_class

# 128 + SIGINT, what a shell reports for a program stopped by Ctrl-C (SIGTERM: 143).
EXIT_INTERRUPTED = 130


@click.command(
    cls=one_line_command_class(), context_settings={"help_option_names": ["-h", "--help"]}
)
@click.option(
    "--model", type=click.Choice(training.MODELS), default=None,
    help="mlp (64-128-128-10) or cnn (two 3x3 convolutions).  [default: mlp]",
)  # fmt: skip
@click.option(
    "--epochs", type=click.IntRange(min=1), default=None,
    help="Total epochs, counting a resumed checkpoint's; more than a finished run's extends "
    "it (the learning rate restarts and anneals over the added epochs).  [default: "
    + ", ".join(f"{n} {model}" for model, n in training.DEFAULT_EPOCHS.items()) + "]",
)  # fmt: skip
@click.option(
    "--batch-size", type=click.IntRange(min=1), default=None,
    help=f"Examples per step.  [default: {training.DEFAULT_BATCH_SIZE}]",
)  # fmt: skip
@click.option(
    "--lr", type=click.FloatRange(min=0, min_open=True), default=None,
    help="Peak learning rate (cosine schedule to 0).  [default: "
    + ", ".join(f"{lr:g} {name}" for name, lr in training.DEFAULT_LR.items()) + "]",
)  # fmt: skip
@click.option(
    "--optimizer", type=click.Choice(training.OPTIMIZERS), default=None,
    help="adam, or sgd with momentum 0.9.  [default: adam]",
)  # fmt: skip
@click.option(
    "--seed", type=click.IntRange(min=0), default=None,
    help=f"Seeds the weights and the shuffling.  [default: {training.DEFAULT_SEED}]",
)  # fmt: skip
@click.option(
    "--out", type=click.Path(file_okay=False), default=None, metavar="DIR",
    help="Directory for the checkpoint (MODEL.safetensors) and the curves (MODEL.png).  "
    "[default: runs, or the resumed checkpoint's directory]",
)  # fmt: skip
@click.option(
    "--resume", type=click.Path(dir_okay=False), default=None, metavar="CHECKPOINT",
    help="Continue a run from its checkpoint; its settings are kept.",
)  # fmt: skip
@click.option(
    "--progress/--no-progress", default=True, show_default=True,
    help="Show a progress bar with the running loss (on stderr; needs tqdm).",
)  # fmt: skip
def command(
    model: str | None, epochs: int | None, batch_size: int | None, lr: float | None,
    optimizer: str | None, seed: int | None, out: str | None, resume: str | None, progress: bool,
) -> None:  # fmt: skip
    """Train a classifier on the 8x8 digits and report its test accuracy.

    Prints train and test loss and accuracy after every epoch, then writes the checkpoint and
    a PNG of the curves into --out.
    """
    config = training.TrainConfig(
        model=model, epochs=epochs, batch_size=batch_size, lr=lr, optimizer=optimizer,
        seed=seed, out=out,
    )  # fmt: skip
    try:
        result = training.train(config, resume, progress=progress, log=click.echo)
    except training.TrainingInterrupted as stop:
        how = "interrupted" if stop.signal == signal.SIGINT else signal.Signals(stop.signal).name
        error = click.ClickException(
            f"{how}: epoch {stop.epoch} saved; continue with --resume {stop.checkpoint}"
        )
        error.exit_code = EXIT_INTERRUPTED - signal.SIGINT + stop.signal
        raise error from None
    except (ValueError, ArithmeticError, RuntimeError, ImportError, OSError,
            MemoryError) as error:  # fmt: skip
        message = " ".join(str(error).split()) or type(error).__name__
        raise click.ClickException(message) from None
    click.echo(f"test accuracy {result.test_accuracy:.2%}")
    click.echo(f"checkpoint written to {result.checkpoint}")
    if result.plot:  # none on the base install (no matplotlib): train() said so
        click.echo(f"curves written to {result.plot}")
