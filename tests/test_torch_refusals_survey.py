"""Calls PyTorch refuses as meaningless or out of range and chainrule answered with a number: a
survey of every function and method both libraries have, called with out-of-range dimensions,
negative or nan settings, float counts and integer targets, found them. Each snippet must give
the same outcome under both: PyTorch's error (type and first line), or the same value.
"""

from __future__ import annotations

import pytest
import torch
from snippet_outcome import outcome

import chainrule as cr

SNIPPETS = {
    # a tensor of probabilities outside [0, 1] drew ones (above 1) or zeros (below 0)
    "bernoulli of probabilities above 1": "out = T.bernoulli(T.tensor([0.5, 1.5]))",
    "bernoulli of a nan probability": "out = T.bernoulli(T.tensor([float('nan')]))",
    "Tensor.bernoulli of negative probabilities": "out = T.tensor([[-0.5, 0.2]]).bernoulli()",
    "bernoulli_ with a tensor of probabilities above 1": """
        out = T.zeros(2).bernoulli_(T.tensor([0.5, 2.0]))
    """,
    "bernoulli of probabilities 0 and 1": "out = T.bernoulli(T.tensor([0.0, 1.0, 1.0]))",
    # a dimension below 1 summed no terms: 0 (or one lgamma), not a refusal
    "mvlgamma with p = 0": "out = T.mvlgamma(T.tensor([2.0, 3.0]), 0)",
    "mvlgamma with p = -1": "out = T.mvlgamma(T.tensor([2.0]), p=-1)",
    "special.multigammaln with p = 0": "out = T.special.multigammaln(T.tensor([2.0]), 0)",
    "Tensor.mvlgamma_ with p = -4": "out = T.tensor([2.0]).mvlgamma_(-4)",
    "mvlgamma with a float p": "out = T.mvlgamma(T.tensor([2.0]), 1.5)",
    # a negative eps clamped the norms to a negative number, a nan eps gave nan
    "cosine_similarity with eps = -1": """
        out = T.cosine_similarity(T.ones(2, 3), T.ones(2, 3), eps=-1)
    """,
    "F.cosine_similarity with eps = nan": """
        out = T.nn.functional.cosine_similarity(T.ones(2, 3), T.ones(2, 3), eps=float('nan'))
    """,
    # a nan p gave nan distances
    "pdist with p = nan": "out = T.pdist(T.ones(2, 3), float('nan'))",
    "cdist with p = nan": "out = T.cdist(T.ones(2, 3), T.ones(2, 3), p=float('nan'))",
    # infinite or nan bounds gave inf or nan slopes
    "rrelu with a nan lower bound": "out = T.rrelu(T.tensor([-1.0, 2.0]), float('nan'))",
    "F.rrelu with an infinite lower bound": """
        out = T.nn.functional.rrelu(T.tensor([-1.0, 2.0]), float('-inf'), 0.3)
    """,
    "F.rrelu with an infinite upper bound in training": """
        out = T.nn.functional.rrelu(T.tensor([-1.0, 2.0]), 0.1, float('inf'), True)
    """,
    "rrelu_ with a nan lower bound": "out = T.rrelu_(T.tensor([-1.0, 2.0]), float('nan'))",
    "F.rrelu_ with an infinite lower bound in training": """
        out = T.nn.functional.rrelu_(T.tensor([-1.0, 2.0]), float('-inf'), 0.3, True)
    """,
    "F.rrelu_ with an infinite lower bound in evaluation": """
        out = T.nn.functional.rrelu_(T.tensor([-1.0, 2.0]), float('-inf'), 0.3).tolist()
    """,
    # an infinite lambda shrank every value to nan
    "F.softshrink with lambda = inf": """
        out = T.nn.functional.softshrink(T.tensor([1.0, -2.0]), float('inf'))
    """,
    "F.softshrink with lambda = nan": """
        out = T.nn.functional.softshrink(T.tensor([1.0], dtype=T.float64), float('nan'))
    """,
    # dimensions were taken modulo the rank: (2, 3) of a matrix was (0, 1)
    "nuclear_norm over dims out of range": "out = T.nuclear_norm(T.ones(2, 3), (2, 3))",
    "linalg.matrix_norm over a dim out of range": """
        out = T.linalg.matrix_norm(T.ones(2, 3), 2, dim=(3, 1))
    """,
    "linalg.matrix_norm over one dim twice": """
        out = T.linalg.matrix_norm(T.ones(2, 3), 'nuc', dim=(0, -2))
    """,
    "linalg.norm over a dim out of range": "out = T.linalg.norm(T.ones(2, 3), 'fro', (0, 2))",
    # a nan std drew nan
    "normal with a nan std": "out = T.normal(T.ones(3), float('nan'))",
    "normal with a tensor std holding nan": """
        out = T.normal(1.0, T.tensor([float('nan'), 1.0]))
    """,
    # one vector was its own chain product, a vector times a matrix a vector
    "chain_matmul of a vector": "out = T.chain_matmul(T.ones(3))",
    "chain_matmul of a matrix and a vector": "out = T.chain_matmul(T.ones(2, 3), T.ones(3))",
    "chain_matmul of a 3-D tensor": "out = T.chain_matmul(T.ones(2, 3, 4))",
    # an empty normalized shape normalized every value on its own
    "F.layer_norm over no dimensions": "out = T.nn.functional.layer_norm(T.ones(2, 3), [])",
    "layer_norm over no dimensions": "out = T.layer_norm(T.ones(2, 3), ())",
    "F.rms_norm over no dimensions": "out = T.nn.functional.rms_norm(T.ones(2, 3), [])",
    # integer and bool targets were taken as probabilities
    "F.kl_div of an int64 target": """
        out = T.nn.functional.kl_div(T.ones(2, 3), T.ones(2, 3, dtype=T.int64), reduction='sum')
    """,
    "kl_div of an int64 input": "out = T.kl_div(T.ones(2, dtype=T.int64), T.ones(2))",
    "F.kl_div of a bool target": """
        out = T.nn.functional.kl_div(T.ones(2), T.ones(2).bool(), reduction='sum')
    """,
    # a float diagonal shifted the mask by the wrong amount (triu(x, 1.5): all zeros)
    "triu with a float diagonal": "out = T.triu(T.ones(2, 3), 1.5)",
    "tril with a bool diagonal": "out = T.tril(T.ones(2, 3), True)",
    # a float k picked a value that is no k-th smallest
    "kthvalue with a float k": "out = T.kthvalue(T.ones(2, 3), 1.5)",
}


@pytest.mark.parametrize("name", SNIPPETS)
def test_snippet_matches_pytorch(name: str) -> None:
    code = SNIPPETS[name]
    assert outcome(cr, code) == outcome(torch, code)
