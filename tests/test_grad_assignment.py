"""Assigning ``.grad`` by hand: the same snippet on chainrule and on PyTorch, same outcome.

A gradient of the wrong shape or dtype, or something that is not a tensor, raises PyTorch's
error (type and message); a right one is kept, and backward accumulates into it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr


def _assign(lib: Any, grad: Any, dtype: str = "float32", shape: tuple[int, ...] = (2,)) -> Any:
    t = lib.zeros(shape, dtype=getattr(lib, dtype), requires_grad=dtype.startswith("float"))
    t.grad = grad(lib) if callable(grad) else grad
    return t.grad


def _accumulate(lib: Any) -> Any:
    t = lib.tensor([1.0, 2.0], requires_grad=True)
    t.grad = lib.tensor([10.0, 20.0])
    (t * t).sum().backward()
    return t.grad


def _delete(lib: Any) -> Any:
    t = lib.tensor([1.0, 2.0], requires_grad=True)
    (t * t).sum().backward()
    del t.grad
    return t.grad


def _non_leaf(lib: Any, size: int) -> Any:
    y = lib.tensor([1.0, 2.0], requires_grad=True) * 2
    y.grad = lib.ones(size)
    return y.grad


class _Custom:
    pass


ROWS = [
    ("larger", lambda lib: _assign(lib, lambda m: m.zeros(3))),
    ("extra_dim", lambda lib: _assign(lib, lambda m: m.zeros(2, 1))),
    ("zero_dim", lambda lib: _assign(lib, lambda m: m.zeros(()))),
    ("matrix_transposed", lambda lib: _assign(lib, lambda m: m.zeros(3, 2), shape=(2, 3))),
    ("float64_into_float32", lambda lib: _assign(lib, lambda m: m.zeros(2, dtype=m.float64))),
    ("float32_into_float64", lambda lib: _assign(lib, lambda m: m.zeros(2), "float64")),
    ("float16_into_float32", lambda lib: _assign(lib, lambda m: m.zeros(2, dtype=m.float16))),
    ("int64_into_float32", lambda lib: _assign(lib, lambda m: m.zeros(2, dtype=m.int64))),
    ("bool_into_float32", lambda lib: _assign(lib, lambda m: m.zeros(2, dtype=m.bool))),
    ("dtype_checked_before_size", lambda lib: _assign(lib, lambda m: m.zeros(3, dtype=m.int32))),
    ("python_float", lambda lib: _assign(lib, 0.0)),
    ("python_int", lambda lib: _assign(lib, 0)),
    ("list", lambda lib: _assign(lib, [1.0, 2.0])),
    ("numpy_array", lambda lib: _assign(lib, np.zeros(2, np.float32))),
    ("numpy_scalar", lambda lib: _assign(lib, np.float32(1.0))),
    ("python_class", lambda lib: _assign(lib, _Custom())),
    ("same_shape_and_dtype", lambda lib: _assign(lib, lambda m: m.ones(2))),
    ("none", lambda lib: _assign(lib, None)),
    ("int_tensor_int_grad", lambda lib: _assign(lib, lambda m: m.ones(2, dtype=m.int64), "int64")),
    ("grad_that_requires_grad", lambda lib: _assign(lib, lambda m: m.ones(2, requires_grad=True))),
    ("backward_accumulates_into_it", _accumulate),
    ("delete", _delete),
    ("non_leaf_right_size", lambda lib: _non_leaf(lib, 2)),
    ("non_leaf_wrong_size", lambda lib: _non_leaf(lib, 3)),
]


def _outcome(call: Any, lib: Any) -> Any:
    try:
        result = call(lib)
    except Exception as error:  # noqa: BLE001 - the error is the outcome compared
        return type(error).__name__, str(error)
    return None if result is None else result.detach().numpy().tolist()


@pytest.mark.parametrize(("name", "call"), ROWS, ids=[r[0] for r in ROWS])
def test_assigning_grad_matches_torch(name: str, call: Any) -> None:
    assert _outcome(call, cr) == _outcome(call, torch)


def test_the_table_has_errors_of_each_kind() -> None:
    """The rows above are not all successes: each check of the setter is reached."""
    kinds = {str(_outcome(call, cr)) for _, call in ROWS}
    assert any("TypeError" in k for k in kinds)
    assert any("gradient of size" in k for k in kinds)
    assert any("gradient with dtype" in k for k in kinds)
