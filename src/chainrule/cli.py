"""The ``chainrule`` command: a thin shell over the library's tools.

    $ chainrule train --epochs 5
    $ chainrule explain "(x + 2)**2" --at x=3

Each subcommand lives in its own module of :mod:`chainrule.commands` and is imported only when
it runs, so one subcommand never depends on another's imports (``chainrule explain`` works
without the training stack). Bad input exits non-zero with a one-line message on stderr, never
a traceback.
"""

from __future__ import annotations

import functools
import importlib
import sys
from typing import Any

#: Subcommand name -> module of :mod:`chainrule.commands` whose ``command`` implements it.
SUBCOMMANDS = {
    "train": "chainrule.commands.train",
    "explain": "chainrule.commands.explain",
    "serve": "chainrule.commands.serve",
    "gradflow": "chainrule.commands.gradflow",
    "attribute": "chainrule.commands.attribute",
    "attack": "chainrule.commands.attack",
}


def _require_click() -> Any:
    try:
        import click
    except ImportError:
        sys.stderr.write("chainrule: the command line needs click: pip install click\n")
        raise SystemExit(2) from None
    return click


def build() -> Any:
    """The click group; each subcommand's module is imported when that subcommand is used."""
    click = _require_click()

    class LazyGroup(click.Group):
        def list_commands(self, ctx: Any) -> list[str]:
            return list(SUBCOMMANDS)

        def get_command(self, ctx: Any, name: str) -> Any:
            module = SUBCOMMANDS.get(name)
            if module is None:
                return None
            try:
                return importlib.import_module(module).command
            except ImportError as error:  # a missing optional dependency: say which
                raise click.ClickException(f"chainrule {name} cannot start: {error}") from None

    @click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
    @click.version_option(package_name="chainrule")
    def cli() -> None:
        """chainrule: reverse-mode autodiff on NumPy that shows the chain rule at work."""

    return cli


@functools.cache
def one_line_command_class() -> Any:
    """A click Command class whose usage errors (``--format xyz``, a missing argument) are one
    ``Error: ...`` line like every other error, instead of click's usage text and hint."""
    click = _require_click()

    class OneLineCommand(click.Command):
        def make_context(self, *args: Any, **kwargs: Any) -> Any:
            try:
                return super().make_context(*args, **kwargs)
            except click.UsageError as error:
                one_line = click.ClickException(error.format_message())
                one_line.exit_code = error.exit_code
                raise one_line from None

    return OneLineCommand


def main(argv: list[str] | None = None) -> None:
    build()(args=argv, prog_name="chainrule")
