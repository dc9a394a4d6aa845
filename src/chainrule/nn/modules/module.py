"""``torch.nn.modules.module``'s names, from where chainrule defines them."""

from chainrule.nn.module import Module

__all__ = ["Module"]
