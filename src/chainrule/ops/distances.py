"""Norms and distances of ``torch.nn.functional``: ``normalize``, ``cosine_similarity``,
``pairwise_distance`` and ``pdist``, composed from the norm and arithmetic ops as ATen composes
them, so their gradients (and PyTorch's conventions at zero vectors) come from those ops.

    >>> import chainrule as cr
    >>> normalize(cr.tensor([[3.0, 4.0]]))
    tensor([[0.6000, 0.8000]])
    >>> cosine_similarity(cr.tensor([1.0, 0.0]), cr.tensor([1.0, 1.0]), dim=0)
    tensor(0.7071)
"""

from __future__ import annotations

from chainrule import dtypes
from chainrule._array import xp
from chainrule.op import named
from chainrule.ops import dual, inplace, reduce
from chainrule.ops.broadcast import broadcast_shape
from chainrule.ops.elementwise import BROADCASTS, Unary
from chainrule.out import write_out
from chainrule.tensor import Tensor


class RaisedTo(Unary):
    """``max(x, floor)`` whose gradient passes everywhere: ATen clamps a clone in place under
    no_grad (cosine_similarity's norms, gaussian_nll_loss's variance), which changes the value
    but leaves the gradient of the clone's input unmasked. One op, so that nothing is changed in
    place (which cr.compile would not replay)."""

    batch_rule = BROADCASTS
    torch_name = "CloneBackward0"  # the clamp itself is no node in PyTorch's graph
    notation = "max(x, floor)"
    derivatives = ("1",)
    # The gradient passes as it is: no value is read, so ``x`` may change in place after the
    # forward, as after PyTorch's clone (gaussian_nll_loss's var; refused before).
    saves_inputs = False

    def __init__(self, floor: float = 0.0) -> None:
        self.floor = floor

    def forward(self, x):
        return xp.maximum(x, xp.asarray(self.floor, x.dtype))

    def partial(self, out, x):
        return dual.typed(x, 1.0)

    def vjp(self, g, out, x):
        return (g,)

    def jvp(self, tangents, out, x):
        return tangents[0]


def normalize(
    input: Tensor,  # noqa: A002
    p: float = 2.0,
    dim: int = 1,
    eps: float = 1e-12,
    out: Tensor | None = None,
) -> Tensor:
    """``input / max(||input||_p, eps)`` along ``dim``: unit vectors, a zero vector kept zero.

    >>> import chainrule as cr
    >>> normalize(cr.tensor([[1.0, -1.0], [0.0, 0.0]]), p=1)
    tensor([[ 0.5000, -0.5000],
            [ 0.0000,  0.0000]])
    """
    denom = reduce.norm(input, p, dim, keepdim=True).clamp(min=eps).expand_as(input)
    if out is None:
        return input / denom
    # PyTorch's torch.div(input, denom, out=out): its checks of out (grad, dtype, shape)
    return write_out("div", out, lambda: input / denom, (input,))


def _clamped_norm(x: Tensor, dim: int, eps: float) -> Tensor:
    """``||x||`` along ``dim`` (kept), raised to ``eps``; the gradient flows to the norm
    unmasked, as ATen's (see :class:`RaisedTo`)."""
    return RaisedTo(eps)(reduce.norm(x, 2, dim, keepdim=True))


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """``<x1, x2> / (||x1|| ||x2||)`` along ``dim`` (the inputs broadcast), each vector divided
    by its norm (at least ``eps``) first, as ATen does: no overflow, and |result| <= 1.

    >>> import chainrule as cr
    >>> cosine_similarity(cr.tensor([[1.0, 2.0], [0.0, 0.0]]), cr.tensor([[2.0, 4.0], [1.0, 1.0]]))
    tensor([1.0000, 0.0000])
    """
    # PyTorch's promote_types (int64 with float32 is float32, not NumPy's float64; a 0-d
    # tensor counts as much as the other here)
    dtype = dtypes.torch_promote_types(x1.dtype.dtype, x2.dtype.dtype)
    if dtype.kind != "f":
        name = inplace._torch_name(dtype, 1)  # PyTorch's name: Long, Int, Bool
        raise RuntimeError(
            f"expected common dtype to be floating point, yet common dtype is {name}"
        )
    if not eps >= 0:  # ATen's check (nan too): a norm clamped to a negative eps flips signs
        raise RuntimeError(f"eps must be non-negative, got: {eps:g}")
    x1, x2 = (x if x.dtype.dtype == dtype else x.to(dtype) for x in (x1, x2))
    shape = broadcast_shape(tuple(x1.shape), tuple(x2.shape))  # (PyTorch's error, not NumPy's)
    x1, x2 = x1.expand(shape), x2.expand(shape)
    products = (x1 / _clamped_norm(x1, dim, eps)) * (x2 / _clamped_norm(x2, dim, eps))
    return named(products.sum(dim), "SumBackward1")  # a sum along dim, also of a vector


def pairwise_distance(
    x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
) -> Tensor:
    """``||x1 - x2 + eps||_p`` along the last dimension (the inputs broadcast).

    >>> import chainrule as cr
    >>> pairwise_distance(cr.tensor([[0.0, 0.0]]), cr.tensor([[3.0, 4.0]]), eps=0.0)
    tensor([5.])
    """
    last = max(x1.ndim, x2.ndim) - 1
    return named(reduce.norm(x1 - x2 + eps, p, last, keepdim), "NormBackward1")


def pdist(input: Tensor, p: float = 2) -> Tensor:  # noqa: A002
    """The p-norm distance between every pair of rows of the (N, M) ``input``: N (N - 1) / 2
    values, row 0 against rows 1, 2, ..., then row 1 against rows 2, ... (the upper triangle).

    >>> import chainrule as cr
    >>> pdist(cr.tensor([[0.0, 0.0], [3.0, 4.0], [6.0, 8.0]]))
    tensor([ 5., 10.,  5.])
    """
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    if input.dtype.dtype.kind != "f":
        raise RuntimeError("pdist only supports floating-point dtypes")
    if not p >= 0:  # nan too: a nan p gives nan distances
        raise RuntimeError("pdist only supports non-negative p values")
    if input.shape[0] > 1:  # (no pairs: PyTorch returns before its kernel)
        dtypes.refuse_half(input.dtype, "pdist")
    rows, others = xp.triu_indices(input.shape[0], 1)
    differences = input[rows] - input[others]
    if p == float("inf"):  # PyTorch's pdist passes the whole gradient to each tied maximum
        distances = reduce.Amax((1,), False, shared=False)(differences.abs())
    else:
        distances = reduce.norm(differences, p, 1)
    if p == 0:  # a count of differing coordinates: PyTorch passes zeros back, not nothing
        distances = inplace.zero_derivative(distances, differences.sum(1))
    return named(distances, "PdistBackward0")
