"""The single place where broadcasting is undone in the backward pass.

When ``a + b`` broadcasts ``b`` of shape (3,) against ``a`` of shape (2, 3), each element of
``b`` was used twice, so its gradient is the sum over the broadcast axis: the chain rule adds
the contributions of every path. Rules return gradients in the broadcast shape; the backward
pass calls :func:`unbroadcast` once per input.

    >>> import numpy as np
    >>> unbroadcast(np.ones((2, 3)), (3,))
    array([2., 2., 2.])
"""

from __future__ import annotations

from typing import Any

from chainrule.ops import dual


def unbroadcast(g: Any, shape: tuple[int, ...]) -> Any:
    """Sum ``g`` over the axes that broadcasting added or stretched, giving ``shape``."""
    g_shape = tuple(g.shape)
    if g_shape == shape:
        return g
    lead = len(g_shape) - len(shape)
    stretched = tuple(lead + i for i, n in enumerate(shape) if n == 1 and g_shape[lead + i] != 1)
    if lead < 0 or any(n != 1 and n != g_shape[lead + i] for i, n in enumerate(shape)):
        raise RuntimeError(f"gradient of shape {g_shape} cannot be summed back to shape {shape}")
    return dual.sum(g, tuple(range(lead)) + stretched, keepdims=True).reshape(shape)
