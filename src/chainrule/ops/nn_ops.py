"""Neural-network ops fused for numerical stability or speed: softmax, log-softmax, linear.

Composed from exp, sum and div, softmax overflows for large inputs; the fused forward subtracts
the maximum first, and the fused vjp is the short closed form of the Jacobian product. A linear
layer composed from transpose, matmul and add records three nodes and allocates the sum anew;
fused, it is one node, and one BLAS call that adds the bias as it multiplies (PyTorch's addmm).

    >>> import chainrule as cr
    >>> cr.softmax(cr.tensor([1000.0, 1000.0]), dim=0)
    tensor([0.5000, 0.5000])
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from chainrule import _blas, _buffers, dtypes
from chainrule._array import xp
from chainrule.autodiff import batching
from chainrule.op import Bilinear, HookInputs, Op, named
from chainrule.ops import dual, linalg
from chainrule.ops.elementwise import _floating
from chainrule.ops.reduce import one_dim
from chainrule.tensor import Tensor


class _Normalized(Op, abstract=True):
    """Softmax's family: normalized along ``dim``; its rules read the output, not the input."""

    half_in_float32 = True

    batch_rule = staticmethod(batching.along_dim)
    saves_inputs = False
    saves_output = True

    def __init__(self, dim: int) -> None:
        self.dim = dim


class Softmax(_Normalized):
    notation = "exp(x_i) / sum_j exp(x_j)"
    derivatives = ("s_i (delta_ij - s_j)",)

    def forward(self, x):
        x = xp.asarray(_floating(x), order="C")  # PyTorch's output is contiguous, as its input
        # initial: an empty dim has no maximum; its softmax is empty, as in PyTorch.
        e = xp.exp(x - _reduce(xp.maximum, x, self.dim, initial=-xp.inf))
        e /= _reduce(xp.add, e, self.dim)
        return e

    def _vjp_tensors(self, g, out, x):
        # J^T g with J = diag(s) - s s^T, without forming J.
        return (out * (g - dual.sum(g * out, self.dim, keepdims=True)),)

    def _vjp_arrays(self, g, out, x):
        # The same, each row's sum of g s by row_dots, the rest in place: 1,797 x 128 float32
        # in 92 us, not 146.
        if not row_sums_fit(out, self.dim) or g.shape != out.shape or g.dtype != out.dtype:
            return self._vjp_tensors(g, out, x)
        n = out.shape[-1]
        sums = row_dots(g.reshape((-1, n)), out.reshape((-1, n)))
        grad = g - sums.reshape((*out.shape[:-1], 1))
        grad *= out
        return (grad,)

    vjp = dual.both(_vjp_arrays, _vjp_tensors, "self, g, out, x", ("g",))

    def jvp(self, tangents, out, x):
        t = tangents[0]
        return out * (t - dual.sum(t * out, self.dim, keepdims=True))


class LogSoftmax(_Normalized):
    notation = "x_i - log(sum_j exp(x_j))"
    derivatives = ("delta_ij - softmax(x)_j",)

    def forward(self, x):
        x = _floating(x)
        if _short_rows(x, self.dim):
            return self._forward_by_columns(x)
        x = xp.asarray(x, order="C")  # PyTorch's output is contiguous, as its input
        shifted = x - _reduce(xp.maximum, x, self.dim, initial=-xp.inf)
        shifted -= xp.log(_reduce(xp.add, xp.exp(shifted), self.dim))
        return shifted

    @staticmethod
    def _forward_by_columns(x):
        """The forward on many short rows (cross-entropy's logits), all of it on one
        transposed copy, so that every step runs along the long axis: the same numbers as
        :func:`_reduce`'s two transposed reductions give, in two copies (in and out) rather
        than two and with no broadcast along the short rows (64 x 10: 106k instructions,
        81k so)."""
        n = x.ndim
        # a copy always: the steps below write into it, and for rows of one element the
        # transpose is already contiguous (ascontiguousarray gave x itself, which they changed)
        columns = xp.array(x.transpose((n - 1, *range(n - 1))), order="C")
        columns -= xp.maximum.reduce(columns, axis=0, keepdims=True, initial=-xp.inf)
        columns -= xp.log(xp.add.reduce(xp.exp(columns), axis=0, keepdims=True))
        return xp.ascontiguousarray(columns.transpose((*range(1, n), 0)))

    def vjp(self, g, out, x):
        return (self._vjp(g, out),)

    def _vjp_tensors(self, g, out):
        return g - dual.exp(out) * dual.sum(g, self.dim, keepdims=True)

    def _vjp_arrays(self, g, out):
        # The same sum in one new array, not three: after cross-entropy's NLL, g is -1/N at
        # each target and 0 elsewhere, so this is PyTorch's fused (softmax - onehot) / N.
        grad = xp.exp(out)
        grad *= -_reduce(xp.add, g, self.dim)
        grad += g
        return grad

    _vjp = dual.both(_vjp_arrays, _vjp_tensors, "self, g, out", ("g",))

    def jvp(self, tangents, out, x):
        t = tangents[0]
        return t - dual.sum(dual.exp(out) * t, self.dim, keepdims=True)


# NumPy reduces a short last axis one row at a time, at 100-250 ns a row: the row maxima of
# 1,797 x 10 logits took 0.26-0.4 ms, more than the rest of cross-entropy together. Rows up to
# this length are transposed first (one copy, ~10 us there) and reduced column by column,
# which NumPy vectorizes across the rows (measured crossover: 32 for max and sum, float32),
# when there are enough rows to pay for the copy (10 columns: 2.9 vs 3.6 us at 8 rows, 5.4
# vs 3.8 us at 32).
_SHORT_ROW = 32
_MANY_ROWS = 32


def _short_rows(x, axis):
    """Whether ``axis`` is the last of many short rows, which reduce faster transposed."""
    n = x.ndim
    return (
        axis == n - 1 and n > 1 and x.shape[-1] <= _SHORT_ROW and x.size >= _MANY_ROWS * x.shape[-1]
    )


def _reduce(ufunc, x, axis, **kwargs):
    """``ufunc.reduce(x, axis, keepdims=True)`` on an array, fast for many short rows, and a
    sum along longer rows by :func:`row_sums`.

    >>> _reduce(xp.maximum, xp.array([[1.0, 3.0], [4.0, 2.0]]), 1)
    array([[3.],
           [4.]])
    """
    n = x.ndim
    if _short_rows(x, axis):
        # Plain transposes: NumPy 2's expand_dims and moveaxis keep 48 bytes per call alive.
        columns = xp.ascontiguousarray(x.transpose((axis, *range(axis))))
        return ufunc.reduce(columns, axis=0, keepdims=True, **kwargs).transpose((*range(1, n), 0))
    if ufunc is xp.add and axis == n - 1 and n > 1 and not kwargs:
        return row_sums(x.reshape((-1, x.shape[-1]))).reshape((*x.shape[:-1], 1))
    return ufunc.reduce(x, axis=axis, keepdims=True, **kwargs)


def row_sums(rows):
    """Each row's sum of the matrix ``rows``, as a column.

    NumPy sums along rows of a few hundred values one row at a time (1,797 x 128 float32:
    65 us); for float32 rows one BLAS product with a vector of ones takes 10 us. It sums
    without NumPy's pairwise steps, whose rounding error grows with the square root of the
    row's length rather than with the length: rows of :data:`PAIRWISE_FROM` values or more
    keep NumPy's sum, and so does float64, asked for where the last bits matter (its
    pairwise sums often equal PyTorch's to the bit; a BLAS sum's order is another).

    >>> row_sums(xp.ones((2, 3), dtype=xp.float32))
    array([[3.],
           [3.]], dtype=float32)
    """
    # (a row that is no contiguous run, a broadcast gradient's, would be copied for BLAS)
    if not row_sums_fit(rows, 1) or rows.strides[1] != rows.itemsize:
        return rows.sum(1, keepdims=True)
    return _blas.matmul(rows, _buffers.constant(xp.ones, rows.shape[1], rows.dtype))[:, None]


def row_dots(a, b):
    """Each row's sum of ``a * b`` (matrices of one shape), as a column: by ``einsum`` where
    the rows fit (:func:`row_sums_fit`), which makes no temporary ``a * b`` and is not
    NumPy's sum one row at a time (1,797 x 128 float32: 29 us, not 65); else NumPy's.

    >>> row_dots(xp.ones((2, 3), dtype=xp.float32), xp.full((2, 3), 2, dtype=xp.float32))
    array([[6.],
           [6.]], dtype=float32)
    """
    if not row_sums_fit(a, 1):
        return (a * b).sum(1, keepdims=True)
    return xp.einsum("ij,ij->i", a, b)[:, None]


def row_sums_fit(x, axis):
    """Whether sums along ``axis`` of the array ``x`` are rows that :func:`row_sums` and
    :func:`row_dots` take: the last axis of a float32 array, rows shorter than
    :data:`PAIRWISE_FROM` (see row_sums)."""
    return (
        x.dtype is _FLOAT32
        and x.ndim > 1
        and axis in (-1, x.ndim - 1)
        and x.shape[-1] < PAIRWISE_FROM
    )


#: Rows of at least this many values are summed by NumPy's pairwise sum (see row_sums).
PAIRWISE_FROM = 8192
_FLOAT32 = xp.dtype("float32")


class Linear(Bilinear):
    notation = "x @ W^T + b"
    derivatives = ("g @ W", "g^T @ x (summed over the batch)", "g (summed over the batch)")
    batch_rule = staticmethod(batching.linear)
    factors = 2  # x and W; the bias is added
    reads = ((1,), (0,), ())

    def default_name(self) -> str:
        # PyTorch: addmm (or mm without a bias) on 2-d input, reshaped around it otherwise.
        x, bias = self.inputs[0], self.inputs[2] if len(self.inputs) > 2 else None
        if x.ndim == 2:
            return "MmBackward0" if bias is None else "AddmmBackward0"
        if bias is None:
            return "SqueezeBackward4" if x.ndim == 1 else "UnsafeViewBackward0"
        return "ViewBackward0"

    def forward(self, x, w, b=None):
        # w.T is a view: BLAS reads it transposed, no copy
        if b is None:
            return _blas.matmul(x, w.T)
        if x.dtype is dtypes.HALF:  # PyTorch's addmm adds the float32 product, rounds once
            f32 = dtypes.HALF_OPMATH
            return (_blas.matmul(x.astype(f32), w.T.astype(f32)) + b).astype(x.dtype)
        return _blas.addmm(b, x, w.T)

    def _vjp_tensors(self, g, out, x, w, b=None):
        # Leading (batch) dimensions of x and g flatten into one: dW and db sum over them.
        g2 = g.reshape((-1, g.shape[-1]))
        gx = dual.matmul(g, w) if self.needs[0] else None
        x2 = x.reshape((-1, x.shape[-1]))
        gw = dual.matmul(dual.swap_last(g2), x2) if self.needs[1] else None
        if b is None:  # one gradient per input: the backward pass reads no more
            return (gx, gw)
        return (gx, gw, g2.sum(0) if self.needs[2] else None)

    def _vjp_arrays(self, g, out, x, w, b=None):
        # The same rule, its steps called directly: through dual's entries it ran five more
        # Python frames per layer that only asked whether the values were Tensors.
        g = xp.ascontiguousarray(g)  # a broadcast gradient (from sum) is a stride-0 view
        g2 = g if g.ndim == 2 else g.reshape((-1, g.shape[-1]))
        needs = self.needs
        gx = _matmul_arrays(g, w) if needs[0] else None
        if needs[1]:
            x2 = x if x.ndim == 2 else x.reshape((-1, x.shape[-1]))
            gw = _matmul_arrays(g2.swapaxes(-1, -2), x2, w)  # laid out as w (one example)
        else:
            gw = None
        if b is None:  # one gradient per input: the backward pass reads no more
            return (gx, gw)
        return (gx, gw, column_sums(g2) if needs[2] else None)

    vjp = dual.both(_vjp_arrays, _vjp_tensors, "self, g, out, x, w, b=None", ("g", "x", "w"))


# dual's matmul on arrays, called directly by Linear's rule
_matmul_arrays = dual.matmul.on_arrays


def column_sums(g):
    """``g.sum(0)`` of a matrix; on float arrays a product with a vector of ones, which BLAS
    runs 3-4x faster than NumPy's row-by-row sum (1,797 x 128 float32: 45 us, not 160-230)
    once there are enough rows to pay for the call (128 columns: 4.4 us both ways at 64 rows,
    2.6 vs 4.1 us at 8)."""
    if g.dtype not in dtypes.SINGLE_AND_DOUBLE or g.shape[0] < _BLAS_ROWS:
        return g.sum(0)
    return _blas.matmul(_buffers.constant(xp.ones, g.shape[0], g.dtype), g)


_BLAS_ROWS = 64


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``y[..., o] = input1[..., i] weight[o, i, j] input2[..., j] + bias[o]``: one
    ``einsum``, whose rules give the three gradients (``nn.Bilinear``'s map).

    >>> import chainrule as cr
    >>> bilinear(cr.ones(2, 3), cr.ones(2, 4), cr.ones(5, 3, 4)).shape
    chainrule.Size([2, 5])
    """
    if input1.ndim != input2.ndim:
        raise RuntimeError(
            f"bilinear(): input dimensions do not match: got {input1.ndim} and {input2.ndim}"
        )
    if input1.shape[:-1] != input2.shape[:-1]:
        pairs = zip(input1.shape[:-1], input2.shape[:-1], strict=True)
        at = next(d for d, (a, b) in enumerate(pairs) if a != b)
        raise RuntimeError(
            f"bilinear(): input batch dimensions do not match at dim {at}: got "
            f"{input1.shape[at]} and {input2.shape[at]}"
        )
    for k, x in ((1, input1), (2, input2)):
        if x.shape[-1] != weight.shape[k]:
            raise RuntimeError(
                f"bilinear(): input{k} size does not match weight size: got {x.shape[-1]} "
                f"but expected {weight.shape[k]}"
            )
    if bias is not None and bias.shape[-1] != weight.shape[0]:
        raise RuntimeError(
            f"bilinear(): bias size does not match weight size: got {bias.shape[-1]} but "
            f"expected {weight.shape[0]}"
        )
    out = linalg.einsum("...i,oij,...j->...o", input1, weight, input2)
    return out if bias is None else out + bias


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:  # noqa: A002
    """``input @ weight.T + bias`` for input (*, in_features) and weight (out, in).

    >>> import chainrule as cr
    >>> linear(cr.ones(2, 3), cr.ones(4, 3), cr.zeros(4)).shape
    chainrule.Size([2, 4])
    """
    # each shape read once, as plain tuples: a Tensor's shape is a property that builds a
    # Size at every read, and indexing a Size is a Python call (its slices are Sizes)
    shape, weight_shape = tuple(input.shape), tuple(weight.shape)
    if shape[-1:] != weight_shape[-1:] or len(weight_shape) != 2:
        if not shape or not weight_shape:
            raise RuntimeError(
                "both arguments to linear need to be at least 1D, but they are "
                f"{len(shape)}D and {len(weight_shape)}D"
            )
        if len(weight_shape) == 1:
            return _linear_by_vector(input, weight, bias)
        raise RuntimeError(
            _linear_mismatch(shape, weight_shape)
            + f"linear: input of shape {tuple(shape)} does not fit weight of shape "
            f"{tuple(weight_shape)}: the last dimensions must both be in_features"
        )
    # PyTorch does not promote. The arrays' dtypes are compared (a Tensor's dtype is a
    # property, a Python call on every layer's every call), but a batched tensor's array is
    # not read: vmap would take that for reading its values, and loop over the examples.
    kind = weight.dtype if type(weight) is _BATCHED else weight._data.dtype
    given = input.dtype if type(input) is _BATCHED else input._data.dtype
    if given != kind or (
        bias is not None and (bias.dtype if type(bias) is _BATCHED else bias._data.dtype) != kind
    ):
        raise RuntimeError(_linear_dtypes(input, weight, bias))
    if bias is None:
        return Linear()(input, weight)
    bias_shape = bias.shape
    if bias_shape != weight_shape[:1] and bias_shape:
        out = [*shape[:-1], weight_shape[0]]
        if _broadcasts_onto(tuple(bias_shape), tuple(out)):
            # PyTorch adds any bias that broadcasts to the output ((1,), (N, out), ...); the
            # fused op's bias gradient sums to (out,), so the sum is added here instead
            summed = Linear()(input, weight) + bias
            return named(summed, "AddmmBackward0") if len(shape) == 2 else summed
        torch_words = (  # PyTorch's, from the expand of the bias to the output
            f"The expanded size of the tensor ({weight_shape[0]}) must match the existing size "
            f"({bias_shape[-1]}) at non-singleton dimension {len(out) - 1}.  Target sizes: "
            f"{out}.  Tensor sizes: {list(bias_shape)}\n"
            if len(bias_shape) == 1
            else ""
        )
        raise RuntimeError(
            torch_words + f"linear: bias of shape {tuple(bias_shape)} does not fit weight of "
            f"shape {tuple(weight_shape)}: it must have out_features = {weight_shape[0]} elements"
        )
    return Linear()(input, weight, bias)


def _linear_by_vector(input: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:  # noqa: A002
    """PyTorch's linear with a 1-D weight (in_features,): ``input @ weight``, the last dimension
    gone. A 2-D input or a bias that is 1-D, or would be squeezed, sends PyTorch to its addmm,
    which refuses the vector; any other bias is added in place to the product, so it may
    broadcast but not grow it."""
    if bias is not None and (
        input.ndim == 2 or bias.ndim == 1 or sum(n != 1 for n in bias.shape) == 1
    ):
        raise RuntimeError("mat2 must be a matrix, got 1-D tensor")
    out = linalg.matmul(input, weight)
    return out if bias is None else out.add_(bias)


_BATCHED = batching.BatchedTensor


def unexpected_dtype(expected: Any, found: Any) -> RuntimeError:
    """PyTorch's error for an operand of dtype ``found`` beside an input of ``expected``, where
    its kernels do not promote (a convolution's weight, a normalization's bias).

    >>> unexpected_dtype(xp.dtype("float32"), xp.dtype("float64"))
    RuntimeError('expected scalar type Float but found Double')
    """
    name = dtypes.scalar_type_name
    return RuntimeError(f"expected scalar type {name(expected)} but found {name(found)}")


def _broadcasts_onto(shape: tuple[int, ...], target: tuple[int, ...]) -> bool:
    """Whether an array of ``shape`` broadcasts to ``target`` without growing it."""
    if len(shape) > len(target):
        return False
    return all(s in (1, t) for s, t in zip(reversed(shape), reversed(target), strict=False))


def _linear_dtypes(input: Tensor, weight: Tensor, bias: Tensor | None) -> str:  # noqa: A002
    """PyTorch's words for a linear layer whose input, weight and bias differ in dtype: its
    mm's without a bias, its addmm's with one (the bias first where only it differs)."""
    name = dtypes.scalar_type_name
    if bias is None:
        return linalg._Kernel("mm", (1, 1), (1, 1), "MmBackward0").dtypes(input.dtype, weight.dtype)
    first, role = (bias, "self") if input.dtype is weight.dtype else (input, "mat1")
    return (
        f"{role} and mat2 must have the same dtype, but got {name(first.dtype)} and "
        f"{name(weight.dtype)}"
    )


def _linear_mismatch(shape: tuple[int, ...], weight_shape: tuple[int, ...]) -> str:
    """PyTorch's first line for an input that does not fit a 2-D weight: the shapes of the
    matrix product it sends the input to (the leading dimensions as rows)."""
    if len(weight_shape) != 2 or not shape:
        return ""
    rows = math.prod(shape[:-1])
    return (
        f"mat1 and mat2 shapes cannot be multiplied ({rows}x{shape[-1]} and "
        f"{weight_shape[1]}x{weight_shape[0]})\n"
    )


def _linear_next_functions(self: Linear) -> tuple:
    """PyTorch's nodes around its addmm or mm: the weight through ``TBackward0``, the bias
    first, and for input that is not 2-d the flattening of the input and the addmm inside the
    reshaping node (shown only: one fused node runs), kept between reads (``presented``)."""
    from chainrule.op import presented

    return presented(self, lambda raw: _torch_linear_nodes(self.inputs[0].ndim, raw))


def _torch_linear_nodes(ndim: int, raw: tuple) -> tuple:
    """``next_functions`` of ``linear`` as PyTorch's ``at::linear`` builds it (``raw``: the
    edges to input, weight and bias)."""
    from chainrule.op import Presented

    def shown(name: str, edge: tuple) -> tuple:
        return (None if edge[0] is None else Presented(name, (edge,)), 0)

    x, w, *b = raw
    weight = shown("TBackward0", w)
    if ndim == 2:
        return (*b, x, weight)
    if b:  # reshaped to 2-d, addmm, viewed back
        return ((Presented("AddmmBackward0", (b[0], shown("ViewBackward0", x), weight)), 0),)
    flat = shown("UnsqueezeBackward0" if ndim == 1 else "ViewBackward0", x)  # matmul's folding
    return ((Presented("MmBackward0", (flat, weight)), 0),)


class _LinearHookInputs(HookInputs):
    """The inputs of PyTorch's node for ``linear``, as ``_torch_linear_nodes`` shows them: on
    2-d input its addmm's (bias, input, weight.T) or its mm's (input, weight.T); else the
    product viewed back (ViewBackward0, UnsafeViewBackward0, SqueezeBackward4), whose one
    input is the 2-d product the fused node makes inside."""

    def present(self, node: Op, grads: tuple[Any, ...], g: Any) -> tuple[Any, ...]:
        if node.inputs[0].ndim != 2:
            return (None if all(x is None for x in grads) else g.reshape((-1, g.shape[-1])),)
        gx, gw, *gb = grads
        return (*gb, gx, None if gw is None else gw.T)

    def absorb(
        self,
        node: Op,
        given: tuple[Any, ...],
        grads: tuple[Any, ...],
        rule: Callable[[Any], tuple[Any, ...]],
    ) -> tuple[Any, ...]:
        if node.inputs[0].ndim != 2:
            return self.rerun(node, given, grads, rule)
        *gb, gx, gw = given
        return (gx, None if gw is None else gw.T, *gb)


Linear.next_functions = property(_linear_next_functions)
Linear.hook_inputs = _LinearHookInputs()


def softmax(input: Tensor, dim: int, dtype: Any = None) -> Tensor:  # noqa: A002
    """Probabilities along ``dim``: exp(x) / sum(exp(x)), computed without overflow (in
    ``dtype``, where given: ``input`` is cast first)."""
    if dtype is not None:
        input = input.to(dtype)
    axis = one_dim(dim, input.ndim, "softmax")
    refuse_integers(input, axis, "softmax")
    return Softmax(axis)(input)


def log_softmax(input: Tensor, dim: int, dtype: Any = None) -> Tensor:  # noqa: A002
    """``log(softmax(x))`` computed stably (no log of a rounded-to-zero probability), in
    ``dtype`` where given."""
    if dtype is not None:
        input = input.to(dtype)
    axis = one_dim(dim, input.ndim, "log_softmax")
    refuse_integers(input, axis, "log_softmax")
    return LogSoftmax(axis)(input)


def refuse_integers(input: Tensor, axis: int, op: str) -> None:  # noqa: A002
    """PyTorch's softmax kernels have no integer version (``dtype=`` casts first); the one
    named in its error depends on whether ``axis`` is the last."""
    if input.dtype.kind not in "fc":
        kernel = f"{op}_lastdim_kernel_impl" if axis >= input.ndim - 1 else f"{op}_kernel_impl"
        raise dtypes.not_implemented_for(kernel, input.dtype)
