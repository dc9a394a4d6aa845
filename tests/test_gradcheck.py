"""``cr.autograd.gradcheck`` / ``gradgradcheck``: every op-table row passes, planted wrong rules
fail with a message naming the input, the worst element and both values, and every verdict is
the one ``torch.autograd.gradcheck`` gives on the same functions at the same inputs."""

from __future__ import annotations

import re
import warnings
from typing import Any

import numpy as np
import pytest
import torch
from gradcheck_util import custom_sin, is_small
from op_table import OpSpec, all_specs

import chainrule as cr

SPECS = all_specs()


def _inputs(spec: OpSpec, lib: Any, rng: np.random.Generator) -> tuple[list[Any], list[Any]]:
    """The row's first (smallest) shape case, as float64 leaves in chainrule and in torch."""
    arrays = spec.sample(rng, spec.shapes[0])
    ours = [cr.tensor(a, dtype=cr.float64, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    return ours, theirs


@pytest.mark.parametrize("spec", [pytest.param(s, id=s.name) for s in SPECS])
def test_gradcheck_passes_on_every_op_and_agrees_with_torch(
    spec: OpSpec, rng: np.random.Generator
) -> None:
    ours, theirs = _inputs(spec, cr, rng)
    # Element by element where the Jacobian is small, else by random projections (as the
    # op-table tests do): the full check of a convolution's gradient takes seconds.
    small = is_small(spec.fn, [x.detach().numpy() for x in ours])
    kwargs = {"eps": spec.fd_step, "raise_exception": False, "fast_mode": not small}
    verdict = cr.autograd.gradcheck(spec.fn, ours, check_forward_ad=spec.jvp, **kwargs)
    # A derivative by PyTorch's convention, not the finite differences' (a seeded normal
    # draw's zeros): gradcheck fails it, in PyTorch as well.
    assert verdict == spec.finite_differences, f"{spec.name}: gradcheck's verdict"
    torch_fn = spec.torch_callable()
    if torch_fn is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch's notes about deprecated ops
            assert torch.autograd.gradcheck(torch_fn, theirs, **kwargs) == verdict


# ----------------------------------------------------------------------------- planted rules
def _sin_functions(lib: Any) -> dict[str, type]:
    """Custom Functions for ``sin``, right and wrong, written once for either library."""
    return {
        "right": custom_sin(lib, lambda g, x: g * x.cos()),
        "wrong": custom_sin(lib, lambda g, x: g),  # forgets the local derivative
        # right, but its gradient is a constant
        "first_order_only": custom_sin(lib, lambda g, x: g * x.detach().cos()),
    }


CR_FUNCTIONS, TORCH_FUNCTIONS = _sin_functions(cr), _sin_functions(torch)
POINT = np.array([[0.3, -1.2], [2.0, 0.7]])


@pytest.mark.parametrize("check", ["gradcheck", "gradgradcheck"])
@pytest.mark.parametrize("fast_mode", [False, True])
@pytest.mark.parametrize("kind", list(CR_FUNCTIONS))
def test_verdicts_on_custom_functions_equal_torch(kind: str, fast_mode: bool, check: str) -> None:
    ours = getattr(cr.autograd, check)(
        CR_FUNCTIONS[kind].apply,
        (cr.tensor(POINT, requires_grad=True),),
        fast_mode=fast_mode,
        raise_exception=False,
    )
    theirs = getattr(torch.autograd, check)(
        TORCH_FUNCTIONS[kind].apply,
        (torch.tensor(POINT, requires_grad=True),),
        fast_mode=fast_mode,
        raise_exception=False,
    )
    assert ours == theirs
    # The wrong sin's gradient, g, is wrong but consistent with its own derivative: gradgradcheck
    # checks the second order only, and passes it in both libraries.
    wrong = {"gradcheck": "wrong", "gradgradcheck": "first_order_only"}[check]
    assert ours == (kind != wrong)


@pytest.mark.parametrize("fast_mode", [False, True])
def test_failure_names_input_worst_element_and_both_values(fast_mode: bool) -> None:
    x = cr.tensor(POINT, requires_grad=True)
    with pytest.raises(cr.autograd.GradcheckError) as caught:
        cr.autograd.gradcheck(CR_FUNCTIONS["wrong"].apply, (x,), fast_mode=fast_mode)
    message = str(caught.value)
    assert message.startswith("Jacobian mismatch for output 0 with respect to input 0,")
    # Worst element: where cos(x) is farthest from 1, at x = 2.0 (row 1, column 0).
    assert "d output0[1, 0] / d input0[1, 0]" in message
    found = re.search(r"analytical (\S+) vs numerical (\S+) ", message)
    assert float(found[1]) == 1.0 and abs(float(found[2]) - np.cos(2.0)) < 1e-6
    assert "numerical:" in message and "analytical:" in message


def test_failure_names_the_wrong_input_of_several() -> None:
    class WrongSecondInput(cr.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return a * b

        @staticmethod
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            return g * b, g * b  # the second should be g * a

    a = cr.tensor([1.0, 2.0], dtype=cr.float64, requires_grad=True)
    b = cr.tensor([3.0, 5.0], dtype=cr.float64, requires_grad=True)
    with pytest.raises(cr.autograd.GradcheckError, match="with respect to input 1"):
        cr.autograd.gradcheck(WrongSecondInput.apply, (a, b))


def test_forward_mode_check_uses_the_jvp_rules() -> None:
    x = cr.tensor(POINT, requires_grad=True)
    assert cr.autograd.gradcheck(lambda t: (t * t).exp(), (x,), check_forward_ad=True)
    with pytest.raises(NotImplementedError, match="defines no forward-mode rule"):
        cr.autograd.gradcheck(
            CR_FUNCTIONS["right"].apply, (x,), check_forward_ad=True, check_backward_ad=False
        )


def test_non_reentrant_backward_is_reported() -> None:
    calls = []

    class Drifting(cr.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            calls.append(1)
            return g * (2 + 1e-3 * len(calls))

    x = cr.tensor([1.0], dtype=cr.float64, requires_grad=True)
    with pytest.raises(cr.autograd.GradcheckError, match="Backward is not reentrant"):
        cr.autograd.gradcheck(Drifting.apply, (x,), atol=1e-2)


@pytest.mark.parametrize("lib", [cr, torch], ids=["chainrule", "torch"])
def test_input_errors_and_warnings_match_torch(lib: Any) -> None:
    with pytest.raises(ValueError, match="at least one input tensor to require gradient"):
        lib.autograd.gradcheck(lib.sin, (lib.ones(2, dtype=lib.float64),))
    x = lib.tensor([0.5], dtype=lib.float32, requires_grad=True)
    with pytest.warns(UserWarning, match="Input #0 requires gradient and is not a double"):
        lib.autograd.gradcheck(lib.sin, (x,), raise_exception=False)
