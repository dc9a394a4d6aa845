"""Flag arguments (PyTorch's ``bool`` and ``str`` parameters) given a value of another type:
PyTorch refuses ``upper=1``, ``keepdim=1.5``, ``pivot=np.bool_(True)``, a 0-d tensor or a
string where a bool is wanted, and an int where a string is, before it reads any tensor;
chainrule took them by their truth (or compared them with the strings and raised an error of
its own). Each snippet runs with ``T`` as torch and as chainrule, and what it leaves in
``out`` (values, or the error: type and first line) must be the same.

Where PyTorch's message depends on how the flag was passed (by position or by keyword),
chainrule cannot tell; the rows pass each flag the usual way, by keyword.

A snippet sets ``out``; ``T`` is the library (see :func:`snippet_outcome.outcome`).
"""

from __future__ import annotations

import pytest
import torch
from snippet_outcome import outcome

import chainrule as cr

PRELUDE = """
import numpy as np
F = T.nn.functional
d = T.float64
x = T.tensor([[1., 2., 3., 4.], [5., 6., 0., 8.], [9., 1., 2., 3.]], dtype=d)
v = T.tensor([3., 1., 2., 2.], dtype=d)
s = T.tensor([1., 2., 3., 4.], dtype=d)
A = T.tensor([[4., 1., 0.], [1., 3., 1.], [0., 1., 2.]], dtype=d)
B = T.tensor([[1., 2.], [3., 4.], [5., 6.]], dtype=d)
L = T.linalg.cholesky(A)
U = L.mT.contiguous()
LU, piv = T.linalg.lu_factor(A)
LD, lpiv = T.linalg.ldl_factor(A)
qa, tau = T.geqrf(A)
img = T.arange(32., dtype=d).reshape(1, 2, 4, 4)
p = T.tensor([0.2, 0.3, 0.5], dtype=d)
tgt = T.tensor([0.5, 0.2, 0.9], dtype=d)
lg = T.tensor([[0.1, 0.5, 0.2], [1.0, -1.0, 0.3], [0.0, 0.2, 0.4]], dtype=d)
q = T.arange(24., dtype=d).reshape(1, 2, 3, 4) / 10
W = T.arange(12., dtype=d).reshape(4, 3) / 10
idx = T.tensor([0, 2])
lp = T.arange(24., dtype=d).reshape(4, 1, 6).log_softmax(2)
tg = T.tensor([[1, 2]])
grid = T.zeros(1, 3, 3, 2, dtype=d)
theta = T.tensor([[[1., 0., 0.], [0., 1., 0.]]], dtype=d)
def r(t):
    return [round(e, 6) for e in t.reshape(-1).tolist()]
"""

CASES = {
    # ---- torch.linalg: bool flags (keyword-only or usually given by name)
    "linalg.svd full_matrices int": "out = r(T.linalg.svd(x, full_matrices=1).S)",
    "linalg.cholesky upper int": "out = r(T.linalg.cholesky(A, upper=1))",
    "linalg.cholesky_ex check_errors int": "out = T.linalg.cholesky_ex(A, check_errors=1)",
    "linalg.cholesky_ex upper numpy bool": ("out = T.linalg.cholesky_ex(A, upper=np.bool_(True))"),
    "linalg.lu_factor pivot int": "out = T.linalg.lu_factor(A, pivot=1)",
    "linalg.lu_factor_ex pivot float": "out = T.linalg.lu_factor_ex(A, pivot=1.5)",
    "linalg.lu_factor_ex check_errors int": "out = T.linalg.lu_factor_ex(A, check_errors=1)",
    "linalg.lu pivot float": "out = T.linalg.lu(A, pivot=1.5)",
    "lu pivot int": "out = T.lu(A, pivot=1)",
    "lu_unpack unpack_data int": "out = T.lu_unpack(LU, piv, unpack_data=1)",
    "lu_unpack unpack_pivots None": "out = T.lu_unpack(LU, piv, unpack_pivots=None)",
    "linalg.lu_solve left int": "out = T.linalg.lu_solve(LU, piv, B, left=1)",
    "linalg.lu_solve adjoint tensor": "out = T.linalg.lu_solve(LU, piv, B, adjoint=T.tensor(True))",
    "linalg.inv_ex check_errors int": "out = T.linalg.inv_ex(A, check_errors=1)",
    "linalg.solve left int": "out = T.linalg.solve(A, B, left=1)",
    "linalg.solve_ex left int": "out = T.linalg.solve_ex(A, B, left=1)",
    "linalg.solve_ex check_errors str": "out = T.linalg.solve_ex(A, B, check_errors='yes')",
    "linalg.solve_triangular upper int": "out = T.linalg.solve_triangular(U, B, upper=1)",
    "linalg.solve_triangular left int": (
        "out = T.linalg.solve_triangular(U, B, upper=True, left=1)"
    ),
    "linalg.solve_triangular unitriangular int": (
        "out = T.linalg.solve_triangular(U, B, upper=True, unitriangular=0)"
    ),
    "linalg.ldl_factor hermitian int": "out = T.linalg.ldl_factor(A, hermitian=1)",
    "linalg.ldl_factor_ex check_errors int": "out = T.linalg.ldl_factor_ex(A, check_errors=1)",
    "linalg.ldl_solve hermitian int": "out = T.linalg.ldl_solve(LD, lpiv, B, hermitian=1)",
    "linalg.pinv hermitian int": "out = T.linalg.pinv(A, hermitian=1)",
    "linalg.matrix_rank hermitian float": "out = T.linalg.matrix_rank(A, hermitian=1.5)",
    "linalg.vector_norm keepdim int": "out = T.linalg.vector_norm(x, 2, 0, keepdim=1)",
    "linalg.matrix_norm keepdim int": "out = T.linalg.matrix_norm(x, keepdim=1)",
    "linalg.norm keepdim int": "out = T.linalg.norm(x, keepdim=1)",
    # ---- torch.linalg: str flags given an int (chainrule raised RuntimeErrors of its own)
    "linalg.qr mode int": "out = T.linalg.qr(A, mode=1)",
    "linalg.eigh UPLO int": "out = T.linalg.eigh(A, UPLO=1)",
    "linalg.eigvalsh UPLO bool": "out = T.linalg.eigvalsh(A, UPLO=True)",
    "linalg.lstsq driver int": "out = T.linalg.lstsq(A, B, driver=1)",
    # ---- the older top-level names
    "svd some float": "out = T.svd(x, some=1.5)",
    "svd compute_uv int": "out = T.svd(x, compute_uv=0)",
    "cholesky upper int": "out = T.cholesky(A, upper=1)",
    "cholesky_solve upper int": "out = T.cholesky_solve(B, L, upper=1)",
    "cholesky_inverse upper numpy bool": "out = T.cholesky_inverse(L, upper=np.bool_(False))",
    "triangular_solve upper int": "out = T.triangular_solve(B, U, upper=1)",
    "triangular_solve transpose int": "out = T.triangular_solve(B, U, transpose=1)",
    "qr some int": "out = T.qr(A, some=1)",
    "ormqr left int": "out = T.ormqr(qa, tau, B, left=1)",
    "ormqr transpose int": "out = T.ormqr(qa, tau, B, transpose=1)",
    "norm keepdim int": "out = T.norm(x, 2, 0, keepdim=1)",
    "frobenius_norm keepdim int": "out = T.frobenius_norm(x, (0, 1), keepdim=1)",
    "nuclear_norm keepdim int": "out = T.nuclear_norm(x, keepdim=1)",
    # ---- sorting, searching, sets, statistics
    "sort descending int": "out = T.sort(x, 0, descending=1)",
    "sort stable int": "out = T.sort(x, stable=1)",
    "argsort descending str": "out = T.argsort(x, 0, descending='yes')",
    "argsort stable None": "out = T.argsort(x, stable=None)",
    "topk largest int": "out = T.topk(s, 2, 0, largest=0)",
    "topk sorted float": "out = T.topk(s, 2, sorted=1.5)",
    "searchsorted right int": "out = T.searchsorted(s, v, right=1)",
    "searchsorted out_int32 int": "out = T.searchsorted(s, v, out_int32=1)",
    "searchsorted side int": "out = T.searchsorted(s, v, side=1)",
    "bucketize right int": "out = T.bucketize(v, s, right=1)",
    "isin invert int": "out = T.isin(v, s, invert=1)",
    "isin assume_unique int": "out = T.isin(v, s, assume_unique=1)",
    "histogram density int": "out = T.histogram(v, 3, density=1)",
    "histogramdd density int": "out = T.histogramdd(x[:, :2], 2, density=1)",
    "combinations with_replacement int": "out = T.combinations(v, 2, with_replacement=1)",
    "nonzero as_tuple int": "out = T.nonzero(x, as_tuple=1)",
    "aminmax keepdim int": "out = T.aminmax(x, dim=0, keepdim=1)",
    "quantile keepdim int": "out = T.quantile(x, 0.5, 0, keepdim=1)",
    "nanquantile keepdim tensor": "out = T.nanquantile(x, 0.5, 0, keepdim=T.tensor(True))",
    "quantile interpolation int": "out = T.quantile(x, 0.5, interpolation=1)",
    "fill_diagonal_ wrap int": "out = x.clone().fill_diagonal_(0.0, wrap=1)",
    "to_dense masked_grad int": "out = x.to_dense(masked_grad=1)",
    "meshgrid indexing int": "out = T.meshgrid(s, v, indexing=1)",
    "expand_copy implicit int": "out = T.expand_copy(x, (3, 4), implicit=1)",
    # ---- torch.nn.functional: PyTorch passes these on by position (its message names it)
    "F.rrelu training int": "out = F.rrelu(x, training=1)",
    "F.kl_div log_target int": "out = F.kl_div(p.log(), tgt.log(), log_target=1)",
    "F.poisson_nll_loss log_input int": "out = F.poisson_nll_loss(p, tgt, log_input=1)",
    "F.poisson_nll_loss full int": "out = F.poisson_nll_loss(p, tgt, full=1)",
    "F.triplet_margin_loss swap int": "out = F.triplet_margin_loss(lg, lg, lg.flip(0), swap=1)",
    "F.embedding scale_grad_by_freq int": "out = F.embedding(idx, W, scale_grad_by_freq=1)",
    "F.embedding_bag include_last_offset int": (
        "out = F.embedding_bag(idx, W, T.tensor([0, 2]), include_last_offset=1)"
    ),
    "F.embedding_bag scale_grad_by_freq int": (
        "out = F.embedding_bag(idx, W, T.tensor([0]), scale_grad_by_freq=1)"
    ),
    "F.batch_norm training int": (
        "out = F.batch_norm(img, T.zeros(2, dtype=d), T.ones(2, dtype=d), training=1)"
    ),
    "F.instance_norm use_input_stats int": "out = F.instance_norm(img, use_input_stats=1)",
    "F.scaled_dot_product_attention is_causal int": (
        "out = F.scaled_dot_product_attention(q, q, q, is_causal=1)"
    ),
    "F.scaled_dot_product_attention enable_gqa int": (
        "out = F.scaled_dot_product_attention(q, q, q, enable_gqa=1)"
    ),
    # ---- comparisons: all/any (several signatures: PyTorch lists the call), isclose
    "all keepdim int": "out = T.all(x, 0, keepdim=1)",
    "any keepdim int": "out = T.any(x, 0, keepdim=0)",
    "any keepdim tensor": "out = T.any(x, 0, keepdim=T.tensor(True))",
    "all dims keepdim int": "out = T.all(x, (0, 1), keepdim=1)",
    "allclose equal_nan int": "out = T.allclose(s, s, equal_nan=1)",
    "isclose equal_nan str": "out = T.isclose(s, s, equal_nan='yes')",
    "isclose equal_nan None": "out = T.isclose(s, s, equal_nan=None)",
    # ---- index writes (reduce given an int: PyTorch's TypeError, not the unknown name's)
    "put accumulate int": "out = T.put(s, idx, v[:2], accumulate=1)",
    "put_ accumulate None": "out = s.clone().put_(idx, v[:2], accumulate=None)",
    "index_reduce include_self int": (
        "out = T.index_reduce(x, 0, idx, x[:2], 'prod', include_self=1)"
    ),
    "index_reduce_ include_self int": (
        "out = x.clone().index_reduce_(0, idx, x[:2], 'prod', include_self=0)"
    ),
    "index_reduce reduce int": "out = T.index_reduce(x, 0, idx, x[:2], 1)",
    "index_reduce_ reduce int": "out = x.clone().index_reduce_(0, idx, x[:2], 1)",
    "scatter_reduce include_self int": (
        "out = T.scatter_reduce(s, 0, idx, v[:2], 'amax', include_self=1)"
    ),
    "scatter_reduce_ reduce int": "out = s.clone().scatter_reduce_(0, idx, v[:2], 1)",
    # ---- factories: requires_grad (one signature: named; several: the call listed)
    "zeros requires_grad int": "out = T.zeros(2, requires_grad=1)",
    "ones requires_grad int": "out = T.ones((2, 3), requires_grad=1)",
    "full requires_grad int": "out = T.full((2,), 1.0, requires_grad=1)",
    "empty requires_grad int": "out = T.empty(2, requires_grad=1).shape",
    "tensor requires_grad int": "out = T.tensor([1.0], requires_grad=1)",
    "tensor requires_grad None": "out = T.tensor([1.0], requires_grad=None)",
    "eye requires_grad int": "out = T.eye(2, requires_grad=1)",
    "eye requires_grad int with m": "out = T.eye(2, 3, requires_grad=1)",
    "arange requires_grad int": "out = T.arange(3.0, requires_grad=1)",
    "arange requires_grad int bounds": "out = T.arange(1, 5, 2, requires_grad=1)",
    "linspace requires_grad int": "out = T.linspace(0, 1, 3, requires_grad=1)",
    "logspace requires_grad int": "out = T.logspace(0, 1, 3, requires_grad=1)",
    "rand requires_grad int": "out = T.rand(2, requires_grad=1).shape",
    "randn requires_grad int": "out = T.randn((2, 3), requires_grad=1).shape",
    "randperm requires_grad int": "out = T.randperm(3, requires_grad=1).shape",
    "zeros_like requires_grad int": "out = T.zeros_like(s, requires_grad=1)",
    "ones_like requires_grad tensor": "out = T.ones_like(s, requires_grad=T.tensor(True))",
    "full_like requires_grad int": "out = T.full_like(s, 2.0, requires_grad=1)",
    "empty_like requires_grad int": "out = T.empty_like(s, requires_grad=1).shape",
    "rand_like requires_grad int": "out = T.rand_like(s, requires_grad=1).shape",
    "randn_like requires_grad int": "out = T.randn_like(s, requires_grad=1).shape",
    "new_zeros requires_grad int": "out = s.new_zeros(2, requires_grad=1)",
    "new_ones requires_grad int": "out = s.new_ones((2,), requires_grad=1)",
    "new_full requires_grad int": "out = s.new_full((2,), 1.0, requires_grad=1)",
    "new_empty requires_grad int": "out = s.new_empty(2, requires_grad=1).shape",
    "new_tensor requires_grad None": "out = s.new_tensor([1.0], requires_grad=None)",
    "multinomial replacement int": "out = T.multinomial(p, 2, replacement=1).shape",
    "Tensor.multinomial replacement None": "out = p.multinomial(2, replacement=None).shape",
    # ---- tensor(): ints past int64's range (NumPy gave uint64, floats or objects)
    "tensor int past int64": "out = T.tensor([2**63, 1])",
    "tensor int past int64 nested": "out = T.tensor([[1], [2**63]])",
    "tensor int past int64 scalar": "out = T.tensor(2**63)",
    "tensor int below int64": "out = T.tensor([-2**63 - 1])",
    "tensor int past int64 as int32": "out = T.tensor([2**63], dtype=T.int32)",
    # ---- stack and cat given an element that is no tensor
    "stack int element": "out = T.stack([s, 1])",
    "stack first element int": "out = T.stack([1, s])",
    "stack numpy scalar element": "out = T.stack([s[0], np.float64(1.0)])",
    "cat int element": "out = T.cat([s, 1])",
    "cat numpy scalar element": "out = T.cat([s, np.float64(1.0)])",
    # ---- windows (several signatures: the call listed), vander
    "hann_window periodic int": "out = T.hann_window(5, periodic=1)",
    "hamming_window periodic None": "out = T.hamming_window(5, periodic=None)",
    "blackman_window periodic int": "out = T.blackman_window(5, periodic=0)",
    "bartlett_window periodic int": "out = T.bartlett_window(5, periodic=1)",
    "kaiser_window periodic int": "out = T.kaiser_window(5, periodic=1)",
    "hann_window requires_grad int": "out = T.hann_window(5, requires_grad=1)",
    "vander increasing int": "out = T.vander(s, increasing=1)",
    # ---- str flags given no str
    "div rounding_mode int": "out = T.div(s, v, rounding_mode=1)",
    "F.gelu approximate int": "out = F.gelu(s, approximate=1)",
    "F.gelu approximate unknown": "out = F.gelu(s, approximate='x')",
    # ---- top-level nn functions (flags by position, as they are usually given)
    "batch_norm cudnn_enabled int": (
        "out = T.batch_norm(img, None, None, None, None, True, 0.1, 1e-5, 1)"
    ),
    "layer_norm cudnn_enable int": "out = T.layer_norm(img, (4,), None, None, 1e-5, 1)",
    "group_norm cudnn_enabled None": "out = T.group_norm(img, 2, None, None, 1e-5, None)",
    "instance_norm cudnn_enabled int": (
        "out = T.instance_norm(img, None, None, None, None, True, 0.1, 1e-5, 1)"
    ),
    "F.ctc_loss zero_infinity int": "out = F.ctc_loss(lp, tg, (4,), (2,), zero_infinity=1)",
    "F.grid_sample align_corners int": "out = F.grid_sample(img, grid, align_corners=1)",
    "F.affine_grid align_corners int": (
        "out = F.affine_grid(theta, (1, 2, 3, 3), align_corners=1)"
    ),
    "grid_sampler align_corners int": "out = T.grid_sampler(img, grid, 0, 0, 1)",
    "affine_grid_generator align_corners None": (
        "out = T.affine_grid_generator(theta, (1, 2, 3, 3), None)"
    ),
    # ---- Tensor methods
    "size dim past the end": "out = x.size(5)",
    "size dim before the start": "out = x.size(-3)",
    "size of a 0-d tensor": "out = T.tensor(1.0).size(0)",
    "deepcopy of a non-leaf": ("import copy\nout = copy.deepcopy(s.clone().requires_grad_() * 2)"),
    "to non_blocking int": "out = s.to(d, non_blocking=1)",
    "to copy int": "out = s.to('cpu', copy=1)",
}

# Next to the fixes above, what they must leave alone: the flags given as bools and strings
GUARDS = {
    "linalg.svd full_matrices False": "out = r(T.linalg.svd(x, full_matrices=False).S)",
    "linalg.cholesky upper True": "out = r(T.linalg.cholesky(A, upper=True))",
    "linalg.solve left False": "out = r(T.linalg.solve(A, B.mT, left=False))",
    "linalg.solve_triangular flags": (
        "out = r(T.linalg.solve_triangular(U, B, upper=True, left=True, unitriangular=False))"
    ),
    "linalg.lu_factor_ex check_errors True": (
        "out = r(T.linalg.lu_factor_ex(A, pivot=True, check_errors=True).LU)"
    ),
    "linalg.lu_solve adjoint True": "out = r(T.linalg.lu_solve(LU, piv, B, adjoint=True))",
    "linalg.pinv hermitian True": "out = r(T.linalg.pinv(A, hermitian=True))",
    "linalg.matrix_rank hermitian True": "out = T.linalg.matrix_rank(A, hermitian=True).item()",
    "linalg.qr mode r": "out = r(T.linalg.qr(A, mode='r').R)",
    "linalg.eigh UPLO U": "out = r(T.linalg.eigh(A, UPLO='U').eigenvalues)",
    "linalg.lstsq driver gelsd": "out = r(T.linalg.lstsq(A, B, driver='gelsd').solution)",
    "linalg.matrix_norm keepdim True": "out = T.linalg.matrix_norm(x, 'nuc', keepdim=True).shape",
    "linalg.norm keepdim True": "out = T.linalg.norm(x, None, None, True).shape",
    "svd some False": "out = r(T.svd(x, some=False, compute_uv=True).S)",
    "triangular_solve flags": (
        "out = r(T.triangular_solve(B, U, upper=True, transpose=False, unitriangular=False)[0])"
    ),
    "ormqr flags": "out = r(T.ormqr(qa, tau, B, left=True, transpose=True))",
    "nuclear_norm keepdim True": "out = T.nuclear_norm(x, keepdim=True).shape",
    "nuclear_norm bool by position": "out = T.nuclear_norm(x, True).shape",
    "sort descending True": "out = r(T.sort(x, dim=0, descending=True, stable=True).values)",
    "sort stable None": "out = r(T.sort(x, stable=None).indices)",
    "argsort descending True": "out = r(T.argsort(x, 0, True))",
    "topk smallest": "out = r(T.topk(s, 2, 0, largest=False, sorted=True).values)",
    "searchsorted side right": "out = r(T.searchsorted(s, v, side='right', out_int32=True))",
    "bucketize right True": "out = r(T.bucketize(v, s, right=True))",
    "isin invert True": "out = T.isin(v, s, invert=True, assume_unique=False).tolist()",
    "histogram density True": "out = r(T.histogram(v, 3, density=True).hist)",
    "combinations with_replacement True": "out = r(T.combinations(v, 2, True))",
    "nonzero as_tuple True": "out = [r(t) for t in T.nonzero(x, as_tuple=True)]",
    "aminmax keepdim True": "out = T.aminmax(x, dim=0, keepdim=True).min.shape",
    "quantile interpolation lower": (
        "out = r(T.quantile(x, 0.5, 0, keepdim=True, interpolation='lower'))"
    ),
    "fill_diagonal_ wrap True": "out = r(T.zeros(5, 2).fill_diagonal_(1.0, wrap=True))",
    "meshgrid indexing xy": "out = [tuple(g.shape) for g in T.meshgrid(s, v[:3], indexing='xy')]",
    "F.kl_div log_target True": (
        "out = round(F.kl_div(p.log(), tgt.log(), log_target=True).item(), 9)"
    ),
    "F.scaled_dot_product_attention is_causal True": (
        "out = r(F.scaled_dot_product_attention(q, q, q, is_causal=True))"
    ),
    "F.batch_norm training False": (
        "out = r(F.batch_norm(img, T.zeros(2, dtype=d), T.ones(2, dtype=d), training=False))"
    ),
    "all keepdim True": "out = T.all(x, 0, keepdim=True).tolist()",
    "any no dim": "out = T.any(x).item()",
    "isclose equal_nan True": (
        "n = T.tensor([np.nan, 1.])\nout = T.isclose(n, n, equal_nan=True).tolist()"
    ),
    "put accumulate True": "out = r(T.put(s, idx, v[:2], accumulate=True))",
    "index_reduce include_self False": (
        "out = r(x.clone().index_reduce_(0, idx, x[:2], 'prod', include_self=False))"
    ),
    "zeros requires_grad True": "out = T.zeros(2, requires_grad=True)",
    "eye requires_grad None": "out = T.eye(2, requires_grad=None)",
    "arange requires_grad True": "out = T.arange(3.0, requires_grad=True)",
    "zeros_like requires_grad True": "out = T.zeros_like(s, requires_grad=True)",
    "new_zeros requires_grad None": "out = s.new_zeros(2, requires_grad=None)",
    "rand_like requires_grad True": "out = T.rand_like(s, requires_grad=True).shape",
    "multinomial replacement True": "out = T.multinomial(p, 5, replacement=True).shape",
    "tensor int64 extremes": "out = T.tensor([-2**63, 2**63 - 1])",
    "tensor big int beside a float": "out = T.tensor([2**63, 1.5])",
    "tensor big int as float64": "out = T.tensor([2**63], dtype=T.float64)",
    "tensor big int as uint64": "out = T.tensor([2**63], dtype=T.uint64)",
    "stack tensors": "out = r(T.stack([s, v], 1))",
    "hann_window periodic False": "out = r(T.hann_window(5, periodic=False))",
    "kaiser_window requires_grad True": "out = T.kaiser_window(5, requires_grad=True).shape",
    "vander increasing True": "out = r(T.vander(s, 3, increasing=True))",
    "div rounding_mode floor": "out = r(T.div(s, v, rounding_mode='floor'))",
    "F.gelu approximate tanh": "out = r(F.gelu(s, approximate='tanh'))",
    "layer_norm cudnn_enable False": "out = r(T.layer_norm(img, (4,), None, None, 1e-5, False))",
    "F.ctc_loss zero_infinity True": (
        "out = round(F.ctc_loss(lp, tg, (4,), (2,), zero_infinity=True).item(), 6)"
    ),
    "F.grid_sample align_corners True": "out = r(F.grid_sample(img, grid, align_corners=True))",
    "size in range": "out = (x.size(0), x.size(-1), x.size(), T.tensor(1.0).size())",
    "deepcopy of a leaf": "import copy\nout = copy.deepcopy(s.clone().requires_grad_())",
    "to copy True": "out = s.to(d, copy=True) is s",
}


@pytest.mark.parametrize("name", list(CASES) + list(GUARDS))
def test_flag_argument_as_pytorch(name: str) -> None:
    code = CASES.get(name) or GUARDS[name]
    assert outcome(cr, code, PRELUDE) == outcome(torch, code, PRELUDE)
