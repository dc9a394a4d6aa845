"""``cr.autograd.function``: user-defined functions under PyTorch's module name, the same
classes as ``cr.autograd.Function`` and ``FunctionCtx`` (:mod:`chainrule.autodiff.function`).

>>> import chainrule as cr
>>> from chainrule.autograd.function import Function
>>> Function is cr.autograd.Function
True
"""

from chainrule.autodiff.function import Function, FunctionCtx

__all__ = ["Function", "FunctionCtx"]
