"""Adadelta, following PyTorch's algorithm: a step in the units of the parameter, from two
running averages and no rate to tune (``lr`` scales the step, 1 by default).

``v = rho v + (1 - rho) g^2``; ``d = sqrt(u + eps) / sqrt(v + eps) * g``;
``u = rho u + (1 - rho) d^2``; ``p = p - lr * d``.

    >>> import chainrule as cr
    >>> w = cr.nn.Parameter(cr.tensor([1.0]))
    >>> opt = Adadelta([w])
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> round(w.item(), 6)                 # 1 - sqrt(1e-6) / sqrt(0.1 * 4 + 1e-6) * 2
    0.996838
"""

from __future__ import annotations

from typing import Any

from chainrule._array import xp
from chainrule.optim.optimizer import OLD_CAPTURABLE_FLAGS, Optimizer, ParamsT, check_flags


class Adadelta(Optimizer):
    _old_group_defaults = OLD_CAPTURABLE_FLAGS  # PyTorch's __setstate__

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        capturable: bool = False,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        self._refuse_negative(("learning rate", lr))
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        self._refuse_negative(("epsilon value", eps), ("weight_decay value", weight_decay))
        defaults = {
            "lr": lr,
            "rho": rho,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
            "capturable": capturable,
            "foreach": foreach,
            "differentiable": differentiable,
        }
        check_flags("Adadelta", differentiable, capturable)
        super().__init__(params, defaults)

    def _update(self, group: dict[str, Any], param: Any, grad: Any, state: dict[str, Any]) -> None:
        rho, eps = group["rho"], group["eps"]
        self._step_count(state)
        if "square_avg" not in state:
            state["square_avg"] = self._zeros_state(param)
            state["acc_delta"] = self._zeros_state(param)
        grad = self._descent_grad(group, param, grad)
        square_avg, acc_delta = state["square_avg"]._data, state["acc_delta"]._data
        delta = self._buffer(param)
        # square_avg.mul_(rho).addcmul_(g, g, value=1 - rho)
        xp.multiply(square_avg, rho, out=square_avg)
        xp.multiply(grad, 1 - rho, out=delta)
        xp.multiply(delta, grad, out=delta)
        xp.add(square_avg, delta, out=square_avg)
        # delta = sqrt(acc_delta + eps) / sqrt(square_avg + eps) * g
        std = xp.add(square_avg, eps, out=xp.empty_like(param))  # an array also at 0-d
        xp.sqrt(std, out=std)
        xp.add(acc_delta, eps, out=delta)
        xp.sqrt(delta, out=delta)
        xp.divide(delta, std, out=delta)
        xp.multiply(delta, grad, out=delta)
        # acc_delta.mul_(rho).addcmul_(delta, delta, value=1 - rho)
        xp.multiply(acc_delta, rho, out=acc_delta)
        xp.multiply(delta, 1 - rho, out=std)
        xp.multiply(std, delta, out=std)
        xp.add(acc_delta, std, out=acc_delta)
        xp.multiply(delta, -group["lr"], out=delta)
        xp.add(param, delta, out=param)
