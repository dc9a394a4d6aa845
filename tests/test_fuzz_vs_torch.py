"""A differential fuzzer: random programs run on chainrule and on PyTorch must agree.

Hypothesis writes straight-line programs (``tests/fuzz_programs.py``) from chains of ops with
broadcasting, fan-out, views and in-place ops, ending in ``backward``, in ``backward`` twice
with ``retain_graph``, or in second derivatives; each runs on both libraries, which must give
the same values, gradients and errors. CI runs a small fixed budget (the same programs each
time); a longer, random search runs on demand:

    CHAINRULE_FUZZ_EXAMPLES=5000 python -m pytest tests/test_fuzz_vs_torch.py

Three layers of programs: pure ops (``PURE``), views and in-place ops on plain tensors
(``VIEWS``), and in-place ops through views (``INPLACE_VIEWS``, PyTorch's CopySlices semantics).

Each program the fuzzer found failing stays below as a row of ``FOUND``, in its shrunk form.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import torch
from func_test_util import loops_as_errors
from fuzz_programs import (
    KNOWN_REFUSALS,
    LAYERS,
    UNTIMED,
    Program,
    RoundingDecides,
    UndefinedOrder,
    _against_finite_differences,
    differences,
    finite_differences,
    programs,
    run,
    search_settings,
)
from gradcheck_util import central_differences
from hypothesis import assume, given

import chainrule as cr

SETTINGS = search_settings(300)


@pytest.mark.parametrize("layer", LAYERS)
@UNTIMED
def test_random_programs_agree_with_torch(layer: int) -> None:
    @SETTINGS
    @given(programs(layer))
    def agree(program: Program) -> None:
        try:
            found = differences(*program.case(layer))
        except (UndefinedOrder, RoundingDecides):  # see them: not compared
            assume(False)
        inputs = [repr(x) for x in program.inputs()]
        assert not found, "\n".join(["", program.source(layer), "inputs:", *inputs, *found])

    agree()


# ----------------------------------------------------------------------------- found
BACKWARD = ["loss = (v1 * weight(v1)).sum()", "loss.backward()"]
X = [np.array([0.5, -1.25, 2.0])]
_INV = "v1 = lib.linalg.inv((v0 @ v0.mT + lib.eye(2, dtype=lib.float64)))"
# name: (lines, inputs, which inputs require grad). Each differed from PyTorch once.
FOUND = {
    # relu's backward reads its output (PyTorch's threshold_backward(grad, result)).
    "relu_output_changed_in_place": (["v1 = v0.relu()", "v1.add_(v0)", *BACKWARD], X, (True,)),
    # copy_ from itself: the gradient of copy_ reads no values.
    # y.op_(y): the old y on both sides, not a cycle (a hang with retain_graph).
    **{
        f"{op}_itself": (["v1 = v0 * 2", f"v1.{op}(v1)", *BACKWARD], X, (True,))
        for op in ("add_", "sub_", "mul_", "div_", "copy_")
    },
    "iadd_itself_retain_graph": (
        ["v1 = v0 * 1", "v1 += v1", "loss = (v1 * v1).sum()", "loss.backward(retain_graph=True)"],
        X,
        (True,),
    ),
    # where reads only its condition: its inputs may change afterwards.
    "where_input_changed_in_place": (
        ["v2 = v0 * 1", "v1 = lib.where(v0 > 0, v2, v0)", "v2.mul_(2)", *BACKWARD],
        X,
        (True,),
    ),
    # a / b: the gradients read a and b, not the output.
    "div_output_changed_in_place": (
        ["v1 = v0 / (1 + v0 * v0)", "v1.add_(v0)", *BACKWARD],
        X,
        (True,),
    ),
    # x ** 2 does not read its output; x ** t does (for t's gradient), in both libraries.
    "pow_scalar_exponent_output_changed_in_place": (
        ["v1 = v0 ** 2", "v1 += 1", *BACKWARD],
        X,
        (True,),
    ),
    "pow_tensor_exponent_output_changed_in_place": (
        ["v1 = (1 + v0 * v0) ** v0", "v1.mul_(2)", *BACKWARD],
        X,
        (True,),
    ),
    "cosh_output_changed_in_place": (["v1 = v0.cosh()", "v1.mul_(2)", *BACKWARD], X, (True,)),
    # a (2, 1) and its [..., ::2]: the same elements, other strides on the dim of size 1, a
    # partial overlap that PyTorch refuses (chainrule ignored those strides and went on)
    "add_of_a_view_stepping_over_a_dim_of_size_1": (
        ["v1 = v0.exp()", "v2 = v1[..., ::2]", "v1.add_(v2)", *BACKWARD],
        [np.array([[-0.9209], [-1.8359]])],
        (True,),
    ),
    # prod's gradient divides its output: changed in place, it was a silent wrong gradient.
    "prod_output_changed_in_place": (["v1 = v0.prod()", "v1.mul_(2)", *BACKWARD], X, (True,)),
    # LAPACK's results lie column-major in PyTorch: view(-1) of one is refused in both (also
    # past an in-place change chainrule would have refused later); flatten copies one, so a
    # later in-place change of the inverse does not reach the flattened values (chainrule laid
    # the inverse out row-major and flattened by a view: other values, twice the gradient)
    "view_of_inv": (
        [_INV, "v2 = v1.view(-1)", "loss = (v2 * weight(v2)).sum()", "loss.backward()"],
        [np.array([[0.5481], [-0.9209]])],
        (True,),
    ),
    "view_of_inv_after_exp_changed_in_place": (
        ["v4 = v0.exp()", "v4.add_(1)", _INV, "v2 = v1.view(-1)"]
        + ["loss = (v2 * weight(v2)).sum() + (v4 * weight(v4)).sum()", "loss.backward()"],
        [np.array([[0.5481], [-0.9209]])],
        (True,),
    ),
    # topk along a dim other than the last returned a transposed view of its indices (and
    # values taken by them): view(-1) refused where PyTorch's are row-major
    "view_of_topk_values_along_dim_0": (
        ["v1 = v0.topk(1, 0).values", "v2 = v1.view(-1)"]
        + ["loss = (v1 * weight(v1)).sum() + (v2 * weight(v2)).sum()", "loss.backward()"],
        [np.array([[[0.5481, -0.9209, -1.8359], [-1.9339, 1.2531, 1.6511]]] * 2)],
        (True,),
    ),
    # hypot's gradient for each input reads that input (and the output): the other one,
    # requiring no grad, may change in place afterwards, as in PyTorch
    "hypot_other_input_changed_in_place": (
        ["v4 = lib.hypot(v0, v1)", "v6 = v1.unbind(0)[0]", "v6.addcmul_(v2, v2, value=0.5)"]
        + ["v7 = v4.exp()", "loss = (v7 * weight(v7)).sum()", "loss.backward()"],
        [np.float64(0.5481), np.array([-0.9209, -1.8359, -1.9339]), np.float64(1.2531)],
        (True, False, False),
    ),
    # an element of digamma's gradient near 0 among ones near 15, through PyTorch's trigamma
    # (5e-10 relative from the exact value; chainrule's 4e-16): 1.8e-9 apart, the fuzzer's
    # tolerance now scales with the largest element
    "digamma_gradient_through_a_cross_product": (
        ["v5 = lib.linalg.cross(v1, v1 * v1)", "v6 = (1 + v5 * v5).digamma()"]
        + ["v7 = lib.bmm(v6, v1.mT)", "loss = (v6 * weight(v6)).sum() + (v7 * weight(v7)).sum()"]
        + ["loss.backward()"],
        [
            np.float64(0.5871),
            np.array(
                [[[0.8331, -1.6419, -1.4739], [-0.6829, -1.5949, 1.9831]]]
                + [[[0.7741, 0.1321, -0.5819], [1.0251, 1.8141, 0.1761]]]
            ),
        ],
        (False, True),
    ),
    # erf of a transposed tensor is transposed, as PyTorch's kernels keep an input's layout:
    # its view(-1) is refused (chainrule's erf, digamma, ndtr... were row-major, and viewed)
    "view_of_erf_of_a_transpose": (
        ["v2 = v1.t()", "v4 = v2.erf()", "v5 = v4.view(-1)"]
        + ["loss = (v4 * weight(v4)).sum() + (v5 * weight(v5)).sum()", "loss.backward()"],
        [np.float64(0.5481), np.array([[-0.9209, -1.8359, -1.9339], [1.2531, 1.6511, 0.4271]])],
        (True, True),
    ),
    # gelu (erf's) of a transpose is transposed too (its erf's result was row-major)
    "view_of_gelu_of_a_transpose": (
        ["v2 = v0.t()", "v3 = lib.nn.functional.gelu(v2)", "v4 = v3.view(-1)"]
        + ["loss = (v3 * weight(v3)).sum() + (v4 * weight(v4)).sum()", "loss.backward()"],
        [np.array([[0.5481, -0.9209, -1.8359], [-1.9339, 1.2531, 1.6511]])],
        (True,),
    ),
    # std along a dim of equal values is exactly 0, as PyTorch's Welford reduction gives, so
    # its gradient is the masked 0 (chainrule's mean missed -1.8359 by an ulp: a std of 2e-16,
    # and a gradient of rounding over rounding, -1 per unit weight)
    "std_of_repeated_rows": (
        ["v5 = v0.index_select(0, lib.tensor([0, 0, 0]))", "v6 = v5.std(0, correction=0)"]
        + ["loss = (v5 * weight(v5)).sum() + (v6 * weight(v6)).sum()", "loss.backward()"],
        [np.array([[0.5481, -0.9209, -1.8359]])],
        (True,),
    ),
    "flatten_of_inv_changed_in_place": (
        [
            "v3 = lib.linalg.inv((v2 @ v2.mT + (lib.eye(2, 2, dtype=lib.float64) * "
            "lib.arange(1.0, 3, dtype=lib.float64))))",
            "v4 = v3.flatten()",
            "v3.addcmul_(v0, v0, value=0.5)",
            "loss = (v3 * weight(v3)).sum() + (v4 * weight(v4)).sum()",
            "loss.backward()",
        ],
        [np.float64(0.5481), np.float64(-0.9209), np.array([[-1.8359], [-1.9339]])],
        (True, False, False),
    ),
}


@pytest.mark.parametrize("name", FOUND)
def test_programs_the_fuzzer_found_agree_with_torch(name: str) -> None:
    lines, inputs, requires_grad = FOUND[name]
    assert differences(lines, inputs, requires_grad) == []


def test_a_program_at_a_jump_that_rounding_decides_is_not_compared() -> None:
    """The sum of a layer_norm is 0 up to rounding (+0 in PyTorch, -9e-17 in chainrule here:
    their last bits differ), and atan2 of it beside a negative x is pi or -pi by its sign. The
    fuzzer met it; moved by 1e-12, PyTorch's own answer jumps, so it is not compared. (The
    found row std_of_repeated_rows, a rounding in chainrule alone, is still reported: PyTorch's
    exact 0 does not move.)"""
    lines = [
        "v1 = lib.nn.functional.layer_norm(v0, v0.shape[-1:])",
        "v2 = lib.atan2(v1.sum(), v0)",
        "loss = (v2 * weight(v2)).sum()",
        "loss.backward()",
    ]
    # the fuzzer's inputs: three decimals and 1e-4 (printed as -0.9969, the last bits matter)
    inputs = [np.array([[-0.997, 1.787, -1.243], [-1.283, -0.6, -1.078]]) + 1e-4]
    with pytest.raises(RoundingDecides, match="value of v2: chainrule"):
        differences(lines, inputs, (True,))


# PyTorch's Hessian through a std of one element (0 for every input) is nan; the fuzzer met it
STD_OF_ONE = [
    "v2 = v0 + v0.logcumsumexp(0)",
    "v3 = v0.exp()",
    "v4 = v2.std(1, correction=0)",
    "loss = (v3 * weight(v3)).sum() + (v4 * weight(v4)).sum()",
    "grads = lib.autograd.grad(loss, leaves, create_graph=True, allow_unused=True)",
    "inner = sum((g * weight(g)).sum() for g in grads if g is not None)",
    "second = lib.autograd.grad(inner, leaves, allow_unused=True)",
]


def test_where_pytorch_differs_in_gradients_alone_finite_differences_decide() -> None:
    """Values alike, gradients not: chainrule's, the exp term's alone, are the central
    differences of ``inner``, so the program is not reported; a gradient that is neither
    PyTorch's nor the differences' is, with them."""

    inputs, requires_grad = [np.array([[0.548], [-0.921]]) + 1e-4], (True,)
    ours, theirs = (run(STD_OF_ONE, inputs, requires_grad, lib) for lib in (cr, torch))
    assert np.isnan(theirs.grads["leaf 0"]).all()
    reference = finite_differences(STD_OF_ONE, inputs, requires_grad)["leaf 0"]
    np.testing.assert_allclose(ours.grads["leaf 0"], reference, rtol=1e-6)
    assert differences(STD_OF_ONE, inputs, requires_grad) == []
    ours.grads["leaf 0"] = ours.grads["leaf 0"] * 1.01
    found = _against_finite_differences(STD_OF_ONE, inputs, requires_grad, ours, ["gradient"])
    assert found[0] == "gradient" and found[1].startswith("finite differences of leaf 0")


EIGH_OF_NAN = [  # a var of one element is nan
    "v1 = v0.var()",
    "v2 = lib.linalg.eigvalsh(v1.reshape(1, 1))",
    "loss = (v2 * weight(v2)).sum()",
    "loss.backward()",
]


def test_a_known_refusal_is_still_one_where_pytorch_computes() -> None:
    """eigvalsh of a var of one element (nan): chainrule refuses it, PyTorch answers nan; the
    fuzzer met it, and passes it by KNOWN_REFUSALS. When chainrule computes it, this fails:
    then drop the words from the list."""
    lines = EIGH_OF_NAN
    ours, theirs = (run(lines, [np.float64(0.5481)], (True,), lib) for lib in (cr, torch))
    assert any(words in ours.error for words in KNOWN_REFUSALS), ours.error
    assert theirs.error_line is None and np.isnan(theirs.values["v2"]).all()
    assert differences(lines, [np.float64(0.5481)], (True,)) == []


def test_a_known_refusal_passes_where_pytorch_raises_later() -> None:
    """The same refusal where PyTorch raises only at a later line (the fuzzer's case: no
    input requires grad, so PyTorch's backward refuses): the refusal came first, so it passes."""
    lines = EIGH_OF_NAN
    ours, theirs = (run(lines, [np.float64(0.5481)], (False,), lib) for lib in (cr, torch))
    assert (ours.error_line, theirs.error_line) == (1, 3), (ours.error, theirs.error)
    assert differences(lines, [np.float64(0.5481)], (False,)) == []


def test_lapack_results_lie_column_major_as_in_pytorch() -> None:
    """inv's result lies column-major in both libraries (strides ``(1, n)``), so a ``view(-1)``
    of it is refused and ``flatten`` copies it: the found programs above show what that
    changes; ``test_linalg_layout`` compares the strides of every LAPACK function's results."""

    for lib in (torch, cr):
        assert lib.linalg.inv(lib.eye(2, dtype=lib.float64) * 2).stride() == (1, 2)


def test_logcumsumexp_second_derivative_where_pytorchs_is_nan() -> None:
    """The eager fuzzer met PyTorch's Hessian of a logcumsumexp with nan in its first column
    (its double backward); chainrule's agrees with central differences of the gradient, and
    its rows come out of one batched pass (a rule read its batched gradient's array, so vmap
    looped over the rows, with a warning)."""

    x = np.array([-1.154, -3.031, -0.826])
    w = np.array([0.3, -0.7, 0.5])

    def loss(lib: Any, v: Any) -> Any:
        return (lib.tensor(w) * (v - v.logcumsumexp(0)) ** 2).sum()

    def gradient(v: np.ndarray) -> np.ndarray:
        t = cr.tensor(v, requires_grad=True)
        return cr.autograd.grad(loss(cr, t), t)[0].numpy()

    numeric = np.stack(central_differences(lambda xs: gradient(xs[0]), [x], 1e-6), 1)
    with loops_as_errors():  # no loop over the Hessian's rows: one batch
        warnings.filterwarnings("ignore", "overflow", RuntimeWarning)  # log space's lowest
        ours = cr.autograd.functional.hessian(lambda v: loss(cr, v), cr.tensor(x)).numpy()
    theirs = torch.autograd.functional.hessian(lambda v: loss(torch, v), torch.tensor(x))
    np.testing.assert_allclose(ours, numeric, rtol=1e-6, atol=1e-8)
    assert np.isnan(theirs.numpy()[:, 0]).all()
