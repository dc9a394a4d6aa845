"""Gradient clipping and flattening parameters, as ``torch.nn.utils``.

>>> import chainrule as cr
>>> w = cr.nn.Parameter(cr.zeros(2))
>>> w.grad = cr.tensor([3.0, 4.0])
>>> clip_grad_norm_([w], max_norm=1.0)          # returns the norm before clipping
tensor(5.)
>>> w.grad
tensor([0.6000, 0.8000])
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from chainrule._array import xp
from chainrule.tensor import Tensor, _make


def _with_grads(parameters: Iterable[Tensor] | Tensor) -> list[Tensor]:
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [p for p in params if p.grad is not None]


def _zero_grads(parameters: Iterable[Tensor], set_to_none: bool) -> None:
    """``zero_grad`` of modules and optimizers: drop each ``.grad``, or detach it and fill it
    with zeros."""
    # ``_grad``, not the ``grad`` property: parameters are leaves, so neither the getter's
    # warning about non-leaves nor the setter's checks of a new gradient apply to None (the
    # two property calls were most of an optimizer's zero_grad)
    for p in parameters:
        grad = p._grad
        if grad is None:
            continue
        if set_to_none:
            p._grad = None
        else:
            p._grad = grad = grad.detach()
            grad.zero_()


def clip_grad_norm_(
    parameters: Iterable[Tensor] | Tensor,
    max_norm: float,
    norm_type: float | str = 2.0,
    error_if_nonfinite: bool = False,
) -> Tensor:
    """Scale all gradients together so that their joint ``norm_type`` norm is at most
    ``max_norm``; returns the joint norm before clipping."""
    norm_type = float(norm_type)  # PyTorch also takes the string "inf"
    if norm_type == 0:
        # The "0-norm" counts non-zero entries; it is no length to scale gradients by.
        raise ValueError("clip_grad_norm_: norm_type must be non-zero (a p-norm or inf), got 0")
    grads = [p.grad._data for p in _with_grads(parameters)]
    if not grads:
        return _make(xp.asarray(0.0, dtype=xp.float32))
    if norm_type == math.inf:
        total = max(float(xp.abs(g).max()) if g.size else 0.0 for g in grads)
    else:
        total = sum(float((xp.abs(g) ** norm_type).sum()) for g in grads) ** (1.0 / norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the gradients "
            "by the non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    # PyTorch clamps the coefficient at 1 and always multiplies (a no-op below max_norm).
    coefficient = min(max_norm / (total + 1e-6), 1.0)
    for g in grads:
        xp.multiply(g, g.dtype.type(coefficient), out=g)
    return _make(xp.asarray(total, dtype=grads[0].dtype))


def clip_grad_value_(
    parameters: Iterable[Tensor] | Tensor, clip_value: float, foreach: bool | None = None
) -> None:
    """Clamp every gradient element to [-clip_value, clip_value] in place (``foreach`` is
    PyTorch's kernel choice, accepted and ignored)."""
    for p in _with_grads(parameters):
        xp.clip(p.grad._data, -clip_value, clip_value, out=p.grad._data)


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened and concatenated into one (differentiable) vector."""
    from chainrule.ops.shape import cat

    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of ``vec`` into the parameters (the inverse of the above)."""
    offset = 0
    for p in parameters:
        n = p.numel()
        xp.copyto(p._data, vec._data[offset : offset + n].reshape(p._data.shape))
        p._vc[0] += 1
        offset += n
