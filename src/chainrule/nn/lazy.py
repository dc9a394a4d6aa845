"""Lazy modules, as PyTorch's: a layer whose input size is read from its first input.

``LazyLinear(out_features)`` holds :class:`UninitializedParameter` s until it is first
called; then it sets ``in_features`` from the input, gives its parameters their shapes,
initialises them as :class:`~chainrule.nn.Linear` does (so a seed gives PyTorch's values) and
becomes a ``Linear``. Create the optimizer after that first call, as PyTorch asks.

    >>> import chainrule as cr
    >>> layer = cr.nn.LazyLinear(2)
    >>> layer
    LazyLinear(in_features=0, out_features=2, bias=True)
    >>> layer(cr.ones(5, 3)).shape, layer
    (chainrule.Size([5, 2]), Linear(in_features=3, out_features=2, bias=True))
"""

from __future__ import annotations

from typing import Any

from chainrule import dtypes, factories
from chainrule._array import xp
from chainrule.nn.buffer import Buffer
from chainrule.nn.conv import (
    Conv1d,
    Conv2d,
    Conv3d,
    ConvTranspose1d,
    ConvTranspose2d,
    ConvTranspose3d,
)
from chainrule.nn.layers import Linear
from chainrule.nn.module import Module
from chainrule.nn.norm import (
    BatchNorm1d,
    BatchNorm2d,
    BatchNorm3d,
    InstanceNorm1d,
    InstanceNorm2d,
    InstanceNorm3d,
    _BatchNorm,
    _InstanceNorm,
    _NormBase,
)
from chainrule.nn.parameter import Parameter
from chainrule.nn.state_dict import own_tensors


class UninitializedParameter(Parameter):
    """A parameter whose shape is not known yet; :meth:`materialize` gives it one (empty
    values, for the module to initialise) and makes it a plain :class:`Parameter`, the same
    object, so that whatever holds it sees the change."""

    __slots__ = ()
    cls_to_become = Parameter

    def __init__(self, requires_grad: bool = True, device: Any = None, dtype: Any = None) -> None:
        super().__init__(xp.empty(0, dtype=dtypes.as_dtype(dtype or dtypes.default_float)))
        self.requires_grad = requires_grad

    def materialize(self, shape: tuple[int, ...], device: Any = None, dtype: Any = None) -> None:
        self._data = xp.empty(shape, dtype=dtypes.as_dtype(dtype) if dtype else self._data.dtype)
        self.__class__ = self.cls_to_become  # type: ignore[assignment]

    def __repr__(self) -> str:
        return "<UninitializedParameter>"


class UninitializedBuffer(Buffer):
    """A buffer whose shape is not known yet (a lazy batch norm's running statistics);
    :meth:`materialize` gives it one and makes it a plain :class:`Buffer`, the same object.
    Assigned to a module attribute it is registered as a buffer, as any Buffer is."""

    __slots__ = ()
    cls_to_become = Buffer

    def __init__(
        self,
        requires_grad: bool = False,
        device: Any = None,
        dtype: Any = None,
        persistent: bool = True,
    ) -> None:
        super().__init__(persistent=persistent)
        self._data = xp.empty(0, dtype=dtypes.as_dtype(dtype or dtypes.default_float))
        self.requires_grad = requires_grad

    materialize = UninitializedParameter.materialize

    def __repr__(self) -> str:
        return "<UninitializedBuffer>"


# PyTorch's words where an uninitialized tensor's shape is needed (it raises them on any read).
SHAPE_OF_UNINITIALIZED = (
    "Can't access the shape of an uninitialized parameter or buffer. This error usually happens "
    "in `load_state_dict` when trying to load an uninitialized parameter into an initialized "
    "one. Call `forward` to initialize the parameters before accessing their attributes."
)


def is_lazy(value: Any) -> bool:
    """Whether ``value`` is an uninitialized parameter or buffer."""
    return isinstance(value, (UninitializedParameter, UninitializedBuffer))


class LazyModuleMixin:
    """What the lazy modules share: a forward pre-hook that, at the first call, lets the
    module shape its parameters from the input (``initialize_parameters``), then removes
    itself and turns the module into ``cls_to_become``. Until then the state dict holds the
    uninitialized tensors themselves, and loading a checkpoint gives them its shapes."""

    cls_to_become: type[Module] | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._initialize_hook = self.register_forward_pre_hook(_infer_parameters)  # type: ignore[attr-defined]
        self._load_hook = self.register_load_state_dict_pre_hook(_shape_from_checkpoint)  # type: ignore[attr-defined]

    def _save_to_state_dict(self, destination: Any, prefix: str, keep_vars: bool) -> None:
        super()._save_to_state_dict(destination, prefix, keep_vars)  # type: ignore[misc]
        for name, value in own_tensors(self).items():
            if is_lazy(value):  # no values to detach: saved as itself, as in PyTorch
                destination[prefix + name] = value

    def _uninitialized_weight(self, bias: bool, device: Any, dtype: Any) -> None:
        """``weight``, and ``bias`` when asked for, as parameters of no shape yet."""
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def has_uninitialized_params(self) -> bool:
        """Whether a parameter or buffer of the module itself is still uninitialized."""
        own = (*self._parameters.values(), *self._buffers.values())  # type: ignore[attr-defined]
        return any(is_lazy(value) for value in own)

    def initialize_parameters(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError


def _shape_from_checkpoint(module: Any, state_dict: dict[str, Any], prefix: str, *_: Any) -> None:
    """The load pre-hook: an uninitialized tensor takes the shape of its checkpoint entry
    (unless that is uninitialized too), so that the values can be copied in."""
    for name, value in own_tensors(module).items():
        saved = state_dict.get(prefix + name)
        shape = getattr(saved, "shape", None)  # a value that is not a tensor is refused later
        if is_lazy(value) and shape is not None and not is_lazy(saved):
            value.materialize(tuple(shape))


def _infer_parameters(module: Any, args: tuple[Any, ...]) -> None:
    module.initialize_parameters(*args)
    if not module.has_uninitialized_params():
        module._initialize_hook.remove()
        module._load_hook.remove()
        del module._initialize_hook, module._load_hook
        if module.cls_to_become is not None:
            module.__class__ = module.cls_to_become


class LazyLinear(LazyModuleMixin, Linear):
    """:class:`~chainrule.nn.Linear` with ``in_features`` read from the first input's last
    dimension."""

    cls_to_become = Linear

    def __init__(
        self, out_features: int, bias: bool = True, device: Any = None, dtype: Any = None
    ) -> None:
        super().__init__(0, 0, False)
        self._uninitialized_weight(bias, device, dtype)
        self.out_features = out_features

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Any, *args: Any) -> None:  # noqa: A002
        if self.has_uninitialized_params():
            self.in_features = input.shape[-1]
            self.weight.materialize((self.out_features, self.in_features))
            if self.bias is not None:
                self.bias.materialize((self.out_features,))
            self.reset_parameters()
        if self.in_features == 0:  # a checkpoint loaded before the first call shaped the weight
            self.in_features = self.weight.shape[1]


class _LazyConvXdMixin(LazyModuleMixin):
    """A convolution or transposed convolution with ``in_channels`` read from the first
    input's channel dimension (the first of an unbatched input)."""

    _dims: int  # the convolution's spatial dimensions

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()  # type: ignore[misc]

    def initialize_parameters(self, input: Any, *args: Any) -> None:  # noqa: A002
        if self.has_uninitialized_params():
            unbatched = self._dims + 1
            if input.ndim not in (unbatched, unbatched + 1):
                raise RuntimeError(
                    f"Expected {unbatched}D (unbatched) or {unbatched + 1}D (batched) input to "
                    f"{type(self).__name__}, but got input of size: {input.shape}"
                )
            self.in_channels = input.shape[0 if input.ndim == unbatched else 1]
            if self.in_channels % self.groups:
                raise ValueError("in_channels must be divisible by groups")
            if getattr(self, "transposed", False):  # weight (in, out / groups, *kernel)
                shape = (self.in_channels, self.out_channels // self.groups, *self.kernel_size)
            else:
                shape = (self.out_channels, self.in_channels // self.groups, *self.kernel_size)
            self.weight.materialize(shape)
            if self.bias is not None:
                self.bias.materialize((self.out_channels,))
            self.reset_parameters()


class _LazyConvMixin(_LazyConvXdMixin):
    """A convolution with ``in_channels`` from the first input."""

    def __init__(self, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 dilation: Any = 1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device: Any = None, dtype: Any = None) -> None:  # fmt: skip
        # in_channels 0 for now; out_channels as groups, which divides it (checked at the call)
        super().__init__(0, groups, kernel_size, stride, padding, dilation, groups, False,
                         padding_mode)  # fmt: skip
        self.out_channels = out_channels
        self._uninitialized_weight(bias, device, dtype)


class LazyConv1d(_LazyConvMixin, Conv1d):
    """:class:`~chainrule.nn.Conv1d` with ``in_channels`` from the first input."""

    cls_to_become = Conv1d
    _dims = 1


class LazyConv2d(_LazyConvMixin, Conv2d):
    """:class:`~chainrule.nn.Conv2d` with ``in_channels`` from the first input."""

    cls_to_become = Conv2d
    _dims = 2


class LazyConv3d(_LazyConvMixin, Conv3d):
    """:class:`~chainrule.nn.Conv3d` with ``in_channels`` from the first input."""

    cls_to_become = Conv3d
    _dims = 3


class _LazyConvTransposeMixin(_LazyConvXdMixin):
    """A transposed convolution with ``in_channels`` from the first input."""

    def __init__(
        self,
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
        # in and out channels 0 for now (PyTorch's order); no parameters made yet
        super().__init__(0, 0, kernel_size, stride, padding, output_padding, groups, False,
                         dilation, padding_mode)  # fmt: skip
        self.out_channels = out_channels
        self._uninitialized_weight(bias, device, dtype)


class LazyConvTranspose1d(_LazyConvTransposeMixin, ConvTranspose1d):
    """:class:`~chainrule.nn.ConvTranspose1d` with ``in_channels`` from the first input."""

    cls_to_become = ConvTranspose1d
    _dims = 1


class LazyConvTranspose2d(_LazyConvTransposeMixin, ConvTranspose2d):
    """:class:`~chainrule.nn.ConvTranspose2d` with ``in_channels`` from the first input."""

    cls_to_become = ConvTranspose2d
    _dims = 2


class LazyConvTranspose3d(_LazyConvTransposeMixin, ConvTranspose3d):
    """:class:`~chainrule.nn.ConvTranspose3d` with ``in_channels`` from the first input."""

    cls_to_become = ConvTranspose3d
    _dims = 3


class _LazyNormBase(LazyModuleMixin, _NormBase):
    """A batch or instance norm with ``num_features`` read from the first input's
    ``shape[1]``. As in PyTorch, the lazy instance norms share this constructor, so their
    defaults are batch norm's (``affine=True, track_running_stats=True``), and an unbatched
    instance-norm input's ``shape[1]`` is its length, not its channels. As in PyTorch, a lazy
    norm derives from the shared base (``_BatchNorm``, ``_InstanceNorm``), not from the norm
    it becomes: it takes that norm's input shapes."""

    def __init__(self, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device: Any = None, dtype: Any = None, *,
                 bias: bool = True) -> None:  # fmt: skip
        # no affine parameters or statistics yet: they are made at the first call
        super().__init__(0, eps, momentum, False, False, device, dtype, bias=False)
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self._uninitialized_weight(bias, device, dtype)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(device=device, dtype=dtype)
            self.running_var = UninitializedBuffer(device=device, dtype=dtype)
            self.num_batches_tracked = factories.tensor(0, dtype=dtypes.int64)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()  # type: ignore[misc]

    def initialize_parameters(self, input: Any, *args: Any) -> None:  # noqa: A002
        if self.has_uninitialized_params():
            self.num_features = input.shape[1]
            if self.affine:
                self.weight.materialize((self.num_features,))
                if self.bias is not None:
                    self.bias.materialize((self.num_features,))
            if self.track_running_stats:
                self.running_mean.materialize((self.num_features,))
                self.running_var.materialize((self.num_features,))
            self.reset_parameters()
        shaped = self.weight if self.affine else self.running_mean
        if self.num_features == 0 and shaped is not None:  # shaped by a checkpoint loaded before
            self.num_features = shaped.shape[0]


class LazyBatchNorm1d(_LazyNormBase, _BatchNorm):
    """:class:`~chainrule.nn.BatchNorm1d` with ``num_features`` from the first input."""

    cls_to_become = BatchNorm1d
    _dims = BatchNorm1d._dims


class LazyBatchNorm2d(_LazyNormBase, _BatchNorm):
    """:class:`~chainrule.nn.BatchNorm2d` with ``num_features`` from the first input."""

    cls_to_become = BatchNorm2d
    _dims = BatchNorm2d._dims


class LazyBatchNorm3d(_LazyNormBase, _BatchNorm):
    """:class:`~chainrule.nn.BatchNorm3d` with ``num_features`` from the first input."""

    cls_to_become = BatchNorm3d
    _dims = BatchNorm3d._dims


class LazyInstanceNorm1d(_LazyNormBase, _InstanceNorm):
    """:class:`~chainrule.nn.InstanceNorm1d` with ``num_features`` from the first input."""

    cls_to_become = InstanceNorm1d
    _dims, _spatial = InstanceNorm1d._dims, InstanceNorm1d._spatial


class LazyInstanceNorm2d(_LazyNormBase, _InstanceNorm):
    """:class:`~chainrule.nn.InstanceNorm2d` with ``num_features`` from the first input."""

    cls_to_become = InstanceNorm2d
    _dims, _spatial = InstanceNorm2d._dims, InstanceNorm2d._spatial


class LazyInstanceNorm3d(_LazyNormBase, _InstanceNorm):
    """:class:`~chainrule.nn.InstanceNorm3d` with ``num_features`` from the first input."""

    cls_to_become = InstanceNorm3d
    _dims, _spatial = InstanceNorm3d._dims, InstanceNorm3d._spatial
