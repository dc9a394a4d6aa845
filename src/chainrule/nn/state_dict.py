"""How a module's state dict is written and read: PyTorch's protocol, with its hooks.

``Module.state_dict()`` and ``Module.load_state_dict()`` walk the module tree. At each module
they run its hooks and call its ``_save_to_state_dict`` or ``_load_from_state_dict``, so a
layer that overrides one of those (to fill in an entry that older checkpoints lack, or to keep
state that is not a tensor) takes part as it would in PyTorch. The defaults here store every
parameter and persistent buffer, and an ``_extra_state`` entry for a module that defines
``get_extra_state``.

    >>> import chainrule as cr
    >>> model = cr.nn.Sequential(cr.nn.Linear(2, 1))
    >>> seen = []
    >>> _ = model[0].register_state_dict_pre_hook(lambda m, prefix, keep_vars: seen.append(prefix))
    >>> state = model.state_dict()
    >>> list(state), dict(state._metadata), seen
    (['0.weight', '0.bias'], {'': {'version': 1}, '0': {'version': 1}}, ['0.'])
    >>> del state["0.bias"]
    >>> model.load_state_dict(state, strict=False)
    _IncompatibleKeys(missing_keys=['0.bias'], unexpected_keys=[])
"""

from __future__ import annotations

import warnings
from collections import OrderedDict, namedtuple
from collections.abc import Callable, Mapping
from typing import Any

from chainrule import grad_mode
from chainrule._array import xp
from chainrule.nn.parameter import Parameter
from chainrule.tensor import RemovableHandle, Tensor, _make

EXTRA_STATE = "_extra_state"

_POSITIONAL_WARNING = (
    "Positional args are being deprecated, use kwargs instead. Refer to "
    "https://pytorch.org/docs/main/generated/torch.nn.Module.html#torch.nn.Module.state_dict "
    "for details."
)


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` could not match: two lists of keys."""

    __slots__ = ()

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()


# ---------------------------------------------------------------------------- hooks
class _Hook:
    """One registration of a state-dict hook. The hook lists hold these rather than the bare
    functions, so that each handle removes its own registration, and so that the two ways of
    registering stay told apart: the public methods, and the older private ones that library
    code still calls (whose post-hook may return a new state dict, and whose load pre-hook may
    be called without the module)."""

    __slots__ = ("fn", "private", "with_module")

    def __init__(self, fn: Callable[..., Any], private: bool, with_module: bool) -> None:
        self.fn = fn
        self.private = private
        self.with_module = with_module


def add_hook(
    hooks: list[_Hook], fn: Callable[..., Any], private: bool = False, with_module: bool = True
) -> RemovableHandle:
    """Register ``fn`` at the end of ``hooks``; the handle's ``remove()`` takes it away.
    ``private`` marks the older ``_register_state_dict_hook``, which PyTorch refuses a function
    already registered through the public method."""
    if private and any(entry.fn is fn and not entry.private for entry in hooks):
        raise RuntimeError(
            "Cannot register the same function as the state dict post hook that was "
            "previously registered via register_state_dict_post_hook"
        )
    entry = _Hook(fn, private, with_module)
    hooks.append(entry)
    return RemovableHandle(hooks, entry)


# ---------------------------------------------------------------------------- writing
def write(
    module: Any,
    args: tuple[Any, ...],
    destination: Any,
    prefix: str,
    keep_vars: bool,
) -> Any:
    """``module.state_dict(...)``: its own entries, then each child's under ``name.``."""
    if args:
        # PyTorch's older positional form, (destination, prefix, keep_vars): each value
        # counts only where its keyword was left at the default.
        warnings.warn(_POSITIONAL_WARNING, FutureWarning, stacklevel=3)
        destination = args[0] if destination is None else destination
        prefix = args[1] if len(args) > 1 and prefix == "" else prefix
        keep_vars = args[2] if len(args) > 2 and keep_vars is False else keep_vars
    if destination is None:
        destination = OrderedDict()
        destination._metadata = OrderedDict()  # type: ignore[attr-defined]
    for entry in list(module._state_dict_pre_hooks):
        entry.fn(module, prefix, keep_vars)
    local_metadata = {"version": module._version}
    metadata = getattr(destination, "_metadata", None)
    if metadata is not None:  # a dict passed in without one gets none
        metadata[prefix[:-1]] = local_metadata
    module._save_to_state_dict(destination, prefix, keep_vars)
    for name, child in module._modules.items():
        if child is not None:
            child.state_dict(
                destination=destination, prefix=f"{prefix}{name}.", keep_vars=keep_vars
            )
    for entry in list(module._state_dict_hooks):
        result = entry.fn(module, destination, prefix, local_metadata)
        if result is None:
            continue
        if not entry.private:
            raise RuntimeError("state_dict post-hook must return None")
        destination = result
    return destination


def own_tensors(module: Any) -> dict[str, Tensor]:
    """The module's own parameters, then its persistent buffers, by name (None left out)."""
    found = {name: p for name, p in module._parameters.items() if p is not None}
    for name, buffer in module._buffers.items():
        if buffer is not None and name not in module._non_persistent_buffers_set:
            found[name] = buffer
    return found


def save_own(
    module: Any, destination: Any, prefix: str, keep_vars: bool, extra_state: bool
) -> None:
    """The default ``_save_to_state_dict``: detached tensors sharing memory (the Parameters
    and buffers themselves with ``keep_vars``), and ``get_extra_state()`` if ``extra_state``."""
    for name, tensor in own_tensors(module).items():
        destination[prefix + name] = tensor if keep_vars else tensor.detach()
    if extra_state:
        destination[prefix + EXTRA_STATE] = module.get_extra_state()


# ---------------------------------------------------------------------------- reading
def read(module: Any, state_dict: Any, strict: bool, assign: bool) -> _IncompatibleKeys:
    """``module.load_state_dict(...)``: every module loads its own entries; the keys left
    missing or unexpected (after the post-hooks, which may edit those lists in place) are an
    error with ``strict``, as are wrong shapes and values that are not tensors."""
    if not isinstance(state_dict, Mapping):
        raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
    metadata = getattr(state_dict, "_metadata", None)
    # A copy, which hooks and layers may edit (a batch norm fills in an old checkpoint's count).
    state_dict = OrderedDict(state_dict)
    if metadata is not None:
        state_dict._metadata = metadata  # type: ignore[attr-defined]
    keys = _IncompatibleKeys([], [])
    errors: list[str] = []
    _read_tree(module, state_dict, "", metadata, assign, keys, errors)
    if strict:
        lists = (("Missing", keys.missing_keys), ("Unexpected", keys.unexpected_keys))
        errors = [
            f"{what} key(s) in state_dict: " + ", ".join(f'"{key}"' for key in found) + ". "
            for what, found in lists
            if found
        ] + errors
    if errors:
        raise RuntimeError(
            f"Error(s) in loading state_dict for {type(module).__name__}:\n\t" + "\n\t".join(errors)
        )
    return keys


def _read_tree(
    module: Any,
    state_dict: dict[str, Any],
    prefix: str,
    metadata: Mapping[str, Any] | None,
    assign: bool,
    keys: _IncompatibleKeys,
    errors: list[str],
) -> None:
    local_metadata = dict(metadata.get(prefix[:-1], {})) if metadata is not None else {}
    if assign:
        local_metadata["assign_to_params_buffers"] = True
    # strict is always True here: which keys end up errors is decided once, at the top.
    module._load_from_state_dict(
        state_dict, prefix, local_metadata, True, keys.missing_keys, keys.unexpected_keys, errors
    )
    for name, child in module._modules.items():
        if child is not None:
            child_prefix = f"{prefix}{name}."
            own = {k: v for k, v in state_dict.items() if k.startswith(child_prefix)}
            _read_tree(child, own, child_prefix, metadata, assign, keys, errors)
    for entry in list(module._load_state_dict_post_hooks):
        if entry.fn(module, keys) is not None:
            raise AssertionError(
                "Hooks registered with ``register_load_state_dict_post_hook`` are not expected "
                "to return new values, if incompatible_keys need to be modified, it should be "
                "done inplace."
            )


def load_own(
    module: Any,
    state_dict: dict[str, Any],
    prefix: str,
    local_metadata: dict[str, Any],
    strict: bool,
    missing_keys: list[str],
    unexpected_keys: list[str],
    error_msgs: list[str],
    extra_state: bool,
) -> None:
    """The default ``_load_from_state_dict``: the load pre-hooks, then each own tensor's entry
    copied in (or assigned), ``set_extra_state`` if ``extra_state``, and with ``strict`` the
    keys under ``prefix`` that name nothing of this module's."""
    for entry in list(module._load_state_dict_pre_hooks):
        args = (state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys)
        if entry.with_module:
            entry.fn(module, *args, error_msgs)
        else:
            entry.fn(*args, error_msgs)
    own = own_tensors(module)
    assign = local_metadata.get("assign_to_params_buffers", False)
    for name, current in own.items():
        key = prefix + name
        if key in state_dict:
            error = _load_one(module, name, current, key, state_dict[key], assign)
            if error is not None:
                error_msgs.append(error)
        elif strict:
            missing_keys.append(key)
    extra_key = prefix + EXTRA_STATE
    if extra_state and extra_key in state_dict:
        module.set_extra_state(state_dict[extra_key])
    elif strict and extra_state:
        missing_keys.append(extra_key)
    elif strict and extra_key in state_dict:
        unexpected_keys.append(extra_key)
    if not strict:
        return
    for key in state_dict:
        if not key.startswith(prefix) or key == extra_key:
            continue
        head, dot, _ = key[len(prefix) :].partition(".")
        # A dotted key belongs to a child (which checks the rest), a plain one to this module.
        if head not in (module._modules if dot else own):
            unexpected_keys.append(key)


def _load_one(
    module: Any, name: str, current: Tensor, key: str, value: Any, assign: bool
) -> str | None:
    """Load ``value`` into the parameter or buffer ``name``; the error message if it cannot."""
    if not _tensor_like(value):
        return (
            f'While copying the parameter named "{key}", expected torch.Tensor or Tensor-like '
            f"object from checkpoint but received {type(value)}"
        )
    from chainrule.nn.lazy import SHAPE_OF_UNINITIALIZED, is_lazy  # lazy.py imports this

    if is_lazy(value) and not is_lazy(current):
        raise RuntimeError(SHAPE_OF_UNINITIALIZED)  # at once, as PyTorch's shape read does
    if not isinstance(value, Tensor):
        value = _make(_as_array(value))
    if current.ndim == 0 and value.shape == (1,):  # checkpoints from before 0-dim tensors
        value = value[0]
    if value.shape != current.shape:
        return (
            f"size mismatch for {key}: copying a param with shape {value.shape} from "
            f"checkpoint, the shape in current model is {current.shape}."
        )
    on_meta = current.device.type == "meta"
    if on_meta and not assign and value.device.type != "meta":
        warnings.warn(
            f"for {key}: copying from a non-meta parameter in the checkpoint to a meta "
            "parameter in the current model, which is a no-op. (Did you mean to pass "
            "`assign=True` to assign items in the state dictionary to their corresponding key "
            "in the module instead of copying them in place?)",
            stacklevel=5,
        )
        return None
    try:
        with grad_mode.no_grad():
            if not assign:
                current.copy_(value)
            elif isinstance(current, Parameter) and not isinstance(value, Parameter):
                setattr(module, name, Parameter(value, requires_grad=current.requires_grad))
            else:
                setattr(module, name, value.requires_grad_(current.requires_grad))
    except Exception as error:  # noqa: BLE001 -- reported with the others, as PyTorch does
        return (
            f'While copying the parameter named "{key}", whose dimensions in the model are '
            f"{current.size()} and whose dimensions in the checkpoint are {value.size()}, an "
            f"exception occurred : {error.args}."
        )
    return None


def _tensor_like(value: Any) -> bool:
    """A chainrule tensor, or (beyond PyTorch, which takes tensors only) a NumPy array or a
    PyTorch tensor, whose values are read."""
    return isinstance(value, (Tensor, xp.ndarray)) or hasattr(value, "__torch_function__")


def _as_array(value: Any) -> Any:
    """The values of a NumPy array or a PyTorch tensor, as an array."""
    detach = getattr(value, "detach", None)
    return xp.asarray(value if detach is None else detach())
