"""Which kernels take PyTorch's shell unsigned dtypes (uint16, uint32, uint64), in one table.

PyTorch makes, casts, views, indexes, multiplies, sums and sorts tensors of these dtypes, but
most of its kernels have no version for them and raise ``NotImplementedError`` naming the
kernel (``"add_stub" not implemented for 'UInt32'``). NumPy computes them all, so chainrule
would give numbers where PyTorch gives none. ``Op.__call__`` calls :func:`check` when an
operand has one of these dtypes; it looks the op up in :data:`KERNELS` and raises PyTorch's
error for the kernels PyTorch leaves out. An op missing from the table is refused too, under
its own name: a number is never given for an op nobody checked against PyTorch. Public
functions whose kernel refuses them while their op takes them elsewhere (``gather`` and
``sort`` share one op), and the factories that write values (``arange``), ask
:func:`check_function`, whose kernels :data:`FUNCTIONS` names.

An operand beside a float (``u + 2.5``, ``u * x`` for a float tensor ``x``) is computed in
float by PyTorch, where every kernel has a version: such calls pass.

>>> import chainrule as cr
>>> u = cr.tensor([3, 1], dtype=cr.uint32)
>>> u * u
tensor([9, 1], dtype=chainrule.uint32)
>>> u + u
Traceback (most recent call last):
...
NotImplementedError: "add_stub" not implemented for 'UInt32'
>>> u + 0.5
tensor([3.5000, 1.5000])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chainrule import dtypes

SHELL_UINTS = dtypes.SHELL_UINTS


def _named(kernels: dict[str, str | None], setting: str) -> Callable[[Any, tuple], str | None]:
    """The kernel named by the op's ``setting`` (a NumPy function, read by its name):
    ``kernels`` gives it; a name it lacks is refused under chainrule's op name."""

    def kernel(op: Any, args: tuple[Any, ...]) -> str | None:
        function = getattr(op, setting)
        name = getattr(getattr(function, "func", function), "__name__", "")  # a partial's too
        return kernels.get(name, f"{type(op).__name__}.{name}")

    return kernel


def _pow(op: Any, args: tuple[Any, ...]) -> str | None:
    """PyTorch's pow has no uint kernel, but answers ``x ** 0`` (ones) without one."""
    exponent = args[1]
    return None if type(exponent) is int and exponent == 0 else "pow"


def _matmul(op: Any, args: tuple[Any, ...]) -> str:
    """The kernel PyTorch's matmul would run for these operands (linalg's own choice)."""
    from chainrule.ops import linalg  # the ops import op, which imports this module

    kernel = linalg._kernel(*(linalg._Operand.of(a) for a in args)).kernel
    return _MATMUL_KERNELS[kernel]


_MATMUL_KERNELS = {"dot": "dot", "mv": "addmv_impl_cpu", "mm": "addmm_impl_cpu_", "bmm": "bmm"}


def _clamp(op: Any, args: tuple[Any, ...]) -> str | None:
    """A float bound makes PyTorch clamp in float; integer bounds name its scalar kernels."""
    if float in (type(op.lo), type(op.hi)):
        return None
    if op.lo is None:
        return "clamp_max_scalar_cpu"
    return "clamp_min_scalar_cpu" if op.hi is None else "clamp_scalar_cpu"


def _clamp_tensor(op: Any, args: tuple[Any, ...]) -> str | None:
    """Tensor bounds promote with the input first (uint32 with int32 is refused there), then
    run maximum and minimum; a float bound makes that float."""
    common = dtypes.torch_result_type(*(a for a in args if a is not None))
    if common.kind == "f":
        return None
    return "minimum_cpu" if args[1] is None else "maximum_cpu"


def _flip(op: Any, args: tuple[Any, ...]) -> str | None:
    """PyTorch flips other dimensions by indexing; its flip kernel, which reverses the last
    dimension, has no version for these dtypes."""
    ndim = args[0].ndim
    return "flip_cpu" if ndim and ndim - 1 in [d % ndim for d in op.dims] else None


def _of_dtype(kernel: str) -> Callable[[Any, tuple], str | None]:
    """A reduction or scan that PyTorch runs in its result dtype (int64 unless ``dtype=``
    says otherwise): chainrule casts first, so only a shell dtype asked for reaches it."""
    return lambda op, args: kernel


# Elementwise ops whose integer inputs PyTorch computes in float: every dtype passes.
_IN_FLOAT = [
    *("Acos", "Acosh", "Asin", "Asinh", "Atan", "Atan2", "Atanh", "Cos", "Cosh", "CopySign"),
    *("Div", "Erf", "Erfc", "Erfinv", "Exp", "Exp2", "Expm1", "I0", "Lgamma", "Log", "Log10"),
    *("Log1p", "Log2", "LogSumExp", "Polygamma", "Reciprocal", "Rsqrt", "Sigmoid", "Sin"),
    *("Sinh", "Sqrt", "Tan", "Tanh", "XLogY"),
]
# Ops that only move, copy or pick values, or round them (the identity on integers).
_MOVES = [
    *("Cast", "Cat", "Clone", "Copy", "DiagEmbed", "Diagonal", "Expand", "Gather"),
    *("GetItem", "IndexAdd", "Pad", "Permute", "Repeat", "Reshape", "Roll", "Scatter", "Where"),
    *("Ceil", "Floor", "Round", "Trunc", "Sorted", "SortOrder"),
]

# Op class name -> the kernel PyTorch names when it refuses a shell uint (None: it computes
# them), or a function of the applied op and its operands giving that, where they decide.
KERNELS: dict[str, str | None | Callable[[Any, tuple], str | None]] = {
    **dict.fromkeys(_IN_FLOAT),
    **dict.fromkeys(_MOVES),
    "Mul": None,
    "Bitwise": lambda op, args: op.kernel if "shift" in op.kernel else None,
    "Compare": _named(
        {
            "eq": None,
            "ne": None,
            "equal": None,
            "not_equal": None,
            "lt": "lt_cpu",
            "less": "lt_cpu",
            "le": "le_cpu",
            "less_equal": "le_cpu",
            "gt": "gt_cpu",
            "greater": "gt_cpu",
            "ge": "ge_cpu",
            "greater_equal": "ge_cpu",
            "logical_and": "logical_and_cpu",
            "logical_or": "logical_or_cpu",
            "logical_xor": "logical_xor_cpu",
            "_close_arrays": None,  # isclose, allclose
            "_at_least_or_nan": "maximum_cpu",  # fmax
            "_at_most_or_nan": "minimum_cpu",  # fmin
        },
        "test",
    ),
    "Predicate": _named(
        {
            "isnan": None,
            "isfinite": None,
            "isinf": None,
            "isposinf": None,
            "isneginf": None,
            "signbit": None,
            "invert": "bitwise_not_cpu",
            "logical_not": "logical_not_cpu",
        },
        "test",
    ),
    "Overwrite": lambda op, args: _FILLS.get(op.fill_name, op.fill_name),
    "Add": "add_stub",
    "Sub": "add_stub",
    "Neg": "neg_cpu",
    "Abs": "abs_cpu",
    "Sign": "sign_cpu",
    "Frac": "frac_cpu",
    "Pow": _pow,
    "FloorDivide": "div_floor_cpu",
    "TruncDivide": "div_trunc_cpu",
    "Flip": _flip,
    "IndexPut": "index_put",
    "Remainder": "remainder_cpu",
    "Fmod": "fmod_cpu",
    "Gcd": "gcd_cpu",
    "Lcm": "lcm_cpu",
    "Hypot": "hypot_cpu",
    "Igamma": "igamma_cpu",
    "Igammac": "igammac_cpu",
    "LogAddExp": "logaddexp_cpu",
    "LogAddExp2": "logaddexp2_cpu",
    "NextAfter": "nextafter_cpu",
    "Maximum": "maximum_cpu",
    "Minimum": "minimum_cpu",
    "Clamp": _clamp,
    "ClampTensor": _clamp_tensor,
    "Relu": "clamp_min_scalar_cpu",
    "LeakyRelu": "leaky_relu_cpu",
    "Celu": "elu_cpu",
    "Selu": "elu_cpu",
    "Elu": "elu_cpu",
    "Hardshrink": "hardshrink_cpu",
    "Amax": lambda op, args: "max_all" if op.to_nan else "max_values_cpu",
    "Amin": lambda op, args: "min_all" if op.to_nan else "min_values_cpu",
    "ArgExtreme": _named({"argmax": "argmax_cpu", "argmin": "argmin_cpu"}, "pick"),
    "CumArgExtreme": lambda op, args: "cummax_cpu" if op.largest else "cummin_cpu",
    "MedianOfAll": "median_cpu",
    "SortedPick": lambda op, args: "kthvalue_cpu" if op.kind == "kthvalue" else "median_out",
    "ModeIndex": "mode_cpu",
    "Sum": _of_dtype("sum_cpu"),
    "Prod": _of_dtype("prod_out_cpu"),
    "CumSum": _of_dtype("cumsum_out_cpu"),
    "CumProd": _of_dtype("cumprod_out_cpu"),
    "LogCumSumExp": "logcumsumexp_out_cpu",
    "MatMul": _matmul,
    "MaxPool2DWithIndices": "max_pool2d",
    "ScatterAdd": "scatter_gather_tensor_cpu",
}

# PyTorch's kernels behind the in-place fills (Overwrite's names): the constant fills take
# every dtype, the random ones none of these.
_FILLS = {
    "FillBackward2": None,
    "ZeroBackward0": None,
    "RandomBackward1": None,  # random_(to): random_from_to has a kernel
    "RandomBackward2": "random_kernel_cpu",
    "BernoulliBackward1": "bernoulli_tensor_cpu_self_",
    "BernoulliBackward2": "bernoulli_scalar_cpu_",
}


# Public functions that refuse these dtypes before any op runs (a factory writing values, or
# a function whose op others share: ``topk``'s are ``sort``'s) -> PyTorch's kernel.
FUNCTIONS = {
    "arange": "arange_cpu",
    "linspace": "linspace_cpu",
    "logspace": "logspace_cpu",
    "eye": "eye",
    "randperm": "randperm",
    "nonzero": "nonzero_count_cpu",
    "count_nonzero": "nonzero_count_cpu",
    "isin": "isin_default_cpu",
    "searchsorted": "searchsorted_out_cpu",
    "bincount": "bincount_cpu",
    "topk": "topk_cpu",
    "trace": "trace",
    "tril": "tril",
    "triu": "triu",
    "masked_fill": "masked_fill",
    "masked_select": "masked_select",
    "gather": "scatter_gather_tensor_cpu",
    "scatter": "scatter_gather_tensor_cpu",
    "scatter_value": "scatter_gather_scalar_cpu",
    "square": "pow",
    "take": "take_cpu",
    "put": "take_put_cpu",
    "index_fill": "index_fill_cpu",
    "index_copy": "index_copy_cpu",
    "index_select": "index_select",
    "bernoulli": "bernoulli_tensor_cpu_self_",
    "bernoulli_p": "bernoulli_scalar_cpu_",
    "max": "max_cpu",
    "min": "min_cpu",
    "aminmax": "aminmax_cpu",
    "heaviside": "heaviside_cpu",
}


def check_function(name: str, dtype: Any) -> None:
    """PyTorch's refusal of a shell uint ``dtype`` (a NumPy or chainrule dtype, or None) by
    the public function ``name``, whose kernel :data:`FUNCTIONS` names.

    >>> check_function("arange", dtypes.uint16)
    Traceback (most recent call last):
    ...
    NotImplementedError: "arange_cpu" not implemented for 'UInt16'
    """
    if dtype is not None and dtypes.as_dtype(dtype) in SHELL_UINTS:
        raise dtypes.not_implemented_for(FUNCTIONS[name], dtype)


def takes_all(op_name: str) -> bool:
    """Whether the op class ``op_name`` computes every shell uint (its dispatch then reads no
    operand's dtype)."""
    return op_name in KERNELS and KERNELS[op_name] is None


def check(op: Any, args: tuple[Any, ...]) -> None:
    """Raise PyTorch's error where ``op``'s kernel has no version for the shell uint dtype
    among ``args`` (arrays and numbers, as the op's forward takes them); pass where a float
    operand makes PyTorch compute in float, or where the kernel takes the dtype."""
    found = None
    for a in args:
        if type(a) is float:
            return
        dtype = getattr(a, "dtype", None)
        if dtype is None:
            continue
        if dtype.kind == "f":
            return
        if found is None and dtype in SHELL_UINTS:
            found = dtype
    if found is None:
        return
    entry = KERNELS.get(type(op).__name__, type(op).__name__)
    kernel = entry(op, args) if callable(entry) else entry
    if kernel is not None:
        raise dtypes.not_implemented_for(kernel, found)
