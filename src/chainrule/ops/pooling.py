"""1-D pooling over (N, C, L) sequences, and max unpooling.

A 1-D pooling is the 2-D one of height-1 images: ``max_pool1d`` and ``avg_pool1d`` call
:func:`max_pool2d` and :func:`avg_pool2d` on ``input.unsqueeze(-2)``, so they share those
ops' rules, values and index conventions (a flat index in an (1, L) plane is the position).

``max_unpool2d`` is max pooling's partial inverse: each value back at its index in a zero
plane. Its own op, :class:`MaxUnpool2D`, since it is linear in the values with the indices as a
setting: the gradient is the output gradient read at the indices (PyTorch's, a gather).

    >>> import chainrule as cr
    >>> x = cr.tensor([[[1.0, 3.0, 2.0, 5.0, 4.0]]])
    >>> values, indices = max_pool1d(x, 2, return_indices=True)
    >>> values, indices
    (tensor([[[3., 5.]]]), tensor([[[1, 3]]]))
    >>> max_unpool1d(values, indices, 2)
    tensor([[[0., 3., 0., 5.]]])
"""

from __future__ import annotations

from typing import Any

from chainrule import dtypes
from chainrule._array import xp
from chainrule.op import Linear
from chainrule.ops import dual
from chainrule.ops.conv import _pair, _single, avg_pool2d, max_pool2d
from chainrule.tensor import Tensor


def _check_sequence(input: Tensor, op: str) -> None:  # noqa: A002
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"{op}: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for "
            f"input, but got:{list(input.shape)}"
        )


def _row(value: Any, name: str, op: str) -> tuple[int, int]:
    """A 1-D layer's int or 1-tuple as the (1, n) pair of a 2-D op over height-1 images."""
    if isinstance(value, (tuple, list)) and len(value) != 1:
        raise RuntimeError(
            f"{op}() {name} must be an int, list of ints or tuple of ints of size 1 but got "
            f"size {len(value)}"
        )
    return (1, _single(value, name)[0])


def max_pool1d(
    input: Tensor,  # noqa: A002
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """The maximum of each ``kernel_size`` window of an (N, C, L) or (C, L) ``input``;
    ``stride`` defaults to the kernel size. With ``return_indices`` also each maximum's
    position along L.

    >>> import chainrule as cr
    >>> max_pool1d(cr.tensor([[1.0, 4.0, 2.0, 3.0]]), 2, stride=1)
    tensor([[4., 4., 3.]])
    """
    _check_sequence(input, "max_pool1d")
    kernel = _row(kernel_size, "kernel_size", "max_pool1d")
    step = kernel if stride is None else _row(stride, "stride", "max_pool1d")
    pad = _row(padding, "padding", "max_pool1d")
    spread = _row(dilation, "dilation", "max_pool1d")
    out = max_pool2d(
        input.unsqueeze(-2), kernel, step, (0, pad[1]), spread, ceil_mode, return_indices
    )
    if return_indices:
        return out[0].squeeze(-2), out[1].squeeze(-2)
    return out.squeeze(-2)


def max_pool1d_with_indices(
    input: Tensor,  # noqa: A002
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> tuple[Tensor, Tensor]:
    """:func:`max_pool1d`'s values and indices, whatever ``return_indices`` says."""
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def avg_pool1d(
    input: Tensor,  # noqa: A002
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """The mean of each ``kernel_size`` window of an (N, C, L) or (C, L) ``input``.

    >>> import chainrule as cr
    >>> avg_pool1d(cr.tensor([[1.0, 2.0, 3.0, 5.0]]), 2)
    tensor([[1.5000, 4.0000]])
    """
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"Expected 2 to 3 dimensions, but got {input.ndim}-dimensional tensor for argument "
            "#1 'self' (while checking arguments for avg_pool1d)"
        )
    kernel = _row(kernel_size, "kernel_size", "avg_pool1d")
    step = kernel if stride is None else _row(stride, "stride", "avg_pool1d")
    pad = (0, _row(padding, "padding", "avg_pool1d")[1])
    out = avg_pool2d(input.unsqueeze(-2), kernel, step, pad, ceil_mode, count_include_pad)
    return out.squeeze(-2)


# ----------------------------------------------------------------------------- unpooling
def _unpool_batch(op: Any, values: list[Any], batched: list[bool], size: int) -> Tensor:
    """vmap's rule: the examples' planes join the op's own batch, values and indices alike
    (either one unbatched is the same for every example)."""
    x, indices = (
        v if b else v.unsqueeze(0).expand((size, *v.shape))
        for v, b in zip(values, batched, strict=True)
    )
    n = x.shape[1]
    out = op(x.reshape((size * n, *x.shape[2:])), indices.reshape((size * n, *indices.shape[2:])))
    return out.reshape((size, n, *out.shape[1:]))


class MaxUnpool2D(Linear):
    """Each (N, C, h, w) value put at its index (flat, in its plane) in (N, C, H, W) zeros:
    linear in the values; the indices, int64, are a setting with no gradient."""

    notation = "zeros with x placed at indices"
    derivatives = ("g read at the indices", "-")
    batch_rule = staticmethod(_unpool_batch)

    def __init__(self, size: tuple[int, int]) -> None:
        self.size = size

    def forward(self, x, indices):
        # Checked here, not before the op: a compiled replay checks each call's indices too.
        bad = (indices < 0) | (indices >= self.size[0] * self.size[1])
        if bad.any():
            raise RuntimeError(
                f"Found an invalid max index: {indices[bad].ravel()[0]} (output volumes are of "
                f"size {self.size[0]}x{self.size[1]})"
            )
        n, c = x.shape[0], x.shape[1]
        out = xp.zeros((n, c, self.size[0] * self.size[1]), dtype=x.dtype)
        xp.put_along_axis(out, indices.reshape(n, c, -1), x.reshape(n, c, -1), axis=2)
        return out.reshape(n, c, *self.size)

    def vjp(self, g, out, x, indices):
        n, c = x.shape[0], x.shape[1]
        flat = indices.reshape(n, c, -1)
        return dual.gather_along(g.reshape(n, c, -1), flat, 2).reshape(x.shape), None


def _unpool_size(
    input: Tensor,  # noqa: A002
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    padding: tuple[int, ...],
    output_size: Any,
) -> tuple[int, ...]:
    """PyTorch's output size: ``(in - 1) * stride + kernel - 2 * padding`` per dimension, or
    ``output_size`` (its last dimensions), which must lie strictly within a stride of that."""
    dims = len(kernel)
    default = tuple(
        (input.shape[input.ndim - dims + d] - 1) * stride[d] + kernel[d] - 2 * padding[d]
        for d in range(dims)
    )
    if output_size is None:
        return default
    asked = tuple(output_size)
    if len(asked) == dims + 2:
        asked = asked[2:]
    if len(asked) != dims:
        raise ValueError(
            f"output_size should be a sequence containing {dims} or {dims + 2} elements, but it "
            f"has a length of '{len(asked)}'"
        )
    for d in range(dims):
        low, high = default[d] - stride[d], default[d] + stride[d]
        if not low < asked[d] < high:
            raise ValueError(
                f'invalid output_size "{output_size}" (dim {d} must be between {low} and {high})'
            )
    return asked


def _unpool(input: Tensor, indices: Tensor, size: tuple[int, int]) -> Tensor:  # noqa: A002
    """PyTorch's checks, then :class:`MaxUnpool2D` of a (C, h, w) or (N, C, h, w) input."""
    if input.ndim not in (3, 4):
        raise RuntimeError(
            "Input to max_unpooling2d should be a 3d or 4d Tensor, but got a tensor with "
            f"{input.ndim} dimensions."
        )
    if indices.dtype != xp.int64:
        name = dtypes.scalar_type_name(indices.dtype)
        raise RuntimeError(f"elements in indices should be type int64 but got: {name}")
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(
            "Expected shape of indices to be same as that of the input tensor "
            f"({list(input.shape)}) but got indices tensor with shape: {list(indices.shape)}"
        )
    if input.ndim == 3:
        return MaxUnpool2D(size)(input.unsqueeze(0), indices.unsqueeze(0)).squeeze(0)
    return MaxUnpool2D(size)(input, indices)


def max_unpool2d(
    input: Tensor,  # noqa: A002
    indices: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    output_size: Any = None,
) -> Tensor:
    """:func:`max_pool2d`'s partial inverse: each value at its ``indices`` (from
    ``return_indices=True``), zeros elsewhere, in planes of the pooling's input size (or
    ``output_size``, which tells apart the sizes that pool alike).

    >>> import chainrule as cr
    >>> values, indices = max_pool2d(cr.arange(16.0).reshape(1, 1, 4, 4), 2, return_indices=True)
    >>> max_unpool2d(values, indices, 2)[0, 0]
    tensor([[ 0.,  0.,  0.,  0.],
            [ 0.,  5.,  0.,  7.],
            [ 0.,  0.,  0.,  0.],
            [ 0., 13.,  0., 15.]])
    """
    kernel = _pair(kernel_size, "kernel_size")
    step = kernel if stride is None else _pair(stride, "stride")
    pad = _pair(padding, "padding")
    size = _unpool_size(input, kernel, step, pad, output_size)
    return _unpool(input, indices, size)  # type: ignore[arg-type]


def max_unpool1d(
    input: Tensor,  # noqa: A002
    indices: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    output_size: Any = None,
) -> Tensor:
    """:func:`max_pool1d`'s partial inverse, over (N, C, L) or (C, L) sequences: PyTorch
    unpools (L, 1) planes, as here."""
    kernel = _single(kernel_size, "kernel_size")
    step = kernel if stride is None else _single(stride, "stride")
    pad = _single(padding, "padding")
    (length,) = _unpool_size(input, kernel, step, pad, output_size)
    return _unpool(input.unsqueeze(-1), indices.unsqueeze(-1), (length, 1)).squeeze(-1)
