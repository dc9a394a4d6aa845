"""PyTorch-style snippets with the layers and layer options this module's table covers (LSTM
projections, attention with its own key and value sizes, embedding bags and max_norm, further
losses, alpha dropout, channel shuffle, gumbel softmax) print the same text under chainrule as
under PyTorch (``torch`` replaced by ``chainrule`` in the source; the runner is
``tests/test_torch_snippets.py``'s)."""

from __future__ import annotations

import pytest
from test_torch_snippets import run

SNIPPETS: dict[str, str] = {
    "lstm_with_projections": """
        import torch
        from torch import nn
        lstm = nn.LSTM(4, 8, num_layers=2, proj_size=3, batch_first=True, bidirectional=True)
        print(lstm)
        print([(name, tuple(p.shape)) for name, p in lstm.named_parameters()])
        out, (h, c) = lstm(torch.zeros(2, 5, 4))
        print(out.shape, h.shape, c.shape)
        with torch.no_grad():
            for p in lstm.parameters():
                p.fill_(0.1)
        out, (h, c) = lstm(torch.ones(1, 3, 4))
        print(out, h)
        error(lambda: nn.LSTM(4, 3, proj_size=3))
        error(lambda: nn.GRU(4, 3, proj_size=1))
        error(lambda: lstm(torch.ones(1, 3, 4), (torch.zeros(4, 1, 8), torch.zeros(4, 1, 8))))
    """,
    "attention_with_key_and_value_sizes": """
        import torch
        from torch import nn
        mha = nn.MultiheadAttention(6, 2, kdim=4, vdim=3, add_bias_kv=True, add_zero_attn=True)
        print(mha, mha._qkv_same_embed_dim, mha.in_proj_weight, mha.bias_k.shape)
        print(list(mha.state_dict()))
        with torch.no_grad():
            for i, p in enumerate(mha.parameters()):
                p.copy_(torch.linspace(-0.5, 0.5, p.numel()).reshape(p.shape) * (i + 1))
        q, k, v = torch.ones(2, 1, 6), torch.ones(3, 1, 4), torch.ones(3, 1, 3)
        out, weights = mha(q, k, v)
        print(out.shape, weights.shape)
        print(weights)
        error(lambda: mha(q, torch.ones(3, 1, 6), v))
    """,
    "embedding_bags_and_max_norm": """
        import torch
        from torch import nn
        import torch.nn.functional as F
        table = torch.arange(12.0).reshape(6, 2)
        bag = nn.EmbeddingBag.from_pretrained(table, mode="sum", padding_idx=0)
        print(bag, bag.weight.requires_grad)
        text = torch.tensor([1, 2, 4, 5, 4, 3, 2, 0])
        offsets = torch.tensor([0, 2, 2, 5])
        print(bag(text, offsets))
        print(F.embedding_bag(text, table, offsets, mode="max"))
        print(F.embedding_bag(text.reshape(2, 4), table))
        weights = torch.linspace(0.1, 0.8, 8, requires_grad=True)
        out = F.embedding_bag(text, table, offsets, mode="sum", per_sample_weights=weights)
        out.sum().backward()
        print(out, weights.grad)
        emb = nn.Embedding(6, 2, max_norm=3.0, _weight=table.clone())
        print(emb, emb(torch.tensor([[5, 1]])), emb.weight)
        error(lambda: F.embedding_bag(text, table))
        error(lambda: F.embedding_bag(text, table, offsets, per_sample_weights=weights))
    """,
    "embedding_scale_grad_by_freq": """
        import torch
        from torch import nn
        import torch.nn.functional as F
        table = torch.arange(12.0).reshape(6, 2).requires_grad_()
        text = torch.tensor([[1, 2, 2], [4, 2, 1]])
        out = F.embedding(text, table, scale_grad_by_freq=True)
        out.backward(torch.arange(12.0).reshape(2, 3, 2))
        print(out, out.grad_fn, table.grad)
        table.grad = None
        F.embedding(text, table, padding_idx=2, scale_grad_by_freq=True).sum().backward()
        print(table.grad)
        emb = nn.Embedding(6, 2, padding_idx=1, scale_grad_by_freq=True)
        print(emb, nn.EmbeddingBag(6, 2, mode="sum", scale_grad_by_freq=True))
        f = lambda w: F.embedding(text, w, padding_idx=2, scale_grad_by_freq=True)
        print(torch.func.jvp(f, (table.detach(),), (torch.ones(6, 2),))[1])
        loss = lambda w, t: F.embedding(t, w, scale_grad_by_freq=True).sum()
        print(torch.func.vmap(torch.func.grad(loss), in_dims=(None, 0))(table.detach(), text))
        error(lambda: F.embedding_bag(text, table, mode="max", scale_grad_by_freq=True))
    """,
    "embedding_indices_checked": """
        import torch
        import torch.nn.functional as F
        table = torch.arange(12.0).reshape(6, 2)
        text = torch.tensor([1, 2, 4, 5])
        print(F.embedding(text.int(), table), F.embedding(torch.tensor(2), table))
        for bad in (torch.tensor([-1]), torch.tensor([6]), torch.tensor([0.0]), text.short(),
                    text.byte(), torch.tensor([True])):
            error(lambda: F.embedding(bad, table))
        error(lambda: F.embedding(text, table[0]))
        error(lambda: F.embedding(text, table.reshape(3, 2, 2)))
        for bad in (torch.tensor([-1, 0]), text.float()):  # (past the end: a kernel's words)
            error(lambda: F.embedding_bag(bad, table, torch.tensor([0, 1])))
        error(lambda: F.embedding_bag(text, table.double(), torch.tensor([0, 2]),
                                      mode="sum", per_sample_weights=torch.ones(4)))
        print(F.embedding_bag(text, table, torch.tensor([0, 2, 4]), include_last_offset=True))
        print(F.embedding_bag(text.reshape(2, 2), table, include_last_offset=True, mode="sum"))
        print(F.one_hot(text), F.one_hot(text, 7), F.one_hot(torch.tensor([], dtype=torch.long), 2))
        for bad in (lambda: F.one_hot(text.int()), lambda: F.one_hot(text, 5),
                    lambda: F.one_hot(text, -2), lambda: F.one_hot(-text),
                    lambda: F.one_hot(torch.tensor([], dtype=torch.long)),
                    lambda: F.one_hot(torch.tensor([], dtype=torch.long), 0)):
            error(bad)
    """,
    "loss_targets_checked": """
        import warnings
        import torch
        import torch.nn.functional as F
        warnings.simplefilter("ignore")
        x = torch.linspace(-1.0, 1.0, 20, dtype=torch.float64).reshape(4, 5).requires_grad_()
        t = torch.tensor([0, 2, 4, 2])
        one_class = torch.tensor([1.0, 0, 0, 0, 0], dtype=torch.float64)
        for loss in (lambda: F.cross_entropy(x, t, weight=torch.zeros(5, dtype=torch.float64)),
                     lambda: F.nll_loss(x, t, weight=torch.zeros(5, dtype=torch.float64)),
                     lambda: F.nll_loss(x, torch.tensor([0, -100, 1, 1]), weight=one_class),
                     lambda: F.cross_entropy(x, torch.full((4,), 2), ignore_index=2),
                     lambda: F.l1_loss(x, torch.ones(5, dtype=torch.float64)),
                     lambda: F.mse_loss(x, torch.ones(4, 1, dtype=torch.float64))):
            x.grad = None
            out = loss()
            out.backward()
            print(round(out.item(), 12), (x.grad + 0.0).numpy().round(12).tolist())
        x3 = torch.zeros(4, 5, 3)
        for target in (torch.tensor([0, 5, 1, 2]), torch.tensor([0, -1, 1, 2]), torch.rand(4),
                       torch.rand(5), torch.rand(4, 3), t.int(), t.short(), t.bool()):
            error(lambda: F.cross_entropy(x.detach(), target))
        for target in (torch.zeros(4, 2, dtype=torch.long), torch.zeros(3, 3, dtype=torch.long),
                       torch.zeros(4, 3, 1, dtype=torch.long), torch.rand(4, 3)):
            error(lambda: F.nll_loss(x3, target))
        error(lambda: F.nll_loss(x[0], torch.zeros(2, dtype=torch.long)))
        error(lambda: F.nll_loss(x, t, weight=torch.ones(3, dtype=torch.float64)))
        error(lambda: F.cross_entropy(x, x.detach().softmax(1), weight=torch.ones(3)))
        error(lambda: F.mse_loss(x, torch.ones(3)))
        error(lambda: F.l1_loss(x, torch.ones(4, 3)))
        error(lambda: F.binary_cross_entropy(x.sigmoid(), torch.rand(4, 1)))
        error(lambda: F.binary_cross_entropy_with_logits(x, torch.rand(5)))
        q = torch.rand(4, 5, dtype=torch.float64)
        error(lambda: F.binary_cross_entropy_with_logits(x, q, pos_weight=torch.ones(3)))
        error(lambda: F.binary_cross_entropy_with_logits(x, q, weight=torch.ones(2, 1)))
    """,
    "init_gains_modes_and_old_names": """
        import warnings
        import torch
        from torch.nn import init
        print([init.calculate_gain(name) for name in ("linear", "conv2d", "sigmoid", "tanh")])
        error(lambda: init.kaiming_normal_(torch.empty(3, 4), mode="bad"))
        torch.manual_seed(0)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            print(init.uniform(torch.empty(2)), init.xavier_normal(torch.empty(2, 2), gain=2.0))
            print(init.constant(torch.empty(2), 3.0), init.eye(torch.empty(2, 2)))
        print([(w.category.__name__, str(w.message)) for w in caught])
    """,
    "more_losses_and_activations": """
        import torch
        from torch import nn
        import torch.nn.functional as F
        scores = torch.tensor([[0.1, 0.2, 0.4, 0.8], [0.3, -0.2, 0.5, 0.1]], requires_grad=True)
        labels = torch.tensor([[3, 0, -1, 1], [2, 2, 1, -1]])
        loss = nn.MultiLabelMarginLoss()(scores, labels)
        loss.backward()
        print(loss, scores.grad)
        a, p, n = torch.tensor([[0.0, 1.0]]), torch.tensor([[1.0, 1.0]]), torch.tensor([[0.5, 0.0]])
        cosine = lambda x, y: 1.0 - F.cosine_similarity(x, y)
        print(nn.TripletMarginWithDistanceLoss(distance_function=cosine, margin=0.5)(a, p, n))
        print(nn.TripletMarginWithDistanceLoss(swap=True))
        print(nn.Softplus(beta=2.0, threshold=5.0), nn.Softplus()(torch.tensor([-1.0, 0.0, 30.0])))
        print(nn.ChannelShuffle(2)(torch.arange(8.0).reshape(1, 4, 2)))
        print(nn.AlphaDropout(0.2), nn.FeatureAlphaDropout(0.5).eval()(torch.ones(2, 2)))
        torch.manual_seed(0)
        print(F.alpha_dropout(torch.ones(2, 4), 0.5, training=True))
        torch.manual_seed(0)
        print(F.gumbel_softmax(torch.zeros(2, 3), tau=0.5, hard=True))
        error(lambda: F.multilabel_margin_loss(scores, labels.float()))
        error(lambda: F.channel_shuffle(torch.ones(1, 3, 2), 2))
    """,
}


@pytest.mark.filterwarnings("ignore::UserWarning")  # PyTorch's oneDNN note on projections
@pytest.mark.parametrize("name", SNIPPETS)
def test_snippet_prints_what_pytorch_prints(name: str) -> None:
    source = SNIPPETS[name]
    expected = run(source).replace("torch", "chainrule")
    assert run(source.replace("torch", "chainrule")) == expected
