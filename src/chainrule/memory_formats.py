"""PyTorch's memory formats: how a tensor's elements lie in memory, on NumPy's strides.

A chainrule tensor wraps a NumPy array, so a layout is real: ``channels_last`` is an NCHW
array whose memory is NHWC (the channels vary fastest), and ``stride()`` says so in elements,
as PyTorch's does. Values never depend on the layout (NumPy reads any strides); what it
changes is ``stride()``, ``is_contiguous(...)``, the speed of some kernels, and the order in
which a random factory fills memory (PyTorch draws in memory order).

* ``contiguous_format``: row-major (the default);
* ``channels_last`` (4-D only) and ``channels_last_3d`` (5-D only): the channel dimension
  (1) innermost, then the spatial dimensions from the last, then the batch;
* ``preserve_format``: a copy keeps the original's strides where those are dense and do not
  overlap, else takes dense ones in the same order (:func:`dense_in_order`).

    >>> import chainrule as cr
    >>> x = cr.zeros(2, 3, 4, 5).contiguous(memory_format=cr.channels_last)
    >>> cr.channels_last, x.stride(), x.is_contiguous(memory_format=cr.channels_last)
    (chainrule.channels_last, (60, 1, 15, 3), True)
"""

from __future__ import annotations

import math
from typing import Any

from chainrule._array import xp
from chainrule._lazy import import_later

# ops.shape imports the Tensor, which imports this module: bound on first use
shape_ops = import_later(globals(), "chainrule.ops.shape")
batching = import_later(globals(), "chainrule.autodiff.batching")


class memory_format:  # noqa: N801 - PyTorch's name
    """One of the four memory formats; the type of ``chainrule.channels_last`` and the others
    (no new ones can be made, as in PyTorch)."""

    __slots__ = ("_name", "_rank")
    __module__ = "chainrule"  # printed as PyTorch prints its class: chainrule.memory_format

    def __new__(cls, *args: Any, **kwargs: Any) -> memory_format:
        raise TypeError("cannot create 'chainrule.memory_format' instances")

    @classmethod
    def _make(cls, name: str, rank: int | None) -> memory_format:
        made = object.__new__(cls)
        made._name, made._rank = name, rank  # the only rank it lays out (None: any)
        return made

    def __repr__(self) -> str:
        return f"chainrule.{self._name}"

    def __reduce__(self) -> str:
        return self._name  # pickled by name: the same object comes back


contiguous_format = memory_format._make("contiguous_format", None)
channels_last = memory_format._make("channels_last", 4)
channels_last_3d = memory_format._make("channels_last_3d", 5)
preserve_format = memory_format._make("preserve_format", None)


def checked(fmt: Any, function: str) -> memory_format:
    """``fmt`` if it is a memory format, else PyTorch's TypeError for ``function``'s keyword
    (None, where PyTorch's signature allows it, is the caller's to turn into its default)."""
    if not isinstance(fmt, memory_format):
        raise TypeError(
            f"{function}(): argument 'memory_format' must be chainrule.memory_format, "
            f"not {type(fmt).__name__}"
        )
    return fmt


def check_rank(fmt: memory_format, ndim: int) -> None:
    """PyTorch's refusal of a channels-last format on a tensor of another rank."""
    if fmt._rank is not None and ndim != fmt._rank:
        raise RuntimeError(f"required rank {fmt._rank} tensor to use {fmt._name} format")


# Under vmap PyTorch lays out no example channels-last: its refusals, with its words.
def refuse_query_in_vmap(t: Any, fmt: memory_format) -> None:
    """``is_contiguous`` (and so ``contiguous``) of an example in another format."""
    if fmt is not contiguous_format and isinstance(t, batching.BatchedTensor):
        raise RuntimeError(
            "NYI: querying is_contiguous inside of vmap for memory_format other than "
            "chainrule.contiguous_format"
        )


def refuse_copy_in_vmap(t: Any, fmt: memory_format, op: str) -> None:
    """A channels-last copy of an example: ``clone`` refuses it; ``to`` and the ``*_like``
    factories see the whole batch, so its rank (one more per batch dimension) must fit."""
    if fmt._rank is None or not isinstance(t, batching.BatchedTensor):
        return
    if op != "clone":
        check_rank(fmt, t.ndim + len(batching.unwrap(t)[1]))
    raise RuntimeError(
        "NYI: Tensor.clone(memory_format) inside vmap is only supported with memory_format "
        "chainrule.preserve_format or chainrule.contiguous_format (got "
        f"{'ChannelsLast' if fmt._rank == 4 else 'ChannelsLast3d'})"
    )


def _order(fmt: memory_format, ndim: int) -> list[int]:
    """The dimensions from the outermost in memory to the innermost. A channels-last format
    lays out the last ``rank`` dimensions (more in front are batch dimensions under vmap)."""
    if fmt._rank is None:
        return list(range(ndim))
    channel = ndim - fmt._rank + 1
    return [d for d in range(ndim) if d != channel] + [channel]


def strides_of(shape: tuple[int, ...], fmt: memory_format) -> list[int]:
    """The element strides PyTorch gives a new tensor of ``shape`` in ``fmt`` (contiguous or
    channels-last): each dimension's stride is the product of the sizes inside it in memory;
    the row-major ones count a size 0 as 1, the channels-last ones do not (as PyTorch's)."""
    strides = [0] * len(shape)
    step = 1
    for d in reversed(_order(fmt, len(shape))):
        strides[d] = step
        step *= shape[d] if fmt._rank else max(shape[d], 1)
    return strides


def is_contiguous(data: Any, fmt: memory_format) -> bool:
    """PyTorch's ``is_contiguous(memory_format=fmt)``: the array's strides are those of
    ``fmt``, with the strides of dimensions of size 1 free (and a tensor of another rank is
    not channels-last contiguous)."""
    if fmt._rank is None:  # preserve_format too, as PyTorch answers it
        return bool(data.flags.c_contiguous)
    if data.ndim != fmt._rank:
        return False
    return follows(data.shape, shape_ops.element_strides(data), fmt)


def follows(shape: tuple[int, ...], strides: list[int], fmt: memory_format) -> bool:
    """Whether ``strides`` are the dense ones of ``fmt``'s order of dimensions, those of the
    dimensions of size 1 aside (their stride never matters)."""
    step = 1
    for d in reversed(_order(fmt, len(shape))):
        if shape[d] != 1:
            if strides[d] != step:
                return False
            step *= shape[d]
    return True


def _strides_like_channels_last(shape: tuple[int, ...], strides: list[int]) -> bool:
    """Whether PyTorch takes strides for channels-last ones (``suggest_memory_format``):
    walking the dimensions from the innermost in channels-last order, no size is 0 and the
    strides never fall below what the dimensions inside need. Ambiguous cases (channels of
    stride 0, a batch dimension whose stride equals the channels') count as row-major."""
    if strides[1] == 0:
        return False
    fmt = channels_last if len(shape) == 4 else channels_last_3d
    least = 0
    for d in reversed(_order(fmt, len(shape))):
        if shape[d] == 0 or strides[d] < least:
            return False
        if d == 0 and least == strides[1]:
            return False
        least = strides[d] * (shape[d] if shape[d] > 1 else 1)
    return True


def suggested(shape: tuple[int, ...], strides: list[int]) -> memory_format:
    """The format that strides suggest (PyTorch's ``suggest_memory_format``): a
    channels-last one for 4-D or 5-D tensors laid out so, else ``contiguous_format``."""
    if len(shape) not in (4, 5) or not _strides_like_channels_last(shape, strides):
        return contiguous_format
    return channels_last if len(shape) == 4 else channels_last_3d


def as_kernel_result(out: Any, *inputs: Any) -> Any:
    """``out`` (an array computed from the arrays ``inputs``) laid out as PyTorch's kernels
    lay out a new result: as NumPy made it where every input is laid out channels-last (its
    dimensions of size 1 aside: a stack's inputs), which NumPy's loops keep as PyTorch's
    kernels do, else row-major. NumPy's results follow a transposed input's order, where
    PyTorch's are contiguous, so that ``.view()`` works on them.

        >>> as_kernel_result(xp.ones((2, 3)).T, xp.ones((2, 3)).T).flags.c_contiguous
        True
    """
    if out.flags.c_contiguous or keeps_layout(*inputs):
        return out
    return xp.asarray(out, order="C")


def keeps_layout(*inputs: Any) -> bool:
    """Whether PyTorch's kernels keep the layout of ``inputs`` in their result, as NumPy's
    loops do: where every input is laid out channels-last (see :func:`as_kernel_result`)."""
    return all(map(_channels_last_apart_from_ones, inputs))


def _channels_last_apart_from_ones(x: Any) -> bool:
    kept = [(n, s) for n, s in zip(x.shape, shape_ops.element_strides(x), strict=True) if n != 1]
    shape, strides = tuple(n for n, _ in kept), [s for _, s in kept]
    return suggested(shape, strides) is not contiguous_format


def is_dense(shape: tuple[int, ...], strides: list[int]) -> bool:
    """Whether the elements fill a block of memory exactly once, in some order of dimensions
    (PyTorch's ``is_non_overlapping_and_dense``); sizes 0 and 1 do not count."""
    if 0 in shape:
        return True
    step = 1
    for stride, size in sorted((s, n) for s, n in zip(strides, shape, strict=True) if n > 1):
        if stride != step:
            return False
        step *= size
    return True


def is_dense_array(x: Any) -> bool:
    """:func:`is_dense` of an array's shape and strides."""
    return is_dense(x.shape, shape_ops.element_strides(x))


def target_strides(
    shape: tuple[int, ...], strides: list[int], fmt: memory_format
) -> list[int] | None:
    """The element strides of a copy, laid out in ``fmt``, of a tensor of ``shape`` and
    ``strides`` (None: row-major, as NumPy makes it). With ``preserve_format`` (PyTorch's rule
    for ``clone``, ``to`` and the ``*_like`` factories): the tensor's own where they are
    dense, else dense ones in the order of the tensor's (:func:`dense_in_order`)."""
    if fmt is preserve_format:
        if not is_dense(shape, strides):
            strides = dense_in_order(shape, strides)
        return None if list(strides) == strides_of(shape, contiguous_format) else list(strides)
    return None if fmt._rank is None else strides_of(shape, fmt)


def dense_in_order(shape: tuple[int, ...], strides: list[int]) -> list[int]:
    """Dense strides whose dimensions lie in memory in the order of ``strides`` (PyTorch's
    ``infer_dense_strides``, which TensorIterator's outputs share; see :func:`memory_order`)."""
    dense = [0] * len(shape)
    step = 1
    for d in memory_order(shape, strides):
        dense[d] = step
        step *= max(shape[d], 1)
    return dense


def memory_order(shape: tuple[int, ...], strides: list[int]) -> list[int]:
    """The dimensions from the innermost in memory, as PyTorch orders them for its outputs:
    an insertion sort from the last dimension, one moving inside another when
    :func:`goes_inside` says so (where it cannot tell, the sort looks further out)."""
    order = list(range(len(shape) - 1, -1, -1))
    for i in range(1, len(order)):
        at = i
        for j in range(i - 1, -1, -1):
            inside = goes_inside(shape, strides, order[at], order[j])
            if inside is None:
                continue
            if not inside:
                break
            order[j], order[at] = order[at], order[j]
            at = j
    return order


def outermost_first(shape: tuple[int, ...], strides: list[int]) -> list[int] | None:
    """The dimensions in PyTorch's memory order, outermost first (a permutation that makes a
    tensor of these strides row-major), or None where that is already the order. A serial
    kernel writes its k-th value at the k-th place of this order.

        >>> outermost_first((2, 3), [1, 2]), outermost_first((2, 3), [3, 1])
        ([1, 0], None)
    """
    order = memory_order(shape, list(strides))[::-1]
    return None if order == sorted(order) else order


def goes_inside(shape: tuple[int, ...], strides: list[int], d: int, e: int) -> bool | None:
    """Whether dimension ``d`` lies inside ``e`` in memory: its stride is smaller, or equal
    with the smaller size; None where that cannot be told (equal strides and sizes, or a
    stride of 0, which keeps broadcast dimensions where a row-major layout has them)."""
    if strides[d] == 0 or strides[e] == 0:
        return None
    if strides[d] != strides[e]:
        return strides[d] < strides[e]
    return True if shape[d] < shape[e] else None


def laid_out(values: Any, shape: tuple[int, ...], strides: list[int] | None) -> Any:
    """An array of ``shape`` whose memory holds ``values`` (1-D, in memory order) at
    ``strides`` (elements; dense): the k-th value lands where PyTorch writes its k-th."""
    if strides is None:
        return values.reshape(shape)
    nbytes = [s * values.itemsize for s in strides]
    return xp.ndarray(shape, values.dtype, buffer=values, strides=nbytes)


def copied(data: Any, fmt: memory_format, dtype: Any = None) -> Any:
    """A copy of ``data`` (cast to ``dtype`` if given) laid out in ``fmt``."""
    dtype = data.dtype if dtype is None else dtype
    if fmt is contiguous_format or (
        fmt is preserve_format and data.flags.c_contiguous and data.size and 1 not in data.shape
    ):
        return data.astype(dtype, order="C")  # NumPy's row-major strides are PyTorch's then
    strides = target_strides(data.shape, shape_ops.element_strides(data), fmt)
    if strides is None:
        return data.astype(dtype, order="C")  # always a copy
    out = laid_out(xp.empty(math.prod(data.shape), dtype), data.shape, strides)
    out[...] = data
    return out


def like_input(out: Any, *inputs: Any) -> Any:
    """``out``, computed elementwise from the arrays ``inputs`` by code whose result is
    row-major whatever their layout (a series, ``where``, a float64 kernel), laid out as the
    first input of ``out``'s shape where that is dense and not row-major, as PyTorch's
    elementwise kernels and NumPy's ufuncs keep their inputs' layout (``erf(x.t())`` is
    transposed: its ``view(-1)`` is refused).

        >>> like_input(xp.zeros((3, 2)), xp.ones((2, 3)).T).strides
        (8, 24)
    """
    x = next((x for x in inputs if getattr(x, "shape", None) == out.shape), None)
    if x is None or x.flags.c_contiguous or out.strides == x.strides:
        return out
    if not is_dense_array(x):
        return out
    return laid_out_as(out, x)


def laid_out_as(g: Any, leaf: Any) -> Any:
    """A copy of a leaf's new gradient ``g`` laid out as PyTorch's ``AccumulateGrad`` lays it
    out: with the leaf's strides where those are dense, else as ``g``."""
    out = empty_laid_out_as(g, leaf)
    out[...] = g
    return out


def empty_laid_out_as(g: Any, leaf: Any) -> Any:
    """An array for :func:`laid_out_as`'s copy of ``g``, its values not yet written (a copy
    that an op writes, recorded: a ``.grad`` under ``create_graph``)."""
    if not is_dense_array(leaf):
        return xp.empty_like(g)
    strides = shape_ops.element_strides(leaf)
    return laid_out(xp.empty(math.prod(leaf.shape), g.dtype), leaf.shape, strides)


def to_argument(args: tuple[Any, ...], kwargs: dict[str, Any]) -> memory_format:
    """``.to(...)``'s keyword ``memory_format`` (taken out of ``kwargs``; None or absent:
    ``preserve_format``), or PyTorch's TypeError for another type."""
    fmt = kwargs.pop("memory_format", None)
    if fmt is None:
        return preserve_format
    if not isinstance(fmt, memory_format):
        got = [type(a).__name__ for a in args]
        got += [f"{k}={type(v).__name__}" for k, v in (*kwargs.items(), ("memory_format", fmt))]
        flags = "bool non_blocking = False, bool copy = False, *, chainrule.memory_format "
        flags += "memory_format = None"
        raise TypeError(
            f"to() received an invalid combination of arguments - got ({', '.join(got)}, ), "
            "but expected one of:\n"
            f" * (chainrule.device device = None, chainrule.dtype dtype = None, {flags})\n"
            f" * (chainrule.dtype dtype, {flags})\n"
            f" * (Tensor tensor, {flags})\n"
        )
    return fmt
