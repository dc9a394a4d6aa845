"""Neural-network ops fused for numerical stability: softmax and log-softmax.

Composed from exp, sum and div, softmax overflows for large inputs; the fused forward subtracts
the maximum first, and the fused vjp is the short closed form of the Jacobian product.

    >>> import chainrule as cr
    >>> cr.softmax(cr.tensor([1000.0, 1000.0]), dim=0)
    tensor([0.5000, 0.5000])
"""

from __future__ import annotations

from chainrule._array import xp
from chainrule.op import Op
from chainrule.ops import dual
from chainrule.ops.elementwise import _floating
from chainrule.ops.reduce import normalize_dims
from chainrule.tensor import Tensor


class Softmax(Op):
    notation = "exp(x_i) / sum_j exp(x_j)"
    derivatives = ("s_i (delta_ij - s_j)",)
    saves_inputs = False
    saves_output = True

    def __init__(self, dim: int) -> None:
        self.dim = dim

    def forward(self, x):
        x = _floating(x)
        # initial: an empty dim has no maximum; its softmax is empty, as in PyTorch.
        e = xp.exp(x - x.max(axis=self.dim, keepdims=True, initial=-xp.inf))
        return e / e.sum(axis=self.dim, keepdims=True)

    def vjp(self, g, out, x):
        # J^T g with J = diag(s) - s s^T, without forming J.
        return (out * (g - dual.sum(g * out, self.dim, keepdims=True)),)

    def jvp(self, tangents, out, x):
        t = tangents[0]
        return out * (t - dual.sum(t * out, self.dim, keepdims=True))


class LogSoftmax(Op):
    notation = "x_i - log(sum_j exp(x_j))"
    derivatives = ("delta_ij - softmax(x)_j",)
    saves_inputs = False
    saves_output = True

    def __init__(self, dim: int) -> None:
        self.dim = dim

    def forward(self, x):
        x = _floating(x)
        shifted = x - x.max(axis=self.dim, keepdims=True, initial=-xp.inf)
        return shifted - xp.log(xp.exp(shifted).sum(axis=self.dim, keepdims=True))

    def vjp(self, g, out, x):
        return (g - dual.exp(out) * dual.sum(g, self.dim, keepdims=True),)

    def jvp(self, tangents, out, x):
        t = tangents[0]
        return t - dual.sum(dual.exp(out) * t, self.dim, keepdims=True)


def softmax(input: Tensor, dim: int) -> Tensor:  # noqa: A002
    """Probabilities along ``dim``: exp(x) / sum(exp(x)), computed without overflow."""
    (axis,) = normalize_dims(dim, input.ndim, "softmax") or (0,)  # dim 0 of a 0-d tensor
    return Softmax(axis)(input)


def log_softmax(input: Tensor, dim: int) -> Tensor:  # noqa: A002
    """``log(softmax(x))`` computed stably (no log of a rounded-to-zero probability)."""
    (axis,) = normalize_dims(dim, input.ndim, "log_softmax") or (0,)  # dim 0 of a 0-d tensor
    return LogSoftmax(axis)(input)
