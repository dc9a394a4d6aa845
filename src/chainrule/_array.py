"""The one place that names the array module, with the two helpers NumPy keeps elsewhere.

Every op computes on ``xp``; a CuPy or Array-API backend is a swap of these imports (CuPy has
``cupyx.scatter_add`` and its own ``sliding_window_view``), not a search through the ops.

    >>> import numpy as np
    >>> out = np.zeros(3)
    >>> add_at(out, (np.array([0, 2, 0]),), np.ones(3))   # repeated targets add up
    >>> out
    array([2., 0., 1.])
"""

from typing import Any

import numpy as xp
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["add_at", "sliding_window_view", "xp"]


def add_at(target: Any, index: Any, values: Any) -> None:
    """``target[index] += values`` in place, where a repeated index adds every value."""
    xp.add.at(target, index, values)
