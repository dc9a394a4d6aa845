"""NAdam and RAdam, Adam's variants, following PyTorch's algorithms step for step.

NAdam (Nesterov momentum in Adam): ``mu_t = beta1 (1 - 0.96^(t psi) / 2)`` with
``psi = momentum_decay``; ``m``, ``v`` as in Adam; with ``denom = sqrt(v / (1 - beta2^t)) +
eps``, ``p = p - lr (1 - mu_t) / (1 - prod mu_i) g / denom - lr mu_{t+1} / (1 - prod
mu_i mu_{t+1}) m / denom``.

RAdam (rectified Adam): with ``rho_inf = 2 / (1 - beta2) - 1`` and ``rho_t = rho_inf - 2 t
beta2^t / (1 - beta2^t)``, ``p = p - lr m / (1 - beta1^t) * r_t sqrt(1 - beta2^t) /
(sqrt(v) + eps)`` where ``rho_t > 5`` (``r_t`` the variance rectification), else ``p = p -
lr m / (1 - beta1^t)``.

Both add the weight decay to the gradient, or with ``decoupled_weight_decay`` shrink the
parameter by ``1 - lr * weight_decay`` first (NAdamW, RAdamW).

    >>> import chainrule as cr
    >>> w = cr.nn.Parameter(cr.tensor([1.0]))
    >>> opt = RAdam([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> round(w.item(), 4)                 # rho_1 = 1 <= 5: an SGD-with-momentum step
    0.8
"""

from __future__ import annotations

import math
from typing import Any

from chainrule._array import xp
from chainrule.optim.optimizer import (
    OLD_CAPTURABLE_FLAGS,
    Optimizer,
    ParamsT,
    check_betas,
    check_flags,
    scalar_state_dtype,
)
from chainrule.tensor import _make


class _AdamVariant(Optimizer):
    """The shared constructor and the shared first half of a step (decay, ``m``, ``v``)."""

    # PyTorch's __setstate__: keys an older PyTorch's groups lack
    _old_group_defaults = {**OLD_CAPTURABLE_FLAGS, "decoupled_weight_decay": False}

    def _check(self, lr: float, betas: tuple[float, float], eps: float, wd: float) -> None:
        self._refuse_negative(("learning rate", lr), ("epsilon value", eps))
        check_betas(betas)
        self._refuse_negative(("weight_decay value", wd))

    def _moments(
        self, group: dict[str, Any], param: Any, grad: Any, state: dict[str, Any]
    ) -> tuple[Any, Any, Any]:
        """Decay the weights, update ``exp_avg`` and ``exp_avg_sq``; the gradient used."""
        lr, (beta1, beta2), weight_decay = group["lr"], group["betas"], group["weight_decay"]
        decoupled = group["decoupled_weight_decay"]
        grad = self._descent_grad(group, param, grad, l2=not decoupled)
        if weight_decay and decoupled:
            xp.multiply(param, 1 - lr * weight_decay, out=param)
        if "exp_avg" not in state:
            state["exp_avg"] = self._zeros_state(param)
            state["exp_avg_sq"] = self._zeros_state(param)
        m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
        scratch = self._buffer(param)
        self._lerp(m, grad, 1 - beta1, scratch)
        # v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
        xp.multiply(v, beta2, out=v)
        xp.multiply(grad, 1 - beta2, out=scratch)
        xp.multiply(scratch, grad, out=scratch)
        xp.add(v, scratch, out=v)
        return grad, m, v


class NAdam(_AdamVariant):
    _scalar_state = ("step", "mu_product")  # made tensors by PyTorch's __setstate__

    def __init__(
        self,
        params: ParamsT,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        self._check(lr, betas, eps, weight_decay)
        self._refuse_negative(("momentum_decay value", momentum_decay))
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum_decay": momentum_decay,
            "decoupled_weight_decay": decoupled_weight_decay,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
        }
        check_flags("NAdam", differentiable, capturable)
        super().__init__(params, defaults)

    def _update(self, group: dict[str, Any], param: Any, grad: Any, state: dict[str, Any]) -> None:
        lr, (beta1, beta2), psi = group["lr"], group["betas"], group["momentum_decay"]
        step = self._step_count(state)
        if "mu_product" not in state:
            # a scalar of PyTorch's dtype: the product is rounded to it each step
            state["mu_product"] = _make(xp.ones((), scalar_state_dtype()))
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * psi)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * psi)))
        mu_product = state["mu_product"]._data
        xp.multiply(mu_product, mu, out=mu_product)
        grad, m, v = self._moments(group, param, grad, state)
        denom = xp.divide(v, 1 - beta2**step, out=xp.empty_like(param))
        xp.sqrt(denom, out=denom)
        xp.add(denom, group["eps"], out=denom)
        product = float(mu_product)
        scratch = self._buffer(param)
        # param.addcdiv_(g, denom, value=-lr (1 - mu) / (1 - prod))
        xp.multiply(grad, -lr * (1.0 - mu) / (1.0 - product), out=scratch)
        xp.divide(scratch, denom, out=scratch)
        xp.add(param, scratch, out=param)
        # param.addcdiv_(m, denom, value=-lr mu_next / (1 - prod mu_next))
        xp.multiply(m, (-lr * mu_next) / (1.0 - product * mu_next), out=scratch)
        xp.divide(scratch, denom, out=scratch)
        xp.add(param, scratch, out=param)


class RAdam(_AdamVariant):
    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        self._check(lr, betas, eps, weight_decay)
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "decoupled_weight_decay": decoupled_weight_decay,
            "differentiable": differentiable,
        }
        check_flags("RAdam", differentiable, capturable)
        super().__init__(params, defaults)

    def _update(self, group: dict[str, Any], param: Any, grad: Any, state: dict[str, Any]) -> None:
        lr, (beta1, beta2) = group["lr"], group["betas"]
        step = self._step_count(state)
        _, m, v = self._moments(group, param, grad, state)
        bias_correction2 = 1 - beta2**step
        # the bias-corrected exp_avg (out=: an array also at 0-d)
        update = xp.divide(m, 1 - beta1**step, out=xp.empty_like(param))
        xp.multiply(update, lr, out=update)
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
        if rho_t > 5.0:
            rect = math.sqrt(
                (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
            )
            # adaptive lr: sqrt(1 - beta2^t) / (sqrt(v) + eps)
            adaptive = self._buffer(param)
            xp.sqrt(v, out=adaptive)
            xp.add(adaptive, group["eps"], out=adaptive)
            xp.divide(bias_correction2**0.5, adaptive, out=adaptive)
            xp.multiply(update, adaptive, out=update)
            xp.multiply(update, rect, out=update)
        xp.subtract(param, update, out=param)
