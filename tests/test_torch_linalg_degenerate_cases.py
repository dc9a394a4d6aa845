"""Cases a fuzz of ``linalg`` at degenerate inputs against PyTorch found chainrule answering
differently: singular, rank-deficient and non-finite matrices, empty ones, integer dtypes. Each
snippet runs with ``T`` as torch and as chainrule; what it leaves in ``out`` (values rounded,
gradients, or the error: type and first line) must be the same."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from snippet_outcome import outcome

import chainrule as cr

# ``t`` makes a float64 tensor; ``r`` rounds a tensor's values (nan and inf kept, -0.0 as 0.0)
# for a comparison in text; ``grad`` is the gradient of ``f(x).sum()`` at ``a``
PRELUDE = """
nan, inf, f64 = float("nan"), float("inf"), T.float64
def t(a):
    return T.tensor(a, dtype=f64)
def r(x):
    return [round(v, 8) + 0.0 for v in x.detach().double().flatten().tolist()]
def grad(f, a):
    x = T.tensor(a, dtype=f64, requires_grad=True)
    f(x).sum().backward()
    return r(x.grad)
"""

SNIPPETS = {
    # an infinite gradient of the eigenvalues or singular values: V diag(g) V^T with V's
    # columns scaled by g, as PyTorch's, keeps the infs (a diagonal matrix of g had inf * 0,
    # nan, everywhere); found by the fuzzer through exp(exp(eigvalsh(...)))
    "eigvalsh with an infinite gradient": """
        out = grad(lambda x: T.linalg.eigvalsh(x @ x.mT).exp().exp() * t([1.0, -0.5]),
                   [[0.5481, -0.9209, -1.8359], [-1.9339, 1.2531, 1.6511]])
    """,
    "svdvals with an infinite gradient": """
        out = grad(lambda x: T.linalg.svdvals(x * 3).exp().exp(),
                   [[0.5481, -0.9209, -1.8359], [-1.9339, 1.2531, 1.6511]])
    """,
    "det gradient at zero matrices": """
        out = (grad(T.linalg.det, [[0.0]]), grad(T.linalg.det, [[0.0, 0.0], [0.0, 0.0]]))
    """,
    "det second derivative at a singular matrix": """
        x = t([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 1.0, 1.0]]).requires_grad_()
        (g,) = T.autograd.grad(T.linalg.det(x), [x], create_graph=True)
        (g * T.arange(9.0, dtype=f64).reshape(3, 3)).sum().backward()
        out = (r(g), r(x.grad))
    """,
    # solve's gradient for B, from a batch whose A holds a nan: nan throughout, as the values
    # (LAPACK's pivoting left some rows of the gradient plausible numbers)
    "solve gradient of a broadcast B with a nan in one A": """
        a = t([[[2.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 4.0]],
               [[1.0, 2.0, 0.0], [nan, 1.0, 0.0], [0.0, 0.0, 1.0]]])
        b = t([[1.0, 0.0, 2.0], [0.0, 1.0, 1.0], [1.0, 1.0, 0.0]]).requires_grad_()
        T.linalg.solve(a, b).sum().backward()
        out = r(b.grad)
    """,
    # QR's gradient at a rank-deficient A: nan (NumPy's "Singular matrix" was raised)
    "qr gradient at a rank-deficient matrix": """
        out = grad(lambda a: T.linalg.qr(a).R, [[1.0, 2.0], [0.0, 0.0], [0.0, 0.0]])
    """,
    # the positive-order norms of an empty matrix are 0 (the max of nothing raised IndexError)
    "matrix_norm of empty matrices": """
        z = T.zeros
        out = [r(T.linalg.matrix_norm(z(s), o)) for s in [(0, 0), (3, 0), (2, 0, 3)]
               for o in (2, 1, inf, "nuc", -inf)]
    """,
    "norm 2 of an empty matrix with keepdim": """
        out = T.linalg.norm(T.zeros(1, 3, 0, 3), 2, dim=(-1, -2), keepdim=True).shape
    """,
    "cond of empty matrices": """
        z = T.zeros
        out = [r(T.linalg.cond(z(s), p)) for s in [(0, 0), (3, 0), (2, 0, 3)]
               for p in (None, 2, -2, 1, -1, inf, -inf)]
    """,
    "cond fro of an empty non-square matrix": """
        out = T.linalg.cond(T.zeros(3, 0), "fro")
    """,
    # the first zero pivot and the batch element, as PyTorch's message says
    "inv of a singular member of a batch": """
        out = T.linalg.inv(T.tensor([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 2.0], [2.0, 4.0]]]))
    """,
    "matrix_power negative of a singular matrix": """
        out = T.linalg.matrix_power(T.zeros(2, 1, 2, 2), -3)
    """,
    # integer matrices multiply; only an inverse needs floating point
    "matrix_power of an integer matrix": """
        a = T.tensor([[1, 2], [3, 4]])
        out = (T.linalg.matrix_power(a, 3), T.linalg.matrix_power(a, 0))
    """,
    "matrix_power negative of an integer matrix": """
        out = T.linalg.matrix_power(T.tensor([[1, 2], [3, 4]]), -1)
    """,
    "matrix_power negative of a non-square matrix": """
        out = T.linalg.matrix_power(T.ones(2, 3), -1)
    """,
    "integer matrix refused with PyTorch's words": """
        out = T.linalg.svd(T.ones(2, 2, dtype=T.int64))
    """,
    "integer matrix refused by cholesky": """
        out = T.linalg.cholesky(T.ones(2, 2, dtype=T.int32))
    """,
    "geqrf refuses integers": """
        out = T.geqrf(T.ones(3, 2, dtype=T.int64))
    """,
    "geqrf refuses float16": """
        out = T.geqrf(T.ones(3, 2, dtype=T.float16))
    """,
    # a nan in the triangle eigh reads: LAPACK fails to converge (or answers finite numbers)
    "eigh reads one triangle, a nan in the other": """
        out = r(T.linalg.eigvalsh(T.tensor([[1.0, nan], [1.0, 2.0]])))
    """,
    # hermitian=True reads A's lower triangle (PyTorch's eigh), with the rule of pinv on A
    "pinv hermitian of a non-symmetric matrix": """
        a = [[2.0, 5.0, -1.0], [1.0, 3.0, 7.0], [0.5, -2.0, 1.0]]
        w = T.arange(9.0, dtype=f64).reshape(3, 3)
        out = (r(T.linalg.pinv(t(a), hermitian=True)),
               grad(lambda x: T.linalg.pinv(x, hermitian=True) * w, a))
    """,
    "pinv hermitian with tolerances": """
        a = t([[2.0, 5.0, -1.0], [1.0, 0.1, 7.0], [0.5, -2.0, 1e-3]])
        out = r(T.linalg.pinv(a, atol=0.1, rtol=0.1, hermitian=True))
    """,
    "pinv hermitian of a non-square matrix": """
        out = T.linalg.pinv(T.ones(2, 3), hermitian=True)
    """,
    "matrix_rank hermitian reads the lower triangle": """
        out = [int(T.linalg.matrix_rank(T.tensor(a), hermitian=True))
               for a in ([[1.0, 5.0], [0.0, 0.0]], [[0.0, 5.0], [0.0, 0.0]])]
    """,
    "matrix_rank hermitian of a non-square matrix": """
        out = T.linalg.matrix_rank(T.ones(2, 3), hermitian=True)
    """,
    # LAPACK's pivot test fails on a nan: not positive-definite (NumPy factored it through)
    "cholesky of a nan": """
        out = T.linalg.cholesky(T.tensor([[nan]]))
    """,
    "cholesky of a nan below the diagonal": """
        out = T.linalg.cholesky(T.tensor([[4.0, 1.0], [nan, 2.0]]))
    """,
    "cholesky of a batch with a nan member": """
        out = T.linalg.cholesky(T.tensor([[[1.0]], [[nan]]]))
    """,
    "cholesky_ex info of nan members": """
        a = T.tensor([[[nan, 0.0], [0.0, -1.0]], [[4.0, 1.0], [nan, 2.0]]])
        out = T.linalg.cholesky_ex(a).info
    """,
    "cholesky reads one triangle, a nan in the other": """
        out = r(T.linalg.cholesky(T.tensor([[4.0, nan], [1.0, 2.0]])))
    """,
    "lu without pivoting": """
        out = T.linalg.lu(T.eye(2), pivot=False)
    """,
    # checked, the same before: the riskiest degenerate cases
    "slogdet of a singular matrix": """
        out = [r(x) for x in T.linalg.slogdet(t([[1.0, 2.0], [2.0, 4.0]]))]
    """,
    "inv_ex of a batch with a singular member": """
        a = T.tensor([[[2.0, 1.0], [1.0, 3.0]], [[1.0, 2.0], [2.0, 4.0]]])
        out = (r(T.linalg.inv_ex(a).inverse[0]), T.linalg.inv_ex(a).info)
    """,
    "solve_ex info of a singular matrix": """
        out = T.linalg.solve_ex(T.zeros(2, 2), T.ones(2)).info
    """,
    "cholesky_ex info of a non-PD matrix": """
        out = T.linalg.cholesky_ex(T.tensor([[1.0, 2.0], [2.0, 1.0]])).info
    """,
    "svdvals of the zero matrix and its gradient": """
        w = t([1.0, 2.0])
        a = [[1.0, 0.0, 0.0], [0.0, 3.0, 0.0]]
        out = (r(T.linalg.svdvals(T.zeros(2, 3))), grad(lambda x: T.linalg.svdvals(x) * w, a))
    """,
    "eigvalsh gradient at repeated eigenvalues": """
        w = t([1.0, 2.0, 3.0])
        out = grad(lambda x: T.linalg.eigvalsh(x) * w, T.diag(t([2.0, 2.0, 5.0])).tolist())
    """,
    "pinv gradient of a rank-deficient matrix": """
        w = T.arange(6.0, dtype=f64).reshape(3, 2)
        out = grad(lambda x: T.linalg.pinv(x) * w, [[1.0, 2.0, 0.0], [2.0, 4.0, 0.0]])
    """,
    "matrix_rank with tol of a rank-deficient batch": """
        a = t([[[1.0, 2.0], [2.0, 4.0]], [[1.0, 0.0], [0.0, 1e-3]]])
        out = T.linalg.matrix_rank(a, tol=1e-2)
    """,
    "nuclear norm gradient of a rank-one matrix": """
        out = grad(lambda x: T.linalg.matrix_norm(x, "nuc"), [[3.0, 0.0], [0.0, 0.0]])
    """,
    "lstsq of a rank-deficient matrix, gelsd": """
        a = t([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]])
        res = T.linalg.lstsq(a, t([[1.0], [2.0], [2.0]]), driver="gelsd")
        out = (r(res.solution), res.rank, r(res.singular_values))
    """,
    "solve broadcasting batch dimensions": """
        out = T.linalg.solve(T.eye(2).expand(3, 1, 2, 2), T.ones(4, 2, 1)).shape
    """,
    "det of non-square matrices": """
        out = T.linalg.det(T.ones(2, 3))
    """,
}


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name", SNIPPETS)
def test_degenerate_case_matches_pytorch(name: str) -> None:
    code = SNIPPETS[name]
    expected = outcome(torch, code, PRELUDE).replace("_LinAlgError", "LinAlgError")
    assert outcome(cr, code, PRELUDE) == expected


def test_slogdet_gradient_at_a_singular_matrix_is_nan() -> None:
    """Unbounded, with a sign that depends on the side: nan (PyTorch's holds inf and nan from
    its LU, or huge finite numbers where roundoff leaves the pivot nonzero)."""
    x = cr.tensor([[[1.0, 2.0], [2.0, 4.0]], [[2.0, 0.0], [0.0, 4.0]]], requires_grad=True)
    cr.linalg.slogdet(x).logabsdet.sum().backward()
    assert np.isnan(x.grad.numpy()[0]).all()
    np.testing.assert_allclose(x.grad.numpy()[1], [[0.5, 0.0], [0.0, 0.25]])


@pytest.mark.parametrize(
    "a",
    [
        [[1.46, -0.51, -0.84], [0.0, 0.0, 1.52], [0.0, 0.0, 1.12]],  # rank 2, triangular
        [[0.0, 1.0], [0.0, 0.0]],  # nilpotent
        [[1.0, 2.0], [2.0, 4.0]],  # rank 1
        [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 1.0, 1.0]],  # rank 2, a row twice another
    ],
)
def test_det_gradient_at_a_singular_matrix_is_the_adjugate(a: list[list[float]]) -> None:
    """Central differences agree; PyTorch answers zeros at these (its own double backward,
    with create_graph, gives the adjugate). At the last, PyTorch's answer is its LAPACK's: the
    adjugate on one CPU, zeros on an AMD EPYC's (its LU meets an exact zero pivot there)."""
    a = np.array(a)
    x = cr.tensor(a, requires_grad=True)
    cr.linalg.det(x).backward()
    h, fd = 1e-6, np.zeros_like(a)
    for i, j in np.ndindex(*a.shape):
        e = np.zeros_like(a)
        e[i, j] = h
        fd[i, j] = (np.linalg.det(a + e) - np.linalg.det(a - e)) / (2 * h)
    np.testing.assert_allclose(x.grad.numpy(), fd, atol=1e-8)
    assert np.abs(fd).max() > 0.5  # not the zeros PyTorch answers


@pytest.mark.parametrize("a", [[[np.nan, 1.0], [1.0, 2.0]], [[1.0, 2.0], [2.0, np.nan]]])
def test_eigh_of_a_nan_raises(a: list[list[float]]) -> None:
    """PyTorch fails to converge on the second (an error code LAPACK chooses) and answers
    finite eigenvalues, ±1.41, for the first; chainrule refuses both."""
    with pytest.raises(cr.linalg.LinAlgError, match="contained non-finite values"):
        cr.linalg.eigh(cr.tensor(a))
