"""In-place view methods (t_, transpose_, swapdims_, swapaxes_, squeeze_, unsqueeze_,
as_strided_), as_strided, new_empty_strided, the unsafe splits and output_nr against PyTorch.

Each snippet runs under PyTorch and, with ``torch`` replaced by ``chainrule``, under chainrule
(the runner of ``test_torch_snippets.py``); the printed text must be the same: values,
gradients, shapes, strides, ``is_contiguous``, ``_version``, shared data pointers, node names,
and errors (type and first line).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from test_torch_snippets import run

import chainrule as cr

# ``geometry(t)``: what a snippet prints of a tensor's layout. Strides of size-1 dimensions are
# left out: PyTorch's and NumPy's choices for them differ and address nothing.
GEOMETRY = """
import torch
def geometry(t, base=None):
    strides = [s for n, s in zip(t.shape, t.stride()) if n != 1]
    shared = None if base is None else t.data_ptr() == base.data_ptr()
    print(list(t.shape), strides, t.is_contiguous(), t._version, shared)
"""

SNIPPETS: dict[str, str] = {
    "methods_return_self_and_share_memory": """
        a = torch.arange(6.0).reshape(2, 3)
        ptr = a.data_ptr()
        for step in (lambda: a.t_(), lambda: a.transpose_(0, 1), lambda: a.swapdims_(1, 0),
                     lambda: a.swapaxes_(0, 1), lambda: a.unsqueeze_(1), lambda: a.squeeze_(),
                     lambda: a.unsqueeze_(-1), lambda: a.squeeze_(2), lambda: a.unsqueeze_(0),
                     lambda: a.squeeze_((0,))):
            print(step() is a, a.data_ptr() == ptr)
            geometry(a)
        print(a)
    """,
    "squeeze_overloads": """
        for dim in (None, 1, -1, (1, 3), (), [0, 1]):
            b = torch.zeros(2, 1, 3, 1)
            (b.squeeze_() if dim is None else b.squeeze_(dim))
            geometry(b)
    """,
    "scalars_and_vectors": """
        s = torch.tensor(3.0)
        print(s.t_(), s.unsqueeze_(0), s.squeeze_(), s._version)
        v = torch.arange(3.0)
        print(v.t_(), v.transpose_(0, -1), v._version)
        e = torch.zeros(0, 3)
        print(e.t_().shape, e.unsqueeze_(0).shape, e._version)  # (an empty tensor's strides vary)
    """,
    "refusals": """
        leaf = torch.ones(2, 3, requires_grad=True)
        error(lambda: leaf.t_())
        error(lambda: leaf.unsqueeze_(0))
        error(lambda: leaf.view(3, 2).t_())
        error(lambda: leaf.as_strided_((2,), (1,)))
        with torch.no_grad():
            v = leaf.view(3, 2)
        error(lambda: v.t_())
        error(lambda: v.mul_(2))
        a, b = (leaf * 2).split(1)
        error(lambda: a.t_())
        a, b = leaf.split(1)
        error(lambda: a.mul_(2))
        print(leaf.shape, leaf._version)
        error(lambda: torch.ones(2, 3, 4).t_())
        error(lambda: torch.ones(2, 3).transpose_(0, 5))
        error(lambda: torch.ones(2, 3).swapaxes_(0, 2))
        error(lambda: torch.ones(2, 3).unsqueeze_(4))
        error(lambda: torch.ones(2, 3).squeeze_(3))
        with torch.no_grad():
            print(leaf.t_().shape, leaf.is_leaf, leaf._version)
    """,
    "history_on_a_non_leaf": """
        x = torch.arange(6.0, requires_grad=True)
        y = x * 2
        print(y.unsqueeze_(0).grad_fn.name(), y.grad_fn.next_functions[0][0].name(), y._version)
        geometry(y)
        (y * torch.arange(6.0)).sum().backward()
        print(x.grad)
        names = []
        for step in (lambda z: z.t_(), lambda z: z.transpose_(0, 1), lambda z: z.swapdims_(0, 1),
                     lambda z: z.swapaxes_(0, 1), lambda z: z.squeeze_(),
                     lambda z: z.squeeze_(0), lambda z: z.squeeze_((0,)),
                     lambda z: z.unsqueeze_(0), lambda z: z.as_strided_((2,), (1,))):
            names.append(step(x.view(1, 6) * 1).grad_fn.name())
        print(names)
    """,
    "square_use_before_and_after": """
        x = torch.arange(9.0, requires_grad=True)
        y = (x * 1).view(3, 3) * 1
        before = y.sum(0)
        y.t_()
        (y * before[:, None] + y[0, 1]).sum().backward()
        print(x.grad)
    """,
    "a_view_stays_a_view": """
        x = torch.arange(6.0, requires_grad=True)
        w = x * 1
        v = w.view(2, 3)
        v.t_()
        print(v.grad_fn.name(), w._version, v._version)
        geometry(v, w)
        v.mul_(torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))
        print(w, w.grad_fn.name())
        w.sum().backward()
        print(x.grad)
    """,
    "views_taken_before_the_base_changed_shape": """
        x = torch.arange(6.0, requires_grad=True)
        y = (x * 2).view(2, 3) * 1
        row = y[0]
        col = y[:, 1]
        y.t_()
        y.mul_(2)
        print(row.grad_fn.name(), row, col)
        (row * torch.tensor([1.0, 2.0, 3.0]) + col.sum()).sum().backward()
        print(x.grad)
        x.grad = None
        y = (x * 2).view(2, 3) * 1
        col = y[:, 1]
        y.t_()
        y[0].mul_(10)  # column 0 of the old y, through a view taken after the change
        print(col, y)
        (col * torch.tensor([1.0, 2.0])).sum().backward()
        print(x.grad)
    """,
    "saved_values_see_the_version": """
        x = torch.ones(2, 3, requires_grad=True)
        y = x * 2
        z = y * y
        y.t_()
        short(lambda: z.sum().backward(), 95)
        y = x.exp()
        y.unsqueeze_(0)
        short(lambda: y.sum().backward(), 95)
        y = x * 2
        with torch.no_grad():
            y.t_()
        print(y.grad_fn.name(), y.shape, y._version)
    """,
    # functions that always copy, at arguments that make them the identity (one group, one
    # channel per group, factor 1, no shift): the result must not share x's memory
    "copies_at_the_identity_do_not_alias": """
        F = torch.nn.functional
        x = torch.arange(24.0).reshape(2, 4, 3, 1)
        for f in (lambda: F.channel_shuffle(x, 1), lambda: F.channel_shuffle(x, 4),
                  lambda: F.channel_shuffle(x[:1, :3], 3), lambda: F.pixel_shuffle(x, 1),
                  lambda: F.pixel_unshuffle(x, 1), lambda: x.roll(0, 1), lambda: x.flip(()),
                  lambda: torch.rot90(x, 0, (1, 2)), lambda: x.clone(), lambda: x.diff(0),
                  lambda: x.repeat_interleave(1, 1), lambda: x.repeat_interleave(1),
                  lambda: torch.matrix_power(x[:, :, :1], 1),
                  lambda: torch.linalg.matrix_power(x[:, :, :1].mT, 1)):
            y = f()
            with torch.no_grad():
                y.add_(100)
            print(y.data_ptr() == x.data_ptr(), y._is_view(), x.sum().item(), y.sum().item())
        cl = x.contiguous(memory_format=torch.channels_last)
        for y in (F.channel_shuffle(cl, 2), F.pixel_shuffle(cl, 1), F.pixel_unshuffle(cl, 1),
                  F.channel_shuffle(x, 2)):
            print(y.stride(), y._is_view())
    """,
    "matrix_power_of_one_and_tensordot_of_a_number": """
        a = torch.arange(4.0).reshape(2, 2).mT.requires_grad_()
        for y in (torch.matrix_power(a, 1), torch.linalg.matrix_power(a, 1), a.matrix_power(1)):
            print(y.stride(), y.grad_fn.name(), y.data_ptr() == a.data_ptr())
        v = torch.arange(3.0, requires_grad=True)
        for y in (torch.tensordot(v, torch.tensor(2.0), dims=0),
                  torch.tensordot(torch.tensor(2.0), v, dims=0),
                  torch.tensordot(torch.tensor(2.0), torch.tensor(3.0), dims=0)):
            print(y)
    """,
    # diff of order 0 is a copy of the input alone, its prepend and append unread
    "diff_of_order_zero": """
        x = torch.arange(6.0).reshape(2, 3).requires_grad_()
        ys = (torch.diff(x, 0, 1), torch.diff(x.mT, 0, 1), torch.diff(x, 0, 1, prepend=x),
              torch.diff(x, 0, 0, append=x[:1]), torch.diff(x, 1, 1, prepend=x))
        for y in ys:
            print(y.shape, y.stride(), y.grad_fn.name(), y.data_ptr() == x.data_ptr())
        sum((y * torch.arange(float(y.numel())).reshape(y.shape)).sum() for y in ys).backward()
        print(x.grad)
    """,
    "as_strided_views": """
        x = torch.arange(6.0)
        for size, stride, offset in [((2, 2), (1, 1), None), ((3, 2), (2, 1), 0),
                                     ((2, 3), (0, 1), 2), ((0, 2), (1, 1), 4), ((), (), 5)]:
            v = x.as_strided(size, stride, offset)
            print(v, v.storage_offset())
            geometry(v, x)
        print(x[2:].as_strided((2, 2), (1, 1)).storage_offset(), x[2:].as_strided((2,), (1,), 0))
        print(torch.as_strided(x.view(2, 3).t(), (2, 2), (3, 1), 1))
        error(lambda: x.as_strided((4, 4), (1, 1)))
        error(lambda: x.as_strided((2, 2), (-1, 1)))
        error(lambda: x.as_strided((-2, 2), (1, 1)))
        error(lambda: x.as_strided((2, 2), (1,)))
        error(lambda: x.as_strided((2, 2), (1, 1), -1))
        error(lambda: x.as_strided((2, 3), (0, 1)).add_(1))
        y = x.as_strided((2, 2), (2, 1), 1)
        y.mul_(10)
        print(x, y._version, x._version)
    """,
    "as_strided_gradients": """
        x = torch.arange(6.0, requires_grad=True)
        z = x.as_strided((3, 3), (1, 1))
        print(z.grad_fn.name(), z.grad_fn.next_functions[0][0].name())
        (z * torch.arange(9.0).view(3, 3)).sum().backward()
        print(x.grad)
        x.grad = None
        e = x[:3].expand(2, 3)
        e.as_strided((3,), (1,)).pow(2).sum().backward()
        print(x.grad)
        x.grad = None
        b = x * 1
        b.as_strided((2,), (2,), 1).mul_(10)
        print(b.grad_fn.name())
        (b * torch.arange(6.0)).sum().backward()
        print(x.grad)
    """,
    "as_strided_in_place": """
        w = torch.arange(6.0).as_strided((4,), (1,))
        print(w.as_strided_((2, 2), (2, 1), 1) is w, w, w.storage_offset(), w._version)
        geometry(w)
        x = torch.arange(6.0, requires_grad=True)
        y = x * 2
        y.as_strided_((2, 2), (1, 2), 1)
        print(y, y.grad_fn.name())
        y.sum().backward()
        print(x.grad)
    """,
    "new_empty_strided": """
        x = torch.arange(6.0)
        for size, stride, dtype in [((2, 3), (1, 2), None), ((2, 3), (3, 1), torch.int64),
                                    ((0, 3), (3, 1), None), ((2,), (0,), torch.float64)]:
            e = x.new_empty_strided(size, stride, dtype=dtype)
            print(e.dtype, e.storage_offset(), e.requires_grad)
            geometry(e)
        print(x.new_empty_strided((2,), (1,), requires_grad=True).requires_grad)
        error(lambda: x.new_empty_strided((2, 2), (1,)))
        error(lambda: x.new_empty_strided((2, -2), (1, 1)))
    """,
    "unsafe_splits": """
        x = torch.arange(6.0, requires_grad=True)
        y = x * 1
        pieces = torch.unsafe_split(y, 4)
        print(type(pieces).__name__, [(p.grad_fn.name(), p.output_nr) for p in pieces])
        print([p.grad_fn.name() for p in y.unsafe_split_with_sizes([2, 4])])
        print([(p.grad_fn.name(), p.output_nr) for p in torch.unsafe_chunk(y, 3)])
        a, b = y.unsafe_chunk(2)
        a.add_(1)
        print(a._version, b._version, y._version, a.grad_fn.name(), y.grad_fn.name(), y)
        a.sum().backward()
        print(x.grad)
        print([p.output_nr for p in y.split(2)], [p.output_nr for p in y.unbind()])
        print([p.output_nr for p in torch.arange(4.0).split(2)], y.output_nr, x.output_nr)
        error(lambda: torch.unsafe_split(y, [2, 4]))
        error(lambda: y.unsafe_split([2, 4]))
        error(lambda: torch.unsafe_split_with_sizes(y, [2, 3]))
        error(lambda: torch.unsafe_chunk(y, 0))
        error(lambda: y.unsafe_split(0))
    """,
    "resize": """
        a = torch.arange(6.0)
        ptr = a.data_ptr()
        print(a.resize_(2, 2) is a, a, a.data_ptr() == ptr)
        geometry(a)
        a.resize_(3, 3)
        print(a.shape, a._version, a[:2])
        print(a.resize_(0), a._version, a.resize_as_(torch.ones(2, 1)).shape)
        v = torch.arange(6.0)[2:]
        print(v.resize_(2), v.storage_offset(), torch.ones(2).resize_((2, 3)).shape)
        x = torch.arange(6.0).view(2, 3).t()
        print(x.resize_(3, 2).stride(), x)
        error(lambda: torch.ones(2, requires_grad=True).resize_(3))
        error(lambda: (torch.ones(2, requires_grad=True) * 1).resize_as_(torch.ones(3)))
    """,
    "legacy_new": """
        print(torch.ones(2, dtype=torch.int64).new(2, 3).dtype, torch.ones(2).new([1, 2]))
        print(torch.ones(2, dtype=torch.float64).new([1, 2]).dtype, torch.ones(2).new().shape)
        print(torch.ones(2).new((2, 3)), torch.ones(2).new(torch.Size([2, 3])).shape)
        m = torch.arange(3.0)
        print(torch.ones(2).new(m).data_ptr() == m.data_ptr())
        error(lambda: torch.ones(2).new(2.5))
        error(lambda: torch.ones(2).new(torch.arange(3)))
    """,
    "views_of_views_inherit_how_their_base_was_made": """
        x = torch.ones(4, 6, requires_grad=True)
        b = x * 1
        with torch.no_grad():
            v = b[1:]
        c = b.chunk(2, -1)[0]
        error(lambda: v[0].mul_(2))
        error(lambda: c[1:].mul_(2))
        error(lambda: c.t().mul_(2))
        error(lambda: c[1:][0].mul_(2))
        error(lambda: b.unbind(0)[1].view(2, 3)[0].mul_(2))
        error(lambda: b.split(2)[1].diagonal().mul_(2))
        late, late_of_chunk = v[0], c[1:]
        b.mul_(2)
        error(lambda: late.sum())
        error(lambda: late_of_chunk.sum())
    """,
    "detached_alias_views_follow_their_own_base": """
        x = torch.ones(2, 3, requires_grad=True)
        y = torch.full((3,), 2.0, requires_grad=True)
        r = (x * 1).relu()
        d = r.detach()
        e = d[0]
        r.div_(2)  # r's memory gains history; d, sharing it, does not
        print(d.requires_grad, e.requires_grad, e.is_leaf)
        e.copy_(y)
        print(d.requires_grad, d.grad_fn.name(), e.requires_grad)
        d.sum().backward()
        print(y.grad, x.grad)
    """,
}


@pytest.mark.parametrize("name", SNIPPETS)
def test_snippet_prints_what_pytorch_prints(name: str) -> None:
    source = GEOMETRY + SNIPPETS[name].replace("\n        ", "\n")
    expected = run(source).replace("torch", "chainrule")
    assert run(source.replace("torch", "chainrule")) == expected


GEOMETRIES = [
    ((6,), (2, 2), (1, 1), None),
    ((6,), (3, 2), (1, 1), 0),
    ((2, 3), (2, 2), (3, 1), 1),
    ((2, 3), (3, 2), (1, 3), None),
    ((4,), (2, 3), (0, 1), 1),
    ((3, 4), (2, 2, 2), (4, 1, 1), 2),
    ((5,), (0,), (1,), 3),
]


@pytest.mark.parametrize(("shape", "size", "stride", "offset"), GEOMETRIES)
@pytest.mark.parametrize("transposed", [False, True])
def test_as_strided_values_and_gradients_match_torch(
    shape: tuple[int, ...],
    size: tuple[int, ...],
    stride: tuple[int, ...],
    offset: int | None,
    transposed: bool,
) -> None:
    rng = np.random.default_rng(0)
    data = rng.standard_normal(shape)
    data[0] = np.nan if data.size > 3 else data[0]  # a nan is read, and passes no gradient on
    weights = rng.standard_normal(size)
    results = []
    for lib in (torch, cr):
        x = lib.tensor(data, requires_grad=True)
        y = x.t() if transposed and x.ndim == 2 else x
        out = y.as_strided(size, stride, offset)
        (out * lib.tensor(weights)).sum().backward()
        results.append((out.detach().numpy(), x.grad.numpy(), out.stride(), out.storage_offset()))
    (want, want_grad, want_stride, want_offset), (got, got_grad, stride_, offset_) = results
    np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(got_grad, want_grad, rtol=1e-12, atol=0)
    assert (stride_, offset_) == (want_stride, want_offset)
