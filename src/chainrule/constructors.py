"""PyTorch's other tensor constructors: ``asarray`` (sharing memory with NumPy arrays,
tensors and buffers where it can), ``frombuffer``, ``empty_strided``, ``empty_permuted``,
``scalar_tensor`` and the deprecated ``range`` (its end included). "Empty" tensors are zeros
here, as :func:`chainrule.empty`'s are.

    >>> import chainrule as cr
    >>> import numpy as np
    >>> a = np.zeros(2)
    >>> t = cr.asarray(a)
    >>> a[0] = 5.0
    >>> t
    tensor([5., 0.], dtype=chainrule.float64)
    >>> cr.range(1, 3)
    tensor([1., 2., 3.])
"""

from __future__ import annotations

import builtins
import math
import warnings
from collections.abc import Sequence
from typing import Any

from chainrule import _user_warning, devices, dtypes, factories
from chainrule._array import xp
from chainrule.tensor import Tensor, _make, set_requires_grad


def _requiring_grad(t: Tensor, requires_grad: bool) -> Tensor:
    if requires_grad:
        t._created_requiring_grad()
    return t


def _dtype_name(kind: Any) -> str:
    return dtypes.scalar_type_name(kind)


def asarray(
    obj: Any,
    *,
    dtype: Any = None,
    device: Any = None,
    copy: bool | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """``obj`` as a tensor. A tensor, or a NumPy array or scalar, of the wanted dtype is
    shared, not copied (a tensor is returned itself); ``copy=True`` copies, and a tensor's
    copy or conversion keeps its gradient (PyTorch's CloneBackward, ToCopyBackward);
    ``copy=False`` refuses to copy. An object with Python's buffer protocol is read as
    :func:`frombuffer` reads it, in ``dtype`` (default float). Nested sequences and numbers are
    copied as :func:`chainrule.tensor` copies them. ``requires_grad=True`` on a tensor sets
    it in place, as PyTorch does (``requires_grad=False`` leaves a tensor as it is, where
    PyTorch turns its flag off).

    >>> import chainrule as cr
    >>> x = cr.ones(2)
    >>> cr.asarray(x) is x, cr.asarray([1, 2]).dtype
    (True, chainrule.int64)
    """
    devices.check(device)
    want = dtypes.as_dtype(dtype)
    if isinstance(obj, Tensor):
        t = _converted(obj, obj._data.dtype, want, copy, lambda: obj.to(want), obj.clone)
        return set_requires_grad(t, True) if requires_grad else t
    if isinstance(obj, xp.ndarray | xp.generic):
        array = xp.asarray(obj)
        dtypes.refuse_complex(array.dtype, "asarray")
        t = _converted(
            obj,
            array.dtype,
            want,
            copy,
            lambda: _make(array.astype(want)),
            lambda: _make(array.copy()),
        )
        return _requiring_grad(_make(array) if t is obj else t, requires_grad)
    if isinstance(obj, str):
        raise TypeError("new(): invalid data type 'str'")
    if _has_buffer(obj):
        t = frombuffer(obj, dtype=want or dtypes.get_default_dtype().dtype)
        return _requiring_grad(_make(t._data.copy()) if copy else t, requires_grad)
    if copy is False:
        raise ValueError("can't alias arbitrary sequence into a tensor.")
    return factories.tensor(obj, dtype=want, requires_grad=requires_grad)


def _has_buffer(obj: Any) -> bool:
    try:
        memoryview(obj)
    except TypeError:
        return False
    return True


def _converted(
    obj: Any, have: Any, want: Any, copy: bool | None, convert: Any, duplicate: Any
) -> Any:
    """``obj`` itself where its dtype is the one wanted and no copy is asked for, else
    ``convert()`` (refused under ``copy=False``) or ``duplicate()`` (``copy=True``)."""
    if want is not None and want != have:
        if copy is False:
            raise ValueError(
                f"can't alias tensor with dtype '{_dtype_name(have)}' into dtype "
                f"'{_dtype_name(want)}'."
            )
        return convert()
    return duplicate() if copy else obj


_NOT_WRITABLE = (
    "The given buffer is not writable, and PyTorch does not support non-writable tensors. "
    "This means you can write to the underlying (supposedly non-writable) buffer using the "
    "tensor. You may want to copy the buffer to protect its data or make it writable before "
    "converting it to a tensor. This type of warning will be suppressed for the rest of this "
    "program."
)
_warned_not_writable = False


def frombuffer(
    buffer: Any,
    *,
    dtype: Any,
    count: int = -1,
    offset: int = 0,
    requires_grad: bool = False,
) -> Tensor:
    """A 1-d tensor over the memory of an object with Python's buffer protocol (a bytearray,
    an ``array.array``, a memoryview): ``count`` elements of ``dtype`` from byte ``offset``
    (all that fit by default), shared, not copied. A read-only buffer (``bytes``) gives a
    read-only tensor: PyTorch warns and lets writes through, NumPy refuses them.

    >>> import chainrule as cr
    >>> cr.frombuffer(bytearray(b"ab"), dtype=cr.uint8)
    tensor([97, 98], dtype=chainrule.uint8)
    """
    global _warned_not_writable
    try:
        view = memoryview(buffer)
    except TypeError:
        raise ValueError("object does not implement Python buffer protocol.") from None
    kind = xp.dtype(dtypes.as_dtype(dtype))
    dtypes.refuse_complex(kind, "frombuffer")
    length, size = view.nbytes, kind.itemsize
    if length <= 0 or count == 0:
        raise ValueError(f"both buffer length ({length}) and count ({count}) must not be 0")
    if not 0 <= offset < length:
        raise ValueError(
            f"offset ({offset} bytes) must be non-negative and no greater than buffer length "
            f"({length} bytes) minus 1"
        )
    if count <= 0 and (length - offset) % size:
        raise ValueError(
            f"buffer length ({length - offset} bytes) after offset ({offset} bytes) must be a "
            f"multiple of element size ({size})"
        )
    count = (length - offset) // size if count < 0 else count
    if offset + count * size > length:
        raise ValueError(
            f"requested buffer length ({count} * {size} bytes) after offset ({offset} bytes) "
            f"must not be greater than actual buffer length ({length} bytes)"
        )
    if view.readonly and not _warned_not_writable:
        _warned_not_writable = True
        warnings.warn(_NOT_WRITABLE, UserWarning, stacklevel=2)
    array = xp.frombuffer(view.cast("B"), dtype=kind, count=count, offset=offset)
    return _requiring_grad(_make(array), requires_grad)


def empty_strided(
    size: Sequence[int],
    stride: Sequence[int],
    *,
    dtype: Any = None,
    layout: Any = None,
    device: Any = None,
    pin_memory: bool = False,
    requires_grad: bool = False,
) -> Tensor:
    """A tensor of ``size`` laid out with ``stride`` (elements, as ``x.stride()``), zeros.

    >>> import chainrule as cr
    >>> cr.empty_strided((2, 3), (1, 2)).stride()
    (1, 2)
    """
    devices.check(device)
    shape = factories.size_argument((tuple(size),), "empty_strided", varargs=False)
    steps = tuple(stride)
    if len(steps) != len(shape):
        raise RuntimeError(
            f"dimensionality of sizes ({len(shape)}) must match dimensionality of strides "
            f"({len(steps)})"
        )
    if any(s < 0 for s in steps):
        raise RuntimeError(
            f"Storage size calculation overflowed with sizes={list(shape)} and "
            f"strides={list(steps)}"
        )
    kind = xp.dtype(dtypes.as_dtype(dtype) or dtypes.get_default_dtype().dtype)
    storage = 0 if 0 in shape else 1 + sum((n - 1) * s for n, s in zip(shape, steps, strict=True))
    array = xp.lib.stride_tricks.as_strided(
        xp.zeros(storage, kind), shape, tuple(s * kind.itemsize for s in steps)
    )
    return _requiring_grad(_make(array), requires_grad)


def empty_permuted(
    size: Sequence[int],
    physical_layout: Sequence[int],
    *,
    dtype: Any = None,
    layout: Any = None,
    device: Any = None,
    pin_memory: bool = False,
    requires_grad: bool = False,
) -> Tensor:
    """A tensor of ``size`` whose dimensions lie in memory in the order ``physical_layout``
    (outermost first), zeros: ``empty_permuted((N, C, H, W), (0, 2, 3, 1))`` is channels-last.

    >>> import chainrule as cr
    >>> cr.empty_permuted((2, 3, 4), (0, 2, 1)).stride()
    (12, 1, 3)
    """
    devices.check(device)
    shape = factories.size_argument((tuple(size),), "empty_permuted", varargs=False)
    order = tuple(physical_layout)
    if len(order) != len(shape):
        raise RuntimeError(
            "Number of dimensions in size does not match the length of the physical_layout; "
            f"i.e. len(size) = {len(shape)} is not equal to len(physical_layout) = {len(order)}"
        )
    if len(set(order)) != len(order):
        raise RuntimeError("Duplicate dim not allowed")
    kind = xp.dtype(dtypes.as_dtype(dtype) or dtypes.get_default_dtype().dtype)
    physical = xp.zeros(tuple(shape[d] for d in order), kind)
    array = physical.transpose(tuple(order.index(d) for d in builtins.range(len(order))))
    return _requiring_grad(_make(array), requires_grad)


def scalar_tensor(
    s: Any,
    *,
    dtype: Any = None,
    layout: Any = None,
    device: Any = None,
    pin_memory: bool = False,
    requires_grad: bool = False,
) -> Tensor:
    """A 0-d tensor holding ``s``, of the default float dtype unless ``dtype`` says another
    (ints and bools too: ``scalar_tensor(3)`` is ``tensor(3.)``).

    >>> import chainrule as cr
    >>> cr.scalar_tensor(3), cr.scalar_tensor(2.5, dtype=cr.int64)
    (tensor(3.), tensor(2))
    """
    on_meta = devices.on_meta(device)
    kind = xp.dtype(dtypes.as_dtype(dtype) or dtypes.get_default_dtype().dtype)
    if on_meta:
        return factories.empty((), dtype=kind, device="meta", requires_grad=requires_grad)
    value = s.item() if isinstance(s, Tensor) else s
    if kind.kind in "iu" and isinstance(value, float):
        value = math.trunc(value)
    return _requiring_grad(_make(xp.asarray(value, dtype=kind)), requires_grad)


_RANGE_DEPRECATED = (
    "torch.range is deprecated and will be removed in a future release because its behavior "
    "is inconsistent with Python's range builtin. Instead, use torch.arange, which produces "
    "values in [start, end)."
)


def range(  # noqa: A001 - PyTorch's name
    start: Any,
    end: Any,
    step: Any = 1,
    *,
    dtype: Any = None,
    layout: Any = None,
    device: Any = None,
    pin_memory: bool = False,
    requires_grad: bool = False,
) -> Tensor:
    """``start, start + step, ...`` up to and including ``end`` (deprecated, with PyTorch's
    warning: :func:`chainrule.arange` excludes the end). The default float dtype unless
    ``dtype`` is given; each value ``start + i * step`` is computed in float64 (in int64 for an
    integer dtype, the bounds cut to integers), as PyTorch's CPU kernel does."""
    _user_warning.warn(_RANGE_DEPRECATED)
    devices.check(device)
    kind = xp.dtype(dtypes.as_dtype(dtype) or dtypes.get_default_dtype().dtype)
    accumulate = xp.int64 if kind.kind in "iub" else xp.float64
    first, last, by = (_number(v) for v in (start, end, step))
    if accumulate is xp.float64:
        first, last, by = float(first), float(last), float(by)
        if not (math.isfinite(first) and math.isfinite(last)):
            raise RuntimeError(f"unsupported range: {first:g} -> {last:g}")
    else:  # C++'s conversion to int64: toward zero
        first, last, by = math.trunc(first), math.trunc(last), math.trunc(by)
    if by == 0:
        raise RuntimeError("step must be nonzero")
    if not ((by > 0 and last >= first) or (by < 0 and last <= first)):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if accumulate is xp.float64:
        count = int((last - first) / by + 1)
    else:
        count = abs(last - first) // abs(by) + 1
    values = accumulate(first) + xp.arange(count, dtype=accumulate) * accumulate(by)
    return _requiring_grad(_make(values.astype(kind)), requires_grad)


def _number(value: Any) -> Any:
    return value.item() if isinstance(value, Tensor) else value
