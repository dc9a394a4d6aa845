"""Broadcasting's shape rule, and the single place where it is undone in the backward pass.

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
    # Plain loops, not generator expressions: those would make g_shape and lead cells, created
    # on every call, the common equal-shape return above included.
    lead = len(g_shape) - len(shape)
    if lead >= 0:
        axes = list(range(lead))  # added in front
        for axis in range(lead, len(g_shape)):
            n = shape[axis - lead]
            if n == 1 and g_shape[axis] != 1:
                axes.append(axis)  # stretched from 1
            elif n != g_shape[axis]:
                break
        else:
            return dual.sum(g, tuple(axes), keepdims=True).reshape(shape)
    raise RuntimeError(f"gradient of shape {g_shape} cannot be summed back to shape {shape}")


def broadcast_shape(*shapes: tuple[int, ...]) -> tuple[int, ...]:
    """The shape that tensors of ``shapes`` broadcast to, or PyTorch's error for the first pair
    that does not broadcast.

    As PyTorch's ``infer_size``, the shapes are taken in turn: tensor a is the shape broadcast
    so far, tensor b the next one, and the dimension counts from the front of the result.

    >>> broadcast_shape((2, 1), (3,))
    (2, 3)
    """
    result: tuple[int, ...] = ()
    for shape in shapes:
        if shape == result:
            continue
        ndim = max(len(result), len(shape))
        a = (1,) * (ndim - len(result)) + result
        b = (1,) * (ndim - len(shape)) + shape
        for i in reversed(range(ndim)):  # PyTorch checks from the last dimension
            if a[i] != b[i] and a[i] != 1 and b[i] != 1:
                raise RuntimeError(
                    f"The size of tensor a ({a[i]}) must match the size of tensor b ({b[i]}) at "
                    f"non-singleton dimension {i}"
                )
        result = tuple(m if n == 1 else n for n, m in zip(a, b, strict=True))
    return result


def mismatch(op: str, shapes: list[tuple[int, ...]]) -> RuntimeError:
    """The error for operands of ``op`` whose ``shapes`` do not broadcast: PyTorch's words,
    then the op and every shape on a line of their own (PyTorch's name neither).

    >>> print(mismatch("add", [(2, 3), (4,)]))
    The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1
    add: shapes (2, 3) and (4,) cannot be broadcast together (each dimension, counted from the right, must be equal or 1)
    """  # noqa: E501 - a doctest's output is one line
    ours = (
        f"{op}: shapes {' and '.join(map(str, shapes))} cannot be broadcast together (each "
        "dimension, counted from the right, must be equal or 1)"
    )
    try:
        broadcast_shape(*shapes)
    except RuntimeError as error:
        return RuntimeError(f"{error}\n{ours}")
    return RuntimeError(ours)  # NumPy refused what PyTorch's rule allows: ours alone
