"""``binomial(count, prob)``: binomial draws, PyTorch's argument checks and edge values.

The draws are PyTorch's for the same seed: ATen's serial kernel (inversion or BTRS
rejection) replayed on the random stream, in :mod:`chainrule.distributions._binomial_sampler`.

    >>> import chainrule as cr
    >>> cr.binomial(cr.tensor([5.0, 2.5, -1.0]), cr.tensor([0.0, 1.0, 0.5]))
    tensor([0.0000, 2.5000, 0.0000])
"""

from __future__ import annotations

import warnings
from typing import Any

from chainrule import dtypes
from chainrule._array import xp
from chainrule.tensor import Tensor, _make


def binomial(count: Tensor, prob: Tensor, generator: Any = None) -> Tensor:
    """Draws of Binomial(floor(count), prob), as PyTorch's: a probability at or above 1 gives
    the count itself (even a fractional one), a count or probability at or below 0 gives 0.
    The result has ``count``'s dtype and the broadcast shape; no gradient flows (PyTorch
    defines none)."""
    for label, t in (("count", count), ("prob", prob)):
        if not isinstance(t, Tensor):
            position = 1 if label == "count" else 2
            raise TypeError(
                f"binomial(): argument '{label}' (position {position}) must be Tensor, not "
                f"{type(t).__name__}"
            )
        if not t.is_floating_point():
            raise ValueError(
                f"binomial only supports floating-point dtypes for {label}, got: "
                f"{dtypes.scalar_type_name(t._data.dtype)}"
            )
    n, p = count._data, prob._data
    if p.dtype != n.dtype:
        raise RuntimeError(
            f"Found dtype {dtypes.scalar_type_name(p.dtype)} but expected "
            f"{dtypes.scalar_type_name(n.dtype)}"
        )
    if n.dtype == xp.float16:
        raise NotImplementedError("\"binomial_cpu\" not implemented for 'Half'")
    shape = xp.broadcast_shapes(n.shape, p.shape)
    if shape != n.shape and n.size:  # PyTorch's kernel writes into a count-shaped output
        warnings.warn(
            f"An output with one or more elements was resized since it had shape {list(n.shape)}"
            f", which does not match the required output shape {list(shape)}. This behavior is "
            "deprecated, and in a future PyTorch release outputs will not be resized unless "
            "they have zero elements. You can explicitly reuse an out tensor t by resizing it, "
            "inplace, to zero elements with t.resize_(0).",
            UserWarning,
            stacklevel=2,
        )
    # (imported here: the sampler is compiled at the first draw, not at import chainrule)
    from chainrule.distributions._binomial_sampler import binomial_draws

    return _make(binomial_draws(*(xp.broadcast_to(a, shape) for a in (n, p)), generator))
