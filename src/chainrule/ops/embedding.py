"""Embedding lookups whose backward pass follows PyTorch's conventions rather than the
derivative: rows picked at ``padding_idx`` send no gradient back, and with
``scale_grad_by_freq`` the gradient each pick sends to its row is divided by the number of
times the indices pick that row. The values, and forward mode (PyTorch's jvp is the plain
lookup of the tangent), are those of ``weight[indices]``.

    >>> import chainrule as cr
    >>> weight = cr.ones(3, 2, requires_grad=True)
    >>> lookup(weight, cr.tensor([0, 2, 2, 2])._data, None, True).sum().backward()
    >>> weight.grad
    tensor([[1., 1.],
            [0., 0.],
            [1., 1.]])
"""

from __future__ import annotations

from typing import Any

from chainrule._array import add_at, xp
from chainrule.op import Linear, Op, run
from chainrule.ops import dual
from chainrule.tensor import Tensor


def inverse_counts(picked: Any, among: Any, rows: int, dtype: Any) -> Any:
    """``1 / n`` for each index of ``picked``, ``n`` the number of times the integer array
    ``among`` holds it (at least 1), shaped ``picked.shape + (1,)`` to scale rows: computed
    in float64 and rounded once to ``dtype``, as PyTorch rounds its double scale."""
    counts = xp.maximum(xp.bincount(among.reshape(-1), minlength=rows), 1)
    return (1.0 / counts[picked][..., None]).astype(dtype)


def _over_leading_axes(op: Any, values: list[Any], batched: list[bool], size: int) -> Tensor:
    """vmap's rule for both ops below: they read the last two axes of the table (the last
    one of a gradient) and carry any axes in front, so the batch's first axis passes as is."""
    return op(values[0])


def _rows(table: Any, indices: Any) -> Any:
    """``table``'s rows (its axis -2) at ``indices``, each leading axis kept: a new
    contiguous array, as PyTorch's index_select gives."""
    return xp.ascontiguousarray(table[..., indices, :])


class Embedding(Op):
    """``weight[indices]``, whose vjp scatters the gradient back scaled by ``scales`` (the
    inverse counts of ``scale_grad_by_freq``, None for none) and left out where ``kept`` is
    False (picks of ``padding_idx``; None where there is none). Both arrays are shaped
    ``indices.shape + (1,)``."""

    notation = "weight[indices]"
    derivatives = (
        "PyTorch's convention: 1 at each picked row, divided by the row's count in the "
        "indices with scale_grad_by_freq, 0 at padding_idx",
    )
    saves_inputs = False
    batch_rule = staticmethod(_over_leading_axes)
    # The vjp takes a batch of gradients on arrays (leading axes carried): see
    # batching.vjp_on_arrays.
    vjp_broadcasts = True

    def __init__(self, indices: Any, scales: Any | None, kept: Any | None) -> None:
        self.indices = indices
        self.scales = scales
        self.kept = kept

    def forward(self, weight):
        return _rows(weight, self.indices)

    def vjp(self, g, out, weight):
        # On Tensors (create_graph) an op of its own: PyTorch differentiates its embedding
        # backward as the plain lookup, not as this scaled scatter's transpose.
        return (run(EmbeddingDenseBackward(self.fresh(), weight.shape[-2]), g),)

    def jvp(self, tangents, out, weight):
        return self.reapply(tangents[0])


class EmbeddingDenseBackward(Linear):
    """Embedding's vjp: zeros of the table's shape with each pick's gradient, scaled and
    masked as the ``lookup`` (an :class:`Embedding`) says, added at its row. Its own vjp is
    PyTorch's double backward: the lookup of the incoming gradient, unscaled, zero at
    ``padding_idx``."""

    notation = "scatter(g * scales)"
    derivatives = ("gg[indices], unscaled, 0 at padding_idx: PyTorch's convention",)
    saves_inputs = False
    batch_rule = staticmethod(_over_leading_axes)

    def __init__(self, lookup: Embedding, rows: int) -> None:
        self.lookup = lookup
        self.rows = rows

    def forward(self, g):
        lookup = self.lookup
        indices = lookup.indices
        if lookup.scales is not None:
            g = g * lookup.scales
        if lookup.kept is not None:
            # +0.0 at padding_idx, whatever reached it (nan, inf): PyTorch skips those picks
            g = dual.passed(g, lookup.kept)
        leading = g.shape[: g.ndim - indices.ndim - 1]
        out = xp.zeros((*leading, self.rows, g.shape[-1]), dtype=g.dtype)
        add_at(out, (Ellipsis, indices, slice(None)), g)  # in the picks' order, as PyTorch's
        return out

    def vjp(self, gg, out, g):
        lookup = self.lookup
        rows = run(lookup.fresh(), gg)
        return (rows if lookup.kept is None else dual.passed(rows, lookup.kept),)


def lookup(weight: Tensor, indices: Any, padding_idx: int | None, scale_grad_by_freq: bool) -> Any:
    """``weight[indices]`` (``indices`` an integer array, ``padding_idx`` a row or None)
    with PyTorch's backward for ``padding_idx`` and ``scale_grad_by_freq``."""
    rows = weight.shape[0]
    scales = inverse_counts(indices, indices, rows, weight.dtype) if scale_grad_by_freq else None
    kept = None if padding_idx is None else (indices != padding_idx)[..., None]
    return Embedding(indices, scales, kept)(weight)
