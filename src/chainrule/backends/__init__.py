"""``cr.backends``: the backend switches tutorials query or set (``mps``, ``cudnn``, ``cuda``).

>>> import chainrule as cr
>>> cr.backends.mps.is_available(), cr.backends.cudnn.is_available()
(False, False)
"""

from chainrule.backends import cuda, cudnn, mps

__all__ = ["cuda", "cudnn", "mps"]
