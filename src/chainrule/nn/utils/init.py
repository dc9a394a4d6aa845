"""``torch.nn.utils.init``: :func:`skip_init`, a module made without initializing its
parameters and buffers.

    >>> import chainrule as cr
    >>> _ = cr.manual_seed(0)
    >>> skip_init(cr.nn.Linear, 2, 1).weight
    Parameter containing:
    tensor([[0., 0.]], requires_grad=True)
    >>> drawn = cr.rand(1)              # the first number after the seed: nothing was drawn
    >>> _ = cr.manual_seed(0)
    >>> bool(cr.rand(1) == drawn)
    True
"""

from __future__ import annotations

import inspect
from typing import Any

from chainrule import rng
from chainrule._array import xp
from chainrule.nn.module import Module

__all__ = ["skip_init"]


def skip_init(module_cls: type[Module], *args: Any, **kwargs: Any) -> Module:
    """``module_cls(*args, **kwargs)`` without its initialization: as PyTorch's, the
    constructor must take a ``device`` argument, and the random generator is left as it was
    (PyTorch builds on the meta device, which draws nothing). The values are those of
    ``empty``: chainrule's are zeros, PyTorch's whatever memory held."""
    if not (isinstance(module_cls, type) and issubclass(module_cls, Module)):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    kwargs.setdefault("device", "cpu")
    state = rng.default_generator.get_state()
    try:
        module = module_cls(*args, **kwargs)
    finally:
        rng.default_generator.set_state(state)
    for tensor in [*module.parameters(), *module.buffers()]:
        # New memory, as PyTorch's ``to_empty`` gives each tensor: no change of what the
        # constructor made, so the version counter starts anew too
        tensor._data = xp.zeros_like(tensor._data)
        tensor._vc = [0]
    return module
