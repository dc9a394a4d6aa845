"""LAPACK's results lie column-major in PyTorch (each matrix's columns contiguous, strides
``(..., 1, rows)``), and chainrule lays them out the same way: the layout shows to code written
for PyTorch, where ``view(-1)`` of ``inv(A)`` is refused and ``flatten`` or ``reshape`` copy it,
so that a later in-place change of the result does not reach the copy
(``test_fuzz_vs_torch``'s found programs show that case end to end).

Each row runs the same call in both libraries, on one matrix and on a batch, and compares the
strides of every result (and that a ``view(-1)`` is refused where PyTorch refuses it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr


def _tall(lib: Any, a: Any) -> Any:
    return lib.cat([a, a], -2)


def _wide(lib: Any, a: Any) -> Any:
    return lib.cat([a, a], -1)


def _chol(lib: Any, a: Any, upper: bool = False) -> Any:
    return lib.linalg.cholesky(a, upper=upper)


# name: call(lib, A symmetric positive definite n x n, B n x 2)
CALLS: dict[str, Callable[[Any, Any, Any], Any]] = {
    "linalg.inv": lambda L, A, B: L.linalg.inv(A),
    "linalg.inv_ex": lambda L, A, B: L.linalg.inv_ex(A),
    "inverse": lambda L, A, B: L.inverse(A),
    "inv of a transpose": lambda L, A, B: L.linalg.inv(A.mT),
    "linalg.matrix_power -3": lambda L, A, B: L.linalg.matrix_power(A, -3),
    "linalg.tensorinv": lambda L, A, B: L.linalg.tensorinv(A, ind=1),
    "linalg.solve": lambda L, A, B: L.linalg.solve(A, B),
    "linalg.solve_ex": lambda L, A, B: L.linalg.solve_ex(A, B),
    "linalg.solve left=False": lambda L, A, B: L.linalg.solve(A, B.mT, left=False),
    "linalg.solve of vectors": lambda L, A, B: L.linalg.solve(A, B[..., 0]),
    "linalg.cholesky": lambda L, A, B: _chol(L, A),
    "linalg.cholesky upper": lambda L, A, B: _chol(L, A, upper=True),
    "linalg.cholesky_ex upper": lambda L, A, B: L.linalg.cholesky_ex(A, upper=True),
    "cholesky upper": lambda L, A, B: L.cholesky(A, upper=True),
    "linalg.qr": lambda L, A, B: L.linalg.qr(A),
    "linalg.qr r": lambda L, A, B: L.linalg.qr(A, mode="r"),
    "linalg.qr tall": lambda L, A, B: L.linalg.qr(_tall(L, A)),
    "linalg.qr tall complete": lambda L, A, B: L.linalg.qr(_tall(L, A), mode="complete"),
    "linalg.qr wide": lambda L, A, B: L.linalg.qr(_wide(L, A)),
    "linalg.eigh": lambda L, A, B: L.linalg.eigh(A),
    "linalg.svd": lambda L, A, B: L.linalg.svd(A),
    "linalg.svd tall": lambda L, A, B: L.linalg.svd(_tall(L, A)),
    "linalg.svd wide": lambda L, A, B: L.linalg.svd(_wide(L, A)),
    "linalg.svd tall reduced": lambda L, A, B: L.linalg.svd(_tall(L, A), full_matrices=False),
    "svd": lambda L, A, B: L.svd(A),
    "svd tall some=False": lambda L, A, B: L.svd(_tall(L, A), some=False),
    "linalg.lu": lambda L, A, B: L.linalg.lu(A),
    "linalg.lu tall": lambda L, A, B: L.linalg.lu(_tall(L, A)),
    "linalg.lu_factor": lambda L, A, B: L.linalg.lu_factor(A),
    "linalg.lu_factor tall": lambda L, A, B: L.linalg.lu_factor(_tall(L, A)),
    "linalg.lu_factor wide": lambda L, A, B: L.linalg.lu_factor(_wide(L, A)),
    "linalg.lu_factor_ex": lambda L, A, B: L.linalg.lu_factor_ex(A),
    "lu_unpack": lambda L, A, B: L.lu_unpack(*L.linalg.lu_factor(A)),
    "linalg.lu_solve": lambda L, A, B: L.linalg.lu_solve(*L.linalg.lu_factor(A), B),
    "linalg.lu_solve adjoint": lambda L, A, B: L.linalg.lu_solve(
        *L.linalg.lu_factor(A), B, adjoint=True
    ),
    "linalg.lu_solve left=False": lambda L, A, B: L.linalg.lu_solve(
        *L.linalg.lu_factor(A), B.mT, left=False
    ),
    "linalg.lstsq": lambda L, A, B: L.linalg.lstsq(A, B),
    "linalg.lstsq tall": lambda L, A, B: L.linalg.lstsq(_tall(L, A), _tall(L, B)),
    "linalg.lstsq wide": lambda L, A, B: L.linalg.lstsq(A[..., :2, :], B[..., :2, :]),
    "geqrf": lambda L, A, B: L.geqrf(A),
    "linalg.householder_product": lambda L, A, B: L.linalg.householder_product(*L.geqrf(A)),
    "linalg.householder_product tall": lambda L, A, B: L.linalg.householder_product(
        *L.geqrf(_tall(L, A))
    ),
    "orgqr": lambda L, A, B: L.orgqr(*L.geqrf(A)),
    "ormqr": lambda L, A, B: L.ormqr(*L.geqrf(A), B),
    "ormqr transpose": lambda L, A, B: L.ormqr(*L.geqrf(A), B, transpose=True),
    "ormqr right": lambda L, A, B: L.ormqr(*L.geqrf(A), B.mT, left=False),
    "linalg.ldl_factor": lambda L, A, B: L.linalg.ldl_factor(A),
    "linalg.ldl_factor hermitian": lambda L, A, B: L.linalg.ldl_factor(A, hermitian=True),
    "linalg.ldl_solve": lambda L, A, B: L.linalg.ldl_solve(*L.linalg.ldl_factor(A), B),
    "linalg.solve_triangular": lambda L, A, B: L.linalg.solve_triangular(
        _chol(L, A), B, upper=False
    ),
    "linalg.solve_triangular left=False": lambda L, A, B: L.linalg.solve_triangular(
        _chol(L, A), B.mT, upper=False, left=False
    ),
    "cholesky_solve": lambda L, A, B: L.cholesky_solve(B, _chol(L, A)),
    "cholesky_solve upper": lambda L, A, B: L.cholesky_solve(B, _chol(L, A, True), upper=True),
    "cholesky_inverse": lambda L, A, B: L.cholesky_inverse(_chol(L, A)),
    "linalg.matrix_exp (row-major in both)": lambda L, A, B: L.linalg.matrix_exp(A),
    "linalg.pinv (row-major in both)": lambda L, A, B: L.linalg.pinv(A),
}
SHAPES = {"one matrix": (3, 3), "a batch": (2, 3, 3)}


def _inputs(lib: Any, shape: tuple[int, ...]) -> tuple[Any, Any]:
    rng = np.random.default_rng(0)
    g = rng.standard_normal(shape)
    spd = g @ np.swapaxes(g, -1, -2) + 3 * np.eye(shape[-1])
    return lib.tensor(spd), lib.tensor(rng.standard_normal((*shape[:-1], 2)))


def _strides(result: Any) -> Any:
    if isinstance(result, tuple | list):
        return tuple(_strides(r) for r in result)
    return tuple(result.stride())


ONE_MATRIX_ONLY = {"linalg.tensorinv"}  # its ind splits one matrix's dimensions: no batch
ROWS = [
    pytest.param(name, shape, id=f"{name}, {where}")
    for name in CALLS
    for where, shape in SHAPES.items()
    if len(shape) == 2 or name not in ONE_MATRIX_ONLY
]


@pytest.mark.filterwarnings("ignore::UserWarning")  # torch.svd's and torch.qr's deprecations
@pytest.mark.parametrize(("name", "shape"), ROWS)
def test_results_have_pytorchs_strides(name: str, shape: tuple[int, ...]) -> None:
    strides = {lib: _strides(CALLS[name](lib, *_inputs(lib, shape))) for lib in (torch, cr)}
    assert strides[cr] == strides[torch]


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_a_view_of_an_inverse_is_refused_and_its_flattening_copies(shape: tuple) -> None:
    messages = []
    for lib in (torch, cr):
        A, _ = _inputs(lib, shape)
        inverse = lib.linalg.inv(A)
        with pytest.raises(RuntimeError) as refused:
            inverse.view(-1)
        messages.append(str(refused.value).split(".")[0])
        flat = inverse.flatten()
        inverse.add_(1)
        assert np.allclose(flat.numpy() + 1, inverse.numpy().reshape(-1))
        assert inverse.mT.is_contiguous()
    assert messages[0] == messages[1]


def test_the_gradient_passes_through_the_layout_unchanged() -> None:
    grads = []
    for lib in (torch, cr):
        A, B = _inputs(lib, (2, 3, 3))
        A.requires_grad_(True)
        X = lib.linalg.householder_product(*lib.geqrf(A.detach()))  # noqa: N806
        U = lib.linalg.cholesky(A, upper=True)  # noqa: N806
        (U.flatten() * lib.arange(18.0, dtype=lib.float64)).sum().backward()
        grads.append(A.grad.numpy())
        assert X.stride() == (9, 1, 3)
        assert U.grad_fn.name() == "LinalgCholeskyExBackward0"
    assert np.allclose(grads[0], grads[1])
