"""``torch.nn.utils``: gradient clipping and flattening parameters here; parametrizations,
weight and spectral norm, batch-norm fusion, ``functional_call`` and ``skip_init`` in
submodules, loaded on first use (they build on :mod:`chainrule.nn.module`, which imports this
package for :func:`_zero_grads`).

>>> import chainrule as cr
>>> w = cr.nn.Parameter(cr.zeros(2))
>>> w.grad = cr.tensor([3.0, 4.0])
>>> clip_grad_norm_([w], max_norm=1.0)          # returns the norm before clipping
tensor(5.)
>>> w.grad
tensor([0.6000, 0.8000])
"""

from __future__ import annotations

import importlib
import math
import types
import warnings
from collections.abc import Iterable
from typing import Any

from chainrule import grad_mode
from chainrule._array import xp
from chainrule.nn.utils.convert_parameters import parameters_to_vector, vector_to_parameters
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


def get_total_norm(
    tensors: Iterable[Tensor] | Tensor,
    norm_type: float | str = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """The ``norm_type`` norm of the norms of ``tensors`` (all their elements as one
    vector), as PyTorch computes it: each tensor's norm in its own dtype, then the norm of
    those (``foreach`` is PyTorch's kernel choice, accepted and ignored)."""
    from chainrule.linalg import vector_norm
    from chainrule.ops.shape import stack

    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return _make(xp.asarray(0.0, dtype=xp.float32))
    if foreach is not False and norm_type == math.inf and any(t.numel() == 0 for t in tensors):
        # PyTorch's default kernel (_foreach_norm) words the refusal of linalg.vector_norm
        # (which -inf norms and foreach=False still reach) its own way
        raise RuntimeError(
            "_foreach_norm cannot compute the infinity norm on an empty tensor because the "
            "operation does not have an identity"
        )
    with grad_mode.no_grad():
        norms = [vector_norm(t, norm_type) for t in tensors]
        total = vector_norm(stack(norms), norm_type)
    if error_if_nonfinite and not math.isfinite(total.item()):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the gradients "
            "by the non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    return total


def clip_grads_with_norm_(
    parameters: Iterable[Tensor] | Tensor,
    max_norm: float,
    total_norm: Tensor,
    foreach: bool | None = None,
) -> None:
    """Scale the parameters' gradients by ``min(max_norm / (total_norm + 1e-6), 1)`` in
    place (the second half of :func:`clip_grad_norm_`, with the norm given). ``total_norm``
    must be a tensor, and (but with ``foreach=False``) a 0-d one, as PyTorch's kernels want:
    a vector of norms is refused rather than broadcast over the gradients."""
    from chainrule import clamp

    grads = [p.grad for p in _with_grads(parameters)]
    max_norm = float(max_norm)
    if not grads:
        return
    with grad_mode.no_grad():
        coefficient = clamp(max_norm / (total_norm + 1e-6), max=1.0)
        if foreach is not False and coefficient.ndim != 0:
            raise RuntimeError(
                f"scalar tensor expected to be 0 dim but it has {coefficient.ndim} dimensions "
                f"and {coefficient.numel()} elements."
            )
        for g in grads:
            g.mul_(coefficient)


def clip_grad_norm_(
    parameters: Iterable[Tensor] | Tensor,
    max_norm: float,
    norm_type: float | str = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """Scale all gradients together so that their joint ``norm_type`` norm is at most
    ``max_norm``; returns the joint norm before clipping. (``norm_type=0`` is PyTorch's: the
    count of the tensors that have a non-zero entry, each tensor's "0-norm" counting its
    non-zero entries.)"""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    else:
        is_generator = isinstance(parameters, types.GeneratorType)
        parameters = list(parameters)
        if is_generator and not parameters:
            warnings.warn(
                "`parameters` is an empty generator, no gradient clipping will occur.",
                stacklevel=2,
            )
    grads = [p.grad for p in _with_grads(parameters)]
    total_norm = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total_norm, foreach)
    return total_norm


def clip_grad_norm(
    parameters: Iterable[Tensor] | Tensor,
    max_norm: float,
    norm_type: float | str = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """:func:`clip_grad_norm_`'s old name, deprecated as in PyTorch (it warns)."""
    warnings.warn(
        "`chainrule.nn.utils.clip_grad_norm` is now deprecated in favor of "
        "`chainrule.nn.utils.clip_grad_norm_`.",
        FutureWarning,
        stacklevel=2,
    )
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(
    parameters: Iterable[Tensor] | Tensor, clip_value: float, foreach: bool | None = None
) -> None:
    """Clamp every gradient element to [-clip_value, clip_value] in place. ``clip_value`` may
    be a 1-element tensor: it is read as a number, as PyTorch reads it. As PyTorch's kernels,
    the default (``foreach``) clamps from below then from above, two in-place changes of each
    gradient (its version counter shows them), ``foreach=False`` clamps once."""
    clip_value = float(clip_value)
    with grad_mode.no_grad():
        for p in _with_grads(parameters):
            if foreach is False:
                p.grad.clamp_(min=-clip_value, max=clip_value)
            else:
                p.grad.clamp_min_(-clip_value).clamp_max_(clip_value)


# Names of the submodules' public objects, loaded on first use (see the module docstring).
_LAZY = {
    "parametrize": ("chainrule.nn.utils.parametrize", None),
    "prune": ("chainrule.nn.utils.prune", None),
    "rnn": ("chainrule.nn.utils.rnn", None),
    "parametrizations": ("chainrule.nn.utils.parametrizations", None),
    "stateless": ("chainrule.nn.utils.stateless", None),
    "fusion": ("chainrule.nn.utils.fusion", None),
    "init": ("chainrule.nn.utils.init", None),
    "norm_hooks": ("chainrule.nn.utils.norm_hooks", None),
    "weight_norm": ("chainrule.nn.utils.norm_hooks", "weight_norm"),
    "remove_weight_norm": ("chainrule.nn.utils.norm_hooks", "remove_weight_norm"),
    "spectral_norm": ("chainrule.nn.utils.norm_hooks", "spectral_norm"),
    "remove_spectral_norm": ("chainrule.nn.utils.norm_hooks", "remove_spectral_norm"),
    "fuse_conv_bn_eval": ("chainrule.nn.utils.fusion", "fuse_conv_bn_eval"),
    "fuse_conv_bn_weights": ("chainrule.nn.utils.fusion", "fuse_conv_bn_weights"),
    "fuse_linear_bn_eval": ("chainrule.nn.utils.fusion", "fuse_linear_bn_eval"),
    "fuse_linear_bn_weights": ("chainrule.nn.utils.fusion", "fuse_linear_bn_weights"),
    "skip_init": ("chainrule.nn.utils.init", "skip_init"),
    "memory_format": ("chainrule.nn.utils.memory_format", None),
    "convert_conv2d_weight_memory_format": (
        "chainrule.nn.utils.memory_format",
        "convert_conv2d_weight_memory_format",
    ),
    "convert_conv3d_weight_memory_format": (
        "chainrule.nn.utils.memory_format",
        "convert_conv3d_weight_memory_format",
    ),
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'chainrule.nn.utils' has no attribute '{name}'")
    module_name, attribute = _LAZY[name]
    module = importlib.import_module(module_name)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "clip_grad_norm",
    "clip_grad_norm_",
    "clip_grad_value_",
    "clip_grads_with_norm_",
    "convert_conv2d_weight_memory_format",
    "convert_conv3d_weight_memory_format",
    "fuse_conv_bn_eval",
    "fuse_conv_bn_weights",
    "fuse_linear_bn_eval",
    "fuse_linear_bn_weights",
    "get_total_norm",
    "parameters_to_vector",
    "parametrizations",
    "parametrize",
    "remove_spectral_norm",
    "remove_weight_norm",
    "rnn",
    "skip_init",
    "spectral_norm",
    "stateless",
    "vector_to_parameters",
    "weight_norm",
]
