"""``cr.autograd.graph``: the recorded graph's nodes and edges under PyTorch's names.

The nodes are the applied ops themselves (``chainrule.op.Op``), the ``AccumulateGrad`` of a
leaf and the ``Presented`` nodes that ``next_functions`` shows: :class:`Node` counts them all
as its own by registration, so ``isinstance(y.grad_fn, Node)`` holds without a base class
that every op would carry.

    >>> import chainrule as cr
    >>> from chainrule.autograd.graph import Node
    >>> y = cr.ones(2, requires_grad=True).clone()
    >>> isinstance(y.grad_fn, Node), y.grad_fn.name()
    (True, 'CloneBackward0')
"""

from __future__ import annotations

import abc
from collections.abc import Iterable
from typing import Any, NamedTuple

from chainrule.op import AccumulateGrad, Op, Presented
from chainrule.tensor import Tensor


class Node(abc.ABC):
    """A node of the recorded graph, as PyTorch's ``torch.autograd.graph.Node``: what
    ``grad_fn`` and ``next_functions`` hold. Every node has ``name()`` and
    ``next_functions``; hooks are registered on tensors (``register_hook``)."""

    @abc.abstractmethod
    def name(self) -> str:
        """PyTorch's name for the node, e.g. ``MulBackward0``."""

    @property
    @abc.abstractmethod
    def next_functions(self) -> tuple[tuple[Any, int], ...]:
        """The nodes feeding this one, ``(node, output_nr)`` per input."""


for _kind in (Op, AccumulateGrad, Presented):
    Node.register(_kind)


class GradientEdge(NamedTuple):
    """Where the gradient of one tensor is computed: a node and which of its outputs
    (``get_gradient_edge``). chainrule's ``ownership_token`` is the tensor itself, which keeps
    the graph alive as PyTorch's token does and lets ``cr.autograd.grad`` take the edge in its
    place."""

    node: Any
    output_nr: int
    ownership_token: Any = None


def get_gradient_edge(tensor: Tensor) -> GradientEdge:
    """The edge where ``tensor``'s gradient is computed: its ``grad_fn``, or its
    ``AccumulateGrad`` for a leaf. ``cr.autograd.grad(loss, edge)`` is
    ``cr.autograd.grad(loss, tensor)``, as in PyTorch.

    >>> import chainrule as cr
    >>> x = cr.tensor([1.0, 2.0], requires_grad=True)
    >>> y = x * 3
    >>> edge = get_gradient_edge(y)
    >>> edge.node.name(), edge.output_nr
    ('MulBackward0', 0)
    >>> cr.autograd.grad((y * y).sum(), edge)
    (tensor([ 6., 12.]),)
    """
    if not tensor.requires_grad:
        raise RuntimeError(
            "It is not possible to get the gradient edge for a Tensor that does not require "
            "gradients"
        )
    node = tensor.grad_fn or AccumulateGrad.of(tensor)
    return GradientEdge(node, 0, tensor)


def edge_tensor(edge: GradientEdge) -> Tensor:
    """The tensor whose gradient ``edge`` stands for (``cr.autograd.grad`` reads it)."""
    if isinstance(edge.ownership_token, Tensor):
        return edge.ownership_token
    if isinstance(edge.node, AccumulateGrad):
        return edge.node.variable
    raise NotImplementedError(
        "chainrule: a GradientEdge to a computed tensor's node is differentiated through its "
        "tensor; make the edge with get_gradient_edge(tensor)"
    )


def increment_version(tensor: Tensor | Iterable[Tensor]) -> None:
    """Count an in-place change made behind chainrule's back (writing to ``.numpy()``'s
    array): a node that saved the tensor then refuses to run backward, as in PyTorch.

    >>> import chainrule as cr
    >>> w = cr.ones(2, requires_grad=True)
    >>> a = cr.ones(2)
    >>> y = a * w                       # the gradient of w reads a
    >>> increment_version(a)
    >>> a._version
    1
    >>> y.sum().backward()  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    RuntimeError: one of the variables needed for gradient computation has been modified by \
an inplace operation: ...
    """
    for t in (tensor,) if isinstance(tensor, Tensor) else tensor:
        t._vc[0] += 1


__all__ = ["GradientEdge", "Node", "get_gradient_edge", "increment_version"]
