"""Op-table rows for ``torch.nn.functional``'s activations, losses, distances, pooling,
upsampling and layout functions beyond ``tests/op_table_nn.py``. The same ``OpSpec`` rows as
``tests/op_table.py``, read by the same tests.
"""

from __future__ import annotations

from op_table import OpSpec

NN_MORE_SPECS: list[OpSpec] = []
