"""``cr.compile``: a function traced once per input signature and replayed as flat NumPy calls.

:mod:`~chainrule.jit.recording` records an eager run through the entry points that
:mod:`~chainrule.jit.hooks` wraps while it runs, :mod:`~chainrule.jit.schedule` turns it into
one Python function over arrays, :mod:`~chainrule.jit.compiled` keys, guards and caches them.

PyTorch's TorchScript names (``torch.jit.script``, ``trace``, ``freeze``, ...) are here too
(:mod:`~chainrule.jit.torchscript`): they run the Python as written.
"""

from chainrule.jit import torchscript
from chainrule.jit.compiled import CompiledFunction, compile
from chainrule.jit.torchscript import *  # noqa: F403 - torch.jit's names

__all__ = ["CompiledFunction", "compile", *torchscript.__all__]
