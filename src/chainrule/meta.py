"""The meta device: tensors with a shape and a dtype but no values (``to("meta")``).

A model moved to the meta device keeps its structure (submodules, the names, shapes and dtypes
of its parameters and buffers) and gives up its values. PyTorch's tutorials make one as the
skeleton that :func:`chainrule.func.functional_call` runs with other tensors swapped in for
every parameter and buffer (model ensembling, ``stack_module_state``). PyTorch's meta tensors
also compute shapes through every op; chainrule's compute nothing: an op that reads one raises
PyTorch's error for a meta tensor met among CPU tensors.

    >>> import chainrule as cr
    >>> lin = cr.nn.Linear(3, 2).to("meta")
    >>> lin.weight
    Parameter containing:
    tensor(..., device='meta', size=(2, 3), requires_grad=True)
    >>> cr.func.functional_call(lin, {"weight": cr.ones(2, 3), "bias": cr.zeros(2)}, cr.ones(3))
    tensor([3., 3.])

Factories make them too, given ``device="meta"`` or inside ``with chainrule.device("meta")``,
without memory for the values and without drawing from the random generator; in-place writes
(``uniform_``, ``fill_``, ``copy_``..., so every ``nn.init`` function) change nothing. That is
PyTorch's way to build a large model without initialising it, then to load its weights:

    >>> with cr.device("meta"):
    ...     big = cr.nn.Linear(1000, 1000)
    >>> big.weight.is_meta
    True
    >>> _ = big.to_empty(device="cpu").load_state_dict(cr.nn.Linear(1000, 1000).state_dict())
"""

from __future__ import annotations

import itertools
import operator
from typing import Any

from chainrule import devices, dtypes, grad_mode, printing
from chainrule._array import xp
from chainrule.nn.parameter import Parameter
from chainrule.ops.broadcast import broadcast_shape
from chainrule.tensor import Size, Tensor, _make

META = devices.device("meta")


class MetaTensor(Tensor):
    """A shape and a dtype on the meta device; reading its values raises."""

    __slots__ = ("_meta",)  # see _empty

    @property
    def _data(self) -> Any:
        raise RuntimeError("Tensor on device meta is not on the expected device cpu!")

    @property
    def shape(self) -> Size:
        return Size(self._meta.shape)

    def size(self, dim: int | None = None) -> Any:
        return self.shape if dim is None else self._meta.shape[dim]

    @property
    def dtype(self) -> dtypes.dtype:
        return dtypes.public(self._meta.dtype)

    @property
    def ndim(self) -> int:
        return self._meta.ndim

    def dim(self) -> int:
        return self._meta.ndim

    def numel(self) -> int:
        return int(self._meta.size)

    def stride(self, dim: int | None = None) -> Any:
        """A new tensor's strides, as PyTorch's meta tensors have them (each size counted as 1
        at least)."""
        sizes = [max(n, 1) for n in self._meta.shape[:0:-1]]
        strides = tuple(itertools.accumulate(sizes, operator.mul, initial=1))[::-1]
        return strides if dim is None else strides[dim]

    @property
    def data(self) -> Tensor:
        return meta(self, MetaTensor, False)

    def new_tensor(
        self, data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
    ) -> Tensor:
        return Tensor.new_tensor(
            self, data, dtype, META if device is None else device, requires_grad
        )

    def _made(self, make: Any, shape: Any, dtype: Any, device: Any, *args: Any, **kw: Any) -> Any:
        # ``new_zeros`` and the other ``new_*`` methods: on this tensor's device by default
        return Tensor._made(
            self, make, shape, dtype, META if device is None else device, *args, **kw
        )

    def element_size(self) -> int:
        return self._meta.itemsize

    def __len__(self) -> int:
        return len(_make(self._meta))  # (PyTorch's error for no dimensions)

    def __getitem__(self, key: Any) -> Tensor:
        """The shape that indexing gives: chainrule's indexing (its checks and PyTorch's
        errors) of the zero-stride ``_meta``, which copies no values for a view."""
        found = _make(self._meta)[key]
        return _empty(found.shape, self._meta.dtype, MetaTensor)

    def __setitem__(self, key: Any, value: Any) -> None:
        self[key]  # noqa: B018 - its index checked, as PyTorch's meta kernel checks it

    def _written(self, *args: Any, **kwargs: Any) -> Tensor:
        """An in-place write: PyTorch's meta kernels check a leaf (outside ``no_grad``) and
        compute nothing, there being no values."""
        if self.requires_grad and grad_mode.is_grad_enabled():
            raise RuntimeError(
                "a leaf Variable that requires grad is being used in an in-place operation."
            )
        return self

    zero_ = fill_ = normal_ = uniform_ = bernoulli_ = exponential_ = random_ = _written
    geometric_ = log_normal_ = cauchy_ = fill_diagonal_ = masked_fill_ = _written

    def copy_(self, src: Any, non_blocking: bool = False) -> Tensor:
        broadcast_shape(tuple(self.shape), tuple(src.shape))  # PyTorch's error if not
        return self._written()

    def is_floating_point(self) -> bool:
        return dtypes.is_floating(self._meta.dtype)

    is_meta = property(lambda self: True)

    @property
    def device(self) -> devices.device:
        return META

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if requires_grad and not self.is_floating_point():
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self.requires_grad = requires_grad
        return self

    def detach(self) -> Tensor:
        return meta(self, MetaTensor, False)

    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """Another dtype stays on the meta device; another device gets no values to copy."""
        dtype = dtype_to(args, kwargs)
        if dtype is None or dtype == self._meta.dtype:
            return self
        return meta(self, MetaTensor, False, dtype)

    def cpu(self, memory_format: Any = None) -> Tensor:
        return self.to("cpu")  # PyTorch's error: no values to copy

    def numpy(self, force: bool = False) -> Any:
        raise TypeError(
            "can't convert meta device type tensor to numpy. Use Tensor.cpu() to copy the "
            "tensor to host memory first."
        )

    def tolist(self) -> Any:
        raise NotImplementedError("Cannot copy out of meta tensor; no data!")

    def __deepcopy__(self, memo: dict[int, Any]) -> Tensor:
        result = meta(self, type(self), self.requires_grad)
        memo[id(self)] = result
        return result

    def __repr__(self) -> str:
        suffixes = [f"size={tuple(self._meta.shape)}"]
        if self._meta.dtype != dtypes.default_float:
            suffixes.append(f"dtype=chainrule.{self._meta.dtype.name}")
        if self.requires_grad:
            suffixes.append("requires_grad=True")
        return printing._add_suffixes("tensor(...", ["device='meta'", *suffixes], len("tensor("))


class MetaParameter(Parameter, MetaTensor):
    """A Parameter moved to the meta device: still a Parameter, as in PyTorch."""

    __slots__ = ()
    __deepcopy__ = MetaTensor.__deepcopy__  # not Parameter's, which copies the values

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        pass  # made whole by Parameter.__new__, which makes one of a meta tensor


def dtype_to(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """The dtype that ``.to(...)``'s arguments ask for beside the meta device (None: keep);
    PyTorch's error for another device, which a meta tensor has no values to copy to."""
    named = [a for a in (*args, kwargs.get("device")) if devices.is_device(a)]
    if any(devices.device(a).type != "meta" for a in named):
        raise NotImplementedError("Cannot copy out of meta tensor; no data!")
    rest = {k: v for k, v in kwargs.items() if k != "device"}
    return devices.parse_to(tuple(a for a in args if not devices.is_device(a)), rest)


def meta(
    like: Tensor, kind: type | None = None, requires_grad: bool | None = None, dtype: Any = None
) -> MetaTensor:
    """``like`` on the meta device, a leaf: a :class:`MetaParameter` for a Parameter (else
    ``kind``), with ``like``'s ``requires_grad`` and dtype unless given."""
    kind = kind or (MetaParameter if isinstance(like, Parameter) else MetaTensor)
    t = _empty(like.shape, like.dtype if dtype is None else dtype, kind)
    t.requires_grad = like.requires_grad if requires_grad is None else requires_grad
    return t


def empty(shape: tuple[int, ...], dtype: Any, requires_grad: bool = False) -> MetaTensor:
    """What a factory makes on the meta device: ``shape`` and ``dtype``, no values; with
    ``requires_grad``, the factories' refusal of an integer dtype.

    >>> import chainrule as cr
    >>> empty((2, 3), cr.int64)
    tensor(..., device='meta', size=(2, 3), dtype=chainrule.int64)
    """
    t = _empty(shape, dtypes.as_dtype(dtype), MetaTensor)
    if requires_grad:
        t._created_requiring_grad()
    return t


def _empty(shape: Any, dtype: Any, kind: type) -> MetaTensor:
    t = object.__new__(kind)
    # A zero-stride array: the shape and dtype, without memory for the values.
    t._meta = xp.broadcast_to(xp.empty((), dtype), shape)
    t.requires_grad = False
    t._grad = t._grad_fn = t._view = t._hooks = None
    t._vc = [0]
    return t
