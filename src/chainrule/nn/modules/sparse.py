"""``torch.nn.modules.sparse``'s names, from where chainrule defines them."""

from chainrule.nn.layers import Embedding, EmbeddingBag

__all__ = ["Embedding", "EmbeddingBag"]
