"""``cr.autograd.forward_ad``: forward-mode AD with dual tensors, PyTorch's API.

>>> import chainrule as cr
>>> import chainrule.autograd.forward_ad as fwAD
>>> with fwAD.dual_level():
...     x = fwAD.make_dual(cr.tensor([0.0, 1.0]), cr.tensor([1.0, 1.0]))
...     fwAD.unpack_dual(x.exp()).tangent
tensor([1.0000, 2.7183])
"""

from chainrule.autodiff.forward import UnpackedDualTensor, dual_level, make_dual, unpack_dual

__all__ = ["UnpackedDualTensor", "dual_level", "make_dual", "unpack_dual"]
