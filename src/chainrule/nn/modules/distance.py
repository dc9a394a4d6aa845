"""``torch.nn.modules.distance``'s names, from where chainrule defines them."""

from chainrule.nn.activation import CosineSimilarity, PairwiseDistance

__all__ = ["PairwiseDistance", "CosineSimilarity"]
