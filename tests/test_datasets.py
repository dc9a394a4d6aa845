"""Tests for chainrule.data.arrays: digits (bundled, as scikit-learn ships them) and moons."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import pytest
from sklearn import datasets as sk_datasets

import chainrule
from chainrule.data import arrays as datasets
from chainrule.data.arrays import Split, digits, moons

N_DIGITS = 1797


def sorted_rows(x: np.ndarray) -> np.ndarray:
    """Rows in lexicographic order, to compare data sets as multisets."""
    flat = x.reshape(len(x), -1)
    return flat[np.lexsort(flat.T[::-1])]


def assert_is_partition(split: Split[np.ndarray], x: np.ndarray, y: np.ndarray) -> None:
    """Train + test hold exactly the original (row, label) pairs, each once."""
    ours = np.concatenate(
        [
            np.column_stack([split.x_train.reshape(len(split.x_train), -1), split.y_train]),
            np.column_stack([split.x_test.reshape(len(split.x_test), -1), split.y_test]),
        ]
    )
    original = np.column_stack([x.reshape(len(x), -1), y])
    np.testing.assert_array_equal(sorted_rows(ours), sorted_rows(original))


def assert_splits_equal(a: Split[np.ndarray], b: Split[np.ndarray]) -> None:
    for left, right in zip(a, b, strict=True):
        np.testing.assert_array_equal(left, right)


# ------------------------------------------------------------------------ split helpers


@pytest.mark.parametrize("fraction", [0.0, 0.1, 0.2, 0.25, 0.5, 0.9])
def test_stratified_indices_partition_and_proportions(fraction: float) -> None:
    y = np.repeat(np.arange(5), [3, 10, 17, 40, 1])
    train, test = datasets._stratified_indices(y, fraction, np.random.default_rng(0))
    assert len(test) == round(fraction * len(y))
    assert np.intersect1d(train, test).size == 0
    np.testing.assert_array_equal(np.sort(np.concatenate([train, test])), np.arange(len(y)))
    for label, count in zip(*np.unique(y, return_counts=True), strict=True):
        in_test = np.count_nonzero(y[test] == label)
        assert abs(in_test - fraction * count) < 1


def test_allocate_sums_exactly() -> None:
    counts = np.array([178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
    shares = datasets._allocate(counts, 359)
    assert shares.sum() == 359
    assert np.all(np.abs(shares - counts * 359 / counts.sum()) < 1)


def test_split_unpacks_and_converts() -> None:
    split = moons(n_samples=20)
    x_train, y_train, x_test, y_test = split
    assert x_train is split.x_train and y_test is split.y_test
    converted = split.to_tensors(to_tensor=lambda a: ("tensor", a.shape))
    assert converted.x_train == ("tensor", (16, 2))
    assert isinstance(converted, Split)


def test_to_tensors_defaults_to_chainrule_from_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def fake_from_numpy(array: np.ndarray) -> Any:
        calls.append(array)
        return "T"

    monkeypatch.setattr(chainrule, "from_numpy", fake_from_numpy, raising=False)
    split = moons(n_samples=10)
    assert split.to_tensors() == ("T", "T", "T", "T")
    assert all(a is b for a, b in zip(calls, split, strict=True))


def test_to_tensors_with_real_chainrule() -> None:
    split = moons(n_samples=10).to_tensors()
    np.testing.assert_array_equal(np.asarray(split.x_test), moons(n_samples=10).x_test)


# --------------------------------------------------------------------------------- moons


def test_moons_shapes_dtypes_and_balance() -> None:
    split = moons(n_samples=1001, test_fraction=0.2)
    assert split.x_train.shape == (801, 2) and split.x_test.shape == (200, 2)
    assert split.x_train.dtype == np.float32 and split.y_train.dtype == np.int64
    y = np.concatenate([split.y_train, split.y_test])
    assert sorted(np.bincount(y).tolist()) == [500, 501]
    for part in (split.y_train, split.y_test):
        assert abs(np.mean(part) - 0.5) < 0.01


def test_moons_without_noise_lie_on_the_half_circles() -> None:
    split = moons(n_samples=200, noise=0.0)
    x = np.concatenate([split.x_train, split.x_test]).astype(np.float64)
    y = np.concatenate([split.y_train, split.y_test])
    upper, lower = x[y == 0], x[y == 1]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0, atol=1e-6)
    assert np.all(upper[:, 1] >= -1e-6)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0, atol=1e-6)
    assert np.all(lower[:, 1] <= 0.5 + 1e-6)


def test_moons_noise_has_the_requested_scale() -> None:
    clean = moons(n_samples=4000, noise=0.0, test_fraction=0.0)
    noisy = moons(n_samples=4000, noise=0.3, test_fraction=0.0)
    # Same seed, so the shuffles match and the difference is exactly the noise.
    np.testing.assert_array_equal(clean.y_train, noisy.y_train)
    residual = noisy.x_train.astype(np.float64) - clean.x_train
    assert abs(residual.std() - 0.3) < 0.02 and abs(residual.mean()) < 0.02


def test_moons_is_deterministic_and_seeded() -> None:
    assert_splits_equal(moons(seed=5), moons(seed=5))
    assert not np.array_equal(moons(seed=5).x_train, moons(seed=6).x_train)


def test_moons_splits_are_disjoint() -> None:
    split = moons(n_samples=300, noise=0.05)
    train_rows = {row.tobytes() for row in split.x_train}
    assert not any(row.tobytes() in train_rows for row in split.x_test)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_samples": 1}, "n_samples"),
        ({"noise": -0.1}, "noise"),
        ({"test_fraction": 1.0}, "test_fraction"),
        ({"test_fraction": -0.1}, "test_fraction"),
    ],
)
def test_moons_rejects_bad_arguments(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        moons(**kwargs)


# -------------------------------------------------------------------------------- digits


@pytest.fixture(scope="module")
def raw_digits() -> tuple[np.ndarray, np.ndarray]:
    bunch = sk_datasets.load_digits()
    return (bunch.data / 16.0).astype(np.float32), bunch.target.astype(np.int64)


def test_digits_sizes_dtypes_and_ranges(raw_digits: Any) -> None:
    split = digits()
    assert len(split.x_train) + len(split.x_test) == N_DIGITS
    assert split.x_test.shape == (round(0.2 * N_DIGITS), 64)
    assert split.x_train.shape == (N_DIGITS - round(0.2 * N_DIGITS), 64)
    assert split.x_train.dtype == np.float32 and split.x_test.dtype == np.float32
    assert split.y_train.dtype == np.int64 and split.y_test.dtype == np.int64
    x = np.concatenate([split.x_train, split.x_test])
    assert x.min() == 0.0 and x.max() == 1.0
    assert set(np.unique(x * 16).tolist()) <= set(range(17))  # exactly k/16
    assert set(np.unique(np.concatenate([split.y_train, split.y_test]))) == set(range(10))


def test_digits_is_a_partition_of_the_data(raw_digits: Any) -> None:
    assert_is_partition(digits(), *raw_digits)


def test_digits_images_option(raw_digits: Any) -> None:
    flat, images = digits(seed=3), digits(seed=3, images=True)
    assert images.x_train.shape == (len(flat.x_train), 1, 8, 8)
    assert images.x_test.shape == (len(flat.x_test), 1, 8, 8)
    np.testing.assert_array_equal(images.x_train.reshape(-1, 64), flat.x_train)
    np.testing.assert_array_equal(images.y_test, flat.y_test)
    # Row-major reshape: pixel (r, c) of the image is feature 8 * r + c.
    assert images.x_train[0, 0, 2, 5] == flat.x_train[0, 8 * 2 + 5]


def test_digits_split_is_stratified(raw_digits: Any) -> None:
    _, y = raw_digits
    split = digits(test_fraction=0.25)
    counts = np.bincount(y)
    test_counts = np.bincount(split.y_test, minlength=10)
    assert np.all(np.abs(test_counts - 0.25 * counts) < 1)
    np.testing.assert_array_equal(np.bincount(split.y_train, minlength=10), counts - test_counts)


def test_digits_split_is_shuffled(raw_digits: Any) -> None:
    split = digits()
    # Not grouped by class: consecutive labels change often.
    assert np.count_nonzero(np.diff(split.y_train)) > len(split.y_train) * 0.8


def test_digits_is_deterministic_and_seeded(raw_digits: Any) -> None:
    assert_splits_equal(digits(seed=1), digits(seed=1))
    assert not np.array_equal(digits(seed=1).y_train, digits(seed=2).y_train)


def test_digits_split_is_pinned(raw_digits: Any) -> None:
    # Guards "the same split on every machine": if NumPy's Generator stream or our
    # splitting ever changes, these golden values change with it. (The 1,797 rows are all
    # distinct, so a row identifies its index in scikit-learn's order.)
    x, _ = raw_digits
    row_ids = {row.tobytes(): i for i, row in enumerate(x)}
    assert len(row_ids) == N_DIGITS
    split = digits(seed=0)
    golden_rows = [1560, 1367, 1655, 549, 1350, 1522, 13, 221]
    assert [row_ids[row.tobytes()] for row in split.x_test[:8]] == golden_rows
    assert split.y_test[:8].tolist() == [5, 1, 2, 5, 3, 1, 3, 1]


def test_bundled_digits_are_scikit_learns_row_for_row() -> None:
    pixels, labels = datasets._load_digits()
    bunch = sk_datasets.load_digits()
    np.testing.assert_array_equal(pixels, bunch.data)
    np.testing.assert_array_equal(labels, bunch.target)


def test_digits_need_no_scikit_learn(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sklearn", None)  # importing it now raises ImportError
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    assert digits().x_train.shape == (1438, 64)


def test_digits_rejects_bad_fraction() -> None:
    with pytest.raises(ValueError, match="test_fraction"):
        digits(test_fraction=1.5)
