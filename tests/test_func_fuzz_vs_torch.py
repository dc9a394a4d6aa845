"""A differential fuzzer for the function transforms: random programs under ``grad``,
``jvp``, ``vjp``, ``jacrev``, ``jacfwd``, ``hessian``, ``linearize`` and ``vmap``, alone and
nested, must give ``torch.func``'s answers, or where PyTorch is wrong or refuses, the finite
differences' (``tests/fuzz_transforms.py``). The programs are those of
``test_fuzz_vs_torch.py``, in its three layers: pure ops, views and in-place ops on
intermediates, in-place ops through views.

CI runs a small fixed budget (the same programs each time); a longer, random search runs on
demand:

    CHAINRULE_FUZZ_EXAMPLES=500 python -m pytest tests/test_func_fuzz_vs_torch.py

Each program the fuzzer found failing stays below, in its shrunk form: as a row of ``FOUND``
where chainrule now gives PyTorch's answer, of ``FOUND_REFUSED`` where it gave a wrong number
and now refuses as PyTorch does, and of ``PYTORCH_DIFFERS`` where PyTorch's answer is wrong
and the finite differences settled it. ``fuzz_transforms.KNOWN_REFUSALS`` lists what chainrule
still refuses where PyTorch computes.
"""

from __future__ import annotations

import warnings
from typing import Any

import fuzz_transforms
import numpy as np
import pytest
import torch
from fuzz_programs import LAYERS, UNTIMED, RoundingDecides, programs, search_settings
from fuzz_transforms import (
    KNOWN_REFUSALS,
    TRANSFORMS,
    Case,
    _mismatches,
    _nan_where,
    _settled,
    disagreements,
    known_refusal,
    numeric,
    numeric_mismatches,
    outcome,
)
from hypothesis import assume, given
from hypothesis import strategies as st

import chainrule as cr

SETTINGS = search_settings(12)


@pytest.mark.parametrize("transform", TRANSFORMS)
@pytest.mark.parametrize("layer", LAYERS)
@UNTIMED
def test_random_programs_under_transforms_agree_with_torch(layer: int, transform: str) -> None:
    @SETTINGS
    @given(programs(layer), st.integers(0, 3**3 - 1))  # in_dims for up to 3 inputs
    def agree(program: object, p: int) -> None:
        try:
            found = disagreements(Case.of(program, layer, transform, p))
        except RoundingDecides:  # see it: not compared
            assume(False)
        assert not found, "\n".join(["", *found])

    agree()


@pytest.mark.parametrize("transform", TRANSFORMS)
def test_each_transform_runs_a_plain_program_in_both_libraries(transform: str) -> None:
    """The harness's own check: where both libraries raise the fuzzer passes a program, so a
    transform that raised on every program (a wrong call) would pass them all."""
    case = Case(
        ["v2 = v0.sin() * v1"],
        "(v2 * weight(v2)).sum()",
        [np.array([0.5, -0.3]), np.array([1.5, 0.7])],
        (True, True),
        transform,
    )
    (ours, error), (theirs, their_error) = outcome(cr, case)[:2], outcome(torch, case)[:2]
    assert error is None and their_error is None, (error, their_error)
    assert _mismatches(ours, theirs, 1e-7, 1e-9) == []
    assert numeric_mismatches(case, ours, numeric(case)) == []


def test_differences_that_do_not_settle_decide_nothing() -> None:
    """A Hessian through exp(cross(x, cross(x, x * x) ** 2)), entries up to 4e291: the
    differences miss chainrule's (and torch.func's) by 0.5% there (their error grows with the
    exp's derivatives) and move as much when their steps halve, so those entries are not
    compared. The fuzzer met it with a masked_scatter_ that torch.func refuses under vmap,
    where the differences alone decide. Where they settle, a Hessian 1% off is still found."""
    lines = ["v1 = lib.linalg.cross(v0, v0 * v0)", "v2 = lib.linalg.cross(v0, v1 * v1).exp()"]
    x = np.array([[[0.548, -0.921, -1.836]], [[1.74, 1.263, -1.989]]]) + 1e-4
    case = Case(lines, "(v2 * weight(v2)).sum()", [x], (True,), "vmap_of_hessian", (0,))
    (ours, error), (theirs, their_error) = outcome(cr, case)[:2], outcome(torch, case)[:2]
    assert error is None and their_error is None and _mismatches(ours, theirs, 1e-7, 1e-9) == []
    reference = numeric(case)
    assert numeric_mismatches(case, ours, reference) != []  # the differences miss
    settled = _settled(case, reference, numeric(case, 0.5))
    unsettled = np.isnan(settled[0])
    assert unsettled.any() and not unsettled.all()
    assert numeric_mismatches(case, _nan_where(ours, settled), settled) == []
    off = [ours[0] * (1 + 0.01 * (np.arange(ours[0].size) % 2)).reshape(ours[0].shape)]
    assert numeric_mismatches(case, _nan_where(off, settled), settled) != []
    case.lines = ["v3 = v0 + v0", "v3.masked_scatter_(v3 > 0.5, v0 * 3)", *lines]
    assert outcome(torch, case)[1] is not None and disagreements(case) == []


def test_a_case_at_a_jump_that_rounding_decides_is_not_compared(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The fuzzer met the norm of a kl_div of a distribution against itself: 0 up to rounding,
    exactly 0 in chainrule and 1.9e-17 in PyTorch (their softmax and log_softmax differ in the
    last bit). At 0 the norm's second derivative is 0/0: chainrule's Hessian is nan, as
    torch.func's is at an exact 0, and the finite differences see a smooth function. Moved by
    1e-12, torch.func's own Hessian turns nan, so the case is not compared; without the
    nudges it would be reported."""
    lines = [
        "v1 = v0.exp()",
        "v2 = lib.nn.functional.kl_div(v1.log_softmax(-1), v1.softmax(-1), reduction='batchmean')",
        "v3 = v2.norm()",
    ]
    x = np.array([0.5481, -0.9209, -1.8359])
    loss = "(v0.exp() * weight(v0)).sum() + (v3 * weight(v3)).sum()"
    case = Case(lines, loss, [x], (True,), "jacrev_of_jacfwd")
    ours, theirs = outcome(cr, case)[0], outcome(torch, case)[0]
    assert np.isnan(ours[0]).all() and not np.isnan(theirs[0]).any()
    with pytest.raises(RoundingDecides, match="output 0"):
        disagreements(case)
    monkeypatch.setattr(fuzz_transforms, "_rounding_decides", lambda case, theirs: False)
    assert disagreements(case) != []


# ----------------------------------------------------------------------------- found
LOSS_2 = "(v2 * weight(v2)).sum() + (v3 * weight(v3)).sum()"
LOSS_1 = "(v0 * weight(v0)).sum() + (v1 * weight(v1)).sum()"
X = [np.float64(0.5481)]
# name: the case. Each raised in chainrule, or gave a wrong number, where torch.func gives the
# right answer.
ARGS = [np.float64(0.5481), np.float64(-0.9209), np.array([-1.8359, -1.9339, 1.2531])]
LOSS_ARGS = "(v2 * weight(v2)).sum() + (v0 * weight(v0)).sum()"
FOUND = {
    # f changes an argument it is given but does not differentiate (v2) in place, by a
    # primal. Under vmap(jacfwd) and hessian, jacfwd's loop over its directions (vmap's
    # fallback, as the write of a lifted primal into v2 needs) ran f once per direction on
    # the same v2: v2[0] times v0 twice, and the second direction's column read that (a
    # wrong Jacobian by hand, jacfwd(f, argnums=(0, 1)) of v2.narrow(0, 0, 1).mul_(v0);
    # v2 * v1). Each run now starts from the arguments' values before the first.
    "vmap_of_jacfwd_a_primal_multiplied_into_an_argument": Case(
        ["v3 = v2.narrow(0, 0, 1)", "v3.mul_(v0)"],
        LOSS_ARGS,
        ARGS,
        (True, True, False),
        "vmap_of_jacfwd",
        (None, 0, None),
    ),
    "vmap_of_hessian_a_primal_multiplied_into_an_argument": Case(
        ["v3 = v2.narrow(0, 0, 1)", "v3.mul_(v0)"],
        LOSS_ARGS,
        ARGS,
        (True, True, False),
        "vmap_of_hessian",
        (0, 0, 0),
    ),
    # ... and an argument that f changed with a primal's values kept that history after
    # grad returned (requires_grad True, where torch.func's f changed its own wrapper): it
    # is cut from it, as detach_ cuts, where no reverse pass around records
    **{
        f"{transform}_a_primal_copied_into_an_argument": Case(
            ["v3 = v2.narrow(0, 0, 1)", "v3.copy_(v0)"],
            LOSS_ARGS,
            ARGS,
            (True, False, False),
            transform,
            dims,
        )
        for transform, dims in (
            ("grad", (0, 0, 0)),
            ("jvp_of_grad", (0, 0, 0)),
            ("vmap_of_grad", (None, 0, None)),
        )
    },
    # ... and where a node read that argument before the change (hypot(v0, v1), then
    # v1.t().add_(v0)): the walk over f's graph took it for a tensor from outside f, as it
    # requires grad now, and kept the history (in the argument, and in the Jacobian, which
    # required grad). A node's inputs count as they were when it read them.
    **{
        f"{transform}_an_argument_read_then_changed_by_a_primal": Case(
            ["v2 = v0.exp()", "v3 = v1.t()", "v4 = lib.hypot(v0, v1)", "v3.add_(v0)"],
            "(v3 * weight(v3)).sum() + (v4 * weight(v4)).sum()",
            ARGS[:2],
            (True, False),
            transform,
            (0, 0),
        )
        for transform in ("grad", "jacrev", "hessian")
    },
    # fill_diagonal_ read its tensor's strides, which a batched tensor has none of: vmap fell
    # back to one run per example and refused it, as that would make relu_'s change again.
    # Each example's strides, counted from its own start, give every example's places.
    # ... and its refusal of a leaf asked the batched wrapper, a leaf of no history, not
    # the physical tensor (exp's output) under it
    "vmap_of_hessian_fill_diagonal_of_a_result": Case(
        ["v2 = v0.exp()", "v3 = v0.exp()", "v4 = v0.exp()", "v2.fill_diagonal_(0.5)"],
        "(v3 * weight(v3)).sum() + (v4 * weight(v4)).sum()",
        [np.array([[0.5481, -0.9209, -1.8359]]), np.float64(-1.9339)],
        (True, False),
        "vmap_of_hessian",
        (0, 0),
    ),
    "vmap_of_jvp_fill_diagonal_after_an_in_place_change": Case(
        ["v2 = v1.split(1, 0)[0]", "v2.relu_()", "v2.fill_diagonal_(0.5)"],
        "(v1 * weight(v1)).sum() + (v2 * weight(v2)).sum()",
        [np.float64(0.5481), np.array([[-0.9209, -1.8359, -1.9339]])],
        (True, True),
        "vmap_of_jvp",
        (0, 0),
    ),
    # a write of some elements through overlapping windows (an unfold): every element was
    # written back, so an unchanged one put its old value back over a set one sharing its
    # place (found comparing the inputs after the call); forward mode wrote the tangents
    # back alike. Only the elements an op sets are written now, values and tangents.
    **{
        f"{transform}_setitem_through_overlapping_windows": Case(
            ["v2 = v1.unfold(-1, 2, 1)", "v2[lib.tensor([0])] = v0.sum()"],
            "(v1 * weight(v1)).sum() + (v2 * weight(v2)).sum()",
            [np.float64(0.5481), np.array([-0.9209, -1.8359, -1.9339])],
            (True, transform != "jacfwd_of_jacrev"),
            transform,
            (0, 0),
        )
        for transform in ("jacfwd_of_jacrev", "jacfwd", "vmap_of_jvp")
    },
    # vmap over a gradient through eigh after an in-place change of its input: the guard of
    # eigh's outputs on its nodes read the values of vmap's batched outputs, which have none,
    # so vmap fell back to one run per example (for every decomposition, with a warning, 5 to
    # 20x slower), and refused it here, as that would make the change again. The guards now
    # sit on the whole batch's tensors, which hold the nodes.
    "vmap_of_grad_eigvalsh_after_an_in_place_change": Case(
        [
            "v3 = v2.unbind(0)[0]",
            "v3.addcmul_(v1, v1, value=0.5)",
            "v4 = lib.linalg.eigvalsh((v2 @ v2.mT + (lib.eye(1, 1, dtype=lib.float64)"
            " * lib.arange(1.0, 2, dtype=lib.float64))))",
        ],
        "(v3 * weight(v3)).sum() + (v4 * weight(v4)).sum()",
        [np.float64(0.5481), np.float64(-0.9209), np.array([[-1.8359, -1.9339, 1.2531]])],
        (True, False, False),
        "vmap_of_grad",
        (0, 0, 0),
    ),
    # the same through jvp's tangent rule (a known refusal until then)
    "vmap_of_jvp_eigvalsh_after_an_in_place_change": Case(
        [
            "v1 = v0.unbind(0)[0]",
            "v1.relu_()",
            "v2 = lib.linalg.eigvalsh((v0 @ v0.mT + lib.eye(1, dtype=lib.float64)))",
        ],
        LOSS_1.replace("v0", "v2"),
        [np.array([[0.5481, -0.9209, -1.8359]])],
        (True,),
        "vmap_of_jvp",
    ),
    # vjp lifts an unbatched primal to vmap's levels (its gradient comes out per example);
    # torch.func keeps it unbatched, so it may change an unbatched tensor in place
    "vmap_of_grad_unbatched_primal_changes_unbatched_tensor": Case(
        ["v3 = v1.exp()", "v3.add_(v0)"],
        LOSS_2,
        [np.float64(0.5481), np.float64(-0.9209), np.float64(-1.8359)],
        (True, False, False),
        "vmap_of_grad",
        (None, None, -1),
    ),
    # jacfwd's batch of tangents of a 0-d base: each direction's part was written into a
    # NumPy scalar (a copy), and refused as a view forward mode cannot write through
    "jacfwd_inplace_through_view_of_0d": Case(
        ["v1 = v0.reshape(-1)", "v1.add_(v1)"], LOSS_1, X, (True,), "jacfwd"
    ),
    "jacfwd_inplace_scale_through_view_of_0d": Case(
        ["v1 = v0 * 1", "v2 = v1.reshape(-1)", "v2.mul_(3.0)", "v3 = v1 + v2"],
        LOSS_2,
        X,
        (True,),
        "jacfwd",
    ),
    # reverse over forward mode replayed the tangent of a view whose base changed in place
    # after it was taken unrecorded: a constant to the outer reverse pass, the view's part of
    # the second derivative lost (see FOUND_REFUSED for the same where a saved value changed)
    "jacrev_of_jacfwd_of_a_view_of_a_changed_base": Case(
        ["v1 = v0 * 2", "v3 = v1.reshape(-1)", "v1.add_(v0 * v0)"],
        "(v3 * v3).sum()",
        [np.array([0.5481, -0.3])],
        (True,),
        "jacrev_of_jacfwd",
    ),
}


# Reductions of a 0-d example under vmap, differentiated forward over reverse: their tangent
# rule summed over dims=() on Tensors, which PyTorch reads as every dim (NumPy, and the rule on
# arrays, as none): the batch was summed, each example's Hessian wrong without a word (norm
# gave -2/x for 0). Found by the fuzzer with norm in its ops.
REDUCTIONS_OF_0D = {
    "norm": "v.norm()",
    "norm p=3": "v.norm(p=3)",
    "prod": "(v * v).prod()",
    "amax": "(v * v).amax()",
    "logsumexp": "(v * v).logsumexp(())",
    "sum": "(v * v).sum()",
    "std": "v.std(correction=0)",
}


@pytest.mark.parametrize("name", REDUCTIONS_OF_0D)
def test_per_example_hessians_of_reductions_of_0d_examples_agree_with_torch(name: str) -> None:
    def hessians(lib: object) -> list[float]:
        def f(v: object) -> object:
            return eval(REDUCTIONS_OF_0D[name], {"v": v})  # our own table's expressions

        examples = lib.tensor([0.5481, 0.6, -0.7], dtype=lib.float64)
        return lib.func.vmap(lib.func.hessian(f))(examples).tolist()

    assert np.allclose(hessians(cr), hessians(torch), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", FOUND)
def test_cases_the_fuzzer_found_agree_with_torch(name: str) -> None:
    """The results, and what f left in the inputs (compared here even where the fuzzer leaves
    the inputs of a write through overlapping windows to PyTorch's loop order)."""
    case = FOUND[name]
    ours, error, our_inputs = outcome(cr, case)
    assert error is None, error
    theirs, their_error, their_inputs = outcome(torch, case)
    assert their_error is None, their_error
    assert _mismatches(ours, theirs, 1e-7, 1e-9) == []
    assert _mismatches(our_inputs, their_inputs, 1e-7, 1e-9) == []
    assert disagreements(case) == []


# name: a case where chainrule gave a wrong number; it now refuses, as PyTorch does, with
# these words.
MODIFIED = "modified by an inplace operation"
OVERLAP = "refer to a single memory location"
FOUND_REFUSED = {
    # reverse over forward mode: the tangent of a view whose base changed in place after it
    # was taken (v3 reads exp's output, which add_ changed) was replayed unrecorded, a
    # constant to the outer reverse pass: the second derivative lost v3's part, no error
    "jacrev_of_jacfwd_of_a_view_of_a_changed_base_where_a_saved_value_changed": Case(
        ["v1 = v0.exp()", "v2 = v0.exp()", "v3 = v1.reshape(-1)", "v1.add_(v0)"],
        LOSS_2,
        X,
        (True,),
        "jacrev_of_jacfwd",
    ),
    # an in-place op reading a view of the tensor it writes, under vmap over a batched
    # tensor: the overlap check (eager's, PyTorch's) ran on the physical arrays, where each
    # example's memory lies apart from the next one's, so no part looked dense: computed
    "vmap_of_jacrev_addcmul_of_a_diagonal_of_itself": Case(
        ["v2 = v0.exp()", "v3 = v2.diagonal()", "v4 = v0.exp()", "v2.addcmul_(v3, v3, value=0.5)"],
        "(v3 * weight(v3)).sum() + (v4 * weight(v4)).sum()",
        [np.array([[0.5481], [-0.9209]]), np.array([-1.8359, -1.9339, 1.2531])],
        (True, True),
        "vmap_of_jacrev",
        (None, -1),
    ),
    "vmap_of_jacfwd_scatter_of_itself": Case(
        ["v3 = v0.exp()", "v3.scatter_(-1, lib.arange(2, -1, -1).expand((3,)).contiguous(), v3)"],
        LOSS_2,
        [np.array([0.5481, -0.9209, -1.8359]), np.float64(-1.9339), np.float64(1.2531)],
        (True, True, True),
        "vmap_of_jacfwd",
        (None, None, 0),
    ),
}
REFUSED_WITH = {
    "jacrev_of_jacfwd_of_a_view_of_a_changed_base_where_a_saved_value_changed": MODIFIED,
    "vmap_of_jacrev_addcmul_of_a_diagonal_of_itself": OVERLAP,
    "vmap_of_jacfwd_scatter_of_itself": OVERLAP,
}


@pytest.mark.parametrize("name", FOUND_REFUSED)
def test_cases_the_fuzzer_found_are_refused_as_in_torch(name: str) -> None:
    case = FOUND_REFUSED[name]
    for lib in (cr, torch):
        ours, error = outcome(lib, case)[:2]
        assert error is not None and REFUSED_WITH[name] in error, (lib, ours)


def test_a_saved_input_changed_in_place_is_refused_as_in_eager() -> None:
    """Found by the fuzzer under jacfwd(jacrev): binary_cross_entropy_with_logits saves its
    input, which f then changes in place. Eager PyTorch and chainrule refuse the backward, and
    chainrule's transforms refuse it too, naming the node; torch.func's computes, having run
    the op through its decomposition (a case of KNOWN_REFUSAL_CASES checks its numbers)."""
    x, t = np.array([0.5481, -0.9209, -1.8359]), np.array([[-1.9339, 1.2531, 1.6511]])

    def f(lib: Any, v0: Any) -> Any:
        v3 = v0 + lib.tensor(t)
        v4 = lib.nn.functional.binary_cross_entropy_with_logits(v3, lib.tensor(t).sigmoid())
        v3.addcmul_(v0, v0, value=0.5)
        return v3.sum() + v4.sum()

    for lib in (cr, torch):
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            f(lib, lib.tensor(x, requires_grad=True)).backward()
    with pytest.raises(RuntimeError, match="It is an input of BinaryCrossEntropyWithLogits"):
        cr.func.grad(lambda v: f(cr, v))(cr.tensor(x))


# name: (an in-place op that reads part of the memory it writes, whether torch.func's vmap
# refuses it): on (2, 1) examples the part read (one element) is dense, so PyTorch checks it.
# torch.func's add_ has a batching rule, which reads the overlap of the physical arrays (never
# dense: each example's memory lies apart from the next one's) and computes where f alone is
# refused; its fallback (addcmul_, scatter_) runs f per example and refuses.
OVERLAPPING_WRITES = {
    "addcmul_ of its diagonal": (lambda v: v.addcmul_(v.diagonal(), v.diagonal()), True),
    "add_ of its first row": (lambda v: v.add_(v[:1]), False),
    "scatter_ of itself": (lambda v: v.scatter_(-1, v.new_zeros((2, 1)).long(), v), True),
}


@pytest.mark.filterwarnings("ignore::UserWarning")  # torch.func's fallback for addcmul_
@pytest.mark.parametrize("name", OVERLAPPING_WRITES)
def test_vmap_refuses_an_in_place_op_reading_what_it_writes_as_each_example_would(
    name: str,
) -> None:
    write, torch_vmap_refuses = OVERLAPPING_WRITES[name]

    def f(v: object) -> object:
        v = v.exp()
        write(v)
        return v

    x = np.random.default_rng(0).standard_normal((4, 2, 1))
    for lib in (cr, torch):
        with pytest.raises(RuntimeError, match=OVERLAP):
            f(lib.tensor(x[0]))
    with pytest.raises(RuntimeError, match=OVERLAP):
        cr.func.vmap(f)(cr.tensor(x))
    try:
        torch.func.vmap(f)(torch.tensor(x))
    except RuntimeError as e:
        assert torch_vmap_refuses and OVERLAP in str(e)
    else:
        assert not torch_vmap_refuses


# name: a case where PyTorch's answer is wrong (as chainrule's was, where a comment says so).
# chainrule agrees with the finite differences.
PYTORCH_DIFFERS = {
    # PyTorch's forward mode of v.mul_(v) reads v's new value for one factor: the tangent of
    # v * v comes out as t * v_new + v_old * t, not 2 v t
    "forward_mode_of_mul_by_itself": Case(
        ["v1 = v0.exp()", "v1.mul_(v1)"], LOSS_1, X, (True,), "jacfwd"
    ),
    # linearize's jvp_fn ran func again on the primals, which func had changed in place
    # (through a view): chainrule's tangents were J at the changed point (-0.25 here), PyTorch's
    # change from call to call
    "linearize_of_func_changing_its_input": Case(
        ["v1 = v0[0]", "v1.mul_(v1)"],
        LOSS_1,
        [np.array([0.5481, -0.9209, -1.8359])],
        (True,),
        "linearize",
    ),
    # a std of one element is 0 for every input; the Hessian's rows by vmap carry zero
    # cotangents on the other gradients, which met std's masked 1 / (2 std) = inf: 0 * inf
    # was nan in chainrule's whole row (in PyTorch's, one block). Its derivatives are 0.
    "functional_hessian_through_a_std_of_one_element": Case(
        ["v3 = v1.std(1, correction=0)", "v4 = v0 + v3", "v5 = v4.softmax(0)"],
        "(v4 * weight(v4)).sum() + (v5 * weight(v5)).sum()",
        [np.float64(0.5481), np.array([[-0.9209], [-1.8359]]), np.array([-1.9339, 1.2531])],
        (True, True, True),
        "functional_hessian",
    ),
    # the same through a view: the view's base is the other factor
    "forward_mode_of_view_times_its_base": Case(
        ["v1 = v0.reshape(-1)", "v1.mul_(v0)"], LOSS_1, X, (True,), "vmap_of_jvp"
    ),
}


@pytest.mark.parametrize("name", PYTORCH_DIFFERS)
def test_where_pytorch_differs_chainrule_agrees_with_finite_differences(name: str) -> None:
    case = PYTORCH_DIFFERS[name]
    reference = numeric(case)
    ours, error = outcome(cr, case)[:2]
    assert error is None, error
    assert numeric_mismatches(case, ours, reference) == []
    theirs, their_error = outcome(torch, case)[:2]
    assert their_error is None, their_error
    assert numeric_mismatches(case, theirs, reference) != []


def test_vmap_of_grad_reads_an_unbatched_primal_as_torch_func() -> None:
    """An unbatched primal's value can be read inside ``vmap(grad(f))`` (torch.func keeps it
    unbatched); a batched one's cannot, in both libraries."""

    def reads(lib: object, which: int) -> object:
        def f(w: object, x: object) -> object:
            sign = 1.0 if (w, x)[which].item() > 0 else -1.0
            return (sign * w * x).sum()

        return lib.func.vmap(lib.func.grad(f), in_dims=(None, 0))(
            lib.tensor(0.5), lib.tensor([1.0, 2.0, 3.0])
        )

    assert reads(cr, 0).tolist() == reads(torch, 0).tolist() == [1.0, 2.0, 3.0]
    for lib in (cr, torch):
        with pytest.raises(RuntimeError, match=r"vmap: It looks like you're .*calling .item\(\)"):
            reads(lib, 1)


NAN_EIGH = "contained non-finite values"
# One case of each of KNOWN_REFUSALS: chainrule refuses where torch.func computes.
KNOWN_REFUSAL_CASES = {
    "vmap of jacfwd, an in-place change of a view of the input": Case(
        ["v2 = v1.reshape(-1)", "v2.add_(v1)"],
        LOSS_2.replace("v3", "v1"),
        [np.float64(0.5481), np.float64(-0.9209)],
        (True, True),
        "vmap_of_jacfwd",
    ),
    "hessian, svdvals' input changed in place": Case(
        ["v1 = lib.stack([v0, v0])", "v2 = lib.linalg.svdvals(v1)", "v1.relu_()"],
        LOSS_1.replace("v0", "v2"),
        [np.array([0.5481, -0.9209, -1.8359])],
        (True,),
        "hessian",
    ),
    "hessian, eigvalsh of a nan (var of one element)": Case(
        ["v1 = v0.var()", "v2 = lib.linalg.eigvalsh(v1.reshape(1, 1))"],
        LOSS_1.replace("v0", "v2"),
        [np.float64(0.5481)],
        (True,),
        "hessian",
    ),
    "vmap, a scatter_ of itself on 0-d examples": Case(
        ["v3 = v0.exp()", "v3.scatter_(-1, lib.arange(2, -1, -1).expand((3,)).contiguous(), v3)"],
        LOSS_2,
        [
            np.array([0.5481, -0.9209, -1.8359]),
            np.float64(-1.9339),
            np.array([1.2531, 1.6511, 0.4271]),
        ],
        (True, True, True),
        "vmap",
        (-1, 0, 0),
    ),
    "vmap of jacrev, the primal written into an unbatched input changed before": Case(
        ["v3 = v2.narrow(0, 0, 1)", "v3.mul_(2.5)", "v3.copy_(v0)"],
        LOSS_2,
        [np.float64(0.5481), np.float64(-0.9209), np.array([-1.8359, -1.9339, 1.2531])],
        (True, False, False),
        "vmap_of_jacrev",
        (None, 0, None),
    ),
    "jacfwd of jacrev, the input bce_with_logits saved changed in place": Case(
        [
            "v3 = v0 + v1",
            "v4 = lib.nn.functional.binary_cross_entropy_with_logits(v3, v1.sigmoid())",
            "v3.addcmul_(v0, v0, value=0.5)",
        ],
        "(v3 * weight(v3)).sum() + (v4 * weight(v4)).sum()",
        [np.array([0.5481, -0.9209, -1.8359]), np.array([[-1.9339, 1.2531, 1.6511]])],
        (True, False),
        "jacfwd_of_jacrev",
    ),
}


def test_every_known_refusal_has_a_case() -> None:
    assert len(KNOWN_REFUSAL_CASES) == len(KNOWN_REFUSALS)


@pytest.mark.parametrize("name", KNOWN_REFUSAL_CASES)
def test_a_known_refusal_is_still_one(name: str) -> None:
    """A case of KNOWN_REFUSALS: when chainrule computes it, this fails: then drop the
    refusal from the list (the fuzzer compares it)."""
    case = KNOWN_REFUSAL_CASES[name]
    ours, error = outcome(cr, case)[:2]
    assert error is not None and known_refusal(case, error)
    theirs, their_error = outcome(torch, case)[:2]
    assert their_error is None
    # each example alone is refused, or the function at the input: no numbers to compare
    for refused in (OVERLAP, NAN_EIGH):
        if refused in error:
            with pytest.raises(RuntimeError, match=refused):
                numeric(case)
            return
    assert numeric_mismatches(case, theirs, numeric(case)) == []


def test_linearize_runs_f_once_where_pytorch_runs_it_twice() -> None:
    """A named difference (``fuzz_transforms.RUNS_F_TWICE``): torch.func.linearize calls f and
    then traces it again, both on the caller's tensors, so an input that f changes in place
    changes twice; chainrule's linearize runs f on them once (and each call of jvp_fn on
    copies)."""
    found = {}
    for lib in (cr, torch):

        def f(x: Any, y: Any) -> Any:
            y.add_(x)
            return (x * y).sum()

        x, y = lib.tensor(0.5, dtype=lib.float64), lib.tensor([1.0, 2.0], dtype=lib.float64)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out, jvp_fn = lib.func.linearize(f, x, y)
        tangent = jvp_fn(lib.tensor(1.0, dtype=lib.float64), lib.zeros(2, dtype=lib.float64))
        found[lib.__name__] = y.tolist(), out.item(), tangent.item()
    assert found["chainrule"] == ([1.5, 2.5], 2.0, 5.0)  # 5 = sum(2x + y) at y = [1, 2]
    # f's change made twice, and the jvp taken where the second run left y (sum(2x + y) at
    # y = [2, 3]): the fuzzer's finite differences side with chainrule
    assert found["torch"] == ([2.0, 3.0], 2.0, 7.0)


def test_inputs_that_f_changed_otherwise_are_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fuzzer compares the caller's tensors after the call too (f may change them in
    place): a chainrule whose transform left an input changed, outputs alike, is wrong."""
    case = Case(["v1 = v0 * 2"], "(v1 * weight(v1)).sum()", [np.array([1.0, 2.0])], (True,), "grad")
    assert disagreements(case) == []
    apply = fuzz_transforms._apply

    def changing(lib: Any, case: Case, passed: list) -> Any:
        result = apply(lib, case, passed)
        if lib is cr:
            with cr.no_grad():
                passed[0].add_(1.0)
        return result

    monkeypatch.setattr(fuzz_transforms, "_apply", changing)
    found = disagreements(case)
    assert found and found[1].startswith("the inputs after the call differ: ['output 0: [2.0, 3.0]")


def test_inputs_changed_in_pytorchs_loop_order_are_not_compared() -> None:
    """An add_ of an unfold of overlapping windows: PyTorch adds v0 to the shared place once
    per window (its loop order), chainrule once, and the Jacobians agree: what the inputs
    hold after is no reference, as the eager fuzzer's UndefinedOrder has it."""
    lines = ["v2 = v1.unfold(-1, 2, 1)", "v2.add_(v0)"]
    case = Case(
        lines,
        LOSS_1.replace("v0", "v2"),
        [X[0], np.array([-0.9209, -1.8359, -1.9339])],
        (True, False),
        "jacfwd",
        (0, 0),
    )
    our_inputs, their_inputs = outcome(cr, case)[2], outcome(torch, case)[2]
    assert _mismatches(our_inputs, their_inputs, 1e-7, 1e-9)  # -1.2878 against -0.7397
    assert disagreements(case) == []


def test_vmaps_loop_refuses_an_argument_changed_otherwise_in_each_example() -> None:
    """vmap's fallback ran f once per example on the same unbatched v2: ``v2.add_(v1)`` (v1
    batched) added every example's v1 in turn, each example reading the ones before (a
    wrong gradient, against finite differences; torch.func refuses the batched value). Now
    each run starts from v2's values before the first, and must leave what the first left."""
    case = Case(
        ["v3 = v2.narrow(0, 0, 1)", "v3.mul_(v0)", "v2.add_(v1)"],
        LOSS_ARGS,
        ARGS,
        (True, False, False),
        "vmap_of_grad",
        (None, 0, None),
    )
    ours, error = outcome(cr, case)[:2]
    assert error is not None and "changed an argument that no example owns" in error, ours
    assert outcome(torch, case)[1] is not None


def test_a_case_the_finite_differences_cannot_run_is_reported_with_its_source(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where PyTorch differs and chainrule's own plain run refuses the program (the finite
    differences run it), the fuzzer reports the program rather than an exception without it."""
    case = Case(["v1 = v0 * 2"], "(v1 * weight(v1)).sum()", [np.array([1.0, 2.0])], (True,), "grad")

    def refused(*_: Any) -> Any:
        raise RuntimeError("unsupported operation")

    monkeypatch.setattr(fuzz_transforms, "numeric", refused)
    apply = fuzz_transforms._apply
    monkeypatch.setattr(
        fuzz_transforms,
        "_apply",
        lambda lib, case, passed: refused() if lib is torch else apply(lib, case, passed),
    )
    found = disagreements(case)
    assert found[0] == case.source()
    assert found[1].startswith("the finite differences cannot run it: unsupported operation;")
