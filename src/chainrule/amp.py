"""PyTorch's automatic mixed precision names, so that code written with them runs.

chainrule computes every op in its operands' own dtypes (NumPy has no bfloat16, and a float16
matrix product is no faster on the CPU), so :class:`autocast` changes nothing: it says so once,
in the words PyTorch uses when it disables itself, and runs the block as written.
:class:`GradScaler` works as PyTorch's: it multiplies the loss by a power of two, divides the
gradients back before the step, skips a step whose gradients are not finite and halves the
scale then, doubling it after ``growth_interval`` finite steps in a row. A scaler for a device
this machine lacks (PyTorch's default, ``"cuda"``) disables itself, as PyTorch's does.

    >>> import chainrule as cr
    >>> w = cr.nn.Parameter(cr.tensor([1.0, 2.0]))
    >>> opt = cr.optim.SGD([w], lr=0.1)
    >>> scaler = cr.amp.GradScaler("cpu")
    >>> scaler.scale((w * 3).sum()).backward()
    >>> scaler.step(opt)
    >>> scaler.update()
    >>> w, w.grad, scaler.get_scale()
    (Parameter containing:
    tensor([0.7000, 1.7000], requires_grad=True), tensor([3., 3.]), 65536.0)
"""

from __future__ import annotations

import functools
import types
import warnings
from collections.abc import Callable
from typing import Any

from chainrule import devices, grad_mode
from chainrule._array import xp
from chainrule.tensor import Tensor


class autocast:  # noqa: N801 - PyTorch's name
    """A block (or, as a decorator, a function) that PyTorch would run in lower precision;
    chainrule runs it in the tensors' own dtypes, and warns that it does."""

    def __init__(
        self,
        device_type: str,
        dtype: Any = None,
        enabled: bool = True,
        cache_enabled: bool | None = None,
    ) -> None:
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        self.device = device_type
        self.fast_dtype = dtype
        if enabled:
            warnings.warn(
                "chainrule has no autocast: every op computes in its inputs' dtypes. "
                "Disabling autocast.",
                UserWarning,
                stacklevel=2,
            )

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> bool:
        return False

    def __call__(self, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def run(*args: Any, **kwargs: Any) -> Any:
            with self:
                return function(*args, **kwargs)

        return run


def is_autocast_available(device_type: str) -> bool:
    """False for every device: chainrule's :class:`autocast` always disables itself (PyTorch
    answers True for ``"cpu"`` and ``"cuda"``). An unknown device type is refused as PyTorch
    refuses it.

        >>> is_autocast_available("cpu")
        False
    """
    devices.device(device_type)  # raises PyTorch's RuntimeError for an unknown type
    return False


def _check_device_type(device_type: Any) -> None:
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")


def custom_fwd(
    fwd: Callable[..., Any] | None = None, *, device_type: str, cast_inputs: Any = None
) -> Any:
    """Decorate a custom ``autograd.Function``'s ``forward`` for autocast (``@custom_fwd(...)``).

    PyTorch's decorator casts the inputs to ``cast_inputs`` and turns autocast off inside
    ``forward`` only where autocast is enabled; outside it, it is a no-op and ``cast_inputs``
    has no effect. chainrule's autocast is never enabled, so ``forward`` is returned as it is.

        >>> import chainrule as cr
        >>> class Double(cr.autograd.Function):
        ...     @staticmethod
        ...     @custom_fwd(device_type="cpu", cast_inputs=cr.float16)
        ...     def forward(ctx, x):
        ...         return x * 2
        ...     @staticmethod
        ...     @custom_bwd(device_type="cpu")
        ...     def backward(ctx, g):
        ...         return g * 2
        >>> Double.apply(cr.ones(2, requires_grad=True))
        tensor([2., 2.], grad_fn=<DoubleBackward>)
    """
    _check_device_type(device_type)
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)
    return fwd


def custom_bwd(bwd: Callable[..., Any] | None = None, *, device_type: str) -> Any:
    """Decorate a custom ``autograd.Function``'s ``backward`` to run in ``forward``'s autocast
    state (see :func:`custom_fwd`): with autocast never enabled, ``backward`` as it is."""
    _check_device_type(device_type)
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)
    return bwd


class GradScaler:
    """PyTorch's loss scaling: ``scale(loss).backward()``, ``step(optimizer)``, ``update()``."""

    def __init__(
        self,
        device: str = "cuda",
        init_scale: float = 2.0**16,
        growth_factor: float = 2.0,
        backoff_factor: float = 0.5,
        growth_interval: int = 2000,
        enabled: bool = True,
    ) -> None:
        if enabled and device != "cpu":  # no accelerator here: PyTorch's scaler turns off too
            warnings.warn(
                "chainrule.cuda.amp.GradScaler is enabled, but CUDA is not available.  Disabling.",
                UserWarning,
                stacklevel=2,
            )
            enabled = False
        self._enabled = enabled
        self._scale = float(init_scale)
        self._growth_factor = float(growth_factor)
        self._backoff_factor = float(backoff_factor)
        self._growth_interval = int(growth_interval)
        self._growth_tracker = 0
        # id(optimizer) -> whether its gradients held a non-finite value when unscaled
        self._unscaled: dict[int, bool] = {}

    def is_enabled(self) -> bool:
        return self._enabled

    def get_scale(self) -> float:
        return self._scale if self._enabled else 1.0

    def get_growth_factor(self) -> float:
        return self._growth_factor

    def get_backoff_factor(self) -> float:
        return self._backoff_factor

    def get_growth_interval(self) -> int:
        return self._growth_interval

    def scale(self, outputs: Any) -> Any:
        """``outputs`` (a tensor, or tensors in lists and tuples) times the scale."""
        if not self._enabled:
            return outputs
        if isinstance(outputs, Tensor):
            return outputs * self._scale
        if isinstance(outputs, (list, tuple)):
            return type(outputs)(self.scale(o) for o in outputs)
        raise ValueError("outputs must be a Tensor or an iterable of Tensors")

    def unscale_(self, optimizer: Any) -> None:
        """Divide ``optimizer``'s gradients by the scale in place, once per step."""
        if not self._enabled:
            return
        if id(optimizer) in self._unscaled:
            raise RuntimeError(
                "unscale_() has already been called on this optimizer since the last update()."
            )
        params = [p for group in optimizer.param_groups for p in group["params"]]
        grads = [p.grad for p in params if p.grad is not None]
        finite = all(xp.isfinite(g._data).all() for g in grads)
        with grad_mode.no_grad():
            for g in grads:
                g.mul_(1.0 / self._scale)
        self._unscaled[id(optimizer)] = not finite

    def step(self, optimizer: Any, *args: Any, **kwargs: Any) -> Any:
        """``optimizer.step()`` on unscaled gradients, skipped if one is not finite."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        if id(optimizer) not in self._unscaled:
            self.unscale_(optimizer)
        if self._unscaled[id(optimizer)]:
            return None
        return optimizer.step(*args, **kwargs)

    def update(self, new_scale: float | Tensor | None = None) -> None:
        """The scale for the next step: halved after a skipped step, doubled after
        ``growth_interval`` steps in a row that were not (or ``new_scale``)."""
        if not self._enabled:
            return
        if new_scale is not None:
            self._scale = float(new_scale)
        elif any(self._unscaled.values()):
            self._scale *= self._backoff_factor
            self._growth_tracker = 0
        else:
            self._growth_tracker += 1
            if self._growth_tracker == self._growth_interval:
                self._scale *= self._growth_factor
                self._growth_tracker = 0
        self._unscaled.clear()

    def state_dict(self) -> dict[str, Any]:
        if not self._enabled:
            return {}
        return {
            "scale": self._scale,
            "growth_factor": self._growth_factor,
            "backoff_factor": self._backoff_factor,
            "growth_interval": self._growth_interval,
            "_growth_tracker": self._growth_tracker,
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        if not self._enabled:
            return
        if not state_dict:
            raise RuntimeError(
                "The source state dict is empty, possibly because it was saved from a disabled "
                "instance of GradScaler."
            )
        self._scale = float(state_dict["scale"])
        self._growth_factor = float(state_dict["growth_factor"])
        self._backoff_factor = float(state_dict["backoff_factor"])
        self._growth_interval = int(state_dict["growth_interval"])
        self._growth_tracker = int(state_dict["_growth_tracker"])


# torch.cuda.amp's older names (chainrule.cuda.amp): a scaler and an autocast for CUDA, which
# disable themselves on this machine as PyTorch's do on one without CUDA.
cuda_amp = types.ModuleType(
    "chainrule.cuda.amp", "torch.cuda.amp's names: CUDA's scaler, autocast, custom_fwd/bwd"
)
cuda_amp.GradScaler = functools.partial(GradScaler, "cuda")  # type: ignore[attr-defined]
cuda_amp.autocast = functools.partial(autocast, "cuda")  # type: ignore[attr-defined]


def _cuda_custom_fwd(fwd: Callable[..., Any] | None = None, *, cast_inputs: Any = None) -> Any:
    """``chainrule.cuda.amp.custom_fwd``: :func:`custom_fwd` for ``device_type="cuda"``,
    deprecated as PyTorch's."""
    _warn_cuda_deprecated("custom_fwd")
    return custom_fwd(fwd, device_type="cuda", cast_inputs=cast_inputs)


def _cuda_custom_bwd(bwd: Callable[..., Any]) -> Any:
    """``chainrule.cuda.amp.custom_bwd``: :func:`custom_bwd` for ``device_type="cuda"``,
    deprecated as PyTorch's."""
    _warn_cuda_deprecated("custom_bwd")
    return custom_bwd(bwd, device_type="cuda")


def _warn_cuda_deprecated(name: str) -> None:
    warnings.warn(
        f"`chainrule.cuda.amp.{name}(args...)` is deprecated. "
        f"Please use `chainrule.amp.{name}(args..., device_type='cuda')` instead.",
        FutureWarning,
        stacklevel=3,
    )


cuda_amp.custom_fwd = _cuda_custom_fwd  # type: ignore[attr-defined]
cuda_amp.custom_bwd = _cuda_custom_bwd  # type: ignore[attr-defined]
