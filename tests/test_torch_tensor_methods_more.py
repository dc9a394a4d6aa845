"""PyTorch's further Tensor methods and small nn pieces against PyTorch: ``fill_diagonal_``,
``resize``, ``apply_``/``map_``/``map2_``, storages and ``set_``, ``dim_order``, the device and
layout flags, the removed methods' errors, ``DataParallel``, ``linear_cross_entropy``,
``binomial`` and the profiler.

The snippets print values, gradients, version counters, warnings and errors (type and first
line) under PyTorch and under chainrule (``torch`` replaced by ``chainrule`` in the source;
the runner is ``tests/test_torch_snippets.py``'s), and the two outputs must be equal.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from test_torch_snippets import run

import chainrule as cr

WARNED = """
        import warnings
        def warned(f):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    print(f())
                except Exception as e:
                    print(f"{type(e).__name__}: {str(e).splitlines()[0]}")
            print([str(w.message) for w in caught])"""

SNIPPETS: dict[str, str] = {
    "fill_diagonal_shapes_and_wrap": """
        import torch
        for size, wrap in [((3, 3), False), ((7, 3), True), ((7, 3), False), ((12, 3), True),
                           ((3, 7), True), ((4, 3), True), ((2, 2, 2), False), ((3, 3, 3), True),
                           ((0, 0), False), ((1, 5), True)]:
            x = torch.zeros(*size)
            x.fill_diagonal_(1.5, wrap=wrap)
            print(size, wrap, x, x._version)
        t = torch.zeros(3, 7).t()
        print(t.fill_diagonal_(2, wrap=True), t._version)
        s = torch.zeros(6, 6)[::2, 1:]
        print(s.fill_diagonal_(3), torch.zeros(3, 3).fill_diagonal_(torch.tensor(4.0)))
    """,
    "fill_diagonal_dtypes_and_errors": """
        import torch
        print(torch.zeros(3, 3, dtype=torch.int64).fill_diagonal_(1.7))
        print(torch.zeros(2, 2, dtype=torch.bool).fill_diagonal_(2))
        print(torch.zeros(2, 2, dtype=torch.uint8).fill_diagonal_(-1))
        error(lambda: torch.zeros(2, 2, dtype=torch.uint8).fill_diagonal_(300))
        error(lambda: torch.zeros(3).fill_diagonal_(1))
        error(lambda: torch.zeros(2, 3, 2).fill_diagonal_(1))
        error(lambda: torch.zeros(2, 2).fill_diagonal_(torch.tensor(1.0, requires_grad=True)))
    """,
    "fill_diagonal_gradients_and_leaves": """
        import torch
        a = torch.arange(1.0, 10.0).reshape(3, 3).requires_grad_()
        b = a * 2
        b.fill_diagonal_(5)
        print(b, b.requires_grad, b._version)
        (b * torch.arange(9.0).reshape(3, 3)).sum().backward()
        print(a.grad)
        c = torch.ones(5, 2, requires_grad=True)
        d = c * 3
        d.fill_diagonal_(0, wrap=True)
        d.sum().backward()
        print(c.grad)
        saved = c.exp()  # exp's backward reads its output, which the fill changes
        saved.fill_diagonal_(0)
        short(lambda: saved.sum().backward(), 80)  # (the rest is worded as chainrule's own)
        error(lambda: torch.ones(2, 2, requires_grad=True).fill_diagonal_(1))
        leaf = torch.ones(2, 2, requires_grad=True)
        with torch.no_grad():
            leaf.fill_diagonal_(3)
        print(leaf, leaf._version)
        e = torch.ones(3, requires_grad=True).exp()
        e.fill_(2)
        base = torch.ones(4, 4, requires_grad=True).clone()
        view = base[1:, 1:]
        view.fill_diagonal_(7)
        base.sum().backward()
        print(base, view._version)
    """,
    "resize_deprecated": WARNED
    + """
        import torch
        x = torch.arange(12.0).reshape(3, 4)
        warned(lambda: x.resize(2, 6))
        warned(lambda: x.resize((4, 3)))
        warned(lambda: x.resize(2, 2))
        warned(lambda: x.resize_as(torch.zeros(6, 2)))
        warned(lambda: x.t().resize(12))
        y = torch.arange(6.0, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            z = y.resize(2, 3)
        (z * torch.tensor([[1.0, 2, 3], [4, 5, 6]])).sum().backward()
        print(z.shape, y.grad, x._version)
        r = torch.arange(5.0)
        print(r.resize_as_(torch.zeros(2, 2)), r._version)
    """,
    "apply_map_map2": """
        import torch
        x = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
        print(x.apply_(lambda v: v * v + 0.5), x._version)
        i = torch.tensor([1, 2, 3])
        print(i.apply_(lambda v: v * 2.7), i.apply_(lambda v: type(v).__name__ == "int"))
        print(torch.tensor([True, False]).apply_(lambda v: not v))
        y = torch.zeros(2, 3)
        print(y.map_(torch.tensor([1.0, 2.0, 3.0]), lambda a, b: a + 10 * b), y._version)
        print(y.map2_(torch.ones(2, 1), torch.tensor([1.0, 0.0, -1.0]), lambda a, b, c: a * c + b))
        error(lambda: torch.ones(3).apply_(lambda v: "a"))
        error(lambda: torch.ones(3).apply_(lambda v: None))
        error(lambda: torch.ones(3).apply_(1))
        error(lambda: torch.ones(3, requires_grad=True).apply_(lambda v: v))
        with torch.no_grad():
            error(lambda: torch.ones(3, requires_grad=True).apply_(lambda v: v))
        error(lambda: torch.ones(2, 3).map_(torch.ones(2), lambda a, b: a))
        error(lambda: torch.ones(3).map_(torch.ones(3, requires_grad=True), lambda a, b: a))
        error(lambda: torch.ones(3, dtype=torch.int32).map_(torch.ones(3), lambda a, b: a))
        error(lambda: torch.ones(3).map2_(torch.ones(3, dtype=torch.int64), torch.ones(3),
                                          lambda a, b, c: a))
        error(lambda: torch.ones(3).map2_(torch.ones(3), torch.ones(2), lambda a, b, c: a))
        error(lambda: torch.ones(3).map2_(torch.ones(3), lambda a, b: a))
        error(lambda: torch.ones(3).map2_(1, torch.ones(3), lambda a, b, c: a))
        error(lambda: torch.ones(3).map_(1, lambda a, b: a))
        error(lambda: torch.ones(3).map_(torch.ones(3), 3))
        error(lambda: torch.ones(3, requires_grad=True).map2_(torch.ones(3), torch.ones(3),
                                                              lambda a, b, c: a))
    """,
    "storages_and_aliasing": """
        import torch
        x = torch.arange(12.0).reshape(3, 4)
        s = x.untyped_storage()
        print(s.data_ptr() == x.data_ptr(), s.size(), s.nbytes(), len(s), s.tolist()[:8], s[7])
        print(x[1].untyped_storage().data_ptr() == s.data_ptr(), x[1].data_ptr() == s.data_ptr())
        print(x.t().untyped_storage().data_ptr() == s.data_ptr(),
              x.clone().untyped_storage().data_ptr() == s.data_ptr(), s.element_size(), s.device)
        print(x.storage_type(), torch.zeros(1, dtype=torch.int32).storage_type(),
              torch.zeros(1, dtype=torch.bool).storage_type())
        print(x.const_data_ptr() == x.data_ptr(), x.is_shared(), x.is_pinned())
        y = torch.zeros(3)
        print(y.share_memory_() is y, y.is_shared(), y[1:].is_shared(), torch.zeros(3).is_shared())
    """,
    "set_and_is_set_to": """
        import torch
        a, b = torch.arange(6.0), torch.tensor([7.0, 8.0])
        print(a.set_(b), a.data_ptr() == b.data_ptr(), a._version, a.is_set_to(b), b.is_set_to(a))
        a[0] = -1
        print(b, a.is_set_to(b.view(2)), a.is_set_to(b[:1]))
        c = torch.arange(6.0)
        print(c.set_(), c.shape, c._version)
        d = torch.arange(6.0)
        print(d.set_(d.untyped_storage()), d.shape)
        e = torch.arange(6.0)
        print(e.set_(e.untyped_storage(), 1, (2, 2), (1, 2)), e.stride(), e.storage_offset())
        f = torch.arange(6.0).reshape(2, 3)
        g = torch.zeros(1)
        print(g.set_(f.t()), g.stride(), g.is_set_to(f.t()), g.is_set_to(f))
        error(lambda: torch.arange(6.0, requires_grad=True).set_(torch.zeros(2)))
        error(lambda: torch.arange(6.0).set_(torch.zeros(2, dtype=torch.int64)))
        x = torch.arange(4.0)
        print(x.is_set_to(x), x.is_set_to(x.view(2, 2)), x.is_set_to(x.clone()))
    """,
    "dim_order": """
        import torch
        for t in [torch.zeros(2, 3, 4), torch.zeros(2, 3, 4).permute(2, 0, 1),
                  torch.zeros(2, 3, 5, 7).transpose(1, 2), torch.zeros(4).expand(3, 4),
                  torch.zeros(1, 2, 3, 4), torch.zeros(3), torch.zeros(()),
                  torch.zeros(2, 3, 4, 5).permute(0, 2, 3, 1), torch.zeros(6, 6)[::2, 1:],
                  torch.zeros(2, 3, 4)[:, ::2].transpose(0, 2)]:
            print(t.shape, t.dim_order())
            short(lambda: t.dim_order(ambiguity_check=True))
        error(lambda: torch.zeros(2).dim_order(ambiguity_check="ILLEGAL"))
        print(torch.zeros(2, 3).dim_order(ambiguity_check=[]))
    """,
    "flags_layout_and_names": """
        import torch
        x = torch.ones(2, 3)
        print(x.layout, type(x.layout), x.layout == torch.strided, x.is_inference())
        print(x.is_cuda, x.is_meta, x.is_sparse, x.is_sparse_csr, x.is_mkldnn, x.is_mps,
              x.is_vulkan, x.is_xla, x.is_xpu, x.is_ipu, x.is_maia, x.is_mtia, x.is_quantized,
              x.is_nested, x.is_distributed(), x.name)
        print(x.to_dense() is x, x.to_dense(torch.float64).dtype, x.to_dense(masked_grad=False))
        w = torch.tensor([1.0, 2.0], requires_grad=True)
        print(w.grad_dtype, torch.ones(2, dtype=torch.int64).grad_dtype)
        w.grad_dtype = torch.float32
        print(w.grad_dtype)
        error(lambda: (w * 2).grad_dtype)
        error(lambda: setattr(w * 2, "grad_dtype", torch.float32))
        p = torch.zeros(2)
        q = p.module_load(torch.tensor([3.0, 4.0]))
        print(p, q, q is p, p.module_load(torch.ones(2), assign=True))
        print(torch.ones(3).ger(torch.arange(2.0)))
    """,
    "removed_and_device_methods": WARNED
    + """
        import torch
        x = torch.ones(2)
        error(lambda: x.xpu())
        error(lambda: x.ipu())
        short(lambda: x.mtia(), 40)  # (its end names a torch_mtia build target)
        error(lambda: x.cuda())
        error(lambda: x.pin_memory())
        short(lambda: x.solve(x), 60)  # (then it names torch's functions)
        error(lambda: x.reinforce(1))
        error(lambda: x.record_stream(None))
        error(lambda: x.as_subclass(int))
        warned(lambda: x.volatile)
    """,
    "delegating_methods_values_and_gradients": """
        import torch
        x = torch.tensor([-2.0, -0.3, 0.0, 0.4, 3.0], requires_grad=True)
        for f in (lambda t: t.angle(), lambda t: t.conj_physical(), lambda t: t.hardshrink(),
                  lambda t: t.hardshrink(0.35), lambda t: t.prelu(torch.tensor([0.25])),
                  lambda t: t.ger(torch.tensor([1.0, -2.0]))):
            y = f(x)
            (g,) = torch.autograd.grad((y * y).sum(), x)
            print(y.detach(), y.requires_grad, g)
        print(torch.tensor([0, 3, 0, 1]).nonzero_static(size=3),
              torch.tensor([[0, 3], [2, 0]]).nonzero_static(size=4, fill_value=-7))
        y = x.detach().clone()
        print(y.conj_physical_() is y, y._version)
        z = x * 2
        print(z.conj_physical_(), z._version)
        error(lambda: torch.ones(2, requires_grad=True).conj_physical_())
        m = torch.ones(2, 3, requires_grad=True)
        print(m.prelu(torch.tensor([0.1, 0.2])) if False else m.hardshrink(2.0))
    """,
    "data_parallel": """
        import torch
        from torch import nn
        model = nn.Sequential(nn.Linear(3, 2))
        with torch.no_grad():
            model[0].weight.copy_(torch.tensor([[1.0, -1.0, 0.5], [0.0, 2.0, 1.0]]))
            model[0].bias.fill_(0.25)
        dp = nn.DataParallel(model)
        print(dp)
        print(dp.device_ids, dp.module is model, list(dp.state_dict()))
        out = dp(torch.tensor([[1.0, 2.0, 3.0]]))
        out.sum().backward()
        print(out, model[0].weight.grad, isinstance(dp, nn.Module))
        print(nn.DataParallel(model, device_ids=[0]).device_ids, hasattr(dp, "output_device"))
        other = nn.DataParallel(nn.Sequential(nn.Linear(3, 2)))
        print(other.load_state_dict(dp.state_dict()))
        error(lambda: nn.parallel.DistributedDataParallel(model))
        error(lambda: nn.parallel.data_parallel(model, torch.ones(1, 3)))
    """,
    "linear_cross_entropy": """
        import torch
        import torch.nn.functional as F
        x = torch.linspace(-1, 1, 8).reshape(2, 4).requires_grad_()
        w = torch.linspace(-0.5, 0.7, 12).reshape(3, 4).requires_grad_()
        b = torch.tensor([0.1, -0.2, 0.3], requires_grad=True)
        t = torch.tensor([2, 0])
        for kw in [{}, {"linear_bias": b}, {"reduction": "none"}, {"reduction": "sum"},
                   {"weight": torch.tensor([1.0, 2.0, 0.5]), "label_smoothing": 0.1},
                   {"ignore_index": 0}]:
            loss = F.linear_cross_entropy(x, w, t, **kw)
            grads = torch.autograd.grad(loss.sum(), (x, w))
            print(loss.detach(), *grads)
        probs = torch.tensor([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]])
        print(F.linear_cross_entropy(x, w, probs).detach())
        print(F.linear_cross_entropy(x[0], w, torch.tensor(1)))
        wk = torch.linspace(-1, 1, 3 * 2 * 4).reshape(3, 2, 4)
        print(F.linear_cross_entropy(x, wk, torch.tensor([[0, 2], [1, 1]]), reduction="none"))
        error(lambda: F.linear_cross_entropy(torch.ones(1, 2, 4), w, t))
        error(lambda: F.linear_cross_entropy(x, torch.ones(4), t))
        error(lambda: F.linear_cross_entropy(x, torch.ones(3, 5), t))
        error(lambda: F.linear_cross_entropy(x, w, t, linear_bias=torch.ones(2)))
        error(lambda: F.linear_cross_entropy(x[0], wk, torch.tensor([0, 1])))
        error(lambda: F.linear_cross_entropy(x, w, probs, ignore_index=1))
    """,
    "linear_cross_entropy_module": """
        import torch
        from torch import nn
        loss = nn.LinearCrossEntropyLoss(4, 3, out_features=(2,), bias=True,
                                         label_smoothing=0.2)
        print(loss, [(k, tuple(v.shape)) for k, v in loss.state_dict().items()])
        with torch.no_grad():
            loss.linear.weight.copy_(torch.linspace(-1, 1, 24).reshape(6, 4))
            loss.linear.bias.copy_(torch.linspace(0, 0.5, 6))
        x = torch.linspace(-1, 1, 8).reshape(2, 4)
        out = loss(x, torch.tensor([[0, 2], [1, 1]]))
        out.backward()
        print(out, loss.linear.weight.grad, loss.linear.bias.grad)
        print(nn.LinearCrossEntropyLoss(4, 3).linear.bias, nn.LinearCrossEntropyLoss(4, 3))
        error(lambda: nn.LinearCrossEntropyLoss(4, 3, weight=torch.ones(2)))
        error(lambda: nn.LinearCrossEntropyLoss(4, 3, label_smoothing=1.5))
    """,
    # Keywords by PyTorch's names, which a survey of PyTorch's signatures found chainrule
    # refusing: copy_'s non_blocking, the sizes of view/reshape/permute/expand by name, mm's
    # mat2, uniform_'s to, RMSNorm's x
    "methods_by_pytorchs_keywords": """
        import torch
        x = torch.tensor([[2.0, 0.5], [0.5, 3.0]], requires_grad=True)
        print(torch.zeros(2).copy_(torch.ones(2), non_blocking=True))
        print(x.view(size=(4,)), x.reshape(shape=(4, 1)).shape, x.permute(dims=(1, 0)))
        print(torch.ones(2, 1).expand(size=(2, 3)), x.mm(mat2=x))
        torch.manual_seed(0)
        print(torch.zeros(3).uniform_(to=2.0), torch.zeros(3).uniform_(-1.0, to=1.0))
        print(torch.nn.RMSNorm(2)(x=x))
        error(lambda: x.reshape(shape=(4,), dims=(0,)))
        error(lambda: x.permute((1, 0), dims=(1, 0)))
    """,
    "binomial_edges_and_errors": """
        import torch
        print(torch.binomial(torch.tensor([5.0, 2.5, -1.0, 0.5, 3.0]),
                             torch.tensor([0.0, 1.0, 0.5, 1.0, 1.5])))
        print(torch.binomial(torch.zeros(0), torch.zeros(0)),
              torch.binomial(torch.tensor([0.0, 7.0]), torch.tensor([0.5, -0.5])))
        r = torch.binomial(torch.full((2, 3), 4.0, dtype=torch.float64),
                           torch.full((2, 3), 0.5, dtype=torch.float64))
        print(r.shape, r.dtype, bool(((r >= 0) & (r <= 4) & (r == r.floor())).all()))
        error(lambda: torch.binomial(torch.tensor([10, 5]), torch.tensor([0.5, 0.2])))
        error(lambda: torch.binomial(torch.ones(2), torch.tensor([1, 0])))
        error(lambda: torch.binomial(torch.ones(2, dtype=torch.float64), torch.ones(2)))
        error(lambda: torch.binomial(torch.ones(2), 0.5))
        error(lambda: torch.binomial(torch.ones(2, dtype=torch.float16),
                                     torch.ones(2, dtype=torch.float16)))
    """,
}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy warns where results are nan
@pytest.mark.parametrize("name", SNIPPETS)
def test_snippet_prints_what_pytorch_prints(name: str) -> None:
    source = SNIPPETS[name]
    expected = run(source).replace("torch", "chainrule")
    assert run(source.replace("torch", "chainrule")) == expected


# ----------------------------------------------------------------- chainrule's own checks
def test_storage_warns_as_pytorch_and_counts_elements() -> None:
    x = cr.arange(6.0).reshape(2, 3)
    with pytest.warns(UserWarning, match="TypedStorage is deprecated"):
        s = x.t().storage()
    assert (s.size(), len(s), s.nbytes(), s.element_size(), s.dtype) == (6, 6, 24, 4, cr.float32)
    assert s.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0] and s[4] == 4.0
    assert s.data_ptr() == x.data_ptr() == s.untyped().data_ptr()
    assert repr(s).endswith(
        "[chainrule.storage.TypedStorage(dtype=chainrule.float32, device=cpu) of size 6]"
    )
    x[0, 1] = 9.0  # shared, not copied
    assert s[1] == 9.0 and x.untyped_storage()[4:8] == list(np.float32(9).tobytes())


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda x: x.bfloat16(), TypeError, "no bfloat16"),
        (lambda x: x.cfloat(), TypeError, "complex dtypes are not supported"),
        (lambda x: x.cdouble(), TypeError, "complex dtypes are not supported"),
        (lambda x: x.chalf(), TypeError, "complex dtypes are not supported"),
        (lambda x: x.as_subclass(cr.Tensor), NotImplementedError, "no tensor subclass"),
        (lambda x: x.set_(cr.ones(3, requires_grad=True)), RuntimeError, "requires grad"),
        (lambda x: (x * 1).requires_grad_().mul(2).set_(), RuntimeError, "autograd history"),
        (lambda x: setattr(x, "grad_dtype", cr.float64), RuntimeError, "can only be set to"),
    ],
)
def test_what_chainrule_cannot_do_is_refused_clearly(call, error, match) -> None:
    with pytest.raises(error, match=match):
        call(cr.ones(3))


def test_fill_diagonal_gradients_match_finite_differences_to_second_order() -> None:
    def f(x: cr.Tensor) -> cr.Tensor:
        return (x * x).fill_diagonal_(0.5, wrap=True)

    x = cr.tensor(np.random.default_rng(0).normal(size=(5, 2)), requires_grad=True)
    assert cr.autograd.gradcheck(f, (x,)) and cr.autograd.gradgradcheck(f, (x,))


def test_as_strided_scatter_method_gradient_is_the_unscattered_elements() -> None:
    # PyTorch 2.13's own gradient of as_strided_scatter with a storage offset fails its
    # gradcheck (it passes the scattered positions' gradient to self); chainrule's passes.
    x = cr.tensor([-2.0, -0.3, 0.0, 0.4, 3.0], dtype=cr.float64, requires_grad=True)
    src = cr.tensor([9.0, 8.0], dtype=cr.float64)
    y = x.as_strided_scatter(src, (2,), (2,), 1)
    (g,) = cr.autograd.grad((y * y).sum(), x)
    assert g.tolist() == [-4.0, 0.0, 0.0, 0.0, 6.0]
    assert cr.autograd.gradcheck(lambda t: t.as_strided_scatter(src, (2,), (2,), 1), (x,))


def test_binomial_has_pytorchs_distribution_and_its_stream() -> None:
    # ATen's sampler replayed on the stream: the same seed gives PyTorch's draws, with the
    # binomial's moments
    count = np.full(20_000, 30.0)
    prob = np.linspace(0.05, 0.95, 20_000)
    cr.manual_seed(0)
    ours = cr.binomial(cr.tensor(count), cr.tensor(prob)).numpy()
    torch.manual_seed(0)
    theirs = torch.binomial(torch.tensor(count), torch.tensor(prob)).numpy()
    np.testing.assert_array_equal(ours, theirs)
    assert ours.dtype == np.float64 and set(np.unique(ours)) <= set(range(31))
    assert abs(ours.mean() - (count * prob).mean()) < 0.1
    cr.manual_seed(3)
    again = cr.binomial(cr.tensor(count[:50]), cr.tensor(prob[:50]))
    cr.manual_seed(3)
    assert cr.equal(again, cr.binomial(cr.tensor(count[:50]), cr.tensor(prob[:50])))
    g = cr.Generator().manual_seed(5)
    assert cr.binomial(cr.ones(4) * 9, cr.full((4,), 0.5), generator=g).shape == (4,)


def test_binomial_warns_as_pytorch_when_it_broadcasts_the_count() -> None:
    with pytest.warns(UserWarning, match=r"had shape \[2, 1\], which does not match"):
        out = cr.binomial(cr.ones(2, 1) * 10, cr.tensor([0.5, 0.2, 0.3]))
    assert out.shape == (2, 3) and not out.requires_grad


def test_linear_cross_entropy_module_with_pytorchs_parameters() -> None:
    torch.manual_seed(0)
    theirs = torch.nn.LinearCrossEntropyLoss(5, 4, out_features=(3,), bias=True).double()
    ours = cr.nn.LinearCrossEntropyLoss(5, 4, out_features=(3,), bias=True, dtype=cr.float64)
    ours.load_state_dict({k: cr.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(1).normal(size=(2, 5))
    target = np.array([[0, 3, 1], [2, 2, 0]])
    tx = torch.tensor(x, requires_grad=True)
    cx = cr.tensor(x, requires_grad=True)
    theirs(tx, torch.tensor(target)).backward()
    loss = ours(cx, cr.tensor(target))
    loss.backward()
    assert np.allclose(loss.item(), theirs(tx, torch.tensor(target)).item())
    assert np.allclose(cx.grad.numpy(), tx.grad.numpy())
    assert np.allclose(ours.linear.weight.grad.numpy(), theirs.linear.weight.grad.numpy())
    assert np.allclose(ours.linear.bias.grad.numpy(), theirs.linear.bias.grad.numpy())
    with pytest.raises(NotImplementedError, match="reference path"):
        cr.nn.functional.linear_cross_entropy(cx, cr.ones(4, 5), cr.tensor([0, 1]), options=1)


def test_profiler_counts_chainrules_ops_and_ranges_then_unwraps() -> None:
    from chainrule.op import Op

    plain = Op.__call__
    model = cr.nn.DataParallel(cr.nn.Linear(3, 2))
    profile, record_function = cr.autograd.profiler.profile, cr.autograd.profiler.record_function
    with profile(record_shapes=True) as prof, record_function("my_step"):
        for _ in range(3):
            model(cr.ones(4, 3)).relu().sum()
    counts = {e.key: e.count for e in prof.key_averages()}
    assert counts["my_step"] == 1 and counts["DataParallel.forward"] == 3
    assert counts["Linear"] == 3 and counts["Sum"] == 3
    assert Op.__call__ is plain and not cr.autograd.profiler._active
    table = prof.key_averages().table(sort_by="count", row_limit=2)
    assert "# of Calls" in table and len(table.splitlines()) == 7
    cr.ones(2).exp()  # after the block: not recorded
    assert "Exp" not in {e.key for e in prof.key_averages()}


def test_torch_profiler_names_and_chrome_trace(tmp_path) -> None:
    ready = []
    with cr.profiler.profile(
        activities=[cr.profiler.ProfilerActivity.CPU],
        schedule=cr.profiler.schedule(wait=0, warmup=0, active=1),
        on_trace_ready=ready.append,
    ) as prof:
        with cr.profiler.record_function("block"):
            cr.ones(2).exp()
        prof.step()
    assert ready == [prof] and prof.step_num == 1
    prof.export_chrome_trace(str(tmp_path / "trace.json"))
    import json

    names = [e["name"] for e in json.loads((tmp_path / "trace.json").read_text())["traceEvents"]]
    assert sorted(names) == ["Exp", "block"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with cr.autograd.profiler.profile(enabled=False) as off:
            cr.ones(1).exp()
    assert list(off.key_averages()) == []
