"""``Optimizer``: parameter groups, per-parameter state and PyTorch's state-dict format.

Subclasses implement ``_update(group, param, grad, state)``, which changes ``param``'s array
in place; ``step`` calls it for every parameter that has a gradient. Updates run on the raw
NumPy arrays, with ``out=`` and a scratch buffer per parameter, so a step records no graph
and allocates (almost) nothing.

    >>> import chainrule as cr
    >>> w = cr.nn.Parameter(cr.tensor([1.0, 2.0]))
    >>> opt = cr.optim.SGD([w], lr=0.5)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> w
    Parameter containing:
    tensor([0., 0.], requires_grad=True)
"""

from __future__ import annotations

import copy
import itertools
import warnings
import weakref
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar

from chainrule import dtypes, grad_mode
from chainrule._array import xp
from chainrule.nn.utils import _zero_grads
from chainrule.nn.utils.convert_parameters import _typename
from chainrule.tensor import RemovableHandle, Tensor, _make

ParamsT = Iterable[Tensor] | Iterable[dict[str, Any]]


class _Required:
    """Marks a hyperparameter with no default (``lr`` of SGD)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _Required()

# The switch every step runs under, made once: a no_grad() per step cost three Python calls
# (its __new__ and two __init__). Its stack of modes makes it reentrant (a closure may step).
_NO_GRAD = grad_mode.no_grad()


def check_flags(name: str, differentiable: bool = False, capturable: bool = False) -> None:
    """PyTorch's choices between implementations of one update (``foreach``, ``fused``) are
    accepted and kept in the groups as PyTorch shows them: chainrule has one implementation.
    ``differentiable`` (a graph through the step) and ``capturable`` (CUDA graph capture)
    change what a step can take part in; chainrule's steps on raw arrays cannot."""
    for flag, value in (("differentiable", differentiable), ("capturable", capturable)):
        if value:
            raise RuntimeError(
                f"{name}: {flag}=True is not supported: chainrule's optimizers update the "
                "parameters' arrays outside any graph"
            )


# Flags PyTorch's optimizers added over time: their ``__setstate__`` gives a loaded group that
# lacks one (saved by a PyTorch from before it) these values (see _old_group_defaults).
OLD_FLAGS: dict[str, Any] = {"foreach": None, "maximize": False, "differentiable": False}
OLD_CAPTURABLE_FLAGS: dict[str, Any] = {**OLD_FLAGS, "capturable": False}


def check_fused(fused: bool | None, foreach: bool | None) -> None:
    """PyTorch's refusal of two implementations at once, checked (as there) after the
    parameters."""
    if fused and foreach:
        raise RuntimeError("`fused` and `foreach` cannot be `True` together.")


def check_betas(betas: Any) -> None:
    """PyTorch's check of Adam-like ``betas``: the first two each in [0, 1), nan refused (and
    fewer than two an IndexError, as PyTorch's indexing raises)."""
    for i in (0, 1):
        if not 0.0 <= betas[i] < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {betas[i]}")


def _as_numbers(group: dict[str, Any], keep: frozenset[str] = frozenset()) -> dict[str, Any]:
    """``group`` itself, or where a hyperparameter is a tensor (PyTorch takes ``lr``, and
    Adam's ``betas``, as 1-element tensors) a copy with each such tensor read as a number,
    which the updates on arrays need; those named in ``keep`` stay tensors. The group keeps
    its tensors: a scheduler fills them in place, and the state dict shows them, as
    PyTorch's."""
    if _PLAIN.issuperset(map(type, group.values())):
        return group  # the common case, told apart in C at every step
    for value in group.values():
        if isinstance(value, Tensor) or (
            type(value) is tuple and any(isinstance(v, Tensor) for v in value)
        ):
            return {
                key: value if key in keep else _as_number(value) for key, value in group.items()
            }
    return group


# the types of a group's values that are never tensors (its params are a list)
_PLAIN = frozenset({float, int, bool, str, type(None), list})


def _as_number(value: Any) -> Any:
    if isinstance(value, Tensor):
        return value.item()
    if type(value) is tuple:
        return tuple(v.item() if isinstance(v, Tensor) else v for v in value)
    return value


def scalar_state_dtype(fused: bool | None = None) -> Any:
    """The dtype of an optimizer's scalar state (``step``, NAdam's ``mu_product``, ASGD's
    ``eta`` and ``mu``), as PyTorch chooses it: float64 where the default dtype is float64,
    else float32, and float32 for a fused update. In float64 training a float32
    ``mu_product`` would move the parameters by ~1e-9 from PyTorch's.

    >>> scalar_state_dtype()
    dtype('float32')
    """
    if fused or dtypes.default_float != xp.float64:
        return xp.dtype(xp.float32)
    return xp.dtype(xp.float64)


class Optimizer:
    """Base class: holds ``param_groups`` (dicts with ``params`` and hyperparameters) and
    ``state`` (a dict per parameter)."""

    # What PyTorch's ``__setstate__`` gives a loaded group that lacks a key (one saved before
    # the key existed): its own values, not always the constructor's defaults.
    _old_group_defaults: ClassVar[dict[str, Any]] = {}
    # The state PyTorch keeps as 0-d tensors (older versions saved it as numbers).
    _scalar_state: ClassVar[tuple[str, ...]] = ("step",)
    # Hyperparameters an update reads as the group holds them, a tensor left a tensor (see
    # _as_numbers; the others are read as numbers).
    _tensor_hyperparameters: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                f"dicts, but got {type(params).__name__}"
            )
        self.defaults = defaults
        for name in _HOOK_DICTS:
            setattr(self, name, OrderedDict())
        _note_step(type(self))
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        # Scratch arrays for in-place updates, one per parameter; not part of the state.
        self._scratch: dict[int, tuple[weakref.ref[Any], Any]] = {}
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def __getstate__(self) -> dict[str, Any]:
        # A schedule's wrapper of ``step`` (lr_scheduler._note_steps) stays with this
        # instance: it steps this optimizer, and cannot be pickled (PyTorch's __getstate__
        # leaves it out too); so do the hooks (a copy or a pickle has none, as PyTorch's)
        return {k: v for k, v in self.__dict__.items() if k not in _NOT_PICKLED}

    def __setstate__(self, state: dict[str, Any]) -> None:
        """PyTorch's: an unpickled optimizer (or one saved before hooks existed) gets empty
        hook dicts; ``load_state_dict`` ends here too, so that a subclass's own
        ``__setstate__`` (AdamW's) runs before the load's post hooks."""
        self.__dict__.update(state)
        for name in _HOOK_DICTS:
            if name not in self.__dict__:
                setattr(self, name, OrderedDict())
        self.__dict__.setdefault("_scratch", {})
        _note_step(type(self))
        self._scalar_state_as_tensors()
        self.defaults.setdefault("differentiable", False)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {key}: {group[key]}" for key in sorted(group) if key != "params")
        return "\n".join(lines) + "\n)"

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own hyperparameters (others from defaults).
        Parameters given as ``(name, tensor)`` pairs (``named_parameters()``) keep their names
        in the group's ``param_names``, as PyTorch's."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list instead."
            )
        else:
            params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        if names:
            if len(names) != len(params):
                raise ValueError(
                    "all optimizer params should be with/without names. Some param names are "
                    "missing"
                )
            params = [p[1] for p in params]
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"optimizer can only optimize Tensors, but one of the params is {_typename(p)}"
                )
            # a non-leaf that keeps its .grad (retain_grad()) has a gradient to step by
            if not self.defaults.get("differentiable") and not (p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        group = dict(param_group, params=params)
        if names:
            group["param_names"] = names
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(
                    f"parameter group didn't specify a value of required optimization parameter "
                    f"{name}"
                )
            group.setdefault(name, default)
        if len({id(p) for p in params}) != len(params):
            # PyTorch's deprecation: such a parameter is updated once per listing
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; in future, this "
                "will cause an error; see github.com/pytorch/pytorch/issues/40967 for more "
                "information",
                stacklevel=3,
            )
        for other in self.param_groups:
            if ("param_names" in group) != ("param_names" in other):
                kind = "with names" if "param_names" in group else "without names"
                raise ValueError(
                    "all optimizer param groups should be with/without names. cannot add param "
                    f"group {kind} to the optimizer"
                )
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's ``.grad`` (drop it, or fill it with zeros)."""
        # a list, not a generator: one frame, not one resumption per parameter
        _zero_grads([p for group in self.param_groups for p in group["params"]], set_to_none)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; ``closure`` recomputes the loss first.
        The base class has no update to make (NotImplementedError, as PyTorch's)."""
        if type(self)._update is Optimizer._update:
            raise NotImplementedError
        loss = None
        if closure is not None:
            with grad_mode.enable_grad():
                loss = closure()
        with _NO_GRAD:
            for group in self.param_groups:
                self._update_group(_as_numbers(group, self._tensor_hyperparameters))
        return loss

    # ------------------------------------------------------------------ hooks
    def register_step_pre_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """``hook(optimizer, args, kwargs)`` runs before each ``step`` (after the global pre
        hooks); ``args`` holds the optimizer first, as the step gets it. A returned pair
        ``(new_args, new_kwargs)`` replaces them for the step and the hooks after.

            >>> import chainrule as cr
            >>> opt = cr.optim.SGD([cr.nn.Parameter(cr.ones(2))], lr=0.1)
            >>> handle = opt.register_step_pre_hook(lambda o, args, kwargs: print(len(args)))
            >>> opt.step()
            1
            >>> handle.remove()
            >>> opt.step()
        """
        return _add_step_hook(self, self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """``hook(optimizer, args, kwargs)`` runs after each ``step`` (before the global post
        hooks), with the arguments the step got."""
        return _add_step_hook(self, self._optimizer_step_post_hooks, hook)

    def register_state_dict_pre_hook(
        self, hook: Callable[..., Any], prepend: bool = False
    ) -> RemovableHandle:
        """``hook(optimizer)`` runs before :meth:`state_dict` builds the state dict;
        ``prepend`` puts it before the pre hooks already registered."""
        return _add_hook(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(
        self, hook: Callable[..., Any], prepend: bool = False
    ) -> RemovableHandle:
        """``hook(optimizer, state_dict)`` runs on the state dict :meth:`state_dict` built;
        it may change it in place or return the dict to give instead."""
        return _add_hook(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(
        self, hook: Callable[..., Any], prepend: bool = False
    ) -> RemovableHandle:
        """``hook(optimizer, state_dict)`` runs on a shallow copy of the state dict given
        to :meth:`load_state_dict`; it may change it in place or return the dict to load
        instead."""
        return _add_hook(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(
        self, hook: Callable[..., Any], prepend: bool = False
    ) -> RemovableHandle:
        """``hook(optimizer)`` runs once :meth:`load_state_dict` has loaded."""
        return _add_hook(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    def _update_group(self, group: dict[str, Any]) -> None:
        """Update each parameter of ``group`` that has a gradient, by :meth:`_update`."""
        stateful = self._keeps_state(group)
        # PyTorch's updates make nan or inf silently (a zero eps over a zero average, the
        # root of a rounding below zero); NumPy's would warn: not while a group updates (this
        # costs ~2us a group; SGD's plain descent, which cannot make them, skips it)
        with xp.errstate(invalid="ignore", divide="ignore", over="ignore"):
            for p in group["params"]:
                # ``_grad``, not ``grad``: a parameter is a leaf or retains its gradient, so
                # the property's warning about non-leaves never applies, and reading it twice
                # cost a call each
                grad = p._grad
                if grad is not None:
                    state = self.state[p] if stateful else None
                    self._update(group, p._data, grad._data, state)
                    p._vc[0] += 1  # an in-place change of the parameter

    def _update(
        self, group: dict[str, Any], param: Any, grad: Any, state: dict[str, Any] | None
    ) -> None:
        raise NotImplementedError

    def _keeps_state(self, group: dict[str, Any]) -> bool:
        """Whether ``group``'s updates keep per-parameter state; where not, ``_update`` gets
        None and ``self.state`` gets no entry for the parameter (as PyTorch's SGD without
        momentum leaves ``optimizer.state`` empty)."""
        return True

    # ------------------------------------------------------------------ helpers for _update
    @staticmethod
    def _refuse_negative(*named: tuple[str, Any], nan_passes: bool = False) -> None:
        """PyTorch's constructor checks, in order: ``ValueError("Invalid <name>: <value>")``
        for a value below 0 or nan (PyTorch's ``not 0.0 <= value``; SGD's ``value < 0.0``
        lets nan pass, ``nan_passes``), and a learning rate given as a tensor of more than
        one element refused."""
        for name, value in named:
            if name == "learning rate" and isinstance(value, Tensor) and value.numel() != 1:
                raise ValueError("Tensor lr must be 1-element")
            if value < 0.0 if nan_passes else not value >= 0.0:
                raise ValueError(f"Invalid {name}: {value}")

    @staticmethod
    def _descent_grad(group: dict[str, Any], param: Any, grad: Any, l2: bool = True) -> Any:
        """``grad`` negated under ``maximize``, plus ``weight_decay * param`` (L2 decay) when
        ``l2``; the array given is never changed (it is the parameter's ``.grad``)."""
        if group["maximize"]:
            grad = -grad
        if l2 and group["weight_decay"]:
            grad = grad + group["weight_decay"] * param
        return grad

    @staticmethod
    def _lerp(target: Any, end: Any, weight: float, scratch: Any) -> None:
        """``target.lerp_(end, weight)`` in place, by PyTorch's two formulas: ``target +
        weight * (end - target)`` for small weights, ``end - (end - target) * (1 - weight)``
        from 0.5 on (each exact at its own end)."""
        xp.subtract(end, target, out=scratch)
        if abs(weight) < 0.5:
            xp.multiply(scratch, weight, out=scratch)
            xp.add(target, scratch, out=target)
        else:
            xp.multiply(scratch, 1 - weight, out=scratch)
            xp.subtract(end, scratch, out=target)

    def _buffer(self, param: Any) -> Any:
        """A scratch array shaped like ``param``, reused across steps."""
        # Kept with a weak reference to the array it was made for: while that array lives,
        # the scratch has its shape and dtype, so a hit needs no compare of them (the compares
        # cost more than the rest of SGD's update); once it is freed, its id may name
        # another array, and the dead reference says so.
        entry = self._scratch.get(id(param))
        if entry is not None and entry[0]() is param:
            return entry[1]
        scratch = xp.empty_like(param)
        self._scratch[id(param)] = (weakref.ref(param), scratch)
        return scratch

    @staticmethod
    def _zeros_state(param: Any) -> Tensor:
        return _make(xp.zeros_like(param))

    @staticmethod
    def _step_count(state: dict[str, Any], fused: bool | None = None) -> float:
        """Increase and return the per-parameter step, a scalar tensor of
        :func:`scalar_state_dtype` as in PyTorch."""
        step = state.get("step")
        if step is None:
            step = state["step"] = _make(xp.zeros((), dtype=scalar_state_dtype(fused)))
        step._data += 1
        return float(step._data)

    # ------------------------------------------------------------------ state dicts
    def state_dict(self) -> dict[str, Any]:
        """``{"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}``.

        Parameters are numbered by their place in the groups, as in PyTorch (one listed twice
        in a group takes its last place, and the next group's numbers start after the whole
        list); the state holds the optimizer's own tensors (not copies). The state-dict
        pre hooks run first; each post hook's returned dict, if any, replaces the result.
        """
        for pre_hook in self._optimizer_state_dict_pre_hooks.values():
            pre_hook(self)
        index: dict[int, int] = {}
        groups = []
        start = 0
        for group in self.param_groups:
            params = group["params"]
            index.update({id(p): i for i, p in enumerate(params, start) if id(p) not in index})
            start += len(params)
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = [index[id(p)] for p in params]
            groups.append(packed)
        # Empty entries (SGD without momentum keeps nothing) are left out, as in PyTorch.
        state = {index[id(p)]: dict(s) for p, s in self.state.items() if s and id(p) in index}
        state_dict = {"state": state, "param_groups": groups}
        for post_hook in self._optimizer_state_dict_post_hooks.values():
            result = post_hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore hyperparameters and state saved by :meth:`state_dict` (here or in PyTorch,
        also an older PyTorch: its groups lack newer keys, and its scalar state is numbers).
        The load pre hooks get a shallow copy of ``state_dict`` (a returned dict is loaded
        instead), the post hooks run once it is loaded."""
        state_dict = state_dict.copy() if isinstance(state_dict, dict) else dict(state_dict)
        for pre_hook in self._optimizer_load_state_dict_pre_hooks.values():
            result = pre_hook(self, state_dict)
            if result is not None:
                state_dict = result
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        for ours, theirs in zip(self.param_groups, saved_groups, strict=True):
            if len(ours["params"]) != len(theirs["params"]):
                raise ValueError(  # PyTorch's words, without the two sizes
                    "loaded state dict contains a parameter group that doesn't match the size "
                    "of optimizer's group"
                )
        by_index = {
            saved: p
            for ours, theirs in zip(self.param_groups, saved_groups, strict=True)
            for saved, p in zip(theirs["params"], ours["params"], strict=True)
        }
        state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        for key, values in state_dict["state"].items():
            param = by_index.get(int(key))
            if param is None:
                continue
            state[param] = {name: self._state_value(name, v, param) for name, v in values.items()}
        # one deepcopy of all the groups, as PyTorch's: a value the groups share (the default
        # lr tensor) stays shared, so a scheduler filling it changes every group
        copied = copy.deepcopy(
            [{k: v for k, v in g.items() if k != "params"} for g in saved_groups]
        )
        tensors: dict[int, Tensor] = {}  # PyTorch's tensors made chainrule's, shared as they were
        groups = []
        for ours, theirs in zip(self.param_groups, copied, strict=True):
            group = {key: _own_tensors(value, tensors) for key, value in theirs.items()}
            group["params"] = ours["params"]
            if "param_names" in ours:
                group.setdefault("param_names", ours["param_names"])
            for key, value in self._old_group_defaults.items():
                group.setdefault(key, value)
            groups.append(group)
        self.__setstate__({"state": state, "param_groups": groups})
        for post_hook in self._optimizer_load_state_dict_post_hooks.values():
            post_hook(self)

    def _scalar_state_as_tensors(self) -> None:
        """Make scalar state saved as a number (by an older PyTorch) a 0-d tensor of
        :func:`scalar_state_dtype`, as PyTorch's ``__setstate__`` does."""
        for group in self.param_groups:
            dtype = scalar_state_dtype(group.get("fused"))
            for p in group["params"]:
                state = self.state.get(p, {})
                for name in self._scalar_state:
                    value = state.get(name)
                    if value is not None and not isinstance(value, Tensor):
                        state[name] = _make(xp.asarray(float(value), dtype))

    @staticmethod
    def _state_value(name: str, value: Any, param: Tensor) -> Any:
        """A saved state entry as this optimizer keeps it (LBFGS keeps more kinds)."""
        return _state_value(name, value, param)


# ---------------------------------------------------------------------------- hooks
# The hooks of each optimizer, in dicts by handle key as PyTorch's (its names: code that
# reads them finds them); not pickled, nor copied.
_HOOK_DICTS = (
    "_optimizer_step_pre_hooks",
    "_optimizer_step_post_hooks",
    "_optimizer_state_dict_pre_hooks",
    "_optimizer_state_dict_post_hooks",
    "_optimizer_load_state_dict_pre_hooks",
    "_optimizer_load_state_dict_post_hooks",
)
# (nor the scratch arrays, which hold weak references to the parameters: a copy makes its own)
_NOT_PICKLED = frozenset(("step", "_opt_called", "_scratch", *_HOOK_DICTS))

# The step hooks of every optimizer (register_optimizer_step_pre_hook, ...), by handle key
_global_optimizer_pre_hooks: OrderedDict[int, Callable[..., Any]] = OrderedDict()
_global_optimizer_post_hooks: OrderedDict[int, Callable[..., Any]] = OrderedDict()
_keys = itertools.count()  # a key per hook registered, as PyTorch's handle ids


class _Handle(RemovableHandle):
    """An optimizer hook's handle: PyTorch's ``id`` (its key in its dict), and a removal
    that takes the step wrappers away with the last step hook."""

    @property
    def id(self) -> int:
        return self._hook

    def remove(self) -> None:
        super().remove()
        if _wrappers_on and not _step_hooks_exist():
            _place_wrappers(False)


def _add_hook(
    hooks: OrderedDict[int, Callable[..., Any]], hook: Callable[..., Any], prepend: bool = False
) -> RemovableHandle:
    key = next(_keys)
    hooks[key] = hook
    if prepend:
        hooks.move_to_end(key, last=False)
    return _Handle(hooks, key)


def register_optimizer_step_pre_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """``hook(optimizer, args, kwargs)`` runs before every optimizer's ``step``, before the
    optimizer's own pre hooks; a returned ``(new_args, new_kwargs)`` replaces the
    arguments."""
    return _add_step_hook(None, _global_optimizer_pre_hooks, hook)


def register_optimizer_step_post_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """``hook(optimizer, args, kwargs)`` runs after every optimizer's ``step``, after the
    optimizer's own post hooks."""
    return _add_step_hook(None, _global_optimizer_post_hooks, hook)


# PyTorch wraps the ``step`` of each optimizer class it makes an instance of (once: not a
# class whose step it finds already wrapped, on a class above) in a function that runs the
# step hooks. Here the classes are noted alike, but their wrappers are in place only while a
# step hook exists: a step without hooks makes no Python call more (a plain SGD step is
# counted, test_nn_modules). Optimizer's own step is never replaced (cr.compile patches it
# while it traces): a class that inherits it gets a wrapper of its own.
_BASE_STEP = Optimizer.__dict__["step"]
_stepped: dict[type, type] = {}  # class noted -> the class whose step its wrapper calls
_own_steps: dict[type, Callable[..., Any]] = {}  # a noted class's own step (under its wrapper)
_wrappers: dict[type, Callable[..., Any]] = {}  # the wrapper of each noted class, made once
_wrappers_on = False
_with_step_hooks: weakref.WeakSet[Optimizer] = weakref.WeakSet()  # have had step hooks


def _note_step(cls: type) -> None:
    """PyTorch's ``_patch_step_function``: note ``cls`` unless the step it finds first on
    its classes is a noted class's (or the base class's, which no instance's is)."""
    if cls in _stepped or cls is Optimizer:
        return
    for owner in cls.__mro__:
        if owner in _stepped:
            return
        if "step" in vars(owner):
            break
    _stepped[cls] = owner
    if owner is cls:
        _own_steps[cls] = vars(cls)["step"]
    if _wrappers_on:
        _place_wrappers(True, (cls,))


def _step_of(owner: type) -> Callable[..., Any]:
    """The step a wrapper calls: the original one of ``owner`` (the base class's looked up
    at each call, as cr.compile may patch it)."""
    own = _own_steps.get(owner)
    return own if own is not None else vars(owner)["step"]


def _wrapper(cls: type) -> Callable[..., Any]:
    """PyTorch's ``profile_hook_step`` for ``cls``."""
    wrapper = _wrappers.get(cls)
    if wrapper is None:

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            return _run_step(cls, args, kwargs)

        wrapper.__name__, wrapper.__doc__ = "step", _own_steps.get(cls, _BASE_STEP).__doc__
        wrapper.__qualname__ = f"{cls.__qualname__}.step"
        wrapper.__module__ = cls.__module__
        wrapper.hooked = True  # type: ignore[attr-defined]  # PyTorch's mark
        _wrappers[cls] = wrapper
    return wrapper


def _place_wrappers(on: bool, classes: Iterable[type] | None = None) -> None:
    """Put the noted classes' wrappers in place, or take them away."""
    global _wrappers_on
    _wrappers_on = on
    for cls in _stepped if classes is None else classes:
        if on:
            cls.step = _wrapper(cls)  # type: ignore[attr-defined]
        elif cls in _own_steps:
            cls.step = _own_steps[cls]  # type: ignore[attr-defined]
        elif vars(cls).get("step") is _wrappers.get(cls):
            del cls.step  # type: ignore[attr-defined]


def _step_hooks_exist() -> bool:
    """Whether any step hook is registered, global or on a live optimizer."""
    if _global_optimizer_pre_hooks or _global_optimizer_post_hooks:
        return True
    return any(
        opt._optimizer_step_pre_hooks or opt._optimizer_step_post_hooks
        for opt in list(_with_step_hooks)
    )


def _add_step_hook(
    optimizer: Optimizer | None, hooks: OrderedDict[int, Callable[..., Any]], hook: Any
) -> RemovableHandle:
    handle = _add_hook(hooks, hook)
    if optimizer is not None:
        _with_step_hooks.add(optimizer)
    if not _wrappers_on:
        _place_wrappers(True)
    return handle


def step_hooks_of(optimizer: Any) -> tuple[OrderedDict[int, Callable[..., Any]], ...]:
    """The dicts of the hooks that run on ``optimizer``'s steps, in their order: the global
    pre hooks, its own pre and post hooks, the global post hooks."""
    return (
        _global_optimizer_pre_hooks,
        optimizer._optimizer_step_pre_hooks,
        optimizer._optimizer_step_post_hooks,
        _global_optimizer_post_hooks,
    )


def has_step_hooks(optimizer: Any) -> bool:
    """Whether a step of ``optimizer`` runs hooks (its own or global ones)."""
    return any(step_hooks_of(optimizer))


def wraps_inherited_step(cls: type) -> bool:
    """Whether the ``step`` in ``cls``'s own namespace is a hook wrapper of a step it
    inherits (cr.compile's test of a subclass's own step sees past it)."""
    return cls in _stepped and cls not in _own_steps


def _run_step(cls: type, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """One hooked step of ``args[0]``, by the wrapper of ``cls``: the global pre hooks, the
    optimizer's, the step, its post hooks, the global ones (PyTorch's order)."""
    self = args[0]
    global_pre, pre, post, global_post = step_hooks_of(self)
    if not (global_pre or pre or post or global_post) and not _step_hooks_exist():
        _place_wrappers(False)  # the last hook is gone (with its optimizer, or by its dict)
    step = _step_of(_stepped[cls])
    for pre_hook in itertools.chain(global_pre.values(), pre.values()):
        result = pre_hook(self, args, kwargs)
        if result is not None:
            if isinstance(result, tuple) and len(result) == 2:
                args, kwargs = result
            else:
                raise RuntimeError(
                    f"{_function_repr(cls, step)} must return None or a tuple of "
                    f"(new_args, new_kwargs), but got {result}."
                )
    out = step(*args, **kwargs)
    for post_hook in itertools.chain(post.values(), global_post.values()):
        post_hook(self, args, kwargs)
    return out


def _function_repr(cls: type, step: Callable[..., Any]) -> str:
    """The wrapped step as PyTorch names it in its error: each of its optimizers defines
    ``step``, where chainrule's define ``_update``; the first class to define either."""
    owner = next(c for c in cls.__mro__ if "step" in vars(c) or "_update" in vars(c))
    return f"<function {owner.__qualname__}.step at {id(step):#x}>"


def _own_tensors(value: Any, tensors: dict[int, Tensor]) -> Any:
    """A loaded group's value with PyTorch's tensors (a tensor ``lr``, Adam's ``betas``) made
    chainrule tensors, which the updates read as numbers; ``tensors`` holds those made so
    far, so that a tensor several groups share stays shared."""
    if type(value) is tuple:
        return tuple(_own_tensors(v, tensors) for v in value)
    if isinstance(value, Tensor) or not hasattr(value, "detach"):
        return value
    if id(value) not in tensors:
        tensors[id(value)] = _make(xp.array(xp.asarray(value.detach())))
    return tensors[id(value)]


def _state_value(name: str, value: Any, param: Tensor) -> Any:
    """A copy of a saved state entry as a chainrule Tensor; floating buffers take the
    parameter's dtype, and ``step`` stays as it is (PyTorch's rule)."""
    if value is None or isinstance(value, (int, float)):
        return value
    if isinstance(value, Tensor):
        array = value._data
    else:  # a NumPy array or a PyTorch tensor
        detach = getattr(value, "detach", None)
        array = xp.asarray(value if detach is None else detach())
    array = xp.array(array)
    if name == "step":
        return _make(array)
    # A buffer of another shape would broadcast silently in the update (or fail there with
    # an unhelpful message); say which entry is wrong while loading instead. Scalars (a
    # subclass's counters) have no parameter shape to match.
    if array.ndim and array.shape != param.shape:
        raise ValueError(
            f"loaded optimizer state {name!r} has shape {array.shape}, but its parameter has "
            f"shape {tuple(param.shape)}"
        )
    if dtypes.is_floating(array.dtype):
        array = array.astype(param.dtype, copy=False)
    return _make(array)
