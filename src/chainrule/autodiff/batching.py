"""Batching for ``vmap``: a batched value, and how each op runs on a whole batch at once.

Inside ``vmap``, a :class:`BatchedTensor` stands for one example of a batch: it shows the shape
of one example (its *logical* shape) while it holds the whole batch, an ordinary Tensor whose
dimension 0 runs over the examples (its *physical* value). Applying an op to batched values runs
the op's batching rule instead, which computes the whole batch with ordinary ops on the physical
values: so the graph that reverse mode walks and the tangents of forward mode are those of the
physical values, and every transform composes with ``vmap``.

The rules are functions of this module; each op class names its own as ``batch_rule`` (a
family base class gives the default for its members):

- elementwise ops broadcast: a batched value of lower rank gets size-1 dimensions after its
  batch dimension;
- reductions, softmax, cumulative sums and shape ops move their dimensions past the batch one;
- ``matmul`` and ``linear`` become batched matrix products, ``einsum`` gets a batch letter;
- losses of elements (mse, binary cross-entropy) are reduced per example.

An op without a rule runs once per example (a loop), with a warning naming the op, once.

Nested ``vmap``: the value of a batched tensor of level k may itself be batched at an outer
level; its physical array has one dimension per level, outermost first.

    >>> import chainrule as cr
    >>> x = BatchedTensor(cr.ones(5, 3), push_level(5))
    >>> y = (x * 2).sum()
    >>> tuple(x.shape), tuple(y.shape), tuple(y._value.shape)
    ((3,), (), (5,))
    >>> pop_level(x._level)
"""

from __future__ import annotations

import contextlib
import copy
import itertools
import math
import string
import sys
import warnings
from collections.abc import Callable, Iterator
from typing import Any, NoReturn

from chainrule import memory_formats
from chainrule._array import xp
from chainrule._lazy import import_later
from chainrule.autodiff.open_transforms import here, vmap_anywhere
from chainrule.tensor import DETACH_VIEW_IN_PLACE, Size, Tensor, _make

# Modules that import this one, bound on first use (chainrule._lazy): an import statement in
# a function costs ~1 us each time it runs, several per batched linear layer.
forward = import_later(globals(), "chainrule.autodiff.forward")
ops_broadcast = import_later(globals(), "chainrule.ops.broadcast")
ops_dual = import_later(globals(), "chainrule.ops.dual")
ops_indexing = import_later(globals(), "chainrule.ops.indexing")
ops_elementwise = import_later(globals(), "chainrule.ops.elementwise")
ops_linalg = import_later(globals(), "chainrule.ops.linalg")
ops_losses = import_later(globals(), "chainrule.ops.losses")
ops_nn = import_later(globals(), "chainrule.ops.nn_ops")
ops_shape = import_later(globals(), "chainrule.ops.shape")


class Watch:
    """What a block of code does to tensors while it runs: the version counters of the tensors
    made in it (``born``), and those of the tensors from before it that it changed in place
    (``changed``), each by id."""

    __slots__ = ("born", "changed")

    def __init__(self) -> None:
        self.born: dict[int, list[Any]] = {}
        self.changed: dict[int, list[Any]] = {}


class Level(Watch):
    """One open ``vmap``: its batch size and randomness mode; levels compare by creation
    order. It watches what its function does to tensors (see :func:`note_change`)."""

    __slots__ = ("index", "size", "randomness")

    def __init__(self, index: int, size: int, randomness: str) -> None:
        super().__init__()
        self.index = index
        self.size = size
        self.randomness = randomness


_counter = itertools.count()
# This thread's open vmap levels and watches (the levels, and the runs of vmap's fallback, see
# watching) are in ``here`` (chainrule.autodiff.open_transforms): ``here.births`` holds each
# watch's ``born``, where new tensors are noted.


def _open(watch: Watch) -> None:
    here.watches.append(watch)
    here.births.append(watch.born)
    vmap_anywhere.append(watch)


def _close(watch: Watch) -> None:
    watches, births = here.watches, here.births
    at = watches.index(watch)
    del watches[at], births[at]
    vmap_anywhere.remove(watch)
    if at:  # what was made under it was made under the watch around it too
        births[at - 1].update(watch.born)


def push_level(size: int, randomness: str = "error") -> Level:
    level = Level(next(_counter), size, randomness)
    here.vmap.append(level)
    _open(level)
    return level


@contextlib.contextmanager
def watching() -> Iterator[Watch]:
    """A :class:`Watch` of the block: one run of vmap's fallback, which must not change a
    tensor from before it that no argument holds (it would change once per example)."""
    watch = Watch()
    _open(watch)
    try:
        yield watch
    finally:
        _close(watch)


def note_change(version: list[Any]) -> None:
    """A tensor of version counter ``version`` was changed in place under a watch. vmap's last
    resort, running its function again once per example (``NotBatchable``), would make that
    change again where the tensor is from before the level (a counter, a buffer, the
    caller's input): each such level notes it, and then refuses the rerun rather than repeat
    the change; so does each run of that fallback. A tensor made under the level (the run)
    is made anew by the rerun."""
    made_under = False
    for watch in reversed(here.watches):  # innermost first: made under a watch, under those around
        made_under = made_under or id(version) in watch.born
        if not made_under:
            watch.changed[id(version)] = version


@contextlib.contextmanager
def lifting(levels: list[Level]) -> Iterator[None]:
    """``levels`` counted in ``here.lifted`` while the block runs (a transform's ``f``)."""
    lifted = here.lifted
    lifted.extend(levels)
    try:
        yield
    finally:
        del lifted[len(lifted) - len(levels) :]


def check_randomness(per_example: bool = False) -> None:
    """Called before a random draw inside vmap: 'same' draws once for every example; 'error'
    (the default) refuses, as in PyTorch; 'different' needs a draw made ``per_example`` (see
    :func:`chainrule.rng.per_example`): any other would repeat one draw for every example."""
    levels = here.vmap
    if any(level.randomness == "error" for level in levels) or "error" in here.looped:
        raise RuntimeError(
            "vmap: called random operation while in randomness error mode. Please either use "
            "the 'same' or 'different' randomness flags on vmap or perform the randomness "
            "operation out of vmap"
        )
    for level in levels:
        if level.randomness == "different" and not per_example:
            raise RuntimeError(
                "vmap: this random operation cannot draw one value per example, which "
                "randomness='different' asks for; use randomness='same' or draw outside vmap"
            )


def check_inplace_randomness(t: Any) -> None:
    """Called before ``t`` is filled with random values in place inside vmap: as
    :func:`check_randomness`, and 'different' refuses a ``t`` not batched at its level (one
    value for every example would look like 'same'), in PyTorch's words. As in PyTorch, whose
    levels see the fill innermost first, a 'same' level fills an unbatched copy of the
    example: the levels outside it see no batched tensor."""
    check_randomness(per_example=True)
    batched_at = [] if here.lifted and one_example(t) is not None else unwrap(t)[1]
    for level in reversed(here.vmap):
        if level.randomness == "same" and level in batched_at:
            batched_at = []
        if level.randomness == "different" and level not in batched_at:
            raise RuntimeError(
                "vmap: Cannot ask for different inplace randomness on an unbatched tensor. This "
                "will appear like same randomness. If this is necessary for your usage, please "
                "file an issue with functorch."
            )


def refuse_same_randomness(x: Any) -> None:
    """PyTorch's refusal of a random draw that reads a batched tensor under 'same' (at any
    level that batches it)."""
    if isinstance(x, Tensor) and any(level.randomness == "same" for level in unwrap(x)[1]):
        raise RuntimeError(
            "Vmap does not currently support same randomness with a batched tensor input. "
            "Please file an issue with functorch"
        )


def different_levels() -> list[Level]:
    """The open levels whose examples draw their own random values, outermost first (after
    :func:`check_randomness`)."""
    check_randomness(per_example=True)
    return [level for level in here.vmap if level.randomness == "different"]


def pop_level(level: Level) -> None:
    here.vmap.remove(level)
    _close(level)


class NotBatchable(RuntimeError):
    """Raised by code that cannot run on a batched tensor; ``vmap`` then loops over the batch."""


def _reader() -> str:
    """Where a batched tensor's values were read, as ``module.function``: the caller of its
    ``_data``, past helpers that only hand the array on (``op._value``), so that vmap's
    warning names the rule that lacks a batched path."""
    frame = sys._getframe(2)
    while frame.f_back is not None and frame.f_code.co_name == "_value":
        frame = frame.f_back
    return f"{frame.f_globals.get('__name__', '?')}.{frame.f_code.co_name}"


def refuse_storage_access() -> NoReturn:
    """PyTorch's refusal to hand NumPy (or a list) the values of a transform's wrapper tensor,
    which has no storage: a batched tensor's, or any tensor's inside ``f`` of ``grad``, ``jvp``
    and the other transforms (:func:`chainrule.func.refuse_storage_access`)."""
    raise RuntimeError("Cannot access data pointer of Tensor that doesn't have storage")


class BatchedTensor(Tensor):
    """One example's view of a batch: ``shape`` is the example's, ``_value`` holds them all."""

    __slots__ = ("_value", "_level")

    def __new__(cls, value: Tensor, level: Level) -> BatchedTensor:
        return batched(value, level)

    def __init__(self, value: Tensor, level: Level) -> None:
        pass

    @property
    def _data(self) -> Any:
        raise NotBatchable(
            "vmap: an operation reads the values of a batched tensor directly and has no "
            f"batching rule (in {_reader()})"
        )

    # The value's array is read directly where it has one (not batched at an outer level too):
    # these are read a few times per op that runs on a batched tensor.
    @property
    def shape(self) -> Size:
        value = self._value
        return Size((value.shape if type(value) is BatchedTensor else value._data.shape)[1:])

    def size(self, dim: int | None = None) -> Any:
        return self.shape if dim is None else self.shape[dim]

    @property
    def ndim(self) -> int:
        value = self._value
        return (value.ndim if type(value) is BatchedTensor else value._data.ndim) - 1

    def dim(self) -> int:
        return self.ndim

    def numel(self) -> int:
        return self.shape.numel()

    @property
    def dtype(self) -> Any:
        return self._value.dtype

    def is_floating_point(self) -> bool:
        return self._value.is_floating_point()

    def __len__(self) -> int:
        if not self.ndim:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def detach(self) -> Tensor:
        return batched(self._value.detach(), self._level)

    def detach_(self) -> Tensor:
        """Refused as in torch.func, where a batched tensor is a view of its batch."""
        raise RuntimeError(DETACH_VIEW_IN_PLACE)

    def item(self) -> Any:
        return self._shared_example(_ITEM).item()

    def __float__(self) -> float:
        return float(self._shared_example(_ITEM))

    def __int__(self) -> int:
        return int(self._shared_example(_ITEM))

    def __index__(self) -> int:
        return self._shared_example(_ITEM).__index__()

    def _shared_example(self, refusal: str) -> Tensor:
        """:func:`one_example`, or vmap's ``refusal`` where there is none (under a transform
        opened inside a vmap that batches this tensor, PyTorch's refusal names both reads)."""
        example = one_example(self)
        if example is None:
            have = unwrap(self)[1]
            inside = any(level in outer for outer in here.transforms for level in have)
            raise RuntimeError(_EITHER if inside else refusal)
        return example

    def contiguous(self, memory_format: Any = None) -> Tensor:
        """This tensor where its physical array is row-major (the batch dimensions lead, so
        each example's values are too), else Clone's batched copy; other memory formats as
        any tensor's. Asked of the array under the wrappers: a batched tensor has none."""
        if memory_format is None or memory_format is memory_formats.contiguous_format:
            if physical(self).flags.c_contiguous:
                return self
            return ops_elementwise.Clone(memory_formats.contiguous_format)(self)
        return super().contiguous(memory_format)

    def numpy(self, force: bool = False) -> Any:
        if self.requires_grad and not force:  # PyTorch's first check (vmap over grad)
            super().numpy()
        refuse_storage_access()

    def tolist(self) -> Any:
        example = one_example(self)
        if example is None:
            refuse_storage_access()
        return example.tolist()

    def __bool__(self) -> bool:
        return bool(self._shared_example(_CONTROL_FLOW))

    def __repr__(self) -> str:
        return f"BatchedTensor(lvl={self._level.index}, bdim=0, value=\n{self._value!r}\n)"


def batched(value: Tensor, level: Level) -> BatchedTensor:
    """``BatchedTensor(value, level)`` in one call: made once per op on batched tensors."""
    self = _new(BatchedTensor)
    self._value = value
    self._level = level
    self.requires_grad = value.requires_grad
    self._grad = None  # the slots, not the checking setters
    self._grad_fn = None
    self._vc = [0]
    self._hooks = None
    self._view = None
    return self


_new = object.__new__

_ITEM = (
    "vmap: It looks like you're calling .item() on a Tensor. We don't support vmap over "
    "calling .item() on a Tensor, please try to rewrite what you're doing with other "
    "operations. If error is occurring somewhere inside PyTorch internals, please file "
    "a bug report."
)
_CONTROL_FLOW = (
    "vmap: It looks like you're attempting to use a Tensor in some data-dependent "
    "control flow. We don't support that yet, please file an issue at "
    "https://github.com/pytorch/pytorch/issues ."
)

_EITHER = (
    "vmap: It looks like you're either (1) calling .item() on a Tensor or (2) attempting to use "
    "a Tensor in some data-dependent control flow or (3) encountering this error in PyTorch "
    "internals. For (1): we don't support vmap over calling .item() on a Tensor, please try to "
    "rewrite what you're doing with other operations. For (2): we don't support data-dependent "
    "control flow in vmap yet, please file an issue at https://github.com/pytorch/pytorch/issues "
    ". For (3): please file an issue."
)


def one_example(x: Tensor) -> Tensor | None:
    """``x``'s one example where every level batching it is a jvp's lifted one
    (``here.lifted``) and its examples are all the same: torch.func's unbatched primal. None
    where a per-example draw made them differ (batched in torch.func too) or a vmap of the
    user's batches ``x``."""
    value, have = unwrap(x)
    lifted = here.lifted
    if not all(level in lifted for level in have):
        return None
    data = value._data
    if not alike_along(data, list(range(len(have)))):
        return None
    return _make(data[(0,) * len(have)])


def alike_along(data: Any, axes: list[int]) -> bool:
    """Whether the array ``data``'s values are the same all along each of ``axes``."""
    first = data[tuple(slice(0, 1) if i in axes else slice(None) for i in range(data.ndim))]
    same_nan = data.dtype.kind in "fc"
    return xp.array_equal(data, xp.broadcast_to(first, data.shape), equal_nan=same_nan)


def unwrap(x: Tensor) -> tuple[Tensor, list[Level]]:
    """The physical Tensor under every batching wrapper, and its batch levels, outermost first
    (the order of its leading dimensions)."""
    found = []
    while type(x) is BatchedTensor:
        found.append(x._level)
        x = x._value
    found.reverse()
    return x, found


def wrap(value: Tensor, levels: list[Level]) -> Tensor:
    """``value`` seen through the batching wrappers of ``levels`` (sorted, outermost first):
    :func:`unwrap`'s inverse."""
    for level in levels:
        value = batched(value, level)
    return value


def physical(x: Tensor) -> Any:
    """The array behind ``x`` with one leading dimension per vmap level that batches it,
    outermost first: what a NumPy function that broadcasts over leading dimensions (the
    decompositions of ``numpy.linalg``) computes on for the whole batch at once."""
    while type(x) is BatchedTensor:
        x = x._value
    return x._data


def array_and_levels(x: Tensor) -> tuple[Any, list[Level]]:
    """:func:`physical`'s array and the levels of its leading dims (:func:`unwrap`'s)."""
    value, levels = unwrap(x)
    return value._data, levels


def lift_steps(have: list[Level], want: Any) -> tuple[list[int], Any, list[Level]]:
    """How a value with leading dims ``have`` is lifted to every level of ``want`` too: the
    sizes of the leading dims put in front of it, one by one; then the order of its leading
    dims that sorts them outermost first (None where they are sorted); the levels after."""
    have = list(have)
    sizes = []
    for level in want:
        if level not in have:
            sizes.append(level.size)
            have.insert(0, level)
    if len(have) < 2:  # one level at most: sorted (the common case, without a sort)
        return sizes, None, have
    order = sorted(range(len(have)), key=lambda i: have[i].index)
    if order == list(range(len(have))):
        return sizes, None, have
    return sizes, order, [have[i] for i in order]


def lift(value: Tensor, have: list[Level], want: Any) -> tuple[Tensor, list[Level]]:
    """``value`` (leading dims ``have``) expanded to every level of ``want`` too, its leading
    dims sorted outermost first."""
    sizes, order, have = lift_steps(have, want)
    for size in sizes:
        value = value.unsqueeze(0).expand((size, *value.shape))
    if order is not None:
        value = value.permute(*order, *range(len(have), value.ndim))
    return value, have


def lift_array(data: Any, have: list[Level], want: Any) -> tuple[Any, list[Level]]:
    """:func:`lift` on an array: a read-only view, broadcast (stride 0) along the new dims."""
    sizes, order, have = lift_steps(have, want)
    if sizes:  # each size went in front of the ones before
        data = ops_dual.broadcast_to(data, (*sizes[::-1], *data.shape))
    if order is not None:
        data = data.transpose((*order, *range(len(have), data.ndim)))
    return data, have


# ----------------------------------------------------------------------------- dispatch
def batched_level(inputs: tuple[Any, ...]) -> Level | None:
    """The innermost vmap level among the inputs, or None when none is batched."""
    found = None
    for x in inputs:
        if type(x) is BatchedTensor and (found is None or x._level.index > found.index):
            found = x._level
    return found


def apply(op: Any, inputs: tuple[Any, ...], level: Level) -> Tensor:
    """Apply ``op`` to inputs batched at ``level``: its rule on the physical values."""
    values = []
    flags = []
    for x in inputs:
        mine = type(x) is BatchedTensor and x._level is level
        values.append(x._value if mine else x)
        flags.append(mine)
    rule = type(op).batch_rule or _loop
    return batched(rule(op, values, flags, level.size), level)


_warned: set[str] = set()


def _loop(op: Any, values: list[Any], batched: list[bool], size: int) -> Tensor:
    """The fallback: the op once per example (a fresh copy each time), results stacked."""
    name = type(op).__name__
    if name not in _warned:
        _warned.add(name)
        warnings.warn(
            f"vmap: there is no batching rule for {name}; it runs once per example (slow)",
            stacklevel=4,
        )
    results = []
    for i in range(size):
        picked = [v[i] if b else v for v, b in zip(values, batched, strict=True)]
        results.append(copy.copy(op)(*picked))
    return ops_shape.stack(results)


def vjp_on_arrays(node: Any, g: Any) -> tuple[Any, ...] | None:
    """``node``'s vjp for a batch of cotangents ``g`` (batched at one level) computed on arrays,
    or None where the rule must run on batched Tensors instead.

    A batched backward that nothing differentiates again (``vmap`` over ``vjp_fn``; jacrev's
    rows where its one pass on arrays, ``backward.batched_grad``, does not apply) would
    otherwise run each rule op by op through the batching rules. Rules whose op class sets
    ``vjp_broadcasts`` (elementwise ops, ``matmul``) treat extra leading dimensions of ``g`` as
    broadcast ones, so one call on the physical array computes every example's gradient; each
    is then summed back to its input's shape, leaving the batch dimension.
    """
    if not getattr(type(node), "vjp_broadcasts", False) or type(g) is not BatchedTensor:
        return None
    if here.dual:  # the rule must see the inputs' tangents: on Tensors
        return None
    value = g._value
    if type(value) is BatchedTensor:  # batched at several levels: the general path
        return None
    batch = value._data
    grads = node.vjp(batch, node.out, *node.args)
    level = g._level
    found = []
    for x, gi, need in zip(node.inputs, grads, node.needs, strict=False):
        if gi is None or not need:
            found.append(None)
            continue
        summed = unbroadcast_batch(gi, x._data.shape, level.size)
        if summed is None:
            return None  # a gradient that does not carry the batch: the general path
        found.append(batched(_make(summed), level))
    return tuple(found)


def unbroadcast_batch(gi: Any, shape: tuple[int, ...], size: int) -> Any:
    """A batch of ``size`` gradients, computed by a rule that broadcast them over extra leading
    dimensions (an array (size, ..., *broadcast shape)), summed back to (size, *shape); None
    when ``gi`` does not carry the batch.

    >>> import numpy as np
    >>> unbroadcast_batch(np.ones((4, 2, 3)), (3,), 4).shape
    (4, 3)
    """
    rank = gi.ndim - 1  # an array, from g's: NumPy scalars are never batched
    if rank < len(shape) or gi.shape[0] != size:
        return None
    if gi.shape[1:] == shape:  # nothing broadcast (most rules): no sum, no new view of gi
        return gi
    target = (size,) + (1,) * (rank - len(shape)) + shape
    return ops_broadcast.unbroadcast(gi, target).reshape((size, *shape))


# ----------------------------------------------------------------------------- the rules
def _rank(value: Any, batched: bool) -> int:
    ndim = value.ndim if hasattr(value, "ndim") else 0
    return ndim - 1 if batched else ndim


def _padded(value: Any, rank: int, target: int) -> Any:
    """A batched value of logical rank ``rank`` with size-1 dims after the batch one."""
    if rank == target:
        return value
    shape = tuple(value.shape)
    return _reshape(value, (shape[0],) + (1,) * (target - rank) + shape[1:])


def _aligned(values: list[Any], batched: list[bool]) -> list[Any]:
    """Broadcasting operands with the examples' dimensions lined up from the right."""
    ranks = [_rank(v, b) for v, b in zip(values, batched, strict=True)]
    top = max(ranks)
    return [_padded(v, r, top) if b else v for v, b, r in zip(values, batched, ranks, strict=True)]


def elementwise(op: Any, values: list[Any], batched: list[bool], size: int) -> Tensor:
    """Broadcasting ops: line the examples' dimensions up from the right."""
    if len(values) == 1:  # nothing to line up with
        return op(values[0])
    return op(*_aligned(values, batched))


def _shifted(dims: Any) -> Any:
    return tuple(d + 1 for d in dims)


def reduction(op: Any, values: list[Any], batched: list[bool], size: int) -> Tensor:
    op.dims = _shifted(op.dims)
    return op(values[0])


def along_dim(op: Any, values: list[Any], batched: list[bool], size: int) -> Tensor:
    values = [whole(v, b, size) for v, b in zip(values, batched, strict=True)]
    if values[0].ndim == 1:  # 0-d examples, whose one dim (0 or -1) PyTorch lets ops name:
        op.dim = 1  # each example a vector of one
        out = op(*[v.unsqueeze(1) for v in values])
        return out.squeeze(1) if out.ndim > 1 else out
    op.dim += 1
    return op(*values)


def arg_extreme(op: Any, values: list[Any], batched: list[bool], size: int) -> Tensor:
    """Along a dimension past the batch one; with none, over each example flattened."""
    if op.dim is not None:
        return along_dim(op, values, batched, size)
    (x,) = values
    keepdim, op.dim, op.keepdim = op.keepdim, 1, False
    out = op(x.reshape((size, -1)))
    return out.reshape((size,) + (1,) * (x.ndim - 1)) if keepdim else out


def permute(op: Any, values: list[Any], batched: list[bool], size: int) -> Tensor:
    op.dims = (0, *_shifted(op.dims))
    return op(values[0])


def flip(op: Any, values: list[Any], batched: list[bool], size: int) -> Tensor:
    op.dims = _shifted(op.dims)
    return op(values[0])


def roll(op: Any, values: list[Any], batched: list[bool], size: int) -> Tensor:
    if op.dims is None:  # rolls the flattened example: reshape around it
        (x,) = values
        flat = x.reshape((size, -1))
        op.dims = 1
        return op(flat).reshape(tuple(x.shape))
    op.dims = (op.dims + 1) if isinstance(op.dims, int) else _shifted(op.dims)
    return op(values[0])


def diagonal(op: Any, values: list[Any], batched: list[bool], size: int) -> Tensor:
    op.dim1 += 1
    op.dim2 += 1
    return op(values[0])


def windows(op: Any, values: list[Any], batched: list[bool], size: int) -> Tensor:
    op.dim += 1
    return op(values[0])


def diag_embed(op: Any, values: list[Any], batched: list[bool], size: int) -> Tensor:
    op.shape = (size, *op.shape)
    return diagonal(op, values, batched, size)


def reshape(op: Any, values: list[Any], batched: list[bool], size: int) -> Tensor:
    op.shape = (size, *op.shape)
    return op(values[0])


def expand(op: Any, values: list[Any], batched: list[bool], size: int) -> Tensor:
    x = _padded(values[0], values[0].ndim - 1, len(op.shape))
    op.shape = (size, *op.shape)
    return op(x)


def repeat(op: Any, values: list[Any], batched: list[bool], size: int) -> Tensor:
    x = _padded(values[0], values[0].ndim - 1, len(op.repeats))
    op.repeats = (1, *op.repeats)
    return op(x)


def pad(op: Any, values: list[Any], batched: list[bool], size: int) -> Tensor:
    op.widths = ((0, 0), *op.widths)
    return op(values[0])


def cat(op: Any, values: list[Any], batched: list[bool], size: int) -> Tensor:
    op.dim += 1
    return op(*[whole(v, b, size) for v, b in zip(values, batched, strict=True)])


def getitem(op: Any, values: list[Any], batched: list[bool], size: int) -> Tensor:
    op.key = _with_examples(op.key, size)
    return op(values[0])


def _with_examples(key: tuple[Any, ...], size: int) -> tuple[Any, ...]:
    """A key of one example's dims as a key of the batch's (dim 0 the examples): the batch
    dim taken whole; or, where the key's index arrays do not stand together, so that NumPy
    puts their broadcast dims first, an index of the examples in front, (size, 1, ...) to
    broadcast with them, which keeps the examples first."""
    if _advanced_adjacent(key):
        return (slice(None), *key)
    rank = max(p.ndim for p in key if isinstance(p, xp.ndarray))
    return (xp.arange(size).reshape((size,) + (1,) * rank), *key)


def index_by_batched(x: Tensor, key: tuple[Any, ...]) -> Tensor:
    """``x[key]`` where index arrays of ``key`` are batched tensors of integers (a key of
    ``getitem`` after its integers made their view: slices, None, ``...``, index arrays).

    One advanced index on the physical values computes every example: ``x`` is lifted to
    every level of the key (a stride-0 view where it is not batched), and an index of each
    level's examples, in front of the key, makes example i read its own part of ``x``, the
    index arrays' dims lined up after the levels' dims. NumPy puts the broadcast dims of an
    index that does not stand together first; PyTorch puts them where the arrays stand
    together, after the dims of the parts before them: a permute moves them there.

    >>> import chainrule as cr
    >>> level = push_level(2)
    >>> index = BatchedTensor(cr.tensor([[0], [2]]), level)  # one row per example
    >>> rows = index_by_batched(cr.arange(6.0).reshape(3, 2), (index,))
    >>> tuple(rows.shape), rows._value.tolist()
    ((1, 2), [[[0.0, 1.0]], [[4.0, 5.0]]])
    >>> pop_level(level)
    """
    value, want, lifted_key, rank = physical_key(x, key)
    out = ops_indexing.GetItem(lifted_key, False)(value)
    order = _picked_order(key, x.ndim, len(want), rank, out.ndim)
    if order is not None:
        out = ops_shape.Permute(order)(out)
    return wrap(out, want)


def put_by_batched(
    x: Tensor, key: tuple[Any, ...], v: Any, write: Callable[..., Tensor] | None = None
) -> Tensor:
    """``x`` with ``x[key] = v`` (a new tensor: ``setitem`` writes it in place), where index
    arrays of ``key`` are batched tensors of integers, as :func:`index_by_batched` reads: one
    write on the physical values, ``v`` lined up with the indexed part as PyTorch lines it up
    (its dims moved where NumPy's index puts them). ``write(value, key, v)`` makes the write
    on those (``IndexPut``'s where None; an accumulating ``index_put`` adds instead)."""
    value, want, lifted_key, rank = physical_key(x, key, v)
    count = len(want)
    if isinstance(v, Tensor):
        v, _ = lift(*unwrap(v), want)
        shape = tuple(v.shape)  # the levels' dims, then one example's
        total = _indexed_rank(tuple(value.shape), lifted_key)
        if len(shape) < total:  # one example's dims line up from the right, as NumPy's
            v = _reshape(v, (*shape[:count], *(1,) * (total - len(shape)), *shape[count:]))
        order = _picked_order(key, x.ndim, count, rank, v.ndim)
        if order is not None:  # the indexed part as PyTorch sees it -> as NumPy lays it out
            v = ops_shape.Permute(tuple(order.index(i) for i in range(v.ndim)))(v)
    if write is None:
        return wrap(ops_indexing.IndexPut(lifted_key)(value, v), want)
    return wrap(write(value, lifted_key, v), want)


def refuse_masks(key: tuple[Any, ...]) -> None:
    """A bool mask beside batched index arrays picks as many places as each example's mask
    has: no one physical index; vmap runs the function once per example instead."""
    if any(isinstance(p, xp.ndarray) and p.dtype == bool for p in key):
        raise NotBatchable("vmap: a bool mask beside a batched index")


def physical_key(
    x: Tensor, key: tuple[Any, ...], *also: Any
) -> tuple[Tensor, list[Level], tuple[Any, ...], int]:
    """For ``x[key]`` with batched index arrays (see :func:`index_by_batched`): ``x`` lifted
    to every level of it, of the key and of ``also``; those levels; the key of the lifted
    ``x``, checked, an index of each level's examples in front; and the rank of the index
    arrays' broadcast (one example's)."""
    refuse_masks(key)
    value, have = unwrap(x)
    value, want = lift(value, have, levels_of((*key, *also), have))
    shapes = [tuple(p.shape) for p in key if _is_index(p)]  # (a batched tensor's: one example's)
    ops_indexing.check_broadcast(shapes)  # (refused in one example's shapes)
    rank = max(map(len, shapes))
    count = len(want)
    parts = []
    for p in key:
        if type(p) is BatchedTensor:
            data, _ = lift_array(*array_and_levels(p), want)
            shape = data.shape
            p = data.reshape(shape[:count] + (1,) * (rank + count - data.ndim) + shape[count:])
        parts.append(p)
    examples = tuple(
        xp.arange(level.size).reshape((1,) * i + (level.size,) + (1,) * (count - 1 - i + rank))
        for i, level in enumerate(want)
    )
    key = ops_indexing.checked_key(value, (*examples, *parts), examples=count)
    return value, want, key, rank


def _picked_order(
    key: tuple[Any, ...], ndim: int, count: int, rank: int, out_ndim: int
) -> tuple[int, ...] | None:
    """The permute that takes the physical ``x[key]`` (levels' dims, then NumPy's order:
    the index arrays' broadcast dims first) to PyTorch's order, where the arrays stand
    together after the dims of the parts before them; None where the orders agree."""
    start = _indexed_dims_start(key, ndim)
    if not start:
        return None
    end = count + rank
    return (
        *range(count),
        *range(end, end + start),
        *range(count, end),
        *range(end + start, out_ndim),
    )


def _is_index(part: Any) -> bool:
    return type(part) is BatchedTensor or isinstance(part, xp.ndarray)


def levels_of(parts: Any, have: Any = ()) -> list[Level]:
    """The levels of ``have`` and those batching any of ``parts`` (tensors or anything else,
    which no level batches), outermost first."""
    found = set(have)
    for p in parts:
        if type(p) is BatchedTensor:
            found.update(unwrap(p)[1])
    return sorted(found, key=lambda level: level.index)


def _indexed_dims_start(key: tuple[Any, ...], ndim: int) -> int:
    """How many dims of ``x[key]`` (``x`` of rank ``ndim``; a key without integers) come
    before the broadcast dims of its index arrays: 0 where they do not stand together (a
    ``...`` of no dims between them does not count), which puts those dims first."""
    taken = sum(1 for p in key if p is not None and p is not Ellipsis)
    spans = [ndim - taken if p is Ellipsis else 1 for p in key]
    kept = [(p, n) for p, n in zip(key, spans, strict=True) if n or p is not Ellipsis]
    where = [i for i, (p, _) in enumerate(kept) if _is_index(p)]
    if where[-1] - where[0] != len(where) - 1:
        return 0
    return sum(n for _, n in kept[: where[0]])


def by_batched_index(
    make: Callable[[int, Any], Any], dim: int, index: Tensor, *inputs: Tensor
) -> Tensor:
    """``make(dim, array)(*inputs)`` for an op along ``dim`` that reads an index array of its
    inputs' rank (``Gather``, ``Scatter``, ``ScatterAdd``, ``ScatterReduce``), where
    ``index`` is batched: the inputs and the index lifted to every level of any of them (a
    stride-0 view where one is not batched there), the op along ``dim`` past the levels'
    dims."""
    want = levels_of((index, *inputs))
    lifted = [lift(*unwrap(x), want)[0] for x in inputs]
    data, _ = lift_array(*array_and_levels(index), want)
    return wrap(make(dim + len(want), data)(*lifted), want)


def _advanced_adjacent(key: tuple[Any, ...]) -> bool:
    """Whether NumPy keeps the picked axes in place (else it moves them first). With an array
    in the key, integers count as arrays too."""
    where = [
        i for i, k in enumerate(key) if not isinstance(k, slice | int | type(None) | type(...))
    ]
    where = sorted(where + [i for i, k in enumerate(key) if isinstance(k, int)]) if where else []
    return not where or where[-1] - where[0] == len(where) - 1


def matmul(op: Any, values: list[Any], batched: list[bool], size: int) -> Tensor:
    """``a @ b`` per example as one (batched) matrix product."""
    (a, b), (ab, bb) = values, batched
    ra, rb = _rank(a, ab), _rank(b, bb)
    if ab and not bb and rb <= 2:  # (B, ..., n) @ (n, k): NumPy's matmul takes the batch
        return op(a, b)
    if bb and not ab and ra == 1 and rb == 1:  # a dot product per example
        return op(b, a)
    if bb and not ab and ra == 2 and rb == 1:  # (m, n) @ (B, n) is (B, n) @ (n, m)
        # x @ W^T as one op, where a.transpose then op would record two (jacfwd's products)
        return ops_nn.Linear()(b, a)
    stack = max(ra - 2, rb - 2, 0)
    if ab:
        a = _padded(a.unsqueeze(1), 2, stack + 2) if ra == 1 else _padded(a, ra, stack + 2)
    if bb:
        b = _padded(b.unsqueeze(-1), 2, stack + 2) if rb == 1 else _padded(b, rb, stack + 2)
    out = op(a, b)
    if ab and ra == 1:
        out = out.squeeze(-2)
    if bb and rb == 1:
        out = out.squeeze(-1)
    return out


def linear(op: Any, values: list[Any], batched: list[bool], size: int) -> Tensor:
    """``x @ W^T + b`` per example; with one weight for all, the op itself takes the batch."""
    if not any(batched[1:]):
        return op(*values)
    x, w = values[0], values[1]
    shape = tuple(x.shape)
    features = shape[1:-1] if batched[0] else shape[:-1]
    rows = _reshaped(x, (size if batched[0] else 1, math.prod(features), shape[-1]))
    weight = w if batched[1] else w.unsqueeze(0)
    out = ops_linalg.MatMul()(rows, ops_shape.Permute((0, 2, 1))(weight))  # each example's W^T
    product = tuple(out.shape)  # (size, or 1 where the bias alone is batched, rows, out)
    out = _reshaped(out, (product[0], *features, product[-1]))
    if len(values) > 2 and values[2] is not None:  # forward mode's products pass no bias
        bias = values[2]
        # added after the reshape: a batched bias then needs none where each example is one
        # row of features (a size-1 dimension per feature dimension otherwise)
        out = out + (_padded(bias, bias.ndim - 1, len(features) + 1) if batched[2] else bias)
    return out


def _reshaped(x: Any, shape: tuple[int, ...]) -> Any:
    """``x.reshape(shape)``, or ``x`` itself where it has that shape already: inside a rule
    no one sees the value in between, and each op recorded costs a node in both passes."""
    return x if tuple(x.shape) == shape else _reshape(x, shape)


def _reshape(x: Any, shape: tuple[int, ...]) -> Any:
    """``x.reshape(shape)`` for a ``shape`` a rule computed in full (no -1), with ``x``'s
    number of elements: the op itself, without the checks of the public function."""
    return ops_shape.Reshape(shape)(x)


def _indexed_rank(shape: tuple[int, ...], key: tuple[Any, ...]) -> int:
    """The rank of ``x[key]`` for x of ``shape`` (one bool per element at most is made)."""
    return xp.broadcast_to(xp.zeros((), dtype=bool), shape)[key].ndim


def whole(value: Any, batched: bool, size: int) -> Any:
    """A value the same for every example, as a batch (for ops that write into it)."""
    return value if batched else value.unsqueeze(0).expand((size, *value.shape))


def copy_values(op: Any, values: list[Any], batched: list[bool], size: int) -> Tensor:
    """``t.copy_(src)``: the batch of ``t`` takes each example's ``src``."""
    (old, src), (bo, bs) = values, batched
    old = whole(old, bo, size)
    if bs:
        src = _padded(src, src.ndim - 1, old.ndim - 1)
    return op(old, src)


def index_add(op: Any, values: list[Any], batched: list[bool], size: int) -> Tensor:
    g = _padded(values[0], values[0].ndim - 1, _indexed_rank(op.shape, op.key))
    op.key, op.shape = _with_examples(op.key, size), (size, *op.shape)
    return op(g)


def index_put(op: Any, values: list[Any], batched: list[bool], size: int) -> Tensor:
    (x, v), (bx, bv) = values, batched
    x = whole(x, bx, size)
    if bv:
        v = _padded(v, v.ndim - 1, _indexed_rank(tuple(x.shape)[1:], op.key))
    op.key = _with_examples(op.key, size)
    return op(x, v)


def _batched_index(op: Any, size: int) -> None:
    op.index = xp.broadcast_to(op.index, (size, *op.index.shape))
    op.dim += 1


def gather(op: Any, values: list[Any], batched: list[bool], size: int) -> Tensor:
    _batched_index(op, size)
    return op(values[0])


def scatter_add(op: Any, values: list[Any], batched: list[bool], size: int) -> Tensor:
    _batched_index(op, size)
    return op(*[whole(v, b, size) for v, b in zip(values, batched, strict=True)])


def images(op: Any, values: list[Any], batched: list[bool], size: int) -> Tensor:
    """Image ops (pooling; convolution and its input gradient with one weight for all): the
    examples' images join the op's own batch dimension."""
    if any(batched[1:]):
        return _loop(op, values, batched, size)
    x = values[0]
    shape = tuple(x.shape)
    if hasattr(op, "x_shape"):  # the input gradient: its result has the forward input's shape
        op.x_shape = (size * op.x_shape[0], *op.x_shape[1:])
    out = op(x.reshape((size * shape[1], *shape[2:])), *values[1:])
    return out.reshape((size, shape[1], *tuple(out.shape)[1:]))


def nll_loss(op: Any, values: list[Any], batched: list[bool], size: int) -> Tensor:
    """Per example: the losses of all samples at once ("none"), then each example's reduction;
    a mean's divisor, each example's total weight of its counted samples, is computed on the
    class indices' array (:func:`_counted`)."""
    x, target = values
    if not batched[0]:
        x = x.unsqueeze(0).expand((size, *x.shape))
    if not batched[1]:
        target = target.unsqueeze(0).expand((size, *target.shape))
    shape = tuple(x.shape)  # (size, *samples, classes)
    samples = math.prod(shape[1:-1])
    losses = ops_losses.NllLoss(op.weight, op.ignore_index, "none")(
        _reshaped(x, (size * samples, shape[-1])), _reshaped(target, (size * samples,))
    )
    if op.reduction == "none":
        return _reshaped(losses, shape[:-1])
    # one sample per example (per-example gradients): its loss is the sum, no op needed
    total = losses if samples == 1 else _reshape(losses, (size, samples)).sum(1)
    if op.reduction == "sum":
        return total
    divisor, none_counted = _counted(op, target, shape[-1], physical(x).dtype)
    mean = total / divisor
    return mean if none_counted is None else mean + none_counted


def _counted(op: Any, target: Tensor, classes: int, dtype: Any) -> tuple[Tensor, Any]:
    """Each example's total weight (1 without class weights) of the samples of ``target``
    (this level's examples first) that ``op`` (an ``NllLoss``) does not ignore: the array
    behind ``target`` summed directly, its outer levels kept, since class indices carry no
    gradient (six ops on Tensors did the same, ~60 Python calls). Where an example ignores
    every sample, its mean is nan (0/0) but its gradient 0, as without vmap (see
    ``NllLoss._over_zero_weight``): its divisor is 1, and nan is added, at those examples, by
    the second tensor (None where every example counts a sample)."""
    value, outer = unwrap(target)
    data = value._data
    picked = data.reshape((*data.shape[: len(outer) + 1], -1))
    valid = picked != op.ignore_index
    counted = valid.astype(dtype)
    if op.weight is not None:
        counted = counted * op.weight[xp.minimum(xp.maximum(picked, 0), classes - 1)]
    total = counted.sum(-1)
    none = ~valid.any(-1)
    if not none.any():
        return wrap(_make(total), outer), None
    nan = xp.where(none, xp.asarray(xp.nan, dtype), xp.zeros((), dtype))
    return wrap(_make(xp.where(none, xp.ones((), dtype), total)), outer), wrap(_make(nan), outer)


def einsum(op: Any, values: list[Any], batched: list[bool], size: int) -> Tensor:
    """A letter new to the equation runs over the batch, in the batched operands and the
    output: ``ij,j->i`` with its first operand batched is ``zij,j->zi``."""
    used = set("".join(op.subscripts) + op.output)
    letter = next(c for c in string.ascii_letters if c not in used)
    op.subscripts = [letter + s if b else s for s, b in zip(op.subscripts, batched, strict=True)]
    op.output = letter + op.output
    return op(*values)


def pointwise_loss(op: Any, values: list[Any], batched: list[bool], size: int) -> Tensor:
    """A loss of elements, reduced (mse, binary cross-entropy): the elements' losses of the
    whole batch at once (``reduction="none"``), broadcast as elementwise ops are, then each
    example's sum or mean."""
    reduction, op.reduction = op.reduction, "none"
    losses = elementwise(op, values, batched, size)
    if reduction == "none":
        return losses
    per_example = losses.reshape((size, -1))
    return per_example.mean(1) if reduction == "mean" else per_example.sum(1)


def function(op: Any, values: list[Any], batched: list[bool], size: int) -> Tensor:
    """A user's ``autograd.Function``: its own ``vmap`` static method, else the loop."""
    from chainrule.autodiff.function import VmapInfo, _overrides

    if not _overrides(op.function, "vmap"):
        return _loop(op, values, batched, size)
    in_dims = tuple(0 if b else None for b in batched)
    out, out_dim = op.function.vmap(VmapInfo(size), in_dims, *values)
    if isinstance(out, tuple):  # several outputs: packed by the loop's examples
        return _loop(op, values, batched, size)
    if out_dim is None:
        return out.unsqueeze(0).expand((size, *out.shape))
    if out_dim % out.ndim == 0:
        return out
    order = [out_dim % out.ndim] + [i for i in range(out.ndim) if i != out_dim % out.ndim]
    return out.permute(*order)


Rule = Callable[[Any, list[Any], list[bool], int], Tensor]


def rule_of(cls: type) -> Rule | None:
    """The batching rule an op class declares (its own or its family's, the ``batch_rule``
    attribute), or None where it falls back to the loop."""
    return getattr(cls, "batch_rule", None)
