"""The reverse pass: the chain rule applied node by node, newest first, without recursion.

For each node, in reverse creation order (a topological order: inputs are always older), the
gradient flowing into its output is multiplied by the node's local derivative (its ``vjp``
rule), summed back over broadcast axes, and added to what its inputs already received. Where a
value fans out to several uses, the contributions add up: the multivariable chain rule.

    >>> import chainrule as cr
    >>> x = cr.tensor(2.0, requires_grad=True)
    >>> y = x * x + x          # x is used three times
    >>> y.backward()
    >>> x.grad                 # 2x + 1
    tensor(5.)
"""

from __future__ import annotations

import heapq
import sys
import threading
from collections.abc import Callable, Sequence
from heapq import heappop, heappush
from typing import Any

from chainrule import _buffers, grad_mode, graph, memory_formats
from chainrule._array import xp
from chainrule.arguments import type_name
from chainrule.autodiff import anomaly, batching, open_transforms
from chainrule.dtypes import _TORCH_DTYPE_NAMES, legacy_type_name
from chainrule.op import _REAL_SCALARS, _RECORD, _NodeHook, saves_nothing
from chainrule.ops import views
from chainrule.ops.broadcast import unbroadcast
from chainrule.tensor import Tensor, _make

# observer(node, grad_out, grads_in): sees every rule application; the explainer uses it.
Observer = Callable[[Any, Any, tuple[Any, ...]], None]


def backward(
    tensor: Tensor,
    gradient: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs: Sequence[Tensor] | Tensor | None = None,
) -> None:
    """``tensor.backward()``: accumulate gradients into the ``.grad`` of leaves."""
    targets = checked_inputs(inputs)
    run_backward([tensor], [gradient], retain_graph, create_graph, targets=targets, accumulate=True)


def checked_inputs(inputs: Sequence[Tensor] | Tensor | None) -> list[Tensor] | None:
    """``backward(inputs=...)`` as a list (None where not given), refused in PyTorch's words
    where it is empty or holds a tensor that does not require grad. As PyTorch's engine, it
    calls ``retain_grad()`` on each before computing any gradient: a non-leaf input's
    ``.grad`` grows by its hook, in this backward and in later ones."""
    if inputs is None:
        return None
    if isinstance(inputs, Tensor):
        inputs = [inputs]
    elif not len(inputs):
        raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    for t in inputs:
        if isinstance(t, Tensor):
            t.retain_grad()
    return list(inputs)


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Tensor | None, ...]:
    """d(outputs)/d(inputs), returned instead of accumulated into ``.grad``.

    >>> import chainrule as cr
    >>> x = cr.tensor(3.0, requires_grad=True)
    >>> (dx,) = cr.autograd.grad(x ** 3, x, create_graph=True)
    >>> (ddx,) = cr.autograd.grad(dx, x)
    >>> dx.item(), ddx.item()
    (27.0, 18.0)
    """
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if grad_outputs is None or isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs] * len(outputs)
    if all(t.requires_grad for t in outputs):  # else the pass refuses them first, as PyTorch's
        for t in inputs:
            if not t.requires_grad:
                raise RuntimeError("One of the differentiated Tensors does not require grad")
    # Inside a forward-mode level, PyTorch's rules carry the tangents of what they read even
    # without create_graph (a gradient of a dual tensor is dual): then they run on Tensors,
    # unrecorded; retain_graph's default stays False (run_backward's would follow create_graph).
    tangents = not create_graph and bool(open_transforms.here.dual)
    if tangents and retain_graph is None:
        retain_graph = False
    found = run_backward(
        outputs,
        list(grad_outputs),
        retain_graph,
        create_graph or tangents,
        targets=inputs,
        accumulate=False,
        record=not tangents,
    )
    result = []
    for index, g in enumerate(found):
        if g is None and not allow_unused:
            refuse_unused(index)
        # A 0-d result of NumPy arithmetic is a scalar: as an array it keeps its dtype in
        # later arithmetic (a NumPy float64 scalar would count as a weak Python float).
        result.append(g if g is None or isinstance(g, Tensor) else _make(xp.asarray(g)))
    return tuple(result)


def refuse_roots_without_grad(roots: Sequence[Tensor]) -> None:
    """PyTorch's error for a root of backward that no gradient can flow from."""
    for index, root in enumerate(roots):
        if not root.requires_grad:
            raise RuntimeError(
                f"element {index} of tensors does not require grad and does not have a grad_fn"
            )


def refuse_unused(index: int) -> None:
    """PyTorch's error for input ``index`` of ``grad``, which the outputs do not reach."""
    raise RuntimeError(
        f"The differentiated Tensor at index {index} appears to not have been used in the "
        "graph. Set allow_unused=True if this is the desired behavior."
    )


def run_backward(
    roots: Sequence[Tensor],
    root_grads: Sequence[Any],
    retain_graph: bool | None,
    create_graph: bool,
    targets: Sequence[Tensor] | None = None,
    accumulate: bool = True,
    observer: Observer | None = None,
    record: bool = True,
    prune: bool = True,
) -> list[Any]:
    """The engine behind ``backward`` and ``autograd.grad``.

    With ``accumulate`` the leaves' ``.grad`` grow; otherwise the gradients of ``targets`` are
    returned (arrays, or Tensors under ``create_graph``). With ``create_graph`` every rule runs
    on Tensors with recording on, so the result can be differentiated again; with ``record``
    False too, they run on Tensors unrecorded (a batch of cotangents under ``vmap``, which
    takes the batching rules, or arrays where a rule allows: see ``batching.vjp_on_arrays``).
    ``prune`` False skips the walk that finds the nodes leading to ``targets``, for a caller
    that knows every node behind the roots does (``func.vjp``: its graph reads no leaf that
    requires grad but the targets).
    """
    retain = create_graph if retain_graph is None else retain_graph
    for root in roots:
        views.sync(root)  # a view whose base changed in place: backward from its new history
    with grad_mode.set_grad_enabled(create_graph and record):
        pass_ = _Pass(create_graph, targets, accumulate, observer, prune=prune)
        pass_.seed(roots, root_grads)
        running = _passes.running
        running.append(pass_)  # (pushed here, not in run: a call fewer per step)
        try:
            pass_.run(retain, record)
            return pass_.finish()  # (a leaf's hooks, which finish runs, see their pass too)
        finally:
            running.pop()


def batched_grad(
    roots: Sequence[Tensor],
    cotangents: Sequence[Any],
    targets: Sequence[Tensor],
    prune: bool = True,
) -> list[Any] | None:
    """The gradients of ``targets`` for a whole batch of cotangents at once, on arrays, the
    graph kept: ``cotangents[i]`` is an array (B, *roots[i].shape), each result an array
    (B, *target.shape), or None for a target the roots do not reach.

    ``jacrev``'s rows with nothing differentiating them again: one pass, each rule called once
    on the batch, no batched Tensors. It needs every rule on the way to broadcast over extra
    leading dimensions of its cotangent (``vjp_broadcasts``) and no hooks; otherwise it
    returns None before any rule runs, and the caller takes the general path (``vmap``).
    ``prune`` as in :func:`run_backward`.

    >>> import chainrule as cr, numpy as np
    >>> x = cr.tensor([1.0, 2.0], requires_grad=True)
    >>> batched_grad([x * x], [np.eye(2, dtype=np.float32)], [x])[0]
    array([[2., 0.],
           [0., 4.]], dtype=float32)
    """
    for root in roots:
        views.sync(root)
    with grad_mode.no_grad():
        pass_ = _Pass(False, targets, False, None, batch=len(cotangents[0]), prune=prune)
        pass_.seed(roots, cotangents)
        running = _passes.running
        running.append(pass_)
        try:
            pass_.run(retain=True)
        except _NoBatch:
            return None
        finally:
            running.pop()
        return pass_.finish()


class _NoBatch(Exception):
    """A node of a batched pass (``batched_grad``) cannot take the batch on arrays."""


class _Pass:
    """State of one reverse pass: pending node gradients and leaf gradients."""

    def __init__(
        self,
        create_graph: bool,
        targets: Sequence[Tensor] | None,
        accumulate: bool,
        observer: Observer | None,
        batch: int | None = None,
        prune: bool = True,
    ) -> None:
        self.create_graph = create_graph
        self.prune = prune  # walk to the nodes that lead to targets (see run_backward)
        # The cotangents' leading batch size (batched_grad), or None: one cotangent per root.
        self.batch = batch
        self.accumulate = accumulate
        self.observer = observer
        self.targets = list(targets) if targets is not None else None
        self.target_ids = {id(t) for t in targets} if targets is not None else None
        self.target_nodes = {t._grad_fn: None for t in targets or () if t._grad_fn is not None}
        self.needed: set[Any] | None = None  # the nodes leading to a target (see run)
        self.node_grads: dict[Any, Any] = {}
        self.leaf_grads: dict[int, list[Any]] = {}  # id(leaf) -> [leaf, grad]
        self.roots: list[Any] = []
        self.stored: set[int] = set()  # arrays already handed out, so never stored twice
        # Sums this pass made itself (alive while pending, so their ids are unique): nobody else
        # holds them, so further contributions are added in place instead of into a new array.
        self.owned: set[int] = set()
        # Whether each node's gradient has its output's dtype: false once a root's given
        # gradient has another (the rules then compute in its dtype, cast where each lands).
        self.output_dtypes = True

    # ---------------------------------------------------------------- seeding
    def seed(self, roots: Sequence[Tensor], root_grads: Sequence[Any]) -> None:
        if len(roots) != len(root_grads):
            raise RuntimeError(
                f"got {len(root_grads)} gradients for {len(roots)} outputs; pass one per output"
            )
        # PyTorch checks the given gradients' shapes first (_make_grads), then the roots
        grads = [self._seed_gradient(root, g) for root, g in zip(roots, root_grads, strict=True)]
        refuse_roots_without_grad(roots)
        for root, g in zip(roots, grads, strict=True):
            if root._grad_fn is None:
                self._add_leaf(root, g)
            else:
                self._add_node(root._grad_fn, g)
                self.roots.append(root._grad_fn)

    def _seed_gradient(self, root: Tensor, g: Any) -> Any:
        if self.batch is not None:  # an array (B, *root.shape), from batched_grad
            self.stored.add(id(g))
            return g
        if g is None:
            if root._data.size != 1 and root.requires_grad:  # (else refused as a root)
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            array = xp.empty_like(root._data)  # then filled: ones_like costs 2x more
            array.fill(1)
            return _make(array) if self.create_graph else array
        if not isinstance(g, Tensor):
            g = _make(xp.asarray(g))
        if tuple(g.shape) != tuple(root.shape):
            raise RuntimeError(
                f"Mismatch in shape: grad_output[0] has a shape of {g.shape} and "
                f"output[0] has a shape of {root.shape}."
            )
        if self.create_graph:
            return g
        if g._data.dtype != root._data.dtype:
            self.output_dtypes = False
        self.stored.add(id(g._data))
        return g._data

    # ---------------------------------------------------------------- the walk
    def _needed(self) -> set[Any] | None:
        """With explicit targets, the nodes from which some target can be reached (None:
        every node, where no targets are given or the caller knows all nodes lead to one)."""
        if self.target_ids is None or not self.prune:
            return None
        return graph.leading_to(graph.ancestors(self.roots), self.target_ids)

    def wants(self, node: Any, i: int) -> bool:
        """Whether this pass wants the gradient of ``node``'s input ``i``: there are no
        targets, or the input is one, or some target is reached through it."""
        if self.target_ids is None:
            return True
        x = node.inputs[i]
        if not isinstance(x, Tensor):
            return False
        if id(x) in self.target_ids or self.needed is None:  # (None: not pruned, all wanted)
            return True
        return graph.parent(x, node) in self.needed

    def run(self, retain: bool, record: bool = True) -> None:
        """Pop pending nodes newest first; each passes gradients on to its inputs' nodes.

        A node's users are all newer than it, so when it is the newest pending node, every
        contribution to its gradient has arrived: the reverse topological order falls out of
        a heap keyed by creation order, with no separate sort and no recursion.
        """
        needed = self.needed = self._needed()
        batch = self.batch
        if batch is not None:
            self._check_batchable(needed)
        node_grads = self.node_grads
        create_graph = self.create_graph
        observer = self.observer
        targets = self.target_nodes
        target_ids = self.target_ids
        check_anomaly = anomaly.enabled
        # A node freed after its rule drops its input Tensors that hold large arrays (with
        # create_graph, the gradients' graph reads them: kept).
        free = not retain and not create_graph
        # Whether a node's own word that its gradients have their inputs' shapes and dtypes
        # (``shaped``) holds: on one cotangent per root (a batch adds a dimension), on arrays,
        # while every node's gradient has its output's dtype (see _seed_gradient, and hooks).
        trust_shapes = batch is None and not create_graph and self.output_dtypes
        owned = self.owned
        heap = [(-node.seq, node) for node in node_grads]
        heapq.heapify(heap)
        # The one pending node while no other is pending (a chain) and its gradient: the
        # newest by itself, so it skips the heap and node_grads.
        alone = alone_g = None
        while heap or alone is not None:
            if alone is None:
                node = heappop(heap)[1]
                g = node_grads.pop(node)
            else:
                node, g = alone, alone_g
                alone = alone_g = None
            if owned:
                owned.discard(id(g))  # handed to the rule: no longer the pass's alone
            # The node's record in one read (see op._RECORD): its class changes from node to
            # node, so each attribute read would be a generic lookup.
            inputs, args, out, needs, shaped, seq, versions, hooks, in_place = node._record
            if args is None or (versions is None and not saves_nothing(node, needs)):
                node.check_saved()  # raises: this part of the graph was freed by a backward
            if hooks:  # (a tensor hook keeps the gradient's dtype and size: checked there)
                g = self._run_hooks(hooks, g, node, needed is None or node in needed)
            elif targets and node in targets:
                targets[node] = g
            if needed is not None and node not in needed:
                continue  # none of this node's inputs leads to a wanted gradient
            # Empty unless the rule reads inputs or out; tested first, as a loop over an empty
            # tuple still makes an iterator (~150 instructions).
            if versions:
                for counter, stamp in versions:
                    if counter[0] != stamp:
                        node.check_saved()  # raises: a saved input or output was changed
            read = args  # the arrays the node read: their shapes are the inputs' then
            if create_graph:
                args = [
                    _as_read(x, a, node) if isinstance(x, Tensor) else a
                    for x, a in zip(inputs, args, strict=True)
                ]
                grads = None if record else batching.vjp_on_arrays(node, g)
                if grads is None:
                    grads = node.vjp(g, _make(out, True, node), *args)
            else:
                if (
                    in_place  # the class has a vjp_inplace
                    and observer is None  # an observer keeps g to show it
                    and type(g) is _ndarray
                    and g.base is None  # not a view of memory someone else may hold
                    and _getrefcount(g) - (id(g) in _kept) == _SOLE  # the cache's one is free
                    and g.flags.writeable
                ):
                    grads = node.vjp_inplace(g, out, *args)
                elif (n := len(args)) == 2:  # spelled out: a call with *args costs more
                    grads = node.vjp(g, out, args[0], args[1])
                elif n == 1:
                    grads = node.vjp(g, out, args[0])
                else:
                    grads = node.vjp(g, out, *args)
            if hooks:
                grads = self._run_post_hooks(hooks, g, grads, node)
            if check_anomaly:
                anomaly.on_backward(node, grads)
            if observer is not None:
                observer(node, g, grads)
            # The index counted here: enumerate() makes an object, an iterator and a tuple
            # (~600 instructions a node), range(len(grads)) costs ~350 more (CPython 3.11
            # builds a range with generic integer arithmetic), zip() and its iterators more
            # still. A rule returns one gradient per input (Op.vjp), or fewer.
            # Whether an input Tensor holds a large array, which the freed node must then let
            # go of (see _edges); tested here, on the arrays the loop reads anyway.
            holds_large = False
            same_shapes = trust_shapes and shaped
            i = -1
            for gi in grads:
                i += 1
                x = inputs[i]
                if gi is None or not needs[i]:  # a number told by its type (see Op.__call__)
                    if (
                        free
                        and type(x) not in _REAL_SCALARS
                        and isinstance(x, Tensor)
                        and x._data.size > _SMALL_ARRAY
                    ):
                        holds_large = True
                    continue
                data = x._data
                if free and data.size > _SMALL_ARRAY:
                    holds_large = True
                if not same_shapes:  # else skipped: ~250 instructions per shape or dtype read
                    # x's shape when node read it: an in-place view op since (x.t_()) gave x
                    # other sizes, its dtype stays
                    shape = read[i].shape if type(read[i]) is _ndarray else data.shape
                    if gi.shape != shape:
                        if batch is None:
                            gi = unbroadcast(gi, shape)
                        elif (gi := batching.unbroadcast_batch(gi, shape, batch)) is None:
                            raise _NoBatch  # a gradient that lost the batch: the general path
                    if gi.dtype is not data.dtype and gi.dtype != data.dtype:
                        gi = gi.to(data.dtype) if create_graph else gi.astype(data.dtype)
                parent = x._grad_fn
                # Whether x was changed in place after node read it (its grad_fn newer than
                # node): only possible once its version counter moved, a slot read where the
                # parent's record is a generic one (~250 instructions a node, on a chain).
                if parent is not None and x._vc[0] and parent._record[_SEQ] > seq:
                    parent = graph.parent(x, node)
                elif parent is None and not x.requires_grad:
                    # turned off since node read it: a detach_ keeps the history node read, a
                    # leaf's gradient is dropped (PyTorch's AccumulateGrad skips it)
                    parent = graph.parent(x, node)
                    if parent is None:
                        continue
                if parent is None:
                    if target_ids is None or id(x) in target_ids:
                        self._add_leaf(x, gi)
                elif needed is None or parent in needed or parent in targets:
                    if parent is alone:
                        alone_g = self._sum(alone_g, gi)
                    elif not heap and alone is None:  # nothing pending (a chain): no lookup
                        alone, alone_g = parent, gi
                    elif (pending := node_grads.get(parent)) is not None:
                        node_grads[parent] = self._sum(pending, gi)
                    else:
                        if alone is not None:  # no longer alone: into the heap with it
                            node_grads[alone] = alone_g
                            heappush(heap, (-alone.seq, alone))
                            alone = alone_g = None
                        node_grads[parent] = gi
                        heappush(heap, (-parent._record[_SEQ], parent))
            # Hand the gradients over to node_grads (or alone_g): a local still holding one would
            # make it look shared when its node's turn comes (see _SOLE).
            grads = gi = pending = None
            if not retain:  # free the saved values: the record without them
                if versions:  # the rules read inputs or the output
                    if holds_large:
                        inputs = _edges(inputs)
                        if node.saves_state:  # the large values it keeps itself go too
                            node.release()
                    record = (inputs, None, None, needs, shaped, seq, versions, hooks, in_place)
                    node._record = record
                elif versions is not None:  # none guarded (None: freed before)
                    # (shaped: the output has an input's shape, whose size holds_large saw)
                    if holds_large or (not shaped and out.size > _SMALL_ARRAY):
                        node._record = _unguarded_record(node, holds_large)
                    else:  # small arrays: kept, whether the rules read them is asked on a rerun
                        record = (inputs, args, out, needs, shaped, seq, None, hooks, in_place)
                        node._record = record

    def _check_batchable(self, needed: set[Any] | None) -> None:
        """Raise ``_NoBatch`` unless every rule the pass will run takes a batch of cotangents
        on arrays and nothing would see the batch (hooks)."""
        if self.targets is None or any(t._hooks for t in self.targets):
            raise _NoBatch
        # (not pruned: every node behind the roots runs)
        nodes = graph.ancestors(self.roots) if needed is None else (*needed, *self.roots)
        for node in nodes:
            if node._hooks or not getattr(type(node), "vjp_broadcasts", False):
                raise _NoBatch

    def _add_node(self, node: Any, g: Any) -> None:
        pending = self.node_grads.get(node)
        self.node_grads[node] = g if pending is None else self._sum(pending, g)

    def _add_leaf(self, leaf: Tensor, g: Any) -> None:
        entry = self.leaf_grads.get(id(leaf))
        if entry is None:
            self.leaf_grads[id(leaf)] = [leaf, g]
        else:
            entry[1] = self._sum(entry[1], g)

    def _sum(self, pending: Any, g: Any) -> Any:
        """``pending + g``, in place when ``pending`` is a sum this pass made (a value used three
        or more times then costs one new array, not one per use)."""
        owned = self.owned
        if id(pending) in owned and pending.shape == g.shape and pending.dtype == g.dtype:
            pending += g
            return pending
        total = pending + g
        if type(total) is _ndarray:  # Tensors (create_graph) and NumPy scalars are not reused
            owned.add(id(total))
        return total

    def _run_hooks(
        self, hooks: list[Any], g: Any, node: Any = None, rule_runs: bool = False
    ) -> Any:
        """The gradient ``g`` of a tensor (a leaf, or ``node``'s output) through its hooks in
        PyTorch's order: the tensor's own, then retain_grad's, which stores what they made of
        it, then the node's pre-hooks, which change only what its rule receives.

        As PyTorch's engine, ``autograd.grad`` takes the gradient of an output it was asked
        for after the tensor's hooks only where the node's rule does not run (``rule_runs``
        False: nothing else wanted lies behind it), else before them. ``backward(inputs=...)``
        runs such a node's hooks, its post-hooks given None for every input gradient."""
        create_graph = self.create_graph
        last = []  # retain_grad's hook runs after every other tensor hook: .grad is the result
        pre = []
        targets = self.target_nodes
        if rule_runs and node in targets:
            targets[node] = g
        for hook in list(hooks):
            if isinstance(hook, _NodeHook):
                if not hook.after_rule:  # a post-hook: see _run_post_hooks
                    pre.append(hook)
            elif getattr(hook, "runs_last", False):
                last.append(hook)
            else:
                g = self._hooked(hook, g)
        for hook in last:
            hook(g if create_graph else self._handed_out(g))
        if node is None:  # a leaf
            return g
        if not rule_runs and node in targets:
            targets[node] = g
        if rule_runs or self.accumulate:
            for hook in pre:
                g = self._hooked(hook, g)
            if not rule_runs:
                self._run_post_hooks(hooks, g, (None,) * len(node.inputs), node)
        # Held (a reference more): the rule must not overwrite g in place (vjp_inplace), as a
        # post-hook is given it as the node's grad_outputs after the rule.
        self.held = g
        return g

    def _hooked(self, hook: Any, g: Any) -> Any:
        """``g``, or what ``hook`` returned in its place (checked as PyTorch checks it)."""
        result = hook(g if self.create_graph else self._handed_out(g))
        if result is None:
            return g
        _check_hook_result(hook, result, g)
        return result if self.create_graph else self._taken(result)

    def _handed_out(self, g: Any) -> Tensor:
        """``g`` as the tensor a hook is given (:func:`_given`). The hook may keep it, so the
        array is never taken over as a leaf's ``.grad`` (``stored``): a later backward adds
        into ``.grad`` in place, and ``x.grad.zero_()`` would change what the hook kept.
        PyTorch's AccumulateGrad copies a gradient that someone else holds."""
        self.stored.add(id(g))
        return _given(g)

    def _taken(self, result: Tensor) -> Any:
        """The array of a tensor a hook returned, which the hook's caller may still hold: as
        :meth:`_handed_out`'s, never taken over as a ``.grad``."""
        self.stored.add(id(result._data))
        return result._data

    def _run_post_hooks(self, hooks: list[Any], g: Any, grads: Any, node: Any) -> Any:
        """The node's post-hooks (``Op.register_hook``), each given the input gradients and
        the output gradient as tuples of tensors; a tuple one returns replaces the first.

        As PyTorch's, the input gradients have their inputs' shapes and dtypes (summed back
        over broadcast axes), None for an input that requires no grad or whose gradient this
        pass does not want (it leads to no target)."""
        if not any(getattr(hook, "after_rule", False) for hook in hooks):
            return grads
        arrays = not self.create_graph  # else the gradients are Tensors already
        inputs, args, out, needs = node.inputs, node.args, node.out, node.needs

        def as_given(grads: Any) -> tuple[Any, ...]:
            return tuple(
                _as_input_gradient(gi, x, read, not arrays) if need and self._wanted(x) else None
                for gi, x, read, need in zip(grads, inputs, args, needs, strict=False)
            )

        def rule(g: Any) -> tuple[Any, ...]:  # the rule again, on a replaced output gradient
            if arrays:
                return as_given(node.vjp(g, out, *args))
            read = [
                _as_read(x, a, node) if isinstance(x, Tensor) else a
                for x, a in zip(inputs, args, strict=True)
            ]
            return as_given(node.vjp(g, _make(out, True, node), *read))

        grads = as_given(grads)
        # PyTorch's node's inputs where they differ from chainrule's (op.HookInputs)
        shown = node.hook_inputs
        presented = grads if shown is None else shown.present(node, grads, g)
        replaced = False
        for hook in list(hooks):
            if getattr(hook, "after_rule", False):
                given = [self._handed_out(a) if arrays and a is not None else a for a in presented]
                result = hook.hook(tuple(given), (self._handed_out(g) if arrays else g,))
                if result is not None:
                    _check_node_hook_result(hook, result, presented)
                    presented = tuple(
                        self._taken(t) if arrays and t is not None else t for t in result
                    )
                    replaced = True
        if shown is None:
            return presented
        return shown.absorb(node, presented, grads, rule) if replaced else grads

    def _wanted(self, x: Any) -> bool:
        """Whether this pass wants the gradient of a node's input ``x``: it is a target, or
        leads to one (``needed``, see _needed), or no targets were given."""
        needed = self.needed
        if needed is None or not isinstance(x, Tensor):
            return True
        parent = x._grad_fn
        if parent is None:
            return id(x) in self.target_ids
        return parent in needed or parent in self.target_nodes

    # ---------------------------------------------------------------- results
    def finish(self) -> list[Any]:
        stored = self.stored
        for leaf, g in self.leaf_grads.values():
            # A leaf's hook may keep its gradient, which a rule may have given another leaf
            # too (x + y): that leaf, even if it comes first, must not take the array over as
            # its .grad (PyTorch's AccumulateGrad copies a gradient someone else holds).
            if leaf._hooks:
                stored.add(id(g))
        for entry in self.leaf_grads.values():
            leaf, g = entry
            if leaf._view is not None and leaf._view.creation == "no_grad":
                # a view taken with recording off requires grad by its base's word alone, as in
                # PyTorch, which gives it no accumulator: its gradient is dropped (unused)
                entry[1] = None
                continue
            if leaf._hooks:
                g = self._run_hooks(leaf._hooks, g)
            if self.accumulate:
                self._accumulate(leaf, g)
                if post_accumulate_hooks:
                    _run_post_accumulate_hooks(leaf)
            else:
                self.leaf_grads[id(leaf)][1] = g
        if self.targets is None:
            return []
        if self.accumulate:  # (a non-leaf input's .grad grows by retain_grad's hook)
            return []
        found = []
        for t in self.targets:
            if t._grad_fn is None:
                entry = self.leaf_grads.get(id(t))
                found.append(None if entry is None else entry[1])
            else:
                found.append(self.target_nodes.get(t._grad_fn))
        return found

    def _accumulate(self, leaf: Tensor, g: Any) -> None:
        if self.create_graph:
            leaf._grad = _first_grad_with_graph(leaf, g) if leaf._grad is None else leaf._grad + g
            return
        accumulate_into(leaf, g, self.stored)

    # Tensor.register_post_accumulate_grad_hook's hooks: id(leaf) -> (a weak reference to the
    # leaf, its hooks). Off the Tensor's slots: only a pass that accumulated a leaf's .grad reads
    # them, after it did, as PyTorch runs them (never for autograd.grad).


def _first_grad_with_graph(leaf: Tensor, g: Tensor) -> Tensor:
    """A leaf's first ``.grad`` under ``create_graph``: a copy of the gradient ``g`` in the
    leaf's layout, recorded (PyTorch's ``CopyBackwards``) where ``g`` has a graph, as PyTorch's
    AccumulateGrad copies it. ``g`` itself may be another leaf's gradient too (``x + y`` passes
    one to both) or a tensor a hook kept: ``x.grad.zero_()`` must not change those."""
    if not g.requires_grad:
        return _make(memory_formats.laid_out_as(g._data, leaf._data))
    return _make(memory_formats.empty_laid_out_as(g._data, leaf._data)).copy_(g)


def _check_hook_result(hook: Any, result: Any, g: Any) -> None:
    """PyTorch's checks of what a tensor hook returned in place of the gradient ``g``: a
    tensor, of the same dtype and size."""
    if not isinstance(result, Tensor):
        raise TypeError(f"expected Variable, but hook returned '{type(result).__name__}'")
    name = getattr(hook, "__name__", type(hook).__name__)
    if result.dtype.dtype != g.dtype:
        raise RuntimeError(
            f"hook '{name}' has changed the type of value (was {legacy_type_name(g.dtype)} got "
            f"{legacy_type_name(result.dtype)})"
        )
    if tuple(result.shape) != tuple(g.shape):
        raise RuntimeError(f"hook '{name}' has changed the size of value")


def _check_node_hook_result(hook: Any, result: Any, grads: tuple[Any, ...]) -> None:
    """PyTorch's checks of what a node's post-hook returned in place of its input gradients
    ``grads``: a tuple of as many, each None or a tensor hook's valid result (None where the
    gradient was None)."""
    if not isinstance(result, tuple):
        raise TypeError(f"expected tuple, but hook returned '{type(result).__name__}'")
    if len(result) != len(grads):
        name = getattr(hook, "__name__", type(hook).__name__)
        raise RuntimeError(
            f"hook '{name}' has returned an incorrect number of values "
            f"(got {len(result)}, but expected {len(grads)})"
        )
    for new, old in zip(result, grads, strict=True):
        if new is None:
            continue
        if old is None:
            raise RuntimeError("can't replace a None gradient with a non-None value")
        _check_hook_result(hook, new, old)


post_accumulate_hooks: dict[int, tuple[Any, list[Any]]] = {}


def post_accumulate_hooks_of(leaf: Tensor) -> list[Any]:
    """The post-accumulate-grad hooks registered on ``leaf`` (none where its entry belongs to
    a dead tensor whose id ``leaf`` took)."""
    entry = post_accumulate_hooks.get(id(leaf))
    return entry[1] if entry is not None and entry[0]() is leaf else []


def _run_post_accumulate_hooks(leaf: Tensor) -> None:
    for hook in list(post_accumulate_hooks_of(leaf)):
        if hook(leaf) is not None:
            raise RuntimeError("Tensor post accumulate grad hooks should return None.")


def _references_of_a_local() -> int:
    """What ``getrefcount`` reports for an array held by one local variable and nothing else.

    A gradient that only the pass holds (a rule's fresh result, popped from the pending dict)
    has this count; any other holder adds one: another pending node, a leaf's gradient, a
    hook's stored Tensor, ``retain_grad``, the caller's ``gradient=`` tensor, a view of it (a
    view holds its base). Only then may a rule overwrite it, the test PyTorch's engine makes
    (``use_count() == 1``) before accumulating in place. Measured, not assumed: interpreters
    differ in the references a call adds.
    """
    g = xp.empty(0)
    return _getrefcount(g)


_getrefcount = sys.getrefcount
_SEQ = _RECORD.index("seq")  # where a node's record keeps its creation order
_kept = _buffers.kept_ids
_SOLE = _references_of_a_local()

# Arrays up to this many elements weigh little more than the node itself: a freed node
# keeps them, which spares the per-node cost of replacing its inputs by edges.
_SMALL_ARRAY = 1024
_ndarray = xp.ndarray


def _as_read(x: Tensor, array: Any, node: Any) -> Tensor:
    """The input ``x`` of ``node`` for its rule on Tensors: ``x`` itself, or, where an
    in-place view op gave ``x`` other sizes since (``x.t_()``), the array ``node`` read, with
    the history ``x`` had then."""
    if x._data.shape == getattr(array, "shape", x._data.shape):
        return x
    return _make(array, x.requires_grad, graph.parent(x, node))


def _as_input_gradient(gi: Any, x: Any, read: Any, tensors: bool) -> Any:
    """A rule's gradient ``gi`` for its input ``x`` (``read``: the array the rule read) in
    the shape and dtype the pass gives it on (see _Pass.run), where a post-hook sees it."""
    if gi is None or not isinstance(x, Tensor):
        return gi
    shape = read.shape if type(read) is _ndarray else x._data.shape
    if tuple(gi.shape) != shape:
        gi = unbroadcast(gi, shape)
    dtype = x._data.dtype
    if tensors:
        return gi if gi._data.dtype == dtype else gi.to(dtype)
    return gi if gi.dtype == dtype else gi.astype(dtype)


def _given(g: Any) -> Tensor:
    """The gradient array ``g`` as the tensor a hook is given: a 0-d array where NumPy's
    arithmetic gave a scalar (a tensor over a NumPy scalar computes ``g * 2`` in float32)."""
    return _make(g if type(g) is _ndarray else xp.asarray(g))


def _edges(inputs: tuple[Any, ...]) -> tuple[Any, ...]:
    """A freed node's inputs, reduced to what leads back through the graph (``grad_fn``).

    Only the rules needed the values. Input Tensors kept whole would keep every intermediate
    array alive for as long as anyone holds the output (``losses.append(loss)``), where PyTorch
    keeps only edges. Leaves that require grad stay: they are the user's own tensors. An edge
    keeps a stand-in of its array (see _stand_in): a node's name may depend on its inputs'
    shapes (``AddmmBackward0`` is a linear map of a matrix), and is asked after the backward.
    """
    edges = []
    for x in inputs:
        if isinstance(x, Tensor) and (x._grad_fn is not None or not x.requires_grad):
            x = _make(_stand_in(x._data), x.requires_grad, x._grad_fn)
        edges.append(x)
    return tuple(edges)


class _Passes(threading.local):
    """The calling thread's passes running, innermost last (a hook or a rule may run a pass of
    its own): pushed and popped by run_backward (around the walk and finish, where the leaves'
    hooks run) and batched_grad (around the walk). Another thread's pass is not this one's."""

    def __init__(self) -> None:
        self.running: list[_Pass] = []


_passes = _Passes()


def current_pass() -> _Pass:
    """The calling thread's innermost running pass (a hook that runs in it asks)."""
    return _passes.running[-1]


def input_wanted(node: Any, i: int) -> bool:
    """Whether the running backward pass wants the gradient of ``node``'s input ``i``, for a
    rule that has none for that input (PyTorch's ``not_implemented``): PyTorch computes only
    the gradients that lead to the inputs asked for (``autograd.grad(igamma(a, x), x)`` with
    ``a`` requiring grad, ``backward(inputs=...)``), and so raises only when one is asked.

        >>> import chainrule as cr
        >>> a, x = cr.tensor(2.0, requires_grad=True), cr.tensor(1.0, requires_grad=True)
        >>> round(cr.autograd.grad(cr.igamma(a, x), x)[0].item(), 4)  # a's is not asked for
        0.3679
    """
    running = _passes.running
    return running[-1].wants(node, i) if running else True


def _unguarded_record(node: Any, holds_large: bool) -> tuple[Any, ...]:
    """The record, after a backward without ``retain_graph``, of a node that holds a large
    array and guards no Tensor against a change in place (a sum, a view; or a product by a
    number, whose rules read the number): ``versions`` None marks it freed (``Op.freed``).

    A node whose rules read no saved value (``op.saves_nothing``) still runs, as PyTorch's
    node that saved nothing does (``(x + 1).sum()`` backwards twice): its rules read only
    shapes and dtypes, so its large arrays, which would stay alive for as long as anyone holds
    the output, give way to read-only stand-ins of one element. Its constants (the numbers
    and arrays among its inputs, with ``op.own_constants``), which its rules may read, stay as
    they are. Any other is freed as one whose rules read an input.
    """
    inputs, args, out, needs, shaped, seq, versions, hooks, in_place = node._record
    if not saves_nothing(node, needs):
        inputs = _edges(inputs) if holds_large else inputs
        return (inputs, None, None, needs, shaped, seq, versions, hooks, in_place)
    if node.own_constants:  # its constants stay as they are: its rules read them
        args = tuple(
            [
                _stand_in(a) if isinstance(x, Tensor) else a
                for x, a in zip(inputs, args, strict=True)
            ]
        )
    else:
        args = tuple([_stand_in(a) for a in args])
    inputs = tuple([_stand_in_edge(x, node) for x in inputs])
    return (inputs, args, _stand_in(out), needs, shaped, seq, None, hooks, in_place)


def _stand_in(value: Any) -> Any:
    """A large array as a read-only stand-in of its shape and dtype (one element, zero
    strides); anything else as it is. Stand-ins of one shape and dtype are one array, made
    once (see _STAND_INS)."""
    if type(value) is _ndarray and value.size > _SMALL_ARRAY:
        key = (value.shape, value.dtype)
        found = _STAND_INS.get(key)
        if found is None:
            if len(_STAND_INS) >= _STAND_INS_KEPT:
                _STAND_INS.clear()
            # on one zero byte string (read-only): 0.3 us, where broadcast_to takes 2
            dtype = value.dtype
            found = _ndarray(value.shape, dtype, bytes(dtype.itemsize), 0, (0,) * value.ndim)
            _STAND_INS[key] = found
        return found
    return value


# The stand-ins made, by shape and dtype. Nothing writes to one (its memory is a read-only byte
# string) and nothing reads its values, so every freed node shares them: the digits MLP's
# batch-64 step frees 5 large inputs per backward, and making each anew (1.2-1.9 us apiece
# there) took 4-12 us of its 275-295 us (alternated in one process). Bounded: cleared when full.
_STAND_INS: dict[tuple[Any, Any], Any] = {}
_STAND_INS_KEPT = 256


def _stand_in_edge(x: Any, node: Any) -> Any:
    """An input of ``node`` as in _edges, but with a stand-in of its array (the engine reads
    its shape and dtype) and the history ``node`` read (an in-place change since gave ``x`` a
    newer one, see graph.parent)."""
    if not isinstance(x, Tensor) or (x._grad_fn is None and x.requires_grad):
        return x
    history = graph.parent(x, node)
    return _make(_stand_in(x._data), history is not None or x.requires_grad, history)


def accumulate_into(tensor: Tensor, g: Any, stored: set[int] | None = None) -> None:
    """Add the array ``g`` to ``tensor.grad``, in place when a ``.grad`` already exists.

    A new ``.grad`` must own its memory: rules pass gradients through unchanged (``a + b``
    gives both inputs the same array) or as read-only broadcast views, and ``x.grad.zero_()``
    on one leaf must not touch another.
    """
    if isinstance(g, Tensor):
        g = g._data
    current = tensor._grad
    if current is None or current._data.shape != g.shape:
        # Without a record of what this pass handed out (``stored``), copy to be safe.
        # A 0-d result of NumPy arithmetic is a scalar, not an array: it cannot be added to
        # in place, so it is never taken as owned.
        owned = (
            stored is not None and type(g) is xp.ndarray and g.base is None and id(g) not in stored
        )
        data = tensor._data
        # PyTorch's .grad has its leaf's layout: a channels-last or permuted leaf's, or a
        # contiguous one where the gradient came out permuted (through a transposed use; code
        # views it, p.grad.view(-1)). The strides first: reading flags costs more. (A retained
        # gradient may have another shape: its tensor changed its sizes in place since, t_().)
        if data.strides != g.strides:
            if not data.flags.c_contiguous and data.shape == g.shape:
                g, owned = memory_formats.laid_out_as(g, data), True
            elif not g.flags.c_contiguous:
                g, owned = xp.ascontiguousarray(g), True
        if not owned:
            g = xp.array(g)
        if stored is not None:
            stored.add(id(g))
        tensor._grad = _make(g)
    else:
        xp.add(current._data, g, out=current._data, casting="unsafe")


def check_assigned_grad(tensor: Tensor, grad: Any) -> None:
    """Refuse ``tensor.grad = grad`` with PyTorch's error unless ``grad`` is a Tensor of the
    same dtype and shape (the engine writes ``_grad`` itself and skips this check).

    >>> import chainrule as cr
    >>> cr.zeros(2).grad = cr.zeros(3)
    Traceback (most recent call last):
    ...
    RuntimeError: attempting to assign a gradient of size '[3]' to a tensor of size '[2]'. \
Please ensure that the gradient and the tensor are the same size
    """
    if not isinstance(grad, Tensor):
        raise TypeError(
            f"assigned grad expected to be a Tensor or None but got grad of type {type_name(grad)}"
        )
    if grad._data.dtype != tensor._data.dtype:
        given = _TORCH_DTYPE_NAMES.get(grad._data.dtype.name, (grad._data.dtype.name,))[0]
        own = _TORCH_DTYPE_NAMES.get(tensor._data.dtype.name, ("", tensor._data.dtype.name))[1]
        raise RuntimeError(
            f"attempting to assign a gradient with dtype '{given}' to a tensor with grad_dtype "
            f"'{own}'. The gradient must match the tensor's grad_dtype (defaults to the tensor's "
            "dtype). You can set the tensor's grad_dtype attribute with a specific dtype, or None "
            "to allow any dtype. Set grad_dtype with caution. Diverging the dtypes of a tensor "
            "and its gradient may break downstream systems that assume they match."
        )
    if grad._data.shape != tensor._data.shape:
        raise RuntimeError(
            f"attempting to assign a gradient of size '{list(grad._data.shape)}' to a tensor of "
            f"size '{list(tensor._data.shape)}'. Please ensure that the gradient and the tensor "
            "are the same size"
        )
