"""The one place that names the array module.

Every op computes on ``xp``; a CuPy backend is a swap of this import, not a rewrite.
"""

import numpy as xp

__all__ = ["xp"]
