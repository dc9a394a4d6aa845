"""Cases a fuzz of printing against PyTorch (tensors under random print options, dtypes,
shapes and values; modules; named result tuples; grad_fn names) found chainrule printing
differently: each snippet runs on both libraries, from PyTorch's default print options, and
compares what it leaves in ``out`` (see :func:`snippet_outcome.outcome`), the library's name
written out of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import torch
from snippet_outcome import outcome

import chainrule as cr

# ``frame(r)``: a named result tuple's class, module and the fields its repr lists, one a line,
# without the values (a decomposition's last digits are LAPACK's, not the printing's).
PRELUDE = """
T.set_printoptions(profile="default")
def frame(r):
    return [type(r).__name__, type(r).__module__, re.findall(r"^(\\w+)=", repr(r), re.M)]
"""

CASES = {
    # ---- sci_mode=True decides nothing where no value is finite and nonzero: "0.", "nan"
    "sci_mode zeros": "T.set_printoptions(sci_mode=True)\nout = repr(T.zeros(3))",
    "sci_mode -0 float16": (
        "T.set_printoptions(sci_mode=True)\nout = repr(T.tensor(-0.0, dtype=T.float16))"
    ),
    "sci_mode nan and inf": (
        "T.set_printoptions(sci_mode=True)\n"
        "out = repr(T.tensor([float('nan'), 0.0, float('-inf')]))"
    ),
    # ---- edgeitems=0: the shape printed, and a summarized print a lone "..."
    "edgeitems 0 vector": "T.set_printoptions(threshold=3, edgeitems=0)\nout = repr(T.arange(10))",
    "edgeitems 0 matrix": (
        "T.set_printoptions(threshold=3, edgeitems=0)\nout = repr(T.ones(4, 5, dtype=T.int32))"
    ),
    "edgeitems 0 not summarized": (
        "T.set_printoptions(edgeitems=0)\nout = repr(T.tensor([1.5, 2.0], requires_grad=True) * 2)"
    ),
    "edgeitems 0 scalar": "T.set_printoptions(edgeitems=0)\nout = str(T.tensor(3.25))",
    # ---- the magnitudes' ratio as PyTorch rounds it: just over 1000 is scientific
    "ratio rounding to over 1000": (
        "out = repr(T.tensor([2.738500170148095, 2738.500170148095], dtype=T.float64))"
    ),
    "ratio rounding to over 1000, small": (
        "out = repr(T.tensor([0.002831967114546297, 2.831967114546297], dtype=T.float64))"
    ),
    # ---- suffixes break lines where PyTorch's "dtype=torch.float64" does
    "dtype and grad_fn on one line": (
        "x = T.tensor([1e-5, 2e-5, 3e-5], dtype=T.float64, requires_grad=True)\nout = repr(x.exp())"
    ),
    "dtype on the values' line": (
        "x = T.tensor([1.0, 2.0, 3.0, 4.0, 5.0], dtype=T.float64, requires_grad=True)\n"
        "out = repr(x.exp())"
    ),
    # ---- named result tuples of linear algebra and histograms: return_types, one field a line
    "linalg.qr result": "out = frame(T.linalg.qr(T.tensor([[2.0, 1.0], [1.0, 2.0]])))",
    "qr result": "out = frame(T.qr(T.tensor([[2.0, 1.0], [1.0, 2.0]])))",
    "Tensor.qr result": "out = frame(T.tensor([[2.0, 1.0], [1.0, 2.0]]).qr())",
    "linalg.eigh result": "out = frame(T.linalg.eigh(T.tensor([[2.0, 1.0], [1.0, 2.0]])))",
    "linalg.svd result": "out = frame(T.linalg.svd(T.tensor([[2.0, 1.0], [1.0, 2.0]])))",
    "svd result": "out = frame(T.svd(T.tensor([[2.0, 1.0], [1.0, 2.0]])))",
    "linalg.slogdet result": "out = repr(T.linalg.slogdet(T.tensor([[2.0, 0.0], [0.0, 3.0]])))",
    "slogdet result": "out = repr(T.slogdet(T.tensor([[2.0, 0.0], [0.0, 3.0]])))",
    "Tensor.slogdet result": "out = repr(T.tensor([[2.0, 0.0], [0.0, 3.0]]).slogdet())",
    "linalg.lu result": "out = frame(T.linalg.lu(T.tensor([[2.0, 1.0], [1.0, 2.0]])))",
    "linalg.lu_factor result": (
        "out = repr(T.linalg.lu_factor(T.tensor([[2.0, 1.0], [1.0, 2.0]])))"
    ),
    "linalg.lu_factor_ex result": (
        "out = frame(T.linalg.lu_factor_ex(T.tensor([[2.0, 1.0], [1.0, 2.0]])))"
    ),
    "lu_unpack result": (
        "out = frame(T.lu_unpack(*T.linalg.lu_factor(T.tensor([[2.0, 1.0], [1.0, 2.0]]))))"
    ),
    "linalg.inv_ex result": "out = frame(T.linalg.inv_ex(T.tensor([[2.0, 1.0], [1.0, 2.0]])))",
    "linalg.cholesky_ex result": (
        "out = frame(T.linalg.cholesky_ex(T.tensor([[4.0, 0.0], [0.0, 9.0]])))"
    ),
    "linalg.solve_ex result": (
        "out = frame(T.linalg.solve_ex(T.tensor([[2.0, 1.0], [1.0, 2.0]]), T.ones(2)))"
    ),
    "linalg.lstsq result": (
        "out = frame(T.linalg.lstsq(T.tensor([[2.0, 1.0], [1.0, 2.0]]), T.ones(2, 1)))"
    ),
    "triangular_solve result": (
        "out = frame(T.triangular_solve(T.ones(2, 1), T.tensor([[2.0, 1.0], [0.0, 2.0]])))"
    ),
    "geqrf result": "out = frame(T.geqrf(T.tensor([[2.0, 1.0], [1.0, 2.0]])))",
    "linalg.ldl_factor result": (
        "out = frame(T.linalg.ldl_factor(T.tensor([[2.0, 1.0], [1.0, 2.0]])))"
    ),
    "linalg.ldl_factor_ex result": (
        "out = frame(T.linalg.ldl_factor_ex(T.tensor([[2.0, 1.0], [1.0, 2.0]])))"
    ),
    "histogram result": "out = repr(T.histogram(T.tensor([1.0, 2.0, 1.0, 4.0]), bins=3))",
    "Tensor.histogram result": "out = repr(T.tensor([1.0, 2.0, 1.0, 4.0]).histogram(3))",
    "histogramdd result": (
        "out = frame(T.histogramdd(T.tensor([[1.0, 2.0], [1.0, 1.0]]), bins=[2, 2]))"
    ),
    # ---- grad_fn=<...>: PyTorch's one node for what chainrule composes of several
    "grad_fn tril": "out = repr(T.ones(2, 2, requires_grad=True).tril())",
    "grad_fn triu": "out = repr(T.triu(T.ones(2, 2, requires_grad=True), 1))",
    "grad_fn trace": "out = repr(T.ones(2, 2, requires_grad=True).trace())",
    "grad_fn dist": "out = repr(T.dist(T.ones(3, requires_grad=True), T.zeros(3), p=1))",
    "grad_fn roll flattened": "out = repr(T.ones(2, 2, requires_grad=True).roll(1))",
    "grad_fn cross": (
        "out = repr(T.cross(T.eye(3, requires_grad=True), T.ones(3, 3), dim=1).grad_fn)"
    ),
    "grad_fn layer_norm": (
        "out = repr(T.nn.functional.layer_norm(T.tensor([[1.0, 3.0]], requires_grad=True), (2,)))"
    ),
    "grad_fn LayerNorm module": (
        "out = repr(T.nn.LayerNorm(2)(T.tensor([[1.0, 3.0]], requires_grad=True)))"
    ),
    "grad_fn batch_norm training": (
        "out = repr(T.nn.BatchNorm1d(2)(T.tensor([[1.0, 3.0], [3.0, 1.0]], requires_grad=True)))"
    ),
    "grad_fn batch_norm eval": (
        "out = repr(T.nn.BatchNorm1d(2).eval()(T.tensor([[1.0, 3.0]], requires_grad=True)))"
    ),
    "grad_fn group_norm": (
        "out = repr(T.nn.functional.group_norm(T.tensor([[[1.0, 3.0]]], requires_grad=True), 1))"
    ),
}

# Next to the fixes, what they must leave alone (these never differed): a chosen sci_mode
# where values are nonzero, summarizing with edge items, a suffix that must wrap, and the
# (values, indices) tuples.
GUARDS = {
    "sci_mode with values": (
        "T.set_printoptions(sci_mode=True)\nout = repr(T.tensor([0.0, 1.5, float('nan')]))"
    ),
    "sci_mode False mixed": (
        "T.set_printoptions(sci_mode=False)\nout = repr(T.tensor([1e-8, 1.0, 1e8]))"
    ),
    "edgeitems 1 summarized": (
        "T.set_printoptions(threshold=5, edgeitems=1)\nout = repr(T.arange(12.0).reshape(3, 4))"
    ),
    "suffixes wrap": (
        "out = repr(T.tensor([1.5, 3.0, 4.5, 6.0], dtype=T.float16, requires_grad=True))"
    ),
    "max result": "out = repr(T.tensor([[1.0, 3.0], [4.0, 2.0]]).max(dim=1))",
    "aminmax result": "out = repr(T.tensor([3.0, 1.0, 2.0]).aminmax())",
    "grad_fn roll along a dim": "out = repr(T.ones(2, 2, requires_grad=True).roll(1, 0))",
}


@pytest.fixture(autouse=True)
def _default_print_options() -> Iterator[None]:
    """Each case starts from, and leaves, the default print options of both libraries."""
    yield
    for lib in (torch, cr):
        lib.set_printoptions(profile="default")


@pytest.mark.parametrize("name", list(CASES) + list(GUARDS))
def test_print_case_as_pytorch(name: str) -> None:
    code = CASES.get(name) or GUARDS[name]
    assert outcome(cr, code, PRELUDE, re=re) == outcome(torch, code, PRELUDE, re=re)
