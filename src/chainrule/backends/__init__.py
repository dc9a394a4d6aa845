"""``cr.backends``: the backend switches tutorials query or set (``mps``, ``cudnn``).

>>> import chainrule as cr
>>> cr.backends.mps.is_available(), cr.backends.cudnn.is_available()
(False, False)
"""

from chainrule.backends import cudnn, mps

__all__ = ["cudnn", "mps"]
