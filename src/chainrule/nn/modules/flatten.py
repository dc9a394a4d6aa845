"""``torch.nn.modules.flatten``'s names, from where chainrule defines them."""

from chainrule.nn.layers import Flatten, Unflatten

__all__ = ["Flatten", "Unflatten"]
