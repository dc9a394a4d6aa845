"""Random straight-line programs that run unchanged on chainrule and on PyTorch.

A program is Python source: lines such as ``v3 = lib.maximum(v1, v0)``, ``v2[1:] = v0`` or
``v4.mul_(v4)``, run one by one with ``lib`` bound to ``chainrule`` or to ``torch``, then a
loss and a backward pass (twice with ``retain_graph``, or through second derivatives). The
same source on both libraries must give the same values, the same gradients, and the same
errors (both raise at the same line, or neither does). A failing program prints as source
that a reader can paste under ``import torch as lib`` or ``import chainrule as lib``.

Ops come in layers, each switched on on top of the previous ones:

- ``PURE``: elementwise and reducing ops with broadcasting and fan-out (a value used twice).
- ``VIEWS``: views (slices, reshape, transpose, squeeze, unbind) and in-place ops on
  intermediates that are neither views nor viewed.
- ``INPLACE_VIEWS``: in-place ops through views, on bases that have views, and on leaves.

    >>> program = Program(((2,),), (True,), (Step("exp", 0, 0, 0),), "backward", seed=0)
    >>> print(program.source(PURE))
    v1 = v0.exp()
    loss = (v0 * weight(v0)).sum() + (v1 * weight(v1)).sum()
    loss.backward()
"""

from __future__ import annotations

import contextlib
import os
import re
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from gradcheck_util import central_differences, finite_scale
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

import chainrule as cr

PURE, VIEWS, INPLACE_VIEWS = 0, 1, 2
LAYERS = [
    pytest.param(PURE, id="pure"),
    pytest.param(VIEWS, id="views"),
    pytest.param(INPLACE_VIEWS, id="inplace_through_views"),
]
Shape = tuple[int, ...]
# Mutually broadcastable input shapes around (2, 3).
SHAPES: tuple[Shape, ...] = ((), (3,), (1, 3), (2, 1), (2, 3), (2, 2, 3))
ENDINGS = ("backward", "retain_graph", "second_order")


# ----------------------------------------------------------------------------- ops
@dataclass(frozen=True)
class Op:
    """One kind of line. ``code(a, b, p, shape_a, shape_b)`` writes it for operand names
    ``a`` (and ``b``, for binary ops) and a small integer ``p`` that picks a variant;
    ``fits(shape_a, shape_b)`` says which operands it accepts."""

    layer: int
    code: Callable[..., str]
    binary: bool = False
    fits: Callable[[Shape, Shape], bool] = lambda a, b: True
    kind: str = "value"  # "value": makes a new value; "view": a view of a; "inplace": changes a


def _broadcasts(a: Shape, b: Shape) -> bool:
    try:
        np.broadcast_shapes(a, b)
    except ValueError:
        return False
    return True


def _into(a: Shape, b: Shape) -> bool:
    """b broadcasts into a's shape (an in-place op on a keeps its shape)."""
    return _broadcasts(a, b) and np.broadcast_shapes(a, b) == a


def _has_dims(a: Shape, b: Shape = ()) -> bool:
    return len(a) >= 1 and a[0] >= 1


def _dim(p: int, shape: Shape) -> int:
    return p % len(shape)


def _slice(p: int, shape: Shape) -> str:
    """A basic index of the first dimension: an int, a slice or a strided slice."""
    n = shape[0]
    return [f"{p % n}", f"{p % n}:", f":{1 + p % n}", "::2", f"{-1 - p % n}"][p % 5]


def _square(a: str, shape: Shape) -> str:
    """A symmetric positive definite matrix (a stack of them) made from ``a``: ``a a^T + D``,
    ``D`` the diagonal 1, 2, ..., n. Not ``+ I``: a thin ``a``'s ``a a^T`` has the eigenvalue 0
    several times, and ``a a^T + I`` the eigenvalue 1 several times exactly, where the
    derivatives of eigh's rules divide by their differences (0 or a rounding's 1e-16, by each
    LAPACK's rounding: chainrule's nan, PyTorch's finite, found by a long search)."""
    return f"({a} @ {a}.mT + {_diagonal(shape[-2], shape[-2])})"


def _diagonal(rows: int, columns: int) -> str:
    """The rows x columns matrix with 1, 2, 3, ... on its diagonal."""
    return (
        f"(lib.eye({rows}, {columns}, dtype=lib.float64)"
        f" * lib.arange(1.0, {columns + 1}, dtype=lib.float64))"
    )


def _full_rank(a: str, shape: Shape) -> str:
    """``a`` plus the diagonal 1, 2, 3, ...: a matrix whose singular values are apart and
    not 0 (svdvals' and pinv's derivatives divide by their differences, and pinv jumps where
    the rank changes); ``a`` alone is often rank-deficient (repeated rows from a gather, a
    row of zeros from layer_norm of equal values), where PyTorch's second derivatives are nan
    and chainrule's finite (right, by finite differences, only because its smallest singular
    value came out 1.8e-16, not 0: found by a long search)."""
    return f"({a} + {_diagonal(shape[-2], shape[-1])})"


def _picks(a: str, shape: Shape) -> str:
    """Indices into ``a``'s last dimension that depend on its values (repeats among them)."""
    return f"(({a}.detach().abs() * 7).long() % {shape[-1]})"


def _reversal(a: str, shape: Shape) -> str:
    """Each row's indices into the last dimension, reversed: a permutation (no repeats)."""
    return f"lib.arange({shape[-1] - 1}, -1, -1).expand({tuple(shape)}).contiguous()"


def _same(a: Shape, b: Shape) -> bool:
    return a == b and len(a) >= 1


def _matrices(a: Shape, b: Shape = ()) -> bool:
    return len(a) >= 2


def _last_at_least(n: int) -> Callable[[Shape, Shape], bool]:
    return lambda a, b: len(a) >= 1 and a[-1] >= n


SCALARS = (2.5, -0.5, 3.0, 0.25)
PAD_MODES = ("reflect", "replicate", "circular")
OPS: dict[str, Op] = {
    # --- PURE: elementwise (a value used by several ops: fan-out), broadcasting, reductions
    "exp": Op(PURE, lambda a, b, p, sa, sb: f"{a}.exp()"),
    "sin": Op(PURE, lambda a, b, p, sa, sb: f"{a}.sin()"),
    "tanh": Op(PURE, lambda a, b, p, sa, sb: f"{a}.tanh()"),
    "sigmoid": Op(PURE, lambda a, b, p, sa, sb: f"{a}.sigmoid()"),
    "square": Op(PURE, lambda a, b, p, sa, sb: f"{a}.square()"),
    "abs": Op(PURE, lambda a, b, p, sa, sb: f"{a}.abs()"),
    "relu": Op(PURE, lambda a, b, p, sa, sb: f"{a}.relu()"),
    "log1p_square": Op(PURE, lambda a, b, p, sa, sb: f"({a} * {a}).log1p()"),
    "neg": Op(PURE, lambda a, b, p, sa, sb: f"-{a}"),
    "scale": Op(PURE, lambda a, b, p, sa, sb: f"{a} * {SCALARS[p % 4]}"),
    "shift": Op(PURE, lambda a, b, p, sa, sb: f"{SCALARS[p % 4]} - {a}"),
    "power": Op(PURE, lambda a, b, p, sa, sb: f"{a} ** {2 + p % 2}"),
    "add": Op(PURE, lambda a, b, p, sa, sb: f"{a} + {b}", True, _broadcasts),
    "sub": Op(PURE, lambda a, b, p, sa, sb: f"{a} - {b}", True, _broadcasts),
    "mul": Op(PURE, lambda a, b, p, sa, sb: f"{a} * {b}", True, _broadcasts),
    "div": Op(PURE, lambda a, b, p, sa, sb: f"{a} / (1 + {b} * {b})", True, _broadcasts),
    "maximum": Op(PURE, lambda a, b, p, sa, sb: f"lib.maximum({a}, {b})", True, _broadcasts),
    "minimum": Op(PURE, lambda a, b, p, sa, sb: f"lib.minimum({a}, {b})", True, _broadcasts),
    "where": Op(PURE, lambda a, b, p, sa, sb: f"lib.where({a} > {b}, {a}, {b})", True, _broadcasts),
    "sum": Op(PURE, lambda a, b, p, sa, sb: f"{a}.sum()"),
    "sum_dim": Op(
        PURE,
        lambda a, b, p, sa, sb: f"{a}.sum({_dim(p, sa)}, keepdim={p % 2 == 1})",
        fits=_has_dims,
    ),
    "mean_dim": Op(PURE, lambda a, b, p, sa, sb: f"{a}.mean({_dim(p, sa)})", fits=_has_dims),
    "amax_dim": Op(PURE, lambda a, b, p, sa, sb: f"{a}.amax({_dim(p, sa)})", fits=_has_dims),
    "softmax": Op(PURE, lambda a, b, p, sa, sb: f"{a}.softmax({_dim(p, sa)})", fits=_has_dims),
    "logsumexp": Op(PURE, lambda a, b, p, sa, sb: f"{a}.logsumexp({_dim(p, sa)})", fits=_has_dims),
    "cumsum": Op(PURE, lambda a, b, p, sa, sb: f"{a}.cumsum({_dim(p, sa)})", fits=_has_dims),
    "cumprod": Op(PURE, lambda a, b, p, sa, sb: f"{a}.cumprod({_dim(p, sa)})", fits=_has_dims),
    "prod_dim": Op(PURE, lambda a, b, p, sa, sb: f"{a}.prod({_dim(p, sa)})", fits=_has_dims),
    "var": Op(PURE, lambda a, b, p, sa, sb: f"{a}.var()"),
    "std_dim": Op(
        PURE, lambda a, b, p, sa, sb: f"{a}.std({_dim(p, sa)}, correction=0)", fits=_has_dims
    ),
    "norm": Op(PURE, lambda a, b, p, sa, sb: f"{a}.norm()"),
    "clamp": Op(PURE, lambda a, b, p, sa, sb: f"{a}.clamp(-0.5, 1.0)"),
    "atan2": Op(PURE, lambda a, b, p, sa, sb: f"lib.atan2({a}, {b})", True, _broadcasts),
    "hypot": Op(PURE, lambda a, b, p, sa, sb: f"lib.hypot({a}, {b})", True, _broadcasts),
    "lerp": Op(PURE, lambda a, b, p, sa, sb: f"lib.lerp({a}, {b}, 0.3)", True, _broadcasts),
    "erf": Op(PURE, lambda a, b, p, sa, sb: f"{a}.erf()"),
    "softplus": Op(PURE, lambda a, b, p, sa, sb: f"lib.nn.functional.softplus({a})"),
    "gelu": Op(PURE, lambda a, b, p, sa, sb: f"lib.nn.functional.gelu({a})"),
    "flip": Op(PURE, lambda a, b, p, sa, sb: f"{a}.flip({_dim(p, sa)})", fits=_has_dims),
    "roll": Op(PURE, lambda a, b, p, sa, sb: f"{a}.roll(1, {_dim(p, sa)})", fits=_has_dims),
    "max_dim": Op(PURE, lambda a, b, p, sa, sb: f"{a}.max({_dim(p, sa)}).values", fits=_has_dims),
    "sort": Op(PURE, lambda a, b, p, sa, sb: f"{a}.sort({_dim(p, sa)}).values", fits=_has_dims),
    "log_softmax": Op(
        PURE, lambda a, b, p, sa, sb: f"{a}.log_softmax({_dim(p, sa)})", fits=_has_dims
    ),
    "tril": Op(PURE, lambda a, b, p, sa, sb: f"{a}.tril()", fits=lambda a, b: len(a) >= 2),
    "cat": Op(
        PURE,
        lambda a, b, p, sa, sb: f"lib.cat([{a}, {b}], 0)",
        True,
        lambda a, b: len(a) >= 1 and len(a) == len(b) and a[1:] == b[1:],
    ),
    "stack": Op(PURE, lambda a, b, p, sa, sb: f"lib.stack([{a}, {b}])", True, lambda a, b: a == b),
    "outer": Op(
        PURE,
        lambda a, b, p, sa, sb: f"lib.einsum('...i,...j->...ij', {a}, {b})",
        True,
        lambda a, b: len(a) >= 1 and len(b) >= 1 and _broadcasts(a[:-1], b[:-1]),
    ),
    "matmul": Op(
        PURE,
        lambda a, b, p, sa, sb: f"{a} @ {b}.mT",
        True,
        lambda a, b: len(a) >= 2 and len(b) >= 2 and a[-1] == b[-1] and _broadcasts(a[:-2], b[:-2]),
    ),
    # elementwise functions of one value, their kinks and removable singularities (sinc at 0)
    "sqrt": Op(PURE, lambda a, b, p, sa, sb: f"(1 + {a} * {a}).sqrt()"),
    "rsqrt": Op(PURE, lambda a, b, p, sa, sb: f"(0.5 + {a} * {a}).rsqrt()"),
    "reciprocal": Op(PURE, lambda a, b, p, sa, sb: f"(1 + {a} * {a}).reciprocal()"),
    "sinh": Op(PURE, lambda a, b, p, sa, sb: f"{a}.sinh()"),
    "cosh": Op(PURE, lambda a, b, p, sa, sb: f"{a}.cosh()"),
    "atan": Op(PURE, lambda a, b, p, sa, sb: f"{a}.atan()"),
    "asinh": Op(PURE, lambda a, b, p, sa, sb: f"{a}.asinh()"),
    "expm1": Op(PURE, lambda a, b, p, sa, sb: f"{a}.expm1()"),
    # sinc off 0, where PyTorch's second derivative is nan and chainrule's -pi^2 / 3
    "sinc": Op(PURE, lambda a, b, p, sa, sb: f"({a} + 0.5).sinc()"),
    # logit of values in [0.05, 0.95]: of a sigmoid near 1 it magnifies the last bits
    "logit": Op(PURE, lambda a, b, p, sa, sb: f"({a}.tanh() * 0.45 + 0.5).logit()"),
    "erfinv": Op(PURE, lambda a, b, p, sa, sb: f"({a}.tanh() * 0.9).erfinv()"),
    "lgamma": Op(PURE, lambda a, b, p, sa, sb: f"(1 + {a} * {a}).lgamma()"),
    "digamma": Op(PURE, lambda a, b, p, sa, sb: f"(1 + {a} * {a}).digamma()"),
    "silu": Op(PURE, lambda a, b, p, sa, sb: f"lib.nn.functional.silu({a})"),
    "elu": Op(PURE, lambda a, b, p, sa, sb: f"lib.nn.functional.elu({a})"),
    "leaky_relu": Op(PURE, lambda a, b, p, sa, sb: f"lib.nn.functional.leaky_relu({a}, 0.1)"),
    "hardtanh": Op(PURE, lambda a, b, p, sa, sb: f"lib.nn.functional.hardtanh({a})"),
    "logsigmoid": Op(PURE, lambda a, b, p, sa, sb: f"lib.nn.functional.logsigmoid({a})"),
    "mish": Op(PURE, lambda a, b, p, sa, sb: f"lib.nn.functional.mish({a})"),
    "hardswish": Op(PURE, lambda a, b, p, sa, sb: f"lib.nn.functional.hardswish({a})"),
    # binary elementwise
    "logaddexp": Op(PURE, lambda a, b, p, sa, sb: f"lib.logaddexp({a}, {b})", True, _broadcasts),
    "xlogy": Op(PURE, lambda a, b, p, sa, sb: f"lib.xlogy({a}, 1 + {b} * {b})", True, _broadcasts),
    "clamp_tensor": Op(PURE, lambda a, b, p, sa, sb: f"{a}.clamp(min={b})", True, _broadcasts),
    "addcdiv": Op(
        PURE,
        lambda a, b, p, sa, sb: f"lib.addcdiv({a}, {b}, 1 + {b} * {b}, value=0.5)",
        True,
        _broadcasts,
    ),
    # reductions and scans
    "logcumsumexp": Op(
        PURE, lambda a, b, p, sa, sb: f"{a}.logcumsumexp({_dim(p, sa)})", fits=_has_dims
    ),
    "cummax": Op(PURE, lambda a, b, p, sa, sb: f"{a}.cummax({_dim(p, sa)}).values", fits=_has_dims),
    "topk": Op(PURE, lambda a, b, p, sa, sb: f"{a}.topk(1, {_dim(p, sa)}).values", fits=_has_dims),
    "median_dim": Op(
        PURE, lambda a, b, p, sa, sb: f"{a}.median({_dim(p, sa)}).values", fits=_has_dims
    ),
    "quantile": Op(
        PURE, lambda a, b, p, sa, sb: f"{a}.quantile(0.3, {_dim(p, sa)})", fits=_has_dims
    ),
    "nanmean": Op(PURE, lambda a, b, p, sa, sb: f"{a}.nanmean()"),
    "trace": Op(PURE, lambda a, b, p, sa, sb: f"{a}.trace()", fits=lambda a, b: len(a) == 2),
    "diff": Op(PURE, lambda a, b, p, sa, sb: f"{a}.diff(dim=-1)", fits=_last_at_least(2)),
    "trapezoid": Op(PURE, lambda a, b, p, sa, sb: f"lib.trapezoid({a})", fits=_last_at_least(2)),
    "vector_norm_3": Op(PURE, lambda a, b, p, sa, sb: f"lib.linalg.vector_norm({a}, 3)"),
    # gathering, scattering and indexing (copies, not views)
    "gather": Op(PURE, lambda a, b, p, sa, sb: f"{a}.gather(-1, {_picks(a, sa)})", fits=_has_dims),
    "take_along_dim": Op(
        PURE,
        lambda a, b, p, sa, sb: f"lib.take_along_dim({a}, {_picks(a, sa)}, -1)",
        fits=_has_dims,
    ),
    "index_select": Op(
        PURE,
        lambda a, b, p, sa, sb: f"{a}.index_select(0, lib.tensor([{p % sa[0]}, 0, {p % sa[0]}]))",
        fits=_has_dims,
    ),
    "index_tensor": Op(
        PURE, lambda a, b, p, sa, sb: f"{a}[lib.tensor([0, {p % sa[0]}])]", fits=_has_dims
    ),
    "index_mask": Op(
        PURE, lambda a, b, p, sa, sb: f"{a}[lib.arange({sa[0]}) % 2 == 0]", fits=_has_dims
    ),
    "scatter_add": Op(
        PURE,
        lambda a, b, p, sa, sb: f"{a}.scatter_add(-1, {_picks(b, sb)}, {b} * 2)",
        True,
        _same,
    ),
    "scatter": Op(
        PURE,
        lambda a, b, p, sa, sb: f"{a}.scatter(-1, {_reversal(b, sb)}, {b})",
        True,
        _same,
    ),
    "masked_select": Op(
        PURE,
        lambda a, b, p, sa, sb: f"{a}.masked_select(lib.arange({sa[-1]}) % 2 == 0)",
        fits=_has_dims,
    ),
    "repeat": Op(
        PURE,
        lambda a, b, p, sa, sb: f"{a}.repeat({', '.join(['2'] + ['1'] * (len(sa) - 1))})",
        fits=_has_dims,
    ),
    "repeat_interleave": Op(
        PURE, lambda a, b, p, sa, sb: f"{a}.repeat_interleave(2, dim=0)", fits=_has_dims
    ),
    "pad": Op(
        PURE,
        lambda a, b, p, sa, sb: f"lib.nn.functional.pad({a}, (1, 1), mode='{PAD_MODES[p % 3]}')",
        fits=lambda a, b: len(a) in (2, 3) and a[-1] >= 2,
    ),
    "pad_constant": Op(
        PURE,
        lambda a, b, p, sa, sb: f"lib.nn.functional.pad({a}, (1, 2), value=0.5)",
        fits=_has_dims,
    ),
    # nn functions of several elements
    "normalize": Op(
        PURE,
        lambda a, b, p, sa, sb: f"lib.nn.functional.normalize({a}, dim={_dim(p, sa)})",
        fits=_has_dims,
    ),
    "layer_norm": Op(
        PURE,
        lambda a, b, p, sa, sb: f"lib.nn.functional.layer_norm({a}, {a}.shape[-1:])",
        fits=_last_at_least(2),
    ),
    "cosine_similarity": Op(
        PURE,
        lambda a, b, p, sa, sb: f"lib.nn.functional.cosine_similarity({a}, {b}, dim=-1)",
        True,
        lambda a, b: len(a) >= 1 and len(b) >= 1 and _broadcasts(a, b),
    ),
    "mse_loss": Op(
        PURE, lambda a, b, p, sa, sb: f"lib.nn.functional.mse_loss({a}, {b})", True, _same
    ),
    "huber_loss": Op(
        PURE,
        lambda a, b, p, sa, sb: f"lib.nn.functional.huber_loss({a}, {b}, delta=0.5)",
        True,
        _same,
    ),
    "bce_with_logits": Op(
        PURE,
        lambda a, b, p, sa, sb: (
            f"lib.nn.functional.binary_cross_entropy_with_logits({a}, {b}.sigmoid())"
        ),
        True,
        _same,
    ),
    "kl_div": Op(
        PURE,
        lambda a, b, p, sa, sb: (
            f"lib.nn.functional.kl_div({a}.log_softmax(-1), {b}.softmax(-1), reduction='batchmean')"
        ),
        True,
        _same,
    ),
    "conv1d": Op(
        PURE,
        lambda a, b, p, sa, sb: (
            f"lib.nn.functional.conv1d({a}.reshape(1, 1, -1), {b}.reshape(1, 1, -1),"
            f" padding={p % 2})"
        ),
        True,
        lambda a, b: 1 <= int(np.prod(b)) <= int(np.prod(a)),
    ),
    "max_pool1d": Op(
        PURE,
        lambda a, b, p, sa, sb: f"lib.nn.functional.max_pool1d({a}.reshape(1, 1, -1), 2)",
        fits=lambda a, b: int(np.prod(a)) >= 2,
    ),
    "avg_pool1d": Op(
        PURE,
        lambda a, b, p, sa, sb: (
            f"lib.nn.functional.avg_pool1d({a}.reshape(1, 1, -1), 2, padding=1)"
        ),
        fits=lambda a, b: int(np.prod(a)) >= 2,
    ),
    "cross": Op(
        PURE,
        lambda a, b, p, sa, sb: f"lib.linalg.cross({a}, {b} * {b})",
        True,
        lambda a, b: len(a) == len(b) >= 1 and a[-1] == b[-1] == 3 and _broadcasts(a, b),
    ),
    "bmm": Op(
        PURE,
        lambda a, b, p, sa, sb: f"lib.bmm({a}, {b}.mT)",
        True,
        lambda a, b: len(a) == len(b) == 3 and a[0] == b[0] and a[-1] == b[-1],
    ),
    # linear algebra on symmetric positive definite matrices made from a value
    "det": Op(PURE, lambda a, b, p, sa, sb: f"lib.linalg.det({_square(a, sa)})", fits=_matrices),
    "slogdet": Op(
        PURE,
        lambda a, b, p, sa, sb: f"lib.linalg.slogdet({_square(a, sa)}).logabsdet",
        fits=_matrices,
    ),
    "inv": Op(PURE, lambda a, b, p, sa, sb: f"lib.linalg.inv({_square(a, sa)})", fits=_matrices),
    "solve": Op(
        PURE,
        lambda a, b, p, sa, sb: f"lib.linalg.solve({_square(a, sa)}, {a})",
        fits=_matrices,
    ),
    "cholesky": Op(
        PURE, lambda a, b, p, sa, sb: f"lib.linalg.cholesky({_square(a, sa)})", fits=_matrices
    ),
    "eigvalsh": Op(
        PURE, lambda a, b, p, sa, sb: f"lib.linalg.eigvalsh({_square(a, sa)})", fits=_matrices
    ),
    "svdvals": Op(
        PURE, lambda a, b, p, sa, sb: f"lib.linalg.svdvals({_full_rank(a, sa)})", fits=_matrices
    ),
    "matrix_exp": Op(
        PURE,
        lambda a, b, p, sa, sb: f"lib.linalg.matrix_exp({a}.tanh() @ {a}.tanh().mT * 0.3)",
        fits=_matrices,
    ),
    "pinv": Op(
        PURE, lambda a, b, p, sa, sb: f"lib.linalg.pinv({_full_rank(a, sa)})", fits=_matrices
    ),
    # --- VIEWS: views, and in-place ops on values that are neither views nor viewed
    "getitem": Op(
        VIEWS, lambda a, b, p, sa, sb: f"{a}[{_slice(p, sa)}]", fits=_has_dims, kind="view"
    ),
    "last_dim_step": Op(
        VIEWS, lambda a, b, p, sa, sb: f"{a}[..., ::2]", fits=_has_dims, kind="view"
    ),
    "transpose": Op(
        VIEWS,
        lambda a, b, p, sa, sb: f"{a}.transpose(0, -1)",
        fits=lambda a, b: len(a) >= 2,
        kind="view",
    ),
    "reshape": Op(VIEWS, lambda a, b, p, sa, sb: f"{a}.reshape(-1)", kind="view"),
    "view": Op(VIEWS, lambda a, b, p, sa, sb: f"{a}.view(-1)", kind="view"),
    "unsqueeze": Op(
        VIEWS, lambda a, b, p, sa, sb: f"{a}.unsqueeze({p % (len(sa) + 1)})", kind="view"
    ),
    "squeeze": Op(VIEWS, lambda a, b, p, sa, sb: f"{a}.squeeze()", kind="view"),
    "diagonal": Op(
        VIEWS,
        lambda a, b, p, sa, sb: f"{a}.diagonal()",
        fits=lambda a, b: len(a) >= 2,
        kind="view",
    ),
    "narrow": Op(
        VIEWS, lambda a, b, p, sa, sb: f"{a}.narrow(0, {p % sa[0]}, 1)", fits=_has_dims, kind="view"
    ),
    "permute": Op(
        VIEWS,
        lambda a, b, p, sa, sb: f"{a}.permute(*reversed(range({a}.dim())))",
        fits=lambda a, b: len(a) >= 1,
        kind="view",
    ),
    "select": Op(
        VIEWS, lambda a, b, p, sa, sb: f"{a}.select(-1, {p % sa[-1]})", fits=_has_dims, kind="view"
    ),
    "addcmul_": Op(
        VIEWS, lambda a, b, p, sa, sb: f"{a}.addcmul_({b}, {b}, value=0.5)", True, _into, "inplace"
    ),
    "lerp_": Op(VIEWS, lambda a, b, p, sa, sb: f"{a}.lerp_({b}, 0.25)", True, _into, "inplace"),
    "exp_": Op(VIEWS, lambda a, b, p, sa, sb: f"{a}.exp_()", kind="inplace"),
    "sigmoid_": Op(VIEWS, lambda a, b, p, sa, sb: f"{a}.sigmoid_()", kind="inplace"),
    "masked_fill_": Op(
        VIEWS, lambda a, b, p, sa, sb: f"{a}.masked_fill_({a} > 0.5, 0.25)", kind="inplace"
    ),
    "index_add_": Op(
        VIEWS,
        lambda a, b, p, sa, sb: f"{a}.index_add_(0, lib.tensor([0]), {a}[:1] * 2)",
        fits=_has_dims,
        kind="inplace",
    ),
    "unbind": Op(
        VIEWS,
        lambda a, b, p, sa, sb: f"{a}.unbind(0)[{p % sa[0]}]",
        fits=_has_dims,
        kind="view",
    ),
    "split": Op(
        VIEWS,
        lambda a, b, p, sa, sb: f"{a}.split(1, 0)[{p % sa[0]}]",
        fits=_has_dims,
        kind="view",
    ),
    "chunk": Op(
        VIEWS,
        lambda a, b, p, sa, sb: f"{a}.chunk(2, -1)[{p % 2 if sa[-1] > 1 else 0}]",
        fits=_has_dims,
        kind="view",
    ),
    "unfold": Op(
        VIEWS, lambda a, b, p, sa, sb: f"{a}.unfold(-1, 2, 1)", fits=_last_at_least(2), kind="view"
    ),
    "t": Op(VIEWS, lambda a, b, p, sa, sb: f"{a}.t()", fits=lambda a, b: len(a) <= 2, kind="view"),
    "movedim": Op(
        VIEWS, lambda a, b, p, sa, sb: f"{a}.movedim(0, -1)", fits=_has_dims, kind="view"
    ),
    "unflatten": Op(
        VIEWS,
        lambda a, b, p, sa, sb: f"{a}.unflatten(-1, (1, {sa[-1]}))",
        fits=_has_dims,
        kind="view",
    ),
    "flatten": Op(VIEWS, lambda a, b, p, sa, sb: f"{a}.flatten()", kind="view"),
    "relu_": Op(VIEWS, lambda a, b, p, sa, sb: f"{a}.relu_()", kind="inplace"),
    "abs_": Op(VIEWS, lambda a, b, p, sa, sb: f"{a}.abs_()", kind="inplace"),
    "tanh_": Op(VIEWS, lambda a, b, p, sa, sb: f"{a}.tanh_()", kind="inplace"),
    "pow_": Op(VIEWS, lambda a, b, p, sa, sb: f"{a}.pow_(2)", kind="inplace"),
    "clamp_min_": Op(VIEWS, lambda a, b, p, sa, sb: f"{a}.clamp_min_(0.1)", kind="inplace"),
    "addcdiv_": Op(
        VIEWS,
        lambda a, b, p, sa, sb: f"{a}.addcdiv_({b}, 1 + {b} * {b}, value=0.5)",
        True,
        _into,
        "inplace",
    ),
    "index_fill_": Op(
        VIEWS,
        lambda a, b, p, sa, sb: f"{a}.index_fill_(0, lib.tensor([{p % sa[0]}]), 0.5)",
        fits=_has_dims,
        kind="inplace",
    ),
    "index_copy_": Op(
        VIEWS,
        lambda a, b, p, sa, sb: f"{a}.index_copy_(0, lib.tensor([0]), {a}[-1:] * 3)",
        fits=_has_dims,
        kind="inplace",
    ),
    "scatter_add_": Op(
        VIEWS,
        lambda a, b, p, sa, sb: f"{a}.scatter_add_(-1, {_picks(b, sb)}, {b} * 2)",
        True,
        _same,
        "inplace",
    ),
    "scatter_": Op(
        VIEWS,
        lambda a, b, p, sa, sb: f"{a}.scatter_(-1, {_reversal(b, sb)}, {b})",
        True,
        _same,
        "inplace",
    ),
    "masked_scatter_": Op(
        VIEWS,
        lambda a, b, p, sa, sb: f"{a}.masked_scatter_({a} > 0.5, {b} * 3)",
        True,
        _same,
        "inplace",
    ),
    "setitem_tensor": Op(
        VIEWS,
        # distinct indices: a place written twice gets its value's gradient twice in both
        # libraries (where it was written once), and PyTorch's hvp four times
        lambda a, b, p, sa, sb: f"{a}[lib.tensor({sorted({0, p % sa[0]})})] = {b}.sum()",
        True,
        _has_dims,
        "inplace",
    ),
    "setitem_mask": Op(
        VIEWS, lambda a, b, p, sa, sb: f"{a}[{a} > 0.5] = 0.25", fits=_has_dims, kind="inplace"
    ),
    "tril_": Op(VIEWS, lambda a, b, p, sa, sb: f"{a}.tril_()", fits=_matrices, kind="inplace"),
    "fill_diagonal_": Op(
        VIEWS,
        lambda a, b, p, sa, sb: f"{a}.fill_diagonal_(0.5)",
        fits=lambda a, b: len(a) == 2,
        kind="inplace",
    ),
    "add_": Op(VIEWS, lambda a, b, p, sa, sb: f"{a}.add_({b})", True, _into, "inplace"),
    "sub_": Op(VIEWS, lambda a, b, p, sa, sb: f"{a}.sub_({b}, alpha=2)", True, _into, "inplace"),
    "mul_": Op(VIEWS, lambda a, b, p, sa, sb: f"{a}.mul_({b})", True, _into, "inplace"),
    "div_": Op(VIEWS, lambda a, b, p, sa, sb: f"{a}.div_(1 + {b} * {b})", True, _into, "inplace"),
    "mul_scalar_": Op(VIEWS, lambda a, b, p, sa, sb: f"{a}.mul_({SCALARS[p % 4]})", kind="inplace"),
    "clamp_": Op(VIEWS, lambda a, b, p, sa, sb: f"{a}.clamp_(-0.5, 1.0)", kind="inplace"),
    "fill_": Op(VIEWS, lambda a, b, p, sa, sb: f"{a}.fill_({SCALARS[p % 4]})", kind="inplace"),
    "zero_": Op(VIEWS, lambda a, b, p, sa, sb: f"{a}.zero_()", kind="inplace"),
    "copy_": Op(VIEWS, lambda a, b, p, sa, sb: f"{a}.copy_({b})", True, _into, "inplace"),
    "iadd": Op(VIEWS, lambda a, b, p, sa, sb: f"{a} += {b}", True, _into, "inplace"),
    "setitem": Op(
        VIEWS,
        lambda a, b, p, sa, sb: f"{a}[{_slice(p, sa)}] = {b}.sum()",
        True,
        _has_dims,  # any b: its sum is written
        "inplace",
    ),
}


# ----------------------------------------------------------------------------- programs
@dataclass(frozen=True)
class Step:
    """One line: an op and three small integers (the operands, picked among the values that
    fit, and the variant), so that any draw makes a valid program and shrinks well."""

    op: str
    a: int
    b: int
    p: int


@dataclass
class _Slot:
    shape: Shape
    leaf: bool = False
    base: int | None = None  # the value it is a view of (the root, as PyTorch's ._base)
    viewed: bool = False  # some view of it exists


@dataclass(frozen=True)
class Program:
    shapes: tuple[Shape, ...]  # one input each; values drawn from ``seed``
    requires_grad: tuple[bool, ...]
    steps: tuple[Step, ...]
    ending: str  # one of ENDINGS
    seed: int
    _lines: dict[int, list[str]] = field(default_factory=dict, compare=False, repr=False)

    def inputs(self) -> list[np.ndarray]:
        """The input values: three decimals (printable exactly), distinct and nonzero."""
        rng = np.random.default_rng(self.seed)
        return [np.round(rng.uniform(-2, 2, shape), 3) + 1e-4 for shape in self.shapes]

    def case(self, layer: int) -> tuple[list[str], list[np.ndarray], tuple[bool, ...]]:
        """What :func:`run` and :func:`differences` take: lines, inputs, ``requires_grad``."""
        return self.lines(layer), self.inputs(), self.requires_grad

    def source(self, layer: int) -> str:
        return "\n".join(self.lines(layer))

    def lines(self, layer: int) -> list[str]:
        """The program's lines, with ops above ``layer`` (and steps nothing fits) left out."""
        if layer not in self._lines:
            self._lines[layer] = list(self._build(layer))
        return self._lines[layer]

    def _build(self, layer: int) -> Iterator[str]:
        slots = [_Slot(s, leaf=True) for s in self.shapes]
        for step in self.steps:
            op = OPS[step.op]
            if op.layer > layer:
                continue
            targets = [i for i, s in enumerate(slots) if _may_change(op, s, layer)]
            a = _pick(targets, step.a)
            if a is None:
                continue
            b = _pick([i for i, s in enumerate(slots) if op.fits(slots[a].shape, s.shape)], step.b)
            if b is None:
                continue
            line = op.code(f"v{a}", f"v{b}", step.p, slots[a].shape, slots[b].shape)
            if op.kind == "inplace":
                yield line
                continue
            shape = _shape_of(line, [s.shape for s in slots])
            base = None
            if op.kind == "view":
                base = slots[a].base if slots[a].base is not None else a
                slots[base].viewed = True
            slots.append(_Slot(shape, base=base))
            yield f"v{len(slots) - 1} = {line}"
        # The last two values: the one before the last often feeds it too (fan-out).
        outputs = sorted({len(slots) - 1, max(len(slots) - 2, 0)})
        yield "loss = " + " + ".join(f"(v{i} * weight(v{i})).sum()" for i in outputs)
        if self.ending == "retain_graph":
            yield "loss.backward(retain_graph=True)"
            yield "loss.backward()"
        elif self.ending == "second_order":
            yield "grads = lib.autograd.grad(loss, leaves, create_graph=True, allow_unused=True)"
            # + 0 * x: where the first derivative is piecewise constant (relu, abs), PyTorch
            # still records it as a function of x (second derivative 0), chainrule as a
            # constant (autograd.grad then raises); reported, and kept out of the comparison.
            yield (
                "inner = sum((g * weight(g)).sum() for g in grads if g is not None)"
                " + sum(0 * x.sum() for x in leaves)"
            )
            yield "second = lib.autograd.grad(inner, leaves, allow_unused=True)"
        else:
            yield "loss.backward()"


def _may_change(op: Op, slot: _Slot, layer: int) -> bool:
    """Whether ``op`` may take this value as its first operand (``a``)."""
    if not op.fits(slot.shape, slot.shape):  # every op that fits a at all fits (a, a)
        return False
    if op.kind != "inplace":
        return True
    if layer >= INPLACE_VIEWS:  # views (of leaves too: PyTorch's error) and viewed bases
        return not slot.leaf  # in place on a leaf itself: test_inplace_and_versions.py
    return not (slot.leaf or slot.base is not None or slot.viewed)


def _pick(candidates: list[int], k: int) -> int | None:
    return candidates[k % len(candidates)] if candidates else None


def _shape_of(expression: str, shapes: list[Shape]) -> Shape:
    """The shape ``expression`` gives, found by running it on zeros in NumPy-backed chainrule."""
    names = {f"v{i}": cr.zeros(s, dtype=cr.float64) for i, s in enumerate(shapes)}
    with cr.no_grad():
        return tuple(eval(expression, {"lib": cr}, names).shape)  # our own generated source


# ----------------------------------------------------------------------------- running
class UndefinedOrder(Exception):
    """An in-place op whose operand shares part of its target's memory where PyTorch's overlap
    check cannot tell how (either tensor is not dense): PyTorch then writes in its kernel's
    loop order (a (2, 2) ``y.add_(y[..., ::2])`` adds the new ``y[:, 0]`` to ``y[:, 1]``),
    chainrule reads every operand before it writes (NumPy buffers an overlap). Neither is a
    promise, so such a program is not compared (test_torch_view_inplace_fuzz_cases names the
    difference). So is an in-place op on a target whose elements share memory (an ``unfold``
    view of overlapping windows): PyTorch's kernel changes a shared element once per window,
    each time from the value the last one left (``add_(1)`` adds 2 to it), chainrule's once."""


# an in-place line and what follows its target: "v2.add_(v3)", "v2.lerp_(v3, 0.25)", "v2 += v3"
_INPLACE_OPERANDS = re.compile(r"^(v\d+)(?:\.\w+_\(| \+= )(.*)$")
_NAME = re.compile(r"\bv\d+\b")
# any in-place line: "v2.exp_()", "v2 += v3", "v2[0] = ..."
_INPLACE_TARGET = re.compile(r"^(v\d+)(?:\.\w+_\(| \+= |\[)")


def _places(t: Any) -> np.ndarray:
    """The storage offsets of a PyTorch tensor's elements."""
    index = np.indices(tuple(t.shape)).reshape(t.dim(), t.numel())
    return t.storage_offset() + np.asarray(t.stride(), dtype=np.int64) @ index


def _overlap_order_undefined(target: Any, operand: Any) -> bool:
    """Whether PyTorch's ``target.op_(operand)`` reads ``operand`` in its loop order."""
    if target is operand or target.untyped_storage().data_ptr() != (
        operand.untyped_storage().data_ptr()
    ):
        return False
    a, b = _places(target), _places(operand)
    dense = all(len(np.unique(p)) == p.size == p.max() - p.min() + 1 for p in (a, b) if p.size)
    return bool(np.intersect1d(a, b).size) and not dense


@dataclass
class Outcome:
    """What one library did: the line that raised (and its message), else the final values
    of every named tensor and the gradients."""

    error_line: int | None = None
    error: str = ""
    values: dict[str, np.ndarray] = field(default_factory=dict)
    grads: dict[str, np.ndarray | None] = field(default_factory=dict)


def weights(shape: Shape) -> np.ndarray:
    """Fixed, unequal weights for the loss and the second-order direction: ``weight(v)``."""
    return np.cos(1.0 + np.arange(int(np.prod(shape, dtype=int)))).reshape(shape)


def run(
    lines: list[str],
    inputs: list[Any],
    requires_grad: tuple[bool, ...],
    lib: Any,
    keep: str | None = None,
) -> Outcome:
    """Run a program's ``lines`` on ``lib`` (``chainrule`` or ``torch``), one by one, with
    inputs ``v0, v1, ...`` holding ``inputs`` (float64); ``keep`` names one more value to
    return (the loss)."""
    names: dict[str, Any] = {"lib": lib, "weight": lambda v: lib.tensor(weights(tuple(v.shape)))}
    for i, (x, grad) in enumerate(zip(inputs, requires_grad, strict=True)):
        names[f"v{i}"] = lib.tensor(x, dtype=lib.float64, requires_grad=grad)
    leaves = [names[f"v{i}"] for i, grad in enumerate(requires_grad) if grad]
    names["leaves"] = leaves
    outcome = Outcome()
    for number, line in enumerate(lines):
        inplace = _INPLACE_OPERANDS.match(line) if lib.__name__ == "torch" else None
        if inplace and any(  # any tensor operand, not only the first (lerp_'s end, weight)
            _overlap_order_undefined(names[inplace[1]], names[v]) for v in _NAME.findall(inplace[2])
        ):
            raise UndefinedOrder(line)
        target = _INPLACE_TARGET.match(line) if lib.__name__ == "torch" else None
        if target and len(np.unique(places := _places(names[target[1]]))) < places.size:
            raise UndefinedOrder(line)  # an element written once per place that shares it
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                exec(line, names)  # the program's own generated source
        except Exception as error:  # any error: compared with the other library's
            outcome.error_line, outcome.error = number, f"{type(error).__name__}: {error}"
            return outcome
    for name, value in names.items():
        if (name[0] == "v" and name[1:].isdigit()) or name == keep:
            outcome.values[name] = _numpy(value)
    grads = names.get("second")
    if grads is None:
        grads = [x.grad for x in leaves]
    outcome.grads = {f"leaf {i}": None if g is None else _numpy(g) for i, g in enumerate(grads)}
    return outcome


def _numpy(t: Any) -> np.ndarray:
    # PyTorch returns some zero gradients as a ZeroTensor, which refuses plain numpy() (force
    # works for some, and crashes the process for others: a (2, 1, 2, 1) one from jacrev of
    # jacfwd, with a segmentation fault): its zeros are made here.
    if getattr(t, "_is_zerotensor", None) is not None and t._is_zerotensor():
        return np.zeros(tuple(t.shape))
    return np.array(t.detach().numpy(force=True), dtype=np.float64)


#: chainrule's refusals where PyTorch computes, each a clear error rather than a number, by
#: the words of the error: eigh of a matrix with nan in the triangle it reads (a var of one
#: element is nan). PyTorch's LAPACK answers nan for 1x1 and 2x2 matrices (finite eigenvalues
#: for some 2x2) and refuses from 3x3 on (test_torch_linalg_degenerate_cases).
KNOWN_REFUSALS = ("because the input matrix contained non-finite values",)


def differences(lines: list[str], inputs: list[Any], requires_grad: tuple[bool, ...]) -> list[str]:
    """How chainrule's run of a program differs from PyTorch's (empty: they agree); raises
    :class:`UndefinedOrder` for a program whose PyTorch values are its kernel's loop order, and
    :class:`RoundingDecides` for one whose PyTorch values are a rounding's."""
    import torch

    ours, theirs = (run(lines, inputs, requires_grad, lib) for lib in (cr, torch))

    def at(outcome: Outcome) -> str:
        return f"line {outcome.error_line + 1} ({lines[outcome.error_line]}): {outcome.error}"

    if ours.error_line != theirs.error_line:
        if ours.error_line is None:
            return [f"PyTorch raises at {at(theirs)}; chainrule does not"]
        # A known refusal where PyTorch goes on (to the end, or to an error of a later line)
        goes_on = theirs.error_line is None or theirs.error_line > ours.error_line
        if goes_on and any(words in ours.error for words in KNOWN_REFUSALS):
            return []
        if theirs.error_line is None:
            return [f"chainrule raises at {at(ours)}; PyTorch does not"]
        return [f"chainrule raises at {at(ours)}; PyTorch at {at(theirs)}"]
    found = _compared(ours, theirs)
    if found and theirs.error_line is None:
        for phase in range(NUDGES):
            nudged = run(lines, [_nudged(x, phase) for x in inputs], requires_grad, torch)
            if nudged.error_line is not None or _compared(nudged, theirs):
                raise RoundingDecides(found)
        if all(line.startswith("gradient") for line in found):
            # the values agree, the gradients do not: central differences decide
            return _against_finite_differences(lines, inputs, requires_grad, ours, found)
    return found


def _against_finite_differences(
    lines: list[str],
    inputs: list[Any],
    requires_grad: tuple[bool, ...],
    ours: Outcome,
    found: list[str],
) -> list[str]:
    """``found``, chainrule's gradients that differ from PyTorch's, or nothing where they are
    the central differences of the program's loss (of ``inner`` in a second order program).
    Where those are nan (the loss is nan nearby) the derivative is a convention, not compared.
    PyTorch's Hessian through a std of one element is nan (its double backward multiplies 0
    by the inf of 1 / (2 std)), where the std is 0 for every input and chainrule's is the
    rest of the loss's, as the differences say."""
    reference = finite_differences(lines, inputs, requires_grad)
    rtol, atol = finite_difference_tolerance(any(line.startswith("second = ") for line in lines))
    for name, expected in reference.items():
        got = ours.grads.get(name)
        got = np.zeros_like(expected) if got is None else got  # an unused leaf's: 0
        defined = ~np.isnan(expected)
        if got.shape != expected.shape or not np.allclose(
            got[defined], expected[defined], rtol=rtol, atol=atol
        ):
            return [*found, f"finite differences of {name}: {expected.tolist()}"]
    return []


def finite_difference_tolerance(second_order: bool) -> tuple[float, float]:
    """``(rtol, atol)`` of a comparison with central differences: looser for a second
    derivative, differences of differences, whose error grows with the third and fourth."""
    return (2e-3, 1e-5) if second_order else (1e-5, 1e-6)


def finite_differences(
    lines: list[str], inputs: list[Any], requires_grad: tuple[bool, ...], step: float = 1e-6
) -> dict[str, np.ndarray]:
    """Central differences of a program's ``loss`` (of ``inner``, the weighted first
    derivatives, where it takes a second order) with respect to each input that requires
    grad, chainrule running the program to there: named as :class:`Outcome`'s gradients."""
    target = "inner" if any(line.startswith("inner = ") for line in lines) else "loss"
    stop = next(i for i, line in enumerate(lines) if line.startswith(f"{target} = ")) + 1

    leaves = [i for i, grad in enumerate(requires_grad) if grad]

    def value(leaf_values: list[Any]) -> float:  # the target, with the leaves' values moved
        xs = list(inputs)
        for i, x in zip(leaves, leaf_values, strict=True):
            xs[i] = x
        outcome = run(lines[:stop], xs, requires_grad, cr, keep=target)
        return np.nan if outcome.error_line is not None else float(outcome.values[target])

    arrays = [np.asarray(inputs[i], dtype=np.float64) for i in leaves]
    columns = iter(central_differences(value, arrays, step))
    return {
        f"leaf {k}": np.array([next(columns) for _ in range(x.size)]).reshape(x.shape)
        for k, x in enumerate(arrays)
    }


def _compared(ours: Outcome, theirs: Outcome) -> list[str]:
    """Where the values and gradients of two runs differ (``theirs`` the reference)."""
    found = []
    for kind, mine, reference in (
        ("value", ours.values, theirs.values),
        ("gradient", ours.grads, theirs.grads),
    ):
        for name, expected in reference.items():
            got = mine.get(name)
            if (got is None) != (expected is None):
                found.append(f"{kind} of {name}: chainrule {got}, PyTorch {expected}")
            elif expected is not None and not _close(got, expected):
                found.append(
                    f"{kind} of {name}: chainrule {got.tolist()}, PyTorch {expected.tolist()}"
                )
    return found


class RoundingDecides(Exception):
    """A program at a jump that a rounding decides: PyTorch's own answer moves past the
    comparison's tolerance when its inputs move by 1e-12 of themselves. The fuzzer met
    ``atan2(layer_norm(v).sum(), x)``, x < 0: the sum is 0 up to rounding, +0 in PyTorch and
    -9e-17 in chainrule (their layer_norms differ in the last bit), so pi against -pi. Such a
    program is not compared. Only PyTorch's move counts: where chainrule's answer alone is a
    rounding's (a std of equal values, 2e-16 where PyTorch's is exactly 0), it is reported."""


#: How many nudges of a differing program's inputs look for a jump that a rounding decides
#: (only differing programs pay for them). A sum that is 0 up to rounding came out exactly 0
#: (the jump's side) at 5 of 16 nudges of the transform fuzzer's kl_div case, none of 4.
NUDGES = 16


def _nudged(x: Any, phase: int) -> np.ndarray:
    """``x`` moved by at most 1e-12 of itself, each value by an amount that depends on the
    value alone: equal inputs stay equal (their ties are the program's, not a rounding's)."""
    x = np.asarray(x, dtype=np.float64)
    return x * (1 + 1e-12 * np.sin(1e4 * x + phase))


def _close(got: np.ndarray, expected: np.ndarray) -> bool:
    if got.shape != expected.shape:
        return False
    # atol scaled by the largest element: an element that sums terms of that size to near 0
    # keeps their rounding (PyTorch's trigamma is off by up to 5e-10 relative, chainrule's by
    # 4e-16: through digamma's gradient, 1.8e-9 at an element of 0.005 beside ones of 15)
    atol = 1e-9 * finite_scale(expected)
    with contextlib.suppress(AssertionError):
        np.testing.assert_allclose(got, expected, rtol=1e-7, atol=atol, equal_nan=True)
        return True
    return False


# ----------------------------------------------------------------------------- search budget
#: Examples per test of an on-demand search (``CHAINRULE_FUZZ_EXAMPLES``); 0: CI's budget.
EXAMPLES = int(os.environ.get("CHAINRULE_FUZZ_EXAMPLES", "0"))
# A long search on demand runs past the suite's two minutes per test (pytest-timeout).
UNTIMED = pytest.mark.timeout(0 if EXAMPLES else None)  # None: the suite's own limit


def search_settings(ci_examples: int) -> settings:
    """Hypothesis's settings for a fuzz test: ``ci_examples`` fixed programs in CI (the same
    each run), else :data:`EXAMPLES` new ones."""
    return settings(
        max_examples=EXAMPLES or ci_examples,
        derandomize=not EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# ----------------------------------------------------------------------------- strategies
@st.composite
def programs(draw: st.DrawFn, layer: int, max_steps: int = 8) -> Program:
    """A random program using the ops of ``layer`` and below."""
    n = draw(st.integers(1, 3))
    shapes = tuple(draw(st.lists(st.sampled_from(SHAPES), min_size=n, max_size=n)))
    requires_grad = (True, *draw(st.lists(st.booleans(), min_size=n - 1, max_size=n - 1)))
    names = [name for name, op in OPS.items() if op.layer <= layer]
    small = st.integers(0, 7)
    step = st.builds(Step, st.sampled_from(names), small, small, small)
    steps = tuple(draw(st.lists(step, min_size=1, max_size=max_steps)))
    ending = draw(st.sampled_from(ENDINGS))
    return Program(shapes, requires_grad, steps, ending, draw(st.integers(0, 2**16)))
