"""PyTorch's further Tensor methods: ``fill_diagonal_``, the deprecated ``resize``, Python
callables over elements (``apply_``, ``map_``, ``map2_``), storages and ``set_``, ``dim_order``,
the layout and device flags, and the refusals PyTorch gives for what it removed.

    >>> import chainrule as cr
    >>> cr.zeros(3, 3).fill_diagonal_(2.0)
    tensor([[2., 0., 0.],
            [0., 2., 0.],
            [0., 0., 2.]])
    >>> x = cr.arange(6.0)
    >>> x[2:].untyped_storage().data_ptr() == x.untyped_storage().data_ptr()
    True
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from chainrule import arguments, dtypes, grad_mode, memory_formats
from chainrule import devices as _device
from chainrule._array import xp
from chainrule._tensor_input import tensor_argument
from chainrule.autodiff import batching
from chainrule.op import named
from chainrule.ops import elementwise, inplace, shape, strided
from chainrule.tensor import Tensor, _make

F = TypeVar("F", bound=Callable[..., Any])


class layout:  # noqa: N801 - PyTorch's name
    """How a tensor's elements lie in memory: chainrule's tensors are all ``strided``."""

    __module__ = "chainrule"  # shown as PyTorch shows ``torch.layout``

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"chainrule.{self.name}"

    def __reduce__(self) -> str:
        return self.name  # pickled as the module attribute, so it stays the one object


strided_layout = layout("strided")


def takes_layout(factory: F, *, layouts: bool = True) -> F:
    """``factory`` with the keywords PyTorch's factories take for memory chainrule does not
    have: ``layout`` (with ``layouts``), which may be ``strided`` or None, chainrule's tensors
    being dense; and ``pin_memory``, whose True is refused as PyTorch refuses it on a machine
    without an accelerator.

    >>> import chainrule as cr
    >>> cr.zeros(2, layout=cr.strided, pin_memory=False)
    tensor([0., 0.])
    """
    name = factory.__name__

    @functools.wraps(factory)
    def with_layout(*args: Any, pin_memory: Any = None, **kwargs: Any) -> Any:
        if layouts:
            given = kwargs.pop("layout", None)
            if given is not None and not isinstance(given, layout):
                raise arguments.mistyped(name, "layout", None, "torch.layout", given)
        if pin_memory:
            raise RuntimeError(
                "pin_memory=True requires a CUDA or other accelerator backend; no pinned memory "
                "allocator is available on this system."
            )
        return factory(*args, **kwargs)

    return with_layout  # type: ignore[return-value]


# ----------------------------------------------------------------- fill_diagonal_
def fill_diagonal_(t: Tensor, fill_value: Any, wrap: bool = False) -> Tensor:
    """The main diagonal of ``t`` (2-D, or all sizes equal) set to ``fill_value``, as
    PyTorch's kernel does it: the elements at offsets ``k * sum(strides)`` from ``t``'s start,
    and with ``wrap`` on a matrix taller than wide plus one, the same again from row
    ``width + 1`` on (through memory: rows wrap as in a contiguous matrix).

    >>> import chainrule as cr
    >>> cr.zeros(5, 2).fill_diagonal_(1, wrap=True)
    tensor([[1., 0.],
            [0., 1.],
            [0., 0.],
            [1., 0.],
            [0., 1.]])
    """
    if isinstance(fill_value, Tensor):
        if fill_value.requires_grad:  # PyTorch reads it as a number, which has no gradient
            raise TypeError(
                "fill_diagonal_(): argument 'fill_value' (position 1) must be Number, not Tensor"
            )
        fill_value = fill_value.item()
    if type(wrap) is not bool:  # 1 was read as True
        arguments.boolean(wrap, "fill_diagonal_", "wrap", None)
    if t.ndim < 2:
        raise RuntimeError("dimensions must larger than 1")
    # Under vmap, each example's strides, counted from its own start: the places, and so the
    # mask, are the same in every example
    physical, levels = batching.unwrap(t)
    sizes, steps = t.shape, tuple(physical.stride())[len(levels) :]
    if t.ndim > 2 and len(set(sizes)) > 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    height, width = sizes[0], sizes[1]
    step, start = sum(steps), 0 if levels else t.storage_offset()
    targets = [start + k * step for k in range(min(height, width))]
    wraps = wrap and t.ndim == 2 and height > width + 1
    if wraps:
        extra = -(-t.numel() // (width + 1)) - min(height, width)
        first = start + steps[0] * (width + 1)
        targets += [first + k * step for k in range(extra)]
    where = strided.positions(sizes, steps, start)
    mask = _make(xp.isin(where, xp.asarray(targets, dtype=xp.int64)))
    dtype = physical._data.dtype
    value = _make(xp.asarray(dtypes.checked_scalar(fill_value, dtype), dtype))
    if grad_mode.modes.enabled and physical.requires_grad and physical.is_leaf:
        # PyTorch fills through a view of t (as_strided): its words for the view's base.
        raise RuntimeError(
            "a view of a leaf Variable that requires grad is being used in an in-place operation."
        )
    # PyTorch writes through a view of t: its node is CopySlices.
    fill = lambda old: named(elementwise.where(mask, value, old), "CopySlices")  # noqa: E731
    inplace.apply(t, fill, name="fill_diagonal_")
    if wraps:
        t._vc[0] += 1  # PyTorch's two fills (the diagonal, then its wrap) each bump it
    return t


def conj_physical_(t: Tensor) -> Tensor:
    """``t`` conjugated in place: the values of a real tensor stay, but PyTorch counts the
    write (the version, its ``ConjPhysicalBackward1`` node, its refusal on a leaf)."""
    return inplace.apply(t, lambda old: named(elementwise.clone(old), "ConjPhysicalBackward1"))


# ----------------------------------------------------------------- resize (deprecated)
def resize(t: Tensor, sizes: tuple[Any, ...], name: str = "resize") -> Tensor:
    """PyTorch's deprecated out-of-place ``resize``: a reshape that keeps the number of
    elements (its autograd ``Resize`` function), after a warning. ``sizes`` are taken as
    PyTorch's function takes them: ``resize((4, 3))`` is refused there, and here."""
    warnings.warn(f"non-inplace {name} is deprecated", UserWarning, stacklevel=3)
    count: Any = 1
    for n in sizes:
        count = count * n  # a tuple given whole stays a tuple, which no numel equals
    if count != t.numel():
        raise RuntimeError(
            f"requested resize to {'x'.join(map(str, sizes))} ({count} elements in total), but "
            f"the given tensor has a size of {'x'.join(map(str, t.shape))} ({t.numel()} "
            "elements). autograd's resize can only change the shape of a given tensor, while "
            "preserving the number of elements. "
        )
    return shape.reshape(t.contiguous(), tuple(sizes))


# ----------------------------------------------------------------- Python callables
def _no_grad_callable(name: str, *tensors: Tensor) -> None:
    """PyTorch runs these Python callables outside autograd: refused if any operand
    requires grad, even under ``no_grad``."""
    if any(x.requires_grad for x in tensors):
        raise RuntimeError(
            f"Can't call {name}() on Variable that requires grad. Use var.detach().{name}() "
            "instead."
        )


def _python_number(dtype: Any) -> type:
    return bool if dtype == xp.bool_ else (float if dtypes.is_floating(dtype) else int)


def _elementwise_python(
    t: Tensor, operands: Sequence[Tensor], fn: Callable[..., Any], name: str
) -> Tensor:
    """``fn`` on each element of ``t`` and the broadcast ``operands``, written into ``t``.
    PyTorch leaves the version counter as it was (its kernel writes the memory directly)."""
    if not callable(fn):
        raise TypeError(f"'{type(fn).__name__}' object is not callable")
    arrays = [shape.expand(o, tuple(t.shape))._data for o in operands]
    kind = _python_number(t._data.dtype)
    out = t._data
    for index in xp.ndindex(out.shape):
        result = fn(*(kind(a[index]) for a in (out, *arrays)))
        if isinstance(result, bool | int | float) or hasattr(result, "__float__"):
            out[index] = kind(result) if kind is not bool else bool(result)
        else:
            raise TypeError(f"must be real number, not {type(result).__name__}")
    return t


def apply_(t: Tensor, fn: Callable[[Any], Any]) -> Tensor:
    """Each element replaced by ``fn(element)`` (a Python number), as PyTorch's ``apply_``.

    >>> import chainrule as cr
    >>> cr.tensor([1, 2, 3]).apply_(lambda v: v * v)
    tensor([1, 4, 9])
    """
    _no_grad_callable("apply_", t)
    return _elementwise_python(t, (), fn, "apply_")


def map_(t: Tensor, other: Tensor, fn: Callable[[Any, Any], Any], name: str = "map_") -> Tensor:
    """Each element replaced by ``fn(element, other's)``, ``other`` broadcast to ``t``."""
    tensor_argument("map_", other, 1, "other")
    _no_grad_callable(name, t, other)
    if other._data.dtype != t._data.dtype:
        raise TypeError(f"map_: expected {_type_name(t)} for 'other' (got {_type_name(other)})")
    return _elementwise_python(t, (other,), fn, name)


def map2_(t: Tensor, x: Tensor, y: Tensor, fn: Callable[[Any, Any, Any], Any]) -> Tensor:
    """Each element replaced by ``fn(element, x's, y's)``, ``x`` and ``y`` broadcast to ``t``."""
    tensor_argument("map2_", x, 1, "x")
    tensor_argument("map2_", y, 2, "y")
    _no_grad_callable("map2_", t, x, y)
    for label, o in (("x", x), ("y", y)):
        if o._data.dtype != t._data.dtype:
            raise TypeError(
                f"map2_: expected {_type_name(t)} for argument '{label}' (got {_type_name(o)})"
            )
    return _elementwise_python(t, (x, y), fn, "map2_")


def _type_name(t: Tensor) -> str:
    """PyTorch's legacy type name (``chainrule.FloatTensor``)."""
    return f"chainrule.{dtypes._TORCH_DTYPE_NAMES[t._data.dtype.name][1]}Tensor"


# ----------------------------------------------------------------- storages
class UntypedStorage:
    """The bytes a tensor's elements lie in (PyTorch's ``untyped_storage()``): the whole
    memory, shared, not a copy. Enough for aliasing checks (``data_ptr()``), sizes and
    reading the bytes."""

    def __init__(self, memory: Any) -> None:
        self._memory = memory  # 1-d, the tensor's dtype (see strided.memory)

    @property
    def _bytes(self) -> Any:
        return self._memory.view(xp.uint8)

    @property
    def device(self) -> _device.device:
        return _device.CPU

    def data_ptr(self) -> int:
        return self._memory.ctypes.data

    def nbytes(self) -> int:
        return int(self._memory.nbytes)

    def size(self) -> int:
        return self.nbytes()

    def __len__(self) -> int:
        return self.size()

    def element_size(self) -> int:
        return 1

    def tolist(self) -> list[Any]:
        return self._bytes.tolist()

    def __getitem__(self, index: int) -> Any:
        return self._bytes.tolist()[index]

    def _label(self) -> str:
        return "chainrule.storage.UntypedStorage(device=cpu)"

    def __repr__(self) -> str:
        lines = [f" {v}" for v in self.tolist()]
        return "\n".join([*lines, f"[{self._label()} of size {len(self)}]"])


class TypedStorage(UntypedStorage):
    """PyTorch's deprecated ``storage()``: the memory counted in elements of the dtype."""

    @property
    def dtype(self) -> dtypes.dtype:
        return dtypes.public(self._memory.dtype)

    def size(self) -> int:
        return int(self._memory.size)

    def element_size(self) -> int:
        return int(self._memory.itemsize)

    def tolist(self) -> list[Any]:
        return self._memory.tolist()

    def __getitem__(self, index: int) -> Any:
        return self._memory.tolist()[index]

    def untyped(self) -> UntypedStorage:
        return UntypedStorage(self._memory)

    def _label(self) -> str:
        return f"chainrule.storage.TypedStorage(dtype={self.dtype}, device=cpu)"


# PyTorch's legacy storage classes (``x.storage_type()``), one per dtype.
_STORAGE_TYPES = {
    name: type(f"{legacy}Storage", (TypedStorage,), {"__module__": "chainrule"})
    for name, (_, legacy) in dtypes._TORCH_DTYPE_NAMES.items()
}


def untyped_storage(t: Tensor) -> UntypedStorage:
    return UntypedStorage(strided.memory(t._data))


def storage(t: Tensor) -> TypedStorage:
    warnings.warn(
        "TypedStorage is deprecated. It will be removed in the future and UntypedStorage will be "
        "the only storage class. This should only matter to you if you are using storages "
        "directly.  To access UntypedStorage directly, use tensor.untyped_storage() instead "
        "of tensor.storage()",
        UserWarning,
        stacklevel=3,
    )
    return _STORAGE_TYPES[t._data.dtype.name](strided.memory(t._data))


def storage_type(t: Tensor) -> type:
    return _STORAGE_TYPES[t._data.dtype.name]


def is_set_to(t: Tensor, other: Tensor) -> bool:
    """Whether both are the same memory, offset, sizes and strides (PyTorch's ``is_set_to``)."""
    a, b = t._data, other._data
    return (
        strided.memory(a).ctypes.data == strided.memory(b).ctypes.data
        and a.dtype == b.dtype
        and t.storage_offset() == other.storage_offset()
        and a.shape == b.shape
        and t.stride() == other.stride()
    )


def set_(
    t: Tensor,
    source: Any = None,
    storage_offset: int = 0,
    size: Sequence[int] | None = None,
    stride: Sequence[int] | None = None,
) -> Tensor:
    """``t`` made to look at ``source``'s memory (a tensor: also its offset, sizes and
    strides; a storage: from ``storage_offset``, with ``size`` and ``stride``), or at none
    (``set_()``: 0 elements). Not recorded in autograd graphs: refused where it would be.

    >>> import chainrule as cr
    >>> a, b = cr.zeros(3), cr.arange(2.0)
    >>> a.set_(b).data_ptr() == b.data_ptr(), a
    (True, tensor([0., 1.]))
    """
    if grad_mode.modes.enabled and t.requires_grad:
        if t.is_leaf:
            raise RuntimeError(
                "a leaf Variable that requires grad is being used in an in-place operation."
            )
        raise RuntimeError("set_ of a tensor with autograd history is not supported by chainrule")
    if isinstance(source, Tensor):
        if source._data.dtype != t._data.dtype:
            theirs, ours = (dtypes._TORCH_DTYPE_NAMES[x._data.dtype.name][0] for x in (source, t))
            raise RuntimeError(f"Could not set tensor of type {theirs} to a tensor of type {ours}")
        if grad_mode.modes.enabled and source.requires_grad:
            raise RuntimeError(
                "set_ to a tensor that requires grad is not supported by chainrule (PyTorch "
                "records it without a derivative)"
            )
        data = source._data.view()
    elif source is None:
        data = xp.empty((0,), dtype=t._data.dtype)
    elif isinstance(source, UntypedStorage):
        memory = source._memory
        if memory.dtype != t._data.dtype:
            memory = memory.view(xp.uint8).view(t._data.dtype)
        if size is None:
            size, stride = (memory.size - storage_offset,), (1,)
        size = tuple(size)
        if stride is None:
            stride = tuple(int(xp.prod(size[i + 1 :], dtype=xp.int64)) for i in range(len(size)))
        data = strided._view(memory, size, tuple(stride), storage_offset)
    else:
        raise TypeError(
            f"set_(): argument 'source' must be Tensor or Storage, not {type(source).__name__}"
        )
    t._data = data
    t._view = None
    inplace.bump(t)
    return t


# ----------------------------------------------------------------- dim_order
def dim_order(t: Tensor, ambiguity_check: Any = False) -> tuple[int, ...]:
    """The order of ``t``'s dimensions in memory, outermost first (PyTorch's ``dim_order``:
    its elementwise-output permutation, and its ambiguity check).

    >>> import chainrule as cr
    >>> cr.zeros(2, 3, 4).permute(2, 0, 1).dim_order()
    (1, 2, 0)
    """
    message = "The ambiguity_check argument must be a bool or a list of memory formats."
    formats = [] if isinstance(ambiguity_check, bool) else ambiguity_check
    if not isinstance(formats, list) or not all(
        isinstance(f, memory_formats.memory_format) for f in formats
    ):
        raise TypeError(message)
    sizes, steps = tuple(t.shape), t.stride()
    check = ambiguity_check if isinstance(ambiguity_check, bool) else True
    several = any(a == b for a, b in zip(steps, steps[1:], strict=False)) or 1 in sizes
    if check and several:
        # PyTorch's words differ by how many of the formats given the tensor is contiguous in
        if sum(t.is_contiguous(memory_format=f) for f in formats) == 1:
            raise RuntimeError("The tensor does not have unique dim order.")
        raise RuntimeError(
            "The tensor does not have unique dim order, or cannot map to exact one of the given "
            "memory formats."
        )
    ndim = len(sizes)
    if ndim < 2:
        return tuple(range(ndim))
    contiguous = memory_formats.follows(sizes, steps, memory_formats.contiguous_format)
    channels_last = ndim == 4 and memory_formats.follows(sizes, steps, memory_formats.channels_last)
    if contiguous and not channels_last:
        return tuple(range(ndim))
    if channels_last and not contiguous:
        return (0, *range(2, ndim), 1)
    order = memory_formats.memory_order(sizes, steps)  # innermost first
    if (
        ambiguity_check is True
        and not all(  # each inside the next, by a smaller stride
            0 < steps[d] < steps[e] for d, e in zip(order, order[1:], strict=False)
        )
    ):
        raise RuntimeError("The tensor does not have unique dim order.")
    return tuple(reversed(order))


# ----------------------------------------------------------------- flags and refusals
_shared: dict[int, Any] = {}  # address of a memory -> the memory (kept alive while shared)


def share_memory_(t: Tensor) -> Tensor:
    """Marks ``t``'s memory shared (PyTorch moves it to shared memory for other processes;
    chainrule's processes share nothing, so nothing moves)."""
    memory = strided.memory(t._data)
    _shared[memory.ctypes.data] = memory
    return t


def is_shared(t: Tensor) -> bool:
    return strided.memory(t._data).ctypes.data in _shared


def pin_memory(t: Tensor, device: Any = None) -> Tensor:
    raise RuntimeError("Cannot access accelerator device when none is available.")


def bfloat16(t: Tensor) -> Tensor:
    """``t.bfloat16()``: refused as ``chainrule.bfloat16`` is wherever a dtype is used."""
    return t.to(dtypes.bfloat16)


def complex_cast(t: Tensor, name: str, dtype: str) -> Tensor:
    """``cfloat()``, ``cdouble()``, ``chalf()``: refused as every complex value is."""
    dtypes.refuse_complex(xp.dtype(dtype), name)
    raise AssertionError("unreachable: a complex dtype is always refused")


def grad_dtype(t: Tensor, verb: str = "accessed on") -> Any:
    """PyTorch's ``grad_dtype`` (the dtype gradients are cast to): the tensor's own, the only
    one chainrule's engine gives."""
    if t.grad_fn is not None:
        raise RuntimeError(f"grad_dtype can only be {verb} leaf tensors.")
    return t.dtype


def set_grad_dtype(t: Tensor, value: Any) -> None:
    grad_dtype(t, "set on")
    if value != t.dtype:
        raise RuntimeError(
            "chainrule's gradients have their tensor's dtype: grad_dtype can only be set to "
            f"{t.dtype}, not {value}"
        )


def module_load(t: Tensor, other: Tensor, assign: bool = False) -> Tensor:
    """What ``load_state_dict`` does with ``other`` for ``t`` (PyTorch's default)."""
    return other.detach() if assign else t.copy_(other).detach()


def as_subclass(t: Tensor, cls: type) -> Tensor:
    if not (isinstance(cls, type) and issubclass(cls, Tensor)):
        raise TypeError(
            "Creating a Tensor subclass from a class that does not inherit from Tensor is not "
            "possible. Make sure your class inherits from Tensor."
        )
    raise NotImplementedError(
        "as_subclass: chainrule has no tensor subclass protocol (its Tensor is not meant to be "
        "subclassed)"
    )


def xpu(t: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    raise AssertionError("Torch not compiled with XPU enabled")


def ipu(t: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    raise RuntimeError("PyTorch is not linked with support for ipu devices")


def mtia(t: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    raise AssertionError(
        "Torch not compiled with MTIA enabled. Ensure you have `import "
        "mtia.host_runtime.torch_mtia.dynamic_library` in your python src file and include "
        "`//mtia/host_runtime/torch_mtia:torch_mtia` as your target dependency!"
    )


def record_stream(t: Tensor, stream: Any) -> None:
    raise RuntimeError("unknown parameter type")


def reinforce(t: Tensor, reward: Any) -> None:
    raise RuntimeError(
        "reinforce() was removed.\nUse torch.distributions instead.\n"
        "See https://pytorch.org/docs/main/distributions.html\n\n"
        "Instead of:\n\nprobs = policy_network(state)\naction = probs.multinomial()\n"
        "next_state, reward = env.step(action)\naction.reinforce(reward)\naction.backward()\n\n"
        "Use:\n\nprobs = policy_network(state)\n"
        "# NOTE: categorical is equivalent to what used to be called multinomial\n"
        "m = torch.distributions.Categorical(probs)\naction = m.sample()\n"
        "next_state, reward = env.step(action)\nloss = -m.log_prob(action) * reward\n"
        "loss.backward()\n"
    )


def volatile(t: Tensor) -> bool:
    warnings.warn(
        "volatile was removed (Variable.volatile is always False)", UserWarning, stacklevel=3
    )
    return False


def solve(t: Tensor, A: Tensor) -> Any:  # noqa: N803
    raise RuntimeError(
        "This function was deprecated since version 1.9 and is now removed. `torch.solve` is "
        "deprecated in favor of `torch.linalg.solve`. `torch.linalg.solve` has its arguments "
        "reversed and does not return the LU factorization.\n\n"
        "To get the LU factorization see `torch.lu`, which can be used with `torch.lu_solve` or "
        "`torch.lu_unpack`.\nX = torch.solve(B, A).solution should be replaced with:\n"
        "X = torch.linalg.solve(A, B)"
    )


def to_dense(t: Tensor, dtype: Any = None, *, masked_grad: bool = True) -> Tensor:
    """A strided tensor is its own dense form (a copy only to another dtype)."""
    if not (type(masked_grad) is bool or masked_grad is None):  # PyTorch's bool? argument
        arguments.boolean(masked_grad, "to_dense", "masked_grad", None)
    return t if dtype is None else t.to(dtype)
