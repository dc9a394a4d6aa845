"""Op-table rows for three-dimensional convolution, pooling, padding and normalization (Conv3d,
MaxPool3d, ...).

The same ``OpSpec`` format as ``tests/op_table.py``: every row runs finite differences in
float64, second order, jvp, vmap, layouts, and values and gradients against PyTorch.
"""

from __future__ import annotations

from op_table import OpSpec

VOLUME_SPECS: list[OpSpec] = []
