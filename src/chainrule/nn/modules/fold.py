"""``torch.nn.modules.fold``'s names, from where chainrule defines them."""

from chainrule.nn.upsampling import Fold, Unfold

__all__ = ["Fold", "Unfold"]
