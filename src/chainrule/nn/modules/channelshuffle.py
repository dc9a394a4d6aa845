"""``torch.nn.modules.channelshuffle``'s names, from where chainrule defines them."""

from chainrule.nn.layers import ChannelShuffle

__all__ = ["ChannelShuffle"]
