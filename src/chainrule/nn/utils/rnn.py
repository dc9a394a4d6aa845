"""Batches of sequences of different lengths, as ``torch.nn.utils.rnn``: padded to one length
(:func:`pad_sequence`), or packed (:class:`PackedSequence`: the batch's first steps, then its
second steps, ..., each step holding only the sequences that are still running, longest
first), which the recurrent layers take and return.

Every function here is built from differentiable indexing, so gradients flow back to the
sequences.

    >>> import chainrule as cr
    >>> seqs = [cr.tensor([1.0, 2.0, 3.0]), cr.tensor([4.0])]
    >>> packed = pack_sequence(seqs)
    >>> packed.data, packed.batch_sizes
    (tensor([1., 4., 2., 3.]), tensor([2, 1, 1]))
    >>> pad_packed_sequence(packed, batch_first=True)
    (tensor([[1., 2., 3.],
            [4., 0., 0.]]), tensor([3, 1]))
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from chainrule import factories
from chainrule._array import xp
from chainrule.ops.shape import cat, stack
from chainrule.tensor import Tensor, _make


class PackedSequence(NamedTuple):
    """A packed batch: ``data`` holds step 0 of every sequence, then step 1 of those at least
    two long, ...; ``batch_sizes[t]`` is how many sequences step ``t`` holds. The sequences
    are in decreasing length; ``sorted_indices[i]`` is the batch position of the i-th longest
    (None when the batch came sorted), ``unsorted_indices`` its inverse."""

    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None = None
    unsorted_indices: Tensor | None = None

    def to(self, *args: Any, **kwargs: Any) -> PackedSequence:
        """The same packing with ``data`` converted by ``Tensor.to`` (dtype or device)."""
        return self._replace(data=self.data.to(*args, **kwargs))

    @property
    def is_cuda(self) -> bool:
        return False


def pad_sequence(
    sequences: Sequence[Tensor] | Tensor,
    batch_first: bool = False,
    padding_value: float = 0.0,
    padding_side: str = "right",
) -> Tensor:
    """Stack sequences of shapes (L_i, *) into (L, B, *) (or (B, L, *) with ``batch_first``),
    each filled with ``padding_value`` after its end (before its start for ``"left"``).

    Built as PyTorch's kernel builds it, so that it has its dtype, version and errors: a
    tensor of the first sequence's dtype filled with ``padding_value``, then each sequence
    copied into its slice (converted to that dtype; a sequence whose other dimensions differ
    from the first one's is refused by the copy)."""
    if not isinstance(sequences, Iterable):
        raise RuntimeError(
            "pad_sequence: Expected iterable for input sequences, but got arg of type: "
            f"{type(sequences)}"
        )
    sequences = tuple(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise RuntimeError(
            f"Expected padding_side to be one of left or right, but got {padding_side}."
        )
    first = sequences[0]
    if first.ndim == 0:  # PyTorch's slice of its sizes past the first
        raise RuntimeError("ArrayRef: invalid slice, N = 1; size = 0")
    longest = max(s.size(0) for s in sequences)
    batch, rest = len(sequences), tuple(first.shape[1:])
    shape = (batch, longest, *rest) if batch_first else (longest, batch, *rest)
    out = first.new_empty(shape).fill_(padding_value)  # PyTorch's full: an in-place fill
    for i, s in enumerate(sequences):
        length = s.size(0)
        start = longest - length if padding_side == "left" else 0
        if batch_first:
            out.select(0, i).narrow(0, start, length).copy_(s)
        else:
            out.narrow(0, start, length).select(1, i).copy_(s)
    return out


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The inverse of ``permutation`` (a 1-D tensor of indices), None for None: what turns a
    :class:`PackedSequence`'s ``sorted_indices`` into its ``unsorted_indices``.

    >>> import chainrule as cr
    >>> invert_permutation(cr.tensor([2, 0, 1]))
    tensor([1, 2, 0])
    """
    if permutation is None:
        return None
    output = factories.empty_like(permutation)
    output.scatter_(0, permutation, factories.arange(0, permutation.numel()))
    return output


def pack_padded_sequence(
    input: Tensor,  # noqa: A002
    lengths: Any,
    batch_first: bool = False,
    enforce_sorted: bool = True,
) -> PackedSequence:
    """Pack a padded (L, B, *) batch (or (B, L, *) with ``batch_first``) whose sequences have
    the given ``lengths``. With ``enforce_sorted`` the lengths must already decrease; without,
    the batch is sorted by a stable sort of the lengths, longest first, as PyTorch's."""
    counts = xp.asarray(lengths.tolist() if isinstance(lengths, Tensor) else lengths, xp.int64)
    if counts.ndim != 1:  # (lengths are made int64 first, so PyTorch names a Long tensor)
        raise RuntimeError(
            "'lengths' argument should be a 1D CPU int64 tensor, but got "
            f"{counts.ndim}D cpu Long tensor"
        )
    x = input.transpose(0, 1) if batch_first else input
    # PyTorch's checks in its order: something to pack, the count, the last length (the
    # shortest, once sorted), the order
    if x.numel() == 0:
        raise RuntimeError("Cannot pack empty tensors.")
    if len(counts) != x.shape[1]:
        raise RuntimeError(
            f"Expected `len(lengths)` to be equal to batch_size, but got {len(counts)} "
            f"(batch_size={x.shape[1]})"
        )
    if (counts[-1] if enforce_sorted else counts.min()) <= 0:
        raise RuntimeError(
            "Length of all samples has to be greater than 0, but found an element in "
            "'lengths' that is <= 0"
        )
    sorted_indices = unsorted_indices = None
    if enforce_sorted and (xp.diff(counts) > 0).any():
        raise RuntimeError(
            "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
            "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
            "pack_sequence to sidestep this requirement if you do not need ONNX "
            "exportability."
        )
    if counts.max() > x.shape[0]:  # (PyTorch packs past the end of the input)
        raise RuntimeError(
            f"pack_padded_sequence: a length of {counts.max()} is longer than the input's "
            f"{x.shape[0]} steps"
        )
    if not enforce_sorted:
        order = xp.argsort(-counts, kind="stable")
        counts = counts[order]
        sorted_indices = _make(order.astype(xp.int64))
        unsorted_indices = invert_permutation(sorted_indices)
        x = x.index_select(1, sorted_indices)
    batch_sizes = (counts[None, :] > xp.arange(counts[0])[:, None]).sum(1)
    data = cat([x[t, :size] for t, size in enumerate(batch_sizes.tolist())])
    sizes = _make(batch_sizes.astype(xp.int64))
    return PackedSequence(data, sizes, sorted_indices, unsorted_indices)


def pad_packed_sequence(
    sequence: PackedSequence,
    batch_first: bool = False,
    padding_value: float = 0.0,
    total_length: int | None = None,
) -> tuple[Tensor, Tensor]:
    """Undo :func:`pack_padded_sequence`: the padded batch, in the batch's own order, and
    each sequence's length (an int64 tensor)."""
    sizes = sequence.batch_sizes.tolist()
    steps = len(sizes)
    if total_length is not None:
        if total_length < steps:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in "
                f"input, but got total_length={total_length} and max sequence length being "
                f"{steps}"
            )
        steps = total_length
    data, batch = sequence.data, sizes[0]
    rows, start = [], 0
    for t in range(steps):
        size = sizes[t] if t < len(sizes) else 0
        step = data[start : start + size]
        start += size
        if size < batch:
            shape = (batch - size, *data.shape[1:])
            step = cat([step, factories.full(shape, padding_value, dtype=data.dtype)])
        rows.append(step)
    padded = stack(rows)
    lengths = (xp.asarray(sizes)[None, :] > xp.arange(batch)[:, None]).sum(1).astype(xp.int64)
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(1, sequence.unsorted_indices)
        lengths = lengths[sequence.unsorted_indices.numpy()]
    return (padded.transpose(0, 1) if batch_first else padded), _make(lengths)


def pack_sequence(sequences: Sequence[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of sequences of shapes (L_i, *) (longest first, unless not
    ``enforce_sorted``)."""
    lengths = [s.size(0) for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(
    padded_sequences: Tensor, lengths: Any, batch_first: bool = False
) -> list[Tensor]:
    """The list of sequences that :func:`pad_sequence` padded, each cut to its length."""
    if not batch_first:  # PyTorch's transposes the caller's tensor in place
        padded_sequences.transpose_(0, 1)
    x = padded_sequences
    counts = lengths.tolist() if isinstance(lengths, Tensor) else list(lengths)
    return [x[i, :n] for i, n in enumerate(counts)]


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The list of sequences that :func:`pack_sequence` packed, in their original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
