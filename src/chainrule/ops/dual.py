"""Math that rules call, working on arrays (plain backward) and on Tensors (``create_graph``).

A derivative rule written with these entries and Python operators runs unchanged in both modes:
on arrays it is plain NumPy (fast), on Tensors every step is recorded, so the backward pass can
itself be differentiated. Each entry is one row that says, side by side, what it is on arrays
and what it is on Tensors; :func:`both` makes the row a function and holds the only type test:

    >>> import numpy as np
    >>> import chainrule as cr
    >>> cos(np.zeros(2))                                   # arrays in: NumPy
    array([1., 1.])
    >>> swap_last(cr.ones(2, 3, requires_grad=True)).grad_fn.name()   # a Tensor in: recorded
    'TransposeBackward0'

Op modules add rows of their own the same way (``dual.both(on_arrays, on_tensors)``).
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from operator import methodcaller
from typing import Any

from chainrule import _blas, dtypes, grad_mode, memory_formats
from chainrule._array import add_at, xp
from chainrule.ops.special import erf as _erf_arrays
from chainrule.ops.special import erfinv as _erfinv_arrays
from chainrule.tensor import Tensor


def both(
    on_arrays: Callable[..., Any] | str,
    on_tensors: Callable[..., Any],
    params: str = "x",
    operands: tuple[str, ...] = (),
    constants: dict[str, Any] | None = None,
) -> Any:
    """One entry of the vocabulary: ``on_tensors(...)`` when one of the ``operands`` is a
    Tensor, else ``on_arrays(...)``, both called with the arguments as given.

    ``params`` is the entry's parameter list, as in a ``def``; ``operands`` names those that
    hold values (by default the first; ``"*xs"`` for each value in the sequence ``xs``), the
    others (axes, shapes, dtypes) pass through. The entry is generated as one function, as
    ``dataclasses`` generates ``__init__``: the array side, the plain backward's hot path, is
    called straight from it, as from a hand-written dispatcher (a generic ``*args, **kwargs``
    wrapper costs ~0.2 us a call more, a quarter of ``exp`` on a small array).

        >>> square = both(xp.square, lambda t: t * t)
        >>> square(xp.array([3.0]))
        array([9.])

    ``on_arrays`` may also be an expression over the parameters (and the names in
    ``constants``), written into the entry itself: one Python frame fewer on arrays, where a
    rule of one small operation pays ~400 instructions per frame (``one_minus`` in tanh's
    derivative).

        >>> twice = both("x + x", lambda t: 2 * t)
        >>> twice(xp.array([3.0]))
        array([6.])
    """
    signature = ast.parse(f"def entry({params}): pass").body[0].args
    names = [a.arg for a in signature.args]
    tested = operands or (names[0],)
    known = set(names) | {a.arg for a in signature.kwonlyargs}
    if signature.vararg:
        known.add(signature.vararg.arg)
    unknown = [name for name in tested if name.lstrip("*") not in known]
    if unknown:
        raise ValueError(f"both: operands {unknown} are not parameters of ({params})")
    # An array is told apart by its exact type first: cheaper than isinstance (~150
    # instructions of the entry's ~600), and arrays are the plain backward's hot path.
    test = " or ".join(
        f"any([isinstance(v, _Tensor) for v in {name[1:]}])"
        if name.startswith("*")
        else f"(type({name}) is not _ndarray and isinstance({name}, _Tensor))"
        for name in tested
    )
    star = [f"*{signature.vararg.arg}"] if signature.vararg else []
    args = ", ".join(names + star + [f"{a.arg}={a.arg}" for a in signature.kwonlyargs])
    label = f"both({_label(on_arrays)}, {_label(on_tensors)})"
    on_arrays_call = on_arrays if isinstance(on_arrays, str) else f"_arrays({args})"
    source = (
        f"def entry({params}):\n"
        f"    if {test}:\n"
        f"        return _tensors({args})\n"
        f"    return {on_arrays_call}\n"
    )
    scope: dict[str, Any] = {"_Tensor": Tensor, "_ndarray": _ndarray}
    scope.update(_arrays=on_arrays, _tensors=on_tensors)
    scope.update(constants or {})
    scope["__name__"] = __name__
    exec(compile(source, f"<dual.{label}>", "exec"), scope)
    entry = scope["entry"]
    entry.__qualname__ = label
    entry.on_arrays = on_arrays
    entry.on_tensors = on_tensors
    return entry


def _label(side: Callable[..., Any] | str) -> str:
    if isinstance(side, str):
        return repr(side)
    return getattr(side, "__qualname__", None) or getattr(side, "__name__", repr(side))


# ------------------------------------------------------------------ special cases' two sides
def _sigmoid_arrays(x: Any) -> Any:
    """PyTorch's ``1 / (1 + exp(-x))``: far to the left exp overflows to inf and the result
    is 0, as PyTorch's, where the true value is below the dtype's smallest normal number
    (no warning: an overflow to inf is the answer there). NumPy's logaddexp, for a form that
    never overflows, took 30-40x longer (float32, 1,797 x 128: 4.7 ms, 0.13 ms so). A half's
    in float32, rounded once, as PyTorch's (three roundings to float16 lose a bit)."""
    if x.dtype == xp.float16:
        return _sigmoid_arrays(x.astype(xp.float32)).astype(xp.float16)
    with xp.errstate(over="ignore"):
        e = xp.exp(-x)
    if type(e) is not xp.ndarray:  # a 0-d input gives a NumPy scalar
        return 1 / (1 + e)
    e += 1
    return xp.reciprocal(e, out=e)


def _sign_arrays(x: Any) -> Any:
    """-1, 0 or 1; 0 at nan, as in PyTorch (NumPy gives nan)."""
    out = xp.sign(x)
    return xp.where(out == out, out, 0) if out.dtype.kind == "f" else out


def _where_tensors(condition: Any, a: Any, b: Any) -> Any:
    from chainrule.ops.elementwise import where

    return where(condition, a, b)


def _attached_tensors(grad: Any, source: Any) -> Any:
    if not (isinstance(source, Tensor) and source.requires_grad and grad_mode.modes.enabled):
        return grad
    from chainrule.ops.inplace import zero_derivative

    return zero_derivative(grad, source)


def _zeros_like_tensors(x: Any) -> Any:
    from chainrule.factories import zeros_like

    return zeros_like(x)


def _sum_arrays(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    return x.sum(axis=axis, keepdims=keepdims)


def _sum_tensors(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    if axis == ():  # NumPy's meaning, the arrays' rule's: no axis (PyTorch's dim=() is all of
        return x  # them; a reduction of a 0-d example under vmap then summed the batch)
    return x.sum(dim=axis, keepdim=keepdims)


def _unsqueeze_arrays(x: Any, dims: tuple[int, ...]) -> Any:
    """``xp.expand_dims(x, dims)`` for non-negative ``dims``, as one reshape: NumPy's first
    normalises the axes in Python (~17k instructions for a 0-d gradient, a reduction's vjp)."""
    shape = list(x.shape)
    for d in sorted(dims):
        shape.insert(d, 1)
    return x.reshape(shape)


def _unsqueeze_tensors(x: Any, dims: tuple[int, ...]) -> Any:
    for d in dims:
        x = x.unsqueeze(d)
    return x


def _matmul_arrays(a: Any, b: Any, like: Any = None) -> Any:
    """``a @ b``; where the summed dimension has size 1 an outer product (the weight gradients
    of per-example gradients under ``vmap``), which :func:`_blas.outer` writes without NumPy's
    slow loop over stacked tiny matrices. ``like``: the operand whose gradient the product is;
    an outer product is then laid out as it is, row-major or transposed, as PyTorch's ``mm``
    lays out a gradient as its operand (``mm_mat2_backward``), so that a weight's gradient
    has the weight's layout: under vmap, a linear layer reads ``W^T``, and its per-example
    weight gradients come out contiguous, as torch.func's. Without ``like`` (or for another
    product) the writer's layout, possibly a transposed view."""
    if a.ndim >= 2 and b.ndim >= 2 and a.shape[-1] == 1:
        if like is None or like.ndim < 2:
            return _blas.outer(a, b)
        return _blas.outer(a, b, like.strides[-2] < like.strides[-1])
    return _blas.matmul(a, b)


def _matmul_tensors(a: Any, b: Any, like: Any = None) -> Any:
    """``a @ b``; an outer product (summed dimension of size 1) as a broadcast multiply, which
    records one elementwise node instead of a matmul over stacked tiny matrices (``like``, a
    layout for the arrays' rule, is not read)."""
    if a.ndim >= 2 and b.ndim >= 2 and a.shape[-1] == 1:
        return a * b
    return a @ b


def _scatter_along_arrays(values: Any, indices: Any, axis: int, shape: tuple[int, ...]) -> Any:
    out = xp.zeros(shape, dtype=values.dtype)
    add_at(out, _along_axis_index(indices, axis), values)
    return out


def _scatter_along_tensors(values: Any, indices: Any, axis: int, shape: tuple[int, ...]) -> Any:
    from chainrule.factories import zeros

    return zeros(shape, dtype=values.dtype).scatter_add(axis, indices, values)


def _along_axis_index(indices: Any, axis: int) -> tuple[Any, ...]:
    """The fancy index that ``take_along_axis`` uses; ``add_at`` sums repeated targets."""
    grids = list(xp.ogrid[tuple(slice(n) for n in indices.shape)])
    grids[axis] = indices
    return tuple(grids)


def _concatenate_tensors(xs: list[Any], axis: int) -> Any:
    from chainrule.factories import as_tensor
    from chainrule.ops.shape import cat

    return cat([as_tensor(x) for x in xs], axis)


def _pad_tensors(x: Any, widths: tuple[tuple[int, int], ...]) -> Any:
    from chainrule.ops.shape import pad

    return pad(x, [w for lo_hi in reversed(widths) for w in lo_hi])  # PyTorch: last dim first


def _einsum_tensors(equation: str, *operands: Any) -> Any:
    from chainrule.ops.linalg import einsum

    return einsum(equation, *operands)


def _inv_tensors(x: Any) -> Any:
    from chainrule.linalg import inv

    return inv(x)


def _solve_tensors(a: Any, b: Any) -> Any:
    from chainrule.linalg import solve

    return solve(a, b)


def _softplus_tensors(x: Any) -> Any:
    from chainrule.ops.elementwise import softplus

    # log(1 + exp(x)) everywhere, as the arrays' logaddexp: nn's softplus returns x itself
    # above its threshold (20), 1e-10 off the exact value just above it
    return softplus(x, threshold=float("inf"))


def _broadcast_to_arrays(x: Any, shape: tuple[int, ...]) -> Any:
    """``xp.broadcast_to(x, shape)``, a read-only view. Where the view is zero strides in
    front of ``x``'s own, it is made directly: NumPy's ``broadcast_to`` first builds an
    iterator (~25k instructions, as much as 60 small ops). So it is for a single value (the
    gradient of a whole sum or mean, once per ``loss.backward()``) and for new leading
    dimensions only (a parameter given to every example of ``vmap(grad(f))``)."""
    if type(x) is _ndarray and (lead := len(shape) - x.ndim) >= 0:
        if x.size == 1:
            strides = (0,) * len(shape)
        elif x.size and x.flags.c_contiguous and tuple(shape[lead:]) == x.shape:
            strides = (0,) * lead + x.strides
        else:
            return xp.broadcast_to(x, shape)
        view = _ndarray(shape, x.dtype, x, 0, strides)
        view.setflags(write=False)
        return view
    return xp.broadcast_to(x, shape)


_ndarray = xp.ndarray


class _Ones(dict):  # type: ignore[type-arg]
    """1 as a read-only 0-d array of each dtype met, made on first use: NumPy converts a Python
    1 to the other operand's dtype on every call, which costs as much as the subtraction on a
    small array (``_ONES[x.dtype] - x`` is one lookup, no call, when the dtype was met)."""

    def __missing__(self, dtype: Any) -> Any:
        one = self[dtype] = xp.ones((), dtype)
        one.flags.writeable = False
        return one


_ONES = _Ones()

_BITS = {2: xp.uint16, 4: xp.uint32, 8: xp.uint64}  # an unsigned integer of each float's size


def as_bits(x: Any) -> Any:
    """The float array ``x`` viewed as unsigned integers of its size: its bits times a 0/1
    mask, an integer product, are its bits or zero's (+0.0), whatever it holds (nan, inf,
    -0.0), where a float product gives nan for an inf or nan and -0.0 for a negative.

    >>> as_bits(xp.array([-0.0], xp.float32))
    array([2147483648], dtype=uint32)
    """
    return x.view(_BITS[x.dtype.itemsize])


def _where_arrays(condition: Any, a: Any, b: Any) -> Any:
    """NumPy's ``where``; for two float32 or float64 arrays (or NumPy scalars) of one dtype,
    each of the condition's shape or 0-d, their bits blended by the condition, from 8,192
    elements up.

    NumPy's where branches on each element, and a random condition (the signs of a layer's
    activations) is mispredicted half the time: float32, 1,797 x 128, 1.12 ms, 0.13 ms
    blended; 65,536: 302 us, 39 us. Where the branches are predictable blending costs the
    same (all true: 125 us, 131 us), and below 8,192 elements the extra calls cost more.
    Each bit pattern is kept (nan, inf, -0.0): an integer product by the 0/1 condition gives
    a's bits or zeros, and one of the two sums is zero.

        >>> c = xp.arange(8192) % 3 == 0
        >>> bool((_where_arrays(c, xp.ones(8192), xp.array(-0.0)) == xp.where(c, 1.0, -0.0)).all())
        True
    """
    if (
        type(condition) is _ndarray
        and condition.size >= _BLEND_FROM
        and condition.dtype is _BOOL
        and type(a) in _BLENDABLE
        and type(b) in _BLENDABLE
        and a.dtype is b.dtype
        and a.dtype in dtypes.SINGLE_AND_DOUBLE
        and a.shape in (condition.shape, ())
        and b.shape in (condition.shape, ())
    ):
        out = xp.multiply(as_bits(a), condition)
        out += xp.multiply(as_bits(b), ~condition)
        return out.view(a.dtype)
    return xp.where(condition, a, b)


_BLEND_FROM = 8192
_BLENDABLE = (xp.ndarray, xp.float32, xp.float64)  # arrays, and NumPy's scalars (dual.typed)
_BOOL = xp.dtype(bool)


def _zeros_in_layout(x: Any) -> Any:
    """Zeros of the array ``x``'s shape, dtype and strides (calloc'd where those are C's),
    or None where ``x`` is not dense (a broadcast, a step)."""
    if x.flags.c_contiguous:
        return xp.zeros(x.shape, x.dtype)
    if not memory_formats.is_dense_array(x):
        return None
    zeros = xp.empty_like(x)
    zeros.fill(0)
    return zeros


def positive_part(x: Any) -> Any:
    """``max(x, 0)`` of an array, -0.0 and nan kept (relu). Against an array of zeros, not
    the number: NumPy's maximum has no vector loop for a broadcast operand (float32,
    64 x 128: 4.3 us so, 1.8 us by zeros; 1,797 x 128: 101 us, 29 us; a conv's 32 x 32 x 8 x 8
    output, batch innermost: 30 us, 9 us). The zeros, in x's layout, are the output; a view
    that is not dense gets the layout NumPy's loop gives every elementwise result. On a tie
    NumPy's maximum gives its second operand: x's -0.0.

        >>> positive_part(xp.array([-1.0, -0.0, xp.nan, 2.0]))
        array([ 0., -0., nan,  2.])
    """
    zeros = _zeros_in_layout(x)
    if zeros is None:
        return xp.maximum(0, x)
    return xp.maximum(zeros, x, out=zeros)


def negative_part(x: Any) -> Any:
    """``min(x, 0)`` of an array, -0.0 and nan kept: :func:`positive_part`'s minimum.

    >>> negative_part(xp.array([-1.0, -0.0, xp.nan, 2.0]))
    array([-1., -0., nan,  0.])
    """
    zeros = _zeros_in_layout(x)
    if zeros is None:
        return xp.minimum(0, x)
    return xp.minimum(zeros, x, out=zeros)


def _softplus_arrays(x: Any) -> Any:
    """``log(1 + exp(x))`` as ``max(x, 0) + log1p(exp(-|x|))``, which neither overflows nor
    loses small values: NumPy's logaddexp(0, x) computes the same, in a scalar loop 20-30x
    slower (float32, 1,797 x 128: 4 ms)."""
    if type(x) is not _ndarray or not x.ndim or x.dtype not in dtypes.SINGLE_AND_DOUBLE:
        return xp.logaddexp(0, x)
    out = xp.abs(x)
    xp.negative(out, out=out)
    xp.exp(out, out=out)
    xp.log1p(out, out=out)
    out += positive_part(x)
    return out


def clamp_arrays(x: Any, lo: Any, hi: Any) -> Any:
    """``x`` where it lies within the Python numbers ``lo`` and ``hi`` (either may be None),
    else the bound it passes, the upper one last: a nan stays nan, and -0 against a bound of
    0 stays -0 (``x < lo`` is false there), as in PyTorch.

    On C-ordered float32 and float64 arrays with both bounds this is NumPy's ``clip``, one
    vector pass that gives the same bits: x on a tie (-0 against 0), a nan of x or of a bound,
    the upper bound where they cross (checked over every pairing of ±0, ±inf, nan and finite
    values and bounds; float32, 1,797 x 128: 32 us, against 83 us as below). With one bound
    NumPy's clip is a maximum or minimum against the number, which gives the bound on a tie;
    there the bound is a filled array, written over by NumPy's maximum or minimum, which give
    their second operand, ``x``, on a tie and a nan of either: the same numbers as the two
    ``where``, which are 10-30x slower, as are maximum and minimum against a number (no vector
    loop for a broadcast operand; float32, 1,797 x 128, both bounds: 930 us, 80 us so).

        >>> clamp_arrays(xp.array([-2.0, -0.0, 0.5, xp.nan, 3.0]), 0.0, 1.0)
        array([ 0. , -0. ,  0.5,  nan,  1. ])
    """
    if x.dtype in dtypes.SINGLE_AND_DOUBLE and x.flags.c_contiguous and x.ndim:
        if type(lo) in _PYTHON_REALS and type(hi) in _PYTHON_REALS:
            return xp.clip(x, lo, hi)
        out = x
        if lo is not None:
            out = xp.full(x.shape, lo, x.dtype)
            xp.maximum(out, x, out=out)
        if hi is not None:
            bound = xp.full(x.shape, hi, x.dtype)
            out = xp.minimum(bound, out, out=bound)
        return out
    out = x if lo is None else xp.where(x < lo, lo, x)
    return out if hi is None else xp.where(out > hi, hi, out)


# Bounds that NumPy's clip converts to x's dtype (a NumPy float64 scalar would promote x).
_PYTHON_REALS = (int, float)


def _clamp_min_arrays(x: Any, low: Any) -> Any:
    """``max(x, low)`` of an array and a Python float (nan kept): :func:`clamp_arrays`."""
    if type(x) is _ndarray and type(low) is float:
        return clamp_arrays(x, low, None)
    return xp.maximum(x, low)


def _passed_arrays(g: Any, mask: Any) -> Any:
    """``g`` where ``mask``, else +0.0 (see ``as_bits``): as fast as ``g * mask``."""
    return xp.multiply(as_bits(g), mask).view(g.dtype)


def _einsum_arrays(equation: str, *operands: Any) -> Any:
    """NumPy's einsum; of float16 operands in float32 and rounded once, as PyTorch's products
    (NumPy's loop summed in float16)."""
    if operands[0].dtype == xp.float16:
        return xp.einsum(equation, *operands, dtype=xp.float32).astype(xp.float16)
    return xp.einsum(equation, *operands)


def _cumsum_arrays(x: Any, axis: int) -> Any:
    """NumPy's running sum, a float16 one in float32 and rounded once, as PyTorch's kernel
    (summed in float16, 2048 + 1 + 1 stayed 2048)."""
    if x.dtype == xp.float16:
        return xp.cumsum(x, axis, dtype=xp.float32).astype(xp.float16)
    return xp.cumsum(x, axis)


# ------------------------------------------------------------------------------ the vocabulary
# 1 - x, as in ``1 - tanh(x)**2``
one_minus = both("_ONES[x.dtype] - x", lambda x: 1 - x, constants={"_ONES": _ONES})
exp = both(xp.exp, methodcaller("exp"))
log = both(xp.log, methodcaller("log"))
log1p = both(xp.log1p, methodcaller("log1p"))
logit = both(lambda x: xp.log(x / (1 - x)), methodcaller("logit"))  # PyTorch's formula
sin = both(xp.sin, methodcaller("sin"))
cos = both(xp.cos, methodcaller("cos"))
sinh = both(xp.sinh, methodcaller("sinh"))
cosh = both(xp.cosh, methodcaller("cosh"))
tanh = both(xp.tanh, methodcaller("tanh"))
sqrt = both(xp.sqrt, methodcaller("sqrt"))
sigmoid = both(_sigmoid_arrays, methodcaller("sigmoid"))
erf = both(_erf_arrays, methodcaller("erf"))
erfinv = both(_erfinv_arrays, methodcaller("erfinv"))
abs = both(xp.abs, methodcaller("abs"))  # noqa: A001 - mirrors numpy
sign = both(_sign_arrays, methodcaller("sign"))
# ``log(1 + exp(x))`` without overflow.
softplus = both(_softplus_arrays, _softplus_tensors)
clamp_min = both(_clamp_min_arrays, lambda x, low: x.clamp(min=low), "x, low")
where = both(_where_arrays, _where_tensors, "condition, a, b", ("condition", "a", "b"))
# g where the mask holds, else 0, as PyTorch's threshold_backward (ReLU's derivative)
passed = both(_passed_arrays, lambda g, mask: _where_tensors(mask, g, 0), "g, mask", ("g", "mask"))
# A gradient that PyTorch's backward kernel computes from ``source`` (threshold_backward reads
# relu's output, max_pool2d's backward its input): recorded (under create_graph) as depending
# on source with derivative zero, so that a second derivative reaches source, as zeros, where
# the gradient holds no other graph (PyTorch's ThresholdBackwardBackward0).
attached = both("grad", _attached_tensors, "grad, source", ("grad", "source"))
zeros_like = both(xp.zeros_like, _zeros_like_tensors)
sum = both(_sum_arrays, _sum_tensors, "x, axis=None, keepdims=False")  # noqa: A001
broadcast_to = both(_broadcast_to_arrays, Tensor.expand, "x, shape")
# Re-insert reduced dimensions (sorted, non-negative) as size 1.
unsqueeze_dims = both(_unsqueeze_arrays, _unsqueeze_tensors, "x, dims")
matmul = both(_matmul_arrays, _matmul_tensors, "a, b, like=None", ("a", "b"))
# Transpose the last two dimensions.
swap_last = both(lambda x: x.swapaxes(-1, -2), lambda x: x.transpose(-1, -2))
# A C-contiguous array: BLAS needs one, and a broadcast gradient is a stride-0 view.
contiguous = both(xp.ascontiguousarray, lambda x: x)
astype = both(lambda x, dtype: x.astype(dtype, copy=False), Tensor.to, "x, dtype")
flip = both(xp.flip, Tensor.flip, "x, axis")
cumsum = both(_cumsum_arrays, Tensor.cumsum, "x, axis")
permute = both(lambda x, axes: x.transpose(axes), Tensor.permute, "x, axes")
roll = both(xp.roll, Tensor.roll, "x, shifts, axes")
tril = both(xp.tril, Tensor.tril, "x, k=0")
inv = both(xp.linalg.inv, _inv_tensors)
# ``a^-1 b`` for a matrix (or batch of matrices) ``b``.
solve = both(xp.linalg.solve, _solve_tensors, "a, b", ("a", "b"))
concatenate = both(xp.concatenate, _concatenate_tensors, "xs, axis", ("*xs",))
pad = both(xp.pad, _pad_tensors, "x, widths")
einsum = both(_einsum_arrays, _einsum_tensors, "equation, *operands", ("*operands",))
# Zeros of ``shape`` with ``values`` added at ``indices`` along ``axis`` (gather's vjp).
scatter_along = both(_scatter_along_arrays, _scatter_along_tensors, "values, indices, axis, shape")
# ``x`` picked at ``indices`` along ``axis`` (scatter_add's vjp).
gather_along = both(xp.take_along_axis, lambda x, i, axis: x.gather(axis, i), "x, indices, axis")


def typed(x: Any, value: float) -> Any:
    """``value`` as a scalar of x's dtype, so constants don't promote float32 to float64 (the
    same on both: arrays and Tensors have a NumPy dtype)."""
    return x.dtype.type(value)
