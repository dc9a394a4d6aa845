"""``torch.nn.modules.lazy``'s names, from where chainrule defines them."""

from chainrule.nn.lazy import LazyModuleMixin

__all__ = ["LazyModuleMixin"]
