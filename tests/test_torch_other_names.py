"""PyTorch's other names for functions chainrule has (``torch.greater``, ``torch.inverse``,
``Tensor.byte``), the complex-number functions that are identities on real tensors
(``conj``, ``real``, ``adjoint``), and the ``torch.linalg`` compositions (``matrix_power``,
``pinv``, ``cross``, ``matrix_rank``): each call runs on torch and on chainrule, and the
values, dtypes and shapes agree, or both raise the same exception type with the same first
line. Gradients of the differentiable ones are op-table rows (``tests/op_table_linalg.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from test_torch_api_math import assert_same

import chainrule as cr

M = [[2.0, 1.0], [1.0, 3.0]]
CASES: dict[str, Callable[[Any], Any]] = {
    "greater": lambda m: m.greater(m.tensor([1, 3]), 2),
    "greater_equal_method": lambda m: m.tensor([1, 3]).greater_equal(3),
    "less": lambda m: m.less(m.tensor([1.0, 3.0]), m.tensor([2.0, 2.0])),
    "less_equal_method": lambda m: m.tensor([1, 3]).less_equal(1),
    "not_equal": lambda m: m.not_equal(m.tensor([1, 3]), 3),
    "greater_in_place": lambda m: m.tensor([1.0, 3.0]).greater_(2),
    "not_equal_in_place": lambda m: m.tensor([1, 3]).not_equal_(3),
    "det_function": lambda m: m.det(m.tensor(M)),
    "det_method_batched": lambda m: m.tensor([M, M]).det(),
    "logdet": lambda m: m.logdet(m.tensor(M)),
    "logdet_negative_is_nan": lambda m: m.logdet(m.tensor([[-1.0, 0.0], [0.0, 1.0]])),
    "logdet_singular_is_minus_inf": lambda m: m.logdet(m.zeros(2, 2)),
    "slogdet_method": lambda m: tuple(m.tensor(M).slogdet()),
    "inverse": lambda m: m.inverse(m.tensor(M)),
    "inverse_of_a_vector_refused": lambda m: m.inverse(m.tensor([1.0, 2.0])),
    "pinverse_of_a_rectangle": lambda m: m.pinverse(m.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])),
    "pinv_of_a_singular_matrix": lambda m: m.linalg.pinv(m.tensor([[1.0, 2.0], [2.0, 4.0]])),
    "matrix_power_method": lambda m: m.tensor(M).matrix_power(3),
    "matrix_power_zero_batched": lambda m: m.matrix_power(m.tensor([M, M]), 0),
    "matrix_power_negative": lambda m: m.linalg.matrix_power(m.tensor(M), -1),
    "matrix_power_of_a_rectangle_refused": lambda m: m.linalg.matrix_power(m.ones(2, 3), 2),
    "diagflat_of_a_matrix": lambda m: m.diagflat(m.tensor(M), 1),
    "dist_default_p": lambda m: m.dist(m.tensor([3.0, 0.0]), m.tensor([0.0, 4.0])),
    "dist_p_inf_method": lambda m: m.tensor([3.0, 0.0]).dist(m.tensor([0.0, 4.0]), float("inf")),
    "adjoint": lambda m: m.adjoint(m.tensor([M, M])),
    "adjoint_of_a_vector_refused": lambda m: m.adjoint(m.tensor([1.0, 2.0])),
    "mH": lambda m: m.tensor([[1.0, 2.0, 3.0]]).mH,
    "H": lambda m: m.tensor([[1.0, 2.0, 3.0]]).H,
    "conj_is_itself": lambda m: (lambda x: x.conj() is x)(m.tensor(M)),
    "resolve_conj_function": lambda m: m.resolve_conj(m.tensor(M)),
    "resolve_neg_method": lambda m: m.tensor([1, 2]).resolve_neg(),
    "is_conj": lambda m: m.tensor(M).is_conj(),
    "is_neg_function": lambda m: m.is_neg(m.tensor(M)),
    "real_property_is_itself": lambda m: (lambda x: x.real is x)(m.tensor(M)),
    "real_function": lambda m: m.real(m.tensor([1, 2])),
    "imag_refused": lambda m: m.imag(m.tensor(M)),
    "imag_property_refused": lambda m: m.tensor(M).imag,
    "isreal": lambda m: m.isreal(m.tensor([1.0, float("nan"), float("inf")])),
    "positive": lambda m: m.positive(m.tensor([-1, 2])),
    "positive_of_bools_refused": lambda m: m.tensor([True]).positive(),
    "is_nonzero": lambda m: m.tensor([0.5]).is_nonzero(),
    "is_nonzero_of_zero": lambda m: m.is_nonzero(m.tensor(0)),
    "is_nonzero_of_two_refused": lambda m: m.tensor([1.0, 2.0]).is_nonzero(),
    "is_nonzero_of_none_refused": lambda m: m.tensor([]).is_nonzero(),
    "is_same_size": lambda m: m.is_same_size(m.ones(2, 3), m.zeros(2, 3)),
    "sum_to_size": lambda m: m.tensor([M, M]).sum_to_size(1, 2),
    "sum_to_size_as_a_tuple": lambda m: m.tensor([M, M]).sum_to_size((2,)),
    "sum_to_size_not_expandable_refused": lambda m: m.tensor(M).sum_to_size(3),
    "split_with_sizes": lambda m: m.split_with_sizes(m.arange(5), [2, 3]),
    "split_with_sizes_method_dim_1": lambda m: m.ones(2, 5).split_with_sizes([4, 1], 1),
    "split_with_sizes_bad_total_refused": lambda m: m.arange(5).split_with_sizes([2, 2]),
    "narrow_copy": lambda m: m.narrow_copy(m.arange(6).reshape(2, 3), 1, 1, 2),
    "byte": lambda m: m.tensor([1.7, 300.0, -1.0]).byte(),
    "char": lambda m: m.tensor([1.7, -3.2]).char(),
    "short": lambda m: m.tensor([1, 70]).short(),
    "ndimension": lambda m: m.ones(2, 3).ndimension(),
    "is_signed_float": lambda m: m.ones(2).is_signed(),
    "is_signed_uint8": lambda m: m.ones(2, dtype=m.uint8).is_signed(),
    "is_cpu": lambda m: m.ones(2).is_cpu,
    "get_device": lambda m: m.ones(2).get_device(),
    "linalg_matrix_rank": lambda m: m.linalg.matrix_rank(m.tensor([[1.0, 2.0], [2.0, 4.0]])),
    "linalg_matrix_rank_batched_atol": lambda m: m.linalg.matrix_rank(
        m.tensor([M, [[1.0, 0.0], [0.0, 1e-3]]]), atol=0.01
    ),
    "linalg_cross_broadcast": lambda m: m.linalg.cross(
        m.tensor([[1.0, 0.0, 0.0]]), m.tensor([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    ),
    "linalg_cross_of_two_refused": lambda m: m.linalg.cross(m.ones(2), m.ones(2)),
    "linalg_cross_ranks_refused": lambda m: m.linalg.cross(m.ones(2, 3), m.ones(3)),
    "linalg_vecdot": lambda m: m.linalg.vecdot(m.tensor(M), m.tensor([1.0, -1.0])),
    "linalg_multi_dot": lambda m: m.linalg.multi_dot(
        [m.tensor([1.0, 2.0]), m.tensor(M), m.tensor(M), m.tensor([1.0, 1.0])]
    ),
    "linalg_multi_dot_of_one_refused": lambda m: m.linalg.multi_dot([m.tensor(M)]),
    "linalg_eigvalsh_upper": lambda m: m.linalg.eigvalsh(m.tensor([[2.0, 1.0], [0.0, 3.0]]), "U"),
    "unfold_windows_write_through": lambda m: (lambda a: (a.unfold(0, 2, 2).fill_(7), a)[1])(
        m.arange(5.0)
    ),
    "unfold_strides": lambda m: m.tensor(m.arange(12.0).reshape(3, 4).unfold(1, 2, 1).stride()),
    "unfold_empty_windows": lambda m: m.arange(7.0).unfold(0, 0, 1),
    "unfold_too_large_refused": lambda m: m.arange(7.0).unfold(0, 8, 1),
    "unfold_step_0_refused": lambda m: m.arange(7.0).unfold(0, 2, 0),
    "unfold_dim_out_of_range_refused": lambda m: m.arange(7.0).unfold(1, 2, 1),
    # torch.special under its names, and its own functions at their edges
    "special_expit": lambda m: m.special.expit(m.tensor([-1.0, 0.0, 2.0])),
    "special_gammaln": lambda m: m.special.gammaln(m.tensor([0.5, 3.0])),
    "special_psi": lambda m: m.special.psi(m.tensor([0.5, 3.0])),
    "special_erfc_erfinv": lambda m: m.special.erfinv(m.special.erfc(m.tensor([0.5, 1.5]))),
    "special_logit_eps": lambda m: m.special.logit(m.tensor([0.0, 0.3, 1.0]), eps=0.01),
    "special_xlogy": lambda m: m.special.xlogy(m.tensor([0.0, 2.0]), m.tensor([0.0, 3.0])),
    "special_round_decimals": lambda m: m.special.round(m.tensor([1.25, 2.35]), decimals=1),
    "special_softmax_dtype": lambda m: m.special.softmax(m.tensor([1, 2, 3]), 0, dtype=m.float64),
    "special_log_softmax": lambda m: m.special.log_softmax(m.tensor([[1.0, 2.0]]), 1),
    "special_logsumexp": lambda m: m.special.logsumexp(m.tensor([[1.0, 2.0]]), 1),
    "special_entr_edges": lambda m: m.special.entr(
        m.tensor([-1.0, 0.0, float("nan"), float("inf")])
    ),
    "special_ndtr_edges": lambda m: m.special.ndtr(m.tensor([-40.0, float("-inf"), float("inf")])),
    "special_log_ndtr_tails": lambda m: m.special.log_ndtr(
        m.tensor([-40.0, -10.0, 10.0, float("-inf"), float("inf")], dtype=m.float64)
    ),
    "special_log_ndtr_float32": lambda m: m.special.log_ndtr(m.tensor([-20.0, -3.0, 0.0, 4.0])),
    "mvlgamma_method": lambda m: m.tensor([2.5, 3.0]).mvlgamma(2),
    "bilinear_batch_mismatch_refused": lambda m: m.nn.functional.bilinear(
        m.ones(2, 3), m.ones(3, 4), m.ones(5, 3, 4)
    ),
    "bilinear_ranks_refused": lambda m: m.nn.functional.bilinear(
        m.ones(2, 3), m.ones(1, 2, 4), m.ones(5, 3, 4)
    ),
    "bilinear_input2_size_refused": lambda m: m.nn.functional.bilinear(
        m.ones(2, 3), m.ones(2, 5), m.ones(5, 3, 4)
    ),
    "bilinear_bias_size_refused": lambda m: m.nn.functional.bilinear(
        m.ones(2, 3), m.ones(2, 4), m.ones(5, 3, 4), m.ones(6)
    ),
    "bilinear_module_repr_and_shapes": lambda m: (
        repr(m.nn.Bilinear(3, 4, 5, bias=False)),
        tuple(m.nn.Bilinear(3, 4, 5).weight.shape),
    ),
    "linalg_pinv_atol": lambda m: m.linalg.pinv(m.tensor([[1.0, 0.0], [0.0, 1e-3]]), atol=0.01),
}


@pytest.mark.parametrize("call", CASES.values(), ids=CASES.keys())
def test_other_names_match_pytorch(call: Callable[[Any], Any]) -> None:
    try:
        expected = call(torch)
    except Exception as error:  # noqa: BLE001 - the message is compared too
        with pytest.raises(type(error)) as got:
            call(cr)
        assert str(got.value).splitlines()[0] == str(error).splitlines()[0]
        return
    if isinstance(expected, bool | int):
        assert call(cr) == expected
        return
    assert_same(call)


# A tie between -0 and 0 (or a bound): PyTorch gives the first operand, or x itself, where
# NumPy's maximum and minimum give the second; the sign shows in 1/x, atan2 and printing.
NEGATIVE_ZERO: dict[str, Callable[[Any, Any, Any], Any]] = {
    "maximum_first_negative": lambda m, n, p: m.maximum(n, p),
    "maximum_first_positive": lambda m, n, p: m.maximum(p, n),
    "minimum_first_negative": lambda m, n, p: m.minimum(n, p),
    "minimum_first_positive": lambda m, n, p: m.minimum(p, n),
    "clamp_below_at_zero": lambda m, n, p: m.clamp(n, min=0.0),
    "clamp_above_at_negative_zero": lambda m, n, p: m.clamp(p, max=-0.0),
    "clamp_min_method": lambda m, n, p: n.clamp_min(0.0),
    "clamp_tensor_bound": lambda m, n, p: m.clamp(n, min=p),
    "clamp_tensor_bound_negative": lambda m, n, p: m.clamp(p, min=n),
    "elu": lambda m, n, p: m.nn.functional.elu(n),
    "hardtanh": lambda m, n, p: m.nn.functional.hardtanh(n),
}


@pytest.mark.parametrize("call", NEGATIVE_ZERO.values(), ids=NEGATIVE_ZERO.keys())
def test_signed_zero_ties_match_pytorch(call: Callable[[Any, Any, Any], Any]) -> None:
    signs = []
    for m in (torch, cr):
        out = call(m, m.tensor([-0.0, -0.0]), m.tensor([0.0, 0.0]))
        signs.append(np.signbit(np.asarray(out.detach().numpy())).tolist())
    assert signs[1] == signs[0]


def test_linspace_and_logspace_place_values_as_pytorch() -> None:
    """PyTorch's kernel steps up from start to the middle and down from end after it; its
    vector lanes round each chunk from the chunk's first value, and which values a chunk
    covers depends on the CPU's vector width. So floats agree within two ulps of the range,
    and integers (start and end cut to integers first, the step in float64, the values
    truncated; logspace's one value from the uncut start) within one unit, where a value
    computed from either end lies on an integer boundary; most agree exactly."""
    rng = np.random.default_rng(7)
    exact = total = 0
    for _ in range(300):
        a, b = (rng.standard_normal(2) * 10.0 ** rng.integers(-3, 4, 2)).tolist()
        steps = int(rng.integers(0, 40))
        base = float(rng.choice([10.0, 2.0, np.e, 0.5]))
        for name, args in (
            ("linspace", (a, b, steps)),
            ("logspace", (a / 50, b / 50, steps, base)),
        ):
            for dtype in ("float32", "float64", "int64", "int32"):
                expected = getattr(torch, name)(*args, dtype=getattr(torch, dtype)).numpy()
                got = getattr(cr, name)(*args, dtype=getattr(cr, dtype)).numpy()
                assert got.dtype == expected.dtype and got.shape == expected.shape
                if dtype.startswith("int"):
                    np.testing.assert_allclose(got, expected, rtol=0, atol=1)
                    exact += np.array_equal(got, expected)
                    total += 1
                elif name == "linspace":
                    ulp = np.finfo(dtype).eps * max(np.abs(expected).max(initial=0), 1e-30)
                    np.testing.assert_allclose(got, expected, rtol=0, atol=2 * ulp)
                else:  # an exponent's ulps, times log(base) and the exponent, plus pow's own
                    span = abs(np.log(base)) * max(abs(a), abs(b)) / 50
                    rtol = 4 * np.finfo(dtype).eps * (1 + span)
                    np.testing.assert_allclose(got, expected, rtol=rtol, atol=0)
    assert exact > 0.95 * total
    with pytest.raises(RuntimeError, match="number of steps must be non-negative"):
        cr.linspace(0, 1, -1)
