"""``cr.func``: the transforms composed, the seed's worked examples, and PyTorch's errors.

Op-by-op checks over the whole op table live in ``test_func_op_table.py``; this file checks
the transforms themselves: compositions to third order, pytrees, per-example gradients of the
digits MLP against a loop and against ``torch.func``, and misuse.
"""

from __future__ import annotations

import itertools
import warnings
from typing import Any

import numpy as np
import pytest
import torch
import torch.func as tf

import chainrule as cr
import chainrule.func as cf
from chainrule.autodiff import batching
from chainrule.op import Op
from chainrule.training import build_model


def close(a: Any, b: Any, rtol: float = 1e-10) -> None:
    a = a.detach().numpy() if hasattr(a, "detach") else np.asarray(a)
    b = b.detach().numpy() if hasattr(b, "detach") else np.asarray(b)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol)


# ----------------------------------------------------------------------------- the seed
def test_seed_004_section_4_multivariable_chain_rule() -> None:
    """z = f(x, y) with x = g(t), y = h(t): dz/dt = dz/dx dx/dt + dz/dy dy/dt, by jvp and grad."""

    def f(x: Any, y: Any) -> Any:
        return x * y + cr.sin(x)

    def g(t: Any) -> Any:
        return t**2

    def h(t: Any) -> Any:
        return cr.exp(t)

    def z(t: Any) -> Any:
        return f(g(t), h(t))

    t = cr.tensor(0.7, dtype=cr.float64)
    dz_dx, dz_dy = cf.grad(f, argnums=(0, 1))(g(t), h(t))
    paths = dz_dx * cf.grad(g)(t) + dz_dy * cf.grad(h)(t)
    _, by_jvp = cf.jvp(z, (t,), (cr.tensor(1.0, dtype=cr.float64),))
    by_grad = cf.grad(z)(t)
    x, y = 0.7**2, np.exp(0.7)
    by_hand = (y + np.cos(x)) * 2 * 0.7 + x * np.exp(0.7)
    for value in (paths, by_jvp, by_grad):
        assert value.item() == pytest.approx(by_hand, rel=1e-12)


def test_seed_004_section_11_gradient_is_jacobian_transpose_times_gradient() -> None:
    """nabla_x L = J^T nabla_y L, with J printed by jacrev."""
    w = cr.tensor([[1.0, 2.0], [0.0, 3.0], [-1.0, 1.0]])

    def layer(x: Any) -> Any:
        return w @ x

    def loss(y: Any) -> Any:
        return (y**2).sum()

    x = cr.tensor([1.0, -1.0])
    jac = cf.jacrev(layer)(x)
    assert repr(jac) == repr(w)  # a linear layer's Jacobian is its matrix
    close(jac.T @ cf.grad(loss)(layer(x)), cf.grad(lambda v: loss(layer(v)))(x))


# ----------------------------------------------------------------------------- compositions
TRANSFORMS = {"grad": cf.grad, "jacfwd": cf.jacfwd, "jacrev": cf.jacrev}


@pytest.mark.parametrize("names", list(itertools.product(TRANSFORMS, repeat=3)), ids="-".join)
def test_third_derivative_of_sin_is_minus_cos(names: tuple[str, ...]) -> None:
    fn = cr.sin
    for name in names:
        fn = TRANSFORMS[name](fn)
    x = cr.tensor(0.4, dtype=cr.float64)
    assert fn(x).item() == pytest.approx(-np.cos(0.4), rel=1e-12)


@pytest.mark.parametrize(
    "second",
    [cf.hessian, lambda f: cf.jacrev(cf.jacrev(f)), lambda f: cf.jacfwd(cf.jacfwd(f))],
    ids=["hessian", "jacrev-jacrev", "jacfwd-jacfwd"],
)
def test_hessian_of_quadratic_form_is_a_plus_a_transpose(second: Any) -> None:
    a = np.random.default_rng(0).standard_normal((4, 4))
    A = cr.tensor(a)
    h = second(lambda x: x @ A @ x)(cr.tensor(np.ones(4)))
    close(h, a + a.T)


def test_hvp_and_linearize_match_torch() -> None:
    x, v = np.array([0.3, -0.2, 1.1]), np.array([1.0, 2.0, -1.0])

    def f(lib: Any) -> Any:
        return lambda u: (lib.tanh(u) ** 3).sum() + (u[0] * u[1] * u[2])

    (g, hv) = cf.hvp(f(cr), (cr.tensor(x),), (cr.tensor(v),))
    tx, tv = torch.tensor(x), torch.tensor(v)
    expected = tf.jvp(tf.grad(f(torch)), (tx,), (tv,))[1]
    close(hv[0], expected)
    close(g[0], tf.grad(f(torch))(tx))
    out, jvp_fn = cf.linearize(cr.sin, cr.tensor(x))
    close(out, np.sin(x))
    close(jvp_fn(cr.tensor(v)), np.cos(x) * v)


def test_pytrees_argnums_and_aux() -> None:
    params = {"w": cr.tensor([1.0, 2.0]), "b": [cr.tensor(0.5), (cr.tensor(3.0),)]}

    def f(p: Any, x: Any) -> Any:
        y = (p["w"] * x).sum() + p["b"][0] * p["b"][1][0]
        return y, {"y": y.detach()}

    grads, aux = cf.grad(f, has_aux=True)(params, cr.tensor([3.0, 4.0]))
    assert list(grads) == ["w", "b"] and isinstance(grads["b"][1], tuple)
    close(grads["w"], [3.0, 4.0])
    close(grads["b"][0], 3.0)
    close(grads["b"][1][0], 0.5)
    assert aux["y"].item() == pytest.approx(12.5)
    (value, aux2), g = cf.value_and_grad(f, argnums=1, has_aux=True)(params, cr.tensor([3.0, 4.0]))
    assert value.item() == pytest.approx(12.5) and aux2["y"].item() == pytest.approx(12.5)
    close(g, [1.0, 2.0])
    out, pullback = cf.vjp(lambda a, b: (a * b, a + b), cr.tensor(2.0), cr.tensor(5.0))
    assert [o.item() for o in out] == [10.0, 7.0]
    assert [g.item() for g in pullback((cr.tensor(1.0), cr.tensor(1.0)))] == [6.0, 3.0]


def test_results_record_nothing_unless_asked() -> None:
    x = cr.tensor([1.0, 2.0])
    assert not cf.grad(lambda v: (v**3).sum())(x).requires_grad
    assert not cf.jacrev(cr.tanh)(x).requires_grad
    xg = cr.tensor([1.0, 2.0], requires_grad=True)  # a user's graph: gradients are part of it
    g = cf.grad(lambda v: (v**3).sum())(xg)
    (gg,) = cr.autograd.grad(g.sum(), xg)
    close(gg, [6.0, 12.0])


# ----------------------------------------------------------------------------- vmap
def test_vmap_nested_out_dims_and_unbatched_outputs() -> None:
    x = cr.tensor(np.arange(6.0).reshape(2, 3))
    outer = cf.vmap(cf.vmap(lambda a, b: a * b, in_dims=(0, None)), in_dims=(None, 0))
    close(
        outer(x[0], x),
        np.einsum("j,ik->ijk", x[0].numpy(), x.numpy()).transpose(0, 2, 1).reshape(2, 3, 3) * 0
        + x.numpy()[:, None, :] * x[0].numpy()[None, :, None],
    )
    out = cf.vmap(lambda r: (r.sum(), cr.tensor(1.0)), out_dims=(0, 0))(x)
    close(out[0], [3.0, 12.0])
    close(out[1], [1.0, 1.0])
    close(cf.vmap(lambda r: r * 2, out_dims=1)(x), (x.numpy() * 2).T)


def test_vmap_chunks_and_randomness() -> None:
    x = cr.tensor(np.arange(10.0).reshape(5, 2))
    calls = []

    def f(row: Any) -> Any:
        calls.append(1)
        return row.sum() * row

    close(cf.vmap(f, chunk_size=2)(x), x.numpy().sum(1, keepdims=True) * x.numpy())
    assert len(calls) == 3  # chunks of 2, 2 and 1
    close(cf.vmap(f, in_dims=1, out_dims=1, chunk_size=1)(x.T), x.numpy().T * x.numpy().T.sum(0))
    noisy = cf.vmap(lambda row: row + cr.randn(2), randomness="same")(x)
    close(noisy - x, (noisy - x)[0].numpy()[None].repeat(5, 0))  # one draw for all
    with pytest.raises(RuntimeError, match="randomness error mode"):
        cf.vmap(lambda row: row + cr.randn(2))(x)
    with pytest.raises(RuntimeError, match="randomness error mode"):
        tf.vmap(lambda row: row + torch.randn(2))(torch.tensor(x.numpy()))


def test_per_example_gradients_of_the_digits_mlp() -> None:
    x_train, y_train, _, _ = cr.datasets.digits()
    xs, ys = x_train[:16].to(cr.float64), y_train[:16]
    model = build_model("mlp").to(cr.float64) if hasattr(cr.nn.Module, "to") else None
    model = model or build_model("mlp")
    params = {k: v.detach().to(cr.float64) for k, v in model.named_parameters()}

    def loss(p: Any, x: Any, y: Any) -> Any:
        out = cf.functional_call(model, p, (x.unsqueeze(0),))
        return cr.nn.functional.cross_entropy(out, y.unsqueeze(0))

    batched = cf.vmap(cf.grad(loss), in_dims=(None, 0, 0))(params, xs, ys)
    for i in (0, 7, 15):
        single = cf.grad(loss)(params, xs[i], ys[i])
        for k in params:
            close(batched[k][i], single[k])
    tmodel = build_model("mlp", nn=torch.nn).double()
    tparams = {k: torch.tensor(v.numpy()) for k, v in params.items()}

    def tloss(p: Any, x: Any, y: Any) -> Any:
        out = tf.functional_call(tmodel, p, (x.unsqueeze(0),))
        return torch.nn.functional.cross_entropy(out, y.unsqueeze(0))

    expected = tf.vmap(tf.grad(tloss), in_dims=(None, 0, 0))(
        tparams, torch.tensor(xs.numpy()), torch.tensor(ys.numpy())
    )
    for k in params:
        close(batched[k], expected[k], rtol=1e-9)
        # laid out as torch.func's (each weight's gradient as the weight: contiguous), so that
        # code that views them, as .view(16, -1) for per-example norms, runs
        assert batched[k].stride() == expected[k].stride(), k
        assert batched[k].view(16, -1).shape == expected[k].view(16, -1).shape


class ColumnSums(Op, abstract=True):  # abstract: kept out of the registry of real ops
    """An op that declares no batching rule."""

    def forward(self, x):
        return x.sum(0)


def test_an_op_without_a_batching_rule_loops_and_warns_once() -> None:
    batching._warned.discard("ColumnSums")
    f = cf.vmap(lambda v: ColumnSums()(v))
    x = cr.tensor(np.arange(12.0).reshape(3, 2, 2))
    with pytest.warns(UserWarning, match="no batching rule for ColumnSums"):
        out = f(x)
    close(out, x.numpy().sum(1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        f(x)  # once only


def _in_place_steps(v: Any) -> Any:
    """In-place changes of every kind on a batched tensor."""
    y = v * 1
    y[0] = v[1] * 2  # through a view, from a batched value
    y[:, 1].mul_(3)  # through a view of a view's column
    y.add_(v, alpha=0.5).clamp_(-4.0, 30.0)
    y[1].fill_(v[0, 0])
    y[0, :1].zero_()
    z = cr.zeros(2, 2)
    z.copy_(cr.ones(2)).add_(1.5)  # unbatched: changed as outside vmap
    return y + z.sum()


def test_in_place_ops_under_vmap_stay_batched_and_run_f_once() -> None:
    """Only an op without a batching rule loops over the examples (with its warning); the
    in-place ops stay batched, so f, and its side effects, run once."""
    x = cr.tensor(np.arange(12.0).reshape(3, 2, 2))
    calls = []

    def f(v: Any) -> Any:
        calls.append(1)
        return ColumnSums()(_in_place_steps(v))

    batching._warned.discard("ColumnSums")
    with pytest.warns(UserWarning, match="no batching rule for ColumnSums") as caught:
        out = cf.vmap(f)(x)
    assert len(calls) == 1
    assert len(caught) == 1  # no "once per example" fallback of the whole f
    close(out, np.stack([_in_place_steps(x[i]).numpy().sum(0) for i in range(3)]))
    grads = cf.vmap(cf.grad(lambda v: (_in_place_steps(v) ** 2).sum()))(x)
    for i in range(3):
        xi = x[i].detach().requires_grad_()
        (_in_place_steps(xi) ** 2).sum().backward()
        close(grads[i], xi.grad.numpy())


def _masked_after(change: Any) -> Any:
    """f for vmap: ``change(v)`` in place, then indexing by a batched mask (two places in
    every example), which has no batching rule, so that vmap's last resort would run f
    again once per example."""

    def f(v: Any) -> Any:
        change(v)
        return v[v.argsort(-1) >= 1]

    return f


def test_vmap_refuses_to_run_f_again_after_it_changed_an_outside_tensor_in_place() -> None:
    """A counter (or a buffer, or the caller's input) changed in place before an op that
    makes vmap fall back to running f once per example: the rerun would change it again,
    silently (a counter read 3 where torch.func's fallback, of the op alone, counts 1).
    Refused, the change made once."""
    counter = cr.zeros(())
    x = cr.tensor([[0, 1, 1], [2, 2, 3]])
    for change, changed in [(lambda v: counter.add_(1), counter), (lambda v: v.add_(1), x)]:
        before = changed.clone()
        with pytest.raises(RuntimeError, match="changed a tensor in place before it: vmap"):
            cf.vmap(_masked_after(change))(x)
        np.testing.assert_array_equal(changed.numpy(), before.numpy() + 1)


def test_vmap_runs_f_again_once_per_example_after_in_place_changes_of_its_own_tensors() -> None:
    """Tensors f made itself, batched or not, are made anew by each run: changed in place,
    the fallback's result is still the loop's."""

    def change(v: Any) -> None:
        y = v * 1
        y.add_(1)
        z = cr.zeros(3)
        z[0] = 1.0  # unbatched, made under vmap
        z.view(3, 1).mul_(2)  # through a view

    x = cr.tensor([[0, 1, 1], [2, 2, 3]])
    with pytest.warns(UserWarning, match="once per example"):
        found = cf.vmap(_masked_after(change))(x)
    np.testing.assert_array_equal(found.numpy(), [[1, 1], [2, 3]])


def test_a_change_under_an_inner_vmap_is_one_the_outer_level_cannot_repeat() -> None:
    counter = cr.zeros(())

    def outer(v: Any) -> Any:
        cf.vmap(lambda w: counter.add_(1) * 0 + w)(v.reshape(3, 1))
        return v[v.argsort(-1) >= 1]

    with pytest.raises(RuntimeError, match="outer changed a tensor in place before it"):
        cf.vmap(outer)(cr.tensor([[0, 1, 1], [2, 2, 3]]))
    assert counter.item() == 1


@pytest.mark.parametrize("transform", ["grad", "jacrev", "jacfwd"])
def test_an_argument_read_then_changed_by_a_primal_keeps_no_history(transform: str) -> None:
    """f reads b (hypot), then adds the primal a into it: b requires grad from then on, and
    the walk over f's graph took the hypot's b for a tensor from outside f. The gradient then
    kept a history (requires_grad True), and so did b. As torch.func: neither."""
    found = []
    for m, fn in ((cr, cf), (torch, tf)):
        a, b = m.tensor(0.5481, dtype=m.float64), m.tensor(-0.9209, dtype=m.float64)

        def f(a: Any, b: Any, m: Any = m) -> Any:
            h = m.hypot(a, b)
            b.add_(a)
            return b * 2 + h * 3

        d = getattr(fn, transform)(f)(a, b)
        found.append((d.item(), d.requires_grad, b.item(), b.requires_grad))
    assert found[0] == pytest.approx(found[1])
    assert found[0][1] is found[0][3] is False


def _masked_before(change: Any) -> Any:
    """f for vmap: indexing by a batched mask (no batching rule: vmap runs f once per
    example), then ``change(v)`` in place, inside each of those runs."""

    def f(v: Any) -> Any:
        picked = v[v.argsort(-1) >= 1]
        change(v)
        return picked

    return f


def test_a_run_of_vmaps_fallback_may_not_change_a_tensor_that_no_argument_holds() -> None:
    """A counter f closes over, changed in place inside the runs of vmap's fallback, was
    changed once per example (2 here), silently, where f runs once under torch.func (which
    refuses the batched mask). Refused after the first run. The run's own example of a
    batched argument, and tensors the run made, it changes as the loop does."""
    x = cr.tensor([[0, 1, 1], [2, 2, 3]])
    for m, fn in ((cr, cf), (torch, tf)):
        counter = m.zeros(())
        with pytest.raises(RuntimeError), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn.vmap(_masked_before(lambda v, c=counter: c.add_(1)))(m.tensor(x.numpy()))
        assert counter.item() == (1 if m is cr else 0)  # (PyTorch refuses before the change)
    counter = cr.zeros(())
    refused = pytest.raises(RuntimeError, match="none of its arguments holds")
    with refused, pytest.warns(UserWarning, match="once per example"):
        cf.vmap(_masked_before(lambda v: counter.add_(1)))(x)

    def own_tensors(v: Any) -> None:
        v.add_(1)
        (v * 1).mul_(2)
        cr.unsafe_split(v * 1, 1)[0].add_(1)  # (no view of v: a version counter of its own)

    y = x.clone()
    with pytest.warns(UserWarning, match="once per example"):
        found = cf.vmap(_masked_before(own_tensors))(y)
    np.testing.assert_array_equal(found.numpy(), [[1, 1], [2, 3]])
    np.testing.assert_array_equal(y.numpy(), x.numpy() + 1)


# ----------------------------------------------------------------------------- errors
ERRORS = [
    (
        "mismatched batch sizes",
        lambda m, fn: fn.vmap(lambda a, b: a + b)(m.ones(2), m.ones(3)),
        ValueError,
        "same size in the mapped dimension",
    ),
    (
        "in_dims out of range",
        lambda m, fn: fn.vmap(lambda a: a, in_dims=1)(m.ones(2)),
        ValueError,
        "expected in_dim to satisfy -1 <= in_dim < 1",
    ),
    (
        "in_dims of the wrong length",
        lambda m, fn: fn.vmap(lambda a: a, in_dims=(0, 0))(m.ones(2)),
        ValueError,
        "in_dims is not compatible with the structure of `inputs`",
    ),
    (
        "nothing mapped",
        lambda m, fn: fn.vmap(lambda a: a, in_dims=None)(m.ones(2)),
        ValueError,
        "in_dims=None",
    ),
    (
        ".item() inside vmap",
        lambda m, fn: fn.vmap(lambda a: a * a.item())(m.ones(2)),
        RuntimeError,
        "calling .item\\(\\) on a Tensor",
    ),
    (
        "control flow inside vmap",
        lambda m, fn: fn.vmap(lambda a: a if a > 0 else -a)(m.ones(2)),
        RuntimeError,
        "data-dependent control flow",
    ),
    (
        "grad of a non-scalar",
        lambda m, fn: fn.grad(lambda a: a * 2)(m.ones(2)),
        RuntimeError,
        "Expected f\\(\\*args\\) to return a scalar Tensor",
    ),
    (
        "bad randomness",
        lambda m, fn: fn.vmap(lambda a: a, randomness="sometimes"),
        RuntimeError,
        "Only allowed values for randomness",
    ),
    (
        "argnums out of range",
        lambda m, fn: fn.grad(lambda a: a.sum(), argnums=2)(m.ones(2)),
        RuntimeError,
        "Got argnum=2, but only 1 positional inputs",
    ),
    (
        "jvp shapes",
        lambda m, fn: fn.jvp(lambda a: a, (m.ones(2),), (m.ones(3),)),
        RuntimeError,
        "different size than that of the original Tensor",
    ),
    (
        "jvp not tuples",
        lambda m, fn: fn.jvp(lambda a: a, m.ones(2), m.ones(2)),
        RuntimeError,
        "Expected primals to be a tuple",
    ),
]


@pytest.mark.parametrize(
    "snippet, kind, message", [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS]
)
def test_errors_match_torch(snippet: Any, kind: type, message: str) -> None:
    with pytest.raises(kind, match=message):
        snippet(torch, tf)
    with pytest.raises(kind, match=message):
        snippet(cr, cf)


@pytest.mark.parametrize(
    "module",
    [
        "chainrule.func",
        "chainrule.autodiff.forward",
        "chainrule.autodiff.batching",
        "chainrule.autograd.forward_ad",
        "chainrule.autograd.functional",
        "chainrule.utils.checkpoint",
    ],
)
def test_docstring_examples_run(module: str) -> None:
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module))
    assert result.failed == 0 and result.attempted > 0


@pytest.mark.parametrize(
    "names",
    [("weight",), ("weight", "bias", "extra"), ("weight", "other", "extra"), ("weight", "bias")],
    ids=["missing", "unexpected", "both", "exact"],
)
def test_functional_call_strict_checks_the_keys_as_pytorch(names: tuple[str, ...]) -> None:
    """strict=True: PyTorch's RuntimeError, word for word, for keys missing or unexpected;
    with every key given, the call itself."""
    results = []
    for lib, func in ((torch, tf), (cr, cf)):
        lib.manual_seed(0)
        layer = lib.nn.Linear(2, 1)
        given = {name: lib.ones(1, 2) if name == "weight" else lib.ones(1) for name in names}
        try:
            results.append(func.functional_call(layer, given, (lib.ones(2),), strict=True).tolist())
        except RuntimeError as error:
            results.append(str(error))
    assert results[0] == results[1]


def test_per_example_gradients_of_linear_layers_run_batched_not_once_per_example() -> None:
    """vmap over nn.Linear takes its batching rules: nothing in linear may read a batched
    tensor's values (its dtype check once did, and vmap fell back to a loop over the examples,
    17 times the instructions, with the same numbers)."""
    import warnings

    model = cr.nn.Sequential(cr.nn.Linear(3, 4), cr.nn.ReLU(), cr.nn.Linear(4, 2))
    params = {k: v.detach() for k, v in model.named_parameters()}

    def loss(p: dict, x: cr.Tensor) -> cr.Tensor:
        return cr.func.functional_call(model, p, (x,)).pow(2).sum()

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        grads = cr.func.vmap(cr.func.grad(loss), in_dims=(None, 0))(params, cr.ones(5, 3))
    assert grads["0.weight"].shape == (5, 4, 3)
    assert not [w for w in caught if "once per example" in str(w.message)]


def _values_times_indices(pair: Any) -> Any:
    return pair[0] * pair[1]


@pytest.mark.parametrize(
    "pick",
    [
        pytest.param(lambda lib, x: x.sort(-1).values, id="sort"),
        pytest.param(lambda lib, x: lib.sort(x, 0, descending=True)[0], id="sort_descending"),
        # (ties broken first: PyTorch's topk orders tied values as its partial sort leaves them)
        pytest.param(
            lambda lib, x: _values_times_indices((x + lib.arange(5.0) / 8).topk(2)), id="topk"
        ),
        pytest.param(lambda lib, x: x.argsort(-1, descending=True), id="argsort"),
        pytest.param(lambda lib, x: x.msort(), id="msort"),
    ],
)
def test_sorting_runs_batched_under_vmap_as_torch_func(pick: Any) -> None:
    """sort, topk and argsort compute their order in an op of its own (SortOrder), which
    vmap runs on the whole batch: no loop over the examples (sorting once read a batched
    tensor's values, and vmap fell back to the loop), with torch.func's values and gradients."""
    x = np.random.default_rng(0).standard_normal((4, 3, 5))
    x[0, 0, :2] = x[0, 0, 2]  # ties keep their order
    x[1, 1, 3] = np.nan  # NaN sorts as the largest

    def outcome(lib: Any) -> list[np.ndarray]:
        f = lambda v: pick(lib, v)  # noqa: E731
        values = lib.func.vmap(f)(lib.tensor(x))
        if not values.is_floating_point():
            return [values.numpy()]
        grads = lib.func.vmap(lib.func.grad(lambda v: (f(v) * lib.arange(1.0, 6.0)[:1]).sum()))
        return [values.detach().numpy(), grads(lib.tensor(x)).numpy()]

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the loop's warning would fail the test
        ours = outcome(cr)
    for got, want in zip(ours, outcome(torch), strict=True):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("mask_batched", [True, False])
def test_masked_fill_runs_batched_under_vmap_as_torch_func(mask_batched: bool) -> None:
    """masked_fill checks its mask's dtype, not its values: a batched mask (attention masks
    under vmap) takes the batching rule of ``where``, not a loop over the examples."""
    x = np.random.default_rng(1).standard_normal((3, 4))
    mask = x > 0.2

    def outcome(lib: Any) -> np.ndarray:
        if mask_batched:
            f = lib.func.vmap(lambda a, m: a.masked_fill(m, -1.5))
            return f(lib.tensor(x), lib.tensor(mask)).numpy()
        return lib.func.vmap(lambda a: a.masked_fill(lib.tensor(mask[0]), 2))(lib.tensor(x)).numpy()

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = outcome(cr)
    np.testing.assert_array_equal(ours, outcome(torch))


def _attention_with_mask(lib: Any, q: Any, mask: Any) -> Any:
    return lib.nn.functional.scaled_dot_product_attention(q, q * 0.5, q + 1, attn_mask=mask)


_MASK = np.random.default_rng(3).random((3, 4, 4)) > 0.3


# (id, f(lib, x) with x one example of shape (4, 4), whether the mask is an input too)
_NO_LOOP_CASES = [
    ("contiguous_after_transpose", lambda lib, x: x.t().contiguous().view(16) * 2),
    ("contiguous_already", lambda lib, x: x.contiguous().view(-1)),
    (
        "attention_causal",
        lambda lib, x: lib.nn.functional.scaled_dot_product_attention(x, x, x, is_causal=True),
    ),
    (
        "attention_shared_bool_mask",
        lambda lib, x: _attention_with_mask(lib, x, lib.tensor(_MASK[0])),
    ),
    (
        "attention_float_mask",
        lambda lib, x: _attention_with_mask(lib, x, lib.tensor(_MASK[1] * -2.0)),
    ),
    ("scatter_a_number", lambda lib, x: x.scatter(1, lib.tensor([[0], [2], [1], [3]]), 2.5)),
    ("repeat_interleave", lambda lib, x: x.repeat_interleave(2, dim=0)),
]


@pytest.mark.parametrize("f", [c[1] for c in _NO_LOOP_CASES], ids=[c[0] for c in _NO_LOOP_CASES])
def test_layout_and_attention_run_batched_under_vmap_as_torch_func(f: Any) -> None:
    """contiguous() asks the array under the batching wrappers whether it is row-major (a
    batched tensor has no array of its own), and attention turns a boolean mask into its bias
    with ops: under vmap neither reads a batched tensor's values, so neither loops over the
    examples; values and vmapped gradients as torch.func's."""
    x = np.random.default_rng(4).standard_normal((3, 4, 4))

    def outcome(lib: Any) -> list[np.ndarray]:
        values = lib.func.vmap(lambda v: f(lib, v))(lib.tensor(x))
        grads = lib.func.vmap(lib.func.grad(lambda v: (f(lib, v) ** 2).sum()))(lib.tensor(x))
        return [values.detach().numpy(), grads.numpy()]

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = outcome(cr)
    for got, want in zip(ours, outcome(torch), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_a_mask_per_example_under_vmap_as_torch_func() -> None:
    """A boolean attention mask batched with the queries (one mask per example): the mask's
    bias is made by where's batching rule."""
    x = np.random.default_rng(5).standard_normal((3, 4, 4))

    def outcome(lib: Any) -> np.ndarray:
        f = lib.func.vmap(lambda q, m: _attention_with_mask(lib, q, m))
        return f(lib.tensor(x), lib.tensor(_MASK)).numpy()

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = outcome(cr)
    np.testing.assert_allclose(ours, outcome(torch), rtol=1e-12, atol=1e-12)
