"""``torch.nn.modules.dropout``'s names, from where chainrule defines them."""

from chainrule.nn.dropout import Dropout1d, Dropout2d, Dropout3d
from chainrule.nn.layers import AlphaDropout, Dropout, FeatureAlphaDropout, _DropoutNd

__all__ = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"]
