"""PyTorch's mixed-precision names in chainrule, which computes in its tensors' own dtypes:
``chainrule.bfloat16`` is a name refused as a dtype (NumPy has no such type), ``autocast``
runs its block as written and says so, and the CUDA scaler disables itself. The CPU scaler's
steps are compared with PyTorch's in ``test_torch_snippets.py`` (grad_scaler_steps_as_pytorch).
"""

from __future__ import annotations

import pytest
import torch

import chainrule as cr


def test_bfloat16_is_a_name_that_compares_and_is_refused_as_a_dtype() -> None:
    """NumPy has no bfloat16: code may name and compare it (as mixed-precision code does),
    and using it as a dtype says so, instead of an AttributeError on ``cr.bfloat16``."""
    x = cr.ones(2)
    assert (
        x.dtype != cr.bfloat16
        and cr.bfloat16 != cr.float16
        and repr(cr.bfloat16) == ("chainrule.bfloat16")
    )
    assert cr.bfloat16.itemsize == torch.bfloat16.itemsize == 2
    for use in (
        lambda: x.to(cr.bfloat16),
        lambda: x.bfloat16(),
        lambda: cr.zeros(2, dtype=cr.bfloat16),
        lambda: cr.tensor([1.0], dtype=cr.bfloat16),
    ):
        with pytest.raises(TypeError, match="chainrule.bfloat16 is not supported: NumPy has no"):
            use()


def test_autocast_runs_its_block_in_the_tensors_dtypes_and_says_so() -> None:
    """PyTorch's autocast would compute in a lower precision; chainrule cannot (no bfloat16,
    no faster float16 on NumPy), so the block runs as written, with PyTorch's kind of warning."""
    x = cr.ones(2, 2)
    with (
        pytest.warns(UserWarning, match="no autocast.*Disabling autocast"),
        cr.autocast("cpu", dtype=cr.bfloat16),
    ):
        y = x @ x
    assert y.dtype == cr.float32 and not cr.is_autocast_enabled("cpu")
    with pytest.warns(UserWarning, match="Disabling autocast"):
        twice = cr.autocast("cpu")(lambda t: t * 2)
    assert twice(x).tolist() == [[2.0, 2.0], [2.0, 2.0]]
    with pytest.warns(UserWarning, match="CUDA is not available"):
        assert not cr.cuda.amp.GradScaler().is_enabled()
