"""Every row of the op table against finite differences, forward mode, and PyTorch.

For each row and each of its shape cases, in float64:

- the vjp against central differences (the full Jacobian on small shapes, ``<u, J v>`` with
  random u and v on larger ones);
- the jvp against central differences, and ``<u, J v>`` computed by the jvp and by the vjp;
- values and gradients against PyTorch's;
- second derivatives (the gradient of ``<w, u^T J>``, recorded with ``create_graph=True``)
  against central differences of the gradient and against PyTorch's;
- third derivatives (the gradient of ``<v, H w>``, H w recorded too) against central
  differences of H w.

Also per row: the jvp against PyTorch's ``torch.func.jvp``; float32 values and gradients
against PyTorch's (the dtype kept); and non-contiguous inputs (transposed, strided, reversed
views) against contiguous ones. A second table checks the gradients that PyTorch defines by
convention at kinks and ties, and step functions exactly at their jumps.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import torch
from gradcheck_util import (
    Recorded,
    assert_close,
    check_vjp,
    finite_scale,
    flat,
    numeric_jvp,
    outputs_of,
    random_cotangent,
    random_tangents,
    torch_jvp,
    torch_recorded,
    torch_vjp,
)
from op_table import OpSpec, all_specs

import chainrule as cr

SPECS = all_specs()


def rows(keep: Any = lambda spec: True) -> list[Any]:
    return [pytest.param(spec, id=spec.name) for spec in SPECS if keep(spec)]


def cases(spec: OpSpec, rng: np.random.Generator) -> Iterator[tuple[str, list[np.ndarray]]]:
    for shapes in spec.shapes:
        yield f"{spec.name} with input shapes {list(shapes)}", spec.sample(rng, shapes)


def second_derivative(
    inputs: list[Any], first: list[Any], w: list[np.ndarray], lib: Any, create_graph: bool = False
) -> Any:
    """H w: the gradient of <w, first> with respect to ``inputs`` (zeros where it is constant),
    in chainrule (``lib = cr``) or PyTorch (``lib = torch``); recorded with ``create_graph``."""
    terms = [
        (g * lib.tensor(wi)).sum()
        for g, wi in zip(first, w, strict=True)
        if isinstance(g, lib.Tensor) and g.requires_grad
    ]
    if not terms:  # the first derivative is constant: a linear operation
        return [np.zeros(x.shape) for x in inputs]
    total = sum(terms[1:], terms[0])
    grads = lib.autograd.grad(total, inputs, allow_unused=True, create_graph=create_graph)
    return [np.zeros(x.shape) if g is None else g for g, x in zip(grads, inputs, strict=True)]


# ----------------------------------------------------------------------------- finite differences
@pytest.mark.parametrize("spec", rows(lambda spec: spec.finite_differences))
def test_vjp_matches_finite_differences(spec: OpSpec, rng: np.random.Generator) -> None:
    for case, x in cases(spec, rng):
        check_vjp(spec.fn, x, rng, spec.fd_step, f"{case}: u^T J")


@pytest.mark.parametrize("spec", rows(lambda spec: spec.jvp and spec.finite_differences))
def test_jvp_matches_finite_differences(spec: OpSpec, rng: np.random.Generator) -> None:
    for case, x in cases(spec, rng):
        v = random_tangents(x, rng)
        forward = Recorded(spec.fn, x).jvp(v)
        assert_close(forward, numeric_jvp(spec.fn, x, v, spec.fd_step), f"{case}: J v")


@pytest.mark.parametrize("spec", rows(lambda spec: spec.jvp))
def test_jvp_and_vjp_give_the_same_inner_product(spec: OpSpec, rng: np.random.Generator) -> None:
    for case, x in cases(spec, rng):
        recorded = Recorded(spec.fn, x)
        u, v = random_cotangent(recorded, rng), random_tangents(x, rng)
        by_vjp = flat(recorded.vjp(u)) @ flat(v)
        assert_close(u @ recorded.jvp(v), by_vjp, f"{case}: <u, Jv> vs <u^T J, v>")


@pytest.mark.parametrize("spec", rows(lambda spec: spec.second_order))
def test_second_derivatives_match_finite_differences(
    spec: OpSpec, rng: np.random.Generator
) -> None:
    for case, x in cases(spec, rng):
        recorded = Recorded(spec.fn, x)
        u, v, w = random_cotangent(recorded, rng), random_tangents(x, rng), random_tangents(x, rng)
        first = recorded.vjp(u, create_graph=True)
        assert_close(flat(first), flat(recorded.vjp(u)), f"{case}: create_graph changed u^T J")
        hw = second_derivative(recorded.inputs, first, w, cr)
        h = spec.fd_step
        plus = Recorded(spec.fn, [a + h * t for a, t in zip(x, v, strict=True)]).vjp(u)
        minus = Recorded(spec.fn, [a - h * t for a, t in zip(x, v, strict=True)]).vjp(u)
        numeric = flat(w) @ ((flat(plus) - flat(minus)) / (2 * h))
        assert_close(flat(hw) @ flat(v), numeric, f"{case}: <v, H w>", rtol=1e-5)


@pytest.mark.parametrize("spec", rows(lambda spec: spec.second_order))
def test_third_derivatives_match_finite_differences(spec: OpSpec, rng: np.random.Generator) -> None:
    """The rules' own rules: the gradient of <v, H w> (H w recorded with ``create_graph``)
    against central differences of H w. Not against PyTorch: its third derivatives of layer,
    batch and instance norm are wrong (off by 30-200% on this table, where these differences
    agree with chainrule's) and logcumsumexp's are nan."""
    for case, x in cases(spec, rng):
        recorded = Recorded(spec.fn, x)
        u = random_cotangent(recorded, rng)
        w, v, d = (random_tangents(x, rng) for _ in range(3))
        hw = second_derivative(recorded.inputs, recorded.vjp(u, create_graph=True), w, cr, True)
        third = second_derivative(recorded.inputs, hw, v, cr)
        # a step 100x the row's: H w is itself a backward pass's rounded result, so the
        # difference quotient's rounding error grows as the step shrinks (1e-6: 1e-2 relative
        # for cumprod with zeros; 1e-4: 1e-8)
        h = 100 * spec.fd_step
        plus, minus = ([a + s * t for a, t in zip(x, d, strict=True)] for s in (h, -h))
        numeric = (_v_hw(spec, plus, u, w, v) - _v_hw(spec, minus, u, w, v)) / (2 * h)
        assert_close(flat(third) @ flat(d), numeric, f"{case}: <d, grad <v, H w>>", rtol=1e-4)


def _v_hw(spec: OpSpec, x: list[np.ndarray], u: Any, w: Any, v: Any) -> float:
    """<v, H w> of the row at ``x``."""
    recorded = Recorded(spec.fn, x)
    return float(flat(v) @ flat(second_derivative(recorded.inputs, recorded.vjp(u, True), w, cr)))


# ----------------------------------------------------------------------------- PyTorch
def torch_outputs(spec: OpSpec, x: list[np.ndarray]) -> tuple[list[Any], tuple[Any, ...]]:
    return torch_recorded(spec.torch_callable(), x)


with_torch = rows(lambda spec: spec.torch_callable() is not None)


@pytest.mark.parametrize("spec", with_torch)
def test_values_and_gradients_match_torch(spec: OpSpec, rng: np.random.Generator) -> None:
    for case, x in cases(spec, rng):
        recorded = Recorded(spec.fn, x)
        t_inputs, t_outputs = torch_outputs(spec, x)
        assert recorded.shapes == [tuple(y.shape) for y in t_outputs], case
        assert_close(flat(recorded.outputs), flat(t_outputs), f"{case}: values", rtol=1e-12)
        u = random_cotangent(recorded, rng)
        expected = torch_vjp(t_inputs, t_outputs, u, create_graph=False)
        assert_close(flat(recorded.vjp(u)), flat(expected), f"{case}: u^T J", rtol=1e-12)


@pytest.mark.parametrize("spec", rows(lambda s: s.second_order and s.torch_callable() is not None))
def test_second_derivatives_match_torch(spec: OpSpec, rng: np.random.Generator) -> None:
    for case, x in cases(spec, rng):
        recorded = Recorded(spec.fn, x)
        u, w = random_cotangent(recorded, rng), random_tangents(x, rng)
        hw = second_derivative(recorded.inputs, recorded.vjp(u, create_graph=True), w, cr)
        t_inputs, t_outputs = torch_outputs(spec, x)
        t_first = torch_vjp(t_inputs, t_outputs, u, create_graph=True)
        expected = second_derivative(t_inputs, t_first, w, torch)
        assert_close(flat(hw), flat(expected), f"{case}: H w", rtol=1e-10)


@pytest.mark.parametrize("spec", rows(lambda s: s.jvp and s.torch_callable() is not None))
def test_jvp_matches_torch_func_jvp(spec: OpSpec, rng: np.random.Generator) -> None:
    for case, x in cases(spec, rng):
        v = random_tangents(x, rng)
        forward = Recorded(spec.fn, x).jvp(v)
        assert_close(forward, torch_jvp(spec.torch_callable(), x, v), f"{case}: J v", rtol=1e-12)


def _dtype_name(t: Any) -> str:
    return str(t.dtype).removeprefix("torch.").removeprefix("chainrule.")


@pytest.mark.parametrize("spec", rows(lambda s: s.float32 and s.torch_callable() is not None))
def test_float32_values_and_gradients_match_torch(spec: OpSpec, rng: np.random.Generator) -> None:
    for case, x in cases(spec, rng):
        x32 = [a.astype(np.float32) for a in x]
        inputs = [cr.tensor(a, requires_grad=True) for a in x32]
        got = outputs_of(spec.fn(*inputs))
        t_inputs = [torch.tensor(a, requires_grad=True) for a in x32]
        expected = outputs_of(spec.torch_callable()(*t_inputs))
        for y, t in zip(got, expected, strict=True):
            assert _dtype_name(y) == _dtype_name(t), case
            reference = t.detach().numpy()
            # a sum of float32 products rounds relative to its terms, not to itself: an
            # element near zero among large ones differs by the BLAS's order of summation
            # (conv3d's by 3e-6 on an AMD EPYC, where PyTorch's kernels sum in another order)
            np.testing.assert_allclose(
                y.detach().numpy(),
                reference,
                rtol=2e-6,
                atol=2e-6 * finite_scale(reference),
                err_msg=case,
            )
        u = [rng.standard_normal(tuple(t.shape)).astype(np.float32) for t in expected]
        grads = cr.autograd.grad(got, inputs, [cr.tensor(a) for a in u], allow_unused=True)
        t_grads = torch.autograd.grad(
            expected, t_inputs, [torch.tensor(a) for a in u], allow_unused=True
        )
        for g, t in zip(grads, t_grads, strict=True):
            assert (g is None) == (t is None), f"{case}: which inputs get a gradient"
            if g is not None:
                assert _dtype_name(g) == _dtype_name(t) == "float32", f"{case}: gradient dtype"
                assert_close(g.numpy(), t.numpy(), f"{case}: float32 u^T J", rtol=1e-5)


# ----------------------------------------------------------------------------- memory layouts
# The same values as a view that is not C-contiguous: ops must not assume a layout.
LAYOUTS = {
    "transposed": lambda a: np.ascontiguousarray(a.T).T,
    "strided": lambda a: np.repeat(a, 2, axis=-1)[..., ::2] if a.ndim else a,
    "reversed": lambda a: np.ascontiguousarray(a[::-1])[::-1] if a.ndim else a,
}


@pytest.mark.parametrize("spec", rows(lambda spec: spec.layouts))
def test_non_contiguous_inputs_give_the_same_values_and_gradients(
    spec: OpSpec, rng: np.random.Generator
) -> None:
    for case, x in cases(spec, rng):
        dense = Recorded(spec.fn, x)
        u = random_cotangent(dense, rng)
        expected = flat(dense.vjp(u))
        for name, layout in LAYOUTS.items():
            other = Recorded(spec.fn, x, layout)
            what = f"{case} with {name} inputs"
            if name == "strided":  # the leaves really are views with gaps
                assert all(
                    t.detach().numpy().flags.c_contiguous == (t.numel() <= 1) for t in other.inputs
                ), what
            assert_close(flat(other.outputs), flat(dense.outputs), f"{what}: values", rtol=1e-12)
            assert_close(flat(other.vjp(u)), expected, f"{what}: u^T J", rtol=1e-12)


# ----------------------------------------------------------------------------- kinks and ties
# Inputs where the derivative is a convention (PyTorch's), not a limit: table rows by name.
KINKS = [
    ("relu", [[-1.0, 0.0, 2.0]]),
    ("leaky_relu", [[-1.0, 0.0, 2.0]]),
    ("elu", [[-1.0, 0.0, 2.0]]),
    ("abs", [[-1.0, 0.0, 2.0]]),
    ("sign", [[-1.0, 0.0, 2.0]]),
    ("clamp", [[-0.5, 0.7, -2.0, 0.0, 2.0]]),  # at both bounds the gradient passes
    ("clamp_tensor_bounds", [[[0.0, 1.0, 2.0], [1.0, 1.0, 3.0]], [0.0, 0.5, 2.0], [[2.0], [1.0]]]),
    ("softplus_beta_threshold", [[0.75, 0.0, 1.0]]),
    ("maximum", [[1.0, 2.0, 3.0], [1.0, 0.0, 3.0]]),  # ties split the gradient evenly
    ("minimum", [[1.0, 2.0, 3.0], [1.0, 0.0, 3.0]]),
    ("amax_dim", [[[[1.0, 2.0], [3.0, 3.0], [3.0, 0.0]]]]),
    ("amax_all", [[[1.0, 3.0, 3.0], [3.0, 0.0, 1.0]]]),
    ("min_all", [[[1.0, 1.0, 3.0], [3.0, 1.0, 2.0]]]),
    ("max_dim", [[[[1.0, 2.0], [3.0, 3.0], [3.0, 0.0]]]]),  # all to the first arg-max
    ("norm", [[[[0.0, 0.0], [0.0, 0.0]]]]),  # PyTorch's subgradient at the origin is 0
    ("norm_dim_keepdim", [[[[0.0, 0.0], [1.0, 2.0]], [[3.0, 4.0], [0.0, 0.0]]]]),
    ("norm_inf", [[[[1.0, -2.0], [-2.0, 0.5]]]]),
    ("norm_p1", [[[[0.0, -2.0], [1.0, 0.0]]]]),
    ("prod_with_zero", [[[0.0, 0.0, 2.0, 3.0], [1.0, 2.0, 0.0, 4.0]]]),
    ("prod_all", [[[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]]),
    ("pow_tensor_exponent", [[0.0, 0.0, 2.0], [2.0, 0.0, 3.0]]),  # d/db 0**b is 0 (b >= 0)
    ("pow_zero", [[0.0, 1.0]]),
    ("pow_square", [[0.0, 1.0]]),
    # Step functions exactly at their jumps: PyTorch's value there, and a zero gradient.
    ("floor", [[-1.0, 0.0, 2.0, -0.0]]),
    ("ceil", [[-1.0, 0.0, 2.0]]),
    ("trunc", [[-1.0, 0.0, 2.0]]),
    ("frac", [[-1.0, 0.0, 2.0]]),
    ("round", [[-0.5, 0.5, 1.5, 2.5]]),  # halves go to the even neighbour
    ("round_decimals", [[0.05, 0.15, -0.25, 0.35]]),
    ("div_rounding_floor", [[-2.0, 0.0, 3.0, 1.0], [1.0, 1.0, 1.5, -0.5]]),
    ("div_rounding_trunc", [[-2.0, 0.0, 3.0, 1.0], [1.0, 1.0, 1.5, -0.5]]),
    ("remainder_operator", [[-2.0, 0.0, 3.0, 1.0], [1.0, 1.0, 1.5, -0.5]]),
    ("rmod_scalar", [[1.0, 1.5, -3.0, -1.0]]),
    ("fmod", [[-2.0, 0.0, 3.0, 1.0], [1.0, 1.0, 1.5, -0.5]]),
    ("fmod_scalar", [[-3.0, 0.0, 1.5, 4.5]]),
]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # inf in branches that where() drops
@pytest.mark.parametrize(("name", "values"), [pytest.param(*k, id=k[0]) for k in KINKS])
def test_gradients_at_kinks_and_ties_follow_torch(name: str, values: list[Any]) -> None:
    spec = next(s for s in SPECS if s.name == name)
    x = [np.array(v, dtype=np.float64) for v in values]
    recorded = Recorded(spec.fn, x)
    t_inputs, t_outputs = torch_outputs(spec, x)
    assert_close(flat(recorded.outputs), flat(t_outputs), f"{name}: values", rtol=1e-12)
    u = np.arange(1.0, 1.0 + flat(t_outputs).size)
    expected = torch_vjp(t_inputs, t_outputs, u, create_graph=False)
    assert_close(flat(recorded.vjp(u)), flat(expected), f"{name}: u^T J at {values}", rtol=1e-12)
