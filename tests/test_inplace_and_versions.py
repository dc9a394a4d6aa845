"""In-place ops and the version counter: every change bumps ``t._version``, and backward raises
(never returns a wrong number) when a value it needs was changed after the forward pass."""

import numpy as np
import pytest
import torch
from snippet_outcome import outcome

import chainrule as cr
from chainrule.ops import inplace

IN_PLACE = {
    "add_": lambda t: t.add_(1),
    "add_ alpha": lambda t: t.add_(cr.ones(2), alpha=2),
    "sub_": lambda t: t.sub_(1),
    "mul_": lambda t: t.mul_(2),
    "div_": lambda t: t.div_(2),
    "zero_": lambda t: t.zero_(),
    "fill_": lambda t: t.fill_(3.0),
    "clamp_": lambda t: t.clamp_(0.0, 1.5),
    "copy_": lambda t: t.copy_(cr.tensor([7.0, 8.0])),
    "setitem": lambda t: t.__setitem__(0, 5.0),
    "setitem slice": lambda t: t.__setitem__(slice(None), cr.tensor([4.0, 4.0])),
}
EXPECTED = {
    "add_": [2.0, 3.0],
    "add_ alpha": [3.0, 4.0],
    "sub_": [0.0, 1.0],
    "mul_": [2.0, 4.0],
    "div_": [0.5, 1.0],
    "zero_": [0.0, 0.0],
    "fill_": [3.0, 3.0],
    "clamp_": [1.0, 1.5],
    "copy_": [7.0, 8.0],
    "setitem": [5.0, 2.0],
    "setitem slice": [4.0, 4.0],
}


@pytest.mark.parametrize("name", IN_PLACE)
def test_in_place_op_changes_values_returns_self_and_bumps_version(name):
    t = cr.tensor([1.0, 2.0])
    data = t.numpy()
    assert t._version == 0
    result = IN_PLACE[name](t)
    assert result is None or result is t
    assert t.tolist() == EXPECTED[name]
    assert t._version == 1
    assert np.shares_memory(t.numpy(), data)  # really in place


@pytest.mark.parametrize("name", IN_PLACE)
def test_in_place_op_on_a_graph_tensor_bumps_version_and_changes_grad_fn(name):
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    before = y.grad_fn
    IN_PLACE[name](y)
    assert y.tolist() == EXPECTED[name]
    assert y._version == 1
    assert y.grad_fn is not None and y.grad_fn is not before


@pytest.mark.parametrize(
    ("update", "expected"),
    [
        (lambda t: t.__iadd__(1), [2.0, 3.0]),
        (lambda t: t.__isub__(1), [0.0, 1.0]),
        (lambda t: t.__imul__(3), [3.0, 6.0]),
        (lambda t: t.__itruediv__(4), [0.25, 0.5]),
    ],
)
def test_augmented_assignment_is_in_place(update, expected):
    t = cr.tensor([1.0, 2.0])
    same = t
    t = update(t)
    assert t is same
    assert t.tolist() == expected and t._version == 1


def test_versions_count_every_change():
    t = cr.zeros(3)
    t += 1
    t[0] = 2.0
    t.mul_(2)
    assert t._version == 3


def test_view_shares_the_version_counter():
    x = cr.tensor([1.0, 2.0, 3.0])
    v = x.view(3)
    v.mul_(2)
    assert x.tolist() == [2.0, 4.0, 6.0]
    assert x._version == v._version == 1


def test_detach_shares_the_version_counter():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    y.detach().zero_()  # changes y's memory behind the graph's back
    assert y._version == 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


# ------------------------------------------------------------------ saved values changed


@pytest.mark.parametrize(
    ("forward", "change", "what"),
    [
        (lambda y: y.exp(), lambda y, out: out.mul_(2), "output of ExpBackward0"),
        (lambda y: y.sqrt(), lambda y, out: out.add_(1), "output of SqrtBackward0"),
        (lambda y: y.tanh(), lambda y, out: out.zero_(), "output of TanhBackward0"),
        (lambda y: y.sigmoid(), lambda y, out: out.fill_(0.5), "output of SigmoidBackward0"),
        (lambda y: y * y, lambda y, out: y.add_(1), "input of MulBackward0"),
        (lambda y: y.sin(), lambda y, out: y.mul_(2), "input of SinBackward0"),
        (lambda y: y**2, lambda y, out: y.__setitem__(0, 0.0), "input of PowBackward0"),
    ],
)
def test_backward_after_changing_a_saved_value_raises(forward, change, what):
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    out = forward(y)
    change(y, out)
    with pytest.raises(RuntimeError, match=f"(?s)modified by an inplace operation.*{what}"):
        out.sum().backward()


def test_changing_a_saved_value_raises_in_pytorch_too():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    out = (x * 1).exp()
    out.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


@pytest.mark.parametrize(
    "forward",
    [lambda y: y + 3, lambda y: y - 3, lambda y: 3 - y, lambda y: -y, lambda y: y.sum()],
)
def test_changing_an_input_that_backward_does_not_read_is_fine(forward):
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    out = forward(y).sum()
    y.add_(10)
    out.backward()
    assert abs(x.grad).tolist() == [1.0, 1.0]


@pytest.mark.parametrize("forward", [lambda y: y + 3, lambda y: -y, lambda y: y.sum()])
def test_changing_an_unread_input_is_fine_in_pytorch_too(forward):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    out = forward(y).sum()
    y.add_(10)
    out.backward()
    assert x.grad.abs().tolist() == [1.0, 1.0]


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_max_unpool_reads_its_indices_not_its_values_as_pytorch(dims: int) -> None:
    """MaxUnpool's node keeps the indices alone: the values may change in place before the
    backward (the same gradient), the indices may not (an error), in both libraries."""
    drawn = np.random.default_rng(dims).standard_normal((1, 2, *(4,) * dims)).tolist()
    found = {}
    for m in (torch, cr):
        pool = getattr(m.nn.functional, f"max_pool{dims}d")
        unpool = getattr(m.nn.functional, f"max_unpool{dims}d")
        x = m.tensor(drawn)
        pooled, indices = pool(x, 2, return_indices=True)
        values = pooled.detach().requires_grad_()
        y = values * 1
        out = unpool(y, indices, 2)
        with m.no_grad():
            y.add_(5)
        (out * m.arange(float(out.numel())).reshape(out.shape)).sum().backward()
        again = unpool(values * 1, indices, 2)
        with m.no_grad():
            indices.add_(0)
        with pytest.raises(RuntimeError, match=MODIFIED):
            again.sum().backward()
        found[m.__name__] = values.grad.tolist()
    assert found["chainrule"] == found["torch"]


MODIFIED = "modified by an inplace operation"
OVERLAP = "single memory location"


def assert_as_pytorch(code: str, words: str, refused: bool) -> None:
    """``code`` ends as PyTorch's does (values, gradients or the error), and chainrule's error
    holds ``words`` exactly where the row says it is ``refused``."""
    ours = outcome(cr, code)
    assert ours == outcome(torch, code)
    assert (words in ours) == refused


# An op whose rule reads only the indices it picked at, and its input's shape: PyTorch's node
# saves those, so the input may change in place after it; cummax's node saves the input too.
# chainrule refused all of them (found by the transform fuzzer, tests/fuzz_transforms.py).
PICKED_THEN_CHANGED = {
    name: f"""
        x = T.tensor([[0.5, -1.0, 2.0], [1.5, 0.2, -0.3]], dtype=T.float64, requires_grad=True)
        y = x * 1
        picked = {expression}
        y.add_(1.0)
        (picked * T.arange(1.0, picked.numel() + 1).reshape(picked.shape)).sum().backward()
        out = x.grad.tolist()
    """
    for name, expression in {
        "max dim": "y.max(0).values",
        "min dim": "y.min(1, keepdim=True).values",
        "sort": "y.sort(1).values",
        "topk": "y.topk(2, 1).values",
        "kthvalue": "y.kthvalue(1, 0).values",
        "median dim": "y.median(0).values",
        "nanmedian dim": "y.nanmedian(1).values",
        "mode": "y.mode(0).values",
        "cummax (refused)": "y.cummax(1).values",
        "cummin (refused)": "y.cummin(0).values",
        "amax (refused)": "y.amax(0)",
    }.items()
}


@pytest.mark.parametrize("name", PICKED_THEN_CHANGED)
def test_changing_the_input_of_an_index_picking_op_as_pytorch(name):
    assert_as_pytorch(PICKED_THEN_CHANGED[name], MODIFIED, "refused" in name)


# One output of a decomposition changed in place after another was used: PyTorch's one node
# saves every output its rule reads and refuses the backward. Chainrule's parts read the same
# arrays as the outputs hold, so before the guards (decompositions.saved_together) the change
# moved the other part's gradient silently (svd's S doubled: U's gradient halved). Singular
# and eigenvectors are squared: their signs are LAPACK's choice, PyTorch's may differ.
DECOMPOSED_THEN_CHANGED = {
    name: f"""
        x = T.tensor([[0.5, -1.0, 2.0], [1.5, 0.2, -0.3]], dtype=T.float64, requires_grad=True)
        s = x @ x.mT + T.eye(2, dtype=T.float64)
        r = {call}
        used = {used}
        {change}
        (used * T.arange(1.0, used.numel() + 1).reshape(used.shape)).sum().backward()
        out = x.grad.round(decimals=9).tolist()  # LAPACK's last bits differ
    """
    for name, (call, used, change) in {
        "svd: S then U": ("T.linalg.svd(x, full_matrices=False)", "r.U", "r.S.mul_(2)"),
        "svd: U then Vh": ("T.linalg.svd(x, full_matrices=False)", "r.Vh", "r.U.mul_(2)"),
        "svd full: U then S": ("T.linalg.svd(x.mT)", "r.S", "r.U.mul_(2)"),
        "svdvals": ("T.linalg.svdvals(x)", "r", "r.mul_(2)"),
        "eigh: values then vectors": (
            "T.linalg.eigh(s)",
            "r.eigenvectors ** 2",
            "r.eigenvalues.mul_(2)",
        ),
        "eigvalsh": ("T.linalg.eigvalsh(s)", "r", "r.add_(1)"),
        "qr: R then Q": ("T.linalg.qr(x.mT)", "r.Q ** 2", "r.R.mul_(2)"),
        "lu: L then U": ("T.linalg.lu(x)", "r.U", "r.L.mul_(2)"),
        "lu: P then L": ("T.linalg.lu(x)", "r.L", "r.P.mul_(2)"),
        "lu_factor: pivots": ("T.linalg.lu_factor(s)", "r.LU", "r.pivots.add_(0)"),
        "slogdet: sign": ("T.linalg.slogdet(s)", "r.logabsdet", "r.sign.mul_(2)"),
        "slogdet: logabsdet (allowed)": (
            "T.linalg.slogdet(s)",
            "r.logabsdet",
            "r.logabsdet.mul_(2)",
        ),
        "svd: its input changed (allowed)": ("T.linalg.svd(s)", "r.S", "s.mul_(2)"),
        "svdvals: its input changed (allowed)": ("T.linalg.svdvals(s)", "r", "s.add_(1)"),
        "eigh: its input changed (allowed)": ("T.linalg.eigh(s)", "r.eigenvalues", "s.add_(1)"),
        "qr wide: its input changed (allowed)": ("T.linalg.qr(s[:1])", "r.R", "s.mul_(2)"),
        "lu: its input changed (allowed)": ("T.linalg.lu(s)", "r.U", "s.mul_(2)"),
        "slogdet: its input changed": ("T.linalg.slogdet(s)", "r.logabsdet", "s.mul_(2)"),
        "svd: a clone changed (allowed)": (
            "T.linalg.svd(x, full_matrices=False)",
            "r.S",
            "r.U.clone().mul_(2)",
        ),
    }.items()
}


@pytest.mark.parametrize("name", DECOMPOSED_THEN_CHANGED)
def test_changing_an_output_of_a_decomposition_as_pytorch(name):
    assert_as_pytorch(DECOMPOSED_THEN_CHANGED[name], MODIFIED, "allowed" not in name)


# An op's output changed in place before the backward: refused where PyTorch's node saves the
# output (copysign's, which chainrule's rule read unguarded), allowed where its rule reads the
# input alone (sinc's and erfinv's, which chainrule's read from the output and refused).
OUTPUT_CHANGED = {
    name: f"""
        x = T.tensor([0.5, -0.25, 0.75], dtype=T.float64, requires_grad=True)
        y = {expression}
        y.add_(0.5)
        (y * T.tensor([1.0, 2.0, 3.0], dtype=T.float64)).sum().backward()
        out = x.grad.round(decimals=12).tolist()
    """
    for name, expression in {
        "sinc": "(x * 1).sinc()",
        "erfinv": "(x * 1).erfinv()",
        "copysign (refused)": "T.copysign(x * 1, T.tensor([1.0, -1.0, -1.0], dtype=T.float64))",
        "exp (refused)": "(x * 1).exp()",
        "sin": "(x * 1).sin()",
        "ldexp (refused)": "T.ldexp(x * 1, x * 2)",  # other's gradient reads the output
    }.items()
}


@pytest.mark.parametrize("name", OUTPUT_CHANGED)
def test_changing_an_output_in_place_before_backward_as_pytorch(name):
    assert_as_pytorch(OUTPUT_CHANGED[name], MODIFIED, "refused" in name)


# An input changed in place before the backward: refused where PyTorch's node saves it, else
# allowed. Chainrule guarded conv's bias, solve's B and rsqrt's input, which no rule reads
# (rsqrt's reads its output), and did not guard the inputs of max pooling, gather,
# masked_select and the normalizations, which PyTorch's nodes save.
INPUT_CHANGED = {
    name: f"""
        x = T.tensor([[0.5, -1.0, 2.0], [1.5, 0.2, -0.3]], dtype=T.float64, requires_grad=True)
        m = x @ x.mT + T.eye(2, dtype=T.float64)  # none of these is a view
        a = m.reshape(1, 1, 2, 2) * 1
        rhs = x[:, :2] * 1
        w = rhs.reshape(1, 1, 2, 2) * 1
        b = x[0, :1] * 1
        y = {call}
        {change}
        (y * T.arange(1.0, y.numel() + 1, dtype=T.float64).reshape(y.shape)).sum().backward()
        out = x.grad.round(decimals=9).tolist()
    """
    for name, (call, change) in {
        "rsqrt (allowed)": ("(a + 2).rsqrt()", "a.add_(1)"),
        "conv2d bias (allowed)": ("T.nn.functional.conv2d(a, w, b, padding=1)", "b.add_(1)"),
        "conv2d weight": ("T.nn.functional.conv2d(a, w, b, padding=1)", "w.add_(1)"),
        "conv2d input": ("T.nn.functional.conv2d(a, w, b, padding=1)", "a.add_(1)"),
        "solve B (allowed)": ("T.linalg.solve(m, rhs)", "rhs.add_(1)"),
        "solve A": ("T.linalg.solve(m, rhs)", "m.add_(1)"),
        "max_pool2d input": ("T.nn.functional.max_pool2d(a, 2)", "a.add_(1)"),
        "gather input": ("rhs.gather(1, T.tensor([[1, 0], [0, 0]]))", "rhs.add_(1)"),
        "masked_select input": ("rhs.masked_select(rhs > 0)", "rhs.add_(1)"),
        "indexing by a mask (allowed)": ("rhs[rhs > 0]", "rhs.add_(1)"),
        "layer_norm input": ("T.nn.functional.layer_norm(rhs, (2,))", "rhs.mul_(2)"),
        "ldexp input (allowed)": ("T.ldexp(rhs, b)", "rhs.add_(1)"),  # saves other, out
        "gaussian_nll_loss var (allowed)": (
            "T.nn.functional.gaussian_nll_loss(b * 3, b * 0.5, b, reduction='none')",
            "b.add_(1)",
        ),
        "group_norm input": ("T.nn.functional.group_norm(a, 1)", "a.mul_(2)"),
        "batch_norm input": (
            "T.nn.functional.batch_norm(a, None, None, training=True)",
            "a.mul_(2)",
        ),
    }.items()
}


@pytest.mark.parametrize("name", INPUT_CHANGED)
def test_changing_an_input_in_place_before_backward_as_pytorch(name):
    assert_as_pytorch(INPUT_CHANGED[name], MODIFIED, "allowed" not in name)


# einsum of one operand whose subscripts it only reorders returns a view of it, in PyTorch as in
# NumPy: an in-place change through the result changes the operand, and the reverse. chainrule's
# result shared the memory but not the version counter, so softmax's backward read its output
# as sigmoid_ had changed it and gave a wrong gradient (found by a transform fuzzer).
EINSUM_VIEWS = {
    name: f"""
        x = T.tensor([[0.3, -1.2], [0.8, 0.1]], dtype=T.float64, requires_grad=True)
        w = T.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=T.float64)
        {code}
    """
    for name, code in {
        "through the view, a saved output (refused)": (
            "s = T.softmax(x, 0); v = T.einsum('ij->ji', s); v.sigmoid_(); "
            "(v * w).sum().backward(); out = x.grad"
        ),
        "through the view, its base's history": (
            "y = x * 1; v = T.einsum('ij->ji', y); v.mul_(2); "
            "(y * w).sum().backward(); out = x.grad, y"
        ),
        "through a diagonal": (
            "y = x * 1; v = T.einsum('ii->i', y); v.mul_(3); (y * w).sum().backward(); out = x.grad"
        ),
        "through an identity, one row": (
            "y = x * 1; v = T.einsum('ij->ij', y); v[0].zero_(); "
            "(y * w).sum().backward(); out = x.grad"
        ),
        "a source written through the view": (
            "s = T.tensor([1.0, 2.0], dtype=T.float64, requires_grad=True); "
            "b = x.detach().clone(); v = T.einsum('ij->ji', b); v[0] = s; "
            "(b * w).sum().backward(); out = s.grad, b"
        ),
        "the operand changed, the view reads it": (
            "y = x * 1; v = T.einsum('ij->ji', y); y.add_(1); "
            "(v * w).sum().backward(); out = x.grad, v.detach()"
        ),
        "a view of a leaf (refused)": "v = T.einsum('ij->ji', x); v.mul_(2)",
        "a 0-d operand": "a = T.tensor(2.0); y = T.einsum('->', a); a.mul_(5); out = y",
        "a sum is no view": "y = x * 1; v = T.einsum('ij->j', y); y.add_(1); out = v.detach()",
        # a sum of one operand is contiguous, so its flatten is its view (NumPy's kept the
        # operand's order, and the flatten copied)
        "a sum's flatten is its view": (
            "a = T.arange(18.0, dtype=T.float64).reshape(2, 3, 3); v = T.einsum('abc->ca', a); "
            "v.flatten().mul_(0); out = v.stride(), v.sum().item()"
        ),
    }.items()
}


@pytest.mark.parametrize("name", EINSUM_VIEWS)
def test_an_einsum_that_reorders_one_operand_is_its_view_as_pytorch(name):
    ours = outcome(cr, EINSUM_VIEWS[name])
    assert ours == outcome(torch, EINSUM_VIEWS[name])
    assert ("modified by an inplace operation" in ours or "a view of a leaf" in ours) == (
        "refused" in name
    )


# An indexed write whose source is the written tensor itself, or a view over the same memory:
# PyTorch refuses any overlap there, the whole too (its assert_no_overlap), where an
# elementwise in-place op refuses a partial one only (``x.mul_(x)`` is fine). Chainrule
# computed the indexed writes (reading before writing) where PyTorch refuses.
OVERLAPPING_SOURCES = {
    name: f"x = T.tensor([1.0, -2.0, 3.0]); {code}; out = x.tolist()"
    for name, code in {
        "scatter_": "x.scatter_(0, T.tensor([2, 1, 0]), x)",
        "scatter_ of a view": "x[:2].scatter_(0, T.tensor([1, 0]), x[:2])",
        "scatter_add_": "x.scatter_add_(0, T.tensor([2, 1, 0]), x)",
        "scatter_reduce_": "x.scatter_reduce_(0, T.tensor([2, 1, 0]), x, 'sum')",
        "index_copy_": "x.index_copy_(0, T.tensor([2, 1, 0]), x)",
        "index_copy_ of a view": "x[1:].index_copy_(0, T.tensor([1, 0]), x[1:])",
        "index_add_": "x.index_add_(0, T.tensor([2, 1, 0]), x)",
        "index_reduce_": "x.index_reduce_(0, T.tensor([2, 1, 0]), x, 'prod')",
        "put_": "x.put_(T.tensor([2, 1, 0]), x)",
        "put_ accumulating": "x.put_(T.tensor([2, 1, 0]), x, accumulate=True)",
        "index_put_": "x.index_put_((T.tensor([2, 1, 0]),), x)",
        "setitem by an index tensor": "x[T.tensor([2, 1, 0])] = x",
        "masked_scatter_ (allowed)": "x.masked_scatter_(x > 0, x)",
        "index_fill_ by an element (allowed)": "x.index_fill_(0, T.tensor([1]), x[0])",
        "mul_ by itself (allowed)": "x.mul_(x)",
    }.items()
}


@pytest.mark.parametrize("name", OVERLAPPING_SOURCES)
def test_an_indexed_write_from_its_own_memory_as_pytorch(name):
    assert_as_pytorch(OVERLAPPING_SOURCES[name], OVERLAP, "allowed" not in name)


# In-place writes into a tensor whose elements share memory (an expanded view): PyTorch's
# fill_ and zero_ write one value everywhere and allow it; its other in-place ops refuse, and
# so does the backward of a recorded fill_ (chainrule refuses that one at the fill_ itself).
EXPANDED_WRITES = {
    "fill_": "x = T.zeros(3); x.expand(2, 3).fill_(1.5); out = x.tolist(), x._version",
    "zero_ of a column": "x = T.ones(3, 1); v = x.expand(3, 4); v.zero_(); out = x.tolist()",
    "fill_ under no_grad": (
        "x = T.zeros(3)\nwith T.no_grad(): x.expand(2, 3).fill_(2.0)\nout = x.tolist()"
    ),
    "fill_ with a 0-d tensor": "x = T.zeros(3); x.expand(2, 3).fill_(T.tensor(2.0)); out = x",
    "add_": "x = T.zeros(3); x.expand(2, 3).add_(1.0); out = x",
    "normal_": "x = T.zeros(3); x.expand(2, 3).normal_(); out = x",
    # through a view that is no one block of memory (a diagonal, a strided slice): NumPy's
    # "ndarray is not contiguous" was raised
    "fill_ of a diagonal's expand": (
        "y = T.ones(3, 3, 2); d = y.diagonal(-1, 2, 1); d.expand(2, *d.shape).fill_(-0.5)\n"
        "out = y.sum().item(), y[:, :, 1].tolist()"
    ),
    "zero_ of a strided slice's expand": (
        "z = T.ones(3, 4); z[:, ::2].expand(2, 3, 2).zero_(); out = z.tolist()"
    ),
    "fill_ recorded": (
        "x = T.zeros(3, requires_grad=True); y = x * 1; y.expand(2, 3).fill_(2.0)\n"
        "y.sum().backward(); out = x.grad"
    ),
}


@pytest.mark.parametrize("name", EXPANDED_WRITES)
def test_writing_in_place_into_an_expanded_view_as_pytorch(name):
    code = EXPANDED_WRITES[name]
    assert outcome(cr, code) == outcome(torch, code)


def test_changing_input_of_product_with_constant_is_fine_like_pytorch():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    out = (y * 2).sum()  # d/dy (2y) = 2 reads only the constant
    y.add_(1)
    out.backward()
    assert x.grad.tolist() == [2.0, 2.0]


@pytest.mark.parametrize(
    ("use", "expected"),
    [
        (lambda y, c: (y * c).sum(), [3.0, 3.0]),
        (lambda y, c: (c * y).sum(), [3.0, 3.0]),
        (lambda y, c: (y / c).sum(), [1 / 3, 1 / 3]),
        (lambda y, c: y @ c.expand(2), [3.0, 3.0]),
    ],
)
def test_changing_an_input_only_the_other_gradient_reads_is_fine(use, expected):
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    out = use(y, cr.tensor([3.0]))
    y.add_(1)
    out.backward()
    assert x.grad.tolist() == pytest.approx(expected)


@pytest.mark.parametrize(
    "use",
    [
        lambda y, c: (y * c).sum(),
        lambda y, c: (c * y).sum(),
        lambda y, c: (c / y).sum(),
        lambda y, c: c.expand(2) @ y,
    ],
)
def test_changing_an_input_a_needed_gradient_reads_still_raises(use):
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    c = cr.tensor([3.0], requires_grad=True)
    y = x * 1
    out = use(y, c)
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.backward()


# ------------------------------------------------------------------ leaves


@pytest.mark.parametrize("name", IN_PLACE)
def test_in_place_on_leaf_requiring_grad_raises(name):
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        IN_PLACE[name](x)
    assert x.tolist() == [1.0, 2.0] and x._version == 0


@pytest.mark.parametrize("name", IN_PLACE)
def test_in_place_on_leaf_inside_no_grad_works_and_records_nothing(name):
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    with cr.no_grad():
        IN_PLACE[name](x)
    assert x.tolist() == EXPECTED[name]
    assert x.is_leaf and x.requires_grad and x._version == 1


def test_parameter_update_under_no_grad_then_new_graph_uses_new_values():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    with cr.no_grad():
        w -= 0.5 * w.grad
        w.grad.zero_()
    assert w.tolist() == [0.0, 0.0]
    (w * 3).sum().backward()
    assert w.grad.tolist() == [3.0, 3.0]


# ------------------------------------------------------------------ gradients through in-place


def test_in_place_on_non_leaf_gives_pytorchs_gradient():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.add_(1)
    y.mul_(3)
    (y * y).sum().backward()
    # y = 3(2x + 1), d/dx sum y² = 2y * 6 = 36(2x + 1)
    assert x.grad.tolist() == [108.0, 180.0]


def test_in_place_on_non_leaf_matches_pytorch():

    def run(lib, x):
        y = x * 2
        y.add_(1)
        y.mul_(3)
        y.clamp_(0.0, 10.0)
        y.div_(x)
        (y * y).sum().backward()
        return x.grad.tolist()

    values = [0.5, 1.0, 2.0]
    ours = run(cr, cr.tensor(values, requires_grad=True))
    theirs = run(torch, torch.tensor(values, requires_grad=True))
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)


def test_setitem_sends_gradient_to_the_assigned_value_and_not_the_overwritten_one():
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    v = cr.tensor(5.0, requires_grad=True)
    y = x * 1
    y[1] = v * 2
    (y * y).sum().backward()
    assert x.grad.tolist() == [2.0, 0.0, 6.0]  # the overwritten element gets nothing
    assert v.grad.item() == 40.0  # d/dv (2v)² = 8v


def test_setitem_into_a_constant_tensor_makes_it_part_of_the_graph():
    v = cr.tensor([1.0, 2.0], requires_grad=True)
    buffer = cr.zeros(2, 3)
    buffer[:, 1] = v * 3
    assert buffer.requires_grad and buffer.grad_fn is not None
    buffer.sum().backward()
    assert v.grad.tolist() == [3.0, 3.0]


def test_setitem_gradients_match_pytorch():

    def run(lib, x, v):
        y = x * 1
        y[0, 1:] = v * v
        y[1] = y[0] + 2  # add reads neither input, so writing into y afterwards is fine
        (y.exp()).sum().backward()
        return x.grad.tolist(), v.grad.tolist()

    xs, vs = [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]], [0.7, -0.8]
    ours = run(cr, cr.tensor(xs, requires_grad=True), cr.tensor(vs, requires_grad=True))
    theirs = run(torch, torch.tensor(xs, requires_grad=True), torch.tensor(vs, requires_grad=True))
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-6)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-6)


@pytest.mark.parametrize(
    ("change", "slope"),
    [(lambda y: y.mul_(5), 5.0), (lambda y: y.add_(5), 1.0), (lambda y: y.zero_(), 0.0)],
)
def test_earlier_use_of_a_tensor_keeps_its_history_after_an_in_place_change(change, slope):
    # z was computed from y before the change: its gradient must not pass through the change,
    # while the changed y (used afterwards) passes through it. PyTorch: 1 + slope.
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    z = y + 0
    change(y)
    (z + y).sum().backward()
    assert x.grad.tolist() == [1.0 + slope] * 2


def test_copy_sends_gradient_to_source():
    s = cr.tensor([1.0, 2.0], requires_grad=True)
    target = cr.zeros(2)
    target.copy_(s * 3)
    target.sum().backward()
    assert s.grad.tolist() == [3.0, 3.0]


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize("requires_grad", [False, True])
def test_in_place_result_of_larger_shape_raises_clear_error(requires_grad):
    t = cr.ones(2, requires_grad=requires_grad) * 1
    message = r"output with shape \[2\] doesn't match the broadcast shape \[3, 2\]"  # PyTorch's
    with pytest.raises(RuntimeError, match=message):
        t.add_(cr.ones(3, 2))


@pytest.mark.parametrize("update", [lambda t: t.div_(2), lambda t: t.mul_(1.5)])
def test_in_place_float_result_into_int_tensor_raises(update):
    t = cr.tensor([1, 2])
    with pytest.raises(
        RuntimeError, match="result type Float can.t be cast to the desired output type Long"
    ):
        update(t)
    assert t.tolist() == [1, 2] and t._version == 0


def test_in_place_on_expanded_view_raises():
    t = cr.ones(3).expand(2, 3)
    with pytest.raises(RuntimeError, match="refers to a single memory location"):
        t.add_(1)


def _pow_tensor_tensor(x, t):
    return x**t  # reads x and t, and its output (for t's gradient)


GUARDED = {  # what is changed in place after the forward -> the part of the message naming it
    "exp's output": (lambda x, t: x.exp(), lambda x, t, y: y.add_(1), "its output of Exp"),
    "mul's input": (lambda x, t: x * t, lambda x, t, y: t.add_(1), "an input of Mul"),
    "pow's output": (_pow_tensor_tensor, lambda x, t, y: y.add_(1), "its output of Pow"),
    "pow's input": (_pow_tensor_tensor, lambda x, t, y: t.add_(1), "an input of Pow"),
}


@pytest.mark.parametrize("case", sorted(GUARDED))
def test_backward_names_whether_an_input_or_the_output_was_changed(case):
    forward, change, named = GUARDED[case]
    x = cr.tensor([0.5, 1.5], requires_grad=True)
    t = cr.tensor([2.0, 3.0], requires_grad=True)
    x_in, t_in = x * 1, t * 1  # non-leaves: changing them in place is allowed
    y = forward(x_in, t_in)
    change(x_in, t_in, y)
    message = f"is at version 1; expected version 0 instead(?s:.*)It is {named}Backward"
    with pytest.raises(RuntimeError, match=message):
        y.sum().backward()


def test_an_in_place_op_that_reads_its_output_guards_the_tensor_it_wrote():
    """exp recorded in place (the path of every in-place op) saves its result, which is then y
    itself: backward works until y changes again, and then names exp's output."""
    x = cr.tensor([0.5, 1.5], requires_grad=True)
    y = x * 1
    inplace.apply(y, lambda old: old.exp())
    y.sum().backward(retain_graph=True)
    np.testing.assert_array_equal(x.grad.numpy(), np.exp(np.float32([0.5, 1.5])))
    y.add_(1)
    with pytest.raises(RuntimeError, match="at version 2(?s:.*)its output of ExpBackward0"):
        y.sum().backward()
