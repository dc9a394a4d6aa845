"""Counting and searching in sorted sequences: ``searchsorted``, ``bucketize``, ``bincount``
and ``histc``. Their results are indices and counts, which carry no gradient (as in PyTorch).

    >>> import chainrule as cr
    >>> cr.bucketize(cr.tensor([0.5, 3.0, 9.0]), cr.tensor([1.0, 3.0, 5.0]))
    tensor([0, 1, 3])
    >>> cr.bincount(cr.tensor([0, 2, 2]))
    tensor([1, 0, 2])
"""

from __future__ import annotations

import builtins
import math
from typing import Any

from chainrule import arguments, dtypes, shell_uints
from chainrule._array import xp
from chainrule.autodiff import batching
from chainrule.op import without_derivative
from chainrule.tensor import Tensor, _make


def searchsorted(
    sorted_sequence: Tensor,
    input: Any,  # noqa: A002
    *,
    out_int32: bool = False,
    right: bool = False,
    side: str | None = None,
    sorter: Tensor | None = None,
) -> Tensor:
    """For each value, the index where it would be inserted into ``sorted_sequence`` (along
    its last dimension, whose leading dimensions match the values'): before equal elements,
    or after them with ``right=True`` / ``side="right"``.

    >>> import chainrule as cr
    >>> cr.searchsorted(cr.tensor([1.0, 3.0, 5.0]), cr.tensor([3.0, 6.0]), right=True)
    tensor([2, 3])
    """
    if (
        type(out_int32) is not bool
        or type(right) is not bool
        or not (side is None or isinstance(side, str))
    ):
        raise _refused_flags("searchsorted", (sorted_sequence, input), out_int32, right, side)
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(
                f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}"
            )
        if right and side == "left":
            raise RuntimeError(
                "torch.searchsorted(): side and right can't be set to opposites, got side of "
                "left while right was True"
            )
        right = side == "right"
    sequence, values, sorter, levels = _lifted_operands(sorted_sequence, input, sorter)
    if sequence.ndim == len(levels):
        raise RuntimeError(
            "torch.searchsorted(): boundaries tensor should have positive dimension, but got 0 "
            "dimension"
        )
    lead = len(levels)  # under vmap, the levels' dims lead every array
    if values.ndim == lead and sequence.ndim > lead + 1:
        raise RuntimeError(
            "torch.searchsorted(): input value can be a scalar only when boundaries tensor "
            f"dimension is 1, but we got boundaries tensor dim({sequence.ndim - lead}) and input "
            "value's dim(0) numel(1)"
        )
    if sorter is not None:
        sequence = xp.take_along_axis(sequence, sorter, -1)
    if sequence.ndim > lead + 1 and sequence.shape[:-1] != values.shape[:-1]:
        raise RuntimeError(
            "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
            "dimensions of boundaries tensor and input value tensor must match, but we got "
            f"boundaries tensor {list(sequence.shape[lead:])} and input value tensor "
            f"{list(values.shape[lead:])}"
        )
    if sequence.dtype == xp.bool_ or values.dtype == xp.bool_:
        raise dtypes.not_implemented_for("searchsorted_out_cpu", xp.dtype(xp.bool_))
    shell_uints.check_function("searchsorted", dtypes.torch_result_type(sequence, values))
    where = "right" if right else "left"
    if sequence.dtype.kind == "f" and xp.isnan(sequence).any():
        found = _bisected(sequence.reshape(-1, sequence.shape[-1]), values, right)
    elif sequence.ndim <= 1:
        found = xp.searchsorted(sequence, values, side=where)
    else:
        rows = sequence.reshape(-1, sequence.shape[-1])
        wanted = values.reshape(rows.shape[0], -1)
        found = xp.stack(
            [xp.searchsorted(r, v, side=where) for r, v in zip(rows, wanted, strict=True)]
        ).reshape(values.shape)
    return batching.wrap(
        _make(xp.asarray(found, dtype=xp.int32 if out_int32 else xp.int64)), levels
    )


def _bisected(rows: Any, values: Any, right: bool) -> Any:
    """PyTorch's binary search of each row of ``rows`` (one, or one per row of ``values``'
    leading dims) for ``values``, step by step, where a row holds nan: PyTorch moves right
    past an element unless ``element >= value`` (``>`` for ``right``), so a nan is passed by
    (it gives ``[1., 2., nan]`` and 3.0 index 3, where NumPy, sorting nan last, gives 2)."""
    wanted = values.reshape(len(rows), -1) if len(rows) > 1 else values.reshape(1, -1)
    n = rows.shape[-1]
    low = xp.zeros(wanted.shape, xp.int64)
    high = xp.full(wanted.shape, n, xp.int64)
    while (open_ := low < high).any():
        middle = low + (high - low) // 2
        element = xp.take_along_axis(rows, xp.minimum(middle, n - 1), -1)
        passed = ~(element > wanted) if right else ~(element >= wanted)
        low = xp.where(open_ & passed, middle + 1, low)
        high = xp.where(open_ & ~passed, middle, high)
    return low.reshape(values.shape)


def _lifted_operands(sequence: Any, values: Any, sorter: Any) -> tuple[Any, Any, Any, list[Any]]:
    """The arrays of ``searchsorted``'s operands, and the vmap levels that batch any of
    them: under vmap, each array is every example's, those levels' dims in front (a stride-0
    view where an operand is not batched), so that the rows of the sequence are searched
    as those of a sequence of several dims are."""
    levels = batching.levels_of((sequence, values, sorter))
    arrays = []
    for x in (sequence, values, sorter):
        if x is not None:  # (a number value: one for every example)
            data, have = batching.array_and_levels(x) if isinstance(x, Tensor) else (x, [])
            x, _ = batching.lift_array(xp.asarray(data), have, levels)
        arrays.append(x)
    return (*arrays, levels)


def _refused_flags(
    op: str, given: tuple[Any, ...], out_int32: Any, right: Any, side: Any
) -> TypeError:
    """PyTorch's error for flags of searchsorted or bucketize that are no bools (1 was read
    as True), or a ``side`` that is no string: the call fits none of the signatures."""
    flags = {"out_int32": (out_int32, False), "right": (right, False), "side": (side, None)}
    return arguments.no_overload_as_written(op, given, (), flags)


def bucketize(
    input: Any,  # noqa: A002
    boundaries: Tensor,
    *,
    out_int32: bool = False,
    right: bool = False,
) -> Tensor:
    """The bucket of each value among the sorted 1-D ``boundaries``: ``i`` with
    ``boundaries[i-1] < x <= boundaries[i]`` (``<=`` and ``<`` swapped with ``right``)."""
    if type(out_int32) is not bool or type(right) is not bool:
        raise _refused_flags("bucketize", (input, boundaries), out_int32, right, None)
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def bincount(input: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:  # noqa: A002
    """How often each non-negative integer occurs in the 1-D ``input`` (summing ``weights``
    instead, if given), for at least ``minlength`` bins. Under vmap, every example's counts
    at once (each example's values offset by its index times the bins), which must come to
    as many bins in every example, as torch.func's stack of them requires. PyTorch has no
    derivative for the weighted counts: they require grad, and backward raises.

    >>> import chainrule as cr
    >>> cr.bincount(cr.tensor([0, 2, 2]), minlength=4)
    tensor([1, 0, 2, 0])
    """
    return without_derivative("bincount", _bincount, input, weights, minlength)


def _bincount(input: Tensor, weights: Tensor | None, minlength: int) -> Tensor:  # noqa: A002
    levels = batching.levels_of((input, weights))
    x, _ = batching.lift_array(*batching.array_and_levels(input), levels)
    shell_uints.check_function("bincount", x.dtype)
    if x.dtype.kind == "f":
        raise dtypes.not_implemented_for("bincount_cpu", x.dtype)
    if x.dtype.kind not in "iu" or input.ndim != 1 or (x.size and x.min() < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    lead = x.shape[:-1]  # the levels' dims
    # int64: a small dtype's maximum + 1 would wrap (255 in uint8), and -1 is not a uint8
    rows = x.reshape((math.prod(lead), -1)).astype(xp.int64, copy=False)
    bins = xp.maximum(rows.max(-1, initial=-1) + 1, minlength)
    if (bins != bins[0]).any():
        other = int(xp.argmax(bins != bins[0]))
        raise RuntimeError(
            f"stack expects each tensor to be equal size, but got [{bins[0]}] at entry 0 and "
            f"[{bins[other]}] at entry {other}"
        )
    places = (rows + xp.arange(len(rows))[:, None] * bins[0]).reshape(-1)
    if weights is None:
        counts = xp.bincount(places, minlength=len(rows) * bins[0])
        return batching.wrap(_make(counts.reshape((*lead, -1)).astype(xp.int64)), levels)
    if weights.ndim != 1 or weights.shape[0] != input.shape[0]:
        raise RuntimeError("weights should be 1-d and have the same length as input")
    w, _ = batching.lift_array(*batching.array_and_levels(weights), levels)
    counts = xp.bincount(places, weights=w.reshape(-1), minlength=len(rows) * bins[0])  # float64
    dtype = w.dtype if w.dtype == xp.float32 else xp.float64
    return batching.wrap(_make(counts.reshape((*lead, -1)).astype(dtype)), levels)


def histc(
    input: Tensor,  # noqa: A002
    bins: int = 100,
    min: float = 0,  # noqa: A002
    max: float = 0,  # noqa: A002
) -> Tensor:
    """The histogram of ``input`` in ``bins`` equal bins over [min, max] (the data's range
    when both are 0, widened by 1 each way if it is one point); values outside are left out.

    >>> import chainrule as cr
    >>> cr.histc(cr.tensor([1.0, 2.0, 1.0]), bins=4, min=0, max=3)
    tensor([0., 2., 1., 0.])
    """
    # a bool is refused, as PyTorch's (True was read as 1)
    bins = arguments.integer(bins, "histc", "bins", 2)
    x, levels = batching.array_and_levels(input)  # under vmap, every example's
    if not dtypes.is_floating(input.dtype):
        raise dtypes.not_implemented_for("histogram_cpu", x.dtype)
    if bins <= 0:
        raise RuntimeError("torch.histc: bins must be > 0")
    if not levels:
        return _make(_histogram(x, bins, min, max))
    lead = x.shape[: len(levels)]  # each example's histogram, its own range where it is its data's
    rows = x.reshape((-1, input.numel()))
    counts = xp.stack([_histogram(row, bins, min, max) for row in rows])
    return batching.wrap(_make(counts.reshape((*lead, bins))), levels)


def _histogram(x: Any, bins: int, low: float, high: float) -> Any:
    """:func:`histc` of the array ``x``, in its dtype."""
    lo, hi = builtins.float(low), builtins.float(high)
    if lo == hi and x.size:
        lo, hi = builtins.float(x.min()), builtins.float(x.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if not (xp.isfinite(lo) and xp.isfinite(hi)):
        raise RuntimeError(f"torch.histc: range of [{lo:g}, {hi:g}] is not finite")
    if lo > hi:
        raise RuntimeError("torch.histc: max must be larger than min")
    inside = x[(x >= lo) & (x <= hi)]
    counts, _ = xp.histogram(inside, bins=bins, range=(lo, hi))
    return counts.astype(x.dtype)
