"""The built-in data sets as tensors, ready for a :class:`~chainrule.utils.data.TensorDataset`.

Each function returns a ``Split`` that unpacks as ``x_train, y_train, x_test, y_test``:
features are float32 tensors, labels int64 tensors of class indices (what
``nn.CrossEntropyLoss`` expects). The NumPy versions live in :mod:`chainrule.data.arrays`.

* :func:`digits` - 1,797 handwritten 8x8 digits, 10 classes: features (N, 64) in [0, 1], or
  images (N, 1, 8, 8) with ``images=True`` (bundled with chainrule, from scikit-learn).
* :func:`moons` - two interleaving half circles, 2 classes: features (N, 2).

The train/test split is stratified and fixed by ``seed``.

    >>> import chainrule as cr
    >>> x_train, y_train, x_test, y_test = cr.datasets.moons(n_samples=100)
    >>> x_train.shape, y_train.dtype
    (chainrule.Size([80, 2]), chainrule.int64)
"""

from __future__ import annotations

from chainrule.data import arrays as _arrays
from chainrule.data.arrays import Split
from chainrule.tensor import Tensor

__all__ = ["Split", "digits", "moons"]


def digits(test_fraction: float = 0.2, seed: int = 0, *, images: bool = False) -> Split[Tensor]:
    """The scikit-learn digits as tensors: (N, 64) features, or (N, 1, 8, 8) with ``images``."""
    return _arrays.digits(test_fraction, seed, images=images).to_tensors()


def moons(
    n_samples: int = 1000, noise: float = 0.1, test_fraction: float = 0.2, seed: int = 0
) -> Split[Tensor]:
    """Two interleaving half circles as tensors: (N, 2) features, labels 0 and 1."""
    return _arrays.moons(n_samples, noise, test_fraction, seed).to_tensors()
