"""The schedule: a traced run as one flat Python function over arrays.

Each recorded step becomes a line of generated code: an op's ``forward`` on arrays, a node's
``vjp``, the engine's unbroadcast, cast and ``+`` of gradient contributions, the accumulation
into ``.grad`` (the engine's own :func:`accumulate_into`, spelled out where the gradient
becomes a new ``.grad``), and the optimizer's ``_update`` per parameter. Arrays live in local
variables ``v0, v1, ...``; no Tensor is made, no graph is recorded and no version counter is
read, which is where the eager per-op time goes. The same functions run on the same arrays in
the same order as in the eager run, so the results are the same, bit for bit.

The function starts by reading the arguments and the captured tensors (parameters) and checks
the guards that the cache key does not cover: captured tensors keep their shape and dtype, each
``.grad`` the run touches is in the traced state, optimizers keep their parameter groups. When
one fails it returns ``MISS`` before changing anything, and the caller traces again.

    >>> import chainrule as cr
    >>> f = cr.compile(lambda x: (x * 2).sin())
    >>> print(f.code(cr.ones(3)))
    def replay(args, kwargs):
        t0 = args[0]
        v0 = t0._data
        v1 = forward1(v0, c0)
        v2 = forward2(v1)
        return (v2,)
    <BLANKLINE>
"""

from __future__ import annotations

import sys
import weakref
from typing import Any

from chainrule._array import xp
from chainrule.autodiff.backward import (
    _SOLE,
    accumulate_into,
    post_accumulate_hooks,
    post_accumulate_hooks_of,
)
from chainrule.nn.module import _CALL_HOOK_DICTS, _global_call_hooks  # the hooks a call runs
from chainrule.ops.broadcast import unbroadcast
from chainrule.optim import optimizer as optimizer_module
from chainrule.tensor import Tensor, _make

# What the replay returns when a guard fails (nothing has been changed yet).
MISS = object()


def _fresh(node: Any) -> Any:
    """The replay's own copy of a node whose forward keeps state on it: its settings
    (``Op.fresh``) and which inputs need a gradient, all its rules read (``copy.copy`` would
    also copy the bookkeeping, through the slower generic protocol)."""
    op = node.fresh()
    needs = getattr(node, "needs", None)  # None: made without recording (under no_grad)
    if needs is not None:
        op.needs = needs
    return op


# The helpers the generated code calls by name (besides the recorded ops and constants).
_HELPERS = {
    "MISS": MISS,
    "fresh": _fresh,
    "ndarray": xp.ndarray,
    "asarray": xp.asarray,
    "unbroadcast": unbroadcast,
    "astype": lambda a, dtype: a.astype(dtype),
    "add": xp.add,
    "array": xp.array,
    "make": _make,
    "getrefcount": sys.getrefcount,
    "accumulate_into": accumulate_into,
    "post_hooks": post_accumulate_hooks,
    "global_module_hooks": _global_call_hooks,
    "hooked": lambda tensors: any(map(post_accumulate_hooks_of, tensors)),
}


class Schedule:
    """The steps of one traced run, compiled into ``replay(args, kwargs)``."""

    def __init__(self) -> None:
        self.failure: str | None = None  # why this run cannot be replayed
        self.prologue: list[str] = []  # reading the arguments and captured tensors
        self.guards: list[str] = []  # conditions under which the replay would differ
        self.lines: list[str | None] = []
        self.globals: dict[str, Any] = dict(_HELPERS)
        self.read: list[str] = []  # the arrays that exist before the run (never a new .grad)
        self.outputs: Any = None
        self.nodes: dict[int, str] = {}  # id(op) -> the local name of its fresh copy
        self.in_tuple: set[int] = set()  # slots bound from the live ``grads`` tuple
        # tensor name -> (the line that makes its new .grad, the local holding the array), for
        # a .grad made in this run that nothing but an optimizer has read since (see clear_grad)
        self.made_grads: dict[str, tuple[int, str]] = {}
        self.uses_stored = False  # whether the run accumulates into .grad (see ``build``)
        self.replay: Any = None
        self.code = ""

    # ------------------------------------------------------------------ recording
    def constant(self, value: Any) -> str:
        """A name for a value the code reads as it is (a number, an array, a tensor)."""
        return self._global("c", value)

    def _global(self, prefix: str, value: Any) -> str:
        name = f"{prefix}{len(self.globals) - len(_HELPERS)}"
        self.globals[name] = value
        return name

    def argument(self, position: Any, slot: int) -> str:
        name = f"t{slot}"
        source = f"args[{position}]" if isinstance(position, int) else f"kwargs[{position!r}]"
        self.prologue += [f"{name} = {source}", f"v{slot} = {name}._data"]
        self.read.append(f"v{slot}")
        return name

    def external(self, slot: int, tensor: Tensor) -> None:
        """A tensor the function reads but is not given (a parameter): read at each replay."""
        self.prologue.append(f"v{slot} = {self.constant(tensor)}._data")
        self.read.append(f"v{slot}")
        shape, dtype = self.constant(tensor._data.shape), self.constant(tensor._data.dtype)
        # The traced array itself (a parameter updated in place) needs no look at its shape;
        # held weakly, so that a replaced array is freed (then the full check runs).
        traced = self.constant(weakref.ref(tensor._data))
        self.guards.append(
            f"v{slot} is not {traced}() and (v{slot}.shape != {shape} or v{slot}.dtype != {dtype})"
        )
        # requires_grad turned on or off after tracing: the gradients it gets would differ
        self.guards.append(f"{self.constant(tensor)}.requires_grad is not {tensor.requires_grad}")

    def guard_module(
        self, module: Any, settings: dict[str, Any], tensors: list[tuple[str, str, Tensor]]
    ) -> None:
        """The module's plain ``settings`` (``training``, dropout's ``p``), its hooks and its
        children, and which tensors its entries ``tensors`` (registry, name, tensor) are, as
        they were when it was traced."""
        m = self.constant(module)
        self.guard_values([f"{m}.{name}" for name in settings], tuple(settings.values()))
        state = vars(module)
        hooks = state["_call_hooks"]
        if any(hooks):
            self.guard_values([f"{m}.{name}" for name in _CALL_HOOK_DICTS], tuple(map(list, hooks)))
        else:  # the common case, cheaper than comparing lists (one read of the module)
            self.guards.append(f"any({m}._call_hooks)")
        # The global module hooks (their ids: each registration has its own), once per replay
        global_hooks = (
            f"list(global_module_hooks) != {list(_global_call_hooks)}"
            if _global_call_hooks
            else "global_module_hooks"
        )
        if global_hooks not in self.guards:
            self.guards.append(global_hooks)
        if state["_modules"]:  # a container calls its children: which ones they are
            children = tuple(state["_modules"].values())
            self.guards.append(f"tuple({m}._modules.values()) != {self.constant(children)}")
        self.guards += [
            f"{m}.{registry}.get({name!r}) is not {self.constant(tensor)}"
            for registry, name, tensor in tensors
        ]

    def guard_values(self, now: list[str], values: tuple[Any, ...]) -> None:
        """The expressions ``now`` equal ``values``, as when traced."""
        self.guards.append(f"({', '.join(now)},) != {self.constant(values)}")

    def guard_leaf_hooks(self, leaves: list[str]) -> None:
        """No hook on a leaf that backward reaches (the trace refused those it met)."""
        self.guards += [f"{leaf}._hooks" for leaf in leaves]
        self.guards.append(f"post_hooks and hooked(({', '.join(leaves)},))")

    def guard_step_hooks(self, optimizer: Any) -> None:
        """The step hooks that run on ``optimizer``'s steps (its own and the global ones)
        stay those it has now: none (no step hook anywhere, the hook wrappers off, or else a
        truth test of each dict), or the same ones (by their keys, a key per registration)."""
        dicts = optimizer_module.step_hooks_of(optimizer)
        names = [self.constant(hooks) for hooks in dicts]
        if any(dicts):
            self.guard_values([f"tuple({name})" for name in names], tuple(map(tuple, dicts)))
        else:
            wrappers = f"{self.constant(optimizer_module)}._wrappers_on"
            self.guards.append(f"({wrappers} and ({' or '.join(names)}))")

    def bind(self, slot: int, name: str) -> None:
        self.lines.append(f"v{slot} = {name}")
        self.read.append(f"v{slot}")

    def forward(self, op: Any, inputs: list[str], out: int, scalar: bool, fresh: bool) -> None:
        """``op.forward`` on arrays; with ``fresh``, on a new copy of ``op`` each time (its
        forward keeps state on the node, which its vjp then reads)."""
        if fresh:
            node = f"node{out}"
            self.lines.append(f"{node} = fresh({self.constant(op)})")
            self.nodes[id(op)] = node
            f = f"{node}.forward"
        else:
            f = self._global("forward", op.forward)
        self.lines.append(f"v{out} = {f}({', '.join(inputs)})")
        if scalar:  # NumPy reductions return scalars; Op.__call__ keeps arrays
            self.lines.append(f"if type(v{out}) is not ndarray: v{out} = asarray(v{out})")

    def vjp(self, op: Any, g: int, out: int, inputs: list[str], outputs: dict[int, int]) -> None:
        node = self.nodes.get(id(op))
        f = f"{node}.vjp" if node is not None else self._global("vjp", op.vjp)
        if type(op).vjp_inplace is not None:
            f = self._in_place_or(op, node, g, f)
        call = f"{f}(v{g}, v{out}{''.join(', ' + name for name in inputs)})"
        if not outputs:
            return
        if len(outputs) == 1:
            ((index, slot),) = outputs.items()
            self.lines.append(f"v{slot} = {call}[{index}]")
            return
        self.lines.append(f"grads = {call}")
        self.lines.extend(f"v{slot} = grads[{index}]" for index, slot in outputs.items())
        self.in_tuple = set(outputs.values())

    def _in_place_or(self, op: Any, node: str | None, g: int, vjp: str) -> str:
        """The node's ``vjp_inplace`` where the gradient ``v{g}`` is the run's alone, as the
        engine decides (see backward._SOLE): the local holds it, and the ``grads`` tuple it
        came from if that is still alive; any other holder (a buffer of the schedule, another
        slot, a view's base) adds a reference, and then ``vjp`` runs."""
        f = f"{node}.vjp_inplace" if node is not None else self._global("vjp", op.vjp_inplace)
        references = _SOLE + (g in self.in_tuple)
        v = f"v{g}"
        alone = (
            f"type({v}) is ndarray and {v}.base is None and getrefcount({v}) == {references}"
            f" and {v}.flags.writeable"
        )
        return f"({f} if {alone} else {vjp})"

    def copy_of(self, slot: int, array: Any) -> None:
        """A new copy of ``array`` at each replay (a value the run hands on as its own)."""
        self.lines.append(f"v{slot} = {self.constant(array)}.copy()")

    def call_into(self, slot: int, function: str, arguments: list[str]) -> None:
        self.lines.append(f"v{slot} = {function}({', '.join(arguments)})")

    def add(self, slot: int, a: str, b: str, like: Any) -> None:
        """The engine's ``a + b`` of two gradient contributions, into a buffer kept from one
        replay to the next (never handed out: it is in ``stored``, so a ``.grad`` copies it)."""
        if type(like) is xp.ndarray and like.ndim:
            buffer = self.constant(xp.empty_like(like))
            self.lines.append(f"v{slot} = add({a}, {b}, out={buffer})")
        else:  # NumPy scalars stay scalars, as in the engine
            self.lines.append(f"v{slot} = {a} + {b}")

    def accumulate(self, tensor: str, g: str, new: bool) -> None:
        """The engine's :func:`accumulate_into`; ``new``: ``tensor`` has no ``.grad`` of this
        shape here, so the gradient becomes it, spelled out (the replay's hottest call after
        the ops): as its own memory, never an array that exists before the run or another
        leaf's."""
        self.uses_stored = True
        if not new:
            self.made_grads.pop(tensor, None)  # the Tensor made is added to
            self.lines.append(f"accumulate_into({tensor}, {g}, stored)")
            return
        owned = f"type({g}) is ndarray and {g}.base is None and id({g}) not in stored"
        taken = f"grad_{tensor}"
        self.lines += [
            f"{taken} = {g} if {owned} else array({g})",
            f"stored.add(id({taken}))",
            f"{tensor}._grad = make({taken})",
        ]
        self.made_grads[tensor] = (len(self.lines) - 1, taken)

    def call(self, method: Any, args: tuple[Any, ...]) -> None:
        self.made_grads.clear()  # a call of its own may read any .grad
        f = self._global("call", method)
        self.lines.append(f"{f}({', '.join(self.constant(a) for a in args)})")

    def optimizer_step(
        self, optimizer: Any, groups: list[list[Tensor]], updates: list[tuple[int, str]]
    ) -> None:
        """``optimizer.step()``: its ``_update`` rule on each parameter that has a gradient
        (``updates``: group index, parameter), which changes the parameter once more."""
        opt = self.constant(optimizer)
        self.guards.append(f"len({opt}.param_groups) != {len(groups)}")
        self.guards += [
            f"{opt}.param_groups[{i}]['params'] is not {self.constant(params)}"
            for i, params in enumerate(groups)
        ]
        self.lines += [f"groups = {opt}.param_groups", f"state = {opt}.state"]
        # read at each run, as eager step() does: a group may gain momentum after tracing
        self.lines += [
            f"keeps{i} = {opt}._keeps_state(groups[{i}])" for i in sorted({i for i, _ in updates})
        ]
        for index, p in updates:
            state = f"(state[{p}] if keeps{index} else None)"
            made = self.made_grads.get(p)
            grad = f"{p}._grad._data" if made is None else made[1]  # the same array
            self.lines += [
                f"{opt}._update(groups[{index}], {p}._data, {grad}, {state})",
                f"{p}._vc[0] += 1",
            ]

    def read_grad(self, slot: int, tensor: str) -> None:
        self.made_grads.pop(tensor, None)
        self.lines.append(f"v{slot} = {tensor}._grad._data")

    def clear_grad(self, tensor: str) -> None:
        """``tensor.grad = None``. Where this run made that ``.grad`` and only an optimizer
        read it since (through the local that holds its array), the Tensor is never made: the
        run starts with no ``.grad`` there (a guard) and ends with none, as the eager one."""
        made = self.made_grads.pop(tensor, None)
        if made is not None:
            self.lines[made[0]] = None
            return
        self.lines.append(f"{tensor}._grad = None")

    def guard_grad(self, tensor: str, grad: Tensor | None) -> None:
        """The run needs ``tensor.grad`` as it is now: None, or of this shape and dtype."""
        if grad is None:
            self.guards.append(f"{tensor}._grad is not None")
            return
        shape, dtype = self.constant(grad._data.shape), self.constant(grad._data.dtype)
        now = f"{tensor}._grad._data"
        self.guards.append(f"{tensor}._grad is None or {now}.shape != {shape}")
        self.guards.append(f"{now}.dtype != {dtype}")

    # ------------------------------------------------------------------ building and running
    def build(self) -> None:
        """Compile the recorded lines into ``self.replay``."""
        returned = sorted(set(_names(self.outputs)), key=lambda name: int(name[1:]))
        body = list(self.prologue)
        if self.guards:
            body.append(f"if ({') or ('.join(self.guards)}): return MISS")
        if self.uses_stored:
            # Arrays that exist before the run are never taken as a new .grad (the engine's
            # ``stored``): a gradient must own its memory.
            constants = [n for n, v in self.globals.items() if type(v) is xp.ndarray]
            body.append(f"stored = {{{', '.join(f'id({n})' for n in self.read + constants)}}}")
        body += [line for line in self.lines if line is not None]
        body.append(f"return ({', '.join(returned)}{',' if len(returned) == 1 else ''})")
        self.code = "def replay(args, kwargs):\n" + "".join(f"    {line}\n" for line in body)
        namespace = dict(self.globals)
        exec(compile(self.code, "<chainrule.compile>", "exec"), namespace)  # noqa: S102
        self.replay = namespace["replay"]
        self._returned = returned

    def run(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Replay on new arguments (same shapes and dtypes): the function's results, or
        ``MISS`` when a guard fails."""
        values = self.replay(args, kwargs)
        if values is MISS:
            return MISS
        output = self.outputs
        if type(output) is Out and output.kind == "new":  # one new tensor (a loss): no lookup
            return _make(values[0], output.requires_grad, output.node)
        tensors: dict[str, Tensor] = {}  # a result returned twice is one tensor, as in eager
        return _rebuild(
            self.outputs, dict(zip(self._returned, values, strict=True)), args, kwargs, tensors
        )


class Out:
    """One returned value: ``kind`` is ``value`` (returned as it is: a number, a captured
    tensor), ``argument`` (the argument at position ``value``) or ``new`` (a new tensor on the
    array named ``value``, with ``requires_grad`` and a freed node, as the eager result has
    after its backward)."""

    __slots__ = ("kind", "value", "requires_grad", "node")

    def __init__(self, kind: str, value: Any, requires_grad: bool = False, node: Any = None):
        self.kind, self.value, self.requires_grad, self.node = kind, value, requires_grad, node


def _names(output: Any) -> list[str]:
    if isinstance(output, Out):
        return [output.value] if output.kind == "new" else []
    values = output.values() if isinstance(output, dict) else output
    return [name for v in values for name in _names(v)]


def _rebuild(output: Any, values: dict[str, Any], args: Any, kwargs: Any, made: dict) -> Any:
    if isinstance(output, Out):
        if output.kind == "value":
            return output.value
        if output.kind == "argument":
            position = output.value
            return args[position] if isinstance(position, int) else kwargs[position]
        tensor = made.get(output.value)
        if tensor is None:
            tensor = made[output.value] = _make(
                values[output.value], output.requires_grad, output.node
            )
        return tensor
    if isinstance(output, dict):
        return {k: _rebuild(v, values, args, kwargs, made) for k, v in output.items()}
    return type(output)(_rebuild(v, values, args, kwargs, made) for v in output)
