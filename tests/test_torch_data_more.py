"""``torch.utils.data``'s iterable datasets, StackDataset and DistributedSampler against
PyTorch.

Each case is a function of the library (``chainrule`` or ``torch``) that builds data sets,
loaders or samplers and returns what they give (batches as nested lists of plain values);
both results must be equal, and a case that raises must raise the same exception type with
the same message in both.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable
from typing import Any

import pytest
import torch

import chainrule as cr


def _plain(x: Any) -> Any:
    """Tensors as ('tensor', dtype name, values); containers item by item."""
    if isinstance(x, cr.Tensor | torch.Tensor):
        return ("tensor", str(x.dtype).split(".")[-1], x.tolist())
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return type(x)(_plain(v) for v in x) if type(x) in (list, tuple) else list(map(_plain, x))
    return x


def _stream(lib: Any, values: list[Any], length: bool = True) -> Any:
    """An IterableDataset of ``values`` (with a ``__len__`` when ``length``)."""
    base = lib.utils.data.IterableDataset

    class Stream(base):  # type: ignore[misc, valid-type]
        def __iter__(self):
            return iter(values)

        def __repr__(self):
            return "Stream"

    if length:
        Stream.__len__ = lambda self: len(values)  # type: ignore[attr-defined]
    return Stream()


def _loader(lib: Any, **kwargs: Any) -> list[Any]:
    return list(lib.utils.data.DataLoader(_stream(lib, list(range(7))), **kwargs))


def _pairs_loader(lib: Any) -> list[Any]:
    values = [(i, float(i) / 2, {"k": [i, i + 1]}) for i in range(5)]
    return list(lib.utils.data.DataLoader(_stream(lib, values), batch_size=2))


def _unbatched(lib: Any) -> list[Any]:
    values = [lib.arange(3) + i for i in range(3)]
    return list(lib.utils.data.DataLoader(_stream(lib, values), batch_size=None))


def _collate(lib: Any) -> list[Any]:
    loader = lib.utils.data.DataLoader(
        _stream(lib, list(range(7))), batch_size=3, collate_fn=lambda b: sum(b)
    )
    return list(loader)


def _lengths(lib: Any) -> list[int]:
    data = _stream(lib, list(range(7)))
    DataLoader = lib.utils.data.DataLoader
    return [
        len(DataLoader(data, batch_size=3)),
        len(DataLoader(data, batch_size=3, drop_last=True)),
        len(DataLoader(data, batch_size=None)),
        len(DataLoader(data)),
    ]


def _no_length(lib: Any) -> int:
    return len(lib.utils.data.DataLoader(_stream(lib, [1], length=False)))


def _chain(lib: Any) -> list[Any]:
    a, b = _stream(lib, [1, 2, 3]), _stream(lib, [4, 5])
    chained = a + b
    explicit = lib.utils.data.ChainDataset([b, a, b])
    return [
        type(chained).__name__,
        list(chained),
        len(chained),
        list(explicit),
        len(explicit),
        list(lib.utils.data.DataLoader(explicit, batch_size=4)),
    ]


def _chain_of_map_style(lib: Any) -> list[Any]:
    data = lib.utils.data.TensorDataset(lib.arange(3))
    return list(lib.utils.data.ChainDataset([_stream(lib, [1]), data]))


def _chain_length_of_map_style(lib: Any) -> int:
    data = lib.utils.data.TensorDataset(lib.arange(3))
    return len(lib.utils.data.ChainDataset([data]))


def _stack_tuple(lib: Any) -> list[Any]:
    data = lib.utils.data
    stacked = data.StackDataset(data.TensorDataset(lib.arange(4.0)), ["a", "b", "c", "d"])
    return [
        len(stacked),
        stacked[2],
        list(data.DataLoader(stacked, batch_size=3)),
    ]


def _stack_dict(lib: Any) -> list[Any]:
    data = lib.utils.data
    stacked = data.StackDataset(x=lib.arange(6).reshape(3, 2), y=[10, 20, 30])
    loader = data.DataLoader(stacked, batch_size=2, shuffle=True, generator=_gen(lib, 3))
    return [len(stacked), stacked[1], list(loader)]


def _gen(lib: Any, seed: int) -> Any:
    return lib.Generator().manual_seed(seed)


def _distributed(
    n: int, replicas: int, shuffle: bool, drop_last: bool, seed: int = 0
) -> Callable[[Any], Any]:
    def case(lib: Any) -> Any:
        out = []
        for rank in range(replicas):
            sampler = lib.utils.data.DistributedSampler(
                list(range(n)), replicas, rank, shuffle=shuffle, seed=seed, drop_last=drop_last
            )
            epochs = []
            for epoch in (0, 0, 3):
                sampler.set_epoch(epoch)
                epochs.append(list(sampler))
            out.append(
                [len(sampler), sampler.num_samples, sampler.total_size, sampler.epoch, epochs]
            )
        return out

    return case


def _distributed_loader(lib: Any) -> list[Any]:
    data = lib.utils.data.TensorDataset(lib.arange(10) * 10)
    sampler = lib.utils.data.DistributedSampler(data, num_replicas=3, rank=2, seed=5)
    return list(lib.utils.data.DataLoader(data, batch_size=2, sampler=sampler))


def _longer_than_reported(lib: Any, batch_size: Any = 2) -> list[Any]:
    """A stream that gives more than its ``__len__`` says: PyTorch warns once the loader has
    given more than ``len(dataset)`` batches, counted from the ``len(loader)`` read before."""
    data = _stream(lib, list(range(9)))
    type(data).__len__ = lambda self: 3
    loader = lib.utils.data.DataLoader(data, batch_size=batch_size)
    first = list(loader)  # len not read yet: no warning
    n = len(loader)
    return [first, n, list(loader)]


def _batched_fetch(lib: Any) -> Any:
    """A dataset whose ``__getitems__`` differs from its items one by one: loaders fetch
    batches by it, through Subset and StackDataset too."""
    base = lib.utils.data.Dataset

    class Rows(base):  # type: ignore[misc, valid-type]
        def __len__(self):
            return 6

        def __getitem__(self, i):
            return i

        def __getitems__(self, indices):
            return [100 + i for i in indices]

    class Short(Rows):
        def __getitems__(self, indices):
            return [0]

    data = lib.utils.data
    rows = Rows()
    loaders = [
        data.DataLoader(rows, batch_size=4),
        data.DataLoader(data.Subset(rows, [5, 3, 1]), batch_size=2),
        data.DataLoader(data.StackDataset(rows, list("abcdef")), batch_size=4),
        data.DataLoader(data.StackDataset(x=rows, y=rows), batch_size=5),
        data.DataLoader(rows, batch_size=None),
    ]
    out = [list(loader) for loader in loaders]
    try:
        list(data.DataLoader(data.StackDataset(Short(), rows), batch_size=2))
    except ValueError as e:
        out.append(str(e))
    return out


def _concat_of_streams(lib: Any) -> Any:
    return lib.utils.data.ConcatDataset([_stream(lib, [1]), [2]])


CASES: dict[str, Callable[[Any], Any]] = {
    "iterable_default_batches": lambda lib: _loader(lib),
    "iterable_batch_3": lambda lib: _loader(lib, batch_size=3),
    "iterable_batch_3_drop_last": lambda lib: _loader(lib, batch_size=3, drop_last=True),
    "iterable_batch_7_drop_last": lambda lib: _loader(lib, batch_size=7, drop_last=True),
    "iterable_batch_8_drop_last": lambda lib: _loader(lib, batch_size=8, drop_last=True),
    "iterable_shuffle_false": lambda lib: _loader(lib, batch_size=2, shuffle=False),
    "iterable_tuples_and_dicts": _pairs_loader,
    "iterable_batch_size_none": _unbatched,
    "iterable_collate_fn": _collate,
    "iterable_lengths": _lengths,
    "iterable_no_length": _no_length,
    "iterable_shuffle_refused": lambda lib: _loader(lib, shuffle=True),
    "iterable_sampler_refused": lambda lib: _loader(lib, sampler=[0, 1]),
    "iterable_batch_sampler_refused": lambda lib: _loader(lib, batch_sampler=[[0, 1]]),
    "batch_size_none_with_drop_last": lambda lib: _loader(lib, batch_size=None, drop_last=True),
    "map_batch_size_none_with_drop_last": lambda lib: lib.utils.data.DataLoader(
        [1, 2], batch_size=None, drop_last=True
    ),
    "get_worker_info_main_process": lambda lib: lib.utils.data.get_worker_info(),
    "iterable_longer_than_reported": _longer_than_reported,
    "iterable_longer_than_reported_unbatched": lambda lib: _longer_than_reported(lib, None),
    "concat_of_an_iterable_refused": _concat_of_streams,
    "map_plus_iterable_refused": lambda lib: (
        lib.utils.data.TensorDataset(lib.ones(2)) + _stream(lib, [1])
    ),
    "batched_fetch_by_getitems": _batched_fetch,
    "chain": _chain,
    "chain_of_map_style": _chain_of_map_style,
    "chain_length_of_map_style": _chain_length_of_map_style,
    "stack_tuple": _stack_tuple,
    "stack_dict": _stack_dict,
    "stack_both_forms": lambda lib: lib.utils.data.StackDataset([1], y=[2]),
    "stack_nothing": lambda lib: lib.utils.data.StackDataset(),
    "stack_size_mismatch": lambda lib: lib.utils.data.StackDataset([1, 2], [3]),
    "stack_dict_size_mismatch": lambda lib: lib.utils.data.StackDataset(a=[1, 2], b=[3]),
    "distributed_loader": _distributed_loader,
    "distributed_bad_rank": lambda lib: lib.utils.data.DistributedSampler([1, 2], 2, 2),
    "distributed_negative_rank": lambda lib: lib.utils.data.DistributedSampler([1, 2], 2, -1),
    "loader_batch_size_zero": lambda lib: lib.utils.data.DataLoader([1, 2], batch_size=0),
    "loader_batch_size_bool": lambda lib: lib.utils.data.DataLoader([1, 2], batch_size=True),
    "loader_batch_size_float": lambda lib: lib.utils.data.DataLoader([1, 2], batch_size=2.5),
}
for n, replicas, shuffle, drop_last in itertools.product(
    (1, 7, 10, 12), (1, 3, 4), (False, True), (False, True)
):
    CASES[f"distributed_n{n}_r{replicas}_shuffle{shuffle}_drop{drop_last}"] = _distributed(
        n, replicas, shuffle, drop_last, seed=n
    )
CASES["distributed_padding_longer_than_data"] = _distributed(2, 5, True, False)


def _outcome(case: Callable[[Any], Any], lib: Any) -> Any:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = "ok", _plain(case(lib))
        except Exception as e:  # noqa: BLE001 - the exception is the result compared
            result = "error", type(e).__name__, str(e)
    return result, [(w.category.__name__, str(w.message)) for w in caught]


@pytest.mark.parametrize("name", list(CASES))
def test_data_case_matches_pytorch(name: str) -> None:
    case = CASES[name]
    torch.manual_seed(0)
    expected = _outcome(case, torch)
    cr.manual_seed(0)
    assert _outcome(case, cr) == expected


def test_iterable_with_workers_is_refused() -> None:
    with pytest.raises(ValueError, match="num_workers > 0 is not supported"):
        cr.utils.data.DataLoader(_stream(cr, [1]), num_workers=2)


def test_distributed_sampler_needs_replicas_and_rank() -> None:
    """PyTorch's ValueError without a process group, then what to give instead."""
    with pytest.raises(ValueError, match="(?s)Default process group.*give num_replicas and rank"):
        cr.utils.data.DistributedSampler([1, 2])


def test_loaders_draw_the_same_random_numbers_as_pytorch() -> None:
    """A pass over an iterable loader draws what PyTorch's draws (its workers' seed)."""
    torch.manual_seed(4)
    cr.manual_seed(4)
    list(torch.utils.data.DataLoader(_stream(torch, [1, 2, 3]), batch_size=2))
    list(cr.utils.data.DataLoader(_stream(cr, [1, 2, 3]), batch_size=2))
    assert cr.rand(3).tolist() == torch.rand(3).tolist()


def test_data_lists_what_pytorch_lists() -> None:
    """``torch.utils.data``'s names but the datapipes (deprecated in PyTorch) and private ones."""
    datapipes = {"DFIterDataPipe", "DataChunk", "IterDataPipe", "MapDataPipe"}
    expected = {
        name for name in torch.utils.data.__all__ if name[0].isupper() and name not in datapipes
    } | {"default_collate", "default_convert", "get_worker_info", "random_split"}
    expected.discard("_DatasetKind")
    assert expected <= set(cr.utils.data.__all__)
