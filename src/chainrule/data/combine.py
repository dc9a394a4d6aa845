"""Datasets made of other datasets, as ``torch.utils.data``: :class:`ConcatDataset` (also
``a + b``) and :func:`random_split`, whose permutation is PyTorch's ``randperm`` from the same
generator, so a seeded split holds the same items under both.

    >>> import chainrule as cr
    >>> from chainrule.utils.data import TensorDataset, random_split
    >>> train, val = random_split(TensorDataset(cr.arange(10)), [0.8, 0.2],
    ...                           generator=cr.Generator().manual_seed(0))
    >>> len(train), len(val), len(train + val)
    (8, 2, 10)
"""

from __future__ import annotations

import bisect
import itertools
import math
import operator
import warnings
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from chainrule import rng
from chainrule.data.loader import Dataset, Subset
from chainrule.factories import randperm

_T_co = TypeVar("_T_co", covariant=True)


class ConcatDataset(Dataset[_T_co]):
    """The items of ``datasets`` one after another."""

    def __init__(self, datasets: Iterable[Dataset[_T_co]]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise AssertionError("datasets should not be an empty iterable")
        from chainrule.data.iterable import IterableDataset  # lazy: iterable imports loader

        if any(isinstance(d, IterableDataset) for d in self.datasets):
            raise AssertionError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = list(itertools.accumulate(len(d) for d in self.datasets))

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    @property
    def cummulative_sizes(self) -> list[int]:
        """PyTorch's old, misspelt name of :attr:`cumulative_sizes`, kept with its warning."""
        warnings.warn(
            "`cummulative_sizes` attribute is renamed to `cumulative_sizes`",
            FutureWarning,
            stacklevel=2,
        )
        return self.cumulative_sizes

    def __getitem__(self, index: int) -> Any:
        if index < 0:
            if -index > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            index += len(self)
        which = bisect.bisect_right(self.cumulative_sizes, index)
        if which == 0:  # the index as given (not index - 0, which made True the int 1)
            return self.datasets[0][index]
        return self.datasets[which][index - self.cumulative_sizes[which - 1]]


def random_split(
    dataset: Dataset[_T_co],
    lengths: Sequence[float],
    generator: rng.Generator | None = rng.default_generator,
) -> list[Subset[_T_co]]:
    """``dataset`` cut into non-overlapping random :class:`Subset` s of the given ``lengths``,
    or of the given fractions of its length (the remainder dealt out one by one from the
    first, as PyTorch does). The order is ``randperm(len(dataset), generator=generator)``,
    from the global generator when none is given."""
    total = sum(lengths)
    if math.isclose(total, 1) and total <= 1:
        counts = []
        for i, fraction in enumerate(lengths):
            if fraction < 0 or fraction > 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1")
            counts.append(math.floor(len(dataset) * fraction))
        for i in range(len(dataset) - sum(counts)):
            counts[i % len(counts)] += 1
        for i, count in enumerate(counts):
            if count == 0:
                warnings.warn(
                    f"Length of split at index {i} is 0. This might result in an empty dataset.",
                    stacklevel=2,
                )
        lengths = counts
    if sum(lengths) != len(dataset):
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    # lengths that are not fractions must be ints (a 0-d integer tensor or a NumPy int too):
    # PyTorch's randperm refuses a float total
    order = randperm(operator.index(sum(lengths)), generator=generator).tolist()
    return [
        Subset(dataset, order[end - n : end])
        for end, n in zip(itertools.accumulate(lengths), lengths, strict=True)
    ]


class StackDataset(Dataset[Any]):
    """Equally long datasets side by side: item i is ``(d[i] for d in datasets)``, or with
    keywords ``{name: d[i]}``.

    >>> StackDataset(range(3), "abc")[1], StackDataset(x=range(3), y="abc")[2]
    ((1, 'b'), {'x': 2, 'y': 'c'})
    """

    datasets: tuple[Any, ...] | dict[str, Any]

    def __init__(self, *args: Dataset, **kwargs: Dataset) -> None:
        if args and kwargs:
            raise ValueError(
                "Supported either ``tuple``- (via ``args``) or``dict``- (via ``kwargs``) like "
                "input/output, but both types are given."
            )
        if not args and not kwargs:
            raise ValueError("At least one dataset should be passed")
        parts = args or tuple(kwargs.values())
        self._length = len(parts[0])
        if any(len(d) != self._length for d in parts):
            raise ValueError("Size mismatch between datasets")
        self.datasets = args or kwargs

    def __getitem__(self, index: Any) -> Any:
        if isinstance(self.datasets, dict):
            return {k: d[index] for k, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)

    def __getitems__(self, indices: list[int]) -> list[Any]:
        """The items at ``indices``, each part fetched by its dataset's ``__getitems__``
        where it has one (as a loader fetches a batch)."""
        named = isinstance(self.datasets, dict)
        parts = self.datasets.items() if named else enumerate(self.datasets)
        columns = {key: _fetch(d, indices) for key, d in parts}
        rows = [{key: column[i] for key, column in columns.items()} for i in range(len(indices))]
        return rows if named else [tuple(row.values()) for row in rows]

    def __len__(self) -> int:
        return self._length


def _fetch(dataset: Any, indices: list[int]) -> list[Any]:
    getitems = getattr(dataset, "__getitems__", None)
    if not callable(getitems):
        return [dataset[i] for i in indices]
    items = getitems(indices)
    if len(items) != len(indices):
        raise ValueError(
            f"Nested dataset's output size mismatch. Expected {len(indices)}, got {len(items)}"
        )
    return items
