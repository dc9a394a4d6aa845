"""Op-table rows for set-like and other tensor functions: unique, mode, aminmax,
cartesian_prod, combinations, block_diag, trapezoid, ldexp, vander, renorm and others.

The same ``OpSpec`` format as ``tests/op_table.py``: every row runs finite differences in
float64, second order, jvp, vmap, layouts, and values and gradients against PyTorch.
"""

from __future__ import annotations

from typing import Any

import torch
from op_table import CUBE, SAME, UNARY, OpSpec, distinct

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
