"""Matrix functions and decompositions with their derivative rules: inverse, determinant,
``slogdet``, ``solve``, Cholesky, QR, symmetric eigendecomposition and SVD.

The rules are the matrix-calculus ones PyTorch uses (``FunctionsManual.cpp``), written with
operators and the helpers below so they run on arrays (plain backward) and on Tensors
(``create_graph=True``). A decomposition with several outputs is one op per output (``part``):
its reverse rule is linear in the output gradients, so the per-output gradients simply add up.
The factors are computed once, by the public function, and shared by the parts; under
``create_graph`` the rules recompute them from the recorded input, so they differentiate too.

    >>> import numpy as np
    >>> a = np.array([[2.0, 0.0], [0.0, 4.0]])
    >>> Inv()(a).numpy()
    array([[0.5 , 0.  ],
           [0.  , 0.25]])
"""

from __future__ import annotations

from typing import Any

from chainrule import grad_mode
from chainrule._array import xp
from chainrule.autodiff import batching, forward
from chainrule.op import Linear, Op, _value, named
from chainrule.ops import dual
from chainrule.ops.broadcast import broadcast_shape
from chainrule.ops.elementwise import Unary
from chainrule.tensor import Tensor


# ----------------------------------------------------------------------------- LAPACK's layout
def column_major(m: Any, rows: int | None = None) -> Any:
    """The matrices ``m`` (an array, any batch dimensions) with each one's columns contiguous:
    strides ``(..., 1, rows)``, as LAPACK writes its results and PyTorch keeps them (its
    ``inv``, ``solve``, ``cholesky``, the factors of ``qr``, ``eigh``, ``svd``, ``lu_factor``).
    NumPy hands them over row-major; the layout shows to code written for PyTorch: a
    ``view(-1)`` of such a result is refused, and ``flatten`` or ``reshape`` copy it, so a
    later in-place change of the result does not reach what they returned. A copy of the
    n^2 entries beside the n^3 of the factorization. ``rows`` larger than ``m``'s: the
    matrices are the first rows of taller column-major ones, as ``lstsq``'s solution, which
    LAPACK writes over the right-hand side.

        >>> column_major(xp.eye(2, 3)).strides
        (8, 16)
        >>> column_major(xp.eye(2, 3), rows=4).strides
        (8, 32)
    """
    if m.ndim < 2:  # (ColumnMajor of a vector, as an elementwise op: a copy)
        return xp.array(m)
    columns = xp.swapaxes(m, -1, -2)
    if rows is None or rows == m.shape[-2]:
        return xp.swapaxes(xp.ascontiguousarray(columns), -1, -2)
    taller = xp.empty((*columns.shape[:-1], rows), m.dtype)
    taller[..., : m.shape[-2]] = columns
    return xp.swapaxes(taller[..., : m.shape[-2]], -1, -2)


def lapack_result(result: Tensor, name: str, rows: int | None = None) -> Tensor:
    """``result`` of a function composed of ops, laid out column-major (``rows``: see
    :func:`column_major`) by a :class:`ColumnMajor` node that bears ``name``, PyTorch's name
    for the function's node."""
    return named(ColumnMajor(rows)(result), name)


class ColumnMajor(Linear, Unary):
    """A copy of a function's result laid out by :func:`column_major`, where the function is
    composed of ops (``householder_product``, ``lu_factor``'s packed factors, the upper
    Cholesky factor): the gradient passes through unchanged. The public function names the
    node as PyTorch's one node for the whole function."""

    notation = "x"
    derivatives = ("1",)
    saves_inputs = False
    half_in_float32 = False  # a copy: no arithmetic to widen

    def __init__(self, rows: int | None = None) -> None:
        self.rows = rows

    def forward(self, x):
        return column_major(x, self.rows)

    def vjp(self, g, out, x):
        return (g,)


# ----------------------------------------------------------------------------- dual helpers
def _eye(x: Any) -> Any:
    """The identity of the size of x's last dimension, in x's dtype (a constant)."""
    data = _value(x)
    return xp.eye(data.shape[-1], dtype=data.dtype)


def _diagonal(x: Any) -> Any:
    return dual.sum(x * _eye(x), -1)


def _row(v: Any) -> Any:
    """``v[..., None, :]``: scales the columns of a matrix."""
    return dual.unsqueeze_dims(v, (v.ndim - 1,))


def _column(v: Any) -> Any:
    """``v[..., :, None]``: scales the rows of a matrix."""
    return dual.unsqueeze_dims(v, (v.ndim,))


def _skew(x: Any) -> Any:
    return x - dual.swap_last(x)


# NumPy's linalg broadcasts over leading dimensions, and so do the rules: under vmap the
# examples' stacks of matrices line up from the right, as elementwise ops' dimensions do.
_MATRICES = staticmethod(batching.elementwise)


def _gaps(values: Any, square: bool) -> Any:
    """``E[i, j] = v_j - v_i`` (of the squares when ``square``), 1 on the diagonal (unused)."""
    v = values * values if square else values
    return _row(v) - _column(v) + _eye(_row(v))


class _Part(Op, abstract=True):
    """One output of a decomposition whose factors the public function computed (under
    vmap, of the whole batch: ``batching.physical``).

    The rules read the factors (which the outputs hold: saved_together guards them), not
    ``A``, so ``A`` may change in place before the backward, as PyTorch's node, which saves
    the outputs alone, allows. Under create_graph the factors are recomputed from ``A``
    (to differentiate them again): there a changed ``A`` is refused (``input_guard``)."""

    reads = ((),)
    batch_rule = _MATRICES
    # A's version counter and version at the call (set by saved_together)
    input_guard: tuple[Any, int] | None = None

    def __init__(self, part: int, factors: tuple[Any, ...]) -> None:
        self.part = part
        self.factors = factors

    def forward(self, a):
        return self.factors[self.part]

    # The factors, of an array ``a``: those computed; of a Tensor (create_graph): recorded
    # functions of ``a``, which must not have changed since the call.
    _factors = dual.both(
        lambda self, a: self.factors,
        lambda self, a: self.recompute(self._unchanged(a)),
        "self, a",
        ("a",),
    )

    def _unchanged(self, a: Tensor) -> Tensor:
        if (guard := self.input_guard) is not None and guard[0][0] != guard[1]:
            made_by = a._grad_fn and a._grad_fn.name()
            self._raise_modified("an input", a._data, made_by, guard[0][0], guard[1])
        return a

    def recompute(self, a: Tensor) -> tuple[Any, ...]:
        raise NotImplementedError

    # The factors a tangent rule reads: those computed, of an array ``a``; of a Tensor, where
    # a transform outside differentiates the rule, recomputed from it (_moving).
    _moving_factors = dual.both(
        lambda self, a: self.factors, lambda self, a: _moving(self, a), "self, a", ("a",)
    )

    def _cotangents(self, g: Any) -> list[Any]:
        """The output gradients: ``g`` for this part, ``None`` (zero) for the others."""
        grads: list[Any] = [None] * len(self.factors)
        grads[self.part] = g
        return grads

    # The outputs of the decomposition that PyTorch's one node saves, guarded on each part's
    # node (see saved_together): (their place among the outputs, version counter, version at
    # the call, and for the message their value and the name of the node that made them).
    saved_outputs: tuple[tuple[int, Any, int, Any, str | None], ...] = ()

    def check_saved(self) -> None:
        if not self.freed:
            for index, counter, stamp, value, made_by in self.saved_outputs:
                if counter[0] != stamp:
                    what = f"output {index}"
                    self._raise_modified(what, value, made_by, counter[0], stamp, index)
        super().check_saved()


def _moving(part: _Part, a: Tensor) -> tuple[Any, ...]:
    """The factors of ``a``, recomputed from it where a transform outside differentiates the
    tangent rule that reads them (a reverse pass records its arithmetic, or an open forward
    level carries ``a``'s tangent), so that they move with ``a``; else those computed (the
    tangents of one ``jacfwd`` reach the rule as Tensors too). As constants there, every
    second derivative through a tangent (``jacrev`` or ``jacfwd`` of ``jacfwd``) lost the
    factors' own derivative (``jacrev(jacfwd(svdvals))`` of a row was 0)."""
    if (a.requires_grad and grad_mode.modes.enabled) or forward.carries_tangent(a):
        return part.recompute(a)
    return part.factors


def saved_together(parts: tuple[Tensor, ...], outputs: tuple[Tensor, ...]) -> None:
    """Guard ``outputs``, what PyTorch's one node of a decomposition saves, on the node of
    each of its ``parts``: an in-place change of any of them before the backward is refused
    there, as PyTorch refuses it. The parts' rules read the factors, and the outputs hold the
    same arrays: unguarded, ``S.mul_(2)`` after ``U, S, Vh = svd(A)`` silently halved the
    gradient through ``U``.

        >>> import chainrule as cr
        >>> U, S, Vh = cr.linalg.svd(cr.eye(3, 2, requires_grad=True), full_matrices=False)
        >>> _ = S.mul_(2)
        >>> U.sum().backward()  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        RuntimeError: one of the variables needed for gradient computation has been modified ...
    """
    # Under vmap the nodes and the memory are those of the whole batch's tensors
    outputs = tuple(batching.unwrap(t)[0] for t in outputs)
    guards = tuple(
        (i, t._vc, t._vc[0], t._data, t._grad_fn and t._grad_fn.name())
        for i, t in enumerate(outputs)
        if t._vc is not None
    )
    for part in parts:
        node = batching.unwrap(part)[0]._grad_fn
        if isinstance(node, _Part) and guards:
            a = node.inputs[0]
            node.input_guard = (a._vc, a._vc[0])
            node.saved_outputs = (*node.saved_outputs, *guards)
            node.versions = (*node.versions, *[guard[1:3] for guard in guards])


# ----------------------------------------------------------------------------- SVD arrays
def batch_prefix(flags: Any) -> str:
    """PyTorch's ``(Batch element i): `` for the first flagged matrix of a batch (flattened
    index), or nothing for one matrix."""
    return f"(Batch element {int(xp.flatnonzero(flags)[0])}): " if flags.ndim else ""


def svd_arrays(a: Any, full_matrices: bool = False, compute_uv: bool = True) -> Any:
    """NumPy's SVD with PyTorch's answers for non-finite matrices: a nan is its LinAlgError,
    a matrix with an inf has nan factors. LAPACK's ``gesdd`` never sees one: on an inf it
    can loop forever."""
    finite = xp.isfinite(a).all((-2, -1))
    if finite.all():
        return xp.linalg.svd(a, full_matrices=full_matrices, compute_uv=compute_uv)
    nan = xp.isnan(a).any((-2, -1))
    if nan.any():
        from chainrule.linalg import LinAlgError  # a cycle

        raise LinAlgError(
            f"linalg.svd: {batch_prefix(nan)}The algorithm failed to converge because the input "
            "matrix contained non-finite values."
        )
    safe = xp.where(finite[..., None, None], a, 0)
    factors = xp.linalg.svd(safe, full_matrices=full_matrices, compute_uv=compute_uv)
    if not compute_uv:
        return xp.where(finite[..., None], factors, xp.nan)
    u, s, vh = factors
    matrix = finite[..., None, None]
    return (
        xp.where(matrix, u, xp.nan),
        xp.where(finite[..., None], s, xp.nan),
        xp.where(matrix, vh, xp.nan),
    )


def symmetric_from_lower(a: Any) -> Any:
    """The symmetric matrices whose lower triangles are those of ``a``: what PyTorch's
    ``hermitian=True`` functions (by ``eigh``) read."""
    return xp.tril(a) + xp.swapaxes(xp.tril(a, -1), -1, -2)


def rank_cutoff(a: Any, s: Any, atol: float | None, rtol: float | None) -> Any:
    """PyTorch's threshold for "zero" singular values ``s`` of each matrix of ``a``:
    ``max(atol, rtol * s_max)``, ``rtol`` by default ``eps * max(m, n)`` (0 given an ``atol``)."""
    if rtol is None:
        rtol = 0.0 if atol else float(xp.finfo(a.dtype).eps) * max(a.shape[-2:])
    return xp.maximum(s[..., :1] * rtol, atol or 0.0)


def _nan_where_nan(a: Any, out: Any) -> Any:
    """``out`` (a solve's result, matrices) nan throughout for each matrix of ``a`` holding a
    nan, as PyTorch's: LAPACK's pivoting can pass the nan's row by and leave the rows
    solved without it plausible numbers."""
    nan = xp.isnan(_value(a)).any((-2, -1))
    if not nan.any():
        return out
    return dual.where(nan[..., None, None], xp.asarray(xp.nan, _value(out).dtype), out)


# ----------------------------------------------------------------------------- functions
class Inv(Op):
    torch_name = "LinalgInvExBackward0"  # PyTorch's inv runs inv_ex (which also checks)
    notation = "A^-1"
    derivatives = ("-A^-T g A^-T",)
    batch_rule = _MATRICES
    saves_inputs = False
    saves_output = True

    def forward(self, a):
        return column_major(_nan_where_nan(a, xp.linalg.inv(a)))

    def vjp(self, g, out, a):
        b = dual.swap_last(out)
        return (-(b @ g @ b),)

    def jvp(self, tangents, out, a):
        return -(out @ tangents[0] @ out)


class Pinv(Op):
    """The Moore-Penrose pseudo-inverse ``P = V diag(1/s) U^T``, singular values at most
    :func:`rank_cutoff` taken as zero. The rules are PyTorch's (``pinv_backward``, for a rank
    that does not change nearby) and read ``P`` and ``A`` alone: the SVD's rules would divide
    by the gaps between singular values, zero at a repeated or zero one."""

    notation = "pinv(A)"
    derivatives = ("-P^T g P^T + (I - A P) g^T P P^T + P^T P g^T (I - P A)",)
    batch_rule = _MATRICES
    saves_output = True

    def __init__(self, atol: float | None, rtol: float | None, hermitian: bool = False) -> None:
        self.atol = atol
        self.rtol = rtol
        self.hermitian = hermitian  # the values from A's lower triangle; the rules read A

    def forward(self, a):
        u, s, vh = svd_arrays(symmetric_from_lower(a) if self.hermitian else a)
        kept = rank_cutoff(a, s, self.atol, self.rtol) < s
        inverse = xp.where(kept, 1 / xp.where(kept, s, 1), 0)  # no 1/0 where cut off
        return (vh.swapaxes(-1, -2) * inverse[..., None, :]) @ u.swapaxes(-1, -2)

    def vjp(self, g, out, a):
        p, pt, gt = out, dual.swap_last(out), dual.swap_last(g)
        left = gt @ (p @ pt)  # g^T P P^T, then less its part in A's column space
        right = (pt @ p) @ gt  # P^T P g^T, then less its part in A's row space
        return (-(pt @ g @ pt) + left - a @ (p @ left) + right - (right @ p) @ a,)

    def jvp(self, tangents, out, a):
        p, pt, tt = out, dual.swap_last(out), dual.swap_last(tangents[0])
        left = (p @ pt) @ tt
        right = tt @ (pt @ p)
        return -(p @ tangents[0] @ p) + left - (left @ a) @ p + right - p @ (a @ right)


class Det(Op):
    torch_name = "LinalgDetBackward0"
    notation = "det(A)"
    derivatives = ("g det(A) A^-T",)
    batch_rule = _MATRICES
    saves_output = True

    def forward(self, a):
        return xp.linalg.det(a)

    def vjp(self, g, out, a):
        return (dual.unsqueeze_dims(g, (g.ndim, g.ndim + 1)) * _cofactors(a, out),)

    def jvp(self, tangents, out, a):
        return dual.sum(_cofactors(a, out) * tangents[0], (-2, -1))


_svd = dual.both(svd_arrays, lambda a: tuple(_linalg().svd(a, full_matrices=False)))
_det = dual.both(xp.linalg.det, lambda a: _linalg().det(a))


def _linalg() -> Any:
    from chainrule import linalg  # a cycle: linalg builds on these ops

    return linalg


def _cofactors(a: Any, det: Any) -> Any:
    """``det(A) A^-T``, the gradient of ``det``: by the inverse, but for each matrix PyTorch
    takes as singular (``|det| < 100 eps``) by the SVD ``A = U diag(s) Vh``, as
    ``det(U) det(Vh) U diag(prod_{j != i} s_j) Vh``, which divides by nothing: the adjugate,
    finite (zero below rank n - 1), where the inverse does not exist (PyTorch's
    ``linalg_det_backward``)."""
    d = _value(det)
    singular = xp.abs(d) < 100 * xp.finfo(d.dtype).eps
    scale = dual.unsqueeze_dims(det, (det.ndim, det.ndim + 1))
    if not singular.any():
        return scale * dual.swap_last(dual.inv(a))
    matrix = singular[..., None, None]
    eye = _eye(a)
    regular = scale * dual.swap_last(dual.inv(dual.where(matrix, eye, a)))
    u, s, vh = _svd(dual.where(matrix, a, eye))  # the others' SVD is not needed (nor safe)
    others = (_row(s) * (1 - eye) + eye).prod(-1)  # prod_{j != i} s_j, no division by s_i
    signs = _column(_det(u) * _det(vh))
    return dual.where(matrix, (u * _row(others * signs)) @ vh, regular)


class SlogDet(_Part):
    """``(sign(det A), log|det A|)``: part 0 is the sign (locally constant: zero gradient, as
    PyTorch's for real input), part 1 the log-magnitude."""

    torch_name = "LinalgSlogdetBackward0"
    reads = ((0,),)  # A^-T: A is read, and guarded, as PyTorch's node saves it

    notation = "log|det(A)|"
    derivatives = ("g A^-T",)

    def recompute(self, a):
        return ()  # the rule reads A alone

    def vjp(self, g, out, a):
        if self.part == 0:
            return (dual.zeros_like(a),)
        return (dual.unsqueeze_dims(g, (g.ndim, g.ndim + 1)) * _inverse_t(a, self.factors[0]),)

    def jvp(self, tangents, out, a):
        if self.part == 0:
            return dual.zeros_like(out)
        return dual.sum(_inverse_t(a, self.factors[0]) * tangents[0], (-2, -1))


def _inverse_t(a: Any, sign: Any) -> Any:
    """``A^-T``, the gradient of ``log|det A|``; nan for each singular ``A`` (``sign`` 0, the
    factor PyTorch saves: ``log|det A|`` may change in place), where it grows without bound
    with a sign that depends on the side one comes from (the inverse raised there; PyTorch's
    LU divides by its zero pivot: inf and nan)."""
    singular = sign == 0
    if not singular.any():
        return dual.swap_last(dual.inv(a))
    matrix = singular[..., None, None]
    regular = dual.swap_last(dual.inv(dual.where(matrix, _eye(a), a)))
    return dual.where(matrix, xp.asarray(xp.nan, _value(a).dtype), regular)


class Solve(Op):
    """``X = A^-1 B`` for a matrix (or batch of matrices) ``B``."""

    notation = "A^-1 B"
    derivatives = ("-A^-T g X^T", "A^-T g")
    batch_rule = _MATRICES
    saves_output = True
    reads = ((0,), (0,))  # A (and X): B may change in place afterwards, as in PyTorch

    def forward(self, a, b):
        return column_major(_nan_where_nan(a, xp.linalg.solve(a, b)))

    def vjp(self, g, out, a, b):
        gb = _nan_where_nan(a, dual.solve(dual.swap_last(a), g))  # as the values, for A^T
        ga = -(gb @ dual.swap_last(out)) if self.needs[0] else None
        return (ga, gb if self.needs[1] else None)

    def jvp(self, tangents, out, a, b):
        ta, tb = tangents
        rhs = -(ta @ out) if ta is not None else None
        if tb is not None:
            rhs = tb if rhs is None else rhs + tb
        return _nan_where_nan(a, dual.solve(a, rhs))


class Cholesky(Op):
    """``L`` lower triangular with ``L L^T = A``; only A's lower triangle is read, and the
    gradient is symmetric, as PyTorch's."""

    notation = "cholesky(A)"
    derivatives = ("L^-T sym(tril(L^T g)) L^-1",)
    batch_rule = _MATRICES
    saves_inputs = False
    saves_output = True

    def forward(self, a):
        lower = xp.linalg.cholesky(a)
        if xp.isnan(lower).any():  # a nan in A's lower triangle: NumPy factors it through,
            raise xp.linalg.LinAlgError  # LAPACK's pivot test (PyTorch's) fails on it
        return column_major(lower)

    def vjp(self, g, out, a):
        lower = dual.tril(dual.swap_last(out) @ g)
        # The symmetric matrix with ``lower`` below the diagonal and half its diagonal.
        sym = 0.5 * (lower + dual.swap_last(dual.tril(lower, -1)))
        l_inv = dual.inv(out)
        return (dual.swap_last(l_inv) @ sym @ l_inv,)

    def jvp(self, tangents, out, a):
        l_inv = dual.inv(out)
        x = l_inv @ tangents[0] @ dual.swap_last(l_inv)
        return out @ (dual.tril(x) - 0.5 * x * _eye(x))


# ----------------------------------------------------------------------------- decompositions
class QR(_Part):
    """``A = Q R`` (reduced): part 0 is ``Q``, part 1 is ``R``. A wide ``A = [X | Y]``
    (``m < n``) is the QR of its square part ``X = Q U`` and ``Y = Q V``."""

    torch_name = "LinalgQrBackward0"

    notation = "qr(A)"
    derivatives = ("(gQ + Q copyltu(M)) R^-T, M = R gR^T - gQ^T Q",)

    def __init__(self, part: int, factors: tuple[Any, ...], refusal: str | None = None) -> None:
        super().__init__(part, factors)
        self.refusal = refusal  # PyTorch's error for a mode without a derivative

    def _refuse(self) -> None:
        """PyTorch's error, when a derivative is asked for (the values stand)."""
        if self.refusal is not None:
            raise RuntimeError(self.refusal)

    def recompute(self, a):
        from chainrule.linalg import qr

        return tuple(qr(a))

    def vjp(self, g, out, a):
        self._refuse()
        q, r = self._factors(a)
        gq, gr = self._cotangents(g)
        m, n = a.shape[-2], a.shape[-1]
        if m >= n:
            return (_qr_vjp(q, r, gq, gr),)
        # gA = [gX | Q gV], with gX the square case's for gQ + Y gV^T and gU.
        gu, gv = (None, None) if gr is None else (gr[..., :m], gr[..., m:])
        if gv is not None:
            gq = q @ r[..., m:] @ dual.swap_last(gv)  # Y = Q V: the factors, not A's values
        gx = _qr_vjp(q, r[..., :m], gq, gu)
        gy = q @ gv if gv is not None else dual.zeros_like(a[..., m:])
        return (dual.concatenate([gx, gy], -1),)

    def jvp(self, tangents, out, a):
        self._refuse()
        q, r = self._moving_factors(a)
        da = tangents[0]
        m, n = a.shape[-2], a.shape[-1]
        if m >= n:
            dq, dr = _qr_jvp(q, r, da)
        else:
            dq, du = _qr_jvp(q, r[..., :m], da[..., :m])
            dv = dual.swap_last(q) @ (da[..., m:] - dq @ r[..., m:])
            dr = dual.concatenate([du, dv], -1)
        return dq if self.part == 0 else dr


def _qr_vjp(q: Any, r: Any, gq: Any, gr: Any) -> Any:
    """The gradient of a tall or square ``A = Q R`` from ``gQ`` and ``gR`` (either None)."""
    m = 0
    if gr is not None:
        m = r @ dual.swap_last(gr)
    if gq is not None:
        m = m - dual.swap_last(gq) @ q
    inner = q @ (dual.tril(m) + dual.swap_last(dual.tril(m, -1)))
    if gq is not None:
        inner = inner + gq
    return _solve_right(dual.swap_last(r), inner)  # nan for a rank-deficient A, as PyTorch's


def _qr_jvp(q: Any, r: Any, da: Any) -> tuple[Any, Any]:
    """``(dQ, dR)`` of a tall or square ``A = Q R`` moving along ``dA`` (arrays)."""
    da_rinv = da @ _solve_upper_left(r, _eye(r))  # R^-1 (an array): nan where R is singular
    x = dual.swap_last(q) @ da_rinv
    # Q^T dQ is skew and dR R^-1 upper triangular: X's strict lower part fixes both.
    upper = x - _skew(dual.tril(x, -1))
    return da_rinv - q @ upper, upper @ r


class Eigh(_Part):
    """``A = V diag(w) V^T`` for symmetric A (its lower triangle is read): part 0 is the
    eigenvalues ``w`` (ascending), part 1 the eigenvectors ``V``."""

    torch_name = "LinalgEighBackward0"

    notation = "eigh(A)"
    derivatives = ("V (diag(gw) + skew(V^T gV) / 2E) V^T, E_ij = w_j - w_i",)

    def recompute(self, a):
        from chainrule.linalg import eigh

        return tuple(eigh(a))

    def vjp(self, g, out, a):
        w, v = self._factors(a)
        if self.part == 0:  # V diag(g) V^T with V's columns scaled: an inf in g meets no 0
            return ((v * _row(g)) @ dual.swap_last(v),)
        inner = 0.5 * _skew(dual.swap_last(v) @ g) / _gaps(w, square=False)
        return (v @ inner @ dual.swap_last(v),)

    def jvp(self, tangents, out, a):
        w, v = self._moving_factors(a)
        p = dual.swap_last(v) @ tangents[0] @ v
        if self.part == 0:
            return _diagonal(p)
        return v @ (p * (1 - _eye(p)) / _gaps(w, square=False))


class SVD(_Part):
    """``A = U diag(S) Vh`` (reduced): parts 0, 1, 2 are ``U``, ``S``, ``Vh``."""

    torch_name = "LinalgSvdBackward0"

    notation = "svd(A)"
    derivatives = ("U [skew(U^T gU) S / E + S skew(V^T gV) / E + diag(gS)] Vh + ...",)

    def recompute(self, a):
        from chainrule.linalg import svd

        return tuple(svd(a, full_matrices=False))

    def vjp(self, g, out, a):
        u, s, vh = self._factors(a)
        m, n, k = a.shape[-2], a.shape[-1], s.shape[-1]
        gu, gs, gvh = self._cotangents(g)
        if gu is not None:
            inner = _skew(dual.swap_last(u) @ gu) * _row(s) / _gaps(s, square=True)
            if m > k:  # the part of gU outside U's columns
                gu_sinv = gu / _row(s)
                inner = u @ inner + gu_sinv - u @ (dual.swap_last(u) @ gu_sinv)
                return (inner @ vh,)
        elif gvh is not None:
            gv = dual.swap_last(gvh)
            inner = _column(s) * _skew(vh @ gv) / _gaps(s, square=True)
            if n > k:
                sinv_gvh = gvh / _column(s)
                inner = inner @ vh + sinv_gvh - (sinv_gvh @ dual.swap_last(vh)) @ vh
                return (u @ inner,)
        else:  # U diag(gS) Vh with U's columns scaled: an inf in gS meets no 0
            return ((u * _row(gs)) @ vh,)
        return (u @ inner @ vh,)

    def jvp(self, tangents, out, a):
        u, s, vh = self._moving_factors(a)
        da = tangents[0]
        v = dual.swap_last(vh)
        dp = dual.swap_last(u) @ da @ v
        if self.part == 1:
            return _diagonal(dp)
        off = (1 - _eye(dp)) / _gaps(s, square=True)
        if self.part == 0:
            du = u @ ((dp * _row(s) + _column(s) * dual.swap_last(dp)) * off)
            if a.shape[-2] > s.shape[-1]:
                du = du + (da @ v - u @ dp) / _row(s)
            return du
        dv = v @ ((_column(s) * dp + dual.swap_last(dp) * _row(s)) * off)
        if a.shape[-1] > s.shape[-1]:
            dv = dv + (dual.swap_last(da) @ u - v @ dual.swap_last(dp)) / _row(s)
        return dual.swap_last(dv)


# ----------------------------------------------------------------------------- LU, matrix_exp
def lu_arrays(a: Any) -> tuple[Any, Any, Any]:
    """``(lu, pivots, info)`` of LAPACK's ``getrf`` for a (batch of) m x n matrices: partial
    pivoting (the first largest magnitude in the column, as ``idamax``), ``L`` (unit diagonal,
    strictly below) and ``U`` packed in ``lu``, 1-based int32 ``pivots`` (row i was swapped
    with row ``pivots[i] - 1``, in order) and ``info``, the 1-based index of the first exactly
    zero pivot (0 when none). Row operations on the whole batch at once."""
    lu = xp.array(a, dtype=a.dtype, copy=True)
    m, n = lu.shape[-2:]
    k = min(m, n)
    batch = lu.shape[:-2]
    pivots = xp.zeros(batch + (k,), dtype=xp.int32)
    info = xp.zeros(batch, dtype=xp.int32)
    index = tuple(xp.indices(batch)) if batch else ()
    for j in range(k):
        p = j + xp.argmax(xp.abs(lu[..., j:, j]), axis=-1)
        pivots[..., j] = p + 1
        rows = lu[(*index, p)].copy() if batch else lu[p].copy()
        if batch:
            lu[(*index, p)] = lu[..., j, :]
        else:
            lu[p] = lu[j]
        lu[..., j, :] = rows
        pivot = lu[..., j, j]
        zero = pivot == 0
        info = xp.where((info == 0) & zero, j + 1, info)
        # LAPACK leaves the column below a zero pivot as it is (no division by zero).
        scale = xp.where(zero, 1.0, pivot)[..., None]
        lu[..., j + 1 :, j] = xp.where(
            zero[..., None], lu[..., j + 1 :, j], lu[..., j + 1 :, j] / scale
        )
        lu[..., j + 1 :, j + 1 :] -= lu[..., j + 1 :, j, None] * lu[..., j, None, j + 1 :]
    return lu, pivots, info


def permutation_arrays(pivots: Any, m: int, dtype: Any) -> Any:
    """``P`` (m x m) with ``A = P L U`` from LAPACK's 1-based row swaps ``pivots``."""
    batch = pivots.shape[:-1]
    order = xp.broadcast_to(xp.arange(m), batch + (m,)).copy()
    index = tuple(xp.indices(batch)) if batch else ()
    for j in range(pivots.shape[-1]):
        p = pivots[..., j].astype(xp.int64) - 1
        at_j = order[..., j].copy()
        order[..., j] = order[(*index, p)] if batch else order[p]
        if batch:
            order[(*index, p)] = at_j
        else:
            order[p] = at_j
    # Row i of P^T A is row order[i] of A: P[order[i], i] = 1.
    eye = xp.eye(m, dtype=dtype)
    return xp.ascontiguousarray(xp.swapaxes(eye[order], -1, -2))  # row-major, as PyTorch's


class LU(_Part):
    """``A = P L U`` with partial pivoting: part 1 is ``L`` (m x k, unit lower triangular),
    part 2 is ``U`` (k x n, upper triangular); ``P`` (factor 0) is a constant, no part.
    The rules are PyTorch's (``linalg_lu_backward`` and ``linalg_lu_jvp``), for square, wide
    and tall matrices."""

    torch_name = "LinalgLuBackward0"

    notation = "lu(A)"
    derivatives = ("P L^-T [tril(L^T gL, -1) + triu(gU U^T)] U^-T (square)",)

    def recompute(self, a):
        from chainrule.linalg import lu

        return tuple(lu(a))

    def vjp(self, g, out, a):
        p, lower, upper = self._factors(a)
        _, gl, gu = self._cotangents(g)
        m, n = a.shape[-2], a.shape[-1]
        k = min(m, n)
        lt, ut = dual.swap_last(lower), dual.swap_last(upper)
        if m >= n:  # square or tall: A = P [L1; L2] U
            inner = gu @ ut if gu is not None else None
            if gl is not None:
                lower_part = lt @ dual.tril(gl, -1)
                inner = -lower_part if inner is None else inner - lower_part
            inner = _solve_upper_left(dual.swap_last(lower[..., :k, :]), _triu(inner))
            if gl is not None:
                inner = inner + dual.tril(gl[..., :k, :], -1)
                if m > k:
                    inner = dual.concatenate([inner, gl[..., k:, :]], -2)
            elif m > k:
                inner = dual.concatenate([inner, dual.zeros_like(lower[..., k:, :])], -2)
            ga = _solve_right(ut, inner)
        else:  # wide: A = P L [U1 U2]
            inner = lt @ gl if gl is not None else None
            if gu is not None:
                upper_part = _triu(gu) @ ut
                inner = -upper_part if inner is None else inner - upper_part
            inner = _solve_right(dual.swap_last(upper[..., :k]), dual.tril(inner, -1))
            if gu is not None:
                inner = dual.concatenate([inner + _triu(gu[..., :k]), gu[..., k:]], -1)
            else:
                inner = dual.concatenate([inner, dual.zeros_like(upper[..., k:])], -1)
            ga = _solve_upper_left(lt, inner)
        return (p @ ga,)

    def jvp(self, tangents, out, a):
        p, lower, upper = self._moving_factors(a)
        m, n = a.shape[-2], a.shape[-1]
        k = min(m, n)
        b = dual.swap_last(p) @ tangents[0]  # P^T dA = dL U + L dU
        l1, u1 = lower[..., :k, :], upper[..., :k]
        x = dual.inv(l1) @ b[..., :k, :k] @ dual.inv(u1)
        dl1 = l1 @ dual.tril(x, -1)
        du1 = _triu(x) @ u1
        if self.part == 1:
            if m <= n:
                return dl1
            dl2 = (b[..., k:, :] - lower[..., k:, :] @ du1) @ dual.inv(upper)
            return dual.concatenate([dl1, dl2], -2)
        if m >= n:
            return du1
        du2 = dual.inv(lower) @ (b[..., k:] - dl1 @ upper[..., k:])
        return dual.concatenate([du1, du2], -1)


def _triu(x: Any) -> Any:
    return x - dual.tril(x, -1)


def _solve_upper_left(a: Any, b: Any) -> Any:
    """``A^-1 B`` (a triangular ``A``: a general solve is as good for the well-posed case);
    nan for each ``A`` with a zero on its diagonal, as PyTorch's triangular solve gives it
    (dividing by the zero), where LAPACK's general solve would refuse it as singular."""
    diagonal = xp.diagonal(_value(a), axis1=-2, axis2=-1)
    singular = (diagonal == 0).any(-1)[..., None, None]
    if not singular.any():
        return dual.solve(a, b)
    out = dual.solve(dual.where(singular, _eye(a), a), b)
    return dual.where(singular, xp.asarray(xp.nan, diagonal.dtype), out)


def _solve_right(a: Any, b: Any) -> Any:
    """``B A^-1``: ``X A = B`` solved as ``A^T X^T = B^T``."""
    return dual.swap_last(_solve_upper_left(dual.swap_last(a), dual.swap_last(b)))


# Padé approximant of degree 13 and the largest 1-norm it is exact for in float64 (Higham 2005).
_PADE13 = (
    64764752532480000.0,
    32382376266240000.0,
    7771770303897600.0,
    1187353796428800.0,
    129060195264000.0,
    10559470521600.0,
    670442572800.0,
    33522128640.0,
    1323241920.0,
    40840800.0,
    960960.0,
    16380.0,
    182.0,
    1.0,
)
_THETA13 = 5.371920351148152


def expm_arrays(a: Any) -> Any:
    """``exp(A)`` of a (batch of) square matrices by scaling and squaring with the degree-13
    Padé approximant (Higham 2005), each matrix scaled by its own power of two."""
    work = a.astype(xp.float64) if a.dtype != xp.float64 else a
    norm = xp.abs(work).sum(-2).max(-1) if work.shape[-1] else xp.zeros(work.shape[:-2])
    with xp.errstate(divide="ignore"):
        s = xp.maximum(0, xp.ceil(xp.log2(norm / _THETA13))).astype(xp.int64)
    s = xp.where(xp.isfinite(norm), s, 0)
    x = work / (2.0**s)[..., None, None]
    b = _PADE13
    eye = xp.eye(a.shape[-1])
    x2 = x @ x
    x4 = x2 @ x2
    x6 = x4 @ x2
    u = x @ (
        x6 @ (b[13] * x6 + b[11] * x4 + b[9] * x2) + b[7] * x6 + b[5] * x4 + b[3] * x2 + b[1] * eye
    )
    v = x6 @ (b[12] * x6 + b[10] * x4 + b[8] * x2) + b[6] * x6 + b[4] * x4 + b[2] * x2 + b[0] * eye
    result = xp.linalg.solve(v - u, v + u)
    for i in range(int(s.max()) if s.size else 0):
        squared = result @ result
        result = xp.where((i < s)[..., None, None], squared, result)
    return result.astype(a.dtype, copy=False)


def _expm_tensors(a: Any) -> Any:
    return MatrixExp()(a)


matrix_exp_dual = dual.both(expm_arrays, _expm_tensors)


def _block_exp(top_left: Any, top_right: Any) -> Any:
    """The top-right block of ``exp([[X, Y], [0, X]])``: the derivative of ``exp`` at ``X``
    along ``Y`` (Mathias 1996), as one matrix exponential of twice the size."""
    n = top_left.shape[-1]
    shape = broadcast_shape(tuple(top_left.shape), tuple(top_right.shape))
    top_left, top_right = dual.broadcast_to(top_left, shape), dual.broadcast_to(top_right, shape)
    zeros = dual.zeros_like(top_left)
    top = dual.concatenate([top_left, top_right], -1)
    bottom = dual.concatenate([zeros, top_left], -1)
    return matrix_exp_dual(dual.concatenate([top, bottom], -2))[..., :n, n:]


class MatrixExp(Op):
    """``exp(A) = sum A^k / k!``; both rules are one exponential of a block matrix, so they
    differentiate again."""

    notation = "exp(A)"
    derivatives = ("[exp([[A^T, g], [0, A^T]])]_12",)
    batch_rule = _MATRICES

    def forward(self, a):
        return expm_arrays(a)

    def vjp(self, g, out, a):
        return (_block_exp(dual.swap_last(a), g),)

    def jvp(self, tangents, out, a):
        return _block_exp(a, tangents[0])
