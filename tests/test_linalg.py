"""``chainrule.linalg`` beyond the op table: result names, errors on bad input, and the
gradients PyTorch refuses.

The values and derivatives (first and second order, forward and reverse) of every function are
rows of ``tests/op_table_linalg.py``.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr

SQUARE = np.array([[4.0, 1.0], [1.0, 3.0]])


@pytest.mark.parametrize(
    ("name", "fields"),
    [
        ("slogdet", ("sign", "logabsdet")),
        ("qr", ("Q", "R")),
        ("eigh", ("eigenvalues", "eigenvectors")),
        ("svd", ("U", "S", "Vh")),
    ],
)
def test_results_are_named_as_in_torch(name: str, fields: tuple[str, ...]) -> None:
    ours = getattr(cr.linalg, name)(cr.tensor(SQUARE))
    theirs = getattr(torch.linalg, name)(torch.tensor(SQUARE))
    assert ours._fields == fields == tuple(theirs._fields if hasattr(theirs, "_fields") else fields)
    assert [tuple(p.shape) for p in ours] == [tuple(p.shape) for p in theirs]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda lib, x: lib.linalg.inv(x[:, :1].repeat(1, 2)), "singular"),
        (lambda lib, x: lib.linalg.inv(x[:1]), "square matrices"),
        (lambda lib, x: lib.linalg.det(x[0]), "at least 2 dimensions"),
        (lambda lib, x: lib.linalg.cholesky(-x), "positive-definite"),
        (lambda lib, x: lib.linalg.solve(x, x[:1]), "Incompatible shapes"),
        (lambda lib, x: lib.linalg.qr(x, mode="full"), "unrecognized mode"),
    ],
)
def test_bad_input_raises_what_torch_raises(call, message: str) -> None:
    with pytest.raises(RuntimeError) as theirs:
        call(torch, torch.tensor(SQUARE))
    with pytest.raises(RuntimeError, match=message) as ours:
        call(cr, cr.tensor(SQUARE))
    linalg_errors = (torch.linalg.LinAlgError, cr.linalg.LinAlgError)
    assert [isinstance(e.value, linalg_errors) for e in (ours, theirs)] in ([1, 1], [0, 0])


def test_full_svd_of_a_rectangle_gives_the_full_factors() -> None:
    x = cr.ones(3, 2, requires_grad=True)  # the extra column of U: no gradient (as PyTorch)
    u, s, vh = cr.linalg.svd(x)
    assert (tuple(u.shape), tuple(s.shape), tuple(vh.shape)) == ((3, 3), (2,), (2, 2))


def test_eigh_reads_the_chosen_triangle() -> None:
    a = np.array([[2.0, 100.0], [1.0, 3.0]])
    for uplo in ("L", "U"):
        ours = cr.linalg.eigh(cr.tensor(a), UPLO=uplo).eigenvalues.numpy()
        theirs = torch.linalg.eigh(torch.tensor(a), UPLO=uplo).eigenvalues.numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


@pytest.mark.parametrize("ord", [None, "fro", "nuc", 1, -1, 2, -2, float("inf"), float("-inf")])
def test_norm_orders_match_torch(ord) -> None:  # noqa: A002
    a = np.array([[1.0, -2.0, 0.5], [3.0, 0.25, -1.0]])
    expected = torch.linalg.norm(torch.tensor(a), ord).item()
    assert cr.linalg.norm(cr.tensor(a), ord).item() == pytest.approx(expected, rel=1e-12)


def test_vector_norm_zero_counts_non_zeros() -> None:
    x = [0.0, 2.0, -1.0, 0.0]
    assert cr.linalg.vector_norm(cr.tensor(x), 0).item() == 2.0
