"""``chainrule.utils``, laid out like ``torch.utils``: ``from chainrule.utils.data import
DataLoader``."""

from chainrule.utils import checkpoint, data, hooks

__all__ = ["checkpoint", "data", "hooks"]
