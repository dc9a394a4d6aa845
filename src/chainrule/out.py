"""PyTorch's ``out=`` argument: a function's result written into a tensor the caller gives.

PyTorch's first tutorial writes ``torch.matmul(tensor, tensor.T, out=y3)``. As in PyTorch, the
result is computed, then copied into ``out`` (an in-place write: its version counter moves,
a view writes through to its base), and ``out`` itself is returned. The rules are PyTorch's:

* no autograd through ``out=``: with grad mode on, an input or ``out`` that requires grad is a
  RuntimeError naming the function;
* the result's dtype must cast to ``out``'s by PyTorch's ``canCast`` (int into float yes,
  int64 into uint8 too, float into int or bool no: :func:`chainrule.dtypes.can_cast`);
* an ``out`` of another shape is resized to the result's, with PyTorch's deprecation warning
  when it held elements. A view is not resized: PyTorch grows it inside its base's memory
  when that has room (writing elements past the view's end), which chainrule's views cannot
  mirror, so that is a RuntimeError rather than different numbers.

    >>> import chainrule as cr
    >>> y = cr.empty(2)
    >>> cr.mul(cr.tensor([1.0, 2.0]), 3, out=y) is y, y
    (True, tensor([3., 6.]))
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from chainrule import dtypes, grad_mode
from chainrule._array import xp
from chainrule.autodiff import batching
from chainrule.tensor import Tensor

F = TypeVar("F", bound=Callable[..., Any])


def accepts_out(function: F) -> F:
    """``function`` with PyTorch's keyword ``out=`` added (see the module's docstring).

    >>> @accepts_out
    ... def twice(input):
    ...     return input * 2
    >>> import chainrule as cr
    >>> y = cr.zeros(2)
    >>> twice(cr.ones(2), out=y) is y
    True
    """

    @functools.wraps(function)
    def with_out(*args: Any, out: Tensor | None = None, **kwargs: Any) -> Any:
        if out is None:
            return function(*args, **kwargs)
        return write_out(function.__name__, out, lambda: function(*args, **kwargs), args)

    return with_out  # type: ignore[return-value]


def factory_out(factory: F) -> F:
    """A factory (``zeros``, ``arange``, ...) with PyTorch's ``out=``: the values are made in
    ``out``'s dtype (a ``dtype`` given as well must be the same), then written into it.

    >>> import chainrule as cr
    >>> cr.arange(3, out=cr.empty(0, dtype=cr.int64))
    tensor([0, 1, 2])
    """

    @functools.wraps(factory)
    def with_out(*args: Any, out: Tensor | None = None, **kwargs: Any) -> Any:
        if out is None:
            return factory(*args, **kwargs)
        if not isinstance(out, Tensor):
            raise TypeError(
                f"{factory.__name__}(): argument 'out' must be Tensor, not {type(out).__name__}"
            )
        asked = kwargs.get("dtype")
        if asked is not None and dtypes.as_dtype(asked) != out._data.dtype:
            raise RuntimeError(
                f"dtype {dtypes.scalar_type_name(dtypes.as_dtype(asked))} does not match dtype "
                f"of out parameter ({dtypes.scalar_type_name(out._data.dtype)})"
            )
        kwargs["dtype"] = out.dtype
        # PyTorch names the factory by its ATen operator in the refusal of autograd
        return write_out(f"aten::{factory.__name__}", out, lambda: factory(*args, **kwargs), ())

    return with_out  # type: ignore[return-value]


def write_out(name: str, out: Any, compute: Callable[[], Any], inputs: Iterable[Any]) -> Tensor:
    """``compute()``'s result written into ``out`` by PyTorch's rules; returns ``out``."""
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if batching.levels and _any_batched([out, *inputs]):
        base = name.removeprefix("aten::")
        raise RuntimeError(
            f"Batching rule not implemented for aten::{base}.out; the fallback path doesn't "
            "work on out= or view ops."
        )
    if grad_mode.is_grad_enabled() and (out.requires_grad or _any_requires_grad(inputs)):
        raise RuntimeError(
            f"{name}(): functions with out=... arguments don't support automatic "
            "differentiation, but one of the arguments requires grad."
        )
    result = compute()
    source, target = result._data.dtype, out._data.dtype
    if not dtypes.can_cast(source, target):
        raise RuntimeError(
            f"result type {dtypes.scalar_type_name(source)} can't be cast to the desired output "
            f"type {dtypes.scalar_type_name(target)}"
        )
    if out._data.shape != result._data.shape:
        _resize(out, result._data.shape)
    with grad_mode.no_grad():
        out.copy_(result)
    return out


def _any_batched(values: Iterable[Any]) -> bool:
    """Whether a value (or a tensor in a list of them) is batched by vmap, whose batching
    rules do not write into out=, as PyTorch's do not."""
    for value in values:
        if type(value) is batching.BatchedTensor:
            return True
        if isinstance(value, list | tuple) and _any_batched(value):
            return True
    return False


def _any_requires_grad(inputs: Iterable[Any]) -> bool:
    for value in inputs:
        if isinstance(value, Tensor):
            if value.requires_grad:
                return True
        elif isinstance(value, list | tuple) and _any_requires_grad(value):  # cat's tensors
            return True
    return False


def _resize(out: Tensor, shape: tuple[int, ...]) -> None:
    """Give ``out`` fresh memory of ``shape``, as PyTorch's resize of an out argument does."""
    if out._view is not None:
        raise RuntimeError(
            f"out=: cannot resize a view of shape {list(out._data.shape)} to the result's "
            f"shape {list(shape)}; give an out tensor of the result's shape, or one that is "
            "not a view"
        )
    if out._data.size:
        warnings.warn(
            f"An output with one or more elements was resized since it had shape "
            f"{list(out._data.shape)}, which does not match the required output shape "
            f"{list(shape)}. This behavior is deprecated, and in a future PyTorch release "
            "outputs will not be resized unless they have zero elements. You can explicitly "
            "reuse an out tensor t by resizing it, inplace, to zero elements with t.resize_(0).",
            UserWarning,
            stacklevel=4,
        )
    out._data = xp.empty(shape, dtype=out._data.dtype)
