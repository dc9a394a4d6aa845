"""Dropout's mask, drawn as a step of the graph: no gradient flows through it, but the
readers of the graph (the explainer, the pictures, a trace) see it, and a compiled step draws
a fresh one at each call.

    >>> import chainrule as cr
    >>> from chainrule import graph
    >>> _ = cr.manual_seed(0)
    >>> x = cr.ones(4, requires_grad=True)
    >>> y = cr.nn.functional.dropout(x, 0.5)
    >>> [type(node).__name__ for node in graph.steps([y.grad_fn])]
    ['DropoutMask', 'Mul']
"""

from __future__ import annotations

from typing import Any

from chainrule import dtypes, rng
from chainrule._array import xp
from chainrule.autodiff import open_transforms
from chainrule.op import Constant
from chainrule.ops.inplace import cast_error
from chainrule.ops.shape import element_strides
from chainrule.tensor import Tensor


class DropoutMask(Constant):
    """``bernoulli(1 - p) / (1 - p)`` in the shape and dtype of ``x``: 1 / (1 - p) where an
    element is kept, 0 where it is dropped (or ``scale`` instead of 1 / (1 - p): alpha
    dropout's 0/1 mask). With ``feature``, one draw per sample and channel, in the shape
    (N, C, 1, ...). Only ``x``'s shape is read, never its values."""

    notation = "bernoulli(1 - p) / (1 - p) in the shape of x"
    derivatives = ("-",)
    # A compiled step runs this forward again at each call: a fresh mask every time.
    draws = True

    def __init__(self, p: float, scale: float | None = None, feature: bool = False) -> None:
        self.p = p
        self.scale = scale
        self.feature = feature

    def forward(self, x):
        # PyTorch draws the mask into empty_like(x), whose dimensions lie in memory in x's
        # order: a transposed x has its mask drawn in memory order. Feature noise is row-major.
        laid_out = not (self.feature or x.flags.c_contiguous)
        strides = element_strides(x) if laid_out else None
        return scaled_mask(mask_shape(x.shape, self.feature), self.p, x.dtype, self.scale, strides)


def mask_shape(shape: tuple[int, ...], feature: bool) -> tuple[int, ...]:
    """The shape of a mask over ``shape``: itself, or with ``feature`` PyTorch's feature
    noise, (N, C, 1, ...)."""
    return tuple(shape[:2]) + (1,) * (len(shape) - 2) if feature else tuple(shape)


def scaled_mask(
    shape: tuple[int, ...],
    p: float,
    dtype: Any,
    scale: float | None = None,
    strides: list[int] | None = None,
) -> Any:
    """PyTorch's mask: ``bernoulli_(1 - p)`` on a tensor of ``shape``, one float64 uniform
    per element (so a seed gives PyTorch's mask), scaled by 1 / (1 - p) (or ``scale``). With
    ``strides`` (a layout's, None: row-major) the uniforms go in that layout's memory order."""

    def keep(s: tuple[int, ...]) -> Any:
        return rng.uniform(s, xp.float64) < 1.0 - p

    kept = keep(tuple(shape)) if strides is None else rng.in_memory_order(keep, shape, strides)
    return kept * xp.asarray(1.0 / (1.0 - p) if scale is None else scale, dtype=dtype)


def dropout_mask(
    input: Tensor,  # noqa: A002
    p: float,
    scale: float | None = None,
    feature: bool = False,
) -> Any:
    """The mask ``dropout(input, p)`` multiplies by (``scale`` and ``feature`` as
    :class:`DropoutMask`'s): a recorded :class:`DropoutMask` step; inside ``vmap``, one draw
    per example or one for all, as its ``randomness`` says (:func:`chainrule.rng.per_example`),
    where a per-example draw is a batched value.

    A bool or integer ``input`` is refused as PyTorch refuses it: its noise, drawn in the
    input's dtype, takes 1 / (1 - p) in place (alpha dropout's takes ``keep - 1``, which
    makes a bool noise Long, then a float factor in place), and a float can't be written
    into it. A check of the dtype only: the mask is drawn on every training step."""
    kind = input.dtype.kind  # (a batched tensor under vmap has no _data to read)
    if kind in "biu":
        target = xp.dtype(xp.int64) if kind == "b" and scale is not None else input.dtype.dtype
        raise cast_error(xp.dtype(xp.float32), dtypes.scalar_type_name(target))
    if open_transforms.here.vmap:
        return rng.per_example(
            lambda shape: scaled_mask(shape, p, input.dtype, scale),
            mask_shape(input.shape, feature),
        )
    return DropoutMask(p, scale, feature)(input)
