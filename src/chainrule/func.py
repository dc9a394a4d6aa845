"""``cr.func``: derivatives as functions, composable to any order (torch.func's names).

``grad(f)`` is a function that returns the gradient of ``f``; ``jvp`` pushes a tangent forward,
``vjp`` pulls a cotangent back, ``jacrev``/``jacfwd`` build whole Jacobians (one pass carrying
every row or direction as a batch), ``hessian`` is forward over reverse, and ``vmap`` maps a
function over a batch dimension. Inputs and outputs may be pytrees: tuples, lists and dicts of
tensors.

    >>> import chainrule as cr
    >>> x = cr.tensor(0.5)
    >>> d3 = grad(grad(grad(cr.sin)))         # the third derivative of sin is -cos
    >>> round(d3(x).item(), 6) == round(-cr.cos(x).item(), 6)
    True
    >>> hessian(lambda v: (v ** 3).sum())(cr.tensor([1.0, 2.0]))
    tensor([[ 6.,  0.],
            [ 0., 12.]])

How they compose: every transform works on the *physical* values (whole batches, see
:mod:`chainrule.autodiff.batching`). ``grad`` inside ``vmap`` differentiates each example's
output with respect to its own copy of the inputs (unbatched inputs are expanded over the
batch), which gives per-example gradients; ``jvp`` attaches tangents with a fresh forward-mode
level (:mod:`chainrule.autodiff.forward`); gradients are recorded (``create_graph``) only when
an enclosing transform needs to differentiate them again, or when ``f`` reads a tensor that
requires grad without being given it (a closed-over parameter): the results then stay in the
caller's graph, as in ``torch.func``.

Beside the transforms, the rest of torch.func: ``functional_call``, ``stack_module_state`` and
``replace_all_batch_norm_modules_`` run modules as functions of their parameters (ensembles,
per-example gradients), ``functionalize`` (what it means without a tracer), ``debug_unwrap``
and ``rearrange``.
"""

from __future__ import annotations

import functools
import keyword
import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from chainrule import grad_mode, rng
from chainrule import op as op_module
from chainrule._array import xp
from chainrule.autodiff import batching, forward, open_transforms
from chainrule.autodiff.backward import batched_grad, run_backward
from chainrule.autodiff.backward import grad as autograd_grad
from chainrule.autodiff.batching import BatchedTensor
from chainrule.autodiff.batching import wrap as _wrap
from chainrule.graph import parent
from chainrule.ops.shape import stack
from chainrule.tensor import Tensor, _make

__all__ = [
    "custom_jvp",
    "custom_vjp",
    "debug_unwrap",
    "functional_call",
    "functionalize",
    "grad",
    "grad_and_value",
    "hessian",
    "hvp",
    "jacfwd",
    "jacrev",
    "jvp",
    "linearize",
    "rearrange",
    "replace_all_batch_norm_modules_",
    "stack_module_state",
    "value_and_grad",
    "vjp",
    "vmap",
]


# ----------------------------------------------------------------------------- pytrees
def tree_flatten(tree: Any) -> tuple[list[Any], Any]:
    """The leaves of nested tuples, lists and dicts, and the structure to rebuild them.

    >>> tree_flatten({"w": 1, "b": (2, 3)})
    ([1, 2, 3], (<class 'dict'>, (['w', 'b'], [None, (<class 'tuple'>, [None, None])])))
    """
    if isinstance(tree, tuple | list):
        leaves, specs = _flatten_children(tree)
        return leaves, (type(tree), specs)
    if isinstance(tree, dict):
        leaves, specs = _flatten_children(tree.values())
        return leaves, (dict, (list(tree), specs))
    return [tree], None


def _flatten_children(children: Any) -> tuple[list[Any], list[Any]]:
    """The leaves under ``children`` and each child's structure; a child that is a leaf is
    taken in place, not through a call per leaf (``vmap(grad(f))`` flattens a dict of
    parameters several times per call)."""
    leaves: list[Any] = []
    specs: list[Any] = []
    for child in children:
        if isinstance(child, _CONTAINERS):
            sub, spec = tree_flatten(child)
            leaves += sub
            specs.append(spec)
        else:
            leaves.append(child)
            specs.append(None)
    return leaves, specs


_CONTAINERS = (tuple, list, dict)


def tree_unflatten(leaves: Sequence[Any], spec: Any) -> Any:
    it = iter(leaves)
    return _build(it, spec)


def _build(it: Any, spec: Any) -> Any:
    if spec is None:
        return next(it)
    kind, children = spec
    if kind is dict:
        keys, specs = children
        return {
            k: next(it) if s is None else _build(it, s) for k, s in zip(keys, specs, strict=True)
        }
    items = [next(it) if s is None else _build(it, s) for s in children]
    if kind is tuple or kind is list:
        return kind(items)
    return kind(*items)  # a namedtuple


def _spec_text(spec: Any) -> str:
    """A structure as PyTorch's ``treespec_pprint`` writes it: ``(*, [*])``, ``{'a': *}``.

    >>> _spec_text(tree_flatten((1, [2], {"a": 3}))[1])
    "(*, [*], {'a': *})"
    """
    if spec is None:
        return "*"
    kind, children = spec
    if kind is dict:
        keys, specs = children
        pairs = zip(keys, specs, strict=True)
        return "{" + ", ".join(f"{k!r}: {_spec_text(s)}" for k, s in pairs) + "}"
    items = [_spec_text(s) for s in children]
    if kind is list:
        return "[" + ", ".join(items) + "]"
    if kind is tuple:
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    fields = ", ".join(f"{f}={t}" for f, t in zip(kind._fields, items, strict=True))  # a namedtuple
    return f"{kind.__name__}({fields})"


def _map(fn: Callable[[Any], Any], tree: Any) -> Any:
    leaves, spec = tree_flatten(tree)
    return tree_unflatten([fn(x) for x in leaves], spec)


# ----------------------------------------------------------------------------- physical values
Levels = list[batching.Level]


def _lifted_leaf(
    value: Tensor, have: Levels, want: Sequence[batching.Level]
) -> tuple[Tensor, Levels]:
    """``lift(value, have, want)``'s values as a new leaf (see :func:`_new_leaf`), for a
    floating ``value`` that records nothing: the broadcast array taken directly, where
    ``lift`` runs two ops per level (an unsqueeze and an expand, ~20k instructions each, for
    each parameter that ``vmap(grad(f))`` gives every example)."""
    data, have = batching.lift_array(value._data, have, want)
    return _new_leaf(data), have


def _canonical(value: Tensor, have: Levels) -> Tensor:
    """``value`` whose leading dims belong to ``have`` (in any order), wrapped."""
    if len(have) < 2:  # sorted: nothing to lift or permute
        return _wrap(value, have)
    return _wrap(*batching.lift(value, have, ()))


def _check_tensor(x: Any, error: type[Exception], message: str) -> Tensor:
    """``x``, or ``error(message)`` where it is no Tensor: PyTorch's type and words, which
    differ from transform to transform; ``{}`` in the message is ``x``'s type."""
    if not isinstance(x, Tensor):
        raise error(message.format(type(x)))
    return x


_JVP = "jvp(f, primals, tangents)"
_NOT_TENSORS = "{}: expected f(*primals) to return only tensors, got unsupported type {{}}"


# How deep the calling thread's transforms nest, and the leaves they made, are in
# ``open_transforms.here`` (``depth``, ``reverse_depth``, ``made_leaves``): the thread's own.


def refuse_storage_access() -> None:
    """Inside ``f`` of grad, vjp, jacrev, jvp, jacfwd or hessian, PyTorch's refusal to give
    NumPy any tensor's values (``x.numpy()``, ``numpy.asarray(x)``): there its tensors are
    wrappers without storage. ``item()`` and ``tolist()`` work; vmap alone refuses only its
    batched tensors (see :class:`chainrule.autodiff.batching.BatchedTensor`)."""
    if open_transforms.here.depth:
        batching.refuse_storage_access()


def refuse_requires_grad_() -> None:
    """Inside ``f`` of any transform (vmap included), PyTorch's refusal of
    ``Tensor.requires_grad_()``: a tensor made to require grad there would be a leaf of the
    caller's graph, not of the transform's, and its gradient silently zero."""
    here = open_transforms.here
    if here.depth or here.vmap:
        raise RuntimeError(
            "You are attempting to call Tensor.requires_grad_() (or perhaps using "
            "torch.autograd.functional.* APIs) inside of a function being transformed by a "
            "functorch transform. This is unsupported, please attempt to use the functorch "
            "transforms (e.g. grad, vjp, jacrev, jacfwd, hessian) or call requires_grad_() "
            "outside of a function being transformed instead."
        )


class _running:  # noqa: N801 - used as a function: ``with _running():``
    """The body of a transform (``reverse``: of vjp): ``f`` runs nested inside it. A class, not
    a generator under ``contextlib.contextmanager``, which costs ~1 us more per transform."""

    __slots__ = ("reverse",)

    def __init__(self, reverse: bool = False) -> None:
        self.reverse = reverse

    def __enter__(self) -> None:
        here = open_transforms.here
        here.depth += 1
        here.reverse_depth += self.reverse
        here.transforms.append(tuple(here.vmap))  # how vmap refuses f's value reads

    def __exit__(self, *exc: object) -> None:
        here = open_transforms.here
        here.depth -= 1
        here.reverse_depth -= self.reverse
        here.transforms.pop()
        if not here.depth:
            here.made_leaves.clear()


# ----------------------------------------------------------------------------- vjp and grad
class _Pullback:
    """What ``vjp`` keeps: the physical inputs and outputs of one recorded run of ``f``."""

    def __init__(
        self,
        inputs: list[Tensor],
        outputs: list[Tensor],
        active: Levels,
        spec: Any,
        out_spec: Any,
        nested: bool,
        record: bool,
        prune: bool,
    ) -> None:
        self.inputs = inputs
        self.outputs = outputs
        self.active = active
        self.spec = spec
        self.nested = nested  # the gradients stay connected to the caller's graph and tangents
        self.record = record  # ... and something differentiates them by reverse mode again
        self.prune = prune  # False: every node of the graph leads to an input (a plain pass)
        self.out_spec = out_spec  # the structure of f's output, which cotangents must have

    def __call__(
        self, cotangents: Any, retain_graph: bool = True, create_graph: bool | None = None
    ) -> tuple[Any, ...]:
        """The gradients for ``cotangents``. torch.func's keywords: ``retain_graph`` False
        frees the graph (a second call is refused); ``create_graph`` (by default, whether grad
        mode is on) False records no graph of the gradients, even for primals that require
        grad."""
        if create_graph is None:
            create_graph = grad_mode.modes.enabled
        leaves, spec = tree_flatten(cotangents)
        if spec != self.out_spec:  # PyTorch compares the trees: a list is no tuple
            raise RuntimeError(
                "Expected pytree structure of cotangents to be the same as pytree structure of "
                f"outputs to the function. cotangents: {_spec_text(spec)}, primal output: "
                f"{_spec_text(self.out_spec)}"
            )
        roots, cts = [], []
        record = self.record  # ... or a cotangent records
        tensors = bool(open_transforms.here.dual)  # ... or a cotangent is batched beyond f's levels
        for y, ct in zip(self.outputs, leaves, strict=True):
            _check_tensor(
                ct,
                TypeError,
                f"gradients can be either Tensors or None, but got {type(ct).__name__}",
            )
            ct, extra = self._arranged(ct)
            if tuple(ct.shape) != tuple(y.shape):
                raise RuntimeError(
                    f"vjp_fn: Mismatch in shape: cotangent has a shape of "
                    f"{tuple(ct.shape)[len(self.active) :]} and the output of f has a shape of "
                    f"{tuple(y.shape)[len(self.active) :]}"
                )
            if y.requires_grad:
                roots.append(y)
                cts.append(ct)
                record = record or ct.requires_grad
                tensors = tensors or bool(extra)
        record = record and create_graph
        targets = self.inputs
        found: list[Any] = [None] * len(targets)
        fresh = False  # the gradients are new Tensors that nothing records or carries
        if roots and targets:
            differentiable = all([x.requires_grad for x in targets])
            if tensors and not record and differentiable:
                # A batch of cotangents (``vmap(vjp_fn)``: jacrev's rows) or tangents (jvp over
                # vjp: the Hessian) need the rules run on Tensors, to take their batching and
                # forward-mode rules, but no graph of them when nothing differentiates the
                # result by reverse mode again.
                found = run_backward(
                    roots, cts, retain_graph, True, targets=targets, accumulate=False, record=False
                )
            elif not (tensors or record) and differentiable:  # the plain pass, on arrays
                found = run_backward(
                    roots,
                    cts,
                    retain_graph,
                    False,
                    targets=targets,
                    accumulate=False,
                    prune=self.prune,
                )
                found = [g if g is None else _make(xp.asarray(g)) for g in found]
                fresh = True
            else:
                found = list(
                    autograd_grad(
                        roots,
                        targets,
                        cts,
                        retain_graph=retain_graph,
                        create_graph=record or tensors,
                        allow_unused=True,
                    )
                )
        results = []
        for x in self.inputs:
            g = found.pop(0)
            if g is None:
                results.append(_wrap(_zeros(x), self.active))
                continue
            value, extra = batching.unwrap(g)
            if not (self.nested and create_graph or fresh):
                # Nothing outside differentiates this by reverse mode: no graph (the dual
                # API's tangents stay, as PyTorch's)
                value = forward.detached(value)
            results.append(_canonical(value, extra + self.active))
        return tree_unflatten(results, self.spec)

    def rows(self, cotangents: list[Any]) -> Any:
        """``vmap(self)`` of a batch of cotangents given as arrays (B, *output), computed in
        one backward pass on arrays (``backward.batched_grad``): jacrev's rows when nothing
        differentiates them again (no open transform, no graph kept for the caller). None
        where that pass does not apply: the caller then vmaps the pullback."""
        if (
            self.nested
            or self.record
            or _open_levels()
            or open_transforms.here.dual
            or any(not x.requires_grad for x in self.inputs)
        ):
            return None
        pairs = [(y, ct) for y, ct in zip(self.outputs, cotangents, strict=True) if y.requires_grad]
        if not pairs:
            return None
        roots, cotangents = [y for y, _ in pairs], [ct for _, ct in pairs]
        found = batched_grad(roots, cotangents, self.inputs, self.prune)
        if found is None:
            return None
        size = len(cotangents[0])
        results = [
            _make(xp.zeros((size, *x.shape), dtype=x.dtype) if g is None else g)
            for x, g in zip(self.inputs, found, strict=True)
        ]
        return tree_unflatten(results, self.spec)

    def _arranged(self, ct: Tensor) -> tuple[Tensor, Levels]:
        """The cotangent as a Tensor shaped like the physical output, batched at any levels
        newer than ``f``'s run (``vmap(vjp_fn)``: the backward pass itself is batched)."""
        value, have = batching.unwrap(ct)
        value, have = batching.lift(value, have, self.active)
        extra = [level for level in have if level not in self.active]
        if not extra:
            return value, []
        first = [have.index(level) for level in extra] + [have.index(lv) for lv in self.active]
        value = value.permute(*first, *range(len(have), value.ndim))
        return _wrap(value, extra), extra


def _zeros(x: Tensor) -> Tensor:
    return _make(xp.zeros(tuple(x.shape), dtype=x.dtype))


def _differentiable(value: Tensor) -> Tensor:
    """A Tensor of the same values (and tangents) that gradients can be taken with respect to:
    a new leaf when ``value`` records nothing, else an alias node, so that the enclosing
    transforms still see through it."""
    if value.requires_grad:
        return value.view(tuple(value.shape))
    return _new_leaf(value._data)


def _new_leaf(data: Any) -> Tensor:
    """A leaf that requires grad over ``data``, kept in ``open_transforms.here.made_leaves``
    inside a transform."""
    leaf = _make(data, True)
    here = open_transforms.here
    if here.depth:
        here.made_leaves[id(leaf)] = leaf
    return leaf


def vjp(func: Callable[..., Any], *primals: Any, has_aux: bool = False) -> tuple[Any, ...]:
    """``(func(*primals), vjp_fn)``; ``vjp_fn(cotangents)`` gives ``cotangents^T J``, one per
    primal.

    >>> import chainrule as cr
    >>> out, vjp_fn = vjp(cr.sin, cr.tensor([0.0, 1.0]))
    >>> vjp_fn(cr.ones(2))
    (tensor([1.0000, 0.5403]),)
    """
    return _vjp(func, primals, has_aux, ())


def _vjp(
    func: Callable[..., Any], primals: tuple[Any, ...], has_aux: bool, passed: Sequence[Any]
) -> tuple[Any, ...]:
    """:func:`vjp`; ``passed``: the other arguments func was given (grad's and jacrev's not
    differentiated), which f may change in place (see :func:`_unrecorded_writes`)."""
    active = _open_levels()
    leaves, spec = tree_flatten(primals)
    inputs: list[Tensor] = []
    called = []
    given = False  # whether a primal requires grad
    # The vmap levels a primal was lifted to, where torch.func keeps it unbatched (see below).
    lifted: list[batching.Level] = []
    for x in leaves:
        if not isinstance(x, Tensor):  # PyTorch makes each primal a differentiable wrapper
            raise ValueError(f"Thing passed to transform API must be Tensor, got {type(x)}")
        given = given or x.requires_grad
        value, had = batching.unwrap(x)
        if not value.is_floating_point():  # PyTorch's: it makes each primal require grad
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        if value.requires_grad or open_transforms.here.dual:
            value, have = batching.lift(value, had, active)
            value = _differentiable(value)
        else:  # nothing recorded or carried: a new leaf of the lifted values
            value, have = _lifted_leaf(value, had, active)
        lifted += [level for level in have if level not in had and level not in lifted]
        inputs.append(value)
        called.append(_wrap(value, have))
    nested = open_transforms.here.depth > 0 or given
    record = open_transforms.here.reverse_depth > 0 or given
    # The arguments (or the tensors they view) f may change in place that record nothing yet
    plain = [batching.unwrap(x)[0] for x in passed if isinstance(x, Tensor)]
    plain = [t if t._view is None else t._view.base for t in plain]
    plain = [t for t in plain if not t.requires_grad]
    start = next(op_module._sequence)  # nodes numbered below were recorded before f ran
    # A primal is lifted to every open vmap level, so that its gradient comes out per example;
    # torch.func keeps an unbatched one unbatched. While f runs, values alike along those
    # levels count as unbatched there, as jvp's lifted primals do: they can be read (.item())
    # and change an unbatched tensor in place (vmap then runs f once per example).
    with _running(reverse=True):
        with grad_mode.enable_grad(), batching.lifting(lifted):
            result = func(*tree_unflatten(called, spec))
        out, aux = _split_aux(result, has_aux, "vjp(f, *primals)")
        out_leaves, out_spec = tree_flatten(out)
        physical = [
            batching.lift(
                *batching.unwrap(
                    _check_tensor(y, RuntimeError, _NOT_TENSORS.format("vjp(f, *primals)"))
                ),
                active,
            )[0]
            for y in out_leaves
        ]
        # f may close over tensors that require grad: the gradients then stay connected to
        # them, as in torch.func, so that ``grad(f)(x).sum().backward()`` reaches them.
        reads = None if record else _graph_reads(physical, inputs, start)
    outside = reads == _OUTSIDE
    nested, record = nested or outside, record or outside
    pullback = _Pullback(inputs, physical, active, spec, out_spec, nested, record, reads != _GIVEN)
    if not nested:  # the graph stays with vjp_fn; what the caller sees records nothing
        out = _map(_detached, out)
        aux = _map(_detached, aux)  # nor does the aux, as torch.func returns it
    if not record:  # no reverse pass around differentiates what f wrote into its arguments
        _unrecorded_writes(plain, inputs, start)
    return (out, pullback, aux) if has_aux else (out, pullback)


def _unrecorded_writes(arguments: list[Tensor], inputs: list[Tensor], start: int) -> None:
    """After a vjp that no reverse pass around records: each of ``arguments`` (tensors f was given
    that recorded nothing) that f changed in place with values of the primals alone is cut
    from that history, as ``detach_`` cuts (vjp_fn's nodes keep it). torch.func's f changes
    its own wrapper of the argument, and the caller's tensor gets the values alone:
    ``grad(f)(x, buffer)`` with ``buffer.copy_(x)`` inside leaves ``buffer`` requiring no
    grad."""
    for t in arguments:
        if t.requires_grad and _graph_reads([t], inputs, start) == _GIVEN:
            t.detach_()


# What the graph of a run of f reads that requires grad (:func:`_graph_reads`).
_OUTSIDE, _MADE, _GIVEN = "outside", "made", "given"


def _graph_reads(outputs: list[Tensor], inputs: list[Any], start: int) -> str:
    """What the graph of ``outputs`` reads that requires grad, beyond the nodes this run of f
    made (numbered from ``start``): :data:`_OUTSIDE` where it reaches a tensor neither made by
    this run nor given to it (a closed-over parameter); else :data:`_MADE` where it reaches a
    leaf that a nested transform made (``open_transforms.here.made_leaves``); else
    :data:`_GIVEN`, the given inputs alone, so that every node of it leads to one of them."""
    given = {id(x) for x in inputs if x is not None}
    made = False
    seen: set[int] = set()
    stack = [y._grad_fn for y in outputs if y._grad_fn is not None]
    while stack:
        node = stack.pop()
        read, _, _, needs, _, seq = node._record[:6]  # its inputs: one read (op._RECORD)
        if seq < start:
            return _OUTSIDE
        for x, needed in zip(read, needs, strict=True):
            # (needed: x required grad when node read it; an in-place change of x by a primal
            # since, hypot(a, b) then b.add_(a), makes it require grad now)
            if not needed or not isinstance(x, Tensor) or not x.requires_grad:
                continue
            found = x._grad_fn
            if found is not None and found.seq > seq:  # x was changed in place since
                found = parent(x, node)
            if found is None:
                if id(x) in given:
                    continue
                if id(x) not in open_transforms.here.made_leaves:
                    return _OUTSIDE
                made = True
            elif id(found) not in seen:
                seen.add(id(found))
                stack.append(found)
    return _MADE if made else _GIVEN


def _outer_graph_only(y: Tensor, start: int) -> Tensor:
    """``y`` if its graph reaches a closed-over parameter, else ``y`` detached."""
    return y if y.requires_grad and _graph_reads([y], [], start) == _OUTSIDE else y.detach()


def _detached(y: Any) -> Any:
    return forward.detached(y) if isinstance(y, Tensor) else y


def _split_aux(result: Any, has_aux: bool, api: str) -> tuple[Any, Any]:
    if not has_aux:
        return result, None
    if not (isinstance(result, tuple) and len(result) == 2):
        raise RuntimeError(
            f"{api}: output of function f should be a tuple: (output, aux) if has_aux is True"
        )
    for leaf in tree_flatten(result[1])[0]:  # PyTorch unwraps each: tensors only
        _check_tensor(leaf, RuntimeError, "Expected tensors, got unsupported type {}")
    return result


def _argnums(argnums: int | tuple[int, ...], n: int) -> tuple[int, ...]:
    """``argnums`` checked in PyTorch's order and words (``_slice_argnums``): an int or a tuple
    (a list is refused), each an int in range, then non-empty and unique."""
    if not isinstance(argnums, int | tuple):
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
    nums = (argnums,) if isinstance(argnums, int) else argnums
    for a in nums:
        if not isinstance(a, int):
            raise RuntimeError(f"argnum must be int, got: {type(a)}")
        if not -n <= a < n:
            raise RuntimeError(f"Got argnum={a}, but only {n} positional inputs")
    nums = tuple(a % n for a in nums)
    if not nums:
        raise RuntimeError("argnums must be non-empty")
    if len(set(nums)) != len(nums):
        raise RuntimeError(f"argnums elements must be unique, got {nums}")
    return nums


def _with_args(
    func: Callable[..., Any], args: tuple[Any, ...], nums: tuple[int, ...], kwargs: dict[str, Any]
) -> Callable[..., Any]:
    """``func`` as a function of the arguments at ``nums`` only."""

    def partial(*chosen: Any) -> Any:
        full = list(args)
        for i, value in zip(nums, chosen, strict=True):
            full[i] = value
        return func(*full, **kwargs)

    return partial


def grad_and_value(
    func: Callable[..., Any], argnums: int | tuple[int, ...] = 0, has_aux: bool = False
) -> Callable[..., Any]:
    """A function returning ``(gradient, value)`` of the scalar ``func`` (torch.func's name).

    >>> import chainrule as cr
    >>> grad_and_value(lambda x: (x ** 2).sum())(cr.tensor([1.0, 2.0]))
    (tensor([2., 4.]), tensor(5.))
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nums = _argnums(argnums, len(args))
        chosen = [args[i] for i in nums]
        partial = _with_args(func, args, nums, kwargs)
        passed = [x for i, x in enumerate(args) if i not in nums]
        scalar = lambda *xs: _a_tensor_out(partial(*xs), has_aux)  # noqa: E731
        result = _vjp(scalar, tuple(chosen), has_aux, passed)
        out, pullback = result[0], result[1]
        if out.numel() != 1 or out.ndim:
            raise RuntimeError(
                "grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, got "
                f"tensor with {out.ndim} dims. Maybe you wanted to use the vjp or jacrev APIs "
                "instead?"
            )
        grads = pullback(_ones_like(out))
        grads = grads[0] if isinstance(argnums, int) else grads
        return (grads, (out, result[2])) if has_aux else (grads, out)

    return wrapper


def _a_tensor_out(result: Any, has_aux: bool) -> Any:
    """``result`` of grad's ``f``, refused as PyTorch's grad refuses it before vjp would
    where its output (beside aux) is no Tensor."""
    aux_pair = has_aux and isinstance(result, tuple) and len(result) == 2
    if has_aux and not aux_pair:  # in grad's words, not vjp's
        _split_aux(result, has_aux, "grad_and_value(f)(*args)")
    out = result[0] if aux_pair else result
    if not isinstance(out, Tensor):
        raise RuntimeError(
            f"grad_and_value(f)(*args): Expected f(*args) to return a Tensor, got {type(out)}"
        )
    return result


def _ones_like(y: Tensor) -> Tensor:
    """Ones of ``y``'s physical shape and dtype, batched as ``y`` (the cotangent of a scalar)."""
    value, have = batching.unwrap(y)
    data = value._data
    ones = xp.empty(data.shape, data.dtype)  # then filled: xp.ones is three Python calls
    ones.fill(1)
    return _wrap(_make(ones), have)


def grad(
    func: Callable[..., Any], argnums: int | tuple[int, ...] = 0, has_aux: bool = False
) -> Callable[..., Any]:
    """The gradient of the scalar ``func`` with respect to the arguments at ``argnums``.

    >>> import chainrule as cr
    >>> grad(lambda x, y: (x * y).sum(), argnums=(0, 1))(cr.tensor([1.0]), cr.tensor([3.0]))
    (tensor([3.]), tensor([1.]))
    """
    inner = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        grads, value = inner(*args, **kwargs)
        return (grads, value[1]) if has_aux else grads

    return wrapper


def value_and_grad(
    func: Callable[..., Any], argnums: int | tuple[int, ...] = 0, has_aux: bool = False
) -> Callable[..., Any]:
    """JAX's order: ``(value, gradient)``, or ``((value, aux), gradient)`` with ``has_aux``."""
    inner = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        grads, value = inner(*args, **kwargs)
        return value, grads

    return wrapper


# ----------------------------------------------------------------------------- jvp
def jvp(
    func: Callable[..., Any],
    primals: Any,
    tangents: Any,
    *,
    strict: bool = False,
    has_aux: bool = False,
) -> tuple[Any, ...]:
    """``(func(*primals), J @ tangents)`` by forward mode: one pass, no graph. An output that
    does not depend on the primals gets a zero tangent, or with ``strict`` PyTorch's error.

    >>> import chainrule as cr
    >>> jvp(lambda x: x ** 2, (cr.tensor([1.0, 3.0]),), (cr.tensor([1.0, 1.0]),))
    (tensor([1., 9.]), tensor([2., 6.]))
    """
    for name, value in (("primals", primals), ("tangents", tangents)):
        if not isinstance(value, tuple):
            raise RuntimeError(
                f"jvp(f, primals, tangents): Expected {name} to be a tuple. E.g. it should be "
                "valid to call f(*primals)."
            )
    return _jvp(func, primals, tangents, has_aux, None, strict)


def _jvp(
    func: Callable[..., Any],
    primals: Any,
    tangents: Any,
    has_aux: bool,
    batch: batching.Level | None,
    strict: bool = False,
    beside_dual_api: bool = False,
) -> tuple[Any, ...]:
    """``jvp``; with ``batch`` (an open vmap level), each tangent is a batch of them, an
    unbatched Tensor (batch.size, *primal shape), pushed in one forward pass (``jacfwd``).
    ``beside_dual_api``: for autograd.functional's jvp, hvp and vhp, which PyTorch computes by
    reverse mode, so that they run inside a ``dual_level()`` block too, where jvp is refused."""
    p_leaves, spec = tree_flatten(primals)
    t_leaves, t_spec = tree_flatten(tangents)
    if len(p_leaves) != len(t_leaves):
        raise RuntimeError(
            "jvp(f, primals, tangents): Expected primals and tangents to have the same python "
            f"structure, got {len(p_leaves)} and {len(t_leaves)} tensors"
        )
    nested = open_transforms.here.depth > 0 or any(
        isinstance(x, Tensor) and x.requires_grad for x in (*p_leaves, *t_leaves)
    )
    lead = () if batch is None else (batch.size,)
    if not beside_dual_api:
        forward.refuse_nested(by_jvp=True)
    with forward.dual_level() as level:
        level.batch = batch
        level.jvp = None if beside_dual_api else True
        called, lifted = [], []
        for p, t in zip(p_leaves, t_leaves, strict=True):
            for what, x in (("primals", p), ("tangents", t)):
                _check_tensor(
                    x, RuntimeError, f"{_JVP}: Expected {what} to only contain Tensors, got {{}}"
                )
            if (*lead, *p.shape) != tuple(t.shape):
                raise RuntimeError(
                    "Trying to set a forward gradient that has a different size than that of "
                    f"the original Tensor, this is not supported. Tensor is of size "
                    f"{list(p.shape)} while the given forward gradient is of size "
                    f"{list(t.shape)}."
                )
            pv, p_have = batching.unwrap(p)
            tv, t_have = batching.unwrap(t)
            want = p_have + [lv for lv in t_have if lv not in p_have]
            lifted += want[len(p_have) :]
            pv, have = batching.lift(pv, p_have, want)
            tv, _ = batching.lift(tv, t_have, want)
            called.append(_wrap(forward.make_dual(pv, tv, level=level), have))
        start = next(op_module._sequence)  # nodes numbered below were recorded before f ran
        with _running():
            with batching.lifting(lifted):
                result = func(*tree_unflatten(called, spec))
            out, aux = _split_aux(result, has_aux, _JVP)
            o_leaves, o_spec = tree_flatten(out)
            values, pushed = [], []
            for y in o_leaves:
                value, have = batching.unwrap(
                    _check_tensor(y, RuntimeError, _NOT_TENSORS.format(_JVP))
                )
                if nested or value.requires_grad:
                    primal, tangent = forward.unpack_dual(value, level=level)
                else:  # detached below: no view of value without its tangent (~6 us) needed
                    primal, tangent = value, forward.tangent_at(value, level)
                if tangent is None:
                    if strict:
                        raise RuntimeError(
                            "jvp(f, primals, tangents, strict=True): The output of f is "
                            "independent of the inputs. This is not allowed with strict=True."
                        )
                    tangent = _make(xp.zeros((*lead, *value.shape), dtype=value.dtype))
                if not nested:  # only a closed-over parameter can differentiate these
                    primal, tangent = (_outer_graph_only(t, start) for t in (primal, tangent))
                values.append(_wrap(primal, have))
                pushed.append(_wrap(tangent, have))
    out, jvp_out = tree_unflatten(values, o_spec), tree_unflatten(pushed, o_spec)
    return (out, jvp_out, aux) if has_aux else (out, jvp_out)


def linearize(func: Callable[..., Any], *primals: Any) -> tuple[Any, Callable[..., Any]]:
    """``(func(*primals), jvp_fn)`` with ``jvp_fn(*tangents) = J @ tangents``, J at the
    primals' values when linearize was called.

    Each call of ``jvp_fn`` runs ``func`` again with tangents attached (no graph is kept), on
    copies of those values: ``func`` may change its inputs in place (through a view), which
    would move the point of a later run.

        >>> import chainrule as cr
        >>> out, jvp_fn = linearize(cr.sin, cr.tensor([0.0, 1.0]))
        >>> jvp_fn(cr.ones(2))
        tensor([1.0000, 0.5403])
    """
    leaves, spec = tree_flatten(primals)
    at = [x.clone() if isinstance(x, Tensor) else x for x in leaves]  # (differentiable copies)
    out = func(*primals)

    def jvp_fn(*tangents: Any) -> Any:
        copies = [x.clone() if isinstance(x, Tensor) else x for x in at]
        return jvp(func, tree_unflatten(copies, spec), tangents)[1]

    return out, jvp_fn


# ----------------------------------------------------------------------------- Jacobians
def _basis(n: int, like: Tensor) -> Tensor:
    """The n x n identity, for like's dtype, as a batch of n unit vectors."""
    return _make(xp.eye(n, dtype=like.dtype))


def jacrev(
    func: Callable[..., Any],
    argnums: int | tuple[int, ...] = 0,
    *,
    has_aux: bool = False,
    chunk_size: int | None = None,
) -> Callable[..., Any]:
    """The Jacobian by reverse mode: every row in one backward pass on arrays where each rule
    takes a batch of cotangents (else the pullback vmapped over the rows).

    >>> import chainrule as cr
    >>> jacrev(cr.sin)(cr.tensor([0.0, 1.0]))
    tensor([[1.0000, 0.0000],
            [0.0000, 0.5403]])
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nums = _argnums(argnums, len(args))
        chosen = tuple(args[i] for i in nums)
        passed = [x for i, x in enumerate(args) if i not in nums]
        result = _vjp(_with_args(func, args, nums, kwargs), chosen, has_aux, passed)
        out, pullback = result[0], result[1]
        o_leaves, o_spec = tree_flatten(out)
        sizes = [y.numel() for y in o_leaves]
        total = sum(sizes)
        if sizes == [1]:  # one output of one element: its gradient, no rows to batch
            y = o_leaves[0]
            grads, g_spec = tree_flatten(pullback(tree_unflatten([_ones_like(y)], o_spec)))
            row = _args_tree([_reshaped(g, (*y.shape, *g.shape)) for g in grads], g_spec)
            jac = tree_unflatten([_per_argnum(row, argnums)], o_spec)
            return (jac, result[2]) if has_aux else jac
        rows = _basis(total, o_leaves[0])

        def pull(row: Tensor) -> Any:
            pieces, start = [], 0
            for y, n in zip(o_leaves, sizes, strict=True):
                piece = row if n == total else row[start : start + n]
                pieces.append(_reshaped(piece, tuple(y.shape)))
                start += n
            return pullback(tree_unflatten(pieces, o_spec))

        found = None
        if total == 1:  # one row: no batch needed
            found = _map(lambda g: g.unsqueeze(0), pull(rows[0]))
        elif chunk_size is None:  # every row in one backward pass on arrays, where it can
            found = pullback.rows(_pieces(rows._data, o_leaves, sizes))
        if found is None:
            found = vmap(pull, chunk_size=chunk_size)(rows)
        jac = _split_rows(found, o_leaves, sizes, o_spec, argnums)
        return (jac, result[2]) if has_aux else jac

    return wrapper


def _pieces(rows: Any, o_leaves: list[Tensor], sizes: list[int]) -> list[Any]:
    """The rows (B, total) of an array split per output: (B, *output) each."""
    pieces, start = [], 0
    for y, n in zip(o_leaves, sizes, strict=True):
        pieces.append(rows[:, start : start + n].reshape((len(rows), *y.shape)))
        start += n
    return pieces


def _reshaped(x: Tensor, shape: tuple[int, ...]) -> Tensor:
    """``x.reshape(shape)``, or ``x`` itself when it has that shape already (one op less per
    Jacobian, which matters for small ones)."""
    return x if tuple(x.shape) == shape else x.reshape(shape)


def _split_rows(
    found: Any, o_leaves: list[Tensor], sizes: list[int], o_spec: Any, argnums: Any
) -> Any:
    """Rows (total, *input) split per output: (*output, *input) blocks, nested output-first,
    each output's blocks shaped as the inputs (the arguments at ``argnums``, pytrees each)."""
    per_input, i_spec = tree_flatten(found)
    blocks = []
    start = 0
    total = sum(sizes)
    for y, n in zip(o_leaves, sizes, strict=True):
        row = []
        for g in per_input:
            piece = g if n == total else g[start : start + n]
            row.append(_reshaped(piece, tuple(y.shape) + tuple(g.shape)[1:]))
        start += n
        blocks.append(_per_argnum(_args_tree(row, i_spec), argnums))
    return tree_unflatten(blocks, o_spec)


def _args_tree(leaves: list[Any], spec: Any) -> Any:
    """``tree_unflatten(leaves, spec)`` for ``spec`` a tuple of arguments: the tuple of the
    leaves where every argument is one (tensors, the common case, without a call per leaf)."""
    return tree_unflatten(leaves, spec) if any(spec[1]) else tuple(leaves)


def _per_argnum(per_arg: tuple[Any, ...], argnums: Any) -> Any:
    """A Jacobian's blocks for the arguments at ``argnums``: the one argument's for an int."""
    return per_arg[0] if isinstance(argnums, int) else per_arg


def jacfwd(
    func: Callable[..., Any],
    argnums: int | tuple[int, ...] = 0,
    has_aux: bool = False,
    *,
    randomness: str = "error",
) -> Callable[..., Any]:
    """The Jacobian by forward mode: every input direction in one forward pass, each value
    carrying a batch of tangents (else one ``jvp`` vmapped over the directions).

    >>> import chainrule as cr
    >>> jacfwd(lambda x: x[0] * x[1])(cr.tensor([2.0, 3.0]))
    tensor([3., 2.])
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nums = _argnums(argnums, len(args))
        chosen = tuple(args[i] for i in nums)
        x_leaves, x_spec = tree_flatten(chosen)
        sizes = [x.numel() for x in x_leaves]
        total = sum(sizes)
        eye = _basis(total, x_leaves[0])
        directions, start = [], 0
        for x, n in zip(x_leaves, sizes, strict=True):
            piece = eye if n == total else eye[:, start : start + n]
            directions.append(_reshaped(piece, (total, *x.shape)))
            start += n
        tangents = _args_tree(directions, x_spec)  # shaped as chosen, a batch at each leaf
        partial = _with_args(func, args, nums, kwargs)

        def push(given: tuple[Any, ...], *ts: Any) -> Any:
            at = _with_args(func, given, nums, kwargs)
            return jvp(at, tuple(given[i] for i in nums), ts, has_aux=has_aux)[1:]

        pushed = _pushed_together(partial, x_leaves, chosen, tangents, total, has_aux, randomness)
        if pushed is None:
            # The arguments pass through vmap, unbatched: where it runs f once per direction
            # (its fallback), each run starts from their values before the first, as f changes
            # them once in torch.func (see _looped)
            in_dims = (None, *(0,) * len(tangents))
            pushed = vmap(push, in_dims=in_dims, randomness=randomness)(args, *tangents)
            if has_aux:  # the same for every direction: the first one's, as torch.func
                pushed = (pushed[0], _map(lambda a: a[0], pushed[1]))
        columns = pushed[0]
        c_leaves, c_spec = tree_flatten(columns)
        blocks = []
        for col in c_leaves:  # (total, *output) -> (*output, *input) per input
            moved = _first_dim_last(col)
            out_shape = tuple(col.shape)[1:]
            row, start = [], 0
            for x, n in zip(x_leaves, sizes, strict=True):
                piece = moved if n == total else moved[..., start : start + n]
                row.append(_reshaped(piece, out_shape + tuple(x.shape)))
                start += n
            blocks.append(_per_argnum(_args_tree(row, x_spec), argnums))
        jac = tree_unflatten(blocks, c_spec)
        return (jac, pushed[1]) if has_aux else jac

    return wrapper


def _first_dim_last(x: Tensor) -> Tensor:
    """``x`` with its first dimension moved last: jacfwd's columns (total, *output) as
    (*output, total). Where nothing records ``x`` (no graph, no tangent: a Jacobian that no
    transform differentiates), the array is transposed directly, without the permute op
    (~5 us, 5% of a 64 x 64 Jacobian)."""
    if type(x) is Tensor and not x.requires_grad and not open_transforms.here.dual:
        return _make(x._data.transpose((*range(1, x.ndim), 0)))
    return _movedim(x, 0, x.ndim - 1)


def _pushed_together(
    func: Callable[..., Any],
    leaves: list[Any],
    primals: tuple[Any, ...],
    directions: tuple[Any, ...],
    size: int,
    has_aux: bool,
    randomness: str,
) -> Any:
    """``vmap(jvp)`` over the directions as one forward pass carrying all of them (the values
    computed once, see :class:`chainrule.autodiff.forward.Level`), for a ``jacfwd`` that no
    transform encloses: ``(tangents,)``, or ``(tangents, aux)`` with ``has_aux``; None where
    that pass does not apply: the caller then vmaps ``jvp``. ``leaves``: the primals' leaves
    (``primals`` and ``directions`` are pytrees of one structure); ``size``: the directions.

    The vmap level stays open while ``func`` runs, so random operations meet vmap's rules.
    Whether the pass applies is decided before ``func`` runs (per-example randomness needs
    the vmapped pass): an op whose tangent rule cannot take a batch of tangents falls back
    on its own (see :func:`chainrule.autodiff.forward._per_direction`), so ``func`` and its
    side effects run once, as in torch.func."""
    if open_transforms.here.dual or open_transforms.here.vmap or randomness == "different":
        return None
    if not all(isinstance(x, Tensor) and x.is_floating_point() for x in leaves):
        return None
    level = batching.push_level(size, randomness)
    tangent_levels = open_transforms.here.tangent_levels
    tangent_levels.append(level)
    try:
        return _jvp(func, primals, directions, has_aux, level)[1:]
    finally:
        tangent_levels.remove(level)
        batching.pop_level(level)


def _open_levels() -> Levels:
    """The calling thread's open vmap levels that batch values, outermost first (not those
    opened for a batch of tangents alone: ``here.tangent_levels``)."""
    here = open_transforms.here
    if not here.tangent_levels:
        return list(here.vmap)
    return [level for level in here.vmap if level not in here.tangent_levels]


def hessian(func: Callable[..., Any], argnums: int | tuple[int, ...] = 0) -> Callable[..., Any]:
    """Second derivatives: ``jacfwd(jacrev(func))``, forward over reverse."""
    return jacfwd(jacrev(func, argnums), argnums)


def hvp(func: Callable[..., Any], primals: tuple[Any, ...], tangents: tuple[Any, ...]) -> Any:
    """The Hessian of the scalar ``func`` times ``tangents`` (forward over reverse), without
    forming the Hessian: ``(gradient, H @ tangents)``."""
    return jvp(grad(func, argnums=tuple(range(len(primals)))), primals, tangents)


# ----------------------------------------------------------------------------- vmap
_RANDOMNESS = ("error", "different", "same")


def vmap(
    func: Callable[..., Any],
    in_dims: Any = 0,
    out_dims: Any = 0,
    randomness: str = "error",
    *,
    chunk_size: int | None = None,
) -> Callable[..., Any]:
    """``func`` mapped over dimension ``in_dims`` of its inputs, as one batched computation.

    ``in_dims`` is an int, None (not mapped), or a tuple with one entry per positional
    argument (each an int, None or a pytree of them); ``out_dims`` likewise for the outputs.
    ``randomness``: a random draw inside vmap raises with ``"error"`` (the default), is shared
    by every example with ``"same"``, and is each example's own with ``"different"`` (``rand``,
    ``randn``, ``randint``, ``randperm``, the ``_like`` forms, ``normal``, ``bernoulli``,
    ``poisson``, ``multinomial``, ``dropout`` and the in-place fills of a batched tensor:
    ``uniform_``, ``normal_``, ``bernoulli_``, ``exponential_``, ``random_``, ``geometric_``,
    ``log_normal_``, ``cauchy_``), with torch.func's refusals.
    ``chunk_size`` maps that many examples at a time (less memory, more passes).

    >>> import chainrule as cr
    >>> vmap(lambda row, v: row @ v, in_dims=(0, None))(cr.ones(3, 2), cr.tensor([1.0, 2.0]))
    tensor([3., 3., 3.])
    """
    if randomness not in _RANDOMNESS:
        raise RuntimeError(
            f"Only allowed values for randomness are 'error', 'different', or 'same'. Got "
            f"{randomness}"
        )
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size < 1):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    @functools.wraps(func)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        name = func.__name__ if hasattr(func, "__name__") else repr(func)  # repr only if needed
        leaves, spec, dims = _flatten_mapped(in_dims, args, name)
        size = _batch_size(leaves, dims, name, in_dims)
        fronts = [x if not d else _to_front(x, d) for x, d in zip(leaves, dims, strict=True)]
        if chunk_size is not None and size > chunk_size:
            return _chunked(wrapped, leaves, dims, spec, size, chunk_size, out_dims, kwargs)
        level = batching.push_level(size, randomness)
        try:
            called = [
                x if d is None else batching.batched(x, level)
                for x, d in zip(fronts, dims, strict=True)
            ]
            out = func(*tree_unflatten(called, spec), **kwargs)
            o_leaves, o_spec = tree_flatten(out)
            o_dims = _out_dims_per_leaf(out_dims, out, len(o_leaves), name)
            results = [_unbatch(y, level, d, name) for y, d in zip(o_leaves, o_dims, strict=True)]
        except batching.NotBatchable as error:
            batching.pop_level(level)
            changed, level = level.changed, None
            if changed:
                raise RuntimeError(
                    f"{error}, and {name} changed a tensor in place before it: vmap cannot "
                    f"run {name} once per example (its fallback), which would make that change "
                    "again. Make the change out of place, or outside vmap"
                ) from error
            warnings.warn(f"{error}; vmap runs {name} once per example (slow)", stacklevel=2)
            with rng.looped_examples(randomness) as start_example:
                return _looped(
                    func, fronts, dims, spec, size, out_dims, kwargs, name, start_example
                )
        finally:
            if level is not None:
                batching.pop_level(level)
        return tree_unflatten(results, o_spec)

    return wrapped


def _chunked(
    mapped: Callable[..., Any],
    leaves: list[Any],
    dims: list[Any],
    spec: Any,
    size: int,
    chunk_size: int,
    out_dims: Any,
    kwargs: dict[str, Any],
) -> Any:
    """vmap ``chunk_size`` examples at a time; the pieces joined along the output dims."""
    from chainrule.ops.shape import cat

    pieces = []
    for start in range(0, size, chunk_size):
        part = [
            x
            if d is None
            else x[(slice(None),) * (d % x.ndim) + (slice(start, start + chunk_size),)]
            for x, d in zip(leaves, dims, strict=True)
        ]
        pieces.append(tree_flatten(mapped(*tree_unflatten(part, spec), **kwargs)))
    o_spec = pieces[0][1]
    o_dims = _out_dims_per_leaf(out_dims, tree_unflatten(*pieces[0]), len(pieces[0][0]), "function")
    joined = [
        pieces[0][0][j] if d is None else cat([leaves[j] for leaves, _ in pieces], d)
        for j, d in enumerate(o_dims)
    ]
    return tree_unflatten(joined, o_spec)


def _looped(
    func: Callable[..., Any],
    fronts: list[Any],
    dims: list[Any],
    spec: Any,
    size: int,
    out_dims: Any,
    kwargs: dict[str, Any],
    name: str,
    start_example: Callable[[], None],
) -> Any:
    """vmap's last resort: ``func`` once per example, the outputs stacked; ``start_example()``
    before each (see :func:`chainrule.rng.looped_examples`).

    An argument that no example owns (``in_dims`` None) is torch.func's unbatched tensor, which
    f changes once for all examples. Where f changes it in place, each run after the first
    starts from its values before the first, and must leave it as the first did (a value
    alike in every example: ``x[0] = w`` with ``w`` a primal that grad lifted to the
    examples), else it is refused, as torch.func refuses a batched value for it. Without
    that, each run changed it again (``x.mul_(w)`` once per example, the next example
    reading that).

    A tensor that no argument holds (one ``func`` closes over, a module's buffer) would be
    changed once per example in place: a run that changes one is refused, as torch.func
    refuses to run such a function without batching rules."""
    shared = [
        batching.unwrap(x)[0]
        for x, d in zip(fronts, dims, strict=True)
        if d is None and isinstance(x, Tensor)
    ]
    # the version counters of the arguments' tensors (and so of their views): a run changes
    # its example of a batched argument, and the restore below handles the unbatched ones
    held = {id(t._vc) for x in fronts if isinstance(x, Tensor) for t in (x, batching.unwrap(x)[0])}
    before = [(t, t._vc[0], t._data.copy()) for t in shared]
    changed: list[tuple[Tensor, Any, Any]] = []  # (t, its values before, after the first run)
    runs = []
    for i in range(size):
        start_example()
        for t, old, _ in changed:  # (counted as a change: what read the new values refuses)
            xp.copyto(t._data, old)
            t._vc[0] += 1
        picked = [x if d is None else x[i] for x, d in zip(fronts, dims, strict=True)]
        with batching.watching() as run:
            runs.append(tree_flatten(func(*tree_unflatten(picked, spec), **kwargs)))
        if not run.changed.keys() <= held:
            raise RuntimeError(
                f"vmap: {name} changed a tensor in place that none of its arguments holds "
                f"(one it closes over, a module's buffer), and vmap runs {name} once per "
                "example (its fallback), which would make that change once per example. Make "
                "the change out of place, or outside vmap"
            )
        if i == 0:
            changed = [(t, old, t._data.copy()) for t, v, old in before if t._vc[0] != v]
        elif any(not xp.array_equal(t._data, new, equal_nan=True) for t, _, new in changed):
            raise RuntimeError(
                f"vmap: {name} changed an argument that no example owns (in_dims None) in "
                f"place, to values that differ from example to example, and vmap runs {name} "
                "once per example (its fallback). Make the change out of place, or outside vmap"
            )
    o_spec = runs[0][1]
    o_dims = _out_dims_per_leaf(out_dims, tree_unflatten(*runs[0]), len(runs[0][0]), name)
    results = []
    for j, d in enumerate(o_dims):
        parts = [_check_tensor(leaves[j], ValueError, _returns_tensors(name)) for leaves, _ in runs]
        shapes = {tuple(p.shape) for p in parts}
        if len(shapes) > 1:
            raise RuntimeError(
                f"vmap({name}, ...): the examples give outputs of different shapes "
                f"{sorted(shapes)}: vmap needs one shape for every example"
            )
        results.append(parts[0] if d is None else stack(parts, d))
    return tree_unflatten(results, o_spec)


def _flatten_mapped(
    in_dims: Any, args: tuple[Any, ...], name: str
) -> tuple[list[Any], Any, list[Any]]:
    """``tree_flatten(args)`` and the in_dim of each leaf, each argument flattened once."""
    if isinstance(in_dims, int) or in_dims is None:
        leaves, spec = tree_flatten(args)
        return leaves, spec, [in_dims] * len(leaves)
    if not isinstance(in_dims, tuple):
        raise ValueError(
            f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): expected `in_dims` to be int or "
            f"a (potentially nested) tuple matching the structure of inputs, got: "
            f"{type(in_dims).__name__}."
        )
    if len(in_dims) != len(args):
        raise ValueError(
            f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): in_dims is not compatible with "
            f"the structure of `inputs`. in_dims has structure of length {len(in_dims)} but "
            f"inputs has structure of length {len(args)}."
        )
    leaves: list[Any] = []
    specs: list[Any] = []
    dims: list[Any] = []
    for d, arg in zip(in_dims, args, strict=True):
        sub, spec = tree_flatten(arg)
        leaves += sub
        specs.append(spec)
        found = _dims_over(d, arg)
        if found is None:
            raise ValueError(
                f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): in_dims is not "
                "compatible with the structure of `inputs`."
            )
        dims.extend(found)
    return leaves, (tuple, specs), dims


def _dims_over(d: Any, arg: Any) -> list[Any] | None:
    """The in_dim of each leaf of ``arg``: ``d`` for all of them where it is an int or None,
    else read from ``d``'s tree, which has ``arg``'s structure down to where it holds an int
    or None (PyTorch broadcasts an in_dim over a subtree); None where the structures differ
    (a tuple of in_dims for a list, other keys, other lengths)."""
    if d is None or isinstance(d, int):
        return [d] * len(tree_flatten(arg)[0])
    if type(d) is not type(arg) or not isinstance(d, _CONTAINERS) or len(d) != len(arg):
        return None
    if isinstance(d, dict):
        if d.keys() != arg.keys():
            return None
        pairs = [(d[key], arg[key]) for key in arg]
    else:
        pairs = list(zip(d, arg, strict=True))
    found: list[Any] = []
    for inner, part in pairs:
        dims = _dims_over(inner, part)
        if dims is None:
            return None
        found += dims
    return found


def _batch_size(leaves: list[Any], dims: list[Any], name: str, in_dims: Any) -> int:
    sizes = []
    for x, d in zip(leaves, dims, strict=True):
        if d is None:
            continue
        if not isinstance(d, int):
            raise ValueError(
                f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d!r} for an "
                "input but in_dim must be either an integer dimension or None."
            )
        if not isinstance(x, Tensor):
            raise ValueError(
                f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} for an input "
                f"but the input is of type {type(x).__name__}. We cannot vmap over non-Tensor "
                "arguments, please use None as the respective in_dim"
            )
        n = x.ndim
        if not -n <= d < n:
            raise ValueError(
                f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} for some "
                f"input, but that input is a Tensor of dimensionality {n} so expected in_dim "
                f"to satisfy -{n} <= in_dim < {n}."
            )
        sizes.append(x.shape[d])
    if not sizes:
        raise ValueError(
            f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dims={in_dims}, but no "
            "input is mapped: at least one Tensor input must have an in_dim that is not None."
        )
    if len(set(sizes)) > 1:
        raise ValueError(
            f"vmap: Expected all tensors to have the same size in the mapped dimension, got "
            f"sizes {sizes} for the mapped dimension"
        )
    return sizes[0]


def _movedim(x: Tensor, source: int, destination: int) -> Tensor:
    n = x.ndim
    source, destination = source % n, destination % n
    if source == destination:
        return x
    order = [i for i in range(n) if i != source]
    order.insert(destination, source)
    return x.permute(*order)


def _to_front(x: Tensor, d: int) -> Tensor:
    return _movedim(x, d, 0)


def _out_dims_per_leaf(out_dims: Any, out: Any, n: int, name: str) -> list[Any]:
    """The out_dim of each leaf of ``out``: ``out_dims`` is an int or None for all of them, or
    a tree of ints and Nones with ``out``'s structure down to where it holds one, as PyTorch
    broadcasts it (``((x, y), z)`` with out_dims ``(1, 0)``: 1 for x and y); a one-element
    tuple also serves a single output, as in PyTorch. ``n``: how many leaves ``out`` has."""
    if isinstance(out_dims, int) or out_dims is None:
        return [out_dims] * n
    dims = _dims_over(out_dims, out)
    if dims is None and isinstance(out_dims, tuple) and len(out_dims) == 1:
        dims = _dims_over(out_dims[0], out)
    if dims is None:
        raise ValueError(
            f"vmap({name}, ..., out_dims={out_dims})(<inputs>): out_dims is not compatible "
            f"with the structure of `outputs`: give an int or None, or a tree of them shaped "
            f"as the outputs ({_structure(out)}) down to where it holds one"
        )
    return dims


def _structure(tree: Any) -> str:
    """``tree``'s containers with its leaves as ``_`` (``((_, _), _)``), for messages."""
    if isinstance(tree, dict):
        return "{" + ", ".join(f"{k!r}: {_structure(v)}" for k, v in tree.items()) + "}"
    if isinstance(tree, list):
        return "[" + ", ".join(_structure(v) for v in tree) + "]"
    if isinstance(tree, tuple):
        inner = ", ".join(_structure(v) for v in tree)
        return f"({inner},)" if len(tree) == 1 else f"({inner})"
    return "_"


def _unbatch(y: Any, level: batching.Level, d: Any, name: str) -> Any:
    _check_tensor(y, ValueError, _returns_tensors(name))
    if type(y) is BatchedTensor and y._level is level:
        value = y._value
    elif d is None:
        return y
    else:  # the same for every example: repeat it over the batch
        value = y.unsqueeze(0).expand((level.size, *y.shape))
    if d is None:
        raise ValueError(
            f"vmap({name}, ..., out_dims=None): returned a value that varies over the batch, "
            "which out_dims=None cannot represent"
        )
    if d == 0:  # the batch dimension is in front already
        return value
    n = value.ndim
    if not -n <= d < n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {d})\n"
            f"vmap({name}, ..., out_dims={d}): the outputs have {n} dimensions with the batch's"
        )
    return _movedim(value, 0, d)


def _returns_tensors(name: str) -> str:
    """PyTorch's refusal of a vmapped function's output that is no Tensor."""
    return (
        f"vmap({name}, ...): `{name}` must only return Tensors, got type {{}}. Did you mean to "
        "set out_dims= to None for output?"
    )


# ----------------------------------------------------------------------------- functionalize
_REMOVE = ("mutations", "mutations_and_views")


def functionalize(func: Callable[..., Any], *, remove: str = "mutations") -> Callable[..., Any]:
    """``func`` with its mutations removed, in PyTorch's sense: a function that returns what
    ``func`` returns and changes its inputs as ``func`` does.

    In PyTorch, functionalize rewrites every in-place op (``b.add_(1)``) as its out-of-place
    form and copies the final values back into any input that ``func`` changed; with
    ``remove='mutations_and_views'`` every view is also replaced by a copy. That rewrite is
    for a tracer (``make_fx``, ``torch.compile``) that records ATen ops for a compiler which
    cannot represent aliasing; run eagerly, as here, its contract is exactly that the result
    is indistinguishable from calling ``func``: the same outputs, the same input mutations,
    the same gradients. chainrule runs ops eagerly on NumPy arrays, with no tracer of ops
    below ``func`` that could see the difference (``cr.compile`` records the eager run
    itself), so the functionalized function is ``func`` called as it is. The one difference
    an eager program can observe is aliasing with ``remove='mutations_and_views'``: an output
    that shares memory with an input (a view of it, not the input itself) is a copy there,
    so writing to it later leaves the input alone; that is kept here.

    >>> import chainrule as cr
    >>> def f(a):
    ...     b = a.view(-1)
    ...     b.add_(1)
    ...     return a[0]
    >>> x = cr.zeros(2, 2)
    >>> out = functionalize(f, remove="mutations_and_views")(x)
    >>> out.add_(5), x
    (tensor([6., 6.]), tensor([[1., 1.],
            [1., 1.]]))
    """
    if remove not in _REMOVE:
        raise RuntimeError(
            f"functionalize(f, remove='mutations'): received invalid argument for "
            f"remove={remove}. Valid options are:\n     remove='mutations': all inplace and out= "
            "operators will be removed from the program, and replaced with their out-of-place "
            "equivalents.\n     remove='mutations_and_views': In addition to the above, all "
            "aliasing operators {view} will be replaced with their non-aliasing counterparts, "
            "{view}_copy.\n"
        )

    @functools.wraps(func)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        out = func(*args, **kwargs)
        if remove == "mutations":
            return out
        inputs = [x for x in tree_flatten((args, kwargs))[0] if isinstance(x, Tensor)]
        return _map(lambda y: _unaliased(y, inputs), out)

    return wrapped


def _unaliased(y: Any, inputs: list[Tensor]) -> Any:
    """``y``, or a copy of it where it may be a view of one of ``inputs`` (PyTorch's view_copy;
    the bounds of the memory are compared, a copy too many changes nothing but time)."""
    if not isinstance(y, Tensor) or any(y is x for x in inputs):
        return y
    data = batching.physical(y)
    if any(xp.may_share_memory(data, batching.physical(x)) for x in inputs):
        return y.clone()
    return y


def debug_unwrap(tensor: Tensor, *, recurse: bool = True) -> Tensor:
    """The tensor under a transform's wrapper, for a look in a debugger: inside ``vmap``, a
    batched tensor's physical value (every example, the batch dimension first; with
    ``recurse=False``, one level of nested vmaps only); any other tensor itself.

    vmap's batched tensors are chainrule's only wrappers: ``grad`` and ``vjp`` give ``f``
    new leaves of the same values and ``jvp`` views that carry their tangent beside them
    (see :mod:`chainrule.autodiff.forward`), ordinary tensors both, returned as they are.
    PyTorch keeps the batch dimension where ``in_dims`` found it; here it is in front.
    Using the result inside the transformed function, other than to look at it, gives
    undefined results, as in PyTorch.

    >>> import chainrule as cr
    >>> vmap(lambda x: debug_unwrap(x).sum() + 0 * x)(cr.ones(3, 2))
    tensor([[6., 6.],
            [6., 6.],
            [6., 6.]])
    """
    if not isinstance(tensor, Tensor):
        raise TypeError(f"debug_unwrap: expected a Tensor, got {type(tensor).__name__}")
    if type(tensor) is not BatchedTensor:
        return tensor
    return batching.unwrap(tensor)[0] if recurse else tensor._value


# ----------------------------------------------------------------------------- rearrange
_ELLIPSIS = "\u2026"  # "..." in a parsed expression: one character, as no name has it


def rearrange(tensor: Any, pattern: str, **axes_lengths: int) -> Tensor:
    """einops' ``rearrange``: the dimensions of ``tensor`` (a sequence of tensors is stacked
    first) split, reordered and merged as ``pattern`` names them, as one reshape, permute and
    reshape. ``"b h w c -> b (c h w)"``; ``(h1 h)`` splits a dimension, given ``h1=2``;
    ``...`` stands for the dimensions not named, ``1`` and ``()`` for a dimension of size 1.
    PyTorch's parser and errors; a ``1`` or ``()`` on the left must meet a dimension of size
    1 (PyTorch sums over any size there).

    >>> import chainrule as cr
    >>> images = cr.zeros(8, 6, 4, 3)
    >>> rearrange(images, "b (h h1) (w w1) c -> b h w (c h1 w1)", h1=2, w1=2).shape
    chainrule.Size([8, 3, 2, 12])
    >>> rearrange([cr.ones(2), cr.zeros(2)], "n ... -> ... n")
    tensor([[1., 0.],
            [1., 0.]])
    """
    if not isinstance(tensor, Tensor):
        tensor = stack(tensor)
    sides = pattern.split("->")
    if len(sides) != 2:
        raise ValueError("Pattern must contain a single '->' separator")
    left, right = (_parse_axes(side) for side in sides)
    _check_rearrange(left, right, axes_lengths, pattern)
    n = tensor.ndim
    if _ELLIPSIS in left:
        named = sum(1 if isinstance(g, str) else len(g) or 1 for g in left) - 1
        if named > n:
            raise ValueError(
                f"Number of dimensions in pattern ({named}) must be less than or equal to the "
                f"number of dimensions in the tensor ({n})"
            )
    elif len(left) != n:
        raise ValueError(
            f"Number of dimensions in pattern ({len(left)}) must be equal to the number of "
            f"dimensions in the tensor ({n})"
        )
    unnamed = [f"{_ELLIPSIS}{i}" for i in range(n - len(left) + 1)] if _ELLIPSIS in left else []
    left, right = _with_unnamed(left, unnamed), _with_unnamed(right, unnamed)
    sizes = dict(axes_lengths)
    for group, size in zip(left, tensor.shape, strict=True):
        _bind(group, size, sizes)
    given = [name for group in left for name in group]
    order = [name for group in right for name in group]
    split = tensor.reshape([sizes[name] for name in given])
    if order != given:
        split = split.permute(*[given.index(name) for name in order])
    return split.reshape([math.prod(sizes[name] for name in group) for group in right])


def _parse_axes(expression: str) -> list[Any]:
    """One side of a rearrange pattern, per dimension: the names it merges (none for a size
    1), or :data:`_ELLIPSIS` where ``...`` stands alone; PyTorch's parser and errors."""
    if "." in expression:
        if "..." not in expression:
            raise ValueError("Expression may contain dots only inside ellipsis (...)")
        if expression.count("...") != 1 or expression.count(".") != 3:
            raise ValueError(
                "Expression may contain dots only inside ellipsis (...); only one ellipsis for "
                "tensor "
            )
        expression = expression.replace("...", _ELLIPSIS)
    dims: list[Any] = []
    group: list[str] | None = None
    seen: set[str] = set()
    name = ""
    for char in expression + " ":
        if char.isalnum() or char in ("_", _ELLIPSIS):
            name += char
            continue
        if name:
            _add_axis(name, dims if group is None else group, group is None, seen)
            name = ""
        if char == "(":
            if group is not None:
                raise ValueError(
                    "Axis composition is one-level (brackets inside brackets not allowed)"
                )
            group = []
        elif char == ")":
            if group is None:
                raise ValueError("Brackets are not balanced")
            dims.append(group)
            group = None
        elif char != " ":
            raise ValueError(f"Unknown character '{char}'")
    if group is not None:
        raise ValueError(f"Imbalanced parentheses in expression: '{expression}'")
    return dims


def _add_axis(name: str, into: list[Any], alone: bool, seen: set[str]) -> None:
    """``name`` added to the dimensions (``alone``: not in brackets) or to a bracket's group."""
    if name in seen:
        raise ValueError(f"Indexing expression contains duplicate dimension '{name}'")
    if name.isdecimal():
        if int(name) != 1:
            raise ValueError("rearrange only supports unnamed axes of size 1")
        if alone:  # a dimension of size 1; inside brackets, a factor of 1
            into.append([])
        return
    if name != _ELLIPSIS and (
        not name.isidentifier() or name[0] == "_" or name[-1] == "_" or keyword.iskeyword(name)
    ):
        raise ValueError(
            f"Invalid axis identifier: {name}\nnot a valid python identifier, a keyword, or "
            "starts or ends with an underscore"
        )
    seen.add(name)
    into.append(name if name == _ELLIPSIS or not alone else [name])


def _check_rearrange(
    left: list[Any], right: list[Any], axes_lengths: dict[str, Any], pattern: str
) -> None:
    """PyTorch's checks of a parsed rearrange pattern, in its order."""
    found = [{name for dim in side for name in dim} for side in (left, right)]
    if _ELLIPSIS in found[1] and _ELLIPSIS not in found[0]:
        raise ValueError(f"Ellipsis found in right side, but not left side of a pattern {pattern}")
    if any(isinstance(dim, list) and _ELLIPSIS in dim for dim in left):
        raise ValueError(f"Ellipsis is parenthesis in the left side is not allowed: {pattern}")
    for length in axes_lengths.values():
        if type(length) is not int:
            raise TypeError(f"rearrange axis lengths must be integers, got: {type(length)}")
    if found[0] ^ found[1]:
        raise ValueError(
            "Identifiers only on one side of rearrange expression (should be on both): "
            f"{found[0] ^ found[1]}"
        )
    if axes_lengths.keys() - found[0]:
        raise ValueError(
            f"Identifiers not found in rearrange expression: {axes_lengths.keys() - found[0]}"
        )


def _with_unnamed(dims: list[Any], unnamed: list[str]) -> list[list[str]]:
    """The dimensions with ``...`` as the ones it stands for: each its own where it stands
    alone, merged where it is in brackets."""
    found: list[list[str]] = []
    for dim in dims:
        if dim == _ELLIPSIS:
            found += [[name] for name in unnamed]
        else:
            found.append([x for name in dim for x in (unnamed if name == _ELLIPSIS else [name])])
    return found


def _bind(group: list[str], size: int, sizes: dict[str, int]) -> None:
    """The sizes of the names that ``group`` merges into a dimension of ``size``: given, or
    one of them inferred."""
    unknown = [name for name in group if name not in sizes]
    known = math.prod(sizes[name] for name in group if name in sizes)
    if len(unknown) > 1:
        raise ValueError(
            f"cannot infer the sizes of two dimensions at once {unknown[0]} and {unknown[1]}"
        )
    if unknown:
        if not known or size % known:
            raise ValueError(
                f"inferred dimension does not evenly fit into larger dimension: {size} vs {known}"
            )
        sizes[unknown[0]] = size // known
    elif known != size:
        raise ValueError(
            f"Dimension sizes to do not match ({size} != {known}) when matching dimension pack "
            f"{tuple(group)}"
        )


# ----------------------------------------------------------------------------- modules
def functional_call(
    module: Any,
    parameter_and_buffer_dicts: dict[str, Tensor] | Sequence[dict[str, Tensor]],
    args: Any = None,
    kwargs: dict[str, Any] | None = None,
    *,
    tie_weights: bool = True,
    strict: bool = False,
) -> Any:
    """``module(*args, **kwargs)`` with its parameters and buffers replaced by the given
    tensors (by their dotted names), so that transforms can differentiate with respect to them.

    >>> import chainrule as cr
    >>> lin = cr.nn.Linear(2, 1)
    >>> params = {"weight": cr.ones(1, 2), "bias": cr.zeros(1)}
    >>> functional_call(lin, params, (cr.tensor([1.0, 2.0]),))
    tensor([3.])
    """
    dicts = (
        [parameter_and_buffer_dicts]
        if isinstance(parameter_and_buffer_dicts, dict)
        else list(parameter_and_buffer_dicts)
    )
    given: dict[str, Tensor] = {}
    for d in dicts:
        repeated = set(given) & set(d)
        if repeated:
            raise ValueError(
                f"functional_call got multiple values for keys {sorted(repeated)}, which are "
                "used in more than one of the given dictionaries"
            )
        given.update(d)
    if tie_weights:
        given = _untied(module, given)
    if strict:  # PyTorch's check and message (NamedMemberAccessor.check_keys)
        known = {name for name, _ in module.named_parameters(remove_duplicate=False)}
        known.update(name for name, _ in module.named_buffers(remove_duplicate=False))
        errors = []
        unexpected = sorted(set(given) - known)
        missing = sorted(known - set(given))
        if unexpected:
            errors.append(f"Unexpected key(s): {', '.join(map(repr, unexpected))}.")
        if missing:
            errors.append(f"Missing key(s): {', '.join(map(repr, missing))}.")
        if errors:
            raise RuntimeError(
                f"Error(s) in reparametrizing for {module._get_name()}:\n\t" + "\n\t".join(errors)
            )
    swapped = []
    try:
        for name, value in given.items():
            owner, attr = _owner(module, name)
            swapped.append((owner, attr, _swap(owner, attr, value)))
        if args is None:
            args = ()
        elif not isinstance(args, tuple):
            args = (args,)
        return module(*args, **(kwargs or {}))
    finally:
        for owner, attr, old in reversed(swapped):
            _swap(owner, attr, old)


def _untied(module: Any, given: dict[str, Tensor]) -> dict[str, Tensor]:
    """``given`` with each value also under the names of the parameters and buffers tied to
    the one it names (``b.weight = a.weight``): PyTorch's ``tie_weights``, which refuses two
    different values for one tied tensor."""
    if not _has_tied(module):  # the common case, told without building every name (~25 us)
        return given
    names_of: dict[int, list[str]] = {}
    for named in (module.named_parameters, module.named_buffers):
        for name, tensor in named(remove_duplicate=False):
            names_of.setdefault(id(tensor), []).append(name)
    untied = dict(given)
    for names in names_of.values():
        values = {id(given[n]): given[n] for n in names if n in given}
        if len(names) < 2 or not values:
            continue
        if len(values) > 1:
            raise ValueError(
                f"functional_call got multiple values for keys {sorted(names)}, which are "
                "tied. Consider using tie_weights=False"
            )
        (value,) = values.values()
        untied.update(dict.fromkeys(names, value))
    return untied


def _has_tied(module: Any) -> bool:
    """Whether a parameter or buffer of ``module`` is reached by two names (a tensor held by
    two submodules, or a submodule held twice)."""
    seen: set[int] = set()
    stack = [module]
    while stack:
        owner = stack.pop()
        for registry in (owner._parameters, owner._buffers):
            for tensor in registry.values():
                if tensor is not None:
                    if id(tensor) in seen:
                        return True
                    seen.add(id(tensor))
        stack.extend(m for m in owner._modules.values() if m is not None)
    return False


def _owner(module: Any, name: str) -> tuple[Any, str]:
    *path, attr = name.split(".")
    for part in path:
        found = module._modules.get(part)  # a submodule, without a call of Module.__getattr__
        module = found if found is not None else getattr(module, part)
    return module, attr


# The old value of a name that was no attribute of its module: the swap back removes it.
_MISSING = object()


def _swap(owner: Any, attr: str, value: Any) -> Any:
    """Put ``value`` in ``owner``'s parameter, buffer or attribute ``attr`` (one it did not
    have is set, as PyTorch sets it; :data:`_MISSING` removes it); return what was there."""
    for registry in (owner._parameters, owner._buffers):
        if attr in registry:
            old, registry[attr] = registry[attr], value
            return old
    old = getattr(owner, attr, _MISSING)
    if value is not _MISSING:
        setattr(owner, attr, value)
    elif old is not _MISSING:
        delattr(owner, attr)
    return old


def stack_module_state(models: Sequence[Any]) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
    """``(params, buffers)``: the parameters and buffers of ``models`` (modules of one class,
    all in training or all in eval mode) stacked along a new first dimension, by name, ready
    for ``vmap`` over :func:`functional_call` (model ensembling). Stacked parameters are new
    leaves that require grad (an optimizer can take them), unrelated to the models' own.

    >>> import chainrule as cr
    >>> params, buffers = stack_module_state([cr.nn.Linear(3, 2) for _ in range(4)])
    >>> {k: tuple(v.shape) for k, v in params.items()}, buffers
    ({'weight': (4, 2, 3), 'bias': (4, 2)}, {})
    """
    if len(models) == 0:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if not (all(m.training for m in models) or not any(m.training for m in models)):
        raise RuntimeError(
            "stack_module_state: Expected all models to have the same training/eval mode."
        )
    if any(type(m) is not type(models[0]) for m in models):
        raise RuntimeError("stack_module_state: Expected all models to be of the same class.")
    per_model = [dict(m.named_parameters()) for m in models]
    params = {name: _stacked_leaf([p[name] for p in per_model], name) for name in per_model[0]}
    per_model = [dict(m.named_buffers()) for m in models]
    buffers = {name: _stacked_leaf([b[name] for b in per_model], name) for name in per_model[0]}
    return params, buffers


def _stacked_leaf(tensors: list[Tensor], name: str) -> Tensor:
    """The ``tensors`` stacked: a new leaf that requires grad where each of them does."""
    flags = {t.requires_grad for t in tensors}
    if len(flags) > 1:
        raise RuntimeError(f"Expected {name} from each model to have the same .requires_grad")
    stacked = stack(tensors)
    return stacked.detach().requires_grad_() if True in flags else stacked


def replace_all_batch_norm_modules_(root: Any) -> Any:
    """``root`` with every batch norm in it (``root`` too) changed in place to keep no running
    statistics: ``running_mean``, ``running_var`` and ``num_batches_tracked`` None and
    ``track_running_stats`` False, so that it normalizes by the statistics of its input also
    in eval mode and writes nothing under ``vmap`` (which refuses to update an unbatched
    running statistic from a batched input). Instance norms are left as they are, as in
    PyTorch (there they are no batch norms).

    >>> import chainrule as cr
    >>> net = replace_all_batch_norm_modules_(cr.nn.Sequential(cr.nn.BatchNorm1d(3)))
    >>> net[0].track_running_stats, dict(net[0].named_buffers())
    (False, {})
    """
    from chainrule.nn.norm import _BatchNorm

    for module in root.modules():
        if isinstance(module, _BatchNorm) and module.track_running_stats:
            module.running_mean = None
            module.running_var = None
            module.num_batches_tracked = None
            module.track_running_stats = False
    return root


# ----------------------------------------------------------------------------- custom rules
class custom_vjp:  # noqa: N801 - JAX's name
    """A function with a hand-written reverse-mode rule, in JAX's style.

    ``fwd(*args)`` returns ``(output, residuals)``; ``bwd(residuals, g)`` returns one gradient
    per argument (None for none). The residuals are computed once, in the forward pass.

    >>> import chainrule as cr
    >>> @custom_vjp
    ... def clip_gradient(x):
    ...     return x * 1.0
    >>> clip_gradient.defvjp(lambda x: (x * 1.0, None), lambda res, g: (g.clamp(-1, 1),))
    >>> grad(lambda x: (clip_gradient(x) * 5).sum())(cr.tensor([2.0]))
    tensor([1.])
    """

    def __init__(self, fun: Callable[..., Tensor]) -> None:
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.rule: type | None = None

    def defvjp(self, fwd: Callable[..., Any], bwd: Callable[..., Any]) -> None:
        from chainrule.autodiff.function import Function

        class Rule(Function):
            @staticmethod
            def forward(ctx: Any, *args: Any) -> Tensor:
                out, ctx.residuals = fwd(*args)
                return out

            @staticmethod
            def backward(ctx: Any, g: Tensor) -> Any:
                grads = bwd(ctx.residuals, g)
                return tuple(grads) if isinstance(grads, tuple | list) else (grads,)

        Rule.__name__ = f"{self.fun.__name__}_custom_vjp"
        self.rule = Rule

    def __call__(self, *args: Any) -> Tensor:
        if self.rule is None:
            raise TypeError(
                f"No VJP defined for custom_vjp function {self.fun.__name__} using defvjp."
            )
        return self.rule.apply(*args)


class custom_jvp:  # noqa: N801 - JAX's name
    """A function with a hand-written forward-mode rule, in JAX's style.

    ``rule(primals, tangents)`` returns ``(output, output_tangent)``, linear in the tangents;
    reverse mode follows from it (the vjp of the tangent map), as in JAX.

    >>> import chainrule as cr
    >>> @custom_jvp
    ... def f(x):
    ...     return cr.sin(x)
    >>> @f.defjvp
    ... def f_jvp(primals, tangents):
    ...     return cr.sin(primals[0]), 2 * cr.cos(primals[0]) * tangents[0]
    >>> jvp(f, (cr.tensor(0.0),), (cr.tensor(1.0),))[1], grad(f)(cr.tensor(0.0))
    (tensor(2.), tensor(2.))
    """

    def __init__(self, fun: Callable[..., Tensor]) -> None:
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.rule: type | None = None

    def defjvp(self, jvp_rule: Callable[..., Any]) -> Callable[..., Any]:
        from chainrule.autodiff.function import Function

        fun = self.fun

        def tangent_map(primals: tuple[Any, ...]) -> Callable[..., Any]:
            return lambda *ts: jvp_rule(primals, ts)[1]

        class Rule(Function):
            @staticmethod
            def forward(ctx: Any, *args: Any) -> Tensor:
                ctx.primals = args
                return fun(*args)

            @staticmethod
            def backward(ctx: Any, g: Tensor) -> Any:
                zeros = tuple(_zeros(p) for p in ctx.primals)
                _, pullback = vjp(tangent_map(ctx.primals), *zeros)
                return pullback(g)

            @staticmethod
            def jvp(ctx: Any, *tangents: Tensor) -> Tensor:
                return jvp_rule(ctx.primals, tangents)[1]

        Rule.__name__ = f"{fun.__name__}_custom_jvp"
        self.rule = Rule
        return jvp_rule

    def __call__(self, *args: Any) -> Tensor:
        if self.rule is None:
            raise TypeError(
                f"No JVP defined for custom_jvp function {self.fun.__name__} using defjvp."
            )
        return self.rule.apply(*args)
