"""``torch.nn.modules.pixelshuffle``'s names, from where chainrule defines them."""

from chainrule.nn.upsampling import PixelShuffle, PixelUnshuffle

__all__ = ["PixelShuffle", "PixelUnshuffle"]
