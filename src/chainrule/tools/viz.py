"""Pictures of the graph: values, gradients and the local derivative on every edge.

``draw`` returns a ``graphviz.Digraph`` (shown inline in Jupyter): a box per value with its
value and gradient, filled by the gradient's magnitude on a log scale, an ellipse per op, and
each input edge labelled with the op's local derivative. A step that carries no gradient (a
comparison, arg-max indices, a dropout mask) is a dashed grey box, and its edges are dashed:
nothing flows back through them. A model's ops are grouped in one cluster per submodule.
``render`` writes the picture to a file (SVG, PNG, PDF...) atomically; the Digraph's own
``render(path, format="svg")`` works too. Layout needs Graphviz's ``dot`` program
(``apt-get install graphviz``); without it, laying out raises an error that says so.

    >>> import chainrule as cr
    >>> graph = cr.viz.draw(cr.explain("(x + 2)**2", x=3, symbolic=False))
    >>> "x + 2" in graph.source and "grad 10" in graph.source
    True
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from chainrule._array import xp
from chainrule.serialization import atomic_write
from chainrule.tensor import Tensor
from chainrule.tools import format as fmt
from chainrule.tools.explain import Explanation, ForwardStep, explain

__all__ = ["draw", "render"]

#: Graphviz's ColorBrewer scheme for the fill; 1 is the smallest gradient, 9 the largest.
COLOR_SCHEME = "orrd9"
#: Most ops drawn in one picture: dot's layout time grows faster than the graph (about 8 s for
#: 500 ops on one core), and a picture of more is not readable anyway.
MAX_DRAWN_OPS = 300
_LEVELS = 9
_ZERO_FILL = "white"
_NO_GRADIENT_FILL = "#eeeeee"
#: How a step without gradient, its value and its edges are drawn.
_CONSTANT_STYLE = {"style": "dashed", "color": "grey50", "fontcolor": "grey30"}


_NO_DOT = (
    "laying out the graph needs Graphviz's dot program, which is not on PATH: "
    "apt-get install graphviz (or brew install graphviz, or conda install graphviz)"
)


def _graphviz() -> Any:
    try:
        import graphviz
    except ImportError as error:
        raise ImportError(
            "drawing graphs needs the graphviz package: pip install 'chainrule[viz]'"
        ) from error
    return graphviz


@contextmanager
def _dot_needed() -> Iterator[None]:
    """Turn graphviz's "failed to execute PosixPath('dot')" into how to install it."""
    try:
        yield
    except _graphviz().ExecutableNotFound as error:
        raise RuntimeError(_NO_DOT) from error


@functools.cache
def _digraph_class() -> Any:
    """``graphviz.Digraph`` whose layout calls (``render``, ``pipe`` and through it Jupyter's
    inline SVG) say how to install Graphviz when ``dot`` is missing."""

    class Digraph(_graphviz().Digraph):
        def pipe(self, *args: Any, **kwargs: Any) -> Any:
            with _dot_needed():
                return super().pipe(*args, **kwargs)

        def render(self, *args: Any, **kwargs: Any) -> Any:
            with _dot_needed():
                return super().render(*args, **kwargs)

    return Digraph


def _explanation(obj: Any, inputs: Sequence[Any], variables: dict[str, Any]) -> Explanation:
    from chainrule.tools.explain import _Builder, _explain_callable

    if isinstance(obj, Explanation):
        return obj
    if isinstance(obj, str):
        return explain(obj, **variables, symbolic=False)
    if isinstance(obj, Tensor):
        return _Builder(obj, differentiate=None).build()  # values only for a non-scalar
    if callable(obj):
        return _explain_callable(obj, inputs, None, finite_differences=False, differentiate=None)
    raise TypeError(
        f"draw: expected an Explanation, a Tensor, an expression or a function/model, "
        f"not {type(obj).__name__}"
    )


def draw(obj: Any, *inputs: Any, **variables: Any) -> Any:
    """A ``graphviz.Digraph`` of an explanation, of a tensor's recorded graph, of an expression
    (``draw("x**2", x=3)``) or of a function or model run on ``inputs``.

    A model (anything with ``named_modules()``) draws one cluster per submodule. Gradients are
    shown where the output is a scalar; a non-scalar output draws values only.
    """
    _graphviz()
    e = _explanation(obj, inputs, variables)
    if len(e.forward) > MAX_DRAWN_OPS:
        raise ValueError(
            f"draw: the graph has {len(e.forward):,} ops, too many to lay out and read "
            f"(limit {MAX_DRAWN_OPS}); draw a smaller part of the computation"
        )
    gradients = _gradients(e)
    fills = _fills(gradients)
    title = fmt.printable(e.source) if e.source is not None else f"output {e.output}"
    graph = _digraph_class()(
        "chainrule",
        graph_attr={
            "rankdir": "LR",
            "label": _label(title, "fill: |gradient|, log scale"),
            "labelloc": "t",
            "fontname": "Helvetica",
        },
        node_attr={"fontname": "Helvetica", "fontsize": "11"},
        edge_attr={"fontname": "Helvetica", "fontsize": "9"},
    )
    placed: dict[str, list[tuple[str, dict[str, str]]]] = {}  # module -> [(id, attributes)]
    for value in e.values:
        module = _module_of_parameter(value.name, e.forward) if value.kind == "parameter" else ""
        placed.setdefault(module, []).append(
            (_value_id(value.name), _value_node(value.name, value.value, gradients, fills))
        )
    for step in e.forward:
        module = step.module or ""
        placed.setdefault(module, []).append((_op_id(step.name), _op_node(step)))
        placed.setdefault(module, []).append(
            (_value_id(step.name), _value_node(step.name, step.value, gradients, fills, step))
        )
    _add_clusters(graph, placed)
    _add_edges(graph, e)
    return graph


def render(obj: Any, path: str | os.PathLike[str], format: str | None = None) -> Path:  # noqa: A002
    """Write the picture of ``obj`` (anything :func:`draw` takes, or a Digraph) to ``path``.

    ``format`` defaults to the file's suffix (``.svg``, ``.png``, ``.pdf``), else SVG. The file
    is written atomically: a temporary file in the same folder, then renamed.
    """
    graphviz = _graphviz()
    graph = obj if isinstance(obj, graphviz.Digraph) else draw(obj)
    path = Path(path)
    format = format or path.suffix.lstrip(".").lower() or "svg"  # noqa: A001
    with _dot_needed():  # also for a plain graphviz.Digraph
        data = graph.pipe(format=format)
    atomic_write(path, lambda file: file.write(data))
    return path


# ============================================================================== pieces
def _label(*lines: str) -> str:
    r"""Lines for a dot label: backslashes kept literal, lines joined by dot's ``\n``."""
    return "\\n".join(line.replace("\\", "\\\\") for line in lines)


# Node ids: no ':' in them, which dot reads as a port.
def _value_id(name: str) -> str:
    return f"value/{name}"


def _op_id(name: str) -> str:
    return f"op/{name}"


def _short(value: xp.ndarray) -> str:
    """A value small enough for a box: the numbers when few, else shape and range."""
    if value.size <= 4:
        return fmt.array(value)
    finite = value[xp.isfinite(value)] if value.dtype.kind == "f" else value
    if finite.size == 0:
        return f"shape {fmt.shape(value.shape)}, not finite"
    low, high = fmt.number(finite.min()), fmt.number(finite.max())
    return f"shape {fmt.shape(value.shape)}, in [{low}, {high}]"


def _gradients(e: Explanation) -> dict[str, xp.ndarray]:
    """d(output)/d(value) for every value that has one: inputs, and each op's output (the
    gradient that flowed into it)."""
    found: dict[str, xp.ndarray] = {}
    if not e.differentiated:
        return found
    for step in e.backward:
        found[step.node] = step.upstream
    for g in e.gradients:
        if g.gradient is not None:
            found[g.name] = g.gradient
    return found


def _magnitude(gradient: xp.ndarray) -> float:
    with xp.errstate(all="ignore"):
        finite = xp.abs(gradient[xp.isfinite(gradient)])
    return float(finite.max()) if finite.size else 0.0


def _fills(gradients: dict[str, xp.ndarray]) -> dict[str, tuple[str, str]]:
    """(fill colour, font colour) per value: the largest |gradient| on a log scale."""
    magnitudes = {name: _magnitude(g) for name, g in gradients.items()}
    logs = [math.log10(m) for m in magnitudes.values() if m > 0]
    low, high = (min(logs), max(logs)) if logs else (0.0, 0.0)
    fills = {}
    for name, m in magnitudes.items():
        if m == 0:
            fills[name] = (_ZERO_FILL, "black")
            continue
        t = 0.5 if high == low else (math.log10(m) - low) / (high - low)
        level = 1 + round(t * (_LEVELS - 1))
        fills[name] = (f"/{COLOR_SCHEME}/{level}", "white" if level >= 8 else "black")
    return fills


def _value_node(
    name: str,
    value: xp.ndarray,
    gradients: dict[str, xp.ndarray],
    fills: dict[str, tuple[str, str]],
    step: ForwardStep | None = None,
) -> dict[str, str]:
    lines = [name if step is None or not step.labels else f"{name} = {step.labels[-1]}"]
    lines.append(f"value {_short(value)}")
    if name in gradients:
        lines.append(f"grad {_short(gradients[name])}")
    fill, font = fills.get(name, (_NO_GRADIENT_FILL, "black"))
    attributes = {
        "label": _label(*lines),
        "shape": "box",
        "style": "rounded,filled",
        "fillcolor": fill,
        "fontcolor": font,
    }
    if step is not None and step.constant:
        attributes.update(style="rounded,filled,dashed", color="grey50")
    return attributes


def _op_node(step: ForwardStep) -> dict[str, str]:
    """An ellipse per op; a dashed grey box for a step without gradient."""
    if step.constant:
        label = _label(step.op, f"{step.expression} (no gradient)")
        return {"label": label, "shape": "box", **_CONSTANT_STYLE}
    return {"label": _label(step.op, step.expression), "shape": "ellipse"}


def _module_of_parameter(name: str, forward: Sequence[ForwardStep]) -> str:
    """A parameter named ``layer.weight`` belongs in the cluster of module ``layer``."""
    modules = {step.module for step in forward if step.module}
    owner = name.rpartition(".")[0]
    return owner if owner in modules else ""


def _add_clusters(graph: Any, placed: dict[str, list[tuple[str, dict[str, str]]]]) -> None:
    """Nodes of the top-level module in the graph itself, the others in nested clusters."""
    names = {m for m in placed if m}
    for module in list(names):  # every ancestor gets a cluster, so nesting follows the names
        parts = module.split(".")
        names.update(".".join(parts[:i]) for i in range(1, len(parts)))
    children: dict[str, list[str]] = {}
    for module in sorted(names):
        children.setdefault(module.rpartition(".")[0], []).append(module)
    for node_id, attributes in placed.get("", []):
        graph.node(node_id, **attributes)
    counter = iter(range(len(names)))
    for module in children.get("", []):
        graph.subgraph(_cluster(module, placed, children, counter))


def _cluster(
    module: str,
    placed: dict[str, list[tuple[str, dict[str, str]]]],
    children: dict[str, list[str]],
    counter: Any,
) -> Any:
    cluster = _digraph_class()(name=f"cluster_{next(counter)}")  # same class: graphviz checks
    cluster.attr(label=module, style="rounded,dashed", color="grey40", fontname="Helvetica")
    for node_id, attributes in placed.get(module, []):
        cluster.node(node_id, **attributes)
    for child in children.get(module, []):
        cluster.subgraph(_cluster(child, placed, children, counter))
    return cluster


def _add_edges(graph: Any, e: Explanation) -> None:
    locals_ = {}
    for step in e.backward:
        for c in step.contributions:
            locals_[(c.local.node, c.local.position)] = c.local
    known = {v.name for v in e.values} | {s.name for s in e.forward}
    constants = {s.name for s in e.forward if s.constant}
    for step in e.forward:
        # No gradient flows along an edge into or out of a step without one: dashed.
        dashed = _CONSTANT_STYLE if step.constant else {}
        for position, name in enumerate(step.inputs):
            if name in known:
                source = _value_id(name)
            else:  # a number: a small node of its own, so the picture matches the formula
                source = f"const/{step.name}/{position}"
                graph.node(source, label=_label(name), shape="plaintext", fontcolor="grey30")
            local = locals_.get((step.name, position))
            label = {}
            if local is not None:
                text = f"{local.symbol} = {local.formula}"
                if local.value is not None and local.value.size == 1:
                    value = fmt.array(local.value.reshape(()))
                    text = text if value == local.formula else f"{text} = {value}"
                label = {"label": _label(text)}
            style = _CONSTANT_STYLE if name in constants else dashed
            graph.edge(source, _op_id(step.name), **label, **style)
        graph.edge(_op_id(step.name), _value_id(step.name), **dashed)
