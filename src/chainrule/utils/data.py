"""``torch.utils.data``'s names, from :mod:`chainrule.data.loader`.

>>> from chainrule.utils.data import DataLoader, TensorDataset
>>> DataLoader.__module__
'chainrule.data.loader'
"""

from chainrule.data.combine import ConcatDataset, random_split
from chainrule.data.loader import (
    DataLoader,
    Dataset,
    Subset,
    TensorDataset,
    default_collate,
    default_convert,
)
from chainrule.data.samplers import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

__all__ = [
    "BatchSampler",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "WeightedRandomSampler",
    "default_collate",
    "default_convert",
    "random_split",
]
