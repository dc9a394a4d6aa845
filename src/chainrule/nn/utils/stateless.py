"""``torch.nn.utils.stateless``: :func:`functional_call`, the older name of
:func:`chainrule.func.functional_call` (deprecated; it warns, as PyTorch's does).

    >>> import warnings, chainrule as cr
    >>> lin = cr.nn.Linear(2, 1)
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     functional_call(lin, {"weight": cr.ones(1, 2), "bias": cr.zeros(1)}, cr.ones(2))
    tensor([2.])
"""

from __future__ import annotations

import warnings
from typing import Any

from chainrule import func
from chainrule.nn.module import Module
from chainrule.tensor import Tensor

__all__ = ["functional_call"]


def functional_call(
    module: Module,
    parameters_and_buffers: dict[str, Tensor],
    args: Any = None,
    kwargs: dict[str, Any] | None = None,
    *,
    tie_weights: bool = True,
    strict: bool = False,
) -> Any:
    """``module(*args, **kwargs)`` with its parameters and buffers replaced by the given
    tensors: :func:`chainrule.func.functional_call`."""
    warnings.warn(
        "`chainrule.nn.utils.stateless.functional_call` is deprecated as of PyTorch 2.0 and "
        "will be removed in a future version of PyTorch. Please use "
        "`chainrule.func.functional_call` instead which is a drop-in replacement.",
        FutureWarning,
        stacklevel=2,
    )
    if not hasattr(parameters_and_buffers, "keys"):
        # One mapping, as PyTorch's (func.functional_call takes a tuple of them too)
        raise AttributeError(
            f"'{type(parameters_and_buffers).__name__}' object has no attribute 'keys'"
        )
    return func.functional_call(
        module, parameters_and_buffers, args, kwargs, tie_weights=tie_weights, strict=strict
    )
