"""Reductions that skip NaNs or count: ``nansum``, ``nanmean``, ``count_nonzero``. They are
compositions of :mod:`chainrule.ops.reduce` and :class:`NanAsZero`, so a NaN gets a zero
gradient (it did not contribute), as in PyTorch.

    >>> import chainrule as cr
    >>> x = cr.tensor([1.0, float("nan"), 3.0])
    >>> cr.nansum(x), cr.nanmean(x), cr.count_nonzero(x)
    (tensor(4.), tensor(2.), tensor(3))
"""

from __future__ import annotations

from typing import Any

from chainrule import dtypes, return_types, shell_uints
from chainrule._array import xp
from chainrule.arguments import OMITTED, boolean, integer, no_overload, wrap_dim
from chainrule.autodiff import batching
from chainrule.dtypes import _TORCH_DTYPE_NAMES
from chainrule.op import Constant, named
from chainrule.ops import compare, dual, linalg, reduce
from chainrule.ops.elementwise import Unary
from chainrule.tensor import Tensor, _make


class NanAsZero(Unary):
    """``x`` with its NaNs as 0, the input of ``nansum`` and ``nanmean``. Its gradient is
    multiplied by "not NaN", as PyTorch's ``nansum_backward`` (not selected, as ``where``'s):
    ``nanmean`` over NaNs alone divides by a count of 0, and its NaNs get inf * 0, nan."""

    notation = "0 if isnan(x) else x"
    derivatives = ("0 if isnan(x) else 1",)

    def forward(self, x):
        return xp.where(x != x, x.dtype.type(0), x)

    def partial(self, out, x):
        return dual.astype(x == x, x.dtype)


def _nan_as_zero(input: Tensor) -> Tensor:  # noqa: A002
    return NanAsZero()(input) if dtypes.is_floating(input.dtype) else input


def nansum(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:  # noqa: A002
    """The sum with NaNs taken as zero."""
    return named(reduce.sum(_nan_as_zero(input), dim, keepdim, dtype=dtype), "NansumBackward0")


def nanmean(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:  # noqa: A002
    """The mean of the elements that are not NaN (NaN where there are none)."""
    if not dtypes.is_floating(input.dtype):
        name = _TORCH_DTYPE_NAMES[input.dtype.name][1]
        raise RuntimeError(
            f"nanmean(): expected input to have floating point or complex dtype but got {name}"
        )
    if dtype is not None and not dtypes.is_floating(dtype):
        raise RuntimeError(
            "nanmean(): could not infer output dtype. Optional dtype must be either a floating "
            f"point or complex dtype. Got: {dtypes.scalar_type_name(dtype)}"
        )
    counted = reduce.sum(~compare.isnan(input), dim, keepdim)
    return nansum(input, dim, keepdim, dtype=dtype) / counted


def count_nonzero(input: Tensor, dim: Any = None) -> Tensor:  # noqa: A002
    """How many elements are not zero, over ``dim`` (an int or a tuple; all by default)."""
    if dim is None:  # (PyTorch counts along a dim by a sum, which has a kernel)
        shell_uints.check_function("count_nonzero", input.dtype)
    return reduce.sum(input != 0, dim)


def cov(
    input: Tensor,  # noqa: A002
    *,
    correction: int = 1,
    fweights: Tensor | None = None,
    aweights: Tensor | None = None,
) -> Tensor:
    """The covariance matrix of the variables in ``input``'s rows (observations in its
    columns; a 1-D input is one variable, giving a 0-d result), with PyTorch's frequency and
    observation weights and ``correction`` (1: Bessel's); a divisor below 0 is 0.

    >>> import chainrule as cr
    >>> cr.cov(cr.tensor([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]]))
    tensor([[ 1., -1.],
            [-1.,  1.]])
    """
    if input.ndim > 2:
        raise ValueError(
            "cov(): expected input to have two or fewer dimensions but got an input with "
            f"{input.ndim} dimensions"
        )
    x = input if input.ndim == 2 else input.reshape(1, -1)
    if not dtypes.is_floating(x.dtype):
        x = x.to(dtypes.get_default_dtype())
    if fweights is not None and dtypes.is_floating(fweights.dtype):
        raise RuntimeError(
            f"cov(): expected fweights to have integral dtype but got fweights with "
            f"{_TORCH_DTYPE_NAMES[fweights.dtype.name][1]} dtype"
        )
    weights = [w for w in (fweights, aweights) if w is not None]
    if not weights:
        mean = x.mean(1, keepdim=True)
        divisor: Any = max(x.shape[1] - correction, 0)
        weighted = centred = x - mean
    else:
        w = weights[0] if len(weights) == 1 else weights[0] * weights[1]
        total = w.sum()
        mean = (x * w).sum(1, keepdim=True) / total
        divisor = total - correction * ((w * aweights).sum() / total if aweights is not None else 1)
        divisor = divisor.clamp(min=0)
        centred = x - mean
        weighted = centred * w
    c = linalg.matmul(weighted, centred.transpose(0, 1)) / divisor
    return c.reshape(()) if input.ndim < 2 else c


def corrcoef(input: Tensor) -> Tensor:  # noqa: A002
    """Pearson's correlation coefficients of the rows (see :func:`cov`), clipped to
    [-1, 1] as PyTorch clips them."""
    c = cov(input)
    if c.ndim == 0:
        return c / c
    std = linalg.diag(c).sqrt()
    return (c / std.reshape(-1, 1) / std.reshape(1, -1)).clamp(-1, 1)


# ---- order statistics: the element at a sorted position, picked by index
class SortedPick(Constant):
    """The index along ``dim`` of the element at a position of the stably sorted values
    (NaN sorting last, as PyTorch): ``"median"`` the lower median, or the first NaN if there
    is one; ``"nanmedian"`` the lower median of the others (index 0 if all are NaN);
    ``"kthvalue"`` the ``k``-th smallest. Stable sorting gives PyTorch's indices at ties for
    the medians (its kernel breaks ties by index); kthvalue's quickselect picks another of
    the tied elements, found by :func:`_quickselect` where the k-th value is tied."""

    notation = "argsort(x)[position]"
    derivatives = ("-",)
    batch_rule = staticmethod(batching.along_dim)

    def __init__(self, dim: int, keepdim: bool, kind: str, k: int = 1) -> None:
        self.dim = dim
        self.keepdim = keepdim
        self.kind = kind
        self.k = k

    def forward(self, x):
        order = xp.argsort(x, axis=self.dim, kind="stable")
        n = x.shape[self.dim]
        nans = xp.isnan(x).sum(axis=self.dim, keepdims=True) if x.dtype.kind == "f" else 0
        if self.kind == "kthvalue":
            position = self.k - 1
        elif self.kind == "median":
            position = xp.where(nans > 0, n - nans, (n - 1) // 2)
        else:
            position = xp.maximum((n - nans - 1) // 2, 0)
        shape = list(order.shape)
        shape[self.dim] = 1
        position = xp.broadcast_to(xp.asarray(position, dtype=order.dtype), shape)
        index = xp.take_along_axis(order, position, self.dim)
        if self.kind == "kthvalue":
            index = _kth_at_ties(x, order, index, self.dim, self.k)
        return index if self.keepdim else index.squeeze(self.dim)


def _kth_at_ties(x: Any, order: Any, index: Any, dim: int, k: int) -> Any:
    """kthvalue's ``index`` (the stable sort's pick, ``dim`` kept) where the k-th value is tied
    replaced by PyTorch's: which of equal elements its quickselect leaves at position k
    depends on the order of its swaps, so those lines (only those: a unique k-th value has
    one index) run :func:`_quickselect` on their values."""
    ordered = xp.take_along_axis(x, order, dim)
    kth = xp.take(ordered, [k - 1], dim)
    nan = xp.isnan(kth) if x.dtype.kind == "f" else False
    tied = xp.zeros(kth.shape, bool)
    for neighbour in (k - 2, k):  # the sorted neighbours of the k-th value
        if 0 <= neighbour < x.shape[dim]:
            other = xp.take(ordered, [neighbour], dim)
            tied |= (other == kth) | (nan & (other != other))
    if not tied.any():
        return index
    index = index.copy()
    lines = xp.moveaxis(x, dim, -1)
    picks = xp.moveaxis(index, dim, -1)
    for at in map(tuple, xp.argwhere(xp.moveaxis(tied, dim, -1)[..., 0])):
        picks[at] = _quickselect(lines[at].tolist(), k - 1)
    return index


def _quickselect(values: list[Any], k: int) -> int:
    """The index of the element that PyTorch's kthvalue kernel (Sedgewick's quickselect with
    a median-of-three pivot, NaN above everything) leaves at position ``k`` of ``values``."""
    index = list(range(len(values)))

    def above(a: Any, b: Any) -> bool:  # a > b, a NaN above any number
        return a > b or (a != a and b == b)

    def swap(i: int, j: int) -> None:
        values[i], values[j] = values[j], values[i]
        index[i], index[j] = index[j], index[i]

    low, high = 0, len(values) - 1
    while high > low:
        if high == low + 1:
            if above(values[low], values[high]):
                swap(low, high)
            break
        # the median of three at low, low + 1 and high, which bounds both scans below
        swap((low + high) >> 1, low + 1)
        if above(values[low + 1], values[high]):
            swap(low + 1, high)
        if above(values[low], values[high]):
            swap(low, high)
        if above(values[low + 1], values[low]):
            swap(low + 1, low)
        pivot, i, j = values[low], low + 1, high
        while True:
            i += 1
            while above(pivot, values[i]):
                i += 1
            j -= 1
            while above(values[j], pivot):
                j -= 1
            if j < i:
                break
            swap(i, j)
        swap(low, j)  # the pivot to its place, j
        if j <= k:
            low = i
        if j >= k:
            high = j - 1
    return index[k]


def _pick(input: Tensor, dim: Any, keepdim: bool, kind: str, k: int = 1) -> Any:  # noqa: A002
    """``(values, indices)`` of :class:`SortedPick` along ``dim``; the gradient goes to the
    picked element."""
    (axis,) = reduce.normalize_dims(dim, input.ndim, kind) or (0,)
    x = input.reshape(1) if input.ndim == 0 else input  # a 0-d tensor picks its one element
    indices = SortedPick(axis, keepdim, kind, k)(x)
    values = reduce.MaxAlong(axis, keepdim)(x, indices)
    if input.ndim == 0:
        values, indices = values.reshape(()), indices.reshape(())
    name = {"median": "MedianBackward1", "nanmedian": "NanmedianBackward1"}.get(kind)
    values = named(values, name or "KthvalueBackward0")
    return return_types.named(kind, (values, indices))


def median(input: Tensor, dim: Any = OMITTED, keepdim: Any = OMITTED) -> Any:  # noqa: A002
    """The lower median: of all elements (a tensor), or ``(values, indices)`` along ``dim``.
    A NaN makes the median NaN (``nanmedian`` skips them). The gradient goes to the picked
    element (for ``median()`` of ties, PyTorch splits it among the equal ones instead).

    >>> import chainrule as cr
    >>> cr.median(cr.tensor([[1.0, 5.0, 2.0, 4.0]]), 1)
    chainrule.return_types.median(
    values=tensor([2.]),
    indices=tensor([2]))
    """
    return median_at(input, dim, keepdim, "median", 2)


def nanmedian(input: Tensor, dim: Any = OMITTED, keepdim: Any = OMITTED) -> Any:  # noqa: A002
    """The lower median of the elements that are not NaN (NaN where all are)."""
    return median_at(input, dim, keepdim, "nanmedian", 2)


def _refuse_bools(input: Tensor, kernel: str) -> None:  # noqa: A002
    """PyTorch's selection kernels (kthvalue, median, nanmedian) have no bool version."""
    if input.dtype.kind == "b":
        raise dtypes.not_implemented_for(kernel, input.dtype)


def median_at(input: Tensor, dim: Any, keepdim: Any, kind: str, at: int) -> Any:  # noqa: A002
    """``median`` or ``nanmedian`` (``kind``), ``dim`` read as PyTorch reads it at argument
    position ``at`` (2 in the function, 1 in Tensor's method). The median of all is the call
    given no ``dim``: PyTorch's signatures take no None, so ``median(x, None)`` is its
    TypeError, not the median of all; nor is ``median(x, keepdim=True)``, whose signature
    needs a ``dim``."""
    if dim is not OMITTED:
        keepdim = False if keepdim is OMITTED else keepdim
        axis = wrap_dim(integer(dim, kind, "dim", at), input.ndim)
        boolean(keepdim, kind, "keepdim", at + 1)  # not 1: PyTorch reads no int as a bool
        reduce.refuse_empty_reduction(input, (axis,), "median")  # nanmedian's message too
        _refuse_bools(input, "median_out")
        return _pick(input, axis, keepdim, kind)
    if keepdim is not OMITTED:
        raise TypeError(f'{kind}() missing 1 required positional arguments: "dim"')
    if input.numel() == 0:  # NaN, in the input's dtype as PyTorch's C++ casts it
        if input.dtype.kind == "f":
            return input.reshape(-1).sum() * float("nan")
        wide = input.dtype.kind == "i" and input.dtype.itemsize >= 4
        value = True if input.dtype.kind == "b" else xp.iinfo(input.dtype).min if wide else 0
        return _make(xp.array(value, dtype=input.dtype))
    _refuse_bools(input, "median_cpu")  # nanmedian's too
    values = MedianOfAll(tuple(range(input.ndim)), kind)(input)
    return named(values, "MedianBackward0" if kind == "median" else "NanmedianBackward0")


class MedianOfAll(reduce.Amax):
    """``median()`` or ``nanmedian()`` (``kind``) of all elements: :class:`SortedPick`'s
    lower median. Its gradient is shared evenly among the elements equal to it (among the
    NaNs where it is NaN), as PyTorch's; the median along a dim sends it to the picked index.

    >>> import chainrule as cr
    >>> x = cr.tensor([1.0, 3.0, 3.0, 5.0], requires_grad=True)
    >>> x.median().backward()
    >>> x.grad
    tensor([0.0000, 0.5000, 0.5000, 0.0000])
    """

    notation = "median(x)"
    derivatives = ("1 at the median (shared evenly among ties), else 0",)

    def __init__(self, dims: tuple[int, ...], kind: str) -> None:
        super().__init__(dims, False, to_nan=True)
        self.kind = kind

    def forward(self, x):
        kept = [d for d in range(x.ndim) if d not in self.dims]  # the batch axes, under vmap
        rows = x.transpose(kept + list(self.dims)).reshape([x.shape[d] for d in kept] + [-1])
        index = SortedPick(rows.ndim - 1, True, self.kind).forward(rows)
        return xp.take_along_axis(rows, index, -1)[..., 0]


def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False) -> Any:  # noqa: A002
    """``(values, indices)`` of the ``k``-th smallest element along ``dim`` (1-based)."""
    k = integer(k, "kthvalue", "k", 2)  # not a float (or bool) k: no k-th of 1.5
    axis = wrap_dim(integer(dim, "kthvalue", "dim", 3), input.ndim)  # one int, not None
    boolean(keepdim, "kthvalue", "keepdim", 4)
    reduce.refuse_empty_reduction(input, (axis,), "kthvalue")
    if input.ndim:  # a 0-d tensor is its own k-th value, bool or not
        _refuse_bools(input, "kthvalue_cpu")
    if not 1 <= k <= (input.shape[axis] if input.ndim else 1):
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {axis}")
    return _pick(input, axis, keepdim, "kthvalue", k)


_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def quantile(
    input: Tensor,  # noqa: A002
    q: Any,
    dim: int | None = None,
    keepdim: bool = False,
    *,
    interpolation: str = "linear",
) -> Tensor:
    """The ``q``-quantiles (a number, or a 1-D tensor: its values lead the result's shape)
    along ``dim`` (of all elements by default), interpolated between the sorted values as
    PyTorch's ``interpolation`` says; a NaN in a row makes its quantiles NaN. The gradient
    flows through the sort to the elements interpolated.

    >>> import chainrule as cr
    >>> cr.quantile(cr.tensor([0.0, 1.0, 2.0, 10.0]), cr.tensor([0.5, 0.9]))
    tensor([1.5000, 7.6000])
    """
    return _quantile(input, q, dim, keepdim, interpolation, "quantile")


def nanquantile(
    input: Tensor,  # noqa: A002
    q: Any,
    dim: int | None = None,
    keepdim: bool = False,
    *,
    interpolation: str = "linear",
) -> Tensor:
    """:func:`quantile` of the elements that are not NaN (NaN where all are)."""
    return _quantile(input, q, dim, keepdim, interpolation, "nanquantile")


def _quantile(
    input: Tensor,  # noqa: A002
    q: Any,
    dim: int | None,
    keepdim: bool,
    interpolation: str,
    op: str,
) -> Tensor:
    # PyTorch's refusals in its order, each naming quantile() (nanquantile's too): a number q
    # out of range first, then the interpolation, the input (empty anywhere: it refuses
    # zeros(3, 0).quantile(q, 0) too), q's shape and the dtypes, dim, and q's values last;
    # before all, a keepdim that is no bool or an interpolation that is no str fits none of
    # its signatures (keepdim=1 was read as True)
    if type(keepdim) is not bool or not isinstance(interpolation, str):
        given = (input, q) if dim is None else (input, q, dim)  # as usually passed
        flags = {"keepdim": keepdim, "interpolation": interpolation}
        defaults = {"keepdim": False, "interpolation": "linear"}
        raise no_overload(op, given, {k: v for k, v in flags.items() if v is not defaults[k]})
    if not isinstance(q, Tensor) and not 0 <= q <= 1:
        raise RuntimeError(f"quantile() q must be in the range [0, 1] but got {q:g}")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(
            "quantile() interpolation must be one of linear, lower, higher, midpoint or "
            f"nearest, but got {interpolation}"
        )
    if not input.numel():
        raise RuntimeError("quantile() input tensor must be non-empty")
    qs = q._data if isinstance(q, Tensor) else xp.asarray(q, dtype=xp.float64)
    if qs.ndim > 1:
        raise RuntimeError("quantile() q must be a scalar or 1D tensor")
    if not dtypes.is_floating(input.dtype) or input.dtype == dtypes.float16:
        raise RuntimeError("quantile() input tensor must be either float or double dtype")
    if isinstance(q, Tensor) and q.dtype != input.dtype:
        raise RuntimeError("quantile() q tensor must be same dtype as the input tensor")
    if dim is None:
        x, axis = input.reshape(-1), 0
    else:
        (axis,) = reduce.normalize_dims(dim, input.ndim, op) or (0,)
        x = input.reshape(1) if input.ndim == 0 else input
    if ((qs < 0) | (qs > 1)).any():
        raise RuntimeError("quantile() q values must be in the range [0, 1]")
    if x.ndim > 1:  # the quantile's dimension last, the others in their order
        x = x.permute(*[d for d in range(x.ndim) if d != axis], axis)
    ordered = x.sort(-1).values  # NaN last
    dtype = xp.dtype(input.dtype.name)
    n = ordered.shape[-1]
    values, levels = batching.array_and_levels(ordered)  # under vmap, every example's
    lead = values.shape[: len(levels)]
    nans = xp.isnan(values).sum(axis=-1, keepdims=True)  # each row's NaNs
    if lead:  # an axis for q's values after the levels' dims, as the quantiles have
        nans = xp.expand_dims(nans, len(lead))
    if op == "nanquantile":
        counted, start = n - nans, 0
    else:  # a row with a NaN picks its last element, a NaN
        counted, start = xp.where(nans > 0, 1, n), xp.where(nans > 0, n - 1, 0)
    ranks = xp.maximum(qs.reshape(-1, *([1] * ordered.ndim)) * (counted - 1) + start, 0)
    below, above = xp.floor(ranks), xp.ceil(ranks)
    if interpolation == "nearest":
        below = above = xp.round(ranks)  # halves to even, as PyTorch's round
    elif interpolation == "lower":
        above = below
    elif interpolation == "higher":
        below = above
    shape = (qs.size, *ordered.shape[:-1], 1)

    def per_example(a: Any) -> Tensor:  # an array of every example's (q, ..., 1) values
        return batching.wrap(_make(xp.broadcast_to(a, (*lead, *shape))), levels)

    rows = ordered.unsqueeze(0).expand(*shape[:-1], n)
    # (a row of NaNs alone has rank 0: its quantiles are its first NaN, whose gradient is
    # PyTorch's)
    low = rows.gather(-1, per_example(below.astype(xp.int64)))
    if interpolation in ("linear", "midpoint"):
        high = rows.gather(-1, per_example(above.astype(xp.int64)))
        weight = xp.full(shape, 0.5) if interpolation == "midpoint" else ranks - below
        result = low.lerp(high, per_example(weight.astype(dtype)))
    else:  # the value picked as it is: no lerp (-inf + 0 * inf was NaN, -0.0 became 0.0)
        result = low
    result = result.squeeze(-1)
    if keepdim:
        result = result.reshape(
            qs.size, *(1 if dim is None or d == axis else s for d, s in enumerate(input.shape))
        )
    return result if qs.ndim else result[0]
