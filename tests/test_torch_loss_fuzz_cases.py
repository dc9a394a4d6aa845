"""Cases a fuzz run of the loss functions against PyTorch found chainrule answering
differently: values, first and second derivatives, or the error raised (its type and first
line). A snippet sets ``out``; ``T`` is the library (see :func:`snippet_outcome.outcome`).
"""

from __future__ import annotations

import warnings

import pytest
import torch
from snippet_outcome import outcome

import chainrule as cr

PRELUDE = "F = T.nn.functional\n"

CASES = {
    # ---- ctc_loss: a +inf log-probability makes the likelihood nan (inf - inf in PyTorch's
    # log-sum-exp), not infinite: no loss of -inf, and zero_infinity leaves it
    "ctc +inf log-prob": (
        "x = T.zeros(3, 1, 3, dtype=T.float64).log_softmax(-1)\n"
        "x[1, 0, 2] = float('inf')\n"
        "out = F.ctc_loss(x, T.tensor([[0, 2]]), (3,), (2,), blank=1, reduction='none')"
    ),
    "ctc +inf log-prob zero_infinity gradient": (
        "x = T.zeros(3, 2, 3, dtype=T.float64).log_softmax(-1)\n"
        "x[1, 0, 2] = float('inf')\n"
        "x.requires_grad_()\n"
        "loss = F.ctc_loss(x, T.tensor([[0, 2], [2, 0]]), (3, 3), (2, 2), blank=1,\n"
        "                  reduction='none', zero_infinity=True)\n"
        "out = loss.tolist(), T.autograd.grad(loss.sum(), x)[0][1].tolist()"
    ),
    # ---- poisson_nll_loss(full=True): Stirling's term of the target itself, masked; its
    # gradient at a target of 0 is nan, as in PyTorch
    "poisson full target gradient at 0": (
        "x = T.tensor([0.5, 1.5, 2.0], dtype=T.float64)\n"
        "t = T.tensor([0.0, 1.0, 3.0], dtype=T.float64, requires_grad=True)\n"
        "loss = F.poisson_nll_loss(x, t, log_input=False, full=True, reduction='sum')\n"
        "g, = T.autograd.grad(loss, t, create_graph=True)\n"
        "out = [round(v, 10) for v in g.tolist()], [round(v, 10) for v in\n"
        "       T.autograd.grad((g * T.tensor([1.0, 2.0, 3.0])).sum(), t)[0].tolist()]"
    ),
    # ---- the mean of an empty loss, differentiated twice: PyTorch's norm 2 / 0 is inf
    "mse empty mean second order": (
        "x = T.zeros(0, 2, dtype=T.float64, requires_grad=True)\n"
        "t = T.zeros(0, 2, dtype=T.float64)\n"
        "g, = T.autograd.grad(F.mse_loss(x, t), x, create_graph=True)\n"
        "out = T.autograd.grad(g.sum(), x)[0].shape"
    ),
    "huber empty mean second order": (
        "x = T.zeros(0, dtype=T.float64, requires_grad=True)\n"
        "g, = T.autograd.grad(F.huber_loss(x, T.zeros(0, dtype=T.float64)), x,\n"
        "                     create_graph=True)\n"
        "out = T.autograd.grad(g.sum(), x, allow_unused=True)[0] is None"
    ),
    # ---- binary_cross_entropy refuses a nan probability as one outside [0, 1] (it gave nan)
    "bce nan input": (
        "out = F.binary_cross_entropy(T.tensor([0.5, float('nan')]), T.tensor([1.0, 0.0]))"
    ),
    "bce input above one": "out = F.binary_cross_entropy(T.tensor([1.5]), T.tensor([1.0]))",
    # ---- mse_loss and l1_loss take a weight per element (found by comparing the keywords of
    # PyTorch's signatures): their mean is the weighted mean (divided by the weights' sum),
    # huber_loss's the plain mean of the weighted losses
    **{
        f"{loss} weight {reduction}": (
            "x = T.tensor([[0.5, -1.0], [2.0, 0.25]], dtype=T.float64, requires_grad=True)\n"
            "w = T.tensor([[1.0, 3.0], [0.5, 2.0]], dtype=T.float64, requires_grad=True)\n"
            f"loss = F.{loss}(x, T.zeros(2, 2, dtype=T.float64), reduction='{reduction}',\n"
            "               weight=w)\n"
            "out = loss.tolist(), [g.tolist() for g in T.autograd.grad(loss.sum(), (x, w))]"
        )
        for loss in ("mse_loss", "l1_loss", "huber_loss")
        for reduction in ("mean", "sum", "none")
    },
    "mse weight broadcast target": (
        "x = T.tensor([[0.5, -1.0], [2.0, 0.25]], dtype=T.float64)\n"
        "out = F.mse_loss(x, T.tensor([1.0, 0.0], dtype=T.float64), weight=T.ones(2, 2))"
    ),
    "l1 weight of another shape": (
        "out = F.l1_loss(T.zeros(2, 2), T.ones(2, 2), weight=T.ones(2))"
    ),
    "mse weight legacy reduction": (
        "out = F.mse_loss(T.zeros(2), T.ones(2), reduce=False, weight=T.tensor([1.0, 2.0]))"
    ),
    "mse weight reduction refused": (
        "out = F.mse_loss(T.zeros(2), T.ones(2), reduction='avg', weight=T.ones(2))"
    ),
    # ---- triplet_margin_loss refuses a margin that is not positive
    "triplet margin 0": (
        "a = T.zeros(2, 3)\nout = F.triplet_margin_loss(a, a + 1, a - 1, margin=0.0)"
    ),
}


@pytest.mark.parametrize("code", CASES.values(), ids=CASES.keys())
def test_loss_matches_torch(code: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = outcome(torch, code, PRELUDE)
        assert outcome(cr, code, PRELUDE) == expected
