"""``chainrule.linalg`` is ``torch.linalg``: norms, inverse, determinants, solves and the
decompositions, each differentiable (the rules are in :mod:`chainrule.ops.decompositions`).

    >>> import chainrule as cr
    >>> A = cr.tensor([[2.0, 1.0], [1.0, 3.0]], requires_grad=True)
    >>> cr.linalg.det(A).backward()           # d det(A) / dA = det(A) A^-T
    >>> A.grad
    tensor([[ 3., -1.],
            [-1.,  2.]])
"""

from __future__ import annotations

import importlib
from typing import Any

from chainrule import arguments, dtypes, grad_mode, return_types
from chainrule._array import xp
from chainrule.autodiff.batching import physical, unwrap, wrap
from chainrule.memory_formats import contiguous_format
from chainrule.op import named
from chainrule.ops import reduce
from chainrule.ops.decompositions import (
    QR,
    SVD,
    Cholesky,
    Det,
    Eigh,
    Inv,
    Pinv,
    SlogDet,
    Solve,
    batch_prefix,
    column_major,
    lapack_result,
    rank_cutoff,
    saved_together,
    svd_arrays,
    symmetric_from_lower,
)
from chainrule.ops.inplace import zero_derivative
from chainrule.ops.shape import cat, stack
from chainrule.out import give_out
from chainrule.tensor import Tensor, _make


class LinAlgError(RuntimeError):
    """A matrix the function cannot handle: singular, or not positive-definite."""


def _matrices(A: Tensor, op: str, square: bool = True, floating: bool = True) -> None:  # noqa: N803 - PyTorch's name
    if A.ndim < 2:
        raise RuntimeError(f"linalg.{op}: The input tensor A must have at least 2 dimensions.")
    rows, cols = A.shape[-2:]
    if square and rows != cols:
        raise RuntimeError(
            f"linalg.{op}: A must be batches of square matrices, but they are {rows} by {cols} "
            "matrices"
        )
    # not ``_data``: a batched A (vmap) has a rule to run
    if floating and not A.is_floating_point():
        raise RuntimeError(
            f"linalg.{op}: Expected a floating point or complex tensor as input. Got "
            f"{dtypes.scalar_type_name(A.dtype.dtype)}"
        )
    if A.dtype == dtypes.float16 and op in _HALF_REFUSED:  # no LAPACK for float16
        raise _HALF_REFUSED[op](op)


def _low_precision(op: str) -> RuntimeError:
    return RuntimeError(f"linalg.{op}: Low precision dtypes not supported. Got Half")


def _kernel(name: str) -> Any:
    return lambda op: dtypes.not_implemented_for(name, dtypes.float16)


# PyTorch's errors for a float16 matrix, by function (matrix_norm's are by ord, in it)
_HALF_REFUSED = {
    "inv": _low_precision,
    "slogdet": _low_precision,
    "det": _kernel("lu_cpu"),
    "solve": _kernel("lu_cpu"),
    "cholesky": _kernel("cholesky_cpu"),
    "qr": _kernel("geqrf_cpu"),
    "eigh": _kernel("linalg_eigh_cpu"),
    "svd": _kernel("linalg_svd_cpu"),
    "ldl_factor_ex": _kernel("ldl_factor_kernel_cpu"),
    "matrix_rank": lambda op: RuntimeError(
        "This function doesn't handle types other than float and double"
    ),
}
_HALF_REFUSED["lstsq"] = _HALF_REFUSED["matrix_rank"]


def _records(A: Tensor) -> bool:  # noqa: N803
    return A.requires_grad and grad_mode.modes.enabled


def _like(x: Tensor, data: Any) -> Tensor:
    """A constant computed from ``physical(x)`` (pivots, ``info``, ``P``, ranks), seen through
    the vmap levels that batch ``x``."""
    return wrap(_make(data), unwrap(x)[1])


def inv(A: Tensor) -> Tensor:  # noqa: N803
    """The inverse of a square matrix (or of each in a batch)."""
    _matrices(A, "inv")
    try:
        return Inv()(A)
    except xp.linalg.LinAlgError:
        from chainrule.ops.linalg_more import _info_of, not_invertible  # a cycle

        info = _info_of(physical(A))
        if info.any():  # the zero pivot, as PyTorch's message names it
            raise not_invertible("linalg.inv", info) from None
        raise LinAlgError(
            f"linalg.inv: the inversion could not be completed because the input matrix of "
            f"shape {tuple(A.shape)} is singular"
        ) from None


def det(A: Tensor) -> Tensor:  # noqa: N803
    """The determinant; its gradient ``det(A) A^-T`` needs an invertible ``A``."""
    _matrices(A, "det")
    return Det()(A)


def slogdet(A: Tensor) -> return_types.linalg_slogdet:  # noqa: N803
    """``(sign, log|det A|)``: the determinant without overflow (``sign``'s gradient is 0)."""
    _matrices(A, "slogdet")
    data = physical(A)
    with xp.errstate(invalid="ignore"):  # a nan: no warning, as PyTorch
        sign, logabsdet = xp.linalg.slogdet(data)
    nan = xp.isnan(data).any((-2, -1))  # PyTorch's LU: sign 0 and a nan log (LAPACK's varies)
    factors = (xp.where(nan, 0, sign), xp.where(nan, xp.nan, logabsdet))
    parts = SlogDet(0, factors)(A), SlogDet(1, factors)(A)
    saved_together(parts, parts[:1])  # PyTorch's node saves the sign, not log|det A|
    return return_types.linalg_slogdet(*parts)


def refuse_two_dtypes(op: str, a: tuple[str, Tensor], b: tuple[str, Tensor]) -> None:
    """PyTorch's error for two operands (named) of two dtypes."""
    (a_name, x), (b_name, y) = a, b
    if x.dtype != y.dtype:
        name = dtypes.scalar_type_name
        raise RuntimeError(
            f"{op}: Expected {a_name} and {b_name} to have the same dtype, but found {a_name} of "
            f"type {name(x.dtype)} and {b_name} of type {name(y.dtype)} instead"
        )


def vector_rhs(A: Tensor, B: Tensor) -> bool:  # noqa: N803
    """PyTorch's rule for :func:`solve`: ``B`` is a (batch of) vector(s) when it has one
    dimension, or one fewer than ``A`` and ``A``'s shape but the last."""
    return B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))


def solve(A: Tensor, B: Tensor, *, left: bool = True) -> Tensor:  # noqa: N803
    """``X`` with ``A X = B`` (``X A = B`` when ``left=False``); ``B`` is a vector or matrix."""
    if type(left) is not bool:
        arguments.boolean(left, "linalg_solve", "left", None)
    _matrices(A, "solve")
    refuse_two_dtypes("linalg.solve", ("A", A), ("B", B))
    if not left:  # X A = B  <=>  A^T X^T = B^T
        return solve(A.mT, B.mT).mT
    n = A.shape[-1]
    vector = vector_rhs(A, B)
    rhs = B.unsqueeze(-1) if vector else B
    if rhs.ndim < 2 or rhs.shape[-2] != n:
        raise RuntimeError(
            f"linalg.solve: Incompatible shapes of A and B for the equation AX = B "
            f"({A.shape[-2]}x{n} and {'x'.join(str(d) for d in B.shape)})"
        )
    try:
        out = Solve()(A, rhs)
    except xp.linalg.LinAlgError:
        raise LinAlgError(
            f"linalg.solve: the solve could not be completed because the input matrix of "
            f"shape {tuple(A.shape)} is singular"
        ) from None
    if not vector:
        return out
    # a batch of vectors comes out of PyTorch's solve as the columns of column-major matrices
    out = out.squeeze(-1)
    return lapack_result(out, "LinalgSolveExBackward0") if out.ndim > 1 else out


def cholesky(A: Tensor, *, upper: bool = False) -> Tensor:  # noqa: N803
    """``L`` lower triangular with ``A = L L^T`` for a symmetric positive-definite ``A``."""
    if type(upper) is not bool:
        arguments.boolean(upper, "linalg_cholesky", "upper", None)
    _matrices(A, "cholesky")
    try:
        lower = Cholesky()(A)
    except xp.linalg.LinAlgError:
        from chainrule.ops.linalg_more import cholesky_info, not_positive_definite  # a cycle

        raise not_positive_definite("linalg.cholesky", cholesky_info(physical(A))) from None
    # LAPACK writes the upper factor itself, column-major as the lower one
    return lapack_result(lower.mT, "LinalgCholeskyExBackward0") if upper else lower


def qr(A: Tensor, mode: str = "reduced") -> return_types.linalg_qr:  # noqa: N803
    """``A = Q R`` with orthonormal columns in ``Q`` and ``R`` upper triangular."""
    if not isinstance(mode, str):  # an int was compared with the modes, and refused as one
        raise arguments.mistyped("linalg_qr", "mode", None, "str", mode)
    _matrices(A, "qr", square=False)
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(
            f"qr received unrecognized mode '{mode}' but expected one of "
            "'reduced' (default), 'r', or 'complete'"
        )
    m, n = A.shape[-2:]
    if mode == "r" and not _records(A):  # no op: the values only (under vmap, once per example)
        r = column_major(xp.linalg.qr(A._data, mode="r"))
        return return_types.linalg_qr(_make(xp.zeros((0,), dtype=r.dtype)), _make(r))
    complete = mode == "complete" and m > n  # square or wide: the reduced QR
    qr_mode = "complete" if complete else "reduced"
    factors = tuple(column_major(f) for f in xp.linalg.qr(physical(A), mode=qr_mode))
    # PyTorch's backward errors, raised when a gradient is asked for: the values stand
    refusal = _QR_WITHOUT_Q if mode == "r" else _QR_COMPLETE if complete else None
    R = QR(1, factors, refusal)(A)  # noqa: N806
    if mode == "r":
        return return_types.linalg_qr(_make(xp.zeros((0,), dtype=R.dtype.dtype)), R)
    parts = QR(0, factors, refusal)(A), R
    saved_together(parts, parts)
    return return_types.linalg_qr(*parts)


_QR_WITHOUT_Q = (
    "The derivative of linalg.qr depends on Q, which is not computed when mode='r'. Please use "
    "linalg.qr(A, mode='reduced') if you are going to differentiate through linalg.qr."
)
_QR_COMPLETE = "The QR decomposition is not differentiable when mode='complete' and nrows > ncols."


def eigh(A: Tensor, UPLO: str = "L") -> return_types.linalg_eigh:  # noqa: N803
    """Eigenvalues (ascending) and orthonormal eigenvectors of a symmetric matrix, from its
    ``UPLO`` triangle. The eigenvector gradient needs distinct eigenvalues."""
    refuse_uplo(UPLO, "linalg_eigh")
    if A.ndim >= 2 and not A.is_floating_point():
        raise dtypes.not_implemented_for("linalg_eigh_cpu", A.dtype.dtype)
    _matrices(A, "eigh")
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    source = A if UPLO == "L" else A.mT  # the upper triangle of A is the lower one of A^T
    data = physical(source)
    nan = xp.isnan(xp.tril(data)).any((-2, -1))
    if nan.any():  # LAPACK fails to converge, or answers finite numbers for some (PyTorch's too)
        raise LinAlgError(
            f"linalg.eigh: {batch_prefix(nan)}The algorithm failed to converge because the input "
            "matrix contained non-finite values."
        )
    values, vectors = xp.linalg.eigh(data, UPLO="L")
    factors = (values, column_major(vectors))
    parts = Eigh(0, factors)(source), Eigh(1, factors)(source)
    saved_together(parts, parts)
    return return_types.linalg_eigh(*parts)


def refuse_uplo(UPLO: Any, op: str) -> None:  # noqa: N803
    """PyTorch's TypeError for a ``UPLO`` that is no string (``op`` its internal name): its
    value is checked after the type, as a RuntimeError."""
    if not isinstance(UPLO, str):
        raise arguments.mistyped(op, "UPLO", None, "str", UPLO)


def svd(A: Tensor, full_matrices: bool = True) -> return_types.linalg_svd:  # noqa: N803
    """``A = U diag(S) Vh`` with singular values descending. Gradients need distinct singular
    values; with ``full_matrices`` the columns of ``U`` and rows of ``Vh`` beyond the reduced
    SVD's get none (PyTorch narrows their gradients away)."""
    if type(full_matrices) is not bool:  # 1 was read as True; the keyword is the usual way
        arguments.boolean(full_matrices, "linalg_svd", "full_matrices", None)
    _matrices(A, "svd", square=False)
    m, n = A.shape[-2:]
    if not full_matrices or m == n:
        u, s, vh = svd_arrays(physical(A))
        factors = (column_major(u), s, column_major(vh))
        parts = tuple(SVD(i, factors)(A) for i in range(3))
        saved_together(parts, parts)
        return return_types.linalg_svd(*parts)
    u, s, vh = svd_arrays(physical(A), full_matrices=True)
    k = min(m, n)
    factors = (u[..., :k], s, vh[..., :k, :])  # the reduced SVD's: the same numbers
    parts = U, S, Vh = tuple(SVD(i, factors)(A) for i in range(3))  # noqa: N806
    outputs = (
        lapack_result(cat([U, _like(A, u[..., k:])], -1), SVD.torch_name),
        S,
        lapack_result(cat([Vh, _like(A, vh[..., k:, :])], -2), SVD.torch_name),
    )
    saved_together(parts, outputs)
    return return_types.linalg_svd(*outputs)


def svdvals(A: Tensor) -> Tensor:  # noqa: N803
    """The singular values, descending."""
    return svd(A, full_matrices=False).S


def vector_norm(
    x: Tensor, ord: float = 2, dim: Any = None, keepdim: bool = False, *, dtype: Any = None
) -> Tensor:
    """The ``ord``-norm of ``x`` over ``dim`` (all elements by default), as a vector."""
    if type(keepdim) is not bool:
        arguments.boolean(keepdim, "linalg_vector_norm", "keepdim", None)
    reduce.refuse_integer_norm(x)  # before dtype= casts: PyTorch refuses the input itself
    if dtype is not None:
        x = x.to(dtype)
    return reduce.norm(x, ord, dim, keepdim)


def matrix_norm(A: Tensor, ord: Any = "fro", dim: Any = (-2, -1), keepdim: bool = False) -> Tensor:  # noqa: N803
    """``'fro'``, ``'nuc'``, ``1``, ``-1``, ``inf``, ``-inf``, ``2``, ``-2`` matrix norms over
    the two dimensions ``dim``."""
    if type(keepdim) is not bool or ord is None:  # fits neither signature (str or number ord)
        given = ((ord, "fro"), (dim, (-2, -1)))
        flags = {"keepdim": (keepdim, False)}
        raise arguments.no_overload_as_written("linalg_matrix_norm", (A,), given, flags)
    _matrices(A, "matrix_norm", square=False)
    dim = (dim,) if isinstance(dim, int) else tuple(dim)
    if len(dim) != 2:
        got = " ".join(str(d) for d in dim)
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {got}")
    rows, cols = (arguments.wrap_dim(d, A.ndim) for d in dim)  # no wrapping modulo ndim
    if rows == cols:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({rows}, {cols})")
    empty = A.shape[rows] == 0 or A.shape[cols] == 0
    if ord == "fro" or (empty and ord in (2, 1, float("inf"))):
        # an empty matrix's norm of a positive order is 0 (PyTorch's special case; the max of
        # no singular values or sums would raise): the Frobenius norm gives those zeros
        return reduce.norm(A, 2, (rows, cols), keepdim)
    if ord in ("nuc", 2, -2):
        if A.dtype == dtypes.float16:  # no SVD for float16
            raise _low_precision("matrix_norm")
        rest = [d for d in range(A.ndim) if d not in (rows, cols)]
        s = svdvals(A.permute(*rest, rows, cols))
        out = s.sum(-1) if ord == "nuc" else (s.amax(-1) if ord == 2 else s.amin(-1))
        if keepdim:
            for d in sorted((rows, cols)):
                out = out.unsqueeze(d)
        return out
    if ord in (1, -1, float("inf"), float("-inf")):
        # 1: the largest column sum of |A|; inf: the largest row sum.
        first, second = (rows, cols) if ord in (1, -1) else (cols, rows)
        sums = A.abs().sum(first, keepdim=True)
        pick = reduce.amax if ord > 0 else reduce.amin
        out = pick(sums, second, keepdim=True)
        return out if keepdim else out.squeeze((rows, cols))
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def norm(
    A: Tensor,  # noqa: N803
    ord: Any = None,
    dim: Any = None,
    keepdim: bool = False,
    *,
    dtype: Any = None,
) -> Tensor:
    """A vector norm (``dim`` an int, or a 1-D input) or a matrix norm (``dim`` a pair, or a
    2-D input); with neither ``ord`` nor ``dim``, the 2-norm of all elements."""
    if type(keepdim) is not bool:
        raise arguments.no_overload_as_written(
            "linalg_norm", (A,), ((ord, None), (dim, None)), {"keepdim": (keepdim, False)}
        )
    if dtype is not None:
        A = A.to(dtype)
    if isinstance(dim, int):
        dim = (dim,)
    if ord is None:
        return vector_norm(A, 2, dim, keepdim)
    if dim is None:
        if A.ndim not in (1, 2):
            raise RuntimeError(
                f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. "
                f"Got {A.ndim}D."
            )
        dim = tuple(range(A.ndim))
    if len(dim) == 2:
        return matrix_norm(A, ord, dim, keepdim)
    return vector_norm(A, ord, dim, keepdim)


# ---- compositions of the functions above and of matmul: their rules come with them
def matrix_power(A: Tensor, n: int) -> Tensor:  # noqa: N803
    """``A`` multiplied by itself ``n`` times by repeated squaring (``n = 0``: the identity,
    ``n < 0``: powers of the inverse).

        >>> import chainrule as cr
        >>> cr.linalg.matrix_power(cr.tensor([[1.0, 1.0], [0.0, 1.0]]), 3)
        tensor([[1., 3.],
                [0., 1.]])
    """
    _matrices(A, "matrix_power", floating=False)  # integers multiply, as PyTorch's do
    if n < 0:
        _matrices(A, "inv")  # an inverse needs floating point
    if n == 0:
        eye = xp.broadcast_to(xp.eye(A.shape[-1], dtype=A.dtype.dtype), tuple(A.shape))
        return zero_derivative(_make(eye.copy()), A)  # on A's graph, as PyTorch's
    if n == 1:  # a row-major copy, as PyTorch's (CloneBackward0): never A itself
        return A.clone(memory_format=contiguous_format)
    base, power, result = (inv(A) if n < 0 else A), abs(n), None
    while power:
        if power & 1:
            result = base if result is None else result @ base
        power >>= 1
        if power:
            base = base @ base
    return result


def multi_dot(tensors: Any) -> Tensor:
    """The product of a chain of matrices, left to right; the first may be a row vector and
    the last a column vector (1-D), as in ``torch.linalg.multi_dot``."""
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError("multi_dot(): expected at least 2 tensors but got " + str(len(tensors)))
    for i, t in enumerate(tensors):
        if t.ndim != 2 and not (t.ndim == 1 and i in (0, len(tensors) - 1)):
            raise RuntimeError(
                f"multi_dot(): tensor {i} must be 2D but got {t.ndim}D"
                if 0 < i < len(tensors) - 1
                else f"multi_dot(): the {'first' if i == 0 else 'last'} tensor must be 1D or "
                f"2D but got {t.ndim}D"
            )
    if len(tensors) == 2:
        return tensors[0] @ tensors[1]
    first, last = tensors[0].ndim == 1, tensors[-1].ndim == 1
    matrices = [
        tensors[0].unsqueeze(0) if first else tensors[0],
        *tensors[1:-1],
        tensors[-1].unsqueeze(-1) if last else tensors[-1],
    ]
    sizes = [m.shape[0] for m in matrices] + [matrices[-1].shape[1]]
    product = _chain(matrices, _chain_splits(sizes), 0, len(matrices) - 1)
    if last:
        product = product.squeeze(-1)
    return product.squeeze(0) if first else product


def _chain_splits(sizes: list[int]) -> dict[tuple[int, int], int]:
    """Where the cheapest product of matrices i..j (``sizes[i] x sizes[i + 1]`` each) splits,
    as PyTorch orders it (so its values round as PyTorch's): for three, ``(AB)C`` unless
    ``A(BC)`` costs less; for more, the classic dynamic program, the first cheapest split."""
    n = len(sizes) - 1
    if n == 3:
        a, b, c, d = sizes
        return {(0, 2): 0 if a * c * (b + d) > b * d * (a + c) else 1, (1, 2): 1, (0, 1): 0}
    cost = {(i, i): 0 for i in range(n)}
    splits: dict[tuple[int, int], int] = {}
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            options = [
                (cost[i, k] + cost[k + 1, j] + sizes[i] * sizes[k + 1] * sizes[j + 1], k)
                for k in range(i, j)
            ]
            cost[i, j], splits[i, j] = min(options)  # ties: the first k, as PyTorch's loop
    return splits


def _chain(matrices: list[Tensor], splits: dict[tuple[int, int], int], i: int, j: int) -> Tensor:
    if i == j:
        return matrices[i]
    k = splits[i, j]
    return _chain(matrices, splits, i, k) @ _chain(matrices, splits, k + 1, j)


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """The dot product of the vectors along ``dim`` (broadcast): ``(x * y).sum(dim)``."""
    refuse_two_dtypes("linalg.vecdot", ("x", x), ("y", y))
    return reduce.sum(x * y, dim)


def cross(input: Tensor, other: Tensor, *, dim: int = -1) -> Tensor:  # noqa: A002
    """The cross product of 3-vectors along ``dim`` (the other dimensions broadcast)."""
    if input.ndim != other.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    from chainrule.ops.linalg import expect_one_dtype  # a cycle

    expect_one_dtype(input, other)
    if input.shape[dim] != 3 or other.shape[dim] != 3:
        raise RuntimeError(
            f"linalg.cross: inputs dimension {dim} must have length 3. Got "
            f"{input.shape[dim]} and {other.shape[dim]}"
        )
    a, b = input.unbind(dim), other.unbind(dim)
    parts = [a[(i + 1) % 3] * b[(i + 2) % 3] - a[(i + 2) % 3] * b[(i + 1) % 3] for i in range(3)]
    return named(stack(parts, dim), "LinalgCrossBackward0")  # one node in PyTorch's graph


def eigvalsh(A: Tensor, UPLO: str = "L") -> Tensor:  # noqa: N803
    """The eigenvalues (ascending) of a symmetric matrix: :func:`eigh`'s first output."""
    refuse_uplo(UPLO, "linalg_eigvalsh")
    return eigh(A, UPLO).eigenvalues


def pinv(
    A: Tensor,  # noqa: N803
    rcond: float | None = None,
    hermitian: bool = False,
    *,
    atol: float | None = None,
    rtol: float | None = None,
) -> Tensor:
    """The Moore-Penrose pseudo-inverse ``V diag(1/s) U^T`` from the SVD, singular values
    at most ``max(atol, rtol * s_max)`` taken as zero (PyTorch's default ``rtol``:
    ``eps * max(m, n)`` when neither is given). With ``hermitian`` PyTorch takes the
    eigendecomposition, which reads ``A``'s lower triangle alone; here the SVD of the
    symmetric matrix it holds serves. ``rcond`` is PyTorch's older name of ``rtol``."""
    if type(hermitian) is not bool:
        given = ((rcond, None),)
        raise arguments.no_overload_as_written(
            "linalg_pinv", (A,), given, {"hermitian": (hermitian, False)}
        )
    if A.ndim < 2 or not A.is_floating_point() or A.dtype == dtypes.float16:
        raise RuntimeError(
            f"linalg.pinv({dtypes.scalar_type_name(A.dtype.dtype)}{{{list(A.shape)}}}): expected "
            "a tensor with 2 or more dimensions of float, double, cfloat or cdouble types"
        )
    if hermitian:
        _matrices(A, "eigh")
    return Pinv(atol, rtol if rcond is None else rcond, hermitian)(A)


def matrix_rank(
    A: Tensor,  # noqa: N803
    tol: float | None = None,
    hermitian: bool = False,
    *,
    atol: float | None = None,
    rtol: float | None = None,
) -> Tensor:
    """The number of singular values above ``max(atol, rtol * s_max)`` (int64, no gradient;
    the tolerances as in :func:`pinv`; ``tol``, PyTorch's older name, is ``atol`` with
    ``rtol`` 0)."""
    if type(hermitian) is not bool:
        raise arguments.no_overload_as_written(
            "linalg_matrix_rank", (A,), ((tol, None),), {"hermitian": (hermitian, False)}
        )
    if tol is not None:
        atol, rtol = tol, 0.0
    _matrices(A, "matrix_rank", square=False)
    if hermitian:
        _matrices(A, "eigh")
    data = symmetric_from_lower(physical(A)) if hermitian else physical(A)  # as eigvalsh reads
    s = svd_arrays(data, compute_uv=False)
    return _make(xp.asarray((s > rank_cutoff(data, s, atol, rtol)).sum(-1), dtype=xp.int64))


# ---- linear algebra (more): triangular and Cholesky solves, LU, least squares, matrix_exp,
# Householder products, tensor solves and the *_ex variants, from chainrule.ops.linalg_more
# and chainrule.ops.ldl. They build on the functions above, so they are looked up by name when
# first asked for (PEP 562) rather than imported here, which would make an import cycle.
from chainrule.ops.linalg import matmul as matmul  # noqa: E402

_DEFINED_IN = {
    "cholesky_ex": "linalg_more",
    "cond": "linalg_more",
    "diagonal": "linalg_more",
    "eig": "linalg_more",
    "eigvals": "linalg_more",
    "householder_product": "linalg_more",
    "inv_ex": "linalg_more",
    "lstsq": "linalg_more",
    "lu": "linalg_more",
    "lu_factor": "linalg_more",
    "lu_factor_ex": "linalg_more",
    "lu_solve": "linalg_more",
    "matrix_exp": "linalg_more",
    "solve_ex": "linalg_more",
    "solve_triangular": "linalg_more",
    "tensorinv": "linalg_more",
    "tensorsolve": "linalg_more",
    "vander": "linalg_more",
    "ldl_factor": "ldl",
    "ldl_factor_ex": "ldl",
    "ldl_solve": "ldl",
}


# PyTorch's out= (chainrule.out) on every function of torch.linalg that takes it, by its rule
# for out's dtype (tests/test_out_every_function.py checks them against PyTorch's); those loaded
# on first use get it then.
_OUT_RULES: dict[str, dict[str, Any]] = {
    name: rule
    for names, rule in (
        # structured kernels: out of the result's dtype
        (
            "cholesky cross det eigvalsh inv ldl_solve lu_solve matmul matrix_norm matrix_power "
            "multi_dot norm solve solve_triangular svdvals vecdot vector_norm",
            {"exact": True},
        ),
        # the result cast into out, or several results (each out of its dtype)
        (
            "cholesky_ex cond eigh householder_product inv_ex ldl_factor ldl_factor_ex lu "
            "lu_factor lu_factor_ex matrix_rank pinv qr slogdet solve_ex svd tensorinv tensorsolve",
            {},
        ),
    )
    for name in names.split()
}
for _name in _OUT_RULES.keys() - _DEFINED_IN.keys():
    give_out(globals(), _name, **_OUT_RULES[_name])
del _name


def __getattr__(name: str) -> Any:
    """``chainrule.linalg.lu`` and the other functions of ``_DEFINED_IN``, from their module."""
    if name not in _DEFINED_IN:
        raise AttributeError(f"module 'chainrule.linalg' has no attribute '{name}'")
    value = getattr(importlib.import_module(f"chainrule.ops.{_DEFINED_IN[name]}"), name)
    globals()[name] = value  # found once: later lookups are plain attribute reads
    if name in _OUT_RULES:
        give_out(globals(), name, **_OUT_RULES[name])
    return globals()[name]


def __dir__() -> list[str]:
    return sorted([*globals(), *_DEFINED_IN])
