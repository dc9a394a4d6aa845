"""``torch.utils.data.distributed``'s name, from where chainrule defines it."""

from chainrule.data.samplers import DistributedSampler

__all__ = ["DistributedSampler"]
