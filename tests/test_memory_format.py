"""Memory formats (``channels_last`` and the others) print the same under chainrule as under
PyTorch: values, shapes, strides, ``is_contiguous`` answers, errors (type and first line).

Each snippet is written for PyTorch and run twice, the second time with ``torch`` replaced by
``chainrule`` (see ``test_torch_snippets.run``). ``show(t)`` prints a tensor's shape, strides
and whether it is contiguous in each format, so every layout a snippet makes is compared.
"""

from __future__ import annotations

import pickle
import textwrap

import numpy as np
import pytest
import torch
from test_torch_snippets import run

import chainrule

HEADER = """
import torch
def show(t):
    print(tuple(t.shape), t.stride(), t.is_contiguous(),
          t.is_contiguous(memory_format=torch.channels_last),
          t.is_contiguous(memory_format=torch.channels_last_3d))
x4 = torch.arange(120.0).reshape(2, 3, 4, 5)
x5 = torch.arange(720.0).reshape(2, 3, 4, 5, 6)
cl = x4.contiguous(memory_format=torch.channels_last)
"""

SNIPPETS: dict[str, str] = {
    "format_objects": """
        print(torch.channels_last, repr(torch.contiguous_format), str(torch.preserve_format))
        print(torch.channels_last_3d, type(torch.channels_last), torch.memory_format)
        cl_, cf = torch.channels_last, torch.contiguous_format
        print(cl_ == torch.channels_last, cl_ != cf, {cl_: 1}[torch.channels_last])
        print(isinstance(torch.preserve_format, torch.memory_format))
        error(lambda: torch.memory_format())
    """,
    "contiguous_in_each_format": """
        show(cl)
        print(torch.equal(cl, x4), cl.contiguous() is cl)
        print(cl.contiguous(memory_format=torch.channels_last) is cl)
        show(cl.contiguous())
        show(x5.contiguous(memory_format=torch.channels_last_3d))
        print(x4.contiguous(memory_format=torch.contiguous_format) is x4)
        show(x4.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2))
    """,
    "contiguous_errors": """
        error(lambda: x4[0].contiguous(memory_format=torch.channels_last))
        error(lambda: x5.contiguous(memory_format=torch.channels_last))
        error(lambda: x4.contiguous(memory_format=torch.channels_last_3d))
        error(lambda: torch.tensor(1.0).contiguous(memory_format=torch.channels_last))
        error(lambda: x4.contiguous(memory_format=torch.preserve_format))
        error(lambda: x4.mT.contiguous(memory_format=torch.preserve_format))
        error(lambda: x4.contiguous(memory_format="channels_last"))
        error(lambda: x4.contiguous(memory_format=None))
        error(lambda: x4.is_contiguous(memory_format=3))
    """,
    "is_contiguous_with_sizes_of_one_and_zero": """
        for shape in [(2, 3, 1, 1), (2, 1, 4, 5), (1, 3, 4, 5), (2, 3, 1, 5), (2, 3, 4, 1),
                      (1, 1, 1, 1), (0, 3, 4, 5), (2, 0, 4, 5), (2, 3, 0, 5), (3,), ()]:
            t = torch.zeros(shape)
            show(t)
            if t.dim() == 4:
                show(t.contiguous(memory_format=torch.channels_last))
                show(t.clone(memory_format=torch.channels_last))
        for shape in [(2, 3, 1, 1, 1), (2, 1, 4, 5, 6), (1, 3, 4, 5, 6)]:
            show(torch.zeros(shape).contiguous(memory_format=torch.channels_last_3d))
        print(x4.is_contiguous(memory_format=torch.preserve_format),
              x4.mT.is_contiguous(memory_format=torch.preserve_format))
    """,
    "is_contiguous_of_views": """
        show(cl[:, :, ::2])
        show(cl[:, 1:])
        show(cl[:1])
        show(cl[..., :1, :1])
        show(cl.permute(0, 2, 3, 1))
        show(cl.transpose(2, 3))
        show(x4[:, :, ::2])
        show(x4.permute(3, 2, 1, 0))
    """,
    "clone_keeps_dense_layouts": """
        show(x4.clone(memory_format=torch.channels_last))
        show(cl.clone())
        show(cl.clone(memory_format=torch.contiguous_format))
        show(x4.permute(3, 2, 1, 0).clone())
        show(torch.zeros(2, 3, 4).permute(2, 0, 1).clone())
        show(x4[:, :, ::2].clone())
        show(cl[:, :, ::2].clone())
        show(cl[:, ::2].clone())
        show(cl[:1].expand(2, 3, 4, 5).clone())
        show(x4[:1].expand(2, 3, 4, 5).clone())
        show(x5.contiguous(memory_format=torch.channels_last_3d)[:, :, ::2].clone())
        show(torch.clone(x4, memory_format=torch.channels_last))
        print(torch.equal(cl[:, :, ::2].clone(), x4[:, :, ::2]))
        error(lambda: x4[0].clone(memory_format=torch.channels_last))
        error(lambda: x4.clone(memory_format=torch.channels_last_3d))
        error(lambda: x4.clone(memory_format="x"))
    """,
    "copies_of_views_are_row_major_and_clones_keep_the_layout": """
        x = torch.arange(24.0).reshape(2, 3, 4)
        for y in (torch.permute_copy(x, (2, 0, 1)), torch.transpose_copy(x, 0, 2),
                  torch.t_copy(x[0]), torch.expand_copy(x[:, :1], (2, 3, 4)),
                  torch.diagonal_copy(x), torch.as_strided_copy(x, (3, 2), (1, 3)),
                  torch.detach_copy(x.mT), torch.alias_copy(x.mT), torch.split_copy(x.mT, 2, 1)[0],
                  torch.narrow_copy(x.mT, 2, 1, 2), x.mT.narrow_copy(1, 1, 2),
                  torch.rot90(x.mT, 0, (1, 2)), torch.unfold_copy(x.mT, 2, 2, 1),
                  torch.clone(x.mT), x.mT.clone(), torch.fill(x.mT, 1.0), x.mT.double(),
                  torch.nan_to_num(x.mT), x.mT.clone(memory_format=torch.contiguous_format)):
            print(tuple(y.shape), y.stride(), y.sum().item())
    """,
    # NumPy's take_along_axis lays its result out as the index, its roll as x: a column-major
    # one (LAPACK's results are) made .view(-1) refuse where PyTorch's row-major result views
    "gather_and_roll_give_row_major_results": """
        x = torch.arange(12.0).reshape(4, 3).mT
        i = (x * 7).long().remainder(3).mT.contiguous().mT
        for y in (x.gather(1, i), torch.take_along_dim(x, i, 1), x.contiguous().gather(0, i),
                  x.roll(1, 1), x.roll((1, 2), (0, 1)), torch.roll(x, 1)):
            print(tuple(y.shape), y.stride(), y.view(-1).tolist())
    """,
    # PyTorch's sort, argsort and flip write into an empty_like of x (its layout where dense,
    # else row-major); its renorm kernel's result is row-major
    "sort_and_flip_keep_the_layout_and_renorm_is_row_major": """
        x = torch.arange(12.0).reshape(4, 3).mT.remainder(5)
        for t in (x, cl.remainder(7), x4.permute(3, 1, 0, 2), x.mT[:, ::2]):
            for y in (t.sort(1).values, t.sort(-1, descending=True).indices, t.argsort(0),
                      t.msort(), t.flip(0), t.flip((0, -1)), torch.fliplr(t), t.renorm(2, 0, 5.0),
                      t.topk(2, 1).values):
                print(tuple(y.shape), y.stride(), round(y.sum().item(), 3))
        z = x.clone().requires_grad_()
        z.sort(1).values.flip(0).renorm(1, 1, 2.0).mul(torch.arange(4.0)).sum().backward()
        print(z.grad.stride(), z.grad.mul(1000).round().add(0.0).tolist())  # (no -0)
    """,
    "to_with_a_memory_format": """
        p = x4.permute(3, 2, 1, 0)
        show(x4.to(memory_format=torch.channels_last))
        print(x4.to(memory_format=torch.contiguous_format) is x4)
        print(x4.to(memory_format=torch.preserve_format) is x4)
        print(p.to(memory_format=torch.contiguous_format) is p)
        print(cl.to(memory_format=torch.channels_last) is cl)
        show(p.to(memory_format=torch.channels_last))
        show(cl.to(memory_format=torch.contiguous_format))
        show(p.to(torch.float64))
        show(p.to(torch.float64, memory_format=torch.contiguous_format))
        show(p.to(torch.float32, copy=True))
        show(p.to(torch.float32, copy=True, memory_format=torch.contiguous_format))
        show(x4.to(torch.float64, memory_format=torch.channels_last))
        show(x4.to("cpu", torch.float64, memory_format=torch.channels_last))
        show(x4.to(x4, memory_format=torch.channels_last))
        print(torch.equal(x4.to(torch.float64, memory_format=torch.channels_last), x4.double()))
        show(x4.double(memory_format=torch.channels_last))
        show(x4.float(memory_format=torch.channels_last))
        show(x4.byte(memory_format=torch.channels_last))
        show(x4.cpu(memory_format=torch.channels_last))
        print(x4.cpu() is x4, x4.cpu(memory_format=torch.preserve_format) is x4)
        print(x4.float(memory_format=None) is x4, x4.long(memory_format=None).dtype)
        error(lambda: x4.float(memory_format="x"))
        error(lambda: x4.cpu(memory_format="x"))
        error(lambda: x4[0].short(memory_format=torch.channels_last))
        error(lambda: x4[0].to(memory_format=torch.channels_last))
        error(lambda: x4.to(torch.float64, memory_format=torch.channels_last_3d))
        error(lambda: x4.to(memory_format="x"))
    """,
    "empty_with_a_memory_format": """
        show(torch.empty(2, 3, 4, 5, memory_format=torch.channels_last))
        show(torch.empty(2, 3, 4, 5, 6, memory_format=torch.channels_last_3d))
        show(torch.empty(2, 0, 4, 5, memory_format=torch.channels_last))
        show(torch.empty((2, 3, 4, 5), memory_format=torch.contiguous_format))
        show(torch.empty(2, 3, 4, 5, memory_format=None))
        print(torch.empty(2, 3, 4, 5, dtype=torch.float64, memory_format=torch.channels_last).dtype)
        error(lambda: torch.empty(2, 3, 4, memory_format=torch.channels_last))
        error(lambda: torch.empty(2, 3, 4, 5, memory_format=torch.channels_last_3d))
        error(lambda: torch.empty(2, 3, 4, 5, memory_format=torch.preserve_format))
        error(lambda: torch.empty(2, 3, 4, 5, memory_format="x"))
        error(lambda: torch.zeros(2, 3, 4, 5, memory_format=torch.channels_last))
    """,
    "like_factories": """
        p = x4.permute(3, 2, 1, 0)
        makers = (torch.empty_like, torch.zeros_like, torch.ones_like, torch.rand_like)
        for f in (*makers, torch.randn_like):
            show(f(x4, memory_format=torch.channels_last))
            show(f(cl))
            show(f(p))
            show(f(cl[:, :, ::2]))
            show(f(x4[:, :, ::2]))
            show(f(cl, memory_format=torch.contiguous_format))
            show(f(x4, memory_format=None))
        show(torch.full_like(x4, 2.5, memory_format=torch.channels_last))
        show(torch.randint_like(x4, 5, memory_format=torch.channels_last))
        print(torch.ones_like(cl, dtype=torch.int64), torch.full_like(p, 7.0).sum())
        error(lambda: torch.empty_like(x4[0], memory_format=torch.channels_last))
        error(lambda: torch.zeros_like(x4, memory_format=torch.channels_last_3d))
        error(lambda: torch.empty_like(x4, memory_format="x"))
        error(lambda: torch.full_like(x4, 1, memory_format="x"))
    """,
    "random_like_factories_fill_memory_in_order": """
        p = x4.permute(3, 2, 1, 0)
        for f in (torch.rand_like, torch.randn_like):
            to_cl = {"memory_format": torch.channels_last}
            for source, kwargs in [(x4, to_cl), (cl, {}), (p, {}), (torch.zeros(1, 2, 2, 2), to_cl),
                                   (torch.zeros(2, 3, 1, 1), to_cl),
                                   (x4, {"dtype": torch.float64, **to_cl})]:
                torch.manual_seed(0)
                print(f.__name__, f(source, **kwargs).flatten()[:6].tolist())
        torch.manual_seed(0)
        drawn = torch.randint_like(x4, 0, 100, memory_format=torch.channels_last)
        print(drawn.flatten()[:8].tolist())
        torch.manual_seed(0)
        print(torch.randint_like(p, 100).flatten()[:8].tolist())
    """,
    "module_to_channels_last": """
        torch.manual_seed(0)
        conv = torch.nn.Conv2d(2, 3, 3)
        model = torch.nn.Sequential(torch.nn.Linear(5, 5), conv)
        print(model.to(memory_format=torch.channels_last) is model)
        show(model[1].weight)
        show(model[0].weight)
        print(isinstance(model[1].weight, torch.nn.Parameter), model[1].weight.requires_grad)
        model.to(torch.float64, memory_format=torch.channels_last)
        show(model[1].weight)
        print(model[1].weight.dtype)
        model.to(memory_format=torch.contiguous_format)
        show(model[1].weight)
        conv3 = torch.nn.Conv3d(2, 2, 1)
        show(conv3.to(memory_format=torch.channels_last_3d).weight)
        error(lambda: torch.nn.Conv3d(2, 2, 1).to(memory_format=torch.channels_last))
        error(lambda: torch.nn.Conv2d(2, 2, 1).to(memory_format=torch.channels_last_3d))
        error(lambda: torch.nn.Conv2d(2, 2, 1).to(memory_format="x"))
    """,
    "gradients_flow_through_layout_changes": """
        x = torch.arange(120.0).reshape(2, 3, 4, 5).requires_grad_()
        y = x.contiguous(memory_format=torch.channels_last)
        print(y.grad_fn.name(), y.is_leaf)
        (y * torch.arange(5.0)).sum().backward()
        print(x.grad.shape, x.grad[1, 2].tolist())
        x.grad = None
        z = x.clone(memory_format=torch.channels_last)
        w = x.to(torch.float64, memory_format=torch.channels_last)
        print(z.grad_fn.name(), w.grad_fn.name(), w.dtype)
        ((z ** 2).sum() + w.sum()).backward()
        print(torch.equal(x.grad, 2 * x.detach() + 1), x.grad.dtype)
        # A leaf's .grad takes the leaf's strides where they are dense (PyTorch's layout
        # contract), else row-major ones; a second backward adds into it.
        for leaf in (cl, x4.mT, x4[:, :, ::2], torch.zeros(2, 3, 1, 1, 1).contiguous(
                memory_format=torch.channels_last_3d)):
            leaf = leaf.detach().requires_grad_()
            (leaf * 2).sum().backward()
            leaf.sum().backward()
            show(leaf.grad)
            print(leaf.grad.flatten()[:3].tolist())
    """,
    "transforms_through_layout_changes": """
        from torch.func import grad, jvp, vmap
        t = torch.arange(120.0, dtype=torch.float64).reshape(2, 3, 4, 5) / 100
        f = lambda a: a.contiguous(memory_format=torch.channels_last) ** 2
        print(jvp(f, (t,), (torch.ones_like(t),))[1][1, 2, 3].tolist())
        g = grad(lambda a: (a.clone(memory_format=torch.channels_last) ** 3).sum())(t)
        print(g[1, 2].tolist())
        x = t.clone().requires_grad_()
        y = x.to(torch.float32, memory_format=torch.channels_last).double()
        (gx,) = torch.autograd.grad((y ** 3).sum(), x, create_graph=True)
        (ggx,) = torch.autograd.grad(gx.sum(), x)
        print(torch.allclose(ggx, 6 * x.detach(), atol=1e-5), gx.requires_grad)
        b = torch.zeros(3, 2, 3, 4, 5)
        error(lambda: vmap(lambda e: e.contiguous(memory_format=torch.channels_last))(b))
        error(lambda: vmap(lambda e: e.contiguous(memory_format=torch.preserve_format))(b))
        error(lambda: vmap(lambda e: e.clone(memory_format=torch.channels_last))(b))
        error(lambda: vmap(lambda e: e.to(memory_format=torch.channels_last))(b))
        error(lambda: vmap(lambda e: e.to(torch.float64, memory_format=torch.channels_last))(b))
        error(lambda: vmap(lambda e: torch.empty_like(e, memory_format=torch.channels_last))(b))
        print(vmap(lambda e: e.clone(memory_format=torch.contiguous_format))(b).shape)
        print(vmap(lambda e: e.contiguous() * 2)(b).shape, vmap(torch.zeros_like)(b).shape)
    """,
    "dim_order_with_memory_formats": """
        cf, fl, fl3 = torch.contiguous_format, torch.channels_last, torch.channels_last_3d
        for t in (x4, cl, torch.zeros(2, 1, 4, 5), torch.zeros(2, 3, 1, 1), x4.mT,
                  x5.contiguous(memory_format=fl3), torch.zeros(1, 1, 1, 1)):
            print(t.dim_order())
            for check in ([cf], [fl], [cf, fl], [fl3], [cf, fl3], [torch.preserve_format], []):
                short(lambda: t.dim_order(ambiguity_check=check), 100)
        error(lambda: x4.dim_order(ambiguity_check=[cf, 3]))
        error(lambda: x4.dim_order(ambiguity_check=(cf,)))
    """,
    "ops_on_channels_last_inputs": """
        torch.manual_seed(0)
        x = torch.randn(2, 3, 6, 6)
        xc = x.contiguous(memory_format=torch.channels_last)
        w = torch.randn(4, 3, 3, 3)
        wc = w.contiguous(memory_format=torch.channels_last)
        f = torch.nn.functional
        def close(a, b):
            print(tuple(a.shape), torch.allclose(a, b, atol=1e-5))
        close(f.conv2d(xc, wc, padding=1), f.conv2d(x, w, padding=1))
        close(f.conv2d(xc, w, stride=2), f.conv2d(x, w, stride=2))
        mean, var = torch.zeros(3), torch.ones(3)
        close(f.batch_norm(xc, mean, var, training=True), f.batch_norm(x, mean, var, training=True))
        close(xc + 1, x + 1)
        close(xc + x, x + x)
        close(torch.relu(xc), torch.relu(x))
        close(xc.sum(dim=1), x.sum(dim=1))
        close(xc.sum(dim=(2, 3)), x.sum(dim=(2, 3)))
        close(f.max_pool2d(xc, 2), f.max_pool2d(x, 2))
        close(f.adaptive_avg_pool2d(xc, 1).flatten(1), x.mean(dim=(2, 3)))
        close(xc.reshape(2, 3, 36), x.reshape(2, 3, 36))
        error(lambda: xc.view(2, 108))
        print(torch.equal(xc.sum(), x.sum()) or abs(float(xc.sum() - x.sum())) < 1e-4)
    """,
    "results_of_transposed_inputs_are_contiguous_where_pytorch_makes_them_so": """
        # (a .view() of each then works, as in PyTorch: it raised "view size is not
        # compatible" for cat, stack, softmax, the scans, the norms and reductions along dims)
        t = x4.permute(3, 0, 2, 1)
        f = torch.nn.functional
        for y in (torch.cat([t, t]), torch.cat([t, t], 2), torch.stack([t, t]),
                  torch.stack([cl, cl]), torch.cat([cl, cl], 1), torch.cat([cl, x4]),
                  t.softmax(-1), t.log_softmax(1), f.softmin(t, 0), t.cumprod(1),
                  t.cummax(2).values, t.cummax(2).indices, t.logcumsumexp(3),
                  f.layer_norm(t, (3,)), f.rms_norm(t, (3,)), t.sum(1), t.mean(2, keepdim=True),
                  t.amax(1), t.amin((1, 2)), t.prod(2), t.logsumexp(1), t.norm(dim=1),
                  t.norm(p=3, dim=2), t.var(1), t.std(2, keepdim=True), t.cumsum(1),
                  cl.mean((2, 3))):
            show(y)
            error(lambda: print(y.view(-1)[:3]))
    """,
    "a_channels_last_model_trains_as_a_contiguous_one": """
        def grads(memory_format):
            torch.manual_seed(0)
            model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4),
                                        torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(64, 2))
            model.to(memory_format=memory_format)
            x = torch.randn(2, 3, 6, 6).contiguous(memory_format=memory_format)
            model(x).square().sum().backward()
            return [p.grad for p in model.parameters()]
        pairs = zip(grads(torch.channels_last), grads(torch.contiguous_format))
        print([torch.allclose(a, b, atol=1e-5) for a, b in pairs])
    """,
}


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name", SNIPPETS)
def test_memory_format_snippet_prints_what_pytorch_prints(name: str) -> None:
    source = HEADER + textwrap.dedent(SNIPPETS[name])
    expected = run(source).replace("torch", "chainrule")
    assert run(source.replace("torch", "chainrule")) == expected


def test_channels_last_is_a_transposed_view_of_nhwc_memory() -> None:
    x = chainrule.arange(24.0).reshape(1, 2, 3, 4).contiguous(memory_format=chainrule.channels_last)
    nhwc = np.arange(24.0).reshape(1, 2, 3, 4).transpose(0, 2, 3, 1)
    np.testing.assert_array_equal(np.asarray(x.permute(0, 2, 3, 1)), nhwc)
    assert x.permute(0, 2, 3, 1).is_contiguous()


def test_formats_pickle_to_themselves() -> None:
    for fmt in (chainrule.channels_last, chainrule.preserve_format, chainrule.channels_last_3d):
        assert pickle.loads(pickle.dumps(fmt)) is fmt


def _strided_cases(count: int) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """Shapes of 3 to 5 dimensions with sizes 0 to 3 and strides (0 included) that overlap,
    leave gaps, permute or fit: the corners of PyTorch's layout rules."""
    rng = np.random.default_rng(0)
    cases = []
    for _ in range(count):
        ndim = int(rng.choice([3, 4, 4, 5]))
        shape = tuple(int(n) for n in rng.choice([0, 1, 1, 2, 3], ndim))
        strides = tuple(int(s) for s in rng.choice([0, 1, 2, 3, 4, 6, 12, 24, 60], ndim))
        cases.append((shape, strides))
    return cases


def _layout_answers(lib: object, shape: tuple[int, ...], strides: tuple[int, ...]) -> list:
    """What PyTorch's layout rules say of a view with these strides: the strides of its clone
    and of empty_like (preserve_format: kept where dense, else dense in the same order),
    is_contiguous in each format, and whether to(memory_format=...) keeps it
    (suggest_memory_format)."""
    x = lib.as_strided(lib.zeros(10000), shape, strides)
    formats = [lib.contiguous_format, lib.channels_last, lib.channels_last_3d]
    answers = [x.clone().stride(), lib.empty_like(x).stride()]
    answers += [x.is_contiguous(memory_format=f) for f in formats]
    ranks = (None, 4, 5)
    fitting = [f for f, rank in zip(formats, ranks, strict=True) if rank in (None, len(shape))]
    answers += [x.to(memory_format=f) is x for f in fitting]
    return answers


def test_layout_rules_match_pytorch_on_random_strides() -> None:
    for shape, strides in _strided_cases(1500):
        expected = _layout_answers(torch, shape, strides)
        if not any(strides) and 0 in shape:
            # NumPy keeps no strides for an empty array made with none: stride() reports the
            # row-major ones there, so its clone's are those too
            expected[0] = expected[1] = torch.empty(shape).stride()
        assert _layout_answers(chainrule, shape, strides) == expected, (shape, strides)


def test_relu_keeps_the_layout_and_signs_of_every_elementwise_result() -> None:
    """relu writes into zeros of its input's layout (NumPy's maximum against a number is 3-4x
    slower): on dense views it lays out its result as PyTorch does, on any view as chainrule's
    other elementwise results (strides of dimensions of size 1 aside: they carry no layout),
    and its values are PyTorch's (-0.0 and nan, in both layouts: test_edge_values)."""
    checked_dense = 0
    for shape, strides in _strided_cases(1500):
        x = chainrule.as_strided(chainrule.linspace(-1.0, 1.0, 10000), shape, strides)
        tx = torch.as_strided(torch.linspace(-1.0, 1.0, 10000), shape, strides)
        y, ty = x.relu(), tx.relu()
        assert y.tolist() == ty.tolist(), (shape, strides)
        assert np.signbit(y.numpy()).tolist() == torch.signbit(ty).tolist(), (shape, strides)

        def laid(t: object, shape: tuple[int, ...] = shape) -> tuple[int, ...]:
            return tuple(s for s, n in zip(t.stride(), shape, strict=True) if n > 1)

        assert laid(y) == laid(x.exp()), (shape, strides)
        if chainrule.memory_formats.is_dense_array(x.numpy()) and 0 not in shape:
            checked_dense += 1
            assert laid(y) == laid(ty), (shape, strides)
    assert checked_dense > 50  # the dense branch ran (the conv's batch-innermost outputs)
