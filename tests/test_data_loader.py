"""Dataset, TensorDataset and DataLoader: batching, shuffling and collation as in
``torch.utils.data``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.utils.data import DataLoader, Dataset, Subset, TensorDataset, default_collate


class Squares(Dataset):
    """A map-style dataset of (i, i * i) pairs as Python numbers."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __getitem__(self, index: int) -> tuple[int, float]:
        return index, float(index * index)

    def __len__(self) -> int:
        return self.n


def _dataset(n: int) -> TensorDataset:
    return TensorDataset(cr.arange(2.0 * n).reshape(n, 2), cr.arange(n))


def _labels(loader: DataLoader) -> list[list[int]]:
    return [y.tolist() for _, y in loader]


# (length, batch_size, drop_last): batch sizes and len() checked against torch's DataLoader.
BATCHING_CASES = [
    (10, 3, False),
    (10, 3, True),
    (10, 5, False),
    (10, 5, True),
    (10, 1, False),
    (10, 16, False),
    (10, 16, True),
    (1, 1, True),
]


@pytest.mark.parametrize(("n", "batch_size", "drop_last"), BATCHING_CASES, ids=str)
def test_batches_and_len_match_torch(n: int, batch_size: int, drop_last: bool) -> None:
    loader = DataLoader(_dataset(n), batch_size=batch_size, drop_last=drop_last)
    reference = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.arange(2.0 * n).reshape(n, 2), torch.arange(n)),
        batch_size=batch_size,
        drop_last=drop_last,
    )
    batches = list(loader)
    assert len(loader) == len(reference) == len(batches)
    for (x, y), (tx, ty) in zip(batches, reference, strict=True):
        assert x.tolist() == tx.tolist() and y.tolist() == ty.tolist()
        assert x.dtype == np.float32 and y.dtype == np.int64
    expected = n // batch_size if drop_last else math.ceil(n / batch_size)
    assert len(batches) == expected


@pytest.mark.parametrize("drop_last", [False, True])
def test_map_style_dataset_uses_default_collate(drop_last: bool) -> None:
    loader = DataLoader(Squares(7), batch_size=3, drop_last=drop_last)
    batches = list(loader)
    assert len(batches) == len(loader) == (2 if drop_last else 3)
    index, square = batches[1]
    assert index.tolist() == [3, 4, 5] and index.dtype == np.int64
    assert square.tolist() == [9.0, 16.0, 25.0] and square.dtype == np.float64


def test_batch_size_none_yields_single_samples() -> None:
    loader = DataLoader(Squares(3), batch_size=None)
    assert list(loader) == [[0, 0.0], [1, 1.0], [2, 4.0]]  # default_convert: lists
    assert len(loader) == 3


@pytest.mark.parametrize("batch_size", [0, -1, 2.5])
def test_batch_size_must_be_a_positive_int(batch_size: Any) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(Squares(3), batch_size=batch_size)


def test_shuffle_with_a_seeded_generator_is_reproducible() -> None:
    def epochs(seed: int) -> list[list[list[int]]]:
        loader = DataLoader(
            _dataset(20), batch_size=6, shuffle=True, generator=cr.Generator().manual_seed(seed)
        )
        return [_labels(loader) for _ in range(3)]

    first, again, other = epochs(0), epochs(0), epochs(1)
    assert first == again
    assert first != other
    # A new order every epoch, not one order drawn once.
    assert first[0] != first[1] != first[2]
    for order in [*first, *other]:
        flat = [i for batch in order for i in batch]
        assert sorted(flat) == list(range(20))  # every sample exactly once per epoch
        assert [len(b) for b in order] == [6, 6, 6, 2]
    assert first[0] != [list(range(i, min(i + 6, 20))) for i in range(0, 20, 6)]


def test_shuffle_with_drop_last_drops_the_short_batch() -> None:
    loader = DataLoader(_dataset(20), batch_size=6, shuffle=True, drop_last=True)
    order = _labels(loader)
    assert [len(b) for b in order] == [6, 6, 6] and len(loader) == 3
    assert len({i for b in order for i in b}) == 18


def test_shuffle_without_a_generator_follows_the_global_seed() -> None:
    loader = DataLoader(_dataset(12), batch_size=4, shuffle=True)
    cr.manual_seed(7)
    first = _labels(loader)
    cr.manual_seed(7)
    assert _labels(loader) == first


def test_sampler_fixes_the_order_and_excludes_shuffle() -> None:
    loader = DataLoader(_dataset(6), batch_size=4, sampler=[5, 0, 3])
    assert _labels(loader) == [[5, 0, 3]] and len(loader) == 1
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(_dataset(6), shuffle=True, sampler=[0])


def test_tensor_dataset_items_and_length() -> None:
    x, y = cr.arange(6.0).reshape(3, 2), cr.tensor([7, 8, 9])
    data = TensorDataset(x, y)
    assert len(data) == 3
    item_x, item_y = data[1]
    assert item_x.tolist() == [2.0, 3.0] and item_y.item() == 8


@pytest.mark.parametrize(
    ("tensors", "message"),
    [
        ((cr.zeros(3, 2), cr.zeros(4)), r"Size mismatch between tensors\nshapes: \(3, 2\), \(4,\)"),
        ((cr.zeros(3), cr.zeros(3), cr.zeros(2, 3)), r"Size mismatch .*\n.*\(2, 3\)"),
    ],
    ids=["two", "three"],
)
def test_tensor_dataset_length_mismatch_names_the_shapes(
    tensors: tuple[cr.Tensor, ...], message: str
) -> None:
    """PyTorch's AssertionError and first line; the shapes follow on the next."""
    with pytest.raises(AssertionError, match=message):
        TensorDataset(*tensors)


def test_tensor_dataset_needs_first_dimensions() -> None:
    """As PyTorch's: a 0-d tensor fails in ``size(0)``; no tensors at all pass until ``len``."""
    with pytest.raises(IndexError):
        TensorDataset(cr.zeros(3), cr.tensor(1.0))
    with pytest.raises(IndexError):
        len(TensorDataset())


def test_tensor_dataset_batches_equal_the_collated_items() -> None:
    """The loader indexes a TensorDataset with whole batches; that must equal collating
    item by item (what any other dataset gets)."""
    data = _dataset(9)
    gen_seed = 3
    fast = DataLoader(
        data, batch_size=4, shuffle=True, generator=cr.Generator().manual_seed(gen_seed)
    )
    slow = DataLoader(
        data,
        batch_size=4,
        shuffle=True,
        generator=cr.Generator().manual_seed(gen_seed),
        collate_fn=default_collate,
    )
    for (x, y), (sx, sy) in zip(fast, slow, strict=True):
        assert x.tolist() == sx.tolist() and y.tolist() == sy.tolist()
        assert x.dtype == sx.dtype and y.dtype == sy.dtype


def test_tensor_dataset_batches_keep_the_graph() -> None:
    w = cr.ones(4, 2, requires_grad=True)
    (x,) = next(iter(DataLoader(TensorDataset(w * 2.0), batch_size=3)))
    x.sum().backward()
    assert w.grad.tolist() == [[2.0, 2.0]] * 3 + [[0.0, 0.0]]


def test_base_dataset_must_be_subclassed() -> None:
    """PyTorch's base has ``__getitem__`` to override and no ``__len__`` at all."""
    with pytest.raises(NotImplementedError, match="__getitem__"):
        Dataset()[0]
    with pytest.raises(TypeError, match="has no len"):
        len(Dataset())


def test_subset_picks_items_in_order() -> None:
    subset = Subset(Squares(10), [4, 1])
    assert len(subset) == 2 and subset[0] == (4, 16.0) and subset[1] == (1, 1.0)


# ------------------------------------------------------------------ default_collate

COLLATE_CASES: list[tuple[str, list[Any], Any]] = [
    ("ints", [1, 2, 3], torch.tensor([1, 2, 3])),
    ("floats", [0.5, 1.5], torch.tensor([0.5, 1.5], dtype=torch.float64)),
    ("bools", [True, False], torch.tensor([True, False])),
    ("arrays", [np.ones(2, np.float32), np.zeros(2, np.float32)], torch.tensor([[1.0, 1], [0, 0]])),
]


@pytest.mark.parametrize(
    ("name", "batch", "expected"), COLLATE_CASES, ids=[c[0] for c in COLLATE_CASES]
)
def test_default_collate_of_numbers_and_arrays_matches_torch(
    name: str, batch: list[Any], expected: Any
) -> None:
    ours = default_collate(batch)
    theirs = torch.utils.data.default_collate(batch)
    assert torch.equal(theirs, expected)
    assert ours.tolist() == theirs.tolist()
    assert ours.dtype == np.dtype(str(theirs.dtype).removeprefix("torch."))


def test_default_collate_of_nested_samples() -> None:
    batch = [
        {"x": cr.tensor([1.0, 2.0]), "meta": ("a", 1)},
        {"x": cr.tensor([3.0, 4.0]), "meta": ("b", 2)},
    ]
    out = default_collate(batch)
    assert out["x"].tolist() == [[1.0, 2.0], [3.0, 4.0]]
    names, numbers = out["meta"]
    assert names == ("a", "b") and numbers.tolist() == [1, 2]  # strings as zip gives them
    lists = default_collate([[1, 2.0], [3, 4.0]])
    assert isinstance(lists, list) and lists[0].tolist() == [1, 3]


STRING_LIKE_BATCHES: dict[str, list[Any]] = {
    "str-arrays": [np.array(["a", "b"]), np.array(["c", "d"])],
    "bytes-arrays": [np.array([b"a"]), np.array([b"b"])],
    "object-arrays": [np.array([1, None], dtype=object)] * 2,
    "numpy-str-scalars": [np.str_("a"), np.str_("b")],
    "str-array-in-a-dict": [{"name": np.array("a"), "x": 1.0}] * 2,
    "none": [None, None],
}


@pytest.mark.parametrize("name", list(STRING_LIKE_BATCHES))
def test_default_collate_of_strings_and_objects_matches_torch(name: str) -> None:
    """NumPy strings and objects are refused in PyTorch's words (chainrule made tensors of
    dtype str32 of them); a NumPy string scalar is a string, kept as given."""

    def outcome(collate: Any) -> str:
        try:
            return repr(collate(STRING_LIKE_BATCHES[name]))
        except TypeError as error:
            return f"TypeError: {error}"

    assert outcome(default_collate) == outcome(torch.utils.data.default_collate)


def test_default_collate_keeps_the_graph_of_tensors_that_require_grad() -> None:
    w = cr.ones(2, requires_grad=True)
    batch = default_collate([w * 2.0, w * 3.0])
    batch.sum().backward()
    assert w.grad.tolist() == [5.0, 5.0]


@pytest.mark.parametrize(
    ("batch", "error", "message"),
    [
        ([[1, 2], [3]], RuntimeError, "equal size"),
        ([object(), object()], TypeError, "found <class 'object'>"),
        ([cr.zeros(2), cr.zeros(3)], RuntimeError, r"\(2,\) and \(3,\)"),
    ],
    ids=["ragged", "unknown", "shapes"],
)
def test_default_collate_errors_are_clear(batch: list[Any], error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        default_collate(batch)


def test_loader_trains_on_digits_batches() -> None:
    """End to end: every training row of digits comes out once, in batches of 64."""
    x, y, _, _ = cr.datasets.digits()
    loader = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=cr.Generator(0))
    rows = 0
    total = 0.0
    for xb, yb in loader:
        assert xb.shape[1:] == (64,) and xb.shape[0] == yb.shape[0] <= 64
        rows += xb.shape[0]
        total += float(xb.sum().item())
    assert rows == len(x) == 1438
    assert total == pytest.approx(float(x.sum().item()), rel=1e-5)
