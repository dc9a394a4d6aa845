"""``torch.nn.modules.normalization``'s names, from where chainrule defines them."""

from chainrule.nn.legacy import CrossMapLRN2d
from chainrule.nn.norm import GroupNorm, LayerNorm, LocalResponseNorm, RMSNorm

__all__ = ["LocalResponseNorm", "CrossMapLRN2d", "LayerNorm", "GroupNorm", "RMSNorm"]
