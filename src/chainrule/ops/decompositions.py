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

from chainrule._array import xp
from chainrule.autodiff import batching
from chainrule.op import Op, _value
from chainrule.ops import dual
from chainrule.tensor import Tensor


# ----------------------------------------------------------------------------- dual helpers
def _eye(x: Any) -> Any:
    """The identity of the size of x's last dimension, in x's dtype (a constant)."""
    data = _value(x)
    return xp.eye(data.shape[-1], dtype=data.dtype)


def _diagonal(x: Any) -> Any:
    return dual.sum(x * _eye(x), -1)


def _diag_embed(v: Any) -> Any:
    return dual.unsqueeze_dims(v, (v.ndim - 1,)) * _eye(v)


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
    vmap, of the whole batch: ``batching.physical``)."""

    saves_inputs = True
    batch_rule = _MATRICES

    def __init__(self, part: int, factors: tuple[Any, ...]) -> None:
        self.part = part
        self.factors = factors

    def forward(self, a):
        return self.factors[self.part]

    # The factors, of an array ``a``: those computed; of a Tensor (create_graph): recorded
    # functions of ``a``.
    _factors = dual.both(
        lambda self, a: self.factors, lambda self, a: self.recompute(a), "self, a", ("a",)
    )

    def recompute(self, a: Tensor) -> tuple[Any, ...]:
        raise NotImplementedError

    def _cotangents(self, g: Any) -> list[Any]:
        """The output gradients: ``g`` for this part, ``None`` (zero) for the others."""
        grads: list[Any] = [None] * len(self.factors)
        grads[self.part] = g
        return grads


# ----------------------------------------------------------------------------- functions
class Inv(Op):
    notation = "A^-1"
    derivatives = ("-A^-T g A^-T",)
    batch_rule = _MATRICES
    saves_inputs = False
    saves_output = True

    def forward(self, a):
        return xp.linalg.inv(a)

    def vjp(self, g, out, a):
        b = dual.swap_last(out)
        return (-(b @ g @ b),)

    def jvp(self, tangents, out, a):
        return -(out @ tangents[0] @ out)


class Det(Op):
    notation = "det(A)"
    derivatives = ("g det(A) A^-T",)
    batch_rule = _MATRICES
    saves_output = True

    def forward(self, a):
        return xp.linalg.det(a)

    def vjp(self, g, out, a):
        scale = dual.unsqueeze_dims(g * out, (out.ndim, out.ndim + 1))
        return (scale * dual.swap_last(dual.inv(a)),)

    def jvp(self, tangents, out, a):
        return out * dual.sum(dual.swap_last(dual.inv(a)) * tangents[0], (-2, -1))


class SlogDet(_Part):
    """``(sign(det A), log|det A|)``: part 0 is the sign (locally constant: zero gradient, as
    PyTorch's for real input), part 1 the log-magnitude."""

    notation = "log|det(A)|"
    derivatives = ("g A^-T",)

    def recompute(self, a):
        return ()  # the rule reads A alone

    def vjp(self, g, out, a):
        if self.part == 0:
            return (dual.zeros_like(a),)
        return (dual.unsqueeze_dims(g, (g.ndim, g.ndim + 1)) * dual.swap_last(dual.inv(a)),)

    def jvp(self, tangents, out, a):
        if self.part == 0:
            return dual.zeros_like(out)
        return dual.sum(dual.swap_last(dual.inv(a)) * tangents[0], (-2, -1))


class Solve(Op):
    """``X = A^-1 B`` for a matrix (or batch of matrices) ``B``."""

    notation = "A^-1 B"
    derivatives = ("-A^-T g X^T", "A^-T g")
    batch_rule = _MATRICES
    saves_output = True

    def forward(self, a, b):
        return xp.linalg.solve(a, b)

    def vjp(self, g, out, a, b):
        gb = dual.solve(dual.swap_last(a), g)
        ga = -(gb @ dual.swap_last(out)) if self.needs[0] else None
        return (ga, gb if self.needs[1] else None)

    def jvp(self, tangents, out, a, b):
        ta, tb = tangents
        rhs = -(ta @ out) if ta is not None else None
        if tb is not None:
            rhs = tb if rhs is None else rhs + tb
        return dual.solve(a, rhs)


class Cholesky(Op):
    """``L`` lower triangular with ``L L^T = A``; only A's lower triangle is read, and the
    gradient is symmetric, as PyTorch's."""

    notation = "cholesky(A)"
    derivatives = ("L^-T sym(tril(L^T g)) L^-1",)
    batch_rule = _MATRICES
    saves_inputs = False
    saves_output = True

    def forward(self, a):
        return xp.linalg.cholesky(a)

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

    notation = "qr(A)"
    derivatives = ("(gQ + Q copyltu(M)) R^-T, M = R gR^T - gQ^T Q",)

    def recompute(self, a):
        from chainrule.linalg import qr

        return tuple(qr(a))

    def vjp(self, g, out, a):
        q, r = self._factors(a)
        gq, gr = self._cotangents(g)
        m, n = a.shape[-2], a.shape[-1]
        if m >= n:
            return (_qr_vjp(q, r, gq, gr),)
        # gA = [gX | Q gV], with gX the square case's for gQ + Y gV^T and gU.
        gu, gv = (None, None) if gr is None else (gr[..., :m], gr[..., m:])
        if gv is not None:
            gq = a[..., m:] @ dual.swap_last(gv)
        gx = _qr_vjp(q, r[..., :m], gq, gu)
        gy = q @ gv if gv is not None else dual.zeros_like(a[..., m:])
        return (dual.concatenate([gx, gy], -1),)

    def jvp(self, tangents, out, a):
        q, r = self.factors
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
    return inner @ dual.swap_last(dual.inv(r))


def _qr_jvp(q: Any, r: Any, da: Any) -> tuple[Any, Any]:
    """``(dQ, dR)`` of a tall or square ``A = Q R`` moving along ``dA`` (arrays)."""
    da_rinv = da @ xp.linalg.inv(r)
    x = dual.swap_last(q) @ da_rinv
    # Q^T dQ is skew and dR R^-1 upper triangular: X's strict lower part fixes both.
    upper = x - _skew(dual.tril(x, -1))
    return da_rinv - q @ upper, upper @ r


class Eigh(_Part):
    """``A = V diag(w) V^T`` for symmetric A (its lower triangle is read): part 0 is the
    eigenvalues ``w`` (ascending), part 1 the eigenvectors ``V``."""

    notation = "eigh(A)"
    derivatives = ("V (diag(gw) + skew(V^T gV) / 2E) V^T, E_ij = w_j - w_i",)

    def recompute(self, a):
        from chainrule.linalg import eigh

        return tuple(eigh(a))

    def vjp(self, g, out, a):
        w, v = self._factors(a)
        if self.part == 0:
            inner = _diag_embed(g)
        else:
            inner = 0.5 * _skew(dual.swap_last(v) @ g) / _gaps(w, square=False)
        return (v @ inner @ dual.swap_last(v),)

    def jvp(self, tangents, out, a):
        w, v = self.factors
        p = dual.swap_last(v) @ tangents[0] @ v
        if self.part == 0:
            return _diagonal(p)
        return v @ (p * (1 - _eye(p)) / _gaps(w, square=False))


class SVD(_Part):
    """``A = U diag(S) Vh`` (reduced): parts 0, 1, 2 are ``U``, ``S``, ``Vh``."""

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
        else:
            inner = _diag_embed(gs)
        return (u @ inner @ vh,)

    def jvp(self, tangents, out, a):
        u, s, vh = self.factors
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
