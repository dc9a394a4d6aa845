"""``chainrule.return_types``: the named tuples that ``max``, ``sort``, ``linalg.qr`` and the
other functions with several results return, one class per function, printed as PyTorch
prints its own (the ops build plain tuples; their public functions hand them out through
:func:`named` or the class).

    >>> import chainrule as cr
    >>> result = cr.tensor([[1.0, 3.0]]).max(dim=1)
    >>> result
    chainrule.return_types.max(
    values=tensor([3.]),
    indices=tensor([1]))
    >>> values, indices = result
    >>> isinstance(result, tuple), result.indices is indices
    (True, True)
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any


def _values_indices(name: str) -> Any:
    """A ``(values, indices)`` named tuple class called ``name``, with PyTorch's repr."""
    return _structseq(name, "values", "indices")


def _structseq(name: str, *fields: str) -> Any:
    """A named tuple of ``fields`` called ``name``, with PyTorch's repr: one field a line."""

    def __repr__(self: Any) -> str:  # noqa: N807
        items = ",\n".join(f"{field}={value!r}" for field, value in zip(fields, self, strict=True))
        return f"chainrule.return_types.{name}(\n{items})"

    base = namedtuple(name, fields)  # noqa: PYI024
    return type(name, (base,), {"__slots__": (), "__repr__": __repr__, "__module__": __name__})


max = _values_indices("max")  # noqa: A001
min = _values_indices("min")  # noqa: A001
sort = _values_indices("sort")
topk = _values_indices("topk")
cummax = _values_indices("cummax")
cummin = _values_indices("cummin")
median = _values_indices("median")
nanmedian = _values_indices("nanmedian")
kthvalue = _values_indices("kthvalue")
mode = _values_indices("mode")
aminmax = _structseq("aminmax", "min", "max")
frexp = _structseq("frexp", "mantissa", "exponent")
_CLASSES = {
    "max": max,
    "min": min,
    "sort": sort,
    "topk": topk,
    "cummax": cummax,
    "cummin": cummin,
    "median": median,
    "nanmedian": nanmedian,
    "kthvalue": kthvalue,
    "mode": mode,
    "aminmax": aminmax,
    "frexp": frexp,
}
# The linear algebra and histogram results, which their functions build directly
# (``linalg_*`` for ``chainrule.linalg``'s, the bare names for the older top-level ones).
qr = _structseq("qr", "Q", "R")
svd = _structseq("svd", "U", "S", "V")
slogdet = _structseq("slogdet", "sign", "logabsdet")
geqrf = _structseq("geqrf", "a", "tau")
triangular_solve = _structseq("triangular_solve", "solution", "cloned_coefficient")
lu_unpack = _structseq("lu_unpack", "P", "L", "U")
linalg_qr = _structseq("linalg_qr", "Q", "R")
linalg_svd = _structseq("linalg_svd", "U", "S", "Vh")
linalg_slogdet = _structseq("linalg_slogdet", "sign", "logabsdet")
linalg_eigh = _structseq("linalg_eigh", "eigenvalues", "eigenvectors")
linalg_lu = _structseq("linalg_lu", "P", "L", "U")
linalg_lu_factor = _structseq("linalg_lu_factor", "LU", "pivots")
linalg_lu_factor_ex = _structseq("linalg_lu_factor_ex", "LU", "pivots", "info")
linalg_cholesky_ex = _structseq("linalg_cholesky_ex", "L", "info")
linalg_inv_ex = _structseq("linalg_inv_ex", "inverse", "info")
linalg_solve_ex = _structseq("linalg_solve_ex", "result", "info")
linalg_lstsq = _structseq("linalg_lstsq", "solution", "residuals", "rank", "singular_values")
linalg_ldl_factor = _structseq("linalg_ldl_factor", "LD", "pivots")
linalg_ldl_factor_ex = _structseq("linalg_ldl_factor_ex", "LD", "pivots", "info")
histogram = _structseq("histogram", "hist", "bin_edges")
histogramdd = _structseq("histogramdd", "hist", "bin_edges")


def named(function: str, result: Any) -> Any:
    """``result`` as ``return_types.<function>`` where it is a ``(values, indices)`` pair;
    a single tensor (``max`` over every element) as it is."""
    return _CLASSES[function](*result) if isinstance(result, tuple) else result
