"""``Parameter``: a Tensor that a Module registers as one of its learnable weights.

Assigning a Parameter to a Module attribute adds it to ``module.parameters()``, which is what an
optimizer updates. It shares memory with the tensor it wraps and requires grad by default.

    >>> import chainrule as cr
    >>> cr.nn.Parameter(cr.tensor([1.0, 2.0]))
    Parameter containing:
    tensor([1., 2.], requires_grad=True)
"""

from __future__ import annotations

from typing import Any

from chainrule import devices as _device
from chainrule import factories
from chainrule._array import xp
from chainrule.tensor import Tensor


class Parameter(Tensor):
    """A leaf Tensor, learnable by default, that Modules collect as their parameters."""

    __slots__ = ()

    def __new__(cls, data: Any = None, requires_grad: bool = True, **kwargs: Any) -> Parameter:
        """A :class:`chainrule.meta.MetaParameter` for a meta tensor (and for none inside
        ``with chainrule.device("meta")``), as PyTorch's Parameter of one is on the meta device.

            >>> import chainrule as cr
            >>> cr.nn.Parameter(cr.zeros(2, device="meta")).is_meta
            True
        """
        # (``kwargs``: a subclass's, UninitializedParameter's ``device`` and ``dtype``)
        if data is None and cls is Parameter and _device.on_meta(None):
            data = factories.empty(0)
        if isinstance(data, Tensor) and data.is_meta:
            from chainrule import meta  # (it imports this module)

            param = meta.meta(data, meta.MetaParameter, False)
            if requires_grad:
                param._created_requiring_grad()
            return param
        return super().__new__(cls)

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        self._wrap(xp.zeros(0, dtype="float32") if data is None else data, requires_grad)
        if isinstance(data, Tensor):
            # An alias of ``data``, as PyTorch's (its ``data.detach()``): one version counter,
            # so that an in-place change through either is seen by a backward that saved them
            self._vc = data._vc

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo: dict[int, Any]) -> Parameter:
        # The values and requires_grad only, as PyTorch's: a copied model has no .grad
        result = Parameter(self._data.copy(), self.requires_grad)
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (Parameter, (self._data, self.requires_grad))
