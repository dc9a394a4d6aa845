"""A layered left-to-right layout of an explanation's graph, for the web page's SVG.

Read from the explanation's JSON data (schema ``chainrule.explain/1``), so an explanation saved
by ``chainrule explain --format json`` is laid out the same as one computed by the server.
Each op stands one column right of its rightmost input, each input or parameter just left of
its first user (so a network's weights stand beside their layer); within a column, nodes are
ordered by the mean row of their neighbours (the barycentre heuristic), which keeps edges short
and seldom crossing. Pure Python: no Graphviz needed.

    >>> import chainrule as cr
    >>> graph = layout(cr.explain("(x + 2)**2", x=3, symbolic=False).to_dict())
    >>> [(node["id"], node["column"]) for node in graph["nodes"]]
    [('x', 0), ('u1', 1), ('u2', 2)]
    >>> graph["edges"]
    [{'from': 'x', 'to': 'u1'}, {'from': 'u1', 'to': 'u2'}]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chainrule.tools.viz import MAX_DRAWN_OPS

NODE_WIDTH = 150
NODE_HEIGHT = 54
COLUMN_GAP = 60
ROW_GAP = 24
_SWEEPS = 4


class LayoutError(ValueError):
    """The data is not an explanation that can be drawn."""


def layout(explanation: Mapping[str, Any]) -> dict[str, Any]:
    """Positions (top-left corners, in SVG user units) for every value and op of ``explanation``.

    Returns ``{"nodes": [{"id", "kind", "column", "row", "x", "y"}], "edges": [{"from", "to"}],
    "width", "height", "node_width", "node_height"}``; ``kind`` is the value's kind (``input``,
    ``parameter``) or ``op``. Raises :class:`LayoutError` for malformed data or more than
    ``MAX_DRAWN_OPS`` ops.
    """
    values, forward = _nodes_of(explanation)
    kinds = {name: kind for name, kind in values}
    columns: dict[str, int] = dict.fromkeys(kinds, 0)
    edges: list[dict[str, str]] = []
    for name, inputs in forward:
        if name in columns:
            raise LayoutError(f"the name {name!r} is used twice")
        sources = [i for i in dict.fromkeys(inputs) if i in columns]  # constants are not nodes
        columns[name] = 1 + max((columns[s] for s in sources), default=-1)
        kinds[name] = "op"
        edges.extend({"from": s, "to": name} for s in sources)
    for name in [n for n, kind in kinds.items() if kind != "op"]:
        # A value stands just left of its first user: a network's weights beside their layer.
        users = [columns[e["to"]] for e in edges if e["from"] == name]
        columns[name] = max(min(users, default=1) - 1, 0)
    rows = _order(columns, edges)
    height_rows = max((len(r) for r in rows), default=0)
    placed = []
    for column, names in enumerate(rows):
        # Centre each column on the tallest one.
        offset = (height_rows - len(names)) * (NODE_HEIGHT + ROW_GAP) / 2
        for row, name in enumerate(names):
            placed.append({
                "id": name,
                "kind": kinds[name],
                "column": column,
                "row": row,
                "x": column * (NODE_WIDTH + COLUMN_GAP),
                "y": round(offset + row * (NODE_HEIGHT + ROW_GAP)),
            })  # fmt: skip
    order = {name: i for i, name in enumerate(columns)}
    placed.sort(key=lambda node: order[node["id"]])
    return {
        "nodes": placed,
        "edges": edges,
        "width": max(len(rows) * (NODE_WIDTH + COLUMN_GAP) - COLUMN_GAP, 0),
        "height": max(height_rows * (NODE_HEIGHT + ROW_GAP) - ROW_GAP, 0),
        "node_width": NODE_WIDTH,
        "node_height": NODE_HEIGHT,
    }


def with_layout(explanation: Mapping[str, Any]) -> dict[str, Any]:
    """``{"explanation": explanation, "layout": layout(explanation)}``, the layout None where
    the graph is too large to draw: the page still steps through it, without the picture."""
    try:
        graph = layout(explanation)
    except LayoutError:
        graph = None
    return {"explanation": explanation, "layout": graph}


def _nodes_of(
    explanation: Mapping[str, Any],
) -> tuple[list[tuple[str, str]], list[tuple[str, list[str]]]]:
    """(name, kind) per value and (name, inputs) per op, checked for the types layout needs."""
    if not isinstance(explanation, Mapping):
        raise LayoutError("an explanation is a JSON object")
    values, forward = explanation.get("values"), explanation.get("forward")
    if not isinstance(values, list) or not isinstance(forward, list):
        raise LayoutError("an explanation has lists 'values' and 'forward'")
    if len(forward) > MAX_DRAWN_OPS:
        raise LayoutError(f"too many ops to draw: {len(forward):,} (limit {MAX_DRAWN_OPS})")
    try:
        named = [(str(v["name"]), str(v["kind"])) for v in values]
        ops = [(str(s["name"]), [str(i) for i in s["inputs"]]) for s in forward]
    except (KeyError, TypeError) as error:
        raise LayoutError(f"an explanation's value or op lacks {error}") from None
    return named, ops


def _order(columns: Mapping[str, int], edges: list[dict[str, str]]) -> list[list[str]]:
    """The nodes of each column, top to bottom, after a few barycentre sweeps."""
    rows: list[list[str]] = [[] for _ in range(max(columns.values(), default=-1) + 1)]
    for name, column in columns.items():
        rows[column].append(name)
    neighbours: dict[str, list[str]] = {name: [] for name in columns}
    for edge in edges:
        neighbours[edge["from"]].append(edge["to"])
        neighbours[edge["to"]].append(edge["from"])
    tallest = max((len(names) for names in rows), default=0)
    for sweep in range(_SWEEPS):
        # Alternate left-to-right and right-to-left, each column placed by its neighbours' rows.
        sequence = range(1, len(rows)) if sweep % 2 == 0 else range(len(rows) - 2, -1, -1)
        for column in sequence:
            # Rows as drawn: each column is centred on the tallest.
            position = {
                name: (tallest - len(names)) / 2 + i
                for names in rows
                for i, name in enumerate(names)
            }

            def centre(name: str, position: dict[str, float] = position) -> float:
                rows_of = [position[n] for n in neighbours[name]]
                return sum(rows_of) / len(rows_of) if rows_of else position[name]

            rows[column].sort(key=centre)
    return rows
