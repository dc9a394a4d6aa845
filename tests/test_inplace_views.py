"""In-place changes through views, compared with PyTorch: values, gradients and errors.

Each row is a snippet run twice, once with ``lib`` bound to chainrule and once to torch. It
ends by naming ``result``: the tensors (values and gradients) to compare. Where PyTorch raises,
chainrule must raise the same exception type with the same message (its first clause: the
version messages name tensors differently).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from op_table import OpSpec, all_specs

import chainrule as cr

SETUP = """
x = lib.tensor([[1.0, -2.0, 3.0], [4.0, 5.0, -6.0]], requires_grad=True)
w = lib.tensor([0.5, -1.5, 2.0], requires_grad=True)
y = x * 1
"""

# name -> code; after SETUP. ``result`` lists what is compared.
IDIOMS = {
    # --- slices
    "slice_mul_": "y[:, 1:3].mul_(2); y.sum().backward(); result = [y, x.grad]",
    "slice_of_row_mul_": "y[0][1:].mul_(3); (y * y).sum().backward(); result = [y, x.grad]",
    "element_assign_through_row": "y[0][1] = 7.0; (y * y).sum().backward(); result = [y, x.grad]",
    "element_assign_through_column": "y[:, 0][1] = 2.0; y.sum().backward(); result = [y, x.grad]",
    "slice_clamp_": "y[:, 1:].clamp_(0, 1); (y * y).sum().backward(); result = [y, x.grad]",
    "row_copy_": "y[0].copy_(w); (y * y).sum().backward(); result = [y, x.grad, w.grad]",
    "row_copy_broadcast_scalar": (
        "y[1].copy_(w[2]); (y * y).sum().backward(); result = [y, x.grad, w.grad]"
    ),
    "strided_add_": "y[:, ::2].add_(w[:2]); (y * y).sum().backward(); result = [y, x.grad, w.grad]",
    "ellipsis_zero_": "y[..., 0].zero_(); (y * 3).sum().backward(); result = [y, x.grad]",
    "row_fill_": "y[1].fill_(3.0); (y * y).sum().backward(); result = [y, x.grad]",
    "none_index_mul_": "y[None, 0].mul_(w); (y * y).sum().backward(); result = [y, x.grad, w.grad]",
    "slice_iadd": "y[:, 1:] += w[1:]; (y * y).sum().backward(); result = [y, x.grad, w.grad]",
    "slice_imul_by_tensor": "y[1] *= w; (y * y).sum().backward(); result = [y, x.grad, w.grad]",
    "row_assign_tensor": "y[1] = w * 2; (y * y).sum().backward(); result = [y, x.grad, w.grad]",
    "block_assign_broadcast": "y[:, :2] = w[0]; y.sum().backward(); result = [y, x.grad, w.grad]",
    "nested_view_then_read_view": (
        "z = y[1]; z[0] = 9.0; (z * y[1]).sum().backward(); result = [y, z, x.grad]"
    ),
    # --- views other than slices
    "transpose_mul_": "y.t().mul_(2); (y * y).sum().backward(); result = [y, x.grad]",
    "T_row_zero_": "y.T[0].zero_(); (y * y).sum().backward(); result = [y, x.grad]",
    "transpose_row_mul_tensor": (
        "y.transpose(0, 1)[2].mul_(w[:2]); (y * y).sum().backward(); result = [y, x.grad, w.grad]"
    ),
    "permute_slice_add_": (
        "y.permute(1, 0)[1:].add_(w[1:, None]); (y * y).sum().backward(); "
        "result = [y, x.grad, w.grad]"
    ),
    "view_flat_mul_": "y.view(-1).mul_(2); (y * y).sum().backward(); result = [y, x.grad]",
    "reshape_contiguous_slice": (
        "y.reshape(-1)[2:5].mul_(3); (y * y).sum().backward(); result = [y, x.grad]"
    ),
    "reshape_of_transpose_copies": (
        "r = y.t().reshape(-1); r.mul_(2); (y * y).sum().backward(); result = [y, r, x.grad]"
    ),
    "flatten_mul_": "y.flatten().mul_(w.sum()); y.sum().backward(); result = [y, x.grad, w.grad]",
    "squeeze_div_": (
        "s = y[:1]; s.squeeze().div_(2); (y * y).sum().backward(); result = [y, x.grad]"
    ),
    "unsqueeze_mul_": "y.unsqueeze(0).mul_(2); (y * y).sum().backward(); result = [y, x.grad]",
    "view_of_view_of_view": (
        "y.t()[1:].reshape(-1)[1:3].mul_(5); (y * y).sum().backward(); result = [y, x.grad]"
    ),
    "view_of_transposed_refuses": "y.t().view(-1)",
    "view_of_strided_rows_is_a_view": (
        "v = y[:, ::2].view(-1); v.mul_(2); y.sum().backward(); result = [y, x.grad]"
    ),
    "contiguous_of_transposed_is_a_copy": (
        "c = y.t().contiguous(); c.mul_(2); (y * c.t()).sum().backward(); result = [y, c, x.grad]"
    ),
    "flip_is_a_copy": "f = y.flip(0); f.mul_(2); (y * f).sum().backward(); result = [y, f, x.grad]",
    "expand_refuses": "y[0].expand(2, 3).mul_(2)",
    # --- outputs of functions that return several views
    "row_iteration": "for row in y:\n    row.mul_(2)\ny.sum().backward(); result = [y, x.grad]",
    "split_mul_": "a, b = y.split(2, dim=1); a.mul_(2)",
    "unbind_mul_": "y.unbind(0)[0].mul_(2)",
    "chunk_add_": "y.chunk(3, dim=1)[1].add_(1)",
    "unbind_of_plain_tensor_copy_": "z = lib.zeros(2, 3); z.unbind(0)[0].copy_(w)",
    "split_read_only_is_fine": (
        "a, b = y.split(1); (a * 2 + b).sum().backward(); result = [a, b, x.grad]"
    ),
    "split_in_place_without_grad": (
        "with lib.no_grad():\n    y.split(1)[0].mul_(2)\ny.sum().backward(); result = [y, x.grad]"
    ),
    "row_used_after_its_base_changed": "r = y.unbind(0)[0]; y.mul_(2); r * 2",
    "split_piece_used_after_a_sibling_changed": (
        "a, b = y.split(1); y[1].mul_(2); (a * 2).sum().backward()"
    ),
    "rows_of_a_plain_tensor_after_it_changed": (
        "z = lib.ones(3); r = z.unbind(0)[0]; z.mul_(2); result = [r * 2]"
    ),
    "no_grad_view_used_after_its_base_changed": (
        "with lib.no_grad():\n    v = x[0:2]\nwith lib.no_grad():\n    x.mul_(2)\nv * 2"
    ),
    # --- the base changed after the view was taken
    "base_mul_after_view": "z = y[0]; y.mul_(2); (z * z).sum().backward(); result = [z, x.grad]",
    "base_row_changed_sibling_read": (
        "z = y[0]; y[1].mul_(3); (z * y).sum().backward(); result = [z, y, x.grad]"
    ),
    "overlapping_sibling": (
        "u = y[:, 1:]; v = y[:, :2]; v.mul_(2); (u * w[1:]).sum().backward(); "
        "result = [u, x.grad, w.grad]"
    ),
    "grad_fn_of_a_view_after_its_base_changed": (
        "z = y[0]; y.mul_(2); result = [lib.tensor(float(z.grad_fn is not None))]"
    ),
    "transpose_after_base_add_": (
        "z = y.t(); y.add_(w); (z * z).sum().backward(); result = [z, x.grad, w.grad]"
    ),
    "view_after_base_clamp_": (
        "z = y[:, 2]; y.clamp_(-1, 4); (z * 2).sum().backward(); result = [z, x.grad]"
    ),
    "view_used_before_and_after": (
        "z = y[0]; a = z * 2; y.mul_(3); (a + z).sum().backward(); result = [a, z, x.grad]"
    ),
    # --- views of leaves
    "leaf_slice_mul_": "x[0].mul_(2)",
    "leaf_element_assign": "x[0, 1] = 5.0",
    "leaf_view_add_": "x.view(-1).add_(1)",
    "leaf_transpose_zero_": "x.t().zero_()",
    "leaf_view_in_no_grad": (
        "with lib.no_grad():\n    x[0].mul_(2)\n(x * x).sum().backward(); result = [x, x.grad]"
    ),
    "view_made_in_no_grad": "with lib.no_grad():\n    v = y[0]\nv.mul_(2)",
    # --- bases that do not require grad
    "plain_base_slice_copy_": (
        "z = lib.zeros(4); z[1:4].copy_(w); (z * z).sum().backward(); result = [z, w.grad]"
    ),
    "plain_base_row_assign": (
        "z = lib.zeros(2, 3); z[1] = w * w; z.sum().backward(); result = [z, w.grad]"
    ),
    "plain_base_chained_assign": (
        "z = lib.zeros(2, 3); z[0][2] = w[1]; (z * 3).sum().backward(); result = [z, w.grad]"
    ),
    "plain_base_view_mul_by_grad": (
        "z = lib.ones(2, 3); z.t()[0].mul_(w[:2]); z.sum().backward(); result = [z, w.grad]"
    ),
    # --- aliasing: the argument is the tensor changed
    "iadd_self": "y += y; (y * y).sum().backward(retain_graph=True); result = [y, x.grad]",
    "mul_self": "y.mul_(y); y.sum().backward(); result = [y, x.grad]",
    "view_iadd_same_view": "v = y[0]; v += v; (y * y).sum().backward(); result = [y, x.grad]",
    "add_detached_self": "y.add_(y.detach()); y.sum().backward(); result = [y, x.grad]",
    "copy_self": "y.copy_(y); (y * y).sum().backward(); result = [y, x.grad]",
    "sub_self": "y.sub_(y); (y + x).sum().backward(); result = [y, x.grad]",
    "add_self_alpha": "y.add_(y, alpha=2); (y * y).sum().backward(); result = [y, x.grad]",
    "div_self": "y.div_(y); y.sum().backward(); result = [y, x.grad]",
    "isub_self": "y -= y; (y + x).sum().backward(); result = [y, x.grad]",
    "imul_self": "y *= y; y.sum().backward(); result = [y, x.grad]",
    "itruediv_self": "y /= y; y.sum().backward(); result = [y, x.grad]",
    "row_fill_with_own_element": (
        "r = y[0]; r.fill_(r[1]); (y * y).sum().backward(); result = [y, x.grad]"
    ),
    "fill_with_a_vector_refuses": "y.fill_(w)",
    "reshaped_self_sub_alpha": "v = y.reshape(-1); v.sub_(y, alpha=2)",
    "partial_overlap_iadd": "y[0, 1:] += y[0, :2]",
    "partial_overlap_assign": "y[0, 1:] = y[0, :2]",
    "disjoint_rows_assign": "y[0] = y[1]; (y * y).sum().backward(); result = [y, x.grad]",
    # --- values saved for backward, changed through a view
    "saved_output_changed_through_view": "e = x.exp(); e[0].mul_(2); e.sum().backward()",
    "saved_input_changed_through_view": "z = y * y; y[0].mul_(2); z.sum().backward()",
    "unsaved_input_changed_through_view": (
        "s = x.sin(); t = s + 1; s[0].mul_(2); (t + s).sum().backward(); result = [t, s, x.grad]"
    ),
    "sum_then_view_change": "z = y.sum(); y[0].mul_(2); z.backward(); result = [z, x.grad]",
    # --- views of a tensor that does not require grad until an in-place change records history
    # (a view's requires_grad follows its base's; its history comes when it is next used)
    "old_view_requires_grad_after_base_change": (
        "a = lib.zeros(3); v = a[1:]; a.mul_(w); result = [lib.tensor(float(v.requires_grad))]"
    ),
    "views_require_grad_after_sibling_assign": (
        "a = lib.zeros(3); v = a[1:]; vv = v[:1]; u = a[:2]; u[0] = w[0]; "
        "result = [lib.tensor([float(v.requires_grad), float(vv.requires_grad)])]"
    ),
    "no_grad_view_requires_grad_after_base_change": (
        "a = lib.zeros(3)\nwith lib.no_grad():\n    v = a[1:]\na.add_(w); "
        "result = [lib.tensor(float(v.requires_grad))]"
    ),
    "old_view_used_after_base_change": (
        "a = lib.zeros(3); v = a[1:]; a.add_(w); (v * v).sum().backward(); result = [a, w.grad]"
    ),
    "old_view_changed_in_place_before_use": "a = lib.zeros(3); v = a[1:]; a.add_(w); v.mul_(2)",
    "old_view_changed_in_place_after_grad_fn_read": (
        "a = lib.zeros(3); v = a[1:]; a.add_(w); v.grad_fn; v.mul_(2); (a * a).sum().backward(); "
        "result = [a, w.grad]"
    ),
    "nested_view_assign_then_outer_view_changed": (
        "a = lib.zeros(3); v = a[1:]; vv = v[:1]; vv[0] = w[0]; v.mul_(2)"
    ),
}


def run(code: str, lib: object) -> tuple[list[np.ndarray | None] | None, BaseException | None]:
    namespace: dict[str, object] = {"lib": lib}
    try:
        exec(SETUP + code, namespace)
    except Exception as error:  # noqa: BLE001 - the error itself is compared
        return None, error
    result = namespace.get("result", [])
    return [None if t is None else np.asarray(t.detach().numpy()) for t in result], None


def first_clause(error: BaseException) -> str:
    return str(error).split(":")[0].split(". ")[0]


@pytest.mark.parametrize("name", list(IDIOMS))
def test_inplace_through_views_as_pytorch(name: str) -> None:
    code = IDIOMS[name]
    expected, torch_error = run(code, torch)
    actual, error = run(code, cr)
    if torch_error is not None:
        assert error is not None, f"PyTorch raises {torch_error!r}; chainrule gave {actual}"
        assert type(error) is type(torch_error), f"{error!r} vs PyTorch's {torch_error!r}"
        assert first_clause(error) == first_clause(torch_error), (
            f"message {error} vs PyTorch's {torch_error}"
        )
        return
    assert error is None, f"chainrule raises {error!r}; PyTorch gives {expected}"
    assert expected, "a row that PyTorch runs must name tensors to compare"
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected, strict=True):
        if e is None:
            assert a is None
        else:
            np.testing.assert_allclose(a, e, rtol=1e-6, atol=1e-6)


def test_the_table_has_the_idioms_the_issue_names() -> None:
    assert len(IDIOMS) >= 42


def test_changing_a_view_bumps_the_base_version() -> None:
    y = cr.ones(4) * 1
    before = y._version
    y[1:3].mul_(2)
    assert y._version == before + 1


@pytest.mark.parametrize("spec", all_specs(), ids=lambda s: s.name)
def test_only_views_share_memory_with_their_input(spec: OpSpec) -> None:
    """A result that is not a view must own its memory: writing into it in place must not
    change an input behind the graph's back (NumPy's flip, for one, is a view; PyTorch's is
    a copy)."""
    rng = np.random.default_rng(0)
    inputs = [cr.tensor(a) for a in spec.sample(rng, spec.shapes[0])]
    outputs = spec.fn(*inputs)
    for out in outputs if isinstance(outputs, tuple) else (outputs,):
        if out._view is not None or not isinstance(out, cr.Tensor):
            continue
        for x in inputs:
            assert not np.may_share_memory(out._data, x._data) or out is x, (
                f"{spec.name}: its result shares memory with an input but is not a view"
            )


def test_a_view_shows_its_new_history_when_its_base_changes() -> None:
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    z = y[0]
    before = z.grad_fn
    y.mul_(2)
    after = z.grad_fn  # read directly, before any use: PyTorch regenerates it here too
    assert after is not before
    assert after.next_functions[0][0] is y.grad_fn  # taken from the base as it is now


def _where(v: Any, places: list[tuple[int, int, int]]) -> Any:
    """A bool mask of ``v``'s shape, True at ``places``."""
    mask = v.new_zeros(tuple(v.shape), dtype=torch.bool if isinstance(v, torch.Tensor) else cr.bool)
    for place in places:
        mask[place] = True
    return mask


# Ops that set some elements of the (2, 2, 2) windows (row, window, element) of (2, 3) rows:
# window 0's element 1 and window 1's element 0 are one place, row[1]. Writing every element
# back put the unchanged one's old value over the set one: v[:, [0]] = 0.25 left row[1] as it
# was, in chainrule only (found by the transform fuzzer, comparing the inputs after the call).
PARTIAL_WRITES = {
    "setitem_by_index_array": lambda v: v.__setitem__(
        (slice(None), v.new_tensor([0]).long()), 0.25
    ),
    "setitem_by_mask": lambda v: v.__setitem__(_where(v, [(0, 0, 1), (1, 1, 1)]), 0.25),
    "masked_fill_": lambda v: v.masked_fill_(_where(v, [(0, 1, 0), (1, 0, 0)]), 0.5),
    "index_fill_": lambda v: v.index_fill_(1, v.new_tensor([1]).long(), 0.5),
    "scatter_": lambda v: v.scatter_(2, v.new_ones((2, 2, 1)).long(), 0.75),
    "index_put_": lambda v: v.index_put_(
        (v.new_tensor([0, 1]).long(), v.new_tensor([0, 1]).long(), v.new_tensor([1, 0]).long()),
        v.new_tensor([0.1, 0.2]),
    ),
    "masked_scatter_": lambda v: v.masked_scatter_(_where(v, [(0, 1, 0)]), v.new_ones(8) * 0.3),
}


@pytest.mark.parametrize("name", PARTIAL_WRITES)
def test_setting_some_elements_of_overlapping_windows_leaves_pytorch_values(name: str) -> None:
    found = []
    for lib in (cr, torch):
        y = lib.tensor(_X).sin()
        windows = y.unfold(-1, 2, 1)
        PARTIAL_WRITES[name](windows)
        found.append((y.numpy().tolist(), windows.numpy().tolist()))
    assert found[0] == found[1]


# In place through a view whose elements share memory (the windows of an unfold): the change
# writes each place once, the value the copy writes there last; the gradient must be that
# function's. It was not: a place's gradient reached the op once per window holding it, twice
# here (-0.32 for -0.16 in relu_'s first row), found by the transform fuzzer against finite
# differences. PyTorch changes a shared place once per window, in its loop order, so only an
# op whose second application changes nothing is compared with it: relu_ (copy_ of itself is
# one too, but PyTorch's gradient counts the shared place twice, against finite differences).
OVERLAPPING = {
    "relu_": (lambda v: v.relu_(), True),
    "copy_itself": (lambda v: v.copy_(v), False),
    "mul_": (lambda v: v.mul_(2.0), False),
    "add_of_a_function_of_it": (lambda v: v.add_(v.exp()), False),
    "cumsum_": (lambda v: v.cumsum_(-1), False),
    "copy_of_other_values": (lambda v: v.copy_(v.flip(-1) * 3), False),
    # Ops that set some elements (PARTIAL_WRITES): PyTorch's values, but its gradient still
    # reaches an overwritten place through the unchanged window element that shares it
    **{name: (change, False) for name, change in PARTIAL_WRITES.items()},
}
_X = np.array([[-0.9209, -1.8359, -1.9339], [1.2531, 1.6511, 0.4271]])


def _through_windows(lib: Any, x: Any, change: Any) -> Any:
    """A scalar of ``x`` after ``change`` of the (2, 2, 2) windows of ``sin(x)``'s rows."""
    y = x.sin()
    windows = y.unfold(-1, 2, 1)
    change(windows)
    return (y * lib.tensor(np.cos(2.0 + np.arange(6)).reshape(2, 3))).sum() + (
        windows * lib.tensor(np.cos(1.0 + np.arange(8)).reshape(2, 2, 2))
    ).sum()


def _finite_differences(f: Any, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = h
        grad[i] = (f(x + e) - f(x - e)) / (2 * h)
    return grad


@pytest.mark.parametrize("name", OVERLAPPING)
def test_inplace_through_overlapping_windows_differentiates_what_it_computes(name: str) -> None:
    change, as_pytorch = OVERLAPPING[name]
    value = lambda x: _through_windows(cr, cr.tensor(x), change).item()  # noqa: E731
    x = cr.tensor(_X, requires_grad=True)
    (grad,) = cr.autograd.grad(_through_windows(cr, x, change), x, create_graph=True)
    np.testing.assert_allclose(grad.detach().numpy(), _finite_differences(value, _X), atol=1e-7)
    # the second derivatives, by the double backward and by forward over reverse
    direction = np.cos(3.0 + np.arange(6)).reshape(2, 3)
    (hvp,) = cr.autograd.grad((grad * cr.tensor(direction)).sum(), x)

    def gradient_along(x0: np.ndarray) -> float:
        x1 = cr.tensor(x0, requires_grad=True)
        (g,) = cr.autograd.grad(_through_windows(cr, x1, change), x1)
        return float((g.numpy() * direction).sum())

    expected = _finite_differences(gradient_along, _X)
    np.testing.assert_allclose(hvp.numpy(), expected, atol=1e-6)
    jacobian = cr.func.jacfwd(cr.func.jacrev(lambda v: _through_windows(cr, v, change)))
    np.testing.assert_allclose(
        np.tensordot(jacobian(cr.tensor(_X)).numpy(), direction, axes=2), expected, atol=1e-6
    )
    if as_pytorch:
        t = torch.tensor(_X, requires_grad=True)
        _through_windows(torch, t, change).backward()
        np.testing.assert_allclose(grad.detach().numpy(), t.grad.numpy(), rtol=1e-12)


def test_pytorch_counts_an_overwritten_shared_place_in_its_gradient() -> None:
    """Why PARTIAL_WRITES are not compared with PyTorch's gradients: after
    ``windows[:, [0]] = 0.25`` every row's first two places hold 0.25, and no gradient reaches
    them, as chainrule's and the finite differences say; PyTorch's reaches row[1] through
    window 1's unchanged element 0."""
    change = PARTIAL_WRITES["setitem_by_index_array"]
    value = lambda x: _through_windows(cr, cr.tensor(x), change).item()  # noqa: E731
    expected = _finite_differences(value, _X)
    assert np.allclose(expected[:, :2], 0.0, atol=1e-9)
    x = cr.tensor(_X, requires_grad=True)
    _through_windows(cr, x, change).backward()
    np.testing.assert_allclose(x.grad.numpy(), expected, atol=1e-7)
    t = torch.tensor(_X, requires_grad=True)
    _through_windows(torch, t, change).backward()
    assert not np.allclose(t.grad.numpy()[:, 1], 0.0)
