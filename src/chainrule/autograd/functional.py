"""``cr.autograd.functional``: PyTorch's older functional API, on top of :mod:`chainrule.func`.

``inputs`` is a Tensor or a tuple of Tensors, and results follow it: a Tensor for a Tensor, a
tuple for a tuple. With ``create_graph=False`` (the default) results are detached.

    >>> import chainrule as cr
    >>> jacobian(lambda x: x ** 2, cr.tensor([1.0, 2.0]))
    tensor([[2., 0.],
            [0., 4.]])
    >>> hvp(lambda x: (x ** 3).sum(), cr.tensor([1.0, 2.0]), cr.tensor([1.0, 1.0]))[1]
    tensor([ 6., 12.])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chainrule import func as cf
from chainrule.autograd import strict as strict_checks
from chainrule.tensor import Tensor

Inputs = Tensor | tuple[Tensor, ...]


def _as_tuple(x: Any, name: str, api: str) -> tuple[tuple[Tensor, ...], bool]:
    is_tuple = isinstance(x, tuple | list)
    items = tuple(x) if is_tuple else (x,)
    for i, t in enumerate(items):
        if not isinstance(t, Tensor):
            raise TypeError(
                f"The {name} given to {api} must be either a Tensor or a tuple of Tensors but "
                f"the value at index {i} has type {type(t).__name__}."
            )
    return items, is_tuple


def _finish(value: Any, create_graph: bool) -> Any:
    """Detached unless the caller asked for a graph."""
    if isinstance(value, tuple):
        return tuple(_finish(v, create_graph) for v in value)
    return value if create_graph else value.detach()


def _ones_for(out: Any, name: str) -> Tensor:
    if not isinstance(out, Tensor) or out.numel() != 1:
        raise RuntimeError(
            f"The vector {name} can only be None if the user-provided function returns a "
            "single Tensor with a single element."
        )
    from chainrule.factories import ones_like

    return ones_like(out)


def vjp(
    func: Callable[..., Any],
    inputs: Inputs,
    v: Any = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Any, Any]:
    """``(func(inputs), v^T J)``."""
    ins, is_tuple = _as_tuple(inputs, "inputs", "vjp")
    if strict:
        strict_checks.vjp_check(func, ins, create_graph)
    out, pullback = cf.vjp(func, *ins)
    grads = pullback(_ones_for(out, "v") if v is None else v)
    return _finish(out, create_graph), _finish(grads if is_tuple else grads[0], create_graph)


def jvp(
    func: Callable[..., Any],
    inputs: Inputs,
    v: Any = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Any, Any]:
    """``(func(inputs), J v)``, by forward mode."""
    ins, _ = _as_tuple(inputs, "inputs", "jvp")
    if strict:
        strict_checks.jvp_check(func, ins, create_graph)
    if v is None:
        if len(ins) != 1 or ins[0].numel() != 1:
            raise RuntimeError(
                "The vector v can only be None if the input to the user-provided function is "
                "a single Tensor with a single element."
            )
        v = _ones_for(ins[0], "v")
    vs, _ = _as_tuple(v, "v", "jvp")
    out, pushed = cf.jvp(func, ins, vs)
    return _finish(out, create_graph), _finish(pushed, create_graph)


def jacobian(
    func: Callable[..., Any],
    inputs: Inputs,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    strategy: str = "reverse-mode",
) -> Any:
    """The Jacobian, nested as outputs x inputs (a Tensor when both are single Tensors).

    Always computed as one batched pass (``vectorize`` is accepted for PyTorch's signature).
    """
    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError(  # PyTorch's type for this misuse
            'Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
            'function has more outputs than inputs, "forward-mode" tends to be more performant. '
            'Otherwise, prefer to use "reverse-mode".'
        )
    ins, is_tuple = _as_tuple(inputs, "inputs", "jacobian")
    if strict:
        strict_checks.jacobian_check(func, ins, create_graph, vectorize, strategy)
    argnums = tuple(range(len(ins))) if is_tuple else 0
    transform = cf.jacfwd if strategy == "forward-mode" else cf.jacrev
    return _finish(transform(func, argnums)(*ins), create_graph)


def hessian(
    func: Callable[..., Any],
    inputs: Inputs,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    outer_jacobian_strategy: str = "reverse-mode",
) -> Any:
    """The Hessian of the scalar ``func``: a Tensor, or a tuple of tuples for tuple inputs."""
    ins, is_tuple = _as_tuple(inputs, "inputs", "hessian")
    if strict:
        strict_checks.jacobian_check(
            func, ins, create_graph, vectorize, outer_jacobian_strategy, hessian=True
        )
    argnums = tuple(range(len(ins))) if is_tuple else 0
    outer = cf.jacfwd if outer_jacobian_strategy == "forward-mode" else cf.jacrev
    return _finish(outer(cf.jacrev(func, argnums), argnums)(*ins), create_graph)


def _second_order(
    func: Callable[..., Any], inputs: Inputs, v: Any, create_graph: bool, strict: bool, api: str
) -> tuple[Any, Any]:
    ins, is_tuple = _as_tuple(inputs, "inputs", api)
    if strict:
        strict_checks.second_order_check(func, ins, create_graph, api)
    vs, _ = _as_tuple(v, "v", api)
    argnums = tuple(range(len(ins)))
    out = func(*ins)
    if not isinstance(out, Tensor) or out.numel() != 1:
        raise RuntimeError(
            f"The function given to {api} should return a single Tensor with a single element"
        )
    _, product = cf.jvp(cf.grad(func, argnums), ins, vs)
    return _finish(out, create_graph), _finish(product if is_tuple else product[0], create_graph)


def vhp(
    func: Callable[..., Any],
    inputs: Inputs,
    v: Any = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Any, Any]:
    """``(func(inputs), v^T H)`` for a scalar ``func``."""
    return _second_order(func, inputs, v, create_graph, strict, "vhp")


def hvp(
    func: Callable[..., Any],
    inputs: Inputs,
    v: Any = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Any, Any]:
    """``(func(inputs), H v)`` for a scalar ``func`` (H is symmetric: the same as ``vhp``)."""
    return _second_order(func, inputs, v, create_graph, strict, "hvp")
