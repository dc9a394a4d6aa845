"""PyTorch-style printing: ``tensor([10.], requires_grad=True)``.

The layout follows PyTorch's ``torch/_tensor_str.py`` rule for rule (one width for all
elements, as many per line as fit in 80 columns, 3 edge items when over 1000 elements), so
tutorial output reads the same.

    >>> import chainrule as cr
    >>> cr.tensor([[0.5, 1.0], [2.0, 3.0]], dtype=cr.float64)
    tensor([[0.5000, 1.0000],
            [2.0000, 3.0000]], dtype=chainrule.float64)
    >>> cr.tensor([1.2345678, 100.0])
    tensor([  1.2346, 100.0000])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from chainrule import dtypes
from chainrule._array import xp

if TYPE_CHECKING:
    from chainrule.tensor import Tensor


class _PrintOptions:
    """PyTorch's print options; ``set_printoptions`` changes them."""

    precision = 4
    # Over ``threshold`` elements, print only the first and last ``edgeitems`` of long axes.
    threshold: float = 1000
    edgeitems = 3
    linewidth = 80
    sci_mode: bool | None = None


_PROFILES = {
    "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": float("inf"), "edgeitems": 3, "linewidth": 80},
}
PRINT_OPTS = _PrintOptions()


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """Digits, summarizing and line width of printed tensors, as ``torch.set_printoptions``.

    >>> import chainrule as cr
    >>> cr.set_printoptions(precision=2)
    >>> cr.tensor([1.2345])
    tensor([1.23])
    >>> cr.set_printoptions(profile="default")
    """
    if profile is not None:
        for name, value in _PROFILES[profile].items():
            setattr(PRINT_OPTS, name, value)
    for name, value in (
        ("precision", precision),
        ("threshold", threshold),
        ("edgeitems", edgeitems),
        ("linewidth", linewidth),
    ):
        if value is not None:
            setattr(PRINT_OPTS, name, value)
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict[str, object]:
    """The current print options, as a dict (``torch.get_printoptions``)."""
    names = ("precision", "threshold", "edgeitems", "linewidth", "sci_mode")
    return {name: getattr(PRINT_OPTS, name) for name in names}


def _float_formatter(values: xp.ndarray) -> tuple[Callable[[float], str], int]:
    """PyTorch's choice: integers as ``3.``, else 4 decimals, scientific when the magnitudes
    span more than 1000x (or reach 1e8, or fall below 1e-4); all padded to one width."""
    finite = values[xp.isfinite(values) & (values != 0)].astype(xp.float64)
    int_mode, sci_mode, width = True, False, 1
    # With no nonzero finite value PyTorch decides nothing: zeros, nan and inf print as
    # integers ("0.", "nan") whatever sci_mode says.
    if finite.size:
        magnitudes = xp.abs(finite)
        big, small = magnitudes.max(), magnitudes.min()
        int_mode = bool(xp.all(finite == xp.ceil(finite)))
        # The ratio rounded as PyTorch rounds it (2738.500170148095 / 2.738500170148095 is
        # 1000.0000000000001 where the product 1000 * 2.738500170148095 is not below it);
        # 1e300 / 1e-300 overflows to an inf that is over 1000 all the same.
        with xp.errstate(over="ignore"):
            sci_mode = big / small > 1000.0 or big > 1.0e8 or small < 1.0e-4
        if PRINT_OPTS.sci_mode is not None:
            sci_mode = PRINT_OPTS.sci_mode
    precision = PRINT_OPTS.precision

    def plain(v: float) -> str:
        if sci_mode:
            return f"{v:.{precision}e}"
        if int_mode:
            return f"{v:.0f}" + ("." if xp.isfinite(v) else "")
        return f"{v:.{precision}f}"

    if finite.size:
        width = max(len(plain(v)) for v in finite.tolist())
    return (lambda v: plain(v).rjust(width)), width


def _formatter(values: xp.ndarray) -> tuple[Callable[[object], str], int]:
    """How to print one element, and the width that decides how many fit on a line."""
    if values.dtype.kind == "f":
        return _float_formatter(values)  # type: ignore[return-value]
    width = max((len(str(v)) for v in values.flat), default=1)
    return (lambda v: str(v).rjust(width)), width


def _summarized(data: xp.ndarray) -> xp.ndarray:
    """The values a summarized print shows, which alone decide the format."""
    edge = PRINT_OPTS.edgeitems
    for axis, n in enumerate(data.shape):
        if n > 2 * edge:
            keep = xp.r_[0:edge, n - edge : n]
            data = xp.take(data, keep, axis=axis)
    return data


def _rows(data: xp.ndarray, summarize: bool) -> list[xp.ndarray]:
    """The sub-arrays along the first axis, with None where ``...`` stands for the middle."""
    n, edge = data.shape[0], PRINT_OPTS.edgeitems
    if summarize and n > 2 * edge:
        return [*data[:edge], None, *data[n - edge :]]
    return list(data)


def _format(
    data: xp.ndarray, indent: int, summarize: bool, fmt: Callable[[object], str], width: int
) -> str:
    if data.ndim == 0:
        return fmt(data.item())
    if summarize and not PRINT_OPTS.edgeitems:
        # PyTorch's: with no edge items the ellipsis stands alone, at any depth
        return "[...]"
    if data.ndim == 1:
        words = [" ..." if v is None else fmt(v.item()) for v in _rows(data, summarize)]
        per_line = max(1, (PRINT_OPTS.linewidth - indent) // (width + 2))
        lines = [", ".join(words[i : i + per_line]) for i in range(0, len(words), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    slices = [
        "..." if row is None else _format(row, indent + 1, summarize, fmt, width)
        for row in _rows(data, summarize)
    ]
    return "[" + ("," + "\n" * (data.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def format_values(data: xp.ndarray, indent: int) -> str:
    """The bracketed values of ``data`` as PyTorch prints them, continuation lines indented."""
    summarize = data.size > PRINT_OPTS.threshold
    shown = _summarized(data) if summarize else data
    return _format(data, indent, summarize, *_formatter(shown))


def _add_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    """Append ``, dtype=...`` and the like, on a new line when the last one would overflow."""
    parts = [text]
    last_line = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        # Measured as PyTorch's "dtype=torch.float64", so that the lines break where
        # PyTorch's do and the print differs from PyTorch's by the module's name alone.
        length = len(suffix.replace("chainrule.", "torch."))
        if last_line + length + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line = indent + length
        else:
            parts.append(", " + suffix)
            last_line += length + 2
    return "".join(parts) + ")"


def tensor_repr(t: Tensor) -> str:
    prefix = "tensor("
    data = t._data
    suffixes = []
    body = "[]" if data.size == 0 else format_values(data, len(prefix))
    # The shape where the values do not tell it, as PyTorch: an empty tensor's but (0,)'s,
    # and every shape when no edge items are printed (a summarized print is a lone "...").
    if (data.size == 0 and data.ndim != 1) or (data.size and not PRINT_OPTS.edgeitems):
        suffixes.append(f"size={tuple(data.shape)}")
    default = dtypes.default_float
    if data.dtype not in (default, xp.int64, xp.bool_) or (
        data.size == 0 and data.dtype != default
    ):
        suffixes.append(f"dtype=chainrule.{data.dtype.name}")
    if t.grad_fn is not None:
        # PyTorch's: the node's name without its namespace ("chainrule::autograd::X": "X").
        suffixes.append(f"grad_fn=<{t.grad_fn.name().rsplit('::', 1)[-1]}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, len(prefix))
