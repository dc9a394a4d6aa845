"""Forward mode: tangents ride along with values through every op, one level per transform.

Where reverse mode asks "how does the output depend on every input?", forward mode asks "how
does every value change when the inputs move along ``t``?". While a level is open, each op
applied to a value that carries a tangent also applies its ``jvp`` rule, so the output leaves
with its own tangent: one extra pass, no recorded graph.

Levels nest (``jvp`` of ``jvp``, forward over reverse): the tangent of level k is computed with
only the levels outside it active, so the rule's own arithmetic carries the outer tangents, and
with recording on when the values require grad, so reverse mode can differentiate it.

A tangent belongs to a value, not to one Tensor object: it is found by the identity of the
array, so every Tensor sharing that array (the ``out`` a backward rule sees under
``create_graph``, a leaf made for ``grad``) carries it.

    >>> import chainrule as cr
    >>> with dual_level():
    ...     x = make_dual(cr.tensor([1.0, 2.0]), cr.ones(2))
    ...     y = x * x
    ...     unpack_dual(y).tangent            # J v = 2 x
    tensor([2., 4.])
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

from chainrule import grad_mode
from chainrule._array import xp
from chainrule.autodiff import batching
from chainrule.autodiff.open_transforms import dual_anywhere, here
from chainrule.tensor import Tensor, _make


class Level:
    """One open forward-mode level: the tangent of every value computed while it is open.

    With ``batch`` (a vmap level, see :mod:`chainrule.autodiff.batching`), each value carries
    a whole batch of tangents, one array (batch.size, *value.shape): ``jacfwd``'s directions
    pushed in one pass, the values computed once. Tangent rules are linear, so a batch of
    tangents is a leading axis: elementwise rules take it on arrays, the others run as
    ``vmap`` of the rule over the tangents."""

    __slots__ = ("tangents", "batch", "jvp")

    def __init__(self, batch: Any = None) -> None:
        # id(array) -> (array, tangent Tensor); the array is kept so its id is not reused.
        self.tangents: dict[int, tuple[Any, Tensor]] = {}
        self.batch = batch
        # Who opened it, as PyTorch refuses to nest the two (see :func:`refuse_nested`):
        # False the dual API, True ``func.jvp``, None neither (a level PyTorch has not).
        self.jvp: bool | None = False

    def tangent(self, x: Any) -> Tensor | None:
        entry = self.tangents.get(id(x._data)) if isinstance(x, Tensor) else None
        return None if entry is None else entry[1]

    def set(self, x: Tensor, tangent: Tensor) -> None:
        self.tangents[id(x._data)] = (x._data, tangent)


# The calling thread's open levels, outermost first, are ``here.dual``
# (chainrule.autodiff.open_transforms). ``Op.__call__`` calls :func:`propagate` only when
# they are not empty.


def propagate(op: Any, inputs: tuple[Any, ...], args: tuple[Any, ...], result: Tensor) -> None:
    """Give ``result`` its tangent at each open level where an input has one, unless the
    op's rule answers None: no tangent (PyTorch's undefined one, as an in-place fill's of a
    tensor that had none)."""
    if grad_mode.modes.inference:  # PyTorch's inference mode turns forward mode off too
        return
    # An integer or bool value has no tangent, as in PyTorch (the jvp of x.long() is zero):
    # else the rule's tangent would be cast to the integer dtype and kept.
    if not result.is_floating_point():
        return
    out = result._data
    levels = here.dual
    for position, level in enumerate(levels):
        tangents = tuple([level.tangent(x) for x in inputs])
        if all(t is None for t in tangents):
            continue
        outer = levels[position:]
        del levels[position:]  # the rule runs with only the outer levels open
        try:
            if level.batch is None:
                t = _apply_rule(op, tangents, inputs, args, result, plain=not levels)
                shape = out.shape
            else:
                t = _apply_batched(op, tangents, inputs, args, result, level.batch)
                shape = (level.batch.size, *out.shape)
        finally:
            levels.extend(outer)
        if t is None:
            continue
        if tuple(t.shape) != shape:  # a broadcast input: its tangent spreads the same way
            t = t.expand(shape)
        if t._data.dtype is not out.dtype and not _mixed(inputs, tangents):
            t = t.to(out.dtype)  # a rule computed wider (float16 times a number)
        level.set(result, t)


def _mixed(inputs: tuple[Any, ...], tangents: tuple[Any, ...]) -> bool:
    """Whether a tangent has another dtype than its value (``make_dual`` keeps a float32
    tangent of a float64 value): the rule's result then keeps the dtype its arithmetic gave,
    as PyTorch's (float64 for the sin of a float32 value with a float64 tangent)."""
    return any(
        t is not None and t._data.dtype != x._data.dtype
        for x, t in zip(inputs, tangents, strict=True)
    )


def _recording(inputs: tuple[Any, ...], tangents: tuple[Any, ...]) -> bool:
    """Whether a reverse pass will read the tangent rule's arithmetic (forward over reverse)."""
    return grad_mode.modes.enabled and any(
        isinstance(x, Tensor) and x.requires_grad for x in (*inputs, *tangents)
    )


def _values(inputs: tuple[Any, ...], args: tuple[Any, ...]) -> list[Any]:
    """The rule's operands: the Tensors where the op had Tensors, else the raw arguments."""
    return [x if isinstance(x, Tensor) else a for x, a in zip(inputs, args, strict=True)]


def _apply_rule(
    op: Any,
    tangents: tuple[Any, ...],
    inputs: tuple[Any, ...],
    args: tuple[Any, ...],
    result: Tensor,
    plain: bool,
) -> Tensor | None:
    recording = _recording(inputs, tangents)
    if plain and not recording:
        # Nothing outside needs to see the rule's arithmetic: run it on arrays (fast).
        raw = tuple([None if t is None else t._data for t in tangents])
        t = op.jvp(raw, result._data, *args)
        return None if t is None else _make(xp.asarray(t))
    t = op.jvp(tangents, result, *_values(inputs, args))
    return t if t is None or isinstance(t, Tensor) else _make(xp.asarray(t))


def _apply_batched(
    op: Any,
    tangents: tuple[Any, ...],
    inputs: tuple[Any, ...],
    args: tuple[Any, ...],
    result: Tensor,
    batch: Any,
) -> Tensor | None:
    """The rule for a batch of tangents (each (batch.size, *input shape)): an elementwise
    rule on arrays, the tangents lined up as its batching rule lines them up; any other rule
    on the tangents batched at ``batch``, its Tensor ops taking their batching rules."""
    recording = _recording(inputs, tangents)
    out = result._data
    if not here.dual and not recording and type(op).batch_rule is batching.elementwise:
        rank = out.ndim
        raw = tuple(
            None if t is None else t._data.reshape(_lined_up(t._data.shape, rank)) for t in tangents
        )
        t = op.jvp(raw, out, *args)
        return None if t is None else _make(xp.asarray(t))
    values = _values(inputs, args)
    wrapped = tuple(None if t is None else batching.BatchedTensor(t, batch) for t in tangents)
    try:
        t = op.jvp(wrapped, result, *values)
    except (batching.NotBatchable, RuntimeError):  # vmap's refusals to read a batch's values
        return _per_direction(op, tangents, result, values, batch.size)
    if type(t) is batching.BatchedTensor and t._level is batch:
        value = t._value
        if value.ndim - 1 < out.ndim:  # a bias's tangent: it spreads as broadcasting does
            value = value.reshape(_lined_up(tuple(value.shape), out.ndim))
        return value
    if isinstance(t, batching.BatchedTensor):  # another vmap's: each direction on its own
        return _per_direction(op, tangents, result, values, batch.size)
    # None: no tangent; else the same for every direction
    return t if t is None or isinstance(t, Tensor) else _make(xp.asarray(t))


def _per_direction(
    op: Any, tangents: tuple[Any, ...], result: Tensor, values: list[Any], size: int
) -> Tensor:
    """A rule that reads its tangents' values (a NumPy function applied to them), run once
    per direction, the tangents stacked."""
    from chainrule.ops.shape import stack

    shape = tuple(result.shape)
    found = []
    for i in range(size):
        t = op.jvp(tuple(None if t is None else t[i] for t in tangents), result, *values)
        t = t if isinstance(t, Tensor) else _make(xp.asarray(t))
        found.append(t if tuple(t.shape) == shape else t.expand(shape))
    return stack(found)


def _lined_up(shape: tuple[int, ...], rank: int) -> tuple[int, ...]:
    """A batch of tangents (B, *x) with size-1 dimensions after B up to ``rank``: lined up
    from the right with the output's dimensions, as broadcasting lines up x's."""
    return (shape[0],) + (1,) * (rank - len(shape) + 1) + shape[1:]


def detached(x: Tensor) -> Tensor:
    """``x.detach()`` that keeps ``x``'s tangents at the open levels, detached too: what a
    reverse-mode transform hands back when nothing differentiates its result by reverse mode
    again. torch.func unwraps its own level there and leaves the dual API's: a gradient taken
    of a dual tensor is a dual tensor (forward over reverse). A vmap-batched ``x`` keeps its
    batch: the tangents belong to the physical value under it."""
    levels = here.dual
    if not levels:
        return x.detach()
    value, have = batching.unwrap(x)
    out = value.detach()
    for level in levels:
        t = level.tangent(value)
        if t is not None:
            level.set(out, t.detach())
    return batching.wrap(out, have)


def carries_tangent(x: Tensor) -> bool:
    """Whether ``x`` has a tangent at any open level."""
    return any(level.tangent(x) is not None for level in here.dual)


def write_through(view: Tensor, info: Any, kept: Any = None) -> None:
    """After an in-place change of ``view`` (its view record ``info``), give the tensor whose
    tangent holds the view's (its base, or the ``make_dual`` result it was taken from) its new
    tangent: the old one with the view's part replaced by the view's tangent (the view ops
    replayed on the tangent; on each direction's, for a batch of tangents). A dual's own
    change stays its own, as PyTorch's forward views have it. ``kept``: where the view's
    elements share memory, those the change wrote (see
    :func:`chainrule.ops.views.kept_places`), whose tangents are written alone."""
    chain = info.forward_chain()
    if chain is None:
        return
    base, ops = chain
    levels = here.dual
    for position, level in enumerate(levels):
        t_view, t_base = level.tangent(view), level.tangent(base)
        if t_view is None and t_base is None:
            continue
        # Where reverse mode or an outer level differentiates the tangents (hessian; jvp of
        # jvp), the write is made of ops that carry their derivatives; else of arrays.
        if any(
            t is not None
            and (
                t.requires_grad or any(outer.tangent(t) is not None for outer in levels[:position])
            )
            for t in (t_view, t_base)
        ):
            level.set(base, _written_recorded(t_base, base, ops, t_view, position, kept))
            continue
        lead = () if level.batch is None else (level.batch.size,)
        if t_base is None:
            new = xp.zeros((*lead, *base._data.shape), dtype=base._data.dtype)
        else:
            new = t_base._data.copy()
        written = 0 if t_view is None else t_view._data
        if level.batch is None:
            _write_part(new, ops, written, kept)
        else:
            for i in range(level.batch.size):  # (new[i, ...]: a 0-d view where new[i] of a
                # 0-d base's batch would be a NumPy scalar, a copy)
                _write_part(new[i, ...], ops, written if t_view is None else written[i], kept)
        level.set(base, _make(new))


def _written_recorded(
    t_base: Tensor | None,
    base: Tensor,
    ops: Any,
    t_view: Tensor | None,
    position: int,
    kept: Any = None,
) -> Tensor:
    """:func:`write_through`'s new tangent where reverse mode differentiates the tangents
    (forward over reverse: ``hessian``) or an outer level has tangents of them (forward over
    forward: ``jvp`` of ``jvp``, ``jacfwd`` of ``hessian``): the same write, as recorded Tensor
    ops, run with only the levels outside the tangents' own open (as :func:`propagate` runs a
    rule), so that those carry the write too. A batch of tangents is written one direction
    at a time."""
    from chainrule.ops.elementwise import where  # (ops import this module)

    levels = here.dual
    batch = levels[position].batch
    outer = levels[position:]
    del levels[position:]
    try:
        lead = () if batch is None else (batch.size,)
        new = base.new_zeros((*lead, *base.shape)) if t_base is None else t_base.clone()
        for i in [None] if batch is None else range(batch.size):
            part = new if i is None else new[i]
            for op in ops:
                part = copy.copy(op)(part)  # views of new: the write rewrites new's history
            written = None if t_view is None else t_view if i is None else t_view[i]
            if kept is not None:  # the others keep what the kept ones write at their places
                value = part.new_zeros(part.shape) if written is None else written
                written = where(_make(kept), value, part.detach())
            if written is None:
                part.zero_()
            else:
                part.copy_(written)
    finally:
        levels.extend(outer)
    return new


def _write_part(tangent: Any, ops: Any, value: Any, kept: Any = None) -> None:
    """Write ``value`` into the part of ``tangent`` that the view ops pick (where ``kept``,
    if given)."""
    part = tangent
    for op in ops:
        part = copy.copy(op).forward(part)
    if not xp.shares_memory(part, tangent) or not part.flags.writeable:
        raise NotImplementedError(
            "forward mode: an in-place change through this view cannot be carried to its "
            "base's tangent; compute out of place"
        )
    xp.copyto(part, value, where=True if kept is None else kept)


def carry(source: Tensor, target: Tensor) -> None:
    """Give ``target`` the tangents of ``source`` (an in-place op: the new value moves into
    the old tensor's memory). In inference mode, which turns forward mode off as PyTorch's
    does, ``target`` keeps the tangents it had."""
    if grad_mode.modes.inference:
        return
    for level in here.dual:
        t = level.tangent(source)
        if t is None:
            level.tangents.pop(id(target._data), None)
        else:
            level.set(target, t)


def refuse_nested(by_jvp: bool) -> None:
    """PyTorch's refusal to open a forward-mode level inside one of the other kind: its
    ``torch.func.jvp`` opens the dual API's one level (the outermost jvp only: nested ones take
    functorch levels), so a jvp inside a ``dual_level()`` block, and a block inside jvp's ``f``,
    are refused. chainrule's levels nest otherwise (a block in a block, jvp in jvp).
    ``by_jvp``: whether the level about to open is ``func.jvp``'s."""
    if any(level.jvp is (not by_jvp) for level in here.dual):
        raise RuntimeError("Nested forward mode AD is not supported at the moment")


@contextmanager
def dual_level() -> Iterator[Level]:
    """Open a forward-mode level; tangents made inside are dropped when it closes.

    >>> import chainrule as cr
    >>> with dual_level():
    ...     x = make_dual(cr.tensor(3.0), cr.tensor(1.0))
    ...     unpack_dual(x ** 2).tangent
    tensor(6.)
    """
    level = Level()
    here.dual.append(level)
    dual_anywhere.append(level)
    try:
        yield level
    finally:
        here.dual.remove(level)
        dual_anywhere.remove(level)
        level.tangents.clear()


def _level(level: Level | None, op: str) -> Level:
    if level is not None:
        return level
    if not here.dual:
        raise RuntimeError(f"{op} must be called inside a forward AD level (use dual_level())")
    return here.dual[-1]


def make_dual(tensor: Tensor, tangent: Tensor, *, level: Level | None = None) -> Tensor:
    """A view of ``tensor`` whose tangent at ``level`` (the innermost) is ``tangent``."""
    level = _level(level, "make_dual")
    batch = () if level.batch is None else (level.batch.size,)  # a batch of tangents leads
    if tuple(tangent.shape) != (*batch, *tensor.shape):
        raise RuntimeError(
            "Trying to set a forward gradient that has a different size than that of the "
            f"original Tensor, this is not supported. Tensor is of size {list(tensor.shape)} "
            f"while the given forward gradient is of size {list(tangent.shape)}."
        )
    if not tensor.is_floating_point():
        raise ValueError(
            f"Expected primal to be floating point or complex, but got: {tensor.dtype}"
        )
    dual = _without(level, lambda: tensor.view(tuple(tensor.shape)))
    if dual._view is not None:  # its tangent is its own, not a part of its primal's
        dual._view.dual = (None, len(dual._view.ops))
    tangent = tangent if isinstance(tangent, Tensor) else Tensor(tangent)
    # PyTorch keeps a floating tangent's own dtype (the rules' arithmetic then promotes it
    # with the values', see :func:`propagate`) and refuses any other.
    if not tangent.is_floating_point():
        raise ValueError(
            f"Expected tangent to be floating point or complex, but got: {tangent.dtype}"
        )
    level.set(dual, tangent)
    return dual


class UnpackedDualTensor(NamedTuple):
    primal: Tensor
    tangent: Tensor | None


def unpack_dual(tensor: Tensor, *, level: Level | None = None) -> UnpackedDualTensor:
    """The value (a view without this level's tangent) and the tangent (or None)."""
    if not here.dual and level is None:
        return UnpackedDualTensor(tensor, None)
    level = _level(level, "unpack_dual")
    tangent = tangent_at(tensor, level)
    if tangent is None:
        return UnpackedDualTensor(tensor, None)
    primal = _without(level, lambda: tensor.view(tuple(tensor.shape)))
    return UnpackedDualTensor(primal, tangent)


def tangent_at(tensor: Tensor, level: Level) -> Tensor | None:
    """The tangent of ``tensor`` at ``level`` (or None): ``unpack_dual``'s tangent, without the
    view of the primal that it makes (``jvp`` detaches the primal when nothing outside
    differentiates it)."""
    if tensor._view is not None:  # a view whose base changed in place: its tangent now
        from chainrule.ops import views

        views.sync(tensor)
    return level.tangent(tensor)


def _without(level: Level, make: Any) -> Any:
    """``make()`` with ``level`` closed, so its result carries no tangent there (the other
    levels stay open and propagate as usual)."""
    levels = here.dual
    position = levels.index(level)
    del levels[position]
    try:
        return make()
    finally:
        levels.insert(position, level)
