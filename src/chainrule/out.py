"""PyTorch's ``out=`` argument: a function's result written into a tensor the caller gives.

PyTorch's first tutorial writes ``torch.matmul(tensor, tensor.T, out=y3)``. As in PyTorch, the
result is computed, then copied into ``out`` (an in-place write: its version counter moves,
a view writes through to its base), and ``out`` itself is returned. The rules are PyTorch's:

* no autograd through ``out=``: with grad mode on, an input or ``out`` that requires grad is a
  RuntimeError naming the function;
* the result's dtype must cast to ``out``'s by PyTorch's ``canCast`` (int into float yes,
  int64 into uint8 too, float into int or bool no: :func:`chainrule.dtypes.can_cast`); where
  PyTorch's kernel is structured (products, index selections, reductions of several results)
  ``out`` must be of the result's dtype; a function with a ``dtype`` argument (``sum``,
  ``cumsum``) computes in ``out``'s;
* a function of several results (``sort``, ``max`` along a dim, ``linalg.qr``) takes a tuple of
  tensors, one for each result, and returns them as its named tuple;
* ``out`` may be an input itself (``cr.mul(a, a, out=a)``), but not share only part of an
  input's memory, nor lie over it another way (a transpose); ``cat``, ``gather``,
  ``index_select`` and the other copying functions refuse any sharing (PyTorch's
  ``assert_no_overlap``);
* an ``out`` of another shape is resized to the result's, with PyTorch's deprecation warning
  when it held elements. A view is not resized: PyTorch grows it inside its base's memory
  when that has room (writing elements past the view's end), which chainrule's views cannot
  mirror, so that is a RuntimeError rather than different numbers.

    >>> import chainrule as cr
    >>> y = cr.empty(2)
    >>> cr.mul(cr.tensor([1.0, 2.0]), 3, out=y) is y, y
    (True, tensor([3., 6.]))
    >>> values, indices = cr.empty(0), cr.empty(0, dtype=cr.int64)
    >>> cr.sort(cr.tensor([2.0, 1.0]), out=(values, indices)).indices is indices
    True
"""

from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from chainrule import arguments, dtypes, grad_mode
from chainrule._array import xp
from chainrule.autodiff import batching, open_transforms
from chainrule.tensor import Tensor

F = TypeVar("F", bound=Callable[..., Any])


def accepts_out(
    function: F,
    *,
    exact: bool | None = None,
    dtype_from_out: bool | str = False,
    distinct: bool = False,
) -> F:
    """``function`` with PyTorch's keyword ``out=`` added (see the module's docstring).

    ``exact``: whether ``out``'s dtype must be the result's, as PyTorch's structured kernels
    ask (products, index selections, ``softmax``), or the result is cast into it (by
    :func:`chainrule.dtypes.can_cast`); left None, a function of one result casts and one of
    several (``sort``, ``max`` along a dim: ``out`` a tuple of tensors) asks.
    ``dtype_from_out``: a function with a ``dtype`` argument (``sum``, ``cumsum``) computes in
    ``out``'s dtype, as PyTorch's do; ``"floating"`` (``mean``) only from a floating input into
    a floating ``out``. A ``dtype`` given as well must then be ``out``'s.
    ``distinct``: ``out`` may not be an input, nor share any memory with one (``cat``,
    ``index_select``, ``gather``: PyTorch's ``assert_no_overlap``); other functions refuse only
    an input that shares part of ``out``'s memory, or lies in it another way.

    >>> @accepts_out
    ... def twice(input):
    ...     return input * 2
    >>> import chainrule as cr
    >>> y = cr.zeros(2)
    >>> twice(cr.ones(2), out=y) is y
    True
    """
    name = function.__name__

    @functools.wraps(function)
    def with_out(*args: Any, out: Any = None, **kwargs: Any) -> Any:
        if out is None:
            return function(*args, **kwargs)
        asks = exact
        if dtype_from_out and isinstance(out, Tensor):
            if kwargs.get("dtype") is not None:
                asks = True
            elif dtype_from_out != "floating" or (
                out.is_floating_point() and _is_floating(args[0] if args else kwargs.get("input"))
            ):
                kwargs["dtype"] = out.dtype
        compute = functools.partial(function, *args, **kwargs)
        return write_out(name, out, compute, args, exact=asks, keywords=kwargs, distinct=distinct)

    with_out.__signature__ = _with_out_keyword(function)  # type: ignore[attr-defined]
    return with_out  # type: ignore[return-value]


def _is_floating(value: Any) -> bool:
    return isinstance(value, Tensor) and value.is_floating_point()


def give_out(namespace: dict[str, Any], names: str, **rule: Any) -> None:
    """Give each function named in ``names`` (separated by spaces) in ``namespace`` (a module's
    globals) PyTorch's ``out=``, by ``rule``: :func:`accepts_out`'s keywords. Each is named
    where it now lives, so that pickle finds it there."""
    for name in names.split():
        function = accepts_out(namespace[name], **rule)
        function.__module__, function.__qualname__ = namespace["__name__"], name
        namespace[name] = function


def _with_out_keyword(function: Callable[..., Any]) -> inspect.Signature | None:
    """``function``'s signature with a keyword-only ``out=None`` (what ``help`` shows), or None
    where it has none to read (a builtin), and ``inspect`` then follows ``__wrapped__``."""
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return None
    parameters = list(signature.parameters.values())
    if any(p.name == "out" for p in parameters):
        return signature
    out = inspect.Parameter("out", inspect.Parameter.KEYWORD_ONLY, default=None)
    at = next(
        (i for i, p in enumerate(parameters) if p.kind is inspect.Parameter.VAR_KEYWORD),
        len(parameters),
    )
    return signature.replace(parameters=[*parameters[:at], out, *parameters[at:]])


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


def write_out(
    name: str,
    out: Any,
    compute: Callable[[], Any],
    inputs: Iterable[Any],
    *,
    exact: bool | None = None,
    keywords: dict[str, Any] | None = None,
    distinct: bool = False,
) -> Any:
    """``compute()``'s result written into ``out`` by PyTorch's rules; returns ``out``. A
    function of several results takes a tuple of tensors, one for each, and returns them as
    its named tuple. ``exact`` and ``distinct``: as :func:`accepts_out`'s; ``keywords``: the
    call's other keyword arguments, which an error names as PyTorch's does."""
    several = isinstance(out, tuple | list) and all(isinstance(t, Tensor) for t in out)
    if not several and not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    outs = list(out) if several else [out]
    if open_transforms.here.vmap and _any_batched([*outs, *inputs]):
        base = name.removeprefix("aten::")
        raise RuntimeError(
            f"Batching rule not implemented for aten::{base}.out; the fallback path doesn't "
            "work on out= or view ops."
        )
    if grad_mode.is_grad_enabled() and (
        any(t.requires_grad for t in outs) or _any_requires_grad(inputs)
    ):
        raise RuntimeError(
            f"{name}(): functions with out=... arguments don't support automatic "
            "differentiation, but one of the arguments requires grad."
        )
    from chainrule.ops.inplace import check_overlap  # (here: at the top, an import cycle)

    flat = [t for value in inputs for t in (value if isinstance(value, list | tuple) else [value])]
    for target in outs:
        check_overlap(target, tuple(flat), distinct)
    result = compute()
    if isinstance(result, tuple) != several:  # out a tensor for several results, or not
        raise arguments.no_overload(name, tuple(inputs), {**(keywords or {}), "out": out})
    results = list(result) if several else [result]
    if len(outs) != len(results):
        raise TypeError(f"expected tuple of {len(results)} elements but got {len(outs)}")
    for target, value in zip(outs, results, strict=True):
        _check_dtype(
            value._data.dtype, target._data.dtype, exact=several if exact is None else exact
        )
    for target, value in zip(outs, results, strict=True):
        if target._data.shape != value._data.shape:
            _resize(target, value._data.shape)
        with grad_mode.no_grad():
            target.copy_(value)
    if not several:
        return out
    return type(result)(*outs) if hasattr(result, "_fields") else tuple(outs)


def _check_dtype(source: Any, target: Any, *, exact: bool) -> None:
    """PyTorch's check of a result's dtype against its ``out`` tensor's."""
    if exact and source != target:
        raise RuntimeError(
            f"Expected out tensor to have dtype {dtypes.C_TYPE_NAMES[source.name]}, but got "
            f"{dtypes.C_TYPE_NAMES[target.name]} instead"
        )
    if not dtypes.can_cast(source, target):
        raise RuntimeError(
            f"result type {dtypes.scalar_type_name(source)} can't be cast to the desired output "
            f"type {dtypes.scalar_type_name(target)}"
        )


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
