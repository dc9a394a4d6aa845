"""Activations of ``torch.nn.functional`` beyond relu, leaky_relu, elu, silu, gelu and softplus
(which live in :mod:`chainrule.ops.elementwise`): one elementwise op each, with PyTorch's
derivative, including its value exactly at the kinks.

The piecewise ones (hardtanh, threshold, the shrinks, hardswish, hardsigmoid) pass the gradient
only inside a region, and outside it give +0.0 whatever the gradient holds, as PyTorch's
backward kernels do (a ``where``, not ``g * 0``, which would turn a nan or inf into nan and a
negative into -0.0).

    >>> import chainrule as cr
    >>> x = cr.tensor([-1.0, 0.5, 1.0], requires_grad=True)
    >>> Hardtanh(-1.0, 1.0)(x).sum().backward()
    >>> x.grad                       # 0 at the kinks, as PyTorch's hardtanh_backward
    tensor([0., 1., 0.])
"""

from __future__ import annotations

from typing import Any

from chainrule import dtypes
from chainrule._array import xp
from chainrule.ops import dual
from chainrule.ops.elementwise import (
    BROADCASTS,
    Unary,
    elu_arrays,
    elu_slope_arrays,
    positive_and_finite,
)

# NumPy's where, or two float arrays blended bit by bit where that is faster
_where = dual.where.on_arrays


def _float_kernel(x: Any, kernel: str) -> None:
    """PyTorch's refusal of an integer or bool input for a kernel that has only float versions."""
    dtypes.check_float_kernel(x.dtype, kernel)


class _Gated(Unary, abstract=True):
    """An activation whose derivative is ``slope`` inside ``gate`` and 0 outside it: the vjp
    and jvp pass ``g * slope`` where the gate is open and +0.0 elsewhere (``dual.passed``)."""

    batch_rule = BROADCASTS

    def gate(self, x: Any) -> Any:
        raise NotImplementedError

    def slope(self, x: Any) -> Any:
        """The derivative inside the gate; None where it is 1."""
        return None

    def _passed(self, g: Any, x: Any) -> Any:
        slope = self.slope(x)
        return dual.passed(g if slope is None else g * slope, self.gate(x))

    def partial(self, out, x):
        slope = self.slope(x)
        one = dual.typed(x, 1.0)
        return dual.where(self.gate(x), one if slope is None else slope, dual.typed(x, 0.0))

    def vjp(self, g, out, x):  # PyTorch's *_backward kernels read x (see dual.attached)
        return (dual.attached(self._passed(g, x), x),)

    def jvp(self, tangents, out, x):
        return self._passed(tangents[0], x)


class Hardtanh(_Gated):
    """``x`` clipped to [min_val, max_val]; relu6 is hardtanh(0, 6), as in PyTorch."""

    half_in_float32 = False  # PyTorch compares float16 with its bounds in float16

    notation = "min(max(x, lo), hi)"
    derivatives = ("1 if lo < x < hi else 0",)

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0) -> None:
        self.min_val = min_val
        self.max_val = max_val

    def forward(self, x):
        # x kept unless beyond a bound, as PyTorch's: a nan stays nan, -0.0 stays -0.0 (which
        # NumPy's maximum(-0.0, 0.0) would make +0.0); a nan bound makes all nan, as it does
        # PyTorch's clamp (no comparison with nan is true, so x would pass unclipped)
        if self.min_val != self.min_val or self.max_val != self.max_val:
            return xp.full_like(x, xp.nan)
        # the upper bound last, as clamp's: hardtanh_ with min_val above max_val (which only
        # F.hardtanh refuses) gives max_val everywhere
        return dual.clamp_arrays(x, self.min_val, self.max_val).astype(x.dtype, copy=False)

    def gate(self, x):
        # PyTorch's hardtanh_backward blocks where x <= lo or x >= hi: the kinks give 0, a nan
        # passes the gradient.
        return ~((x <= self.min_val) | (x >= self.max_val))


class Threshold(_Gated):
    """``value`` where ``x <= threshold``, else ``x``."""

    notation = "x if x > threshold else value"
    derivatives = ("1 if x > threshold else 0",)

    def __init__(self, threshold: float = 0.0, value: float = 0.0) -> None:  # (0, 0): relu
        self.threshold = threshold
        self.value = value

    def forward(self, x):
        return _where(x <= self._bound(x), xp.asarray(self.value, x.dtype), x)

    def gate(self, x):
        return ~(x <= self._bound(x))  # a nan passes the gradient, as in PyTorch

    def _bound(self, x: Any) -> Any:
        """The threshold as PyTorch compares it: in float32 beside float16 (3e-8 is not
        float16's 6e-8), else in x's dtype."""
        return xp.float32(self.threshold) if x.dtype is dtypes.HALF else self.threshold


class Hardshrink(_Gated):
    """0 where ``|x| <= lambd``, else ``x``."""

    half_in_float32 = False  # PyTorch compares float16 with lambd rounded to float16

    notation = "x if |x| > lambd else 0"
    derivatives = ("1 if |x| > lambd else 0",)

    def __init__(self, lambd: float = 0.5) -> None:
        self.lambd = lambd

    def forward(self, x):
        _float_kernel(x, "hardshrink_cpu")
        dtypes.check_kernel_numbers(x.dtype, self.lambd, own=True)
        return _where((x >= -self.lambd) & (x <= self.lambd), xp.zeros((), x.dtype), x)

    def gate(self, x):
        return ~((x >= -self.lambd) & (x <= self.lambd))


class Softshrink(Hardshrink):
    """``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, else 0."""

    half_in_float32 = True  # PyTorch subtracts lambd from float16 in float32

    notation = "x - lambd sign(x) if |x| > lambd else 0"
    derivatives = ("1 if |x| > lambd else 0",)

    def __init__(self, lambd: float = 0.5) -> None:
        if lambd < 0:
            raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")
        self.lambd = lambd

    def forward(self, x):
        _float_kernel(x, "softshrink_check")
        # x * 0 in the middle, as PyTorch: -0.0 for a negative x, nan for a nan
        inner = _where(x < -self.lambd, x + self.lambd, x * 0)
        return _where(x > self.lambd, x - self.lambd, inner)


# PyTorch's hardsigmoid_backward scales by the float32 constant 1.0f / 6.0f, in every dtype.
_ONE_SIXTH = float(xp.float32(1 / 6))


class Hardsigmoid(_Gated):
    """``min(max(x + 3, 0), 6) / 6``."""

    half_rules_in_float32 = True  # PyTorch's backward is one kernel

    notation = "min(max(x + 3, 0), 6) / 6"
    derivatives = ("1/6 if -3 < x < 3 else 0",)

    def forward(self, x):
        _float_kernel(x, "hardsigmoid_cpu")
        return dual.clamp_arrays(x + 3, 0, 6) / 6

    def gate(self, x):
        return (x > -3) & (x < 3)  # a nan blocks the gradient, as in PyTorch

    def slope(self, x):
        return dual.typed(x, _ONE_SIXTH)


class Hardswish(_Gated):
    """``x * min(max(x + 3, 0), 6) / 6``."""

    half_rules_in_float32 = True  # PyTorch's backward is one kernel

    notation = "x min(max(x + 3, 0), 6) / 6"
    derivatives = ("0 if x <= -3 else (x / 3 + 1/2 if x < 3 else 1)",)

    def forward(self, x):
        _float_kernel(x, "hardswish_cpu")
        return x * dual.clamp_arrays(x + 3, 0, 6) / 6

    def gate(self, x):
        return ~(x <= -3)

    def slope(self, x):
        # PyTorch's branches: x / 3 + 1/2 for -3 < x < 3, and 1 from 3 on (a nan too)
        return dual.where(x < 3, x / 3 + 0.5, dual.typed(x, 1.0))


class LogSigmoid(Unary):
    """``log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|))``, finite in both tails."""

    half_rules_in_float32 = True  # PyTorch's backward is one kernel

    batch_rule = BROADCASTS
    notation = "log(sigmoid(x))"
    derivatives = ("sigmoid(-x)",)

    def forward(self, x):
        _float_kernel(x, "log_sigmoid_cpu")
        return dual.negative_part(x) - xp.log1p(xp.exp(-xp.abs(x)))

    def partial(self, out, x):
        return dual.sigmoid(-x)


class Mish(Unary):
    """``x tanh(softplus(x))``."""

    half_rules_in_float32 = True  # PyTorch's backward is one kernel

    batch_rule = BROADCASTS
    notation = "x tanh(softplus(x))"
    derivatives = ("tanh(softplus(x)) + x sigmoid(x) (1 - tanh(softplus(x))**2)",)

    def forward(self, x):
        _float_kernel(x, "mish_cpu")
        return x * xp.tanh(dual.softplus(x))

    def partial(self, out, x):
        t = dual.tanh(dual.softplus(x))
        return t + x * dual.sigmoid(x) * dual.one_minus(t * t)


class Celu(Unary):
    """PyTorch's elu with a scale and an input scale: ``scale x`` where ``x > 0``, else
    ``alpha scale (exp(input_scale x) - 1)``; celu and selu are two settings of it."""

    half_rules_in_float32 = True  # PyTorch's backward is one kernel

    batch_rule = BROADCASTS
    notation = "x if x > 0 else alpha (exp(x / alpha) - 1)"
    derivatives = ("1 if x > 0 else exp(x / alpha)",)

    def __init__(self, alpha: float = 1.0) -> None:
        self.negative = alpha  # alpha * scale: the factor of the negative branch
        self.scale = 1.0
        self.input_scale = 1.0 / alpha
        # PyTorch's derivative of celu takes 1 / alpha.toFloat(): alpha rounded to float32
        self.backward_scale = 1.0 / float(xp.float32(alpha))

    def forward(self, x):
        _float_kernel(x, "elu_cpu")
        dtypes.check_kernel_numbers(x.dtype, self.negative)
        wide = x.astype(xp.float32) if x.dtype == xp.float16 else x  # a half's, as PyTorch's
        if positive_and_finite(self.negative, self.scale, self.input_scale):
            out = elu_arrays(wide, self.negative, self.scale, self.input_scale)
            return out.astype(x.dtype, copy=False)
        negative = self.negative * xp.expm1(dual.negative_part(wide) * self.input_scale)
        return _where(wide > 0, wide * self.scale, negative).astype(x.dtype, copy=False)

    def partial(self, out, x):
        if type(x) is xp.ndarray:
            coefficient = self.negative * self.backward_scale
            return elu_slope_arrays(x, coefficient, self.backward_scale, self.scale)
        # PyTorch's elu_backward: the exponential's branch where x <= 0 (so not at nan);
        # its double backward counts only where x < 0, hence the exponent is 0 elsewhere.
        below = dual.where(x < 0, x, dual.zeros_like(x))
        slope = (self.negative * self.backward_scale) * dual.exp(below * self.backward_scale)
        return dual.where(x <= 0, slope, dual.typed(x, self.scale))


class Selu(Celu):
    """``scale (x if x > 0 else alpha (exp(x) - 1))`` with the self-normalizing constants."""

    torch_name = "EluBackward0"
    notation = "scale (x if x > 0 else alpha (exp(x) - 1))"
    derivatives = ("scale if x > 0 else scale alpha exp(x)",)
    ALPHA = 1.6732632423543772848170429916717
    SCALE = 1.0507009873554804934193349852946

    def __init__(self) -> None:
        self.negative = self.ALPHA * self.SCALE
        self.scale = self.SCALE
        self.input_scale = self.backward_scale = 1.0
