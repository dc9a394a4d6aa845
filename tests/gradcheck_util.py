"""Finite differences and the derivative products they are checked against, in float64.

A function under test takes one tensor per input and returns a tensor or a tuple of tensors;
its outputs are seen as one flat vector, its inputs as a list of arrays. Everything here works
on NumPy arrays so that chainrule's and PyTorch's answers compare directly.

    >>> import numpy as np
    >>> x = [np.array([1.0, 2.0])]
    >>> np.round(numeric_jacobian(lambda t: t * t, x), 6)
    array([[2., 0.],
           [0., 4.]])
    >>> jacobian_by_vjp(lambda t: t * t, x)
    array([[2., 0.],
           [0., 4.]])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import chainrule as cr
from chainrule.autograd import forward_ad

Fn = Callable[..., Any]
Arrays = Sequence[np.ndarray]
Layout = Callable[[np.ndarray], np.ndarray]  # the same values, laid out differently in memory

# Above this many input or output elements, Jacobians are checked through random products.
FULL_JACOBIAN_MAX = 64


def outputs_of(result: Any) -> tuple[Any, ...]:
    return tuple(result) if isinstance(result, tuple | list) else (result,)


def weighted_outputs(
    lib: Any, fn: Callable[..., Any], arrays: Sequence[np.ndarray], weights: Sequence[np.ndarray]
) -> tuple[list[Any], list[tuple[Any, Any]]]:
    """``fn`` on leaves of ``arrays`` that require grad (``lib``: torch or chainrule): the
    leaves, and each float output that requires grad beside its weight as a tensor (the
    gradient to backward with: a product by the weights would save the outputs)."""
    inputs = [lib.tensor(a, requires_grad=True) for a in arrays]
    pairs = [
        (y, lib.tensor(w))
        for y, w in zip(outputs_of(fn(*inputs)), weights, strict=True)
        if y.dtype.is_floating_point and y.requires_grad
    ]
    return inputs, pairs


def flat(parts: Sequence[Any]) -> np.ndarray:
    """Arrays or tensors (chainrule or torch; None counts as nothing) as one flat vector."""
    return np.concatenate([np.asarray(_numpy(p), dtype=np.float64).ravel() for p in parts])


def _numpy(x: Any) -> Any:
    # force: PyTorch returns some zero gradients as a ZeroTensor, which refuses plain numpy().
    return x.detach().numpy(force=True) if hasattr(x, "detach") else x


def unflatten(vector: np.ndarray, shapes: Sequence[tuple[int, ...]]) -> list[np.ndarray]:
    pieces, start = [], 0
    for shape in shapes:
        n = int(np.prod(shape, dtype=int))
        pieces.append(vector[start : start + n].reshape(shape))
        start += n
    return pieces


def leaves(
    arrays: Arrays, requires_grad: bool = True, layout: Layout | None = None
) -> list[cr.Tensor]:
    """float64 leaves holding ``arrays``; with ``layout``, each shares the memory of
    ``layout(array)`` (a transposed, strided or reversed view) instead of a contiguous copy."""
    if layout is None:
        return [cr.tensor(a, dtype=cr.float64, requires_grad=requires_grad) for a in arrays]
    return [
        cr.from_numpy(layout(np.asarray(a, np.float64))).requires_grad_(requires_grad)
        for a in arrays
    ]


def evaluate(fn: Fn, arrays: Arrays) -> np.ndarray:
    """``fn``'s outputs at ``arrays``, flattened, without recording a graph."""
    with cr.no_grad():
        return flat(outputs_of(fn(*leaves(arrays, requires_grad=False))))


def output_shapes(fn: Fn, arrays: Arrays) -> list[tuple[int, ...]]:
    with cr.no_grad():
        return [tuple(y.shape) for y in outputs_of(fn(*leaves(arrays, requires_grad=False)))]


def central_differences(at: Callable[[list[Any]], Any], arrays: Arrays, step: float) -> list:
    """``(at(arrays + step e) - at(arrays - step e)) / (2 step)`` for each element ``e`` of
    each array in turn: the columns of a Jacobian by central differences."""
    columns = []
    for i, a in enumerate(arrays):
        for j in range(a.size):
            e = np.zeros(a.size)
            e[j] = step
            plus = [x + e.reshape(a.shape) if k == i else x for k, x in enumerate(arrays)]
            minus = [x - e.reshape(a.shape) if k == i else x for k, x in enumerate(arrays)]
            columns.append((at(plus) - at(minus)) / (2 * step))
    return columns


def numeric_jacobian(fn: Fn, arrays: Arrays, step: float = 1e-6) -> np.ndarray:
    """The (outputs, all inputs) Jacobian by central differences, one input element at a time."""
    columns = central_differences(lambda xs: evaluate(fn, xs), arrays, step)
    if not columns:  # empty inputs
        return np.zeros((evaluate(fn, arrays).size, 0))
    return np.stack(columns, axis=1)


def numeric_jvp(fn: Fn, arrays: Arrays, tangents: Arrays, step: float = 1e-6) -> np.ndarray:
    """J v by a central difference along the direction ``tangents``."""
    plus = [a + step * t for a, t in zip(arrays, tangents, strict=True)]
    minus = [a - step * t for a, t in zip(arrays, tangents, strict=True)]
    return (evaluate(fn, plus) - evaluate(fn, minus)) / (2 * step)


class Recorded:
    """``fn`` applied to fresh leaves with the graph kept, for repeated backward passes."""

    def __init__(self, fn: Fn, arrays: Arrays, layout: Layout | None = None) -> None:
        self.fn, self.arrays = fn, arrays
        self.inputs = leaves(arrays, layout=layout)
        self.outputs = outputs_of(fn(*self.inputs))
        self.shapes = [tuple(y.shape) for y in self.outputs]

    def vjp(self, cotangent: np.ndarray, create_graph: bool = False) -> list[Any]:
        """u^T J for a flat ``cotangent`` u: one gradient per input (zeros where unused)."""
        grads = cr.autograd.grad(
            self.outputs,
            self.inputs,
            grad_outputs=[cr.tensor(u) for u in unflatten(cotangent, self.shapes)],
            retain_graph=True,
            create_graph=create_graph,
            allow_unused=True,
        )
        pairs = zip(grads, self.inputs, strict=True)
        return [cr.zeros_like(x) if g is None else g for g, x in pairs]

    def jvp(self, tangents: Arrays) -> np.ndarray:
        """J v by forward mode (``fn`` run again on dual tensors), flattened."""
        with forward_ad.dual_level():
            duals = [
                forward_ad.make_dual(x, cr.tensor(t))
                for x, t in zip(leaves(self.arrays, False), tangents, strict=True)
            ]
            outputs = outputs_of(self.fn(*duals))
            found = [forward_ad.unpack_dual(y).tangent for y in outputs]
        return flat(
            [cr.zeros_like(y) if t is None else t for y, t in zip(outputs, found, strict=True)]
        )


def jacobian_by_vjp(fn: Fn, arrays: Arrays) -> np.ndarray:
    """The (outputs, all inputs) Jacobian, one row per backward pass with a basis vector."""
    recorded = Recorded(fn, arrays)
    m = sum(int(np.prod(s, dtype=int)) for s in recorded.shapes)
    rows = [flat(recorded.vjp(np.eye(m)[k])) for k in range(m)]
    return np.stack(rows) if rows else np.zeros((0, sum(a.size for a in arrays)))


def is_small(fn: Fn, arrays: Arrays) -> bool:
    n_out = sum(int(np.prod(s, dtype=int)) for s in output_shapes(fn, arrays))
    return n_out <= FULL_JACOBIAN_MAX and sum(a.size for a in arrays) <= FULL_JACOBIAN_MAX


def check_vjp(fn: Fn, arrays: Arrays, rng: np.random.Generator, step: float, what: str) -> None:
    """Reverse mode against central differences: the full Jacobian when it is small, else
    ``<u, J v>`` for two random pairs (one backward pass against one difference each)."""
    if is_small(fn, arrays):
        assert_close(jacobian_by_vjp(fn, arrays), numeric_jacobian(fn, arrays, step), what)
        return
    recorded = Recorded(fn, arrays)
    for _ in range(2):
        u = random_cotangent(recorded, rng)
        v = random_tangents(arrays, rng)
        reverse = flat(recorded.vjp(u)) @ flat(v)
        assert_close(reverse, u @ numeric_jvp(fn, arrays, v, step), f"{what}: <u, J v>")


def random_cotangent(recorded: Recorded, rng: np.random.Generator) -> np.ndarray:
    return rng.standard_normal(sum(int(np.prod(s, dtype=int)) for s in recorded.shapes))


def random_tangents(arrays: Arrays, rng: np.random.Generator) -> list[np.ndarray]:
    return [rng.standard_normal(a.shape) for a in arrays]


# ----------------------------------------------------------------------------- PyTorch
def torch_recorded(torch_fn: Fn, arrays: Arrays) -> tuple[list[Any], tuple[Any, ...]]:
    """Float64 torch leaves for ``arrays`` and ``torch_fn``'s outputs on them."""
    import torch

    inputs = [torch.tensor(a, requires_grad=True) for a in arrays]
    return inputs, outputs_of(torch_fn(*inputs))


def torch_vjp(
    inputs: list[Any], outputs: tuple[Any, ...], u: np.ndarray, create_graph: bool = False
) -> list[Any]:
    """PyTorch's u^T J, one gradient per input (zeros where unused)."""
    import torch

    shapes = [tuple(y.shape) for y in outputs]
    grads = torch.autograd.grad(
        outputs,
        inputs,
        grad_outputs=[torch.tensor(p) for p in unflatten(u, shapes)],
        create_graph=create_graph,
        allow_unused=True,
    )
    return [torch.zeros_like(x) if g is None else g for g, x in zip(grads, inputs, strict=True)]


def torch_jvp(torch_fn: Fn, arrays: Arrays, tangents: Arrays) -> np.ndarray:
    """PyTorch's J v by its forward mode (``torch.func.jvp``), flattened."""
    import torch

    def outputs(*xs: Any) -> tuple[Any, ...]:
        return outputs_of(torch_fn(*xs))

    primals = tuple(torch.tensor(a) for a in arrays)
    _, tangents_out = torch.func.jvp(outputs, primals, tuple(torch.tensor(t) for t in tangents))
    return flat(tangents_out)


def finite_scale(expected: np.ndarray) -> float:
    """The largest finite magnitude in ``expected``, at least 1: the size of the terms whose
    rounding an element summed from them to near 0 keeps, for an absolute tolerance.

    >>> finite_scale(np.array([0.5, -15.0, np.inf]))
    15.0
    """
    finite = np.abs(expected[np.isfinite(expected)])
    return max(1.0, float(finite.max(initial=0.0)))


def assert_close(actual: Any, expected: Any, what: str, rtol: float = 1e-6) -> None:
    """Equal up to ``rtol`` of the largest expected magnitude (at least 1): finite
    differences err in absolute terms, so a relative check per element would be too strict."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    np.testing.assert_allclose(actual, expected, rtol=0, atol=rtol * scale, err_msg=what)


def custom_sin(lib: Any, backward: Callable[[Any, Any], Any]) -> Any:
    """A ``lib.autograd.Function`` (chainrule's or PyTorch's) computing ``sin(x)``, whose
    backward is ``backward(g, x)``: a planted rule, right or wrong, for gradcheck to judge.

        >>> custom_sin(cr, lambda g, x: g * x.cos()).apply(cr.tensor([0.0]))
        tensor([0.])
    """

    class CustomSin(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.sin()

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return backward(g, x)

    return CustomSin
