"""``torch.nn.modules.upsampling``'s names, from where chainrule defines them."""

from chainrule.nn.upsampling import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d

__all__ = ["Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"]
