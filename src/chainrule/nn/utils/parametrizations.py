"""Parametrizations of weights, as ``torch.nn.utils.parametrizations``: :func:`weight_norm`
(a direction and a magnitude), :func:`spectral_norm` (the weight over its largest singular
value, estimated by power iteration) and :func:`orthogonal` (an orthogonal matrix from an
unconstrained one). Each registers itself by :func:`~chainrule.nn.utils.parametrize.
register_parametrization`, so the originals train and gradients reach them.

Random starts are PyTorch's: spectral norm's ``u`` and ``v`` come from ``normal_`` on the
global generator, so the same seed gives PyTorch's numbers.

    >>> import chainrule as cr
    >>> m = weight_norm(cr.nn.Linear(3, 2))
    >>> sorted(n for n, _ in m.named_parameters())
    ['bias', 'parametrizations.weight.original0', 'parametrizations.weight.original1']
    >>> tuple(m.parametrizations.weight.original0.shape)
    (2, 1)
"""

from __future__ import annotations

import enum
from typing import Any

from chainrule import factories, grad_mode
from chainrule._array import xp
from chainrule.linalg import solve, vector_norm
from chainrule.nn.conv import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from chainrule.nn.functional import normalize
from chainrule.nn.module import Module
from chainrule.nn.utils import parametrize
from chainrule.ops.linalg import mv, vdot
from chainrule.ops.shape import cat
from chainrule.tensor import Tensor, _make

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


# ---------------------------------------------------------------- weight norm
def norm_except_dim(v: Tensor, pow: float, dim: int) -> Tensor:  # noqa: A002
    """PyTorch's ``norm_except_dim``: the ``pow``-norm over every dimension but ``dim``,
    shaped to broadcast against ``v`` (size 1 but at ``dim``); ``dim=-1`` means the norm of
    the whole tensor (a scalar), not the last dimension."""
    if dim == -1:
        return vector_norm(v, pow)
    dim = dim % v.ndim
    moved = v.movedim(dim, 0)
    norms = vector_norm(moved.reshape(v.shape[dim], -1), pow, dim=1)
    shape = [1] * v.ndim
    shape[dim] = v.shape[dim]
    return norms.reshape(shape)


def _weight_norm(v: Tensor, g: Tensor, dim: int) -> Tensor:
    """PyTorch's ``_weight_norm``: ``v * (g / ||v||)``, the norm over every dimension but
    ``dim``."""
    return v * (g / norm_except_dim(v, 2, dim))


class _WeightNorm(Module):
    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight: Tensor) -> tuple[Tensor, Tensor]:
        return norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Parametrize ``module.<name>`` as ``g * v / ||v||``: ``original0`` is the magnitude
    ``g`` (one per slice along ``dim``; ``None`` or -1: one for the whole tensor), ``original1``
    the direction ``v``."""
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)
    return module


# ---------------------------------------------------------------- spectral norm
class _SpectralNorm(Module):
    def __init__(
        self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12
    ) -> None:
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(
                f"Dimension out of range (expected to be in range of [-{ndim}, {ndim - 1}] but "
                f"got {dim})"
            )
        if n_power_iterations <= 0:
            raise ValueError(
                "Expected n_power_iterations to be positive, but got "
                f"n_power_iterations={n_power_iterations}"
            )
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            weight_mat = self._reshape_weight_to_matrix(weight)
            h, w = weight_mat.shape
            with grad_mode.no_grad():
                u = weight_mat.new_empty(h).normal_(0, 1)
                v = weight_mat.new_empty(w).normal_(0, 1)
            self.register_buffer("_u", normalize(u, dim=0, eps=self.eps))
            self.register_buffer("_v", normalize(v, dim=0, eps=self.eps))
            # start from a good estimate: 15 iterations now
            self._power_method(weight_mat, 15)

    def _reshape_weight_to_matrix(self, weight: Tensor) -> Tensor:
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.ndim) if d != self.dim))
        return weight.flatten(1)

    def _power_method(self, weight_mat: Tensor, n_power_iterations: int) -> None:
        """``n_power_iterations`` steps of the power method on ``_u`` and ``_v``, in place
        and outside the graph (PyTorch's: u = Wv/|Wv|, v = W^H u/|W^H u|)."""
        with grad_mode.no_grad():
            for _ in range(n_power_iterations):
                normalize(mv(weight_mat, self._v), dim=0, eps=self.eps, out=self._u)
                normalize(mv(weight_mat.mH, self._u), dim=0, eps=self.eps, out=self._v)

    def forward(self, weight: Tensor) -> Tensor:
        if weight.ndim == 1:
            return normalize(weight, dim=0, eps=self.eps)
        weight_mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        # copies: the next power iteration changes the buffers in place, and the graph of
        # sigma must keep these values
        u, v = self._u.clone(), self._v.clone()
        sigma = vdot(u, mv(weight_mat, v))
        return weight / sigma

    def right_inverse(self, value: Tensor) -> Tensor:
        return value


def spectral_norm(
    module: Module,
    name: str = "weight",
    n_power_iterations: int = 1,
    eps: float = 1e-12,
    dim: int | None = None,
) -> Module:
    """Parametrize ``module.<name>`` as itself over its spectral norm (largest singular
    value of the weight as a matrix with ``dim`` first; ``dim`` 1 for transposed
    convolutions, else 0), estimated by ``n_power_iterations`` power-method steps per forward
    in training mode, with the vectors kept in the buffers ``_u`` and ``_v``."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        transposed = (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)
        dim = 1 if isinstance(module, transposed) else 0
    parametrize.register_parametrization(
        module, name, _SpectralNorm(weight, n_power_iterations, dim, eps)
    )
    return module


# ---------------------------------------------------------------- orthogonal
class _OrthMaps(enum.Enum):
    matrix_exp = enum.auto()
    cayley = enum.auto()
    householder = enum.auto()


def _matrix_exp(a: Tensor) -> Tensor:
    """``exp(a)`` of a (batch of) square matrices, composed of differentiable matmuls:
    scaled by 2^-s to norm <= 1/2, an 18-term Taylor polynomial (Horner), squared s times.
    Its error is below float64's rounding (PyTorch's own is a Taylor method with scaling and
    squaring too); gradients are those of the composition."""
    norm = float(xp.abs(a._data).sum(axis=-2).max()) if a.numel() else 0.0  # the 1-norm
    squarings = max(0, int(xp.ceil(xp.log2(norm / 0.5)))) if norm > 0.5 else 0
    scaled = a / 2.0**squarings
    eye = factories.eye(a.shape[-1], dtype=a.dtype)
    result = eye
    for k in range(18, 0, -1):
        result = eye + (scaled @ result) / k
    for _ in range(squarings):
        result = result @ result
    return result


def _householder_product(a: Tensor, tau: Tensor) -> Tensor:
    """PyTorch's ``linalg.householder_product``: the first n columns of H_1 ... H_k with
    ``H_i = I - tau_i v_i v_i^H``, v_i being column i of ``a`` below the diagonal with a 1 on
    it; composed of differentiable operations."""
    m, n = a.shape[-2], a.shape[-1]
    rows = xp.arange(m)
    q = factories.eye(m, dtype=a.dtype).expand(*a.shape[:-2], m, m)
    for i in range(tau.shape[-1]):
        below = _make((rows > i).astype(a._data.dtype))
        unit = _make((rows == i).astype(a._data.dtype))
        v = a[..., :, i] * below + unit
        qv = (q @ v.unsqueeze(-1)) * tau[..., i].unsqueeze(-1).unsqueeze(-1)
        q = q - qv @ v.conj().unsqueeze(-2)
    return q[..., :n]


def _qr_positive(a: Any) -> Any:
    """The orthogonal factor of ``a``'s QR whose R has a non-negative diagonal (PyTorch's
    ``_make_orthogonal``: geqrf, householder_product and the signs of R's diagonal)."""
    q, r = xp.linalg.qr(a)
    signs = xp.sign(xp.diagonal(r, axis1=-2, axis2=-1))
    return q * signs[..., None, :]


def _geqrf(a: Any) -> tuple[Any, Any]:
    """LAPACK's ``geqrf`` of each matrix: R above the diagonal, the reflectors below, and
    their scales tau."""
    batch = a.shape[:-2]
    flat = a.reshape(-1, *a.shape[-2:])
    outs = [xp.linalg.qr(m, mode="raw") for m in flat]
    reflectors = xp.stack([h.T for h, _ in outs]).reshape(a.shape)
    taus = xp.stack([t for _, t in outs]).reshape(*batch, -1)
    return reflectors, taus


def _is_orthogonal(q: Any) -> bool:
    n, k = q.shape[-2], q.shape[-1]
    eps = 10.0 * n * float(xp.finfo(q.dtype).eps)
    gram = xp.swapaxes(q, -1, -2).conj() @ q
    return bool(xp.allclose(gram, xp.eye(k, dtype=q.dtype), atol=eps))


class _Orthogonal(Module):
    def __init__(
        self, weight: Tensor, orthogonal_map: _OrthMaps, *, use_trivialization: bool = True
    ) -> None:
        super().__init__()
        if weight.is_complex() and orthogonal_map == _OrthMaps.householder:
            raise ValueError("The householder parametrization does not support complex tensors.")
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X: Tensor) -> Tensor:
        n, k = X.shape[-2], X.shape[-1]
        transposed = n < k
        if transposed:
            X = X.mT
            n, k = k, n
        if self.orthogonal_map in (_OrthMaps.matrix_exp, _OrthMaps.cayley):
            # a skew-symmetric A from the lower triangle, mapped to an orthogonal matrix
            X = X.tril()
            if n != k:
                pad = X.new_zeros(n, n - k).expand(*X.shape[:-2], -1, -1)
                X = cat([X, pad], dim=-1)
            A = X - X.mH
            if self.orthogonal_map == _OrthMaps.matrix_exp:
                Q = _matrix_exp(A)
            else:
                eye = factories.eye(n, dtype=A.dtype)
                Q = solve(eye - 0.5 * A, eye + 0.5 * A)
            if n != k:
                Q = Q[..., :k]
        else:
            A = X.tril(diagonal=-1)
            tau = 2.0 / (1.0 + (A * A).sum(dim=-2))
            Q = _householder_product(A, tau)
            # the signs kept on the diagonal of X (ints: no gradient through them)
            Q = Q * X.diagonal(dim1=-2, dim2=-1).int().unsqueeze(-2)
        if hasattr(self, "base"):
            Q = self.base @ Q
        if transposed:
            Q = Q.mT
        return Q

    def right_inverse(self, Q: Tensor) -> Tensor:
        with grad_mode.no_grad():
            return self._right_inverse(Q)

    def _right_inverse(self, Q: Tensor) -> Tensor:
        if Q.shape != self.shape:
            raise ValueError(
                f"Expected a matrix or batch of matrices of shape {self.shape}. Got a tensor of "
                f"shape {Q.shape}."
            )
        Q_init = Q
        n, k = Q.shape[-2], Q.shape[-1]
        transpose = n < k
        if transpose:
            Q = Q.mT
            n, k = k, n
        if not hasattr(self, "base"):
            if self.orthogonal_map in (_OrthMaps.cayley, _OrthMaps.matrix_exp):
                raise NotImplementedError(
                    "It is not possible to assign to the matrix exponential or the Cayley "
                    "parametrizations when use_trivialization=False."
                )
            # the reflectors of Q's QR, with the signs of R's diagonal on the diagonal
            A, tau = _geqrf(Q._data)
            i = xp.arange(min(A.shape[-2:]))
            A[..., i, i] = xp.sign(A[..., i, i]) * xp.where(tau == 0.0, -1.0, 1.0)
            result = _make(A)
            return result.mT if transpose else result
        if n == k:
            q = Q._data if _is_orthogonal(Q._data) else _qr_positive(Q._data)
            Q = _make(q.copy())
        else:
            # completed to a square matrix by random columns (PyTorch's randn draw)
            N = factories.randn(*Q.shape[:-2], n, n - k, dtype=Q.dtype)
            Q = _make(_qr_positive(cat([Q, N], dim=-1)._data))
        self.base = Q
        neg_id = factories.zeros_like(Q_init)
        neg_id.diagonal(dim1=-2, dim2=-1).fill_(-1.0)
        return neg_id


def orthogonal(
    module: Module,
    name: str = "weight",
    orthogonal_map: str | None = None,
    *,
    use_trivialization: bool = True,
) -> Module:
    """Parametrize the matrix (or batch of matrices) ``module.<name>`` to be orthogonal (or
    unitary): by ``"matrix_exp"`` or ``"cayley"`` of a skew-symmetric matrix, or by a product
    of ``"householder"`` reflectors (the default for non-square real matrices). With
    ``use_trivialization`` the result multiplies a fixed orthogonal ``base``, which starts as
    the weight's orthogonalization."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError(
            f"Expected a matrix or batch of matrices. Got a tensor of {weight.ndim} dimensions."
        )
    if orthogonal_map is None:
        square = weight.shape[-2] == weight.shape[-1]
        orthogonal_map = "matrix_exp" if square or weight.is_complex() else "householder"
    orth_enum = getattr(_OrthMaps, orthogonal_map, None)
    if orth_enum is None:
        raise ValueError(
            'orthogonal_map has to be one of "matrix_exp", "cayley", "householder". Got: '
            f"{orthogonal_map}"
        )
    orth = _Orthogonal(weight, orth_enum, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module
