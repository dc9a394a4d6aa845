"""``gradcheck`` and ``gradgradcheck``: the engine's derivatives against central differences.

PyTorch's signatures and verdicts. For each input that requires grad and each output, the
Jacobian the rules give (one backward pass per output element; with ``check_forward_ad``, one
forward-mode pass per input element too) is compared with central differences of step ``eps``:
an element passes when ``|analytical - numerical| <= atol + rtol * |numerical|``. ``fast_mode``
compares one random projection ``u^T J v`` per input and output instead, and on a failure
reruns the full comparison to say which element is wrong. A failure names the output, the
input, the worst element and both values side by side.

    >>> import chainrule as cr
    >>> x = cr.tensor([0.5, 1.5], dtype=cr.float64, requires_grad=True)
    >>> gradcheck(cr.sin, (x,))
    True
    >>> class WrongSin(cr.autograd.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         return x.sin()
    ...     @staticmethod
    ...     def backward(ctx, g):
    ...         return g            # should be g * cos(x)
    >>> gradcheck(WrongSin.apply, (x,), raise_exception=False)
    False
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

from chainrule import grad_mode
from chainrule._array import xp
from chainrule.autodiff.backward import grad
from chainrule.autograd import forward_ad
from chainrule.tensor import Tensor, _make

# Tensors printed whole in a failure message up to this many elements; larger ones are
# summarised by their worst element only.
_PRINT_MAX = 64


class GradcheckError(RuntimeError):
    """Raised by :func:`gradcheck` and :func:`gradgradcheck` when a check fails."""


def gradcheck(
    func: Callable[..., Any],
    inputs: Tensor | Sequence[Any],
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
    check_undefined_grad: bool = True,
    check_grad_dtypes: bool = False,
    check_batched_grad: bool = False,
    check_batched_forward_grad: bool = False,
    check_forward_ad: bool = False,
    check_backward_ad: bool = True,
    fast_mode: bool = False,
) -> bool:
    """Check ``func``'s gradients at ``inputs`` against finite differences (PyTorch's rules).

    Returns True when every check passes; otherwise raises :class:`GradcheckError` or, with
    ``raise_exception=False``, returns False. Inputs should be float64: in float32 the
    differences are too coarse for the default tolerances (a warning says so).

    >>> import chainrule as cr
    >>> a = cr.tensor([[1.0, 2.0]], dtype=cr.float64, requires_grad=True)
    >>> gradcheck(lambda a: (a @ a.T).exp(), a, check_forward_ad=True, fast_mode=True)
    True
    """
    if check_batched_grad or check_batched_forward_grad:
        raise NotImplementedError(
            "gradcheck: check_batched_grad and check_batched_forward_grad (vmap over the "
            "gradients) are not implemented in chainrule's gradcheck yet; leave them False"
        )
    checker = _Checker(func, inputs, eps, atol, rtol, nondet_tol)
    try:
        if check_backward_ad:
            checker.check_reverse(fast_mode)
            if check_undefined_grad:
                checker.check_zero_grad_outputs()
            if check_grad_dtypes:
                checker.check_grad_dtypes()
        if check_forward_ad:
            checker.check_forward(fast_mode)
    except GradcheckError:
        if raise_exception:
            raise
        return False
    return True


def gradgradcheck(
    func: Callable[..., Any],
    inputs: Tensor | Sequence[Any],
    grad_outputs: Tensor | Sequence[Tensor] | None = None,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    gen_non_contig_grad_outputs: bool = False,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
    check_undefined_grad: bool = True,
    check_grad_dtypes: bool = False,
    check_batched_grad: bool = False,
    check_fwd_over_rev: bool = False,
    check_rev_over_rev: bool = True,
    fast_mode: bool = False,
) -> bool:
    """Check second derivatives: :func:`gradcheck` of ``(inputs, v) -> v^T J`` (the gradient
    computed with ``create_graph=True``), with random ``grad_outputs`` ``v`` unless given.

    >>> import chainrule as cr
    >>> x = cr.tensor([0.3, 0.7], dtype=cr.float64, requires_grad=True)
    >>> gradgradcheck(lambda x: x.tanh() * x, (x,))
    True
    """
    inputs = _as_tuple(inputs)
    outputs = _as_tuple(func(*inputs))
    if grad_outputs is None:
        # Random, not ones: a symmetric cotangent could hide a wrong second-order rule.
        rng = xp.random.default_rng(0)
        grad_outputs = tuple(
            _make(rng.standard_normal(y.shape).astype(y.dtype), True)
            for y in outputs
            if _differentiable(y)
        )
    else:
        grad_outputs = tuple(g.detach().requires_grad_() for g in _as_tuple(grad_outputs))
    n_inputs = len(inputs)
    diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]

    def first_derivative(*args: Any) -> tuple[Tensor, ...]:
        ins, vs = args[:n_inputs], args[n_inputs:]
        outs = [y for y in _as_tuple(func(*ins)) if _differentiable(y)]
        found = grad(outs, [ins[i] for i in diff], vs, create_graph=True, allow_unused=True)
        return tuple(
            _make(xp.zeros(ins[i].shape, ins[i].dtype)) if g is None else g
            for g, i in zip(found, diff, strict=True)
        )

    return gradcheck(
        first_derivative,
        inputs + grad_outputs,
        eps=eps,
        atol=atol,
        rtol=rtol,
        raise_exception=raise_exception,
        nondet_tol=nondet_tol,
        check_undefined_grad=check_undefined_grad,
        check_grad_dtypes=check_grad_dtypes,
        check_batched_grad=check_batched_grad,
        check_forward_ad=check_fwd_over_rev,
        check_backward_ad=check_rev_over_rev,
        fast_mode=fast_mode,
    )


# ----------------------------------------------------------------------------- the checks
class _Checker:
    """``func`` at ``inputs``: its Jacobians by the rules and by central differences."""

    def __init__(
        self,
        func: Callable[..., Any],
        inputs: Tensor | Sequence[Any],
        eps: float,
        atol: float,
        rtol: float,
        nondet_tol: float,
    ) -> None:
        self.func = func
        self.inputs = _as_tuple(inputs)
        self.eps, self.atol, self.rtol, self.nondet_tol = eps, atol, rtol, nondet_tol
        self.diff = [
            i for i, x in enumerate(self.inputs) if isinstance(x, Tensor) and x.requires_grad
        ]
        if not self.diff:
            raise ValueError(
                "gradcheck expects at least one input tensor to require gradient, but none of "
                "the them have requires_grad=True."
            )
        for i in self.diff:
            if self.inputs[i].dtype != xp.float64:
                warnings.warn(
                    f"Input #{i} requires gradient and is not a double precision floating point "
                    "or complex. This check will likely fail if all the inputs are not of double "
                    "precision floating point or complex.",
                    stacklevel=4,
                )
        outputs = _as_tuple(func(*self.inputs))
        self.outputs = outputs
        self.out_index = [j for j, y in enumerate(outputs) if _differentiable(y)]
        self.rng = xp.random.default_rng(0)
        self._numerical: dict[tuple[int, int], xp.ndarray] | None = None

    # ------------------------------------------------------------ reverse mode
    def check_reverse(self, fast: bool) -> None:
        if fast:
            self._check_fast(self._reverse_projection, "")
        else:
            analytical = self._reverse_jacobians()
            self._compare(analytical, self._numerical_jacobians(), "")

    def _vjp(self, cotangents: list[xp.ndarray]) -> list[xp.ndarray]:
        """u^T J for every differentiable input (zeros where unused), one backward pass."""
        outs, us = [], []
        for j, u in zip(self.out_index, cotangents, strict=True):
            y = self.outputs[j]
            if y.requires_grad:
                outs.append(y)
                us.append(_make(u.reshape(y.shape).astype(y.dtype)))
        xs = [self.inputs[i] for i in self.diff]
        if not outs:
            return [xp.zeros(x.shape) for x in xs]
        found = grad(outs, xs, us, retain_graph=True, allow_unused=True)
        return [
            xp.zeros(x.shape) if g is None else xp.asarray(g._data, dtype=xp.float64)
            for g, x in zip(found, xs, strict=True)
        ]

    def _reverse_jacobians(self) -> dict[tuple[int, int], xp.ndarray]:
        """J[(output j, input i)] of shape (output size, input size), row by row; each row
        computed twice, to see that backward gives the same answer every time."""
        jacobians = {(j, i): [] for j in self.out_index for i in self.diff}
        for j in self.out_index:
            size = self.outputs[j].numel()
            for m in range(size):
                cotangents = [xp.zeros(self.outputs[k].shape) for k in self.out_index]
                cotangents[self.out_index.index(j)].reshape(-1)[m] = 1.0
                row = self._vjp(cotangents)
                again = self._vjp(cotangents)
                for r1, r2, i in zip(row, again, self.diff, strict=True):
                    if xp.max(xp.abs(r1 - r2), initial=0.0) > self.nondet_tol:
                        raise GradcheckError(
                            "Backward is not reentrant, i.e., running backward with same input "
                            "and grad_output multiple times gives different values, although "
                            "analytical gradient matches numerical gradient. The tolerance for "
                            f"nondeterminism was {self.nondet_tol}."
                        )
                    jacobians[(j, i)].append(r1.reshape(-1))
        return {
            key: xp.stack(rows) if rows else xp.zeros((0, self.inputs[key[1]].numel()))
            for key, rows in jacobians.items()
        }

    def _reverse_projection(self, us: list[xp.ndarray], vs: list[xp.ndarray]) -> xp.ndarray:
        """(u^T J) v for each (output, input) pair, as an (outputs, inputs) matrix."""
        table = xp.zeros((len(self.out_index), len(self.diff)))
        for a in range(len(self.out_index)):
            cotangents = [u if b == a else xp.zeros_like(u) for b, u in enumerate(us)]
            for b, g in enumerate(self._vjp(cotangents)):
                table[a, b] = g.reshape(-1) @ vs[b]
        return table

    # ------------------------------------------------------------ forward mode
    def check_forward(self, fast: bool) -> None:
        what = " (forward mode)"
        if fast:
            self._check_fast(self._forward_projection, what)
            return
        jacobians: dict[tuple[int, int], xp.ndarray] = {}
        for b, i in enumerate(self.diff):
            columns = []
            for k in range(self.inputs[i].numel()):
                tangents = [xp.zeros(self.inputs[c].shape) for c in self.diff]
                tangents[b].reshape(-1)[k] = 1.0
                columns.append(self._jvp(tangents))
            for a, j in enumerate(self.out_index):
                cols = [c[a] for c in columns]
                size = self.outputs[j].numel()
                jacobians[(j, i)] = xp.stack(cols, axis=1) if cols else xp.zeros((size, 0))
        self._compare(jacobians, self._numerical_jacobians(), what)

    def _jvp(self, tangents: list[xp.ndarray]) -> list[xp.ndarray]:
        """J v for every differentiable output, flat, by forward mode: ``func`` run again on
        dual tensors, so each op's forward-mode rule carries the tangents."""
        args = list(self.inputs)
        with forward_ad.dual_level():
            for i, t in zip(self.diff, tangents, strict=True):
                x = self.inputs[i]
                args[i] = forward_ad.make_dual(x.detach(), _make(t.astype(x.dtype)))
            with grad_mode.enable_grad():
                outs = _as_tuple(self.func(*args))
            found = [forward_ad.unpack_dual(outs[j]).tangent for j in self.out_index]
        return [
            xp.zeros(self.outputs[j].numel())
            if t is None
            else xp.asarray(t._data, dtype=xp.float64).reshape(-1)
            for j, t in zip(self.out_index, found, strict=True)
        ]

    def _forward_projection(self, us: list[xp.ndarray], vs: list[xp.ndarray]) -> xp.ndarray:
        table = xp.zeros((len(self.out_index), len(self.diff)))
        for b in range(len(self.diff)):
            tangents = [
                (v if c == b else xp.zeros_like(v)).reshape(self.inputs[i].shape)
                for c, (v, i) in enumerate(zip(vs, self.diff, strict=True))
            ]
            for a, jv in enumerate(self._jvp(tangents)):
                table[a, b] = us[a].reshape(-1) @ jv
        return table

    # ------------------------------------------------------------ finite differences
    def _evaluate(self, i: int, data: xp.ndarray) -> list[xp.ndarray]:
        """The differentiable outputs, flat, with input ``i`` replaced by ``data``."""
        args = list(self.inputs)
        x = self.inputs[i]
        args[i] = _make(data.astype(x.dtype), x.requires_grad)
        # Gradient recording stays on: func may itself differentiate (gradgradcheck's does).
        with grad_mode.enable_grad():
            outs = _as_tuple(self.func(*args))
        return [xp.asarray(outs[j]._data, dtype=xp.float64).reshape(-1) for j in self.out_index]

    def _difference(self, i: int, direction: xp.ndarray) -> list[xp.ndarray]:
        base = xp.asarray(self.inputs[i]._data, dtype=xp.float64)
        step = self.eps * direction.reshape(base.shape)
        plus, minus = self._evaluate(i, base + step), self._evaluate(i, base - step)
        return [(p - m) / (2 * self.eps) for p, m in zip(plus, minus, strict=True)]

    def _numerical_jacobians(self) -> dict[tuple[int, int], xp.ndarray]:
        if self._numerical is not None:  # reverse and forward mode compare with the same
            return self._numerical
        jacobians = {}
        for i in self.diff:
            n = self.inputs[i].numel()
            columns = [self._difference(i, xp.eye(1, n, k)[0]) for k in range(n)]
            for a, j in enumerate(self.out_index):
                size = self.outputs[j].numel()
                cols = [c[a] for c in columns]
                jacobians[(j, i)] = xp.stack(cols, axis=1) if cols else xp.zeros((size, 0))
        self._numerical = jacobians
        return jacobians

    def _numerical_projection(self, us: list[xp.ndarray], vs: list[xp.ndarray]) -> xp.ndarray:
        table = xp.zeros((len(self.out_index), len(self.diff)))
        for b, i in enumerate(self.diff):
            for a, jv in enumerate(self._difference(i, vs[b])):
                table[a, b] = us[a].reshape(-1) @ jv
        return table

    # ------------------------------------------------------------ other checks
    def check_zero_grad_outputs(self) -> None:
        """chainrule has no undefined gradients: its analogue is an all-zero cotangent, for
        which every rule must return zeros (a rule that adds a constant fails here)."""
        zeros = [xp.zeros(self.outputs[j].shape) for j in self.out_index]
        for g, i in zip(self._vjp(zeros), self.diff, strict=True):
            if xp.any(g != 0):
                raise GradcheckError(
                    f"Backward with all-zero grad_outputs returned a nonzero gradient for input "
                    f"{i}: a rule must map a zero output gradient to zero"
                )

    def check_grad_dtypes(self) -> None:
        outs = [self.outputs[j] for j in self.out_index if self.outputs[j].requires_grad]
        if not outs:
            return
        xs = [self.inputs[i] for i in self.diff]
        us = [_make(xp.ones(y.shape, y.dtype)) for y in outs]
        for g, x in zip(grad(outs, xs, us, retain_graph=True, allow_unused=True), xs, strict=True):
            if g is not None and g.dtype != x.dtype:
                raise GradcheckError(
                    f"Gradient has dtype mismatch: input has dtype {x.dtype}, its gradient "
                    f"{g.dtype}"
                )

    # ------------------------------------------------------------ comparing
    def _close(self, analytical: xp.ndarray, numerical: xp.ndarray, atol: float) -> xp.ndarray:
        return xp.abs(analytical - numerical) <= atol + self.rtol * xp.abs(numerical)

    def _compare(
        self,
        analytical: dict[tuple[int, int], xp.ndarray],
        numerical: dict[tuple[int, int], xp.ndarray],
        what: str,
    ) -> None:
        for (j, i), a in analytical.items():
            n = numerical[(j, i)]
            ok = self._close(a, n, self.atol)
            if ok.all():
                continue
            excess = xp.abs(a - n) - (self.atol + self.rtol * xp.abs(n))
            row, col = xp.unravel_index(int(xp.argmax(excess)), a.shape)
            out_at = _index(self.outputs[j].shape, int(row))
            in_at = _index(self.inputs[i].shape, int(col))
            message = (
                f"Jacobian mismatch for output {j} with respect to input {i}{what},\n"
                f"worst element: d output{j}{out_at} / d input{i}{in_at}: "
                f"analytical {a[row, col]:.10g} vs numerical {n[row, col]:.10g} "
                f"(|difference| {abs(a[row, col] - n[row, col]):.3g} > atol + rtol * "
                f"|numerical| = {self.atol + self.rtol * abs(n[row, col]):.3g})"
            )
            if a.size <= _PRINT_MAX:
                message += f"\nnumerical:\n{_matrix(n)}\nanalytical:\n{_matrix(a)}"
            raise GradcheckError(message)

    def _check_fast(
        self, analytic: Callable[[list[xp.ndarray], list[xp.ndarray]], xp.ndarray], what: str
    ) -> None:
        """One random projection per pair; on failure, the full comparison says where."""
        us = [self._unit(self.outputs[j].numel()) for j in self.out_index]
        vs = [self._unit(self.inputs[i].numel()) for i in self.diff]
        a = analytic(us, vs)
        n = self._numerical_projection(us, vs)
        for p, j in enumerate(self.out_index):
            for q, i in enumerate(self.diff):
                # PyTorch's scaling of atol for a projection onto u and v.
                atol = self.atol * float(us[p].sum()) * float(vs[q].sum())
                if not self._close(a[p, q], n[p, q], atol):
                    if what:
                        self.check_forward(fast=False)
                    else:
                        self.check_reverse(fast=False)
                    raise GradcheckError(
                        f"Jacobian mismatch for output {j} with respect to input {i}{what} in "
                        f"fast mode: u^T J v is {a[p, q]:.10g} analytically and {n[p, q]:.10g} "
                        "numerically, but every element agrees within the tolerances: try "
                        "fast_mode=False"
                    )

    def _unit(self, n: int) -> xp.ndarray:
        v = self.rng.random(n)
        return v / max(float(xp.linalg.norm(v)), 1e-300)


def _differentiable(y: Any) -> bool:
    return isinstance(y, Tensor) and y.dtype.kind in "fc"


def _as_tuple(x: Any) -> tuple[Any, ...]:
    return tuple(x) if isinstance(x, tuple | list) else (x,)


def _index(shape: tuple[int, ...], flat: int) -> str:
    return str([int(k) for k in xp.unravel_index(flat, shape)]) if shape else "[]"


def _matrix(m: xp.ndarray) -> str:
    return xp.array2string(m, precision=6, suppress_small=True, max_line_width=100)
