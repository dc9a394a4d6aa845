"""Zero-copy exchange with NumPy and PyTorch (DLPack, the array protocol) and mixed
expressions with NumPy values."""

import numpy as np
import pytest
import torch

import chainrule as cr

DTYPES = ["float32", "float64", "int64", "int32", "uint8", "bool"]


# ------------------------------------------------------------------ DLPack with NumPy


@pytest.mark.parametrize("dtype", DTYPES)
def test_numpy_reads_a_tensor_through_dlpack_without_copying(dtype):
    t = cr.tensor(np.array([1, 0, 1], dtype=dtype))
    array = np.from_dlpack(t)
    assert array.dtype == np.dtype(dtype)
    assert np.shares_memory(array, t.numpy())
    array[1] = 1
    assert t.tolist()[1] == array[1]


@pytest.mark.parametrize("dtype", DTYPES)
def test_from_dlpack_wraps_a_numpy_array_without_copying(dtype):
    array = np.array([1, 0, 1], dtype=dtype)
    t = cr.from_dlpack(array)
    assert t.dtype == np.dtype(dtype)
    t[1] = 1
    assert bool(array[1])


def test_from_dlpack_keeps_strides_of_a_non_contiguous_view():
    array = np.arange(6.0).reshape(2, 3)
    t = cr.from_dlpack(array.T)
    assert t.shape == (3, 2)
    assert t.tolist() == array.T.tolist()
    array[0, 2] = 50.0
    assert t[2, 0].item() == 50.0


def test_tensor_requiring_grad_cannot_be_exported():
    t = cr.tensor([1.0], requires_grad=True)
    # PyTorch raises BufferError (the DLPack protocol's exception) with this message.
    with pytest.raises((BufferError, RuntimeError), match="require gradient, use tensor.detach"):
        t.__dlpack__()
    assert np.from_dlpack(t.detach()).tolist() == [1.0]


# ------------------------------------------------------------------ DLPack with PyTorch


@pytest.mark.parametrize("dtype", DTYPES)
def test_pytorch_reads_a_tensor_without_copying(dtype):
    t = cr.tensor(np.array([1, 0, 1], dtype=dtype))
    other = torch.from_dlpack(t)
    assert str(other.dtype) == f"torch.{dtype}"
    other[1] = 1
    assert t.tolist() == [True, True, True]  # 1 == True: one check for every dtype


@pytest.mark.parametrize("dtype", DTYPES)
def test_chainrule_reads_a_pytorch_tensor_without_copying(dtype):
    other = torch.tensor([1, 0, 1], dtype=getattr(torch, dtype))
    t = cr.from_dlpack(other)
    assert t.dtype == np.dtype(dtype)
    t[1] = 1
    assert other.tolist() == [True, True, True]


def test_round_trip_through_pytorch_and_back_shares_one_buffer():
    t = cr.zeros(2, 3)
    back = cr.from_dlpack(torch.from_dlpack(t))
    back.fill_(4.0)
    assert t.tolist() == [[4.0] * 3] * 2


def test_pytorch_tensor_requiring_grad_must_be_detached_first():
    other = torch.ones(2, requires_grad=True)
    with pytest.raises(BufferError, match="require gradient"):
        cr.from_dlpack(other)
    assert cr.from_dlpack(other.detach()).tolist() == [1.0, 1.0]


def test_gradients_agree_after_exchanging_values_with_pytorch():
    start = torch.linspace(-1, 1, 5)
    x = cr.from_dlpack(start).clone().requires_grad_()
    xt = start.clone().requires_grad_()
    (cr.tanh(x) * x).sum().backward()
    (torch.tanh(xt) * xt).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-6)


# ------------------------------------------------------------------ the array protocol


def test_np_asarray_of_a_tensor_shares_memory():
    t = cr.tensor([1.0, 2.0])
    array = np.asarray(t)
    assert array.dtype == np.float32
    array[0] = 9.0
    assert t.tolist() == [9.0, 2.0]


def test_np_array_copies_when_asked():
    t = cr.tensor([1.0, 2.0])
    copied = np.array(t, copy=True)
    copied[0] = 9.0
    assert t.tolist() == [1.0, 2.0]


def test_np_asarray_of_a_tensor_requiring_grad_raises_like_numpy_method():
    with pytest.raises(RuntimeError, match="requires grad"):
        np.asarray(cr.tensor([1.0], requires_grad=True))


def test_numpy_functions_accept_tensors_without_grad():
    t = cr.tensor([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(np.stack([t, t]).shape, (2, 2, 2))
    assert np.allclose(np.linalg.inv(np.asarray(t)) @ np.asarray(t), np.eye(2))


# ------------------------------------------------------------------ mixed expressions


@pytest.mark.parametrize(
    ("expression", "values"),
    [
        (lambda t: np.float64(2) * t, [2.0, 4.0]),
        (lambda t: t * np.float64(2), [2.0, 4.0]),
        (lambda t: np.float32(1) + t, [2.0, 3.0]),
        (lambda t: np.int64(3) - t, [2.0, 1.0]),
        (lambda t: np.float64(4) / t, [4.0, 2.0]),
        (lambda t: np.array([1.0, 1.0], dtype=np.float32) + t, [2.0, 3.0]),
        (lambda t: np.array([[1.0], [2.0]], dtype=np.float32) * t, [[1.0, 2.0], [2.0, 4.0]]),
    ],
)
def test_numpy_values_on_the_left_give_tensors_that_stay_float32(expression, values):
    t = cr.tensor([1.0, 2.0])
    result = expression(t)
    assert isinstance(result, cr.Tensor)
    assert result.dtype == cr.float32
    assert result.tolist() == values


def test_numpy_scalar_times_tensor_is_differentiable():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = np.float64(3) * x
    assert isinstance(y, cr.Tensor) and y.grad_fn is not None
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_numpy_array_times_tensor_sends_gradient_to_the_tensor():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    (np.array([5.0, 7.0], dtype=np.float32) * x).sum().backward()
    assert x.grad.tolist() == [5.0, 7.0]


def test_numpy_ufunc_called_on_a_tensor_refuses_rather_than_dropping_the_graph():
    # NumPy would compute on the raw values and lose the graph; chainrule asks for cr.sin.
    with pytest.raises(TypeError, match="does not support ufuncs"):
        np.sin(cr.tensor([1.0]))
