"""Differences a fuzz run of ``torch.linalg`` and ``torch.special`` found: each call runs on
torch and on chainrule, and the values (nan where nan), dtypes and shapes agree, or both raise
the same exception type with the same first line; the gradient rows compare float64 gradients
the same way. Decompositions are compared by gauge-invariant quantities (singular values,
reconstructions, norms of blocks).

The SVD rows on inf input ran forever before (LAPACK's ``gesdd`` loops on an inf, holding the
GIL): they run in child processes with a time limit, so a regression fails instead of hanging.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr

INF, NAN = np.inf, np.nan
SECONDS = 120  # a generous limit: each child takes a few seconds


def _with(value: float, at: tuple[int, ...] = (1, 0), n: int = 3) -> np.ndarray:
    a = np.eye(n)
    a[at] = value
    return a


def _batch_with(value: float) -> np.ndarray:
    """Two matrices, the second holding ``value``."""
    return np.stack([np.eye(3) * 2, _with(value)])


SINGULAR = np.array([[1.0, 2.0], [2.0, 4.0]])
NEGATIVE_DET = np.array([[1.0, 2.0], [3.0, 4.0]])
WIDE = np.array([[0.2, 1.2, 2.4], [0.9, 1.3, -0.6]])
TALL = np.array([[2.0, 1.0], [1.0, 3.0], [0.5, -1.0]])
ROW_NAN = np.array([[0.61, NAN, -1.16]])
ROWS = np.array([[-1.63, 1.33, -0.92], [-0.67, -0.73, -0.52]])


def _t(lib: Any, a: Any, **kwargs: Any) -> Any:
    return lib.tensor(np.asarray(a), **kwargs)


VALUES: dict[str, Callable[[Any], Any]] = {
    # SVD-based functions of a matrix with a nan: PyTorch's LinAlgError
    "svd_nan": lambda m: m.linalg.svd(_t(m, _with(NAN))),
    "svdvals_nan_batch": lambda m: m.linalg.svdvals(_t(m, _batch_with(NAN))),
    "pinv_nan": lambda m: m.linalg.pinv(_t(m, _with(NAN))),
    "matrix_rank_nan": lambda m: m.linalg.matrix_rank(_t(m, _with(NAN))),
    "cond_nan": lambda m: m.linalg.cond(_t(m, _with(NAN))),
    # a solve with a vector right-hand side keeps its shape where A is singular
    "solve_ex_singular_vector": lambda m: tuple(
        m.linalg.solve_ex(_t(m, np.zeros((2, 2))), _t(m, [1.0, 2.0]))[0].shape
    ),
    "solve_ex_batch_singular_vectors": lambda m: tuple(
        m.linalg.solve_ex(_t(m, [np.zeros((2, 2)), np.eye(2)]), _t(m, [1.0, 2.0]))[0].shape
    ),
    "solve_ex_batch_singular_vectors_value": lambda m: m.linalg.solve_ex(
        _t(m, [np.zeros((2, 2)), np.eye(2)]), _t(m, [[1.0, 2.0], [3.0, 4.0]])
    )[0][1],
    # a nan in A: nan throughout, not a row solved around it
    "inv_nan": lambda m: m.isnan(
        m.linalg.inv(_t(m, [[NAN, -2.03, -0.78], [0.97, 0.34, 0.28], [-0.38, -0.67, -1.66]]))
    ),
    "solve_nan": lambda m: m.isnan(m.linalg.solve(_t(m, _with(NAN, (0, 0))), _t(m, np.ones(3)))),
    # a count of differing coordinates: nan for a nan (vector_norm counts it)
    "cdist_p0_nan": lambda m: m.cdist(_t(m, ROW_NAN), _t(m, ROWS), p=0.0),
    # alpha = 0: addmm, addmv, addbmm leave the product out (its inf and nan too)
    "addmm_alpha0": lambda m: m.addmm(
        _t(m, np.ones((2, 2))), _t(m, np.ones((2, 3))), _t(m, np.full((3, 2), INF)), alpha=0
    ),
    "addmv_alpha0": lambda m: m.addmv(
        _t(m, np.ones(2)), _t(m, np.ones((2, 3))), _t(m, np.full(3, INF)), alpha=0
    ),
    "addbmm_alpha0": lambda m: m.addbmm(
        _t(m, np.ones((2, 2))), _t(m, np.ones((1, 2, 3))), _t(m, np.full((1, 3, 2), NAN)), alpha=0
    ),
    # integers: the default float dtype
    "ndtr_int": lambda m: m.special.ndtr(_t(m, [1, -2, 0])),
    "log_ndtr_int": lambda m: m.special.log_ndtr(_t(m, [1, -2, 0])),
    "entr_int": lambda m: m.special.entr(_t(m, [1, 2, 0, -1])),
    "entr_bool": lambda m: m.special.entr(_t(m, [True, False])),
    # norm(p='nuc') is matrix_norm's
    "norm_nuc": lambda m: m.norm(_t(m, [[1.0, 2.0], [3.0, -1.0]]), p="nuc"),
    "norm_nuc_keepdim": lambda m: m.norm(_t(m, [[1.0, 2.0], [3.0, -1.0]]), p="nuc", keepdim=True),
    "norm_nuc_dims": lambda m: m.norm(_t(m, np.ones((2, 2, 3))), p="nuc", dim=(0, 2)),
    "norm_nuc_vector": lambda m: m.norm(_t(m, [1.0, 2.0]), p="nuc"),
    "norm_nuc_3d": lambda m: m.norm(_t(m, np.ones((2, 2, 2))), p="nuc"),
    "norm_nuc_one_dim": lambda m: m.norm(_t(m, np.ones((2, 2, 2))), p="nuc", dim=1),
    "norm_unknown_order": lambda m: m.norm(_t(m, np.ones((2, 2))), p="abc"),
    # einsum promotes where it multiplies, refuses two dtypes where it contracts
    "einsum_outer_float_int": lambda m: m.einsum("i,j->ij", _t(m, [1.5, 2.0]), _t(m, [1, -3])),
    "einsum_outer_int_float": lambda m: m.einsum("i,j->ij", _t(m, [1, -3]), _t(m, [1.5, 2.0])),
    "einsum_product_float32_float64": lambda m: m.einsum(
        "i,i->i", _t(m, np.ones(2, np.float32)), _t(m, [1.5, 2.0])
    ),
    "einsum_outer_float32_int": lambda m: m.einsum(
        "i,j->ij", _t(m, np.ones(2, np.float32)), _t(m, [1, 2])
    ),
    "einsum_three_outer": lambda m: m.einsum(
        "i,j,k->ijk", _t(m, [1.5, 2.0]), _t(m, [1, 2]), _t(m, [3, 4])
    ),
    # values of decompositions whose derivatives PyTorch refuses only when asked for
    "qr_mode_r_requires_grad": lambda m: m.linalg.qr(_t(m, TALL, requires_grad=True), "r")[1],
    "qr_complete_tall_requires_grad": lambda m: m.linalg.qr(
        _t(m, TALL, requires_grad=True), "complete"
    )[1],
    "svd_full_wide_requires_grad": lambda m: m.linalg.svd(_t(m, WIDE, requires_grad=True)).S,
    "svd_full_tall_requires_grad_shapes": lambda m: [
        tuple(x.shape) for x in m.linalg.svd(_t(m, TALL, requires_grad=True))
    ],
    # float32 with float64 is refused where PyTorch's kernels take one dtype
    "solve_two_dtypes": lambda m: m.linalg.solve(
        _t(m, np.eye(2, dtype=np.float32)), _t(m, [1.0, 2.0])
    ),
    "solve_ex_two_dtypes": lambda m: m.linalg.solve_ex(
        _t(m, np.eye(2, dtype=np.float32)), _t(m, [1.0, 2.0])
    ),
    "vecdot_two_dtypes": lambda m: m.linalg.vecdot(
        _t(m, np.ones(3, np.float32)), _t(m, np.ones(3))
    ),
    "cross_two_dtypes": lambda m: m.cross(_t(m, np.ones(3, np.float32)), _t(m, np.ones(3)), dim=0),
    "linalg_cross_two_dtypes": lambda m: m.linalg.cross(
        _t(m, np.ones(3, np.float32)), _t(m, np.ones(3))
    ),
    "cdist_two_dtypes": lambda m: m.cdist(_t(m, np.ones((2, 3), np.float32)), _t(m, ROWS)),
    "cdist_integers": lambda m: m.cdist(_t(m, np.ones((2, 3), np.int64)), _t(m, ROWS)),
    "eigh_integers": lambda m: m.linalg.eigh(_t(m, np.ones((2, 2), np.int64))),
    "eigvalsh_integers": lambda m: m.linalg.eigvalsh(_t(m, np.ones((2, 2), np.int64))),
    # the older keywords: tol (atol with rtol 0), rcond (rtol)
    "matrix_rank_tol": lambda m: m.linalg.matrix_rank(_t(m, np.diag([1.0, 1e-17])), tol=1e-20),
    "matrix_rank_tol_by_position": lambda m: m.linalg.matrix_rank(
        _t(m, np.diag([1.0, 1e-17])), 1e-20
    ),
    "pinv_rcond": lambda m: m.linalg.pinv(_t(m, np.diag([1.0, 1e-3])), rcond=1e-2),
    "pinv_rcond_by_position": lambda m: m.linalg.pinv(_t(m, np.diag([1.0, 1e-3])), 1e-4),
    # a nan: sign 0 and a nan log, wherever it is
    "slogdet_nan_first": lambda m: m.linalg.slogdet(_t(m, [[NAN, 1.0], [1.0, 1.0]])),
    "slogdet_nan_below": lambda m: m.linalg.slogdet(_t(m, [[1.0, 1.0], [NAN, 1.0]])),
    "logdet_nan": lambda m: m.logdet(_t(m, [[NAN, 1.0], [1.0, 1.0]])),
}


def _gradient(loss: Callable[[Any, Any], Any], a: np.ndarray) -> Callable[[Any], Any]:
    """The gradient of ``loss(lib, A)`` at ``a`` (float64)."""

    def run(m: Any) -> Any:
        x = _t(m, a, requires_grad=True)
        loss(m, x).backward()
        return x.grad

    return run


def _weights(m: Any, shape: Any) -> Any:
    return m.tensor(np.arange(int(np.prod(shape)), dtype=np.float64).reshape(tuple(shape)) - 2)


def _pinv_loss(**kwargs: Any) -> Callable[[Any, Any], Any]:
    def loss(m: Any, x: Any) -> Any:
        p = m.linalg.pinv(x, **kwargs)
        return (p * _weights(m, p.shape)).sum()

    return loss


def _svd_full_loss(m: Any, x: Any) -> Any:
    """The reconstruction (gauge-invariant) and the squared norm of U's extra columns (their
    gradient is dropped)."""
    u, s, vh = m.linalg.svd(x)
    k = s.shape[-1]
    rebuilt = (u[..., :k] * s.unsqueeze(-2)) @ vh[..., :k, :]
    return (rebuilt * _weights(m, rebuilt.shape)).sum() + (u[..., k:] ** 2).sum() + (s**2).sum()


def _lu_loss(name: str) -> Callable[[Any, Any], Any]:
    def loss(m: Any, x: Any) -> Any:
        out = getattr(m.linalg, name)(x)
        parts = out[1:] if name == "lu" else out[:1]
        return sum(((p * _weights(m, p.shape)).sum() for p in parts), x.sum() * 0)

    return loss


GRADIENTS: dict[str, Callable[[Any], Any]] = {
    # pinv's rule reads pinv(A): 0 where every singular value is cut off, finite where they
    # repeat (the SVD's rule divided by their gaps)
    "pinv_zero_square": _gradient(_pinv_loss(), np.zeros((3, 3))),
    "pinv_zero_row_tolerances": _gradient(_pinv_loss(atol=0.1, rtol=0.2), np.zeros((1, 4))),
    "pinv_identity": _gradient(_pinv_loss(), np.eye(3)),
    "logdet_negative": _gradient(lambda m, x: m.logdet(x), NEGATIVE_DET),
    "lu_factor_ex_singular": _gradient(_lu_loss("lu_factor_ex"), SINGULAR),
    "lu_singular": _gradient(_lu_loss("lu"), SINGULAR),
    "lu_singular_batch": _gradient(_lu_loss("lu"), np.stack([SINGULAR, np.eye(2) + 1])),
    "svd_full_tall": _gradient(_svd_full_loss, TALL),
    "svd_full_wide": _gradient(_svd_full_loss, WIDE),
    "einsum_mixed": _gradient(
        lambda m, x: m.einsum("i,j->ij", x, m.tensor([1, -3])).sum(), [1.5, 2.0]
    ),
}


# SVD-based functions of a matrix with an inf: nan, LAPACK not asked (its gesdd looped forever
# there, holding the GIL): each runs in a child process that must answer within SECONDS.
INF_MATRICES: dict[str, str] = {
    "svd_inf": "m.linalg.svd(m.tensor(a)).S",
    "svdvals_inf": "m.linalg.svdvals(m.tensor(a))",
    "svdvals_inf_batch": "m.linalg.svdvals(m.tensor(batch))",
    "svd_legacy_inf": "m.svd(m.tensor(a)).S",
    "pinv_inf": "m.linalg.pinv(m.tensor(a))",
    "pinv_inf_batch": "m.linalg.pinv(m.tensor(batch))",
    "matrix_norm_2_inf": "m.linalg.matrix_norm(m.tensor(a), 2)",
    "matrix_norm_nuc_inf": "m.linalg.matrix_norm(m.tensor(a), 'nuc')",
    "matrix_norm_minus_2_inf": "m.linalg.matrix_norm(m.tensor(a), -2)",
    "cond_inf": "m.linalg.cond(m.tensor(a))",
}
CHILD = """
import json, sys
import numpy as np
m = __import__(sys.argv[1])
a = np.eye(3)
a[1, 0] = -np.inf
batch = np.stack([np.eye(3) * 2, a])
try:
    out = eval(sys.argv[2])
    answer = ["value", str(out.dtype).split(".")[-1], list(out.shape), np.asarray(out).tolist()]
except Exception as error:
    answer = ["error", type(error).__name__.lstrip("_"), str(error).splitlines()[0]]
print(json.dumps(answer))
"""


def _in_child(library: str, expression: str) -> list[Any]:
    try:
        done = subprocess.run(
            [sys.executable, "-c", CHILD, library, expression],
            capture_output=True,
            text=True,
            timeout=SECONDS,
            check=True,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{library}: no result after {SECONDS} s (a LAPACK call that never returns?)")
    return json.loads(done.stdout.splitlines()[-1])


@pytest.mark.parametrize("expression", INF_MATRICES.values(), ids=INF_MATRICES.keys())
def test_svd_of_an_inf_matches_torch_and_returns(expression: str) -> None:
    expected, got = _in_child("torch", expression), _in_child("chainrule", expression)
    assert got[:3] == expected[:3]
    if expected[0] == "value":
        np.testing.assert_array_equal(np.array(got[3]), np.array(expected[3]))


@pytest.mark.parametrize("driver", ["gelsy", "gelsd", "gelss"])
def test_lstsq_of_a_matrix_with_an_inf_returns_nan(driver: str) -> None:
    """PyTorch's drivers answer junk here (zeros, a rank of 1, or MKL's illegal-argument
    assert); chainrule's pseudo-inverse gives nan, and returns."""
    solve = f"m.linalg.lstsq(m.tensor(a), m.ones(3, 1, dtype=m.float64), driver={driver!r})"
    kind, _, _, solution = _in_child("chainrule", f"{solve}.solution")
    assert kind == "value" and np.isnan(solution).all()


def _same(expected: Any, got: Any) -> None:
    if isinstance(expected, list | tuple):
        assert isinstance(got, list | tuple) and len(got) == len(expected), (expected, got)
        for e, g in zip(expected, got, strict=True):
            _same(e, g)
        return
    if not isinstance(expected, torch.Tensor):
        assert got == expected
        return
    assert str(got.dtype).split(".")[-1] == str(expected.dtype).split(".")[-1]
    assert tuple(got.shape) == tuple(expected.shape)
    rtol = 1e-6 if expected.dtype == torch.float32 else 1e-7
    np.testing.assert_allclose(
        np.asarray(got.detach()), expected.detach().numpy(), rtol=rtol, atol=1e-10, equal_nan=True
    )


def _outcome(call: Callable[[Any], Any], library: Any) -> tuple[str, Any]:
    try:
        return "value", call(library)
    except Exception as error:  # noqa: BLE001 - compared below
        return "error", error


def _compare(call: Callable[[Any], Any]) -> None:
    (kind, expected), (got_kind, got) = _outcome(call, torch), _outcome(call, cr)
    if kind == "error":
        assert got_kind == "error", f"torch raised {expected!r}, chainrule gave {got}"
        # torch's LinAlgError is torch._C._LinAlgError
        assert type(got).__name__.lstrip("_") == type(expected).__name__.lstrip("_")
        assert str(got).splitlines()[0] == str(expected).splitlines()[0]
        return
    assert got_kind == "value", f"chainrule raised {got!r}; torch gave {expected}"
    _same(expected, got)


@pytest.mark.parametrize("call", VALUES.values(), ids=VALUES.keys())
def test_values_match_torch(call: Callable[[Any], Any]) -> None:
    _compare(call)


@pytest.mark.parametrize("call", GRADIENTS.values(), ids=GRADIENTS.keys())
def test_gradients_match_torch(call: Callable[[Any], Any]) -> None:
    _compare(call)
