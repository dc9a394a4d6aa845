"""Making tensors: ``tensor``, ``zeros``, ``arange``, ``randn`` ... with PyTorch's dtype rules.

Python floats give float32 (the default dtype), ints int64, bools bool; NumPy arrays keep
their dtype.

    >>> import chainrule as cr
    >>> cr.tensor([1, 2]).dtype, cr.tensor([1.0]).dtype, cr.zeros(2, 3).shape
    (dtype('int64'), dtype('float32'), chainrule.Size([2, 3]))
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

from chainrule import devices as _device
from chainrule import dtypes, rng
from chainrule._array import xp
from chainrule.tensor import Tensor, _make


def _finish(array: Any, dtype: Any, requires_grad: bool) -> Tensor:
    if dtype is not None:
        array = array.astype(dtypes.as_dtype(dtype), copy=False)
    t = _make(array)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _python_dtype(array: Any) -> Any:
    """Python numbers follow PyTorch: floats are float32, ints int64."""
    if array.dtype == xp.float64:
        return dtypes.default_float
    if array.dtype.kind == "i":
        return dtypes.int64
    return array.dtype


def tensor(data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (a number, nested lists, an array or a tensor)."""
    _device.check(device)
    if isinstance(data, Tensor):
        array = data._data.copy()
    elif isinstance(data, xp.ndarray | xp.generic):
        array = xp.array(data)
    else:
        array = xp.array(_plain(data))
        if dtype is None:
            array = array.astype(_python_dtype(array), copy=False)
    if array.dtype == object:
        raise TypeError(f"tensor: could not infer a numeric dtype from {type(data).__name__}")
    return _finish(array, dtype, requires_grad)


def _plain(data: Any) -> Any:
    """Nested sequences with tensors inside become nested lists of numbers."""
    if isinstance(data, Tensor):
        return data._data.tolist()
    if isinstance(data, list | tuple):
        return [_plain(d) for d in data]
    return data


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """Like :func:`tensor`, but shares memory with a NumPy array or tensor when it can."""
    _device.check(device)
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    if isinstance(data, xp.ndarray):
        return _finish(data, dtype, False)
    return tensor(data, dtype)


def from_numpy(array: Any) -> Tensor:
    """A tensor sharing memory with a NumPy array: changes to one show in the other."""
    if not isinstance(array, xp.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    return _make(array)


def from_dlpack(obj: Any) -> Tensor:
    """Zero-copy import from any DLPack producer (a PyTorch CPU tensor, a NumPy array)."""
    return _make(xp.from_dlpack(obj))


def _size(size: tuple[Any, ...]) -> tuple[int, ...]:
    if len(size) == 1 and isinstance(size[0], Sequence | xp.ndarray):
        return tuple(int(n) for n in size[0])
    return tuple(int(n) for n in size)


def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    _device.check(device)
    return _finish(xp.zeros(_size(size), dtype or dtypes.default_float), None, requires_grad)


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    _device.check(device)
    return _finish(xp.ones(_size(size), dtype or dtypes.default_float), None, requires_grad)


def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Uninitialized in PyTorch; zeros here (reading garbage helps nobody)."""
    return zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def full(
    size: Sequence[int],
    fill_value: Any,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    _device.check(device)
    if dtype is None:
        dtype = _python_dtype(xp.asarray(fill_value))
    return _finish(xp.full(_size((size,)), fill_value, dtype), None, requires_grad)


def arange(
    start: float,
    end: float | None = None,
    step: float = 1,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Values from ``start`` up to (not including) ``end``; ints give int64, floats float32."""
    _device.check(device)
    if end is None:
        start, end = 0, start
    integral = all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end, step))
    dtype = dtype or (dtypes.int64 if integral else dtypes.default_float)
    count = builtins.max(0, int(xp.ceil((end - start) / step)))
    values = start + step * xp.arange(count, dtype=xp.float64 if not integral else xp.int64)
    return _finish(values, dtype, requires_grad)


def linspace(
    start: float,
    end: float,
    steps: int,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    _device.check(device)
    return _finish(xp.linspace(start, end, steps), dtype or dtypes.default_float, requires_grad)


def eye(
    n: int,
    m: int | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    _device.check(device)
    return _finish(xp.eye(n, m), dtype or dtypes.default_float, requires_grad)


def rand(
    *size: Any,
    generator: rng.Generator | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Uniform on [0, 1)."""
    _device.check(device)
    values = rng.generator(generator).random(_size(size))
    return _finish(values, dtype or dtypes.default_float, requires_grad)


def randn(
    *size: Any,
    generator: rng.Generator | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Standard normal."""
    _device.check(device)
    values = rng.generator(generator).standard_normal(_size(size))
    return _finish(values, dtype or dtypes.default_float, requires_grad)


def randint(
    *args: Any,
    size: Sequence[int] | None = None,
    generator: rng.Generator | None = None,
    dtype: Any = None,
    device: Any = None,
) -> Tensor:
    """``randint(high, size)`` or ``randint(low, high, size)``: integers in [low, high)."""
    _device.check(device)
    args_list = list(args)
    if size is None:
        size = args_list.pop()
    low, high = (0, args_list[0]) if len(args_list) == 1 else args_list
    values = rng.generator(generator).integers(low, high, _size((size,)))
    return _finish(values, dtype or dtypes.int64, False)


def randperm(
    n: int,
    *,
    generator: rng.Generator | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    _device.check(device)
    values = rng.generator(generator).permutation(n)
    return _finish(values, dtype or dtypes.int64, requires_grad)


# The ``*_like`` factories: ``input``'s shape, and its dtype unless told otherwise.
def zeros_like(
    input: Tensor,  # noqa: A002
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    return zeros(
        input.shape, dtype=dtype or input.dtype, device=device, requires_grad=requires_grad
    )


def ones_like(
    input: Tensor,  # noqa: A002
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    return ones(input.shape, dtype=dtype or input.dtype, device=device, requires_grad=requires_grad)


def empty_like(
    input: Tensor,  # noqa: A002
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    return zeros_like(input, dtype, device, requires_grad)


def full_like(
    input: Tensor,  # noqa: A002
    fill_value: Any,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    return full(input.shape, fill_value, dtype or input.dtype, device, requires_grad)


def rand_like(
    input: Tensor,  # noqa: A002
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    return rand(input.shape, dtype=dtype or input.dtype, device=device, requires_grad=requires_grad)


def randn_like(
    input: Tensor,  # noqa: A002
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    return randn(
        input.shape, dtype=dtype or input.dtype, device=device, requires_grad=requires_grad
    )


def randint_like(
    input: Tensor,  # noqa: A002
    *args: int,
    dtype: Any = None,
    device: Any = None,
) -> Tensor:
    """``randint_like(x, high)`` or ``randint_like(x, low, high)``, with ``x``'s shape and dtype.

    >>> import chainrule as cr
    >>> cr.randint_like(cr.zeros(2, 3), 10).shape
    chainrule.Size([2, 3])
    """
    return randint(*args, size=tuple(input.shape), dtype=dtype or input.dtype, device=device)
