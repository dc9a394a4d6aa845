"""``torch.utils.data``'s names, from :mod:`chainrule.data.loader`.

>>> from chainrule.utils.data import DataLoader, TensorDataset
>>> DataLoader.__module__
'chainrule.data.loader'
"""

from chainrule.data.combine import ConcatDataset, random_split
from chainrule.data.loader import DataLoader, Dataset, Subset, TensorDataset, default_collate

__all__ = [
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "Subset",
    "TensorDataset",
    "default_collate",
    "random_split",
]
