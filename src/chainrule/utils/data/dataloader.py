"""``torch.utils.data.dataloader``'s names, from where chainrule defines them."""

from chainrule.data.iterable import get_worker_info
from chainrule.data.loader import DataLoader, default_collate, default_convert

__all__ = ["DataLoader", "get_worker_info", "default_collate", "default_convert"]
