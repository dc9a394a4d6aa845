"""PyTorch's autograd semantics: backward's arguments, hooks, grad modes, higher order,
``autograd.grad``, custom ``Function``s, freed graphs and the graph's introspection."""

import math

import numpy as np
import pytest
import torch

import chainrule as cr

# ------------------------------------------------------------------ backward(gradient=...)


def test_backward_with_gradient_weights_each_output():
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x**2
    y.backward(gradient=cr.tensor([1.0, 0.5, -1.0]))
    assert x.grad.tolist() == [2.0, 2.0, -6.0]  # 2x * v


def test_backward_gradient_may_be_an_array_or_list():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).backward(np.array([1.0, 2.0], dtype=np.float32))
    assert x.grad.tolist() == [3.0, 6.0]


def test_backward_gradient_of_wrong_shape_raises():
    x = cr.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Mismatch in shape.*Size\(\[3\]\).*Size\(\[2\]\)"):
        (x * 2).backward(cr.ones(3))


def test_non_scalar_backward_without_gradient_raises_like_pytorch():
    x = cr.ones(2, requires_grad=True)
    with pytest.raises(
        RuntimeError, match="grad can be implicitly created only for scalar outputs"
    ):
        (x * 2).backward()


def test_one_element_non_scalar_backward_needs_no_gradient():
    x = cr.tensor([[3.0]], requires_grad=True)
    (x * x).backward()  # size 1, as in PyTorch
    assert x.grad.tolist() == [[6.0]]


def test_backward_of_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        cr.tensor(1.0).backward()


def test_non_scalar_backward_matches_pytorch():
    values, weights = [[0.5, -1.0], [2.0, 0.25]], [[1.0, 2.0], [3.0, 4.0]]
    x = cr.tensor(values, dtype=cr.float64, requires_grad=True)
    xt = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    cr.tanh(x @ x).backward(cr.tensor(weights, dtype=cr.float64))
    torch.tanh(xt @ xt).backward(torch.tensor(weights, dtype=torch.float64))
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-12)


# ------------------------------------------------------------------ retain_grad and hooks


def test_retain_grad_keeps_non_leaf_gradient():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.retain_grad()
    (y * y).sum().backward()
    assert y.retains_grad and not x.retains_grad
    assert y.grad.tolist() == [4.0, 8.0]  # 2y
    assert x.grad.tolist() == [8.0, 16.0]


def test_non_leaf_without_retain_grad_has_no_grad():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.sum().backward()
    with pytest.warns(UserWarning, match="not a leaf Tensor is being accessed"):  # PyTorch's
        assert y.grad is None


def test_retain_grad_accumulates_over_backwards():
    x = cr.tensor(1.0, requires_grad=True)
    y = x * 3
    y.retain_grad()
    (y * 2).backward(retain_graph=True)
    (y * 2).backward()
    assert y.grad.item() == 4.0


def test_leaves_given_views_of_one_gradient_keep_their_own_grad():
    """stack([x, y]).sum(0) gives x and y views of one expanded gradient. Each leaf's .grad is
    its own memory, so a second backward adds once to each, and changing one .grad leaves the
    other. (PyTorch 2.13's AccumulateGrad takes such views over as they are: its x.grad and
    y.grad then share memory, and the same two backwards give [4.5, -1.5] for both.)"""
    x = cr.tensor([1.0, -2.0], requires_grad=True)
    y = cr.tensor([3.0, 0.5], requires_grad=True)
    loss = (cr.stack([x, y]).sum(0) * cr.tensor([1.5, -0.5])).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    assert x.grad.tolist() == y.grad.tolist() == [3.0, -1.0]
    x.grad.zero_()
    assert y.grad.tolist() == [3.0, -1.0]


@pytest.mark.parametrize("leaf", [True, False])
def test_hook_replaces_gradient_and_remove_takes_it_away(leaf):
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    target = x if leaf else x * 1
    seen = []

    def hook(g):
        seen.append(g.tolist())
        return g * 10

    handle = target.register_hook(hook)
    (target * target).sum().backward()
    assert seen == [[2.0, 4.0]]
    assert x.grad.tolist() == [20.0, 40.0]

    handle.remove()
    x.grad = None
    target = x if leaf else x * 1
    (target * target).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]
    assert len(seen) == 1


def test_hook_on_non_leaf_matches_pytorch():

    def run(lib, x):
        y = x * 2
        y.register_hook(lambda g: g + 1)
        (y * y).sum().backward()
        return x.grad.tolist()

    assert run(cr, cr.tensor([1.0, 2.0], requires_grad=True)) == run(
        torch, torch.tensor([1.0, 2.0], requires_grad=True)
    )


def test_hook_returning_none_keeps_gradient():
    x = cr.tensor(2.0, requires_grad=True)
    x.register_hook(lambda g: None)
    (x * 5).backward()
    assert x.grad.item() == 5.0


def test_register_hook_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        cr.tensor(1.0).register_hook(lambda g: g)


# ------------------------------------------------------------------ requires_grad and detach


def test_requires_grad_underscore_turns_a_leaf_on_and_off():
    x = cr.tensor([1.0, 2.0])
    assert x.requires_grad_() is x
    assert x.requires_grad
    (x * 2).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]
    x.requires_grad_(False)
    assert not (x * 2).requires_grad


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: cr.tensor([1, 2]).requires_grad_(), "floating point"),
        (lambda: (cr.ones(1, requires_grad=True) * 2).requires_grad_(False), "leaf variables"),
    ],
)
def test_requires_grad_underscore_errors(make, message):
    with pytest.raises(RuntimeError, match=message):
        make()


def test_detach_shares_data_and_cuts_the_graph():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    d = y.detach()
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf
    d[0] = 100.0  # same memory: visible through y
    assert y.tolist() == [100.0, 6.0]
    assert np.shares_memory(d.numpy(), y.detach().numpy())


def test_data_attribute_is_a_detached_tensor_on_the_same_memory():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    x.data.mul_(2)  # the usual way to update parameters without recording
    assert x.tolist() == [2.0, 4.0]
    assert x.is_leaf and x.grad_fn is None
    assert isinstance(x.data, cr.Tensor) and not x.data.requires_grad


# ------------------------------------------------------------------ grad modes


def test_no_grad_context_records_nothing():
    x = cr.ones(2, requires_grad=True)
    with cr.no_grad():
        y = x * 2
        assert not cr.is_grad_enabled()
    assert cr.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None


def test_enable_grad_inside_no_grad_records():
    x = cr.ones(2, requires_grad=True)
    with cr.no_grad(), cr.enable_grad():
        y = x * 2
    assert y.grad_fn is not None


@pytest.mark.parametrize("parentheses", [True, False])
def test_no_grad_and_enable_grad_as_decorators(parentheses):
    x = cr.ones(2, requires_grad=True)

    def double(t):
        return t * 2

    off = cr.no_grad()(double) if parentheses else cr.no_grad(double)
    on = cr.enable_grad()(double) if parentheses else cr.enable_grad(double)
    assert not off(x).requires_grad
    with cr.no_grad():
        assert on(x).requires_grad
    assert cr.is_grad_enabled()
    assert off.__name__ == "double"


def test_grad_mode_is_restored_after_an_exception():
    with pytest.raises(ValueError, match="boom"), cr.no_grad():
        raise ValueError("boom")
    assert cr.is_grad_enabled()


@pytest.mark.parametrize("mode", [True, False])
def test_set_grad_enabled_as_context_manager(mode):
    x = cr.ones(1, requires_grad=True)
    with cr.set_grad_enabled(mode):
        assert cr.is_grad_enabled() is mode
        assert (x * 2).requires_grad is mode
    assert cr.is_grad_enabled()


def test_set_grad_enabled_called_as_a_function_switches_at_once():
    try:
        cr.set_grad_enabled(False)
        assert not cr.is_grad_enabled()
        assert not (cr.ones(1, requires_grad=True) * 2).requires_grad
    finally:
        cr.set_grad_enabled(True)
    assert cr.is_grad_enabled()


def test_set_grad_enabled_as_decorator_applies_only_inside():
    @cr.set_grad_enabled(False)
    def double(t):
        return t * 2

    assert cr.is_grad_enabled()
    assert not double(cr.ones(1, requires_grad=True)).requires_grad
    assert cr.is_grad_enabled()


# ------------------------------------------------------------------ autograd.grad


def test_third_derivative_of_x_to_the_fourth_is_24x():
    x = cr.tensor(1.5, dtype=cr.float64, requires_grad=True)
    (d1,) = cr.autograd.grad(x**4, x, create_graph=True)
    (d2,) = cr.autograd.grad(d1, x, create_graph=True)
    (d3,) = cr.autograd.grad(d2, x)
    assert d1.item() == pytest.approx(4 * 1.5**3)
    assert d2.item() == pytest.approx(12 * 1.5**2)
    assert d3.item() == pytest.approx(24 * 1.5)
    assert x.grad is None  # autograd.grad returns, it does not accumulate


def test_sin_differentiated_three_times_cycles_through_cos_and_minus_sin():
    v = 0.5
    x = cr.tensor(v, dtype=cr.float64, requires_grad=True)
    y = cr.sin(x)
    found = []
    for _ in range(3):
        (y,) = cr.autograd.grad(y, x, create_graph=True)
        found.append(y.item())
    assert found == pytest.approx([math.cos(v), -math.sin(v), -math.cos(v)], rel=1e-12)


def test_create_graph_backward_gives_differentiable_grad():
    x = cr.tensor(2.0, requires_grad=True)
    (x**3).backward(create_graph=True)
    g = x.grad
    assert g.item() == 12.0 and g.requires_grad
    x.grad = None
    g.backward()
    assert x.grad.item() == 12.0  # d/dx 3x² = 6x


def test_grad_of_several_inputs_and_outputs():
    a = cr.tensor(2.0, requires_grad=True)
    b = cr.tensor(3.0, requires_grad=True)
    ga, gb = cr.autograd.grad([a * b, a + b], [a, b])
    assert (ga.item(), gb.item()) == (4.0, 3.0)  # (b + 1, a + 1)


def test_grad_allow_unused_returns_none_for_unused_input():
    a = cr.tensor(1.0, requires_grad=True)
    b = cr.tensor(2.0, requires_grad=True)
    ga, gb = cr.autograd.grad(a * 2, [a, b], allow_unused=True)
    assert ga.item() == 2.0 and gb is None


def test_grad_of_unused_input_raises_without_allow_unused():
    a = cr.tensor(1.0, requires_grad=True)
    b = cr.tensor(2.0, requires_grad=True)
    with pytest.raises(RuntimeError, match="allow_unused=True"):
        cr.autograd.grad(a * 2, [a, b])


def test_grad_with_respect_to_a_non_leaf():
    a = cr.tensor(1.0, requires_grad=True)
    m = a * 3
    out = m * m
    (gm,) = cr.autograd.grad(out, m)
    assert gm.item() == 6.0  # 2m
    assert a.grad is None


def test_grad_with_respect_to_tensor_without_grad_raises():
    x = cr.tensor(1.0, requires_grad=True)
    with pytest.raises(RuntimeError, match="does not require grad"):
        cr.autograd.grad(x * 2, cr.tensor(1.0))


def test_grad_outputs_weights_a_non_scalar_output():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    (g,) = cr.autograd.grad(x**2, x, grad_outputs=cr.tensor([1.0, -1.0]))
    assert g.tolist() == [2.0, -4.0]


def test_backward_inputs_limits_which_leaves_accumulate():
    a = cr.tensor(1.0, requires_grad=True)
    b = cr.tensor(2.0, requires_grad=True)
    (a * b).backward(inputs=[a])
    assert a.grad.item() == 2.0
    assert b.grad is None


def test_backward_inputs_accepts_one_tensor():
    a = cr.tensor(1.0, requires_grad=True)
    b = cr.tensor(2.0, requires_grad=True)
    (a * b).backward(inputs=b)
    assert b.grad.item() == 1.0 and a.grad is None


def test_autograd_backward_of_several_outputs_adds_them():
    x = cr.tensor(2.0, requires_grad=True)
    cr.autograd.backward([x * 3, x**2])
    assert x.grad.item() == 7.0


def test_higher_order_matches_pytorch():

    def derivatives(lib, x):
        y = lib.exp(lib.sin(x)) * x
        found = []
        for _ in range(3):
            (y,) = lib.autograd.grad(y, x, create_graph=True)
            found.append(y.item())
        return found

    ours = derivatives(cr, cr.tensor(0.3, dtype=cr.float64, requires_grad=True))
    theirs = derivatives(torch, torch.tensor(0.3, dtype=torch.float64, requires_grad=True))
    assert ours == pytest.approx(theirs, rel=1e-12)


# ------------------------------------------------------------------ autograd.Function


class MyExp(cr.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        out = x.exp()
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * out


class Scale(cr.autograd.Function):
    @staticmethod
    def forward(ctx, x, k):
        ctx.k = k
        ctx.seen_needs = ctx.needs_input_grad
        return x * k

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.k, None


class Square(cr.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return 2 * x * grad


def test_custom_function_matches_builtin_gradient():
    values = [-1.0, 0.0, 0.5, 2.0]
    x1 = cr.tensor(values, requires_grad=True)
    x2 = cr.tensor(values, requires_grad=True)
    y1 = MyExp.apply(x1)
    y2 = cr.exp(x2)
    (y1 * y1).sum().backward()
    (y2 * y2).sum().backward()
    np.testing.assert_allclose(y1.detach().numpy(), y2.detach().numpy())
    np.testing.assert_allclose(x1.grad.numpy(), x2.grad.numpy())


def test_custom_function_node_name_and_repr():
    y = MyExp.apply(cr.tensor([0.0], requires_grad=True))
    assert y.grad_fn.name() == "MyExpBackward"
    assert repr(y) == "tensor([1.], grad_fn=<MyExpBackward>)"


def test_custom_function_non_tensor_argument_and_needs_input_grad():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = Scale.apply(x, 3.0)
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
    assert y.grad_fn.ctx.seen_needs == (True, False)


def test_custom_function_without_grad_inputs_records_nothing():
    y = Scale.apply(cr.tensor([1.0]), 2.0)
    assert y.grad_fn is None and not y.requires_grad


def test_custom_function_forward_runs_without_recording():
    seen = []

    class Probe(cr.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            seen.append(cr.is_grad_enabled())
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    Probe.apply(cr.tensor(1.0, requires_grad=True))
    assert seen == [False]


def test_custom_function_wrong_number_of_gradients_raises():
    class Bad(cr.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, grad):
            return grad

    a, b = cr.tensor(1.0, requires_grad=True), cr.tensor(2.0, requires_grad=True)
    with pytest.raises(RuntimeError, match="incorrect number of gradients"):
        Bad.apply(a, b).backward()


def test_custom_function_supports_double_backward():
    x = cr.tensor(3.0, requires_grad=True)
    (g,) = cr.autograd.grad(Square.apply(x), x, create_graph=True)
    assert g.item() == 6.0
    (gg,) = cr.autograd.grad(g, x)
    assert gg.item() == 2.0  # as in PyTorch, whose saved input stays connected to the graph


def test_custom_function_saving_its_output_supports_double_backward():
    x = cr.tensor(0.5, dtype=cr.float64, requires_grad=True)
    (g,) = cr.autograd.grad(MyExp.apply(x), x, create_graph=True)
    (gg,) = cr.autograd.grad(g, x)
    assert gg.item() == pytest.approx(math.exp(0.5), rel=1e-12)


# ------------------------------------------------------------------ freed graphs


@pytest.mark.parametrize("make", [lambda x: x.exp(), lambda x: x * x, lambda x: (x * 2).sin()])
def test_second_backward_through_freed_graph_raises(make):
    x = cr.tensor(1.0, requires_grad=True)
    y = make(x)
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_retain_graph_allows_backward_twice():
    x = cr.tensor(1.0, requires_grad=True)
    y = (x * 2).sin()
    y.backward(retain_graph=True)
    first = x.grad.item()
    y.backward()
    assert x.grad.item() == pytest.approx(2 * first)


def test_autograd_grad_frees_the_graph_unless_retained():
    x = cr.tensor(1.0, requires_grad=True)
    y = x.exp()
    cr.autograd.grad(y, x, retain_graph=True)
    cr.autograd.grad(y, x)
    with pytest.raises(RuntimeError, match="second time"):
        cr.autograd.grad(y, x)


# ------------------------------------------------------------------ graph introspection


def test_is_leaf_for_leaves_results_and_constants():
    x = cr.tensor([1.0], requires_grad=True)
    assert x.is_leaf
    assert not (x * 2).is_leaf
    assert cr.tensor([1.0]).is_leaf
    assert (cr.tensor([1.0]) * 2).is_leaf  # no graph recorded: a leaf, as in PyTorch
    with cr.no_grad():
        assert (x * 2).is_leaf


@pytest.mark.parametrize(
    ("make", "name"),
    [
        (lambda x: x * 2, "MulBackward0"),
        (lambda x: x + 2, "AddBackward0"),
        (lambda x: x - 2, "SubBackward0"),
        (lambda x: x / 2, "DivBackward0"),
        (lambda x: x**2, "PowBackward0"),
        (lambda x: -x, "NegBackward0"),
        (lambda x: x.exp(), "ExpBackward0"),
        (lambda x: x.sin(), "SinBackward0"),
        (lambda x: x.sum(), "SumBackward0"),
        (lambda x: x.mean(), "MeanBackward0"),
    ],
)
def test_grad_fn_names_follow_pytorch(make, name):
    y = make(cr.tensor([1.0, 2.0], requires_grad=True))
    assert y.grad_fn.name() == name
    assert repr(y.grad_fn) == f"<{name} object at {hex(id(y.grad_fn))}>"


def test_grad_fn_names_agree_with_pytorch():
    ops = [lambda x: x * x, lambda x: x + 1, lambda x: x.exp(), lambda x: x.sin(), lambda x: -x]
    for op in ops:
        ours = op(cr.tensor([1.0], requires_grad=True)).grad_fn.name()
        theirs = type(op(torch.tensor([1.0], requires_grad=True)).grad_fn).__name__
        assert ours == theirs


def test_next_functions_point_to_parents_and_leaves():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    z = y.sin()
    assert z.grad_fn.next_functions == ((y.grad_fn, 0),)
    (first, constant) = y.grad_fn.next_functions
    assert first[0].variable is x  # a leaf's node is its AccumulateGrad, as in PyTorch
    assert first[0] is y.grad_fn.next_functions[0][0] and first[0].next_functions == ()
    assert constant == (None, 0)
