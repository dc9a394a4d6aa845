"""The worked examples of the seed documents (/work/shared/seeds), run as written with ``cr``.

Each test follows one example of the documents: the code with ``torch`` replaced by ``cr``,
and the numbers the text derives by hand (or PyTorch's, where the text leaves it to PyTorch).
The ``nn.Sequential`` example lives in test_seeds_nn.py.
"""

import math

import numpy as np
import pytest
import torch

import chainrule as cr


def _sigmoid(v: float) -> float:
    return 1.0 / (1.0 + math.exp(-v))


# --------------------------------------------------------------- seed 002: (x + 2) ** 2 at 3
def test_simple_example_prints_the_values_the_document_derives(capsys):
    # y = (x + 2)²
    x = cr.tensor([3.0], requires_grad=True)
    g = x + 2
    y = g**2
    y.backward()

    print(f"x = {x.item()}")
    print(f"g = {g.item()}")
    print(f"y = {y.item()}")
    print(f"dy/dx = {x.grad.item()}")

    assert capsys.readouterr().out == "x = 3.0\ng = 5.0\ny = 25.0\ndy/dx = 10.0\n"


def test_simple_example_reprs_match_pytorch():
    x = cr.tensor([3.0], requires_grad=True)
    g = x + 2
    y = g**2
    y.backward()
    assert repr(g) == "tensor([5.], grad_fn=<AddBackward0>)"
    assert repr(y) == "tensor([25.], grad_fn=<PowBackward0>)"
    assert repr(x.grad) == "tensor([10.])"
    with pytest.warns(UserWarning, match="not a leaf Tensor"):  # as PyTorch warns
        assert g.grad is None  # a non-leaf keeps no .grad unless retain_grad() was called


# ------------------------------------------- seed 002: ((x**2 + 3) * sin(x)) ** 3 at 2
def _complex_expected(v: float) -> tuple[float, float]:
    inner = (v**2 + 3) * math.sin(v)
    d_inner = 2 * v * math.sin(v) + (v**2 + 3) * math.cos(v)
    return inner**3, 3 * inner**2 * d_inner


def test_complex_computation_gradient_by_hand():
    x = cr.tensor([2.0], requires_grad=True)
    y = ((x**2 + 3) * cr.sin(x)) ** 3
    y.backward()
    value, slope = _complex_expected(2.0)
    assert y.item() == pytest.approx(value, rel=1e-6)
    assert x.grad.item() == pytest.approx(slope, rel=1e-5)


def test_complex_computation_gradient_matches_pytorch():
    x = cr.tensor([2.0], requires_grad=True)
    (((x**2 + 3) * cr.sin(x)) ** 3).backward()
    xt = torch.tensor([2.0], requires_grad=True)
    (((xt**2 + 3) * torch.sin(xt)) ** 3).backward()
    assert x.grad.item() == pytest.approx(xt.grad.item(), rel=1e-6)


# ------------------------------------------------ seed 000: g = x², f = 2g + 3, dy/dx = 4x
@pytest.mark.parametrize("v", [-3.0, -0.5, 0.0, 1.0, 2.5, 10.0])
def test_outer_linear_of_square_has_derivative_4x(v):
    x = cr.tensor(v, requires_grad=True)
    g = x**2
    y = 2 * g + 3
    y.backward()
    assert y.item() == 2 * v**2 + 3
    assert x.grad.item() == 4 * v


# ------------------------------------------------ seed 001: the cake, f = x², g = 2f, h = g + 3
def test_cake_layers_forward_values_and_derivative_at_5():
    x = cr.tensor(5.0, requires_grad=True)
    f = x**2
    g = 2 * f
    h = g + 3
    for t in (f, g):
        t.retain_grad()
    h.backward()
    assert (f.item(), g.item(), h.item()) == (25.0, 50.0, 53.0)
    # dh/dg = 1, dg/df = 2, df/dx = 2x = 10: the product 1 * 2 * 10 = 4x = 20.
    assert g.grad.item() == 1.0
    assert f.grad.item() == 2.0
    assert x.grad.item() == 20.0


# ------------------------------------------------ seed 004: (3x + 1)² → 6(3x + 1)
@pytest.mark.parametrize("v", [-2.0, -1 / 3, 0.0, 0.5, 4.0])
def test_square_of_affine_has_derivative_6_times_inner(v):
    x = cr.tensor(v, dtype=cr.float64, requires_grad=True)
    u = 3 * x + 1
    y = u**2
    u.retain_grad()
    y.backward()
    assert u.grad.item() == pytest.approx(2 * (3 * v + 1))  # dy/du = 2u
    assert x.grad.item() == pytest.approx(6 * (3 * v + 1))


# ------------------------------------------------ seed 004: the single neuron
def test_single_neuron_gradient_is_the_product_of_its_three_factors():
    w = cr.tensor(0.8, dtype=cr.float64, requires_grad=True)
    b = cr.tensor(-0.3, dtype=cr.float64, requires_grad=True)
    x, y = cr.tensor(1.5, dtype=cr.float64), cr.tensor(1.0, dtype=cr.float64)

    z = w * x + b
    y_hat = cr.sigmoid(z)
    loss = (y_hat - y) ** 2
    z.retain_grad()
    y_hat.retain_grad()
    loss.backward()

    dl_dyhat = y_hat.grad.item()
    dyhat_dz = z.grad.item() / dl_dyhat
    dz_dw = x.item()
    assert w.grad.item() == pytest.approx(dl_dyhat * dyhat_dz * dz_dw, rel=1e-12)

    # Each factor is the textbook one.
    s = _sigmoid(0.8 * 1.5 - 0.3)
    assert dl_dyhat == pytest.approx(2 * (s - 1.0), rel=1e-12)
    assert dyhat_dz == pytest.approx(s * (1 - s), rel=1e-12)
    assert b.grad.item() == pytest.approx(2 * (s - 1.0) * s * (1 - s), rel=1e-12)


# ------------------------------------------------ seed 004: z = f(x, y), x = g(t), y = h(t)
def test_two_paths_from_t_add_up():
    t = cr.tensor(0.7, dtype=cr.float64, requires_grad=True)
    x = t**2  # g(t)
    y = cr.exp(t)  # h(t)
    z = x * y + cr.sin(x)  # f(x, y)
    x.retain_grad()
    y.retain_grad()
    z.backward()

    tv = 0.7
    dz_dx = math.exp(tv) + math.cos(tv**2)
    dz_dy = tv**2
    assert x.grad.item() == pytest.approx(dz_dx, rel=1e-12)
    assert y.grad.item() == pytest.approx(dz_dy, rel=1e-12)
    # dz/dt = ∂z/∂x · dx/dt + ∂z/∂y · dy/dt
    assert t.grad.item() == pytest.approx(dz_dx * 2 * tv + dz_dy * math.exp(tv), rel=1e-12)


# ------------------------------------------------ seed 004: the vectorized chain rule J^T v
def test_backward_with_a_vector_gives_jacobian_transpose_times_vector():
    w = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    x = cr.tensor([0.5, -1.0, 2.0], dtype=cr.float64, requires_grad=True)
    y = cr.tensor(w) @ x  # J = W
    v = np.array([1.0, -2.0])
    y.backward(cr.tensor(v))
    np.testing.assert_allclose(x.grad.numpy(), w.T @ v)


# ------------------------------------------------ seed 004: vanishing gradients
def test_twenty_sigmoid_layers_shrink_the_gradient_below_a_quarter_to_the_20th():
    x = cr.tensor(0.5, requires_grad=True)
    layers = []
    h = x
    for _ in range(20):
        h = cr.sigmoid(h)
        layers.append(h)
    h.backward()

    # The chain rule's product of local derivatives σ'(a) = σ(a)(1 - σ(a)) ≤ 0.25.
    product = 1.0
    for out in layers:
        s = float(out.item())
        product *= s * (1 - s)
    assert x.grad.item() == pytest.approx(product, rel=1e-4)
    assert 0 < x.grad.item() <= 0.25**20
