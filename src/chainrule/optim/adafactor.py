"""Adafactor, PyTorch 2.13's algorithm step for step (``torch/optim/_adafactor.py``).

A matrix (or a batch of them) keeps only the running means of its squared gradient's rows and
columns, whose outer product (over the mean of the rows) estimates the full second moment; a
vector keeps the full one. At step t the estimates move toward the new squares by
``t ** beta2_decay``; the step is the gradient over the estimate's root, scaled down to RMS
``d`` at most, times ``max(eps2, RMS(param)) * min(lr, 1 / sqrt(t))``.

    >>> import chainrule as cr
    >>> w = cr.nn.Parameter(cr.ones(2, 2))
    >>> opt = Adafactor([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> w
    Parameter containing:
    tensor([[0.9000, 0.9000],
            [0.9000, 0.9000]], requires_grad=True)
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from chainrule._array import xp
from chainrule.optim.optimizer import Optimizer, ParamsT, _state_value, scalar_state_dtype
from chainrule.tensor import Tensor, _make


class Adafactor(Optimizer):
    # PyTorch's __setstate__: the key an older PyTorch's groups lack
    _old_group_defaults = {"foreach": None}

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        beta2_decay: float = -0.8,
        eps: tuple[float | None, float] = (None, 1e-3),
        d: float = 1.0,
        weight_decay: float = 0.0,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
    ) -> None:
        checks = (
            (not isinstance(lr, Tensor) or lr.numel() == 1, "Tensor lr must be 1-element"),
            (lr >= 0.0, f"Learning rate should be >= 0 but is: {lr}"),
            (beta2_decay <= 0.0, f"beta2_decay should be <= 0 but is: {beta2_decay}"),
            (eps[0] is None or eps[0] >= 0.0, f"epsilon1 should be >= 0 but is: {eps[0]}"),
            (eps[1] >= 0.0, f"epsilon2 should be >= 0 but is: {eps[1]}"),
            (d >= 1.0, f"Clipping threshold d should be >= 1 but is: {d}"),
            (weight_decay >= 0.0, f"weight_decay should be >= 0 but is: {weight_decay}"),
        )
        for ok, message in checks:
            if not ok:
                raise ValueError(message)
        defaults = {
            "lr": lr,
            "beta2_decay": beta2_decay,
            "eps": eps,
            "d": d,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _update_group(self, group: dict[str, Any]) -> None:
        # PyTorch fills a missing eps1 from the dtype of the group's first parameter with a
        # gradient and keeps it for the rest of the group
        self._eps1 = group["eps"][0]
        if self._eps1 is None:
            first = next((p for p in group["params"] if p._grad is not None), None)
            self._eps1 = float(xp.finfo(first.dtype).eps) if first is not None else None
        super()._update_group(group)

    def _update(self, group: dict[str, Any], param: Any, grad: Any, state: dict[str, Any]) -> None:
        if xp.iscomplexobj(param):
            raise RuntimeError("Adafactor does not support complex parameters")
        if not state:
            state["step"] = _make(xp.zeros((), scalar_state_dtype()))  # first, as PyTorch's
            if grad.ndim > 1:  # the squares' means over rows and over columns
                rows, cols = grad.shape[:-1] + (1,), grad.shape[:-2] + (1, grad.shape[-1])
                state["row_var"] = _make(xp.zeros(rows, grad.dtype))
                state["col_var"] = _make(xp.zeros(cols, grad.dtype))
            else:
                state["variance"] = self._zeros_state(grad)
        if group["maximize"]:
            grad = -grad
        lr, eps1, eps2 = group["lr"], self._eps1, group["eps"][1]
        step = self._step_count(state)
        one_minus_beta2 = step ** group["beta2_decay"]
        rho = min(lr, 1 / step**0.5)
        alpha = max(eps2, float(xp.linalg.norm(param.ravel())) / param.size**0.5) * rho
        if group["weight_decay"] != 0:
            xp.multiply(param, 1 - lr * group["weight_decay"], out=param)
        if grad.ndim > 1:
            row_var, col_var = state["row_var"]._data, state["col_var"]._data
            row_mean = _norm(grad, -1) ** 2 / grad.shape[-1]
            self._lerp(row_var, row_mean, one_minus_beta2, xp.empty_like(row_var))
            col_mean = _norm(grad, -2) ** 2 / grad.shape[-2]
            self._lerp(col_var, col_mean, one_minus_beta2, xp.empty_like(col_var))
            estimate = row_var @ col_var
            estimate /= xp.maximum(row_var.mean(axis=-2, keepdims=True), eps1)
        else:
            variance = state["variance"]._data
            self._lerp(variance, grad * grad, one_minus_beta2, self._buffer(param))
            estimate = variance.copy()
        update = 1 / xp.sqrt(xp.maximum(estimate, eps1 * eps1))
        update *= grad
        denom = max(1.0, float(xp.linalg.norm(update.ravel())) / (update.size**0.5 * group["d"]))
        param += (-alpha / denom) * update

    @staticmethod
    def _state_value(name: str, value: Any, param: Tensor) -> Any:
        """A saved state entry (checked against the shape it must have: a matrix's factored
        moments have one size-1 dimension)."""
        shape = tuple(param.shape)
        if name == "row_var":
            shape = shape[:-1] + (1,)
        elif name == "col_var":
            shape = shape[:-2] + (1,) + shape[-1:]
        # the check and conversion of any entry, against a stand-in of that shape
        return _state_value(name, value, SimpleNamespace(shape=shape, dtype=param.dtype))


def _norm(a: Any, axis: int) -> Any:
    """The 2-norm along ``axis``, kept as a size-1 axis."""
    return xp.sqrt(xp.sum(a * a, axis=axis, keepdims=True))
