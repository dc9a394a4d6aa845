"""The schedule: a traced run as one flat Python function over arrays.

Each recorded step becomes a line of generated code: an op's ``forward`` on arrays, a node's
``vjp``, the engine's unbroadcast, cast and ``+`` of gradient contributions, the accumulation
into ``.grad`` (the engine's own :func:`accumulate_into`), and the optimizer's calls. Arrays
live in local variables ``v0, v1, ...``; no Tensor is made, no graph is recorded and no version
counter is read, which is where the eager per-op time goes. The same functions run on the same
arrays in the same order as in the eager run, so the results are the same, bit for bit.

    >>> import chainrule as cr
    >>> f = cr.compile(lambda x: (x * 2).sin())
    >>> f(cr.ones(3)) is not None
    True
    >>> print(f.code(cr.ones(3)))  # doctest: +ELLIPSIS
    def replay(args, stored):
        v0 = args[0]._data
        v1 = forward1(v0, c0)
        v2 = forward2(v1)
        return v2
"""

from __future__ import annotations

import copy
from typing import Any

from chainrule._array import xp
from chainrule.autodiff.backward import accumulate_into
from chainrule.ops.broadcast import unbroadcast
from chainrule.tensor import Tensor, _make

# The helpers the generated code calls by name (besides the recorded ops and constants).
_HELPERS = {
    "copy": copy.copy,
    "ndarray": xp.ndarray,
    "asarray": xp.asarray,
    "ones_like": xp.ones_like,
    "unbroadcast": unbroadcast,
    "astype": lambda a, dtype: a.astype(dtype),
    "add": lambda a, b: a + b,
    "accumulate_into": accumulate_into,
}


class Schedule:
    """The steps of one traced run, compiled into ``replay(args, stored)``."""

    def __init__(self) -> None:
        self.failure: str | None = None  # why this run cannot be replayed
        self.lines: list[str] = []
        self.globals: dict[str, Any] = dict(_HELPERS)
        self.positions: dict[str, Any] = {}  # an argument tensor's name -> its position
        self.externals: list[tuple[int, Tensor, tuple[int, ...], Any]] = []
        self.grad_guards: list[tuple[str, Any]] = []  # (tensor name, None or (shape, dtype))
        self.outputs: Any = None
        self.nodes: dict[int, str] = {}  # id(op) -> the local name of its fresh copy
        self.replay: Any = None
        self.code = ""

    # ------------------------------------------------------------------ recording
    def constant(self, value: Any) -> str:
        """A name for a value the code reads as it is (a number, an array, a tensor)."""
        return self._function("c", value)

    def _function(self, prefix: str, function: Any) -> str:
        name = f"{prefix}{len(self.globals) - len(_HELPERS)}"
        self.globals[name] = function
        return name

    def argument(self, position: Any, slot: int) -> str:
        name = f"t{slot}"
        self.positions[name] = position
        self.lines.append(f"{name} = args[{position!r}]")
        self.lines.append(f"v{slot} = {name}._data")
        return name

    def external(self, slot: int, tensor: Tensor) -> None:
        """A tensor the function reads but is not given (a parameter): read at each replay."""
        self.externals.append((slot, tensor, tensor._data.shape, tensor._data.dtype))
        self.lines.append(f"v{slot} = {self.constant(tensor)}._data")

    def bind(self, slot: int, name: str) -> None:
        self.lines.append(f"v{slot} = {name}")

    def forward(self, op: Any, inputs: list[str], out: int, scalar: bool, fresh: bool) -> None:
        """``op.forward`` on arrays; with ``fresh``, on a new copy of ``op`` each time (its
        forward keeps state on the node, which its vjp then reads)."""
        if fresh:
            node = f"node{out}"
            self.lines.append(f"{node} = copy({self.constant(op)})")
            self.nodes[id(op)] = node
            f = f"{node}.forward"
        else:
            f = self._function("forward", op.forward)
        self.lines.append(f"v{out} = {f}({', '.join(inputs)})")
        if scalar:  # NumPy reductions return scalars; Op.__call__ keeps arrays
            self.lines.append(f"if type(v{out}) is not ndarray: v{out} = asarray(v{out})")

    def vjp(self, op: Any, g: int, out: int, inputs: list[str], outputs: dict[int, int]) -> None:
        node = self.nodes.get(id(op))
        f = f"{node}.vjp" if node is not None else self._function("vjp", op.vjp)
        call = f"{f}(v{g}, v{out}{''.join(', ' + name for name in inputs)})"
        if not outputs:
            return
        if len(outputs) == 1:
            ((index, slot),) = outputs.items()
            self.lines.append(f"v{slot} = {call}[{index}]")
            return
        self.lines.append(f"grads = {call}")
        self.lines.extend(f"v{slot} = grads[{index}]" for index, slot in outputs.items())

    def call_into(self, slot: int, function: str, arguments: list[str]) -> None:
        self.lines.append(f"v{slot} = {function}({', '.join(arguments)})")

    def accumulate(self, tensor: str, g: str) -> None:
        self.lines.append(f"accumulate_into({tensor}, {g}, stored)")

    def call(self, method: Any, args: tuple[Any, ...]) -> None:
        f = self._function("call", method)
        self.lines.append(f"{f}({', '.join(self.constant(a) for a in args)})")

    def read_grad(self, slot: int, tensor: str) -> None:
        self.lines.append(f"v{slot} = {tensor}._grad._data")

    def clear_grad(self, tensor: str) -> None:
        self.lines.append(f"{tensor}.grad = None")

    def guard_grad(self, tensor: str, grad: Tensor | None) -> None:
        state = None if grad is None else (grad._data.shape, grad._data.dtype)
        self.grad_guards.append((tensor, state))

    # ------------------------------------------------------------------ building and running
    def build(self) -> None:
        """Compile the recorded lines into ``self.replay``."""
        returned = ", ".join(sorted(set(_names(self.outputs)), key=lambda name: int(name[1:])))
        body = [*self.lines, f"return ({returned},)" if returned else "return ()"]
        self.code = "def replay(args, stored):\n" + "".join(f"    {line}\n" for line in body)
        namespace = dict(self.globals)
        exec(compile(self.code, "<chainrule.compile>", "exec"), namespace)  # noqa: S102
        self.replay = namespace["replay"]
        self._returned = [name for name in returned.split(", ") if name]
        self._constant_ids = {id(v) for v in self.globals.values() if type(v) is xp.ndarray}

    def tensor(self, name: str, args: dict[Any, Tensor]) -> Tensor:
        """The tensor a name stands for: an argument of this call, or a captured one."""
        position = self.positions.get(name)
        return self.globals[name] if position is None else args[position]

    def guards_hold(self, args: dict[Any, Tensor]) -> str | None:
        """None when the externals and ``.grad`` states are as traced; else what changed."""
        for _slot, tensor, shape, dtype in self.externals:
            data = tensor._data
            if data.shape != shape or data.dtype != dtype:
                return "a captured tensor changed shape or dtype"
        for name, state in self.grad_guards:
            grad = self.tensor(name, args)._grad
            now = None if grad is None else (grad._data.shape, grad._data.dtype)
            if now != state:
                return "a .grad was set or cleared since the trace"
        return None

    def run(self, args: dict[Any, Tensor]) -> Any:
        """Replay on new arguments (same shapes and dtypes); the results as the function's."""
        # Arrays that exist before the replay are never taken as a new .grad (the engine's
        # ``stored``): the gradient must own its memory.
        stored = {id(t._data) for t in args.values()}
        stored.update(self._constant_ids)
        stored.update(id(t._data) for _slot, t, _shape, _dtype in self.externals)
        values = dict(zip(self._returned, self.replay(args, stored), strict=True))
        return _rebuild(self.outputs, values, lambda name: self.tensor(name, args))


class Out:
    """One returned value: ``kind`` is ``value`` (returned as it is), ``tensor`` (an argument
    or captured tensor, the same object) or ``new`` (a new tensor on the slot's array, with
    ``requires_grad`` and a freed node as the eager result has after its backward)."""

    __slots__ = ("kind", "value", "requires_grad", "node")

    def __init__(self, kind: str, value: Any, requires_grad: bool = False, node: Any = None):
        self.kind, self.value, self.requires_grad, self.node = kind, value, requires_grad, node


def _names(output: Any) -> list[str]:
    if isinstance(output, Out):
        return [output.value] if output.kind == "new" else []
    values = output.values() if isinstance(output, dict) else output
    return [name for v in values for name in _names(v)]


def _rebuild(output: Any, values: dict[str, Any], tensor: Any) -> Any:
    if isinstance(output, Out):
        if output.kind == "value":
            return output.value
        if output.kind == "tensor":
            return tensor(output.value)
        return _make(values[output.value], output.requires_grad, output.node)
    if isinstance(output, dict):
        return {k: _rebuild(v, values, tensor) for k, v in output.items()}
    return type(output)(_rebuild(v, values, tensor) for v in output)
