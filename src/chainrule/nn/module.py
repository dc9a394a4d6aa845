"""``Module``: the base class of layers and models, with PyTorch's bookkeeping.

Assigning a :class:`Parameter`, a buffer or another Module to an attribute registers it, so
that ``parameters()``, ``state_dict()``, ``train()``/``eval()`` and ``to(dtype)`` reach the whole
tree. Calling a module runs its ``forward`` (and any hooks).

    >>> import chainrule as cr
    >>> class Affine(cr.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.scale = cr.nn.Parameter(cr.ones(2))
    ...         self.register_buffer("shift", cr.zeros(2))
    ...     def forward(self, x):
    ...         return x * self.scale + self.shift
    >>> m = Affine()
    >>> [name for name, _ in m.named_parameters()], list(m.state_dict())
    (['scale'], ['scale', 'shift'])
"""

from __future__ import annotations

import functools
import itertools
import warnings
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar

from chainrule import devices as _device
from chainrule import dtypes, grad_mode, memory_formats
from chainrule._array import xp
from chainrule.nn import state_dict as _state
from chainrule.nn.buffer import Buffer
from chainrule.nn.parameter import Parameter
from chainrule.nn.state_dict import _IncompatibleKeys
from chainrule.nn.utils import _zero_grads
from chainrule.settings import typename
from chainrule.tensor import RemovableHandle, Tensor, _make


class Module:
    """Base class for all neural network modules; subclasses define ``forward``."""

    training: bool
    # Written into the state dict's _metadata. A layer whose saved entries changed has a higher
    # one (BatchNorm's is 2), so that its _load_from_state_dict can convert older checkpoints.
    _version: ClassVar[int] = 1
    # True: __init__ passes its arguments on to the next class of the MRO (a mixin beside
    # Module); False, PyTorch's default: arguments are refused, as Module takes none
    call_super_init: bool = False
    # Set by compile(): then calls run it. Also set in each instance's dict by __init__, where
    # every call reads it fastest; the class's default serves modules unpickled without it.
    _compiled_call_impl: Callable[..., Any] | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if self.call_super_init is False and kwargs:
            raise TypeError(
                f"{type(self).__name__}.__init__() got an unexpected keyword argument "
                f"'{next(iter(kwargs))}'"
            )
        if self.call_super_init is False and args:
            raise TypeError(
                f"{type(self).__name__}.__init__() takes 1 positional argument but "
                f"{len(args) + 1} were given"
            )
        # object.__setattr__: our own __setattr__ needs these dicts to exist already.
        set_ = object.__setattr__
        set_(self, "training", True)
        set_(self, "_parameters", {})
        set_(self, "_buffers", {})
        set_(self, "_non_persistent_buffers_set", set())
        set_(self, "_modules", {})
        # PyTorch's hook dicts, {handle id: hook}, and the ids registered with an option
        set_(self, "_forward_pre_hooks", OrderedDict())
        set_(self, "_forward_pre_hooks_with_kwargs", OrderedDict())
        set_(self, "_forward_hooks", OrderedDict())
        set_(self, "_forward_hooks_with_kwargs", OrderedDict())
        set_(self, "_forward_hooks_always_called", OrderedDict())
        set_(self, "_backward_pre_hooks", OrderedDict())
        set_(self, "_backward_hooks", OrderedDict())
        set_(self, "_is_full_backward_hook", None)  # which kind _backward_hooks holds
        set_(self, "_call_hooks", _call_hooks(self))
        set_(self, "_state_dict_pre_hooks", [])
        set_(self, "_state_dict_hooks", [])
        set_(self, "_load_state_dict_pre_hooks", [])
        set_(self, "_load_state_dict_post_hooks", [])
        set_(self, "_compiled_call_impl", None)
        if self.call_super_init:
            super().__init__(*args, **kwargs)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function'
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._compiled_call_impl is not None:
            return self._compiled_call_impl(*args, **kwargs)
        hooks = self._call_hooks
        # _global_call_hooks: a module-level read, cheap, unlike another Module attribute's
        if hooks[0] or hooks[1] or hooks[2] or hooks[3] or _global_call_hooks:
            return self._call_with_hooks(args, kwargs)
        return self.forward(*args, **kwargs)

    def compile(self, *args: Any, **kwargs: Any) -> None:
        """Compile this module's calls (its hooks included) with :func:`chainrule.compile`,
        which takes ``args`` and ``kwargs``; calling the module runs the compiled function.
        Calls whose output requires grad run eagerly (with compile's one-time warning): the
        replay builds no graph to backward through; compile the whole training step for that.

            >>> import chainrule as cr
            >>> layer = cr.nn.Linear(2, 1)
            >>> layer.compile()
            >>> with cr.no_grad():
            ...     layer(cr.ones(3, 2)).shape
            chainrule.Size([3, 1])
        """
        from chainrule.jit.compiled import compile as compile_function

        self._compiled_call_impl = compile_function(self._uncompiled_call, *args, **kwargs)

    def _uncompiled_call(self, *args: Any, **kwargs: Any) -> Any:
        """A call of this module as if it were not compiled: what :meth:`compile` compiles."""
        return self._call_with_hooks(args, kwargs)

    def __getstate__(self) -> dict[str, Any]:
        # PyTorch's: a compiled module pickles and copies as the module (a compiled function
        # holds its traces and a lock)
        state = self.__dict__.copy()
        state.pop("_compiled_call_impl", None)
        return state

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name: str, value: Any) -> None:
        d = self.__dict__
        params, buffers, modules = d.get("_parameters"), d.get("_buffers"), d.get("_modules")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._forget(name, keep="_parameters")
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{typename(value)}' as parameter '{name}' "
                    "(chainrule.nn.Parameter or None expected)"
                )
            params[name] = None
        elif isinstance(value, Module):
            if modules is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._forget(name, keep="_modules")
            modules[name] = _registered(_global_module_registration_hooks, self, name, value)
        elif modules is not None and name in modules:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{typename(value)}' as child module '{name}' "
                    "(chainrule.nn.Module or None expected)"
                )
            modules[name] = _registered(_global_module_registration_hooks, self, name, None)
        # ---- nn.Buffer: registered wherever it is assigned, with its own persistence
        elif isinstance(value, Buffer):
            if buffers is None:
                raise AttributeError("cannot assign buffer before Module.__init__() call")
            self.register_buffer(name, value, value.persistent)
        # ----
        elif buffers is not None and name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign '{typename(value)}' as buffer '{name}' "
                    "(chainrule.nn.Buffer, chainrule.Tensor or None expected)"
                )
            if _global_buffer_registration_hooks:  # (a layer may reassign a buffer each call)
                value = _registered(_global_buffer_registration_hooks, self, name, value)
            buffers[name] = value
        else:
            object.__setattr__(self, name, value)
            if name in _CALL_HOOK_DICTS:  # a hook dict replaced: m._forward_hooks = {}
                object.__setattr__(self, "_call_hooks", _call_hooks(self))

    def _forget(self, name: str, keep: str) -> None:
        """Drop ``name`` from the registries other than ``keep`` before it is registered in
        that one: a name registered there again keeps its place, as in PyTorch, so that
        ``parameters()`` (an optimizer's order) and the state dict's keys do not reorder."""
        d = self.__dict__
        d.pop(name, None)
        for registry in ("_parameters", "_buffers", "_modules"):
            if registry != keep:
                d[registry].pop(name, None)
        d["_non_persistent_buffers_set"].discard(name)

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails: registered things live in the dicts.
        d = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            found = d.get(registry)
            if found is not None and name in found:
                return found[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        d = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            if name in d[registry]:
                del d[registry][name]
                d["_non_persistent_buffers_set"].discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self) -> list[str]:
        names = set(super().__dir__())
        names.update(self._parameters, self._buffers, self._modules)
        return sorted(names)

    def _check_name(self, name: Any, kind: str) -> None:
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string. Got {typename(name)}")
        # PyTorch's order of the checks: add_module looks for an attribute first
        taken = hasattr(self, name) and name not in getattr(self, f"_{kind}s", {})
        if taken and kind == "module":
            raise KeyError(f"attribute '{name}' already exists")
        if "." in name:
            named = f", got: {name}" if kind == "module" else ""  # (PyTorch's words differ so)
            raise KeyError(f'{kind} name can\'t contain "."{named}')
        if not name:
            raise KeyError(f'{kind} name can\'t be empty string ""')
        if taken:
            raise KeyError(f"attribute '{name}' already exists")

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (or None, a declared but absent one such as ``bias=False``)."""
        self._check_name(name, "parameter")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{typename(param)}' object to parameter '{name}' "
                "(chainrule.nn.Parameter or None required)"
            )
        if param is not None and param.grad_fn is not None:
            raise ValueError(
                f"cannot assign non-leaf Tensor to parameter '{name}': a parameter must be a "
                "leaf; wrap a detached copy: Parameter(t.detach().clone())"
            )
        if param is not None:  # (PyTorch's hooks see no None)
            param = _registered(_global_parameter_registration_hooks, self, name, param)
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add a tensor that is state but not learnable (e.g. BatchNorm's running mean)."""
        self._check_name(name, "buffer")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"cannot assign '{typename(tensor)}' object to buffer '{name}' "
                "(chainrule Tensor or None required)"
            )
        self._buffers[name] = _registered(_global_buffer_registration_hooks, self, name, tensor)
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{typename(module)} is not a Module subclass")
        self._check_name(name, "module")
        self._modules[name] = _registered(_global_module_registration_hooks, self, name, module)

    register_module = add_module

    def get_submodule(self, target: str) -> Module:
        """The module at a dotted path such as ``"features.0"``."""
        module = self
        for part in target.split(".") if target else ():
            if not hasattr(module, part):
                raise AttributeError(f"{module._get_name()} has no attribute `{part}`")
            module = getattr(module, part)
            if not isinstance(module, Module):
                raise AttributeError(f"`{part}` is not an nn.Module")
        return module

    def set_submodule(self, target: str, module: Module, strict: bool = False) -> None:
        """Put ``module`` at the dotted path ``target``, replacing the module there or (not
        ``strict``) adding it to the existing parent.

            >>> import chainrule as cr
            >>> net = cr.nn.Sequential(cr.nn.Linear(2, 2))
            >>> net.set_submodule("0", cr.nn.ReLU())
            >>> net
            Sequential(
              (0): ReLU()
            )
        """
        if target == "":
            raise ValueError("Cannot set the submodule without a target name!")
        if not isinstance(module, Module):
            raise ValueError(f"`module` is not an nn.Module, found {type(module)}")
        path, _, name = target.rpartition(".")
        parent = self.get_submodule(path)
        if strict and not hasattr(parent, name):
            raise AttributeError(f"{parent._get_name()} has no attribute `{name}`")
        if hasattr(parent, name) and not isinstance(getattr(parent, name), Module):
            raise AttributeError(f"`{name}` is not an nn.Module")
        setattr(parent, name, module)

    def get_parameter(self, target: str) -> Parameter:
        """The parameter at a dotted path such as ``"features.0.weight"``.

        >>> import chainrule as cr
        >>> cr.nn.Sequential(cr.nn.Linear(2, 3)).get_parameter("0.bias").shape
        chainrule.Size([3])
        """
        module, name = self._owner_of(target)
        found = getattr(module, name)
        if not isinstance(found, Parameter):
            raise AttributeError(f"`{name}` is not an nn.Parameter")
        return found

    def get_buffer(self, target: str) -> Tensor:
        """The buffer at a dotted path such as ``"norm.running_mean"``."""
        module, name = self._owner_of(target)
        if name not in module._buffers:
            raise AttributeError(f"`{name}` is not a buffer")
        return getattr(module, name)

    def _owner_of(self, target: str) -> tuple[Module, str]:
        """The module holding the attribute at the dotted path ``target``, and its name."""
        path, _, name = target.rpartition(".")
        module = self.get_submodule(path)
        if not hasattr(module, name):
            raise AttributeError(f"{module._get_name()} has no attribute `{name}`")
        return module, name

    # ------------------------------------------------------------------ traversal
    def named_modules(
        self, memo: set[int] | None = None, prefix: str = "", remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Module]]:
        """This module and every descendant, each once, with dotted names."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is not None:
                child_prefix = f"{prefix}.{name}" if prefix else name
                yield from module.named_modules(memo, child_prefix, remove_duplicate)

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        seen: set[int] = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator[Module]:
        for _, module in self.named_children():
            yield module

    def _named_members(
        self, registry: str, prefix: str, recurse: bool, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Any]]:
        seen: set[int] = set()
        owners = (
            self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
            if recurse
            else [(prefix, self)]
        )
        for owner_name, owner in owners:
            for name, value in getattr(owner, registry).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield (f"{owner_name}.{name}" if owner_name else name), value

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Tensor]]:
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def apply(self, fn: Callable[[Module], None]) -> Module:
        """Call ``fn`` on every submodule (children first) and on this module."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------ modes and gradients
    def train(self, mode: bool = True) -> Module:
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        # Each child's own train(), as PyTorch's: a module that overrides it (to keep a part
        # frozen in eval mode) is obeyed inside a larger model too
        self.training = mode
        for module in self.children():
            module.train(mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        _zero_grads(self.parameters(), set_to_none)

    # ------------------------------------------------------------------ state
    def state_dict(
        self,
        *args: Any,
        destination: Any = None,
        prefix: str = "",
        keep_vars: bool = False,
    ) -> dict[str, Any]:
        """Parameters and persistent buffers by dotted name, detached but sharing memory (the
        tensors themselves with ``keep_vars``), in an OrderedDict whose ``_metadata`` holds
        each module's ``_version``. See :mod:`chainrule.nn.state_dict` for the hooks."""
        return _state.write(self, args, destination, prefix, keep_vars)

    def load_state_dict(
        self, state_dict: Mapping[str, Any], strict: bool = True, assign: bool = False
    ) -> _IncompatibleKeys:
        """Copy (or with ``assign``, put) the values into the parameters and buffers; returns
        the missing and unexpected keys, which with ``strict`` are an error, as are wrong
        shapes. Values may be chainrule or PyTorch tensors or NumPy arrays. As in PyTorch,
        the entries before an error are loaded."""
        return _state.read(self, state_dict, strict, assign)

    def _save_to_state_dict(self, destination: Any, prefix: str, keep_vars: bool) -> None:
        """This module's own entries (not its children's); layers may override it."""
        extra = type(self).get_extra_state is not Module.get_extra_state
        _state.save_own(self, destination, prefix, keep_vars, extra)

    def _load_from_state_dict(
        self,
        state_dict: dict[str, Any],
        prefix: str,
        local_metadata: dict[str, Any],
        strict: bool,
        missing_keys: list[str],
        unexpected_keys: list[str],
        error_msgs: list[str],
    ) -> None:
        """Load this module's own entries (not its children's) from ``state_dict``, adding
        to the three lists what does not fit; layers may override it."""
        extra = type(self).set_extra_state is not Module.set_extra_state
        _state.load_own(
            self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
            error_msgs, extra,
        )  # fmt: skip

    def get_extra_state(self) -> Any:
        """State that is not a parameter or buffer, saved as ``_extra_state``: override it
        (and :meth:`set_extra_state`) to have any."""
        raise RuntimeError(
            "Reached a code path in Module.get_extra_state() that should never be called."
        )

    def set_extra_state(self, state: Any) -> None:
        """Restore what :meth:`get_extra_state` returned."""
        raise RuntimeError(
            "Reached a code path in Module.set_extra_state() that should never be called."
        )

    def register_state_dict_pre_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """``hook(module, prefix, keep_vars)`` runs before the module saves its entries."""
        return _state.add_hook(self._state_dict_pre_hooks, hook)

    def register_state_dict_post_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """``hook(module, state_dict, prefix, local_metadata)`` runs after the module and its
        children saved their entries; it may edit ``state_dict`` in place, and returns None."""
        return _state.add_hook(self._state_dict_hooks, hook)

    def _register_state_dict_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """The older form of :meth:`register_state_dict_post_hook`: a returned dict replaces
        the state dict."""
        return _state.add_hook(self._state_dict_hooks, hook, private=True)

    def register_load_state_dict_pre_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """``hook(module, state_dict, prefix, local_metadata, strict, missing_keys,
        unexpected_keys, error_msgs)`` runs before the module loads its entries; it may edit
        ``state_dict`` (this module's part of it) in place."""
        return _state.add_hook(self._load_state_dict_pre_hooks, hook)

    def _register_load_state_dict_pre_hook(
        self, hook: Callable[..., Any], with_module: bool = False
    ) -> RemovableHandle:
        """The older form of :meth:`register_load_state_dict_pre_hook`, whose hook is called
        without the module unless ``with_module``."""
        return _state.add_hook(self._load_state_dict_pre_hooks, hook, with_module=with_module)

    def register_load_state_dict_post_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """``hook(module, incompatible_keys)`` runs after the module and its children loaded;
        it may edit ``incompatible_keys.missing_keys`` and ``.unexpected_keys`` in place, which
        decides what ``strict`` refuses. It returns None."""
        return _state.add_hook(self._load_state_dict_post_hooks, hook)

    # ------------------------------------------------------------------ dtypes
    def to(self, *args: Any, **kwargs: Any) -> Module:
        """``to(dtype)`` casts floating-point parameters and buffers in place; ``to("cpu")``
        is accepted and changes nothing; ``to("meta")`` puts every parameter and buffer on the
        meta device (shapes and dtypes without values, see :mod:`chainrule.meta`);
        ``memory_format=`` lays out the 4-D and 5-D parameters and buffers so (PyTorch's
        ``model.to(memory_format=torch.channels_last)``)."""
        layout = memory_formats.to_argument(args, kwargs)
        try:
            dtype = _device.parse_to(args, kwargs)
        except RuntimeError:  # the meta device is refused there
            if not _device.names_meta(args, kwargs):
                raise
            return self._to_meta(args, kwargs)
        if dtype is not None and not dtypes.is_floating(dtype):
            raise TypeError(
                "nn.Module.to only accepts floating point or complex dtypes, but got desired "
                f"dtype={dtypes.public(dtype)}"
            )
        if dtype is not None:
            self._cast(dtype)
        if layout is not memory_formats.preserve_format:
            self._lay_out(layout)
        return self

    def _lay_out(self, layout: Any) -> None:
        for module in self.modules():
            for registry in (module._parameters, module._buffers):
                for tensor in registry.values():
                    if tensor is not None and tensor.ndim in (4, 5):
                        memory_formats.check_rank(layout, tensor.ndim)
                        if memory_formats.suggested(tensor.shape, tensor.stride()) is not layout:
                            # The same Parameter objects, new arrays, as _cast's
                            tensor._data = memory_formats.copied(tensor._data, layout)
                            tensor._vc[0] += 1
                        if tensor.grad is not None:
                            tensor.grad = _make(memory_formats.copied(tensor.grad._data, layout))

    def _to_meta(
        self, args: tuple[Any, ...], kwargs: dict[str, Any], recurse: bool = True
    ) -> Module:
        from chainrule.meta import dtype_to, meta

        dtype = dtype_to(args, kwargs)  # floating-point tensors take a dtype given beside
        for module in self.modules() if recurse else (self,):
            for registry in (module._parameters, module._buffers):
                for name, tensor in registry.items():
                    if tensor is not None:
                        cast = dtype is not None and dtypes.is_floating(tensor.dtype)
                        registry[name] = meta(tensor, dtype=dtype if cast else None)
        return self

    def _cast(self, dtype: Any, floating_only: bool = True) -> Module:
        for module in self.modules():
            for registry in (module._parameters, module._buffers):
                for tensor in registry.values():
                    if tensor is not None and (
                        not floating_only or dtypes.is_floating(tensor.dtype)
                    ):
                        # The same Parameter objects, new arrays: optimizers keep working.
                        tensor._data = tensor._data.astype(dtype)
                        tensor._vc[0] += 1
                        if tensor.grad is not None:
                            tensor.grad = _make(tensor.grad._data.astype(dtype))
        return self

    def type(self, dst_type: Any) -> Module:
        """Every parameter and buffer cast to ``dst_type``, integer buffers too (a batch
        norm's count), as PyTorch's ``Module.type``; ``to``, ``float``, ``double`` and ``half``
        cast the floating ones only.

            >>> import chainrule as cr
            >>> cr.nn.BatchNorm1d(2).type(cr.float64).num_batches_tracked.dtype
            chainrule.float64
        """
        return self._cast(dtypes.as_dtype(dst_type), floating_only=False)

    def float(self) -> Module:
        return self._cast(dtypes.float32)

    def double(self) -> Module:
        return self._cast(dtypes.float64)

    def half(self) -> Module:
        return self._cast(dtypes.float16)

    def bfloat16(self) -> Module:
        """PyTorch's cast to bfloat16, which NumPy lacks: a module with a floating-point
        parameter or buffer raises the TypeError that ``Tensor.bfloat16`` does."""
        return self._cast(dtypes.bfloat16)

    def cpu(self) -> Module:
        return self

    def to_empty(self, *, device: Any, recurse: bool = True) -> Module:
        """Every parameter and buffer (of submodules too, with ``recurse``) on ``device``
        without its values: PyTorch's way to make real tensors of a model built on the meta
        device, to be initialized or loaded next. On the CPU the new values are zeros.

            >>> import chainrule as cr
            >>> layer = cr.nn.Linear(2, 1).to("meta").to_empty(device="cpu")
            >>> layer.weight
            Parameter containing:
            tensor([[0., 0.]], requires_grad=True)
        """
        if _device.device(device).type == "meta":
            return self._to_meta((), {}, recurse)
        _device.check(device)
        for module in self.modules() if recurse else (self,):
            # As PyTorch's: a real parameter keeps its object (optimizers hold it), a meta
            # one and every buffer are new tensors
            for name, param in module._parameters.items():
                if param is None:
                    continue
                values = xp.zeros(param.shape, param.dtype)
                if param.is_meta:
                    module._parameters[name] = Parameter(_make(values), param.requires_grad)
                    continue
                param._data = values
                param._vc[0] += 1
                if param.grad is not None:
                    param.grad = _make(xp.zeros_like(param.grad._data))
            for name, buffer in module._buffers.items():
                if buffer is not None:
                    module._buffers[name] = _make(xp.zeros(buffer.shape, buffer.dtype))
        return self

    def share_memory(self) -> Module:
        """:meth:`Tensor.share_memory_` of every parameter, buffer and gradient."""
        for module in self.modules():
            for registry in (module._parameters, module._buffers):
                for tensor in registry.values():
                    if tensor is not None:
                        tensor.share_memory_()
                        if tensor.grad is not None:
                            tensor.grad.share_memory_()
        return self

    def cuda(self, device: Any = None) -> Module:
        _device.check("cuda")
        return self

    # ------------------------------------------------------------------ hooks
    def register_forward_pre_hook(
        self, hook: Callable[..., Any], *, prepend: bool = False, with_kwargs: bool = False
    ) -> RemovableHandle:
        """``hook(module, args)`` runs before ``forward``; a returned value replaces ``args``.
        With ``with_kwargs``, ``hook(module, args, kwargs)`` returns None or ``(args, kwargs)``;
        with ``prepend``, it runs before the hooks already there."""
        flags = (self._forward_pre_hooks_with_kwargs,) if with_kwargs else ()
        return _register(self._forward_pre_hooks, hook, prepend, flags)

    def register_forward_hook(
        self,
        hook: Callable[..., Any],
        *,
        prepend: bool = False,
        with_kwargs: bool = False,
        always_call: bool = False,
    ) -> RemovableHandle:
        """``hook(module, args, output)`` runs after ``forward``; a returned value replaces
        the output. With ``with_kwargs`` it is ``hook(module, args, kwargs, output)``; with
        ``always_call`` it also runs when ``forward`` raises (its output None), before the
        error goes on.

        >>> import chainrule as cr
        >>> layer = cr.nn.Identity()
        >>> _ = layer.register_forward_hook(lambda m, args, out: out * 10)
        >>> layer(cr.tensor([1.0]))
        tensor([10.])
        """
        flags = (self._forward_hooks_with_kwargs,) if with_kwargs else ()
        flags += (self._forward_hooks_always_called,) if always_call else ()
        return _register(self._forward_hooks, hook, prepend, flags)

    def register_full_backward_hook(
        self, hook: Callable[..., Any], prepend: bool = False
    ) -> RemovableHandle:
        """``hook(module, grad_input, grad_output)`` runs when the gradients with respect to
        this module's tensor inputs have been computed.

        ``grad_input`` holds None for inputs that need no gradient. Simplified from PyTorch:
        a returned tuple replaces ``grad_input`` only when one input needs a gradient (the
        usual case); a module whose inputs need none gets its hook called once its output
        gradients are known.
        """
        self._mark_backward_hooks(full=True)
        return _register(self._backward_hooks, hook, prepend, ())

    def register_backward_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """PyTorch's deprecated (non-full) backward hook: at each call, ``hook(module,
        grad_input, grad_output)`` is registered on the ``grad_fn`` of the output (its first
        tensor) with ``Node.register_hook``. ``grad_input`` is that node's input gradients, as
        PyTorch's node takes them (a Linear layer's addmm: bias, input, weight.T), and
        ``grad_output`` its output gradient; a returned tuple replaces ``grad_input``. Where
        the module's forward makes more than that one node, they are not the module's
        gradients: a FutureWarning says so at the call, as PyTorch's does. Prefer
        :meth:`register_full_backward_hook`; one module takes one kind or the other.

            >>> import chainrule as cr
            >>> layer, seen = cr.nn.ReLU(), []
            >>> _ = layer.register_backward_hook(lambda m, gi, go: seen.append(gi[0]))
            >>> x = cr.tensor([-1.0, 2.0], requires_grad=True)
            >>> layer(x * 1).sum().backward()
            >>> seen
            [tensor([0., 1.])]
        """
        self._mark_backward_hooks(full=False)
        return _register(self._backward_hooks, hook, False, ())

    def _mark_backward_hooks(self, full: bool) -> None:
        """Refuse a backward hook of the other kind than the ones registered before (even if
        removed since), as PyTorch does; remember this kind."""
        if self._is_full_backward_hook is (not full):
            raise RuntimeError(
                "Cannot use both regular backward hooks and full backward hooks on a single "
                "Module. Please use only one of them."
            )
        self.__dict__["_is_full_backward_hook"] = full

    def _get_backward_hooks(self) -> tuple[list[Callable[..., Any]], list[Callable[..., Any]]]:
        """The full and the non-full backward hooks a call runs: the global ones first."""
        full: list[Callable[..., Any]] = []
        non_full: list[Callable[..., Any]] = []
        for is_full, hooks in (
            (_global_is_full_backward_hook, _global_backward_hooks),
            (self._is_full_backward_hook, self._backward_hooks),
        ):
            if is_full is not None:
                (full if is_full else non_full).extend(hooks.values())
        return full, non_full

    def register_full_backward_pre_hook(
        self, hook: Callable[..., Any], prepend: bool = False
    ) -> RemovableHandle:
        """``hook(module, grad_output)`` runs when the gradients with respect to this module's
        outputs are known, before those with respect to its inputs are computed; a returned
        tuple replaces ``grad_output`` (when one output needs a gradient, the usual case)."""
        return _register(self._backward_pre_hooks, hook, prepend, ())

    def _call_with_hooks(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        # The global hooks run before the module's own, as PyTorch's
        with_kwargs = self._forward_pre_hooks_with_kwargs
        for key, hook in [*_global_forward_pre_hooks.items(), *self._forward_pre_hooks.items()]:
            if key in with_kwargs:
                result = hook(self, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError(
                            "forward pre-hook must return None or a tuple of (new_args, "
                            f"new_kwargs), but got {result}."
                        )
                    args, kwargs = result
                continue
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        watcher = None
        full, non_full = self._get_backward_hooks()
        before = [*_global_backward_pre_hooks.values(), *self._backward_pre_hooks.values()]
        if (full or before) and grad_mode.is_grad_enabled():
            watcher = _BackwardHookCall(self, before, full)
            args = watcher.wrap_inputs(args)
        forward_hooks = [*_global_forward_hooks.items(), *self._forward_hooks.items()]
        try:
            output = self.forward(*args, **kwargs)
        except Exception:
            for key, hook in forward_hooks:  # always_call: output None
                if key in self._forward_hooks_always_called:
                    _run_forward_hook(self, key, hook, args, kwargs, None)
                elif key in _global_forward_hooks_always_called:
                    _run_global_always_called(self, hook, args)
            raise
        for key, hook in forward_hooks:
            result = _run_forward_hook(self, key, hook, args, kwargs, output)
            if result is not None:
                output = result
        if watcher is not None:
            output = watcher.watch_outputs(output)
        if non_full:
            _hook_output_node(self, non_full, args, output)
        return output

    # ------------------------------------------------------------------ printing
    def _get_name(self) -> str:
        return type(self).__name__

    def extra_repr(self) -> str:
        """The text between the parentheses of this module's repr; layers override it."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [
            f"({name}): " + _indent(repr(module), 2) for name, module in self._modules.items()
        ]
        lines = extra_lines + child_lines
        body = ""
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                body = extra_lines[0]
            else:
                body = "\n  " + "\n  ".join(lines) + "\n"
        return f"{self._get_name()}({body})"


_hook_ids = itertools.count()  # a handle id per hook registered, as PyTorch's

# The hook dicts a call runs, which Module.__call__ reads at once from ``_call_hooks``: each
# attribute read of a Module costs ~500 instructions (its __getattr__ keeps CPython 3.11 from
# specializing the read), so one tuple read, not four.
_CALL_HOOK_DICTS = (
    "_forward_pre_hooks",
    "_forward_hooks",
    "_backward_hooks",
    "_backward_pre_hooks",
)


def _call_hooks(module: Module) -> tuple[OrderedDict[int, Any], ...]:
    state = module.__dict__
    return tuple(state[name] for name in _CALL_HOOK_DICTS)


def _register(
    hooks: OrderedDict[int, Any],
    hook: Callable[..., Any],
    prepend: bool,
    flags: tuple[OrderedDict[int, bool], ...],
) -> RemovableHandle:
    """``hook`` into ``hooks`` under a new id (first with ``prepend``), the id marked in each
    of ``flags`` (PyTorch's with_kwargs and always_call dicts), which its handle clears too."""
    key = next(_hook_ids)
    hooks[key] = hook
    if prepend:
        hooks.move_to_end(key, last=False)
    for flag in flags:
        flag[key] = True
    return RemovableHandle(hooks, key, flags)


# PyTorch's global module hooks, which every module runs before its own: {handle id: hook},
# and the ids registered with an option
_global_forward_pre_hooks: OrderedDict[int, Callable[..., Any]] = OrderedDict()
_global_forward_hooks: OrderedDict[int, Callable[..., Any]] = OrderedDict()
_global_forward_hooks_with_kwargs: OrderedDict[int, bool] = OrderedDict()
_global_forward_hooks_always_called: OrderedDict[int, bool] = OrderedDict()
_global_backward_pre_hooks: OrderedDict[int, Callable[..., Any]] = OrderedDict()
_global_backward_hooks: OrderedDict[int, Callable[..., Any]] = OrderedDict()
_global_is_full_backward_hook: bool | None = None  # which kind, kept once set (PyTorch's)
_global_buffer_registration_hooks: OrderedDict[int, Callable[..., Any]] = OrderedDict()
_global_module_registration_hooks: OrderedDict[int, Callable[..., Any]] = OrderedDict()
_global_parameter_registration_hooks: OrderedDict[int, Callable[..., Any]] = OrderedDict()
# The ids of all the global hooks a call runs (the four kinds above): what Module.__call__
# and a compiled replay's guard check, one read, to find there are none
_global_call_hooks: dict[int, bool] = {}


def _register_global(
    hooks: OrderedDict[int, Callable[..., Any]],
    hook: Callable[..., Any],
    flags: tuple[OrderedDict[int, bool], ...] = (),
) -> RemovableHandle:
    return _register(hooks, hook, False, (_global_call_hooks, *flags))


def register_module_forward_pre_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """``hook(module, args)`` runs before every module's ``forward`` (before the module's own
    pre-hooks); a returned value replaces ``args``.

        >>> import chainrule as cr
        >>> from chainrule.nn.modules.module import register_module_forward_pre_hook
        >>> with register_module_forward_pre_hook(lambda m, args: (args[0] * 2,)):
        ...     cr.nn.Identity()(cr.tensor([1.0]))
        tensor([2.])
    """
    return _register_global(_global_forward_pre_hooks, hook)


def register_module_forward_hook(
    hook: Callable[..., Any], *, with_kwargs: bool = False, always_call: bool = False
) -> RemovableHandle:
    """``hook(module, args, output)`` (with ``with_kwargs``: ``hook(module, args, kwargs,
    output)``) runs after every module's ``forward``, before the module's own forward hooks;
    a returned value replaces the output. With ``always_call`` it also runs when ``forward``
    raises (with output None).

        >>> import chainrule as cr
        >>> from chainrule.nn.modules.module import register_module_forward_hook
        >>> with register_module_forward_hook(lambda m, args, out: out + 1):
        ...     cr.nn.Identity()(cr.tensor([1.0]))
        tensor([2.])
    """
    flags = (_global_forward_hooks_with_kwargs,) if with_kwargs else ()
    flags += (_global_forward_hooks_always_called,) if always_call else ()
    return _register_global(_global_forward_hooks, hook, flags)


def register_module_full_backward_pre_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """Every module's :meth:`Module.register_full_backward_pre_hook`, run before its own.

    >>> import chainrule as cr
    >>> from chainrule.nn.modules.module import register_module_full_backward_pre_hook
    >>> x = cr.ones(2, requires_grad=True)
    >>> with register_module_full_backward_pre_hook(lambda m, grad_out: (grad_out[0] * 3,)):
    ...     cr.nn.Identity()(x * 1).sum().backward()
    >>> x.grad
    tensor([3., 3.])
    """
    return _register_global(_global_backward_pre_hooks, hook)


def register_module_backward_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """Every module's deprecated :meth:`Module.register_backward_hook`, run before its own.
    Once used, :func:`register_module_full_backward_hook` is refused, as in PyTorch."""
    _mark_global_backward_hooks(full=False)
    return _register_global(_global_backward_hooks, hook)


def register_module_full_backward_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """Every module's :meth:`Module.register_full_backward_hook`, run before its own. Once
    used, :func:`register_module_backward_hook` is refused, as in PyTorch.

        >>> import chainrule as cr
        >>> from chainrule.nn.modules.module import register_module_full_backward_hook
        >>> seen = []
        >>> x = cr.ones(2, requires_grad=True)
        >>> with register_module_full_backward_hook(lambda m, gi, go: seen.append(gi[0])):
        ...     cr.nn.ReLU()(x).sum().backward()
        >>> seen
        [tensor([1., 1.])]
    """
    _mark_global_backward_hooks(full=True)
    return _register_global(_global_backward_hooks, hook)


def _mark_global_backward_hooks(full: bool) -> None:
    global _global_is_full_backward_hook
    if _global_is_full_backward_hook is (not full):
        raise RuntimeError(
            "Cannot use both regular backward hooks and full backward hooks as a global Module "
            "hook. Please use only one of them."
        )
    _global_is_full_backward_hook = full


def register_module_buffer_registration_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """``hook(module, name, buffer)`` runs when any module registers a buffer; a returned
    value is registered instead.

        >>> import chainrule as cr
        >>> from chainrule.nn.modules.module import register_module_buffer_registration_hook
        >>> with register_module_buffer_registration_hook(lambda m, name, b: b + 1):
        ...     cr.nn.BatchNorm1d(2).running_mean
        tensor([1., 1.])
    """
    return _register(_global_buffer_registration_hooks, hook, False, ())


def register_module_module_registration_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """``hook(module, name, submodule)`` runs when any module registers a submodule; a
    returned value is registered instead.

        >>> import chainrule as cr
        >>> from chainrule.nn.modules.module import register_module_module_registration_hook
        >>> with register_module_module_registration_hook(lambda m, name, sub: cr.nn.Tanh()):
        ...     cr.nn.Sequential(cr.nn.ReLU())
        Sequential(
          (0): Tanh()
        )
    """
    return _register(_global_module_registration_hooks, hook, False, ())


def register_module_parameter_registration_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """``hook(module, name, param)`` runs when any module registers a parameter (not None);
    a returned value is registered instead.

        >>> import chainrule as cr
        >>> from chainrule.nn.modules.module import register_module_parameter_registration_hook
        >>> names = []
        >>> with register_module_parameter_registration_hook(lambda m, n, p: names.append(n)):
        ...     _ = cr.nn.Linear(2, 2)
        >>> names
        ['weight', 'bias']
    """
    return _register(_global_parameter_registration_hooks, hook, False, ())


def _registered(
    hooks: OrderedDict[int, Callable[..., Any]], module: Module, name: str, value: Any
) -> Any:
    """``value`` as the global registration ``hooks`` leave it: each may return another."""
    for hook in list(hooks.values()):
        output = hook(module, name, value)
        if output is not None:
            value = output
    return value


def _run_forward_hook(
    module: Module, key: int, hook: Any, args: tuple[Any, ...], kwargs: dict[str, Any], output: Any
) -> Any:
    if key in module._forward_hooks_with_kwargs or key in _global_forward_hooks_with_kwargs:
        return hook(module, args, kwargs, output)
    return hook(module, args, output)


def _run_global_always_called(module: Module, hook: Callable[..., Any], args: Any) -> None:
    """A global ``always_call`` hook when ``forward`` raised: PyTorch's passes no kwargs (even
    to a ``with_kwargs`` hook) and turns an error of the hook into a warning, so that the
    forward's error goes on."""
    try:
        hook(module, args, None)
    except Exception as e:
        warnings.warn(
            "global module forward hook with ``always_call=True`` raised an exception that was "
            f"silenced as another error was raised in forward: {e}",
            stacklevel=4,
        )


def _hook_output_node(
    module: Module, hooks: list[Callable[..., Any]], args: tuple[Any, ...], output: Any
) -> None:
    """PyTorch's non-full backward hooks of one call: each registered on the ``grad_fn`` of
    the output's first tensor (of a dict, its first tensor value), called with the module
    (held weakly, as PyTorch's ``_WrappedHook``); then PyTorch's warnings."""
    var = output
    while not isinstance(var, Tensor):
        var = (
            next(v for v in var.values() if isinstance(v, Tensor))
            if isinstance(var, dict)
            else var[0]
        )
    grad_fn = var.grad_fn
    if grad_fn is None:
        return
    owner = weakref.ref(module)
    for hook in hooks:
        grad_fn.register_hook(functools.partial(_call_non_full, owner, hook))
    _warn_non_full(args, output, grad_fn)


def _call_non_full(owner: Any, hook: Callable[..., Any], grad_input: Any, grad_output: Any) -> Any:
    module = owner()
    if module is None:
        raise RuntimeError("You are trying to call the hook of a dead Module!")
    return hook(module, grad_input, grad_output)


def _warn_non_full(inputs: tuple[Any, ...], result: Any, grad_fn: Any) -> None:
    """PyTorch's ``_maybe_warn_non_full_backward_hook``: a FutureWarning where the node's
    gradients are not the module's (other outputs or inputs, more than one node)."""
    if isinstance(result, Tensor):
        result = (result,)
    elif not (isinstance(result, tuple) and all(isinstance(r, Tensor) for r in result)):
        return _future_warning(
            "Using non-full backward hooks on a Module that does not return a single Tensor or "
            "a tuple of Tensors is deprecated and will be removed in future versions. This "
            "hook will be missing some of the grad_output. Please use "
            "register_full_backward_hook to get the documented behavior."
        )
    if not all(isinstance(i, Tensor) for i in inputs):
        return _future_warning(
            "Using non-full backward hooks on a Module that does not take as input a single "
            "Tensor or a tuple of Tensors is deprecated and will be removed in future versions. "
            "This hook will be missing some of the grad_input. Please use "
            "register_full_backward_hook to get the documented behavior."
        )
    out_grad_fn = {r.grad_fn for r in result if r.grad_fn is not None}
    if not out_grad_fn or (len(out_grad_fn) == 1 and grad_fn not in out_grad_fn):
        return _future_warning(
            "Using a non-full backward hook when outputs are nested in python data structure is "
            "deprecated and will be removed in future versions. This hook will be missing some "
            "grad_output."
        )
    if len(out_grad_fn) > 1:
        return _future_warning(
            "Using a non-full backward hook when outputs are generated by different autograd "
            "Nodes is deprecated and will be removed in future versions. This hook will be "
            "missing some grad_output. Please use register_full_backward_hook to get the "
            "documented behavior."
        )
    inputs_grad_fn = {i.grad_fn for i in inputs if i.grad_fn is not None}
    if inputs_grad_fn != {node for node, _ in grad_fn.next_functions}:
        return _future_warning(
            "Using a non-full backward hook when the forward contains multiple autograd Nodes "
            "is deprecated and will be removed in future versions. This hook will be missing "
            "some grad_input. Please use register_full_backward_hook to get the documented "
            "behavior."
        )
    return None


def _future_warning(message: str) -> None:
    # stacklevel: the user's call of the module (this, _warn_non_full, _hook_output_node,
    # _call_with_hooks, __call__)
    warnings.warn(message, FutureWarning, stacklevel=6)


class _BackwardHookCall:
    """One call's backward hooks: collects the gradients at its outputs and inputs.

    Each tensor input is passed to ``forward`` through an alias (a same-shape view), a node of
    its own, so the gradient arriving there is exactly this call's ``grad_input``. The aliases
    are older than every node the forward makes, so they are reached after all outputs. The
    caller gets an alias of each output too, as PyTorch's: an enclosing module's hooks then
    see the gradient of its output before those of the inner module that made it.
    """

    def __init__(
        self, module: Module, before: list[Callable[..., Any]], hooks: list[Callable[..., Any]]
    ) -> None:
        self.module = module
        self.before = before  # the full backward pre-hooks
        self.hooks = hooks
        self.grad_input: list[Any] = []
        self.grad_output: list[Any] = []
        self.aliased: list[int] = []  # the inputs that require grad, passed as aliases
        self.inputs_pending = 0
        self.outputs_pending = 0

    def wrap_inputs(self, args: tuple[Any, ...]) -> tuple[Any, ...]:
        self.grad_input = [None] * len(args)
        wrapped = list(args)
        for i, arg in enumerate(args):
            if isinstance(arg, Tensor) and arg.requires_grad:
                alias = arg.view_as(arg)
                alias.register_hook(functools.partial(self._on_input, i))
                wrapped[i] = alias
                self.aliased.append(i)
        self.inputs_pending = len(self.aliased)
        if self.inputs_pending:
            # As PyTorch's (which passes every tensor input through one node): a tensor input
            # that requires no grad gets zeros in grad_input, where another one requires grad
            for i, arg in enumerate(args):
                if isinstance(arg, Tensor) and not arg.requires_grad:
                    self.grad_input[i] = arg.new_zeros(arg.shape)
        return tuple(wrapped)

    def watch_outputs(self, output: Any) -> Any:
        """``output`` with an alias of each tensor that requires grad, watched."""
        outputs = list(output) if isinstance(output, tuple) else [output]
        self.grad_output = [None] * len(outputs)
        for i, out in enumerate(outputs):
            if isinstance(out, Tensor) and out.requires_grad:
                outputs[i] = out.view_as(out)
                outputs[i].register_hook(functools.partial(self._on_output, i))
                self.outputs_pending += 1
        return tuple(outputs) if isinstance(output, tuple) else outputs[0]

    def _on_output(self, i: int, grad: Tensor) -> Tensor | None:
        self.grad_output[i] = grad
        self.outputs_pending -= 1
        if self.outputs_pending:
            return None
        replaced = None
        for hook in self.before:  # the backward pre-hooks see (and may replace) grad_output
            result = hook(self.module, tuple(self.grad_output))
            if result is not None:
                result = tuple(result) if isinstance(result, (tuple, list)) else (result,)
                if len(result) != len(self.grad_output):
                    raise RuntimeError(
                        "Backward pre hook returned an invalid number of grad_output, got "
                        f"{len(result)}, but expected {len(self.grad_output)}"
                    )
                if any(
                    new is not old
                    for j, (old, new) in enumerate(zip(self.grad_output, result, strict=True))
                    if j != i
                ):
                    raise RuntimeError(
                        "register_full_backward_pre_hook: replacing grad_output is supported "
                        "for modules with a single output that requires grad"
                    )
                self.grad_output = list(result)
                replaced = result[i]
        if self.inputs_pending == 0:
            self._fire()
        return replaced

    def _on_input(self, i: int, grad: Tensor) -> Tensor | None:
        self.grad_input[i] = grad
        self.inputs_pending -= 1
        if self.inputs_pending:
            return None
        replacement = self._fire()
        if replacement is None:
            return None
        for j, (old, new) in enumerate(zip(self.grad_input, replacement, strict=True)):
            if j != i and new is not old and j in self.aliased:
                raise RuntimeError(
                    "register_full_backward_hook: replacing grad_input is supported for modules "
                    "with a single input that requires grad"
                )
        return replacement[i]

    def _fire(self) -> tuple[Any, ...] | None:
        grad_input, grad_output = tuple(self.grad_input), tuple(self.grad_output)
        replacement = None
        for hook in self.hooks:
            result = hook(self.module, grad_input, grad_output)
            if result is not None:
                result = tuple(result) if isinstance(result, (tuple, list)) else (result,)
                if len(result) != len(grad_input):
                    raise RuntimeError(
                        f"backward hook returned {len(result)} gradients, expected "
                        f"{len(grad_input)} (one per input)"
                    )
                grad_input = replacement = result
        return replacement


def _indent(text: str, spaces: int) -> str:
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    # Blank lines stay empty, as in PyTorch.
    return (
        lines[0]
        + "\n"
        + "\n".join(" " * spaces + line if line.strip() else "" for line in lines[1:])
    )
