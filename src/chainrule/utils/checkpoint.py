"""``checkpoint``: trade compute for memory, as ``torch.utils.checkpoint``.

The function runs once, recorded, to learn which tensors requiring grad it reads (its
arguments, and the parameters and other values it reaches from outside); its own graph is
then dropped, and the result hangs from one node that reads only those tensors. In backward
the function runs again, recording, and the gradient flows through that second run into all
of them. Only the inputs are kept in between, not the activations; the most memory in use is
one run's graph, in forward as in backward. The random state is restored for the second run,
so dropout draws the same mask.

    >>> import chainrule as cr
    >>> x = cr.tensor([1.0, 2.0], requires_grad=True)
    >>> checkpoint(lambda v: (v.tanh() * v).sum(), x, use_reentrant=False).backward()
    >>> x.grad
    tensor([1.1816, 1.1053])
"""

from __future__ import annotations

import contextlib
import functools
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from chainrule import grad_mode, graph, op, rng
from chainrule.autodiff.backward import grad
from chainrule.autodiff.function import Function
from chainrule.tensor import Tensor

_DETERMINISM_MODES = ["default", "none"]


class CheckpointError(RuntimeError):
    """The second run of a checkpointed function differs from the first (PyTorch's class)."""


def noop_context_fn() -> tuple[contextlib.nullcontext[None], contextlib.nullcontext[None]]:
    """The default ``context_fn``: no context around either run."""
    return contextlib.nullcontext(), contextlib.nullcontext()


def detach_variable(inputs: tuple[Any, ...]) -> tuple[Any, ...]:
    """``inputs`` with each Tensor detached, keeping its ``requires_grad`` (PyTorch's helper).

    >>> import chainrule as cr
    >>> detach_variable((cr.ones(1, requires_grad=True) * 2, 3))
    (tensor([2.], requires_grad=True), 3)
    """
    if not isinstance(inputs, tuple):
        raise RuntimeError(
            "Only tuple of tensors is supported. Got Unsupported input type: "
            f"{type(inputs).__name__}"
        )
    return tuple(
        x.detach().requires_grad_(x.requires_grad) if isinstance(x, Tensor) else x for x in inputs
    )


class _Run:
    """What the second run needs: the function, the random state before the first run and the
    context for the second, the arguments, the tensors read from outside (the function reads
    them, not the node's stand-ins), and the first result's shape and dtype for the
    determinism check. ``result`` carries the first result into the node's forward, which
    lets go of it (and so of the first run's graph)."""

    def __init__(
        self,
        function: Callable[..., Tensor],
        state: Any,
        context: Any,
        args: tuple[Any, ...],
        result: Tensor,
        check: bool,
        start: int,
    ) -> None:
        self.function, self.state, self.context, self.args = function, state, context, args
        self.outer = _outer_tensors(result, start, args)
        self.result: Tensor | None = result
        self.metadata = _metadata(result) if check else None

    def again(self, args: list[Any]) -> Tensor:
        """The function on ``args``, recorded, with the first run's random state."""
        current = rng.get_rng_state() if self.state is not None else None
        if self.state is not None:
            rng.set_rng_state(self.state)
        try:
            with grad_mode.enable_grad(), self.context:
                out = self.function(*args)
        finally:
            if current is not None:
                rng.set_rng_state(current)
        if self.metadata is not None and _metadata(out) != self.metadata:
            raise CheckpointError(
                "torch.utils.checkpoint: Recomputed values for the following tensors have "
                "different metadata than during the forward pass.\ntensor at position 0:\n"
                f"saved metadata: {_describe(self.metadata)}\n"
                f"recomputed metadata: {_describe(_metadata(out))}\n"
            )
        return out


def _metadata(out: Tensor) -> tuple[Any, Any]:
    return tuple(out.shape), out.dtype


def _describe(metadata: tuple[Any, Any]) -> str:
    shape, dtype = metadata
    return f"{{'shape': {list(shape)}, 'dtype': {dtype}, 'device': cpu}}"


class _Checkpoint(Function):
    @staticmethod
    def forward(ctx: Any, run: _Run, *tensors: Tensor) -> Tensor:
        ctx.run = run
        ctx.save_for_backward(*tensors[: len(tensors) - len(run.outer)])  # the arguments'
        out, run.result = run.result, None  # the first run's value; its graph goes with it
        return out

    @staticmethod
    def backward(ctx: Any, g: Tensor) -> tuple[Any, ...]:
        run = ctx.run
        saved = iter(ctx.saved_tensors)
        recording = grad_mode.modes.enabled  # create_graph: the saved tensors are the graph's own
        inputs = []
        for a in run.args:
            if not isinstance(a, Tensor):
                inputs.append(a)
                continue
            t = next(saved)
            if not recording and t.is_floating_point():
                t = t.detach().requires_grad_(True)
            inputs.append(t)
        targets = [t for t in inputs if isinstance(t, Tensor)] + run.outer
        wanted = [t for t, need in zip(targets, ctx.needs_input_grad[1:], strict=True) if need]
        out = run.again(inputs)
        found = iter(grad(out, wanted, g, create_graph=recording, allow_unused=True))
        return (None, *[next(found) if need else None for need in ctx.needs_input_grad[1:]])


def _outer_tensors(out: Tensor, start: int, args: tuple[Any, ...]) -> list[Tensor]:
    """The tensors requiring grad that the graph behind ``out`` (its nodes numbered from
    ``start`` on: the run's own) reads from outside the run, other than ``args``: parameters,
    values the function closes over, or ``out`` itself when the run made nothing."""
    own = {id(a) for a in args}
    found: dict[int, Tensor] = {}
    nodes, seen = [], set()

    def visit(x: Tensor, node: Any) -> None:
        if node is not None and node.seq >= start:
            if id(node) not in seen:
                seen.add(id(node))
                nodes.append(node)
        elif id(x) not in own:
            found[id(x)] = x

    if out.requires_grad:
        visit(out, out.grad_fn)
    while nodes:
        node = nodes.pop()
        for x in node.inputs:
            if isinstance(x, Tensor) and x.requires_grad:
                visit(x, graph.parent(x, node))
    return list(found.values())


def checkpoint(
    function: Callable[..., Tensor],
    *args: Any,
    use_reentrant: bool | None = None,
    context_fn: Callable[[], tuple[Any, Any]] = noop_context_fn,
    determinism_check: str = "default",
    debug: bool = False,
    early_stop: bool = True,
    preserve_rng_state: bool = True,
    **kwargs: Any,
) -> Tensor:
    """``function(*args, **kwargs)``, recomputed in backward instead of kept in memory.

    PyTorch's arguments and checks: ``use_reentrant`` left out warns and means True, as
    there; ``kwargs``, ``context_fn`` (two context managers, around the first run and the
    second) and ``debug`` need ``use_reentrant=False``; ``determinism_check="default"``
    raises :class:`CheckpointError` when the second run's result differs in shape or dtype
    from the first's (PyTorch compares every saved tensor; chainrule saves none, and compares
    the result). ``early_stop`` is accepted: the second run always runs to the end.

    Both variants give every tensor requiring grad that the function reads its gradient
    (arguments, and parameters reached from outside, as a module's), with ``backward`` and
    with ``autograd.grad``: PyTorch refuses ``grad`` through the reentrant variant, chainrule
    computes it. As in PyTorch, the reentrant variant with no argument requiring grad warns
    and records nothing. The function returns one Tensor.

    >>> import chainrule as cr
    >>> layer = cr.nn.Linear(2, 1)
    >>> checkpoint(layer, cr.ones(1, 2), use_reentrant=False).sum().backward()
    >>> layer.bias.grad
    tensor([1.])
    """
    if use_reentrant is None:
        warnings.warn(
            "torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. "
            "Starting in PyTorch 2.9, calling checkpoint without use_reentrant will raise an "
            "exception. use_reentrant=False is recommended, but if you need to preserve the "
            "current default behavior, you can pass use_reentrant=True. Refer to docs for more "
            "details on the differences between the two variants.",
            stacklevel=2,
        )
        use_reentrant = True
    if kwargs and use_reentrant:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    if use_reentrant and (context_fn is not noop_context_fn or debug is not False):
        raise ValueError(
            "Passing `context_fn` or `debug` is only supported when use_reentrant=False."
        )
    if determinism_check not in _DETERMINISM_MODES:
        raise ValueError(
            f"determinism_check should be one of {_DETERMINISM_MODES}, but got {determinism_check}"
        )
    call = functools.partial(function, **kwargs) if kwargs else function
    tensors = [a for a in args if isinstance(a, Tensor)]
    if use_reentrant and not any(t.requires_grad for t in tensors):
        warnings.warn(
            "None of the inputs have requires_grad=True. Gradients will be None", stacklevel=2
        )
        with grad_mode.no_grad():
            return _one_tensor(call(*args))
    first, second = context_fn()
    state = rng.get_rng_state() if preserve_rng_state else None
    start = next(op._sequence)  # the run's nodes are numbered from here on
    with first:
        out = _one_tensor(call(*args))
    if not out.requires_grad:  # nothing to differentiate (or recording is off)
        return out
    run = _Run(call, state, second, args, out, determinism_check == "default", start)
    return _Checkpoint.apply(run, *tensors, *run.outer)


def _one_tensor(out: Any) -> Tensor:
    if not isinstance(out, Tensor):
        raise TypeError(
            f"checkpoint: the function must return one Tensor, got {type(out).__name__}"
        )
    return out


def checkpoint_sequential(
    functions: Any,
    segments: int,
    input: Tensor,  # noqa: A002 - PyTorch's name
    use_reentrant: bool | None = None,
    **kwargs: Any,
) -> Tensor:
    """Run ``functions`` (an ``nn.Sequential`` or a list of modules or functions) one after
    another on ``input``, in ``segments`` parts of ``len(functions) // segments`` each, every
    part but the last checkpointed (the last takes the rest): PyTorch's split, warning and
    errors. ``preserve_rng_state`` is the one keyword argument.

    >>> import chainrule as cr
    >>> _ = cr.manual_seed(0)
    >>> model = cr.nn.Sequential(cr.nn.Linear(2, 3), cr.nn.Tanh(), cr.nn.Linear(3, 1))
    >>> y = checkpoint_sequential(model, 2, cr.ones(4, 2), use_reentrant=False)
    >>> y.sum().backward()
    >>> model[0].weight.grad.shape
    chainrule.Size([3, 2])
    """
    if use_reentrant is None:
        warnings.warn(
            "torch.utils.checkpoint.checkpoint_sequential: the use_reentrant parameter should "
            "be passed explicitly. In version 2.9 we will raise an exception if use_reentrant "
            "is not passed. use_reentrant=False is recommended, but if you need to preserve "
            "the current default behavior, you can pass use_reentrant=True. Refer to docs for "
            "more details on the differences between the two variants.",
            stacklevel=2,
        )
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    from chainrule.nn import Sequential

    if isinstance(functions, Sequential):
        functions = list(functions.children())
    size = len(functions) // segments
    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(  # noqa: A001
            _chain(functions[start : end + 1]),
            input,
            use_reentrant=use_reentrant,
            preserve_rng_state=preserve,
        )
    return _chain(functions[end + 1 :])(input)


def _chain(functions: Sequence[Callable[[Any], Any]]) -> Callable[[Any], Any]:
    def forward(x: Any) -> Any:
        for f in functions:
            x = f(x)
        return x

    return forward
