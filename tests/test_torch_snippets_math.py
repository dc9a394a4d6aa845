"""PyTorch-style snippets with the math functions added for issue 11 print the same under
chainrule as under PyTorch (the runner of ``tests/test_torch_snippets.py``: the chainrule run
replaces the word ``torch`` in the source, and nothing else)."""

from __future__ import annotations

import pytest
from test_torch_snippets import run

SNIPPETS: dict[str, str] = {
    "edge_arguments_of_reductions": """
        import torch  # what a norm or a mean cannot be asked for
        x = torch.ones(2, 2, 2)
        print(torch.norm(x, p="fro", dim=(0,)), torch.nanmean(x, dtype=torch.float64))
        error(lambda: torch.norm(x, p="fro", dim=(0, 1, 2)))
        error(lambda: x.norm(p="fro", dim=[-1, 0, 1]))
        error(lambda: torch.nanmean(x, dtype=torch.int64))
        error(lambda: torch.frac(torch.tensor([1, 2])))
        error(lambda: torch.frac(torch.tensor([True])))
    """,
    "edge_dtypes_of_elementwise_ops": """
        import torch  # bool has no floor or abs kernel; where wants a bool condition
        b = torch.tensor([False, True])
        for f in (torch.abs, torch.floor, torch.ceil, torch.round, torch.trunc):
            error(lambda: f(b))
        error(lambda: torch.where(torch.tensor([1.0, 0.0]), torch.ones(2), torch.zeros(2)))
        error(lambda: torch.where(torch.tensor([1, 0]), torch.ones(2), torch.zeros(2)))
        empty = torch.tensor([], dtype=torch.int64)  # nothing is divided by the zero
        print(torch.remainder(empty, 0), torch.floor_divide(empty, 0))
        for mode in ("trunc", "floor"):
            print(torch.div(empty, 0, rounding_mode=mode))
        error(lambda: torch.remainder(torch.tensor([1]), 0))
    """,
    "einsum_sublists_and_gather_keywords": """
        import torch  # einsum's sublist form; gather's sparse_grad keyword left at False
        a = torch.tensor([[1.0, -2.0, 0.5], [3.0, 0.25, -1.0]], requires_grad=True)
        b = torch.tensor([[2.0, 1.0], [-1.0, 0.5], [0.5, 4.0]])
        c = torch.tensor([[[1.0, 2.0], [3.0, 4.0]]])
        y = torch.einsum(a, [0, 1], b, [1, 2], [0, 2])
        z = torch.einsum(a, [0, 1], b, [1, 2])
        w = torch.einsum(c, [Ellipsis, 30, 30], [Ellipsis, 30])
        v = torch.einsum(a, [27, 51], [51])
        (y.sum() + z.pow(2).sum() + v.sum()).backward()
        print(y.detach(), z.detach(), w, v.detach(), a.grad)  # (their nodes are named apart)
        error(lambda: torch.einsum(a, [0, 52]))
        error(lambda: torch.einsum(a, [0, -1], [0]))
        i = torch.tensor([[2, 0], [1, 1]])
        print(torch.gather(a, 1, i, sparse_grad=False).detach(), a.gather(1, i, sparse_grad=False))
    """,
    "hand_written_adam_step": """
        import torch
        torch.manual_seed(0)
        p = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
        avg, sq = torch.zeros(3), torch.zeros(3)
        for step in range(1, 4):
            loss = (p ** 2).sum()
            loss.backward()
            with torch.no_grad():
                avg.lerp_(p.grad, 0.1)
                sq.mul_(0.999).addcmul_(p.grad, p.grad, value=0.001)
                denom = (sq / (1 - 0.999 ** step)).sqrt().add_(1e-8)
                p.addcdiv_(avg, denom, value=-0.1 / (1 - 0.9 ** step))
            p.grad.zero_()
        print(p, avg, sq)
    """,
    "linear_layer_by_addmm": """
        import torch
        x = torch.arange(6.0).reshape(2, 3)
        w = torch.tensor([[1.0, -1.0], [0.5, 0.0], [2.0, 1.0]], requires_grad=True)
        b = torch.tensor([0.1, -0.1], requires_grad=True)
        y = torch.addmm(b, x, w, beta=0.5, alpha=2)
        y.sum().backward()
        print(y, w.grad, b.grad)
        print(torch.baddbmm(torch.zeros(2, 1, 1), x.reshape(2, 1, 3), x.reshape(2, 3, 1)))
        error(lambda: torch.addmm(b, x, x))
    """,
    "running_products_and_extremes": """
        import torch
        x = torch.tensor([[2.0, 0.0, 3.0, 1.0], [1.0, 4.0, 4.0, 0.5]], requires_grad=True)
        y = x.cumprod(dim=1)
        y.sum().backward()
        print(y, x.grad)
        print(torch.cummax(x, dim=1))
        values, indices = x.cummin(1)
        print(values, indices)
        print(torch.logcumsumexp(torch.tensor([-1000.0, 0.0, 1000.0]), 0))
        print(torch.cumprod(torch.tensor([1, 2, 3], dtype=torch.int32), 0))
    """,
    "aliases_and_in_place": """
        import torch
        x = torch.tensor([-1.5, 0.0, 2.0])
        print(torch.absolute(x), torch.negative(x), x.arccos().isnan(), torch.clip(x, -1, 1))
        print(torch.multiply(x, 2), torch.divide(x, 2, rounding_mode="floor"))
        print(torch.subtract(x, x, alpha=2), torch.true_divide(torch.arange(3), 2))
        print(x.clamp_min(0), torch.clamp_max(x, 0), torch.concat([x, x]).shape)
        y = x.clone()
        print(y.abs_(), y.sqrt_(), y.exp_(), y.sigmoid_(), y._version)
    """,
    "nan_aware_statistics": """
        import torch
        x = torch.tensor([[1.0, float("nan"), 3.0], [float("inf"), 0.0, -2.0]])
        print(torch.nansum(x), x.nanmean(dim=1), torch.count_nonzero(x, dim=0))
        print(torch.nan_to_num(x), x.nan_to_num(nan=-1.0, posinf=9.0))
        print(torch.fmax(x, torch.zeros(3)), torch.fmin(x, x.flip(1)))
        print(torch.diff(x, dim=1), torch.diff(torch.tensor([1, 4, 9, 16]), n=2))
    """,
    "log_space_and_signs": """
        import torch
        a = torch.tensor([1000.0, -5.0, 0.0])
        b = torch.tensor([1000.0, 3.0, float("-inf")])
        print(torch.logaddexp(a, b), torch.logaddexp2(a, b))
        p = torch.tensor([0.0, 0.1, 0.5, 1.0])
        print(torch.xlogy(p, p), torch.logit(p, eps=1e-6))
        print(torch.copysign(a, -1), torch.sgn(b), torch.signbit(torch.tensor([-0.0, 0.0])))
        print(torch.sinc(p), torch.deg2rad(torch.tensor([180.0])))
        print(torch.float_power(torch.tensor([2]), 3))
        print(torch.heaviside(torch.tensor([-1.0, 0.0, 2.0]), torch.tensor([0.5])))
    """,
}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy warns where results are nan
@pytest.mark.parametrize("name", SNIPPETS)
def test_math_snippet_prints_what_pytorch_prints(name: str) -> None:
    source = SNIPPETS[name]
    expected = run(source).replace("torch", "chainrule")
    assert run(source.replace("torch", "chainrule")) == expected


def test_gather_with_a_sparse_gradient_is_refused() -> None:
    """A named difference: PyTorch's ``gather(..., sparse_grad=True)`` gives the input a sparse
    gradient; chainrule has no sparse tensors and says so (as for an embedding's sparse=True)."""
    import torch

    import chainrule as cr

    x = torch.tensor([1.0, 2.0], requires_grad=True)
    torch.gather(x, 0, torch.tensor([1]), sparse_grad=True).sum().backward()
    assert x.grad.is_sparse
    with pytest.raises(NotImplementedError, match="gather: sparse_grad=True is not supported"):
        cr.gather(cr.tensor([1.0, 2.0]), 0, cr.tensor([1]), sparse_grad=True)
