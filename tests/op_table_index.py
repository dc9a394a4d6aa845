"""Op-table rows for scatter-style writes: index_put, put, masked_scatter, scatter_reduce,
index_reduce and the *_scatter embeddings.

The same ``OpSpec`` format as ``tests/op_table.py``: every row runs finite differences in
float64, second order, jvp, vmap, layouts, and values and gradients against PyTorch.
"""

from __future__ import annotations

from op_table import OpSpec

INDEX_SPECS: list[OpSpec] = []
