"""User-defined differentiable functions: ``cr.autograd.Function``, as in PyTorch.

>>> import chainrule as cr
>>> class Cube(cr.autograd.Function):
...     @staticmethod
...     def forward(ctx, x):
...         ctx.save_for_backward(x)
...         return x ** 3
...     @staticmethod
...     def backward(ctx, grad):
...         (x,) = ctx.saved_tensors
...         return grad * 3 * x ** 2
>>> x = cr.tensor(2.0, requires_grad=True)
>>> Cube.apply(x).backward()
>>> x.grad
tensor(12.)
"""

from __future__ import annotations

import contextlib
import itertools
import weakref
from collections.abc import Iterator
from typing import Any

from chainrule import grad_mode
from chainrule._array import xp
from chainrule.autodiff import batching, open_transforms
from chainrule.op import Op, named
from chainrule.ops import shape as ops_shape
from chainrule.tensor import Tensor, _make


class FunctionCtx:
    """What ``forward`` leaves for ``backward``: saved tensors and any attributes."""

    def __init__(self) -> None:
        self.saved_tensors: tuple[Tensor, ...] = ()
        self.needs_input_grad: tuple[bool, ...] = ()
        self.non_differentiable: tuple[Tensor, ...] = ()
        self.materialize_grads = True

    def mark_dirty(self, *tensors: Tensor) -> None:
        """PyTorch's mark of inputs that ``forward`` changed in place, which it then returns
        as outputs; chainrule's Function nodes make new outputs, so this is refused."""
        raise NotImplementedError(
            "ctx.mark_dirty: chainrule's autograd.Function cannot return an input changed in "
            "place; return a new tensor from forward (out = x * 2, not x.mul_(2))"
        )

    def set_materialize_grads(self, value: bool) -> None:
        """With False, ``backward`` receives None (not zeros) for the outputs that carry no
        gradient (non-differentiable, or not floats), as PyTorch's option lets it. (A float
        output that backward did not reach still gets zeros, where PyTorch gives None.)"""
        self.materialize_grads = value

    def mark_non_differentiable(self, *outputs: Tensor) -> None:
        """Outputs that get no gradient (indices, masks): returned not requiring grad, and
        ``backward`` receives zeros for them, as in PyTorch."""
        self.non_differentiable += outputs

    def save_for_backward(self, *tensors: Tensor) -> None:
        self.saved_tensors = tensors

    def save_for_forward(self, *tensors: Tensor) -> None:
        """Tensors the ``jvp`` rule reads (as ``ctx.saved_tensors``, as in PyTorch)."""
        self.saved_tensors = tensors


class VmapInfo:
    """What ``Function.vmap`` learns of the batch: its size and the randomness mode."""

    def __init__(self, batch_size: int, randomness: str = "error") -> None:
        self.batch_size = batch_size
        self.randomness = randomness


class _FunctionNode(Op, abstract=True):
    """The graph node of one ``Function.apply``: its rules are the user's methods."""

    batch_rule = staticmethod(batching.function)
    # Of several outputs, (index, weak reference to the output's FunctionOutput node) for each
    # handed out (see apply): weak, as an output's node holds this one.
    output_nodes: tuple[tuple[int, Any], ...] = ()

    def __init__(self, function: type[Function]) -> None:
        self.function = function
        self.ctx = FunctionCtx()

    def name(self) -> str:
        return f"{self.function.__name__}Backward"

    label = name

    def __copy__(self) -> _FunctionNode:
        """A node for another application (vmap's loop): its own ctx. It tells the node it
        was copied from what the user's forward returned (the same for every example), which
        ``apply`` reads to hand out the outputs."""
        node = type(self).__new__(type(self))
        node.__dict__.update(self.__dict__)  # what forward set too (a compiled replay's copy)
        node.ctx = FunctionCtx()
        node.ctx.needs_input_grad = self.ctx.needs_input_grad
        node.origin = self
        return node

    def forward(self, *args):
        wrapped = [_make(a) if isinstance(a, xp.ndarray) else a for a in args]
        with grad_mode.no_grad():
            if _overrides(self.function, "setup_context"):  # forward(*args) without ctx
                out = self.function.forward(*wrapped)
                self.function.setup_context(self.ctx, tuple(wrapped), out)
            else:
                out = self.function.forward(self.ctx, *wrapped)
        outputs = out if isinstance(out, tuple) else (out,)
        if not isinstance(out, tuple | Tensor):
            raise TypeError(f"{self.function.__name__}.forward must return a Tensor")
        # Which objects the user's forward saw as its inputs and outputs, so that backward can
        # swap in the graph's tensors. Ids, not the objects, to keep no arrays alive; they are
        # unambiguous because every saved tensor was created while all of these were alive.
        self.stand_in_ids = tuple(id(t) for t in (*wrapped, *outputs))
        # For apply() to hand out, which then drops them: an output may hold a graph of its
        # own (checkpoint's first run), which the node must not keep alive.
        self.outputs = outputs
        self.layout = tuple(
            (tuple(o.shape), o._data.dtype) if isinstance(o, Tensor) else None for o in outputs
        )
        self.several = isinstance(out, tuple)
        marked = {id(t) for t in self.ctx.non_differentiable}
        # Several outputs: the node's one output packs the differentiable ones, flattened end
        # to end; apply() hands out a piece of it for each (class FunctionOutput).
        self.carried = [
            i
            for i, o in enumerate(outputs)
            if isinstance(o, Tensor) and o.is_floating_point() and id(o) not in marked
        ]
        self.starts = list(
            itertools.accumulate((outputs[i].numel() for i in self.carried), initial=0)
        )
        origin = getattr(self, "origin", None)
        if origin is not None and open_transforms.here.vmap:  # an example of vmap's loop: the node
            origin.outputs, origin.layout = outputs, self.layout  # copied from hands them out
            origin.several, origin.carried, origin.starts = self.several, self.carried, self.starts
            del self.outputs  # (this example's node stays in the graph: it must not keep them)
        if not self.several:
            return out._data
        if not self.carried:
            return xp.zeros(0, dtype=xp.float32)
        return xp.concatenate([outputs[i]._data.reshape(-1) for i in self.carried])

    def _unpacked(self, packed, raw):
        """The outputs' pieces of ``packed`` (the node's output or its gradient), zeros for
        those it does not carry and None for outputs that are not tensors."""
        starts = dict(zip(self.carried, self.starts, strict=False))
        pieces = []
        for i, meta in enumerate(self.layout):
            if meta is None:
                pieces.append(None)
                continue
            shape, dtype = meta
            if i in starts:
                piece = _piece(packed, starts[i], shape)
                pieces.append(piece.astype(dtype) if raw else piece.to(dtype))
            elif not self.ctx.materialize_grads:
                pieces.append(None)
            else:
                zeros = xp.zeros(shape, dtype=dtype)
                pieces.append(zeros if raw else _make(zeros))
        return pieces

    @contextlib.contextmanager
    def _reading_the_graph(self, out: Any, args: tuple[Any, ...], pieces: bool) -> Iterator[None]:
        """While the user's rule runs on Tensors (under create_graph, or in a tangent rule
        that a transform outside differentiates), ``ctx.saved_tensors`` are the graph's own
        tensors (the inputs and the outputs), not the detached stand-ins that forward saw:
        then what the rule computes is recorded and can be differentiated again, as in
        PyTorch (the reverse of a jvp read the stand-ins: jacrev of jacfwd gave 0). With
        ``pieces``, a saved output is read through its own node, as PyTorch's: what flows
        back through it passes its hooks (the output tensor's) and its retain_grad."""
        saved = self.ctx.saved_tensors
        outs = self._unpacked(out, False) if self.several else [out]
        for i, ref in self.output_nodes if pieces else ():
            if (piece_node := ref()) is not None:
                outs[i] = _make(outs[i]._data, True, piece_node)
        live = dict(zip(self.stand_in_ids, (*args, *outs), strict=True))
        self.ctx.saved_tensors = tuple(live.get(id(t), t) for t in saved)
        try:
            yield
        finally:
            self.ctx.saved_tensors = saved

    def vjp(self, g, out, *args):
        raw = not isinstance(g, Tensor)
        grads_out = self._unpacked(g, raw) if self.several else [g]
        with contextlib.nullcontext() if raw else self._reading_the_graph(out, args, True):
            given = [_make(gi) if raw and gi is not None else gi for gi in grads_out]
            grads = self.function.backward(self.ctx, *given)
        if not isinstance(grads, tuple):
            grads = (grads,)
        for gi in grads:
            if gi is not None and not isinstance(gi, Tensor):
                raise RuntimeError(f"expected Variable or None (got {type(gi).__name__})")
        if len(grads) != len(args):
            raise RuntimeError(
                f"function {self.function.__name__}Backward returned an incorrect number of "
                f"gradients (expected {len(args)}, got {len(grads)})"
            )
        if raw:
            return tuple(None if gi is None else xp.asarray(gi._data) for gi in grads)
        return grads

    def jvp(self, tangents, out, *args):
        if not _overrides(self.function, "jvp"):
            raise NotImplementedError(
                f"{self.function.__name__} defines no forward-mode rule: add a static "
                "jvp(ctx, *tangents) method"
            )
        raw = not any(isinstance(t, Tensor) for t in tangents)
        given = [
            _make(xp.zeros_like(xp.asarray(a._data if isinstance(a, Tensor) else a)))
            if t is None
            else (_make(t) if raw else t)
            for t, a in zip(tangents, args, strict=True)
        ]
        with contextlib.nullcontext() if raw else self._reading_the_graph(out, args, False):
            result = self.function.jvp(self.ctx, *given)
        if self.several:  # packed as forward packs the outputs
            pieces = [result[i].reshape(-1) for i in self.carried]
            return xp.concatenate([p._data for p in pieces]) if raw else ops_shape.cat(pieces)
        return result._data if raw and isinstance(result, Tensor) else result


def _piece(packed: Any, start: int, shape: tuple[int, ...]) -> Any:
    """The output of ``shape`` packed from ``start`` along the last axis of ``packed`` (an
    array or a Tensor; any leading axes are vmap's)."""
    size = int(xp.prod(shape, dtype=xp.int64))
    piece = packed[..., start : start + size]
    return piece.reshape((*tuple(packed.shape)[:-1], *shape))


class FunctionOutput(Op):
    """One output of an ``autograd.Function`` that returns several: its piece of the node's
    packed output (the differentiable outputs flattened end to end). The vjp puts the
    output's gradient back at its place among zeros, so the node's own vjp receives every
    output's gradient at once, as PyTorch calls ``backward(ctx, *grads)``. Written over the
    last axis, so that leading axes pass through.

    >>> import chainrule as cr
    >>> class SplitHalves(cr.autograd.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         return x[:2] * 2, x[2:] * 3
    ...     @staticmethod
    ...     def backward(ctx, g_first, g_second):
    ...         return cr.cat([g_first * 2, g_second * 3])
    >>> x = cr.ones(4, requires_grad=True)
    >>> first, second = SplitHalves.apply(x)
    >>> second.sum().backward()
    >>> x.grad, first.grad_fn.name()
    (tensor([0., 0., 3., 3.]), 'SplitHalvesBackward')
    """

    notation = "outputs[i]"
    derivatives = ("1 at the output's place among the packed outputs",)
    saves_inputs = False
    batch_rule = staticmethod(lambda op, values, batched, size: op(values[0]))

    def __init__(self, start: int, shape: tuple[int, ...], dtype: Any) -> None:
        self.start = start
        self.shape = shape
        self.dtype = dtype
        self.size = int(xp.prod(shape, dtype=xp.int64))

    def forward(self, packed):
        return _piece(packed, self.start, self.shape).astype(self.dtype, copy=False)

    def vjp(self, g, out, packed):
        lead = tuple(g.shape)[: len(g.shape) - len(self.shape)]
        flat = g.reshape((*lead, self.size))
        after = packed.shape[-1] - self.start - self.size
        if isinstance(flat, Tensor):  # under create_graph: a recorded pad
            return (ops_shape.pad(flat, (self.start, after)),)
        grad = xp.zeros((*lead, packed.shape[-1]), dtype=packed.dtype)
        grad[..., self.start : self.start + self.size] = flat
        return (grad,)

    def jvp(self, tangents, out, packed):
        return _piece(tangents[0], self.start, self.shape)


def _overrides(function: type[Function], method: str) -> bool:
    return getattr(function, method) is not getattr(Function, method)


class Function:
    """Subclass with static ``forward(ctx, *args)`` and ``backward(ctx, *grads)``; call
    ``apply``."""

    @staticmethod
    def forward(ctx: FunctionCtx, *args: Any) -> Tensor:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: FunctionCtx, *grad_outputs: Tensor) -> Any:
        raise NotImplementedError(
            "You must implement either the backward or vjp method for your custom "
            "autograd.Function to use it with backward mode AD."
        )

    @staticmethod
    def setup_context(ctx: FunctionCtx, inputs: tuple[Any, ...], output: Tensor) -> None:
        """Override (with a ``forward`` without ctx) to fill ctx from inputs and output."""
        raise NotImplementedError

    @staticmethod
    def jvp(ctx: FunctionCtx, *tangents: Tensor) -> Tensor:
        """Override for forward mode: the output's tangent from the inputs' tangents."""
        raise NotImplementedError

    @staticmethod
    def vmap(info: VmapInfo, in_dims: tuple[int | None, ...], *args: Any) -> tuple[Any, Any]:
        """Override to batch: ``(output, out_dim)`` for inputs batched along ``in_dims``.

        Without it, ``vmap`` applies the function once per example."""
        raise NotImplementedError

    @classmethod
    def apply(cls, *args: Any) -> Any:
        node = _node_class(cls)(cls)
        node.ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        out = node(*args)
        if not hasattr(node, "several"):  # vmap ran the user's vmap rule: one output
            return out
        given = node.__dict__.pop("outputs")
        if not node.several:
            if out.requires_grad and any(t is given[0] for t in node.ctx.saved_tensors):
                # forward saved its output: changing it in place before backward is an error,
                # as PyTorch's version check makes it (a silent wrong gradient otherwise)
                guard = node.out_versions = (out._vc, out._vc[0])
                node.versions = (*(node.versions or ()), guard)
            return out if node.carried or not out.requires_grad else out.detach()
        vmap = open_transforms.here.vmap
        if not out.requires_grad and not vmap:  # nothing recorded: the user's own
            return given
        if vmap and any(
            isinstance(o, Tensor) and i not in node.carried for i, o in enumerate(given)
        ):  # the packed output holds only the float ones: these would be the last example's
            raise NotImplementedError(
                f"vmap: {cls.__name__} returns a tensor without gradient (an integer one, or "
                "marked non-differentiable) among several outputs, which vmap cannot batch"
            )
        outputs = list(given)
        for i, start in zip(node.carried, node.starts, strict=False):
            piece = FunctionOutput(start, tuple(given[i].shape), given[i]._data.dtype)(out)
            outputs[i] = named(piece, node.name())  # each output's node is the function's
        node.output_nodes = tuple(
            (i, weakref.ref(outputs[i]._grad_fn))
            for i in node.carried
            if outputs[i]._grad_fn is not None
        )
        return tuple(outputs)


def _node_class(function: type[Function]) -> type[_FunctionNode]:
    """The node class of ``function``'s applications, named as PyTorch names it: ``Backward``
    after the function's name (``type(y.grad_fn).__name__ == "CubeBackward"``)."""
    found = function.__dict__.get("_node")
    if found is None:
        found = type(f"{function.__name__}Backward", (_FunctionNode,), {}, abstract=True)
        function._node = found
    return found
