"""``torch.nn.modules.adaptive``'s names, from where chainrule defines them."""

from chainrule.nn.adaptive import AdaptiveLogSoftmaxWithLoss

__all__ = ["AdaptiveLogSoftmaxWithLoss"]
