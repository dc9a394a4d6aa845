"""Rearranging image pixels and windows: ``pixel_shuffle`` and ``pixel_unshuffle`` (channels
to and from space), ``unfold`` (every window of an image as a column, im2col) and ``fold``
(columns added back into an image, col2im).

The pixel shuffles are a reshape, a permutation and a reshape, so their gradients are the
reverse rearrangement. ``unfold`` and ``fold`` are linear maps, each the other's transpose:
two ops, :class:`Unfold` and :class:`Fold`, each of whose vjp applies the other, so gradients
of gradients work to any order. The windows are read as the convolution reads them, one
strided copy (or add) per kernel offset.

    >>> import chainrule as cr
    >>> x = cr.arange(8.0).reshape(1, 4, 1, 2)
    >>> pixel_shuffle(x, 2)
    tensor([[[[0., 2., 1., 3.],
              [4., 6., 5., 7.]]]])
    >>> bool((pixel_unshuffle(pixel_shuffle(x, 2), 2) == x).all())
    True
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from chainrule import dtypes, memory_formats
from chainrule._array import xp
from chainrule.arguments import int_window, integer
from chainrule.autodiff import batching
from chainrule.op import Linear, named
from chainrule.op import run as _apply
from chainrule.tensor import Tensor

Pair = tuple[int, int]


def as_tuple(value: Any, dims: int) -> tuple[Any, ...]:
    """PyTorch's ``_ntuple``, which its layers, unfold, fold and unpoolings apply to their
    settings: an iterable as a tuple, anything else repeated ``dims`` times, unchecked (the op
    that reads them refuses what does not fit, in its own words)."""
    return tuple(value) if isinstance(value, Iterable) else (value,) * dims


def _factor(value: Any, name: str, op: str) -> int:
    """A positive int, as PyTorch's pixel shuffles take it (an int, NumPy integer or integer
    tensor of no dimensions; given by position, as PyTorch's message then reads)."""
    if type(value) is not int:
        value = integer(value, op, name, 2)
    if value <= 0:
        raise RuntimeError(f"{op} expects a positive {name}, but got {value}")
    return value


def _check_image(input: Tensor, op: str) -> None:  # noqa: A002
    if input.ndim < 3:
        raise RuntimeError(
            f"{op} expects input to have at least 3 dimensions, but got input with "
            f"{input.ndim} dimension(s)"
        )


def rearranged(view: Tensor, shape: tuple[int, ...], input: Tensor) -> Tensor:  # noqa: A002
    """The values of ``view`` (a permuted view of ``input``) as ``shape``: always a copy, as
    PyTorch's shuffles never share their input's memory (a reshape of the view is a view of
    input where the permutation moves only sizes of 1: one group, a factor of 1), laid out in
    the format that input's strides suggest (channels-last stays so), as PyTorch's.

        >>> import chainrule as cr
        >>> x = cr.arange(4.0).reshape(1, 4, 1, 1)
        >>> rearranged(x.permute(0, 1, 3, 2), (1, 4, 1, 1), x).data_ptr() == x.data_ptr()
        False
    """
    out = view.reshape(shape)  # a copy, but for a permutation of sizes of 1
    if out._is_view():  # then still input's memory: copied (a new tensor, not a view of one)
        out = out.clone(memory_format=memory_formats.contiguous_format)
    if isinstance(input, batching.BatchedTensor):  # under vmap no layout is read
        return out
    fmt = memory_formats.suggested(tuple(input.shape), list(input.stride()))
    return out if fmt is memory_formats.contiguous_format else out.contiguous(memory_format=fmt)


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:  # noqa: A002
    """(*, C * r * r, H, W) -> (*, C, H * r, W * r): each group of r * r channels becomes an
    r x r block of pixels (the sub-pixel convolution's upsampling)."""
    r = _factor(upscale_factor, "upscale_factor", "pixel_shuffle")
    _check_image(input, "pixel_shuffle")
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(
            "pixel_shuffle expects its input's 'channel' dimension to be divisible by the square "
            f"of upscale_factor, but input.size(-3)={c} is not divisible by {r * r}"
        )
    n = len(lead)
    blocks = input.reshape(*lead, c // (r * r), r, r, h, w)
    order = (*range(n), n, n + 3, n + 1, n + 4, n + 2)  # (C, H, r, W, r)
    shuffled = rearranged(blocks.permute(*order), (*lead, c // (r * r), h * r, w * r), input)
    return named(shuffled, "PixelShuffleBackward0")  # one node in PyTorch's graph


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:  # noqa: A002
    """(*, C, H * r, W * r) -> (*, C * r * r, H, W): :func:`pixel_shuffle`'s inverse."""
    r = _factor(downscale_factor, "downscale_factor", "pixel_unshuffle")
    _check_image(input, "pixel_unshuffle")
    *lead, c, h, w = input.shape
    for name, size, dim in (("height", h, -2), ("width", w, -1)):
        if size % r:
            raise RuntimeError(
                f"pixel_unshuffle expects {name} to be divisible by downscale_factor, but "
                f"input.size({dim})={size} is not divisible by {r}"
            )
    n = len(lead)
    blocks = input.reshape(*lead, c, h // r, r, w // r, r)
    order = (*range(n), n, n + 2, n + 4, n + 1, n + 3)  # (C, r, r, H, W)
    unshuffled = rearranged(blocks.permute(*order), (*lead, c * r * r, h // r, w // r), input)
    return named(unshuffled, "PixelUnshuffleBackward0")


# ----------------------------------------------------------------------------- unfold and fold
@dataclass(frozen=True)
class Windows:
    """Sliding blocks of a 2-D image: kernel size, dilation, padding and stride (pairs), and
    the (unpadded) image size they slide over."""

    kernel: Pair
    dilation: Pair
    padding: Pair
    stride: Pair
    size: Pair

    def count(self) -> Pair:
        """How many blocks fit along the height and the width."""
        return cast(
            Pair,
            tuple(
                (n + 2 * p - d * (k - 1) - 1) // s + 1
                for n, p, d, k, s in zip(
                    self.size, self.padding, self.dilation, self.kernel, self.stride, strict=True
                )
            ),
        )

    def offsets(self) -> list[tuple[int, int, slice, slice]]:
        """For each kernel element ``(i, j)``, in row-major order, the rows and columns of the
        padded image that it is in every block: one strided slice each."""
        (kh, kw), (dh, dw), (sh, sw), (bh, bw) = (
            self.kernel,
            self.dilation,
            self.stride,
            self.count(),
        )
        return [
            (
                i,
                j,
                slice(i * dh, i * dh + sh * (bh - 1) + 1, sh),
                slice(j * dw, j * dw + sw * (bw - 1) + 1, sw),
            )
            for i in range(kh)
            for j in range(kw)
        ]

    def padded(self, n: int, c: int, dtype: Any) -> Any:
        """Zeros of the padded image's shape."""
        (h, w), (ph, pw) = self.size, self.padding
        return xp.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype)


class Unfold(Linear):
    """(N, C, H, W) -> (N, C * kh * kw, L): every block of the image as a column (im2col), the
    channel slowest and the kernel element fastest, blocks in row-major order."""

    torch_name = "Im2ColBackward0"  # PyTorch's kernel's name (UnfoldBackward0 is Tensor.unfold's)
    notation = "unfold(x)"
    derivatives = ("fold(g): each column added back where its block was read",)
    batch_rule = staticmethod(batching.images)
    saves_inputs = False

    def __init__(self, windows: Windows) -> None:
        self.windows = windows

    def forward(self, x):
        n, c = x.shape[0], x.shape[1]
        (ph, pw), (h, w) = self.windows.padding, self.windows.size
        source = x
        if ph or pw:
            source = self.windows.padded(n, c, x.dtype)
            source[:, :, ph : ph + h, pw : pw + w] = x
        (kh, kw), blocks = self.windows.kernel, self.windows.count()
        cols = xp.empty((n, c, kh, kw, *blocks), x.dtype)
        for i, j, rows, columns in self.windows.offsets():  # one strided copy per offset
            cols[:, :, i, j] = source[:, :, rows, columns]
        return cols.reshape(n, c * kh * kw, blocks[0] * blocks[1])

    def vjp(self, g, out, x):
        return (_apply(Fold(self.windows), g),)


class Fold(Linear):
    """(N, C * kh * kw, L) -> (N, C, H, W): each column added back into the image where its
    block lies (col2im; overlapping blocks add up), :class:`Unfold`'s transpose."""

    torch_name = "Col2ImBackward0"
    notation = "fold(x)"
    derivatives = ("unfold(g)",)
    batch_rule = staticmethod(batching.images)
    saves_inputs = False

    def __init__(self, windows: Windows) -> None:
        self.windows = windows

    def forward(self, cols):
        (kh, kw), blocks = self.windows.kernel, self.windows.count()
        n, c = cols.shape[0], cols.shape[1] // (kh * kw)
        parts = cols.reshape(n, c, kh, kw, *blocks)
        image = self.windows.padded(n, c, cols.dtype)
        for i, j, rows, columns in self.windows.offsets():  # one strided add per offset
            image[:, :, rows, columns] += parts[:, :, i, j]
        (ph, pw), (h, w) = self.windows.padding, self.windows.size
        return image[:, :, ph : ph + h, pw : pw + w]

    def vjp(self, g, out, x):
        return (_apply(Unfold(self.windows), g),)


def _pairs(op: str, **values: Any) -> dict[str, Pair]:
    """Each of ``values`` as a pair, PyTorch's checks and messages: its F.unfold and F.fold
    make each a tuple (``as_tuple``) and pass them by position to ``op`` (im2col, col2im),
    whose parser reads them as lists of ints."""
    pairs = {}
    for position, (name, value) in enumerate(values.items(), 2):
        pair = int_window(as_tuple(value, 2), 2, op, name, position)
        if len(pair) != 2:
            raise RuntimeError(f"It is expected {name} equals to 2, but got size {len(pair)}")
        pairs[name] = cast(Pair, pair)
    for name, least, word in (
        ("kernel_size", 1, "greater than zero"),
        ("dilation", 1, "greater than zero"),
        ("stride", 1, "greater than zero"),
        ("padding", 0, "non-negative"),
    ):
        if name in pairs and min(pairs[name]) < least:
            label = {"kernel_size": "kernel", "padding": "pad"}.get(name, name)
            h, w = pairs[name]
            title = "kernel size" if name == "kernel_size" else name
            raise RuntimeError(
                f"{title} should be {word}, but got {label}_height: {h} {label}_width: {w}"
            )
    return pairs


def _check_float(input: Tensor, kernel: str) -> None:  # noqa: A002
    if not input.is_floating_point():
        raise dtypes.not_implemented_for(kernel, input.dtype)


def unfold(
    input: Tensor,  # noqa: A002
    kernel_size: Any,
    dilation: Any = 1,
    padding: Any = 0,
    stride: Any = 1,
) -> Tensor:
    """Every ``kernel_size`` block of an (N, C, H, W) (or (C, H, W)) image as a column:
    (N, C * kh * kw, L), L the number of blocks (im2col).

    >>> import chainrule as cr
    >>> unfold(cr.arange(9.0).reshape(1, 1, 3, 3), 2)
    tensor([[[0., 1., 3., 4.],
             [1., 2., 4., 5.],
             [3., 4., 6., 7.],
             [4., 5., 7., 8.]]])
    """
    if input.ndim not in (3, 4) or 0 in input.shape[-3:]:
        if input.ndim == 2:
            raise IndexError(
                "Dimension out of range (expected to be in range of [-2, 1], but got 2)"
            )
        raise RuntimeError(
            "Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero "
            f"dimensions for input, but got: {list(input.shape)}"
        )
    _check_float(input, "im2col_out_cpu")
    p = _pairs("im2col", kernel_size=kernel_size, dilation=dilation, padding=padding, stride=stride)
    size = cast(Pair, tuple(input.shape[-2:]))
    windows = Windows(p["kernel_size"], p["dilation"], p["padding"], p["stride"], size)
    if min(windows.count()) < 1:
        raise RuntimeError(
            f"Given input with spatial size {size}, kernel_size={p['kernel_size']}, dilation="
            f"{p['dilation']}, padding={p['padding']}, calculated shape of the array of sliding "
            f"blocks as {windows.count()}, but its components must be at least one."
        )
    if input.ndim == 3:
        return Unfold(windows)(input.unsqueeze(0)).squeeze(0)
    return Unfold(windows)(input)


def fold(
    input: Tensor,  # noqa: A002
    output_size: Any,
    kernel_size: Any,
    dilation: Any = 1,
    padding: Any = 0,
    stride: Any = 1,
) -> Tensor:
    """Columns (N, C * kh * kw, L) (or (C * kh * kw, L)) added back into (N, C, *output_size)
    images where their blocks lie, overlaps summed (col2im): :func:`unfold`'s transpose.

    >>> import chainrule as cr
    >>> fold(cr.ones(1, 4, 4), (3, 3), 2)  # how many blocks cover each pixel
    tensor([[[[1., 2., 1.],
              [2., 4., 2.],
              [1., 2., 1.]]]])
    """
    if input.ndim not in (2, 3) or 0 in input.shape[-2:]:
        raise RuntimeError(
            "Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and "
            f"non-zero dimensions for input, but got: {list(input.shape)}"
        )
    _check_float(input, "col2im_out_cpu")
    p = _pairs(
        "col2im",
        output_size=output_size,
        kernel_size=kernel_size,
        dilation=dilation,
        padding=padding,
        stride=stride,
    )
    windows = Windows(p["kernel_size"], p["dilation"], p["padding"], p["stride"], p["output_size"])
    (kh, kw), (bh, bw) = windows.kernel, windows.count()
    columns, blocks = input.shape[-2], input.shape[-1]
    if columns % (kh * kw):
        raise RuntimeError(
            "Expected size of input's dimension 1 to be divisible by the product of kernel_size, "
            f"but got input.size(1)={columns} and kernel_size={windows.kernel}."
        )
    if bh < 1 or bw < 1 or blocks != bh * bw:
        raise RuntimeError(
            f"Given output_size={windows.size}, kernel_size={windows.kernel}, dilation="
            f"{windows.dilation}, padding={windows.padding}, stride={windows.stride}, expected "
            f"size of input's dimension 2 to match the calculated number of sliding blocks "
            f"{bh} * {bw} = {bh * bw}, but got input.size(2)={blocks}."
        )
    if input.ndim == 2:
        return Fold(windows)(input.unsqueeze(0)).squeeze(0)
    return Fold(windows)(input)
