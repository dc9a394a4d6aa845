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

from typing import Any

from chainrule import grad_mode
from chainrule._array import xp
from chainrule.autodiff import batching
from chainrule.op import Op
from chainrule.tensor import Tensor, _make


class FunctionCtx:
    """What ``forward`` leaves for ``backward``: saved tensors and any attributes."""

    def __init__(self) -> None:
        self.saved_tensors: tuple[Tensor, ...] = ()
        self.needs_input_grad: tuple[bool, ...] = ()

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

    def __init__(self, function: type[Function]) -> None:
        self.function = function
        self.ctx = FunctionCtx()

    def name(self) -> str:
        return f"{self.function.__name__}Backward"

    label = name

    def __copy__(self) -> _FunctionNode:
        """A node for another application (vmap's loop): its own ctx."""
        node = _FunctionNode(self.function)
        node.ctx.needs_input_grad = self.ctx.needs_input_grad
        return node

    def forward(self, *args):
        wrapped = [_make(a) if isinstance(a, xp.ndarray) else a for a in args]
        with grad_mode.no_grad():
            if _overrides(self.function, "setup_context"):  # forward(*args) without ctx
                out = self.function.forward(*wrapped)
                self.function.setup_context(self.ctx, tuple(wrapped), out)
            else:
                out = self.function.forward(self.ctx, *wrapped)
        if not isinstance(out, Tensor):
            raise TypeError(f"{self.function.__name__}.forward must return a Tensor")
        # Which objects the user's forward saw as its inputs and output, so that backward can
        # swap in the graph's tensors. Ids, not the objects, to keep no arrays alive; they are
        # unambiguous because every saved tensor was created while all of these were alive.
        self.stand_in_ids = tuple(id(t) for t in (*wrapped, out))
        return out._data

    def vjp(self, g, out, *args):
        raw = not isinstance(g, Tensor)
        saved = self.ctx.saved_tensors
        if not raw:
            # Under create_graph the user's backward must read the graph's own tensors (the
            # inputs and the output), not the detached stand-ins that forward saw; then what
            # it computes is recorded and can be differentiated again, as in PyTorch.
            live = dict(zip(self.stand_in_ids, (*args, out), strict=True))
            self.ctx.saved_tensors = tuple(live.get(id(t), t) for t in saved)
        try:
            grads = self.function.backward(self.ctx, _make(g) if raw else g)
        finally:
            self.ctx.saved_tensors = saved
        if not isinstance(grads, tuple):
            grads = (grads,)
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
        result = self.function.jvp(self.ctx, *given)
        return result._data if raw and isinstance(result, Tensor) else result


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
        raise NotImplementedError

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
    def apply(cls, *args: Any) -> Tensor:
        node = _FunctionNode(cls)
        node.ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        return node(*args)
