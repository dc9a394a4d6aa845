"""Graph shapes that trip up hand-written backprop: reuse, diamonds, accumulation, broadcast.

Expected values are worked out by hand; where PyTorch is installed the same graphs are also run
there and compared.
"""

import numpy as np
import pytest
import torch

import chainrule as cr


def test_non_leaf_used_twice_gets_both_contributions():
    x = cr.tensor(3.0, requires_grad=True)
    y = x * x  # dy/dx = 2x = 6
    z = y * y + y  # dz/dy = 2y + 1 = 19
    z.backward()
    assert z.item() == 90.0
    assert x.grad.item() == 19.0 * 6.0


def test_diamond_sums_both_branches():
    #      x
    #    /   \
    #  a=2x  b=x²
    #    \   /
    #    c = a * b      c = 2x³, dc/dx = 6x²
    x = cr.tensor(2.0, requires_grad=True)
    a = 2 * x
    b = x**2
    c = a * b
    c.backward()
    assert x.grad.item() == 24.0


def test_double_diamond_with_shared_middle_node():
    x = cr.tensor(1.5, dtype=cr.float64, requires_grad=True)
    m = cr.sin(x)
    left, right = m * 2, m**2
    top = left * right  # 2 sin(x)³
    out = top + m  # 2 sin³ + sin
    out.backward()
    s, c = np.sin(1.5), np.cos(1.5)
    assert x.grad.item() == pytest.approx(6 * s**2 * c + c, rel=1e-12)


def test_repeated_backward_accumulates_into_grad():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    for _ in range(3):
        (x * x).sum().backward()  # a fresh graph each time
    assert x.grad.tolist() == [6.0, 12.0]  # 3 * 2x


def test_grad_zero_between_backwards_resets_accumulation():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    grad = x.grad
    x.grad.zero_()
    (3 * x).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
    assert x.grad is grad  # accumulation writes into the existing .grad, as PyTorch does


def test_retain_graph_allows_two_backwards_that_accumulate():
    x = cr.tensor(2.0, requires_grad=True)
    y = x**3
    y.backward(retain_graph=True)
    assert x.grad.item() == 12.0
    y.backward(retain_graph=True)
    assert x.grad.item() == 24.0
    y.backward()  # the last one may free the graph
    assert x.grad.item() == 36.0


@pytest.mark.parametrize(
    ("a_shape", "b_shape"),
    [((2, 3), (3,)), ((2, 3), (1, 3)), ((2, 3), (2, 1)), ((2, 3), ()), ((4, 1, 3), (2, 1))],
)
def test_broadcast_gradient_sums_over_stretched_axes(a_shape, b_shape):
    a = cr.ones(*a_shape, requires_grad=True)
    b = cr.full(b_shape, 2.0, requires_grad=True)
    (a * b).sum().backward()
    out_size = int(np.prod(np.broadcast_shapes(a_shape, b_shape)))
    assert tuple(a.grad.shape) == a_shape
    assert tuple(b.grad.shape) == b_shape
    # Every element of b is used out_size / b.numel() times, each with local derivative a = 1.
    np.testing.assert_array_equal(b.grad.numpy(), np.full(b_shape, out_size / max(b.numel(), 1)))
    np.testing.assert_array_equal(a.grad.numpy(), np.full(a_shape, 2.0 * out_size / a.numel()))


@pytest.mark.parametrize(
    ("a_shape", "b_shape"),
    [((2, 3), (3,)), ((3, 1), (1, 4)), ((5, 2, 3), (2, 3)), ((1,), (2, 2))],
)
def test_broadcast_gradients_match_pytorch(a_shape, b_shape):
    rng = np.random.default_rng(0)
    a_np = rng.standard_normal(a_shape).astype(np.float32)
    b_np = rng.standard_normal(b_shape).astype(np.float32)
    a, b = cr.tensor(a_np, requires_grad=True), cr.tensor(b_np, requires_grad=True)
    at, bt = torch.tensor(a_np, requires_grad=True), torch.tensor(b_np, requires_grad=True)
    (cr.sin(a * b) + a / (b * b + 1)).mean().backward()
    (torch.sin(at * bt) + at / (bt * bt + 1)).mean().backward()
    np.testing.assert_allclose(a.grad.numpy(), at.grad.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(b.grad.numpy(), bt.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_zeroing_one_leafs_grad_leaves_the_other_alone():
    # Add hands the same incoming gradient to both inputs: the .grad tensors must not alias.
    a = cr.tensor([1.0, 2.0], requires_grad=True)
    b = cr.tensor([3.0, 4.0], requires_grad=True)
    (a + b).backward(cr.tensor([1.0, 1.0]))
    a.grad.zero_()
    assert b.grad.tolist() == [1.0, 1.0]
    assert a.grad.tolist() == [0.0, 0.0]


def test_grad_does_not_alias_the_seed_gradient():
    a = cr.tensor([1.0, 2.0], requires_grad=True)
    seed = cr.tensor([5.0, 6.0])
    (a * 1).backward(seed)
    a.grad.zero_()
    assert seed.tolist() == [5.0, 6.0]


def test_sum_gradient_is_writable_and_owned():
    # sum's gradient is a broadcast view of one number; .grad must be real memory.
    a = cr.ones(2, 3, requires_grad=True)
    a.sum().backward()
    a.grad[0, 0] = 7.0
    assert a.grad.tolist() == [[7.0, 1.0, 1.0], [1.0, 1.0, 1.0]]


def test_leaf_used_in_two_separate_graphs_accumulates_from_both():
    x = cr.tensor(2.0, requires_grad=True)
    first = x**2
    second = cr.exp(x)
    first.backward()
    assert x.grad.item() == 4.0
    second.backward()
    assert x.grad.item() == pytest.approx(4.0 + np.exp(2.0), rel=1e-6)


def test_backward_of_one_graph_leaves_the_other_graph_usable():
    x = cr.tensor(2.0, requires_grad=True)
    shared = x * 3
    first = shared + 1
    second = shared * shared
    first.backward(retain_graph=True)  # frees nothing: shared's node is still needed
    second.backward()
    assert x.grad.item() == 3.0 + 2 * 6.0 * 3.0


def test_same_tensor_both_operands_of_add():
    x = cr.tensor([1.0, -1.0], requires_grad=True)
    (x + x).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_gradient_does_not_flow_into_inputs_without_requires_grad():
    x = cr.tensor(2.0, requires_grad=True)
    c = cr.tensor(5.0)
    (x * c).backward()
    assert c.grad is None
    assert x.grad.item() == 5.0


def test_pruned_branch_without_grad_does_not_change_result():
    x = cr.tensor(1.0, requires_grad=True)
    unrelated = cr.tensor(4.0, requires_grad=True)
    y = x * 2
    _ = unrelated * 3  # another graph, never backpropagated
    y.backward()
    assert x.grad.item() == 2.0
    assert unrelated.grad is None


@pytest.mark.parametrize("depth", [1, 2, 5])
def test_graph_cases_match_pytorch_on_a_mixed_expression(depth):

    def build(lib, x):
        h = x
        for _ in range(depth):
            h = lib.tanh(h * h + h) * x
        return (h * h).sum()

    values = [0.3, -0.7, 1.1]
    x = cr.tensor(values, requires_grad=True)
    xt = torch.tensor(values, requires_grad=True)
    build(cr, x).backward()
    build(torch, xt).backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-6)
