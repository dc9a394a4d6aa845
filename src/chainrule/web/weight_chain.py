"""One weight's gradient as its chain of local derivatives, read off an explanation's JSON.

For the weight ``W[row, col]`` of a Linear op ``z = x @ W^T + b`` (one training example), the
chain rule gives ``∂L/∂W[row, col] = ∂L/∂z[row] · x[col]``, and ``∂L/∂z[row]`` is the product
of the local derivatives met on the way up from ``z[row]`` (an activation's ``σ'(z)``, a
reshape's 1, the loss's ``∂L/∂logit``) as far as the value is used once, elementwise. Where the
value feeds several ops (a residual connection) or a matrix op (the next layer), its gradient
is the sum the engine collected there, listed term by term. Every number comes from the
explanation (the engine's own backward pass); this module only picks them and multiplies,
and checks that the product is the gradient the engine computed.

    >>> import chainrule as cr
    >>> layer = cr.nn.Linear(2, 1)
    >>> data = cr.explain(lambda x: cr.tanh(layer(x)).sum(), cr.ones(1, 2), modules=layer,
    ...                   finite_differences=False).to_dict()
    >>> chain = weight_chain(data, "weight", 0, 1)
    >>> [factor["symbol"] for factor in chain["factors"]]
    ['∂u3/∂u2[0]', '∂u2/∂u1[0]', '∂u1/∂weight[0,1]']
    >>> abs(chain["product"] - chain["gradient"]) < 1e-6
    True
"""

from __future__ import annotations

import math
from typing import Any

from chainrule._array import xp as np


class ChainError(ValueError):
    """The weight asked for is not one this module can follow."""


def weight_chain(explanation: dict[str, Any], parameter: str, row: int, col: int) -> dict[str, Any]:
    """``{"parameter", "row", "col", "factors": [{symbol, op, formula, value}], "nodes",
    "upstream": {symbol, value, terms} | None, "product", "gradient", "agrees"}``, loss side
    first; ``nodes`` are the values the chain passes through."""
    gradients = {g["name"]: g for g in explanation["gradients"]}
    if parameter not in gradients:
        raise ChainError(f"no parameter {parameter!r} (parameters: {', '.join(gradients)})")
    shape = gradients[parameter]["shape"]
    if len(shape) != 2 or not (0 <= row < shape[0] and 0 <= col < shape[1]):
        raise ChainError(f"{parameter} has shape {shape}: no weight [{row}, {col}] in it")
    forward = {step["name"]: step for step in explanation["forward"]}
    backward = {step["node"]: step for step in explanation["backward"]}
    values = {v["name"]: v["value"] for v in explanation["values"]}
    values.update({name: step["value"] for name, step in forward.items()})
    users = [s for s in explanation["forward"] if parameter in s["inputs"]]
    if len(users) != 1 or users[0]["op"] != "Linear" or users[0]["inputs"][1] != parameter:
        raise ChainError(f"{parameter} is not the weight of one Linear layer")
    linear = users[0]
    x = _flat(values[linear["inputs"][0]])
    # Bottom up: z[row] = ... + W[row, col] x[col], then each op that uses the value once.
    factors = [_factor(f"∂{linear['name']}/∂{parameter}[{row},{col}]", "Linear",
                       f"{linear['inputs'][0]}[{col}]", x[col])]  # fmt: skip
    node, index = linear["name"], row
    nodes = [parameter, node]  # the values the chain passes through, bottom up
    while node != explanation["output"]["name"]:
        consumers = [
            (step, c) for step in explanation["backward"] for c in step["contributions"]
            if c["to"] == node
        ]  # fmt: skip
        size = len(_flat(values[node]))
        if len(consumers) != 1 or consumers[0][1]["local"] is None:
            break
        step, contribution = consumers[0]
        local = _flat(contribution["local"])
        out_size = len(_flat(values[step["node"]]))
        if len(local) != size or out_size not in (size, 1):
            break
        factors.append(_factor(f"∂{step['node']}/∂{node}[{index}]", step["op"],
                               contribution["formula"], local[index]))  # fmt: skip
        node, index = step["node"], (index if out_size == size else 0)
        nodes.append(node)
    upstream = None
    if node != explanation["output"]["name"]:  # ∂L/∂node[index]: what the engine summed there
        step = backward[node]
        value = _flat(step["upstream"])[index]
        upstream = {
            "symbol": f"∂{explanation['output']['name']}/∂{node}[{index}]",
            "value": value,
            "terms": _terms(explanation, node, index, forward, values),
        }
        factors.append(_factor(upstream["symbol"], "sum", "the engine's upstream gradient", value))
    factors.reverse()
    nodes.reverse()
    product = math.prod(f["value"] for f in factors)
    gradient = float(np.asarray(gradients[parameter]["gradient"], dtype=np.float64)[row, col])
    tight = _dtype(explanation, parameter) == "float64"
    agrees = math.isclose(product, gradient, rel_tol=1e-9 if tight else 1e-4, abs_tol=1e-12)
    return {
        "parameter": parameter, "row": row, "col": col, "factors": factors, "nodes": nodes,
        "upstream": upstream, "product": product, "gradient": gradient, "agrees": agrees,
    }  # fmt: skip


def _dtype(explanation: dict[str, Any], name: str) -> str:
    """The dtype of the value ``name`` (float32 for the Train page's networks)."""
    return next(v["dtype"] for v in explanation["values"] if v["name"] == name)


def _terms(
    explanation: dict[str, Any],
    node: str,
    index: int,
    forward: dict[str, Any],
    values: dict[str, Any],
) -> list[dict[str, Any]]:
    """The terms of ``∂L/∂node[index]``: one per op that used the value, and for a Linear op
    (the next layer) one per neuron it feeds, ``∂L/∂z[k] · W[k, index]``."""
    terms = []
    loss = explanation["output"]["name"]
    for step in explanation["backward"]:
        for c in step["contributions"]:
            if c["to"] != node:
                continue
            user = forward[step["node"]]
            if user["op"] == "Linear" and c["position"] == 0:
                delta = _flat(step["upstream"])
                weight = np.asarray(values[user["inputs"][1]], dtype=np.float64)
                name = user["inputs"][1]
                for k, d in enumerate(delta):
                    terms.append({
                        "symbol": f"∂{loss}/∂{step['node']}[{k}] · {name}[{k},{index}]",
                        "value": d * float(weight[k, index]),
                    })  # fmt: skip
            else:
                terms.append({"symbol": f"from {step['node']} ({step['op']})",
                              "value": _flat(c["value"])[index]})  # fmt: skip
    return terms


def _factor(symbol: str, op: str, formula: str, value: float) -> dict[str, Any]:
    return {"symbol": symbol, "op": op, "formula": formula, "value": float(value)}


def _flat(value: Any) -> list[float]:
    """A JSON value (number, nested lists, "nan") as a flat list of floats."""
    return [float(v) for v in np.asarray(value, dtype=np.float64).reshape(-1)]
