"""``chainrule.utils.hooks``, laid out like ``torch.utils.hooks``: the handle that
``register_hook`` and the modules' ``register_*_hook`` return.

>>> import chainrule as cr
>>> x = cr.ones(2, requires_grad=True)
>>> handle = x.register_hook(lambda g: g * 2)
>>> isinstance(handle, cr.utils.hooks.RemovableHandle)
True
>>> handle.remove()
"""

from chainrule.tensor import RemovableHandle

__all__ = ["RemovableHandle"]
