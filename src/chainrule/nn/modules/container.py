"""``torch.nn.modules.container``'s names, from where chainrule defines them."""

from chainrule.nn.container import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from chainrule.nn.legacy import Container

__all__ = ["Container", "Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict"]
