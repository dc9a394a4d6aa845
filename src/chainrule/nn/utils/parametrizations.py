"""``torch.nn.utils.parametrizations``: weight norm, spectral norm and orthogonal matrices,
each a module registered with :func:`~chainrule.nn.utils.parametrize.register_parametrization`.

>>> import chainrule as cr
>>> m = orthogonal(cr.nn.Linear(3, 3))
>>> bool(cr.allclose(m.weight @ m.weight.mT, cr.eye(3), atol=1e-6))
True
"""

from __future__ import annotations

from chainrule import (
    allclose,
    cat,
    eye,
    geqrf,
    grad_mode,
    linalg,
    norm_except_dim,
    randn,
    zeros_like,
)
from chainrule._array import xp
from chainrule.nn import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from chainrule.nn import functional as F
from chainrule.nn.module import Module
from chainrule.nn.utils.parametrize import register_parametrization
from chainrule.tensor import Tensor

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]

_ORTHOGONAL_MAPS = ("matrix_exp", "cayley", "householder")


def _named_tensor(module: Module, name: str) -> Tensor:
    tensor = getattr(module, name, None)
    if not isinstance(tensor, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    return tensor


# ---------------------------------------------------------------- weight norm
class _WeightNorm(Module):
    """``weight = g * v / ||v||``, the norm taken over every dimension but ``dim`` (over all
    of them when ``dim`` is None or -1); the originals are ``g`` then ``v``."""

    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        return weight_v * (weight_g / norm_except_dim(weight_v, 2, self.dim))

    def right_inverse(self, weight: Tensor) -> tuple[Tensor, Tensor]:
        return norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Split ``module.<name>`` into a magnitude ``original0`` and a direction ``original1``
    (Salimans & Kingma's weight normalization); returns ``module``.

    >>> import chainrule as cr
    >>> m = weight_norm(cr.nn.Linear(4, 3))
    >>> [tuple(t.shape) for t in m.parametrizations.weight.parameters()]
    [(3, 1), (3, 4)]
    """
    register_parametrization(module, name, _WeightNorm(dim), unsafe=True)
    return module


# ---------------------------------------------------------------- spectral norm
def _as_matrix(weight: Tensor, dim: int) -> Tensor:
    """``weight`` with ``dim`` moved first and the rest flattened: the matrix whose largest
    singular value spectral norm divides by."""
    if dim != 0:
        weight = weight.movedim(dim, 0)
    return weight.flatten(1)


class _SpectralNorm(Module):
    """``weight / sigma``, ``sigma`` the largest singular value of ``weight`` seen as a matrix,
    estimated by power iteration with the vectors ``_u`` and ``_v`` kept as buffers (one step
    per forward in training, none in eval). A vector is just normalized."""

    def __init__(
        self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12
    ) -> None:
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(
                "Dimension out of range (expected to be in range of "
                f"[-{ndim}, {ndim - 1}] but got {dim})"
            )
        if n_power_iterations <= 0:
            raise ValueError(
                "Expected n_power_iterations to be positive, but got "
                f"n_power_iterations={n_power_iterations}"
            )
        self.dim = dim % ndim
        self.eps = eps
        self.n_power_iterations = n_power_iterations
        if ndim > 1:
            matrix = _as_matrix(weight, self.dim)
            rows, cols = matrix.shape
            u = matrix.new_empty(rows).normal_(0, 1)
            v = matrix.new_empty(cols).normal_(0, 1)
            self.register_buffer("_u", F.normalize(u, dim=0, eps=eps))
            self.register_buffer("_v", F.normalize(v, dim=0, eps=eps))
            # Start from good estimates rather than random vectors.
            self._power_iterations(matrix, 15)

    def _power_iterations(self, matrix: Tensor, steps: int) -> None:
        # In place: the buffers stay the objects the state dict holds.
        with grad_mode.no_grad():
            for _ in range(steps):
                F.normalize(matrix @ self._v, dim=0, eps=self.eps, out=self._u)
                F.normalize(matrix.mH @ self._u, dim=0, eps=self.eps, out=self._v)

    def forward(self, weight: Tensor) -> Tensor:
        if weight.ndim == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        matrix = _as_matrix(weight, self.dim)
        if self.training:
            self._power_iterations(matrix, self.n_power_iterations)
        # Copies: the gradient must not see the next in-place update of the buffers.
        u, v = self._u.clone(), self._v.clone()
        sigma = u.conj() @ (matrix @ v)
        return weight / sigma

    def right_inverse(self, value: Tensor) -> Tensor:
        # Assigning a weight takes it as it is: dividing by its norm again is the forward.
        return value


def spectral_norm(
    module: Module,
    name: str = "weight",
    n_power_iterations: int = 1,
    eps: float = 1e-12,
    dim: int | None = None,
) -> Module:
    """Divide ``module.<name>`` by its spectral norm (Miyato et al.), estimated by power
    iteration; ``dim`` (default 0, 1 for transposed convolutions) is the output dimension.

    >>> import chainrule as cr
    >>> m = spectral_norm(cr.nn.Linear(4, 3))
    >>> sorted(name for name, _ in m.named_buffers())
    ['parametrizations.weight.0._u', 'parametrizations.weight.0._v']
    """
    weight = _named_tensor(module, name)
    if dim is None:
        transposed = (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)
        dim = 1 if isinstance(module, transposed) else 0
    register_parametrization(module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module


# ---------------------------------------------------------------- orthogonal
def _orthonormal_columns(A: Tensor) -> Tensor:
    """The Q of A's QR decomposition, its columns' signs chosen so that R's diagonal is
    positive (which makes Q unique)."""
    reflectors, tau = geqrf(A)
    Q = linalg.householder_product(reflectors, tau)
    return Q * reflectors.diagonal(dim1=-2, dim2=-1).sgn().unsqueeze(-2)


def _has_orthonormal_columns(Q: Tensor) -> bool:
    n, k = Q.shape[-2:]
    tolerance = 10.0 * n * xp.finfo(Q._data.dtype).eps
    return bool(allclose(Q.mH @ Q, eye(k, dtype=Q.dtype), atol=tolerance))


class _Orthogonal(Module):
    """A matrix (or batch) with orthonormal columns, or rows when it is wide, as the image of
    an unconstrained one under ``orthogonal_map``. With ``use_trivialization`` the result is
    ``base @ map(X)``: assigning stores the target in the buffer ``base`` and resets ``X``."""

    def __init__(self, weight: Tensor, orthogonal_map: str, *, use_trivialization: bool) -> None:
        super().__init__()
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X: Tensor) -> Tensor:
        wide = X.shape[-2] < X.shape[-1]
        if wide:
            X = X.mT
        n, k = X.shape[-2:]
        if self.orthogonal_map == "householder":
            # Reflectors below the diagonal (unit leading entries, tau making each one a
            # reflection); the diagonal, truncated to integers as PyTorch does (-1 after an
            # assignment), scales the columns.
            A = X.tril(-1)
            tau = 2.0 / (1.0 + (A * A).sum(dim=-2))
            Q = linalg.householder_product(A, tau)
            Q = Q * X.diagonal(dim1=-2, dim2=-1).int().unsqueeze(-2)
        else:
            # A skew-symmetric n x n matrix from the lower triangle (padded when n > k),
            # mapped onto the orthogonal group.
            L = X.tril()
            if n != k:
                L = cat([L, L.new_zeros(n, n - k).expand(*L.shape[:-2], n, n - k)], dim=-1)
            skew = L - L.mH
            if self.orthogonal_map == "matrix_exp":
                Q = linalg.matrix_exp(skew)
            else:
                identity = eye(n, dtype=skew.dtype)
                Q = linalg.solve(identity - 0.5 * skew, identity + 0.5 * skew)
            Q = Q[..., :k]
        base = getattr(self, "base", None)
        if base is not None:
            Q = base @ Q
        return Q.mT if wide else Q

    def right_inverse(self, Q: Tensor) -> Tensor:
        if Q.shape != self.shape:
            raise ValueError(
                f"Expected a matrix or batch of matrices of shape {self.shape}. "
                f"Got a tensor of shape {Q.shape}."
            )
        target = Q
        wide = Q.shape[-2] < Q.shape[-1]
        if wide:
            Q = Q.mT
        n, k = Q.shape[-2:]
        if "base" not in self._buffers:
            if self.orthogonal_map != "householder":
                raise NotImplementedError(
                    "It is not possible to assign to the matrix exponential or the Cayley "
                    "parametrizations when use_trivialization=False."
                )
            # Q's own reflectors, with the diagonal holding the signs that forward reads.
            A, tau = geqrf(Q)
            diagonal = A.diagonal(dim1=-2, dim2=-1)
            diagonal.sign_()
            diagonal[tau == 0.0] *= -1
            return A.mT if wide else A
        if n == k:
            base = Q.clone() if _has_orthonormal_columns(Q) else _orthonormal_columns(Q)
        else:
            # Completed with random columns to a square orthogonal matrix.
            extra = randn(*Q.shape[:-2], n, n - k, dtype=Q.dtype)
            base = _orthonormal_columns(cat([Q, extra], dim=-1))
        self.base = base
        # The X whose map is the identity: the householder map reads the diagonal's signs,
        # and -1 there gives the first k columns of the identity (the other maps ignore it).
        start = zeros_like(target)
        start.diagonal(dim1=-2, dim2=-1).fill_(-1.0)
        return start


def orthogonal(
    module: Module,
    name: str = "weight",
    orthogonal_map: str | None = None,
    *,
    use_trivialization: bool = True,
) -> Module:
    """Keep ``module.<name>`` orthogonal (orthonormal columns, or rows if it is wide) through
    ``orthogonal_map``: ``"matrix_exp"`` (default for square matrices), ``"cayley"`` or
    ``"householder"`` (default otherwise).

    >>> import chainrule as cr
    >>> m = orthogonal(cr.nn.Linear(4, 2))
    >>> bool(cr.allclose(m.weight @ m.weight.mT, cr.eye(2), atol=1e-6))
    True
    """
    weight = _named_tensor(module, name)
    if weight.ndim < 2:
        raise ValueError(
            f"Expected a matrix or batch of matrices. Got a tensor of {weight.ndim} dimensions."
        )
    if orthogonal_map is None:
        square = weight.shape[-2] == weight.shape[-1]
        orthogonal_map = "matrix_exp" if square or weight.is_complex() else "householder"
    if orthogonal_map not in _ORTHOGONAL_MAPS:
        raise ValueError(
            'orthogonal_map has to be one of "matrix_exp", "cayley", "householder". '
            f"Got: {orthogonal_map}"
        )
    parametrization = _Orthogonal(weight, orthogonal_map, use_trivialization=use_trivialization)
    register_parametrization(module, name, parametrization, unsafe=True)
    return module
