"""The op table's rows for ``chainrule.linalg`` (the ``torch.linalg`` twins).

Same ``OpSpec`` format as ``tests/op_table.py``, which adds ``LINALG_SPECS`` to its rows.
Inputs are drawn well conditioned: square matrices are diagonally dominant (invertible, far
from singular); Cholesky's input is ``X X^T + n I`` and eigh's ``X + X^T``, built inside the
row so that every input element is free (both read only the lower triangle). Eigenvectors and
singular vectors are defined up to sign, and LAPACK's choice differs between NumPy and
PyTorch, so those rows return sign-free functions of them: each column (row of ``Vh``)
multiplied by its own first entry.

    >>> spec = next(s for s in LINALG_SPECS if s.name == "linalg_inv")
    >>> spec.covers
    ('Inv',)
"""

from __future__ import annotations

from typing import Any

import numpy as np
from op_table import SAME, OpSpec

import chainrule as cr

try:  # the PyTorch twins run only in the comparison tests
    import torch
except ImportError:
    torch = None


def well_conditioned(rng: np.random.Generator, shape: tuple[int, ...], index: int) -> np.ndarray:
    """Square matrices with a dominant diagonal (first input of a row, when square; others
    are plain real values)."""
    x = rng.uniform(-1.0, 1.0, shape)
    if index == 0 and len(shape) >= 2 and shape[-1] == shape[-2]:
        x = x + shape[-1] * np.eye(shape[-1])
    return x


def negative_determinant(rng: np.random.Generator, shape: tuple[int, ...], i: int) -> np.ndarray:
    """Well-conditioned matrices with a negative determinant (slogdet's sign is -1)."""
    x = well_conditioned(rng, shape, 0)
    x[..., 0, :] *= -1
    return x


def _lib(x: Any) -> Any:
    return cr if isinstance(x, cr.Tensor) else torch


def _spd(x: Any) -> Any:
    return x @ x.mT + x.shape[-2] * _lib(x).eye(x.shape[-2], dtype=x.dtype)


def _sign_free(q: Any, axis: int) -> Any:
    """Each vector (columns for axis -2, rows for -1) times its own first entry."""
    first = q[..., :1, :] if axis == -2 else q[..., :, :1]
    return q * first


def _eigh(x: Any) -> Any:
    w, v = _lib(x).linalg.eigh(x + x.mT)
    return w, _sign_free(v, -2)


def _svd(x: Any) -> Any:
    u, s, vh = _lib(x).linalg.svd(x, full_matrices=False)
    return _sign_free(u, -2), s, _sign_free(vh, -1)


SQUARE = (((3, 3),), ((2, 2, 2),))
RECTANGLES = (((4, 3),), ((3, 3),), ((3, 4),), ((2, 3, 2),))


def _symmetric(x: Any) -> Any:
    return x + x.mT


LINALG_SPECS = [
    # compositions of the rows below with matmul, sums and indexing
    OpSpec(
        "linalg_matrix_power_3",
        lambda a: _lib(a).linalg.matrix_power(a, 3),
        SAME,
        ("MatMul",),
        SQUARE,
    ),
    OpSpec(
        "linalg_matrix_power_minus_2",
        lambda a: _lib(a).linalg.matrix_power(a, -2),
        SAME,
        ("Inv", "MatMul"),
        SQUARE,
        well_conditioned,
    ),
    OpSpec(
        "linalg_matrix_power_0",
        lambda a: _lib(a).linalg.matrix_power(a, 0),
        SAME,
        ("Where",),
        SQUARE,
    ),
    OpSpec(
        "linalg_pinv",
        lambda a: _lib(a).linalg.pinv(a),
        SAME,
        ("Pinv",),
        (((4, 3),), ((3, 4),), ((2, 3, 3),)),
        well_conditioned,
    ),
    OpSpec(
        "linalg_multi_dot_vector_ends",
        lambda a, b, c: _lib(a).linalg.multi_dot([a, b, c]),
        SAME,
        ("MatMul",),
        (((3,), (3, 4), (4,)), ((2, 3), (3, 4), (4, 2))),
    ),
    OpSpec(
        "linalg_vecdot",
        lambda x, y: _lib(x).linalg.vecdot(x, y, dim=0),
        SAME,
        ("Mul", "Sum"),
        (((3, 2), (3, 1)), ((4,), (4,))),
    ),
    OpSpec(
        "linalg_cross",
        lambda x, y: _lib(x).linalg.cross(x, y, dim=0),
        SAME,
        ("Mul", "Sub", "Cat"),
        (((3, 2), (3, 1)), ((3,), (3,))),
    ),
    OpSpec(
        "linalg_eigvalsh",
        lambda x: _lib(x).linalg.eigvalsh(_symmetric(x)),
        SAME,
        ("Eigh",),
        SQUARE,
    ),
    OpSpec(
        "logdet",
        lambda a: _lib(a).logdet(a),
        SAME,
        ("SlogDet",),
        SQUARE,
        well_conditioned,
    ),
    OpSpec("dist_3", lambda x, y: _lib(x).dist(x, y, 3), SAME, ("NormP",), (((2, 3), (3,)),)),
    OpSpec("diagflat", lambda x: _lib(x).diagflat(x, -1), SAME, ("IndexAdd",), (((2, 2),),)),
    OpSpec(
        "sum_to_size",
        lambda x: x.sum_to_size(1, 3),
        SAME,
        ("Sum",),
        (((2, 4, 3),),),
    ),
    OpSpec("linalg_inv", lambda a: _lib(a).linalg.inv(a), SAME, ("Inv",), SQUARE, well_conditioned),
    OpSpec("linalg_det", lambda a: _lib(a).linalg.det(a), SAME, ("Det",), SQUARE, well_conditioned),
    OpSpec(
        "linalg_det_negative",
        lambda a: _lib(a).linalg.det(a),
        SAME,
        ("Det",),
        (((3, 3),),),
        negative_determinant,
    ),
    OpSpec(
        "linalg_slogdet",
        lambda a: tuple(_lib(a).linalg.slogdet(a)),
        SAME,
        ("SlogDet",),
        SQUARE,
        negative_determinant,
    ),
    OpSpec(
        "linalg_solve_matrix",
        lambda a, b: _lib(a).linalg.solve(a, b),
        SAME,
        ("Solve",),
        (((3, 3), (3, 2)), ((2, 3, 3), (2, 3, 1)), ((3, 3), (2, 3, 2))),
        well_conditioned,
    ),
    OpSpec(
        "linalg_solve_vector",
        lambda a, b: _lib(a).linalg.solve(a, b),
        SAME,
        ("Solve", "Reshape"),
        (((3, 3), (3,)), ((2, 3, 3), (2, 3))),
        well_conditioned,
    ),
    OpSpec(
        "linalg_solve_right",
        lambda a, b: _lib(a).linalg.solve(a, b, left=False),
        SAME,
        ("Solve", "Permute"),
        (((3, 3), (2, 3)),),
        well_conditioned,
    ),
    OpSpec(
        "linalg_cholesky",
        lambda x: _lib(x).linalg.cholesky(_spd(x)),
        SAME,
        ("Cholesky", "MatMul"),
        (((3, 3),), ((2, 3, 3),), ((3, 2),)),
    ),
    OpSpec(
        "linalg_cholesky_upper",
        lambda x: _lib(x).linalg.cholesky(_spd(x), upper=True),
        SAME,
        ("Cholesky", "Permute", "ColumnMajor"),
        (((3, 3),), ((2, 3, 3),)),
    ),
    OpSpec(
        "linalg_qr",
        lambda a: tuple(_lib(a).linalg.qr(a)),
        SAME,
        ("QR",),
        (((4, 3),), ((3, 3),), ((2, 3, 2),), ((2, 4),), ((2, 3, 5),)),
        well_conditioned,
    ),
    OpSpec(
        "linalg_qr_complete_wide",
        lambda a: tuple(_lib(a).linalg.qr(a, mode="complete")),
        SAME,
        ("QR",),
        (((3, 4),),),
        well_conditioned,
    ),
    OpSpec("linalg_eigh", _eigh, SAME, ("Eigh",), (((3, 3),), ((2, 4, 4),))),
    OpSpec("linalg_svd", _svd, SAME, ("SVD",), RECTANGLES),
    OpSpec(
        "linalg_svdvals",
        lambda a: _lib(a).linalg.svdvals(a),
        SAME,
        ("SVD",),
        RECTANGLES,
    ),
    OpSpec(
        "linalg_vector_norm",
        lambda x: _lib(x).linalg.vector_norm(x, 3.0, dim=-1),
        SAME,
        ("NormP",),
        (((2, 3),),),
        well_conditioned,
    ),
    OpSpec(
        "linalg_vector_norm_all",
        lambda x: _lib(x).linalg.vector_norm(x),
        SAME,
        ("Norm2",),
        (((2, 3),), ((2, 2, 3),)),
    ),
    OpSpec(
        "linalg_norm_fro",
        lambda x: _lib(x).linalg.norm(x, "fro"),
        SAME,
        ("Norm2",),
        (((2, 3),),),
    ),
    OpSpec(
        "linalg_norm_nuc",
        lambda x: _lib(x).linalg.norm(x, "nuc"),
        SAME,
        ("SVD", "Sum"),
        (((3, 2),), ((3, 3),)),
    ),
    OpSpec(
        "linalg_matrix_norm_spectral",
        lambda x: _lib(x).linalg.matrix_norm(x, 2, dim=(0, 2), keepdim=True),
        SAME,
        ("SVD", "Amax"),
        (((3, 2, 2),),),
    ),
    OpSpec(
        "linalg_matrix_norm_inf",
        lambda x: _lib(x).linalg.matrix_norm(x, float("inf")),
        SAME,
        ("Abs", "Sum", "Amax"),
        (((2, 3, 3),),),
        well_conditioned,
    ),
    OpSpec(
        "linalg_norm_1",
        lambda x: _lib(x).linalg.norm(x, 1),
        SAME,
        ("Abs", "Sum", "Amax"),
        (((3, 3),),),
        well_conditioned,
    ),
    OpSpec(
        "linalg_norm_vector_dim",
        lambda x: _lib(x).linalg.norm(x, dim=1, keepdim=True),
        SAME,
        ("Norm2",),
        (((2, 3),),),
    ),
]
