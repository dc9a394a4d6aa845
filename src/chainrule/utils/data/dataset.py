"""``torch.utils.data.dataset``'s names, from where chainrule defines them."""

from chainrule.data.combine import ConcatDataset, StackDataset, random_split
from chainrule.data.iterable import ChainDataset, IterableDataset
from chainrule.data.loader import Dataset, Subset, TensorDataset

__all__ = [
    "Dataset",
    "IterableDataset",
    "TensorDataset",
    "StackDataset",
    "ConcatDataset",
    "ChainDataset",
    "Subset",
    "random_split",
]
