"""PyTorch's shell unsigned dtypes (uint16, uint32, uint64) under chainrule and PyTorch.

Each row is an expression over ``lib`` (``torch`` or ``chainrule``), ``U`` (the dtype under
test), ``u`` (a small tensor of it) and ``big`` (one holding its largest value), evaluated on
both libraries: the values, dtypes and shapes must agree, or, where PyTorch raises, the
exception type and message (with ``torch`` spelled ``chainrule``). PyTorch makes, casts, views,
multiplies, sums and sorts these dtypes; most other kernels refuse them, and so must chainrule,
never computing a number PyTorch does not give.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import chainrule

DTYPES = ("uint16", "uint32", "uint64")

# Rows that work in PyTorch: chainrule must give the same values and dtypes.
WORKS = {
    # creation
    "tensor": "lib.tensor([0, 7, 65535], dtype=U)",
    "tensor_wraps_negative_float": "lib.tensor([-1.0, 2.0]).to(U)",
    "zeros": "lib.zeros(2, 3, dtype=U)",
    "ones": "lib.ones(2, dtype=U)",
    "empty_dtype": "lib.empty(2, dtype=U).dtype",
    "full": "lib.full((2,), 7, dtype=U)",
    "full_minus_one": "lib.full((2,), -1, dtype=U)",
    "zeros_like": "lib.zeros_like(u)",
    "ones_like": "lib.ones_like(u)",
    "randint": "(lib.manual_seed(0), lib.randint(0, 100, (5,), dtype=U))[1]",
    "repr": "repr(u)",
    "repr_large": "repr(lib.tensor([[1, 2**16 - 1], [0, 3]], dtype=U))",
    "str_dtype": "str(U)",
    "legacy_type": "u.type()",
    "is_signed": "(u.is_signed(), U.is_signed, U.is_floating_point, U.itemsize)",
    "tensor_largest": "big",
    # conversion
    "to_int64": "u.to(lib.int64)",
    "float": "u.float()",
    "double": "u.double()",
    "to_dtype": "u.to(dtype=lib.float16)",
    "float_to_shell": "lib.tensor([1.5, 2.5, 7.0]).to(U)",
    "int_to_shell": "lib.tensor([3, 4]).to(U)",
    "tolist": "u.tolist()",
    "item": "u[1].item()",
    "numpy_dtype": "str(u.numpy().dtype)",
    "view_same_size": "u.view({2: lib.int16, 4: lib.int32, 8: lib.int64}[U.itemsize])",
    "view_as_bytes": "u.view(lib.uint8)",
    "view_from_float": "lib.tensor([1.0, -2.0], dtype=lib.float64).view(lib.uint64).view(U)",
    # shape, indexing
    "reshape": "u.reshape(3, 1)",
    "transpose": "u.reshape(1, 3).t()",
    "cat": "lib.cat([u, u])",
    "stack": "lib.stack([u, u])",
    "getitem": "u[1:]",
    "getitem_index": "u[lib.tensor([2, 0])]",
    "setitem": "(lambda t: (t.__setitem__(0, 9), t)[1])(u.clone())",
    "flip_first_dim": "lib.stack([u, u * 2]).flip(0)",
    "expand": "u[:1].expand(3)",
    "unbind": "lib.stack(u.unbind())",
    "clone": "u.clone()",
    "where": "lib.where(u == 7, u, u)",
    "fill_": "u.clone().fill_(3)",
    "zero_": "u.clone().zero_()",
    "floor": "u.floor()",
    "largest_tolist": "big.tolist()",
    "largest_float": "big.double()",
    "largest_to_int64": "big.long()",
    "largest_sum": "big.sum()",
    "largest_cumsum": "big.cumsum(0)",
    "largest_sort": "big.sort()",
    "largest_unique": "lib.unique(big)",
    "largest_eq": "big == big[1]",
    "largest_mul": "big * big",
    "largest_true_divide": "big / 2",
    # the kernels PyTorch has for them
    "mul": "u * u",
    "mul_int": "u * 3",
    "mul_": "u.clone().mul_(u)",
    "and": "u & u",
    "or": "u | 1",
    "xor": "u ^ u",
    "eq": "u == 7",
    "ne": "u != u",
    "sum": "u.sum()",
    "sum_dim": "u.reshape(1, 3).sum(0)",
    "prod": "u.prod()",
    "cumsum": "u.cumsum(0)",
    "sort": "u.sort()",
    "sort_descending": "u.sort(descending=True)",
    "argsort": "u.argsort()",
    "unique": "lib.unique(lib.cat([u, u]))",
    "pow_zero": "u ** 0",
    "count_nonzero_dim": "lib.count_nonzero(u.reshape(1, 3), 0)",
    "isin_number": "lib.isin(u, 7)",
    "index_select_matrix": "lib.stack([u, u]).index_select(1, lib.tensor([2, 0]))",
    "mask_index": "u[u == 7]",
    "diag": "lib.diag(u)",
    "repeat_interleave": "u.repeat_interleave(2)",
    "where_number": "lib.where(u == 7, u, 0)",
    "copy_from_float": "u.clone().copy_(lib.ones(3))",
    "searchsorted_float": "lib.searchsorted(lib.tensor([1.0, 5.0]), u)",
    # computed in float: every dtype has a float kernel
    "true_divide": "u / lib.tensor([1, 2, 4], dtype=U)",
    "sqrt": "u.sqrt()",
    "add_float": "u + 2.5",
    "mul_float": "u * 0.5",
    "add_float_tensor": "u + lib.ones(3)",
    "lt_float": "u < 2.5",
    "clamp_float": "u.clamp(1.5)",
    "sub_float64_tensor": "lib.ones(3, dtype=lib.float64) - u",
    # promotion
    "promote_with_float32": "lib.promote_types(U, lib.float32)",
    "promote_with_itself": "lib.promote_types(U, U)",
    "result_type_python_int": "lib.result_type(u, 5)",
    "result_type_python_float": "lib.result_type(u, 5.0)",
    "result_type_zero_d_int64": "lib.result_type(u, lib.tensor(5))",
    "result_type_zero_d_shell": "lib.result_type(lib.tensor(5, dtype=U), lib.ones(1).char())",
    "result_type_zero_d_float": "lib.result_type(u, lib.tensor(5.0, dtype=lib.float64))",
}

# Rows that PyTorch refuses: chainrule must raise the same exception, with the same message.
REFUSED = {
    "add": "u + u",
    "add_int": "u + 1",
    "radd_int": "1 + u",
    "sub": "u - u",
    "add_": "u.clone().add_(1)",
    "sub_": "u.clone().sub_(u)",
    "neg": "-u",
    "abs": "u.abs()",
    "sign": "u.sign()",
    "lt": "u < 2",
    "le": "u <= u",
    "gt": "u > 2",
    "ge": "u >= 2",
    "logical_and": "lib.logical_and(u, u)",
    "logical_not": "lib.logical_not(u)",
    "bitwise_not": "~u",
    "lshift": "u << 1",
    "rshift": "u >> 1",
    "floor_divide": "u // u",
    "remainder": "u % 2",
    "fmod": "lib.fmod(u, 2)",
    "pow": "u ** 2",
    "pow_tensor": "u ** u",
    "max": "u.max()",
    "min": "u.min()",
    "amax": "u.amax()",
    "amin": "u.amin(0)",
    "argmax": "u.argmax()",
    "argmin": "u.argmin(0)",
    "max_dim": "u.max(0)",
    "min_dim": "lib.min(u, dim=0, keepdim=True)",
    "aminmax": "lib.aminmax(u)",
    "heaviside": "lib.heaviside(u, u)",
    "maximum": "lib.maximum(u, u)",
    "minimum": "lib.minimum(u, u)",
    "fmax": "lib.fmax(u, u)",
    "clamp_min": "u.clamp(1)",
    "clamp_max": "u.clamp(max=1)",
    "clamp_both": "u.clamp(1, 2)",
    "clamp_tensor": "u.clamp(u)",
    "relu": "lib.relu(u)",
    "leaky_relu": "lib.nn.functional.leaky_relu(u)",
    "median": "u.median()",
    "kthvalue": "u.kthvalue(1)",
    "cummax": "u.cummax(0)",
    "logcumsumexp": "u.logcumsumexp(0)",
    "sum_to_shell": "u.sum(dtype=U)",
    "prod_to_shell": "u.prod(dtype=U)",
    "cumsum_to_shell": "u.cumsum(0, dtype=U)",
    "mean": "u.mean()",
    "dot": "u @ u",
    "mv": "lib.stack([u, u]) @ u",
    "mm": "lib.stack([u, u]) @ lib.stack([u, u, u])",
    "bmm": "lib.stack([u, u])[None] @ lib.stack([u, u, u])[None]",
    "arange": "lib.arange(3, dtype=U)",
    "uint64_negative_int": "lib.tensor([5, -1], dtype=lib.uint64)",
    "linspace": "lib.linspace(0, 4, 3, dtype=U)",
    "logspace": "lib.logspace(0, 2, 3, dtype=U)",
    "eye": "lib.eye(2, dtype=U)",
    "randperm": "lib.randperm(3, dtype=U)",
    "tril_indices": "lib.tril_indices(2, 2, dtype=U)",
    "flip_last_dim": "u.flip(0)",
    "div_trunc": "u.div(2, rounding_mode='trunc')",
    "div_floor": "u.div(2, rounding_mode='floor')",
    "index_put_": "u.clone().index_put_((lib.tensor([0]),), lib.tensor([5], dtype=U))",
    "random_": "u.clone().random_()",
    "hypot": "lib.hypot(u, u)",
    # functions whose kernels refuse them, though other functions' ops take them
    "index_select_vector": "u.index_select(0, lib.tensor([2, 0]))",
    "nonzero": "u.nonzero()",
    "nonzero_tuple": "lib.nonzero(u, as_tuple=True)",
    "argwhere": "lib.argwhere(u)",
    "count_nonzero": "lib.count_nonzero(u)",
    "isin": "lib.isin(u, u)",
    "searchsorted": "lib.searchsorted(u, u)",
    "searchsorted_int64": "lib.searchsorted(u, lib.tensor([1]))",
    "bincount": "lib.bincount(u)",
    "topk": "u.topk(2)",
    "trace": "lib.trace(lib.stack([u, u, u]))",
    "tril": "lib.stack([u, u]).tril()",
    "triu_": "lib.stack([u, u]).triu_(1)",
    "masked_fill": "u.masked_fill(u == 7, 0)",
    "masked_fill_": "u.clone().masked_fill_(u == 7, 0)",
    "masked_select": "u.masked_select(u == 7)",
    "gather": "u.gather(0, lib.tensor([1]))",
    "scatter_value": "u.scatter(0, lib.tensor([1]), 9)",
    "scatter_tensor": "u.scatter(0, lib.tensor([1]), u)",
    "scatter_add": "lib.stack([u, u]).scatter_add(0, lib.tensor([[0, 1, 0]]), u[None])",
    "take": "u.take(lib.tensor([0]))",
    "take_int32_index": "u.take(lib.tensor([0], dtype=lib.int32))",
    "put": "u.put(lib.tensor([0]), lib.tensor([9], dtype=U))",
    "index_fill": "u.index_fill(0, lib.tensor([0]), 1)",
    "index_copy_": "u.clone().index_copy_(0, lib.tensor([0]), u[:1])",
    "square": "lib.square(u)",
    "cumsum_": "u.clone().cumsum_(0)",
    "cumprod_": "u.clone().cumprod_(0)",
    "bernoulli": "lib.bernoulli(u)",
    "bernoulli_p": "u.bernoulli(0.5)",
    # promotion: a shell uint meets only itself and floats
    "promote_int32": "lib.promote_types(U, lib.int32)",
    "promote_reversed": "lib.promote_types(lib.int64, U)",
    "promote_bool": "lib.promote_types(U, lib.bool)",
    "promote_uint8": "lib.promote_types(U, lib.uint8)",
    "promote_other_shell": "lib.promote_types(lib.uint16 if U != lib.uint16 else lib.uint32, U)",
    "result_type_int32_tensor": "lib.result_type(u, lib.ones(3, dtype=lib.int32))",
    "result_type_bool_over_zero_d": "lib.result_type(lib.tensor([True]), lib.tensor(1, dtype=U))",
    "mul_int32_tensor": "u * lib.ones(3, dtype=lib.int32)",
    "eq_int64_tensor": "u == lib.ones(3, dtype=lib.int64)",
    "bitwise_and_int32": "u & lib.ones(3, dtype=lib.int32)",
}


def _run(lib: Any, source: str, name: str) -> Any:
    dtype = getattr(lib, name)
    u = lib.tensor([3, 7, 1], dtype=dtype)
    big = lib.tensor([3, 2 ** (8 * dtype.itemsize) - 1], dtype=dtype)  # its largest value
    return eval(source, {"lib": lib, "U": dtype, "u": u, "big": big, "np": np})  # noqa: S307


def _plain(value: Any) -> Any:
    """The value as comparable data: a tensor as (dtype, shape, values), named tuples as tuples."""
    if isinstance(value, torch.Tensor | chainrule.Tensor):
        return ("tensor", str(value.dtype).split(".")[-1], tuple(value.shape), value.tolist())
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    if isinstance(value, torch.dtype | chainrule.dtype):
        return ("dtype", str(value).split(".")[-1])
    if isinstance(value, str):
        return value.replace("torch", "chainrule")
    return value


def _outcome(lib: Any, source: str, name: str) -> Any:
    try:
        return ("ok", _plain(_run(lib, source, name)))
    except Exception as error:  # noqa: BLE001 - the type and message are what is compared
        return (type(error).__name__, str(error).replace("torch", "chainrule"))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("row", WORKS)
def test_what_pytorch_computes_chainrule_computes_alike(row: str, dtype: str) -> None:
    expected = _outcome(torch, WORKS[row], dtype)
    assert expected[0] == "ok", f"PyTorch raised: {expected}"
    assert _outcome(chainrule, WORKS[row], dtype) == expected


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("row", REFUSED)
def test_what_pytorch_refuses_chainrule_refuses_with_its_error(row: str, dtype: str) -> None:
    expected = _outcome(torch, REFUSED[row], dtype)
    assert expected[0] != "ok", f"PyTorch computed: {expected}"
    assert _outcome(chainrule, REFUSED[row], dtype) == expected


def test_the_shell_dtypes_are_exported_and_equal_numpy_types() -> None:
    assert (chainrule.uint16, chainrule.uint32, chainrule.uint64) == (
        np.uint16,
        np.uint32,
        np.uint64,
    )
    assert chainrule.from_numpy(np.array([1, 2], np.uint32)).dtype is chainrule.uint32


def test_every_kernel_named_in_the_table_is_an_op_class() -> None:
    """A misspelt class name in the table would leave its op refused under its own name."""
    from chainrule.op import REGISTRY
    from chainrule.shell_uints import KERNELS

    assert sorted(set(KERNELS) - set(REGISTRY)) == []
