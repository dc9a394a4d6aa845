"""Renderings of an :class:`~chainrule.tools.explain.Explanation`: text, Markdown and HTML.

All three read the same pieces (the ``_..._math`` helpers below), so they always agree. Text is
built as lines of styled segments: plain for files, pipes and golden tests, coloured with rich
on a terminal that supports it. Numbers use :mod:`chainrule.tools.format`, so the output is
deterministic.

    >>> import chainrule as cr
    >>> text = to_text(cr.explain("(x + 2)**2", x=3, symbolic=False))
    >>> print(text.splitlines()[4])
      u1 = x + 2     = 5
"""

from __future__ import annotations

import html
import sys
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from chainrule._array import xp
from chainrule.tools import format as fmt

if TYPE_CHECKING:
    from chainrule.tools.explain import (
        BackwardStep,
        Contribution,
        Explanation,
        ForwardStep,
        InputGradient,
        Path,
    )

#: Longer symbolic derivatives are shortened in text, Markdown and HTML.
MAX_SYMBOLIC_SHOWN = 160

Segment = tuple[str, str]  # (text, style name); style "" is plain
Line = list[Segment]

#: rich styles of the segment style names.
RICH_STYLES = {
    "heading": "bold underline",
    "name": "bold cyan",
    "value": "green",
    "formula": "yellow",
    "grad": "bold magenta",
    "dim": "dim",
    "warn": "bold red",
}


# ============================================================================== pieces
def _is_scalar(value: xp.ndarray | None) -> bool:
    return value is not None and value.size == 1


def _factor(value: xp.ndarray) -> str:
    """A factor of a product: negative numbers in parentheses, 2 × (-3)."""
    text = fmt.array(value)
    return f"({text})" if text.startswith("-") else text


def _sum_math(values: Sequence[xp.ndarray]) -> str:
    """``a + b - c``: the terms of a sum of scalars, signs folded in."""
    parts = [fmt.array(values[0])]
    for value in values[1:]:
        text = fmt.array(value)
        parts.append(f"- {text[1:]}" if text.startswith("-") else f"+ {text}")
    return " ".join(parts)


def _value_math(value: xp.ndarray) -> str:
    """A value, with its shape first when it is not a scalar."""
    if value.ndim == 0:
        return fmt.array(value)
    return f"{fmt.shape(value.shape)} {fmt.array(value)}"


def _local_math(local: Any) -> str:
    """``∂u1/∂x = 2 * x**(2 - 1) = 10``: formula and value of one local derivative."""
    if local.value is None:  # not elementwise: the op's rule maps g (the gradient in) to J^T g
        return f"{local.symbol}: J^T g = {local.formula} (g: the gradient flowing in)"
    text = f"{local.symbol} = {local.formula}"
    value = fmt.array(local.value) if local.value.ndim == 0 else _value_math(local.value)
    return text if value == local.formula else f"{text} = {value}"


def _contribution_math(step: BackwardStep, c: Contribution) -> str:
    """How one contribution came about: upstream × local = contribution, or J^T v."""
    if step.elementwise and c.local.value is not None:
        if _is_scalar(step.upstream) and _is_scalar(c.local.value) and c.raw.size == 1:
            text = f"{_factor(step.upstream)} × {_factor(c.local.value)} = {fmt.array(c.raw)}"
        else:
            text = (
                f"{_value_math(step.upstream)} ⊙ {_value_math(c.local.value)} "
                f"= {_value_math(c.raw)}"
            )
    else:
        text = f"J^T v by the rule {c.local.formula} = {_value_math(c.raw)}"
    if c.broadcast:
        text += (
            f"; {c.target} was broadcast from {fmt.shape(c.value.shape)}, so this is summed "
            f"back: {_value_math(c.value)}"
        )
    return text


def _upstream_math(explanation: Explanation, step: BackwardStep) -> str:
    symbol = f"∂{explanation.output}/∂{step.node}"
    if step.node == explanation.output:
        return f"{symbol} = {fmt.array(step.upstream)} (the start of the backward pass)"
    if step.upstream_terms:
        sources = ", ".join(dict.fromkeys(t.source for t in step.upstream_terms))
        terms = [t.value for t in step.upstream_terms]
        if all(t.size == 1 for t in terms):
            return (
                f"{symbol} = {_sum_math(terms)} = {fmt.array(step.upstream)} "
                f"({step.node} is used by {sources}: the contributions add up)"
            )
        return f"{symbol} = sum of the contributions from {sources} = {_value_math(step.upstream)}"
    return f"{symbol} = {_value_math(step.upstream)}"


def _path_route(explanation: Explanation, path: Path) -> str:
    return " ← ".join(path.nodes) if path.edges else explanation.output


def _path_math(explanation: Explanation, gradient: InputGradient, path: Path) -> str:
    """``∂u3/∂u2 · ∂u2/∂u1 · ∂u1/∂x = 1 × 2 × 10 = 20``."""
    if not path.edges:
        return f"∂{explanation.output}/∂{gradient.name} = {fmt.array(path.value)}"
    symbols = " · ".join(edge.symbol for edge in path.edges)
    if len(path.edges) == 1:
        return f"{symbols} = {_value_math(path.value)}"
    if all(_is_scalar(f) for f in path.factors):
        product = " × ".join(_factor(f) for f in path.factors)
        return f"{symbols} = {product} = {fmt.array(path.value)}"
    return f"{symbols} (vector-Jacobian products) = {_value_math(path.value)}"


def _layers_math(path: Path) -> str | None:
    """The same path by user function: ``∂h/∂g · ∂g/∂f · ∂f/∂x = 1 × 2 × 10 = 20``."""
    # One factor per function (values named after their functions): the path itself says it.
    if not path.layers or len(path.layers) == len(path.edges):
        return None
    symbols = " · ".join(f"∂{layer.of}/∂{layer.wrt}" for layer in path.layers)
    if any(layer.value is None for layer in path.layers):
        return symbols
    product = " × ".join(_factor(layer.value) for layer in path.layers)
    return f"{symbols} = {product} = {fmt.array(path.value)}"


def _paths_sum_math(gradient: InputGradient) -> str | None:
    """The multivariable chain rule: the paths' gradients add up."""
    if gradient.path_count < 2:
        return None
    values = [path.value for path in gradient.paths]
    if gradient.paths_truncated:
        return (
            f"{len(gradient.paths)} of {gradient.path_count} paths are listed; the sum over "
            f"all of them is the gradient"
        )
    if all(v.size == 1 for v in values):
        total = xp.sum(values, axis=0)
        return f"sum of the {len(values)} paths: {_sum_math(values)} = {fmt.array(total)}"
    return f"sum of the {len(values)} paths = {_value_math(xp.sum(values, axis=0))}"


def _output_symbol(explanation: Explanation) -> str:
    """The output by the user's name: ``h`` when it is what ``h(...)`` returned (the outermost
    such call), else its step's name, ``u3``."""
    for step in explanation.forward:
        if step.name == explanation.output and step.labels:
            return step.labels[-1].split("(", 1)[0]
    return explanation.output


def _gradient_math(explanation: Explanation, gradient: InputGradient) -> str:
    symbol = f"∂{_output_symbol(explanation)}/∂{gradient.name}"
    if gradient.gradient is None:
        return f"{symbol}: no path leads to {gradient.name}, the output does not depend on it"
    return f"{symbol} = {_value_math(gradient.gradient)}"


def _checks_math(gradient: InputGradient) -> str | None:
    checks = []
    if gradient.finite_difference is not None:
        checks.append(f"finite differences {_value_math(gradient.finite_difference)}")
    if gradient.symbolic is not None:
        symbolic = gradient.symbolic
        if len(symbolic) > MAX_SYMBOLIC_SHOWN:  # the JSON keeps all of it
            symbolic = f"{symbolic[:MAX_SYMBOLIC_SHOWN]}... ({len(symbolic):,} characters)"
        checks.append(f"sympy {symbolic} = {fmt.number(gradient.symbolic_value)}")
    return "; ".join(checks) if checks else None


class _ChainRule(NamedTuple):
    """What every format shows for one input's chain rule: each path as (route, product of its
    factors, product by function or None), their sum (None for one path), the gradient and
    the cross-checks (None when there are none)."""

    paths: list[tuple[str, str, str | None]]
    total: str | None
    gradient: str
    checks: str | None


def _chain_rule(explanation: Explanation, gradient: InputGradient) -> _ChainRule:
    e = explanation
    return _ChainRule(
        [(_path_route(e, p), _path_math(e, gradient, p), _layers_math(p)) for p in gradient.paths],
        _paths_sum_math(gradient),
        _gradient_math(e, gradient),
        _checks_math(gradient),
    )


def _tensor_rule(explanation: Explanation) -> str | None:
    """The vectorized chain rule, stated once where the computation has tensors."""
    shapes = [v.value for v in explanation.values] + [s.value for s in explanation.forward]
    if all(value.size == 1 for value in shapes):
        return None
    return (
        "tensors: each rule computes J^T v (v: the gradient in); elementwise ops have a "
        "diagonal J, so J^T v = v ⊙ local; a broadcast input's gradient is summed back"
    )


def _forward_math(step: ForwardStep) -> str:
    return _value_math(step.value)


def _labels(step: ForwardStep) -> str:
    parts = ["(no gradient)"] if step.constant else []
    if step.labels:
        parts.append(" = ".join(reversed(step.labels)))
    if step.module:
        parts.append(f"[{step.module}]")
    return "  ".join(parts)


def _constants_math(explanation: Explanation) -> str | None:
    """The steps without gradient, said once for the backward pass: nothing flows through
    them (``the mask u1 = x > 0 is a constant for the chain rule``)."""
    steps = [f"{s.name} = {s.expression}" for s in explanation.forward if s.constant]
    if not steps:
        return None
    if len(steps) == 1:
        return f"{steps[0]} is a constant for the chain rule: no gradient flows through it"
    listed = ", ".join(steps[:-1]) + " and " + steps[-1]
    return f"{listed} are constants for the chain rule: no gradient flows through them"


def _inputs_math(explanation: Explanation) -> str:
    return ", ".join(
        f"{v.name} = {_value_math(v.value)}" for v in explanation.values if v.kind != "constant"
    )


def _locals_in_forward_order(explanation: Explanation) -> list[Any]:
    order = {step.name: i for i, step in enumerate(explanation.forward)}
    found = [c.local for step in explanation.backward for c in step.contributions]
    return sorted(found, key=lambda local: (order.get(local.node, -1), local.position))


# ============================================================================== text
def _text_lines(explanation: Explanation) -> Iterator[Line]:
    e = explanation
    if e.source is not None:
        yield [("chain rule for ", "heading"), (fmt.printable(e.source), "formula")]
    yield [("inputs: ", "dim"), (_inputs_math(e) or "none", "")]
    yield []
    yield [("forward pass", "heading")]
    width = max((len(f"{s.name} = {s.expression}") for s in e.forward), default=0)
    for step in e.forward:
        left = f"{step.name} = {step.expression}".ljust(width)
        labels = _labels(step)
        yield [
            ("  ", ""), (left[: len(step.name)], "name"), (left[len(step.name) :], ""),
            ("   = ", ""), (_forward_math(step), "value"),
            *([("   ", ""), (labels, "dim")] if labels else []),
        ]  # fmt: skip
    yield [
        ("  output ", "dim"),
        (e.output, "name"),
        (" = ", ""),
        (_value_math(e.output_value), "value"),
    ]
    if not e.differentiated:
        yield from _notes_lines(e)
        return
    yield []
    yield [("local derivatives", "heading"), (" (each op's rule, at these values)", "dim")]
    for local in _locals_in_forward_order(e):
        yield [("  ", ""), (_local_math(local), "formula")]
    yield []
    yield [
        ("backward pass", "heading"),
        (" (gradient in × local derivative = contribution to the input)", "dim"),
    ]
    tensor_rule = _tensor_rule(e)
    if tensor_rule:
        yield [("  ", ""), (tensor_rule, "dim")]
    constants = _constants_math(e)
    if constants:
        yield [("  ", ""), (constants, "dim")]
    for step in e.backward:
        yield [("  ", ""), (step.node, "name"), (f" [{step.op}]  ", "dim"),
               (_upstream_math(e, step), "grad")]  # fmt: skip
        for c in step.contributions:
            yield [("      → ", ""), (c.target, "name"), (": ", ""),
                   (_contribution_math(step, c), "")]  # fmt: skip
    for gradient in e.gradients:
        rule = _chain_rule(e, gradient)
        yield []
        count = gradient.path_count
        yield [("chain rule for ", "heading"), (gradient.name, "name"),
               (f" ({count} path{'s' * (count != 1)})", "dim")]  # fmt: skip
        for route, math, layers in rule.paths:
            yield [("  ", ""), (route, "name"), (":  ", ""), (math, "")]
            if layers:
                yield [("      by function: ", "dim"), (layers, "")]
        if rule.total:
            yield [("  ", ""), (rule.total, "")]
        yield [("  ", ""), (rule.gradient, "grad")]
        if rule.checks:
            yield [("  check: ", "dim"), (rule.checks, "dim")]
    yield from _notes_lines(e)


def _notes_lines(explanation: Explanation) -> Iterator[Line]:
    if explanation.notes:
        yield []
        yield [("notes", "heading")]
        for note in explanation.notes:
            yield [("  ! ", "warn"), (note, "")]


def to_text(explanation: Explanation) -> str:
    """Plain text, the same on every platform (the golden files hold it)."""
    lines = ("".join(text for text, _ in line).rstrip() for line in _text_lines(explanation))
    return "\n".join(lines) + "\n"


def to_rich(explanation: Explanation) -> Any:
    """A ``rich.text.Text`` with colours (``rich.print(explanation)`` uses it)."""
    try:
        from rich.text import Text
    except ImportError as error:
        raise ImportError("coloured output needs rich: pip install 'chainrule[explain]'") from error
    text = Text()
    for line in _text_lines(explanation):
        for part, style in line:
            text.append(part, style=RICH_STYLES.get(style))
        text.append("\n")
    return text


def print_explanation(explanation: Explanation, file: Any = None) -> None:
    """Coloured with rich on a terminal that has colours; plain text elsewhere."""
    file = sys.stdout if file is None else file
    if hasattr(file, "isatty") and file.isatty():
        try:
            from rich.console import Console
        except ImportError:
            pass
        else:
            Console(file=file, highlight=False, soft_wrap=True).print(to_rich(explanation), end="")
            return
    file.write(to_text(explanation))


# ============================================================================== markdown
def _md(text: str) -> str:
    """A table cell: pipes escaped, no line breaks."""
    return text.replace("|", "\\|").replace("\n", " ")


def _md_code(text: str) -> str:
    return f"`{_md(text)}`" if "`" not in text else _md(text)


def to_markdown(explanation: Explanation) -> str:
    """GitHub-flavoured Markdown: tables for the passes, a list per input's chain rule."""
    e = explanation
    out = []
    if e.source is not None:
        out.append(f"### Chain rule for {_md_code(fmt.printable(e.source))}\n")
    out.append(f"Inputs: {_md(_inputs_math(e)) or 'none'}\n")
    out.append("#### Forward pass\n")
    out.append("| value | computed as | = | function |")
    out.append("|---|---|---|---|")
    for step in e.forward:
        out.append(
            f"| {_md_code(step.name)} | {_md_code(step.expression)} | "
            f"{_md(_forward_math(step))} | {_md(_labels(step))} |"
        )
    out.append(f"\nOutput: {_md_code(e.output)} = {_md(_value_math(e.output_value))}\n")
    if e.differentiated:
        out.append("#### Local derivatives\n")
        for local in _locals_in_forward_order(e):
            out.append(f"- {_md_code(_local_math(local))}")
        out.append("\n#### Backward pass\n")
        out.append("Gradient in × local derivative = contribution to the input.\n")
        tensor_rule = _tensor_rule(e)
        if tensor_rule:
            out.append(f"{_md(tensor_rule[0].upper() + tensor_rule[1:])}.\n")
        constants = _constants_math(e)
        if constants:
            out.append(f"{_md(constants)}.\n")
        out.append("| node | gradient in | to | contribution |")
        out.append("|---|---|---|---|")
        for step in e.backward:
            upstream = _md(_upstream_math(e, step))
            for i, c in enumerate(step.contributions):
                node = f"{_md_code(step.node)} ({step.op})" if i == 0 else ""
                incoming = upstream if i == 0 else ""
                out.append(
                    f"| {node} | {incoming} | {_md_code(c.target)} | "
                    f"{_md(_contribution_math(step, c))} |"
                )
        for gradient in e.gradients:
            rule = _chain_rule(e, gradient)
            out.append(f"\n#### Chain rule for {_md_code(gradient.name)}\n")
            out.extend(
                f"- {_md_code(route)}: {_md(math)}"
                + (f" (by function: {_md(layers)})" if layers else "")
                for route, math, layers in rule.paths
            )
            if rule.total:
                out.append(f"- {_md(rule.total)}")
            out.append(f"\n**{_md(rule.gradient)}**")
            if rule.checks:
                out.append(f"\nCheck: {_md(rule.checks)}")
    if e.notes:
        out.append("\n#### Notes\n")
        out.extend(f"- {_md(note)}" for note in e.notes)
    return "\n".join(out) + "\n"


# ============================================================================== html
_CSS = (
    ".chainrule-explanation{font-family:sans-serif}"
    ".chainrule-explanation code{font-family:monospace}"
    ".chainrule-explanation table{border-collapse:collapse;margin:4px 0}"
    ".chainrule-explanation td,.chainrule-explanation th{border:1px solid #ccc;"
    "padding:2px 8px;text-align:left}"
    ".chainrule-explanation .grad{color:#8b008b;font-weight:bold}"
)


def _h(text: str) -> str:
    return html.escape(text, quote=True)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """An HTML table; cells are escaped here (callers pass plain text)."""
    head = "".join(f"<th>{_h(cell)}</th>" for cell in header)
    body = "".join(
        "<tr>" + "".join(f"<td><code>{_h(cell)}</code></td>" for cell in row) + "</tr>"
        for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def to_html(explanation: Explanation) -> str:
    """A self-contained HTML fragment (Jupyter shows it); every text is escaped."""
    e = explanation
    parts = [f'<div class="chainrule-explanation"><style>{_CSS}</style>']
    if e.source is not None:
        parts.append(f"<h4>Chain rule for <code>{_h(fmt.printable(e.source))}</code></h4>")
    parts.append(f"<p>Inputs: <code>{_h(_inputs_math(e) or 'none')}</code></p>")
    parts.append("<h5>Forward pass</h5>")
    parts.append(_table(
        ["value", "computed as", "=", "function"],
        [[s.name, s.expression, _forward_math(s), _labels(s)] for s in e.forward],
    ))  # fmt: skip
    output = _value_math(e.output_value)
    parts.append(f"<p>Output <code>{_h(e.output)}</code> = <code>{_h(output)}</code></p>")
    if e.differentiated:
        parts.append("<h5>Local derivatives</h5><ul>")
        parts.extend(
            f"<li><code>{_h(_local_math(local))}</code></li>"
            for local in _locals_in_forward_order(e)
        )
        parts.append("</ul><h5>Backward pass</h5>")
        tensor_rule = _tensor_rule(e)
        if tensor_rule:
            parts.append(f"<p>{_h(tensor_rule[0].upper() + tensor_rule[1:])}.</p>")
        constants = _constants_math(e)
        if constants:
            parts.append(f"<p>{_h(constants)}.</p>")
        rows = [
            [step.node if i == 0 else "", _upstream_math(e, step) if i == 0 else "", c.target,
             _contribution_math(step, c)]
            for step in e.backward
            for i, c in enumerate(step.contributions)
        ]  # fmt: skip
        parts.append(_table(["node", "gradient in", "to", "contribution"], rows))
        for gradient in e.gradients:
            rule = _chain_rule(e, gradient)
            parts.append(f"<h5>Chain rule for <code>{_h(gradient.name)}</code></h5><ul>")
            parts.extend(
                f"<li><code>{_h(route)}</code>: <code>{_h(math)}</code>"
                + (f" <i>by function:</i> <code>{_h(layers)}</code>" if layers else "")
                + "</li>"
                for route, math, layers in rule.paths
            )
            if rule.total:
                parts.append(f"<li>{_h(rule.total)}</li>")
            parts.append(f'</ul><p class="grad">{_h(rule.gradient)}</p>')
            if rule.checks:
                parts.append(f"<p>Check: {_h(rule.checks)}</p>")
    if e.notes:
        parts.append("<h5>Notes</h5><ul>")
        parts.extend(f"<li>{_h(note)}</li>" for note in e.notes)
        parts.append("</ul>")
    parts.append("</div>")
    return "".join(parts)
