"""Adagrad, following PyTorch's algorithm: each coordinate's step shrinks with the sum of its
squared gradients so far.

``s = s + g^2``; ``p = p - lr / (1 + (t - 1) lr_decay) * g / (sqrt(s) + eps)``.

    >>> import chainrule as cr
    >>> w = cr.nn.Parameter(cr.tensor([1.0]))
    >>> opt = Adagrad([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> round(w.item(), 4)                 # 1 - 0.1 * 2 / sqrt(4)
    0.9
"""

from __future__ import annotations

from typing import Any

from chainrule._array import xp
from chainrule.optim.optimizer import (
    OLD_FLAGS,
    Optimizer,
    ParamsT,
    check_flags,
    check_fused,
    scalar_state_dtype,
)
from chainrule.tensor import _make


class Adagrad(Optimizer):
    # PyTorch's __setstate__: keys an older PyTorch's groups lack
    _old_group_defaults = {**OLD_FLAGS, "fused": None}

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        self._refuse_negative(
            ("learning rate", lr),
            ("lr_decay value", lr_decay),
            ("weight_decay value", weight_decay),
            ("initial_accumulator_value value", initial_accumulator_value),
            ("epsilon value", eps),
        )
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "fused": fused,
        }
        check_flags("Adagrad", differentiable)
        super().__init__(params, defaults)
        check_fused(fused, foreach)
        # PyTorch fills the state at construction, so a fresh state dict already has it.
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(self.state[p], p._data, group["fused"])

    def _init_state(self, state: dict[str, Any], param: Any, fused: bool | None) -> None:
        """A zero ``step`` and a ``sum`` filled with the constructor's
        ``initial_accumulator_value``: PyTorch reads it from the defaults, not from the
        parameter's group (a value given per group is kept there and not used)."""
        state["step"] = _make(xp.zeros((), scalar_state_dtype(fused)))
        state["sum"] = _make(xp.full_like(param, self.defaults["initial_accumulator_value"]))

    def _update(self, group: dict[str, Any], param: Any, grad: Any, state: dict[str, Any]) -> None:
        if not state:  # a parameter added since construction (add_param_group)
            self._init_state(state, param, group["fused"])
        step = self._step_count(state, group["fused"])
        grad = self._descent_grad(group, param, grad)
        clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
        total = state["sum"]._data
        std = self._buffer(param)
        # sum.addcmul_(g, g); std = sqrt(sum) + eps; p.addcdiv_(g, std, value=-clr)
        xp.multiply(grad, grad, out=std)
        xp.add(total, std, out=total)
        xp.sqrt(total, out=std)
        xp.add(std, group["eps"], out=std)
        xp.divide(grad, std, out=std)
        xp.multiply(std, -clr, out=std)
        xp.add(param, std, out=param)
