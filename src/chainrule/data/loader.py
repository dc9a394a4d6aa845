"""``Dataset``, ``TensorDataset`` and ``DataLoader``, as ``torch.utils.data``.

A DataLoader cuts a dataset into batches, in order or shuffled anew each epoch. Shuffling draws
from ``generator`` (a seeded :class:`chainrule.Generator`) when given, else from the global
generator, so a seed fixes the batches. A :class:`TensorDataset` is batched by indexing its
tensors with the whole batch of indices at once, not by stacking one item at a time.

    >>> import chainrule as cr
    >>> data = TensorDataset(cr.arange(5.0), cr.arange(5))
    >>> gen = cr.Generator().manual_seed(0)
    >>> loader = DataLoader(data, batch_size=2, shuffle=True, generator=gen)
    >>> [y.tolist() for _, y in loader]
    [[3, 1], [0, 4], [2]]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from chainrule import rng
from chainrule._array import xp
from chainrule.ops.shape import stack
from chainrule.tensor import Tensor, _make


class Dataset:
    """A map-style dataset: subclasses define ``__getitem__(i)`` and ``__len__``."""

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__")

    def __add__(self, other: Dataset) -> Dataset:
        from chainrule.data.combine import ConcatDataset  # lazy: combine imports this module

        return ConcatDataset([self, other])


class TensorDataset(Dataset):
    """Samples are the rows of equally long tensors: item i is ``(t[i] for t in tensors)``."""

    def __init__(self, *tensors: Tensor) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        if any(t.ndim == 0 for t in tensors):
            raise ValueError(
                "TensorDataset: every tensor needs a first (sample) dimension, got shapes "
                + ", ".join(str(tuple(t.shape)) for t in tensors)
            )
        if any(t.shape[0] != tensors[0].shape[0] for t in tensors):
            raise ValueError(
                "Size mismatch between tensors: "
                + ", ".join(str(tuple(t.shape)) for t in tensors)
                + " must share their first dimension"
            )
        self.tensors = tensors

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]


class Subset(Dataset):
    """The items of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset: Dataset, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, list):  # PyTorch's batched fetch of several items
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)


def default_collate(batch: list[Any]) -> Any:
    """Stack a list of samples into a batch: tensors and arrays are stacked, numbers become
    tensors (float64 / int64, as in PyTorch), tuples and dicts are collated field by field."""
    first = batch[0]
    if isinstance(first, Tensor):
        return stack(batch)
    if isinstance(first, xp.ndarray | xp.generic):
        return _make(xp.stack([xp.asarray(b) for b in batch]))
    if isinstance(first, bool):
        return _make(xp.asarray(batch, dtype=bool))
    if isinstance(first, int):
        return _make(xp.asarray(batch, dtype=xp.int64))
    if isinstance(first, float):
        return _make(xp.asarray(batch, dtype=xp.float64))
    if isinstance(first, str | bytes):
        return batch
    if isinstance(first, Mapping):
        return {key: default_collate([b[key] for b in batch]) for key in first}
    if isinstance(first, tuple | list):
        if any(len(b) != len(first) for b in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        fields = [default_collate(list(items)) for items in zip(*batch, strict=True)]
        return tuple(fields) if isinstance(first, tuple) else fields
    raise TypeError(
        f"default_collate: batch must contain tensors, NumPy arrays, numbers, dicts or lists; "
        f"found {type(first).__name__}"
    )


class DataLoader:
    """Iterate over ``dataset`` in batches of ``batch_size``.

    ``shuffle`` draws a new order at the start of every epoch (every ``iter``) from
    ``generator`` or the global generator; ``drop_last`` skips a final short batch; a
    ``sampler`` (any iterable of indices) fixes the order instead. Loading runs in the
    calling process (``num_workers`` is accepted and ignored).
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int | None = 1,
        shuffle: bool = False,
        sampler: Iterable[int] | None = None,
        num_workers: int = 0,
        collate_fn: Callable[[list[Any]], Any] | None = None,
        drop_last: bool = False,
        *,
        generator: rng.Generator | None = None,
    ) -> None:
        if batch_size is not None and (not isinstance(batch_size, int) or batch_size < 1):
            raise ValueError(f"batch_size should be a positive integer value, got {batch_size!r}")
        if shuffle and sampler is not None:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.sampler = sampler
        self.num_workers = num_workers
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.generator = generator

    def _order(self) -> Any:
        if self.sampler is not None:
            return xp.fromiter(iter(self.sampler), dtype=xp.int64)
        n = len(self.dataset)
        if self.shuffle:
            # PyTorch's RandomSampler, at a pass's first batch: without a generator of the
            # loader's own it seeds a fresh one from the global generator and permutes with it.
            g = self.generator or rng.Generator().manual_seed(
                int(rng.default_generator.random64(1)[0] % 2**63)
            )
            return rng.permutation(n, g)
        return xp.arange(n)

    def __iter__(self) -> Iterator[Any]:
        # PyTorch's iterator draws its workers' base seed when it is made, from the loader's
        # generator or the global one, shuffled or not and with no workers too: without this
        # draw every random number after a pass over a loader differs from PyTorch's.
        (self.generator or rng.default_generator).random64(1)
        return self._pass()

    def _pass(self) -> Iterator[Any]:
        yield from self._batches(self._order())
        if self.shuffle and self.sampler is None and self.generator is not None:
            # PyTorch's RandomSampler ends each pass with randperm(n)[:0], which draws too.
            rng.permutation(len(self.dataset), self.generator)

    def _batches(self, order: Any) -> Iterator[Any]:
        if self.batch_size is None:  # no batching: one sample at a time
            for i in order:
                yield self.dataset[int(i)]
            return
        fast = isinstance(self.dataset, TensorDataset) and self.collate_fn is None
        collate = self.collate_fn or default_collate
        for start in range(0, len(order), self.batch_size):
            indices = order[start : start + self.batch_size]
            if self.drop_last and len(indices) < self.batch_size:
                return
            if fast:
                # Differentiable indexing: a dataset of tensors that require grad gives
                # batches that do too, as stacking the items one by one would.
                yield tuple(t[indices] for t in self.dataset.tensors)
            else:
                yield collate([self.dataset[int(i)] for i in indices])

    def __len__(self) -> int:
        n = len(self.sampler) if self.sampler is not None else len(self.dataset)  # type: ignore[arg-type]
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)
