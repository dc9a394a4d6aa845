"""``Tensor``: an n-dimensional array that records how it was computed.

A Tensor wraps a NumPy array (``_data``). Operators and methods call the ops in
:mod:`chainrule.ops`; when any input requires grad, the result keeps the op that made it as its
``grad_fn``, and ``backward()`` walks those nodes in reverse. This is the core the ops import,
so it imports none of them: the modules its methods call are bound on first use
(:mod:`chainrule._lazy`).

    >>> import chainrule as cr
    >>> x = cr.tensor([3.0], requires_grad=True)
    >>> y = x * x
    >>> y.grad_fn.name(), x.is_leaf, y.is_leaf
    ('MulBackward0', True, False)
    >>> y.backward()
    >>> x.grad
    tensor([6.])
"""

from __future__ import annotations

import builtins
import copy
import warnings
import weakref
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from chainrule import arguments, dtypes, grad_mode, memory_formats, printing
from chainrule import devices as _device
from chainrule._array import xp
from chainrule._lazy import import_later
from chainrule.arguments import int_list
from chainrule.autodiff.open_transforms import here as _here
from chainrule.autodiff.open_transforms import vmap_anywhere as _vmap_anywhere

_ndarray = xp.ndarray


class Size(tuple):
    """A shape, printed like PyTorch's ``torch.Size``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"chainrule.Size({list(self)})"

    def numel(self) -> int:
        n = 1
        for d in self:
            n *= d
        return n

    # A slice, a concatenation (either side) and a repetition of a Size are Sizes, as
    # PyTorch's: ``x.shape[-2:].numel()`` works.
    def __getitem__(self, index: Any) -> Any:
        item = tuple.__getitem__(self, index)
        return Size(item) if type(index) is slice else item

    def __add__(self, other: Any) -> Any:
        if not isinstance(other, tuple):
            raise TypeError(
                f"can only concatenate tuple (not {type(other).__name__}) to chainrule.Size"
            )
        return Size(tuple.__add__(self, other))

    def __radd__(self, other: Any) -> Any:
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple.__add__(other, self))

    def __mul__(self, n: Any) -> Any:
        return Size(tuple.__mul__(self, n))

    __rmul__ = __mul__


_NOT_COMPARED = (str, list, tuple, dict, set)


class RemovableHandle:
    """Returned by ``register_hook``: ``handle.remove()`` takes the hook away. ``hooks`` is
    the list that holds ``hook``, or a dict that holds a hook under the key ``hook`` (as
    PyTorch's handles do: the optimizers' and modules' hooks), also taken out of ``extra``."""

    def __init__(
        self, hooks: list[Any] | dict[Any, Any], hook: Any, extra: tuple[dict[Any, Any], ...] = ()
    ) -> None:
        self._hooks = hooks
        self._hook = hook
        self._extra = extra  # dicts that also hold the key (a module hook's options)

    def remove(self) -> None:
        if self._hook in self._hooks:
            if isinstance(self._hooks, dict):
                del self._hooks[self._hook]
            else:
                self._hooks.remove(self._hook)
        for flags in self._extra:
            flags.pop(self._hook, None)

    # ``with x.register_hook(f):`` (or a module hook's handle) keeps the hook for the block
    # only, as PyTorch's handle does
    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.remove()


_DEEPCOPY_NON_LEAF = (
    "Only Tensors created explicitly by the user (graph leaves) support the deepcopy protocol "
    "at the moment.  If you were attempting to deepcopy a module, this may be because of a "
    "chainrule.nn.utils.weight_norm usage, see https://github.com/pytorch/pytorch/pull/103001"
)

_NON_LEAF_GRAD = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad "
    "field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. "
    "If you access the non-leaf Tensor by mistake, make sure you access the leaf Tensor "
    "instead. See github.com/pytorch/pytorch/pull/30531 for more information."
)

# PyTorch's warning when ``float()`` reads a tensor that requires grad while gradients are
# recorded: the number cannot carry the gradient on. Given once per process, as PyTorch's.
_SCALAR_OF_GRAD = (
    "Converting a tensor with requires_grad=True to a scalar may lead to unexpected behavior.\n"
    "Consider using tensor.detach() first."
)
_scalar_of_grad_warned = [False]

# PyTorch's deprecation of ``x.T`` beyond matrices: once per process, one warning for 0-d
# tensors and one for the others (a vector's or a batch's)
_REVERSING_T = {
    True: "Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases.",
    False: (
        "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is "
        "deprecated and it will throw an error in a future release. Consider `x.mT` to "
        "transpose batches of matrices or `x.permute(*chainrule.arange(x.ndim - 1, -1, -1))` "
        "to reverse the dimensions of a tensor."
    ),
}
_reversing_T_warned: set[bool] = set()


def _warn_reversing_T(ndim: int) -> None:  # noqa: N802 - after PyTorch's T
    kind = ndim == 0
    if kind not in _reversing_T_warned:
        _reversing_T_warned.add(kind)
        warnings.warn(_REVERSING_T[kind], UserWarning, stacklevel=3)


# PyTorch's refusal of ``detach_()`` of a view (a vmap-batched tensor is one there too).
DETACH_VIEW_IN_PLACE = (
    "Can't detach views in-place. Use detach() instead. If you are using "
    "DistributedDataParallel (DDP) for training, and gradient_as_bucket_view is set "
    "as True, gradients are views of DDP buckets, and hence detach_() cannot be "
    "called on these gradients. To fix this error, please refer to the "
    "Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution."
)


# PyTorch's refusals around inference tensors (see InferenceCounter), in its words.
INPLACE_INFERENCE = (
    "Inplace update to inference tensor outside InferenceMode is not allowed.You can make a "
    "clone to get a normal tensor before doing inplace update.See "
    "https://github.com/pytorch/rfcs/pull/17 for more details."
)
SAVED_INFERENCE = (
    "Inference tensors cannot be saved for backward. Please do not use Tensors created in "
    "inference mode in computation tracked by autograd. To work around this, you can make a "
    "clone to get a normal tensor and use it in autograd, or use `chainrule.no_grad()` instead "
    "of `chainrule.inference_mode()`."
)
REQUIRES_GRAD_INFERENCE = (
    "Setting requires_grad=True on inference tensor outside InferenceMode is not allowed."
)


class InferenceCounter(list):
    """The version counter of an inference tensor: one made inside ``inference_mode()`` (not a
    view of a normal tensor), or a view of one, which shares it. Its type is what makes the
    tensor an inference tensor (``Tensor.is_inference``), so telling one costs nothing where
    none is made. As PyTorch's bump of a version, an in-place change bumps it after writing,
    and outside inference mode the bump refuses: the values are changed, then the error.

        >>> import chainrule as cr
        >>> with cr.inference_mode():
        ...     t = cr.zeros(2)
        >>> t.is_inference(), cr.zeros(2).is_inference()
        (True, False)
        >>> t.add_(1)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        RuntimeError: Inplace update to inference tensor outside InferenceMode is not allowed...
    """

    __slots__ = ()

    def __setitem__(self, index: Any, value: Any) -> None:
        if not grad_mode.modes.inference:
            raise RuntimeError(INPLACE_INFERENCE)
        list.__setitem__(self, index, value)


class InferenceView(str):
    """A view's creation meta (``View.creation``) for a view of a normal tensor taken inside
    ``inference_mode()``: PyTorch's INFERENCE_MODE, which behaves as NO_GRAD_MODE's (so it
    equals ``"no_grad"``, or ``"no_grad_base"`` for a view of such a view) and words its
    refusals with "inference mode" (see :func:`inference_worded`)."""

    __slots__ = ()


INFERENCE_VIEW = InferenceView("no_grad")
INFERENCE_VIEW_BASE = InferenceView("no_grad_base")


def inference_worded(message: str) -> str:
    """A refusal of an in-place change of a view taken with recording off, as PyTorch words it
    for a view taken inside ``inference_mode()``."""
    return (
        message.replace("no_grad mode", "inference mode")
        .replace("with grad mode enabled", "in normal mode")
        .replace("no_grad block", "inference_mode block")
    )


def _sizes_or_keyword(
    sizes: tuple[Any, ...], keyword: dict[str, Any], method: str, name: str
) -> tuple[Any, ...]:
    """A method's sizes given as PyTorch's one keyword ``name`` (alone); any other keyword is
    Python's TypeError for it."""
    other = next((k for k in keyword if k != name), None)
    if other is not None:
        raise TypeError(f"{method}() got an unexpected keyword argument '{other}'")
    if sizes:
        raise TypeError(f"{method}() got multiple values for argument '{name}'")
    return (keyword[name],)


class Tensor:
    """An array with autograd. Build one with ``cr.tensor``, ``cr.zeros``, ``cr.randn``, ..."""

    # ``_grad`` is behind the ``grad`` property: the engine writes the slot directly, users'
    # assignments are checked.
    __slots__ = (
        "_data",
        "requires_grad",
        "_grad",
        "_grad_fn",
        "_vc",
        "_view",
        "_hooks",
        "__weakref__",
    )
    # NumPy must hand mixed expressions (``ndarray * tensor``) to our reflected operators.
    __array_ufunc__ = None

    def __init__(self, *data: Any, requires_grad: bool = False, device: Any = None) -> None:
        """PyTorch's legacy constructor: ``Tensor([1, 2])`` is float32 (the default dtype),
        ``Tensor(2, 3)`` a 2x3 tensor (zeros here), ``Tensor(t)`` shares ``t``'s storage."""
        _device.check(device)
        self._wrap(_legacy_data(data), requires_grad)

    def _wrap(self, data: Any, requires_grad: bool) -> None:
        """Become a leaf over ``data`` (a Tensor's storage or an array), no copy."""
        self._data = data._data if isinstance(data, Tensor) else xp.asarray(data)
        dtypes.refuse_complex(self._data.dtype, type(self).__name__)
        self.requires_grad = False
        self._grad = None
        self._grad_fn = None
        self._vc = InferenceCounter(_ZERO) if grad_mode.modes.inference else [0]
        self._view = None
        self._hooks = None
        if requires_grad:
            if (
                isinstance(data, Tensor)
                and type(data._vc) is InferenceCounter
                and not grad_mode.modes.inference
            ):  # ``nn.Parameter(t)`` of an inference tensor
                raise RuntimeError(REQUIRES_GRAD_INFERENCE)
            self._created_requiring_grad()

    def _created_requiring_grad(self) -> None:
        """``requires_grad=True`` given at creation (PyTorch's factories word the refusal of
        an integer tensor otherwise than ``requires_grad_``)."""
        if not self.is_floating_point():  # a meta tensor's too, which has no ``_data``
            raise RuntimeError(
                "Only Tensors of floating point and complex dtype can require gradients"
            )
        self.requires_grad = True

    # ----------------------------------------------------------------- basic attributes
    @property
    def data(self) -> Tensor:
        """The same storage, detached from the graph (changes through it are not tracked); an
        inference tensor's is one too, a normal tensor's is normal in any mode."""
        t = _make(self._data)
        if type(self._vc) is not type(t._vc):
            t._vc = InferenceCounter(_ZERO) if type(self._vc) is InferenceCounter else [0]
        return t

    @data.setter
    def data(self, value: Tensor) -> None:
        array = value._data if isinstance(value, Tensor) else xp.asarray(value)
        dtypes.refuse_complex(array.dtype, "data")
        if self.requires_grad and not dtypes.is_floating(array.dtype):
            raise RuntimeError(
                "data set to a tensor that requires gradients must be floating point or "
                "complex dtype"
            )
        self._data = array

    @property
    def grad(self) -> Tensor | None:
        """The gradient accumulated by ``backward()``; assigning one checks it as PyTorch does.
        Read on a non-leaf that keeps none, it warns as PyTorch does (a common mistake)."""
        if self._grad is None and self._grad_fn is not None and not self.retains_grad:
            warnings.warn(_NON_LEAF_GRAD, UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            backward_module.check_assigned_grad(self, value)
        self._grad = value

    @grad.deleter
    def grad(self) -> None:
        self._grad = None

    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: int | None = None) -> Any:
        if dim is None:
            return Size(self._data.shape)
        if type(dim) is not int:  # a bool is no dimension (True was 1), as PyTorch's
            dim = arguments.integer(dim, "size", "dim")
        try:  # (costs nothing where dim is in range)
            return self._data.shape[dim]
        except IndexError:  # PyTorch's words, not the tuple's
            if not self._data.ndim:
                raise IndexError(
                    f"Dimension specified as {dim} but tensor has no dimensions"
                ) from None
            raise arguments.out_of_range(dim, self._data.ndim) from None

    @property
    def dtype(self) -> dtypes.dtype:
        # Public objects outside, NumPy dtypes inside: ops read ``_data.dtype``.
        try:
            return _public_dtypes[self._data.dtype]
        except KeyError:
            return dtypes.public(self._data.dtype)

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return int(self._data.size)

    nelement = numel  # PyTorch's older name

    def element_size(self) -> int:
        return self._data.itemsize

    def data_ptr(self) -> int:
        """The address of the first element (equal for tensors sharing storage)."""
        return self._data.ctypes.data

    @property
    def device(self) -> _device.device:
        return _device.CPU

    @property
    def grad_fn(self) -> Any:
        """The node that made this tensor (None for a leaf). A view whose base was changed in
        place since shows the base's new history, as in PyTorch."""
        if self._view is not None and self._view.stamp != self._vc[0]:
            views.sync(self, reading=True)
        return self._grad_fn

    @grad_fn.setter
    def grad_fn(self, node: Any) -> None:
        self._grad_fn = node

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    def __deepcopy__(self, memo: dict[builtins.int, Any]) -> Tensor:
        """Python's own deep copy of the slots, for a leaf only, as PyTorch's: a copy of a
        result would copy the graph that made it, which PyTorch refuses to do."""
        if self.grad_fn is not None:
            raise RuntimeError(_DEEPCOPY_NON_LEAF)
        return copy._reconstruct(self, memo, *self.__reduce_ex__(4))  # deepcopy's own path

    def is_floating_point(self) -> bool:
        return dtypes.is_floating(self._data.dtype)

    @property
    def _version(self) -> int:
        if type(self._vc) is InferenceCounter:
            raise RuntimeError("Inference tensors do not track version counter.")
        return self._vc[0]

    @property
    def _base(self) -> Tensor | None:
        """The tensor this one is a view of (the root of a chain of views), else None.

        >>> import chainrule as cr
        >>> x = cr.zeros(2, 3)
        >>> x[0][1:]._base is x, x._base
        (True, None)
        """
        view = self._view
        return None if view is None else view.base

    def _is_view(self) -> bool:
        return self._view is not None

    @property
    def T(self) -> Tensor:  # noqa: N802 - PyTorch's name
        if self.ndim != 2:
            _warn_reversing_T(self.ndim)
        return shape.permute(self, tuple(range(self.ndim - 1, -1, -1)))

    @property
    def mT(self) -> Tensor:  # noqa: N802 - PyTorch's name
        if self.ndim < 2:
            return self._matrix_transpose_of_fewer_dims(
                "mT", "This function is the identity in these cases."
            )
        return shape.transpose(self, -2, -1)

    def _matrix_transpose_of_fewer_dims(self, name: str, advice: str) -> Tensor:
        """``mT``, ``mH`` or ``H`` of a 0-d tensor (the tensor itself, as PyTorch returns it,
        with its deprecation warning) or of a vector (PyTorch's refusal)."""
        if self.ndim:
            kind = "matrices (2-D tensors)" if name == "H" else "matrices or batches of matrices"
            raise RuntimeError(f"tensor.{name} is only supported on {kind}. Got 1-D tensor.")
        warnings.warn(
            f"Tensor.{name} is deprecated on 0-D tensors. {advice}", UserWarning, stacklevel=3
        )
        return self

    # ----------------------------------------------------------------- conversion
    def item(self) -> Any:
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar"
            )
        return self._data.item()

    def tolist(self) -> Any:
        return self._data.tolist()

    def numpy(self, force: bool = False) -> Any:
        if self.requires_grad and not force:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. "
                "Use tensor.detach().numpy() instead."
            )
        func.refuse_storage_access()  # inside a cr.func transform, as in torch.func
        return self._data

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> Any:
        array = self.numpy()
        if dtype is not None and array.dtype != dtype:
            return array.astype(dtype)
        return array.copy() if copy else array

    def __dlpack__(self, *args: Any, **kwargs: Any) -> Any:
        if self.requires_grad:
            raise RuntimeError("Can't export tensors that require gradient, use tensor.detach()")
        return self._data.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self) -> tuple[int, int]:
        return self._data.__dlpack_device__()

    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """``t.to(dtype)``, ``t.to("cpu")``, ``t.to(other)``: only dtypes change anything;
        ``t.to("meta")``: a tensor of ``t``'s shape and dtype without values (chainrule.meta);
        ``memory_format=`` lays a copy out so (``t`` itself where its strides suggest that
        format already, as in PyTorch)."""
        if kwargs:  # flags by keyword: bools only (copy=1 was read by its truth)
            for flag in ("non_blocking", "copy"):
                if flag in kwargs and type(kwargs[flag]) is not builtins.bool:
                    raise arguments.no_overload("to", args, kwargs)  # no signature fits
        layout = memory_formats.preserve_format
        if "memory_format" in kwargs:  # the rarer call: no cost to the others
            layout = memory_formats.to_argument(args, kwargs)
            memory_formats.refuse_copy_in_vmap(self, layout, "to")
        try:
            dtype = _device.parse_to(args, kwargs)
        except RuntimeError:  # the meta device is refused there: checked only then (no cost)
            if not _device.names_meta(args, kwargs):
                raise
            from chainrule import meta

            return meta.meta(self, meta.MetaTensor, self.requires_grad).to(*args, **kwargs)
        if dtype is None or dtype == self.dtype:
            # As PyTorch: no copy where none is asked for and the strides suggest the format
            # already (contiguous or not)
            if not _device.asks_copy(args, kwargs):
                if layout is memory_formats.preserve_format:
                    return self
                if memory_formats.suggested(self.shape, self.stride()) is layout:
                    return self
            return elementwise.clone(self, memory_format=layout)
        memory_formats.check_rank(layout, self.ndim)
        return elementwise.cast(self, dtype, layout)

    def type_as(self, other: Tensor) -> Tensor:
        return self.to(other.dtype)

    def type(self, dtype: Any = None, non_blocking: builtins.bool = False) -> Any:
        """The legacy type name (``"chainrule.FloatTensor"``), or a copy of another dtype,
        given as a dtype or such a name."""
        if dtype is None:
            return dtypes.legacy_type_name(self._data.dtype)
        if isinstance(dtype, str):
            dtype = dtypes.from_legacy_type_name(dtype)
        return self.to(dtype)

    def float(self, memory_format: Any = memory_formats.preserve_format) -> Tensor:
        return self._converted(dtypes.float32, memory_format, "float")

    def double(self, memory_format: Any = memory_formats.preserve_format) -> Tensor:
        return self._converted(dtypes.float64, memory_format, "double")

    def half(self, memory_format: Any = memory_formats.preserve_format) -> Tensor:
        return self._converted(dtypes.float16, memory_format, "half")

    def long(self, memory_format: Any = memory_formats.preserve_format) -> Tensor:
        return self._converted(dtypes.int64, memory_format, "long")

    def int(self, memory_format: Any = memory_formats.preserve_format) -> Tensor:
        return self._converted(dtypes.int32, memory_format, "int")

    def bool(self, memory_format: Any = memory_formats.preserve_format) -> Tensor:
        return self._converted(dtypes.bool, memory_format, "bool")

    def cpu(self, memory_format: Any = memory_formats.preserve_format) -> Tensor:
        return self._converted(None, memory_format, "cpu")

    def _converted(self, dtype: Any, memory_format: Any, method: str) -> Tensor:
        """``float()``, ``cpu()`` and the like: ``to(dtype)`` (None: this dtype), laid out in
        ``memory_format`` when one is given (None, as PyTorch allows, is preserve_format)."""
        if memory_format is None or memory_format is memory_formats.preserve_format:
            return self if dtype is None else self.to(dtype)
        layout = memory_formats.checked(memory_format, method)
        return self.to(dtype, memory_format=layout)

    def cuda(self, *args: Any, **kwargs: Any) -> Tensor:
        _device.check("cuda")
        return self

    def contiguous(self, memory_format: Any = memory_formats.contiguous_format) -> Tensor:
        """This tensor if its memory is in row-major order (or ``memory_format``'s), else a
        copy laid out so (see :mod:`chainrule.memory_formats`)."""
        if memory_format is memory_formats.contiguous_format:  # the common call, quickly
            if self._data.flags.c_contiguous:
                return self
            return elementwise.Clone(memory_format).__call__(self)
        layout = memory_formats.checked(memory_format, "contiguous")
        if self.is_contiguous(memory_format=layout):
            return self
        if layout is memory_formats.preserve_format:
            raise RuntimeError("preserve memory format is unsupported by the contiguous operator")
        return elementwise.clone(self, memory_format=layout)

    def is_contiguous(self, memory_format: Any = memory_formats.contiguous_format) -> builtins.bool:
        if memory_format is memory_formats.contiguous_format:  # the common call, quickly
            return builtins.bool(self._data.flags.c_contiguous)
        layout = memory_formats.checked(memory_format, "is_contiguous")
        memory_formats.refuse_query_in_vmap(self, layout)
        return memory_formats.is_contiguous(self._data, layout)

    # New tensors with this one's dtype unless told otherwise, as in PyTorch.
    def new_tensor(
        self, data: Any, dtype: Any = None, device: Any = None, requires_grad: builtins.bool = False
    ) -> Tensor:
        if type(requires_grad) is not builtins.bool:  # (None too, as PyTorch's)
            arguments.boolean(requires_grad, "new_tensor", "requires_grad", None)
        return factories.tensor(data, dtype or self.dtype, device, requires_grad)

    def new_zeros(
        self,
        *size: Any,
        dtype: Any = None,
        device: Any = None,
        requires_grad: builtins.bool = False,
    ) -> Tensor:
        shape = factories.size_argument(size, "new_zeros")
        return self._made(factories.zeros, shape, dtype, device, requires_grad)

    def new_ones(
        self,
        *size: Any,
        dtype: Any = None,
        device: Any = None,
        requires_grad: builtins.bool = False,
    ) -> Tensor:
        shape = factories.size_argument(size, "new_ones")
        return self._made(factories.ones, shape, dtype, device, requires_grad)

    def new_empty(
        self,
        *size: Any,
        dtype: Any = None,
        device: Any = None,
        requires_grad: builtins.bool = False,
    ) -> Tensor:
        shape = factories.size_argument(size, "new_empty")
        return self._made(factories.empty, shape, dtype, device, requires_grad)

    def new_full(
        self,
        size: Sequence[builtins.int],
        fill_value: Any,
        dtype: Any = None,
        device: Any = None,
        requires_grad: builtins.bool = False,
    ) -> Tensor:
        return self._made(
            factories.full, tuple(size), dtype, device, requires_grad, fill_value=fill_value
        )

    def _made(
        self,
        make: Any,
        shape: tuple[builtins.int, ...],
        dtype: Any,
        device: Any,
        requires_grad: builtins.bool,
        **values: Any,
    ) -> Tensor:
        """``make(shape, ...)`` of the ``new_*`` methods: this tensor's dtype by default, and
        inside vmap one per example of this tensor (see :func:`factories.per_example`)."""
        if type(requires_grad) is not builtins.bool and requires_grad is not None:  # (1: True)
            arguments.boolean(requires_grad, f"new_{make.__name__}", "requires_grad", None)
        return factories.per_example(
            self,
            make,
            shape,
            dtype=dtype or self.dtype,
            device=_device.CPU if device is None else device,  # not a ``with device()``'s
            requires_grad=requires_grad,
            **values,
        )

    # ----------------------------------------------------------------- autograd
    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        func.refuse_requires_grad_()  # inside a transform's f, PyTorch's refusal
        return set_requires_grad(self, requires_grad)

    def detach(self) -> Tensor:
        """The same storage and version counter, cut from the graph (and from forward mode:
        a new array object over the same memory, since tangents are found by array)."""
        t = _make(self._data.view())
        t._vc = self._vc
        return t

    def detach_(self) -> Tensor:
        """Cut this tensor from its history, in place: a leaf that requires no grad from now
        on; what read it before keeps its gradient (see :func:`chainrule.graph.cut`)."""
        if self._view is not None:
            raise RuntimeError(DETACH_VIEW_IN_PLACE)
        from chainrule import graph, op

        graph.cut(self, next(op._sequence))
        self.grad_fn = None
        self.requires_grad = False
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf tensor after backward."""
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None or self.retains_grad:
            return
        self.register_hook(_RetainGrad(self))

    @property
    def retains_grad(self) -> bool:
        hooks = self._hook_list() if self.grad_fn is not None else None
        return bool(hooks) and any(isinstance(h, _RetainGrad) for h in hooks)

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> RemovableHandle:
        """Call ``hook(grad)`` when this tensor's gradient is computed; a return replaces it."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        hooks = self._hook_list(create=True)
        hooks.append(hook)
        return RemovableHandle(hooks, hook)

    def register_post_accumulate_grad_hook(self, hook: Callable[[Tensor], None]) -> RemovableHandle:
        """Call ``hook(self)`` after backward has accumulated this leaf's ``.grad`` (an
        optimizer step fused into backward, as in PyTorch's tutorial).

        >>> import chainrule as cr
        >>> w = cr.ones(2, requires_grad=True)
        >>> _ = w.register_post_accumulate_grad_hook(lambda t: print("grad", t.grad))
        >>> (w * 3).sum().backward()
        grad tensor([3., 3.])
        """
        if self.grad_fn is not None:
            raise RuntimeError(
                "post accumulate grad hooks cannot be registered on non-leaf tensors"
            )
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        hooks = backward_module.post_accumulate_hooks
        entry = hooks.get(id(self))
        if entry is None or entry[0]() is not self:
            key = id(self)
            entry = (weakref.ref(self, lambda _, key=key: hooks.pop(key, None)), [])
            hooks[key] = entry
        entry[1].append(hook)
        return RemovableHandle(entry[1], hook)

    def _hook_list(self, create: bool = False) -> list[Any] | None:
        # A leaf keeps its hooks; a computed tensor's hooks live on its node, where backward
        # meets its gradient.
        owner = self.grad_fn or self
        if owner._hooks is None and create:
            owner._hooks = []
        return owner._hooks

    def backward(
        self,
        gradient: Any = None,
        retain_graph: bool | None = None,
        create_graph: bool = False,
        inputs: Sequence[Tensor] | Tensor | None = None,
    ) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (PyTorch's semantics)."""
        backward_module.backward(self, gradient, retain_graph, create_graph, inputs)

    # ----------------------------------------------------------------- printing
    def __repr__(self) -> str:
        return printing.tensor_repr(self)  # reads grad_fn, which a stale view brings up to date

    def __format__(self, spec: str) -> str:
        # As PyTorch's: a 0-d tensor formats as its number (item(), which does not warn as
        # float() does); any other tensor, and a subclass such as Parameter, as object does:
        # its str with no spec, a TypeError with one. vmap's BatchedTensor stands for PyTorch's
        # wrapper, a plain Tensor there, so it formats as its number too (or refuses item()).
        if self.ndim == 0 and type(self) in (Tensor, batching.BatchedTensor):
            return format(self.item(), spec)
        return object.__format__(self, spec)

    def __hash__(self) -> int:
        return id(self)

    # ----------------------------------------------------------------- Python protocol
    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(shape.unbind(self, 0))  # as PyTorch: rows are views that refuse in-place

    def __bool__(self) -> builtins.bool:
        if self._data.size != 1:
            raise RuntimeError(
                "Boolean value of Tensor with more than one value is ambiguous"
                if self._data.size
                else "Boolean value of Tensor with no values is ambiguous"
            )
        return builtins.bool(self._data)

    def __float__(self) -> builtins.float:
        if self.requires_grad and grad_mode.modes.enabled and not _scalar_of_grad_warned[0]:
            _scalar_of_grad_warned[0] = True
            warnings.warn(_SCALAR_OF_GRAD, UserWarning, stacklevel=2)
        return builtins.float(self._one_element())

    def __int__(self) -> builtins.int:
        return builtins.int(self._one_element())

    def _one_element(self) -> Any:
        """``item()`` for ``float()`` and ``int()``, which refuse more elements in PyTorch's
        words (a ValueError, where ``item()`` raises a RuntimeError)."""
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self.item()

    def __index__(self) -> builtins.int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return builtins.int(self.item())

    # ----------------------------------------------------------------- arithmetic
    # The hot dunders apply their op directly: one Python call fewer per operation. They call
    # ``op.__call__`` by name: cheaper than ``op(...)``, which goes through the type's slot.
    def __add__(self, other: Any) -> Tensor:
        return elementwise.Add().__call__(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return elementwise.add(other, self)

    def __sub__(self, other: Any) -> Tensor:
        return elementwise.Sub().__call__(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return elementwise.sub(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return elementwise.Mul().__call__(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return elementwise.mul(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return elementwise.Div().__call__(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        # PyTorch computes ``c / x`` as ``reciprocal(x) * c``: the same rounding and grad_fn.
        return elementwise.mul(self.reciprocal(), other)

    def __pow__(self, other: Any) -> Tensor:
        return elementwise.pow(self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return elementwise.pow(other, self)

    def __floordiv__(self, other: Any) -> Tensor:
        return elementwise.floor_divide(self, other)

    def __rfloordiv__(self, other: Any) -> Tensor:
        return elementwise.floor_divide(other, self)

    def __mod__(self, other: Any) -> Tensor:
        return elementwise.remainder(self, other)

    def __rmod__(self, other: Any) -> Tensor:
        return elementwise.remainder(other, self)

    def __matmul__(self, other: Any) -> Tensor:
        return linalg.matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return linalg.matmul(other, self)

    def __neg__(self) -> Tensor:
        return elementwise.neg(self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return elementwise.abs(self)

    def __iadd__(self, other: Any) -> Tensor:
        return self.add_(other)

    def __isub__(self, other: Any) -> Tensor:
        return self.sub_(other)

    def __imul__(self, other: Any) -> Tensor:
        return self.mul_(other)

    def __itruediv__(self, other: Any) -> Tensor:
        return self.div_(other)

    # Without these Python would run ``x //= y`` as ``x = x // y``: a new tensor, so that an
    # alias or a view of ``x`` would not see the change PyTorch makes in place.
    def __ifloordiv__(self, other: Any) -> Tensor:
        return self.floor_divide_(other)

    def __imod__(self, other: Any) -> Tensor:
        return self.remainder_(other)

    def __ipow__(self, other: Any) -> Tensor:
        return self.pow_(other)

    def __iand__(self, other: Any) -> Tensor:
        return self.bitwise_and_(other)

    def __ior__(self, other: Any) -> Tensor:
        return self.bitwise_or_(other)

    def __ixor__(self, other: Any) -> Tensor:
        return self.bitwise_xor_(other)

    def __ilshift__(self, other: Any) -> Tensor:
        return self.bitwise_left_shift_(other)

    def __irshift__(self, other: Any) -> Tensor:
        return self.bitwise_right_shift_(other)

    # Comparisons give bool tensors that carry no gradient.
    # PyTorch compares with tensors, numbers and arrays only: anything else (None, a string, a
    # list) is left to Python, whose fallback answers x == None with False, not a tensor, and
    # refuses x < None naming both types.
    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        if other is None or isinstance(other, _NOT_COMPARED):
            return NotImplemented
        return compare.eq(self, other)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        if other is None or isinstance(other, _NOT_COMPARED):
            return NotImplemented
        return compare.ne(self, other)

    def __lt__(self, other: Any) -> Tensor:
        if other is None or isinstance(other, _NOT_COMPARED):
            return NotImplemented
        return compare.lt(self, other)

    def __le__(self, other: Any) -> Tensor:
        if other is None or isinstance(other, _NOT_COMPARED):
            return NotImplemented
        return compare.le(self, other)

    def __gt__(self, other: Any) -> Tensor:
        if other is None or isinstance(other, _NOT_COMPARED):
            return NotImplemented
        return compare.gt(self, other)

    def __ge__(self, other: Any) -> Tensor:
        if other is None or isinstance(other, _NOT_COMPARED):
            return NotImplemented
        return compare.ge(self, other)

    # &, |, ^, <<, >> and ~ work bit by bit, as in PyTorch (logical on bools): 12 & 6 is 4
    def __and__(self, other: Any) -> Tensor:
        return compare.bitwise_and(self, other)

    def __or__(self, other: Any) -> Tensor:
        return compare.bitwise_or(self, other)

    def __xor__(self, other: Any) -> Tensor:
        return compare.bitwise_xor(self, other)

    def __rand__(self, other: Any) -> Tensor:
        return compare.bitwise_and(other, self)

    def __ror__(self, other: Any) -> Tensor:
        return compare.bitwise_or(other, self)

    def __rxor__(self, other: Any) -> Tensor:
        return compare.bitwise_xor(other, self)

    def __lshift__(self, other: Any) -> Tensor:
        return compare.bitwise_left_shift(self, other)

    def __rshift__(self, other: Any) -> Tensor:
        return compare.bitwise_right_shift(self, other)

    def __rlshift__(self, other: Any) -> Tensor:
        return compare.bitwise_left_shift(other, self)

    def __rrshift__(self, other: Any) -> Tensor:
        return compare.bitwise_right_shift(other, self)

    def __invert__(self) -> Tensor:
        return compare.invert(self)

    def logical_and(self, other: Any) -> Tensor:
        return compare.logical_and(self, other)

    def logical_or(self, other: Any) -> Tensor:
        return compare.logical_or(self, other)

    def logical_xor(self, other: Any) -> Tensor:
        return compare.logical_xor(self, other)

    def logical_not(self) -> Tensor:
        return compare.logical_not(self)

    def bitwise_and(self, other: Any) -> Tensor:
        return compare.bitwise_and(self, other)

    def bitwise_or(self, other: Any) -> Tensor:
        return compare.bitwise_or(self, other)

    def bitwise_xor(self, other: Any) -> Tensor:
        return compare.bitwise_xor(self, other)

    def bitwise_left_shift(self, other: Any) -> Tensor:
        return compare.bitwise_left_shift(self, other)

    def bitwise_right_shift(self, other: Any) -> Tensor:
        return compare.bitwise_right_shift(self, other)

    def bitwise_not(self) -> Tensor:
        return compare.bitwise_not(self)

    def add(self, other: Any, alpha: Any = 1) -> Tensor:
        return elementwise.add(self, other, alpha=alpha)

    def sub(self, other: Any, alpha: Any = 1) -> Tensor:
        return elementwise.sub(self, other, alpha=alpha)

    def mul(self, other: Any) -> Tensor:
        return elementwise.mul(self, other)

    def div(self, other: Any, *, rounding_mode: str | None = None) -> Tensor:
        return elementwise.div(self, other, rounding_mode=rounding_mode)

    def floor_divide(self, other: Any) -> Tensor:
        return elementwise.floor_divide(self, other)

    def remainder(self, other: Any) -> Tensor:
        return elementwise.remainder(self, other)

    def fmod(self, other: Any) -> Tensor:
        return elementwise.fmod(self, other)

    def pow(self, exponent: Any) -> Tensor:
        return elementwise.pow(self, exponent)

    def matmul(self, other: Any) -> Tensor:
        return linalg.matmul(self, other)

    def mm(self, mat2: Any) -> Tensor:
        return linalg.mm(self, mat2)

    def mv(self, vec: Tensor) -> Tensor:
        return linalg.mv_at(self, vec, 1)

    def bmm(self, mat2: Tensor) -> Tensor:
        return linalg.bmm(self, mat2)

    def dot(self, other: Tensor) -> Tensor:
        return linalg.dot(self, other)

    def outer(self, vec2: Tensor) -> Tensor:
        return linalg.outer(self, vec2)

    def diag(self, diagonal: builtins.int = 0) -> Tensor:
        return linalg.diag(self, diagonal)

    def trace(self) -> Tensor:
        return linalg.trace(self)

    def tril(self, diagonal: builtins.int = 0) -> Tensor:
        return linalg.tril(self, arguments.integer(diagonal, "tril", "diagonal"))

    def triu(self, diagonal: builtins.int = 0) -> Tensor:
        return linalg.triu(self, arguments.integer(diagonal, "triu", "diagonal"))

    def square(self) -> Tensor:
        return elementwise.square(self)

    def where(self, condition: Any, other: Any) -> Tensor:
        return elementwise.where(condition, self, other)

    def masked_fill(self, mask: Any, value: Any) -> Tensor:
        return indexing.masked_fill(self, mask, value)

    # ----------------------------------------------------------------- reductions
    def sum(self, dim: Any = None, keepdim: builtins.bool = False, **kwargs: Any) -> Tensor:
        return reduce.sum(self, dim, keepdim, **kwargs)

    def mean(self, dim: Any = None, keepdim: builtins.bool = False, **kwargs: Any) -> Tensor:
        return reduce.mean(self, dim, keepdim, **kwargs)

    def prod(self, dim: Any = None, keepdim: builtins.bool = False, **kwargs: Any) -> Tensor:
        return reduce.prod(self, dim, keepdim, **kwargs)

    def max(self, dim: Any = None, keepdim: builtins.bool = False, **kwargs: Any) -> Any:
        return reduce.max(self, dim, keepdim, **kwargs)

    def min(self, dim: Any = None, keepdim: builtins.bool = False, **kwargs: Any) -> Any:
        return reduce.min(self, dim, keepdim, **kwargs)

    def amax(self, dim: Any = (), keepdim: builtins.bool = False, **kwargs: Any) -> Tensor:
        return reduce.amax(self, dim, keepdim, **kwargs)

    def amin(self, dim: Any = (), keepdim: builtins.bool = False, **kwargs: Any) -> Tensor:
        return reduce.amin(self, dim, keepdim, **kwargs)

    def var(self, dim: Any = None, *args: Any, **kwargs: Any) -> Tensor:
        return reduce.var(self, dim, *args, **kwargs)

    def std(self, dim: Any = None, *args: Any, **kwargs: Any) -> Tensor:
        return reduce.std(self, dim, *args, **kwargs)

    def norm(
        self, p: Any = "fro", dim: Any = None, keepdim: builtins.bool = False, **kwargs: Any
    ) -> Tensor:
        return reduce.norm(self, p, dim, keepdim, **kwargs)

    def logsumexp(self, dim: Any, keepdim: builtins.bool = False) -> Tensor:
        return reduce.logsumexp(self, dim, keepdim)

    def cumsum(self, dim: int, *, dtype: Any = None) -> Tensor:
        # dim checked here, where PyTorch names it at position 1 (the function's is 2)
        return reduce.cumsum(self, arguments.integer(dim, "cumsum", "dim"), dtype=dtype)

    def softmax(self, dim: int, dtype: Any = None) -> Tensor:
        return nn_ops.softmax(self, dim, dtype)

    def log_softmax(self, dim: int, dtype: Any = None) -> Tensor:
        return nn_ops.log_softmax(self, dim, dtype)

    def argmax(
        self, dim: int | None = None, keepdim: builtins.bool = False, **kwargs: Any
    ) -> Tensor:
        return reduce.argmax(self, dim, keepdim, **kwargs)

    def argmin(
        self, dim: int | None = None, keepdim: builtins.bool = False, **kwargs: Any
    ) -> Tensor:
        return reduce.argmin(self, dim, keepdim, **kwargs)

    def all(self, dim: int | None = None, keepdim: builtins.bool = False, **kwargs: Any) -> Tensor:
        return compare.all(self, dim, keepdim, **kwargs)

    def any(self, dim: int | None = None, keepdim: builtins.bool = False, **kwargs: Any) -> Tensor:
        return compare.any(self, dim, keepdim, **kwargs)

    def isnan(self) -> Tensor:
        return compare.isnan(self)

    def isinf(self) -> Tensor:
        return compare.isinf(self)

    def isposinf(self) -> Tensor:
        return compare.isposinf(self)

    def isneginf(self) -> Tensor:
        return compare.isneginf(self)

    def isfinite(self) -> Tensor:
        return compare.isfinite(self)

    # ----------------------------------------------------------------- shape
    # The sizes of reshape, view, permute and expand come as arguments or as PyTorch's one
    # keyword (``x.view(size=(4,))``).
    def reshape(self, *shape_: Any, **keyword: Any) -> Tensor:
        if keyword:
            shape_ = _sizes_or_keyword(shape_, keyword, "reshape", "shape")
        return shape.reshape(self, int_list(shape_, "reshape", "shape"))

    def view(self, *shape_: Any, **keyword: Any) -> Tensor:
        if keyword:
            shape_ = _sizes_or_keyword(shape_, keyword, "view", "size")
        if len(shape_) == 1 and type(shape_[0]) is dtypes.dtype:
            return shape.view_dtype(self, shape_[0])
        return shape.view(self, int_list(shape_, "view", "size", overloads=arguments.VIEW))

    def view_as(self, other: Tensor) -> Tensor:
        return shape.view(self, other.shape)

    def reshape_as(self, other: Tensor) -> Tensor:
        return shape.reshape(self, other.shape)

    # The methods' dimensions are their first arguments (the functions' second): errors name
    # their positions.
    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        return shape.flatten_at(self, start_dim, end_dim, 1)

    def squeeze(self, dim: Any = arguments.OMITTED) -> Tensor:
        return shape.squeeze_at(self, dim, 1)

    def unsqueeze(self, dim: int) -> Tensor:
        return shape.unsqueeze_at(self, dim, 1)

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        return shape.transpose_at(self, dim0, dim1, 1)

    def swapaxes(self, axis0: int, axis1: int) -> Tensor:
        return shape.transpose_at(self, axis0, axis1, 1, "swapaxes", ("axis0", "axis1"))

    def t(self) -> Tensor:
        return shape.t(self)

    def permute(self, *dims: Any, **keyword: Any) -> Tensor:
        if keyword:
            dims = _sizes_or_keyword(dims, keyword, "permute", "dims")
        return shape.permute(self, int_list(dims, "permute", "dims"))

    def expand(self, *sizes: Any, **keyword: Any) -> Tensor:
        if keyword:
            sizes = _sizes_or_keyword(sizes, keyword, "expand", "size")
        return shape.expand(self, *sizes)

    def expand_as(self, other: Tensor) -> Tensor:
        return shape.expand(self, other.shape)

    def broadcast_to(self, *size: Any) -> Tensor:
        return shape.broadcast_to(self, int_list(size, "broadcast_to", "size"))

    def repeat(self, *sizes: Any) -> Tensor:
        return shape.repeat(self, *sizes)

    def flip(self, *dims: Any) -> Tensor:
        return shape.flip(self, int_list(dims, "flip", "dims"))

    def roll(self, shifts: Any, dims: Any = None) -> Tensor:
        return shape.roll(self, shifts, dims)

    def split(self, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
        return shape.split(self, split_size_or_sections, dim)

    def chunk(self, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
        return shape.chunk_at(self, chunks, dim, 1)

    def unbind(self, dim: int = 0) -> tuple[Tensor, ...]:
        return shape.unbind_at(self, dim, 1)

    # ----------------------------------------------------------------- indexing
    def __getitem__(self, key: Any) -> Tensor:
        return indexing.getitem(self, key)

    def __setitem__(self, key: Any, value: Any) -> None:
        indexing.setitem(self, key, value)

    def gather(self, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:
        return indexing.gather(self, dim, index, sparse_grad=sparse_grad)

    def scatter_add(self, dim: int, index: Tensor, src: Tensor) -> Tensor:
        return indexing.scatter_add(self, dim, index, src)

    def index_select(self, dim: int, index: Tensor) -> Tensor:
        return indexing.index_select(self, dim, index)

    def masked_select(self, mask: Tensor) -> Tensor:
        return indexing.masked_select(self, mask)

    def nonzero(self, *, as_tuple: builtins.bool = False) -> Any:
        return indexing.nonzero(self, as_tuple=as_tuple)

    def sort(
        self,
        dim: builtins.int = -1,
        descending: builtins.bool = False,
        stable: builtins.bool = False,
    ) -> Any:
        return indexing.sort(self, dim, descending, stable)

    def msort(self) -> Tensor:
        return indexing.msort(self)

    def argsort(
        self,
        dim: builtins.int = -1,
        descending: builtins.bool = False,
        stable: builtins.bool = False,
    ) -> Tensor:
        return indexing.argsort(self, dim, descending, stable)

    def topk(
        self,
        k: builtins.int,
        dim: builtins.int = -1,
        largest: builtins.bool = True,
        sorted: builtins.bool = True,  # noqa: A002
    ) -> Any:
        return indexing.topk(self, k, dim, largest, sorted)

    # ----------------------------------------------------------------- in place
    def add_(self, other: Any, alpha: Any = 1) -> Tensor:
        return inplace.add_(self, other, alpha)

    def sub_(self, other: Any, alpha: Any = 1) -> Tensor:
        return inplace.sub_(self, other, alpha)

    def mul_(self, other: Any) -> Tensor:
        return inplace.mul_(self, other)

    def div_(self, other: Any, *, rounding_mode: str | None = None) -> Tensor:
        return inplace.div_(self, other, rounding_mode)

    def clamp_(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
        return inplace.clamp_(self, min, max)

    def zero_(self) -> Tensor:
        return inplace.zero_(self)

    def fill_(self, value: Any) -> Tensor:
        return inplace.fill_(self, value)

    def copy_(self, src: Any, non_blocking: builtins.bool = False) -> Tensor:
        return inplace.copy_(self, src)  # (non_blocking: every copy here is a blocking one)

    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator: Any = None) -> Tensor:
        return inplace.normal_(self, mean, std, generator)

    def uniform_(self, a: float = 0.0, to: float = 1.0, *, generator: Any = None) -> Tensor:
        return inplace.uniform_(self, a, to, generator)  # (PyTorch's a: from, a keyword of Python)

    def bernoulli_(self, p: Any = 0.5, *, generator: Any = None) -> Tensor:
        return inplace.bernoulli_(self, p, generator)

    def bernoulli(self, p: float | None = None, *, generator: Any = None) -> Tensor:
        return factories.bernoulli(self, p, generator=generator)

    def exponential_(self, lambd: float = 1.0, *, generator: Any = None) -> Tensor:
        return inplace.exponential_(self, lambd, generator)

    def random_(self, *args: int | None, generator: Any = None, **kwargs: int | None) -> Tensor:
        return inplace.random_(self, *args, generator=generator, **kwargs)

    def geometric_(self, p: float, *, generator: Any = None) -> Tensor:
        return inplace.geometric_(self, p, generator)

    def log_normal_(self, mean: float = 1.0, std: float = 2.0, *, generator: Any = None) -> Tensor:
        return inplace.log_normal_(self, mean, std, generator)

    def cauchy_(self, median: float = 0.0, sigma: float = 1.0, *, generator: Any = None) -> Tensor:
        return inplace.cauchy_(self, median, sigma, generator)

    def multinomial(
        self, num_samples: int, replacement: builtins.bool = False, *, generator: Any = None
    ) -> Tensor:
        return factories.multinomial(self, num_samples, replacement, generator=generator)

    # ---- shape, indexing, comparison (api17a)
    def eq(self, other: Any) -> Tensor:
        return compare.eq(self, other)

    def ne(self, other: Any) -> Tensor:
        return compare.ne(self, other)

    def gt(self, other: Any) -> Tensor:
        return compare.gt(self, other)

    def ge(self, other: Any) -> Tensor:
        return compare.ge(self, other)

    def lt(self, other: Any) -> Tensor:
        return compare.lt(self, other)

    def le(self, other: Any) -> Tensor:
        return compare.le(self, other)

    def isclose(
        self,
        other: Tensor,
        rtol: builtins.float = 1e-5,
        atol: builtins.float = 1e-8,
        equal_nan: builtins.bool = False,
    ) -> Tensor:
        return compare.isclose(self, other, rtol, atol, equal_nan)

    def allclose(
        self,
        other: Tensor,
        rtol: builtins.float = 1e-5,
        atol: builtins.float = 1e-8,
        equal_nan: builtins.bool = False,
    ) -> builtins.bool:
        return compare.allclose(self, other, rtol, atol, equal_nan)

    def equal(self, other: Tensor) -> builtins.bool:
        return compare.equal(self, other)

    def masked_fill_(self, mask: Tensor, value: Any) -> Tensor:
        return indexing.masked_fill_(self, mask, value)

    def scatter(self, dim: builtins.int, index: Tensor, src: Any = None, **value: Any) -> Tensor:
        return indexing.scatter(self, dim, index, src, **value)

    def scatter_(self, dim: builtins.int, index: Tensor, src: Any = None, **value: Any) -> Tensor:
        return indexing.scatter_(self, dim, index, src, **value)

    def scatter_add_(self, dim: builtins.int, index: Tensor, src: Tensor) -> Tensor:
        return indexing.scatter_add_(self, dim, index, src)

    def index_add(
        self, dim: builtins.int, index: Tensor, source: Tensor, *, alpha: Any = 1
    ) -> Tensor:
        return indexing.index_add(self, dim, index, source, alpha=alpha)

    def index_add_(
        self, dim: builtins.int, index: Tensor, source: Tensor, *, alpha: Any = 1
    ) -> Tensor:
        return indexing.index_add_(self, dim, index, source, alpha=alpha)

    def index_copy(self, dim: builtins.int, index: Tensor, source: Tensor) -> Tensor:
        return indexing.index_copy(self, dim, index, source)

    def index_copy_(self, dim: builtins.int, index: Tensor, source: Tensor) -> Tensor:
        return indexing.index_copy_(self, dim, index, source)

    def index_fill(self, dim: builtins.int, index: Tensor, value: Any) -> Tensor:
        return indexing.index_fill(self, dim, index, value)

    def index_fill_(self, dim: builtins.int, index: Tensor, value: Any) -> Tensor:
        return indexing.index_fill_(self, dim, index, value)

    def take(self, index: Tensor) -> Tensor:
        return indexing.take(self, index)

    def take_along_dim(self, indices: Tensor, dim: builtins.int | None = None) -> Tensor:
        return indexing.take_along_dim(self, indices, dim)

    # ---- scatter-style writes
    def index_put(self, indices: Any, values: Tensor, accumulate: builtins.bool = False) -> Tensor:
        return index_writes.index_put(self, indices, values, accumulate)

    def index_put_(self, indices: Any, values: Tensor, accumulate: builtins.bool = False) -> Tensor:
        return index_writes.index_put_(self, indices, values, accumulate)

    def masked_scatter(self, mask: Tensor, source: Tensor) -> Tensor:
        return index_writes.masked_scatter(self, mask, source)

    def masked_scatter_(self, mask: Tensor, source: Tensor) -> Tensor:
        return index_writes.masked_scatter_(self, mask, source)

    def put(self, index: Tensor, source: Tensor, accumulate: builtins.bool = False) -> Tensor:
        return index_writes.put(self, index, source, accumulate)

    def put_(self, index: Tensor, source: Tensor, accumulate: builtins.bool = False) -> Tensor:
        return index_writes.put_(self, index, source, accumulate)

    def select_scatter(self, src: Tensor, dim: builtins.int, index: builtins.int) -> Tensor:
        return index_writes.select_scatter(self, src, dim, index)

    def slice_scatter(
        self,
        src: Tensor,
        dim: builtins.int = 0,
        start: builtins.int | None = None,
        end: builtins.int | None = None,
        step: builtins.int = 1,
    ) -> Tensor:
        return index_writes.slice_scatter(self, src, dim, start, end, step)

    def diagonal_scatter(
        self,
        src: Tensor,
        offset: builtins.int = 0,
        dim1: builtins.int = 0,
        dim2: builtins.int = 1,
    ) -> Tensor:
        return index_writes.diagonal_scatter(self, src, offset, dim1, dim2)

    def scatter_reduce(
        self,
        dim: builtins.int,
        index: Tensor,
        src: Tensor,
        reduce: str,
        *,
        include_self: builtins.bool = True,
    ) -> Tensor:
        return index_writes.scatter_reduce(self, dim, index, src, reduce, include_self=include_self)

    def scatter_reduce_(
        self,
        dim: builtins.int,
        index: Tensor,
        src: Tensor,
        reduce: str,
        *,
        include_self: builtins.bool = True,
    ) -> Tensor:
        return index_writes.scatter_reduce_(
            self, dim, index, src, reduce, include_self=include_self
        )

    def index_reduce(
        self,
        dim: builtins.int,
        index: Tensor,
        source: Tensor,
        reduce: str,
        *,
        include_self: builtins.bool = True,
    ) -> Tensor:
        return index_writes.index_reduce(
            self, dim, index, source, reduce, include_self=include_self
        )

    def index_reduce_(
        self,
        dim: builtins.int,
        index: Tensor,
        source: Tensor,
        reduce: str,
        *,
        include_self: builtins.bool = True,
    ) -> Tensor:
        return index_writes.index_reduce_(
            self, dim, index, source, reduce, include_self=include_self
        )

    def narrow(self, dim: builtins.int, start: Any, length: builtins.int) -> Tensor:
        return shape_more.narrow(self, dim, start, length)

    def select(self, dim: builtins.int, index: builtins.int) -> Tensor:
        return shape_more.select(self, dim, index)

    def movedim(self, source: Any, destination: Any) -> Tensor:
        return shape_more.movedim(self, source, destination)

    moveaxis = movedim

    def swapdims(self, dim0: builtins.int, dim1: builtins.int) -> Tensor:
        return shape.transpose_at(self, dim0, dim1, 1, "swapdims", ("dim0", "dim1"))

    def unflatten(self, dim: builtins.int, sizes: Sequence[builtins.int]) -> Tensor:
        return shape_more.unflatten(self, dim, sizes)

    def ravel(self) -> Tensor:
        return shape_more.ravel(self)

    def tile(self, *dims: Any) -> Tensor:
        return shape_more.tile(self, int_list(dims, "tile", "dims"))

    def repeat_interleave(
        self, repeats: Any, dim: builtins.int | None = None, *, output_size: Any = None
    ) -> Tensor:
        shape_more.check_interleave((), repeats, dim, output_size)  # named as the method's
        return shape_more.repeat_interleave(self, repeats, dim, output_size=output_size)

    def diagonal(
        self, offset: builtins.int = 0, dim1: builtins.int = 0, dim2: builtins.int = 1
    ) -> Tensor:
        return shape_more.diagonal(self, offset, dim1, dim2)

    def diag_embed(
        self, offset: builtins.int = 0, dim1: builtins.int = -2, dim2: builtins.int = -1
    ) -> Tensor:
        return shape_more.diag_embed(self, offset, dim1, dim2)

    def fliplr(self) -> Tensor:
        return shape_more.fliplr(self)

    def flipud(self) -> Tensor:
        return shape_more.flipud(self)

    def rot90(self, k: builtins.int = 1, dims: Sequence[builtins.int] = (0, 1)) -> Tensor:
        return shape_more.rot90(self, k, dims)

    def tensor_split(self, indices_or_sections: Any, dim: builtins.int = 0) -> tuple[Tensor, ...]:
        return shape_more.tensor_split(self, indices_or_sections, dim)

    def hsplit(self, indices_or_sections: Any) -> tuple[Tensor, ...]:
        return shape_more.hsplit(self, indices_or_sections)

    def vsplit(self, indices_or_sections: Any) -> tuple[Tensor, ...]:
        return shape_more.vsplit(self, indices_or_sections)

    def dsplit(self, indices_or_sections: Any) -> tuple[Tensor, ...]:
        return shape_more.dsplit(self, indices_or_sections)

    def stride(self, dim: builtins.int | None = None) -> Any:
        """Element strides, as PyTorch reports them (NumPy's are in bytes)."""
        strides = tuple(shape.element_strides(self._data))
        if dim is None:
            return strides
        return strides[arguments.dim(dim, self.ndim, "stride", "dim")]  # not True, as PyTorch

    def storage_offset(self) -> builtins.int:
        return shape.storage_offset(self._data)

    @property
    def nbytes(self) -> builtins.int:
        return builtins.int(self._data.nbytes)

    @property
    def itemsize(self) -> builtins.int:
        return self._data.itemsize

    def is_complex(self) -> builtins.bool:
        return False  # complex dtypes are refused (dtypes.refuse_complex)

    # ----------------------------------------------------------------- math
    # PyTorch's longer names and one-sided clamps, and the in-place forms of the elementwise
    # functions: each computes out of place and writes back through inplace.apply, which bumps
    # the version and records the change as add_ does.
    def multiply(self, other: Any) -> Tensor:
        return elementwise.mul(self, other)

    def divide(self, other: Any, *, rounding_mode: str | None = None) -> Tensor:
        return elementwise.div(self, other, rounding_mode=rounding_mode)

    def subtract(self, other: Any, *, alpha: Any = 1) -> Tensor:
        return elementwise.sub(self, other, alpha=alpha)

    def true_divide(self, other: Any) -> Tensor:
        return elementwise.true_divide(self, other)

    def clamp_min(self, min: Any) -> Tensor:  # noqa: A002
        return elementwise.clamp_min(self, min)

    def clamp_max(self, max: Any) -> Tensor:  # noqa: A002
        return elementwise.clamp_max(self, max)

    def multiply_(self, other: Any) -> Tensor:
        return inplace.mul_(self, other)

    def divide_(self, other: Any, *, rounding_mode: str | None = None) -> Tensor:
        return inplace.div_(self, other, rounding_mode)

    def subtract_(self, other: Any, *, alpha: Any = 1) -> Tensor:
        return inplace.sub_(self, other, alpha)  # sub_'s refusal of bools, not add_'s

    def true_divide_(self, other: Any) -> Tensor:
        return inplace.div_(self, other)

    def clip_(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
        return inplace.clamp_(self, min, max)

    def clamp_min_(self, min: Any) -> Tensor:  # noqa: A002
        return inplace.bounded_(self, elementwise.clamp_min, min)

    def clamp_max_(self, max: Any) -> Tensor:  # noqa: A002
        return inplace.bounded_(self, elementwise.clamp_max, max)

    def pow_(self, exponent: Any) -> Tensor:
        return inplace.apply(self, elementwise.pow, exponent)

    def round_(self, *, decimals: builtins.int = 0) -> Tensor:
        return inplace.apply(self, lambda old: elementwise.round(old, decimals=decimals))

    def abs_(self) -> Tensor:
        return inplace.apply(self, elementwise.abs)

    def absolute_(self) -> Tensor:
        return inplace.apply(self, elementwise.abs)

    def neg_(self) -> Tensor:
        return inplace.apply(self, elementwise.neg)

    def negative_(self) -> Tensor:
        return inplace.apply(self, elementwise.neg)

    def sign_(self) -> Tensor:
        return inplace.apply(self, elementwise.sign)

    def square_(self) -> Tensor:
        return inplace.apply(self, elementwise.square)

    def sqrt_(self) -> Tensor:
        return inplace.apply(self, elementwise.sqrt)

    def rsqrt_(self) -> Tensor:
        return inplace.apply(self, elementwise.rsqrt)

    def reciprocal_(self) -> Tensor:
        return inplace.apply(self, elementwise.reciprocal)

    def exp_(self) -> Tensor:
        return inplace.apply(self, elementwise.exp)

    def exp2_(self) -> Tensor:
        return inplace.apply(self, elementwise.exp2)

    def expm1_(self) -> Tensor:
        return inplace.apply(self, elementwise.expm1)

    def log_(self) -> Tensor:
        return inplace.apply(self, elementwise.log)

    def log1p_(self) -> Tensor:
        return inplace.apply(self, elementwise.log1p)

    def log2_(self) -> Tensor:
        return inplace.apply(self, elementwise.log2)

    def log10_(self) -> Tensor:
        return inplace.apply(self, elementwise.log10)

    def sigmoid_(self) -> Tensor:
        return inplace.apply(self, elementwise.sigmoid)

    def tanh_(self) -> Tensor:
        return inplace.apply(self, elementwise.tanh)

    def relu_(self) -> Tensor:
        return inplace.apply(self, elementwise.relu)

    def erf_(self) -> Tensor:
        return inplace.apply(self, elementwise.erf)

    def sin_(self) -> Tensor:
        return inplace.apply(self, elementwise.sin)

    def cos_(self) -> Tensor:
        return inplace.apply(self, elementwise.cos)

    def tan_(self) -> Tensor:
        return inplace.apply(self, elementwise.tan)

    def asin_(self) -> Tensor:
        return inplace.apply(self, elementwise.asin)

    def acos_(self) -> Tensor:
        return inplace.apply(self, elementwise.acos)

    def atan_(self) -> Tensor:
        return inplace.apply(self, elementwise.atan)

    def sinh_(self) -> Tensor:
        return inplace.apply(self, elementwise.sinh)

    def cosh_(self) -> Tensor:
        return inplace.apply(self, elementwise.cosh)

    def asinh_(self) -> Tensor:
        return inplace.apply(self, elementwise.asinh)

    def acosh_(self) -> Tensor:
        return inplace.apply(self, elementwise.acosh)

    def atanh_(self) -> Tensor:
        return inplace.apply(self, elementwise.atanh)

    def floor_(self) -> Tensor:
        return inplace.apply(self, elementwise.floor)

    def ceil_(self) -> Tensor:
        return inplace.apply(self, elementwise.ceil)

    def trunc_(self) -> Tensor:
        return inplace.apply(self, elementwise.trunc)

    def frac_(self) -> Tensor:
        return inplace.apply(self, elementwise.frac)

    def arccos_(self) -> Tensor:
        return inplace.apply(self, elementwise.arccos)

    def arccosh_(self) -> Tensor:
        return inplace.apply(self, elementwise.arccosh)

    def arcsin_(self) -> Tensor:
        return inplace.apply(self, elementwise.arcsin)

    def arcsinh_(self) -> Tensor:
        return inplace.apply(self, elementwise.arcsinh)

    def arctan_(self) -> Tensor:
        return inplace.apply(self, elementwise.arctan)

    def arctanh_(self) -> Tensor:
        return inplace.apply(self, elementwise.arctanh)

    def fix_(self) -> Tensor:
        return inplace.apply(self, elementwise.fix)

    def sinc_(self) -> Tensor:
        return inplace.apply(self, pointwise.sinc)

    def logical_not_(self) -> Tensor:
        return inplace.apply(self, compare.logical_not)

    def bitwise_not_(self) -> Tensor:
        return inplace.apply(self, compare.bitwise_not)

    def atan2_(self, other: Any) -> Tensor:
        return inplace.apply(self, elementwise.atan2, other)

    def arctan2_(self, other: Any) -> Tensor:
        return inplace.apply(self, elementwise.arctan2, other)

    def hypot_(self, other: Any) -> Tensor:
        return inplace.apply(self, elementwise.hypot, other)

    def copysign_(self, other: Any) -> Tensor:
        return inplace.apply(self, pointwise.copysign, other)

    def float_power_(self, exponent: Any) -> Tensor:
        if self.dtype != dtypes.float64:  # float_power computes in float64, written back
            raise RuntimeError(
                f"the base given to float_power_ has dtype {dtypes.scalar_type_name(self.dtype)}"
                " but the operation's result requires dtype Double"
            )
        return inplace.apply(self, pointwise.float_power, exponent)

    def floor_divide_(self, other: Any) -> Tensor:
        return inplace.binary_(self, elementwise.floor_divide, other)

    def remainder_(self, other: Any) -> Tensor:
        return inplace.binary_(self, elementwise.remainder, other)

    def fmod_(self, other: Any) -> Tensor:
        return inplace.binary_(self, elementwise.fmod, other)

    def heaviside_(self, values: Any) -> Tensor:
        return inplace.apply(self, pointwise.heaviside, values)

    def eq_(self, other: Any) -> Tensor:
        return inplace.apply(self, compare.eq, other)

    def ne_(self, other: Any) -> Tensor:
        return inplace.apply(self, compare.ne, other)

    def lt_(self, other: Any) -> Tensor:
        return inplace.apply(self, compare.lt, other)

    def le_(self, other: Any) -> Tensor:
        return inplace.apply(self, compare.le, other)

    def gt_(self, other: Any) -> Tensor:
        return inplace.apply(self, compare.gt, other)

    def ge_(self, other: Any) -> Tensor:
        return inplace.apply(self, compare.ge, other)

    def logical_and_(self, other: Any) -> Tensor:
        return inplace.apply(self, compare.logical_and, other)

    def logical_or_(self, other: Any) -> Tensor:
        return inplace.apply(self, compare.logical_or, other)

    def logical_xor_(self, other: Any) -> Tensor:
        return inplace.apply(self, compare.logical_xor, other)

    def bitwise_and_(self, other: Any) -> Tensor:
        return inplace.binary_(self, compare.bitwise_and, other)

    def bitwise_or_(self, other: Any) -> Tensor:
        return inplace.binary_(self, compare.bitwise_or, other)

    def bitwise_xor_(self, other: Any) -> Tensor:
        return inplace.binary_(self, compare.bitwise_xor, other)

    def bitwise_left_shift_(self, other: Any) -> Tensor:
        return inplace.binary_(self, compare.bitwise_left_shift, other)

    def bitwise_right_shift_(self, other: Any) -> Tensor:
        return inplace.binary_(self, compare.bitwise_right_shift, other)

    def tril_(self, diagonal: builtins.int = 0) -> Tensor:
        diagonal = arguments.integer(diagonal, "tril_", "diagonal")  # named as PyTorch's method
        return inplace.apply(self, lambda old: linalg.tril(old, diagonal))

    def triu_(self, diagonal: builtins.int = 0) -> Tensor:
        diagonal = arguments.integer(diagonal, "triu_", "diagonal")
        return inplace.apply(self, lambda old: linalg.triu(old, diagonal))

    def cumsum_(self, dim: builtins.int, *, dtype: Any = None) -> Tensor:
        dim = arguments.integer(dim, "cumsum_", "dim")  # named as PyTorch's method
        dtype = self.dtype if dtype is None else dtype  # computed in self's dtype, as PyTorch's
        return inplace.apply(
            self, lambda old: inplace.same_dtype(reduce.cumsum(old, dim, dtype=dtype), old)
        )

    def cumprod_(self, dim: builtins.int, *, dtype: Any = None) -> Tensor:
        dim = arguments.integer(dim, "cumprod_", "dim")
        dtype = self.dtype if dtype is None else dtype  # computed in self's dtype, as PyTorch's
        return inplace.apply(
            self, lambda old: inplace.same_dtype(scans.cumprod(old, dim, dtype=dtype), old)
        )

    def lerp(self, end: Tensor, weight: Any) -> Tensor:
        return combinations.lerp(self, end, weight)

    def addcmul(self, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:
        return combinations.addcmul(self, tensor1, tensor2, value=value)

    def addcdiv(self, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:
        return combinations.addcdiv(self, tensor1, tensor2, value=value)

    def lerp_(self, end: Tensor, weight: Any) -> Tensor:
        return inplace.apply(self, combinations.lerp, end, weight)

    def addcmul_(self, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:
        return inplace.apply(
            self, lambda old, a, b: combinations.addcmul(old, a, b, value=value), tensor1, tensor2
        )

    def addcdiv_(self, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:
        return inplace.apply(
            self, lambda old, a, b: combinations.addcdiv(old, a, b, value=value), tensor1, tensor2
        )

    def addmm(self, mat1: Tensor, mat2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        return linalg.addmm(self, mat1, mat2, beta=beta, alpha=alpha)

    def addmv(self, mat: Tensor, vec: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        return linalg.addmv(self, mat, vec, beta=beta, alpha=alpha)

    def addr(self, vec1: Tensor, vec2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        return linalg.addr(self, vec1, vec2, beta=beta, alpha=alpha)

    def baddbmm(self, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        return linalg.baddbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def addbmm(self, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        return linalg.addbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def addmm_(self, mat1: Tensor, mat2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        return self._add_product_(linalg.addmm, mat1, mat2, beta, alpha)

    def addmv_(self, mat: Tensor, vec: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        return self._add_product_(linalg.addmv, mat, vec, beta, alpha)

    def addr_(self, vec1: Tensor, vec2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        return self._add_product_(linalg.addr, vec1, vec2, beta, alpha)

    def baddbmm_(self, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        return self._add_product_(linalg.baddbmm, batch1, batch2, beta, alpha)

    def addbmm_(self, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        return self._add_product_(linalg.addbmm, batch1, batch2, beta, alpha)

    def cumprod(self, dim: builtins.int, *, dtype: Any = None) -> Tensor:
        return scans.cumprod(self, arguments.integer(dim, "cumprod", "dim"), dtype=dtype)

    def cummax(self, dim: builtins.int) -> Any:
        return scans.cummax(self, arguments.integer(dim, "cummax", "dim"))

    def cummin(self, dim: builtins.int) -> Any:
        return scans.cummin(self, arguments.integer(dim, "cummin", "dim"))

    def logcumsumexp(self, dim: builtins.int) -> Tensor:
        return scans.logcumsumexp(self, arguments.integer(dim, "logcumsumexp", "dim"))

    def diff(
        self,
        n: builtins.int = 1,
        dim: builtins.int = -1,
        prepend: Tensor | None = None,
        append: Tensor | None = None,
    ) -> Tensor:
        n, dim = arguments.integer(n, "diff", "n"), arguments.integer(dim, "diff", "dim", 2)
        return scans.diff(self, n, dim, prepend, append)

    def nansum(
        self, dim: Any = None, keepdim: builtins.bool = False, *, dtype: Any = None
    ) -> Tensor:
        return statistics.nansum(self, dim, keepdim, dtype=dtype)

    def nanmean(
        self, dim: Any = None, keepdim: builtins.bool = False, *, dtype: Any = None
    ) -> Tensor:
        return statistics.nanmean(self, dim, keepdim, dtype=dtype)

    def count_nonzero(self, dim: Any = None) -> Tensor:
        return statistics.count_nonzero(self, dim)

    def xlogy(self, other: Any) -> Tensor:
        return pointwise.xlogy(self, other)

    def logit(self, eps: builtins.float | None = None) -> Tensor:
        return pointwise.logit(self, eps)

    def sinc(self) -> Tensor:
        return pointwise.sinc(self)

    def deg2rad(self) -> Tensor:
        return pointwise.deg2rad(self)

    def rad2deg(self) -> Tensor:
        return pointwise.rad2deg(self)

    def signbit(self) -> Tensor:
        return pointwise.signbit(self)

    def heaviside(self, values: Tensor) -> Tensor:
        return pointwise.heaviside(self, values)

    def fmax(self, other: Tensor) -> Tensor:
        return pointwise.fmax(self, other)

    def fmin(self, other: Tensor) -> Tensor:
        return pointwise.fmin(self, other)

    def float_power(self, exponent: Any) -> Tensor:
        return pointwise.float_power(self, exponent)

    def nan_to_num(
        self,
        nan: builtins.float = 0.0,
        posinf: builtins.float | None = None,
        neginf: builtins.float | None = None,
    ) -> Tensor:
        return pointwise.nan_to_num(self, nan, posinf, neginf)

    def nan_to_num_(
        self,
        nan: builtins.float = 0.0,
        posinf: builtins.float | None = None,
        neginf: builtins.float | None = None,
    ) -> Tensor:
        return inplace.apply(self, pointwise.nan_to_num, nan, posinf, neginf)

    def xlogy_(self, other: Any) -> Tensor:
        return inplace.apply(self, pointwise.xlogy, other)

    def logit_(self, eps: builtins.float | None = None) -> Tensor:
        return inplace.apply(self, lambda old: pointwise.logit(old, eps))

    def sgn_(self) -> Tensor:
        return inplace.apply(self, elementwise.sign)

    def deg2rad_(self) -> Tensor:
        return inplace.apply(self, pointwise.deg2rad)

    def rad2deg_(self) -> Tensor:
        return inplace.apply(self, pointwise.rad2deg)

    def digamma(self) -> Tensor:
        return special_ops.digamma(self)

    def lgamma(self) -> Tensor:
        return special_ops.lgamma(self)

    def erfinv(self) -> Tensor:
        return special_ops.erfinv(self)

    def polygamma(self, n: builtins.int) -> Tensor:
        return special_ops.polygamma(n, self)

    def digamma_(self) -> Tensor:
        return inplace.apply(self, special_ops.digamma)

    def polygamma_(self, n: builtins.int) -> Tensor:
        n = arguments.integer(n, "polygamma_", "n")  # named as PyTorch's method
        return inplace.apply(self, lambda old: special_ops.polygamma(n, old))

    def lgamma_(self) -> Tensor:
        return inplace.apply(self, special_ops.lgamma)

    def erfc_(self) -> Tensor:
        return inplace.apply(self, special_ops.erfc)

    def erfinv_(self) -> Tensor:
        return inplace.apply(self, special_ops.erfinv)

    def cross(self, other: Tensor, dim: builtins.int | None = None) -> Tensor:
        return linalg.cross(self, other, dim)

    def inner(self, other: Tensor) -> Tensor:
        return linalg.inner(self, other)

    def kron(self, other: Tensor) -> Tensor:
        return linalg.kron(self, other)

    def vdot(self, other: Tensor) -> Tensor:
        return linalg.vdot(self, other)

    def cov(
        self,
        *,
        correction: builtins.int = 1,
        fweights: Tensor | None = None,
        aweights: Tensor | None = None,
    ) -> Tensor:
        return statistics.cov(self, correction=correction, fweights=fweights, aweights=aweights)

    def corrcoef(self) -> Tensor:
        return statistics.corrcoef(self)

    def median(self, dim: Any = arguments.OMITTED, keepdim: Any = arguments.OMITTED) -> Any:
        return statistics.median_at(self, dim, keepdim, "median", 1)

    def nanmedian(self, dim: Any = arguments.OMITTED, keepdim: Any = arguments.OMITTED) -> Any:
        return statistics.median_at(self, dim, keepdim, "nanmedian", 1)

    def kthvalue(
        self, k: builtins.int, dim: builtins.int = -1, keepdim: builtins.bool = False
    ) -> Any:
        # checked here, where PyTorch's method counts positions from 1 (the function's from 2)
        k, dim = arguments.integer(k, "kthvalue", "k"), arguments.integer(dim, "kthvalue", "dim", 2)
        keepdim = arguments.boolean(keepdim, "kthvalue", "keepdim", 3)
        return statistics.kthvalue(self, k, dim, keepdim)

    def bincount(self, weights: Tensor | None = None, minlength: builtins.int = 0) -> Tensor:
        return searching.bincount(self, weights, minlength)

    def histc(
        self,
        bins: builtins.int = 100,
        min: builtins.float = 0,  # noqa: A002
        max: builtins.float = 0,  # noqa: A002
    ) -> Tensor:
        return searching.histc(self, bins, min, max)

    def unique(
        self,
        sorted: builtins.bool = True,  # noqa: A002
        return_inverse: builtins.bool = False,
        return_counts: builtins.bool = False,
        dim: builtins.int | None = None,
    ) -> Any:
        return sets.unique(self, sorted, return_inverse, return_counts, dim)

    def unique_consecutive(
        self,
        return_inverse: builtins.bool = False,
        return_counts: builtins.bool = False,
        dim: builtins.int | None = None,
    ) -> Any:
        return sets.unique_consecutive(self, return_inverse, return_counts, dim)

    def argwhere(self) -> Tensor:
        return sets.argwhere(self)

    def mode(self, dim: builtins.int = -1, keepdim: builtins.bool = False) -> Any:
        dim = arguments.integer(dim, "mode", "dim")  # at the method's positions
        arguments.boolean(keepdim, "mode", "keepdim", 2)
        return sets.mode(self, dim, keepdim)

    def aminmax(self, *, dim: builtins.int | None = None, keepdim: builtins.bool = False) -> Any:
        return sets.aminmax(self, dim=dim, keepdim=keepdim)

    def ldexp(self, other: Tensor) -> Tensor:
        return more_math.ldexp(self, other)

    def ldexp_(self, other: Tensor) -> Tensor:
        return inplace.apply(self, more_math.ldexp, other)

    def frexp(self) -> Any:
        return more_math.frexp(self)

    def renorm(self, p: builtins.float, dim: builtins.int, maxnorm: builtins.float) -> Tensor:
        return more_math.renorm(self, p, dim, maxnorm)

    def renorm_(self, p: builtins.float, dim: builtins.int, maxnorm: builtins.float) -> Tensor:
        return inplace.apply(self, lambda old: more_math.renorm(old, p, dim, maxnorm))

    def quantile(
        self,
        q: Any,
        dim: builtins.int | None = None,
        keepdim: builtins.bool = False,
        *,
        interpolation: str = "linear",
    ) -> Tensor:
        return statistics.quantile(self, q, dim, keepdim, interpolation=interpolation)

    def nanquantile(
        self,
        q: Any,
        dim: builtins.int | None = None,
        keepdim: builtins.bool = False,
        *,
        interpolation: str = "linear",
    ) -> Tensor:
        return statistics.nanquantile(self, q, dim, keepdim, interpolation=interpolation)

    def _add_product_(
        self, op: Callable[..., Tensor], a: Tensor, b: Tensor, beta: Any, alpha: Any
    ) -> Tensor:
        """``self = op(self, a, b, beta=beta, alpha=alpha)`` in place (``addmm_`` ...)."""
        return inplace.apply(self, lambda old, x, y: op(old, x, y, beta=beta, alpha=alpha), a, b)

    # ----------------------------------------------------------------- PyTorch's other names
    # (see chainrule.ops.torch_names: aliases, and the identities of real tensors)
    def greater(self, other: Any) -> Tensor:
        return compare.gt(self, other)

    def greater_equal(self, other: Any) -> Tensor:
        return compare.ge(self, other)

    def less(self, other: Any) -> Tensor:
        return compare.lt(self, other)

    def less_equal(self, other: Any) -> Tensor:
        return compare.le(self, other)

    def not_equal(self, other: Any) -> Tensor:
        return compare.ne(self, other)

    def greater_(self, other: Any) -> Tensor:
        return self.gt_(other)

    def greater_equal_(self, other: Any) -> Tensor:
        return self.ge_(other)

    def less_(self, other: Any) -> Tensor:
        return self.lt_(other)

    def less_equal_(self, other: Any) -> Tensor:
        return self.le_(other)

    def not_equal_(self, other: Any) -> Tensor:
        return self.ne_(other)

    def det(self) -> Tensor:
        return torch_names.det(self)

    def logdet(self) -> Tensor:
        return torch_names.logdet(self)

    def slogdet(self) -> Any:
        return torch_names.slogdet(self)

    def inverse(self) -> Tensor:
        return torch_names.inverse(self)

    def pinverse(self, rcond: builtins.float = 1e-15) -> Tensor:
        return torch_names.pinverse(self, rcond)

    def matrix_power(self, n: builtins.int) -> Tensor:
        return torch_names.matrix_power(self, n)

    # ---- linear algebra (more): PyTorch's methods for chainrule.ops.linalg_more's functions
    def cholesky(self, upper: builtins.bool = False) -> Tensor:
        return linalg_more.cholesky(self, upper)

    def cholesky_solve(self, input2: Tensor, upper: builtins.bool = False) -> Tensor:
        return linalg_more.cholesky_solve(self, input2, upper)

    def cholesky_inverse(self, upper: builtins.bool = False) -> Tensor:
        return linalg_more.cholesky_inverse(self, upper)

    def triangular_solve(
        self,
        A: Tensor,  # noqa: N803
        upper: builtins.bool = True,
        transpose: builtins.bool = False,
        unitriangular: builtins.bool = False,
    ) -> Any:
        return linalg_more.triangular_solve(self, A, upper, transpose, unitriangular)

    def lu(self, pivot: builtins.bool = True, get_infos: builtins.bool = False) -> Any:
        return linalg_more.lu_legacy(self, pivot, get_infos)

    def lu_solve(self, LU_data: Tensor, LU_pivots: Tensor) -> Tensor:  # noqa: N803
        return linalg_more.lu_solve_legacy(self, LU_data, LU_pivots)

    def qr(self, some: builtins.bool = True) -> Any:
        return linalg_more.qr(self, some)

    def svd(self, some: builtins.bool = True, compute_uv: builtins.bool = True) -> Any:
        return linalg_more.svd(self, some, compute_uv)

    def matrix_exp(self) -> Tensor:
        return linalg_more.matrix_exp(self)

    def geqrf(self) -> Any:
        return linalg_more.geqrf(self)

    def orgqr(self, input2: Tensor) -> Tensor:
        return linalg_more.householder_product(self, input2)

    def ormqr(
        self,
        input2: Tensor,
        input3: Tensor,
        left: builtins.bool = True,
        transpose: builtins.bool = False,
    ) -> Tensor:
        return linalg_more.ormqr(self, input2, input3, left, transpose)

    def histogram(
        self,
        bins: Any = 100,
        *,
        range: Any = None,
        weight: Any = None,
        density: builtins.bool = False,
    ) -> Any:
        return histograms.histogram(self, bins, range=range, weight=weight, density=density)

    def lstsq(self, A: Tensor) -> Any:  # noqa: N803 - removed from PyTorch: its error
        return linalg_more.lstsq_removed(self, A)

    def eig(self, eigenvectors: builtins.bool = False) -> Any:  # removed: PyTorch's error
        return linalg_more.eig_removed(self, eigenvectors)

    def symeig(self, eigenvectors: builtins.bool = False) -> Any:  # removed: PyTorch's error
        return linalg_more.symeig_removed(self, eigenvectors)

    # ---- end linear algebra (more)

    def diagflat(self, offset: builtins.int = 0) -> Tensor:
        return torch_names.diagflat(self, offset)

    def dist(self, other: Tensor, p: builtins.float = 2) -> Tensor:
        return torch_names.dist(self, other, p)

    def adjoint(self) -> Tensor:
        return torch_names.adjoint(self)

    @property
    def mH(self) -> Tensor:  # noqa: N802 - PyTorch's name
        if self.ndim < 2:
            return self._matrix_transpose_of_fewer_dims("mH", "Consider using x.conj().")
        return torch_names.adjoint(self)

    @property
    def H(self) -> Tensor:  # noqa: N802 - PyTorch's name
        if self.ndim > 2:
            raise RuntimeError(
                f"tensor.H is only supported on matrices (2-D tensors). Got {self.ndim}-D tensor."
                " For batches of matrices, consider using tensor.mH"
            )
        if self.ndim < 2:
            return self._matrix_transpose_of_fewer_dims("H", "Consider using x.conj().")
        return self.T

    def conj(self) -> Tensor:
        return self

    def resolve_conj(self) -> Tensor:
        return self

    def resolve_neg(self) -> Tensor:
        return self

    def is_conj(self) -> builtins.bool:
        return False

    def is_neg(self) -> builtins.bool:
        return False

    @property
    def real(self) -> Tensor:
        return self

    @property
    def imag(self) -> Tensor:
        return torch_names.imag(self)

    def isreal(self) -> Tensor:
        return torch_names.isreal(self)

    def positive(self) -> Tensor:
        return torch_names.positive(self)

    def is_nonzero(self) -> builtins.bool:
        return torch_names.is_nonzero(self)

    def is_same_size(self, other: Tensor) -> builtins.bool:
        return torch_names.is_same_size(self, other)

    def sum_to_size(self, *size: Any) -> Tensor:
        return torch_names.sum_to_size(self, *size)

    def split_with_sizes(self, split_sizes: Any, dim: builtins.int = 0) -> tuple[Tensor, ...]:
        return torch_names.split_with_sizes(self, split_sizes, dim)

    def mvlgamma(self, p: builtins.int) -> Tensor:
        return special_ops.multigammaln(self, p)

    # torch.special's functions that torch also has as methods
    def mvlgamma_(self, p: builtins.int) -> Tensor:
        return inplace.apply(self, lambda old: special_ops.multigammaln(old, p))

    def i0(self) -> Tensor:
        return special_ops.i0(self)

    def i0_(self) -> Tensor:
        return inplace.apply(self, special_ops.i0)

    def igamma(self, other: Tensor) -> Tensor:
        return special_ops.igamma(self, other)

    def igamma_(self, other: Tensor) -> Tensor:
        return inplace.apply(self, special_ops.igamma, other)

    def igammac(self, other: Tensor) -> Tensor:
        return special_ops.igammac(self, other)

    def igammac_(self, other: Tensor) -> Tensor:
        return inplace.apply(self, special_ops.igammac, other)

    def gcd(self, other: Tensor) -> Tensor:
        return special_ops.gcd(self, other)

    def gcd_(self, other: Tensor) -> Tensor:
        return inplace.apply(self, special_ops.gcd, other)

    def lcm(self, other: Tensor) -> Tensor:
        return special_ops.lcm(self, other)

    def lcm_(self, other: Tensor) -> Tensor:
        return inplace.apply(self, special_ops.lcm, other)

    def nextafter(self, other: Tensor) -> Tensor:
        return special_ops.nextafter(self, other)

    def nextafter_(self, other: Tensor) -> Tensor:
        return inplace.apply(self, special_ops.nextafter, other)

    def unfold(self, dimension: builtins.int, size: builtins.int, step: builtins.int) -> Tensor:
        return shape_more.unfold(self, dimension, size, step)

    def narrow_copy(self, dim: builtins.int, start: builtins.int, length: builtins.int) -> Tensor:
        return torch_names.narrow_copy(self, dim, start, length)

    def byte(self, memory_format: Any = memory_formats.preserve_format) -> Tensor:
        return self._converted(dtypes.uint8, memory_format, "byte")

    def char(self, memory_format: Any = memory_formats.preserve_format) -> Tensor:
        return self._converted(dtypes.int8, memory_format, "char")

    def short(self, memory_format: Any = memory_formats.preserve_format) -> Tensor:
        return self._converted(dtypes.int16, memory_format, "short")

    def ndimension(self) -> builtins.int:
        return self.ndim

    def is_signed(self) -> builtins.bool:
        return self.dtype.is_signed

    @property
    def is_cpu(self) -> builtins.bool:
        return True  # chainrule's tensors live in NumPy's memory

    def get_device(self) -> builtins.int:
        return -1  # PyTorch's number for the CPU

    # ----------------------------------------------------------------- in-place views
    # The view methods in place: the same tensor object and memory, new sizes and strides.
    def t_(self) -> Tensor:
        return inplace.t_(self)

    def transpose_(self, dim0: builtins.int, dim1: builtins.int) -> Tensor:
        return inplace.transpose_(self, dim0, dim1)

    def swapdims_(self, dim0: builtins.int, dim1: builtins.int) -> Tensor:
        return inplace.transpose_(self, dim0, dim1, "swapdims_")

    def swapaxes_(self, axis0: builtins.int, axis1: builtins.int) -> Tensor:
        return inplace.swapaxes_(self, axis0, axis1)

    def squeeze_(self, dim: Any = arguments.OMITTED) -> Tensor:
        return inplace.squeeze_(self, dim)

    def unsqueeze_(self, dim: builtins.int) -> Tensor:
        return inplace.unsqueeze_(self, dim)

    def as_strided(
        self,
        size: Sequence[builtins.int],
        stride: Sequence[builtins.int],
        storage_offset: builtins.int | None = None,
    ) -> Tensor:
        return strided.as_strided(self, size, stride, storage_offset)

    def as_strided_(
        self,
        size: Sequence[builtins.int],
        stride: Sequence[builtins.int],
        storage_offset: builtins.int | None = None,
    ) -> Tensor:
        return strided.as_strided_(self, size, stride, storage_offset)

    def new_empty_strided(
        self,
        size: Sequence[builtins.int],
        stride: Sequence[builtins.int],
        dtype: Any = None,
        device: Any = None,
        requires_grad: builtins.bool = False,
    ) -> Tensor:
        _device.check(device)
        return strided.new_empty_strided(self, size, stride, dtype, requires_grad)

    def unsafe_split(self, split_size: builtins.int, dim: builtins.int = 0) -> tuple[Tensor, ...]:
        return views.unsafe_split_at(self, split_size, dim, 1)

    def unsafe_split_with_sizes(
        self, split_sizes: Sequence[builtins.int], dim: builtins.int = 0
    ) -> tuple[Tensor, ...]:
        return views.unsafe_split_with_sizes(self, split_sizes, dim)

    def unsafe_chunk(self, chunks: builtins.int, dim: builtins.int = 0) -> tuple[Tensor, ...]:
        return views.unsafe_chunk(self, chunks, dim)

    def resize_(self, *sizes: Any) -> Tensor:
        return inplace.resize_(self, factories.size_argument(sizes, "resize_"))

    def resize_as_(self, tensor: Tensor) -> Tensor:
        return inplace.resize_(self, tuple(tensor.shape))

    def new(self, *args: Any, device: Any = None) -> Tensor:
        """PyTorch's legacy constructor with this tensor's dtype: ``x.new(2, 3)`` (zeros
        here), ``x.new([1, 2])``, ``x.new()`` (empty), ``x.new(t)`` (``t``'s memory, ``t``
        of this dtype)."""
        _device.check(device)
        if len(args) == 1 and isinstance(args[0], Tensor):
            if args[0]._data.dtype != self._data.dtype:  # PyTorch's words, C++ type names
                want, got = (
                    dtypes._TORCH_DTYPE_NAMES[t._data.dtype.name][0] for t in (self, *args)
                )
                rest = (
                    "device=cpu, layout=Strided, requires_grad=false (default), pinned_memory="
                    "false (default), memory_format=(nullopt))"
                )
                raise TypeError(
                    f"expected TensorOptions(dtype={want}, {rest} (got TensorOptions(dtype={got}, "
                    f"{rest})"
                )
            return _make(args[0]._data)
        array = _legacy_data(args)  # checks the arguments as Tensor(*args) does
        if len(args) == 1 and not isinstance(args[0], Size | builtins.int):  # values
            return factories.tensor(args[0], self.dtype)
        return _make(array.astype(self._data.dtype))

    @property
    def output_nr(self) -> builtins.int:
        """Which output of its ``grad_fn`` this tensor is (``split``'s pieces are numbered)."""
        return getattr(self.grad_fn, "output_nr", 0)

    # ---- more Tensor methods: PyTorch's further methods (chainrule.ops.tensor_more)
    def fill_diagonal_(self, fill_value: Any, wrap: builtins.bool = False) -> Tensor:
        return tensor_more.fill_diagonal_(self, fill_value, wrap)

    def angle(self) -> Tensor:
        return torch_toplevel.angle(self)

    def conj_physical(self) -> Tensor:
        return torch_toplevel.conj_physical(self)

    def conj_physical_(self) -> Tensor:
        return tensor_more.conj_physical_(self)

    def as_strided_scatter(
        self,
        src: Tensor,
        size: Sequence[builtins.int],
        stride: Sequence[builtins.int],
        storage_offset: builtins.int | None = None,
    ) -> Tensor:
        return torch_toplevel.as_strided_scatter(self, src, size, stride, storage_offset)

    def nonzero_static(self, *, size: builtins.int, fill_value: builtins.int = -1) -> Tensor:
        return torch_toplevel.nonzero_static(self, size=size, fill_value=fill_value)

    def hardshrink(self, lambd: builtins.float = 0.5) -> Tensor:
        return nn_functional.hardshrink(self, lambd)

    def prelu(self, weight: Tensor) -> Tensor:
        return nn_functional.prelu(self, weight)

    def ger(self, vec2: Tensor) -> Tensor:  # PyTorch's older name of outer
        return linalg.outer(self, vec2)

    def resize(self, *sizes: Any) -> Tensor:  # deprecated in PyTorch: its warning
        return tensor_more.resize(self, sizes)

    def resize_as(self, tensor: Tensor) -> Tensor:  # deprecated in PyTorch: its warning
        return tensor_more.resize(self, tuple(tensor.shape), "resize_as")

    def apply_(self, callable: Callable[[Any], Any]) -> Tensor:  # noqa: A002
        return tensor_more.apply_(self, callable)

    def map_(self, tensor: Tensor, callable: Callable[[Any, Any], Any]) -> Tensor:  # noqa: A002
        return tensor_more.map_(self, tensor, callable)

    def map2_(self, x: Tensor, y: Tensor, callable: Callable[..., Any] = None) -> Tensor:  # noqa: A002
        return tensor_more.map2_(self, x, y, callable)

    def untyped_storage(self) -> Any:
        return tensor_more.untyped_storage(self)

    def storage(self) -> Any:
        return tensor_more.storage(self)

    def storage_type(self) -> type:
        return tensor_more.storage_type(self)

    def is_set_to(self, tensor: Tensor) -> builtins.bool:
        return tensor_more.is_set_to(self, tensor)

    def set_(
        self,
        source: Any = None,
        storage_offset: builtins.int = 0,
        size: Sequence[builtins.int] | None = None,
        stride: Sequence[builtins.int] | None = None,
    ) -> Tensor:
        return tensor_more.set_(self, source, storage_offset, size, stride)

    def const_data_ptr(self) -> builtins.int:
        return self.data_ptr()

    def dim_order(self, *, ambiguity_check: Any = False) -> tuple[builtins.int, ...]:
        return tensor_more.dim_order(self, ambiguity_check)

    def share_memory_(self) -> Tensor:
        return tensor_more.share_memory_(self)

    def is_shared(self) -> builtins.bool:
        return tensor_more.is_shared(self)

    def pin_memory(self, device: Any = None) -> Tensor:
        return tensor_more.pin_memory(self, device)

    def is_pinned(self, device: Any = None) -> builtins.bool:
        return False

    def is_inference(self) -> builtins.bool:
        """Whether this is an inference tensor: made inside ``inference_mode()``, or a view of
        one (a view of a normal tensor taken there is normal), as PyTorch's."""
        return type(self._vc) is InferenceCounter

    def is_distributed(self) -> builtins.bool:
        return False

    def bfloat16(self, memory_format: Any = None) -> Tensor:
        return tensor_more.bfloat16(self)

    def to_dense(self, dtype: Any = None, *, masked_grad: builtins.bool = True) -> Tensor:
        return tensor_more.to_dense(self, dtype, masked_grad=masked_grad)

    def module_load(self, other: Tensor, assign: builtins.bool = False) -> Tensor:
        return tensor_more.module_load(self, other, assign)

    def as_subclass(self, cls: type) -> Tensor:
        return tensor_more.as_subclass(self, cls)

    def solve(self, A: Tensor) -> Any:  # noqa: N803 - removed from PyTorch: its error
        return tensor_more.solve(self, A)

    def cfloat(self, memory_format: Any = None) -> Tensor:
        return tensor_more.complex_cast(self, "cfloat", "complex64")

    def cdouble(self, memory_format: Any = None) -> Tensor:
        return tensor_more.complex_cast(self, "cdouble", "complex128")

    def chalf(self, memory_format: Any = None) -> Tensor:
        return tensor_more.complex_cast(self, "chalf", "complex64")  # complex32: not in NumPy

    def xpu(self, *args: Any, **kwargs: Any) -> Tensor:
        return tensor_more.xpu(self)

    def ipu(self, *args: Any, **kwargs: Any) -> Tensor:
        return tensor_more.ipu(self)

    def mtia(self, *args: Any, **kwargs: Any) -> Tensor:
        return tensor_more.mtia(self)

    def record_stream(self, stream: Any) -> None:
        return tensor_more.record_stream(self, stream)

    def reinforce(self, reward: Any) -> None:
        return tensor_more.reinforce(self, reward)

    @property
    def volatile(self) -> builtins.bool:
        return tensor_more.volatile(self)

    @property
    def grad_dtype(self) -> Any:
        return tensor_more.grad_dtype(self)

    @grad_dtype.setter
    def grad_dtype(self, value: Any) -> None:
        tensor_more.set_grad_dtype(self, value)

    @property
    def layout(self) -> Any:
        return tensor_more.strided_layout

    @property
    def name(self) -> None:
        return None  # PyTorch's tensors have no name unless a tracer gives one

    # Where a tensor lives and how it is stored: NumPy's memory, strided, always.
    is_cuda = is_meta = is_mps = is_xpu = is_ipu = is_maia = is_mtia = is_xla = property(
        lambda self: False
    )
    is_vulkan = is_sparse = is_sparse_csr = is_mkldnn = is_quantized = is_nested = property(
        lambda self: False
    )
    # ---- end more Tensor methods


class View:
    """How a view was taken (PyTorch's view metadata): its root ``base``, the view ``ops``
    applied to it with their input ``shapes``, and the base's version (``stamp``) when the
    view's history was last made to match the base's. ``creation`` is PyTorch's creation meta:
    ``"multi"`` for outputs of ``split``/``unbind`` and ``"no_grad"`` for views taken with
    recording off; both refuse a recorded in-place change. A view of such a view inherits it
    (``"no_grad_base"`` for the no_grad kind), as PyTorch's does. ``of`` is ``(name, output
    index)``, None for a view named by its own op (output 0).

    ``dual`` is PyTorch's forward view, where it differs from the backward one: a result of
    ``make_dual`` is a view of its primal whose tangent is its own, so it starts the forward
    chain of the views taken from it. ``(None, k)`` marks the dual itself, ``(d, k)`` a view of
    the dual ``d``, whose ops from ``d`` on are ``ops[k:]``; None where no dual is in the chain.
    """

    __slots__ = ("base", "ops", "shapes", "stamp", "creation", "of", "dual")

    def __init__(self, x: Tensor, op: Any) -> None:
        parent = x._view
        if parent is None:
            self.base, self.ops, self.shapes = x, (op,), (x._data.shape,)
        else:
            self.base = parent.base
            self.ops = parent.ops + (op,)
            self.shapes = parent.shapes + (x._data.shape,)
        self.stamp = x._vc[0]
        inherited = None if parent is None else parent.creation
        if inherited == "no_grad":  # (taken inside inference_mode: worded so, see InferenceView)
            inherited = INFERENCE_VIEW_BASE if type(inherited) is InferenceView else "no_grad_base"
        self.creation = inherited
        self.of: tuple[str, builtins.int] | None = None
        dual = None if parent is None else parent.dual
        if dual is not None and dual[0] is None:  # x is a dual: the chain starts at x
            dual = (x, dual[1])
        self.dual: tuple[Tensor | None, builtins.int] | None = dual

    def forward_chain(self) -> tuple[Tensor, tuple[Any, ...]] | None:
        """The tensor whose tangent this view's tangent is a part of, and the view ops from
        it: the base and all ops, or past a ``make_dual``, the dual and the ops after it.
        None for a dual itself: no other tensor's tangent holds its tangent."""
        if self.dual is None:
            return self.base, self.ops
        dual, start = self.dual
        if dual is None:
            return None
        if start < 0:  # its ops were made one as_strided of the base (see views.current)
            raise NotImplementedError(
                "forward mode: a view of a dual whose base changed its sizes in place "
                "(t_, squeeze_) cannot take its tangent from the dual; compute out of place"
            )
        return dual, self.ops[start:]


def watch(view: Tensor) -> None:
    """Note ``view``, a view of a tensor that does not require grad, on the version counter it
    shares with its base: should the base gain history through an in-place change, the view
    comes to require grad too (see :func:`spread_requires_grad`)."""
    vc = view._vc
    if len(vc) == 1:
        vc.append([])
    watched = vc[1]
    if len(watched) >= 64 and not len(watched) & (len(watched) - 1):
        watched[:] = [ref for ref in watched if ref() is not None]  # drop dead views now and then
    watched.append(weakref.ref(view))


def spread_requires_grad(t: Tensor) -> None:
    """``t``'s memory gained history (an in-place change was recorded): every view of it noted by
    :func:`watch` requires grad now, as PyTorch's ``requires_grad`` of a view follows its base's.
    The views' own history comes when they are next used (their stamp is behind). Views of
    another tensor on the same counter (a ``detach()`` of ``t``, which shares it) follow their
    own base, which gained nothing: they stay noted."""
    vc = t._vc
    if len(vc) > 1:
        others = []
        for ref in vc.pop():
            view = ref()
            if view is None:
                continue
            if view._view.base is t:
                view.requires_grad = True
            else:
                others.append(ref)
        if others:
            vc.append(others)


def move_retained_grad(t: Tensor, old: Any) -> None:
    """``t`` has a new node ``t._grad_fn`` in place of ``old`` (an in-place change of ``t`` or
    of its base): its ``retain_grad`` moves along, as PyTorch's follows the tensor, so that
    ``.grad`` is the gradient of its new value. Its other hooks stay with the old node."""
    hooks = old._hooks if old is not None else None
    moved = [h for h in hooks or () if isinstance(h, _RetainGrad) and h.tensor() is t]
    if moved:
        for hook in moved:
            hooks.remove(hook)
        t._hook_list(create=True).extend(moved)


class _RetainGrad:
    """The hook behind ``retain_grad()``: stores the gradient on the (weakly held) tensor,
    after the tensor's other hooks have run (``runs_last``), as PyTorch's."""

    runs_last = True

    def __init__(self, tensor: Tensor) -> None:
        self.tensor = weakref.ref(tensor)

    def __call__(self, grad: Any) -> None:
        tensor = self.tensor()
        if tensor is None:
            return
        current = tensor._grad
        # As PyTorch's: under create_graph .grad keeps its graph, and one that has a graph
        # is replaced by the sum, not added to in place
        if grad.requires_grad or (current is not None and current.requires_grad):
            tensor._grad = grad.clone() if current is None else current + grad
        else:
            backward_module.accumulate_into(tensor, grad)


_new = object.__new__
_public_dtypes = dtypes._PUBLIC
_ZERO = (0,)  # an inference tensor's first version (see InferenceCounter)


def _legacy_data(data: tuple[Any, ...]) -> Any:
    """The array ``Tensor(*data)`` wraps (see ``Tensor.__init__``)."""
    if len(data) == 1 and isinstance(data[0], Tensor):
        return data[0]._data
    sizes = data[0] if len(data) == 1 and isinstance(data[0], Size) else data or (0,)
    if builtins.all(
        isinstance(n, builtins.int) and not isinstance(n, builtins.bool) for n in sizes
    ):
        return xp.zeros(sizes, dtypes.default_float)
    if len(data) != 1 or not isinstance(data[0], Sequence | _ndarray):
        raise TypeError(f"new(): data must be a sequence (got {type(data[0]).__name__})")
    return factories.tensor(data[0], dtypes.default_float)._data


def set_requires_grad(t: Tensor, requires_grad: builtins.bool) -> Tensor:
    """``t.requires_grad_(requires_grad)`` as a factory's ``requires_grad=`` sets it, which
    PyTorch allows inside a transform's ``f`` too: PyTorch's checks of a leaf and a dtype."""
    if not t.is_leaf:
        if requires_grad:  # a non-leaf already requires grad: nothing to change
            return t
        raise RuntimeError(
            "you can only change requires_grad flags of leaf variables. If you want to use "
            "a computed variable in a subgraph that doesn't require differentiation use "
            "var_no_grad = var.detach()."
        )
    if requires_grad and not dtypes.is_floating(t._data.dtype):
        raise RuntimeError("only Tensors of floating point dtype can require gradients")
    if requires_grad and type(t._vc) is InferenceCounter and not grad_mode.modes.inference:
        raise RuntimeError(REQUIRES_GRAD_INFERENCE)
    t.requires_grad = requires_grad
    return t


def _make(data: Any, requires_grad: builtins.bool = False, grad_fn: Any = None) -> Tensor:
    """The fast internal constructor: wrap an array without checks or copies."""
    t = _new(Tensor)
    t._data = data
    t.requires_grad = requires_grad
    t._grad = None
    t._grad_fn = grad_fn
    # Made inside inference_mode(): an inference tensor (see InferenceCounter). The thread is
    # asked only once some thread has entered it (the usual op pays one global's read).
    t._vc = vc = (
        InferenceCounter(_ZERO) if grad_mode.inference_seen and grad_mode.modes.inference else [0]
    )
    t._view = None
    t._hooks = None
    if _vmap_anywhere and (births := _here.births):  # made under this thread's vmap
        births[-1][id(vc)] = vc
    return t


# The op modules, the factories and the backward pass import Tensor, so this core module does
# not import them at the top: the methods above reach them through these names, bound on first
# use (see chainrule._lazy).
factories = import_later(globals(), "chainrule.factories")
func = import_later(globals(), "chainrule.func")
backward_module = import_later(globals(), "chainrule.autodiff.backward")
batching = import_later(globals(), "chainrule.autodiff.batching")
compare = import_later(globals(), "chainrule.ops.compare")
elementwise = import_later(globals(), "chainrule.ops.elementwise")
indexing = import_later(globals(), "chainrule.ops.indexing")
inplace = import_later(globals(), "chainrule.ops.inplace")
linalg = import_later(globals(), "chainrule.ops.linalg")
linalg_more = import_later(globals(), "chainrule.ops.linalg_more")
histograms = import_later(globals(), "chainrule.ops.histograms")
nn_ops = import_later(globals(), "chainrule.ops.nn_ops")
reduce = import_later(globals(), "chainrule.ops.reduce")
shape = import_later(globals(), "chainrule.ops.shape")
shape_more = import_later(globals(), "chainrule.ops.shape_more")
views = import_later(globals(), "chainrule.ops.views")
strided = import_later(globals(), "chainrule.ops.strided")
combinations = import_later(globals(), "chainrule.ops.combinations")
scans = import_later(globals(), "chainrule.ops.scans")
pointwise = import_later(globals(), "chainrule.ops.pointwise")
statistics = import_later(globals(), "chainrule.ops.statistics")
special_ops = import_later(globals(), "chainrule.ops.special_ops")
searching = import_later(globals(), "chainrule.ops.searching")
sets = import_later(globals(), "chainrule.ops.sets")
torch_names = import_later(globals(), "chainrule.ops.torch_names")
more_math = import_later(globals(), "chainrule.ops.more_math")
index_writes = import_later(globals(), "chainrule.ops.index_writes")
tensor_more = import_later(globals(), "chainrule.ops.tensor_more")
torch_toplevel = import_later(globals(), "chainrule.ops.torch_toplevel")
nn_functional = import_later(globals(), "chainrule.nn.functional")
settings = import_later(globals(), "chainrule.settings")
