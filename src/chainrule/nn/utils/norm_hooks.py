"""The older weight and spectral norm, as ``torch.nn.utils.weight_norm`` and
``torch.nn.utils.spectral_norm``: a forward pre-hook recomputes ``module.<name>`` (a plain
attribute) before each call from new parameters, ``<name>_g`` and ``<name>_v`` for weight
norm, ``<name>_orig`` with the power-iteration buffers ``<name>_u`` and ``<name>_v`` for
spectral norm (which iterates only in training mode). ``weight_norm`` warns that it is
deprecated, as PyTorch's does; :mod:`chainrule.nn.utils.parametrizations` has the newer forms.

    >>> import chainrule as cr
    >>> m = spectral_norm(cr.nn.Linear(3, 2))
    >>> sorted(m.state_dict())
    ['bias', 'weight_orig', 'weight_u', 'weight_v']
    >>> sorted(remove_spectral_norm(m).state_dict())
    ['bias', 'weight']
"""

from __future__ import annotations

import warnings
from typing import Any, TypeVar

from chainrule import grad_mode
from chainrule.nn.conv import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from chainrule.nn.functional import normalize
from chainrule.nn.lazy import UninitializedParameter
from chainrule.nn.module import Module
from chainrule.nn.parameter import Parameter
from chainrule.nn.utils.parametrizations import _weight_norm, norm_except_dim
from chainrule.ops.linalg import dot, mv
from chainrule.tensor import Tensor

__all__ = [
    "SpectralNorm",
    "WeightNorm",
    "remove_spectral_norm",
    "remove_weight_norm",
    "spectral_norm",
    "weight_norm",
]

T_module = TypeVar("T_module", bound=Module)


def _find_hook(module: Module, kind: type, name: str) -> Any:
    for hook in module._forward_pre_hooks:
        if isinstance(hook, kind) and hook.name == name:
            return hook
    return None


class WeightNorm:
    """The pre-hook of :func:`weight_norm`: ``module.<name> = g * v / ||v||``."""

    def __init__(self, name: str, dim: int | None) -> None:
        self.name = name
        self.dim = -1 if dim is None else dim

    def compute_weight(self, module: Module) -> Tensor:
        g = getattr(module, self.name + "_g")
        v = getattr(module, self.name + "_v")
        return _weight_norm(v, g, self.dim)

    @staticmethod
    def apply(module: Module, name: str, dim: int | None) -> WeightNorm:
        warnings.warn(
            "`chainrule.nn.utils.weight_norm` is deprecated in favor of "
            "`chainrule.nn.utils.parametrizations.weight_norm`.",
            FutureWarning,
            stacklevel=3,
        )
        if _find_hook(module, WeightNorm, name) is not None:
            raise RuntimeError(
                f"Cannot register two weight_norm hooks on the same parameter {name}"
            )
        fn = WeightNorm(name, dim)
        weight = getattr(module, name)
        if isinstance(weight, UninitializedParameter):
            raise ValueError(
                "The module passed to `WeightNorm` can't have uninitialized parameters. Make sure "
                "to run the dummy forward before applying weight normalization"
            )
        del module._parameters[name]
        module.register_parameter(name + "_g", Parameter(norm_except_dim(weight, 2, fn.dim).data))
        module.register_parameter(name + "_v", Parameter(weight.data))
        setattr(module, name, fn.compute_weight(module))
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module: Module) -> None:
        weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        setattr(module, self.name, Parameter(weight.data))

    def __call__(self, module: Module, inputs: Any) -> None:
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module: T_module, name: str = "weight", dim: int | None = 0) -> T_module:
    """Replace ``module.<name>`` by a magnitude ``<name>_g`` (one per slice along ``dim``;
    ``None``: one for the whole tensor) and a direction ``<name>_v``; a pre-hook recomputes
    the weight before each call. Deprecated (it warns), as in PyTorch."""
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module: T_module, name: str = "weight") -> T_module:
    """Undo :func:`weight_norm`: ``<name>`` is a parameter again, with the current value."""
    hook = _find_hook(module, WeightNorm, name)
    if hook is None:
        raise ValueError(f"weight_norm of '{name}' not found in {module}")
    hook.remove(module)
    module._forward_pre_hooks.remove(hook)
    return module


class SpectralNorm:
    """The pre-hook of :func:`spectral_norm`: ``module.<name> = W / sigma(W)``."""

    def __init__(
        self, name: str = "weight", n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12
    ) -> None:
        self.name = name
        self.dim = dim
        if n_power_iterations <= 0:
            raise ValueError(
                "Expected n_power_iterations to be positive, but got "
                f"n_power_iterations={n_power_iterations}"
            )
        self.n_power_iterations = n_power_iterations
        self.eps = eps

    def reshape_weight_to_matrix(self, weight: Tensor) -> Tensor:
        if self.dim != 0:
            weight = weight.permute(self.dim, *[d for d in range(weight.ndim) if d != self.dim])
        return weight.reshape(weight.shape[0], -1)

    def compute_weight(self, module: Module, do_power_iteration: bool) -> Tensor:
        weight = getattr(module, self.name + "_orig")
        u = getattr(module, self.name + "_u")
        v = getattr(module, self.name + "_v")
        weight_mat = self.reshape_weight_to_matrix(weight)
        if do_power_iteration:
            # in place on the buffers, outside the graph; then copies for sigma's graph,
            # which the next iteration must not change
            with grad_mode.no_grad():
                for _ in range(self.n_power_iterations):
                    v = normalize(mv(weight_mat.t(), u), dim=0, eps=self.eps, out=v)
                    u = normalize(mv(weight_mat, v), dim=0, eps=self.eps, out=u)
                u, v = u.clone(), v.clone()
        sigma = dot(u, mv(weight_mat, v))
        return weight / sigma

    def remove(self, module: Module) -> None:
        with grad_mode.no_grad():
            weight = self.compute_weight(module, do_power_iteration=False)
        delattr(module, self.name)
        delattr(module, self.name + "_u")
        delattr(module, self.name + "_v")
        delattr(module, self.name + "_orig")
        module.register_parameter(self.name, Parameter(weight.detach()))

    def __call__(self, module: Module, inputs: Any) -> None:
        setattr(module, self.name, self.compute_weight(module, module.training))

    @staticmethod
    def apply(
        module: Module, name: str, n_power_iterations: int, dim: int, eps: float
    ) -> SpectralNorm:
        if _find_hook(module, SpectralNorm, name) is not None:
            raise RuntimeError(
                f"Cannot register two spectral_norm hooks on the same parameter {name}"
            )
        fn = SpectralNorm(name, n_power_iterations, dim, eps)
        weight = module._parameters[name]
        if weight is None:
            raise ValueError(f"`SpectralNorm` cannot be applied as parameter `{name}` is None")
        if isinstance(weight, UninitializedParameter):
            raise ValueError(
                "The module passed to `SpectralNorm` can't have uninitialized parameters. Make "
                "sure to run the dummy forward before applying spectral normalization"
            )
        with grad_mode.no_grad():
            h, w = fn.reshape_weight_to_matrix(weight).shape
            # PyTorch's random start: u, then v, from the global generator
            u = normalize(weight.new_empty(h).normal_(0, 1), dim=0, eps=fn.eps)
            v = normalize(weight.new_empty(w).normal_(0, 1), dim=0, eps=fn.eps)
        delattr(module, fn.name)
        module.register_parameter(fn.name + "_orig", weight)
        setattr(module, fn.name, weight.data)
        module.register_buffer(fn.name + "_u", u)
        module.register_buffer(fn.name + "_v", v)
        module.register_forward_pre_hook(fn)
        return fn


def spectral_norm(
    module: T_module,
    name: str = "weight",
    n_power_iterations: int = 1,
    eps: float = 1e-12,
    dim: int | None = None,
) -> T_module:
    """Divide ``module.<name>`` by its spectral norm before each call, estimated by
    ``n_power_iterations`` power-method steps (in training mode only) on the buffers
    ``<name>_u`` and ``<name>_v``; ``dim`` (1 for transposed convolutions, else 0) is the
    weight's output dimension."""
    if dim is None:
        transposed = (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)
        dim = 1 if isinstance(module, transposed) else 0
    SpectralNorm.apply(module, name, n_power_iterations, dim, eps)
    return module


def remove_spectral_norm(module: T_module, name: str = "weight") -> T_module:
    """Undo :func:`spectral_norm`: ``<name>`` is a parameter again, with the normalized
    value (no further power iteration)."""
    hook = _find_hook(module, SpectralNorm, name)
    if hook is None:
        raise ValueError(f"spectral_norm of '{name}' not found in {module}")
    hook.remove(module)
    module._forward_pre_hooks.remove(hook)
    return module
