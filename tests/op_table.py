"""The op table: one row per differentiable operation, read by the gradient tests.

Each row says how to call the operation in chainrule and in PyTorch, where its inputs may be
drawn from (a domain that avoids kinks, poles and ties), which input shapes to try (broadcasting
among them), which registered ``Op`` classes it exercises, and which checks apply. The tests in
``test_op_gradients.py`` run every check over every row; ``test_op_table_complete.py`` fails
when an ``Op`` class in ``chainrule.op.REGISTRY`` has no row, so a new op without a gradient
test cannot go unnoticed.

Rows for nn ops live in ``tests/op_table_nn.py`` (``NN_SPECS``, the same ``OpSpec`` format);
:func:`all_specs` adds them when that module exists.

    >>> spec = next(s for s in SPECS if s.name == "mul")
    >>> [x.shape for x in spec.sample(np.random.default_rng(0), ((2, 3), (3,)))]
    [(2, 3), (3,)]
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

import chainrule as cr
from chainrule.ops.indexing import IndexAdd
from chainrule.ops.shape import pad

Shape = tuple[int, ...]
# A sampler draws the values of input number ``index`` with the given shape.
Sampler = Callable[[np.random.Generator, Shape, int], np.ndarray]


# ----------------------------------------------------------------------------- domains
def uniform(lo: float, hi: float) -> Sampler:
    return lambda rng, shape, index: rng.uniform(lo, hi, shape)


REAL = uniform(-2.0, 2.0)
POSITIVE = uniform(0.5, 2.0)


def away_from(*points: float, margin: float = 0.15) -> Sampler:
    """Real values at least ``margin`` from each of ``points`` (kinks, thresholds)."""

    def draw(rng: np.random.Generator, shape: Shape, index: int) -> np.ndarray:
        x = rng.uniform(-2.0, 2.0, shape)
        for p in points:
            d = x - p
            x = np.where(np.abs(d) < margin, p + np.where(d < 0, -1, 1) * (margin + np.abs(d)), x)
        return x

    return draw


NONZERO = away_from(0.0)


def between_jumps(spacing: float, offset: float = 0.0) -> Sampler:
    """Values at least 0.2 * spacing from every jump at ``offset + k * spacing`` (floor, round)."""

    def draw(rng: np.random.Generator, shape: Shape, index: int) -> np.ndarray:
        cells = rng.integers(-2 / spacing, 2 / spacing, shape)
        return offset + spacing * (cells + rng.uniform(0.2, 0.8, shape))

    return draw


AWAY_FROM_ZERO = away_from(0.0, margin=0.5)  # divisors and angles: |x| in [0.5, 2]
INTEGERS = between_jumps(1.0)  # floor, ceil, trunc, frac jump at the integers
HALVES = between_jumps(1.0, 0.5)  # round jumps half-way between integers


def distinct(rng: np.random.Generator, shape: Shape, index: int) -> np.ndarray:
    """Values on a shuffled grid of step 0.25, shifted per input: no two values (nor their
    absolute values) tie, within a tensor or across inputs, so max, min and sorting are smooth.
    """
    n = int(np.prod(shape, dtype=int))
    grid = (rng.permutation(n) - n // 2) * 0.25 + 0.1 * (index + 1)
    return (grid + rng.uniform(-0.01, 0.01, n)).reshape(shape)


def with_zero(rng: np.random.Generator, shape: Shape, index: int) -> np.ndarray:
    """Real values with the first one exactly zero (prod's gradient must not divide by it)."""
    x = REAL(rng, shape, index)
    x.reshape(-1)[:1] = 0.0
    return x


def checkerboard(shape: Shape) -> np.ndarray:
    """A fixed mask of the given shape with both values present (for where, setitem)."""
    n = int(np.prod(shape, dtype=int))
    return (np.arange(n) % 3 != 1).reshape(shape)


SAME = object()  # torch_fn: fn's own code runs unchanged on torch tensors

# The checks a row can switch off; each one that is off needs a written reason in ``why_off``
# (``torch``: the row has no PyTorch twin, ``torch_fn=None``).
# (``layouts``: the row's result depends on the inputs' memory layout, e.g. ``view``.)
# (``finite_differences``: the derivative is a convention of PyTorch's that finite differences
# do not see, e.g. a seeded ``normal`` draw's zeros; the checks against PyTorch stay on.)
SWITCHES = ("jvp", "second_order", "float32", "torch", "layouts", "finite_differences")


@dataclass(frozen=True)
class OpSpec:
    """One row: an operation, its PyTorch twin, its domain, its shapes and its checks.

    ``fn`` takes one chainrule tensor per input (all differentiable; constants such as
    indices live in the callable) and returns a tensor or a tuple of tensors. ``torch_fn``
    does the same on torch tensors; ``SAME`` means ``fn``'s code works on both, ``None`` that
    PyTorch has no such operation. ``domain`` is one sampler for every input or one per input.
    A check switched off says why in ``why_off`` (switch name -> reason), and
    ``test_op_table_complete.py`` holds every row to it.
    """

    name: str
    fn: Callable[..., Any]
    torch_fn: Any
    covers: tuple[str, ...]
    shapes: tuple[tuple[Shape, ...], ...]
    domain: Sampler | tuple[Sampler, ...] = REAL
    jvp: bool = True  # the forward-mode rules apply
    second_order: bool = True  # gradients of gradients apply
    float32: bool = True  # compare float32 forward values with PyTorch's
    layouts: bool = True  # transposed, strided, reversed inputs give the same results
    finite_differences: bool = True  # first derivatives are checked by finite differences
    # The vmap randomness the row's transforms ask for (jacfwd's and vmap's argument): "error"
    # for rows that draw nothing; rows that draw from their inputs (tests/op_table_random.py)
    # say "different", as PyTorch refuses "same" with a batched input. Their examples then
    # draw their own values, which stacking seeded calls cannot give.
    randomness: str = "error"
    fd_step: float = 1e-6  # central-difference step
    why_off: dict[str, str] = field(default_factory=dict)  # switch -> why it is off

    def torch_callable(self) -> Callable[..., Any] | None:
        return self.fn if self.torch_fn is SAME else self.torch_fn

    def switched_off(self) -> set[str]:
        """The names (from ``SWITCHES``) of the checks this row does not get."""
        on = {
            "jvp": self.jvp,
            "second_order": self.second_order,
            "float32": self.float32,
            "torch": self.torch_fn is not None,
            "layouts": self.layouts,
            "finite_differences": self.finite_differences,
        }
        return {name for name, enabled in on.items() if not enabled}

    def sample(self, rng: np.random.Generator, shapes: tuple[Shape, ...]) -> list[np.ndarray]:
        """float64 inputs of the given shapes, each drawn from its domain."""
        samplers = self.domain if isinstance(self.domain, tuple) else (self.domain,) * len(shapes)
        return [
            np.asarray(draw(rng, shape, i), dtype=np.float64)
            for i, (draw, shape) in enumerate(zip(samplers, shapes, strict=True))
        ]


# ----------------------------------------------------------------------------- shape cases
UNARY = (((2, 3),), ((),), ((1, 4, 2),), ((6, 20),))  # the last one is checked by <u, J v>
BINARY = (
    ((2, 3), (2, 3)),
    ((2, 3), (3,)),  # trailing broadcast
    ((4, 1), (1, 5)),  # both sides stretch
    ((), (2, 3)),  # a 0-d tensor against a matrix
    ((2, 1, 3), ()),
    ((6, 20), (20,)),
)
MATRIX = (((2, 3),),)
CUBE = (((2, 3, 4),),)


def _unary(name: str, fn: Any, torch_fn: Any, covers: tuple[str, ...], **kw: Any) -> OpSpec:
    return OpSpec(name, fn, torch_fn, covers, kw.pop("shapes", UNARY), **kw)


def _binary(name: str, fn: Any, torch_fn: Any, covers: tuple[str, ...], **kw: Any) -> OpSpec:
    return OpSpec(name, fn, torch_fn, covers, kw.pop("shapes", BINARY), **kw)


# ----------------------------------------------------------------------------- helpers
def _index(values: list[int]) -> Any:
    return np.array(values)


def _torch_index(values: Any) -> Any:
    return torch.as_tensor(np.asarray(values))


def _set_row(x: Any, v: Any) -> Any:
    y = x.clone()
    y[1] = v
    return y


def _set_columns(x: Any, v: Any) -> Any:
    y = x.clone()
    y[:, 1:3] = v  # v of shape (2,) is broadcast over the rows
    return y


def _mul_through_transposed_slice(x: Any, v: Any) -> Any:
    y = x * 1
    y.t()[1:].mul_(v)  # columns 1.. of y, seen as rows of its transpose
    return y


def _div_through_view_of_view(x: Any, v: Any) -> Any:
    y = x.exp()  # exp saves its output: the change must not trip the version check
    y = (y + 0).contiguous()  # a transposed x gives a transposed y, which view(-1) refuses
    y.view(-1)[4:8].div_(v)
    return y * x


def _view_after_base_changed(x: Any) -> Any:
    y = x * 1
    row = y[0]
    y.mul_(x)  # the row, taken before, sees the new values and history
    return row


def _set_rows_by_index(x: Any, v: Any) -> Any:
    y = x.clone()
    y[[0, 2]] = v
    return y


def _set_mask_cr(x: Any, v: Any) -> Any:
    y = x.clone()
    y[cr.tensor(checkerboard(tuple(x.shape)))] = v
    return y


def _set_mask_torch(x: Any, v: Any) -> Any:
    y = x.clone()
    y[torch.as_tensor(checkerboard(tuple(x.shape)))] = v
    return y


def _where_cr(a: Any, b: Any) -> Any:
    shape = np.broadcast_shapes(tuple(a.shape), tuple(b.shape))
    return cr.where(cr.tensor(checkerboard(shape)), a, b)


def _where_torch(a: Any, b: Any) -> Any:
    shape = np.broadcast_shapes(tuple(a.shape), tuple(b.shape))
    return torch.where(torch.as_tensor(checkerboard(shape)), a, b)


def _masked_fill(x: Any, lib: Any) -> Any:
    return x.masked_fill(lib.as_tensor(checkerboard(tuple(x.shape))), 0.5)


_GATHER = [[0, 2, 2, 1], [1, 1, 0, 0]]  # repeats: gradients of a re-read element add up
_ROWS = [0, 2, 0, 0]
_MASK = [[True, False, True, True], [False, False, True, False], [True, True, False, False]]
_INF = float("inf")


# ----------------------------------------------------------------------------- the table
SPECS: list[OpSpec] = [
    # --- arithmetic, with broadcasting and Python scalars on either side
    _binary("add", lambda a, b: a + b, SAME, ("Add",)),
    _binary(
        "add_alpha",
        lambda a, b: cr.add(a, b, alpha=2.5),
        lambda a, b: torch.add(a, b, alpha=2.5),
        ("Add", "Mul"),
    ),
    _unary("radd_scalar", lambda x: 2.0 + x, SAME, ("Add",)),
    _binary("sub", lambda a, b: a - b, SAME, ("Sub",)),
    _binary(
        "sub_alpha",
        lambda a, b: cr.sub(a, b, alpha=0.5),
        lambda a, b: torch.sub(a, b, alpha=0.5),
        ("Sub", "Mul"),
    ),
    _unary("rsub_scalar", lambda x: 2 - x, SAME, ("Sub",)),
    _binary("mul", lambda a, b: a * b, SAME, ("Mul",)),
    _unary("rmul_scalar", lambda x: 3 * x, SAME, ("Mul",)),
    _unary("square", lambda x: x.square(), SAME, ("Mul",)),
    _binary("div", lambda a, b: a / b, SAME, ("Div",), domain=(REAL, NONZERO)),
    _unary("div_scalar", lambda x: x / 4, SAME, ("Div",)),
    _unary("rdiv_scalar", lambda x: 2 / x, SAME, ("Reciprocal", "Mul"), domain=NONZERO),
    _unary("reciprocal", lambda x: x.reciprocal(), SAME, ("Reciprocal",), domain=NONZERO),
    _unary("pow_square", lambda x: x**2, SAME, ("Pow",)),
    _unary("pow_cube", lambda x: cr.pow(x, 3), lambda x: torch.pow(x, 3), ("Pow",)),
    _unary("pow_fractional", lambda x: x**1.5, SAME, ("Pow",), domain=POSITIVE),
    _unary("pow_negative", lambda x: x**-0.5, SAME, ("Pow",), domain=POSITIVE),
    _unary("pow_zero", lambda x: x**0, SAME, ("Pow",)),
    _binary("pow_tensor_exponent", lambda a, b: a**b, SAME, ("Pow",), domain=(POSITIVE, REAL)),
    _unary("rpow_scalar", lambda x: 3**x, SAME, ("Pow",)),
    _unary("neg", lambda x: -x, SAME, ("Neg",)),
    # --- rounding and division with rounding: the steps have zero gradients (kept away from
    # the jumps, where finite differences see the step)
    _binary(
        "div_rounding_floor",
        lambda a, b: cr.div(a, b, rounding_mode="floor"),
        lambda a, b: torch.div(a, b, rounding_mode="floor"),
        ("FloorDivide",),
        domain=(REAL, AWAY_FROM_ZERO),
    ),
    _binary(
        "div_rounding_trunc",
        lambda a, b: a.div(b, rounding_mode="trunc"),
        SAME,
        ("TruncDivide",),
        domain=(REAL, AWAY_FROM_ZERO),
    ),
    _binary(
        "remainder_operator",
        lambda a, b: a % b,
        SAME,
        ("Remainder",),
        domain=(REAL, AWAY_FROM_ZERO),
    ),
    _unary(
        "rmod_scalar",
        lambda x: 3 % x,
        lambda x: torch.remainder(torch.tensor(3.0, dtype=x.dtype), x),  # torch: no 3 % x grad
        ("Remainder",),
        domain=AWAY_FROM_ZERO,
    ),
    _binary(
        "remainder_function",
        cr.remainder,
        lambda a, b: torch.remainder(a, b),
        ("Remainder",),
        domain=(REAL, AWAY_FROM_ZERO),
    ),
    _binary(
        "fmod", cr.fmod, lambda a, b: torch.fmod(a, b), ("Fmod",), domain=(REAL, AWAY_FROM_ZERO)
    ),
    _unary("fmod_scalar", lambda x: x.fmod(1.5), SAME, ("Fmod",), domain=AWAY_FROM_ZERO),
    _unary("floor", cr.floor, lambda x: torch.floor(x), ("Floor",), domain=INTEGERS),
    _unary("ceil", lambda x: x.ceil(), SAME, ("Ceil",), domain=INTEGERS),
    _unary("trunc", cr.trunc, lambda x: torch.trunc(x), ("Trunc",), domain=INTEGERS),
    _unary("round", lambda x: x.round(), SAME, ("Round",), domain=HALVES),
    _unary(
        "round_decimals",
        lambda x: cr.round(x, decimals=1),
        lambda x: torch.round(x, decimals=1),
        ("Round",),
        domain=between_jumps(0.1, 0.05),
    ),
    _unary("frac", lambda x: x.frac(), SAME, ("Frac",), domain=INTEGERS),
    # --- exp and log
    _unary("exp", cr.exp, lambda x: torch.exp(x), ("Exp",)),
    _unary("log", cr.log, lambda x: torch.log(x), ("Log",), domain=POSITIVE),
    _unary("log1p", cr.log1p, lambda x: torch.log1p(x), ("Log1p",), domain=uniform(-0.5, 2.0)),
    _unary("expm1", cr.expm1, lambda x: torch.expm1(x), ("Expm1",)),
    _unary("sqrt", cr.sqrt, lambda x: torch.sqrt(x), ("Sqrt",), domain=POSITIVE),
    _unary("rsqrt", cr.rsqrt, lambda x: torch.rsqrt(x), ("Rsqrt",), domain=POSITIVE),
    _unary("reciprocal_function", cr.reciprocal, torch.reciprocal, ("Reciprocal",), domain=NONZERO),
    _unary("log2", cr.log2, lambda x: torch.log2(x), ("Log2",), domain=POSITIVE),
    _unary("log10", lambda x: x.log10(), SAME, ("Log10",), domain=POSITIVE),
    _unary("exp2", cr.exp2, lambda x: torch.exp2(x), ("Exp2",)),
    _unary("square_function", cr.square, lambda x: torch.square(x), ("Mul",)),
    # --- piecewise: inputs kept away from the kinks (tests at the kinks are separate)
    _unary("abs", cr.abs, lambda x: torch.abs(x), ("Abs",), domain=NONZERO),
    _unary("abs_operator", lambda x: abs(x), SAME, ("Abs",), domain=NONZERO),
    _unary("sign", cr.sign, lambda x: torch.sign(x), ("Sign",), domain=NONZERO),
    _unary("relu", cr.relu, lambda x: torch.relu(x), ("Relu",), domain=NONZERO),
    _unary("leaky_relu", cr.leaky_relu, lambda x: F.leaky_relu(x), ("LeakyRelu",), domain=NONZERO),
    _unary(
        "leaky_relu_slope",
        lambda x: cr.leaky_relu(x, 0.2),
        lambda x: F.leaky_relu(x, 0.2),
        ("LeakyRelu",),
        domain=NONZERO,
    ),
    _unary("elu", cr.elu, lambda x: F.elu(x), ("Elu",), domain=NONZERO),
    _unary(
        "elu_alpha", lambda x: cr.elu(x, 0.5), lambda x: F.elu(x, 0.5), ("Elu",), domain=NONZERO
    ),
    _unary("clamp", lambda x: x.clamp(-0.5, 0.7), SAME, ("Clamp",), domain=away_from(-0.5, 0.7)),
    _unary(
        "clamp_min",
        lambda x: cr.clamp(x, min=0.2),
        lambda x: torch.clamp(x, min=0.2),
        ("Clamp",),
        domain=away_from(0.2),
    ),
    _unary(
        "clamp_max",
        lambda x: cr.clip(x, max=-0.3),
        lambda x: torch.clip(x, max=-0.3),
        ("Clamp",),
        domain=away_from(-0.3),
    ),
    OpSpec(
        "clamp_tensor_bounds",
        cr.clamp,
        lambda x, lo, hi: torch.clamp(x, lo, hi),
        ("ClampTensor",),
        (((2, 3), (3,), (2, 1)),),
        domain=distinct,
    ),
    OpSpec(
        "clamp_tensor_min",
        lambda x, lo: cr.clamp(x, min=lo),
        lambda x, lo: torch.clamp(x, min=lo),
        ("ClampTensor",),
        (((2, 3), (3,)),),
        domain=distinct,
    ),
    # --- trigonometry and activations
    _unary("sin", cr.sin, lambda x: torch.sin(x), ("Sin",)),
    _unary("cos", cr.cos, lambda x: torch.cos(x), ("Cos",)),
    _unary("tan", cr.tan, lambda x: torch.tan(x), ("Tan",), domain=uniform(-1.2, 1.2)),
    _unary("asin", cr.asin, lambda x: torch.asin(x), ("Asin",), domain=uniform(-0.9, 0.9)),
    _unary("acos", lambda x: x.acos(), SAME, ("Acos",), domain=uniform(-0.9, 0.9)),
    _unary("atan", cr.atan, lambda x: torch.atan(x), ("Atan",)),
    _binary(
        "atan2",
        cr.atan2,
        lambda a, b: torch.atan2(a, b),
        ("Atan2",),
        domain=AWAY_FROM_ZERO,  # away from the origin and from the branch cut at a = 0
    ),
    _unary("sinh", cr.sinh, lambda x: torch.sinh(x), ("Sinh",)),
    _unary("cosh", lambda x: x.cosh(), SAME, ("Cosh",)),
    _unary("asinh", cr.asinh, lambda x: torch.asinh(x), ("Asinh",)),
    _unary("acosh", lambda x: x.acosh(), SAME, ("Acosh",), domain=uniform(1.2, 3.0)),
    _unary("atanh", cr.atanh, lambda x: torch.atanh(x), ("Atanh",), domain=uniform(-0.9, 0.9)),
    _binary("hypot", lambda a, b: a.hypot(b), SAME, ("Hypot",), domain=AWAY_FROM_ZERO),
    _unary("tanh", cr.tanh, lambda x: torch.tanh(x), ("Tanh",)),
    _unary("sigmoid", cr.sigmoid, lambda x: torch.sigmoid(x), ("Sigmoid",)),
    _unary("silu", cr.silu, lambda x: F.silu(x), ("Silu",)),
    _unary("softplus", cr.softplus, lambda x: F.softplus(x), ("Softplus",)),
    _unary(
        "softplus_beta_threshold",
        lambda x: cr.softplus(x, beta=2.0, threshold=1.5),
        lambda x: F.softplus(x, beta=2.0, threshold=1.5),
        ("Softplus",),
        domain=away_from(0.75),
    ),  # beta * x = threshold switches to the identity
    _unary("erf", cr.erf, lambda x: torch.erf(x), ("Erf",), domain=uniform(-4.0, 4.0)),
    _unary("gelu", cr.gelu, lambda x: F.gelu(x), ("Gelu",)),
    _unary(
        "gelu_tanh",
        lambda x: cr.gelu(x, approximate="tanh"),
        lambda x: F.gelu(x, approximate="tanh"),
        ("Gelu",),
    ),
    # --- two inputs, selections
    _binary("maximum", cr.maximum, lambda a, b: torch.maximum(a, b), ("Maximum",), domain=distinct),
    _binary("minimum", lambda a, b: a.minimum(b), SAME, ("Minimum",), domain=distinct),
    _binary(
        "max_of_two_tensors",
        lambda a, b: cr.max(a, b),
        lambda a, b: torch.max(a, b),
        ("Maximum",),
        domain=distinct,
    ),
    _binary("where", _where_cr, _where_torch, ("Where",)),
    _unary(
        "where_scalar_other",
        lambda x: cr.where(cr.tensor(checkerboard(tuple(x.shape))), x, 0.5),
        lambda x: torch.where(torch.as_tensor(checkerboard(tuple(x.shape))), x, 0.5),
        ("Where",),
    ),
    _unary(
        "masked_fill", lambda x: _masked_fill(x, cr), lambda x: _masked_fill(x, torch), ("Where",)
    ),
    # comparisons steer a where: no gradient through the mask, only through the picked values
    _binary(
        "where_compared",
        lambda a, b: cr.where(a > b, a, b),
        lambda a, b: torch.where(a > b, a, b),
        ("Compare", "Where"),
        domain=distinct,
    ),
    _unary(
        "where_tested",
        lambda x: cr.where(cr.isfinite(x), x, 2 * x),
        lambda x: torch.where(torch.isfinite(x), x, 2 * x),
        ("Predicate", "Where"),
        domain=distinct,
    ),
    # --- copies and casts
    _unary("clone", lambda x: x.clone(), SAME, ("Clone",)),
    # Linear, so a central difference is exact for any step: a large one makes the float32
    # rounding of x +- step negligible.
    _unary(
        "cast_float32_roundtrip",
        lambda x: (x.to(cr.float32) * 3).to(cr.float64),
        lambda x: (x.to(torch.float32) * 3).to(torch.float64),
        ("Cast",),
        fd_step=1.0,
    ),
    # --- reductions
    OpSpec("sum_all", lambda x: x.sum(), SAME, ("Sum",), CUBE + (((),), ((30, 10),))),
    OpSpec(
        "sum_dim",
        lambda x: cr.sum(x, 1),
        lambda x: torch.sum(x, 1),
        ("Sum",),
        CUBE + (((2, 0, 4),),),
    ),  # an empty dim sums to zeros
    OpSpec("sum_dims_keepdim", lambda x: x.sum((0, 2), keepdim=True), SAME, ("Sum",), CUBE),
    OpSpec("sum_negative_dim", lambda x: x.sum(-1), SAME, ("Sum",), MATRIX + (((4,),),)),
    OpSpec("mean_all", lambda x: x.mean(), SAME, ("Mean",), CUBE + (((),),)),
    OpSpec("mean_dim", lambda x: cr.mean(x, -1), lambda x: torch.mean(x, -1), ("Mean",), CUBE),
    OpSpec("mean_dims_keepdim", lambda x: x.mean((0, 1), keepdim=True), SAME, ("Mean",), CUBE),
    OpSpec("prod_all", lambda x: x.prod(), SAME, ("Prod",), MATRIX + (((),),)),
    OpSpec("prod_dim", lambda x: cr.prod(x, 1), lambda x: torch.prod(x, 1), ("Prod",), CUBE),
    # The zero takes prod's other branch (also for second derivatives).
    OpSpec(
        "prod_with_zero",
        lambda x: x.prod(1, keepdim=True),
        SAME,
        ("Prod",),
        (((2, 4),),),
        domain=with_zero,
    ),
    OpSpec("amax_dim", lambda x: x.amax(1), SAME, ("Amax",), CUBE, domain=distinct),
    OpSpec(
        "amax_all",
        lambda x: cr.amax(x),
        lambda x: torch.amax(x),
        ("Amax",),
        MATRIX + (((),),),
        domain=distinct,
    ),
    OpSpec(
        "amin_dims_keepdim",
        lambda x: x.amin((0, 1), keepdim=True),
        SAME,
        ("Amin",),
        CUBE,
        domain=distinct,
    ),
    OpSpec("max_all", lambda x: x.max(), SAME, ("Amax",), MATRIX, domain=distinct),
    OpSpec(
        "min_all", lambda x: cr.min(x), lambda x: torch.min(x), ("Amin",), MATRIX, domain=distinct
    ),
    OpSpec(
        "max_dim",
        lambda x: x.max(1).values,
        SAME,
        ("MaxAlong", "ArgExtreme"),
        CUBE,
        domain=distinct,
    ),
    OpSpec(
        "max_dim_keepdim",
        lambda x: x.max(-1, keepdim=True)[0],
        SAME,
        ("MaxAlong",),
        MATRIX,
        domain=distinct,
    ),
    OpSpec(
        "min_dim",
        lambda x: cr.min(x, 0).values,
        lambda x: torch.min(x, 0).values,
        ("MaxAlong",),
        CUBE,
        domain=distinct,
    ),
    OpSpec("max_dim_of_scalar", lambda x: x.max(0).values, SAME, ("Clone",), (((),),)),
    OpSpec(
        "min_dim_of_scalar",
        lambda x: cr.min(x, -1)[0],
        lambda x: torch.min(x, -1)[0],
        ("Clone",),
        (((),),),
    ),
    OpSpec("logsumexp_dim", lambda x: x.logsumexp(1), SAME, ("LogSumExp",), CUBE),
    OpSpec(
        "logsumexp_dims_keepdim",
        lambda x: cr.logsumexp(x, (0, 2), keepdim=True),
        lambda x: torch.logsumexp(x, (0, 2), keepdim=True),
        ("LogSumExp",),
        CUBE,
    ),
    OpSpec("norm", lambda x: x.norm(), SAME, ("Norm2",), CUBE + (((),),), domain=NONZERO),
    OpSpec(
        "norm_dim_keepdim",
        lambda x: cr.norm(x, dim=1, keepdim=True),
        lambda x: torch.norm(x, dim=1, keepdim=True),
        ("Norm2",),
        CUBE,
    ),
    OpSpec("norm_p1", lambda x: x.norm(p=1), SAME, ("Abs", "Sum"), CUBE, domain=NONZERO),
    OpSpec(
        "norm_inf", lambda x: x.norm(p=_INF, dim=0), SAME, ("Abs", "Amax"), CUBE, domain=distinct
    ),
    OpSpec(
        "norm_neg_inf", lambda x: x.norm(p=-_INF), SAME, ("Abs", "Amin"), MATRIX, domain=distinct
    ),
    OpSpec("norm_p3", lambda x: x.norm(p=3, dim=-1), SAME, ("NormP",), CUBE, domain=NONZERO),
    OpSpec("norm_p_half", lambda x: x.norm(p=0.5), SAME, ("NormP",), MATRIX, domain=NONZERO),
    OpSpec("norm_p_1_5", lambda x: x.norm(p=1.5, dim=0), SAME, ("NormP",), CUBE, domain=NONZERO),
    OpSpec("norm_p0", lambda x: x.norm(p=0, dim=1), SAME, ("NormP",), CUBE, domain=NONZERO),
    OpSpec("cumsum", lambda x: x.cumsum(0), SAME, ("CumSum",), CUBE + (((5,),), ((),))),
    OpSpec(
        "cumsum_last_dim",
        lambda x: cr.cumsum(x, -1),
        lambda x: torch.cumsum(x, -1),
        ("CumSum",),
        CUBE,
    ),
    OpSpec("var", lambda x: x.var(), SAME, ("Var",), CUBE),
    OpSpec("var_dim_keepdim", lambda x: x.var(1, keepdim=True), SAME, ("Var",), CUBE),
    OpSpec(
        "var_correction0",
        lambda x: cr.var(x, 0, correction=0),
        lambda x: torch.var(x, 0, correction=0),
        ("Var",),
        CUBE,
    ),
    OpSpec("std", lambda x: x.std(), SAME, ("Std",), CUBE),
    OpSpec(
        "std_dim_unbiased_false",
        lambda x: cr.std(x, -1, False),
        lambda x: torch.std(x, -1, correction=0),
        ("Std",),
        CUBE,
    ),
    OpSpec(
        "var_mean",
        lambda x: cr.var_mean(x, 1),
        lambda x: torch.var_mean(x, 1),
        ("Var", "Mean"),
        CUBE,
    ),
    OpSpec(
        "std_mean_keepdim_correction0",
        lambda x: cr.std_mean(x, (0, 2), keepdim=True, correction=0),
        lambda x: torch.std_mean(x, (0, 2), keepdim=True, correction=0),
        ("Std", "Mean"),
        CUBE,
    ),
    OpSpec("sum_numpy_axis_keepdims", lambda x: x.sum(axis=1, keepdims=True), SAME, ("Sum",), CUBE),
    OpSpec("mean_numpy_axis", lambda x: x.mean(axis=(0, 2)), SAME, ("Mean",), CUBE),
    # --- shapes
    OpSpec("reshape", lambda x: x.reshape(3, 2), SAME, ("Reshape",), MATRIX),
    OpSpec(
        "view_inferred",
        lambda x: x.view(-1, 2),
        SAME,
        ("Reshape",),
        CUBE,
        layouts=False,
        why_off={"layouts": "view refuses strides that cannot express the new shape, as PyTorch's"},
    ),
    OpSpec("flatten", lambda x: x.flatten(), SAME, ("Reshape",), CUBE + (((),),)),
    OpSpec(
        "flatten_from_dim",
        lambda x: cr.flatten(x, 1),
        lambda x: torch.flatten(x, 1),
        ("Reshape",),
        CUBE,
    ),
    OpSpec("squeeze", lambda x: x.squeeze(), SAME, ("Reshape",), (((2, 1, 3, 1),),)),
    OpSpec(
        "squeeze_dim",
        lambda x: cr.squeeze(x, 1),
        lambda x: torch.squeeze(x, 1),
        ("Reshape",),
        (((2, 1, 3),),),
    ),
    OpSpec("unsqueeze", lambda x: x.unsqueeze(1), SAME, ("Reshape",), MATRIX),
    OpSpec(
        "unsqueeze_last",
        lambda x: cr.unsqueeze(x, -1),
        lambda x: torch.unsqueeze(x, -1),
        ("Reshape",),
        MATRIX + (((),),),
    ),
    OpSpec("permute", lambda x: x.permute(2, 0, 1), SAME, ("Permute",), CUBE),
    OpSpec("transpose", lambda x: x.transpose(0, 2), SAME, ("Permute",), CUBE),
    OpSpec("t", lambda x: x.t(), SAME, ("Permute",), MATRIX),
    OpSpec("matrix_transpose", lambda x: x.mT, SAME, ("Permute",), CUBE),
    OpSpec("expand", lambda x: x.expand(2, 3, 4), SAME, ("Expand",), (((3, 1),), ((),))),
    OpSpec("expand_keep_dim", lambda x: x.expand(4, -1), SAME, ("Expand",), (((1, 3),),)),
    OpSpec(
        "broadcast_to",
        lambda x: cr.broadcast_to(x, (2, 3)),
        lambda x: torch.broadcast_to(x, (2, 3)),
        ("Expand",),
        (((3,),),),
    ),
    OpSpec(
        "expand_as", lambda a, b: a.expand_as(b) * b, SAME, ("Expand", "Mul"), (((3, 1), (3, 4)),)
    ),
    OpSpec(
        "broadcast_tensors",
        cr.broadcast_tensors,
        torch.broadcast_tensors,
        ("Expand",),
        (((2, 3), (3,)), ((4, 1), (1, 5)), ((), (2, 3)), ((3, 1), (2, 1, 4), ()), ((2, 3), (2, 3))),
    ),
    OpSpec("repeat", lambda x: x.repeat(2, 1, 3), SAME, ("Repeat",), MATRIX),
    OpSpec("repeat_vector", lambda x: x.repeat(2, 2), SAME, ("Repeat",), (((3,),),)),
    OpSpec(
        "cat",
        lambda a, b: cr.cat([a, b]),
        lambda a, b: torch.cat([a, b]),
        ("Cat",),
        (((2, 3), (1, 3)), ((2,), (3,)), ((0, 3), (2, 3))),
    ),
    OpSpec(
        "cat_three_last_dim",
        lambda a, b, c: cr.cat((a, b, c), dim=-1),
        lambda a, b, c: torch.cat((a, b, c), dim=-1),
        ("Cat",),
        (((2, 1), (2, 3), (2, 2)),),
    ),
    OpSpec(
        "stack",
        lambda a, b: cr.stack([a, b], 1),
        lambda a, b: torch.stack([a, b], 1),
        ("Cat", "Reshape"),
        (((2, 3), (2, 3)),),
    ),
    OpSpec(
        "stack_last_dim",
        lambda a, b, c: cr.stack([a, b, c], -1),
        lambda a, b, c: torch.stack([a, b, c], -1),
        ("Cat", "Reshape"),
        (((2, 3), (2, 3), (2, 3)), ((), (), ())),
    ),
    OpSpec(
        "split",
        lambda x: cr.split(x, 2, dim=1),
        lambda x: torch.split(x, 2, dim=1),
        ("GetItem",),
        (((3, 5),),),
    ),
    OpSpec("split_sections", lambda x: x.split([1, 3, 1], 1), SAME, ("GetItem",), (((3, 5),),)),
    OpSpec("chunk", lambda x: x.chunk(2), SAME, ("GetItem",), (((5, 2),),)),
    OpSpec("unbind", lambda x: x.unbind(1), SAME, ("GetItem",), MATRIX),
    OpSpec("flip", lambda x: x.flip(0), SAME, ("Flip",), CUBE),
    OpSpec(
        "flip_dims", lambda x: cr.flip(x, (0, 2)), lambda x: torch.flip(x, (0, 2)), ("Flip",), CUBE
    ),
    OpSpec("roll", lambda x: x.roll(1, 0), SAME, ("Roll",), CUBE),
    OpSpec(
        "roll_tuple",
        lambda x: cr.roll(x, (1, -2), (0, 2)),
        lambda x: torch.roll(x, (1, -2), (0, 2)),
        ("Roll",),
        CUBE,
    ),
    OpSpec("roll_flat", lambda x: x.roll(2), SAME, ("Roll", "Reshape"), MATRIX),
    OpSpec("pad", lambda x: pad(x, (1, 2)), lambda x: F.pad(x, (1, 2)), ("Pad",), MATRIX),
    OpSpec(
        "pad_two_dims_value",
        lambda x: pad(x, (1, 0, 2, 1), value=0.5),
        lambda x: F.pad(x, (1, 0, 2, 1), value=0.5),
        ("Pad",),
        CUBE,
    ),
    # --- indexing
    OpSpec("getitem_int", lambda x: x[1], SAME, ("GetItem",), MATRIX),
    OpSpec("getitem_negative_and_slice", lambda x: x[-1, 1:], SAME, ("GetItem",), CUBE),
    OpSpec("getitem_step", lambda x: x[::2, 1::2], SAME, ("GetItem",), (((5, 4),),)),
    OpSpec("getitem_none_ellipsis", lambda x: x[None, ..., 1], SAME, ("GetItem",), CUBE),
    OpSpec(
        "getitem_int_array_repeats",
        lambda x: x[_index(_ROWS)],
        lambda x: x[_torch_index(_ROWS)],
        ("GetItem",),
        (((3, 2),),),
    ),
    OpSpec(
        "getitem_list_in_second_dim", lambda x: x[:, [2, 0, 2]], SAME, ("GetItem",), (((2, 3),),)
    ),
    OpSpec(
        "getitem_negative_indices",
        lambda x: x[[-1, 0, -1], ..., -2],
        SAME,
        ("GetItem",),
        (((3, 2, 4),),),
    ),
    OpSpec(
        "getitem_arrays_around_slice",
        lambda x: x[[0, 1], :, [1, 0]],
        SAME,
        ("GetItem",),
        (((2, 3, 2),),),
    ),
    OpSpec(
        "getitem_two_arrays",
        lambda x: x[_index([0, 1, 1]), _index([2, 0, 2])],
        lambda x: x[_torch_index([0, 1, 1]), _torch_index([2, 0, 2])],
        ("GetItem",),
        (((2, 3),),),
    ),
    OpSpec(
        "getitem_bool_mask",
        lambda x: x[cr.tensor(_MASK)],
        lambda x: x[torch.tensor(_MASK)],
        ("GetItem",),
        (((3, 4),),),
    ),
    OpSpec(
        "getitem_bool_rows",
        lambda x: x[cr.tensor([True, False, True])],
        lambda x: x[torch.tensor([True, False, True])],
        ("GetItem",),
        (((3, 2),),),
    ),
    OpSpec(
        "index_select_repeats",
        lambda x: cr.index_select(x, 1, cr.tensor([2, 0, 2])),
        lambda x: torch.index_select(x, 1, torch.tensor([2, 0, 2])),
        ("GetItem",),
        MATRIX,
    ),
    # GetItem's vjp under create_graph, applied directly so that its own rules run.
    OpSpec(
        "index_add",
        lambda x: IndexAdd((_index([0, 2, 0]),), (3, 4))(x),
        lambda x: torch.zeros(3, 4, dtype=x.dtype).index_put(
            (_torch_index([0, 2, 0]),), x, accumulate=True
        ),
        ("IndexAdd",),
        (((3, 4),), ((4,),)),
    ),
    OpSpec(
        "gather",
        lambda x: x.gather(1, cr.tensor(_GATHER)),
        lambda x: x.gather(1, torch.tensor(_GATHER)),
        ("Gather",),
        (((2, 3),),),
    ),
    OpSpec(
        "gather_smaller_index",
        lambda x: cr.gather(x, 0, cr.tensor([[1, 0]])),
        lambda x: torch.gather(x, 0, torch.tensor([[1, 0]])),
        ("Gather",),
        (((2, 3),),),
    ),
    OpSpec(
        "scatter_add",
        lambda a, src: a.scatter_add(1, cr.tensor(_GATHER), src),
        lambda a, src: a.scatter_add(1, torch.tensor(_GATHER), src),
        ("ScatterAdd",),
        (((2, 3), (2, 4)),),
    ),
    OpSpec(
        "setitem_row_through_clone",
        _set_row,
        SAME,
        ("Clone", "Copy", "CopySlices"),
        (((3, 4), (4,)), ((3, 4), ())),
    ),
    OpSpec("setitem_broadcast_columns", _set_columns, SAME, ("CopySlices",), (((3, 4), (2,)),)),
    # In-place changes through views: the base's history is rewritten (CopySlices).
    OpSpec(
        "mul_through_transposed_slice",
        _mul_through_transposed_slice,
        SAME,
        ("Permute", "CopySlices"),
        (((3, 4), (3,)), ((3, 4), ())),
    ),
    OpSpec(
        "div_through_view_of_view",
        _div_through_view_of_view,
        SAME,
        ("Reshape", "CopySlices"),
        (((3, 4), (4,)),),
        domain=(REAL, AWAY_FROM_ZERO),
    ),
    OpSpec("view_after_base_changed", _view_after_base_changed, SAME, ("GetItem",), MATRIX),
    OpSpec("setitem_int_array", _set_rows_by_index, SAME, ("IndexPut",), (((3, 4), (2, 4)),)),
    OpSpec("setitem_bool_mask", _set_mask_cr, _set_mask_torch, ("IndexPut",), (((3, 4), ()),)),
    OpSpec(
        "masked_select",
        lambda x: x.masked_select(x.detach() > 0),
        SAME,
        ("GetItem",),
        MATRIX + (((),),),
        domain=NONZERO,
    ),
    OpSpec(
        "masked_select_broadcast",
        lambda x: cr.masked_select(x, cr.tensor(_MASK[:2])),
        lambda x: torch.masked_select(x, torch.tensor(_MASK[:2])),
        ("Expand", "GetItem"),
        (((2, 4),), ((4,),), ((1, 4),)),  # the input is broadcast to the mask's shape
    ),
    # --- sorting: the values are gathered, so the gradient goes back to where each came from
    OpSpec(
        "sort",
        lambda x: x.sort().values,
        SAME,
        ("Sorted", "SortOrder"),
        CUBE + (((5,),),),
        domain=distinct,
    ),
    OpSpec(
        "sort_dim0_descending",
        lambda x: cr.sort(x, 0, descending=True)[0],
        lambda x: torch.sort(x, 0, descending=True)[0],
        ("Sorted", "SortOrder"),
        CUBE,
        domain=distinct,
    ),
    OpSpec("sort_of_scalar", lambda x: x.sort().values, SAME, ("Clone",), (((),),)),
    OpSpec(
        "topk", lambda x: x.topk(2).values, SAME, ("Sorted", "TopkOrder"), CUBE, domain=distinct
    ),
    OpSpec(
        "topk_smallest_dim1",
        lambda x: cr.topk(x, 3, dim=1, largest=False).values,
        lambda x: torch.topk(x, 3, dim=1, largest=False).values,
        ("Sorted", "TopkOrder"),
        CUBE,
        domain=distinct,
    ),
    # --- matrix products
    _binary(
        "matmul",
        lambda a, b: a @ b,
        SAME,
        ("MatMul",),
        shapes=(((2, 3), (3, 4)), ((8, 10), (10, 9)), ((2, 0), (0, 3))),
    ),
    _binary("matmul_vector_vector", lambda a, b: a @ b, SAME, ("MatMul",), shapes=(((3,), (3,)),)),
    _binary(
        "matmul_vector_matrix",
        lambda a, b: cr.matmul(a, b),
        lambda a, b: torch.matmul(a, b),
        ("MatMul",),
        shapes=(((3,), (3, 2)), ((3,), (2, 3, 2))),
    ),
    _binary(
        "matmul_matrix_vector",
        lambda a, b: a.matmul(b),
        SAME,
        ("MatMul",),
        shapes=(((2, 3), (3,)), ((2, 2, 3), (3,))),
    ),
    _binary(
        "matmul_batched", lambda a, b: a @ b, SAME, ("MatMul",), shapes=(((2, 2, 3), (2, 3, 4)),)
    ),
    _binary(
        "matmul_broadcast_batch",
        lambda a, b: a @ b,
        SAME,
        ("MatMul",),
        shapes=(((2, 1, 2, 3), (3, 3, 2)), ((2, 2, 3), (3, 4))),
    ),
    _binary("mm", cr.mm, lambda a, b: torch.mm(a, b), ("MatMul",), shapes=(((2, 3), (3, 4)),)),
    _binary("mv", cr.mv, lambda a, b: torch.mv(a, b), ("MatMul",), shapes=(((2, 3), (3,)),)),
    _binary("mv_method", lambda a, b: a.mv(b), SAME, ("MatMul",), shapes=(((4, 3), (3,)),)),
    _binary(
        "einsum_matmul",
        lambda a, b: cr.einsum("ij,jk->ik", a, b),
        lambda a, b: torch.einsum("ij,jk->ik", a, b),
        ("Einsum",),
        shapes=(((2, 3), (3, 4)),),
    ),
    _binary(
        "einsum_batched",
        lambda a, b: cr.einsum("bij,bjk->bik", a, b),
        lambda a, b: torch.einsum("bij,bjk->bik", a, b),
        ("Einsum",),
        shapes=(((2, 2, 3), (2, 3, 4)),),
    ),
    _binary(
        "einsum_ellipsis",
        lambda a, b: cr.einsum("...ij,...jk->...ik", a, b),
        lambda a, b: torch.einsum("...ij,...jk->...ik", a, b),
        ("Einsum",),
        shapes=(((2, 2, 3), (2, 3, 4)), ((2, 3), (3, 4))),
    ),
    _binary(  # ellipsis dimensions of length 1 broadcast, both ways, and summed out
        "einsum_ellipsis_broadcast",
        lambda a, b: cr.einsum("...d,d...->d", a, b),
        lambda a, b: torch.einsum("...d,d...->d", a, b),
        ("Einsum",),
        shapes=(((2, 1, 3), (3, 1, 4)), ((1, 3), (3, 2))),
    ),
    _binary(
        "einsum_implicit_output",
        lambda a, b: cr.einsum("jk,ij", a, b),
        lambda a, b: torch.einsum("jk,ij", a, b),
        ("Einsum",),
        shapes=(((3, 4), (2, 3)),),
    ),
    _binary(
        "einsum_implicit_ellipsis",
        lambda a, b: cr.einsum("...j,jk", a, b),
        lambda a, b: torch.einsum("...j,jk", a, b),
        ("Einsum",),
        shapes=(((2, 2, 3), (3, 4)),),
    ),
    _binary(
        "einsum_dot",
        lambda a, b: cr.einsum("i,i->", a, b),
        lambda a, b: torch.einsum("i,i->", a, b),
        ("Einsum",),
        shapes=(((4,), (4,)),),
    ),
    _binary(
        "einsum_outer",
        lambda a, b: cr.einsum("i,j->ij", a, b),
        lambda a, b: torch.einsum("i,j->ij", a, b),
        ("Einsum",),
        shapes=(((3,), (4,)),),
    ),
    # j is summed within the first operand alone, k within the second alone.
    _binary(
        "einsum_private_sums",
        lambda a, b: cr.einsum("ij,k->i", a, b),
        lambda a, b: torch.einsum("ij,k->i", a, b),
        ("Einsum",),
        shapes=(((2, 3), (4,)),),
    ),
    OpSpec(
        "einsum_reduce",
        lambda x: cr.einsum("ij->j", x),
        lambda x: torch.einsum("ij->j", x),
        ("Einsum",),
        MATRIX,
    ),
    # One operand reordered: a view of it, in NumPy and PyTorch (test_op_table_aliasing.py).
    OpSpec(
        "einsum_transpose",
        lambda x: cr.einsum("ij->ji", x),
        lambda x: torch.einsum("ij->ji", x),
        ("Einsum",),
        MATRIX,
    ),
    OpSpec(
        "einsum_diagonal",
        lambda x: cr.einsum("ii->i", x),
        lambda x: torch.einsum("ii->i", x),
        ("Einsum", "Diagonal"),
        (((3, 3),), ((1, 1),)),
    ),
    OpSpec(
        "einsum_three_operands",
        lambda a, b, c: cr.einsum("ij,jk,kl->il", [a, b, c]),
        lambda a, b, c: torch.einsum("ij,jk,kl->il", [a, b, c]),
        ("Einsum",),
        (((2, 3), (3, 2), (2, 2)),),
    ),
    _binary(
        "bmm", cr.bmm, lambda a, b: torch.bmm(a, b), ("MatMul",), shapes=(((2, 2, 3), (2, 3, 4)),)
    ),
    _binary("dot", lambda a, b: a.dot(b), SAME, ("MatMul",), shapes=(((4,), (4,)),)),
    _binary(
        "outer",
        cr.outer,
        lambda a, b: torch.outer(a, b),
        ("Reshape", "Mul"),
        shapes=(((3,), (4,)), ((1,), (2,))),
    ),
    OpSpec("diag_of_vector", lambda x: x.diag(), SAME, ("IndexAdd",), (((3,),), ((1,),))),
    OpSpec(
        "diag_of_vector_offset",
        lambda x: cr.diag(x, -2),
        lambda x: torch.diag(x, -2),
        ("IndexAdd",),
        (((3,),),),
    ),
    OpSpec("diag_of_matrix", lambda x: x.diag(), SAME, ("GetItem",), (((3, 4),), ((4, 3),))),
    OpSpec(
        "diag_of_matrix_offset",
        lambda x: cr.diag(x, 1),
        lambda x: torch.diag(x, 1),
        ("GetItem",),
        (((3, 4),), ((4, 2),)),
    ),
    OpSpec("trace", lambda x: x.trace(), SAME, ("GetItem", "Sum"), (((3, 4),), ((3, 3),))),
    OpSpec("tril", lambda x: x.tril(), SAME, ("Where",), CUBE + (((4, 3),),)),
    OpSpec(
        "tril_offset",
        lambda x: cr.tril(x, -1),
        lambda x: torch.tril(x, -1),
        ("Where",),
        (((3, 4),),),
    ),
    OpSpec("triu_offset", lambda x: x.triu(1), SAME, ("Where",), CUBE + (((4, 3),),)),
    OpSpec("triu", lambda x: cr.triu(x), lambda x: torch.triu(x), ("Where",), (((3, 4),),)),
    # --- fused nn ops
    OpSpec(
        "softmax", lambda x: x.softmax(-1), SAME, ("Softmax",), CUBE + (((4,),), ((),), ((0, 3),))
    ),
    OpSpec(
        "softmax_dim0",
        lambda x: cr.softmax(x, 0),
        lambda x: torch.softmax(x, 0),
        ("Softmax",),
        MATRIX + (((0, 3),),),
    ),
    OpSpec("log_softmax", lambda x: x.log_softmax(1), SAME, ("LogSoftmax",), CUBE),
    OpSpec(
        "log_softmax_dim0",
        lambda x: cr.log_softmax(x, 0),
        lambda x: torch.log_softmax(x, 0),
        ("LogSoftmax",),
        MATRIX + (((5,),), ((),)),
    ),
]


def all_specs() -> list[OpSpec]:
    """The core rows and, when ``tests/op_table_nn.py`` exists, its ``NN_SPECS``,
    ``tests/op_table_linalg.py``'s ``LINALG_SPECS``,
    ``tests/op_table_linalg_more.py``'s ``LINALG_MORE_SPECS``, ``tests/op_table_random.py``'s
    ``RANDOM_SPECS``, ``tests/op_table_api.py``'s ``API_SPECS``,
    ``tests/op_table_nn_more.py``'s ``NN_MORE_SPECS``, ``tests/op_table_index.py``'s
    ``INDEX_SPECS``, ``tests/op_table_sets.py``'s ``SETS_SPECS``,
    ``tests/op_table_spatial.py``'s ``SPATIAL_SPECS``, ``tests/op_table_volume.py``'s
    ``VOLUME_SPECS``, ``tests/op_table_layers.py``'s ``LAYERS_SPECS``,
    ``tests/op_table_special.py``'s ``SPECIAL_SPECS`` and ``tests/op_table_views.py``'s
    ``VIEWS_SPECS`` and ``tests/op_table_ctc.py``'s ``CTC_SPECS`` and
    ``tests/op_table_sampling.py``'s ``SAMPLING_SPECS``."""
    # Looked up at call time: op_table_nn imports this module for OpSpec.
    if importlib.util.find_spec("op_table_nn") is None:
        return list(SPECS)
    from op_table_api import API_SPECS
    from op_table_ctc import CTC_SPECS
    from op_table_embedding import EMBEDDING_SPECS
    from op_table_index import INDEX_SPECS
    from op_table_layers import LAYERS_SPECS
    from op_table_linalg import LINALG_SPECS
    from op_table_linalg_more import LINALG_MORE_SPECS
    from op_table_nn import NN_SPECS
    from op_table_nn_more import NN_MORE_SPECS
    from op_table_random import RANDOM_SPECS
    from op_table_sampling import SAMPLING_SPECS
    from op_table_sets import SETS_SPECS
    from op_table_spatial import SPATIAL_SPECS
    from op_table_special import SPECIAL_SPECS
    from op_table_views import VIEWS_SPECS
    from op_table_volume import VOLUME_SPECS

    return [
        *SPECS,
        *NN_SPECS,
        *LINALG_SPECS,
        *LINALG_MORE_SPECS,
        *RANDOM_SPECS,
        *API_SPECS,
        *NN_MORE_SPECS,
        *INDEX_SPECS,
        *SETS_SPECS,
        *SPATIAL_SPECS,
        *VOLUME_SPECS,
        *LAYERS_SPECS,
        *SPECIAL_SPECS,
        *VIEWS_SPECS,
        *CTC_SPECS,
        *SAMPLING_SPECS,
        *EMBEDDING_SPECS,
    ]


@functools.cache
def _specs_by_name() -> dict[str, OpSpec]:
    return {spec.name: spec for spec in all_specs()}


def torch_twin(spec: OpSpec) -> Callable[..., Any] | None:
    """The row's PyTorch function; for a forward-mode row without one, that of the row it
    repeats (the same function, compared with PyTorch there); None if neither has one."""
    twin = spec.torch_callable()
    base = _specs_by_name().get(spec.name.removesuffix("_forward_mode"))
    if twin is None and base is not None and base.shapes[0] == spec.shapes[0]:
        twin = base.torch_callable()
    return twin
