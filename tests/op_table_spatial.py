"""Op-table rows for spatial nn ops: dilated convolutions, pooling with ceil_mode and
dilation, grid_sample, affine_grid and bicubic interpolation.

The same ``OpSpec`` format as ``tests/op_table.py``: every row runs finite differences in
float64, second order, jvp, vmap, layouts, and values and gradients against PyTorch.
"""

from __future__ import annotations

from op_table import OpSpec

SPATIAL_SPECS: list[OpSpec] = []
