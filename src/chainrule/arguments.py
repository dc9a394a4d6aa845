"""PyTorch's checks of the arguments a Python call passes, and its words when they fail.

PyTorch parses arguments in C++ against a signature; its messages name the function, the
parameter and the Python type it got. These helpers give the same answers, so that a script
that fails under PyTorch fails the same way here.

    >>> type_name(1.5), type_name(None)
    ('float', 'NoneType')
"""

from __future__ import annotations

from typing import Any


def type_name(value: Any) -> str:
    """Python's C-level name of the type, as PyTorch prints it: ``float``, ``numpy.ndarray``
    (types defined in C carry their module, classes defined in Python do not)."""
    kind = type(value)
    if kind.__flags__ & _HEAP_TYPE or kind.__module__ == "builtins":
        return kind.__name__
    return f"{kind.__module__}.{kind.__name__}"


_HEAP_TYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE: a class statement made the type
