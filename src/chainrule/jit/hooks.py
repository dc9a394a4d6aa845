"""The library's entry points, wrapped while a trace runs (and only then: eager code pays
nothing for tracing).

- ``Op.__call__`` (and a subclass's own): each op's forward is recorded;
- ``Module.__call__``: the modules called, whose settings the replay guards;
- ``run_backward``: the reverse pass, recorded through the engine's observer;
- ``Optimizer.step``, ``Optimizer.zero_grad``, ``Module.zero_grad``, ``Tensor.grad``: recorded
  as what they do to the arrays and ``.grad``;
- the step of an optimizer with step hooks (``optimizer._run_step``): recorded whole, a call;
- ``Tensor._data``: a read of a tensor's values outside the ops (``x._data.argmax()``), which
  would become a constant of the schedule, is reported (metadata reads like ``x._data.shape``
  are told apart by the bytecode that follows);
- ``item``, ``tolist``, ``numpy``, ``bool(t)``..., in-place ops, assigning ``.data``: reported.

Only the tracing thread is recorded; other threads' calls pass straight through.

    >>> from chainrule.jit.recording import Tracer
    >>> plain = Op.__call__
    >>> with installed(Tracer((), {})):
    ...     Op.__call__ is plain, len(active)
    (False, 1)
    >>> Op.__call__ is plain, active
    (True, [])
"""

from __future__ import annotations

import contextlib
import dis
import sys
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from chainrule.autodiff import backward as backward_module
from chainrule.nn.module import Module
from chainrule.op import Op
from chainrule.ops import inplace
from chainrule.optim import optimizer as optimizer_module
from chainrule.optim.optimizer import Optimizer
from chainrule.tensor import Tensor

if TYPE_CHECKING:
    from chainrule.jit.recording import Tracer

# The traces running now (at most one: see chainrule.jit.compiled).
active: list[Tracer] = []

# Tensor methods that hand a value to Python: what follows may depend on it.
_READS = ("item", "tolist", "numpy", "__bool__", "__float__", "__int__", "__index__", "__array__")
# Tensor members that read ``_data`` for its metadata only (or make an alias of it): safe.
_METADATA = (
    "shape",
    "size",
    "dtype",
    "ndim",
    "dim",
    "numel",
    "element_size",
    "is_floating_point",
    "is_contiguous",
    "stride",
    "requires_grad_",
    "detach",
    "__len__",
    "data",
)


def live(function: Any) -> Any:
    """``function`` without the wrappers on top of it whose patcher has closed (a trace, or a
    profile of :mod:`chainrule.autograd.profiler`). A patcher that closes while another
    thread's wrapper sits on top of its own cannot take its own off: it leaves it there,
    passing through, and whoever restores the attribute later restores ``live(...)`` of what
    it found, so no closed wrapper stays on for good. A wrapper says it is closed with a
    ``closed()`` attribute and names what it wraps with ``__wrapped__``."""
    while getattr(function, "closed", _never)():
        function = function.__wrapped__
    return function


def _never() -> bool:
    return False


def _with_own_call(cls: type) -> Iterator[type]:
    """``cls`` and its subclasses that define their own ``__call__``."""
    if "__call__" in vars(cls):
        yield cls
    for sub in cls.__subclasses__():
        yield from _with_own_call(sub)


# What ``tensor._data.<attr>`` may read without reading values: shapes, dtypes, layout.
_METADATA_ATTRS = frozenset(("shape", "dtype", "ndim", "size", "flags", "strides", "itemsize"))
_next_attr: dict[Any, dict[int, Any]] = {}  # code -> offset -> the attribute read next


def _reads_metadata(frame: Any) -> bool:
    """Whether the code reading ``._data`` at this frame goes straight on to a metadata
    attribute (``x._data.shape``): decided from the bytecode, at trace time only."""
    code = frame.f_code
    table = _next_attr.get(code)
    if table is None:
        instructions = list(dis.get_instructions(code))
        table = _next_attr[code] = {
            a.offset: b.argval if b.opname in ("LOAD_ATTR", "LOAD_METHOD") else None
            for a, b in zip(instructions, instructions[1:], strict=False)
        }
    return table.get(frame.f_lasti) in _METADATA_ATTRS


# What Op.__call__ keeps on a node; the rest of a node's attributes are the op's own.
_BOOKKEEPING = frozenset(Op.__slots__)


def op_state(op: Op) -> dict[str, Any]:
    """An op's own attributes (its ``__dict__`` and its subclasses' slots), by name."""
    state = dict(getattr(op, "__dict__", {}))
    for cls in type(op).__mro__:
        for name in getattr(cls, "__slots__", ()):
            if name not in _BOOKKEEPING and hasattr(op, name):
                state[name] = getattr(op, name)
    return state


@contextlib.contextmanager
def installed(tracer: Tracer) -> Iterator[None]:
    """Wrap the library's entry points for the duration of one trace (see the module doc)."""
    saved: list[tuple[Any, str, Any, Any]] = []

    def patch(owner: Any, name: str, make: Callable[[Any], Any]) -> None:
        original = vars(owner)[name]
        replacement = make(original)
        saved.append((owner, name, original, replacement))
        setattr(owner, name, replacement)

    def recording() -> bool:
        # Another thread's ops (a data loader's) are not part of the traced function.
        return tracer.depth == 0 and threading.get_ident() == tracer.thread

    def safely(function: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            if threading.get_ident() != tracer.thread:  # the counters are the trace's own
                return function(*args, **kwargs)
            tracer.safe += 1
            try:
                return function(*args, **kwargs)
            finally:
                tracer.safe -= 1

        return call

    def data_member(member: Any) -> property:
        # A value read outside the ops can steer the computation or become a constant that
        # the replay would not recompute (``argmax`` indices computed by hand, ...).
        def get(self: Tensor) -> Any:
            array = member.__get__(self, Tensor)
            if not tracer.safe and recording() and not _reads_metadata(sys._getframe(1)):
                tracer.on_value_read(self, array, sys._getframe(1).f_code)
            return array

        def put(self: Tensor, array: Any) -> None:
            if threading.get_ident() == tracer.thread:
                tracer.born[id(self)] = self
            member.__set__(self, array)

        return property(get, put)

    def metadata(original: Any) -> Any:
        if isinstance(original, property):
            return property(safely(original.fget), original.fset and safely(original.fset))
        return safely(original)

    def op_call(original: Any) -> Any:
        def call(self: Op, *inputs: Any) -> Tensor:
            if threading.get_ident() != tracer.thread:
                return original(self, *inputs)
            outermost = tracer.in_op == 0  # a subclass's __call__ calling Op.__call__: once
            tracer.safe += 1
            tracer.in_op += 1
            try:
                before = op_state(self)
                if outermost and getattr(self, "draws", False) and recording():
                    tracer.check_draws()  # the draws before this one are not replayed
                result = original(self, *inputs)
                if recording() and outermost:
                    tracer.on_op(self, before, inputs, result)
                return result
            finally:
                tracer.safe -= 1
                tracer.in_op -= 1

        call.__wrapped__ = original  # type: ignore[attr-defined]  # (see live)
        call.closed = lambda: tracer.thread is None  # type: ignore[attr-defined]
        return call

    def module_call(original: Any) -> Any:
        def call(self: Module, *args: Any, **kwargs: Any) -> Any:
            if recording():
                tracer.on_module(self)
            return original(self, *args, **kwargs)

        return call

    def run_backward(original: Any) -> Any:
        def run(*args: Any, **kwargs: Any) -> Any:
            if not recording():
                return original(*args, **kwargs)
            return tracer.on_backward(original, *args, **kwargs)

        return safely(run)

    def kept_whole(params: Callable[[Any], list[Tensor]]) -> Callable[[Any], Any]:
        def make(original: Any) -> Any:
            def method(self: Any, *args: Any, **kwargs: Any) -> Any:
                if not recording():
                    return original(self, *args, **kwargs)
                if kwargs or (original.__name__ == "step" and args and args[0] is not None):
                    tracer.fail(f"it calls {original.__name__} with a closure or keywords")
                    return original(self, *args, **kwargs)
                return tracer.on_call(self, original.__get__(self), params(self), *args)

            return method

        return make

    def hooked_step(original: Any) -> Any:
        def run(cls: type, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            # an optimizer without hooks of its own, while others have some, steps on to
            # Optimizer.step (patched above) or a subclass's own step
            if not recording() or not optimizer_module.has_step_hooks(args[0]):
                return original(cls, args, kwargs)
            if kwargs or (len(args) > 1 and args[1] is not None):
                tracer.fail("it calls step with a closure or keywords")
                return original(cls, args, kwargs)

            def step() -> Any:  # new kwargs at each replay: a hook may change them
                return original(cls, args, {})

            return tracer.on_hooked_step(args[0], step)

        return run

    def reads(name: str) -> Callable[[Any], Any]:
        def make(original: Any) -> Any:
            def method(self: Tensor, *args: Any, **kwargs: Any) -> Any:
                if recording():
                    tracer.fail(f"it reads a value into Python ({name})")
                return original(self, *args, **kwargs)

            return method

        return make

    def refused(what: str) -> Callable[[Any], Any]:
        def make(original: Any) -> Any:
            def function(*args: Any, **kwargs: Any) -> Any:
                if recording():
                    tracer.fail(what)
                return original(*args, **kwargs)

            return function

        return make

    def grad_property(original: property) -> property:
        def get(self: Tensor) -> Any:
            value = original.fget(self)
            if recording():
                tracer.on_grad_read(self, value)
            return value

        def put(self: Tensor, value: Any) -> None:
            if recording():
                tracer.on_grad_write(self, value)
            original.fset(self, value)

        return property(safely(get), safely(put), doc=original.__doc__)

    def data_property(original: property) -> property:
        def put(self: Tensor, value: Any) -> None:
            if recording():
                tracer.fail("it assigns to .data")
            original.fset(self, value)

        return property(safely(original.fget), put, doc=original.__doc__)

    def optimizer_params(opt: Optimizer) -> list[Tensor]:
        return [p for group in opt.param_groups for p in group["params"]]

    active.append(tracer)
    try:
        for cls in _with_own_call(Op):
            patch(cls, "__call__", op_call)
        patch(Module, "__call__", module_call)
        patch(backward_module, "run_backward", run_backward)
        patch(Optimizer, "step", kept_whole(optimizer_params))
        patch(optimizer_module, "_run_step", hooked_step)
        patch(Optimizer, "zero_grad", kept_whole(optimizer_params))
        patch(Module, "zero_grad", kept_whole(lambda module: list(module.parameters())))
        for name in _METADATA:
            if name != "data":
                patch(Tensor, name, metadata)
        patch(Tensor, "grad", grad_property)
        patch(Tensor, "data", data_property)
        patch(Tensor, "_data", data_member)
        for name in _READS:
            patch(Tensor, name, reads(name))
        patch(inplace, "apply", refused("it changes a tensor in place"))
        patch(inplace, "_update", refused("it changes a tensor in place"))
        yield
    finally:
        tracer.thread = None  # every wrapper passes through from now on (see live)
        for owner, name, original, replacement in reversed(saved):
            # (another thread's profile may have wrapped an op's call since: it stays on top,
            # and takes this one off as it closes)
            if vars(owner).get(name) is replacement:
                setattr(owner, name, live(original))
        active.remove(tracer)
