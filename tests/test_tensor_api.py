"""The Tensor API as PyTorch users know it: dtype inference, factories, attributes, conversion,
printing, reductions with indices, comparisons, and clear shape errors."""

import warnings
from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr

# ------------------------------------------------------------------ dtype inference


@pytest.mark.parametrize(
    ("make", "dtype"),
    [
        (lambda: cr.tensor(1.5), cr.float32),
        (lambda: cr.tensor([1.0, 2.0]), cr.float32),
        (lambda: cr.tensor([1, 2]), cr.int64),
        (lambda: cr.tensor([True, False]), cr.bool),
        (lambda: cr.tensor([1, 2.5]), cr.float32),
        (lambda: cr.tensor([[1, 2], [3, 4]]), cr.int64),
        (lambda: cr.tensor(np.array([1.0])), cr.float64),  # NumPy arrays keep their dtype
        (lambda: cr.tensor(np.array([1], dtype=np.int32)), cr.int32),
        (lambda: cr.tensor(np.array([1.0], dtype=np.float16)), cr.float16),
        (lambda: cr.tensor([1, 2], dtype=cr.float64), cr.float64),
        (lambda: cr.tensor(2) * 1.5, cr.float32),
        (lambda: cr.tensor([1.0]) * 2.5, cr.float32),  # a Python float keeps float32
        (lambda: cr.tensor([1, 2]) * 1.5, cr.float32),  # int tensor * float: float32
        (lambda: cr.tensor([1, 2]) / cr.tensor([2, 2]), cr.float32),  # true division
        (lambda: cr.tensor(3) / 2, cr.float32),
        (lambda: cr.tensor([1, 2]) * 2, cr.int64),
        (lambda: cr.tensor([1, 2]) + cr.tensor([True, False]), cr.int64),
        (lambda: cr.tensor([1, 2]) * cr.tensor([1.5, 2.0]), cr.float32),
        (lambda: cr.tensor([1.0]) + cr.tensor([1.0], dtype=cr.float64), cr.float64),
        (lambda: cr.tensor([1.0]) * cr.tensor(2.0, dtype=cr.float64), cr.float32),  # 0-d
        (lambda: cr.tensor([1, 2]) * cr.tensor(2.0, dtype=cr.float64), cr.float64),
        (lambda: cr.tensor([1.0]) * np.float64(2.0), cr.float32),  # NumPy scalar: a number
        (lambda: cr.tensor([1.0, 2.0], dtype=cr.float16) * np.float64(2), cr.float16),
        (lambda: cr.tensor([1]).exp(), cr.float32),
        (lambda: cr.tensor([4]).sqrt(), cr.float32),
        (lambda: cr.tensor([2]) ** 2, cr.int64),
        (lambda: 2.0 ** cr.tensor([1, 2]), cr.float32),
        (lambda: cr.tensor([1, 2]).sum(), cr.int64),
        (lambda: cr.tensor([True, True]).sum(), cr.int64),
        (lambda: cr.tensor([True]).float(), cr.float32),
    ],
)
def test_dtype_inference_follows_pytorch(make, dtype):
    assert make().dtype == dtype


def test_dtype_inference_agrees_with_pytorch_on_mixed_expressions():
    cases = [
        lambda lib: lib.tensor([1, 2]) * 1.5,
        lambda lib: lib.tensor([1, 2], dtype=lib.int32) * 1.5,
        lambda lib: lib.tensor([1, 2]) / lib.tensor([3, 4]),
        lambda lib: lib.tensor([1.0]) * lib.tensor(2.0, dtype=lib.float64),
        lambda lib: lib.tensor([1]) * lib.tensor(2.0, dtype=lib.float64),
        lambda lib: lib.tensor(1.0, dtype=lib.float64) * lib.tensor(2.0),
        lambda lib: np.float64(2) * lib.tensor([1.0, 2.0]),
        lambda lib: lib.tensor([1.0]) + np.float32(1),
        lambda lib: lib.tensor([1, 2]) + True,
        lambda lib: 2 ** lib.tensor([1, 2]),
        lambda lib: lib.tensor([1, 2]) ** 0.5,
    ]
    for case in cases:
        assert str(case(cr).dtype) == str(case(torch).dtype).replace("torch", "chainrule")


# ------------------------------------------------------------------ factories


def test_tensor_copies_and_as_tensor_and_from_numpy_share():
    array = np.ones(3)
    assert not np.shares_memory(cr.tensor(array).numpy(), array)
    assert np.shares_memory(cr.as_tensor(array).numpy(), array)
    shared = cr.from_numpy(array)
    array[0] = 5.0
    assert shared.tolist() == [5.0, 1.0, 1.0]
    with pytest.raises(TypeError, match="expected np.ndarray"):
        cr.from_numpy([1.0, 2.0])


def test_as_tensor_returns_the_same_tensor_when_nothing_changes():
    t = cr.tensor([1.0])
    assert cr.as_tensor(t) is t
    assert cr.as_tensor(t, dtype=cr.float64).dtype == cr.float64


@pytest.mark.parametrize(
    ("make", "values", "dtype"),
    [
        (lambda: cr.zeros(2, 3), [[0.0] * 3] * 2, cr.float32),
        (lambda: cr.zeros((2, 3)), [[0.0] * 3] * 2, cr.float32),
        (lambda: cr.ones([2]), [1.0, 1.0], cr.float32),
        (lambda: cr.ones(2, dtype=cr.int64), [1, 1], cr.int64),
        (lambda: cr.full((2,), 3), [3, 3], cr.int64),
        (lambda: cr.full((2,), 3.0), [3.0, 3.0], cr.float32),
        (lambda: cr.full((2,), True), [True, True], cr.bool),
        (lambda: cr.empty(2, 2), [[0.0, 0.0], [0.0, 0.0]], cr.float32),  # zeros here
        (lambda: cr.arange(5), [0, 1, 2, 3, 4], cr.int64),
        (lambda: cr.arange(1, 2, 0.25), [1.0, 1.25, 1.5, 1.75], cr.float32),
        (lambda: cr.arange(5, 0, -2), [5, 3, 1], cr.int64),
        (lambda: cr.arange(3.0), [0.0, 1.0, 2.0], cr.float32),
        (lambda: cr.linspace(0, 1, 5), [0.0, 0.25, 0.5, 0.75, 1.0], cr.float32),
        (lambda: cr.eye(2, 3), [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], cr.float32),
        (lambda: cr.eye(2), [[1.0, 0.0], [0.0, 1.0]], cr.float32),
        (lambda: cr.zeros_like(cr.tensor([1, 2])), [0, 0], cr.int64),
        (lambda: cr.ones_like(cr.tensor([1.0, 2.0])), [1.0, 1.0], cr.float32),
        (lambda: cr.full_like(cr.tensor([1.0, 2.0]), 7), [7.0, 7.0], cr.float32),
        (lambda: cr.full_like(cr.tensor([1, 2]), 7), [7, 7], cr.int64),
        (lambda: cr.empty_like(cr.tensor([1.0])), [0.0], cr.float32),
    ],
)
def test_factories_make_pytorchs_values_and_dtypes(make, values, dtype):
    t = make()
    assert t.tolist() == values
    assert t.dtype == dtype


def test_arange_length_matches_pytorch_for_float_steps():
    assert cr.arange(0, 1, 0.1).shape == (10,)
    assert cr.arange(0, 0.3, 0.1).shape == (3,)


@pytest.mark.parametrize(
    ("make", "shape", "dtype"),
    [
        (lambda: cr.rand(2, 3), (2, 3), cr.float32),
        (lambda: cr.randn(4), (4,), cr.float32),
        (lambda: cr.randn(2, 2, dtype=cr.float64), (2, 2), cr.float64),
        (lambda: cr.randint(0, 10, (3,)), (3,), cr.int64),
        (lambda: cr.randint(5, (2, 2)), (2, 2), cr.int64),
        (lambda: cr.randperm(6), (6,), cr.int64),
        (lambda: cr.rand_like(cr.zeros(3)), (3,), cr.float32),
        (lambda: cr.randn_like(cr.zeros(2, 1)), (2, 1), cr.float32),
        (lambda: cr.randint_like(cr.zeros(2, 1), 10), (2, 1), cr.float32),
        (lambda: cr.randint_like(cr.zeros(3, dtype=cr.int64), 2, 5), (3,), cr.int64),
    ],
)
def test_random_factories_shapes_and_dtypes(make, shape, dtype):
    t = make()
    assert t.shape == shape and t.dtype == dtype


def test_random_values_lie_in_their_ranges():
    cr.manual_seed(1)
    u = cr.rand(1000)
    assert u.min().item() >= 0.0 and u.max().item() < 1.0
    ints = cr.randint(3, 7, (1000,))
    assert set(ints.tolist()) == {3, 4, 5, 6}
    assert set(cr.randint_like(ints, 3, 7).tolist()) == {3, 4, 5, 6}
    assert sorted(cr.randperm(10).tolist()) == list(range(10))
    n = cr.randn(10_000)
    assert abs(n.mean().item()) < 0.05 and abs(n.std().item() - 1) < 0.05


@pytest.mark.parametrize(
    "make", [lambda: cr.rand(3), lambda: cr.randn(2, 2), lambda: cr.randint(0, 100, (5,))]
)
def test_manual_seed_makes_random_factories_reproducible(make):
    cr.manual_seed(123)
    first = make().tolist()
    cr.manual_seed(123)
    assert make().tolist() == first
    assert make().tolist() != first  # the stream moves on


def test_factory_requires_grad():
    t = cr.zeros(2, requires_grad=True)
    assert t.requires_grad and t.is_leaf
    assert cr.tensor([1.0], requires_grad=True).requires_grad


# ------------------------------------------------------------------ attributes


def test_shape_size_ndim_numel():
    t = cr.zeros(2, 3)
    assert t.shape == (2, 3) and t.size() == (2, 3)
    assert t.size(1) == 3 and t.size(-1) == 3
    assert t.ndim == 2 and t.dim() == 2
    assert t.numel() == 6
    assert repr(t.shape) == "chainrule.Size([2, 3])"
    assert t.shape.numel() == 6


def test_transpose_attribute_and_tolist_item():
    t = cr.arange(6).reshape(2, 3)
    assert t.T.tolist() == [[0, 3], [1, 4], [2, 5]]
    assert cr.tensor([2.5]).item() == 2.5
    assert isinstance(cr.tensor(3).item(), int)
    assert cr.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]


def test_item_of_many_elements_raises():
    with pytest.raises(
        RuntimeError, match="a Tensor with 2 elements cannot be converted to Scalar"
    ):
        cr.tensor([1.0, 2.0]).item()


def test_numpy_and_array_protocol():
    t = cr.tensor([1.0, 2.0])
    assert isinstance(t.numpy(), np.ndarray)
    assert np.shares_memory(t.numpy(), np.asarray(t))
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    with pytest.raises(RuntimeError, match="Use tensor.detach"):
        cr.tensor([1.0], requires_grad=True).numpy()


def test_len_and_iteration_go_over_the_first_dimension():
    t = cr.tensor([[1, 2], [3, 4], [5, 6]])
    assert len(t) == 3
    rows = list(t)
    assert [r.tolist() for r in rows] == [[1, 2], [3, 4], [5, 6]]
    assert all(isinstance(r, cr.Tensor) for r in rows)
    with pytest.raises(TypeError, match="0-d"):
        len(cr.tensor(1.0))
    with pytest.raises(TypeError, match="0-d"):
        iter(cr.tensor(1.0))


def test_iteration_keeps_the_graph():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    total = sum(v * v for v in x)
    total.backward()
    assert x.grad.tolist() == [2.0, 4.0]


def test_python_number_conversions():
    assert float(cr.tensor([2.5])) == 2.5
    assert int(cr.tensor(3)) == 3
    assert bool(cr.tensor([1.0])) is True
    assert [10, 20, 30][cr.tensor(1)] == 20  # __index__
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(cr.tensor([1.0, 2.0]))


@pytest.mark.parametrize(
    ("convert", "values", "dtype"),
    [
        (lambda t: t.to(cr.int64), [1, -1], cr.int64),
        (lambda t: t.long(), [1, -1], cr.int64),  # truncation toward zero
        (lambda t: t.int(), [1, -1], cr.int32),
        (lambda t: t.double(), [1.5, -1.75], cr.float64),
        (lambda t: t.to(dtype=cr.float64), [1.5, -1.75], cr.float64),
        (lambda t: t.to(cr.tensor([1], dtype=cr.int64)), [1, -1], cr.int64),
        (lambda t: t.to("cpu"), [1.5, -1.75], cr.float32),
        (lambda t: t.float(), [1.5, -1.75], cr.float32),
        (lambda t: t.bool(), [True, True], cr.bool),
    ],
)
def test_dtype_conversions(convert, values, dtype):
    t = convert(cr.tensor([1.5, -1.75]))
    assert t.tolist() == values and t.dtype == dtype


def test_to_same_dtype_returns_self_and_to_other_device_raises():
    t = cr.tensor([1.0])
    assert t.to(cr.float32) is t and t.float() is t
    with pytest.raises(AssertionError, match="not compiled with CUDA"):
        t.to("cuda")


def test_dtype_conversion_is_differentiable():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    (x.double() * 3).sum().backward()
    assert x.grad.dtype == cr.float32
    assert x.grad.tolist() == [3.0, 3.0]


# ------------------------------------------------------------------ printing

REPRS = [
    (lambda lib: lib.tensor([10.0]), "tensor([10.])"),
    (
        lambda lib: lib.tensor([1.0, 2.0], requires_grad=True),
        "tensor([1., 2.], requires_grad=True)",
    ),
    (
        lambda lib: lib.tensor([1.0, 2.0], requires_grad=True) * 2,
        "tensor([2., 4.], grad_fn=<MulBackward0>)",
    ),
    (lambda lib: lib.tensor(3.14159), "tensor(3.1416)"),
    (lambda lib: lib.tensor(3), "tensor(3)"),
    (lambda lib: lib.tensor([1.2345678, 100.0]), "tensor([  1.2346, 100.0000])"),
    (lambda lib: lib.tensor([-1.5, 2.25]), "tensor([-1.5000,  2.2500])"),
    (lambda lib: lib.tensor([100.0, 2.0]), "tensor([100.,   2.])"),
    (lambda lib: lib.tensor([1e-5, 1.0]), "tensor([1.0000e-05, 1.0000e+00])"),
    (lambda lib: lib.tensor([1e10, 1.0]), "tensor([1.0000e+10, 1.0000e+00])"),
    (lambda lib: lib.tensor([float("nan"), 1.5]), "tensor([   nan, 1.5000])"),
    (lambda lib: lib.tensor([float("inf"), 1.0]), "tensor([inf, 1.])"),
    (lambda lib: lib.tensor([-0.0, 0.0]), "tensor([-0., 0.])"),
    (
        lambda lib: lib.tensor([1.0, 2.0], dtype=lib.float64),
        "tensor([1., 2.], dtype=torch.float64)",
    ),
    (
        lambda lib: lib.tensor(2.5, dtype=lib.float64, requires_grad=True) * 2,
        "tensor(5., dtype=torch.float64, grad_fn=<MulBackward0>)",
    ),
    (
        lambda lib: lib.tensor([[1.0, -2.0], [3.5, 4.0]]),
        "tensor([[ 1.0000, -2.0000],\n        [ 3.5000,  4.0000]])",
    ),
    (lambda lib: lib.tensor([1, -20, 3]), "tensor([  1, -20,   3])"),
    (lambda lib: lib.tensor([1, 2], dtype=lib.int32), "tensor([1, 2], dtype=torch.int32)"),
    (lambda lib: lib.tensor([True]), "tensor([True])"),
    (lambda lib: lib.tensor([False, True]), "tensor([False,  True])"),
    (lambda lib: lib.zeros(0), "tensor([])"),
    (lambda lib: lib.zeros(2, 0), "tensor([], size=(2, 0))"),
    (lambda lib: lib.zeros(0, dtype=lib.int64), "tensor([], dtype=torch.int64)"),
    (
        lambda lib: lib.tensor([1.5, 2.0], dtype=lib.float16),
        "tensor([1.5000, 2.0000], dtype=torch.float16)",
    ),
]


@pytest.mark.parametrize(("make", "expected"), REPRS)
def test_repr_is_pytorchs(make, expected):
    assert repr(make(cr)) == expected.replace("torch.", "chainrule.")


@pytest.mark.parametrize(
    "make",
    [make for make, _ in REPRS]
    + [
        lambda lib: lib.arange(30.0) / 7,
        lambda lib: lib.arange(2000.0),
        lambda lib: lib.arange(2000).reshape(100, 20),
        lambda lib: lib.arange(40.0).reshape(2, 20) / 3,
        lambda lib: lib.arange(60.0).reshape(3, 4, 5) / 3,
        lambda lib: lib.arange(3000.0).reshape(10, 300) / 7,
        lambda lib: lib.arange(2000.0) > 1000,
        lambda lib: lib.tensor([-1e5, 0.5, 3.0, float("nan")]),
    ],
)
def test_repr_matches_pytorch(make):
    assert repr(make(cr)) == repr(make(torch)).replace("torch.", "chainrule.")


def test_str_and_format():
    t = cr.tensor([1.0])
    assert str(t) == repr(t)
    assert f"{cr.tensor(2.5):.2f}" == "2.50"


# ------------------------------------------------------------------ reductions with indices


@pytest.mark.parametrize(
    ("reduce", "values", "indices"),
    [
        (lambda t: t.max(dim=1), [5.0, 3.0], [1, 0]),
        (lambda t: t.max(0), [3.0, 5.0], [1, 0]),
        (lambda t: t.min(dim=1), [1.0, 2.0], [0, 1]),
        (lambda t: t.min(0, keepdim=True), [[1.0, 2.0]], [[0, 1]]),
        (lambda t: cr.max(t, -1), [5.0, 3.0], [1, 0]),
    ],
)
def test_max_min_along_dim_return_values_and_indices(reduce, values, indices):
    t = cr.tensor([[1.0, 5.0], [3.0, 2.0]])
    result = reduce(t)
    got_values, got_indices = result  # unpacks like a tuple
    assert result.values.tolist() == got_values.tolist() == values
    assert result.indices.tolist() == got_indices.tolist() == indices
    assert result.indices.dtype == cr.int64


def test_max_without_dim_is_one_value_and_gradient_flows_to_the_winner():
    x = cr.tensor([[1.0, 5.0], [3.0, 2.0]], requires_grad=True)
    top = x.max()
    assert top.item() == 5.0
    top.backward()
    assert x.grad.tolist() == [[0.0, 1.0], [0.0, 0.0]]


def test_max_along_dim_values_carry_gradient_indices_do_not():
    x = cr.tensor([[1.0, 5.0], [3.0, 2.0]], requires_grad=True)
    values, indices = x.max(dim=1)
    assert not indices.requires_grad
    values.sum().backward()
    assert x.grad.tolist() == [[0.0, 1.0], [1.0, 0.0]]


@pytest.mark.parametrize(
    "compare",
    [
        lambda x: x > 1.5,
        lambda x: x >= 1.5,
        lambda x: x < 1.5,
        lambda x: x <= 1.5,
        lambda x: x == 2.0,
        lambda x: x != 2.0,
        lambda x: ~(x > 1.5),
        lambda x: (x > 0) & (x < 2),
        lambda x: x.argmax(),
        lambda x: x.argmin(),
        lambda x: x.argmax(0),
        lambda x: cr.isnan(x),
    ],
)
def test_comparisons_and_arg_reductions_return_tensors_without_grad(compare):
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    result = compare(x)
    assert isinstance(result, cr.Tensor)
    assert not result.requires_grad and result.grad_fn is None
    assert result.dtype in (cr.bool, cr.int64)


def test_comparison_values():
    x = cr.tensor([1.0, 2.0, 3.0])
    assert (x > 1.5).tolist() == [False, True, True]
    assert (x == cr.tensor([1.0, 0.0, 3.0])).tolist() == [True, False, True]
    assert x.argmax().item() == 2 and x.argmin().item() == 0
    assert cr.tensor([[1, 9], [8, 2]]).argmax(1).tolist() == [1, 0]


# ------------------------------------------------------------------ shape errors


@pytest.mark.parametrize(
    ("bad", "pattern"),
    [
        (
            lambda: cr.ones(2, 3) @ cr.ones(4, 5),
            r"\(2, 3\) @ \(4, 5\): inner dimensions 3 and 4 differ",
        ),
        (lambda: cr.ones(3) @ cr.ones(4), r"matmul: \(3,\) @ \(4,\)"),
        (
            lambda: cr.ones(2, 3) + cr.ones(4),
            r"add: shapes \(2, 3\) and \(4,\) cannot be broadcast",
        ),
        (
            lambda: cr.ones(2, 3, requires_grad=True) * cr.ones(4),
            r"mul: shapes \(2, 3\) and \(4,\)",
        ),
        (lambda: cr.ones(2, 3) - cr.ones(3, 2), r"sub: shapes \(2, 3\) and \(3, 2\)"),
        (lambda: cr.ones(2, 3) / cr.ones(2, 2), r"div: shapes \(2, 3\) and \(2, 2\)"),
        (lambda: cr.maximum(cr.ones(2), cr.ones(3)), r"maximum: shapes \(2,\) and \(3,\)"),
        (lambda: cr.ones(2, 3).reshape(4), r"reshape.*\[4\].*\(2, 3\)"),
        (lambda: cr.ones(2, 3).view(-1, 4), r"view.*\[-1, 4\].*\(2, 3\)"),
        (lambda: cr.ones(3) < cr.ones(4), r"compare: shapes \(3,\) and \(4,\)"),
        (
            lambda: cr.where(cr.ones(4) > 0, cr.ones(3), cr.ones(3)),
            r"where: shapes \(4,\) and \(3,\) and \(3,\)",
        ),
        (lambda: cr.ones(6, 2, 3) @ cr.ones(4, 5), r"matmul: \(6, 2, 3\) @ \(4, 5\)"),
        (lambda: cr.bmm(cr.ones(2, 3), cr.ones(3, 2)), r"bmm.*\(2, 3\) and \(3, 2\)"),
        (lambda: cr.mm(cr.ones(3), cr.ones(3, 2)), r"mm.*\(3,\) and \(3, 2\)"),
        (lambda: cr.dot(cr.ones(2, 3), cr.ones(3)), r"dot.*\(2, 3\) and \(3,\)"),
        (lambda: cr.cat([cr.ones(2, 3), cr.ones(2, 4)]), r"cat.*\(2, 3\) and \(2, 4\)"),
        (lambda: cr.cat([cr.ones(2, 3), cr.ones(2)]), r"cat.*\(2, 3\) and \(2,\)"),
        (lambda: cr.mv(cr.ones(2, 3), cr.ones(4)), r"mv: \(2, 3\) @ \(4,\)"),
        (lambda: cr.mv(cr.ones(3), cr.ones(3)), r"mv.*\(3,\) and \(3,\)"),
        (
            lambda: cr.ones(2, 3).expand(3, 3),  # PyTorch's words
            r"expanded size.*Target sizes: \[3, 3\].  Tensor sizes: \[2, 3\]",
        ),
    ],
)
def test_shape_mismatch_errors_name_the_op_and_shapes(bad, pattern):
    with pytest.raises(RuntimeError, match=pattern):
        bad()


def test_broadcast_error_is_not_a_raw_numpy_value_error():
    with pytest.raises(RuntimeError, match=r"add: shapes \(2, 3\) and \(4,\) cannot be") as info:
        cr.ones(2, 3) + cr.ones(4)
    assert not isinstance(info.value, ValueError)
    assert "operands could not be broadcast" not in str(info.value)


# ------------------------------------------------------------------ more PyTorch ops
# Each case runs the same code on chainrule and on PyTorch; values and dtypes must agree.
SAME_AS_TORCH = [
    pytest.param(lambda lib: lib.tensor([7, -7, 6]) // 2, id="int_floordiv"),
    pytest.param(lambda lib: lib.tensor([7.5, -7.5]) // lib.tensor([2.0, -2.0]), id="floordiv"),
    pytest.param(lambda lib: lib.tensor([1.0]) // 0.1, id="floordiv_exact_not_floor_of_div"),
    pytest.param(lambda lib: lib.tensor([7, -7]) // 2.5, id="int_floordiv_float"),
    pytest.param(lambda lib: 7 // lib.tensor([2, -3]), id="rfloordiv"),
    pytest.param(lambda lib: lib.tensor([7, -7, 6]) % 4, id="int_mod"),
    pytest.param(lambda lib: lib.tensor([7.5, -7.5]) % lib.tensor([-2.0, 2.0]), id="mod_sign"),
    pytest.param(lambda lib: 7 % lib.tensor([2.5, -3.0]), id="rmod"),
    pytest.param(lambda lib: lib.fmod(lib.tensor([7, -7]), 3), id="int_fmod"),
    pytest.param(lambda lib: lib.fmod(lib.tensor([7.5, -7.5]), 2.0), id="fmod"),
    pytest.param(lambda lib: lib.remainder(lib.tensor([-3.0, 3.0]), 2), id="remainder"),
    pytest.param(
        lambda lib: lib.div(lib.tensor([7, -7]), 2, rounding_mode="trunc"), id="int_div_trunc"
    ),
    pytest.param(
        lambda lib: lib.div(lib.tensor([7, -7]), 2, rounding_mode="floor"), id="int_div_floor"
    ),
    pytest.param(lambda lib: lib.tensor([-7.5, 7.5]).div(2, rounding_mode="trunc"), id="div_trunc"),
    pytest.param(lambda lib: lib.floor_divide(lib.tensor([5.0]), 0.0), id="float_div_by_zero"),
    pytest.param(lambda lib: lib.floor(lib.tensor([1, -2])), id="int_floor_stays_int"),
    pytest.param(lambda lib: lib.tensor([1.5, -1.5]).ceil(), id="ceil"),
    pytest.param(lambda lib: lib.trunc(lib.tensor([1.7, -1.7])), id="trunc"),
    pytest.param(lambda lib: lib.round(lib.tensor([0.5, 1.5, 2.5, -0.5])), id="round_half_even"),
    pytest.param(lambda lib: lib.round(lib.tensor([3, -4])), id="int_round_stays_int"),
    pytest.param(
        lambda lib: lib.round(lib.tensor([1.2345, 1234.5, -0.125]), decimals=2),
        id="round_decimals",
    ),
    pytest.param(lambda lib: lib.tensor([1234.5]).round(decimals=-2), id="round_tens"),
    pytest.param(lambda lib: lib.frac(lib.tensor([1.25, -1.25])), id="frac_keeps_sign"),
    pytest.param(lambda lib: lib.log2(lib.tensor([1, 8])), id="int_log2"),
    pytest.param(lambda lib: lib.atan2(lib.tensor([1]), lib.tensor([-1])), id="int_atan2"),
    pytest.param(lambda lib: lib.square(lib.tensor([3])), id="int_square"),
    pytest.param(lambda lib: lib.tensor([0.0, 1.0]).acosh(), id="acosh_outside_domain_nan"),
    pytest.param(lambda lib: lib.sort(lib.tensor([[3, 1, 2], [0, 5, 5]])), id="int_sort"),
    pytest.param(
        lambda lib: lib.sort(lib.tensor([1.0, float("nan"), 0.0, 1.0]), descending=True),
        id="sort_descending_nan_first_ties_in_order",
    ),
    pytest.param(lambda lib: lib.tensor([1.0, float("nan"), 0.0]).sort(), id="sort_nan_last"),
    pytest.param(lambda lib: lib.sort(lib.tensor(2.0)), id="sort_of_scalar"),
    pytest.param(lambda lib: lib.tensor([1, 0, 1, 0]).argsort(descending=True), id="argsort"),
    pytest.param(lambda lib: lib.topk(lib.tensor([[1, 3, 2], [4, 0, 5]]), 2, 0), id="topk"),
    pytest.param(
        lambda lib: lib.tensor([3.0, 1.0, 2.0]).topk(2, largest=False), id="topk_smallest"
    ),
    pytest.param(lambda lib: lib.topk(lib.ones(2, 3), 0), id="topk_zero"),
    pytest.param(lambda lib: lib.nonzero(lib.tensor([[1, 0], [0, 2]])), id="nonzero"),
    pytest.param(lambda lib: lib.tensor([[1, 0], [0, 2]]).nonzero(as_tuple=True), id="as_tuple"),
    pytest.param(lambda lib: lib.nonzero(lib.tensor(3)), id="nonzero_of_scalar"),
    pytest.param(lambda lib: lib.tensor(0).nonzero(as_tuple=True), id="as_tuple_of_scalar"),
    pytest.param(
        lambda lib: lib.masked_select(lib.tensor([1, 2, 3]), lib.tensor([[True], [False]])),
        id="masked_select_broadcasts_both",
    ),
    pytest.param(
        lambda lib: [
            f(lib.tensor([1.0, float("inf"), -float("inf"), float("nan")]))
            for f in (lib.isinf, lib.isposinf, lib.isneginf)
        ],
        id="isinf",
    ),
    pytest.param(lambda lib: lib.tensor([1, 2]).isinf(), id="int_isinf"),
    pytest.param(lambda lib: lib.var_mean(lib.tensor([[1.0, 2.0, 6.0]]), 1), id="var_mean"),
    pytest.param(lambda lib: lib.var_mean(lib.tensor([1.0, 2.0, 6.0]), False), id="var_mean_bool"),
    pytest.param(
        lambda lib: lib.std_mean(lib.tensor([[1.0, 2.0], [4.0, 8.0]]), dim=0, keepdim=True),
        id="std_mean",
    ),
    pytest.param(lambda lib: lib.bmm(lib.ones(2, 2, 3), lib.ones(2, 3, 1)), id="bmm"),
    pytest.param(lambda lib: lib.tensor([1, 2]).dot(lib.tensor([3, 4])), id="int_dot"),
    pytest.param(lambda lib: lib.outer(lib.tensor([1, 2]), lib.tensor([1.5])), id="int_outer"),
    pytest.param(lambda lib: lib.diag(lib.tensor([1, 2]), 1), id="diag_embed_offset"),
    pytest.param(lambda lib: lib.arange(6).reshape(2, 3).diag(-1), id="diag_below"),
    pytest.param(lambda lib: lib.diag(lib.arange(6).reshape(2, 3), 5), id="diag_outside_empty"),
    pytest.param(lambda lib: lib.arange(6, dtype=lib.int32).reshape(2, 3).trace(), id="trace"),
    pytest.param(lambda lib: lib.tril(lib.ones(2, 3, 3), -1), id="tril_batched"),
    pytest.param(lambda lib: lib.full((2, 2), float("inf")).triu(), id="triu_keeps_inf"),
    pytest.param(lambda lib: lib.tensor([[1, 2], [3, 4]]).triu(1), id="int_triu"),
    pytest.param(lambda lib: lib.sum(lib.ones(2, 3), axis=0), id="sum_axis"),
    pytest.param(lambda lib: lib.ones(2, 3).mean(axis=1, keepdims=True), id="mean_axis_keepdims"),
    pytest.param(lambda lib: lib.tensor([[1, 5], [3, 2]]).max(axis=1), id="max_axis"),
    pytest.param(lambda lib: lib.tensor([[1, 5], [3, 2]]).argmin(axis=0), id="argmin_axis"),
    pytest.param(lambda lib: lib.tensor([[1.0, 5.0]]).var(axis=1), id="var_axis"),
    pytest.param(lambda lib: lib.tensor([[True, False]]).any(axis=1), id="any_axis"),
    pytest.param(lambda lib: lib.tensor([[1.0, 5.0]]).amax(axis=1), id="amax_axis"),
]


def _as_lists(result: Any) -> Any:
    """Values and dtype names, for tensors nested in tuples and lists."""
    if isinstance(result, tuple | list):
        return [_as_lists(r) for r in result]
    return np.asarray(result).tolist(), str(result.dtype).replace("torch", "chainrule")


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy warns on nan and inf results
@pytest.mark.parametrize("case", SAME_AS_TORCH)
def test_more_pytorch_ops_give_pytorchs_values_and_dtypes(case):
    got, expected = _as_lists(case(cr)), _as_lists(case(torch))
    np.testing.assert_equal(got, expected)


@pytest.mark.parametrize(
    ("bad", "error", "pattern"),
    [
        (lambda: cr.tensor([7, 1]) // 0, RuntimeError, "floor_divide: integer division by zero"),
        (lambda: cr.tensor([7]) % cr.tensor([0]), RuntimeError, "remainder: integer division"),
        (lambda: cr.fmod(cr.tensor([7]), 0), RuntimeError, "fmod: integer division by zero"),
        (lambda: cr.div(cr.tensor([7]), 0, rounding_mode="trunc"), RuntimeError, "div: integer"),
        (lambda: cr.div(cr.ones(1), 2, rounding_mode="round"), RuntimeError, "rounding_mode"),
        (lambda: cr.round(cr.tensor([5]), decimals=1), RuntimeError, "round: decimals=1"),
        (lambda: cr.tensor([5]).frac(), NotImplementedError, "frac_cpu. not implemented for .Long"),
        (lambda: cr.topk(cr.ones(3), 4), RuntimeError, "topk: k=4 is out of range"),
        (lambda: cr.masked_select(cr.ones(2), cr.tensor([1, 0])), RuntimeError, "bool mask"),
        (lambda: cr.bmm(cr.ones(2, 3), cr.ones(3, 2)), RuntimeError, r"3-D.*\(2, 3\)"),
        (lambda: cr.bmm(cr.ones(2, 2, 3), cr.ones(3, 3, 2)), RuntimeError, r"\(2, 3\)"),
        (lambda: cr.dot(cr.ones(2, 3), cr.ones(2, 3)), RuntimeError, "1D tensors expected"),
        (lambda: cr.dot(cr.ones(2), cr.ones(3)), RuntimeError, "sizes differ: 2 and 3"),
        (lambda: cr.dot(cr.ones(2), cr.tensor([1, 2])), RuntimeError, "same dtype"),
        (lambda: cr.outer(cr.ones(2, 2), cr.ones(3)), RuntimeError, "outer: expected 1-D"),
        (lambda: cr.diag(cr.ones(2, 2, 2)), RuntimeError, "diag: supports 1-D or 2-D"),
        (lambda: cr.trace(cr.ones(3)), RuntimeError, "trace: expected a matrix"),
        (lambda: cr.tril(cr.ones(3)), RuntimeError, "tril: input tensor must have at least 2"),
        (lambda: cr.sum(cr.ones(2), axes=0), TypeError, "unexpected keyword argument 'axes'"),
    ],
)
def test_new_ops_raise_clear_errors(bad, error, pattern):
    with pytest.raises(error, match=pattern):
        bad()


@pytest.mark.parametrize(
    "step",
    [
        lambda x: x.div(2.0, rounding_mode="floor"),
        lambda x: cr.div(3.0, x, rounding_mode="floor"),
        lambda x: x.div(2.0, rounding_mode="trunc"),
        lambda x: x.floor(),
        lambda x: x.ceil(),
        lambda x: x.round(decimals=1),
        lambda x: x.trunc(),
    ],
)
def test_step_functions_record_a_zero_gradient(step):
    # PyTorch gives floor, round, div with rounding ... zero gradients (for // it raises: its
    # derivative is not implemented there, see test_torch_autograd_semantics_gaps.py).
    x = cr.tensor([1.3, -2.6, 0.4], requires_grad=True)
    y = step(x)
    assert y.requires_grad
    (y * x).sum().backward()  # d/dx (step(x) * x) = step(x), the zero part drops out
    with cr.no_grad():
        assert x.grad.tolist() == step(x).tolist()


def test_sort_and_topk_indices_carry_no_gradient_and_values_route_it_back():
    x = cr.tensor([3.0, 1.0, 2.0], requires_grad=True)
    values, indices = x.sort(descending=True)
    assert not indices.requires_grad and indices.dtype == cr.int64
    (values * cr.tensor([1.0, 10.0, 100.0])).sum().backward()
    assert x.grad.tolist() == [1.0, 100.0, 10.0]
    top = cr.topk(x, 1)
    assert top.values.tolist() == [3.0] and not top.indices.requires_grad
    assert not cr.nonzero(x).requires_grad and not cr.argsort(x).requires_grad


@pytest.mark.parametrize(
    ("make", "dtype", "shape"),
    [
        (lambda t: t.new_zeros(2, 3), cr.int32, (2, 3)),
        (lambda t: t.new_ones((2,)), cr.int32, (2,)),
        (lambda t: t.new_empty(1, 2, dtype=cr.float64), cr.float64, (1, 2)),
        (lambda t: t.new_full((2,), 3.7), cr.int32, (2,)),  # the fill is cast, as in PyTorch
        (lambda t: t.new_tensor([1.5, 2.5]), cr.int32, (2,)),
        (lambda t: t.new_tensor([[1, 2]], dtype=cr.float32), cr.float32, (1, 2)),
        (lambda t: t.type_as(cr.ones(1, dtype=cr.float64)), cr.float64, (2,)),
    ],
)
def test_new_factories_take_the_dtype_of_self(make, dtype, shape):
    result = make(cr.tensor([1, 2], dtype=cr.int32))
    assert result.dtype == dtype and tuple(result.shape) == shape
    assert not result.requires_grad


def test_new_factory_requires_grad_and_type_as_keeps_the_graph():
    assert cr.ones(2).new_zeros(3, requires_grad=True).requires_grad
    x = cr.ones(2, requires_grad=True)
    x.type_as(cr.zeros(1, dtype=cr.float64)).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0] and x.grad.dtype == cr.float32


# ------------------------------------------------------------------ scalar conversions
# chainrule's own workflows never convert a tensor that requires grad with float(): PyTorch's
# warning comes once per process, so one given on the user's behalf would hide theirs. In a
# fresh process, with the warning an error, the workflows run; then the user's float() warns.
OWN_WORKFLOWS = """
import warnings
import chainrule as cr
from chainrule.tools import explain
from chainrule.tools.attribution import integrated_gradients, saliency
from chainrule.tools.diagnostics import gradient_flow
warnings.filterwarnings("error", message="Converting a tensor with requires_grad")
cr.manual_seed(0)
model = cr.nn.Sequential(cr.nn.Linear(3, 4), cr.nn.ReLU(), cr.nn.Linear(4, 2))
x, y = cr.randn(8, 3), cr.tensor([0, 1] * 4)
for opt in (cr.optim.SGD(model.parameters(), 0.1, momentum=0.9), cr.optim.Adam(model.parameters())):
    schedule = cr.optim.lr_scheduler.StepLR(opt, 1)
    for _ in range(2):
        opt.zero_grad()
        loss = cr.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        schedule.step()
print(gradient_flow(model, cr.nn.functional.cross_entropy(model(x), y)) is not None)
print(float(explain("(3*x + 1)**2", x=1).grad("x")))
print(tuple(saliency(model, x[:2]).shape), tuple(integrated_gradients(model, x[:2])[0].shape))
v = cr.randn(3, dtype=cr.float64, requires_grad=True)
print(cr.autograd.gradcheck(lambda v: (v * v).sum(), (v,)))
w = cr.tensor(2.0, requires_grad=True)
try:
    float(w)
except UserWarning as warning:
    print("the user's float() warns:", str(warning).splitlines()[0])
"""


def test_chainrules_own_workflows_leave_the_scalar_warning_to_the_user() -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", OWN_WORKFLOWS], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "True",
        "24.0",  # 6 (3x + 1) at x = 1
        "(2, 3) (2, 3)",
        "True",
        "the user's float() warns: Converting a tensor with requires_grad=True to a scalar may "
        "lead to unexpected behavior.",
    ]


def test_tensor_of_a_tensor_warns_as_pytorch() -> None:
    """``tensor(t)`` copies, and PyTorch recommends ``t.detach().clone()`` instead."""

    messages = []
    for lib in (cr, torch):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            copy = lib.tensor(lib.ones(2, requires_grad=True))
        assert not copy.requires_grad and copy.grad_fn is None
        messages.append(
            [(w.category, str(w.message).replace("torch.", "chainrule.")) for w in caught]
        )
    assert messages[0] == messages[1] and len(messages[0]) == 1


@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.prod(lib.ones(2, 2), dim=(0, 1)),
        lambda lib: lib.max(lib.ones(2, 2), dim=(0, 1)),
        lambda lib: lib.ones(2, 2).min((0,)),
        lambda lib: lib.argmax(lib.ones(2, 2), dim=(0, 1)),
        lambda lib: lib.argmin(lib.ones(2, 2), dim=[0]),
        lambda lib: lib.cumsum(lib.ones(2, 2), dim=(0,)),
        lambda lib: lib.softmax(lib.ones(2, 2), dim=(0,)),
        lambda lib: lib.log_softmax(lib.ones(2, 2), dim=[1]),
        lambda lib: lib.relu(lib.tensor([True, False])),
    ],
    ids=["prod", "max", "min", "argmax", "argmin", "cumsum", "softmax", "log_softmax", "relu"],
)
def test_one_dim_ops_refuse_several_dims_and_relu_refuses_bools_as_pytorch(call: Any) -> None:
    """A tuple of dims was read as its first dim (softmax, cumsum) or all of them (prod)."""
    errors = []
    for lib in (torch, cr):
        with pytest.raises((TypeError, RuntimeError)) as info:
            call(lib)
        errors.append((type(info.value), str(info.value).splitlines()[0]))
    assert errors[0][0] is errors[1][0]
    if "invalid combination" not in errors[0][1]:  # PyTorch's overload listing for prod/max
        assert errors[0][1] == errors[1][1]
