"""The one walk over the recorded graph, shared by every reader.

A node's inputs are Tensors; the node that produced the value a node read is the input's
``grad_fn`` as it was then (an in-place change gives the tensor a newer ``grad_fn``, which
links back through ``replaced``): :func:`parent`. Nodes are numbered in creation order
(``seq``), and a node's parents are always older, so sorting by ``seq`` is a topological
order: :func:`ancestors` returns the nodes behind some outputs, oldest first, without
recursion. The reverse pass (:mod:`chainrule.autodiff.backward`) prunes with
:func:`leading_to`; the explainer and the module grouping read :func:`ancestors` (forward
mode needs no walk: tangents ride through ``Op.__call__``).

    >>> import chainrule as cr
    >>> x = cr.tensor(2.0, requires_grad=True)
    >>> y = (x * 3).exp()
    >>> [node.name() for node in ancestors([y.grad_fn])]
    ['MulBackward0', 'ExpBackward0']
"""

from __future__ import annotations

import weakref
from collections.abc import Container, Iterable, Iterator
from operator import attrgetter
from typing import Any

from chainrule.tensor import Tensor

_by_sequence = attrgetter("seq")
# The step behind each result that carries no gradient but was computed from values that do,
# by the result's id, with a weak reference that drops the entry when the result dies: kept
# beside the tensors, not in a slot that every Tensor would pay for.
_sources: dict[int, tuple[Any, Any]] = {}


def parent(x: Tensor, user: Any) -> Any:
    """The node that produced the value of ``x`` that ``user`` read (None for a leaf).

    An in-place change gives ``x`` a newer ``grad_fn``; nodes that read ``x`` before the change
    see the history it had then, reached through ``replaced``. So do nodes that read ``x``
    before ``x.detach_()`` cut it from its history (see :func:`cut`).
    """
    node = x._grad_fn
    if node is None and _cut:
        entry = _cut.get(id(x))
        if entry is None or entry[2] < user.seq:
            return None
        node = entry[1]
    while node is not None and node.seq > user.seq:
        node = node.replaced
    return node


# Tensors cut from their history in place (``detach_``), by id while they live: the node that
# had made each, and the sequence number of the cut, past every node that read it before.
_cut: dict[int, tuple[Any, Any, int]] = {}


def cut(x: Tensor, sequence: int) -> None:
    """``x.detach_()`` at ``sequence`` (a node number no node before has): ``x`` is a leaf
    from now on, but the nodes that read it before keep the history it had, as in PyTorch,
    where the graph's edges are the nodes', not the tensor's."""
    if x._grad_fn is not None:
        key = id(x)
        # (the dict bound now: at interpreter exit the module's globals may be None already)
        forget = lambda _, key=key, cut=_cut: cut.pop(key, None)  # noqa: E731
        _cut[key] = (weakref.ref(x, forget), x._grad_fn, sequence)


def parents(node: Any) -> Iterator[Any]:
    """The nodes whose outputs ``node`` read (each once per input that has one)."""
    for x in node.inputs:
        if isinstance(x, Tensor):
            found = parent(x, node)
            if found is not None:
                yield found


def ancestors(roots: Iterable[Any], stop: Container[int] = ()) -> list[Any]:
    """``roots`` and every node behind them, oldest first; the walk does not pass nodes whose
    ``id`` is in ``stop`` (nor include them)."""
    found = {id(node): node for node in roots if node is not None and id(node) not in stop}
    stack = list(found.values())
    while stack:
        for node in parents(stack.pop()):
            if id(node) not in found and id(node) not in stop:
                found[id(node)] = node
                stack.append(node)
    return sorted(found.values(), key=_by_sequence)


def source(x: Tensor) -> Any:
    """The step that computed ``x`` when ``x`` carries no gradient but was computed from values
    that do (a comparison, arg-max indices: see :class:`chainrule.op.Constant`), else None."""
    entry = _sources.get(id(x))
    return entry[1] if entry is not None else None


def keep_source(x: Tensor, step: Any) -> None:
    """Remember ``step`` as the source of ``x`` while ``x`` lives (``op.Constant`` calls it)."""
    key, sources = id(x), _sources  # the dict itself: at exit the module's names are gone
    sources[key] = (weakref.ref(x, lambda _, key=key: sources.pop(key, None)), step)


def steps(roots: Iterable[Any], stop: Container[int] = ()) -> list[Any]:
    """Every step behind ``roots``, oldest first: the nodes of :func:`ancestors` and the steps
    that carry no gradient but feed them (the comparison behind a ``where``, the indices behind
    a ``max``, a dropout mask), with their own history. The reverse pass never needs these;
    readers that show a computation do. As in :func:`ancestors`, the walk does not pass steps
    whose ``id`` is in ``stop``.

        >>> import chainrule as cr
        >>> x = cr.tensor([1.0, -1.0], requires_grad=True)
        >>> y = cr.where(x > 0, x, 0.0)
        >>> [type(node).__name__ for node in steps([y.grad_fn])]
        ['Compare', 'Where']
    """
    found: list[Any] = []
    passed = set(stop)  # ids of the steps found, and of those not to pass
    todo = [node for node in roots if node is not None]
    while todo:
        new = ancestors(todo, stop=passed)
        found += new
        passed.update(id(node) for node in new)
        feeding = {id(s): s for node in new for x in node.inputs if (s := _source_of(x))}
        todo = [step for key, step in feeding.items() if key not in passed]
    return sorted(found, key=_by_sequence)


def _source_of(x: Any) -> Any:
    return source(x) if isinstance(x, Tensor) else None


def leading_to(nodes: list[Any], target_ids: Container[int]) -> set[Any]:
    """Of ``nodes`` (oldest first, as :func:`ancestors` gives), those that read a target
    tensor (by ``id``) or the output of a node that does: the part of the graph a gradient
    with respect to the targets must pass through."""
    leading: set[Any] = set()
    for node in nodes:  # oldest first: a node's parents are decided before it
        for x in node.inputs:
            if isinstance(x, Tensor) and (id(x) in target_ids or parent(x, node) in leading):
                leading.add(node)
                break
    return leading
