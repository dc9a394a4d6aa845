"""PyTorch's global queries and settings at the top level: ``is_tensor``, ``result_type``,
``promote_types``, ``can_cast``, the thread counts, the determinism, matmul-precision and
warn-always flags, anomaly mode, ``set_default_tensor_type``, ``typename``.

What a setting changes here: the intra-op thread count is OpenBLAS's (the BLAS NumPy loaded,
found as :mod:`chainrule._blas` finds it; where none is found the value is only recorded).
NumPy's CPU kernels are deterministic and compute float32 products in float32, so the
determinism flags and the matmul precision are recorded and reported back, and change no
value; denormals cannot be flushed from NumPy, so ``set_flush_denormal`` answers False, as
PyTorch does on a CPU that cannot.

    >>> import chainrule as cr
    >>> cr.is_tensor(cr.ones(2)), cr.promote_types(cr.int32, cr.float16)
    (True, chainrule.float16)
    >>> cr.result_type(cr.tensor([1, 2]), 2.5)
    chainrule.float32
"""

from __future__ import annotations

import builtins
import os
import warnings
from typing import Any

from chainrule import _blas, dtypes
from chainrule._tensor_input import tensor_argument
from chainrule.autodiff import anomaly
from chainrule.tensor import Tensor


# ---- tensors and dtypes
def is_tensor(obj: Any) -> bool:
    """Whether ``obj`` is a chainrule tensor (a Parameter too)."""
    return isinstance(obj, Tensor)


def is_storage(obj: Any) -> bool:
    """False: chainrule tensors have no separate storage objects (NumPy arrays hold them)."""
    return False


def is_floating_point(input: Tensor) -> bool:  # noqa: A002
    """Whether ``input``'s dtype is a floating one."""
    tensor_argument("is_floating_point", input)
    return input.dtype.is_floating_point


def is_complex(input: Tensor) -> bool:  # noqa: A002
    """False: chainrule's tensors are real (complex dtypes are refused when made)."""
    tensor_argument("is_complex", input)
    return False


def is_signed(input: Tensor) -> bool:  # noqa: A002
    """Whether ``input``'s dtype holds negative numbers (not uint8 or bool)."""
    tensor_argument("is_signed", input)
    return input.dtype.is_signed


def is_inference(input: Tensor) -> bool:  # noqa: A002
    """Whether ``input`` is an inference tensor: made inside ``inference_mode()``, or a view of
    one (see :class:`chainrule.tensor.InferenceCounter`)."""
    tensor_argument("is_inference", input)
    return input.is_inference()


def promote_types(type1: Any, type2: Any) -> dtypes.dtype:
    """The dtype PyTorch computes ``type1`` with ``type2`` in: the higher category's dtype
    (bool < integer < float), within a category NumPy's promotion.

    >>> import chainrule as cr
    >>> cr.promote_types(cr.uint8, cr.int8), cr.promote_types(cr.bool, cr.uint8)
    (chainrule.int16, chainrule.uint8)
    """
    for position, (name, value) in enumerate((("type1", type1), ("type2", type2)), 1):
        if not isinstance(value, dtypes.dtype):
            raise TypeError(
                f"promote_types(): argument '{name}' (position {position}) must be "
                f"chainrule.dtype, not {type(value).__name__}"
            )
    return dtypes.public(dtypes.torch_promote_types(type1.dtype, type2.dtype))


def result_type(tensor1: Any, tensor2: Any) -> dtypes.dtype:
    """The dtype of an elementwise op on ``tensor1`` and ``tensor2`` (tensors or Python
    numbers), PyTorch's rule: the highest category decides; within it, tensors with
    dimensions outrank 0-d tensors, which outrank Python numbers (a Python float is the
    default dtype, an int int64).

    >>> import chainrule as cr
    >>> cr.result_type(cr.tensor(1, dtype=cr.int32), cr.tensor([1], dtype=cr.uint8))
    chainrule.uint8
    """
    operands = [_operand(value) for value in (tensor1, tensor2)]
    if None in operands:
        got = ", ".join(
            "Tensor" if isinstance(v, Tensor) else type(v).__name__ for v in (tensor1, tensor2)
        )
        raise TypeError(
            f"result_type() received an invalid combination of arguments - got ({got}), but "
            "expected one of:\n * (Tensor tensor, Tensor other)\n * (Tensor tensor, Number other)"
            "\n * (Number scalar, Tensor tensor)\n * (Number scalar1, Number scalar2)"
        )
    return dtypes.public(dtypes.result_type_of_tiers([(kind, tier) for tier, kind in operands]))


def _operand(value: Any) -> tuple[int, Any] | None:
    """``(tier, dtype)``: 2 for a tensor with dimensions, 1 for a 0-d tensor, 0 for a number;
    None for anything else."""
    if (number := dtypes.python_number(value)) is not None:  # a NumPy scalar: as a number
        value = number
    if isinstance(value, Tensor):
        return (2 if value.ndim else 1), value.dtype.dtype
    if isinstance(value, builtins.bool):
        return 0, dtypes.bool.dtype
    if isinstance(value, builtins.int):
        return 0, dtypes.int64.dtype
    if isinstance(value, builtins.float):
        return 0, dtypes.get_default_dtype().dtype
    return None


def can_cast(from_: Any, to: Any) -> bool:
    """Whether PyTorch's casting rules allow ``from_`` into ``to`` (no float into an integer,
    nothing but bool into bool).

    >>> import chainrule as cr
    >>> cr.can_cast(cr.float32, cr.int32), cr.can_cast(cr.int64, cr.uint8)
    (False, True)
    """
    for position, (name, value) in enumerate((("from_", from_), ("to", to)), 1):
        if not isinstance(value, dtypes.dtype):
            raise TypeError(
                f"can_cast(): argument '{name}' (position {position}) must be chainrule.dtype, "
                f"not {type(value).__name__}"
            )
    return dtypes.can_cast(from_.dtype, to.dtype)


def typename(obj: Any) -> str:
    """A tensor's legacy type name (``'chainrule.FloatTensor'``), else the object's module
    and qualified name, as ``torch.typename``.

    >>> import chainrule as cr
    >>> cr.typename(cr.ones(2)), cr.typename(3), cr.typename(cr.nn.Linear(2, 2))
    ('chainrule.FloatTensor', 'int', 'chainrule.nn.layers.Linear')
    """
    if isinstance(obj, Tensor):
        return obj.type()
    module = getattr(obj, "__module__", "") or ""
    if hasattr(obj, "__qualname__"):
        qualname = obj.__qualname__
    elif hasattr(obj, "__name__"):
        qualname = obj.__name__
    else:
        module = obj.__class__.__module__ or ""
        qualname = obj.__class__.__qualname__
    return qualname if module in ("", "builtins") else f"{module}.{qualname}"


_DEPRECATED_TENSOR_TYPE = (
    "torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
    "torch.set_default_dtype() and torch.set_default_device() as alternatives."
)


def set_default_tensor_type(t: str, /) -> None:
    """The default dtype set from a legacy type name (``"torch.DoubleTensor"``, or
    ``"chainrule.DoubleTensor"``), floating types only; deprecated, with PyTorch's warning."""
    if not isinstance(t, str):
        raise TypeError(
            "invalid type object: only floating-point types are supported as the default type"
        )
    _warn_once(_DEPRECATED_TENSOR_TYPE)
    try:
        kind = dtypes.from_legacy_type_name(t)
    except ValueError:
        module, _, name = t.rpartition(".")
        raise AttributeError(f"module '{module}' has no attribute '{name}'") from None
    dtypes.set_default_dtype(kind)


_warned: set[str] = set()


def _warn_once(message: str) -> None:
    """PyTorch's TORCH_WARN_ONCE: the first time in a process, or every time with
    :func:`set_warn_always` on."""
    if _warn_always or message not in _warned:
        _warned.add(message)
        warnings.warn(message, UserWarning, stacklevel=3)


def compiled_with_cxx11_abi() -> bool:
    """True, PyTorch's answer for its current builds (nothing here is compiled)."""
    return True


def is_vulkan_available() -> bool:
    return False


# ---- threads
_interop_threads = os.cpu_count() or 1
_recorded_threads = os.cpu_count() or 1


def _blas_threads() -> tuple[Any, Any] | None:
    return _blas._openblas_threads(_blas._FOUND) if _blas._FOUND is not None else None


def get_num_threads() -> int:
    """The intra-op thread count: OpenBLAS's (the only threads NumPy's kernels use)."""
    threads = _blas_threads()
    return threads[0]() if threads is not None else _recorded_threads


def set_num_threads(int: Any) -> None:  # noqa: A002 - PyTorch's name
    """Set OpenBLAS's thread count (where no OpenBLAS is loaded, the value is recorded)."""
    global _recorded_threads
    _positive_count("set_num_threads", int)
    threads = _blas_threads()
    if threads is not None:
        threads[1](int)
    _recorded_threads = int


def get_num_interop_threads() -> int:
    """The inter-op thread count recorded (chainrule runs ops one after another)."""
    return _interop_threads


def set_num_interop_threads(int: Any) -> None:  # noqa: A002 - PyTorch's name
    """Record the inter-op thread count (no pool here runs ops side by side)."""
    global _interop_threads
    _positive_count("set_num_interop_threads", int)
    _interop_threads = int


def init_num_threads() -> None:
    """Nothing to do: the thread counts are set when asked."""


def _positive_count(function: str, value: Any) -> None:
    if not isinstance(value, builtins.int) or isinstance(value, builtins.bool):
        raise RuntimeError(f"{function} expects an int, but got {type(value).__name__}")
    if value <= 0:
        raise RuntimeError(f"{function} expects a positive integer")


# ---- determinism, precision, warnings, anomaly mode (flags)
_deterministic_mode = 0  # 0 default, 1 warn, 2 error: PyTorch's debug mode numbers
_matmul_precision = "highest"
_warn_always = False


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Record the determinism mode (NumPy's kernels are deterministic already)."""
    global _deterministic_mode
    if not isinstance(mode, builtins.bool):
        raise TypeError(
            "_set_deterministic_algorithms(): argument 'mode' (position 1) must be bool, not "
            f"{type(mode).__name__}"
        )
    _deterministic_mode = 0 if not mode else (1 if warn_only else 2)


def are_deterministic_algorithms_enabled() -> bool:
    return _deterministic_mode != 0


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _deterministic_mode == 1


def set_deterministic_debug_mode(debug_mode: str | int) -> None:
    """``"default"``/0, ``"warn"``/1 or ``"error"``/2, as :func:`use_deterministic_algorithms`
    off, on with warnings only, on."""
    names = {"default": 0, "warn": 1, "error": 2}
    if isinstance(debug_mode, str):
        if debug_mode not in names:
            raise RuntimeError(
                "invalid value of debug_mode, expected one of `default`, `warn`, `error`, but "
                f"got {debug_mode}"
            )
        debug_mode = names[debug_mode]
    if not isinstance(debug_mode, builtins.int):
        raise TypeError(f"debug_mode must be str or int, but got {type(debug_mode)}")
    if debug_mode not in (0, 1, 2):
        raise RuntimeError(
            f"invalid value of debug_mode, expected 0, 1, or 2, but got {debug_mode}"
        )
    use_deterministic_algorithms(debug_mode != 0, warn_only=debug_mode == 1)


def get_deterministic_debug_mode() -> int:
    return _deterministic_mode


def set_float32_matmul_precision(precision: str) -> None:
    """Record ``"highest"``, ``"high"`` or ``"medium"`` (float32 products are always computed
    in float32 here, PyTorch's "highest"); another value warns and changes nothing."""
    global _matmul_precision
    if precision not in ("highest", "high", "medium"):
        warnings.warn(
            f"{precision} is not one of 'highest', 'high', or 'medium'; the current"
            "setFloat32MatmulPrecision call has no effect.",
            UserWarning,
            stacklevel=2,
        )
        return
    _matmul_precision = precision


def get_float32_matmul_precision() -> str:
    return _matmul_precision


def set_flush_denormal(mode: bool) -> bool:
    """False: NumPy has no switch to flush denormals to zero (PyTorch answers False too on a
    CPU without one), so nothing changes."""
    return False


def set_warn_always(b: bool, /) -> None:
    """PyTorch's warn-always flag: a warning given once a process is then given every time
    (:func:`set_default_tensor_type`'s here; other warnings follow Python's filters)."""
    global _warn_always
    _warn_always = builtins.bool(b)


def is_warn_always_enabled() -> bool:
    return _warn_always


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    """Anomaly mode on or off from here on (:mod:`chainrule.autodiff.anomaly`)."""
    anomaly._set(enabled, check_nan)


def is_anomaly_enabled() -> bool:
    return anomaly.is_anomaly_enabled()


def is_anomaly_check_nan_enabled() -> bool:
    return anomaly.is_anomaly_check_nan_enabled()


def is_autocast_enabled(device_type: str | None = None) -> bool:
    """False: chainrule has no autocast (every op computes in its inputs' dtypes)."""
    return False
