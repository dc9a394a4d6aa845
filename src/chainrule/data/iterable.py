"""Iterable-style datasets, as ``torch.utils.data``: :class:`IterableDataset` (a stream of
samples, read by a :class:`~chainrule.data.loader.DataLoader` in the order it gives them),
:class:`ChainDataset` (streams one after another, also ``a + b``) and
:func:`get_worker_info` (``None``: chainrule loads in the calling process, never in workers).

    >>> from chainrule.utils.data import DataLoader
    >>> class Count(IterableDataset):
    ...     def __init__(self, n):
    ...         self.n = n
    ...     def __iter__(self):
    ...         return iter(range(self.n))
    >>> [b.tolist() for b in DataLoader(Count(5) + Count(2), batch_size=3)]
    [[0, 1, 2], [3, 4, 0], [1]]
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from chainrule.data.loader import Dataset

_T_co = TypeVar("_T_co", covariant=True)


class IterableDataset(Dataset[_T_co], Iterable[_T_co]):
    """A dataset that is a stream of samples: subclasses define ``__iter__`` (abstract, as
    PyTorch's: a class without one cannot be made) and may define ``__len__`` (without one,
    ``len()`` is Python's own TypeError); there is no ``__getitem__``."""

    def __add__(self, other: Dataset[_T_co]) -> ChainDataset:  # type: ignore[override]
        return ChainDataset([self, other])


class ChainDataset(IterableDataset):
    """The samples of each of ``datasets`` (iterable datasets) in turn, chained on the fly."""

    def __init__(self, datasets: Iterable[Dataset[Any]]) -> None:
        self.datasets = datasets

    def __iter__(self) -> Iterator[Any]:
        for d in self.datasets:
            _check_iterable(d)
            yield from d

    def __len__(self) -> int:
        total = 0
        for d in self.datasets:
            _check_iterable(d)
            total += len(d)
        return total


def _check_iterable(dataset: Any) -> None:
    if not isinstance(dataset, IterableDataset):
        raise AssertionError("ChainDataset only supports IterableDataset")


def get_worker_info() -> None:
    """Information about the loader's worker process this runs in: always ``None``, as PyTorch
    answers in the main process, since chainrule's loaders never start workers."""
    return None
