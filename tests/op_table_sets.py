"""Op-table rows for set-like and other tensor functions: unique, mode, aminmax,
cartesian_prod, combinations, block_diag, trapezoid, ldexp, vander, renorm and others.

The same ``OpSpec`` format as ``tests/op_table.py``: every row runs finite differences in
float64, second order, jvp, vmap, layouts, and values and gradients against PyTorch.
"""

from __future__ import annotations

from op_table import OpSpec

SETS_SPECS: list[OpSpec] = []
