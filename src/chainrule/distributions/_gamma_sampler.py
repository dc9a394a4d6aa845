"""Standard gamma draws and their implicit reparameterization gradient.

The draws are ATen's CPU ``_standard_gamma``: Marsaglia and Tsang's squeeze (alpha < 1 boosted
to alpha + 1), element after element on the random stream, so the same seed gives PyTorch's
values. The gradient is the exact one below, not PyTorch's approximation of it: the two agree
to about 1e-4 relative, not bit for bit.

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

import math
from typing import Any

from chainrule import rng
from chainrule._array import xp
from chainrule.autograd.function import Function
from chainrule.factories import tensor
from chainrule.ops.special import polygamma

__all__ = ["standard_gamma", "standard_gamma_grad"]


# ATen's float constants 1.0f / 3.0f and 0.0331f, widened to double as its double arithmetic
# widens them
_THIRD = float(xp.float32(1.0) / xp.float32(3.0))
_SQUEEZE = float(xp.float32(0.0331))


class _Stream:
    """The draws one serial ATen kernel makes, in turn: float64 uniforms and
    ``normal_distribution<double>`` values (Box-Muller over two uniforms, the sine value kept
    in the generator for the next call). Uniforms are read in blocks; ``close`` rewinds the
    generator (``g``, or the global one) and moves it on by exactly the uniforms used."""

    def __init__(self, n: int, g: rng.Generator | None = None) -> None:
        self._g = rng._source(g)
        self._start, self._block, self._used, self._n = self._g.get_state(), [], 0, n
        self._cached = self._g._next_normal

    def uniform(self) -> float:
        if self._used == len(self._block):
            self._block += rng.uniform((3 * self._n + 64,), xp.float64, g=self._g).tolist()
        self._used += 1
        return self._block[self._used - 1]

    def normal(self) -> float:
        if self._cached is not None:
            value, self._cached = self._cached, None
            return value
        u1, u2 = self.uniform(), self.uniform()
        r = math.sqrt(-2.0 * math.log1p(-u2))
        theta = 2.0 * math.pi * u1
        self._cached = r * math.sin(theta)
        return r * math.cos(theta)

    def close(self) -> None:
        self._g.set_state(self._start)
        self._g.random64(self._used)
        self._g._next_normal = self._cached


def _sample(alpha: float, single: bool, draws: _Stream) -> float:
    """One draw of ATen's ``sample_gamma``: Marsaglia and Tsang's squeeze in double, alpha < 1
    boosted to alpha + 1 times U^(1/alpha). alpha itself, its boost and d are float32 arithmetic
    where the tensor is float32 (ATen's scalar_t)."""
    narrow = (lambda v: float(xp.float32(v))) if single else float
    scale = 1.0
    if alpha < 1.0:
        if alpha == 0.0:
            return 0.0
        scale *= (1 - draws.uniform()) ** narrow(1.0 / alpha)
        alpha = narrow(alpha + 1.0)
    d = narrow(alpha - _THIRD)
    # C's sqrt of a negative d (alpha below -2/3, refused by validation) is nan, not an error
    c = 1.0 / math.sqrt(9.0 * d) if d >= 0 else math.nan
    while True:
        x = draws.normal()
        y = 1.0 + c * x
        while y <= 0:
            x = draws.normal()
            y = 1.0 + c * x
        v = y * y * y
        u = 1 - draws.uniform()
        xx = x * x
        # the squeeze first: it needs no log (and decides even where v is nan)
        if u < 1.0 - _SQUEEZE * xx * xx or math.log(u) < 0.5 * xx + d * (1.0 - v + math.log(v)):
            return scale * d * v


def _draw(alpha: Any) -> Any:
    """Gamma(alpha, 1) draws for a float32 or float64 array alpha, one element after another on
    PyTorch's stream as ATen's CPU ``_standard_gamma`` makes them (so the same seed gives the
    same values), each at least the dtype's smallest normal (a nan draw too: ``std::max``)."""
    single = alpha.dtype == xp.float32
    tiny = float(xp.finfo(alpha.dtype).tiny)
    values = alpha.ravel().tolist()
    draws = _Stream(len(values))
    out = []
    for a in values:
        x = _sample(a, single, draws)
        x = float(xp.float32(x)) if single else x
        out.append(x if tiny < x else tiny)
    draws.close()
    return xp.array(out, dtype=alpha.dtype).reshape(alpha.shape)


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
        a = alpha.detach().numpy()
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
