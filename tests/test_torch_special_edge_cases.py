"""Cases a fuzz of the special and transcendental functions against PyTorch (edge values: nan,
infinities, signed zeros, subnormals, poles, the domain's edges, the zeros of the function)
found chainrule answering differently or less accurately. Each snippet of ``CASES`` runs with
``T`` as torch and as chainrule, and what it leaves in ``out`` (values, dtypes, gradients of
float64 leaves, or the error: type and first line) must be the same.

Where PyTorch's own answer is off (its formula cancels, or it is nan where the derivative is
finite), ``AGAINST_REFERENCE`` checks chainrule's answer against mpmath's instead.
"""

from __future__ import annotations

import math
import subprocess
import sys
from collections.abc import Callable

import mpmath  # SymPy's, in the test extra
import pytest
import torch
from snippet_outcome import GRADIENTS, outcome

import chainrule as cr

# ``grads`` and ``leaf`` (snippet_outcome.GRADIENTS); ``hessian_diagonal(f, x)``:
# the second derivatives of an elementwise f by double backward; ``digits(y)``: y's values
# (a tensor or nested lists) to 12 significant digits, where the two libraries' libms may
# round an ulp apart (chainrule's lgamma near its zeros was off in the 9th)
PRELUDE = (
    GRADIENTS
    + """
def hessian_diagonal(f, x):
    (g,) = T.autograd.grad(f(x).sum(), x, create_graph=True)
    (h,) = T.autograd.grad(g.sum(), x)
    return (g.tolist(), h.tolist())
def digits(y):
    values = y.tolist() if hasattr(y, "tolist") else y
    return [digits(v) for v in values] if isinstance(values, (list, tuple)) else f"{values:.11e}"
"""
)

CASES = {
    # ---- lgamma near its zeros at 1 and 2: Lanczos' absolute error of 1e-15 was a relative
    # error of up to 1e-8 there
    "lgamma near 1 and 2": (
        "out = digits(T.lgamma(T.tensor([0.9999999, 1.0000001, 1.9999999, 2.0000001, 1.1],"
        " dtype=T.float64)))"
    ),
    "special.gammaln near 1": "out = digits(T.special.gammaln(leaf(1 - 1e-12, 1 + 3e-9)))",
    "mvlgamma near 1": "out = digits(T.mvlgamma(T.tensor([1.0000001], dtype=T.float64), 1))",
    # ---- sinh's derivative was (exp(x) + exp(-x)) / 2: inf at 710 (cosh(710) is 1.1e308),
    # and its derivative cancelled to 0 at a tiny x (-0.0 lost its sign)
    "sinh gradient at 710": "x = leaf(710.0, -710.0)\nout = digits(grads(T.sinh(x), x)[1:])",
    "sinh double backward at tiny x": (
        "out = hessian_diagonal(T.sinh, leaf(-0.0, 5e-324, 1e-30, 2.2e-308, -1e-300))"
    ),
    "cosh double backward at 710": "out = digits(hessian_diagonal(T.cosh, leaf(710.0, -710.0)))",
    # ---- logit: +inf at -0.0 (PyTorch's dy * inf); with eps, nan at nan (the clamp before
    # it sent 0); a negative eps clamps nothing (the gradient outside [0, 1] is nan, it was
    # 0); a nan eps clamps nothing (every value was nan)
    "logit gradient at -0.0": "x = leaf(-0.0, 0.0, 1.0)\nout = grads(T.logit(x), x)",
    "logit eps gradient at nan": (
        "x = leaf(nan, 0.5, -1.0, 2.0, 0.25)\nout = grads(T.logit(x, eps=0.25), x)"
    ),
    "special.logit eps gradient at nan": (
        "x = leaf(nan, 0.1)\nout = grads(T.special.logit(x, eps=1e-6), x)"
    ),
    "logit negative eps": "x = leaf(2.0, -1.0, 0.5)\nout = grads(T.logit(x, -0.1), x)",
    "logit nan eps": "x = leaf(2.0, -1.0, 0.5, 0.25)\nout = grads(T.logit(x, nan), x)",
    "logit_ method eps at nan": (
        "x = leaf(nan, 0.5)\ny = x * 1\ny.logit_(0.25)\nout = grads(y, x)"
    ),
    # ---- multigammaln of a bool: refused by PyTorch's check (chainrule summed lgammas)
    "multigammaln bool": "out = T.special.multigammaln(T.tensor([True, False]), 1)",
    "mvlgamma bool p 3": "out = T.mvlgamma(T.tensor([True]), 3)",
}

# Valid calls that both answer alike (the rows above must not pass by refusing everything).
GUARDS = {
    "lgamma away from its zeros": (
        "out = T.lgamma(T.tensor([0.5, 3.0, -2.5, 0.0, -1.0, inf, -inf, nan])).tolist()"
    ),
    "lgamma gradient": "x = leaf(0.5, 3.0, 1.0)\nout = digits(grads(T.lgamma(x), x)[1:])",
    "sinh gradient": "x = leaf(0.5, -2.0, 0.0)\nout = digits(grads(T.sinh(x), x)[1:])",
    "logit eps inside": "x = leaf(0.3, 0.6)\nout = grads(T.logit(x, eps=0.25), x)",
    "logit eps above one half": (
        "out = digits(T.logit(T.tensor([0.1, 0.5, 0.9, nan], dtype=T.float64), eps=0.7))"
    ),
    "logit outside [0, 1]": "x = leaf(2.0, -1.0)\nout = grads(T.logit(x), x)",
    "sinc values and gradient": "x = leaf(0.5, -1.5, 0.0, 2.0)\nout = grads(T.sinc(x), x)",
    "sinc float16": "out = T.sinc(T.tensor([0.25, 0.0, -3.5], dtype=T.float16)).tolist()",
    "sinc of integers": "y = T.sinc(T.tensor([0, 1, 2]))\nout = (y.dtype, y.tolist())",
    "erfcx gradient near 0": (
        "x = leaf(0.5, -1.0, 3.0, 9.0)\nout = digits(grads(T.special.erfcx(x), x)[1:])"
    ),
    "multigammaln float": (
        "x = leaf(2.5, 4.0)\nout = digits(T.special.multigammaln(x, 3)) + "
        "digits(grads(x.mvlgamma(2), x)[2])"
    ),
}


def _sinc(mp, x):  # type: ignore[no-untyped-def]
    return mp.sinc(mp.pi * x)


def _erfcx(mp, x):  # type: ignore[no-untyped-def]
    return mp.exp(x * x) * mp.erfc(x)


# name: (chainrule's snippet setting ``out`` to a list of floats at the points ``xs``, the
# reference f(mpmath, x) as a function of one mpmath number and the derivative order, the
# points, the relative tolerance). PyTorch's answers at these points are in the comments.
REFERENCE_PRELUDE = (
    PRELUDE
    + """
def derivative(f, xs, order):
    x = leaf(*xs)
    if order == 0:
        return f(x).tolist()
    (g,) = T.autograd.grad(f(x).sum(), x, create_graph=order == 2)
    return g.tolist() if order == 1 else T.autograd.grad(g.sum(), x)[0].tolist()
"""
)
AGAINST_REFERENCE: dict[str, tuple[str, Callable, int, tuple[float, ...], float]] = {
    # PyTorch: -0.022300753478240898 (2e-12 off; chainrule's cot(pi x) at -3.5 was 6e-17, not
    # 0: 1.3e-11 off)
    "polygamma 4 at a half-integer": (
        "out = derivative(lambda x: T.polygamma(4, x), XS, 0)",
        lambda mpmath, x: mpmath.polygamma(4, x),
        0,
        (-3.5, -0.5, -10.5),
        1e-14,
    ),
    # erfcx'(x) = 2 x erfcx(x) - 2 / sqrt(pi) cancels for large x: PyTorch's is 0.0 at 1e17
    # (chainrule's was +2.2e-16), and 1e-10 off at 700
    "erfcx gradient far out": (
        "out = derivative(T.special.erfcx, XS, 1)",
        _erfcx,
        1,
        (12.0, 700.0, 1e5, 1e17),
        1e-13,
    ),
    # PyTorch's: 1.1283791670955126e-17 at 1e17 (the true value is 1.1e-51), 3.2896e-09 at 700
    "erfcx second derivative far out": (
        "out = derivative(T.special.erfcx, XS, 2)",
        _erfcx,
        2,
        (20.0, 700.0, 1e17),
        1e-12,
    ),
    # sinc'(x) = (cos(pi x) - sinc(x)) / x cancels for small x: PyTorch's is -2.1e-08 at 1e-8
    # (the true value is -3.3e-08) and 0 at 1e-30; chainrule's was nan at 5e-324
    "sinc gradient near 0": (
        "out = derivative(T.sinc, XS, 1)",
        _sinc,
        1,
        (1e-8, -1e-30, 0.01, 0.3, 5e-324),
        1e-13,
    ),
    # PyTorch's is nan at 0 and -5.2 at 1e-8 (the true value is -pi^2 / 3); chainrule's was 0
    # at 0 and -1.4e44 at 1e-30
    "sinc second derivative near 0": (
        "out = derivative(T.sinc, XS, 2)",
        _sinc,
        2,
        (0.0, 1e-30, 1e-8, -0.001, 0.25),
        1e-12,
    ),
}


@pytest.mark.parametrize("name", list(CASES) + list(GUARDS))
def test_special_case_as_pytorch(name: str) -> None:
    code = CASES.get(name) or GUARDS[name]
    assert outcome(cr, code, PRELUDE) == outcome(torch, code, PRELUDE)


@pytest.mark.parametrize("name", list(AGAINST_REFERENCE))
def test_special_case_against_mpmath(name: str) -> None:
    code, f, order, xs, rtol = AGAINST_REFERENCE[name]
    values = {"T": cr, "XS": xs}
    exec(REFERENCE_PRELUDE + code, values)  # noqa: S102 - the snippets are ours
    with mpmath.workdps(700):  # sinc(pi x) - 1 at x = 5e-324 is -1.6e-647
        expected = [float(mpmath.diff(lambda t: f(mpmath, t), x, order)) for x in xs]
    for x, got, want in zip(xs, values["out"], expected, strict=True):
        # a subnormal reference: its nearest double exactly
        assert got == want or math.isclose(got, want, rel_tol=rtol), (x, got, want)


def test_edge_values_are_computed_without_numpy_warnings() -> None:
    """log(0), 1 / 0, exp(1000) and their gradients give inf and nan silently, as PyTorch's:
    chainrule ignores NumPy's warnings raised in its own modules (a filter set at import, so
    a fresh interpreter: pytest restores the filters it found after collecting), while the
    user's own NumPy calls still warn."""
    script = """
import warnings
import chainrule as T
import numpy as np
with warnings.catch_warnings(record=True) as caught:
    x = T.tensor([0.0, -1.0, 1000.0], requires_grad=True)
    ys = [x.log(), T.tensor([1.0, -1.0, 0.0]) / 0, x.exp(), x.sqrt(), x.half() * 100]
    sum(y.sum().float() for y in ys).backward()
    chainrule_warnings = [str(w.message) for w in caught]
    np.log(np.zeros(1))
print(chainrule_warnings, [str(w.message) for w in caught])
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[] ['divide by zero encountered in log']"
