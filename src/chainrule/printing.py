"""PyTorch-style printing: ``tensor([10.], requires_grad=True)``.

    >>> import chainrule as cr
    >>> cr.tensor([[0.5, 1.0], [2.0, 3.0]], dtype=cr.float64)
    tensor([[0.5000, 1.0000],
            [2.0000, 3.0000]], dtype=chainrule.float64)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from chainrule.tensor import Tensor

_DEFAULT_DTYPES = ("float32", "int64", "bool")


def _float_formatter(values: np.ndarray):  # type: ignore[no-untyped-def]
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return lambda v: str(v)
    magnitudes = np.abs(finite)
    if np.all(finite == np.round(finite)) and magnitudes.max() < 1e8:
        return lambda v: f"{v:.0f}." if np.isfinite(v) else str(v)
    nonzero = magnitudes[magnitudes > 0]
    if nonzero.size and (nonzero.max() >= 1e8 or nonzero.min() < 1e-4 or
                         nonzero.max() / nonzero.min() > 1e3):
        return lambda v: f"{v:.4e}" if np.isfinite(v) else str(v)
    return lambda v: f"{v:.4f}" if np.isfinite(v) else str(v)


def format_values(data: np.ndarray, indent: int) -> str:
    if data.dtype.kind == "f" and data.size:
        formatter = {"float_kind": _float_formatter(data)}
    else:
        formatter = None
    return np.array2string(
        data, separator=", ", prefix=" " * indent, formatter=formatter, threshold=1000,
        edgeitems=3, max_line_width=80,
    )


def tensor_repr(t: Tensor) -> str:
    body = format_values(t._data, len("tensor("))
    extras = []
    if t._data.dtype.name not in _DEFAULT_DTYPES or t._data.size == 0:
        if t._data.dtype.name != "float32":
            extras.append(f"dtype=chainrule.{t._data.dtype.name}")
    if t.grad_fn is not None:
        extras.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        extras.append("requires_grad=True")
    if t._data.size == 0 and t._data.ndim != 1:
        body = f"[], size={tuple(t._data.shape)}"
    return "tensor(" + body + "".join(", " + e for e in extras) + ")"
