"""Samplers, as ``torch.utils.data``'s: the order in which a :class:`DataLoader` reads a
dataset's indices, and how it groups them into batches.

Each draws from its ``generator`` (a seeded :class:`chainrule.Generator`), else from a fresh
generator seeded from the global one, exactly as PyTorch's do, and chainrule's generator is
PyTorch's Mersenne Twister: the same seed gives the same indices as PyTorch.

    >>> import chainrule as cr
    >>> list(RandomSampler(range(5), generator=cr.Generator().manual_seed(0)))
    [4, 0, 1, 3, 2]
    >>> list(BatchSampler(SequentialSampler(range(5)), batch_size=2, drop_last=False))
    [[0, 1], [2, 3], [4]]
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence, Sized
from typing import Any, Generic, TypeVar

from chainrule import dtypes, rng
from chainrule.factories import as_tensor, multinomial

# RandomSampler draws indices with replacement 32 at a time, as PyTorch's does.
_CHUNK = 32


_T_co = TypeVar("_T_co", covariant=True)


class Sampler(Generic[_T_co]):
    """Base class: an iterable of dataset indices (or of batches of them). Generic, as
    PyTorch's (``Sampler[int]``), and with no ``__init__`` of its own, so ``Sampler(data)``
    is refused as there."""

    def __iter__(self) -> Iterator[_T_co]:
        raise NotImplementedError


class SequentialSampler(Sampler[int]):
    """The indices ``0, 1, ..., len(data_source) - 1`` in order."""

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


def _generator(generator: rng.Generator | None) -> rng.Generator:
    """``generator``, or a fresh one seeded from the global generator (PyTorch's draw of
    ``torch.empty((), dtype=torch.int64).random_()``)."""
    if generator is not None:
        return generator
    return rng.Generator().manual_seed(int(rng.default_generator.random64(1)[0] % 2**63))


class RandomSampler(Sampler[int]):
    """The indices in a random order: a new permutation each pass, or, with
    ``replacement``, ``num_samples`` independent draws."""

    def __init__(
        self,
        data_source: Sized,
        replacement: bool = False,
        num_samples: int | None = None,
        generator: rng.Generator | None = None,
    ) -> None:
        if not isinstance(replacement, bool):
            raise TypeError(
                f"replacement should be a boolean value, but got replacement={replacement}"
            )
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError(
                "num_samples should be a positive integer value, but got "
                f"num_samples={self.num_samples}"
            )

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        n = len(self.data_source)
        generator = _generator(self.generator)
        if self.replacement:
            # PyTorch's randint(n) calls: refused for an empty data source, as randint refuses
            low, high = rng.random_range("int64", 0, n)
            for _ in range(self.num_samples // _CHUNK):
                yield from rng.integers(low, high, (_CHUNK,), generator).tolist()
            yield from rng.integers(low, high, (self.num_samples % _CHUNK,), generator).tolist()
            return
        for _ in range(self.num_samples // n):
            yield from rng.permutation(n, generator).tolist()
        # PyTorch draws this last permutation even when it keeps none of it
        yield from rng.permutation(n, generator).tolist()[: self.num_samples % n]

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler[int]):
    """The given ``indices`` in a random order, a new one each pass."""

    def __init__(self, indices: Sequence[int], generator: rng.Generator | None = None) -> None:
        self.indices = indices
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        for i in rng.permutation(len(self.indices), self.generator).tolist():
            yield self.indices[i]

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler[int]):
    """``num_samples`` indices drawn with probabilities proportional to ``weights`` (with
    ``replacement``, or each at most once), by :func:`chainrule.multinomial`."""

    def __init__(
        self,
        weights: Sequence[float],
        num_samples: int,
        replacement: bool = True,
        generator: rng.Generator | None = None,
    ) -> None:
        if not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples <= 0:
            raise ValueError(
                f"num_samples should be a positive integer value, but got num_samples={num_samples}"
            )
        if not isinstance(replacement, bool):
            raise ValueError(
                f"replacement should be a boolean value, but got replacement={replacement}"
            )
        self.weights = as_tensor(weights, dtype=dtypes.float64)
        if self.weights.ndim != 1:
            raise ValueError(
                "weights should be a 1d sequence but given weights have shape "
                f"{tuple(self.weights.shape)}"
            )
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        drawn = multinomial(
            self.weights, self.num_samples, self.replacement, generator=self.generator
        )
        yield from drawn.tolist()

    def __len__(self) -> int:
        return self.num_samples


def check_batch_size(batch_size: Any) -> None:
    """PyTorch's check of a batch size (BatchSampler's, which DataLoader's goes through): a
    positive int, not a bool."""
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
        raise ValueError(
            f"batch_size should be a positive integer value, but got batch_size={batch_size}"
        )


class BatchSampler(Sampler[list[int]]):
    """Groups of ``batch_size`` indices from ``sampler``; ``drop_last`` drops a final shorter
    group (the sampler still runs to its end, as in PyTorch, so its draws are the same)."""

    def __init__(self, sampler: Iterable[int], batch_size: int, drop_last: bool) -> None:
        check_batch_size(batch_size)
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list[int]]:
        batch: list[int] = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)  # type: ignore[arg-type]
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)


class DistributedSampler(Sampler[_T_co]):
    """The share of ``dataset``'s indices that replica ``rank`` of ``num_replicas`` reads:
    every ``num_replicas``-th index from ``rank`` on, of the whole order (shuffled by
    ``randperm`` from a generator seeded ``seed + epoch``, see :meth:`set_epoch`), padded by
    repeating its start to a multiple of ``num_replicas``, or cut down to one with
    ``drop_last``. PyTorch's indices; ``num_replicas`` and ``rank`` must be given, since
    chainrule has no process group to read them from (PyTorch's error without one).

    >>> list(DistributedSampler(range(5), num_replicas=2, rank=1, shuffle=False))
    [1, 3, 0]
    """

    def __init__(
        self,
        dataset: Sized,
        num_replicas: int | None = None,
        rank: int | None = None,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
    ) -> None:
        if num_replicas is None or rank is None:
            # PyTorch reads them from the default process group, which chainrule never has:
            # its words, then what to do here
            raise ValueError(
                "Default process group has not been initialized, please make sure to call "
                "init_process_group.\nchainrule has no distributed process group: give "
                "num_replicas and rank"
            )
        if rank >= num_replicas or rank < 0:
            raise ValueError(
                f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]"
            )
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        n = len(dataset)
        if drop_last and n % num_replicas:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self) -> Iterator[int]:
        n = len(self.dataset)
        if self.shuffle:
            generator = rng.Generator().manual_seed(self.seed + self.epoch)
            indices = rng.permutation(n, generator).tolist()
        else:
            indices = list(range(n))
        if self.drop_last:
            indices = indices[: self.total_size]
        else:
            padding = self.total_size - n
            indices += (indices * math.ceil(padding / n))[:padding] if padding else []
        return iter(indices[self.rank : self.total_size : self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Shuffle by ``seed + epoch`` from now on (call it before each epoch's pass)."""
        self.epoch = epoch
