"""An explanation as JSON: the stable schema that the web page and the tests read.

Schema ``chainrule.explain/1`` (keys always present; ``V`` is an array value: a number for a
scalar, nested lists otherwise, and the strings ``"nan"``, ``"inf"``, ``"-inf"`` where JSON has
no number)::

    {
      "schema": "chainrule.explain/1",
      "source": str | null,                  # the expression, when one was explained
      "differentiated": bool,                # false: a picture of values only, no backward
      "output": {"name": str, "shape": [int], "value": V},
      "values": [                            # inputs, parameters and constants
        {"name": str, "kind": "input" | "parameter" | "constant",
         "shape": [int], "dtype": str, "value": V}],
      "forward": [                           # one per op, in the order they ran; named as
                                             # the user named it (f = ..., f(x) = ...), else u1...
        {"name": "u1", "op": "Pow", "node": "PowBackward0", "notation": "a ** b",
         "expression": "x ** 2", "inputs": [str], "shape": [int], "dtype": str, "value": V,
         "labels": ["f(x)"], "layer": "f" | null, "module": str | null,
         "constant": bool}],                 # true: a step without gradient (x > 0, a
                                             # dropout mask), a constant for the chain rule
      "backward": [                          # one per rule application, in the engine's order
        {"node": "u1", "op": "Pow", "rule": str, "elementwise": bool,
         "upstream": V, "upstream_shape": [int],
         "upstream_terms": [Contribution],   # where the value fans out: what added up
         "contributions": [Contribution]}],
      "gradients": [                         # one per input and parameter
        {"name": str, "kind": str, "shape": [int], "value": V,
         "gradient": V | null,               # null: the output does not depend on it
         "terms": [Contribution],            # what added up to the gradient
         "paths": [Path], "path_count": int, "paths_truncated": bool,
         "checks": {"finite_difference": V | null, "symbolic": str | null,
                    "symbolic_value": V | null}}],
      "notes": [str]
    }

    Contribution = {"from": str, "to": str, "position": int, "parameter": str,
                    "symbol": "∂u1/∂x", "formula": str, "local": V | null,
                    "raw_shape": [int], "shape": [int], "value": V, "broadcast": bool}
    Path = {"nodes": [str],                  # output first, the input last
            "edges": [{"from": str, "to": str, "position": int, "symbol": str,
                       "formula": str, "local": V | null}],
            "value": V,                      # the product along the path
            "layers": [{"of": str, "wrt": str, "value": V | null}]}

``local`` is null where the op is not elementwise: its contribution is J^T v, computed by the
op's vjp rule. New keys may be added; existing ones keep their meaning within a schema version.

    >>> import chainrule as cr
    >>> data = to_dict(cr.explain("(x + 2)**2", x=3, symbolic=False))
    >>> data["gradients"][0]["gradient"], data["forward"][1]["expression"]
    (10.0, 'u1 ** 2')
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from chainrule.tools.format import jsonable

if TYPE_CHECKING:
    from chainrule.tools.explain import Contribution, Explanation, LocalDerivative, Path

SCHEMA = "chainrule.explain/1"


def _shape(value: Any) -> list[int]:
    return [int(d) for d in value.shape]


def _edge(local: LocalDerivative) -> dict[str, Any]:
    return {
        "from": local.node,
        "to": local.input,
        "position": local.position,
        "symbol": local.symbol,
        "formula": local.formula,
        "local": jsonable(local.value),
    }


def _contribution(c: Contribution) -> dict[str, Any]:
    return {
        **_edge(c.local),
        "parameter": c.local.parameter,
        "raw_shape": _shape(c.raw),
        "shape": _shape(c.value),
        "value": jsonable(c.value),
        "broadcast": c.broadcast,
    }


def _path(path: Path) -> dict[str, Any]:
    return {
        "nodes": list(path.nodes),
        "edges": [_edge(edge) for edge in path.edges],
        "value": jsonable(path.value),
        "layers": [
            {"of": layer.of, "wrt": layer.wrt, "value": jsonable(layer.value)}
            for layer in path.layers
        ],
    }


def to_dict(explanation: Explanation) -> dict[str, Any]:
    """The explanation as plain JSON-ready data (see the module docstring for the schema)."""
    e = explanation
    return {
        "schema": SCHEMA,
        "source": e.source,
        "differentiated": e.differentiated,
        "output": {
            "name": e.output,
            "shape": _shape(e.output_value),
            "value": jsonable(e.output_value),
        },
        "values": [
            {
                "name": v.name,
                "kind": v.kind,
                "shape": _shape(v.value),
                "dtype": str(v.value.dtype),
                "value": jsonable(v.value),
            }
            for v in e.values
        ],  # fmt: skip
        "forward": [
            {
                "name": s.name,
                "op": s.op,
                "node": s.node,
                "notation": s.notation,
                "expression": s.expression,
                "inputs": list(s.inputs),
                "shape": _shape(s.value),
                "dtype": str(s.value.dtype),
                "value": jsonable(s.value),
                "labels": list(s.labels),
                "layer": s.layer,
                "module": s.module,
                "constant": s.constant,
            }
            for s in e.forward
        ],
        "backward": [
            {
                "node": b.node,
                "op": b.op,
                "rule": b.rule,
                "elementwise": b.elementwise,
                "upstream": jsonable(b.upstream),
                "upstream_shape": _shape(b.upstream),
                "upstream_terms": [_contribution(c) for c in b.upstream_terms],
                "contributions": [_contribution(c) for c in b.contributions],
            }
            for b in e.backward
        ],
        "gradients": [
            {
                "name": g.name,
                "kind": g.kind,
                "shape": _shape(g.value),
                "value": jsonable(g.value),
                "gradient": jsonable(g.gradient),
                "terms": [_contribution(c) for c in g.terms],
                "paths": [_path(p) for p in g.paths],
                "path_count": g.path_count,
                "paths_truncated": g.paths_truncated,
                "checks": {
                    "finite_difference": jsonable(g.finite_difference),
                    "symbolic": g.symbolic,
                    "symbolic_value": jsonable(g.symbolic_value),
                },
            }
            for g in e.gradients
        ],
        "notes": list(e.notes),
    }


def to_json(explanation: Explanation, indent: int | None = 2) -> str:
    """:func:`to_dict` as JSON text; non-ASCII (∂) kept as is."""
    return json.dumps(to_dict(explanation), indent=indent, ensure_ascii=False)
