"""``strict=True`` of :mod:`chainrule.autograd.functional`: PyTorch's errors for a result that
does not depend on an input.

A non-strict call returns zeros where an output does not depend on an input; a strict one
raises instead, as ``torch.autograd.functional`` does. Dependence is structural, as in
PyTorch: whether the recorded graph connects the two (``x * 0`` still depends on ``x``). Each
check runs ``func`` once more, with reverse mode, and asks the engine which gradients are
missing (``None``) or constant, in the order and with the messages of PyTorch's
implementation; the numbers themselves come from the transforms, as without ``strict``.

    >>> import chainrule as cr
    >>> vjp_check(lambda x, y: x * 2, (cr.ones(2), cr.ones(2)), False)
    Traceback (most recent call last):
    ...
    RuntimeError: The output of the user-provided function is independent of input 1. This is \
not allowed in strict mode.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from chainrule import grad_mode
from chainrule.autodiff.backward import grad
from chainrule.factories import ones_like, zeros_like
from chainrule.tensor import Tensor

Grads = tuple[Tensor | None, ...]


def _leaves(ins: Sequence[Tensor]) -> tuple[Tensor, ...]:
    """Fresh leaves of the inputs' values: the graph of one checking run starts at them."""
    return tuple(x.detach().requires_grad_(True) for x in ins)


def _outputs(func: Callable[..., Any], xs: tuple[Tensor, ...]) -> tuple[Any, ...]:
    with grad_mode.enable_grad():
        out = func(*xs)
    outs = tuple(out) if isinstance(out, tuple | list) else (out,)
    _require_grad(outs, "outputs")
    return outs


def _grad(outs: Sequence[Any], xs: Sequence[Tensor], seeds: Any, create_graph: bool) -> Grads:
    """PyTorch's ``_autograd_grad``: outputs that record nothing are left out; None where an
    input is not reached."""
    pairs = [(y, s) for y, s in zip(outs, seeds, strict=True) if y is not None and y.requires_grad]
    if not pairs:
        return (None,) * len(xs)
    with grad_mode.enable_grad():
        return grad(
            [y for y, _ in pairs],
            list(xs),
            [s for _, s in pairs],
            retain_graph=True,
            create_graph=create_graph,
            allow_unused=True,
        )


def _ones(outs: Sequence[Any]) -> list[Any]:
    return [None if y is None else ones_like(y) for y in outs]


def _require_grad(values: Sequence[Any], kind: str) -> None:
    """PyTorch's ``_check_requires_grad``."""
    for i, value in enumerate(values):
        if value is None:
            raise RuntimeError(
                f"The output of the user-provided function is independent of input {i}. This "
                "is not allowed in strict mode."
            )
        if value.requires_grad:
            continue
        if kind == "jacobian":
            raise RuntimeError(
                "While computing the hessian, found that the jacobian of the user-provided "
                f"function with respect to input {i} is independent of the input. This is not "
                "allowed in strict mode. You should ensure that your function is twice "
                "differentiable and that the jacobian depends on the inputs (this would be "
                "violated by a linear function for example)."
            )
        if kind == "grad_inputs":
            raise RuntimeError(
                f"The gradient with respect to input {i} is independent of the inputs of the "
                "user-provided function. This is not allowed in strict mode."
            )
        raise RuntimeError(
            f"Output {i} of the user-provided function does not require gradients. The "
            "outputs must be computed in a differentiable manner from the input when running "
            "in strict mode."
        )


_MISSING = {
    "back": "The output of the user-provided function is independent of input {i}. This is "
    "not allowed in strict mode.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the "
    "grad_outputs when using the double backward trick to compute forward mode gradients. "
    "This is not allowed in strict mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. "
    "This is not allowed in strict mode.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry "
    "{i} in the grad_jacobian. This is not allowed in strict mode as it prevents from using "
    "the double backward trick to replace forward mode AD.",
}


def _filled(grads: Grads, create_graph: bool, stage: str) -> None:
    """PyTorch's ``_fill_in_zeros`` in strict mode: a missing gradient, or (with
    ``create_graph``) a constant one, is an error."""
    for i, g in enumerate(grads):
        if g is None:
            raise RuntimeError(_MISSING[stage].format(i=i))
        if create_graph and not g.requires_grad:
            what = "hessian" if "double" in stage else "jacobian"
            raise RuntimeError(
                f"The {what} of the user-provided function is independent of input {i}. This "
                "is not allowed in strict mode when create_graph=True."
            )


def vjp_check(func: Callable[..., Any], ins: tuple[Tensor, ...], create_graph: bool) -> None:
    """``vjp(..., strict=True)``: every output records and depends on every input."""
    xs = _leaves(ins)
    outs = _outputs(func, xs)
    _filled(_grad(outs, xs, _ones(outs), create_graph), create_graph, "back")


def jvp_check(func: Callable[..., Any], ins: tuple[Tensor, ...], create_graph: bool) -> None:
    """``jvp(..., strict=True)``, checked along PyTorch's double-backward route."""
    xs = _leaves(ins)
    outs = _outputs(func, xs)
    seeds = [zeros_like(y).requires_grad_(True) for y in outs]
    grad_inputs = _grad(outs, xs, seeds, create_graph=True)
    _require_grad(grad_inputs, "grad_inputs")
    _filled(_grad(grad_inputs, seeds, _ones(grad_inputs), create_graph), create_graph, "back_trick")


def jacobian_check(
    func: Callable[..., Any],
    ins: tuple[Tensor, ...],
    create_graph: bool,
    vectorize: bool,
    strategy: str,
    hessian: bool = False,
) -> None:
    """``jacobian(..., strict=True)``: each output depends on each input; with ``hessian``,
    ``hessian(..., strict=True)``: the same for the gradient of the scalar ``func``."""
    _refuse_forward_mode(strategy)
    if not hessian:
        xs = _leaves(ins)
        _jacobian_rows(_outputs(func, xs), xs, create_graph, vectorize)
    elif (found := _gradient(func, ins)) is not None:
        xs, jac = found
        _jacobian_rows(jac, xs, create_graph, vectorize)


def _refuse_forward_mode(strategy: str) -> None:
    if strategy == "forward-mode":
        raise RuntimeError(
            "torch.autograd.functional.jacobian: `strict=True` and "
            '`strategy="forward-mode"` are not supported together (yet). Please either set '
            '`strict=False` or `strategy="reverse-mode"`.'
        )


def _single(outs: tuple[Any, ...]) -> bool:
    """Whether ``func`` gave one Tensor of one element (else the transform's own error)."""
    return len(outs) == 1 and isinstance(outs[0], Tensor) and outs[0].numel() == 1


def _jacobian_rows(
    outs: Sequence[Tensor], xs: Sequence[Tensor], create_graph: bool, vectorize: bool
) -> None:
    if vectorize:
        raise RuntimeError(
            "torch.autograd.functional.jacobian: `strict=True` and `vectorized=True` are not "
            "supported together. Please either set `strict=False` or `vectorize=False`."
        )
    for i, y in enumerate(outs):
        for k, g in enumerate(_grad([y], xs, _ones([y]), create_graph)):
            if g is None:
                raise RuntimeError(
                    f"Output {i} of the user-provided function is independent of input {k}. "
                    "This is not allowed in strict mode."
                )
            if create_graph and not g.requires_grad:  # PyTorch names the output here
                raise RuntimeError(
                    f"The jacobian of the user-provided function is independent of input {i}. "
                    "This is not allowed in strict mode when create_graph=True."
                )


def _gradient(
    func: Callable[..., Any], ins: tuple[Tensor, ...]
) -> tuple[tuple[Tensor, ...], Grads] | None:
    """Fresh leaves and the recorded gradient of ``func`` at them, which must depend on them;
    None where ``func`` gives no single-element Tensor (the transform raises its own error)."""
    xs = _leaves(ins)
    outs = _outputs(func, xs)
    if not _single(outs):
        return None
    jac = _grad(outs, xs, _ones(outs), create_graph=True)
    _require_grad(jac, "jacobian")
    return xs, jac


def second_order_check(
    func: Callable[..., Any], ins: tuple[Tensor, ...], create_graph: bool, api: str
) -> None:
    """``vhp``/``hvp(..., strict=True)``: the gradient depends on every input (``hvp`` checks
    it along PyTorch's double-backward route)."""
    found = _gradient(func, ins)
    if found is None:
        return
    xs, jac = found
    if api == "vhp":
        _filled(_grad(jac, xs, _ones(jac), create_graph), create_graph, "double_back")
        return
    seeds = [zeros_like(x).requires_grad_(True) for x in xs]
    double_back = _grad(jac, xs, seeds, create_graph=True)
    found = _grad(double_back, seeds, _ones(double_back), create_graph)
    _filled(found, create_graph, "double_back_trick")
