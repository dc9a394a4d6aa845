"""``chainrule explain``: the chain rule, step by step, for an expression at a point.

    $ chainrule explain "f(x) = x**2; g(u) = 2*u; h(v) = v + 3; h(g(f(x)))" --at x=5
    $ chainrule explain "(sigmoid(w*x + b) - y)**2" --at w=0.5 --at x=2 --at b=-1 --at y=1
    $ chainrule explain "sum(x * w)" --at x=1,2,3 --at w=2 --format json
    $ echo "(x + 2)**2" | chainrule explain - --at x=3 --graph chain.svg

Bad input (a syntax error, an unknown name, a value that is not a number...) exits with
status 1 and a message on stderr, never a traceback.
"""

from __future__ import annotations

import math
import re
import sys
import textwrap
from typing import Any

import click

from chainrule import expr
from chainrule._array import xp
from chainrule.cli import one_line_command_class
from chainrule.tools.explain import explain, expression_functions

#: Most numbers one ``--at`` may give (a vector input).
MAX_VALUES = 10_000
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_FORMATS = ("text", "md", "html", "json")


def parse_point(items: tuple[str, ...]) -> dict[str, Any]:
    """``("x=2", "w=1,2,3")`` -> ``{"x": 2.0, "w": array([1., 2., 3.])}``.

    >>> parse_point(("x=2", "w=[1, 2.5]"))
    {'x': 2.0, 'w': array([1. , 2.5])}
    """
    point: dict[str, Any] = {}
    for item in items:
        name, equals, text = item.partition("=")
        name = name.strip()
        if not equals or not _NAME.match(name):
            raise ValueError(f"--at {item[:40]!r}: expected NAME=VALUE, as in --at x=2")
        if name in point:
            raise ValueError(f"--at: {name} is given twice")
        point[name] = _parse_values(name, text)
    return point


def _parse_values(name: str, text: str) -> Any:
    text = text.strip()
    bracketed = text.startswith("[") and text.endswith("]")
    parts = (text[1:-1] if bracketed else text).split(",")
    if len(parts) > MAX_VALUES:
        raise ValueError(f"--at {name}: too many values (limit {MAX_VALUES:,})")
    values = []
    for part in parts:
        try:
            value = float(part)
        except ValueError:
            shown = part.strip()[:20] or "nothing"
            raise ValueError(f"--at {name}: {shown!r} is not a number") from None
        if not math.isfinite(value):
            raise ValueError(f"--at {name}: {part.strip()} is not a finite number")
        values.append(value)
    if len(values) == 1 and not bracketed:
        return values[0]
    return xp.array(values)


def _read_source(expression: str) -> str:
    if expression != "-":
        return expression
    source = sys.stdin.read(expr.MAX_SOURCE_LENGTH + 1)  # no need to read more to refuse it
    if len(source) > expr.MAX_SOURCE_LENGTH:
        message = f"input is too long: more than {expr.MAX_SOURCE_LENGTH:,} characters"
        raise expr.ExprError(message, kind="limit error")
    return source.strip()


def _render(explanation: Any, output_format: str) -> str:
    if output_format == "json":
        return explanation.to_json() + "\n"
    if output_format == "md":
        return explanation.to_markdown()
    if output_format == "html":
        return explanation.to_html() + "\n"
    return explanation.to_text()


# Listed from what the evaluator is given, so the help cannot drift from it.
_FUNCTION_LIST = textwrap.fill(
    ", ".join(expression_functions()), width=76, initial_indent="  ", subsequent_indent="  "
)
_HELP = f"""Show how the chain rule computes the gradient of EXPRESSION ("-" reads stdin).

The expression language: numbers, variables, + - * / ** and parentheses; functions may be
defined first and composed, as in "f(x) = x**2; g(u) = 2*u; h(v) = v + 3; h(g(f(x)))", and
values named once each, as in "f = x*y; g = sin(f) + f" (the last one is the result). Steps
are named after these names (dg/df), other intermediate values u1, u2, ...

\b
Built-in functions (elementwise; sum and mean reduce a vector to a number):
{_FUNCTION_LIST}

\b
Examples:
  chainrule explain "(x + 2)**2" --at x=3
  chainrule explain "f(x) = x**2; g(u) = 2*u; g(f(x))" --at x=5
  chainrule explain "f = x*y; g = sin(f) + f" --at x=1 --at y=2
  chainrule explain "(sigmoid(w*x + b) - y)**2" --at w=0.5 --at x=2 --at b=-1 --at y=1
  chainrule explain "x*y + sin(x)" --at x=1 --at y=2 --wrt x
  chainrule explain "sum(x * w)" --at x=1,2,3 --at w=2 --format json
  echo "(x + 2)**2" | chainrule explain - --at x=3 --graph chain.svg
"""


@click.command(
    cls=one_line_command_class(),
    help=_HELP,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.argument("expression")
@click.option(
    "--at", "points", multiple=True, metavar="NAME=VALUE",
    help="A variable's value: a number, or numbers separated by commas. Repeat per variable.",
)  # fmt: skip
@click.option(
    "--wrt", multiple=True, metavar="NAME",
    help="Differentiate with respect to NAME only (repeat for several); the other variables "
    "are constants.  [default: every variable]",
)  # fmt: skip
@click.option(
    "--format", "output_format", type=click.Choice(_FORMATS), default="text", show_default=True,
    help="text (coloured on a terminal), md (Markdown), html or json.",
)  # fmt: skip
@click.option(
    "--graph", type=click.Path(dir_okay=False), default=None, metavar="FILE",
    help="Also draw the graph to FILE (.svg, .png or .pdf; needs Graphviz).",
)  # fmt: skip
@click.option(
    "--symbolic/--no-symbolic", default=True, show_default=True,
    help="Cross-check with SymPy's derivative where SymPy is installed.",
)  # fmt: skip
def command(
    expression: str, points: tuple[str, ...], wrt: tuple[str, ...], output_format: str,
    graph: str | None, symbolic: bool,
) -> None:  # fmt: skip
    try:
        point = parse_point(points)
        source = _read_source(expression)
        explanation = explain(source, at=point, symbolic=symbolic, wrt=wrt or None)
        if graph is not None:
            from chainrule.tools import viz

            viz.render(explanation, graph)
    except expr.ExprError as error:
        raise click.ClickException(error.pretty()) from None
    except (ValueError, TypeError, ArithmeticError, RuntimeError, ImportError, OSError,
            MemoryError) as error:  # fmt: skip
        raise click.ClickException(str(error) or type(error).__name__) from None
    stdout = sys.stdout  # CliRunner replaces it in tests
    if output_format == "text" and stdout.isatty():
        explanation.print(stdout)  # coloured by rich where the terminal allows
    else:
        click.echo(_render(explanation, output_format), nl=False)
    if graph is not None:
        click.echo(f"graph written to {graph}", err=True)
