"""PyTorch-style snippets with ``torch.nn``'s further activations, losses and distances print the
same text under chainrule as under PyTorch (``torch`` replaced by ``chainrule`` in the source;
the runner is ``tests/test_torch_snippets.py``'s)."""

from __future__ import annotations

import pytest
from test_torch_snippets import run

SNIPPETS: dict[str, str] = {
    "activation_functions_and_their_gradients": """
        import torch
        import torch.nn.functional as F
        x = torch.linspace(-4, 4, 9, requires_grad=True)
        for f in (F.relu6, F.hardtanh, F.selu, F.celu, F.hardswish, F.hardsigmoid, F.mish,
                  F.logsigmoid, F.softsign, F.tanhshrink, F.softshrink, F.hardshrink):
            y = f(x)
            (g,) = torch.autograd.grad(y.sum(), x)
            print(y, g, sep="\\n")
        print(F.threshold(x, 1.0, -1.0), F.rrelu(x), F.glu(x[:8]), F.softmin(x[:4], dim=0))
        print(F.prelu(x, torch.tensor([0.25])))
    """,
    "activation_modules_in_a_model": """
        import torch
        from torch import nn
        model = nn.Sequential(
            nn.Linear(4, 6), nn.Hardswish(), nn.Linear(6, 6), nn.PReLU(6), nn.ReLU6(inplace=True),
            nn.ELU(alpha=0.5), nn.SELU(), nn.CELU(2.0), nn.Mish(), nn.Softsign(), nn.GLU(),
            nn.Hardtanh(-2.0, 2.0), nn.Threshold(0.1, 0.0), nn.RReLU(), nn.Softmin(dim=1),
        )
        print(model)
        print(nn.Softshrink(0.3), nn.Hardshrink(), nn.Tanhshrink(), nn.LogSigmoid(), nn.Softmax2d())
        print(nn.Hardsigmoid(inplace=True), nn.PReLU(num_parameters=3, init=0.1).weight)
        model.eval()
        print([name for name, _ in model.named_parameters()])
    """,
    "ignored_targets_take_no_gradient_even_a_nan": """
        import torch  # an ignored sample's gradient is 0 whatever reaches it (nan here)
        import torch.nn.functional as F
        x = torch.tensor([[0.5, 1.0, -1.0], [0.2, 0.3, 0.1]], requires_grad=True)
        w = torch.tensor([1.0, 2.0, 3.0])
        for t, reduction in [([0, 1], "mean"), ([0, 0], "mean"), ([0, 1], "none"), ([0, 1], "sum")]:
            t = torch.tensor(t)
            for loss in (
                F.cross_entropy(x, t, ignore_index=0, reduction=reduction),
                F.nll_loss(x.log_softmax(1), t, w, ignore_index=0, reduction=reduction),
            ):
                (loss * torch.tensor(float("nan"))).sum().backward()
                print(t, reduction, x.grad)
                x.grad = None
    """,
    "regression_and_margin_losses": """
        import torch
        from torch import nn
        pred = torch.tensor([[0.5, -1.0, 2.0], [1.5, 0.2, -0.3]], requires_grad=True)
        target = torch.tensor([[0.0, -0.5, 0.5], [1.0, 1.0, -2.0]])
        for loss_fn in (nn.SmoothL1Loss(), nn.SmoothL1Loss(beta=0.5), nn.HuberLoss(delta=0.5),
                        nn.SoftMarginLoss(), nn.PoissonNLLLoss(), nn.GaussianNLLLoss(),
                        nn.MultiLabelSoftMarginLoss()):
            args = (pred, target)
            if isinstance(loss_fn, nn.SoftMarginLoss):
                args = (pred, target.sign())
            if isinstance(loss_fn, nn.GaussianNLLLoss):
                args = (pred, target, torch.ones(2, 3))
            if isinstance(loss_fn, nn.MultiLabelSoftMarginLoss):
                args = (pred, (target > 0).float())
            loss = loss_fn(*args)
            loss.backward()
            print(loss_fn, loss, pred.grad)
            pred.grad = None
        scores = torch.tensor([[0.1, 0.2, 0.4, 0.8], [0.9, 0.3, 0.2, 0.1]], requires_grad=True)
        loss = nn.MultiMarginLoss()(scores, torch.tensor([3, 0]))
        loss.backward()
        print(loss, scores.grad)
        a, b = torch.tensor([0.5, 0.1, -0.2]), torch.tensor([0.4, 0.3, 0.1])
        print(nn.MarginRankingLoss(margin=0.1)(a, b, torch.tensor([1.0, -1.0, 1.0])))
        print(nn.HingeEmbeddingLoss()(a, torch.tensor([1.0, -1.0, -1.0])))
    """,
    "distillation_with_kl_div": """
        import torch
        import torch.nn.functional as F
        student = torch.tensor([[1.0, 2.0, 0.5], [0.1, -1.0, 3.0]], requires_grad=True)
        teacher = torch.tensor([[0.8, 2.5, 0.0], [0.0, -0.5, 2.0]])
        T = 2.0
        loss = F.kl_div(F.log_softmax(student / T, dim=1), F.softmax(teacher / T, dim=1),
                        reduction="batchmean") * T * T
        loss.backward()
        print(loss, student.grad)
        criterion = torch.nn.KLDivLoss(reduction="batchmean", log_target=True)
        print(criterion, criterion(F.log_softmax(student, 1), F.log_softmax(teacher, 1)))
        print(F.kl_div(torch.zeros(2), torch.tensor([0.0, 1.0]), reduction="sum"))
    """,
    "embeddings_similarity_and_triplets": """
        import torch
        from torch import nn
        import torch.nn.functional as F
        emb = torch.tensor([[1.0, 2.0, 2.0], [0.0, 3.0, 4.0], [0.0, 0.0, 0.0]], requires_grad=True)
        print(F.normalize(emb, dim=1))
        print(F.cosine_similarity(emb[:1], emb), nn.CosineSimilarity(dim=0)(emb[0], emb[1]))
        print(nn.PairwiseDistance()(emb[:1], emb), F.pairwise_distance(emb, emb.flip(0), p=1))
        print(F.pdist(emb))
        anchor, positive, negative = emb[:2], emb[1:], emb.flip(0)[:2]
        loss = nn.TripletMarginLoss(margin=1.0)(anchor, positive, negative)
        loss.backward()
        print(loss, emb.grad)
        y = torch.tensor([1.0, -1.0])
        print(nn.CosineEmbeddingLoss(margin=0.2)(anchor, positive, y))
    """,
    "in_place_activations": """
        import torch
        import torch.nn.functional as F
        x = torch.tensor([-1.0, 0.5, 7.0])
        print(F.relu_(x), x)
        x = torch.tensor([-1.0, 0.5, 7.0])
        print(F.hardtanh_(x), F.leaky_relu_(torch.tensor([-1.0, 2.0]), 0.2), F.elu_(-x))
        w = torch.tensor([-1.0, 0.5, 7.0], requires_grad=True)
        h = w * 2
        F.relu_(h)
        h.sum().backward()
        print(h, w.grad)
        error(lambda: F.relu_(torch.ones(2, requires_grad=True)))
        x = torch.tensor([-1.0, 0.5, 7.0])
        print(F.hardtanh(x, inplace=True), F.relu6(x), F.threshold_(x, 0.6, 0.0))
    """,
    "errors": """
        import torch
        import torch.nn.functional as F
        error(lambda: F.glu(torch.ones(2, 3)))
        error(lambda: F.hardtanh(torch.ones(2), 1.0, -1.0))
        error(lambda: F.pdist(torch.ones(3)))
        error(lambda: F.prelu(torch.ones(2, 3), torch.ones(2)))
        error(lambda: F.hardswish(torch.tensor([1, 2])))
        error(lambda: F.multi_margin_loss(torch.ones(2, 3), torch.tensor([0, 3])))
        error(lambda: F.triplet_margin_loss(torch.ones(2, 3), torch.ones(2, 3), torch.ones(3)))
        error(lambda: F.gaussian_nll_loss(torch.ones(2), torch.ones(2), -1.0))
        error(lambda: torch.nn.Softmax2d()(torch.ones(2, 3)))
    """,
}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy warns where results are nan
@pytest.mark.parametrize("name", SNIPPETS)
def test_snippet_prints_what_pytorch_prints(name: str) -> None:
    source = SNIPPETS[name]
    expected = run(source).replace("torch", "chainrule")
    assert run(source.replace("torch", "chainrule")) == expected
