"""Op-table rows for PyTorch's tensor functions and methods beyond the core table: shape
helpers, combinations of elementwise ops, scans and indexing updates that PyTorch programs call
(``torch.lerp``, ``Tensor.narrow``, ``torch.cumprod``, ...). The same ``OpSpec`` rows as
``tests/op_table.py``, read by the same tests.
"""

from __future__ import annotations

from op_table import OpSpec

API_SPECS: list[OpSpec] = []
