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
from chainrule.op import Op
from chainrule.tensor import Tensor, _make


class FunctionCtx:
    """What ``forward`` leaves for ``backward``: saved tensors and any attributes."""

    def __init__(self) -> None:
        self.saved_tensors: tuple[Tensor, ...] = ()
        self.needs_input_grad: tuple[bool, ...] = ()

    def save_for_backward(self, *tensors: Tensor) -> None:
        self.saved_tensors = tensors


class _FunctionNode(Op, abstract=True):
    """The graph node of one ``Function.apply``: its rules are the user's methods."""

    def __init__(self, function: type[Function]) -> None:
        self.function = function
        self.ctx = FunctionCtx()

    def name(self) -> str:
        return f"{self.function.__name__}Backward"

    label = name

    def forward(self, *args):
        wrapped = [_make(a) if isinstance(a, xp.ndarray) else a for a in args]
        with grad_mode.no_grad():
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
        raise NotImplementedError(f"{self.function.__name__} defines no forward-mode rule (jvp)")


class Function:
    """Subclass with static ``forward(ctx, *args)`` and ``backward(ctx, *grads)``; call
    ``apply``."""

    @staticmethod
    def forward(ctx: FunctionCtx, *args: Any) -> Tensor:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: FunctionCtx, *grad_outputs: Tensor) -> Any:
        raise NotImplementedError

    @classmethod
    def apply(cls, *args: Any) -> Tensor:
        node = _FunctionNode(cls)
        node.ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        return node(*args)
