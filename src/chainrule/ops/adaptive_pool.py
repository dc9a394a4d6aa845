"""Adaptive pooling: a pooling that chooses its windows so the output has a given size.

Output cell ``i`` of a dimension of size ``n`` pooled to ``m`` covers the input positions
``floor(i * n / m)`` to ``ceil((i + 1) * n / m)`` (PyTorch's bins: neighbouring windows may
overlap by one when ``m`` does not divide ``n``). Both functions are composites of existing
ops, so their gradients come from those ops' rules; where ``m`` divides ``n`` the windows tile
the input and a single reshape serves.

    >>> import chainrule as cr
    >>> x = cr.arange(16.0).reshape(1, 1, 4, 4)
    >>> adaptive_avg_pool2d(x, 2).flatten().tolist()
    [2.5, 4.5, 10.5, 12.5]
    >>> adaptive_max_pool2d(x, (1, 3)).flatten().tolist()
    [13.0, 14.0, 15.0]
"""

from __future__ import annotations

from typing import Any

from chainrule import dtypes, factories
from chainrule.arguments import int_window
from chainrule.op import named
from chainrule.ops.elementwise import where
from chainrule.ops.pooling import volume_indices
from chainrule.ops.reads_input import reads_input
from chainrule.ops.shape import stack
from chainrule.tensor import Tensor


def _bins(size: int, out: int) -> list[tuple[int, int]]:
    """PyTorch's windows for ``size`` positions pooled to ``out`` cells: (start, stop) each."""
    return [((i * size) // out, -(-((i + 1) * size) // out)) for i in range(out)]


def _output_size(output_size: Any, input: Tensor, op: str, n: int = 2) -> tuple[int, ...]:  # noqa: A002
    """The output size of an ``n``-d adaptive pooling (2 or 3) of an unbatched or batched
    ``input``, checked in PyTorch's order and words (its max pools word two of them apart)."""
    if n == 2 and input.ndim < 3:
        raise ValueError("Input dimension should be at least 3")
    maximum = op.startswith("adaptive_max")
    if input.ndim not in (n + 1, n + 2):
        got = "got:" if maximum else "got"  # (sic)
        raise RuntimeError(
            f"{op}(): Expected {n + 1}D or {n + 2}D tensor, but {got} {list(input.shape)}"
        )
    size = _with_defaults(output_size, input, n, op)
    if len(size) != n:
        if maximum:
            raise RuntimeError(f"{op}(): internal error: output_size.size() must be {n}")
        raise RuntimeError(f"{op}: output_size must be {n}")
    _refuse_negative(size, input, op)
    return size


def _with_defaults(output_size: Any, input: Tensor, dims: int, op: str) -> tuple[int, ...]:  # noqa: A002
    """``output_size`` as PyTorch's F.adaptive_* pass it on (``_list_with_default``: a
    sequence's None takes that dimension's input size), read by ``op``'s parser as a list of
    ints (an int, not a bool, for all ``dims`` dimensions)."""
    if type(output_size) is int:  # the usual call, in one test
        return (output_size,) * dims
    if not isinstance(output_size, int):  # (a bool is passed on, then refused by the parser)
        # PyTorch's len(): a NumPy integer or a tensor of no dimensions has none
        if input.ndim <= len(output_size):
            raise ValueError(f"Input dimension should be at least {len(output_size) + 1}")
        output_size = [
            n if m is None else m
            for m, n in zip(output_size, input.shape[input.ndim - len(output_size) :], strict=True)
        ]
    return int_window(output_size, dims, op, "output_size", 2)


def _refuse_negative(size: tuple[int, ...], input: Tensor, op: str) -> None:  # noqa: A002
    """PyTorch's refusals of a negative output size: the average pooling's check, the max
    pooling's allocation (an empty output, of a size 0, PyTorch makes: refused here)."""
    if min(size) >= 0:
        if min(size) == 0:
            raise RuntimeError(f"{op}: output_size must be positive, got {size}")
        return
    if op.startswith("adaptive_avg"):
        listed = ", ".join(map(str, size[:2])) + "".join(f",{n}" for n in size[2:])  # (sic)
        raise RuntimeError(
            f"{op}: elements of output_size must be greater than or equal to 0 but received "
            f"{{{listed}}}"
        )
    shape = [*input.shape[: input.ndim - len(size)], *size]
    first = next(n for n in shape if n < 0)
    raise RuntimeError(f"Trying to create tensor with negative dimension {first}: {shape}")


def _windows(input: Tensor, size: tuple[int, int]) -> Any:  # noqa: A002
    """Each output cell's window of ``input``, flattened to a last dimension, as a tensor
    (..., oh, ow, k) when the windows tile the input, else the nested lists of windows."""
    (h, w), (oh, ow) = input.shape[-2:], size
    lead = tuple(input.shape[:-2])
    if h % oh == 0 and w % ow == 0:
        tiles = input.reshape(*lead, oh, h // oh, ow, w // ow)
        n = len(lead)
        cells = tiles.permute(*range(n), n, n + 2, n + 1, n + 3)
        return cells.reshape(*lead, oh, ow, (h // oh) * (w // ow))  # sizes given: N may be 0
    return [
        [input[..., hs:he, ws:we].reshape(*lead, (he - hs) * (we - ws)) for ws, we in _bins(w, ow)]
        for hs, he in _bins(h, oh)
    ]


def window_max(windows: Tensor) -> tuple[Tensor, Tensor]:
    """The maximum along the last dimension and its index, as PyTorch's adaptive and fractional
    max pooling kernels pick it: the first of equal maxima, but the last nan of a window with
    nans (their scan replaces the maximum by each nan it meets). The value is gathered at the
    index, so the gradient reaches that element."""
    values, local = windows.max(-1)
    if windows.dtype.kind != "f":
        return values, local
    nans = windows.detach().isnan()
    size = windows.shape[-1]
    local = where(nans.sum(-1) > 0, (size - 1) - nans.flip(-1).byte().argmax(-1), local)
    # the value picked by a sum with -0.0 elsewhere (x + -0.0 is x, -0.0 and nan included),
    # not gather, whose index check reads the values and would stop cr.compile tracing
    picked = factories.arange(size) == local.unsqueeze(-1)
    return where(picked, windows, -0.0).sum(-1), local


def _grid(cells: list[list[Tensor]]) -> Tensor:
    return stack([stack(row, -1) for row in cells], -2)


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:  # noqa: A002
    """The mean of each window, the windows chosen so the output is ``output_size`` (an int,
    or a pair whose None keeps the input's size)."""
    dtypes.check_float_kernel(input.dtype.dtype, "adaptive_avg_pool2d")
    size = _output_size(output_size, input, "adaptive_avg_pool2d")
    windows = _windows(reads_input(input), size)  # as PyTorch's backward kernel, which reads it
    if isinstance(windows, Tensor):
        out = windows.mean(-1)
    else:
        out = _grid([[cell.mean(-1) for cell in row] for row in windows])
    # PyTorch's node (a 1 x 1 output is its mean over the plane: MeanBackward1, as here)
    return out if size == (1, 1) else named(out, "AdaptiveAvgPool2DBackward0")


def adaptive_max_pool2d(
    input: Tensor,  # noqa: A002
    output_size: Any,
    return_indices: bool = False,
) -> Any:
    """The maximum of each window (the first one where several are equal, as in PyTorch),
    the windows chosen so the output is ``output_size``. With ``return_indices`` also each
    maximum's position in the flattened (H, W) plane of the input."""
    dtypes.check_float_kernel(input.dtype.dtype, "adaptive_max_pool2d")
    size = _output_size(output_size, input, "adaptive_max_pool2d")
    windows = _windows(reads_input(input), size)  # as PyTorch's backward kernel, which reads it
    if isinstance(windows, Tensor):
        values, local = window_max(windows)
    else:
        picks = [[window_max(cell) for cell in row] for row in windows]
        values = _grid([[p[0] for p in row] for row in picks])
        local = _grid([[p[1] for p in row] for row in picks])
    if not return_indices:
        return values
    return values, _plane_indices(local, tuple(input.shape[-2:]), size)


def _plane_indices(local: Tensor, hw: tuple[int, int], size: tuple[int, int]) -> Tensor:
    """Window-local flat indices to positions in the input's flattened (H, W) plane."""
    (h, w), (oh, ow) = hw, size
    rows, cols = _bins(h, oh), _bins(w, ow)
    row_start = Tensor([start for start, _ in rows]).long().reshape(oh, 1)
    col_start = Tensor([start for start, _ in cols]).long().reshape(1, ow)
    width = Tensor([stop - start for start, stop in cols]).long().reshape(1, ow)
    return (row_start + local // width) * w + col_start + local % width


def _sequence_size(output_size: Any, input: Tensor, op: str) -> int:  # noqa: A002
    """A 1-D adaptive pooling's checks, PyTorch's order and messages: the argument's types
    (its parser's), an (N, C, L) or (C, L) input, then one output length."""
    size = int_window(output_size, 1, op, "output_size", 2)
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"Expected 2 to 3 dimensions, but got {input.ndim}-dimensional tensor for argument "
            f"#1 'self' (while checking arguments for {op})"
        )
    if len(size) != 1:
        raise RuntimeError(
            f"{op}() argument 'output_size' should contain one int (got {len(size)})"
        )
    return size[0]


def adaptive_avg_pool1d(input: Tensor, output_size: Any) -> Tensor:  # noqa: A002
    """The mean of each window of an (N, C, L) or (C, L) ``input``, the windows chosen so the
    output has length ``output_size``: the 2-D pooling of height-1 images.

    >>> import chainrule as cr
    >>> adaptive_avg_pool1d(cr.tensor([[1.0, 2.0, 3.0, 4.0, 6.0]]), 2)  # windows overlap
    tensor([[2.0000, 4.3333]])
    """
    size = _sequence_size(output_size, input, "adaptive_avg_pool1d")
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, size)).squeeze(-2)


def adaptive_max_pool1d(
    input: Tensor,  # noqa: A002
    output_size: Any,
    return_indices: bool = False,
) -> Any:
    """The maximum of each window of an (N, C, L) or (C, L) ``input``, the windows chosen so
    the output has length ``output_size``; with ``return_indices`` also each maximum's
    position along L."""
    size = _sequence_size(output_size, input, "adaptive_max_pool1d")
    out = adaptive_max_pool2d(input.unsqueeze(-2), (1, size), return_indices)
    if return_indices:
        return out[0].squeeze(-2), out[1].squeeze(-2)
    return out.squeeze(-2)


def adaptive_max_pool1d_with_indices(
    input: Tensor,  # noqa: A002
    output_size: Any,
    return_indices: bool = False,
) -> tuple[Tensor, Tensor]:
    """:func:`adaptive_max_pool1d`'s values and indices, whatever ``return_indices`` says."""
    return adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(
    input: Tensor,  # noqa: A002
    output_size: Any,
    return_indices: bool = False,
) -> tuple[Tensor, Tensor]:
    """:func:`adaptive_max_pool2d`'s values and indices, whatever ``return_indices`` says.

    >>> import chainrule as cr
    >>> adaptive_max_pool2d_with_indices(cr.arange(4.0).reshape(1, 2, 2), 1)[1]
    tensor([[[3]]])
    """
    return adaptive_max_pool2d(input, output_size, True)


# ----------------------------------------------------------------------------- three dimensions
# A volume's bins are the products of its dimensions' bins, so a 3-D adaptive pooling is a 2-D
# one over each (H, W) plane, then one over depth (the (D, Ho * Wo) plane, width kept). The
# mean of the planes' means is the volume's mean (each depth slice has a bin's plane size); the
# maximum's ties go to the first depth, then the first in its plane, as PyTorch's scan does.
def _planes(input: Tensor) -> tuple[Tensor, int, tuple[int, ...]]:  # noqa: A002
    """(*, D, H, W) as (M * D, H, W) planes, M the product of the leading sizes."""
    *lead, d, h, w = input.shape
    m = 1
    for n in lead:
        m *= n
    return input.reshape(m * d, h, w), m, tuple(lead)


def adaptive_avg_pool3d(input: Tensor, output_size: Any) -> Tensor:  # noqa: A002
    """The mean of each window of an (N, C, D, H, W) or (C, D, H, W) ``input``, the windows
    chosen so the output is ``output_size`` (an int, or a triple whose None keeps the input's
    size).

    >>> import chainrule as cr
    >>> adaptive_avg_pool3d(cr.arange(8.0).reshape(1, 2, 2, 2), (1, 2, 1)).flatten().tolist()
    [2.5, 4.5]
    """
    od, oh, ow = _output_size(output_size, input, "adaptive_avg_pool3d", 3)
    planes, m, lead = _planes(input)
    pooled = adaptive_avg_pool2d(planes, (oh, ow))
    depth = adaptive_avg_pool2d(pooled.reshape(m, input.shape[-3], oh * ow), (od, oh * ow))
    return depth.reshape(*lead, od, oh, ow)


def adaptive_max_pool3d(
    input: Tensor,  # noqa: A002
    output_size: Any,
    return_indices: bool = False,
) -> Any:
    """The maximum of each window of an (N, C, D, H, W) or (C, D, H, W) ``input``, the
    windows chosen so the output is ``output_size``; with ``return_indices`` also each
    maximum's position in the flattened (D, H, W) volume."""
    od, oh, ow = _output_size(output_size, input, "adaptive_max_pool3d", 3)
    planes, m, lead = _planes(input)
    d, h, w = input.shape[-3:]
    pooled, at = adaptive_max_pool2d(planes, (oh, ow), True)
    values, where = adaptive_max_pool2d(pooled.reshape(m, d, oh * ow), (od, oh * ow), True)
    values = values.reshape(*lead, od, oh, ow)
    if not return_indices:
        return values
    depths = [range(start, stop) for start, stop in _bins(d, od)]
    indices = volume_indices(at.reshape(m, d, oh * ow), where, depths, h * w)
    return values, indices.reshape(values.shape)


def adaptive_max_pool3d_with_indices(
    input: Tensor,  # noqa: A002
    output_size: Any,
    return_indices: bool = False,
) -> tuple[Tensor, Tensor]:
    """:func:`adaptive_max_pool3d`'s values and indices, whatever ``return_indices`` says."""
    return adaptive_max_pool3d(input, output_size, True)
