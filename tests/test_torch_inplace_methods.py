"""In-place methods and augmented assignments that PyTorch has and chainrule lacked.

Without ``__iand__``, ``__ior__``, ``__ixor__``, ``__ilshift__``, ``__irshift__``,
``__ifloordiv__``, ``__imod__`` and ``__ipow__``, Python ran ``x //= 2`` as ``x = x // 2``: a
new tensor, so an alias or a view of ``x`` kept the old values where PyTorch changes them in
place. The in-place forms of existing ops (``atan2_``, ``eq_``, ``tril_``, ``cumsum_`` and
others) were missing too. Each program runs on torch and on chainrule (``lib``): the values,
dtypes, ``requires_grad`` and the gradient of ``x`` (where ``grad`` is set) agree, or both
raise the same exception type.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr

GRAD = "x = lib.tensor({x}, requires_grad=True); y = x * 1; "
SQUARE = GRAD.format(x=[[1.0, 2.0], [3.0, 4.0]])
SQUARE_EXP = "x = lib.tensor([[1., 2.], [3., 4.]], requires_grad=True); y = x.exp(); "
PROGRAMS = {
    # augmented assignments change the tensor itself: its aliases and views see it
    "iand_seen_by_an_alias": "x = lib.tensor([12, 10]); y = x; x &= lib.tensor([6, 3]); out = y",
    "ior_seen_by_a_view": "x = lib.tensor([12, 10]); v = x[1:]; x |= 3; out = v",
    "ixor_through_a_view": "x = lib.tensor([12, 10]); v = x[:1]; v ^= 3; out = x",
    "ilshift": "x = lib.tensor([12, 10]); x <<= 1; out = x",
    "irshift_keeps_sign": "x = lib.tensor([-12, 10]); x >>= 1; out = x",
    "iand_of_a_bool_mask": "x = lib.tensor([True, False]); m = x; x &= x.logical_not(); out = m",
    "ifloordiv_seen_by_an_alias": "x = lib.tensor([7., -7.]); y = x; x //= 2; out = y",
    "imod_of_ints": "x = lib.tensor([7, -7]); y = x; x %= 3; out = y",
    "ipow_seen_by_an_alias": "x = lib.tensor([7., -7.]); y = x; x **= 2; out = y",
    "ipow_recorded": GRAD.format(x=[1.0, 2.0]) + "y **= 2; out = y; grad = True",
    "ipow_of_a_leaf_refused": "x = lib.tensor([1., 2.], requires_grad=True); x **= 2; out = x",
    "iand_of_floats_refused": "x = lib.tensor([3., 0.]); x &= 1; out = x",
    # in-place forms of differentiable ops, recorded
    "atan2_": GRAD.format(x=[1.0, 2.0]) + "y.atan2_(lib.tensor([1.0, -1.0])); out = y; grad = True",
    "hypot_": GRAD.format(x=[1.0, 2.0]) + "y.hypot_(lib.tensor([1.0, 3.0])); out = y; grad = True",
    "copysign_": GRAD.format(x=[1.0, -2.0])
    + "y.copysign_(lib.tensor([-1.0, 3.0])); out = y; grad = True",
    "arcsin_": GRAD.format(x=[0.5, 0.2]) + "y.arcsin_(); out = y; grad = True",
    "arccos_then_arctan_": GRAD.format(x=[0.5, 0.2])
    + "y.arccos_(); y.arctan_(); out = y; grad = True",
    "arccosh_": GRAD.format(x=[1.5, 2.2]) + "y.arccosh_(); out = y",
    "sinc_": GRAD.format(x=[0.5, -1.2]) + "y.sinc_(); out = y; grad = True",
    "fix_": GRAD.format(x=[0.5, -1.2]) + "y.fix_(); out = y; grad = True",
    "fmod_": GRAD.format(x=[0.5, -1.2]) + "y.fmod_(0.7); out = y; grad = True",
    "remainder_": GRAD.format(x=[0.5, -1.2]) + "y.remainder_(0.7); out = y; grad = True",
    "floor_divide_": GRAD.format(x=[0.5, -1.2]) + "y.floor_divide_(0.7); out = y",
    "tril_": SQUARE + "y.tril_(); out = y; grad = True",
    "triu_above_the_diagonal": SQUARE + "y.triu_(1); out = y; grad = True",
    "cumsum_": SQUARE + "y.cumsum_(1); out = y; grad = True",
    "cumprod_": SQUARE + "y.cumprod_(0); out = y; grad = True",
    "cumsum_through_a_view": SQUARE + "y[0].cumsum_(0); out = y; grad = True",
    "triu_through_a_transposed_view": SQUARE_EXP + "y.t()[0].triu_(); out = y; grad = True",
    "atan2_of_itself_refused_at_backward": GRAD.format(x=[1.0, 2.0])
    + "y = y.sigmoid(); y.atan2_(y); out = y; grad = True",
    "cumsum_of_uint8_in_place": "x = lib.tensor([1, 2, 3], dtype=lib.uint8); x.cumsum_(0); out = x",
    "tril_of_a_leaf_refused": "x = lib.tensor([1., 2.], requires_grad=True); x.tril_(); out = x",
    "atan2_of_an_expanded_view_refused": "x = lib.tensor([1., 2.]); v = x.expand(2, 2); "
    "v.atan2_(lib.ones(2, 2)); out = v",
    "atan2_of_ints_refused": "x = lib.tensor([5, 6]); x.atan2_(lib.tensor([1, 1])); out = x",
    "float_power_of_float32_refused": GRAD.format(x=[0.5, 1.2]) + "y.float_power_(2); out = y",
    "float_power_of_float64": "x = lib.tensor([0.5, 1.2]).double(); x.float_power_(2); out = x",
    # comparisons and logical ops in place write 1 and 0 in the tensor's dtype; recorded,
    # their derivative is zero
    "eq_recorded": GRAD.format(x=[0.5, -1.2]) + "y.eq_(0.5); out = y; grad = True",
    "lt_": "x = lib.tensor([0.5, -1.2]); x.lt_(0); out = x",
    "ge_of_a_tensor": "x = lib.tensor([0.5, -1.2]); x.ge_(lib.tensor([0.5, 0.0])); out = x",
    "ne_of_ints": "x = lib.tensor([3, 0]); x.ne_(0); out = x",
    "eq_broadcast_past_self_refused": "x = lib.tensor([5., 6.]); x.eq_(lib.ones(2, 1)); out = x",
    "heaviside_recorded": GRAD.format(x=[1.0, -2.0])
    + "y.heaviside_(lib.tensor([0.5, 0.5])); out = y",
    "logical_and_": "x = lib.tensor([3, 0]); x.logical_and_(lib.tensor([1, 1])); out = x",
    "logical_not_": "x = lib.tensor([3., 0.]); x.logical_not_(); out = x",
    "logical_xor_": "x = lib.tensor([3., 0.]); x.logical_xor_(lib.tensor([1., 0.])); out = x",
    "logical_or_method": "x = lib.tensor([3., 0.]); out = x.logical_or(lib.tensor([0., 0.]))",
    "bitwise_not_": "x = lib.tensor([3, 0]); x.bitwise_not_(); out = x",
    "bitwise_not_of_floats_refused": "x = lib.tensor([3., 0.]); x.bitwise_not_(); out = x",
    "floor_divide_of_ints": "x = lib.tensor([5, 6]); x.floor_divide_(lib.tensor([2, 4])); out = x",
    "remainder_by_a_negative": "x = lib.tensor([5, 6]); x.remainder_(-4); out = x",
    "fmod_by_a_negative": "x = lib.tensor([5, 6]); x.fmod_(-4); out = x",
}


def run(lib: Any, program: str) -> list[Any]:
    env: dict[str, Any] = {"lib": lib, "grad": False}
    try:
        exec(program, env)  # noqa: S102 - the fixed programs above
        out = env["out"]
        result = [str(out.dtype).split(".")[-1], out.detach().numpy(), out.requires_grad]
        if env["grad"]:
            weights = np.linspace(1.5, -0.5, out.numel()).reshape(tuple(out.shape))
            (out * lib.tensor(weights, dtype=out.dtype)).sum().backward()
            result.append(env["x"].grad.numpy())
        return result
    except Exception as error:  # noqa: BLE001 - compared with torch's
        return [type(error)]


@pytest.mark.parametrize("program", PROGRAMS.values(), ids=PROGRAMS.keys())
def test_in_place_methods_match_torch(program: str) -> None:
    expected, got = run(torch, program), run(cr, program)
    assert len(got) == len(expected), (got, expected)
    if len(expected) == 1:  # both raise
        assert got[0] is expected[0]
        return
    assert got[0] == expected[0] and got[2] == expected[2]  # dtype, requires_grad
    for g, e in zip(got[1::2], expected[1::2], strict=True):  # values, then x's gradient
        np.testing.assert_allclose(g, e, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", ["arccosh", "arcsinh", "arctanh"])
def test_inverse_hyperbolic_in_place_has_the_out_of_place_gradient(name: str) -> None:
    """PyTorch has no derivative for these in place ("not implemented"); chainrule records
    them as any in-place op: the gradient is the out-of-place function's."""
    start = [1.5, 2.2] if name == "arccosh" else [0.5, -0.2]
    grads = []
    for in_place in (True, False):
        x = cr.tensor(start, requires_grad=True)
        y = x * 1
        y = getattr(y, name + "_")() if in_place else getattr(cr, name)(y)
        (y * cr.tensor([1.5, -0.5])).sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_array_equal(*grads)


# Results PyTorch makes as new contiguous tensors: NumPy's fancy indexing along a later axis
# kept its walk's layout (``.view`` refused it) and repeat_interleave by a number returned a
# broadcast view (an in-place op on it was refused as writing shared memory).
LAYOUT_PROGRAMS = {
    "index_select_along_dim_1_then_view": "x = lib.arange(16.).reshape(4, 4); "
    "out = x.index_select(1, lib.tensor([0, 3])).view(-1)",
    "fancy_index_of_a_later_axis_is_contiguous": "x = lib.arange(24.).reshape(2, 3, 4); "
    "out = lib.tensor(x[:, :, [3, 0]].is_contiguous())",
    "repeat_interleave_then_add_in_place": "x = lib.arange(6.).reshape(1, 2, 3); "
    "out = x.repeat_interleave(2, 0).add_(1)",
    "repeat_interleave_then_view": "x = lib.arange(6.).reshape(1, 2, 3); "
    "out = x.repeat_interleave(2, 0).view(-1)",
}


@pytest.mark.parametrize("program", LAYOUT_PROGRAMS.values(), ids=LAYOUT_PROGRAMS.keys())
def test_index_results_are_new_contiguous_tensors_as_in_torch(program: str) -> None:
    expected, got = run(torch, program), run(cr, program)
    assert len(got) == len(expected) == 3, (got, expected)
    assert got[0] == expected[0]
    np.testing.assert_array_equal(got[1], expected[1])
