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

import math
from collections.abc import Callable
from typing import Any

from chainrule import func as cf
from chainrule.autograd import strict as strict_checks
from chainrule.tensor import Tensor

Inputs = Tensor | tuple[Tensor, ...]


def _as_tuple(x: Any, name: str, api: str) -> tuple[tuple[Tensor, ...], bool]:
    """``x`` as a tuple of Tensors, and whether it was one (a list is not: PyTorch's check)."""
    is_tuple = isinstance(x, tuple)
    items = x if is_tuple else (x,)
    for i, t in enumerate(items):
        if not isinstance(t, Tensor):
            which = f"value at index {i}" if is_tuple else f"given {name}"
            raise TypeError(
                f"The {name} given to {api} must be either a Tensor or a tuple of Tensors but "
                f"the {which} has type {type(t)}."
            )
    return items, is_tuple


def _inputs(inputs: Any, api: str) -> tuple[tuple[Tensor, ...], bool]:
    """:func:`_as_tuple` of an API's inputs, refused inside a transform's ``f`` as PyTorch
    refuses them: it makes them require grad, which no transform allows there."""
    checked = _as_tuple(inputs, "inputs", api)
    cf.refuse_requires_grad_()
    return checked


def _checked(func: Callable[..., Any], api: str) -> Callable[..., Any]:
    """``func`` whose outputs are refused as PyTorch refuses them: a Tensor or a tuple of
    Tensors only."""

    def checked(*args: Any) -> Any:
        out = func(*args)
        _as_tuple(out, "outputs of the user-provided function", api)
        return out

    return checked


def _differentiable(ins: tuple[Tensor, ...], create_graph: bool) -> tuple[Tensor, ...]:
    """With ``create_graph``, an input that requires no grad is taken as a new leaf that does,
    as PyTorch's ``_grad_preprocess``: the results then require grad too."""
    if not create_graph:
        return ins
    return tuple(x if x.requires_grad else x.detach().requires_grad_() for x in ins)


def _in_dtypes_of(vs: tuple[Any, ...], ins: tuple[Tensor, ...]) -> tuple[Any, ...]:
    """``vs`` cast to the dtypes of ``ins``: PyTorch computes jvp, hvp and vhp by reverse
    mode, whose engine casts each gradient to its input's dtype (where forward mode keeps a
    tangent's own)."""
    cast = [
        v.to(x.dtype) if isinstance(v, Tensor) and v.dtype != x.dtype else v
        for v, x in zip(vs, ins, strict=False)
    ]
    return (*cast, *vs[len(cast) :])


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
    ins, is_tuple = _inputs(inputs, "vjp")
    if strict:
        strict_checks.vjp_check(func, ins, create_graph)
    out, pullback = cf.vjp(_checked(func, "vjp"), *_differentiable(ins, create_graph))
    if v is None:
        v = _ones_for(out, "v")
    elif isinstance(out, tuple) != isinstance(v, tuple):  # PyTorch takes both as tuples
        v = (v,) if isinstance(out, tuple) else v[0]
    grads = pullback(v)
    return _finish(out, create_graph), _finish(grads if is_tuple else grads[0], create_graph)


def jvp(
    func: Callable[..., Any],
    inputs: Inputs,
    v: Any = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Any, Any]:
    """``(func(inputs), J v)``, by forward mode."""
    ins, _ = _inputs(inputs, "jvp")
    if strict:
        strict_checks.jvp_check(func, ins, create_graph)
    if v is None:
        if len(ins) != 1 or ins[0].numel() != 1:
            raise RuntimeError(
                "The vector v can only be None if the input to the user-provided function is "
                "a single Tensor with a single element."
            )
        v = _ones_for(ins[0], "v")
    vs = _in_dtypes_of(_as_tuple(v, "v", "jvp")[0], ins)
    primals = _differentiable(ins, create_graph)
    # PyTorch computes it by reverse mode: inside a dual_level() block too, where jvp is refused
    out, pushed = cf._jvp(_checked(func, "jvp"), primals, vs, False, None, beside_dual_api=True)
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

    Computed as one batched pass. Without ``vectorize`` PyTorch takes each output element's
    row by a backward of its own, so no row's nan reaches another: the rows with a nan are
    taken again that way (see :func:`_rows_apart`).
    """
    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError(  # PyTorch's type for this misuse
            'Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
            'function has more outputs than inputs, "forward-mode" tends to be more performant. '
            'Otherwise, prefer to use "reverse-mode".'
        )
    _refuse_forward_mode(strategy, create_graph, vectorize=True)
    ins, is_tuple = _inputs(inputs, "jacobian")
    if strict:
        strict_checks.jacobian_check(func, ins, create_graph, vectorize, strategy)
    _refuse_forward_mode(strategy, False, vectorize)
    argnums = tuple(range(len(ins))) if is_tuple else 0
    transform = cf.jacfwd if strategy == "forward-mode" else cf.jacrev
    func = _checked(func, "jacobian")
    ins = _differentiable(ins, create_graph)
    jac = transform(func, argnums)(*ins)
    if not vectorize:
        jac = _rows_apart(func, ins, is_tuple, jac)
    return _finish(jac, create_graph)


def hessian(
    func: Callable[..., Any],
    inputs: Inputs,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    outer_jacobian_strategy: str = "reverse-mode",
) -> Any:
    """The Hessian of the scalar ``func``: a Tensor, or a tuple of tuples for tuple inputs."""
    ins, is_tuple = _inputs(inputs, "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')
    _refuse_forward_mode(outer_jacobian_strategy, create_graph, vectorize=True)
    if strict:
        strict_checks.jacobian_check(
            func, ins, create_graph, vectorize, outer_jacobian_strategy, hessian=True
        )
    _refuse_forward_mode(outer_jacobian_strategy, False, vectorize)
    argnums = tuple(range(len(ins))) if is_tuple else 0
    outer = cf.jacfwd if outer_jacobian_strategy == "forward-mode" else cf.jacrev
    ins = _differentiable(ins, create_graph)
    inner = cf.jacrev(_single_element(func), argnums)
    hess = outer(inner, argnums)(*ins)
    if not vectorize:  # (reverse mode: forward mode is refused without it)
        hess = _rows_apart(inner, ins, is_tuple, hess)
    return _finish(hess, create_graph)


def _rows_apart(func: Callable[..., Any], ins: tuple[Tensor, ...], is_tuple: bool, jac: Any) -> Any:
    """``jac``, reverse mode's batched Jacobian of ``func`` at ``ins``, with each row that holds
    a nan taken again by a backward of that output element alone, as PyTorch's ``jacobian``
    without ``vectorize`` takes every row. In one batched backward the rows share each op's
    rule: where one row's local derivative is nan (the variance of one element), another
    row's zero cotangent times it is nan too (``jacobian(lambda x: (x.var(), x), x)``'s second
    part was nan where PyTorch's is 1). A nan of the row's own stays."""
    from chainrule.factories import zeros_like
    from chainrule.ops.shape import stack

    outs_are_tuple = isinstance(jac, tuple) and (not is_tuple or isinstance(jac[0], tuple))
    grid = [list(j) if is_tuple else [j] for j in (jac if outs_are_tuple else (jac,))]
    for k, row in enumerate(grid):
        count = math.prod(row[0].shape[: row[0].ndim - ins[0].ndim])  # the output's elements
        if not count:
            continue
        hit = sum(J.detach().isnan().reshape(count, -1).any(1).numpy() for J in row)
        if not hit.any():
            continue
        # this output's backward alone (another's nan stays out of it), as PyTorch's grad of it
        out, pullback = cf.vjp(lambda *a, k=k: func(*a)[k] if outs_are_tuple else func(*a), *ins)
        rows = [list(J.reshape(count, -1).unbind(0)) for J in row]
        for e in hit.nonzero()[0]:
            cotangent = zeros_like(out)
            cotangent.view(-1)[e] = 1.0
            for i, g in enumerate(pullback(cotangent)):
                rows[i][e] = g.reshape(-1).to(row[i].dtype)
        grid[k] = [stack(r).reshape(J.shape) for r, J in zip(rows, row, strict=True)]
    rebuilt = [tuple(row) if is_tuple else row[0] for row in grid]
    return tuple(rebuilt) if outs_are_tuple else rebuilt[0]


def _refuse_forward_mode(strategy: str, create_graph: bool, vectorize: bool) -> None:
    """PyTorch's forward-mode Jacobian keeps no graph and runs only vectorized."""
    if strategy != "forward-mode":
        return
    if create_graph:
        raise NotImplementedError(
            "torch.autograd.functional.jacobian: `create_graph=True` and "
            '`strategy="forward-mode"` are not supported together (yet). Please either set '
            '`create_graph=False` or `strategy="reverse-mode"`.'
        )
    if not vectorize:
        raise NotImplementedError(  # sic: PyTorch's message lacks the space
            "Computing Jacobian using forward-AD or forward-over-reverse Hessian is"
            "only implemented for `vectorize=True`."
        )


def _single_element(func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` for ``hessian``: one Tensor of one element, squeezed to a scalar (PyTorch's
    ``ensure_single_output_function``: a (1, 1) output gives an (n, n) Hessian)."""

    def single(*args: Any) -> Tensor:
        out = func(*args)
        _, is_tuple = _as_tuple(out, "outputs of the user-provided function", "hessian")
        if is_tuple:
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if out.numel() != 1:
            raise RuntimeError(
                "The Tensor returned by the function given to hessian should contain a single "
                "element"
            )
        return out.squeeze()

    return single


def _second_order(
    func: Callable[..., Any], inputs: Inputs, v: Any, create_graph: bool, strict: bool, api: str
) -> tuple[Any, Any]:
    ins, is_tuple = _inputs(inputs, api)
    if strict:
        strict_checks.second_order_check(func, ins, create_graph, api)
    vs = _in_dtypes_of(_as_tuple(v, "v", api)[0], ins)
    ins = _differentiable(ins, create_graph)
    argnums = tuple(range(len(ins)))
    out = func(*ins)
    if not isinstance(out, Tensor) or out.numel() != 1:
        raise RuntimeError(
            f"The function given to {api} should return a single Tensor with a single element"
        )
    # PyTorch computes it by reverse mode: inside a dual_level() block too, where jvp is refused
    _, product = cf._jvp(cf.grad(func, argnums), ins, vs, False, None, beside_dual_api=True)
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
