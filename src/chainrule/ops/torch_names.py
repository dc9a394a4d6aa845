"""PyTorch's other names for functions chainrule has, and the complex-number functions that
are identities on real tensors (chainrule's tensors are real: complex ones are refused when
made), so that code calling ``torch.greater``, ``torch.inverse`` or ``x.conj()`` runs.

    >>> import chainrule as cr
    >>> cr.greater(cr.tensor([1, 3]), 2), cr.dist(cr.tensor([3.0, 0.0]), cr.tensor([0.0, 4.0]))
    (tensor([False,  True]), tensor(5.))
"""

from __future__ import annotations

import operator
import warnings
from typing import Any

from chainrule import arguments, dtypes, linalg, memory_formats, return_types
from chainrule._tensor_input import tensor_argument
from chainrule.op import named
from chainrule.ops import compare, shape, shape_more
from chainrule.ops.broadcast import unbroadcast
from chainrule.ops.linalg import diag
from chainrule.tensor import Tensor

greater, greater_equal, less = compare.gt, compare.ge, compare.lt
less_equal, not_equal = compare.le, compare.ne
det, inverse = linalg.det, linalg.inv
matrix_power = linalg.matrix_power


def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:  # noqa: A002
    """The pseudo-inverse, singular values at most ``rcond`` times the largest taken as zero:
    :func:`chainrule.linalg.pinv` with ``rtol=rcond``, whose own default (``eps * max(m, n)``)
    would drop a float32 matrix's singular values below 1e-7 times the largest.

    >>> import chainrule as cr
    >>> cr.pinverse(cr.tensor([[1.0, 0.0], [0.0, 1e-8]]))
    tensor([[1.0000e+00, 0.0000e+00],
            [0.0000e+00, 1.0000e+08]])
    """
    return linalg.pinv(input, rtol=rcond)


def slogdet(input: Tensor) -> return_types.slogdet:  # noqa: A002
    """:func:`chainrule.linalg.slogdet` under PyTorch's older name, whose result is
    ``return_types.slogdet`` (``linalg_slogdet`` is the newer one's)."""
    return return_types.slogdet(*linalg.slogdet(input))


def logdet(input: Tensor) -> Tensor:  # noqa: A002
    """``log(det(input))``: nan for a negative determinant, -inf for a zero one, as PyTorch
    gives them; its gradient is 0 where the determinant is negative, as PyTorch's (the nan
    is a constant put in place of ``log|det|``)."""
    if input.dtype == dtypes.float16:
        raise RuntimeError("logdet: Low precision dtypes not supported. Got Half")
    sign, logabsdet = linalg.slogdet(input)
    return logabsdet.where(sign != -1, logabsdet.new_full((), float("nan")))


def diagflat(input: Tensor, offset: int = 0) -> Tensor:  # noqa: A002
    """The flattened ``input`` on the ``offset``-th diagonal of a square matrix."""
    # a bool is refused, as PyTorch's (True was read as 1)
    offset = arguments.integer(offset, "diagflat", "offset", 2)
    return diag(shape.reshape(input, (-1,)), offset)


def dist(input: Tensor, other: Tensor, p: float = 2) -> Tensor:  # noqa: A002
    """The ``p``-norm of ``input - other`` (broadcast)."""
    return named(linalg.vector_norm(input - other, p), "DistBackward0")


def adjoint(input: Tensor) -> Tensor:  # noqa: A002
    """The conjugate transpose of the last two dimensions: a transposed view (real tensors)."""
    tensor_argument("adjoint", input)
    if input.ndim == 0:  # itself, as PyTorch returns it
        warnings.warn(
            "adjoint() is deprecated on 0-D tensors. Consider using x.conj().", UserWarning, 2
        )
        return input
    if input.ndim < 2:
        raise RuntimeError(
            "tensor.adjoint() is only supported on matrices or batches of matrices. Got "
            f"{input.ndim}-D tensor."
        )
    return shape.transpose(input, -2, -1)


def conj(input: Tensor) -> Tensor:  # noqa: A002
    """``input`` itself: a real tensor is its own conjugate (as PyTorch returns it)."""
    return input


resolve_conj = resolve_neg = real = conj


def is_conj(input: Tensor) -> bool:  # noqa: A002
    """False: no real tensor carries a lazy conjugation."""
    return False


is_neg = is_conj


def isreal(input: Tensor) -> Tensor:  # noqa: A002
    """True for every element (a real tensor's imaginary parts are all zero)."""
    return compare.eq(input, input) | compare.ne(input, input)  # nan too


def imag(input: Tensor) -> Tensor:  # noqa: A002
    raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")


def positive(input: Tensor) -> Tensor:  # noqa: A002
    """``+input``: ``input`` itself, refused for bools as PyTorch refuses them."""
    if input.dtype == dtypes.bool:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


def split_with_sizes(input: Tensor, split_sizes: Any, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    """:func:`split` into pieces of the given sizes, which must add up to the dimension."""
    return shape.split(input, list(split_sizes), dim)


def narrow_copy(input: Tensor, dim: int, start: int, length: int) -> Tensor:  # noqa: A002
    """A copy (not a view) of :func:`narrow`'s slice, row-major as PyTorch's."""
    piece = shape_more.narrow(input, dim, start, length)
    return piece.clone(memory_format=memory_formats.contiguous_format)


def is_nonzero(input: Tensor) -> bool:  # noqa: A002
    """Whether the one element of ``input`` is nonzero; refused for any other count."""
    if input.numel() != 1:
        many = "more than one value" if input.numel() else "no values"
        raise RuntimeError(f"Boolean value of Tensor with {many} is ambiguous")
    return bool(input.detach().numpy().reshape(()))


def is_same_size(input: Tensor, other: Tensor) -> bool:  # noqa: A002
    return tuple(input.shape) == tuple(other.shape)


def sum_to_size(input: Tensor, *size: Any) -> Tensor:  # noqa: A002
    """``input`` summed down to ``size``, which must broadcast to its shape (the gradient of
    a broadcast, as autograd sums it)."""
    if len(size) == 1 and not isinstance(size[0], int):
        size = tuple(size[0])
    target = tuple(operator.index(s) for s in size)
    try:
        if shape.broadcast_shapes(target, tuple(input.shape)) != tuple(input.shape):
            raise ValueError
    except (ValueError, RuntimeError):
        raise RuntimeError(
            f"size {{{list(target)}}} is not expandable to size {{{list(input.shape)}}}."
        ) from None
    return unbroadcast(input, target)  # autograd's sum of a broadcast gradient
