"""Scans other than ``cumsum``: running products, running extremes and the running
log-sum-exp, each along one dimension, with PyTorch's gradients.

    >>> import chainrule as cr
    >>> x = cr.tensor([2.0, 0.0, 3.0], requires_grad=True)
    >>> x.cumprod(0).sum().backward()       # exact at the zero: no division by it
    >>> x.grad
    tensor([1., 8., 0.])
    >>> cr.cummax(cr.tensor([1.0, 3.0, 2.0, 3.0]), 0).indices   # ties: the later index
    tensor([0, 1, 1, 3])
"""

from __future__ import annotations

from typing import Any

from chainrule import arguments, dtypes, factories, memory_formats, return_types
from chainrule._array import xp
from chainrule.autodiff import batching
from chainrule.dtypes import _TORCH_DTYPE_NAMES
from chainrule.op import Constant, Op, _value, named
from chainrule.ops import dual
from chainrule.ops.reduce import MaxAlong, accumulated, refuse_bool_scan, refuse_several
from chainrule.ops.shape import cat
from chainrule.tensor import Tensor


def _reversed_cumsum(x: Any, dim: int) -> Any:
    """``out[i] = x[i] + x[i+1] + ...`` along ``dim`` (PyTorch's ``reversed_cumsum``)."""
    return dual.flip(dual.cumsum(dual.flip(x, dim), dim), dim)


class CumProd(Op):
    """``out[j] = x[0] x[1] ... x[j]`` along ``dim``.

    The derivative of ``out[j]`` by ``x[i]`` (i <= j) is the product of the others. Where a
    row has no zero that is ``out[j] / x[i]``; with zeros (PyTorch's cumprod_backward), the
    elements before the row's first zero ``x[z]`` still divide (their outputs from z on are 0
    exactly), and from z on the gradient is that of the products with ``x[z]`` taken as 1,
    times ``x[z]`` after z: a value of 0 there, whose own derivative by ``x[z]`` counts for
    second derivatives (so on Tensors it is computed, on arrays it is the zero it is).
    """

    torch_name = "CumprodBackward0"
    half_in_float32 = True  # unlike prod, PyTorch's float16 scan multiplies in float32
    notation = "cumprod(x)"
    derivatives = ("the product of the others, summed over the later outputs",)
    saves_output = True
    batch_rule = staticmethod(batching.along_dim)

    def __init__(self, dim: int) -> None:
        self.dim = dim

    def forward(self, x):
        return memory_formats.as_kernel_result(xp.cumprod(x, axis=self.dim), x)

    def _zeros(self, x):
        """The masks of the elements before the first zero of their row, and of that zero."""
        zero = _value(x) == 0
        seen = xp.cumsum(zero, axis=self.dim)
        return seen == 0, zero & (seen == 1)

    def vjp(self, g, out, x):
        if x.shape[self.dim] == 1:  # each output is its element: g itself (as PyTorch's), not
            return (g,)  # out / x (nan at an inf)
        before, first = self._zeros(x)
        if before.all():
            return (_reversed_cumsum(g * out, self.dim) / x,)
        one = dual.typed(x, 1.0)
        head = self._before_first_zero(g * out, before) / dual.where(before, x, one)
        x_ones = dual.where(first, one, x)  # the first zero as 1
        tail = self._from_first_zero(g, x_ones, x, first)
        return (dual.where(before, head, tail),)

    def _before_first_zero_arrays(self, w, before):
        # PyTorch's first-order gradient sums the outputs before the zero alone: those after
        # it are 0, or nan where an inf follows (0 * inf), which must not reach the head
        return _reversed_cumsum(xp.where(before, w, 0), self.dim)

    def _before_first_zero_tensors(self, w, before):
        # under create_graph the outputs after the zero count: their derivative by it does
        return _reversed_cumsum(w, self.dim)

    _before_first_zero = dual.both(
        _before_first_zero_arrays, _before_first_zero_tensors, "self, w, before", ("w",)
    )

    def _from_first_zero_arrays(self, g, x_ones, x, first):
        # At the zero, PyTorch's sum: over z <= j < the next zero, g[j] times the products of
        # x[z+1..j], times the product before z; the later outputs (0) enter as g[j] = 0 times
        # the product held from the next zero on, so nan where that product is inf, as in
        # PyTorch. After the zero: 0 (every product holds x[z]).
        seen = xp.cumsum(x == 0, axis=self.dim)
        between = (seen == 1) & ~first
        products = xp.cumprod(xp.where(between, x, 1), axis=self.dim)
        total = (products * xp.where(seen == 1, g, 0)).sum(axis=self.dim, keepdims=True)
        before = xp.prod(xp.where(seen == 0, x, 1), axis=self.dim, keepdims=True)
        return xp.where(first, total * before, 0)

    def _from_first_zero_tensors(self, g, x_ones, x, first):
        (ones_grad,) = self.vjp(g, _cumprod(x_ones, self.dim), x_ones)
        x_zero = dual.sum(dual.where(first, x, dual.zeros_like(x)), self.dim, True)  # 0 valued
        return ones_grad * dual.where(first, dual.typed(x, 1.0), x_zero)

    _from_first_zero = dual.both(
        _from_first_zero_arrays, _from_first_zero_tensors, "self, g, x_ones, x, first", ("g", "x")
    )

    def jvp(self, tangents, out, x):
        (t,) = tangents
        before, first = self._zeros(x)
        if before.all():
            return dual.cumsum(t / x, self.dim) * out
        one = dual.typed(x, 1.0)
        head = dual.cumsum(t / dual.where(before, x, one), self.dim) * out
        x_ones = dual.where(first, one, x)
        return dual.where(before, head, self._tangent_from_first_zero(t, x_ones, x, first))

    def _tangent_from_first_zero_arrays(self, t, x_ones, x, first):
        # From the first zero on, only its own tangent moves the products (x[z] is 0).
        t_zero = xp.sum(xp.where(first, t, 0), axis=self.dim, keepdims=True)
        return t_zero * xp.cumprod(x_ones, axis=self.dim)

    def _tangent_from_first_zero_tensors(self, t, x_ones, x, first):
        # The products are x[z] times those with it as 1: the tangent of x[z] times the
        # latter, plus x[z] (0, but not to its own derivative) times their tangent from the
        # others.
        zero_t = dual.zeros_like(t)
        t_zero = dual.sum(dual.where(first, t, zero_t), self.dim, True)
        x_zero = dual.sum(dual.where(first, x, dual.zeros_like(x)), self.dim, True)
        products = _cumprod(x_ones, self.dim)
        others = self.jvp((dual.where(first, zero_t, t),), products, x_ones)
        return t_zero * products + x_zero * others

    _tangent_from_first_zero = dual.both(
        _tangent_from_first_zero_arrays,
        _tangent_from_first_zero_tensors,
        "self, t, x_ones, x, first",
        ("t", "x"),
    )


_cumprod = dual.both(xp.cumprod, lambda x, axis: CumProd(axis)(x), "x, axis")


class CumArgExtreme(Constant):
    """The index of the running maximum (``largest``) or minimum along ``dim``, as PyTorch's
    cummax/cummin: ties take the later index, and from a nan on, the index of the latest nan
    (whose value the running extreme then is)."""

    notation = "cumargmax(x)"
    derivatives = ("-",)
    batch_rule = staticmethod(batching.along_dim)

    def __init__(self, dim: int, largest: bool) -> None:
        self.dim = dim
        self.largest = largest

    def forward(self, x):
        values = (xp.maximum if self.largest else xp.minimum).accumulate(x, axis=self.dim)
        hit = x == values
        if x.dtype.kind == "f":
            hit |= xp.isnan(x)
        shape = [1] * x.ndim
        shape[self.dim] = x.shape[self.dim]
        positions = xp.arange(x.shape[self.dim]).reshape(shape)
        found = xp.maximum.accumulate(xp.where(hit, positions, -1), axis=self.dim)
        return memory_formats.as_kernel_result(found, x)


class LogCumSumExp(Op):
    """``out[j] = log(exp(x[0]) + ... + exp(x[j]))`` along ``dim``, by NumPy's exact
    ``logaddexp.accumulate``; its rules are PyTorch's (logcumsumexp_backward and _jvp)."""

    torch_name = "LogcumsumexpBackward0"
    half_in_float32 = True  # float16 in float32, rounded once, as PyTorch's
    notation = "logcumsumexp(x)"
    derivatives = ("exp(x - out) for every later output",)
    saves_output = True
    batch_rule = staticmethod(batching.along_dim)

    def __init__(self, dim: int) -> None:
        self.dim = dim

    def forward(self, x):
        out = xp.logaddexp.accumulate(x, axis=self.dim)
        out += 0.0  # PyTorch's scan starts at -inf: a leading -0 gives log(e^-inf + e^-0) = +0
        return memory_formats.as_kernel_result(out, x)

    def vjp(self, g, out, x):
        # sum over j >= i of g[j] exp(x[i] - out[j]): a reversed scan in log space.
        def through(log_g: Any) -> Any:
            reversed_input = dual.flip(log_g - out, self.dim)
            return dual.flip(_logcumsumexp(reversed_input, self.dim), self.dim) + x

        return (_signed_exp(g, through),)

    def jvp(self, tangents, out, x):
        # sum over i <= j of t[i] exp(x[i] - out[j]): a scan in log space (PyTorch's rule
        # normalises by the row's max, and loses the early outputs' tangents when the values
        # span more than exp's range).
        return _signed_exp(tangents[0], lambda log_t: _logcumsumexp(log_t + x, self.dim) - out)


def _signed_exp(v: Any, through: Any) -> Any:
    """``exp(through(log v+)) - exp(through(log v-))`` for the positive and the negative
    parts of ``v`` (PyTorch's logcumsumexp_backward): sums of ``v`` times exponentials, taken
    in log space so that no exp overflows. A zero's log is the dtype's lowest number, not
    -inf, so that it has a derivative (0) for second derivatives."""
    # (the masks compared on v itself, not its array: under vmap v is a batch with no array)
    lowest = dual.typed(v, float(xp.finfo(v.dtype.type).min))
    log_abs = dual.log(dual.where(v != 0, dual.abs(v), dual.typed(v, 1.0)))
    positive, negative = (
        dual.exp(through(dual.where(mask, log_abs, lowest))) for mask in (v > 0, v < 0)
    )
    return positive - negative


_logcumsumexp = dual.both(
    lambda x, axis: xp.logaddexp.accumulate(x, axis=axis),
    lambda x, axis: LogCumSumExp(axis)(x),
    "x, axis",
)


# ------------------------------------------------------------------------- public functions
def _axis(input: Tensor, dim: Any, op: str) -> int:  # noqa: A002
    # One int, as PyTorch reads it: None or a list is its TypeError, not a scan over all (a
    # 0-d tensor takes dim 0 or -1). Tensor's methods check theirs first, at their positions.
    refuse_several(dim, op)  # a list worded as cumsum's
    return arguments.dim(dim, input.ndim, op, "dim", 2)


def cumprod(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:  # noqa: A002
    """The running product along ``dim``; integers and bools give int64 (or ``dtype``)."""
    axis = _axis(input, dim, "cumprod")
    refuse_bool_scan(input, dtype, "cumprod_out_cpu")
    return accumulated(input, dtype, lambda x: CumProd(axis)(x) if x.ndim else x.clone())


def cummax(input: Tensor, dim: int) -> Any:  # noqa: A002
    """``(values, indices)`` of the running maximum along ``dim``; the gradient goes to the
    element each value was taken from.

    >>> import chainrule as cr
    >>> cr.cummax(cr.tensor([1.0, 3.0, 2.0]), 0)
    chainrule.return_types.cummax(
    values=tensor([1., 3., 3.]),
    indices=tensor([0, 1, 1]))
    """
    return _running_extreme(input, dim, True, "cummax")


def cummin(input: Tensor, dim: int) -> Any:  # noqa: A002
    """``(values, indices)`` of the running minimum along ``dim`` (see :func:`cummax`)."""
    return _running_extreme(input, dim, False, "cummin")


class RunningExtreme(MaxAlong):
    """cummax's and cummin's values: :class:`MaxAlong`'s rules, x guarded as PyTorch's
    ``cummaxmin_backward`` saves it (an in-place change of x after them is refused)."""

    reads = None


def _running_extreme(input: Tensor, dim: int, largest: bool, op: str) -> Any:  # noqa: A002
    axis = _axis(input, dim, op)
    x = input.reshape(1) if input.ndim == 0 else input  # a 0-d tensor scans as one element
    indices = CumArgExtreme(axis, largest)(x)
    values = RunningExtreme(axis, True)(x, indices)
    if input.ndim == 0:
        values, indices = values.reshape(()), indices.reshape(())
    return return_types.named(op, (named(values, f"{op.title()}Backward0"), indices))


def logcumsumexp(input: Tensor, dim: int) -> Tensor:  # noqa: A002
    """``log(cumsum(exp(x)))`` along ``dim``, without overflow or underflow.

    >>> import chainrule as cr
    >>> cr.logcumsumexp(cr.tensor([-1000.0, 0.0]), 0)
    tensor([-1000.,     0.])
    """
    axis = _axis(input, dim, "logcumsumexp")
    if not dtypes.is_floating(input.dtype):
        name = _TORCH_DTYPE_NAMES[input.dtype.name][1]
        raise NotImplementedError(f"\"logcumsumexp_out_cpu\" not implemented for '{name}'")
    if input.ndim == 0:
        return input.clone()
    return LogCumSumExp(axis)(input)


def diff(
    input: Tensor,  # noqa: A002
    n: int = 1,
    dim: int = -1,
    prepend: Tensor | None = None,
    append: Tensor | None = None,
) -> Tensor:
    """The ``n``-th forward difference along ``dim`` (``x[i + 1] - x[i]``, or ``!=`` for
    bools), after joining ``prepend`` and ``append`` on along it.

    >>> import chainrule as cr
    >>> cr.diff(cr.tensor([1, 4, 9, 16]), n=2)
    tensor([2, 2])
    """
    n = arguments.integer(n, "diff", "n", 2)  # a bool is not a count (True was 1)
    dim = arguments.integer(dim, "diff", "dim", 3)
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    axis = _axis(input, dim, "diff")
    if n == 0:  # a copy of input alone, as PyTorch's (and NumPy's): prepend and append unread
        return factories.empty_like(input).copy_(input)  # (PyTorch's node: CopyBackwards)
    pieces = [x for x in (prepend, input, append) if x is not None]
    x = cat(pieces, axis) if len(pieces) > 1 else input
    head = (slice(None),) * axis
    for _ in range(n):
        later, earlier = x[(*head, slice(1, None))], x[(*head, slice(None, -1))]
        x = later != earlier if x.dtype == dtypes.bool else later - earlier
    return x
