"""The older, hook-based ``torch.nn.utils.weight_norm`` and ``spectral_norm``.

Unlike the parametrizations (:mod:`chainrule.nn.utils.parametrizations`), these keep their
tensors beside the weight, ``weight_g`` / ``weight_v`` or ``weight_orig`` / ``weight_u`` /
``weight_v``, and a forward pre-hook recomputes ``module.weight`` (a plain tensor attribute)
before each call.

>>> import chainrule as cr
>>> m = spectral_norm(cr.nn.Linear(4, 3))
>>> list(m.state_dict())
['bias', 'weight_orig', 'weight_u', 'weight_v']
>>> list(remove_spectral_norm(m).state_dict())
['bias', 'weight']
"""

from __future__ import annotations

import warnings
from typing import Any

from chainrule import grad_mode, norm_except_dim
from chainrule.nn import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from chainrule.nn import functional as F
from chainrule.nn.lazy import is_lazy
from chainrule.nn.module import Module
from chainrule.nn.parameter import Parameter
from chainrule.tensor import Tensor

__all__ = ["remove_spectral_norm", "remove_weight_norm", "spectral_norm", "weight_norm"]


def _hooks_of(module: Module, kind: type) -> list[Any]:
    """The forward pre-hooks of ``module`` that are ``kind`` objects."""
    return [hook for hook in module._forward_pre_hooks.values() if isinstance(hook, kind)]


def _unregister(module: Module, hook: Any) -> None:
    """Take the forward pre-hook ``hook`` off ``module`` (its entry in PyTorch's hook dict)."""
    hooks = module._forward_pre_hooks
    for key in [key for key, registered in hooks.items() if registered is hook]:
        del hooks[key]


def _refuse_second(module: Module, kind: type, name: str, what: str) -> None:
    if any(hook.name == name for hook in _hooks_of(module, kind)):
        raise RuntimeError(f"Cannot register two {what} hooks on the same parameter {name}")


def _take_hook(module: Module, kind: type, name: str, what: str) -> Any:
    """Unregister and return the ``kind`` hook of ``name``."""
    for hook in _hooks_of(module, kind):
        if hook.name == name:
            _unregister(module, hook)
            return hook
    raise ValueError(f"{what} of '{name}' not found in {module}")


def _refuse_lazy(weight: Any, hook: str, what: str) -> None:
    # Its shape is unknown, so neither the split nor the power-iteration vectors can be made.
    if is_lazy(weight):
        raise ValueError(
            f"The module passed to `{hook}` can't have uninitialized parameters. Make sure to "
            f"run the dummy forward before applying {what} normalization"
        )


# ---------------------------------------------------------------- weight norm
class WeightNorm:
    """The pre-hook of :func:`weight_norm`: ``weight = g * v / ||v||`` before each forward."""

    def __init__(self, name: str, dim: int) -> None:
        self.name = name
        self.dim = dim

    def compute_weight(self, module: Module) -> Tensor:
        g = getattr(module, f"{self.name}_g")
        v = getattr(module, f"{self.name}_v")
        return v * (g / norm_except_dim(v, 2, self.dim))

    def __call__(self, module: Module, inputs: Any) -> None:
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Replace the parameter ``name`` by a magnitude ``<name>_g`` and a direction ``<name>_v``
    (deprecated, as in PyTorch: it warns; use
    :func:`chainrule.nn.utils.parametrizations.weight_norm`).

    >>> import warnings
    >>> import chainrule as cr
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     m = weight_norm(cr.nn.Linear(4, 3))
    >>> list(m.state_dict())
    ['bias', 'weight_g', 'weight_v']
    """
    warnings.warn(
        "`chainrule.nn.utils.weight_norm` is deprecated in favor of "
        "`chainrule.nn.utils.parametrizations.weight_norm`.",
        FutureWarning,
        stacklevel=2,
    )

    _refuse_second(module, WeightNorm, name, "weight_norm")
    hook = WeightNorm(name, -1 if dim is None else dim)
    weight = getattr(module, name)
    _refuse_lazy(weight, "WeightNorm", "weight")
    del module._parameters[name]
    module.register_parameter(f"{name}_g", Parameter(norm_except_dim(weight, 2, hook.dim).data))
    module.register_parameter(f"{name}_v", Parameter(weight.data))
    setattr(module, name, hook.compute_weight(module))
    module.register_forward_pre_hook(hook)
    return module


def remove_weight_norm(module: Module, name: str = "weight") -> Module:
    """Undo :func:`weight_norm`: ``name`` is one parameter again, holding ``g * v / ||v||``."""
    hook = _take_hook(module, WeightNorm, name, "weight_norm")
    weight = hook.compute_weight(module)
    delattr(module, name)
    del module._parameters[f"{name}_g"]
    del module._parameters[f"{name}_v"]
    setattr(module, name, Parameter(weight.data))
    return module


# ---------------------------------------------------------------- spectral norm
class SpectralNorm:
    """The pre-hook of :func:`spectral_norm`: ``weight = weight_orig / sigma`` before each
    forward, with a power-iteration step on ``weight_u`` and ``weight_v`` in training."""

    def __init__(self, name: str, n_power_iterations: int, dim: int, eps: float) -> None:
        if n_power_iterations <= 0:
            raise ValueError(
                "Expected n_power_iterations to be positive, but got "
                f"n_power_iterations={n_power_iterations}"
            )
        self.name = name
        self.n_power_iterations = n_power_iterations
        self.dim = dim
        self.eps = eps

    def as_matrix(self, weight: Tensor) -> Tensor:
        """``weight`` with ``dim`` first and the other dimensions flattened (a vector is one
        column). As PyTorch's, ``dim`` is put first by a permutation of the dimensions in
        their order, which refuses a negative ``dim`` or one past the last."""
        if self.dim != 0:
            rest = [d for d in range(weight.ndim) if d != self.dim]
            weight = weight.permute(self.dim, *rest)
        return weight.reshape(weight.shape[0], -1)

    def compute_weight(self, module: Module, do_power_iteration: bool) -> Tensor:
        weight = getattr(module, f"{self.name}_orig")
        u = getattr(module, f"{self.name}_u")
        v = getattr(module, f"{self.name}_v")
        matrix = self.as_matrix(weight)
        if do_power_iteration:
            # The buffers are updated in place (v first, then u), then copied so that the
            # gradient of sigma does not see the next forward's update.
            with grad_mode.no_grad():
                for _ in range(self.n_power_iterations):
                    F.normalize(matrix.mT @ u, dim=0, eps=self.eps, out=v)
                    F.normalize(matrix @ v, dim=0, eps=self.eps, out=u)
            u, v = u.clone(), v.clone()
        sigma = u @ (matrix @ v)
        return weight / sigma

    def __call__(self, module: Module, inputs: Any) -> None:
        setattr(module, self.name, self.compute_weight(module, module.training))

    def record_version(
        self, module: Module, state_dict: Any, prefix: str, local_metadata: dict[str, Any]
    ) -> None:
        """A state-dict hook: the module's metadata names the format of ``<name>_u`` and
        ``<name>_v`` (version 1, the only one chainrule reads), as PyTorch's does."""
        local_metadata.setdefault("spectral_norm", {})[f"{self.name}.version"] = 1


def spectral_norm(
    module: Module,
    name: str = "weight",
    n_power_iterations: int = 1,
    eps: float = 1e-12,
    dim: int | None = None,
) -> Module:
    """Divide the parameter ``name`` by its spectral norm before each forward (Miyato et
    al.), estimated by power iteration; ``dim`` (default 0, 1 for transposed convolutions)
    is the output dimension. The parameter becomes ``<name>_orig``.

    >>> import chainrule as cr
    >>> m = spectral_norm(cr.nn.Linear(4, 3))
    >>> tuple(m.weight_u.shape), tuple(m.weight_v.shape)
    ((3,), (4,))
    """
    if dim is None:
        transposed = (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)
        dim = 1 if isinstance(module, transposed) else 0
    _refuse_second(module, SpectralNorm, name, "spectral_norm")
    hook = SpectralNorm(name, n_power_iterations, dim, eps)
    weight = module._parameters[name]
    if weight is None:
        raise ValueError(f"`SpectralNorm` cannot be applied as parameter `{name}` is None")
    _refuse_lazy(weight, "SpectralNorm", "spectral")
    with grad_mode.no_grad():
        rows, cols = hook.as_matrix(weight).shape
        u = F.normalize(weight.new_empty(rows).normal_(0, 1), dim=0, eps=eps)
        v = F.normalize(weight.new_empty(cols).normal_(0, 1), dim=0, eps=eps)
    delattr(module, name)
    module.register_parameter(f"{name}_orig", weight)
    # A plain attribute until the first forward computes the normalized weight.
    setattr(module, name, weight.data)
    module.register_buffer(f"{name}_u", u)
    module.register_buffer(f"{name}_v", v)
    module.register_forward_pre_hook(hook)
    hook.metadata_hook = module._register_state_dict_hook(hook.record_version)
    return module


def remove_spectral_norm(module: Module, name: str = "weight") -> Module:
    """Undo :func:`spectral_norm`: ``name`` is a parameter again, holding the weight
    normalized with the current ``<name>_u`` and ``<name>_v``."""
    hook = _take_hook(module, SpectralNorm, name, "spectral_norm")
    hook.metadata_hook.remove()
    with grad_mode.no_grad():
        weight = hook.compute_weight(module, do_power_iteration=False)
    for suffix in ("", "_u", "_v", "_orig"):
        delattr(module, name + suffix)
    module.register_parameter(name, Parameter(weight.detach()))
    return module
