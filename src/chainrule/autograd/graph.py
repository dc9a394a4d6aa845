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
import contextlib
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, NamedTuple

from chainrule import graph, op
from chainrule._array import xp
from chainrule.autodiff import backward as backward_module
from chainrule.op import AccumulateGrad, Op, Presented
from chainrule.tensor import RemovableHandle, Tensor


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


class saved_tensors_hooks:  # noqa: N801 - PyTorch's name
    """Inside the block, ``pack_hook(tensor)`` runs for each value an op saves for backward,
    and ``unpack_hook(packed)`` when backward reads it, as in PyTorch; only the innermost
    pair applies.

    The values saved are the ones PyTorch saves, told by the same guards that catch a value
    changed in place before backward: ``a * b`` saves both factors (the one whose gradient is
    not needed, not), ``exp``, ``tanh``, ``relu`` and ``sigmoid`` their result, ``sin`` its
    input, ``a + b`` and ``sum`` nothing (PyTorch packs ``mul``'s and ``div``'s second factor
    first, chainrule in the inputs' order). A custom ``Function`` packs its tensor inputs
    (PyTorch: what ``ctx.save_for_backward`` was given).

    chainrule's rules read the saved values themselves, which the graph keeps, so packing
    frees no memory, and ``unpack_hook`` must give the values back unchanged (checked: a
    RuntimeError where they differ, where PyTorch would compute with the changed ones). The
    packed objects live as long as the node does. Recording pays one list test per op.

    >>> import chainrule as cr
    >>> a = cr.ones(3, requires_grad=True)
    >>> seen = []
    >>> with saved_tensors_hooks(lambda t: seen.append("pack") or t,
    ...                          lambda t: seen.append("unpack") or t):
    ...     y = (a * 2).exp()
    >>> y.sum().backward()
    >>> seen
    ['pack', 'unpack']
    """

    def __init__(
        self, pack_hook: Callable[[Tensor], Any], unpack_hook: Callable[[Any], Tensor]
    ) -> None:
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self) -> None:
        if _blocks.disabled:
            raise RuntimeError(_blocks.disabled[-1])
        _blocks.open.append(self)
        _open_anywhere.append(self)
        op.repack()  # (op's packing path checks it)

    def __exit__(self, *exc: object) -> None:
        _blocks.open.pop()
        _open_anywhere.remove(self)
        op.repack()


class _Blocks(threading.local):
    """The calling thread's open ``saved_tensors_hooks`` and ``disable_saved_tensors_hooks``
    blocks, innermost last: PyTorch keeps them per thread, so another thread's hooks never
    pack this thread's values, nor does its ``disable_saved_tensors_hooks`` refuse them."""

    def __init__(self) -> None:
        self.open: list[saved_tensors_hooks] = []
        self.disabled: list[str] = []  # the blocks' messages


_blocks = _Blocks()
#: Every thread's open ``saved_tensors_hooks`` blocks: empty unless one is open somewhere,
#: so the recording of a node asks its thread (:data:`_blocks`) only then.
_open_anywhere: list[saved_tensors_hooks] = []


def pack(node: Op, result: Tensor) -> None:
    """Pack what ``node``'s rules will read with the innermost pair of hooks; ``Op.__call__``
    calls it as it records ``node`` (whose output is ``result``) inside a
    ``saved_tensors_hooks`` block. The node unpacks them when backward reaches it."""
    saved = _saved(node, result)
    if saved:
        hooks = _blocks.open[-1]
        packed = [(hooks.pack_hook(t), array) for t, array in saved]
        node._hooks = [_Unpack(hooks.unpack_hook, packed)]


def _saved(node: Op, result: Tensor) -> list[tuple[Tensor, Any]]:
    """The Tensors ``node``'s rules read, each with the array they read: the inputs and the
    output that recording guards against a change in place (see ``Op.__call__``)."""
    guard = node.out_versions
    counters = [counter for counter, stamp in node.versions if (counter, stamp) is not guard]
    saved = [
        (x, array)
        for x, array in zip(node.inputs, node.args, strict=True)
        if isinstance(x, Tensor) and any(c is x._vc for c in counters)
    ]
    if guard is not None:
        saved.append((result, node.out))
    return saved


class _Unpack:
    """A node's gradient hook that unpacks its saved values when backward reaches the node and
    checks that they are the values its rules read; it leaves the gradient as it is."""

    def __init__(self, unpack_hook: Callable[[Any], Tensor], packed: list[tuple[Any, Any]]):
        self.unpack_hook = unpack_hook
        self.packed = packed

    def __call__(self, grad: Tensor) -> None:
        for packed, array in self.packed:
            value = self.unpack(packed)._data
            if value is not array and not (
                value.shape == array.shape
                and xp.array_equal(value, array, equal_nan=array.dtype.kind == "f")
            ):
                raise RuntimeError(
                    "unpack_hook returned other values than the saved tensor's: chainrule's "
                    "rules read the saved values themselves, so a pair of hooks that changes "
                    "them is not supported"
                )

    def unpack(self, packed: Any) -> Tensor:
        """``unpack_hook(packed)``, refused unless a Tensor, as PyTorch refuses it."""
        t = self.unpack_hook(packed)
        if not isinstance(t, Tensor):
            raise TypeError(
                "Output of saved tensor unpack_hook expected to be a Tensor but got result "
                f"of type {type(t).__name__}"
            )
        return t


def unpacking(node: Op, array: Any) -> Callable[[], Tensor] | None:
    """How the saved value ``node``'s rules read as ``array`` is unpacked, where a pair of
    hooks packed it (a ``saved_tensors_hooks`` block, or ``register_hooks`` on the one
    tensor): a function of no argument; None where none did."""
    for hook in node._hooks or ():
        if type(hook) is _Unpack:
            for packed, saved in hook.packed:
                if saved is array:
                    return lambda: hook.unpack(packed)
    return None


def pack_one(
    node: Op,
    pack_hook: Callable[[Tensor], Any],
    unpack_hook: Callable[[Any], Tensor],
    tensor: Tensor,
    array: Any,
) -> None:
    """Pack one value ``node``'s rules read (``tensor``, read as ``array``) now, and unpack it
    when the backward pass reaches the node: ``grad_fn._raw_saved_self.register_hooks``."""
    node._add_hook(_Unpack(unpack_hook, [(pack_hook(tensor), array)]))


class save_on_cpu(saved_tensors_hooks):  # noqa: N801 - PyTorch's name
    """Save the values for backward on the CPU, as PyTorch's; chainrule's tensors are there
    already, so each value is kept as it is (PyTorch makes no copy either then).

    >>> import chainrule as cr
    >>> x = cr.ones(2, requires_grad=True)
    >>> with save_on_cpu():
    ...     y = (x * x).sum()
    >>> y.backward()
    >>> x.grad
    tensor([2., 2.])
    """

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda") -> None:
        super().__init__(_to_cpu, _from_cpu)


def _to_cpu(tensor: Tensor) -> tuple[Any, Tensor]:
    return tensor.device, tensor.cpu()


def _from_cpu(packed: tuple[Any, Tensor]) -> Tensor:
    device, tensor = packed
    return tensor.to(device)


class _MultiHandle(RemovableHandle):
    """The handle of a multi-grad hook: ``remove()`` takes its hook off every tensor."""

    def __init__(self, handles: tuple[RemovableHandle, ...]) -> None:
        self.handles = handles

    def remove(self) -> None:
        for handle in self.handles:
            handle.remove()


def register_multi_grad_hook(
    tensors: Sequence[Tensor],
    fn: Callable[[list[Tensor | None]], None] | Callable[[Tensor], None],
    *,
    mode: str = "all",
) -> RemovableHandle:
    """Call ``fn`` once per backward pass that reaches ``tensors``, as PyTorch's.

    ``mode="all"``: after the pass has computed the gradient of each tensor it computes (those
    it does not reach, or that lead to none of ``backward(inputs=...)``'s or
    ``autograd.grad``'s inputs, are not waited for), ``fn(grads)``, a list with the gradient
    of each tensor, None for those not computed. ``mode="any"``: ``fn(grad)`` with the first
    gradient computed. The tensors' own hooks carry it (``register_hook``), so it costs a pass
    nothing where none is registered. ``handle.remove()`` removes it.

    >>> import chainrule as cr
    >>> a = cr.ones(2, requires_grad=True)
    >>> b = cr.ones(2, requires_grad=True)
    >>> handle = register_multi_grad_hook((a, b), lambda grads: print(grads))
    >>> (a * 3).sum().backward()
    [tensor([3., 3.]), None]
    >>> handle.remove()
    """
    supported_modes = ("all", "any")
    if mode not in supported_modes:
        raise ValueError(f"Expects mode to be one of {supported_modes} but got {mode}")
    if mode == "any":
        seen: weakref.WeakSet[Any] = weakref.WeakSet()  # the passes that have called fn

        def first(grad: Tensor) -> None:
            run = backward_module.current_pass()
            if run not in seen:
                seen.add(run)
                fn(grad)  # type: ignore[call-arg, arg-type]

        return _MultiHandle(tuple(t.register_hook(first) for t in tensors if t.requires_grad))
    for t in tensors:
        if not t.requires_grad:  # (PyTorch's error, from its lookup of the tensor's node)
            raise AssertionError("Expected gradient function to be set")
    # Where each tensor's hook lives (Tensor._hook_list): its node, or the leaf itself.
    owners = [t.grad_fn or t for t in tensors]
    # pass -> [hooks run so far, hooks the pass runs, the gradients]
    calls: weakref.WeakKeyDictionary[Any, list[Any]] = weakref.WeakKeyDictionary()

    def hook_of(index: int) -> Callable[[Tensor], None]:
        def hook(grad: Tensor) -> None:
            run = backward_module.current_pass()
            state = calls.get(run)
            if state is None:
                state = calls[run] = [0, _hooks_run(run, owners), [None] * len(owners)]
            state[0] += 1
            state[2][index] = grad
            if state[0] == state[1]:
                del calls[run]
                fn(state[2])  # type: ignore[arg-type]

        return hook

    return _MultiHandle(tuple(t.register_hook(hook_of(i)) for i, t in enumerate(tensors)))


def _hooks_run(run: Any, owners: list[Any]) -> int:
    """How many of the hooks that live on ``owners`` (nodes, leaves) the backward pass ``run``
    calls (PyTorch's ``_will_engine_execute_node``): those of the nodes it reaches that lead
    to a gradient it wants, or are one, and of the leaves whose gradient it wants."""
    nodes = graph.ancestors(run.roots)
    needed = run.needed  # None: every node reached (see _Pass.run)
    ruled = nodes if needed is None else [node for node in nodes if node in needed]
    called = {*ruled, *run.roots, *(node for node in nodes if node in run.target_nodes)}
    leaves = {id(leaf) for leaf, _ in run.leaf_grads.values()}  # the roots that are leaves
    for node in ruled:
        for x in node.inputs:
            if isinstance(x, Tensor) and x.requires_grad and graph.parent(x, node) is None:
                leaves.add(id(x))
    if run.target_ids is not None:
        leaves &= run.target_ids
    return sum(
        id(owner) in leaves if isinstance(owner, Tensor) else owner in called for owner in owners
    )


@contextlib.contextmanager
def disable_saved_tensors_hooks(error_message: str) -> Iterator[None]:
    """Inside the block, ``saved_tensors_hooks`` raises RuntimeError(``error_message``), as
    does entering the block while a pair of hooks is open (PyTorch's behaviour).

    >>> with disable_saved_tensors_hooks("not here"):
    ...     with save_on_cpu():
    ...         pass
    Traceback (most recent call last):
    ...
    RuntimeError: not here
    """
    if _blocks.open:
        raise RuntimeError(error_message)
    _blocks.disabled.append(error_message)
    try:
        yield
    finally:
        _blocks.disabled.pop()


# The nodes' ``_saved_*`` attributes (the module puts them on Op): with the saved hooks above.
from chainrule.autograd import saved as _saved_attributes  # noqa: E402, F401

__all__ = [
    "GradientEdge",
    "Node",
    "disable_saved_tensors_hooks",
    "get_gradient_edge",
    "increment_version",
    "register_multi_grad_hook",
    "save_on_cpu",
    "saved_tensors_hooks",
]
