"""``gradcheck(check_batched_grad=True)`` and ``check_batched_forward_grad``, as PyTorch's.

The batched checks run the backward (forward) pass under ``vmap`` over two random cotangents
(tangents) and compare it with the two passes one by one: they pass on every op-table row, in
agreement with ``torch.autograd.gradcheck``, and fail on a planted wrong batching rule and on a
backward that cannot run batched, with PyTorch's messages.
"""

from __future__ import annotations

import importlib
import warnings
from typing import Any

import numpy as np
import pytest
import torch
from gradcheck_util import custom_sin
from op_table import OpSpec, all_specs

import chainrule as cr
from chainrule.autodiff import batching
from chainrule.ops.elementwise import Mul, Sin
from chainrule.tools.gradcheck import FAILED_BATCHED_GRAD_MSG, FAILED_BATCHED_GRAD_MSG_FWD_AD

torch_gradcheck = importlib.import_module(
    "torch.autograd.gradcheck"
)  # the module, not the function
SPECS = all_specs()
_ERRORS = {"chainrule": cr.autograd.GradcheckError, "torch": torch_gradcheck.GradcheckError}
# Rows that draw random numbers: the batched forward-mode check runs them under vmap.
RANDOM = {"dropout_seeded_mask"}
POINT = np.array([[0.3, -1.2], [2.0, 0.7]])


@pytest.mark.parametrize("spec", [pytest.param(s, id=s.name) for s in SPECS])
def test_batched_checks_pass_on_every_op(spec: OpSpec, rng: np.random.Generator) -> None:
    """vmap over each row's backward (and forward-mode) pass equals the passes one by one;
    PyTorch's verdict on the same function at the same point is the same."""
    arrays = spec.sample(rng, spec.shapes[0])
    ours = [cr.tensor(a, dtype=cr.float64, requires_grad=True) for a in arrays]
    kwargs = {"eps": spec.fd_step, "fast_mode": True, "raise_exception": False}
    draws = spec.name in RANDOM or spec.randomness != "error"
    forward = spec.jvp and not draws
    verdict = cr.autograd.gradcheck(
        spec.fn,
        ours,
        check_batched_grad=True,
        check_forward_ad=spec.jvp,
        check_batched_forward_grad=forward,
        **kwargs,
    )
    # A derivative by PyTorch's convention (a seeded normal draw's zeros) fails the finite
    # differences, in PyTorch as well.
    assert verdict == spec.finite_differences, f"{spec.name}: a batched gradient check failed"
    if draws and verdict:  # a draw under vmap is refused, as PyTorch's default refuses it
        with pytest.raises(cr.autograd.GradcheckError, match="randomness error mode"):
            cr.autograd.gradcheck(spec.fn, ours, check_batched_forward_grad=True)
    torch_fn = spec.torch_callable()
    if torch_fn is None:
        return
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's notes about deprecated ops and slow loops
        assert (
            torch.autograd.gradcheck(torch_fn, theirs, check_batched_grad=True, **kwargs) == verdict
        )


def _reads_a_number(g: Any, x: Any) -> Any:
    """Right one example at a time; reading ``.item()`` cannot run on a batch."""
    return g * x.cos() * (g.sum() * 0 + 1).item()


@pytest.mark.parametrize("lib", [cr, torch], ids=["chainrule", "torch"])
def test_backward_that_cannot_run_batched_fails_as_in_torch(lib: Any) -> None:
    fn = custom_sin(lib, _reads_a_number).apply
    x = lib.tensor(POINT, requires_grad=True)
    assert lib.autograd.gradcheck(fn, (x,))  # per example it is right
    with pytest.raises(_ERRORS[lib.__name__]) as caught:
        lib.autograd.gradcheck(fn, (x,), check_batched_grad=True)
    message = str(caught.value)
    assert message.startswith("While computing batched gradients, got: ")
    assert "item" in message  # the operation that cannot run batched, in each one's words
    assert message.endswith(FAILED_BATCHED_GRAD_MSG)


@pytest.mark.parametrize("lib", [cr, torch], ids=["chainrule", "torch"])
def test_right_custom_backward_passes_as_in_torch(lib: Any) -> None:
    fn = custom_sin(lib, lambda g, x: g * x.cos()).apply
    assert lib.autograd.gradcheck(
        fn, (lib.tensor(POINT, requires_grad=True),), check_batched_grad=True
    )


def _swapped(rule: Any) -> Any:
    """A batching rule that answers for the wrong examples: the batch reversed."""

    def wrong(op: Any, values: list[Any], batched: list[bool], size: int) -> Any:
        return rule(op, values, batched, size).flip(0)

    return wrong


def test_a_wrong_batching_rule_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """sin's backward is ``g * cos(x)``: under vmap the cotangent ``g`` is batched, so the
    product runs Mul's batching rule; a wrong one fails the check (and only the batched one)."""
    x = cr.tensor(POINT, requires_grad=True)
    assert cr.autograd.gradcheck(cr.sin, (x,), check_batched_grad=True)
    monkeypatch.setattr(Mul, "batch_rule", staticmethod(_swapped(batching.rule_of(Mul))))
    assert cr.autograd.gradcheck(cr.sin, (x,))
    with pytest.raises(cr.autograd.GradcheckError) as caught:
        cr.autograd.gradcheck(cr.sin, (x,), check_batched_grad=True)
    message = str(caught.value)
    assert message.startswith(f"For output 0 and input 0:\n\n{FAILED_BATCHED_GRAD_MSG}\n\nGot:")
    assert "Expected:" in message


def test_a_wrong_batching_rule_in_forward_mode_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batched over the tangents, forward mode runs sin on the whole batch: Sin's rule."""
    x = cr.tensor(POINT, requires_grad=True)
    check = {"check_forward_ad": True, "check_backward_ad": False}
    assert cr.autograd.gradcheck(cr.sin, (x,), check_batched_forward_grad=True, **check)
    monkeypatch.setattr(Sin, "batch_rule", staticmethod(_swapped(batching.rule_of(Sin))))
    assert cr.autograd.gradcheck(cr.sin, (x,), **check)
    with pytest.raises(cr.autograd.GradcheckError) as caught:
        cr.autograd.gradcheck(cr.sin, (x,), check_batched_forward_grad=True, **check)
    assert str(caught.value).startswith(
        f"For output 0 and input 0:\n\n{FAILED_BATCHED_GRAD_MSG_FWD_AD}\n\nGot:"
    )


def test_messages_are_torchs() -> None:
    assert FAILED_BATCHED_GRAD_MSG == torch_gradcheck.FAILED_BATCHED_GRAD_MSG
    assert FAILED_BATCHED_GRAD_MSG_FWD_AD == torch_gradcheck.FAILED_BATCHED_GRAD_MSG_FWD_AD
