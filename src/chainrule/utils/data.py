"""``torch.utils.data``'s names, from :mod:`chainrule.data.loader`.

>>> from chainrule.utils.data import DataLoader, TensorDataset
>>> DataLoader.__module__
'chainrule.data.loader'
"""

from chainrule.data.combine import ConcatDataset, StackDataset, random_split
from chainrule.data.iterable import ChainDataset, IterableDataset, get_worker_info
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
    DistributedSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

__all__ = [
    "BatchSampler",
    "ChainDataset",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "DistributedSampler",
    "IterableDataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "StackDataset",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "WeightedRandomSampler",
    "default_collate",
    "default_convert",
    "get_worker_info",
    "random_split",
]
