"""Convolution and pooling layers over (N, C, H, W) images.

>>> import chainrule as cr
>>> conv = cr.nn.Conv2d(1, 4, 3, padding=1)
>>> conv
Conv2d(1, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
>>> cr.nn.MaxPool2d(2)(conv(cr.ones(2, 1, 8, 8))).shape
chainrule.Size([2, 4, 4, 4])
"""

from __future__ import annotations

from typing import Any

from chainrule.nn import functional as F
from chainrule.nn.layers import add_weight_and_bias, reset_fan_in_uniform, weight_and_bias
from chainrule.nn.module import Module
from chainrule.ops.conv import reword_for_layer
from chainrule.ops.fold import as_tuple
from chainrule.tensor import Size, Tensor

# PyTorch's padding modes of a convolution (its message prints them as a set).
_PADDING_MODES = {"zeros", "reflect", "replicate", "circular"}


class _ConvNd(Module):
    """What the convolutions share: PyTorch's constructor, checks and default
    initialisation; a subclass names its spatial dimensions and its functional form."""

    _dims: int  # the layer's spatial dimensions
    _conv: Any  # the functional form, F.conv1d or F.conv2d

    def _expand(self, value: Any) -> tuple[Any, ...]:
        """A setting as PyTorch's layers keep it (``_ntuple``): checked by the op it is
        passed to, at the forward, as PyTorch checks it."""
        return as_tuple(value, self._dims)

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        ones = self._expand(1)
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups:
            raise ValueError("out_channels must be divisible by groups")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(
                f"padding_mode must be one of {_PADDING_MODES}, but got "
                f"padding_mode='{padding_mode}'"
            )
        self.groups = groups
        self.padding_mode = padding_mode
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.transposed = False  # PyTorch's attributes of every convolution
        self.output_padding = self._expand(0)
        self.kernel_size = self._expand(kernel_size)
        self.stride = self._expand(stride)
        self.dilation = self._expand(dilation)
        if isinstance(padding, str):
            # Checked here, as PyTorch does, not at the first forward.
            if padding not in ("valid", "same"):
                raise ValueError(
                    f"Invalid padding string {padding!r}, should be one of {{'valid', 'same'}}"
                )
            if padding == "same" and self.stride != ones:
                raise ValueError("padding='same' is not supported for strided convolutions")
            self.padding: Any = padding
        else:
            self.padding = self._expand(padding)
        shape = (out_channels, in_channels // groups, *self.kernel_size)
        add_weight_and_bias(self, shape, bias, dtype, device)

    def reset_parameters(self) -> None:
        reset_fan_in_uniform(self)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        padding = self.padding
        if self.padding_mode != "zeros":
            # Another padding: the input padded first, as PyTorch does, then no zeros added.
            input = F.pad(input, self._reversed_padding(), self.padding_mode)  # noqa: A001
            padding = self._expand(0)
        tensors = (input, *weight_and_bias(self))
        settings = (self.stride, padding, self.dilation, self.groups)
        try:
            return self._conv(*tensors, *settings)
        except TypeError:  # settings the op refuses: in the words of PyTorch's layer
            reword_for_layer(self._conv.__name__, self._dims, tensors, settings)
            raise

    def _reversed_padding(self) -> tuple[int, ...]:
        """F.pad's widths for the layer's padding, last dimension first ("same": the window's
        extent less one, the extra one at the end)."""
        widths: list[int] = []
        for i, k in reversed(list(enumerate(self.kernel_size))):
            if self.padding == "same":
                total = self.dilation[i] * (k - 1)
                widths += [total // 2, total - total // 2]
            elif self.padding != "valid":
                widths += [self.padding[i]] * 2
            else:
                widths += [0, 0]
        return tuple(widths)

    def extra_repr(self) -> str:
        text = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != self._expand(0):
            text += f", padding={self.padding}"  # PyTorch prints "same" without quotes
        if self.dilation != self._expand(1):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text


class Conv2d(_ConvNd):
    """2-D convolution with PyTorch's default initialisation, ``dilation``, ``groups`` and
    every ``padding_mode``."""

    _dims = 2
    _conv = staticmethod(F.conv2d)


class Conv3d(_ConvNd):
    """3-D convolution over (N, C, D, H, W) volumes with PyTorch's default initialisation,
    ``dilation``, ``groups`` and every ``padding_mode``.

    >>> import chainrule as cr
    >>> cr.nn.Conv3d(2, 4, 3, padding=1)(cr.ones(1, 2, 4, 5, 6)).shape
    chainrule.Size([1, 4, 4, 5, 6])
    """

    _dims = 3
    _conv = staticmethod(F.conv3d)


class Conv1d(_ConvNd):
    """1-D convolution over (N, C, L) sequences with PyTorch's default initialisation,
    ``dilation``, ``groups`` and every ``padding_mode``."""

    _dims = 1
    _conv = staticmethod(F.conv1d)


class _ConvTransposeNd(_ConvNd):
    """What the transposed convolutions share: PyTorch's constructor, checks and
    ``forward(input, output_size=None)``; _ConvNd's default initialisation (fan-in from the
    weight's second dimension, as PyTorch computes it)."""

    _conv: Any  # the functional form, F.conv_transpose1d, 2d or 3d

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        output_padding: Any = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: Any = 1,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        Module.__init__(self)  # not _ConvNd's, which makes a convolution's weight
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups:
            raise ValueError("out_channels must be divisible by groups")
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = self._expand(kernel_size)
        self.stride = self._expand(stride)
        self.padding = self._expand(padding)
        self.output_padding = self._expand(output_padding)
        self.dilation = self._expand(dilation)
        self.groups = groups
        self.padding_mode = padding_mode
        self.transposed = True
        shape = (in_channels, out_channels // groups, *self.kernel_size)
        add_weight_and_bias(self, shape, bias, dtype, device, out_channels)

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:  # noqa: A002
        extra = self.output_padding if output_size is None else self._fit(input, output_size)
        tensors = (input, *weight_and_bias(self))
        settings = (self.stride, self.padding, extra, self.groups, self.dilation)
        try:
            return self._conv(*tensors, *settings)
        except TypeError:  # settings the op refuses: in the words of PyTorch's layer
            reword_for_layer(self._conv.__name__, self._dims, tensors, settings)
            raise

    def _fit(self, input: Tensor, output_size: Any) -> tuple[int, ...]:  # noqa: A002
        """The output padding that makes the output ``output_size`` (its spatial sizes, or
        all of them), which must be reachable: at most a stride beyond the smallest."""
        dims = len(self.kernel_size)
        lead = 2 if input.ndim == dims + 2 else 1
        asked = output_size  # as given, a list or a tuple: PyTorch's message prints it so
        if len(asked) == lead + dims:
            asked = asked[lead:]
        if len(asked) != dims:
            raise ValueError(
                f"ConvTranspose{dims}D: for {input.ndim}D input, output_size must have {dims} "
                f"or {lead + dims} elements (got {len(asked)})"
            )
        smallest = [
            (input.shape[lead + d] - 1) * self.stride[d]
            - 2 * self.padding[d]
            + self.dilation[d] * (self.kernel_size[d] - 1)
            + 1
            for d in range(dims)
        ]
        largest = [n + s - 1 for n, s in zip(smallest, self.stride, strict=True)]
        if any(not lo <= n <= hi for n, lo, hi in zip(asked, smallest, largest, strict=True)):
            raise ValueError(
                f"requested an output size of {asked}, but valid sizes range from {smallest} to "
                f"{largest} (for an input of {Size(input.shape[2:])})"  # [2:] unbatched too
            )
        return tuple(n - lo for n, lo in zip(asked, smallest, strict=True))

    def extra_repr(self) -> str:
        text = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        dims = len(self.kernel_size)
        if self.padding != (0,) * dims:
            text += f", padding={self.padding}"
        if self.dilation != (1,) * dims:
            text += f", dilation={self.dilation}"
        if self.output_padding != (0,) * dims:
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        return text if self.bias is not None else text + ", bias=False"


class ConvTranspose2d(_ConvTransposeNd):
    """The transposed 2-D convolution (the gradient of Conv2d with respect to its input),
    which upsamples: ``ConvTranspose2d(C, C, 2, stride=2)`` doubles height and width. Weight
    (in_channels, out_channels / groups, kh, kw), PyTorch's default initialisation.

    >>> import chainrule as cr
    >>> up = cr.nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1)
    >>> up
    ConvTranspose2d(4, 2, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), output_padding=(1, 1))
    >>> up(cr.ones(1, 4, 5, 5)).shape
    chainrule.Size([1, 2, 10, 10])
    """

    _dims = 2
    _conv = staticmethod(F.conv_transpose2d)


class ConvTranspose3d(_ConvTransposeNd):
    """The transposed 3-D convolution over (N, C, D, H, W) volumes; weight (in_channels,
    out_channels / groups, kd, kh, kw), PyTorch's default initialisation.

    >>> import chainrule as cr
    >>> cr.nn.ConvTranspose3d(2, 1, 2, stride=2)(cr.ones(1, 2, 2, 3, 4)).shape
    chainrule.Size([1, 1, 4, 6, 8])
    """

    _dims = 3
    _conv = staticmethod(F.conv_transpose3d)


class ConvTranspose1d(_ConvTransposeNd):
    """The transposed 1-D convolution over (N, C, L) sequences; weight (in_channels,
    out_channels / groups, k), PyTorch's default initialisation."""

    _dims = 1
    _conv = staticmethod(F.conv_transpose1d)


class _MaxPoolNd(Module):
    """What MaxPool1d, 2d and 3d share; a subclass names its functional form."""

    _pool: Any  # the functional form, F.max_pool1d, 2d or 3d

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        dilation: Any = 1,
        return_indices: bool = False,
        ceil_mode: bool = False,
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def forward(self, input: Tensor) -> Any:  # noqa: A002
        return self._pool(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            self.ceil_mode,
            self.return_indices,
        )

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )


class MaxPool2d(_MaxPoolNd):
    """The maximum of each ``kernel_size`` window; ``stride`` defaults to ``kernel_size``.
    With ``return_indices`` the forward returns each maximum's index too (for MaxUnpool2d)."""

    _pool = staticmethod(F.max_pool2d)


class _AvgPoolNd(Module):
    """What AvgPool2d and 3d share (AvgPool1d has its own settings); a subclass names its
    functional form."""

    _pool: Any  # the functional form, F.avg_pool2d or 3d

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        settings = (
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
            self.divisor_override,
        )
        try:
            return self._pool(input, *settings)
        except TypeError:  # settings the op refuses: in the words of PyTorch's layer
            op = self._pool.__name__
            reword_for_layer(op, int(op[-2]), (input,), settings)
            raise

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(_AvgPoolNd):
    """The mean of each ``kernel_size`` window; ``stride`` defaults to ``kernel_size``."""

    _pool = staticmethod(F.avg_pool2d)


class _AdaptiveAvgPoolNd(Module):
    """What AdaptiveAvgPool1d, 2d and 3d share; a subclass names its functional form."""

    _pool: Any  # the functional form, F.adaptive_avg_pool1d, 2d or 3d

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return self._pool(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool2d(_AdaptiveAvgPoolNd):
    """The mean over windows chosen so the output is ``output_size`` (an int, or a pair whose
    None keeps the input's size); ``AdaptiveAvgPool2d(1)`` is global average pooling.

    >>> import chainrule as cr
    >>> cr.nn.AdaptiveAvgPool2d((2, None))(cr.ones(1, 3, 5, 7)).shape
    chainrule.Size([1, 3, 2, 7])
    """

    _pool = staticmethod(F.adaptive_avg_pool2d)


class _AdaptiveMaxPoolNd(Module):
    """What AdaptiveMaxPool1d, 2d and 3d share; a subclass names its functional form."""

    _pool: Any  # the functional form, F.adaptive_max_pool1d, 2d or 3d

    def __init__(self, output_size: Any, return_indices: bool = False) -> None:
        super().__init__()
        self.output_size = output_size
        self.return_indices = return_indices

    def forward(self, input: Tensor) -> Any:  # noqa: A002
        return self._pool(input, self.output_size, self.return_indices)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """The maximum over windows chosen so the output is ``output_size``; with
    ``return_indices`` also each maximum's position in the flattened input plane."""

    _pool = staticmethod(F.adaptive_max_pool2d)
