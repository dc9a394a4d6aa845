"""Forward mode: tangents pushed through a recorded graph with each op's ``jvp`` rule.

Where reverse mode asks "how does the output depend on every input?", forward mode asks "how
does every value change when the inputs move along ``t``?": each node multiplies the tangents
of its inputs by its local derivative, oldest node first.

    >>> import chainrule as cr
    >>> x = cr.tensor([1.0, 2.0], requires_grad=True)
    >>> y = x * x
    >>> (t,) = forward_tangents([y], [x], [cr.ones(2)])
    >>> t                                  # J v = 2 x
    array([2., 4.], dtype=float32)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chainrule import graph
from chainrule._array import xp
from chainrule.ops import views
from chainrule.tensor import Tensor


def forward_tangents(
    outputs: Sequence[Tensor], inputs: Sequence[Tensor], tangents: Sequence[Any]
) -> list[Any]:
    """The directional derivatives of ``outputs`` when ``inputs`` move along ``tangents``.

    The graph must have been recorded (inputs require grad) and not freed. Outputs that do not
    depend on the inputs get zero tangents.
    """
    for y in outputs:
        views.sync(y)  # a view whose base changed in place: its new history
    by_leaf = {
        id(x): (t._data if isinstance(t, Tensor) else xp.asarray(t))
        for x, t in zip(inputs, tangents, strict=True)
    }
    nodes = graph.ancestors(y.grad_fn for y in outputs)
    by_node: dict[Any, Any] = {}
    for node in nodes:
        node.check_saved()
        node_tangents = tuple(_tangent_of(x, node, by_leaf, by_node) for x in node.inputs)
        if all(t is None for t in node_tangents):
            continue
        t = node.jvp(node_tangents, node.out, *node.args)
        if t.shape != node.out.shape:  # a broadcast input: its tangent spreads the same way
            t = xp.broadcast_to(t, node.out.shape)
        by_node[node] = t
    results = []
    for y in outputs:
        t = _tangent_of(y, None, by_leaf, by_node)
        results.append(xp.zeros_like(y._data) if t is None else t)
    return results


def _tangent_of(x: Any, user: Any, by_leaf: dict[int, Any], by_node: dict[Any, Any]) -> Any:
    """The tangent of ``x`` as ``user`` read it (before any later in-place change of ``x``)."""
    if not isinstance(x, Tensor):
        return None
    if id(x) in by_leaf:
        return by_leaf[id(x)]
    parent = x.grad_fn if user is None else graph.parent(x, user)
    return by_node.get(parent) if parent is not None else None
