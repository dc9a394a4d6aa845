"""More of ``torch.linalg`` and its older top-level names: triangular and Cholesky solves, LU,
least squares, ``matrix_exp``, Householder products, tensor inverses and solves, ``vander``,
``cond`` and the ``*_ex`` variants with their ``info`` tensors.

All but LU and ``matrix_exp`` (ops of :mod:`chainrule.ops.decompositions`) are compositions of
differentiable functions (solve, inverse, SVD, QR, matmul, indexing), so their gradients of
every order, forward mode and vmap come with them.

    >>> import chainrule as cr
    >>> A = cr.tensor([[2.0, 0.0], [1.0, 4.0]])
    >>> cr.linalg.solve_triangular(A, cr.tensor([[2.0], [9.0]]), upper=False)
    tensor([[1.],
            [2.]])
"""

from __future__ import annotations

import math
from typing import Any

from chainrule import _user_warning, dtypes, linalg, return_types
from chainrule._array import xp
from chainrule._tensor_input import tensor_argument
from chainrule.arguments import boolean, booleans, mistyped, no_overload
from chainrule.autodiff.batching import physical
from chainrule.linalg import LinAlgError, _like, _matrices
from chainrule.op import without_derivative
from chainrule.ops.broadcast import broadcast_shape
from chainrule.ops.decompositions import (
    LU,
    MatrixExp,
    Solve,
    batch_prefix,
    column_major,
    lapack_result,
    lu_arrays,
    permutation_arrays,
    saved_together,
    svd_arrays,
)
from chainrule.ops.elementwise import where
from chainrule.ops.linalg import matmul, tril, triu
from chainrule.ops.shape import cat
from chainrule.ops.shape_more import diagonal as _diagonal
from chainrule.tensor import Tensor, _make


def _deprecated(message: str) -> None:
    """PyTorch's warning for an older name, at the user's line."""
    _user_warning.warn(message)


_UPPER_MISSING = object()


def _eye_like(A: Tensor, rows: int, cols: int) -> Any:  # noqa: N803
    return xp.eye(rows, cols, dtype=A.dtype.dtype)


def _unit_diagonal(A: Tensor) -> Tensor:  # noqa: N803
    """``A`` with ones on its diagonal (the diagonal's gradient is zero)."""
    n = A.shape[-1]
    return where(xp.eye(n, dtype=bool), xp.ones((), dtype=A.dtype.dtype), A)


def _refuse_lapack_dtype(A: Tensor, kernel: str) -> None:  # noqa: N803
    """PyTorch's error for a LAPACK kernel given a dtype it has no version for: integers,
    bools, float16."""
    if not A.is_floating_point() or A.dtype == dtypes.float16:
        raise NotImplementedError(
            f"\"{kernel}\" not implemented for '{dtypes.scalar_type_name(A.dtype.dtype)}'"
        )


def _refuse_vectors(A: Tensor, op: str) -> None:  # noqa: N803
    if A.ndim < 2:
        raise RuntimeError(
            f"{op}: Expected tensor with 2 or more dimensions. Got size: {list(A.shape)} instead"
        )


def _refuse_fewer_dims(B: Tensor, op: str) -> None:  # noqa: N803
    if B.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor B must have at least 2 dimensions.")


# ----------------------------------------------------------------------------- triangular solves
def solve_triangular(
    A: Tensor,  # noqa: N803
    B: Tensor,  # noqa: N803
    *,
    upper: bool = _UPPER_MISSING,  # type: ignore[assignment] - required, as PyTorch says below
    left: bool = True,
    unitriangular: bool = False,
) -> Tensor:
    """``X`` with ``A X = B`` (``X A = B`` when ``left=False``) reading only the ``upper`` or
    lower triangle of ``A`` (and taking its diagonal as ones when ``unitriangular``); the
    batch dimensions broadcast. ``A``'s gradient is triangular too."""
    if upper is _UPPER_MISSING:
        raise TypeError(
            'linalg_solve_triangular() missing 1 required positional arguments: "upper"'
        )
    if type(upper) is not bool or type(left) is not bool or type(unitriangular) is not bool:
        booleans("linalg_solve_triangular", upper=upper, left=left, unitriangular=unitriangular)
    if A.ndim >= 2:
        _refuse_lapack_dtype(A, "triangular_solve_cpu")
    _matrices(A, "solve_triangular")
    _refuse_fewer_dims(B, "linalg.solve_triangular")
    n = A.shape[-1]
    if B.shape[-2 if left else -1] != n:
        equation = "AX = B" if left else "XA = B"
        raise RuntimeError(
            f"linalg.solve_triangular: Incompatible shapes of A and B for the equation "
            f"{equation} ({A.shape[-2]}x{n} and {B.shape[-2]}x{B.shape[-1]})"
        )
    broadcast_shape(tuple(B.shape[:-2]), tuple(A.shape[:-2]))  # PyTorch's order in its error
    triangle = triu(A) if upper else tril(A)
    if unitriangular:
        triangle = _unit_diagonal(triangle)
    try:
        if not left:  # X A = B  <=>  A^T X^T = B^T
            solved = Solve()(triangle.mT, B.mT).mT
            return lapack_result(solved, "LinalgSolveTriangularBackward0")
        return Solve()(triangle, B)
    except xp.linalg.LinAlgError:
        raise LinAlgError(
            "linalg.solve_triangular: the triangular matrix has a zero on its diagonal (PyTorch "
            "returns inf and nan there; chainrule refuses)"
        ) from None


def cholesky_solve(B: Tensor, L: Tensor, upper: bool = False) -> Tensor:  # noqa: N803
    """``X`` with ``A X = B`` for ``A = L L^T`` (``U^T U`` when ``upper``), from ``A``'s
    Cholesky factor: two triangular solves."""
    if type(upper) is not bool:
        boolean(upper, "cholesky_solve", "upper", None)
    if B.ndim < 2:
        raise RuntimeError(
            f"b should have at least 2 dimensions, but has {B.ndim} dimensions instead"
        )
    _matrices(L, "cholesky_solve")
    if B.shape[-2] != L.shape[-1]:
        n = L.shape[-1]
        raise RuntimeError(
            f"Incompatible matrix sizes for cholesky_solve: each A matrix is {n} by {n} but "
            f"each b matrix is {B.shape[-2] if B.ndim > 1 else 1} by {B.shape[-1]}"
        )
    lower = L.mT if upper else L
    y = solve_triangular(lower, B, upper=False)
    return solve_triangular(lower.mT, y, upper=True)


def cholesky_inverse(L: Tensor, upper: bool = False) -> Tensor:  # noqa: N803
    """``A^-1`` for ``A = L L^T`` (``U^T U`` when ``upper``) from its Cholesky factor."""
    if type(upper) is not bool:
        boolean(upper, "cholesky_inverse", "upper", None)
    if L.ndim < 2 or L.shape[-1] != L.shape[-2]:
        if L.ndim < 2:
            raise RuntimeError(
                "cholesky_inverse: The input tensor A must have at least 2 dimensions."
            )
        raise RuntimeError(
            f"cholesky_inverse: A must be batches of square matrices, but they are "
            f"{L.shape[-2]} by {L.shape[-1]} matrices"
        )
    _refuse_lapack_dtype(L, "cholesky_inverse_out_cpu")
    eye = _make(xp.broadcast_to(_eye_like(L, L.shape[-1], L.shape[-1]), tuple(L.shape)).copy())
    return cholesky_solve(eye, L, upper)


def triangular_solve(
    b: Tensor,
    A: Tensor,  # noqa: N803
    upper: bool = True,
    transpose: bool = False,
    unitriangular: bool = False,
) -> return_types.triangular_solve:
    """PyTorch's older ``triangular_solve``: ``(X, A.clone())`` with ``A X = b`` (``A^T X = b``
    when ``transpose``)."""
    if type(upper) is not bool or type(transpose) is not bool or type(unitriangular) is not bool:
        booleans("triangular_solve", upper=upper, transpose=transpose, unitriangular=unitriangular)
    _deprecated(
        "torch.triangular_solve is deprecated in favor of torch.linalg.solve_triangularand will "
        "be removed in a future PyTorch release.\ntorch.linalg.solve_triangular has its "
        "arguments reversed and does not return a copy of one of the inputs.\nX = "
        "torch.triangular_solve(B, A).solution\nshould be replaced with\nX = "
        "torch.linalg.solve_triangular(A, B)."
    )
    coefficient = A.mT if transpose else A
    x = solve_triangular(coefficient, b, upper=upper != transpose, unitriangular=unitriangular)
    return return_types.triangular_solve(x, A.clone())


# ----------------------------------------------------------------------------- LU
def _refuse_no_pivoting(pivot: bool, op: str) -> None:
    if not pivot:
        raise RuntimeError(f"{op}: LU without pivoting is not implemented on the CPU")


def lu(A: Tensor, *, pivot: bool = True) -> return_types.linalg_lu:  # noqa: N803
    """``A = P L U``: ``P`` a permutation, ``L`` unit lower triangular (m x k), ``U`` upper
    triangular (k x n), ``k = min(m, n)``; partial pivoting as LAPACK's."""
    if type(pivot) is not bool:
        boolean(pivot, "linalg_lu", "pivot", None)
    _refuse_vectors(A, "linalg.lu")
    _refuse_lapack_dtype(A, "lu_cpu")
    _matrices(A, "lu", square=False)
    _refuse_no_pivoting(pivot, "linalg.lu_factor")  # PyTorch names the function lu runs
    return _lu(A)[0]


def _lu(A: Tensor) -> tuple[return_types.linalg_lu, Any, Any]:  # noqa: N803
    """``(P, L, U)`` and the arrays of LAPACK's pivots and ``info``."""
    data = physical(A)
    packed, pivots, info = lu_arrays(data)
    m, n = data.shape[-2:]
    k = min(m, n)
    p = permutation_arrays(pivots, m, data.dtype)
    lower = xp.tril(packed[..., :, :k], -1) + xp.eye(m, k, dtype=data.dtype)
    upper = xp.triu(packed[..., :k, :])
    factors = (p, lower, upper)
    parts = LU(1, factors)(A), LU(2, factors)(A)
    outputs = return_types.linalg_lu(_like(A, p), *parts)
    saved_together(parts, parts)  # PyTorch numbers L and U 0 and 1, and saves P too
    saved_together(parts, outputs[:1])
    return outputs, pivots, info


def _pack(lower: Tensor, upper: Tensor) -> Tensor:
    """``L`` (strictly below the diagonal) and ``U`` in one m x n matrix, as LAPACK keeps
    them."""
    m, k = lower.shape[-2:]
    n = upper.shape[-1]
    strict = tril(lower, -1)
    if m > k:
        pad = upper.new_zeros((*upper.shape[:-2], m - k, n))
        return strict + cat([upper, pad], -2)
    if n > k:
        pad = strict.new_zeros((*strict.shape[:-2], m, n - k))
        return cat([strict, pad], -1) + upper
    return strict + upper


def lu_factor_ex(
    A: Tensor,  # noqa: N803
    *,
    pivot: bool = True,
    check_errors: bool = False,
) -> return_types.linalg_lu_factor_ex:
    """``(LU, pivots, info)``: ``L`` and ``U`` packed in one matrix, LAPACK's 1-based int32
    row swaps, and ``info`` (int32), the 1-based index of the first zero pivot or 0."""
    if type(pivot) is not bool or type(check_errors) is not bool:
        booleans("linalg_lu_factor_ex", pivot=pivot, check_errors=check_errors)
    _refuse_vectors(A, "torch.lu_factor_ex")
    _refuse_lapack_dtype(A, "lu_cpu")
    _matrices(A, "lu_factor_ex", square=False)
    _refuse_no_pivoting(pivot, "linalg.lu_factor_ex")
    (_, lower, upper), pivots, info = _lu(A)
    if check_errors and info.any():
        _raise_zero_pivot(info, "torch.linalg.lu_factor_ex")
    outputs = _packed(A, lower, upper, pivots)
    return return_types.linalg_lu_factor_ex(*outputs, _like(A, info))


def lu_factor(A: Tensor, *, pivot: bool = True) -> return_types.linalg_lu_factor:  # noqa: N803
    """``(LU, pivots)`` of :func:`lu_factor_ex`; a zero pivot raises, as ``lu_solve`` would
    divide by it."""
    if type(pivot) is not bool:
        boolean(pivot, "linalg_lu_factor", "pivot", None)
    _refuse_vectors(A, "torch.lu_factor")
    _refuse_lapack_dtype(A, "lu_cpu")
    _matrices(A, "lu_factor", square=False)
    _refuse_no_pivoting(pivot, "linalg.lu_factor")
    (_, lower, upper), pivots, info = _lu(A)
    if info.any():
        _raise_zero_pivot(info, "torch.linalg.lu_factor")
    return return_types.linalg_lu_factor(*_packed(A, lower, upper, pivots))


def _packed(A: Tensor, lower: Tensor, upper: Tensor, pivots: Any) -> tuple[Tensor, Tensor]:  # noqa: N803
    """``(LU, pivots)`` of ``lu_factor``, both guarded as PyTorch's node saves them."""
    outputs = lapack_result(_pack(lower, upper), "LinalgLuFactorExBackward0"), _like(A, pivots)
    saved_together((lower, upper), outputs)
    return outputs


def _raise_zero_pivot(info: Any, op: str) -> None:
    first = int(xp.flatnonzero(info)[0])
    where_ = f"(Batch element {first}): " if info.ndim else ""
    i = int(info.reshape(-1)[first])
    raise RuntimeError(
        f"{op}: {where_}U[{i},{i}] is zero and using it on lu_solve would result in a division "
        "by zero. If you still want to perform the factorization, consider calling "
        "linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)"
    )


def lu_unpack(
    LU_data: Tensor,  # noqa: N803
    LU_pivots: Tensor,  # noqa: N803
    unpack_data: bool = True,
    unpack_pivots: bool = True,
) -> return_types.lu_unpack:
    """``(P, L, U)`` from :func:`lu_factor`'s packed matrix and pivots (``L`` and ``U``
    differentiable in the packed matrix; empty where not asked for)."""
    if type(unpack_data) is not bool or type(unpack_pivots) is not bool:
        booleans("lu_unpack", unpack_data=unpack_data, unpack_pivots=unpack_pivots)
    _refuse_vectors(LU_data, "torch.lu_unpack")
    m, n = LU_data.shape[-2:]
    k = min(m, n)
    empty = LU_data.new_zeros((0,))
    if unpack_data:
        lower = _unit_diagonal_rect(tril(LU_data, -1)[..., :, :k])
        upper = triu(LU_data)[..., :k, :]
    else:
        lower = upper = empty
    if unpack_pivots:
        if LU_pivots.dtype.dtype != xp.int32:  # lu_factor's dtype (floats were truncated)
            raise RuntimeError(
                "torch.lu_unpack: LU_pivots is expected to be a contiguous tensor of "
                "torch.int32 dtype.\nNote: this function is intended to be used with the output "
                "produced by torch.linalg.lu_factor"
            )
        p = _like(LU_pivots, permutation_arrays(physical(LU_pivots), m, LU_data.dtype.dtype))
    else:
        p = empty
    return return_types.lu_unpack(p, lower, upper)


def _unit_diagonal_rect(strict: Tensor) -> Tensor:
    """A strictly lower m x k matrix plus the m x k identity."""
    m, k = strict.shape[-2:]
    return strict + _eye_like(strict, m, k)


def lu_solve(
    LU: Tensor,  # noqa: N803
    pivots: Tensor,
    B: Tensor,  # noqa: N803
    *,
    left: bool = True,
    adjoint: bool = False,
) -> Tensor:
    """``X`` with ``A X = B`` for ``A = P L U`` given as :func:`lu_factor` gives it
    (``A^T X = B`` when ``adjoint``, ``X A = B`` when not ``left``), differentiable in ``LU``
    and ``B``."""
    if type(left) is not bool or type(adjoint) is not bool:
        booleans("linalg_lu_solve", left=left, adjoint=adjoint)
    _matrices(LU, "lu_solve")
    _refuse_fewer_dims(B, "linalg.lu_solve")
    n = LU.shape[-1]
    if B.shape[-2 if left else -1] != n:
        raise RuntimeError(
            f"linalg.lu_solve: Incompatible shapes of A and B for the equation "
            f"{'AX = B' if left else 'XA = B'} ({n}x{n} and {B.shape[-2]}x{B.shape[-1]})"
        )
    if not left:  # X A = B  <=>  A^T X^T = B^T
        return lu_solve(LU, pivots, B.mT, adjoint=not adjoint).mT
    p, _, _ = lu_unpack(LU, pivots, unpack_data=False)
    if adjoint:  # A^T = U^T L^T P^T
        y = solve_triangular(LU.mT, B, upper=False)
        y = solve_triangular(LU.mT, y, upper=True, unitriangular=True)
        return lapack_result(matmul(p, y), "LinalgLuSolveBackward0")
    y = solve_triangular(LU, matmul(p.mT, B), upper=False, unitriangular=True)
    return solve_triangular(LU, y, upper=True)


def lu_legacy(A: Tensor, pivot: bool = True, get_infos: bool = False) -> tuple[Tensor, ...]:  # noqa: N803
    """PyTorch's older ``torch.lu``: ``(LU, pivots)``, and ``infos`` when ``get_infos``
    (a zero pivot does not raise). ``get_infos`` is read by its truth, as PyTorch's Python
    function reads it; ``pivot`` goes on to ``_lu_with_info``, which takes a bool only."""
    if type(pivot) is not bool:
        boolean(pivot, "_lu_with_info", "pivot", None)
    _deprecated(
        "torch.lu is deprecated in favor of torch.linalg.lu_factor / torch.linalg.lu_factor_ex "
        "and will be removed in a future PyTorch release.\nLU, pivots = torch.lu(A, "
        "compute_pivots)\nshould be replaced with\nLU, pivots = torch.linalg.lu_factor(A, "
        "compute_pivots)\nand\nLU, pivots, info = torch.lu(A, compute_pivots, "
        "get_infos=True)\nshould be replaced with\nLU, pivots, info = "
        "torch.linalg.lu_factor_ex(A, compute_pivots)"
    )
    tensor_argument("_lu_with_info", A)  # after the warning, as PyTorch's kernel checks
    factors = lu_factor_ex(A, pivot=pivot)
    return tuple(factors) if get_infos else tuple(factors[:2])


def lu_solve_legacy(b: Tensor, LU_data: Tensor, LU_pivots: Tensor) -> Tensor:  # noqa: N803
    """PyTorch's older ``torch.lu_solve(b, LU_data, LU_pivots)``."""
    _deprecated(
        "torch.lu_solve is deprecated in favor of torch.linalg.lu_solveand will be removed in a "
        "future PyTorch release.\nNote that torch.linalg.lu_solve has its arguments reversed.\n"
        "X = torch.lu_solve(B, LU, pivots)\nshould be replaced with\nX = "
        "torch.linalg.lu_solve(LU, pivots, B)"
    )
    return lu_solve(LU_data, LU_pivots, b)


# ----------------------------------------------------------------------------- *_ex variants
def _info_of(data: Any) -> Any:
    return lu_arrays(data)[2] if data.shape[-1] else xp.zeros(data.shape[:-2], xp.int32)


def inv_ex(A: Tensor, *, check_errors: bool = False) -> return_types.linalg_inv_ex:  # noqa: N803
    """``(inverse, info)``: ``info`` (int32) is 0, or the 1-based index of LU's first zero
    pivot, where that matrix's inverse is nan (PyTorch's holds inf and nan there)."""
    if type(check_errors) is not bool:
        boolean(check_errors, "linalg_inv_ex", "check_errors", None)
    _matrices(A, "inv")
    info = _info_of(physical(A))
    if check_errors and info.any():
        raise not_invertible("linalg.inv_ex", info)
    return return_types.linalg_inv_ex(_where_solved(A, info, linalg.inv), _like(A, info))


def not_invertible(function: str, info: Any) -> LinAlgError:
    """PyTorch's error for singular matrices: the first batch element that is, and its LU's
    first zero pivot (``info`` as :func:`inv_ex` gives it)."""
    return LinAlgError(
        f"{function}: {batch_prefix(info)}The diagonal element {_first(info)} is zero, the "
        "inversion could not be completed because the input matrix is singular."
    )


def solve_ex(
    A: Tensor,  # noqa: N803
    B: Tensor,  # noqa: N803
    *,
    left: bool = True,
    check_errors: bool = False,
) -> return_types.linalg_solve_ex:
    """``(solve(A, B), info)``, ``info`` as in :func:`inv_ex`."""
    if type(left) is not bool or type(check_errors) is not bool:
        booleans("linalg_solve_ex", left=left, check_errors=check_errors)
    _matrices(A, "solve")
    linalg.refuse_two_dtypes("linalg.solve", ("A", A), ("B", B))
    info = _info_of(physical(A))
    if check_errors and info.any():
        raise LinAlgError(
            "torch.linalg.solve_ex: The solver failed because the input matrix is singular."
        )
    vector = left and linalg.vector_rhs(A, B)
    return return_types.linalg_solve_ex(
        _where_solved(A, info, lambda a: linalg.solve(a, B, left=left), 1 if vector else 2),
        _like(A, info),
    )


def cholesky_ex(
    A: Tensor,  # noqa: N803
    *,
    upper: bool = False,
    check_errors: bool = False,
) -> return_types.linalg_cholesky_ex:
    """``(L, info)``: ``info`` (int32) is 0, or the order of the first leading minor that is
    not positive-definite, where that matrix's factor is nan (PyTorch's holds LAPACK's
    partial factorization)."""
    if type(upper) is not bool or type(check_errors) is not bool:
        booleans("linalg_cholesky_ex", upper=upper, check_errors=check_errors)
    _matrices(A, "cholesky")
    data = physical(A)
    info = cholesky_info(data)
    if check_errors and info.any():
        raise not_positive_definite("linalg.cholesky_ex", info)
    return return_types.linalg_cholesky_ex(
        _where_solved(A, info, lambda a: linalg.cholesky(a, upper=upper)), _like(A, info)
    )


def not_positive_definite(function: str, info: Any) -> LinAlgError:
    """PyTorch's error for matrices without a Cholesky factor: the first batch element that
    has none, and the order of its first leading minor that is not positive-definite
    (``info`` as :func:`cholesky_info` gives it)."""
    return LinAlgError(
        f"{function}: {batch_prefix(info)}The factorization could not be completed because the "
        f"input is not positive-definite (the leading minor of order {_first(info)} is not "
        "positive-definite)."
    )


def cholesky_info(data: Any) -> Any:
    """The order of each matrix's first leading minor that has no Cholesky factor, or 0."""
    batch = data.shape[:-2]
    info = xp.zeros(batch, dtype=xp.int32)
    try:
        # a nan passes through NumPy's factorization; LAPACK's test of each pivot (PyTorch's)
        # fails on it: no pivot is "> 0"
        if not xp.isnan(xp.linalg.cholesky(data)).any():
            return info
    except xp.linalg.LinAlgError:
        pass
    for index in xp.ndindex(*batch):
        for order in range(1, data.shape[-1] + 1):
            try:
                failed = xp.isnan(xp.linalg.cholesky(data[index][:order, :order])[-1, -1])
            except xp.linalg.LinAlgError:
                failed = True
            if failed:
                info[index] = order
                break
    return info


def _first(info: Any) -> int:
    return int(info.reshape(-1)[xp.flatnonzero(info)[0]])


def _where_solved(A: Tensor, info: Any, solve: Any, core: int = 2) -> Tensor:  # noqa: N803
    """``solve(A)``, with the matrices whose ``info`` is not 0 replaced by the identity before
    and by nan after (so the others' values and gradients are those of ``solve``); each
    result is a matrix, or a vector (``core`` 1) for a solve with a vector right-hand side."""
    if not info.any():
        return solve(A)
    failed = xp.asarray(info != 0)
    n = A.shape[-1]
    safe = where(failed[..., None, None], _eye_like(A, n, n), A)
    out = solve(safe)
    return where(failed.reshape(failed.shape + (1,) * core), xp.asarray(xp.nan, A.dtype.dtype), out)


# ----------------------------------------------------------------------------- least squares
_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")
_LSTSQ = "LinalgLstsqBackward0"


def lstsq(
    A: Tensor,  # noqa: N803
    B: Tensor,  # noqa: N803
    rcond: float | None = None,
    *,
    driver: str | None = None,
) -> return_types.linalg_lstsq:
    """The least-squares (and, for wide or rank-deficient ``A``, minimum-norm) ``X`` of
    ``A X = B``, as ``pinv(A) @ B`` (whose derivative is PyTorch's rule), with the
    ``residuals``, ``rank`` and ``singular_values`` the ``driver`` reports (default ``gelsy``:
    the rank only)."""
    if not (driver is None or isinstance(driver, str)):  # its value is checked below
        raise mistyped("linalg_lstsq", "driver", None, "str", driver)
    if A.ndim < 2:
        raise RuntimeError("torch.linalg.lstsq: input must have at least 2 dimensions.")
    _matrices(A, "lstsq", square=False)
    driver = "gelsy" if driver is None else driver
    if driver not in _DRIVERS:
        raise RuntimeError(
            "torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)"
        )
    vector = B.ndim == A.ndim - 1  # lstsq's rule (unlike solve's): no shape test
    rhs = B.unsqueeze(-1) if vector else B
    if rhs.shape[-2] != A.shape[-2]:
        raise RuntimeError("torch.linalg.lstsq: input.size(-2) should match other.size(-2)")
    m, n = A.shape[-2:]
    if rcond is None:
        rcond = float(xp.finfo(A.dtype.dtype).eps) * max(m, n)
    # LAPACK writes the solution over a column-major copy of B, as tall as A or as wide
    solution = lapack_result(matmul(linalg.pinv(A, rtol=rcond), rhs), _LSTSQ, max(m, n))
    s = svd_arrays(physical(A), compute_uv=False)
    rank = (s > rcond * s[..., :1]).sum(-1)
    empty = A.new_zeros((0,))
    residuals = empty
    if driver != "gelsy" and m > n and bool((rank == n).all()):
        residuals = ((matmul(A, solution) - rhs) ** 2).sum(-2)
        residuals = residuals.squeeze(-1) if vector else residuals
    rank_out = (
        _make(xp.asarray(rank, dtype=xp.int64))
        if driver != "gels"
        else _make(xp.zeros((0,), xp.int64))
    )
    values = _make(s.copy()) if driver in ("gelsd", "gelss") else empty
    return return_types.linalg_lstsq(
        solution.squeeze(-1) if vector else solution, residuals, rank_out, values
    )


# ----------------------------------------------------------------------------- matrix functions
def matrix_exp(A: Tensor) -> Tensor:  # noqa: N803
    """``exp(A) = I + A + A^2 / 2 + ...`` of a (batch of) square matrices."""
    if not A.is_floating_point():
        raise RuntimeError(
            "linalg.matrix_exp: Expected a floating point or complex tensor as input. Got "
            f"{dtypes.scalar_type_name(A.dtype.dtype)}"
        )
    _matrices(A, "matrix_exp")
    return MatrixExp()(A)


def cond(A: Tensor, p: Any = None) -> Tensor:  # noqa: N803
    """The condition number ``norm(A, p) * norm(A^-1, p)`` (inf for a singular ``A``); for
    ``p`` None, 2 or -2 the ratio of the extreme singular values (rectangular ``A`` allowed)."""
    if A.ndim < 2:
        raise RuntimeError("linalg.cond: The input tensor must have at least 2 dimensions.")
    if p not in (None, 2, -2, 1, -1, "fro", "nuc", float("inf"), float("-inf")):
        raise RuntimeError(f"linalg.cond got an invalid norm type: {p}")
    if A.numel() == 0 and A.is_floating_point() and p not in ("fro", "nuc"):
        # PyTorch's zeros, even for a 3 x 0 A (its Frobenius and nuclear cond check the shape)
        return linalg.matrix_norm(A)
    if p in (None, 2, -2):
        _matrices(A, "cond", square=False)
        s = linalg.svdvals(A)
        high, low = s[..., 0], s[..., -1]
        return high / low if p != -2 else low / high
    _matrices(A, f"cond(ord={p})")
    inverse, info = inv_ex(A)
    result = linalg.matrix_norm(A, p) * linalg.matrix_norm(inverse, p)
    if not physical(info).any():
        return result
    return where(physical(info) != 0, xp.asarray(xp.inf, result.dtype.dtype), result)


def householder_product(A: Tensor, tau: Tensor) -> Tensor:  # noqa: N803
    """The first n columns of ``H_1 ... H_k``, ``H_i = I - tau_i v_i v_i^T`` with ``v_i`` the
    i-th column of ``A`` below the diagonal and 1 on it (LAPACK's ``orgqr``)."""
    name = "torch.linalg.householder_product"
    if A.ndim < 2:
        raise RuntimeError(f"{name}: input must have at least 2 dimensions.")
    if tau.ndim != A.ndim - 1:
        raise RuntimeError(
            f"{name}: Expected tau to have one dimension less than input, but got tau.ndim "
            f"equal to {tau.ndim} and input.ndim is equal to {A.ndim}"
        )
    m, n = A.shape[-2:]
    if m < n:
        raise RuntimeError(
            f"{name}: input.shape[-2] must be greater than or equal to input.shape[-1]"
        )
    if n < tau.shape[-1]:
        raise RuntimeError(
            f"{name}: input.shape[-1] must be greater than or equal to tau.shape[-1]"
        )
    _refuse_lapack_dtype(A, "orgqr_cpu")
    start = _make(xp.broadcast_to(_eye_like(A, m, n), (*A.shape[:-2], m, n)).copy())
    return lapack_result(_reflect(A, tau, start, False), "LinalgHouseholderProductBackward0")


def _reflect(A: Tensor, tau: Tensor, X: Tensor, transpose: bool) -> Tensor:  # noqa: N803
    """``Q X`` (``Q^T X`` when ``transpose``) for ``Q = H_1 ... H_k`` held as ``A``'s
    reflectors and ``tau``: one rank-one update per reflector."""
    k = tau.shape[-1]
    vectors = _unit_diagonal_rect(tril(A, -1)[..., :, :k]) if k else A[..., :, :0]
    order = range(k) if transpose else reversed(range(k))
    for i in order:
        v = vectors[..., :, i : i + 1]  # m x 1
        X = X - tau[..., i, None, None] * (v @ (v.mT @ X))
    return X


def ormqr(
    input: Tensor,  # noqa: A002
    tau: Tensor,
    other: Tensor,
    left: bool = True,
    transpose: bool = False,
) -> Tensor:
    """``other`` multiplied by the full ``Q`` whose reflectors ``input`` and ``tau`` hold
    (:func:`geqrf`'s): ``Q C``, ``Q^T C``, ``C Q`` or ``C Q^T``."""
    if type(left) is not bool or type(transpose) is not bool:
        booleans("ormqr", left=left, transpose=transpose)
    name = "torch.ormqr"
    if input.ndim < 2:
        raise RuntimeError(f"{name}: input must have at least 2 dimensions.")
    if other.ndim < 2:
        raise RuntimeError(f"{name}: other must have at least 2 dimensions.")
    if tau.ndim != input.ndim - 1:
        raise RuntimeError(
            f"{name}: Expected tau to have one dimension less than input, but got tau.ndim "
            f"equal to {tau.ndim} and input.ndim is equal to {input.ndim}"
        )
    side = -2 if left else -1
    if other.shape[side] != input.shape[-2]:
        raise RuntimeError(f"{name}: other.shape[{side}] must be equal to input.shape[-2]")
    if tau.shape[-1] != min(other.shape[side], input.shape[-1]):
        raise RuntimeError(
            f"{name}: tau.shape[-1] must be equal to min(other.shape[{side}], input.shape[-1])"
        )
    if left:
        return lapack_result(_reflect(input, tau, other, transpose), "OrmqrBackward0")
    return _reflect(input, tau, other.mT, not transpose).mT


def geqrf(input: Tensor) -> return_types.geqrf:  # noqa: A002
    """LAPACK's ``geqrf``: ``R`` on and above the diagonal of ``a`` and the Householder
    vectors below it, with their scales ``tau``. PyTorch has no derivative: a backward through
    them raises there, as here (:class:`chainrule.op.FormulaNotImplemented`)."""
    if input.ndim < 2:
        raise RuntimeError("torch.geqrf: input must have at least 2 dimensions.")
    _refuse_lapack_dtype(input, "geqrf_cpu")

    def factors(x: Tensor) -> return_types.geqrf:
        h, tau = xp.linalg.qr(physical(x), mode="raw")
        # NumPy's raw h is the transpose of LAPACK's column-major result
        return return_types.geqrf(_like(x, column_major(xp.swapaxes(h, -1, -2))), _like(x, tau))

    return without_derivative("geqrf", factors, input, formula=True)


# ----------------------------------------------------------------------------- tensor shapes
def tensorinv(A: Tensor, ind: int = 2) -> Tensor:  # noqa: N803
    """The inverse of ``A`` read as a matrix of ``prod(shape[:ind])`` rows: shape
    ``shape[ind:] + shape[:ind]``."""
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    rows, cols = math.prod(A.shape[:ind]), math.prod(A.shape[ind:])
    if rows != cols:
        raise RuntimeError(
            "Expected self to satisfy the requirement prod(self.shape[ind:]) == "
            f"prod(self.shape[:ind]), but got {cols} != {rows}"
        )
    return linalg.inv(A.reshape(rows, cols)).reshape(*A.shape[ind:], *A.shape[:ind])


def tensorsolve(A: Tensor, B: Tensor, dims: Any = None) -> Tensor:  # noqa: N803
    """``X`` with ``tensordot(A, X, X.ndim) = B``: shape ``A.shape[B.ndim:]`` (``dims`` of
    ``A`` moved to the end first)."""
    if dims is not None:
        dims = [d % A.ndim for d in dims]
        rest = [d for d in range(A.ndim) if d not in dims]
        A = A.permute(*rest, *dims)
    size = math.prod(A.shape[B.ndim :])
    if size != B.numel():
        raise RuntimeError(
            "Expected self to satisfy the requirement prod(self.shape[other.ndim:]) == "
            f"prod(self.shape[:other.ndim]), but got {size} != {B.numel()}"
        )
    x = linalg.solve(A.reshape(size, size), B.reshape(size))
    return x.reshape(*A.shape[B.ndim :])


def vander(x: Tensor, *, N: int | None = None) -> Tensor:  # noqa: N803
    """``x[..., i] ** j`` for ``j < N`` (default ``x.shape[-1]``), increasing powers along
    the new last dimension, as products (so ``x = 0`` has a finite gradient)."""
    if x.ndim < 1:
        raise RuntimeError("N must be greater than 1.")
    n = x.shape[-1] if N is None else N
    if n <= 1:
        raise RuntimeError("N must be greater than 1.")
    if x.dtype == dtypes.float16:
        raise RuntimeError(
            "linalg.vander supports floating point, complex, and integer tensors, but got Half"
        )
    powers = x.unsqueeze(-1).expand(*x.shape, n - 1).cumprod(-1)
    return cat([powers.new_ones((*x.shape, 1)), powers], -1)


def diagonal(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:  # noqa: N803
    """:func:`chainrule.diagonal` with the last two dimensions by default."""
    return _diagonal(A, offset, dim1, dim2)


def _refuse_complex_result(name: str, instead: str) -> Any:
    def refused(*args: Any, **kwargs: Any) -> Any:
        raise TypeError(
            f"linalg.{name}: complex dtypes are not supported (its result is complex for a "
            f"general real matrix); chainrule differentiates real tensors only: for a "
            f"symmetric matrix use linalg.{instead}"
        )

    refused.__name__ = refused.__qualname__ = name
    refused.__doc__ = (
        f"Refused: ``torch.linalg.{name}`` returns complex tensors; see ``{instead}``."
    )
    return refused


eig = _refuse_complex_result("eig", "eigh")
eigvals = _refuse_complex_result("eigvals", "eigvalsh")


# ------------------------------------------------------------------ older top-level names
def cholesky(A: Tensor, upper: bool = False) -> Tensor:  # noqa: N803
    """PyTorch's deprecated ``torch.cholesky``: :func:`chainrule.linalg.cholesky`, with its
    warning."""
    tensor_argument("cholesky", A)
    if type(upper) is not bool:
        boolean(upper, "cholesky", "upper", None)
    _deprecated(
        "torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be removed in "
        "a future PyTorch release.\nL = torch.cholesky(A)\nshould be replaced with\nL = "
        "torch.linalg.cholesky(A)\nand\nU = torch.cholesky(A, upper=True)\nshould be "
        "replaced with\nU = torch.linalg.cholesky(A).mH\nThis transform will produce "
        "equivalent results for all valid (symmetric positive definite) inputs."
    )
    return linalg.cholesky(A, upper=upper)


def qr(input: Tensor, some: bool = True) -> return_types.qr:  # noqa: A002
    """PyTorch's older ``torch.qr``: ``linalg.qr`` in mode ``reduced`` (``complete`` when not
    ``some``)."""
    if type(some) is not bool:
        boolean(some, "qr", "some", None)
    return return_types.qr(*linalg.qr(input, "reduced" if some else "complete"))


def svd(input: Tensor, some: bool = True, compute_uv: bool = True) -> return_types.svd:  # noqa: A002
    """PyTorch's older ``torch.svd``: ``(U, S, V)`` with ``V`` (not ``Vh``); without
    ``compute_uv`` the vectors are zeros of the full sizes."""
    if type(some) is not bool or type(compute_uv) is not bool:
        booleans("svd", some=some, compute_uv=compute_uv)
    if input.ndim < 2:
        raise RuntimeError(
            f"linalg.svd: input should have at least 2 dimensions, but has {input.ndim} "
            "dimensions instead"
        )
    m, n = input.shape[-2:]
    if not compute_uv:
        s = linalg.svdvals(input)
        batch = tuple(input.shape[:-2])
        return return_types.svd(input.new_zeros((*batch, m, m)), s, input.new_zeros((*batch, n, n)))
    u, s, vh = linalg.svd(input, full_matrices=not some)
    return return_types.svd(u, s, vh.mT)


def chain_matmul(*matrices: Tensor) -> Tensor:
    """PyTorch's deprecated ``chain_matmul``: :func:`chainrule.linalg.multi_dot` of 2-D
    matrices, with its warning."""
    _deprecated(
        "torch.chain_matmul is deprecated and will be removed in a future PyTorch release. "
        "Use torch.linalg.multi_dot instead, which accepts a list of two or more tensors rather "
        "than multiple parameters."
    )
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    for matrix in matrices:  # PyTorch's check: else one vector or 3-D tensor is its own product
        if matrix.ndim != 2:
            raise RuntimeError(f"Tensor dimension is {matrix.ndim}, expected 2 instead.")
    if len(matrices) == 1:
        return matrices[0].clone()
    return linalg.multi_dot(matrices)


def frobenius_norm(input: Tensor, dim: Any, keepdim: bool = False) -> Tensor:  # noqa: A002
    """The 2-norm over the dimensions ``dim``."""
    if type(keepdim) is not bool:
        boolean(keepdim, "frobenius_norm", "keepdim", None)
    return linalg.vector_norm(input, 2, dim, keepdim)


def nuclear_norm(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A002
    """The sum of the singular values (of the matrices in ``dim``, default the last two)."""
    if isinstance(dim, bool):  # nuclear_norm(input, keepdim)
        dim, keepdim = None, dim
    if type(keepdim) is not bool:  # fits neither signature, with dim or without
        given = (input,) if dim is None else (input, dim)
        raise no_overload("nuclear_norm", given, {"keepdim": keepdim})
    return linalg.matrix_norm(input, "nuc", (-2, -1) if dim is None else dim, keepdim)


# ----------------------------------------------------------------------------- randomized
def _approximate_basis(A: Tensor, q: int, niter: int, M: Tensor | None) -> Tensor:  # noqa: N803
    """Orthonormal columns ``Q`` with ``Q Q^T (A - M)`` close to ``A - M``: Halko et al.'s
    randomized range finder with ``niter`` subspace iterations, drawing as PyTorch's
    ``get_approximate_basis`` does (the same values for the same seed)."""
    from chainrule.factories import randn

    dtype = A.dtype if A.is_floating_point() else None
    R = randn(A.shape[-1], q, dtype=dtype)  # noqa: N806
    X = matmul(A, R)  # noqa: N806
    if M is not None:
        X = X - matmul(M, R)  # noqa: N806
    Q = linalg.qr(X).Q  # noqa: N806
    for _ in range(niter):
        X = matmul(A.mT, Q)  # noqa: N806
        if M is not None:
            X = X - matmul(M.mT, Q)  # noqa: N806
        Q = linalg.qr(X).Q  # noqa: N806
        X = matmul(A, Q)  # noqa: N806
        if M is not None:
            X = X - matmul(M, Q)  # noqa: N806
        Q = linalg.qr(X).Q  # noqa: N806
    return Q


def svd_lowrank(
    A: Tensor,  # noqa: N803
    q: int | None = 6,
    niter: int | None = 2,
    M: Tensor | None = None,  # noqa: N803
) -> tuple[Tensor, Tensor, Tensor]:
    """A rank-``q`` SVD ``(U, S, V)`` of ``A - M`` by random projection (Halko et al. 2009,
    algorithm 5), drawing from the global generator as PyTorch does: with the same seed the
    same factors. Differentiable through its QR and SVD steps."""
    q = 6 if q is None else q
    niter = 2 if niter is None else niter
    m, n = A.shape[-2:]
    if M is not None:
        M = M.broadcast_to(A.shape)  # noqa: N806
    if m < n:  # work on the tall transpose
        A = A.mT  # noqa: N806
        M = None if M is None else M.mT  # noqa: N806
    Q = _approximate_basis(A, q, niter, M)  # noqa: N806
    B = matmul(Q.mT, A)  # noqa: N806
    if M is not None:
        B = B - matmul(Q.mT, M)  # noqa: N806
    U, S, Vh = linalg.svd(B, full_matrices=False)  # noqa: N806
    U, V = matmul(Q, U), Vh.mT  # noqa: N806
    return (V, S, U) if m < n else (U, S, V)


def pca_lowrank(
    A: Tensor,  # noqa: N803
    q: int | None = None,
    center: bool = True,
    niter: int = 2,
) -> tuple[Tensor, Tensor, Tensor]:
    """:func:`svd_lowrank` of ``A`` less its column means (``center``), ``q`` at most
    ``min(6, m, n)`` by default: principal directions in ``V``."""
    m, n = A.shape[-2:]
    if q is None:
        q = min(6, m, n)
    elif not 0 <= q <= min(m, n):
        raise ValueError(
            f"q(={q}) must be non-negative integer and not greater than min(m, n)={min(m, n)}"
        )
    if not niter >= 0:
        raise ValueError(f"niter(={niter}) must be non-negative integer")
    if not center:
        return svd_lowrank(A, q, niter)
    return svd_lowrank(A - A.mean(dim=(-2,), keepdim=True), q, niter)


# ------------------------------------------------------------------ names PyTorch has removed
_REMOVED = "This function was deprecated since version 1.9 and is now removed."


def _removed(name: str, message: str) -> Any:
    def removed(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"{_REMOVED}{message}")

    removed.__name__ = removed.__qualname__ = name
    removed.__doc__ = "Removed from PyTorch: raises its error, which names what replaces it."
    return removed


matrix_rank_removed = _removed(
    "matrix_rank",
    "\nPlease use the `torch.linalg.matrix_rank` function instead. The parameter 'symmetric' "
    "was renamed in `torch.linalg.matrix_rank()` to 'hermitian'.",
)
lstsq_removed = _removed(
    "lstsq",
    " `torch.lstsq` is deprecated in favor of `torch.linalg.lstsq`.\n`torch.linalg.lstsq` has "
    "reversed arguments and does not return the QR decomposition in the returned tuple "
    "(although it returns other information about the problem).\n\nTo get the QR "
    "decomposition consider using `torch.linalg.qr`.\n\nThe returned solution in "
    "`torch.lstsq` stored the residuals of the solution in the last m - n columns of the "
    "returned value whenever m > n. In torch.linalg.lstsq, the residuals are in the field "
    "'residuals' of the returned named tuple.\n\nThe unpacking of the solution, as in\nX, _ = "
    "torch.lstsq(B, A).solution[:A.size(1)]\nshould be replaced with:\nX = "
    "torch.linalg.lstsq(A, B).solution",
)
eig_removed = _removed(
    "eig",
    " `torch.linalg.eig` returns complex tensors of dtype `cfloat` or `cdouble` rather than "
    "real tensors mimicking complex tensors.\n\nL, _ = torch.eig(A) should be replaced "
    "with:\nL_complex = torch.linalg.eigvals(A)\n\nand\n\nL, V = torch.eig(A, "
    "eigenvectors=True) should be replaced with:\nL_complex, V_complex = torch.linalg.eig(A)",
)
symeig_removed = _removed(
    "symeig",
    " The default behavior has changed from using the upper triangular portion of the matrix "
    "by default to using the lower triangular portion.\n\nL, _ = torch.symeig(A, "
    "upper=upper) should be replaced with:\nL = torch.linalg.eigvalsh(A, UPLO='U' if upper "
    "else 'L')\n\nand\n\nL, V = torch.symeig(A, eigenvectors=True) should be replaced "
    "with:\nL, V = torch.linalg.eigh(A, UPLO='U' if upper else 'L')",
)
