"""The op table's rows for the rest of ``torch.linalg`` and its older top-level names
(``chainrule.ops.linalg_more``): triangular and Cholesky solves, LU, least squares,
``matrix_exp``, Householder products, tensor solves, ``vander`` and ``cond``.

Same ``OpSpec`` format as ``tests/op_table.py``, which adds ``LINALG_MORE_SPECS`` to its rows.
Inputs are drawn as in ``tests/op_table_linalg.py``: square first inputs diagonally dominant
(invertible, and LU's pivots stay put under the finite differences' small steps).

    >>> spec = next(s for s in LINALG_MORE_SPECS if s.name == "linalg_matrix_exp")
    >>> spec.covers
    ('MatrixExp',)
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
from op_table import SAME, OpSpec
from op_table_linalg import _lib, _spd, well_conditioned


def dominant_columns(rng: np.random.Generator, shape: tuple[int, ...], index: int) -> np.ndarray:
    """Matrices whose first min(m, n) rows have a dominant diagonal, so partial pivoting keeps
    the rows in place near the sample (LU is smooth there); later inputs plain values."""
    x = rng.uniform(-1.0, 1.0, shape)
    if index == 0 and len(shape) >= 2:
        m, n = shape[-2:]
        x = x + 2 * max(m, n) * np.eye(m, n)
    return x


def small(rng: np.random.Generator, shape: tuple[int, ...], index: int) -> np.ndarray:
    """Values in [-0.5, 0.5]: a matrix exponential of moderate size."""
    return rng.uniform(-0.5, 0.5, shape)


def _lu(a: Any) -> Any:
    p, lower, upper = _lib(a).linalg.lu(a)
    return lower, upper


def _lu_factor(a: Any) -> Any:
    return _lib(a).linalg.lu_factor(a).LU


def _lu_solve(a: Any, b: Any, **kwargs: Any) -> Any:
    lib = _lib(a)
    factors, pivots = lib.linalg.lu_factor(a)
    return lib.linalg.lu_solve(factors, pivots, b, **kwargs)


def _cholesky_solve(x: Any, b: Any, upper: bool = False) -> Any:
    lib = _lib(x)
    factor = lib.linalg.cholesky(_spd(x), upper=upper)
    return lib.cholesky_solve(b, factor, upper=upper)


def _householder(a: Any, tau: Any) -> Any:
    return _lib(a).linalg.householder_product(a, tau)


def _twins(spec: OpSpec, why: str) -> list[OpSpec]:
    """``spec`` against PyTorch without the forward-mode comparison (``why``), and its twin
    without PyTorch, whose forward mode is checked against finite differences."""
    return [
        replace(spec, jvp=False, why_off={"jvp": why}),
        replace(
            spec,
            name=f"{spec.name}_forward_mode",
            torch_fn=None,
            why_off={"torch": "the row above compares with PyTorch"},
        ),
    ]


# PyTorch's forward-mode rules of these read the whole tangent of a triangular factor, not its
# triangle (their reverse rules and finite differences agree with ours).
_TRIANGLE_JVP = "PyTorch's forward mode of it reads the tangent outside the triangle"
_NO_ORMQR_JVP = "PyTorch's ormqr has no forward-mode rule"

SQUARE = (((3, 3),), ((2, 3, 3),))
SQUARE_RHS = (((3, 3), (3, 2)), ((2, 3, 3), (2, 3, 1)), ((3, 3), (2, 3, 2)))

LINALG_MORE_SPECS = [
    OpSpec(
        "linalg_solve_triangular_lower",
        lambda a, b: _lib(a).linalg.solve_triangular(a, b, upper=False),
        SAME,
        ("Solve", "Where"),
        SQUARE_RHS,
        well_conditioned,
    ),
    OpSpec(
        "linalg_solve_triangular_upper_right_unit",
        lambda a, b: _lib(a).linalg.solve_triangular(
            a, b, upper=True, left=False, unitriangular=True
        ),
        SAME,
        ("Solve", "Where"),
        (((3, 3), (2, 3)), ((2, 3, 3), (1, 4, 3))),
        well_conditioned,
    ),
    *_twins(
        OpSpec(
            "triangular_solve_transpose",
            lambda b, a: tuple(_lib(a).triangular_solve(b, a, upper=False, transpose=True)),
            SAME,
            ("Solve", "Where"),
            (((3, 2), (3, 3)),),
            (lambda rng, shape, i: well_conditioned(rng, shape, 1 - i)),
        ),
        _TRIANGLE_JVP,
    ),
    OpSpec(
        "cholesky_solve",
        _cholesky_solve,
        SAME,
        ("Cholesky", "Solve"),
        (((3, 3), (3, 2)), ((2, 3, 3), (2, 3, 1))),
    ),
    OpSpec(
        "cholesky_solve_upper",
        lambda x, b: _cholesky_solve(x, b, upper=True),
        SAME,
        ("Cholesky", "Solve"),
        (((3, 3), (3, 2)),),
    ),
    *_twins(
        OpSpec(
            "cholesky_inverse",
            lambda x: _lib(x).cholesky_inverse(_lib(x).linalg.cholesky(_spd(x))),
            SAME,
            ("Cholesky", "Solve"),
            (((3, 3),), ((2, 3, 3),)),
        ),
        _TRIANGLE_JVP,
    ),
    OpSpec("linalg_lu", _lu, SAME, ("LU",), (((3, 3),), ((2, 3, 3),)), dominant_columns),
    OpSpec("linalg_lu_tall", _lu, SAME, ("LU",), (((4, 2),), ((2, 3, 2),)), dominant_columns),
    OpSpec("linalg_lu_wide", _lu, SAME, ("LU",), (((2, 4),), ((2, 2, 3),)), dominant_columns),
    OpSpec(
        "linalg_lu_factor",
        _lu_factor,
        SAME,
        ("LU",),
        (((3, 3),), ((4, 3),), ((3, 4),)),
        dominant_columns,
    ),
    OpSpec(
        "linalg_lu_solve",
        _lu_solve,
        SAME,
        ("LU", "Solve"),
        SQUARE_RHS,
        dominant_columns,
    ),
    OpSpec(
        "linalg_lu_solve_adjoint_right",
        lambda a, b: _lu_solve(a, b, left=False, adjoint=True),
        SAME,
        ("LU", "Solve"),
        (((3, 3), (2, 3)),),
        dominant_columns,
    ),
    OpSpec(
        "linalg_matrix_exp",
        lambda a: _lib(a).linalg.matrix_exp(a),
        SAME,
        ("MatrixExp",),
        (((3, 3),), ((2, 2, 2),), ((1, 1),)),
        small,
    ),
    OpSpec(
        "matrix_exp_scaled",
        lambda a: _lib(a).matrix_exp(4.0 * a),
        SAME,
        ("MatrixExp",),
        (((3, 3),),),
    ),
    OpSpec(
        "linalg_lstsq_tall",
        lambda a, b: _lib(a).linalg.lstsq(a, b).solution,
        SAME,
        ("Pinv",),
        (((4, 3), (4, 2)), ((2, 4, 2), (2, 4, 1)), ((4, 3), (4,))),
        dominant_columns,
    ),
    OpSpec(
        "linalg_lstsq_wide_gelsd",
        lambda a, b: _lib(a).linalg.lstsq(a, b, driver="gelsd").solution,
        SAME,
        ("Pinv",),
        (((2, 4), (2, 3)),),
        dominant_columns,
    ),
    OpSpec(
        "linalg_householder_product",
        _householder,
        SAME,
        ("MatMul", "Mul", "ColumnMajor"),
        (((4, 3), (3,)), ((4, 3), (2,)), ((2, 3, 3), (2, 2))),
    ),
    *_twins(
        OpSpec(
            "ormqr",
            lambda a, tau, c: _lib(a).ormqr(a, tau, c),
            SAME,
            ("MatMul", "Mul"),
            (((4, 3), (3,), (4, 2)),),
        ),
        _NO_ORMQR_JVP,
    ),
    *_twins(
        OpSpec(
            "ormqr_right_transpose",
            lambda a, tau, c: _lib(a).ormqr(a, tau, c, left=False, transpose=True),
            SAME,
            ("MatMul", "Mul"),
            (((4, 3), (3,), (2, 4)),),
        ),
        _NO_ORMQR_JVP,
    ),
    OpSpec(
        "linalg_tensorinv",
        lambda a: _lib(a).linalg.tensorinv(a, ind=1),
        SAME,
        ("Inv",),
        (((4, 2, 2),),),
        lambda rng, shape, i: well_conditioned(rng, (4, 4), 0).reshape(shape),
    ),
    OpSpec(
        "linalg_tensorsolve",
        lambda a, b: _lib(a).linalg.tensorsolve(a, b),
        SAME,
        ("Solve",),
        (((6, 2, 3), (6,)),),
        lambda rng, shape, i: (
            well_conditioned(rng, (6, 6), 0).reshape(shape) if i == 0 else rng.uniform(-1, 1, shape)
        ),
    ),
    OpSpec(
        "linalg_vander",
        lambda x: _lib(x).linalg.vander(x, N=4),
        SAME,
        ("CumProd",),
        (((3,),), ((2, 3),)),
    ),
    OpSpec(
        "linalg_cond",
        lambda a: _lib(a).linalg.cond(a),
        SAME,
        ("SVD",),
        (((3, 3),), ((3, 2),), ((2, 3, 3),)),
        well_conditioned,
    ),
    OpSpec(
        "linalg_cond_fro",
        lambda a: _lib(a).linalg.cond(a, "fro"),
        None,
        ("Inv", "Norm2"),
        (((3, 3),),),
        well_conditioned,
        why_off={"torch": "PyTorch's backward of it fails (inv_ex's output changed in place)"},
    ),
    OpSpec(
        "svd_legacy",
        lambda a: _lib(a).svd(a).S,
        SAME,
        ("SVD",),
        (((4, 3),),),
    ),
    OpSpec(
        "nuclear_norm",
        lambda a: _lib(a).nuclear_norm(a),
        SAME,
        ("SVD", "Sum"),
        (((3, 2),),),
    ),
    OpSpec(
        "frobenius_norm",
        lambda a: _lib(a).frobenius_norm(a, (0, 1)),
        SAME,
        ("Norm2",),
        (((3, 2),),),
    ),
    OpSpec(
        "linalg_inv_ex",
        lambda a: _lib(a).linalg.inv_ex(a).inverse,
        SAME,
        ("Inv",),
        SQUARE,
        well_conditioned,
    ),
    OpSpec(
        "linalg_solve_ex",
        lambda a, b: _lib(a).linalg.solve_ex(a, b).result,
        SAME,
        ("Solve",),
        (((3, 3), (3, 2)),),
        well_conditioned,
    ),
    OpSpec(
        "linalg_cholesky_ex",
        lambda x: _lib(x).linalg.cholesky_ex(_spd(x)).L,
        SAME,
        ("Cholesky",),
        (((3, 3),),),
    ),
    OpSpec(
        "gradient_edge_order_2",
        lambda x: _lib(x).gradient(x, spacing=[2.0, 0.5], edge_order=2),
        SAME,
        ("Sub", "Div", "Cat"),
        (((3, 4),),),
    ),
    OpSpec(
        "gradient_coordinates",
        lambda x: _lib(x).gradient(
            x, spacing=(_lib(x).tensor([0.0, 0.5, 2.0, 2.5], dtype=x.dtype),), dim=1
        ),
        SAME,
        ("Mul", "Add", "Cat"),
        (((2, 4),),),
    ),
]
