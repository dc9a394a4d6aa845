"""Convolution and max pooling, fused: im2col plus one matrix product, no loops over pixels.

A 2-D convolution is a matrix product in disguise. Copy every kernel-sized window of the
(padded) input into a column of a matrix, the "columns" (one strided copy per kernel offset lays
them out), and the convolution is ``W @ cols``. The chain rule then reads like a linear layer's:

* ``dW = g @ cols^T`` (the forward's columns are kept for it), and
* ``dx = col2im(W^T @ g)``: each window's gradient is added back where the window came from,
  one strided add per kernel offset (9 for a 3x3 kernel), never one per pixel.

The batch is the innermost dimension of the columns and of the result (an (N, C, H, W) view of
a (C, H, W, N) array): the copies then move long contiguous runs, and the next layer's columns
and every gradient's rows are views, so each map is one BLAS call with no copy around it.

The three maps (forward, input gradient, weight gradient) are bilinear, and each one's
derivative is one of the others, so each is an op whose vjp applies the other two: gradients of
gradients (``create_graph=True``) work to any order.

    >>> import chainrule as cr
    >>> x = cr.ones(1, 1, 3, 3)
    >>> w = cr.ones(1, 1, 2, 2, requires_grad=True)
    >>> conv2d(x, w).sum().backward()
    >>> w.grad.flatten().tolist()   # each weight saw 4 windows of ones
    [4.0, 4.0, 4.0, 4.0]
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chainrule import _blas, dtypes
from chainrule._array import sliding_window_view, xp
from chainrule.arguments import boolean, fits_int_list, int_window, integer, no_overload
from chainrule.autodiff import batching
from chainrule.op import Bilinear, Constant, Op, named
from chainrule.op import run as _apply
from chainrule.ops import combinations, dual
from chainrule.ops.fold import Fold, Unfold, Windows
from chainrule.ops.nn_ops import unexpected_dtype
from chainrule.ops.reads_input import marked, reads_input
from chainrule.ops.shape import cat, pad, stack
from chainrule.tensor import Tensor

Pair = tuple[int, int]


@dataclass(frozen=True)
class Geometry:
    """Kernel size, stride and (top, bottom), (left, right) zero padding of a 2-D window op,
    and its dilation: a window's element ``(i, j)`` is ``(i * dh, j * dw)`` from its corner, so
    a window spans ``dilation * (kernel - 1) + 1`` (its extent)."""

    kernel: Pair
    stride: Pair
    padding: tuple[Pair, Pair]
    dilation: Pair = (1, 1)

    # The height and width a window spans: the kernel spread by the dilation. A field (out of
    # comparisons), not a property: out_size reads it at every step.
    extent: Pair = field(init=False, repr=False, compare=False)
    # The hash, made once: the slices' caches hash a Geometry at every step (of four fields,
    # two of them pairs of pairs).
    _hash: int = field(init=False, repr=False, compare=False)

    def out_size(self, height: int, width: int) -> Pair:
        (top, bottom), (left, right) = self.padding
        (eh, ew) = self.extent
        return (
            (height + top + bottom - eh) // self.stride[0] + 1,
            (width + left + right - ew) // self.stride[1] + 1,
        )

    def __post_init__(self) -> None:
        (kh, kw), (dh, dw) = self.kernel, self.dilation
        object.__setattr__(self, "extent", (dh * (kh - 1) + 1, dw * (kw - 1) + 1))
        fields = (self.kernel, self.stride, self.padding, self.dilation)
        object.__setattr__(self, "_hash", hash(fields))

    def __hash__(self) -> int:
        return self._hash

    def offsets(self, out: Pair) -> tuple[tuple[int, int, slice, slice], ...]:
        """For each element ``(i, j)`` of the windows, in row-major order: ``(i, j, rows,
        columns)``, the rows and columns of the (padded) input that it is in every window, for
        an output of size ``out``: one strided slice each, so that one copy or add per kernel
        offset serves all the windows at once."""
        return _offsets(self, out)

    def inside(self, out: Pair, size: Pair) -> tuple[tuple[int, int, Any, Any, Any, Any], ...]:
        """For each element ``(i, j)`` of the windows, in row-major order, where it is a real
        (unpadded) element of an input of size ``size``: ``(i, j, out_rows, out_columns, rows,
        columns)``, the output's rows and columns whose windows have one there, and the input's
        rows and columns those are."""
        return _inside(self, out, size)


# A training step asks for the same slices at every step: they are made once (the cache's
# key hashes a Geometry and two pairs, ~1 us; making the slices of a 3x3 kernel took ~8 us).
@functools.lru_cache(maxsize=256)
def _offsets(geom: Geometry, out: Pair) -> tuple[tuple[int, int, slice, slice], ...]:
    (kh, kw), (sh, sw), (ho, wo) = geom.kernel, geom.stride, out
    (dh, dw) = geom.dilation
    return tuple(
        (
            i,
            j,
            slice(i * dh, i * dh + sh * (ho - 1) + 1, sh),
            slice(j * dw, j * dw + sw * (wo - 1) + 1, sw),
        )
        for i in range(kh)
        for j in range(kw)
    )


@functools.lru_cache(maxsize=256)
def _inside(
    geom: Geometry, out: Pair, size: Pair
) -> tuple[tuple[int, int, Any, Any, Any, Any], ...]:
    (kh, kw), (sh, sw), ((top, _), (left, _)) = geom.kernel, geom.stride, geom.padding
    (dh, dw) = geom.dilation
    placed = []
    for i in range(kh):
        out_rows, rows = _inside_range(i * dh - top, sh, out[0], size[0])
        for j in range(kw):
            out_columns, columns = _inside_range(j * dw - left, sw, out[1], size[1])
            placed.append((i, j, out_rows, out_columns, rows, columns))
    return tuple(placed)


def _inside_range(start: int, step: int, count: int, size: int) -> tuple[slice, slice]:
    """Of the ``count`` positions ``start + k * step``, those in ``range(size)``: as a slice of
    ``k`` and as a slice of the positions."""
    first = max(0, -(start // step))  # the smallest k with start + k * step >= 0
    last = min(count, (size - 1 - start) // step + 1)  # past the largest with < size
    if last <= first:
        return slice(0, 0), slice(0, 0)
    begin = start + first * step
    return slice(first, last), slice(begin, begin + (last - first - 1) * step + 1, step)


def _windows(x: Any, geom: Geometry, fill: float = 0.0) -> Any:
    """A read-only (N, C, Ho, Wo, kh, kw) view: window (h, w) of the padded input."""
    if any(geom.padding[0] + geom.padding[1]):
        # One fill and one copy: np.pad's Python set-up cost more than the copy itself.
        (top, bottom), (left, right) = geom.padding
        n, c, h, w = x.shape
        shape = (n, c, h + top + bottom, w + left + right)
        padded = xp.zeros(shape, x.dtype) if fill == 0 else xp.full(shape, fill, x.dtype)
        padded[:, :, top : top + h, left : left + w] = x
        x = padded
    view = sliding_window_view(x, geom.extent, axis=(2, 3))
    (sh, sw), (dh, dw) = geom.stride, geom.dilation
    return view[:, :, ::sh, ::sw, ::dh, ::dw]  # the dilation: a stride along the window axes


def _im2col(x: Any, geom: Geometry) -> Any:
    """The (C * kh * kw, Ho * Wo * N) matrix whose columns are the input's windows.

    The batch is the innermost (fastest) dimension, here and in the convolution's result (see
    :func:`_conv`): each copy then moves runs of ``Wo * N`` contiguous values, not rows of
    ``Wo``, and the columns feed BLAS as they are.
    """
    n, c, h, w = x.shape
    (top, bottom), (left, right) = geom.padding
    source = x.transpose(1, 2, 3, 0)  # (C, H, W, N): a view of a (C, H, W, N) layout
    if top or bottom or left or right:
        padded = xp.zeros((c, h + top + bottom, w + left + right, n), x.dtype)
        padded[:, top : top + h, left : left + w] = source
        source = padded
    kh, kw = geom.kernel
    ho, wo = geom.out_size(h, w)
    cols = xp.empty((c, kh, kw, ho, wo, n), x.dtype)
    for i, j, rows, columns in geom.offsets((ho, wo)):  # one strided copy per kernel offset
        cols[:, i, j] = source[:, rows, columns]
    return cols.reshape(c * kh * kw, ho * wo * n)


def _rows(g: Any) -> Any:
    """(N, O, Ho, Wo) -> (O, Ho * Wo * N), the columns' order: a view of a gradient laid out
    as the convolution's result is, a copy otherwise (BLAS wants it contiguous anyway)."""
    return xp.ascontiguousarray(g.transpose(1, 2, 3, 0)).reshape(g.shape[1], -1)


def _channel_sums(g: Any) -> Any:
    """``g.sum((0, 2, 3))``, the bias gradient, as one product of g's rows with ones: BLAS
    runs it 3-5x faster than NumPy's sum over three axes (32 x 64 x 4 x 4 float32: 3 us, not
    15)."""
    rows = _rows(g)
    return dual.matmul(rows, xp.ones((rows.shape[1], 1), rows.dtype))[:, 0]


# The bias gradient, g summed over batch and pixels: on Tensors recorded as a sum.
_bias_grad = dual.both(_channel_sums, lambda g: dual.sum(g, (0, 2, 3)), "g")


def _conv(x: Any, weight: Any, bias: Any, geom: Geometry, cols: Any = None) -> Any:
    """The convolution (cross-correlation, as in PyTorch) on arrays: ``W @ cols``, one product.

    The result is an (N, O, Ho, Wo) view of an (O, Ho, Wo, N) array: the product's own layout,
    which the next layers keep (elementwise ops and pooling preserve a layout), so the next
    convolution's columns and every gradient's rows (:func:`_rows`) are views, not copies.
    """
    if cols is None:
        cols = _im2col(x, geom)
    n, o = x.shape[0], weight.shape[0]
    ho, wo = geom.out_size(x.shape[2], x.shape[3])
    if bias is None:
        out = dual.matmul(weight.reshape(o, -1), cols)
    else:
        # The bias added as BLAS multiplies, as a linear layer's is (see _blas.addmm): no
        # second pass over the result, and BLAS does not zero it first (the digits CNN's two
        # layers: 384 KiB a step). Bitwise the product then the add while the summed dimension
        # is one block of OpenBLAS's (C * kh * kw up to 384 at least, measured for float32 and
        # float64); past that the bias joins the first block's partial sums, as in addmm.
        out = _blas.addmm(bias.reshape(o, 1), weight.reshape(o, -1), cols)
    return out.reshape(o, ho, wo, n).transpose(3, 0, 1, 2)


def _conv_input_grad(g: Any, weight: Any, geom: Geometry, x_shape: tuple[int, ...]) -> Any:
    """col2im(W^T @ g): every window's gradient added back where the window was read.

    Only what lands inside the input is computed and added: the gradient comes out unpadded,
    the (C, H, W, N) layout that the next rules read without a copy, and W^T @ g is one product
    per kernel row, of the output rows whose windows have that row inside the input (3x3
    windows over 4x4 images, padded by 1: 10 of 12 rows; each value is the same sum over the
    output channels as in one product of all rows, which BLAS adds up alike).
    """
    n, c, h, w = x_shape
    o, (kh, kw), (ho, wo) = weight.shape[0], geom.kernel, g.shape[2:]
    rows_of_g = _rows(g)
    # W^T by kernel row, (kh, C * kw, O): each row's block a matrix as BLAS reads it
    w_rows = xp.ascontiguousarray(weight.transpose(2, 1, 3, 0)).reshape(kh, c * kw, o)
    grad = xp.zeros((c, h, w, n), dtype=xp.result_type(g, weight))
    for i, j, out_rows, out_columns, rows, columns in geom.inside((ho, wo), (h, w)):
        if j == 0:  # a kernel row's first offset: the row's product
            height = out_rows.stop - out_rows.start
            run = rows_of_g[:, out_rows.start * wo * n : out_rows.stop * wo * n]
            grad_cols = dual.matmul(w_rows[i], run).reshape(c, kw, height, wo, n)
        grad[:, rows, columns] += grad_cols[:, j, :, out_columns]  # one add per offset
    return grad.transpose(3, 0, 1, 2)


def _conv_weight_grad(
    x: Any, g: Any, geom: Geometry, w_shape: tuple[int, ...], cols: Any = None
) -> Any:
    """g @ cols^T: each weight's gradient sums (input value * output gradient) over windows."""
    if cols is None:
        cols = _im2col(x, geom)
    return dual.matmul(_rows(g), dual.swap_last(cols)).reshape(w_shape)


def _as_windows(geom: Geometry, size: Pair) -> tuple[Any, tuple[int, int, int, int] | None]:
    """``geom`` as :class:`~chainrule.ops.fold.Windows` over images of ``size`` (unfold and
    fold), and None; for an uneven padding, which those pad alike on both sides, windows over
    the images padded first, and that padding, (left, right, top, bottom)."""
    (top, bottom), (left, right) = geom.padding
    if top == bottom and left == right:
        return Windows(geom.kernel, geom.dilation, (top, left), geom.stride, size), None
    padded = (size[0] + top + bottom, size[1] + left + right)
    return Windows(geom.kernel, geom.dilation, (0, 0), geom.stride, padded), (
        left,
        right,
        top,
        bottom,
    )


def _columns(images: Tensor, geom: Geometry) -> tuple[Tensor, Pair]:
    """Every window of a batch of images, ``(..., N, C, H, W)`` with any leading dims (vmap's
    examples), as the columns of a matrix per image, ``(..., N, C * kh * kw, Ho * Wo)``: one
    :class:`~chainrule.ops.fold.Unfold` over all the images, and the output's size. An op of
    its own (unlike :func:`_im2col`), so vmap's rules below differentiate through it."""
    shape = tuple(images.shape)
    lead, (c, h, w) = shape[:-3], shape[-3:]
    flat = images.reshape((-1, c, h, w))
    windows, padding = _as_windows(geom, (h, w))
    if padding is not None:
        flat = pad(flat, padding)
    cols = Unfold(windows)(flat)
    return cols.reshape((*lead, *tuple(cols.shape)[1:])), windows.count()


def _per_example(values: list[Any], batched: list[bool], size: int) -> list[Any]:
    """The operands of a rule, each as a batch of ``size`` (a bias may be None)."""
    return [
        None if v is None else batching.whole(v, b, size)
        for v, b in zip(values, batched, strict=True)
    ]


def _convolution_rule(op: Any, values: list[Any], batched: list[bool], size: int) -> Tensor:
    """vmap's rule of a convolution: with one weight for all examples, the examples' images
    join the op's own batch dimension (:func:`batching.images`); with a weight per example
    (``vmap(grad(loss))`` gives each example its own parameters), each example's windows as
    columns (:func:`_columns`) times its own weight, one batched product for every example.
    Both are ops with their own rules, which give each example its own gradients."""
    if not any(batched[1:]):
        return batching.images(op, values, batched, size)
    x, weight, bias = _per_example(values, batched, size)
    cols, (ho, wo) = _columns(x, op.geom)  # (size, N, K, L)
    out_channels = weight.shape[1]
    out = weight.reshape((size, 1, out_channels, -1)) @ cols  # (size, N, O, L)
    out = out.reshape((*tuple(out.shape)[:3], ho, wo))
    if bias is not None:
        out = out + bias.reshape((size, 1, out_channels, 1, 1))
    return out


def _input_gradient_rule(op: Any, values: list[Any], batched: list[bool], size: int) -> Tensor:
    """vmap's rule of a convolution's input gradient (``conv_transpose2d``): with one weight
    for all examples, the examples' gradients join the op's own batch dimension; with a
    weight per example, each example's ``w^T @ g`` as columns, added back where each window
    lies by one :class:`~chainrule.ops.fold.Fold` over every example's images."""
    if not batched[1]:
        return batching.images(op, values, batched, size)
    g, weight = _per_example(values, batched, size)
    n, c, h, w = op.x_shape
    rows = g.reshape((size, n, g.shape[2], -1))  # (size, N, O, L)
    cols = weight.reshape((size, 1, weight.shape[1], -1)).transpose(-1, -2) @ rows
    windows, padding = _as_windows(op.geom, (h, w))
    images = Fold(windows)(cols.reshape((size * n, *tuple(cols.shape)[2:])))
    if padding is not None:  # the windows' values that fall on the padding are dropped
        left, _, top, _ = padding
        images = images[:, :, top : top + h, left : left + w]
    return images.reshape((size, n, c, h, w))


def _weight_gradient_rule(op: Any, values: list[Any], batched: list[bool], size: int) -> Tensor:
    """vmap's rule of a convolution's weight gradient (a batch of cotangents: jacrev with
    respect to a weight; or of images): each example's ``g @ cols^T`` summed over its
    images, with the columns of the images it reads (:func:`_columns`)."""
    x, g = values
    cols, _ = _columns(x, op.geom)  # ([size,] N, K, L)
    rows = g.reshape((*tuple(g.shape)[:-2], -1))  # ([size,] N, O, L)
    summed = (rows @ cols.transpose(-1, -2)).sum(-3)  # over the images: (size, O, K)
    return summed.reshape((size, *op.w_shape))


class Convolution(Bilinear):
    """``conv2d(x, w) + b``; PyTorch calls its node ``ConvolutionBackward0`` too."""

    notation = "conv2d(x, w) + b"
    derivatives = (
        "conv_transpose2d(g, w) (each window's gradient added back in place)",
        "sum over windows of x_window * g",
        "sum of g over batch and pixels",
    )
    batch_rule = staticmethod(_convolution_rule)
    factors = 2  # x and w; the bias is added
    # x and w, whichever gradient is asked (PyTorch's one rule saves both); never the bias
    reads = ((0, 1), (0, 1), (0, 1))

    def __init__(self, geom: Geometry) -> None:
        self.geom = geom

    @dtypes.half_in_float32  # as PyTorch's CPU convolutions
    def forward(self, x, weight, bias):
        # The columns are kept: the weight gradient is a product with them.
        self.cols = _im2col(x, self.geom)
        return _conv(x, weight, bias, self.geom, self.cols)

    def vjp(self, g, out, x, weight, bias):
        gx = gw = gb = None
        if self.needs[0]:  # PyTorch's convolution backward reads x (see reads_input.marked)
            gx = marked(_apply(ConvolutionBackwardInput(self.geom, tuple(x.shape)), g, weight), x)
        if self.needs[1]:
            gw = _apply(ConvolutionBackwardWeight(self.geom, tuple(weight.shape), self.cols), x, g)
        if self.needs[2]:
            gb = _bias_grad(g)
        return gx, gw, gb

    def bias_tangent(self, t):
        return t.reshape(1, -1, 1, 1)  # one value per output channel


class ConvolutionBackwardInput(Bilinear):
    """The input gradient of a convolution, ``conv_transpose2d(g, w)``, as an op of its own
    so that it can be differentiated again."""

    notation = "conv_transpose2d(g, w)"
    derivatives = ("conv2d(h, w)", "sum over windows of h_window * g")
    batch_rule = staticmethod(_input_gradient_rule)

    def __init__(self, geom: Geometry, x_shape: tuple[int, ...]) -> None:
        self.geom = geom
        self.x_shape = x_shape

    @dtypes.half_in_float32  # as PyTorch's CPU convolutions
    def forward(self, g, weight):
        return _conv_input_grad(g, weight, self.geom, self.x_shape)

    def vjp(self, h, out, g, weight):
        gg = gw = None
        if self.needs[0]:  # PyTorch's backward kernel reads g (see reads_input.marked)
            gg = marked(_apply(Convolution(self.geom), h, weight, None), g)
        if self.needs[1]:
            gw = _apply(ConvolutionBackwardWeight(self.geom, tuple(weight.shape)), h, g)
        return gg, gw


class ConvolutionBackwardWeight(Bilinear):
    """The weight gradient of a convolution, as an op of its own (see above)."""

    notation = "sum over windows of x_window * g"
    derivatives = ("conv_transpose2d(g, h)", "conv2d(x, h)")
    batch_rule = staticmethod(_weight_gradient_rule)

    def __init__(self, geom: Geometry, w_shape: tuple[int, ...], cols: Any = None) -> None:
        self.geom = geom
        self.w_shape = w_shape
        self.cols = cols  # the forward's columns of x, when there was a forward

    @dtypes.half_in_float32  # as PyTorch's CPU convolutions
    def forward(self, x, g):
        if self.cols is None:
            self.cols = _im2col(x, self.geom)
        return _conv_weight_grad(x, g, self.geom, self.w_shape, self.cols)

    def vjp(self, h, out, x, g):
        gx = gg = None
        if self.needs[0]:
            gx = _apply(ConvolutionBackwardInput(self.geom, tuple(x.shape)), g, h)
        if self.needs[1]:
            gg = _apply(Convolution(self.geom), x, h, None)
        return gx, gg

    def fresh(self) -> ConvolutionBackwardWeight:
        # The forward's columns are those of its own x, not of a tangent in x's place.
        return ConvolutionBackwardWeight(self.geom, self.w_shape)


def _in_layout(a: Any, like: Any) -> Any:
    """``a`` laid out in memory as ``like`` (of the same shape) is: a ufunc over operands of
    different layouts iterates in short strided runs, ~10x slower than one copy first."""
    out = xp.empty_like(like, dtype=a.dtype)
    if out.strides == a.strides:
        return a
    out[...] = a
    return out


class MaxPool2DWithIndices(Op):
    """The largest value of each window; the gradient goes to that one element.

    Ties go to the first maximum in row-major window order, nans to the last nan, as in
    PyTorch.

    Windows that do not overlap and are not padded (the usual ``max_pool2d(x, 2)``) take a
    direct path: the input is read as its ``kh * kw`` strided sub-grids (sub-grid ``(i, j)``
    holds element ``(i, j)`` of every window), compared one after the other into the running
    maximum, and the winner's offset in its window is kept as a small integer per window. The
    gradient goes back through the same sub-grids, one product with a mask each: no window
    view, no arg-max over it, no index arithmetic. (Masked copies, ``copyto(where=)``, and
    ufuncs over operands of different layouts run ~10x slower than these products.)
    """

    notation = "max over each window of x"
    derivatives = ("1 at each window's arg-max, else 0",)
    batch_rule = staticmethod(batching.images)
    # The rules read the arg-max kept on the node, not x; x is guarded all the same, as
    # PyTorch's node saves it (and refuses an in-place change of it before the backward).

    def __init__(self, geom: Geometry) -> None:
        self.geom = geom

    def _apart(self) -> bool:
        """Whether each element is in at most one window, no window is padded, and a byte
        holds an offset in a window (the direct path's index)."""
        (kh, kw), (sh, sw), (eh, ew) = self.geom.kernel, self.geom.stride, self.geom.extent
        apart = sh >= eh and sw >= ew and kh * kw <= 256
        return apart and not any(self.geom.padding[0] + self.geom.padding[1])

    def _grids(self, x: Any, out: Pair) -> list[Any]:
        """The windows' (i, j) elements, one (N, C, Ho, Wo) view per offset in row-major order,
        for an output of size ``out`` (unpadded windows only)."""
        return [x[..., rows, columns] for _, _, rows, columns in self.geom.offsets(out)]

    def forward(self, x):
        (kh, kw) = self.geom.kernel
        if self._apart():
            out = self.geom.out_size(x.shape[2], x.shape[3])
            # Each sub-grid copied once, into the input's layout (order="K"): the comparisons
            # and maxima then run over contiguous arrays (an (N, C, H, W) view of a (C, H, W, N)
            # array has runs of N elements: 32x32x8x8, 2x2 windows: 45 -> 38 us), read as 1-D
            # views, which NumPy's ufuncs loop over without building an iterator over four
            # strided dimensions (the digits CNN's two poolings: 948,000 -> 658,000
            # instructions).
            values, *grids = [grid.copy(order="K") for grid in self._grids(x, out)]
            self.arg = (xp.empty_like if grids else xp.zeros_like)(values, dtype=xp.uint8)
            arg, flat = self.arg.ravel("K"), values.ravel("K")  # views: both are dense
            for k, grid in enumerate(grids, 1):
                # Strictly greater: a tie keeps the earlier element, as PyTorch does. k grows,
                # so the maximum of (arg, k where greater) is "k where greater, else arg". A
                # comparison's bytes are its 0s and 1s: the first is arg, the others times k.
                other = grid.ravel("K")
                if k == 1:
                    xp.greater(other, flat, out=arg.view(xp.bool_))
                else:
                    won = xp.greater(other, flat).view(xp.uint8)
                    won *= k
                    xp.maximum(arg, won, out=arg)
                xp.maximum(flat, other, out=flat)  # nan-propagating: the values are right
            if values.dtype.kind == "f" and xp.isnan(flat).any():
                last_nan = xp.zeros_like(self.arg)  # a window with nans: its last nan wins
                for k, grid in enumerate(grids, 1):
                    xp.maximum(last_nan, xp.isnan(grid) * xp.uint8(k), out=last_nan)
                self.arg = xp.where(xp.isnan(values), last_nan, self.arg)
            return values
        windows = _windows(x, self.geom, fill=-xp.inf)
        n, c, ho, wo = windows.shape[:4]
        flat = windows.reshape(n, c, ho, wo, kh * kw)
        arg = flat.argmax(axis=-1)
        values = xp.take_along_axis(flat, arg[..., None], axis=-1)[..., 0]
        if values.dtype.kind == "f" and xp.isnan(values).any():
            # A window with nans: PyTorch's kernel keeps the last one, NumPy's argmax the first.
            last_nan = kh * kw - 1 - xp.isnan(flat[..., ::-1]).argmax(axis=-1)
            arg = xp.where(xp.isnan(values), last_nan, arg)
        if values.dtype.kind == "f" and xp.isneginf(values).any():
            # A window of -inf only: the padding (-inf too) must not win. PyTorch's kernel
            # keeps the window's first element inside the input.
            inside = _windows(xp.ones((1, 1, *x.shape[2:]), bool), self.geom, fill=False)
            first = inside.reshape(1, 1, ho, wo, kh * kw).argmax(axis=-1)
            arg = xp.where(xp.isneginf(values), first, arg)
        self.arg = arg
        return values

    def _indices(self, width: int) -> Any:
        """Where each window's maximum sits in the (unpadded) input, as a flat (N, C, Ho * Wo)
        index per channel, for the gather and scatter of the rules on Tensors.

        Padding never wins because every window overlaps the input (padding <= kernel / 2,
        and a ``ceil_mode`` window starts inside the input or its left padding), and a window
        of -inf only picks its first element inside the input (see :meth:`forward`).
        The index is the window's corner plus the winner's offset in the window: two small
        tables and one gather, not four passes of integer arithmetic over every window.
        """
        n, c, ho, wo = self.arg.shape
        (kh, kw), (sh, sw), (dh, dw), (top, _), (left, _) = (
            self.geom.kernel,
            self.geom.stride,
            self.geom.dilation,
            *self.geom.padding,
        )
        corners = (xp.arange(ho) * sh - top)[:, None] * width + (xp.arange(wo) * sw - left)
        offsets = (xp.arange(kh)[:, None] * (dh * width) + xp.arange(kw) * dw).ravel()
        return (offsets[self.arg] + corners).reshape(n, c, ho * wo)

    def vjp(self, g, out, x):  # PyTorch's max_pool2d backward reads x (see dual.attached)
        return (dual.attached(self._unpool(g, x), x),)

    def _unpool_tensors(self, g, x):
        n, c, h, w = x.shape
        indices = self._indices(w)  # (g's shape, not -1: an empty batch has no -1)
        flat = dual.scatter_along(g.reshape(indices.shape), indices, 2, (n, c, h * w))
        return flat.reshape(n, c, h, w)

    def _unpool_arrays(self, g, x):
        n, c, h, w = x.shape
        if self._apart():
            # Each element is in one window at most: each sub-grid of the gradient is g where
            # that offset won, else 0, in the gradient's dtype and the input's layout. Windows
            # that tile the input write every element; others leave some that must be 0.
            (kh, kw), (ho, wo) = self.geom.kernel, self.arg.shape[2:]
            tiled = self.geom.stride == (kh, kw) and (h, w) == (kh * ho, kw * wo)
            grad = (xp.empty_like if tiled else xp.zeros_like)(x, dtype=g.dtype)
            g = _in_layout(g, self.arg)
            # One mask, "arg == k" for each k in turn, compared as 1-D views (as the forward's)
            mask = xp.empty_like(self.arg, dtype=xp.bool_)
            arg, won = self.arg.ravel("K"), mask.ravel("K")
            # As bits, the losers get +0.0, even where g is nan or inf (PyTorch's): the sub-grids
            # are taken of the bits' view of grad, one view in all
            g, bits = dual.as_bits(g), dual.as_bits(grad)
            for k, grid in enumerate(self._grids(bits, (ho, wo))):
                xp.equal(arg, k, out=won)
                xp.multiply(g, mask, out=grid)
            return grad
        indices = self._indices(w)
        (eh, ew), (sh, sw) = self.geom.extent, self.geom.stride
        if sh >= eh and sw >= ew:
            # Padded windows that do not overlap pick each element at most once as well.
            grad = xp.zeros((n, c, h * w), dtype=g.dtype)
            xp.put_along_axis(grad, indices, g.reshape(indices.shape), axis=2)  # (not -1: n = 0)
            return grad.reshape(n, c, h, w)
        # Overlapping windows: a bincount over global positions sums the gradients of windows
        # that chose the same element, in one vectorized pass.
        offsets = (xp.arange(n * c) * (h * w)).reshape(n, c, 1)
        grad = xp.bincount((indices + offsets).ravel(), weights=g.ravel(), minlength=n * c * h * w)
        return grad.astype(g.dtype, copy=False).reshape(n, c, h, w)

    # g's values back at the windows' maxima, zeros elsewhere (repeats add up).
    _unpool = dual.both(_unpool_arrays, _unpool_tensors, "self, g, x", ("g",))

    def jvp(self, tangents, out, x):
        n, c, h, w = x.shape  # (not -1: an empty batch has no -1)
        picked = dual.gather_along(tangents[0].reshape(n, c, h * w), self._indices(w), 2)
        return picked.reshape(out.shape)


class MaxPool2DIndices(Constant):
    """Where each window's maximum sits, as :class:`MaxPool2DWithIndices` chooses it (ties to
    the first, nans to the last): its flat position in the input's (H, W) plane, int64, as
    PyTorch's ``return_indices=True`` gives it. An index steers (``max_unpool2d``), carrying
    no gradient; asked for alone, it runs the pooling's forward once more."""

    notation = "argmax over each window of x"
    derivatives = ("-",)
    batch_rule = staticmethod(batching.images)

    def __init__(self, geom: Geometry) -> None:
        self.geom = geom

    def forward(self, x):
        pool = MaxPool2DWithIndices(self.geom)
        pool.forward(x)
        return pool._indices(x.shape[3]).reshape(pool.arg.shape).astype(xp.int64, copy=False)


# ----------------------------------------------------------------------------- public functions
# PyTorch reads a window's sizes (kernel_size, stride, padding, dilation) as ``int[n]``: an int
# (not a bool), a NumPy integer or an integer tensor of one element for all n dimensions, or a
# list of ints (arguments.int_window); each op then checks the list's length in its own words.
def _plain(value: Any, dims: int) -> bool:
    """Whether ``value`` is a tuple of ``dims`` ints, as the layers and the 3-D and 1-D ops
    pass them on (read so, without the parser's layers of calls: those are hot paths)."""
    if type(value) is not tuple or len(value) != dims:
        return False
    for v in value:  # noqa: SIM110 - a loop: all() of a generator costs more here
        if type(v) is not int:
            return False
    return True


def conv_window(
    value: Any, dims: int, param: str, op: str, position: int | None = None
) -> tuple[int, ...]:
    """A convolution's ``stride``, ``padding``, ``dilation`` or ``output_padding``: one value
    for all ``dims`` dimensions or one per dimension (PyTorch's ``expand_param_if_needed``).
    ``position`` None: given by keyword, as PyTorch's messages then read."""
    if type(value) is int:  # the usual call, in one test
        return (value,) * dims
    if _plain(value, dims):
        return value  # type: ignore[no-any-return]
    values = int_window(value, dims, op, param, position)
    if len(values) == dims:
        return values
    if len(values) == 1:
        return values * dims
    raise RuntimeError(
        f"expected {param} to be a single integer value or a list of {dims} values to match "
        f"the convolution dimensions, but got {param}={list(values)}"
    )


_CONV_DEFAULTS = {"stride": 1, "padding": 0, "dilation": 1, "groups": 1}


def _conv_settings(
    op: str,
    dims: int,
    tensors: tuple[Any, ...],
    stride: Any,
    padding: Any,
    dilation: Any,
    groups: Any,
    positional: bool = False,
) -> tuple[tuple[int, ...], Any, tuple[int, ...], int]:
    """A convolution's ``stride``, ``padding`` (a tuple, or "same" or "valid"), ``dilation``
    and ``groups``, read and checked as PyTorch's ``conv1d`` to ``conv3d`` do, in its order.
    Those have two signatures (a padding of ints or a string), so an argument of the wrong
    type fits neither and PyTorch names the call; it is named here with the settings that
    differ from their defaults by keyword (PyTorch names each as it was passed)."""
    if (
        type(stride) is int
        and type(padding) is int
        and type(dilation) is int
        and type(groups) is int
    ):
        if stride > 0 and padding >= 0 and dilation > 0 and groups > 0:  # the usual call
            return (stride,) * dims, (padding,) * dims, (dilation,) * dims, groups
    else:
        try:
            count: int | None = integer(groups, op, "groups")
        except TypeError:
            count = None
        if count is None or not (
            (_plain(stride, dims) or fits_int_list(stride, dims))
            and (isinstance(padding, str) or _plain(padding, dims) or fits_int_list(padding, dims))
            and (_plain(dilation, dims) or fits_int_list(dilation, dims))
        ):
            given = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
            if positional:  # (PyTorch's layers pass them all so)
                raise no_overload(op, (*tensors, *given.values()), {})
            kwargs = {
                k: v for k, v in given.items() if not (type(v) is int and v == _CONV_DEFAULTS[k])
            }
            raise no_overload(op, tuple(t for t in tensors if t is not None), kwargs)
        groups = count
    if isinstance(padding, str) and padding not in ("valid", "same"):
        raise RuntimeError(f"Invalid padding string: {padding!r}")
    if groups < 1:
        raise RuntimeError("non-positive groups is not supported")
    step = conv_window(stride, dims, "stride", op)
    widths = padding if isinstance(padding, str) else conv_window(padding, dims, "padding", op)
    spread = conv_window(dilation, dims, "dilation", op)
    _check_conv_values(step, widths, spread)
    return step, widths, spread, groups


def _check_conv_values(
    stride: tuple[int, ...],
    padding: Any,
    dilation: tuple[int, ...],
    output_padding: tuple[int, ...] = (),
) -> None:
    """PyTorch's ``check_shape_forward`` of a convolution's settings, in its order (a zero
    dilation is refused later, with the values, see ``_checked_geometry``)."""
    if not isinstance(padding, str) and min(padding) < 0:
        raise RuntimeError("negative padding is not supported")
    if output_padding and min(output_padding) < 0:
        raise RuntimeError("negative output_padding is not supported")
    if min(stride) < 1:
        raise RuntimeError("non-positive stride is not supported")
    if min(dilation) < 0:
        raise RuntimeError("dilation should be greater than zero")


def _transposed_settings(
    op: str,
    dims: int,
    stride: Any,
    padding: Any,
    output_padding: Any,
    groups: Any,
    dilation: Any,
    positional: bool = False,
) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...], int, tuple[int, ...]]:
    """A transposed convolution's settings, read and checked as PyTorch's do: one signature,
    so an argument of the wrong type is named (as given by keyword, or ``positional``)."""
    at = (4, 5, 6, 7, 8) if positional else (None,) * 5
    if type(groups) is not int:
        groups = integer(groups, op, "groups", at[3])
    step = conv_window(stride, dims, "stride", op, at[0])
    widths = conv_window(padding, dims, "padding", op, at[1])
    extra = conv_window(output_padding, dims, "output_padding", op, at[2])
    spread = conv_window(dilation, dims, "dilation", op, at[4])
    if groups < 1:
        raise RuntimeError("non-positive groups is not supported")
    _check_conv_values(step, widths, spread, extra)
    return step, widths, extra, groups, spread


def pool_window(
    value: Any, dims: int, param: str, op: str, position: int | None, default: Any = None
) -> tuple[int, ...]:
    """A pooling's ``kernel_size``, ``stride``, ``padding`` or ``dilation``: one value for all
    ``dims`` dimensions (a list of one too) or one per dimension, with PyTorch's message for
    any other length, which each pooling words its own way; ``default`` (the kernel) for a
    ``stride`` of None or empty. ``position`` None: given by keyword."""
    if type(value) is int:  # the usual call, in one test
        return (value,) * dims
    if _plain(value, dims):
        return value  # type: ignore[no-any-return]
    if default is not None and (value is None or (isinstance(value, (tuple, list)) and not value)):
        return default
    values = int_window(value, dims, op, param, position)
    if len(values) == dims:
        return values
    if len(values) == 1:
        return values * dims
    raise RuntimeError(_pool_length_message(op, dims, param, len(values)))


def reword_for_layer(
    op: str, dims: int, tensors: tuple[Any, ...], settings: tuple[Any, ...]
) -> None:
    """Raise the TypeError that ``op`` (conv*, conv_transpose*, avg_pool*) gives ``settings``
    passed by position, as PyTorch's layers pass theirs; nothing where they pass. The layers
    call it only where their functional form refused the settings (the hot path pays
    nothing), for the words of PyTorch's refusal, which name each argument as it was passed."""
    if op.startswith("conv_transpose"):
        _transposed_settings(op, dims, *settings, positional=True)  # type: ignore[misc]
    elif op.startswith("conv"):
        _conv_settings(op, dims, tensors, *settings, positional=True)  # type: ignore[misc]
    else:
        kernel_size, stride, padding, *flags = settings
        pool_windows(op, dims, kernel_size, stride, padding, positional=True)
        check_average_flags(op, *flags, positional=True)


def _pool_length_message(op: str, dims: int, param: str, length: int) -> str:
    """PyTorch's message for a pooling's ``param`` of ``length`` values that fits none of its
    ``dims`` dimensions: each pooling words it its own way."""
    if op == "avg_pool1d":
        return f"avg_pool1d() argument '{param}' should contain one int (got {length})"
    if dims == 1:  # max_pool1d
        listed = "list of ints, or" if param in ("stride", "padding") else "list of ints or"
        none = "None, " if param == "stride" else ""
        return (
            f"{op}() {param} must be {none}an int, {listed} tuple of ints of size 1 but got "
            f"size {length}"
        )
    count = "two" if dims == 2 else "three"
    either = "" if op.startswith("avg_pool3d") else "either "
    if param == "dilation":
        return f"{op}: dilation must be either a single int, or a tuple of {count} ints"
    omitted = "omitted, " if param == "stride" else ""
    return f"{op}: {param} must {either}be {omitted}a single int, or a tuple of {count} ints"


def pool_windows(
    op: str,
    dims: int,
    kernel_size: Any,
    stride: Any,
    padding: Any,
    dilation: Any = 1,
    positional: bool = False,
) -> tuple[tuple[int, ...], ...]:
    """A pooling's kernel, stride (the kernel where None or empty), padding and dilation, read
    as PyTorch reads them: a max pooling's by position (``F.max_pool2d`` passes them on so),
    an average pooling's stride and later by keyword (it is PyTorch's op itself), unless
    ``positional`` (as its layers pass them)."""
    given = None if op.startswith("avg") and not positional else 3
    kernel = pool_window(kernel_size, dims, "kernel_size", op, 2)
    step = pool_window(stride, dims, "stride", op, given, kernel)
    pad = pool_window(padding, dims, "padding", op, given and 4)
    spread = pool_window(dilation, dims, "dilation", op, given and 5)
    return kernel, step, pad, spread


def check_average_flags(
    op: str,
    ceil_mode: Any,
    count_include_pad: Any,
    divisor_override: Any = None,
    positional: bool = False,
) -> int | None:
    """PyTorch's checks of an average pooling's ``ceil_mode`` and ``count_include_pad`` (bools
    only: 1 is refused, not read as True) and ``divisor_override`` (None or a nonzero int,
    returned as an int), as given by keyword (or ``positional``)."""
    at = (5, 6, 7) if positional else (None, None, None)
    if type(ceil_mode) is not bool:
        boolean(ceil_mode, op, "ceil_mode", at[0])
    if type(count_include_pad) is not bool:
        boolean(count_include_pad, op, "count_include_pad", at[1])
    if divisor_override is None:
        return None
    if type(divisor_override) is not int:
        divisor_override = integer(divisor_override, op, "divisor_override", at[2])
    if divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    return divisor_override


def _check_image(input: Tensor, op: str) -> None:  # noqa: A002
    if input.ndim not in (3, 4):
        raise RuntimeError(
            f"{op}: expected a 3-D (channels, height, width) or 4-D (batch, channels, height, "
            f"width) input, got shape {tuple(input.shape)}"
        )


def _batched(input: Tensor, op: str) -> tuple[Tensor, bool]:  # noqa: A002
    """``input`` as (N, C, H, W), and whether it came as one unbatched (C, H, W) image, which
    PyTorch accepts too (the result then has no batch dimension either)."""
    _check_image(input, op)
    return (input.unsqueeze(0), True) if input.ndim == 3 else (input, False)


def _pool_geometry(
    kernel: Pair,
    stride: Pair,
    padding: Pair,
    dilation: Pair,
    ceil_mode: bool,
    size: Pair,
    op: str,
    planes: int = 1,
) -> Geometry:
    """A pooling's windows, as PyTorch places them: padding at most half the kernel, and with
    ``ceil_mode`` one more window where the last full one leaves some of the (padded) input
    out, kept only when it starts inside the input or its left padding. What such a window
    reads past the padded input is more padding at the bottom or right (which a max never
    picks and an average's divisor counts as PyTorch's does, see :func:`avg_pool2d`).
    ``planes``, the input's channels, only for PyTorch's message when nothing fits."""
    return _checked_pool_geometry(kernel, stride, padding, dilation, ceil_mode, size, op, planes)


def _half(value: int) -> int:
    """C++'s ``value / 2``: truncated toward zero."""
    return -(-value // 2) if value < 0 else value // 2


def pooled_length(n: int, k: int, p: int, s: int, d: int, ceil_mode: bool) -> int:
    """PyTorch's ``pooling_output_shape``, with its checks and messages: how many windows of
    ``k`` taps ``d`` apart, ``s`` apart, fit ``n`` elements padded by ``p`` on each side
    (``ceil_mode``: one more where the last full one leaves some out, if it starts inside
    the input or its left padding).

    >>> pooled_length(7, 3, 1, 2, 1, False), pooled_length(6, 3, 0, 2, 1, True)
    (4, 3)
    """
    if s == 0:
        raise RuntimeError("stride should not be zero")
    if p < 0:
        raise RuntimeError(f"pad must be non-negative, but got pad: {p}")
    if p > _half((k - 1) * d + 1):
        raise RuntimeError(
            f"pad should be at most half of effective kernel size, but got pad={p}, "
            f"kernel_size={k} and dilation={d}"
        )
    out = (n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= n + p:  # the last window would start in the padding
        out -= 1
    return out


def check_windows_reach_input(
    op: str, sizes: tuple[int, ...], kernel: Any, stride: Any, pad: Any, dilation: Any, out: Any
) -> None:
    """Refuse a max pooling whose window reads only padding (its taps ``dilation`` apart
    straddle the input): its maximum has nothing to pick, and PyTorch reads out of bounds
    there, so its result is no answer to copy.

    >>> try:
    ...     check_windows_reach_input("max_pool1d", (1,), (2,), (2,), (1,), (2,), (1,))
    ... except RuntimeError as error:
    ...     print(str(error).split(":")[1])
     window 0 along spatial dimension 0 reads only padding
    """
    for dim, (n, k, s, p, d, length) in enumerate(
        zip(sizes, kernel, stride, pad, dilation, out, strict=True)
    ):
        for o in range(length):
            taps = range(o * s - p, o * s - p + k * d, d)
            if not any(0 <= t < n for t in taps):
                shown = " and ".join(map(str, taps)) if k <= 3 else f"{taps[0]}..{taps[-1]}"
                raise RuntimeError(
                    f"{op}: window {o} along spatial dimension {dim} reads only padding: its "
                    f"taps at {shown} (kernel {k}, dilation {d}, padding {p}) all fall outside "
                    f"the input of length {n}, so it has no maximum"
                )


@functools.lru_cache(maxsize=256)  # as _checked_geometry: once per geometry, not per step
def _checked_pool_geometry(
    kernel: Pair,
    stride: Pair,
    pad: Pair,
    dilation: Pair,
    ceil_mode: bool,
    size: Pair,
    op: str,
    planes: int,
) -> Geometry:
    """PyTorch's checks (``pooling_output_shape`` per dimension, then
    ``pool2d_shape_check``), in its order, with its messages; chainrule's explanation on a
    second line."""
    out = [
        pooled_length(n, k, p, s, d, ceil_mode)
        for n, k, s, p, d in zip(size, kernel, stride, pad, dilation, strict=True)
    ]
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, pad, dilation
    if min(kernel) < 1:
        raise RuntimeError(f"kernel size should be greater than zero, but got kH: {kh} kW: {kw}")
    if min(stride) < 1:
        raise RuntimeError(f"stride should be greater than zero, but got dH: {sh} dW: {sw}")
    if min(dilation) < 1:
        raise RuntimeError(
            f"dilation should be greater than zero, but got dilationH: {dh} dilationW: {dw}"
        )
    if ph > kh // 2 or pw > kw // 2:
        raise RuntimeError(
            "pad should be smaller than or equal to half of kernel size, but got "
            f"padW = {pw}, padH = {ph}, kW = {kw}, kH = {kh}\n"
            f"{op}: padding {pad} should be at most half of the kernel size {kernel}"
        )
    if min(out) < 1:
        raise RuntimeError(
            f"Given input size: ({planes}x{size[0]}x{size[1]}). Calculated output size: "
            f"({planes}x{out[0]}x{out[1]}). Output size is too small\n"
            f"{op}: kernel {kernel} with dilation {dilation} does not fit the input of size "
            f"{size} padded by {pad}: the output would be {out[0]}x{out[1]}"
        )
    if op == "max_pool2d":
        check_windows_reach_input(op, size, kernel, stride, pad, dilation, out)
    widths = []
    for n, k, s, p, d, length in zip(size, kernel, stride, pad, dilation, out, strict=True):
        extent = d * (k - 1) + 1
        widths.append((p, p + max(0, (length - 1) * s + extent - n - 2 * p)))
    return Geometry(kernel, stride, (widths[0], widths[1]), dilation)


# A training step asks for the same few geometries at every step: each is checked and made once
# (a frozen dataclass's __init__ and the checks took ~5 us a call, four calls a digits CNN step).
@functools.lru_cache(maxsize=256)
def _checked_geometry(
    kernel: Pair, stride: Pair, padding: str | Pair, size: Pair, op: str, dilation: Pair
) -> Geometry:
    if min(dilation) < 1:  # (a negative one was refused by _check_conv_values)
        raise RuntimeError(f"dilation should be greater than zero, but got {list(dilation)}")
    if padding == "valid":
        widths: tuple[Pair, Pair] = ((0, 0), (0, 0))
    elif padding == "same":
        if stride != (1, 1):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
        # The window's extent less one, split; an odd total pads one more at the bottom/right,
        # as PyTorch does.
        total = tuple(d * (k - 1) for k, d in zip(kernel, dilation, strict=True))
        widths = tuple((t // 2, t - t // 2) for t in total)  # type: ignore[assignment]
    else:
        ph, pw = padding
        widths = ((ph, ph), (pw, pw))
    geom = Geometry(kernel, stride, widths, dilation)
    ho, wo = geom.out_size(*size)
    if ho < 1 or wo < 1:
        padded = [n + a + b for n, (a, b) in zip(size, widths, strict=True)]
        extents = list(geom.extent)
        if op == "conv1d":  # height-1 images: PyTorch names the length alone
            padded, extents = padded[1:], extents[1:]
        raise RuntimeError(
            "Calculated padded input size per channel: ({}). Kernel size: ({}). Kernel size "
            "can't be greater than actual input size\n".format(
                " x ".join(map(str, padded)), " x ".join(map(str, extents))
            )
            + f"{op}: kernel {kernel} does not fit the input of size {size} padded by "
            f"{widths}: the output would be {ho}x{wo}"
            + (f" (dilation {dilation}: windows {geom.extent})" if dilation != (1, 1) else "")
        )
    return geom


def conv2d(
    input: Tensor,  # noqa: A002
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """2-D convolution (cross-correlation) of (N, C, H, W) ``input`` with (O, C, kh, kw) ``weight``;
    a (C, H, W) ``input`` is one image.

    ``padding`` is an int, a pair, ``"valid"`` or ``"same"``. With ``groups`` the weight is
    (O, C / groups, kh, kw), each group of channels convolved with its own outputs' weights.
    ``dilation`` spreads the kernel's taps ``dilation`` apart (an "atrous" convolution).

        >>> import chainrule as cr
        >>> conv2d(cr.ones(1, 1, 4, 4), cr.ones(2, 1, 3, 3), padding=1).shape
        chainrule.Size([1, 2, 4, 4])
    """
    settings = _conv_settings("conv2d", 2, (input, weight, bias), stride, padding, dilation, groups)
    return _conv2d(input, weight, bias, *settings, "conv2d")  # type: ignore[arg-type]


def _conv2d(
    input: Tensor,  # noqa: A002
    weight: Tensor,
    bias: Tensor | None,
    stride: Pair,
    padding: Pair | str,
    spread: Pair,
    groups: int,
    op: str,
) -> Tensor:
    """:func:`conv2d`, for ``op`` (conv2d, or conv1d over height-1 images: PyTorch's
    messages name its sizes alone)."""
    # NumPy would promote mixed dtypes; PyTorch refuses them. The arrays' dtypes are compared
    # inline, as linear's are (conv2d is a hot path), a batched tensor's public one.
    dtype = input.dtype if type(input) is _BATCHED else input._data.dtype
    if (weight.dtype if type(weight) is _BATCHED else weight._data.dtype) != dtype or (
        bias is not None and (bias.dtype if type(bias) is _BATCHED else bias._data.dtype) != dtype
    ):
        raise _mixed_dtypes(input, weight, bias)
    if groups != 1:
        return _grouped_conv2d(input, weight, bias, stride, padding, spread, groups, op)
    input, unbatched = _batched(input, "conv2d")
    if weight.ndim != 4:
        raise RuntimeError(
            f"conv2d: weight of shape {tuple(weight.shape)} does not fit input of shape "
            f"{tuple(input.shape)}: expected (out_channels, {input.shape[1]}, kh, kw)"
        )
    if weight.shape[1] != input.shape[1]:
        raise _channels_mismatch("groups=1", weight, input, weight.shape[1], op)
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise RuntimeError(
            f"conv2d: bias of shape {tuple(bias.shape)} does not match {weight.shape[0]} "
            "output channels"
        )
    kernel = (weight.shape[2], weight.shape[3])
    if not kernel[0] or not kernel[1]:
        raise _empty_kernel(kernel)
    size = (input.shape[2], input.shape[3])
    geom = _checked_geometry(kernel, stride, padding, size, op, spread)
    out = Convolution(geom)(input, weight, bias)
    return out.squeeze(0) if unbatched else out


def _channels_mismatch(
    given: str,
    weight: Tensor,
    input: Tensor,  # noqa: A002
    expected: int,
    op: str,
) -> RuntimeError:
    """PyTorch's error for an input whose channels do not fit the weight: the shapes as the
    user gave them (a 1-D op's without the height 1 it runs with here), the input batched."""
    weight_shape, input_shape = list(weight.shape), list(input.shape)
    if len(input_shape) == len(weight_shape) - 1:  # unbatched
        input_shape = [1, *input_shape]
    if op == "conv1d":
        del weight_shape[2], input_shape[2]
    return RuntimeError(
        f"Given {given}, weight of size {weight_shape}, expected input{input_shape} to have "
        f"{expected} channels, but got {input_shape[1]} channels instead"
    )


def _mixed_dtypes(input: Tensor, weight: Tensor, bias: Tensor | None) -> RuntimeError:  # noqa: A002
    """PyTorch's error for a convolution whose weight or bias differs from its input in dtype:
    the bias is checked first."""
    if bias is not None and bias.dtype != input.dtype:
        c_names = (dtypes._TORCH_DTYPE_NAMES[xp.dtype(t.dtype).name][0] for t in (input, bias))
        return RuntimeError(
            "Input type ({}) and bias type ({}) should be the same".format(*c_names)
        )
    return unexpected_dtype(input.dtype, weight.dtype)


_BATCHED = batching.BatchedTensor


def _empty_kernel(kernel: Pair) -> RuntimeError:
    """PyTorch's error for a 2-D (or, of height 1, 1-D) kernel with no taps."""
    return RuntimeError(
        "kernel size should be greater than zero, but got kernel_height: "
        f"{kernel[0]} kernel_width: {kernel[1]}"
    )


def _check_groups(shape: list[int], groups: int) -> None:
    """PyTorch's checks of a convolution's weight (of ``shape``) against its ``groups``, and its
    messages (the second prints the shape in two brackets)."""
    if shape[0] < groups:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be at least {groups} at dimension 0, "
            f"but got weight of size {shape} instead"
        )
    if shape[0] % groups:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
            f"but got weight of size [{shape}] instead"
        )


def _grouped_conv2d(
    input: Tensor,  # noqa: A002
    weight: Tensor,
    bias: Tensor | None,
    stride: Pair,
    padding: Pair | str,
    dilation: Pair,
    groups: int,
    op: str,
) -> Tensor:
    """:func:`conv2d` with ``groups``: each group of input channels convolved with its own
    output channels' weights, the results concatenated (a depthwise convolution has one
    channel per group); PyTorch's checks and messages."""
    _check_image(input, "conv2d")
    shape = list(weight.shape)
    if op == "conv1d":  # (its height-1 images' weight: PyTorch names the 1-D one)
        del shape[2]
    _check_groups(shape, groups)
    channels, per_in, per_out = input.shape[-3], weight.shape[1], weight.shape[0] // groups
    if per_in * groups != channels:
        raise _channels_mismatch(f"groups={groups}", weight, input, per_in * groups, op)
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise RuntimeError(
            f"conv2d: bias of shape {tuple(bias.shape)} does not match {weight.shape[0]} "
            "output channels"
        )
    parts = [
        _conv2d(
            input[..., g * per_in : (g + 1) * per_in, :, :],
            weight[g * per_out : (g + 1) * per_out],
            None if bias is None else bias[g * per_out : (g + 1) * per_out],
            stride,
            padding,
            dilation,
            1,
            op,
        )
        for g in range(groups)
    ]
    return cat(parts, -3)


def conv1d(
    input: Tensor,  # noqa: A002
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """1-D convolution of (N, C, L) ``input`` with (O, C, k) ``weight``: a 2-D convolution of
    height-1 images, so it shares conv2d's rules. A (C, L) ``input`` is one sequence.

        >>> import chainrule as cr
        >>> conv1d(cr.ones(1, 2, 5), cr.ones(3, 2, 3), padding=1).shape
        chainrule.Size([1, 3, 5])
    """
    if input.ndim not in (2, 3) or weight.ndim != 3:
        raise RuntimeError(
            f"conv1d: expected a 2-D or 3-D input and a 3-D weight, got input of shape "
            f"{tuple(input.shape)} and weight of shape {tuple(weight.shape)}"
        )
    (step,), widths, (spread,), groups = _conv_settings(
        "conv1d", 1, (input, weight, bias), stride, padding, dilation, groups
    )
    out = _conv2d(
        input.unsqueeze(-2),
        weight.unsqueeze(-2),
        bias,
        (1, step),
        widths if isinstance(widths, str) else (0, widths[0]),
        (1, spread),
        groups,
        "conv1d",
    )
    # PyTorch's batched conv1d is one convolution node; its unbatched one squeezes, as here
    out = out.squeeze(-2)
    return named(out, "ConvolutionBackward0") if input.ndim == 3 else out


def _in_float32(
    conv: Callable[..., Tensor],
    input: Tensor,  # noqa: A002
    weight: Tensor,
    bias: Any,
    settings: tuple[Any, ...],
) -> Tensor:
    """``conv(input, weight, bias, *settings)`` of float16 tensors computed in float32 and
    rounded once, as PyTorch's CPU convolutions compute (a float16 bias added after rounding,
    or partial sums in float16, moved the last bits or overflowed)."""
    return combinations.fused(lambda x, w, b: conv(x, w, b, *settings), input, weight, bias)


def conv_transpose2d(
    input: Tensor,  # noqa: A002
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> Tensor:
    """The transposed convolution of (N, C_in, H, W) ``input`` with (C_in, C_out / groups, kh,
    kw) ``weight``: the input gradient of the convolution whose output it takes, so it is the
    op that computes that gradient, :class:`ConvolutionBackwardInput` (each input pixel's
    kernel-sized contribution added at its place), and shares its rules. The output is
    ``(H - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1`` high (and wide
    alike); ``output_padding`` (less than the stride or the dilation) adds rows and columns at
    the end that no pixel reaches. A (C_in, H, W) ``input`` is one image.

        >>> import chainrule as cr
        >>> conv_transpose2d(cr.ones(1, 1, 2, 2), cr.ones(1, 1, 2, 2), stride=2)[0, 0]
        tensor([[1., 1., 1., 1.],
                [1., 1., 1., 1.],
                [1., 1., 1., 1.],
                [1., 1., 1., 1.]])
    """
    step, widths, extra, groups, spread = _transposed_settings(
        "conv_transpose2d", 2, stride, padding, output_padding, groups, dilation
    )
    if weight.dtype != input.dtype:
        raise unexpected_dtype(input.dtype, weight.dtype)
    if bias is not None and bias.dtype != input.dtype:
        bias = bias.to(input.dtype)  # as PyTorch's 1-D and 2-D kernels add it (3-D refuses it)
    if input.dtype == dtypes.float16:  # the bias too
        settings = (stride, padding, output_padding, groups, dilation)
        return _in_float32(conv_transpose2d, input, weight, bias, settings)
    input, unbatched = _batched(input, "conv_transpose2d")
    if weight.ndim != 4 or weight.shape[0] != input.shape[1]:
        raise RuntimeError(
            f"Given transposed=1, weight of size {list(weight.shape)}, expected input"
            f"{list(input.shape)} to have {weight.shape[0]} channels, but got {input.shape[1]} "
            "channels instead"
        )
    if weight.shape[0] % groups:
        raise RuntimeError(
            f"conv_transpose2d: groups={groups} must be positive and divide the "
            f"{weight.shape[0]} input channels"
        )
    c_out = weight.shape[1] * groups
    if bias is not None and tuple(bias.shape) != (c_out,):
        raise RuntimeError(
            f"Given transposed=1, weight of size {list(weight.shape)}, expected bias to be "
            f"1-dimensional with {c_out} elements, but got bias of size {list(bias.shape)} "
            "instead"
        )
    if min(spread) < 1:
        raise RuntimeError(
            "dilation should be greater than zero, but got dilation_height: {}, "
            "dilation_width: {}".format(*spread)
        )
    if any(e < 0 or e >= max(s, d) for e, s, d in zip(extra, step, spread, strict=True)):
        raise RuntimeError(
            "output padding must be smaller than either stride or dilation, but got "
            f"output_padding_height: {extra[0]} output_padding_width: {extra[1]} stride_height: "
            f"{step[0]} stride_width: {step[1]} dilation_height: {spread[0]} dilation_width: "
            f"{spread[1]}"
        )
    if not weight.shape[2] or not weight.shape[3]:
        raise _empty_kernel((weight.shape[2], weight.shape[3]))
    if spread != (1, 1):
        weight = _dilated(weight, spread)
    n, _, h, w = input.shape
    kernel = (weight.shape[2], weight.shape[3])
    size = tuple(
        (n_in - 1) * s - 2 * p + k + e
        for n_in, s, p, k, e in zip((h, w), step, widths, kernel, extra, strict=True)
    )
    if min(size) < 1:
        raise RuntimeError(
            f"Given input size per channel: ({h} x {w}). Calculated output size per channel: "
            f"({size[0]} x {size[1]}). Output size is too small"
        )
    # Output padding of a stride or more (allowed below the dilation) would make the rules'
    # windows over the output one more than the input's pixels, so it comes off the padding
    # cropped at the end instead: the rows past the end of the full output, which no pixel
    # reaches, are what is left over, padded on after.
    ends = tuple(p - e if e >= s else p for p, e, s in zip(widths, extra, step, strict=True))
    beyond = tuple(max(-end, 0) for end in ends)
    geom = Geometry(
        kernel, step, tuple((p, max(end, 0)) for p, end in zip(widths, ends, strict=True))
    )
    size = (size[0] - beyond[0], size[1] - beyond[1])
    if groups == 1:
        out = ConvolutionBackwardInput(geom, (n, c_out, *size))(input, weight)
    else:  # each group of input channels makes its own output channels
        per = weight.shape[0] // groups
        out = cat(
            [
                ConvolutionBackwardInput(geom, (n, weight.shape[1], *size))(
                    input[:, g * per : (g + 1) * per], weight[g * per : (g + 1) * per]
                )
                for g in range(groups)
            ],
            1,
        )
    if any(beyond):
        out = pad(out, (0, beyond[1], 0, beyond[0]))
    if bias is not None:
        out = out + bias.reshape(1, -1, 1, 1)
    out = named(out, "ConvolutionBackward0")  # PyTorch's one node, whatever it is made of here
    return out.squeeze(0) if unbatched else out


def _dilated(weight: Tensor, dilation: Pair) -> Tensor:
    """The kernel spread out by ``dilation``: ``d - 1`` zeros between its taps, a composite
    (a pad of unit dimensions, then a reshape), so its gradient reads the taps back."""
    (dh, dw), (kh, kw) = dilation, tuple(weight.shape[2:])
    lead = tuple(weight.shape[:2])
    spaced = pad(weight.reshape(*lead, kh, 1, kw, 1), (0, dw - 1, 0, 0, 0, dh - 1))
    return spaced.reshape(*lead, kh * dh, kw * dw)[..., : (kh - 1) * dh + 1, : (kw - 1) * dw + 1]


def conv_transpose1d(
    input: Tensor,  # noqa: A002
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> Tensor:
    """The transposed convolution of (N, C_in, L) ``input`` with (C_in, C_out / groups, k)
    ``weight``: :func:`conv_transpose2d` of height-1 images. A (C_in, L) ``input`` is one
    sequence.

        >>> import chainrule as cr
        >>> conv_transpose1d(cr.ones(1, 1, 3), cr.ones(1, 2, 2)).shape
        chainrule.Size([1, 2, 4])
    """
    (step,), (width,), (extra,), groups, (spread,) = _transposed_settings(
        "conv_transpose1d", 1, stride, padding, output_padding, groups, dilation
    )
    if input.ndim not in (2, 3) or weight.ndim != 3:
        raise RuntimeError(
            f"conv_transpose1d: expected a 2-D or 3-D input and a 3-D weight, got input of "
            f"shape {tuple(input.shape)} and weight of shape {tuple(weight.shape)}"
        )
    if weight.shape[0] != input.shape[-2]:  # (checked here, to name the 1-D shapes)
        raise _channels_mismatch("transposed=1", weight, input, weight.shape[0], "")
    out = conv_transpose2d(
        input.unsqueeze(-2),
        weight.unsqueeze(-2),
        bias,
        (1, step),
        (0, width),
        (0, extra),
        groups,
        (1, spread),
    )
    return out.squeeze(-2)


# ----------------------------------------------------------------------------- three dimensions
# A 3-D convolution is a 2-D one per output depth: the kd input slices that output depth ``z``
# reads (``z * sd + i * dd``, i < kd) stacked as channels, convolved over height and width by
# conv2d with the weight's depth taps folded into its channels the same way. So conv3d and
# conv_transpose3d compose the 2-D ops (their rules, batching and orders of derivatives) with
# one strided copy per depth tap, and leave the tuned 2-D path as it is.
Triple = tuple[int, int, int]


def _volume(input: Tensor, op: str) -> tuple[Tensor, bool]:  # noqa: A002
    """``input`` as (N, C, D, H, W), and whether it came as one unbatched (C, D, H, W) volume."""
    if input.ndim not in (4, 5):
        raise RuntimeError(
            f"Expected 4D (unbatched) or 5D (batched) input to {op}, but got input of size: "
            f"{list(input.shape)}"
        )
    return (input.unsqueeze(0), True) if input.ndim == 4 else (input, False)


def _depth_taps(x: Tensor, kd: int, step: int, spread: int, depth: int) -> Tensor:
    """(N, D, C, H, W) -> (N * depth, C * kd, H, W): for each output depth the kd slices its
    windows read, tap fastest within each channel (the order of the weight's (C, kd) folded)."""
    n, _, c, h, w = x.shape
    end = step * (depth - 1) + 1
    taps = [x[:, i * spread : i * spread + end : step] for i in range(kd)]
    return stack(taps, 3).reshape(n * depth, c * kd, h, w)


def conv3d(
    input: Tensor,  # noqa: A002
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """3-D convolution (cross-correlation) of (N, C, D, H, W) ``input`` with (O, C / groups, kd,
    kh, kw) ``weight``; a (C, D, H, W) ``input`` is one volume. ``padding`` is an int, a triple,
    ``"valid"`` or ``"same"``.

    Each output depth is a :func:`conv2d` of the kd input slices its windows read, stacked as
    channels, with the weight's depth taps folded into its input channels alike.

        >>> import chainrule as cr
        >>> conv3d(cr.ones(1, 1, 4, 4, 4), cr.ones(2, 1, 3, 3, 3), padding=1).shape
        chainrule.Size([1, 2, 4, 4, 4])
    """
    if input.dtype == dtypes.float16:  # (its slices' gradients summed in float16 overflowed)
        return _in_float32(conv3d, input, weight, bias, (stride, padding, dilation, groups))
    input, unbatched = _volume(input, "conv3d")
    step, padding, spread, groups = _conv_settings(
        "conv3d", 3, (input, weight, bias), stride, padding, dilation, groups
    )
    if weight.ndim != 5:
        raise RuntimeError(
            f"conv3d: expected a 5-D weight (out_channels, in_channels / groups, kd, kh, kw), "
            f"got weight of size {list(weight.shape)}"
        )
    if min(spread) < 1:
        raise RuntimeError(f"dilation should be greater than zero, but got {list(spread)}")
    _check_groups(list(weight.shape), groups)
    n, c, d, h, w = input.shape
    if weight.shape[1] * groups != c:
        raise RuntimeError(
            f"Given groups={groups}, weight of size {list(weight.shape)}, expected input"
            f"{list(input.shape)} to have {weight.shape[1] * groups} channels, but got {c} "
            "channels instead"
        )
    o, kernel = weight.shape[0], tuple(weight.shape[2:])
    if bias is not None and tuple(bias.shape) != (o,):
        raise RuntimeError(
            f"Given weight of size {list(weight.shape)}, expected bias to be 1-dimensional with "
            f"{o} elements, but got bias of size {list(bias.shape)} instead"
        )
    if not all(kernel):
        raise RuntimeError(
            "kernel size should be greater than zero, but got: {} x {} x {} (TxHxW)".format(*kernel)
        )
    if isinstance(padding, str):
        if padding == "same" and step != (1, 1, 1):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
        total = [
            s * (k - 1) if padding == "same" else 0 for k, s in zip(kernel, spread, strict=True)
        ]
        widths = [(t // 2, t - t // 2) for t in total]  # the odd one more at the end
    else:
        widths = [(p, p) for p in padding]
    sizes = [m + a + b for m, (a, b) in zip((d, h, w), widths, strict=True)]
    extents = [s * (k - 1) + 1 for k, s in zip(kernel, spread, strict=True)]
    if any(e > m for e, m in zip(extents, sizes, strict=True)):
        raise RuntimeError(
            "Calculated padded input size per channel: ({}). Kernel size: ({}). Kernel size "
            "can't be greater than actual input size".format(
                " x ".join(map(str, sizes)), " x ".join(map(str, extents))
            )
        )
    depth = (sizes[0] - extents[0]) // step[0] + 1
    front, back = widths[0]
    volume = pad(input, (0, 0, 0, 0, front, back)) if front or back else input
    taps = _depth_taps(volume.transpose(1, 2), kernel[0], step[0], spread[0], depth)
    # conv2d pads height and width itself ("same" as here: the odd one more at the end)
    plane_padding = padding if isinstance(padding, str) else (widths[1][0], widths[2][0])
    folded = weight.reshape(o, -1, kernel[1], kernel[2])
    planes = conv2d(taps, folded, bias, step[1:], plane_padding, spread[1:], groups)
    out = named(
        planes.reshape(n, depth, o, *planes.shape[2:]).transpose(1, 2), "ConvolutionBackward0"
    )
    return out.squeeze(0) if unbatched else out


def conv_transpose3d(
    input: Tensor,  # noqa: A002
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> Tensor:
    """The transposed 3-D convolution of (N, C_in, D, H, W) ``input`` with (C_in, C_out /
    groups, kd, kh, kw) ``weight``, :func:`conv3d`'s input gradient; sizes as
    :func:`conv_transpose2d`'s, per dimension. A (C_in, D, H, W) ``input`` is one volume.

    Each input depth slice goes through :func:`conv_transpose2d` with the weight's depth taps
    folded into its output channels; tap ``i`` of slice ``z`` is then added at output depth
    ``z * sd + i * dd - padding``.

        >>> import chainrule as cr
        >>> conv_transpose3d(cr.ones(1, 1, 2, 2, 2), cr.ones(1, 1, 2, 2, 2), stride=2).shape
        chainrule.Size([1, 1, 4, 4, 4])
    """
    op = "conv_transpose3d"
    step, widths, extra, groups, spread = _transposed_settings(
        op, 3, stride, padding, output_padding, groups, dilation
    )
    if input.dtype == dtypes.float16:
        settings = (step, widths, extra, groups, spread)
        return _in_float32(conv_transpose3d, input, weight, bias, settings)
    for other in (weight, bias):  # unlike the 2-D kernel's, the 3-D one refuses a bias too
        if other is not None and other.dtype != input.dtype:
            raise unexpected_dtype(input.dtype, other.dtype)
    input, unbatched = _volume(input, "conv_transpose3d")
    if weight.ndim != 5:
        raise RuntimeError(
            "conv_transpose3d: expected a 5-D weight (in_channels, out_channels / groups, kd, "
            f"kh, kw), got weight of size {list(weight.shape)}"
        )
    n, c, d, h, w = input.shape
    if weight.shape[0] != c:
        raise RuntimeError(
            f"Given transposed=1, weight of size {list(weight.shape)}, expected input"
            f"{list(input.shape)} to have {weight.shape[0]} channels, but got {c} channels "
            "instead"
        )
    if c % groups:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be at least {groups} at dimension 0, "
            f"but got weight of size {list(weight.shape)} instead"
        )
    c_out, kernel = weight.shape[1] * groups, tuple(weight.shape[2:])
    if bias is not None and tuple(bias.shape) != (c_out,):
        raise RuntimeError(
            f"Given transposed=1, weight of size {list(weight.shape)}, expected bias to be "
            f"1-dimensional with {c_out} elements, but got bias of size {list(bias.shape)} "
            "instead"
        )
    if not weight.numel():
        raise RuntimeError(
            "non-empty 5D (n_output_plane x n_input_plane x kernel_depth x kernel_height x "
            f"kernel_width) tensor expected for weight, but got: {list(weight.shape)}"
        )
    if min(spread) < 1:
        raise RuntimeError(
            "dilation should be greater than zero, but got dilation_depth: {}, dilation_height: "
            "{}, dilation_width: {}".format(*spread)
        )
    if any(e < 0 or e >= max(s, t) for e, s, t in zip(extra, step, spread, strict=True)):
        raise RuntimeError(
            "output padding must be smaller than either stride or dilation, but got "
            + " ".join(
                f"{name}_{axis}: {v}"
                for name, values in (
                    ("output_padding", extra),
                    ("stride", step),
                    ("dilation", spread),
                )
                for axis, v in zip(("depth", "height", "width"), values, strict=True)
            )
        )
    sizes = [
        (m - 1) * s - 2 * p + t * (k - 1) + e + 1
        for m, s, p, t, k, e in zip((d, h, w), step, widths, spread, kernel, extra, strict=True)
    ]
    if min(sizes) < 1:
        raise RuntimeError(
            f"Given input size per channel: ({d} x {h} x {w}). Calculated output size per "
            f"channel: ({' x '.join(map(str, sizes))}). Output size is too small"
        )
    kd, per = kernel[0], weight.shape[1]
    planes = conv_transpose2d(
        input.transpose(1, 2).reshape(n * d, c, h, w),
        weight.reshape(c, per * kd, kernel[1], kernel[2]),
        None,
        step[1:],
        widths[1:],
        extra[1:],
        groups,
        spread[1:],
    )
    # (N, D, C_out, kd, H', W'): tap i of slice z goes to padded depth z * sd + i * dd
    taps = planes.reshape(n, d, c_out, kd, *planes.shape[2:])
    out = _place_depth_taps(taps, step[0], spread[0], sizes[0] + 2 * widths[0])
    out = out[:, :, widths[0] : widths[0] + sizes[0]]
    if bias is not None:
        out = out + bias.reshape(1, -1, 1, 1, 1)
    out = named(out, "ConvolutionBackward0")  # PyTorch's one node, whatever it is made of here
    return out.squeeze(0) if unbatched else out


def _place_depth_taps(taps: Tensor, step: int, spread: int, depth: int) -> Tensor:
    """(N, D, C, kd, H, W) -> (N, C, depth, H, W): tap ``i`` of slice ``z`` added at depth
    ``z * step + i * spread`` (the depth's col2im), as a sum of kd zero-spaced, padded copies."""
    n, d, c, kd, h, w = taps.shape
    total = None
    for i in range(kd):
        tap = taps[:, :, :, i].transpose(1, 2)  # (N, C, D, H, W)
        if step > 1:  # step - 1 zeros after each slice, the last one's cut off
            spaced = pad(tap.unsqueeze(3), (0, 0, 0, 0, 0, step - 1))
            tap = spaced.reshape(n, c, d * step, h, w)[:, :, : (d - 1) * step + 1]
        before = i * spread
        placed = pad(tap, (0, 0, 0, 0, before, depth - before - tap.shape[2]))
        total = placed if total is None else total + placed
    return total


def max_pool2d(
    input: Tensor,  # noqa: A002
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor:
    """The maximum of each ``kernel_size`` window; ``stride`` defaults to the kernel size.
    With ``return_indices`` also each maximum's flat position in its input's (H, W) plane
    (what :func:`max_unpool2d` takes).

    >>> import chainrule as cr
    >>> max_pool2d(cr.arange(16.0).reshape(1, 1, 4, 4), 2).flatten().tolist()
    [5.0, 7.0, 13.0, 15.0]
    """
    # PyTorch's F.max_pool2d passes its arguments on by position, to the op of indices too
    op = "max_pool2d_with_indices" if return_indices else "max_pool2d"
    kernel, step, pad, spread = pool_windows(op, 2, kernel_size, stride, padding, dilation)
    if type(ceil_mode) is not bool:
        boolean(ceil_mode, op, "ceil_mode", 6)
    input, unbatched = _batched(input, "max_pool2d")
    size = (input.shape[2], input.shape[3])
    geom = _pool_geometry(kernel, step, pad, spread, ceil_mode, size, "max_pool2d", input.shape[1])  # type: ignore[arg-type]
    out = MaxPool2DWithIndices(geom)(input)
    if not return_indices:
        return out.squeeze(0) if unbatched else out
    indices = MaxPool2DIndices(geom)(input)
    return (out.squeeze(0), indices.squeeze(0)) if unbatched else (out, indices)


def max_pool2d_with_indices(
    input: Tensor,  # noqa: A002
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> tuple[Tensor, Tensor]:
    """:func:`max_pool2d`'s values and indices, whatever ``return_indices`` says (as PyTorch's
    function of this name, which ``max_pool2d(..., return_indices=True)`` calls).

    >>> import chainrule as cr
    >>> values, indices = max_pool2d_with_indices(cr.arange(16.0).reshape(1, 1, 4, 4), 2)
    >>> indices.flatten().tolist()
    [5, 7, 13, 15]
    """
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def integer_average(input: Tensor, kernel: str, average: Any) -> Tensor:  # noqa: A002
    """PyTorch's average pooling of integers: int64 only (its kernels have no other integer
    or bool version), each window's mean truncated toward zero, in int64. Averaged in float64
    (exact sums below 2**53), then truncated."""
    if input.dtype != dtypes.int64:
        raise dtypes.not_implemented_for(kernel, input.dtype)
    return average(input.double()).trunc().long()


def avg_pool2d(
    input: Tensor,  # noqa: A002
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """The mean of each window: a convolution of every channel with a constant kernel.

    Composite (no rules of its own): each channel is convolved separately with a kernel of
    ones, then divided by the window size, or by the number of real (unpadded) elements when
    ``count_include_pad=False``.

        >>> import chainrule as cr
        >>> avg_pool2d(cr.arange(16.0).reshape(1, 1, 4, 4), 2).flatten().tolist()
        [2.5, 4.5, 10.5, 12.5]
    """
    kernel, step, pad, _ = pool_windows("avg_pool2d", 2, kernel_size, stride, padding)
    divisor_override = check_average_flags(
        "avg_pool2d", ceil_mode, count_include_pad, divisor_override
    )
    _check_image(input, "avg_pool2d")  # (C, H, W) needs no batch dimension here

    def pooled(x: Tensor) -> Tensor:
        return avg_pool2d(
            x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
        )

    if input.dtype.kind in "biu":
        return integer_average(input, "avg_pool2d", pooled)
    if input.dtype == dtypes.float16:  # summed and divided in float32, rounded once, as
        return combinations.fused(pooled, input)  # PyTorch's (a float16 sum overflowed)
    *leading, h, w = input.shape
    planes = input.shape[-3]
    geom = _pool_geometry(kernel, step, pad, (1, 1), ceil_mode, (h, w), "avg_pool2d", planes)  # type: ignore[arg-type]
    ones = xp.ones((1, 1, *kernel), dtype=input.dtype)
    # reads_input: PyTorch's backward kernel reads the input, and its double backward gives
    # it zeros, where a convolution's gives it no gradient
    sums = Convolution(geom)(reads_input(input).reshape(-1, 1, h, w), ones, None)
    ho, wo = sums.shape[2], sums.shape[3]
    (top, bottom), (left, right) = geom.padding
    if divisor_override is not None:
        divisor: Any = divisor_override
    elif not count_include_pad:  # how many real elements each window covers
        divisor = _conv(xp.ones((1, 1, h, w), dtype=input.dtype), ones, None, geom)[0, 0]
    elif (bottom, right) == (top, left):
        divisor = kernel[0] * kernel[1]
    else:
        # A ceil_mode window past the padded input: PyTorch counts its padded elements, not
        # those past them. So: how many elements of the padded input each window covers.
        beyond = Geometry(kernel, geom.stride, ((0, bottom - top), (0, right - left)))
        padded = xp.ones((1, 1, h + 2 * top, w + 2 * left), dtype=input.dtype)
        divisor = _conv(padded, ones, None, beyond)[0, 0]
    return named((sums / divisor).reshape(*leading, ho, wo), "AvgPool2DBackward0")
