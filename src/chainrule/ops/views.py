"""In-place changes through views: the base's history is rewritten, as PyTorch's CopySlices.

A view (``y[1:3]``, ``y.t()``, ``y.view(-1)``, ``y[0][1]``) shares memory with its base, so an
in-place change through it changes the base's values; this module makes the graph follow. The
base gets a new node, :class:`CopySlices`: its old value everywhere except the view's region,
which now comes from the changed view. The view then takes its history from the new base,
by replaying the view ops that made it (the base and the ops are kept in ``Tensor._view``).
Other views of the same base notice the change through the shared version counter and replay
their own ops lazily, the next time they are used (:func:`sync`).

    >>> import chainrule as cr
    >>> x = cr.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    >>> y = x * 1
    >>> y[1:3].mul_(2)              # through a view: y's history now includes the product
    tensor([4., 6.], grad_fn=<SliceBackward0>)
    >>> y.sum().backward()
    >>> x.grad
    tensor([1., 2., 2., 1.])

The chain rule for the base's new node: the gradient outside the view passes to the old
base unchanged (those values were kept), and inside the view it goes to the new values only
(the old ones were overwritten, so they get 0).
"""

from __future__ import annotations

import copy
import re
import weakref
from collections.abc import Sequence
from typing import Any

from chainrule import grad_mode
from chainrule._array import xp
from chainrule.arguments import int_list, integer
from chainrule.autodiff import forward, open_transforms
from chainrule.op import Op
from chainrule.ops import dual
from chainrule.tensor import (
    InferenceView,
    Tensor,
    View,
    _make,
    inference_worded,
    move_retained_grad,
    spread_requires_grad,
)


class CopySlices(Op):
    """The base after ``view(base) = src``: the base's old values outside the view, ``src``
    inside. The values are already in place when the node is made, so forward copies
    nothing."""

    notation = "base with view(base) = v"
    derivatives = ("1 outside the view, 0 inside", "1 inside the view")
    torch_name = "chainrule::autograd::CopySlices"  # PyTorch names it in its namespace
    saves_inputs = False
    # PyTorch's CopySlices lets go of the in-place op's node it wraps after a backward, so a
    # second backward through it is refused, whatever that op saved.
    saves_state = True

    def __init__(self, view: View, kept: Any = None) -> None:
        self.view = view
        # Where the view's elements share memory (windows of an unfold): which of them the
        # memory kept (see kept_places). The others' values were overwritten: no gradient
        # reaches them, and a place's gradient reaches src once, not once per element there.
        self.kept = kept

    def forward(self, base, src):
        self.shape = src.shape
        return base

    def vjp(self, g, out, base, src):
        inside = self._inside()
        g_base = dual.where(inside, dual.zeros_like(g), g) if self.needs[0] else None
        g_src = self._kept(take(self.view, g)) if self.needs[1] else None
        return (g_base, g_src)

    def jvp(self, tangents, out, base, src):
        t_base, t_src = tangents
        inside = self._inside()
        kept = 0 * out if t_base is None else dual.where(inside, dual.zeros_like(t_base), t_base)
        return kept if t_src is None else kept + scatter(self.view, self._kept(t_src))

    def _kept(self, v: Any) -> Any:
        """``v`` (the view's shape) on the elements whose values the memory kept, else 0."""
        return v if self.kept is None else dual.where(self.kept, v, dual.zeros_like(v))

    def _inside(self) -> Any:
        """A bool array of the base's shape: True on the view's elements."""
        return scatter(self.view, xp.ones(self.shape, dtype=bool)) != 0


def take(view: View, g: Any) -> Any:
    """The view's part of ``g`` (a base-shaped array or Tensor): the view ops replayed on it."""
    for op in view.ops:
        if getattr(op, "strict", False):  # view()'s memory check is about the base, not g
            op = copy.copy(op)
            op.strict = False
        g = _replay(op, g)
    return g


# A view op on g: its forward on an array, a recorded copy of the op on a Tensor.
_replay = dual.both(lambda op, g: op.forward(g), lambda op, g: copy.copy(op)(g), "op, g", ("g",))


def scatter(view: View, v: Any) -> Any:
    """Zeros of the base's shape with ``v`` in the view's region: the view ops' vjps, last first."""
    for op, shape in zip(reversed(view.ops), reversed(view.shapes), strict=True):
        (v,) = op.vjp(v, None, _shaped(shape))
    return v


def _shaped(shape: tuple[int, ...]) -> Any:
    """An array of ``shape`` that costs no memory: the view rules' vjps read only shapes."""
    return xp.broadcast_to(xp.zeros((), dtype=bool), shape)


# ----------------------------------------------------------------------------- the engine side
def sync(t: Tensor, reading: bool = False) -> None:
    """Give the view ``t`` the history of its base as it is now, if the base changed since.
    ``reading``: its ``grad_fn`` is asked for, which PyTorch makes anew in any grad mode."""
    info = t._view
    if info is None or info.stamp == t._vc[0]:
        return
    info = current(t)
    if open_transforms.here.dual and (chain := info.forward_chain()) is not None:
        # The view's tangent, from its base's (or dual's) as it is now; recorded where reverse
        # mode differentiates the tangents (jacrev of jacfwd): unrecorded, the view's tangent
        # was a constant there, its derivative 0 with no word of a saved value changed.
        recorded = grad_mode.modes.enabled and any(
            (tangent := level.tangent(chain[0])) is not None and tangent.requires_grad
            for level in open_transforms.here.dual
        )
        with grad_mode.set_grad_enabled(recorded):
            forward.carry(replay_ops(*chain), t)
    base = info.base
    untracked = not base.requires_grad and t._grad_fn is None
    if not grad_mode.modes.enabled:
        # (the history waits for recording; a view whose history cannot be replayed is
        # refused there, and where its grad_fn is read, as PyTorch does)
        if reading and not untracked and info.creation is not None:
            raise _refusal(t, indirect=True)
        return
    if untracked:
        info.stamp = t._vc[0]
        return  # nothing is recorded for this view
    if info.creation is not None:  # its history cannot be replayed: PyTorch refuses
        raise _refusal(t, indirect=True)
    info.stamp = t._vc[0]
    node = replay(info)._grad_fn
    if node is None:  # the base was cut from its history since (detach_): t keeps its own
        return
    node.replaced = previous = t._grad_fn  # ops that read t before keep its old history
    t._grad_fn = node
    t.requires_grad = True
    move_retained_grad(t, previous)


# Tensors (not views) whose sizes or strides an in-place view op changed (``y.t_()``), by id:
# a weak reference and the version the change brought. Their views taken before cannot replay
# their ops on the new sizes: they are taken anew as ``as_strided`` of the base, as PyTorch
# does (see :func:`_as_strided_of_base`).
_restrided: dict[int, tuple[weakref.ref, int]] = {}


def restrided(t: Tensor) -> None:
    """Note that ``t``, a base of views perhaps, has new sizes and strides (at its version)."""
    key = id(t)
    _restrided[key] = (weakref.ref(t, lambda _: _restrided.pop(key, None)), t._vc[0])


def current(t: Tensor) -> View:
    """The record of the view ``t`` that replays on its base as it is now: its own, or, where
    the base's sizes or strides changed since (``base.squeeze_(0)``), an ``as_strided``."""
    info = t._view
    if _restrided and info.stamp < _restrided.get(id(info.base), (None, -1))[1]:
        info = _as_strided_of_base(t)
    return info


def _as_strided_of_base(t: Tensor) -> View:
    """The view ``t``'s record as one ``as_strided`` of its base, for a base whose sizes or
    strides changed since ``t`` was taken: ``t``'s own geometry over the same memory."""
    from chainrule.ops import strided

    info = copy.copy(t._view)
    source = info.base._data
    sizes, strides, offset = strided.geometry(t._data)
    op = strided.AsStrided(sizes, strides, offset)
    op.source, op.input, op.output = source, strided.geometry(source), (sizes, strides, offset)
    info.ops, info.shapes = (op,), (tuple(source.shape),)
    if info.dual is not None:  # a dual stays one; a view of a dual no longer has its ops
        info.dual = (None, 1) if info.dual[0] is None else (info.dual[0], -1)
    t._view = info
    return info


def check_inplace(t: Tensor) -> None:
    """Refuse a recorded in-place change of a view where PyTorch does, with its message."""
    info = t._view
    base = info.base
    if info.creation is not None:  # PyTorch's first check, before the base's
        raise _refusal(t, indirect=False)
    if (base.requires_grad or t.requires_grad) and base._grad_fn is None:
        # (a view with history of a leaf that requires grad no more is refused all the same)
        raise RuntimeError(
            "a view of a leaf Variable that requires grad is being used in an in-place operation."
        )
    if t.requires_grad and t._grad_fn is None:
        # A view that came to require grad when its base gained history, and whose own
        # history was never asked for since (reading ``grad_fn`` or using it brings it): to
        # PyTorch it is still a leaf.
        raise RuntimeError(
            "a leaf Variable that requires grad is being used in an in-place operation."
        )
    sync(t)


def _refusal(t: Tensor, indirect: bool) -> RuntimeError:
    """PyTorch's error for changing in place a view it cannot track: one taken with recording
    off, or one of several outputs (split, unbind). ``indirect``: its base or another view of
    the base was changed, and the view is used afterwards."""
    info = t._view
    changed = "its base or another view of its base has been" if indirect else "is being"
    # A view of such a view is named by its own op, PyTorch's node name without "Backward0"
    name, index = info.of or (re.sub(r"Backward\d*$", "", info.ops[-1].name()), 0)
    # PyTorch names a view of such a view by its node, which it has where the base requires
    # grad (a view taken with recording off still requires grad then, to PyTorch)
    if info.creation == "no_grad_base" and (t._grad_fn is not None or info.base.requires_grad):
        opening = (
            f"Output {index} of {name} is a view of a view which was created in no_grad mode and "
            f"{changed} modified inplace with grad mode enabled."
        )
    elif info.creation == "no_grad" or t._grad_fn is None:
        opening = (
            f"A view was created in no_grad mode and {changed} modified inplace with grad mode "
            "enabled."
        )
    else:
        opening = f"Output {index} of {name} is a view and {changed} modified inplace."
    if info.creation == "multi":
        reason = (
            "This view is the output of a function that returns multiple views. Such functions "
            "do not allow the output views to be modified inplace. You should replace the "
            "inplace operation by an out-of-place one."
        )
    else:
        reason = (
            "Given that this use case is ambiguous and error-prone, it is forbidden. You can "
            "clarify your code by moving both the view and the inplace either both inside the "
            "no_grad block (if you don't want the inplace to be tracked) or both outside (if "
            "you want the inplace to be tracked)."
        )
    if type(info.creation) is InferenceView:  # taken inside inference_mode(): its words
        return RuntimeError(inference_worded(f"{opening} {reason}"))
    return RuntimeError(f"{opening} {reason}")


def replay(info: View) -> Tensor:
    """The view that ``info`` records taken anew from its base as it is now: its ops
    replayed, as new nodes."""
    return replay_ops(info.base, info.ops)


def replay_ops(base: Tensor, ops: Sequence[Op]) -> Tensor:
    """``ops`` (view ops) applied anew to ``base`` as it is now, as new nodes."""
    out = base
    for op in ops:
        out = copy.copy(op)(out)
    return out


def rebase(t: Tensor, changed: Tensor, kept: Any = None) -> None:
    """After ``t``'s memory received ``changed``'s values (where its elements share memory,
    those of ``kept``): the base's and ``t``'s new history."""
    info = t._view
    base = info.base
    # The node's first input is the base's old history (the base itself would be its own input).
    before = _make(base._data, base.requires_grad, base._grad_fn)
    node = CopySlices(info, kept)(before, changed)._grad_fn
    node.replaced = previous = base._grad_fn
    base._grad_fn = node
    base.requires_grad = True
    move_retained_grad(base, previous)  # the base's .grad is its new value's, as a view's
    spread_requires_grad(base)
    info.stamp = -1  # t is behind its base now: sync replays its ops on the new base
    sync(t)


def kept_places(a: Any, values: Any) -> Any:
    """Where ``a``'s elements share memory (an unfold of overlapping windows): a bool array of
    its shape, True on the one element of each place that a write of ``values`` into ``a``
    writes there: the last (row-major) of those whose value it changes, else the last. None
    where every element has a place of its own, as almost always.

    PyTorch's kernels write the elements an op sets (index_put_, masked_fill_, scatter_): an
    unchanged element must not put its old value back over a set one that shares its place.
    An op that sets several elements of one place to different values is left to its loop
    order there (``add_`` of an unfold), which this order does not follow.

        >>> import numpy as np
        >>> windows = np.lib.stride_tricks.sliding_window_view(np.zeros(3), 2)
        >>> kept_places(windows, np.array([[1.0, 1.0], [0.0, 0.0]])).tolist()
        [[True, True], [False, True]]
        >>> kept_places(np.zeros(2), np.ones(2)) is None
        True
    """
    if not a.size:
        return None
    steps = [s // a.itemsize for s in a.strides]
    covered = 0  # the farthest place the smaller strides reach: a larger one must pass it
    for step, n in sorted((abs(s), n) for s, n in zip(steps, a.shape, strict=True) if n > 1):
        if step <= covered:
            break
        covered += step * (n - 1)
    else:
        return None
    from chainrule.ops.strided import positions  # (strided imports shape, which imports this)

    places = positions(a.shape, steps, 0).ravel()
    places -= places.min()  # each element's place, counted from the lowest
    if xp.unique(places).size == a.size:
        return None
    bits = xp.dtype(f"u{a.itemsize}")  # compared as bits: -0.0 is not 0.0, a nan is itself
    values = values.astype(a.dtype, casting="unsafe", copy=False)
    changes = (values.view(bits) != a.view(bits)).ravel()  # (a: the values before)
    rank = xp.arange(a.size) + changes * a.size  # a changing element outranks every other
    best = xp.full(places.max() + 1, -1)
    xp.maximum.at(best, places, rank)
    return (rank == best[places]).reshape(a.shape)


def extended(view: View, added: View | None, stamp: int) -> View:
    """``view`` followed by the ops of ``added``, a view of the view's tensor: the record of a
    view after an in-place view op on it (``v.t_()``). A new record, since the nodes made
    before (:class:`CopySlices`) keep reading the old one. ``stamp``: the version its history
    matches. (An empty result shares no memory, so NumPy makes no view of it: its ops are
    left as they were.)"""
    info = copy.copy(view)
    if added is not None:
        info.ops = view.ops + added.ops
        info.shapes = view.shapes + added.shapes
    info.stamp = stamp
    return info


def multiple(pieces: tuple[Tensor, ...], name: str) -> tuple[Tensor, ...]:
    """Mark the outputs of ``split``/``unbind``, which PyTorch forbids changing in place, and
    number them as PyTorch's one node's outputs (``output_nr``)."""
    for index, piece in enumerate(pieces):
        if piece._view is not None:
            if grad_mode.modes.enabled:  # taken with recording off, they stay "no_grad" (PyTorch's)
                piece._view.creation = "multi"
            piece._view.of = (name, index)
        if piece._grad_fn is not None:
            piece._grad_fn.output_nr = index
    return pieces


def unsafe_split(tensor: Tensor, split_size: int, dim: int = 0) -> tuple[Tensor, ...]:
    """``split`` into pieces of ``split_size`` whose changes in place PyTorch does not track:
    each piece has its own history and version counter, though it shares the memory. (As
    PyTorch warns: change either the input or the pieces in place, not both, or the
    gradients are wrong.)

    >>> import chainrule as cr
    >>> y = cr.arange(4.0, requires_grad=True) * 1
    >>> a, b = cr.unsafe_split(y, 2)
    >>> a.mul_(2)                    # refused for split's pieces; y does not see it
    tensor([0., 2.], grad_fn=<MulBackward0>)
    >>> y.grad_fn.name(), y._version
    ('MulBackward0', 0)
    """
    return unsafe_split_at(tensor, split_size, dim, 2)


def unsafe_split_at(tensor: Tensor, split_size: Any, dim: Any, at: int) -> tuple[Tensor, ...]:
    """``unsafe_split``, ``split_size`` read as PyTorch reads it at argument position ``at``
    (``Tensor.unsafe_split`` has no ``tensor`` before it)."""
    from chainrule.ops import shape

    split_size = integer(split_size, "unsafe_split", "split_size", at)
    return _untracked(shape.split(tensor, split_size, dim), "UnsafeSplitBackward0")


def unsafe_split_with_sizes(
    tensor: Tensor, split_sizes: Sequence[int], dim: int = 0
) -> tuple[Tensor, ...]:
    """:func:`unsafe_split` into pieces of the given sizes."""
    from chainrule.ops import shape

    sizes = list(int_list((split_sizes,), "unsafe_split_with_sizes", "split_sizes", position=2))
    return _untracked(shape.split(tensor, sizes, dim), "UnsafeSplitWithSizesBackward0")


def unsafe_chunk(tensor: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """``chunk`` into pieces as :func:`unsafe_split` makes them."""
    from chainrule.ops import shape

    return _untracked(shape.chunk_at(tensor, chunks, dim, 2), "UnsafeSplitBackward0")


def _untracked(pieces: tuple[Tensor, ...], name: str) -> tuple[Tensor, ...]:
    """``split``'s ``pieces`` as PyTorch's unsafe variants give them: no views to autograd
    (nor to their input's version counter), named ``name``."""
    for index, piece in enumerate(pieces):
        info = piece._view
        if info is not None:
            watched = piece._vc[1] if len(piece._vc) > 1 else []
            watched[:] = [ref for ref in watched if ref() is not piece]
            piece._view = None
            piece._vc = [0]
            if births := open_transforms.here.births:  # made under vmap: changed in place,
                births[-1][id(piece._vc)] = piece._vc  # not a change from before it
        if piece._grad_fn is not None:
            piece._grad_fn.torch_name = name
            piece._grad_fn.output_nr = index
    return pieces
