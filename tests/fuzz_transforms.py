"""Random programs under function transforms: ``chainrule.func`` against ``torch.func``.

The programs are the differential fuzzer's (``fuzz_programs``): straight-line code over a few
float64 inputs, with broadcasting, fan-out, views and in-place ops. Here each becomes two
functions of its inputs, the weighted sum of its last values (the fuzzer's loss, a scalar) and
its last value itself, and each :data:`TRANSFORMS` entry applies ``grad``, ``jvp``, ``vjp``,
``jacrev``, ``jacfwd``, ``hessian`` or ``vmap``, alone or nested, the same way in both
libraries.

Where the two disagree, finite differences of chainrule's plain forward (no derivative rule
involved) decide: PyTorch's forward mode reads an operand that an in-place op has already
changed where the operand aliases the output (``v.mul_(v)``, ``v.reshape(-1).mul_(v)``: the
tangent of ``v * v`` comes out as ``t * v_new + v_old * t``), and ``torch.func`` refuses some
in-place ops through views that plain PyTorch autograd runs. A program passes where chainrule
agrees with PyTorch, or where PyTorch differs and chainrule agrees with the differences.

    >>> import numpy as np
    >>> case = Case(["v1 = v0.sin()"], "(v1 * weight(v1)).sum()", [np.ones(3)], (True,), "jacfwd")
    >>> disagreements(case)
    []
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from fuzz_programs import KNOWN_REFUSALS as EAGER_REFUSALS
from fuzz_programs import (
    NUDGES,
    Program,
    RoundingDecides,
    UndefinedOrder,
    _nudged,
    _numpy,
    finite_difference_tolerance,
    run,
    weights,
)
from gradcheck_util import finite_scale

import chainrule as cr

BATCH = 3
# vmap's in_dims for an input of a fuzzed program: batch first, last, or none
IN_DIMS = (0, -1, None)
STEP = 1e-6  # central differences of a float64 function: ~1e-9 relative error
OUTER_STEP = 1e-4  # the outer differences of a second derivative (of the inner ones)


def functions(lib: Any, lines: list[str], loss: str) -> tuple[Callable, Callable]:
    """``(scalar, last)``: a program's ``lines`` as a function of its inputs ``v0, v1, ...``,
    returning its ``loss`` expression (a scalar) or its last value."""

    def run(vs: tuple[Any, ...]) -> dict[str, Any]:
        names = {"lib": lib, "weight": lambda v: lib.tensor(weights(tuple(v.shape)))}
        names.update({f"v{k}": v for k, v in enumerate(vs)})
        for line in lines:
            exec(line, names)  # the fuzzer's own generated source
        return names

    def scalar(*vs: Any) -> Any:
        return eval(loss, run(vs))  # the fuzzer's own generated source

    def last(*vs: Any) -> Any:
        names = run(vs)
        newest = max(int(k[1:]) for k in names if k[0] == "v" and k[1:].isdigit())
        return names[f"v{newest}"] * 1.0  # a new value, never an input returned as is

    return scalar, last


def _tangent(shape: tuple[int, ...]) -> np.ndarray:
    return np.cos(2.0 + np.arange(int(np.prod(shape, dtype=int)))).reshape(shape)


def _batched(x: np.ndarray, dim: int | None) -> np.ndarray:
    """BATCH unequal copies of ``x``, stacked at ``dim`` (``x`` itself for None)."""
    if dim is None:
        return x
    return np.stack([x * (1 + 0.1 * j) - 0.05 * j for j in range(BATCH)], axis=dim)


class Case:
    """A program (``lines`` before its ``loss`` expression, and its inputs) under one
    transform with variant ``p``: everything both libraries and the finite differences need,
    as NumPy arrays."""

    def __init__(
        self,
        lines: list[str],
        loss: str,
        inputs: list[np.ndarray],
        requires_grad: tuple[bool, ...],
        transform: str,
        in_dims: tuple[int | None, ...] | None = None,
    ) -> None:
        self.lines, self.loss, self.inputs, self.transform = lines, loss, inputs, transform
        self.argnums = tuple(k for k, grad in enumerate(requires_grad) if grad)
        self.tangents = [_tangent(x.shape) for x in inputs]
        self.dims = in_dims or (0,) * len(inputs)  # vmap's, for the vmap transforms
        self.batched = [_batched(x, d) for x, d in zip(inputs, self.dims, strict=True)]

    @classmethod
    def of(cls, program: Program, layer: int, transform: str, p: int) -> Case:
        """The case of a fuzzer's program, with the ops of ``layer`` and below; ``p`` picks
        vmap's in_dims (0, -1 or None for each input, not None for all)."""
        lines = program.lines(layer)
        at = next(k for k, line in enumerate(lines) if line.startswith("loss = "))
        loss = lines[at][len("loss = ") :]
        dims = [IN_DIMS[(p // 3**k) % 3] for k in range(len(program.shapes))]
        if all(d is None for d in dims):
            dims[0] = 0
        inputs, grads = program.inputs(), program.requires_grad
        return cls(lines[:at], loss, inputs, grads, transform, tuple(dims))

    def nudged(self, phase: int) -> Case:
        """This case with its inputs moved by at most 1e-12 of themselves (see
        :class:`fuzz_programs.RoundingDecides`)."""
        requires_grad = tuple(k in self.argnums for k in range(len(self.inputs)))
        inputs = [_nudged(x, phase) for x in self.inputs]
        return Case(self.lines, self.loss, inputs, requires_grad, self.transform, self.dims)

    def source(self) -> str:
        return "\n".join(
            [
                f"# {self.transform}, argnums {self.argnums}, in_dims {self.dims}",
                *self.lines,
                f"loss = {self.loss}",
                "inputs: " + ", ".join(repr(x) for x in self.inputs),
            ]
        )


def _apply(lib: Any, case: Case, passed: list[Any]) -> Any:
    """``case``'s transform in ``lib`` (``chainrule`` or ``torch``); the input tensors it
    passes are appended to ``passed`` (f may change them in place)."""
    fn = lib.func
    scalar, last = functions(lib, case.lines, case.loss)
    xs = [lib.tensor(x) for x in case.inputs]
    passed += xs
    tangents = tuple(lib.tensor(t) for t in case.tangents)
    argnums, name = case.argnums, case.transform

    def weighted_grads(*vs: Any) -> Any:  # a scalar of the first derivatives, for a second
        grads = fn.grad(scalar, argnums=argnums)(*vs)
        return sum((g * lib.tensor(weights(tuple(g.shape)))).sum() for g in grads)

    if name == "grad":
        return fn.grad(scalar, argnums=argnums)(*xs)
    if name == "grad_of_grad":
        return fn.grad(weighted_grads, argnums=argnums)(*xs)
    if name == "jvp":
        return fn.jvp(last, tuple(xs), tangents)
    if name == "jvp_of_grad":
        return fn.jvp(fn.grad(scalar), tuple(xs), tangents)
    if name == "vjp":
        out, vjp_fn = fn.vjp(last, *xs)
        return out, vjp_fn(lib.tensor(weights(tuple(out.shape))))
    if name == "jacrev":
        return fn.jacrev(last, argnums=argnums)(*xs)
    if name == "jacfwd":
        return fn.jacfwd(last, argnums=argnums)(*xs)
    if name == "hessian":
        return fn.hessian(scalar, argnums=argnums)(*xs)
    if name == "jacfwd_of_jacrev":
        return fn.jacfwd(fn.jacrev(scalar, argnums=argnums), argnums=argnums)(*xs)
    if name == "jacrev_of_jacfwd":
        return fn.jacrev(fn.jacfwd(scalar, argnums=argnums), argnums=argnums)(*xs)
    if name == "linearize":
        out, jvp_fn = fn.linearize(last, *xs)
        return out, jvp_fn(*tangents)
    functional = lib.autograd.functional  # PyTorch's older API: inputs as a tuple, all of them
    if name == "functional_jacobian":
        return functional.jacobian(last, tuple(xs))
    if name == "functional_jacobian_vectorized":
        return functional.jacobian(last, tuple(xs), vectorize=True)
    if name == "functional_hessian":
        return functional.hessian(scalar, tuple(xs))
    if name in ("functional_hvp", "functional_vhp"):
        product = functional.hvp if name == "functional_hvp" else functional.vhp
        return product(scalar, tuple(xs), tangents)
    if name == "functional_jvp":
        return functional.jvp(last, tuple(xs), tangents)
    batched = [lib.tensor(x) for x in case.batched]
    passed[:] = batched
    if name == "vmap":
        return fn.vmap(last, in_dims=case.dims)(*batched)
    if name == "vmap_of_grad":
        return fn.vmap(fn.grad(scalar, argnums=argnums), in_dims=case.dims)(*batched)
    if name == "vmap_of_hessian":
        return fn.vmap(fn.hessian(scalar, argnums=argnums), in_dims=case.dims)(*batched)
    if name in ("vmap_of_jacrev", "vmap_of_jacfwd"):
        jacobian = fn.jacrev if name == "vmap_of_jacrev" else fn.jacfwd
        return fn.vmap(jacobian(last, argnums=argnums), in_dims=case.dims)(*batched)
    if name == "vmap_of_jvp":
        n = len(xs)

        def jvp_of(*args: Any) -> Any:
            return fn.jvp(last, args[:n], args[n:])

        batched_tangents = [lib.tensor(_tangent(x.shape)) for x in case.batched]
        return fn.vmap(jvp_of, in_dims=case.dims * 2)(*batched, *batched_tangents)
    raise ValueError(f"unknown transform {name}")


TRANSFORMS = (
    "grad",
    "grad_of_grad",
    "jvp",
    "jvp_of_grad",
    "vjp",
    "jacrev",
    "jacfwd",
    "hessian",
    "jacfwd_of_jacrev",
    "jacrev_of_jacfwd",
    "linearize",
    "functional_jacobian",
    "functional_jacobian_vectorized",
    "functional_hessian",
    "functional_hvp",
    "functional_vhp",
    "functional_jvp",
    "vmap",
    "vmap_of_grad",
    "vmap_of_hessian",
    "vmap_of_jacrev",
    "vmap_of_jacfwd",
    "vmap_of_jvp",
)


# ----------------------------------------------------------------------------- the referee
class _Numeric:
    """``case``'s transform by central differences of chainrule's plain forward: each call
    runs the program on fresh copies of its inputs (it may change them in place)."""

    def __init__(self, case: Case, shrink: float = 1.0) -> None:
        self.case = case
        self.scalar, self.last = functions(cr, case.lines, case.loss)
        self.step, self.outer_step = STEP * shrink, OUTER_STEP * shrink

    def value(self, f: Callable, xs: list[np.ndarray]) -> np.ndarray:
        """``f`` at one example; where eager refuses it, under vmap over a batch of just that
        example, as jacfwd and vmap run it: an in-place op whose operand overlaps its target
        as eager PyTorch refuses (a 0-d base and its (1,) view) runs batched, where the two
        have more elements."""
        with cr.no_grad():
            try:
                return _numpy(f(*(cr.tensor(x.copy()) for x in xs)))
            except RuntimeError:
                pass
            dims = tuple(None if d is None else 0 for d in self.case.dims)
            batch = [
                cr.tensor(x.copy() if d is None else x[None]) for x, d in zip(xs, dims, strict=True)
            ]
            return _numpy(cr.func.vmap(f, in_dims=dims)(*batch)[0])

    def jacobian(self, f: Callable, xs: list[np.ndarray], k: int, step: float) -> np.ndarray:
        """d f / d xs[k], shaped (*f's shape, *xs[k]'s shape); ``f`` maps arrays to an array."""
        x = xs[k]
        columns = []
        for i in range(x.size):
            bumped = []
            for sign in (1, -1):
                moved = x.copy().reshape(-1)
                moved[i] += sign * step
                bumped.append(f([*xs[:k], moved.reshape(x.shape), *xs[k + 1 :]]))
            columns.append((bumped[0] - bumped[1]) / (2 * step))
        out_shape = np.shape(f(xs))
        return np.stack(columns, axis=-1).reshape((*out_shape, *x.shape))

    def grads(self, xs: list[np.ndarray], argnums: tuple[int, ...], step: float = 0.0) -> list:
        """First derivatives, by steps of ``step`` (the inner step where 0)."""
        step = step or self.step
        return [self.jacobian(lambda v: self.value(self.scalar, v), xs, k, step) for k in argnums]

    def hessian(self, xs: list[np.ndarray], argnums: tuple[int, ...]) -> list[list[np.ndarray]]:
        def grad_k(k: int) -> Callable:
            return lambda v: self.grads(v, (k,), self.outer_step)[0]

        return [
            [self.jacobian(grad_k(i), xs, j, self.outer_step) for j in argnums] for i in argnums
        ]

    def directional(self, f: Callable, xs: list[np.ndarray], ts: list[np.ndarray]) -> np.ndarray:
        ahead = f([x + self.step * t for x, t in zip(xs, ts, strict=True)])
        behind = f([x - self.step * t for x, t in zip(xs, ts, strict=True)])
        return (ahead - behind) / (2 * self.step)

    def result(self) -> list[np.ndarray]:
        """The transform's outputs, flattened in the order :func:`flatten` lists them."""
        case, name = self.case, self.case.transform
        if name.startswith("vmap"):
            return self._vmapped()
        return self._at(case.inputs, case.tangents)

    def _at(self, xs: list[np.ndarray], ts: list[np.ndarray]) -> list[np.ndarray]:
        case, name = self.case, self.case.transform
        argnums = case.argnums
        last = lambda v: self.value(self.last, v)  # noqa: E731
        if name in ("grad", "vmap_of_grad"):
            return self.grads(xs, argnums)
        if name == "grad_of_grad":  # H w: the Hessian times the weights of the gradients
            rows = self.hessian(xs, argnums)
            w = [weights(xs[i].shape) for i in argnums]
            return [
                sum(np.tensordot(w[a], rows[a][b], axes=w[a].ndim) for a in range(len(argnums)))
                for b in range(len(argnums))
            ]
        if name in ("functional_jacobian", "functional_jacobian_vectorized"):
            return [self.jacobian(last, xs, k, self.step) for k in range(len(xs))]
        every = tuple(range(len(xs)))
        if name == "functional_hessian":
            return [h for row in self.hessian(xs, every) for h in row]
        if name in ("functional_hvp", "functional_vhp"):  # (f, H v) and (f, v^T H)
            rows = self.hessian(xs, every)
            if name == "functional_hvp":
                products = [
                    sum(np.tensordot(rows[a][b], ts[b], axes=ts[b].ndim) for b in every)
                    for a in every
                ]
            else:
                products = [
                    sum(np.tensordot(ts[a], rows[a][b], axes=ts[a].ndim) for a in every)
                    for b in every
                ]
            return [self.value(self.scalar, xs), *products]
        if name in ("jvp", "functional_jvp", "linearize", "vmap_of_jvp"):
            return [last(xs), self.directional(last, xs, ts)]
        if name == "jvp_of_grad":
            grad_0 = lambda v: self.grads(v, (0,), self.outer_step)[0]  # noqa: E731
            return [self.grads(xs, (0,))[0], self.directional(grad_0, xs, ts)]
        if name == "vjp":
            out = last(xs)
            w = weights(out.shape)
            jacobians = [self.jacobian(last, xs, k, self.step) for k in range(len(xs))]
            return [out, *(np.tensordot(w, j, axes=w.ndim) for j in jacobians)]
        if name in ("jacrev", "jacfwd", "vmap_of_jacrev", "vmap_of_jacfwd"):
            return [self.jacobian(last, xs, k, self.step) for k in argnums]
        if name in ("hessian", "jacfwd_of_jacrev", "jacrev_of_jacfwd", "vmap_of_hessian"):
            return [h for row in self.hessian(xs, argnums) for h in row]
        if name == "vmap":
            return [last(xs)]
        raise ValueError(f"unknown transform {name}")

    def _vmapped(self) -> list[np.ndarray]:
        """vmap's definition: the unbatched transform at each example, stacked (out_dims 0)."""
        case = self.case
        examples = []
        tangents = [_tangent(x.shape) for x in case.batched]  # vmap_of_jvp's, batched too
        for j in range(BATCH):
            xs, ts = (
                [
                    x if d is None else np.take(x, j, d)
                    for x, d in zip(arrays, case.dims, strict=True)
                ]
                for arrays in (case.batched, tangents)
            )
            examples.append(self._at(xs, ts))
        return [np.stack(parts) for parts in zip(*examples, strict=True)]


def flatten(result: Any) -> list[np.ndarray | None]:
    """A transform's result (Tensors in nested tuples) as a flat list of arrays."""
    if isinstance(result, tuple | list):
        return [y for x in result for y in flatten(x)]
    return [None if result is None else _numpy(result)]


def outcome(lib: Any, case: Case) -> tuple[list | None, str | None, list]:
    """``(arrays, None, inputs)``, or ``(None, error, inputs)`` where ``lib`` raised;
    ``inputs``: the values of the input tensors after the call (f may change them in place),
    and whether each requires grad then."""
    passed: list[Any] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = flatten(_apply(lib, case, passed))
            return result, None, [*flatten(passed), np.array([x.requires_grad for x in passed])]
    except Exception as error:  # any error: compared with the other library's
        return None, f"{type(error).__name__}: {error}", []


def _mismatches(
    got: list, expected: list, rtol: float, atol: float, scaled: bool = False
) -> list[str]:
    """Where ``got`` differs from ``expected``, output by output; ``scaled``: each output's
    ``atol`` times its largest finite magnitude (finite differences err with the size of the
    function: beside Hessian entries of 1e149, from an exp, an entry of 2.7e7 came out 0)."""
    if len(got) != len(expected):
        return [f"{len(got)} outputs, expected {len(expected)}"]
    found = []
    for k, (a, b) in enumerate(zip(got, expected, strict=True)):
        if a is None or b is None:
            if (a is None) != (b is None):
                found.append(f"output {k}: {a} against {b}")
            continue
        close = a.shape == np.shape(b)
        if close:
            with contextlib.suppress(AssertionError):
                tolerance = atol * finite_scale(np.asarray(b)) if scaled else atol
                np.testing.assert_allclose(a, b, rtol=rtol, atol=tolerance, equal_nan=True)
                continue
        found.append(f"output {k}: {a.tolist()} against {np.asarray(b).tolist()}")
    return found


#: chainrule's refusals where torch.func computes: each a clear error, never a number, kept
#: here until it is lifted: (the transforms, the error's words).
KNOWN_REFUSALS = (
    # A decomposition's input (svd, eigh, qr, lu) changed in place after the call, under a
    # transform that differentiates its rules again (hessian, grad of grad, a jvp of a
    # gradient): chainrule's rules there recompute the factors from the input, and refuse a
    # changed one, where PyTorch's read the saved outputs with their graph. (Reading the
    # outputs instead, an outer forward level saw the input's new tangent: wrong numbers.)
    (TRANSFORMS, "It is an input of Linalg"),
    # vmap over jacfwd (hessian is jacfwd of jacrev): jvp lifts a primal to the batch of its
    # tangents by an expand, where torch.func keeps it unbatched, so an in-place change of a
    # view of that input writes into the expand, which refuses it. (Running f once per
    # direction instead would change the input again each time.)
    (
        ("vmap_of_jacfwd", "vmap_of_hessian"),
        "more than one element of the written-to tensor refers to a single memory location",
    ),
    # An input that an op's node saves, changed in place before a reverse pass reads it
    # (binary_cross_entropy_with_logits(v3, t), then v3.addcmul_(...)): refused, as eager
    # PyTorch refuses the same program, where torch.func's transforms run that op through its
    # decomposition, whose nodes save other values than the input, and compute (see
    # test_func_fuzz_vs_torch's test_a_saved_input_changed_in_place_is_refused_as_in_eager).
    (TRANSFORMS, "It is an input of BinaryCrossEntropyWithLogitsBackward0"),
    # eager's refusals (fuzz_programs.KNOWN_REFUSALS: eigh of a nan matrix), under any transform
    *((TRANSFORMS, words) for words in EAGER_REFUSALS),
    # vmap of an in-place op whose operand overlaps its target in each example (a scatter_ of
    # itself on 0-d examples): f alone is refused, in both libraries, and so is chainrule's
    # vmap; torch.func's batching rules (add_'s, scatter_'s on 0-d examples) read the physical
    # arrays, never dense, and compute (test_func_fuzz_vs_torch's OVERLAPPING_WRITES)
    (tuple(t for t in TRANSFORMS if t.startswith("vmap")), "refer to a single memory location"),
    # vmap over a gradient (grad, jacrev, jacfwd, hessian, jvp) of f that writes the primal
    # into an input vmap does not batch, after another in-place change of it: the primal is
    # lifted to vmap's examples, so that its gradient comes out per example from chainrule's
    # one graph over the whole batch, and the unbatched input has room for one example only.
    # vmap's fallback (f once per example) would make the first change again each time.
    # torch.func's graph is each example's own, and writes one value. (Without the first
    # change, chainrule runs f once per example, with a warning, and agrees.)
    (
        tuple(t for t in TRANSFORMS if t.startswith("vmap_of")),
        "an in-place change of an unbatched tensor by a batched one, and",
    ),
)


def known_refusal(case: Case, error: str) -> bool:
    """Whether ``error``, chainrule's in ``case``, is one of :data:`KNOWN_REFUSALS`."""
    return any(case.transform in names and words in error for names, words in KNOWN_REFUSALS)


def _in_loop_order(case: Case) -> bool:
    """Whether PyTorch's plain run of ``case``'s program changes memory in its kernels' loop
    order (:class:`fuzz_programs.UndefinedOrder`: an add_ of an unfold of overlapping windows
    changes a shared place once per window), so that what it leaves in the inputs is no
    reference."""
    import torch

    try:
        run(case.lines, case.inputs, (False,) * len(case.inputs), torch)
    except UndefinedOrder:
        return True
    return False


#: Transforms that PyTorch runs f twice for, on the caller's tensors: an input that f changes
#: in place changes twice there, once in chainrule (torch.func.linearize calls f, then traces
#: it with make_fx; chainrule's jvp_fn runs f on copies).
RUNS_F_TWICE = ("linearize",)


def disagreements(case: Case) -> list[str]:
    """How chainrule's transform in ``case`` is wrong (empty: it is right). Right is PyTorch's
    answer (its values, or both raising), or where PyTorch gives another answer or raises,
    the finite differences'."""
    import torch

    (ours, our_error, our_inputs), (theirs, their_error, their_inputs) = (
        outcome(cr, case),
        outcome(torch, case),
    )
    if our_error is not None:
        if their_error is not None or known_refusal(case, our_error):
            return []
        return [case.source(), f"chainrule raises {our_error}; PyTorch does not"]
    if their_error is None and not _mismatches(ours, theirs, 1e-7, 1e-9):
        # Then what f changed in place in the caller's tensors. (Where the results differ,
        # the finite differences decide on the results alone: PyTorch may change a place that
        # elements share once per element, an add_ of an unfold, in its loop order.)
        changed = case.transform not in RUNS_F_TWICE and _mismatches(
            our_inputs, their_inputs, 1e-7, 1e-9
        )
        if not changed or _in_loop_order(case):
            return []
        return [case.source(), f"the inputs after the call differ: {changed}"]
    if case.transform == "functional_jvp" and _as_torch_func_jvp(case, ours):
        return []
    # PyTorch raises or differs: the finite differences decide, where they are numbers (where
    # the function is nan they are nan, and a derivative there is a convention: PyTorch's
    # vhp of var() of one element is 0, chainrule's nan)
    ours = [x for x in ours if x is not None]
    try:
        reference = numeric(case)
    except RuntimeError as error:  # chainrule's own plain run refuses what its transform ran
        said = their_error or "PyTorch differs"
        return [case.source(), f"the finite differences cannot run it: {error}; {said}"]
    found = numeric_mismatches(case, _nan_where(ours, reference), reference)
    if found:  # where halving the steps moves the differences past the tolerance, they decide
        reference = _settled(case, reference, numeric(case, 0.5))  # nothing: their own error
        found = numeric_mismatches(case, _nan_where(ours, reference), reference)
    if not found:
        return []
    if their_error is None and _rounding_decides(case, theirs):
        raise RoundingDecides(found)
    said = their_error or f"PyTorch gives {[t.tolist() for t in theirs if t is not None]}"
    return [case.source(), f"chainrule against finite differences: {found}; {said}"]


def _rounding_decides(case: Case, theirs: list) -> bool:
    """Whether torch.func's own answer moves past the comparison's tolerance (or raises) when
    the inputs move by 1e-12 of themselves: a program at a jump that a rounding decides, not
    compared, as in the eager fuzzer. The fuzzer met the norm of a kl_div of a distribution
    against itself, 0 up to rounding: at exactly 0 (chainrule's) the norm's second derivative
    is 0/0, nan in both libraries, at PyTorch's 1.9e-17 it is not; nudged, PyTorch's own
    Hessian is nan at 6 of 20 points."""
    import torch

    for phase in range(NUDGES):
        moved, error, _ = outcome(torch, case.nudged(phase))
        if error is not None or _mismatches(moved, theirs, 1e-7, 1e-9):
            return True
    return False


#: The transforms whose results are second derivatives, which the finite differences take
#: of differences: their error grows with the third and fourth derivatives (near a pole of
#: atan2, 3e-4 of a Hessian entry of -1,838).
SECOND_ORDER = {
    "grad_of_grad",
    "jvp_of_grad",
    "hessian",
    "jacfwd_of_jacrev",
    "jacrev_of_jacfwd",
    "functional_hessian",
    "functional_hvp",
    "functional_vhp",
    "vmap_of_hessian",
}


def _tolerance(case: Case) -> tuple[float, float]:
    return finite_difference_tolerance(case.transform in SECOND_ORDER)


def numeric_mismatches(case: Case, got: list, reference: list) -> list[str]:
    """Where ``got`` differs from :func:`numeric`'s ``reference`` for ``case``."""
    return _mismatches(got, reference, *_tolerance(case), scaled=True)


def _nan_where(ours: list, reference: list) -> list:
    """``ours``, nan where the reference is nan (the function is nan nearby: a derivative
    there is a convention), output by output where their shapes agree."""
    if len(ours) != len(reference):
        return ours
    return [
        np.where(np.isnan(r), np.nan, x) if np.shape(x) == np.shape(r) else x
        for x, r in zip(ours, reference, strict=True)
    ]


def _settled(case: Case, reference: list, finer: list) -> list:
    """``finer``, differences by half ``reference``'s steps, nan where the two differ past the
    comparison's tolerance: there the differences' own error is as large as what they would
    check (a Hessian through exp(cross(x, cross(x, x**2)**2)), entries of 4e291, moved by 0.5%
    when the steps halved)."""
    rtol, atol = _tolerance(case)
    settled = []
    for coarse, fine in zip(reference, finer, strict=True):
        coarse, fine = np.asarray(coarse, dtype=float), np.asarray(fine, dtype=float)
        allowed = rtol * np.abs(fine) + atol * finite_scale(fine)
        settled.append(np.where(np.abs(coarse - fine) > allowed, np.nan, fine))
    return settled


def _as_torch_func_jvp(case: Case, ours: list) -> bool:
    """Whether ``ours``, chainrule's ``autograd.functional.jvp``, is ``torch.func.jvp``'s
    answer. PyTorch's functional.jvp takes a double backward, which where a rule's derivative
    is 0/0 (atan2 at (0, 0)) gives 0 where its forward mode, chainrule's, gives nan."""
    import copy

    import torch

    as_jvp = copy.copy(case)
    as_jvp.transform = "jvp"
    theirs, error, _ = outcome(torch, as_jvp)
    return error is None and not _mismatches(ours, theirs, 1e-7, 1e-9)


def numeric(case: Case, shrink: float = 1.0) -> list[np.ndarray]:
    """``case``'s transform by central differences, flattened as :func:`flatten` lists it;
    ``shrink`` scales the steps."""
    return _Numeric(case, shrink).result()
