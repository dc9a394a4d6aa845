"""Small classification data sets, split into train and test the same way on every machine.

* :func:`digits` - the 1,797 8x8 handwritten digits of scikit-learn, bundled with chainrule
  (``digits.npz``; source and BSD license in ``digits_LICENSE.txt`` beside it).
* :func:`moons` - two interleaving half circles, generated with NumPy.

Both return a :class:`Split` of NumPy arrays: float32 features and int64 labels. The split is
stratified (each class is divided in the same proportion) and driven by a seeded
``numpy.random.Generator``, so a given ``seed`` always yields the same split.

Example:
    >>> split = moons(n_samples=100, seed=1)
    >>> split.x_train.shape, split.y_test.dtype
    ((80, 2), dtype('int64'))
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from typing import Any, Generic, NamedTuple, TypeVar

from chainrule._array import xp

__all__ = ["Split", "digits", "moons"]

T = TypeVar("T")


class Split(NamedTuple, Generic[T]):
    """Train and test features and labels; unpacks as ``x_train, y_train, x_test, y_test``.

    Example:
        >>> x_train, y_train, x_test, y_test = moons(n_samples=10, seed=0)
        >>> len(x_train) + len(x_test)
        10
    """

    x_train: T
    y_train: T
    x_test: T
    y_test: T

    def to_tensors(self, to_tensor: Callable[[xp.ndarray], Any] | None = None) -> Split[Any]:
        """The same split with every array converted by ``to_tensor``.

        By default arrays become chainrule Tensors via ``chainrule.from_numpy``.

        Example:
            >>> import numpy as np
            >>> s = moons(n_samples=10).to_tensors(to_tensor=np.asarray)
            >>> type(s.x_train).__name__
            'ndarray'
        """
        convert = _default_to_tensor if to_tensor is None else to_tensor
        return Split(*(convert(array) for array in self))


def _default_to_tensor(array: xp.ndarray) -> Any:
    import chainrule  # lazy: chainrule's core may import this package

    return chainrule.from_numpy(array)


def digits(test_fraction: float = 0.2, seed: int = 0, *, images: bool = False) -> Split[xp.ndarray]:
    """scikit-learn's handwritten digits, 1,797 images of 8x8 pixels, 10 classes.

    Pixels are scaled from 0..16 to 0..1 (float32) and flattened to 64 features, or shaped
    ``(N, 1, 8, 8)`` with ``images=True`` for a convolutional net. Labels are int64 0..9.
    The data ship with chainrule (NumPy reads them; nothing is downloaded).

    Example:
        >>> split = digits()
        >>> split.x_train.shape, split.x_test.shape
        ((1438, 64), (359, 64))
        >>> digits(images=True).x_train.shape
        (1438, 1, 8, 8)
    """
    _check_fraction(test_fraction)
    pixels, labels = _load_digits()
    # The raw pixels are integer counts 0..16 of "on" cells in a 4x4 block.
    x = (xp.asarray(pixels, dtype=xp.float64) / 16.0).astype(xp.float32)
    y = xp.asarray(labels, dtype=xp.int64)
    if images:
        x = x.reshape(-1, 1, 8, 8)
    return _split(x, y, test_fraction, xp.random.default_rng(seed))


def _load_digits() -> tuple[xp.ndarray, xp.ndarray]:
    """The bundled digits as (pixels, labels), uint8, in scikit-learn's row order."""
    bundled = resources.files(__package__).joinpath("digits.npz")
    with bundled.open("rb") as file, xp.load(file) as bundle:
        return bundle["pixels"], bundle["labels"]


def moons(
    n_samples: int = 1000, noise: float = 0.1, test_fraction: float = 0.2, seed: int = 0
) -> Split[xp.ndarray]:
    """Two interleaving half circles in the plane, a classic non-linearly separable task.

    Class 0 is the upper arc ``(cos t, sin t)``, class 1 the lower arc
    ``(1 - cos t, 0.5 - sin t)``, for ``t`` evenly spaced over ``[0, pi]``, plus Gaussian
    noise with standard deviation ``noise``. Features are float32 with shape (N, 2), labels
    int64 in {0, 1}; the classes differ in size by at most one.

    Example:
        >>> split = moons(n_samples=200, noise=0.05, seed=3)
        >>> split.x_train.shape, sorted(set(split.y_train.tolist()))
        ((160, 2), [0, 1])
    """
    if n_samples < 2:
        raise ValueError(f"n_samples must be at least 2 (one per class), got {n_samples}")
    if noise < 0:
        raise ValueError(f"noise must be non-negative, got {noise}")
    _check_fraction(test_fraction)
    rng = xp.random.default_rng(seed)
    n_upper = n_samples // 2
    n_lower = n_samples - n_upper
    t_upper = xp.linspace(0.0, xp.pi, n_upper)
    t_lower = xp.linspace(0.0, xp.pi, n_lower)
    upper = xp.stack([xp.cos(t_upper), xp.sin(t_upper)], axis=1)
    lower = xp.stack([1.0 - xp.cos(t_lower), 0.5 - xp.sin(t_lower)], axis=1)
    x = xp.concatenate([upper, lower])
    x = x + rng.normal(scale=noise, size=x.shape)
    y = xp.concatenate([xp.zeros(n_upper, xp.int64), xp.ones(n_lower, xp.int64)])
    return _split(x.astype(xp.float32), y, test_fraction, rng)


def _check_fraction(test_fraction: float) -> None:
    if not 0.0 <= test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in [0, 1), got {test_fraction}")


def _split(
    x: xp.ndarray, y: xp.ndarray, test_fraction: float, rng: xp.random.Generator
) -> Split[xp.ndarray]:
    train, test = _stratified_indices(y, test_fraction, rng)
    return Split(x[train], y[train], x[test], y[test])


def _stratified_indices(
    y: xp.ndarray, test_fraction: float, rng: xp.random.Generator
) -> tuple[xp.ndarray, xp.ndarray]:
    """Disjoint train and test index arrays, each class split in ``test_fraction``.

    The test set has exactly ``round(test_fraction * len(y))`` rows and every class
    contributes the floor or ceiling of its exact share. Both sets come out shuffled, so
    classes are interleaved rather than sorted.
    """
    classes, counts = xp.unique(y, return_counts=True)
    n_test = _allocate(counts, round(test_fraction * len(y)))
    train_parts, test_parts = [], []
    for label, k in zip(classes, n_test, strict=True):
        members = xp.flatnonzero(y == label)
        members = members[_permutation(rng, len(members))]
        test_parts.append(members[:k])
        train_parts.append(members[k:])
    train = xp.concatenate(train_parts)
    test = xp.concatenate(test_parts)
    return train[_permutation(rng, len(train))], test[_permutation(rng, len(test))]


def _allocate(counts: xp.ndarray, total: int) -> xp.ndarray:
    """Split ``total`` over classes in proportion to ``counts`` (largest remainders)."""
    exact = counts * (total / counts.sum())
    share = xp.floor(exact).astype(xp.int64)
    # Hand the leftover units to the largest fractional parts; the stable sort breaks ties
    # by class order, so the result does not depend on the platform.
    leftover = total - int(share.sum())
    order = xp.argsort(-(exact - share), kind="stable")
    share[order[:leftover]] += 1
    return share


def _permutation(rng: xp.random.Generator, n: int) -> xp.ndarray:
    # Sorting uniform doubles rather than calling rng.permutation: Generator.random is the
    # simplest and most stable stream NumPy offers, which keeps splits identical across
    # NumPy versions as well as machines.
    return xp.argsort(rng.random(n), kind="stable")
