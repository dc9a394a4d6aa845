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

import itertools
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from chainrule import rng
from chainrule._array import xp
from chainrule.data import samplers
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

    def __getitems__(self, indices: list[int]) -> list[Any]:
        """The items at ``indices``, by the dataset's own ``__getitems__`` where it has one."""
        chosen = [self.indices[i] for i in indices]
        getitems = getattr(self.dataset, "__getitems__", None)
        return getitems(chosen) if callable(getitems) else [self.dataset[i] for i in chosen]

    def __len__(self) -> int:
        return len(self.indices)


def default_collate(batch: Sequence[Any]) -> Any:
    """Stack a list of samples into a batch: tensors and arrays are stacked, numbers become
    tensors (float64 / int64, as in PyTorch), tuples and dicts are collated field by field."""
    first = batch[0]
    if isinstance(first, Tensor):
        return stack(batch)
    if isinstance(first, xp.ndarray | xp.generic) and not isinstance(first, str | bytes):
        if first.dtype.kind in "SaUO":  # strings and objects: no tensor holds them
            raise TypeError(_COLLATE_REFUSES.format(first.dtype))
        return _make(xp.stack([xp.asarray(b) for b in batch]))
    if isinstance(first, bool):
        return _make(xp.asarray(batch, dtype=bool))
    if isinstance(first, int):
        return _make(xp.asarray(batch, dtype=xp.int64))
    if isinstance(first, float):
        return _make(xp.asarray(batch, dtype=xp.float64))
    if isinstance(first, str | bytes):
        return batch  # as given: a tuple inside a collated tuple or list
    if isinstance(first, Mapping):
        return {key: default_collate([b[key] for b in batch]) for key in first}
    if isinstance(first, tuple | list):
        if any(len(b) != len(first) for b in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        # PyTorch's: a list of the fields (tuples too), each field's values as zip gives them
        # (strings stay a tuple)
        fields = [default_collate(items) for items in zip(*batch, strict=True)]
        return type(first)(*fields) if hasattr(first, "_fields") else fields
    raise TypeError(_COLLATE_REFUSES.format(type(first)))


_COLLATE_REFUSES = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
)


def default_convert(data: Any) -> Any:
    """A sample as a loader without batching gives it (PyTorch's ``default_convert``): NumPy
    arrays become tensors, tuples and lists lists, dicts dicts, each part converted.

    >>> default_convert((xp.zeros(2), 3))
    [tensor([0., 0.], dtype=chainrule.float64), 3]
    """
    if isinstance(data, xp.ndarray | xp.generic) and data.dtype.kind in "biuf":
        return _make(xp.asarray(data))  # a NumPy scalar too
    if isinstance(data, Mapping):
        return {key: default_convert(value) for key, value in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # a namedtuple keeps its type
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple | list):
        return [default_convert(d) for d in data]
    return data


class DataLoader:
    """Iterate over ``dataset`` in batches of ``batch_size``.

    The order is ``sampler``'s: a :class:`~chainrule.data.samplers.RandomSampler` with
    ``shuffle`` (a new order at the start of every epoch, from ``generator`` or the global
    generator), else a sequential one, or any iterable of indices given; ``drop_last`` skips a
    final short batch; a ``batch_sampler`` gives whole batches of indices instead. An
    :class:`~chainrule.data.iterable.IterableDataset` is read as a stream, in its own order
    (``shuffle``, ``sampler`` and ``batch_sampler`` are refused, as in PyTorch). Loading runs
    in the calling process (``num_workers`` is accepted and ignored for map-style datasets,
    refused for streams, which PyTorch's workers would each read in full).
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Iterable[int] | None = None,
        batch_sampler: Iterable[list[int]] | None = None,
        num_workers: int = 0,
        collate_fn: Callable[[list[Any]], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        *,
        generator: rng.Generator | None = None,
    ) -> None:
        if batch_size is not None:
            samplers.check_batch_size(batch_size)
        from chainrule.data.iterable import IterableDataset  # lazy: iterable imports this

        self._iterable = isinstance(dataset, IterableDataset)
        self._IterableDataset_len_called: int | None = None  # PyTorch's name: see __len__
        if self._iterable:
            _check_iterable_options(shuffle, sampler, batch_sampler, num_workers)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "batch_sampler option is mutually exclusive with batch_size, shuffle, "
                    "sampler, and drop_last"
                )
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError(
                "batch_size=None option disables auto-batching and is mutually exclusive with "
                "drop_last"
            )
        if self._iterable:
            # a stream has no indices: the batches are counted out of it as it goes
            sampler = itertools.repeat(None)
        elif sampler is None:
            sampler = (
                samplers.RandomSampler(dataset, generator=generator)
                if shuffle
                else samplers.SequentialSampler(dataset)
            )
        if batch_size is not None and batch_sampler is None:
            batch_sampler = samplers.BatchSampler(sampler, batch_size, drop_last)
        self.dataset = dataset
        self.batch_size = batch_size
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.collate_fn = collate_fn
        self.pin_memory = pin_memory
        self.drop_last = drop_last
        self.generator = generator

    def __iter__(self) -> Iterator[Any]:
        indices = iter(self.batch_sampler if self.batch_sampler is not None else self.sampler)
        # PyTorch's iterator draws its workers' base seed when it is made, from the loader's
        # generator or the global one, shuffled or not and with no workers too: without this
        # draw every random number after a pass over a loader differs from PyTorch's.
        (self.generator or rng.default_generator).random64(1)
        if self._iterable:
            # the stream starts now, as PyTorch's iterator starts it when it is made
            return self._stream_batches(iter(self.dataset), self._IterableDataset_len_called)
        return self._batches(indices)

    def _batches(self, indices: Iterator[Any]) -> Iterator[Any]:
        if self.batch_sampler is None:  # no batching: one sample at a time
            convert = self.collate_fn or default_convert
            for i in indices:
                yield convert(self.dataset[i])
            return
        fast = isinstance(self.dataset, TensorDataset) and self.collate_fn is None
        collate = self.collate_fn or default_collate
        # PyTorch fetches a batch by the dataset's __getitems__ where it has one
        getitems = getattr(self.dataset, "__getitems__", None)
        for batch in indices:
            if fast:
                # Differentiable indexing: a dataset of tensors that require grad gives
                # batches that do too, as stacking the items one by one would.
                rows = xp.asarray(batch, dtype=xp.int64)
                yield [t[rows] for t in self.dataset.tensors]
            elif getitems:
                yield collate(getitems(batch))
            else:
                yield collate([self.dataset[i] for i in batch])

    def _stream_batches(self, stream: Iterator[Any], reported: int | None) -> Iterator[Any]:
        """An iterable dataset's samples from ``stream``, converted one by one without
        batching, or collated in groups of ``batch_size`` (a short last group unless
        ``drop_last``). As PyTorch's, it warns once it has given more than ``reported`` (the
        dataset's length as ``len(loader)`` read it, before this pass began)."""
        if self.batch_size is None:
            convert = self.collate_fn or default_convert
            batches = (convert(sample) for sample in stream)
        else:
            collate = self.collate_fn or default_collate
            groups = iter(lambda: list(itertools.islice(stream, self.batch_size)), [])
            if self.drop_last:
                groups = itertools.takewhile(lambda g: len(g) == self.batch_size, groups)
            batches = (collate(group) for group in groups)
        for count, batch in enumerate(batches, 1):
            if reported is not None and count > reported:
                warnings.warn(
                    f"Length of IterableDataset {self.dataset} was reported to be {reported}"
                    f"(when accessing len(dataloader)), but {count} samples have been fetched. ",
                    stacklevel=2,
                )
            yield batch

    def __len__(self) -> int:
        if self._iterable:  # the stream's own length, in batches (TypeError without one)
            n = self._IterableDataset_len_called = len(self.dataset)  # type: ignore[arg-type]
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        if self.batch_sampler is not None:
            return len(self.batch_sampler)  # type: ignore[arg-type]
        return len(self.sampler)  # type: ignore[arg-type]


def _check_iterable_options(
    shuffle: bool | None, sampler: Any, batch_sampler: Any, num_workers: int
) -> None:
    """PyTorch's refusals for an iterable dataset: its order is the stream's own."""
    if shuffle not in {False, None}:
        raise ValueError(
            "DataLoader with IterableDataset: expected unspecified shuffle option, but got "
            f"shuffle={shuffle}"
        )
    if sampler is not None:
        raise ValueError(
            "DataLoader with IterableDataset: expected unspecified sampler option, but got "
            f"sampler={sampler}"
        )
    if batch_sampler is not None:
        raise ValueError(
            "DataLoader with IterableDataset: expected unspecified batch_sampler option, but "
            f"got batch_sampler={batch_sampler}"
        )
    if num_workers:
        # PyTorch's workers each iterate their own copy of the stream (each sample num_workers
        # times unless the dataset splits itself by get_worker_info); one process cannot give
        # those batches, so refuse rather than give different ones.
        raise ValueError(
            "DataLoader with IterableDataset: num_workers > 0 is not supported: chainrule "
            "loads in the calling process, where each sample would come once, not once per "
            "worker as in PyTorch"
        )
