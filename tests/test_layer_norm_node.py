"""layer_norm's one node (``ops/layer_norm.py``) against the composite it replaced and against
PyTorch, its jvp, and where the composite still runs.

The op table's rows check the node against finite differences, PyTorch and second order on small
shapes; here it runs on shapes where its row sums take their fast paths (BLAS, einsum) and, with
rows of 9,000 values, NumPy's pairwise mean.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn.functional as F
from chainrule.ops.layer_norm import LayerNorm

# (input shape, how many trailing dimensions are normalized)
SHAPES = [((97, 130), 1), ((3, 40, 7, 9), 2), ((300,), 1), ((4, 9000), 1)]


def _composite(x: cr.Tensor, w: cr.Tensor, b: cr.Tensor, count: int, eps: float) -> cr.Tensor:
    """layer_norm as the composite of ops that nn.functional records under vmap."""
    dims = tuple(range(x.ndim - count, x.ndim))
    centered = x - x.mean(dims, keepdim=True)
    rstd = (centered * centered).mean(dims, keepdim=True).add(eps).rsqrt()
    return centered * rstd * w + b


def _inputs(shape: tuple[int, ...], count: int, dtype: np.dtype, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape) * 3 + 1
    w, b = rng.standard_normal((2, *shape[len(shape) - count :]))
    g = rng.standard_normal(shape)
    return [a.astype(dtype) for a in (x, w, b, g)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("shape", "count"), SHAPES)
def test_node_values_and_gradients_are_the_composites(
    shape: tuple[int, ...], count: int, dtype: np.dtype
) -> None:
    x, w, b, g = _inputs(shape, count, dtype)
    found = {}
    for name, run in (
        ("node", lambda *t: F.layer_norm(t[0], shape[len(shape) - count :], t[1], t[2], 1e-5)),
        ("composite", lambda *t: _composite(*t, count, 1e-5)),
    ):
        leaves = [cr.tensor(a, requires_grad=True) for a in (x, w, b)]
        y = run(*leaves)
        assert (type(y.grad_fn) is LayerNorm) == (name == "node")
        y.backward(cr.tensor(g))
        found[name] = [y.detach().numpy()] + [t.grad.numpy() for t in leaves]
    # float32 rows are summed in another order than the composite's pairwise mean
    tolerance = 3e-6 if dtype == np.float32 else 1e-13
    for ours, theirs in zip(found["node"], found["composite"], strict=True):
        assert ours.dtype == theirs.dtype
        scale = np.abs(theirs).max()
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=tolerance * scale)


@pytest.mark.parametrize(("shape", "count"), SHAPES)
def test_node_gradients_match_pytorch(shape: tuple[int, ...], count: int) -> None:
    x, w, b, g = _inputs(shape, count, np.float64, seed=1)
    results = []
    for m in (cr, torch):
        leaves = [m.tensor(a, requires_grad=True) for a in (x, w, b)]
        y = m.nn.functional.layer_norm(leaves[0], shape[len(shape) - count :], *leaves[1:])
        y.backward(m.tensor(g))
        results.append([y.detach().numpy()] + [t.grad.numpy() for t in leaves])
    for ours, theirs in zip(*results, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("affine", ["", "w", "wb"])
def test_node_jvp_matches_finite_differences_and_pytorch(affine: str) -> None:
    """The node's own jvp (forward mode records the composite, so the op table does not
    reach it): its directional derivative of the output along random tangents."""
    x, w, b, _ = _inputs((6, 5), 1, np.float64, seed=2)
    rng = np.random.default_rng(3)
    tangents = [rng.standard_normal(a.shape) for a in (x, w, b)]
    given = [x, w, b][: 1 + len(affine)]
    dirs = tangents[: len(given)]
    node = LayerNorm(1, 1e-5)
    out = node.forward(*given)
    found = node.jvp(tuple(dirs), out, *given)

    def forward(step: float) -> np.ndarray:
        return LayerNorm(1, 1e-5).forward(*[a + step * t for a, t in zip(given, dirs, strict=True)])

    h = 1e-6
    np.testing.assert_allclose(found, (forward(h) - forward(-h)) / (2 * h), atol=1e-8)

    def torch_layer_norm(*args: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.layer_norm(args[0], (5,), *args[1:], eps=1e-5)

    _, expected = torch.func.jvp(
        torch_layer_norm, tuple(map(torch.tensor, given)), tuple(map(torch.tensor, dirs))
    )
    np.testing.assert_allclose(found, expected.numpy(), rtol=1e-12, atol=1e-12)


def test_vmap_forward_mode_and_float16_record_the_composite() -> None:
    x, w, b, _ = _inputs((4, 6), 1, np.float64)
    leaves = [cr.tensor(a, requires_grad=True) for a in (x, w, b)]

    def nodes_of(y: cr.Tensor) -> str:
        return type(y.grad_fn).__name__

    assert nodes_of(F.layer_norm(leaves[0], (6,), leaves[1], leaves[2])) == "LayerNorm"
    assert nodes_of(F.layer_norm(leaves[0].half(), (6,))) != "LayerNorm"
    seen = []

    def spy(row: cr.Tensor) -> cr.Tensor:
        out = F.layer_norm(row, (6,), leaves[1], leaves[2])
        seen.append(nodes_of(out))
        return out

    batched = cr.func.vmap(spy)(leaves[0])
    assert "LayerNorm" not in seen
    expected = F.layer_norm(leaves[0], (6,), leaves[1], leaves[2])
    np.testing.assert_allclose(batched.detach().numpy(), expected.detach().numpy(), rtol=1e-14)
    _, tangent = cr.func.jvp(lambda t: spy(t), (leaves[0].detach(),), (cr.ones(4, 6),))
    assert seen[-1] != "LayerNorm"
    np.testing.assert_allclose(tangent.detach().numpy(), 0, atol=1e-12)  # a shift: no change


@pytest.mark.parametrize("changed", [0, 1, 2])
def test_an_in_place_change_of_a_saved_input_is_refused(changed: int) -> None:
    x, w, b, _ = _inputs((3, 4), 1, np.float64)
    leaves = [cr.tensor(a, requires_grad=True) for a in (x, w, b)]
    inputs = [t * 1 for t in leaves]  # non-leaves, which may change in place
    y = F.layer_norm(inputs[0], (4,), inputs[1], inputs[2])
    inputs[changed].add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_a_retained_graph_runs_backward_twice_to_the_same_gradient() -> None:
    x, w, b, g = _inputs((5, 8), 1, np.float64)
    leaf = cr.tensor(x, requires_grad=True)
    y = F.layer_norm(leaf, (8,), cr.tensor(w), cr.tensor(b))
    y.backward(cr.tensor(g), retain_graph=True)
    first = leaf.grad.numpy().copy()
    y.backward(cr.tensor(g))
    np.testing.assert_array_equal(leaf.grad.numpy(), 2 * first)
