"""Set-like functions and counts: ``unique``, ``unique_consecutive``, ``isin``, ``argwhere``,
``mode``, ``aminmax``, ``cartesian_prod`` and ``combinations``, with PyTorch's results.

``unique``'s, ``isin``'s and ``argwhere``'s results are values picked by comparisons, indices
and counts: they carry no gradient. ``mode`` and ``aminmax`` send it to the elements they pick
(as PyTorch's ``ModeBackward0`` and ``AminmaxBackward0``); ``cartesian_prod`` and
``combinations`` are indexing compositions, differentiable as those are.

    >>> import chainrule as cr
    >>> cr.unique(cr.tensor([3, 1, 3, 2]), return_counts=True)
    (tensor([1, 2, 3]), tensor([1, 1, 2]))
    >>> cr.isin(cr.tensor([1, 2, 3]), cr.tensor([2, 5]))
    tensor([False,  True, False])
"""

from __future__ import annotations

import itertools
import math
from typing import Any

from chainrule import arguments, dtypes, return_types, shell_uints
from chainrule._array import xp
from chainrule.autodiff import batching
from chainrule.op import Constant, named
from chainrule.ops import indexing, reduce, shape, shape_more
from chainrule.tensor import Tensor, _make


# ---- unique: runs of equal values (or slices), sorted first or as they come
def unique(
    input: Tensor,  # noqa: A002
    sorted: bool = True,  # noqa: A002
    return_inverse: bool = False,
    return_counts: bool = False,
    dim: int | None = None,
) -> Any:
    """The distinct elements of ``input`` (or its distinct slices along ``dim``), sorted
    (PyTorch's CPU kernel sorts whatever ``sorted`` says), with, on request, each element's
    (slice's) position among them (``return_inverse``) and how often each occurs
    (``return_counts``). Each NaN is distinct, as NaN != NaN; of equal values, the first
    stands for all (``-0.0`` before ``0.0`` gives ``-0.0``). The sort is stable; PyTorch's is
    not beyond 16 elements, so there it may take ``0.0`` for ``-0.0`` and number the NaNs in
    another order (their values and counts are the same).

    >>> import chainrule as cr
    >>> cr.unique(cr.tensor([[2, 1], [2, 1], [0, 5]]), dim=0, return_inverse=True)
    (tensor([[0, 5],
            [2, 1]]), tensor([1, 1, 0]))
    """
    arguments.booleans("unique", sorted=sorted)
    return _unique(input, True, return_inverse, return_counts, dim)


def unique_consecutive(
    input: Tensor,  # noqa: A002
    return_inverse: bool = False,
    return_counts: bool = False,
    dim: int | None = None,
) -> Any:
    """Like :func:`unique` without sorting: each run of equal consecutive elements (slices
    along ``dim``) collapses to its first.

    >>> import chainrule as cr
    >>> cr.unique_consecutive(cr.tensor([1, 1, 2, 2, 3, 1, 1, 2]))
    tensor([1, 2, 3, 1, 2])
    """
    return _unique(input, False, return_inverse, return_counts, dim)


def _unique(input: Tensor, sort: bool, inverse: bool, counts: bool, dim: int | None) -> Any:  # noqa: A002
    op = "unique" if sort else "unique_consecutive"
    arguments.booleans(op, return_inverse=inverse, return_counts=counts)
    x = input._data
    if dim is None:
        rows, out_shape = x.reshape(-1, 1), (-1,)
    else:
        axis = _unique_dim(dim, x)
        moved = xp.moveaxis(x, axis, 0)
        rows = moved.reshape(moved.shape[0], math.prod(moved.shape[1:]))  # -1 fails for size 0
        out_shape = (-1, *moved.shape[1:])
    order, first = _runs(rows, sort)
    values = rows[order][first].reshape(out_shape)
    if dim is not None:
        values = xp.moveaxis(values, 0, axis)
    if not (inverse or counts):
        return _make(values)
    result = [_make(values)]
    if inverse:
        where = xp.empty(len(order), xp.int64)
        where[order] = xp.cumsum(first) - 1
        result.append(_make(where.reshape(x.shape if dim is None else -1)))
    if counts:
        starts = xp.flatnonzero(first)
        result.append(_make(xp.diff(starts, append=len(order)).astype(xp.int64)))
    return tuple(result)


def _unique_dim(dim: int, x: Any) -> int:
    """``dim`` of ``unique`` as an axis, refused as PyTorch refuses it."""
    if x.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    (axis,) = reduce.normalize_dims(dim, x.ndim, "unique")
    if x.shape.count(0) > 1:
        raise RuntimeError(
            "Number of zero sized dimensions is more than one, so unique cannot be applied "
        )
    if x.size == 0 and x.shape[axis] != 0:
        raise RuntimeError(
            "There are 0 sized dimensions, and they aren't selected, so unique cannot be applied"
        )
    return axis


def _runs(rows: Any, sort: bool) -> tuple[Any, Any]:
    """The order in which to read ``rows`` (stably sorted, lexicographically, or as they are)
    and, in that order, whether each row starts a run of equal rows."""
    if not sort:
        order = xp.arange(len(rows))
    elif rows.shape[1] == 1:
        order = xp.argsort(rows[:, 0], kind="stable")
    else:
        order = xp.lexsort(rows.T[::-1])  # the first column is the primary key (stable)
    ordered = rows[order]
    first = xp.ones(len(order), dtype=bool)
    first[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
    return order, first


# ---- membership and positions
def isin(
    elements: Any,
    test_elements: Any,
    *,
    assume_unique: bool = False,
    invert: bool = False,
) -> Tensor:
    """Whether each of ``elements`` is among ``test_elements`` (either may be a number),
    compared in the two's common dtype; a NaN is in nothing. ``invert`` negates.

    >>> import chainrule as cr
    >>> cr.isin(cr.tensor([[1, 2], [3, 4]]), cr.tensor([2, 3]), invert=True)
    tensor([[ True, False],
            [False,  True]])
    """
    if not (isinstance(elements, Tensor) or isinstance(test_elements, Tensor)):
        raise TypeError(
            f"isin() received an invalid combination of arguments - got "
            f"({type(elements).__name__}, {type(test_elements).__name__}): one of elements "
            "and test_elements must be a Tensor"
        )
    if type(assume_unique) is not bool or type(invert) is not bool:  # 1 was read as True
        flags = {"assume_unique": assume_unique, "invert": invert}
        given = {k: v for k, v in flags.items() if v is not False}  # as usually passed
        raise arguments.no_overload("isin", (elements, test_elements), given)
    (a, a_levels), (b, b_levels) = _operand(elements), _operand(test_elements)
    if a.dtype.kind == "b" or b.dtype.kind == "b":
        raise RuntimeError("Unsupported input type encountered for isin(): Bool")
    common = dtypes.torch_result_type(a, b)
    if isinstance(elements, Tensor) and isinstance(test_elements, Tensor):
        shell_uints.check_function("isin", common)  # (a number is tested by ==, which has one)
    a, b = a.astype(common), b.astype(common)
    if not b_levels:  # one set for all: every example's elements tested at once
        found = xp.isin(a, b, assume_unique=assume_unique, invert=invert)
        return batching.wrap(_make(xp.asarray(found)), a_levels)
    # under vmap, a set per example: each example's elements tested against its own
    levels = batching.levels_of((elements, test_elements))
    (a, _), (b, _) = (
        batching.lift_array(a, a_levels, levels),
        batching.lift_array(b, b_levels, levels),
    )
    lead = a.shape[: len(levels)]
    rows = zip(
        a.reshape((-1, *a.shape[len(levels) :])), b.reshape((math.prod(lead), -1)), strict=True
    )
    found = [xp.isin(x, y, assume_unique=assume_unique, invert=invert) for x, y in rows]
    return batching.wrap(_make(xp.stack(found).reshape(a.shape)), levels)


def _operand(x: Any) -> tuple[Any, list[Any]]:
    """A tensor's array and the vmap levels of its leading dims (every example's values, see
    ``batching.array_and_levels``), or a number as PyTorch wraps it (a float in the default
    dtype) and no levels."""
    if isinstance(x, Tensor):
        return batching.array_and_levels(x)
    return xp.asarray(x, dtype=dtypes.default_float if isinstance(x, float) else None), []


def argwhere(input: Tensor) -> Tensor:  # noqa: A002
    """The indices of the non-zero elements, one row each: ``nonzero(input)``.

    >>> import chainrule as cr
    >>> cr.argwhere(cr.tensor([[0, 3], [5, 0]]))
    tensor([[0, 1],
            [1, 0]])
    """
    return indexing.nonzero(input)


# ---- mode and aminmax: picked values, differentiable to the picked elements
class ModeIndex(Constant):
    """The index along ``dim`` of the most frequent value (the smallest of those equally
    frequent), as PyTorch's CPU kernel picks it: the last of that value's run in a sort of
    the values; PyTorch's sort is unstable beyond 16 elements, where it may pick another
    equal element; here the sort is stable, so it is the last occurrence. Each NaN sorts
    last and counts once (NaN != NaN); PyTorch's sort, whose comparisons a NaN breaks, leaves
    NaNs where they are, so with NaNs its result depends on their positions."""

    notation = "argmode(x)"
    derivatives = ("-",)
    batch_rule = staticmethod(batching.along_dim)

    def __init__(self, dim: int, keepdim: bool) -> None:
        self.dim = dim
        self.keepdim = keepdim

    def forward(self, x):
        order = xp.argsort(x, axis=self.dim, kind="stable")
        ordered = xp.moveaxis(xp.take_along_axis(x, order, self.dim), self.dim, -1)
        n = ordered.shape[-1]
        first = xp.ones(ordered.shape, dtype=bool)
        first[..., 1:] = ordered[..., 1:] != ordered[..., :-1]
        position = xp.arange(n)
        run_start = xp.maximum.accumulate(xp.where(first, position, 0), axis=-1)
        last = xp.ones(ordered.shape, dtype=bool)
        last[..., :-1] = first[..., 1:]
        length = xp.where(last, position - run_start + 1, 0)
        best = xp.expand_dims(xp.argmax(length, axis=-1), self.dim)  # the first longest run
        index = xp.take_along_axis(order, best, self.dim)
        return index if self.keepdim else index.squeeze(self.dim)


def mode(input: Tensor, dim: int = -1, keepdim: bool = False) -> Any:  # noqa: A002
    """``(values, indices)``: the most frequent value along ``dim`` (the smallest, among
    equally frequent ones) and where it is; the gradient goes to that element.

    >>> import chainrule as cr
    >>> cr.mode(cr.tensor([[1, 2, 2, 1, 3], [0, 4, 4, 0, 4]]))
    chainrule.return_types.mode(
    values=tensor([1, 4]),
    indices=tensor([3, 4]))
    """
    # one int: None or a list is PyTorch's TypeError (Tensor.mode checks at its position)
    reduce.refuse_several(dim, "mode")  # a list worded as cumsum's
    axis = arguments.dim(dim, input.ndim, "mode", "dim", 2)
    arguments.boolean(keepdim, "mode", "keepdim", 3)  # not 1: PyTorch reads no int as a bool
    reduce.refuse_empty_reduction(input, (axis,), "mode")
    x = input.reshape(1) if input.ndim == 0 else input  # a 0-d tensor is its own mode
    indices = ModeIndex(axis, keepdim)(x)
    values = named(reduce.MaxAlong(axis, keepdim)(x, indices), "ModeBackward0")
    if input.ndim == 0:
        values, indices = values.reshape(()), indices.reshape(())
    return return_types.named("mode", (values, indices))


def aminmax(input: Tensor, *, dim: int | None = None, keepdim: bool = False) -> Any:  # noqa: A002
    """``(min, max)`` of all elements, or along ``dim``: ``amin`` and ``amax`` at once, with
    their gradients (shared evenly among tied elements), as PyTorch's.

    >>> import chainrule as cr
    >>> cr.aminmax(cr.tensor([[1.0, 5.0], [-2.0, 3.0]]), dim=1)
    chainrule.return_types.aminmax(
    min=tensor([ 1., -2.]),
    max=tensor([5., 3.]))
    """
    if type(keepdim) is not bool:  # 1 was read as True
        arguments.boolean(keepdim, "aminmax", "keepdim", None)
    shell_uints.check_function("aminmax", input.dtype)
    if dim is None:
        if input.numel() == 0:
            raise RuntimeError(
                "aminmax(): cannot compute aminmax over an empty dimension as the operation "
                "has no identity."
            )
        dims = tuple(range(input.ndim))
    else:
        dims = (reduce.one_dim(dim, input.ndim, "aminmax"),)
        if input.ndim and input.shape[dims[0]] == 0:
            raise IndexError(f"aminmax: Expected reduction dim {dims[0]} to have non-zero size.")
        dims = dims if input.ndim else ()
    low = named(reduce.Amin(dims, keepdim)(input), "AminmaxBackward0")
    high = named(reduce.Amax(dims, keepdim)(input), "AminmaxBackward0")
    return return_types.named("aminmax", (low, high))


# ---- products of sets: index compositions, differentiable as indexing is
def cartesian_prod(*tensors: Tensor) -> Tensor:
    """Every tuple of one element from each 1-D tensor, one row each, the last tensor's
    element varying fastest (one tensor is returned as it is).

    >>> import chainrule as cr
    >>> cr.cartesian_prod(cr.tensor([1, 2]), cr.tensor([3, 4]))
    tensor([[1, 3],
            [1, 4],
            [2, 3],
            [2, 4]])
    """
    for t in tensors:
        _check_vector(t)
    if len(tensors) == 1:
        return tensors[0]
    grids = shape_more.meshgrid(*tensors, indexing="ij")
    return shape.stack([g.reshape(-1) for g in grids], dim=1)


def combinations(input: Tensor, r: int = 2, with_replacement: bool = False) -> Tensor:  # noqa: A002
    """The length-``r`` combinations of the 1-D ``input``'s elements (with repeats, with
    ``with_replacement``), one row each, in Python's ``itertools`` order.

    >>> import chainrule as cr
    >>> cr.combinations(cr.tensor([1, 2, 3]))
    tensor([[1, 2],
            [1, 3],
            [2, 3]])
    """
    # a bool is refused, as PyTorch's (True was read as 1)
    r = arguments.integer(r, "combinations", "r", 2)
    if type(with_replacement) is not bool:
        arguments.boolean(with_replacement, "combinations", "with_replacement", None)
    _check_vector(input)
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return _make(xp.empty(0, dtype=xp.dtype(input.dtype.name)))
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    rows = list(pick(range(input.shape[0]), r))
    index = xp.asarray(rows, dtype=xp.int64).reshape(-1)
    return indexing.index_select(input, 0, _make(index)).reshape(len(rows), r)


def _check_vector(t: Tensor) -> None:
    if t.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(t.shape)}")
