"""Matrix products: ``matmul`` and ``einsum``.

For ``C = A @ B`` the chain rule in matrix form is ``dA = dC @ B^T`` and ``dB = A^T @ dC``:
the vectorized J^T v. Batch dimensions broadcast, and the central unbroadcast sums them back.

    >>> import chainrule as cr
    >>> A = cr.ones(2, 3, requires_grad=True)
    >>> (A @ cr.ones(3, 4)).sum().backward()
    >>> A.grad
    tensor([[4., 4., 4.],
            [4., 4., 4.]])
"""

from __future__ import annotations

from typing import Any

from chainrule._array import xp
from chainrule.op import Op
from chainrule.ops import dual
from chainrule.tensor import Tensor


class MatMul(Op):
    notation = "A @ B"
    derivatives = ("g @ B^T", "A^T @ g")
    reads = ((1,), (0,))

    def forward(self, a, b):
        return a @ b

    def vjp(self, g, out, a, b):
        # 1-D operands are matrices with a size-1 axis inserted, then removed again.
        a2 = a.reshape((1, -1)) if a.ndim == 1 else a
        b2 = b.reshape((-1, 1)) if b.ndim == 1 else b
        g2 = g
        if a.ndim == 1:
            g2 = dual.unsqueeze_dims(g2, (g2.ndim - 1 if b.ndim > 1 else g2.ndim,))
        if b.ndim == 1:
            g2 = dual.unsqueeze_dims(g2, (g2.ndim,))
        # A broadcast gradient (from sum) is a stride-0 view; BLAS wants real memory.
        g2 = dual.contiguous(g2)
        ga = gb = None
        if self.needs[0]:
            ga = g2 @ dual.swap_last(b2)
            ga = ga.reshape(tuple(ga.shape[:-2]) + (-1,)) if a.ndim == 1 else ga
        if self.needs[1]:
            gb = dual.swap_last(a2) @ g2
            gb = gb.reshape(tuple(gb.shape[:-2]) + (-1,)) if b.ndim == 1 else gb
        return (ga, gb)

    def jvp(self, tangents, out, a, b):
        ta, tb = tangents
        total = None if ta is None else ta @ b
        if tb is not None:
            total = a @ tb if total is None else total + a @ tb
        return total


class Einsum(Op):
    notation = "einsum(equation, ...)"
    derivatives = ("einsum of g with the other operands",)

    def __init__(self, inputs: list[str], output: str) -> None:
        self.subscripts = inputs
        self.output = output

    def forward(self, *operands):
        return xp.einsum(self._equation(self.subscripts, self.output), *operands)

    @staticmethod
    def _equation(inputs: list[str], output: str) -> str:
        return ",".join(inputs) + "->" + output

    def vjp(self, g, out, *operands):
        grads = []
        for i, need in enumerate(self.needs):
            if not need:
                grads.append(None)
                continue
            # d/d(operand i) of a sum of products is the same sum with operand i replaced by g:
            # contract g with every other operand into operand i's subscripts.
            others = [s for j, s in enumerate(self.subscripts) if j != i]
            target = self.subscripts[i]
            missing = [
                c for c in target if c not in self.output and all(c not in s for s in others)
            ]
            grad = dual.einsum(
                self._equation(
                    [self.output] + others, "".join(c for c in target if c not in missing)
                ),
                g,
                *[op for j, op in enumerate(operands) if j != i],
            )
            if missing:  # an index summed over operand i alone: its gradient is broadcast
                grad = dual.broadcast_to(
                    dual.unsqueeze_dims(grad, tuple(target.index(c) for c in missing)),
                    tuple(operands[i].shape),
                )
            grads.append(grad)
        return tuple(grads)

    def jvp(self, tangents, out, *operands):
        total = None
        for i, t in enumerate(tangents):
            if t is None:
                continue
            term = dual.einsum(
                self._equation(self.subscripts, self.output),
                *[t if j == i else op for j, op in enumerate(operands)],
            )
            total = term if total is None else total + term
        return total


def matmul(input: Any, other: Any) -> Tensor:  # noqa: A002
    """Matrix product with NumPy/PyTorch semantics (1-D, 2-D, batched, broadcast batches)."""
    a_shape = tuple(getattr(input, "shape", ()))
    b_shape = tuple(getattr(other, "shape", ()))
    if not a_shape or not b_shape:
        raise RuntimeError(
            f"matmul: both arguments need at least 1 dimension, got {a_shape} @ {b_shape}"
        )
    inner_a = a_shape[-1]
    inner_b = b_shape[0] if len(b_shape) == 1 else b_shape[-2]
    if inner_a != inner_b:
        raise RuntimeError(
            f"matmul: {a_shape} @ {b_shape}: inner dimensions {inner_a} and {inner_b} differ"
        )
    try:
        xp.broadcast_shapes(a_shape[:-2], b_shape[:-2])
    except ValueError:
        raise RuntimeError(
            f"matmul: {a_shape} @ {b_shape}: batch dimensions {a_shape[:-2]} and "
            f"{b_shape[:-2]} do not broadcast"
        ) from None
    return MatMul()(input, other)


mm = matmul


def einsum(equation: str, *operands: Any) -> Tensor:
    """Einstein summation: ``einsum("ij,jk->ik", a, b)`` is ``a @ b``."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    inputs, output = _parse_einsum(equation, [len(op.shape) for op in operands])
    for subscripts in inputs:
        if len(set(subscripts)) != len(subscripts):
            raise NotImplementedError(
                f"einsum: repeated index in one operand ({subscripts!r}, a diagonal) is not "
                "supported"
            )
    return Einsum(inputs, output)(*operands)


def _parse_einsum(equation: str, ndims: list[int]) -> tuple[list[str], str]:
    """Explicit subscripts for every operand, with '...' replaced by letters."""
    equation = equation.replace(" ", "")
    lhs, arrow, rhs = equation.partition("->")
    inputs = lhs.split(",")
    if len(inputs) != len(ndims):
        raise RuntimeError(
            f"einsum: {equation!r} names {len(inputs)} operands but {len(ndims)} were given"
        )
    used = set(c for c in equation if c.isalpha())
    spare = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" if c not in used]
    n_ellipsis = max(
        (n - len(s.replace("...", "")) for s, n in zip(inputs, ndims, strict=True) if "..." in s),
        default=0,
    )
    fill = "".join(spare[:n_ellipsis])
    expanded = []
    for s, n in zip(inputs, ndims, strict=True):
        if "..." in s:
            s = s.replace("...", fill[len(fill) - (n - len(s.replace("...", ""))) :])
        if len(s) != n:
            raise RuntimeError(
                f"einsum: subscripts {s!r} do not match an operand with {n} dimensions"
            )
        expanded.append(s)
    if arrow:
        output = rhs.replace("...", fill)
    else:  # implicit mode: broadcast letters, then the letters that appear once, sorted
        counts = {c: "".join(expanded).count(c) for c in "".join(expanded)}
        output = fill + "".join(sorted(c for c, k in counts.items() if k == 1 and c not in fill))
    return expanded, output
