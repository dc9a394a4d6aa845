"""Adam and AdamW, following PyTorch's documented algorithm step for step.

At step t: ``m = beta1 m + (1 - beta1) g``, ``v = beta2 v + (1 - beta2) g^2``,
``p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)``. Adam adds the weight
decay to the gradient (L2); AdamW shrinks the parameter directly, ``p *= 1 - lr * wd``.

    >>> import chainrule as cr
    >>> w = cr.nn.Parameter(cr.tensor([1.0, -1.0]))
    >>> opt = Adam([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> w                       # the first Adam step moves each weight by about lr
    Parameter containing:
    tensor([ 0.9000, -0.9000], requires_grad=True)
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
    check_fused,
)
from chainrule.tensor import Tensor


def _checked_betas(betas: Any, foreach_only: bool) -> tuple[Any, ...]:
    """Adam's ``betas``: two floats or two 1-element tensors (kept as tensors, squeezed to
    0-d, as PyTorch keeps them), refused in PyTorch's words otherwise."""
    first, second = betas[0], betas[1]
    if not (
        (isinstance(first, float) and isinstance(second, float))
        or (isinstance(first, Tensor) and isinstance(second, Tensor))
    ):
        raise ValueError("betas must be either both floats or both Tensors")
    for i, beta in enumerate((first, second)):
        if isinstance(beta, Tensor):
            if foreach_only:
                raise ValueError(
                    f"betas[{i}] as a Tensor is not supported for capturable=False and foreach=True"
                )
            if beta.numel() != 1:
                raise ValueError(f"Tensor betas[{i}] must be 1-element")
    return tuple(b.squeeze() if isinstance(b, Tensor) and b.dim() else b for b in betas)


class Adam(Optimizer):
    # PyTorch's __setstate__: keys an older PyTorch's groups lack
    _old_group_defaults = {
        **OLD_CAPTURABLE_FLAGS,
        "amsgrad": False,
        "decoupled_weight_decay": False,
        "fused": None,
    }

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ) -> None:
        if isinstance(lr, Tensor) and foreach and not capturable:
            raise ValueError(
                "lr as a Tensor is not supported for capturable=False and foreach=True"
            )
        self._refuse_negative(("learning rate", lr), ("epsilon value", eps))
        check_betas(betas)
        self._refuse_negative(("weight_decay value", weight_decay))
        defaults = {
            "lr": lr,
            "betas": _checked_betas(betas, foreach and not capturable),
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
            "fused": fused,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        check_flags(type(self).__name__, differentiable, capturable)
        super().__init__(params, defaults)
        check_fused(fused, foreach)

    def _update(self, group: dict[str, Any], param: Any, grad: Any, state: dict[str, Any]) -> None:
        lr, (beta1, beta2), weight_decay = group["lr"], group["betas"], group["weight_decay"]
        # the step first: it leads the state dict's entries, as PyTorch's
        step = self._step_count(state, group["fused"])
        if "exp_avg" not in state:
            state["exp_avg"] = self._zeros_state(param)
            state["exp_avg_sq"] = self._zeros_state(param)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = self._zeros_state(param)
        decoupled = group["decoupled_weight_decay"]  # AdamW's update, per group as PyTorch's
        grad = self._descent_grad(group, param, grad, l2=not decoupled)
        if weight_decay and decoupled:
            xp.multiply(param, 1 - lr * weight_decay, out=param)
        m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
        scratch = self._buffer(param)
        # m.lerp_(g, 1 - beta1) by PyTorch's two formulas (beta1 = 0 gives g exactly)
        self._lerp(m, grad, 1 - beta1, scratch)
        # v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
        xp.multiply(v, beta2, out=v)
        xp.multiply(grad, 1 - beta2, out=scratch)
        xp.multiply(scratch, grad, out=scratch)
        xp.add(v, scratch, out=v)
        if group["amsgrad"]:
            v = xp.maximum(state["max_exp_avg_sq"]._data, v, out=state["max_exp_avg_sq"]._data)
        step_size = lr / (1 - beta1**step)
        # denom = sqrt(v) / sqrt(1 - beta2^t) + eps; p += -step_size * m / denom
        xp.sqrt(v, out=scratch)
        xp.divide(scratch, math.sqrt(1 - beta2**step), out=scratch)
        xp.add(scratch, group["eps"], out=scratch)
        xp.divide(m, scratch, out=scratch)
        xp.multiply(scratch, -step_size, out=scratch)
        xp.add(param, scratch, out=param)


class AdamW(Adam):
    """Adam with decoupled weight decay (default 0.01)."""

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        super().__init__(
            params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
            capturable=capturable, differentiable=differentiable, fused=fused,
            decoupled_weight_decay=True,
        )  # fmt: skip

    def __setstate__(self, state: dict[str, Any]) -> None:
        """PyTorch's: every group keeps AdamW's decoupled weight decay, whatever a loaded
        state dict says (``load_state_dict`` ends here, before its post hooks)."""
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
