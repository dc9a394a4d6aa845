"""``cr.autograd.grad_mode``: the recording switches under PyTorch's module name, the same
objects as ``cr.no_grad`` and the others (:mod:`chainrule.grad_mode`).

>>> import chainrule as cr
>>> from chainrule.autograd.grad_mode import no_grad
>>> no_grad is cr.no_grad is cr.autograd.no_grad
True
"""

from chainrule.grad_mode import enable_grad, inference_mode, no_grad, set_grad_enabled

__all__ = ["enable_grad", "inference_mode", "no_grad", "set_grad_enabled"]
