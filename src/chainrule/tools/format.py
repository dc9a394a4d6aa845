"""Fixed, deterministic formatting of numbers and arrays for every rendering of an explanation.

Six significant digits, no negative zero, and arrays shortened the same way every time, so the
text of an explanation is stable enough to keep in golden files.

    >>> number(25.0), number(-0.0), number(1 / 3), number(float("nan"))
    ('25', '0', '0.333333', 'nan')
    >>> import numpy as np
    >>> array(np.array([[1.0, 2.5], [3.0, 4.0]]))
    '[[1, 2.5], [3, 4]]'
"""

from __future__ import annotations

import math
from typing import Any

from chainrule._array import xp

#: Arrays with more elements than this print as their first and last few elements.
MAX_SHOWN_ELEMENTS = 24
_ENDS = 3


def number(value: Any) -> str:
    """A scalar with six significant digits; ``-0`` prints as ``0``; a boolean (a comparison's
    mask) as ``True`` or ``False``, as PyTorch prints it."""
    if isinstance(value, bool | xp.bool_):
        return str(bool(value))
    value = float(value)
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if value == 0:
        return "0"
    return f"{value:.6g}"


def printable(text: str) -> str:
    r"""Text for a title, on one line: every character that is not printable (a carriage
    return, form feed, newline...) written as its Python escape, so that echoing a user's
    expression cannot move the cursor or overwrite what a terminal shows.

    >>> print(printable("x *\r2\v+ 1"))
    x *\r2\x0b+ 1
    """
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def shape(dims: tuple[int, ...]) -> str:
    """A shape as Python writes a tuple: ``()``, ``(3,)``, ``(2, 3)``."""
    return str(tuple(int(d) for d in dims))


def array(value: Any) -> str:
    """A scalar as :func:`number`, a small array as nested lists, a large one shortened."""
    a = xp.asarray(value)
    if a.ndim == 0:
        return number(a[()])
    if a.dtype.kind != "b":
        a = a.astype(float)
    if a.size <= MAX_SHOWN_ELEMENTS:
        return _nested(a.tolist())
    flat = a.reshape(-1)
    head = ", ".join(number(v) for v in flat[:_ENDS])
    tail = ", ".join(number(v) for v in flat[-_ENDS:])
    return f"[{head}, ..., {tail}] (shape {shape(a.shape)})"


def _nested(values: Any) -> str:
    if isinstance(values, list):
        return "[" + ", ".join(_nested(v) for v in values) + "]"
    return number(values)


def jsonable(value: Any) -> Any:
    """An array as JSON data: a number for a scalar, nested lists otherwise; ``nan`` and
    ``inf`` (which JSON cannot hold) become the strings ``"nan"``, ``"inf"``, ``"-inf"``."""
    if value is None:
        return None
    a = xp.asarray(value)
    if a.dtype.kind == "b":
        a = a.astype(float)
    return _json_values(a.tolist())


def _json_values(values: Any) -> Any:
    if isinstance(values, list):
        return [_json_values(v) for v in values]
    if isinstance(values, float) and not math.isfinite(values):
        return number(values)
    return values
