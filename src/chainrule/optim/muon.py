"""Muon, PyTorch 2.13's algorithm step for step (``torch/optim/_muon.py``): momentum (Nesterov
by default), then the update matrix orthogonalized by a quintic Newton–Schulz iteration, run in
bfloat16 as PyTorch runs it, then decoupled weight decay and a step scaled to the matrix's shape.

chainrule has no bfloat16 dtype: the iteration keeps float32 arrays rounded to bfloat16's
8 significant bits after every operation PyTorch rounds (its CPU kernels compute each
product and ``addmm`` in float32 and round once). For matrices up to about 100 on a side this
gives PyTorch's numbers bit for bit; in larger products the float32 sums run in another order
than oneDNN's, a few of them round to the neighbouring bfloat16, and the iteration spreads
that: the updates then agree to bfloat16's precision (about 1e-2 relative), as PyTorch's own
do across kernels and devices.

    >>> import chainrule as cr
    >>> w = cr.nn.Parameter(cr.eye(2))
    >>> opt = Muon([w], lr=0.1, weight_decay=0.0)
    >>> (w * cr.tensor([[1.0, 0.0], [0.0, 2.0]])).sum().backward()
    >>> opt.step()
    >>> w                       # bfloat16's rounding shows: PyTorch's numbers too
    Parameter containing:
    tensor([[0.8883, 0.0000],
            [0.0000, 0.9309]], requires_grad=True)
"""

from __future__ import annotations

import math
from typing import Any

from chainrule._array import xp
from chainrule.optim.optimizer import Optimizer, ParamsT

EPS = 1e-7
DEFAULT_A = 3.4445
DEFAULT_B = -4.7750
DEFAULT_C = 2.0315
DEFAULT_NS_STEPS = 5


def _bfloat16(a: Any) -> Any:
    """``a`` rounded to the nearest bfloat16 (ties to even), kept as float32."""
    bits = xp.asarray(a, dtype=xp.float32).view(xp.uint32).astype(xp.uint64)
    bits = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000
    return bits.astype(xp.uint32).view(xp.float32)


def _zeropower_via_newtonschulz(
    grad: Any, ns_coefficients: tuple[float, float, float], ns_steps: int, eps: float
) -> Any:
    """PyTorch's Newton–Schulz orthogonalization of the matrix ``grad`` (an array), in
    bfloat16 precision: ``X <- a X + (b A + c A A) X`` with ``A = X X^T``, from X = grad
    over its norm (transposed to be wide)."""
    if ns_steps >= 100:
        raise ValueError("Number of steps must be less than 100 for computational efficiency")
    if grad.ndim != 2:
        raise ValueError("Input tensor gradient must be a 2D matrix")
    if len(ns_coefficients) != 3:
        raise ValueError("Coefficients must be a tuple of exactly 3 values")
    a, b, c = (xp.float32(v) for v in ns_coefficients)
    tall = grad.shape[0] > grad.shape[1]
    x = _bfloat16(grad.astype(xp.float32))
    if tall:
        x = x.T
    norm = _bfloat16(xp.sqrt(xp.sum(x * x, dtype=xp.float32)))
    x = _bfloat16(x / _bfloat16(max(norm, xp.float32(eps))))
    for _ in range(ns_steps):
        gram = _bfloat16(x @ x.T)
        gram_update = _bfloat16(b * gram + c * (gram @ gram))  # addmm(gram, gram, gram, b, c)
        x = _bfloat16(a * x + gram_update @ x)  # addmm(x, gram_update, x, beta=a)
    return x.T if tall else x


def _adjust_lr(lr: float, adjust_lr_fn: str | None, shape: tuple[int, ...]) -> float:
    rows, cols = shape[:2]
    if adjust_lr_fn is None or adjust_lr_fn == "original":
        return lr * math.sqrt(max(1, rows / cols))
    if adjust_lr_fn == "match_rms_adamw":
        return lr * 0.2 * math.sqrt(max(rows, cols))
    return lr


class Muon(Optimizer):
    """For 2-D parameters only (hidden layers' weights); others need another optimizer."""

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        weight_decay: float = 0.1,
        momentum: float = 0.95,
        nesterov: bool = True,
        ns_coefficients: tuple[float, float, float] = (DEFAULT_A, DEFAULT_B, DEFAULT_C),
        eps: float = EPS,
        ns_steps: int = DEFAULT_NS_STEPS,
        adjust_lr_fn: str | None = None,
    ) -> None:
        if not lr >= 0.0:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not momentum >= 0.0:
            raise ValueError(f"momentum should be >= 0 but is: {momentum}")
        if not weight_decay >= 0.0:
            raise ValueError(f"weight decay should be >= 0 but is: {weight_decay}")
        if adjust_lr_fn is not None and adjust_lr_fn not in ["original", "match_rms_adamw"]:
            raise ValueError(f"Adjust learning rate function {adjust_lr_fn} is not supported")
        defaults = {
            "lr": lr,
            "weight_decay": weight_decay,
            "momentum": momentum,
            "nesterov": nesterov,
            "ns_coefficients": ns_coefficients,
            "eps": eps,
            "ns_steps": ns_steps,
            "adjust_lr_fn": adjust_lr_fn,
        }
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                if p.ndim != 2:
                    raise ValueError(
                        "Muon only supports 2D parameters whereas we found a parameter with "
                        f"size: {p.size()}"
                    )

    def _update(self, group: dict[str, Any], param: Any, grad: Any, state: dict[str, Any]) -> None:
        if xp.iscomplexobj(param):
            raise RuntimeError("Muon does not support complex parameters")
        if "momentum_buffer" not in state:
            state["momentum_buffer"] = self._zeros_state(grad)
        momentum, lr = group["momentum"], group["lr"]
        buf = state["momentum_buffer"]._data
        self._lerp(buf, grad, 1 - momentum, self._buffer(param))
        if group["nesterov"]:  # grad.lerp(buf, momentum)
            update = grad.copy()
            self._lerp(update, buf, momentum, xp.empty_like(update))
        else:
            update = buf
        ortho = _zeropower_via_newtonschulz(
            update, group["ns_coefficients"], group["ns_steps"], group["eps"]
        )
        adjusted_lr = _adjust_lr(lr, group["adjust_lr_fn"], param.shape)
        xp.multiply(param, 1 - lr * group["weight_decay"], out=param)
        param += -adjusted_lr * ortho.astype(param.dtype)
