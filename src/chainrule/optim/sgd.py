"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay.

PyTorch's algorithm: ``g = grad + wd * p``; ``b = momentum * b + (1 - dampening) * g``
(``b = g`` at the first step); ``g = g + momentum * b`` (Nesterov) or ``g = b``;
``p = p - lr * g``.

    >>> import chainrule as cr
    >>> w = cr.nn.Parameter(cr.tensor([1.0]))
    >>> opt = SGD([w], lr=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     opt.zero_grad()
    ...     (w * w).sum().backward()
    ...     opt.step()
    >>> round(w.item(), 4)                 # 1 - 0.2 = 0.8, then 0.8 - 0.1 * (0.9 * 2 + 1.6)
    0.46
"""

from __future__ import annotations

from typing import Any

from chainrule._array import xp
from chainrule.optim.optimizer import OLD_FLAGS, Optimizer, ParamsT, check_flags, check_fused
from chainrule.tensor import _make


class SGD(Optimizer):
    # PyTorch's __setstate__: keys an older PyTorch's groups lack (fused False, not None)
    _old_group_defaults = {**OLD_FLAGS, "nesterov": False, "fused": False}

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        self._refuse_negative(
            ("learning rate", lr),
            ("momentum value", momentum),
            ("weight_decay value", weight_decay),
            nan_passes=True,  # PyTorch's SGD compares value < 0.0
        )
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
            "foreach": foreach,
            "differentiable": differentiable,
            "fused": fused,
        }
        check_flags("SGD", differentiable)
        super().__init__(params, defaults)
        check_fused(fused, foreach)
        self._rate: tuple[float, Any, Any] | None = None  # see _descend

    def _keeps_state(self, group: dict[str, Any]) -> bool:
        return bool(group["momentum"])  # the momentum buffer is SGD's only state

    def _update_group(self, group: dict[str, Any]) -> None:
        if group["momentum"] or group["weight_decay"] or group["maximize"]:
            super()._update_group(group)
            return
        # Plain descent (the common case): nothing but the rate to read per parameter.
        lr = group["lr"]
        for p in group["params"]:
            grad = p._grad
            if grad is not None:
                self._descend(p._data, grad._data, lr)
                p._vc[0] += 1  # an in-place change of the parameter

    def _update(
        self, group: dict[str, Any], param: Any, grad: Any, state: dict[str, Any] | None
    ) -> None:
        momentum = group["momentum"]
        grad = self._descent_grad(group, param, grad)
        if momentum:
            assert state is not None  # _keeps_state: a group with momentum keeps state
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = _make(xp.array(grad))
            else:
                b = buf._data
                xp.multiply(b, momentum, out=b)
                if group["dampening"]:
                    xp.add(b, (1 - group["dampening"]) * grad, out=b)
                else:
                    xp.add(b, grad, out=b)
            grad = grad + momentum * buf._data if group["nesterov"] else buf._data
        self._descend(param, grad, group["lr"])

    def _descend(self, param: Any, grad: Any, lr: Any) -> None:
        """``param -= lr * grad`` in place, the product in a scratch array.

        ``-lr`` is taken as NumPy multiplies by it: a Python float becomes a 0-d array of the
        parameter's dtype, as NumPy casts it (a weak scalar), kept while ``lr`` is the same
        object; converting the float at each call costs more than the rest of the update. (Read
        here, not in a method of its own: this runs once per parameter per step.)"""
        if type(lr) is not float:  # a NumPy scalar or a tensor is not weak: as it is
            rate = -lr
        else:
            kept = self._rate
            if kept is None or kept[0] is not lr or kept[1] is not param.dtype:
                kept = self._rate = (lr, param.dtype, xp.array(-lr, dtype=param.dtype))
            rate = kept[2]
        step = self._buffer(param)
        xp.multiply(grad, rate, step)  # out given by position: NumPy parses no keywords
        xp.add(param, step, param)
