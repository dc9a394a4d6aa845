"""Every command runs in text on the base install (NumPy and click only), as README promises.

The optional packages are blocked in this process (importing one raises ImportError, as on a
machine without it); each command must then report in text, name the extra for the pictures,
write no PNG, and ``serve`` must name its extra's install.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from trained_digits import checkpoint

from chainrule import cli
from chainrule.tools import diagnostics

EXTRAS = ("sklearn", "matplotlib", "tqdm", "rich", "sympy", "graphviz", "fastapi", "uvicorn")


@pytest.fixture
def base_install(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(sys.modules):  # submodules too: a test before may have imported them
        if name.split(".")[0] in EXTRAS:
            monkeypatch.setitem(sys.modules, name, None)
    for name in EXTRAS:
        monkeypatch.setitem(sys.modules, name, None)


def _run(*args: str):
    return CliRunner().invoke(cli.build(), list(args))


@pytest.mark.parametrize(
    ("command", "printed"),
    [
        (["train", "--epochs", "1", "--batch-size", "256", "--no-progress"], "test accuracy"),
        (["gradflow", "--depth", "3"], "gradient flow (flags relative to the layer nearest"),
        (["attribute", "--n", "2", "--steps", "4"], "of 2 predicted correctly"),
        (["attack", "--eps", "0.1", "--steps", "1"], "clean accuracy"),
    ],
)
def test_commands_report_in_text_without_extras(
    base_install: None, tmp_path: Path, command: list[str], printed: str
) -> None:
    if command[0] in ("attribute", "attack"):
        command += ["--checkpoint", str(checkpoint("mlp"))]
    result = _run(*command, "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert printed in result.stdout
    assert "no plot: pip install 'chainrule[train]'" in result.stdout
    assert "None" not in result.stdout  # no "written to None" for a picture not drawn
    assert not list(tmp_path.glob("*.png"))


def test_explain_prints_text_and_serve_names_its_extra(base_install: None) -> None:
    explained = _run("explain", "x**2 * sin(x)", "--at", "x=1")
    assert explained.exit_code == 0 and "check: finite differences" in explained.stdout
    served = _run("serve")
    assert served.exit_code != 0
    assert served.stderr.strip() == (
        "Error: the web playground needs FastAPI and uvicorn: pip install 'chainrule[web]'"
    )


def test_the_text_table_aligns_columns_and_drops_colour_markup(base_install: None) -> None:
    table = diagnostics._rich_table("title", ["layer", "flag"])
    assert isinstance(table, diagnostics.TextTable)
    table.add_row("a.long.name", "[yellow]vanishing[/]")
    table.add_row("b", "[green]healthy[/]")
    assert str(table).splitlines() == [
        "title",
        "layer             flag",
        "a.long.name  vanishing",
        "b              healthy",
    ]
