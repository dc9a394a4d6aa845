"""RMSprop, following PyTorch's algorithm: divide the gradient by a running root mean square.

``v = alpha v + (1 - alpha) g^2``; centered: also ``a = alpha a + (1 - alpha) g`` and use
``v - a^2``; ``p = p - lr * g / (sqrt(v) + eps)`` (through a momentum buffer if momentum > 0).

    >>> import chainrule as cr
    >>> w = cr.nn.Parameter(cr.tensor([1.0]))
    >>> opt = RMSprop([w], lr=0.01)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> round(w.item(), 4)                 # 1 - 0.01 * 2 / sqrt(0.01 * 4)
    0.9
"""

from __future__ import annotations

from typing import Any

from chainrule._array import xp
from chainrule.optim.optimizer import OLD_CAPTURABLE_FLAGS, Optimizer, ParamsT, check_flags


class RMSprop(Optimizer):
    # PyTorch's __setstate__: keys an older PyTorch's groups lack
    _old_group_defaults = {**OLD_CAPTURABLE_FLAGS, "momentum": 0, "centered": False}

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        self._refuse_negative(
            ("learning rate", lr),
            ("epsilon value", eps),
            ("momentum value", momentum),
            ("weight_decay value", weight_decay),
            ("alpha value", alpha),
        )
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "capturable": capturable,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
        }
        check_flags("RMSprop", differentiable, capturable)
        super().__init__(params, defaults)

    def _update(self, group: dict[str, Any], param: Any, grad: Any, state: dict[str, Any]) -> None:
        alpha, momentum = group["alpha"], group["momentum"]
        self._step_count(state)  # first: "step" leads the state dict's entries, as PyTorch's
        if "square_avg" not in state:
            state["square_avg"] = self._zeros_state(param)
            if momentum > 0:
                state["momentum_buffer"] = self._zeros_state(param)
            if group["centered"]:
                state["grad_avg"] = self._zeros_state(param)
        grad = self._descent_grad(group, param, grad)
        square_avg = state["square_avg"]._data
        avg = self._buffer(param)
        # square_avg.mul_(alpha).addcmul_(g, g, value=1 - alpha)
        xp.multiply(square_avg, alpha, out=square_avg)
        xp.multiply(grad, 1 - alpha, out=avg)
        xp.multiply(avg, grad, out=avg)
        xp.add(square_avg, avg, out=square_avg)
        if group["centered"]:
            grad_avg = state["grad_avg"]._data
            # grad_avg.lerp_(g, 1 - alpha) by PyTorch's two formulas (alpha = 0 gives g exactly,
            # so square_avg - grad_avg^2 below is 0, not a rounding below it: sqrt would be nan);
            # avg = sqrt(square_avg - grad_avg^2)
            self._lerp(grad_avg, grad, 1 - alpha, avg)
            xp.multiply(grad_avg, grad_avg, out=avg)
            xp.subtract(square_avg, avg, out=avg)
            xp.sqrt(avg, out=avg)
        else:
            xp.sqrt(square_avg, out=avg)
        xp.add(avg, group["eps"], out=avg)
        if momentum > 0:
            buf = state["momentum_buffer"]._data
            xp.multiply(buf, momentum, out=buf)
            xp.divide(grad, avg, out=avg)
            xp.add(buf, avg, out=buf)
            xp.multiply(buf, -group["lr"], out=avg)
        else:
            xp.divide(grad, avg, out=avg)
            xp.multiply(avg, -group["lr"], out=avg)
        xp.add(param, avg, out=param)
