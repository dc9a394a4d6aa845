"""``torch.utils.data``'s names, from :mod:`chainrule.data.loader`, and its submodule paths
(``dataset``, ``dataloader``, ``sampler``, ``distributed``), which this package imports, as
PyTorch's does.

>>> from chainrule.utils.data import DataLoader, TensorDataset
>>> DataLoader.__module__
'chainrule.data.loader'
>>> from chainrule.utils.data.sampler import SubsetRandomSampler
>>> len(SubsetRandomSampler([3, 1, 4]))
3
"""

from chainrule.utils.data.dataloader import (
    DataLoader,
    default_collate,
    default_convert,
    get_worker_info,
)
from chainrule.utils.data.dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    StackDataset,
    Subset,
    TensorDataset,
    random_split,
)
from chainrule.utils.data.distributed import DistributedSampler
from chainrule.utils.data.sampler import (
    BatchSampler,
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
