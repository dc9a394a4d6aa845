"""``torch.nn.modules.linear``'s names, from where chainrule defines them."""

from chainrule.nn.layers import Bilinear, Identity, Linear
from chainrule.nn.lazy import LazyLinear

__all__ = ["Bilinear", "Identity", "LazyLinear", "Linear"]
