"""Standard gamma draws (Marsaglia and Tsang's squeeze method on chainrule's random stream) and
their implicit reparameterization gradient.

A draw x of Gamma(alpha, 1) solves P(alpha, x) = u for a uniform u, where P is the regularized
lower incomplete gamma function. Holding u fixed, dx/dalpha = -(dP/dalpha) / (dP/dx), with
dP/dx the density f. Expanding P(alpha, x) = x^alpha e^-x sum_n x^n / Gamma(alpha + n + 1) and
differentiating term by term gives

    dx/dalpha = -sum_n r_n (log x - digamma(alpha) - H_n),
    r_n = prod_{k<=n} x / (alpha + k),  H_n = sum_{k<=n} 1 / (alpha + k),

whose terms need no gamma functions (r_n = term_n / f). The series cancels in the far upper
tail (x many standard deviations above alpha), where its relative error grows like
P/f times the float64 epsilon; draws there are rarer than one in 10^6.

    >>> import chainrule as cr
    >>> _ = cr.manual_seed(0)
    >>> standard_gamma(cr.tensor([2.0, 0.5])).shape
    chainrule.Size([2])
"""

from __future__ import annotations

from typing import Any

from chainrule._array import xp
from chainrule.autograd.function import Function
from chainrule.dtypes import float64
from chainrule.factories import rand, randn, tensor
from chainrule.ops.special import polygamma

__all__ = ["standard_gamma", "standard_gamma_grad"]


def _draw(alpha: Any) -> Any:
    """Gamma(alpha, 1) draws for a float64 array alpha > 0 (0 gives the smallest positive)."""
    flat = alpha.reshape(-1)
    boost = flat < 1  # Gamma(a) = Gamma(a + 1) * U^(1/a): the squeeze needs a >= 1
    a = xp.where(boost, flat + 1, flat)
    d = a - 1.0 / 3.0
    c = 1.0 / xp.sqrt(9.0 * d)
    out = xp.empty_like(a)
    todo = xp.arange(a.size)
    while todo.size:
        z = randn(todo.size, dtype=float64).numpy()
        u = rand(todo.size, dtype=float64).numpy()
        v = (1 + c[todo] * z) ** 3
        with xp.errstate(invalid="ignore", divide="ignore"):
            accept = (v > 0) & (
                xp.log(u) < 0.5 * z**2 + d[todo] - d[todo] * v + d[todo] * xp.log(v)
            )
        out[todo[accept]] = d[todo[accept]] * v[accept]
        todo = todo[~accept]
    if boost.any():
        u = rand(int(boost.sum()), dtype=float64).numpy()
        with xp.errstate(divide="ignore"):
            out[boost] *= u ** (1.0 / flat[boost])
    return xp.maximum(out, xp.finfo(xp.float64).tiny).reshape(alpha.shape)


def standard_gamma_grad(x: Any, alpha: Any) -> Any:
    """dx/dalpha of a Gamma(alpha, 1) draw x at fixed uniform level (float64 arrays)."""
    x, alpha = xp.broadcast_arrays(xp.asarray(x, xp.float64), xp.asarray(alpha, xp.float64))
    flat_x, flat_a = x.reshape(-1), alpha.reshape(-1)
    out = xp.empty_like(flat_x)
    step = 1 << 15  # elements per block: the series is (terms x block) floats
    for start in range(0, flat_x.size, step):
        block = slice(start, start + step)
        out[block] = _series(flat_x[block], flat_a[block])
    return out.reshape(x.shape)


def _series(x: Any, alpha: Any) -> Any:
    # past n = x - alpha the ratios x / (alpha + n) fall below 1 and the terms shrink like
    # exp(-m^2 / 2x) after m more: 12 sqrt(x) more terms leave e^-72 of the sum
    top = float(xp.max(x - alpha, initial=0.0))
    terms = int(xp.ceil(top + 12 * xp.sqrt(float(xp.max(x, initial=0.0))) + 40))
    k = xp.arange(terms).reshape(-1, 1)
    r = xp.cumprod(x / (alpha + k), axis=0)
    h = xp.cumsum(1.0 / (alpha + k), axis=0)
    return -(r * (xp.log(x) - polygamma(0, alpha) - h)).sum(0)


class _Slope(Function):
    """dx/dalpha as a value that depends on alpha: differentiating it again (a second
    derivative of the draw) raises instead of treating the slope as a constant."""

    @staticmethod
    def forward(ctx: Any, alpha: Any, slope: Any) -> Any:
        return slope.clone()

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        raise RuntimeError(
            "the second derivative of a gamma draw with respect to its concentration is not "
            "implemented (only the first-order reparameterization gradient is)"
        )


class _StandardGamma(Function):
    @staticmethod
    def forward(ctx: Any, alpha: Any) -> Any:
        a = alpha.detach().numpy().astype(xp.float64)
        x = _draw(a)
        ctx.save_for_backward(alpha)
        ctx.draws = (x, a)  # the slope is computed only if a gradient is asked for
        return tensor(x, dtype=alpha.dtype)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        (alpha,) = ctx.saved_tensors
        slope = tensor(standard_gamma_grad(*ctx.draws), dtype=alpha.dtype)
        return grad * _Slope.apply(alpha, slope)


def standard_gamma(alpha: Any) -> Any:
    """Draws of Gamma(alpha, 1), one per element, differentiable in alpha (first order)."""
    return _StandardGamma.apply(alpha)
