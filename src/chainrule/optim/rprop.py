"""Rprop and ASGD, following PyTorch's algorithms.

Rprop (resilient backpropagation) uses only the gradient's sign: each weight's step size
grows by ``etas[1]`` while the sign holds and shrinks by ``etas[0]`` when it flips (within
``step_sizes``); after a flip the weight rests for one step. ``p = p - sign(g) * step``.

ASGD (averaged SGD): ``p = p (1 - lambd eta) - eta g``, with ``eta = lr / (1 + lambd lr
t)^alpha``; ``ax`` averages the iterates from step ``t0`` on (``mu = 1 / max(1, t - t0)``).
``eta`` and ``mu`` are scalars of :func:`~chainrule.optim.optimizer.scalar_state_dtype`, as in
PyTorch.

    >>> import chainrule as cr
    >>> w = cr.nn.Parameter(cr.tensor([1.0, -2.0]))
    >>> opt = Rprop([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> w
    Parameter containing:
    tensor([ 0.9000, -1.9000], requires_grad=True)
"""

from __future__ import annotations

from typing import Any

from chainrule import dtypes
from chainrule._array import xp
from chainrule.optim.optimizer import (
    OLD_CAPTURABLE_FLAGS,
    Optimizer,
    ParamsT,
    check_flags,
    scalar_state_dtype,
)
from chainrule.tensor import Tensor, _make


class Rprop(Optimizer):
    _old_group_defaults = OLD_CAPTURABLE_FLAGS  # PyTorch's __setstate__

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        etas: tuple[float, float] = (0.5, 1.2),
        step_sizes: tuple[float, float] = (1e-6, 50),
        *,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        self._refuse_negative(("learning rate", lr))
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = {
            "lr": lr,
            "etas": etas,
            "step_sizes": step_sizes,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        check_flags("Rprop", differentiable, capturable)
        super().__init__(params, defaults)

    def _update(self, group: dict[str, Any], param: Any, grad: Any, state: dict[str, Any]) -> None:
        (eta_minus, eta_plus), (size_min, size_max) = group["etas"], group["step_sizes"]
        self._step_count(state)
        if "prev" not in state:
            state["prev"] = self._zeros_state(param)
            state["step_size"] = _make(xp.full_like(param, group["lr"]))
        if group["maximize"]:
            grad = -grad
        prev, step_size = state["prev"]._data, state["step_size"]._data
        factor = self._buffer(param)
        # the sign of g * prev, as a factor: eta_plus where it holds, eta_minus where it
        # flips, 1 where either is 0
        xp.multiply(grad, prev, out=factor)
        flipped = factor < 0
        held = factor > 0
        factor.fill(1)
        factor[held] = eta_plus
        factor[flipped] = eta_minus
        xp.multiply(step_size, factor, out=step_size)
        xp.clip(step_size, size_min, size_max, out=step_size)
        # after a flip the gradient counts as 0: no move now, and no flip next step
        xp.copyto(prev, grad)
        prev[flipped] = 0
        xp.sign(prev, out=factor)
        xp.multiply(factor, step_size, out=factor)
        xp.subtract(param, factor, out=param)


class ASGD(Optimizer):
    # PyTorch's __setstate__: keys an older PyTorch's groups lack, and scalar state it makes
    # tensors of
    _old_group_defaults = OLD_CAPTURABLE_FLAGS
    _scalar_state = ("step", "eta", "mu")
    # a tensor lr sets the precision of the next eta (see _update)
    _tensor_hyperparameters = frozenset({"lr"})

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        lambd: float = 1e-4,
        alpha: float = 0.75,
        t0: float = 1e6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        self._refuse_negative(("learning rate", lr), ("weight_decay value", weight_decay))
        defaults = {
            "lr": lr,
            "lambd": lambd,
            "alpha": alpha,
            "t0": t0,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        check_flags("ASGD", differentiable, capturable)
        super().__init__(params, defaults)

    def _update(self, group: dict[str, Any], param: Any, grad: Any, state: dict[str, Any]) -> None:
        lr, lambd, alpha = group["lr"], group["lambd"], group["alpha"]
        step = self._step_count(state)
        if "ax" not in state:
            state["eta"] = _make(xp.asarray(float(lr), scalar_state_dtype()))
            state["mu"] = _make(xp.ones((), scalar_state_dtype()))
            state["ax"] = self._zeros_state(param)
        grad = self._descent_grad(group, param, grad)
        eta, mu, ax = state["eta"]._data, state["mu"]._data, state["ax"]._data
        eta_value = float(eta)
        scratch = self._buffer(param)
        xp.multiply(param, 1 - lambd * eta_value, out=param)  # decay
        xp.multiply(grad, -eta_value, out=scratch)
        xp.add(param, scratch, out=param)
        if float(mu) != 1:
            # ax.add_(param.sub(ax).mul_(mu)), mu a 0-d tensor: the product in param's dtype
            xp.subtract(param, ax, out=scratch)
            xp.multiply(scratch, mu.astype(param.dtype), out=scratch)
            xp.add(ax, scratch, out=ax)
        else:
            xp.copyto(ax, param)
        # PyTorch's copy_ from a new tensor: of a Python float lr, rounded to the default
        # dtype first, also where the state holds another dtype (a loaded one); of a tensor
        # lr, computed in that tensor's dtype (NumPy keeps a 0-d array's dtype against
        # Python numbers, as PyTorch does)
        as_default = dtypes.default_float.type
        if isinstance(lr, Tensor):
            rate = lr._data.reshape(())
            eta[...] = rate / ((1 + lambd * rate * step) ** alpha)
        else:
            eta[...] = as_default(lr / ((1 + lambd * lr * step) ** alpha))
        mu[...] = as_default(1 / max(1, step - group["t0"]))
