"""Tracing: run a function eagerly once and record what it did as a flat schedule.

While a :class:`Tracer` is active, the library's entry points report to it
(:mod:`chainrule.jit.hooks`): each op's forward on the arrays it read; each node's vjp in the
reverse pass, in the engine's order, then the central unbroadcast, cast and sum of
contributions and the accumulation into the leaves' ``.grad``; the optimizer's updates and the
clearing of ``.grad``. What the schedule cannot replay (a value read into Python or outside the
ops, an in-place op, ``autograd.grad``, random draws outside the ops) marks the trace as
failed, with the reason; the eager run itself goes on and its results stand. An op that draws
(dropout's mask) is replayed as any other: its forward draws afresh at each call.

Every array is a numbered slot: arguments, external tensors (parameters, constants, read at
each replay from the tensor), and each result. :class:`chainrule.jit.schedule.Schedule` turns
the recorded steps into one Python function.

    >>> import chainrule as cr
    >>> from chainrule.jit.recording import trace
    >>> x = cr.tensor([1.0, 2.0])
    >>> schedule, result = trace(lambda t: (t * 2).exp(), (x,), {})
    >>> schedule.failure is None, result
    (True, tensor([ 7.3891, 54.5981]))
"""

from __future__ import annotations

import copy
import keyword
import threading
from collections.abc import Callable, Iterator
from typing import Any

from chainrule import dtypes, graph, rng
from chainrule._array import xp
from chainrule.autodiff import backward as backward_module
from chainrule.autodiff import open_transforms
from chainrule.jit import hooks
from chainrule.jit.schedule import Out, Schedule
from chainrule.nn.module import Module
from chainrule.op import Op
from chainrule.ops.broadcast import unbroadcast
from chainrule.optim import optimizer as optimizer_module
from chainrule.optim.optimizer import Optimizer
from chainrule.tensor import Tensor


def trace(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Run ``fn(*args, **kwargs)`` eagerly, recording it; return ``(schedule, result)``.

    ``schedule.failure`` says why it cannot be replayed (None when it can).
    """
    tracer = Tracer(args, kwargs)
    with hooks.installed(tracer):
        result = fn(*args, **kwargs)
    tracer.check_draws()
    tracer.guard_function(fn)
    tracer.finish(result)
    return tracer.schedule, result


class Tracer:
    """The recording of one eager run: slots for arrays and the steps between them."""

    def __init__(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.schedule = Schedule()
        self.slot_of: dict[int, int] = {}  # id(array) -> slot
        self.values: dict[int, Any] = {}  # slot -> the array during the trace (kept alive)
        self.views: dict[tuple[Any, ...], int] = {}  # (address, shape, strides, dtype) -> slot
        self.tensor_name: dict[int, str] = {}  # id(Tensor) -> its name in the schedule
        self.nodes: dict[int, tuple[Any, list[str], int]] = {}  # id(node) -> (clone, ins, out)
        self.pending: dict[Any, int] = {}  # node -> slot of its gradient so far (the engine's)
        self.touched: set[int] = set()  # ids of tensors whose .grad state is guarded
        self.depth = 0  # > 0 inside a call kept whole (optimizer step): nothing is recorded
        self.thread = threading.get_ident()
        self.safe = 0  # > 0 where reading a tensor's array is the library's own business
        self.in_op = 0  # > 0 inside an op's __call__
        self.born: dict[int, Tensor] = {}  # tensors made during the trace, by id
        self.external_slots: set[int] = set()
        self.keep: list[Any] = []
        self.positions: dict[int, Any] = {}  # id(argument tensor) -> its position
        self.externals: set[int] = set()  # ids of the tensors read but not given
        self.modules: dict[int, Module] = {}  # the modules called, by id
        self.leaves: dict[int, Tensor] = {}  # the leaves that backward reached, by id
        # The generator's state after the last draw the schedule replays (an op that
        # ``draws``, dropout's mask): a draw anywhere else would be frozen into the schedule.
        self.rng_state = rng.default_generator.get_state()
        for position, value in _tensor_arguments(args, kwargs):
            slot = self._new_slot(value._data)
            self.tensor_name[id(value)] = self.schedule.argument(position, slot)
            self.positions[id(value)] = position

    # ------------------------------------------------------------------ failures
    def fail(self, reason: str) -> None:
        """Mark the trace as not replayable (the first reason is the one reported)."""
        if self.schedule.failure is None:
            self.schedule.failure = reason

    def check_draws(self) -> None:
        """Fail if the generator moved since the last op that draws (``cr.rand``, or a
        state set by ``set_rng_state``: the replay would not repeat it)."""
        if _rng_moved(self.rng_state, rng.default_generator.get_state()):
            self.fail("it draws random numbers or sets the generator outside chainrule's ops")

    # ------------------------------------------------------------------ slots
    def _new_slot(self, array: Any) -> int:
        slot = len(self.values)
        self.values[slot] = array
        self.slot_of[id(array)] = slot
        self.views[_view_key(array)] = slot
        return slot

    def _slot(self, value: Tensor) -> int:
        """The slot of a tensor's array; an array never seen is an external tensor's."""
        array = value._data
        slot = self.slot_of.get(id(array))
        if slot is not None:
            return slot
        slot = self.views.get(_view_key(array))
        if slot is not None:  # the same memory as a traced array (``detach()``): an alias
            return slot
        for known in self.values.values():
            if isinstance(known, xp.ndarray) and xp.may_share_memory(array, known):
                self.fail("a tensor shares memory with a traced value but no op made it")
                break
        if id(value) in self.born and value._grad_fn is not None:
            self.fail(f"a {type(value._grad_fn).__name__} node was made without Op.__call__")
        slot = self._new_slot(array)
        self.external_slots.add(slot)
        self.externals.add(id(value))
        self.schedule.external(slot, value)
        self.keep.append(value)
        return slot

    def on_value_read(self, tensor: Tensor, array: Any, code: Any) -> None:
        """A tensor's values read outside the ops: fine for a constant made during the trace
        (its values are the same at each replay); otherwise the replay could differ."""
        if id(tensor) in self.born and not self._traced(array):
            return
        self.fail(
            "it reads a tensor's values outside chainrule's ops "
            f"({_short(code.co_filename)}, in {code.co_name})"
        )

    def _holds_traced(self, value: Any, depth: int = 0) -> bool:
        """Whether a setting of an op (an index key, ...) is or holds a traced value."""
        if isinstance(value, Tensor):
            value = vars(Tensor)["_data"].__get__(value, Tensor)  # not a read of its values
        if isinstance(value, xp.ndarray):
            return self._traced(value)
        if isinstance(value, (tuple, list)) and depth < 3:
            return any(self._holds_traced(v, depth + 1) for v in value)
        return False

    def _traced(self, array: Any) -> bool:
        """Whether an array is, or shares memory with, an argument or a result of an op."""
        slot = self.slot_of.get(id(array), self.views.get(_view_key(array)))
        if slot is not None:
            return slot not in self.external_slots
        return any(
            isinstance(known, xp.ndarray) and xp.may_share_memory(array, known)
            for slot, known in self.values.items()
            if slot not in self.external_slots
        )

    def _tensor(self, value: Tensor) -> str:
        """The schedule's name for a tensor object (an argument, or a global)."""
        name = self.tensor_name.get(id(value))
        if name is None:
            name = self.tensor_name[id(value)] = self.schedule.constant(value)
            self.keep.append(value)
        return name

    # ------------------------------------------------------------------ forward
    def on_op(self, op: Op, before: dict[str, Any], inputs: tuple[Any, ...], result: Any) -> None:
        """Record an applied op; ``before`` is its own state before its forward ran."""
        if open_transforms.here.vmap or open_transforms.here.dual:
            self.fail("it uses vmap or forward-mode AD inside")
            return
        if any(self._holds_traced(value) for value in before.values()):
            # Its forward would read the traced run's value at every replay.
            self.fail(f"a {type(op).__name__} op keeps a traced tensor among its settings")
        if op.promotes and _promoted(op, inputs):
            # Op.__call__ cast the operands to PyTorch's common dtype; the replay calls the
            # forward on the operands as they are.
            self.fail(f"a {type(op).__name__} op promotes its operands' dtypes")
        names = [
            f"v{self._slot(x)}" if isinstance(x, Tensor) else self.schedule.constant(x)
            for x in inputs
        ]
        clone = copy.copy(op)  # the replay's own node: the eager one belongs to the graph
        if result._grad_fn is op:  # recorded: named as eagerly (by its inputs, dropped here)
            clone.torch_name = op.name()
        clone.inputs = clone.args = clone.out = None
        # A forward that keeps something on its node (conv's columns of x) must find the node
        # as it was before: the replay then starts from a fresh copy of it each time.
        after = hooks.op_state(op)
        changed = {k: v for k, v in before.items() if after.get(k, _MISSING) is not v}
        changed.update((k, _MISSING) for k in after.keys() - before.keys())
        for name, value in changed.items():
            if value is _MISSING:
                delattr(clone, name)
            else:
                setattr(clone, name, value)
        if getattr(op, "draws", False):  # the replay draws afresh, from the same generator
            self.rng_state = rng.default_generator.get_state()
        out = self._new_slot(result._data)
        self.schedule.forward(clone, names, out, scalar=result._data.ndim == 0, fresh=bool(changed))
        if result._grad_fn is op:
            self.nodes[id(op)] = (clone, names, out)

    # ------------------------------------------------------------------ backward
    def on_backward(self, original: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        roots, root_grads, _retain, create_graph = args[:4]
        targets = kwargs.get("targets", args[4] if len(args) > 4 else None)
        accumulate = kwargs.get("accumulate", args[5] if len(args) > 5 else True)
        observer = kwargs.get("observer", args[6] if len(args) > 6 else None)
        if create_graph or targets is not None or not accumulate or observer is not None:
            self.fail("it calls autograd.grad, or backward with create_graph or inputs")
            return original(*args, **kwargs)
        # id(leaf) -> [leaf, slot, its .grad before the pass]: the engine's leaf_grads
        leaves: dict[int, list[Any]] = {}
        self.pending = {}
        for root, g in zip(roots, root_grads, strict=False):
            if not isinstance(root, Tensor) or not root.requires_grad:
                break  # the engine raises its own error
            slot = self._seed(root, g)
            if root._grad_fn is None:
                self._add(leaves, root, slot, leaf=True)
            else:
                self._add(self.pending, root._grad_fn, slot)

        def observe(node: Any, g: Any, grads: tuple[Any, ...]) -> None:
            self._on_vjp(node, g, grads, leaves)

        result = original(roots, root_grads, _retain, create_graph, None, True, observe)
        for leaf, slot, before in leaves.values():
            if leaf._hooks or backward_module.post_accumulate_hooks_of(leaf):
                self.fail("a tensor hook runs in backward")
            self.leaves[id(leaf)] = leaf
            # The .grad before this pass is the traced one at each replay (guarded or set by
            # the run itself): whether the gradient becomes it or is added to it is known now.
            new = before is None or before._data.shape != self.values[slot].shape
            self.schedule.accumulate(self._tensor(leaf), f"v{slot}", new)
        return result

    def _seed(self, root: Tensor, g: Any) -> int:
        if g is None:
            # The root's shape and dtype are the traced ones: ones made once, copied per replay.
            ones = xp.ones_like(root._data)
            slot = self._new_slot(ones)
            self.schedule.copy_of(slot, ones.copy())
            return slot
        if isinstance(g, Tensor):
            return self._slot(g)
        array = xp.asarray(g)
        slot = self._new_slot(array)
        self.schedule.bind(slot, self.schedule.constant(array))
        return slot

    def _on_vjp(self, node: Any, g: Any, grads: tuple[Any, ...], leaves: dict[int, Any]) -> None:
        entry = self.nodes.get(id(node))
        slot = self.pending.pop(node, None)
        if entry is None or slot is None:
            self.fail("backward reaches a graph built outside the compiled function")
            return
        if node._hooks:
            self.fail("a tensor hook runs in backward")
        if not _same(self.values[slot], g):
            self.fail("the backward pass could not be reproduced")
        clone, names, out = entry
        used = [
            (i, x, gi)
            for i, (x, gi, need) in enumerate(zip(node.inputs, grads, node.needs, strict=False))
            if gi is not None and need
        ]
        outputs = {i: self._new_slot(gi) for i, _x, gi in used}
        self.schedule.vjp(clone, slot, out, names, outputs)
        for i, x, gi in used:
            gi_slot = outputs[i]
            data = x._data
            if gi.shape != data.shape:
                gi = unbroadcast(gi, data.shape)
                gi_slot = self._derived(gi, "unbroadcast", [f"v{gi_slot}", repr(data.shape)])
            if gi.dtype != data.dtype:
                gi = gi.astype(data.dtype)
                gi_slot = self._derived(gi, "astype", [f"v{gi_slot}", repr(data.dtype.str)])
            parent = x._grad_fn
            if parent is not None and parent.seq > node.seq:
                parent = graph.parent(x, node)
            if parent is None:
                self._add(leaves, x, gi_slot, leaf=True)
            else:
                self._add(self.pending, parent, gi_slot)

    def _derived(self, array: Any, function: str, arguments: list[str]) -> int:
        slot = self._new_slot(array)
        self.schedule.call_into(slot, function, arguments)
        return slot

    def _add(self, table: dict[Any, Any], key: Any, slot: int, leaf: bool = False) -> None:
        """The engine's ``pending + g``: contributions summed in the order they arrive."""
        if leaf:
            self._touch(key)
            entry = table.get(id(key))
            if entry is None:
                table[id(key)] = [key, slot, key._grad]
                return
            entry[1] = self._sum(entry[1], slot)
            return
        pending = table.get(key)
        table[key] = slot if pending is None else self._sum(pending, slot)

    def _sum(self, a: int, b: int) -> int:
        total = self.values[a] + self.values[b]
        slot = self._new_slot(total)
        self.schedule.add(slot, f"v{a}", f"v{b}", total)
        return slot

    # ------------------------------------------------------------------ .grad and optimizers
    def _touch(self, tensor: Tensor) -> None:
        """Guard the ``.grad`` a tensor has when the function starts (first touch)."""
        if id(tensor) in self.touched:
            return
        self.touched.add(id(tensor))
        self.schedule.guard_grad(self._tensor(tensor), tensor._grad)

    def _clear(self, tensor: Tensor) -> None:
        """``tensor.grad = None``. As a first touch it needs no guard: whatever ``.grad`` the
        function starts with, it is gone (a training step that starts with ``zero_grad`` is
        traced once, not once without and once with gradients)."""
        if id(tensor) not in self.touched:
            self.touched.add(id(tensor))
        elif tensor._grad is None:
            return
        self.schedule.clear_grad(self._tensor(tensor))

    def on_call(
        self, owner: Any, method: Callable[..., Any], params: list[Tensor], *args: Any
    ) -> Any:
        """An optimizer step or a zero_grad, replayed as what it does to the arrays: the
        optimizer's ``_update`` for each parameter with a gradient, ``.grad`` cleared; a
        subclass's own ``step`` or ``zero_grad(set_to_none=False)`` as the same call."""
        name = method.__name__
        if name == "zero_grad" and (not args or args[0] is True):
            for p in params:
                self._clear(p)
        elif name == "step" and not _overrides(owner, "step"):
            self.schedule.guard_step_hooks(owner)  # a hook registered later would not run
            for p in params:
                self._touch(p)
            updates = [
                (i, self._tensor(p))
                for i, group in enumerate(owner.param_groups)
                for p in group["params"]
                if p._grad is not None
            ]
            groups = [group["params"] for group in owner.param_groups]
            self.schedule.optimizer_step(owner, groups, updates)
        else:
            if name == "step":  # a subclass's step calling Optimizer's: no hook runs
                self.schedule.guard_step_hooks(owner)
            for p in params:
                self._touch(p)
            self.schedule.call(method, args)
        self.depth += 1
        try:
            return method(*args)
        finally:
            self.depth -= 1

    def on_hooked_step(self, optimizer: Optimizer, step: Callable[[], Any]) -> Any:
        """A step that runs hooks (``step()`` runs them and it): replayed as the same call,
        since a hook may read or change anything (each ``.grad`` it may read is made), for
        as long as the optimizer has the same hooks."""
        for group in optimizer.param_groups:
            for p in group["params"]:
                self._touch(p)
        self.schedule.guard_step_hooks(optimizer)
        self.schedule.call(step, ())
        self.depth += 1
        try:
            return step()
        finally:
            self.depth -= 1

    def on_grad_read(self, tensor: Tensor, grad: Tensor | None) -> None:
        self._touch(tensor)
        if grad is not None:
            slot = self._new_slot(grad._data)
            self.schedule.read_grad(slot, self._tensor(tensor))

    def on_grad_write(self, tensor: Tensor, value: Any) -> None:
        if value is None:
            self._clear(tensor)
        else:
            self._touch(tensor)
            self.fail("it assigns a tensor to .grad")

    # ------------------------------------------------------------------ results
    def finish(self, result: Any) -> None:
        self.schedule.outputs = self._output(result)
        self._guard_modules()
        if self.leaves:  # a hook registered on a leaf after tracing would not run
            self.schedule.guard_leaf_hooks([self._tensor(leaf) for leaf in self.leaves.values()])
        self.schedule.build()

    def guard_function(self, fn: Any) -> None:
        """Guard the plain values (numbers, strings) that ``fn``'s closure cells and the
        globals it names hold: a ``scale`` reassigned between calls is traced again. (Those
        of the functions it calls, and what mutable objects hold, are not guarded.)"""
        fn = getattr(fn, "__func__", fn)  # a bound method
        code = getattr(fn, "__code__", None)
        if code is None:
            return
        now, values = [], []
        for cell in fn.__closure__ or ():
            try:
                value = cell.cell_contents
            except ValueError:  # not yet assigned
                continue
            if _plain(value):
                now.append(f"{self.schedule.constant(cell)}.cell_contents")
                values.append(value)
        names = fn.__globals__
        for name in code.co_names:
            if name in names and _plain(names[name]):
                now.append(f"{self.schedule.constant(names)}.get({name!r})")
                values.append(names[name])
        if now:
            self.schedule.guard_values(now, tuple(values))

    def on_module(self, module: Module) -> None:
        self.modules.setdefault(id(module), module)

    def _guard_modules(self) -> None:
        """Guard what a called module's forward reads besides tensors, as PyTorch's guards on
        modules: ``training``, its hooks, its plain settings (dropout's ``p``), its children,
        and which tensors its parameters and buffers are (``model.weight = Parameter(...)``)."""
        used = self.externals | (self.tensor_name.keys() - self.positions.keys())
        for module in self.modules.values():
            state = vars(module)
            settings = {
                name: value
                for name, value in state.items()
                if name.isidentifier()
                and not keyword.iskeyword(name)
                and _plain(value)
                and name != "_compiled_call_impl"  # (Module.compile's: the same values)
            }
            tensors = [
                (registry, name, tensor)
                for registry in ("_parameters", "_buffers")
                for name, tensor in state[registry].items()
                if tensor is not None and id(tensor) in used
            ]
            self.schedule.guard_module(module, settings, tensors)

    def _output(self, value: Any) -> Any:
        if isinstance(value, (tuple, list)):
            return type(value)(self._output(v) for v in value)
        if isinstance(value, dict):
            return {k: self._output(v) for k, v in value.items()}
        if not isinstance(value, Tensor):
            return Out("value", value)
        if id(value) in self.positions:  # an argument: the same object
            return Out("argument", self.positions[id(value)])
        if id(value) in self.tensor_name:  # a captured tensor: the same object
            return Out("value", value)
        slot = self.slot_of.get(id(value._data))
        if slot is None:
            self.fail("it returns a tensor that no traced op made")
            return Out("value", None)
        node = value._grad_fn
        if node is not None and not node.freed:
            self.fail(
                "it returns a tensor that requires grad without calling backward() on it "
                "(compile the whole training step, or call it under no_grad)"
            )
        if node is not None:  # backward has run through it: a freed node, as eager leaves it
            node = copy.copy(node)
            node.inputs, node.args, node.out = (), None, None
        return Out("new", f"v{slot}", value.requires_grad, node)


_MISSING = object()


def _promoted(op: Op, inputs: tuple[Any, ...]) -> bool:
    """Whether applying ``op`` cast its two tensor operands to a common dtype."""
    if len(inputs) != 2 or not all(isinstance(x, Tensor) for x in inputs):
        return False
    a, b = inputs[0]._data, inputs[1]._data
    cast = dtypes.promote_operands(a, b, op.promotes == "float")
    return cast[0] is not a or cast[1] is not b


def _plain(value: Any, depth: int = 0) -> bool:
    """A setting compared by value in a module's guard: a number, a string, a tuple of them."""
    if isinstance(value, tuple) and depth < 2:
        return all(_plain(v, depth + 1) for v in value)
    return value is None or type(value) in (bool, int, float, str)


def _overrides(owner: Any, name: str) -> bool:
    """Whether ``owner``'s class defines ``name`` below the base class that has it (a step
    hook's wrapper of an inherited step is not its own)."""
    for cls in type(owner).__mro__:
        if cls in (Optimizer, Module):
            return False
        if name in vars(cls):
            return name != "step" or not optimizer_module.wraps_inherited_step(cls)
    return False


def _tensor_arguments(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Iterator[Any]:
    for position, value in [*enumerate(args), *kwargs.items()]:
        if isinstance(value, Tensor):
            yield position, value


def _view_key(array: Any) -> tuple[Any, ...]:
    if not isinstance(array, xp.ndarray):
        return (id(array),)
    return (array.__array_interface__["data"][0], array.shape, array.strides, array.dtype)


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    a, b = xp.asarray(a), xp.asarray(b)
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    return bool(xp.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))


def _short(filename: str) -> str:
    """A source file's path from its package folder on (``chainrule/nn/functional.py``)."""
    parts = filename.replace("\\", "/").split("/")
    return "/".join(parts[parts.index("chainrule") :] if "chainrule" in parts else parts[-1:])


def _rng_moved(before: dict[str, Any], after: dict[str, Any]) -> bool:
    a, b = before["bits"]["state"], after["bits"]["state"]
    return (
        a["pos"] != b["pos"]
        or not xp.array_equal(a["key"], b["key"])
        or before["next_normal"] != after["next_normal"]
    )
