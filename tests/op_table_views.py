"""Op-table rows for shape-changing in-place methods (t_, transpose_, squeeze_, unsqueeze_, ...)
and as_strided.

The same ``OpSpec`` format as ``tests/op_table.py``: every row runs finite differences in
float64, second order, jvp, vmap, layouts, and values and gradients against PyTorch.
"""

from __future__ import annotations

from op_table import OpSpec

VIEWS_SPECS: list[OpSpec] = []
