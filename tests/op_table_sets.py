"""Op-table rows for set-like and other tensor functions: unique, mode, aminmax,
cartesian_prod, combinations, block_diag, trapezoid, ldexp, vander, renorm and others.

The same ``OpSpec`` format as ``tests/op_table.py``: every row runs finite differences in
float64, second order, jvp, vmap, layouts, and values and gradients against PyTorch.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from op_table import (
    AWAY_FROM_ZERO,
    BINARY,
    CUBE,
    SAME,
    UNARY,
    OpSpec,
    distinct,
    uniform,
)

import chainrule as cr


def _lib(x: Any) -> Any:
    """The library of ``x``'s tensors: chainrule or torch."""
    return cr if isinstance(x, cr.Tensor) else torch


# mode and aminmax (ops/sets.py) send the gradient to the elements they pick; distinct values
# leave no ties, so mode is the smallest value and finite differences see one element move.
SETS_SPECS: list[OpSpec] = [
    OpSpec(
        "mode",
        lambda x: (x.mode().values, _lib(x).mode(x, 0, keepdim=True)[0]),
        SAME,
        ("MaxAlong", "ModeIndex"),
        CUBE + (((5,),), ((),)),
        domain=distinct,
    ),
    OpSpec(
        "aminmax",
        lambda x: (*x.aminmax(), *_lib(x).aminmax(x, dim=-1, keepdim=True)),
        SAME,
        ("Amax", "Amin"),
        UNARY,
        domain=distinct,
    ),
    OpSpec(
        "cartesian_prod",
        lambda a, b, c: _lib(a).cartesian_prod(a, b, c),
        SAME,
        ("Cat", "Expand", "Reshape"),
        (((2,), (3,), (2,)), ((1,), (4,), (0,))),
    ),
    OpSpec(
        "cartesian_prod_one",
        lambda a: _lib(a).cartesian_prod(a) * 2,
        SAME,
        ("Mul",),
        (((3,),),),
    ),
    OpSpec(
        "combinations",
        lambda x: (
            _lib(x).combinations(x),
            _lib(x).combinations(x, 3, with_replacement=True),
            _lib(x).combinations(x, 1),
        ),
        SAME,
        ("GetItem", "Reshape"),
        (((4,),), ((1,),), ((0,),)),
    ),
]


def _torch_vander(x: Any, n: int) -> Any:
    """PyTorch's vander kernel (a running product of x after a column of ones) written with
    out-of-place ops: torch.vander's own backward fails on its in-place copy ("modified by an
    inplace operation"), while the values and derivatives are these."""
    powers = torch.cumprod(x.unsqueeze(1).expand(len(x), n - 1), 1)
    return torch.cat([torch.ones(len(x), 1, dtype=x.dtype), powers], 1)


def _renorm(x: Any) -> Any:
    """Rows of |x| >= 0.5 have 2-norms >= 1 > 0.9 and are scaled; the middle row, shrunk to
    |x| <= 0.2 (2-norm <= 0.4), is left as it is: both branches, away from the switch."""
    shrink = _lib(x).tensor(np.array([[1.0], [0.1], [1.0]]))
    return (x * shrink).renorm(2, 0, 0.9), _lib(x).renorm(x, 1, 1, 1.5)


# block_diag, the trapezoid rule, ldexp, frexp, vander, renorm (ops/more_math.py): compositions
SETS_SPECS += [
    OpSpec(
        "block_diag",
        lambda a, b, c: _lib(a).block_diag(a, b, c),
        SAME,
        ("Cat", "Pad"),
        (((2, 3), (4,), ()), ((1, 1), (0, 2), (2,))),
    ),
    OpSpec(
        "trapezoid_dx",
        lambda y: (_lib(y).trapezoid(y), _lib(y).trapezoid(y, dx=0.5, dim=0), _lib(y).trapz(y)),
        SAME,
        ("Add", "GetItem", "Mul", "Sub", "Sum"),
        CUBE + (((3,),), ((1, 2),)),
    ),
    OpSpec(
        "trapezoid_x",
        lambda y, x: (_lib(y).trapezoid(y, x), _lib(y).trapz(y, x, dim=-1)),
        SAME,
        ("Add", "GetItem", "Mul", "Sub", "Sum"),
        (((2, 3, 4), (4,)), ((2, 3, 4), (3, 4)), ((2, 3), (2, 3)), ((3, 4), (1, 4))),
    ),
    OpSpec(
        "trapezoid_x_dim",
        lambda y, x: _lib(y).trapezoid(y, x, dim=1),
        SAME,
        ("Add", "GetItem", "Mul", "Sub", "Sum"),
        (((2, 3, 4), (3,)),),
    ),
    OpSpec(
        "cumulative_trapezoid",
        lambda y, x: (
            _lib(y).cumulative_trapezoid(y, x),
            _lib(y).cumulative_trapezoid(y, dx=2.0, dim=0),
        ),
        SAME,
        ("Add", "CumSum", "GetItem", "Mul", "Sub"),
        (((2, 3, 4), (4,)), ((3, 2), (3, 2))),
    ),
    OpSpec("ldexp", lambda a, b: _lib(a).ldexp(a, b), SAME, ("Ldexp",), BINARY),
    OpSpec("ldexp_method", lambda a, b: a.ldexp(b), SAME, ("Ldexp",), (((2, 3), (3,)),)),
    # |x| in [1.1, 1.9]: the mantissa x / 2 jumps only at the powers of two
    OpSpec(
        "frexp_mantissa",
        lambda x: (x.frexp().mantissa, _lib(x).frexp(-x)[0], x * x.frexp().exponent),
        SAME,
        ("Exponent", "Mul", "Neg"),
        UNARY,
        domain=uniform(1.1, 1.9),
    ),
    OpSpec(
        "vander",
        lambda x: (cr.vander(x), cr.vander(x, N=4, increasing=True)),
        lambda x: (_torch_vander(x, len(x)).flip(1), _torch_vander(x, 4)),
        ("Cat", "CumProd", "Expand", "Flip"),
        (((3,),), ((2,),)),
        domain=AWAY_FROM_ZERO,
    ),
    OpSpec(
        "renorm",
        _renorm,
        SAME,
        ("Mul", "Norm2", "Where"),
        (((3, 4),),),
        domain=AWAY_FROM_ZERO,
    ),
]
