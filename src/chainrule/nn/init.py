"""Weight initialisation, with PyTorch's names, formulas and defaults.

Each function fills a tensor in place (without recording a graph) and returns it, with
PyTorch's values for the same seed: ``nn.Linear`` here and in PyTorch draw the same weights.

    >>> import chainrule as cr
    >>> w = cr.empty(256, 100)
    >>> _ = kaiming_uniform_(w, a=5 ** 0.5)        # nn.Linear's default
    >>> bool(w.abs().max() <= 100 ** -0.5)          # bound = 1 / sqrt(fan_in)
    True
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable
from typing import Any

from chainrule import grad_mode, rng
from chainrule.tensor import Tensor

_LINEAR = (
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "sigmoid",
)


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended scale of the weights for a nonlinearity (PyTorch's table, with its
    int 1 for the linear ones).

    >>> calculate_gain("relu") == 2 ** 0.5
    True
    """
    if nonlinearity in _LINEAR:
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """Inputs and outputs per unit: (in * receptive field, out * receptive field)."""
    if tensor.ndim < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"
        )
    receptive_field = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive_field, tensor.shape[0] * receptive_field


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    mode = mode.lower()  # PyTorch takes "FAN_IN" too
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of {['fan_in', 'fan_out']}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(
    tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: rng.Generator | None = None
) -> Tensor:
    """Fill with values drawn from U(a, b): ``tensor.uniform_`` without recording, as PyTorch."""
    with grad_mode.no_grad():
        return tensor.uniform_(a, b, generator=generator)


def normal_(
    tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator: rng.Generator | None = None
) -> Tensor:
    """Fill with values drawn from N(mean, std**2): ``tensor.normal_`` without recording."""
    with grad_mode.no_grad():
        return tensor.normal_(mean, std, generator=generator)


def constant_(tensor: Tensor, val: float) -> Tensor:
    with grad_mode.no_grad():
        return tensor.fill_(val)


def zeros_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 0.0)


def ones_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 1.0)


def xavier_uniform_(
    tensor: Tensor, gain: float = 1.0, generator: rng.Generator | None = None
) -> Tensor:
    """Glorot: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = math.sqrt(3.0) * gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(
    tensor: Tensor, gain: float = 1.0, generator: rng.Generator | None = None
) -> Tensor:
    """Glorot: N(0, std**2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)), generator)


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str) -> float:
    """gain / sqrt(fan), the fan found (and checked) before the gain, as PyTorch orders its
    errors."""
    fan = _calculate_correct_fan(tensor, mode)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def _refuse_empty(tensor: Tensor) -> bool:
    """Whether ``tensor`` has no elements, which the He initialisations leave as they are
    (no draw, no version change, no check of their arguments), warning as PyTorch's do."""
    if 0 not in tensor.shape:
        return False
    warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
    return True


def kaiming_uniform_(
    tensor: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: rng.Generator | None = None,
) -> Tensor:
    """He: U(-bound, bound) with bound = gain * sqrt(3 / fan)."""
    if _refuse_empty(tensor):
        return tensor
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(
    tensor: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: rng.Generator | None = None,
) -> Tensor:
    """He: N(0, std**2) with std = gain / sqrt(fan)."""
    if _refuse_empty(tensor):
        return tensor
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity), generator)


def trunc_normal_(
    tensor: Tensor,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    generator: rng.Generator | None = None,
) -> Tensor:
    """N(mean, std**2) truncated to [a, b], by PyTorch's rejection sampling (so a seed gives
    its values): where the interval holds more than 30% of the mass, normal draws redrawn
    until inside; else uniform draws on [a, b] kept with probability pdf / pdf's peak.

    >>> import chainrule as cr
    >>> bool(trunc_normal_(cr.empty(1000), std=3.0).abs().max() <= 2.0)
    True
    """
    from chainrule.factories import empty_like
    from chainrule.ops.elementwise import where

    def cdf(x: float) -> float:
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0

    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn(
            "mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The distribution "
            "of values may be incorrect.",
            stacklevel=2,
        )
    if tensor.is_meta:  # no values to draw (the redraws below read them)
        return tensor
    # The redraws fill ``empty_like`` buffers, which keep the tensor's strides as PyTorch's
    # do, so that each draw lands where PyTorch's lands in a transposed tensor too.
    with grad_mode.no_grad():
        if cdf((b - mean) / std) - cdf((a - mean) / std) > 0.3:
            low, high = tensor.new_tensor(a).item(), tensor.new_tensor(b).item()  # its dtype's
            result = tensor.normal_(mean, std, generator=generator)
            while (outside := (result < low) | (result > high)).any():
                redrawn = empty_like(result).normal_(mean, std, generator=generator)
                result = where(outside, redrawn, result)
        else:
            log_peak = -0.5 * ((max(a, min(mean, b)) - mean) / std) ** 2

            def rejected(candidates: Tensor) -> Tensor:
                log_pdf = ((candidates - mean) / std) ** 2 * -0.5 - log_peak
                return empty_like(tensor).uniform_(generator=generator).log() > log_pdf

            result = tensor.uniform_(a, b, generator=generator)
            pending = rejected(tensor)
            while pending.any():
                candidates = empty_like(tensor).uniform_(a, b, generator=generator)
                result = where(pending, candidates, result)
                pending = where(pending, rejected(candidates), pending)
        if result is not tensor:  # copied in only after a redraw: its version shows it
            tensor.copy_(result)
        return tensor


def orthogonal_(
    tensor: Tensor, gain: float = 1.0, generator: rng.Generator | None = None
) -> Tensor:
    """A (semi-)orthogonal matrix (the dimensions after the first flattened), from the QR
    decomposition of a normal draw, the signs fixed by R's diagonal, times ``gain``.

    >>> import chainrule as cr
    >>> w = orthogonal_(cr.empty(3, 5))
    >>> bool((w @ w.T - cr.eye(3)).abs().max() < 1e-5)
    True
    """
    from chainrule import linalg

    if tensor.ndim < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0 or tensor.is_meta:  # (a meta tensor: no values to draw)
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    with grad_mode.no_grad():
        flat = tensor.new_empty((rows, cols)).normal_(0, 1, generator=generator)
        if rows < cols:
            flat = flat.t()
        q, r = linalg.qr(flat)
        q = q * r.diagonal().sign()
        if rows < cols:
            q = q.t()
        tensor.view_as(q).copy_(q)
        return tensor.mul_(gain)


def sparse_(
    tensor: Tensor, sparsity: float, std: float = 0.01, generator: rng.Generator | None = None
) -> Tensor:
    """N(0, std**2) values with a ``sparsity`` fraction of each column zeroed, the rows
    picked by a random permutation of the global generator (as PyTorch's).

    >>> import chainrule as cr
    >>> int((sparse_(cr.empty(10, 3), 0.3) == 0).sum())
    9
    """
    from chainrule.factories import randperm

    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, cols = tensor.shape
    zeros = math.ceil(sparsity * rows)
    with grad_mode.no_grad():
        tensor.normal_(0, std, generator=generator)
        for column in range(cols):
            tensor[randperm(rows)[:zeros], column] = 0
    return tensor


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """The identity of a convolution: 1 at the kernel's centre for each channel that passes
    through (of each of ``groups``), 0 elsewhere.

    >>> import chainrule as cr
    >>> dirac_(cr.empty(2, 2, 3))[:, :, 1]
    tensor([[1., 0.],
            [0., 1.]])
    """
    if tensor.ndim not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    sizes = tuple(tensor.shape)
    if sizes[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    per_group = sizes[0] // groups
    centre = tuple(size // 2 for size in sizes[2:])
    with grad_mode.no_grad():
        tensor.zero_()
        for g in range(groups):
            for d in range(min(per_group, sizes[1])):
                tensor[(g * per_group + d, d, *centre)] = 1
    return tensor


def eye_(tensor: Tensor) -> Tensor:
    """The identity matrix (ones on the diagonal of a 2-D tensor).

    >>> import chainrule as cr
    >>> eye_(cr.empty(2, 3))
    tensor([[1., 0., 0.],
            [0., 1., 0.]])
    """
    from chainrule.factories import eye

    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    with grad_mode.no_grad():
        return tensor.copy_(eye(*tensor.shape, dtype=tensor.dtype))


def _deprecated(name: str) -> Callable[..., Tensor]:
    """PyTorch's old name of an initialiser (``uniform`` for ``uniform_``): the same function
    with its FutureWarning."""
    current = globals()[f"{name}_"]

    @functools.wraps(current)
    def old_name(*args: Any, **kwargs: Any) -> Tensor:
        warnings.warn(
            f"`nn.init.{name}` is now deprecated in favor of `nn.init.{name}_`.",
            FutureWarning,
            stacklevel=2,
        )
        return current(*args, **kwargs)

    old_name.__name__ = old_name.__qualname__ = name
    return old_name


uniform = _deprecated("uniform")
normal = _deprecated("normal")
constant = _deprecated("constant")
eye = _deprecated("eye")
dirac = _deprecated("dirac")
xavier_uniform = _deprecated("xavier_uniform")
xavier_normal = _deprecated("xavier_normal")
kaiming_uniform = _deprecated("kaiming_uniform")
kaiming_normal = _deprecated("kaiming_normal")
orthogonal = _deprecated("orthogonal")
sparse = _deprecated("sparse")
