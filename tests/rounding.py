"""How far apart two correct matrix products may lie: the rounding bound of a sum.

BLAS kernels differ by CPU (OpenBLAS picks one per microarchitecture) and by thread count, and
each sums a product's terms in its own order. A fixed relative tolerance on the result fails
where terms cancel (a small entry made of large terms), however correct both sums are. Higham's
bound does not: a dot product of ``k`` terms computed in any order lies within
``k * eps * sum(|terms|)`` of the exact one, so two such sums lie within twice that.

    >>> import numpy as np
    >>> a, b = np.ones((2, 3), np.float32), np.ones((3, 2), np.float32)
    >>> assert_product_close(a @ b, a, b)
"""

from __future__ import annotations

from typing import Any

import numpy as np


def assert_product_close(got: Any, a: Any, b: Any, bias: Any = 0.0) -> None:
    """``got`` equals ``a @ b + bias`` up to the rounding of any order of summation, in the
    precision the product is computed in (``a``'s and ``b``'s)."""
    a64, b64, bias64 = (np.asarray(m, np.float64) for m in (a, b, bias))
    exact = a64 @ b64 + bias64  # float64: exact enough to judge a float32 product
    terms = np.abs(a64) @ np.abs(b64) + np.abs(bias64)
    k = a64.shape[-1] + 1  # the bias is one more term
    bound = 2 * k * np.finfo(np.result_type(a, b)).eps * terms
    error = np.abs(np.asarray(got, np.float64) - exact)
    assert got.shape == exact.shape, (got.shape, exact.shape)
    assert (error <= bound).all(), f"{(error > bound).sum()} entries beyond the rounding bound"
