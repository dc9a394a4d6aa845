"""A warning attributed to the user's line: the first caller outside chainrule.

A fixed ``stacklevel`` names the wrong line once a public function is reached through one of
chainrule's own wrappers (``out=``'s, :mod:`chainrule.out`), which add a frame; PyTorch's
deprecation warnings point at the caller's code, and so do these.

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn("old name")
    >>> "chainrule" in caught[0].filename  # (here, doctest's own line that ran the example)
    False
"""

from __future__ import annotations

import sys
import warnings


def warn(message: str, category: type[Warning] = UserWarning) -> None:
    """``warnings.warn(message, category)`` at the first frame whose module is not
    chainrule's."""
    frame, level = sys._getframe(1), 2
    while frame is not None and frame.f_globals.get("__name__", "").partition(".")[0] == (
        "chainrule"
    ):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)
