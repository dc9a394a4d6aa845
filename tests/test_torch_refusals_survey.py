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
    # dropout of integers or bools in training scaled them by 1 / (1 - p) and cut them back
    "F.dropout of int64 in training": "out = T.nn.functional.dropout(T.ones(2, 3).long(), 0.5)",
    "F.dropout2d of bool in training": """
        out = T.nn.functional.dropout2d(T.ones(2, 3, 4).bool(), 0.5)
    """,
    "F.alpha_dropout of bool in training": """
        out = T.nn.functional.alpha_dropout(T.ones(2, 3).bool(), 0.5, True)
    """,
    "F.feature_alpha_dropout of uint8 in training": """
        out = T.nn.functional.feature_alpha_dropout(T.ones(2, 3, dtype=T.uint8), 0.5, True)
    """,
    "F.dropout3d of uint8 in training": """
        out = T.nn.functional.dropout3d(T.ones(2, 3, 4, 5, dtype=T.uint8), 0.2)
    """,
    "F.dropout of a bool with p = 1 stays bool": """
        out = T.nn.functional.dropout(T.ones(3).bool(), 1.0)
    """,
    "F.dropout of int64 in evaluation": """
        out = T.nn.functional.dropout(T.ones(3).long(), 0.5, False)
    """,
    # a tensor or a number as training was read by its truth
    "F.dropout with a tensor training": """
        out = T.nn.functional.dropout(T.ones(2, 3), 0.5, T.tensor(True))
    """,
    "F.dropout1d with an int training, in place": """
        out = T.nn.functional.dropout1d(T.ones(2, 3), 0.5, 1, True)
    """,
    "F.alpha_dropout with a tensor training": """
        out = T.nn.functional.alpha_dropout(T.ones(2, 3), 0.5, T.ones(3))
    """,
    "dropout_ with an int train": "out = T.dropout_(T.ones(2, 3), 1.0, -1)",
    "feature_dropout with p = 1 and an int train": """
        out = T.feature_dropout(T.ones(2, 3, 4), 1.0, 1)
    """,
    # hardtanh of bools kept them; a uint8's negative limit wrapped to 255
    "F.hardtanh of bool": "out = T.nn.functional.hardtanh(T.tensor([True, False]))",
    "F.relu6 of bool": "out = T.nn.functional.relu6(T.tensor([True, False]))",
    "F.hardtanh_ of uint8 with negative limits": """
        out = T.nn.functional.hardtanh_(T.tensor([0, 3], dtype=T.uint8))
    """,
    "F.hardtanh of int64 with a nan limit": """
        out = T.nn.functional.hardtanh(T.tensor([0, 3]), float('nan'), 1.0)
    """,
    "F.hardtanh of int64 with float limits": """
        out = T.nn.functional.hardtanh(T.tensor([-3, 0, 3]), -1.5, 2.5)
    """,
    "F.hardtanh of uint8 with limits from 0": """
        out = T.nn.functional.hardtanh(T.tensor([0, 3], dtype=T.uint8), 0.0, 2.0)
    """,
    "F.hardtanh of floats with a nan limit": """
        out = T.nn.functional.hardtanh(T.tensor([0.0, 3.0]), float('nan'), 1.0)
    """,
    # normalize's out of another dtype took the result cast
    "F.normalize into a bool out": """
        out = T.nn.functional.normalize(T.ones(2, 3), out=T.zeros(2, 3).bool())
    """,
    "F.normalize into an int64 out": """
        out = T.nn.functional.normalize(T.ones(2, 3), 2.0, 0, out=T.zeros(2, 3).long())
    """,
    "F.normalize into a float64 out": """
        out = T.nn.functional.normalize(T.ones(2, 3), out=T.zeros(2, 3, dtype=T.float64))
    """,
    # one dim twice gave two derivatives along it; uint8 differences wrapped
    "gradient along dim 0 twice": "out = T.gradient(T.ones(2, 3), dim=(0, 0))",
    "gradient along dims 1 and -1": "out = T.gradient(T.ones(2, 3), dim=[1, -1])",
    "gradient of uint8": "out = T.gradient(T.tensor([0, 3, 1], dtype=T.uint8))",
    "gradient along two dims": "out = T.gradient(T.tensor([[1.0, 2.0], [3.0, 5.0]]), dim=(0, 1))",
    # integer and bool targets were read as probabilities
    "binary_cross_entropy_with_logits of an int64 target": """
        out = T.binary_cross_entropy_with_logits(T.ones(2, 3), T.ones(2, 3, dtype=T.int64))
    """,
    "F.binary_cross_entropy_with_logits of a bool target": """
        out = T.nn.functional.binary_cross_entropy_with_logits(T.ones(2), T.ones(2).bool())
    """,
    "F.binary_cross_entropy_with_logits of int64 logits": """
        out = T.nn.functional.binary_cross_entropy_with_logits(T.ones(2).long(), T.ones(2))
    """,
    "F.binary_cross_entropy_with_logits of a float64 target": """
        out = T.nn.functional.binary_cross_entropy_with_logits(T.ones(2), T.ones(2).double())
    """,
    "F.binary_cross_entropy of an int64 target": """
        out = T.nn.functional.binary_cross_entropy(T.ones(2) / 2, T.ones(2).long())
    """,
    "F.binary_cross_entropy of int64 probabilities": """
        out = T.nn.functional.binary_cross_entropy(T.ones(2).long(), T.ones(2).long())
    """,
    # integers: the margin taken in the input's dtype, as PyTorch's; a tensor margin refused
    "F.hinge_embedding_loss of int64, mean": """
        out = T.nn.functional.hinge_embedding_loss(T.tensor([1, 2]), T.tensor([1, -1]))
    """,
    "F.hinge_embedding_loss of int64 with a float margin": """
        out = T.nn.functional.hinge_embedding_loss(
            T.tensor([1, 2, -3]), T.tensor([1, -1, -1]), 2.7, reduction='none'
        )
    """,
    "F.hinge_embedding_loss of bool": """
        out = T.nn.functional.hinge_embedding_loss(T.tensor([True]), T.tensor([1]), reduction='sum')
    """,
    "F.hinge_embedding_loss with a tensor margin": """
        out = T.nn.functional.hinge_embedding_loss(T.ones(2, 3), T.ones(2, 3), T.ones(2, 3))
    """,
    "F.hinge_embedding_loss with a 0-d margin": """
        out = T.nn.functional.hinge_embedding_loss(
            T.tensor([1.0, 2.0]), T.tensor([1, -1]), T.tensor(3.0)
        )
    """,
    # an integer var was clamped to eps in float
    "F.gaussian_nll_loss with an int64 var": """
        out = T.nn.functional.gaussian_nll_loss(T.ones(2, 3), T.zeros(2, 3), T.ones(2, 3).long())
    """,
    "F.gaussian_nll_loss with a bool var": """
        out = T.nn.functional.gaussian_nll_loss(T.ones(2), T.zeros(2), T.ones(2).bool())
    """,
    # bounds with dimensions: an empty result, or a grid
    "linspace from a 2-D start": "out = T.linspace(T.ones(2, 3), 0, 0)",
    "logspace between 2-D bounds": "out = T.logspace(T.ones(2, 3), T.ones(2, 3), 3)",
    "linspace between 0-d bounds": "out = T.linspace(T.tensor(0.0), T.tensor(1.0), 3)",
    # float pivots were truncated
    "lu_unpack with float pivots": "out = T.lu_unpack(T.eye(2), T.tensor([1.0, 2.0]))",
    "lu_unpack with int64 pivots": "out = T.lu_unpack(T.eye(2), T.tensor([1, 2]))",
    "lu_unpack with int64 pivots, not unpacked": """
        out = T.lu_unpack(T.eye(2), T.tensor([1, 2]), unpack_pivots=False).U
    """,
    # repeats alone: a 0-d one gave nothing, uint8 was counted
    "repeat_interleave of 0-d repeats": "out = T.repeat_interleave(T.tensor(2))",
    "repeat_interleave of uint8 repeats": """
        out = T.repeat_interleave(T.tensor([2, 1], dtype=T.uint8))
    """,
    "repeat_interleave of a vector by 0-d repeats": """
        out = T.repeat_interleave(T.ones(3), T.tensor(2))
    """,
    # a 0-d or empty v gave a norm; a float pow was used as is
    "norm_except_dim of a 0-d tensor": "out = T.norm_except_dim(T.tensor(2.0))",
    "norm_except_dim of an empty vector": "out = T.norm_except_dim(T.ones(0))",
    "norm_except_dim with a float pow": "out = T.norm_except_dim(T.ones(2, 3), 1.5)",
    "norm_except_dim along the last dim": "out = T.norm_except_dim(T.ones(2, 3), 2, 1)",
    # a dtype other than the tensor's was computed in and cast back
    "cumsum_ with a float64 dtype": "out = T.ones(3).cumsum_(0, dtype=T.float64)",
    "cumprod_ of int64 with a float dtype": """
        out = T.ones(3, dtype=T.int64).cumprod_(0, dtype=T.float32)
    """,
    "cumsum_ with its own dtype": "out = T.ones(3).cumsum_(0, dtype=T.float32)",
    # subtract_ added -other, with add_'s words
    "subtract_ of bools": "out = T.tensor([True, False]).subtract_(T.tensor([False, True]))",
    "subtract_ with alpha": "out = T.tensor([1.0, 2.0]).subtract_(T.tensor([1.0, 1.0]), alpha=2)",
    # a number target was broadcast; legacy flags were read by identity (0 was not False)
    "F.soft_margin_loss of a number target": "out = T.nn.functional.soft_margin_loss(T.ones(2), 3)",
    "F.soft_margin_loss with a tensor size_average": """
        out = T.nn.functional.soft_margin_loss(T.ones(2, 3), T.ones(2, 3), T.ones(2, 3))
    """,
    "F.multilabel_soft_margin_loss with a tensor reduce": """
        out = T.nn.functional.multilabel_soft_margin_loss(
            T.ones(2, 3), T.ones(2, 3), None, None, T.ones(2, 3)
        )
    """,
    "F.l1_loss with size_average = 0": """
        out = T.nn.functional.l1_loss(T.ones(2), T.zeros(2), 0)
    """,
    "F.mse_loss with reduce = False": """
        out = T.nn.functional.mse_loss(T.ones(2), T.zeros(2), reduce=False)
    """,
    # no dim is the median of all: None (which no signature takes) was read as no dim
    "median with dim = None": "out = T.median(T.ones(2, 3), None)",
    "nanmedian with dim = None": "out = T.nanmedian(T.ones(2, 3), None)",
    "Tensor.median with dim = None": "out = T.ones(2, 3).median(None)",
    "Tensor.nanmedian with dim = None": "out = T.ones(2, 3).nanmedian(None)",
    "median with keepdim = 1": "out = T.median(T.ones(2, 3), 1, 1)",
    # keepdim without dim was ignored (the median of all): no signature takes it
    "median with keepdim and no dim": "out = T.median(T.ones(2, 3), keepdim=True)",
    "Tensor.nanmedian with keepdim = False and no dim": """
        out = T.ones(2, 3).nanmedian(keepdim=False)
    """,
    # an int unbiased or keepdim was read by its truth (x.var(1, 1): unbiased)
    "var with unbiased = 0": "out = T.var(T.arange(6.0).reshape(2, 3), 1, 0)",
    "std with keepdim = 1": "out = T.std(T.arange(6.0).reshape(2, 3), 1, True, 1)",
    "var_mean with unbiased = 1": "out = T.var_mean(T.arange(6.0).reshape(2, 3), 1, 1)",
    "std_mean with keepdim = 1": "out = T.std_mean(T.arange(6.0).reshape(2, 3), 1, True, 1)",
    "Tensor.std with keepdim = 1": """
        try:
            T.arange(6.0).reshape(2, 3).std(1, keepdim=1)
        except TypeError as e:  # (PyTorch lists the method's arguments without the tensor)
            out = str(e).split(' - ')[0]
    """,
    "Tensor.var with unbiased and keepdim": "out = T.arange(6.0).reshape(2, 3).var(1, False, True)",
    "std of all, unbiased given": "out = T.std(T.arange(6.0), False)",
    "median of all": "out = T.median(T.tensor([[1.0, 5.0, 2.0]]))",
    "median along dim 1, kept": "out = T.median(T.tensor([[1.0, 5.0, 2.0]]), 1, True)",
    "Tensor.nanmedian along dim -1": """
        out = T.tensor([[1.0, float('nan'), 2.0]]).nanmedian(-1)
    """,
    "median of a 0-d tensor along dim 0": "out = T.median(T.tensor(2.0), 0)",
    # scans and mode given None or a bool dim: NumPy's unpacking error, or True read as 1
    "cumsum with dim = None": "out = T.cumsum(T.ones(2, 3), None)",
    "cumprod with dim = None": "out = T.cumprod(T.ones(2, 3), None)",
    "cummax with dim = None": "out = T.cummax(T.ones(2, 3), None)",
    "cummin with an empty list dim": "out = T.cummin(T.ones(2, 3), dim=[])",
    "logcumsumexp with dim = None": "out = T.logcumsumexp(T.ones(2, 3), None)",
    "mode with dim = None": "out = T.mode(T.ones(2, 3), None)",
    "mode with an empty list dim": "out = T.mode(T.ones(2, 3), dim=[])",
    "cumsum with a bool dim": "out = T.cumsum(T.ones(2, 3), True)",
    "Tensor.cumsum with dim = None": "out = T.ones(2, 3).cumsum(None)",
    "Tensor.cumprod with dim = None": "out = T.ones(2, 3).cumprod(None)",
    "Tensor.mode with dim = None": "out = T.ones(2, 3).mode(None)",
    "Tensor.cumsum_ with dim = None": "out = T.ones(2, 3).cumsum_(None)",
    "mode with keepdim = 1": "out = T.mode(T.ones(2, 3), 1, 1)",
    "kthvalue with dim = None": "out = T.kthvalue(T.ones(2, 3), 1, None)",
    "Tensor.kthvalue with keepdim = 1": "out = T.ones(2, 3).kthvalue(1, 1, 1)",
    "cumsum along a 0-d integer tensor dim": "out = T.cumsum(T.ones(2, 3), T.tensor(1))",
    "cumsum of a 0-d tensor along dim -1": "out = T.cumsum(T.tensor(2.0), -1)",
    "Tensor.cummax along dim 1": "out = T.tensor([[1.0, 3.0, 2.0]]).cummax(1)",
    "mode of a 0-d tensor": "out = T.mode(T.tensor(2.0))",
    "Tensor.mode along dim 1, kept": "out = T.tensor([[1, 2, 2]]).mode(1, True)",
    # a bool count or dim was read as 1
    "repeat_interleave by True": "out = T.repeat_interleave(T.ones(3), True)",
    "repeat_interleave along dim True": "out = T.repeat_interleave(T.ones(3), 2, True)",
    "Tensor.repeat_interleave by True": "out = T.ones(3).repeat_interleave(True)",
    "repeat_interleave by 1.5": "out = T.repeat_interleave(T.ones(3), 1.5)",
    "repeat_interleave with output_size = True": """
        out = T.repeat_interleave(T.ones(3), 2, output_size=True)
    """,
    "repeat_interleave along a 0-d integer tensor dim": """
        out = T.repeat_interleave(T.ones(3), 2, T.tensor(0))
    """,
    "repeat_interleave of int32 repeats alone": """
        out = T.repeat_interleave(T.tensor([1, 2, 0], dtype=T.int32))
    """,
    "gradient along dim True": "out = T.gradient(T.ones(3), dim=True)",
    "gradient along dims [True]": "out = T.gradient(T.ones(3), dim=[True])",
    "gradient with edge_order = True": "out = T.gradient(T.ones(3), edge_order=True)",
    "gradient along a 0-d integer tensor dim": "out = T.gradient(T.ones(3), dim=T.tensor(0))",
    "gradient along dims (0,)": "out = T.gradient(T.arange(4.0) ** 2, dim=(0,))",
    "diff with n = True": "out = T.diff(T.ones(3), True)",
    "diff along dim None": "out = T.diff(T.ones(3), 1, None)",
    "Tensor.diff with n = True": "out = T.ones(3).diff(True)",
    "diff of a 0-d tensor along dim 5": "out = T.diff(T.tensor(1.0), 1, 5)",
    # a bool where PyTorch takes only an int was read as 1
    "Tensor.size of dim True": "out = T.ones(2, 3).size(True)",
    "Tensor.stride of dim True": "out = T.ones(2, 3).stride(True)",
    "Tensor.size of a 0-d integer tensor dim": "out = T.ones(2, 3).size(T.tensor(-1))",
    "diag with diagonal True": "out = T.diag(T.ones(3), True)",
    "diagonal with offset True": "out = T.diagonal(T.ones(3, 3), True)",
    "diag_embed with offset True": "out = T.diag_embed(T.ones(3), True)",
    "diagflat with offset True": "out = T.diagflat(T.ones(3), True)",
    "histc with bins True": "out = T.histc(T.ones(3), True)",
    "rot90 by k True": "out = T.rot90(T.ones(3, 3), True)",
    "topk with k True": "out = T.topk(T.ones(3), True)",
    "polygamma of order True": "out = T.polygamma(True, T.ones(3))",
    "Tensor.polygamma_ of order True": "out = T.ones(3).polygamma_(True)",
    "combinations with r True": "out = T.combinations(T.ones(3), True)",
    "F.group_norm with num_groups True": "out = T.nn.functional.group_norm(T.ones(2, 4), True)",
    "diagonal with offset -1": "out = T.diagonal(T.arange(9.0).reshape(3, 3), -1)",
    "rot90 by k -1": "out = T.rot90(T.arange(4).reshape(2, 2), -1)",
    "histc with 4 bins": "out = T.histc(T.tensor([1.0, 2.0, 1.0]), 4, 0, 3)",
    # keepdim given an int was read by its truth
    "sum with keepdim = 1": "out = T.sum(T.ones(2, 3), 1, 1)",
    "prod with keepdim = 1": "out = T.prod(T.ones(2, 3), 1, 1)",
    "amax with keepdim = 1": "out = T.amax(T.ones(2, 3), 1, 1)",
    "amin with keepdim = 1.5": "out = T.amin(T.ones(2, 3), 1, 1.5)",
    "logsumexp with keepdim = 1": "out = T.logsumexp(T.ones(2, 3), 1, 1)",
    "argmax with keepdim = 1": "out = T.argmax(T.ones(2, 3), 1, 1)",
    "mean with keepdim = 1": "out = T.mean(T.ones(2, 3), 1, 1)",
    "max along a dim with keepdim = 1": "out = T.max(T.ones(2, 3), 1, 1)",
    "sum with keepdim = True": "out = T.sum(T.ones(2, 3), 1, True)",
    "Tensor.sum with keepdims = True": "out = T.ones(2, 3).sum(axis=1, keepdims=True)",
    "min along a dim, kept": "out = T.min(T.tensor([[3.0, 1.0]]), 1, True)",
    # method forms named the function and its position
    "Tensor.triu_ with a float diagonal": "out = T.ones(2, 3).triu_(1.5)",
    "Tensor.tril_ with a float diagonal": "out = T.ones(2, 3).tril_(1.5)",
    "Tensor.triu with a float diagonal": "out = T.ones(2, 3).triu(1.5)",
    "Tensor.kthvalue with k True": "out = T.ones(2, 3).kthvalue(True)",
    "Tensor.triu_ with diagonal 1": "out = T.ones(2, 3).triu_(1)",
    # a tensor of settings where PyTorch takes one number was broadcast (a 0-d one is a number)
    "nan_to_num with a tensor nan": """
        out = T.nan_to_num(T.tensor([float('nan'), 1.0]), T.tensor([1.0, 2.0]))
    """,
    "F.hardshrink with a tensor lambd": """
        out = T.nn.functional.hardshrink(T.ones(2), T.tensor([0.5, 2.0]))
    """,
    "F.threshold with a tensor value": """
        out = T.nn.functional.threshold(T.tensor([1.0, -1.0]), 0.5, T.tensor([0.0, 3.0]))
    """,
    "F.softplus with a tensor threshold": """
        out = T.nn.functional.softplus(T.ones(2), 1.0, T.tensor([20.0, 0.5]))
    """,
    "F.elu with a tensor alpha": """
        out = T.nn.functional.elu(T.tensor([-1.0, -2.0]), T.tensor([1.0, 2.0]))
    """,
    "F.leaky_relu with a tensor slope": """
        out = T.nn.functional.leaky_relu(T.tensor([-1.0, -2.0]), T.tensor([0.1, 0.2]))
    """,
    "full_like with a tensor fill": "out = T.full_like(T.ones(2), T.tensor([1.0, 2.0]))",
    "full with a tensor fill": "out = T.full((2,), T.tensor([1.0, 2.0]))",
    "F.elu with a 0-d tensor alpha": """
        out = T.nn.functional.elu(T.tensor([-1.0, -2.0]), T.tensor(2.0))
    """,
    "F.leaky_relu with a 0-d tensor slope": """
        out = T.nn.functional.leaky_relu(T.tensor([-1.0, -2.0]), T.tensor(0.1))
    """,
    "F.softplus with a 0-d tensor beta": """
        out = T.nn.functional.softplus(T.tensor([-1.0, 1.0]), T.tensor(2.0))
    """,
    "F.celu with a 0-d tensor alpha": """
        out = T.nn.functional.celu(T.tensor([-1.0, 1.0]), T.tensor(2.0))
    """,
    "nan_to_num with a 0-d tensor nan": """
        out = T.nan_to_num(T.tensor([float('nan'), 1.0]), T.tensor(1.0))
    """,
    "full_like with a 0-d tensor fill": "out = T.full_like(T.ones(2), T.tensor(3.0))",
    "F.hardshrink with a 0-d tensor lambd": """
        out = T.nn.functional.hardshrink(T.tensor([0.3, 2.0]), T.tensor(0.5))
    """,
    # result dtypes: a float16 target's loss was float32, an int64 weight's float64
    "F.binary_cross_entropy_with_logits of a float16 target": """
        out = T.nn.functional.binary_cross_entropy_with_logits(
            T.zeros(2), T.ones(2, dtype=T.float16), reduction='none'
        ).dtype
    """,
    "F.binary_cross_entropy_with_logits of a float32 target beside float64 logits": """
        out = T.nn.functional.binary_cross_entropy_with_logits(
            T.zeros(2, dtype=T.float64), T.ones(2)
        ).dtype
    """,
    "F.binary_cross_entropy with an int64 weight": """
        out = T.nn.functional.binary_cross_entropy(
            T.full((2,), 0.5), T.ones(2), T.ones(2, dtype=T.int64), reduction='none'
        ).dtype
    """,
    "F.binary_cross_entropy with a float64 weight": """
        out = T.nn.functional.binary_cross_entropy(
            T.full((2,), 0.5), T.ones(2), T.tensor([1.0, 2.0], dtype=T.float64)
        )
    """,
    # an integer input's loss: ATen writes it into the input's dtype, which refuses the float
    "F.soft_margin_loss of int64 input and target": """
        out = T.nn.functional.soft_margin_loss(T.ones(2, dtype=T.int64), T.ones(2, dtype=T.int64))
    """,
    "F.soft_margin_loss of an int64 input and a float64 target": """
        out = T.nn.functional.soft_margin_loss(
            T.ones(2, dtype=T.int64), T.ones(2, dtype=T.float64)
        )
    """,
    "F.soft_margin_loss of an int64 target": """
        out = T.nn.functional.soft_margin_loss(T.ones(2), T.ones(2, dtype=T.int64))
    """,
    # the in-place form clamps limits in either order (F.hardtanh alone refuses min > max)
    "F.hardtanh_ with min_val above max_val": """
        out = T.nn.functional.hardtanh_(T.tensor([-2.0, 0.5, 2.0]), 1.0, -1.0)
    """,
    "F.hardtanh with min_val above max_val": """
        out = T.nn.functional.hardtanh(T.tensor([-2.0, 0.5, 2.0]), 1.0, -1.0, True)
    """,
    "F.hardtanh of nan and -0.0": """
        out = T.nn.functional.hardtanh(T.tensor([-2.0, float('nan'), -0.0, 2.0]), -0.5, 0.5)
    """,
}


@pytest.mark.parametrize("name", SNIPPETS)
def test_snippet_matches_pytorch(name: str) -> None:
    code = SNIPPETS[name]
    assert outcome(cr, code) == outcome(torch, code)
