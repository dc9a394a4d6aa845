"""``torch.linalg.ldl_factor(_ex)`` and ``ldl_solve``: the Bunch-Kaufman factorization
``A = P L D L^T P^T`` of a symmetric matrix (``D`` with 1 x 1 and 2 x 2 blocks) in LAPACK's
packed form, and solves with it. Values only, as in PyTorch (it has no derivative for them).

The loops are LAPACK's unblocked ``dsytf2`` and ``dsytrs`` (lower triangle), which LAPACK's
``sytrf`` runs for matrices smaller than its block size, so the pivots and factors are
PyTorch's for those.

    >>> import chainrule as cr
    >>> LD, pivots = cr.linalg.ldl_factor(cr.tensor([[4.0, 2.0], [2.0, 3.0]]))
    >>> cr.linalg.ldl_solve(LD, pivots, cr.tensor([[6.0], [5.0]]))
    tensor([[1.],
            [1.]])
"""

from __future__ import annotations

import math
from typing import Any

from chainrule import arguments, return_types
from chainrule._array import xp
from chainrule.linalg import _matrices, _records
from chainrule.ops.decompositions import column_major
from chainrule.tensor import Tensor, _make

_ALPHA = (1.0 + math.sqrt(17.0)) / 8.0  # Bunch-Kaufman's growth bound


def _first_largest(values: Any) -> int:
    """LAPACK's ``idamax``: the index of the first largest magnitude."""
    return int(xp.argmax(xp.abs(values)))


def _ldl_one(a: Any) -> tuple[Any, Any, int]:
    """``dsytf2`` with ``uplo = 'L'`` on one matrix (its lower triangle read): ``(LD, pivots,
    info)``, pivots 1-based (a 2 x 2 block's two entries both ``-p``)."""
    a = xp.tril(a).copy()
    n = a.shape[0]
    pivots = xp.zeros(n, dtype=xp.int32)
    info = 0
    k = 0
    while k < n:
        step = 1
        absakk = abs(a[k, k])
        imax = k + 1 + _first_largest(a[k + 1 :, k]) if k < n - 1 else k
        colmax = abs(a[imax, k]) if k < n - 1 else 0.0
        if max(absakk, colmax) == 0 or xp.isnan(absakk):
            info = info or k + 1
            kp = k
        else:
            if absakk >= _ALPHA * colmax:
                kp = k
            else:
                jmax = k + _first_largest(a[imax, k:imax])
                rowmax = abs(a[imax, jmax])
                if imax < n - 1:
                    jmax = imax + 1 + _first_largest(a[imax + 1 :, imax])
                    rowmax = max(rowmax, abs(a[jmax, imax]))
                if absakk >= _ALPHA * colmax * (colmax / rowmax):
                    kp = k
                elif abs(a[imax, imax]) >= _ALPHA * rowmax:
                    kp = imax
                else:
                    kp, step = imax, 2
            kk = k + step - 1
            if kp != kk:  # swap rows and columns kk and kp of the trailing lower triangle
                a[kp + 1 :, [kk, kp]] = a[kp + 1 :, [kp, kk]]
                middle = a[kk + 1 : kp, kk].copy()
                a[kk + 1 : kp, kk] = a[kp, kk + 1 : kp]
                a[kp, kk + 1 : kp] = middle
                a[kk, kk], a[kp, kp] = a[kp, kp], a[kk, kk]
                if step == 2:
                    a[k + 1, k], a[kp, k] = a[kp, k], a[k + 1, k]
            if step == 1:
                if k < n - 1:
                    d11 = 1.0 / a[k, k]
                    column = a[k + 1 :, k].copy()
                    a[k + 1 :, k + 1 :] -= xp.tril(d11 * xp.outer(column, column))
                    a[k + 1 :, k] = column * d11
            elif k < n - 2:
                d21 = a[k + 1, k]
                d11 = a[k + 1, k + 1] / d21
                d22 = a[k, k] / d21
                t = 1.0 / (d11 * d22 - 1.0)
                d21 = t / d21
                for j in range(k + 2, n):
                    wk = d21 * (d11 * a[j, k] - a[j, k + 1])
                    wkp1 = d21 * (d22 * a[j, k + 1] - a[j, k])
                    a[j:, j] -= a[j:, k] * wk + a[j:, k + 1] * wkp1
                    a[j, k] = wk
                    a[j, k + 1] = wkp1
        if step == 1:
            pivots[k] = kp + 1
        else:
            pivots[k] = pivots[k + 1] = -(kp + 1)
        k += step
    return a, pivots, info


def _solve_one(ld: Any, pivots: Any, b: Any) -> Any:
    """``dsytrs`` with ``uplo = 'L'``: ``X`` with ``A X = B`` from one factorization."""
    b = b.copy()
    n = ld.shape[0]
    k = 0
    while k < n:  # L D Y = B
        if pivots[k] > 0:
            kp = pivots[k] - 1
            b[[k, kp]] = b[[kp, k]]
            b[k + 1 :] -= xp.outer(ld[k + 1 :, k], b[k])
            b[k] /= ld[k, k]
            k += 1
        else:
            kp = -pivots[k] - 1
            b[[k + 1, kp]] = b[[kp, k + 1]]
            b[k + 2 :] -= xp.outer(ld[k + 2 :, k], b[k]) + xp.outer(ld[k + 2 :, k + 1], b[k + 1])
            akm1k = ld[k + 1, k]
            akm1 = ld[k, k] / akm1k
            ak = ld[k + 1, k + 1] / akm1k
            denom = akm1 * ak - 1.0
            bkm1, bk = b[k] / akm1k, b[k + 1] / akm1k
            b[k], b[k + 1] = (ak * bkm1 - bk) / denom, (akm1 * bk - bkm1) / denom
            k += 2
    k = n - 1
    while k >= 0:  # L^T X = Y
        if pivots[k] > 0:
            b[k] -= ld[k + 1 :, k] @ b[k + 1 :]
            kp = pivots[k] - 1
            b[[k, kp]] = b[[kp, k]]
            k -= 1
        else:
            b[k] -= ld[k + 1 :, k] @ b[k + 1 :]
            b[k - 1] -= ld[k + 1 :, k - 1] @ b[k + 1 :]
            kp = -pivots[k] - 1
            b[[k, kp]] = b[[kp, k]]
            k -= 2
    return b


def _refuse_gradient(op: str, *tensors: Tensor) -> None:
    """PyTorch has no derivative for these: refused when one would be recorded, not left to
    a backward pass that would silently miss it."""
    if any(_records(x) for x in tensors):
        raise RuntimeError(f"derivative for aten::{op} is not implemented")


def ldl_factor_ex(
    A: Tensor,  # noqa: N803
    *,
    hermitian: bool = False,
    check_errors: bool = False,
) -> return_types.linalg_ldl_factor_ex:
    """``(LD, pivots, info)``: ``L`` below the diagonal and the blocks of ``D`` on and next to
    it (only ``A``'s lower triangle read), LAPACK's pivots, and ``info`` (int32), the 1-based
    index of the first zero block of ``D`` or 0. For real matrices ``hermitian`` changes
    nothing."""
    if type(hermitian) is not bool or type(check_errors) is not bool:
        arguments.booleans("linalg_ldl_factor_ex", hermitian=hermitian, check_errors=check_errors)
    if A.ndim < 2:
        raise RuntimeError(
            "torch.linalg.ldl_factor_ex: The input tensor A must have at least 2 dimensions."
        )
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(
            f"torch.linalg.ldl_factor_ex: A must be batches of square matrices, but they are "
            f"{A.shape[-2]} by {A.shape[-1]} matrices"
        )
    _matrices(A, "ldl_factor_ex")
    _refuse_gradient("linalg_ldl_factor_ex", A)
    data = A._data
    batch, n = data.shape[:-2], data.shape[-1]
    ld = xp.zeros(data.shape, data.dtype)
    pivots = xp.zeros(batch + (n,), xp.int32)
    info = xp.zeros(batch, xp.int32)
    for index in xp.ndindex(*batch):
        ld[index], pivots[index], info[index] = _ldl_one(data[index])
    if check_errors and info.any():
        first = int(xp.flatnonzero(info)[0])
        where = f"(Batch element {first}): " if batch else ""
        raise RuntimeError(
            f"torch.linalg.ldl_factor_ex: {where}The factorization could not be completed "
            f"because the input is singular (the diagonal block {int(info.reshape(-1)[first])} "
            "of D is zero)."
        )
    return return_types.linalg_ldl_factor_ex(_make(column_major(ld)), _make(pivots), _make(info))


def ldl_factor(A: Tensor, *, hermitian: bool = False) -> return_types.linalg_ldl_factor:  # noqa: N803
    """``(LD, pivots)`` of :func:`ldl_factor_ex`; a singular ``A`` raises (PyTorch's own
    check fails there with an internal assertion)."""
    if type(hermitian) is not bool:
        arguments.booleans("linalg_ldl_factor", hermitian=hermitian)
    ld, pivots, _ = ldl_factor_ex(A, hermitian=hermitian, check_errors=True)
    return return_types.linalg_ldl_factor(ld, pivots)


def ldl_solve(
    LD: Tensor,  # noqa: N803
    pivots: Tensor,
    B: Tensor,  # noqa: N803
    *,
    hermitian: bool = False,
) -> Tensor:
    """``X`` with ``A X = B`` from :func:`ldl_factor`'s ``(LD, pivots)``; batch dimensions
    broadcast."""
    if type(hermitian) is not bool:
        arguments.booleans("linalg_ldl_solve", hermitian=hermitian)
    _refuse_gradient("linalg_ldl_solve", LD, B)
    if B.ndim < 2:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [-{max(B.ndim, 1)}, "
            f"{max(B.ndim, 1) - 1}], but got -2)"
        )
    if B.shape[-2] != LD.shape[-1]:
        n = LD.shape[-1]
        raise RuntimeError(
            f"Incompatible matrix sizes for torch.linalg.ldl_solve: each A matrix is {n} by {n} "
            f"but each b matrix is {B.shape[-2]} by {B.shape[-1]}"
        )
    batch = xp.broadcast_shapes(LD.shape[:-2], pivots.shape[:-1], B.shape[:-2])
    ld = xp.broadcast_to(LD._data, batch + tuple(LD.shape[-2:]))
    piv = xp.broadcast_to(pivots._data, batch + tuple(pivots.shape[-1:]))
    b = xp.broadcast_to(B._data, batch + tuple(B.shape[-2:]))
    out = xp.zeros(b.shape, xp.result_type(ld, b))
    for index in xp.ndindex(*batch):
        out[index] = _solve_one(ld[index], piv[index], b[index])
    return _make(column_major(out))
