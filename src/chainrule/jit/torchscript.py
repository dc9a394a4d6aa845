"""PyTorch's TorchScript entry points (``torch.jit.script``, ``trace``, ``freeze``, ...), so
that code written with them runs, computing what eager Python computes.

chainrule has no TorchScript: it cannot compile a Python function into a program of its own.
:func:`script` and :func:`trace` therefore return objects that run the original Python as it
is, with the API PyTorch's results have: a scripted or traced Module is a
:class:`ScriptModule` (an instance of the module's own class too) with the original's
parameters and buffers, its own training flag, and scripted submodules; a function becomes a
:class:`ScriptFunction`. Their values and gradients are eager's, always: where PyTorch's trace
freezes the Python control flow of its example, chainrule's follows each input. For speed,
:func:`chainrule.compile` replays array calls and falls back to eager where it cannot.
What needs a program, :func:`save` and :func:`load`, raises NotImplementedError that names
``chainrule.save(model.state_dict(), path)``.

    >>> import chainrule as cr
    >>> layer = cr.nn.Linear(2, 1)
    >>> scripted = cr.jit.script(layer)
    >>> scripted.weight is layer.weight, isinstance(scripted, cr.jit.ScriptModule)
    (True, True)
    >>> x = cr.ones(3, 2)
    >>> cr.equal(scripted(x), layer(x))
    True
"""

from __future__ import annotations

import copy
import functools
import warnings
from collections.abc import Callable
from typing import Any, Final

from chainrule.nn.module import Module

__all__ = [
    "Final",
    "Future",
    "ScriptFunction",
    "ScriptModule",
    "annotate",
    "export",
    "fork",
    "freeze",
    "ignore",
    "is_scripting",
    "is_tracing",
    "load",
    "optimize_for_inference",
    "save",
    "script",
    "trace",
    "trace_module",
    "unused",
    "wait",
]

_NO_PROGRAMS = (
    "chainrule cannot serialize a TorchScript program: a scripted module runs its Python "
    "code. Keep the weights with chainrule.save(model.state_dict(), path) and load them into "
    "a model built in Python with model.load_state_dict(chainrule.load(path))"
)


def _deprecated(name: str) -> None:
    """PyTorch's warning: its TorchScript entry points are deprecated for ``torch.compile``."""
    warnings.warn(
        f"`chainrule.jit.{name}` is deprecated. Please use `chainrule.compile` instead.",
        DeprecationWarning,
        stacklevel=3,
    )


class ScriptModule(Module):
    """The class of what :func:`script` and :func:`trace` return for a Module: each is also an
    instance of the module's own class, running its Python ``forward``."""

    def save(self, f: Any, **kwargs: Any) -> None:
        """Refused: see :func:`save`."""
        raise NotImplementedError(_NO_PROGRAMS)


class ScriptFunction:
    """What :func:`script` and :func:`trace` return for a function: it calls the function."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        functools.update_wrapper(self, fn)  # the name, docstring and ``__wrapped__``

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.__wrapped__(*args, **kwargs)

    def save(self, f: Any, **kwargs: Any) -> None:
        """Refused: see :func:`save`."""
        raise NotImplementedError(_NO_PROGRAMS)


# Module class -> its scripted class (the class and ScriptModule), made once per class.
_scripted_classes: dict[type, type] = {}


def _script_module(module: Module) -> ScriptModule:
    """A new module of ``module``'s class and :class:`ScriptModule` with the same parameters and
    buffers, copies of its other containers (its own training flag), and scripted submodules:
    what PyTorch's scripted module shares with the original."""
    if isinstance(module, ScriptModule):
        return module
    cls = type(module)
    scripted_class = _scripted_classes.get(cls)
    if scripted_class is None:
        bases = (ScriptModule,) if cls is Module else (cls, ScriptModule)
        names = {"__module__": cls.__module__, "__qualname__": cls.__qualname__}
        scripted_class = _scripted_classes[cls] = type(cls.__name__, bases, names)
    scripted = object.__new__(scripted_class)
    state = {
        k: copy.copy(v) if type(v) in (dict, list, set) else v for k, v in vars(module).items()
    }
    state["_modules"] = {
        name: None if child is None else _script_module(child)
        for name, child in module._modules.items()
    }
    state["_compiled_call_impl"] = None  # (a compiled module's is bound to the original)
    vars(scripted).update(state)
    return scripted


def script(
    obj: Any,
    optimize: Any = None,
    _frames_up: int = 0,
    _rcb: Any = None,
    example_inputs: Any = None,
) -> Any:
    """A Module as a :class:`ScriptModule` (parameters shared with ``obj``), a function as a
    :class:`ScriptFunction`; both compute what ``obj`` computes. Classes and other objects are
    returned as they are: eager Python runs them. The other arguments are accepted and unused.

        >>> import chainrule as cr
        >>> @cr.jit.script
        ... def f(x):
        ...     return x.relu() * 2 if x.sum() > 0 else x
        >>> f(cr.tensor([-1.0, 2.0]))
        tensor([0., 4.])
    """
    _deprecated("script")
    if isinstance(obj, Module):
        return _script_module(obj)
    if isinstance(obj, ScriptFunction | type) or not callable(obj):
        return obj
    return ScriptFunction(obj)


def _as_tuple(example: Any) -> tuple[Any, ...]:
    """PyTorch's ``make_tuple``: a tensor or a dict is one argument, other iterables several."""
    from chainrule.tensor import Tensor

    if isinstance(example, Tensor | dict):
        return (example,)
    return example if isinstance(example, tuple) else tuple(example)


def trace(
    func: Any,
    example_inputs: Any = None,
    optimize: Any = None,
    check_trace: bool = True,
    check_inputs: Any = None,
    check_tolerance: float = 1e-5,
    strict: bool = True,
    _force_outplace: bool = False,
    _module_class: Any = None,
    _compilation_unit: Any = None,
    example_kwarg_inputs: dict[str, Any] | None = None,
    _store_inputs: bool = True,
) -> Any:
    """Run ``func`` once on the example, as PyTorch's trace does, and return it as
    :func:`script` does: a Module (or its ``forward``) through :func:`trace_module`, a function
    as a :class:`ScriptFunction`. Later calls run the Python anew, so their values and
    gradients are eager's for any input (PyTorch's trace would replay the example's control
    flow). The checking arguments are accepted and unused.

        >>> import chainrule as cr
        >>> layer = cr.nn.Linear(2, 1)
        >>> traced = cr.jit.trace(layer, cr.ones(1, 2))
        >>> x = cr.ones(4, 2)
        >>> cr.equal(traced(x), layer(x)), traced.bias is layer.bias
        (True, True)
    """
    if isinstance(func, ScriptModule):
        warnings.warn(
            "The input to trace is already a ScriptModule, tracing it is a no-op. Returning the "
            "object as is.",
            stacklevel=2,
        )
        return func
    owner = getattr(func, "__self__", None)
    if isinstance(func, Module) or (
        isinstance(owner, Module) and getattr(func, "__name__", None) == "forward"
    ):
        if example_inputs is None:
            if not isinstance(example_kwarg_inputs, dict):
                raise RuntimeError("example_kwarg_inputs should be a dict")
            example_inputs = example_kwarg_inputs
        module = func if isinstance(func, Module) else owner
        return trace_module(
            module,
            {"forward": example_inputs},
            example_inputs_is_kwarg=isinstance(example_kwarg_inputs, dict),
        )
    if isinstance(owner, Module):
        raise AttributeError(
            "trace doesn't support compiling individual module's functions.\n"
            "Please use trace_module"
        )
    _deprecated("trace")
    if isinstance(example_kwarg_inputs, dict):
        func(**example_kwarg_inputs)
    else:
        func(*_as_tuple(example_inputs))
    return ScriptFunction(func)


def trace_module(
    mod: Module,
    inputs: dict[str, Any],
    optimize: Any = None,
    check_trace: bool = True,
    check_inputs: Any = None,
    check_tolerance: float = 1e-5,
    strict: bool = True,
    _force_outplace: bool = False,
    _module_class: Any = None,
    _compilation_unit: Any = None,
    example_inputs_is_kwarg: bool = False,
    _store_inputs: bool = True,
) -> ScriptModule:
    """Run each method named in ``inputs`` once on its example (``"forward"``: a call of the
    module, hooks included), then return the module as :func:`script` does.

        >>> import chainrule as cr
        >>> layer = cr.nn.Linear(2, 1)
        >>> traced = cr.jit.trace_module(layer, {"forward": cr.ones(1, 2)})
        >>> traced.weight is layer.weight
        True
    """
    _deprecated("trace_module")
    if not isinstance(mod, Module):
        raise AttributeError("expected chainrule.nn.Module as the first argument")
    if not isinstance(inputs, dict):
        raise AttributeError("expected a dictionary of (method_name, input) pairs")
    for name, example in inputs.items():
        method = mod if name == "forward" else getattr(mod, name)
        if isinstance(example, dict) and example_inputs_is_kwarg:
            method(**example)
        else:
            method(*_as_tuple(example))
    return _script_module(mod)


def freeze(
    mod: ScriptModule, preserved_attrs: list[str] | None = None, optimize_numerics: bool = True
) -> ScriptModule:
    """A copy of a scripted module in eval mode whose parameters and buffers are constants:
    the original's values detached (they require no grad and share its memory), no longer
    registered (``parameters()`` and ``state_dict()`` are empty, as PyTorch's), except those
    named in ``preserved_attrs`` (``"weight"``, ``"layer.bias"``), copied as they are.

        >>> import chainrule as cr
        >>> frozen = cr.jit.freeze(cr.jit.script(cr.nn.Linear(2, 1)).eval())
        >>> list(frozen.parameters()), frozen(cr.ones(1, 2)).requires_grad
        ([], False)
    """
    _deprecated("freeze")
    if not isinstance(mod, ScriptModule):
        raise RuntimeError(
            "Freezing expects a ScriptModule as input. "
            "Please use chainrule.jit.script or chainrule.jit.trace to script your 'nn.Module'."
        )
    if mod.training:
        raise RuntimeError(
            "Freezing is currently only implemented for modules in eval mode. "
            "Please call .eval() on your module before freezing."
        )
    kept = set(preserved_attrs or ())
    named = [*mod.named_parameters(), *mod.named_buffers()]
    # A copy of the modules whose constants are the original's values detached (memory shared,
    # as PyTorch's frozen module's are: an in-place change of the original's shows).
    frozen = copy.deepcopy(mod, {id(t): t.detach() for name, t in named if name not in kept})
    for prefix, module in frozen.named_modules():
        for table in (module._parameters, module._buffers):
            for name, value in list(table.items()):
                if (f"{prefix}.{name}" if prefix else name) not in kept:
                    del table[name]
                    module._non_persistent_buffers_set.discard(name)
                    vars(module)[name] = value
    return frozen


def optimize_for_inference(mod: ScriptModule, other_methods: list[str] | None = None) -> Any:
    """PyTorch's: the module set to eval mode, then :func:`freeze` (which chainrule's
    optimizations amount to), ``other_methods`` preserved.

        >>> import chainrule as cr
        >>> model = cr.jit.optimize_for_inference(cr.jit.script(cr.nn.Linear(2, 1)))
        >>> model.training
        False
    """
    _deprecated("optimize_for_inference")
    if not isinstance(mod, ScriptModule):
        raise RuntimeError(
            "optimize_for_inference expects a ScriptModule as input. "
            "Please use chainrule.jit.script or chainrule.jit.trace to script your 'nn.Module'."
        )
    return freeze(mod.eval(), preserved_attrs=other_methods)


def save(m: Any, f: Any, _extra_files: Any = None) -> None:
    """Refused with NotImplementedError: chainrule has no programs to serialize; keep the
    weights with ``chainrule.save(model.state_dict(), path)``.

        >>> import chainrule as cr
        >>> cr.jit.save(cr.jit.script(cr.nn.Linear(2, 1)), "model.pt")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        NotImplementedError: chainrule cannot serialize a TorchScript program: ...
    """
    raise NotImplementedError(_NO_PROGRAMS)


def load(f: Any, map_location: Any = None, _extra_files: Any = None) -> Any:
    """Refused with NotImplementedError, as :func:`save`: build the model in Python and load
    its weights with ``model.load_state_dict(chainrule.load(path))``."""
    raise NotImplementedError(_NO_PROGRAMS)


def ignore(drop: Any = False, **kwargs: Any) -> Any:
    """``@ignore`` or ``@ignore(drop=...)``: the function as it is (eager Python runs it).

    >>> @ignore
    ... def debug(x):
    ...     return x
    >>> debug(3)
    3
    """
    if callable(drop):
        return drop
    if not isinstance(drop, bool):
        raise RuntimeError(
            f"Argument to @chainrule.jit.ignore must be a bool or a function but got {drop}"
        )
    return lambda fn: fn


def unused(fn: Any) -> Any:
    """``@unused``: the function (or property) as it is."""
    return fn


def export(fn: Any) -> Any:
    """``@export``: the method as it is; every method of a scripted module can be called."""
    return fn


def is_scripting() -> bool:
    """False: chainrule never compiles to TorchScript, so code always runs as Python."""
    return False


def is_tracing() -> bool:
    """False: :func:`trace` runs its example as plain Python, not under a tracer."""
    return False


def annotate(the_type: Any, the_value: Any) -> Any:
    """``the_value``: the type is for TorchScript's compiler.

    >>> annotate(list[int], [])
    []
    """
    return the_value


class Future:
    """What :func:`fork` returns: the call's result, computed already."""

    def __init__(self, value: Any) -> None:
        self._value = value

    def wait(self) -> Any:
        return self._value

    def value(self) -> Any:
        return self._value

    def done(self) -> bool:
        return True


def fork(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Future:
    """``func(*args, **kwargs)``, run now (PyTorch's fork runs it eagerly too outside a
    TorchScript program), as a :class:`Future`; an error is raised here, as PyTorch's is.

        >>> fut = fork(pow, 2, 10)
        >>> wait(fut), fut.wait()
        (1024, 1024)
    """
    _deprecated("fork")
    return Future(func(*args, **kwargs))


def wait(future: Future) -> Any:
    """The value of a :func:`fork`'s future."""
    return future.wait()
