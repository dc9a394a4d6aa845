"""Making tensors: ``tensor``, ``zeros``, ``arange``, ``randn`` ... with PyTorch's dtype rules.

Python floats give float32 (the default dtype), ints int64, bools bool; NumPy arrays keep
their dtype.

    >>> import chainrule as cr
    >>> cr.tensor([1, 2]).dtype, cr.tensor([1.0]).dtype, cr.zeros(2, 3).shape
    (chainrule.int64, chainrule.float32, chainrule.Size([2, 3]))
"""

from __future__ import annotations

import builtins
import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from chainrule import devices as _device
from chainrule import dtypes, grad_mode, memory_formats, rng, shell_uints
from chainrule._array import xp
from chainrule.arguments import (
    RANDOM,
    Signature,
    boolean,
    int_list,
    mistyped,
    no_overload,
    no_overload_as_written,
    number,
)
from chainrule.autodiff import batching, forward, open_transforms
from chainrule.autodiff.batching import refuse_same_randomness
from chainrule.ops.broadcast import broadcast_shape
from chainrule.ops.draws import Bernoulli, Normal, Poisson, refuse_forward_mode
from chainrule.ops.inplace import check_kernel_dtype
from chainrule.ops.shape import element_strides
from chainrule.tensor import Tensor, _make


def _finish(array: Any, dtype: Any, requires_grad: bool) -> Tensor:
    dtypes.refuse_complex(array.dtype, "tensor")  # before a cast could drop the imaginary part
    if dtype is not None:
        array = array.astype(dtypes.as_dtype(dtype), copy=False)
        dtypes.refuse_complex(array.dtype, "tensor")
    t = _make(array)
    if requires_grad:
        t._created_requiring_grad()
    return t


def _meta_tensor(shape: tuple[int, ...], dtype: Any, requires_grad: bool) -> Tensor:
    """What a factory makes on the meta device (see :mod:`chainrule.meta`): a shape and a
    dtype, without values or a draw from the random generator."""
    from chainrule import meta  # (it imports chainrule.nn, which imports this module)

    return meta.empty(shape, dtype, requires_grad)


def _refused_flag(name: str, args: tuple[Any, ...], **options: Any) -> TypeError:
    """PyTorch's error for a factory of several signatures (``eye``, ``arange``, ``rand``...)
    given a ``requires_grad`` that is no bool: none fits, so it lists the call, the options
    left at None taken as not given. (The factories of one signature name the argument:
    ``boolean``.) Callers test the flag's type first."""
    return no_overload_as_written(name, args, (), {k: (v, None) for k, v in options.items()})


def _python_dtype(array: Any) -> Any:
    """Python numbers follow PyTorch: floats are float32, ints int64."""
    if array.dtype == xp.float64:
        return dtypes.default_float
    if array.dtype.kind == "i":
        return dtypes.int64
    return array.dtype


def _numpy_scalars_dtype(numbers: Any) -> Any:
    """PyTorch's dtype of nested numbers among which are NumPy scalars, or None where there
    are none (then :func:`_python_dtype` applies): each NumPy scalar counts as its own dtype,
    each Python number as :func:`_python_dtype` has it, all promoted by PyTorch's rules
    (``[np.float64(1), 2.0]`` is float64, ``[np.int32(1), np.int32(2)]`` int32, where NumPy's
    array of them read as Python numbers gave float32 and int64).

    >>> tensor([xp.int16(1), xp.int16(2)]).dtype, tensor([xp.float64(1), 2]).dtype
    (chainrule.int16, chainrule.float64)
    """
    leaves = xp.array(numbers, dtype=object).ravel()
    if not any(isinstance(v, xp.generic) for v in leaves):
        return None
    result = None
    for value in leaves:
        kind = value.dtype if isinstance(value, xp.generic) else _python_dtype(xp.asarray(value))
        if kind.kind not in "biuf":
            return None  # complex: refused further on, whatever its width
        result = kind if result is None else dtypes.torch_promote_types(result, kind)
    return result


def tensor(data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (a number, nested lists, an array or a tensor)."""
    if type(requires_grad) is not bool:  # (1 was read by its truth; tensor() refuses None too)
        boolean(requires_grad, "tensor", "requires_grad", None)
    if _device.on_meta(device):  # the shape and dtype that the values give
        made = tensor(data, dtype, "cpu", requires_grad)
        return _meta_tensor(tuple(made.shape), made.dtype, requires_grad)
    if isinstance(data, Tensor):
        warnings.warn(
            "To copy construct from a tensor, it is recommended to use "
            "sourceTensor.detach().clone() or sourceTensor.detach().clone().requires_grad_(True), "
            "rather than chainrule.tensor(sourceTensor).",
            UserWarning,
            stacklevel=2,
        )
        array = data._data.copy()
    elif isinstance(data, xp.ndarray | xp.generic):
        if isinstance(data, xp.str_ | xp.bytes_):
            raise TypeError(f"new(): invalid data type 'numpy.{type(data).__name__}'")
        _check_numpy(xp.asarray(data))  # a date, a record: PyTorch's words for their arrays
        array = xp.array(data)
    else:
        plain = _plain(data)
        try:
            array = xp.array(plain)
        except ValueError:  # ragged: NumPy's words would not say where
            _refuse_not_numbers(plain)
            raise
        if array.dtype.kind in "USO":
            _refuse_not_numbers(plain)
        if array.dtype.kind in "ufO":  # where NumPy may have read an int past int64's range
            _refuse_long_overflow(plain, array, dtype)
        if dtype is None:
            array = array.astype(_numpy_scalars_dtype(plain) or _python_dtype(array), copy=False)
        elif array.dtype.kind in "if" and dtypes.as_dtype(dtype) == xp.uint64:
            array = _as_uint64(plain, array)
        elif array.dtype != object:
            _refuse_overflow(array, dtypes.as_dtype(dtype))
    if array.dtype == object:
        raise TypeError(f"tensor: could not infer a numeric dtype from {type(data).__name__}")
    return _finish(array, dtype, requires_grad)


_LONG = 2**63  # past int64's range: PyTorch cannot unpack the int as a C long long


def _refuse_long_overflow(numbers: Any, array: Any, dtype: Any) -> None:
    """PyTorch's refusal of a Python int past int64's range (among ``numbers``, nested lists,
    which NumPy read as ``array``) for a tensor of integers: inferred (no float among them)
    or of an integer ``dtype`` other than uint64. NumPy had given uint64, floats that lose
    the int's low bits, or objects. Costs a walk of the numbers only where one is that large.

    >>> tensor([2**63, 1])
    Traceback (most recent call last):
    ValueError: Overflow when unpacking long long
    """
    if dtype is not None:
        target = dtypes.as_dtype(dtype)
        if target.kind not in "iu" or target == xp.uint64:
            return
    if array.dtype.kind in "uf" and not (array.size and xp.abs(array).max() >= _LONG):
        return
    flat = xp.array(numbers, dtype=object).ravel()
    if not builtins.any(type(n) is builtins.int and not -_LONG <= n < _LONG for n in flat):
        return
    inexact = (builtins.float, complex, xp.inexact)
    if dtype is not None or not builtins.any(isinstance(n, inexact) for n in flat):
        raise ValueError("Overflow when unpacking long long")


def _as_uint64(numbers: Any, array: Any) -> Any:
    """Python ints (``numbers``, nested lists) for a uint64 tensor, as PyTorch reads them:
    exact past int64's range (NumPy infers float64 for them beside smaller ones, ``array``,
    which loses their low bits), and refused when negative, as PyTorch's conversion to an
    unsigned int refuses them. Numbers that are not all ints keep ``array``.

    >>> tensor([3, 2**64 - 1], dtype=dtypes.uint64)
    tensor([                   3, 18446744073709551615], dtype=chainrule.uint64)
    """
    flat = xp.array(numbers, dtype=object).ravel()
    if not all(type(n) is builtins.int for n in flat):
        return array
    if flat.size and min(flat) < 0:
        raise OverflowError("can't convert negative int to unsigned")
    return xp.array(numbers, dtype=xp.uint64)


def _refuse_overflow(numbers: Any, dtype: Any) -> None:
    """PyTorch's refusal of Python numbers that an integer ``dtype`` cannot hold, which
    NumPy's cast would wrap round (``tensor([300], dtype=uint8)``): a float outside its
    range or not finite; an int outside it, an unsigned type also taking negative ones down
    to minus its largest (-1 is 255, as in C).

    >>> tensor([-1, 255], dtype=dtypes.uint8)
    tensor([255, 255], dtype=chainrule.uint8)
    """
    if dtype.kind not in "iu" or not numbers.size or numbers.dtype.kind not in "iuf":
        return
    info = xp.iinfo(dtype)
    if numbers.dtype.kind == "f":
        fits = (
            xp.isfinite(numbers).all() and info.min <= numbers.min() and numbers.max() <= info.max
        )
    else:
        fits = (
            (-info.max if dtype.kind == "u" else info.min)
            <= numbers.min()
            <= numbers.max()
            <= info.max
        )
    if not fits:
        raise RuntimeError(f"value cannot be converted to type {dtype.name} without overflow")


def _refuse_not_numbers(data: Any) -> None:
    """PyTorch's refusals of nested data that is not a grid of numbers: a string, None or
    another object where a number should be, a number where a list should be, or a list of
    another length than the first one at its depth (the shape is read off the first ones)."""
    if isinstance(data, str):
        raise TypeError("new(): invalid data type 'str'")
    shape, first = [], data
    while isinstance(first, (list, tuple)):
        shape.append(len(first))
        if not first:
            break
        first = first[0]
    if shape and isinstance(first, str):
        raise ValueError("too many dimensions 'str'")

    def walk(value: Any, depth: int) -> None:
        if depth == len(shape):
            if isinstance(value, str):
                raise TypeError("new(): invalid data type 'str'")
            numbers = (builtins.bool, builtins.int, builtins.float, complex, xp.generic)
            if not isinstance(value, numbers):
                raise RuntimeError(f"Could not infer dtype of {type(value).__name__}")
            return
        if not isinstance(value, (list, tuple)):
            raise TypeError("not a sequence")
        if len(value) != shape[depth]:
            raise ValueError(
                f"expected sequence of length {shape[depth]} at dim {depth} (got {len(value)})"
            )
        for item in value:
            walk(item, depth + 1)

    walk(data, 0)


def _plain(data: Any) -> Any:
    """Nested sequences with tensors inside become nested lists of numbers."""
    if isinstance(data, Tensor):
        return data._data.tolist()
    if isinstance(data, list | tuple):
        return [_plain(d) for d in data]
    return data


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """Like :func:`tensor`, but shares memory with a NumPy array or tensor when it can."""
    if _device.on_meta(device):
        made = as_tensor(data, dtype, "cpu")
        return _meta_tensor(tuple(made.shape), made.dtype, False)
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    if isinstance(data, xp.ndarray):
        _check_numpy(data)
        return _finish(data, dtype, False)
    return tensor(data, dtype)


def from_numpy(array: Any) -> Tensor:
    """A tensor sharing memory with a NumPy array: changes to one show in the other."""
    if not isinstance(array, xp.ndarray):
        kind = type(array)
        name = f"numpy.{kind.__name__}" if kind.__module__ == "numpy" else kind.__name__
        raise TypeError(f"expected np.ndarray (got {name})")
    _check_numpy(array)
    dtypes.refuse_complex(array.dtype, "from_numpy")
    return _make(array)


def _check_numpy(array: Any) -> None:
    """PyTorch's refusal of a NumPy array of another kind than numbers and bools (strings,
    objects, dates, records). (An array with a negative stride, which PyTorch refuses too, is
    taken: chainrule's ops handle NumPy's strides, and its layout tests feed such arrays.)"""
    if array.dtype.kind not in "biufc":
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{array.dtype.type.__name__}. The only "
            "supported types are: float64, float32, float16, complex64, complex128, int64, "
            "int32, int16, int8, uint64, uint32, uint16, uint8, and bool."
        )


def from_dlpack(obj: Any) -> Tensor:
    """Zero-copy import from any DLPack producer (a PyTorch CPU tensor, a NumPy array)."""
    array = xp.from_dlpack(obj)
    dtypes.refuse_complex(array.dtype, "from_dlpack")
    return _make(array)


def size_argument(
    size: tuple[Any, ...], name: str, varargs: bool = True, overloads: tuple[Signature, ...] = ()
) -> tuple[int, ...]:
    """The shape a factory ``name`` is given, checked as PyTorch checks it: ``zeros(2, 3)``,
    ``zeros((2, 3))``; no floats, no negative sizes."""
    shape = int_list(size, name, "size", varargs=varargs, overloads=overloads)
    for n in shape:
        if n < 0:
            if name == "zeros":  # PyTorch's zeros has words of its own
                raise RuntimeError("zeros: Dimension size must be non-negative.")
            raise RuntimeError(
                f"Trying to create tensor with negative dimension {n}: {list(shape)}"
            )
    return shape


def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    if type(requires_grad) is not bool and requires_grad is not None:  # (1: by its truth)
        boolean(requires_grad, "zeros", "requires_grad", None)
    return _filled(xp.zeros, size_argument(size, "zeros"), dtype, device, requires_grad)


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    if type(requires_grad) is not bool and requires_grad is not None:  # (1: by its truth)
        boolean(requires_grad, "ones", "requires_grad", None)
    return _filled(xp.ones, size_argument(size, "ones"), dtype, device, requires_grad)


def _filled(
    make: Any, shape: tuple[int, ...], dtype: Any, device: Any, requires_grad: bool
) -> Tensor:
    """``make(shape, dtype)`` (``numpy.zeros`` or ``numpy.ones``), float32 by default."""
    if _device.on_meta(device):
        return _meta_tensor(shape, dtype or dtypes.default_float, requires_grad)
    return _finish(make(shape, dtype or dtypes.default_float), None, requires_grad)


def empty(
    *size: Any,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    memory_format: Any = None,
) -> Tensor:
    """Uninitialized in PyTorch; zeros here (reading garbage helps nobody). Laid out in
    ``memory_format`` (row-major by default, see :mod:`chainrule.memory_formats`)."""
    if type(requires_grad) is not bool and requires_grad is not None:  # (1: by its truth)
        boolean(requires_grad, "empty", "requires_grad", None)
    shape = size_argument(size, "empty")
    made = _filled(xp.zeros, shape, dtype, device, requires_grad)
    if memory_format is None or made.is_meta:  # (a meta tensor has no layout to lay out)
        return made
    layout = memory_formats.checked(memory_format, "empty")
    if layout is memory_formats.preserve_format:
        raise RuntimeError("unsupported memory format Preserve")
    memory_formats.check_rank(layout, len(shape))
    if layout is not memory_formats.contiguous_format:
        strides = memory_formats.strides_of(shape, layout)
        made._data = memory_formats.laid_out(made._data.ravel(), shape, strides)
    return made


def full(
    size: Sequence[int],
    fill_value: Any,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    if type(requires_grad) is not bool and requires_grad is not None:  # (1: by its truth)
        boolean(requires_grad, "full", "requires_grad", None)
    on_meta = _device.on_meta(device)
    # a number, or a 0-d tensor read as one: a tensor of values was broadcast silently
    fill_value = number(fill_value, "full", "fill_value")
    if dtype is None:
        dtype = _python_dtype(xp.asarray(fill_value))
    shape = size_argument((size,), "full", varargs=False)
    fill_value = dtypes.checked_scalar(fill_value, xp.dtype(dtype))  # 300 overflows a uint8
    if on_meta:
        return _meta_tensor(shape, dtype, requires_grad)
    return _finish(xp.full(shape, fill_value, dtype), None, requires_grad)


def arange(
    start: float,
    end: float | None = None,
    step: float = 1,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Values from ``start`` up to (not including) ``end``; ints give int64, floats float32.

    As PyTorch's kernel: an integer dtype truncates ``start`` and ``step`` to integers first
    (its length still comes from the numbers as given, but for int64), and half precision
    steps in float32.

    >>> arange(0, 4, 1.5, dtype=dtypes.int32)
    tensor([0, 1, 2], dtype=chainrule.int32)
    """
    if type(requires_grad) is not bool and requires_grad is not None:
        given = (start,) if end is None else (start, end) if step == 1 else (start, end, step)
        raise _refused_flag(
            "arange", given, dtype=dtype, device=device, requires_grad=requires_grad
        )
    on_meta = _device.on_meta(device)
    if end is None:
        start, end = 0, start
    start, end, step = (v.item() if isinstance(v, Tensor) else v for v in (start, end, step))
    integral = all(isinstance(v, int) for v in (start, end, step))  # bools too, as PyTorch
    target = dtypes.as_dtype(dtype or (dtypes.int64 if integral else dtypes.default_float))
    for bound in (start, end):
        if not math.isfinite(bound):
            raise RuntimeError(f"unsupported range: {start} -> {end}")
    if target.kind == "b":
        raise dtypes.not_implemented_for("arange_cpu", target)
    shell_uints.check_function("arange", target)
    if not step:
        raise RuntimeError("step must be nonzero")
    if (step > 0 and end < start) or (step < 0 and end > start):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if target == dtypes.int64 and int(step) == 0:
        raise ValueError("step must be nonzero")
    if target.kind in "iu":  # PyTorch's accumulator is int64: the numbers truncated
        first, stride = int(start), int(step)
        if target == dtypes.int64:
            span = int(end) - first + stride - (1 if stride > 0 else -1)
            count = builtins.abs(span) // builtins.abs(stride)  # C's division: toward zero
        else:
            count = math.ceil((end - start) / step)
    else:
        count = builtins.max(0, math.ceil((end - start) / step))
    if on_meta:
        return _meta_tensor((count,), target, requires_grad)
    if target.kind in "iu":
        values = first + stride * xp.arange(count, dtype=xp.int64)
    else:
        exact = xp.float32 if target.itemsize <= 2 else xp.float64  # PyTorch's accumulator
        values = exact(start) + exact(step) * xp.arange(count, dtype=exact)
    return _finish(values, target, requires_grad)


def linspace(
    start: float,
    end: float,
    steps: int,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end``, as PyTorch's kernel places
    them: the first half stepped up from ``start``, the rest down from ``end`` (NumPy's all
    from ``start`` ends an ulp off PyTorch's), computed in the dtype (integers: in float64,
    then truncated).

    >>> linspace(0, 10, 5, dtype=dtypes.int64)
    tensor([ 0,  2,  5,  7, 10])
    """
    if type(requires_grad) is not bool and requires_grad is not None:
        given = (start, end, steps)
        raise _refused_flag(
            "linspace", given, dtype=dtype, device=device, requires_grad=requires_grad
        )
    _check_scalar_bounds("linspace", start, end)
    on_meta = _device.on_meta(device)
    target = dtypes.as_dtype(dtype or dtypes.default_float)
    shell_uints.check_function("linspace", target)
    if on_meta:
        return _meta_tensor(_checked_steps(steps), target, requires_grad)
    return _finish(_spaced(start, end, steps, target), target, requires_grad)


def logspace(
    start: float,
    end: float,
    steps: int,
    base: float = 10.0,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """``base`` to the powers :func:`linspace` places from ``start`` to ``end``.

    >>> logspace(0, 3, 4)
    tensor([   1.,   10.,  100., 1000.])
    """
    if type(requires_grad) is not bool and requires_grad is not None:
        given = (start, end, steps) if base == 10.0 else (start, end, steps, base)
        raise _refused_flag(
            "logspace", given, dtype=dtype, device=device, requires_grad=requires_grad
        )
    _check_scalar_bounds("logspace", start, end)
    on_meta = _device.on_meta(device)
    target = dtypes.as_dtype(dtype or dtypes.default_float)
    shell_uints.check_function("logspace", target)
    if on_meta:
        return _meta_tensor(_checked_steps(steps), target, requires_grad)
    if steps == 1:  # PyTorch's one value: base ** start in float64, start not cut to an int
        return _finish(xp.full(1, float(base) ** float(start)), target, requires_grad)
    exponents = _spaced(start, end, steps, target, fused=False)
    return _finish(exponents.dtype.type(base) ** exponents, target, requires_grad)


def _check_scalar_bounds(name: str, start: Any, end: Any) -> None:
    """PyTorch's refusal of a ``start`` or ``end`` tensor with dimensions (an empty one was
    read as no bound, a (2, 3) one gave a grid)."""
    ranks = [
        f"{which} with {bound.ndim} dimension(s)"
        for which, bound in (("start", start), ("end", end))
        if isinstance(bound, Tensor) and bound.ndim
    ]
    if ranks:
        raise RuntimeError(
            f"{name} only supports 0-dimensional start and end tensors, but got "
            f"{' and '.join(ranks)}."
        )


def _checked_steps(steps: int) -> tuple[int]:
    """The shape of ``steps`` values, with PyTorch's refusal of fewer than none."""
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    return (steps,)


def _spaced(start: float, end: float, steps: int, dtype: Any, fused: bool = True) -> Any:
    """PyTorch's linspace values, in ``dtype`` if it is a float one, else in float64; with
    ``fused`` False rounded at each step, as its logspace kernel's exponents are."""
    _checked_steps(steps)
    compute = dtype if dtype.kind == "f" else xp.dtype("float64")
    if not steps:  # PyTorch converts no bound then
        return xp.empty(0, dtype=compute)
    start, end = (dtypes.checked_scalar(v, dtype) for v in (start, end))  # refused, not wrapped
    first, last = compute.type(dtype.type(start)), compute.type(dtype.type(end))  # ints cut
    if steps <= 1:
        return xp.full(steps, first, dtype=compute)
    step = (last - first) / compute.type(steps - 1)
    if compute == xp.float16 or not fused:  # (as PyTorch's Half kernel)
        index = xp.arange(steps, dtype=compute)
        lower, upper = first + step * index, last - step * (compute.type(steps - 1) - index)
        return xp.where(index < steps // 2, lower, upper)
    # start + step * i, and end - step * (steps - 1 - i) from the middle on, each an FMA in
    # ATen's compiled kernel: rounded once (a float32 product is exact in float64, and its sum
    # rounds to float64 then float32 as the FMA's once; without it 16% of float32 values and
    # a fifth of float64's were an ulp off)
    index = xp.arange(steps, dtype=xp.float64)
    up, down = index[: steps // 2], index[steps // 2 :] - (steps - 1)
    step, first, last = float(step), float(first), float(last)
    if compute == xp.float32:
        return xp.concatenate([up * step + first, down * step + last]).astype(compute)
    return xp.concatenate([rng.fma(up, step, first), rng.fma(down, step, last)])


def eye(
    n: int,
    m: int | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    if type(requires_grad) is not bool and requires_grad is not None:
        given = (n,) if m is None else (n, m)
        raise _refused_flag("eye", given, dtype=dtype, device=device, requires_grad=requires_grad)
    on_meta = _device.on_meta(device)
    for name, size in (("n", n), ("m", m)):
        if size is not None and size < 0:
            raise RuntimeError(f"{name} must be greater or equal to 0, got {size}")
    shell_uints.check_function("eye", dtype)
    if on_meta:
        return _meta_tensor(
            (n, n if m is None else m), dtype or dtypes.default_float, requires_grad
        )
    return _finish(xp.eye(n, m), dtype or dtypes.default_float, requires_grad)


def rand(
    *size: Any,
    generator: rng.Generator | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Uniform on [0, 1)."""
    if type(requires_grad) is not bool and requires_grad is not None:
        raise _refused_flag(
            "rand",
            size,
            generator=generator,
            dtype=dtype,
            device=device,
            requires_grad=requires_grad,
        )
    shape = size_argument(size, "rand", overloads=RANDOM)
    _refuse_integers(dtype, "check_uniform_bounds")
    return _random(rng.uniform, shape, generator, dtype, device, requires_grad)


def randn(
    *size: Any,
    generator: rng.Generator | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Standard normal."""
    if type(requires_grad) is not bool and requires_grad is not None:
        raise _refused_flag(
            "randn",
            size,
            generator=generator,
            dtype=dtype,
            device=device,
            requires_grad=requires_grad,
        )
    shape = size_argument(size, "randn", overloads=RANDOM)
    _refuse_integers(dtype, "normal_kernel_cpu")
    return _random(rng.normal, shape, generator, dtype, device, requires_grad)


def _refuse_integers(dtype: Any, kernel: str) -> None:
    """PyTorch's refusal of uniform or normal draws of integers or bools (NumPy's cast would
    truncate the floats drawn): the random kernels' own check."""
    if dtype is not None:
        check_kernel_dtype(dtypes.as_dtype(dtype), kernel, True)


def _random(
    draw: Any,
    shape: tuple[int, ...],
    generator: rng.Generator | None,
    dtype: Any,
    device: Any,
    requires_grad: bool,
) -> Tensor:
    """``draw(shape, dtype, g=generator)`` (``rng.uniform`` or ``rng.normal``), float32 by
    default."""
    dtype = dtype or dtypes.default_float
    if _device.on_meta(device):
        return _meta_tensor(shape, dtype, requires_grad)
    return _drawn(lambda s: draw(s, dtype, g=generator), shape, requires_grad)


def _drawn(draw: Any, shape: tuple[int, ...], requires_grad: bool, dtype: Any = None) -> Tensor:
    """A tensor of ``draw(shape)``: inside ``vmap(randomness="different")`` one per example."""
    values = rng.per_example(draw, shape)
    if not isinstance(values, Tensor):
        return _finish(values, dtype, requires_grad)
    if dtype is not None:
        values = values.to(dtype)
    if requires_grad:
        # As in torch.func: the draw says it requires grad, but its examples are no leaf that
        # gradients could be stored in, so what is computed from it records nothing.
        values.requires_grad = True
    return values


def randint(
    *args: Any,
    low: int | None = None,
    high: int | None = None,
    size: Sequence[int] | None = None,
    generator: rng.Generator | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """``randint(high, size)`` or ``randint(low, high, size)``: integers in [low, high); with
    ``requires_grad``, a float ``dtype`` only (PyTorch's refusal for an integer one)."""
    on_meta = _device.on_meta(device)
    named = {k: v for k, v in (("low", low), ("high", high), ("size", size)) if v is not None}
    args_list = list(args)
    if size is None:
        size = args_list.pop()
    bounds = [*args_list, *(v for k, v in named.items() if k != "size")]
    low, high = _integer_bounds("randint", bounds, args, named)
    # ATen's randint is random_(low, high) on the new tensor: its checks, and for a float
    # dtype the bounds moved to values it holds.
    bounds = rng.random_range(dtypes.as_dtype(dtype or dtypes.int64), low, high)
    if on_meta:
        shape = size_argument((size,), "randint", varargs=False)
        return _meta_tensor(shape, dtype or dtypes.int64, requires_grad)
    draw = lambda s: rng.integers(*bounds, s, g=generator)  # noqa: E731
    return _drawn(
        draw, size_argument((size,), "randint", varargs=False), requires_grad, dtype or dtypes.int64
    )


def _integer_bounds(
    name: str, bounds: list[Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[Any, Any]:
    """``(low, high)`` of ``randint``'s or ``randint_like``'s ``bounds`` (``[high]`` or
    ``[low, high]``), each an integer, with PyTorch's TypeError where one is not (a float would
    give numbers outside the range, a bool is no int to PyTorch); ``args`` and ``kwargs`` are
    the call's, which the error lists."""
    if all(type(b) is int or _is_integer_value(b) for b in bounds):
        values = [int(b) for b in bounds]
        return (0, values[0]) if len(values) == 1 else (values[0], values[1])
    if len(bounds) == 1 and name == "randint":  # by keyword: PyTorch names no position
        raise mistyped(name, "high", 1 if args else None, "int", bounds[0])
    raise no_overload(name, args, kwargs)


def _is_integer_value(value: Any) -> bool:
    """A NumPy integer or an integer tensor of no dimensions (PyTorch's SymInt arguments)."""
    if isinstance(value, Tensor):
        return value.ndim == 0 and value.dtype.kind in "iu"
    return isinstance(value, xp.integer)


def randperm(
    n: int,
    *,
    generator: rng.Generator | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    if type(requires_grad) is not bool and requires_grad is not None:
        raise _refused_flag(
            "randperm",
            (n,),
            generator=generator,
            dtype=dtype,
            device=device,
            requires_grad=requires_grad,
        )
    on_meta = _device.on_meta(device)
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    shell_uints.check_function("randperm", dtype)
    _check_randperm_size(n, dtypes.as_dtype(dtype or dtypes.int64))
    if on_meta:
        return _meta_tensor((n,), dtype or dtypes.int64, requires_grad)

    def draw(shape: tuple[int, ...]) -> Any:
        if len(shape) == 1:
            return rng.permutation(n, g=generator)
        rows = [rng.permutation(n, g=generator) for _ in range(math.prod(shape[:-1]))]
        return xp.stack(rows).reshape(shape)  # inside vmap: a permutation per example

    return _drawn(draw, (n,), requires_grad, dtype or dtypes.int64)


# The largest n whose permutation a float dtype holds exactly, as PyTorch words it.
_RANDPERM_FLOAT_LIMITS = {"float16": "2049", "float32": "2^24+1", "float64": "2^53+1"}


def _check_randperm_size(n: int, dtype: Any) -> None:
    """PyTorch's refusals of a ``randperm(n)`` whose values ``dtype`` cannot hold (NumPy's
    cast would wrap 200 round into an int8's -56): ``n - 1`` past an integer dtype, ``n`` past
    the integers a float holds exactly, and bool (no kernel)."""
    dtypes.checked_scalar(max(n - 1, 0), dtype)
    if dtype.kind == "f" and n > int(2 ** (xp.finfo(dtype).nmant + 1)) + 1:
        name = dtypes.scalar_type_name(dtype)
        limit = _RANDPERM_FLOAT_LIMITS[dtype.name]
        raise RuntimeError(f"n cannot be greater than {limit} for {name} type.")
    check_kernel_dtype(dtype, "randperm", floating=False)


def normal(
    mean: Tensor | float,
    std: Tensor | float = 1.0,
    size: Sequence[int] | None = None,
    *,
    generator: rng.Generator | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Normal values with means ``mean`` and standard deviations ``std``: tensors broadcast
    together, or two numbers and a ``size``. PyTorch's draws and arithmetic: standard normals
    times ``std`` plus ``mean`` (a tensor ``mean`` with a number ``std``: draws of that std plus
    ``mean``). The draw is a constant of the graph: a :class:`chainrule.ops.draws.Normal` node
    passes zero gradients back, as PyTorch's ``NormalBackward`` nodes do.

    >>> import chainrule as cr
    >>> _ = cr.manual_seed(0)
    >>> cr.normal(cr.tensor([0.0, 10.0]), 0.5)  # PyTorch's draw
    tensor([0.7705, 9.8533])
    """
    # Not the default device of ``with device(...)``, which PyTorch's normal does not take
    on_meta = device is not None and _device.on_meta(device)
    tensors = [x for x in (mean, std) if isinstance(x, Tensor)]
    if open_transforms.here.vmap:  # torch.func's refusals, before the arguments' own
        batching.check_randomness(per_example=True)
        for x in tensors:
            refuse_same_randomness(x)
    if isinstance(std, Tensor):
        if not (batching.physical(std) >= 0).all():  # nan too
            raise RuntimeError("normal expects all elements of std >= 0.0")
    elif not std >= 0:  # nan too: a nan std gives nan draws
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
    if not tensors:
        if size is None:
            raise TypeError("normal(): with a number mean and std, give the size as well")
        dtype = dtype or dtypes.default_float
        shape = size_argument((size,), "normal", varargs=False)
        if on_meta:
            return _meta_tensor(shape, dtype, requires_grad)
        draw = lambda s: rng.normal(s, dtype, mean, std, g=generator)  # noqa: E731
        return _drawn(draw, shape, requires_grad)
    # Tensor arithmetic on the draw, so that inside vmap each example combines its own draw
    # with its own means and stds; recording nothing: the node made of it is the draw's.
    with grad_mode.no_grad():
        if not isinstance(std, Tensor):  # ATen: normal_(0, std) then add_(mean)
            kind = mean.dtype
            draw = _drawn(lambda s: rng.normal(s, kind, 0.0, std, g=generator), mean.shape, False)
            values = draw + mean
        else:
            kind = mean.dtype if isinstance(mean, Tensor) else std.dtype
            shape = broadcast_shape(tuple(getattr(mean, "shape", ())), tuple(std.shape))
            values = _drawn(lambda s: rng.normal(s, kind, g=generator), shape, False) * std
            values = (values + mean).to(kind)  # ATen: normal_(0, 1).mul_(std).add_(mean)
    # PyTorch's overloads: 1 for a tensor mean only, 2 for a tensor std only, 3 for both.
    overload = 3 if len(tensors) == 2 else 1 if isinstance(mean, Tensor) else 2
    return _drawn_node(Normal(overload), tensors, values)


def _drawn_node(node: Any, parameters: list[Tensor], values: Tensor) -> Tensor:
    """``values``, drawn from ``parameters``, as the output of the draw's graph ``node``
    (zero derivatives; see :mod:`chainrule.ops.draws`) where the node has a use: a parameter
    that requires grad, or tangents riding along, which the values' arithmetic must not pass
    on. Otherwise the values themselves (one op less for a draw under vmap)."""
    recording = grad_mode.modes.enabled and any(p.requires_grad for p in parameters)
    if open_transforms.here.dual or recording:
        return node(*parameters, values)
    return values


def bernoulli(
    input: Tensor,  # noqa: A002
    p: float | None = None,
    *,
    generator: rng.Generator | None = None,
) -> Tensor:
    """0s and 1s drawn with probabilities ``input`` (or ``p`` for every element), in
    ``input``'s dtype; PyTorch's draws: a uniform of the probabilities' precision each,
    a float64 one for a Python ``p``."""
    shell_uints.check_function("bernoulli" if p is None else "bernoulli_p", input.dtype)
    if p is not None:
        rng.bernoulli_probability(p)
    else:
        rng.bernoulli_probabilities(batching.physical(input))
    node = Bernoulli(number_p=p is not None)
    if p is not None and forward.carries_tangent(batching.unwrap(input)[0]):
        refuse_forward_mode()  # as PyTorch: before vmap's randomness checks, which it precedes
    if p is None and not open_transforms.here.vmap:
        drawn = rng.bernoulli(input._data, g=generator).astype(input.dtype)
        return _drawn_node(node, [input], _make(xp.asarray(drawn)))  # 0-d: an array too
    refuse_same_randomness(input)
    precision = xp.float64 if p is not None or input.dtype == dtypes.float64 else xp.float32
    drawn = _drawn(lambda s: rng.uniform(s, precision, g=generator), input.shape, False)
    with grad_mode.no_grad():
        values = (drawn < (input if p is None else p)).to(input.dtype)
    return _drawn_node(node, [input], values)


def poisson(input: Tensor, generator: rng.Generator | None = None) -> Tensor:  # noqa: A002
    """Poisson counts with rates ``input``, in its (floating) dtype: PyTorch's draws, one rate
    after another (:func:`chainrule.rng.poisson`); inside ``vmap(randomness="different")``
    each example draws its own. The counts are constants of the graph.

    >>> import chainrule as cr
    >>> _ = cr.manual_seed(0)
    >>> cr.poisson(cr.tensor([0.5, 4.0, 30.0]))  # PyTorch's draw
    tensor([ 2.,  5., 26.])
    """
    refuse_same_randomness(input)
    check_kernel_dtype(batching.physical(input).dtype, "poisson_cpu", floating=True)
    if not open_transforms.here.vmap:
        counts = rng.poisson(input._data, g=generator).astype(input.dtype)
        return _drawn_node(Poisson(), [input], _make(xp.asarray(counts)))  # 0-d: an array too
    counts = rng.per_example(
        lambda s: rng.poisson(_weights_for(input, s), g=generator), tuple(input.shape)
    )
    counts = (counts if isinstance(counts, Tensor) else _make(counts)).to(input.dtype)
    return _drawn_node(Poisson(), [input], counts)


def multinomial(
    input: Tensor,  # noqa: A002
    num_samples: int,
    replacement: bool = False,
    *,
    generator: rng.Generator | None = None,
) -> Tensor:
    """Indices drawn from the rows of ``input`` as (unnormalized) category weights.

    Without replacement (and for one sample) PyTorch's exponential trick: the largest
    ``weight / Exp(1)``; with replacement a binary search of a uniform double in the
    cumulative weights. Both draw PyTorch's numbers.

    >>> import chainrule as cr
    >>> _ = cr.manual_seed(3)
    >>> cr.multinomial(cr.tensor([0.5, 0.0, 0.5]), 6, replacement=True)  # PyTorch's draw
    tensor([0, 0, 2, 0, 2, 2])
    """
    if type(replacement) is not bool:  # (1 was read by its truth)
        boolean(replacement, "multinomial", "replacement", None)
    if input.ndim not in (1, 2):
        raise RuntimeError(f"multinomial: prob_dist must be 1 or 2 dim, got {input.ndim}")
    if num_samples <= 0:  # (so also a Categorical's sample of no draws, as PyTorch's)
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    refuse_same_randomness(input)
    if open_transforms.here.vmap:  # under vmap(randomness="different"): each example's own draws
        picks = rng.per_example(
            lambda s: _multinomial(_weights_for(input, s), num_samples, replacement, generator),
            tuple(input.shape),
        )
        return picks if isinstance(picks, Tensor) else _make(picks)
    return _make(_multinomial(input._data, num_samples, replacement, generator))


def _weights_for(input: Tensor, shape: tuple[int, ...]) -> Any:  # noqa: A002
    """The values (weights, rates) of every example of ``input``, broadcast to the ``shape``
    of a per-example draw (one leading dimension per 'different' level, outermost first)."""
    value, have = batching.unwrap(input)
    lead = [level.size if level in have else 1 for level in batching.different_levels()]
    return xp.broadcast_to(value._data.reshape(*lead, *input.shape), shape)


def _multinomial(
    weights: Any, num_samples: int, replacement: bool, generator: rng.Generator | None
) -> Any:
    """Draws from the last dimension of ``weights``, any leading dimensions being rows."""
    # (the row count spelt out: -1 is ambiguous for no categories, which _check_weights refuses)
    rows = weights.reshape(math.prod(weights.shape[:-1]), weights.shape[-1])
    _check_weights(rows, num_samples, replacement)
    if not replacement or num_samples == 1:
        # PyTorch divides by noise drawn into empty_like(weights): in their memory order
        noise = rng.in_memory_order(
            lambda shape: rng.exponential(shape, g=generator),
            weights.shape,
            element_strides(weights),
        )
        keys = rows / noise.reshape(rows.shape).astype(rows.dtype)
        picks = xp.argsort(-keys, axis=1, kind="stable")[:, :num_samples]
    else:
        picks = xp.stack([_with_replacement(row, num_samples, generator) for row in rows])
    return picks.astype(xp.int64).reshape(*weights.shape[:-1], num_samples)


def _check_weights(rows: Any, num_samples: int, replacement: bool) -> None:
    """PyTorch's refusals of multinomial's weights (``rows``), in its order and words: too
    many samples without replacement first; then those of its path without replacement (or
    of one sample), or else those of its kernel with replacement, which checks each row's
    weights in turn and then the row's sum."""
    if not replacement and num_samples > rows.shape[1]:
        raise RuntimeError(
            "cannot sample n_sample > prob_dist.size(-1) samples without replacement"
        )
    zero = "invalid multinomial distribution (sum of probabilities <= 0)"
    if not replacement or num_samples == 1:
        if not ((rows >= 0) & (rows < math.inf)).all():  # (nan fails both)
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
        if (rows.sum(axis=1) == 0).any():
            raise RuntimeError(zero)
        return
    if ((rows >= 0) & xp.isfinite(rows)).all() and (rows.sum(axis=1) > 0).all():
        return
    for row in rows:
        for weight in row.tolist():
            if not weight >= 0:
                raise RuntimeError(
                    "invalid multinomial distribution (encountering probability entry < 0)"
                )
            if not math.isfinite(weight):
                raise RuntimeError(
                    "invalid multinomial distribution (encountering probability entry = "
                    "infinity or NaN)"
                )
        if not row.sum() > 0:
            raise RuntimeError(zero)


def _with_replacement(row: Any, num_samples: int, generator: rng.Generator | None) -> Any:
    cumulative = xp.cumsum(row, dtype=row.dtype)  # ATen sums in the weights' dtype, in order
    cumulative = cumulative / cumulative[-1]
    cumulative[-1] = 1
    uniforms = rng.uniform((num_samples,), xp.float64, g=generator)
    # The first slot whose cumulative weight is not below the draw.
    return xp.searchsorted(cumulative.astype(xp.float64), uniforms, side="left")


def _like(make: Callable[..., Tensor]) -> Callable[..., Tensor]:
    """``make``'s ``*_like`` factory: ``input``'s shape, its dtype unless told otherwise, and
    its layout unless told otherwise (``memory_format``, see :func:`_laid_out_like`)."""
    name = f"{make.__name__}_like"
    drawn = make in (rand, randn)

    def like(
        input: Tensor,  # noqa: A002
        dtype: Any = None,
        device: Any = None,
        requires_grad: bool = False,
        memory_format: Any = None,
    ) -> Tensor:
        if type(requires_grad) is not bool and requires_grad is not None:
            if drawn:  # rand_like, randn_like: several signatures, none fits
                options = {"dtype": dtype, "device": device, "memory_format": memory_format}
                raise _refused_flag(name, (input,), **options, requires_grad=requires_grad)
            boolean(requires_grad, name, "requires_grad", None)
        where = input.device if device is None else device  # not a ``with device()``'s

        def made(shape: tuple[int, ...], laid_out: bool) -> Tensor:
            # PyTorch's normal kernel fills a tensor that is not row-major one value at a time
            # (no blocks of 16), in memory order.
            maker = _serial_randn if make is randn and laid_out else make
            dtype_made = dtype or input.dtype
            return maker(shape, dtype=dtype_made, device=where, requires_grad=requires_grad)

        return _laid_out_like(input, memory_format, name, made, drawn=drawn)

    like.__name__ = like.__qualname__ = name
    like.__doc__ = f"``{make.__name__}`` shaped, typed and laid out like ``input`` by default."
    return like


def _serial_randn(shape: tuple[int, ...], dtype: Any, device: Any, requires_grad: bool) -> Tensor:
    """``randn`` as PyTorch's normal kernel fills a tensor that is not row-major: one float64
    Box-Muller value at a time (``rng.normal`` without blocks), never the blocks of 16."""

    def draw(s: tuple[int, ...], dtype: Any, g: Any = None) -> Any:
        return rng.normal(s, dtype, g=g, blocks=False)

    _refuse_integers(dtype, "normal_kernel_cpu")
    return _random(draw, shape, None, dtype, device, requires_grad)


def per_example(input: Tensor, make: Callable[..., Tensor], shape: Any, **kwargs: Any) -> Tensor:  # noqa: A002
    """``make(shape, **kwargs)``; inside vmap, with ``input`` batched, one such tensor per
    example, batched as ``input`` is (torch.func's batching rules of ``zeros_like`` and
    ``new_zeros``), so that writing an example's values into it in place works.

    >>> import chainrule as cr
    >>> cr.func.vmap(lambda x: cr.zeros_like(x).add_(x))(cr.ones(3, 2)).shape
    chainrule.Size([3, 2])
    """
    if open_transforms.here.vmap:
        value, have = batching.unwrap(input)
        if have:  # the batch dimensions lead the physical tensor, outermost first
            lead = tuple(value.shape)[: len(have)]
            return batching.wrap(make((*lead, *shape), **kwargs), have)
    return make(shape, **kwargs)


def _laid_out_like(
    input: Tensor,  # noqa: A002
    memory_format: Any,
    name: str,
    made: Callable[[tuple[int, ...], bool], Tensor],
    drawn: bool = True,
) -> Tensor:
    """A new tensor shaped like ``input`` and laid out as ``memory_format`` says (None or
    ``preserve_format``: as ``input`` is, where that is dense). ``made(shape, laid_out)``
    makes its values in row-major order; where the layout is another, they are made flat and
    put in memory in the order made, as PyTorch's kernels write them (a random draw gives the
    same values as PyTorch's). Values not ``drawn`` at random are made per example inside
    vmap (see :func:`per_example`); a draw follows vmap's ``randomness``."""
    layout = memory_formats.checked(
        memory_formats.preserve_format if memory_format is None else memory_format, name
    )
    memory_formats.refuse_copy_in_vmap(input, layout, name)
    memory_formats.check_rank(layout, input.ndim)
    shape = tuple(input.shape)
    if open_transforms.here.vmap:  # the examples of a batch: row-major, as before
        if drawn:
            return made(shape, False)
        return per_example(input, made, shape, laid_out=False)
    strides = memory_formats.target_strides(shape, input.stride(), layout)
    if strides is None:
        return made(shape, False)
    row_major = memory_formats.follows(shape, strides, memory_formats.contiguous_format)
    out = made((math.prod(shape),), not row_major)
    out._data = memory_formats.laid_out(out._data, shape, strides)
    return out


zeros_like = _like(zeros)
ones_like = _like(ones)
empty_like = _like(empty)
rand_like = _like(rand)
randn_like = _like(randn)


def full_like(
    input: Tensor,  # noqa: A002
    fill_value: Any,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    memory_format: Any = None,
) -> Tensor:
    if type(requires_grad) is not bool and requires_grad is not None:  # (1: by its truth)
        boolean(requires_grad, "full_like", "requires_grad", None)
    dtype = dtype or input.dtype
    fill_value = number(fill_value, "full_like", "fill_value")  # as full's
    where = input.device if device is None else device  # not a ``with device()``'s

    def made(shape: tuple[int, ...], laid_out: bool) -> Tensor:
        return full(shape, fill_value, dtype=dtype, device=where, requires_grad=requires_grad)

    return _laid_out_like(input, memory_format, "full_like", made, drawn=False)


def randint_like(
    input: Tensor,  # noqa: A002
    *args: int,
    low: int | None = None,
    high: int | None = None,
    dtype: Any = None,
    device: Any = None,
    memory_format: Any = None,
) -> Tensor:
    """``randint_like(x, high)`` or ``randint_like(x, low, high)``, with ``x``'s shape, dtype
    and layout.

    >>> import chainrule as cr
    >>> cr.randint_like(cr.zeros(2, 3), 10).shape
    chainrule.Size([2, 3])
    """

    named = {k: v for k, v in (("low", low), ("high", high)) if v is not None}
    given = (*args, *named.values())
    _integer_bounds("randint_like", list(given), (input, *args), named)
    where = input.device if device is None else device  # not a ``with device()``'s

    def made(shape: tuple[int, ...], laid_out: bool) -> Tensor:
        return randint(*given, size=shape, dtype=dtype or input.dtype, device=where)

    return _laid_out_like(input, memory_format, "randint_like", made)
