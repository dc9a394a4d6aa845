"""Data for training: batching (:mod:`chainrule.data.loader`) and small data sets
(:mod:`chainrule.data.datasets`, as NumPy arrays; :mod:`chainrule.datasets` gives tensors)."""

from chainrule.data.loader import DataLoader, Dataset, Subset, TensorDataset, default_collate

__all__ = ["DataLoader", "Dataset", "Subset", "TensorDataset", "default_collate"]
