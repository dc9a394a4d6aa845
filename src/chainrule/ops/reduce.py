"""Reductions: sums, means, products, extremes, norms and the log-sum-exp.

A reduction's vjp sends the incoming gradient back to every element that contributed, scaled
by that element's local derivative: ``sum`` copies it (broadcast, no copy made), ``mean``
divides by n, ``max`` routes it to the arg-max, ``prod`` multiplies by the other factors.

    >>> import chainrule as cr
    >>> x = cr.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> x.prod(dim=1).sum().backward()
    >>> x.grad
    tensor([[2., 1.],
            [4., 3.]])
"""

from __future__ import annotations

import builtins
import operator
from collections import namedtuple
from collections.abc import Callable
from typing import Any

from chainrule import arguments, dtypes, grad_mode, memory_formats, return_types, shell_uints
from chainrule._array import xp
from chainrule.arguments import distinct_dims, is_index, mistyped, no_overload, out_of_range
from chainrule.autodiff import batching
from chainrule.op import Constant, Linear, Op, _value, inputs, named
from chainrule.ops import dual
from chainrule.ops.elementwise import _floating
from chainrule.tensor import Tensor, _make

values_indices = namedtuple("values_indices", ["values", "indices"])


def normalize_dims(dim: Any, ndim: int, op: str = "reduction") -> tuple[int, ...]:
    """``dim`` (None, an int or a sequence, negatives allowed) as sorted non-negative axes;
    one out of range or given twice refused with PyTorch's error (then, for the range,
    chainrule's line with the op)."""
    if type(dim) is int:
        dims: tuple[Any, ...] = (dim,)
    elif dim is None:
        return tuple(range(ndim))
    elif is_index(dim):  # a NumPy integer, an integer tensor of one element
        dims = (operator.index(dim),)
    else:
        dims = tuple(dim)
        if not dims:  # () or []: PyTorch's reductions over all (but all's and any's)
            return tuple(range(ndim))
    out = []
    for d in dims:
        if not -builtins.max(ndim, 1) <= d < builtins.max(ndim, 1):
            raise IndexError(
                f"{out_of_range(d, ndim)}\n{op}: dimension {d} is out of range for a tensor "
                f"with {ndim} dimensions"
            )
        out.append(d % builtins.max(ndim, 1) if ndim else 0)
    unique = set(out)
    if len(unique) < len(out):
        distinct_dims(dims, ndim)  # raises PyTorch's error for the first one given twice
    return tuple(sorted(unique)) if ndim else ()


def one_dim(dim: Any, ndim: int, op: str) -> int:
    """``dim`` of an op that works along one dimension (cumsum, softmax, argmax, max's
    indices) as a non-negative axis; a tuple or list is PyTorch's TypeError, not the first of
    several dimensions taken silently.

    >>> one_dim(-1, 2, "cumsum")
    1
    """
    refuse_several(dim, op)
    (axis,) = normalize_dims(dim, ndim, op) or (0,)  # dim 0 of a 0-d tensor
    return axis


def mistyped_keepdim(op: str, keepdim: Any, given: tuple[Any, ...] = ()) -> TypeError:
    """PyTorch's error for a ``keepdim`` that is no bool (``keepdim=1`` was read as True):
    named at its position, 3, or, for an op of several signatures, the arguments ``given``
    fit none of them. Callers test ``type(keepdim) is not bool`` first (sum is on hot paths).

    >>> mistyped_keepdim("sum", 1)
    TypeError("sum(): argument 'keepdim' (position 3) must be bool, not int")
    """
    return no_overload(op, given, {}) if given else mistyped(op, "keepdim", 3, "bool", keepdim)


def refuse_several(dim: Any, op: str) -> None:
    """PyTorch's TypeError for a tuple or list ``dim`` given to an op of one dimension."""
    if isinstance(dim, tuple | list):
        raise TypeError(f"{op}(): argument 'dim' must be int, not {type(dim).__name__}")


def numpy_aliases(op: str, dim: Any, keepdim: Any, aliases: dict[str, Any]) -> tuple[Any, Any]:
    """PyTorch also accepts NumPy's names ``axis`` and ``keepdims`` for ``dim`` and ``keepdim``.

    >>> numpy_aliases("sum", None, False, {"axis": 0, "keepdims": True})
    (0, True)
    """
    unknown = set(aliases) - {"axis", "keepdims"}
    if unknown:
        raise TypeError(f"{op}() got an unexpected keyword argument {sorted(unknown)[0]!r}")
    return aliases.get("axis", dim), aliases.get("keepdims", keepdim)


# A reduction's result laid out as PyTorch's: row-major where NumPy's follows a transposed
# input's order (so that .view() works on it), channels-last kept
_row_major = memory_formats.as_kernel_result


class Reduction(Op, abstract=True):
    """A reduction over the axes ``dims`` (kept as size 1 with ``keepdim``). One whose output
    moves with each input element by a local ``weights`` (1 for sum, softmax for
    log-sum-exp) gets both rules from it: reverse mode sends ``g * weights`` back to every
    element, forward mode sums ``t * weights`` (JAX's ``defreducer``). Under ``vmap`` the
    reduced axes move past the batch one.

        >>> import chainrule as cr
        >>> x = cr.tensor([1.0, 2.0], requires_grad=True)
        >>> x.logsumexp(0).backward()
        >>> x.grad                            # weights: softmax(x)
        tensor([0.2689, 0.7311])
    """

    batch_rule = staticmethod(batching.reduction)
    half_in_float32 = True  # a float16 sum accumulates in float32, as PyTorch's

    def __init__(self, dims: tuple[int, ...], keepdim: bool, whole: bool = False) -> None:
        self.dims = dims
        self.keepdim = keepdim
        # Whether the call gave no dim (``x.sum()``, not ``x.sum(0)`` of a vector, which reduces
        # as much): PyTorch's overload without dim, whose rules and name may differ.
        self.whole = whole

    def _variant(self) -> str:
        """PyTorch's overload: ``Backward0`` without dim, ``Backward1`` with one given (even
        every dim, or ``dim=()``). ``keepdim`` needs a dim there, so it means that one too."""
        return "Backward0" if self.whole and not self.keepdim else "Backward1"

    def kept(self, g: Any) -> Any:
        """``g`` with the reduced axes back as size 1, so it broadcasts against the input."""
        return g if self.keepdim else dual.unsqueeze_dims(g, self.dims)

    def _n(self, x: Any) -> int:
        """How many elements of ``x`` each output reduces."""
        n = 1
        for d in self.dims:
            n *= x.shape[d]
        return n

    def weights(self, out: Any, x: Any) -> Any:
        """d(out)/d(x) for each element of x (with its group's output)."""
        raise NotImplementedError

    def vjp(self, g: Any, out: Any, x: Any) -> tuple[Any]:
        return (self.kept(g) * self.weights(out, x),)

    def jvp(self, tangents: tuple[Any, ...], out: Any, x: Any) -> Any:
        return dual.sum(tangents[0] * self.weights(out, x), self.dims, self.keepdim)


class Sum(Linear, Reduction):
    notation = "sum(x)"

    def default_name(self) -> str:
        return f"Sum{self._variant()}"

    derivatives = ("1 for every element",)
    saves_inputs = False

    def forward(self, x):
        # ndarray.sum without its Python wrapper (numpy's _methods._sum), whose warnings (inf
        # - inf) would be NumPy's, not chainrule's, to silence (see chainrule/__init__.py)
        return _row_major(xp.add.reduce(x, self.dims, None, None, self.keepdim), x)

    def vjp(self, g, out, x):
        return (dual.broadcast_to(self.kept(g), x.shape),)


class Mean(Linear, Reduction):
    notation = "mean(x)"

    def default_name(self) -> str:
        return f"Mean{self._variant()}"

    derivatives = ("1/n for every element",)
    saves_inputs = False

    def forward(self, x):
        return _row_major(_floating(x).mean(axis=self.dims, keepdims=self.keepdim), x)

    def vjp(self, g, out, x):
        return (dual.broadcast_to(self.kept(g) / self._n(x), x.shape),)


class Prod(Reduction):
    """The product; ``whole`` matters to its rule too: PyTorch's product of the whole tensor
    (no dim) has a gradient of 0 where two elements are 0, also with an inf or nan among the
    others (where 0 * inf is nan); along a dim, and under create_graph, it keeps the product
    of the others."""

    notation = "prod(x)"

    def default_name(self) -> str:
        return f"Prod{self._variant()}"

    derivatives = ("product of the other elements",)
    saves_output = True  # the gradient divides the output by x
    half_in_float32 = False  # PyTorch's float16 product rounds each step: see forward

    def forward(self, x):
        if x.dtype is not dtypes.HALF or not x.size:
            return _row_major(x.prod(axis=self.dims, keepdims=self.keepdim), x)
        # NumPy multiplies float16 in float32 and rounds once; PyTorch rounds each product
        # (300 * 300 * 0.001 is inf), as a running product in float16 does
        out = xp.multiply.accumulate(self._grouped(x)[1], axis=-1)[..., -1]
        return xp.expand_dims(out, self.dims) if self.keepdim else out

    def _grouped(self, x):
        """``x`` with the reduced dimensions moved last, and that flattened into one."""
        moved = xp.moveaxis(x, self.dims, tuple(range(-len(self.dims), 0)))
        return moved, moved.reshape(moved.shape[: moved.ndim - len(self.dims)] + (-1,))

    def weights(self, out, x):
        """For each element, the product of the others in its reduction group."""
        if not x.ndim:  # no others: 1, as PyTorch's (out / x is nan at x = inf)
            return dual.typed(x, 1.0)
        if (_value(x) != 0).all():
            return self.kept(out) / x
        return self._others_with_zeros(x)

    def _others_with_zeros_arrays(self, x):
        # Prefix and suffix products exclude each element without dividing by it.
        moved, flat = self._grouped(x)
        ones = xp.ones_like(flat[..., :1])
        before = xp.cumprod(xp.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
        after = xp.flip(
            xp.cumprod(xp.concatenate([ones, xp.flip(flat, -1)[..., :-1]], axis=-1), axis=-1), -1
        )
        others = (before * after).reshape(moved.shape)
        others = xp.moveaxis(others, tuple(range(-len(self.dims), 0)), self.dims)
        if not self.whole:
            return others
        return xp.where((x == 0).sum() >= 2, x.dtype.type(0), others)

    def _others_with_zeros_tensors(self, x):
        """The product of the others, on Tensors (``create_graph``), where some are zero.

        Written so that its own derivative is right: with P the product of the non-zero
        elements of the group, an element's others are P / x_i times the zeros among them,
        that is 1 when there are none and the one other zero itself when there is one (its
        value is 0, its derivative P / x_i). Where an element has two or more zeros among its
        others, their product is 0 with a derivative of 0, but not its derivatives of higher
        orders (x0 x1 x2's third at 0 is 1): the others are then multiplied out
        (:meth:`_others_multiplied`), as PyTorch's create_graph rule multiplies them (an inf
        among them times a zero is nan there too).
        """
        zero = x._data == 0
        zeros_among_others = zero.sum(axis=self.dims, keepdims=True) - zero
        if (zeros_among_others >= 2).any():
            return self._others_multiplied(x)
        one = dual.typed(x, 1.0)
        safe = dual.where(zero, one, x)  # the zeros are held constant at 1
        zeros_only = dual.where(zero, x, dual.zeros_like(x))  # value 0, derivative at zeros
        other_zero = dual.sum(zeros_only, self.dims, keepdims=True) - zeros_only
        factor = dual.where(zeros_among_others == 0, one, other_zero)
        return Prod(self.dims, True)(safe) / safe * factor

    _others_with_zeros = dual.both(
        _others_with_zeros_arrays, _others_with_zeros_tensors, "self, x", ("x",)
    )

    def _others_multiplied(self, x: Tensor) -> Tensor:
        """The product of the others of each element of ``x`` (a Tensor), as the product of
        those before it times that of those after it along its group, each built by one
        multiplication per element: no division and no constant, so every derivative of it
        is the product rule's (a group of n takes 2n multiplications of its columns)."""
        from chainrule.factories import ones_like
        from chainrule.ops.shape import stack  # (shape imports this module)

        last = tuple(range(-len(self.dims), 0))
        moved = x.movedim(self.dims, last)
        columns = moved.reshape(*moved.shape[: moved.ndim - len(last)], -1).unbind(-1)
        before = [ones_like(columns[0])]
        for column in columns[:-1]:
            before.append(before[-1] * column)
        after = [before[0]]
        for column in reversed(columns[1:]):
            after.append(after[-1] * column)
        others = stack([b * a for b, a in zip(before, reversed(after), strict=True)], -1)
        return others.reshape(moved.shape).movedim(last, self.dims)


class Amax(Reduction):
    notation = "max(x)"
    derivatives = ("1 at the maximum (shared evenly among ties), else 0",)
    saves_output = True

    def __init__(
        self,
        dims: tuple[int, ...],
        keepdim: bool,
        to_nan: bool = False,
        shared: bool = True,
        writes_shares: bool | None = None,
    ) -> None:
        super().__init__(dims, keepdim)
        # ``max(x)`` (no dim) sends the gradient of a nan result to the nans, evenly;
        # ``amax`` finds no element equal to nan, so its gradient is nan (both PyTorch's).
        self.to_nan = to_nan
        # not ``shared``: each tie gets the whole gradient (PyTorch's pdist with p = inf)
        self.shared = shared
        # Whether the gradient's shares are written into zeros (max() and median(): the
        # others get 0 whatever the gradient is) or multiplied by the mask (amax, max along a
        # dim, the inf-norm: a nan or infinite gradient makes every element's nan).
        self.writes_shares = to_nan if writes_shares is None else writes_shares

    def forward(self, x):
        return _row_major(x.max(axis=self.dims, keepdims=self.keepdim), x)

    def weights(self, out, x, to_nan=False):
        kept = self.kept(out)
        hit = x == kept
        if to_nan:
            hit = hit | ((x != x) & (kept != kept))
        count = dual.sum(hit, self.dims, keepdims=True)
        if not self.shared:  # a nan maximum (no element equal to it) still gets a nan gradient
            return dual.astype(hit, x.dtype) / dual.astype(count > 0, x.dtype)
        return dual.astype(hit, x.dtype) / count  # in x's dtype: bool / int is float32

    def vjp(self, g, out, x):
        # Forward mode, like PyTorch's, never sends a nan maximum's tangent to the nans.
        weights = self.weights(out, x, self.to_nan)
        grad = self.kept(g) * weights
        return (dual.passed(grad, weights != 0) if self.writes_shares else grad,)

    def jvp(self, tangents, out, x):
        # PyTorch's amax selects the tangents at the extremes (a nan or infinite tangent
        # elsewhere does not reach the result) and shares them among ties; its max() and
        # median() multiply, the other way round from their reverse modes
        if self.to_nan:
            return super().jvp(tangents, out, x)
        weights = self.weights(out, x)
        picked = dual.passed(tangents[0] * weights, weights != 0)
        return dual.sum(picked, self.dims, self.keepdim)


class Amin(Amax):
    notation = "min(x)"
    derivatives = ("1 at the minimum (shared evenly among ties), else 0",)

    def forward(self, x):
        return _row_major(x.min(axis=self.dims, keepdims=self.keepdim), x)


class ArgExtreme(Constant):
    """The index of the largest value (``pick`` is ``argmax``) or the smallest (``argmin``)
    along ``dim``, or of the flattened tensor (``dim`` None): no gradient, as in PyTorch."""

    notation = "argmax(x)"
    derivatives = ("-",)
    batch_rule = staticmethod(batching.arg_extreme)

    def __init__(self, pick: Any, dim: int | None, keepdim: bool) -> None:
        self.pick = pick
        self.dim = dim
        self.keepdim = keepdim

    def forward(self, x):
        if self.dim is None:
            out = xp.asarray(self.pick(x))
            return out.reshape((1,) * x.ndim) if self.keepdim else out
        return self.pick(x, axis=self.dim, keepdims=self.keepdim)


class MaxAlong(Linear):
    """``max(x, dim)``'s values, picked at ``indices`` (from :class:`ArgExtreme`): the
    gradient goes to the picked element alone."""

    notation = "max(x, dim)"
    derivatives = ("1 at the arg-max, else 0", "-")
    batch_rule = staticmethod(batching.along_dim)
    # The rule reads x's shape only, and the indices: PyTorch's node saves the indices and
    # sizes, so x may change in place after it (``v, i = x.max(0); x.add_(1)``).
    reads = ((1,), ())

    def __init__(self, dim: int, keepdim: bool) -> None:
        self.dim = dim
        self.keepdim = keepdim

    def forward(self, x, indices):
        values = xp.take_along_axis(x, self.kept(indices), self.dim)
        return values if self.keepdim else values.squeeze(self.dim)

    def vjp(self, g, out, x, indices):
        grad = dual.scatter_along(self.kept(g), self.kept(indices), self.dim, tuple(x.shape))
        return (grad, None)

    def kept(self, v: Any) -> Any:
        """``v`` (the indices, a gradient) with the reduced axis, as size 1."""
        return v if self.keepdim else dual.unsqueeze_dims(v, (self.dim,))

    @property
    def next_functions(self) -> tuple[tuple[Any, int], ...]:
        return Op.next_functions.fget(self)[:1]  # PyTorch's node has no indices input

    hook_inputs = inputs(0)  # (see op.HookInputs)


class LogSumExp(Reduction):
    half_in_float32 = False  # PyTorch's float16 logsumexp is a formula of float16 steps
    torch_name = "LogsumexpBackward0"
    notation = "log(sum(exp(x)))"
    derivatives = ("softmax(x)",)
    saves_output = True

    def forward(self, x):
        x = _floating(x)
        m = x.max(axis=self.dims, keepdims=True, initial=-xp.inf)  # empty groups give -inf
        m = xp.where(xp.isfinite(m), m, 0)  # all -inf (or inf) groups: leave them alone
        out = xp.log(xp.exp(x - m).sum(axis=self.dims, keepdims=True)) + m
        return _row_major(out if self.keepdim else out.squeeze(self.dims), x)

    def weights(self, out, x):  # softmax(x)
        return dual.exp(x - self.kept(out))


class Norm2(Reduction):
    torch_name = "LinalgVectorNormBackward0"
    notation = "sqrt(sum(x**2))"
    derivatives = ("x / ||x|| (0 where ||x|| = 0)",)
    saves_output = True

    def forward(self, x):
        x = _floating(x)
        return _row_major(xp.sqrt((x * x).sum(axis=self.dims, keepdims=self.keepdim)), x)

    def weights(self, out, x):
        norm = self.kept(out)
        # PyTorch's subgradient at the origin is 0, not 0/0. As in PyTorch, 0/0 is computed
        # and then masked, so the second derivative there is nan, as PyTorch's is.
        return dual.where(norm == 0, dual.zeros_like(x), x / norm)


class NormP(Reduction):
    """The p-norm for p other than 1, 2 and +-inf (those are :class:`Norm2` and composites);
    p = 0 counts the non-zero elements (a step: zero gradient)."""

    torch_name = "LinalgVectorNormBackward0"
    notation = "(sum |x|**p)**(1/p)"
    derivatives = ("sign(x) |x|**(p-1) / norm**(p-1) (0 where the norm is 0)",)
    saves_output = True

    def __init__(self, dims: tuple[int, ...], keepdim: bool, p: float) -> None:
        super().__init__(dims, keepdim)
        self.p = p

    def forward(self, x):
        x = _floating(x)
        if self.p == 0:
            out = (x != 0).sum(axis=self.dims, keepdims=self.keepdim).astype(x.dtype)
        else:
            out = (xp.abs(x) ** self.p).sum(axis=self.dims, keepdims=self.keepdim) ** (1 / self.p)
        return _row_major(out, x)

    def _scaled(self, x):
        """PyTorch's factor per element: sign(x) |x|**(p-1) (0 at x = 0 when p < 1)."""
        p, size = self.p, dual.abs(x)
        if p < 1:
            return dual.sign(x) * dual.where(x == 0, dual.zeros_like(x), size ** (p - 1))
        return dual.sign(x) * size ** (p - 1) if p < 2 else x * size ** (p - 2)

    def vjp(self, g, out, x):
        if self.p == 0:
            return (None,)  # a count of non-zeros: PyTorch gives no gradient at all
        g, norm = self.kept(g), self.kept(out)
        if self.p < 1:
            return (self._scaled(x) * g * norm ** (1 - self.p),)
        # PyTorch's form (0 where the norm is 0, computed and then masked), so that the
        # second derivatives agree too.
        scale = g / norm ** (self.p - 1)
        return (self._scaled(x) * dual.where(norm == 0, dual.zeros_like(scale), scale),)

    def jvp(self, tangents, out, x):
        if self.p == 0:
            return dual.zeros_like(out)
        inner = dual.sum(self._scaled(x) * tangents[0], self.dims, self.keepdim)
        if self.p < 1:
            return inner * out ** (1 - self.p)
        scaled = inner / out ** (self.p - 1)
        return dual.where(out == 0, dual.zeros_like(scaled), scaled)


class CumSum(Linear):
    torch_name = "CumsumBackward0"
    notation = "cumsum(x)"
    derivatives = ("1 for every later position",)
    saves_inputs = False
    half_in_float32 = True  # the running sum in float32, as PyTorch's
    batch_rule = staticmethod(batching.along_dim)

    def __init__(self, dim: int) -> None:
        self.dim = dim

    def forward(self, x):
        out = xp.cumsum(x, axis=self.dim)
        if out.dtype.kind == "f":
            out += 0.0  # PyTorch's running sum starts at +0: a leading -0 gives +0
        return _row_major(out, x)

    def vjp(self, g, out, x):
        # Element i feeds outputs i, i+1, ...: the gradient is the reversed cumulative sum.
        return (dual.flip(dual.cumsum(dual.flip(g, self.dim), self.dim), self.dim),)


# A mean with the reduced dimensions kept, for the variance's rules (on Tensors the Mean op, so
# that its derivative is recorded).
_kept_mean = dual.both(
    lambda x, dims: x.mean(axis=dims, keepdims=True), lambda x, dims: Mean(dims, True)(x), "x, dims"
)


def _times_number_arrays(g: Any, number: float) -> Any:
    """``number * g`` as PyTorch multiplies by a number: a float16 ``g`` in float32, its
    "opmath", rounded once (NumPy would round the number to float16 first)."""
    wide = dtypes.half_opmath_operand(g, number)
    return number * g if wide is None else (wide * g).astype(dtypes.HALF)


# (On Tensors, multiplication by a number computes float16 in float32 itself: Mul.half_opmath.)
_times_number = dual.both(_times_number_arrays, lambda g, number: number * g, "g, number")

# PyTorch accumulates a variance in a wider dtype than a half or single precision input's:
# its values are those rounded once (a float32 variance computed in float32 differs in the last
# bit about half the time), and a std of numbers whose squares overflow the dtype is finite.
_WIDER = {dtypes.float16: dtypes.float32, dtypes.float32: dtypes.float64}


class Var(Reduction):
    """The variance over ``dims`` with ``correction`` (n - correction degrees of freedom),
    computed in the dtype PyTorch accumulates in (``_WIDER``) and rounded once.

    Its rules are PyTorch's ``var_backward``, ``2 / (n - correction) * g * (x - mean(x))``, not
    the derivative of mean, subtract, square and sum: an infinite element then makes its group's
    gradient +-inf (nan where x - mean is nan), where the mean's backward spread nan to every
    element. ``whole`` (no dim given, or a 0-d input) with no degrees of freedom left is
    PyTorch's ``g * (inf, or nan where x equals the mean)``; along dims 2 / 0 is inf.

        >>> import chainrule as cr
        >>> x = cr.tensor([1.0, 2.0, float("inf"), 4.0], requires_grad=True)
        >>> x.var().backward()
        >>> x.grad
        tensor([-inf, -inf, nan, -inf])
    """

    notation = "sum((x - mean(x))**2) / (n - correction)"
    derivatives = ("2 (x - mean(x)) / (n - correction)",)
    # The forward widens float16 itself; the rules are PyTorch's formula of float16 steps.
    half_in_float32 = False

    def __init__(
        self,
        dims: tuple[int, ...],
        keepdim: bool,
        correction: float,
        whole: bool,
        welford: bool = False,
    ):
        super().__init__(dims, keepdim, whole)
        self.correction = correction
        self.welford = welford  # Welford's exactness even for one output (var_mean's)

    def forward(self, x):
        return _row_major(self._wide(x).astype(x.dtype), x)

    def _wide(self, x):
        """The variance in the dtype PyTorch accumulates it in, not yet rounded to x's.

        Mean, then squared deviations, as PyTorch's two algorithms: its all-reduce (var and
        std of float32 and float64 with one output, ``result.numel() == 1``) subtracts the
        mean taken in x's dtype, rounding and all; Welford's (several outputs, float16, and
        var_mean and std_mean) gives a group of equal values a variance of exactly 0, so a
        std's gradient there is its masked 0, not a rounding divided by a rounding. Here that
        is the mean corrected by the deviations' own mean, exact for equal values, where the
        first mean of float64 ones may miss by an ulp (smaller dtypes are summed exactly in
        the wider one)."""
        wide = x.astype(_WIDER.get(x.dtype, x.dtype), copy=False)
        n = self._n(x)
        if n and x.size == n and not self.welford and x.dtype is not dtypes.float16:
            mean = x.mean(axis=self.dims, keepdims=True).astype(wide.dtype, copy=False)
            deviation = wide - mean
        else:
            deviation = wide - wide.mean(axis=self.dims, keepdims=True)
            if wide.dtype is x.dtype:
                deviation -= deviation.mean(axis=self.dims, keepdims=True)
        total = (deviation * deviation).sum(axis=self.dims, keepdims=self.keepdim)
        return total / builtins.max(n - self.correction, 0)

    def vjp(self, g, out, x):
        return (self._var_backward(self.kept(g), x),)

    def jvp(self, tangents, out, x):
        # PyTorch's: the backward rule applied to the tangent, summed
        return dual.sum(self._var_backward(tangents[0], x), self.dims, self.keepdim)

    def _var_backward(self, g, x):
        """PyTorch's ``var_backward``: ``g``, with the reduced dimensions kept, sent to x."""
        dof = self._n(x) - self.correction
        if self.whole and dof <= 0:
            # PyTorch's case for no degrees of freedom left, without dim: inf, and nan where
            # x - mean is 0 (inf * 0), a constant of x
            value = _value(x)
            at_mean = value == value.mean(axis=self.dims, keepdims=True)
            return g * xp.where(at_mean, xp.nan, xp.inf).astype(value.dtype)
        factor = 2.0 / dof if dof else xp.inf  # along dims, C++'s 2.0 / 0.0 (Python's raises)
        return _times_number(g, factor) * (x - _kept_mean(x, self.dims))


class Std(Var):
    """The square root of :class:`Var`, taken before rounding the variance to ``x``'s dtype
    (so it is finite where the variance overflows that dtype). Its rule is PyTorch's
    ``std_backward``: the variance's with ``g / (2 std)``, 0 where the std is 0 (constant
    values, where sqrt's slope is infinite)."""

    notation = "sqrt(var(x))"
    derivatives = ("(x - mean(x)) / ((n - correction) std(x))",)
    saves_output = True

    def forward(self, x):
        return _row_major(xp.sqrt(self._wide(x)).astype(x.dtype), x)

    def vjp(self, g, out, x):
        return super().vjp(self._var_grad(g, out), out, x)

    def jvp(self, tangents, out, x):
        return self._var_grad(super().jvp(tangents, out, x), out)

    def _var_grad(self, g, out):
        """``g / (2 std)``, 0 where the std is 0: PyTorch's ``masked_fill_(std == 0, 0)``.
        There the division is by 1, never by 0: differentiated again (a Hessian's rows by
        vmap, each with zero cotangents on the other gradients), the masked-off inf times a
        zero would be nan (PyTorch's is, in its double backward), where the std is 0 for
        every input and its derivatives are 0."""
        zero = out == 0
        return dual.where(zero, dual.zeros_like(out), g / (dual.where(zero, 1.0, out) * 2))


# ------------------------------------------------------------------------- public functions
def sum(  # noqa: A001
    input: Tensor,  # noqa: A002
    dim: Any = None,
    keepdim: bool = False,
    *,
    dtype: Any = None,
    **aliases: Any,
) -> Tensor:
    """Sum over ``dim`` (an int, a tuple, or None for all); ``axis=`` works too."""
    if aliases:
        dim, keepdim = numpy_aliases("sum", dim, keepdim, aliases)
    if type(keepdim) is not bool:
        raise mistyped_keepdim("sum", keepdim)
    return accumulated(
        input, dtype, lambda x: Sum(normalize_dims(dim, x.ndim, "sum"), keepdim, dim is None)(x)
    )


def accumulated(input: Tensor, dtype: Any, reduction: Callable[[Tensor], Tensor]) -> Tensor:  # noqa: A002
    """``reduction(input)`` in the dtype PyTorch sums and multiplies in (``sum``, ``prod``,
    ``cumsum``, ``cumprod``): ``dtype`` if given, ``input`` cast to it first, else int64 for
    integers and bools. A bool or an integer type under 64 bits is reduced in int64 and, when
    asked for as ``dtype``, cast back, which wraps as PyTorch's reduction in that type does:
    NumPy's own would widen it (a ``uint8`` sum is ``uint64``)."""
    if dtype is not None:
        asked = dtypes.as_dtype(dtype)
        if asked.kind not in "fc" and input.requires_grad and grad_mode.modes.enabled:
            # an integer or bool result could not carry the gradient on: PyTorch refuses it
            raise RuntimeError(f"Autograd not support dtype: {dtypes.scalar_type_name(asked)}")
        input = input.to(dtype)
    if input.dtype.kind not in "biu" or input.dtype == dtypes.int64:
        return reduction(input)
    if dtype is not None and input.dtype in dtypes.SHELL_UINTS:  # PyTorch has no kernel:
        return reduction(input)  # the op's dispatch refuses it (see chainrule.shell_uints)
    out = reduction(input.to(dtypes.int64))
    return out if dtype is None else out.to(dtype)


def mean(
    input: Tensor,  # noqa: A002
    dim: Any = None,
    keepdim: bool = False,
    *,
    dtype: Any = None,
    **aliases: Any,
) -> Tensor:
    if aliases:
        dim, keepdim = numpy_aliases("mean", dim, keepdim, aliases)
    if type(keepdim) is not bool:
        raise mistyped_keepdim("mean", keepdim, (input, dim, keepdim))
    if dtype is not None:
        if not dtypes.is_floating(dtype):
            raise RuntimeError(
                "mean(): could not infer output dtype. Optional dtype must be either a "
                f"floating point or complex dtype. Got: {dtypes.scalar_type_name(dtype)}"
            )
        input = input.to(dtype)
    elif input.dtype.kind not in "fc":  # PyTorch does not guess a float type for integers
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {dtypes.scalar_type_name(input.dtype)}"
        )
    return Mean(normalize_dims(dim, input.ndim, "mean"), keepdim, dim is None)(input)


def prod(
    input: Tensor,  # noqa: A002
    dim: Any = None,
    keepdim: bool = False,
    *,
    dtype: Any = None,
    **aliases: Any,
) -> Tensor:
    """The product over ``dim`` (one dimension, or None for all); integers and bools give
    int64, or ``dtype``, to which the input is cast first."""
    if aliases:
        dim, keepdim = numpy_aliases("prod", dim, keepdim, aliases)
    if type(keepdim) is not bool:
        raise mistyped_keepdim("prod", keepdim)
    refuse_several(dim, "prod")  # one dimension, or all of them
    return accumulated(
        input, dtype, lambda x: Prod(normalize_dims(dim, x.ndim, "prod"), keepdim, dim is None)(x)
    )


def amax(input: Tensor, dim: Any = (), keepdim: bool = False, **aliases: Any) -> Tensor:  # noqa: A002
    if aliases:
        dim, keepdim = numpy_aliases("amax", dim, keepdim, aliases)
    if type(keepdim) is not bool:
        raise mistyped_keepdim("amax", keepdim)
    dims = normalize_dims(dim, input.ndim, "amax")
    # PyTorch's message names the dimension as given (-1, not 1)
    refuse_empty_reduction(input, None if _all_dims(dim) else _as_given(dim), "amax")
    return Amax(dims, keepdim)(input)


def amin(input: Tensor, dim: Any = (), keepdim: bool = False, **aliases: Any) -> Tensor:  # noqa: A002
    if aliases:
        dim, keepdim = numpy_aliases("amin", dim, keepdim, aliases)
    if type(keepdim) is not bool:
        raise mistyped_keepdim("amin", keepdim)
    dims = normalize_dims(dim, input.ndim, "amin")
    # PyTorch's message names the dimension as given (-1, not 1)
    refuse_empty_reduction(input, None if _all_dims(dim) else _as_given(dim), "amin")
    return Amin(dims, keepdim)(input)


def max(input: Tensor, dim: Any = None, keepdim: bool = False, **aliases: Any) -> Any:  # noqa: A001, A002
    """``max(x)`` is the largest value; ``max(x, dim)`` is ``(values, indices)``;
    ``max(x, other)`` is the elementwise maximum."""
    if aliases:
        dim, keepdim = numpy_aliases("max", dim, keepdim, aliases)
    return return_types.named("max", _extreme(input, dim, keepdim, "max"))


def min(input: Tensor, dim: Any = None, keepdim: bool = False, **aliases: Any) -> Any:  # noqa: A001, A002
    """Like :func:`max`, for the smallest values."""
    if aliases:
        dim, keepdim = numpy_aliases("min", dim, keepdim, aliases)
    return return_types.named("min", _extreme(input, dim, keepdim, "min"))


def _extreme(input: Tensor, dim: Any, keepdim: bool, kind: str) -> Any:  # noqa: A002
    from chainrule.ops import elementwise

    if isinstance(dim, Tensor):
        return elementwise.maximum(input, dim) if kind == "max" else elementwise.minimum(input, dim)
    if dim is None:
        refuse_empty_reduction(input, None, kind)
        node = (Amax if kind == "max" else Amin)(tuple(range(input.ndim)), False, True)
        return named(node(input), f"{kind.title()}Backward1")
    if type(keepdim) is not bool:
        raise mistyped_keepdim(kind, keepdim, (input, dim, keepdim))
    axis = one_dim(dim, input.ndim, kind)
    refuse_empty_reduction(input, (axis,), kind)
    shell_uints.check_function(kind, input.dtype)  # (ArgExtreme names argmax's kernel)
    if not input.ndim:
        index = _make(xp.zeros((), dtype=xp.int64))
        return values_indices(named(input.clone(), f"{kind.title()}Backward0"), index)
    indices = ArgExtreme(xp.argmax if kind == "max" else xp.argmin, axis, keepdim)(input)
    values = named(MaxAlong(axis, keepdim)(input, indices), f"{kind.title()}Backward0")
    return values_indices(values, indices)


def _all_dims(dim: Any) -> bool:
    """Whether ``dim`` of amax/amin means all dimensions: None, () or []."""
    return dim is None or (isinstance(dim, tuple | list) and not dim)


def _as_given(dim: Any) -> tuple[int, ...]:
    """A (checked) ``dim`` argument as a tuple of the dimensions as they were written."""
    return tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)


def refuse_empty_reduction(input: Tensor, dims: tuple[int, ...] | None, op: str) -> None:  # noqa: A002
    """PyTorch's refusal of a reduction without an identity (max, argmax, median, ...) over no
    elements: of all of an empty tensor (``dims`` None), or along a dimension of size 0. An
    empty tensor reduced along dimensions that are not empty gives an empty result.

    >>> import chainrule as cr
    >>> refuse_empty_reduction(cr.zeros(0, 3), (1,), "max")  # (0,): nothing to refuse
    >>> refuse_empty_reduction(cr.zeros(0, 3), (0,), "max")
    Traceback (most recent call last):
    IndexError: max(): Expected reduction dim 0 to have non-zero size.
    """
    if input.numel():  # (a batched tensor's _data would be read as the values)
        return
    if dims is None:
        if op.startswith("arg"):
            raise IndexError(
                f"{op}(): Expected reduction dim to be specified for input.numel() == 0."
            )
        raise RuntimeError(
            f"{op}(): Expected reduction dim to be specified for input.numel() == 0. Specify "
            "the reduction dim with the 'dim' argument."
        )
    for d in dims:
        if input.ndim and input.shape[d] == 0:
            raise IndexError(f"{op}(): Expected reduction dim {d} to have non-zero size.")


def argmax(
    input: Tensor,  # noqa: A002
    dim: int | None = None,
    keepdim: bool = False,
    **aliases: Any,
) -> Tensor:
    if aliases:
        dim, keepdim = numpy_aliases("argmax", dim, keepdim, aliases)
    if type(keepdim) is not bool:
        raise mistyped_keepdim("argmax", keepdim)
    return _arg(xp.argmax, input, dim, keepdim)


def argmin(
    input: Tensor,  # noqa: A002
    dim: int | None = None,
    keepdim: bool = False,
    **aliases: Any,
) -> Tensor:
    if aliases:
        dim, keepdim = numpy_aliases("argmin", dim, keepdim, aliases)
    if type(keepdim) is not bool:
        raise mistyped_keepdim("argmin", keepdim)
    return _arg(xp.argmin, input, dim, keepdim)


def _arg(pick: Any, input: Tensor, dim: int | None, keepdim: bool) -> Tensor:  # noqa: A002
    if input.dtype == dtypes.bool:
        raise RuntimeError(f"{pick.__name__}(): does not support bool input")
    if dim is not None:
        dim = one_dim(dim, input.ndim, pick.__name__)
    refuse_empty_reduction(input, None if dim is None else (dim,), pick.__name__)
    return ArgExtreme(pick, dim, keepdim)(input)


def _var_args(
    op: str,
    input: Tensor,  # noqa: A002
    dim: Any,
    unbiased: Any,
    keepdim: Any,
    aliases: dict[str, Any],
) -> Any:
    """``(dim, unbiased, keepdim)`` with NumPy's names and the old overload
    ``op(input, unbiased)`` resolved. ``unbiased`` and ``keepdim`` are bools only, as in
    PyTorch's signatures: ``x.var(1, 1)`` fits none of them (it was read as unbiased)."""
    if aliases:
        dim, keepdim = numpy_aliases(op, dim, keepdim, aliases)
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    if type(keepdim) is not bool or not (unbiased is None or type(unbiased) is bool):
        # the arguments given, as far as they can be told from the defaults
        pairs = ((dim, None), (unbiased, None), (keepdim, False))  # (argument, its default)
        raise arguments.no_overload_as_written(op, (input,), pairs)
    return dim, unbiased, keepdim


def _refuse_integers(input: Tensor, op: str) -> None:  # noqa: A002
    """PyTorch's refusal of a variance of integers or bools (``op`` names it: "std and var",
    "var_mean", "std_mean")."""
    if input.dtype.kind not in "fc":
        raise RuntimeError(f"{op} only support floating point and complex dtypes")


def _correction(unbiased: Any, correction: Any) -> float:
    if correction is not None:
        return correction
    return 1 if unbiased is None or unbiased else 0


def var(
    input: Tensor,  # noqa: A002
    dim: Any = None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: float | None = None,
    **aliases: Any,
) -> Tensor:
    """Variance with Bessel's correction by default (``correction=1``), as in PyTorch."""
    return _variance(Var, input, dim, unbiased, keepdim, correction, aliases)


def std(
    input: Tensor,  # noqa: A002
    dim: Any = None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: float | None = None,
    **aliases: Any,
) -> Tensor:
    """Standard deviation: the square root of :func:`var`."""
    return _variance(Std, input, dim, unbiased, keepdim, correction, aliases)


def _variance(
    op: type[Var],
    input: Tensor,  # noqa: A002
    dim: Any,
    unbiased: Any,
    keepdim: bool,
    correction: Any,
    aliases: dict[str, Any],
    welford: bool = False,
) -> Tensor:
    """:class:`Var` or :class:`Std` of ``input`` with :func:`var`'s arguments."""
    _refuse_integers(input, "std and var")
    name = "std" if op is Std else "var"
    dim, unbiased, keepdim = _var_args(name, input, dim, unbiased, keepdim, aliases)
    dims = normalize_dims(dim, input.ndim, "var")
    whole = dim is None or not input.ndim  # PyTorch's var_backward without dim
    return op(dims, keepdim, _correction(unbiased, correction), whole, welford)(input)


def var_mean(
    input: Tensor,  # noqa: A002
    dim: Any = None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: float | None = None,
    **aliases: Any,
) -> tuple[Tensor, Tensor]:
    """``(var(input, ...), mean(input, ...))`` over the same dimensions, as a tuple.

    >>> import chainrule as cr
    >>> cr.var_mean(cr.tensor([1.0, 2.0, 6.0]))
    (tensor(7.), tensor(3.))
    """
    _refuse_integers(input, "var_mean")
    dim, unbiased, keepdim = _var_args("var_mean", input, dim, unbiased, keepdim, aliases)
    variance = _variance(Var, input, dim, unbiased, keepdim, correction, {}, welford=True)
    means = mean(input, normalize_dims(dim, input.ndim, "var_mean"), keepdim)
    # one node of two outputs in PyTorch's graph, so both carry its name
    return named(variance, "VarMeanBackward0"), named(means, "VarMeanBackward0")


def std_mean(
    input: Tensor,  # noqa: A002
    dim: Any = None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: float | None = None,
    **aliases: Any,
) -> tuple[Tensor, Tensor]:
    """``(std(input, ...), mean(input, ...))`` over the same dimensions, as a tuple."""
    _refuse_integers(input, "std_mean")
    dim, unbiased, keepdim = _var_args("std_mean", input, dim, unbiased, keepdim, aliases)
    deviation = _variance(Std, input, dim, unbiased, keepdim, correction, {}, welford=True)
    means = mean(input, normalize_dims(dim, input.ndim, "std_mean"), keepdim)
    return named(deviation, "StdMeanBackward0"), named(means, "StdMeanBackward0")  # as var_mean


def norm(
    input: Tensor,  # noqa: A002
    p: Any = "fro",
    dim: Any = None,
    keepdim: bool = False,
    **aliases: Any,
) -> Tensor:
    """The p-norm over ``dim`` (2 / "fro" by default; 1 and +-inf are composites)."""
    if aliases:
        dim, keepdim = numpy_aliases("norm", dim, keepdim, aliases)
    if isinstance(p, str) and (p != "fro" or (isinstance(dim, tuple | list) and len(dim) > 2)):
        # PyTorch's norm hands 'nuc' (and what matrix_norm refuses) to matrix_norm, over all
        # dimensions by default
        from chainrule import linalg  # a cycle: linalg's norms are built on this one

        dim = tuple(range(input.ndim)) if dim is None else dim
        return linalg.matrix_norm(input, p, dim, keepdim)
    if type(keepdim) is not bool:  # PyTorch's norm passes it on to vector_norm by position
        raise mistyped("linalg_vector_norm", "keepdim", 4, "bool", keepdim)
    refuse_integer_norm(input)
    dims = normalize_dims(dim, input.ndim, "norm")
    if not isinstance(p, str) and (p < 0 or p == float("inf")) and not input.numel():
        _refuse_norm_without_identity(input, p, dim is not None and dims)
    if p in ("fro", 2, 2.0):
        return Norm2(dims, keepdim)(input)
    # These two are composites here, one linalg_vector_norm node in PyTorch's graph
    if p in (float("inf"), float("-inf")):
        # PyTorch's gradient of a nan norm goes to the nans (as max()'s), where abs's sign is 0:
        # zeros, where amax's finds no element equal to nan and gives nan everywhere. It
        # multiplies the gradient by that mask (a nan gradient is nan everywhere), as amax's.
        extreme = (Amax if p > 0 else Amin)(dims, keepdim, to_nan=True, writes_shares=False)
        extreme = extreme(input.abs())
        return named(extreme, "LinalgVectorNormBackward0")
    if p in (1, 1.0):
        return named(sum(input.abs(), dims, keepdim), "LinalgVectorNormBackward0")
    return NormP(dims, keepdim, p)(input)


def _refuse_norm_without_identity(input: Tensor, p: float, dims: Any) -> None:  # noqa: A002
    """PyTorch's refusal of a norm with no identity (a negative ``p``, or infinity) over no
    elements: of an empty tensor (``dims`` false: all of it), or along an empty dimension."""
    if not dims:
        raise RuntimeError(
            f"linalg.vector_norm cannot compute the {p:g} norm on an empty tensor because the "
            "operation does not have an identity"
        )
    for d in dims:
        if input.shape[d] == 0:  # PyTorch's message has no space after the dimension
            raise RuntimeError(
                f"linalg.vector_norm cannot compute the {p:g} norm on the dimension {d}because "
                "this dimension is empty and the operation does not have an identity"
            )


def refuse_integer_norm(input: Tensor) -> None:  # noqa: A002
    """PyTorch's refusal of a norm of integers or bools (every norm runs linalg.vector_norm)."""
    if input.dtype.kind not in "fc":
        raise RuntimeError(
            "linalg.vector_norm: Expected a floating point or complex tensor as input. "
            f"Got {dtypes.scalar_type_name(input.dtype)}"
        )


def logsumexp(input: Tensor, dim: Any, keepdim: bool = False) -> Tensor:  # noqa: A002
    """``log(sum(exp(x)))`` computed without overflow."""
    if type(keepdim) is not bool:
        raise mistyped_keepdim("logsumexp", keepdim)
    return LogSumExp(normalize_dims(dim, input.ndim, "logsumexp"), keepdim)(input)


def cumsum(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:  # noqa: A002
    """The running sum along ``dim``; integers and bools give int64, or ``dtype``, to which
    the input is cast first."""
    # one int: None is PyTorch's TypeError (Tensor.cumsum checks at its position), a list
    # too, worded as PyTorch words one given by keyword
    refuse_several(dim, "cumsum")
    axis = arguments.dim(dim, input.ndim, "cumsum", "dim", 2)
    refuse_bool_scan(input, dtype, "cumsum_out_cpu")
    # NumPy would give a 0-d tensor shape (1,): it is its own running sum
    return accumulated(input, dtype, lambda x: CumSum(axis)(x) if x.ndim else x.clone())


def refuse_bool_scan(input: Tensor, dtype: Any, kernel: str) -> None:  # noqa: A002
    """PyTorch's refusal of a running sum or product asked for in bool (its kernels have no
    bool version; a 0-d tensor, its own result, passes)."""
    if dtype is not None and dtypes.as_dtype(dtype) == dtypes.bool and input.ndim:
        raise dtypes.not_implemented_for(kernel, xp.dtype(bool))
