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
"""

from __future__ import annotations

from typing import Any

from chainrule import devices, dtypes, printing
from chainrule._array import xp
from chainrule.nn.parameter import Parameter
from chainrule.tensor import Size, Tensor

META = devices.device("meta")


class MetaTensor(Tensor):
    """A shape and a dtype on the meta device; reading its values raises."""

    # A zero-stride array: the shape and dtype, without memory for the values.
    __slots__ = ("_meta",)

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
    t = object.__new__(kind or (MetaParameter if isinstance(like, Parameter) else MetaTensor))
    t._meta = xp.broadcast_to(xp.empty((), like.dtype if dtype is None else dtype), like.shape)
    t.requires_grad = like.requires_grad if requires_grad is None else requires_grad
    t._grad = t._grad_fn = t._view = t._hooks = None
    t._vc = [0]
    return t
