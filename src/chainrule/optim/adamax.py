"""Adamax, following PyTorch's algorithm: Adam with the infinity norm in place of the root
mean square.

``m = beta1 m + (1 - beta1) g``; ``u = max(beta2 u, |g| + eps)``;
``p = p - lr / (1 - beta1^t) * m / u``.

    >>> import chainrule as cr
    >>> w = cr.nn.Parameter(cr.tensor([1.0, -1.0]))
    >>> opt = Adamax([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> w                       # the first step moves each weight by about lr
    Parameter containing:
    tensor([ 0.9000, -0.9000], requires_grad=True)
"""

from __future__ import annotations

from typing import Any

from chainrule._array import xp
from chainrule.optim.optimizer import (
    OLD_CAPTURABLE_FLAGS,
    Optimizer,
    ParamsT,
    check_betas,
    check_flags,
)


class Adamax(Optimizer):
    _old_group_defaults = OLD_CAPTURABLE_FLAGS  # PyTorch's __setstate__

    def __init__(
        self,
        params: ParamsT,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        self._refuse_negative(("learning rate", lr), ("epsilon value", eps))
        check_betas(betas)
        self._refuse_negative(("weight_decay value", weight_decay))
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        check_flags("Adamax", differentiable, capturable)
        super().__init__(params, defaults)

    def _update(self, group: dict[str, Any], param: Any, grad: Any, state: dict[str, Any]) -> None:
        beta1, beta2 = group["betas"]
        step = self._step_count(state)
        if "exp_avg" not in state:
            state["exp_avg"] = self._zeros_state(param)
            state["exp_inf"] = self._zeros_state(param)
        grad = self._descent_grad(group, param, grad)
        m, u = state["exp_avg"]._data, state["exp_inf"]._data
        scratch = self._buffer(param)
        self._lerp(m, grad, 1 - beta1, scratch)
        # exp_inf = max(exp_inf * beta2, |g| + eps)
        xp.multiply(u, beta2, out=u)
        xp.abs(grad, out=scratch)
        xp.add(scratch, group["eps"], out=scratch)
        xp.maximum(u, scratch, out=u)
        # param.addcdiv_(m, u, value=-lr / (1 - beta1^t))
        xp.multiply(m, -group["lr"] / (1 - beta1**step), out=scratch)
        xp.divide(scratch, u, out=scratch)
        xp.add(param, scratch, out=param)
