"""The rest of ``torch.linalg`` and its older top-level names and methods against PyTorch:
values, dtypes, shapes and result names of each snippet run on both libraries, and errors by
exception type and message.

The gradients (first and second order, forward and reverse, under vmap) are the op-table rows
of ``tests/op_table_linalg_more.py``; here are the outputs without gradient (pivots, ``info``,
ranks, permutations), the options and the edge cases.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr

RNG = np.random.default_rng(21)
SQUARE = RNG.uniform(-1, 1, (3, 3)) + 3 * np.eye(3)
BATCH = RNG.uniform(-1, 1, (2, 3, 3)) + 3 * np.eye(3)
TALL = RNG.uniform(-1, 1, (4, 3))
WIDE = RNG.uniform(-1, 1, (3, 5))
RHS = RNG.uniform(-1, 1, (3, 2))
SPD = SQUARE @ SQUARE.T + np.eye(3)
SINGULAR = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])
NOT_PD = np.array([[4.0, 2.0, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
SYMMETRIC = RNG.normal(size=(2, 5, 5))
SYMMETRIC = SYMMETRIC + np.swapaxes(SYMMETRIC, -1, -2)
SYMMETRIC[:, 0, 0] = 0.0
RHS5 = RNG.uniform(-1, 1, (5, 2))
VECTOR = np.ones(3)
SAMPLES = RNG.normal(size=50)
SAMPLES_2D = RNG.normal(size=(5, 6)).astype(np.float32)
WEIGHTS = RNG.uniform(size=50)
POINTS = RNG.normal(size=(2, 20, 3))


def t(lib: Any, a: np.ndarray) -> Any:
    return lib.tensor(a)


def _lu_solve(lib: Any, left: bool, adjoint: bool) -> Any:
    factors, pivots = lib.linalg.lu_factor(t(lib, SQUARE))
    b = RHS if left else RHS.T
    return lib.linalg.lu_solve(factors, pivots, t(lib, b), left=left, adjoint=adjoint)


def _householder(lib: Any, a: np.ndarray) -> Any:
    h, tau = lib.geqrf(t(lib, a))
    return lib.linalg.householder_product(h, tau), h.orgqr(tau)


CASES: dict[str, Callable[[Any], Any]] = {
    # triangular and Cholesky solves
    "solve_triangular_lower": lambda lib: lib.linalg.solve_triangular(
        t(lib, SQUARE), t(lib, RHS), upper=False
    ),
    "solve_triangular_upper_unit_right": lambda lib: lib.linalg.solve_triangular(
        t(lib, SQUARE), t(lib, RHS.T), upper=True, left=False, unitriangular=True
    ),
    "solve_triangular_broadcasts": lambda lib: lib.linalg.solve_triangular(
        t(lib, BATCH), t(lib, RHS), upper=True
    ),
    "triangular_solve": lambda lib: lib.triangular_solve(t(lib, RHS), t(lib, SQUARE)),
    "triangular_solve_method_transpose": lambda lib: t(lib, RHS).triangular_solve(
        t(lib, SQUARE), upper=False, transpose=True, unitriangular=True
    ),
    "cholesky_solve": lambda lib: lib.cholesky_solve(t(lib, RHS), lib.linalg.cholesky(t(lib, SPD))),
    "cholesky_solve_upper_method": lambda lib: t(lib, RHS).cholesky_solve(
        lib.linalg.cholesky(t(lib, SPD), upper=True), upper=True
    ),
    "cholesky_solve_broadcasts": lambda lib: lib.cholesky_solve(
        t(lib, np.stack([RHS] * 3)[:, None]), lib.linalg.cholesky(t(lib, np.stack([SPD, 2 * SPD])))
    ),
    "cholesky_inverse": lambda lib: lib.cholesky_inverse(lib.linalg.cholesky(t(lib, SPD))),
    "cholesky_inverse_upper_method": lambda lib: lib.linalg.cholesky(
        t(lib, SPD), upper=True
    ).cholesky_inverse(upper=True),
    "cholesky_legacy_method": lambda lib: t(lib, SPD).cholesky(),
    # LU
    "lu_square": lambda lib: lib.linalg.lu(t(lib, SQUARE)),
    "lu_tall": lambda lib: lib.linalg.lu(t(lib, TALL)),
    "lu_wide_batch": lambda lib: lib.linalg.lu(t(lib, np.stack([WIDE, -WIDE]))),
    "lu_factor": lambda lib: lib.linalg.lu_factor(t(lib, TALL)),
    "lu_factor_ex_singular": lambda lib: lib.linalg.lu_factor_ex(t(lib, SINGULAR)),
    "lu_factor_ex_zeros": lambda lib: lib.linalg.lu_factor_ex(t(lib, np.zeros((2, 3, 3)))),
    "lu_unpack": lambda lib: lib.lu_unpack(*lib.linalg.lu_factor(t(lib, WIDE))),
    "lu_unpack_pivots_only": lambda lib: lib.lu_unpack(
        *lib.linalg.lu_factor(t(lib, TALL)), unpack_data=False
    )[0],
    "lu_solve": lambda lib: _lu_solve(lib, True, False),
    "lu_solve_adjoint": lambda lib: _lu_solve(lib, True, True),
    "lu_solve_right": lambda lib: _lu_solve(lib, False, False),
    "lu_solve_right_adjoint": lambda lib: _lu_solve(lib, False, True),
    "lu_solve_batch_broadcasts": lambda lib: lib.linalg.lu_solve(
        *lib.linalg.lu_factor(t(lib, BATCH)), t(lib, np.stack([RHS] * 3)[:, None])
    ),
    "lu_solve_right_batch": lambda lib: lib.linalg.lu_solve(
        *lib.linalg.lu_factor(t(lib, BATCH)), t(lib, RHS.T), left=False
    ),
    "lu_empty": lambda lib: lib.linalg.lu(t(lib, np.zeros((2, 0, 0)))),
    "lu_legacy_infos": lambda lib: lib.lu(t(lib, BATCH), get_infos=True),
    "lu_legacy_method": lambda lib: t(lib, SQUARE).lu(),
    "lu_legacy_singular_does_not_raise": lambda lib: lib.lu(t(lib, SINGULAR)),
    "lu_solve_legacy": lambda lib: t(lib, RHS).lu_solve(*lib.lu(t(lib, SQUARE))),
    # the *_ex variants
    "inv_ex": lambda lib: lib.linalg.inv_ex(t(lib, BATCH)),
    "inv_ex_info": lambda lib: lib.linalg.inv_ex(t(lib, np.stack([SQUARE, SINGULAR]))).info,
    "solve_ex": lambda lib: lib.linalg.solve_ex(t(lib, SQUARE), t(lib, RHS)),
    "solve_ex_right": lambda lib: lib.linalg.solve_ex(
        t(lib, BATCH), t(lib, np.stack([RHS.T] * 2)), left=False
    ),
    "solve_ex_info": lambda lib: lib.linalg.solve_ex(t(lib, SINGULAR), t(lib, RHS)).info,
    "cholesky_ex": lambda lib: lib.linalg.cholesky_ex(t(lib, SPD), upper=True),
    "cholesky_ex_info": lambda lib: (
        lib.linalg.cholesky_ex(t(lib, np.stack([SPD, NOT_PD, -SPD]))).info
    ),
    # LDL (Bunch-Kaufman: a zero corner forces a 2 x 2 block)
    "ldl_factor": lambda lib: lib.linalg.ldl_factor(t(lib, SPD)),
    "ldl_factor_ex_blocks": lambda lib: lib.linalg.ldl_factor_ex(t(lib, SYMMETRIC)),
    "ldl_factor_ex_zeros": lambda lib: lib.linalg.ldl_factor_ex(t(lib, np.zeros((2, 3, 3)))),
    "ldl_solve": lambda lib: lib.linalg.ldl_solve(
        *lib.linalg.ldl_factor(t(lib, SYMMETRIC), hermitian=True), t(lib, RHS5)
    ),
    # least squares
    "lstsq_tall": lambda lib: lib.linalg.lstsq(t(lib, TALL), t(lib, TALL[:, :2])),
    "lstsq_vector": lambda lib: lib.linalg.lstsq(t(lib, TALL), t(lib, TALL[:, 0])),
    "lstsq_gelsd": lambda lib: lib.linalg.lstsq(t(lib, TALL), t(lib, TALL[:, :2]), driver="gelsd"),
    "lstsq_gelss_wide": lambda lib: lib.linalg.lstsq(t(lib, WIDE), t(lib, RHS), driver="gelss"),
    "lstsq_broadcasts": lambda lib: lib.linalg.lstsq(
        t(lib, np.stack([TALL, 2 * TALL])), t(lib, TALL[None, :, :2])
    ),
    "lstsq_gels": lambda lib: lib.linalg.lstsq(t(lib, TALL), t(lib, TALL[:, :2]), driver="gels"),
    "lstsq_rank_deficient": lambda lib: lib.linalg.lstsq(t(lib, SINGULAR), t(lib, RHS)),
    # matrix functions
    "matrix_exp": lambda lib: lib.linalg.matrix_exp(t(lib, BATCH)),
    "matrix_exp_large": lambda lib: lib.matrix_exp(t(lib, 10 * SQUARE)),
    "matrix_exp_float32_method": lambda lib: t(lib, SQUARE.astype(np.float32)).matrix_exp(),
    "matrix_exp_empty": lambda lib: lib.linalg.matrix_exp(t(lib, np.zeros((0, 0)))),
    "cond": lambda lib: lib.linalg.cond(t(lib, TALL)),
    "cond_singular": lambda lib: tuple(
        lib.linalg.cond(t(lib, np.stack([SINGULAR, SQUARE])), p) for p in ("fro", 1, float("inf"))
    ),
    "cond_orders": lambda lib: tuple(
        lib.linalg.cond(t(lib, BATCH), p) for p in (-2, 1, -1, "fro", "nuc", float("inf"))
    ),
    # Householder
    "geqrf": lambda lib: lib.geqrf(t(lib, TALL)),
    "geqrf_method_wide": lambda lib: t(lib, WIDE).geqrf(),
    "householder_product": lambda lib: _householder(lib, TALL),
    "householder_product_batch": lambda lib: _householder(lib, BATCH),
    "ormqr": lambda lib: tuple(
        lib.ormqr(*lib.geqrf(t(lib, TALL)), t(lib, c), left=left, transpose=tr)
        for left, tr, c in (
            (True, False, TALL),
            (True, True, TALL),
            (False, False, TALL.T),
            (False, True, TALL.T),
        )
    ),
    "ormqr_method": lambda lib: t(lib, TALL).ormqr(lib.geqrf(t(lib, TALL)).tau, t(lib, TALL)),
    # tensor shapes, vander, diagonal, matmul
    "tensorinv": lambda lib: lib.linalg.tensorinv(t(lib, SQUARE.reshape(3, 3, 1)), 1),
    "tensorinv_ind_2": lambda lib: lib.linalg.tensorinv(
        t(lib, np.kron(SQUARE[:2, :2], SQUARE[:2, :2]).reshape(2, 2, 2, 2))
    ),
    "tensorsolve": lambda lib: lib.linalg.tensorsolve(
        t(lib, np.kron(SQUARE, SQUARE[:2, :2]).reshape(6, 3, 2)), t(lib, np.arange(6.0))
    ),
    "tensorsolve_dims": lambda lib: lib.linalg.tensorsolve(
        t(lib, np.kron(SQUARE, SQUARE[:2, :2]).reshape(3, 2, 6)),
        t(lib, np.arange(6.0)),
        dims=(0, 1),
    ),
    "vander": lambda lib: lib.linalg.vander(t(lib, np.array([[0.0, 2.0, -1.5], [1, 3, 4]]))),
    "vander_n_int": lambda lib: lib.linalg.vander(lib.tensor([1, 2, 3]), N=5),
    "diagonal": lambda lib: lib.linalg.diagonal(t(lib, BATCH), offset=1),
    "diagonal_dims": lambda lib: lib.linalg.diagonal(t(lib, BATCH), dim1=0, dim2=2),
    "matmul": lambda lib: lib.linalg.matmul(t(lib, BATCH), t(lib, RHS)),
    # older top-level names
    "qr_some": lambda lib: lib.qr(t(lib, TALL)),
    "qr_complete_method": lambda lib: t(lib, WIDE).qr(some=False),
    "svd_values": lambda lib: lib.svd(t(lib, TALL)).S,
    "svd_reconstructs": lambda lib: (lambda u, s, v: u @ lib.diag(s) @ v.mT)(
        *lib.svd(t(lib, TALL))
    ),
    "svd_no_uv": lambda lib: t(lib, TALL).svd(compute_uv=False),
    "svd_full_shapes": lambda lib: tuple(
        lib.tensor(list(x.shape)) for x in lib.svd(t(lib, TALL), some=False)
    ),
    "chain_matmul": lambda lib: lib.chain_matmul(t(lib, TALL), t(lib, SQUARE), t(lib, RHS)),
    "chain_matmul_one": lambda lib: lib.chain_matmul(t(lib, TALL)),
    "frobenius_norm": lambda lib: lib.frobenius_norm(t(lib, BATCH), (1, 2), keepdim=True),
    "nuclear_norm": lambda lib: lib.nuclear_norm(t(lib, TALL)),
    "nuclear_norm_dims": lambda lib: lib.nuclear_norm(t(lib, BATCH), (0, 2), True),
    # finite differences
    "gradient": lambda lib: lib.gradient(t(lib, BATCH)),
    "gradient_int_dim": lambda lib: lib.gradient(lib.arange(12).reshape(3, 4), dim=1),
    "gradient_spacing_dims": lambda lib: lib.gradient(
        t(lib, TALL), spacing=[0.5, 2.0], dim=(1, 0), edge_order=2
    ),
    "gradient_coordinates": lambda lib: lib.gradient(
        t(lib, TALL), spacing=(t(lib, np.array([0.0, 1.0, 1.5, 4.0])),), dim=0
    ),
    "gradient_coordinates_edge_order_2": lambda lib: lib.gradient(
        t(lib, TALL), spacing=(t(lib, np.array([0.0, 1.0, 1.5])),), dim=-1, edge_order=2
    ),
    # histograms
    "histogram": lambda lib: lib.histogram(t(lib, SAMPLES), 7),
    "histogram_float32_range": lambda lib: lib.histogram(t(lib, SAMPLES_2D), 4, range=(-1.0, 1.5)),
    "histogram_edges_weight_density": lambda lib: t(lib, SAMPLES[:30]).histogram(
        t(lib, np.array([-2.0, -0.5, 0.0, 0.25, 3.0])),
        weight=t(lib, WEIGHTS[:30]),
        density=True,
    ),
    "histogram_one_value": lambda lib: lib.histogram(t(lib, np.ones(4)), 2),
    "histogram_empty": lambda lib: lib.histogram(t(lib, np.zeros(0)), 3),
    "histogram_edge_values": lambda lib: lib.histogram(
        t(lib, np.array([0.0, 1.0, 2.0, 3.0, -1.0, 4.0])), 3, range=(0.0, 3.0)
    ),
    "histogramdd": lambda lib: lib.histogramdd(t(lib, POINTS[0, :, :2]), bins=[3, 4]),
    "histogramdd_range_weight": lambda lib: lib.histogramdd(
        t(lib, POINTS),
        bins=2,
        range=[-1.0, 1.0, -2.0, 0.0, 0.0, 2.0],
        weight=t(lib, WEIGHTS[:40].reshape(2, 20)),
    ),
    "histogramdd_edges_density": lambda lib: lib.histogramdd(
        t(lib, POINTS[1, :, 1:]),
        bins=[t(lib, np.array([-1.0, 0.0, 2.0])), t(lib, np.array([-3.0, 0.0, 0.5, 1.0]))],
        density=True,
    ),
}

# Outputs defined up to sign (Householder vectors, singular vectors) are compared through
# products that are not: only the values above.


def _flat(result: Any) -> list[Any]:
    if isinstance(result, tuple | list):
        return [x for item in result for x in _flat(item)]
    return [result]


def _names(result: Any) -> Any:
    return getattr(result, "_fields", None)


@pytest.mark.parametrize("name", list(CASES))
def test_values_match_torch(name: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours, theirs = CASES[name](cr), CASES[name](torch)
    if _names(theirs) is not None:
        assert _names(ours) == _names(theirs), name
    ours, theirs = _flat(ours), _flat(theirs)
    assert len(ours) == len(theirs), name
    for a, b in zip(ours, theirs, strict=True):
        if isinstance(b, torch.Size):
            assert tuple(a) == tuple(b), name
            continue
        assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1], name
        assert tuple(a.shape) == tuple(b.shape), name
        tolerance = 1e-10 if a.dtype != cr.float32 else 1e-5  # PyTorch's float32 rounds more
        np.testing.assert_allclose(
            a.numpy(), b.numpy(), rtol=tolerance, atol=tolerance, err_msg=name
        )


ERRORS: dict[str, Callable[[Any], Any]] = {
    "solve_triangular_needs_upper": lambda lib: lib.linalg.solve_triangular(
        t(lib, SQUARE), t(lib, RHS)
    ),
    "solve_triangular_shapes": lambda lib: lib.linalg.solve_triangular(
        t(lib, SQUARE), t(lib, RHS), upper=True, left=False
    ),
    "solve_triangular_vector": lambda lib: lib.linalg.solve_triangular(
        t(lib, SQUARE), t(lib, RHS[:, 0]), upper=True
    ),
    "solve_triangular_not_square": lambda lib: lib.linalg.solve_triangular(
        t(lib, TALL), t(lib, RHS), upper=True
    ),
    "lu_factor_singular": lambda lib: lib.linalg.lu_factor(t(lib, SINGULAR)),
    "lu_factor_singular_batch": lambda lib: lib.linalg.lu_factor(t(lib, np.zeros((2, 3, 3)))),
    "lu_factor_ex_check": lambda lib: lib.linalg.lu_factor_ex(t(lib, SINGULAR), check_errors=True),
    "lu_no_pivoting": lambda lib: lib.linalg.lu_factor(t(lib, SQUARE), pivot=False),
    "lu_solve_shapes": lambda lib: lib.linalg.lu_solve(
        *lib.linalg.lu_factor(t(lib, SQUARE)), t(lib, RHS.T)
    ),
    "inv_ex_check": lambda lib: lib.linalg.inv_ex(t(lib, SINGULAR), check_errors=True),
    "solve_ex_check": lambda lib: lib.linalg.solve_ex(
        t(lib, SINGULAR), t(lib, RHS), check_errors=True
    ),
    "cholesky_ex_check": lambda lib: lib.linalg.cholesky_ex(t(lib, NOT_PD), check_errors=True),
    "cholesky_ex_check_batch": lambda lib: lib.linalg.cholesky_ex(
        t(lib, np.stack([SPD, NOT_PD])), check_errors=True
    ),
    "lstsq_rows": lambda lib: lib.linalg.lstsq(t(lib, SQUARE), t(lib, TALL)),
    "lstsq_driver": lambda lib: lib.linalg.lstsq(t(lib, SQUARE), t(lib, RHS), driver="qr"),
    "matrix_exp_not_square": lambda lib: lib.linalg.matrix_exp(t(lib, TALL)),
    "householder_tau_dims": lambda lib: lib.linalg.householder_product(
        t(lib, TALL), t(lib, np.ones((2, 2)))
    ),
    "householder_wide": lambda lib: lib.linalg.householder_product(
        t(lib, WIDE), t(lib, np.ones(2))
    ),
    "householder_long_tau": lambda lib: lib.linalg.householder_product(
        t(lib, TALL), t(lib, np.ones(4))
    ),
    "tensorinv_ind": lambda lib: lib.linalg.tensorinv(t(lib, SQUARE), 0),
    "tensorinv_shape": lambda lib: lib.linalg.tensorinv(t(lib, TALL.reshape(4, 3, 1)), 1),
    "tensorsolve_shape": lambda lib: lib.linalg.tensorsolve(t(lib, TALL), t(lib, np.ones(3))),
    "vander_n": lambda lib: lib.linalg.vander(t(lib, np.ones(3)), N=1),
    "vander_scalar": lambda lib: lib.linalg.vander(t(lib, np.array(2.0))),
    "cholesky_solve_shapes": lambda lib: lib.cholesky_solve(t(lib, TALL), t(lib, SPD)),
    "cholesky_inverse_not_square": lambda lib: lib.cholesky_inverse(t(lib, TALL)),
    "ldl_not_square": lambda lib: lib.linalg.ldl_factor(t(lib, TALL)),
    "ldl_vector": lambda lib: lib.linalg.ldl_factor_ex(t(lib, RHS[:, 0])),
    "ldl_solve_shapes": lambda lib: lib.linalg.ldl_solve(
        *lib.linalg.ldl_factor(t(lib, SPD)), t(lib, TALL)
    ),
    "ldl_solve_vector": lambda lib: lib.linalg.ldl_solve(
        *lib.linalg.ldl_factor(t(lib, SPD)), t(lib, RHS[:, 0])
    ),
    "ormqr_rows": lambda lib: lib.ormqr(t(lib, TALL), t(lib, np.ones(3)), t(lib, RHS)),
    "ormqr_columns": lambda lib: lib.ormqr(
        t(lib, TALL), t(lib, np.ones(3)), t(lib, RHS.T), left=False
    ),
    "ormqr_tau": lambda lib: lib.ormqr(t(lib, TALL), t(lib, np.ones(2)), t(lib, TALL)),
    "ormqr_other_vector": lambda lib: lib.ormqr(t(lib, TALL), t(lib, np.ones(3)), t(lib, RHS[0])),
    "ormqr_input_vector": lambda lib: lib.ormqr(t(lib, RHS[0]), t(lib, np.ones(3)), t(lib, TALL)),
    "ormqr_tau_dims": lambda lib: lib.ormqr(t(lib, TALL), t(lib, np.ones((1, 3))), t(lib, TALL)),
    "geqrf_vector": lambda lib: lib.geqrf(t(lib, RHS[0])),
    "inv_ex_rect": lambda lib: lib.linalg.inv_ex(t(lib, TALL)),
    "cholesky_ex_rect": lambda lib: lib.linalg.cholesky_ex(t(lib, TALL)),
    "solve_ex_rect": lambda lib: lib.linalg.solve_ex(t(lib, TALL), t(lib, TALL)),
    "solve_ex_shapes": lambda lib: lib.linalg.solve_ex(t(lib, SQUARE), t(lib, TALL)),
    "matrix_exp_vec": lambda lib: lib.linalg.matrix_exp(t(lib, VECTOR)),
    "lu_vec": lambda lib: lib.linalg.lu(t(lib, VECTOR)),
    "lu_factor_vec": lambda lib: lib.linalg.lu_factor(t(lib, VECTOR)),
    "lu_int": lambda lib: lib.linalg.lu(lib.tensor([[1, 2], [3, 4]])),
    "lstsq_vec": lambda lib: lib.linalg.lstsq(t(lib, VECTOR), t(lib, VECTOR)),
    "cond_vec": lambda lib: lib.linalg.cond(t(lib, VECTOR)),
    "cond_fro_rect": lambda lib: lib.linalg.cond(t(lib, TALL), "fro"),
    "cond_bad": lambda lib: lib.linalg.cond(t(lib, SQUARE), 3),
    "householder_vec": lambda lib: lib.linalg.householder_product(t(lib, VECTOR), t(lib, VECTOR)),
    "cholesky_solve_vec": lambda lib: lib.cholesky_solve(t(lib, VECTOR), t(lib, SQUARE)),
    "cholesky_inverse_vec": lambda lib: lib.cholesky_inverse(t(lib, VECTOR)),
    "solve_tri_int": lambda lib: lib.linalg.solve_triangular(
        lib.tensor([[1, 0], [0, 1]]), lib.tensor([[1], [1]]), upper=True
    ),
    "solve_tri_batch": lambda lib: lib.linalg.solve_triangular(
        t(lib, np.ones((2, 3, 3))), t(lib, np.ones((3, 3, 1))), upper=True
    ),
    "matrix_exp_int": lambda lib: lib.linalg.matrix_exp(lib.tensor([[1, 0], [0, 1]])),
    "vander_float_n0": lambda lib: lib.linalg.vander(t(lib, VECTOR), N=0),
    "lu_unpack_vec": lambda lib: lib.lu_unpack(
        t(lib, VECTOR), lib.tensor([1, 2, 3], dtype=lib.int32)
    ),
    "lu_solve_vec": lambda lib: lib.linalg.lu_solve(
        t(lib, SQUARE), lib.tensor([1, 2, 3], dtype=lib.int32), t(lib, VECTOR)
    ),
    "svd_legacy_vec": lambda lib: lib.svd(t(lib, VECTOR)),
    "qr_legacy_vec": lambda lib: lib.qr(t(lib, VECTOR)),
    "gradient_dim_range": lambda lib: lib.gradient(t(lib, TALL), dim=2),
    "histogramdd_bins_len": lambda lib: lib.histogramdd(t(lib, TALL), bins=[2, 2]),
    "histogram_range_len": lambda lib: lib.histogram(t(lib, VECTOR), 2, range=(0.0,)),
    "matrix_rank_removed": lambda lib: lib.matrix_rank(t(lib, SQUARE)),
    "lstsq_removed": lambda lib: lib.lstsq(t(lib, RHS), t(lib, SQUARE)),
    "eig_removed": lambda lib: lib.eig(t(lib, SQUARE)),
    "symeig_removed": lambda lib: lib.symeig(t(lib, SQUARE)),
    "removed_methods": lambda lib: t(lib, SQUARE).eig(),
    "removed_method_lstsq": lambda lib: t(lib, RHS).lstsq(t(lib, SQUARE)),
    "removed_method_symeig": lambda lib: t(lib, SQUARE).symeig(eigenvectors=True),
    "gradient_edge_order": lambda lib: lib.gradient(t(lib, TALL), edge_order=3),
    "gradient_too_short": lambda lib: lib.gradient(t(lib, TALL[:2]), edge_order=2),
    "gradient_spacing_length": lambda lib: lib.gradient(t(lib, TALL), spacing=[1.0, 2.0, 3.0]),
    "gradient_spacing_dims": lambda lib: lib.gradient(t(lib, TALL), spacing=[1.0, 2.0], dim=0),
    "histogram_integers": lambda lib: lib.histogram(lib.arange(3), 2),
    "histogram_no_bins": lambda lib: lib.histogram(t(lib, TALL), 0),
    "histogram_one_edge": lambda lib: lib.histogram(t(lib, TALL), t(lib, np.ones(1))),
    "histogram_reversed_range": lambda lib: lib.histogram(t(lib, TALL), 2, range=(3.0, 1.0)),
    "histogram_not_finite": lambda lib: lib.histogram(t(lib, np.array([1.0, np.inf])), 2),
    "histogram_nan": lambda lib: lib.histogram(t(lib, np.array([np.nan, 1.0])), 2),
    "histogram_weight_shape": lambda lib: lib.histogram(t(lib, TALL), 2, weight=t(lib, RHS)),
    # QR without Q has no derivative: PyTorch's backward error (chainrule's when recording)
    "qr_r_gradient": lambda lib: (
        lib.linalg.qr(t(lib, SQUARE).requires_grad_(), mode="r").R.sum().backward()
    ),
    "qr_complete_tall_gradient": lambda lib: (
        lib.linalg.qr(t(lib, TALL).requires_grad_(), mode="complete").R.sum().backward()
    ),
    # which leading minor fails, and in which batch element, as cholesky_ex's message
    "cholesky_not_positive_definite": lambda lib: lib.linalg.cholesky(
        t(lib, np.array([[1.0, 2.0], [2.0, 1.0]]))
    ),
    "cholesky_negative_first_minor": lambda lib: lib.linalg.cholesky(t(lib, -np.eye(3))),
    "cholesky_batch_element": lambda lib: lib.linalg.cholesky(
        t(lib, np.stack([np.eye(2), [[1.0, 2.0], [2.0, 1.0]]]))
    ),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_match_torch(name: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as theirs:
            ERRORS[name](torch)
        with pytest.raises(Exception) as ours:
            ERRORS[name](cr)
    linalg_errors = (torch.linalg.LinAlgError, cr.linalg.LinAlgError)
    assert isinstance(ours.value, linalg_errors) == isinstance(theirs.value, linalg_errors)
    assert type(ours.value).__mro__[-3].__name__ == type(theirs.value).__mro__[-3].__name__
    assert str(ours.value).startswith(str(theirs.value))  # ours may explain on a second line


@pytest.mark.parametrize("name", ["eig", "eigvals"])
def test_complex_results_are_refused_naming_the_symmetric_versions(name: str) -> None:
    instead = {"eig": "eigh", "eigvals": "eigvalsh"}[name]
    with pytest.raises(TypeError, match=f"complex dtypes are not supported.*linalg.{instead}"):
        getattr(cr.linalg, name)(cr.tensor(SQUARE))


def test_solve_triangular_refuses_a_zero_on_the_diagonal() -> None:
    """PyTorch divides by it (inf and nan); chainrule refuses with its LinAlgError."""
    a = cr.tensor([[0.0, 1.0], [0.0, 1.0]])
    with pytest.raises(cr.linalg.LinAlgError, match="zero on its diagonal"):
        cr.linalg.solve_triangular(a, cr.ones(2, 1), upper=True)


@pytest.mark.parametrize(
    "call",
    [
        lambda: cr.linalg.ldl_factor(cr.tensor(SPD, requires_grad=True)),
        lambda: cr.linalg.ldl_solve(
            *cr.linalg.ldl_factor(cr.tensor(SPD)), cr.tensor(RHS, requires_grad=True)
        ),
    ],
)
def test_ldl_refuses_to_record_a_gradient_it_has_not(call: Any) -> None:
    with pytest.raises(RuntimeError, match=r"derivative for aten::linalg_ldl_\w+ is not"):
        call()


def test_ldl_factor_of_a_singular_matrix_raises() -> None:
    """PyTorch's check fails with an internal assertion; chainrule says what happened."""
    with pytest.raises(RuntimeError, match="INTERNAL ASSERT"):
        torch.linalg.ldl_factor(torch.zeros(3, 3))
    with pytest.raises(RuntimeError, match="the diagonal block 1 of D is zero"):
        cr.linalg.ldl_factor(cr.zeros(3, 3))


@pytest.mark.parametrize("lib", [torch, cr], ids=["torch", "chainrule"])
def test_geqrf_computes_and_refuses_only_its_derivative(lib: Any) -> None:
    """PyTorch's geqrf of a tensor that requires grad computes (its results require grad, by
    GeqrfBackward0) and raises at the backward, or in forward mode; chainrule refused the
    call itself (a RuntimeError), so code that only read the factors failed."""
    a, tau = lib.geqrf(lib.tensor(TALL, requires_grad=True))
    assert a.requires_grad and tau.requires_grad
    assert a.grad_fn.name() == "GeqrfBackward0"
    np.testing.assert_allclose(a.detach().numpy(), torch.geqrf(torch.tensor(TALL))[0].numpy())
    with pytest.raises(NotImplementedError, match=r"^the derivative for 'geqrf' is not impl"):
        (a.sum() + tau.sum()).backward()
    with pytest.raises(NotImplementedError, match="^Trying to use forward AD with geqrf that"):
        lib.func.jvp(lambda x: lib.geqrf(x)[0], (lib.eye(2),), (lib.eye(2),))


# PyTorch warns once per process (its C++ TORCH_WARN_ONCE): its texts are copied here.
DEPRECATED = {
    "cholesky": (lambda: cr.cholesky(cr.tensor(SPD)), "torch.cholesky is deprecated in favor"),
    "chain_matmul": (
        lambda: cr.chain_matmul(cr.tensor(SQUARE)),
        "torch.chain_matmul is deprecated",
    ),
    "lu": (lambda: cr.lu(cr.tensor(SQUARE)), "torch.lu is deprecated in favor"),
    "lu_solve": (
        lambda: cr.lu_solve(cr.tensor(RHS), *cr.linalg.lu_factor(cr.tensor(SQUARE))),
        "torch.lu_solve is deprecated in favor",
    ),
    "triangular_solve": (
        lambda: cr.triangular_solve(cr.tensor(RHS), cr.tensor(SQUARE)),
        "torch.triangular_solve is deprecated in favor",
    ),
}


@pytest.mark.parametrize("name", list(DEPRECATED))
def test_deprecated_names_warn_as_torch(name: str) -> None:
    call, message = DEPRECATED[name]
    with pytest.warns(UserWarning, match=message) as caught:
        call()
    assert caught[0].filename == __file__  # pointing at the caller


LOWRANK_INPUT = RNG.normal(size=(2, 8, 5))


@pytest.mark.parametrize(
    ("name", "x", "options"),
    [
        ("svd_lowrank", LOWRANK_INPUT, {"q": 3}),
        ("svd_lowrank", np.swapaxes(LOWRANK_INPUT, -1, -2), {"q": 4, "niter": 0}),
        ("pca_lowrank", LOWRANK_INPUT[0], {}),
        ("pca_lowrank", LOWRANK_INPUT, {"q": 2, "center": False}),
    ],
)
def test_randomized_svd_matches_torch_under_the_same_seed(name: str, x: Any, options: Any) -> None:
    """The same draws give the same factors (up to each singular pair's sign, which LAPACK
    chooses) and the same gradients of sign-free functions of them."""
    results = []
    for lib in (cr, torch):
        lib.manual_seed(7)
        a = lib.tensor(x, requires_grad=True)
        u, s, v = getattr(lib, name)(a, **options)
        low_rank = (u * s.unsqueeze(-2)) @ v.mT
        (low_rank.sin().sum() + s.sum()).backward()
        results.append([t.detach().numpy() for t in (s, low_rank, u.abs(), v.abs(), a.grad)])
    for ours, theirs in zip(*results, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-10)


def test_pca_lowrank_refuses_a_rank_above_the_matrix_size() -> None:
    for lib in (cr, torch):
        with pytest.raises(ValueError, match=r"q\(=4\) must be non-negative integer and not"):
            lib.pca_lowrank(lib.tensor(TALL), q=4)
