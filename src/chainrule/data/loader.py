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

import copy
import itertools
import multiprocessing
import warnings
from collections.abc import (
    Callable,
    Iterable,
    Iterator,
    Mapping,
    MutableMapping,
    MutableSequence,
    Sequence,
)
from typing import Any, Generic, TypeVar

from chainrule import dtypes, rng
from chainrule._array import xp
from chainrule.data import samplers
from chainrule.factories import as_tensor, tensor
from chainrule.ops.shape import stack
from chainrule.tensor import Tensor

_T_co = TypeVar("_T_co", covariant=True)


class Dataset(Generic[_T_co]):
    """A map-style dataset: subclasses define ``__getitem__(i)``, and ``__len__`` where the
    samplers need it. As in PyTorch there is no ``__len__`` here: ``len()`` of a dataset
    without one is Python's own TypeError. Generic, so ``Dataset[int]`` can be subclassed."""

    def __getitem__(self, index: Any) -> _T_co:
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other: Dataset[_T_co]) -> Dataset[_T_co]:
        from chainrule.data.combine import ConcatDataset  # lazy: combine imports this module

        return ConcatDataset([self, other])


class TensorDataset(Dataset[tuple[Tensor, ...]]):
    """Samples are the rows of equally long tensors: item i is ``(t[i] for t in tensors)``."""

    tensors: tuple[Tensor, ...]

    def __init__(self, *tensors: Tensor) -> None:
        # PyTorch's check as it is: no tensors pass (len() then fails), a 0-d one fails in size(0)
        if any(tensors[0].size(0) != t.size(0) for t in tensors):
            raise AssertionError(  # PyTorch's words, then the shapes that differ
                "Size mismatch between tensors\nshapes: "
                + ", ".join(str(tuple(t.shape)) for t in tensors)
            )
        self.tensors = tensors

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].size(0)


class Subset(Dataset[_T_co]):
    """The items of ``dataset`` at ``indices``, in that order. A loader fetches a batch by
    :meth:`__getitems__`, so a subclass that changes ``__getitem__`` alone is refused, as
    PyTorch refuses it: its loader would never call that ``__getitem__``."""

    dataset: Dataset[_T_co]
    indices: Sequence[int]

    def __init__(self, dataset: Dataset[_T_co], indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices
        if (
            type(self).__getitem__ is not Subset.__getitem__
            and type(self).__getitems__ is Subset.__getitems__
        ):
            raise NotImplementedError(
                f"{type(self).__name__} overrides __getitem__ but not __getitems__. "
                "When subclassing Subset and overriding __getitem__, you must also override "
                "__getitems__ to ensure DataLoader works correctly with your custom logic. "
                "A simple implementation:\n\n"
                "def __getitems__(self, indices):\n"
                "    return [self.__getitem__(idx) for idx in indices]"
            )

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


# ------------------------------------------------------------------ collate and convert
# PyTorch's default_collate, by the same dispatch: a table from a sample's type to the
# function that batches such samples (the type itself first, then the first entry it is an
# instance of, in the table's order), then mappings, namedtuples and other sequences field by
# field. Users extend it as PyTorch's: ``collate(batch, collate_fn_map={...})``.

default_collate_err_msg_format = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
)

# NumPy kinds that no tensor holds: bytes, str, objects (PyTorch's np_str_obj_array_pattern)
_STRINGS_OR_OBJECTS = "SUO"


def _rebuild_mapping(like: Mapping[Any, Any], items: dict[Any, Any]) -> Any:
    """``items`` in a mapping of ``like``'s type, as PyTorch rebuilds one: a copy of ``like``
    updated when it is mutable (an OrderedDict, a defaultdict keep their type and default),
    else the type called on them, else a plain dict."""
    try:
        if isinstance(like, MutableMapping):
            clone = copy.copy(like)
            clone.update(items)
            return clone
        return type(like)(items)
    except TypeError:
        return items


def _rebuild_sequence(like: Sequence[Any], items: list[Any]) -> Any:
    """``items`` in a sequence of ``like``'s type, as PyTorch rebuilds one: a copy of ``like``
    with each entry replaced when it is mutable, else the type called on the list, else the
    list (a ``range`` becomes a list)."""
    try:
        if isinstance(like, MutableSequence):
            clone = copy.copy(like)
            for i, item in enumerate(items):
                clone[i] = item
            return clone
        return type(like)(items)
    except TypeError:
        return items


def collate(
    batch: Sequence[Any],
    *,
    collate_fn_map: dict[type | tuple[type, ...], Callable[..., Any]] | None = None,
) -> Any:
    """``batch``, a list of samples, as one batch: each sample's type looked up in
    ``collate_fn_map``, else collated field by field (mappings, namedtuples, sequences)."""
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        if elem_type in collate_fn_map:
            return collate_fn_map[elem_type](batch, collate_fn_map=collate_fn_map)
        for collate_type in collate_fn_map:
            if isinstance(elem, collate_type):
                return collate_fn_map[collate_type](batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, Mapping):
        return _rebuild_mapping(
            elem,
            {key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map) for key in elem},
        )
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a namedtuple keeps its type
        return elem_type(
            *(
                collate(samples, collate_fn_map=collate_fn_map)
                for samples in zip(*batch, strict=False)
            )
        )
    if isinstance(elem, Sequence):
        if any(len(sample) != len(elem) for sample in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        fields = [
            collate(samples, collate_fn_map=collate_fn_map)
            for samples in zip(*batch, strict=False)  # (their lengths were checked above)
        ]
        # a tuple's fields come as a list (PyTorch keeps that for backward compatibility)
        return fields if isinstance(elem, tuple) else _rebuild_sequence(elem, fields)
    raise TypeError(default_collate_err_msg_format.format(elem_type))


def collate_tensor_fn(batch: Sequence[Tensor], *, collate_fn_map: Any = None) -> Tensor:
    """Tensors stacked along a new first dimension."""
    return stack(batch, 0)


def collate_numpy_array_fn(batch: Sequence[Any], *, collate_fn_map: Any = None) -> Any:
    """Arrays as tensors, then collated as tensors (strings and objects refused)."""
    elem = batch[0]
    if elem.dtype.kind in _STRINGS_OR_OBJECTS:
        raise TypeError(default_collate_err_msg_format.format(elem.dtype))
    return collate([as_tensor(b) for b in batch], collate_fn_map=collate_fn_map)


def collate_numpy_scalar_fn(batch: Sequence[Any], *, collate_fn_map: Any = None) -> Tensor:
    """NumPy scalars as one tensor, of their dtypes promoted as PyTorch promotes them."""
    return as_tensor(batch)


def collate_float_fn(batch: Sequence[float], *, collate_fn_map: Any = None) -> Tensor:
    """Python floats as float64 (not the default dtype: a double loses nothing)."""
    return tensor(batch, dtype=dtypes.float64)


def collate_int_fn(batch: Sequence[int], *, collate_fn_map: Any = None) -> Tensor:
    """Ints (and bools, which are ints) by :func:`chainrule.tensor`'s inference, as PyTorch's:
    all bools give bool, ints int64, and a float further on float32."""
    return tensor(batch)


def collate_str_fn(batch: Sequence[Any], *, collate_fn_map: Any = None) -> Sequence[Any]:
    """Strings and bytes as given: no tensor holds them."""
    return batch


default_collate_fn_map: dict[type | tuple[type, ...], Callable[..., Any]] = {
    Tensor: collate_tensor_fn,
    xp.ndarray: collate_numpy_array_fn,
    (xp.bool_, xp.number, xp.object_): collate_numpy_scalar_fn,
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}


def default_collate(batch: Sequence[Any]) -> Any:
    """Stack a list of samples into a batch: tensors and arrays are stacked, numbers become
    tensors (float64 / int64, as in PyTorch), strings stay as given, mappings, namedtuples and
    other sequences are collated field by field (a tuple's fields as a list)."""
    return collate(batch, collate_fn_map=default_collate_fn_map)


def default_convert(data: Any) -> Any:
    """A sample as a loader without batching gives it (PyTorch's ``default_convert``): NumPy
    arrays and scalars become tensors, tuples lists, other mappings and sequences keep their
    type where they can, each part converted.

    >>> default_convert((xp.zeros(2), 3))
    [tensor([0., 0.], dtype=chainrule.float64), 3]
    """
    if isinstance(data, Tensor):
        return data
    kind = type(data)
    if kind.__module__ == "numpy" and kind.__name__ not in {"str_", "string_"}:
        # a NumPy array of strings or objects as it is (no tensor holds it), anything else
        # of NumPy's (arrays, scalars) as a tensor, or as_tensor's refusal
        if isinstance(data, xp.ndarray) and data.dtype.kind in _STRINGS_OR_OBJECTS:
            return data
        return as_tensor(data)
    if isinstance(data, Mapping):
        return _rebuild_mapping(data, {key: default_convert(data[key]) for key in data})
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # a namedtuple keeps its type
        return kind(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, Sequence) and not isinstance(data, str | bytes):
        return _rebuild_sequence(data, [default_convert(d) for d in data])
    return data


class DataLoader(Generic[_T_co]):
    """Iterate over ``dataset`` in batches of ``batch_size``.

    The order is ``sampler``'s: a :class:`~chainrule.data.samplers.RandomSampler` with
    ``shuffle`` (a new order at the start of every epoch, from ``generator`` or the global
    generator), else a sequential one, or any iterable of indices given; ``drop_last`` skips a
    final short batch; a ``batch_sampler`` gives whole batches of indices instead. An
    :class:`~chainrule.data.iterable.IterableDataset` is read as a stream, in its own order
    (``shuffle``, ``sampler`` and ``batch_sampler`` are refused, as in PyTorch).

    Loading runs in the calling process. The worker options are checked as PyTorch checks
    them and kept; ``num_workers`` is otherwise ignored for map-style datasets (the batches
    are the same) and refused for streams, which PyTorch's workers would each read in full.
    ``worker_init_fn`` is never called, since no worker starts (PyTorch calls it in each
    worker only); ``pin_memory`` pins nothing (there is no accelerator) and warns as
    PyTorch's does without one.
    """

    # what PyTorch refuses to change once the loader is made: the batches were planned from them
    _FIXED = frozenset(
        {"batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers"}
    )
    _initialized = False
    _seed_drawn = False  # whether an iterator was made: persistent workers draw once

    def __init__(
        self,
        dataset: Dataset[_T_co],
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Iterable[Any] | None = None,
        batch_sampler: Iterable[list[Any]] | None = None,
        num_workers: int = 0,
        collate_fn: Callable[[Any], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable[[int], None] | None = None,
        multiprocessing_context: Any = None,
        generator: rng.Generator | None = None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
    ) -> None:
        prefetch_factor = _check_worker_options(
            num_workers, timeout, prefetch_factor, persistent_workers
        )
        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.in_order = in_order
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
            sampler = _InfiniteConstantSampler()
        elif sampler is None:
            sampler = (
                samplers.RandomSampler(dataset, generator=generator)  # type: ignore[arg-type]
                if shuffle
                else samplers.SequentialSampler(dataset)  # type: ignore[arg-type]
            )
        if batch_size is not None and batch_sampler is None:
            # BatchSampler checks batch_size and drop_last, after the checks above (PyTorch's order)
            batch_sampler = samplers.BatchSampler(sampler, batch_size, drop_last)
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self._initialized = True

    @property
    def multiprocessing_context(self) -> Any:
        return self._multiprocessing_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, context: Any) -> None:
        """PyTorch's checks of a start method (a name or a context), which only workers use."""
        if context is not None:
            if self.num_workers <= 0:
                raise ValueError(
                    "multiprocessing_context can only be used with multi-process loading "
                    f"(num_workers > 0), but got num_workers={self.num_workers}"
                )
            if isinstance(context, str):
                methods = multiprocessing.get_all_start_methods()
                if context not in methods:
                    raise ValueError(
                        "multiprocessing_context option should specify a valid start method "
                        f"in {methods!r}, but got multiprocessing_context={context!r}"
                    )
                context = multiprocessing.get_context(context)
            if not isinstance(context, multiprocessing.context.BaseContext):
                raise TypeError(
                    "multiprocessing_context option should be a valid context object or a "
                    f"string specifying the start method, but got multiprocessing_context={context}"
                )
        self._multiprocessing_context = context

    @property
    def _auto_collation(self) -> bool:
        """Whether samples are collated into batches (PyTorch's name): a batch sampler is."""
        return self.batch_sampler is not None

    @property
    def _index_sampler(self) -> Iterable[Any]:
        """What the loader reads indices from: batches of them, or one at a time."""
        return self.batch_sampler if self._auto_collation else self.sampler  # type: ignore[return-value]

    def __setattr__(self, name: str, value: Any) -> None:
        if self._initialized and name in self._FIXED:
            raise ValueError(
                f"{name} attribute should not be set after {type(self).__name__} is initialized"
            )
        super().__setattr__(name, value)

    def __iter__(self) -> Iterator[Any]:
        indices = iter(self._index_sampler)
        if self.pin_memory:
            if self.pin_memory_device:
                warnings.warn(
                    "pin_memory_device is deprecated, the current accelerator will be used as "
                    f"the device,ignore pin_memory_device='{self.pin_memory_device}'.",
                    stacklevel=2,
                )
            warnings.warn(
                "'pin_memory' argument is set as true but no accelerator is found, then device "
                "pinned memory won't be used.",
                stacklevel=2,
            )
        # PyTorch's iterator draws its workers' base seed when it is made, from the loader's
        # generator or the global one, shuffled or not and with no workers too: without this
        # draw every random number after a pass over a loader differs from PyTorch's. With
        # persistent workers it makes one iterator, on the first pass, and resets it after.
        if not (self.persistent_workers and self.num_workers > 0 and self._seed_drawn):
            (self.generator or rng.default_generator).random64(1)
            self._seed_drawn = True
        if self.num_workers == 0 and self.timeout != 0:
            # PyTorch's single-process iterator refuses a timeout, which only workers use
            raise AssertionError("_SingleProcessDataLoaderIter requires timeout == 0")
        if self._iterable:
            # the stream starts now, as PyTorch's iterator starts it when it is made
            return self._stream_batches(iter(self.dataset), self._IterableDataset_len_called)
        return self._batches(indices)

    def _batches(self, indices: Iterator[Any]) -> Iterator[Any]:
        if not self._auto_collation:  # no batching: one sample at a time
            for i in indices:
                yield self.collate_fn(self.dataset[i])
            return
        # PyTorch fetches a batch by the dataset's __getitems__ where it has one
        getitems = getattr(self.dataset, "__getitems__", None)
        fast = (
            type(self.dataset).__getitem__ is TensorDataset.__getitem__
            and not getitems
            and self.collate_fn is default_collate
        )
        for batch in indices:
            rows = _row_indices(batch) if fast else None
            if rows is not None:
                # Differentiable indexing: a dataset of tensors that require grad gives
                # batches that do too, as stacking the items one by one would.
                yield [t[rows] for t in self.dataset.tensors]  # type: ignore[attr-defined]
            elif getitems:
                yield self.collate_fn(getitems(batch))
            else:
                yield self.collate_fn([self.dataset[i] for i in batch])

    def _stream_batches(self, stream: Iterator[Any], reported: int | None) -> Iterator[Any]:
        """An iterable dataset's samples from ``stream``, converted one by one without
        batching, or collated in groups of ``batch_size`` (a short last group unless
        ``drop_last``). As PyTorch's, it warns once it has given more than ``reported`` (the
        dataset's length as ``len(loader)`` read it, before this pass began)."""
        if self.batch_size is None:
            batches = (self.collate_fn(sample) for sample in stream)
        else:
            groups = iter(lambda: list(itertools.islice(stream, self.batch_size)), [])
            if self.drop_last:
                groups = itertools.takewhile(lambda g: len(g) == self.batch_size, groups)
            batches = (self.collate_fn(group) for group in groups)
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
        return len(self._index_sampler)  # type: ignore[arg-type]


class _InfiniteConstantSampler(samplers.Sampler[None]):
    """An iterable dataset's sampler (PyTorch's): None for ever, as a stream has no indices;
    a loader counts its batches out of the stream as it goes."""

    def __iter__(self) -> Iterator[None]:
        while True:
            yield None


def _check_worker_options(
    num_workers: int, timeout: float, prefetch_factor: int | None, persistent_workers: bool
) -> int | None:
    """PyTorch's checks of the worker options, in its order; the prefetch factor it keeps
    (2 by default where there are workers)."""
    if num_workers < 0:
        raise ValueError(
            "num_workers option should be non-negative; use num_workers=0 to disable "
            "multiprocessing."
        )
    if timeout < 0:
        raise ValueError("timeout option should be non-negative")
    if num_workers == 0 and prefetch_factor is not None:
        raise ValueError(
            "prefetch_factor option could only be specified in multiprocessing.let num_workers "
            "> 0 to enable multiprocessing, otherwise set prefetch_factor to None."
        )
    if num_workers > 0 and prefetch_factor is None:
        prefetch_factor = 2
    elif prefetch_factor is not None and prefetch_factor < 0:
        raise ValueError("prefetch_factor option should be non-negative")
    if persistent_workers and num_workers == 0:
        raise ValueError("persistent_workers option needs num_workers > 0")
    return prefetch_factor


def _row_indices(batch: Sequence[Any]) -> Any:
    """A batch of indices as an int64 array to index a TensorDataset's tensors with at once,
    or None where they are not all plain integers (a bool, a float, a tensor: indexing item by
    item gives what PyTorch gives, or its error)."""
    if all(isinstance(i, int | xp.integer) and not isinstance(i, bool) for i in batch):
        return xp.asarray(batch, dtype=xp.int64)
    return None


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
