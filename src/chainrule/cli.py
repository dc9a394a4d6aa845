"""The ``chainrule`` command: a thin shell over the library's tools.

    $ chainrule train --epochs 5
    $ chainrule explain "(x + 2)**2" --at x=3

Each subcommand lives in :mod:`chainrule.commands`; this module only assembles them. Bad input
exits non-zero with a one-line message on stderr, never a traceback.
"""

from __future__ import annotations

import sys
from typing import Any


def _require_click() -> Any:
    try:
        import click
    except ImportError:
        sys.stderr.write(
            "chainrule: the command line needs click: pip install 'chainrule[train]'\n"
        )
        raise SystemExit(2) from None
    return click


def build() -> Any:
    """The click group with every subcommand attached."""
    click = _require_click()

    @click.group(context_settings={"help_option_names": ["-h", "--help"]})
    @click.version_option(package_name="chainrule")
    def cli() -> None:
        """chainrule: reverse-mode autodiff on NumPy that shows the chain rule at work."""

    from chainrule.commands import explain, train

    cli.add_command(train.command, "train")
    cli.add_command(explain.command, "explain")
    return cli


def main(argv: list[str] | None = None) -> None:
    build()(args=argv, prog_name="chainrule")
