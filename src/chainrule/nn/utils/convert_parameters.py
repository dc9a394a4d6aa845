"""Parameters as one flat vector and back, as ``torch.nn.utils.convert_parameters``.

>>> import chainrule as cr
>>> ws = [cr.nn.Parameter(cr.zeros(2)), cr.nn.Parameter(cr.zeros(1, 2))]
>>> vector_to_parameters(cr.arange(4.0), ws)
>>> parameters_to_vector(ws)
tensor([0., 1., 2., 3.], grad_fn=<CatBackward0>)
"""

from __future__ import annotations

from collections.abc import Iterable

from chainrule.tensor import Tensor


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened and concatenated into one (differentiable) vector. Each is
    flattened by ``view``, as PyTorch's: a non-contiguous one is refused, not copied."""
    from chainrule.ops.shape import cat

    return cat([p.view(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Make the parameters consecutive pieces of ``vec``: as PyTorch's ``param.data = ...``,
    each shares ``vec``'s memory from then on (the inverse of :func:`parameters_to_vector`),
    and keeps its own version counter, unchanged (``data`` is no in-place change)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected chainrule.Tensor, but got: {_typename(vec)}")
    offset = 0
    for p in parameters:
        n = p.numel()
        # a view, as PyTorch's: a piece of the wrong size is its RuntimeError
        p.data = vec[offset : offset + n].view_as(p).data
        offset += n


def _typename(value: object) -> str:
    """PyTorch's ``torch.typename``: the qualified name of an object's class."""
    cls = type(value)
    if cls.__module__ == "builtins":
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"
