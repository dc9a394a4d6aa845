"""``checkpoint``: trade compute for memory, as ``torch.utils.checkpoint``.

The function runs without recording; in backward it runs again, recording, and the gradient
flows through that second run. Only the inputs are kept in between, not the activations.
The random state is restored for the second run, so dropout draws the same mask.

    >>> import chainrule as cr
    >>> x = cr.tensor([1.0, 2.0], requires_grad=True)
    >>> checkpoint(lambda v: (v.tanh() * v).sum(), x).backward()
    >>> x.grad
    tensor([1.1816, 1.1053])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chainrule import grad_mode, rng
from chainrule.autodiff.backward import grad
from chainrule.autodiff.function import Function
from chainrule.tensor import Tensor


class _Checkpoint(Function):
    @staticmethod
    def forward(ctx: Any, function: Callable[..., Tensor], preserve: bool, *args: Any) -> Tensor:
        ctx.function = function
        ctx.state = rng.get_rng_state() if preserve else None
        ctx.save_for_backward(*[a for a in args if isinstance(a, Tensor)])
        ctx.args = args
        out = function(*args)
        if not isinstance(out, Tensor):
            raise TypeError(
                f"checkpoint: the function must return one Tensor, got {type(out).__name__}"
            )
        return out

    @staticmethod
    def backward(ctx: Any, g: Tensor) -> tuple[Any, ...]:
        saved = iter(ctx.saved_tensors)
        recording = grad_mode.enabled  # create_graph: the saved tensors are the graph's own
        inputs = []
        for a in ctx.args:
            if not isinstance(a, Tensor):
                inputs.append(a)
                continue
            t = next(saved)
            if not recording and t.is_floating_point():
                t = t.detach().requires_grad_(True)
            inputs.append(t)
        wanted = [t for t, need in zip(inputs, ctx.needs_input_grad[2:], strict=True) if need]
        current = rng.get_rng_state() if ctx.state is not None else None
        if ctx.state is not None:
            rng.set_rng_state(ctx.state)
        try:
            with grad_mode.enable_grad():
                out = ctx.function(*inputs)
        finally:
            if current is not None:
                rng.set_rng_state(current)
        found = iter(grad(out, wanted, g, create_graph=recording, allow_unused=True))
        grads = [next(found) if need else None for need in ctx.needs_input_grad[2:]]
        return (None, None, *grads)


def checkpoint(
    function: Callable[..., Tensor],
    *args: Any,
    use_reentrant: bool | None = None,
    preserve_rng_state: bool = True,
    **kwargs: Any,
) -> Tensor:
    """``function(*args, **kwargs)``, recomputed in backward instead of kept in memory."""
    call = (lambda *a: function(*a, **kwargs)) if kwargs else function
    return _Checkpoint.apply(call, preserve_rng_state, *args)
