"""Embedding lookups whose backward pass follows PyTorch's conventions rather than the
derivative: rows picked at ``padding_idx`` send no gradient back, and with
``scale_grad_by_freq`` the gradient each pick sends to its row is divided by the number of
times the indices pick that row. The values, and forward mode (PyTorch's jvp is the plain
lookup of the tangent), are those of ``weight[indices]``.

    >>> import chainrule as cr
    >>> weight = cr.ones(3, 2, requires_grad=True)
    >>> lookup(weight, cr.tensor([0, 2, 2, 2]), None, True).sum().backward()
    >>> weight.grad
    tensor([[1., 1.],
            [0., 0.],
            [1., 1.]])
"""

from __future__ import annotations

import math
from typing import Any

from chainrule._array import add_at, add_rows, xp
from chainrule.autodiff import batching
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


def _rows(table: Any, key: tuple[Any, ...]) -> Any:
    """``table``'s rows at ``key`` (index arrays into its dims before the last), each
    leading axis kept: a new contiguous array, as PyTorch's index_select gives."""
    return xp.ascontiguousarray(table[(Ellipsis, *key, slice(None))])


class Embedding(Op):
    """``weight[key]`` (the rows of ``weight``'s axis -2 at the index arrays of ``key``: the
    indices; under vmap, each level's examples and then the indices, into a table lifted to
    those levels), whose vjp scatters the gradient back scaled by ``scales`` (the inverse
    counts of ``scale_grad_by_freq``, None for none) and left out where ``kept`` is False
    (picks of ``padding_idx``; None where there is none). Both arrays broadcast with the
    picked rows."""

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

    def __init__(self, key: tuple[Any, ...], scales: Any | None, kept: Any | None) -> None:
        self.key = key
        self.scales = scales
        self.kept = kept

    def forward(self, weight):
        return _rows(weight, self.key)

    def vjp(self, g, out, weight):
        # On Tensors (create_graph) an op of its own: PyTorch differentiates its embedding
        # backward as the plain lookup, not as this scaled scatter's transpose.
        table = tuple(weight.shape[weight.ndim - len(self.key) - 1 :])
        return (run(EmbeddingDenseBackward(self.fresh(), table), g),)

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

    def __init__(self, lookup: Embedding, table: tuple[int, ...]) -> None:
        self.lookup = lookup
        self.table = table  # the shape of the table's dims the key indexes, and the last

    def forward(self, g):
        lookup = self.lookup
        if lookup.scales is not None:
            g = g * lookup.scales
        if lookup.kept is not None:
            # +0.0 at padding_idx, whatever reached it (nan, inf): PyTorch skips those picks
            g = dual.passed(g, lookup.kept)
        picked = max(index.ndim for index in lookup.key)  # the broadcast of the key's arrays
        out = xp.zeros((*g.shape[: g.ndim - picked - 1], *self.table), dtype=g.dtype)
        if out.ndim == 2 and len(lookup.key) == 1:  # a table's rows (no batch of tables)
            add_rows(out, lookup.key[0].reshape(-1), g.reshape(-1, out.shape[1]))
        else:  # in the picks' order, as PyTorch's
            add_at(out, (Ellipsis, *lookup.key, slice(None)), g)
        return out

    def vjp(self, gg, out, g):
        lookup = self.lookup
        rows = run(lookup.fresh(), gg)
        return (rows if lookup.kept is None else dual.passed(rows, lookup.kept),)


def lookup(
    weight: Tensor,
    indices: Tensor,
    padding_idx: int | None,
    scale_grad_by_freq: bool,
    among: Any = None,
) -> Any:
    """``weight[indices]`` (``indices`` an integer tensor, ``padding_idx`` a row or None)
    with PyTorch's backward for ``padding_idx`` and ``scale_grad_by_freq``: each pick counted
    among the indices themselves, or among the integer array ``among`` (embedding_bag's whole
    input; under vmap, the levels' dims first). Under vmap with indices that differ per
    example, one lookup picks every example's rows from the table lifted to the levels (see
    :func:`batching.physical_key`); each example's picks are counted apart."""
    if type(indices) is batching.BatchedTensor:
        table, levels, key, _ = batching.physical_key(weight, (indices,))
        ids = key[-1]
        if among is not None:  # to the levels of the table too, as the indices
            among, _ = batching.lift_array(among, batching.unwrap(indices)[1], levels)
    else:
        table, levels, ids = weight, None, indices._data
        key = (ids,)
    scales = None
    if scale_grad_by_freq:
        rows = table.shape[-2]
        groups = math.prod(ids.shape[: len(key) - 1])  # vmap's examples (1 outside vmap)
        apart = xp.arange(groups)[:, None] * rows  # each example's indices counted apart
        flat = ids.reshape((groups, -1)) + apart
        counted = flat if among is None else among.reshape((groups, -1)) + apart
        scales = inverse_counts(flat, counted, groups * rows, table.dtype)
        scales = scales.reshape((*ids.shape, 1))
    kept = None if padding_idx is None else (ids != padding_idx)[..., None]
    out = Embedding(key, scales, kept)(table)
    return out if levels is None else batching.wrap(out, levels)
