"""PyTorch-style snippets of indexing, shape and comparison code print the same text under
chainrule as under PyTorch (the runner of ``tests/test_torch_snippets.py``: the chainrule run
replaces the word ``torch`` with ``chainrule`` in the source, and the outputs must agree).
"""

from __future__ import annotations

import pytest
from test_torch_snippets import run

SNIPPETS: dict[str, str] = {
    # NumPy lays out the stack dims of a matmul's result in its operands' memory order;
    # PyTorch's result is contiguous, and attention code views it (chainrule's was permuted)
    "matmul_of_permuted_stacks_is_contiguous": """
        import torch
        torch.manual_seed(0)
        x = torch.randn(2, 3, 4, 5, requires_grad=True)
        heads = x.transpose(0, 1)  # (3, 2, 4, 5): the stack dims permuted
        scores = heads @ heads.mT
        print(scores.is_contiguous(), scores.stride(), scores.view(3, -1).sum(1))
        mixed = torch.matmul(heads, torch.ones(5, 2)), torch.matmul(torch.ones(4), heads)
        print([(m.shape, m.is_contiguous()) for m in mixed])
        scores.view(-1).pow(2).sum().backward()
        print(x.grad.sum(), x.grad.stride())
    """,
    "comparison_methods_in_a_training_loop": """
        import torch
        logits = torch.tensor([[2.0, -1.0, 0.5], [0.1, 0.3, -2.0], [1.0, 1.0, 0.0]])
        labels = torch.tensor([0, 1, 2])
        predicted = logits.argmax(dim=1)
        correct = predicted.eq(labels).sum().item()
        print(correct, predicted.ne(labels), logits.gt(0).float().mean(), logits.le(0.1))
        print(logits.ge(torch.tensor([1.0, 0.0, 0.5])), logits.lt(0.5).any(dim=0))
    """,
    "closeness_checks": """
        import torch
        a = torch.tensor([1.0, 2.0, float("nan"), float("inf")])
        b = a + 1e-7
        print(torch.isclose(a, b), a.isclose(b, equal_nan=True))
        print(torch.allclose(a[:2], b[:2]), a.allclose(a), a.allclose(a, equal_nan=True))
        print(torch.equal(a[:2], a[:2].clone()), a.equal(a), torch.equal(a[:2], b[:2]))
        error(lambda: torch.isclose(a, torch.ones(4, dtype=torch.float64)))
        error(lambda: torch.allclose(a, 1.0))
    """,
    "attention_mask_with_masked_fill": """
        import torch
        torch.manual_seed(0)
        scores = torch.randn(2, 4, 4)
        causal = torch.triu(torch.ones(4, 4, dtype=torch.bool), diagonal=1)
        masked = scores.masked_fill(causal, float("-inf"))
        weights = torch.softmax(masked, dim=-1)
        print(weights[0].round(decimals=4))
        print(torch.masked_fill(torch.tensor([1, 2, 3]), torch.tensor([True, False, True]), 9.7))
        scores.masked_fill_(causal, 0.0)
        print(scores._version, (scores[0] == 0).sum())
        error(lambda: scores.masked_fill(causal.int(), 0.0))
    """,
    "one_hot_with_scatter": """
        import torch
        labels = torch.tensor([2, 0, 1, 2])
        one_hot = torch.zeros(4, 3).scatter_(1, labels.unsqueeze(1), 1.0)
        print(one_hot)
        counts = torch.zeros(3).scatter_add_(0, labels, torch.ones(4))
        ones = torch.ones(4, dtype=torch.long)
        print(counts, torch.zeros(3, dtype=torch.long).index_add_(0, labels, ones))
        src = torch.arange(1.0, 7.0).reshape(2, 3)
        print(torch.scatter(torch.zeros(3, 3), 0, torch.tensor([[0, 1, 2], [2, 0, 1]]), src))
        error(lambda: torch.zeros(2, 2).scatter(1, torch.tensor([[2]]), 1.0))
    """,
    "gradients_through_index_updates": """
        import torch
        w = torch.ones(3, 2, requires_grad=True)
        v = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        y = w.index_copy(0, torch.tensor([2, 0]), v) * torch.tensor([[1.0], [2.0], [3.0]])
        y.sum().backward()
        print(w.grad, v.grad)
        x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
        z = x.index_fill(0, torch.tensor([1]), -1.0).take(torch.tensor([0, 1, 1]))
        z.sum().backward()
        print(z, x.grad, z.grad_fn)
    """,
    "index_arrays_out_of_bounds": """
        import torch  # PyTorch checks an index as it reads it: an empty result reads none
        x = torch.arange(6.0, requires_grad=True).reshape(2, 3)
        print(x[:0, [5]].shape, x[[7], :0].shape, x[torch.tensor([], dtype=torch.long), [5]])
        print(torch.zeros(2, 3, 4)[..., [9], :0].shape, torch.zeros(2, 0)[[7]].shape)
        x[:0, [5]].sum().backward()
        print(x.grad)
        error(lambda: x[[7]])
        error(lambda: x[[5]][:0])
        error(lambda: torch.zeros(3, 0)[:, [1]])
        error(lambda: torch.zeros(0, 0)[:, [1]])
        error(lambda: x[[0, 1, 9], [0, 1]])
        error(lambda: x[torch.ones(1, 3, dtype=torch.bool), [0, 1, 2]])  # dimensions counted first
        y = torch.zeros(2, 3)
        y[:0, [5]] = 1.0
        print(y.sum())
        error(lambda: y.__setitem__(([7],), 1.0))
    """,
    "setitem_value_shapes": """
        import torch  # a value's leading dims of size 1 are dropped; what does not fit is refused
        y = torch.zeros(4, 2)
        v = torch.tensor([[1.0, 2.0]], requires_grad=True)
        y[0] = v
        y[torch.tensor(1)] = v * 2
        y[[2, 3]] = torch.ones(1, 1, 2)
        z = torch.zeros(2)
        z[0] = torch.ones(1)
        print(y, z, y.grad_fn.name())
        (y * torch.arange(8.0).reshape(4, 2)).sum().backward()
        print(v.grad)
        error(lambda: y.__setitem__(0, torch.ones(2, 1)))
        error(lambda: y.__setitem__(0, torch.ones(3)))
        error(lambda: y.__setitem__([0], torch.ones(2, 2)))
        error(lambda: y[:, :1].copy_(torch.ones(4, 3)))
        error(lambda: z.copy_(torch.ones(3, 2)))
        error(lambda: torch.zeros(4, 1).copy_(torch.ones(3)))
    """,
    "zero_d_index_tensors": """
        import torch  # a 0-d index tensor picks one slice; a 0-d source fills one element
        print(torch.index_put(torch.zeros(3), (torch.tensor(1),), torch.tensor(2.0)))
        print(torch.zeros(3, 2).index_put_((torch.tensor(-1),), torch.ones(2), accumulate=True))
        print(torch.index_copy(torch.zeros(3), 0, torch.tensor(1), torch.tensor(3.0)))
        print(torch.index_copy(torch.zeros(3), 0, torch.tensor([2]), torch.tensor(4.0)))
        error(lambda: torch.index_copy(torch.zeros(3), 0, torch.tensor([1, 2]), torch.tensor(3.0)))
        error(lambda: torch.index_copy(torch.zeros(3, 2), 0, torch.tensor(1), torch.tensor(3.0)))
        error(lambda: torch.index_put(torch.zeros(3), (torch.tensor(1),), torch.ones(2)))
    """,
    "reshaping_helpers": """
        import torch
        x = torch.arange(24).reshape(2, 3, 4)
        print(x.narrow(1, 1, 2).shape, x.select(2, -1), torch.movedim(x, 0, -1).shape)
        print(x.unflatten(2, (2, 2)).shape, torch.ravel(x.transpose(0, 1))[:6], torch.numel(x))
        print(x.swapdims(0, 2).is_contiguous(), x.moveaxis(-1, 0).stride(), x[1].storage_offset())
        print(torch.tile(torch.tensor([1, 2]), (2, 2)), torch.tensor([1, 2]).repeat_interleave(2))
        print(torch.repeat_interleave(torch.tensor([[1, 2], [3, 4]]), torch.tensor([1, 2]), dim=0))
        print(x.nbytes, x.itemsize, x.is_complex(), x.diagonal(0, 1, 2))
        error(lambda: x.narrow(1, 2, 2))
        error(lambda: x.unflatten(1, (2, 2)))
    """,
    "stacking_and_splitting": """
        import torch
        a, b = torch.tensor([1, 2, 3]), torch.tensor([4, 5, 6])
        print(torch.hstack((a, b)), torch.vstack((a, b)), torch.dstack((a, b)).shape)
        print(torch.column_stack((a, b)), torch.atleast_2d(a), torch.atleast_3d(a).shape)
        parts = torch.tensor_split(torch.arange(7), 3)
        print(parts, torch.hsplit(torch.arange(12).reshape(3, 4), [1, 3])[1])
        print(torch.vsplit(torch.arange(12).reshape(4, 3), 2)[1])
        error(lambda: torch.hsplit(torch.arange(12).reshape(3, 4), 3))
    """,
    "grids_flips_and_diagonals": """
        import torch
        xs, ys = torch.meshgrid(torch.arange(3), torch.arange(2), indexing="xy")
        print(xs, ys)
        m = torch.arange(9.0).reshape(3, 3)
        print(torch.fliplr(m), torch.flipud(m), torch.rot90(m), m.rot90(2))
        m.diagonal().zero_()
        print(m, torch.diag_embed(torch.tensor([1.0, 2.0]), offset=1))
        print(torch.tril_indices(3, 3), torch.triu_indices(2, 3, 1))
        print(torch.take_along_dim(m, m.argmax(dim=1, keepdim=True), dim=1))
        print(torch.take_along_dim(m, torch.tensor([[-1, 0]]), dim=1))  # from the end along a dim
        error(lambda: torch.take_along_dim(m, torch.tensor([[-1, 0]])))  # not in the flattened
    """,
}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy warns where results are nan
@pytest.mark.parametrize("name", SNIPPETS)
def test_snippet_prints_what_pytorch_prints(name: str) -> None:
    source = SNIPPETS[name]
    expected = run(source).replace("torch", "chainrule")
    assert run(source.replace("torch", "chainrule")) == expected
