"""``cr.compile``: trace once per input signature, then replay the flat schedule.

A call is keyed by its guards: each tensor argument's shape, dtype and ``requires_grad``, the
other arguments' values, and grad mode. The first call with a new key runs eagerly while it is
traced (see :mod:`chainrule.jit.recording`); later calls with that key replay the schedule (see
:mod:`chainrule.jit.schedule`), after checking that captured tensors kept their shape and dtype
and each ``.grad`` the function touches is in the state it was traced in (else it is traced
again). What cannot be replayed runs eagerly, with a warning, once, that says why.
"""

from __future__ import annotations

import functools
import threading
import warnings
from collections.abc import Callable, Hashable
from typing import Any

from chainrule import grad_mode
from chainrule._array import xp
from chainrule.autodiff import anomaly, open_transforms
from chainrule.jit import hooks, recording
from chainrule.jit.schedule import MISS, Schedule
from chainrule.tensor import Tensor

# Traces per compiled function, then eager (PyTorch's ``cache_size_limit`` is also 8).
CACHE_SIZE_LIMIT = 8
_tracing = threading.Lock()


def compile(  # noqa: A001 - PyTorch's name
    model: Callable[..., Any] | None = None,
    *,
    fullgraph: bool = False,
    dynamic: bool | None = None,
    backend: str | Callable[..., Any] = "numpy",
    mode: str | None = None,
    options: dict[str, Any] | None = None,
    disable: bool = False,
) -> Any:
    """Compile a function or module into a replayed schedule of NumPy calls.

    The function runs eagerly once per input signature while it is traced; later calls with
    the same shapes, dtypes, grad mode and ``requires_grad`` flags replay the recorded array
    calls (forward, backward and optimizer updates) without building Tensors or a graph. The
    results equal the eager ones, bit for bit.

    The replay repeats what the function did to arrays and ``.grad``; its Python side effects
    (printing, appending to a list, a module hook's own bookkeeping) happen only while it is
    traced, as with ``jax.jit``. Values read into Python, values read outside the ops, in-place
    ops and random draws outside the ops (``cr.rand``) make it run eagerly instead, with a
    warning naming the reason; dropout's mask is an op, drawn afresh at each replay.

    ``fullgraph=True`` raises (after the eager run) where the default would fall back to eager.
    ``dynamic`` is accepted and ignored: every new shape is traced again, as with
    ``dynamic=False``. ``backend``, ``mode`` and ``options`` are accepted and ignored: there is
    one backend, the NumPy schedule. ``disable=True`` returns ``model`` unchanged.

        >>> import chainrule as cr
        >>> model = cr.nn.Linear(3, 1)
        >>> opt = cr.optim.SGD(model.parameters(), lr=0.1)
        >>> @cr.compile
        ... def step(x, y):
        ...     opt.zero_grad()
        ...     loss = ((model(x) - y) ** 2).mean()
        ...     loss.backward()
        ...     opt.step()
        ...     return loss
        >>> x, y = cr.ones(4, 3), cr.zeros(4, 1)
        >>> losses = [step(x, y).item() for _ in range(3)]  # traced once, then replayed
        >>> losses[0] > losses[1] > losses[2]
        True
    """
    del dynamic, backend, mode, options  # see the docstring: accepted, not used

    def wrap(fn: Callable[..., Any]) -> Any:
        if disable:
            return fn
        return CompiledFunction(fn, fullgraph=fullgraph)

    return wrap if model is None else wrap(model)


class CompiledFunction:
    """A function with its traces: call it as the function itself."""

    def __init__(self, fn: Callable[..., Any], fullgraph: bool = False) -> None:
        self._orig_mod = fn  # PyTorch's name for what was compiled
        self.fullgraph = fullgraph
        # key -> its schedules (newest first), or why calls with that key run eagerly
        self.cache: dict[Hashable, list[Schedule] | str] = {}
        self.warned: set[str] = set()
        self.traces = 0  # how many times the function was traced (for tests and tuning)
        self._alive: list[Any] = []  # the traced arguments keyed by their ids (see _key)
        self._lock = threading.Lock()
        # The name and docstring (not the attributes: a module's would land on this object).
        functools.update_wrapper(self, fn, updated=())  # type: ignore[arg-type]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if hooks.active:  # inside a trace (another compiled function's): record the ops
            return self._orig_mod(*args, **kwargs)
        key, why_not = _key(args, kwargs)
        if why_not is not None:
            return self._eager(why_not, args, kwargs)
        entry = self.cache.get(key)
        if isinstance(entry, str):
            return self._eager(entry, args, kwargs)
        for schedule in entry or ():  # one per .grad state met with this key, newest first
            with self._lock:  # the buffers of a schedule serve one replay at a time
                result = schedule.run(args, kwargs)
            if result is not MISS:
                return result
        return self._trace(key, args, kwargs)

    def code(self, *args: Any, **kwargs: Any) -> str:
        """The generated replay function for these arguments (traced first if need be)."""
        key, _why = _key(args, kwargs)
        if key not in self.cache:
            self(*args, **kwargs)
        entry = self.cache.get(key)
        return entry[0].code if isinstance(entry, list) else f"# runs eagerly: {entry}"

    # ------------------------------------------------------------------ tracing and fallback
    def _trace(self, key: Hashable, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if self.traces >= CACHE_SIZE_LIMIT:
            return self._eager(f"more than {CACHE_SIZE_LIMIT} traces", args, kwargs)
        # One trace at a time in the process (the library's entry points are wrapped while
        # it runs); another thread meanwhile runs its call eagerly.
        if not _tracing.acquire(blocking=False):
            return self._orig_mod(*args, **kwargs)
        try:
            self.traces += 1
            self._alive += [v for v in (*args, *kwargs.values()) if not isinstance(v, Tensor)]
            schedule, result = recording.trace(self._orig_mod, args, kwargs)
        finally:
            _tracing.release()
        if schedule.failure is None:
            self.cache[key] = [schedule, *self.cache.get(key, ())]
        else:
            self.cache[key] = schedule.failure
            self._warn(schedule.failure)
        return result

    def _eager(self, reason: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        self._warn(reason)
        return self._orig_mod(*args, **kwargs)

    def _warn(self, reason: str) -> None:
        name = getattr(self._orig_mod, "__qualname__", type(self._orig_mod).__name__)
        message = f"cr.compile: {name} runs eagerly: {reason}"
        if self.fullgraph:
            raise RuntimeError(message + " (fullgraph=True)")
        if reason not in self.warned:
            self.warned.add(reason)
            warnings.warn(message, RuntimeWarning, stacklevel=4)


def _key(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Hashable, str | None]:
    """The guard key of a call, or why the call cannot be compiled at all."""
    if open_transforms.here.vmap or open_transforms.here.dual or anomaly.enabled:
        return None, "it is called inside vmap, forward-mode AD or anomaly detection"
    parts: list[Hashable] = [grad_mode.modes.enabled]
    first: dict[int, Any] = {}  # id(array) -> the first argument on it: aliasing is traced
    for name, value in [*enumerate(args), *sorted(kwargs.items())] if kwargs else enumerate(args):
        if isinstance(value, Tensor):
            if value.requires_grad and value._grad_fn is not None:
                return None, f"argument {name} is part of a graph (it has a grad_fn)"
            data = value._data
            # The dtype itself, not its ``.str``: equal dtypes hash alike, and ``.str`` is a
            # new string at each call, hashed anew.
            parts.append((name, data.shape, data.dtype, value.requires_grad))
            if first.setdefault(id(data), name) != name:  # f(x, x): one array, one slot
                parts.append((name, "is", first[id(data)]))
        elif isinstance(value, list | tuple | dict) and _holds_tensor(value):
            return None, f"argument {name} holds tensors inside a {type(value).__name__}"
        else:
            try:
                hash(value)
                parts.append((name, type(value), value))
            except TypeError:
                parts.append((name, *_unhashable_key(value)))
    return tuple(parts), None


def _unhashable_key(value: Any) -> tuple[Hashable, ...]:
    """A list of numbers or an array by its values (a new list at each call may have the id of
    the last one); anything else (a module) by identity (the compiled function keeps the
    traced ones alive, so that no new object takes their ids)."""
    if isinstance(value, xp.ndarray):
        return ("array", value.shape, value.dtype, value.tobytes())
    if isinstance(value, list | tuple | dict):
        try:
            frozen = _frozen(value)
            hash(frozen)
            return (type(value), frozen)
        except TypeError:
            pass
    return ("id", id(value))


def _frozen(value: Any) -> Hashable:
    if isinstance(value, dict):
        return tuple((k, _frozen(v)) for k, v in value.items())
    if isinstance(value, list | tuple):
        return (type(value), tuple(_frozen(v) for v in value))
    if isinstance(value, xp.ndarray):
        raise TypeError  # by identity
    return value


def _holds_tensor(value: Any) -> bool:
    items = value.values() if isinstance(value, dict) else value
    return any(
        isinstance(v, Tensor) or (isinstance(v, list | tuple | dict) and _holds_tensor(v))
        for v in items
    )
