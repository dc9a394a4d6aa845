"""Layer normalization as one node, PyTorch's ``NativeLayerNormBackward0``.

``layer_norm`` composed from mean, subtract, square, mean, add, rsqrt, multiply, scale and
shift records nine nodes, and its backward runs each one's rule: about thirty NumPy passes over
the input, and nine nodes' bookkeeping. Fused, the forward keeps each row's mean and
``rstd = 1 / sqrt(var + eps)``, and the vjp is the closed form, with ``x̂ = (x - mean) rstd``
recomputed from them, as PyTorch's kernel does:

    dx = rstd (v - mean(v) - x̂ mean(v x̂)),   v = g w
    dw = sum over rows of g x̂,   db = sum over rows of g

``dx`` is ``v`` projected off the two directions that the normalization removes (a shift of
the row, and a scaling of x̂), then divided by the row's standard deviation.

    >>> import chainrule as cr
    >>> x = cr.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    >>> y = layer_norm_node(x, None, None, 1, 0.0)
    >>> y.grad_fn.name()
    'NativeLayerNormBackward0'
    >>> y[0, 0].backward()
    >>> x.grad  # sums to 0: a shift of the whole row changes no output
    tensor([[ 0.2041, -0.4082,  0.2041]])
"""

from __future__ import annotations

import math
from typing import Any

from chainrule._array import xp
from chainrule.op import HookInputs, Op
from chainrule.ops import dual
from chainrule.ops.nn_ops import column_sums, row_dots, row_sums
from chainrule.tensor import Tensor


class LayerNorm(Op):
    """``(x - mean) / sqrt(var + eps) * w + b`` over the last ``count`` dimensions of ``x``
    (the biased variance), for a float32 or float64 ``x`` and an optional weight and bias of
    its dtype. Made by ``nn.functional.layer_norm`` outside vmap and forward mode, which run
    the composite, each op with its own rules.

    On arrays each rule works on the (rows, n) matrix of ``x``, writes in place into the
    arrays it made (a fresh 8 MB result costs 40% more than an in-place pass), and takes
    each float32 row's sums by one BLAS or ``einsum`` call (see :func:`_row_means`)."""

    notation = "(x - mean(x)) / sqrt(var(x) + eps) * w + b"
    # (z is x̂: a hat on x would sit on the input's name where the explainer writes it)
    derivatives = (
        "rstd (v - mean(v) - z mean(v z)), v = g w, z = (x - mean(x)) rstd",
        "sum over rows of g z",
        "sum over rows of g",
    )
    torch_name = "NativeLayerNormBackward0"
    # Every input is guarded against a change in place (``reads`` left None): PyTorch's node
    # saves the input, weight and bias, though d/db reads none of them.
    saves_state = True  # each row's mean and rstd, kept on the node
    batch_rule = None  # never made under vmap: see nn.functional.layer_norm

    def __init__(self, count: int, eps: float) -> None:
        self.count = count
        self.eps = eps

    def _dims(self, ndim: int) -> tuple[int, ...]:
        return tuple(range(ndim - self.count, ndim))

    def forward(self, x, w=None, b=None):
        rows = _as_rows(x, self.count)
        self.mean = _row_means(rows)
        out = rows - self.mean
        var = _row_means(out, out)
        self.rstd = 1 / xp.sqrt(var + xp.asarray(self.eps, var.dtype))
        out *= self.rstd
        if w is not None:
            out *= w.reshape(-1)
        if b is not None:
            out += b.reshape(-1)
        return out.reshape(x.shape)

    def _vjp_arrays(self, g, out, x, w=None, b=None):
        # The rule of _vjp_tensors, each step in place where it can be.
        needs, n = self.needs, math.prod(x.shape[x.ndim - self.count :])
        # a broadcast gradient (from sum) is a stride-0 view, which BLAS would read by a copy
        # each time: one copy first
        rows, g = _as_rows(x, self.count), xp.ascontiguousarray(g).reshape((-1, n))
        x_hat = rows - self.mean
        x_hat *= self.rstd
        dx = dw = db = None
        if w is not None and needs[1]:
            dw = xp.einsum("ij,ij->j", g, x_hat).reshape(w.shape)
        if b is not None and needs[2]:
            db = column_sums(g).reshape(b.shape)
        if needs[0]:
            v = g - _row_means(g) if w is None else g * w.reshape(-1)
            scale = _row_means(v, x_hat)
            if w is not None:
                v -= _row_means(v)
            x_hat *= scale
            v -= x_hat
            v *= self.rstd
            dx = v.reshape(x.shape)
        return (dx, dw, db)[: 1 + (w is not None) + (b is not None)]

    def _vjp_tensors(self, g, out, x, w=None, b=None):
        x_hat, rstd = self._normalized(x)
        dims, needs = self._dims(x.ndim), self.needs
        rows = tuple(range(x.ndim - self.count))

        def summed(t):  # over the rows (a single row: nothing to sum)
            return t.sum(rows) if rows else t

        dx = _project(g if w is None else g * w, x_hat, rstd, dims) if needs[0] else None
        dw = summed(g * x_hat) if w is not None and needs[1] else None
        db = summed(g) if b is not None and needs[2] else None
        return (dx, dw, db)[: 1 + (w is not None) + (b is not None)]

    vjp = dual.both(_vjp_arrays, _vjp_tensors, "self, g, out, x, w=None, b=None", ("g", "x"))

    def _normalized_arrays(self, x):
        kept = _kept(x, self.count)
        rstd = self.rstd.reshape(kept)
        return (x - self.mean.reshape(kept)) * rstd, rstd

    def _normalized_tensors(self, x):
        # Recomputed by recorded ops, so that a gradient of these gradients reaches x through
        # the mean and rstd too (the node's own are constants).
        dims = self._dims(x.ndim)
        centered = x - x.mean(dims, keepdim=True)
        rstd = (centered * centered).mean(dims, keepdim=True).add(self.eps).rsqrt()
        return centered * rstd, rstd

    # (x̂, rstd) of the node's input x, the rstd with x's dimensions
    _normalized = dual.both(_normalized_arrays, _normalized_tensors, "self, x", ("x",))

    def jvp(self, tangents, out, x, w=None, b=None):
        x_hat, rstd = self._normalized(x)
        tx, tw, tb = (*tangents, None, None)[:3]
        total = 0
        if tx is not None:
            dx_hat = _project(tx, x_hat, rstd, self._dims(x.ndim))
            total = dx_hat if w is None else dx_hat * w
        if tw is not None:
            total = total + x_hat * tw
        if tb is not None:
            total = total + tb
        return total


class _ThreeInputs(HookInputs):
    """PyTorch's node takes the input, weight and bias, None where one is not given: a
    post-hook sees three gradients, whichever the node takes (x; x and w; x, w and b)."""

    def present(self, node: Op, grads: tuple[Any, ...], g: Any) -> tuple[Any, ...]:
        return (*grads, None, None)[:3]

    def absorb(
        self, node: Op, given: tuple[Any, ...], grads: tuple[Any, ...], rule: Any
    ) -> tuple[Any, ...]:
        return tuple(given[: len(grads)])


LayerNorm.hook_inputs = _ThreeInputs()


def _project(v: Any, x_hat: Any, rstd: Any, dims: tuple[int, ...]) -> Any:
    """``rstd (v - mean(v) - x̂ mean(v x̂))`` over ``dims``: the normalization's Jacobian, a
    symmetric matrix per row, times ``v`` (the vjp's ``g w``, or the jvp's tangent)."""
    n = math.prod(x_hat.shape[d] for d in dims)
    shift = dual.sum(v, dims, keepdims=True) / n
    scale = dual.sum(v * x_hat, dims, keepdims=True) / n
    return (v - shift - x_hat * scale) * rstd


def _as_rows(x: Any, count: int) -> Any:
    """The array ``x`` as a matrix of rows, one per normalized group of its last ``count``
    dimensions (a view where its layout allows)."""
    return x.reshape((-1, math.prod(x.shape[x.ndim - count :])))


def _kept(x: Any, count: int) -> tuple[int, ...]:
    """The shape of one value per row of ``x``, with its last ``count`` dimensions kept."""
    return (*x.shape[: x.ndim - count], *(1,) * count)


def _row_means(a: Any, b: Any = None) -> Any:
    """Each row's mean of the matrix ``a`` (or of ``a * b``), as a column, by
    :func:`~chainrule.ops.nn_ops.row_sums` (or ``row_dots``)."""
    return (row_sums(a) if b is None else row_dots(a, b)) / a.shape[1]


def layer_norm_node(
    x: Tensor, w: Tensor | None, b: Tensor | None, count: int, eps: float
) -> Tensor:
    """The :class:`LayerNorm` node of ``x`` over its last ``count`` dimensions, with the
    weight and bias that are given (a bias needs a weight here)."""
    operands = [t for t in (w, b) if t is not None]
    return LayerNorm(count, eps)(x, *operands)
