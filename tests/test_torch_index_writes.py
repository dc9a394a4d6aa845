"""PyTorch's scatter-style writes (index_put, masked_scatter, put, scatter_reduce,
index_reduce, the *_scatter embeddings) run on torch and chainrule: values, dtypes, shapes and
errors must agree (the runner of ``tests/test_torch_api_shape.py``: errors by type and first
line). Their gradients are checked by the rows of ``tests/op_table_index.py``; here are the
integer, bool, NaN and empty cases, the refusals, in-place writes through views, and a few
PyTorch-style snippets.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from test_torch_api_shape import plain, run
from test_torch_snippets import run as run_snippet

import chainrule

RNG = np.random.default_rng(0)
NAN, INF = float("nan"), float("inf")

A = RNG.standard_normal((3, 4)).astype(np.float32)
A.flat[:3] = [NAN, INF, -INF]
INTS = RNG.integers(-5, 6, (3, 4))
MASK = np.array(
    [[True, False, True, False], [False, False, False, True], [True, True, False, False]]
)
SRC = np.arange(10.0, 22.0, dtype=np.float32).reshape(3, 4)
EMPTY = np.zeros((0, 4), np.float32)
ROWS = np.array([2, 0, 2])  # a repeat
INDEX = np.array([[0, 0, 2], [3, 1, 3], [1, 1, 1]])  # repeats along dim 1

Case = Callable[[Any, Callable[[Any], Any]], Any]


def _i(values: Any) -> np.ndarray:
    return np.array(values, dtype=np.int64)


def _reductions(op: str, dtype: Any) -> dict[str, Case]:
    """scatter_reduce (or index_reduce) of each reduction, with and without self, on
    ``dtype`` values (integers: a mean rounds down)."""
    x = (A if dtype == np.float32 else INTS).astype(dtype)
    src = (SRC if dtype == np.float32 else INTS * 3 - 7).astype(dtype)
    names = (
        ("sum", "prod", "mean", "amax", "amin")
        if op == "scatter"
        else ("prod", "mean", "amax", "amin")
    )
    cases: dict[str, Case] = {}
    for reduce in names:
        for include_self in (True, False):
            key = f"{op}_reduce_{reduce}_{np.dtype(dtype).name}" + (
                "" if include_self else "_no_self"
            )
            if op == "scatter":
                cases[key] = lambda L, T, r=reduce, s=include_self: T(x).scatter_reduce(
                    1, T(INDEX), T(src[:, :3]), r, include_self=s
                )
            else:
                cases[key] = lambda L, T, r=reduce, s=include_self: L.index_reduce(
                    T(x), 0, T(ROWS), T(src), r, include_self=s
                )
    return cases


CASES: dict[str, Case] = {
    # ---- index_put: values, dtypes, repeats, masks, broadcasting
    "index_put_rows": lambda L, T: L.index_put(T(A), (T(_i([2, 0])),), T(SRC[:2])),
    "index_put_accumulate_repeats": lambda L, T: T(A).index_put(
        (T(ROWS), T(_i([1, 1, -3]))), T(SRC[0, :3]), accumulate=True
    ),
    "index_put_ints_accumulate": lambda L, T: T(INTS).index_put((T(ROWS),), T(INTS[:1]), True),
    "index_put_bools_accumulate": lambda L, T: T(MASK).index_put(
        (T(_i([0, 0])),), T(np.array(True)), accumulate=True
    ),
    "index_put_bool_mask": lambda L, T: T(A).index_put((T(MASK),), T(np.float32(7.0))),
    "index_put_bool_rows": lambda L, T: T(A).index_put((T(MASK[:, 0]),), T(SRC[0])),
    "index_put_int32_index": lambda L, T: T(A).index_put(
        (T(np.array([1, 2], np.int32)),), T(SRC[:1])
    ),
    "index_put_broadcast_indices": lambda L, T: T(A).index_put(
        (T(_i([[0], [2]])), T(_i([1, 3]))), T(np.float32(-1.0)), accumulate=True
    ),
    "index_put_empty_index": lambda L, T: T(A).index_put((T(_i([])),), T(SRC[0])),
    "index_put_into_empty": lambda L, T: T(EMPTY).index_put((T(_i([])),), T(SRC[0])),
    "index_put_nan_values": lambda L, T: T(A).index_put((T(_i([1])),), T(A[:1])),
    "index_put_refuses_other_dtype": lambda L, T: T(A).index_put(
        (T(_i([0])),), T(SRC[:1].astype(np.float64))
    ),
    "index_put_refuses_float_index": lambda L, T: T(A).index_put((T(np.array([0.0])),), T(SRC[0])),
    "index_put_refuses_out_of_range": lambda L, T: T(A).index_put((T(_i([0, 3])),), T(SRC[0])),
    "index_put_refuses_too_many": lambda L, T: T(A).index_put(
        (T(_i([0])), T(_i([0])), T(_i([0]))), T(SRC[0, :1])
    ),
    "index_put_refuses_value_shape": lambda L, T: T(A).index_put((T(_i([0, 1])),), T(SRC[0, :3])),
    "index_put_refuses_extra_value_dims": lambda L, T: T(A).index_put(
        (T(_i([0, 1])),), T(SRC[None, :2])
    ),
    "index_put_refuses_unbroadcastable_indices": lambda L, T: T(A).index_put(
        (T(_i([0, 1])), T(_i([0, 1, 2]))), T(SRC[0, :1])
    ),
    "index_put_refuses_tensor_indices": lambda L, T: L.index_put(T(A), T(_i([0])), T(SRC[0])),
    "index_put_refuses_number_value": lambda L, T: L.index_put(T(A), (T(_i([0])),), 1.0),
    "index_put_in_place_returns_itself": lambda L, T: _after(
        T(A), lambda t: t.index_put_((T(_i([1, 1])),), T(SRC[:2]), accumulate=True)
    ),
    "torch_index_put_in_place": lambda L, T: _after(
        T(INTS), lambda t: L.index_put_(t, (T(_i([0])), T(_i([-1]))), T(np.array(9)))
    ),
    # ---- masked_scatter
    "masked_scatter": lambda L, T: T(A).masked_scatter(T(MASK), T(SRC)),
    "masked_scatter_ints": lambda L, T: L.masked_scatter(T(INTS), T(MASK), T(INTS[::-1].copy())),
    "masked_scatter_broadcast_mask": lambda L, T: T(A).masked_scatter(T(MASK[0]), T(SRC)),
    "masked_scatter_broadcast_input": lambda L, T: T(A[0]).masked_scatter(T(MASK), T(SRC)),
    "masked_scatter_zero_dim": lambda L, T: T(np.float32(1.0)).masked_scatter(
        T(np.array(True)), T(SRC)
    ),
    "masked_scatter_empty": lambda L, T: T(EMPTY).masked_scatter(
        T(np.zeros((0, 4), bool)), T(SRC[:0])
    ),
    "masked_scatter_refuses_few_source": lambda L, T: T(A).masked_scatter(T(MASK), T(SRC[0])),
    "masked_scatter_refuses_int_mask": lambda L, T: T(A).masked_scatter(
        T(MASK.astype(np.int64)), T(SRC)
    ),
    "masked_scatter_refuses_byte_mask": lambda L, T: T(A).masked_scatter(
        T(MASK.astype(np.uint8)), T(SRC)
    ),
    "masked_scatter_refuses_other_dtype": lambda L, T: T(A).masked_scatter(
        T(MASK), T(SRC.astype(np.float64))
    ),
    "masked_scatter_refuses_number": lambda L, T: L.masked_scatter(T(A), T(MASK), 1.0),
    "masked_scatter_refuses_mask_shape": lambda L, T: T(A).masked_scatter(T(MASK[:2]), T(SRC)),
    "masked_scatter_in_place": lambda L, T: _after(
        T(A), lambda t: t.masked_scatter_(T(MASK[1]), T(SRC))
    ),
    "masked_scatter_in_place_refuses_larger_mask": lambda L, T: T(A[0]).masked_scatter_(
        T(MASK), T(SRC)
    ),
    # ---- put
    "put": lambda L, T: T(A).put(T(_i([[0, -1], [5, 6]])), T(SRC[:2, :2])),
    "put_accumulate_repeats": lambda L, T: L.put(
        T(INTS), T(_i([3, 3, -9])), T(_i([1, 2, 4])), True
    ),
    "put_zero_dim": lambda L, T: T(np.float32(2.0)).put(T(_i([0, -1])), T(SRC[0, :2]), True),
    "put_nothing_into_empty": lambda L, T: T(EMPTY).put(T(_i([])), T(SRC[:0])),
    "put_refuses_into_empty": lambda L, T: T(EMPTY).put(T(_i([0])), T(SRC[0, :1])),
    "put_refuses_out_of_range": lambda L, T: T(A).put(T(_i([0, 12])), T(SRC[0, :2])),
    "put_refuses_negative_out_of_range": lambda L, T: T(A).put(T(_i([-13])), T(SRC[0, :1])),
    "put_refuses_counts": lambda L, T: T(A).put(T(_i([0, 1])), T(SRC[0, :3])),
    "put_refuses_int32_index": lambda L, T: T(A).put(T(np.array([0], np.int32)), T(SRC[0, :1])),
    "put_refuses_other_dtype": lambda L, T: T(A).put(T(_i([0])), T(_i([1]))),
    "put_refuses_list_index": lambda L, T: L.put(T(A), [0], T(SRC[0, :1])),
    "put_in_place": lambda L, T: _after(
        T(INTS), lambda t: t.put_(T(_i([0, 0])), T(_i([5, 6])), True)
    ),
    # ---- scatter_reduce, index_reduce, scatter(reduce=)
    **_reductions("scatter", np.float32),
    **_reductions("scatter", np.int64),
    **_reductions("index", np.float32),
    **_reductions("index", np.int64),
    "scatter_reduce_uint8_mean": lambda L, T: T(np.array([[1, 2, 3]], np.uint8)).scatter_reduce(
        1, T(_i([[0, 0]])), T(np.array([[4, 5]], np.uint8)), "mean", include_self=False
    ),
    "scatter_reduce_bool_amax": lambda L, T: T(MASK).scatter_reduce(
        1, T(INDEX), T(MASK[:, :3]), "amax"
    ),
    "scatter_reduce_bool_prod": lambda L, T: T(MASK).scatter_reduce(
        1, T(INDEX), T(~MASK[:, :3]), "prod", include_self=False
    ),
    "scatter_reduce_bool_mean_refused": lambda L, T: T(MASK).scatter_reduce(
        1, T(INDEX), T(MASK[:, :3]), "mean"
    ),
    "index_reduce_bool_mean_refused": lambda L, T: T(MASK).index_reduce(
        0, T(ROWS), T(MASK), "mean"
    ),
    "scatter_reduce_max_alias": lambda L, T: T(A).scatter_reduce(1, T(INDEX), T(SRC[:, :3]), "max"),
    "scatter_reduce_smaller_index": lambda L, T: L.scatter_reduce(
        T(A), 0, T(_i([[2, 0]])), T(SRC), "amin", include_self=False
    ),
    "scatter_reduce_zero_dim": lambda L, T: T(np.float32(2.0)).scatter_reduce(
        0, T(np.array(0)), T(np.float32(3.0)), "prod"
    ),
    "scatter_reduce_empty_index": lambda L, T: T(A).scatter_reduce(
        1, T(np.zeros((3, 0), np.int64)), T(SRC[:, :0]), "mean", include_self=False
    ),
    "scatter_reduce_refuses_name": lambda L, T: T(A).scatter_reduce(1, T(INDEX), T(SRC), "add"),
    "scatter_reduce_refuses_out_of_range": lambda L, T: T(A).scatter_reduce(
        1, T(INDEX + 2), T(SRC), "amax"
    ),
    "scatter_reduce_refuses_other_dtype": lambda L, T: T(A).scatter_reduce(
        1, T(INDEX), T(SRC.astype(np.float64)), "sum"
    ),
    "scatter_reduce_refuses_float_index": lambda L, T: T(A).scatter_reduce(
        1, T(INDEX.astype(np.float32)), T(SRC), "sum"
    ),
    "scatter_reduce_refuses_number": lambda L, T: T(A).scatter_reduce(1, T(INDEX), 1.0, "sum"),
    "scatter_reduce_in_place": lambda L, T: _after(
        T(INTS), lambda t: t.scatter_reduce_(1, T(INDEX), T(INTS[:, :3]), "amin")
    ),
    "index_reduce_negative_index_refused": lambda L, T: T(A).index_reduce(
        0, T(_i([0, -1, 1])), T(SRC), "amax"
    ),
    "index_reduce_refuses_name": lambda L, T: T(A).index_reduce(0, T(ROWS), T(SRC), "sum"),
    "index_reduce_refuses_float_index": lambda L, T: T(A).index_reduce(
        0, T(ROWS.astype(np.float32)), T(SRC), "amax"
    ),
    "index_reduce_refuses_matrix_index": lambda L, T: T(A).index_reduce(
        0, T(ROWS[None]), T(SRC), "amax"
    ),
    "index_reduce_refuses_counts": lambda L, T: T(A).index_reduce(0, T(ROWS[:2]), T(SRC), "amax"),
    "index_reduce_refuses_other_dtype": lambda L, T: T(A).index_reduce(
        0, T(ROWS), T(SRC.astype(np.float64)), "amax"
    ),
    "index_reduce_refuses_slice_shape": lambda L, T: T(A).index_reduce(
        0, T(ROWS), T(SRC[:, :3]), "amax"
    ),
    "index_reduce_zero_dim": lambda L, T: T(np.float32(2.0)).index_reduce(
        0, T(_i([0, 0])), T(SRC[0, :2]), "prod"
    ),
    "index_reduce_in_place": lambda L, T: _after(
        T(A), lambda t: t.index_reduce_(1, T(_i([3, 3])), T(SRC[:, :2]), "mean", include_self=False)
    ),
    "scatter_reduce_add": lambda L, T: L.scatter(T(A), 1, T(INDEX), T(SRC), reduce="add"),
    "scatter_multiply_value": lambda L, T: T(INTS).scatter(1, T(INDEX), 3, reduce="multiply"),
    "scatter_refuses_reduce_name": lambda L, T: T(A).scatter(1, T(INDEX), T(SRC), reduce="sum"),
    "scatter_in_place_reduce": lambda L, T: _after(
        T(A), lambda t: t.scatter_(1, T(INDEX), 2.0, reduce="add")
    ),
    # ---- select_scatter, slice_scatter, diagonal_scatter
    "select_scatter": lambda L, T: L.select_scatter(T(A), T(SRC[0]), 0, -1),
    "select_scatter_casts_src": lambda L, T: T(A).select_scatter(T(INTS[:, 0]), 1, 2),
    "select_scatter_refuses_index": lambda L, T: L.select_scatter(T(A), T(SRC[0]), 0, 3),
    "select_scatter_refuses_dim": lambda L, T: L.select_scatter(T(A), T(SRC[0]), 2, 0),
    "select_scatter_refuses_shape": lambda L, T: L.select_scatter(T(A), T(SRC[0, :3]), 0, 0),
    "select_scatter_refuses_number": lambda L, T: L.select_scatter(T(A), 1.0, 0, 0),
    "slice_scatter": lambda L, T: L.slice_scatter(T(A), T(SRC[:, :2]), 1, 1, None, 2),
    "slice_scatter_defaults": lambda L, T: T(A).slice_scatter(T(SRC)),
    "slice_scatter_negative_start": lambda L, T: T(INTS).slice_scatter(T(INTS[:2]), 0, -2),
    "slice_scatter_empty_slice": lambda L, T: T(A).slice_scatter(T(SRC[:0]), 0, 5, 9),
    "slice_scatter_refuses_step": lambda L, T: T(A).slice_scatter(T(SRC[:, :2]), 1, 0, 4, 0),
    "slice_scatter_refuses_shape": lambda L, T: T(A).slice_scatter(T(SRC[:, :1]), 1, 1, 3),
    "diagonal_scatter": lambda L, T: L.diagonal_scatter(T(A), T(SRC[0, :3])),
    "diagonal_scatter_offset_dims": lambda L, T: T(A).diagonal_scatter(T(SRC[0, :2]), -1, 1, 0),
    "diagonal_scatter_cube": lambda L, T: L.diagonal_scatter(
        T(np.zeros((2, 3, 4), np.float32)), T(SRC[:2, :3].T.copy()), 0, 0, 1
    ),
    "diagonal_scatter_refuses_same_dims": lambda L, T: T(A).diagonal_scatter(T(SRC[0]), 0, 1, 1),
    "diagonal_scatter_refuses_shape": lambda L, T: T(A).diagonal_scatter(T(SRC[0]), 1),
}


def _after(t: Any, change: Callable[[Any], Any]) -> tuple[Any, Any, int]:
    """What an in-place call returns (itself), the tensor after it, and its version."""
    out = change(t)
    return out is t, t, t._version


@pytest.mark.parametrize("name", CASES)
def test_same_result_as_torch(name: str) -> None:
    expected = plain(run(CASES[name], torch))
    assert plain(run(CASES[name], chainrule)) == expected


def _gradients(lib: Any, fn: Callable[..., Any], *arrays: np.ndarray) -> list[Any]:
    """``fn``'s value and the gradients of its float64 inputs for a fixed cotangent."""
    inputs = [lib.tensor(a, dtype=lib.float64, requires_grad=True) for a in arrays]
    out = fn(lib, *inputs)
    weights = lib.arange(1.0, out.numel() + 1.0, dtype=lib.float64).reshape(out.shape)
    (out * weights).sum().backward()
    return [out.detach().numpy()] + [t.grad.numpy() for t in inputs]


# Exact zeros and ties, where the gradient is PyTorch's choice: row 0's place 0 takes two
# zero sources, place 2 is a zero itself and takes one; row 1 has ties of its own value.
ZEROS_X = np.array([[1.5, -2.0, 0.0, 3.0], [2.0, 2.0, -1.0, 0.5]])
ZEROS_SRC = np.array([[0.0, 0.0, 0.0, 4.0], [2.0, 2.0, 2.0, -1.0]])
ZEROS_INDEX = [[0, 0, 2, 1], [0, 1, 1, 3]]
TIE_CASES: dict[str, Callable[..., Any]] = {
    **{
        f"{reduce}_{'with' if include_self else 'without'}_self": (
            lambda L, x, s, r=reduce, i=include_self: x.scatter_reduce(
                1, L.tensor(ZEROS_INDEX), s, r, include_self=i
            )
        )
        for reduce in ("prod", "amax", "amin", "mean")
        for include_self in (True, False)
    },
    "index_reduce_amax_ties": lambda L, x, s: x.index_reduce(
        1, L.tensor([0, 0, 1, 1]), s, "amax", include_self=False
    ),
}


@pytest.mark.parametrize("name", TIE_CASES)
def test_gradients_at_zeros_and_ties_are_pytorchs(name: str) -> None:
    """Products with zeros (PyTorch's product of the other factors) and tied extremes
    (PyTorch's even shares, counting a tied own value even where it is excluded)."""
    fn = TIE_CASES[name]
    ours = _gradients(chainrule, fn, ZEROS_X, ZEROS_SRC)
    theirs = _gradients(torch, fn, ZEROS_X, ZEROS_SRC)
    for mine, expected in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(mine, expected, rtol=1e-15, atol=0)


WRITES_THROUGH_A_VIEW: dict[str, Callable[[Any, Any, Any], Any]] = {
    "index_put_": lambda L, row, v: row.index_put_((L.tensor([0, 0, 3]),), v[:3], accumulate=True),
    "masked_scatter_": lambda L, row, v: row.masked_scatter_(
        L.tensor([True, False, True, True]), v
    ),
    "put_": lambda L, row, v: row.put_(L.tensor([-1, 1]), v[:2]),
    "scatter_reduce_": lambda L, row, v: row.scatter_reduce_(0, L.tensor([2, 2, 0]), v[:3], "prod"),
    "index_reduce_": lambda L, row, v: row.index_reduce_(0, L.tensor([1, 1]), v[:2], "amax"),
}


@pytest.mark.parametrize("name", WRITES_THROUGH_A_VIEW)
def test_in_place_write_through_a_view_as_pytorch(name: str) -> None:
    """``y = x.clone(); y[1].op_(...)``: the base changes, base and view count one version
    more, and the gradients through the rewritten history are PyTorch's."""
    results = []
    for lib in (torch, chainrule):
        x = lib.tensor(A.astype(np.float64).clip(-3, 3), requires_grad=True)
        v = lib.tensor(SRC[0].astype(np.float64) / 10, requires_grad=True)
        y = x.clone()
        row = y[1]
        before = (y._version, row._version)
        assert WRITES_THROUGH_A_VIEW[name](lib, row, v) is row
        versions = (y._version - before[0], row._version - before[1])
        (y * lib.arange(12.0, dtype=lib.float64).reshape(3, 4)).sum().backward()
        results.append((versions, y.detach().numpy(), x.grad.numpy(), v.grad.numpy()))
    (t_versions, *expected), (versions, *ours) = results
    assert versions == t_versions == (1, 1)
    for mine, theirs in zip(ours, expected, strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-15, atol=0)


def test_in_place_write_of_a_saved_tensor_is_caught_at_backward() -> None:
    """A value that exp saved, changed by index_put_ before backward: PyTorch's error."""
    x = chainrule.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    y.index_put_((chainrule.tensor([0]),), chainrule.tensor([0.0]))
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_in_place_write_into_a_leaf_is_refused() -> None:
    x = chainrule.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        x.put_(chainrule.tensor([0]), chainrule.tensor([1.0]))


def test_scatter_with_a_reduce_of_a_tensor_warns_as_pytorch() -> None:
    with pytest.warns(UserWarning, match="The reduce argument of chainrule.scatter with Tensor"):
        chainrule.zeros(3).scatter(0, chainrule.tensor([1]), chainrule.ones(1), reduce="add")


def test_grad_fn_names_are_pytorchs() -> None:
    x = chainrule.zeros(2, 3, requires_grad=True)
    index = chainrule.tensor([[0, 0]])
    names = [
        x.index_put((chainrule.tensor([1]),), chainrule.ones(3)),
        x.masked_scatter(chainrule.tensor([True, False, True]), chainrule.ones(4)),
        x.put(chainrule.tensor([1]), chainrule.ones(1)),
        x.scatter_reduce(1, index, chainrule.ones(1, 2), "amax"),
        x.index_reduce(1, chainrule.tensor([0]), chainrule.ones(2, 1), "mean"),
        x.select_scatter(chainrule.ones(3), 0, 0),
        x.slice_scatter(chainrule.ones(2, 1), 1, 2),
        x.diagonal_scatter(chainrule.ones(2)),
    ]
    assert [t.grad_fn.name() for t in names] == [
        "IndexPutBackward0",
        "MaskedScatterBackward0",
        "PutBackward0",
        "ScatterReduceBackward0",
        "IndexReduceBackward0",
        "SelectScatterBackward0",
        "SliceScatterBackward0",
        "DiagonalScatterBackward0",
    ]


SNIPPETS: dict[str, str] = {
    "index_put_docs": """
        import torch
        x = torch.zeros(3, 4)
        rows, cols = torch.tensor([0, 2, 0]), torch.tensor([1, 3, 1])
        print(x.index_put((rows, cols), torch.tensor([1.0, 2.0, 3.0])))
        print(x.index_put((rows, cols), torch.tensor([1.0, 2.0, 3.0]), accumulate=True))
        x.index_put_((torch.tensor([True, False, True]),), torch.tensor(7.0))
        print(x)
        error(lambda: x.index_put((rows,), torch.ones(3)))
    """,
    "masked_scatter_docs": """
        import torch
        self = torch.tensor([[0, 0, 0, 0, 0], [0, 0, 0, 0, 0]])
        mask = torch.tensor([[0, 0, 0, 1, 1], [1, 1, 0, 1, 1]], dtype=torch.bool)
        source = torch.tensor([[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]])
        print(self.masked_scatter_(mask, source))
        print(torch.masked_scatter(torch.zeros(5), mask, source.float()))
        error(lambda: self.masked_scatter(mask, source[:1, :3]))
    """,
    "put_docs": """
        import torch
        src = torch.tensor([[4, 3, 5], [6, 7, 8]])
        print(src.put_(torch.tensor([1, 3]), torch.tensor([9, 10])))
        print(src.put(torch.tensor([0, 0, -1]), torch.tensor([1, 1, 1]), accumulate=True))
        error(lambda: src.put(torch.tensor([6]), torch.tensor([1])))
    """,
    "scatter_reduce_docs": """
        import torch
        src = torch.tensor([1., 2., 3., 4., 5., 6.])
        index = torch.tensor([0, 1, 0, 1, 2, 1])
        input = torch.tensor([1., 2., 3., 4.])
        print(input.scatter_reduce(0, index, src, reduce="sum"))
        print(input.scatter_reduce(0, index, src, reduce="sum", include_self=False))
        input2 = torch.tensor([5., 4., 3., 2.])
        print(input2.scatter_reduce(0, index, src, reduce="amax"))
        print(input2.scatter_reduce(0, index, src, reduce="amax", include_self=False))
        print(input.scatter_reduce(0, index, src, reduce="mean").round(decimals=4))
        print(torch.zeros(2, 4).scatter(1, torch.tensor([[2], [3]]), 1.23, reduce="multiply"))
        print(torch.ones(2, 4).scatter(1, torch.tensor([[2], [3]]), 1.23, reduce="add"))
    """,
    "segment_max_with_gradient": """
        import torch
        scores = torch.tensor([0.3, 2.0, -1.0, 2.0, 0.5], requires_grad=True)
        segment = torch.tensor([0, 0, 1, 0, 1])
        best = torch.full((2,), float("-inf")).scatter_reduce(0, segment, scores, "amax")
        (best * torch.tensor([1.0, 10.0])).sum().backward()
        print(best, scores.grad)
    """,
    "index_reduce_docs": """
        import torch
        x = torch.empty(5, 3).fill_(2)
        t = torch.tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12]], dtype=torch.float)
        index = torch.tensor([0, 4, 2, 0])
        print(x.index_reduce_(0, index, t, 'prod'))
        x = torch.empty(5, 3).fill_(2)
        print(x.index_reduce_(0, index, t, 'prod', include_self=False))
        print(x.index_reduce(0, index, t, 'mean'))
    """,
    "embeddings_docs": """
        import torch
        a = torch.zeros(2, 2)
        b = torch.ones(2)
        print(a.select_scatter(b, 0, 0))
        a = torch.zeros(8, 8)
        b = torch.ones(2, 8)
        print(a.slice_scatter(b, start=6))
        b = torch.ones(8, 2)
        print(a.slice_scatter(b, dim=1, start=2, end=6, step=2))
        a = torch.zeros(3, 3)
        print(torch.diagonal_scatter(a, torch.ones(3), 0))
        print(torch.diagonal_scatter(a, torch.ones(2), 1))
        error(lambda: torch.select_scatter(a, torch.ones(2), 0, 0))
    """,
}


@pytest.mark.filterwarnings("ignore::UserWarning")  # PyTorch's "index_reduce is in beta"
@pytest.mark.parametrize("name", SNIPPETS)
def test_snippet_prints_what_pytorch_prints(name: str) -> None:
    source = SNIPPETS[name]
    expected = run_snippet(source).replace("torch", "chainrule")
    assert run_snippet(source.replace("torch", "chainrule")) == expected


VMAPPED: dict[str, Callable[[Any, Any, Any], Any]] = {
    "scatter_reduce": lambda L, a, b: a.scatter_reduce(1, L.tensor(INDEX), b[:, :3], "amax"),
    "scatter_add": lambda L, a, b: L.scatter_add(a, 1, L.tensor(INDEX), b[:, :3]),
    "index_reduce": lambda L, a, b: a.index_reduce(0, L.tensor(ROWS), b, "mean"),
    "index_add": lambda L, a, b: a.index_add(0, L.tensor(ROWS), b),
    "index_put": lambda L, a, b: a.index_put((L.tensor(ROWS),), b, accumulate=True),
    "masked_scatter": lambda L, a, b: a.masked_scatter(L.tensor(MASK), b),
    "put": lambda L, a, b: a.put(L.tensor([[5, -1]]), b[0, :2]),
    "diagonal_scatter": lambda L, a, b: a.diagonal_scatter(b[0, :2], 1, 1, 0),
    "scatter_reduce_in_place": lambda L, a, b: a.clone().scatter_reduce_(
        1, L.tensor(INDEX), b[:, :3], "prod", include_self=False
    ),
}


@pytest.mark.parametrize("name", VMAPPED)
def test_vmap_runs_the_batching_rules_as_torch_func(name: str) -> None:
    """The batch goes through each op's batching rule (no per-example loop, whose warning
    is an error here), and the values are torch.func.vmap's."""
    x = RNG.standard_normal((2, 3, 4))
    s = RNG.standard_normal((2, 3, 4))
    fn = VMAPPED[name]
    expected = torch.func.vmap(lambda a, b: fn(torch, a, b))(torch.tensor(x), torch.tensor(s))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = chainrule.func.vmap(lambda a, b: fn(chainrule, a, b))(
            chainrule.tensor(x), chainrule.tensor(s)
        )
    np.testing.assert_allclose(ours.numpy(), expected.numpy(), rtol=1e-15, atol=0)
