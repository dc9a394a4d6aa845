"""``cr.compile``: a function traced once per input signature and replayed as flat NumPy calls.

:mod:`~chainrule.jit.trace` records an eager run through the entry points that
:mod:`~chainrule.jit.hooks` wraps while it runs, :mod:`~chainrule.jit.schedule` turns it into
one Python function over arrays, :mod:`~chainrule.jit.compiled` keys, guards and caches them.
"""

from chainrule.jit.compiled import CompiledFunction, compile

__all__ = ["CompiledFunction", "compile"]
